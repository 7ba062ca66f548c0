/*
 * Unit tests for common/pl_json: the raw-bytes precheck (NUL, UTF-8, depth)
 * and the type names used in messages.
 * Run one test with: test_json <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "common/pl_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A byte-string literal with its length, so embedded NULs count. */
#define B(lit) lit, sizeof(lit) - 1

typedef struct {
    const char *name;
    const char *buf;
    size_t len;
    int max_depth;
    const char *reason; /* NULL: accepted */
    long offset;        /* byte offset the message must name */
} precheck_case_t;

static const precheck_case_t s_cases[] = {
    /* accepted */
    {"empty", B(""), 8, NULL, 0},
    {"whitespace", B(" \t\r\n"), 8, NULL, 0},
    {"empty object", B("{}"), 1, NULL, 0},
    {"scalar at depth 0", B("42"), 0, NULL, 0},
    {"string at depth 0", B("\"{[\""), 0, NULL, 0},
    {"simple object", B("{\"a\":\"b\",\"n\":1.5,\"t\":true}"), 1, NULL, 0},
    {"array", B("[1,2,3]"), 1, NULL, 0},
    {"chinese", B("{\"customer\":{\"name\":\"张三\"},\"content\":\"收到的洗衣机漏水\"}"), 2, NULL,
     0},
    {"U+0080", B("\"\xc2\x80\""), 1, NULL, 0},
    {"U+07FF", B("\"\xdf\xbf\""), 1, NULL, 0},
    {"U+0800", B("\"\xe0\xa0\x80\""), 1, NULL, 0},
    {"U+D7FF", B("\"\xed\x9f\xbf\""), 1, NULL, 0},
    {"U+E000", B("\"\xee\x80\x80\""), 1, NULL, 0},
    {"U+FFFD", B("\"\xef\xbf\xbd\""), 1, NULL, 0},
    {"U+FFFF", B("\"\xef\xbf\xbf\""), 1, NULL, 0},
    {"U+10000", B("\"\xf0\x90\x80\x80\""), 1, NULL, 0},
    {"U+1F600 emoji", B("\"\xf0\x9f\x98\x80\""), 1, NULL, 0},
    {"U+10FFFF", B("\"\xf4\x8f\xbf\xbf\""), 1, NULL, 0},
    {"U+3000 ideographic space", B("\"\xe3\x80\x80\""), 1, NULL, 0},
    {"escape u0001", B("\"\\u0001\""), 1, NULL, 0},
    {"escape u0030", B("\"\\u0030\""), 1, NULL, 0},
    {"escape u000A", B("\"\\u000A\""), 1, NULL, 0},
    {"escape u00000 lookalike", B("\"\\u0100\""), 1, NULL, 0},
    {"escaped backslash then u0000 text", B("\"\\\\u0000\""), 1, NULL, 0},
    {"two escaped backslashes then u0000 text", B("\"\\\\\\\\u0000\""), 1, NULL, 0},
    {"truncated u000 at end", B("\"\\u000"), 1, NULL, 0},
    {"u0000 outside a string is not an escape", B("[\\u0000]"), 1, NULL, 0},
    {"brackets in string", B("{\"a\":\"[[[[{{{{\"}"), 1, NULL, 0},
    {"escaped quote keeps string open", B("{\"a\":\"\\\"[[[[\"}"), 1, NULL, 0},
    {"depth equal to max", B("[[[]]]"), 3, NULL, 0},
    {"siblings do not add depth", B("[[],[],[[]],{}]"), 3, NULL, 0},
    {"closers decrement", B("[[]][[]]"), 2, NULL, 0},
    {"stray closers do not go negative", B("]]]][["), 2, NULL, 0},
    {"unterminated string", B("\"abc"), 1, NULL, 0},
    {"backslash at end", B("\"abc\\"), 1, NULL, 0},
    {"no limit",
     B("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"), -1,
     NULL, 0},

    /* NUL */
    {"raw NUL first", B("\0{}"), 8, "nul_byte", 0},
    {"raw NUL between tokens", B("{\0}"), 8, "nul_byte", 1},
    {"raw NUL in string", B("{\"a\":\"x\0y\"}"), 8, "nul_byte", 7},
    {"raw NUL last", B("{}\0"), 8, "nul_byte", 2},
    {"raw NUL after backslash", B("\"\\\0\""), 8, "nul_byte", 2},
    {"escape u0000 in value", B("{\"a\":\"x\\u0000\"}"), 8, "nul_byte", 7},
    {"escape u0000 in key", B("{\"\\u0000\":1}"), 8, "nul_byte", 2},
    {"escape u0000 then digit", B("\"\\u00000\""), 8, "nul_byte", 1},
    {"escape u0000 after escaped quote", B("\"\\\"\\u0000\""), 8, "nul_byte", 3},
    {"escape u0000 after escaped backslash", B("\"\\\\\\u0000\""), 8, "nul_byte", 3},

    /* stray continuation bytes */
    {"continuation 0x80", B("\x80"), 8, "invalid_utf8", 0},
    {"continuation 0xBF", B("\"\xbf\""), 8, "invalid_utf8", 1},
    {"continuation after valid", B("\"\xe6\x94\xb6\x80\""), 8, "invalid_utf8", 4},
    {"two continuations after 2-byte", B("\"\xc3\xa9\xa9\""), 8, "invalid_utf8", 3},
    {"continuation outside string", B("{\x80}"), 8, "invalid_utf8", 1},
    /* bytes that never start a sequence */
    {"lead 0xC0 (overlong NUL)", B("\"\xc0\x80\""), 8, "invalid_utf8", 1},
    {"lead 0xC1 (overlong)", B("\"\xc1\xbf\""), 8, "invalid_utf8", 1},
    {"lead 0xF5", B("\"\xf5\x80\x80\x80\""), 8, "invalid_utf8", 1},
    {"lead 0xF7", B("\"\xf7\xbf\xbf\xbf\""), 8, "invalid_utf8", 1},
    {"lead 0xF8 (5-byte form)", B("\"\xf8\x88\x80\x80\x80\""), 8, "invalid_utf8", 1},
    {"lead 0xFC (6-byte form)", B("\"\xfc\x84\x80\x80\x80\x80\""), 8, "invalid_utf8", 1},
    {"byte 0xFE", B("\"\xfe\""), 8, "invalid_utf8", 1},
    {"byte 0xFF", B("\"\xff\""), 8, "invalid_utf8", 1},
    /* overlong encodings */
    {"overlong 2-byte '/'", B("\"\xc0\xaf\""), 8, "invalid_utf8", 1},
    {"overlong 3-byte NUL", B("\"\xe0\x80\x80\""), 8, "invalid_utf8", 1},
    {"overlong 3-byte U+07FF", B("\"\xe0\x9f\xbf\""), 8, "invalid_utf8", 1},
    {"overlong 3-byte '/'", B("\"\xe0\x80\xaf\""), 8, "invalid_utf8", 1},
    {"overlong 4-byte NUL", B("\"\xf0\x80\x80\x80\""), 8, "invalid_utf8", 1},
    {"overlong 4-byte U+FFFF", B("\"\xf0\x8f\xbf\xbf\""), 8, "invalid_utf8", 1},
    /* surrogates encoded directly */
    {"surrogate U+D800", B("\"\xed\xa0\x80\""), 8, "invalid_utf8", 1},
    {"surrogate U+DBFF", B("\"\xed\xaf\xbf\""), 8, "invalid_utf8", 1},
    {"surrogate U+DC00", B("\"\xed\xb0\x80\""), 8, "invalid_utf8", 1},
    {"surrogate U+DFFF", B("\"\xed\xbf\xbf\""), 8, "invalid_utf8", 1},
    {"CESU-8 pair", B("\"\xed\xa0\xbd\xed\xb8\x80\""), 8, "invalid_utf8", 1},
    /* beyond U+10FFFF */
    {"U+110000", B("\"\xf4\x90\x80\x80\""), 8, "invalid_utf8", 1},
    {"U+13FFFF", B("\"\xf4\xbf\xbf\xbf\""), 8, "invalid_utf8", 1},
    /* truncated sequences */
    {"2-byte cut at end", B("\"\xc3"), 8, "invalid_utf8", 1},
    {"3-byte cut at end", B("\"\xe6\x94"), 8, "invalid_utf8", 1},
    {"3-byte cut after lead", B("\"\xe6"), 8, "invalid_utf8", 1},
    {"4-byte cut at end", B("\"\xf0\x9f\x98"), 8, "invalid_utf8", 1},
    {"2-byte then ASCII",
     B("\"\xc3"
       "A\""),
     8, "invalid_utf8", 1},
    {"3-byte then ASCII",
     B("\"\xe6\x94"
       "A\""),
     8, "invalid_utf8", 1},
    {"4-byte then quote", B("\"\xf0\x9f\x98\""), 8, "invalid_utf8", 1},
    {"lead then lead", B("\"\xc3\xc3\xa9\""), 8, "invalid_utf8", 1},
    {"3-byte bad third", B("\"\xe6\x94\xc0\""), 8, "invalid_utf8", 1},
    {"4-byte bad fourth", B("\"\xf0\x9f\x98\x20\""), 8, "invalid_utf8", 1},
    {"lead then NUL", B("\"\xc3\0\""), 8, "invalid_utf8", 1},
    {"invalid after chinese", B("{\"c\":\"收到\xff\"}"), 8, "invalid_utf8", 12},
    {"latin-1 text", B("{\"c\":\"caf\xe9\"}"), 8, "invalid_utf8", 9},
    {"GBK text", B("{\"c\":\"\xca\xd5\xb5\xbd\"}"), 8, "invalid_utf8", 6},

    /* depth */
    {"depth 2 over 1", B("{\"a\":{}}"), 1, "too_deep", 5},
    {"depth 4 over 3", B("[[[[]]]]"), 3, "too_deep", 3},
    {"object at depth 0", B("{}"), 0, "too_deep", 0},
    {"deep after closers", B("]]][[["), 2, "too_deep", 5},
    {"deep after string with escapes", B("{\"a\":\"\\\\\",\"b\":[[1]]}"), 2, "too_deep", 15},
    {"deep after escaped quote", B("{\"a\":\"\\\"\",\"b\":[[1]]}"), 2, "too_deep", 15},
    {"mixed", B("{\"a\":[{\"b\":[{}]}]}"), 4, "too_deep", 12},

    /* the first problem wins */
    {"utf8 before nul", B("\x80\0"), 8, "invalid_utf8", 0},
    {"nul before utf8", B("\0\x80"), 8, "nul_byte", 0},
    {"depth before utf8", B("[[\x80"), 1, "too_deep", 1},
    {"utf8 before depth", B("[\x80["), 1, "invalid_utf8", 1},
};

