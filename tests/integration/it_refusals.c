/*
 * it_refusals: every class of refused input, sent over real ZeroMQ to the
 * real plaintd. Each refusal must be answered ok:false with error.code (and
 * error.field where a field is at fault), echo the request's "id" when the
 * request was JSON with one, land in dead_letters with the bytes as sent, and
 * leave the daemon answering ping.
 * Run one test with: it_refusals NAME
 */
#include "it.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_TIMEOUT_MS 5000
#define S_MAX_REQUEST 65536
#define S_HARD_CAP (16 * S_MAX_REQUEST)

/* One refused request: its bytes and what the reply must say. */
typedef struct s_case {
    const char *name;
    const char *body;
    size_t len;
    const char *code;
    const char *field; /* NULL: the reply has no error.field */
    const char *id;    /* JSON of the id to echo; NULL: the reply has no id */
} s_case_t;

/* A string literal with its length, NUL bytes included. */
#define S_BYTES(lit) lit, sizeof(lit) - 1

/* A valid event, to build requests that are wrong somewhere else. */
#define S_EVENT "{\"event_id\":\"e-1\",\"content\":\"漏水\"}"

typedef struct s_ctx {
    it_daemon_t d;
    const char *db;
    long dead; /* dead letters so far */
} s_ctx_t;

static void s_start(s_ctx_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->db = it_db_fresh();
    it_daemon_start(&ctx->d, ctx->db, NULL, NULL);
    ctx->db = ctx->d.conninfo;
}

static void s_stop(s_ctx_t *ctx)
{
    it_daemon_stop(&ctx->d);
}

static void s_print_reply(const char *label, const char *text, size_t len)
{
    fprintf(stderr, "%s: %.*s\n", label, (int)(len > 600 ? 600 : len), text);
}

static void s_check_alive(s_ctx_t *ctx)
{
    IT_CHECK(it_daemon_alive(&ctx->d));
    json_t *reply = it_request(ctx->d.ingest, S_BYTES("{\"op\":\"ping\"}"), S_TIMEOUT_MS);
    IT_CHECK(reply != NULL);
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
}

/* Waits for the next dead letter and checks it against what was sent. */
static void s_check_dead_letter(s_ctx_t *ctx, const char *raw, size_t raw_len, size_t raw_size,
                                const char *code, const char *field)
{
    ctx->dead++;
    long count =
        it_sql_wait_long(ctx->db, "SELECT count(*) FROM dead_letters", ctx->dead, S_TIMEOUT_MS);
    IT_CHECK_INT(count, ctx->dead);
    const char *last = "FROM dead_letters WHERE id = (SELECT max(id) FROM dead_letters)";
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT code %s", last);
    char *got = it_sql(ctx->db, sql);
    IT_CHECK_STR(got, code);
    free(got);
    snprintf(sql, sizeof sql, "SELECT coalesce(field, '') %s", last);
    got = it_sql(ctx->db, sql);
    IT_CHECK_STR(got, field ? field : "");
    free(got);
    snprintf(sql, sizeof sql, "SELECT raw_size %s", last);
    IT_CHECK_INT(it_sql_long(ctx->db, sql), (long long)raw_size);
    snprintf(sql, sizeof sql, "SELECT length(raw) %s", last);
    IT_CHECK_INT(it_sql_long(ctx->db, sql), (long long)raw_len);
    snprintf(sql, sizeof sql, "SELECT (raw = $1)::int %s", last);
    got = it_sql_bytea(ctx->db, sql, raw, raw_len);
    IT_CHECK_STR(got, "1");
    free(got);
    snprintf(sql, sizeof sql, "SELECT length(message) > 0 %s", last);
    got = it_sql(ctx->db, sql);
    IT_CHECK_STR(got, "t");
    free(got);
}

