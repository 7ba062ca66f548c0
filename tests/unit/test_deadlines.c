/*
 * Unit tests of the deadline rules (config/deadlines.h): every load error
 * with its exact line:column (a table), the deadlines computed for a case
 * with a fixed receipt instant across weekends, public holidays and make-up
 * working days (a table, mostly on the shipped config/plaint.yaml), warning
 * instants, chains, conditions selecting deadlines, the JSON form, pauses,
 * and the calendars' place in the config and the rules snapshot. Run with a
 * test name or pattern ("err_*", "compute_*") to run only those.
 */
#include "config/config.h"
#include "config/deadlines.h"
#include "config/event.h"
#include "config/rules.h"

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

/* "Now" for event validation: after every receipt instant used below. */
#define S_NOW (INT64_C(1798761600) * 1000000) /* 2027-01-01T00:00:00Z */

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
    pl_config_t *cfg = pl_config_load_buffer(yaml, strlen(yaml), "dl.yaml", &errs);
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

static pl_config_t *s_load_shipped(void)
{
    const char *root = getenv("PL_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/config/plaint.yaml", root && *root ? root : ".");
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(path, &errs);
    if (!cfg) {
        s_print_errors(&errs);
        pl_errlist_free(&errs);
        fail();
    }
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

/* Classifies the event and returns its deadlines (caller decrefs). */
static json_t *s_deadlines(const pl_rules_t *rules, const pl_event_t *ev)
{
    pl_classification_t cls = {0};
    assert_int_equal(pl_rules_classify(rules, ev, true, &cls), 0);
    json_t *list = pl_rules_deadlines(rules, ev, &cls, pl_event_received_at(ev));
    pl_classification_clear(&cls);
    assert_non_null(list);
    return list;
}

static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static pl_usec_t s_time(const char *rfc3339)
{
    pl_usec_t t = 0;
    assert_int_equal(pl_time_parse_rfc3339(rfc3339, &t), 0);
    return t;
}

static void s_dump(const json_t *value)
{
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_SORT_KEYS);
    print_error("%s\n", text ? text : "(null)");
    free(text);
}

/* ---- load errors: each with its line:column ------------------------------------------------ */

typedef struct {
    int line;
    int column;
    const char *fragment;
} s_want_err_t;

typedef struct {
    const char *name;
    const char *yaml;
    s_want_err_t want[6]; /* ends with fragment NULL */
} s_error_case_t;

/* Lines 1-6; deadlines start on line 7. */
#define S_HEAD                                                                                     \
    "directory:\n"                                                                                 \
    "  departments: [{id: desk}]\n"                                                                \
    "  roles: [{id: head}]\n"                                                                      \
    "  people: [{id: ann, roles: [head]}]\n"                                                       \
    "routing: [{department: desk}]\n"                                                              \
    "calendars: [{id: always, workweek: [mon, tue, wed, thu, fri, sat, sun], hours: "              \
    "00:00-24:00}]\n"

