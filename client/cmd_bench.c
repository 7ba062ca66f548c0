#include "client/client.h"

#include "common/pl_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Largest run: the per-event bookkeeping below costs 16 bytes an event. */
#define S_EVENTS_MAX 10000000L
#define S_SENT_NONE 0
#define S_SENT_DONE -1

/* Synthetic but realistic complaints, rotated by event number (about 400-600 bytes per event). */
static const char *const s_contents[] = {
    "客户来电反映：上周收到的净水器滤芯外壳有裂纹，安装后接口处持续漏水。"
    "客户要求尽快上门更换。",
    "Customer reports the dishwasher stops mid-cycle with error E24 since the second "
    "week of use. Two resets did not help. Asks for a technician visit this week.",
    "客户投诉送货员态度恶劣，未按约定时间送达，且拒绝将货物搬上楼。客户对服务非常不满，"
    "要求公司道歉并说明处理结果。",
    "The order arrived with 2 of the 6 boxes missing and one carton crushed. The courier "
    "left before the customer could check. Customer wants the missing items shipped "
    "within 24 hours.",
    "客户反馈空调外机运行噪音过大，夜间影响休息。已按说明书检查安装支架，问题仍在，"
    "怀疑产品质量问题，要求检测。",
    "Caller says the replacement part sent last month is the wrong model (PX-210 instead "
    "of PX-200) and the sales rep has not returned three calls. Wants a manager to "
    "call back today.",
};

static const char *const s_names[] = {
    "张伟", "李娜", "王芳", "Chen Jie", "刘洋", "Maria Lopez", "赵敏", "John Carter",
};

static const char *const s_addresses[] = {
    "上海市浦东新区张杨路1500号1202室",
    "北京市朝阳区建国路88号B座",
    "广州市天河区体育西路103号",
    "Flat 4B, 21 Nathan Road, Tsim Sha Tsui, Kowloon",
};

static const char *const s_specs[] = {
    "PX-200 净水器", "DW-60 dishwasher", "KF-35GW 空调", "PX-200 filter",
};

static const char *const s_regions[] = {"华东", "华北", "华南", "West"};
static const char *const s_channels[] = {"phone", "email", "web", "phone", "fax", "visit", "oral"};
static const char *const s_kinds[] = {"complaint", "complaint", "complaint", "feedback", "repair"};

#define S_PICK(table, n) ((table)[(size_t)(n) % (sizeof(table) / sizeof((table)[0]))])

typedef struct s_conn {
    pl_client_t *client;
    long in_flight;
    bool blocked;   /* the last send hit the high-water mark: wait for POLLOUT */
} s_conn_t;

typedef struct s_bench {
    const pl_client_opts_t *opts;
    const pl_bench_args_t *args;
    char run_id[13];
    s_conn_t *conns;
    zmq_pollitem_t *items;
    pl_usec_t *sent_at;    /* per event: S_SENT_NONE, send time, or S_SENT_DONE */
    double *latency_ms;    /* of acknowledged events, in reply order */
    long latency_count;
    long next;             /* next event to send */
    long answered;         /* events with a reply, accepted or refused */
    long errors;
    long bad_replies;      /* malformed, or naming no event in flight */
    json_t *first_refusal;
    pl_usec_t started;
    pl_usec_t finished;
} s_bench_t;

/* Serializes the submit request for event `n`; returns NULL on no memory. */
static char *s_make_request(const s_bench_t *b, long n)
{
    char event_id[64];
    char phone[32];
    char order_no[32];
    char ship_date[16];
    char now[PL_TIME_RFC3339_SIZE];
    snprintf(event_id, sizeof event_id, "bench-%s-%ld", b->run_id, n);
    snprintf(phone, sizeof phone, "1%d0000%04ld", 38 + (int)(n % 3), n % 10000);
    snprintf(order_no, sizeof order_no, "SO-2026-%06ld", n % 1000000);
    snprintf(ship_date, sizeof ship_date, "2026-%02ld-%02ld", 1 + n % 12, 1 + n % 28);
    pl_time_format_rfc3339(pl_now(), now, sizeof now);
    json_t *request = json_pack(
        "{s:s, s:I, s:{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s,"
        " s:{s:s, s:s, s:I, s:s}, s:s, s:{s:s}}}",
        "op", "submit", "id", (json_int_t)n, "event",
        "event_id", event_id, "source", b->args->source, "kind", S_PICK(s_kinds, n),
        "channel", S_PICK(s_channels, n), "received_at", now,
        "customer", "name", S_PICK(s_names, n), "phone", phone, "address",
        S_PICK(s_addresses, n / 3),
        "content", b->args->content ? b->args->content : S_PICK(s_contents, n),
        "product", "spec", S_PICK(s_specs, n / 2), "order_no", order_no, "quantity",
        (json_int_t)(1 + n % 10), "ship_date", ship_date,
        "region", S_PICK(s_regions, n / 5),
        "attributes", "bench_run", b->run_id);
    if (!request) {
        return NULL;
    }
    char *text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    return text;
}

