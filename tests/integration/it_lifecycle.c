/*
 * it_lifecycle: the complaint lifecycle (issue 5; docs/lifecycle.md,
 * PROCEDURES.md R9, R11, R14, R16, R20-R24) through the real plaintd,
 * ZeroMQ and PostgreSQL.
 *
 *   happy_path_quality      submit, confirm, visit, analyse, propose (two
 *                           approval levels), approve twice, reply, followup
 *                           satisfied, close: statuses, replies, the case
 *                           (approvals, followups, allowed), every history
 *                           row's actor and type in order, the deadlines
 *   every_refusal           in every status, every operation the table of
 *                           docs/lifecycle.md does not allow is refused with
 *                           invalid_state, the status and the allowed set;
 *                           the case and its history stay as they were
 *   field_refusals          missing / wrong type / bad value of every
 *                           operation's fields, unknown members, no such case
 *   approvals_matrix        misuse (one level: ma or gm, 2h `approval`
 *                           deadline), quality (two levels in order, reject,
 *                           superseded, a new proposal starts again), other
 *                           (sales_manager); who may approve (forbidden)
 *   r22_loop                unsatisfied: round 2, same assignee; unsatisfied
 *                           again: escalated to the sales manager of the
 *                           case's region, case.escalated in the outbox
 *   reopen_and_close_early  close before followup needs a reason; reopen
 *                           needs one and starts a round; remark on a closed
 *                           case; capa add and verify
 *   list_filters            30 cases: list by status, category, assignee,
 *                           department, kind, overdue, received range, text;
 *                           paging; bad filters
 *   client_verbs            the same through build/plaint: every verb, show
 *                           --format register|file, PLAINT_USER, submit -i
 *
 * Each test has its own fresh database and plaintd, with the configuration
 * s_config writes. Run one with: it_lifecycle NAME
 */
#include "it.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_TIMEOUT_MS 5000
#define S_NO_CASE "TS-2099-999999"

/* ---- small helpers -------------------------------------------------------------------- */

/* 1 when `array` holds exactly the words of `words`, in that order. */
static int s_same_list(const json_t *array, const char *words)
{
    if (!json_is_array(array) || json_array_size(array) != it_word_count(words)) {
        return 0;
    }
    const char *p = words + strspn(words, " ");
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        size_t len = strcspn(p, " ");
        const char *s = json_string_value(item);
        if (!s || strlen(s) != len || memcmp(s, p, len) != 0) {
            return 0;
        }
        p += len;
        p += strspn(p, " ");
    }
    return 1;
}

#define S_CHECK_SET(array, words)                                                                  \
    do {                                                                                           \
        if (!it_same_words((array), (words))) {                                                       \
            it_dump(#array, (array));                                                               \
            fprintf(stderr, "expected the set: %s\n", (words));                                    \
        }                                                                                          \
        IT_CHECK(it_same_words((array), (words)));                                                    \
    } while (0)

#define S_CHECK_LIST(array, words)                                                                 \
    do {                                                                                           \
        if (!s_same_list((array), (words))) {                                                      \
            it_dump(#array, (array));                                                               \
            fprintf(stderr, "expected the list: %s\n", (words));                                   \
        }                                                                                          \
        IT_CHECK(s_same_list((array), (words)));                                                   \
    } while (0)

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

/* A text from SQL (caller frees). */
static char *s_qs(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *s_qs(const char *db, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    IT_CHECK(n > 0 && (size_t)n < sizeof sql);
    return it_sql(db, sql);
}

/* RFC 3339 in UTC to the second, `ago` seconds before `now`. */
static void s_iso(time_t now, long ago, char *buf, size_t size)
{
    time_t t = now - ago;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* `n` copies of `unit` joined (caller frees). */
static char *s_repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * n + 1);
    IT_CHECK(s != NULL);
    for (size_t i = 0; i < n; i++) {
        memcpy(s + i * len, unit, len);
    }
    s[len * n] = '\0';
    return s;
}

/* ---- the configuration ---------------------------------------------------------------- */

/*
 * The directory of the brief, plus wu: a second sales manager, of region
 * west and listed before liu, so that escalation must pick the holder in
 * the case's region (R22; docs/lifecycle.md). Routing: everything to
 * sales with assignee li, except content with 待分派 ("to be dispatched"),
 * which goes to quality with nobody assigned: the only way a confirm can
 * leave a case `confirmed`. Deadlines long enough never to fall due during
 * a test (but for the cases list_filters submits in the past), met by the
 * operations that meet them in the shipped rules.
 */
static char *s_config(void)
{
    static const char text[] =
        "# Written by tests/integration/it_lifecycle.c\n"
        "log: {level: info}\n"
        "directory:\n"
        "  departments: [{id: sales, name: 销售部}, {id: quality, name: 品质部}]\n"
        "  roles:\n"
        "    - {id: intake_clerk, name: 投诉受理员}\n"
        "    - {id: regional_head, name: 区域负责人}\n"
        "    - {id: sales_manager, name: 销售经理}\n"
        "    - {id: vp_marketing, name: 营销副总}\n"
        "    - {id: management_rep, name: 管理者代表}\n"
        "    - {id: general_manager, name: 总经理}\n"
        "  people:\n"
        "    - {id: clerk, name: 王芳, roles: [intake_clerk], department: sales}\n"
        "    - {id: li, name: 李娜, roles: [regional_head], department: sales, region: east}\n"
        "    - {id: zhou, name: 周杰, roles: [regional_head], department: sales, region: west}\n"
        "    - {id: wu, name: 吴刚, roles: [sales_manager], department: sales, region: west}\n"
        "    - {id: liu, name: 刘鹏, roles: [sales_manager], department: sales, region: east}\n"
        "    - {id: sun, name: 孙丽, roles: [vp_marketing], department: sales}\n"
        "    - {id: ma, name: 马超, roles: [management_rep], department: quality}\n"
        "    - {id: gm, name: 郑国华, roles: [general_manager]}\n"
        "categories:\n"
        "  - id: product_quality\n"
        "    label: 产品质量\n"
        "    match: {keywords: [漏水]}\n"
        "  - id: other\n"
        "    label: 其他\n"
        "classify:\n"
        "  default_category: other\n"
        "routing:\n"
        "  - id: triage\n"
        "    when: {keywords: [待分派]}\n"
        "    department: quality\n"
        "  - id: sales\n"
        "    department: sales\n"
        "    assignee: li\n"
        "calendars:\n"
        "  - id: 24x7\n"
        "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
        "    hours: \"00:00-24:00\"\n"
        "deadlines:\n"
        "  - name: first_report\n"
        "    calendar: 24x7\n"
        "    within: 2h\n"
        "    met_by: [report]\n"
        "  - name: site_visit\n"
        "    calendar: 24x7\n"
        "    within: 2d\n"
        "    met_by: [visit]\n"
        "  - name: reply\n"
        "    calendar: 24x7\n"
        "    within: 2d\n"
        "    met_by: [reply]\n"
        "  - name: progress_report\n"
        "    every: 30m\n"
        "    until: closed\n"
        "    met_by: [note]\n"
        "lifecycle:\n"
        "  escalate_to: sales_manager\n"
        "approvals:\n"
        "  - name: misuse\n"
        "    when: {responsibility: misuse}\n"
        "    levels: [[management_rep, general_manager]]\n"
        "    within: 2h\n"
        "  - name: quality\n"
        "    when: {responsibility: quality}\n"
        "    levels: [vp_marketing, general_manager]\n"
        "  - name: other\n"
        "    levels: [sales_manager]\n";
    return it_config_checked("lifecycle.yaml", text);
}

typedef struct s_env {
    char *db;
    char *config;
    it_daemon_t d;
} s_env_t;

static void s_start(s_env_t *e)
{
    memset(e, 0, sizeof *e);
    e->db = strdup(it_db_fresh());
    e->config = s_config();
    it_daemon_start(&e->d, e->db, e->config, NULL);
}

static void s_stop(s_env_t *e)
{
    it_daemon_stop(&e->d);
    free(e->db);
    free(e->config);
}

/* ---- the table of docs/lifecycle.md: the one place the allowed sets come from ---------- */

#define S_OPEN                                                                                     \
    "registered confirmed assigned investigating resolution_proposed approved replied followup"

static const char *const s_statuses[] = {
    "registered", "confirmed", "assigned", "investigating", "resolution_proposed",
    "approved",   "replied",   "followup", "closed",        NULL,
};

static const struct {
    const char *op;
    const char *in; /* the statuses it is allowed in */
} s_table[] = {
    {"confirm", "registered"},
    {"assign", "confirmed assigned investigating"},
    {"note", S_OPEN},   /* * */
    {"report", S_OPEN}, /* * */
    {"visit", "assigned investigating"},
    {"analyse", "assigned investigating"},
    {"propose", "investigating resolution_proposed"},
    {"approve", "resolution_proposed"},
    {"reject", "resolution_proposed"},
    {"reply", "approved"},
    {"followup", "replied"},
    {"close", S_OPEN}, /* followup; others with a reason */
    {"reopen", "closed"},
    {"capa", "confirmed assigned investigating resolution_proposed approved replied followup "
             "closed"},           /* any but registered */
    {"remark", S_OPEN " closed"}, /* any, closed too */
    {"pause", S_OPEN},            /* * */
    {"resume", S_OPEN},           /* * */
};
#define S_OPS (sizeof s_table / sizeof s_table[0])

static int s_allowed_in(const char *op, const char *status)
{
    for (size_t i = 0; i < S_OPS; i++) {
        if (strcmp(s_table[i].op, op) == 0) {
            return it_has_word(s_table[i].in, status);
        }
    }
    IT_CHECK(!"an operation of the table");
    return 0;
}

/* 1 when `type` is the type of an operation's own history row. */
static int s_is_op(const char *type)
{
    for (size_t i = 0; i < S_OPS; i++) {
        if (strcmp(s_table[i].op, type) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The operations allowed in `status`, space-separated, in table order (static buffer). */
static const char *s_allowed(const char *status)
{
    static char buf[512];
    buf[0] = '\0';
    for (size_t i = 0; i < S_OPS; i++) {
        if (it_has_word(s_table[i].in, status)) {
            if (buf[0]) {
                strcat(buf, " ");
            }
            strcat(buf, s_table[i].op);
        }
    }
    return buf;
}

static void s_check_allowed(const json_t *allowed, const char *status)
{
    const char *want = s_allowed(status);
    if (!it_same_words(allowed, want)) {
        fprintf(stderr, "allowed in %s: expected %s\n", status, want);
        it_dump("allowed", allowed);
    }
    IT_CHECK(it_same_words(allowed, want));
}

/* Fields that make a valid request of `op` (new reference): a refusal of it is about the state. */
static json_t *s_valid_fields(const char *op)
{
    if (strcmp(op, "confirm") == 0) {
        return json_pack("{s:s}", "text", "已向客户复述并确认");
    }
    if (strcmp(op, "assign") == 0) {
        return json_pack("{s:s}", "to", "zhou");
    }
    if (strcmp(op, "note") == 0 || strcmp(op, "report") == 0 || strcmp(op, "reply") == 0 ||
        strcmp(op, "remark") == 0) {
        return json_pack("{s:s}", "text", "已处理");
    }
    if (strcmp(op, "visit") == 0) {
        return json_pack("{s:s, s:s}", "finding", "现场查看", "responsibility", "other");
    }
    if (strcmp(op, "analyse") == 0) {
        return json_pack("{s:s, s:s}", "cause", "原因分析", "responsibility", "other");
    }
    if (strcmp(op, "propose") == 0) {
        return json_pack("{s:s}", "result", "免费更换");
    }
    if (strcmp(op, "followup") == 0) {
        return json_pack("{s:s, s:b, s:s}", "method", "phone", "satisfied", 1, "opinion", "满意");
    }
    if (strcmp(op, "capa") == 0) {
        return json_pack("{s:s, s:s, s:s, s:s}", "kind", "corrective", "action", "加强出厂检验",
                         "owner", "li", "due", "2026-12-31");
    }
    if (strcmp(op, "resume") == 0) {
        return json_object();
    }
    /* approve, reject, close, reopen, pause */
    return json_pack("{s:s}", "reason", "理由");
}

/* ---- requests ------------------------------------------------------------------------------ */

static json_t *s_call(const it_daemon_t *d, json_t *request)
{
    return it_call(d, request, S_TIMEOUT_MS);
}

/* 1 when `s` is one of the '|'-separated alternatives of `alts`. */
static int s_one_of(const char *s, const char *alts)
{
    if (!s) {
        return 0;
    }
    size_t n = strlen(s);
    for (const char *p = alts;;) {
        size_t len = strcspn(p, "|");
        if (len == n && memcmp(p, s, n) == 0) {
            return 1;
        }
        if (!p[len]) {
            return 0;
        }
        p += len + 1;
    }
}

/* Checks a refusal: code (alternatives "a|b") and field (NULL: any; alternatives too). */
static void s_check_refused_(const json_t *reply, const char *code, const char *field,
                             const char *file, int line)
{
    json_t *error = json_object_get(reply, "error");
    int ok = json_is_false(json_object_get(reply, "ok")) && s_one_of(it_str(error, "code"), code) &&
             (!field || s_one_of(it_str(error, "field"), field));
    if (!ok) {
        fprintf(stderr, "%s:%d: expected a refusal %s (field %s)\n", file, line, code,
                field ? field : "any");
        it_dump("reply", reply);
    }
    IT_CHECK(ok);
}
#define s_check_refused(reply, code, field) s_check_refused_(reply, code, field, __FILE__, __LINE__)

/* A complaint event (new reference); region and received_at may be NULL. */
static json_t *s_event(const char *event_id, const char *content, const char *region,
                       const char *received_at)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event_id", event_id, "source", "it-lc",
                           "kind", "complaint", "channel", "phone", "content", content);
    if (region) {
        json_object_set_new(ev, "region", json_string(region));
    }
    if (received_at) {
        json_object_set_new(ev, "received_at", json_string(received_at));
    }
    return ev;
}

/* Submits `event` (consumed); returns the case number (caller frees). */
static char *s_submit(const it_daemon_t *d, json_t *event)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:o}", "op", "submit", "event", event));
    it_check_ok(reply);
    IT_CHECK(it_str(reply, "case_no") != NULL);
    char *case_no = strdup(it_str(reply, "case_no"));
    json_decref(reply);
    return case_no;
}

static char *s_submit_simple(const it_daemon_t *d, const char *event_id, const char *content,
                             const char *region)
{
    return s_submit(d, s_event(event_id, content, region, NULL));
}

/* The case (new reference). */
static json_t *s_get(const it_daemon_t *d, const char *case_no)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:s}", "op", "get", "case_no", case_no));
    it_check_ok(reply);
    json_t *c = json_incref(json_object_get(reply, "case"));
    json_decref(reply);
    IT_CHECK(json_is_object(c));
    return c;
}

