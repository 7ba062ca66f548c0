#include "daemon/pipeline.h"

#include "common/pl_log.h"
#include "daemon/zsock.h"
#include "workers/classifier.h"
#include "workers/escalation.h"
#include "workers/router.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_STAGES 3
#define S_HWM 100000

typedef int (*s_handle_fn)(void *worker, pl_work_t *work);

typedef struct s_stage {
    const char *name;
    void *in;  /* PULL */
    void *out; /* PUSH */
    void *worker;
    s_handle_fn handle;
    pthread_t thread;
    int started;
} s_stage_t;

struct pl_pipeline {
    void *head;   /* PUSH, loop thread */
    void *tail;   /* PULL, loop thread */
    pl_zsock_t *zsock;
    s_stage_t stages[S_STAGES];
    pl_classifier_t *classifier;
    pl_router_t *router;
    pl_escalation_t *escalation;
    pl_pipeline_done_cb done;
    void *arg;
    size_t in_flight;
    int closing;
};

static int s_classify(void *worker, pl_work_t *work)
{
    return pl_classifier_handle(worker, work);
}

static int s_route(void *worker, pl_work_t *work)
{
    return pl_router_handle(worker, work);
}

static int s_deadlines(void *worker, pl_work_t *work)
{
    return pl_escalation_handle(worker, work);
}

