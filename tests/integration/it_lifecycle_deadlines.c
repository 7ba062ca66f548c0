/*
 * it_lifecycle_deadlines: regression tests for the review fixes of commit
 * 58bb0d7 where the lifecycle (docs/lifecycle.md) meets the deadlines
 * (docs/protocol.md, "Case operations"), through the real plaintd, ZeroMQ
 * and PostgreSQL. Each test failed on the code before that commit.
 *
 *   until_ends_breached     a recurring deadline `until: replied` that is
 *                           already breached (and one met by reply) ends
 *                           when the case is replied: cancelled, not
 *                           re-armed, and its chain escalates no further
 *   close_meets             close meets the deadlines whose met_by lists
 *                           close (recurring too) and cancels the others
 *   reject_cancels_approval reject cancels the `approval` deadline; a new
 *                           proposal starts it again; a proposal that needs
 *                           nobody (after a reload) cancels it
 *   rearm_keeps_pause       a paused recurring deadline re-armed by its
 *                           operation stays paused, and its pause counts
 *                           from the re-arming: resumed, it is due one
 *                           period later, not that plus the whole pause
 *   close_ends_pause        a closed case is no longer paused: reopened,
 *                           it may be paused again, and resume touches no
 *                           cancelled deadline
 *   four_eyes               the proposer may not approve; one person may
 *                           not approve two levels of one proposal
 *   propose_again           a proposal still waiting may be replaced: the
 *                           pending levels are superseded, the new one
 *                           starts at level 1
 *   old_dates               capa due and followup at before 1970 are
 *                           invalid_value (not internal) and store nothing
 *   escalation_department   R22 escalation moves the case to the
 *                           escalated person's department
 *
 * The list rewrite of the same commit (overdue filter, summary) is covered
 * by it_lifecycle's list_filters.
 *
 * Each test has its own fresh database and plaintd, with a configuration
 * written by s_config. Run one with: it_lifecycle_deadlines NAME
 */
#include "it.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_TIMEOUT_MS 5000

/* ---- small helpers -------------------------------------------------------------------- */

