/*
 * Unit tests for config/notify: the `notify` section's loader: defaults, a
 * file using every key, every error with its line:column and key path,
 * secrets from the environment (and never in a message), template
 * placeholders, limits, and the atomic reference count.
 * Run one test with: test_notify_config <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/notify.h"
#include "config/yaml.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SEC PL_USEC_PER_SEC
#define MIN PL_USEC_PER_MIN
#define HOUR PL_USEC_PER_HOUR

/* The environment variables the tests set; nothing else uses these names. */
#define S_ENV_URL "PL_TEST_NOTIFY_URL"
#define S_ENV_SMTP "PL_TEST_NOTIFY_SMTP"
#define S_ENV_USER "PL_TEST_NOTIFY_USER"
#define S_ENV_PASSWORD "PL_TEST_NOTIFY_PASSWORD"
#define S_ENV_EMPTY "PL_TEST_NOTIFY_EMPTY"
#define S_ENV_UNSET "PL_TEST_NOTIFY_UNSET"
#define S_ENV_BAD_URL "PL_TEST_NOTIFY_BAD_URL"

/* ---------------------------------------------------------------- helpers */

typedef struct {
    char text[32768];
    size_t count;
    int first_code;
} s_errors_t;

static void s_collect(const pl_err_t *err, void *arg)
{
    s_errors_t *errs = arg;
    char line[1024];
    pl_err_format(err, line, sizeof line);
    size_t used = strlen(errs->text);
    snprintf(errs->text + used, sizeof errs->text - used, "%s\n", line);
    if (errs->count++ == 0) {
        errs->first_code = err->code;
    }
}

/* Loads the notify section of a YAML text named "t.yaml"; NULL on errors,
 * which go to *errs (may be NULL: then any error fails the test). */
static pl_notify_config_t *s_load(const char *yaml, s_errors_t *errs)
{
    s_errors_t local;
    s_errors_t *e = errs ? errs : &local;
    memset(e, 0, sizeof *e);
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, strlen(yaml), "t.yaml", &err);
    if (!doc) {
        fail_msg("YAML error in test: %s\n%s", err.message, yaml);
    }
    pl_notify_config_t *cfg = pl_notify_load_yaml(doc, pl_yaml_doc_root(doc), s_collect, e);
    pl_yaml_doc_destroy(&doc);
    if (!errs && !cfg) {
        fail_msg("unexpected load errors:\n%s\nin:\n%s", e->text, yaml);
    }
    if (cfg && e->count) {
        fail_msg("a section came back with errors:\n%s", e->text);
    }
    if (!cfg && e->count == 0) {
        fail_msg("no section and no error");
    }
    return cfg;
}

static void s_unref(pl_notify_config_t **cfg_p)
{
    const pl_notify_config_t *c = *cfg_p;
    pl_notify_unref(&c);
    assert_null(c);
    *cfg_p = NULL;
}

static void s_check_defaults(const pl_notify_config_t *cfg)
{
    assert_non_null(cfg);
    assert_true(cfg->retry_first == 10 * SEC);
    assert_true(cfg->retry_max == 30 * MIN);
    assert_int_equal(cfg->max_attempts, 20);
    assert_int_equal(cfg->sinks_count, 0);
    assert_null(cfg->sinks);
    assert_int_equal(cfg->refs, 1);
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        assert_non_null(cfg->templates[i]);
        assert_string_equal(cfg->templates[i], pl_notify_default_template(i));
    }
}

static void s_setup_env(void)
{
    setenv(S_ENV_URL, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY-1", 1);
    setenv(S_ENV_SMTP, "smtps://mail.example.com:465", 1);
    setenv(S_ENV_USER, "plaint", 1);
    setenv(S_ENV_PASSWORD, "SECRET-PASSWORD-2", 1);
    setenv(S_ENV_EMPTY, "", 1);
    setenv(S_ENV_BAD_URL, "ftp://example.com/?key=SECRET-KEY-3", 1);
    unsetenv(S_ENV_UNSET);
}

static void s_clear_env(void)
{
    unsetenv(S_ENV_URL);
    unsetenv(S_ENV_SMTP);
    unsetenv(S_ENV_USER);
    unsetenv(S_ENV_PASSWORD);
    unsetenv(S_ENV_EMPTY);
    unsetenv(S_ENV_BAD_URL);
}

/* ---------------------------------------------------------------- names */

static void test_topics_fields_types(void **state)
{
    (void)state;
    static const char *const topics[] = {"case.created", "deadline.warning", "deadline.breached",
                                         "case.escalated"};
    assert_int_equal(ARRAY_SIZE(topics), PL_NOTIFY_TOPIC_COUNT);
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        assert_string_equal(pl_notify_topics[i], topics[i]);
        assert_int_equal(pl_notify_topic_index(topics[i]), i);
        assert_non_null(pl_notify_default_template(i));
    }
    assert_null(pl_notify_topics[PL_NOTIFY_TOPIC_COUNT]);
    assert_int_equal(pl_notify_topic_index("case.create"), -1);
    assert_int_equal(pl_notify_topic_index("CASE.CREATED"), -1);
    assert_int_equal(pl_notify_topic_index(""), -1);
    assert_int_equal(pl_notify_topic_index(NULL), -1);
    assert_null(pl_notify_default_template(-1));
    assert_null(pl_notify_default_template(PL_NOTIFY_TOPIC_COUNT));

    static const char *const fields[] = {
        "case_no", "topic",    "event", "kind",   "category", "severity", "department", "assignee",
        "region",  "deadline", "label", "due_at", "level",    "warning",  "to"};
    size_t n = 0;
    while (pl_notify_fields[n]) {
        n++;
    }
    assert_int_equal(n, ARRAY_SIZE(fields));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(pl_notify_fields[i], fields[i]);
    }

    assert_string_equal(pl_sink_type_name(PL_SINK_WEBHOOK), "webhook");
    assert_string_equal(pl_sink_type_name(PL_SINK_WECOM), "wecom");
    assert_string_equal(pl_sink_type_name(PL_SINK_DINGTALK), "dingtalk");
    assert_string_equal(pl_sink_type_name(PL_SINK_FEISHU), "feishu");
    assert_string_equal(pl_sink_type_name(PL_SINK_EMAIL), "email");
    assert_null(pl_sink_type_name((pl_sink_type_t)0));
    assert_null(pl_sink_type_name((pl_sink_type_t)(PL_SINK_EMAIL + 1)));
}

/* The built-in texts pass the loader's own check and use the fields each
 * topic is about. */
static void test_default_templates(void **state)
{
    (void)state;
    char yaml[8192];
    size_t used = (size_t)snprintf(yaml, sizeof yaml, "notify:\n  templates:\n");
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        used += (size_t)snprintf(yaml + used, sizeof yaml - used, "    %s: \"%s\"\n",
                                 pl_notify_topics[i], pl_notify_default_template(i));
    }
    pl_notify_config_t *cfg = s_load(yaml, NULL);
    s_check_defaults(cfg);
    s_unref(&cfg);

    static const char *const needs[PL_NOTIFY_TOPIC_COUNT][4] = {
        {"{{case_no}}", "{{category}}", "{{department}}", "{{assignee}}"},
        {"{{case_no}}", "{{label}}", "{{due_at}}", "{{assignee}}"},
        {"{{case_no}}", "{{label}}", "{{due_at}}", "{{level}}"},
        {"{{case_no}}", "{{label}}", "{{level}}", "{{to}}"},
    };
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        for (int j = 0; j < 4; j++) {
            if (!strstr(pl_notify_default_template(i), needs[i][j])) {
                fail_msg("the template of %s lacks %s", pl_notify_topics[i], needs[i][j]);
            }
        }
    }
}

