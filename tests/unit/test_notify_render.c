/*
 * Unit tests of what the notifier sends (workers/notify_render.h) and of the
 * directory read access it uses (config/people.h): recipients from a rules
 * snapshot's directory, the text of every template field, each sink's body
 * (parsed back), the e-mail message (headers, encoded-word subject and
 * base64 body decoded back, header injection), the reading of sink answers
 * and the back-off. Run with a test name or pattern ("email_*") to run only
 * those.
 */
#include "config/config.h"
#include "config/notify.h"
#include "config/people.h"
#include "config/rules.h"
#include "workers/notify_render.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- fixtures ----------------------------------------------------------------------------- */

/* A directory with two regional heads in different regions, two quality
 * leads, and contacts of every kind (and some missing). zhou_min's address
 * is zhao_lei's in other case; sun_li's tries to smuggle in a header. */
static const char s_yaml[] =
    "directory:\n"
    "  departments:\n"
    "    - {id: quality, name: 品质部}\n"
    "    - {id: sales, name: 销售部}\n"
    "    - {id: service, name: 客服部}\n"
    "    - {id: empty_dept}\n"
    "  roles:\n"
    "    - {id: regional_head, name: 区域负责人}\n"
    "    - {id: quality_lead, name: 品质主管}\n"
    "    - {id: agent}\n"
    "    - {id: nobody_role}\n"
    "  people:\n"
    "    - id: li_na\n"
    "      name: 李娜\n"
    "      roles: [regional_head]\n"
    "      department: sales\n"
    "      region: east\n"
    "      contacts: {phone: \"13800000001\", email: li.na@example.com, wecom: lina,\n"
    "                 dingtalk: lina_dd}\n"
    "    - id: wang_wei\n"
    "      name: 王伟\n"
    "      roles: [regional_head]\n"
    "      department: sales\n"
    "      region: west\n"
    "      contacts: {phone: \"13800000002\", email: wang.wei@example.com, wecom: wangwei}\n"
    "    - id: zhao_lei\n"
    "      name: 赵磊\n"
    "      roles: [quality_lead]\n"
    "      department: quality\n"
    "      region: east\n"
    "      contacts: {phone: \"13800000003\", email: zhao.lei@example.com}\n"
    "    - id: chen_jing\n"
    "      name: 陈静\n"
    "      roles: [quality_lead, agent]\n"
    "      department: quality\n"
    "      region: west\n"
    "    - id: sun_li\n"
    "      roles: [agent]\n"
    "      department: service\n"
    "      contacts: {email: \"sun.li@example.com\\r\\nBcc: evil@example.com\"}\n"
    "    - id: zhou_min\n"
    "      name: 周敏\n"
    "      department: service\n"
    "      contacts: {email: ZHAO.LEI@example.com, wecom: zhoumin}\n"
    "classify: {allow_unrouted: true}\n";

typedef struct {
    pl_config_t *cfg;
    const pl_rules_t *rules;
} s_fixture_t;

static pl_config_t *s_load_config(const char *yaml)
{
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(yaml, strlen(yaml), "notify.yaml", &errs);
    if (!cfg) {
        char buf[1024];
        for (size_t i = 0; i < errs.count; i++) {
            print_error("  %s\n", pl_err_format(&errs.items[i], buf, sizeof buf));
        }
    }
    pl_errlist_free(&errs);
    return cfg;
}

/* The group's fixture. It is not passed as the group state: cmocka would
 * then hand it to every test instead of the table tests' own state. */
static s_fixture_t s_fx;

static int s_setup(void **state)
{
    (void)state;
    s_fx.cfg = s_load_config(s_yaml);
    if (!s_fx.cfg) {
        return -1;
    }
    s_fx.rules = s_fx.cfg->rules;
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    pl_config_destroy(&s_fx.cfg);
    s_fx.rules = NULL;
    return 0;
}

static json_t *s_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    if (!v) {
        fail_msg("bad JSON in test: %s: %s", jerr.text, text);
    }
    return v;
}

/* A section with the built-in templates, made by hand (the struct is
 * public): the tests do not depend on the notify loader. */
static pl_notify_config_t s_cfg(void)
{
    pl_notify_config_t cfg = {0};
    cfg.retry_first = 10 * PL_USEC_PER_SEC;
    cfg.retry_max = 30 * PL_USEC_PER_MIN;
    cfg.max_attempts = 20;
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        cfg.templates[i] = (char *)pl_notify_default_template(i);
    }
    return cfg;
}

static pl_notify_sink_t s_sink(pl_sink_type_t type)
{
    pl_notify_sink_t sink = {0};
    sink.id = "test";
    sink.type = type;
    sink.url = type == PL_SINK_EMAIL ? "smtp://127.0.0.1:25" : "https://127.0.0.1/hook";
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        sink.topics[i] = true;
    }
    sink.timeout = 10 * PL_USEC_PER_SEC;
    sink.concurrency = 1;
    sink.recipients = true;
    if (type == PL_SINK_EMAIL) {
        sink.from = "plaint@example.com";
    }
    return sink;
}

/* The recipients' ids joined with ",". */
static void s_ids(const pl_recipients_t *r, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < r->count; i++) {
        strncat(buf, i ? "," : "", size - strlen(buf) - 1);
        strncat(buf, r->items[i].id, size - strlen(buf) - 1);
    }
}

static void s_check_recipients(const pl_rules_t *rules, const char *payload, const char *want)
{
    json_t *p = payload ? s_json(payload) : NULL;
    pl_recipients_t r = {0};
    assert_int_equal(pl_notify_recipients(rules, p, &r), 0);
    char got[512];
    s_ids(&r, got, sizeof got);
    if (strcmp(got, want) != 0) {
        fail_msg("payload %s: recipients \"%s\", expected \"%s\"", payload ? payload : "NULL", got,
                 want);
    }
    pl_recipients_clear(&r);
    assert_null(r.items);
    assert_int_equal(r.count, 0);
    json_decref(p);
}

/* Text of `tmpl` (for `topic`) with `payload`, the recipients computed from it. */
static char *s_text(const pl_rules_t *rules, const char *topic, const char *tmpl,
                    const char *payload)
{
    pl_notify_config_t cfg = s_cfg();
    int index = pl_notify_topic_index(topic);
    assert_true(index >= 0);
    cfg.templates[index] = (char *)tmpl;
    json_t *p = s_json(payload);
    pl_recipients_t r = {0};
    assert_int_equal(pl_notify_recipients(rules, p, &r), 0);
    char *text = pl_notify_text(&cfg, NULL, rules, topic, p, &r);
    pl_recipients_clear(&r);
    json_decref(p);
    assert_non_null(text);
    return text;
}

static void s_check_text(const pl_rules_t *rules, const char *topic, const char *tmpl,
                         const char *payload, const char *want)
{
    char *text = s_text(rules, topic, tmpl, payload);
    if (strcmp(text, want) != 0) {
        fail_msg("template \"%s\": got \"%s\", expected \"%s\"", tmpl, text, want);
    }
    free(text);
}

/* ---- base64 and e-mail parsing for the checks --------------------------------------------- */

static int s_b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes `size` characters of strict padded base64, appending to out;
 * returns the bytes written or fails the test. */
static size_t s_b64_decode(const char *s, size_t size, char *out)
{
    assert_int_equal(size % 4, 0);
    size_t n = 0;
    for (size_t i = 0; i < size; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = s[i + k] == '=' ? 0 : s_b64_value(s[i + k]);
            assert_true(v[k] >= 0);
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[n++] = (char)(w >> 16);
        if (s[i + 2] != '=') {
            out[n++] = (char)(w >> 8 & 0xff);
        }
        if (s[i + 3] != '=') {
            assert_true(s[i + 2] != '=');
            out[n++] = (char)(w & 0xff);
        }
    }
    out[n] = '\0';
    return n;
}

