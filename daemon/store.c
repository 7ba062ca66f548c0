#include "daemon/store.h"

#include "common/pl_err.h"
#include "common/pl_log.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Batches sent and not yet answered; two keep the server busy while the
 * daemon reads the first one's results, more only shrink the batches. */
#define S_MAX_INFLIGHT 2
/* Attempts of one job against transient errors (deadlock, serialization). */
#define S_MAX_ATTEMPTS 5

/*
 * The statements the store prepares on every connection: all SQL of the
 * daemon is here (and in sql/).
 */
static const struct {
    const char *name;
    const char *sql;
    int nparams;
} s_statements[] = {
    {"pl_submit",
     "SELECT case_no, duplicate, (extract(epoch FROM next_fire_at) * 1000000)::bigint "
     "FROM pl_submit($1::jsonb, $2::jsonb, $3, $4::integer, $5)",
     5},
    {"pl_dead_letter",
     "INSERT INTO dead_letters (peer, raw, raw_size, code, field, message) "
     "VALUES ($1, $2::bytea, $3::integer, $4, $5, $6)",
     6},
    {"pl_get_case", "SELECT pl_case_json($1)::text", 1},
    /* The escalation timer and the notifier (daemon/escalator.c). */
    {"pl_fire_due",
     "SELECT outbox_id, topic, payload::text, "
     "(extract(epoch FROM next_fire_at) * 1000000)::bigint "
     "FROM pl_fire_due(to_timestamp($1::double precision / 1000000), $2::integer)",
     2},
    /* Keyset pages, so a million pending deadlines never sit in memory
     * twice (libpq's result and the copy) all at once. */
    {"pl_schedule",
     "SELECT (extract(epoch FROM next_fire_at) * 1000000)::bigint, id FROM deadlines "
     "WHERE next_fire_at IS NOT NULL AND id > $1::bigint ORDER BY id LIMIT $2::integer",
     2},
    {"pl_next_fire",
     "SELECT (extract(epoch FROM min(next_fire_at)) * 1000000)::bigint FROM deadlines "
     "WHERE next_fire_at IS NOT NULL",
     0},
    {"pl_outbox_take",
     "SELECT id, topic, payload::text, deliveries FROM pl_outbox_take($1::integer, $2::jsonb)",
     2},
    /* Notification delivery (daemon/deliver.c). */
    {"pl_delivery_take",
     "SELECT id, attempts, topic, key, payload::text FROM "
     "pl_delivery_take($1, to_timestamp($2::double precision / 1000000), $3::integer, "
     "$4::interval)",
     4},
    {"pl_delivery_done",
     "SELECT pl_delivery_done($1::bigint, $2, $3, to_timestamp($4::double precision / 1000000), "
     "$5::integer)",
     5},
    /* Case operations (broker). */
    {"pl_case_op", "SELECT pl_case_op($1, $2, $3, $4::jsonb)::text", 4},
    {"pl_overdue", "SELECT pl_overdue($1::integer)::text", 1},
    {"pl_case_list", "SELECT pl_case_list($1::jsonb, $2::integer, $3::integer)::text", 3},
    {"pl_case_brief",
     "SELECT kind, category, severity, responsibility FROM pl_case_brief($1)", 1},
    {"pl_paused_deadlines",
     "SELECT name, clock, calendar, due_us, paused_us FROM pl_paused_deadlines($1)", 1},
};

typedef enum { S_JOB_SUBMIT, S_JOB_DEAD_LETTER, S_JOB_GET_CASE, S_JOB_EXEC } s_job_kind_t;

typedef struct s_job {
    struct s_job *next;
    s_job_kind_t kind;
    char *text; /* event JSON, or case number */
    char *decision; /* classification and route JSON of a submit */
    char *case_template;
    char *timezone;
    int case_width;
    /* dead letters */
    char *peer, *raw, *code, *field, *message;
    size_t raw_len, raw_size;
    /* generic statements */
    int stmt;
    int write;
    int nparams;
    char *params[8];
    pl_store_rows_t rows;
    pl_store_rows_cb rows_cb;
    /* completion */
    pl_store_submit_cb submit_cb;
    pl_store_read_cb read_cb;
    void *ctx;
    /* result, delivered after the batch commits */
    char *result;
    int duplicate;
    int64_t next_fire;
    int found;
    int attempts;
    int alone; /* retry in a transaction of its own */
} s_job_t;

typedef struct s_batch {
    struct s_batch *next;
    s_job_t **jobs;
    size_t count;
    int in_txn;
    int committed;
    int failed;
    int failed_job; /* index of the job whose statement failed, -1 if none */
    char sqlstate[6];
    char error[256];
} s_batch_t;

