/*
 * escalator: the escalation timer and the outbox publisher of plaintd.
 *
 * The database is the truth about deadlines; the escalator only keeps when
 * each needs looking at (a min-heap of next_fire_at instants) and one libuv
 * timer armed for the earliest. When it fires, the store runs pl_fire_due()
 * (sql/functions.sql), which claims the due rows with FOR UPDATE SKIP LOCKED and, in
 * one transaction per batch, writes each step's history and outbox rows and
 * the row's next instant, which comes back here. So a step fires once even
 * with several daemons on one database, and a deadline that came due while
 * no daemon ran fires right after start (the heap is loaded from the table).
 *
 * Notifications leave through the outbox: rows are taken (marked published
 * in the same statement, which also queues their deliveries to the
 * configured sinks: daemon/deliver.h) and handed to the publish callback,
 * which sends them on the PUB socket.
 */
#ifndef PL_ESCALATOR_H
#define PL_ESCALATOR_H

#include "daemon/deliver.h"
#include "daemon/store.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct pl_escalator pl_escalator_t;

/* Receives one notification (borrowed for the call). */
typedef void (*pl_escalator_publish_fn)(void *arg, const char *topic, const char *payload);

/* pl_escalator_new: borrows loop and store. Returns a new escalator or NULL. */
pl_escalator_t *pl_escalator_new(uv_loop_t *loop, pl_store_t *store,
                                 pl_escalator_publish_fn publish, void *arg);

/* pl_escalator_start: loads the schedule, starts the timers, drains the
 * outbox. */
void pl_escalator_start(pl_escalator_t *esc);

/* pl_escalator_schedule: something needs looking at `at` (microseconds since
 * the epoch; 0 is ignored). */
void pl_escalator_schedule(pl_escalator_t *esc, int64_t at);

/* pl_escalator_nudge: new outbox rows were committed; publish them soon. */
void pl_escalator_nudge(pl_escalator_t *esc);

/* pl_escalator_set_deliver: outbox rows taken from now on also queue a
 * delivery per sink that takes their topic (pl_deliver_routes), and the
 * deliverer is nudged when some were queued. Borrowed; NULL: none. */
void pl_escalator_set_deliver(pl_escalator_t *esc, pl_deliver_t *deliver);

/* pl_escalator_stats: instants held and steps fired so far. */
size_t pl_escalator_held(const pl_escalator_t *esc);
uint64_t pl_escalator_fired(const pl_escalator_t *esc);

/* pl_escalator_close: stops the timers and frees the escalator once its
 * handles are closed. Store callbacks still pending must not come after:
 * close the store first. */
void pl_escalator_close(pl_escalator_t *esc);

#endif