static void test_precheck_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(s_cases); i++) {
        const precheck_case_t *c = &s_cases[i];
        pl_err_t err;
        pl_err_clear(&err);
        int rc = pl_json_precheck(c->buf, c->len, c->max_depth, &err);
        if (!c->reason) {
            if (rc != 0) {
                fail_msg("[%s] refused: %s (%s)", c->name, err.message,
                         err.reason ? err.reason : "?");
            }
            if (err.code != 0) {
                fail_msg("[%s] err touched on success", c->name);
            }
            continue;
        }
        if (rc != PL_EINVAL || err.code != PL_EINVAL) {
            fail_msg("[%s] rc %d code %d, expected PL_EINVAL", c->name, rc, err.code);
        }
        if (!err.reason || strcmp(err.reason, c->reason) != 0) {
            fail_msg("[%s] reason %s, expected %s", c->name, err.reason ? err.reason : "(null)",
                     c->reason);
        }
        char want[64];
        snprintf(want, sizeof want, "at byte %ld", c->offset);
        size_t wl = strlen(want);
        const char *at = strstr(err.message, want);
        /* "at byte 1" must not match "at byte 17". */
        if (!at || (at[wl] >= '0' && at[wl] <= '9')) {
            fail_msg("[%s] message \"%s\" does not name byte %ld", c->name, err.message, c->offset);
        }
        if (err.field[0] != '\0') {
            fail_msg("[%s] field \"%s\" set", c->name, err.field);
        }
        /* Also without an error record. */
        assert_int_equal(pl_json_precheck(c->buf, c->len, c->max_depth, NULL), PL_EINVAL);
    }
}