static const s_error_case_t s_error_cases[] = {
    {"err_duplicate_name",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2h, met_by: note}\n"
            "  - {name: a, within: 2h, met_by: note}\n",
     {{9, 12, "deadlines.name: duplicate name \"a\" (first defined at line 8, column 12)"}}},
    {"err_reserved_name",
     S_HEAD "deadlines:\n"
            "  - {name: approval, within: 2h, met_by: note}\n",
     {{8, 12, "deadlines.name: \"approval\" is reserved for the approval deadline "
              "(approvals[].within); choose another name"}}},
    {"err_unknown_calendar",
     S_HEAD "deadlines:\n"
            "  - {name: a, calendar: allways, within: 2h, met_by: note}\n",
     {{8, 25, "deadlines.calendar: unknown calendar \"allways\"; expected default or always"}}},
    {"err_unknown_to",
     S_HEAD "deadlines:\n"
            "  - name: a\n"
            "    within: 2h\n"
            "    met_by: note\n"
            "    escalate:\n"
            "      - to: [head, gm]\n"
            "      - {after: 30m, to: [desk, ann, desk]}\n"
            "      - {after: 30m, to: nobody}\n",
     {{12, 20, "deadlines.escalate.to: unknown role, person or department \"gm\""},
      {13, 38, "deadlines.escalate.to: \"desk\" is listed twice"},
      {14, 26, "deadlines.escalate.to: unknown role, person or department \"nobody\""}}},
    {"err_bad_durations",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2 hours, met_by: note}\n"
            "  - {name: b, within: 0h, met_by: note}\n"
            "  - {name: c, within: 367 working days, met_by: note}\n"
            "  - {name: d, every: 30, met_by: note}\n",
     {{8, 23, "deadlines.within: "},
      {9, 23, "deadlines.within: \"0h\": must be positive"},
      {10, 23, "deadlines.within: \"367 working days\": at most 366 working days"},
      {11, 22, "deadlines.every: "}}},
    {"err_every_working_days",
     S_HEAD "deadlines:\n"
            "  - {name: b, every: 1 working day, met_by: note}\n"
            "  - {name: c, every: 30s, met_by: note}\n",
     {{8, 22, "deadlines.every: \"1 working day\" counts working days"},
      {9, 22, "deadlines.every: \"30s\" is too short; at least 1m"}}},
    {"err_within_and_every",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2h, every: 30m, met_by: note}\n"
            "  - {name: b, met_by: note}\n",
     {{8, 27,
       "deadlines: give either within (a single deadline) or every (a recurring one), "
       "not both"},
      {9, 5,
       "deadlines: within (such as 2h, 4 business hours, 2 working days) or every (such "
       "as 30m) is required"}}},
    {"err_until",
     S_HEAD "deadlines:\n"
            "  - {name: a, every: 30m, until: done, met_by: note}\n"
            "  - {name: b, within: 2h, until: closed, met_by: note}\n",
     {{8, 34,
       "deadlines.until: unknown status \"done\"; expected registered, confirmed, "
       "assigned, investigating, resolution_proposed, approved, replied, followup or "
       "closed"},
      {9, 27, "deadlines.until: only a recurring deadline (every) has until"}}},
    {"err_warn_at",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2h, warn_at: [0, 50, 100, 50, x], met_by: note}\n"
            "  - {name: b, within: 2h, warn_at: {at: 80}, met_by: note}\n",
     {{8, 37, "deadlines.warn_at: 0 is out of range 1..99"},
      {8, 44, "deadlines.warn_at: 100 is out of range 1..99"},
      {8, 49, "deadlines.warn_at: 50 is listed twice"},
      {8, 53, "deadlines.warn_at: expected a whole percentage from 1 to 99"},
      {9, 36, "deadlines.warn_at: expected a percentage or a list of them"}}},
    {"err_met_by",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2h, met_by: [visit, call, visit]}\n"
            "  - {name: b, within: 2h}\n",
     {{8, 43,
       "deadlines.met_by: unknown operation \"call\"; expected note, visit, reply, "
       "report or close"},
      {8, 49, "deadlines.met_by: \"visit\" is listed twice"},
      {9, 5, "deadlines: met_by is required"}}},
    {"err_after_on_first_level",
     S_HEAD "deadlines:\n"
            "  - name: a\n"
            "    within: 2h\n"
            "    met_by: note\n"
            "    escalate:\n"
            "      - {after: 30m, to: head}\n"
            "      - {to: ann}\n"
            "      - {after: 2 business hours, to: desk}\n",
     {{12, 10, "deadlines.escalate: the first level has no after"},
      {13, 9, "deadlines.escalate: level 2 needs after, the wait after level 1"},
      {14, 17, "deadlines.escalate.after: \"2 business hours\" is not real time"}}},
    {"err_escalate_shape",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2h, met_by: note, escalate: []}\n"
            "  - {name: b, within: 2h, met_by: note, escalate: [{after: 1h}]}\n"
            "  - {name: c, within: 2h, met_by: note, escalate: [{to: head, cc: ann}]}\n"
            "  - {name: d, within: 2h, met_by: note, escalate: head}\n",
     {{8, 51, "deadlines.escalate: the list is empty; give at least one level"},
      {9, 52, "deadlines.escalate: to is required"},
      {9, 53, "deadlines.escalate: the first level has no after"},
      {10, 63, "deadlines.escalate: unknown key \"cc\"; expected to, after"},
      {11, 51, "deadlines.escalate: expected a list of levels such as [{to: [regional_head]}"}}},
    {"err_keys_and_values",
     S_HEAD "deadlines:\n"
            "  - {name: a, within: 2h, met_by: note, pausable: maybe, due: 2h}\n"
            "  - {within: 2h, met_by: note, name: 1abc}\n"
            "  - just a string\n",
     {{8, 51, "deadlines.pausable: expected true or false"},
      {8, 58, "deadlines: unknown key \"due\"; expected name, label, when, calendar, within"},
      {9, 38, "deadlines.name: \"1abc\" is not a valid id"},
      {10, 5, "deadlines: expected a mapping"}}},
    {"err_when",
     S_HEAD "deadlines:\n"
            "  - {name: a, when: {kind: complain}, within: 2h, met_by: note}\n"
            "  - {name: b, when: {tags: vip}, within: 2h, met_by: note}\n"
            "  - {name: c, when: {severity: urgent}, within: 2h, met_by: note}\n",
     {{8, 28, "kind: unknown kind \"complain\""},
      {9, 28, "tags: unknown tag \"vip\""},
      {10, 32, "severity: unknown severity \"urgent\""}}},
    {"err_section_shape",
     S_HEAD "deadlines: {name: a}\n",
     {{7, 12, "deadlines: expected a list of entries"}}},
    /* Calendar and deadline errors are reported together, in file order;
     * with broken calendars, calendar names in deadlines are not checked
     * (they could only be wrong because of the calendar errors). */
    {"err_calendar_and_deadline_in_file_order",
     "directory: {departments: [{id: desk}]}\n"
     "routing: [{department: desk}]\n"
     "deadlines:\n"
     "  - {name: a, calendar: late, within: 2h, met_by: nope}\n"
     "calendars:\n"
     "  - {id: late, workweek: [mon, funday]}\n"
     "calendar: {hours: \"18:00-09:00\"}\n",
     {{4, 51, "deadlines.met_by: unknown operation \"nope\""},
      {6, 32, "calendars[late].workweek: \"funday\" is not a day"},
      {7, 19, "calendar.hours: \"18:00-09:00\" ends before it starts"}}},
};

