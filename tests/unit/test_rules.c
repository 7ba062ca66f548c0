/*
 * Unit tests of config/rules: every condition operator (a table), the
 * classification order, tags and severity, kind rules, routing, pools,
 * explanations, every semantic error with its line:column (a table), the
 * hostile-input caps, the JSON forms, reference counting and concurrent use
 * of one snapshot. Run with a test name or pattern ("cond_*") to run only
 * those. The .test files of tests/rules hold the data-driven cases; this
 * file holds what needs code.
 */
#include "config/config.h"
#include "config/event.h"
#include "config/rules.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S_NOW (INT64_C(1795867200) * 1000000) /* 2026-11-28T12:00:00Z */

/* ---- helpers ------------------------------------------------------------------------------ */

static void s_print_errors(const pl_errlist_t *errs)
{
    char buf[1024];
    for (size_t i = 0; i < errs->count; i++) {
        print_error("  %s\n", pl_err_format(&errs->items[i], buf, sizeof buf));
    }
}

static pl_config_t *s_load(const char *yaml)
{
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(yaml, strlen(yaml), "rules.yaml", &errs);
    if (!cfg) {
        print_error("unexpected errors:\n");
        s_print_errors(&errs);
        pl_errlist_free(&errs);
        fail();
    }
    assert_int_equal(errs.count, 0);
    pl_errlist_free(&errs);
    return cfg;
}

static pl_event_t *s_event(const pl_config_t *cfg, const char *text)
{
    json_error_t jerr;
    json_t *obj = json_loads(text, 0, &jerr);
    if (!obj) {
        fail_msg("bad JSON in test: %s: %s", jerr.text, text);
    }
    pl_event_opts_t opts = {.kinds = (const char *const *)cfg->kinds};
    pl_err_t err;
    pl_err_clear(&err);
    pl_event_t *ev = pl_event_from_json(obj, S_NOW, &opts, &err);
    json_decref(obj);
    if (!ev) {
        fail_msg("invalid test event: %s", err.message);
    }
    return ev;
}

static bool s_has_tag(const pl_classification_t *cls, const char *tag)
{
    for (size_t i = 0; i < cls->tags_count; i++) {
        if (strcmp(cls->tags[i], tag) == 0) {
            return true;
        }
    }
    return false;
}

/* The why of matched[index] (borrowed). */
static const char *s_why(const json_t *matched, size_t index)
{
    return json_string_value(json_object_get(json_array_get(matched, index), "why"));
}

static const char *s_rule(const json_t *matched, size_t index)
{
    return json_string_value(json_object_get(json_array_get(matched, index), "rule"));
}

/* ---- conditions: one table row per operator and form -------------------------------------- */

/* Each condition is the match of tag "t", which sees everything: the
 * category (product_quality when the content says 漏水, severity high),
 * the kind, and tag "vip" (attributes.vip: true) decided before it; tag
 * "misuse_x" is never set. */
static const char s_cond_rules[] =
    "intake: {kinds: [complaint, repair, feedback]}\n"
    "directory: {departments: [{id: d}]}\n"
    "categories:\n"
    "  - {id: product_quality, severity: high, match: {keywords: [漏水]}}\n"
    "  - {id: other}\n"
    "classify: {default_category: other}\n"
    "tags:\n"
    "  - {id: vip, match: {equals: {attributes.vip: true}}}\n"
    "  - {id: misuse_x}\n"
    "  - id: t\n"
    "    match: %s\n"
    "routing:\n"
    "  - department: d\n";

typedef struct {
    const char *name;
    const char *cond;  /* flow YAML */
    const char *event; /* JSON */
    bool holds;
} s_cond_case_t;

