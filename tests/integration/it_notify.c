/*
 * it_notify: the notifier's webhook and e-mail sinks (issue 4) through the
 * real plaintd, PostgreSQL and libcurl, against fake servers on loopback
 * (tests/support/fake_http.h, fake_smtp.h).
 *
 *   webhook_retry_recovers  a WeCom robot answers 500 twice, then ok: three
 *                           attempts with one idempotency key, back-off
 *                           between them, delivered once, shown by get
 *   robot_error_code        HTTP 200 with errcode != 0 is a failure; a rate
 *                           limit is retried, an invalid key is not
 *   permanent_failure       404: given up after one attempt, logged, dead
 *   once_across_restart     a delivered breach is not sent again after a
 *                           restart; a daemon killed mid-attempt leaves the
 *                           delivery to be attempted once more after its
 *                           lease, with the same key
 *   dead_sink_never_slows   a sink that never answers: 200 events are all
 *                           acknowledged while its attempts time out, at most
 *                           `concurrency` attempts at once; when it comes
 *                           back every notification arrives, each once
 *   email                   SMTP with AUTH: the role in the chain narrowed
 *                           to the case's region, fixed addresses, a 451
 *                           retried, the message's headers
 *   reload_adds_sink        a sink added by a reload gets the notifications
 *                           taken from then on
 *
 * Each test has its own fresh database, plaintd and fake servers. Run one
 * with: it_notify NAME
 */
#include "fake_http.h"
#include "fake_smtp.h"
#include "it.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_TIMEOUT_MS 5000

static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
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

/* RFC 3339 in UTC, `ago` seconds before now. */
static void s_iso_ago(int ago, char *buf, size_t size)
{
    time_t t = time(NULL) - ago;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Submits a complaint; received `ago` seconds ago (0: now) in `region`
 * (NULL: none). Returns the case number (caller frees). */
static char *s_submit(const it_daemon_t *d, const char *event_id, int ago, const char *region)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event_id", event_id, "source", "it-nt",
                           "kind", "complaint", "channel", "phone", "content",
                           "洗衣机底部漏水，要求上门检修");
    if (ago) {
        char at[32];
        s_iso_ago(ago, at, sizeof at);
        json_object_set_new(ev, "received_at", json_string(at));
    }
    if (region) {
        json_object_set_new(ev, "region", json_string(region));
    }
    json_t *reply = it_call(d, json_pack("{s:s, s:o}", "op", "submit", "event", ev), S_TIMEOUT_MS);
    it_check_ok(reply);
    char *case_no = strdup(s_str(reply, "case_no"));
    json_decref(reply);
    return case_no;
}

/* The case's `notifications` (new reference). */
static json_t *s_notifications(const it_daemon_t *d, const char *case_no)
{
    json_t *reply =
        it_call(d, json_pack("{s:s, s:s}", "op", "get", "case_no", case_no), S_TIMEOUT_MS);
    it_check_ok(reply);
    json_t *n = json_incref(json_object_get(json_object_get(reply, "case"), "notifications"));
    json_decref(reply);
    IT_CHECK(json_is_array(n));
    return n;
}

/*
 * A configuration: people ann (l1, east), bob (l1, west), cat (l2), every
 * case assigned to ann, one deadline `respond` due 2 s after receipt with
 * the chain l1 then (after 2 s) l2, and `notify` (YAML, indented by two
 * spaces, under the `notify:` key). Returns its path (caller frees).
 */
static char *s_config(const char *notify)
{
    static const char head[] =
        "# Written by tests/integration/it_notify.c\n"
        "log: {level: info}\n"
        "directory:\n"
        "  departments: [{id: desk}]\n"
        "  roles: [{id: l1}, {id: l2}]\n"
        "  people:\n"
        "    - {id: ann, name: Ann, roles: [l1], department: desk, region: east,\n"
        "       contacts: {email: ann@example.com, wecom: ann_w, phone: \"13800000001\"}}\n"
        "    - {id: bob, name: Bob, roles: [l1], department: desk, region: west,\n"
        "       contacts: {email: bob@example.com, wecom: bob_w}}\n"
        "    - {id: cat, name: Cat, roles: [l2], department: desk,\n"
        "       contacts: {email: cat@example.com}}\n"
        "routing:\n"
        "  - {department: desk, assignee: ann}\n"
        "calendars:\n"
        "  - id: 24x7\n"
        "    workweek: [mon, tue, wed, thu, fri, sat, sun]\n"
        "    hours: \"00:00-24:00\"\n"
        "deadlines:\n"
        "  - name: respond\n"
        "    label: 回复客户\n"
        "    calendar: 24x7\n"
        "    within: 2s\n"
        "    escalate:\n"
        "      - {to: [l1]}\n"
        "      - {to: [l2], after: 2s}\n"
        "    met_by: [reply]\n"
        "notify:\n";
    size_t len = strlen(head) + strlen(notify) + 1;
    char *text = malloc(len);
    IT_CHECK(text != NULL);
    snprintf(text, len, "%s%s", head, notify);
    char *path = it_config_checked("config.yaml", text);
    free(text);
    return path;
}