/* Whether `s` is complete, valid UTF-8. */
static bool s_utf8_complete(const unsigned char *s, size_t size)
{
    for (size_t i = 0; i < size;) {
        size_t n = s[i] < 0x80 ? 1 : s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : s[i] >= 0xC0 ? 2 : 0;
        if (n == 0 || i + n > size) {
            return false;
        }
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
        }
        i += n;
    }
    return true;
}

typedef struct {
    char *head; /* the header section, with its CRLFs */
    char *body; /* after the blank line */
} s_mail_t;

static void s_mail_split(const char *msg, s_mail_t *m)
{
    const char *blank = strstr(msg, "\r\n\r\n");
    assert_non_null(blank);
    m->head = strndup(msg, (size_t)(blank - msg) + 2);
    m->body = strdup(blank + 4);
    assert_non_null(m->head);
    assert_non_null(m->body);
}

static void s_mail_free(s_mail_t *m)
{
    free(m->head);
    free(m->body);
}

/* The unfolded value of header `name` (caller frees), or NULL. */
static char *s_header(const s_mail_t *m, const char *name)
{
    size_t name_size = strlen(name);
    const char *p = m->head;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        if (strncmp(p, name, name_size) == 0 && p[name_size] == ':') {
            char *value = calloc(1, strlen(p) + 1);
            assert_non_null(value);
            const char *v = p + name_size + 1;
            while (*v == ' ') {
                v++;
            }
            for (;;) {
                strncat(value, v, (size_t)(eol - v));
                if (eol[2] != ' ' && eol[2] != '\t') {
                    break;
                }
                v = eol + 2;
                eol = strstr(v, "\r\n");
                assert_non_null(eol);
            }
            return value;
        }
        p = eol + 2;
    }
    return NULL;
}

/* Decodes a Subject of encoded-words separated by folding white space;
 * checks each word's length and that each decodes to whole characters. */
static void s_decode_subject(const char *value, char *out)
{
    out[0] = '\0';
    const char *p = value;
    size_t words = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (!*p) {
            break;
        }
        assert_int_equal(strncmp(p, "=?UTF-8?B?", 10), 0);
        const char *end = strstr(p + 10, "?=");
        assert_non_null(end);
        size_t word_size = (size_t)(end + 2 - p);
        assert_true(word_size <= 75);
        char piece[128];
        size_t n = s_b64_decode(p + 10, (size_t)(end - p - 10), piece);
        assert_true(s_utf8_complete((const unsigned char *)piece, n));
        strcat(out, piece);
        p = end + 2;
        words++;
    }
    assert_true(words > 0);
}

/* Decodes the base64 body, checking its lines. */
static void s_decode_body(const char *body, char *out)
{
    size_t n = 0;
    const char *p = body;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        assert_non_null(eol);
        size_t size = (size_t)(eol - p);
        assert_true(size > 0 && size <= 76);
        n += s_b64_decode(p, size, out + n);
        p = eol + 2;
    }
    out[n] = '\0';
}

/* Every LF is preceded by CR, and no CR stands alone. */
static void s_check_crlf(const char *msg)
{
    for (const char *p = msg; *p; p++) {
        if (*p == '\n') {
            assert_true(p > msg && p[-1] == '\r');
        }
        if (*p == '\r') {
            assert_int_equal(p[1], '\n');
        }
    }
}

static void s_build_ok(const s_fixture_t *fx, const pl_notify_sink_t *sink, const char *topic,
                       const char *payload, const char *key, pl_usec_t now, pl_notify_message_t *m)
{
    pl_notify_config_t cfg = s_cfg();
    json_t *p = s_json(payload);
    int rc = pl_notify_build(&cfg, sink, fx->rules, topic, p, key, now, m);
    json_decref(p);
    assert_int_equal(rc, 0);
    assert_non_null(m->body);
    assert_int_equal(m->body_len, strlen(m->body));
}

/* 2026-11-28T12:34:56Z, a Saturday. */
#define S_NOW (INT64_C(1795869296) * PL_USEC_PER_SEC)

static const char s_breach[] =
    "{\"case_no\":\"TS-2026-000123\",\"deadline\":\"reply\",\"label\":\"答复客户\","
    "\"due_at\":\"2026-11-28T09:00:00Z\",\"level\":1,\"to\":[\"regional_head\",\"zhao_lei\"],"
    "\"region\":\"east\"}";

/* ---- directory (config/people.h) ---------------------------------------------------------- */

static void test_people_api(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    const pl_rules_t *rules = fx->rules;
    assert_int_equal(pl_rules_people_count(rules), 6);
    assert_int_equal(pl_rules_people_count(NULL), 0);
    pl_person_info_t info;
    assert_int_equal(pl_rules_person_at(rules, 0, &info), 0);
    assert_string_equal(info.id, "li_na");
    assert_string_equal(info.name, "李娜");
    assert_string_equal(info.department, "sales");
    assert_string_equal(info.region, "east");
    assert_string_equal(info.phone, "13800000001");
    assert_string_equal(info.email, "li.na@example.com");
    assert_string_equal(info.wecom, "lina");
    assert_string_equal(info.dingtalk, "lina_dd");
    assert_int_equal(pl_rules_person_at(rules, 4, &info), 0);
    assert_string_equal(info.id, "sun_li");
    assert_string_equal(info.name, "sun_li"); /* no name: the id */
    assert_null(info.region);
    assert_null(info.phone);
    assert_null(info.wecom);
    assert_int_equal(pl_rules_person_at(rules, 6, &info), PL_ENOENT);
    assert_null(info.id);
    assert_int_equal(pl_rules_person_at(NULL, 0, &info), PL_EINVAL);

    assert_int_equal(pl_rules_person_find(rules, "chen_jing"), 3);
    assert_int_equal(pl_rules_person_find(rules, "quality"), -1);
    assert_int_equal(pl_rules_person_find(rules, NULL), -1);

    assert_true(pl_rules_person_has_role(rules, 3, "quality_lead"));
    assert_true(pl_rules_person_has_role(rules, 3, "agent"));
    assert_false(pl_rules_person_has_role(rules, 3, "regional_head"));
    assert_false(pl_rules_person_has_role(rules, 5, "agent"));
    assert_false(pl_rules_person_has_role(rules, 99, "agent"));
    assert_false(pl_rules_person_has_role(rules, 0, NULL));

    assert_int_equal(pl_rules_directory_kind(rules, "li_na"), PL_DIRECTORY_PERSON);
    assert_int_equal(pl_rules_directory_kind(rules, "agent"), PL_DIRECTORY_ROLE);
    assert_int_equal(pl_rules_directory_kind(rules, "quality"), PL_DIRECTORY_DEPARTMENT);
    assert_int_equal(pl_rules_directory_kind(rules, "nope"), PL_DIRECTORY_NONE);
    assert_int_equal(pl_rules_directory_kind(rules, NULL), PL_DIRECTORY_NONE);
    assert_int_equal(pl_rules_directory_kind(NULL, "li_na"), PL_DIRECTORY_NONE);
}

/* ---- recipients --------------------------------------------------------------------------- */

static void test_recipients_person(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    s_check_recipients(fx->rules, "{\"to\":[\"li_na\"]}", "li_na");
    s_check_recipients(fx->rules, "{\"to\":[\"chen_jing\",\"li_na\"]}", "chen_jing,li_na");
    /* The recipient carries the contacts. */
    json_t *p = s_json("{\"to\":[\"li_na\",\"chen_jing\"]}");
    pl_recipients_t r = {0};
    assert_int_equal(pl_notify_recipients(fx->rules, p, &r), 0);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.items[0].name, "李娜");
    assert_string_equal(r.items[0].email, "li.na@example.com");
    assert_string_equal(r.items[0].phone, "13800000001");
    assert_string_equal(r.items[0].wecom, "lina");
    assert_string_equal(r.items[0].dingtalk, "lina_dd");
    assert_null(r.items[1].email);
    assert_null(r.items[1].phone);
    pl_recipients_clear(&r);
    json_decref(p);
}