/* ---------------------------------------------------------------- loading */

static void test_defaults(void **state)
{
    (void)state;
    pl_notify_config_t *cfg = pl_notify_new_default();
    s_check_defaults(cfg);
    s_unref(&cfg);

    /* No document, no root, no section, an empty or null section. */
    cfg = pl_notify_load_yaml(NULL, NULL, NULL, NULL);
    s_check_defaults(cfg);
    s_unref(&cfg);
    static const char *const docs[] = {
        "log: {level: info}\n",
        "notify:\n",
        "notify: {}\n",
        "notify: ~\n",
        "notify:\n  sinks:\n  templates:\n  retry:\n",
        "notify: {sinks: [], templates: {}, retry: {}}\n",
        "[1, 2]\n", /* not a mapping: config.c reports that */
    };
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        cfg = s_load(docs[i], NULL);
        s_check_defaults(cfg);
        s_unref(&cfg);
    }
}

static const char s_full_yaml[] =
    "notify:\n"
    "  retry: {first: 5s, max: 1h, attempts: 7}\n"
    "  templates:\n"
    "    deadline.breached: \"【超时】{{case_no}} {{label}} 已超时，请 {{ to }} 处理\"\n"
    "    case.created: |\n"
    "      新投诉 {{case_no}}\n"
    "      部门：{{department}}\n"
    "  sinks:\n"
    "    - id: quality_group\n"
    "      type: wecom\n"
    "      url_env: " S_ENV_URL "\n"
    "      topics: [deadline.breached, case.escalated]\n"
    "      timeout: 30s\n"
    "      concurrency: 2\n"
    "      templates:\n"
    "        case.escalated: \"升级 {{case_no}} → {{to}}（{{level}}）\"\n"
    "    - id: hook.1\n"
    "      type: webhook\n"
    "      url: \"http://127.0.0.1:8080/plaint\"\n"
    "    - id: ding-ops\n"
    "      type: dingtalk\n"
    "      url: \"https://oapi.dingtalk.com/robot/send?access_token=abc\"\n"
    "      topics: deadline.warning\n"
    "      timeout: 1s\n"
    "    - id: _feishu\n"
    "      type: feishu\n"
    "      url: \"HTTPS://open.feishu.cn/open-apis/bot/v2/hook/xyz\"\n"
    "      timeout: 2m\n"
    "      concurrency: 64\n"
    "    - id: mail\n"
    "      type: email\n"
    "      url_env: " S_ENV_SMTP "\n"
    "      from: \"plaint@example.com\"\n"
    "      to: [\"quality@example.com\", \"qa.lead+plaint@mail.example.com\"]\n"
    "      recipients: false\n"
    "      username_env: " S_ENV_USER "\n"
    "      password_env: " S_ENV_PASSWORD "\n"
    "      topics: [case.created]\n"
    "      templates:\n"
    "        case.created: \"{{event}}：{{case_no}}\"\n"
    "    - id: mail2\n"
    "      type: email\n"
    "      url: \"smtp://localhost:25\"\n"
    "      from: ops@localhost\n"
    "      to: boss@example.com\n"
    "      username: \"ops\"\n"
    "      password: \"secret\"\n"
    "      concurrency: 3\n";

static void test_full(void **state)
{
    (void)state;
    s_setup_env();
    pl_notify_config_t *cfg = s_load(s_full_yaml, NULL);
    assert_true(cfg->retry_first == 5 * SEC);
    assert_true(cfg->retry_max == HOUR);
    assert_int_equal(cfg->max_attempts, 7);
    assert_string_equal(cfg->templates[2],
                        "【超时】{{case_no}} {{label}} 已超时，请 {{ to }} 处理");
    assert_string_equal(cfg->templates[0], "新投诉 {{case_no}}\n部门：{{department}}\n");
    assert_string_equal(cfg->templates[1], pl_notify_default_template(1));
    assert_string_equal(cfg->templates[3], pl_notify_default_template(3));
    assert_int_equal(cfg->sinks_count, 6);

    const pl_notify_sink_t *s = &cfg->sinks[0];
    assert_string_equal(s->id, "quality_group");
    assert_int_equal(s->type, PL_SINK_WECOM);
    assert_string_equal(s->url, getenv(S_ENV_URL));
    assert_false(s->topics[0]);
    assert_false(s->topics[1]);
    assert_true(s->topics[2]);
    assert_true(s->topics[3]);
    assert_true(s->timeout == 30 * SEC);
    assert_int_equal(s->concurrency, 2);
    assert_null(s->templates[0]);
    assert_string_equal(s->templates[3], "升级 {{case_no}} → {{to}}（{{level}}）");
    assert_null(s->from);
    assert_null(s->to);
    assert_int_equal(s->to_count, 0);
    assert_false(s->recipients);
    assert_null(s->username);
    assert_null(s->password);

    s = &cfg->sinks[1];
    assert_string_equal(s->id, "hook.1");
    assert_int_equal(s->type, PL_SINK_WEBHOOK);
    assert_string_equal(s->url, "http://127.0.0.1:8080/plaint");
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        assert_true(s->topics[i]);
        assert_null(s->templates[i]);
    }
    assert_true(s->timeout == 10 * SEC);
    assert_int_equal(s->concurrency, 4);

    s = &cfg->sinks[2];
    assert_string_equal(s->id, "ding-ops");
    assert_int_equal(s->type, PL_SINK_DINGTALK);
    assert_true(s->topics[1]);
    assert_false(s->topics[0] || s->topics[2] || s->topics[3]);
    assert_true(s->timeout == SEC);

    s = &cfg->sinks[3];
    assert_string_equal(s->id, "_feishu");
    assert_int_equal(s->type, PL_SINK_FEISHU);
    assert_string_equal(s->url, "HTTPS://open.feishu.cn/open-apis/bot/v2/hook/xyz");
    assert_true(s->timeout == 2 * MIN);
    assert_int_equal(s->concurrency, 64);

    s = &cfg->sinks[4];
    assert_string_equal(s->id, "mail");
    assert_int_equal(s->type, PL_SINK_EMAIL);
    assert_string_equal(s->url, "smtps://mail.example.com:465");
    assert_string_equal(s->from, "plaint@example.com");
    assert_int_equal(s->to_count, 2);
    assert_string_equal(s->to[0], "quality@example.com");
    assert_string_equal(s->to[1], "qa.lead+plaint@mail.example.com");
    assert_false(s->recipients);
    assert_string_equal(s->username, "plaint");
    assert_string_equal(s->password, "SECRET-PASSWORD-2");
    assert_int_equal(s->concurrency, 1); /* the e-mail default */
    assert_true(s->topics[0]);
    assert_false(s->topics[1]);
    assert_string_equal(s->templates[0], "{{event}}：{{case_no}}");

    s = &cfg->sinks[5];
    assert_string_equal(s->id, "mail2");
    assert_string_equal(s->url, "smtp://localhost:25");
    assert_string_equal(s->from, "ops@localhost");
    assert_int_equal(s->to_count, 1);
    assert_string_equal(s->to[0], "boss@example.com");
    assert_true(s->recipients); /* the default */
    assert_string_equal(s->username, "ops");
    assert_string_equal(s->password, "secret");
    assert_int_equal(s->concurrency, 3);

    /* Look-ups. */
    assert_ptr_equal(pl_notify_sink_get(cfg, "mail"), &cfg->sinks[4]);
    assert_ptr_equal(pl_notify_sink_get(cfg, "quality_group"), &cfg->sinks[0]);
    assert_null(pl_notify_sink_get(cfg, "Mail"));
    assert_null(pl_notify_sink_get(cfg, NULL));
    assert_null(pl_notify_sink_get(NULL, "mail"));

    /* Template choice: the sink's, else the section's, else the built-in. */
    const pl_notify_sink_t *wecom = pl_notify_sink_get(cfg, "quality_group");
    assert_string_equal(pl_notify_template(cfg, wecom, 3), wecom->templates[3]);
    assert_string_equal(pl_notify_template(cfg, wecom, 2), cfg->templates[2]);
    assert_string_equal(pl_notify_template(cfg, wecom, 1), pl_notify_default_template(1));
    assert_string_equal(pl_notify_template(cfg, NULL, 0), cfg->templates[0]);
    assert_string_equal(pl_notify_template(NULL, NULL, 0), pl_notify_default_template(0));
    assert_null(pl_notify_template(cfg, wecom, -1));
    assert_null(pl_notify_template(cfg, wecom, PL_NOTIFY_TOPIC_COUNT));
    s_unref(&cfg);
    s_clear_env();
}