/* Fills every connection's window. Returns 0 or a PL_E* code after printing why. */
static int s_send_more(s_bench_t *b)
{
    for (long c = 0; c < b->args->concurrency; c++) {
        s_conn_t *conn = &b->conns[c];
        while (!conn->blocked && conn->in_flight < b->args->window && b->next < b->args->events) {
            char *text = s_make_request(b, b->next);
            if (!text) {
                fprintf(stderr, "plaint: bench: out of memory\n");
                return PL_ENOMEM;
            }
            pl_err_t err;
            b->sent_at[b->next] = pl_monotonic_usec();
            int rc = pl_client_send(conn->client, text, strlen(text), &err);
            free(text);
            if (rc == PL_EAGAIN) {
                b->sent_at[b->next] = S_SENT_NONE;
                conn->blocked = true;
            } else if (rc != 0) {
                fprintf(stderr, "plaint: bench: %s\n", err.message);
                return rc;
            } else {
                conn->in_flight++;
                b->next++;
            }
        }
    }
    return 0;
}

static void s_take_reply(s_bench_t *b, s_conn_t *conn, json_t *reply, pl_usec_t now)
{
    json_t *id = json_object_get(reply, "id");
    json_int_t n = json_is_integer(id) ? json_integer_value(id) : -1;
    if (n < 0 || n >= b->next || b->sent_at[n] == S_SENT_DONE || b->sent_at[n] == S_SENT_NONE) {
        b->bad_replies++;
        return;
    }
    b->answered++;
    if (conn->in_flight > 0) {
        conn->in_flight--;
    }
    if (json_is_true(json_object_get(reply, "ok"))) {
        b->latency_ms[b->latency_count++] = (double)(now - b->sent_at[n]) / 1000.0;
    } else {
        b->errors++;
        if (!b->first_refusal) {
            b->first_refusal = json_incref(reply);
        }
    }
    b->sent_at[n] = S_SENT_DONE;
}

/* Reads every pending reply on one connection. */
static void s_recv_all(s_bench_t *b, s_conn_t *conn)
{
    for (;;) {
        json_t *reply = NULL;
        pl_err_t err;
        int rc = pl_client_recv(conn->client, &reply, NULL, &err);
        if (rc == PL_EAGAIN) {
            return;
        }
        if (rc != 0) {
            b->bad_replies++;
            continue;
        }
        s_take_reply(b, conn, reply, pl_monotonic_usec());
        json_decref(reply);
        b->finished = pl_monotonic_usec();
    }
}

/*
 * Runs the event loop until every event is answered or no reply came for
 * --timeout ms. Returns 0, PL_EAGAIN (gave up) or another PL_E* code.
 */
static int s_run(s_bench_t *b)
{
    long count = b->args->events;
    long conns = b->args->concurrency;
    b->started = pl_monotonic_usec();
    b->finished = b->started;
    pl_usec_t last_progress = b->started;
    while (b->answered < count) {
        int rc = s_send_more(b);
        if (rc != 0) {
            return rc;
        }
        pl_usec_t now = pl_monotonic_usec();
        pl_usec_t left = last_progress + (pl_usec_t)b->opts->timeout_ms * 1000 - now;
        if (left <= 0) {
            return PL_EAGAIN;
        }
        for (long c = 0; c < conns; c++) {
            b->items[c] = (zmq_pollitem_t){
                .socket = pl_client_socket(b->conns[c].client),
                .events = (short)(ZMQ_POLLIN | (b->conns[c].blocked ? ZMQ_POLLOUT : 0)),
            };
        }
        int n = zmq_poll(b->items, (int)conns, (long)((left + 999) / 1000));
        if (n < 0 && zmq_errno() != EINTR) {
            fprintf(stderr, "plaint: bench: cannot poll: %s\n", zmq_strerror(zmq_errno()));
            return PL_EIO;
        }
        long answered = b->answered;
        for (long c = 0; n > 0 && c < conns; c++) {
            if (b->items[c].revents & ZMQ_POLLOUT) {
                b->conns[c].blocked = false;
            }
            if (b->items[c].revents & ZMQ_POLLIN) {
                s_recv_all(b, &b->conns[c]);
            }
        }
        if (b->answered > answered) {
            last_progress = pl_monotonic_usec();
        }
    }
    return 0;
}