static void test_recipients_role(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    /* Every holder, in directory order. */
    s_check_recipients(fx->rules, "{\"to\":[\"regional_head\"]}", "li_na,wang_wei");
    /* The assignee holds the role: only them. */
    s_check_recipients(fx->rules, "{\"to\":[\"regional_head\"],\"assignee\":\"wang_wei\"}",
                       "wang_wei");
    /* ... even when the region names another holder. */
    s_check_recipients(fx->rules,
                       "{\"to\":[\"regional_head\"],\"assignee\":\"wang_wei\",\"region\":\"east\"}",
                       "wang_wei");
    /* The assignee does not hold it: the region decides. */
    s_check_recipients(fx->rules,
                       "{\"to\":[\"quality_lead\"],\"assignee\":\"li_na\",\"region\":\"west\"}",
                       "chen_jing");
    s_check_recipients(fx->rules, "{\"to\":[\"regional_head\"],\"region\":\"east\"}", "li_na");
    /* No holder in the region: every holder. */
    s_check_recipients(fx->rules, "{\"to\":[\"quality_lead\"],\"region\":\"north\"}",
                       "zhao_lei,chen_jing");
    /* An unknown assignee is no assignee. */
    s_check_recipients(fx->rules, "{\"to\":[\"quality_lead\"],\"assignee\":\"ghost\"}",
                       "zhao_lei,chen_jing");
    /* A role nobody holds. */
    s_check_recipients(fx->rules, "{\"to\":[\"nobody_role\"]}", "");
}

static void test_recipients_department(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    s_check_recipients(fx->rules, "{\"to\":[\"quality\"]}", "zhao_lei,chen_jing");
    /* The region narrows roles, not departments. */
    s_check_recipients(fx->rules, "{\"to\":[\"service\"],\"region\":\"east\"}", "sun_li,zhou_min");
    s_check_recipients(fx->rules, "{\"to\":[\"empty_dept\"]}", "");
}

static void test_recipients_unknown(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    s_check_recipients(fx->rules, "{\"to\":[\"ghost\",\"li_na\",\"\",42,null,[\"x\"]]}", "li_na");
    s_check_recipients(fx->rules, "{\"to\":[]}", "");
    s_check_recipients(fx->rules, "{}", "");
    s_check_recipients(fx->rules, "[\"li_na\"]", "");
    s_check_recipients(fx->rules, NULL, "");
    /* A snapshot without a directory. */
    const pl_rules_t *empty = pl_rules_new_empty(NULL);
    assert_non_null(empty);
    s_check_recipients(empty, "{\"to\":[\"li_na\"]}", "");
    pl_rules_unref(&empty);
    s_check_recipients(NULL, "{\"to\":[\"li_na\"]}", "");
}

static void test_recipients_duplicates(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    /* Each person once, where first named. */
    s_check_recipients(fx->rules,
                       "{\"to\":[\"wang_wei\",\"regional_head\",\"sales\",\"li_na\",\"wang_wei\"]}",
                       "wang_wei,li_na");
    s_check_recipients(fx->rules, "{\"to\":[\"agent\",\"quality\",\"service\"]}",
                       "chen_jing,sun_li,zhao_lei,zhou_min");
}

static void test_recipients_case_created(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    /* inform, then the assignee. */
    s_check_recipients(
        fx->rules, "{\"inform\":[\"quality_lead\"],\"assignee\":\"sun_li\",\"region\":\"east\"}",
        "zhao_lei,sun_li");
    /* The assignee holds an informed role: the role narrows to them, once. */
    s_check_recipients(fx->rules, "{\"inform\":[\"regional_head\"],\"assignee\":\"wang_wei\"}",
                       "wang_wei");
    /* inform written as one id; no inform at all; inform null. */
    s_check_recipients(fx->rules, "{\"inform\":\"quality\",\"assignee\":\"li_na\"}",
                       "zhao_lei,chen_jing,li_na");
    s_check_recipients(fx->rules, "{\"assignee\":\"li_na\"}", "li_na");
    s_check_recipients(fx->rules, "{\"inform\":null,\"assignee\":null}", "");
    /* A deadline notification's "to" wins: inform and assignee are not added. */
    s_check_recipients(fx->rules,
                       "{\"to\":[\"zhao_lei\"],\"inform\":[\"sales\"],\"assignee\":\"li_na\"}",
                       "zhao_lei");
}

/* ---- text --------------------------------------------------------------------------------- */

static const char s_all_fields[] =
    "{{case_no}}|{{topic}}|{{event}}|{{kind}}|{{category}}|{{severity}}|{{department}}|"
    "{{assignee}}|{{region}}|{{deadline}}|{{label}}|{{due_at}}|{{level}}|{{warning}}|{{to}}";

static void test_text_every_field(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    s_check_text(fx->rules, "deadline.warning", s_all_fields,
                 "{\"case_no\":\"TS-2026-000123\",\"kind\":\"complaint\",\"category\":\"quality\","
                 "\"severity\":\"high\",\"department\":\"sales\",\"assignee\":\"wang_wei\","
                 "\"region\":\"west\",\"deadline\":\"reply\",\"label\":\"答复客户\","
                 "\"due_at\":\"2026-11-28T09:00:00Z\",\"level\":2,\"warning\":1,"
                 "\"to\":[\"regional_head\",\"quality_lead\"]}",
                 "TS-2026-000123|deadline.warning|即将超时|complaint|quality|high|sales|wang_wei|"
                 "west|reply|答复客户|2026-11-28 17:00|2|1|王伟、陈静");
    /* Other scalars. */
    s_check_text(fx->rules, "case.created", "{{level}} {{warning}} {{kind}} {{label}}",
                 "{\"level\":2.5,\"warning\":true,\"kind\":false,\"label\":[\"a\",1,null]}",
                 "2.5 true false a、1");
}

static void test_text_missing(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    s_check_text(fx->rules, "deadline.breached", s_all_fields, "{\"case_no\":\"TS-1\"}",
                 "TS-1|deadline.breached|已超时|-|-|-|-|-|-|-|-|-|-|-|-");
    /* null, "", an object and an empty list are missing too. */
    s_check_text(fx->rules, "deadline.breached", "{{category}}/{{label}}/{{kind}}/{{region}}",
                 "{\"category\":null,\"label\":\"\",\"kind\":{},\"region\":[]}", "-/-/-/-");
    /* Unknown recipients: nobody to name. */
    s_check_text(fx->rules, "deadline.breached", "请 {{to}} 处理", "{\"to\":[\"ghost\"]}",
                 "请 - 处理");
}

static void test_text_due_at(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    const char *tmpl = "{{due_at}}";
    const char *topic = "deadline.breached";
    /* Asia/Shanghai is UTC+8 all year. */
    s_check_text(fx->rules, topic, tmpl, "{\"due_at\":\"2026-11-28T09:00:00Z\"}",
                 "2026-11-28 17:00");
    s_check_text(fx->rules, topic, tmpl, "{\"due_at\":\"2026-12-31T20:30:59.999Z\"}",
                 "2027-01-01 04:30");
    s_check_text(fx->rules, topic, tmpl, "{\"due_at\":\"2026-11-28T17:00:00+08:00\"}",
                 "2026-11-28 17:00");
    s_check_text(fx->rules, topic, tmpl, "{\"due_at\":\"2026-11-28T04:00:00-05:00\"}",
                 "2026-11-28 17:00");
    /* Not RFC 3339: as it is. */
    s_check_text(fx->rules, topic, tmpl, "{\"due_at\":\"tomorrow\"}", "tomorrow");
    s_check_text(fx->rules, topic, tmpl, "{\"due_at\":17}", "17");

    /* The zone is the default calendar's. */
    pl_config_t *ny = s_load_config("calendar: {timezone: America/New_York}\n"
                                    "directory: {people: [{id: x}]}\n"
                                    "classify: {allow_unrouted: true}\n");
    assert_non_null(ny);
    s_check_text(ny->rules, topic, tmpl, "{\"due_at\":\"2026-07-01T16:00:00Z\"}",
                 "2026-07-01 12:00"); /* EDT */
    s_check_text(ny->rules, topic, tmpl, "{\"due_at\":\"2026-11-28T16:00:00Z\"}",
                 "2026-11-28 11:00"); /* EST */
    pl_config_destroy(&ny);

    /* No calendars at all: UTC, said so. */
    const pl_rules_t *empty = pl_rules_new_empty(NULL);
    assert_non_null(empty);
    s_check_text(empty, topic, tmpl, "{\"due_at\":\"2026-11-28T09:00:00Z\"}",
                 "2026-11-28 09:00 UTC");
    pl_rules_unref(&empty);
}

