/*
 * Unit tests of the lifecycle configuration (config/lifecycle.h): the
 * `lifecycle` and `approvals` sections loaded against a rules snapshot of
 * the same document: the defaults, a complete valid file, every load error
 * with its line:column and key path (a table), first-match order, the forms
 * of `levels`, the approval plan and its due instant across a weekend in
 * each kind of duration, the choice of a role holder by region, the
 * reference count, and the shipped config/plaint.yaml. Run with a test name
 * or pattern ("err_*", "plan_*") to run only those.
 *
 * The config loader does not read these sections yet, so the tests parse
 * the YAML themselves and load the calendars and rules as config.c does.
 */
#include "config/calendar.h"
#include "config/categories.h"
#include "config/config.h"
#include "config/deadlines.h"
#include "config/lifecycle.h"
#include "config/rules.h"
#include "config/yaml.h"

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

/* ---- fixtures ----------------------------------------------------------------------------- */

/* A directory where sales_manager has three holders (north, east, east),
 * `vacant` and `vacant2` none; three categories; the default calendar of
 * the shipped file (two spans a day, Monday to Friday) and one round the
 * clock. 17 lines: what a test appends starts on line 18. */
#define S_HEAD                                                                                     \
    "directory:\n"                                                                                 \
    "  departments: [{id: sales}, {id: quality}]\n"                                                \
    "  roles: [{id: sales_manager}, {id: vp_marketing}, {id: management_rep},\n"                   \
    "          {id: general_manager}, {id: regional_head}, {id: vacant}, {id: vacant2}]\n"         \
    "  people:\n"                                                                                  \
    "    - {id: liu, roles: [sales_manager], department: sales, region: north}\n"                  \
    "    - {id: sun, roles: [vp_marketing], department: sales}\n"                                  \
    "    - {id: wu, roles: [management_rep], department: quality}\n"                               \
    "    - {id: zheng, roles: [general_manager]}\n"                                                \
    "    - {id: li_na, roles: [regional_head, sales_manager], department: sales, region: east}\n"  \
    "    - {id: zhou, roles: [sales_manager], department: sales, region: east}\n"                  \
    "categories:\n"                                                                                \
    "  - {id: product_quality, severity: high, match: {keywords: [漏水]}}\n"                     \
    "  - {id: service, match: {keywords: [态度]}}\n"                                             \
    "  - {id: other}\n"                                                                            \
    "classify: {default_category: other, allow_unrouted: true}\n"                                  \
    "calendar: {timezone: Asia/Shanghai, hours: [\"09:00-12:00\", \"13:00-18:00\"]}\n"             \
    "calendars: [{id: always, workweek: [mon, tue, wed, thu, fri, sat, sun], hours: "              \
    "\"00:00-24:00\"}]\n"

/* 2026-11-27 is a Friday: 15:00 in Shanghai, three working hours before the
 * weekend. */
#define S_FRIDAY "2026-11-27T15:00:00+08:00"

typedef struct {
    pl_yaml_doc_t *doc;
    const pl_rules_t *rules;
    const pl_lifecycle_t *lc;
    pl_errlist_t errs; /* the lifecycle loader's */
} s_fx_t;

static void s_collect(const pl_err_t *err, void *arg)
{
    assert_int_equal(pl_errlist_append(arg, err), 0);
}

static void s_print_errors(const pl_errlist_t *errs)
{
    char buf[1024];
    for (size_t i = 0; i < errs->count; i++) {
        print_error("  %s\n", pl_err_format(&errs->items[i], buf, sizeof buf));
    }
}

/* Parses the document and loads calendars and rules from it as config.c
 * does; the rules must load. */
static void s_fx_rules(s_fx_t *fx, pl_yaml_doc_t *doc)
{
    memset(fx, 0, sizeof *fx);
    fx->doc = doc;
    const pl_yaml_node_t *root = pl_yaml_doc_root(doc);
    pl_errlist_t errs = {0};
    pl_calendars_t *calendars = pl_calendars_load_yaml(doc, root, s_collect, &errs);
    pl_rules_opts_t opts = {.calendars = &calendars, .calendars_failed = calendars == NULL};
    fx->rules = pl_rules_load_yaml(doc, root, &opts, s_collect, &errs);
    if (!fx->rules || errs.count) {
        print_error("the rules of the test file do not load:\n");
        s_print_errors(&errs);
        fail();
    }
    pl_errlist_free(&errs);
}

static pl_yaml_doc_t *s_parse(const char *yaml)
{
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, strlen(yaml), "lc.yaml", &err);
    if (!doc) {
        fail_msg("bad YAML in test: %s:%d:%d: %s", err.file, err.line, err.column, err.message);
    }
    return doc;
}

/* Loads `yaml` (rules and lifecycle); fx->lc is NULL when the lifecycle
 * sections have errors (in fx->errs). */
static void s_fx_load(s_fx_t *fx, const char *yaml)
{
    s_fx_rules(fx, s_parse(yaml));
    fx->lc =
        pl_lifecycle_load_yaml(fx->doc, pl_yaml_doc_root(fx->doc), fx->rules, s_collect, &fx->errs);
}

/* As s_fx_load, and the lifecycle must load. */
static void s_fx_ok(s_fx_t *fx, const char *yaml)
{
    s_fx_load(fx, yaml);
    if (!fx->lc || fx->errs.count) {
        print_error("unexpected errors:\n");
        s_print_errors(&fx->errs);
        fail();
    }
}

static void s_fx_free(s_fx_t *fx)
{
    pl_lifecycle_unref(&fx->lc);
    pl_rules_unref(&fx->rules);
    pl_yaml_doc_destroy(&fx->doc);
    pl_errlist_free(&fx->errs);
}

static pl_usec_t s_time(const char *rfc3339)
{
    pl_usec_t t = 0;
    assert_int_equal(pl_time_parse_rfc3339(rfc3339, &t), 0);
    return t;
}

/* The plan for the case, checked against `want` (compact JSON, keys
 * sorted, without due_at) and `due` (RFC 3339, or NULL for null). */
static void s_expect_plan(const s_fx_t *fx, const char *kind, const char *category,
                          const char *severity, const char *responsibility, const char *now,
                          const char *want, const char *due)
{
    json_t *plan =
        pl_lifecycle_plan(fx->lc, fx->rules, kind, category, severity, responsibility, s_time(now));
    assert_non_null(plan);
    json_t *due_at = json_object_get(plan, "due_at");
    assert_non_null(due_at);
    bool due_ok = due ? json_is_integer(due_at) && json_integer_value(due_at) == s_time(due)
                      : json_is_null(due_at);
    json_t *rest = json_deep_copy(plan);
    assert_non_null(rest);
    json_object_del(rest, "due_at");
    char *text = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(text);
    if (!due_ok || strcmp(text, want) != 0) {
        char *all = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
        print_error("plan for kind=%s category=%s severity=%s responsibility=%s:\n  got  %s\n"
                    "  want %s, due_at %s (%lld)\n",
                    kind ? kind : "NULL", category ? category : "NULL",
                    severity ? severity : "NULL", responsibility ? responsibility : "NULL", all,
                    want, due ? due : "null", due ? (long long)s_time(due) : 0LL);
        free(all);
    }
    bool same = due_ok && strcmp(text, want) == 0;
    free(text);
    json_decref(rest);
    json_decref(plan);
    assert_true(same);
}

/* The rule name the plan picks, or "-" for none. */
static const char *s_pick(const s_fx_t *fx, const char *kind, const char *category,
                          const char *severity, const char *responsibility)
{
    static char name[128];
    json_t *plan = pl_lifecycle_plan(fx->lc, fx->rules, kind, category, severity, responsibility,
                                     s_time(S_FRIDAY));
    assert_non_null(plan);
    const char *rule = json_string_value(json_object_get(plan, "rule"));
    snprintf(name, sizeof name, "%s", rule ? rule : "-");
    json_decref(plan);
    return name;
}