static const s_cond_case_t s_cond_cases[] = {
    /* keywords */
    {"cond_kw_chinese_inside_text", "{keywords: [渗水, 漏水]}",
     "{\"event_id\":\"e\",\"content\":\"第一次使用就从底部漏水了，很失望\"}", true},
    {"cond_kw_chinese_absent", "{keywords: [渗水, 漏水]}",
     "{\"event_id\":\"e\",\"content\":\"洗衣机很好用\"}", false},
    {"cond_kw_english_case_insensitive", "{keywords: [Defect]}",
     "{\"event_id\":\"e\",\"content\":\"a DEFECTIVE unit\"}", true},
    {"cond_kw_english_lower_keyword", "{keywords: [defect]}",
     "{\"event_id\":\"e\",\"content\":\"Defect!\"}", true},
    {"cond_kw_non_ascii_exact", "{keywords: [Äpfel]}", "{\"event_id\":\"e\",\"content\":\"äpfel\"}",
     false},
    {"cond_kw_scalar_form", "{keywords: 漏水}", "{\"event_id\":\"e\",\"content\":\"漏水\"}", true},
    {"cond_kw_default_field_is_content", "{keywords: [浦东]}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"customer\":{\"address\":\"上海浦东\"}}", false},
    {"cond_kw_fields_address", "{keywords: [浦东], fields: [customer.address]}",
     "{\"event_id\":\"e\",\"content\":\"浦东\",\"customer\":{\"address\":\"上海浦东\"}}", true},
    {"cond_kw_fields_not_content", "{keywords: [浦东], fields: [customer.address]}",
     "{\"event_id\":\"e\",\"content\":\"浦东\"}", false},
    {"cond_kw_fields_attribute", "{keywords: [gold], fields: [attributes.level, content]}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"level\":\"VIP GOLD\"}}", true},
    {"cond_kw_fields_spec", "{keywords: [xqg], fields: product.spec}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"spec\":\"XQG100-B1\"}}", true},
    /* regex */
    {"cond_regex_match", "{regex: \"^SO-[0-9]+$\", field: product.order_no}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"order_no\":\"SO-4417\"}}", true},
    {"cond_regex_no_match", "{regex: \"^SO-[0-9]+$\", field: product.order_no}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"order_no\":\"SO-44a\"}}", false},
    {"cond_regex_missing_field", "{regex: \".*\", field: product.order_no}",
     "{\"event_id\":\"e\",\"content\":\"x\"}", false},
    {"cond_regex_case_sensitive", "{regex: \"error e[0-9]\"}",
     "{\"event_id\":\"e\",\"content\":\"ERROR E4\"}", false},
    {"cond_regex_icase", "{regex: \"error e[0-9]\", icase: true}",
     "{\"event_id\":\"e\",\"content\":\"ERROR E4\"}", true},
    {"cond_regex_chinese", "{regex: \"(漏|渗)水\"}",
     "{\"event_id\":\"e\",\"content\":\"底部渗水\"}", true},
    /* equals */
    {"cond_equals_string", "{equals: {region: 上海}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"region\":\"上海\"}", true},
    {"cond_equals_string_differs", "{equals: {region: 上海}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"region\":\"上海市\"}", false},
    {"cond_equals_list", "{equals: {channel: [phone, email]}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"channel\":\"email\"}", true},
    {"cond_equals_integer", "{equals: {product.quantity: 3}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":3}}", true},
    {"cond_equals_boolean", "{equals: {attributes.urgent: false}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"urgent\":false}}", true},
    {"cond_equals_missing", "{equals: {region: 上海}}", "{\"event_id\":\"e\",\"content\":\"x\"}",
     false},
    {"cond_equals_all_fields", "{equals: {region: 上海, channel: phone}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"region\":\"上海\",\"channel\":\"web\"}", false},
    {"cond_equals_category", "{equals: {category: product_quality}}",
     "{\"event_id\":\"e\",\"content\":\"漏水\"}", true},
    {"cond_equals_kind_effective", "{equals: {kind: repair}}",
     "{\"event_id\":\"e\",\"kind\":\"repair\",\"content\":\"x\"}", true},
    /* present / absent */
    {"cond_present", "{present: customer.phone}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"customer\":{\"phone\":\"138\"}}", true},
    {"cond_present_empty_string", "{present: customer.name}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"customer\":{\"name\":\"\"}}", false},
    {"cond_present_all_of_list", "{present: [customer.name, customer.phone]}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"customer\":{\"name\":\"张\"}}", false},
    {"cond_present_empty_object", "{present: attributes.extra}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"extra\":{}}}", false},
    {"cond_absent_missing", "{absent: product.order_no}", "{\"event_id\":\"e\",\"content\":\"x\"}",
     true},
    {"cond_absent_none_of_list", "{absent: [customer.name, customer.phone]}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"customer\":{\"phone\":\"138\"}}", false},
    {"cond_present_tags", "{present: tags}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"vip\":true}}", true},
    {"cond_absent_tags", "{absent: tags}", "{\"event_id\":\"e\",\"content\":\"x\"}", true},
    /* numeric */
    {"cond_numeric_gt_boundary", "{numeric: {field: product.quantity, gt: 10}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":10}}", false},
    {"cond_numeric_gte_boundary", "{numeric: {field: product.quantity, gte: 10}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":10}}", true},
    {"cond_numeric_lt", "{numeric: {field: product.quantity, lt: 10}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":9}}", true},
    {"cond_numeric_lte_boundary", "{numeric: {field: product.quantity, lte: 9}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":10}}", false},
    {"cond_numeric_eq", "{numeric: {field: product.quantity, eq: 0}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":0}}", true},
    {"cond_numeric_range", "{numeric: {field: product.quantity, gte: 1, lte: 5}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"product\":{\"quantity\":6}}", false},
    {"cond_numeric_string", "{numeric: {field: attributes.amount, gt: 99.5}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"amount\":\"100\"}}", true},
    {"cond_numeric_real", "{numeric: {field: attributes.amount, lt: -1.5}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"amount\":-2.25}}", true},
    {"cond_numeric_not_a_number", "{numeric: {field: attributes.amount, gt: 0}}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"amount\":\"100元\"}}", false},
    {"cond_numeric_missing", "{numeric: {field: product.quantity, gte: 0}}",
     "{\"event_id\":\"e\",\"content\":\"x\"}", false},
    /* all / any / not, nested */
    {"cond_all", "{all: [{keywords: [漏水]}, {region: 上海}]}",
     "{\"event_id\":\"e\",\"content\":\"漏水\",\"region\":\"北京\"}", false},
    {"cond_any", "{any: [{keywords: [破损]}, {region: 上海}]}",
     "{\"event_id\":\"e\",\"content\":\"漏水\",\"region\":\"上海\"}", true},
    {"cond_not", "{not: {keywords: [装错]}}", "{\"event_id\":\"e\",\"content\":\"装错了\"}", false},
    {"cond_nested",
     "{any: [{all: [{keywords: [不制冷]}, {not: {keywords: [装反]}}]}, "
     "{keywords: [漏水]}]}",
     "{\"event_id\":\"e\",\"content\":\"不制冷\"}", true},
    {"cond_nested_not_holds",
     "{any: [{all: [{keywords: [不制冷]}, {not: {keywords: [装反]}}]}, "
     "{keywords: [漏水]}]}",
     "{\"event_id\":\"e\",\"content\":\"不制冷，装反了\"}", false},
    {"cond_several_keys_all_hold", "{keywords: [漏水], channel: phone}",
     "{\"event_id\":\"e\",\"content\":\"漏水\",\"channel\":\"web\"}", false},
    /* shorthands */
    {"cond_kind", "{kind: [repair, feedback]}",
     "{\"event_id\":\"e\",\"kind\":\"feedback\",\"content\":\"x\"}", true},
    {"cond_kind_other", "{kind: repair}", "{\"event_id\":\"e\",\"content\":\"x\"}", false},
    {"cond_category", "{category: product_quality}", "{\"event_id\":\"e\",\"content\":\"漏水\"}",
     true},
    {"cond_category_default", "{category: other}", "{\"event_id\":\"e\",\"content\":\"x\"}", true},
    {"cond_severity", "{severity: [high, critical]}", "{\"event_id\":\"e\",\"content\":\"漏水\"}",
     true},
    {"cond_severity_default", "{severity: high}", "{\"event_id\":\"e\",\"content\":\"x\"}", false},
    {"cond_min_severity_below", "{min_severity: normal}",
     "{\"event_id\":\"e\",\"content\":\"漏水\"}", true},
    {"cond_min_severity_equal", "{min_severity: high}", "{\"event_id\":\"e\",\"content\":\"漏水\"}",
     true},
    {"cond_min_severity_above", "{min_severity: critical}",
     "{\"event_id\":\"e\",\"content\":\"漏水\"}", false},
    {"cond_region", "{region: [华东, 上海]}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"region\":\"华东\"}", true},
    {"cond_source", "{source: crm.prod}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"source\":\"crm.prod\"}", true},
    {"cond_source_default", "{source: crm.prod}", "{\"event_id\":\"e\",\"content\":\"x\"}", false},
    {"cond_channel_default_system", "{channel: system}", "{\"event_id\":\"e\",\"content\":\"x\"}",
     true},
    {"cond_tags_any_of", "{tags: [misuse_x, vip]}",
     "{\"event_id\":\"e\",\"content\":\"x\",\"attributes\":{\"vip\":true}}", true},
    {"cond_tags_none", "{tags: vip}", "{\"event_id\":\"e\",\"content\":\"x\"}", false},
};