static void test_text_braces(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    const char *payload = "{\"case_no\":\"TS-9\",\"level\":3}";
    const char *topic = "case.escalated";
    s_check_text(fx->rules, topic, "{{ case_no }}/{{\tlevel\t}}/{{case_no }}", payload,
                 "TS-9/3/TS-9");
    /* Not placeholders: copied as they are. */
    s_check_text(fx->rules, topic, "{case_no} {{}} {{ }} {{case no}} {{case_no", payload,
                 "{case_no} {{}} {{ }} {{case no}} {{case_no");
    s_check_text(fx->rules, topic, "{{{case_no}}}", payload, "{TS-9}");
    s_check_text(fx->rules, topic, "", payload, "");
    /* A payload string holding braces is not expanded again. */
    s_check_text(fx->rules, topic, "{{label}}", "{\"label\":\"{{case_no}}\",\"case_no\":\"X\"}",
                 "{{case_no}}");
}

static void test_text_topics(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    const char *words[] = {"新投诉", "即将超时", "已超时", "已升级"};
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s %s", words[i], pl_notify_topics[i]);
        s_check_text(fx->rules, pl_notify_topics[i], "{{event}} {{topic}}", "{}", want);
    }
    pl_notify_config_t cfg = s_cfg();
    json_t *p = s_json(s_breach);
    assert_null(pl_notify_text(&cfg, NULL, fx->rules, "case.deleted", p, NULL));
    assert_null(pl_notify_text(&cfg, NULL, fx->rules, NULL, p, NULL));
    /* The built-in templates leave no placeholder behind. */
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        char *text = pl_notify_text(&cfg, NULL, fx->rules, pl_notify_topics[i], p, NULL);
        assert_non_null(text);
        assert_null(strstr(text, "{{"));
        assert_non_null(strstr(text, "TS-2026-000123"));
        free(text);
    }
    /* A sink's own template wins. */
    pl_notify_sink_t sink = s_sink(PL_SINK_WECOM);
    sink.templates[2] = "sink: {{case_no}}";
    char *text = pl_notify_text(&cfg, &sink, fx->rules, "deadline.breached", p, NULL);
    assert_string_equal(text, "sink: TS-2026-000123");
    free(text);
    json_decref(p);
}

static void test_text_default_breach(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_config_t cfg = s_cfg();
    json_t *p = s_json(s_breach);
    pl_recipients_t r = {0};
    assert_int_equal(pl_notify_recipients(fx->rules, p, &r), 0);
    char *text = pl_notify_text(&cfg, NULL, fx->rules, "deadline.breached", p, &r);
    assert_string_equal(text, "【已超时】TS-2026-000123「答复客户」已于 2026-11-28 17:00 超时，"
                              "请 李娜、赵磊 尽快处理（第1级）");
    free(text);
    pl_recipients_clear(&r);
    json_decref(p);
}

/* ---- sink bodies -------------------------------------------------------------------------- */

static json_t *s_build_json(const s_fixture_t *fx, pl_sink_type_t type, const char *payload)
{
    pl_notify_sink_t sink = s_sink(type);
    pl_notify_message_t m = {0};
    s_build_ok(fx, &sink, "deadline.breached", payload,
               "TS-2026-000123/reply/1795856400/breached/1", S_NOW, &m);
    assert_null(m.rcpt);
    assert_int_equal(m.rcpt_count, 0);
    /* UTF-8 as it is, no \u escapes. */
    assert_non_null(strstr(m.body, "已超时"));
    assert_null(strstr(m.body, "\\u"));
    json_error_t jerr;
    json_t *root = json_loadb(m.body, m.body_len, 0, &jerr);
    assert_non_null(root);
    pl_notify_message_clear(&m);
    assert_null(m.body);
    return root;
}

static const char *s_get_str(const json_t *obj, const char *path)
{
    /* "a.b.c": nested objects. */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *v = obj;
    for (char *part = strtok(buf, "."); part; part = strtok(NULL, ".")) {
        v = json_object_get(v, part);
    }
    assert_true(json_is_string(v));
    return json_string_value(v);
}

static const char s_breach_text[] = "【已超时】TS-2026-000123「答复客户」已于 2026-11-28 17:00 "
                                    "超时，请 李娜、赵磊 尽快处理（第1级）";

static void test_body_webhook(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    json_t *root = s_build_json(fx, PL_SINK_WEBHOOK, s_breach);
    assert_int_equal(json_object_size(root), 5);
    assert_string_equal(s_get_str(root, "topic"), "deadline.breached");
    assert_string_equal(s_get_str(root, "key"), "TS-2026-000123/reply/1795856400/breached/1");
    assert_string_equal(s_get_str(root, "text"), s_breach_text);
    json_t *payload = s_json(s_breach);
    assert_true(json_equal(json_object_get(root, "payload"), payload));
    json_decref(payload);
    json_t *list = json_object_get(root, "recipients");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(s_get_str(json_array_get(list, 0), "id"), "li_na");
    assert_string_equal(s_get_str(json_array_get(list, 0), "name"), "李娜");
    assert_string_equal(s_get_str(json_array_get(list, 1), "id"), "zhao_lei");
    assert_string_equal(s_get_str(json_array_get(list, 1), "name"), "赵磊");
    assert_int_equal(json_object_size(json_array_get(list, 0)), 2);
    json_decref(root);

    /* Nobody to name: an empty list, still sent. */
    root = s_build_json(fx, PL_SINK_WEBHOOK, "{\"case_no\":\"TS-1\",\"to\":[]}");
    assert_true(json_is_array(json_object_get(root, "recipients")));
    assert_int_equal(json_array_size(json_object_get(root, "recipients")), 0);
    json_decref(root);
}

static void test_body_wecom(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    json_t *root = s_build_json(fx, PL_SINK_WECOM,
                                "{\"case_no\":\"TS-2026-000123\",\"label\":\"答复客户\","
                                "\"due_at\":\"2026-11-28T09:00:00Z\",\"level\":1,"
                                "\"to\":[\"li_na\",\"zhao_lei\",\"zhou_min\"]}");
    assert_int_equal(json_object_size(root), 2);
    assert_string_equal(s_get_str(root, "msgtype"), "text");
    json_t *text = json_object_get(root, "text");
    assert_int_equal(json_object_size(text), 2);
    assert_non_null(strstr(s_get_str(root, "text.content"), "李娜、赵磊、周敏"));
    /* The wecom ids of those who have one. */
    json_t *want = s_json("[\"lina\",\"zhoumin\"]");
    assert_true(json_equal(json_object_get(text, "mentioned_list"), want));
    json_decref(want);
    json_decref(root);
}

static void test_body_dingtalk(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    json_t *root = s_build_json(fx, PL_SINK_DINGTALK, s_breach);
    assert_int_equal(json_object_size(root), 3);
    assert_string_equal(s_get_str(root, "msgtype"), "text");
    assert_string_equal(s_get_str(root, "text.content"), s_breach_text);
    json_t *want = s_json("{\"atMobiles\":[\"13800000001\",\"13800000003\"],\"isAtAll\":false}");
    assert_true(json_equal(json_object_get(root, "at"), want));
    json_decref(want);
    json_decref(root);
}

