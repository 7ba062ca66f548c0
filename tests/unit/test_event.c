/*
 * Unit tests for config/event: every validation rule, the field and reason
 * of every refusal, defaults and normalization, accessors, and allocation
 * failure inside jansson.
 * Run one test with: test_event <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "common/pl_json.h"
#include "common/pl_time.h"
#include "config/event.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-11-28T12:00:00Z, the time every test receives its events at. */
#define NOW INT64_C(1795867200000000)

/* The two required fields, to build whole requests from string literals. */
#define BASE "\"event_id\":\"e-1\",\"content\":\"收到的洗衣机漏水\""
#define EV(rest) "{" BASE rest "}"

static json_t *s_load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        fail_msg("test JSON does not parse: %s: %s", text, jerr.text);
    }
    return v;
}

/* A minimal valid event object. */
static json_t *s_base(void)
{
    return s_load("{" BASE "}");
}

/*
 * Sets the value at a dotted path in `obj`, creating objects on the way;
 * takes ownership of `value`; a NULL value deletes the key.
 */
static void s_set_path(json_t *obj, const char *path, json_t *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *key = buf;
    char *dot;
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = '\0';
        json_t *next = json_object_get(obj, key);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(obj, key, next);
        }
        obj = next;
        key = dot + 1;
    }
    if (value) {
        json_object_set_new(obj, key, value);
    } else {
        json_object_del(obj, key);
    }
}

/* A string of `n` bytes made of repetitions of `unit` (n a multiple of its length). */
static json_t *s_repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i += u) {
        memcpy(s + i, unit, u);
    }
    s[n] = '\0';
    json_t *v = json_stringn(s, n);
    free(s);
    assert_non_null(v);
    return v;
}

/*
 * Checks a refusal: NULL result, PL_EINVAL, the field and reason, a message
 * that starts with the field name and (if given) equals `message`, and never
 * contains `secret`.
 */
static void s_expect_refusal(const char *what, json_t *obj, const pl_event_opts_t *opts,
                             const char *field, const char *reason, const char *message,
                             const char *secret)
{
    pl_err_t err;
    pl_err_clear(&err);
    pl_event_t *ev = pl_event_from_json(obj, NOW, opts, &err);
    if (ev) {
        pl_event_destroy(&ev);
        fail_msg("[%s] accepted, expected %s %s", what, field, reason);
    }
    if (err.code != PL_EINVAL) {
        fail_msg("[%s] code %d, expected PL_EINVAL", what, err.code);
    }
    if (strcmp(err.field, field) != 0) {
        fail_msg("[%s] field \"%s\", expected \"%s\" (%s)", what, err.field, field, err.message);
    }
    if (!err.reason || strcmp(err.reason, reason) != 0) {
        fail_msg("[%s] reason %s, expected %s (%s)", what, err.reason ? err.reason : "(null)",
                 reason, err.message);
    }
    if (strncmp(err.message, field, strlen(field)) != 0) {
        fail_msg("[%s] message \"%s\" does not start with the field", what, err.message);
    }
    if (message && strcmp(err.message, message) != 0) {
        fail_msg("[%s] message \"%s\", expected \"%s\"", what, err.message, message);
    }
    if (secret && strstr(err.message, secret)) {
        fail_msg("[%s] message \"%s\" quotes the value", what, err.message);
    }
    /* The same refusal without an error record. */
    assert_null(pl_event_from_json(obj, NOW, opts, NULL));
}

static pl_event_t *s_expect_event(const char *what, json_t *obj, const pl_event_opts_t *opts)
{
    pl_err_t err;
    pl_err_clear(&err);
    pl_event_t *ev = pl_event_from_json(obj, NOW, opts, &err);
    if (!ev) {
        fail_msg("[%s] refused: %s: %s (%s)", what, err.field, err.message,
                 err.reason ? err.reason : "?");
    }
    if (err.code != 0 || err.reason != NULL || err.message[0] != '\0') {
        fail_msg("[%s] err touched on success", what);
    }
    return ev;
}

/* ---------------------------------------------------------------- refusal table */

typedef struct {
    const char *json;
    const char *field;
    const char *reason;
    const char *message; /* exact, or NULL */
} refusal_t;

