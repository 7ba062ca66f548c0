/*
 * broker_internal: what broker.c (sockets, requests, submit/get/explain)
 * and case_ops.c (the case operations and queries of issue 5) share. Not
 * for anything outside daemon/.
 */
#ifndef PL_BROKER_INTERNAL_H
#define PL_BROKER_INTERNAL_H

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "daemon/broker.h"
#include "daemon/escalator.h"
#include "daemon/pipeline.h"
#include "daemon/store.h"
#include "daemon/zsock.h"

#include <jansson.h>
#include <stddef.h>

struct pl_broker {
    uv_loop_t *loop;
    void *router;
    void *pub;
    pl_zsock_t *zsock;
    pl_pipeline_t *pipeline;
    pl_store_t *store;
    pl_escalator_t *escalator;
    pl_broker_reload_fn reload;
    void *reload_arg;
    const pl_config_t *cfg;
    pl_usec_t started;
    size_t outstanding;
    int draining;
    void (*drained_cb)(void *);
    void *drained_arg;
    void (*closed_cb)(void *);
    void *closed_arg;
};

/*
 * One request awaiting its reply: the routing envelope copied from the
 * request (identity frames, then the empty delimiter if the peer sent one),
 * the request's "id", and the peer's authenticated identity (ZeroMQ's
 * "User-Id" property, set by a ZAP handler; "" without one).
 */
typedef struct pl__call {
    pl_broker_t *broker;
    json_t *id;
    char *kind;
    char *channel;
    size_t frame_count;
    int delimiter;
    size_t sizes[PL_ZSOCK_MAX_PARTS];
    char *frames; /* the envelope frames back to back */
    char user_id[129];
} pl__call_t;

/* Frees the call (its reply must have been sent). */
void pl__call_free(pl__call_t *call);

/* Sends `body` behind the call's envelope. */
void pl__send_raw(pl__call_t *call, const char *body, size_t len);

/* Sends `reply` (consumed; *reply set to NULL) with the call's id. */
void pl__reply(pl__call_t *call, json_t **reply);

/* Sends {"ok":false,"error":{code,message,field?}}. */
void pl__reply_error(pl__call_t *call, const char *code, const char *field, const char *message);

/* Refuses a member of `root` not in `allowed` (NULL-terminated). */
int pl__check_keys(json_t *root, const char *const *allowed, pl_err_t *err);

/* Reads an optional string member of 1..max bytes; *out NULL when absent. */
int pl__opt_string(json_t *root, const char *key, size_t max, const char **out, pl_err_t *err);

/* The case operations, list and overdue (case_ops.c). */
int pl__op_case(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err);
int pl__op_list(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err);
int pl__op_overdue(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err);

#endif