#define S_CHECK_SET(array, words)                                                                  \
    do {                                                                                           \
        if (!it_same_words((array), (words))) {                                                       \
            it_dump(#array, (array));                                                               \
            fprintf(stderr, "expected the set: [%s]\n", (words));                                  \
        }                                                                                          \
        IT_CHECK(it_same_words((array), (words)));                                                    \
    } while (0)

/* 1 when `array` (of strings, or of objects with "name") names `name`. */
static int s_names(const json_t *array, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        const char *s = json_is_string(item) ? json_string_value(item) : it_str(item, "name");
        if (s && strcmp(s, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A number from SQL built with printf-style arguments. */
static long s_q(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long s_q(const char *db, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    IT_CHECK(n > 0 && (size_t)n < sizeof sql);
    return it_sql_long(db, sql);
}

/* A fractional number from SQL. */
static double s_qd(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static double s_qd(const char *db, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    IT_CHECK(n > 0 && (size_t)n < sizeof sql);
    char *text = it_sql(db, sql);
    IT_CHECK(text != NULL && text[0] != '\0');
    double v = strtod(text, NULL);
    free(text);
    return v;
}

/* 1 when the case's deadline `name` exists and `cond` (SQL on `d`) holds for it. */
static int s_dl_is(const char *db, const char *case_no, const char *name, const char *cond)
{
    long n = s_q(db,
                 "SELECT count(*) FROM deadlines d JOIN cases c ON c.id = d.case_id "
                 "WHERE c.case_no = '%s' AND d.name = '%s' AND (%s)",
                 case_no, name, cond);
    if (n != 1) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT row_to_json(d)::text FROM deadlines d JOIN cases c ON c.id = d.case_id "
                 "WHERE c.case_no = '%s' AND d.name = '%s'",
                 case_no, name);
        char *row = it_sql(db, sql);
        fprintf(stderr, "deadline %s of %s: expected %s; the row: %s\n", name, case_no, cond,
                row && row[0] ? row : "(none)");
        free(row);
    }
    return n == 1;
}
#define S_CHECK_DL(db, case_no, name, cond) IT_CHECK(s_dl_is((db), (case_no), (name), (cond)))

/* An SQL expression (on `d`) of the case's deadline `name`, as a number. */
static double s_dl_num(const char *db, const char *case_no, const char *name, const char *expr)
{
    return s_qd(db,
                "SELECT (%s)::double precision FROM deadlines d JOIN cases c ON c.id = d.case_id "
                "WHERE c.case_no = '%s' AND d.name = '%s'",
                expr, case_no, name);
}

/* RFC 3339 in UTC to the second, `ago` seconds before now. */
static void s_iso_ago(long ago, char *buf, size_t size)
{
    time_t t = time(NULL) - ago;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the configuration ---------------------------------------------------------------- */

/*
 * The directory of it_lifecycle, with departments that tell people apart:
 * the sales managers liu (east) and wu (west) are of service and quality,
 * while every case is routed to sales with li. boss holds both roles of the
 * two-level quality approval. `deadlines` and `approvals` are YAML list
 * items (two spaces in), or NULL for no such section: without approvals
 * no proposal needs anybody.
 */
static char *s_config_text(const char *deadlines, const char *approvals)
{
    static const char head[] =
        "# Written by tests/integration/it_lifecycle_deadlines.c\n"
        "log: {level: info}\n"
        "directory:\n"
        "  departments:\n"
        "    - {id: sales, name: 销售部}\n"
        "    - {id: quality, name: 品质部}\n"
        "    - {id: service, name: 客服部}\n"
        "  roles:\n"
        "    - {id: regional_head, name: 区域负责人}\n"
        "    - {id: sales_manager, name: 销售经理}\n"
        "    - {id: vp_marketing, name: 营销副总}\n"
        "    - {id: general_manager, name: 总经理}\n"
        "  people:\n"
        "    - {id: clerk, name: 王芳, department: sales}\n"
        "    - {id: li, name: 李娜, roles: [regional_head], department: sales, region: east}\n"
        "    - {id: wu, name: 吴刚, roles: [sales_manager], department: quality, region: west}\n"
        "    - {id: liu, name: 刘鹏, roles: [sales_manager], department: service, region: east}\n"
        "    - {id: sun, name: 孙丽, roles: [vp_marketing], department: sales}\n"
        "    - {id: gm, name: 郑国华, roles: [general_manager]}\n"
        "    - {id: boss, name: 赵总, roles: [vp_marketing, general_manager], department: sales}\n"
        "routing:\n"
        "  - {id: sales, department: sales, assignee: li}\n"
        "calendars:\n"
        "  - id: 24x7\n"
        "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
        "    hours: \"00:00-24:00\"\n"
        "lifecycle:\n"
        "  escalate_to: sales_manager\n";
    size_t len = strlen(head) + 64 + (deadlines ? strlen(deadlines) : 0) +
                 (approvals ? strlen(approvals) : 0);
    char *text = malloc(len);
    IT_CHECK(text != NULL);
    snprintf(text, len, "%s%s%s%s%s", head, deadlines ? "deadlines:\n" : "",
             deadlines ? deadlines : "", approvals ? "approvals:\n" : "",
             approvals ? approvals : "");
    return text;
}

/* The approval matrix of it_lifecycle's quality and other rules. */
static const char s_matrix[] = "  - name: quality\n"
                               "    when: {responsibility: quality}\n"
                               "    levels: [vp_marketing, general_manager]\n"
                               "  - name: other\n"
                               "    levels: [sales_manager]\n";

typedef struct s_env {
    char *db;
    char *config;
    it_daemon_t d;
} s_env_t;

static void s_start(s_env_t *e, const char *deadlines, const char *approvals)
{
    memset(e, 0, sizeof *e);
    e->db = strdup(it_db_fresh());
    char *text = s_config_text(deadlines, approvals);
    e->config = it_config_checked("lcdl.yaml", text);
    free(text);
    it_daemon_start(&e->d, e->db, e->config, NULL);
}

static void s_stop(s_env_t *e)
{
    it_daemon_stop(&e->d);
    free(e->db);
    free(e->config);
}

/* ---- requests ------------------------------------------------------------------------------ */

static json_t *s_call(const it_daemon_t *d, json_t *request)
{
    return it_call(d, request, S_TIMEOUT_MS);
}

/* Checks a refusal with `code` and `field` (NULL: any). */
static void s_check_refused_(const json_t *reply, const char *code, const char *field,
                             const char *file, int line)
{
    json_t *error = json_object_get(reply, "error");
    int ok = json_is_false(json_object_get(reply, "ok")) && it_str(error, "code") &&
             strcmp(it_str(error, "code"), code) == 0 &&
             (!field || (it_str(error, "field") && strcmp(it_str(error, "field"), field) == 0));
    if (!ok) {
        fprintf(stderr, "%s:%d: expected a refusal %s (field %s)\n", file, line, code,
                field ? field : "any");
        it_dump("reply", reply);
    }
    IT_CHECK(ok);
}
#define s_check_refused(reply, code, field) s_check_refused_(reply, code, field, __FILE__, __LINE__)

/* Submits a complaint (received `ago` seconds ago when ago > 0); returns its number. */
static char *s_submit(const it_daemon_t *d, const char *event_id, const char *content,
                      const char *region, long ago)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event_id", event_id, "source", "it-lcdl",
                           "kind", "complaint", "channel", "phone", "content", content);
    if (region) {
        json_object_set_new(ev, "region", json_string(region));
    }
    if (ago > 0) {
        char at[32];
        s_iso_ago(ago, at, sizeof at);
        json_object_set_new(ev, "received_at", json_string(at));
    }
    json_t *reply = s_call(d, json_pack("{s:s, s:o}", "op", "submit", "event", ev));
    it_check_ok(reply);
    IT_CHECK(it_str(reply, "case_no") != NULL);
    char *case_no = strdup(it_str(reply, "case_no"));
    json_decref(reply);
    return case_no;
}

static json_t *s_get(const it_daemon_t *d, const char *case_no)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:s}", "op", "get", "case_no", case_no));
    it_check_ok(reply);
    json_t *c = json_incref(json_object_get(reply, "case"));
    json_decref(reply);
    IT_CHECK(json_is_object(c));
    return c;
}

/* Operation `op` on `case_no` with `fields` (consumed; NULL: none) and `by` (NULL: none). */
static json_t *s_op(const it_daemon_t *d, const char *case_no, const char *op, const char *by,
                    json_t *fields)
{
    json_t *req = json_pack("{s:s, s:s}", "op", op, "case_no", case_no);
    if (by) {
        json_object_set_new(req, "by", json_string(by));
    }
    if (fields) {
        json_object_update(req, fields);
        json_decref(fields);
    }
    return s_call(d, req);
}

/* `op` must succeed, taking the case from `from` to `to` (reply and get). Returns the reply. */
static json_t *s_step_(const it_daemon_t *d, const char *case_no, const char *op, const char *by,
                       json_t *fields, const char *from, const char *to, const char *file, int line)
{
    json_t *reply = s_op(d, case_no, op, by, fields);
    int ok = json_is_true(json_object_get(reply, "ok")) && it_str(reply, "status") &&
             strcmp(it_str(reply, "status"), to) == 0 && it_str(reply, "previous") &&
             strcmp(it_str(reply, "previous"), from) == 0 &&
             json_is_array(json_object_get(reply, "met")) &&
             json_is_array(json_object_get(reply, "rearmed")) &&
             json_is_array(json_object_get(reply, "cancelled"));
    if (!ok) {
        fprintf(stderr, "%s:%d: %s by %s on %s: expected ok, %s -> %s\n", file, line, op,
                by ? by : "-", case_no, from, to);
        it_dump("reply", reply);
    }
    IT_CHECK(ok);
    json_t *c = s_get(d, case_no);
    IT_CHECK_STR(it_str(c, "status"), to);
    json_decref(c);
    return reply;
}
#define s_step(d, case_no, op, by, fields, from, to)                                               \
    s_step_(d, case_no, op, by, fields, from, to, __FILE__, __LINE__)
#define s_step0(d, case_no, op, by, fields, from, to)                                              \
    json_decref(s_step_(d, case_no, op, by, fields, from, to, __FILE__, __LINE__))

/* A pause or resume (not a transition): must succeed. Returns the reply. */
static json_t *s_pause_op(const it_daemon_t *d, const char *case_no, const char *op,
                          const char *reason)
{
    json_t *reply =
        s_op(d, case_no, op, "li", reason ? json_pack("{s:s}", "reason", reason) : NULL);
    it_check_ok(reply);
    IT_CHECK(json_is_boolean(json_object_get(reply, "paused")));
    return reply;
}

/* The case's deadline `name` in a get (borrowed from c); it must exist. */
static json_t *s_deadline(const json_t *c, const char *name)
{
    size_t i;
    json_t *dl;
    json_array_foreach(json_object_get(c, "deadlines"), i, dl)
    {
        if (it_str(dl, "name") && strcmp(it_str(dl, "name"), name) == 0) {
            return dl;
        }
    }
    fprintf(stderr, "no deadline %s\n", name);
    it_dump("deadlines", json_object_get(c, "deadlines"));
    IT_CHECK(0);
    return NULL;
}

static long s_history_rows(const char *db, const char *case_no)
{
    return s_q(db,
               "SELECT count(*) FROM case_history WHERE case_id = "
               "(SELECT id FROM cases WHERE case_no = '%s')",
               case_no);
}

/* Checks approvals[i] of the case: proposal, level, status, by (NULL: null). */
static void s_check_approval_(const json_t *c, size_t i, int proposal, int level,
                              const char *status, const char *by, const char *file, int line)
{
    json_t *a = json_array_get(json_object_get(c, "approvals"), i);
    int ok = json_is_object(a) && json_integer_value(json_object_get(a, "proposal")) == proposal &&
             json_integer_value(json_object_get(a, "level")) == level && it_str(a, "status") &&
             strcmp(it_str(a, "status"), status) == 0 &&
             (by ? (it_str(a, "by") && strcmp(it_str(a, "by"), by) == 0)
                 : json_is_null(json_object_get(a, "by")));
    if (!ok) {
        fprintf(stderr, "%s:%d: approvals[%zu]: expected proposal %d level %d %s by %s\n", file,
                line, i, proposal, level, status, by ? by : "null");
        it_dump("approvals", json_object_get(c, "approvals"));
    }
    IT_CHECK(ok);
}
#define s_check_approval(c, i, proposal, level, status, by)                                        \
    s_check_approval_(c, i, proposal, level, status, by, __FILE__, __LINE__)

/* From registered (routed to li) to investigating, with a visit finding `resp`. */
static void s_to_investigating(const it_daemon_t *d, const char *no, const char *resp)
{
    s_step0(d, no, "confirm", "clerk", NULL, "registered", "assigned");
    s_step0(d, no, "visit", "li",
            json_pack("{s:s, s:s}", "finding", "上门查看", "responsibility", resp), "assigned",
            "investigating");
}

/* ---- 1. until ends a breached recurring deadline ---------------------------------------- */

static void t_until_ends_breached(void)
{
    s_env_t e;
    s_start(&e,
            "  - name: nag\n"
            "    every: 1m\n"
            "    until: replied\n"
            "    escalate:\n"
            "      - to: [regional_head]\n"
            "      - {after: 2s, to: [sales_manager]}\n"
            "    met_by: [note]\n"
            "  - name: nag_reply\n"
            "    every: 1m\n"
            "    until: replied\n"
            "    escalate:\n"
            "      - to: [regional_head]\n"
            "      - {after: 2s, to: [sales_manager]}\n"
            "    met_by: [reply]\n",
            NULL);
    const it_daemon_t *d = &e.d;
    /* Received 2 minutes ago: both are a minute late, breached at once. */
    char *no = s_submit(d, "ue-1", "热水器漏水，两次催促无人处理", "east", 120);
    long breached = it_sql_wait_long(e.db,
                                     "SELECT count(*) FROM deadlines WHERE status = 'breached' "
                                     "AND level >= 1",
                                     2, 5000);
    IT_CHECK_INT(breached, 2);

    /* To replied; no approvals section: the proposal needs nobody. */
    s_to_investigating(d, no, "other");
    json_t *r = s_step(d, no, "propose", "li", json_pack("{s:s}", "result", "上门更换"),
                       "investigating", "approved");
    IT_CHECK_INT(json_array_size(json_object_get(r, "approvals")), 0);
    json_decref(r);
    r = s_step(d, no, "reply", "li", json_pack("{s:s}", "text", "已安排上门更换"), "approved",
               "replied");
    /* Both end: the breached one by its until, the one met by reply too
     * (re-armed first, then ended: cancelled is what it is). */
    S_CHECK_SET(json_object_get(r, "cancelled"), "nag nag_reply");
    if (s_names(json_object_get(r, "rearmed"), "nag_reply") ||
        s_names(json_object_get(r, "rearmed"), "nag")) {
        it_dump("reply", r);
    }
    IT_CHECK(!s_names(json_object_get(r, "rearmed"), "nag_reply"));
    IT_CHECK(!s_names(json_object_get(r, "rearmed"), "nag"));
    IT_CHECK(!s_names(json_object_get(r, "met"), "nag"));
    json_decref(r);
    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(s_deadline(c, "nag"), "status"), "cancelled");
    IT_CHECK_STR(it_str(s_deadline(c, "nag_reply"), "status"), "cancelled");
    json_decref(c);
    S_CHECK_DL(e.db, no, "nag", "d.status = 'cancelled' AND d.next_fire_at IS NULL");
    S_CHECK_DL(e.db, no, "nag_reply", "d.status = 'cancelled' AND d.next_fire_at IS NULL");

    /* Level 2 of the chains (2 s after the breach) never comes now. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE topic = 'case.escalated' AND "
             "payload->>'case_no' = '%s'",
             no);
    long before = it_sql_long(e.db, sql);
    it_sleep_ms(3000);
    long after = it_sql_long(e.db, sql);
    printf("# case.escalated rows: %ld right after the reply, %ld 3 s later\n", before, after);
    IT_CHECK_INT(after, before);
    S_CHECK_DL(e.db, no, "nag", "d.status = 'cancelled' AND d.next_fire_at IS NULL");
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL"), 0);
    free(no);
    s_stop(&e);
}

/* ---- 2. close meets met_by close ---------------------------------------------------------- */

static void t_close_meets(void)
{
    s_env_t e;
    s_start(&e,
            "  - name: closing\n"
            "    within: 1h\n"
            "    met_by: [close]\n"
            "  - name: ticking\n"
            "    every: 1m\n"
            "    met_by: [note, close]\n"
            "  - name: report_due\n"
            "    within: 1h\n"
            "    met_by: [report]\n",
            NULL);
    const it_daemon_t *d = &e.d;
    char *no = s_submit(d, "cm-1", "客户来电要求撤销投诉", "east", 0);
    s_step0(d, no, "confirm", "clerk", NULL, "registered", "assigned");
    json_t *r = s_step(d, no, "close", "li", json_pack("{s:s}", "reason", "客户撤回投诉"),
                       "assigned", "closed");
    S_CHECK_SET(json_object_get(r, "met"), "closing ticking");
    S_CHECK_SET(json_object_get(r, "cancelled"), "report_due");
    IT_CHECK_INT(json_array_size(json_object_get(r, "rearmed")), 0);
    json_decref(r);
    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(s_deadline(c, "closing"), "status"), "met");
    IT_CHECK_STR(it_str(s_deadline(c, "ticking"), "status"), "met");
    IT_CHECK_STR(it_str(s_deadline(c, "report_due"), "status"), "cancelled");
    json_decref(c);
    S_CHECK_DL(e.db, no, "closing",
               "d.status = 'met' AND d.met_at IS NOT NULL AND "
               "d.next_fire_at IS NULL");
    S_CHECK_DL(e.db, no, "ticking",
               "d.status = 'met' AND d.met_at IS NOT NULL AND "
               "d.next_fire_at IS NULL");
    S_CHECK_DL(e.db, no, "report_due",
               "d.status = 'cancelled' AND d.met_at IS NULL AND "
               "d.next_fire_at IS NULL");
    free(no);
    s_stop(&e);
}

