/*
 * it_pgrestart: PostgreSQL going away under load. plaintd must not
 * acknowledge anything that was not committed (invariant 1), must hold the
 * requests it took while the database is gone and answer them once it is
 * back, must reconnect by itself, and must not exit.
 *
 * These tests restart PostgreSQL, so they run on a PRIVATE cluster (pg.sh
 * start on a fresh directory under /tmp, its own socket directory and port),
 * never on the shared fixture. The cluster is created once per run and
 * destroyed at exit, on failure too (atexit).
 *
 *   restart:         4000 events; after ~1000 acknowledgements PostgreSQL is
 *                    restarted (pg.sh stop = pg_ctl stop -m fast, then start)
 *                    while the publisher keeps going and retrying.
 *   outage:          PostgreSQL stopped for ~3 s while submits are in flight;
 *                    the publisher never times out, so each request must be
 *                    answered on its first sending, after the outage.
 *   term_while_down: SIGTERM while the database is down: the daemon gives up
 *                    after its drain timeout, exits 0, acknowledges nothing;
 *                    after PostgreSQL and the daemon are back, every event is
 *                    stored exactly once.
 *   terminate:       the daemon's connection killed (pg_terminate_backend)
 *                    again and again under load.
 *   cancel:          one batch's statement cancelled (pg_cancel_backend)
 *                    while it waits for a lock: the daemon must recover.
 */
#include "it.h"
#include "load.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_pgdir[256];
static char s_pghost[512];
static char s_pgport[16];
static it_daemon_t *s_daemon; /* killed before the cluster is destroyed */

