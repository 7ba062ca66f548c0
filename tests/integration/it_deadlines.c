/*
 * it_deadlines: deadlines, escalation and notifications (issue 4, R16-R19)
 * through the real plaintd, ZeroMQ and PostgreSQL.
 *
 *   computed_at_creation  the shipped rules give a complaint first_report
 *                         (2h), site_visit (2 working days, the 2026
 *                         holidays and make-up days respected) and
 *                         progress_report (every 30m); a wrong shipment
 *                         also gets reply (24h)
 *   past_due_fires        a case received 3 hours ago is breached at once:
 *                         history, outbox, PUB (a SUB socket and plaint
 *                         watch), overdue; report then meets it
 *   chain_walk            a breached deadline walks levels 1, 2, 3 of its
 *                         chain, each step once, and stops at the last one;
 *                         a deadline met half way stops escalating
 *   operations            visit, note, reply, report, close meet, re-arm
 *                         and cancel deadlines; a closed case refuses them
 *   restart               deadlines due while no daemon runs fire right
 *                         after the start, each once
 *   kill9_while_firing    plaintd killed with SIGKILL during a burst of
 *                         firing: after the restart no step fired twice
 *   two_daemons           two daemons on one database: every step of 300
 *                         cases fires exactly once in total
 *   warnings              warn_at fires deadline.warning before
 *                         deadline.breached, once, in real and in business
 *                         time
 *   explain               explain shows the deadlines to come and stores
 *                         nothing
 *
 * Each test has its own fresh database and its own plaintd. Temporary
 * configurations use durations of seconds ("within: 2s", "after: 2s"), which
 * pl_duration_parse accepts. Run one test with: it_deadlines NAME
 */
#include "it.h"
#include "load.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_TIMEOUT_MS 5000
/* Time a SUB socket is given to connect and subscribe before anything it
 * must see is published (PUB drops messages for subscribers not there yet). */
#define S_SUB_SETTLE_MS 300

/* ---- small helpers ------------------------------------------------------------ */

static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void s_dump(const char *label, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    fprintf(stderr, "%s: %s\n", label, text ? text : "?");
    free(text);
}

static void s_check_ok(const json_t *reply)
{
    if (!json_is_true(json_object_get(reply, "ok"))) {
        s_dump("reply", reply);
    }
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
}

/* Checks an ok:false reply with `code` (and `field`, when not NULL). */
static void s_check_refused(const json_t *reply, const char *code, const char *field)
{
    json_t *error = json_object_get(reply, "error");
    int ok = json_is_false(json_object_get(reply, "ok")) && s_str(error, "code") &&
             strcmp(s_str(error, "code"), code) == 0 &&
             (!field || (s_str(error, "field") && strcmp(s_str(error, "field"), field) == 0));
    if (!ok) {
        fprintf(stderr, "expected a refusal %s (field %s)\n", code, field ? field : "-");
        s_dump("reply", reply);
    }
    IT_CHECK(ok);
}

/* Sends `request` (consumed) and returns the reply; fails when none comes. */
static json_t *s_call(const it_daemon_t *d, json_t *request)
{
    IT_CHECK(request != NULL);
    json_t *reply = it_request_json(d->ingest, request, S_TIMEOUT_MS);
    json_decref(request);
    if (!reply) {
        it_daemon_log_tail(d, 30);
    }
    IT_CHECK(reply != NULL);
    return reply;
}

/* Submits `event` (borrowed); returns the new case's number (caller frees). */
static char *s_submit(const it_daemon_t *d, const json_t *event)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:O}", "op", "submit", "event", event));
    s_check_ok(reply);
    IT_CHECK(json_is_false(json_object_get(reply, "duplicate")));
    const char *case_no = s_str(reply, "case_no");
    IT_CHECK(case_no != NULL && case_no[0]);
    char *copy = strdup(case_no);
    json_decref(reply);
    return copy;
}

static json_t *s_get(const it_daemon_t *d, const char *case_no)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:s}", "op", "get", "case_no", case_no));
    s_check_ok(reply);
    json_t *c = json_incref(json_object_get(reply, "case"));
    json_decref(reply);
    IT_CHECK(json_is_object(c));
    return c;
}

/* The case's deadline `name` (borrowed from c), or NULL. */
static json_t *s_deadline(const json_t *c, const char *name)
{
    size_t i;
    json_t *dl;
    json_array_foreach(json_object_get(c, "deadlines"), i, dl) {
        if (s_str(dl, "name") && strcmp(s_str(dl, "name"), name) == 0) {
            return dl;
        }
    }
    return NULL;
}

/* The case's deadline `name`, which must exist. */
static json_t *s_need_deadline(const json_t *c, const char *name)
{
    json_t *dl = s_deadline(c, name);
    if (!dl) {
        fprintf(stderr, "case has no deadline %s\n", name);
        s_dump("deadlines", json_object_get(c, "deadlines"));
    }
    IT_CHECK(dl != NULL);
    return dl;
}

