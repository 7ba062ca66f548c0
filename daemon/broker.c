#include "daemon/broker.h"

#include "daemon/broker_internal.h"

#include "common/pl_json.h"
#include "common/pl_log.h"
#include "common/pl_time.h"
#include "config/deadlines.h"
#include "config/event.h"
#include "daemon/escalator.h"
#include "daemon/pipeline.h"
#include "daemon/request.h"
#include "daemon/zsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Messages above max_request_bytes are answered too_large; messages above
 * this multiple of it make libzmq drop the peer (ZMQ_MAXMSGSIZE). */
#define S_HARD_LIMIT_FACTOR 16
#define S_HWM 100000





/* ---- replies ------------------------------------------------------------ */

static pl__call_t *s_call_new(pl_broker_t *broker, zmq_msg_t *parts, size_t env_count,
                            int delimiter)
{
    pl__call_t *call = calloc(1, sizeof *call);
    if (!call) {
        return NULL;
    }
    size_t total = 0;
    for (size_t i = 0; i < env_count; i++) {
        total += zmq_msg_size(&parts[i]);
    }
    call->frames = malloc(total ? total : 1);
    if (!call->frames) {
        free(call);
        return NULL;
    }
    size_t off = 0;
    for (size_t i = 0; i < env_count; i++) {
        call->sizes[i] = zmq_msg_size(&parts[i]);
        memcpy(call->frames + off, zmq_msg_data(&parts[i]), call->sizes[i]);
        off += call->sizes[i];
    }
    call->frame_count = env_count;
    call->delimiter = delimiter;
    call->broker = broker;
    broker->outstanding++;
    return call;
}

static void s_maybe_drained(pl_broker_t *broker);

void pl__call_free(pl__call_t *call)
{
    pl_broker_t *broker = call->broker;
    json_decref(call->id);
    free(call->kind);
    free(call->channel);
    free(call->frames);
    free(call);
    broker->outstanding--;
    s_maybe_drained(broker);
}

/* Sends `body` behind the call's envelope. A peer that is gone or too slow
 * loses its reply (ROUTER drops it); that is its retry's business. */
void pl__send_raw(pl__call_t *call, const char *body, size_t len)
{
    void *router = call->broker->router;
    size_t off = 0;
    for (size_t i = 0; i < call->frame_count; i++) {
        if (zmq_send(router, call->frames + off, call->sizes[i], ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            pl_log(PL_LOG_DEBUG, "broker", "reply dropped: %s", zmq_strerror(errno));
            return;
        }
        off += call->sizes[i];
    }
    if (call->delimiter && zmq_send(router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        pl_log(PL_LOG_DEBUG, "broker", "reply dropped: %s", zmq_strerror(errno));
        return;
    }
    if (zmq_send(router, body, len, ZMQ_DONTWAIT) < 0) {
        pl_log(PL_LOG_DEBUG, "broker", "reply dropped: %s", zmq_strerror(errno));
    }
}

/* Sends `reply` (consumed: takes ownership and nulls it) with the call's id. */
void pl__reply(pl__call_t *call, json_t **reply)
{
    if (!*reply) {
        static const char oom[] =
            "{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        pl__send_raw(call, oom, sizeof oom - 1);
        return;
    }
    if (call->id) {
        json_object_set(*reply, "id", call->id);
    }
    char *text = json_dumps(*reply, JSON_COMPACT);
    json_decref(*reply);
    *reply = NULL;
    if (text) {
        pl__send_raw(call, text, strlen(text));
        free(text);
    }
}

void pl__reply_error(pl__call_t *call, const char *code, const char *field,
                          const char *message)
{
    json_t *error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (error && field && field[0]) {
        json_object_set_new(error, "field", json_string(field));
    }
    json_t *reply = error ? json_pack("{s:b, s:o}", "ok", 0, "error", error) : NULL;
    pl__reply(call, &reply);
}

/* ---- operations ----------------------------------------------------------- */

static void s_on_submitted(void *ctx, int status, const char *case_no, int duplicate,
                           int64_t next_fire, const char *message)
{
    pl__call_t *call = ctx;
    if (status == 0) {
        json_t *reply =
            json_pack("{s:b, s:s, s:b}", "ok", 1, "case_no", case_no, "duplicate", duplicate);
        pl__reply(call, &reply);
        if (!duplicate && call->broker->escalator) {
            /* case.created and any later notification leave via the outbox. */
            pl_escalator_schedule(call->broker->escalator, next_fire);
            pl_escalator_nudge(call->broker->escalator);
        }
        pl_log(PL_LOG_DEBUG, "broker", "case registered case_no=%s", case_no);
    } else if (status == PL_EAGAIN) {
        pl__reply_error(call, "unavailable", NULL,
                      "plaintd is shutting down and the outcome is unknown; retry with the "
                      "same event_id");
    } else {
        char msg[400];
        snprintf(msg, sizeof msg, "the database refused the event: %s",
                 message ? message : "unknown error");
        pl__reply_error(call, "internal", NULL, msg);
    }
    pl__call_free(call);
}

int pl__check_keys(json_t *root, const char *const *allowed, pl_err_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++) {
            known |= strcmp(key, *a) == 0;
        }
        if (!known) {
            return pl_err_set(err, PL_EINVAL, "unknown_field", key,
                              "unknown field \"%s\" in the request", key);
        }
    }
    return 0;
}