/* ---------------------------------------------------------------- errors */

typedef struct {
    const char *yaml;
    const char *error; /* the first error, whole or a part ("t.yaml:3:5: ...") */
} s_error_case_t;

/* A sink's first lines: its mapping starts at 3:7, its id value at 3:11. */
#define S_SINK "notify:\n  sinks:\n    - id: a\n"
#define S_WECOM S_SINK "      type: wecom\n"
#define S_WECOM_URL S_WECOM "      url: \"https://example.com/hook\"\n"
#define S_EMAIL S_SINK "      type: email\n      url: \"smtps://mail.example.com\"\n"
#define S_EMAIL_FROM S_EMAIL "      from: p@example.com\n"

#define S_FIELDS                                                                                   \
    "case_no, topic, event, kind, category, severity, department, assignee, region, deadline, "    \
    "label, due_at, level, warning, to"
#define S_TOPICS "case.created, deadline.warning, deadline.breached, case.escalated"

static const s_error_case_t s_error_cases[] = {
    /* the section */
    {"notify: [1]\n", "t.yaml:1:9: notify: expected a mapping with sinks, and optionally "
                      "templates and retry, found a sequence"},
    {"notify: 3\n", "t.yaml:1:9: notify: expected a mapping with sinks"},
    {"notify:\n  sink: []\n",
     "t.yaml:2:3: notify: unknown key \"sink\"; expected sinks, templates, retry"},

    /* retry */
    {"notify:\n  retry: 5\n",
     "t.yaml:2:10: notify.retry: expected a mapping such as {first: 10s, max: 30m, attempts: "
     "20}, found \"5\""},
    {"notify:\n  retry: {frist: 10s}\n",
     "t.yaml:2:11: notify.retry: unknown key \"frist\"; expected first, max, attempts"},
    {"notify:\n  retry: {first: [10s]}\n",
     "t.yaml:2:18: notify.retry.first: expected a string, found a sequence"},
    {"notify:\n  retry: {first: 10}\n",
     "t.yaml:2:18: notify.retry.first: \"10\" is not a duration; write elapsed time in 1s..1h "
     "such as 10s, 1m30s or 1h (units d, h, m, s in that order)"},
    {"notify:\n  retry: {first: 10 s}\n", "t.yaml:2:18: notify.retry.first: \"10 s\" is not a"},
    {"notify:\n  retry: {first: 2h}\n",
     "t.yaml:2:18: notify.retry.first: 2h is out of range 1s..1h"},
    {"notify:\n  retry: {first: 2 business hours}\n",
     "t.yaml:2:18: notify.retry.first: \"2 business hours\" is not real time; write elapsed time "
     "such as 10s, 5m or 1h"},
    {"notify:\n  retry: {first: 1 working day}\n",
     "t.yaml:2:18: notify.retry.first: \"1 working day\" is not real time"},
    {"notify:\n  retry: {max: 25h}\n",
     "t.yaml:2:16: notify.retry.max: 25h is out of range 1s..24h"},
    {"notify:\n  retry: {max: 2d}\n", "t.yaml:2:16: notify.retry.max: 2d is out of range"},
    {"notify:\n  retry: {first: 1m, max: 30s}\n",
     "t.yaml:2:27: notify.retry.max: 30s is less than retry.first (1m)"},
    {"notify:\n  retry: {max: 5s}\n",
     "t.yaml:2:16: notify.retry.max: 5s is less than retry.first (10s, the default)"},
    {"notify:\n  retry: {first: 1h}\n",
     "t.yaml:2:18: notify.retry.first: 1h is more than retry.max (30m, the default); raise "
     "retry.max too"},
    {"notify:\n  retry: {attempts: 0}\n",
     "t.yaml:2:21: notify.retry.attempts: 0 is out of range 1..1000"},
    {"notify:\n  retry: {attempts: 1001}\n",
     "t.yaml:2:21: notify.retry.attempts: 1001 is out of range 1..1000"},
    {"notify:\n  retry: {attempts: \"20\"}\n",
     "t.yaml:2:21: notify.retry.attempts: expected an integer, found the string \"20\""},
    {"notify:\n  retry: {attempts: 2.5}\n",
     "t.yaml:2:21: notify.retry.attempts: expected an integer, found \"2.5\""},

    /* section templates */
    {"notify:\n  templates: [x]\n",
     "t.yaml:2:14: notify.templates: expected a mapping of topic to text such as {case.created: "
     "\"...\"}, found a sequence"},
    {"notify:\n  templates:\n    case.create: x\n",
     "t.yaml:3:5: notify.templates: unknown topic \"case.create\"; expected " S_TOPICS},
    {"notify:\n  templates:\n    case.created: {a: 1}\n",
     "t.yaml:3:19: notify.templates.case.created: expected a string, found a mapping"},
    {"notify:\n  templates:\n    case.created:\n",
     "t.yaml:3:18: notify.templates.case.created: expected a string, found null"},
    {"notify:\n  templates:\n    case.created: \"\"\n",
     "t.yaml:3:19: notify.templates.case.created: must not be empty"},
    {"notify:\n  templates:\n    case.created: \"a\\0b\"\n",
     "t.yaml:3:19: notify.templates.case.created: must not contain NUL characters"},
    {"notify:\n  templates:\n    case.created: \"新\\x01\"\n",
     "t.yaml:3:19: notify.templates.case.created: control character 0x01 at character 2; only "
     "tabs and line breaks are allowed"},
    {"notify:\n  templates:\n    deadline.warning: \"{{caseno}}\"\n",
     "t.yaml:3:23: notify.templates.deadline.warning: unknown field {{caseno}} at character 1; "
     "expected " S_FIELDS},
    {"notify:\n  templates:\n    case.escalated: \"【升级】{{ to }} {{ Level }}\"\n",
     "t.yaml:3:21: notify.templates.case.escalated: unknown field {{Level}} at character 14"},
    {"notify:\n  templates:\n    case.escalated: \"【升级】{{case_no\"\n",
     "t.yaml:3:21: notify.templates.case.escalated: \"{{\" at character 5 is never closed; write "
     "{{field}}, e.g. {{case_no}}"},
    {"notify:\n  templates:\n    case.escalated: \"{{case_no}} {{to}\"\n",
     "\"{{\" at character 13 is never closed"},
    {"notify:\n  templates:\n    case.escalated: \"x {{}}\"\n",
     "t.yaml:3:21: notify.templates.case.escalated: \"{{}}\" at character 3 names no field"},
    {"notify:\n  templates:\n    case.escalated: \"x {{   }}\"\n",
     "\"{{}}\" at character 3 names no field"},
    {"notify:\n  templates:\n    case.escalated: \"{{{case_no}}}\"\n",
     "unknown field {{{case_no}} at character 1"},
    {"notify:\n  templates:\n    case.escalated: \"{{case no}}\"\n",
     "unknown field {{case no}} at character 1"},

    /* sinks */
    {"notify:\n  sinks: {a: 1}\n",
     "t.yaml:2:10: notify.sinks: expected a list of sinks, each with an id, found a mapping"},
    {"notify:\n  sinks: x\n", "t.yaml:2:10: notify.sinks: expected a list of sinks"},
    {"notify:\n  sinks: [x]\n",
     "t.yaml:2:11: notify.sinks[1]: expected a mapping with an id, a type and a url, found "
     "\"x\""},
    {"notify:\n  sinks:\n    - type: wecom\n      url: https://x\n",
     "t.yaml:3:7: notify.sinks[1]: missing id"},
    {"notify:\n  sinks:\n    - id: \"1a\"\n      type: wecom\n      url: https://x\n",
     "t.yaml:3:11: notify.sinks[1].id: \"1a\" is not an id (1 to 64 letters, digits, '_', '.' or "
     "'-', starting with a letter or '_')"},
    {"notify:\n  sinks:\n    - id: \"a b\"\n      type: wecom\n      url: https://x\n",
     "t.yaml:3:11: notify.sinks[1].id: \"a b\" is not an id"},
    {"notify:\n  sinks:\n    - id: \"組\"\n      type: wecom\n      url: https://x\n",
     "t.yaml:3:11: notify.sinks[1].id: \"組\" is not an id"},
    {"notify:\n  sinks:\n    - id: "
     "a2345678901234567890123456789012345678901234567890123456789012345\n"
     "      type: wecom\n      url: https://x\n",
     "t.yaml:3:11: notify.sinks[1].id: \"a234567890123456789012345678901234567890...\" is not an "
     "id"},
    {"notify:\n  sinks:\n    - id: \"\"\n      type: wecom\n      url: https://x\n",
     "t.yaml:3:11: notify.sinks[1].id: must not be empty"},
    {"notify:\n  sinks:\n    - id: [a]\n      type: wecom\n      url: https://x\n",
     "t.yaml:3:11: notify.sinks[1].id: expected a string, found a sequence"},
    {"notify:\n  sinks:\n    - {id: a, type: wecom, url: \"https://x\"}\n"
     "    - {id: b, type: wecom, url: \"https://x\"}\n"
     "    - {id: a, type: feishu, url: \"https://x\"}\n",
     "t.yaml:5:12: notify.sinks[3].id: duplicate id \"a\" (first defined at line 3, column 12)"},
    {S_SINK "      url: https://x\n",
     "t.yaml:3:7: notify.sinks[1]: missing type (webhook, wecom, dingtalk, feishu or email)"},
    {S_SINK "      type: slack\n      url: https://x\n",
     "t.yaml:4:13: notify.sinks[1].type: unknown type \"slack\"; expected webhook, wecom, "
     "dingtalk, feishu or email"},
    {S_SINK "      type: WeCom\n      url: https://x\n",
     "t.yaml:4:13: notify.sinks[1].type: unknown type \"WeCom\""},
    {S_SINK "      type: {a: b}\n      url: https://x\n",
     "t.yaml:4:13: notify.sinks[1].type: expected a string, found a mapping"},
    {S_WECOM "      urll: https://x\n",
     "t.yaml:5:7: notify.sinks[1]: unknown key \"urll\"; expected id, type, url, url_env, topics, "
     "timeout, concurrency, templates (and for email sinks from, to, recipients, starttls, "
     "username, password and their _env forms)"},
    {S_EMAIL_FROM "      cc: x@example.com\n",
     "t.yaml:7:7: notify.sinks[1]: unknown key \"cc\"; expected id, type, url, url_env, topics, "
     "timeout, concurrency, templates, from, to, recipients, starttls, username, username_env, "
     "password, password_env\n"},

    {S_EMAIL_FROM "      starttls: maybe\n",
     "t.yaml:7:17: notify.sinks[1].starttls: expected required or optional"},
    {S_WECOM "      starttls: optional\n",
     "t.yaml:5:7: notify.sinks[1].starttls: only for email sinks; this sink is wecom"},

    /* url and url_env */
    {S_WECOM, "t.yaml:3:7: notify.sinks[1]: missing url (or url_env, the name of an environment "
              "variable holding it)"},
    {S_WECOM_URL "      url_env: " S_ENV_URL "\n",
     "t.yaml:6:16: notify.sinks[1].url_env: give either url or url_env, not both"},
    {S_WECOM "      url: \"ftp://example.com/x\"\n",
     "t.yaml:5:12: notify.sinks[1].url: must start with http:// or https:// for a wecom sink"},
    {S_SINK "      type: webhook\n      url: \"example.com/x\"\n",
     "t.yaml:5:12: notify.sinks[1].url: must start with http:// or https:// for a webhook sink"},
    {S_SINK "      type: dingtalk\n      url: \"smtp://example.com\"\n",
     "t.yaml:5:12: notify.sinks[1].url: must start with http:// or https:// for a dingtalk "
     "sink"},
    {S_SINK "      type: feishu\n      url: \"httpx://example.com\"\n",
     "t.yaml:5:12: notify.sinks[1].url: must start with http:// or https:// for a feishu sink"},
    {S_SINK "      type: email\n      url: \"https://mail.example.com\"\n"
            "      from: p@example.com\n",
     "t.yaml:5:12: notify.sinks[1].url: must start with smtp:// or smtps:// for an email sink"},
    {S_WECOM "      url: \"https://\"\n",
     "t.yaml:5:12: notify.sinks[1].url: has no host after https://"},
    {S_WECOM "      url: \"http:///hook\"\n",
     "t.yaml:5:12: notify.sinks[1].url: has no host after http://"},
    {S_WECOM "      url: \"https://example.com/a b\"\n",
     "t.yaml:5:12: notify.sinks[1].url: must not contain spaces or control characters"},
    {S_WECOM "      url: \"\"\n", "t.yaml:5:12: notify.sinks[1].url: must not be empty"},
    {S_WECOM "      url:\n", "t.yaml:5:11: notify.sinks[1].url: expected a string, found null"},
    {S_WECOM "      url: \"https://x\\ty\"\n",
     "t.yaml:5:12: notify.sinks[1].url: must not contain control characters"},
    {S_WECOM "      url_env: " S_ENV_UNSET "\n",
     "t.yaml:5:16: notify.sinks[1].url_env: the environment variable " S_ENV_UNSET " is not set"},
    {S_WECOM "      url_env: " S_ENV_EMPTY "\n",
     "t.yaml:5:16: notify.sinks[1].url_env: the environment variable " S_ENV_EMPTY " is empty"},
    {S_WECOM "      url_env: " S_ENV_BAD_URL "\n",
     "t.yaml:5:16: notify.sinks[1].url_env: the value of " S_ENV_BAD_URL
     " must start with http:// or https:// for a wecom sink"},
    {S_WECOM "      url_env: \"1URL\"\n",
     "t.yaml:5:16: notify.sinks[1].url_env: \"1URL\" is not an environment variable name "
     "(letters, digits and '_', not starting with a digit)"},
    {S_WECOM "      url_env: \"MY-URL\"\n",
     "t.yaml:5:16: notify.sinks[1].url_env: \"MY-URL\" is not an environment variable name"},
    {S_WECOM "      url_env: [X]\n",
     "t.yaml:5:16: notify.sinks[1].url_env: expected a string, found a sequence"},

    /* topics */
    {S_WECOM_URL "      topics: [case.created, deadline.breach]\n",
     "t.yaml:6:30: notify.sinks[1].topics: unknown topic \"deadline.breach\"; expected " S_TOPICS},
    {S_WECOM_URL "      topics: [case.created, case.created]\n",
     "t.yaml:6:30: notify.sinks[1].topics: case.created is listed twice"},
    {S_WECOM_URL "      topics: []\n",
     "t.yaml:6:15: notify.sinks[1].topics: needs at least one topic; leave topics out for every "
     "topic"},
    {S_WECOM_URL "      topics: {case.created: true}\n",
     "t.yaml:6:15: notify.sinks[1].topics: expected a list of topics such as [" S_TOPICS
     "], found a mapping"},
    {S_WECOM_URL "      topics: [[case.created]]\n",
     "t.yaml:6:16: notify.sinks[1].topics: unknown topic a sequence"},

    /* timeout and concurrency */
    {S_WECOM_URL "      timeout: 3m\n",
     "t.yaml:6:16: notify.sinks[1].timeout: 3m is out of range 1s..2m"},
    {S_WECOM_URL "      timeout: 2m1s\n",
     "t.yaml:6:16: notify.sinks[1].timeout: 2m1s is out of range 1s..2m"},
    {S_WECOM_URL "      timeout: 1 business hour\n",
     "t.yaml:6:16: notify.sinks[1].timeout: \"1 business hour\" is not real time"},
    {S_WECOM_URL "      timeout: 10\n",
     "t.yaml:6:16: notify.sinks[1].timeout: \"10\" is not a duration; write elapsed time in "
     "1s..2m such as"},
    {S_WECOM_URL "      timeout: 30m10s\n",
     "t.yaml:6:16: notify.sinks[1].timeout: 30m10s is out of range 1s..2m"},
    {S_WECOM_URL "      timeout: 10s30m\n",
     "t.yaml:6:16: notify.sinks[1].timeout: \"10s30m\" is not a"},
    {S_WECOM_URL "      timeout: 500ms\n",
     "t.yaml:6:16: notify.sinks[1].timeout: \"500ms\" is not a"},
    {S_WECOM_URL "      timeout: 0s\n", "t.yaml:6:16: notify.sinks[1].timeout: \"0s\" is not a"},
    {S_WECOM_URL "      concurrency: 0\n",
     "t.yaml:6:20: notify.sinks[1].concurrency: 0 is out of range 1..64"},
    {S_WECOM_URL "      concurrency: 65\n",
     "t.yaml:6:20: notify.sinks[1].concurrency: 65 is out of range 1..64"},
    {S_WECOM_URL "      concurrency: \"4\"\n",
     "t.yaml:6:20: notify.sinks[1].concurrency: expected an integer, found the string \"4\""},
    {S_WECOM_URL "      concurrency: 99999999999999999999\n",
     "t.yaml:6:20: notify.sinks[1].concurrency: 99999999999999999999 is out of range 1..64"},

    /* sink templates */
    {S_WECOM_URL "      templates:\n        case.escalated: \"{{to\"\n",
     "t.yaml:7:25: notify.sinks[1].templates.case.escalated: \"{{\" at character 1 is never "
     "closed"},
    {S_WECOM_URL "      templates:\n        escalated: \"{{to}}\"\n",
     "t.yaml:7:9: notify.sinks[1].templates: unknown topic \"escalated\"; expected " S_TOPICS},
    {S_WECOM_URL "      templates: x\n",
     "t.yaml:6:18: notify.sinks[1].templates: expected a mapping of topic to text"},
    {S_WECOM_URL "      topics: [case.escalated]\n"
                 "      templates:\n        case.created: \"{{case_no}}\"\n",
     "t.yaml:8:9: notify.sinks[1].templates: the sink does not take topic case.created (see its "
     "topics)"},

    /* keys that only e-mail sinks have */
    {S_WECOM_URL "      from: p@example.com\n",
     "t.yaml:6:7: notify.sinks[1].from: only for email sinks; this sink is wecom"},
    {S_WECOM_URL "      to: [p@example.com]\n",
     "t.yaml:6:7: notify.sinks[1].to: only for email sinks; this sink is wecom"},
    {S_SINK "      type: feishu\n      url: https://x\n      recipients: true\n",
     "t.yaml:6:7: notify.sinks[1].recipients: only for email sinks; this sink is feishu"},
    {S_SINK "      type: webhook\n      url: https://x\n      username: u\n      password: p\n",
     "t.yaml:6:7: notify.sinks[1].username: only for email sinks; this sink is webhook"},
    {S_SINK "      type: dingtalk\n      url: https://x\n      username_env: " S_ENV_USER "\n",
     "t.yaml:6:7: notify.sinks[1].username_env: only for email sinks; this sink is dingtalk"},
    {S_WECOM_URL "      password: p\n",
     "t.yaml:6:7: notify.sinks[1].password: only for email sinks; this sink is wecom"},
    {S_WECOM_URL "      password_env: " S_ENV_PASSWORD "\n",
     "t.yaml:6:7: notify.sinks[1].password_env: only for email sinks; this sink is wecom"},

    /* e-mail sinks */
    {S_EMAIL, "t.yaml:3:7: notify.sinks[1]: missing from (the sender's address) for an email "
              "sink"},
    {S_EMAIL "      from: plaint\n",
     "t.yaml:6:13: notify.sinks[1].from: \"plaint\" is not an e-mail address: it has no @"},
    {S_EMAIL "      from: a@b@example.com\n",
     "t.yaml:6:13: notify.sinks[1].from: \"a@b@example.com\" is not an e-mail address: it has "
     "more than one @"},
    {S_EMAIL "      from: \"Plaint <p@example.com>\"\n",
     "t.yaml:6:13: notify.sinks[1].from: \"Plaint <p@example.com>\" is not an e-mail address: it "
     "must be a plain address such as quality@example.com, without a name, spaces, quotes, <> or "
     "non-ASCII characters"},
    {S_EMAIL "      from: \"p@example.com,q@example.com\"\n",
     "is not an e-mail address: it has more than one @"},
    {S_EMAIL "      from: \"p@exa,mple.com\"\n",
     "is not an e-mail address: it must be a plain address"},
    {S_EMAIL "      from: \"质量@example.com\"\n",
     "is not an e-mail address: it must be a plain address"},
    {S_EMAIL "      from: \"@example.com\"\n",
     "t.yaml:6:13: notify.sinks[1].from: \"@example.com\" is not an e-mail address: it needs 1 "
     "to 64 characters before the @"},
    {S_EMAIL "      from: \"p@\"\n",
     "t.yaml:6:13: notify.sinks[1].from: \"p@\" is not an e-mail address: it needs a domain such "
     "as example.com after the @"},
    {S_EMAIL "      from: \"p@example..com\"\n", "it needs a domain such as example.com"},
    {S_EMAIL "      from: \"p@example.com.\"\n", "it needs a domain such as example.com"},
    {S_EMAIL "      from:\n", "t.yaml:6:12: notify.sinks[1].from: expected a string, found null"},
    {S_EMAIL_FROM "      to: {a: b}\n",
     "t.yaml:7:11: notify.sinks[1].to: expected a list of e-mail addresses such as "
     "[quality@example.com], found a mapping"},
    {S_EMAIL_FROM "      to: [q@example.com, nobody]\n",
     "t.yaml:7:27: notify.sinks[1].to[2]: \"nobody\" is not an e-mail address: it has no @"},
    {S_EMAIL_FROM "      to: [q@example.com, Q@Example.COM]\n",
     "t.yaml:7:27: notify.sinks[1].to[2]: \"Q@Example.COM\" is listed twice"},
    {S_EMAIL_FROM "      to: [[q@example.com]]\n",
     "t.yaml:7:12: notify.sinks[1].to[1]: expected a string, found a sequence"},
    {S_EMAIL_FROM "      recipients: yes\n",
     "t.yaml:7:19: notify.sinks[1].recipients: expected true or false, found \"yes\""},
    {S_EMAIL_FROM "      recipients: false\n",
     "t.yaml:7:19: notify.sinks[1].recipients: false, and no address under to: the sink would "
     "mail nobody"},
    {S_EMAIL_FROM "      recipients: false\n      to: []\n",
     "t.yaml:7:19: notify.sinks[1].recipients: false, and no address under to"},
    {S_EMAIL_FROM "      username: u\n",
     "t.yaml:3:7: notify.sinks[1]: username without password; give both (or their _env forms) "
     "or neither"},
    {S_EMAIL_FROM "      password_env: " S_ENV_PASSWORD "\n",
     "t.yaml:3:7: notify.sinks[1]: password without username"},
    {S_EMAIL_FROM "      username: u\n      username_env: " S_ENV_USER "\n      password: p\n",
     "t.yaml:8:21: notify.sinks[1].username_env: give either username or username_env, not "
     "both"},
    {S_EMAIL_FROM "      username: u\n      password: p\n      password_env: " S_ENV_PASSWORD "\n",
     "t.yaml:9:21: notify.sinks[1].password_env: give either password or password_env, not "
     "both"},
    {S_EMAIL_FROM "      username: u\n      password_env: " S_ENV_UNSET "\n",
     "t.yaml:8:21: notify.sinks[1].password_env: the environment variable " S_ENV_UNSET
     " is not set"},
    {S_EMAIL_FROM "      username_env: " S_ENV_EMPTY "\n      password: p\n",
     "t.yaml:7:21: notify.sinks[1].username_env: the environment variable " S_ENV_EMPTY
     " is empty"},
    {S_EMAIL_FROM "      username: \"\"\n      password: p\n",
     "t.yaml:7:17: notify.sinks[1].username: must not be empty"},
    {S_SINK "      type: email\n      url_env: " S_ENV_URL "\n      from: p@example.com\n",
     "t.yaml:5:16: notify.sinks[1].url_env: the value of " S_ENV_URL
     " must start with smtp:// or smtps:// for an email sink"},
};

