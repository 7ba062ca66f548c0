/*
 * load.h: an in-process load publisher for the integration tests that break
 * things under load (it_crash, it_pgrestart, it_drain). Header-only: every
 * function is static.
 *
 * One thread, zmq_poll over several DEALER sockets. Each socket keeps a
 * window of submits in flight, tagged with a numeric "id". Events are
 * "<prefix><n>" from source "it", n = 0..count-1. For every event the
 * publisher records the case_no of its acknowledgement; an event that is
 * acknowledged again (after ld_resend_all) must get the same case_no, else it
 * counts as a mismatch. Replies to requests no longer in flight (their socket
 * was replaced) cannot arrive; any other unknown reply counts as stray.
 *
 * When a request gets no reply within timeout_ms, every request in flight on
 * that socket is queued again and the socket is replaced by a fresh one (a
 * retry sends the same event_id: submits are idempotent). An "unavailable"
 * reply queues the event again after a short hold. Any other error reply is
 * counted (and the event queued again after a hold, so nothing is lost from
 * the publisher's side) for the test to judge.
 *
 * The publisher never runs past its deadline (ld_new: max_ms): ld_run
 * returns 0 then and the test fails on its own checks.
 *
 * ld_config: a minimal plaintd configuration, so that these tests do not
 * depend on the shipped config/plaint.yaml. ld_verify: the database checks
 * every test makes.
 *
 * Background jobs (ld_bg_*): a blocking action (restarting PostgreSQL,
 * waiting for the daemon to exit) runs on a thread while the test keeps
 * pumping the publisher on its own thread.
 */
#ifndef PL_IT_LOAD_H
#define PL_IT_LOAD_H

#include "it.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define LD_MAX_WINDOW 64
#define LD_CASE_NO_MAX 64

static inline int64_t ld_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void ld_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

typedef struct ld_event {
    char case_no[LD_CASE_NO_MAX]; /* from the first acknowledgement */
    int acked;                    /* acknowledged in the current round */
    int acks;                     /* acknowledgements over all rounds */
    int sends;                    /* times sent */
    int in_flight;                /* 1 while in a socket's window */
    int64_t last_send_ms;         /* monotonic time of the latest send */
    int64_t ack_ms;               /* monotonic time of the latest acknowledgement */
} ld_event_t;

typedef struct ld_slot {
    int ev;
    uint64_t tag;
    int64_t sent_ms;
} ld_slot_t;

typedef struct ld_sock {
    void *s;
    int n;
    ld_slot_t slots[LD_MAX_WINDOW];
} ld_sock_t;

typedef struct ld_stats {
    long sent;          /* requests sent */
    long replies;       /* replies matched to a request in flight */
    long acks;          /* ok:true replies */
    long duplicates;    /* ok:true with duplicate:true */
    long unavailable;   /* error "unavailable" */
    long other_errors;  /* any other error reply */
    long timeouts;      /* requests given up on after timeout_ms (then resent) */
    long reopens;       /* sockets replaced */
    long stray;         /* replies whose id is not in flight on that socket */
    long mismatches;    /* acknowledged again with another case_no */
    long send_failures; /* zmq_send refused (queued again) */
} ld_stats_t;

typedef struct ld {
    void *zctx;
    char endpoint[128];
    char prefix[32];
    int count;
    int nsock;
    int window;
    int timeout_ms;
    int paused;
    int64_t deadline_ms;
    int64_t hold_until_ms;
    uint64_t next_tag;
    ld_event_t *ev;
    int *queue; /* ring of event indices waiting to be sent */
    int qhead, qlen;
    ld_sock_t *socks;
    int acked; /* events acknowledged in the current round */
    ld_stats_t st;
    char first_error[512];
    char first_mismatch[256];
} ld_t;

static inline void ld_queue_push(ld_t *p, int ev)
{
    if (p->qlen >= p->count) {
        fprintf(stderr, "load: queue overflow (event %d)\n", ev);
        exit(1);
    }
    p->queue[(p->qhead + p->qlen) % p->count] = ev;
    p->qlen++;
}

static inline void ld_queue_push_front(ld_t *p, int ev)
{
    if (p->qlen >= p->count) {
        fprintf(stderr, "load: queue overflow (event %d)\n", ev);
        exit(1);
    }
    p->qhead = (p->qhead + p->count - 1) % p->count;
    p->queue[p->qhead] = ev;
    p->qlen++;
}