/* ---- load errors: each with its line:column ------------------------------------------------ */

typedef struct {
    int line;
    int column;
    const char *message; /* the whole message */
} s_want_err_t;

typedef struct {
    const char *name;
    const char *yaml;     /* appended to S_HEAD */
    s_want_err_t want[8]; /* ends with message NULL */
} s_error_case_t;

static const s_error_case_t s_error_cases[] = {
    /* -- the sections -- */
    {"err_approvals_not_a_list",
     "approvals: {name: a, levels: sales_manager}\n",
     {{19, 12,
       "approvals: expected a list of approval rules, each with a name and levels, found a "
       "mapping"}}},
    {"err_rule_not_a_mapping",
     "approvals:\n"
     "  - sales_manager\n",
     {{20, 5, "approvals[1]: expected a mapping with a name and levels, found \"sales_manager\""}}},
    {"err_lifecycle_not_a_mapping",
     "lifecycle: sales_manager\n",
     {{19, 12,
       "lifecycle: expected a mapping such as {escalate_to: sales_manager}, found "
       "\"sales_manager\""}}},
    {"err_lifecycle_unknown_key",
     "lifecycle:\n"
     "  escalate: sales_manager\n",
     {{20, 3, "lifecycle: unknown key \"escalate\"; expected escalate_to"}}},
    {"err_escalate_to_unknown",
     "lifecycle: {escalate_to: sales_manger}\n",
     {{19, 26, "lifecycle.escalate_to: unknown role \"sales_manger\""}}},
    {"err_escalate_to_not_a_role",
     "lifecycle: {escalate_to: liu}\n",
     {{19, 26,
       "lifecycle.escalate_to: \"liu\" is a person, not a role; an escalated case goes to a person "
       "holding this role"}}},
    {"err_escalate_to_department",
     "lifecycle: {escalate_to: sales}\n",
     {{19, 26,
       "lifecycle.escalate_to: \"sales\" is a department, not a role; an escalated case goes to a "
       "person holding this role"}}},
    {"err_escalate_to_nobody",
     "lifecycle: {escalate_to: vacant}\n",
     {{19, 26,
       "lifecycle.escalate_to: nobody in the directory holds role \"vacant\"; an escalated case "
       "would have nobody to go to"}}},
    {"err_escalate_to_type",
     "lifecycle: {escalate_to: [sales_manager]}\n",
     {{19, 26,
       "lifecycle.escalate_to: expected a role id such as sales_manager, found a sequence"}}},

    /* -- keys of a rule -- */
    {"err_rule_unknown_key",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, whn: {kind: complaint}}\n",
     {{20, 38,
       "approvals[1]: unknown key \"whn\"; expected name, when, levels, within, calendar, "
       "escalate"}}},
    {"err_missing_name_and_levels",
     "approvals:\n"
     "  - {when: {kind: complaint}}\n",
     {{20, 5, "approvals[1]: missing name (an id such as quality_reply)"},
      {20, 5,
       "approvals[1]: missing levels (the roles that approve, level by level, such as "
       "[vp_marketing, general_manager])"}}},
    {"err_name",
     "approvals:\n"
     "  - {name: \"bad name\", levels: sales_manager, when: {kind: complaint}}\n"
     "  - {name: [a], levels: sales_manager, when: {kind: feedback}}\n"
     "  - {name: \"\", levels: sales_manager, when: {kind: repair}}\n",
     {{20, 12,
       "approvals[1].name: \"bad name\" is not an id (1 to 64 letters, digits, '_', '.' or '-', "
       "starting with a letter or '_')"},
      {21, 12, "approvals[2].name: expected a name such as quality_reply, found a sequence"},
      {22, 12, "approvals[3].name: expected a name such as quality_reply, found an empty string"}}},
    {"err_duplicate_name",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {kind: complaint}}\n"
     "  - {name: a, levels: sales_manager, when: {kind: feedback}}\n",
     {{21, 12, "approvals[2].name: duplicate name \"a\" (first defined at line 20, column 12)"}}},

    /* -- when -- */
    {"err_when_shape",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: misuse}\n"
     "  - {name: b, levels: sales_manager, when: {}}\n"
     "  - {name: c, levels: sales_manager, when: {region: east}}\n",
     {{20, 44,
       "approvals[1].when: expected a mapping of kind, category, severity or responsibility such "
       "as {responsibility: misuse}, found \"misuse\"; leave when out for a rule that matches "
       "every "
       "case"},
      {21, 44, "approvals[2].when: empty; leave when out for a rule that matches every case"},
      {22, 45,
       "approvals[3].when: unknown key \"region\"; expected kind, category, severity or "
       "responsibility"}}},
    {"err_when_kind",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {kind: complain}}\n",
     {{20, 51,
       "approvals[1].when.kind: unknown kind \"complain\"; intake.kinds lists complaint, feedback, "
       "repair, incident, patrol or comment"}}},
    {"err_when_kind_from_intake",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {kind: [hotline, repair]}}\n"
     "intake: {kinds: [complaint, hotline]}\n",
     {{20, 61,
       "approvals[1].when.kind[2]: unknown kind \"repair\"; intake.kinds lists complaint or "
       "hotline"}}},
    {"err_when_category",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {category: quality}}\n",
     {{20, 55,
       "approvals[1].when.category: unknown category \"quality\"; expected product_quality, "
       "service or other"}}},
    {"err_when_severity",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {severity: [high, urgent, high]}}\n",
     {{20, 62,
       "approvals[1].when.severity[2]: unknown severity \"urgent\"; expected low, normal, high or "
       "critical"},
      {20, 70, "approvals[1].when.severity[3]: \"high\" is listed twice"}}},
    {"err_when_responsibility",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {responsibility: qualty}}\n",
     {{20, 61,
       "approvals[1].when.responsibility: unknown responsibility \"qualty\"; expected quality, "
       "misuse or other"}}},
    {"err_when_value_types",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, when: {severity: {min: high}}}\n"
     "  - {name: b, levels: sales_manager, when: {kind: []}}\n"
     "  - {name: c, levels: sales_manager, when: {kind: [[complaint]]}}\n"
     "  - {name: d, levels: sales_manager, when: {kind: }}\n",
     {{20, 55,
       "approvals[1].when.severity: expected a severity or a list of them, found a mapping"},
      {21, 51, "approvals[2].when.kind: the list is empty; expected a kind or a list of them"},
      {22, 52, "approvals[3].when.kind[1]: expected a kind or a list of them, found a sequence"},
      {23, 51, "approvals[4].when.kind: expected a kind or a list of them, found null"}}},

    /* -- levels -- */
    {"err_levels_unknown_role",
     "approvals:\n"
     "  - {name: a, levels: [sales_manager], when: {kind: complaint}}\n"
     "  - {name: b, levels: [vp_marketng, general_manager]}\n",
     {{21, 24, "approvals[2].levels[1]: unknown role \"vp_marketng\""}}},
    {"err_levels_not_roles",
     "approvals:\n"
     "  - name: a\n"
     "    levels: [sun, [general_manager, quality]]\n",
     {{21, 14,
       "approvals[1].levels[1]: \"sun\" is a person, not a role; a level names roles (anybody "
       "holding one of them approves it)"},
      {21, 37,
       "approvals[1].levels[2][2]: \"quality\" is a department, not a role; a level names roles "
       "(anybody holding one of them approves it)"}}},
    {"err_levels_shape",
     "approvals:\n"
     "  - {name: a, levels: [], when: {kind: complaint}}\n"
     "  - {name: b, levels: {role: sales_manager}, when: {kind: feedback}}\n"
     "  - {name: c, levels: [[], {role: x}, [[sales_manager]]], when: {kind: repair}}\n"
     "  - {name: d, levels: , when: {kind: patrol}}\n",
     {{20, 23,
       "approvals[1].levels: the list is empty; expected a role, or a list of levels, each a role "
       "or a list of roles, such as [vp_marketing, [general_manager, management_rep]]"},
      {21, 23,
       "approvals[2].levels: expected a role, or a list of levels, each a role or a list of "
       "roles, such as [vp_marketing, [general_manager, management_rep]], found a mapping"},
      {22, 24, "approvals[3].levels[1]: an empty level; give a role or a list of roles"},
      {22, 28, "approvals[3].levels[2]: expected a role or a list of roles, found a mapping"},
      {22, 40, "approvals[3].levels[3][1]: expected a role id, found a sequence"},
      {23, 23,
       "approvals[4].levels: expected a role, or a list of levels, each a role or a list of "
       "roles, such as [vp_marketing, [general_manager, management_rep]], found null"}}},
    {"err_levels_too_many",
     "approvals:\n"
     "  - name: a\n"
     "    levels: [sales_manager, vp_marketing, management_rep, general_manager,\n"
     "             regional_head, vacant]\n",
     {{21, 13, "approvals[1].levels: more than 5 levels"}}},
    {"err_level_too_many_roles",
     "approvals:\n"
     "  - name: a\n"
     "    levels: [[sales_manager, vp_marketing, management_rep, general_manager, regional_head,\n"
     "              a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16]]\n",
     {{21, 14, "approvals[1].levels[1]: more than 20 roles in one level"}}},
    {"err_levels_repeated_role",
     "approvals:\n"
     "  - name: a\n"
     "    levels: [[vp_marketing, vp_marketing], [general_manager, vp_marketing]]\n",
     {{21, 29, "approvals[1].levels[1][2]: \"vp_marketing\" is listed twice in this level"},
      {21, 62, "approvals[1].levels[2][2]: role \"vp_marketing\" is already in level 1"}}},
    {"err_levels_nobody",
     "approvals:\n"
     "  - name: a\n"
     "    levels: [vacant, [vacant2, regional_head]]\n",
     {{21, 14,
       "approvals[1].levels[1]: nobody in the directory holds role \"vacant\"; the level could "
       "never be approved"}}},
    {"err_levels_nobody_of_several",
     "approvals:\n"
     "  - name: a\n"
     "    levels: [[vacant, vacant2]]\n",
     {{21, 14,
       "approvals[1].levels[1]: nobody in the directory holds any of these roles; the level could "
       "never be approved"}}},
    {"err_levels_single_scalar",
     "approvals:\n"
     "  - {name: a, levels: nobody_role}\n",
     {{20, 23, "approvals[1].levels: unknown role \"nobody_role\""}}},

    /* -- within, calendar, escalate -- */
    {"err_within",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, within: 2 hrs, when: {kind: complaint}}\n"
     "  - {name: b, levels: sales_manager, within: 0h, when: {kind: feedback}}\n"
     "  - {name: c, levels: sales_manager, within: 367 working days, when: {kind: repair}}\n"
     "  - {name: d, levels: sales_manager, within: 4, when: {kind: patrol}}\n",
     {{20, 46, "approvals[1].within: \"2 hrs\" is not a duration; "},
      {21, 46, "approvals[2].within: \"0h\": must be positive"},
      {22, 46, "approvals[3].within: \"367 working days\": at most 366 working days"},
      {23, 46, "approvals[4].within: \"4\" is not a duration; "}}},
    {"err_calendar",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, within: 2h, calendar: alwys}\n",
     {{20, 60,
       "approvals[1].calendar: unknown calendar \"alwys\"; expected default or always (calendar is "
       "\"default\", calendars lists the others)"}}},
    {"err_calendar_and_escalate_without_within",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, calendar: always, escalate: general_manager}\n",
     {{20, 38,
       "approvals[1].calendar: without within there is no approval deadline to count; give within "
       "or leave calendar out"},
      {20, 56,
       "approvals[1].escalate: the ids are told when the approval deadline is breached, and "
       "without within there is none; give within or leave escalate out"}}},
    {"err_escalate_ids",
     "approvals:\n"
     "  - name: a\n"
     "    levels: sales_manager\n"
     "    within: 2h\n"
     "    escalate: [general_manager, nobody, quality, liu, general_manager]\n",
     {{23, 33, "approvals[1].escalate[2]: unknown role, person or department \"nobody\""},
      {23, 55, "approvals[1].escalate[5]: \"general_manager\" is listed twice"}}},
    {"err_escalate_shape",
     "approvals:\n"
     "  - {name: a, levels: sales_manager, within: 2h, escalate: [], when: {kind: complaint}}\n"
     "  - {name: b, levels: sales_manager, within: 2h, escalate: {to: liu}}\n",
     {{20, 60,
       "approvals[1].escalate: the list is empty; expected a role, person or department id, or a "
       "list of them"},
      {21, 60,
       "approvals[2].escalate: expected a role, person or department id, or a list of them, found "
       "a mapping"}}},

    /* -- rules that can never match -- */
    {"err_after_catch_all",
     "approvals:\n"
     "  - {name: a, levels: vp_marketing, when: {responsibility: quality}}\n"
     "  - {name: all, levels: sales_manager}\n"
     "  - {name: misuse, levels: management_rep, when: {responsibility: misuse}}\n"
     "  - {name: all2, levels: general_manager}\n",
     {{22, 5,
       "approvals[3]: rule \"misuse\" can never match: the catch-all rule \"all\" (no when) at "
       "line "
       "21 comes first"},
      {23, 5,
       "approvals[4]: rule \"all2\" can never match: the catch-all rule \"all\" (no when) at line "
       "21 comes first"}}},
    {"err_covered_by_earlier",
     "approvals:\n"
     "  - {name: a, levels: vp_marketing, when: {responsibility: [quality, misuse]}}\n"
     "  - {name: b, levels: sales_manager, when: {responsibility: quality, severity: high}}\n"
     "  - {name: c, levels: sales_manager, when: {responsibility: [misuse, quality]}}\n",
     {{21, 5,
       "approvals[2]: rule \"b\" can never match: rule \"a\" at line 20 comes first and matches "
       "every case it would"},
      {22, 5,
       "approvals[3]: rule \"c\" can never match: rule \"a\" at line 20 comes first and matches "
       "every case it would"}}},

    /* -- every error of a file, in file order, loading going on -- */
    {"err_many",
     "lifecycle: {escalate_to: nobody, cc: x}\n"
     "approvals:\n"
     "  - {name: a, levels: [vp_marketng], when: {severity: urgent}}\n"
     "  - {name: a, levels: sales_manager, within: soon}\n"
     "  - {name: c, levels: general_manager}\n",
     {{19, 26, "lifecycle.escalate_to: unknown role \"nobody\""},
      {19, 34, "lifecycle: unknown key \"cc\"; expected escalate_to"},
      {21, 24, "approvals[1].levels[1]: unknown role \"vp_marketng\""},
      {21, 55,
       "approvals[1].when.severity: unknown severity \"urgent\"; expected low, normal, high or "
       "critical"},
      {22, 12, "approvals[2].name: duplicate name \"a\" (first defined at line 21, column 12)"},
      {22, 46, "approvals[2].within: \"soon\" is not a duration; "},
      {23, 5,
       "approvals[3]: rule \"c\" can never match: the catch-all rule \"a\" (no when) at line 22 "
       "comes first"}}},
};