static void test_errors(void **state)
{
    (void)state;
    s_setup_env();
    for (size_t i = 0; i < ARRAY_SIZE(s_error_cases); i++) {
        s_errors_t errs;
        pl_notify_config_t *cfg = s_load(s_error_cases[i].yaml, &errs);
        if (cfg) {
            fail_msg("case %zu loaded:\n%s", i, s_error_cases[i].yaml);
        }
        const char *want = s_error_cases[i].error;
        bool whole_prefix = strncmp(want, "t.yaml:", 7) == 0;
        if (whole_prefix ? strncmp(errs.text, want, strlen(want)) != 0 : !strstr(errs.text, want)) {
            fail_msg("case %zu:\n%sgave:\n%s\nexpected%s:\n%s", i, s_error_cases[i].yaml, errs.text,
                     whole_prefix ? " to start with" : " to contain", want);
        }
        assert_int_equal(errs.first_code, PL_ECONFIG);
        /* No message quotes a secret. */
        assert_null(strstr(errs.text, "SECRET"));
    }
    s_clear_env();
}

/* One run reports every mistake, at its own line. */
static void test_reports_all_errors(void **state)
{
    (void)state;
    s_setup_env();
    static const char yaml[] = "notify:\n"                               /* 1 */
                               "  retry: {first: 0s, attempts: 0}\n"     /* 2: two */
                               "  templates:\n"                          /* 3 */
                               "    case.created: \"{{nope}}\"\n"        /* 4 */
                               "    case.gone: x\n"                      /* 5 */
                               "  sinks:\n"                              /* 6 */
                               "    - id: a\n"                           /* 7 */
                               "      type: wecom\n"                     /* 8 */
                               "      url: \"ftp://x\"\n"                /* 9 */
                               "      from: x@example.com\n"             /* 10 */
                               "    - id: a\n"                           /* 11 */
                               "      type: email\n"                     /* 12: no from */
                               "      url_env: " S_ENV_UNSET "\n"        /* 13 */
                               "      topics: [case.created, nothing]\n" /* 14 */
                               "      concurrency: 100\n"                /* 15 */
                               "    - id: ok\n"                          /* 16 */
                               "      type: feishu\n"                    /* 17 */
                               "      url_env: " S_ENV_URL "\n"          /* 18 */
                               "      timeout: 1h\n"                     /* 19 */
                               "  bogus: 1\n";                           /* 20 */
    s_errors_t errs;
    assert_null(s_load(yaml, &errs));
    static const char *const want[] = {
        "t.yaml:2:18: notify.retry.first: \"0s\" is not a duration; write elapsed time in "
        "1s..1h such as 10s, 1m30s or 1h (units d, h, m, s in that order)",
        "t.yaml:2:32: notify.retry.attempts: 0 is out of range 1..1000",
        "t.yaml:4:19: notify.templates.case.created: unknown field {{nope}}",
        "t.yaml:5:5: notify.templates: unknown topic \"case.gone\"",
        "t.yaml:10:7: notify.sinks[1].from: only for email sinks; this sink is wecom",
        "t.yaml:9:12: notify.sinks[1].url: must start with http:// or https:// for a wecom sink",
        "t.yaml:11:11: notify.sinks[2].id: duplicate id \"a\" (first defined at line 7, column 11)",
        "t.yaml:14:30: notify.sinks[2].topics: unknown topic \"nothing\"",
        "t.yaml:15:20: notify.sinks[2].concurrency: 100 is out of range 1..64",
        "t.yaml:13:16: notify.sinks[2].url_env: the environment variable " S_ENV_UNSET
        " is not set",
        "t.yaml:11:7: notify.sinks[2]: missing from",
        "t.yaml:19:16: notify.sinks[3].timeout: 1h is out of range 1s..2m",
        "t.yaml:20:3: notify: unknown key \"bogus\"",
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        if (!strstr(errs.text, want[i])) {
            fail_msg("missing:\n%s\nin:\n%s", want[i], errs.text);
        }
    }
    if (errs.count != ARRAY_SIZE(want)) {
        fail_msg("%zu errors, expected %zu:\n%s", errs.count, ARRAY_SIZE(want), errs.text);
    }
    assert_null(strstr(errs.text, "SECRET"));

    /* Without a report callback the section is still refused. */
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, strlen(yaml), "t.yaml", NULL);
    assert_non_null(doc);
    assert_null(pl_notify_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL));
    pl_yaml_doc_destroy(&doc);
    s_clear_env();
}

