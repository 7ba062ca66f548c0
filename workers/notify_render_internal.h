/*
 * notify_render_internal.h: what the files of the notify_render module
 * share (notify_render.c: recipients, text, JSON bodies, judging, back-off;
 * notify_mail.c: the RFC 5322 message of an e-mail sink). Never included
 * outside workers/notify_*.c.
 */
#ifndef PL_NOTIFY_RENDER_INTERNAL_H
#define PL_NOTIFY_RENDER_INTERNAL_H

#include "common/pl_time.h"
#include "config/notify.h"
#include "workers/notify_render.h"

#include <stdint.h>

/* pl__notify_render_floor_div: a / b rounded towards minus infinity (b is
 * not 0). */
int64_t pl__notify_render_floor_div(int64_t a, int64_t b);

/*
 * pl__notify_render_build_email: the whole message for an e-mail sink
 * into out->body and out->body_len, and the envelope recipients (the
 * sink's fixed addresses, then the recipients' e-mail addresses when the
 * sink takes them; each valid one once) into out->rcpt and
 * out->rcpt_count. Borrows its arguments; on success `out` owns what it
 * holds (pl_notify_message_clear frees it). Returns 0, PL_EINVAL (the
 * sink's from is not a plain address), PL_ENOENT (no address to send to)
 * or PL_ENOMEM; on failure `out` is left as it was.
 */
int pl__notify_render_build_email(const pl_notify_sink_t *sink, const char *text,
                                  const pl_recipients_t *rcpt, const char *key, pl_usec_t now,
                                  pl_notify_message_t *out);

#endif