static int s_array_has_string(const json_t *array, const char *s)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item) {
        if (json_is_string(item) && strcmp(json_string_value(item), s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* 1 when `array` holds exactly the strings given (NULL-terminated), in order. */
static int s_strings_are(const json_t *array, ...)
{
    va_list ap;
    va_start(ap, array);
    size_t n = 0;
    int ok = json_is_array(array);
    const char *want;
    while (ok && (want = va_arg(ap, const char *)) != NULL) {
        json_t *item = json_array_get(array, n++);
        ok = json_is_string(item) && strcmp(json_string_value(item), want) == 0;
    }
    va_end(ap);
    return ok && json_array_size(array) == n;
}

#define S_CHECK_STRINGS(array, ...)                                                                \
    do {                                                                                           \
        if (!s_strings_are((array), __VA_ARGS__, NULL)) {                                          \
            s_dump(#array, (array));                                                               \
        }                                                                                          \
        IT_CHECK(s_strings_are((array), __VA_ARGS__, NULL));                                       \
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

/* Waits (timeout_ms) until the SQL's value is `want`; returns the last value. */
static long s_q_wait(const char *db, long want, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static long s_q_wait(const char *db, long want, int timeout_ms, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    IT_CHECK(n > 0 && (size_t)n < sizeof sql);
    return it_sql_wait_long(db, sql, want, timeout_ms);
}

/* Wall-clock seconds. */
static time_t s_wall(void)
{
    return time(NULL);
}

/* RFC 3339 in UTC to the second: "2026-11-28T13:59:00Z". */
static void s_iso(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* As the daemon writes due times: "2026-11-28T13:59:00.000000Z". */
static void s_iso_us(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
}

/* Seconds since the epoch of an RFC 3339 time, as PostgreSQL reads it. */
static double s_epoch(const char *db, const char *rfc3339)
{
    char sql[256];
    IT_CHECK(it_match(rfc3339, "^[0-9T:.+Z-]+$"));
    snprintf(sql, sizeof sql, "SELECT extract(epoch FROM '%s'::timestamptz)", rfc3339);
    char *text = it_sql(db, sql);
    double v = strtod(text, NULL);
    free(text);
    return v;
}

/* A complaint event from source "it-dl"; received_at may be NULL. */
static json_t *s_event(const char *event_id, const char *content, const char *received_at)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event_id", event_id, "source", "it-dl",
                           "kind", "complaint", "channel", "phone", "content", content);
    if (received_at) {
        json_object_set_new(ev, "received_at", json_string(received_at));
    }
    return ev;
}

#define S_LEAK "洗衣机底部漏水，要求上门检修"
#define S_WRONG "订了20台电饭煲，到货只有18台，少发了2台，另外有3台型号发错了"

/* ---- temporary configurations ----------------------------------------------------- */

/*
 * A configuration with one department, roles l1..l3 (ann, bob, cat), one
 * catch-all routing rule, a 24x7 calendar, and `deadlines` (YAML list
 * items, indented by two spaces). Returns its path (caller frees).
 */
static char *s_config(const char *deadlines)
{
    static const char head[] = "# Written by tests/integration/it_deadlines.c\n"
                               "log: {level: info}\n"
                               "directory:\n"
                               "  departments: [{id: desk}]\n"
                               "  roles: [{id: l1}, {id: l2}, {id: l3}]\n"
                               "  people:\n"
                               "    - {id: ann, roles: [l1], department: desk}\n"
                               "    - {id: bob, roles: [l2], department: desk}\n"
                               "    - {id: cat, roles: [l3], department: desk}\n"
                               "routing:\n"
                               "  - {department: desk, assignee: ann}\n"
                               "calendars:\n"
                               "  - id: 24x7\n"
                               "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
                               "    hours: \"00:00-24:00\"\n"
                               "deadlines:\n";
    size_t len = strlen(head) + strlen(deadlines) + 1;
    char *text = malloc(len);
    IT_CHECK(text != NULL);
    snprintf(text, len, "%s%s", head, deadlines);
    char *path = it_temp_file("config.yaml", text);
    /* The daemon must accept it: a refused file would only show as a start
     * failure. */
    const char *argv[] = {"plaintd", "--check-config", path, NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(argv, NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "%s%s%s", text, out, err);
    }
    IT_CHECK_INT(rc, 0);
    free(out);
    free(err);
    free(text);
    return path;
}

/* Waits (timeout_ms) for a background job to finish and joins it; 0 when
 * it did not finish in time. */
static int s_bg_join(ld_bg_t *bg, int timeout_ms)
{
    int64_t end = ld_now_ms() + timeout_ms;
    while (!atomic_load(&bg->done)) {
        if (ld_now_ms() >= end) {
            return 0;
        }
        ld_sleep_ms(10);
    }
    pthread_join(bg->thread, NULL);
    return 1;
}

/* ---- the publish socket ------------------------------------------------------------- */

/*
 * A SUB socket subscribed to `prefix` and connected to each endpoint given
 * (NULL-terminated). Received messages are appended to a list as
 * {"topic", "payload", "ms"} (ms: monotonic arrival time).
 */
static void *s_sub_open(const char *prefix, ...)
{
    void *sub = zmq_socket(it_zmq_ctx(), ZMQ_SUB);
    IT_CHECK(sub != NULL);
    int linger = 0, hwm = 1000000;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    IT_CHECK_INT(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, prefix, strlen(prefix)), 0);
    va_list ap;
    va_start(ap, prefix);
    const char *endpoint;
    while ((endpoint = va_arg(ap, const char *)) != NULL) {
        IT_CHECK_INT(zmq_connect(sub, endpoint), 0);
    }
    va_end(ap);
    return sub;
}

/* Takes the messages that arrive within `ms` (at least one poll). */
static void s_sub_pump(void *sub, json_t *list, int ms)
{
    int64_t end = ld_now_ms() + ms;
    for (;;) {
        int64_t left = end - ld_now_ms();
        zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
        int r = zmq_poll(&item, 1, left > 0 ? (long)left : 0);
        if (r <= 0) {
            if (left <= 0) {
                return;
            }
            continue;
        }
        char topic[128], payload[8192];
        int tn = zmq_recv(sub, topic, sizeof topic - 1, 0);
        IT_CHECK(tn >= 0);
        int more = 0;
        size_t more_size = sizeof more;
        zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &more_size);
        IT_CHECK(more);
        int pn = zmq_recv(sub, payload, sizeof payload - 1, 0);
        IT_CHECK(pn >= 0 && (size_t)pn < sizeof payload);
        topic[tn < (int)sizeof topic ? tn : (int)sizeof topic - 1] = '\0';
        payload[pn] = '\0';
        json_error_t jerr;
        json_t *p = json_loads(payload, 0, &jerr);
        if (!p) {
            fprintf(stderr, "unreadable payload on %s: %s\n", topic, payload);
        }
        IT_CHECK(json_is_object(p));
        json_array_append_new(list, json_pack("{s:s, s:o, s:I}", "topic", topic, "payload", p, "ms",
                                              (json_int_t)ld_now_ms()));
    }
}

/*
 * 1 when message `m` is on `topic` (NULL: any), for case `case_no` and
 * deadline `deadline` (NULL: any), and its "level" (or, for
 * deadline.warning, "warning") is `num` (-1: any).
 */
static int s_msg_is(const json_t *m, const char *topic, const char *case_no,
                    const char *deadline, int num)
{
    const char *t = s_str(m, "topic");
    json_t *p = json_object_get(m, "payload");
    if (topic && strcmp(t, topic) != 0) {
        return 0;
    }
    if (case_no && (!s_str(p, "case_no") || strcmp(s_str(p, "case_no"), case_no) != 0)) {
        return 0;
    }
    if (deadline && (!s_str(p, "deadline") || strcmp(s_str(p, "deadline"), deadline) != 0)) {
        return 0;
    }
    json_t *level = json_object_get(p, strcmp(t, "deadline.warning") == 0 ? "warning" : "level");
    return num < 0 || (json_is_integer(level) && json_integer_value(level) == num);
}

/* How many messages of `list` are such (see s_msg_is). */
static long s_msg_count(const json_t *list, const char *topic, const char *case_no,
                        const char *deadline, int num)
{
    long n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        n += s_msg_is(m, topic, case_no, deadline, num);
    }
    return n;
}

/* The first such message (borrowed), or NULL. */
static json_t *s_msg_find(const json_t *list, const char *topic, const char *case_no,
                          const char *deadline, int num)
{
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        if (s_msg_is(m, topic, case_no, deadline, num)) {
            return m;
        }
    }
    return NULL;
}

/* Pumps until `want` such messages are in the list, or timeout_ms; returns
 * the count. */
static long s_sub_wait(void *sub, json_t *list, int timeout_ms, long want, const char *topic,
                       const char *case_no, const char *deadline, int num)
{
    int64_t end = ld_now_ms() + timeout_ms;
    long n;
    while ((n = s_msg_count(list, topic, case_no, deadline, num)) < want && ld_now_ms() < end) {
        s_sub_pump(sub, list, 20);
    }
    return n;
}

/* ---- many submits at once ----------------------------------------------------------- */

/*
 * Submits complaints "<prefix><n>" for n in [0, count), received now,
 * pipelined: request n goes to daemon ds[n % nd]. Waits for every reply
 * (20 s) and checks they all stored a new case; case_nos[n] gets each
 * case number (NULL: not kept).
 */
static void s_submit_many(it_daemon_t *const *ds, int nd, const char *prefix, int count,
                          char (*case_nos)[32])
{
    void *socks[4];
    IT_CHECK(nd >= 1 && nd <= 4);
    for (int k = 0; k < nd; k++) {
        socks[k] = zmq_socket(it_zmq_ctx(), ZMQ_DEALER);
        IT_CHECK(socks[k] != NULL);
        int linger = 0, hwm = 100000;
        zmq_setsockopt(socks[k], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(socks[k], ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(socks[k], ZMQ_RCVHWM, &hwm, sizeof hwm);
        IT_CHECK_INT(zmq_connect(socks[k], ds[k]->ingest), 0);
    }
    for (int n = 0; n < count; n++) {
        char id[64];
        snprintf(id, sizeof id, "%s%d", prefix, n);
        json_t *ev = s_event(id, "deadline test", NULL);
        json_t *req = json_pack("{s:s, s:i, s:o}", "op", "submit", "id", n, "event", ev);
        char *body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        IT_CHECK(body != NULL);
        void *s = socks[n % nd];
        IT_CHECK_INT(zmq_send(s, "", 0, ZMQ_SNDMORE), 0);
        IT_CHECK(zmq_send(s, body, strlen(body), 0) == (int)strlen(body));
        free(body);
    }
    int got = 0, ok = 0;
    int64_t end = ld_now_ms() + 20000;
    while (got < count && ld_now_ms() < end) {
        zmq_pollitem_t items[4];
        for (int k = 0; k < nd; k++) {
            items[k] = (zmq_pollitem_t){.socket = socks[k], .events = ZMQ_POLLIN};
        }
        if (zmq_poll(items, nd, 100) <= 0) {
            continue;
        }
        for (int k = 0; k < nd; k++) {
            if (!(items[k].revents & ZMQ_POLLIN)) {
                continue;
            }
            char buf[4096];
            int n0 = zmq_recv(socks[k], buf, sizeof buf, 0); /* the delimiter */
            IT_CHECK_INT(n0, 0);
            int n1 = zmq_recv(socks[k], buf, sizeof buf - 1, 0);
            IT_CHECK(n1 > 0 && (size_t)n1 < sizeof buf);
            buf[n1] = '\0';
            json_t *reply = json_loads(buf, 0, NULL);
            got++;
            json_t *id = json_object_get(reply, "id");
            if (json_is_true(json_object_get(reply, "ok")) &&
                json_is_false(json_object_get(reply, "duplicate")) && json_is_integer(id) &&
                json_integer_value(id) >= 0 && json_integer_value(id) < count) {
                ok++;
                if (case_nos) {
                    snprintf(case_nos[json_integer_value(id)], 32, "%s", s_str(reply, "case_no"));
                }
            } else if (ok == got - 1) {
                s_dump("refused submit", reply);
            }
            json_decref(reply);
        }
    }
    for (int k = 0; k < nd; k++) {
        zmq_close(socks[k]);
    }
    IT_CHECK_INT(got, count);
    IT_CHECK_INT(ok, count);
}

/* ---- the checks every firing test makes on the database ------------------------------- */

/*
 * Every notification of a deadline step is in the outbox once, and has
 * exactly one history entry: per (case, deadline, step, level) one outbox
 * row and one history row; no idempotency key twice.
 */
static void s_check_steps_once(const char *db)
{
    long dup_keys = s_q(db, "SELECT count(*) - count(DISTINCT idempotency_key) FROM outbox");
    long dup_outbox = s_q(
        db,
        "SELECT count(*) FROM (SELECT case_id, topic, payload->>'deadline', payload->>'due_at', "
        "coalesce(payload->>'level', payload->>'warning') FROM outbox "
        "WHERE topic <> 'case.created' GROUP BY 1, 2, 3, 4, 5 HAVING count(*) <> 1) x");
    long dup_history = s_q(
        db, "SELECT count(*) FROM (SELECT case_id, type, detail->>'deadline', detail->>'due_at', "
            "coalesce(detail->>'level', detail->>'warning') FROM case_history "
            "WHERE type IN ('deadline_warning', 'deadline_breached', 'escalated') "
            "GROUP BY 1, 2, 3, 4, 5 HAVING count(*) <> 1) x");
    /* The history and the outbox tell the same story, step by step. */
    long unmatched = s_q(
        db, "SELECT count(*) FROM case_history h WHERE h.type IN ('deadline_warning', "
            "'deadline_breached', 'escalated') AND NOT EXISTS (SELECT 1 FROM outbox o "
            "WHERE o.case_id = h.case_id AND o.topic = CASE h.type WHEN 'deadline_warning' THEN "
            "'deadline.warning' WHEN 'deadline_breached' THEN 'deadline.breached' ELSE "
            "'case.escalated' END AND o.payload->>'deadline' = h.detail->>'deadline' "
            "AND o.payload->>'due_at' = h.detail->>'due_at' "
            "AND coalesce(o.payload->>'level', o.payload->>'warning') = "
            "coalesce(h.detail->>'level', h.detail->>'warning'))");
    long outbox_steps = s_q(db, "SELECT count(*) FROM outbox WHERE topic <> 'case.created'");
    long history_steps = s_q(db, "SELECT count(*) FROM case_history WHERE type IN "
                                 "('deadline_warning', 'deadline_breached', 'escalated')");
    long created = s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'case.created'");
    long cases = s_q(db, "SELECT count(*) FROM cases");
    if (dup_keys || dup_outbox || dup_history || unmatched || outbox_steps != history_steps ||
        created != cases) {
        fprintf(stderr,
                "steps: %ld keys twice, %ld outbox steps twice, %ld history steps twice, "
                "%ld history steps without their outbox row; %ld outbox steps, %ld history "
                "steps; %ld case.created for %ld cases\n",
                dup_keys, dup_outbox, dup_history, unmatched, outbox_steps, history_steps, created,
                cases);
    }
    IT_CHECK_INT(dup_keys, 0);
    IT_CHECK_INT(dup_outbox, 0);
    IT_CHECK_INT(dup_history, 0);
    IT_CHECK_INT(unmatched, 0);
    IT_CHECK_INT(outbox_steps, history_steps);
    IT_CHECK_INT(created, cases);
}

/*
 * The shipped config with progress_report counted in real time (`every:
 * 30m`) instead of working minutes, so that tests about the operations and
 * the timer do not depend on whether they run in Beijing office hours.
 * Returns its path (caller frees). test_rearm_business covers working time.
 */
static char *s_shipped_real_time(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/config/plaint.yaml", it_source_dir());
    char *text = it_read_file(path, NULL);
    IT_CHECK(text != NULL);
    const char *from = "every: 30 business minutes";
    char *at = strstr(text, from);
    IT_CHECK(at != NULL);
    size_t len = strlen(text) + 1;
    char *copy = malloc(len);
    IT_CHECK(copy != NULL);
    snprintf(copy, len, "%.*severy: 30m%s", (int)(at - text), text, at + strlen(from));
    char *out = it_config_checked("shipped-30m.yaml", copy);
    free(copy);
    free(text);
    return out;
}

/* ---- 1. deadlines computed when the case is created ------------------------------------ */

typedef struct s_visit_case {
    const char *received; /* received_at, with its offset */
    const char *due;      /* site_visit's due_at, per docs/calendar.md */
    const char *why;
} s_visit_case_t;

static void test_computed_at_creation(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    char *shipped = s_shipped_real_time();
    it_daemon_start(&d, db, shipped, NULL);
    free(shipped);

    /* Wednesday 2026-09-30 17:00 in Shanghai, the eve of National Day. */
    json_t *ev = s_event("cr-1", S_LEAK, "2026-09-30T17:00:00+08:00");
    char *case_no = s_submit(&d, ev);
    json_decref(ev);
    json_t *c = s_get(&d, case_no);
    json_t *deadlines = json_object_get(c, "deadlines");
    if (json_array_size(deadlines) != 3) {
        s_dump("deadlines", deadlines);
    }
    IT_CHECK_INT(json_array_size(deadlines), 3);
    /* Earliest first: progress_report (30m), first_report (2h), site_visit
     * (2 working days: Thursday 10-08 and Friday 10-09, closing at 18:00). */
    IT_CHECK_STR(s_str(json_array_get(deadlines, 0), "name"), "progress_report");
    IT_CHECK_STR(s_str(json_array_get(deadlines, 1), "name"), "first_report");
    IT_CHECK_STR(s_str(json_array_get(deadlines, 2), "name"), "site_visit");
    json_t *fr = s_need_deadline(c, "first_report");
    json_t *sv = s_need_deadline(c, "site_visit");
    json_t *pr = s_need_deadline(c, "progress_report");
    json_t *reply;
    IT_CHECK_STR(s_str(fr, "due_at"), "2026-09-30T11:00:00.000000Z");
    IT_CHECK_STR(s_str(sv, "due_at"), "2026-10-09T10:00:00.000000Z");
    IT_CHECK_STR(s_str(pr, "due_at"), "2026-09-30T09:30:00.000000Z");
    IT_CHECK_STR(s_str(fr, "label"), "受理后2小时内报告总经理 (R17)");
    IT_CHECK_STR(s_str(sv, "label"), "2个工作日内上门或现场沟通并判定责任 (R16)");
    IT_CHECK(json_is_false(json_object_get(fr, "recurring")));
    IT_CHECK(json_is_false(json_object_get(sv, "recurring")));
    IT_CHECK(json_is_true(json_object_get(pr, "recurring")));
    IT_CHECK(s_deadline(c, "reply") == NULL); /* no wrong shipment */
    size_t i;
    json_t *dl;
    json_array_foreach(deadlines, i, dl) {
        /* All three are long past: pending until the timer fires them. */
        const char *status = s_str(dl, "status");
        IT_CHECK(status && (strcmp(status, "pending") == 0 || strcmp(status, "breached") == 0));
        IT_CHECK(json_is_integer(json_object_get(dl, "level")));
    }
    /* The history says so, earliest first, with the rules version. */
    json_t *set = NULL;
    json_array_foreach(json_object_get(c, "history"), i, dl) {
        if (s_str(dl, "type") && strcmp(s_str(dl, "type"), "deadlines_set") == 0) {
            IT_CHECK(set == NULL);
            set = dl;
        }
    }
    IT_CHECK(set != NULL);
    IT_CHECK_STR(s_str(set, "actor"), "escalation");
    json_t *detail = json_object_get(set, "detail");
    IT_CHECK_STR(s_str(detail, "rules_version"), s_str(c, "rules_version"));
    json_t *listed = json_object_get(detail, "deadlines");
    IT_CHECK_INT(json_array_size(listed), 3);
    IT_CHECK_STR(s_str(json_array_get(listed, 0), "name"), "progress_report");
    IT_CHECK_STR(s_str(json_array_get(listed, 0), "due_at"), "2026-09-30T09:30:00.000000Z");
    IT_CHECK_STR(s_str(json_array_get(listed, 2), "name"), "site_visit");
    IT_CHECK_STR(s_str(json_array_get(listed, 2), "due_at"), "2026-10-09T10:00:00.000000Z");
    /* plaint show prints them. */
    const char *show[] = {"plaint", "--endpoint", d.ingest, "show", case_no, NULL};
    char *out = NULL;
    IT_CHECK_INT(it_run(show, NULL, &out, NULL), 0);
    if (!strstr(out, "Deadlines") || !strstr(out, "2026-10-09 10:00:00 UTC")) {
        fprintf(stderr, "plaint show:\n%s\n", out);
    }
    IT_CHECK(strstr(out, "Deadlines") != NULL);
    IT_CHECK(strstr(out, "2026-10-09 10:00:00 UTC") != NULL);
    free(out);
    json_decref(c);
    /* The same event again: the same case, no second set of deadlines. */
    ev = s_event("cr-1", S_LEAK, "2026-09-30T17:00:00+08:00");
    reply = s_call(&d, json_pack("{s:s, s:O}", "op", "submit", "event", ev));
    json_decref(ev);
    s_check_ok(reply);
    IT_CHECK(json_is_true(json_object_get(reply, "duplicate")));
    IT_CHECK_STR(s_str(reply, "case_no"), case_no);
    json_decref(reply);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines"), 3);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM case_history WHERE type = 'deadlines_set'"), 1);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'case.created'"), 1);
    free(case_no);

    /* site_visit around the other holidays and make-up days of 2026
     * (docs/calendar.md; the shipped day closes at 18:00 +08:00). */
    static const s_visit_case_t visits[] = {
        {"2026-02-13T10:00:00+08:00", "2026-02-24T10:00:00.000000Z",
         "Sat 02-14 (make-up) is the 1st, 02-15..02-23 Spring Festival, Tue 02-24 the 2nd"},
        {"2026-09-18T12:00:00+08:00", "2026-09-21T10:00:00.000000Z",
         "Sun 09-20 (make-up) is the 1st, Mon 09-21 the 2nd"},
        {"2025-12-31T17:00:00+08:00", "2026-01-05T10:00:00.000000Z",
         "01-01..01-03 New Year, Sun 01-04 (make-up) the 1st, Mon 01-05 the 2nd"},
        {"2026-11-21T10:00:00+08:00", "2026-11-24T10:00:00.000000Z",
         "received on a Saturday: Mon, Tue"},
        {"2026-11-19T23:59:00+08:00", "2026-11-23T10:00:00.000000Z",
         "received Thursday 23:59: Fri, Mon"},
        {"2026-11-20T02:00:00Z", "2026-11-24T10:00:00.000000Z",
         "Friday 10:00 in Shanghai (given in UTC): Mon, Tue"},
    };
    for (size_t k = 0; k < sizeof visits / sizeof visits[0]; k++) {
        char id[32];
        snprintf(id, sizeof id, "cr-v%zu", k);
        ev = s_event(id, S_LEAK, visits[k].received);
        case_no = s_submit(&d, ev);
        json_decref(ev);
        c = s_get(&d, case_no);
        const char *due = s_str(s_need_deadline(c, "site_visit"), "due_at");
        if (!due || strcmp(due, visits[k].due) != 0) {
            fprintf(stderr, "received %s: site_visit due %s, expected %s (%s)\n",
                    visits[k].received, due ? due : "-", visits[k].due, visits[k].why);
        }
        IT_CHECK_STR(due, visits[k].due);
        json_decref(c);
        free(case_no);
    }

    /* A wrong shipment received a minute ago also gets reply, 24 hours
     * round the clock; nothing is due yet. */
    time_t received = s_wall() - 60;
    char at[32], want_reply[40], want_first[40], want_progress[40];
    s_iso(received, at, sizeof at);
    s_iso_us(received + 24 * 3600, want_reply, sizeof want_reply);
    s_iso_us(received + 2 * 3600, want_first, sizeof want_first);
    s_iso_us(received + 30 * 60, want_progress, sizeof want_progress);
    ev = s_event("cr-wrong", S_WRONG, at);
    case_no = s_submit(&d, ev);
    json_decref(ev);
    c = s_get(&d, case_no);
    IT_CHECK_STR(s_str(c, "category"), "shipping");
    IT_CHECK(s_array_has_string(json_object_get(c, "tags"), "reply_24h"));
    IT_CHECK_INT(json_array_size(json_object_get(c, "deadlines")), 4);
    json_t *rd = s_need_deadline(c, "reply");
    IT_CHECK_STR(s_str(rd, "due_at"), want_reply);
    IT_CHECK_STR(s_str(rd, "label"), "错发漏发24小时内回复客户 (R17)");
    IT_CHECK_STR(s_str(rd, "status"), "pending");
    IT_CHECK_INT(json_integer_value(json_object_get(rd, "level")), 0);
    IT_CHECK(json_is_false(json_object_get(rd, "recurring")));
    IT_CHECK_STR(s_str(s_need_deadline(c, "first_report"), "due_at"), want_first);
    IT_CHECK_STR(s_str(s_need_deadline(c, "first_report"), "status"), "pending");
    IT_CHECK_STR(s_str(s_need_deadline(c, "progress_report"), "due_at"), want_progress);
    IT_CHECK_STR(s_str(s_need_deadline(c, "progress_report"), "status"), "pending");
    json_decref(c);
    free(case_no);

    /* A case that no deadline rule applies to gets none. */
    ev = json_pack("{s:s, s:s, s:s, s:s}", "event_id", "cr-feedback", "source", "it-dl", "kind",
                   "feedback", "content", "建议增加更多颜色");
    case_no = s_submit(&d, ev);
    json_decref(ev);
    c = s_get(&d, case_no);
    IT_CHECK_INT(json_array_size(json_object_get(c, "deadlines")), 0);
    json_decref(c);
    free(case_no);

    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines"), 3 + 6 * 3 + 4);
    it_daemon_stop(&d);
    free(db);
}

/* ---- 2. already past: fires at once ------------------------------------------------------ */

typedef struct s_watch_job {
    const char *publish;
    int rc;
    char *out;
    char *err;
} s_watch_job_t;

static void s_watch_job(void *arg)
{
    s_watch_job_t *job = arg;
    const char *argv[] = {"plaint",    "watch", "deadline.breached", "--json",     "--count", "2",
                          "--timeout", "15000", "--publish",         job->publish, NULL};
    job->rc = it_run(argv, NULL, &job->out, &job->err);
}

static void test_past_due_fires(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    char *shipped = s_shipped_real_time();
    it_daemon_start(&d, db, shipped, NULL);
    free(shipped);
    void *sub = s_sub_open("", d.publish, NULL);
    json_t *msgs = json_array();
    s_watch_job_t watch = {.publish = d.publish};
    ld_bg_t bg;
    ld_bg_start(&bg, s_watch_job, &watch);
    /* plaint watch and the SUB socket subscribe meanwhile. */
    s_sub_pump(sub, msgs, 800);

    time_t received = s_wall() - 3 * 3600;
    char at[32], due[40];
    s_iso(received, at, sizeof at);
    s_iso_us(received + 2 * 3600, due, sizeof due);
    json_t *ev = s_event("pd-1", S_LEAK, at);
    char *case_no = s_submit(&d, ev);
    json_decref(ev);
    int64_t submitted = ld_now_ms();

    /* first_report (2h) and progress_report (30m) are past: breached at
     * once; site_visit is not due. */
    long n = s_sub_wait(sub, msgs, 5000, 1, "deadline.breached", case_no, "first_report", 1);
    if (n != 1) {
        s_dump("messages", msgs);
        it_daemon_log_tail(&d, 20);
    }
    IT_CHECK_INT(n, 1);
    json_t *m = s_msg_find(msgs, "deadline.breached", case_no, "first_report", 1);
    int64_t after = json_integer_value(json_object_get(m, "ms")) - submitted;
    printf("# first_report breached %lld ms after the submit was acknowledged\n", (long long)after);
    IT_CHECK(after <= 2000);
    json_t *p = json_object_get(m, "payload");
    S_CHECK_STRINGS(json_object_get(p, "to"), "general_manager");
    IT_CHECK_STR(s_str(p, "due_at"), due);
    IT_CHECK_STR(s_str(p, "label"), "受理后2小时内报告总经理 (R17)");
    IT_CHECK_INT(s_sub_wait(sub, msgs, 3000, 1, "deadline.breached", case_no, "progress_report", 1),
                 1);
    p = json_object_get(s_msg_find(msgs, "deadline.breached", case_no, "progress_report", 1),
                        "payload");
    S_CHECK_STRINGS(json_object_get(p, "to"), "regional_head");
    /* case.created came first, through the outbox too, with the decision
     * and no personal data. */
    IT_CHECK_INT(s_msg_count(msgs, "case.created", case_no, NULL, -1), 1);
    json_t *created = s_msg_find(msgs, "case.created", case_no, NULL, -1);
    IT_CHECK(json_integer_value(json_object_get(created, "ms")) <=
             json_integer_value(json_object_get(m, "ms")));
    p = json_object_get(created, "payload");
    IT_CHECK_STR(s_str(p, "kind"), "complaint");
    IT_CHECK_STR(s_str(p, "channel"), "phone");
    IT_CHECK_STR(s_str(p, "category"), "product_quality");
    IT_CHECK_STR(s_str(p, "department"), "quality");
    IT_CHECK(json_is_array(json_object_get(p, "inform")));
    IT_CHECK(json_object_get(p, "content") == NULL && json_object_get(p, "customer") == NULL);

    /* The history, and the outbox with the step's idempotency key. */
    json_t *c = s_get(&d, case_no);
    json_t *fr = s_need_deadline(c, "first_report");
    IT_CHECK_STR(s_str(fr, "status"), "breached");
    IT_CHECK_INT(json_integer_value(json_object_get(fr, "level")), 1);
    IT_CHECK_STR(s_str(s_need_deadline(c, "site_visit"), "status"), "pending");
    json_t *h, *breach = NULL;
    size_t i;
    json_array_foreach(json_object_get(c, "history"), i, h) {
        json_t *detail = json_object_get(h, "detail");
        if (strcmp(s_str(h, "type"), "deadline_breached") == 0 &&
            strcmp(s_str(detail, "deadline"), "first_report") == 0) {
            IT_CHECK(breach == NULL);
            breach = h;
        }
    }
    IT_CHECK(breach != NULL);
    IT_CHECK_STR(s_str(breach, "actor"), "escalation");
    json_t *detail = json_object_get(breach, "detail");
    IT_CHECK_INT(json_integer_value(json_object_get(detail, "level")), 1);
    S_CHECK_STRINGS(json_object_get(detail, "to"), "general_manager");
    IT_CHECK_STR(s_str(detail, "due_at"), due);
    json_decref(c);
    long key_rows = s_q(db,
                        "SELECT count(*) FROM outbox WHERE idempotency_key = '%s/first_report/%lld/"
                        "breached/1' AND topic = 'deadline.breached' AND published_at IS NOT NULL "
                        "AND payload->>'level' = '1'",
                        case_no, (long long)(received + 2 * 3600));
    IT_CHECK_INT(key_rows, 1);
    /* No warning for a deadline that was already past when it was set. */
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'deadline.warning'"), 0);
    IT_CHECK_INT(s_msg_count(msgs, "deadline.warning", NULL, NULL, -1), 0);

    /* plaint watch saw both breaches. */
    IT_CHECK(s_bg_join(&bg, 20000));
    if (watch.rc != 0) {
        fprintf(stderr, "plaint watch: exit %d\nstdout: %s\nstderr: %s\n", watch.rc, watch.out,
                watch.err);
    }
    IT_CHECK_INT(watch.rc, 0);
    json_t *seen = json_array();
    for (char *line = watch.out; line && *line;) {
        char *end = strchr(line, '\n');
        if (end) {
            *end = '\0';
        }
        json_t *obj = json_loads(line, 0, NULL);
        IT_CHECK(json_is_object(obj));
        json_array_append_new(seen, obj);
        line = end ? end + 1 : line + strlen(line);
    }
    IT_CHECK_INT(json_array_size(seen), 2);
    IT_CHECK_INT(s_msg_count(seen, "deadline.breached", case_no, "first_report", 1), 1);
    IT_CHECK_INT(s_msg_count(seen, "deadline.breached", case_no, "progress_report", 1), 1);
    json_decref(seen);
    free(watch.out);
    free(watch.err);

    /* overdue lists them, oldest first, with the case's routing. */
    json_t *reply = s_call(&d, json_pack("{s:s, s:i}", "op", "overdue", "id", 5));
    s_check_ok(reply);
    IT_CHECK_INT(json_integer_value(json_object_get(reply, "id")), 5);
    json_t *overdue = json_object_get(reply, "overdue");
    if (json_array_size(overdue) != 2) {
        s_dump("overdue", overdue);
    }
    IT_CHECK_INT(json_array_size(overdue), 2);
    json_t *o0 = json_array_get(overdue, 0), *o1 = json_array_get(overdue, 1);
    IT_CHECK_STR(s_str(o0, "deadline"), "progress_report");
    IT_CHECK_STR(s_str(o1, "deadline"), "first_report");
    IT_CHECK_STR(s_str(o1, "case_no"), case_no);
    IT_CHECK_STR(s_str(o1, "status"), "breached");
    IT_CHECK_INT(json_integer_value(json_object_get(o1, "level")), 1);
    IT_CHECK_STR(s_str(o1, "due_at"), due);
    IT_CHECK_STR(s_str(o1, "department"), "quality");
    IT_CHECK_STR(s_str(o1, "category"), "product_quality");
    IT_CHECK(json_object_get(o1, "assignee") != NULL);
    json_decref(reply);
    const char *cli[] = {"plaint", "--endpoint", d.ingest, "overdue", NULL};
    char *out = NULL;
    IT_CHECK_INT(it_run(cli, NULL, &out, NULL), 0);
    if (!strstr(out, case_no) || !strstr(out, "first_report") || !strstr(out, "breached")) {
        fprintf(stderr, "plaint overdue:\n%s\n", out);
    }
    IT_CHECK(strstr(out, case_no) && strstr(out, "first_report") && strstr(out, "breached"));
    free(out);

    /* report meets first_report although it is breached; the level stays,
     * overdue no longer lists it. */
    reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "report", "case_no", case_no, "text",
                                 "已电话报告总经理"));
    s_check_ok(reply);
    S_CHECK_STRINGS(json_object_get(reply, "met"), "first_report");
    json_decref(reply);
    c = s_get(&d, case_no);
    fr = s_need_deadline(c, "first_report");
    IT_CHECK_STR(s_str(fr, "status"), "met");
    IT_CHECK_INT(json_integer_value(json_object_get(fr, "level")), 1);
    json_decref(c);
    reply = s_call(&d, json_pack("{s:s}", "op", "overdue"));
    s_check_ok(reply);
    IT_CHECK_INT(json_array_size(json_object_get(reply, "overdue")), 1);
    IT_CHECK_STR(s_str(json_array_get(json_object_get(reply, "overdue"), 0), "deadline"),
                 "progress_report");
    json_decref(reply);

    s_check_steps_once(db);
    zmq_close(sub);
    json_decref(msgs);
    free(case_no);
    it_daemon_stop(&d);
    free(db);
}

