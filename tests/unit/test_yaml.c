/*
 * Unit tests of config/yaml: the document tree, positions, and refusal of
 * hostile input. Run with a test name (or a pattern such as "err_*") to run
 * only the matching tests.
 */
#include "config/yaml.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* ---- helpers ------------------------------------------------------------------------------- */

static void s_expect_error(const pl_err_t *err, int code, int line, int column,
                           const char *fragment)
{
    char text[1024];
    pl_err_format(err, text, sizeof text);
    if (err->code != code || err->line != line || err->column != column ||
        !strstr(err->message, fragment)) {
        print_error("got    [%d] %s\nwanted [%d] %d:%d: ...%s...\n", err->code, text, code, line,
                    column, fragment);
        fail();
    }
    assert_string_equal(err->file, "test.yaml");
}

static pl_yaml_doc_t *s_load(const char *text)
{
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(text, strlen(text), "test.yaml", &err);
    if (!doc) {
        char buf[1024];
        print_error("unexpected error: %s\n", pl_err_format(&err, buf, sizeof buf));
        fail();
    }
    return doc;
}

static double s_seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- table: input that must be refused, with its exact position ------------------------------ */

typedef struct {
    const char *name;
    const char *input;
    int line;
    int column;
    const char *fragment;
} s_error_case_t;

static const s_error_case_t s_error_cases[] = {
    {"err_anchor_on_scalar", "a: &x 1\n", 1, 4, "anchors and aliases are not supported"},
    {"err_anchor_on_sequence", "a: 1\nb: &x [1]\n", 2, 4, "anchors and aliases are not supported"},
    {"err_anchor_on_mapping", "a:\n  b: &m\n    c: 1\n", 2, 6,
     "anchors and aliases are not supported"},
    {"err_alias", "a: 1\nb: *x\n", 2, 4, "anchors and aliases are not supported"},
    {"err_merge_key", "base: {a: 1}\nother:\n  <<: *base\n", 3, 7,
     "anchors and aliases are not supported"},
    {"err_second_document", "a: 1\n---\nb: 2\n", 2, 1, "multiple documents are not supported"},
    {"err_second_document_after_end", "a: 1\n...\n---\nb: 2\n", 3, 1,
     "multiple documents are not supported"},
    {"err_local_tag", "a: !foo 1\n", 1, 4, "tag \"!foo\" is not supported"},
    {"err_python_tag", "a: !!python/object/apply:os.system [ls]\n", 1, 4,
     "tag \"tag:yaml.org,2002:python/object/apply:os.system\" is not supported"},
    {"err_set_tag", "- !!set {a}\n", 1, 3, "tag \"tag:yaml.org,2002:set\" is not supported"},
    {"err_map_tag_on_scalar", "a: !!map x\n", 1, 4, "is not supported"},
    {"err_tag_directive", "%TAG ! tag:example.com,2000:\n---\na: !x 1\n", 3, 4,
     "tag \"tag:example.com,2000:x\" is not supported"},
    {"err_duplicate_key", "a: 1\nb: 2\na: 3\n", 3, 1,
     "duplicate key \"a\" (first defined at line 1, column 1)"},
    {"err_duplicate_key_quoted", "a: 1\n\"a\": 2\n", 2, 1, "duplicate key \"a\""},
    {"err_duplicate_key_nested", "top:\n  x: 1\n  y: 2\n  x: 3\n", 4, 3,
     "duplicate key \"x\" (first defined at line 2, column 3)"},
    {"err_duplicate_key_first_reported", "b: 1\na: 1\na: 2\nb: 2\n", 3, 1,
     "duplicate key \"a\" (first defined at line 2, column 1)"},
    {"err_duplicate_key_flow", "{a: 1, a: 2}\n", 1, 8, "duplicate key \"a\""},
    {"err_sequence_key", "? [a]\n: 1\n", 1, 3, "mapping keys must be scalars, not a sequence"},
    {"err_mapping_key_flow", "{{a: 1}: 2}\n", 1, 2, "mapping keys must be scalars, not a mapping"},
    {"err_unclosed_flow", "a: [1, 2\n", 2, 1, "did not find expected ',' or ']'"},
    {"err_mapping_in_scalar", "a: b: c\n", 1, 5, "mapping values are not allowed in this context"},
    {"err_tab_indent", "a:\n\tb: 1\n", 2, 1, "found character that cannot start any token"},
    {"err_bad_indent", "a:\n  b: 1\n c: 2\n", 3, 2, "invalid YAML"},
    {"err_invalid_utf8", "a: \xff\n", 1, 4, "invalid leading UTF-8 octet"},
    {"err_invalid_utf8_line2", "a: 1\nb: x\xc3\n", 2, 6, "invalid trailing UTF-8 octet"},
    {"err_control_character", "a: \x01\n", 1, 4, "control characters are not allowed"},
    {"err_unterminated_quote", "a: \"abc\n", 2, 1, "found unexpected end of stream"},
};