/* Prints line `line` of `text` and a caret under column `column` (ASCII
 * lines), to see which node an error points at. */
static void s_show_position(const char *text, int line, int column)
{
    for (int l = 1; l < line && text; l++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!text) {
        return;
    }
    const char *end = strchr(text, '\n');
    int size = end ? (int)(end - text) : (int)strlen(text);
    print_error("  %3d | %.*s\n        %*s^\n", line, size, text, column - 1, "");
}

static void s_test_error_case(void **state)
{
    const s_error_case_t *c = *state;
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s%s", S_HEAD, c->yaml);
    s_fx_t fx;
    s_fx_load(&fx, yaml);
    size_t n = 0;
    while (c->want[n].message) {
        n++;
    }
    bool ok = !fx.lc && fx.errs.count == n;
    for (size_t i = 0; ok && i < n; i++) {
        const pl_err_t *e = &fx.errs.items[i];
        size_t size = strlen(c->want[i].message);
        /* A message given with a trailing "; " is a prefix (the rest is
         * another module's text, e.g. pl_duration_parse's hint). */
        bool prefix = size >= 2 && strcmp(c->want[i].message + size - 2, "; ") == 0;
        ok = e->code == PL_ECONFIG && e->line == c->want[i].line &&
             e->column == c->want[i].column && strcmp(e->file, "lc.yaml") == 0 &&
             (prefix ? strncmp(e->message, c->want[i].message, size) == 0
                     : strcmp(e->message, c->want[i].message) == 0);
    }
    if (!ok) {
        print_error("%s: expected %zu error(s)%s:\n", c->name, n,
                    fx.lc ? " but the load succeeded" : "");
        for (size_t i = 0; i < n; i++) {
            print_error("  lc.yaml:%d:%d: %s\n", c->want[i].line, c->want[i].column,
                        c->want[i].message);
        }
        print_error("got %zu:\n", fx.errs.count);
        s_print_errors(&fx.errs);
        for (size_t i = 0; i < fx.errs.count; i++) {
            s_show_position(yaml, fx.errs.items[i].line, fx.errs.items[i].column);
        }
        s_fx_free(&fx);
        fail();
    }
    s_fx_free(&fx);
}

