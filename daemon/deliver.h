/*
 * deliver: the loop's side of notification delivery (issue 4).
 *
 * The outbox is taken by the escalator (daemon/escalator.h), which queues
 * one row in `deliveries` per sink that takes the row's topic (the routes
 * come from here: pl_deliver_routes). The deliverer then, per sink, takes
 * due deliveries from PostgreSQL (pl_delivery_take leases them), hands each
 * as a job to the notifier thread (workers/notifier.h), and records each
 * outcome (pl_delivery_done): delivered, retry after a back-off, or dead
 * after notify.retry.attempts attempts or a permanent failure.
 *
 * A sink that fails is also cooled as a whole (its own back-off, reset by
 * the next success), and at most `concurrency` of its attempts are in
 * flight, so a dead sink costs one small query a back-off period, never
 * ingest. Nothing here blocks the loop.
 */
#ifndef PL_DELIVER_H
#define PL_DELIVER_H

#include "common/pl_err.h"
#include "config/notify.h"
#include "config/rules.h"
#include "daemon/store.h"

#include <stdint.h>
#include <uv.h>

typedef struct pl_deliver pl_deliver_t;

/* pl_deliver_new: borrows loop, zctx and store; starts the notifier
 * thread. Returns the deliverer or NULL with `err` filled. */
pl_deliver_t *pl_deliver_new(uv_loop_t *loop, void *zctx, pl_store_t *store, pl_err_t *err);

/* pl_deliver_set_config: the sinks and the directory (takes a reference to
 * each; the old ones are dropped once their jobs are back). Sinks keep
 * their state across a reload when their id stays. Returns 0 or PL_ENOMEM. */
int pl_deliver_set_config(pl_deliver_t *dl, const pl_notify_config_t *notify,
                          const pl_rules_t *rules);

/* pl_deliver_routes: {"topic": ["sink", ...], ...} for pl_outbox_take, as
 * text (borrowed; valid until the next pl_deliver_set_config). */
const char *pl_deliver_routes(const pl_deliver_t *dl);

/* pl_deliver_start: starts the poll timer. */
void pl_deliver_start(pl_deliver_t *dl);

/* pl_deliver_quiesce: takes no more deliveries (the daemon drains). An
 * attempt under way that ends before the store has drained is recorded;
 * one still running at close is abandoned and attempted again when its
 * lease ends (at least once: same idempotency key). */
void pl_deliver_quiesce(pl_deliver_t *dl);

/* pl_deliver_nudge: deliveries were queued; look for them now. */
void pl_deliver_nudge(pl_deliver_t *dl);

typedef struct pl_deliver_stats {
    uint64_t delivered, failed, dead; /* attempts by outcome */
    size_t in_flight;
} pl_deliver_stats_t;
void pl_deliver_get_stats(const pl_deliver_t *dl, pl_deliver_stats_t *out);

/* pl_deliver_close: stops the notifier thread, closes the handles, and frees
 * the deliverer once they are closed. Close the store first. */
void pl_deliver_close(pl_deliver_t *dl);

#endif