/* Runs `bash pg.sh CMD DIR [ARG]`; returns its exit code (or 128+signal). */
static int s_pg_sh(const char *cmd, const char *arg)
{
    const char *script = getenv("PL_PG_SH");
    char fallback[1024];
    if (!script || !script[0]) {
        snprintf(fallback, sizeof fallback, "%s/scripts/pg.sh", it_source_dir());
        script = fallback;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        execl("/bin/bash", "bash", script, cmd, s_pgdir, arg, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void s_cleanup(void)
{
    if (s_daemon && s_daemon->pid > 0) {
        kill(s_daemon->pid, SIGKILL);
    }
    if (s_pgdir[0]) {
        if (s_pg_sh("destroy", NULL) != 0) {
            fprintf(stderr, "it_pgrestart: could not destroy the cluster in %s\n", s_pgdir);
        }
        s_pgdir[0] = '\0';
    }
}

/* Starts the private cluster once; returns its socket directory. */
static const char *s_cluster(void)
{
    if (s_pgdir[0]) {
        return s_pghost;
    }
    snprintf(s_pgdir, sizeof s_pgdir, "/tmp/plaint-it-pgr-XXXXXX");
    if (!mkdtemp(s_pgdir)) {
        s_pgdir[0] = '\0';
        IT_CHECK(!"mkdtemp failed");
    }
    atexit(s_cleanup);
    /* Only names the socket file: the cluster listens on no TCP port. */
    snprintf(s_pgport, sizeof s_pgport, "%d", 20000 + (int)(getpid() % 20000));
    int64_t t0 = ld_now_ms();
    IT_CHECK_INT(s_pg_sh("start", s_pgport), 0);
    printf("# private cluster in %s started in %lld ms\n", s_pgdir, (long long)(ld_now_ms() - t0));
    char path[512];
    snprintf(path, sizeof path, "%s/socket_dir", s_pgdir);
    FILE *f = fopen(path, "r");
    IT_CHECK(f != NULL);
    if (!fgets(s_pghost, sizeof s_pghost, f)) {
        s_pghost[0] = '\0';
    }
    fclose(f);
    s_pghost[strcspn(s_pghost, "\r\n")] = '\0';
    IT_CHECK(s_pghost[0] != '\0');
    return s_pghost;
}

/* ---- background jobs ------------------------------------------------------ */

typedef struct s_pg_job {
    int down_ms; /* how long to stay stopped */
    int rc_stop, rc_start;
    int64_t stopped_ms;  /* pg.sh stop returned */
    int64_t starting_ms; /* pg.sh start called */
    atomic_int phase;    /* 0 stopping, 1 stopped, 2 starting, 3 done */
} s_pg_job_t;

static void s_pg_restart_job(void *arg)
{
    s_pg_job_t *j = arg;
    j->rc_stop = s_pg_sh("stop", NULL);
    j->stopped_ms = ld_now_ms();
    atomic_store(&j->phase, 1);
    if (j->down_ms > 0) {
        ld_sleep_ms(j->down_ms);
    }
    j->starting_ms = ld_now_ms();
    atomic_store(&j->phase, 2);
    j->rc_start = s_pg_sh("start", s_pgport);
    atomic_store(&j->phase, 3);
}

typedef struct s_term_job {
    it_daemon_t *d;
    int status;
} s_term_job_t;

static void s_term_job(void *arg)
{
    s_term_job_t *j = arg;
    j->status = it_daemon_signal_wait(j->d, SIGTERM);
}

/* ---- helpers ---------------------------------------------------------------- */

/* Acknowledgements received in [from, to) (monotonic ms). */
static int s_acks_between(const ld_t *p, int64_t from, int64_t to)
{
    int n = 0;
    for (int i = 0; i < p->count; i++) {
        n += p->ev[i].acked && p->ev[i].ack_ms >= from && p->ev[i].ack_ms < to;
    }
    return n;
}

static json_t *s_ping(const it_daemon_t *d)
{
    return it_request(d->ingest, "{\"op\":\"ping\"}", 13, 2000);
}

static const char *s_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Waits (bounded) until ping says the database is up. */
static void s_wait_db_up(const it_daemon_t *d, int timeout_ms)
{
    int64_t end = ld_now_ms() + timeout_ms;
    for (;;) {
        json_t *r = s_ping(d);
        int up = r && strcmp(s_str(r, "database"), "up") == 0;
        json_decref(r);
        if (up) {
            return;
        }
        if (ld_now_ms() >= end) {
            ld_file_tail(d->log, 30);
            IT_CHECK(!"ping never reported database up");
        }
        ld_sleep_ms(50);
    }
}

static void s_stop(it_daemon_t *d)
{
    int status = it_daemon_signal_wait(d, SIGTERM);
    if (!(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        ld_file_tail(d->log, 30);
    }
    IT_CHECK(status != -1);
    IT_CHECK(WIFEXITED(status));
    IT_CHECK_INT(WEXITSTATUS(status), 0);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_restart(void)
{
    const char *host = s_cluster();
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(host, "it_pgrestart"));
    it_daemon_t d = {0};
    s_daemon = &d;
    it_daemon_start(&d, conninfo, ld_config(), NULL);

    ld_t *p = ld_new(d.ingest, "ev-", 4000, 8, 16, 55000);
    IT_CHECK(ld_run_until_acked(p, 1000, 20000));
    int acked = p->acked;
    s_pg_job_t job = {.down_ms = 0};
    ld_bg_t bg;
    ld_bg_start(&bg, s_pg_restart_job, &job);
    IT_CHECK(ld_run_while_bg(p, &bg, 30000));
    IT_CHECK_INT(job.rc_stop, 0);
    IT_CHECK_INT(job.rc_start, 0);
    printf("# restarted PostgreSQL at %d acked: stop took %lld ms, start %lld ms\n", acked,
           (long long)(job.stopped_ms - bg.started_ms),
           (long long)(bg.finished_ms - job.starting_ms));
    /* While it was down (with a margin for replies already on their way)
     * nothing can have been acknowledged. */
    IT_CHECK_INT(s_acks_between(p, job.stopped_ms + 100, job.starting_ms), 0);

    IT_CHECK(ld_run_until_acked(p, p->count, 40000));
    ld_print(p, "after restart");
    IT_CHECK(it_daemon_alive(&d));
    s_wait_db_up(&d, 10000);
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    ld_verify(p, conninfo, 1);

    long lost = ld_file_count(d.log, "lost database connection");
    long connected = ld_file_count(d.log, "connected to database");
    printf("# daemon log: %ld \"lost database connection\", %ld \"connected to database\"\n", lost,
           connected);
    if (lost < 1 || connected < 2) {
        ld_file_tail(d.log, 30);
    }
    IT_CHECK(lost >= 1);
    IT_CHECK(connected >= 2);
    ld_free(p);
    s_stop(&d);
    s_daemon = NULL;
}

typedef struct s_outage_probe {
    s_pg_job_t *job;
    ld_bg_t *bg;
    const it_daemon_t *d;
    int pinged;
    int64_t in_flight_at_stop;
    char database[16];
    long queued;
} s_outage_probe_t;

/* While the job runs: once PostgreSQL is down, ask the daemon how it is. */
static int s_outage_step(ld_t *p, void *arg)
{
    s_outage_probe_t *pr = arg;
    if (!pr->pinged && atomic_load(&pr->job->phase) == 1 &&
        ld_now_ms() - pr->job->stopped_ms >= 500) {
        pr->pinged = 1;
        pr->in_flight_at_stop = ld_in_flight(p);
        json_t *r = s_ping(pr->d);
        if (r) {
            snprintf(pr->database, sizeof pr->database, "%s", s_str(r, "database"));
            pr->queued = (long)json_integer_value(json_object_get(r, "queued"));
            json_decref(r);
        }
    }
    return atomic_load(&pr->bg->done);
}

static void test_outage(void)
{
    const char *host = s_cluster();
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(host, "it_pgoutage"));
    it_daemon_t d = {0};
    s_daemon = &d;
    it_daemon_start(&d, conninfo, ld_config(), NULL);

    ld_t *p = ld_new(d.ingest, "ev-", 3000, 8, 16, 55000);
    /* Longer than the outage and the daemon's reconnect back-off: a request
     * that is not answered on its first sending was lost. */
    ld_set_timeout(p, 30000);
    IT_CHECK(ld_run_until_acked(p, 500, 20000));

    s_pg_job_t job = {.down_ms = 3000};
    ld_bg_t bg;
    s_outage_probe_t pr = {.job = &job, .bg = &bg, .d = &d};
    int acked = p->acked;
    ld_bg_start(&bg, s_pg_restart_job, &job);
    IT_CHECK(ld_run(p, s_outage_step, &pr, 30000));
    pthread_join(bg.thread, NULL);
    IT_CHECK_INT(job.rc_stop, 0);
    IT_CHECK_INT(job.rc_start, 0);
    int during = s_acks_between(p, job.stopped_ms + 100, job.starting_ms);
    printf("# outage at %d acked: down %lld ms; during it: ping database=%s queued=%ld, "
           "%lld requests in flight, %d acknowledged\n",
           acked, (long long)(job.starting_ms - job.stopped_ms), pr.database, pr.queued,
           (long long)pr.in_flight_at_stop, during);
    IT_CHECK(pr.pinged);
    IT_CHECK_STR(pr.database, "down");
    IT_CHECK(pr.queued > 0);
    IT_CHECK(pr.in_flight_at_stop > 0);
    IT_CHECK_INT(during, 0);

    int64_t t_up = ld_now_ms();
    IT_CHECK(ld_run_until_acked(p, p->count, 40000));
    ld_print(p, "after outage");
    int64_t first_after = 0;
    for (int i = 0; i < p->count; i++) {
        if (p->ev[i].ack_ms >= job.starting_ms &&
            (first_after == 0 || p->ev[i].ack_ms < first_after)) {
            first_after = p->ev[i].ack_ms;
        }
    }
    printf("# first acknowledgement %lld ms after pg.sh start returned\n",
           (long long)(first_after - t_up));
    /* Every request was answered on its first sending: none was lost. */
    IT_CHECK_INT(p->st.timeouts, 0);
    IT_CHECK_INT(p->st.sent, p->count);
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    IT_CHECK_INT(p->st.unavailable, 0);
    IT_CHECK(it_daemon_alive(&d));
    s_wait_db_up(&d, 10000);
    ld_verify(p, conninfo, 1);
    ld_free(p);
    s_stop(&d);
    s_daemon = NULL;
}

static void test_term_while_down(void)
{
    const char *host = s_cluster();
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(host, "it_pgterm"));
    it_daemon_t d = {0};
    s_daemon = &d;
    static const char *const args[] = {"--drain-timeout", "2", NULL};
    it_daemon_start(&d, conninfo, ld_config(), args);

    ld_t *p = ld_new(d.ingest, "ev-", 2000, 8, 16, 55000);
    ld_set_timeout(p, 20000);
    IT_CHECK(ld_run_until_acked(p, 300, 20000));

    /* PostgreSQL down (and kept down: down_ms is long, we start it below). */
    IT_CHECK_INT(s_pg_sh("stop", NULL), 0);
    int64_t stopped = ld_now_ms();
    IT_CHECK(ld_run(p, NULL, NULL, 500));
    int acked_at_term = p->acked;
    long unavailable = p->st.unavailable;
    int in_flight = ld_in_flight(p);

    s_term_job_t term = {.d = &d};
    ld_bg_t bg;
    ld_bg_start(&bg, s_term_job, &term);
    IT_CHECK(ld_run_while_bg(p, &bg, 20000));
    int64_t took = bg.finished_ms - bg.started_ms;
    /* Replies sent at close may still be on their way. */
    IT_CHECK(ld_run(p, NULL, NULL, 200));
    printf("# SIGTERM with the database down: %d in flight; exit after %lld ms "
           "(drain timeout 2000); %ld answered unavailable; %d acknowledged since the stop\n",
           in_flight, (long long)took, p->st.unavailable - unavailable,
           s_acks_between(p, stopped + 100, ld_now_ms() + 1));
    if (!(term.status != -1 && WIFEXITED(term.status) && WEXITSTATUS(term.status) == 0)) {
        ld_file_tail(d.log, 30);
    }
    IT_CHECK(term.status != -1);
    IT_CHECK(WIFEXITED(term.status));
    IT_CHECK_INT(WEXITSTATUS(term.status), 0);
    IT_CHECK(took < 2000 + 3000);
    IT_CHECK_INT(p->acked, acked_at_term);
    IT_CHECK_INT(s_acks_between(p, stopped + 100, ld_now_ms() + 1), 0);
    IT_CHECK(ld_file_count(d.log, "drain timed out") >= 1);

    /* Back: PostgreSQL, then the daemon on the same ports; retry the rest. */
    IT_CHECK_INT(s_pg_sh("start", s_pgport), 0);
    ld_abandon_in_flight(p);
    it_daemon_start(&d, conninfo, ld_config(), args);
    IT_CHECK(ld_run_until_acked(p, p->count, 30000));
    ld_print(p, "after restart");
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    ld_verify(p, conninfo, 1);
    ld_free(p);
    s_stop(&d);
    s_daemon = NULL;
}

/*
 * The daemon's connection killed from the server side (pg_terminate_backend)
 * again and again under load: the connection dies at arbitrary points of
 * the pipeline (inside a batch, between COMMIT and Sync, while preparing).
 */
static void test_terminate(void)
{
    const char *host = s_cluster();
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(host, "it_pgterminate"));
    it_daemon_t d = {0};
    s_daemon = &d;
    it_daemon_start(&d, conninfo, ld_config(), NULL);

    ld_t *p = ld_new(d.ingest, "ev-", 5000, 16, 16, 55000);
    IT_CHECK(ld_run_until_acked(p, 200, 20000));
    PGconn *admin = PQconnectdb(conninfo);
    IT_CHECK(PQstatus(admin) == CONNECTION_OK);
    int killed = 0;
    for (int i = 0; i < 12 && p->acked < p->count; i++) {
        PGresult *res = PQexec(admin, "SELECT count(pg_terminate_backend(pid)) FROM "
                                      "pg_stat_activity WHERE application_name = 'plaintd' "
                                      "AND datname = current_database()");
        IT_CHECK(PQresultStatus(res) == PGRES_TUPLES_OK);
        killed += atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
        /* 150 to 400 ms: the reconnect back-off starts at 100 ms. */
        IT_CHECK(ld_run(p, NULL, NULL, 150 + (i * 53) % 250));
    }
    PQfinish(admin);
    IT_CHECK(ld_run_until_acked(p, p->count, 40000));
    ld_print(p, "after terminations");
    long lost = ld_file_count(d.log, "lost database connection");
    printf("# %d backends terminated; daemon log: %ld \"lost database connection\"\n", killed,
           lost);
    IT_CHECK(killed >= 3);
    IT_CHECK(lost >= 3);
    IT_CHECK(it_daemon_alive(&d));
    s_wait_db_up(&d, 10000);
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    ld_verify(p, conninfo, 1);
    ld_free(p);
    s_stop(&d);
    s_daemon = NULL;
}

static PGresult *s_exec_ok(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "SQL failed: %s\n  %s\n", sql, PQerrorMessage(c));
    }
    IT_CHECK(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
    return res;
}