/* More than PL_LIFECYCLE_MAX_RULES rules; exactly that many load. */
static void test_err_too_many_rules(void **state)
{
    (void)state;
    static const char *const kinds[] = {"complaint", "feedback", "repair",
                                        "incident",  "patrol",   "comment"};
    static const char *const categories[] = {"product_quality", "service", "other"};
    for (int total = PL_LIFECYCLE_MAX_RULES; total <= PL_LIFECYCLE_MAX_RULES + 1; total++) {
        size_t size = strlen(S_HEAD) + 32 + (size_t)total * 160;
        char *yaml = malloc(size);
        assert_non_null(yaml);
        size_t used = (size_t)snprintf(yaml, size, "%sapprovals:\n", S_HEAD);
        /* Distinct single values in every key: no rule covers another. */
        for (int i = 0; i < total; i++) {
            used += (size_t)snprintf(
                yaml + used, size - used,
                "  - {name: r%d, levels: sales_manager, when: {kind: %s, category: %s, "
                "severity: %s, responsibility: %s}}\n",
                i + 1, kinds[i % 6], categories[(i / 6) % 3], pl_rules_severities[(i / 18) % 4],
                pl_lifecycle_responsibilities[(i / 72) % 3]);
        }
        s_fx_t fx;
        s_fx_load(&fx, yaml);
        if (total == PL_LIFECYCLE_MAX_RULES) {
            if (!fx.lc) {
                s_print_errors(&fx.errs);
            }
            assert_non_null(fx.lc);
            assert_int_equal(pl_lifecycle_rule_count(fx.lc), PL_LIFECYCLE_MAX_RULES);
            int last = total - 1;
            assert_string_equal(s_pick(&fx, kinds[last % 6], categories[(last / 6) % 3],
                                       pl_rules_severities[(last / 18) % 4],
                                       pl_lifecycle_responsibilities[(last / 72) % 3]),
                                "r100");
        } else {
            assert_null(fx.lc);
            assert_int_equal(fx.errs.count, 1);
            assert_int_equal(fx.errs.items[0].line, 20); /* the list, under approvals */
            assert_int_equal(fx.errs.items[0].column, 3);
            assert_string_equal(fx.errs.items[0].message, "approvals: more than 100 rules");
        }
        s_fx_free(&fx);
        free(yaml);
    }
}

/* ---- defaults ----------------------------------------------------------------------------- */

static const char s_no_rule[] = "{\"calendar\":null,\"clock\":null,\"escalate\":[],\"levels\":[],"
                                "\"rule\":null,\"within\":null}";

static void test_defaults(void **state)
{
    (void)state;
    /* Neither section: no approvals, escalate_to sales_manager. */
    s_fx_t fx;
    s_fx_ok(&fx, S_HEAD);
    assert_string_equal(pl_lifecycle_escalate_to(fx.lc), "sales_manager");
    assert_int_equal(pl_lifecycle_rule_count(fx.lc), 0);
    s_expect_plan(&fx, "complaint", "service", "normal", "quality", S_FRIDAY, s_no_rule, NULL);
    s_fx_free(&fx);

    /* Both sections left empty: the same. */
    s_fx_ok(&fx, S_HEAD "lifecycle:\napprovals:\n");
    assert_string_equal(pl_lifecycle_escalate_to(fx.lc), "sales_manager");
    assert_int_equal(pl_lifecycle_rule_count(fx.lc), 0);
    s_fx_free(&fx);
    s_fx_ok(&fx, S_HEAD "lifecycle: {escalate_to: }\napprovals: []\n");
    assert_string_equal(pl_lifecycle_escalate_to(fx.lc), "sales_manager");
    assert_int_equal(pl_lifecycle_rule_count(fx.lc), 0);
    s_fx_free(&fx);

    /* pl_lifecycle_new_default gives what a file without the sections
     * gives. */
    s_fx_rules(&fx, s_parse(S_HEAD));
    pl_lifecycle_t *lc = pl_lifecycle_new_default(fx.rules);
    assert_non_null(lc);
    assert_string_equal(pl_lifecycle_escalate_to(lc), "sales_manager");
    assert_int_equal(pl_lifecycle_rule_count(lc), 0);
    fx.lc = lc;
    s_expect_plan(&fx, NULL, NULL, NULL, NULL, S_FRIDAY, s_no_rule, NULL);
    s_fx_free(&fx);
}

/* Without a sales_manager role, escalate_to has no default. */
static void test_defaults_without_sales_manager(void **state)
{
    (void)state;
    static const char yaml[] = "directory:\n"
                               "  roles: [{id: boss}]\n"
                               "  people: [{id: ann, roles: [boss]}]\n"
                               "classify: {allow_unrouted: true}\n";
    s_fx_t fx;
    s_fx_ok(&fx, yaml);
    assert_null(pl_lifecycle_escalate_to(fx.lc));
    s_fx_free(&fx);

    /* A person called sales_manager is not the role. */
    s_fx_ok(&fx, "directory:\n"
                 "  roles: [{id: boss}]\n"
                 "  people: [{id: sales_manager, roles: [boss]}]\n"
                 "classify: {allow_unrouted: true}\n"
                 "lifecycle: {escalate_to: boss}\n");
    assert_string_equal(pl_lifecycle_escalate_to(fx.lc), "boss");
    s_fx_free(&fx);

    /* The empty rule set (no directory, no calendars). */
    const pl_rules_t *empty = pl_rules_new_empty(NULL);
    assert_non_null(empty);
    pl_lifecycle_t *lc = pl_lifecycle_new_default(empty);
    assert_non_null(lc);
    assert_null(pl_lifecycle_escalate_to(lc));
    const pl_lifecycle_t *c = lc;
    pl_lifecycle_unref(&c);
    lc = pl_lifecycle_load_yaml(NULL, NULL, empty, NULL, NULL);
    assert_non_null(lc);
    assert_null(pl_lifecycle_escalate_to(lc));
    assert_int_equal(pl_lifecycle_rule_count(lc), 0);
    c = lc;
    pl_lifecycle_unref(&c);
    pl_rules_unref(&empty);

    /* And without any rules at all. */
    lc = pl_lifecycle_new_default(NULL);
    assert_non_null(lc);
    assert_null(pl_lifecycle_escalate_to(lc));
    c = lc;
    pl_lifecycle_unref(&c);
    assert_null(pl_lifecycle_escalate_to(NULL));
    assert_int_equal(pl_lifecycle_rule_count(NULL), 0);
}