/* ---------------------------------------------------------------- environment */

static void test_env(void **state)
{
    (void)state;
    static const char yaml[] = "notify:\n"
                               "  sinks:\n"
                               "    - id: m\n"
                               "      type: email\n"
                               "      url_env: PL_TEST_NOTIFY_SMTP\n"
                               "      from: p@example.com\n"
                               "      username_env: PL_TEST_NOTIFY_USER\n"
                               "      password_env: PL_TEST_NOTIFY_PASSWORD\n";
    s_clear_env();
    s_errors_t errs;
    assert_null(s_load(yaml, &errs));
    assert_int_equal(errs.count, 3); /* url, username, password: each is reported */
    assert_non_null(strstr(errs.text, "t.yaml:5:16: notify.sinks[1].url_env: the environment "
                                      "variable PL_TEST_NOTIFY_SMTP is not set"));
    assert_non_null(strstr(errs.text, "t.yaml:7:21: notify.sinks[1].username_env: the "
                                      "environment variable PL_TEST_NOTIFY_USER is not set"));
    assert_non_null(strstr(errs.text, "t.yaml:8:21: notify.sinks[1].password_env: the "
                                      "environment variable PL_TEST_NOTIFY_PASSWORD is not set"));

    /* Set: the values are read at load, and kept (a later change of the
     * environment does not touch a loaded section). */
    setenv(S_ENV_SMTP, "smtp://relay.example.com:587", 1);
    setenv(S_ENV_USER, "alice", 1);
    setenv(S_ENV_PASSWORD, "pa ss:w@rd", 1);
    pl_notify_config_t *cfg = s_load(yaml, NULL);
    setenv(S_ENV_USER, "bob", 1);
    assert_string_equal(cfg->sinks[0].url, "smtp://relay.example.com:587");
    assert_string_equal(cfg->sinks[0].username, "alice");
    assert_string_equal(cfg->sinks[0].password, "pa ss:w@rd");
    s_unref(&cfg);

    /* Empty counts as not given. */
    setenv(S_ENV_PASSWORD, "", 1);
    assert_null(s_load(yaml, &errs));
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.text, "t.yaml:8:21: notify.sinks[1].password_env: the "
                                      "environment variable PL_TEST_NOTIFY_PASSWORD is empty"));

    /* A wrong URL in the environment: the message names the variable, not
     * the value (which holds the robot's key). */
    setenv(S_ENV_PASSWORD, "x", 1);
    setenv(S_ENV_SMTP, "https://hooks.example.com/?key=SECRET-KEY-4", 1);
    assert_null(s_load(yaml, &errs));
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.text, "the value of PL_TEST_NOTIFY_SMTP must start with smtp://"));
    assert_null(strstr(errs.text, "SECRET"));
    assert_null(strstr(errs.text, "hooks.example.com"));
    s_clear_env();
}