static const refusal_t s_refusals[] = {
    /* the event itself */
    {"[]", "event", "wrong_type", "event must be an object, not an array"},
    {"\"event\"", "event", "wrong_type", "event must be an object, not a string"},
    {"42", "event", "wrong_type", "event must be an object, not an integer"},
    {"4.2", "event", "wrong_type", "event must be an object, not a real"},
    {"null", "event", "wrong_type", "event must be an object, not null"},
    {"true", "event", "wrong_type", "event must be an object, not true"},
    {"[{\"event_id\":\"e-1\"}]", "event", "wrong_type", NULL},

    /* event_id */
    {"{\"content\":\"x\"}", "event.event_id", "missing_field", "event.event_id is required"},
    {"{}", "event.event_id", "missing_field", "event.event_id is required"},
    {"{\"event_id\":7,\"content\":\"x\"}", "event.event_id", "wrong_type",
     "event.event_id must be a string, not an integer"},
    {"{\"event_id\":null,\"content\":\"x\"}", "event.event_id", "wrong_type",
     "event.event_id must be a string, not null"},
    {"{\"event_id\":[\"e\"],\"content\":\"x\"}", "event.event_id", "wrong_type",
     "event.event_id must be a string, not an array"},
    {"{\"event_id\":{},\"content\":\"x\"}", "event.event_id", "wrong_type", NULL},
    {"{\"event_id\":false,\"content\":\"x\"}", "event.event_id", "wrong_type",
     "event.event_id must be a string, not false"},
    {"{\"event_id\":\"\",\"content\":\"x\"}", "event.event_id", "invalid_value",
     "event.event_id must not be empty"},
    {"{\"event_id\":\"a\\nb\",\"content\":\"x\"}", "event.event_id", "invalid_value",
     "event.event_id must not contain control characters"},
    {"{\"event_id\":\"a\\tb\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},
    {"{\"event_id\":\"a\\rb\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},
    {"{\"event_id\":\"\\u0001\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},
    {"{\"event_id\":\"a\\u001f\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},
    {"{\"event_id\":\"a\\u007f\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},
    {"{\"event_id\":\"a\\u0085\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},
    {"{\"event_id\":\"a\\u009f\",\"content\":\"x\"}", "event.event_id", "invalid_value", NULL},

    /* source */
    {EV(",\"source\":\"\""), "event.source", "invalid_value", "event.source must not be empty"},
    {EV(",\"source\":\"crm prod\""), "event.source", "invalid_value",
     "event.source may contain only letters, digits and . _ : / @ -"},
    {EV(",\"source\":\"客服系统\""), "event.source", "invalid_value", NULL},
    {EV(",\"source\":\"crm#1\""), "event.source", "invalid_value", NULL},
    {EV(",\"source\":\"crm\\n\""), "event.source", "invalid_value", NULL},
    {EV(",\"source\":\"a+b\""), "event.source", "invalid_value", NULL},
    {EV(",\"source\":5"), "event.source", "wrong_type",
     "event.source must be a string, not an integer"},
    {EV(",\"source\":null"), "event.source", "wrong_type", NULL},

    /* kind */
    {EV(",\"kind\":\"Complaint\""), "event.kind", "invalid_value",
     "event.kind must be one of complaint, feedback, repair, incident, patrol, comment"},
    {EV(",\"kind\":\"\""), "event.kind", "invalid_value", NULL},
    {EV(",\"kind\":\"complaint \""), "event.kind", "invalid_value", NULL},
    {EV(",\"kind\":\"投诉\""), "event.kind", "invalid_value", NULL},
    {EV(",\"kind\":1"), "event.kind", "wrong_type", "event.kind must be a string, not an integer"},
    {EV(",\"kind\":[\"complaint\"]"), "event.kind", "wrong_type", NULL},

    /* channel */
    {EV(",\"channel\":\"telephone\""), "event.channel", "invalid_value",
     "event.channel must be one of phone, fax, email, visit, oral, web, system"},
    {EV(",\"channel\":\"PHONE\""), "event.channel", "invalid_value", NULL},
    {EV(",\"channel\":\"\""), "event.channel", "invalid_value", NULL},
    {EV(",\"channel\":\"wechat\""), "event.channel", "invalid_value", NULL},
    {EV(",\"channel\":true"), "event.channel", "wrong_type",
     "event.channel must be a string, not true"},

    /* received_at */
    {EV(",\"received_at\":\"yesterday\""), "event.received_at", "invalid_value",
     "event.received_at must be an RFC 3339 time such as 2026-11-28T12:00:00+08:00"},
    {EV(",\"received_at\":\"2026-11-28T12:00:00\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"2026-11-28\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"2026-02-29T12:00:00Z\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"2026-11-28T12:00:60Z\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"1999-12-31T23:59:59.999999Z\""), "event.received_at", "invalid_value",
     "event.received_at must not be before 2000-01-01"},
    {EV(",\"received_at\":\"2000-01-01T07:59:59+08:00\""), "event.received_at", "invalid_value",
     "event.received_at must not be before 2000-01-01"},
    {EV(",\"received_at\":\"1970-01-01T00:00:00Z\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"2026-11-28T12:05:00.000001Z\""), "event.received_at", "invalid_value",
     "event.received_at must not be more than 5 minutes in the future"},
    {EV(",\"received_at\":\"2026-11-28T20:05:01+08:00\""), "event.received_at", "invalid_value",
     NULL},
    {EV(",\"received_at\":\"2027-01-01T00:00:00Z\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":\"9999-12-31T23:59:59Z\""), "event.received_at", "invalid_value", NULL},
    {EV(",\"received_at\":1795867200"), "event.received_at", "wrong_type",
     "event.received_at must be a string, not an integer"},
    {EV(",\"received_at\":1795867200.5"), "event.received_at", "wrong_type",
     "event.received_at must be a string, not a real"},

    /* customer */
    {EV(",\"customer\":\"张三\""), "event.customer", "wrong_type",
     "event.customer must be an object, not a string"},
    {EV(",\"customer\":[]"), "event.customer", "wrong_type",
     "event.customer must be an object, not an array"},
    {EV(",\"customer\":null"), "event.customer", "wrong_type", NULL},
    {EV(",\"customer\":{\"email\":\"a@b.c\"}"), "event.customer.email", "unknown_field",
     "event.customer.email is not a known field; put free-form data under event.attributes"},
    {EV(",\"customer\":{\"nmae\":\"张三\"}"), "event.customer.nmae", "unknown_field",
     "event.customer.nmae is not a known field (did you mean name?); "
     "put free-form data under event.attributes"},
    {EV(",\"customer\":{\"name\":1}"), "event.customer.name", "wrong_type",
     "event.customer.name must be a string, not an integer"},
    {EV(",\"customer\":{\"name\":\"张\\n三\"}"), "event.customer.name", "invalid_value",
     "event.customer.name must not contain control characters"},
    {EV(",\"customer\":{\"name\":\"张三\\t\"}"), "event.customer.name", "invalid_value", NULL},
    {EV(",\"customer\":{\"phone\":13800138000}"), "event.customer.phone", "wrong_type",
     "event.customer.phone must be a string, not an integer"},
    {EV(",\"customer\":{\"phone\":\"12\"}"), "event.customer.phone", "invalid_value",
     "event.customer.phone must contain at least 3 digits"},
    {EV(",\"customer\":{\"phone\":\"\"}"), "event.customer.phone", "invalid_value",
     "event.customer.phone must contain at least 3 digits"},
    {EV(",\"customer\":{\"phone\":\"+(1)-\"}"), "event.customer.phone", "invalid_value",
     "event.customer.phone must contain at least 3 digits"},
    {EV(",\"customer\":{\"phone\":\"138-0013-800x\"}"), "event.customer.phone", "invalid_value",
     "event.customer.phone may contain only digits, spaces and + - ( )"},
    {EV(",\"customer\":{\"phone\":\"138.0013.8000\"}"), "event.customer.phone", "invalid_value",
     NULL},
    {EV(",\"customer\":{\"phone\":\"１３８\"}"), "event.customer.phone", "invalid_value", NULL},
    {EV(",\"customer\":{\"phone\":\"138\\t0013\"}"), "event.customer.phone", "invalid_value", NULL},
    {EV(",\"customer\":{\"phone\":\"ext. 123\"}"), "event.customer.phone", "invalid_value", NULL},
    {EV(",\"customer\":{\"address\":[\"北京\"]}"), "event.customer.address", "wrong_type",
     "event.customer.address must be a string, not an array"},
    {EV(",\"customer\":{\"address\":\"北京\\u0007\"}"), "event.customer.address", "invalid_value",
     "event.customer.address must not contain control characters other than tab and newline"},
    {EV(",\"customer\":{\"address\":\"北京\\u000b\"}"), "event.customer.address", "invalid_value",
     NULL},
    {EV(",\"customer\":{\"address\":\"北京\\u007f\"}"), "event.customer.address", "invalid_value",
     NULL},
    /* unknown keys are reported before a bad known key */
    {EV(",\"customer\":{\"name\":1,\"mail\":\"x\"}"), "event.customer.mail", "unknown_field", NULL},

    /* content */
    {"{\"event_id\":\"e-1\"}", "event.content", "missing_field", "event.content is required"},
    {"{\"event_id\":\"e-1\",\"content\":null}", "event.content", "wrong_type",
     "event.content must be a string, not null"},
    {"{\"event_id\":\"e-1\",\"content\":42}", "event.content", "wrong_type", NULL},
    {"{\"event_id\":\"e-1\",\"content\":{\"text\":\"漏水\"}}", "event.content", "wrong_type",
     "event.content must be a string, not an object"},
    {"{\"event_id\":\"e-1\",\"content\":\"\"}", "event.content", "invalid_value",
     "event.content must not be empty or only whitespace"},
    {"{\"event_id\":\"e-1\",\"content\":\"   \"}", "event.content", "invalid_value",
     "event.content must not be empty or only whitespace"},
    {"{\"event_id\":\"e-1\",\"content\":\" \\n\\t\\r\\n \"}", "event.content", "invalid_value",
     NULL},
    {"{\"event_id\":\"e-1\",\"content\":\"\\u3000\\u3000\"}", "event.content", "invalid_value",
     NULL},
    {"{\"event_id\":\"e-1\",\"content\":\"\\u00a0\\u2003\\u200b\\ufeff\"}", "event.content",
     "invalid_value", NULL},
    {"{\"event_id\":\"e-1\",\"content\":\"漏水\\u0007\"}", "event.content", "invalid_value",
     "event.content must not contain control characters other than tab and newline"},
    {"{\"event_id\":\"e-1\",\"content\":\"漏水\\u001b[31m\"}", "event.content", "invalid_value",
     NULL},
    {"{\"event_id\":\"e-1\",\"content\":\"漏水\\u007f\"}", "event.content", "invalid_value", NULL},
    {"{\"event_id\":\"e-1\",\"content\":\"漏水\\u0080\"}", "event.content", "invalid_value", NULL},
    {"{\"event_id\":\"e-1\",\"content\":\"\\f\"}", "event.content", "invalid_value", NULL},

    /* product */
    {EV(",\"product\":\"洗衣机\""), "event.product", "wrong_type",
     "event.product must be an object, not a string"},
    {EV(",\"product\":{\"price\":100}"), "event.product.price", "unknown_field",
     "event.product.price is not a known field; put free-form data under event.attributes"},
    {EV(",\"product\":{\"sku\":\"X1\"}"), "event.product.sku", "unknown_field", NULL},
    {EV(",\"product\":{\"spec\":5}"), "event.product.spec", "wrong_type",
     "event.product.spec must be a string, not an integer"},
    {EV(",\"product\":{\"spec\":\"XQG\\n100\"}"), "event.product.spec", "invalid_value", NULL},
    {EV(",\"product\":{\"order_no\":12345}"), "event.product.order_no", "wrong_type", NULL},
    {EV(",\"product\":{\"quantity\":1.0}"), "event.product.quantity", "wrong_type",
     "event.product.quantity must be an integer, not a real"},
    {EV(",\"product\":{\"quantity\":2.5}"), "event.product.quantity", "wrong_type", NULL},
    {EV(",\"product\":{\"quantity\":1e3}"), "event.product.quantity", "wrong_type", NULL},
    {EV(",\"product\":{\"quantity\":\"3\"}"), "event.product.quantity", "wrong_type",
     "event.product.quantity must be an integer, not a string"},
    {EV(",\"product\":{\"quantity\":-1}"), "event.product.quantity", "invalid_value",
     "event.product.quantity must be between 0 and 1000000000"},
    {EV(",\"product\":{\"quantity\":1000000001}"), "event.product.quantity", "invalid_value", NULL},
    {EV(",\"product\":{\"quantity\":9223372036854775807}"), "event.product.quantity",
     "invalid_value", NULL},
    {EV(",\"product\":{\"quantity\":-9223372036854775808}"), "event.product.quantity",
     "invalid_value", NULL},
    {EV(",\"product\":{\"ship_date\":\"2026-02-30\"}"), "event.product.ship_date", "invalid_value",
     "event.product.ship_date must be a date such as 2026-11-28"},
    {EV(",\"product\":{\"ship_date\":\"2026-11-28T00:00:00Z\"}"), "event.product.ship_date",
     "invalid_value", NULL},
    {EV(",\"product\":{\"ship_date\":\"2026/11/28\"}"), "event.product.ship_date", "invalid_value",
     NULL},
    {EV(",\"product\":{\"ship_date\":\"\"}"), "event.product.ship_date", "invalid_value", NULL},
    {EV(",\"product\":{\"ship_date\":20261128}"), "event.product.ship_date", "wrong_type", NULL},

    /* region */
    {EV(",\"region\":310000"), "event.region", "wrong_type",
     "event.region must be a string, not an integer"},
    {EV(",\"region\":\"上海\\n\""), "event.region", "invalid_value",
     "event.region must not contain control characters"},

    /* attributes */
    {EV(",\"attributes\":[]"), "event.attributes", "wrong_type",
     "event.attributes must be an object, not an array"},
    {EV(",\"attributes\":\"vip\""), "event.attributes", "wrong_type", NULL},
    {EV(",\"attributes\":null"), "event.attributes", "wrong_type", NULL},

    /* unknown top-level keys */
    {EV(",\"priority\":1"), "event.priority", "unknown_field",
     "event.priority is not a known field; put free-form data under event.attributes"},
    {"{\"event_id\":\"e-1\",\"contnet\":\"漏水\"}", "event.contnet", "unknown_field",
     "event.contnet is not a known field (did you mean content?); "
     "put free-form data under event.attributes"},
    {EV(",\"chanel\":\"fax\""), "event.chanel", "unknown_field",
     "event.chanel is not a known field (did you mean channel?); "
     "put free-form data under event.attributes"},
    {EV(",\"recieved_at\":\"2026-11-28T12:00:00Z\""), "event.recieved_at", "unknown_field", NULL},
    {EV(",\"phone\":\"13800138000\""), "event.phone", "unknown_field", NULL},
    {EV(",\"Event_ID\":\"x\""), "event.Event_ID", "unknown_field", NULL},
    {EV(",\"a\\nb\":1"), "event.a?b", "unknown_field", NULL},
    {EV(",\"a\\u001b[2J\":1"), "event.a?[2J", "unknown_field", NULL},
    {EV(",\"\":1"), "event.\"\"", "unknown_field", NULL},
    {EV(",\"客户\":1"), "event.客户", "unknown_field", NULL},

    /* order: unknown keys first, then the table order */
    {"{\"foo\":1}", "event.foo", "unknown_field", NULL},
    {"{\"content\":1,\"event_id\":2}", "event.event_id", "wrong_type", NULL},
    {"{\"event_id\":\"e\",\"content\":\"\",\"channel\":\"x\"}", "event.channel", "invalid_value",
     NULL},
    {"{\"event_id\":\"e\",\"region\":1,\"customer\":{\"phone\":\"1\"}}", "event.customer.phone",
     "invalid_value", NULL},
};

static void test_refusal_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(s_refusals); i++) {
        const refusal_t *r = &s_refusals[i];
        json_t *obj = s_load(r->json);
        char what[32];
        snprintf(what, sizeof what, "refusal %zu", i);
        s_expect_refusal(what, obj, NULL, r->field, r->reason, r->message, NULL);
        json_decref(obj);
    }
}

/* ---------------------------------------------------------------- lengths */

typedef struct {
    const char *path; /* below "event." */
    const char *unit; /* repeated to build the value */
    size_t size;      /* bytes */
    size_t max;       /* the limit: larger sizes are refused as too_long */
} length_case_t;

static const length_case_t s_lengths[] = {
    {"event_id", "a", 1, 128},
    {"event_id", "a", 128, 128},
    {"event_id", "a", 129, 128},
    {"event_id", "号", 126, 128},
    {"event_id", "号", 129, 128},
    {"event_id", "a", 100000, 128},
    {"source", "a", 1, 64},
    {"source", "a", 64, 64},
    {"source", "a", 65, 64},
    {"content", "x", 1, 16384},
    {"content", "x", 16384, 16384},
    {"content", "x", 16385, 16384},
    {"content", "漏", 16383, 16384},
    {"content", "漏", 16386, 16384},
    {"content", " ", 16385, 16384}, /* too long is reported before blank */
    {"region", "a", 0, 64},
    {"region", "a", 64, 64},
    {"region", "a", 65, 64},
    {"region", "沪", 63, 64},
    {"region", "沪", 66, 64},
    {"customer.name", "a", 0, 128},
    {"customer.name", "a", 128, 128},
    {"customer.name", "a", 129, 128},
    {"customer.name", "张", 126, 128},
    {"customer.name", "张", 129, 128},
    {"customer.phone", "8", 3, 32},
    {"customer.phone", "1", 32, 32},
    {"customer.phone", "1", 33, 32},
    {"customer.address", "a", 0, 512},
    {"customer.address", "a", 512, 512},
    {"customer.address", "a", 513, 512},
    {"customer.address", "路", 510, 512},
    {"customer.address", "路", 513, 512},
    {"product.spec", "a", 0, 256},
    {"product.spec", "a", 256, 256},
    {"product.spec", "a", 257, 256},
    {"product.order_no", "A", 0, 64},
    {"product.order_no", "A", 64, 64},
    {"product.order_no", "A", 65, 64},
};

static void test_length_limits(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(s_lengths); i++) {
        const length_case_t *c = &s_lengths[i];
        json_t *obj = s_base();
        s_set_path(obj, c->path, c->size ? s_repeat(c->unit, c->size) : json_string(""));
        char what[96];
        snprintf(what, sizeof what, "%s with %zu bytes", c->path, c->size);
        if (c->size > c->max) {
            char field[64], message[256];
            snprintf(field, sizeof field, "event.%s", c->path);
            snprintf(message, sizeof message, "%s is too long: %zu bytes, at most %zu", field,
                     c->size, c->max);
            s_expect_refusal(what, obj, NULL, field, "too_long", message, NULL);
        } else {
            pl_event_t *ev = s_expect_event(what, obj, NULL);
            pl_event_destroy(&ev);
        }
        json_decref(obj);
    }
}

/* ---------------------------------------------------------------- accepted values */

static void test_accepted_values(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{" BASE "}",
        EV(",\"source\":\"crm.prod:eu-1/api@host_2\""),
        EV(",\"source\":\"unknown\""),
        EV(",\"kind\":\"complaint\""),
        EV(",\"kind\":\"feedback\""),
        EV(",\"kind\":\"repair\""),
        EV(",\"kind\":\"incident\""),
        EV(",\"kind\":\"patrol\""),
        EV(",\"kind\":\"comment\""),
        EV(",\"channel\":\"phone\""),
        EV(",\"channel\":\"fax\""),
        EV(",\"channel\":\"email\""),
        EV(",\"channel\":\"visit\""),
        EV(",\"channel\":\"oral\""),
        EV(",\"channel\":\"web\""),
        EV(",\"channel\":\"system\""),
        EV(",\"received_at\":\"2000-01-01T00:00:00Z\""),
        EV(",\"received_at\":\"2000-01-01T08:00:00+08:00\""),
        EV(",\"received_at\":\"2026-11-28T12:05:00Z\""),
        EV(",\"received_at\":\"2026-11-28T20:05:00+08:00\""),
        EV(",\"received_at\":\"2026-11-28T12:04:59.999999999Z\""),
        EV(",\"received_at\":\"2026-11-28 10:00:00z\""),
        EV(",\"customer\":{}"),
        EV(",\"customer\":{\"name\":\"张三\",\"phone\":\"13800138000\",\"address\":\"北京市\"}"),
        EV(",\"customer\":{\"phone\":\"+86 (10) 8888-6666\"}"),
        EV(",\"customer\":{\"phone\":\"110\"}"),
        EV(",\"customer\":{\"address\":\"北京市朝阳区\\n某某路 1 号\\r\\n\\t3 单元\"}"),
        EV(",\"customer\":{\"name\":\"\"}"),
        EV(",\"product\":{}"),
        EV(",\"product\":{\"spec\":\"XQG100-B1\",\"order_no\":\"SO-2026-0001\","
           "\"quantity\":2,\"ship_date\":\"2026-11-20\"}"),
        EV(",\"product\":{\"quantity\":0}"),
        EV(",\"product\":{\"quantity\":1000000000}"),
        EV(",\"product\":{\"ship_date\":\"2024-02-29\"}"),
        EV(",\"region\":\"\""),
        EV(",\"region\":\"上海市浦东新区\""),
        EV(",\"attributes\":{}"),
        EV(",\"attributes\":{\"vip\":true,\"score\":4.5,\"tags\":[1,\"a\",null],"
           "\"deep\":{\"x\":{\"y\":[{}]}},\"ctl\":\"\\u0001\"}"),
        "{\"event_id\":\"e-1\",\"content\":\"漏水\\n第二行\\t制表\\r\\n\"}",
        "{\"event_id\":\"e-1\",\"content\":\"  漏水  \"}",
        "{\"event_id\":\"e-1\",\"content\":\"\\u3000漏水\"}",
        "{\"event_id\":\"e-1\",\"content\":\".\"}",
        "{\"event_id\":\" e 1 \",\"content\":\"x\"}",
        "{\"event_id\":\"订单-1\",\"content\":\"x\"}",
        "{\"event_id\":\"e\\u00a0x\",\"content\":\"x\"}",
        "{\"event_id\":\"e-1\",\"content\":\"\\ud83d\\ude00\"}",
        "{\"content\":\"x\",\"event_id\":\"e-1\"}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        json_t *obj = s_load(ok[i]);
        pl_event_t *ev = s_expect_event(ok[i], obj, NULL);
        pl_event_destroy(&ev);
        assert_null(ev);
        json_decref(obj);
    }
}

/* ---------------------------------------------------------------- normalization */

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "(absent)";
}

static void test_defaults_filled(void **state)
{
    (void)state;
    json_t *obj = s_base();
    pl_event_t *ev = s_expect_event("defaults", obj, NULL);
    json_t *n = pl_event_json(ev);
    assert_string_equal(s_str(n, "event_id"), "e-1");
    assert_string_equal(s_str(n, "source"), "unknown");
    assert_string_equal(s_str(n, "kind"), "complaint");
    assert_string_equal(s_str(n, "channel"), "system");
    assert_string_equal(s_str(n, "received_at"), "2026-11-28T12:00:00Z");
    assert_string_equal(s_str(n, "content"), "收到的洗衣机漏水");
    assert_int_equal(json_object_size(n), 6);
    assert_string_equal(pl_event_id(ev), "e-1");
    assert_string_equal(pl_event_source(ev), "unknown");
    assert_string_equal(pl_event_kind(ev), "complaint");
    assert_string_equal(pl_event_channel(ev), "system");
    assert_string_equal(pl_event_content(ev), "收到的洗衣机漏水");
    assert_true(pl_event_received_at(ev) == NOW);
    /* The input is untouched. */
    assert_int_equal(json_object_size(obj), 2);
    assert_null(json_object_get(obj, "received_at"));
    assert_int_equal(obj->refcount, 1);
    assert_true(n != obj);
    pl_event_destroy(&ev);
    json_decref(obj);
}

static void test_received_at_normalized(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
        pl_usec_t t;
    } cases[] = {
        {"2026-11-28T20:00:00+08:00", "2026-11-28T12:00:00Z", NOW},
        {"2026-11-28t12:00:00z", "2026-11-28T12:00:00Z", NOW},
        {"2026-11-28 04:00:00-08:00", "2026-11-28T12:00:00Z", NOW},
        {"2026-11-28T20:00:00.5+08:00", "2026-11-28T12:00:00.500000Z", NOW + 500000},
        {"2026-11-28T11:59:59.123456789Z", "2026-11-28T11:59:59.123456Z", NOW - 876544},
        {"2026-11-29T01:30:00+14:00", "2026-11-28T11:30:00Z", NOW - 30 * PL_USEC_PER_MIN},
        {"2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z", INT64_C(946684800000000)},
        {"2026-11-28T12:05:00Z", "2026-11-28T12:05:00Z", NOW + 5 * PL_USEC_PER_MIN},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *obj = s_base();
        s_set_path(obj, "received_at", json_string(cases[i].in));
        pl_event_t *ev = s_expect_event(cases[i].in, obj, NULL);
        assert_string_equal(s_str(pl_event_json(ev), "received_at"), cases[i].out);
        if (pl_event_received_at(ev) != cases[i].t) {
            fail_msg("%s -> %" PRId64 ", expected %" PRId64, cases[i].in, pl_event_received_at(ev),
                     cases[i].t);
        }
        /* The input keeps what the publisher sent. */
        assert_string_equal(s_str(obj, "received_at"), cases[i].in);
        pl_event_destroy(&ev);
        json_decref(obj);
    }
}