static inline int ld_queue_pop(ld_t *p)
{
    int ev = p->queue[p->qhead];
    p->qhead = (p->qhead + 1) % p->count;
    p->qlen--;
    return ev;
}

static inline void ld_sock_open(ld_t *p, ld_sock_t *k)
{
    k->s = zmq_socket(p->zctx, ZMQ_DEALER);
    if (!k->s) {
        fprintf(stderr, "load: zmq_socket: %s\n", zmq_strerror(errno));
        exit(1);
    }
    int linger = 0, hwm = 100000;
    zmq_setsockopt(k->s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(k->s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(k->s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_connect(k->s, p->endpoint) != 0) {
        fprintf(stderr, "load: zmq_connect %s: %s\n", p->endpoint, zmq_strerror(errno));
        exit(1);
    }
    k->n = 0;
}

/* Queues every request in flight on k again (at the front, in order) and
 * replaces the socket: replies to the old one can no longer arrive. */
static inline void ld_sock_reset(ld_t *p, ld_sock_t *k)
{
    for (int i = k->n; i-- > 0;) {
        p->ev[k->slots[i].ev].in_flight = 0;
        ld_queue_push_front(p, k->slots[i].ev);
    }
    k->n = 0;
    zmq_close(k->s);
    ld_sock_open(p, k);
    p->st.reopens++;
}

/*
 * ld_new: a publisher of `count` events "<prefix><n>" to `endpoint` over
 * `nsock` sockets with `window` requests in flight each; it stops by itself
 * `max_ms` from now. Nothing is sent before the first ld_step/ld_run.
 */
static inline ld_t *ld_new(const char *endpoint, const char *prefix, int count, int nsock,
                           int window, int max_ms)
{
    ld_t *p = calloc(1, sizeof *p);
    if (!p || window > LD_MAX_WINDOW || count <= 0 || nsock <= 0) {
        fprintf(stderr, "load: bad parameters\n");
        exit(1);
    }
    snprintf(p->endpoint, sizeof p->endpoint, "%s", endpoint);
    snprintf(p->prefix, sizeof p->prefix, "%s", prefix);
    p->count = count;
    p->nsock = nsock;
    p->window = window;
    p->timeout_ms = 2000;
    p->deadline_ms = ld_now_ms() + max_ms;
    p->next_tag = 1;
    p->ev = calloc((size_t)count, sizeof *p->ev);
    p->queue = calloc((size_t)count, sizeof *p->queue);
    p->socks = calloc((size_t)nsock, sizeof *p->socks);
    p->zctx = zmq_ctx_new();
    if (!p->ev || !p->queue || !p->socks || !p->zctx) {
        fprintf(stderr, "load: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < count; i++) {
        ld_queue_push(p, i);
    }
    for (int i = 0; i < nsock; i++) {
        ld_sock_open(p, &p->socks[i]);
    }
    return p;
}

static inline void ld_free(ld_t *p)
{
    if (!p) {
        return;
    }
    for (int i = 0; i < p->nsock; i++) {
        zmq_close(p->socks[i].s);
    }
    zmq_ctx_term(p->zctx);
    free(p->ev);
    free(p->queue);
    free(p->socks);
    free(p);
}

static inline void ld_set_timeout(ld_t *p, int ms)
{
    p->timeout_ms = ms;
}

/* ld_pause: while paused nothing new is sent; replies are still taken. */
static inline void ld_pause(ld_t *p, int paused)
{
    p->paused = paused;
}

static inline int ld_in_flight(const ld_t *p)
{
    int n = 0;
    for (int i = 0; i < p->nsock; i++) {
        n += p->socks[i].n;
    }
    return n;
}

static inline int ld_expired(const ld_t *p)
{
    return ld_now_ms() >= p->deadline_ms;
}

/*
 * ld_resend_all: starts a new round: every event is sent again and must be
 * acknowledged again, with the case_no it got the first time.
 */
static inline void ld_resend_all(ld_t *p)
{
    for (int i = 0; i < p->nsock; i++) {
        ld_sock_reset(p, &p->socks[i]);
    }
    p->qhead = p->qlen = 0;
    for (int i = 0; i < p->count; i++) {
        p->ev[i].acked = 0;
        ld_queue_push(p, i);
    }
    p->acked = 0;
}

/* ld_abandon_in_flight: gives up on every request in flight now (the daemon
 * that held them is gone) and queues them again on fresh sockets. */
static inline void ld_abandon_in_flight(ld_t *p)
{
    for (int i = 0; i < p->nsock; i++) {
        if (p->socks[i].n > 0) {
            ld_sock_reset(p, &p->socks[i]);
        }
    }
}

static inline void ld_note_error(ld_t *p, int ev, const char *body)
{
    if (!p->first_error[0]) {
        snprintf(p->first_error, sizeof p->first_error, "%s%d: %.400s", p->prefix, ev, body);
    }
}

static inline void ld_on_reply(ld_t *p, ld_sock_t *k, const char *body, size_t len)
{
    json_error_t jerr;
    json_t *reply = json_loadb(body, len, 0, &jerr);
    json_t *id = reply ? json_object_get(reply, "id") : NULL;
    if (!json_is_integer(id)) {
        p->st.stray++;
        json_decref(reply);
        return;
    }
    uint64_t tag = (uint64_t)json_integer_value(id);
    int at = -1;
    for (int i = 0; i < k->n; i++) {
        if (k->slots[i].tag == tag) {
            at = i;
            break;
        }
    }
    if (at < 0) {
        p->st.stray++;
        json_decref(reply);
        return;
    }
    int ev = k->slots[at].ev;
    k->slots[at] = k->slots[--k->n];
    ld_event_t *e = &p->ev[ev];
    e->in_flight = 0;
    p->st.replies++;

    if (json_is_true(json_object_get(reply, "ok"))) {
        const char *case_no = json_string_value(json_object_get(reply, "case_no"));
        if (!case_no || !case_no[0]) {
            p->st.other_errors++;
            ld_note_error(p, ev, "ok without case_no");
            ld_queue_push(p, ev);
            json_decref(reply);
            return;
        }
        p->st.acks++;
        if (json_is_true(json_object_get(reply, "duplicate"))) {
            p->st.duplicates++;
        }
        if (e->case_no[0] && strcmp(e->case_no, case_no) != 0) {
            p->st.mismatches++;
            if (!p->first_mismatch[0]) {
                snprintf(p->first_mismatch, sizeof p->first_mismatch,
                         "%s%d acknowledged as %s, then as %s", p->prefix, ev, e->case_no, case_no);
            }
        } else if (!e->case_no[0]) {
            snprintf(e->case_no, sizeof e->case_no, "%s", case_no);
        }
        e->acks++;
        e->ack_ms = ld_now_ms();
        if (!e->acked) {
            e->acked = 1;
            p->acked++;
        }
    } else {
        json_t *error = json_object_get(reply, "error");
        const char *code = json_string_value(json_object_get(error, "code"));
        if (code && strcmp(code, "unavailable") == 0) {
            p->st.unavailable++;
            p->hold_until_ms = ld_now_ms() + 100;
        } else {
            p->st.other_errors++;
            p->hold_until_ms = ld_now_ms() + 200; /* back off, as a publisher would */
            char tmp[450];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(len < 400 ? len : 400), body);
            ld_note_error(p, ev, tmp);
        }
        if (!e->acked) {
            ld_queue_push(p, ev);
        }
    }
    json_decref(reply);
}

static inline void ld_read(ld_t *p, ld_sock_t *k)
{
    for (;;) {
        zmq_msg_t frames[2];
        int nframes = 0, more = 1;
        while (more) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, k->s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&msg);
                if (nframes == 0) {
                    return;
                }
                break; /* cannot happen: parts arrive together */
            }
            more = zmq_msg_more(&msg);
            if (nframes < 2) {
                frames[nframes++] = msg;
            } else {
                zmq_msg_close(&msg);
            }
        }
        if (nframes == 2 && zmq_msg_size(&frames[0]) == 0) {
            ld_on_reply(p, k, zmq_msg_data(&frames[1]), zmq_msg_size(&frames[1]));
        } else {
            p->st.stray++;
        }
        for (int i = 0; i < nframes; i++) {
            zmq_msg_close(&frames[i]);
        }
    }
}