static void s_test_error_case(void **state)
{
    const s_error_case_t *c = *state;
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(c->input, strlen(c->input), "test.yaml", &err);
    assert_null(doc);
    s_expect_error(&err, PL_ECONFIG, c->line, c->column, c->fragment);
}

/* ---- the tree ------------------------------------------------------------------------------- */

static void test_tree_positions_and_values(void **state)
{
    (void)state;
    const char *text = "# comment\n"
                       "name: plaint\n"
                       "list:\n"
                       "  - one\n"
                       "  - \"two\"\n"
                       "  - 3\n"
                       "map: {x: 1, y: ~}\n"
                       "empty:\n"
                       "quoted: '5'\n"
                       "tagged: !!str 7\n";
    pl_yaml_doc_t *doc = s_load(text);
    assert_string_equal(pl_yaml_doc_name(doc), "test.yaml");
    const pl_yaml_node_t *root = pl_yaml_doc_root(doc);
    assert_non_null(root);
    assert_int_equal(pl_yaml_node_kind(root), PL_YAML_MAPPING);
    assert_int_equal(pl_yaml_node_count(root), 6);
    assert_int_equal(pl_yaml_node_line(root), 2);
    assert_int_equal(pl_yaml_node_column(root), 1);

    const pl_yaml_node_t *k0 = pl_yaml_node_key(root, 0);
    assert_string_equal(pl_yaml_node_scalar(k0), "name");
    assert_int_equal(pl_yaml_node_line(k0), 2);
    assert_int_equal(pl_yaml_node_column(k0), 1);
    const pl_yaml_node_t *v0 = pl_yaml_node_value(root, 0);
    assert_string_equal(pl_yaml_node_scalar(v0), "plaint");
    assert_int_equal(pl_yaml_node_column(v0), 7);
    assert_true(pl_yaml_node_is_plain(v0));
    assert_false(pl_yaml_node_is_null(v0));

    const pl_yaml_node_t *list = pl_yaml_node_get(root, "list");
    assert_non_null(list);
    assert_int_equal(pl_yaml_node_kind(list), PL_YAML_SEQUENCE);
    assert_int_equal(pl_yaml_node_count(list), 3);
    assert_int_equal(pl_yaml_node_line(list), 4);
    assert_int_equal(pl_yaml_node_column(list), 3);
    const pl_yaml_node_t *two = pl_yaml_node_item(list, 1);
    assert_string_equal(pl_yaml_node_scalar(two), "two");
    assert_false(pl_yaml_node_is_plain(two));
    assert_int_equal(pl_yaml_node_line(two), 5);
    assert_int_equal(pl_yaml_node_column(two), 5);
    assert_null(pl_yaml_node_item(list, 3));
    assert_null(pl_yaml_node_key(list, 0));
    int64_t n = 0;
    assert_int_equal(pl_yaml_node_to_int64(pl_yaml_node_item(list, 2), &n), 0);
    assert_int_equal(n, 3);

    const pl_yaml_node_t *map = pl_yaml_node_get(root, "map");
    assert_int_equal(pl_yaml_node_kind(map), PL_YAML_MAPPING);
    assert_int_equal(pl_yaml_node_line(map), 7);
    assert_int_equal(pl_yaml_node_column(map), 6);
    assert_true(pl_yaml_node_is_null(pl_yaml_node_get(map, "y")));
    assert_null(pl_yaml_node_get(map, "z"));
    assert_null(pl_yaml_node_item(map, 0));

    const pl_yaml_node_t *empty = pl_yaml_node_get(root, "empty");
    assert_int_equal(pl_yaml_node_kind(empty), PL_YAML_SCALAR);
    assert_true(pl_yaml_node_is_null(empty));

    const pl_yaml_node_t *quoted = pl_yaml_node_get(root, "quoted");
    assert_false(pl_yaml_node_is_plain(quoted));
    assert_int_equal(pl_yaml_node_to_int64(quoted, &n), PL_EINVAL);
    const pl_yaml_node_t *tagged = pl_yaml_node_get(root, "tagged");
    assert_false(pl_yaml_node_is_plain(tagged));
    assert_string_equal(pl_yaml_node_scalar(tagged), "7");

    /* 1 mapping + 6 keys + 6 values + 3 list items + 4 in map */
    assert_int_equal(pl_yaml_doc_node_count(doc), 20);
    pl_yaml_doc_destroy(&doc);
    assert_null(doc);
    pl_yaml_doc_destroy(&doc);
    pl_yaml_doc_destroy(NULL);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    const char *empties[] = {"", "# only a comment\n", "\n\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        pl_yaml_doc_t *doc = s_load(empties[i]);
        assert_null(pl_yaml_doc_root(doc));
        assert_int_equal(pl_yaml_doc_node_count(doc), 0);
        pl_yaml_doc_destroy(&doc);
    }
    pl_yaml_doc_t *doc = s_load("---\n");
    assert_non_null(pl_yaml_doc_root(doc));
    assert_true(pl_yaml_node_is_null(pl_yaml_doc_root(doc)));
    pl_yaml_doc_destroy(&doc);
    /* A NULL buffer of length 0 is an empty document. */
    pl_err_t err;
    doc = pl_yaml_load_buffer(NULL, 0, NULL, &err);
    assert_non_null(doc);
    assert_string_equal(pl_yaml_doc_name(doc), "<buffer>");
    pl_yaml_doc_destroy(&doc);
}

