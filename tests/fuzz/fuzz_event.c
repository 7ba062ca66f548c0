/*
 * libFuzzer target for the intake path of one event: pl_json_precheck, then
 * json_loadb, then pl_event_from_json, as the broker runs them.
 *
 * Besides crashes and sanitizer reports it checks these properties, and
 * aborts when one fails:
 *   - whatever jansson parses, pl_json_precheck (without a depth limit)
 *     accepts, except raw NUL bytes: jansson 2.14 silently skips a NUL that
 *     directly follows a number ("[1\0]" parses as [1]), which is one reason
 *     the precheck exists;
 *   - a refusal is PL_EINVAL with a known reason, a field "event[.path]" and
 *     a message that starts with the field;
 *   - an accepted event's normalized object, serialized and parsed again, is
 *     accepted too and normalizes to itself (defaults and received_at are
 *     stable), and its accessors agree with it.
 *
 * Build and run (from the top of the tree):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_event.c \
 *       common/pl_err.c common/pl_time.c common/pl_json.c config/event.c \
 *       $(pkg-config --cflags --libs jansson) -o fuzz_event
 *   ./fuzz_event -max_total_time=60 corpus_dir tests/fuzz/corpus/event
 */
#include "common/pl_err.h"
#include "common/pl_json.h"
#include "common/pl_time.h"
#include "config/event.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The depth limit the broker is expected to use. */
#define FUZZ_MAX_DEPTH 32
/* 2026-11-28T12:00:00Z: a fixed `now` keeps runs reproducible. */
#define FUZZ_NOW INT64_C(1795867200000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_event: property violated: %s\n", what);
        abort();
    }
}

static int s_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void s_check_refusal(const pl_err_t *err)
{
    static const char *const reasons[] = {"missing_field", "wrong_type", "invalid_value",
                                          "unknown_field", "too_long",   NULL};
    s_check(err->code == PL_EINVAL, "refusal code is PL_EINVAL");
    s_check(err->reason != NULL, "refusal has a reason");
    int known = 0;
    for (size_t i = 0; reasons[i]; i++) {
        known |= strcmp(err->reason, reasons[i]) == 0;
    }
    s_check(known, "refusal reason is one of the documented ones");
    s_check(strcmp(err->field, "event") == 0 || s_starts_with(err->field, "event."),
            "refusal field starts with event");
    s_check(s_starts_with(err->message, err->field), "refusal message starts with the field");
    s_check(pl_json_precheck(err->message, strlen(err->message), -1, NULL) == 0,
            "refusal message is valid UTF-8");
}

static void s_check_event(const pl_event_t *ev)
{
    json_t *n = pl_event_json(ev);
    s_check(json_is_object(n), "normalized event is an object");
    s_check(strcmp(pl_event_id(ev), pl_event_get_string(ev, "event_id")) == 0, "event_id");
    s_check(strcmp(pl_event_source(ev), pl_event_get_string(ev, "source")) == 0, "source");
    s_check(strcmp(pl_event_kind(ev), pl_event_get_string(ev, "kind")) == 0, "kind");
    s_check(strcmp(pl_event_channel(ev), pl_event_get_string(ev, "channel")) == 0, "channel");
    s_check(strcmp(pl_event_content(ev), pl_event_get_string(ev, "content")) == 0, "content");
    char when[PL_TIME_RFC3339_SIZE];
    pl_time_format_rfc3339(pl_event_received_at(ev), when, sizeof when);
    s_check(strcmp(when, pl_event_get_string(ev, "received_at")) == 0, "received_at");
    s_check(pl_event_received_at(ev) <= FUZZ_NOW + PL_EVENT_MAX_FUTURE_DEFAULT,
            "received_at not too far in the future");
    (void)pl_event_get_string(ev, "customer.phone");
    (void)pl_event_get_string(ev, "product.spec");
    (void)pl_event_get_string(ev, "attributes.a.b");

    /* Round trip through text: the normalized event is a fixed point. */
    char *text = json_dumps(n, JSON_COMPACT);
    s_check(text != NULL, "normalized event serializes");
    size_t len = strlen(text);
    s_check(pl_json_precheck(text, len, FUZZ_MAX_DEPTH, NULL) == 0,
            "normalized event passes the precheck");
    json_error_t jerr;
    json_t *back = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    s_check(back != NULL, "normalized event parses");
    pl_err_t err;
    pl_err_clear(&err);
    pl_event_t *again = pl_event_from_json(back, FUZZ_NOW, NULL, &err);
    s_check(again != NULL, "normalized event is accepted again");
    s_check(json_equal(pl_event_json(again), n), "normalized event normalizes to itself");
    s_check(pl_event_received_at(again) == pl_event_received_at(ev), "received_at is stable");
    pl_event_destroy(&again);
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    pl_err_t err;
    pl_err_clear(&err);
    int pre = pl_json_precheck(buf, size, FUZZ_MAX_DEPTH, &err);
    pl_err_t unlimited_err;
    pl_err_clear(&unlimited_err);
    int pre_unlimited = pl_json_precheck(buf, size, -1, &unlimited_err);
    if (pre != 0) {
        s_check(err.code == PL_EINVAL && err.reason != NULL, "precheck refusal is filled");
    }

    json_error_t jerr;
    json_t *root = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &jerr);
    if (root && pre_unlimited != 0) {
        s_check(strcmp(unlimited_err.reason, "nul_byte") == 0 && memchr(buf, 0, size) != NULL,
                "precheck accepts what jansson parses, raw NUL bytes aside");
    }
    if (pre != 0 || !root) {
        json_decref(root);
        return 0;
    }

    pl_err_clear(&err);
    pl_event_t *ev = pl_event_from_json(root, FUZZ_NOW, NULL, &err);
    if (ev) {
        s_check(err.code == 0, "err untouched on success");
        s_check_event(ev);
        pl_event_destroy(&ev);
    } else {
        s_check_refusal(&err);
    }
    json_decref(root);
    return 0;
}