/* Checks an error reply (the body frame) against the case. */
static void s_check_error_reply(const s_case_t *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *reply = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(reply)) {
        s_print_reply("reply", text, len);
    }
    IT_CHECK(json_is_object(reply));
    json_t *error = json_object_get(reply, "error");
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *field = json_string_value(json_object_get(error, "field"));
    const char *message = json_string_value(json_object_get(error, "message"));
    json_t *id = json_object_get(reply, "id");
    json_t *want_id = c->id ? json_loads(c->id, JSON_DECODE_ANY, NULL) : NULL;
    int ok = json_is_false(json_object_get(reply, "ok")) && code && strcmp(code, c->code) == 0 &&
             (c->field ? field && strcmp(field, c->field) == 0 : field == NULL) && message &&
             message[0] && (want_id ? id && json_equal(id, want_id) : id == NULL);
    if (!ok) {
        fprintf(stderr, "case %s: expected code %s, field %s, id %s\n", c->name, c->code,
                c->field ? c->field : "(none)", c->id ? c->id : "(none)");
        s_print_reply("reply", text, len);
    }
    IT_CHECK(ok);
    json_decref(want_id);
    json_decref(reply);
}

/* Sends the case's bytes as the one body frame after the delimiter and checks
 * the reply, the dead letter and that the daemon still answers. */
static void s_refuse(s_ctx_t *ctx, const s_case_t *c)
{
    const char *frames[] = {"", c->body};
    size_t lens[] = {0, c->len};
    char *reply[4] = {NULL};
    size_t reply_len[4] = {0};
    int n =
        it_exchange(ctx->d.ingest, ZMQ_DEALER, frames, lens, 2, reply, reply_len, 4, S_TIMEOUT_MS);
    if (n != 2 || reply_len[0] != 0) {
        fprintf(stderr, "case %s: %d reply frames (want the empty delimiter, then the body)\n",
                c->name, n);
        for (int i = 0; i < n && i < 4; i++) {
            s_print_reply("  frame", reply[i], reply_len[i]);
        }
    }
    IT_CHECK_INT(n, 2);
    IT_CHECK_INT(reply_len[0], 0);
    s_check_error_reply(c, reply[1], reply_len[1]);
    free(reply[0]);
    free(reply[1]);
    s_check_dead_letter(ctx, c->body, c->len, c->len, c->code, c->field);
    s_check_alive(ctx);
}

static void s_refuse_all(const s_case_t *cases, size_t count)
{
    s_ctx_t ctx;
    s_start(&ctx);
    for (size_t i = 0; i < count; i++) {
        s_refuse(&ctx, &cases[i]);
    }
    /* Nothing refused became a case. */
    IT_CHECK_INT(it_sql_long(ctx.db, "SELECT count(*) FROM cases"), 0);
    s_stop(&ctx);
}

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- bytes that are not a JSON object ---------------------------------------- */

