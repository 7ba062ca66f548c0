/*
 * it_crash: plaintd killed with SIGKILL under load loses nothing it
 * acknowledged (invariant 1) and, restarted on the same ports, takes the
 * publisher's retries without storing anything twice (invariant 2).
 *
 * A publisher (load.h) keeps 8 sockets x 16 submits in flight. After some
 * acknowledgements the daemon is killed, then started again while the
 * publisher keeps retrying everything not yet acknowledged. At the end every
 * event is stored exactly once, with the case_no it was acknowledged with,
 * and has exactly one history row; a second round sends every event again
 * and must get "duplicate" with the same case_no for each.
 */
#include "it.h"
#include "load.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#define S_EVENTS 5000

typedef struct s_start {
    it_daemon_t *d;
    const char *conninfo;
} s_start_t;

static void s_start_job(void *arg)
{
    s_start_t *s = arg;
    it_daemon_start(s->d, s->conninfo, ld_config(), NULL);
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

/*
 * Kills the daemon with SIGKILL once `at[i]` events are acknowledged, for
 * each i, restarting it while the publisher keeps going.
 */
static void s_crash_run(const char *db, const int *at, int kills)
{
    char conninfo[512];
    snprintf(conninfo, sizeof conninfo, "%s", it_db_create(NULL, db));
    it_daemon_t d = {0};
    it_daemon_start(&d, conninfo, ld_config(), NULL);

    ld_t *p = ld_new(d.ingest, "ev-", S_EVENTS, 8, 16, 50000);
    for (int k = 0; k < kills; k++) {
        IT_CHECK(ld_run_until_acked(p, at[k], 20000));
        int acked = p->acked, in_flight = ld_in_flight(p);
        it_daemon_kill9(&d);
        int64_t t0 = ld_now_ms();
        ld_bg_t bg;
        s_start_t start = {&d, conninfo};
        ld_bg_start(&bg, s_start_job, &start);
        IT_CHECK(ld_run_while_bg(p, &bg, 30000));
        printf("# kill %d: at %d acked, %d in flight; restarted in %lld ms\n", k + 1, acked,
               in_flight, (long long)(bg.finished_ms - t0));
        /* Nothing acknowledged is lost right after the crash, either. */
        ld_verify(p, conninfo, 0);
    }
    IT_CHECK(ld_run_until_acked(p, S_EVENTS, 30000));
    ld_print(p, "after crashes");
    printf("# %ld acknowledgements were duplicates (stored before a crash, acknowledged "
           "after it)\n",
           p->st.duplicates);
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    ld_verify(p, conninfo, 1);

    /* Idempotency: everything again gives the same case numbers, no rows. */
    long dups = p->st.duplicates, acks = p->st.acks;
    ld_resend_all(p);
    IT_CHECK(ld_run_until_acked(p, S_EVENTS, 20000));
    ld_print(p, "resent all");
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    IT_CHECK_INT(p->st.acks - acks, S_EVENTS);
    IT_CHECK_INT(p->st.duplicates - dups, S_EVENTS);
    ld_verify(p, conninfo, 1);

    IT_CHECK(it_daemon_alive(&d));
    ld_free(p);
    s_stop(&d);
}

static void test_kill9_twice(void)
{
    static const int at[] = {1500, 3500};
    s_crash_run("it_crash_twice", at, 2);
}

/* Killed almost at once: most of the first windows are in the daemon's
 * queue or in its first transactions. */
static void test_kill9_early(void)
{
    static const int at[] = {40};
    s_crash_run("it_crash_early", at, 1);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"kill9_twice", test_kill9_twice},
        {"kill9_early", test_kill9_early},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