/* One entry per command sent: results come back in this order. */
typedef enum {
    S_OP_PREPARE,
    S_OP_BEGIN,
    S_OP_JOB,
    S_OP_COMMIT,
    S_OP_ROLLBACK,
    S_OP_SYNC
} s_op_kind_t;

/* s_op_t.index of a SYNC without a batch: what it closes. */
enum { S_SYNC_PREPARE = 0, S_SYNC_ROLLBACK = 1 };

typedef struct s_op {
    s_op_kind_t kind;
    s_batch_t *batch; /* NULL for PREPARE and the set-up SYNC */
    int index;        /* job index in batch for S_OP_JOB */
} s_op_t;

typedef enum { S_DOWN, S_CONNECTING, S_PREPARING, S_READY, S_CLOSED } s_state_t;

typedef struct s_poll {
    uv_poll_t handle;
    int fd;
    struct pl_store *store;
} s_poll_t;

struct pl_store {
    uv_loop_t *loop;
    uv_timer_t timer;
    s_poll_t *poll;
    PGconn *conn;
    s_state_t state;
    int want_write;
    long backoff_ms;
    int reconnect_max_ms;
    char *conninfo;
    char *case_template;
    char *timezone;
    int case_width;
    int batch_max;
    int queue_max;

    s_job_t *head, *tail;
    size_t queued;
    size_t inflight_jobs;
    s_batch_t *batches_head, *batches_tail;
    size_t inflight_batches;

    s_op_t *ops; /* ring */
    size_t ops_cap, ops_head, ops_count;

    void (*drained_cb)(void *);
    void *drained_arg;
    void (*closed_cb)(void *);
    void *closed_arg;
    int pending_closes;
};

static void s_connect(pl_store_t *store);
static void s_flush(pl_store_t *store);
static void s_on_poll(uv_poll_t *handle, int status, int events);

/* ---- jobs and the queue ------------------------------------------------- */

static void s_rows_clear(pl_store_rows_t *rows)
{
    if (rows->cells) {
        for (size_t i = 0; i < rows->count * rows->columns; i++) {
            free(rows->cells[i]);
        }
        free(rows->cells);
    }
    memset(rows, 0, sizeof *rows);
}

/* Copies a result's text cells (NULL stays NULL); 0 or PL_ENOMEM. */
static int s_rows_copy(pl_store_rows_t *rows, PGresult *res)
{
    s_rows_clear(rows);
    size_t n = (size_t)PQntuples(res), m = (size_t)PQnfields(res);
    if (n == 0 || m == 0) {
        rows->columns = m;
        return 0;
    }
    rows->cells = calloc(n * m, sizeof *rows->cells);
    if (!rows->cells) {
        return PL_ENOMEM;
    }
    rows->count = n;
    rows->columns = m;
    for (size_t r = 0; r < n; r++) {
        for (size_t c = 0; c < m; c++) {
            if (!PQgetisnull(res, (int)r, (int)c)) {
                rows->cells[r * m + c] = strdup(PQgetvalue(res, (int)r, (int)c));
                if (!rows->cells[r * m + c]) {
                    return PL_ENOMEM;
                }
            }
        }
    }
    return 0;
}

static void s_job_free(s_job_t *job)
{
    free(job->text);
    free(job->decision);
    free(job->case_template);
    free(job->timezone);
    free(job->peer);
    free(job->raw);
    free(job->code);
    free(job->field);
    free(job->message);
    free(job->result);
    for (int i = 0; i < job->nparams; i++) {
        free(job->params[i]);
    }
    s_rows_clear(&job->rows);
    free(job);
}

static void s_queue_push(pl_store_t *store, s_job_t *job)
{
    job->next = NULL;
    if (store->tail) {
        store->tail->next = job;
    } else {
        store->head = job;
    }
    store->tail = job;
    store->queued++;
}

static void s_queue_push_front(pl_store_t *store, s_job_t *job)
{
    job->next = store->head;
    store->head = job;
    if (!store->tail) {
        store->tail = job;
    }
    store->queued++;
}

static s_job_t *s_queue_pop(pl_store_t *store)
{
    s_job_t *job = store->head;
    if (job) {
        store->head = job->next;
        if (!store->head) {
            store->tail = NULL;
        }
        job->next = NULL;
        store->queued--;
    }
    return job;
}