static void test_malformed(void)
{
    static const s_case_t cases[] = {
        {"not json", S_BYTES("{"), "invalid_json", NULL, NULL},
        {"garbage", S_BYTES("hello"), "invalid_json", NULL, NULL},
        {"trailing garbage", S_BYTES("{\"op\":\"ping\",\"id\":1} x"), "invalid_json", NULL, NULL},
        {"array", S_BYTES("[{\"op\":\"ping\"}]"), "not_object", NULL, NULL},
        {"duplicate keys", S_BYTES("{\"op\":\"ping\",\"op\":\"ping\",\"id\":1}"), "invalid_json",
         NULL, NULL},
        {"duplicate keys in the event",
         S_BYTES("{\"op\":\"submit\",\"event\":{\"event_id\":\"a\",\"event_id\":\"b\","
                 "\"content\":\"x\"}}"),
         "invalid_json", NULL, NULL},
        {"lone surrogate escape", S_BYTES("{\"op\":\"ping\",\"x\":\"\\ud800\"}"), "invalid_json",
         NULL, NULL},
        {"invalid utf-8", S_BYTES("{\"op\":\"ping\",\"id\":1,\"x\":\"a\xffz\"}"), "invalid_utf8",
         NULL, NULL},
        {"invalid utf-8 in a key", S_BYTES("{\"op\":\"ping\",\"\xfe\":1}"), "invalid_utf8", NULL,
         NULL},
        {"truncated utf-8", S_BYTES("{\"op\":\"ping\",\"x\":\"\xe6\xbc\"}"), "invalid_utf8", NULL,
         NULL},
        {"overlong utf-8 (2 bytes)", S_BYTES("{\"op\":\"ping\",\"x\":\"\xc0\xaf\"}"),
         "invalid_utf8", NULL, NULL},
        {"overlong utf-8 (3 bytes)", S_BYTES("{\"op\":\"ping\",\"x\":\"\xe0\x80\xaf\"}"),
         "invalid_utf8", NULL, NULL},
        {"utf-8 surrogate", S_BYTES("{\"op\":\"ping\",\"x\":\"\xed\xa0\x80\"}"), "invalid_utf8",
         NULL, NULL},
        {"raw NUL", S_BYTES("{\"op\":\"ping\",\"id\":1,\"x\":\"a\0b\"}"), "nul_byte", NULL, NULL},
        {"raw NUL outside strings", S_BYTES("{\"op\":\"ping\"}\0"), "nul_byte", NULL, NULL},
        {"escaped NUL", S_BYTES("{\"op\":\"ping\",\"id\":1,\"x\":\"a\\u0000b\"}"), "nul_byte", NULL,
         NULL},
        {"escaped NUL in content",
         S_BYTES("{\"op\":\"submit\",\"event\":{\"event_id\":\"a\",\"content\":\"x\\u0000\"}}"),
         "nul_byte", NULL, NULL},
    };
    s_refuse_all(cases, S_COUNT(cases));
}

/* JSON that is not an object: docs/protocol.md 5 says "not_object: the frame
 * is JSON but not an object", arrays and scalars alike. Last in the table, so
 * that a failure here does not hide the other tests. */
static void test_scalar_not_object(void)
{
    static const s_case_t cases[] = {
        {"string", S_BYTES("\"ping\""), "not_object", NULL, NULL},
        {"number", S_BYTES("42"), "not_object", NULL, NULL},
        {"true", S_BYTES("true"), "not_object", NULL, NULL},
        {"null", S_BYTES("null"), "not_object", NULL, NULL},
    };
    s_refuse_all(cases, S_COUNT(cases));
}

/* ---- JSON objects that are not a valid request --------------------------------- */

static void test_bad_requests(void)
{
    static const s_case_t cases[] = {
        {"unknown op", S_BYTES("{\"op\":\"frobnicate\",\"id\":7}"), "unknown_op", "op", "7"},
        {"missing op", S_BYTES("{\"id\":\"m\"}"), "missing_field", "op", "\"m\""},
        {"empty object", S_BYTES("{}"), "missing_field", "op", NULL},
        {"op not a string", S_BYTES("{\"op\":[\"ping\"],\"id\":{\"k\":[1]}}"), "wrong_type", "op",
         "{\"k\":[1]}"},
        {"op null", S_BYTES("{\"op\":null}"), "wrong_type", "op", NULL},
        {"submit without event", S_BYTES("{\"op\":\"submit\",\"id\":2}"), "missing_field", "event",
         "2"},
        {"event a string", S_BYTES("{\"op\":\"submit\",\"id\":3,\"event\":\"漏水\"}"), "wrong_type",
         "event", "3"},
        {"event an array", S_BYTES("{\"op\":\"submit\",\"event\":[" S_EVENT "]}"), "wrong_type",
         "event", NULL},
        {"unknown request field",
         S_BYTES("{\"op\":\"submit\",\"id\":\"u\",\"event\":" S_EVENT ",\"priority\":1}"),
         "unknown_field", "priority", "\"u\""},
        {"unknown field in get",
         S_BYTES("{\"op\":\"get\",\"id\":4,\"case_no\":\"TS-2026-000001\",\"with\":1}"),
         "unknown_field", "with", "4"},
        {"get without case_no", S_BYTES("{\"op\":\"get\",\"id\":5}"), "missing_field", "case_no",
         "5"},
        {"get case_no a number", S_BYTES("{\"op\":\"get\",\"case_no\":1}"), "wrong_type", "case_no",
         NULL},
    };
    s_refuse_all(cases, S_COUNT(cases));
}