/* ---- 3. reject cancels the approval deadline ---------------------------------------------- */

static void t_reject_cancels_approval(void)
{
    static const char approvals[] = "  - name: quality\n"
                                    "    when: {responsibility: quality}\n"
                                    "    levels: [vp_marketing]\n"
                                    "    within: 2h\n";
    s_env_t e;
    s_start(&e, NULL, approvals);
    const it_daemon_t *d = &e.d;
    char *no = s_submit(d, "rc-1", "冰箱漏水，地板泡坏", "east", 0);
    s_to_investigating(d, no, "quality");
    s_step0(d, no, "propose", "li", json_pack("{s:s}", "result", "更换整机"), "investigating",
            "resolution_proposed");
    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(s_deadline(c, "approval"), "status"), "pending");
    json_decref(c);
    double left = s_dl_num(e.db, no, "approval", "extract(epoch FROM d.due_at - now())");
    IT_CHECK(left > 7200 - 60 && left <= 7201);
    S_CHECK_DL(e.db, no, "approval", "d.next_fire_at IS NOT NULL");
    double due1 = s_dl_num(e.db, no, "approval", "extract(epoch FROM d.due_at)");

    /* Rejected: the approval waits on nobody now. */
    json_t *r = s_step(d, no, "reject", "sun", json_pack("{s:s}", "reason", "方案不完整"),
                       "resolution_proposed", "investigating");
    S_CHECK_SET(json_object_get(r, "cancelled"), "approval");
    json_decref(r);
    c = s_get(d, no);
    IT_CHECK_STR(it_str(s_deadline(c, "approval"), "status"), "cancelled");
    json_decref(c);
    S_CHECK_DL(e.db, no, "approval", "d.status = 'cancelled' AND d.next_fire_at IS NULL");

    /* Proposed again: pending again, due 2 h from the new proposal. */
    it_sleep_ms(1100);
    r = s_step(d, no, "propose", "li", json_pack("{s:s}", "result", "更换整机并补偿"),
               "investigating", "resolution_proposed");
    IT_CHECK_INT(json_array_size(json_object_get(r, "approvals")), 1);
    json_decref(r);
    c = s_get(d, no);
    IT_CHECK_STR(it_str(s_deadline(c, "approval"), "status"), "pending");
    IT_CHECK_INT(json_integer_value(json_object_get(s_deadline(c, "approval"), "level")), 0);
    json_decref(c);
    S_CHECK_DL(e.db, no, "approval", "d.status = 'pending' AND d.next_fire_at IS NOT NULL");
    double due2 = s_dl_num(e.db, no, "approval", "extract(epoch FROM d.due_at)");
    printf("# the second proposal's approval is due %.3f s after the first's\n", due2 - due1);
    IT_CHECK(due2 - due1 >= 1.0);

    /* Rejected again, found to be "other" (no rule: nobody approves): approved at once,
     * and the approval deadline stays cancelled. */
    r = s_step(d, no, "reject", "sun", json_pack("{s:s}", "reason", "责任判定有误"),
               "resolution_proposed", "investigating");
    S_CHECK_SET(json_object_get(r, "cancelled"), "approval");
    json_decref(r);
    s_step0(d, no, "analyse", "li",
            json_pack("{s:s, s:s}", "cause", "安装不当", "responsibility", "other"),
            "investigating", "investigating");
    r = s_step(d, no, "propose", "li", json_pack("{s:s}", "result", "重新安装"), "investigating",
               "approved");
    IT_CHECK_INT(json_array_size(json_object_get(r, "approvals")), 0);
    json_decref(r);
    S_CHECK_DL(e.db, no, "approval", "d.status = 'cancelled' AND d.next_fire_at IS NULL");

    /* A proposal still waiting, replaced after a reload by one that needs nobody: the
     * approval deadline is cancelled by that proposal. */
    char *no2 = s_submit(d, "rc-2", "洗衣机漏水，地板泡坏", "east", 0);
    s_to_investigating(d, no2, "quality");
    s_step0(d, no2, "propose", "li", json_pack("{s:s}", "result", "更换整机"), "investigating",
            "resolution_proposed");
    S_CHECK_DL(e.db, no2, "approval", "d.status = 'pending' AND d.next_fire_at IS NOT NULL");
    char *text = s_config_text(NULL, "  - name: misuse\n"
                                     "    when: {responsibility: misuse}\n"
                                     "    levels: [vp_marketing]\n"
                                     "    within: 2h\n");
    free(it_config_checked("lcdl-reload.yaml", text));
    it_write_file(e.config, text);
    free(text);
    r = s_call(d, json_pack("{s:s}", "op", "reload"));
    it_check_ok(r);
    json_decref(r);
    r = s_step(d, no2, "propose", "li", json_pack("{s:s}", "result", "更换整机"),
               "resolution_proposed", "approved");
    IT_CHECK_INT(json_array_size(json_object_get(r, "approvals")), 0);
    S_CHECK_SET(json_object_get(r, "cancelled"), "approval");
    json_decref(r);
    c = s_get(d, no2);
    IT_CHECK_STR(it_str(s_deadline(c, "approval"), "status"), "cancelled");
    s_check_approval(c, 0, 1, 1, "superseded", NULL);
    json_decref(c);
    S_CHECK_DL(e.db, no2, "approval", "d.status = 'cancelled' AND d.next_fire_at IS NULL");
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL"), 0);
    free(no2);
    free(no);
    s_stop(&e);
}