/* An empty document and one whose root is not a mapping: the defaults
 * (config.c reports such a root). */
static void test_empty_documents(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_rules(&fx, s_parse(S_HEAD));
    pl_yaml_doc_t *docs[] = {s_parse(""), s_parse("# nothing\n"), s_parse("just text\n"),
                             s_parse("[a, b]\n")};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        pl_lifecycle_t *lc = pl_lifecycle_load_yaml(docs[i], pl_yaml_doc_root(docs[i]), fx.rules,
                                                    s_collect, &fx.errs);
        assert_non_null(lc);
        assert_int_equal(fx.errs.count, 0);
        assert_string_equal(pl_lifecycle_escalate_to(lc), "sales_manager");
        const pl_lifecycle_t *c = lc;
        pl_lifecycle_unref(&c);
        pl_yaml_doc_destroy(&docs[i]);
    }
    s_fx_free(&fx);
}

/* ---- a complete file ---------------------------------------------------------------------- */

/* The example of the brief and of config/README.md. */
static const char s_full[] = S_HEAD
    "lifecycle:\n"
    "  escalate_to: regional_head\n"
    "approvals:\n"
    "  - name: misuse_reply\n"
    "    when: {responsibility: misuse}\n"
    "    levels:\n"
    "      - [management_rep, general_manager]\n"
    "    within: 1 working day\n"
    "    calendar: default\n"
    "    escalate: [general_manager]\n"
    "  - name: quality_reply\n"
    "    when: {responsibility: quality}\n"
    "    levels: [vp_marketing, general_manager]\n"
    "    within: 4 business hours\n"
    "  - name: urgent_service\n"
    "    when: {kind: [complaint, feedback], category: service, severity: [high, critical]}\n"
    "    levels: sales_manager\n"
    "    within: 2h\n"
    "    calendar: always\n"
    "    escalate: [vp_marketing, li_na, sales]\n"
    "  - name: other_reply\n"
    "    levels: [[sales_manager]]\n"
    "    within: 4 business hours\n"
    "    calendar: always\n";

static void test_full_file(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, s_full);
    assert_string_equal(pl_lifecycle_escalate_to(fx.lc), "regional_head");
    assert_int_equal(pl_lifecycle_rule_count(fx.lc), 4);
    s_expect_plan(&fx, "complaint", "product_quality", "high", "misuse", S_FRIDAY,
                  "{\"calendar\":\"default\",\"clock\":\"working_days\","
                  "\"escalate\":[\"general_manager\"],"
                  "\"levels\":[[\"management_rep\",\"general_manager\"]],"
                  "\"rule\":\"misuse_reply\",\"within\":\"1 working day\"}",
                  "2026-11-30T18:00:00+08:00");
    s_expect_plan(&fx, "complaint", "product_quality", "high", "quality", S_FRIDAY,
                  "{\"calendar\":\"default\",\"clock\":\"business\",\"escalate\":[],"
                  "\"levels\":[[\"vp_marketing\"],[\"general_manager\"]],"
                  "\"rule\":\"quality_reply\",\"within\":\"4 business hours\"}",
                  "2026-11-30T10:00:00+08:00");
    s_expect_plan(&fx, "feedback", "service", "critical", "other", S_FRIDAY,
                  "{\"calendar\":\"always\",\"clock\":\"real\","
                  "\"escalate\":[\"vp_marketing\",\"li_na\",\"sales\"],"
                  "\"levels\":[[\"sales_manager\"]],\"rule\":\"urgent_service\",\"within\":\"2h\"}",
                  "2026-11-27T17:00:00+08:00");
    s_expect_plan(&fx, "repair", "service", "critical", "other", S_FRIDAY,
                  "{\"calendar\":\"always\",\"clock\":\"business\",\"escalate\":[],"
                  "\"levels\":[[\"sales_manager\"]],\"rule\":\"other_reply\","
                  "\"within\":\"4 business hours\"}",
                  "2026-11-27T19:00:00+08:00");
    s_fx_free(&fx);
}

/* ---- matching ----------------------------------------------------------------------------- */

static void test_first_match(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx,
            S_HEAD "approvals:\n"
                   "  - {name: serious_quality, levels: [vp_marketing, general_manager],\n"
                   "     when: {responsibility: quality, severity: [high, critical]}}\n"
                   "  - {name: quality, levels: vp_marketing, when: {responsibility: quality}}\n"
                   "  - {name: comment, levels: sales_manager, when: {kind: comment}}\n"
                   "  - {name: misuse_service, levels: management_rep,\n"
                   "     when: {responsibility: misuse, category: service}}\n"
                   "  - {name: misuse, levels: general_manager, when: {responsibility: misuse}}\n");
    assert_int_equal(pl_lifecycle_rule_count(fx.lc), 5);
    /* The more specific rule first; the later, broader one takes the rest. */
    assert_string_equal(s_pick(&fx, "complaint", "other", "high", "quality"), "serious_quality");
    assert_string_equal(s_pick(&fx, "complaint", "other", "critical", "quality"),
                        "serious_quality");
    assert_string_equal(s_pick(&fx, "complaint", "other", "normal", "quality"), "quality");
    assert_string_equal(s_pick(&fx, "complaint", "other", NULL, "quality"), "quality");
    /* File order decides between two rules that both hold. */
    assert_string_equal(s_pick(&fx, "comment", "other", "high", "quality"), "serious_quality");
    assert_string_equal(s_pick(&fx, "comment", "other", "low", "misuse"), "comment");
    assert_string_equal(s_pick(&fx, "complaint", "service", "low", "misuse"), "misuse_service");
    assert_string_equal(s_pick(&fx, "complaint", "other", "low", "misuse"), "misuse");
    /* A key the case lacks fails the rules that test it. */
    assert_string_equal(s_pick(&fx, "complaint", NULL, "low", "misuse"), "misuse");
    assert_string_equal(s_pick(&fx, "complaint", "service", "low", NULL), "-");
    assert_string_equal(s_pick(&fx, "complaint", "service", "low", "other"), "-");
    assert_string_equal(s_pick(&fx, NULL, NULL, NULL, NULL), "-");
    /* No rule matched: no approval. */
    s_expect_plan(&fx, "complaint", "other", "low", "other", S_FRIDAY, s_no_rule, NULL);
    /* A rule without within: levels and no deadline. */
    s_expect_plan(&fx, "complaint", "other", "low", "misuse", S_FRIDAY,
                  "{\"calendar\":null,\"clock\":null,\"escalate\":[],"
                  "\"levels\":[[\"general_manager\"]],\"rule\":\"misuse\",\"within\":null}",
                  NULL);
    s_fx_free(&fx);
}

/* A later rule narrower in one key but broader in another is reachable;
 * so is one after a rule that tests a key it does not. */