static void test_explicit_document_markers(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("%YAML 1.1\n---\na: 1\n...\n");
    assert_int_equal(pl_yaml_node_count(pl_yaml_doc_root(doc)), 1);
    pl_yaml_doc_destroy(&doc);
}

static void test_bom_and_utf8(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("\xef\xbb\xbf"
                                "label: 产品质量投诉\n"
                                "x: 1\n");
    const pl_yaml_node_t *root = pl_yaml_doc_root(doc);
    assert_string_equal(pl_yaml_node_scalar(pl_yaml_node_get(root, "label")), "产品质量投诉");
    pl_yaml_doc_destroy(&doc);
    /* Columns count characters, not bytes. */
    doc = s_load("质量: [a, b]\n");
    const pl_yaml_node_t *seq = pl_yaml_node_value(pl_yaml_doc_root(doc), 0);
    assert_int_equal(pl_yaml_node_column(seq), 5);
    pl_yaml_doc_destroy(&doc);
}

static void test_null_forms(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("[~, null, Null, NULL, !!null x, 'null', nil, \"\"]\n");
    const pl_yaml_node_t *seq = pl_yaml_doc_root(doc);
    const bool expected[] = {true, true, true, true, true, false, false, false};
    assert_int_equal(pl_yaml_node_count(seq), sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_int_equal(pl_yaml_node_is_null(pl_yaml_node_item(seq, i)), expected[i]);
    }
    pl_yaml_doc_destroy(&doc);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("a: \"x\\0y\"\n");
    const pl_yaml_node_t *v = pl_yaml_node_get(pl_yaml_doc_root(doc), "a");
    assert_int_equal(pl_yaml_node_scalar_size(v), 3);
    assert_int_equal(strlen(pl_yaml_node_scalar(v)), 1);
    char desc[64];
    assert_string_equal(pl_yaml_node_describe(v, desc, sizeof desc), "\"x?y\"");
    pl_yaml_doc_destroy(&doc);
}

