#include "daemon/escalator.h"

#include "common/pl_err.h"
#include "common/pl_log.h"
#include "common/pl_time.h"
#include "daemon/deliver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per pl_fire_due / pl_outbox_take call; a full batch asks again. */
#define S_BATCH 500
/* How often the earliest instant is re-read from the database, to learn of
 * deadlines made or changed by other daemons. */
#define S_RESYNC_MS 5000
/* Deadlines read per page while loading the schedule. */
#define S_LOAD_PAGE 50000
/* A nudge waits this long, so one outbox read serves the cases committed
 * meanwhile instead of one extra transaction per case. */
#define S_NUDGE_MS 10

struct pl_escalator {
    uv_loop_t *loop;
    uv_timer_t timer;   /* the earliest deadline */
    uv_timer_t resync;  /* periodic re-read of the earliest instant */
    uv_timer_t nudge;   /* a short delay before reading the outbox */
    int nudged;
    pl_store_t *store;
    pl_escalator_publish_fn publish;
    void *publish_arg;
    pl_deliver_t *deliver; /* routes of the outbox to sinks; NULL: none */
    int64_t *heap;
    size_t count, cap;
    int firing;       /* a pl_fire_due in flight */
    int fire_again;
    int taking;       /* a pl_outbox_take in flight */
    int take_again;
    int closing;
    int pending_closes;
    size_t loaded;
    char load_after[24]; /* keyset: the last deadline id read */
    uint64_t fired;
};

/* ---- the heap of instants ------------------------------------------------ */

static int s_push(pl_escalator_t *esc, int64_t at)
{
    if (esc->count == esc->cap) {
        size_t cap = esc->cap ? esc->cap * 2 : 1024;
        int64_t *heap = realloc(esc->heap, cap * sizeof *heap);
        if (!heap) {
            return -1;
        }
        esc->heap = heap;
        esc->cap = cap;
    }
    size_t i = esc->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (esc->heap[parent] <= at) {
            break;
        }
        esc->heap[i] = esc->heap[parent];
        i = parent;
    }
    esc->heap[i] = at;
    return 0;
}

static void s_pop(pl_escalator_t *esc)
{
    int64_t last = esc->heap[--esc->count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= esc->count) {
            break;
        }
        if (child + 1 < esc->count && esc->heap[child + 1] < esc->heap[child]) {
            child++;
        }
        if (last <= esc->heap[child]) {
            break;
        }
        esc->heap[i] = esc->heap[child];
        i = child;
    }
    if (esc->count > 0) {
        esc->heap[i] = last;
    }
}

/* ---- firing ---------------------------------------------------------------- */

static void s_fire(pl_escalator_t *esc);
static void s_take(pl_escalator_t *esc);

static void s_on_timer(uv_timer_t *timer);

static void s_arm(pl_escalator_t *esc)
{
    if (esc->closing) {
        return;
    }
    if (esc->count == 0) {
        uv_timer_stop(&esc->timer);
        return;
    }
    int64_t wait_us = esc->heap[0] - pl_now();
    uint64_t wait_ms = wait_us <= 0 ? 0 : (uint64_t)(wait_us + 999) / 1000;
    uv_timer_start(&esc->timer, s_on_timer, wait_ms, 0);
}

static void s_on_fired(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    pl_escalator_t *esc = ctx;
    esc->firing = 0;
    if (esc->closing) {
        return;
    }
    if (status != 0) {
        /* Nothing was fired (the transaction did not commit): try again soon. */
        pl_log(PL_LOG_WARN, "escalator", "could not fire due deadlines: %s",
               message ? message : pl_strerror(status));
        s_push(esc, pl_now() + 1000000);
        s_arm(esc);
        return;
    }
    for (size_t r = 0; r < rows->count; r++) {
        const char *topic = rows->cells[r * rows->columns + 1];
        const char *next = rows->cells[r * rows->columns + 3];
        esc->fired++;
        pl_log(PL_LOG_DEBUG, "escalator", "fired topic=%s", topic ? topic : "-");
        if (next) {
            s_push(esc, strtoll(next, NULL, 10));
        }
    }
    if (rows->count > 0) {
        pl_escalator_nudge(esc);
    }
    if (rows->count == S_BATCH || esc->fire_again) {
        esc->fire_again = 0;
        s_fire(esc);
        return;
    }
    s_arm(esc);
}