static void test_precheck_messages(void **state)
{
    (void)state;
    pl_err_t err;
    pl_err_clear(&err);
    assert_int_equal(pl_json_precheck(B("{\"a\":\"\xff\"}"), 8, &err), PL_EINVAL);
    assert_string_equal(err.message, "invalid UTF-8 at byte 6");
    pl_err_clear(&err);
    assert_int_equal(pl_json_precheck(B("[[[]]]"), 2, &err), PL_EINVAL);
    assert_string_equal(err.message, "nesting deeper than 2 levels at byte 2");
    pl_err_clear(&err);
    assert_int_equal(pl_json_precheck(B("{\0}"), 8, &err), PL_EINVAL);
    assert_string_equal(err.message, "NUL byte (0x00) at byte 1");
    pl_err_clear(&err);
    assert_int_equal(pl_json_precheck(B("[\"\\u0000\"]"), 8, &err), PL_EINVAL);
    assert_string_equal(err.message, "escaped NUL (\\u0000) in a string at byte 2");
}

static void test_precheck_arguments(void **state)
{
    (void)state;
    pl_err_t err;
    pl_err_clear(&err);
    assert_int_equal(pl_json_precheck(NULL, 0, 8, &err), 0);
    assert_int_equal(pl_json_precheck(NULL, 5, 8, &err), PL_EINVAL);
    assert_string_equal(err.reason, "invalid_argument");
    /* The length is honoured: bytes past it are never read. */
    assert_int_equal(pl_json_precheck("{}\xff", 2, 8, NULL), 0);
    assert_int_equal(pl_json_precheck("[[[", 2, 2, NULL), 0);
    assert_int_equal(pl_json_precheck("\"\\u0000\"", 6, 8, NULL), 0);
}