static inline void ld_send_some(ld_t *p, int64_t now)
{
    if (p->paused || now < p->hold_until_ms) {
        return;
    }
    for (int i = 0; i < p->nsock && p->qlen > 0; i++) {
        ld_sock_t *k = &p->socks[i];
        while (k->n < p->window && p->qlen > 0) {
            int ev = ld_queue_pop(p);
            if (p->ev[ev].acked || p->ev[ev].in_flight) {
                continue; /* a late reply already settled it */
            }
            uint64_t tag = p->next_tag++;
            char body[512];
            int len = snprintf(body, sizeof body,
                               "{\"op\":\"submit\",\"id\":%llu,\"event\":{\"event_id\":\"%s%d\","
                               "\"source\":\"it\",\"kind\":\"complaint\",\"channel\":\"system\","
                               "\"content\":\"integration load event %d\"}}",
                               (unsigned long long)tag, p->prefix, ev, ev);
            if (zmq_send(k->s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
                p->st.send_failures++;
                ld_queue_push_front(p, ev);
                break;
            }
            if (zmq_send(k->s, body, (size_t)len, ZMQ_DONTWAIT) < 0) {
                /* A half-sent message: this socket is unusable now. */
                p->st.send_failures++;
                ld_queue_push_front(p, ev);
                ld_sock_reset(p, k);
                break;
            }
            k->slots[k->n++] = (ld_slot_t){.ev = ev, .tag = tag, .sent_ms = now};
            p->ev[ev].in_flight = 1;
            p->ev[ev].sends++;
            p->ev[ev].last_send_ms = now;
            p->st.sent++;
        }
    }
}

static inline void ld_check_timeouts(ld_t *p, int64_t now)
{
    for (int i = 0; i < p->nsock; i++) {
        ld_sock_t *k = &p->socks[i];
        int late = 0;
        for (int j = 0; j < k->n; j++) {
            late |= now - k->slots[j].sent_ms >= p->timeout_ms;
        }
        if (late) {
            p->st.timeouts += k->n;
            ld_sock_reset(p, k);
        }
    }
}

/* ld_step: one round of send, poll (up to poll_ms), receive, time out. */
static inline void ld_step(ld_t *p, int poll_ms)
{
    int64_t now = ld_now_ms();
    ld_check_timeouts(p, now);
    ld_send_some(p, now);
    zmq_pollitem_t items[64];
    int n = p->nsock < 64 ? p->nsock : 64;
    for (int i = 0; i < n; i++) {
        items[i] = (zmq_pollitem_t){.socket = p->socks[i].s, .events = ZMQ_POLLIN};
    }
    int rc = zmq_poll(items, n, poll_ms);
    if (rc < 0 && errno != EINTR) {
        fprintf(stderr, "load: zmq_poll: %s\n", zmq_strerror(errno));
        exit(1);
    }
    for (int i = 0; rc > 0 && i < n; i++) {
        if (items[i].revents & ZMQ_POLLIN) {
            ld_read(p, &p->socks[i]);
        }
    }
}

/*
 * ld_run: pumps until done(p, arg) is true (returns 1), max_ms passed or the
 * publisher's deadline passed (returns 0). done may be NULL: run max_ms.
 */
static inline int ld_run(ld_t *p, int (*done)(ld_t *, void *), void *arg, int max_ms)
{
    int64_t end = ld_now_ms() + max_ms;
    if (end > p->deadline_ms) {
        end = p->deadline_ms;
    }
    for (;;) {
        if (done && done(p, arg)) {
            return 1;
        }
        if (ld_now_ms() >= end) {
            return done ? 0 : 1;
        }
        ld_step(p, 5);
    }
}

static inline int ld_until_acked_fn(ld_t *p, void *arg)
{
    return p->acked >= *(const int *)arg;
}

/* ld_run_until_acked: pumps until at least `n` events are acknowledged. */
static inline int ld_run_until_acked(ld_t *p, int n, int max_ms)
{
    return ld_run(p, ld_until_acked_fn, &n, max_ms);
}

static inline void ld_print(const ld_t *p, const char *label)
{
    printf("# %s: acked %d/%d sent %ld acks %ld dup %ld unavailable %ld errors %ld timeouts %ld "
           "reopens %ld stray %ld mismatches %ld in-flight %d queued %d\n",
           label, p->acked, p->count, p->st.sent, p->st.acks, p->st.duplicates, p->st.unavailable,
           p->st.other_errors, p->st.timeouts, p->st.reopens, p->st.stray, p->st.mismatches,
           ld_in_flight(p), p->qlen);
    if (p->first_error[0]) {
        printf("#   first error: %s\n", p->first_error);
    }
    if (p->first_mismatch[0]) {
        printf("#   first mismatch: %s\n", p->first_mismatch);
    }
    fflush(stdout);
}

/* ---- checks against the database ------------------------------------------ */

static inline long ld_q_long(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "load: query failed: %s\n  %s\n", sql, PQerrorMessage(c));
        exit(1);
    }
    long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