/* Delivers a final outcome to the job's owner and frees the job. */
static void s_job_finish(s_job_t *job, int status, const char *message)
{
    switch (job->kind) {
    case S_JOB_SUBMIT:
        if (job->submit_cb) {
            job->submit_cb(job->ctx, status, status == 0 ? job->result : NULL, job->duplicate,
                           status == 0 ? job->next_fire : 0, message);
        }
        break;
    case S_JOB_GET_CASE:
        if (job->read_cb) {
            if (status == 0 && !job->found) {
                job->read_cb(job->ctx, PL_ENOENT, NULL, "no such case");
            } else {
                job->read_cb(job->ctx, status, status == 0 ? job->result : NULL, message);
            }
        }
        break;
    case S_JOB_EXEC:
        if (job->rows_cb) {
            job->rows_cb(job->ctx, status, status == 0 ? &job->rows : NULL, message);
        }
        break;
    case S_JOB_DEAD_LETTER:
        if (status != 0) {
            pl_log(PL_LOG_ERROR, "store", "could not keep dead letter code=%s: %s", job->code,
                   message ? message : "");
        }
        break;
    }
    s_job_free(job);
}

static void s_check_drained(pl_store_t *store)
{
    if (store->drained_cb && store->queued == 0 && store->inflight_jobs == 0) {
        void (*cb)(void *) = store->drained_cb;
        store->drained_cb = NULL;
        cb(store->drained_arg);
    }
}

/* ---- the ring of commands awaiting results ------------------------------- */

static int s_ops_push(pl_store_t *store, s_op_kind_t kind, s_batch_t *batch, int index)
{
    if (store->ops_count == store->ops_cap) {
        size_t cap = store->ops_cap ? store->ops_cap * 2 : 256;
        s_op_t *ops = malloc(cap * sizeof *ops);
        if (!ops) {
            return PL_ENOMEM;
        }
        for (size_t i = 0; i < store->ops_count; i++) {
            ops[i] = store->ops[(store->ops_head + i) % store->ops_cap];
        }
        free(store->ops);
        store->ops = ops;
        store->ops_cap = cap;
        store->ops_head = 0;
    }
    store->ops[(store->ops_head + store->ops_count) % store->ops_cap] =
        (s_op_t){.kind = kind, .batch = batch, .index = index};
    store->ops_count++;
    return 0;
}

static s_op_t *s_ops_front(pl_store_t *store)
{
    return store->ops_count ? &store->ops[store->ops_head] : NULL;
}

static void s_ops_pop(pl_store_t *store)
{
    store->ops_head = (store->ops_head + 1) % store->ops_cap;
    store->ops_count--;
}

/* ---- connection --------------------------------------------------------- */

static void s_on_poll_closed(uv_handle_t *handle)
{
    s_poll_t *poll = handle->data;
    free(poll);
}

static void s_poll_close(pl_store_t *store)
{
    if (store->poll) {
        uv_close((uv_handle_t *)&store->poll->handle, s_on_poll_closed);
        store->poll = NULL;
    }
}

/* Watches the connection's socket for `events`, following socket changes. */
static int s_poll_set(pl_store_t *store, int events)
{
    int fd = PQsocket(store->conn);
    if (fd < 0) {
        return PL_EIO;
    }
    if (store->poll && store->poll->fd != fd) {
        s_poll_close(store);
    }
    if (!store->poll) {
        s_poll_t *poll = calloc(1, sizeof *poll);
        if (!poll) {
            return PL_ENOMEM;
        }
        if (uv_poll_init(store->loop, &poll->handle, fd) != 0) {
            free(poll);
            return PL_EIO;
        }
        poll->fd = fd;
        poll->store = store;
        poll->handle.data = poll;
        store->poll = poll;
    }
    uv_poll_start(&store->poll->handle, events, s_on_poll);
    return 0;
}

static void s_on_timer(uv_timer_t *timer)
{
    s_connect(timer->data);
}

/*
 * Drops the connection. Nothing in flight was acknowledged, so every job of
 * every unanswered batch goes back to the head of the queue, in order.
 */
static void s_disconnect(pl_store_t *store, const char *why)
{
    s_batch_t *batches = store->batches_head;
    store->batches_head = store->batches_tail = NULL;
    store->inflight_batches = 0;
    store->inflight_jobs = 0;
    store->ops_count = 0;
    store->ops_head = 0;

    /* Requeue from the last job of the last batch, so order is kept. */
    s_batch_t *reversed = NULL;
    while (batches) {
        s_batch_t *next = batches->next;
        batches->next = reversed;
        reversed = batches;
        batches = next;
    }
    size_t requeued = 0;
    while (reversed) {
        s_batch_t *next = reversed->next;
        for (size_t i = reversed->count; i-- > 0;) {
            s_job_t *job = reversed->jobs[i];
            free(job->result);
            job->result = NULL;
            job->found = 0;
            s_rows_clear(&job->rows);
            s_queue_push_front(store, job);
            requeued++;
        }
        free(reversed->jobs);
        free(reversed);
        reversed = next;
    }

    s_poll_close(store);
    if (store->conn) {
        PQfinish(store->conn);
        store->conn = NULL;
    }
    if (store->state == S_CLOSED) {
        return;
    }
    int was_ready = store->state == S_READY;
    store->state = S_DOWN;
    store->want_write = 0;
    if (was_ready) {
        pl_log(PL_LOG_WARN, "store", "lost database connection: %s; %zu jobs wait, retrying", why,
               store->queued);
    } else if (store->backoff_ms >= store->reconnect_max_ms) {
        pl_log(PL_LOG_WARN, "store", "database unreachable: %s; %zu jobs wait, retry in %ld ms",
               why, store->queued, store->backoff_ms);
    } else {
        pl_log(PL_LOG_DEBUG, "store", "database connection failed: %s; retry in %ld ms", why,
               store->backoff_ms);
    }
    uv_timer_start(&store->timer, s_on_timer, (uint64_t)store->backoff_ms, 0);
    store->backoff_ms *= 2;
    if (store->backoff_ms > store->reconnect_max_ms) {
        store->backoff_ms = store->reconnect_max_ms;
    }
}