/* A URL written in the file is not quoted in messages either. */
static void test_url_not_in_messages(void **state)
{
    (void)state;
    static const char *const docs[] = {
        S_WECOM "      url: \"ftp://SECRET.example.com/?key=SECRET\"\n",
        S_WECOM "      url: \"https://SECRET.example.com/?key=SECRET x\"\n",
        S_WECOM "      url: \"https://SECRET\"\n      url_env: X\n",
        S_EMAIL_FROM "      username: SECRET\n",
        S_EMAIL_FROM "      password: SECRET\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        s_errors_t errs;
        assert_null(s_load(docs[i], &errs));
        if (strstr(errs.text, "SECRET")) {
            fail_msg("case %zu quotes a secret:\n%s", i, errs.text);
        }
    }
}

/* ---------------------------------------------------------------- templates */

#define S_EVERY_FIELD                                                                              \
    "{{case_no}}{{topic}}{{event}}{{kind}}{{category}}{{severity}}{{department}}"                  \
    "{{assignee}}{{region}}{{deadline}}{{label}}{{due_at}}{{level}}{{warning}}{{to}}"

static void test_template_placeholders(void **state)
{
    (void)state;
    /* Accepted: every field, spaces and tabs inside the braces, single
     * braces and lone closing braces as text, line breaks. */
    static const char *const good[] = {
        S_EVERY_FIELD,
        "{{ case_no }}",
        "{{\\tcase_no\\t}}",
        "{{   to}} and {{level   }}",
        "{case_no} is not a placeholder",
        "}} and } and { alone",
        "{{case_no}}}}",
        "多行\\n第二行 {{label}}\\r\\n\\t缩进",
        "plain text, no placeholder",
        "【超时】{{ case_no }}「{{label}}」",
    };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "notify:\n  templates:\n    case.created: \"%s\"\n", good[i]);
        pl_notify_config_t *cfg = s_load(yaml, NULL);
        s_unref(&cfg);
    }

    /* Refused, with the character (not byte) where the placeholder starts. */
    static const struct {
        const char *text;
        const char *error;
    } bad[] = {
        {"{{case_no", "\"{{\" at character 1 is never closed"},
        {"超时 {{case_no", "\"{{\" at character 4 is never closed"},
        {"{{case_no}} {{", "\"{{\" at character 13 is never closed"},
        {"{{case_no} }", "\"{{\" at character 1 is never closed"},
        {"{{}}", "\"{{}}\" at character 1 names no field"},
        {"a{{ \\t }}", "\"{{}}\" at character 2 names no field"},
        {"{{CASE_NO}}", "unknown field {{CASE_NO}} at character 1"},
        {"{{case-no}}", "unknown field {{case-no}} at character 1"},
        {"【{{案件}}】", "unknown field {{案件}} at character 2"},
        {"{{case_no}}{{due}}", "unknown field {{due}} at character 12"},
        {"{{ {{case_no}}", "unknown field {{{{case_no}} at character 1"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "notify:\n  templates:\n    case.created: \"%s\"\n",
                 bad[i].text);
        s_errors_t errs;
        assert_null(s_load(yaml, &errs));
        char want[256];
        snprintf(want, sizeof want, "t.yaml:3:19: notify.templates.case.created: %s", bad[i].error);
        if (strncmp(errs.text, want, strlen(want)) != 0) {
            fail_msg("case %zu: %s\ngave:\n%s\nexpected:\n%s", i, bad[i].text, errs.text, want);
        }
    }

    /* A long unknown name is cut in the message, on a character boundary. */
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "notify:\n  templates:\n    case.created: \"{{%s}}\"\n",
             "一二三四五六七八九十一二三四五六七八九十");
    s_errors_t errs;
    assert_null(s_load(yaml, &errs));
    assert_non_null(strstr(errs.text, "unknown field {{一二三四五六七八九十一二三}} at"));
}

