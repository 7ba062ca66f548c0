#include "config/event.h"

#include "common/pl_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pl_event_default_kinds[] = {"complaint", "feedback", "repair", "incident",
                                              "patrol",    "comment",  NULL};

const char *const pl_event_channels[] = {"phone", "fax", "email",  "visit",
                                         "oral",  "web", "system", NULL};

#define S_DEFAULT_SOURCE "unknown"
#define S_DEFAULT_KIND "complaint"
#define S_DEFAULT_CHANNEL "system"

struct pl_event {
    json_t *json; /* normalized copy; every pointer below points into it */
    const char *id;
    const char *source;
    const char *kind;
    const char *channel;
    const char *content;
    pl_usec_t received_at;
};

/* What a string value may hold, checked before any key-specific check. */
enum {
    S_TEXT_NONEMPTY = 1 << 0,   /* at least one byte */
    S_TEXT_NO_CONTROL = 1 << 1, /* no control character at all */
    S_TEXT_LINES = 1 << 2,      /* no control character except \t \n \r */
};

typedef struct s_ctx {
    pl_err_t *err;
    pl_usec_t now;
    const char *const *kinds;
    pl_usec_t max_future;
    bool has_received_at;
    pl_usec_t received_at;
} s_ctx_t;

/* A key check: `v` has the key's type (or is NULL for check_absent keys). */
typedef int (*s_check_fn)(s_ctx_t *ctx, const char *field, const json_t *v);

/* One row of a key table: the rules for one key of an object. */
typedef struct s_key {
    const char *name;
    json_type type;
    bool required;
    size_t max_size; /* strings: at most this many bytes; 0 = no limit */
    unsigned text;   /* strings: S_TEXT_* */
    s_check_fn check;
    bool check_absent; /* call `check` with NULL when the key is absent */
} s_key_t;

/* The largest field path we build: "event." + key + "." + key, keys shortened. */
#define S_FIELD_SIZE 128
/* How much of an unknown key is quoted in field names and messages. */
#define S_KEY_DISPLAY_SIZE 48

/* ---------------------------------------------------------------- text */

static const char *s_type_phrase(json_type type)
{
    switch (type) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/*
 * True when s[0..len) holds a control character: C0 (U+0000..U+001F, NUL
 * included), DEL, or C1 (U+0080..U+009F, encoded C2 80..C2 9F). With
 * `allow_lines`, tab, line feed and carriage return are allowed.
 */
static bool s_has_control(const char *s, size_t len, bool allow_lines)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c < 0x20) {
            if (allow_lines && (c == '\t' || c == '\n' || c == '\r')) {
                continue;
            }
            return true;
        }
        if (c == 0x7F) {
            return true;
        }
        if (c == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) {
            return true;
        }
    }
    return false;
}

/*
 * Decodes one code point at s[*i] and advances *i. The input is assumed to
 * be UTF-8 (jansson guarantees it), but a bad byte only yields U+FFFD and
 * never reads past `len`.
 */
static uint32_t s_next_code_point(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (n == 0 || *i + n > len) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < n; k++) {
        cp = (cp << 6) | (s[*i + k] & 0x3Fu);
    }
    *i += n;
    return cp;
}

/* Unicode White_Space, plus ZERO WIDTH SPACE and BOM, which input methods leave behind. */
static bool s_is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static bool s_is_blank(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (!s_is_space(s_next_code_point((const unsigned char *)s, len, &i))) {
            return false;
        }
    }
    return true;
}

/* True when the JSON string `v` equals the C string `s` (a NUL inside `v` never matches). */
static bool s_string_equals(const json_t *v, const char *s)
{
    size_t len = json_string_length(v);
    return len == strlen(s) && memcmp(json_string_value(v), s, len) == 0;
}

static bool s_in_list(const json_t *v, const char *const *list)
{
    for (; *list; list++) {
        if (s_string_equals(v, *list)) {
            return true;
        }
    }
    return false;
}