/* ---- 4. a re-armed paused deadline stays paused -------------------------------------------- */

static void t_rearm_keeps_pause(void)
{
    s_env_t e;
    s_start(&e,
            "  - name: progress\n"
            "    every: 1m\n"
            "    met_by: [note]\n"
            "    pausable: true\n",
            NULL);
    const it_daemon_t *d = &e.d;
    char *no = s_submit(d, "rk-1", "空调不制冷，客户出差中", "east", 0);
    s_step0(d, no, "confirm", "clerk", NULL, "registered", "assigned");
    json_t *r = s_pause_op(d, no, "pause", "客户出差，下周联系");
    S_CHECK_SET(json_object_get(r, "paused_deadlines"), "progress");
    json_decref(r);
    S_CHECK_DL(e.db, no, "progress", "d.paused_at IS NOT NULL AND d.next_fire_at IS NULL");

    /* A note 3 s into the pause re-arms it: still paused. */
    it_sleep_ms(3000);
    r = s_step(d, no, "note", "li", json_pack("{s:s}", "text", "已电话留言"), "assigned",
               "assigned");
    IT_CHECK(s_names(json_object_get(r, "rearmed"), "progress"));
    IT_CHECK_INT(json_array_size(json_object_get(r, "met")), 0);
    json_decref(r);
    S_CHECK_DL(e.db, no, "progress",
               "d.status = 'pending' AND d.paused_at IS NOT NULL AND d.next_fire_at IS NULL");
    json_t *c = s_get(d, no);
    IT_CHECK(it_str(c, "paused_at") != NULL);
    IT_CHECK_STR(it_str(s_deadline(c, "progress"), "status"), "pending");
    json_decref(c);

    /* Resumed 2 s after the note: due one period from now, the time paused before the
     * note not added again (that would be about 63 s). */
    it_sleep_ms(2000);
    r = s_pause_op(d, no, "resume", NULL);
    IT_CHECK(s_names(json_object_get(r, "resumed"), "progress"));
    json_decref(r);
    double left = s_dl_num(e.db, no, "progress", "extract(epoch FROM d.due_at - now())");
    printf("# resumed: due in %.3f s\n", left);
    IT_CHECK(left > 57.0 && left < 61.0);
    S_CHECK_DL(e.db, no, "progress",
               "d.status = 'pending' AND d.paused_at IS NULL AND d.next_fire_at = d.due_at");
    free(no);
    s_stop(&e);
}