/* ---- 3. the escalation chain ----------------------------------------------------------- */

/* The instants (epoch seconds) of the case's history entries of `type` for
 * `deadline`, oldest first; returns how many (at most max). */
static int s_history_times(const char *db, const json_t *c, const char *type, const char *deadline,
                           double *at, int max)
{
    int n = 0;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(c, "history"), i, h) {
        json_t *detail = json_object_get(h, "detail");
        if (strcmp(s_str(h, "type"), type) == 0 && s_str(detail, "deadline") &&
            strcmp(s_str(detail, "deadline"), deadline) == 0 && n < max) {
            at[n++] = s_epoch(db, s_str(h, "at"));
        }
    }
    return n;
}

static void test_chain_walk(void)
{
    char *db = strdup(it_db_fresh());
    char *config = s_config("  - name: chain\n"
                            "    within: 1s\n"
                            "    escalate:\n"
                            "      - to: [l1]\n"
                            "      - {after: 2s, to: [l2]}\n"
                            "      - {after: 2s, to: [l3, ann]}\n"
                            "    met_by: report\n"
                            "  - name: halfway\n"
                            "    within: 1s\n"
                            "    escalate:\n"
                            "      - to: [l1]\n"
                            "      - {after: 2s, to: [l2]}\n"
                            "      - {after: 2s, to: [l3]}\n"
                            "    met_by: note\n");
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    void *sub = s_sub_open("", d.publish, NULL);
    json_t *msgs = json_array();
    s_sub_pump(sub, msgs, S_SUB_SETTLE_MS);

    json_t *ev = s_event("ch-1", "chain", NULL);
    char *case_no = s_submit(&d, ev);
    json_decref(ev);
    int64_t submitted = ld_now_ms();
    /* A second case, closed once breached: its escalation stops. */
    ev = s_event("ch-2", "closed early", NULL);
    char *closed_no = s_submit(&d, ev);
    json_decref(ev);
    IT_CHECK_INT(s_sub_wait(sub, msgs, 5000, 1, "deadline.breached", closed_no, "halfway", 1), 1);
    IT_CHECK_INT(s_sub_wait(sub, msgs, 5000, 1, "deadline.breached", closed_no, "chain", 1), 1);
    json_t *closed = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "close", "case_no", closed_no,
                                          "reason", "客户撤回投诉"));
    s_check_ok(closed);
    IT_CHECK_STR(s_str(closed, "status"), "closed");
    S_CHECK_STRINGS(json_object_get(closed, "cancelled"), "chain", "halfway");
    json_decref(closed);

    /* halfway reaches level 2, then is met: it escalates no further. */
    long n = s_sub_wait(sub, msgs, 8000, 1, "case.escalated", case_no, "halfway", 2);
    if (n != 1) {
        s_dump("messages", msgs);
        it_daemon_log_tail(&d, 20);
    }
    IT_CHECK_INT(n, 1);
    json_t *reply = s_call(&d, json_pack("{s:s, s:s, s:s, s:s}", "op", "note", "case_no", case_no,
                                         "text", "已处理", "by", "ann"));
    s_check_ok(reply);
    S_CHECK_STRINGS(json_object_get(reply, "met"), "halfway");
    json_decref(reply);

    /* chain walks to level 3... */
    n = s_sub_wait(sub, msgs, 8000, 1, "case.escalated", case_no, "chain", 3);
    if (n != 1) {
        s_dump("messages", msgs);
        it_daemon_log_tail(&d, 20);
    }
    IT_CHECK_INT(n, 1);
    printf("# chain reached level 3 %lld ms after the submit\n",
           (long long)(json_integer_value(json_object_get(
                           s_msg_find(msgs, "case.escalated", case_no, "chain", 3), "ms")) -
                       submitted));
    /* ...and stops there: nothing more comes. */
    s_sub_pump(sub, msgs, 2500);

    IT_CHECK_INT(s_msg_count(msgs, "deadline.breached", case_no, "chain", 1), 1);
    IT_CHECK_INT(s_msg_count(msgs, "case.escalated", case_no, "chain", 2), 1);
    IT_CHECK_INT(s_msg_count(msgs, "case.escalated", case_no, "chain", 3), 1);
    IT_CHECK_INT(s_msg_count(msgs, NULL, case_no, "chain", -1), 3);
    IT_CHECK_INT(s_msg_count(msgs, "deadline.breached", case_no, "halfway", 1), 1);
    IT_CHECK_INT(s_msg_count(msgs, "case.escalated", case_no, "halfway", 2), 1);
    IT_CHECK_INT(s_msg_count(msgs, NULL, case_no, "halfway", -1), 2);
    IT_CHECK_INT(s_msg_count(msgs, "deadline.warning", NULL, NULL, -1), 0);
    IT_CHECK_INT(s_msg_count(msgs, NULL, closed_no, NULL, -1), 3); /* with case.created */
    IT_CHECK_INT(json_array_size(msgs), 6 + 3);
    S_CHECK_STRINGS(
        json_object_get(
            json_object_get(s_msg_find(msgs, "deadline.breached", case_no, "chain", 1), "payload"),
            "to"),
        "l1");
    S_CHECK_STRINGS(
        json_object_get(
            json_object_get(s_msg_find(msgs, "case.escalated", case_no, "chain", 2), "payload"),
            "to"),
        "l2");
    S_CHECK_STRINGS(
        json_object_get(
            json_object_get(s_msg_find(msgs, "case.escalated", case_no, "chain", 3), "payload"),
            "to"),
        "l3", "ann");
    /* In order: breached, then 2, then 3. */
    IT_CHECK(json_integer_value(json_object_get(
                 s_msg_find(msgs, "deadline.breached", case_no, "chain", 1), "ms")) <=
             json_integer_value(
                 json_object_get(s_msg_find(msgs, "case.escalated", case_no, "chain", 2), "ms")));
    IT_CHECK(json_integer_value(
                 json_object_get(s_msg_find(msgs, "case.escalated", case_no, "chain", 2), "ms")) <=
             json_integer_value(
                 json_object_get(s_msg_find(msgs, "case.escalated", case_no, "chain", 3), "ms")));

    /* One outbox row per step, under its key. */
    static const char *const steps[] = {"chain/%/breached/1", "chain/%/escalated/2",
                                        "chain/%/escalated/3", "halfway/%/breached/1",
                                        "halfway/%/escalated/2"};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        long rows = s_q(db,
                        "SELECT count(*) FROM outbox WHERE idempotency_key LIKE '%s/%s' "
                        "AND published_at IS NOT NULL",
                        case_no, steps[k]);
        if (rows != 1) {
            fprintf(stderr, "outbox rows for %s/%s: %ld\n", case_no, steps[k], rows);
        }
        IT_CHECK_INT(rows, 1);
    }
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox"), 6 + 3);
    IT_CHECK_INT(s_q(db,
                     "SELECT count(*) FROM outbox WHERE idempotency_key LIKE "
                     "'%s/halfway/%%/escalated/3'",
                     case_no),
                 0);

    /* The case: chain breached at level 3, halfway met at level 2; the
     * timer has nothing left to do for either. */
    json_t *c = s_get(&d, case_no);
    json_t *chain = s_need_deadline(c, "chain"), *half = s_need_deadline(c, "halfway");
    IT_CHECK_STR(s_str(chain, "status"), "breached");
    IT_CHECK_INT(json_integer_value(json_object_get(chain, "level")), 3);
    IT_CHECK_STR(s_str(half, "status"), "met");
    IT_CHECK_INT(json_integer_value(json_object_get(half, "level")), 2);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL"), 0);
    json_t *c2 = s_get(&d, closed_no);
    IT_CHECK_STR(s_str(s_need_deadline(c2, "chain"), "status"), "cancelled");
    IT_CHECK_INT(json_integer_value(json_object_get(s_need_deadline(c2, "chain"), "level")), 1);
    json_decref(c2);
    /* The levels came `after` apart: 2 s each (history times). */
    double breached[2], escalated[3];
    IT_CHECK_INT(s_history_times(db, c, "deadline_breached", "chain", breached, 2), 1);
    IT_CHECK_INT(s_history_times(db, c, "escalated", "chain", escalated, 3), 2);
    double gap1 = escalated[0] - breached[0], gap2 = escalated[1] - escalated[0];
    printf("# chain: level 2 %.3f s after the breach, level 3 %.3f s after level 2\n", gap1, gap2);
    IT_CHECK(gap1 >= 1.9 && gap1 <= 3.5);
    IT_CHECK(gap2 >= 1.9 && gap2 <= 3.5);
    json_decref(c);

    s_check_steps_once(db);
    zmq_close(sub);
    json_decref(msgs);
    free(case_no);
    free(closed_no);
    it_daemon_stop(&d);
    free(config);
    free(db);
}