static void test_int64_conversion(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        int64_t value;
    } cases[] = {
        {"0", 0, 0},
        {"42", 0, 42},
        {"-17", 0, -17},
        {"007", 0, 7},
        {"9223372036854775807", 0, INT64_MAX},
        {"9223372036854775808", 0, INT64_MAX},
        {"99999999999999999999999", 0, INT64_MAX},
        {"-9223372036854775808", 0, INT64_MIN},
        {"-9223372036854775809", 0, INT64_MIN},
        {"+1", PL_EINVAL, 0},
        {"0x10", PL_EINVAL, 0},
        {"1_000", PL_EINVAL, 0},
        {"1.5", PL_EINVAL, 0},
        {"1e3", PL_EINVAL, 0},
        {"-a", PL_EINVAL, 0},
        {"--1", PL_EINVAL, 0},
        {"'5'", PL_EINVAL, 0},
        {"\"5\"", PL_EINVAL, 0},
        {"~", PL_EINVAL, 0},
        {"[1]", PL_EINVAL, 0},
        {"!!int 12", 0, 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "v: %s\n", cases[i].text);
        pl_yaml_doc_t *doc = s_load(text);
        int64_t value = 12345;
        int rc = pl_yaml_node_to_int64(pl_yaml_node_get(pl_yaml_doc_root(doc), "v"), &value);
        if (rc != cases[i].rc || (rc == 0 && value != cases[i].value)) {
            print_error("%s: rc %d value %lld\n", cases[i].text, rc, (long long)value);
            fail();
        }
        if (rc != 0) {
            assert_int_equal(value, 12345);
        }
        pl_yaml_doc_destroy(&doc);
    }
}

static void test_bool_conversion(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("[true, False, TRUE, yes, 'true', 1]\n");
    const pl_yaml_node_t *seq = pl_yaml_doc_root(doc);
    bool b = false;
    assert_int_equal(pl_yaml_node_to_bool(pl_yaml_node_item(seq, 0), &b), 0);
    assert_true(b);
    assert_int_equal(pl_yaml_node_to_bool(pl_yaml_node_item(seq, 1), &b), 0);
    assert_false(b);
    assert_int_equal(pl_yaml_node_to_bool(pl_yaml_node_item(seq, 2), &b), 0);
    assert_true(b);
    for (size_t i = 3; i < 6; i++) {
        assert_int_equal(pl_yaml_node_to_bool(pl_yaml_node_item(seq, i), &b), PL_EINVAL);
    }
    pl_yaml_doc_destroy(&doc);
}

static void test_describe(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("[{a: 1}, [1], ~, abc, 0123456789012345678901234567890123456789X,"
                                " \"a\\tb\"]\n");
    const pl_yaml_node_t *seq = pl_yaml_doc_root(doc);
    char buf[64];
    assert_string_equal(pl_yaml_node_describe(pl_yaml_node_item(seq, 0), buf, sizeof buf),
                        "a mapping");
    assert_string_equal(pl_yaml_node_describe(pl_yaml_node_item(seq, 1), buf, sizeof buf),
                        "a sequence");
    assert_string_equal(pl_yaml_node_describe(pl_yaml_node_item(seq, 2), buf, sizeof buf), "null");
    assert_string_equal(pl_yaml_node_describe(pl_yaml_node_item(seq, 3), buf, sizeof buf),
                        "\"abc\"");
    assert_string_equal(pl_yaml_node_describe(pl_yaml_node_item(seq, 4), buf, sizeof buf),
                        "\"0123456789012345678901234567890123456789...\"");
    assert_string_equal(pl_yaml_node_describe(pl_yaml_node_item(seq, 5), buf, sizeof buf),
                        "\"a?b\"");
    pl_yaml_doc_destroy(&doc);
}

static void test_err_at(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_load("a:\n  b: 1\n");
    const pl_yaml_node_t *b = pl_yaml_node_get(pl_yaml_node_get(pl_yaml_doc_root(doc), "a"), "b");
    pl_err_t err;
    pl_err_clear(&err);
    assert_int_equal(pl_yaml_err_at(&err, doc, b, PL_ECONFIG, "bad %s", "b"), PL_ECONFIG);
    char buf[256];
    assert_string_equal(pl_err_format(&err, buf, sizeof buf), "test.yaml:2:6: bad b");
    assert_int_equal(pl_yaml_err_at(&err, doc, NULL, PL_ECONFIG, "whole file"), PL_ECONFIG);
    assert_string_equal(pl_err_format(&err, buf, sizeof buf), "test.yaml: whole file");
    assert_int_equal(pl_yaml_err_at(NULL, doc, b, PL_EINVAL, "ignored"), PL_EINVAL);
    pl_yaml_doc_destroy(&doc);
}

