#include "daemon/deliver.h"

#include "common/pl_log.h"
#include "common/pl_time.h"
#include "daemon/zsock.h"
#include "workers/notifier.h"
#include "workers/notify_render.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Every sink is looked at this often (ms): cooled sinks come back, leases
 * of a daemon that died end, retries come due. */
#define S_TICK_MS 1000
/* An attempt's lease is twice the sink's timeout plus this: libcurl ends
 * an attempt at the timeout, so the lease covers it and the recording of
 * its outcome; a daemon that died mid-attempt delays a retry by no more. */
#define S_LEASE_SLACK_US (5 * PL_USEC_PER_SEC)

/* What the loop knows of one sink. */
typedef struct s_sink {
    char *id;
    int concurrency;
    pl_usec_t timeout;
    size_t in_flight; /* jobs at the notifier */
    int taking;       /* a pl_delivery_take in flight */
    int take_again;   /* more may be due */
    unsigned fails;   /* consecutive failed attempts */
    pl_usec_t cool_until;
    int gone; /* removed by a reload; freed when nothing is in flight */
} s_sink_t;

struct pl_deliver {
    uv_loop_t *loop;
    pl_store_t *store;
    void *sock; /* PAIR, bound; the notifier's end connects */
    pl_zsock_t *zsock;
    pl_notifier_t *notifier;
    uv_timer_t tick;
    const pl_notify_config_t *cfg;
    const pl_rules_t *rules;
    char *routes;
    s_sink_t **sinks;
    size_t sinks_count;
    uint32_t rand_state;
    pl_deliver_stats_t stats;
    int quiet; /* draining: no new takes */
    int closing;
};

static uint32_t s_rand(pl_deliver_t *dl)
{
    /* xorshift32: jitter only, not security. */
    uint32_t x = dl->rand_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    dl->rand_state = x;
    return x;
}

static s_sink_t *s_sink_find(pl_deliver_t *dl, const char *id)
{
    for (size_t i = 0; i < dl->sinks_count; i++) {
        if (strcmp(dl->sinks[i]->id, id) == 0) {
            return dl->sinks[i];
        }
    }
    return NULL;
}

static void s_sink_free(s_sink_t *s)
{
    free(s->id);
    free(s);
}

/* Drops sinks a reload removed once their last job is back. */
static void s_sweep(pl_deliver_t *dl)
{
    size_t kept = 0;
    for (size_t i = 0; i < dl->sinks_count; i++) {
        s_sink_t *s = dl->sinks[i];
        if (s->gone && s->in_flight == 0 && !s->taking) {
            s_sink_free(s);
        } else {
            dl->sinks[kept++] = s;
        }
    }
    dl->sinks_count = kept;
}

/* ---- taking due deliveries ------------------------------------------------------- */

static void s_take(pl_deliver_t *dl, s_sink_t *sink);

typedef struct {
    pl_deliver_t *dl;
    s_sink_t *sink;
} s_take_ctx_t;

static void s_send_job(pl_deliver_t *dl, s_sink_t *sink, const char *const *row)
{
    pl_notify_job_t *job = calloc(1, sizeof *job);
    json_t *payload = row[4] ? json_loads(row[4], 0, NULL) : NULL;
    if (!job || !payload) {
        free(job);
        json_decref(payload);
        pl_log(PL_LOG_ERROR, "deliver", "sink=%s: could not prepare delivery %s; it is "
               "attempted again when its lease ends", sink->id, row[0] ? row[0] : "?");
        return;
    }
    job->delivery_id = strtoll(row[0], NULL, 10);
    job->attempt = row[1] ? atoi(row[1]) : 1;
    job->sink_id = strdup(sink->id);
    job->topic = row[2] ? strdup(row[2]) : NULL;
    job->key = row[3] ? strdup(row[3]) : NULL;
    job->payload = payload;
    job->cfg = pl_notify_ref(dl->cfg);
    job->rules = pl_rules_ref(dl->rules);
    if (!job->sink_id || !job->topic || !job->key) {
        pl_notify_job_destroy(&job);
        pl_log(PL_LOG_ERROR, "deliver", "out of memory preparing a delivery");
        return;
    }
    int rc;
    do {
        rc = zmq_send(dl->sock, &job, sizeof job, ZMQ_DONTWAIT);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        pl_notify_job_destroy(&job);
        pl_log(PL_LOG_WARN, "deliver", "sink=%s: the notifier is full; delivery retried later",
               sink->id);
        return;
    }
    sink->in_flight++;
    dl->stats.in_flight++;
    pl_notifier_wakeup(dl->notifier);
}

