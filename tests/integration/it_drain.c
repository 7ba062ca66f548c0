/*
 * it_drain: SIGTERM under load. plaintd stops taking requests, answers the
 * ones it took (for a submit: after its COMMIT), and exits 0 within the drain
 * timeout. Every event it acknowledged is in the database; requests sent
 * after the drain began are not acknowledged (no reply, or "unavailable");
 * and nothing is lost: restarted on the same ports, the daemon takes the
 * publishers' retries of everything not acknowledged, and every event ends
 * up stored exactly once.
 *
 * Two publishers (load.h): "main" (ev-*) keeps 16 sockets x 32 submits in
 * flight from the start; "late" (late-*) starts sending only some time after
 * SIGTERM, so every one of its requests was sent after the drain began.
 *
 *   under_load:    the plain case: the drain is quick.
 *   slow_commit:   the test holds a lock on case_counters when SIGTERM
 *                  arrives, so the daemon's transactions wait 1.5 s; the drain
 *                  waits for them, then acknowledges them.
 *   drain_timeout: the lock is held past the drain timeout (2 s): the daemon
 *                  gives up, answers what it holds "unavailable", exits 0,
 *                  and acknowledges nothing it did not commit.
 *   idle:          SIGTERM to an idle daemon exits 0 at once.
 */
#include "it.h"
#include "load.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

/* Between kill() and the daemon's loop seeing the signal: the late
 * publisher starts this long after SIGTERM. */
#define S_SIGNAL_MARGIN_MS 300

typedef struct s_term_job {
    it_daemon_t *d;
    int status;
} s_term_job_t;

static void s_term_job(void *arg)
{
    s_term_job_t *j = arg;
    j->status = it_daemon_signal_wait(j->d, SIGTERM);
}