/* Sends operation `op` on `case_no` with `fields` (consumed; NULL: none) and `by` (NULL: none). */
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

/* Like s_op with the fields as JSON text. */
static json_t *s_op_text(const it_daemon_t *d, const char *case_no, const char *op, const char *by,
                         const char *fields_json)
{
    json_error_t jerr;
    json_t *fields = json_loads(fields_json, 0, &jerr);
    if (!fields) {
        fprintf(stderr, "bad test fields %s: %s\n", fields_json, jerr.text);
    }
    IT_CHECK(json_is_object(fields));
    return s_op(d, case_no, op, by, fields);
}

/*
 * One step: `op` must succeed, taking the case from `from` to `to`: the
 * reply's case_no, status, previous, met/rearmed/cancelled; then the case's
 * status and allowed operations. Returns the reply (caller decrefs).
 */
static json_t *s_step_(const it_daemon_t *d, const char *case_no, const char *op, const char *by,
                       json_t *fields, const char *from, const char *to, const char *file, int line)
{
    json_t *reply = s_op(d, case_no, op, by, fields);
    int ok = json_is_true(json_object_get(reply, "ok")) && it_str(reply, "case_no") &&
             strcmp(it_str(reply, "case_no"), case_no) == 0 && it_str(reply, "status") &&
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
    s_check_allowed(json_object_get(c, "allowed"), to);
    json_decref(c);
    return reply;
}
#define s_step(d, case_no, op, by, fields, from, to)                                               \
    s_step_(d, case_no, op, by, fields, from, to, __FILE__, __LINE__)

/* s_step, discarding the reply. */
#define s_step0(d, case_no, op, by, fields, from, to)                                              \
    json_decref(s_step_(d, case_no, op, by, fields, from, to, __FILE__, __LINE__))

/* The case's history rows in the database. */
static long s_history_rows(const char *db, const char *case_no)
{
    return s_q(db,
               "SELECT count(*) FROM case_history WHERE case_id = "
               "(SELECT id FROM cases WHERE case_no = '%s')",
               case_no);
}

/* The case's deadline `name` (borrowed from c), which must exist. */
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
    return NULL;
}

static const char *s_deadline_status(const json_t *c, const char *name)
{
    json_t *dl = s_deadline(c, name);
    if (!dl) {
        fprintf(stderr, "no deadline %s\n", name);
        it_dump("deadlines", json_object_get(c, "deadlines"));
    }
    IT_CHECK(dl != NULL);
    return it_str(dl, "status");
}

/*
 * The operations' own history rows of the case, as "type/actor type/actor
 * ..." (static buffer): rows of other types (registered, deadlines_updated,
 * escalated, approval_required, ...) are left out.
 */
static const char *s_op_history(const json_t *c)
{
    static char buf[4096];
    buf[0] = '\0';
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(c, "history"), i, h)
    {
        const char *type = it_str(h, "type");
        if (type && s_is_op(type)) {
            char one[256];
            snprintf(one, sizeof one, "%s%s/%s", buf[0] ? " " : "", type,
                     it_str(h, "actor") ? it_str(h, "actor") : "(none)");
            IT_CHECK(strlen(buf) + strlen(one) < sizeof buf);
            strcat(buf, one);
        }
    }
    return buf;
}

#define S_CHECK_OP_HISTORY(c, want)                                                                \
    do {                                                                                           \
        const char *got_ = s_op_history(c);                                                        \
        if (strcmp(got_, (want)) != 0) {                                                           \
            fprintf(stderr, "history (op/actor):\n  got  %s\n  want %s\n", got_, (want));          \
            it_dump("history", json_object_get((c), "history"));                                    \
        }                                                                                          \
        IT_CHECK_STR(got_, (want));                                                                \
    } while (0)

/* The last history row of `type` (borrowed), or NULL. */
static json_t *s_last_history(const json_t *c, const char *type)
{
    json_t *found = NULL;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(c, "history"), i, h)
    {
        if (it_str(h, "type") && strcmp(it_str(h, "type"), type) == 0) {
            found = h;
        }
    }
    return found;
}

/*
 * What must not change when an operation is refused (new reference): the
 * case's status, timestamps, handling members, approvals, follow-ups,
 * CAPA, history and deadlines.
 */
static json_t *s_case_sig(const json_t *c)
{
    static const char *const keys[] = {
        "status",          "updated_at",      "round",          "escalated",
        "assignee",        "department",      "responsibility", "cause",
        "proposed_result", "handling_result", "remarks",        "closed_at",
        "paused_at",       "followup_method", "followup_by",    "customer_opinion",
        "approvals",       "followups",       "capa",           "history",
        "allowed",         "deadlines",
    };
    json_t *sig = json_object();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(c, keys[i]);
        json_object_set_new(sig, keys[i], v ? json_deep_copy(v) : json_string("(absent)"));
    }
    return sig;
}

static void s_check_unchanged(const it_daemon_t *d, const char *db, const char *case_no,
                              const json_t *sig_before, long rows_before, const char *after_what)
{
    json_t *c = s_get(d, case_no);
    json_t *sig = s_case_sig(c);
    if (!json_equal(sig, sig_before)) {
        fprintf(stderr, "case %s changed after %s\n", case_no, after_what);
        it_dump("before", sig_before);
        it_dump("after", sig);
    }
    IT_CHECK(json_equal(sig, sig_before));
    long rows = s_history_rows(db, case_no);
    if (rows != rows_before) {
        fprintf(stderr, "case %s: %ld history rows after %s, %ld before\n", case_no, rows,
                after_what, rows_before);
    }
    IT_CHECK_INT(rows, rows_before);
    json_decref(sig);
    json_decref(c);
}

/*
 * Takes a case one step along the main line (responsibility "other": one
 * approval level, sales_manager, approved by liu) from its status.
 */
static void s_advance(const it_daemon_t *d, const char *case_no, const char *status)
{
    if (strcmp(status, "registered") == 0) {
        json_t *r = s_op(d, case_no, "confirm", "clerk", NULL);
        it_check_ok(r);
        json_decref(r);
    } else if (strcmp(status, "confirmed") == 0) {
        s_step0(d, case_no, "assign", "clerk", json_pack("{s:s}", "to", "li"), "confirmed",
                "assigned");
    } else if (strcmp(status, "assigned") == 0) {
        s_step0(d, case_no, "visit", "li",
                json_pack("{s:s, s:s}", "finding", "上门查看", "responsibility", "other"),
                "assigned", "investigating");
    } else if (strcmp(status, "investigating") == 0) {
        s_step0(d, case_no, "propose", "li", json_pack("{s:s}", "result", "上门维修"),
                "investigating", "resolution_proposed");
    } else if (strcmp(status, "resolution_proposed") == 0) {
        s_step0(d, case_no, "approve", "liu", NULL, "resolution_proposed", "approved");
    } else if (strcmp(status, "approved") == 0) {
        s_step0(d, case_no, "reply", "li", json_pack("{s:s}", "text", "已安排上门维修"), "approved",
                "replied");
    } else if (strcmp(status, "replied") == 0) {
        s_step0(d, case_no, "followup", "clerk",
                json_pack("{s:s, s:b}", "method", "phone", "satisfied", 1), "replied", "followup");
    } else if (strcmp(status, "followup") == 0) {
        s_step0(d, case_no, "close", "li", NULL, "followup", "closed");
    } else {
        fprintf(stderr, "cannot advance a case from %s\n", status);
        IT_CHECK(0);
    }
}

/* Advances the case until it is `target`. */
static void s_drive(const it_daemon_t *d, const char *case_no, const char *target)
{
    for (int k = 0; k < 12; k++) {
        json_t *c = s_get(d, case_no);
        char status[64];
        snprintf(status, sizeof status, "%s", it_str(c, "status"));
        json_decref(c);
        if (strcmp(status, target) == 0) {
            return;
        }
        s_advance(d, case_no, status);
    }
    fprintf(stderr, "case %s never reached %s\n", case_no, target);
    IT_CHECK(0);
}

/* The approval rows of the case (borrowed from c). */
static json_t *s_approvals(const json_t *c)
{
    json_t *a = json_object_get(c, "approvals");
    IT_CHECK(json_is_array(a));
    return a;
}

/* Checks approval row `i` of the case: level, roles (list), status, by (NULL: null), rule. */
static void s_check_approval_(const json_t *c, size_t i, int round, int level, const char *roles,
                              const char *status, const char *by, const char *rule,
                              const char *file, int line)
{
    json_t *a = json_array_get(s_approvals(c), i);
    int ok = json_is_object(a) && json_integer_value(json_object_get(a, "round")) == round &&
             json_integer_value(json_object_get(a, "level")) == level &&
             s_same_list(json_object_get(a, "roles"), roles) && it_str(a, "status") &&
             strcmp(it_str(a, "status"), status) == 0 &&
             (by ? (it_str(a, "by") && strcmp(it_str(a, "by"), by) == 0)
                 : json_is_null(json_object_get(a, "by"))) &&
             it_str(a, "rule") && strcmp(it_str(a, "rule"), rule) == 0 &&
             (by ? it_str(a, "at") != NULL : 1);
    if (!ok) {
        fprintf(stderr,
                "%s:%d: approvals[%zu]: expected round %d level %d roles [%s] %s by %s rule %s\n",
                file, line, i, round, level, roles, status, by ? by : "null", rule);
        it_dump("approvals", s_approvals(c));
    }
    IT_CHECK(ok);
}
#define s_check_approval(c, i, round, level, roles, status, by, rule)                              \
    s_check_approval_(c, i, round, level, roles, status, by, rule, __FILE__, __LINE__)

/* Checks reply.approvals (of propose): [{level, roles}], each level's roles as "a b|c" */
static void s_check_levels(const json_t *reply, const char *levels)
{
    json_t *a = json_object_get(reply, "approvals");
    char copy[256];
    snprintf(copy, sizeof copy, "%s", levels);
    size_t n = 0;
    int ok = json_is_array(a);
    char *save = NULL;
    for (char *lv = strtok_r(copy, "|", &save); ok && lv; lv = strtok_r(NULL, "|", &save)) {
        json_t *one = json_array_get(a, n++);
        ok = json_integer_value(json_object_get(one, "level")) == (json_int_t)n &&
             s_same_list(json_object_get(one, "roles"), lv);
    }
    ok = ok && json_array_size(a) == n;
    if (!ok) {
        fprintf(stderr, "expected approval levels %s\n", levels);
        it_dump("reply", reply);
    }
    IT_CHECK(ok);
}

/* ---- 1. the happy path of a quality complaint ------------------------------------------- */