static void test_body_feishu(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    json_t *root = s_build_json(fx, PL_SINK_FEISHU, s_breach);
    json_t *want = s_json("{\"msg_type\":\"text\",\"content\":{\"text\":\"\"}}");
    json_object_set_new(json_object_get(want, "content"), "text", json_string(s_breach_text));
    assert_true(json_equal(root, want));
    json_decref(want);
    json_decref(root);
}

static void test_build_errors(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_config_t cfg = s_cfg();
    pl_notify_sink_t sink = s_sink(PL_SINK_WEBHOOK);
    json_t *p = s_json(s_breach);
    pl_notify_message_t m = {0};
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.deleted", p, "k", S_NOW, &m),
                     PL_EINVAL);
    assert_null(m.body);
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, NULL, p, "k", S_NOW, &m), PL_EINVAL);
    /* A NULL key and a NULL payload still make a body. */
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.created", NULL, NULL, S_NOW, &m),
                     0);
    json_t *root = json_loads(m.body, 0, NULL);
    assert_string_equal(s_get_str(root, "key"), "");
    assert_true(json_is_null(json_object_get(root, "payload")));
    json_decref(root);
    pl_notify_message_clear(&m);
    pl_notify_message_clear(&m); /* twice is fine */
    pl_notify_message_clear(NULL);
    json_decref(p);
}

/* ---- e-mail ------------------------------------------------------------------------------- */

static void test_email_headers(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    char *fixed[] = {"quality@example.com"};
    sink.to = fixed;
    sink.to_count = 1;
    pl_notify_message_t m = {0};
    s_build_ok(fx, &sink, "deadline.breached", s_breach, "TS-2026-000123/reply/1/breached/1", S_NOW,
               &m);
    s_check_crlf(m.body);
    s_mail_t mail;
    s_mail_split(m.body, &mail);
    /* Header lines stay short (folded). */
    for (const char *p = mail.head; *p;) {
        const char *eol = strstr(p, "\r\n");
        assert_true(eol - p <= 78);
        p = eol + 2;
    }
    char *v = s_header(&mail, "From");
    assert_string_equal(v, "plaint@example.com");
    free(v);
    v = s_header(&mail, "To");
    assert_string_equal(v, "quality@example.com, li.na@example.com, zhao.lei@example.com");
    free(v);
    v = s_header(&mail, "Date");
    assert_string_equal(v, "Sat, 28 Nov 2026 12:34:56 +0000");
    free(v);
    v = s_header(&mail, "MIME-Version");
    assert_string_equal(v, "1.0");
    free(v);
    v = s_header(&mail, "Content-Type");
    assert_string_equal(v, "text/plain; charset=UTF-8");
    free(v);
    v = s_header(&mail, "Content-Transfer-Encoding");
    assert_string_equal(v, "base64");
    free(v);
    v = s_header(&mail, "Message-ID");
    assert_non_null(v);
    assert_int_equal(v[0], '<');
    assert_non_null(strstr(v, "@plaint>"));
    assert_int_equal(strncmp(v, "<TS-2026-000123/reply/1/breached/1-", 35), 0);
    free(v);
    /* Subject and body decode back. */
    char subject[1024], body[4096];
    v = s_header(&mail, "Subject");
    s_decode_subject(v, subject);
    free(v);
    assert_string_equal(subject, "[Plaint] 【已超时】TS-2026-000123「答复客户」已于 2026-11-28 "
                                 "17:00 超时，请 李娜、赵磊 尽快处理（第1级）");
    s_decode_body(mail.body, body);
    assert_string_equal(body, s_breach_text);
    /* The envelope: the same addresses. */
    assert_int_equal(m.rcpt_count, 3);
    assert_string_equal(m.rcpt[0], "quality@example.com");
    assert_string_equal(m.rcpt[1], "li.na@example.com");
    assert_string_equal(m.rcpt[2], "zhao.lei@example.com");
    assert_null(m.rcpt[3]);
    s_mail_free(&mail);
    pl_notify_message_clear(&m);
    assert_null(m.rcpt);
    assert_int_equal(m.rcpt_count, 0);
}

static void test_email_subject_words(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_config_t cfg = s_cfg();
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    /* Long subjects of 3-byte characters, with an ASCII prefix of every
     * length 0..3 so that word boundaries fall at every offset. */
    char label[1024];
    for (int shift = 0; shift < 4; shift++) {
        snprintf(label, sizeof label, "%.*s%s", shift, "abc",
                 "客户反映产品质量问题多次维修仍未解决要求退货并赔偿损失请相关部门尽快核实处理");
        sink.templates[0] = "{{label}}\n第二行不进标题";
        json_t *p = json_pack("{s:s,s:[s]}", "label", label, "to", "li_na");
        pl_notify_message_t m = {0};
        assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.created", p, "k", S_NOW, &m),
                         0);
        s_mail_t mail;
        s_mail_split(m.body, &mail);
        char *v = s_header(&mail, "Subject");
        char subject[2048], want[2048];
        s_decode_subject(v, subject);
        snprintf(want, sizeof want, "[Plaint] %s", label);
        assert_string_equal(subject, want);
        /* Several words, each line within 76 columns. */
        assert_non_null(strstr(mail.head, "?=\r\n =?UTF-8?B?"));
        char body[4096], body_want[4096];
        s_decode_body(mail.body, body);
        snprintf(body_want, sizeof body_want, "%s\r\n第二行不进标题", label);
        assert_string_equal(body, body_want);
        free(v);
        s_mail_free(&mail);
        pl_notify_message_clear(&m);
        json_decref(p);
    }
}

static void test_email_body_lines(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_config_t cfg = s_cfg();
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    /* Line ends of every kind become CRLF; the body spans several lines. */
    sink.templates[0] = "first {{case_no}}\nsecond\r\nthird\rfourth\n\n"
                        "0123456789012345678901234567890123456789012345678901234567890123456789";
    json_t *p = s_json("{\"case_no\":\"TS-7\",\"to\":[\"li_na\"]}");
    pl_notify_message_t m = {0};
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.created", p, "k", S_NOW, &m), 0);
    s_check_crlf(m.body);
    s_mail_t mail;
    s_mail_split(m.body, &mail);
    char body[4096];
    s_decode_body(mail.body, body);
    assert_string_equal(body,
                        "first TS-7\r\nsecond\r\nthird\r\nfourth\r\n\r\n"
                        "0123456789012345678901234567890123456789012345678901234567890123456789");
    /* Full lines are exactly 76 characters. */
    assert_int_equal(strstr(mail.body, "\r\n") - mail.body, 76);
    char *v = s_header(&mail, "Subject");
    char subject[256];
    s_decode_subject(v, subject);
    assert_string_equal(subject, "[Plaint] first TS-7");
    free(v);
    s_mail_free(&mail);
    pl_notify_message_clear(&m);
    json_decref(p);
}

static void test_email_message_id(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    const char *keys[] = {"TS-1/reply/100/breached/1",
                          "TS-1/reply/100/breached/1",
                          "TS-1/reply/100/breached/2",
                          "TS-1 reply",
                          "TS-1_reply",
                          ""};
    pl_usec_t nows[] = {S_NOW, S_NOW + 3600 * PL_USEC_PER_SEC, S_NOW, S_NOW, S_NOW, S_NOW};
    char *ids[6], *dates[6];
    for (int i = 0; i < 6; i++) {
        pl_notify_message_t m = {0};
        s_build_ok(fx, &sink, "deadline.breached", s_breach, keys[i], nows[i], &m);
        s_mail_t mail;
        s_mail_split(m.body, &mail);
        ids[i] = s_header(&mail, "Message-ID");
        dates[i] = s_header(&mail, "Date");
        assert_non_null(ids[i]);
        /* One <id-left@plaint>, nothing that would break it. */
        assert_int_equal(ids[i][0], '<');
        assert_int_equal(ids[i][strlen(ids[i]) - 1], '>');
        assert_null(strchr(ids[i], ' '));
        assert_null(strchr(ids[i] + 1, '<'));
        assert_int_equal(strchr(ids[i], '@') - ids[i], strlen(ids[i]) - 8);
        s_mail_free(&mail);
        pl_notify_message_clear(&m);
    }
    /* Stable per key, whatever the time; different keys, different ids. */
    assert_string_equal(ids[0], ids[1]);
    assert_string_not_equal(dates[0], dates[1]);
    assert_string_equal(dates[1], "Sat, 28 Nov 2026 13:34:56 +0000");
    assert_string_not_equal(ids[0], ids[2]);
    /* Keys that sanitize alike still differ (the hash is of the whole key). */
    assert_int_equal(strncmp(ids[3], "<TS-1_reply-", 12), 0);
    assert_int_equal(strncmp(ids[4], "<TS-1_reply-", 12), 0);
    assert_string_not_equal(ids[3], ids[4]);
    assert_int_equal(strlen(ids[5]), 1 + 16 + 8);
    for (int i = 0; i < 6; i++) {
        free(ids[i]);
        free(dates[i]);
    }
}