static void s_test_error_case(void **state)
{
    const s_error_case_t *c = *state;
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(c->yaml, strlen(c->yaml), "dl.yaml", &errs);
    size_t n = 0;
    while (c->want[n].fragment) {
        n++;
    }
    bool ok = !cfg && errs.count == n;
    for (size_t i = 0; ok && i < n; i++) {
        const pl_err_t *e = &errs.items[i];
        ok = e->code == PL_ECONFIG && e->line == c->want[i].line &&
             e->column == c->want[i].column && strstr(e->message, c->want[i].fragment) &&
             strcmp(e->file, "dl.yaml") == 0;
    }
    if (!ok) {
        print_error("%s: expected %zu error(s):\n", c->name, n);
        for (size_t i = 0; i < n; i++) {
            print_error("  %d:%d %s\n", c->want[i].line, c->want[i].column, c->want[i].fragment);
        }
        print_error("got %zu:\n", errs.count);
        s_print_errors(&errs);
        pl_config_destroy(&cfg);
        pl_errlist_free(&errs);
        fail();
    }
    pl_errlist_free(&errs);
}

/* ---- computing: fixed receipt instants, expected due and warning instants ----------------- */

typedef struct {
    const char *name;    /* NULL ends the list */
    const char *due_at;  /* RFC 3339 UTC */
    const char *warn_at; /* the first warning, or NULL for none */
} s_want_dl_t;

typedef struct {
    const char *name;
    const char *yaml; /* NULL: the shipped config/plaint.yaml */
    const char *event;
    s_want_dl_t want[8]; /* exactly these deadlines, in this order */
} s_compute_case_t;

/* A calendar with a lunch break, the 2026 National Day week and its
 * make-up Saturday, and deadlines selected by every kind of condition. */
static const char s_custom[] =
    "intake: {kinds: [complaint, feedback]}\n"
    "directory:\n"
    "  departments: [{id: desk}]\n"
    "  roles: [{id: head}, {id: boss}]\n"
    "  people: [{id: ann, roles: [head]}, {id: bob, roles: [boss]}]\n"
    "categories:\n"
    "  - {id: quality, severity: high, match: {keywords: [漏水]}}\n"
    "  - {id: other}\n"
    "classify: {default_category: other}\n"
    "tags:\n"
    "  - {id: urgent, match: {keywords: [加急]}}\n"
    "routing: [{department: desk}]\n"
    "calendar:\n"
    "  hours: [\"09:00-12:00\", \"13:00-18:00\"]\n"
    "  holidays: [\"2026-10-01..2026-10-07\"]\n"
    "  workdays: [\"2026-10-10\"]\n"
    "calendars:\n"
    "  - {id: always, workweek: [mon, tue, wed, thu, fri, sat, sun], hours: \"00:00-24:00\"}\n"
    "deadlines:\n"
    "  - {name: every_case, within: 2h, warn_at: [50], met_by: close}\n"
    "  - {name: quality, when: {category: quality}, within: 4 business hours, warn_at: [50],\n"
    "     met_by: visit}\n"
    "  - {name: severe, when: {min_severity: high}, within: 1 working day, warn_at: [25, 75],\n"
    "     met_by: report}\n"
    "  - {name: urgent, when: {tags: urgent}, calendar: always, within: 4 business hours,\n"
    "     warn_at: [75], met_by: reply}\n"
    "  - {name: feedback, when: {kind: feedback}, every: 1h, until: replied, met_by: reply}\n"
    "  - {name: keyword, when: {keywords: [律师]}, within: 30m, met_by: report}\n";