static void test_now_with_microseconds(void **state)
{
    (void)state;
    json_t *obj = s_base();
    pl_event_t *ev = pl_event_from_json(obj, NOW + 123456, NULL, NULL);
    assert_non_null(ev);
    assert_string_equal(s_str(pl_event_json(ev), "received_at"), "2026-11-28T12:00:00.123456Z");
    assert_true(pl_event_received_at(ev) == NOW + 123456);
    pl_event_destroy(&ev);
    json_decref(obj);
}

/* The default received_at is `now` even when `now` itself is before 2000. */
static void test_default_received_at_not_checked(void **state)
{
    (void)state;
    json_t *obj = s_base();
    pl_event_t *ev = pl_event_from_json(obj, 0, NULL, NULL);
    assert_non_null(ev);
    assert_string_equal(s_str(pl_event_json(ev), "received_at"), "1970-01-01T00:00:00Z");
    pl_event_destroy(&ev);
    json_decref(obj);
}

static void test_given_values_kept(void **state)
{
    (void)state;
    json_t *obj = s_load("{\"event_id\":\"crm-889\",\"source\":\"crm.prod\",\"kind\":\"repair\","
                         "\"channel\":\"phone\",\"content\":\"漏水\",\"region\":\"上海\","
                         "\"customer\":{\"name\":\"张三\",\"phone\":\"138 0013 8000\"},"
                         "\"product\":{\"spec\":\"XQG100\",\"quantity\":1},"
                         "\"attributes\":{\"shop\":{\"city\":\"上海\",\"n\":3}}}");
    pl_event_t *ev = s_expect_event("given", obj, NULL);
    assert_string_equal(pl_event_id(ev), "crm-889");
    assert_string_equal(pl_event_source(ev), "crm.prod");
    assert_string_equal(pl_event_kind(ev), "repair");
    assert_string_equal(pl_event_channel(ev), "phone");
    assert_string_equal(pl_event_content(ev), "漏水");
    /* Everything given is kept, nothing else is added but received_at. */
    json_t *n = pl_event_json(ev);
    assert_int_equal(json_object_size(n), json_object_size(obj) + 1);
    json_t *copy = json_deep_copy(n);
    json_object_del(copy, "received_at");
    assert_true(json_equal(copy, obj));
    json_decref(copy);
    pl_event_destroy(&ev);
    json_decref(obj);
}