static void test_email_date(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    static const struct {
        pl_usec_t now;
        const char *want;
    } cases[] = {
        {0, "Thu, 1 Jan 1970 00:00:00 +0000"},
        {-1, "Wed, 31 Dec 1969 23:59:59 +0000"},
        {INT64_C(951782400) * PL_USEC_PER_SEC + 999999, "Tue, 29 Feb 2000 00:00:00 +0000"},
        {INT64_C(1798761599) * PL_USEC_PER_SEC, "Thu, 31 Dec 2026 23:59:59 +0000"},
        {INT64_C(1776643200) * PL_USEC_PER_SEC, "Mon, 20 Apr 2026 00:00:00 +0000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pl_notify_message_t m = {0};
        s_build_ok(fx, &sink, "deadline.breached", s_breach, "k", cases[i].now, &m);
        s_mail_t mail;
        s_mail_split(m.body, &mail);
        char *v = s_header(&mail, "Date");
        assert_string_equal(v, cases[i].want);
        free(v);
        s_mail_free(&mail);
        pl_notify_message_clear(&m);
    }
}

static void test_email_recipients(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    char *fixed[] = {"quality@example.com", "QUALITY@example.com", "li.na@example.com"};
    sink.to = fixed;
    sink.to_count = 3;
    /* li_na twice (fixed and named), zhao_lei and zhou_min share an address
     * in two spellings, chen_jing has none, sun_li's is refused. */
    const char *payload = "{\"to\":[\"li_na\",\"quality\",\"service\",\"regional_head\"]}";
    pl_notify_message_t m = {0};
    s_build_ok(fx, &sink, "deadline.breached", payload, "k", S_NOW, &m);
    const char *want[] = {"quality@example.com", "li.na@example.com", "zhao.lei@example.com",
                          "wang.wei@example.com"};
    assert_int_equal(m.rcpt_count, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(m.rcpt[i], want[i]);
    }
    assert_null(m.rcpt[4]);
    s_mail_t mail;
    s_mail_split(m.body, &mail);
    char *v = s_header(&mail, "To");
    assert_string_equal(v, "quality@example.com, li.na@example.com, zhao.lei@example.com, "
                           "wang.wei@example.com");
    free(v);
    s_mail_free(&mail);
    pl_notify_message_clear(&m);

    /* recipients: false: only the fixed addresses. */
    sink.recipients = false;
    s_build_ok(fx, &sink, "deadline.breached", payload, "k", S_NOW, &m);
    assert_int_equal(m.rcpt_count, 2);
    assert_string_equal(m.rcpt[0], "quality@example.com");
    assert_string_equal(m.rcpt[1], "li.na@example.com");
    pl_notify_message_clear(&m);

    /* Many addresses: To is folded, every address still there once. */
    char *many[40];
    char storage[40][32];
    for (int i = 0; i < 40; i++) {
        snprintf(storage[i], sizeof storage[i], "user%02d@example.com", i);
        many[i] = storage[i];
    }
    sink.to = many;
    sink.to_count = 40;
    s_build_ok(fx, &sink, "deadline.breached", payload, "k", S_NOW, &m);
    assert_int_equal(m.rcpt_count, 40);
    s_check_crlf(m.body);
    s_mail_split(m.body, &mail);
    v = s_header(&mail, "To");
    for (int i = 0; i < 40; i++) {
        assert_non_null(strstr(v, storage[i]));
    }
    free(v);
    for (const char *p = mail.head; *p;) {
        const char *eol = strstr(p, "\r\n");
        assert_true(eol - p <= 78);
        p = eol + 2;
    }
    s_mail_free(&mail);
    pl_notify_message_clear(&m);
}

static void test_email_no_address(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_config_t cfg = s_cfg();
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    pl_notify_message_t m = {0};
    const char *payloads[] = {
        "{\"to\":[\"chen_jing\"]}", /* no e-mail in the directory */
        "{\"to\":[\"sun_li\"]}",    /* one that is refused */
        "{\"to\":[\"ghost\"]}",     /* nobody */
        "{}",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        json_t *p = s_json(payloads[i]);
        assert_int_equal(
            pl_notify_build(&cfg, &sink, fx->rules, "case.escalated", p, "k", S_NOW, &m),
            PL_ENOENT);
        assert_null(m.body);
        assert_null(m.rcpt);
        json_decref(p);
    }
    /* Named people, but the sink does not mail them. */
    sink.recipients = false;
    json_t *p = s_json("{\"to\":[\"li_na\"]}");
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.escalated", p, "k", S_NOW, &m),
                     PL_ENOENT);
    json_decref(p);
}

static void test_email_injection(void **state)
{
    (void)state;
    const s_fixture_t *fx = &s_fx;
    pl_notify_config_t cfg = s_cfg();
    pl_notify_sink_t sink = s_sink(PL_SINK_EMAIL);
    char *fixed[] = {"a@example.com\r\nBcc: evil@example.com", "b@example.com>, evil@example.com",
                     "c d@example.com", "<e@example.com>", "ok@example.com"};
    sink.to = fixed;
    sink.to_count = 5;
    sink.templates[3] = "{{label}}\r\nBcc: evil2@example.com\r\n\r\nbody";
    json_t *p = s_json("{\"label\":\"x\\r\\nBcc: evil3@example.com\\rY\",\"to\":[\"sun_li\"]}");
    pl_notify_message_t m = {0};
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.escalated", p, "k", S_NOW, &m),
                     0);
    s_check_crlf(m.body);
    assert_int_equal(m.rcpt_count, 1);
    assert_string_equal(m.rcpt[0], "ok@example.com");
    s_mail_t mail;
    s_mail_split(m.body, &mail);
    /* Nothing injected reached the header section. */
    assert_null(strstr(mail.head, "evil"));
    assert_null(strstr(mail.head, "Bcc"));
    char *v = s_header(&mail, "Subject");
    char subject[256];
    s_decode_subject(v, subject);
    assert_string_equal(subject, "[Plaint] x"); /* the first line only */
    free(v);
    v = s_header(&mail, "To");
    assert_string_equal(v, "ok@example.com");
    free(v);
    s_mail_free(&mail);
    pl_notify_message_clear(&m);

    /* A sender that is not a plain address. */
    sink.from = "plaint@example.com\r\nBcc: evil@example.com";
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.escalated", p, "k", S_NOW, &m),
                     PL_EINVAL);
    sink.from = NULL;
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.escalated", p, "k", S_NOW, &m),
                     PL_EINVAL);
    assert_null(m.body);
    json_decref(p);

    /* A control character in the subject line is dropped. */
    sink.from = "plaint@example.com";
    sink.templates[3] = "a\tb\x01"
                        "c";
    p = s_json("{}");
    assert_int_equal(pl_notify_build(&cfg, &sink, fx->rules, "case.escalated", p, "k", S_NOW, &m),
                     0);
    s_mail_split(m.body, &mail);
    v = s_header(&mail, "Subject");
    s_decode_subject(v, subject);
    assert_string_equal(subject, "[Plaint] abc");
    free(v);
    s_mail_free(&mail);
    pl_notify_message_clear(&m);
    json_decref(p);
}