static void t_happy_path_quality(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    json_t *ev = s_event("hp-1", "洗衣机底部漏水，要求上门检修", "east", NULL);
    json_object_set_new(ev, "customer",
                        json_pack("{s:s, s:s, s:s}", "name", "张三", "phone", "138 0013 8000",
                                  "address", "上海市浦东新区张杨路1号"));
    char *no = s_submit(d, ev);

    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(c, "status"), "registered");
    IT_CHECK_STR(it_str(c, "category"), "product_quality");
    IT_CHECK_STR(it_str(c, "department"), "sales");
    IT_CHECK_STR(it_str(c, "assignee"), "li");
    IT_CHECK_INT(json_integer_value(json_object_get(c, "round")), 1);
    IT_CHECK(json_is_false(json_object_get(c, "escalated")));
    IT_CHECK_INT(json_array_size(s_approvals(c)), 0);
    IT_CHECK(json_is_array(json_object_get(c, "followups")));
    IT_CHECK_INT(json_array_size(json_object_get(c, "followups")), 0);
    IT_CHECK(json_is_array(json_object_get(c, "capa")));
    IT_CHECK_INT(json_array_size(json_object_get(c, "capa")), 0);
    IT_CHECK(json_is_null(json_object_get(c, "closed_at")));
    IT_CHECK_STR(it_str(json_object_get(c, "customer"), "name"), "张三");
    s_check_allowed(json_object_get(c, "allowed"), "registered");
    IT_CHECK_STR(s_deadline_status(c, "site_visit"), "pending");
    json_decref(c);

    /* R9: read back and confirmed; the router chose li: assigned at once. */
    s_step0(d, no, "confirm", "clerk", json_pack("{s:s}", "text", "已向客户复述，客户确认无误"),
            "registered", "assigned");

    /* R16: the visit finds a quality problem and meets site_visit. */
    json_t *r =
        s_step(d, no, "visit", "li",
               json_pack("{s:s, s:s}", "finding", "排水管接口开裂", "responsibility", "quality"),
               "assigned", "investigating");
    S_CHECK_SET(json_object_get(r, "met"), "site_visit");
    json_decref(r);

    /* R11, R23: cause analysis. */
    r = s_step(
        d, no, "analyse", "li",
        json_pack("{s:s, s:s}", "cause", "排水管注塑件壁厚不足", "responsibility", "quality"),
        "investigating", "investigating");
    IT_CHECK_INT(json_array_size(json_object_get(r, "met")), 0);
    json_decref(r);

    /* R20: the quality rule: vp_marketing, then general_manager. */
    r = s_step(d, no, "propose", "li", json_pack("{s:s}", "result", "免费更换排水管并上门安装"),
               "investigating", "resolution_proposed");
    s_check_levels(r, "vp_marketing|general_manager");
    json_decref(r);
    c = s_get(d, no);
    IT_CHECK_STR(it_str(c, "cause"), "排水管注塑件壁厚不足");
    IT_CHECK_STR(it_str(c, "proposed_result"), "免费更换排水管并上门安装");
    IT_CHECK_STR(it_str(c, "responsibility"), "quality");
    IT_CHECK_INT(json_array_size(s_approvals(c)), 2);
    s_check_approval(c, 0, 1, 1, "vp_marketing", "pending", NULL, "quality");
    s_check_approval(c, 1, 1, 2, "general_manager", "pending", NULL, "quality");
    IT_CHECK(s_deadline(c, "approval") == NULL); /* the quality rule has no `within` */
    json_decref(c);

    r = s_step(d, no, "approve", "sun", json_pack("{s:s}", "reason", "同意"), "resolution_proposed",
               "resolution_proposed");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 1);
    json_t *next = json_object_get(r, "next");
    if (!json_is_object(next)) {
        it_dump("approve reply", r);
    }
    IT_CHECK(json_is_object(next));
    IT_CHECK_INT(json_integer_value(json_object_get(next, "level")), 2);
    S_CHECK_LIST(json_object_get(next, "roles"), "general_manager");
    json_decref(r);

    r = s_step(d, no, "approve", "gm", NULL, "resolution_proposed", "approved");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 2);
    IT_CHECK(json_is_null(json_object_get(r, "next")));
    json_decref(r);
    c = s_get(d, no);
    s_check_approval(c, 0, 1, 1, "vp_marketing", "approved", "sun", "quality");
    s_check_approval(c, 1, 1, 2, "general_manager", "approved", "gm", "quality");
    json_decref(c);

    /* A progress note without "by": the actor is plaint (R18: meets progress_report). */
    r = s_step(d, no, "note", NULL, json_pack("{s:s}", "text", "已通知客户处理方案已获批"),
               "approved", "approved");
    IT_CHECK_INT(json_array_size(json_object_get(r, "rearmed")), 1);
    IT_CHECK_STR(it_str(json_array_get(json_object_get(r, "rearmed"), 0), "name"),
                 "progress_report");
    json_decref(r);

    r = s_step(d, no, "reply", "li", json_pack("{s:s}", "text", "已为客户免费更换排水管"),
               "approved", "replied");
    S_CHECK_SET(json_object_get(r, "met"), "reply");
    json_decref(r);

    /* R21: the follow-up call. */
    r = s_step(d, no, "followup", "clerk",
               json_pack("{s:s, s:b, s:s}", "method", "phone", "satisfied", 1, "opinion",
                         "很满意，问题已解决"),
               "replied", "followup");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), 1);
    IT_CHECK(json_is_false(json_object_get(r, "escalated")));
    IT_CHECK_STR(it_str(r, "assignee"), "li");
    json_decref(r);
    c = s_get(d, no);
    IT_CHECK_STR(it_str(c, "handling_result"), "已为客户免费更换排水管");
    IT_CHECK_STR(it_str(c, "followup_method"), "phone");
    IT_CHECK_STR(it_str(c, "followup_by"), "clerk");
    IT_CHECK_STR(it_str(c, "customer_opinion"), "很满意，问题已解决");
    IT_CHECK(it_str(c, "followup_at") != NULL);
    json_t *fu = json_object_get(c, "followups");
    IT_CHECK_INT(json_array_size(fu), 1);
    json_t *f0 = json_array_get(fu, 0);
    IT_CHECK_INT(json_integer_value(json_object_get(f0, "round")), 1);
    IT_CHECK_STR(it_str(f0, "by"), "clerk");
    IT_CHECK_STR(it_str(f0, "method"), "phone");
    IT_CHECK(json_is_true(json_object_get(f0, "satisfied")));
    IT_CHECK_STR(it_str(f0, "opinion"), "很满意，问题已解决");
    IT_CHECK(it_str(f0, "at") != NULL);
    json_decref(c);

    /* Closed from followup: no reason needed; what is left of the deadlines is cancelled. */
    r = s_step(d, no, "close", "li", NULL, "followup", "closed");
    S_CHECK_SET(json_object_get(r, "cancelled"), "first_report progress_report");
    IT_CHECK_INT(json_array_size(json_object_get(r, "met")), 0);
    json_decref(r);

    c = s_get(d, no);
    IT_CHECK(it_str(c, "closed_at") != NULL);
    IT_CHECK_INT(json_integer_value(json_object_get(c, "round")), 1);
    IT_CHECK(json_is_false(json_object_get(c, "escalated")));
    IT_CHECK_STR(it_str(c, "assignee"), "li");
    IT_CHECK_STR(s_deadline_status(c, "site_visit"), "met");
    IT_CHECK_STR(s_deadline_status(c, "reply"), "met");
    IT_CHECK_STR(s_deadline_status(c, "first_report"), "cancelled");
    IT_CHECK_STR(s_deadline_status(c, "progress_report"), "cancelled");
    S_CHECK_OP_HISTORY(c, "confirm/clerk visit/li analyse/li propose/li approve/sun approve/gm "
                          "note/plaint reply/li followup/clerk close/li");
    /* The intake rows come first; every row has a time, in order. */
    json_t *history = json_object_get(c, "history");
    IT_CHECK_STR(it_str(json_array_get(history, 0), "type"), "registered");
    IT_CHECK_STR(it_str(json_array_get(history, 0), "actor"), "source:it-lc");
    size_t i;
    json_t *h;
    const char *prev_at = "";
    json_array_foreach(history, i, h)
    {
        const char *at = it_str(h, "at");
        IT_CHECK(at != NULL);
        IT_CHECK(strcmp(prev_at, at) <= 0);
        IT_CHECK(json_is_object(json_object_get(h, "detail")));
        prev_at = at;
    }
    /* The operation rows keep their fields. */
    json_t *visit = s_last_history(c, "visit");
    IT_CHECK_STR(it_str(json_object_get(visit, "detail"), "finding"), "排水管接口开裂");
    IT_CHECK_STR(it_str(json_object_get(visit, "detail"), "responsibility"), "quality");
    json_t *fh = s_last_history(c, "followup");
    IT_CHECK_STR(it_str(json_object_get(fh, "detail"), "method"), "phone");
    IT_CHECK(json_is_true(json_object_get(json_object_get(fh, "detail"), "satisfied")));
    json_decref(c);

    /* The database agrees. */
    IT_CHECK_INT(s_q(e.db,
                     "SELECT count(*) FROM cases WHERE case_no = '%s' AND status = 'closed' "
                     "AND closed_at IS NOT NULL",
                     no),
                 1);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM approvals WHERE status = 'approved'"), 2);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM approvals"), 2);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM followups WHERE satisfied"), 1);
    IT_CHECK_INT(
        s_q(e.db, "SELECT count(*) FROM deadlines WHERE status IN ('pending', 'breached')"), 0);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 0);
    free(no);
    s_stop(&e);
}

/* ---- 2. every refusal of the table -------------------------------------------------------- */

/* In `status`, sends every operation the table does not allow and checks each refusal. */
static void s_sweep(const s_env_t *e, const char *case_no, const char *status)
{
    const it_daemon_t *d = &e->d;
    json_t *c = s_get(d, case_no);
    IT_CHECK_STR(it_str(c, "status"), status);
    s_check_allowed(json_object_get(c, "allowed"), status);
    json_t *sig = s_case_sig(c);
    json_decref(c);
    long rows = s_history_rows(e->db, case_no);
    int refused = 0;
    for (size_t i = 0; i < S_OPS; i++) {
        const char *op = s_table[i].op;
        if (s_allowed_in(op, status)) {
            continue;
        }
        json_t *reply = s_op(d, case_no, op, "liu", s_valid_fields(op));
        char what[128];
        snprintf(what, sizeof what, "%s refused in %s", op, status);
        json_t *error = json_object_get(reply, "error");
        int ok = json_is_false(json_object_get(reply, "ok")) && it_str(error, "code") &&
                 strcmp(it_str(error, "code"), "invalid_state") == 0 && it_str(error, "field") &&
                 strcmp(it_str(error, "field"), "status") == 0 && it_str(error, "status") &&
                 strcmp(it_str(error, "status"), status) == 0 &&
                 it_same_words(json_object_get(error, "allowed"), s_allowed(status)) &&
                 it_str(error, "message") && strstr(it_str(error, "message"), case_no) &&
                 strstr(it_str(error, "message"), op);
        if (!ok) {
            fprintf(stderr, "%s: expected invalid_state (field status, status %s, allowed %s)\n",
                    what, status, s_allowed(status));
            it_dump("reply", reply);
        }
        IT_CHECK(ok);
        json_decref(reply);
        s_check_unchanged(d, e->db, case_no, sig, rows, what);
        refused++;
    }
    printf("# %s: %d operations refused, allowed: %s\n", status, refused, s_allowed(status));
    IT_CHECK_INT(refused + (int)it_word_count(s_allowed(status)), (int)S_OPS);
    json_decref(sig);
}

static void t_every_refusal(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    /* One case along the main line; one routed to nobody for `confirmed`. */
    char *main_no = s_submit_simple(d, "er-1", "电饭煲漏水，要求退货", "east");
    char *triage_no = s_submit_simple(d, "er-2", "热水器不加热（待分派）", NULL);
    int swept = 0;
    for (const char *const *s = s_statuses; *s; s++) {
        const char *no = strcmp(*s, "confirmed") == 0 ? triage_no : main_no;
        s_drive(d, no, *s);
        s_sweep(&e, no, *s);
        swept++;
    }
    IT_CHECK_INT(swept, 9);
    /* The triage case: confirm gave `confirmed` (nobody assigned), assign made it `assigned`. */
    json_t *c = s_get(d, triage_no);
    IT_CHECK_STR(it_str(c, "department"), "quality");
    IT_CHECK(json_is_null(json_object_get(c, "assignee")));
    json_decref(c);
    s_step0(d, triage_no, "assign", "clerk", json_pack("{s:s}", "to", "zhou"), "confirmed",
            "assigned");
    c = s_get(d, triage_no);
    IT_CHECK_STR(it_str(c, "assignee"), "zhou");
    json_decref(c);
    /* Reopened, the main case is assignable again, and refuses as `assigned` does. */
    s_step0(d, main_no, "reopen", "li", json_pack("{s:s}", "reason", "客户再次来电"), "closed",
            "assigned");
    s_sweep(&e, main_no, "assigned");
    /* A paused case refuses nothing more. */
    json_t *r = s_op(d, main_no, "pause", "li", json_pack("{s:s}", "reason", "客户出差"));
    it_check_ok(r);
    json_decref(r);
    s_sweep(&e, main_no, "assigned");
    r = s_op(d, main_no, "resume", "li", NULL);
    it_check_ok(r);
    json_decref(r);
    free(main_no);
    free(triage_no);
    s_stop(&e);
}

/* ---- 3. field refusals ---------------------------------------------------------------------- */

typedef struct s_field_case {
    const char *status; /* the case it is sent to is in this status */
    const char *op;
    const char *fields; /* JSON object */
    const char *code;   /* alternatives "a|b" */
    const char *field;  /* alternatives "a|b" */
} s_field_case_t;