/* Depth boundary for many limits: depth n passes max n and fails max n-1 at byte n-1. */
static void test_precheck_depth_sweep(void **state)
{
    (void)state;
    enum { N = 300 };
    char *buf = malloc(2 * N);
    assert_non_null(buf);
    for (int n = 1; n <= N; n++) {
        for (int i = 0; i < n; i++) {
            buf[i] = (i % 2) ? '{' : '[';
            buf[2 * n - 1 - i] = (i % 2) ? '}' : ']';
        }
        assert_int_equal(pl_json_precheck(buf, (size_t)(2 * n), n, NULL), 0);
        assert_int_equal(pl_json_precheck(buf, (size_t)(2 * n), -1, NULL), 0);
        pl_err_t err;
        pl_err_clear(&err);
        assert_int_equal(pl_json_precheck(buf, (size_t)(2 * n), n - 1, &err), PL_EINVAL);
        assert_string_equal(err.reason, "too_deep");
        char want[32];
        snprintf(want, sizeof want, "at byte %d", n - 1);
        assert_non_null(strstr(err.message, want));
    }
    free(buf);
}

/*
 * An independent reference: decode by bit pattern, then apply the Unicode
 * rules (shortest form, no surrogates, at most U+10FFFF). Returns the
 * sequence length or 0 when invalid.
 */
static size_t s_reference_utf8(const unsigned char *p, size_t n)
{
    uint32_t cp, min;
    size_t len;
    if (p[0] < 0x80) {
        return 1;
    } else if ((p[0] & 0xE0) == 0xC0) {
        len = 2, cp = p[0] & 0x1F, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        len = 3, cp = p[0] & 0x0F, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        len = 4, cp = p[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

static bool s_reference_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] == 0) {
            return false;
        }
        size_t k = s_reference_utf8(p + i, n - i);
        if (k == 0) {
            return false;
        }
        i += k;
    }
    return true;
}

/* Every 1-, 2- and 3-byte string, and 4-byte strings over interesting bytes. */
static void test_precheck_utf8_exhaustive(void **state)
{
    (void)state;
    unsigned char b[4];
    size_t checked = 0;
    for (unsigned a = 0; a < 256; a++) {
        b[0] = (unsigned char)a;
        bool want = s_reference_valid(b, 1);
        assert_int_equal(pl_json_precheck((char *)b, 1, -1, NULL) == 0, want);
        for (unsigned c = 0; c < 256; c++) {
            b[1] = (unsigned char)c;
            want = s_reference_valid(b, 2);
            if ((pl_json_precheck((char *)b, 2, -1, NULL) == 0) != want) {
                fail_msg("%02X %02X: precheck disagrees with the reference", a, c);
            }
            /* Three bytes: the lead bytes where it matters, all others. */
            if (a < 0xE0 || a > 0xF4) {
                continue;
            }
            for (unsigned d = 0; d < 256; d++) {
                b[2] = (unsigned char)d;
                want = s_reference_valid(b, 3);
                if ((pl_json_precheck((char *)b, 3, -1, NULL) == 0) != want) {
                    fail_msg("%02X %02X %02X: precheck disagrees", a, c, d);
                }
                checked++;
            }
        }
    }
    static const unsigned char edge[] = {0x00, 0x22, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
                                         0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF};
    for (unsigned a = 0xF0; a <= 0xFF; a++) {
        b[0] = (unsigned char)a;
        for (size_t i = 0; i < sizeof edge; i++) {
            for (size_t j = 0; j < sizeof edge; j++) {
                for (size_t k = 0; k < sizeof edge; k++) {
                    b[1] = edge[i], b[2] = edge[j], b[3] = edge[k];
                    bool want = s_reference_valid(b, 4);
                    if ((pl_json_precheck((char *)b, 4, -1, NULL) == 0) != want) {
                        fail_msg("%02X %02X %02X %02X: precheck disagrees", a, b[1], b[2], b[3]);
                    }
                    checked++;
                }
            }
        }
    }
    assert_true(checked > 1000000);
}