static const s_compute_case_t s_compute_cases[] = {
    /* R16 across the National Day week: received Wednesday 17:00; the day of
     * receipt never counts, 10-01..10-07 are holidays, so Thursday 10-08 is
     * the 1st working day and Friday 10-09 the 2nd, closing at 18:00. The
     * 80% warning: 17 working hours lie between (1 + 8 + 8), 13h36m of them
     * have passed at 10-09 14:36. */
    {"compute_shipped_national_day",
     NULL,
     "{\"event_id\": \"e1\", \"kind\": \"complaint\", \"content\": \"门把手松动了\","
     " \"received_at\": \"2026-09-30T17:00:00+08:00\"}",
     {{"first_report", "2026-09-30T11:00:00Z", "2026-09-30T10:36:00Z"},
      {"site_visit", "2026-10-09T10:00:00Z", "2026-10-09T06:36:00Z"},
      {"progress_report", "2026-09-30T09:30:00Z", "2026-09-30T09:24:00Z"}}},
    /* A weekend: received Friday 10:00 -> Monday 1st, Tuesday 2nd. Between:
     * 7 + 8 + 8 = 23 working hours; 80% = 18h24m -> Tuesday 13:24. */
    {"compute_shipped_weekend",
     NULL,
     "{\"event_id\": \"e2\", \"kind\": \"complaint\", \"content\": \"门把手松动了\","
     " \"received_at\": \"2026-11-27T10:00:00+08:00\"}",
     {{"first_report", "2026-11-27T04:00:00Z", "2026-11-27T03:36:00Z"},
      {"site_visit", "2026-12-01T10:00:00Z", "2026-12-01T05:24:00Z"},
      {"progress_report", "2026-11-27T02:30:00Z", "2026-11-27T02:24:00Z"}}},
    /* Received at night, Friday 23:30: no working time left that day; R17's
     * 2 hours run through the night (calendar always); the progress report
     * counts working minutes: Monday 09:30. */
    {"compute_shipped_friday_night",
     NULL,
     "{\"event_id\": \"e3\", \"kind\": \"complaint\", \"content\": \"门把手松动了\","
     " \"received_at\": \"2026-11-27T23:30:00+08:00\"}",
     {{"first_report", "2026-11-27T17:30:00Z", "2026-11-27T17:06:00Z"},
      {"site_visit", "2026-12-01T10:00:00Z", "2026-12-01T06:48:00Z"},
      {"progress_report", "2026-11-30T01:30:00Z", "2026-11-30T01:24:00Z"}}},
    /* A make-up working day: received Friday 10-09; Saturday 10-10 is a
     * working day (调休), so it is the 1st and Monday 10-12 the 2nd. */
    {"compute_shipped_makeup_saturday",
     NULL,
     "{\"event_id\": \"e4\", \"kind\": \"complaint\", \"content\": \"门把手松动了\","
     " \"received_at\": \"2026-10-09T10:00:00+08:00\"}",
     {{"first_report", "2026-10-09T04:00:00Z", "2026-10-09T03:36:00Z"},
      {"site_visit", "2026-10-12T10:00:00Z", "2026-10-12T05:24:00Z"},
      {"progress_report", "2026-10-09T02:30:00Z", "2026-10-09T02:24:00Z"}}},
    /* The Mid-Autumn Festival (Friday 09-25 to Sunday 09-27): received
     * Thursday 15:00 -> Monday 09-28 1st, Tuesday 09-29 2nd. Between: 3 + 8
     * + 8 = 19 h; 80% = 15h12m -> Tuesday 14:12. */
    {"compute_shipped_mid_autumn",
     NULL,
     "{\"event_id\": \"e5\", \"kind\": \"complaint\", \"content\": \"门把手松动了\","
     " \"received_at\": \"2026-09-24T15:00:00+08:00\"}",
     {{"first_report", "2026-09-24T09:00:00Z", "2026-09-24T08:36:00Z"},
      {"site_visit", "2026-09-29T10:00:00Z", "2026-09-29T06:12:00Z"},
      {"progress_report", "2026-09-24T07:30:00Z", "2026-09-24T07:24:00Z"}}},
    /* R17: a wrong shipment (tag reply_24h) also gets the 24-hour reply. */
    {"compute_shipped_wrong_item_reply",
     NULL,
     "{\"event_id\": \"e6\", \"kind\": \"complaint\", \"content\": \"你们发错货了，型号发错\","
     " \"received_at\": \"2026-11-27T10:00:00+08:00\"}",
     {{"first_report", "2026-11-27T04:00:00Z", "2026-11-27T03:36:00Z"},
      {"site_visit", "2026-12-01T10:00:00Z", "2026-12-01T05:24:00Z"},
      {"reply", "2026-11-28T02:00:00Z", "2026-11-27T21:12:00Z"},
      {"progress_report", "2026-11-27T02:30:00Z", "2026-11-27T02:24:00Z"}}},
    /* Information feedback is not a complaint: no deadline applies. */
    {"compute_shipped_feedback_none",
     NULL,
     "{\"event_id\": \"e7\", \"kind\": \"feedback\", \"content\": \"希望能增加一个颜色\","
     " \"received_at\": \"2026-11-27T10:00:00+08:00\"}",
     {{NULL, NULL, NULL}}},
    /* Business hours over a weekend: Friday 16:00 + 4 business hours ->
     * Monday 11:00; half of them have passed at the close of Friday. */
    {"compute_business_hours_weekend",
     s_custom,
     "{\"event_id\": \"e8\", \"kind\": \"complaint\", \"content\": \"厨房漏水\","
     " \"received_at\": \"2026-11-27T16:00:00+08:00\"}",
     {{"every_case", "2026-11-27T10:00:00Z", "2026-11-27T09:00:00Z"},
      {"quality", "2026-11-30T03:00:00Z", "2026-11-27T10:00:00Z"},
      /* 1 working day: Monday 18:00; 2 + 8 = 10 h between: 25% = 2h30m
       * (Monday 09:30), 75% = 7h30m (Monday 15:30). */
      {"severe", "2026-11-30T10:00:00Z", "2026-11-30T01:30:00Z"}}},
    /* The lunch break does not count: Tuesday 11:00 + 4 business hours ->
     * 16:00; 50% = 2 h -> 14:00. The tag selects `urgent`, counted round
     * the clock (calendar always): 4 h later, 75% at 3 h. */
    {"compute_lunch_break_and_tags",
     s_custom,
     "{\"event_id\": \"e9\", \"kind\": \"complaint\", \"content\": \"厨房漏水，加急\","
     " \"received_at\": \"2026-12-01T11:00:00+08:00\"}",
     {{"every_case", "2026-12-01T05:00:00Z", "2026-12-01T04:00:00Z"},
      {"quality", "2026-12-01T08:00:00Z", "2026-12-01T06:00:00Z"},
      {"severe", "2026-12-02T10:00:00Z", "2026-12-01T07:30:00Z"},
      {"urgent", "2026-12-01T07:00:00Z", "2026-12-01T06:00:00Z"}}},
    /* Before the National Day week, in business hours: Wednesday 09-30
     * 17:00 + 4 business hours -> 1 h that day, then 3 h on Thursday
     * 10-08 -> 12:00 (the close of the morning span, not 13:00). */
    {"compute_business_hours_holiday",
     s_custom,
     "{\"event_id\": \"e10\", \"kind\": \"complaint\", \"content\": \"厨房漏水\","
     " \"received_at\": \"2026-09-30T17:00:00+08:00\"}",
     {{"every_case", "2026-09-30T11:00:00Z", "2026-09-30T10:00:00Z"},
      {"quality", "2026-10-08T04:00:00Z", "2026-10-08T02:00:00Z"},
      /* 1 working day: Thursday 18:00; 1 + 8 = 9 h between, 25% = 2h15m. */
      {"severe", "2026-10-08T10:00:00Z", "2026-10-08T02:15:00Z"}}},
    /* Kind and keywords select; a recurring deadline's first due instant is
     * one period after receipt; without warn_at there is no warning. */
    {"compute_kind_and_keywords",
     s_custom,
     "{\"event_id\": \"e11\", \"kind\": \"feedback\", \"content\": \"我会找律师\","
     " \"received_at\": \"2026-12-01T11:00:00+08:00\"}",
     {{"every_case", "2026-12-01T05:00:00Z", "2026-12-01T04:00:00Z"},
      {"feedback", "2026-12-01T04:00:00Z", NULL},
      {"keyword", "2026-12-01T03:30:00Z", NULL}}},
};