static int s_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted latencies; `p` in (0, 1]. */
static double s_percentile(const s_bench_t *b, double p)
{
    long rank = (long)(p * (double)b->latency_count + 0.999999);
    rank = rank < 1 ? 1 : rank;
    return b->latency_ms[rank - 1];
}

static void s_print_ms(const char *name, const s_bench_t *b, double p, bool json)
{
    if (b->latency_count == 0) {
        printf(json ? ",\"%s\":null" : " %s -", name);
    } else {
        printf(json ? ",\"%s\":%.3f" : " %s %.3f", name, s_percentile(b, p));
    }
}

static void s_report(s_bench_t *b, bool json)
{
    qsort(b->latency_ms, (size_t)b->latency_count, sizeof b->latency_ms[0], s_compare_double);
    double elapsed = (double)(b->finished - b->started) / 1e6;
    double rate = elapsed > 0 ? (double)b->latency_count / elapsed : 0.0;
    if (json) {
        printf("{\"events\":%ld,\"concurrency\":%ld,\"window\":%ld,\"elapsed_s\":%.3f,"
               "\"events_per_s\":%.1f",
               b->args->events, b->args->concurrency, b->args->window, elapsed, rate);
        s_print_ms("p50_ms", b, 0.50, true);
        s_print_ms("p99_ms", b, 0.99, true);
        s_print_ms("max_ms", b, 1.0, true);
        printf(",\"errors\":%ld}\n", b->errors);
        return;
    }
    printf("events      %ld (concurrency %ld, window %ld)\n", b->args->events,
           b->args->concurrency, b->args->window);
    printf("elapsed     %.3f s\n", elapsed);
    printf("events/s    %.1f\n", rate);
    printf("latency ms ");
    s_print_ms("p50", b, 0.50, false);
    s_print_ms(" p99", b, 0.99, false);
    s_print_ms(" max", b, 1.0, false);
    printf("\nerrors      %ld\n", b->errors);
}

int pl_cmd_bench(const pl_client_opts_t *opts, const pl_bench_args_t *args)
{
    if (args->events > S_EVENTS_MAX) {
        fprintf(stderr, "plaint: bench: at most %ld events per run\n", S_EVENTS_MAX);
        return PL_EXIT_USAGE;
    }
    int status = PL_EXIT_FAILED;
    s_bench_t b = {.opts = opts, .args = args};
    pl_client_random_hex(b.run_id, sizeof b.run_id);
    void *ctx = zmq_ctx_new();
    b.conns = calloc((size_t)args->concurrency, sizeof *b.conns);
    b.items = calloc((size_t)args->concurrency, sizeof *b.items);
    b.sent_at = calloc((size_t)args->events, sizeof *b.sent_at);
    b.latency_ms = calloc((size_t)args->events, sizeof *b.latency_ms);
    if (!ctx || !b.conns || !b.items || !b.sent_at || !b.latency_ms) {
        fprintf(stderr, "plaint: bench: out of memory\n");
        goto cleanup;
    }
    for (long c = 0; c < args->concurrency; c++) {
        pl_err_t err;
        b.conns[c].client = pl_client_new(ctx, opts->endpoint, &err);
        if (!b.conns[c].client) {
            status = pl_client_print_error(opts, err.code, &err);
            goto cleanup;
        }
    }
    int rc = s_run(&b);
    if (rc == PL_EAGAIN) {
        b.finished = pl_monotonic_usec();
        long unanswered = args->events - b.answered;
        b.errors += unanswered;
        if (b.answered == 0) {
            pl_err_t err;
            pl_err_clear(&err);
            pl_client_print_error(opts, PL_EAGAIN, &err);
        } else {
            fprintf(stderr, "plaint: bench: no reply within %.1f s; giving up on %ld events\n",
                    opts->timeout_ms / 1000.0, unanswered);
        }
    } else if (rc != 0) {
        goto cleanup;
    }
    s_report(&b, opts->json);
    if (b.bad_replies > 0) {
        fprintf(stderr, "plaint: bench: ignored %ld malformed or unexpected replies\n",
                b.bad_replies);
    }
    if (b.first_refusal) {
        pl_client_print_refusal(b.first_refusal, "bench: first refusal");
    }
    status = b.errors == 0 ? PL_EXIT_OK : b.answered == 0 ? PL_EXIT_TIMEOUT : PL_EXIT_FAILED;
cleanup:
    json_decref(b.first_refusal);
    for (long c = 0; b.conns && c < args->concurrency; c++) {
        pl_client_destroy(&b.conns[c].client);
    }
    free(b.latency_ms);
    free(b.sent_at);
    free(b.items);
    free(b.conns);
    if (ctx) {
        zmq_ctx_term(ctx);
    }
    return status;
}