/* ---- judge -------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    pl_sink_type_t type;
    long status;
    const char *body;
    pl_delivery_outcome_t want;
    const char *why; /* expected reason, or NULL to skip */
} s_judge_case_t;

static const s_judge_case_t s_judge_cases[] = {
    {"transport error", PL_SINK_WECOM, 0, NULL, PL_DELIVERY_RETRY, "no answer"},
    {"transport error webhook", PL_SINK_WEBHOOK, 0, "", PL_DELIVERY_RETRY, "no answer"},
    {"webhook 200", PL_SINK_WEBHOOK, 200, "whatever", PL_DELIVERY_OK, "HTTP 200"},
    {"webhook 204", PL_SINK_WEBHOOK, 204, NULL, PL_DELIVERY_OK, "HTTP 204"},
    {"webhook 408", PL_SINK_WEBHOOK, 408, NULL, PL_DELIVERY_RETRY, "HTTP 408"},
    {"webhook 425", PL_SINK_WEBHOOK, 425, NULL, PL_DELIVERY_RETRY, "HTTP 425"},
    {"webhook 429", PL_SINK_WEBHOOK, 429, NULL, PL_DELIVERY_RETRY, "HTTP 429"},
    {"webhook 500", PL_SINK_WEBHOOK, 500, "oops", PL_DELIVERY_RETRY, "HTTP 500"},
    {"webhook 503", PL_SINK_WEBHOOK, 503, NULL, PL_DELIVERY_RETRY, "HTTP 503"},
    {"webhook 400", PL_SINK_WEBHOOK, 400, NULL, PL_DELIVERY_PERMANENT, "HTTP 400"},
    {"webhook 404", PL_SINK_WEBHOOK, 404, NULL, PL_DELIVERY_PERMANENT, "HTTP 404"},
    {"webhook 401", PL_SINK_WEBHOOK, 401, NULL, PL_DELIVERY_PERMANENT, "HTTP 401"},
    {"webhook 301", PL_SINK_WEBHOOK, 301, NULL, PL_DELIVERY_PERMANENT, "HTTP 301"},
    {"wecom ok", PL_SINK_WECOM, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", PL_DELIVERY_OK,
     "HTTP 200"},
    {"wecom bad url", PL_SINK_WECOM, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}",
     PL_DELIVERY_PERMANENT, "errcode 93000: invalid webhook url"},
    {"wecom rate limit", PL_SINK_WECOM, 200,
     "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", PL_DELIVERY_RETRY,
     "errcode 45009: api freq out of limit"},
    {"wecom busy", PL_SINK_WECOM, 200, "{\"errcode\":-1,\"errmsg\":\"system busy\"}",
     PL_DELIVERY_RETRY, "errcode -1: system busy"},
    {"wecom feishu code ignored", PL_SINK_WECOM, 200, "{\"code\":0}", PL_DELIVERY_RETRY, NULL},
    {"wecom not json", PL_SINK_WECOM, 200, "<html>proxy</html>", PL_DELIVERY_RETRY,
     "HTTP 200 without an errcode in the answer"},
    {"wecom empty", PL_SINK_WECOM, 200, "", PL_DELIVERY_RETRY, NULL},
    {"wecom null body", PL_SINK_WECOM, 200, NULL, PL_DELIVERY_RETRY, NULL},
    {"wecom errcode string", PL_SINK_WECOM, 200, "{\"errcode\":\"0\"}", PL_DELIVERY_RETRY, NULL},
    {"wecom 500", PL_SINK_WECOM, 502, NULL, PL_DELIVERY_RETRY, "HTTP 502"},
    {"wecom 404", PL_SINK_WECOM, 404, "{\"errcode\":404,\"errmsg\":\"not found\"}",
     PL_DELIVERY_PERMANENT, "HTTP 404, errcode 404: not found"},
    {"dingtalk ok", PL_SINK_DINGTALK, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", PL_DELIVERY_OK,
     "HTTP 200"},
    {"dingtalk keyword", PL_SINK_DINGTALK, 200,
     "{\"errcode\":310000,\"errmsg\":\"keywords not in content\"}", PL_DELIVERY_PERMANENT,
     "errcode 310000: keywords not in content"},
    {"dingtalk too fast", PL_SINK_DINGTALK, 200,
     "{\"errcode\":130101,\"errmsg\":\"send too fast\"}", PL_DELIVERY_RETRY,
     "errcode 130101: send too fast"},
    {"dingtalk no errmsg", PL_SINK_DINGTALK, 200, "{\"errcode\":300001}", PL_DELIVERY_PERMANENT,
     "errcode 300001: -"},
    {"dingtalk not json", PL_SINK_DINGTALK, 200, "ok", PL_DELIVERY_RETRY, NULL},
    {"feishu ok", PL_SINK_FEISHU, 200, "{\"code\":0,\"msg\":\"success\",\"data\":{}}",
     PL_DELIVERY_OK, "HTTP 200"},
    {"feishu old ok", PL_SINK_FEISHU, 200, "{\"StatusCode\":0,\"StatusMessage\":\"success\"}",
     PL_DELIVERY_OK, "HTTP 200"},
    {"feishu no code", PL_SINK_FEISHU, 200, "{}", PL_DELIVERY_OK, "HTTP 200"},
    {"feishu not json", PL_SINK_FEISHU, 200, "ok", PL_DELIVERY_OK, "HTTP 200"},
    {"feishu sign", PL_SINK_FEISHU, 200, "{\"code\":19021,\"msg\":\"sign match fail\"}",
     PL_DELIVERY_PERMANENT, "code 19021: sign match fail"},
    {"feishu old code", PL_SINK_FEISHU, 200, "{\"StatusCode\":19001,\"StatusMessage\":\"bad\"}",
     PL_DELIVERY_PERMANENT, "code 19001: bad"},
    {"feishu 9499", PL_SINK_FEISHU, 200, "{\"code\":9499,\"msg\":\"Too Many Requests\"}",
     PL_DELIVERY_RETRY, "code 9499: Too Many Requests"},
    {"feishu 11232", PL_SINK_FEISHU, 200, "{\"code\":11232,\"msg\":\"frequency limited\"}",
     PL_DELIVERY_RETRY, NULL},
    {"feishu 400 rate limit", PL_SINK_FEISHU, 400, "{\"code\":9499,\"msg\":\"Too Many Requests\"}",
     PL_DELIVERY_RETRY, "HTTP 400, code 9499: Too Many Requests"},
    {"feishu 400", PL_SINK_FEISHU, 400, "{\"code\":9499999,\"msg\":\"bad request\"}",
     PL_DELIVERY_PERMANENT, NULL},
    {"feishu 429", PL_SINK_FEISHU, 429, NULL, PL_DELIVERY_RETRY, "HTTP 429"},
    {"email 250", PL_SINK_EMAIL, 250, NULL, PL_DELIVERY_OK, "SMTP 250"},
    {"email 421", PL_SINK_EMAIL, 421, NULL, PL_DELIVERY_RETRY, "SMTP 421"},
    {"email 451", PL_SINK_EMAIL, 451, NULL, PL_DELIVERY_RETRY, "SMTP 451"},
    {"email 550", PL_SINK_EMAIL, 550, NULL, PL_DELIVERY_PERMANENT, "SMTP 550"},
    {"email 0", PL_SINK_EMAIL, 0, NULL, PL_DELIVERY_RETRY, "no answer"},
    {"message with line breaks", PL_SINK_WECOM, 200, "{\"errcode\":1,\"errmsg\":\"a\\r\\nb\"}",
     PL_DELIVERY_PERMANENT, "errcode 1: a  b"},
};