static void test_not_shadowed(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, S_HEAD "approvals:\n"
                        "  - {name: a, levels: vp_marketing, when: {responsibility: quality, "
                        "severity: high}}\n"
                        "  - {name: b, levels: vp_marketing, when: {responsibility: [quality, "
                        "misuse]}}\n"
                        "  - {name: c, levels: vp_marketing, when: {severity: high}}\n"
                        "  - {name: d, levels: vp_marketing, when: {kind: complaint, category: "
                        "[service, other]}}\n"
                        "  - {name: e, levels: vp_marketing, when: {kind: [complaint, repair]}}\n"
                        "  - {name: f, levels: sales_manager}\n");
    assert_string_equal(s_pick(&fx, "complaint", "other", "high", "quality"), "a");
    assert_string_equal(s_pick(&fx, "complaint", "other", "low", "misuse"), "b");
    assert_string_equal(s_pick(&fx, "complaint", "other", "high", "other"), "c");
    assert_string_equal(s_pick(&fx, "complaint", "other", "low", "other"), "d");
    assert_string_equal(s_pick(&fx, "repair", "other", "low", "other"), "e");
    assert_string_equal(s_pick(&fx, "patrol", "other", "low", "other"), "f");
    s_fx_free(&fx);
}

/* Every form `levels` may take. */
static void test_levels_forms(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx,
            S_HEAD "approvals:\n"
                   "  - {name: one_role, levels: sales_manager, when: {kind: complaint}}\n"
                   "  - {name: two_levels, levels: [vp_marketing, general_manager],\n"
                   "     when: {kind: feedback}}\n"
                   "  - {name: one_level_two_roles, levels: [[management_rep, general_manager]],\n"
                   "     when: {kind: repair}}\n"
                   "  - name: mixed\n"
                   "    when: {kind: incident}\n"
                   "    levels:\n"
                   "      - regional_head\n"
                   "      - [vp_marketing, management_rep]\n"
                   "      - [general_manager]\n"
                   "  - name: five\n"
                   "    when: {kind: patrol}\n"
                   "    levels: [regional_head, sales_manager, vp_marketing, management_rep,\n"
                   "             general_manager]\n");
    static const struct {
        const char *kind;
        const char *levels;
    } want[] = {
        {"complaint", "[[\"sales_manager\"]]"},
        {"feedback", "[[\"vp_marketing\"],[\"general_manager\"]]"},
        {"repair", "[[\"management_rep\",\"general_manager\"]]"},
        {"incident",
         "[[\"regional_head\"],[\"vp_marketing\",\"management_rep\"],[\"general_manager\"]]"},
        {"patrol", "[[\"regional_head\"],[\"sales_manager\"],[\"vp_marketing\"],"
                   "[\"management_rep\"],[\"general_manager\"]]"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *plan =
            pl_lifecycle_plan(fx.lc, fx.rules, want[i].kind, NULL, NULL, NULL, s_time(S_FRIDAY));
        assert_non_null(plan);
        char *text = json_dumps(json_object_get(plan, "levels"), JSON_COMPACT);
        assert_non_null(text);
        bool same = strcmp(text, want[i].levels) == 0;
        if (!same) {
            print_error("kind %s: levels %s, want %s\n", want[i].kind, text, want[i].levels);
        }
        free(text);
        json_decref(plan);
        assert_true(same);
    }
    s_fx_free(&fx);
}

/* ---- plans and their due instants --------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *within;
    const char *formatted; /* "within" in the plan; NULL: as written */
    const char *calendar;  /* NULL: not given */
    const char *now;
    const char *clock;
    const char *due; /* RFC 3339 */
} s_plan_case_t;

/* The default calendar: Monday to Friday, 09:00-12:00 and 13:00-18:00 in
 * Shanghai; `always`: every hour of every day. */
static const s_plan_case_t s_plan_cases[] = {
    /* Friday 15:00: the weekend does not count in working days... */
    {"plan_working_day_friday", "1 working day", NULL, NULL, S_FRIDAY, "working_days",
     "2026-11-30T18:00:00+08:00"},
    {"plan_two_working_days_friday", "2 working days", NULL, NULL, S_FRIDAY, "working_days",
     "2026-12-01T18:00:00+08:00"},
    /* ... nor the day of receipt, even at 08:00 on a working day... */
    {"plan_working_day_early_monday", "1 working day", NULL, NULL, "2026-11-30T08:00:00+08:00",
     "working_days", "2026-12-01T18:00:00+08:00"},
    /* ... nor does a proposal on Saturday count Saturday. */
    {"plan_working_day_saturday", "1 working day", NULL, NULL, "2026-11-28T11:00:00+08:00",
     "working_days", "2026-11-30T18:00:00+08:00"},
    /* Business hours: 3 h left on Friday, then 1 h on Monday. */
    {"plan_business_hours_friday", "4 business hours", NULL, NULL, S_FRIDAY, "business",
     "2026-11-30T10:00:00+08:00"},
    {"plan_business_hours_lunch", "2 business hours", NULL, NULL, "2026-11-30T11:00:00+08:00",
     "business", "2026-11-30T14:00:00+08:00"},
    {"plan_business_minutes_to_close", "180 business minutes", "3 business hours", NULL, S_FRIDAY,
     "business", "2026-11-27T18:00:00+08:00"},
    /* Business hours in the round-the-clock calendar: elapsed time. */
    {"plan_business_hours_always", "4 business hours", NULL, "always", S_FRIDAY, "business",
     "2026-11-27T19:00:00+08:00"},
    /* Real time ignores the calendar, the default or another. */
    {"plan_real_default_calendar", "24h", "1d", NULL, S_FRIDAY, "real",
     "2026-11-28T15:00:00+08:00"},
    {"plan_real_always", "1h30m", NULL, "always", S_FRIDAY, "real", "2026-11-27T16:30:00+08:00"},
    {"plan_real_days", "2d", NULL, "default", S_FRIDAY, "real", "2026-11-29T15:00:00+08:00"},
};

static void s_test_plan_case(void **state)
{
    const s_plan_case_t *c = *state;
    char yaml[4096], want[512];
    snprintf(yaml, sizeof yaml,
             "%sapprovals:\n"
             "  - name: r\n"
             "    levels: [vp_marketing, general_manager]\n"
             "    within: %s\n"
             "%s%s%s"
             "    escalate: general_manager\n",
             S_HEAD, c->within, c->calendar ? "    calendar: " : "", c->calendar ? c->calendar : "",
             c->calendar ? "\n" : "");
    s_fx_t fx;
    s_fx_ok(&fx, yaml);
    snprintf(want, sizeof want,
             "{\"calendar\":\"%s\",\"clock\":\"%s\",\"escalate\":[\"general_manager\"],"
             "\"levels\":[[\"vp_marketing\"],[\"general_manager\"]],\"rule\":\"r\","
             "\"within\":\"%s\"}",
             c->calendar ? c->calendar : "default", c->clock,
             c->formatted ? c->formatted : c->within);
    s_expect_plan(&fx, "complaint", NULL, NULL, NULL, c->now, want, c->due);
    s_fx_free(&fx);
}

/* due_at is null when the calendar cannot be found in the snapshot passed
 * (not the one loaded with), except for real time. */
