/*
 * fake_net: see fake_net.h. The loop polls the listening socket, the wake-up
 * pipe and every connection; then it reads and writes what is ready, frees
 * the dead connections and accepts new ones. It re-checks the stop flag at
 * least every S_TICK_MS, so a lost wake-up only delays stopping.
 */
#include "fake_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_CONNS 256
#define S_READ_SIZE (64 * 1024)
#define S_TICK_MS 100

struct fake_net {
    const fake_net_ops_t *ops;
    void *owner;
    int listen_fd;
    int wake[2];
    int port;
    pthread_t thread;

    /* Owned by the server thread while it runs. */
    fake_net_conn_t **conns;
    size_t conns_count;
    struct pollfd *pfds;
    size_t pfds_cap;

    pthread_mutex_t mu; /* guards the two below and the fake's shared state */
    pthread_cond_t cond;
    bool stopping;
    size_t connections;
};

static int s_set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    /* Integration tests fork plaintd: it must not inherit our sockets. */
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

static struct timespec s_deadline(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (timeout_ms < 0)
        timeout_ms = 0;
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

void fake_net_consume(pl_buf_t *buf, size_t size)
{
    if (size >= buf->size) {
        buf->size = 0;
    } else {
        memmove(buf->data, buf->data + size, buf->size - size);
        buf->size -= size;
    }
    if (buf->data)
        buf->data[buf->size] = '\0';
}

/* ---- connections ---------------------------------------------------------- */

static void s_conn_free(fake_net_t *net, fake_net_conn_t *c)
{
    if (net->ops->release)
        net->ops->release(c);
    if (c->fd >= 0)
        close(c->fd);
    pl_buf_free(&c->in);
    pl_buf_free(&c->out);
    free(c);
}

/* Writes what is queued. Returns when the socket would block. */
static void s_conn_flush(fake_net_conn_t *c)
{
    while (c->state != FAKE_NET_DEAD && c->out_off < c->out.size) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.size - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                c->state = FAKE_NET_DEAD; /* the peer went away */
            return;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out.size) {
        fake_net_consume(&c->out, c->out.size);
        c->out_off = 0;
    }
    if (c->state == FAKE_NET_CLOSING && c->out.size == 0) {
        /* Shut only our side and read until the peer closes: closing with
         * unread input would reset the connection and could destroy the
         * answer before the client read it. */
        shutdown(c->fd, SHUT_WR);
        c->state = FAKE_NET_DRAINING;
    }
}

static void s_conn_read(fake_net_t *net, fake_net_conn_t *c)
{
    char tmp[S_READ_SIZE];
    ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            c->state = FAKE_NET_DEAD;
        return;
    }
    if (n == 0) {
        c->state = FAKE_NET_DEAD;
        return;
    }
    if (c->state != FAKE_NET_OPEN)
        return; /* hung, closing or draining: input is dropped */
    pl_buf_add(&c->in, tmp, (size_t)n);
    if (c->in.failed) {
        c->state = FAKE_NET_DEAD;
        return;
    }
    net->ops->input(net->owner, c);
}

static void s_accept(fake_net_t *net)
{
    for (;;) {
        int fd = accept(net->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "%s: accept: %s\n", net->ops->name, strerror(errno));
            return;
        }
        fake_net_conn_t *c = NULL;
        if (net->conns_count < S_MAX_CONNS && s_set_flags(fd) == 0) {
            fake_net_conn_t **conns = realloc(net->conns, (net->conns_count + 1) * sizeof *conns);
            if (conns) {
                net->conns = conns;
                c = calloc(1, net->ops->conn_size);
            }
        }
        if (c) {
            c->fd = fd;
            c->state = FAKE_NET_OPEN;
        }
        pthread_mutex_lock(&net->mu);
        unsigned id = (unsigned)++net->connections;
        bool keep = false;
        if (c) {
            c->id = id;
            keep = net->ops->open(net->owner, c);
        }
        pthread_mutex_unlock(&net->mu);

        if (!c) {
            fprintf(stderr, "%s: %s %u refused\n", net->ops->name, net->ops->what, id);
            close(fd);
            continue;
        }
        if (!keep) {
            close(fd);
            pl_buf_free(&c->out);
            free(c);
            continue;
        }
        net->conns[net->conns_count++] = c;
    }
}

static void *s_run(void *arg)
{
    fake_net_t *net = arg;
    for (;;) {
        pthread_mutex_lock(&net->mu);
        bool stopping = net->stopping;
        pthread_mutex_unlock(&net->mu);
        if (stopping)
            break;

        size_t n = 2 + net->conns_count;
        if (n > net->pfds_cap) {
            struct pollfd *p = realloc(net->pfds, n * sizeof *p);
            if (!p) {
                fprintf(stderr, "%s: out of memory\n", net->ops->name);
                break;
            }
            net->pfds = p;
            net->pfds_cap = n;
        }
        struct pollfd *pfds = net->pfds;
        pfds[0] = (struct pollfd){.fd = net->listen_fd, .events = POLLIN};
        pfds[1] = (struct pollfd){.fd = net->wake[0], .events = POLLIN};
        for (size_t i = 0; i < net->conns_count; i++) {
            fake_net_conn_t *c = net->conns[i];
            pfds[2 + i] = (struct pollfd){.fd = c->fd, .events = POLLIN};
            if (c->out.size > c->out_off && c->state != FAKE_NET_HUNG)
                pfds[2 + i].events |= POLLOUT;
        }
        int rc = poll(pfds, (nfds_t)n, S_TICK_MS);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: poll: %s\n", net->ops->name, strerror(errno));
            break;
        }
        if (pfds[1].revents) {
            char drain[64];
            while (read(net->wake[0], drain, sizeof drain) > 0) {
            }
        }
        for (size_t i = 0; i < net->conns_count; i++) {
            fake_net_conn_t *c = net->conns[i];
            if (pfds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))
                s_conn_read(net, c);
            if (c->state != FAKE_NET_HUNG && c->state != FAKE_NET_DEAD)
                s_conn_flush(c);
        }
        size_t kept = 0;
        for (size_t i = 0; i < net->conns_count; i++) {
            if (net->conns[i]->state == FAKE_NET_DEAD)
                s_conn_free(net, net->conns[i]);
            else
                net->conns[kept++] = net->conns[i];
        }
        net->conns_count = kept;
        if (pfds[0].revents & POLLIN)
            s_accept(net);
    }
    return NULL;
}