/* ---- 4. the case operations ------------------------------------------------------------- */

/* Sends a case operation; returns the reply (caller decrefs). */
static json_t *s_op(const it_daemon_t *d, const char *op, const char *case_no, const char *text)
{
    json_t *req = json_pack("{s:s, s:s}", "op", op, "case_no", case_no);
    if (text) {
        json_object_set_new(req, "text", json_string(text));
    }
    return s_call(d, req);
}

static void s_check_op(const json_t *reply, const char *case_no, const char *status)
{
    s_check_ok(reply);
    IT_CHECK_STR(s_str(reply, "case_no"), case_no);
    IT_CHECK_STR(s_str(reply, "status"), status);
    IT_CHECK(json_is_array(json_object_get(reply, "met")));
    IT_CHECK(json_is_array(json_object_get(reply, "rearmed")));
    IT_CHECK(json_is_array(json_object_get(reply, "cancelled")));
}

static void test_operations(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    char *shipped = s_shipped_real_time();
    it_daemon_start(&d, db, shipped, NULL);
    free(shipped);

    /* A wrong shipment received 40 minutes ago: first_report, site_visit,
     * reply and progress_report, the last already breached. */
    time_t received = s_wall() - 40 * 60;
    char at[32];
    s_iso(received, at, sizeof at);
    json_t *ev = s_event("op-1", S_WRONG, at);
    char *case_no = s_submit(&d, ev);
    json_decref(ev);
    IT_CHECK_INT(s_q_wait(db, 1, 3000,
                          "SELECT count(*) FROM deadlines WHERE name = 'progress_report' AND "
                          "status = 'breached' AND level = 1"),
                 1);
    json_t *c = s_get(&d, case_no);
    IT_CHECK_INT(json_array_size(json_object_get(c, "deadlines")), 4);
    IT_CHECK(json_is_null(json_object_get(c, "responsibility")));
    IT_CHECK(json_is_null(json_object_get(c, "handling_result")));
    json_decref(c);

    /* The case is read back to the customer (confirm) and given to li_na;
     * neither meets a deadline. */
    json_t *reply = s_call(&d, json_pack("{s:s, s:s}", "op", "confirm", "case_no", case_no));
    s_check_ok(reply);
    IT_CHECK_INT(json_array_size(json_object_get(reply, "met")), 0);
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "assign", "case_no", case_no, "to",
                                 "li_na"));
    s_check_op(reply, case_no, "assigned");
    json_decref(reply);

    /* visit: meets site_visit, sets the responsibility (plaint visit). */
    const char *visit[] = {"plaint",
                           "--endpoint",
                           d.ingest,
                           "visit",
                           case_no,
                           "--finding",
                           "型号发错，属发货差错",
                           "--responsibility",
                           "quality",
                           "--by",
                           "li_na",
                           NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(visit, NULL, &out, &err);
    if (rc != 0 || !strstr(out, "met: site_visit")) {
        fprintf(stderr, "plaint visit: exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    }
    IT_CHECK_INT(rc, 0);
    IT_CHECK(strstr(out, "met: site_visit") != NULL);
    free(out);
    free(err);
    c = s_get(&d, case_no);
    IT_CHECK_STR(s_str(s_need_deadline(c, "site_visit"), "status"), "met");
    IT_CHECK_STR(s_str(c, "responsibility"), "quality");
    json_t *history = json_object_get(c, "history");
    size_t nh = json_array_size(history);
    json_t *last = json_array_get(history, nh - 1), *op = json_array_get(history, nh - 2);
    IT_CHECK_STR(s_str(op, "type"), "visit");
    IT_CHECK_STR(s_str(op, "actor"), "li_na");
    IT_CHECK_STR(s_str(json_object_get(op, "detail"), "finding"), "型号发错，属发货差错");
    IT_CHECK_STR(s_str(json_object_get(op, "detail"), "responsibility"), "quality");
    IT_CHECK_STR(s_str(last, "type"), "deadlines_updated");
    S_CHECK_STRINGS(json_object_get(json_object_get(last, "detail"), "met"), "site_visit");
    json_decref(c);

    /* note: re-arms progress_report 30 minutes from now: pending, level 0. */
    reply = s_call(&d, json_pack("{s:s, s:s, s:s, s:s}", "op", "note", "case_no", case_no,
                                 "text", "客户已约好明天上门", "by", "zhang_wei"));
    time_t noted = s_wall();
    s_check_op(reply, case_no, "investigating");
    IT_CHECK_INT(json_array_size(json_object_get(reply, "met")), 0);
    json_t *rearmed = json_object_get(reply, "rearmed");
    IT_CHECK_INT(json_array_size(rearmed), 1);
    IT_CHECK_STR(s_str(json_array_get(rearmed, 0), "name"), "progress_report");
    const char *due = s_str(json_array_get(rearmed, 0), "due_at");
    IT_CHECK(due != NULL);
    double lag = s_epoch(db, due) - (double)(noted + 30 * 60);
    if (lag < -5 || lag > 5) {
        fprintf(stderr, "re-armed due %s is %.1f s away from now + 30m\n", due, lag);
    }
    IT_CHECK(lag >= -5 && lag <= 5);
    char rearmed_due[40];
    snprintf(rearmed_due, sizeof rearmed_due, "%s", due);
    json_decref(reply);
    c = s_get(&d, case_no);
    json_t *pr = s_need_deadline(c, "progress_report");
    IT_CHECK_STR(s_str(pr, "status"), "pending");
    IT_CHECK_INT(json_integer_value(json_object_get(pr, "level")), 0);
    IT_CHECK_STR(s_str(pr, "due_at"), rearmed_due);
    IT_CHECK(json_is_true(json_object_get(pr, "recurring")));
    json_decref(c);
    /* Re-armed, it is no longer overdue, and will not fire before its time. */
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE name = 'progress_report' AND "
                         "next_fire_at < now() + interval '20 minutes'"),
                 0);
    reply = s_call(&d, json_pack("{s:s}", "op", "overdue"));
    s_check_ok(reply);
    IT_CHECK_INT(json_array_size(json_object_get(reply, "overdue")), 0);
    json_decref(reply);

    /* The resolution is proposed and approved level by level (the shipped
     * approval matrix; each level by a person holding one of its roles). */
    reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "propose", "case_no", case_no,
                                 "result", "补发2台，更换3台"));
    s_check_ok(reply);
    json_t *levels = json_incref(json_object_get(reply, "approvals"));
    json_decref(reply);
    static const char *const approvers[][2] = {{"vp_marketing", "sun_li"},
                                               {"general_manager", "zheng_guohua"},
                                               {"management_rep", "wu_qiang"},
                                               {"sales_manager", "liu_peng"}};
    size_t li;
    json_t *level;
    json_array_foreach(levels, li, level) {
        const char *by = NULL;
        const char *role = json_string_value(json_array_get(json_object_get(level, "roles"), 0));
        for (size_t k = 0; role && k < sizeof approvers / sizeof approvers[0]; k++) {
            by = strcmp(approvers[k][0], role) == 0 ? approvers[k][1] : by;
        }
        IT_CHECK(by != NULL);
        reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "approve", "case_no", case_no, "by",
                                     by));
        s_check_ok(reply);
        json_decref(reply);
    }
    json_decref(levels);

    /* reply: meets reply; becomes the handling result. */
    reply = s_op(&d, "reply", case_no, "已为客户补发2台并更换3台");
    s_check_op(reply, case_no, "replied");
    S_CHECK_STRINGS(json_object_get(reply, "met"), "reply");
    IT_CHECK_INT(json_array_size(json_object_get(reply, "rearmed")), 0);
    json_decref(reply);

    /* report: meets first_report. */
    reply = s_op(&d, "report", case_no, "已电话报告总经理");
    s_check_op(reply, case_no, "replied");
    S_CHECK_STRINGS(json_object_get(reply, "met"), "first_report");
    json_decref(reply);
    /* A second report meets nothing more. */
    reply = s_op(&d, "report", case_no, "再次报告");
    s_check_op(reply, case_no, "replied");
    IT_CHECK_INT(json_array_size(json_object_get(reply, "met")), 0);
    json_decref(reply);

    c = s_get(&d, case_no);
    IT_CHECK_STR(s_str(c, "handling_result"), "已为客户补发2台并更换3台");
    IT_CHECK_STR(s_str(s_need_deadline(c, "reply"), "status"), "met");
    IT_CHECK_STR(s_str(s_need_deadline(c, "first_report"), "status"), "met");
    IT_CHECK_INT(json_integer_value(json_object_get(s_need_deadline(c, "first_report"), "level")),
                 0);
    json_decref(c);

    /* The follow-up call finds the customer satisfied (R21). */
    reply = s_call(&d, json_pack("{s:s, s:s, s:s, s:b}", "op", "followup", "case_no", case_no,
                                 "method", "phone", "satisfied", 1));
    s_check_op(reply, case_no, "followup");
    json_decref(reply);

    /* close: cancels what is left (progress_report). */
    reply = s_call(&d, json_pack("{s:s, s:s}", "op", "close", "case_no", case_no));
    s_check_op(reply, case_no, "closed");
    IT_CHECK_INT(json_array_size(json_object_get(reply, "met")), 0);
    S_CHECK_STRINGS(json_object_get(reply, "cancelled"), "progress_report");
    json_decref(reply);
    c = s_get(&d, case_no);
    IT_CHECK_STR(s_str(c, "status"), "closed");
    IT_CHECK_STR(s_str(s_need_deadline(c, "progress_report"), "status"), "cancelled");
    IT_CHECK_STR(s_str(s_need_deadline(c, "site_visit"), "status"), "met");
    size_t history_len = json_array_size(json_object_get(c, "history"));
    json_decref(c);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL"), 0);

    /* A closed case takes no more operations but reopen, capa and remark,
     * not even close; nothing is recorded. */
    static const char *const ops[] = {"note", "report", "reply"};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        reply = s_op(&d, ops[k], case_no, "again");
        s_check_refused(reply, "invalid_state", "status");
        json_decref(reply);
    }
    reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "close", "case_no", case_no, "reason",
                                 "again"));
    s_check_refused(reply, "invalid_state", "status");
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s, s:s, s:s}", "op", "visit", "case_no", case_no,
                                 "finding", "again", "responsibility", "misuse"));
    s_check_refused(reply, "invalid_state", "status");
    json_decref(reply);
    const char *note[] = {"plaint", "--endpoint", d.ingest, "note", case_no, "再次回访", NULL};
    IT_CHECK_INT(it_run(note, NULL, NULL, NULL), 1);
    c = s_get(&d, case_no);
    IT_CHECK_INT(json_array_size(json_object_get(c, "history")), history_len);
    IT_CHECK_STR(s_str(c, "responsibility"), "quality");
    json_decref(c);

    /* Refusals before the database: unknown case, missing members. */
    reply = s_op(&d, "note", "TS-1999-999999", "x");
    s_check_refused(reply, "not_found", "case_no");
    json_decref(reply);
    reply = s_op(&d, "report", case_no, NULL);
    s_check_refused(reply, "missing_field", "text");
    json_decref(reply);
    reply =
        s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "visit", "case_no", case_no, "finding", "x"));
    s_check_refused(reply, "missing_field", "responsibility");
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s, s:s, s:s}", "op", "visit", "case_no", case_no,
                                 "finding", "x", "responsibility", "nobody"));
    s_check_refused(reply, "invalid_value", "responsibility");
    json_decref(reply);

    /* Nothing of the closed case is overdue, and no step fired twice. */
    reply = s_call(&d, json_pack("{s:s}", "op", "overdue"));
    s_check_ok(reply);
    IT_CHECK_INT(json_array_size(json_object_get(reply, "overdue")), 0);
    json_decref(reply);
    s_check_steps_once(db);
    free(case_no);
    it_daemon_stop(&d);
    free(db);
}