static void s_test_compute_case(void **state)
{
    const s_compute_case_t *c = *state;
    pl_config_t *cfg = c->yaml ? s_load(c->yaml) : s_load_shipped();
    pl_event_t *ev = s_event(cfg, c->event);
    json_t *list = s_deadlines(cfg->rules, ev);
    size_t n = 0;
    while (c->want[n].name) {
        n++;
    }
    bool ok = json_array_size(list) == n;
    for (size_t i = 0; ok && i < n; i++) {
        const json_t *item = json_array_get(list, i);
        const json_t *warn_at = json_object_get(item, "warn_at");
        ok = strcmp(s_str(item, "name"), c->want[i].name) == 0 && s_str(item, "due_at") &&
             strcmp(s_str(item, "due_at"), c->want[i].due_at) == 0 &&
             (c->want[i].warn_at ? json_string_value(json_array_get(warn_at, 0)) &&
                                       strcmp(json_string_value(json_array_get(warn_at, 0)),
                                              c->want[i].warn_at) == 0
                                 : json_array_size(warn_at) == 0);
    }
    if (!ok) {
        print_error("%s: expected:\n", c->name);
        for (size_t i = 0; i < n; i++) {
            print_error("  %s due %s warn %s\n", c->want[i].name, c->want[i].due_at,
                        c->want[i].warn_at ? c->want[i].warn_at : "-");
        }
        print_error("got:\n");
        s_dump(list);
    }
    json_decref(list);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
    assert_true(ok);
}

/* ---- recurring in working time ----------------------------------------------------------- */

/* "every: 30 business minutes" counts only working time: received at 17:45
 * on a Friday (09:00-18:00, Monday to Friday), the first report is due at
 * 09:15 on Monday, warned at 80 % = 24 working minutes: 09:09 Monday. Met
 * at 17:50 that Monday, it is due again at 09:20 Tuesday. */
static void test_every_business(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load("directory:\n"
                              "  departments: [{id: desk}]\n"
                              "  roles: [{id: head}]\n"
                              "  people: [{id: ann, roles: [head]}]\n"
                              "routing: [{department: desk}]\n"
                              "calendar: {timezone: Asia/Shanghai, hours: \"09:00-18:00\"}\n"
                              "deadlines:\n"
                              "  - {name: progress, every: 30 business minutes, until: closed,\n"
                              "     warn_at: [80], met_by: note, pausable: true}\n"
                              "  - {name: tick, every: 30m, met_by: note}\n");
    pl_event_t *ev = s_event(cfg, "{\"event_id\": \"b1\", \"kind\": \"complaint\","
                                  " \"content\": \"x\","
                                  " \"received_at\": \"2026-11-27T17:45:00+08:00\"}");
    json_t *list = s_deadlines(cfg->rules, ev);
    assert_int_equal(json_array_size(list), 2);
    const json_t *p = json_array_get(list, 0);
    assert_string_equal(s_str(p, "clock"), "business");
    assert_int_equal(json_integer_value(json_object_get(p, "every_s")), 1800);
    assert_string_equal(s_str(p, "due_at"), "2026-11-30T01:15:00Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "warn_at"), 0)),
                        "2026-11-30T01:09:00Z");
    const json_t *t = json_array_get(list, 1);
    assert_string_equal(s_str(t, "clock"), "real");
    assert_string_equal(s_str(t, "due_at"), "2026-11-27T10:15:00Z");

    /* Re-armed when met at 17:50 on Monday: only the working-time one. */
    json_t *rearm = pl_rules_rearm(cfg->rules, s_time("2026-11-30T17:50:00+08:00"));
    assert_non_null(rearm);
    assert_int_equal(json_object_size(rearm), 1);
    const json_t *r = json_object_get(rearm, "progress");
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "due_us")),
                     s_time("2026-12-01T09:20:00+08:00"));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(r, "warn_us"), 0)),
                     s_time("2026-12-01T09:14:00+08:00"));
    json_decref(rearm);
    json_decref(list);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
}