/* ---- 5. closing ends a pause ------------------------------------------------------------ */

static void t_close_ends_pause(void)
{
    s_env_t e;
    s_start(&e,
            "  - name: wait\n"
            "    within: 1h\n"
            "    met_by: [report]\n"
            "    pausable: true\n"
            "  - name: fixed\n"
            "    within: 1h\n"
            "    met_by: [report]\n",
            NULL);
    const it_daemon_t *d = &e.d;
    char *no = s_submit(d, "cp-1", "燃气灶打不着火，客户外出", "east", 0);
    s_step0(d, no, "confirm", "clerk", NULL, "registered", "assigned");
    json_t *r = s_pause_op(d, no, "pause", "等待客户回来");
    S_CHECK_SET(json_object_get(r, "paused_deadlines"), "wait");
    json_decref(r);
    r = s_step(d, no, "close", "li", json_pack("{s:s}", "reason", "客户不再追究"), "assigned",
               "closed");
    S_CHECK_SET(json_object_get(r, "cancelled"), "wait fixed");
    json_decref(r);
    json_t *c = s_get(d, no);
    IT_CHECK(json_is_null(json_object_get(c, "paused_at")));
    IT_CHECK(json_is_null(json_object_get(c, "paused_reason")));
    json_decref(c);
    S_CHECK_DL(e.db, no, "wait", "d.status = 'cancelled' AND d.paused_at IS NULL");
    double due = s_dl_num(e.db, no, "wait", "extract(epoch FROM d.due_at)");

    /* Reopened: not paused; it may be paused and resumed again, and the resume
     * leaves the cancelled deadlines alone. */
    s_step0(d, no, "reopen", "li", json_pack("{s:s}", "reason", "客户再次来电"), "closed",
            "assigned");
    c = s_get(d, no);
    IT_CHECK(json_is_null(json_object_get(c, "paused_at")));
    json_decref(c);
    r = s_pause_op(d, no, "pause", "再次等待客户");
    IT_CHECK(json_is_true(json_object_get(r, "paused")));
    IT_CHECK_INT(json_array_size(json_object_get(r, "paused_deadlines")), 0);
    json_decref(r);
    it_sleep_ms(1100);
    r = s_pause_op(d, no, "resume", NULL);
    IT_CHECK(json_is_false(json_object_get(r, "paused")));
    if (json_array_size(json_object_get(r, "resumed")) != 0) {
        it_dump("resume", r);
    }
    IT_CHECK_INT(json_array_size(json_object_get(r, "resumed")), 0);
    json_decref(r);
    S_CHECK_DL(e.db, no, "wait", "d.status = 'cancelled' AND d.paused_at IS NULL");
    IT_CHECK(s_dl_num(e.db, no, "wait", "extract(epoch FROM d.due_at)") == due);
    c = s_get(d, no);
    IT_CHECK(json_is_null(json_object_get(c, "paused_at")));
    IT_CHECK_STR(it_str(s_deadline(c, "wait"), "status"), "cancelled");
    json_decref(c);
    free(no);
    s_stop(&e);
}