/* ---- 5. restart ------------------------------------------------------------------------- */

static void test_restart(void)
{
    char *db = strdup(it_db_fresh());
    char *config = s_config("  - name: soon\n"
                            "    within: 5s\n"
                            "    escalate: [{to: [l1]}]\n"
                            "    met_by: report\n");
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    enum { N = 20 };
    it_daemon_t *ds[] = {&d};
    s_submit_many(ds, 1, "rs-", N, NULL);
    it_daemon_stop(&d);
    /* Nothing fired: the daemon stopped first. */
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE status = 'pending' AND level = 0"),
                 N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic <> 'case.created'"), 0);
    /* Wait until all are past, while no daemon runs. */
    long wait_ms = s_q(db, "SELECT ceil(extract(epoch FROM max(due_at) - clock_timestamp()) * "
                           "1000)::bigint FROM deadlines");
    IT_CHECK(wait_ms < 6000);
    if (wait_ms > 0) {
        it_sleep_ms((int)wait_ms + 300);
    }
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE due_at < clock_timestamp()"), N);

    /* Started again (same ports): they fire at once, each once. */
    it_daemon_start(&d, db, config, NULL);
    int64_t ready = ld_now_ms();
    long fired =
        s_q_wait(db, N, 2000, "SELECT count(*) FROM case_history WHERE type = 'deadline_breached'");
    int64_t took = ld_now_ms() - ready;
    printf("# %ld of %d missed deadlines fired %lld ms after the restart\n", fired, N,
           (long long)took);
    if (fired != N) {
        it_daemon_log_tail(&d, 30);
    }
    IT_CHECK_INT(fired, N);
    /* Everything left in the outbox is sent by the new daemon. */
    IT_CHECK_INT(s_q_wait(db, 0, 3000, "SELECT count(*) FROM outbox WHERE published_at IS NULL"),
                 0);
    it_sleep_ms(500);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'deadline.breached'"), N);
    IT_CHECK_INT(s_q(db, "SELECT count(DISTINCT idempotency_key) FROM outbox WHERE topic = "
                         "'deadline.breached'"),
                 N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM case_history WHERE type = 'deadline_breached'"), N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE status = 'breached' AND level = 1 "
                         "AND next_fire_at IS NULL"),
                 N);
    s_check_steps_once(db);
    it_daemon_stop(&d);
    free(config);
    free(db);
}

