/*
 * event: the complaint event model and its validator. An event is what a
 * publisher (CRM, call centre, web shop, bot) or `plaint` submits; the format
 * is documented field by field in docs/events.md.
 *
 * A pl_event_t is immutable once built: it holds the normalized JSON object
 * (defaults filled in, received_at in UTC) and typed views into it.
 * This module never logs: it returns errors and its callers decide.
 */
#ifndef PL_EVENT_H
#define PL_EVENT_H

#include "common/pl_err.h"
#include "common/pl_time.h"

#include <jansson.h>

typedef struct pl_event pl_event_t;

/* Limits, in bytes of UTF-8 unless said otherwise. */
#define PL_EVENT_ID_MAX_SIZE 128
#define PL_EVENT_SOURCE_MAX_SIZE 64
#define PL_EVENT_CONTENT_MAX_SIZE 16384
#define PL_EVENT_REGION_MAX_SIZE 64
#define PL_EVENT_NAME_MAX_SIZE 128
#define PL_EVENT_PHONE_MAX_SIZE 32
#define PL_EVENT_PHONE_MIN_DIGITS 3
#define PL_EVENT_ADDRESS_MAX_SIZE 512
#define PL_EVENT_SPEC_MAX_SIZE 256
#define PL_EVENT_ORDER_NO_MAX_SIZE 64
#define PL_EVENT_QUANTITY_MAX INT64_C(1000000000)
/* Default for pl_event_opts_t.max_future_usec: 5 minutes of clock skew. */
#define PL_EVENT_MAX_FUTURE_DEFAULT (5 * PL_USEC_PER_MIN)
/* received_at earlier than this (2000-01-01T00:00:00Z) is refused. */
#define PL_EVENT_RECEIVED_AT_MIN (INT64_C(946684800) * PL_USEC_PER_SEC)

/*
 * pl_event_default_kinds: the NULL-terminated default list of kinds:
 * complaint, feedback, repair, incident, patrol, comment.
 */
extern const char *const pl_event_default_kinds[];

/* pl_event_channels: the NULL-terminated list of channels (fixed). */
extern const char *const pl_event_channels[];

typedef struct pl_event_opts {
    const char *const *kinds;  /* NULL-terminated list of allowed kinds; NULL = default list */
    pl_usec_t max_future_usec; /* received_at may be at most this far past now; <= 0 = default */
} pl_event_opts_t;

/*
 * pl_event_from_json: validates `obj` as an event (rules in docs/events.md)
 * and builds the event. `now` is the time of receipt: the default
 * received_at and the reference for the future limit. `opts` may be NULL for
 * all defaults. The default kind "complaint" applies only when it is in the
 * allowed list; otherwise kind is required.
 * Borrows `obj` (must outlive the call; it is deep-copied, never modified,
 * and may be released as soon as the call returns). Borrows `opts` and its
 * kinds list likewise.
 * Returns a new object, caller destroys; or NULL with `err` (may be NULL)
 * filled:
 *   PL_EINVAL, field "event" or "event.<dotted path>", reason one of
 *     "missing_field", "wrong_type", "invalid_value", "unknown_field",
 *     "too_long", and a lower-case message naming the field and why
 *     (e.g. "event.content is required"). Messages never quote the values of
 *     customer fields or the content.
 *   PL_ENOMEM, reason "no_memory".
 * The first problem found wins: unknown keys, then the fields in the order
 * event_id, source, kind, channel, received_at, customer, content, product,
 * region, attributes (inside an object likewise: unknown keys first).
 * `err` is not touched on success.
 */
pl_event_t *pl_event_from_json(json_t *obj, pl_usec_t now, const pl_event_opts_t *opts,
                               pl_err_t *err);

/*
 * pl_event_json: the normalized event object: a deep copy of the input with
 * source, kind, channel and received_at always present (defaults filled in)
 * and received_at rewritten as UTC RFC 3339 by pl_time_format_rfc3339.
 * Borrowed: valid while `ev` lives; the caller must not modify it (take a
 * reference with json_incref to keep it longer, json_deep_copy to change it).
 */
json_t *pl_event_json(const pl_event_t *ev);

/*
 * Accessors of the always-present fields. Strings are valid while `ev` lives
 * and never NULL; they contain no NUL byte.
 */
const char *pl_event_id(const pl_event_t *ev);
const char *pl_event_source(const pl_event_t *ev);
const char *pl_event_kind(const pl_event_t *ev);
const char *pl_event_channel(const pl_event_t *ev);
pl_usec_t pl_event_received_at(const pl_event_t *ev);
const char *pl_event_content(const pl_event_t *ev);

/*
 * pl_event_get_string: the string at a dotted `path` in the normalized event
 * ("region", "customer.phone", "product.spec", "attributes.shop.city"), or
 * NULL when the path does not exist, does not end at a string, or the string
 * holds a NUL byte (possible only under attributes). Keys containing '.'
 * cannot be addressed. Valid while `ev` lives.
 */
const char *pl_event_get_string(const pl_event_t *ev, const char *path);

/* pl_event_destroy: frees the event and sets *self_p to NULL. Accepts NULL and *self_p NULL. */
void pl_event_destroy(pl_event_t **self_p);

#endif
