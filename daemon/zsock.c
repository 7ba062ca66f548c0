#include "daemon/zsock.h"

#include "common/pl_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Messages received per loop iteration before others get a turn. */
#define S_BATCH 64

struct pl_zsock {
    uv_poll_t poll;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    void *socket;
    pl_zsock_recv_cb cb;
    void *arg;
    int reading;
    int pending_closes;
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static int s_has_input(pl_zsock_t *zs)
{
    int events = 0;
    size_t size = sizeof events;
    if (zmq_getsockopt(zs->socket, ZMQ_EVENTS, &events, &size) != 0) {
        return 0;
    }
    return (events & ZMQ_POLLIN) != 0;
}

static void s_on_poll(uv_poll_t *handle, int status, int events)
{
    /* Only wakes the loop; the check handle does the reading. */
    (void)handle;
    (void)status;
    (void)events;
}

static void s_on_idle(uv_idle_t *handle)
{
    (void)handle;
}

static void s_on_prepare(uv_prepare_t *handle)
{
    pl_zsock_t *zs = handle->data;
    if (zs->reading && s_has_input(zs)) {
        uv_idle_start(&zs->idle, s_on_idle);
    } else {
        uv_idle_stop(&zs->idle);
    }
}

static void s_receive_one(pl_zsock_t *zs)
{
    zmq_msg_t parts[PL_ZSOCK_MAX_PARTS];
    size_t count = 0;
    int truncated = 0;
    int more = 1;
    while (more) {
        zmq_msg_t scratch;
        zmq_msg_t *msg = count < PL_ZSOCK_MAX_PARTS ? &parts[count] : &scratch;
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, zs->socket, ZMQ_DONTWAIT) < 0) {
            /* Parts of one message arrive together, so this is the first part. */
            zmq_msg_close(msg);
            break;
        }
        more = zmq_msg_more(msg);
        if (msg == &scratch) {
            truncated = 1;
            zmq_msg_close(msg);
        } else {
            count++;
        }
    }
    if (count > 0) {
        zs->cb(zs, parts, count, truncated, zs->arg);
    }
    for (size_t i = 0; i < count; i++) {
        zmq_msg_close(&parts[i]);
    }
}

static void s_on_check(uv_check_t *handle)
{
    pl_zsock_t *zs = handle->data;
    for (int i = 0; i < S_BATCH && zs->reading && s_has_input(zs); i++) {
        s_receive_one(zs);
    }
}

pl_zsock_t *pl_zsock_new(uv_loop_t *loop, void *socket, pl_zsock_recv_cb cb, void *arg)
{
    int fd = -1;
    size_t size = sizeof fd;
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &size) != 0) {
        return NULL;
    }
    pl_zsock_t *zs = calloc(1, sizeof *zs);
    if (!zs) {
        return NULL;
    }
    zs->socket = socket;
    zs->cb = cb;
    zs->arg = arg;
    if (uv_poll_init(loop, &zs->poll, fd) != 0) {
        free(zs);
        return NULL;
    }
    uv_prepare_init(loop, &zs->prepare);
    uv_check_init(loop, &zs->check);
    uv_idle_init(loop, &zs->idle);
    zs->poll.data = zs->prepare.data = zs->check.data = zs->idle.data = zs;
    return zs;
}

void pl_zsock_start(pl_zsock_t *zs)
{
    zs->reading = 1;
    uv_poll_start(&zs->poll, UV_READABLE, s_on_poll);
    uv_prepare_start(&zs->prepare, s_on_prepare);
    uv_check_start(&zs->check, s_on_check);
}

void pl_zsock_stop(pl_zsock_t *zs)
{
    zs->reading = 0;
    uv_poll_stop(&zs->poll);
    uv_prepare_stop(&zs->prepare);
    uv_check_stop(&zs->check);
    uv_idle_stop(&zs->idle);
}

static void s_on_close(uv_handle_t *handle)
{
    pl_zsock_t *zs = handle->data;
    if (--zs->pending_closes == 0) {
        void (*on_closed)(void *) = zs->on_closed;
        void *arg = zs->closed_arg;
        free(zs);
        if (on_closed) {
            on_closed(arg);
        }
    }
}

void pl_zsock_close(pl_zsock_t *zs, void (*on_closed)(void *arg), void *arg)
{
    pl_zsock_stop(zs);
    zs->on_closed = on_closed;
    zs->closed_arg = arg;
    zs->pending_closes = 4;
    uv_close((uv_handle_t *)&zs->poll, s_on_close);
    uv_close((uv_handle_t *)&zs->prepare, s_on_close);
    uv_close((uv_handle_t *)&zs->check, s_on_close);
    uv_close((uv_handle_t *)&zs->idle, s_on_close);
}