/* ---- public --------------------------------------------------------------- */

int fake_net_start(fake_net_t **net_p, const fake_net_ops_t *ops, void *owner)
{
    *net_p = NULL;
    fake_net_t *net = calloc(1, sizeof *net);
    if (!net)
        return -1;
    net->ops = ops;
    net->owner = owner;
    net->listen_fd = -1;
    net->wake[0] = net->wake[1] = -1;
    pthread_condattr_t ca;
    bool mu_ok = false, cond_ok = false;

    if (pthread_mutex_init(&net->mu, NULL) != 0)
        goto cleanup;
    mu_ok = true;
    if (pthread_condattr_init(&ca) != 0)
        goto cleanup;
    cond_ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&net->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!cond_ok)
        goto cleanup;

    if (pipe(net->wake) < 0 || s_set_flags(net->wake[0]) < 0 || s_set_flags(net->wake[1]) < 0) {
        fprintf(stderr, "%s: pipe: %s\n", ops->name, strerror(errno));
        goto cleanup;
    }
    net->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (net->listen_fd < 0 || s_set_flags(net->listen_fd) < 0) {
        fprintf(stderr, "%s: socket: %s\n", ops->name, strerror(errno));
        goto cleanup;
    }
    int one = 1;
    setsockopt(net->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sa_len = sizeof sa;
    if (bind(net->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(net->listen_fd, 64) < 0 ||
        getsockname(net->listen_fd, (struct sockaddr *)&sa, &sa_len) < 0) {
        fprintf(stderr, "%s: listen on 127.0.0.1: %s\n", ops->name, strerror(errno));
        goto cleanup;
    }
    net->port = ntohs(sa.sin_port);
    /* Hooks may read *net_p: set it before the thread can run them. */
    *net_p = net;
    int err = pthread_create(&net->thread, NULL, s_run, net);
    if (err != 0) {
        *net_p = NULL;
        fprintf(stderr, "%s: pthread_create: %s\n", ops->name, strerror(err));
        goto cleanup;
    }
    return 0;

cleanup:
    if (net->listen_fd >= 0)
        close(net->listen_fd);
    if (net->wake[0] >= 0)
        close(net->wake[0]);
    if (net->wake[1] >= 0)
        close(net->wake[1]);
    if (cond_ok)
        pthread_cond_destroy(&net->cond);
    if (mu_ok)
        pthread_mutex_destroy(&net->mu);
    free(net);
    return -1;
}

void fake_net_stop(fake_net_t **net_p)
{
    if (!net_p || !*net_p)
        return;
    fake_net_t *net = *net_p;
    *net_p = NULL;

    pthread_mutex_lock(&net->mu);
    net->stopping = true;
    pthread_mutex_unlock(&net->mu);
    /* A full pipe already holds a wake-up; the tick bounds the wait anyway. */
    ssize_t ignored = write(net->wake[1], "x", 1);
    (void)ignored;
    pthread_join(net->thread, NULL);

    for (size_t i = 0; i < net->conns_count; i++)
        s_conn_free(net, net->conns[i]);
    free(net->conns);
    free(net->pfds);
    close(net->listen_fd);
    close(net->wake[0]);
    close(net->wake[1]);
    pthread_cond_destroy(&net->cond);
    pthread_mutex_destroy(&net->mu);
    free(net);
}

int fake_net_port(const fake_net_t *net)
{
    return net->port;
}

size_t fake_net_connections(fake_net_t *net)
{
    pthread_mutex_lock(&net->mu);
    size_t n = net->connections;
    pthread_mutex_unlock(&net->mu);
    return n;
}

void fake_net_lock(fake_net_t *net)
{
    pthread_mutex_lock(&net->mu);
}

void fake_net_unlock(fake_net_t *net)
{
    pthread_mutex_unlock(&net->mu);
}

void fake_net_broadcast(fake_net_t *net)
{
    pthread_cond_broadcast(&net->cond);
}

size_t fake_net_wait(fake_net_t *net, const size_t *count, size_t n, int timeout_ms)
{
    struct timespec deadline = s_deadline(timeout_ms);
    pthread_mutex_lock(&net->mu);
    while (*count < n) {
        if (pthread_cond_timedwait(&net->cond, &net->mu, &deadline) == ETIMEDOUT)
            break;
    }
    size_t got = *count;
    pthread_mutex_unlock(&net->mu);
    return got;
}