/* ---- 5b. SIGKILL during a burst of firing ------------------------------------------------ */

static void test_kill9_while_firing(void)
{
    char *db = strdup(it_db_fresh());
    char *config = s_config("  - name: burst\n"
                            "    within: 3s\n"
                            "    escalate:\n"
                            "      - to: [l1]\n"
                            "      - {after: 1s, to: [l2]}\n"
                            "      - {after: 1s, to: [l3]}\n"
                            "    met_by: report\n");
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    /* 300 cases in 10 bursts 150 ms apart: the deadlines come due over
     * 1.5 s, and their levels 1 s and 2 s later, so the timer fires many
     * small batches for about 3.5 s. */
    enum { N = 300, BATCHES = 10, STEPS = 3 * N };
    it_daemon_t *ds[] = {&d};
    for (int k = 0; k < BATCHES; k++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "k9-%d-", k);
        s_submit_many(ds, 1, prefix, N / BATCHES, NULL);
        it_sleep_ms(150);
    }

    /* Killed once about a third of the steps have fired, preferably while
     * a pl_fire_due is running in the database. */
    const char *steps_sql = "SELECT count(*) FROM case_history WHERE type IN "
                            "('deadline_breached', 'escalated')";
    const char *firing_sql = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                             "AND query LIKE '%pl_fire_due(%' AND pid <> pg_backend_pid()";
    long at_kill = 0, firing = 0;
    int64_t end = ld_now_ms() + 15000;
    while (ld_now_ms() < end) {
        at_kill = it_sql_long(db, steps_sql);
        if (at_kill >= STEPS / 4) {
            firing = it_sql_long(db, firing_sql);
            if (firing > 0 || at_kill >= STEPS / 2) {
                break;
            }
        }
    }
    IT_CHECK(at_kill >= STEPS / 4 && at_kill < STEPS);
    it_daemon_kill9(&d);
    it_sleep_ms(100); /* a statement the database was running finishes (or not) */
    long after_kill = it_sql_long(db, steps_sql);
    long unpublished = s_q(db, "SELECT count(*) FROM outbox WHERE published_at IS NULL");
    printf("# killed with %ld of %d steps fired%s; %ld once the database was done, %ld "
           "notifications unpublished\n",
           at_kill, STEPS, firing ? ", pl_fire_due running" : "", after_kill, unpublished);
    IT_CHECK(after_kill < STEPS);

    it_daemon_start(&d, db, config, NULL);
    long fired = s_q_wait(db, STEPS, 15000, "%s", steps_sql);
    if (fired != STEPS) {
        it_daemon_log_tail(&d, 30);
    }
    IT_CHECK_INT(fired, STEPS);
    IT_CHECK_INT(s_q_wait(db, 0, 6000, "SELECT count(*) FROM outbox WHERE published_at IS NULL"),
                 0);
    it_sleep_ms(1200); /* anything that would fire twice would do so by now */
    IT_CHECK_INT(it_sql_long(db, steps_sql), STEPS);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'deadline.breached'"), N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), 2 * N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE status = 'breached' AND level = 3 "
                         "AND next_fire_at IS NULL"),
                 N);
    s_check_steps_once(db);
    it_daemon_stop(&d);
    free(config);
    free(db);
}