/* ---- the JSON form of one deadline -------------------------------------------------------- */

static void test_json_shape(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load_shipped();
    pl_event_t *ev = s_event(cfg, "{\"event_id\": \"j1\", \"kind\": \"complaint\","
                                  " \"content\": \"门把手松动了\","
                                  " \"received_at\": \"2026-11-27T10:00:00+08:00\"}");
    json_t *list = s_deadlines(cfg->rules, ev);
    assert_int_equal(json_array_size(list), 3);

    const json_t *site = json_array_get(list, 1);
    json_t *want = json_loads(
        "{\"name\": \"site_visit\", \"label\": \"2个工作日内上门或现场沟通并判定责任 (R16)\","
        " \"calendar\": \"default\", \"clock\": \"working_days\", \"within\": \"2 working days\","
        " \"every_s\": 0, \"until\": null, \"start\": \"2026-11-27T02:00:00Z\","
        " \"due_at\": \"2026-12-01T10:00:00Z\", \"warn_pct\": [80],"
        " \"warn_at\": [\"2026-12-01T05:24:00Z\"], \"met_by\": [\"visit\"], \"pausable\": true,"
        " \"chain\": [{\"level\": 1, \"to\": [\"regional_head\"], \"after_s\": 0},"
        "             {\"level\": 2, \"to\": [\"sales_manager\"], \"after_s\": 14400},"
        "             {\"level\": 3, \"to\": [\"vp_marketing\"], \"after_s\": 28800},"
        "             {\"level\": 4, \"to\": [\"general_manager\"], \"after_s\": 86400}],"
        " \"status\": \"pending\", \"level\": 0, \"why\": \"when kind is \\\"complaint\\\"\"}",
        0, NULL);
    assert_non_null(want);
    assert_non_null(
        json_object_set_new(want, "rules_version", json_string(cfg->version)) == 0 ? want : NULL);
    if (!json_equal(site, want)) {
        print_error("expected:\n");
        s_dump(want);
        print_error("got:\n");
        s_dump(site);
        fail();
    }
    json_decref(want);

    const json_t *first = json_array_get(list, 0);
    assert_string_equal(s_str(first, "name"), "first_report");
    assert_string_equal(s_str(first, "calendar"), "always");
    assert_string_equal(s_str(first, "clock"), "real");
    assert_string_equal(s_str(first, "within"), "2h");
    assert_false(json_is_true(json_object_get(first, "pausable")));
    const json_t *chain = json_object_get(first, "chain");
    assert_int_equal(json_array_size(chain), 1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(chain, 0), "to"), 0)),
        "general_manager");

    const json_t *progress = json_array_get(list, 2);
    assert_string_equal(s_str(progress, "name"), "progress_report");
    assert_true(json_is_null(json_object_get(progress, "within")));
    assert_int_equal(json_integer_value(json_object_get(progress, "every_s")), 1800);
    assert_string_equal(s_str(progress, "until"), "closed");
    assert_string_equal(s_str(progress, "clock"), "business"); /* working minutes */
    chain = json_object_get(progress, "chain");
    assert_int_equal(json_array_size(chain), 4);
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(json_integer_value(json_object_get(json_array_get(chain, i), "after_s")),
                         1800);
    }
    json_decref(list);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
}

/* A deadline without `when` says so; a label defaults to the name, the
 * calendar to "default"; business hours are written back as parsed. */
static void test_json_defaults(void **state)
{
    (void)state;
    pl_config_t *cfg =
        s_load("directory: {departments: [{id: desk}]}\n"
               "routing: [{department: desk}]\n"
               "deadlines:\n"
               "  - {name: any, within: 90 business minutes, met_by: [close, note],\n"
               "     warn_at: [90, 10, 50]}\n");
    assert_int_equal(pl_rules_deadline_count(cfg->rules), 1);
    pl_event_t *ev = s_event(cfg, "{\"event_id\": \"d1\", \"content\": \"x\","
                                  " \"received_at\": \"2026-12-01T09:00:00+08:00\"}");
    json_t *list = s_deadlines(cfg->rules, ev);
    const json_t *item = json_array_get(list, 0);
    assert_string_equal(s_str(item, "label"), "any");
    assert_string_equal(s_str(item, "calendar"), "default");
    assert_string_equal(s_str(item, "clock"), "business");
    assert_string_equal(s_str(item, "within"), "90 business minutes");
    assert_string_equal(s_str(item, "why"), "every case (no when)");
    assert_string_equal(s_str(item, "due_at"), "2026-12-01T02:30:00Z");
    /* Percentages are sorted; met_by is in the documented order. */
    json_t *want_pct = json_pack("[i, i, i]", 10, 50, 90);
    assert_true(json_equal(json_object_get(item, "warn_pct"), want_pct));
    json_decref(want_pct);
    json_t *want_ops = json_pack("[s, s]", "note", "close");
    assert_true(json_equal(json_object_get(item, "met_by"), want_ops));
    json_decref(want_ops);
    const json_t *warn_at = json_object_get(item, "warn_at");
    assert_string_equal(json_string_value(json_array_get(warn_at, 0)), "2026-12-01T01:09:00Z");
    assert_string_equal(json_string_value(json_array_get(warn_at, 1)), "2026-12-01T01:45:00Z");
    assert_string_equal(json_string_value(json_array_get(warn_at, 2)), "2026-12-01T02:21:00Z");
    assert_int_equal(json_array_size(json_object_get(item, "chain")), 0);
    json_decref(list);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
}