static void s_test_cond(void **state)
{
    const s_cond_case_t *c = *state;
    char yaml[4096];
    snprintf(yaml, sizeof yaml, s_cond_rules, c->cond);
    pl_config_t *cfg = s_load(yaml);
    pl_event_t *ev = s_event(cfg, c->event);
    bool kind_given = strstr(c->event, "\"kind\"") != NULL;
    pl_classification_t cls = {0};
    assert_int_equal(pl_rules_classify(cfg->rules, ev, kind_given, &cls), 0);
    if (s_has_tag(&cls, "t") != c->holds) {
        char *m = json_dumps(cls.matched, 0);
        print_error("%s: expected the condition to %s; matched %s\n", c->name,
                    c->holds ? "hold" : "fail", m);
        free(m);
        fail();
    }
    if (c->holds) {
        /* Every held condition explains itself. */
        size_t n = json_array_size(cls.matched);
        assert_true(n >= 1);
        assert_string_equal(s_rule(cls.matched, n - 1), "t");
        assert_true(strlen(s_why(cls.matched, n - 1)) > 0);
    }
    pl_classification_clear(&cls);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
}

/* ---- classification --------------------------------------------------------------------- */

static const char s_rules[] =
    "intake: {kinds: [complaint, repair, feedback]}\n"
    "directory:\n"
    "  departments: [{id: quality}, {id: sales}, {id: desk}, {id: rnd}]\n"
    "  roles: [{id: regional_head}, {id: management_rep}, {id: general_manager}, {id: qc}]\n"
    "  people:\n"
    "    - {id: li_na, roles: [regional_head], region: east}\n"
    "    - {id: zhou_jie, roles: [regional_head], region: east}\n"
    "    - {id: zhang_wei, roles: [regional_head], region: north}\n"
    "    - {id: wu_qiang, roles: [management_rep]}\n"
    "    - {id: zheng, roles: [general_manager]}\n"
    "    - {id: luo_min, roles: [qc]}\n"
    "    - {id: xie_lei, roles: [qc]}\n"
    "kind_rules:\n"
    "  - {id: repair_request, kind: repair, match: {keywords: [报修]}}\n"
    "  - {id: suggestion, kind: feedback, match: {keywords: [建议]}}\n"
    "categories:\n"
    "  - {id: shipping, match: {keywords: [快递]}}\n"
    "  - {id: product_quality, severity: high, match: {keywords: [漏水, 破损, leaking]}}\n"
    "  - {id: service_behavior, match: {keywords: [态度差]}}\n"
    "  - {id: other}\n"
    "classify: {default_category: other, default_severity: normal}\n"
    "tags:\n"
    "  - {id: safety, severity: critical, match: {keywords: [冒烟]}}\n"
    "  - {id: escalation, severity: high, match: {keywords: [\"12315\"]}}\n"
    "  - {id: misuse, match: {category: product_quality, keywords: [摔]}}\n"
    "  - {id: quality_abnormal, match: {category: product_quality, not: {tags: misuse}}}\n"
    "routing:\n"
    "  - id: misuse\n"
    "    when: {tags: misuse}\n"
    "    department: quality\n"
    "    pool: {role: qc, strategy: least_loaded}\n"
    "    inform: [management_rep]\n"
    "  - id: quality\n"
    "    when: {category: product_quality}\n"
    "    department: quality\n"
    "    pool: {role: qc}\n"
    "    inform: [rnd, management_rep, general_manager]\n"
    "  - id: service\n"
    "    when: {category: service_behavior}\n"
    "    department: sales\n"
    "    pool: {role: regional_head, region: event}\n"
    "  - id: repairs\n"
    "    when: {kind: repair}\n"
    "    department: desk\n"
    "    assignee: zheng\n"
    "  - id: rest\n"
    "    department: desk\n";

typedef struct {
    pl_config_t *cfg;
    pl_event_t *ev;
    pl_classification_t cls;
    pl_route_t route;
} s_run_t;

static void s_run(s_run_t *run, const char *event, bool kind_given, uint64_t rr)
{
    memset(run, 0, sizeof *run);
    run->cfg = s_load(s_rules);
    run->ev = s_event(run->cfg, event);
    assert_int_equal(pl_rules_classify(run->cfg->rules, run->ev, kind_given, &run->cls), 0);
    assert_int_equal(pl_rules_route(run->cfg->rules, run->ev, &run->cls, rr, &run->route), 0);
}