/* Writes "a, b, c" into buf, ending in ", ..." when the whole list does not fit. */
static void s_join(const char *const *list, char *buf, size_t size)
{
    static const char s_more[] = ", ...";
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; list[i]; i++) {
        size_t need = (i ? 2 : 0) + strlen(list[i]);
        /* Keep room for the ellipsis unless this is the last item. */
        size_t reserve = list[i + 1] ? sizeof s_more : 1;
        if (used + need + reserve > size) {
            const char *more = used ? s_more : s_more + 2;
            if (used + strlen(more) < size) {
                strcpy(buf + used, more);
            }
            return;
        }
        snprintf(buf + used, size - used, "%s%s", i ? ", " : "", list[i]);
        used += need;
    }
}

/*
 * Copies an input key for use in a field name or message: control
 * characters become '?', and a long key is cut at a character boundary and
 * marked with "...". The key is caller input, so it must not be able to
 * break a log line or fill the field buffer.
 */
static void s_display_key(const char *key, size_t key_len, char *buf, size_t size)
{
    size_t n = key_len;
    bool cut = false;
    if (n > size - 4) {
        n = size - 4;
        /* Never split a UTF-8 sequence: back off over continuation bytes. */
        while (n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80) {
            n--;
        }
        cut = true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        buf[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (cut) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

/* Optimal string alignment distance between short strings (for "did you mean"). */
static size_t s_edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
    enum { MAX = 32 };
    size_t d[MAX + 1][MAX + 1];
    if (alen > MAX || blen > MAX) {
        return SIZE_MAX;
    }
    for (size_t i = 0; i <= alen; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= blen; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= alen; i++) {
        for (size_t j = 1; j <= blen; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < best) {
                best = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[alen][blen];
}

/* "5 minutes", "90 seconds", "1 hour": how the future limit reads in a message. */
static void s_format_duration(pl_usec_t usec, char *buf, size_t size)
{
    static const struct {
        pl_usec_t unit;
        const char *one;
        const char *many;
    } s_units[] = {
        {PL_USEC_PER_DAY, "day", "days"},       {PL_USEC_PER_HOUR, "hour", "hours"},
        {PL_USEC_PER_MIN, "minute", "minutes"}, {PL_USEC_PER_SEC, "second", "seconds"},
        {1, "microsecond", "microseconds"},
    };
    for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++) {
        if (usec % s_units[i].unit == 0) {
            pl_usec_t n = usec / s_units[i].unit;
            snprintf(buf, size, "%lld %s", (long long)n, n == 1 ? s_units[i].one : s_units[i].many);
            return;
        }
    }
}

/* ---------------------------------------------------------------- key checks */

static int s_invalid(s_ctx_t *ctx, const char *field, const char *why)
{
    return pl_err_set(ctx->err, PL_EINVAL, "invalid_value", field, "%s %s", field, why);
}

static int s_check_source(s_ctx_t *ctx, const char *field, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (c != '\0' && strchr("._:/@-", c) != NULL);
        if (!ok) {
            return s_invalid(ctx, field, "may contain only letters, digits and . _ : / @ -");
        }
    }
    return 0;
}

static int s_check_kind(s_ctx_t *ctx, const char *field, const json_t *v)
{
    char list[256];
    if (!v) {
        /* The default applies only when the deployment allows it. */
        for (const char *const *k = ctx->kinds; *k; k++) {
            if (strcmp(*k, S_DEFAULT_KIND) == 0) {
                return 0;
            }
        }
        s_join(ctx->kinds, list, sizeof list);
        return pl_err_set(ctx->err, PL_EINVAL, "missing_field", field,
                          "%s is required here (the default %s is not allowed): use one of %s",
                          field, S_DEFAULT_KIND, list[0] ? list : "(none configured)");
    }
    if (!s_in_list(v, ctx->kinds)) {
        s_join(ctx->kinds, list, sizeof list);
        return pl_err_set(ctx->err, PL_EINVAL, "invalid_value", field, "%s must be one of %s",
                          field, list[0] ? list : "(none configured)");
    }
    return 0;
}

static int s_check_channel(s_ctx_t *ctx, const char *field, const json_t *v)
{
    if (!s_in_list(v, pl_event_channels)) {
        char list[128];
        s_join(pl_event_channels, list, sizeof list);
        return pl_err_set(ctx->err, PL_EINVAL, "invalid_value", field, "%s must be one of %s",
                          field, list);
    }
    return 0;
}

static int s_check_received_at(s_ctx_t *ctx, const char *field, const json_t *v)
{
    pl_usec_t t;
    /* A NUL inside the string would end the parse early; refuse it first. */
    if (strlen(json_string_value(v)) != json_string_length(v) ||
        pl_time_parse_rfc3339(json_string_value(v), &t) != 0) {
        return s_invalid(ctx, field, "must be an RFC 3339 time such as 2026-11-28T12:00:00+08:00");
    }
    if (t < PL_EVENT_RECEIVED_AT_MIN) {
        return s_invalid(ctx, field, "must not be before 2000-01-01");
    }
    pl_usec_t limit =
        ctx->now > INT64_MAX - ctx->max_future ? INT64_MAX : ctx->now + ctx->max_future;
    if (t > limit) {
        char span[48];
        s_format_duration(ctx->max_future, span, sizeof span);
        return pl_err_set(ctx->err, PL_EINVAL, "invalid_value", field,
                          "%s must not be more than %s in the future", field, span);
    }
    ctx->has_received_at = true;
    ctx->received_at = t;
    return 0;
}

static int s_check_phone(s_ctx_t *ctx, const char *field, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            digits++;
        } else if (c == '\0' || !strchr(" +-()", c)) {
            return s_invalid(ctx, field, "may contain only digits, spaces and + - ( )");
        }
    }
    if (digits < PL_EVENT_PHONE_MIN_DIGITS) {
        return s_invalid(ctx, field, "must contain at least 3 digits");
    }
    return 0;
}

