/*
 * store: every SQL statement of plaintd, run over libpq's asynchronous
 * pipeline mode on the libuv loop, never blocking it.
 *
 * Work is queued as jobs. Whenever fewer than two batches are in flight the
 * store takes the queue's head and sends it as one batch: the writes of up to
 * batch_max jobs between BEGIN and COMMIT, then a Sync (group commit). A job's
 * callback runs only after its batch's COMMIT succeeded. A batch that fails
 * is retried one job per transaction, so one bad job cannot sink the others.
 * When the connection is lost, nothing in flight is acknowledged: the jobs go
 * back to the head of the queue and run again after reconnecting (submits are
 * idempotent, so a batch whose COMMIT reply was lost is harmless to repeat).
 */
#ifndef PL_STORE_H
#define PL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct pl_store pl_store_t;

typedef struct pl_store_opts {
    const char *conninfo;      /* libpq conninfo or URI */
    const char *case_template; /* case number with {year} and {seq} */
    int case_width;            /* zero-padding of {seq} */
    const char *timezone;      /* IANA zone whose local year numbers cases */
    int batch_max;             /* most jobs per transaction */
    int queue_max;             /* most queued jobs; more are refused */
    int reconnect_max_ms;      /* back-off cap */
} pl_store_opts_t;

/*
 * Result of a submit: status 0 with the case number, whether the event
 * was known already, and when the case's earliest deadline needs the
 * escalation timer (microseconds since the epoch, 0 = none); or PL_EDB (the database refused this job; `message`
 * says why) or PL_EAGAIN (the store closed before the job ran). `case_no`
 * and `message` are valid during the call only.
 */
typedef void (*pl_store_submit_cb)(void *ctx, int status, const char *case_no, int duplicate,
                                   int64_t next_fire_usec, const char *message);

/*
 * Result of a read: status 0 with `json` (valid during the call), PL_ENOENT
 * when no row matched, PL_EDB or PL_EAGAIN as above.
 */
typedef void (*pl_store_read_cb)(void *ctx, int status, const char *json, const char *message);

/* pl_store_new: returns a new store (caller closes it), or NULL. Copies opts. */
pl_store_t *pl_store_new(uv_loop_t *loop, const pl_store_opts_t *opts);

/* pl_store_start: starts connecting; jobs queue until the connection is up. */
void pl_store_start(pl_store_t *store);

/*
 * pl_store_submit: queues the storing of one normalized event (JSON text)
 * with its decision (the classifier's and router's result as JSON: kind,
 * category, severity, tags, department, assignee, strategy, candidates,
 * inform, rule, rules_version, matched_rules; sql/functions.sql: pl_submit). Takes ownership of
 * *event_json and *decision_json and nulls them. Returns 0, or PL_EAGAIN
 * when the queue is full or the store is closing (then cb is never invoked
 * and the texts are freed), or PL_ENOMEM.
 */
int pl_store_submit(pl_store_t *store, char **event_json, char **decision_json,
                    pl_store_submit_cb cb, void *ctx);

/* pl_store_get_case: queues a read of one case as JSON. Errors as above. */
int pl_store_get_case(pl_store_t *store, const char *case_no, pl_store_read_cb cb, void *ctx);

/*
 * pl_store_dead_letter: queues the keeping of a refused request: its bytes
 * (`raw_len` of them, cut from a request of `raw_size`), the peer's address
 * and the error. Borrows every argument. Returns 0, PL_EAGAIN or PL_ENOMEM.
 */
int pl_store_dead_letter(pl_store_t *store, const char *peer, const void *raw, size_t raw_len,
                         size_t raw_size, const char *code, const char *field,
                         const char *message);

/* Rows of a statement's result as text, row-major; a NULL cell is SQL NULL.
 * Valid during the callback only. */
typedef struct pl_store_rows {
    size_t count;   /* rows */
    size_t columns;
    char **cells;   /* cells[row * columns + column] */
} pl_store_rows_t;

/* Result of pl_store_exec: status 0 with rows, or PL_EDB / PL_EAGAIN as
 * for submits (rows NULL). */
typedef void (*pl_store_rows_cb)(void *ctx, int status, const pl_store_rows_t *rows,
                                 const char *message);

/*
 * pl_store_exec: queues one of the store's named statements (listed in
 * store.c with every other SQL of the daemon) with text parameters (copied;
 * NULL = SQL NULL). `write` puts it in a transaction batch (its callback runs
 * after COMMIT); reads go in read batches. Returns 0, PL_EINVAL (unknown
 * statement or wrong parameter count), PL_EAGAIN or PL_ENOMEM; on error cb
 * is never invoked.
 */
int pl_store_exec(pl_store_t *store, const char *statement, int nparams,
                  const char *const *params, int write, pl_store_rows_cb cb, void *ctx);

/* pl_store_set_case_format: numbering for jobs queued from now on (reload). */
int pl_store_set_case_format(pl_store_t *store, const char *case_template, int case_width,
                             const char *zone);

/* pl_store_is_up: 1 when connected and ready. */
int pl_store_is_up(const pl_store_t *store);

/* pl_store_pending: jobs queued or in flight. */
size_t pl_store_pending(const pl_store_t *store);

/*
 * pl_store_on_drained: calls cb(arg) once, as soon as no job is queued or in
 * flight (at once if none is).
 */
void pl_store_on_drained(pl_store_t *store, void (*cb)(void *arg), void *arg);

/*
 * pl_store_close: fails the jobs still queued or in flight with PL_EAGAIN,
 * disconnects, and frees the store once its handles are closed, then calls
 * on_closed(arg) if set.
 */
void pl_store_close(pl_store_t *store, void (*on_closed)(void *arg), void *arg);

#endif