/* ---- events that break the rules of docs/events.md ------------------------------ */

#define S_SUBMIT(event) "{\"op\":\"submit\",\"id\":9,\"event\":" event "}"

static void test_bad_events(void)
{
    static const s_case_t cases[] = {
        {"missing event_id", S_BYTES(S_SUBMIT("{\"content\":\"x\"}")), "missing_field",
         "event.event_id", "9"},
        {"missing content", S_BYTES(S_SUBMIT("{\"event_id\":\"e\"}")), "missing_field",
         "event.content", "9"},
        {"blank content", S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\" \\n\\u3000\"}")),
         "invalid_value", "event.content", "9"},
        {"event_id a number", S_BYTES(S_SUBMIT("{\"event_id\":17,\"content\":\"x\"}")),
         "wrong_type", "event.event_id", "9"},
        {"empty event_id", S_BYTES(S_SUBMIT("{\"event_id\":\"\",\"content\":\"x\"}")),
         "invalid_value", "event.event_id", "9"},
        {"phone a number",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\","
                          "\"customer\":{\"phone\":13800000000}}")),
         "wrong_type", "event.customer.phone", "9"},
        {"phone with letters",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\","
                          "\"customer\":{\"phone\":\"call me\"}}")),
         "invalid_value", "event.customer.phone", "9"},
        {"customer a string",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"customer\":\"张三\"}")),
         "wrong_type", "event.customer", "9"},
        {"invalid channel",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"channel\":\"pigeon\"}")),
         "invalid_value", "event.channel", "9"},
        {"invalid kind",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"kind\":\"praise\"}")),
         "invalid_value", "event.kind", "9"},
        {"invalid received_at",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"received_at\":\"yesterday\"}")),
         "invalid_value", "event.received_at", "9"},
        {"received_at without zone",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\","
                          "\"received_at\":\"2024-03-01T08:30:00\"}")),
         "invalid_value", "event.received_at", "9"},
        {"received_at far in the future",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\","
                          "\"received_at\":\"2999-01-01T00:00:00Z\"}")),
         "invalid_value", "event.received_at", "9"},
        {"received_at before 2000",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\","
                          "\"received_at\":\"1999-12-31T23:59:59Z\"}")),
         "invalid_value", "event.received_at", "9"},
        {"unknown event field",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"colour\":\"red\"}")),
         "unknown_field", "event.colour", "9"},
        {"unknown customer field",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"customer\":{\"age\":3}}")),
         "unknown_field", "event.customer.age", "9"},
        {"quantity negative",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":-1}}")),
         "invalid_value", "event.product.quantity", "9"},
        {"bad ship_date",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\","
                          "\"product\":{\"ship_date\":\"2024-02-30\"}}")),
         "invalid_value", "event.product.ship_date", "9"},
        {"attributes an array",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":[1]}")),
         "wrong_type", "event.attributes", "9"},
        {"control character in region",
         S_BYTES(S_SUBMIT("{\"event_id\":\"e\",\"content\":\"x\",\"region\":\"a\\u0007\"}")),
         "invalid_value", "event.region", "9"},
    };
    s_refuse_all(cases, S_COUNT(cases));
}

/* ---- limits: nesting, size, the hard cap ----------------------------------------- */

/* A submit whose attributes nest so that the request is `depth` levels deep
 * (the request object is level 1, the event 2, attributes 3). */
