/*
 * Unit tests of config/config: defaults, the shipped config/plaint.yaml,
 * every key, and every kind of error with its exact line:column. Run with a
 * test name (or a pattern such as "bad_*") to run only the matching tests.
 * Files are found under $PL_SOURCE_DIR (default: the working directory).
 */
#include "config/config.h"

#include "common/pl_log.h"
#include "config/yaml.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#define S_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *s_source_path(const char *relative, char *buf, size_t size)
{
    const char *root = getenv("PL_SOURCE_DIR");
    snprintf(buf, size, "%s/%s", root && *root ? root : ".", relative);
    return buf;
}

static pl_config_t *s_load_ok(const char *text)
{
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(text, strlen(text), "test.yaml", &errs);
    if (!cfg || errs.count != 0) {
        char buf[1024];
        for (size_t i = 0; i < errs.count; i++) {
            print_error("unexpected: %s\n", pl_err_format(&errs.items[i], buf, sizeof buf));
        }
        fail();
    }
    pl_errlist_free(&errs);
    return cfg;
}

static void s_print_errors(const pl_errlist_t *errs)
{
    char buf[1024];
    for (size_t i = 0; i < errs->count; i++) {
        print_error("  [%d] %s\n", errs->items[i].code,
                    pl_err_format(&errs->items[i], buf, sizeof buf));
    }
}

typedef struct {
    int line;
    int column;
    const char *fragment; /* NULL ends the list */
} s_expected_t;

/* Checks that `errs` holds exactly the expected errors, in order. */
static void s_expect_errors(const pl_errlist_t *errs, const char *file,
                            const s_expected_t *expected)
{
    size_t n = 0;
    while (expected[n].fragment) {
        n++;
    }
    bool ok = errs->count == n;
    for (size_t i = 0; ok && i < n; i++) {
        const pl_err_t *e = &errs->items[i];
        ok = e->code == PL_ECONFIG && e->line == expected[i].line &&
             e->column == expected[i].column && strstr(e->message, expected[i].fragment) &&
             strcmp(e->file, file) == 0;
    }
    if (!ok) {
        print_error("got %zu error(s):\n", errs->count);
        s_print_errors(errs);
        print_error("wanted %zu:\n", n);
        for (size_t i = 0; i < n; i++) {
            print_error("  %s:%d:%d: ...%s...\n", file, expected[i].line, expected[i].column,
                        expected[i].fragment);
        }
        fail();
    }
}

static void s_assert_defaults(const pl_config_t *cfg)
{
    assert_string_equal(cfg->database_url, "dbname=plaint");
    assert_string_equal(cfg->listen_ingest, "tcp://127.0.0.1:5555");
    assert_string_equal(cfg->listen_publish, "tcp://127.0.0.1:5556");
    assert_string_equal(cfg->case_number_format, "TS-{year}-{seq:6}");
    assert_string_equal(cfg->case_number_template, "TS-{year}-{seq}");
    assert_int_equal(cfg->case_number_width, 6);
    assert_string_equal(cfg->timezone, "Asia/Shanghai");
    assert_int_equal(cfg->max_request_bytes, 65536);
    assert_int_equal(cfg->max_depth, 32);
    static const char *const kinds[] = {"complaint", "feedback", "repair",
                                        "incident",  "patrol",   "comment"};
    assert_int_equal(cfg->kinds_count, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(cfg->kinds[i], kinds[i]);
    }
    assert_null(cfg->kinds[6]);
    assert_int_equal(cfg->batch_max, 128);
    assert_int_equal(cfg->queue_max, 20000);
    assert_int_equal(cfg->reconnect_max_ms, 5000);
    assert_int_equal(cfg->log_level, PL_LOG_INFO);
}