static void s_run_free(s_run_t *run)
{
    pl_classification_clear(&run->cls);
    pl_route_clear(&run->route);
    pl_event_destroy(&run->ev);
    pl_config_destroy(&run->cfg);
}

static void test_classify_first_match_wins(void **state)
{
    (void)state;
    s_run_t run;
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"快递来的时候就破损漏水\"}", true, 0);
    assert_string_equal(run.cls.category, "shipping");
    assert_string_equal(run.cls.severity, "normal");
    assert_int_equal(json_array_size(run.cls.matched), 1);
    assert_string_equal(s_rule(run.cls.matched, 0), "shipping");
    assert_string_equal(s_why(run.cls.matched, 0), "keyword \"快递\" in content");
    s_run_free(&run);

    s_run(&run, "{\"event_id\":\"e\",\"content\":\"The washer is LEAKING\"}", true, 0);
    assert_string_equal(run.cls.category, "product_quality");
    assert_string_equal(run.cls.severity, "high");
    assert_string_equal(s_why(run.cls.matched, 0), "keyword \"leaking\" in content");
    s_run_free(&run);

    s_run(&run, "{\"event_id\":\"e\",\"content\":\"发票开错了\"}", true, 0);
    assert_string_equal(run.cls.category, "other");
    assert_string_equal(s_why(run.cls.matched, 0), "catch-all category (no match)");
    s_run_free(&run);
}

static void test_tags_all_match_and_severity(void **state)
{
    (void)state;
    s_run_t run;
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"漏水以后插座冒烟，我要打12315\"}", true, 0);
    assert_string_equal(run.cls.category, "product_quality");
    assert_string_equal(run.cls.severity, "critical");
    assert_int_equal(run.cls.tags_count, 3);
    assert_string_equal(run.cls.tags[0], "escalation");
    assert_string_equal(run.cls.tags[1], "quality_abnormal");
    assert_string_equal(run.cls.tags[2], "safety");
    /* category, then each tag in file order */
    assert_int_equal(json_array_size(run.cls.matched), 4);
    assert_string_equal(s_rule(run.cls.matched, 1), "safety");
    assert_string_equal(s_rule(run.cls.matched, 2), "escalation");
    assert_string_equal(s_rule(run.cls.matched, 3), "quality_abnormal");
    assert_string_equal(s_why(run.cls.matched, 3),
                        "category is \"product_quality\" and not (tag \"misuse\")");
    s_run_free(&run);

    /* A tag sees the ones before it: misuse excludes quality_abnormal. */
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"摔了一下就漏水\"}", true, 0);
    assert_int_equal(run.cls.tags_count, 1);
    assert_string_equal(run.cls.tags[0], "misuse");
    assert_string_equal(run.cls.severity, "high");
    s_run_free(&run);

    /* Severity is only ever raised: escalation (high) on a normal case. */
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"态度差，我要打12315\"}", true, 0);
    assert_string_equal(run.cls.severity, "high");
    s_run_free(&run);
}

static void test_kind_rules_only_when_kind_not_given(void **state)
{
    (void)state;
    s_run_t run;
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"我要报修，也提个建议\"}", false, 0);
    assert_string_equal(run.cls.kind, "repair");
    assert_string_equal(s_rule(run.cls.matched, 0), "repair_request");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(run.cls.matched, 0), "section")),
        "kind_rules");
    /* routing sees the decided kind */
    assert_string_equal(run.route.rule, "repairs");
    assert_string_equal(run.route.assignee, "zheng");
    s_run_free(&run);

    s_run(&run, "{\"event_id\":\"e\",\"kind\":\"complaint\",\"content\":\"我要报修\"}", true, 0);
    assert_string_equal(run.cls.kind, "complaint");
    assert_string_equal(run.route.rule, "rest");
    s_run_free(&run);

    s_run(&run, "{\"event_id\":\"e\",\"content\":\"普通的话\"}", false, 0);
    assert_string_equal(run.cls.kind, "complaint"); /* the event's default */
    assert_int_equal(json_array_size(run.cls.matched), 1);
    s_run_free(&run);
}

static void test_route_first_match_and_inform(void **state)
{
    (void)state;
    s_run_t run;
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"漏水\"}", true, 1);
    assert_string_equal(run.route.rule, "quality");
    assert_string_equal(run.route.department, "quality");
    assert_int_equal(run.route.inform_count, 3);
    assert_string_equal(run.route.inform[0], "rnd");
    assert_string_equal(run.route.inform[1], "management_rep");
    assert_string_equal(run.route.inform[2], "general_manager");
    assert_string_equal(s_why(run.route.matched, 0), "category is \"product_quality\"");
    /* round robin over the qc pool in directory order */
    assert_int_equal(run.route.candidates_count, 2);
    assert_string_equal(run.route.assignee, "xie_lei");
    s_run_free(&run);

    /* misuse comes first in routing */
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"摔了一下就漏水\"}", true, 0);
    assert_string_equal(run.route.rule, "misuse");
    assert_string_equal(s_why(run.route.matched, 0), "tag \"misuse\"");
    s_run_free(&run);

    s_run(&run, "{\"event_id\":\"e\",\"content\":\"别的\"}", true, 0);
    assert_string_equal(run.route.rule, "rest");
    assert_string_equal(s_why(run.route.matched, 0), "catch-all rule (no when)");
    assert_null(run.route.assignee);
    assert_null(run.route.pool_role);
    assert_int_equal(run.route.inform_count, 0);
    s_run_free(&run);
}