static void test_template_size(void **state)
{
    (void)state;
    /* 4096 bytes are fine, 4097 are not; counted in bytes (a Chinese
     * character is three). */
    size_t cap = 16384;
    char *yaml = malloc(cap);
    for (size_t bytes = PL_NOTIFY_MAX_TEMPLATE - 1; bytes <= PL_NOTIFY_MAX_TEMPLATE + 1; bytes++) {
        size_t used = (size_t)snprintf(yaml, cap, "notify:\n  templates:\n    case.created: \"");
        size_t text = 0;
        while (text + 3 <= bytes) {
            memcpy(yaml + used, "超", 3);
            used += 3;
            text += 3;
        }
        while (text < bytes) {
            yaml[used++] = 'x';
            text++;
        }
        snprintf(yaml + used, cap - used, "\"\n");
        s_errors_t errs;
        pl_notify_config_t *cfg = s_load(yaml, bytes <= PL_NOTIFY_MAX_TEMPLATE ? NULL : &errs);
        if (bytes <= PL_NOTIFY_MAX_TEMPLATE) {
            assert_int_equal(strlen(cfg->templates[0]), bytes);
            s_unref(&cfg);
        } else {
            assert_non_null(strstr(errs.text, "t.yaml:3:19: notify.templates.case.created: longer "
                                              "than 4096 bytes"));
        }
    }
    free(yaml);
}