static void s_disconnect_conn_error(pl_store_t *store)
{
    char why[256];
    snprintf(why, sizeof why, "%s", store->conn ? PQerrorMessage(store->conn) : "no connection");
    why[strcspn(why, "\n")] = '\0';
    s_disconnect(store, why[0] ? why : "connection closed");
}

static void s_update_poll(pl_store_t *store)
{
    int events = UV_READABLE | (store->want_write ? UV_WRITABLE : 0);
    if (s_poll_set(store, events) != 0) {
        s_disconnect(store, "cannot watch the database socket");
    }
}

/* Sends what libpq buffered; keeps UV_WRITABLE on while it could not. */
static int s_send_buffered(pl_store_t *store)
{
    int rc = PQflush(store->conn);
    if (rc < 0) {
        s_disconnect_conn_error(store);
        return -1;
    }
    int want_write = rc == 1;
    if (want_write != store->want_write) {
        store->want_write = want_write;
        s_update_poll(store);
    }
    return 0;
}

static void s_start_preparing(pl_store_t *store)
{
    if (PQsetnonblocking(store->conn, 1) != 0 || PQenterPipelineMode(store->conn) != 1) {
        s_disconnect_conn_error(store);
        return;
    }
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++) {
        if (!PQsendPrepare(store->conn, s_statements[i].name, s_statements[i].sql,
                           s_statements[i].nparams, NULL) ||
            s_ops_push(store, S_OP_PREPARE, NULL, (int)i) != 0) {
            s_disconnect_conn_error(store);
            return;
        }
    }
    if (!PQpipelineSync(store->conn) || s_ops_push(store, S_OP_SYNC, NULL, S_SYNC_PREPARE) != 0) {
        s_disconnect_conn_error(store);
        return;
    }
    store->state = S_PREPARING;
    store->want_write = 1;
    s_update_poll(store);
    if (store->state == S_PREPARING) {
        s_send_buffered(store);
    }
}

static void s_continue_connect(pl_store_t *store)
{
    switch (PQconnectPoll(store->conn)) {
    case PGRES_POLLING_READING:
        if (s_poll_set(store, UV_READABLE) != 0) {
            s_disconnect(store, "cannot watch the database socket");
        }
        break;
    case PGRES_POLLING_WRITING:
        if (s_poll_set(store, UV_WRITABLE) != 0) {
            s_disconnect(store, "cannot watch the database socket");
        }
        break;
    case PGRES_POLLING_OK:
        s_start_preparing(store);
        break;
    default:
        s_disconnect_conn_error(store);
        break;
    }
}

static void s_connect(pl_store_t *store)
{
    if (store->state == S_CLOSED) {
        return;
    }
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *values[] = {store->conninfo, "plaintd", NULL};
    store->conn = PQconnectStartParams(keys, values, 1);
    if (!store->conn || PQstatus(store->conn) == CONNECTION_BAD) {
        s_disconnect_conn_error(store);
        return;
    }
    store->state = S_CONNECTING;
    /* libpq starts by writing the start-up packet. */
    if (s_poll_set(store, UV_WRITABLE) != 0) {
        s_disconnect(store, "cannot watch the database socket");
    }
}

/* ---- results ------------------------------------------------------------- */

static void s_batch_fail(s_batch_t *batch, PGresult *res, int job_index)
{
    if (batch->failed) {
        return;
    }
    batch->failed = 1;
    batch->failed_job = job_index;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    snprintf(batch->sqlstate, sizeof batch->sqlstate, "%s", state ? state : "");
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    snprintf(batch->error, sizeof batch->error, "%s",
             msg ? msg : PQresStatus(PQresultStatus(res)));
}