static void s_on_taken(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    s_take_ctx_t *tc = ctx;
    pl_deliver_t *dl = tc->dl;
    s_sink_t *sink = tc->sink;
    free(tc);
    sink->taking = 0;
    if (dl->closing) {
        return;
    }
    if (status != 0) {
        pl_log(PL_LOG_WARN, "deliver", "sink=%s: could not take deliveries: %s", sink->id,
               message ? message : pl_strerror(status));
        return; /* the tick tries again */
    }
    for (size_t r = 0; r < rows->count; r++) {
        const char *const *row = (const char *const *)&rows->cells[r * rows->columns];
        if (row[0] && !sink->gone) {
            s_send_job(dl, sink, row);
        }
    }
    if (sink->take_again) {
        sink->take_again = 0;
        s_take(dl, sink);
    }
    s_sweep(dl);
}

static void s_take(pl_deliver_t *dl, s_sink_t *sink)
{
    if (dl->closing || dl->quiet || sink->gone || !pl_store_is_up(dl->store)) {
        return;
    }
    if (sink->taking) {
        sink->take_again = 1;
        return;
    }
    pl_usec_t now = pl_now();
    if (now < sink->cool_until || sink->in_flight >= (size_t)sink->concurrency) {
        return;
    }
    s_take_ctx_t *tc = malloc(sizeof *tc);
    if (!tc) {
        return;
    }
    *tc = (s_take_ctx_t){dl, sink};
    char at[24], limit[16], lease[32];
    snprintf(at, sizeof at, "%" PRId64, (int64_t)now);
    snprintf(limit, sizeof limit, "%zu", (size_t)sink->concurrency - sink->in_flight);
    snprintf(lease, sizeof lease, "%" PRId64 " microseconds",
             (int64_t)(2 * sink->timeout + S_LEASE_SLACK_US));
    const char *params[] = {sink->id, at, limit, lease};
    if (pl_store_exec(dl->store, "pl_delivery_take", 4, params, 1, s_on_taken, tc) != 0) {
        free(tc);
        return;
    }
    sink->taking = 1;
}

static void s_take_all(pl_deliver_t *dl)
{
    for (size_t i = 0; i < dl->sinks_count; i++) {
        s_take(dl, dl->sinks[i]);
    }
}

static void s_on_tick(uv_timer_t *timer)
{
    s_take_all(timer->data);
}

/* ---- outcomes ------------------------------------------------------------------------ */

static void s_on_recorded(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    (void)rows;
    char *what = ctx;
    if (status != 0) {
        /* The lease ends and the delivery is attempted again: at least once. */
        pl_log(PL_LOG_WARN, "deliver",
               "the outcome of %s was not recorded (%s); it is attempted again when its "
               "lease ends", what, message ? message : pl_strerror(status));
    }
    free(what);
}

static void s_record(pl_deliver_t *dl, const pl_notify_job_t *job, const char *outcome,
                     pl_usec_t next)
{
    char id[24], at[24];
    snprintf(id, sizeof id, "%" PRId64, job->delivery_id);
    snprintf(at, sizeof at, "%" PRId64, (int64_t)next);
    char attempt[16];
    snprintf(attempt, sizeof attempt, "%d", job->attempt);
    const char *params[] = {id, outcome, job->error[0] ? job->error : NULL, at, attempt};
    char *what = malloc(48);
    if (what) {
        snprintf(what, 48, "delivery %s", id);
    }
    if (pl_store_exec(dl->store, "pl_delivery_done", 5, params, 1, s_on_recorded, what) != 0) {
        pl_log(PL_LOG_WARN, "deliver", "could not queue the outcome of delivery %s", id);
        free(what);
    }
}