static void test_pool_region_and_round_robin(void **state)
{
    (void)state;
    static const char *const east[] = {"li_na", "zhou_jie"};
    for (uint64_t rr = 0; rr < 6; rr++) {
        s_run_t run;
        s_run(&run, "{\"event_id\":\"e\",\"content\":\"态度差\",\"region\":\"east\"}", true, rr);
        assert_string_equal(run.route.pool_role, "regional_head");
        assert_string_equal(run.route.pool_region, "east");
        assert_string_equal(run.route.pool_strategy, "round_robin");
        assert_int_equal(run.route.candidates_count, 2);
        assert_string_equal(run.route.assignee, east[rr % 2]);
        s_run_free(&run);
    }
    static const char *const all[] = {"li_na", "zhou_jie", "zhang_wei"};
    for (uint64_t rr = 0; rr < 6; rr++) {
        s_run_t run;
        s_run(&run, "{\"event_id\":\"e\",\"content\":\"态度差\",\"region\":\"west\"}", true, rr);
        assert_null(run.route.pool_region); /* fell back to every region */
        assert_int_equal(run.route.candidates_count, 3);
        assert_string_equal(run.route.assignee, all[rr % 3]);
        assert_non_null(strstr(run.route.pool_why, "nobody in the event's region \"west\""));
        s_run_free(&run);
    }
}

static void test_pool_least_loaded(void **state)
{
    (void)state;
    s_run_t run;
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"摔了一下就漏水\"}", true, 7);
    assert_string_equal(run.route.pool_strategy, "least_loaded");
    assert_null(run.route.assignee);
    assert_int_equal(run.route.candidates_count, 2);
    assert_string_equal(run.route.candidates[0], "luo_min");
    assert_string_equal(run.route.candidates[1], "xie_lei");
    s_run_free(&run);
}

static void test_explain_json(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load(s_rules);
    pl_event_t *ev = s_event(cfg, "{\"event_id\":\"e\",\"content\":\"洗衣机漏水了\"}");
    json_t *r = pl_rules_explain(cfg->rules, ev, true, 0);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "rules_version")), cfg->version);
    assert_string_equal(json_string_value(json_object_get(r, "category")), "product_quality");
    assert_string_equal(json_string_value(json_object_get(r, "department")), "quality");
    json_t *matched = json_object_get(r, "matched_rules");
    assert_int_equal(json_array_size(matched), 3);
    assert_string_equal(s_why(matched, 0), "keyword \"漏水\" in content");
    assert_string_equal(json_string_value(json_object_get(json_array_get(matched, 0), "section")),
                        "categories");
    assert_string_equal(json_string_value(json_object_get(json_array_get(matched, 1), "section")),
                        "tags");
    assert_string_equal(json_string_value(json_object_get(json_array_get(matched, 2), "section")),
                        "routing");
    json_t *pool = json_object_get(r, "pool");
    assert_string_equal(json_string_value(json_object_get(pool, "role")), "qc");
    assert_int_equal(json_array_size(json_object_get(pool, "candidates")), 2);
    json_decref(r);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
}

static void test_classification_json_roundtrip(void **state)
{
    (void)state;
    s_run_t run;
    s_run(&run, "{\"event_id\":\"e\",\"content\":\"漏水冒烟\"}", true, 0);
    json_t *j = pl_classification_to_json(&run.cls);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_t *back = json_loads(text, 0, NULL);
    free(text);
    pl_classification_t cls = {0};
    assert_int_equal(pl_classification_from_json(back, &cls), 0);
    json_decref(back);
    assert_string_equal(cls.kind, run.cls.kind);
    assert_string_equal(cls.category, run.cls.category);
    assert_string_equal(cls.severity, run.cls.severity);
    assert_int_equal(cls.tags_count, run.cls.tags_count);
    assert_true(json_equal(cls.matched, run.cls.matched));
    /* routing from the copy gives the same route */
    pl_route_t route = {0};
    assert_int_equal(pl_rules_route(run.cfg->rules, run.ev, &cls, 0, &route), 0);
    json_t *a = pl_route_to_json(&route);
    json_t *b = pl_route_to_json(&run.route);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    pl_route_clear(&route);
    pl_classification_clear(&cls);

    json_t *bad = json_pack("{s:i, s:s}", "kind", 1, "severity", "high");
    assert_int_equal(pl_classification_from_json(bad, &cls), PL_EINVAL);
    assert_null(cls.kind);
    json_decref(bad);
    s_run_free(&run);
}

static void test_empty_rules(void **state)
{
    (void)state;
    pl_config_t *cfg = pl_config_new_default();
    assert_non_null(cfg);
    assert_non_null(cfg->rules);
    assert_true(pl_rules_is_empty(cfg->rules));
    assert_string_equal(pl_rules_version(cfg->rules), cfg->version);
    pl_event_t *ev = s_event(cfg, "{\"event_id\":\"e\",\"kind\":\"repair\",\"content\":\"漏水\"}");
    pl_classification_t cls = {0};
    pl_route_t route = {0};
    assert_int_equal(pl_rules_classify(cfg->rules, ev, true, &cls), 0);
    assert_string_equal(cls.kind, "repair");
    assert_null(cls.category);
    assert_string_equal(cls.severity, "normal");
    assert_int_equal(cls.tags_count, 0);
    assert_int_equal(pl_rules_route(cfg->rules, ev, &cls, 0, &route), 0);
    assert_null(route.department);
    assert_null(route.rule);
    pl_route_clear(&route);
    pl_classification_clear(&cls);
    pl_classification_clear(&cls);
    pl_classification_clear(NULL);
    pl_route_clear(NULL);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);

    /* settings only: still the empty rule set */
    cfg = s_load("log: {level: debug}\nintake: {kinds: [repair]}\n");
    assert_true(pl_rules_is_empty(cfg->rules));
    pl_rules_stats_t st;
    pl_rules_get_stats(cfg->rules, &st);
    assert_int_equal(st.categories + st.routing + st.keywords, 0);
    pl_config_destroy(&cfg);
}