static void test_plan_other_snapshot(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, S_HEAD "approvals:\n"
                        "  - {name: a, levels: vp_marketing, within: 4 business hours,\n"
                        "     calendar: always, when: {kind: complaint}}\n"
                        "  - {name: b, levels: vp_marketing, within: 2h, calendar: always}\n");
    const pl_rules_t *empty = pl_rules_new_empty(NULL);
    assert_non_null(empty);
    json_t *plan = pl_lifecycle_plan(fx.lc, empty, "complaint", NULL, NULL, NULL, s_time(S_FRIDAY));
    assert_non_null(plan);
    assert_true(json_is_null(json_object_get(plan, "due_at")));
    assert_string_equal(json_string_value(json_object_get(plan, "calendar")), "always");
    json_decref(plan);
    plan = pl_lifecycle_plan(fx.lc, NULL, "repair", NULL, NULL, NULL, s_time(S_FRIDAY));
    assert_non_null(plan);
    assert_int_equal(json_integer_value(json_object_get(plan, "due_at")),
                     s_time("2026-11-27T17:00:00+08:00"));
    json_decref(plan);
    /* No object at all: no rule, no approval. */
    plan = pl_lifecycle_plan(NULL, fx.rules, "complaint", NULL, NULL, NULL, 0);
    assert_non_null(plan);
    assert_true(json_is_null(json_object_get(plan, "rule")));
    assert_int_equal(json_array_size(json_object_get(plan, "levels")), 0);
    json_decref(plan);
    pl_rules_unref(&empty);
    s_fx_free(&fx);
}

/* ---- references not checked, or checked against a snapshot without calendars -------------- */

/* With rules NULL (the rules had errors, already reported), references are
 * not checked; the rest is. */
static void test_without_rules(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_parse("lifecycle: {escalate_to: anybody}\n"
                                 "approvals:\n"
                                 "  - {name: a, levels: [[x, y], z], when: {category: any_id},\n"
                                 "     within: 2 working days, calendar: any_cal, escalate: [q]}\n"
                                 "  - {name: b, levels: x, when: {severity: urgent}}\n");
    pl_errlist_t errs = {0};
    const pl_lifecycle_t *lc =
        pl_lifecycle_load_yaml(doc, pl_yaml_doc_root(doc), NULL, s_collect, &errs);
    assert_null(lc);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.items[0].message,
                        "approvals[2].when.severity: unknown severity \"urgent\"; expected low, "
                        "normal, high or critical");
    pl_errlist_free(&errs);
    pl_yaml_doc_destroy(&doc);

    doc = s_parse("lifecycle: {escalate_to: anybody}\n"
                  "approvals:\n"
                  "  - {name: a, levels: [[x, y], z], when: {category: any_id},\n"
                  "     within: 2 working days, calendar: any_cal, escalate: [q]}\n");
    lc = pl_lifecycle_load_yaml(doc, pl_yaml_doc_root(doc), NULL, s_collect, &errs);
    assert_non_null(lc);
    assert_int_equal(errs.count, 0);
    assert_string_equal(pl_lifecycle_escalate_to(lc), "anybody");
    json_t *plan = pl_lifecycle_plan(lc, NULL, NULL, "any_id", NULL, NULL, s_time(S_FRIDAY));
    assert_non_null(plan);
    assert_string_equal(json_string_value(json_object_get(plan, "rule")), "a");
    assert_true(json_is_null(json_object_get(plan, "due_at")));
    json_decref(plan);
    pl_lifecycle_unref(&lc);
    pl_yaml_doc_destroy(&doc);
}

/* A snapshot made without calendars has none to count business time in. */
static void test_rules_without_calendars(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_parse("directory:\n"
                                 "  roles: [{id: boss}]\n"
                                 "  people: [{id: ann, roles: [boss]}]\n"
                                 "classify: {allow_unrouted: true}\n"
                                 "approvals:\n"
                                 "  - {name: a, levels: boss, within: 2h, when: {kind: repair}}\n"
                                 "  - {name: b, levels: boss, within: 4 business hours,\n"
                                 "     when: {kind: complaint}}\n"
                                 "  - {name: c, levels: boss, within: 2h, calendar: default,\n"
                                 "     when: {kind: patrol}}\n");
    /* Lines 6 to 10 hold a, b and c. */
    const pl_rules_t *rules = pl_rules_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL, NULL);
    assert_non_null(rules);
    assert_null(pl_rules_calendars(rules));
    pl_errlist_t errs = {0};
    const pl_lifecycle_t *lc =
        pl_lifecycle_load_yaml(doc, pl_yaml_doc_root(doc), rules, s_collect, &errs);
    assert_null(lc);
    if (errs.count != 2) {
        s_print_errors(&errs);
    }
    assert_int_equal(errs.count, 2);
    assert_int_equal(errs.items[0].line, 7);
    assert_int_equal(errs.items[0].column, 37);
    assert_string_equal(errs.items[0].message,
                        "approvals[2].within: \"4 business hours\" counts in the default calendar, "
                        "and the rules have no calendars");
    assert_int_equal(errs.items[1].line, 9);
    assert_int_equal(errs.items[1].column, 51);
    assert_string_equal(errs.items[1].message,
                        "approvals[3].calendar: unknown calendar \"default\"; the rules have no "
                        "calendars");
    pl_errlist_free(&errs);
    pl_rules_unref(&rules);
    pl_yaml_doc_destroy(&doc);
}

/* A snapshot without categories. */
static void test_rules_without_categories(void **state)
{
    (void)state;
    pl_yaml_doc_t *doc = s_parse("directory:\n"
                                 "  roles: [{id: boss}]\n"
                                 "  people: [{id: ann, roles: [boss]}]\n"
                                 "classify: {allow_unrouted: true}\n"
                                 "approvals:\n"
                                 "  - {name: a, levels: boss, when: {category: quality}}\n");
    const pl_rules_t *rules = pl_rules_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL, NULL);
    assert_non_null(rules);
    assert_int_equal(pl_rules_category_count(rules), 0);
    assert_null(pl_rules_category_id(rules, 0));
    assert_int_equal(pl_rules_category_find(rules, "quality"), -1);
    pl_errlist_t errs = {0};
    assert_null(pl_lifecycle_load_yaml(doc, pl_yaml_doc_root(doc), rules, s_collect, &errs));
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.items[0].message,
                        "approvals[1].when.category: unknown category \"quality\"; the rules have "
                        "no categories");
    pl_errlist_free(&errs);
    pl_rules_unref(&rules);
    pl_yaml_doc_destroy(&doc);
}

/* The category lookup (config/categories.h). */
static void test_category_lookup(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, S_HEAD);
    assert_int_equal(pl_rules_category_count(fx.rules), 3);
    assert_string_equal(pl_rules_category_id(fx.rules, 0), "product_quality");
    assert_string_equal(pl_rules_category_id(fx.rules, 2), "other");
    assert_null(pl_rules_category_id(fx.rules, 3));
    assert_int_equal(pl_rules_category_find(fx.rules, "product_quality"), 0);
    assert_int_equal(pl_rules_category_find(fx.rules, "service"), 1);
    assert_int_equal(pl_rules_category_find(fx.rules, "other"), 2);
    assert_int_equal(pl_rules_category_find(fx.rules, "others"), -1);
    assert_int_equal(pl_rules_category_find(fx.rules, NULL), -1);
    assert_int_equal(pl_rules_category_find(NULL, "other"), -1);
    assert_int_equal(pl_rules_category_count(NULL), 0);
    assert_null(pl_rules_category_id(NULL, 0));
    s_fx_free(&fx);
}

/* ---- pick_person -------------------------------------------------------------------------- */