/* ---------------------------------------------------------------- limits */

static void test_limits(void **state)
{
    (void)state;
    size_t cap = 65536;
    char *yaml = malloc(cap);
    /* 64 sinks are fine, 65 are not. */
    for (int n = PL_NOTIFY_MAX_SINKS; n <= PL_NOTIFY_MAX_SINKS + 1; n++) {
        size_t used = (size_t)snprintf(yaml, cap, "notify:\n  sinks:\n");
        for (int i = 0; i < n; i++) {
            used +=
                (size_t)snprintf(yaml + used, cap - used,
                                 "    - {id: s%d, type: webhook, url: \"https://h/%d\"}\n", i, i);
        }
        s_errors_t errs;
        pl_notify_config_t *cfg = s_load(yaml, n == PL_NOTIFY_MAX_SINKS ? NULL : &errs);
        if (n == PL_NOTIFY_MAX_SINKS) {
            assert_int_equal(cfg->sinks_count, PL_NOTIFY_MAX_SINKS);
            assert_string_equal(pl_notify_sink_get(cfg, "s63")->url, "https://h/63");
            s_unref(&cfg);
        } else {
            assert_string_equal(errs.text, "t.yaml:3:5: notify.sinks: at most 64 sinks\n");
        }
    }
    /* 100 fixed addresses are fine, 101 are not. */
    for (int n = PL_NOTIFY_MAX_TO; n <= PL_NOTIFY_MAX_TO + 1; n++) {
        size_t used = (size_t)snprintf(yaml, cap, S_EMAIL_FROM "      to:\n");
        for (int i = 0; i < n; i++) {
            used += (size_t)snprintf(yaml + used, cap - used, "        - u%d@example.com\n", i);
        }
        s_errors_t errs;
        pl_notify_config_t *cfg = s_load(yaml, n == PL_NOTIFY_MAX_TO ? NULL : &errs);
        if (n == PL_NOTIFY_MAX_TO) {
            assert_int_equal(cfg->sinks[0].to_count, PL_NOTIFY_MAX_TO);
            assert_string_equal(cfg->sinks[0].to[99], "u99@example.com");
            s_unref(&cfg);
        } else {
            assert_string_equal(errs.text,
                                "t.yaml:8:9: notify.sinks[1].to: at most 100 addresses\n");
        }
    }
    /* Bounds that are just inside. */
    static const char edges[] =
        "notify:\n"
        "  retry: {first: 1h, max: 24h, attempts: 1000}\n"
        "  sinks:\n"
        "    - id: a234567890123456789012345678901234567890123456789012345678901234\n"
        "      type: webhook\n"
        "      url: https://x\n"
        "      timeout: 120s\n"
        "      concurrency: 1\n";
    pl_notify_config_t *cfg = s_load(edges, NULL);
    assert_true(cfg->retry_first == HOUR);
    assert_true(cfg->retry_max == 24 * HOUR);
    assert_int_equal(cfg->max_attempts, 1000);
    assert_int_equal(strlen(cfg->sinks[0].id), 64);
    assert_true(cfg->sinks[0].timeout == 2 * MIN);
    s_unref(&cfg);
    static const char low[] = "notify:\n  retry: {first: 1s, max: 1s, attempts: 1}\n";
    cfg = s_load(low, NULL);
    assert_true(cfg->retry_first == SEC);
    assert_true(cfg->retry_max == SEC);
    assert_int_equal(cfg->max_attempts, 1);
    s_unref(&cfg);
    free(yaml);
}

/* ---------------------------------------------------------------- reference counting */

static void test_refcount(void **state)
{
    (void)state;
    pl_notify_config_t *cfg = pl_notify_new_default();
    const pl_notify_config_t *a = cfg;
    const pl_notify_config_t *b = pl_notify_ref(a);
    assert_ptr_equal(a, b);
    assert_int_equal(cfg->refs, 2);
    pl_notify_unref(&b);
    assert_null(b);
    assert_int_equal(cfg->refs, 1);
    pl_notify_unref(&a); /* frees; ASan would see a leak otherwise */
    assert_null(a);

    /* NULL is accepted everywhere. */
    assert_null(pl_notify_ref(NULL));
    pl_notify_unref(NULL);
    const pl_notify_config_t *none = NULL;
    pl_notify_unref(&none);
}

typedef struct {
    const pl_notify_config_t *cfg;
    int rounds;
} s_thread_arg_t;

static void *s_thread_refs(void *p)
{
    s_thread_arg_t *arg = p;
    for (int i = 0; i < arg->rounds; i++) {
        const pl_notify_config_t *mine = pl_notify_ref(arg->cfg);
        if (strcmp(pl_notify_template(mine, NULL, 0), pl_notify_default_template(0)) != 0) {
            return p;
        }
        pl_notify_unref(&mine);
    }
    return NULL;
}

/* Threads taking and dropping references at once never lose a count. */
static void test_refcount_threads(void **state)
{
    (void)state;
    pl_notify_config_t *cfg = pl_notify_new_default();
    pthread_t threads[4];
    s_thread_arg_t arg = {.cfg = cfg, .rounds = 100000};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, s_thread_refs, &arg), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *result = NULL;
        assert_int_equal(pthread_join(threads[i], &result), 0);
        assert_null(result);
    }
    assert_int_equal(cfg->refs, 1);
    s_unref(&cfg);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topics_fields_types),
        cmocka_unit_test(test_default_templates),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_reports_all_errors),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_url_not_in_messages),
        cmocka_unit_test(test_template_placeholders),
        cmocka_unit_test(test_template_size),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_refcount_threads),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