static void test_refcount_outlives_config(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load(s_rules);
    const pl_rules_t *rules = pl_rules_ref(cfg->rules);
    assert_ptr_equal(rules, cfg->rules);
    assert_false(pl_rules_is_empty(rules));
    pl_event_t *ev = s_event(cfg, "{\"event_id\":\"e\",\"content\":\"漏水\"}");
    pl_config_destroy(&cfg);
    pl_classification_t cls = {0};
    assert_int_equal(pl_rules_classify(rules, ev, true, &cls), 0);
    assert_string_equal(cls.category, "product_quality");
    pl_classification_clear(&cls);
    pl_rules_stats_t st;
    pl_rules_get_stats(rules, &st);
    assert_int_equal(st.categories, 4);
    assert_int_equal(st.tags, 4);
    assert_int_equal(st.kind_rules, 2);
    assert_int_equal(st.routing, 5);
    assert_int_equal(st.people, 7);
    assert_int_equal(st.keywords, 10);
    assert_true(st.automaton_bytes > 0);
    pl_rules_unref(&rules);
    assert_null(rules);
    pl_rules_unref(&rules);
    pl_rules_unref(NULL);
    assert_null(pl_rules_ref(NULL));
    pl_event_destroy(&ev);
}

/* ---- one snapshot, many threads --------------------------------------------------------- */

typedef struct {
    const pl_rules_t *rules;
    pl_event_t *const *events;
    size_t events_count;
    char *const *expected; /* result JSON per event */
    int failures;
} s_thread_arg_t;

static char *s_result_text(const pl_rules_t *rules, const pl_event_t *ev, uint64_t rr)
{
    json_t *r = pl_rules_explain(rules, ev, false, rr);
    char *text = r ? json_dumps(r, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(r);
    return text;
}

static void *s_thread(void *p)
{
    s_thread_arg_t *arg = p;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < arg->events_count; i++) {
            char *text = s_result_text(arg->rules, arg->events[i], i);
            if (!text || strcmp(text, arg->expected[i]) != 0) {
                arg->failures++;
            }
            free(text);
        }
    }
    return NULL;
}