static void s_on_job(pl_zsock_t *zs, zmq_msg_t *parts, size_t count, int truncated, void *arg)
{
    (void)zs;
    (void)truncated;
    pl_deliver_t *dl = arg;
    pl_notify_job_t *job = NULL;
    if (count != 1 || zmq_msg_size(&parts[0]) != sizeof job) {
        return;
    }
    memcpy(&job, zmq_msg_data(&parts[0]), sizeof job);
    if (!job) {
        return;
    }
    if (dl->closing) {
        /* The store is gone: the lease ends and the delivery is retried. */
        pl_notify_job_destroy(&job);
        return;
    }
    s_sink_t *sink = s_sink_find(dl, job->sink_id);
    if (sink && sink->in_flight) {
        sink->in_flight--;
    }
    if (dl->stats.in_flight) {
        dl->stats.in_flight--;
    }
    pl_usec_t now = pl_now();
    const pl_notify_config_t *cfg = job->cfg;
    double ms = (double)job->took / 1000.0;
    if (job->outcome == PL_DELIVERY_OK) {
        dl->stats.delivered++;
        if (sink && sink->fails) {
            pl_log(PL_LOG_INFO, "deliver", "sink=%s is delivering again after %u failures",
                   sink->id, sink->fails);
            sink->fails = 0;
            sink->cool_until = 0;
        }
        pl_log(PL_LOG_DEBUG, "deliver", "delivered id=%" PRId64 " sink=%s topic=%s in %.1f ms",
               job->delivery_id, job->sink_id, job->topic, ms);
        s_record(dl, job, "delivered", 0);
    } else {
        int dead = job->outcome == PL_DELIVERY_PERMANENT || job->attempt >= cfg->max_attempts;
        /* A sink that fails as a whole (no answer, 5xx, rate limit) is
         * cooled; one failure per cooling period counts, so the attempts
         * in flight when it went down do not stretch the first pause. A
         * permanent failure is the message's (no address, a 4xx for this
         * body): the sink goes on. */
        if (sink && job->outcome == PL_DELIVERY_RETRY && now >= sink->cool_until) {
            sink->fails++;
            sink->cool_until = now + pl_notify_backoff(cfg, (int)sink->fails, s_rand(dl));
        }
        if (dead) {
            dl->stats.dead++;
            pl_log(PL_LOG_ERROR, "deliver",
                   "gave up id=%" PRId64 " sink=%s topic=%s after %d attempts: %s",
                   job->delivery_id, job->sink_id, job->topic, job->attempt, job->error);
            s_record(dl, job, "dead", 0);
        } else {
            dl->stats.failed++;
            pl_usec_t wait = pl_notify_backoff(cfg, job->attempt, s_rand(dl));
            pl_log(PL_LOG_WARN, "deliver",
                   "attempt %d of id=%" PRId64 " sink=%s failed: %s; next in %.1f s",
                   job->attempt, job->delivery_id, job->sink_id, job->error,
                   (double)wait / 1e6);
            s_record(dl, job, "retry", now + wait);
        }
    }
    pl_notify_job_destroy(&job);
    if (sink && !sink->gone) {
        s_take(dl, sink);
    }
    s_sweep(dl);
}

/* ---- configuration ----------------------------------------------------------------- */

static char *s_routes_json(const pl_notify_config_t *cfg)
{
    json_t *routes = json_object();
    for (int t = 0; routes && t < PL_NOTIFY_TOPIC_COUNT; t++) {
        json_t *ids = json_array();
        for (size_t i = 0; ids && i < cfg->sinks_count; i++) {
            if (cfg->sinks[i].topics[t]) {
                json_array_append_new(ids, json_string(cfg->sinks[i].id));
            }
        }
        if (!ids || json_array_size(ids) == 0) {
            json_decref(ids);
            continue;
        }
        json_object_set_new(routes, pl_notify_topics[t], ids);
    }
    char *text = routes ? json_dumps(routes, JSON_COMPACT) : NULL;
    json_decref(routes);
    return text;
}