static void s_handle_result(pl_store_t *store, s_op_t *op, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    s_batch_t *batch = op->batch;
    switch (op->kind) {
    case S_OP_PREPARE:
        if (st != PGRES_COMMAND_OK) {
            pl_log(PL_LOG_ERROR, "store", "could not prepare %s: %s",
                   s_statements[op->index].name, PQresultErrorMessage(res));
            /* Marks the set-up as failed; the SYNC then disconnects. */
            store->state = S_DOWN;
        }
        break;
    case S_OP_BEGIN:
        if (st != PGRES_COMMAND_OK) {
            s_batch_fail(batch, res, -1);
        }
        break;
    case S_OP_COMMIT:
        if (st == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0) {
            batch->committed = 1;
        } else {
            s_batch_fail(batch, res, -1);
        }
        break;
    case S_OP_JOB: {
        s_job_t *job = batch->jobs[op->index];
        if (st == PGRES_TUPLES_OK && job->kind == S_JOB_EXEC) {
            if (s_rows_copy(&job->rows, res) != 0) {
                s_batch_fail(batch, res, op->index);
                snprintf(batch->error, sizeof batch->error, "out of memory");
            }
        } else if (st == PGRES_TUPLES_OK) {
            if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
                free(job->result);
                job->result = strdup(PQgetvalue(res, 0, 0));
                job->found = job->result != NULL;
                if (job->kind == S_JOB_SUBMIT && PQnfields(res) > 2) {
                    job->duplicate = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
                    job->next_fire = PQgetisnull(res, 0, 2) ? 0 : strtoll(PQgetvalue(res, 0, 2),
                                                                          NULL, 10);
                }
            }
        } else if (st != PGRES_COMMAND_OK) {
            s_batch_fail(batch, res, st == PGRES_PIPELINE_ABORTED ? -1 : op->index);
        }
        break;
    }
    case S_OP_ROLLBACK:
    case S_OP_SYNC:
        break;
    }
}

static int s_is_transient(const char *sqlstate)
{
    /* serialization_failure, deadlock_detected, lock_not_available,
     * and the admin-shutdown class that precedes a lost connection. */
    return strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
           strcmp(sqlstate, "55P03") == 0 || strcmp(sqlstate, "57014") == 0 ||
           strncmp(sqlstate, "57P", 3) == 0;
}

/* in_failed_sql_transaction: the batch ran behind one that failed, before
 * the ROLLBACK that s_send_rollback() queued; it did nothing wrong itself. */
static int s_is_collateral(const char *sqlstate)
{
    return strcmp(sqlstate, "25P02") == 0;
}

/*
 * After a failed statement in BEGIN ... COMMIT, the pipeline skips to the
 * Sync but the session stays in the aborted transaction (libpq, "Pipeline
 * Mode": explicit transactions). End it before anything else runs. Batches
 * already sent behind the failed one fail with 25P02 and are requeued.
 */
static int s_send_rollback(pl_store_t *store)
{
    if (!PQsendQueryParams(store->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) ||
        s_ops_push(store, S_OP_ROLLBACK, NULL, -1) != 0 || !PQpipelineSync(store->conn) ||
        s_ops_push(store, S_OP_SYNC, NULL, S_SYNC_ROLLBACK) != 0) {
        return PL_EDB;
    }
    return 0;
}

/* A batch's Sync came back: deliver, or retry what failed. */
static void s_batch_done(pl_store_t *store, s_batch_t *batch)
{
    store->batches_head = batch->next;
    if (!store->batches_head) {
        store->batches_tail = NULL;
    }
    store->inflight_batches--;
    store->inflight_jobs -= batch->count;

    int ok = !batch->failed && (!batch->in_txn || batch->committed);
    if (!ok && batch->in_txn && s_send_rollback(store) != 0) {
        /* The connection is failing; s_read_results notices and requeues. */
        batch->sqlstate[0] = '\0';
    }
    if (ok) {
        for (size_t i = 0; i < batch->count; i++) {
            s_job_finish(batch->jobs[i], 0, NULL);
        }
    } else if (s_is_collateral(batch->sqlstate)) {
        for (size_t i = batch->count; i-- > 0;) {
            s_queue_push_front(store, batch->jobs[i]);
        }
    } else if (batch->count > 1 && !s_is_transient(batch->sqlstate)) {
        pl_log(PL_LOG_WARN, "store",
               "batch of %zu failed (sqlstate=%s: %s); retrying each in its own transaction",
               batch->count, batch->sqlstate, batch->error);
        for (size_t i = batch->count; i-- > 0;) {
            batch->jobs[i]->alone = 1;
            s_queue_push_front(store, batch->jobs[i]);
        }
    } else {
        for (size_t i = batch->count; i-- > 0;) {
            s_job_t *job = batch->jobs[i];
            if (s_is_transient(batch->sqlstate) && ++job->attempts < S_MAX_ATTEMPTS) {
                s_queue_push_front(store, job);
            } else {
                pl_log(PL_LOG_ERROR, "store", "job failed sqlstate=%s: %s", batch->sqlstate,
                       batch->error);
                s_job_finish(job, PL_EDB, batch->error);
            }
        }
    }
    free(batch->jobs);
    free(batch);
}