static void test_threads_share_snapshot(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load(s_rules);
    static const char *const texts[] = {
        "{\"event_id\":\"1\",\"content\":\"漏水冒烟\"}",
        "{\"event_id\":\"2\",\"content\":\"态度差\",\"region\":\"east\"}",
        "{\"event_id\":\"3\",\"content\":\"我要报修\"}",
        "{\"event_id\":\"4\",\"content\":\"摔了以后漏水 12315\"}",
        "{\"event_id\":\"5\",\"content\":\"nothing here\"}",
    };
    enum { N = sizeof texts / sizeof texts[0], T = 4 };
    pl_event_t *events[N];
    char *expected[N];
    for (size_t i = 0; i < N; i++) {
        events[i] = s_event(cfg, texts[i]);
        expected[i] = s_result_text(cfg->rules, events[i], i);
        assert_non_null(expected[i]);
    }
    pthread_t threads[T];
    s_thread_arg_t args[T];
    for (int t = 0; t < T; t++) {
        args[t] = (s_thread_arg_t){cfg->rules, events, N, expected, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, s_thread, &args[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(args[t].failures, 0);
    }
    for (size_t i = 0; i < N; i++) {
        free(expected[i]);
        pl_event_destroy(&events[i]);
    }
    pl_config_destroy(&cfg);
}

/* ---- semantic errors: every kind, with its line:column ---------------------------------- */

typedef struct {
    int line;
    int column;
    const char *fragment;
} s_want_t;

typedef struct {
    const char *name;
    const char *yaml;
    s_want_t want[4]; /* ends with fragment NULL */
} s_error_case_t;

#define S_HEAD                                                                                     \
    "directory: {departments: [{id: d}], roles: [{id: r}], people: [{id: p, roles: [r]}]}\n"

static const s_error_case_t s_error_cases[] = {
    {"err_unknown_department",
     S_HEAD "routing:\n  - department: billing\n",
     {{3, 17, "routing.department: unknown department \"billing\""}}},
    {"err_unknown_role",
     S_HEAD "routing:\n  - {department: d, pool: {role: boss}}\n",
     {{3, 34, "routing.pool.role: unknown role \"boss\""}}},
    {"err_unknown_person",
     S_HEAD "routing:\n  - {department: d, assignee: q}\n",
     {{3, 31, "routing.assignee: unknown person \"q\""}}},
    {"err_person_is_not_department",
     S_HEAD "routing:\n  - {department: p}\n",
     {{3, 18, "unknown department \"p\" (\"p\" is a person)"}}},
    {"err_unknown_inform",
     S_HEAD "routing:\n  - {department: d, inform: [r, x]}\n",
     {{3, 33, "routing.inform: unknown role, person or department \"x\""}}},
    {"err_unknown_category",
     S_HEAD "routing:\n  - {when: {category: c}, department: d}\n  - department: d\n",
     {{3, 23, "category: unknown category \"c\""}}},
    {"err_unknown_tag",
     S_HEAD "routing:\n  - {when: {tags: [t]}, department: d}\n  - department: d\n",
     {{3, 20, "tags: unknown tag \"t\""}}},
    {"err_unknown_kind",
     S_HEAD "routing:\n  - {when: {kind: complain}, department: d}\n"
            "  - department: d\n",
     {{3, 19, "kind: unknown kind \"complain\"; intake.kinds does not list it"}}},
    {"err_unknown_default_severity",
     S_HEAD "classify: {default_severity: urgent}\nrouting: [{department: d}]\n",
     {{2, 30, "classify.default_severity: unknown severity \"urgent\""}}},
    {"err_duplicate_rule_id",
     S_HEAD "routing:\n  - {id: a, when: {region: x}, department: d}\n"
            "  - {id: a, department: d}\n",
     {{4, 10, "routing: duplicate id \"a\" (first defined at line 3, column 10)"}}},
    {"err_duplicate_directory_id",
     "directory: {departments: [{id: x}], people: [{id: x}]}\nrouting: [{department: x}]\n",
     {{1, 51, "directory.people: duplicate id \"x\" (first defined at line 1, column 32)"}}},
    {"err_regex",
     S_HEAD "routing:\n  - {when: {regex: \"a[\"}, department: d}\n"
            "  - department: d\n",
     {{3, 20, "regex: cannot compile \"a[\": "}}},
    {"err_after_catch_all",
     S_HEAD "routing:\n  - department: d\n  - {when: {region: x}, department: d}\n",
     {{4, 5,
       "routing: rule \"routing#2\" can never match: the catch-all rule \"routing#1\" at line 3"}}},
    {"err_identical_condition",
     S_HEAD "kind_rules:\n  - {id: a, kind: repair, match: {keywords: [X, y]}}\n"
            "  - {id: b, kind: feedback, match: {keywords: [Y, x, x]}}\n"
            "routing: [{department: d}]\n",
     {{4, 5,
       "kind_rules: rule \"b\" can never match: rule \"a\" at line 3 has the same condition"}}},
    {"err_unrouted_kind",
     S_HEAD "intake: {kinds: [complaint, repair]}\n"
            "routing:\n  - {when: {kind: complaint}, department: d}\n",
     {{2, 29, "intake.kinds: kind \"repair\" cannot be routed"}}},
    {"err_unrouted_category_and_default_kinds",
     S_HEAD "categories: [{id: a, match: {region: x}}, {id: o}]\nclassify: {default_category: o}\n"
            "routing:\n  - {when: {category: a, kind: [complaint, feedback, repair, incident, "
            "patrol, comment]}, department: d}\n",
     {{2, 48, "categories: category \"o\" cannot be routed"}}},
    {"err_pool_nobody_in_region",
     S_HEAD "routing:\n  - {department: d, pool: {role: r, region: east}}\n",
     {{3, 45, "routing.pool.region: nobody with role \"r\" is in region \"east\""}}},
    {"err_default_category_required",
     S_HEAD "categories: [{id: a, match: {region: x}}]\n"
            "routing:\n  - department: d\n",
     {{2, 13, "categories: classify.default_category is required"}}},
    {"err_unknown_section_key",
     S_HEAD "routing:\n  - {department: d, whenn: {region: x}}\n",
     {{3, 21,
       "routing: unknown key \"whenn\"; expected id, when, department, assignee, pool, "
       "inform"}}},
    {"err_regex_repetitions",
     S_HEAD "routing:\n  - {when: {regex: \"((a{1,100}){1,100})\"}, department: d}\n"
            "  - department: d\n",
     {{3, 20, "regex: repetition counts too large"}}},
    {"err_identical_tags_condition",
     S_HEAD "tags: [{id: t1}, {id: t2}]\nrouting:\n  - {when: {tags: [t1, t2]}, department: d}\n"
            "  - {when: {tags: [t2, t1, t1]}, department: d}\n  - department: d\n",
     {{5, 5,
       "routing: rule \"routing#2\" can never match: rule \"routing#1\" at line 4 has the "
       "same condition"}}},
    {"err_nul_in_keyword",
     S_HEAD "routing:\n  - {when: {keywords: [\"a\\0b\"]}, department: d}\n"
            "  - department: d\n",
     {{3, 24, "keywords: must not contain NUL characters"}}},
};

static void s_test_error_case(void **state)
{
    const s_error_case_t *c = *state;
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(c->yaml, strlen(c->yaml), "rules.yaml", &errs);
    size_t n = 0;
    while (c->want[n].fragment) {
        n++;
    }
    bool ok = !cfg && errs.count == n;
    for (size_t i = 0; ok && i < n; i++) {
        const pl_err_t *e = &errs.items[i];
        ok = e->code == PL_ECONFIG && e->line == c->want[i].line &&
             e->column == c->want[i].column && strstr(e->message, c->want[i].fragment) &&
             strcmp(e->file, "rules.yaml") == 0;
    }
    if (!ok) {
        print_error("%s: expected %zu error(s), first %d:%d %s; got %zu:\n", c->name, n,
                    c->want[0].line, c->want[0].column, c->want[0].fragment, errs.count);
        s_print_errors(&errs);
        pl_config_destroy(&cfg);
        pl_errlist_free(&errs);
        fail();
    }
    pl_errlist_free(&errs);
}

/* ---- hostile input ---------------------------------------------------------------------- */

/* Builds "routing" with one rule of `count` keywords. */
static char *s_many_keywords(size_t count)
{
    char *yaml = malloc(128 + count * 12);
    assert_non_null(yaml);
    char *p = yaml + sprintf(yaml, S_HEAD "routing:\n  - when: {keywords: [");
    for (size_t i = 0; i < count; i++) {
        p += sprintf(p, "%sk%zu", i ? "," : "", i);
    }
    sprintf(p, "]}\n    department: d\n  - department: d\n");
    return yaml;
}

static void test_caps(void **state)
{
    (void)state;
    char *yaml = s_many_keywords(PL_RULES_MAX_RULE_KEYWORDS);
    pl_config_t *cfg = s_load(yaml);
    pl_rules_stats_t st;
    pl_rules_get_stats(cfg->rules, &st);
    assert_int_equal(st.keywords, PL_RULES_MAX_RULE_KEYWORDS);
    pl_config_destroy(&cfg);
    free(yaml);

    yaml = s_many_keywords(PL_RULES_MAX_RULE_KEYWORDS + 1);
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_buffer(yaml, strlen(yaml), "rules.yaml", &errs));
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].line, 3);
    assert_int_equal(errs.items[0].column, 22);
    assert_non_null(
        strstr(errs.items[0].message, "keywords: more than 10000 keywords in one rule"));
    pl_errlist_free(&errs);
    free(yaml);

    /* a regex longer than the cap */
    char long_regex[PL_RULES_MAX_REGEX_SIZE + 200];
    int n = snprintf(long_regex, sizeof long_regex, S_HEAD "routing:\n  - {when: {regex: \"");
    memset(long_regex + n, 'a', PL_RULES_MAX_REGEX_SIZE + 1);
    strcpy(long_regex + n + PL_RULES_MAX_REGEX_SIZE + 1,
           "\"}, department: d}\n  - department: d\n");
    assert_null(pl_config_load_buffer(long_regex, strlen(long_regex), "rules.yaml", &errs));
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(errs.items[0].message, "regex: longer than 512 bytes"));
    pl_errlist_free(&errs);

    /* more regular expressions than the cap: the one past it is refused */
    size_t count = PL_RULES_MAX_REGEXES + 1;
    char *many = malloc(256 + count * 64);
    assert_non_null(many);
    char *p = many + sprintf(many, S_HEAD "routing:\n");
    for (size_t i = 0; i < count; i++) {
        p += sprintf(p, "  - {when: {regex: \"r%zu\"}, department: d}\n", i);
    }
    sprintf(p, "  - department: d\n");
    assert_null(pl_config_load_buffer(many, strlen(many), "rules.yaml", &errs));
    assert_int_equal(errs.count, 1);
    assert_int_equal(errs.items[0].line, 3 + (int)PL_RULES_MAX_REGEXES);
    assert_non_null(strstr(errs.items[0].message, "more than 1000 regular expressions"));
    pl_errlist_free(&errs);
    free(many);
}