static const s_field_case_t s_field_cases[] = {
    {"registered", "confirm", "{\"text\": 1}", "wrong_type", "text"},
    {"registered", "confirm", "{\"text\": \"\"}", "invalid_value", "text"},
    {"registered", "confirm", "{\"txt\": \"已确认\"}", "unknown_field", "txt"},
    {"registered", "note", "{}", "missing_field", "text"},
    {"registered", "note", "{\"text\": []}", "wrong_type", "text"},
    {"registered", "note", "{\"text\": \"x\", \"colour\": \"red\"}", "unknown_field", "colour"},
    {"registered", "note", "{\"text\": \"x\", \"by\": \"\"}", "invalid_value", "by"},
    {"registered", "note", "{\"text\": \"x\", \"by\": 7}", "wrong_type", "by"},
    {"registered", "report", "{}", "missing_field", "text"},
    {"registered", "report", "{\"text\": null}", "wrong_type|missing_field", "text"},
    {"registered", "remark", "{}", "missing_field", "text"},
    {"registered", "remark", "{\"text\": false}", "wrong_type", "text"},
    {"registered", "pause", "{}", "missing_field", "reason"},
    {"registered", "resume", "{\"reason\": \"x\"}", "unknown_field", "reason"},
    {"registered", "close", "{\"reason\": 7}", "wrong_type", "reason"},
    {"registered", "close", "{}", "missing_field", "reason"},
    {"registered", "close", "{\"text\": \"旧的 close 备注\"}", "unknown_field|missing_field",
     "text|reason"},
    {"confirmed", "assign", "{}", "missing_field", "to"},
    {"confirmed", "assign", "{\"to\": 5}", "wrong_type", "to"},
    {"confirmed", "assign", "{\"to\": \"nobody\"}", "not_found", "to"},
    {"confirmed", "assign", "{\"to\": \"\"}", "invalid_value|not_found", "to"},
    {"assigned", "visit", "{\"responsibility\": \"quality\"}", "missing_field", "finding"},
    {"assigned", "visit", "{\"finding\": \"x\"}", "missing_field", "responsibility"},
    {"assigned", "visit", "{\"finding\": \"x\", \"responsibility\": \"customer\"}", "invalid_value",
     "responsibility"},
    {"assigned", "visit", "{\"finding\": 1, \"responsibility\": \"quality\"}", "wrong_type",
     "finding"},
    {"assigned", "visit", "{\"finding\": \"x\", \"responsibility\": true}", "wrong_type",
     "responsibility"},
    {"assigned", "analyse", "{\"responsibility\": \"misuse\"}", "missing_field", "cause"},
    {"assigned", "analyse", "{\"cause\": \"x\"}", "missing_field", "responsibility"},
    {"assigned", "analyse", "{\"cause\": \"x\", \"responsibility\": \"Quality\"}", "invalid_value",
     "responsibility"},
    {"assigned", "analyse", "{\"cause\": {}, \"responsibility\": \"quality\"}", "wrong_type",
     "cause"},
    {"assigned", "capa", "{\"action\": \"a\", \"owner\": \"li\", \"due\": \"2026-12-31\"}",
     "missing_field", "kind"},
    {"assigned", "capa",
     "{\"kind\": \"curative\", \"action\": \"a\", \"owner\": \"li\", \"due\": \"2026-12-31\"}",
     "invalid_value", "kind"},
    {"assigned", "capa", "{\"kind\": \"corrective\", \"owner\": \"li\", \"due\": \"2026-12-31\"}",
     "missing_field", "action"},
    {"assigned", "capa", "{\"kind\": \"corrective\", \"action\": \"a\", \"due\": \"2026-12-31\"}",
     "missing_field", "owner"},
    {"assigned", "capa", "{\"kind\": \"corrective\", \"action\": \"a\", \"owner\": \"li\"}",
     "missing_field", "due"},
    {"assigned", "capa",
     "{\"kind\": \"corrective\", \"action\": \"a\", \"owner\": \"li\", \"due\": \"2026-02-30\"}",
     "invalid_value", "due"},
    {"assigned", "capa",
     "{\"kind\": \"corrective\", \"action\": \"a\", \"owner\": \"li\", \"due\": \"next week\"}",
     "invalid_value", "due"},
    {"assigned", "capa",
     "{\"kind\": \"corrective\", \"action\": \"a\", \"owner\": \"li\", "
     "\"due\": \"2026-12-31T00:00:00Z\"}",
     "invalid_value", "due"},
    {"assigned", "capa",
     "{\"kind\": \"corrective\", \"action\": \"a\", \"owner\": \"li\", \"due\": 20261231}",
     "wrong_type", "due"},
    {"assigned", "capa",
     "{\"kind\": 1, \"action\": \"a\", \"owner\": \"li\", \"due\": \"2026-12-31\"}", "wrong_type",
     "kind"},
    {"assigned", "capa", "{\"verify\": \"1\", \"result\": \"r\", \"effective\": true}",
     "wrong_type", "verify"},
    {"assigned", "capa", "{\"verify\": 1.5, \"result\": \"r\", \"effective\": true}", "wrong_type",
     "verify"},
    {"assigned", "capa", "{\"verify\": 1, \"effective\": true}", "missing_field", "result"},
    {"assigned", "capa", "{\"verify\": 1, \"result\": \"r\"}", "missing_field", "effective"},
    {"assigned", "capa", "{\"verify\": 1, \"result\": \"r\", \"effective\": \"yes\"}", "wrong_type",
     "effective"},
    {"assigned", "capa", "{\"verify\": 99, \"result\": \"r\", \"effective\": true}", "not_found",
     "verify"},
    {"assigned", "capa", "{}", "missing_field", "kind|verify"},
    {"investigating", "propose", "{}", "missing_field", "result"},
    {"investigating", "propose", "{\"result\": 1}", "wrong_type", "result"},
    {"investigating", "assign", "{\"to\": \"nobody\"}", "not_found", "to"},
    {"resolution_proposed", "approve", "{\"reason\": 5}", "wrong_type", "reason"},
    {"resolution_proposed", "approve", "{\"comment\": \"ok\"}", "unknown_field", "comment"},
    {"resolution_proposed", "reject", "{}", "missing_field", "reason"},
    {"resolution_proposed", "reject", "{\"reason\": \"\"}", "invalid_value", "reason"},
    {"approved", "reply", "{}", "missing_field", "text"},
    {"approved", "reply", "{\"text\": 42}", "wrong_type", "text"},
    {"replied", "followup", "{\"satisfied\": true}", "missing_field", "method"},
    {"replied", "followup", "{\"method\": \"fax\", \"satisfied\": true}", "invalid_value",
     "method"},
    {"replied", "followup", "{\"method\": 7, \"satisfied\": true}", "wrong_type", "method"},
    {"replied", "followup", "{\"method\": \"phone\"}", "missing_field", "satisfied"},
    {"replied", "followup", "{\"method\": \"phone\", \"satisfied\": \"yes\"}", "wrong_type",
     "satisfied"},
    {"replied", "followup", "{\"method\": \"phone\", \"satisfied\": 1}", "wrong_type", "satisfied"},
    {"replied", "followup", "{\"method\": \"phone\", \"satisfied\": true, \"at\": \"yesterday\"}",
     "invalid_value", "at"},
    {"replied", "followup", "{\"method\": \"phone\", \"satisfied\": true, \"at\": \"2026-01-01\"}",
     "invalid_value", "at"},
    {"replied", "followup", "{\"method\": \"phone\", \"satisfied\": true, \"at\": 1}", "wrong_type",
     "at"},
    {"replied", "followup", "{\"method\": \"phone\", \"satisfied\": true, \"opinion\": 3}",
     "wrong_type", "opinion"},
    {"closed", "reopen", "{}", "missing_field", "reason"},
    {"closed", "reopen", "{\"reason\": 1}", "wrong_type", "reason"},
    {"closed", "remark", "{\"text\": \"\"}", "invalid_value", "text"},
};

static void t_field_refusals(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    /* One case in each status. */
    char *nos[9] = {0};
    for (size_t k = 0; s_statuses[k]; k++) {
        char id[32];
        snprintf(id, sizeof id, "fr-%zu", k);
        int triage = strcmp(s_statuses[k], "confirmed") == 0;
        nos[k] = s_submit_simple(d, id, triage ? "空调不制冷（待分派）" : "空调外机漏水", "east");
        s_drive(d, nos[k], s_statuses[k]);
    }
    long rows[9];
    json_t *sigs[9];
    for (size_t k = 0; s_statuses[k]; k++) {
        rows[k] = s_history_rows(e.db, nos[k]);
        json_t *c = s_get(d, nos[k]);
        sigs[k] = s_case_sig(c);
        json_decref(c);
    }

    size_t n = sizeof s_field_cases / sizeof s_field_cases[0];
    for (size_t i = 0; i < n; i++) {
        const s_field_case_t *fc = &s_field_cases[i];
        size_t k = 0;
        while (s_statuses[k] && strcmp(s_statuses[k], fc->status) != 0) {
            k++;
        }
        IT_CHECK(s_statuses[k] != NULL);
        /* "by" in the fields replaces the default liu (a sales manager: may approve "other"). */
        json_t *reply =
            s_op_text(d, nos[k], fc->op, strstr(fc->fields, "\"by\"") ? NULL : "liu", fc->fields);
        json_t *error = json_object_get(reply, "error");
        int ok = json_is_false(json_object_get(reply, "ok")) &&
                 s_one_of(it_str(error, "code"), fc->code) &&
                 s_one_of(it_str(error, "field"), fc->field);
        if (!ok) {
            fprintf(stderr, "%s %s %s in %s: expected %s (field %s)\n", fc->op, nos[k], fc->fields,
                    fc->status, fc->code, fc->field);
            it_dump("reply", reply);
        }
        IT_CHECK(ok);
        json_decref(reply);
    }
    /* by too long (129 bytes); owner too long. */
    char *long_by = s_repeat("a", 129);
    json_t *reply = s_op(d, nos[0], "note", long_by, json_pack("{s:s}", "text", "x"));
    s_check_refused(reply, "invalid_value", "by");
    json_decref(reply);
    reply = s_op(d, nos[2], "capa", "li",
                 json_pack("{s:s, s:s, s:s, s:s}", "kind", "corrective", "action", "a", "owner",
                           long_by, "due", "2026-12-31"));
    s_check_refused(reply, "invalid_value", "owner");
    json_decref(reply);
    free(long_by);
    /* A text over 16384 bytes. */
    char *long_text = s_repeat("长", 5462); /* 16386 bytes */
    reply = s_op(d, nos[0], "note", "li", json_pack("{s:s}", "text", long_text));
    s_check_refused(reply, "invalid_value", "text");
    json_decref(reply);
    free(long_text);

    /* Nothing changed anywhere. */
    for (size_t k = 0; s_statuses[k]; k++) {
        s_check_unchanged(d, e.db, nos[k], sigs[k], rows[k], "the field refusals");
        json_decref(sigs[k]);
    }

    /* No such case: every operation, with valid fields. */
    for (size_t i = 0; i < S_OPS; i++) {
        reply = s_op(d, S_NO_CASE, s_table[i].op, "liu", s_valid_fields(s_table[i].op));
        s_check_refused(reply, "not_found", "case_no");
        json_decref(reply);
    }
    /* case_no missing, of the wrong type, empty. */
    reply = s_call(d, json_pack("{s:s, s:s}", "op", "remark", "text", "x"));
    s_check_refused(reply, "missing_field", "case_no");
    json_decref(reply);
    reply = s_call(d, json_pack("{s:s, s:i, s:s}", "op", "remark", "case_no", 5, "text", "x"));
    s_check_refused(reply, "wrong_type", "case_no");
    json_decref(reply);
    reply = s_call(d, json_pack("{s:s, s:s, s:s}", "op", "remark", "case_no", "", "text", "x"));
    s_check_refused(reply, "invalid_value|not_found", "case_no");
    json_decref(reply);
    /* The protocol's id comes back with a refusal too. */
    reply = s_call(d, json_pack("{s:s, s:s, s:s, s:i}", "op", "approve", "case_no", S_NO_CASE, "by",
                                "gm", "id", 77));
    s_check_refused(reply, "not_found", "case_no");
    IT_CHECK_INT(json_integer_value(json_object_get(reply, "id")), 77);
    json_decref(reply);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM cases"), 9);
    for (size_t k = 0; s_statuses[k]; k++) {
        free(nos[k]);
    }
    s_stop(&e);
}

/* ---- 4. the approval matrix (R20) ---------------------------------------------------------- */

/* A case of responsibility `resp` (by a visit of li), proposed; returns its number. */
static char *s_proposed(const it_daemon_t *d, const char *id, const char *resp, const char *levels)
{
    char *no = s_submit_simple(d, id, "冰箱底部漏水，地板泡坏", "east");
    s_drive(d, no, "assigned");
    s_step0(d, no, "visit", "li",
            json_pack("{s:s, s:s}", "finding", "现场查看", "responsibility", resp), "assigned",
            "investigating");
    json_t *r = s_step(d, no, "propose", "li", json_pack("{s:s}", "result", "上门更换配件"),
                       "investigating", "resolution_proposed");
    s_check_levels(r, levels);
    json_decref(r);
    return no;
}

/* approve/reject by `by` must be refused with forbidden (field by), naming `roles`. */
static void s_check_forbidden(const it_daemon_t *d, const char *no, const char *op, const char *by,
                              const char *roles)
{
    json_t *r = s_op(d, no, op, by,
                     strcmp(op, "reject") == 0 ? json_pack("{s:s}", "reason", "不同意") : NULL);
    s_check_refused(r, "forbidden", "by");
    const char *msg = it_str(json_object_get(r, "error"), "message");
    char copy[256];
    snprintf(copy, sizeof copy, "%s", roles);
    char *save = NULL;
    for (char *role = strtok_r(copy, " ", &save); role; role = strtok_r(NULL, " ", &save)) {
        if (!msg || !strstr(msg, role)) {
            fprintf(stderr, "%s by %s: the message should name %s\n", op, by ? by : "-", role);
            it_dump("reply", r);
        }
        IT_CHECK(msg && strstr(msg, role));
    }
    json_decref(r);
}