static int s_check_content(s_ctx_t *ctx, const char *field, const json_t *v)
{
    if (s_is_blank(json_string_value(v), json_string_length(v))) {
        return s_invalid(ctx, field, "must not be empty or only whitespace");
    }
    return 0;
}

static int s_check_quantity(s_ctx_t *ctx, const char *field, const json_t *v)
{
    json_int_t q = json_integer_value(v);
    if (q < 0 || q > PL_EVENT_QUANTITY_MAX) {
        return s_invalid(ctx, field, "must be between 0 and 1000000000");
    }
    return 0;
}

static int s_check_date(s_ctx_t *ctx, const char *field, const json_t *v)
{
    int y, m, d;
    if (strlen(json_string_value(v)) != json_string_length(v) ||
        pl_time_parse_date(json_string_value(v), &y, &m, &d) != 0) {
        return s_invalid(ctx, field, "must be a date such as 2026-11-28");
    }
    return 0;
}

static int s_check_customer(s_ctx_t *ctx, const char *field, const json_t *v);
static int s_check_product(s_ctx_t *ctx, const char *field, const json_t *v);

/* ---------------------------------------------------------------- tables */

static const s_key_t s_event_keys[] = {
    {"event_id", JSON_STRING, true, PL_EVENT_ID_MAX_SIZE, S_TEXT_NONEMPTY | S_TEXT_NO_CONTROL, NULL,
     false},
    {"source", JSON_STRING, false, PL_EVENT_SOURCE_MAX_SIZE, S_TEXT_NONEMPTY, s_check_source,
     false},
    {"kind", JSON_STRING, false, 0, 0, s_check_kind, true},
    {"channel", JSON_STRING, false, 0, 0, s_check_channel, false},
    {"received_at", JSON_STRING, false, 0, 0, s_check_received_at, false},
    {"customer", JSON_OBJECT, false, 0, 0, s_check_customer, false},
    {"content", JSON_STRING, true, PL_EVENT_CONTENT_MAX_SIZE, S_TEXT_LINES, s_check_content, false},
    {"product", JSON_OBJECT, false, 0, 0, s_check_product, false},
    {"region", JSON_STRING, false, PL_EVENT_REGION_MAX_SIZE, S_TEXT_NO_CONTROL, NULL, false},
    {"attributes", JSON_OBJECT, false, 0, 0, NULL, false},
};

static const s_key_t s_customer_keys[] = {
    {"name", JSON_STRING, false, PL_EVENT_NAME_MAX_SIZE, S_TEXT_NO_CONTROL, NULL, false},
    {"phone", JSON_STRING, false, PL_EVENT_PHONE_MAX_SIZE, 0, s_check_phone, false},
    {"address", JSON_STRING, false, PL_EVENT_ADDRESS_MAX_SIZE, S_TEXT_LINES, NULL, false},
};