static void test_pick_person(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, S_HEAD);
    /* sales_manager: liu (north), li_na (east), zhou (east), in that order. */
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "sales_manager", "east"), "li_na");
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "sales_manager", "north"), "liu");
    /* Nobody in the region, or no region: the first holder. */
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "sales_manager", "west"), "liu");
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "sales_manager", NULL), "liu");
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "sales_manager", ""), "liu");
    /* A holder without a region is found, never matched by region. */
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "vp_marketing", "east"), "sun");
    assert_string_equal(pl_lifecycle_pick_person(fx.rules, "regional_head", "north"), "li_na");
    /* Nobody holds it; not a role; NULLs. */
    assert_null(pl_lifecycle_pick_person(fx.rules, "vacant", "east"));
    assert_null(pl_lifecycle_pick_person(fx.rules, "no_such_role", NULL));
    assert_null(pl_lifecycle_pick_person(fx.rules, "liu", NULL));
    assert_null(pl_lifecycle_pick_person(fx.rules, NULL, "east"));
    assert_null(pl_lifecycle_pick_person(NULL, "sales_manager", "east"));
    s_fx_free(&fx);
}

/* ---- reference count and threads ---------------------------------------------------------- */

static void test_refcount(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, s_full);
    const pl_lifecycle_t *a = pl_lifecycle_ref(fx.lc);
    assert_ptr_equal(a, fx.lc);
    const pl_lifecycle_t *b = pl_lifecycle_ref(a);
    pl_lifecycle_unref(&fx.lc);
    assert_null(fx.lc);
    /* Still alive through a and b. */
    assert_string_equal(pl_lifecycle_escalate_to(b), "regional_head");
    pl_lifecycle_unref(&a);
    assert_null(a);
    assert_int_equal(pl_lifecycle_rule_count(b), 4);
    pl_lifecycle_unref(&b);
    assert_null(b);
    /* NULL is accepted everywhere. */
    assert_null(pl_lifecycle_ref(NULL));
    pl_lifecycle_unref(NULL);
    pl_lifecycle_unref(&b);
    s_fx_free(&fx);
}

typedef struct {
    const pl_lifecycle_t *lc;
    const pl_rules_t *rules;
    int failures;
} s_thread_arg_t;

static void *s_thread(void *p)
{
    s_thread_arg_t *arg = p;
    for (int i = 0; i < 2000; i++) {
        const pl_lifecycle_t *mine = pl_lifecycle_ref(arg->lc);
        json_t *plan = pl_lifecycle_plan(mine, arg->rules, "complaint", "service", "high",
                                         i % 2 ? "quality" : "misuse", INT64_C(1795000000000000));
        const char *rule = json_string_value(json_object_get(plan, "rule"));
        if (!rule || strcmp(rule, i % 2 ? "quality_reply" : "misuse_reply") != 0) {
            arg->failures++;
        }
        json_decref(plan);
        pl_lifecycle_unref(&mine);
    }
    return NULL;
}

/* Threads share one object, each taking and dropping references; the
 * last reference may go on any thread. */
static void test_threads_share(void **state)
{
    (void)state;
    s_fx_t fx;
    s_fx_ok(&fx, s_full);
    enum { N = 4 };
    pthread_t threads[N];
    s_thread_arg_t args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (s_thread_arg_t){.lc = pl_lifecycle_ref(fx.lc), .rules = fx.rules};
        assert_int_equal(pthread_create(&threads[i], NULL, s_thread, &args[i]), 0);
    }
    pl_lifecycle_unref(&fx.lc);
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
        pl_lifecycle_unref(&args[i].lc);
    }
    s_fx_free(&fx);
}

/* ---- the shipped configuration ------------------------------------------------------------ */

static void test_shipped_config(void **state)
{
    (void)state;
    const char *root = getenv("PL_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/config/plaint.yaml", root && *root ? root : ".");
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_file(path, &err);
    if (!doc) {
        fail_msg("%s: %s", path, err.message);
    }
    s_fx_t fx;
    s_fx_rules(&fx, doc);
    fx.lc = pl_lifecycle_load_yaml(fx.doc, pl_yaml_doc_root(fx.doc), fx.rules, s_collect, &fx.errs);
    if (!fx.lc) {
        s_print_errors(&fx.errs);
        fail();
    }
    assert_true(pl_lifecycle_rule_count(fx.lc) > 0);
    /* R22: the sales manager takes a case unsatisfied twice. */
    assert_string_equal(pl_lifecycle_escalate_to(fx.lc), "sales_manager");
    assert_non_null(pl_lifecycle_pick_person(fx.rules, "sales_manager", "east"));
    /* R11, R20: misuse: the management representative or above. */
    s_expect_plan(&fx, "complaint", "product_quality", "high", "misuse", S_FRIDAY,
                  "{\"calendar\":\"default\",\"clock\":\"working_days\","
                  "\"escalate\":[\"general_manager\"],"
                  "\"levels\":[[\"management_rep\",\"general_manager\"]],"
                  "\"rule\":\"misuse_reply\",\"within\":\"1 working day\"}",
                  "2026-11-30T18:00:00+08:00");
    /* R20: serious quality: VP marketing, then the general manager. */
    s_expect_plan(&fx, "complaint", "product_quality", "critical", "quality", S_FRIDAY,
                  "{\"calendar\":\"default\",\"clock\":\"working_days\","
                  "\"escalate\":[\"general_manager\"],"
                  "\"levels\":[[\"vp_marketing\"],[\"general_manager\"]],"
                  "\"rule\":\"quality_serious_reply\",\"within\":\"1 working day\"}",
                  "2026-11-30T18:00:00+08:00");
    /* Other quality: VP marketing. */
    s_expect_plan(&fx, "complaint", "packaging", "normal", "quality", S_FRIDAY,
                  "{\"calendar\":\"default\",\"clock\":\"business\","
                  "\"escalate\":[\"general_manager\"],"
                  "\"levels\":[[\"vp_marketing\"]],"
                  "\"rule\":\"quality_reply\",\"within\":\"4 business hours\"}",
                  "2026-11-30T10:00:00+08:00");
    /* Everything else: the sales manager. */
    s_expect_plan(&fx, "complaint", "service_behavior", "normal", "other", S_FRIDAY,
                  "{\"calendar\":\"default\",\"clock\":\"business\","
                  "\"escalate\":[\"vp_marketing\"],"
                  "\"levels\":[[\"sales_manager\"]],"
                  "\"rule\":\"default_reply\",\"within\":\"4 business hours\"}",
                  "2026-11-30T10:00:00+08:00");
    s_fx_free(&fx);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_defaults_without_sales_manager),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_first_match),
        cmocka_unit_test(test_not_shadowed),
        cmocka_unit_test(test_levels_forms),
        cmocka_unit_test(test_plan_other_snapshot),
        cmocka_unit_test(test_err_too_many_rules),
        cmocka_unit_test(test_without_rules),
        cmocka_unit_test(test_rules_without_calendars),
        cmocka_unit_test(test_rules_without_categories),
        cmocka_unit_test(test_category_lookup),
        cmocka_unit_test(test_pick_person),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_threads_share),
        cmocka_unit_test(test_shipped_config),
    };
    size_t fixed_count = sizeof fixed / sizeof fixed[0];
    size_t error_count = sizeof s_error_cases / sizeof s_error_cases[0];
    size_t plan_count = sizeof s_plan_cases / sizeof s_plan_cases[0];
    size_t total = fixed_count + error_count + plan_count;
    struct CMUnitTest *tests = calloc(total, sizeof *tests);
    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    size_t n = fixed_count;
    for (size_t i = 0; i < error_count; i++) {
        tests[n].name = s_error_cases[i].name;
        tests[n].test_func = s_test_error_case;
        tests[n].initial_state = (void *)&s_error_cases[i];
        n++;
    }
    for (size_t i = 0; i < plan_count; i++) {
        tests[n].name = s_plan_cases[i].name;
        tests[n].test_func = s_test_plan_case;
        tests[n].initial_state = (void *)&s_plan_cases[i];
        n++;
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("lifecycle", tests, n, NULL, NULL);
    free(tests);
    return failed == 0 ? 0 : 1;
}