/* ---- pauses ------------------------------------------------------------------------------- */

static void test_extend(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load_shipped();
    const pl_calendar_t *cal = pl_calendars_get(cfg->calendars, NULL);
    assert_non_null(cal);
    pl_usec_t due = s_time("2026-12-01T10:00:00Z"); /* Tuesday 18:00 */
    /* Real time: the whole pause is added. */
    assert_int_equal(pl_deadline_extend(NULL, PL_DURATION_REAL, due, s_time("2026-11-28T00:00:00Z"),
                                        s_time("2026-11-28T03:00:00Z")),
                     due + 3 * PL_USEC_PER_HOUR);
    /* A pause over the weekend costs no working time. */
    assert_int_equal(pl_deadline_extend(cal, PL_DURATION_WORKING_DAYS, due,
                                        s_time("2026-11-27T10:00:00Z"),
                                        s_time("2026-11-30T01:00:00Z")),
                     due);
    /* Paused for the whole of Monday (8 working hours): due moves to the
     * close of Wednesday. */
    assert_int_equal(pl_deadline_extend(cal, PL_DURATION_WORKING_DAYS, due,
                                        s_time("2026-11-30T00:00:00Z"),
                                        s_time("2026-11-30T12:00:00Z")),
                     s_time("2026-12-02T10:00:00Z"));
    /* Two working hours (Monday 16:00-18:00) in business time: Wednesday 11:00. */
    assert_int_equal(pl_deadline_extend(cal, PL_DURATION_BUSINESS, due,
                                        s_time("2026-11-30T08:00:00Z"),
                                        s_time("2026-11-30T10:00:00Z")),
                     s_time("2026-12-02T03:00:00Z"));
    /* Nothing to add, or nothing to add to. */
    assert_int_equal(pl_deadline_extend(cal, PL_DURATION_BUSINESS, due, due, due - 1), due);
    assert_int_equal(pl_deadline_extend(NULL, PL_DURATION_BUSINESS, due, 0, 1), PL_CALENDAR_NEVER);
    assert_int_equal(pl_deadline_extend(cal, PL_DURATION_REAL, PL_CALENDAR_NEVER, 0, 1),
                     PL_CALENDAR_NEVER);
    assert_int_equal(pl_deadline_extend(NULL, PL_DURATION_REAL, INT64_MAX - 1, 0, 10),
                     PL_CALENDAR_NEVER);
    pl_config_destroy(&cfg);
}

/* ---- calendars in the config and the snapshot -------------------------------------------- */

static void test_calendars_in_config(void **state)
{
    (void)state;
    /* The defaults hold the built-in calendar and no deadlines. */
    pl_config_t *cfg = pl_config_new_default();
    assert_non_null(cfg);
    assert_non_null(cfg->calendars);
    assert_ptr_equal(cfg->calendars, pl_rules_calendars(cfg->rules));
    assert_int_equal(pl_calendars_count(cfg->calendars), 1);
    assert_int_equal(pl_rules_deadline_count(cfg->rules), 0);
    pl_config_destroy(&cfg);

    /* So does a file without `calendar`. */
    cfg = s_load("log: {level: warn}\n");
    assert_non_null(cfg->calendars);
    assert_string_equal(pl_calendar_id(pl_calendars_at(cfg->calendars, 0)), "default");
    pl_config_destroy(&cfg);

    /* The shipped file: the default calendar with the 2026 holidays and
     * make-up days, and `always`. */
    cfg = s_load_shipped();
    assert_int_equal(pl_calendars_count(cfg->calendars), 2);
    const pl_calendar_t *def = pl_calendars_get(cfg->calendars, "default");
    const pl_calendar_t *always = pl_calendars_get(cfg->calendars, "always");
    assert_non_null(def);
    assert_non_null(always);
    assert_int_equal(pl_calendar_last_listed_year(def), 2026);
    int64_t national_day = pl_time_days_from_civil(2026, 10, 1);
    int64_t makeup = pl_time_days_from_civil(2026, 10, 10);
    assert_false(pl_calendar_is_working_day(def, national_day));
    assert_true(pl_calendar_is_working_day(def, makeup));
    assert_true(pl_calendar_is_working_day(always, national_day));
    assert_int_equal(pl_rules_deadline_count(cfg->rules), 4);

    /* The snapshot keeps the calendars after the config is gone. */
    const pl_rules_t *rules = pl_rules_ref(cfg->rules);
    pl_config_destroy(&cfg);
    assert_ptr_equal(pl_calendars_get(pl_rules_calendars(rules), "always"), always);
    pl_config_t *tmp = s_load("intake: {kinds: [complaint]}\n");
    pl_event_t *ev = s_event(tmp, "{\"event_id\": \"r1\", \"kind\": \"complaint\","
                                  " \"content\": \"x\","
                                  " \"received_at\": \"2026-11-27T10:00:00+08:00\"}");
    json_t *list = s_deadlines(rules, ev);
    assert_int_equal(json_array_size(list), 3);
    json_decref(list);
    pl_event_destroy(&ev);
    pl_config_destroy(&tmp);
    pl_rules_unref(&rules);
}