/*
 * ld_verify: every acknowledged event is stored with the case_no it was
 * acknowledged with, no event is stored twice, no row with this publisher's
 * prefix is not one of its events. With `all`, every one of the events must
 * be stored (and, when no other publisher's rows exist, nothing else).
 * Also: case numbers are unique, every case has exactly one history row,
 * there are no dead letters.
 * Returns the number of this publisher's events stored.
 */
static inline long ld_verify(const ld_t *p, const char *conninfo, int all)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "load: cannot connect (%s): %s\n", conninfo, PQerrorMessage(c));
        exit(1);
    }
    /* One snapshot for every check: the daemon may still be writing. */
    PQclear(PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    PGresult *res = PQexec(c, "SELECT source, event_id, case_no FROM cases");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "load: query failed: %s\n", PQerrorMessage(c));
        exit(1);
    }
    int rows = PQntuples(res);
    int *seen = calloc((size_t)p->count, sizeof *seen);
    long foreign = 0, other = 0, twice = 0, wrong = 0, stored = 0;
    size_t plen = strlen(p->prefix);
    for (int r = 0; r < rows; r++) {
        const char *source = PQgetvalue(res, r, 0);
        const char *event_id = PQgetvalue(res, r, 1);
        const char *case_no = PQgetvalue(res, r, 2);
        char *end = NULL;
        if (strcmp(source, "it") != 0 || strncmp(event_id, p->prefix, plen) != 0) {
            other++; /* another publisher's */
            continue;
        }
        long n = strtol(event_id + plen, &end, 10);
        if (!end || *end || end == event_id + plen || n < 0 || n >= p->count) {
            foreign++;
            continue;
        }
        stored++;
        if (seen[n]++) {
            twice++;
            fprintf(stderr, "load: %s stored twice\n", event_id);
        }
        const ld_event_t *e = &p->ev[n];
        if (e->case_no[0] && strcmp(e->case_no, case_no) != 0) {
            if (wrong < 10) {
                fprintf(stderr, "load: %s acknowledged as %s but stored as %s\n", event_id,
                        e->case_no, case_no);
            }
            wrong++;
        }
    }
    PQclear(res);
    long lost = 0, missing = 0;
    for (int i = 0; i < p->count; i++) {
        if (!seen[i] && p->ev[i].case_no[0]) {
            if (lost < 10) {
                fprintf(stderr, "load: %s%d acknowledged as %s but not stored\n", p->prefix, i,
                        p->ev[i].case_no);
            }
            lost++;
        }
        if (!seen[i]) {
            missing++;
        }
    }
    free(seen);
    long n_cases = ld_q_long(c, "SELECT count(*) FROM cases");
    long n_keys = ld_q_long(c, "SELECT count(DISTINCT (source, event_id)) FROM cases");
    long n_dup_case_no = ld_q_long(c, "SELECT count(*) - count(DISTINCT case_no) FROM cases");
    long n_bad_history = ld_q_long(c, "SELECT count(*) FROM cases c WHERE (SELECT count(*) FROM "
                                      "case_history h WHERE h.case_id = c.id) <> 1");
    long n_history = ld_q_long(c, "SELECT count(*) FROM case_history");
    long n_dead = ld_q_long(c, "SELECT count(*) FROM dead_letters");
    PQclear(PQexec(c, "COMMIT"));
    PQfinish(c);
    printf("# verify %s*: %d rows, %ld stored, %ld acknowledged-but-lost, %ld wrong case_no, "
           "%ld twice, %ld foreign, %ld never stored; %ld other rows, %ld history rows, "
           "%ld dead letters\n",
           p->prefix, rows, stored, lost, wrong, twice, foreign, missing, other, n_history, n_dead);
    fflush(stdout);
    IT_CHECK_INT(lost, 0);
    IT_CHECK_INT(wrong, 0);
    IT_CHECK_INT(twice, 0);
    IT_CHECK_INT(foreign, 0);
    IT_CHECK_INT(n_keys, n_cases);
    if (all) {
        IT_CHECK_INT(missing, 0);
        IT_CHECK_INT(stored, p->count);
        if (other == 0) {
            IT_CHECK_INT(n_cases, p->count);
        }
    }
    IT_CHECK_INT(n_dup_case_no, 0);
    IT_CHECK_INT(n_bad_history, 0);
    IT_CHECK_INT(n_history, rows);
    IT_CHECK_INT(n_dead, 0);
    return stored;
}