static void s_check_exit0(const it_daemon_t *d, int status)
{
    if (!(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        ld_file_tail(d->log, 30);
    }
    IT_CHECK(status != -1);
    IT_CHECK(WIFEXITED(status));
    IT_CHECK_INT(WEXITSTATUS(status), 0);
}

/* A transaction holding case_counters: every new case waits for it. */
static PGconn *s_lock(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    IT_CHECK(PQstatus(c) == CONNECTION_OK);
    PGresult *res = PQexec(c, "BEGIN");
    IT_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
    PQclear(res);
    res = PQexec(c, "LOCK TABLE case_counters IN EXCLUSIVE MODE");
    IT_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
    PQclear(res);
    return c;
}

static void s_unlock(PGconn **c)
{
    if (*c) {
        PGresult *res = PQexec(*c, "COMMIT");
        IT_CHECK(PQresultStatus(res) == PGRES_COMMAND_OK);
        PQclear(res);
        PQfinish(*c);
        *c = NULL;
    }
}

/* Acknowledged in [from, to) (monotonic ms). */
static int s_acks_between(const ld_t *p, int64_t from, int64_t to)
{
    int n = 0;
    for (int i = 0; i < p->count; i++) {
        n += p->ev[i].acked && p->ev[i].ack_ms >= from && p->ev[i].ack_ms < to;
    }
    return n;
}

/* Pumps both publishers until both have every event acknowledged. */
static int s_run_both(ld_t *a, ld_t *b, int max_ms)
{
    int64_t end = ld_now_ms() + max_ms;
    while (a->acked < a->count || b->acked < b->count) {
        if (ld_now_ms() >= end || ld_expired(a) || ld_expired(b)) {
            return 0;
        }
        ld_step(a, 2);
        ld_step(b, 2);
    }
    return 1;
}

/*
 * lock_ms: hold case_counters from before SIGTERM until lock_ms after it
 * (0: no lock). expect_timeout: the drain is expected to time out.
 */
static void s_drain_run(const char *db, int drain_s, int lock_ms, int expect_timeout)
{
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(NULL, db));
    it_daemon_t d = {0};
    char drain_arg[16];
    snprintf(drain_arg, sizeof drain_arg, "%d", drain_s);
    const char *const args[] = {"--drain-timeout", drain_arg, NULL};
    it_daemon_start(&d, conninfo, ld_config(), args);

    ld_t *a = ld_new(d.ingest, "ev-", 6000, 16, 32, 55000);
    /* Long enough that replies given during the drain reach the sockets
     * their requests came from. */
    ld_set_timeout(a, 15000);
    IT_CHECK(ld_run_until_acked(a, 1500, 20000));
    PGconn *lock = NULL;
    if (lock_ms > 0) {
        lock = s_lock(conninfo);
        /* Let the daemon fill up with work that waits for the lock. */
        IT_CHECK(ld_run(a, NULL, NULL, 300));
    }
    ld_t *b = ld_new(d.ingest, "late-", 400, 4, 16, 55000);
    ld_set_timeout(b, 300); /* and retried often while the daemon drains */

    int acked_at_term = a->acked;
    int in_flight_at_term = ld_in_flight(a);
    s_term_job_t term = {.d = &d};
    ld_bg_t bg;
    ld_bg_start(&bg, s_term_job, &term);
    int64_t t_term = bg.started_ms;
    int64_t released = 0;
    for (;;) {
        IT_CHECK(!ld_expired(a));
        int64_t now = ld_now_ms();
        if (lock && now >= t_term + lock_ms) {
            s_unlock(&lock);
            released = now;
        }
        if (atomic_load(&bg.done)) {
            break;
        }
        ld_step(a, 2);
        if (now >= t_term + S_SIGNAL_MARGIN_MS) {
            ld_step(b, 2);
        }
    }
    pthread_join(bg.thread, NULL);
    int64_t took = bg.finished_ms - t_term;
    /* Replies written just before the exit may still be on their way. */
    for (int64_t end = ld_now_ms() + 200; ld_now_ms() < end;) {
        ld_step(a, 2);
        ld_step(b, 2);
    }
    s_unlock(&lock);
    s_check_exit0(&d, term.status);

    int answered = s_acks_between(a, t_term, ld_now_ms() + 1);
    printf("# SIGTERM at %d acked, %d in flight%s: exit 0 after %lld ms (drain timeout %d s); "
           "main: %d acknowledged during the drain, %ld unavailable; late: %ld requests sent "
           "after the drain began, %ld acknowledged, %ld unavailable\n",
           acked_at_term, in_flight_at_term, lock_ms > 0 ? " (case_counters locked)" : "",
           (long long)took, drain_s, answered, a->st.unavailable, b->st.sent, b->st.acks,
           b->st.unavailable);
    if (released) {
        printf("# lock released %lld ms after SIGTERM\n", (long long)(released - t_term));
    }
    IT_CHECK(took < drain_s * 1000 + 1000);
    IT_CHECK(b->st.sent > 0);
    IT_CHECK_INT(b->st.acks, 0);
    IT_CHECK_INT(a->st.other_errors, 0);
    IT_CHECK_INT(b->st.other_errors, 0);
    IT_CHECK_INT(a->st.mismatches, 0);
    IT_CHECK(ld_file_count(d.log, "SIGTERM: draining") >= 1);
    if (expect_timeout) {
        IT_CHECK(took >= drain_s * 1000 - 100);
        IT_CHECK(ld_file_count(d.log, "drain timed out") >= 1);
        IT_CHECK_INT(answered, 0);
    } else {
        IT_CHECK_INT(ld_file_count(d.log, "drain timed out"), 0);
        IT_CHECK(ld_file_count(d.log, "drained; exiting") >= 1);
        IT_CHECK(answered > 0);
        IT_CHECK_INT(a->st.unavailable, 0);
        if (lock_ms > 0) {
            IT_CHECK(took >= lock_ms);
        }
    }
    /* Everything acknowledged is stored, with its case number. */
    long stored_a = ld_verify(a, conninfo, 0);
    long stored_b = ld_verify(b, conninfo, 0);
    printf("# when the daemon exited: main %ld stored, %d acknowledged; late %ld stored\n",
           stored_a, a->acked, stored_b);

    /* Restart on the same ports; everything not acknowledged is retried. */
    ld_abandon_in_flight(a);
    ld_abandon_in_flight(b);
    ld_set_timeout(a, 2000);
    ld_set_timeout(b, 2000);
    it_daemon_start(&d, conninfo, ld_config(), args);
    IT_CHECK(s_run_both(a, b, 40000));
    ld_print(a, "main after restart");
    ld_print(b, "late after restart");
    IT_CHECK_INT(a->st.other_errors, 0);
    IT_CHECK_INT(a->st.mismatches, 0);
    IT_CHECK_INT(b->st.other_errors, 0);
    IT_CHECK_INT(b->st.mismatches, 0);
    ld_verify(a, conninfo, 1);
    ld_verify(b, conninfo, 1);
    IT_CHECK_INT(it_sql_long(conninfo, "SELECT count(*) FROM cases"), a->count + b->count);
    ld_free(a);
    ld_free(b);
    s_check_exit0(&d, it_daemon_signal_wait(&d, SIGTERM));
}

static void test_under_load(void)
{
    s_drain_run("it_drain_load", 5, 0, 0);
}

static void test_slow_commit(void)
{
    s_drain_run("it_drain_slow", 5, 1500, 0);
}

static void test_drain_timeout(void)
{
    s_drain_run("it_drain_timeout", 2, 3500, 1);
}

static void test_idle(void)
{
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(NULL, "it_drain_idle"));
    it_daemon_t d = {0};
    it_daemon_start(&d, conninfo, ld_config(), NULL);
    int64_t t0 = ld_now_ms();
    int status = it_daemon_signal_wait(&d, SIGTERM);
    int64_t took = ld_now_ms() - t0;
    printf("# idle daemon exited after %lld ms\n", (long long)took);
    s_check_exit0(&d, status);
    IT_CHECK(took < 3000);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"under_load", test_under_load},
        {"slow_commit", test_slow_commit},
        {"drain_timeout", test_drain_timeout},
        {"idle", test_idle},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