/* The event owns a deep copy: the caller may change or release its object at once. */
static void test_deep_copy_and_borrow(void **state)
{
    (void)state;
    json_t *obj = s_load(EV(",\"customer\":{\"phone\":\"13800138000\"}"));
    pl_event_t *ev = s_expect_event("copy", obj, NULL);
    json_object_set_new(json_object_get(obj, "customer"), "phone", json_string("999"));
    json_object_set_new(obj, "content", json_string("changed"));
    assert_string_equal(pl_event_get_string(ev, "customer.phone"), "13800138000");
    assert_string_equal(pl_event_content(ev), "收到的洗衣机漏水");
    json_decref(obj);
    /* Still valid after the input is gone (ASan would see a use after free). */
    assert_string_equal(pl_event_id(ev), "e-1");
    assert_string_equal(pl_event_get_string(ev, "customer.phone"), "13800138000");
    pl_event_destroy(&ev);
}

/* The normalized object is itself a valid event that normalizes to itself. */
static void test_normalized_is_fixed_point(void **state)
{
    (void)state;
    json_t *obj = s_load(EV(",\"received_at\":\"2026-11-28T19:59:59.25+08:00\","
                            "\"customer\":{\"name\":\"张三\"},\"attributes\":{\"a\":[1]}"));
    pl_event_t *ev = s_expect_event("first", obj, NULL);
    pl_event_t *again = s_expect_event("second", pl_event_json(ev), NULL);
    assert_true(json_equal(pl_event_json(ev), pl_event_json(again)));
    assert_true(pl_event_received_at(ev) == pl_event_received_at(again));
    pl_event_destroy(&again);
    pl_event_destroy(&ev);
    json_decref(obj);
}