/* ---- background jobs --------------------------------------------------------- */

typedef struct ld_bg {
    pthread_t thread;
    void (*fn)(void *arg);
    void *arg;
    atomic_int done;
    int64_t started_ms, finished_ms;
} ld_bg_t;

static inline void *ld_bg_main(void *arg)
{
    ld_bg_t *bg = arg;
    bg->fn(bg->arg);
    bg->finished_ms = ld_now_ms();
    atomic_store(&bg->done, 1);
    return NULL;
}

/* ld_bg_start: runs fn(arg) on a thread of its own. */
static inline void ld_bg_start(ld_bg_t *bg, void (*fn)(void *), void *arg)
{
    bg->fn = fn;
    bg->arg = arg;
    atomic_store(&bg->done, 0);
    bg->started_ms = ld_now_ms();
    if (pthread_create(&bg->thread, NULL, ld_bg_main, bg) != 0) {
        fprintf(stderr, "load: pthread_create failed\n");
        exit(1);
    }
}

static inline int ld_bg_done_fn(ld_t *p, void *arg)
{
    (void)p;
    return atomic_load(&((ld_bg_t *)arg)->done);
}

/* ld_run_while_bg: pumps the publisher until the job is done (1) or max_ms
 * passed (0; the job still runs then). Joins a finished job. */