/* ---- 6. four eyes ---------------------------------------------------------------------------- */

/* approve by `by` must be refused: forbidden, field by, the message naming `by`. */
static void s_check_forbidden(const s_env_t *e, const char *no, const char *by)
{
    long rows = s_history_rows(e->db, no);
    json_t *r = s_op(&e->d, no, "approve", by, NULL);
    s_check_refused(r, "forbidden", "by");
    const char *msg = it_str(json_object_get(r, "error"), "message");
    if (!msg || !strstr(msg, by)) {
        it_dump("reply", r);
    }
    IT_CHECK(msg && strstr(msg, by));
    json_decref(r);
    IT_CHECK_INT(s_history_rows(e->db, no), rows);
}

static void t_four_eyes(void)
{
    s_env_t e;
    s_start(&e, NULL, s_matrix);
    const it_daemon_t *d = &e.d;

    /* liu, a sales manager, proposes: he may not approve it; wu may. */
    char *a = s_submit(d, "fe-1", "净水器漏水，地板泡坏", "east", 0);
    s_to_investigating(d, a, "other");
    s_step0(d, a, "propose", "liu", json_pack("{s:s}", "result", "上门更换滤芯"), "investigating",
            "resolution_proposed");
    s_check_forbidden(&e, a, "liu");
    json_t *c = s_get(d, a);
    IT_CHECK_STR(it_str(c, "status"), "resolution_proposed");
    s_check_approval(c, 0, 1, 1, "pending", NULL);
    json_decref(c);
    s_step0(d, a, "approve", "wu", NULL, "resolution_proposed", "approved");
    c = s_get(d, a);
    s_check_approval(c, 0, 1, 1, "approved", "wu");
    json_decref(c);

    /* boss holds the roles of both levels: level 1, then another person for level 2. */
    char *b = s_submit(d, "fe-2", "热水器漏水，墙面受损", "east", 0);
    s_to_investigating(d, b, "quality");
    s_step0(d, b, "propose", "li", json_pack("{s:s}", "result", "更换整机并赔偿"), "investigating",
            "resolution_proposed");
    json_t *r = s_step(d, b, "approve", "boss", NULL, "resolution_proposed", "resolution_proposed");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 1);
    IT_CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "next"), "level")), 2);
    json_decref(r);
    s_check_forbidden(&e, b, "boss");
    c = s_get(d, b);
    IT_CHECK_STR(it_str(c, "status"), "resolution_proposed");
    s_check_approval(c, 0, 1, 1, "approved", "boss");
    s_check_approval(c, 1, 1, 2, "pending", NULL);
    json_decref(c);
    r = s_step(d, b, "approve", "gm", NULL, "resolution_proposed", "approved");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 2);
    IT_CHECK(json_is_null(json_object_get(r, "next")));
    json_decref(r);
    c = s_get(d, b);
    s_check_approval(c, 0, 1, 1, "approved", "boss");
    s_check_approval(c, 1, 1, 2, "approved", "gm");
    json_decref(c);
    free(a);
    free(b);
    s_stop(&e);
}