static void s_read_results(pl_store_t *store)
{
    if (!store->conn) {
        return;
    }
    if (!PQconsumeInput(store->conn)) {
        s_disconnect_conn_error(store);
        return;
    }
    while (store->conn && !PQisBusy(store->conn)) {
        s_op_t *op = s_ops_front(store);
        PGresult *res = PQgetResult(store->conn);
        if (!op) {
            if (!res) {
                break;
            }
            /* A result nobody asked for (a notice of termination, say). */
            ExecStatusType st = PQresultStatus(res);
            PQclear(res);
            if (st == PGRES_FATAL_ERROR) {
                s_disconnect_conn_error(store);
                return;
            }
            continue;
        }
        if (!res) {
            /* End of one command's results. */
            if (op->kind != S_OP_SYNC) {
                s_ops_pop(store);
                continue;
            }
            break;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            if (op->kind != S_OP_SYNC) {
                s_disconnect(store, "pipeline out of step");
                return;
            }
            s_batch_t *batch = op->batch;
            int op_index = op->index;
            s_ops_pop(store);
            if (batch) {
                s_batch_done(store, batch);
            } else if (op_index == S_SYNC_ROLLBACK) {
                /* The aborted transaction is over; nothing to deliver. */
            } else if (store->state == S_PREPARING) {
                store->state = S_READY;
                store->backoff_ms = 100;
                pl_log(PL_LOG_INFO, "store", "connected to database");
            } else {
                s_disconnect(store, "could not prepare statements");
                return;
            }
            continue;
        }
        if (PQstatus(store->conn) == CONNECTION_BAD) {
            PQclear(res);
            s_disconnect_conn_error(store);
            return;
        }
        s_handle_result(store, op, res);
        PQclear(res);
    }
    if (store->conn && PQstatus(store->conn) == CONNECTION_BAD) {
        s_disconnect_conn_error(store);
        return;
    }
    /* A ROLLBACK queued above must go out even if no batch follows. */
    if (store->conn && s_send_buffered(store) != 0) {
        return;
    }
    s_check_drained(store);
    s_flush(store);
}

static void s_on_poll(uv_poll_t *handle, int status, int events)
{
    s_poll_t *poll = handle->data;
    pl_store_t *store = poll->store;
    if (store->poll != poll || !store->conn) {
        return;
    }
    if (status < 0) {
        s_disconnect(store, uv_strerror(status));
        return;
    }
    if (store->state == S_CONNECTING) {
        s_continue_connect(store);
        return;
    }
    if ((events & UV_WRITABLE) && s_send_buffered(store) != 0) {
        return;
    }
    if (events & UV_READABLE) {
        s_read_results(store);
    }
}

/* ---- sending batches ---------------------------------------------------- */

static int s_send_job(pl_store_t *store, s_job_t *job)
{
    switch (job->kind) {
    case S_JOB_SUBMIT: {
        char width[16];
        snprintf(width, sizeof width, "%d", job->case_width);
        const char *values[] = {job->text, job->decision, job->case_template, width,
                                job->timezone};
        return PQsendQueryPrepared(store->conn, "pl_submit", 5, values, NULL, NULL, 0) ? 0
                                                                                        : PL_EDB;
    }
    case S_JOB_DEAD_LETTER: {
        char size[24];
        snprintf(size, sizeof size, "%zu", job->raw_size);
        const char *values[] = {job->peer, job->raw, size, job->code, job->field, job->message};
        int lengths[] = {0, (int)job->raw_len, 0, 0, 0, 0};
        int formats[] = {0, 1, 0, 0, 0, 0};
        return PQsendQueryPrepared(store->conn, "pl_dead_letter", 6, values, lengths, formats, 0)
                   ? 0
                   : PL_EDB;
    }
    case S_JOB_EXEC:
        return PQsendQueryPrepared(store->conn, s_statements[job->stmt].name, job->nparams,
                                   (const char *const *)job->params, NULL, NULL, 0)
                   ? 0
                   : PL_EDB;
    case S_JOB_GET_CASE: {
        const char *values[] = {job->text};
        return PQsendQueryPrepared(store->conn, "pl_get_case", 1, values, NULL, NULL, 0) ? 0
                                                                                          : PL_EDB;
    }
    }
    return PL_EINVAL;
}

static int s_send_plain(pl_store_t *store, const char *sql)
{
    return PQsendQueryParams(store->conn, sql, 0, NULL, NULL, NULL, NULL, 0) ? 0 : PL_EDB;
}

static int s_job_is_read(const s_job_t *job)
{
    return job->kind == S_JOB_GET_CASE || (job->kind == S_JOB_EXEC && !job->write);
}