static inline int ld_run_while_bg(ld_t *p, ld_bg_t *bg, int max_ms)
{
    int ok = ld_run(p, ld_bg_done_fn, bg, max_ms);
    if (ok) {
        pthread_join(bg->thread, NULL);
    }
    return ok;
}

/* ---- the daemon's configuration ---------------------------------------------- */

static char ld_config_path[64];

static inline void ld_config_remove(void)
{
    if (ld_config_path[0]) {
        unlink(ld_config_path);
        ld_config_path[0] = '\0';
    }
}

/*
 * ld_config: a minimal configuration for plaintd (written once, removed at
 * exit). These tests are about durability, not rules: they pin the store
 * settings their timing depends on and the log level their log checks need,
 * and do not depend on the shipped config/plaint.yaml.
 */
static inline const char *ld_config(void)
{
    if (ld_config_path[0]) {
        return ld_config_path;
    }
    static const char text[] = "# Written by tests/integration/load.h\n"
                               "database:\n"
                               "  url: \"dbname=plaint\"\n"
                               "store:\n"
                               "  batch_max: 128\n"
                               "  queue_max: 20000\n"
                               "  reconnect_max_ms: 5000\n"
                               "log:\n"
                               "  level: info\n";
    snprintf(ld_config_path, sizeof ld_config_path, "/tmp/plaint-it-load-XXXXXX");
    int fd = mkstemp(ld_config_path);
    if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1)) {
        fprintf(stderr, "load: cannot write %s: %s\n", ld_config_path, strerror(errno));
        exit(1);
    }
    close(fd);
    atexit(ld_config_remove);
    return ld_config_path;
}

/* ---- small file helpers ---------------------------------------------------------- */

/* ld_file_count: how many times `needle` occurs in the file (-1: unreadable). */
static inline long ld_file_count(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    long n = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, needle)) {
            n++;
        }
    }
    fclose(f);
    return n;
}

static inline void ld_file_tail(const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return;
    }
    char **ring = calloc((size_t)lines, sizeof *ring);
    char line[4096];
    long n = 0;
    while (ring && fgets(line, sizeof line, f)) {
        free(ring[n % lines]);
        ring[n % lines] = strdup(line);
        n++;
    }
    fclose(f);
    fprintf(stderr, "---- last lines of %s ----\n", path);
    for (long i = n > lines ? n - lines : 0; ring && i < n; i++) {
        fputs(ring[i % lines] ? ring[i % lines] : "", stderr);
    }
    for (int i = 0; ring && i < lines; i++) {
        free(ring[i]);
    }
    free(ring);
}

#endif
