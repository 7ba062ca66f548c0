/*
 * notifier: the worker that delivers notifications to webhooks and e-mail
 * (issue 4, DESIGN.md "notifier"). It is a thread that owns its outside
 * I/O: one libcurl multi handle runs every attempt at once without
 * blocking anybody else, so a slow or dead sink holds only its own
 * attempts, never ingest.
 *
 * It never touches the database. The daemon's deliverer (daemon/deliver.c)
 * takes due deliveries from PostgreSQL, sends each as a job over an
 * inproc PAIR socket, and gets the same job back with its outcome on the
 * same socket, then records it. One job is one attempt of one delivery.
 *
 * Jobs travel as pointers (the socket is inproc): the sender gives up the
 * job until it comes back.
 */
#ifndef PL_NOTIFIER_H
#define PL_NOTIFIER_H

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/notify.h"
#include "config/rules.h"
#include "workers/notify_render.h"

#include <jansson.h>
#include <stdint.h>

typedef struct pl_notify_job {
    /* Filled by the sender. */
    int64_t delivery_id;
    int attempt;                    /* 1 for the first */
    char *sink_id;                  /* owned */
    char *topic;                    /* owned */
    char *key;                      /* the outbox idempotency key, owned */
    json_t *payload;                /* owned reference */
    const pl_notify_config_t *cfg;  /* one reference, owned */
    const pl_rules_t *rules;        /* one reference, owned (the directory) */
    /* Filled by the notifier. */
    pl_delivery_outcome_t outcome;
    long response_code; /* HTTP status or SMTP reply code; 0 if none */
    char error[256];    /* why it failed ("" when delivered); no URL, no secret */
    pl_usec_t took;     /* microseconds the attempt took */
} pl_notify_job_t;

/* pl_notify_job_destroy: frees the job and drops its references; accepts
 * NULL and a pointer to NULL; sets *job_p to NULL. */
void pl_notify_job_destroy(pl_notify_job_t **job_p);

typedef struct pl_notifier pl_notifier_t;

/*
 * pl_notifier_start: initialises libcurl (call from the main thread before
 * other threads use libcurl), creates a PAIR socket in `zctx` connected to
 * `endpoint` (the daemon's bound PAIR; inproc://...) and starts the thread.
 * Returns the notifier or NULL with `err` filled.
 */
pl_notifier_t *pl_notifier_start(void *zctx, const char *endpoint, pl_err_t *err);

/* pl_notifier_wakeup: a job was sent; thread-safe, cheap. */
void pl_notifier_wakeup(pl_notifier_t *notifier);

/*
 * pl_notifier_stop: stops the thread (attempts in flight are abandoned and
 * their jobs freed without an answer: their deliveries are attempted again
 * when their lease ends), closes its socket, frees it and sets *notifier_p
 * to NULL. Jobs still queued on the socket are freed too. Accepts NULL.
 */
void pl_notifier_stop(pl_notifier_t **notifier_p);

#endif