/* ---- 7. propose again while waiting ------------------------------------------------------- */

static void t_propose_again(void)
{
    s_env_t e;
    s_start(&e, NULL, s_matrix);
    const it_daemon_t *d = &e.d;
    char *no = s_submit(d, "pa-1", "洗碗机漏水，橱柜泡坏", "east", 0);
    s_to_investigating(d, no, "quality");
    s_step0(d, no, "propose", "li", json_pack("{s:s}", "result", "更换整机"), "investigating",
            "resolution_proposed");
    s_step0(d, no, "approve", "sun", NULL, "resolution_proposed", "resolution_proposed");

    /* Replaced while level 2 waits: a new proposal, from level 1. */
    json_t *r = s_step(d, no, "propose", "li", json_pack("{s:s}", "result", "更换整机并补偿"),
                       "resolution_proposed", "resolution_proposed");
    json_t *levels = json_object_get(r, "approvals");
    IT_CHECK_INT(json_array_size(levels), 2);
    IT_CHECK_INT(json_integer_value(json_object_get(json_array_get(levels, 0), "level")), 1);
    IT_CHECK_INT(json_integer_value(json_object_get(json_array_get(levels, 1), "level")), 2);
    json_decref(r);
    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(c, "proposed_result"), "更换整机并补偿");
    IT_CHECK_INT(json_array_size(json_object_get(c, "approvals")), 4);
    s_check_approval(c, 0, 1, 1, "approved", "sun");
    s_check_approval(c, 1, 1, 2, "superseded", NULL);
    s_check_approval(c, 2, 2, 1, "pending", NULL);
    s_check_approval(c, 3, 2, 2, "pending", NULL);
    json_decref(c);

    /* Level 1 of the new proposal comes first: gm may not approve it yet. */
    r = s_op(d, no, "approve", "gm", NULL);
    s_check_refused(r, "forbidden", "by");
    json_decref(r);
    r = s_step(d, no, "approve", "sun", NULL, "resolution_proposed", "resolution_proposed");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 1);
    json_decref(r);
    s_step0(d, no, "approve", "gm", NULL, "resolution_proposed", "approved");
    c = s_get(d, no);
    s_check_approval(c, 2, 2, 1, "approved", "sun");
    s_check_approval(c, 3, 2, 2, "approved", "gm");
    json_decref(c);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM approvals WHERE status = 'pending'"), 0);
    free(no);
    s_stop(&e);
}

/* ---- 8. dates before 1970 ---------------------------------------------------------------- */