static char *s_nested_request(int depth)
{
    size_t cap = 256 + (size_t)depth * 16;
    char *buf = malloc(cap);
    IT_CHECK(buf != NULL);
    int n = snprintf(buf, cap,
                     "{\"op\":\"submit\",\"id\":%d,\"event\":{\"event_id\":\"deep-%d\","
                     "\"content\":\"x\",\"attributes\":",
                     depth, depth);
    for (int i = 3; i <= depth; i++) {
        n += snprintf(buf + n, cap - (size_t)n, "{\"k\":");
    }
    n += snprintf(buf + n, cap - (size_t)n, "1");
    for (int i = 3; i <= depth; i++) {
        n += snprintf(buf + n, cap - (size_t)n, "}");
    }
    snprintf(buf + n, cap - (size_t)n, "}}");
    return buf;
}

/* A submit of exactly `size` bytes: a valid event padded under attributes. */
static char *s_sized_request(size_t size, const char *event_id)
{
    char head[128];
    int hn = snprintf(head, sizeof head,
                      "{\"op\":\"submit\",\"id\":1,\"event\":{\"event_id\":\"%s\","
                      "\"content\":\"x\",\"attributes\":{\"pad\":\"",
                      event_id);
    static const char tail[] = "\"}}}";
    IT_CHECK(size > (size_t)hn + sizeof tail);
    char *buf = malloc(size + 1);
    IT_CHECK(buf != NULL);
    memcpy(buf, head, (size_t)hn);
    size_t pad = size - (size_t)hn - (sizeof tail - 1);
    memset(buf + hn, 'p', pad);
    memcpy(buf + (size_t)hn + pad, tail, sizeof tail);
    IT_CHECK_INT(strlen(buf), size);
    return buf;
}

static void test_depth(void)
{
    s_ctx_t ctx;
    s_start(&ctx);
    /* 32 levels are accepted. */
    char *ok = s_nested_request(32);
    json_t *reply = it_request(ctx.d.ingest, ok, strlen(ok), S_TIMEOUT_MS);
    IT_CHECK(reply != NULL);
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    free(ok);
    /* 33 and far more are not. */
    int depths[] = {33, 2000};
    for (size_t i = 0; i < S_COUNT(depths); i++) {
        char *deep = s_nested_request(depths[i]);
        /* The request is not parsed, so its id is not echoed. */
        s_case_t c = {"too deep", deep, strlen(deep), "too_deep", NULL, NULL};
        s_refuse(&ctx, &c);
        free(deep);
    }
    /* Depth counts brackets, not brackets inside strings. */
    static const char quoted[] =
        "{\"op\":\"submit\",\"event\":{\"event_id\":\"q\",\"content\":"
        "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\"}}";
    reply = it_request(ctx.d.ingest, quoted, sizeof quoted - 1, S_TIMEOUT_MS);
    IT_CHECK(reply != NULL);
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    IT_CHECK_INT(it_sql_long(ctx.db, "SELECT count(*) FROM cases"), 2);
    s_stop(&ctx);
}

static void test_too_large(void)
{
    s_ctx_t ctx;
    s_start(&ctx);
    /* Exactly the limit is accepted. */
    char *at_limit = s_sized_request(S_MAX_REQUEST, "size-ok");
    json_t *reply = it_request(ctx.d.ingest, at_limit, S_MAX_REQUEST, S_TIMEOUT_MS);
    IT_CHECK(reply != NULL);
    if (!json_is_true(json_object_get(reply, "ok"))) {
        char *text = json_dumps(reply, JSON_COMPACT);
        fprintf(stderr, "reply: %s\n", text ? text : "?");
        free(text);
    }
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    free(at_limit);

    /* One byte more, and the hard cap itself, are refused, kept cut to the limit. */
    size_t sizes[] = {S_MAX_REQUEST + 1, 200000, S_HARD_CAP};
    for (size_t i = 0; i < S_COUNT(sizes); i++) {
        char *big = s_sized_request(sizes[i], "size-big");
        const char *frames[] = {"", big};
        size_t lens[] = {0, sizes[i]};
        char *out[4] = {NULL};
        size_t out_len[4] = {0};
        int n =
            it_exchange(ctx.d.ingest, ZMQ_DEALER, frames, lens, 2, out, out_len, 4, S_TIMEOUT_MS);
        IT_CHECK_INT(n, 2);
        /* Too large to be read: no id. */
        s_case_t c = {"too large", big, sizes[i], "too_large", NULL, NULL};
        s_check_error_reply(&c, out[1], out_len[1]);
        free(out[0]);
        free(out[1]);
        s_check_dead_letter(&ctx, big, S_MAX_REQUEST, sizes[i], "too_large", NULL);
        s_check_alive(&ctx);
        free(big);
    }
    IT_CHECK_INT(it_sql_long(ctx.db, "SELECT count(*) FROM cases"), 1);
    s_stop(&ctx);
}

