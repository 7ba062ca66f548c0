/*
 * plaint watch: subscribes to plaintd's publish socket and prints each
 * message (a topic frame, then a JSON payload frame) as it arrives.
 */
#include "client/client.h"

#include "common/pl_time.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/*
 * The longest one zmq_poll waits: a signal may land on another thread, or
 * just before the poll, so the stop flag is looked at this often.
 */
#define S_SLICE_MS 200

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* One message off the SUB socket: the topic and the payload frames (payload may be absent). */
typedef struct s_message {
    zmq_msg_t topic;
    zmq_msg_t payload;
    bool has_payload;
} s_message_t;

static void s_drain_parts(void *socket)
{
    int more = 1;
    size_t more_size = sizeof more;
    while (zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &more_size) == 0 && more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        zmq_msg_recv(&part, socket, 0);
        zmq_msg_close(&part);
    }
}

/* Takes one pending message. Returns 0, PL_EAGAIN (none) or PL_EIO. */
static int s_recv(void *socket, s_message_t *m)
{
    zmq_msg_init(&m->topic);
    zmq_msg_init(&m->payload);
    m->has_payload = false;
    if (zmq_msg_recv(&m->topic, socket, ZMQ_DONTWAIT) < 0) {
        return zmq_errno() == EAGAIN ? PL_EAGAIN : PL_EIO;
    }
    if (zmq_msg_more(&m->topic)) {
        /* The rest of a message is there once its first part is. */
        if (zmq_msg_recv(&m->payload, socket, 0) < 0) {
            return PL_EIO;
        }
        m->has_payload = true;
        s_drain_parts(socket);
    }
    return 0;
}

static void s_message_close(s_message_t *m)
{
    zmq_msg_close(&m->topic);
    zmq_msg_close(&m->payload);
}

/* The payload as JSON: parsed, else a string, else null. A new reference, or NULL. */
static json_t *s_payload_json(s_message_t *m)
{
    if (!m->has_payload) {
        return json_null();
    }
    const char *data = zmq_msg_data(&m->payload);
    size_t size = zmq_msg_size(&m->payload);
    json_error_t jerr;
    json_t *value = json_loadb(data, size, JSON_DECODE_ANY, &jerr);
    if (!value) {
        value = json_stringn(data, size);
    }
    return value ? value : json_null();
}

/* "{"topic":"case.created","payload":{...}}" on one line. */
static int s_print_json(s_message_t *m)
{
    json_t *topic = json_stringn(zmq_msg_data(&m->topic), zmq_msg_size(&m->topic));
    json_t *line = topic ? json_pack("{s:o, s:o}", "topic", topic, "payload", s_payload_json(m))
                         : NULL;
    char *dump = line ? json_dumps(line, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(line);
    if (!dump) {
        fprintf(stderr, "plaint: watch: ignored a message that cannot be shown as JSON (a topic "
                        "that is not UTF-8?)\n");
        return PL_EINVAL;
    }
    printf("%s\n", dump);
    free(dump);
    return 0;
}

/* Writes `size` bytes of untrusted text (not NUL-terminated) for a terminal, on one line. */
static void s_print_bytes(const char *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) {
        fputs("?", stdout);
        return;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    /* An embedded NUL ends the text: good enough for a look at a broken message. */
    for (char *p = text; *p; p++) {
        *p = *p == '\n' ? ' ' : *p;
    }
    pl_client_print_text(text, 0);
    free(text);
}

/* "2026-11-28T13:34:05Z case.created {...}": the time it arrived, the topic, the payload. */
static int s_print_human(s_message_t *m)
{
    char now[PL_TIME_RFC3339_SIZE];
    pl_time_format_rfc3339(pl_now(), now, sizeof now);
    printf("%.10sT%.8sZ ", now, now + 11);
    s_print_bytes(zmq_msg_data(&m->topic), zmq_msg_size(&m->topic));
    if (m->has_payload) {
        putchar(' ');
        json_error_t jerr;
        json_t *value = json_loadb(zmq_msg_data(&m->payload), zmq_msg_size(&m->payload),
                                   JSON_DECODE_ANY, &jerr);
        char *dump = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(value);
        if (dump) {
            pl_client_print_text(dump, 0);
        } else {
            s_print_bytes(zmq_msg_data(&m->payload), zmq_msg_size(&m->payload));
        }
        free(dump);
    }
    putchar('\n');
    return 0;
}

/* Connects a SUB socket to args->publish and subscribes; prints why not. */
static void *s_subscribe(void *ctx, const pl_watch_args_t *args, int *status)
{
    void *socket = zmq_socket(ctx, ZMQ_SUB);
    if (!socket) {
        fprintf(stderr, "plaint: watch: cannot create socket: %s\n", zmq_strerror(zmq_errno()));
        *status = PL_EXIT_FAILED;
        return NULL;
    }
    int linger = 0;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < args->topic_count; i++) {
        rc = zmq_setsockopt(socket, ZMQ_SUBSCRIBE, args->topics[i], strlen(args->topics[i]));
    }
    if (rc == 0 && args->topic_count == 0) {
        rc = zmq_setsockopt(socket, ZMQ_SUBSCRIBE, "", 0);
    }
    if (rc != 0) {
        fprintf(stderr, "plaint: watch: cannot subscribe: %s\n", zmq_strerror(zmq_errno()));
        zmq_close(socket);
        *status = PL_EXIT_FAILED;
        return NULL;
    }
    if (zmq_connect(socket, args->publish) != 0) {
        int e = zmq_errno();
        if (e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO) {
            fprintf(stderr, "plaint: invalid endpoint '%s' (%s); expected e.g. "
                            PL_CLIENT_DEFAULT_PUBLISH "\n", args->publish, zmq_strerror(e));
            *status = PL_EXIT_USAGE;
        } else {
            fprintf(stderr, "plaint: cannot connect to %s: %s\n", args->publish,
                    zmq_strerror(e));
            *status = PL_EXIT_FAILED;
        }
        zmq_close(socket);
        return NULL;
    }
    return socket;
}

