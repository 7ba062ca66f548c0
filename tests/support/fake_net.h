/*
 * fake_net: the socket plumbing the fake servers (fake_http, fake_smtp)
 * share. One server thread owns a listening socket on 127.0.0.1 (on a port
 * the kernel chooses), a wake-up pipe and every connection, and polls them
 * all; the fake supplies what is said on a connection through hooks.
 *
 * Connections: the fake's connection struct starts with a fake_net_conn_t
 * (its first member), so the hooks cast between the two. fake_net accepts,
 * reads into `in`, writes what the fake queues in `out`, closes connections
 * whose state became FAKE_NET_DEAD and frees them.
 *
 * Locking: one mutex and condition variable guard what the test thread
 * and the server thread both touch; the fake takes them through
 * fake_net_lock/_unlock/_broadcast for its own state (script, modes,
 * records). Hooks run on the server thread; only `open` runs with the lock
 * held.
 */
#ifndef PL_FAKE_NET_H
#define PL_FAKE_NET_H

#include "common/pl_buf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct fake_net fake_net_t;

typedef enum {
    FAKE_NET_OPEN,     /* reading and answering */
    FAKE_NET_HUNG,     /* a dead peer: read and drop, never write */
    FAKE_NET_CLOSING,  /* write what is queued, then shut down the sending side */
    FAKE_NET_DRAINING, /* sending side shut: read and drop until the peer closes */
    FAKE_NET_DEAD,     /* to be closed and freed */
} fake_net_state_t;

typedef struct fake_net_conn {
    int fd;
    unsigned id; /* 1 for the first connection accepted, 2 ... */
    fake_net_state_t state;
    pl_buf_t in;    /* received, not yet consumed by the fake */
    pl_buf_t out;   /* queued by the fake, sent from out_off on */
    size_t out_off; /* bytes of out already sent */
} fake_net_conn_t;

typedef struct fake_net_ops {
    const char *name; /* "fake_http": starts every line on stderr */
    const char *what; /* "connection": names one in "<what> 7 refused" */
    size_t conn_size; /* sizeof the fake's connection struct */
    /*
     * open: a connection was accepted; `c` has fd, id and state OPEN set and
     * the rest of the fake's struct zeroed. It may set the state (HUNG) or
     * queue a greeting in c->out. Returns false to have it closed at once,
     * without a word on stderr (then `release` is not called). Runs with
     * the lock held: it must not take it.
     */
    bool (*open)(void *owner, fake_net_conn_t *c);
    /* input: bytes were appended to c->in while the state was OPEN. */
    void (*input)(void *owner, fake_net_conn_t *c);
    /* release: frees what the fake's part of `c` holds (not `c` itself);
     * NULL when it holds nothing. */
    void (*release)(fake_net_conn_t *c);
} fake_net_ops_t;

/*
 * fake_net_start: binds 127.0.0.1 on a kernel-chosen port and starts the
 * server thread, which passes `owner` to the hooks. Stores the new object
 * in *net_p before the thread starts, so hooks may use it; the caller stops
 * it with fake_net_stop. Borrows `ops` (must outlive the object). Returns 0,
 * or -1 when a socket, the thread or memory could not be had (the cause on
 * stderr; *net_p is then NULL).
 */
int fake_net_start(fake_net_t **net_p, const fake_net_ops_t *ops, void *owner);

/*
 * fake_net_stop: stops the thread (it wakes at least every 100 ms), then
 * closes and releases every connection, hung ones too, and frees the
 * object. Accepts NULL and *net_p == NULL; sets *net_p to NULL.
 */
void fake_net_stop(fake_net_t **net_p);

/* fake_net_port: the TCP port it listens on (host order). */
int fake_net_port(const fake_net_t *net);

/* fake_net_connections: the number of connections accepted so far. Takes the lock. */
size_t fake_net_connections(fake_net_t *net);

/* fake_net_lock, fake_net_unlock: take and release the shared mutex. */
void fake_net_lock(fake_net_t *net);
void fake_net_unlock(fake_net_t *net);

/* fake_net_broadcast: wakes fake_net_wait; call it with the lock held
 * after changing a count that someone may wait for. */
void fake_net_broadcast(fake_net_t *net);

/*
 * fake_net_wait: takes the lock and waits until *count (guarded by it) is
 * at least `n`, or `timeout_ms` passed (monotonic clock). Borrows `count`.
 * Returns *count then.
 */
size_t fake_net_wait(fake_net_t *net, const size_t *count, size_t n, int timeout_ms);

/* fake_net_consume: drops the first `size` bytes of `buf` (all of them when
 * it holds fewer), keeping it NUL-terminated. */
void fake_net_consume(pl_buf_t *buf, size_t size);

#endif