/* ---- hostile input ------------------------------------------------------------------------ */

static void test_billion_laughs_refused_quickly(void **state)
{
    (void)state;
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_yaml_load_buffer(bomb, strlen(bomb), "test.yaml", &err));
    s_expect_error(&err, PL_ECONFIG, 1, 4, "anchors and aliases are not supported");
    assert_true(s_seconds_since(&start) < 0.5);
}

static char *s_repeat(const char *open, int n, const char *close)
{
    size_t size = (strlen(open) + strlen(close)) * (size_t)n + 1;
    char *text = malloc(size);
    assert_non_null(text);
    char *p = text;
    for (int i = 0; i < n; i++) {
        p += sprintf(p, "%s", open);
    }
    for (int i = 0; i < n; i++) {
        p += sprintf(p, "%s", close);
    }
    return text;
}

static void test_depth_limit_flow(void **state)
{
    (void)state;
    char *ok = s_repeat("[", PL_YAML_MAX_DEPTH, "]");
    pl_yaml_doc_t *doc = s_load(ok);
    assert_int_equal(pl_yaml_doc_node_count(doc), PL_YAML_MAX_DEPTH);
    pl_yaml_doc_destroy(&doc);
    free(ok);

    char *deep = s_repeat("[", PL_YAML_MAX_DEPTH + 1, "]");
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_yaml_load_buffer(deep, strlen(deep), "test.yaml", &err));
    s_expect_error(&err, PL_ECONFIG, 1, PL_YAML_MAX_DEPTH + 1, "nesting is deeper than 64 levels");
    free(deep);
}

static void test_depth_limit_block(void **state)
{
    (void)state;
    /* Line i (1-based) holds "k:" indented by i-1 spaces; the mapping opened
     * on line 65 is the 65th level. */
    char *text = malloc(200 * 100);
    assert_non_null(text);
    char *p = text;
    for (int i = 0; i < 100; i++) {
        p += sprintf(p, "%*sk:\n", i, "");
    }
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_yaml_load_buffer(text, strlen(text), "test.yaml", &err));
    s_expect_error(&err, PL_ECONFIG, PL_YAML_MAX_DEPTH + 1, PL_YAML_MAX_DEPTH + 1,
                   "nesting is deeper than");
    free(text);
}

static void test_deep_flow_bomb_is_fast(void **state)
{
    (void)state;
    /* 1 MiB of "[" stops at the 65th. */
    size_t len = PL_YAML_MAX_BYTES;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, '[', len);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_yaml_load_buffer(text, len, "test.yaml", &err));
    s_expect_error(&err, PL_ECONFIG, 1, PL_YAML_MAX_DEPTH + 1, "nesting is deeper than");
    assert_true(s_seconds_since(&start) < 1.0);
    free(text);
}

static void test_node_limit(void **state)
{
    (void)state;
    /* "[1,1,...]": the sequence and its first 99 999 items make 100 000
     * nodes; item 100 000 (at column 2 + 2 * 99 999) is one too many. */
    size_t items = PL_YAML_MAX_NODES + 10;
    char *text = malloc(items * 2 + 2);
    assert_non_null(text);
    text[0] = '[';
    for (size_t i = 0; i < items; i++) {
        text[1 + 2 * i] = '1';
        text[2 + 2 * i] = i + 1 < items ? ',' : ']';
    }
    text[items * 2 + 1] = '\0';
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_yaml_load_buffer(text, strlen(text), "test.yaml", &err));
    s_expect_error(&err, PL_ECONFIG, 1, 2 + 2 * (PL_YAML_MAX_NODES - 1),
                   "document has more than 100000 nodes");

    /* Exactly the limit is fine. */
    size_t ok_items = PL_YAML_MAX_NODES - 1;
    text[2 * ok_items] = ']';
    text[2 * ok_items + 1] = '\0';
    pl_yaml_doc_t *doc = s_load(text);
    assert_int_equal(pl_yaml_doc_node_count(doc), PL_YAML_MAX_NODES);
    pl_yaml_doc_destroy(&doc);
    free(text);
}

