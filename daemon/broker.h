/*
 * broker: the ZeroMQ face of plaintd. Owns the ROUTER socket where requests
 * arrive and the PUB socket where case events go out, turns each request
 * frame into an operation (docs/protocol.md), hands the work on and sends the
 * reply when the work is done: for a submit, after its COMMIT.
 *
 * Pipeline: request -> parse and validate -> workers (classifier, router;
 * daemon/pipeline.h) -> store -> reply. "explain" runs the same workers and
 * replies with their decision instead of storing it.
 */
#ifndef PL_BROKER_H
#define PL_BROKER_H

#include "common/pl_err.h"
#include "config/config.h"
#include "daemon/store.h"

#include <uv.h>

typedef struct pl_broker pl_broker_t;

/*
 * pl_broker_new: creates the sockets on `zctx` and binds them to `ingest` and
 * `publish`. Borrows loop, zctx, store and cfg (all must outlive the broker;
 * see pl_broker_set_config). Returns a new broker or NULL with `err` filled
 * (PL_EIO: an endpoint could not be bound).
 */
pl_broker_t *pl_broker_new(uv_loop_t *loop, void *zctx, pl_store_t *store,
                           const pl_config_t *cfg, const char *ingest, const char *publish,
                           pl_err_t *err);

/* pl_broker_start: starts taking requests. */
void pl_broker_start(pl_broker_t *broker);

/* pl_broker_set_config: new requests use cfg from now on (borrows it). */
void pl_broker_set_config(pl_broker_t *broker, const pl_config_t *cfg);

/*
 * pl_broker_reload_fn: re-reads the configuration for the "reload" op.
 * Returns 0 when the new configuration is in force (it calls
 * pl_broker_set_config), or non-zero with the errors in errs and nothing
 * changed.
 */
typedef int (*pl_broker_reload_fn)(void *arg, pl_errlist_t *errs);

/* pl_broker_set_escalator: lets submits and case operations schedule their
 * deadlines and nudge the outbox (borrows it). */
typedef struct pl_escalator pl_escalator_t;
void pl_broker_set_escalator(pl_broker_t *broker, pl_escalator_t *escalator);

/* pl_broker_publish: sends one notification on the PUB socket: the topic
 * frame, then the payload frame. Never blocks. */
void pl_broker_publish(pl_broker_t *broker, const char *topic, const char *payload);

/* pl_broker_set_reload: enables the "reload" op. */
void pl_broker_set_reload(pl_broker_t *broker, pl_broker_reload_fn fn, void *arg);

/*
 * pl_broker_drain: stops taking requests and calls done(arg) once every
 * accepted request has been answered.
 */
void pl_broker_drain(pl_broker_t *broker, void (*done)(void *arg), void *arg);

/*
 * pl_broker_close: closes handles and sockets (replies already queued in
 * libzmq are still sent, within the linger time), frees the broker, then
 * calls on_closed(arg). Close the store first: the requests it still holds
 * are then answered "unavailable" while the sockets are still open.
 */
void pl_broker_close(pl_broker_t *broker, void (*on_closed)(void *arg), void *arg);

/* pl_broker_outstanding: requests accepted and not yet answered. */
size_t pl_broker_outstanding(const pl_broker_t *broker);

#endif