/* The notify section for one robot sink of `type` at the fake server. */
static char *s_robot(fake_http_t *http, const char *type, const char *topics, const char *extra)
{
    char url[128], *text = malloc(2048);
    IT_CHECK(text != NULL);
    fake_http_url(http, "/cgi-bin/webhook/send?key=SECRET-KEY-123", url, sizeof url);
    snprintf(text, 2048,
             "  retry: {first: 1s, max: 2s, attempts: 20}\n"
             "  sinks:\n"
             "    - id: robot\n"
             "      type: %s\n"
             "      url: \"%s\"\n"
             "      topics: [%s]\n"
             "      timeout: 1s\n"
             "%s",
             type, url, topics, extra ? extra : "");
    return text;
}

static void s_start(it_daemon_t *d, const char *db, const char *config)
{
    memset(d, 0, sizeof *d);
    it_daemon_start(d, db, config, NULL);
}

/* The daemon never logs a robot's key. */
static void s_check_no_secret(const it_daemon_t *d)
{
    char *log = it_read_file(d->log, NULL);
    IT_CHECK(log != NULL);
    IT_CHECK(strstr(log, "SECRET-KEY-123") == NULL);
    free(log);
}

/* ---- tests ------------------------------------------------------------------------ */

static void t_webhook_retry_recovers(void)
{
    char *db = it_db_fresh();
    fake_http_t *http = fake_http_start();
    IT_CHECK(http != NULL);
    fake_http_script(http, 500, "oops");
    fake_http_script(http, 503, "busy");
    char *notify = s_robot(http, "wecom", "case.created", NULL);
    char *config = s_config(notify);
    it_daemon_t d;
    s_start(&d, db, config);

    char *case_no = s_submit(&d, "retry-1", 0, "east");
    IT_CHECK_INT(fake_http_wait(http, 3, 20000), 3);
    IT_CHECK_INT(s_q_wait(db, 1, 5000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered' "
                          "AND attempts = 3"),
                 1);
    char key[128];
    snprintf(key, sizeof key, "%s/created", case_no);
    for (size_t i = 0; i < 3; i++) {
        fake_http_req_t req = {0};
        IT_CHECK_INT(fake_http_request(http, i, &req), 0);
        IT_CHECK_STR(req.method, "POST");
        IT_CHECK(strstr(req.path, "key=SECRET-KEY-123") != NULL);
        IT_CHECK_STR(req.idempotency_key, key);
        IT_CHECK(req.content_type && strstr(req.content_type, "application/json"));
        json_t *body = json_loads(req.body, 0, NULL);
        IT_CHECK(body != NULL);
        IT_CHECK_STR(s_str(body, "msgtype"), "text");
        json_t *text = json_object_get(body, "text");
        IT_CHECK(strstr(s_str(text, "content"), case_no) != NULL);
        json_t *mention = json_object_get(text, "mentioned_list");
        IT_CHECK(json_array_size(mention) == 1);
        IT_CHECK_STR(json_string_value(json_array_get(mention, 0)), "ann_w");
        json_decref(body);
        fake_http_req_clear(&req);
    }
    json_t *n = s_notifications(&d, case_no);
    IT_CHECK_INT(json_array_size(n), 1);
    json_t *one = json_array_get(n, 0);
    IT_CHECK_STR(s_str(one, "topic"), "case.created");
    IT_CHECK_STR(s_str(one, "sink"), "robot");
    IT_CHECK_STR(s_str(one, "status"), "delivered");
    IT_CHECK_INT(json_integer_value(json_object_get(one, "attempts")), 3);
    json_decref(n);
    IT_CHECK(it_log_wait(&d, "HTTP 500", 1000));
    IT_CHECK(it_log_wait(&d, "delivering again", 1000));
    /* Delivered means done: nothing more arrives. */
    usleep(2500 * 1000);
    IT_CHECK_INT(fake_http_count(http), 3);
    s_check_no_secret(&d);
    it_daemon_stop(&d);
    fake_http_stop(&http);
    free(case_no);
    free(notify);
    free(config);
}