static void test_many_keys_duplicate_check_is_fast(void **state)
{
    (void)state;
    /* 49 998 distinct keys and one duplicate at the end (99 999 nodes):
     * sorting, not a quadratic scan. */
    size_t keys = PL_YAML_MAX_NODES / 2 - 2;
    char *text = malloc(keys * 16 + 64);
    assert_non_null(text);
    char *p = text;
    for (size_t i = 0; i < keys; i++) {
        p += sprintf(p, "k%zu: 1\n", i);
    }
    p += sprintf(p, "k7: 2\n");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(text, strlen(text), "test.yaml", &err);
    double seconds = s_seconds_since(&start);
    free(text);
    assert_null(doc);
    s_expect_error(&err, PL_ECONFIG, (int)keys + 1, 1,
                   "duplicate key \"k7\" (first defined at line 8, column 1)");
    assert_true(seconds < 2.0);
}

static void test_oversized_buffer(void **state)
{
    (void)state;
    size_t len = PL_YAML_MAX_BYTES + 1;
    char *text = malloc(len);
    assert_non_null(text);
    memset(text, '#', len);
    pl_err_t err;
    pl_err_clear(&err);
    assert_null(pl_yaml_load_buffer(text, len, "test.yaml", &err));
    s_expect_error(&err, PL_EINVAL, 0, 0, "larger than 1048576 bytes");
    /* Exactly the limit is read (a comment). */
    text[len - 2] = '\n';
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(text, len - 1, "test.yaml", &err);
    assert_non_null(doc);
    pl_yaml_doc_destroy(&doc);
    free(text);
}

static void test_files(void **state)
{
    (void)state;
    char path[] = "/tmp/pl_test_yaml_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("a:\n  - 1\n", f);
    fclose(f);

    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_file(path, &err);
    assert_non_null(doc);
    assert_string_equal(pl_yaml_doc_name(doc), path);
    pl_yaml_doc_destroy(&doc);

    /* One byte over the limit. */
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < PL_YAML_MAX_BYTES; i++) {
        fputc(i % 64 == 63 ? '\n' : '#', f);
    }
    fputc('\n', f);
    fclose(f);
    assert_null(pl_yaml_load_file(path, &err));
    assert_int_equal(err.code, PL_EINVAL);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.message, "file is larger than 1048576 bytes"));
    remove(path);

    assert_null(pl_yaml_load_file(path, &err));
    assert_int_equal(err.code, PL_EIO);
    assert_non_null(strstr(err.message, "cannot open"));

    assert_null(pl_yaml_load_file("/", &err));
    assert_int_equal(err.code, PL_EIO);

    char *buf = NULL;
    size_t size = 0;
    assert_int_equal(pl_yaml_read_file("/dev/null", &buf, &size, NULL), 0);
    assert_int_equal(size, 0);
    assert_string_equal(buf, "");
    free(buf);
}

/* ---- runner -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_tree_positions_and_values),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_explicit_document_markers),
        cmocka_unit_test(test_bom_and_utf8),
        cmocka_unit_test(test_null_forms),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_int64_conversion),
        cmocka_unit_test(test_bool_conversion),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_err_at),
        cmocka_unit_test(test_billion_laughs_refused_quickly),
        cmocka_unit_test(test_depth_limit_flow),
        cmocka_unit_test(test_depth_limit_block),
        cmocka_unit_test(test_deep_flow_bomb_is_fast),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_many_keys_duplicate_check_is_fast),
        cmocka_unit_test(test_oversized_buffer),
        cmocka_unit_test(test_files),
    };
    size_t fixed_count = sizeof fixed / sizeof fixed[0];
    size_t error_count = sizeof s_error_cases / sizeof s_error_cases[0];
    struct CMUnitTest *tests = calloc(fixed_count + error_count, sizeof *tests);
    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    /* Each row of the error table is a test of its own name. */
    for (size_t i = 0; i < error_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + i];
        t->name = s_error_cases[i].name;
        t->test_func = s_test_error_case;
        t->initial_state = (void *)&s_error_cases[i];
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("yaml", tests, fixed_count + error_count, NULL, NULL);
    free(tests);
    return failed == 0 ? 0 : 1;
}