static void t_old_dates(void)
{
    s_env_t e;
    s_start(&e, NULL, s_matrix);
    const it_daemon_t *d = &e.d;
    char *no = s_submit(d, "od-1", "微波炉漏电，客户受惊", "east", 0);
    s_to_investigating(d, no, "other");
    s_step0(d, no, "propose", "li", json_pack("{s:s}", "result", "退货退款"), "investigating",
            "resolution_proposed");
    s_step0(d, no, "approve", "liu", NULL, "resolution_proposed", "approved");
    s_step0(d, no, "reply", "li", json_pack("{s:s}", "text", "同意退货退款"), "approved",
            "replied");
    long rows = s_history_rows(e.db, no);
    long all_rows = s_q(e.db, "SELECT count(*) FROM case_history");

    static const char *const dues[] = {"0000-01-01", "1969-12-31"};
    for (size_t i = 0; i < sizeof dues / sizeof dues[0]; i++) {
        json_t *r = s_op(d, no, "capa", "li",
                         json_pack("{s:s, s:s, s:s, s:s}", "kind", "corrective", "action",
                                   "加强出厂检验", "owner", "li", "due", dues[i]));
        if (!json_is_false(json_object_get(r, "ok"))) {
            fprintf(stderr, "capa due %s\n", dues[i]);
        }
        s_check_refused(r, "invalid_value", "due");
        json_decref(r);
    }
    static const char *const ats[] = {"0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof ats / sizeof ats[0]; i++) {
        json_t *r =
            s_op(d, no, "followup", "clerk",
                 json_pack("{s:s, s:b, s:s}", "method", "phone", "satisfied", 1, "at", ats[i]));
        if (!json_is_false(json_object_get(r, "ok"))) {
            fprintf(stderr, "followup at %s\n", ats[i]);
        }
        s_check_refused(r, "invalid_value", "at");
        json_decref(r);
    }
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM capa"), 0);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM followups"), 0);
    IT_CHECK_INT(s_history_rows(e.db, no), rows);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM case_history"), all_rows);
    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(c, "status"), "replied");
    IT_CHECK_INT(json_array_size(json_object_get(c, "capa")), 0);
    IT_CHECK_INT(json_array_size(json_object_get(c, "followups")), 0);
    json_decref(c);

    /* From 1970 on is a date. */
    json_t *r = s_op(d, no, "capa", "li",
                     json_pack("{s:s, s:s, s:s, s:s}", "kind", "corrective", "action",
                               "加强出厂检验", "owner", "li", "due", "1970-01-01"));
    it_check_ok(r);
    json_decref(r);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM capa WHERE due = '1970-01-01'"), 1);
    free(no);
    s_stop(&e);
}

/* ---- 9. escalation sets the department ----------------------------------------------------- */

/* One handling round from `assigned` to `replied`, approved by liu (li proposes). */
static void s_handle(const it_daemon_t *d, const char *no, int round)
{
    char text[64];
    snprintf(text, sizeof text, "第%d轮处理：更换密封圈", round);
    s_step0(d, no, "analyse", "li",
            json_pack("{s:s, s:s}", "cause", "密封圈老化", "responsibility", "other"), "assigned",
            "investigating");
    s_step0(d, no, "propose", "li", json_pack("{s:s}", "result", text), "investigating",
            "resolution_proposed");
    s_step0(d, no, "approve", "liu", NULL, "resolution_proposed", "approved");
    s_step0(d, no, "reply", "li", json_pack("{s:s}", "text", text), "approved", "replied");
}

/* Two unsatisfied follow-ups: the case goes to `to`, of department `dept`. */
static void s_escalate(const s_env_t *e, const char *no, const char *to, const char *dept)
{
    const it_daemon_t *d = &e->d;
    s_step0(d, no, "confirm", "clerk", NULL, "registered", "assigned");
    for (int round = 1; round <= 2; round++) {
        s_handle(d, no, round);
        json_t *r = s_step(
            d, no, "followup", "clerk",
            json_pack("{s:s, s:b, s:s}", "method", "phone", "satisfied", 0, "opinion", "还是漏水"),
            "replied", "assigned");
        IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), round + 1);
        IT_CHECK_STR(it_str(r, "assignee"), round == 1 ? "li" : to);
        json_decref(r);
        json_t *c = s_get(d, no);
        IT_CHECK_STR(it_str(c, "assignee"), round == 1 ? "li" : to);
        IT_CHECK_STR(it_str(c, "department"), round == 1 ? "sales" : dept);
        IT_CHECK(json_is_boolean(json_object_get(c, "escalated")) &&
                 json_is_true(json_object_get(c, "escalated")) == (round == 2));
        json_decref(c);
    }
    json_t *r =
        s_call(d, json_pack("{s:s, s:s, s:s}", "op", "list", "department", dept, "assignee", to));
    it_check_ok(r);
    IT_CHECK_INT(json_integer_value(json_object_get(r, "total")), 1);
    IT_CHECK_STR(it_str(json_array_get(json_object_get(r, "cases"), 0), "case_no"), no);
    json_decref(r);
}

static void t_escalation_department(void)
{
    s_env_t e;
    s_start(&e, NULL, s_matrix);
    /* East: liu, of service; west: wu, of quality. Both were routed to sales. */
    char *east = s_submit(&e.d, "ed-1", "净水器接头漏水，第三次投诉", "east", 0);
    s_escalate(&e, east, "liu", "service");
    char *west = s_submit(&e.d, "ed-2", "热水器漏水，第三次投诉", "west", 0);
    s_escalate(&e, west, "wu", "quality");
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 2);
    free(east);
    free(west);
    s_stop(&e);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"until_ends_breached", t_until_ends_breached},
        {"close_meets", t_close_meets},
        {"reject_cancels_approval", t_reject_cancels_approval},
        {"rearm_keeps_pause", t_rearm_keeps_pause},
        {"close_ends_pause", t_close_ends_pause},
        {"four_eyes", t_four_eyes},
        {"propose_again", t_propose_again},
        {"old_dates", t_old_dates},
        {"escalation_department", t_escalation_department},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