/*
 * Takes the queue's head as one batch: writes (submits, dead letters) go in
 * one transaction, reads in a batch of their own without one.
 */
static s_batch_t *s_take_batch(pl_store_t *store)
{
    s_batch_t *batch = calloc(1, sizeof *batch);
    size_t cap = (size_t)store->batch_max;
    if (batch) {
        batch->jobs = malloc(cap * sizeof *batch->jobs);
    }
    if (!batch || !batch->jobs) {
        free(batch);
        return NULL;
    }
    batch->failed_job = -1;
    int reads = s_job_is_read(store->head);
    batch->in_txn = !reads;
    while (store->head && batch->count < cap) {
        s_job_t *job = store->head;
        if (s_job_is_read(job) != reads) {
            break;
        }
        if (batch->count > 0 && job->alone) {
            break;
        }
        batch->jobs[batch->count++] = s_queue_pop(store);
        if (job->alone) {
            break;
        }
    }
    return batch;
}

static void s_flush(pl_store_t *store)
{
    while (store->state == S_READY && store->head && store->inflight_batches < S_MAX_INFLIGHT) {
        s_batch_t *batch = s_take_batch(store);
        if (!batch) {
            pl_log(PL_LOG_ERROR, "store", "out of memory building a batch");
            return;
        }
        /* In flight from here on, so a failure below requeues its jobs. */
        if (store->batches_tail) {
            store->batches_tail->next = batch;
        } else {
            store->batches_head = batch;
        }
        store->batches_tail = batch;
        store->inflight_batches++;
        store->inflight_jobs += batch->count;

        int rc = 0;
        if (batch->in_txn) {
            rc = s_send_plain(store, "BEGIN");
            if (rc == 0) {
                rc = s_ops_push(store, S_OP_BEGIN, batch, -1);
            }
        }
        for (size_t i = 0; rc == 0 && i < batch->count; i++) {
            rc = s_send_job(store, batch->jobs[i]);
            if (rc == 0) {
                rc = s_ops_push(store, S_OP_JOB, batch, (int)i);
            }
        }
        if (rc == 0 && batch->in_txn) {
            rc = s_send_plain(store, "COMMIT");
            if (rc == 0) {
                rc = s_ops_push(store, S_OP_COMMIT, batch, -1);
            }
        }
        if (rc == 0) {
            rc = PQpipelineSync(store->conn) ? 0 : PL_EDB;
            if (rc == 0) {
                rc = s_ops_push(store, S_OP_SYNC, batch, -1);
            }
        }
        if (rc != 0) {
            s_disconnect_conn_error(store);
            return;
        }
        if (s_send_buffered(store) != 0) {
            return;
        }
    }
}

/* ---- public ------------------------------------------------------------- */

pl_store_t *pl_store_new(uv_loop_t *loop, const pl_store_opts_t *opts)
{
    pl_store_t *store = calloc(1, sizeof *store);
    if (!store) {
        return NULL;
    }
    store->loop = loop;
    store->conninfo = strdup(opts->conninfo);
    store->batch_max = opts->batch_max > 0 ? opts->batch_max : 128;
    store->queue_max = opts->queue_max > 0 ? opts->queue_max : 20000;
    store->reconnect_max_ms = opts->reconnect_max_ms > 0 ? opts->reconnect_max_ms : 5000;
    store->backoff_ms = 100;
    if (!store->conninfo || pl_store_set_case_format(store, opts->case_template, opts->case_width,
                                                     opts->timezone) != 0) {
        free(store->conninfo);
        free(store->case_template);
        free(store->timezone);
        free(store);
        return NULL;
    }
    uv_timer_init(loop, &store->timer);
    store->timer.data = store;
    return store;
}

void pl_store_start(pl_store_t *store)
{
    s_connect(store);
}

int pl_store_set_case_format(pl_store_t *store, const char *case_template, int case_width,
                             const char *zone)
{
    char *tpl = strdup(case_template);
    char *tz = strdup(zone);
    if (!tpl || !tz) {
        free(tpl);
        free(tz);
        return PL_ENOMEM;
    }
    free(store->case_template);
    free(store->timezone);
    store->case_template = tpl;
    store->timezone = tz;
    store->case_width = case_width;
    return 0;
}

static int s_admit(pl_store_t *store)
{
    if (store->state == S_CLOSED || store->queued >= (size_t)store->queue_max) {
        return PL_EAGAIN;
    }
    return 0;
}

static void s_enqueue(pl_store_t *store, s_job_t *job)
{
    s_queue_push(store, job);
    s_flush(store);
}