/* Every code point encodes to something precheck accepts, except surrogates. */
static void test_precheck_all_code_points(void **state)
{
    (void)state;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) {
            b[0] = (unsigned char)cp, n = 1;
        } else if (cp < 0x800) {
            b[0] = (unsigned char)(0xC0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (unsigned char)(0xE0 | cp >> 12);
            b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            b[0] = (unsigned char)(0xF0 | cp >> 18);
            b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
            b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
            b[3] = (unsigned char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        int want = (cp >= 0xD800 && cp <= 0xDFFF) ? PL_EINVAL : 0;
        if (pl_json_precheck((char *)b, n, -1, NULL) != want) {
            fail_msg("U+%04X: unexpected result", (unsigned)cp);
        }
    }
}

/* Whatever jansson parses, precheck (without a depth limit) accepts. */
static void test_precheck_agrees_with_jansson(void **state)
{
    (void)state;
    char doc[8];
    size_t parsed = 0;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned c = 0; c < 256; c++) {
            doc[0] = '"';
            doc[1] = (char)a;
            doc[2] = (char)c;
            doc[3] = '"';
            json_error_t jerr;
            json_t *v = json_loadb(doc, 4, JSON_DECODE_ANY, &jerr);
            int rc = pl_json_precheck(doc, 4, -1, NULL);
            if (v && rc != 0) {
                fail_msg("%02X %02X: jansson parses, precheck refuses", a, c);
            }
            /* Invalid UTF-8 in a string: jansson must refuse it too. */
            if (!v && rc == 0 && a >= 0x80) {
                fail_msg("%02X %02X: precheck accepts, jansson refuses", a, c);
            }
            parsed += v != NULL;
            json_decref(v);
        }
    }
    /* 96 * 96 printable ASCII pairs minus escapes, plus 1920 two-byte sequences. */
    assert_true(parsed > 1920 + 8000);
}

/*
 * jansson 2.14 skips a raw NUL that directly follows a number: "[1\0]" parses
 * as [1] (found by fuzz_event). The precheck is what refuses such input.
 */
static void test_precheck_catches_nul_jansson_skips(void **state)
{
    (void)state;
    static const struct {
        const char *buf;
        size_t len;
        long offset;
    } c[] = {
        {B("[1\0]"), 2},
        {B("{\"a\":1\0}"), 6},
        {B("{\"quantity\":12\0,\"b\":2}"), 14},
    };
    for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
        pl_err_t err;
        pl_err_clear(&err);
        assert_int_equal(pl_json_precheck(c[i].buf, c[i].len, -1, &err), PL_EINVAL);
        assert_string_equal(err.reason, "nul_byte");
        char want[32];
        snprintf(want, sizeof want, "at byte %ld", c[i].offset);
        assert_non_null(strstr(err.message, want));
    }
}

/* ---------------------------------------------------------------- type names */

static void test_type_names(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *name;
        const char *phrase;
    } t[] = {
        {"{}", "object", "an object"},   {"[]", "array", "an array"},
        {"\"x\"", "string", "a string"}, {"1", "integer", "an integer"},
        {"1.5", "real", "a real"},       {"true", "true", "true"},
        {"false", "false", "false"},     {"null", "null", "null"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        json_error_t jerr;
        json_t *v = json_loads(t[i].json, JSON_DECODE_ANY, &jerr);
        assert_non_null(v);
        assert_string_equal(pl_json_type_name(v), t[i].name);
        assert_string_equal(pl_json_type_phrase(v), t[i].phrase);
        json_decref(v);
    }
    assert_string_equal(pl_json_type_name(NULL), "missing");
    assert_string_equal(pl_json_type_phrase(NULL), "nothing");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precheck_table),
        cmocka_unit_test(test_precheck_messages),
        cmocka_unit_test(test_precheck_arguments),
        cmocka_unit_test(test_precheck_depth_sweep),
        cmocka_unit_test(test_precheck_utf8_exhaustive),
        cmocka_unit_test(test_precheck_all_code_points),
        cmocka_unit_test(test_precheck_agrees_with_jansson),
        cmocka_unit_test(test_precheck_catches_nul_jansson_skips),
        cmocka_unit_test(test_type_names),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