static void test_hard_cap(void)
{
    s_ctx_t ctx;
    s_start(&ctx);
    /* Above the hard cap libzmq drops the connection: no reply at all. */
    size_t size = S_HARD_CAP + 1;
    char *huge = s_sized_request(size, "huge");
    const char *frames[] = {"", huge};
    size_t lens[] = {0, size};
    char *out[4] = {NULL};
    size_t out_len[4] = {0};
    int n = it_exchange(ctx.d.ingest, ZMQ_DEALER, frames, lens, 2, out, out_len, 4, 1500);
    for (int i = 0; i < n && i < 4; i++) {
        s_print_reply("unexpected reply frame", out[i], out_len[i]);
        free(out[i]);
    }
    IT_CHECK_INT(n, -1);
    free(huge);
    /* The daemon carries on, on a new connection. */
    s_check_alive(&ctx);
    json_t *reply = it_request(ctx.d.ingest, S_BYTES(S_SUBMIT(S_EVENT)), S_TIMEOUT_MS);
    IT_CHECK(reply != NULL);
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    IT_CHECK_INT(it_sql_long(ctx.db, "SELECT count(*) FROM dead_letters"), 0);
    IT_CHECK_INT(it_sql_long(ctx.db, "SELECT count(*) FROM cases"), 1);
    s_stop(&ctx);
}

/* ---- envelopes ------------------------------------------------------------------- */

static void test_envelope(void)
{
    s_ctx_t ctx;
    s_start(&ctx);

    /* Two body frames after the delimiter: bad_envelope; the first is kept. */
    static const char first[] = "{\"op\":\"ping\",\"id\":1}";
    static const char second[] = "{\"op\":\"ping\",\"id\":2}";
    const char *frames[] = {"", first, second};
    size_t lens[] = {0, sizeof first - 1, sizeof second - 1};
    char *out[4] = {NULL};
    size_t out_len[4] = {0};
    int n = it_exchange(ctx.d.ingest, ZMQ_DEALER, frames, lens, 3, out, out_len, 4, S_TIMEOUT_MS);
    if (n != 2) {
        for (int i = 0; i < n && i < 4; i++) {
            s_print_reply("frame", out[i], out_len[i]);
        }
    }
    IT_CHECK_INT(n, 2);
    IT_CHECK_INT(out_len[0], 0);
    s_case_t two = {"two body frames", first, sizeof first - 1, "bad_envelope", NULL, NULL};
    s_check_error_reply(&two, out[1], out_len[1]);
    free(out[0]);
    free(out[1]);
    s_check_dead_letter(&ctx, first, sizeof first - 1, sizeof first - 1, "bad_envelope", NULL);
    s_check_alive(&ctx);

    /* An empty body frame: a request with nothing in it. */
    s_case_t empty = {"empty body", "", 0, "invalid_json", NULL, NULL};
    s_refuse(&ctx, &empty);

    IT_CHECK_INT(it_sql_long(ctx.db, "SELECT count(*) FROM cases"), 0);
    s_stop(&ctx);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"malformed", test_malformed},
        {"bad_requests", test_bad_requests},
        {"bad_events", test_bad_events},
        {"depth", test_depth},
        {"too_large", test_too_large},
        {"hard_cap", test_hard_cap},
        {"envelope", test_envelope},
        {"scalar_not_object", test_scalar_not_object},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