/* ---- valid input --------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    pl_config_t *cfg = pl_config_new_default();
    assert_non_null(cfg);
    s_assert_defaults(cfg);
    assert_string_equal(cfg->path, "<defaults>");
    assert_string_equal(cfg->version, S_EMPTY_SHA256);
    pl_config_destroy(&cfg);
    assert_null(cfg);
    pl_config_destroy(&cfg);
    pl_config_destroy(NULL);
}

static void test_empty_file_gives_defaults(void **state)
{
    (void)state;
    const char *inputs[] = {"", "# nothing\n", "---\n", "database:\nlisten:\nlog: ~\n"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        pl_config_t *cfg = s_load_ok(inputs[i]);
        s_assert_defaults(cfg);
        assert_string_equal(cfg->path, "test.yaml");
        pl_config_destroy(&cfg);
    }
    pl_config_t *cfg = s_load_ok("");
    assert_string_equal(cfg->version, S_EMPTY_SHA256);
    pl_config_destroy(&cfg);
}

static void test_shipped_config_loads(void **state)
{
    (void)state;
    char path[1024];
    s_source_path("config/plaint.yaml", path, sizeof path);
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(path, &errs);
    if (!cfg) {
        s_print_errors(&errs);
        pl_errlist_free(&errs);
        fail();
    }
    assert_int_equal(errs.count, 0);
    /* The shipped file documents the defaults, so it must equal them. */
    s_assert_defaults(cfg);
    assert_string_equal(cfg->path, path);
    assert_int_equal(strlen(cfg->version), 64);
    assert_string_not_equal(cfg->version, S_EMPTY_SHA256);
    pl_config_destroy(&cfg);
    pl_errlist_free(&errs);
}

static void test_full_fixture(void **state)
{
    (void)state;
    char path[1024];
    s_source_path("tests/unit/data/config/full.yaml", path, sizeof path);
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(path, &errs);
    if (!cfg) {
        s_print_errors(&errs);
        pl_errlist_free(&errs);
        fail();
    }
    assert_string_equal(cfg->database_url, "host=/run/postgresql dbname=plaint_test user=plaint");
    assert_string_equal(cfg->listen_ingest, "ipc:///run/plaint/ingest.sock");
    assert_string_equal(cfg->listen_publish, "tcp://0.0.0.0:7001");
    assert_string_equal(cfg->case_number_format, "CS/{year}/{seq:8}");
    assert_string_equal(cfg->case_number_template, "CS/{year}/{seq}");
    assert_int_equal(cfg->case_number_width, 8);
    assert_string_equal(cfg->timezone, "Europe/Berlin");
    assert_int_equal(cfg->max_request_bytes, 1048576);
    assert_int_equal(cfg->max_depth, 16);
    assert_int_equal(cfg->kinds_count, 3);
    assert_string_equal(cfg->kinds[0], "complaint");
    assert_string_equal(cfg->kinds[1], "repair");
    assert_string_equal(cfg->kinds[2], "hotline_call");
    assert_null(cfg->kinds[3]);
    assert_int_equal(cfg->batch_max, 500);
    assert_int_equal(cfg->queue_max, 1000);
    assert_int_equal(cfg->reconnect_max_ms, 30000);
    assert_int_equal(cfg->log_level, PL_LOG_DEBUG);
    pl_config_destroy(&cfg);
    pl_errlist_free(&errs);
}

static void test_errors_fixture(void **state)
{
    (void)state;
    char path[1024];
    s_source_path("tests/unit/data/config/errors.yaml", path, sizeof path);
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_file(path, &errs));
    static const s_expected_t expected[] = {
        {3, 8, "database.url: must not be empty"},
        {6, 3, "unknown key \"pubish\" in listen; expected ingest, publish"},
        {8, 14, "intake.max_depth: 1000 is out of range 4..256"},
        {9, 16, "intake.case_number: unknown placeholder {month}"},
        {11, 10, "log.level: unknown level \"verbose\"; expected error, warn, info or debug"},
        {0, 0, NULL},
    };
    s_expect_errors(&errs, path, expected);
    char line[1024];
    char want[1100];
    snprintf(want, sizeof want, "%s:3:8: database.url: must not be empty", path);
    assert_string_equal(pl_err_format(&errs.items[0], line, sizeof line), want);
    pl_errlist_free(&errs);
    assert_int_equal(errs.count, 0);
    assert_null(errs.items);
}