/* ---------------------------------------------------------------- options */

static void test_opts_kinds(void **state)
{
    (void)state;
    static const char *const kinds[] = {"repair", "visit", NULL};
    static const char *const with_default[] = {"complaint", "praise", NULL};
    static const char *const none[] = {NULL};
    pl_event_opts_t opts = {.kinds = kinds};

    json_t *obj = s_load(EV(",\"kind\":\"visit\""));
    pl_event_t *ev = s_expect_event("custom kind", obj, &opts);
    assert_string_equal(pl_event_kind(ev), "visit");
    pl_event_destroy(&ev);
    json_decref(obj);

    obj = s_load(EV(",\"kind\":\"complaint\""));
    s_expect_refusal("default kind not listed", obj, &opts, "event.kind", "invalid_value",
                     "event.kind must be one of repair, visit", NULL);
    json_decref(obj);

    /* Absent kind: the default complaint is not allowed here, so kind is required. */
    obj = s_base();
    s_expect_refusal("absent kind", obj, &opts, "event.kind", "missing_field",
                     "event.kind is required here (the default complaint is not allowed): "
                     "use one of repair, visit",
                     NULL);
    opts.kinds = with_default;
    ev = s_expect_event("default listed", obj, &opts);
    assert_string_equal(pl_event_kind(ev), "complaint");
    pl_event_destroy(&ev);
    opts.kinds = none;
    s_expect_refusal("no kinds", obj, &opts, "event.kind", "missing_field", NULL, NULL);
    json_decref(obj);

    obj = s_load(EV(",\"kind\":\"praise\""));
    opts.kinds = with_default;
    ev = s_expect_event("praise", obj, &opts);
    pl_event_destroy(&ev);
    s_expect_refusal("praise not default", obj, NULL, "event.kind", "invalid_value", NULL, NULL);
    json_decref(obj);
}