int pl_store_submit(pl_store_t *store, char **event_json, char **decision_json,
                    pl_store_submit_cb cb, void *ctx)
{
    int rc = s_admit(store);
    s_job_t *job = rc == 0 ? calloc(1, sizeof *job) : NULL;
    if (rc == 0 && job) {
        job->kind = S_JOB_SUBMIT;
        job->text = *event_json;
        job->decision = *decision_json;
        *event_json = NULL;
        *decision_json = NULL;
        job->case_template = strdup(store->case_template);
        job->timezone = strdup(store->timezone);
        job->case_width = store->case_width;
        job->submit_cb = cb;
        job->ctx = ctx;
        if (job->case_template && job->timezone) {
            s_enqueue(store, job);
            return 0;
        }
        s_job_free(job);
        return PL_ENOMEM;
    }
    free(*event_json);
    free(*decision_json);
    *event_json = NULL;
    *decision_json = NULL;
    return rc ? rc : PL_ENOMEM;
}

int pl_store_get_case(pl_store_t *store, const char *case_no, pl_store_read_cb cb, void *ctx)
{
    int rc = s_admit(store);
    if (rc) {
        return rc;
    }
    s_job_t *job = calloc(1, sizeof *job);
    if (!job || !(job->text = strdup(case_no))) {
        free(job);
        return PL_ENOMEM;
    }
    job->kind = S_JOB_GET_CASE;
    job->read_cb = cb;
    job->ctx = ctx;
    s_enqueue(store, job);
    return 0;
}

int pl_store_exec(pl_store_t *store, const char *statement, int nparams,
                  const char *const *params, int write, pl_store_rows_cb cb, void *ctx)
{
    int stmt = -1;
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++) {
        if (strcmp(s_statements[i].name, statement) == 0) {
            stmt = (int)i;
        }
    }
    if (stmt < 0 || nparams != s_statements[stmt].nparams || nparams > 8) {
        return PL_EINVAL;
    }
    int rc = s_admit(store);
    if (rc) {
        return rc;
    }
    s_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        return PL_ENOMEM;
    }
    job->kind = S_JOB_EXEC;
    job->stmt = stmt;
    job->write = write;
    job->rows_cb = cb;
    job->ctx = ctx;
    for (int i = 0; i < nparams; i++) {
        job->params[i] = params[i] ? strdup(params[i]) : NULL;
        job->nparams = i + 1;
        if (params[i] && !job->params[i]) {
            s_job_free(job);
            return PL_ENOMEM;
        }
    }
    s_enqueue(store, job);
    return 0;
}

static char *s_dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int pl_store_dead_letter(pl_store_t *store, const char *peer, const void *raw, size_t raw_len,
                         size_t raw_size, const char *code, const char *field,
                         const char *message)
{
    int rc = s_admit(store);
    if (rc) {
        return rc;
    }
    s_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        return PL_ENOMEM;
    }
    job->kind = S_JOB_DEAD_LETTER;
    job->peer = s_dup_or_null(peer);
    job->raw = malloc(raw_len ? raw_len : 1);
    job->raw_len = raw_len;
    job->raw_size = raw_size;
    job->code = strdup(code);
    job->field = field && field[0] ? strdup(field) : NULL;
    job->message = strdup(message);
    if (!job->raw || !job->code || !job->message || (peer && !job->peer)) {
        s_job_free(job);
        return PL_ENOMEM;
    }
    if (raw_len) {
        memcpy(job->raw, raw, raw_len);
    }
    s_enqueue(store, job);
    return 0;
}

int pl_store_is_up(const pl_store_t *store)
{
    return store->state == S_READY;
}

size_t pl_store_pending(const pl_store_t *store)
{
    return store->queued + store->inflight_jobs;
}

void pl_store_on_drained(pl_store_t *store, void (*cb)(void *arg), void *arg)
{
    store->drained_cb = cb;
    store->drained_arg = arg;
    s_check_drained(store);
}

static void s_on_timer_closed(uv_handle_t *handle)
{
    pl_store_t *store = handle->data;
    void (*cb)(void *) = store->closed_cb;
    void *arg = store->closed_arg;
    free(store->ops);
    free(store->conninfo);
    free(store->case_template);
    free(store->timezone);
    free(store);
    if (cb) {
        cb(arg);
    }
}

void pl_store_close(pl_store_t *store, void (*on_closed)(void *arg), void *arg)
{
    /* Put in-flight jobs back in the queue, then fail them all. */
    store->state = S_CLOSED;
    s_disconnect(store, "closing");
    store->drained_cb = NULL;
    uv_timer_stop(&store->timer);
    s_job_t *job;
    while ((job = s_queue_pop(store)) != NULL) {
        s_job_finish(job, PL_EAGAIN, "plaintd is shutting down");
    }
    store->closed_cb = on_closed;
    store->closed_arg = arg;
    uv_close((uv_handle_t *)&store->timer, s_on_timer_closed);
}