int pl_deliver_set_config(pl_deliver_t *dl, const pl_notify_config_t *notify,
                          const pl_rules_t *rules)
{
    char *routes = s_routes_json(notify);
    size_t want = dl->sinks_count + notify->sinks_count;
    s_sink_t **grown = routes ? realloc(dl->sinks, (want ? want : 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(routes);
        return PL_ENOMEM;
    }
    dl->sinks = grown;
    for (size_t i = 0; i < dl->sinks_count; i++) {
        dl->sinks[i]->gone = 1;
    }
    for (size_t i = 0; i < notify->sinks_count; i++) {
        const pl_notify_sink_t *cs = &notify->sinks[i];
        s_sink_t *s = s_sink_find(dl, cs->id);
        if (!s) {
            s = calloc(1, sizeof *s);
            if (!s || !(s->id = strdup(cs->id))) {
                free(s);
                free(routes);
                for (size_t j = 0; j < dl->sinks_count; j++) {
                    dl->sinks[j]->gone = 0; /* keep what was there */
                }
                return PL_ENOMEM;
            }
            dl->sinks[dl->sinks_count++] = s;
        }
        s->gone = 0;
        s->concurrency = cs->concurrency;
        s->timeout = cs->timeout;
    }
    free(dl->routes);
    dl->routes = routes;
    pl_notify_unref(&dl->cfg);
    pl_rules_unref(&dl->rules);
    dl->cfg = pl_notify_ref(notify);
    dl->rules = pl_rules_ref(rules);
    s_sweep(dl);
    s_take_all(dl);
    return 0;
}

const char *pl_deliver_routes(const pl_deliver_t *dl)
{
    return dl->routes ? dl->routes : "{}";
}

/* ---- lifecycle ----------------------------------------------------------------------- */

pl_deliver_t *pl_deliver_new(uv_loop_t *loop, void *zctx, pl_store_t *store, pl_err_t *err)
{
    static unsigned serial;
    pl_deliver_t *dl = calloc(1, sizeof *dl);
    if (!dl) {
        pl_err_set(err, PL_ENOMEM, "deliver", NULL, "out of memory");
        return NULL;
    }
    dl->loop = loop;
    dl->store = store;
    dl->rand_state = (uint32_t)pl_monotonic_usec() | 1u;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://pl-notifier-%u", serial++);
    dl->sock = zmq_socket(zctx, ZMQ_PAIR);
    int linger = 0, hwm = 100000;
    if (dl->sock) {
        zmq_setsockopt(dl->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(dl->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(dl->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    if (!dl->sock || zmq_bind(dl->sock, ep) != 0 ||
        !(dl->zsock = pl_zsock_new(loop, dl->sock, s_on_job, dl))) {
        pl_err_set(err, PL_EIO, "deliver", NULL, "could not create the notifier socket: %s",
                   zmq_strerror(errno));
        if (dl->sock) {
            zmq_close(dl->sock);
        }
        free(dl);
        return NULL;
    }
    dl->notifier = pl_notifier_start(zctx, ep, err);
    if (!dl->notifier) {
        pl_zsock_close(dl->zsock, NULL, NULL);
        zmq_close(dl->sock);
        free(dl);
        return NULL;
    }
    uv_timer_init(loop, &dl->tick);
    dl->tick.data = dl;
    return dl;
}

void pl_deliver_start(pl_deliver_t *dl)
{
    pl_zsock_start(dl->zsock);
    uv_timer_start(&dl->tick, s_on_tick, S_TICK_MS, S_TICK_MS);
}

void pl_deliver_quiesce(pl_deliver_t *dl)
{
    dl->quiet = 1;
    uv_timer_stop(&dl->tick);
}

void pl_deliver_nudge(pl_deliver_t *dl)
{
    if (!dl->closing) {
        s_take_all(dl);
    }
}

void pl_deliver_get_stats(const pl_deliver_t *dl, pl_deliver_stats_t *out)
{
    *out = dl->stats;
}

static void s_free(pl_deliver_t *dl)
{
    for (size_t i = 0; i < dl->sinks_count; i++) {
        s_sink_free(dl->sinks[i]);
    }
    free(dl->sinks);
    free(dl->routes);
    pl_notify_unref(&dl->cfg);
    pl_rules_unref(&dl->rules);
    free(dl);
}

static void s_on_zsock_closed(void *arg)
{
    pl_deliver_t *dl = arg;
    pl_notify_job_t *job = NULL;
    while (zmq_recv(dl->sock, &job, sizeof job, ZMQ_DONTWAIT) == (int)sizeof job) {
        pl_notify_job_destroy(&job);
    }
    zmq_close(dl->sock);
    s_free(dl);
}

static void s_on_tick_closed(uv_handle_t *handle)
{
    pl_deliver_t *dl = handle->data;
    pl_zsock_close(dl->zsock, s_on_zsock_closed, dl);
}

void pl_deliver_close(pl_deliver_t *dl)
{
    dl->closing = 1;
    /* The thread first: after it is joined nothing writes to its end. */
    pl_notifier_stop(&dl->notifier);
    uv_timer_stop(&dl->tick);
    uv_close((uv_handle_t *)&dl->tick, s_on_tick_closed);
}