static void test_opts_long_kind_list(void **state)
{
    (void)state;
    static char names[40][24];
    const char *kinds[41];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "kind_number_%02d", i);
        kinds[i] = names[i];
    }
    kinds[40] = NULL;
    pl_event_opts_t opts = {.kinds = kinds};
    json_t *obj = s_load(EV(",\"kind\":\"other\""));
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_event_from_json(obj, NOW, &opts, &err));
    assert_string_equal(err.reason, "invalid_value");
    /* The list is cut cleanly rather than overflowing the message. */
    assert_non_null(strstr(err.message, "kind_number_00, kind_number_01"));
    assert_non_null(strstr(err.message, ", ..."));
    assert_true(strlen(err.message) < sizeof err.message - 1);

    /* A single name longer than the whole list buffer. */
    char huge[600];
    memset(huge, 'h', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    const char *one[] = {huge, NULL};
    opts.kinds = one;
    pl_err_clear(&err);
    assert_null(pl_event_from_json(obj, NOW, &opts, &err));
    assert_string_equal(err.message, "event.kind must be one of ...");
    /* Exactly the list: no ellipsis. */
    const char *two[] = {"a", "b", NULL};
    opts.kinds = two;
    pl_err_clear(&err);
    assert_null(pl_event_from_json(obj, NOW, &opts, &err));
    assert_string_equal(err.message, "event.kind must be one of a, b");
    json_decref(obj);
}