/* ---- 6. two daemons, one database ---------------------------------------------------------- */

/* How many (case, deadline, level) were received more than once in `list`. */
static long s_msg_repeats(const json_t *list)
{
    json_t *seen = json_object();
    long repeats = 0;
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        json_t *p = json_object_get(m, "payload");
        if (strcmp(s_str(m, "topic"), "case.created") == 0) {
            continue;
        }
        char key[256];
        snprintf(key, sizeof key, "%s/%s/%s/%lld", s_str(m, "topic"),
                 s_str(p, "case_no") ? s_str(p, "case_no") : "-",
                 s_str(p, "deadline") ? s_str(p, "deadline") : "-",
                 (long long)json_integer_value(json_object_get(p, "level")));
        if (json_object_get(seen, key)) {
            repeats++;
        }
        json_object_set_new(seen, key, json_true());
    }
    json_decref(seen);
    return repeats;
}

static void test_two_daemons(void)
{
    char *db = strdup(it_db_fresh());
    char *config = s_config("  - name: both\n"
                            "    within: 4s\n"
                            "    escalate:\n"
                            "      - to: [l1]\n"
                            "      - {after: 1s, to: [l2]}\n"
                            "    met_by: report\n");
    it_daemon_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    it_daemon_start(&a, db, config, NULL);
    it_daemon_start(&b, db, config, NULL);
    void *sub_a = s_sub_open("", a.publish, NULL);
    void *sub_b = s_sub_open("", b.publish, NULL);
    json_t *msgs_a = json_array(), *msgs_b = json_array();
    s_sub_pump(sub_a, msgs_a, S_SUB_SETTLE_MS);

    /* 300 cases, every other one through each daemon, due within the same
     * second or so. */
    enum { N = 300, STEPS = 2 * N };
    it_daemon_t *ds[] = {&a, &b};
    s_submit_many(ds, 2, "two-", N, NULL);
    const char *steps_sql = "SELECT count(*) FROM case_history WHERE type IN "
                            "('deadline_breached', 'escalated')";
    int64_t end = ld_now_ms() + 20000;
    long fired = 0;
    while ((fired = it_sql_long(db, steps_sql)) < STEPS && ld_now_ms() < end) {
        s_sub_pump(sub_a, msgs_a, 25);
        s_sub_pump(sub_b, msgs_b, 25);
    }
    if (fired != STEPS) {
        it_daemon_log_tail(&a, 20);
        it_daemon_log_tail(&b, 20);
    }
    IT_CHECK_INT(fired, STEPS);
    /* Anything fired twice would be by now; the last messages arrive. */
    for (int k = 0; k < 30; k++) {
        s_sub_pump(sub_a, msgs_a, 25);
        s_sub_pump(sub_b, msgs_b, 25);
    }
    IT_CHECK_INT(it_sql_long(db, steps_sql), STEPS);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'deadline.breached'"), N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'case.escalated'"), N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM case_history WHERE type = 'deadline_breached'"), N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE status = 'breached' AND level = 2 "
                         "AND next_fire_at IS NULL"),
                 N);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
    s_check_steps_once(db);

    /* Each notification was published once, by one of the two. */
    json_t *all = json_array();
    json_array_extend(all, msgs_a);
    json_array_extend(all, msgs_b);
    long steps_a = json_array_size(msgs_a) - s_msg_count(msgs_a, "case.created", NULL, NULL, -1);
    long steps_b = json_array_size(msgs_b) - s_msg_count(msgs_b, "case.created", NULL, NULL, -1);
    long repeats = s_msg_repeats(all);
    printf("# steps published: %ld by the first daemon, %ld by the second; %ld repeated\n", steps_a,
           steps_b, repeats);
    IT_CHECK_INT(repeats, 0);
    IT_CHECK_INT(steps_a + steps_b, STEPS);
    IT_CHECK_INT(s_msg_count(all, "case.created", NULL, NULL, -1), N);
    json_decref(all);

    IT_CHECK(it_daemon_alive(&a));
    IT_CHECK(it_daemon_alive(&b));
    zmq_close(sub_a);
    zmq_close(sub_b);
    json_decref(msgs_a);
    json_decref(msgs_b);
    it_daemon_stop(&a);
    it_daemon_stop(&b);
    free(config);
    free(db);
}

/* ---- 7. warnings ------------------------------------------------------------------------- */

static void test_warnings(void)
{
    char *db = strdup(it_db_fresh());
    /* quick: real time, 4 s, warned at 2 s. biz: one business minute on
     * the 24x7 calendar, warned at 30 s; its case is received 57 s ago, so
     * the warning point is past (but not the deadline) when it is set. */
    char *config = s_config("  - name: quick\n"
                            "    when: {channel: phone}\n"
                            "    within: 4s\n"
                            "    warn_at: [50]\n"
                            "    escalate: [{to: [l1]}]\n"
                            "    met_by: report\n"
                            "  - name: biz\n"
                            "    when: {channel: web}\n"
                            "    calendar: 24x7\n"
                            "    within: 1 business minute\n"
                            "    warn_at: 50\n"
                            "    escalate: [{to: [l2]}]\n"
                            "    met_by: reply\n");
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    void *sub = s_sub_open("deadline.", d.publish, NULL);
    json_t *msgs = json_array();
    s_sub_pump(sub, msgs, S_SUB_SETTLE_MS);

    json_t *ev = s_event("wn-quick", "warn me", NULL);
    char *quick = s_submit(&d, ev);
    json_decref(ev);
    int64_t quick_at = ld_now_ms();
    char at[32];
    s_iso(s_wall() - 57, at, sizeof at);
    ev = s_event("wn-biz", "warn me too", at);
    json_object_set_new(ev, "channel", json_string("web"));
    char *biz = s_submit(&d, ev);
    json_decref(ev);
    int64_t biz_at = ld_now_ms();

    IT_CHECK_INT(s_sub_wait(sub, msgs, 8000, 1, "deadline.breached", quick, "quick", 1), 1);
    IT_CHECK_INT(s_sub_wait(sub, msgs, 8000, 1, "deadline.breached", biz, "biz", 1), 1);
    s_sub_pump(sub, msgs, 500);
    if (json_array_size(msgs) != 4) {
        s_dump("messages", msgs);
    }
    IT_CHECK_INT(json_array_size(msgs), 4);
    IT_CHECK_INT(s_msg_count(msgs, "deadline.warning", quick, "quick", 1), 1);
    IT_CHECK_INT(s_msg_count(msgs, "deadline.warning", biz, "biz", 1), 1);

    json_t *qw = s_msg_find(msgs, "deadline.warning", quick, "quick", 1);
    json_t *qb = s_msg_find(msgs, "deadline.breached", quick, "quick", 1);
    json_t *bw = s_msg_find(msgs, "deadline.warning", biz, "biz", 1);
    json_t *bb = s_msg_find(msgs, "deadline.breached", biz, "biz", 1);
    long long qw_ms = json_integer_value(json_object_get(qw, "ms")) - quick_at;
    long long qb_ms = json_integer_value(json_object_get(qb, "ms")) - quick_at;
    long long bw_ms = json_integer_value(json_object_get(bw, "ms")) - biz_at;
    long long bb_ms = json_integer_value(json_object_get(bb, "ms")) - biz_at;
    printf("# quick: warned after %lld ms, breached after %lld ms; biz: warned after %lld ms, "
           "breached after %lld ms\n",
           qw_ms, qb_ms, bw_ms, bb_ms);
    /* quick: warned half way (the instant is kept to the second), breached
     * at 4 s. */
    IT_CHECK(qw_ms >= 900 && qw_ms <= 3200);
    IT_CHECK(qb_ms >= 3000 && qb_ms <= 6000);
    IT_CHECK(qw_ms < qb_ms);
    /* biz: the warning point was past: warned at once, breached later. */
    IT_CHECK(bw_ms <= 2000);
    IT_CHECK(bw_ms < bb_ms);
    json_t *p = json_object_get(qw, "payload");
    IT_CHECK_STR(s_str(p, "case_no"), quick);
    IT_CHECK_STR(s_str(p, "label"), "quick"); /* no label: the name */
    IT_CHECK_STR(s_str(p, "due_at"), s_str(json_object_get(qb, "payload"), "due_at"));
    IT_CHECK(json_object_get(p, "to") == NULL);

    /* The history: the warning, then the breach, once each. */
    const char *names[2] = {"quick", "biz"};
    const char *nos[2] = {quick, biz};
    for (int k = 0; k < 2; k++) {
        json_t *c = s_get(&d, nos[k]);
        double warned[2], breached[2];
        IT_CHECK_INT(s_history_times(db, c, "deadline_warning", names[k], warned, 2), 1);
        IT_CHECK_INT(s_history_times(db, c, "deadline_breached", names[k], breached, 2), 1);
        IT_CHECK(warned[0] <= breached[0]);
        size_t i, wi = 0, bi = 0;
        json_t *h;
        json_array_foreach(json_object_get(c, "history"), i, h) {
            if (strcmp(s_str(h, "type"), "deadline_warning") == 0) {
                wi = i;
                IT_CHECK_INT(
                    json_integer_value(json_object_get(json_object_get(h, "detail"), "warning")),
                    1);
            } else if (strcmp(s_str(h, "type"), "deadline_breached") == 0) {
                bi = i;
            }
        }
        IT_CHECK(wi < bi);
        json_t *dl = s_need_deadline(c, names[k]);
        IT_CHECK_STR(s_str(dl, "status"), "breached");
        IT_CHECK_INT(json_integer_value(json_object_get(dl, "level")), 1);
        json_decref(c);
        IT_CHECK_INT(s_q(db,
                         "SELECT count(*) FROM outbox WHERE idempotency_key LIKE "
                         "'%s/%s/%%/warning/1'",
                         nos[k], names[k]),
                     1);
        IT_CHECK_INT(s_q(db,
                         "SELECT count(*) FROM outbox WHERE idempotency_key LIKE "
                         "'%s/%s/%%/breached/1'",
                         nos[k], names[k]),
                     1);
    }
    /* No warning fired before its instant. */
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM case_history h JOIN deadlines d ON d.case_id = "
                         "h.case_id AND d.name = h.detail->>'deadline' WHERE h.type = "
                         "'deadline_warning' AND h.at < d.warn_at[1] - interval '50 ms'"),
                 0);
    s_check_steps_once(db);
    zmq_close(sub);
    json_decref(msgs);
    free(quick);
    free(biz);
    it_daemon_stop(&d);
    free(config);
    free(db);
}

/* ---- pause and resume ---------------------------------------------------------------- */

/* A pausable deadline stands still while the case waits on the customer,
 * and the paused time is added back; one that is not pausable runs on. */