static void test_version_is_sha256_of_bytes(void **state)
{
    (void)state;
    /* Comments of every length around the SHA-256 block and padding
     * boundaries; expected values from `sha256sum`. */
    static const struct {
        size_t size;
        const char *sha256;
    } cases[] = {
        {1, "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"},
        {2, "32c4858e22cc2c967b42150fa550562a2c839c2cebcaab91cabdf6f4da020022"},
        {55, "6b23aa7d2c2f1b17d5dc2ef94c29f4c4d66e3a11bc56901d26e25b629d044275"},
        {56, "3afb82802ed3d862fdc519ab199d8fab899ecba03983799b4ba0e12fa2f21daf"},
        {57, "a325dfce58106696c0a17ad26ec2f28905aae7818b9ee909df2d2d6c8a2d2cce"},
        {63, "33b0167c32ee2c1dae1cb5d9bbaebd0b35f607faabe20dd382c2b4fc6b66b082"},
        {64, "af63c554641214f30ce71262ab61628924c57c070edc7e858985074291cbed11"},
        {65, "433f37c98aef0beaf1ead7389548a3079be01e9b86856aacfb0e2e36cba00ed4"},
        {119, "e163542395e0e145ce60b135168135fbb9b9b2b86e445a524a6d8ff75ec900d2"},
        {120, "039982999c302daadccb0456e3062ad18fcbd25d79e417859c4935ff684abccb"},
        {200, "204d9c1a9acaa4d9cc147cee62f12e17901db4e4f732b7363479c823cbca14d3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        size_t n = cases[i].size;
        memset(text, 'x', n);
        text[0] = n > 1 ? '#' : '\n';
        text[n - 1] = '\n';
        text[n] = '\0';
        pl_config_t *cfg = s_load_ok(text);
        assert_string_equal(cfg->version, cases[i].sha256);
        pl_config_destroy(&cfg);
    }
    pl_config_t *cfg =
        s_load_ok("intake: {case_number: \"A/{year}.{seq:12}\", timezone: Etc/GMT+8}\n");
    assert_string_equal(cfg->version,
                        "5d7c5da6be6712804557ab016f5b877f2db9af4b7cdcfd2c6d67678bdaf8e688");
    pl_config_destroy(&cfg);
}

static void test_case_number_forms(void **state)
{
    (void)state;
    static const struct {
        const char *format;
        const char *template_text;
        int width;
    } cases[] = {
        {"{seq}", "{seq}", 1},
        {"{seq:1}", "{seq}", 1},
        {"{seq:12}", "{seq}", 12},
        {"{seq:06}", "{seq}", 6},
        {"TS-{year}-{seq:6}", "TS-{year}-{seq}", 6},
        {"{seq}-{year}", "{seq}-{year}", 1},
        {"A_b/c.d-{seq:3}", "A_b/c.d-{seq}", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "intake:\n  case_number: \"%s\"\n", cases[i].format);
        pl_config_t *cfg = s_load_ok(text);
        assert_string_equal(cfg->case_number_format, cases[i].format);
        assert_string_equal(cfg->case_number_template, cases[i].template_text);
        assert_int_equal(cfg->case_number_width, cases[i].width);
        pl_config_destroy(&cfg);
    }
}

static void test_other_valid_values(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load_ok("log: {level: warn}\n"
                                 "database: {url: 5}\n"
                                 "store: {batch_max: 1, queue_max: 1000000, "
                                 "reconnect_max_ms: 100}\n"
                                 "intake: {max_request_bytes: 16777216, max_depth: 4, "
                                 "kinds: [_x, a1], timezone: UTC}\n"
                                 "listen: {ingest: 'inproc://in', publish: \"tcp://[::1]:1\"}\n");
    assert_int_equal(cfg->log_level, PL_LOG_WARN);
    assert_string_equal(cfg->database_url, "5");
    assert_int_equal(cfg->batch_max, 1);
    assert_int_equal(cfg->queue_max, 1000000);
    assert_int_equal(cfg->reconnect_max_ms, 100);
    assert_int_equal(cfg->max_request_bytes, 16777216);
    assert_int_equal(cfg->max_depth, 4);
    assert_int_equal(cfg->kinds_count, 2);
    assert_string_equal(cfg->kinds[0], "_x");
    assert_string_equal(cfg->timezone, "UTC");
    assert_string_equal(cfg->listen_ingest, "inproc://in");
    pl_config_destroy(&cfg);

    static const struct {
        const char *name;
        int level;
    } levels[] = {{"error", PL_LOG_ERROR},
                  {"warning", PL_LOG_WARN},
                  {"info", PL_LOG_INFO},
                  {"debug", PL_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "log:\n  level: %s\n", levels[i].name);
        cfg = s_load_ok(text);
        assert_int_equal(cfg->log_level, levels[i].level);
        pl_config_destroy(&cfg);
    }
}

/* ---- table: input that must be refused, with every error it must give ----------------------- */

typedef struct {
    const char *name;
    const char *input;
    s_expected_t errors[6];
} s_bad_case_t;

static const s_bad_case_t s_bad_cases[] = {
    {"bad_unknown_key",
     "listen:\n  ingest: \"tcp://a:1\"\n  pubish: x\n",
     {{3, 3, "unknown key \"pubish\" in listen; expected ingest, publish"}}},
    {"bad_unknown_key_intake",
     "intake: {kind: [a]}\n",
     {{1, 10,
       "unknown key \"kind\" in intake; expected case_number, timezone, max_request_bytes, "
       "max_depth, kinds"}}},
    {"bad_key_with_nul",
     "log: {\"level\\0x\": debug}\n",
     {{1, 7, "unknown key \"level?x\" in log; expected level"}}},
    {"bad_unknown_section",
     "lisen: {}\n",
     {{1, 1, "unknown section \"lisen\"; expected database, listen, intake, store, log"}}},
    {"bad_root_scalar", "hello\n", {{1, 1, "expected a mapping of sections, found \"hello\""}}},
    {"bad_root_sequence",
     "- database\n",
     {{1, 1, "expected a mapping of sections, found a sequence"}}},
    {"bad_section_type", "listen: [a]\n", {{1, 9, "listen: expected a mapping, found a sequence"}}},
    {"bad_section_scalar", "store: 5\n", {{1, 8, "store: expected a mapping, found \"5\""}}},
    {"bad_string_type",
     "database:\n  url: {a: 1}\n",
     {{2, 8, "database.url: expected a string, found a mapping"}}},
    {"bad_string_null",
     "database:\n  url:\n",
     {{2, 7, "database.url: expected a string, found null"}}},
    {"bad_string_empty", "database: {url: \"\"}\n", {{1, 17, "database.url: must not be empty"}}},
    {"bad_string_control",
     "database: {url: \"a\\tb\"}\n",
     {{1, 17, "database.url: must not contain control characters"}}},
    {"bad_string_nul",
     "database: {url: \"a\\0b\"}\n",
     {{1, 17, "database.url: must not contain NUL characters"}}},
    {"bad_int_word",
     "store: {batch_max: many}\n",
     {{1, 20, "store.batch_max: expected an integer, found \"many\""}}},
    {"bad_int_quoted",
     "store: {batch_max: '5'}\n",
     {{1, 20, "store.batch_max: expected an integer, found the string \"5\""}}},
    {"bad_int_float",
     "intake:\n  max_depth: 3.5\n",
     {{2, 14, "intake.max_depth: expected an integer, found \"3.5\""}}},
    {"bad_int_unit",
     "store:\n  reconnect_max_ms: 5s\n",
     {{2, 21, "store.reconnect_max_ms: expected an integer, found \"5s\""}}},
    {"bad_int_null",
     "store:\n  queue_max:\n",
     {{2, 13, "store.queue_max: expected an integer, found null"}}},
    {"bad_int_sequence",
     "store:\n  queue_max: [1]\n",
     {{2, 14, "store.queue_max: expected an integer, found a sequence"}}},
    {"bad_int_ranges",
     "store:\n  batch_max: 0\n  queue_max: 99999999999999999999\n  reconnect_max_ms: 99\n"
     "intake:\n  max_request_bytes: 1023\n  max_depth: 257\n",
     {{2, 14, "store.batch_max: 0 is out of range 1..10000"},
      {3, 14, "store.queue_max: 99999999999999999999 is out of range 1..1000000"},
      {4, 21, "store.reconnect_max_ms: 99 is out of range 100..600000"},
      {6, 22, "intake.max_request_bytes: 1023 is out of range 1024..16777216"},
      {7, 14, "intake.max_depth: 257 is out of range 4..256"}}},
    {"bad_int_negative",
     "store: {batch_max: -1}\n",
     {{1, 20, "store.batch_max: -1 is out of range 1..10000"}}},
    {"bad_case_number_no_seq",
     "intake:\n  case_number: TS-{year}\n",
     {{2, 16, "intake.case_number: must contain {seq} or {seq:N} exactly once"}}},
    {"bad_case_number_two_seq",
     "intake: {case_number: \"{seq}{seq:2}\"}\n",
     {{1, 23, "intake.case_number: {seq} appears more than once"}}},
    {"bad_case_number_two_years",
     "intake: {case_number: \"{year}{seq}{year}\"}\n",
     {{1, 23, "intake.case_number: {year} appears more than once"}}},
    {"bad_case_number_placeholder",
     "intake: {case_number: \"{month}-{seq}\"}\n",
     {{1, 23, "unknown placeholder {month}; expected {year}, {seq} or {seq:N}"}}},
    {"bad_case_number_width_13",
     "intake: {case_number: \"{seq:13}\"}\n",
     {{1, 23, "in {seq:13} the width must be 1 to 12"}}},
    {"bad_case_number_width_0",
     "intake: {case_number: \"{seq:0}\"}\n",
     {{1, 23, "in {seq:0} the width must be 1 to 12"}}},
    {"bad_case_number_width_empty",
     "intake: {case_number: \"{seq:}\"}\n",
     {{1, 23, "the width must be 1 to 12"}}},
    {"bad_case_number_seqx",
     "intake: {case_number: \"{seqx}\"}\n",
     {{1, 23, "unknown placeholder {seqx}"}}},
    {"bad_case_number_space",
     "intake: {case_number: \"TS {seq}\"}\n",
     {{1, 23, "character 3 (byte 0x20) is not allowed"}}},
    {"bad_case_number_utf8",
     "intake: {case_number: \"案{seq}\"}\n",
     {{1, 23, "character 1 (byte 0xE6) is not allowed"}}},
    {"bad_case_number_unclosed",
     "intake: {case_number: \"TS-{seq\"}\n",
     {{1, 23, "\"{\" at character 4 is never closed"}}},
    {"bad_case_number_stray_brace",
     "intake: {case_number: \"TS}{seq}\"}\n",
     {{1, 23, "\"}\" at character 3 has no \"{\""}}},
    {"bad_case_number_too_long",
     "intake: {case_number: "
     "\"{seq}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n",
     {{1, 23, "longer than 64 characters"}}},
    {"bad_timezone_syntax",
     "intake:\n  timezone: ../../etc/passwd\n",
     {{2, 13, "intake.timezone: \"../../etc/passwd\" is not an IANA time zone name"}}},
    {"bad_timezone_dotdot",
     "intake:\n  timezone: Asia/../UTC\n",
     {{2, 13, "is not an IANA time zone name"}}},
    {"bad_timezone_space",
     "intake:\n  timezone: Asia/Shang hai\n",
     {{2, 13, "is not an IANA time zone name"}}},
    {"bad_timezone_trailing_slash",
     "intake:\n  timezone: Asia/\n",
     {{2, 13, "is not an IANA time zone name"}}},
    {"bad_kinds_type",
     "intake: {kinds: complaint}\n",
     {{1, 17, "intake.kinds: expected a sequence of kinds, found \"complaint\""}}},
    {"bad_kinds_empty",
     "intake: {kinds: []}\n",
     {{1, 17, "intake.kinds: must list at least one kind"}}},
    {"bad_kinds_items",
     "intake:\n  kinds: [a, Complaint, a, ~, 9x, [b]]\n",
     {{2, 14, "intake.kinds: \"Complaint\" is not a valid kind"},
      {2, 25, "intake.kinds: duplicate kind \"a\""},
      {2, 28, "intake.kinds: null is not a valid kind"},
      {2, 31, "intake.kinds: \"9x\" is not a valid kind"},
      {2, 35, "intake.kinds: a sequence is not a valid kind"}}},
    {"bad_kinds_too_long",
     "intake:\n  kinds: [abcdefghijklmnopqrstuvwxyz0123456]\n",
     {{2, 11, "is not a valid kind; use 1 to 32 of a-z"}}},
    {"bad_log_level",
     "log:\n  level: verbose\n",
     {{2, 10, "log.level: unknown level \"verbose\"; expected error, warn, info or debug"}}},
    {"bad_log_level_type",
     "log:\n  level: [debug]\n",
     {{2, 10, "log.level: expected a string, found a sequence"}}},
    {"bad_endpoint",
     "listen:\n  ingest: localhost:5555\n",
     {{2, 11,
       "listen.ingest: \"localhost:5555\" is not a ZeroMQ endpoint; expected "
       "tcp://HOST:PORT, ipc://PATH or inproc://NAME"}}},
    {"bad_endpoint_empty_address",
     "listen:\n  publish: \"tcp://\"\n",
     {{2, 12, "listen.publish: \"tcp://\" is not a ZeroMQ endpoint"}}},
    {"bad_endpoints_equal",
     "listen:\n  ingest: tcp://x:1\n  publish: tcp://x:1\n",
     {{3, 12, "listen.publish: must differ from listen.ingest (both are \"tcp://x:1\")"}}},
    {"bad_endpoint_equals_default",
     "listen:\n  publish: tcp://127.0.0.1:5555\n",
     {{2, 12, "listen.publish: must differ from listen.ingest"}}},
    {"bad_yaml_anchor",
     "database: &d {url: x}\n",
     {{1, 11, "anchors and aliases are not supported"}}},
    {"bad_yaml_duplicate_section",
     "log: {level: info}\nlog: {level: debug}\n",
     {{2, 1, "duplicate key \"log\" (first defined at line 1, column 1)"}}},
    {"bad_yaml_syntax", "log:\n  level: [info\n", {{3, 1, "invalid YAML"}}},
    {"bad_many_at_once",
     "database:\n  url: ~\nlisten:\n  ingest: 5\nfoo: 1\nstore:\n  batch_max: x\n"
     "log:\n  level: loud\n",
     {{2, 8, "database.url: expected a string, found null"},
      {4, 11, "listen.ingest: \"5\" is not a ZeroMQ endpoint"},
      {5, 1, "unknown section \"foo\""},
      {7, 14, "store.batch_max: expected an integer, found \"x\""},
      {9, 10, "log.level: unknown level \"loud\""}}},
};

static void s_test_bad_case(void **state)
{
    const s_bad_case_t *c = *state;
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_buffer(c->input, strlen(c->input), "test.yaml", &errs));
    s_expect_errors(&errs, "test.yaml", c->errors);
    pl_errlist_free(&errs);
    /* The caller may not want the list. */
    assert_null(pl_config_load_buffer(c->input, strlen(c->input), "test.yaml", NULL));
}