static void test_opts_max_future(void **state)
{
    (void)state;
    pl_event_opts_t opts = {.max_future_usec = 90 * PL_USEC_PER_SEC};
    json_t *obj = s_load(EV(",\"received_at\":\"2026-11-28T12:01:30Z\""));
    pl_event_t *ev = s_expect_event("90 s", obj, &opts);
    pl_event_destroy(&ev);
    json_decref(obj);
    obj = s_load(EV(",\"received_at\":\"2026-11-28T12:01:31Z\""));
    s_expect_refusal("91 s", obj, &opts, "event.received_at", "invalid_value",
                     "event.received_at must not be more than 90 seconds in the future", NULL);
    /* The default is 5 minutes: accepted without options. */
    ev = s_expect_event("default 5 min", obj, NULL);
    pl_event_destroy(&ev);
    /* 0 and negative values mean the default. */
    opts.max_future_usec = 0;
    ev = s_expect_event("0 = default", obj, &opts);
    pl_event_destroy(&ev);
    opts.max_future_usec = -5;
    ev = s_expect_event("negative = default", obj, &opts);
    pl_event_destroy(&ev);
    json_decref(obj);

    obj = s_load(EV(",\"received_at\":\"2026-11-28T13:00:00Z\""));
    opts.max_future_usec = PL_USEC_PER_HOUR;
    ev = s_expect_event("1 h", obj, &opts);
    pl_event_destroy(&ev);
    opts.max_future_usec = PL_USEC_PER_HOUR - 1;
    s_expect_refusal("1 h - 1 us", obj, &opts, "event.received_at", "invalid_value",
                     "event.received_at must not be more than 3599999999 microseconds in the "
                     "future",
                     NULL);
    /* A huge limit does not overflow. */
    opts.max_future_usec = INT64_MAX;
    ev = s_expect_event("max", obj, &opts);
    pl_event_destroy(&ev);
    json_decref(obj);

    /* A `now` near the end of time does not overflow either. */
    obj = s_load(EV(",\"received_at\":\"2026-11-28T13:00:00Z\""));
    ev = pl_event_from_json(obj, INT64_MAX - 10, NULL, NULL);
    assert_non_null(ev);
    pl_event_destroy(&ev);
    json_decref(obj);
}

/* ---------------------------------------------------------------- privacy */

/* Refusals of customer fields and content name the field, never the value. */
static void test_messages_never_quote_personal_data(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *value;
        const char *reason;
    } c[] = {
        {"customer.name", "张三\n", "invalid_value"},
        {"customer.phone", "13800138000x", "invalid_value"},
        {"customer.phone", "12", "invalid_value"},
        {"customer.address", "北京市朝阳区某某路\x07", "invalid_value"},
        {"content", "张三说 13800138000\x01", "invalid_value"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        json_t *obj = s_base();
        s_set_path(obj, c[i].path, json_string(c[i].value));
        char field[64];
        snprintf(field, sizeof field, "event.%s", c[i].path);
        s_expect_refusal(c[i].path, obj, NULL, field, c[i].reason, NULL, c[i].value);
        /* Nor any recognisable part of it. */
        pl_err_t err;
        pl_err_clear(&err);
        assert_null(pl_event_from_json(obj, NOW, NULL, &err));
        assert_null(strstr(err.message, "张三"));
        assert_null(strstr(err.message, "138"));
        assert_null(strstr(err.message, "朝阳"));
        json_decref(obj);
    }
    /* Too long: the message gives sizes only. */
    json_t *obj = s_base();
    s_set_path(obj, "customer.name", s_repeat("张", 129));
    s_expect_refusal("long name", obj, NULL, "event.customer.name", "too_long",
                     "event.customer.name is too long: 129 bytes, at most 128", "张");
    json_decref(obj);
}

/* ---------------------------------------------------------------- NUL inside strings */

/*
 * jansson refuses \u0000 unless JSON_ALLOW_NUL, and pl_json_precheck refuses
 * it too, but a caller may build objects by hand: NULs must not let a value
 * pass as something shorter.
 */
static void test_embedded_nul(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *bytes;
        size_t len;
        const char *reason;
    } c[] = {
        {"event_id", "e\0x", 3, "invalid_value"},
        {"source", "crm\0x", 5, "invalid_value"},
        {"kind", "complaint\0x", 11, "invalid_value"},
        {"channel", "web\0", 4, "invalid_value"},
        {"received_at", "2026-11-28T12:00:00Z\0junk", 25, "invalid_value"},
        {"content", "漏水\0", 7, "invalid_value"},
        {"region", "上海\0", 7, "invalid_value"},
        {"customer.name", "张三\0", 7, "invalid_value"},
        {"customer.phone", "138\0", 4, "invalid_value"},
        {"customer.address", "北京\0", 7, "invalid_value"},
        {"product.spec", "X\0", 2, "invalid_value"},
        {"product.order_no", "X\0", 2, "invalid_value"},
        {"product.ship_date", "2026-11-28\0", 11, "invalid_value"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        json_t *obj = s_base();
        s_set_path(obj, c[i].path, json_stringn(c[i].bytes, c[i].len));
        char field[64];
        snprintf(field, sizeof field, "event.%s", c[i].path);
        s_expect_refusal(c[i].path, obj, NULL, field, c[i].reason, NULL, NULL);
        json_decref(obj);
    }
    /* A key with a NUL is not the key before the NUL. */
    json_t *obj = s_base();
    json_object_setn_new(obj, "region\0x", 8, json_string("上海"));
    s_expect_refusal("key with NUL", obj, NULL, "event.region?x", "unknown_field", NULL, NULL);
    json_decref(obj);
    /* Under attributes anything goes, but get_string does not return a cut string. */
    obj = s_base();
    s_set_path(obj, "attributes.note", json_stringn("a\0b", 3));
    pl_event_t *ev = s_expect_event("attributes NUL", obj, NULL);
    assert_null(pl_event_get_string(ev, "attributes.note"));
    pl_event_destroy(&ev);
    json_decref(obj);
}

/* ---------------------------------------------------------------- unknown keys */