static void test_pause_resume(void)
{
    char *db = strdup(it_db_fresh());
    char *config = s_config("  - name: wait\n"
                            "    within: 2s\n"
                            "    pausable: true\n"
                            "    escalate: [{to: [l1]}]\n"
                            "    met_by: report\n"
                            "  - name: fixed\n"
                            "    within: 1h\n"
                            "    escalate: [{to: [l1]}]\n"
                            "    met_by: report\n");
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    json_t *ev = s_event("pz-1", "waiting on the customer", NULL);
    char *case_no = s_submit(&d, ev);
    json_decref(ev);
    char *before = it_sql(db, "SELECT extract(epoch FROM due_at) FROM deadlines WHERE name = 'wait'");
    double due_before = strtod(before, NULL);
    free(before);

    json_t *reply = s_call(&d, json_pack("{s:s, s:s}", "op", "pause", "case_no", case_no));
    s_check_refused(reply, "missing_field", "reason");
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s}", "op", "resume", "case_no", case_no));
    s_check_refused(reply, "invalid_state", "status");
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s, s:s, s:s}", "op", "pause", "case_no", case_no,
                                 "reason", "等待客户提供照片", "by", "ann"));
    s_check_ok(reply);
    S_CHECK_STRINGS(json_object_get(reply, "paused_deadlines"), "wait");
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "pause", "case_no", case_no, "reason",
                                 "again"));
    s_check_refused(reply, "invalid_state", "status");
    json_decref(reply);
    json_t *c = s_get(&d, case_no);
    IT_CHECK(s_str(c, "paused_at") != NULL);
    IT_CHECK_STR(s_str(c, "paused_reason"), "等待客户提供照片");
    json_decref(c);

    /* Well past its 2 s, the paused deadline has not fired. */
    ld_sleep_ms(3000);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE name = 'wait' AND "
                         "status = 'pending' AND next_fire_at IS NULL"),
                 1);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox WHERE topic = 'deadline.breached'"), 0);

    reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "resume", "case_no", case_no, "by",
                                 "ann"));
    s_check_ok(reply);
    json_t *resumed = json_object_get(reply, "resumed");
    IT_CHECK_INT(json_array_size(resumed), 1);
    IT_CHECK_STR(s_str(json_array_get(resumed, 0), "name"), "wait");
    double due_after = s_epoch(db, s_str(json_array_get(resumed, 0), "due_at"));
    /* The paused time (~3 s) is added back. */
    if (due_after - due_before < 2.5 || due_after - due_before > 6) {
        fprintf(stderr, "due moved by %.2f s\n", due_after - due_before);
    }
    IT_CHECK(due_after - due_before >= 2.5 && due_after - due_before <= 6);
    json_decref(reply);
    reply = s_call(&d, json_pack("{s:s, s:s}", "op", "resume", "case_no", case_no));
    s_check_refused(reply, "invalid_state", "status");
    json_decref(reply);
    c = s_get(&d, case_no);
    IT_CHECK(json_is_null(json_object_get(c, "paused_at")));
    json_t *history = json_object_get(c, "history");
    int paused = 0, resumed_rows = 0;
    size_t i;
    json_t *h;
    json_array_foreach(history, i, h) {
        paused += strcmp(s_str(h, "type"), "paused") == 0;
        resumed_rows += strcmp(s_str(h, "type"), "resumed") == 0;
    }
    IT_CHECK_INT(paused, 1);
    IT_CHECK_INT(resumed_rows, 1);
    json_decref(c);
    /* Resumed, it fires when its moved time comes. */
    IT_CHECK_INT(s_q_wait(db, 1, 8000,
                          "SELECT count(*) FROM deadlines WHERE name = 'wait' AND "
                          "status = 'breached'"),
                 1);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE name = 'fixed' AND "
                         "status = 'pending' AND next_fire_at IS NOT NULL"),
                 1);
    free(case_no);
    free(config);
    it_daemon_stop(&d);
    free(db);
}

/* ---- recurring in working time ------------------------------------------------------------- */

/* A recurring deadline counted in working minutes ("every: 30 business
 * minutes") in a calendar whose only working hour starts 2 hours from now
 * (UTC): it is first due 30 minutes into that hour, and a progress note
 * re-arms it to the same instant, not to now + 30 minutes. */
static void test_rearm_business(void)
{
    char *db = strdup(it_db_fresh());
    time_t now = s_wall();
    struct tm tm;
    gmtime_r(&now, &tm);
    int start = (tm.tm_hour + 2) % 24;
    /* The next time the window opens: today, or tomorrow when it wrapped. */
    time_t midnight = now - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
    time_t opens = midnight + start * 3600 + (start < tm.tm_hour ? 24 * 3600 : 0);
    char want[40];
    s_iso_us(opens + 30 * 60, want, sizeof want);
    char text[2048];
    snprintf(text, sizeof text,
             "# Written by tests/integration/it_deadlines.c (rearm_business)\n"
             "directory:\n"
             "  departments: [{id: desk}]\n"
             "  roles: [{id: l1}]\n"
             "  people: [{id: ann, roles: [l1], department: desk}]\n"
             "routing:\n"
             "  - {department: desk, assignee: ann}\n"
             "calendars:\n"
             "  - id: window\n"
             "    timezone: UTC\n"
             "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
             "    hours: \"%02d:00-%02d:00\"\n"
             "deadlines:\n"
             "  - name: nag\n"
             "    calendar: window\n"
             "    every: 30 business minutes\n"
             "    escalate: [{to: [l1]}]\n"
             "    met_by: note\n",
             start, start + 1);
    char *config = it_config_checked("rearm.yaml", text);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    json_t *ev = s_event("rb-1", "nag me in working time", NULL);
    char *case_no = s_submit(&d, ev);
    json_decref(ev);
    json_t *c = s_get(&d, case_no);
    IT_CHECK_STR(s_str(s_need_deadline(c, "nag"), "due_at"), want);
    json_decref(c);
    json_t *reply = s_call(&d, json_pack("{s:s, s:s, s:s}", "op", "note", "case_no", case_no,
                                         "text", "still on it"));
    s_check_ok(reply);
    json_t *rearmed = json_object_get(reply, "rearmed");
    IT_CHECK_INT(json_array_size(rearmed), 1);
    IT_CHECK_STR(s_str(json_array_get(rearmed, 0), "due_at"), want);
    json_decref(reply);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines WHERE name = 'nag' AND clock = 'business'"),
                 1);
    free(case_no);
    free(config);
    it_daemon_stop(&d);
    free(db);
}

/* ---- 8. explain ------------------------------------------------------------------------------ */

static void test_explain(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    char *shipped_cfg = s_shipped_real_time();
    it_daemon_start(&d, db, shipped_cfg, NULL);
    void *sub = s_sub_open("", d.publish, NULL);
    json_t *msgs = json_array();
    s_sub_pump(sub, msgs, S_SUB_SETTLE_MS);

    json_t *ev = s_event("ex-1", S_WRONG, "2026-09-30T17:00:00+08:00");
    json_object_del(ev, "event_id");
    json_t *reply = s_call(&d, json_pack("{s:s, s:O}", "op", "explain", "event", ev));
    s_check_ok(reply);
    json_t *x = json_object_get(reply, "explain");
    IT_CHECK(json_is_false(json_object_get(x, "stored")));
    json_t *deadlines = json_object_get(x, "deadlines");
    if (json_array_size(deadlines) != 4) {
        s_dump("explain", x);
    }
    IT_CHECK_INT(json_array_size(deadlines), 4);
    /* In file order, as pl_rules_deadlines gives them. */
    static const char *const names[] = {"first_report", "site_visit", "reply", "progress_report"};
    static const char *const dues[] = {"2026-09-30T11:00:00", "2026-10-09T10:00:00",
                                       "2026-10-01T09:00:00", "2026-09-30T09:30:00"};
    for (size_t k = 0; k < 4; k++) {
        json_t *dl = json_array_get(deadlines, k);
        IT_CHECK_STR(s_str(dl, "name"), names[k]);
        const char *due = s_str(dl, "due_at");
        char re[64];
        snprintf(re, sizeof re, "^%s(\\.0+)?Z$", dues[k]);
        if (!it_match(due, re)) {
            s_dump("deadline", dl);
        }
        IT_CHECK(it_match(due, re));
        IT_CHECK(json_is_array(json_object_get(dl, "chain")));
        IT_CHECK(json_is_array(json_object_get(dl, "met_by")));
    }
    json_t *sv = json_array_get(deadlines, 1);
    IT_CHECK_STR(s_str(sv, "clock"), "working_days");
    S_CHECK_STRINGS(json_object_get(sv, "met_by"), "visit");
    IT_CHECK_INT(json_array_size(json_object_get(sv, "chain")), 4);
    json_decref(reply);

    /* The client shows them too. */
    char *text = json_dumps(ev, JSON_COMPACT);
    const char *cli[] = {"plaint", "--endpoint", d.ingest, "--json", "explain", NULL};
    char *out = NULL;
    IT_CHECK_INT(it_run(cli, text, &out, NULL), 0);
    json_t *shown = json_loads(out, 0, NULL);
    if (!shown) {
        fprintf(stderr, "plaint explain --json: %s\n", out);
    }
    IT_CHECK(json_is_object(shown));
    IT_CHECK_INT(json_array_size(json_object_get(shown, "deadlines")), 4);
    json_decref(shown);
    free(out);

    /* So does plaintd --explain, offline, with the same file. */
    char *file = it_temp_file("event.json", text);
    const char *offline[] = {"plaintd", "--explain", "--config", shipped_cfg, "--file", file,
                             NULL};
    char *err = NULL;
    int rc = it_run(offline, NULL, &out, &err);
    shown = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    if (!shown) {
        fprintf(stderr, "plaintd --explain: exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    }
    IT_CHECK(json_is_object(shown));
    IT_CHECK(json_is_false(json_object_get(shown, "stored")));
    json_t *offline_deadlines = json_object_get(shown, "deadlines");
    if (json_array_size(offline_deadlines) != 4) {
        s_dump("plaintd --explain", shown);
    }
    IT_CHECK_INT(json_array_size(offline_deadlines), 4);
    for (size_t k = 0; k < 4; k++) {
        json_t *dl = json_array_get(offline_deadlines, k);
        IT_CHECK_STR(s_str(dl, "name"), names[k]);
        char re[64];
        snprintf(re, sizeof re, "^%s(\\.0+)?Z$", dues[k]);
        IT_CHECK(it_match(s_str(dl, "due_at"), re));
    }
    json_decref(shown);
    free(out);
    free(err);
    free(file);
    free(text);
    json_decref(ev);

    /* Nothing stored, nothing published. */
    s_sub_pump(sub, msgs, 300);
    IT_CHECK_INT(json_array_size(msgs), 0);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM cases"), 0);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM deadlines"), 0);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM outbox"), 0);
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM case_history"), 0);
    zmq_close(sub);
    json_decref(msgs);
    it_daemon_stop(&d);
    free(db);
    free(shipped_cfg);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"computed_at_creation", test_computed_at_creation},
        {"past_due_fires", test_past_due_fires},
        {"chain_walk", test_chain_walk},
        {"operations", test_operations},
        {"restart", test_restart},
        {"kill9_while_firing", test_kill9_while_firing},
        {"two_daemons", test_two_daemons},
        {"warnings", test_warnings},
        {"explain", test_explain},
        {"pause_resume", test_pause_resume},
        {"rearm_business", test_rearm_business},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