static void s_fire(pl_escalator_t *esc)
{
    if (esc->firing) {
        esc->fire_again = 1;
        return;
    }
    char now[32], limit[16];
    snprintf(now, sizeof now, "%" PRId64, pl_now());
    snprintf(limit, sizeof limit, "%d", S_BATCH);
    const char *params[] = {now, limit};
    if (pl_store_exec(esc->store, "pl_fire_due", 2, params, 1, s_on_fired, esc) == 0) {
        esc->firing = 1;
    } else {
        /* The store is full or closing; the resync timer comes back. */
        s_push(esc, pl_now() + 1000000);
        s_arm(esc);
    }
}

static void s_on_timer(uv_timer_t *timer)
{
    pl_escalator_t *esc = timer->data;
    int64_t now = pl_now();
    int due = 0;
    while (esc->count > 0 && esc->heap[0] <= now) {
        s_pop(esc);
        due = 1;
    }
    if (due) {
        s_fire(esc);
    } else {
        s_arm(esc);
    }
}

/* ---- the outbox ------------------------------------------------------------ */

static void s_on_taken(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    pl_escalator_t *esc = ctx;
    esc->taking = 0;
    if (esc->closing) {
        return;
    }
    if (status != 0) {
        pl_log(PL_LOG_WARN, "escalator", "could not read the outbox: %s",
               message ? message : pl_strerror(status));
        return; /* the resync timer tries again */
    }
    int queued = 0;
    for (size_t r = 0; r < rows->count; r++) {
        const char *topic = rows->cells[r * rows->columns + 1];
        const char *payload = rows->cells[r * rows->columns + 2];
        const char *deliveries = rows->cells[r * rows->columns + 3];
        if (topic && payload) {
            esc->publish(esc->publish_arg, topic, payload);
        }
        queued |= deliveries && strcmp(deliveries, "0") != 0;
    }
    if (queued && esc->deliver) {
        pl_deliver_nudge(esc->deliver);
    }
    if (rows->count == S_BATCH || esc->take_again) {
        esc->take_again = 0;
        s_take(esc);
    }
}

static void s_take(pl_escalator_t *esc)
{
    if (esc->taking) {
        esc->take_again = 1;
        return;
    }
    char limit[16];
    snprintf(limit, sizeof limit, "%d", S_BATCH);
    const char *params[] = {limit, esc->deliver ? pl_deliver_routes(esc->deliver) : "{}"};
    if (pl_store_exec(esc->store, "pl_outbox_take", 2, params, 1, s_on_taken, esc) == 0) {
        esc->taking = 1;
    }
}

static void s_on_nudge(uv_timer_t *timer)
{
    pl_escalator_t *esc = timer->data;
    esc->nudged = 0;
    s_take(esc);
}

void pl_escalator_nudge(pl_escalator_t *esc)
{
    if (!esc->closing && !esc->nudged) {
        esc->nudged = 1;
        uv_timer_start(&esc->nudge, s_on_nudge, S_NUDGE_MS, 0);
    }
}

/* ---- loading and resync ------------------------------------------------------ */

static void s_load_page(pl_escalator_t *esc);