/* ---- other failures ------------------------------------------------------------------------ */

static void test_unknown_timezone(void **state)
{
    (void)state;
    struct stat st;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) {
        dir = "/usr/share/zoneinfo";
    }
    if (stat(dir, &st) != 0) {
        skip();
    }
    const char *text = "intake:\n  timezone: Mars/Olympus_Mons\n";
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_buffer(text, strlen(text), "test.yaml", &errs));
    s_expected_t expected[] = {
        {2, 13, "intake.timezone: unknown time zone \"Mars/Olympus_Mons\" (not found in"},
        {0, 0, NULL}};
    s_expect_errors(&errs, "test.yaml", expected);
    pl_errlist_free(&errs);
    /* A directory of the zone database is not a zone, nor is a table in it. */
    const char *not_zones[] = {"Asia", "leapseconds", "zone1970"};
    for (size_t i = 0; i < sizeof not_zones / sizeof not_zones[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "intake:\n  timezone: %s\n", not_zones[i]);
        assert_null(pl_config_load_buffer(buf, strlen(buf), "test.yaml", &errs));
        assert_int_equal(errs.count, 1);
        assert_non_null(strstr(errs.items[0].message, "unknown time zone"));
        pl_errlist_free(&errs);
    }
}

static void test_error_list_is_capped(void **state)
{
    (void)state;
    char *text = malloc(200 * 32);
    assert_non_null(text);
    char *p = text;
    p += sprintf(p, "log:\n");
    for (int i = 0; i < 200; i++) {
        p += sprintf(p, "  k%d: 1\n", i);
    }
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_buffer(text, strlen(text), "test.yaml", &errs));
    free(text);
    assert_int_equal(errs.count, PL_CONFIG_MAX_ERRORS + 1);
    assert_int_equal(errs.items[0].line, 2);
    assert_int_equal(errs.items[PL_CONFIG_MAX_ERRORS - 1].line, PL_CONFIG_MAX_ERRORS + 1);
    assert_non_null(strstr(errs.items[PL_CONFIG_MAX_ERRORS].message, "too many errors"));
    assert_string_equal(errs.items[PL_CONFIG_MAX_ERRORS].file, "test.yaml");
    pl_errlist_free(&errs);
}