/*
 * Validates the request's event and hands it to the workers. `explain`
 * marks a dry run, which may omit event_id. Returns 0 when the call was
 * handed on, or an error to refuse it with.
 */
static int s_start_work(pl_broker_t *broker, pl__call_t *call, json_t *root, int explain,
                        pl_err_t *err)
{
    static const char *const keys[] = {"op", "id", "event", NULL};
    int rc = pl__check_keys(root, keys, err);
    if (rc) {
        return rc;
    }
    json_t *event_json = json_object_get(root, "event");
    if (!event_json) {
        return pl_err_set(err, PL_EINVAL, "missing_field", "event", "event is required");
    }
    json_t *copy = NULL;
    if (explain && json_is_object(event_json) && !json_object_get(event_json, "event_id")) {
        copy = json_copy(event_json);
        if (!copy || json_object_set_new(copy, "event_id", json_string("explain")) != 0) {
            json_decref(copy);
            return pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
        }
        event_json = copy;
    }
    int kind_given = json_is_object(event_json) && json_object_get(event_json, "kind") != NULL;
    pl_event_opts_t opts = {.kinds = (const char *const *)broker->cfg->kinds};
    pl_event_t *event = pl_event_from_json(event_json, pl_now(), &opts, err);
    json_decref(copy);
    if (!event) {
        return PL_EINVAL;
    }
    pl_work_t *work = pl_work_new(&event, kind_given, broker->cfg->rules);
    if (!work) {
        return pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
    }
    work->explain = explain;
    work->ctx = call;
    if (pl_store_pending(broker->store) + pl_pipeline_in_flight(broker->pipeline) >=
            (size_t)broker->cfg->queue_max ||
        pl_pipeline_push(broker->pipeline, &work) != 0) {
        pl_work_destroy(&work);
        return pl_err_set(err, PL_EAGAIN, "unavailable", NULL,
                          "too many requests wait for the database; retry later");
    }
    return 0;
}

static int s_op_submit(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    return s_start_work(broker, call, root, 0, err);
}

static int s_op_explain(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    return s_start_work(broker, call, root, 1, err);
}