static const s_key_t s_product_keys[] = {
    {"spec", JSON_STRING, false, PL_EVENT_SPEC_MAX_SIZE, S_TEXT_NO_CONTROL, NULL, false},
    {"order_no", JSON_STRING, false, PL_EVENT_ORDER_NO_MAX_SIZE, S_TEXT_NO_CONTROL, NULL, false},
    {"quantity", JSON_INTEGER, false, 0, 0, s_check_quantity, false},
    {"ship_date", JSON_STRING, false, 0, 0, s_check_date, false},
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- objects */

static const s_key_t *s_find_key(const s_key_t *keys, size_t count, const char *key, size_t key_len)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(keys[i].name) == key_len && memcmp(keys[i].name, key, key_len) == 0) {
            return &keys[i];
        }
    }
    return NULL;
}

static int s_unknown_key(s_ctx_t *ctx, const char *prefix, const s_key_t *keys, size_t count,
                         const char *key, size_t key_len)
{
    char shown[S_KEY_DISPLAY_SIZE];
    char field[S_FIELD_SIZE];
    char hint[64] = "";
    s_display_key(key, key_len, shown, sizeof shown);
    snprintf(field, sizeof field, "%s.%s", prefix, key_len ? shown : "\"\"");
    if (key_len >= 3) {
        for (size_t i = 0; i < count; i++) {
            if (s_edit_distance(key, key_len, keys[i].name, strlen(keys[i].name)) <= 2) {
                snprintf(hint, sizeof hint, " (did you mean %s?)", keys[i].name);
                break;
            }
        }
    }
    return pl_err_set(ctx->err, PL_EINVAL, "unknown_field", field,
                      "%s is not a known field%s; put free-form data under event.attributes", field,
                      hint);
}

static int s_check_text(s_ctx_t *ctx, const char *field, const s_key_t *k, const json_t *v)
{
    size_t len = json_string_length(v);
    if ((k->text & S_TEXT_NONEMPTY) && len == 0) {
        return s_invalid(ctx, field, "must not be empty");
    }
    if (k->max_size && len > k->max_size) {
        return pl_err_set(ctx->err, PL_EINVAL, "too_long", field,
                          "%s is too long: %zu bytes, at most %zu", field, len, k->max_size);
    }
    if ((k->text & (S_TEXT_NO_CONTROL | S_TEXT_LINES)) &&
        s_has_control(json_string_value(v), len, !(k->text & S_TEXT_NO_CONTROL))) {
        return s_invalid(ctx, field,
                         (k->text & S_TEXT_NO_CONTROL)
                             ? "must not contain control characters"
                             : "must not contain control characters other than tab and newline");
    }
    return 0;
}