static void s_test_judge_case(void **state)
{
    const s_judge_case_t *c = *state;
    char why[128] = "untouched";
    size_t len = c->body ? strlen(c->body) : 0;
    pl_delivery_outcome_t got = pl_notify_judge(c->type, c->status, c->body, len, why, sizeof why);
    if (got != c->want) {
        fail_msg("%s: outcome %d, expected %d (why \"%s\")", c->name, got, c->want, why);
    }
    if (c->why) {
        assert_string_equal(why, c->why);
    }
    /* why may be NULL. */
    assert_int_equal(pl_notify_judge(c->type, c->status, c->body, len, NULL, 0), c->want);
}

static void test_judge_why_size(void **state)
{
    (void)state;
    /* A short buffer gets a truncated reason, never a cut character. */
    const char *body = "{\"errcode\":93000,\"errmsg\":\"机器人地址无效\"}";
    for (size_t size = 1; size < 40; size++) {
        char why[40];
        memset(why, 'x', sizeof why);
        pl_notify_judge(PL_SINK_WECOM, 200, body, strlen(body), why, size);
        assert_true(strlen(why) < size);
        assert_true(s_utf8_complete((const unsigned char *)why, strlen(why)));
    }
    char big[64];
    pl_notify_judge(PL_SINK_WECOM, 200, body, strlen(body), big, sizeof big);
    assert_string_equal(big, "errcode 93000: 机器人地址无效");
    /* body_len limits what is read. */
    pl_notify_judge(PL_SINK_WECOM, 200, "{\"errcode\":0}garbage", 13, big, sizeof big);
    assert_string_equal(big, "HTTP 200");
    /* Buffer size 0: untouched. */
    big[0] = 'z';
    pl_notify_judge(PL_SINK_WECOM, 500, NULL, 0, big, 0);
    assert_int_equal(big[0], 'z');
}

/* ---- back-off ----------------------------------------------------------------------------- */

#define S_JITTER_MID UINT32_C(0x80000000) /* rand32 / 2^32 = 0.5: no spread */

static void test_backoff_doubling(void **state)
{
    (void)state;
    pl_notify_config_t cfg = s_cfg(); /* 10s, capped at 30m */
    pl_usec_t s = PL_USEC_PER_SEC;
    pl_usec_t want[] = {10 * s,  20 * s,  40 * s,   80 * s,   160 * s,
                        320 * s, 640 * s, 1280 * s, 1800 * s, 1800 * s};
    for (int a = 1; a <= 10; a++) {
        assert_int_equal(pl_notify_backoff(&cfg, a, S_JITTER_MID), want[a - 1]);
    }
    /* Attempt numbers that would overflow any doubling. */
    assert_int_equal(pl_notify_backoff(&cfg, 63, S_JITTER_MID), 1800 * s);
    assert_int_equal(pl_notify_backoff(&cfg, 64, S_JITTER_MID), 1800 * s);
    assert_int_equal(pl_notify_backoff(&cfg, 1000000, S_JITTER_MID), 1800 * s);
    assert_int_equal(pl_notify_backoff(&cfg, INT32_MAX, S_JITTER_MID), 1800 * s);
    /* Nonsense attempt numbers are the first. */
    assert_int_equal(pl_notify_backoff(&cfg, 0, S_JITTER_MID), 10 * s);
    assert_int_equal(pl_notify_backoff(&cfg, -5, S_JITTER_MID), 10 * s);
    /* The largest settings: 1h doubling to a 24h cap. */
    cfg.retry_first = PL_USEC_PER_HOUR;
    cfg.retry_max = PL_USEC_PER_DAY;
    assert_int_equal(pl_notify_backoff(&cfg, 5, S_JITTER_MID), 16 * PL_USEC_PER_HOUR);
    assert_int_equal(pl_notify_backoff(&cfg, 6, S_JITTER_MID), PL_USEC_PER_DAY);
    assert_int_equal(pl_notify_backoff(&cfg, INT32_MAX, UINT32_MAX) <= PL_USEC_PER_DAY * 6 / 5,
                     true);
}

static void test_backoff_jitter(void **state)
{
    (void)state;
    pl_notify_config_t cfg = s_cfg();
    for (int a = 1; a <= 12; a++) {
        pl_usec_t base = pl_notify_backoff(&cfg, a, S_JITTER_MID);
        pl_usec_t lo = base - base / 5, hi = base + base / 5;
        pl_usec_t min = INT64_MAX, max = 0;
        /* Extremes, then a spread of values (a simple LCG). */
        uint32_t r = 12345;
        for (int i = 0; i < 20000; i++) {
            uint32_t v = i == 0 ? 0 : i == 1 ? UINT32_MAX : (r = r * 1664525u + 1013904223u);
            pl_usec_t w = pl_notify_backoff(&cfg, a, v);
            assert_true(w >= lo);
            assert_true(w < hi);
            min = w < min ? w : min;
            max = w > max ? w : max;
        }
        /* The spread is used, both ways. */
        assert_int_equal(min, lo);
        assert_true(max > hi - base / 100);
    }
    /* Monotone in rand32. */
    assert_true(pl_notify_backoff(&cfg, 3, 1000) <= pl_notify_backoff(&cfg, 3, 2000000000u));
}

static void test_backoff_floor(void **state)
{
    (void)state;
    /* Never below 1 ms, whatever the settings. */
    pl_notify_config_t cfg = {0};
    cfg.retry_first = 1;
    cfg.retry_max = 2;
    for (int a = 1; a < 5; a++) {
        assert_int_equal(pl_notify_backoff(&cfg, a, 0), 1000);
        assert_int_equal(pl_notify_backoff(&cfg, a, UINT32_MAX), 1000);
    }
    cfg.retry_first = 0;
    cfg.retry_max = 0;
    assert_int_equal(pl_notify_backoff(&cfg, 1, 0), 1000);
    assert_int_equal(pl_notify_backoff(NULL, 3, 0), 1000);
    /* Cap below first: the cap wins. */
    cfg.retry_first = 10 * PL_USEC_PER_SEC;
    cfg.retry_max = 5 * PL_USEC_PER_SEC;
    assert_int_equal(pl_notify_backoff(&cfg, 1, S_JITTER_MID), 5 * PL_USEC_PER_SEC);
}

/* ---- main --------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_people_api),
        cmocka_unit_test(test_recipients_person),
        cmocka_unit_test(test_recipients_role),
        cmocka_unit_test(test_recipients_department),
        cmocka_unit_test(test_recipients_unknown),
        cmocka_unit_test(test_recipients_duplicates),
        cmocka_unit_test(test_recipients_case_created),
        cmocka_unit_test(test_text_every_field),
        cmocka_unit_test(test_text_missing),
        cmocka_unit_test(test_text_due_at),
        cmocka_unit_test(test_text_braces),
        cmocka_unit_test(test_text_topics),
        cmocka_unit_test(test_text_default_breach),
        cmocka_unit_test(test_body_webhook),
        cmocka_unit_test(test_body_wecom),
        cmocka_unit_test(test_body_dingtalk),
        cmocka_unit_test(test_body_feishu),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_email_headers),
        cmocka_unit_test(test_email_subject_words),
        cmocka_unit_test(test_email_body_lines),
        cmocka_unit_test(test_email_message_id),
        cmocka_unit_test(test_email_date),
        cmocka_unit_test(test_email_recipients),
        cmocka_unit_test(test_email_no_address),
        cmocka_unit_test(test_email_injection),
        cmocka_unit_test(test_judge_why_size),
        cmocka_unit_test(test_backoff_doubling),
        cmocka_unit_test(test_backoff_jitter),
        cmocka_unit_test(test_backoff_floor),
    };
    size_t fixed_count = sizeof fixed / sizeof fixed[0];
    size_t judge_count = sizeof s_judge_cases / sizeof s_judge_cases[0];
    size_t total = fixed_count + judge_count;
    struct CMUnitTest *tests = calloc(total, sizeof *tests);
    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < judge_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + i];
        t->name = s_judge_cases[i].name;
        t->test_func = s_test_judge_case;
        t->initial_state = (void *)&s_judge_cases[i];
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("notify_render", tests, total, s_setup, s_teardown);
    free(tests);
    return failed == 0 ? 0 : 1;
}