static void t_robot_error_code(void)
{
    char *db = it_db_fresh();
    fake_http_t *http = fake_http_start();
    IT_CHECK(http != NULL);
    /* Rate limited (retried), then ok. */
    fake_http_script(http, 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}");
    char *notify = s_robot(http, "wecom", "case.created", NULL);
    char *config = s_config(notify);
    it_daemon_t d;
    s_start(&d, db, config);
    char *a = s_submit(&d, "code-1", 0, NULL);
    IT_CHECK_INT(fake_http_wait(http, 2, 15000), 2);
    IT_CHECK_INT(s_q_wait(db, 1, 5000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered'"),
                 1);
    /* An invalid key: the robot says so in a 200; giving up is right. */
    fake_http_default(http, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}");
    char *b = s_submit(&d, "code-2", 0, NULL);
    IT_CHECK_INT(s_q_wait(db, 1, 10000, "SELECT count(*) FROM deliveries WHERE status = 'dead'"),
                 1);
    IT_CHECK_INT(s_q(db, "SELECT attempts FROM deliveries WHERE status = 'dead'"), 1);
    char *err = it_sql(db, "SELECT last_error FROM deliveries WHERE status = 'dead'");
    IT_CHECK(strstr(err, "93000") != NULL);
    free(err);
    it_daemon_stop(&d);
    fake_http_stop(&http);
    free(a);
    free(b);
    free(notify);
    free(config);
}

static void t_permanent_failure(void)
{
    char *db = it_db_fresh();
    fake_http_t *http = fake_http_start();
    IT_CHECK(http != NULL);
    fake_http_default(http, 404, "no such hook");
    char *notify = s_robot(http, "webhook", "case.created", NULL);
    char *config = s_config(notify);
    it_daemon_t d;
    s_start(&d, db, config);
    char *case_no = s_submit(&d, "perm-1", 0, NULL);
    IT_CHECK_INT(s_q_wait(db, 1, 10000, "SELECT count(*) FROM deliveries WHERE status = 'dead'"),
                 1);
    IT_CHECK(it_log_wait(&d, "gave up", 2000));
    usleep(2500 * 1000);
    IT_CHECK_INT(fake_http_count(http), 1);
    /* The generic body carries the payload and the key. */
    fake_http_req_t req = {0};
    IT_CHECK_INT(fake_http_request(http, 0, &req), 0);
    json_t *body = json_loads(req.body, 0, NULL);
    IT_CHECK(body != NULL);
    IT_CHECK_STR(s_str(body, "topic"), "case.created");
    IT_CHECK_STR(s_str(json_object_get(body, "payload"), "case_no"), case_no);
    IT_CHECK(s_str(body, "key") != NULL && s_str(body, "text") != NULL);
    json_decref(body);
    fake_http_req_clear(&req);
    s_check_no_secret(&d);
    it_daemon_stop(&d);
    fake_http_stop(&http);
    free(case_no);
    free(notify);
    free(config);
}

static void t_once_across_restart(void)
{
    char *db = it_db_fresh();
    fake_http_t *http = fake_http_start();
    IT_CHECK(http != NULL);
    char *notify = s_robot(http, "dingtalk", "deadline.breached", NULL);
    char *config = s_config(notify);
    it_daemon_t d;
    s_start(&d, db, config);
    /* Received 10 s ago: respond (2 s) is breached at once. */
    char *case_no = s_submit(&d, "restart-1", 10, "east");
    IT_CHECK_INT(fake_http_wait(http, 1, 10000), 1);
    IT_CHECK_INT(s_q_wait(db, 1, 5000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered'"),
                 1);
    fake_http_req_t req = {0};
    IT_CHECK_INT(fake_http_request(http, 0, &req), 0);
    json_t *body = json_loads(req.body, 0, NULL);
    IT_CHECK(body != NULL);
    IT_CHECK_STR(s_str(body, "msgtype"), "text");
    json_t *mobiles = json_object_get(json_object_get(body, "at"), "atMobiles");
    IT_CHECK_INT(json_array_size(mobiles), 1); /* l1 narrowed to the assignee, ann */
    IT_CHECK_STR(json_string_value(json_array_get(mobiles, 0)), "13800000001");
    json_decref(body);
    fake_http_req_clear(&req);

    it_daemon_stop(&d);
    s_start(&d, db, config);
    usleep(3000 * 1000);
    IT_CHECK_INT(fake_http_count(http), 1);

    /* A dead sink while the daemon is killed mid-attempt. */
    fake_http_hang(http, 1);
    char *second = s_submit(&d, "restart-2", 10, "east");
    IT_CHECK_INT(fake_http_wait(http, 2, 10000), 2);
    it_daemon_kill9(&d);
    fake_http_hang(http, 0);
    s_start(&d, db, config);
    /* The lease (2 x 1 s + 5 s) ends, the attempt is made again. */
    IT_CHECK_INT(s_q_wait(db, 2, 20000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered'"),
                 2);
    size_t n = fake_http_count(http);
    IT_CHECK(n >= 3);
    fake_http_req_t a = {0}, b = {0};
    IT_CHECK_INT(fake_http_request(http, 1, &a), 0);
    IT_CHECK_INT(fake_http_request(http, n - 1, &b), 0);
    IT_CHECK(a.idempotency_key && b.idempotency_key);
    IT_CHECK_STR(a.idempotency_key, b.idempotency_key);
    fake_http_req_clear(&a);
    fake_http_req_clear(&b);
    it_daemon_stop(&d);
    fake_http_stop(&http);
    free(case_no);
    free(second);
    free(notify);
    free(config);
}

static void t_dead_sink_never_slows(void)
{
    char *db = it_db_fresh();
    fake_http_t *http = fake_http_start();
    IT_CHECK(http != NULL);
    fake_http_hang(http, 1);
    char *notify = s_robot(http, "feishu", "case.created", "      concurrency: 2\n");
    char *config = s_config(notify);
    it_daemon_t d;
    s_start(&d, db, config);
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "dead-%d", i);
        /* it_call fails the test when a reply takes longer than 5 s. */
        free(s_submit(&d, id, 0, NULL));
    }
    IT_CHECK_INT(s_q(db, "SELECT count(*) FROM cases"), N);
    IT_CHECK_INT(s_q_wait(db, N, 5000, "SELECT count(*) FROM deliveries"), N);
    /* Attempts at once never exceed the sink's concurrency: with 1 s
     * timeouts and a cooled sink, only a handful were made. */
    size_t tried = fake_http_count(http);
    fprintf(stderr, "dead sink: %zu attempts reached it while %d events were taken\n", tried, N);
    IT_CHECK(tried <= 2 * 8);
    IT_CHECK(s_q(db, "SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 0);
    fake_http_hang(http, 0);
    IT_CHECK_INT(s_q_wait(db, N, 60000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered'"),
                 N);
    /* Each notification arrived once after recovery (hung attempts of the
     * same key may have reached the server before; none came back ok). */
    size_t total = fake_http_count(http);
    IT_CHECK(total >= (size_t)N);
    fake_http_req_t req = {0};
    IT_CHECK_INT(fake_http_request(http, total - 1, &req), 0);
    json_t *body = json_loads(req.body, 0, NULL);
    IT_CHECK(body != NULL);
    IT_CHECK_STR(s_str(body, "msg_type"), "text");
    json_decref(body);
    fake_http_req_clear(&req);
    it_daemon_stop(&d);
    fake_http_stop(&http);
    free(notify);
    free(config);
}

static void t_email(void)
{
    char *db = it_db_fresh();
    fake_smtp_t *smtp = fake_smtp_start();
    IT_CHECK(smtp != NULL);
    IT_CHECK_INT(fake_smtp_credentials(smtp, "plaint", "s3cret"), 0);
    fake_smtp_fail_next(smtp, 1, 451);
    setenv("PLAINT_IT_SMTP_PASSWORD", "s3cret", 1);
    char url[128], notify[1024];
    fake_smtp_url(smtp, url, sizeof url);
    snprintf(notify, sizeof notify,
             "  retry: {first: 1s, max: 2s}\n"
             "  sinks:\n"
             "    - id: mail\n"
             "      type: email\n"
             "      url: \"%s\"\n"
             "      from: plaint@example.com\n"
             "      to: [ops@example.com]\n"
             "      topics: [deadline.breached, case.escalated]\n"
             "      timeout: 2s\n"
             "      starttls: optional\n" /* the fake server speaks no TLS */
             "      username: plaint\n"
             "      password_env: PLAINT_IT_SMTP_PASSWORD\n",
             url);
    char *config = s_config(notify);
    it_daemon_t d;
    s_start(&d, db, config);
    /* Region west, assignee ann: l1 is narrowed to ann (the assignee holds
     * it), not to bob of the west. */
    char *case_no = s_submit(&d, "mail-1", 10, "west");
    IT_CHECK_INT(fake_smtp_wait(smtp, 1, 15000), 1);
    IT_CHECK_INT(s_q_wait(db, 1, 5000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered' "
                          "AND attempts = 2"),
                 1);
    fake_smtp_msg_t m = {0};
    IT_CHECK_INT(fake_smtp_message(smtp, 0, &m), 0);
    IT_CHECK_STR(m.from, "plaint@example.com");
    IT_CHECK_INT(m.rcpts_count, 2);
    IT_CHECK_STR(m.rcpts[0], "ops@example.com");
    IT_CHECK_STR(m.rcpts[1], "ann@example.com");
    IT_CHECK_STR(m.auth_user, "plaint");
    IT_CHECK_STR(m.auth_password, "s3cret");
    IT_CHECK(strstr(m.data, "Subject: =?UTF-8?B?") != NULL);
    IT_CHECK(strstr(m.data, "Message-ID: <") != NULL);
    IT_CHECK(strstr(m.data, "Content-Type: text/plain; charset=UTF-8") != NULL);
    fake_smtp_msg_clear(&m);
    /* The chain's second level (l2: cat) 2 s later: one more message. */
    IT_CHECK_INT(fake_smtp_wait(smtp, 2, 15000), 2);
    IT_CHECK_INT(fake_smtp_message(smtp, 1, &m), 0);
    IT_CHECK_INT(m.rcpts_count, 2);
    IT_CHECK_STR(m.rcpts[0], "ops@example.com");
    IT_CHECK_STR(m.rcpts[1], "cat@example.com");
    fake_smtp_msg_clear(&m);
    IT_CHECK_INT(s_q_wait(db, 2, 5000,
                          "SELECT count(*) FROM deliveries WHERE status = 'delivered'"),
                 2);
    it_daemon_stop(&d);
    fake_smtp_stop(&smtp);
    free(case_no);
    free(config);
}

static void t_reload_adds_sink(void)
{
    char *db = it_db_fresh();
    fake_http_t *http = fake_http_start();
    IT_CHECK(http != NULL);
    char *config = s_config("  retry: {first: 1s, max: 2s}\n");
    it_daemon_t d;
    s_start(&d, db, config);
    char *a = s_submit(&d, "reload-1", 0, NULL);
    char *notify = s_robot(http, "webhook", "case.created", NULL);
    char *with_sink = s_config(notify);
    char *text = it_read_file(with_sink, NULL);
    it_write_file(config, text);
    json_t *reply = it_call(&d, json_pack("{s:s}", "op", "reload"), S_TIMEOUT_MS);
    it_check_ok(reply);
    json_decref(reply);
    char *b = s_submit(&d, "reload-2", 0, NULL);
    IT_CHECK_INT(fake_http_wait(http, 1, 10000), 1);
    usleep(1500 * 1000);
    IT_CHECK_INT(fake_http_count(http), 1);
    fake_http_req_t req = {0};
    IT_CHECK_INT(fake_http_request(http, 0, &req), 0);
    IT_CHECK(strstr(req.body, b) != NULL);
    fake_http_req_clear(&req);
    it_daemon_stop(&d);
    fake_http_stop(&http);
    free(a);
    free(b);
    free(text);
    free(notify);
    free(with_sink);
    free(config);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static const it_test_t tests[] = {
        {"webhook_retry_recovers", t_webhook_retry_recovers},
        {"robot_error_code", t_robot_error_code},
        {"permanent_failure", t_permanent_failure},
        {"once_across_restart", t_once_across_restart},
        {"dead_sink_never_slows", t_dead_sink_never_slows},
        {"email", t_email},
        {"reload_adds_sink", t_reload_adds_sink},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