/*
 * One statement of a batch fails (here: cancelled by an administrator while
 * it waits for a lock; statement_timeout, lock_timeout or a deadlock do the
 * same). The daemon may answer the jobs of that batch with an error, but it
 * must recover: once the lock is gone, every event is acknowledged.
 *
 * In pipeline mode an error inside BEGIN ... COMMIT skips the rest of the
 * pipeline up to the Sync, COMMIT included, and leaves the session in an
 * aborted transaction; unless the store sends ROLLBACK, every later
 * statement on that connection fails with 25P02.
 */
static void test_cancel(void)
{
    const char *host = s_cluster();
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(host, "it_pgcancel"));
    it_daemon_t d = {0};
    s_daemon = &d;
    it_daemon_start(&d, conninfo, ld_config(), NULL);

    ld_t *p = ld_new(d.ingest, "ev-", 3000, 8, 16, 55000);
    IT_CHECK(ld_run_until_acked(p, 300, 20000));

    PGconn *lock = PQconnectdb(conninfo);
    PGconn *admin = PQconnectdb(conninfo);
    IT_CHECK(PQstatus(lock) == CONNECTION_OK && PQstatus(admin) == CONNECTION_OK);
    PQclear(s_exec_ok(lock, "BEGIN"));
    PQclear(s_exec_ok(lock, "LOCK TABLE case_counters IN EXCLUSIVE MODE"));
    int cancelled = 0;
    for (int64_t end = ld_now_ms() + 3000; !cancelled && ld_now_ms() < end;) {
        IT_CHECK(ld_run(p, NULL, NULL, 100));
        PGresult *res = s_exec_ok(admin, "SELECT count(pg_cancel_backend(pid)) FROM "
                                         "pg_stat_activity WHERE application_name = 'plaintd' "
                                         "AND datname = current_database() "
                                         "AND wait_event_type = 'Lock'");
        cancelled = atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    IT_CHECK(cancelled > 0);
    IT_CHECK(ld_run(p, NULL, NULL, 300));
    PQclear(s_exec_ok(lock, "COMMIT"));
    PQfinish(lock);
    PQfinish(admin);
    int acked = p->acked;
    long errors = p->st.other_errors;

    int done = ld_run_until_acked(p, p->count, 10000);
    ld_print(p, "after cancel");
    printf("# %ld error replies while the lock was held, %ld after it was released; "
           "%d of %d acknowledged after it\n",
           errors, p->st.other_errors - errors, p->acked - acked, p->count - acked);
    if (!done) {
        ld_file_tail(d.log, 8);
    }
    IT_CHECK(done);
    IT_CHECK(it_daemon_alive(&d));
    IT_CHECK_INT(p->st.mismatches, 0);
    ld_verify(p, conninfo, 1);
    ld_free(p);
    s_stop(&d);
    s_daemon = NULL;
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"restart", test_restart},
        {"outage", test_outage},
        {"term_while_down", test_term_while_down},
        {"terminate", test_terminate},
        {"cancel", test_cancel},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