static void s_on_schedule(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    pl_escalator_t *esc = ctx;
    if (esc->closing) {
        return;
    }
    if (status != 0) {
        pl_log(PL_LOG_WARN, "escalator", "could not load the deadlines: %s",
               message ? message : pl_strerror(status));
        return; /* the resync timer still finds the earliest */
    }
    for (size_t r = 0; r < rows->count; r++) {
        const char *at = rows->cells[r * rows->columns];
        if (at && s_push(esc, strtoll(at, NULL, 10)) != 0) {
            pl_log(PL_LOG_ERROR, "escalator", "out of memory loading the deadlines");
            return;
        }
    }
    esc->loaded += rows->count;
    if (rows->count > 0) {
        snprintf(esc->load_after, sizeof esc->load_after, "%s",
                 rows->cells[(rows->count - 1) * rows->columns + 1]);
    }
    /* Fire what is due already between pages; the rest keeps loading. */
    s_arm(esc);
    if (rows->count == S_LOAD_PAGE) {
        s_load_page(esc);
        return;
    }
    pl_log(PL_LOG_INFO, "escalator", "loaded %zu pending deadline instants", esc->loaded);
}

static void s_load_page(pl_escalator_t *esc)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", S_LOAD_PAGE);
    const char *params[] = {esc->load_after, limit};
    if (pl_store_exec(esc->store, "pl_schedule", 2, params, 0, s_on_schedule, esc) != 0) {
        pl_log(PL_LOG_WARN, "escalator", "could not queue the schedule load; the resync "
                                         "timer finds the earliest deadline");
    }
}

static void s_on_next(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    (void)message;
    pl_escalator_t *esc = ctx;
    if (esc->closing || status != 0 || rows->count == 0) {
        return;
    }
    const char *at = rows->cells[0];
    if (at) {
        int64_t t = strtoll(at, NULL, 10);
        if (esc->count == 0 || t < esc->heap[0]) {
            s_push(esc, t);
            s_arm(esc);
        }
    }
}

static void s_on_resync(uv_timer_t *timer)
{
    pl_escalator_t *esc = timer->data;
    pl_store_exec(esc->store, "pl_next_fire", 0, NULL, 0, s_on_next, esc);
    s_take(esc);
}

/* ---- public ------------------------------------------------------------------- */

pl_escalator_t *pl_escalator_new(uv_loop_t *loop, pl_store_t *store,
                                 pl_escalator_publish_fn publish, void *arg)
{
    pl_escalator_t *esc = calloc(1, sizeof *esc);
    if (!esc) {
        return NULL;
    }
    esc->loop = loop;
    esc->store = store;
    esc->publish = publish;
    esc->publish_arg = arg;
    uv_timer_init(loop, &esc->timer);
    uv_timer_init(loop, &esc->resync);
    uv_timer_init(loop, &esc->nudge);
    esc->timer.data = esc->resync.data = esc->nudge.data = esc;
    return esc;
}

void pl_escalator_start(pl_escalator_t *esc)
{
    snprintf(esc->load_after, sizeof esc->load_after, "0");
    s_load_page(esc);
    uv_timer_start(&esc->resync, s_on_resync, S_RESYNC_MS, S_RESYNC_MS);
    s_take(esc);
}

void pl_escalator_schedule(pl_escalator_t *esc, int64_t at)
{
    if (at <= 0 || esc->closing) {
        return;
    }
    int earliest = esc->count == 0 || at < esc->heap[0];
    if (s_push(esc, at) != 0) {
        pl_log(PL_LOG_ERROR, "escalator", "out of memory; the resync timer will catch up");
        return;
    }
    if (earliest && !esc->firing) {
        s_arm(esc);
    }
}

void pl_escalator_set_deliver(pl_escalator_t *esc, pl_deliver_t *deliver)
{
    esc->deliver = deliver;
}

size_t pl_escalator_held(const pl_escalator_t *esc)
{
    return esc->count;
}

uint64_t pl_escalator_fired(const pl_escalator_t *esc)
{
    return esc->fired;
}

static void s_on_closed(uv_handle_t *handle)
{
    pl_escalator_t *esc = handle->data;
    if (--esc->pending_closes == 0) {
        free(esc->heap);
        free(esc);
    }
}

void pl_escalator_close(pl_escalator_t *esc)
{
    esc->closing = 1;
    esc->pending_closes = 3;
    uv_close((uv_handle_t *)&esc->nudge, s_on_closed);
    uv_close((uv_handle_t *)&esc->timer, s_on_closed);
    uv_close((uv_handle_t *)&esc->resync, s_on_closed);
}
