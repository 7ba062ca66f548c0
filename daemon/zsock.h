/*
 * zsock: a ZeroMQ socket driven by the libuv loop.
 *
 * libzmq exposes an edge-style notification fd (ZMQ_FD) while libuv polls
 * level-triggered, so the fd alone can miss messages. The adaptor polls the fd
 * for readability only, and around every loop iteration re-reads ZMQ_EVENTS:
 * a prepare handle starts an idle handle when messages are pending (so the
 * loop does not sleep), and a check handle receives them, at most a batch
 * per iteration. See libzmq's zmq_getsockopt(3), ZMQ_FD.
 */
#ifndef PL_ZSOCK_H
#define PL_ZSOCK_H

#include <stddef.h>
#include <uv.h>
#include <zmq.h>

typedef struct pl_zsock pl_zsock_t;

/* Most parts of one message the adaptor accepts; more are counted, dropped. */
#define PL_ZSOCK_MAX_PARTS 16

/*
 * Called with every part of one message. `parts` are valid only during the
 * call (the adaptor closes them after); `count` is at most PL_ZSOCK_MAX_PARTS,
 * and `truncated` is set when the message had more parts than that.
 */
typedef void (*pl_zsock_recv_cb)(pl_zsock_t *zs, zmq_msg_t *parts, size_t count, int truncated,
                                 void *arg);

/*
 * pl_zsock_new: wraps `socket` (borrows it: the caller closes it after the
 * adaptor is closed). Returns a new adaptor, or NULL if ZMQ_FD cannot be read
 * or libuv refuses the handles. Reading starts with pl_zsock_start().
 */
pl_zsock_t *pl_zsock_new(uv_loop_t *loop, void *socket, pl_zsock_recv_cb cb, void *arg);

/* pl_zsock_start / pl_zsock_stop: start or stop delivering messages. */
void pl_zsock_start(pl_zsock_t *zs);
void pl_zsock_stop(pl_zsock_t *zs);

/*
 * pl_zsock_close: stops and closes the libuv handles; the adaptor is freed
 * once the last close callback ran, then `on_closed(arg)` is called if set.
 */
void pl_zsock_close(pl_zsock_t *zs, void (*on_closed)(void *arg), void *arg);

#endif