/* A work item came back from the workers (loop thread). */
static void s_on_work_done(pl_work_t *work, void *arg)
{
    pl_broker_t *broker = arg;
    pl__call_t *call = work->ctx;
    if (work->status) {
        pl__reply_error(call, "internal", NULL, "could not classify the event: out of memory");
        pl__call_free(call);
        pl_work_destroy(&work);
        return;
    }
    json_t *decision = pl_work_decision_json(work);
    if (work->explain) {
        if (decision) {
            json_object_set_new(decision, "kind_given", json_boolean(work->kind_given));
            json_object_set_new(decision, "stored", json_false());
        }
        json_t *reply = decision ? json_pack("{s:b, s:o}", "ok", 1, "explain", decision) : NULL;
        pl__reply(call, &reply);
        pl__call_free(call);
        pl_work_destroy(&work);
        return;
    }
    char *text = json_dumps(pl_event_json(work->event), JSON_COMPACT);
    char *decision_text = decision ? json_dumps(decision, JSON_COMPACT) : NULL;
    json_decref(decision);
    call->kind = strdup(work->cls.kind ? work->cls.kind : pl_event_kind(work->event));
    call->channel = strdup(pl_event_channel(work->event));
    pl_work_destroy(&work);
    if (!text || !decision_text) {
        free(text);
        free(decision_text);
        pl__reply_error(call, "internal", NULL, "out of memory");
        pl__call_free(call);
        return;
    }
    int rc = pl_store_submit(broker->store, &text, &decision_text, s_on_submitted, call);
    if (rc) {
        pl__reply_error(call, rc == PL_EAGAIN ? "unavailable" : "internal", NULL,
                      rc == PL_EAGAIN ? "too many requests wait for the database; retry later"
                                      : "out of memory");
        pl__call_free(call);
    }
}

static int s_op_reload(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    static const char *const keys[] = {"op", "id", NULL};
    int rc = pl__check_keys(root, keys, err);
    if (rc) {
        return rc;
    }
    if (!broker->reload) {
        return pl_err_set(err, PL_EINVAL, "unknown_op", "op", "reload is not available");
    }
    pl_errlist_t errs = {0};
    json_t *reply;
    if (broker->reload(broker->reload_arg, &errs) == 0) {
        reply = json_pack("{s:b, s:s}", "ok", 1, "rules_version", pl_rules_version(broker->cfg->rules));
    } else {
        json_t *list = json_array();
        char line[1024];
        for (size_t i = 0; list && i < errs.count; i++) {
            const pl_err_t *e = &errs.items[i];
            json_array_append_new(list, json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", e->file,
                                                  "line", e->line, "column", e->column,
                                                  "message", e->message, "text",
                                                  pl_err_format(e, line, sizeof line)));
        }
        char msg[160];
        snprintf(msg, sizeof msg, "%zu error%s in the configuration; the running rules stay",
                 errs.count, errs.count == 1 ? "" : "s");
        json_t *error = json_pack("{s:s, s:s}", "code", "invalid_config", "message", msg);
        reply = error && list ? json_pack("{s:b, s:o, s:o}", "ok", 0, "error", error, "errors", list)
                              : NULL;
    }
    pl_errlist_free(&errs);
    pl__reply(call, &reply);
    pl__call_free(call);
    return 0;
}