/* pl_rules_load_yaml without calendars makes the built-in default for a
 * file with deadlines, and none without. */
static void test_rules_without_calendars(void **state)
{
    (void)state;
    static const char yaml[] = "directory: {departments: [{id: desk}]}\n"
                               "routing: [{department: desk}]\n"
                               "deadlines: [{name: a, within: 1 working day, met_by: close}]\n";
    pl_err_t err;
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, strlen(yaml), "r.yaml", &err);
    assert_non_null(doc);
    pl_rules_t *rules = pl_rules_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL, NULL);
    assert_non_null(rules);
    assert_non_null(pl_rules_calendars(rules));
    const pl_rules_t *r = rules;
    pl_rules_unref(&r);
    pl_yaml_doc_destroy(&doc);

    static const char plain[] = "directory: {departments: [{id: desk}]}\n"
                                "routing: [{department: desk}]\n";
    doc = pl_yaml_load_buffer(plain, strlen(plain), "r.yaml", &err);
    assert_non_null(doc);
    rules = pl_rules_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL, NULL);
    assert_non_null(rules);
    assert_null(pl_rules_calendars(rules));
    r = rules;
    pl_rules_unref(&r);
    pl_yaml_doc_destroy(&doc);
}

static void test_lists(void **state)
{
    (void)state;
    assert_int_equal(pl_deadline_op_index("visit"), 1);
    assert_int_equal(pl_deadline_op_index("call"), -1);
    assert_int_equal(pl_deadline_op_index(NULL), -1);
    assert_int_equal(pl_deadline_status_index("registered"), 0);
    assert_int_equal(pl_deadline_status_index("closed"), 8);
    assert_int_equal(pl_deadline_status_index("done"), -1);
}

/* ---- one snapshot, several threads --------------------------------------------------------- */

typedef struct {
    const pl_rules_t *rules;
    pl_event_t *ev;
    const char *expected; /* the compact JSON text */
    int failures;
} s_thread_arg_t;

static void *s_thread(void *p)
{
    s_thread_arg_t *arg = p;
    for (int i = 0; i < 200; i++) {
        pl_classification_t cls = {0};
        if (pl_rules_classify(arg->rules, arg->ev, true, &cls) != 0) {
            arg->failures++;
            continue;
        }
        json_t *list = pl_rules_deadlines(arg->rules, arg->ev, &cls, pl_event_received_at(arg->ev));
        char *text = list ? json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        arg->failures += !text || strcmp(text, arg->expected) != 0;
        free(text);
        json_decref(list);
        pl_classification_clear(&cls);
    }
    return NULL;
}

static void test_threads_share_snapshot(void **state)
{
    (void)state;
    pl_config_t *cfg = s_load_shipped();
    pl_event_t *ev = s_event(cfg, "{\"event_id\": \"t1\", \"kind\": \"complaint\","
                                  " \"content\": \"你们发错货了，型号发错\","
                                  " \"received_at\": \"2026-09-30T17:00:00+08:00\"}");
    json_t *list = s_deadlines(cfg->rules, ev);
    char *expected = json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(list);
    enum { T = 4 };
    pthread_t threads[T];
    s_thread_arg_t args[T];
    for (int t = 0; t < T; t++) {
        args[t] = (s_thread_arg_t){cfg->rules, ev, expected, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, s_thread, &args[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(threads[t], NULL);
        assert_int_equal(args[t].failures, 0);
    }
    free(expected);
    pl_event_destroy(&ev);
    pl_config_destroy(&cfg);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_json_defaults),
        cmocka_unit_test(test_extend),
        cmocka_unit_test(test_every_business),
        cmocka_unit_test(test_calendars_in_config),
        cmocka_unit_test(test_rules_without_calendars),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_threads_share_snapshot),
    };
    size_t fixed_count = sizeof fixed / sizeof fixed[0];
    size_t error_count = sizeof s_error_cases / sizeof s_error_cases[0];
    size_t compute_count = sizeof s_compute_cases / sizeof s_compute_cases[0];
    size_t total = fixed_count + error_count + compute_count;
    struct CMUnitTest *tests = calloc(total, sizeof *tests);
    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < error_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + i];
        t->name = s_error_cases[i].name;
        t->test_func = s_test_error_case;
        t->initial_state = (void *)&s_error_cases[i];
    }
    for (size_t i = 0; i < compute_count; i++) {
        struct CMUnitTest *t = &tests[fixed_count + error_count + i];
        t->name = s_compute_cases[i].name;
        t->test_func = s_test_compute_case;
        t->initial_state = (void *)&s_compute_cases[i];
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("deadlines", tests, total, NULL, NULL);
    free(tests);
    return failed == 0 ? 0 : 1;
}