static void t_approvals_matrix(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;

    /* Misuse (R11, R20): one level, management_rep or general_manager, within 2h. */
    char *a = s_proposed(d, "am-1", "misuse", "management_rep general_manager");
    json_t *c = s_get(d, a);
    IT_CHECK_INT(json_array_size(s_approvals(c)), 1);
    s_check_approval(c, 0, 1, 1, "management_rep general_manager", "pending", NULL, "misuse");
    IT_CHECK_STR(s_deadline_status(c, "approval"), "pending");
    json_decref(c);
    long left = s_q(e.db,
                    "SELECT round(extract(epoch FROM d.due_at - now()))::bigint FROM deadlines d "
                    "JOIN cases c ON c.id = d.case_id WHERE c.case_no = '%s' AND d.name = "
                    "'approval'",
                    a);
    printf("# approval deadline due in %ld s\n", left);
    IT_CHECK(left > 7200 - 120 && left <= 7201);
    long rows = s_history_rows(e.db, a);
    s_check_forbidden(d, a, "approve", "sun", "management_rep general_manager");
    s_check_forbidden(d, a, "approve", NULL, "management_rep general_manager"); /* "plaint" */
    s_check_forbidden(d, a, "approve", "nobody", "management_rep general_manager");
    s_check_forbidden(d, a, "approve", "li", "management_rep general_manager");
    s_check_forbidden(d, a, "reject", "sun", "management_rep general_manager");
    IT_CHECK_INT(s_history_rows(e.db, a), rows);
    json_t *r = s_step(d, a, "approve", "ma", json_pack("{s:s}", "reason", "属使用不当，同意答复"),
                       "resolution_proposed", "approved");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 1);
    IT_CHECK(json_is_null(json_object_get(r, "next")));
    S_CHECK_SET(json_object_get(r, "met"), "approval");
    json_decref(r);
    c = s_get(d, a);
    s_check_approval(c, 0, 1, 1, "management_rep general_manager", "approved", "ma", "misuse");
    IT_CHECK_STR(it_str(json_array_get(s_approvals(c), 0), "reason"), "属使用不当，同意答复");
    IT_CHECK_STR(s_deadline_status(c, "approval"), "met");
    S_CHECK_OP_HISTORY(c, "confirm/clerk visit/li propose/li approve/ma");
    json_decref(c);

    /* ...or by the general manager. */
    char *a2 = s_proposed(d, "am-2", "misuse", "management_rep general_manager");
    s_step0(d, a2, "approve", "gm", NULL, "resolution_proposed", "approved");
    c = s_get(d, a2);
    s_check_approval(c, 0, 1, 1, "management_rep general_manager", "approved", "gm", "misuse");
    json_decref(c);

    /* Quality: vp_marketing, then general_manager, in order. */
    char *q = s_proposed(d, "am-3", "quality", "vp_marketing|general_manager");
    c = s_get(d, q);
    IT_CHECK(s_deadline(c, "approval") == NULL);
    json_decref(c);
    s_check_forbidden(d, q, "approve", "gm", "vp_marketing"); /* level 1 is not his */
    s_check_forbidden(d, q, "approve", "ma", "vp_marketing");
    r = s_step(d, q, "approve", "sun", NULL, "resolution_proposed", "resolution_proposed");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "level")), 1);
    IT_CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "next"), "level")), 2);
    json_decref(r);
    s_check_forbidden(d, q, "approve", "sun", "general_manager"); /* level 2 is not hers */
    s_check_forbidden(d, q, "reject", "sun", "general_manager");
    rows = s_history_rows(e.db, q);
    r = s_op(d, q, "reject", "gm", NULL);
    s_check_refused(r, "missing_field", "reason");
    json_decref(r);
    IT_CHECK_INT(s_history_rows(e.db, q), rows);
    /* Rejected at level 2: back to investigating. */
    r = s_step(d, q, "reject", "gm", json_pack("{s:s}", "reason", "方案不完整，需补充赔偿说明"),
               "resolution_proposed", "investigating");
    json_decref(r);
    c = s_get(d, q);
    IT_CHECK_INT(json_array_size(s_approvals(c)), 2);
    s_check_approval(c, 0, 1, 1, "vp_marketing", "approved", "sun", "quality");
    s_check_approval(c, 1, 1, 2, "general_manager", "rejected", "gm", "quality");
    IT_CHECK_STR(it_str(json_array_get(s_approvals(c), 1), "reason"), "方案不完整，需补充赔偿说明");
    json_decref(c);
    /* A new proposal starts from level 1: gm may not approve it first. */
    r = s_step(d, q, "propose", "li", json_pack("{s:s}", "result", "更换整机并补偿100元"),
               "investigating", "resolution_proposed");
    s_check_levels(r, "vp_marketing|general_manager");
    json_decref(r);
    s_check_forbidden(d, q, "approve", "gm", "vp_marketing");
    /* Rejected at level 1: level 2 of that proposal is never asked. */
    s_step0(d, q, "reject", "sun", json_pack("{s:s}", "reason", "补偿金额过高"),
            "resolution_proposed", "investigating");
    s_step0(d, q, "propose", "li", json_pack("{s:s}", "result", "更换整机"), "investigating",
            "resolution_proposed");
    s_step0(d, q, "approve", "sun", NULL, "resolution_proposed", "resolution_proposed");
    s_step0(d, q, "approve", "gm", NULL, "resolution_proposed", "approved");
    c = s_get(d, q);
    json_t *ap = s_approvals(c);
    IT_CHECK_INT(json_array_size(ap), 6);
    s_check_approval(c, 0, 1, 1, "vp_marketing", "approved", "sun", "quality");
    s_check_approval(c, 1, 1, 2, "general_manager", "rejected", "gm", "quality");
    s_check_approval(c, 2, 1, 1, "vp_marketing", "rejected", "sun", "quality");
    s_check_approval(c, 3, 1, 2, "general_manager", "superseded", NULL, "quality");
    s_check_approval(c, 4, 1, 1, "vp_marketing", "approved", "sun", "quality");
    s_check_approval(c, 5, 1, 2, "general_manager", "approved", "gm", "quality");
    IT_CHECK_STR(it_str(c, "proposed_result"), "更换整机");
    S_CHECK_OP_HISTORY(c, "confirm/clerk visit/li propose/li approve/sun reject/gm propose/li "
                          "reject/sun propose/li approve/sun approve/gm");
    json_t *rej = s_last_history(c, "reject");
    IT_CHECK_STR(it_str(json_object_get(rej, "detail"), "reason"), "补偿金额过高");
    json_decref(c);

    /* Other: the sales manager (either of them). */
    char *o = s_proposed(d, "am-4", "other", "sales_manager");
    s_check_forbidden(d, o, "approve", "sun", "sales_manager");
    s_check_forbidden(d, o, "approve", "gm", "sales_manager");
    s_step0(d, o, "approve", "liu", NULL, "resolution_proposed", "approved");
    c = s_get(d, o);
    s_check_approval(c, 0, 1, 1, "sales_manager", "approved", "liu", "other");
    IT_CHECK(s_deadline(c, "approval") == NULL);
    json_decref(c);

    /* The database: nothing pending is left. */
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM approvals WHERE status = 'pending'"), 0);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM approvals"), 1 + 1 + 6 + 1);
    free(a);
    free(a2);
    free(q);
    free(o);
    s_stop(&e);
}

/* ---- 5. R22: handled again, then escalated ------------------------------------------------ */

/* One handling round from `assigned` to `replied`: analyse, propose, approve
 * (a sales manager other than the proposer: four eyes), reply. */
static void s_handle(const it_daemon_t *d, const char *no, const char *actor, int round)
{
    char text[64];
    snprintf(text, sizeof text, "第%d轮处理：更换密封圈", round);
    s_step0(d, no, "analyse", actor,
            json_pack("{s:s, s:s}", "cause", "密封圈老化", "responsibility", "other"), "assigned",
            "investigating");
    s_step0(d, no, "propose", actor, json_pack("{s:s}", "result", text), "investigating",
            "resolution_proposed");
    s_step0(d, no, "approve", strcmp(actor, "liu") == 0 ? "wu" : "liu", NULL,
            "resolution_proposed", "approved");
    s_step0(d, no, "reply", actor, json_pack("{s:s}", "text", text), "approved", "replied");
}

static void t_r22_loop(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    char *no = s_submit_simple(d, "r22-1", "净水器接头漏水，第二次投诉", "east");
    s_drive(d, no, "assigned");
    s_handle(d, no, "li", 1);

    /* Unsatisfied: handled again by the same assignee, round 2. */
    json_t *r = s_step(
        d, no, "followup", "clerk",
        json_pack("{s:s, s:b, s:s}", "method", "phone", "satisfied", 0, "opinion", "还是漏水"),
        "replied", "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), 2);
    IT_CHECK(json_is_false(json_object_get(r, "escalated")));
    IT_CHECK_STR(it_str(r, "assignee"), "li");
    json_decref(r);
    json_t *c = s_get(d, no);
    IT_CHECK_INT(json_integer_value(json_object_get(c, "round")), 2);
    IT_CHECK(json_is_false(json_object_get(c, "escalated")));
    IT_CHECK_STR(it_str(c, "assignee"), "li");
    IT_CHECK_INT(json_array_size(json_object_get(c, "followups")), 1);
    IT_CHECK(json_is_false(
        json_object_get(json_array_get(json_object_get(c, "followups"), 0), "satisfied")));
    IT_CHECK(s_last_history(c, "escalated") == NULL);
    json_decref(c);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 0);

    /* Round 2: its own proposal, approval and reply. */
    s_handle(d, no, "li", 2);
    c = s_get(d, no);
    IT_CHECK_INT(json_array_size(s_approvals(c)), 2);
    s_check_approval(c, 0, 1, 1, "sales_manager", "approved", "liu", "other");
    s_check_approval(c, 1, 2, 1, "sales_manager", "approved", "liu", "other");
    json_decref(c);

    /* Unsatisfied again: escalated to the sales manager of region east (liu, not wu). */
    r = s_step(d, no, "followup", "clerk",
               json_pack("{s:s, s:b, s:s, s:s}", "method", "visit", "satisfied", 0, "opinion",
                         "要求退货", "at", "2026-01-05T10:00:00+08:00"),
               "replied", "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), 3);
    IT_CHECK(json_is_true(json_object_get(r, "escalated")));
    IT_CHECK_STR(it_str(r, "assignee"), "liu");
    json_decref(r);
    c = s_get(d, no);
    IT_CHECK_INT(json_integer_value(json_object_get(c, "round")), 3);
    IT_CHECK(json_is_true(json_object_get(c, "escalated")));
    IT_CHECK_STR(it_str(c, "assignee"), "liu");
    IT_CHECK_STR(it_str(c, "followup_method"), "visit");
    IT_CHECK_STR(it_str(c, "customer_opinion"), "要求退货");
    IT_CHECK(it_str(c, "followup_at") &&
             strncmp(it_str(c, "followup_at"), "2026-01-05T02:00:00", 19) == 0);
    json_t *fu = json_object_get(c, "followups");
    IT_CHECK_INT(json_array_size(fu), 2);
    IT_CHECK_INT(json_integer_value(json_object_get(json_array_get(fu, 1), "round")), 2);
    IT_CHECK_STR(it_str(json_array_get(fu, 1), "method"), "visit");
    json_t *esc = s_last_history(c, "escalated");
    if (!esc) {
        it_dump("history", json_object_get(c, "history"));
    }
    IT_CHECK(esc != NULL);
    json_decref(c);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 1);
    char *payload_no = s_qs(e.db, "SELECT payload->>'case_no' FROM outbox WHERE topic = "
                                  "'case.escalated'");
    IT_CHECK_STR(payload_no, no);
    free(payload_no);

    /* Round 3, handled by liu: satisfied at last. */
    s_handle(d, no, "liu", 3);
    r = s_step(d, no, "followup", "clerk",
               json_pack("{s:s, s:b}", "method", "wechat", "satisfied", 1), "replied", "followup");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), 3);
    IT_CHECK(json_is_true(json_object_get(r, "escalated")));
    IT_CHECK_STR(it_str(r, "assignee"), "liu");
    json_decref(r);
    s_step0(d, no, "close", "liu", NULL, "followup", "closed");
    c = s_get(d, no);
    IT_CHECK_INT(json_array_size(json_object_get(c, "followups")), 3);
    IT_CHECK_INT(json_array_size(s_approvals(c)), 3);
    /* liu proposed in round 3, so another sales manager approved (four eyes). */
    s_check_approval(c, 2, 3, 1, "sales_manager", "approved", "wu", "other");
    S_CHECK_OP_HISTORY(c, "confirm/clerk analyse/li propose/li approve/liu reply/li "
                          "followup/clerk analyse/li propose/li approve/liu reply/li "
                          "followup/clerk analyse/liu propose/liu approve/wu reply/liu "
                          "followup/clerk close/liu");
    json_decref(c);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 1);

    /* A case of region west escalates to wu. */
    char *west = s_submit_simple(d, "r22-2", "热水器漏水，第三次投诉", "west");
    s_drive(d, west, "assigned");
    for (int round = 1; round <= 2; round++) {
        s_handle(d, west, "li", round);
        r = s_op(d, west, "followup", "clerk",
                 json_pack("{s:s, s:b}", "method", "phone", "satisfied", 0));
        it_check_ok(r);
        IT_CHECK_STR(it_str(r, "status"), "assigned");
        IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), round + 1);
        json_decref(r);
    }
    c = s_get(d, west);
    IT_CHECK_STR(it_str(c, "assignee"), "wu");
    IT_CHECK(json_is_true(json_object_get(c, "escalated")));
    json_decref(c);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 2);
    free(west);
    free(no);
    s_stop(&e);
}