/* Receives and prints until stopped; returns a PL_EXIT_* status. */
static int s_loop(void *socket, const pl_client_opts_t *opts, const pl_watch_args_t *args)
{
    long received = 0;
    pl_usec_t deadline = pl_monotonic_usec() + (pl_usec_t)args->timeout_ms * 1000;
    for (;;) {
        if (s_stop) {
            return PL_EXIT_OK;
        }
        long wait_ms = S_SLICE_MS;
        if (args->timeout_ms > 0) {
            pl_usec_t left = deadline - pl_monotonic_usec();
            if (left <= 0) {
                fprintf(stderr, "plaint: watch: no message from %s within %.1f s\n",
                        args->publish, (double)args->timeout_ms / 1000.0);
                return PL_EXIT_TIMEOUT;
            }
            long left_ms = (long)((left + 999) / 1000);
            wait_ms = left_ms < wait_ms ? left_ms : wait_ms;
        }
        zmq_pollitem_t item = {.socket = socket, .events = ZMQ_POLLIN};
        int n = zmq_poll(&item, 1, wait_ms);
        if (n < 0) {
            if (zmq_errno() == EINTR) {
                continue;
            }
            fprintf(stderr, "plaint: watch: cannot poll: %s\n", zmq_strerror(zmq_errno()));
            return PL_EXIT_FAILED;
        }
        while (n > 0 && !s_stop) {
            s_message_t m;
            int rc = s_recv(socket, &m);
            if (rc == PL_EAGAIN) {
                s_message_close(&m);
                break;
            }
            if (rc != 0) {
                fprintf(stderr, "plaint: watch: cannot receive: %s\n",
                        zmq_strerror(zmq_errno()));
                s_message_close(&m);
                return PL_EXIT_FAILED;
            }
            rc = opts->json ? s_print_json(&m) : s_print_human(&m);
            s_message_close(&m);
            if (rc != 0) {
                continue;
            }
            deadline = pl_monotonic_usec() + (pl_usec_t)args->timeout_ms * 1000;
            if (args->count > 0 && ++received >= args->count) {
                return PL_EXIT_OK;
            }
        }
    }
}

int pl_cmd_watch(const pl_client_opts_t *opts, const pl_watch_args_t *args)
{
    /* One line per message, visible at once even through a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        fprintf(stderr, "plaint: cannot create a ZeroMQ context: %s\n", zmq_strerror(zmq_errno()));
        return PL_EXIT_FAILED;
    }
    int status = PL_EXIT_FAILED;
    void *socket = s_subscribe(ctx, args, &status);
    if (socket) {
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = s_on_signal;
        sigemptyset(&sa.sa_mask);
        s_stop = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        status = s_loop(socket, opts, args);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        zmq_close(socket);
    }
    zmq_ctx_term(ctx);
    fflush(stdout);
    return status;
}