static void test_unknown_key_display(void **state)
{
    (void)state;
    /* A very long key is cut so the field fits and stays readable. */
    json_t *obj = s_base();
    json_t *long_key_value = json_integer(1);
    char key[300];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    json_object_set_new(obj, key, long_key_value);
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_event_from_json(obj, NOW, NULL, &err));
    assert_string_equal(err.reason, "unknown_field");
    assert_true(strncmp(err.field, "event.kkkk", 10) == 0);
    assert_true(strlen(err.field) < 64);
    assert_non_null(strstr(err.field, "..."));
    json_decref(obj);

    /* A long key of Chinese characters is not cut inside a character. */
    obj = s_base();
    char zh[301] = "";
    for (int i = 0; i < 100; i++) {
        strcat(zh, "键");
    }
    json_object_set_new(obj, zh, json_integer(1));
    pl_err_clear(&err);
    assert_null(pl_event_from_json(obj, NOW, NULL, &err));
    assert_int_equal(pl_json_precheck(err.field, strlen(err.field), -1, NULL), 0);
    assert_int_equal(pl_json_precheck(err.message, strlen(err.message), -1, NULL), 0);
    json_decref(obj);

    /* Nested unknown keys carry the whole path. */
    obj = s_load(EV(",\"product\":{\"spec\":\"X\",\"colour\":\"white\"}"));
    s_expect_refusal("nested", obj, NULL, "event.product.colour", "unknown_field", NULL, NULL);
    json_decref(obj);
}

/* ---------------------------------------------------------------- accessors */

static void test_get_string(void **state)
{
    (void)state;
    json_t *obj = s_load(EV(",\"region\":\"上海\","
                            "\"customer\":{\"name\":\"张三\",\"phone\":\"13800138000\"},"
                            "\"product\":{\"spec\":\"XQG100\",\"quantity\":2},"
                            "\"attributes\":{\"shop\":{\"city\":\"杭州\",\"n\":3},"
                            "\"a.b\":\"dotted\",\"list\":[\"x\"]}"));
    pl_event_t *ev = s_expect_event("paths", obj, NULL);
    static const struct {
        const char *path;
        const char *want; /* NULL: no string there */
    } c[] = {
        {"region", "上海"},
        {"customer.name", "张三"},
        {"customer.phone", "13800138000"},
        {"product.spec", "XQG100"},
        {"attributes.shop.city", "杭州"},
        {"event_id", "e-1"},
        {"source", "unknown"},
        {"kind", "complaint"},
        {"channel", "system"},
        {"received_at", "2026-11-28T12:00:00Z"},
        {"content", "收到的洗衣机漏水"},
        {"customer.address", NULL},
        {"customer", NULL},
        {"product.quantity", NULL},
        {"attributes.shop", NULL},
        {"attributes.shop.n", NULL},
        {"attributes.list", NULL},
        {"attributes.list.0", NULL},
        {"attributes.a.b", NULL},
        {"region.x", NULL},
        {"", NULL},
        {".", NULL},
        {".region", NULL},
        {"region.", NULL},
        {"customer..name", NULL},
        {"nope", NULL},
        {"nope.deeper", NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        const char *got = pl_event_get_string(ev, c[i].path);
        if (c[i].want == NULL ? got != NULL : (got == NULL || strcmp(got, c[i].want) != 0)) {
            fail_msg("\"%s\" -> %s, expected %s", c[i].path, got ? got : "NULL",
                     c[i].want ? c[i].want : "NULL");
        }
    }
    assert_null(pl_event_get_string(ev, NULL));
    assert_null(pl_event_get_string(NULL, "region"));
    char long_path[400];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    assert_null(pl_event_get_string(ev, long_path));
    pl_event_destroy(&ev);
    json_decref(obj);
}

static void test_destroy(void **state)
{
    (void)state;
    pl_event_destroy(NULL);
    pl_event_t *ev = NULL;
    pl_event_destroy(&ev);
    assert_null(ev);
    json_t *obj = s_base();
    ev = s_expect_event("destroy", obj, NULL);
    json_t *keep = json_incref(pl_event_json(ev));
    pl_event_destroy(&ev);
    assert_null(ev);
    /* A reference taken with json_incref outlives the event. */
    assert_string_equal(s_str(keep, "kind"), "complaint");
    json_decref(keep);
    json_decref(obj);
}

static void test_null_object(void **state)
{
    (void)state;
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_event_from_json(NULL, NOW, NULL, &err));
    assert_int_equal(err.code, PL_EINVAL);
    assert_string_equal(err.field, "event");
    assert_string_equal(err.reason, "wrong_type");
    assert_string_equal(err.message, "event must be an object");
}

/* ---------------------------------------------------------------- allocation failure */

static long s_alloc_budget = -1; /* allocations left; -1 = unlimited */

static void *s_failing_malloc(size_t size)
{
    if (s_alloc_budget == 0) {
        return NULL;
    }
    if (s_alloc_budget > 0) {
        s_alloc_budget--;
    }
    return malloc(size);
}

/* Fail jansson's n-th allocation for every n until building succeeds; nothing leaks (ASan). */
static void test_out_of_memory(void **state)
{
    (void)state;
    json_t *obj = s_load(EV(",\"customer\":{\"name\":\"张三\",\"phone\":\"13800138000\"},"
                            "\"attributes\":{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\"}"));
    json_set_alloc_funcs(s_failing_malloc, free);
    int failures = 0;
    for (long n = 0; n < 1000; n++) {
        s_alloc_budget = n;
        pl_err_t err;
        pl_err_clear(&err);
        pl_event_t *ev = pl_event_from_json(obj, NOW, NULL, &err);
        s_alloc_budget = -1;
        if (ev) {
            assert_string_equal(pl_event_kind(ev), "complaint");
            pl_event_destroy(&ev);
            break;
        }
        assert_int_equal(err.code, PL_ENOMEM);
        assert_string_equal(err.reason, "no_memory");
        failures++;
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(failures > 5);
    json_decref(obj);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusal_table),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_accepted_values),
        cmocka_unit_test(test_defaults_filled),
        cmocka_unit_test(test_received_at_normalized),
        cmocka_unit_test(test_now_with_microseconds),
        cmocka_unit_test(test_default_received_at_not_checked),
        cmocka_unit_test(test_given_values_kept),
        cmocka_unit_test(test_deep_copy_and_borrow),
        cmocka_unit_test(test_normalized_is_fixed_point),
        cmocka_unit_test(test_opts_kinds),
        cmocka_unit_test(test_opts_long_kind_list),
        cmocka_unit_test(test_opts_max_future),
        cmocka_unit_test(test_messages_never_quote_personal_data),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_unknown_key_display),
        cmocka_unit_test(test_get_string),
        cmocka_unit_test(test_destroy),
        cmocka_unit_test(test_null_object),
        cmocka_unit_test(test_out_of_memory),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