/* Many errors in the rules share the config's cap of 100. */
static void test_error_list_is_capped(void **state)
{
    (void)state;
    char *yaml = malloc(64 * 300);
    assert_non_null(yaml);
    char *p = yaml + sprintf(yaml, "routing:\n");
    for (int i = 0; i < 300; i++) {
        p += sprintf(p, "  - department: nowhere%d\n", i);
    }
    pl_errlist_t errs = {0};
    assert_null(pl_config_load_buffer(yaml, strlen(yaml), "rules.yaml", &errs));
    assert_int_equal(errs.count, PL_CONFIG_MAX_ERRORS + 1);
    assert_int_equal(errs.items[0].line, 2);
    assert_non_null(strstr(errs.items[PL_CONFIG_MAX_ERRORS].message, "too many errors"));
    pl_errlist_free(&errs);
    free(yaml);
}

/* ---- the shipped configuration ---------------------------------------------------------- */

static void test_shipped_rules_route_examples(void **state)
{
    (void)state;
    const char *root = getenv("PL_SOURCE_DIR");
    root = root && *root ? root : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/config/plaint.yaml", root);
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(path, &errs);
    if (!cfg) {
        s_print_errors(&errs);
        fail();
    }
    pl_errlist_free(&errs);
    assert_false(pl_rules_is_empty(cfg->rules));
    /* Every example event is classified and routed somewhere. */
    char dir_path[1100];
    snprintf(dir_path, sizeof dir_path, "%s/config/examples/events", root);
    DIR *dir = opendir(dir_path);
    size_t seen = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0) {
            continue;
        }
        char file[1400];
        snprintf(file, sizeof file, "%s/%s", dir_path, de->d_name);
        json_t *obj = json_load_file(file, 0, NULL);
        assert_non_null(obj);
        pl_event_opts_t opts = {.kinds = (const char *const *)cfg->kinds};
        pl_event_t *ev = pl_event_from_json(obj, S_NOW, &opts, NULL);
        if (ev) {
            json_t *r = pl_rules_explain(cfg->rules, ev, json_object_get(obj, "kind") != NULL, 0);
            assert_non_null(r);
            assert_true(json_is_string(json_object_get(r, "category")));
            assert_true(json_is_string(json_object_get(r, "department")));
            json_decref(r);
            pl_event_destroy(&ev);
            seen++;
        }
        json_decref(obj);
    }
    if (dir) {
        closedir(dir);
    }
    pl_config_destroy(&cfg);
}

/* ---- runner ------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_classify_first_match_wins),
        cmocka_unit_test(test_tags_all_match_and_severity),
        cmocka_unit_test(test_kind_rules_only_when_kind_not_given),
        cmocka_unit_test(test_route_first_match_and_inform),
        cmocka_unit_test(test_pool_region_and_round_robin),
        cmocka_unit_test(test_pool_least_loaded),
        cmocka_unit_test(test_explain_json),
        cmocka_unit_test(test_classification_json_roundtrip),
        cmocka_unit_test(test_empty_rules),
        cmocka_unit_test(test_refcount_outlives_config),
        cmocka_unit_test(test_threads_share_snapshot),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_error_list_is_capped),
        cmocka_unit_test(test_shipped_rules_route_examples),
    };
    size_t fixed_count = sizeof fixed / sizeof fixed[0];
    size_t cond_count = sizeof s_cond_cases / sizeof s_cond_cases[0];
    size_t error_count = sizeof s_error_cases / sizeof s_error_cases[0];
    size_t total = fixed_count + cond_count + error_count;
    struct CMUnitTest *tests = calloc(total, sizeof *tests);
    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < cond_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + i];
        t->name = s_cond_cases[i].name;
        t->test_func = s_test_cond;
        t->initial_state = (void *)&s_cond_cases[i];
    }
    for (size_t i = 0; i < error_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + cond_count + i];
        t->name = s_error_cases[i].name;
        t->test_func = s_test_error_case;
        t->initial_state = (void *)&s_error_cases[i];
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("rules", tests, total, NULL, NULL);
    free(tests);
    return failed == 0 ? 0 : 1;
}