static int s_send_ptr(void *sock, pl_work_t *work, int flags)
{
    int rc;
    do {
        rc = zmq_send(sock, &work, sizeof work, flags);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

static void *s_stage_main(void *arg)
{
    s_stage_t *stage = arg;
    for (;;) {
        pl_work_t *work = NULL;
        int rc = zmq_recv(stage->in, &work, sizeof work, 0);
        if (rc < 0) {
            if (errno == EINTR) {
                continue;
            }
            break; /* context terminated */
        }
        if (rc != (int)sizeof work) {
            continue;
        }
        if (work) {
            stage->handle(stage->worker, work);
        }
        if (s_send_ptr(stage->out, work, 0) < 0 || !work) {
            break; /* NULL is the stop marker: passed on, then stop */
        }
    }
    return NULL;
}

static void s_on_result(pl_zsock_t *zs, zmq_msg_t *parts, size_t count, int truncated, void *arg)
{
    (void)zs;
    (void)truncated;
    pl_pipeline_t *pipeline = arg;
    pl_work_t *work = NULL;
    if (count != 1 || zmq_msg_size(&parts[0]) != sizeof work) {
        return;
    }
    memcpy(&work, zmq_msg_data(&parts[0]), sizeof work);
    if (!work) {
        return;
    }
    pipeline->in_flight--;
    pipeline->done(work, pipeline->arg);
}

static void *s_socket(void *zctx, int type, pl_err_t *err)
{
    void *sock = zmq_socket(zctx, type);
    if (!sock) {
        pl_err_set(err, PL_EIO, "zmq", NULL, "could not create socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int hwm = S_HWM, linger = 0;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    return sock;
}

static void s_free_sockets(pl_pipeline_t *p)
{
    void *socks[] = {p->head,          p->tail,           p->stages[0].in, p->stages[0].out,
                     p->stages[1].in,  p->stages[1].out,  p->stages[2].in, p->stages[2].out};
    for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++) {
        if (socks[i]) {
            zmq_close(socks[i]);
        }
    }
}

pl_pipeline_t *pl_pipeline_new(uv_loop_t *loop, void *zctx, pl_pipeline_done_cb done, void *arg,
                               pl_err_t *err)
{
    static unsigned serial;
    pl_pipeline_t *p = calloc(1, sizeof *p);
    if (!p) {
        pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
        return NULL;
    }
    p->done = done;
    p->arg = arg;
    p->classifier = pl_classifier_new();
    p->router = pl_router_new();
    p->escalation = pl_escalation_new();
    p->stages[0] = (s_stage_t){.name = "classifier", .worker = p->classifier, .handle = s_classify};
    p->stages[1] = (s_stage_t){.name = "router", .worker = p->router, .handle = s_route};
    p->stages[2] =
        (s_stage_t){.name = "escalation", .worker = p->escalation, .handle = s_deadlines};

    /* All sockets are made and wired here, then handed to their threads
     * (thread creation is the memory barrier libzmq asks for). */
    unsigned id = serial++;
    char ep[S_STAGES + 1][64];
    for (int i = 0; i <= S_STAGES; i++) {
        snprintf(ep[i], sizeof ep[i], "inproc://pl-pipeline-%u-%d", id, i);
    }
    int ok = p->classifier && p->router && p->escalation;
    ok = ok && (p->head = s_socket(zctx, ZMQ_PUSH, err)) && zmq_bind(p->head, ep[0]) == 0;
    for (int i = 0; ok && i < S_STAGES; i++) {
        ok = (p->stages[i].in = s_socket(zctx, ZMQ_PULL, err)) &&
             zmq_connect(p->stages[i].in, ep[i]) == 0 &&
             (p->stages[i].out = s_socket(zctx, ZMQ_PUSH, err)) &&
             zmq_bind(p->stages[i].out, ep[i + 1]) == 0;
        /* The next stage's PULL connects to this one's PUSH below. */
    }
    ok = ok && (p->tail = s_socket(zctx, ZMQ_PULL, err)) && zmq_connect(p->tail, ep[S_STAGES]) == 0;
    ok = ok && (p->zsock = pl_zsock_new(loop, p->tail, s_on_result, p)) != NULL;
    for (int i = 0; ok && i < S_STAGES; i++) {
        ok = pthread_create(&p->stages[i].thread, NULL, s_stage_main, &p->stages[i]) == 0;
        p->stages[i].started = ok;
    }
    if (!ok) {
        if (err && !err->code) {
            pl_err_set(err, PL_EIO, "internal", NULL, "could not start the workers: %s",
                       zmq_strerror(errno));
        }
        pl_pipeline_t *tmp = p;
        pl_pipeline_close(tmp);
        return NULL;
    }
    pl_zsock_start(p->zsock);
    return p;
}

int pl_pipeline_push(pl_pipeline_t *pipeline, pl_work_t **work_p)
{
    if (pipeline->closing) {
        return PL_EAGAIN;
    }
    if (s_send_ptr(pipeline->head, *work_p, ZMQ_DONTWAIT) < 0) {
        return PL_EAGAIN;
    }
    *work_p = NULL;
    pipeline->in_flight++;
    return 0;
}

size_t pl_pipeline_in_flight(const pl_pipeline_t *pipeline)
{
    return pipeline->in_flight;
}

static void s_on_zsock_closed(void *arg)
{
    pl_pipeline_t *p = arg;
    s_free_sockets(p);
    pl_classifier_destroy(&p->classifier);
    pl_router_destroy(&p->router);
    pl_escalation_destroy(&p->escalation);
    free(p);
}

void pl_pipeline_close(pl_pipeline_t *p)
{
    p->closing = 1;
    /* The stop marker goes down the line after every item pushed before it. */
    if (p->head && p->stages[0].started) {
        s_send_ptr(p->head, NULL, 0);
    }
    for (int i = 0; i < S_STAGES; i++) {
        if (p->stages[i].started) {
            pthread_join(p->stages[i].thread, NULL);
        }
    }
    /* Items the loop has not read yet are destroyed unanswered. */
    if (p->tail) {
        pl_work_t *work;
        while (zmq_recv(p->tail, &work, sizeof work, ZMQ_DONTWAIT) == (int)sizeof work) {
            pl_work_destroy(&work);
        }
    }
    if (p->zsock) {
        pl_zsock_close(p->zsock, s_on_zsock_closed, p);
    } else {
        s_on_zsock_closed(p);
    }
}