/* Validates `obj` (any JSON value) against a key table; `prefix` is its field path. */
static int s_check_object(s_ctx_t *ctx, const char *prefix, const s_key_t *keys, size_t count,
                          const json_t *obj)
{
    const char *key;
    size_t key_len;
    json_t *v;
    /* Unknown keys first: a misspelt key explains the "required" error that would follow. */
    json_object_keylen_foreach((json_t *)obj, key, key_len, v)
    {
        if (!s_find_key(keys, count, key, key_len)) {
            return s_unknown_key(ctx, prefix, keys, count, key, key_len);
        }
    }
    for (size_t i = 0; i < count; i++) {
        const s_key_t *k = &keys[i];
        char field[S_FIELD_SIZE];
        snprintf(field, sizeof field, "%s.%s", prefix, k->name);
        v = json_object_get(obj, k->name);
        if (!v) {
            if (k->required) {
                return pl_err_set(ctx->err, PL_EINVAL, "missing_field", field, "%s is required",
                                  field);
            }
            if (k->check && k->check_absent) {
                int rc = k->check(ctx, field, NULL);
                if (rc != 0) {
                    return rc;
                }
            }
            continue;
        }
        if (json_typeof(v) != k->type) {
            return pl_err_set(ctx->err, PL_EINVAL, "wrong_type", field, "%s must be %s, not %s",
                              field, s_type_phrase(k->type), pl_json_type_phrase(v));
        }
        if (k->type == JSON_STRING) {
            int rc = s_check_text(ctx, field, k, v);
            if (rc != 0) {
                return rc;
            }
        }
        if (k->check) {
            int rc = k->check(ctx, field, v);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

static int s_check_customer(s_ctx_t *ctx, const char *field, const json_t *v)
{
    return s_check_object(ctx, field, s_customer_keys, S_COUNT(s_customer_keys), v);
}

static int s_check_product(s_ctx_t *ctx, const char *field, const json_t *v)
{
    return s_check_object(ctx, field, s_product_keys, S_COUNT(s_product_keys), v);
}

/* ---------------------------------------------------------------- event */

/* Sets `key` to the string `value` in `obj` unless it is already present. */
static int s_set_default(json_t *obj, const char *key, const char *value)
{
    if (json_object_get(obj, key)) {
        return 0;
    }
    return json_object_set_new(obj, key, json_string(value)) == 0 ? 0 : PL_ENOMEM;
}

pl_event_t *pl_event_from_json(json_t *obj, pl_usec_t now, const pl_event_opts_t *opts,
                               pl_err_t *err)
{
    s_ctx_t ctx = {
        .err = err,
        .now = now,
        .kinds = opts && opts->kinds ? opts->kinds : pl_event_default_kinds,
        .max_future =
            opts && opts->max_future_usec > 0 ? opts->max_future_usec : PL_EVENT_MAX_FUTURE_DEFAULT,
    };
    if (!json_is_object(obj)) {
        if (!obj) {
            pl_err_set(err, PL_EINVAL, "wrong_type", "event", "event must be an object");
        } else {
            pl_err_set(err, PL_EINVAL, "wrong_type", "event", "event must be an object, not %s",
                       pl_json_type_phrase(obj));
        }
        return NULL;
    }
    if (s_check_object(&ctx, "event", s_event_keys, S_COUNT(s_event_keys), obj) != 0) {
        return NULL;
    }

    pl_event_t *ev = calloc(1, sizeof *ev);
    if (!ev) {
        goto nomem;
    }
    ev->json = json_deep_copy(obj);
    if (!ev->json) {
        goto nomem;
    }
    ev->received_at = ctx.has_received_at ? ctx.received_at : now;
    char when[PL_TIME_RFC3339_SIZE];
    pl_time_format_rfc3339(ev->received_at, when, sizeof when);
    if (s_set_default(ev->json, "source", S_DEFAULT_SOURCE) != 0 ||
        s_set_default(ev->json, "kind", S_DEFAULT_KIND) != 0 ||
        s_set_default(ev->json, "channel", S_DEFAULT_CHANNEL) != 0 ||
        json_object_set_new(ev->json, "received_at", json_string(when)) != 0) {
        goto nomem;
    }
    ev->id = json_string_value(json_object_get(ev->json, "event_id"));
    ev->source = json_string_value(json_object_get(ev->json, "source"));
    ev->kind = json_string_value(json_object_get(ev->json, "kind"));
    ev->channel = json_string_value(json_object_get(ev->json, "channel"));
    ev->content = json_string_value(json_object_get(ev->json, "content"));
    return ev;

nomem:
    pl_event_destroy(&ev);
    pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory while building the event");
    return NULL;
}

json_t *pl_event_json(const pl_event_t *ev)
{
    return ev->json;
}

const char *pl_event_id(const pl_event_t *ev)
{
    return ev->id;
}

const char *pl_event_source(const pl_event_t *ev)
{
    return ev->source;
}

const char *pl_event_kind(const pl_event_t *ev)
{
    return ev->kind;
}

const char *pl_event_channel(const pl_event_t *ev)
{
    return ev->channel;
}

pl_usec_t pl_event_received_at(const pl_event_t *ev)
{
    return ev->received_at;
}

const char *pl_event_content(const pl_event_t *ev)
{
    return ev->content;
}

const char *pl_event_get_string(const pl_event_t *ev, const char *path)
{
    if (!ev || !path) {
        return NULL;
    }
    const json_t *cur = ev->json;
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char key[256];
        if (n == 0 || n >= sizeof key || !json_is_object(cur)) {
            return NULL;
        }
        memcpy(key, p, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        if (!cur) {
            return NULL;
        }
        if (!dot) {
            break;
        }
        p = dot + 1;
    }
    if (!json_is_string(cur) || strlen(json_string_value(cur)) != json_string_length(cur)) {
        return NULL;
    }
    return json_string_value(cur);
}

void pl_event_destroy(pl_event_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    json_decref((*self_p)->json);
    free(*self_p);
    *self_p = NULL;
}