static void s_on_case_read(void *ctx, int status, const char *json, const char *message)
{
    pl__call_t *call = ctx;
    if (status == 0) {
        /* Splice the database's JSON in, instead of parsing it again. */
        char *id = call->id ? json_dumps(call->id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        size_t len = strlen(json) + (id ? strlen(id) : 0) + 32;
        char *body = malloc(len);
        if (body) {
            int n = id ? snprintf(body, len, "{\"ok\":true,\"id\":%s,\"case\":%s}", id, json)
                       : snprintf(body, len, "{\"ok\":true,\"case\":%s}", json);
            pl__send_raw(call, body, (size_t)n);
        }
        free(body);
        free(id);
    } else if (status == PL_ENOENT) {
        pl__reply_error(call, "not_found", "case_no", "no case with that number");
    } else if (status == PL_EAGAIN) {
        pl__reply_error(call, "unavailable", NULL, "plaintd is shutting down; retry later");
    } else {
        pl__reply_error(call, "internal", NULL, message ? message : "database error");
    }
    pl__call_free(call);
}

static int s_op_get(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    static const char *const keys[] = {"op", "id", "case_no", NULL};
    int rc = pl__check_keys(root, keys, err);
    if (rc) {
        return rc;
    }
    json_t *case_no = json_object_get(root, "case_no");
    if (!case_no) {
        return pl_err_set(err, PL_EINVAL, "missing_field", "case_no", "case_no is required");
    }
    if (!json_is_string(case_no)) {
        return pl_err_set(err, PL_EINVAL, "wrong_type", "case_no", "case_no must be a string, not %s",
                          pl_json_type_phrase(case_no));
    }
    size_t len = json_string_length(case_no);
    if (len == 0 || len > 64) {
        return pl_err_set(err, PL_EINVAL, "invalid_value", "case_no",
                          "case_no must be 1 to 64 bytes long");
    }
    rc = pl_store_get_case(broker->store, json_string_value(case_no), s_on_case_read, call);
    if (rc == PL_EAGAIN) {
        return pl_err_set(err, rc, "unavailable", NULL,
                          "too many requests wait for the database; retry later");
    }
    if (rc) {
        return pl_err_set(err, rc, "internal", NULL, "out of memory");
    }
    return 0;
}


static int s_op_ping(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    (void)root;
    (void)err;
    double uptime = (double)(pl_monotonic_usec() - broker->started) / 1e6;
    json_t *reply = json_pack("{s:b, s:s, s:f, s:s, s:I, s:s, s:s}", "ok", 1, "version",
                              PL_VERSION, "uptime_s", uptime, "database",
                              pl_store_is_up(broker->store) ? "up" : "down", "queued",
                              (json_int_t)(pl_store_pending(broker->store) +
                                           pl_pipeline_in_flight(broker->pipeline)),
                              "config_version", broker->cfg->version, "rules_version",
                              pl_rules_version(broker->cfg->rules));
    pl__reply(call, &reply);
    pl__call_free(call);
    return 0;
}

typedef int (*s_op_fn)(pl_broker_t *, pl__call_t *, json_t *, pl_err_t *);

static const struct {
    const char *name;
    s_op_fn fn;
} s_ops[] = {
    {"ping", s_op_ping},
    {"submit", s_op_submit},
    {"get", s_op_get},
    {"explain", s_op_explain},
    {"reload", s_op_reload},
    {"overdue", pl__op_overdue},
    {"list", pl__op_list},
    {"confirm", pl__op_case},
    {"assign", pl__op_case},
    {"note", pl__op_case},
    {"report", pl__op_case},
    {"visit", pl__op_case},
    {"analyse", pl__op_case},
    {"propose", pl__op_case},
    {"approve", pl__op_case},
    {"reject", pl__op_case},
    {"reply", pl__op_case},
    {"followup", pl__op_case},
    {"close", pl__op_case},
    {"reopen", pl__op_case},
    {"capa", pl__op_case},
    {"remark", pl__op_case},
    {"pause", pl__op_case},
    {"resume", pl__op_case},
};

/* ---- receiving ------------------------------------------------------------- */

/* Keeps a refused request for inspection, then answers it. */
static void s_refuse(pl_broker_t *broker, pl__call_t *call, zmq_msg_t *body, const pl_err_t *err)
{
    const char *raw = body ? zmq_msg_data(body) : "";
    size_t size = body ? zmq_msg_size(body) : 0;
    size_t keep = size;
    if (keep > broker->cfg->max_request_bytes) {
        keep = broker->cfg->max_request_bytes;
    }
    const char *peer = body ? zmq_msg_gets(body, "Peer-Address") : NULL;
    const char *reason = err->reason ? err->reason : "invalid_value";
    /* "unavailable" is not the request's fault, and the publisher retries
     * it with the same event_id; nothing to inspect. */
    int rc = strcmp(reason, "unavailable") == 0
                 ? 0
                 : pl_store_dead_letter(broker->store, peer, raw, keep, size, reason, err->field,
                                        err->message);
    if (rc) {
        pl_log(PL_LOG_WARN, "broker", "dead letter not kept (%s) code=%s", pl_strerror(rc),
               reason);
    }
    pl_log(PL_LOG_INFO, "broker", "request refused code=%s field=%s", reason,
           err->field[0] ? err->field : "-");
    pl__reply_error(call, reason, err->field, err->message);
    pl__call_free(call);
}

static void s_on_message(pl_zsock_t *zs, zmq_msg_t *parts, size_t count, int truncated, void *arg)
{
    (void)zs;
    pl_broker_t *broker = arg;
    /* parts[0] is the peer identity added by ROUTER. Everything up to the
     * first empty frame is envelope (REQ, or DEALER sending REQ's envelope;
     * routing frames are never empty); without an empty frame the peer is a
     * bare DEALER. */
    size_t delim = 0;
    for (size_t i = 1; i < count; i++) {
        if (zmq_msg_size(&parts[i]) == 0) {
            delim = i;
            break;
        }
    }
    size_t env_count = delim ? delim : 1;
    size_t body_index = delim ? delim + 1 : 1;
    pl__call_t *call = s_call_new(broker, parts, env_count, delim != 0);
    if (!call) {
        pl_log(PL_LOG_ERROR, "broker", "out of memory; request dropped");
        return;
    }
    pl_err_t err;
    pl_err_clear(&err);
    if (truncated || count < 2 || body_index != count - 1) {
        pl_err_set(&err, PL_EPROTO, "bad_envelope", NULL,
                   "a request must be exactly one frame after the empty delimiter");
        s_refuse(broker, call, body_index < count ? &parts[body_index] : NULL, &err);
        return;
    }
    zmq_msg_t *body = &parts[body_index];
    /* An identity a ZAP handler authenticated (CURVE, PLAIN) names the actor. */
    const char *user_id = zmq_msg_gets(body, "User-Id");
    if (user_id) {
        snprintf(call->user_id, sizeof call->user_id, "%s", user_id);
    }

    pl_request_t req;
    int rc = pl_request_parse(zmq_msg_data(body), zmq_msg_size(body),
                              broker->cfg->max_request_bytes, broker->cfg->max_depth, &req, &err);
    if (req.id) {
        call->id = json_incref(req.id);
    }
    if (rc == 0) {
        rc = PL_EINVAL;
        size_t n = sizeof s_ops / sizeof s_ops[0];
        size_t i = 0;
        while (i < n && strcmp(s_ops[i].name, req.op) != 0) {
            i++;
        }
        if (i == n) {
            pl_err_set(&err, PL_EINVAL, "unknown_op", "op",
                       "unknown op \"%.64s\"; expected ping, submit, get, explain, reload, "
                       "list, overdue or a case operation (docs/protocol.md)",
                       req.op);
        } else {
            rc = s_ops[i].fn(broker, call, req.root, &err);
        }
    }
    if (rc) {
        s_refuse(broker, call, body, &err);
    }
    pl_request_clear(&req);
}

/* ---- lifecycle -------------------------------------------------------------- */

static void *s_socket(void *zctx, int type, const char *endpoint, size_t max_msg, pl_err_t *err)
{
    void *sock = zmq_socket(zctx, type);
    if (!sock) {
        pl_err_set(err, PL_EIO, "zmq", NULL, "could not create socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int hwm = S_HWM;
    int linger = 2000;
    int64_t maxmsg = (int64_t)max_msg;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (type == ZMQ_ROUTER) {
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    }
    if (zmq_bind(sock, endpoint) != 0) {
        pl_err_set(err, PL_EIO, "zmq", NULL, "could not listen on %s: %s", endpoint,
                   zmq_strerror(errno));
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

pl_broker_t *pl_broker_new(uv_loop_t *loop, void *zctx, pl_store_t *store,
                           const pl_config_t *cfg, const char *ingest, const char *publish,
                           pl_err_t *err)
{
    pl_broker_t *broker = calloc(1, sizeof *broker);
    if (!broker) {
        pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
        return NULL;
    }
    broker->loop = loop;
    broker->store = store;
    broker->cfg = cfg;
    broker->started = pl_monotonic_usec();
    broker->router =
        s_socket(zctx, ZMQ_ROUTER, ingest, cfg->max_request_bytes * S_HARD_LIMIT_FACTOR, err);
    if (broker->router) {
        broker->pub = s_socket(zctx, ZMQ_PUB, publish, 0, err);
    }
    if (broker->pub) {
        broker->pipeline = pl_pipeline_new(loop, zctx, s_on_work_done, broker, err);
    }
    if (broker->pipeline) {
        broker->zsock = pl_zsock_new(loop, broker->router, s_on_message, broker);
        if (!broker->zsock) {
            pl_err_set(err, PL_EIO, "zmq", NULL, "could not watch the ingest socket");
        }
    }
    if (!broker->zsock) {
        if (broker->pipeline) {
            pl_pipeline_close(broker->pipeline);
        }
        if (broker->pub) {
            zmq_close(broker->pub);
        }
        if (broker->router) {
            zmq_close(broker->router);
        }
        free(broker);
        return NULL;
    }
    return broker;
}

void pl_broker_start(pl_broker_t *broker)
{
    pl_zsock_start(broker->zsock);
}

void pl_broker_set_config(pl_broker_t *broker, const pl_config_t *cfg)
{
    broker->cfg = cfg;
}

void pl_broker_set_escalator(pl_broker_t *broker, pl_escalator_t *escalator)
{
    broker->escalator = escalator;
}

void pl_broker_publish(pl_broker_t *broker, const char *topic, const char *payload)
{
    /* PUB never blocks: a slow subscriber loses messages, not the daemon. */
    if (zmq_send(broker->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        zmq_send(broker->pub, payload, strlen(payload), ZMQ_DONTWAIT);
    }
}

void pl_broker_set_reload(pl_broker_t *broker, pl_broker_reload_fn fn, void *arg)
{
    broker->reload = fn;
    broker->reload_arg = arg;
}

size_t pl_broker_outstanding(const pl_broker_t *broker)
{
    return broker->outstanding;
}

static void s_maybe_drained(pl_broker_t *broker)
{
    if (broker->draining && broker->drained_cb && broker->outstanding == 0) {
        void (*cb)(void *) = broker->drained_cb;
        broker->drained_cb = NULL;
        cb(broker->drained_arg);
    }
}

void pl_broker_drain(pl_broker_t *broker, void (*done)(void *arg), void *arg)
{
    broker->draining = 1;
    broker->drained_cb = done;
    broker->drained_arg = arg;
    pl_zsock_stop(broker->zsock);
    s_maybe_drained(broker);
}

static void s_on_zsock_closed(void *arg)
{
    pl_broker_t *broker = arg;
    void (*cb)(void *) = broker->closed_cb;
    void *cb_arg = broker->closed_arg;
    zmq_close(broker->router);
    zmq_close(broker->pub);
    free(broker);
    if (cb) {
        cb(cb_arg);
    }
}

void pl_broker_close(pl_broker_t *broker, void (*on_closed)(void *arg), void *arg)
{
    broker->closed_cb = on_closed;
    broker->closed_arg = arg;
    broker->drained_cb = NULL;
    /* Items still with the workers are destroyed with their calls unanswered;
     * after a drain there are none. */
    pl_pipeline_close(broker->pipeline);
    broker->pipeline = NULL;
    pl_zsock_close(broker->zsock, s_on_zsock_closed, broker);
}
