/*
 * notify_render: what the notifier sends, as pure functions (no I/O, no
 * clock, no globals): the recipients of a notification, its text from the
 * template, the body each kind of sink expects, how a sink's answer is read
 * and how long to wait before the next attempt. Thread-safe.
 */
#ifndef PL_NOTIFY_RENDER_H
#define PL_NOTIFY_RENDER_H

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/notify.h"
#include "config/rules.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One person a notification is for, with the contacts the sinks use
 * (NULL when the directory has none). Strings borrowed from the rules
 * snapshot. */
typedef struct pl_recipient {
    const char *id;
    const char *name;
    const char *email;
    const char *phone;
    const char *wecom;
    const char *dingtalk;
} pl_recipient_t;

typedef struct pl_recipients {
    pl_recipient_t *items;
    size_t count;
} pl_recipients_t;

/*
 * pl_notify_recipients: the people named by `payload` (borrowed): the ids
 * of its "to" array (deadline notifications) or else of its "inform" array
 * (case.created), each a person, a role or a department of the rules'
 * directory, plus its "assignee" for case.created. A person is themself. A
 * role is everybody holding it, narrowed: to the case's assignee when the
 * assignee holds the role, else to the holders whose region equals the
 * payload's "region" when there are any, else all holders. A department is
 * every person in it. Unknown ids are skipped. Each person once, in the
 * order first named. Fills `out` (start from {0}); release with
 * pl_recipients_clear. Returns 0 or PL_ENOMEM.
 */
int pl_notify_recipients(const pl_rules_t *rules, const json_t *payload, pl_recipients_t *out);
void pl_recipients_clear(pl_recipients_t *r);

/*
 * pl_notify_text: the template of `sink` for `topic` (pl_notify_template)
 * with every {{field}} replaced from `payload` (strings as they are,
 * numbers in decimal, due_at as local time "YYYY-MM-DD HH:MM" in
 * the zone of the rules' default calendar, "to" the recipients' names joined with "、", "event" the
 * topic in Chinese words: 新投诉 / 即将超时 / 已超时 / 已升级). A field the
 * payload lacks prints "-". Returns a new string (caller frees) or NULL
 * when out of memory or the topic is unknown.
 */
char *pl_notify_text(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                     const pl_rules_t *rules, const char *topic, const json_t *payload, const pl_recipients_t *rcpt);

/* What one attempt sends. */
typedef struct pl_notify_message {
    char *body;         /* HTTP body (JSON), or the whole RFC 5322 message */
    size_t body_len;
    char **rcpt;        /* email: envelope recipients (addresses), NULL-terminated */
    size_t rcpt_count;
} pl_notify_message_t;

/*
 * pl_notify_build: the message for one delivery of `topic` with `payload`
 * (idempotency key `key`) to `sink`, now = `now` (for the Date header):
 *  - webhook: {"topic","key","text","payload","recipients":[{"id","name"}]}
 *  - wecom:   {"msgtype":"text","text":{"content":TEXT,
 *              "mentioned_list":[recipients' wecom ids]}}
 *  - dingtalk:{"msgtype":"text","text":{"content":TEXT},
 *              "at":{"atMobiles":[recipients' phones],"isAtAll":false}}
 *  - feishu:  {"msg_type":"text","content":{"text":TEXT}}
 *  - email:   From, To (fixed addresses, then recipients' emails when
 *             sink->recipients), Subject ("[Plaint] " + first line of the
 *             text, RFC 2047 UTF-8 base64 encoded-words), Date (RFC 5322),
 *             Message-ID <KEY-HASH@plaint> stable per key, MIME-Version,
 *             Content-Type text/plain; charset=UTF-8,
 *             Content-Transfer-Encoding: base64, CRLF line ends; rcpt the
 *             same addresses, each once. No address at all: PL_ENOENT.
 * Fills `out` (start from {0}); release with pl_notify_message_clear.
 * Returns 0, PL_ENOENT (nobody to send to), PL_EINVAL (unknown topic)
 * or PL_ENOMEM.
 */
int pl_notify_build(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                    const pl_rules_t *rules, const char *topic, const json_t *payload,
                    const char *key, pl_usec_t now, pl_notify_message_t *out);
void pl_notify_message_clear(pl_notify_message_t *m);

typedef enum {
    PL_DELIVERY_OK = 0,        /* delivered */
    PL_DELIVERY_RETRY = 1,     /* failed; worth another attempt */
    PL_DELIVERY_PERMANENT = 2, /* failed; another attempt would fail the same way */
} pl_delivery_outcome_t;

/*
 * pl_notify_judge: reads one HTTP attempt's answer. `http_status` 0 means
 * no answer (transport error: RETRY). 2xx: for wecom and dingtalk the body
 * must be JSON with "errcode" 0, for feishu "code" (or "StatusCode") 0
 * when present; otherwise RETRY for rate limits (wecom 45009, dingtalk
 * 130101, feishu 9499 / 11232) and PERMANENT for other codes. 408, 425,
 * 429 and 5xx: RETRY. Other statuses: PERMANENT. Writes a short reason
 * ("HTTP 500", "errcode 93000: invalid webhook url") to `why` (may be
 * NULL) of `why_size` bytes. `body` may be NULL.
 */
pl_delivery_outcome_t pl_notify_judge(pl_sink_type_t type, long http_status, const char *body,
                                      size_t body_len, char *why, size_t why_size);

/*
 * pl_notify_backoff: the wait before attempt `attempt` + 1 after `attempt`
 * (>= 1) failed attempts: retry_first * 2^(attempt-1), capped at
 * retry_max, then spread by +-20 % using `rand32` (any 32-bit value; the
 * caller's random source). Never below 1 ms.
 */
pl_usec_t pl_notify_backoff(const pl_notify_config_t *cfg, int attempt, uint32_t rand32);

#endif