static void test_missing_file(void **state)
{
    (void)state;
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_file("/nonexistent/plaint.yaml", &errs));
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].code, PL_EIO);
    assert_string_equal(errs.items[0].file, "/nonexistent/plaint.yaml");
    assert_non_null(strstr(errs.items[0].message, "cannot open"));
    pl_errlist_free(&errs);
    assert_null(pl_config_load_file("/nonexistent/plaint.yaml", NULL));
}

static void test_oversized_file(void **state)
{
    (void)state;
    char path[] = "/tmp/pl_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int i = 0; i <= PL_YAML_MAX_BYTES; i++) {
        fputc(i % 64 == 63 ? '\n' : '#', f);
    }
    fclose(f);
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(path, &errs);
    remove(path);
    assert_null(cfg);
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].code, PL_EINVAL);
    assert_non_null(strstr(errs.items[0].message, "larger than 1048576 bytes"));
    pl_errlist_free(&errs);
}

static void test_errlist_append(void **state)
{
    (void)state;
    pl_errlist_t list = {0};
    pl_err_t err;
    pl_err_clear(&err);
    for (int i = 0; i < 20; i++) {
        pl_err_set_at(&err, PL_ECONFIG, "f.yaml", i + 1, 1, "error %d", i);
        assert_int_equal(pl_errlist_append(&list, &err), 0);
    }
    assert_int_equal(list.count, 20);
    assert_int_equal(list.items[19].line, 20);
    assert_string_equal(list.items[7].message, "error 7");
    pl_errlist_free(&list);
    pl_errlist_free(&list);
    pl_errlist_free(NULL);
}

/* ---- runner -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_file_gives_defaults),
        cmocka_unit_test(test_shipped_config_loads),
        cmocka_unit_test(test_full_fixture),
        cmocka_unit_test(test_errors_fixture),
        cmocka_unit_test(test_version_is_sha256_of_bytes),
        cmocka_unit_test(test_case_number_forms),
        cmocka_unit_test(test_other_valid_values),
        cmocka_unit_test(test_unknown_timezone),
        cmocka_unit_test(test_error_list_is_capped),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_oversized_file),
        cmocka_unit_test(test_errlist_append),
    };
    size_t fixed_count = sizeof fixed / sizeof fixed[0];
    size_t bad_count = sizeof s_bad_cases / sizeof s_bad_cases[0];
    struct CMUnitTest *tests = calloc(fixed_count + bad_count, sizeof *tests);
    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    /* Each row of the table of bad input is a test of its own name. */
    for (size_t i = 0; i < bad_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + i];
        t->name = s_bad_cases[i].name;
        t->test_func = s_test_bad_case;
        t->initial_state = (void *)&s_bad_cases[i];
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("config", tests, fixed_count + bad_count, NULL, NULL);
    free(tests);
    return failed == 0 ? 0 : 1;
}