/* ---- 6. close early, reopen, remark, CAPA ------------------------------------------------ */

static void t_reopen_and_close_early(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    char *no = s_submit_simple(d, "ro-1", "油烟机漏水，滴到灶台", "east");
    s_drive(d, no, "investigating");
    long rows = s_history_rows(e.db, no);

    /* Closing before the follow-up needs a reason. */
    json_t *r = s_op(d, no, "close", "li", NULL);
    s_check_refused(r, "missing_field", "reason");
    json_decref(r);
    IT_CHECK_INT(s_history_rows(e.db, no), rows);
    r = s_step(d, no, "close", "li", json_pack("{s:s}", "reason", "客户撤诉"), "investigating",
               "closed");
    S_CHECK_SET(json_object_get(r, "cancelled"), "first_report reply progress_report");
    json_decref(r);
    json_t *c = s_get(d, no);
    IT_CHECK(it_str(c, "closed_at") != NULL);
    IT_CHECK_STR(it_str(json_object_get(s_last_history(c, "close"), "detail"), "reason"),
                 "客户撤诉");
    json_decref(c);

    /* Reopening needs a reason; it starts a new round with the same assignee. */
    rows = s_history_rows(e.db, no);
    r = s_op(d, no, "reopen", "li", NULL);
    s_check_refused(r, "missing_field", "reason");
    json_decref(r);
    IT_CHECK_INT(s_history_rows(e.db, no), rows);
    r = s_step(d, no, "reopen", "li", json_pack("{s:s}", "reason", "客户反映仍漏水"), "closed",
               "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), 2);
    json_decref(r);
    c = s_get(d, no);
    IT_CHECK_INT(json_integer_value(json_object_get(c, "round")), 2);
    IT_CHECK_STR(it_str(c, "assignee"), "li");
    IT_CHECK_STR(it_str(json_object_get(s_last_history(c, "reopen"), "detail"), "reason"),
                 "客户反映仍漏水");
    json_decref(c);

    /* CAPA (R23): add two, verify one. */
    r = s_step(d, no, "capa", "li",
               json_pack("{s:s, s:s, s:s, s:s}", "kind", "corrective", "action", "更换排烟管密封件",
                         "owner", "li", "due", "2026-12-31"),
               "assigned", "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "capa_no")), 1);
    json_decref(r);
    r = s_step(d, no, "capa", "ma",
               json_pack("{s:s, s:s, s:s, s:s}", "kind", "preventive", "action",
                         "出厂前增加淋水试验", "owner", "品质部 张工", "due", "2027-03-31"),
               "assigned", "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "capa_no")), 2);
    json_decref(r);
    r = s_step(d, no, "capa", "ma",
               json_pack("{s:i, s:s, s:b}", "verify", 1, "result", "复查无渗漏", "effective", 1),
               "assigned", "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "capa_no")), 1);
    json_decref(r);
    rows = s_history_rows(e.db, no);
    r = s_op(d, no, "capa", "ma",
             json_pack("{s:i, s:s, s:b}", "verify", 1, "result", "again", "effective", 0));
    s_check_refused(r, "invalid_state", "verify");
    json_decref(r);
    r = s_op(d, no, "capa", "ma",
             json_pack("{s:i, s:s, s:b}", "verify", 3, "result", "none", "effective", 1));
    s_check_refused(r, "not_found", "verify");
    json_decref(r);
    IT_CHECK_INT(s_history_rows(e.db, no), rows);
    c = s_get(d, no);
    json_t *capa = json_object_get(c, "capa");
    IT_CHECK_INT(json_array_size(capa), 2);
    json_t *c1 = json_array_get(capa, 0), *c2 = json_array_get(capa, 1);
    IT_CHECK_INT(json_integer_value(json_object_get(c1, "no")), 1);
    IT_CHECK_STR(it_str(c1, "kind"), "corrective");
    IT_CHECK_STR(it_str(c1, "action"), "更换排烟管密封件");
    IT_CHECK_STR(it_str(c1, "owner"), "li");
    IT_CHECK_STR(it_str(c1, "due"), "2026-12-31");
    IT_CHECK_STR(it_str(c1, "status"), "verified");
    IT_CHECK_STR(it_str(c1, "created_by"), "li");
    IT_CHECK_STR(it_str(c1, "verified_by"), "ma");
    IT_CHECK(it_str(c1, "verified_at") != NULL && it_str(c1, "created_at") != NULL);
    IT_CHECK_STR(it_str(c1, "result"), "复查无渗漏");
    IT_CHECK(json_is_true(json_object_get(c1, "effective")));
    IT_CHECK_INT(json_integer_value(json_object_get(c2, "no")), 2);
    IT_CHECK_STR(it_str(c2, "kind"), "preventive");
    IT_CHECK_STR(it_str(c2, "owner"), "品质部 张工");
    IT_CHECK_STR(it_str(c2, "due"), "2027-03-31");
    IT_CHECK_STR(it_str(c2, "status"), "open");
    IT_CHECK_STR(it_str(c2, "created_by"), "ma");
    json_decref(c);

    /* Closed again; a remark is still taken (R7's remarks column). */
    s_step0(d, no, "close", "li", json_pack("{s:s}", "reason", "已整改"), "assigned", "closed");
    r = s_step(d, no, "remark", "clerk", json_pack("{s:s}", "text", "归档：见整改报告"), "closed",
               "closed");
    json_decref(r);
    c = s_get(d, no);
    char *remarks = json_dumps(json_object_get(c, "remarks"), JSON_ENCODE_ANY);
    if (!remarks || !strstr(remarks, "归档：见整改报告")) {
        it_dump("case", c);
    }
    IT_CHECK(remarks && strstr(remarks, "归档：见整改报告"));
    free(remarks);
    S_CHECK_OP_HISTORY(c, "confirm/clerk visit/li close/li reopen/li capa/li capa/ma capa/ma "
                          "close/li remark/clerk");
    json_decref(c);
    /* Reopened once more: round 3. */
    r = s_step(d, no, "reopen", "gm", json_pack("{s:s}", "reason", "总经理要求复查"), "closed",
               "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(r, "round")), 3);
    json_decref(r);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM capa"), 2);
    free(no);
    s_stop(&e);
}

/* ---- 7. list ------------------------------------------------------------------------------- */

enum { S_LIST_N = 30 };

typedef struct s_model {
    char case_no[32];
    char received[32]; /* as submitted */
    char *content;
    const char *kind;
    char status[32];
    char category[32];
    char department[32];
    char assignee[32]; /* "" = null */
    int overdue;
} s_model_t;

typedef int (*s_pred_t)(const s_model_t *m, const void *arg);

/* The first `n` characters (code points) of UTF-8 `s` (caller frees). */
static char *s_utf8_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    while (*p && chars < n) {
        p++;
        while ((*p & 0xC0) == 0x80) {
            p++;
        }
        chars++;
    }
    return strndup(s, (size_t)((const char *)p - s));
}

/* `needle` in `hay`, ASCII letters compared case-insensitively. */
static int s_contains_ci(const char *hay, const char *needle)
{
    char *h = strdup(hay), *n = strdup(needle);
    for (char *p = h; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    for (char *p = n; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    int found = strstr(h, n) != NULL;
    free(h);
    free(n);
    return found;
}

/* Runs list with `filter` (consumed; "op" is added) and checks it against the model. */
static void s_check_list_(const it_daemon_t *d, json_t *filter, const s_model_t *models,
                          s_pred_t pred, const void *arg, const char *what, const char *file,
                          int line)
{
    json_object_set_new(filter, "op", json_string("list"));
    if (!json_object_get(filter, "limit")) {
        json_object_set_new(filter, "limit", json_integer(1000));
    }
    char *req_text = json_dumps(filter, JSON_COMPACT);
    json_t *reply = s_call(d, filter);
    /* The model is in received order, newest first (index 0 is the newest). */
    json_t *want = json_array();
    for (size_t i = 0; i < S_LIST_N; i++) {
        if (pred(&models[i], arg)) {
            json_array_append_new(want, json_string(models[i].case_no));
        }
    }
    json_t *got = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(reply, "cases"), i, item)
    {
        json_array_append_new(got,
                              json_string(it_str(item, "case_no") ? it_str(item, "case_no") : "?"));
    }
    int ok =
        json_is_true(json_object_get(reply, "ok")) && json_equal(want, got) &&
        json_integer_value(json_object_get(reply, "total")) == (json_int_t)json_array_size(want);
    if (!ok) {
        fprintf(stderr, "%s:%d: list %s: %s\n", file, line, what, req_text);
        it_dump("expected", want);
        it_dump("got", got);
        it_dump("reply", reply);
    }
    IT_CHECK(ok);
    /* Each entry says what the case is. */
    json_array_foreach(json_object_get(reply, "cases"), i, item)
    {
        const s_model_t *m = NULL;
        for (size_t k = 0; k < S_LIST_N; k++) {
            if (strcmp(models[k].case_no, it_str(item, "case_no")) == 0) {
                m = &models[k];
            }
        }
        IT_CHECK(m != NULL);
        char *summary = s_utf8_prefix(m->content, 40);
        int same =
            it_str(item, "status") && strcmp(it_str(item, "status"), m->status) == 0 &&
            it_str(item, "kind") && strcmp(it_str(item, "kind"), m->kind) == 0 &&
            it_str(item, "category") && strcmp(it_str(item, "category"), m->category) == 0 &&
            it_str(item, "department") && strcmp(it_str(item, "department"), m->department) == 0 &&
            (m->assignee[0]
                 ? it_str(item, "assignee") && strcmp(it_str(item, "assignee"), m->assignee) == 0
                 : json_is_null(json_object_get(item, "assignee"))) &&
            it_str(item, "severity") != NULL && it_str(item, "received_at") != NULL &&
            strncmp(it_str(item, "received_at"), m->received, 19) == 0 && it_str(item, "summary") &&
            strcmp(it_str(item, "summary"), summary) == 0 &&
            json_is_boolean(json_object_get(item, "overdue")) &&
            json_is_true(json_object_get(item, "overdue")) == m->overdue &&
            json_integer_value(json_object_get(item, "round")) == 1;
        if (!same) {
            fprintf(stderr,
                    "%s:%d: list entry differs from the case: status %s kind %s category %s "
                    "department %s assignee %s received %s overdue %d summary %s\n",
                    file, line, m->status, m->kind, m->category, m->department,
                    m->assignee[0] ? m->assignee : "null", m->received, m->overdue, summary);
            it_dump("entry", item);
        }
        IT_CHECK(same);
        free(summary);
    }
    printf("# list %s: %zu of %d\n", what, json_array_size(want), S_LIST_N);
    free(req_text);
    json_decref(want);
    json_decref(got);
    json_decref(reply);
}
#define s_check_list(d, filter, models, pred, arg, what)                                           \
    s_check_list_(d, filter, models, pred, arg, what, __FILE__, __LINE__)

static int p_all(const s_model_t *m, const void *arg)
{
    (void)m;
    (void)arg;
    return 1;
}
static int p_status(const s_model_t *m, const void *arg)
{
    return it_has_word(arg, m->status);
}
static int p_category(const s_model_t *m, const void *arg)
{
    return strcmp(m->category, arg) == 0;
}
static int p_assignee(const s_model_t *m, const void *arg)
{
    return strcmp(m->assignee, arg) == 0;
}
static int p_department(const s_model_t *m, const void *arg)
{
    return strcmp(m->department, arg) == 0;
}
static int p_kind(const s_model_t *m, const void *arg)
{
    return strcmp(m->kind, arg) == 0;
}
static int p_overdue(const s_model_t *m, const void *arg)
{
    (void)arg;
    return m->overdue;
}
static int p_text(const s_model_t *m, const void *arg)
{
    return s_contains_ci(m->content, arg);
}
/* received in [from, to): arg = the two indexes (from: older, to: newer) */
static int p_range(const s_model_t *m, const void *arg)
{
    const s_model_t *const *bounds = arg;
    return strcmp(m->received, bounds[0]->received) >= 0 &&
           strcmp(m->received, bounds[1]->received) < 0;
}
static int p_assigned_other(const s_model_t *m, const void *arg)
{
    (void)arg;
    return strcmp(m->status, "assigned") == 0 && strcmp(m->category, "other") == 0;
}

static void t_list_filters(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    static const char *const bodies[] = {
        "洗衣机底部漏水，要求上门检修",
        "冰箱冷藏室不够冷，客服让我等通知",
        "Model XQG-100 滚筒洗衣机脱水时噪音很大",
        "热水器安装师傅迟到了两个小时，态度还很差，要求公司给个说法并且赔偿误工费用，否则就投诉到消"
        "协",
    };
    s_model_t models[S_LIST_N];
    memset(models, 0, sizeof models);
    time_t now = time(NULL);
    for (int i = 0; i < S_LIST_N; i++) {
        s_model_t *m = &models[i];
        /* Newest first: case i was received 2 + 10 i minutes ago. */
        s_iso(now, 120 + 600L * i, m->received, sizeof m->received);
        int triage = i % 6 == 5;
        char content[512];
        snprintf(content, sizeof content, "第%d号：%s%s", i, bodies[i % 4],
                 triage ? "（待分派）" : "");
        m->content = strdup(content);
        m->kind = i % 10 == 9 ? "feedback" : "complaint";
        char id[32];
        snprintf(id, sizeof id, "ls-%02d", i);
        json_t *ev = s_event(id, content, i % 2 ? "east" : "west", m->received);
        json_object_set_new(ev, "kind", json_string(m->kind));
        char *no = s_submit(d, ev);
        snprintf(m->case_no, sizeof m->case_no, "%s", no);
        free(no);
    }
    /* Submitted oldest-last: submit order is not received order; now the statuses. */
    for (int i = 0; i < S_LIST_N; i++) {
        s_model_t *m = &models[i];
        switch (i % 5) {
        case 0: /* registered; one confirmed (routed to nobody), one through to followup */
            if (i == 5) {
                s_drive(d, m->case_no, "confirmed");
            } else if (i == 10) {
                s_drive(d, m->case_no, "followup");
            }
            break;
        case 1:
            s_drive(d, m->case_no, "assigned");
            break;
        case 2:
            s_drive(d, m->case_no, "investigating");
            break;
        case 3: {
            json_t *r =
                s_op(d, m->case_no, "close", "li", json_pack("{s:s}", "reason", "重复登记"));
            it_check_ok(r);
            json_decref(r);
            break;
        }
        case 4: {
            s_drive(d, m->case_no, "assigned");
            json_t *r = s_op(d, m->case_no, "assign", "liu", json_pack("{s:s}", "to", "zhou"));
            it_check_ok(r);
            json_decref(r);
            break;
        }
        }
        json_t *c = s_get(d, m->case_no);
        snprintf(m->status, sizeof m->status, "%s", it_str(c, "status"));
        snprintf(m->category, sizeof m->category, "%s", it_str(c, "category"));
        snprintf(m->department, sizeof m->department, "%s", it_str(c, "department"));
        snprintf(m->assignee, sizeof m->assignee, "%s",
                 it_str(c, "assignee") ? it_str(c, "assignee") : "");
        IT_CHECK_STR(m->category, i % 4 == 0 ? "product_quality" : "other");
        /* Routed to quality, nobody assigned; assigning a person may move the department. */
        if (i % 6 != 5) {
            IT_CHECK_STR(m->department, "sales");
        } else if (i == 5 || i % 5 == 3) {
            IT_CHECK_STR(m->department, "quality");
            IT_CHECK_STR(m->assignee, "");
        }
        /* progress_report (30 min) is late for the cases received 32 minutes ago and more. */
        m->overdue = strcmp(m->status, "closed") != 0 && i >= 3;
        if (i == 5) {
            IT_CHECK_STR(m->status, "confirmed");
        } else if (i == 10) {
            IT_CHECK_STR(m->status, "followup");
        }
        json_decref(c);
    }
    printf("# statuses:");
    for (int i = 0; i < S_LIST_N; i++) {
        printf(" %s", models[i].status);
    }
    printf("\n");

    s_check_list(d, json_object(), models, p_all, NULL, "everything");
    s_check_list(d, json_pack("{s:s}", "status", "closed"), models, p_status, "closed", "closed");
    s_check_list(d, json_pack("{s:[s]}", "status", "assigned"), models, p_status, "assigned",
                 "[assigned]");
    s_check_list(d, json_pack("{s:[s, s]}", "status", "registered", "investigating"), models,
                 p_status, "registered investigating", "registered or investigating");
    s_check_list(d, json_pack("{s:[s, s]}", "status", "confirmed", "followup"), models, p_status,
                 "confirmed followup", "confirmed or followup");
    s_check_list(d, json_pack("{s:s}", "category", "product_quality"), models, p_category,
                 "product_quality", "product_quality");
    s_check_list(d, json_pack("{s:s}", "assignee", "zhou"), models, p_assignee, "zhou", "zhou");
    s_check_list(d, json_pack("{s:s}", "assignee", "li"), models, p_assignee, "li", "li");
    s_check_list(d, json_pack("{s:s}", "department", "quality"), models, p_department, "quality",
                 "department quality");
    s_check_list(d, json_pack("{s:s}", "kind", "feedback"), models, p_kind, "feedback", "feedback");
    s_check_list(d, json_pack("{s:b}", "overdue", 1), models, p_overdue, NULL, "overdue");
    const s_model_t *bounds[2] = {&models[10], &models[5]};
    s_check_list(d,
                 json_pack("{s:s, s:s}", "received_from", models[10].received, "received_to",
                           models[5].received),
                 models, p_range, bounds, "received [10, 5)");
    s_check_list(d, json_pack("{s:s}", "text", "冰箱"), models, p_text, "冰箱", "text 冰箱");
    s_check_list(d, json_pack("{s:s}", "text", "xqg-100"), models, p_text, "xqg-100",
                 "text xqg-100");
    s_check_list(d, json_pack("{s:s}", "text", "MODEL xQg"), models, p_text, "MODEL xQg",
                 "text MODEL xQg");
    s_check_list(d, json_pack("{s:s}", "text", "第1"), models, p_text, "第1", "text 第1");
    s_check_list(d, json_pack("{s:s}", "text", "%"), models, p_text, "%", "text %");
    s_check_list(d, json_pack("{s:s}", "text", "_"), models, p_text, "_", "text _");
    s_check_list(d, json_pack("{s:s, s:s}", "status", "assigned", "category", "other"), models,
                 p_assigned_other, NULL, "assigned and other");
    /* 66 Chinese characters are 198 bytes: accepted (and nothing matches). */
    char *cjk66 = s_repeat("漏", 66);
    s_check_list(d, json_pack("{s:s}", "text", cjk66), models, p_text, cjk66, "text 198 bytes");
    free(cjk66);

    /* Paging: 7 a page; the total stays, the pages do not overlap, newest first. */
    json_t *all = json_array();
    for (int offset = 0; offset < S_LIST_N + 7; offset += 7) {
        json_t *reply =
            s_call(d, json_pack("{s:s, s:i, s:i}", "op", "list", "limit", 7, "offset", offset));
        it_check_ok(reply);
        IT_CHECK_INT(json_integer_value(json_object_get(reply, "total")), S_LIST_N);
        size_t want = offset >= S_LIST_N ? 0 : (S_LIST_N - offset < 7 ? S_LIST_N - offset : 7);
        IT_CHECK_INT(json_array_size(json_object_get(reply, "cases")), want);
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(reply, "cases"), i, item)
        {
            json_array_append_new(all, json_string(it_str(item, "case_no")));
        }
        json_decref(reply);
    }
    IT_CHECK_INT(json_array_size(all), S_LIST_N);
    for (int i = 0; i < S_LIST_N; i++) {
        IT_CHECK_STR(json_string_value(json_array_get(all, i)), models[i].case_no);
    }
    json_decref(all);
    /* The default limit (50) takes all 30. */
    json_t *reply = s_call(d, json_pack("{s:s}", "op", "list"));
    it_check_ok(reply);
    IT_CHECK_INT(json_array_size(json_object_get(reply, "cases")), S_LIST_N);
    json_decref(reply);

    /* Bad filters, each naming its field. */
    char *t201 = s_repeat("a", 201), *cjk67 = s_repeat("漏", 67);
    static const struct {
        const char *json;
        const char *code;
        const char *field;
    } bad[] = {
        {"{\"limit\": 0}", "invalid_value", "limit"},
        {"{\"limit\": 1001}", "invalid_value", "limit"},
        {"{\"limit\": \"5\"}", "wrong_type", "limit"},
        {"{\"offset\": -1}", "invalid_value", "offset"},
        {"{\"offset\": 1.5}", "wrong_type", "offset"},
        {"{\"text\": \"\"}", "invalid_value", "text"},
        {"{\"text\": 5}", "wrong_type", "text"},
        {"{\"received_from\": \"yesterday\"}", "invalid_value", "received_from"},
        {"{\"received_from\": \"2026-01-01\"}", "invalid_value", "received_from"},
        {"{\"received_to\": \"2026-01-01T00:00:00\"}", "invalid_value", "received_to"},
        {"{\"received_to\": 20260101}", "wrong_type", "received_to"},
        {"{\"status\": 5}", "wrong_type", "status"},
        {"{\"status\": [\"closed\", 5]}", "wrong_type|invalid_value", "status"},
        {"{\"overdue\": \"yes\"}", "wrong_type", "overdue"},
        {"{\"sort\": \"received_at\"}", "unknown_field", "sort"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        json_t *req = json_loads(bad[k].json, 0, NULL);
        IT_CHECK(req != NULL);
        json_object_set_new(req, "op", json_string("list"));
        reply = s_call(d, req);
        if (!s_one_of(it_str(json_object_get(reply, "error"), "code"), bad[k].code)) {
            fprintf(stderr, "list %s\n", bad[k].json);
        }
        s_check_refused(reply, bad[k].code, bad[k].field);
        json_decref(reply);
    }
    reply = s_call(d, json_pack("{s:s, s:s}", "op", "list", "text", t201));
    s_check_refused(reply, "invalid_value", "text");
    json_decref(reply);
    reply = s_call(d, json_pack("{s:s, s:s}", "op", "list", "text", cjk67)); /* 201 bytes */
    s_check_refused(reply, "invalid_value", "text");
    json_decref(reply);
    free(t201);
    free(cjk67);
    for (int i = 0; i < S_LIST_N; i++) {
        free(models[i].content);
    }
    s_stop(&e);
}

/* ---- 8. the client ------------------------------------------------------------------------- */

/* Runs build/plaint with the daemon's endpoint and the arguments in `ap` (NULL-terminated). */
static int s_vplaint(const it_daemon_t *d, const char *input, char **out, char **err, char *shown,
                     size_t shown_size, va_list ap)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "plaint";
    argv[n++] = "--endpoint";
    argv[n++] = d->ingest;
    if (shown_size) {
        shown[0] = '\0';
    }
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        IT_CHECK(n < 63);
        argv[n++] = a;
        if (shown_size && strlen(shown) + strlen(a) + 2 < shown_size) {
            strcat(shown, " ");
            strcat(shown, a);
        }
    }
    argv[n] = NULL;
    char *o = NULL, *e = NULL;
    int rc = it_run(argv, input, &o, &e);
    if (out) {
        *out = o;
    } else {
        free(o);
    }
    if (err) {
        *err = e;
    } else {
        free(e);
    }
    return rc;
}

/* Runs plaint with `input` on stdin and the arguments after `err` (NULL-terminated). */
static int s_plaint(const it_daemon_t *d, const char *input, char **out, char **err, ...)
{
    va_list ap;
    va_start(ap, err);
    int rc = s_vplaint(d, input, out, err, NULL, 0, ap);
    va_end(ap);
    return rc;
}

/* Runs plaint (arguments NULL-terminated) and checks its exit code; prints both outputs when
 * it differs. *out gets stdout when out is not NULL (caller frees). */
static void s_plaint_rc_(const char *file, int line, int want, char **out, const it_daemon_t *d,
                         ...)
{
    va_list ap;
    va_start(ap, d);
    char shown[1024], *o = NULL, *e = NULL;
    int rc = s_vplaint(d, NULL, &o, &e, shown, sizeof shown, ap);
    va_end(ap);
    if (rc != want) {
        fprintf(stderr, "%s:%d: plaint%s: exit %d, expected %d\nstdout: %s\nstderr: %s\n", file,
                line, shown, rc, want, o ? o : "", e ? e : "");
    }
    free(e);
    IT_CHECK_INT(rc, want);
    if (out) {
        *out = o;
    } else {
        free(o);
    }
}
#define S_PLAINT(want_rc, out, d, ...)                                                             \
    s_plaint_rc_(__FILE__, __LINE__, want_rc, out, d, __VA_ARGS__, (const char *)NULL)

static void s_check_has(const char *text, const char *needle, const char *what)
{
    if (!text || !strstr(text, needle)) {
        fprintf(stderr, "%s: expected \"%s\" in:\n%s\n", what, needle, text ? text : "(null)");
    }
    IT_CHECK(text && strstr(text, needle));
}

/* The case's status, read with get. */
static char *s_status_of(const it_daemon_t *d, const char *no)
{
    json_t *c = s_get(d, no);
    char *s = strdup(it_str(c, "status"));
    json_decref(c);
    return s;
}

#define S_CHECK_STATUS(d, no, want)                                                                \
    do {                                                                                           \
        char *st_ = s_status_of((d), (no));                                                        \
        IT_CHECK_STR(st_, (want));                                                                 \
        free(st_);                                                                                 \
    } while (0)

static void t_client_verbs(void)
{
    s_env_t e;
    s_start(&e);
    const it_daemon_t *d = &e.d;
    unsetenv("PLAINT_USER");
    char *out = NULL;

    /* A complaint with the register's columns (R7, R8). */
    S_PLAINT(0, &out, d, "submit", "--event-id", "cv-1", "--source", "it-lc", "--channel", "phone",
             "--name", "张三", "--phone", "138 0013 8000", "--address", "上海市浦东新区张杨路1号",
             "--content", "洗衣机底部漏水，要求上门检修", "--spec", "XQG100-B1", "--order-no",
             "SO-2026-004417", "--quantity", "1", "--ship-date", "2026-11-20", "--region", "east");
    char no[32] = "";
    for (const char *p = out; p && *p; p++) {
        if (strncmp(p, "TS-", 3) == 0) {
            snprintf(no, sizeof no, "%.*s", (int)strspn(p, "TS-0123456789"), p);
            break;
        }
    }
    free(out);
    IT_CHECK(no[0] != '\0');

    S_PLAINT(0, NULL, d, "confirm", no, "--by", "clerk");
    S_CHECK_STATUS(d, no, "assigned");
    /* A refused operation exits 1 and says what is allowed now. */
    char *err = NULL;
    int rc = s_plaint(d, NULL, &out, &err, "propose", no, "--result", "x", "--by", "li",
                      (const char *)NULL);
    if (rc != 1 || !strstr(err, "visit") || !strstr(err, "analyse")) {
        fprintf(stderr, "plaint propose in assigned: exit %d\nstdout: %s\nstderr: %s\n", rc, out,
                err);
    }
    IT_CHECK_INT(rc, 1);
    IT_CHECK(strstr(err, "invalid_state") || strstr(err, "not allowed"));
    IT_CHECK(strstr(err, "visit") && strstr(err, "analyse") && strstr(err, "assign"));
    free(out);
    free(err);
    S_PLAINT(0, NULL, d, "assign", no, "--to", "zhou", "--by", "liu");
    S_PLAINT(0, NULL, d, "assign", no, "--to", "li", "--by", "liu");
    S_PLAINT(0, &out, d, "visit", no, "--finding", "排水管接口开裂", "--responsibility", "quality",
             "--by", "li");
    s_check_has(out, "site_visit", "plaint visit");
    free(out);
    S_PLAINT(0, NULL, d, "analyse", no, "--cause", "注塑件壁厚不足", "--responsibility", "quality",
             "--by", "li");
    S_PLAINT(0, &out, d, "propose", no, "--result", "免费更换排水管", "--by", "li");
    s_check_has(out, "vp_marketing", "plaint propose");
    free(out);
    S_CHECK_STATUS(d, no, "resolution_proposed");
    /* Not hers to approve at level 2, then rejected by gm. */
    S_PLAINT(0, NULL, d, "approve", no, "--by", "sun");
    rc = s_plaint(d, NULL, NULL, &err, "approve", no, "--by", "sun", (const char *)NULL);
    IT_CHECK_INT(rc, 1);
    s_check_has(err, "general_manager", "plaint approve by sun at level 2");
    free(err);
    S_PLAINT(0, NULL, d, "reject", no, "--reason", "需补充赔偿说明", "--by", "gm");
    S_CHECK_STATUS(d, no, "investigating");
    S_PLAINT(0, NULL, d, "propose", no, "--result", "免费更换排水管并补偿50元", "--by", "li");
    S_PLAINT(0, NULL, d, "approve", no, "--by", "sun", "--reason", "同意");
    /* PLAINT_USER names the actor when --by is absent. */
    setenv("PLAINT_USER", "gm", 1);
    S_PLAINT(0, NULL, d, "approve", no);
    S_PLAINT(0, NULL, d, "note", no, "已通知客户");
    unsetenv("PLAINT_USER");
    S_CHECK_STATUS(d, no, "approved");
    S_PLAINT(0, &out, d, "reply", no, "--text", "已为客户免费更换排水管", "--by", "li");
    s_check_has(out, "reply", "plaint reply");
    free(out);
    /* Unsatisfied: round 2. */
    S_PLAINT(0, NULL, d, "followup", no, "--method", "phone", "--satisfied", "no", "--opinion",
             "仍有渗水", "--by", "clerk");
    json_t *c = s_get(d, no);
    IT_CHECK_STR(it_str(c, "status"), "assigned");
    IT_CHECK_INT(json_integer_value(json_object_get(c, "round")), 2);
    json_decref(c);
    S_PLAINT(0, NULL, d, "visit", no, "--finding", "密封圈未装好", "--responsibility", "quality",
             "--by", "li");
    S_PLAINT(0, NULL, d, "propose", no, "--result", "重新安装密封圈", "--by", "li");
    S_PLAINT(0, NULL, d, "approve", no, "--by", "sun");
    S_PLAINT(0, NULL, d, "approve", no, "--by", "gm");
    S_PLAINT(0, NULL, d, "reply", no, "--text", "已重新安装密封圈", "--by", "li");
    S_PLAINT(0, NULL, d, "followup", no, "--method", "visit", "--satisfied", "yes", "--opinion",
             "满意", "--by", "clerk");
    S_CHECK_STATUS(d, no, "followup");
    /* CAPA (R23). */
    S_PLAINT(0, &out, d, "capa", no, "--kind", "corrective", "--action", "加厚排水管注塑件",
             "--owner", "ma", "--due", "2026-12-31", "--by", "ma");
    s_check_has(out, "1", "plaint capa add");
    free(out);
    S_PLAINT(0, NULL, d, "capa", no, "--verify", "1", "--result", "复查合格", "--effective", "yes",
             "--by", "ma");
    rc = s_plaint(d, NULL, NULL, &err, "capa", no, "--verify", "1", "--result", "again",
                  "--effective", "yes", "--by", "ma", (const char *)NULL);
    IT_CHECK_INT(rc, 1);
    free(err);
    S_PLAINT(0, NULL, d, "remark", no, "客户要求保留旧件", "--by", "clerk");
    S_PLAINT(0, &out, d, "close", no, "--by", "li");
    s_check_has(out, "closed", "plaint close");
    free(out);
    S_PLAINT(0, NULL, d, "reopen", no, "--reason", "客户来电补充意见", "--by", "li");
    S_CHECK_STATUS(d, no, "assigned");
    S_PLAINT(0, NULL, d, "close", no, "--reason", "补充意见已记录", "--by", "li");
    S_CHECK_STATUS(d, no, "closed");

    c = s_get(d, no);
    S_CHECK_OP_HISTORY(c, "confirm/clerk assign/liu assign/liu visit/li analyse/li propose/li "
                          "approve/sun reject/gm propose/li approve/sun approve/gm note/gm "
                          "reply/li followup/clerk visit/li propose/li approve/sun approve/gm "
                          "reply/li followup/clerk capa/ma capa/ma remark/clerk close/li reopen/li "
                          "close/li");
    json_decref(c);

    /* list and show. */
    S_PLAINT(0, &out, d, "list", "--status", "closed");
    s_check_has(out, no, "plaint list --status closed");
    free(out);
    S_PLAINT(0, &out, d, "list", "--text", "排水", "--json");
    json_t *listed = json_loads(out ? out : "", 0, NULL);
    if (!json_is_object(listed)) {
        fprintf(stderr, "plaint list --json: %s\n", out);
    }
    IT_CHECK(json_is_object(listed));
    free(out);
    json_decref(listed);
    S_PLAINT(0, &out, d, "show", no, "--format", "register");
    s_check_has(out, "投诉人", "show --format register");
    s_check_has(out, "电话", "show --format register");
    s_check_has(out, "张三", "show --format register");
    s_check_has(out, "138 0013 8000", "show --format register");
    s_check_has(out, "已重新安装密封圈", "show --format register"); /* handling result */
    s_check_has(out, "满意", "show --format register");             /* customer opinion */
    /* R7's columns, one row each. */
    static const char *const register_rows[] = {"序号",     "时间",     "投诉人",   "地址",
                                                "电话",     "投诉内容", "处理结果", "回访方式",
                                                "回访时间", "回访人",   "客户意见", "备注"};
    for (size_t k = 0; k < sizeof register_rows / sizeof register_rows[0]; k++) {
        s_check_has(out, register_rows[k], "show --format register");
    }
    free(out);
    S_PLAINT(0, &out, d, "show", no, "--format", "file");
    /* The complaint file (R24): every section. */
    const char *const file_has[] = {
        no,
        "张三",
        "洗衣机底部漏水",
        "XQG100-B1",
        "排水管接口开裂",
        "注塑件壁厚不足",
        "重新安装密封圈",
        "sun",
        "gm",
        "需补充赔偿说明",
        "仍有渗水",
        "加厚排水管注塑件",
        "复查合格",
        "客户要求保留旧件",
        "客户来电补充意见",
    };
    for (size_t k = 0; k < sizeof file_has / sizeof file_has[0]; k++) {
        s_check_has(out, file_has[k], "show --format file");
    }
    /* Its sections (R24: the register row, the handling measures, the customer's feedback,
     * every step), as client/cmd_show_file.c names them. */
    static const char *const sections[] = {"(register)",
                                           "(classification and routing)",
                                           "(handling measures)",
                                           "(approvals)",
                                           "(reply)",
                                           "(follow-ups)",
                                           "(CAPA)",
                                           "(deadlines)",
                                           "(history)"};
    for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++) {
        s_check_has(out, sections[k], "show --format file");
    }
    free(out);

    /* submit -i (R9): asked field by field (client/cmd_interactive.c: name, phone, address,
     * the complaint up to an empty line, channel, kind, region, spec, order number,
     * quantity, ship date), read back, and stored only when the customer confirms. */
    long cases = s_q(e.db, "SELECT count(*) FROM cases");
    static const char answers[] = "李四\n139 0000 0001\n北京市朝阳区1号\n"
                                  "冰箱门封条漏水\n冷藏室有积水\n\n"
                                  "email\n\neast\nBCD-200\nSO-77\n2\n2026-11-20\n";
    char input[512];
    snprintf(input, sizeof input, "%sn\n", answers);
    rc = s_plaint(d, input, &out, &err, "submit", "-i", "--by", "clerk", (const char *)NULL);
    if (rc != 1 || !strstr(err, "not submitted") || !strstr(err, "李四") || !strstr(err, "SO-77")) {
        fprintf(stderr, "plaint submit -i (n): exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    }
    IT_CHECK_INT(rc, 1);
    IT_CHECK(strstr(err, "not submitted") != NULL);
    IT_CHECK(strstr(err, "李四") && strstr(err, "SO-77")); /* read back */
    free(out);
    free(err);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM cases"), cases);
    snprintf(input, sizeof input, "%sy\n", answers);
    rc = s_plaint(d, input, &out, &err, "submit", "-i", "--by", "clerk", (const char *)NULL);
    if (rc != 0) {
        fprintf(stderr, "plaint submit -i (y): exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    }
    IT_CHECK_INT(rc, 0);
    free(out);
    free(err);
    IT_CHECK_INT(s_q(e.db, "SELECT count(*) FROM cases"), cases + 1);
    char *new_no = s_qs(e.db, "SELECT case_no FROM cases ORDER BY id DESC LIMIT 1");
    c = s_get(d, new_no);
    IT_CHECK_STR(it_str(c, "channel"), "email");
    IT_CHECK_STR(it_str(c, "kind"), "complaint");
    IT_CHECK_STR(it_str(json_object_get(c, "customer"), "name"), "李四");
    IT_CHECK_STR(it_str(json_object_get(c, "customer"), "phone"), "139 0000 0001");
    IT_CHECK_STR(it_str(json_object_get(c, "customer"), "address"), "北京市朝阳区1号");
    IT_CHECK_STR(it_str(c, "content"), "冰箱门封条漏水\n冷藏室有积水");
    IT_CHECK_STR(it_str(json_object_get(c, "product"), "spec"), "BCD-200");
    IT_CHECK_STR(it_str(json_object_get(c, "product"), "order_no"), "SO-77");
    IT_CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "product"), "quantity")), 2);
    IT_CHECK_STR(it_str(json_object_get(c, "product"), "ship_date"), "2026-11-20");
    IT_CHECK_STR(it_str(c, "region"), "east");
    /* Confirmed by the clerk who read it back: routed to li, so assigned. */
    IT_CHECK_STR(it_str(c, "status"), "assigned");
    S_CHECK_OP_HISTORY(c, "confirm/clerk");
    json_decref(c);
    /* pause and resume through the client too. */
    S_PLAINT(0, NULL, d, "pause", new_no, "--reason", "客户出差，下周上门", "--by", "li");
    S_PLAINT(0, NULL, d, "resume", new_no, "--by", "li");
    c = s_get(d, new_no);
    IT_CHECK(s_last_history(c, "paused") != NULL && s_last_history(c, "resumed") != NULL);
    json_decref(c);
    S_PLAINT(0, &out, d, "list", "--overdue");
    free(out);
    free(new_no);
    s_stop(&e);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"happy_path_quality", t_happy_path_quality},
        {"every_refusal", t_every_refusal},
        {"field_refusals", t_field_refusals},
        {"approvals_matrix", t_approvals_matrix},
        {"r22_loop", t_r22_loop},
        {"reopen_and_close_early", t_reopen_and_close_early},
        {"list_filters", t_list_filters},
        {"client_verbs", t_client_verbs},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
