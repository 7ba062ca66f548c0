/*
 * fake_http: an HTTP/1.1 server for tests, standing in for a webhook sink
 * (WeCom, DingTalk, Feishu, a generic webhook). It runs in its own thread
 * inside the test process, listens on 127.0.0.1 only, on a port the kernel
 * chooses, records every request it fully receives and answers as scripted.
 *
 * What it understands: request line and headers (names case-insensitive),
 * bodies sized by Content-Length or sent chunked (extensions and trailers
 * are skipped), keep-alive (any number of requests per connection, also
 * pipelined), "Expect: 100-continue" (answered with 100 Continue when the
 * body has not arrived yet), "Connection: close" and HTTP/1.0 (closed after
 * the answer), and many connections at once (one poll() over all of them).
 * A request head over 64 KiB is answered with 431, a body over 16 MiB with
 * 413; bad syntax with 400. Those close the connection and are not recorded.
 *
 * Every answer carries Content-Type: application/json; charset=utf-8 (unless
 * a scripted header line sets another) and Content-Length (none, and no body,
 * for 1xx, 204 and 304; for HEAD the body is left out).
 *
 * Every function is thread-safe; none blocks longer than its timeout (stop
 * waits for the server thread, which wakes at least every 100 ms).
 */
#ifndef PL_FAKE_HTTP_H
#define PL_FAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct fake_http fake_http_t;

typedef struct fake_http_header {
    char *name;  /* as sent, e.g. "content-type" */
    char *value; /* surrounding blanks removed */
} fake_http_header_t;

/* One recorded request. Every string is NUL-terminated and owned by the
 * record; fake_http_req_clear frees them. */
typedef struct fake_http_req {
    char *method;          /* "POST" */
    char *path;            /* the request target as sent, query included */
    char *version;         /* "HTTP/1.1" */
    char *content_type;    /* Content-Type, NULL when absent */
    char *idempotency_key; /* Idempotency-Key, NULL when absent */
    long content_length;   /* Content-Length, -1 when absent */
    bool chunked;          /* the body came with Transfer-Encoding: chunked */
    bool expect_continue;  /* the request carried Expect: 100-continue */
    char *body;            /* decoded body; body[body_size] == '\0' */
    size_t body_size;
    fake_http_header_t *headers; /* every header line, in order */
    size_t headers_count;
    unsigned connection; /* 1 for the first connection accepted, 2 ... */
} fake_http_req_t;

/*
 * fake_http_start: binds 127.0.0.1 on a kernel-chosen port and starts the
 * server thread. The default answer is 200 {"errcode":0,"errmsg":"ok"}.
 * Returns a new object, caller stops it with fake_http_stop; NULL when a
 * socket, the thread or memory could not be had (the cause on stderr).
 */
fake_http_t *fake_http_start(void);

/* fake_http_port: the TCP port it listens on (host order). */
int fake_http_port(fake_http_t *self);

/* fake_http_url: writes "http://127.0.0.1:PORT" followed by `path` (may be
 * NULL) into buf and returns buf (truncated to size). */
char *fake_http_url(fake_http_t *self, const char *path, char *buf, size_t size);

/*
 * fake_http_stop: stops the thread, closes every connection (hung ones
 * too) and frees everything, recorded requests included. Accepts NULL and
 * *self_p == NULL; sets *self_p to NULL.
 */
void fake_http_stop(fake_http_t **self_p);

/*
 * fake_http_script: queues one answer; each request fully received takes
 * the oldest queued answer, or the default when none is left. `body` is
 * borrowed (copied; NULL means empty). Returns 0, or PL_ENOMEM.
 */
int fake_http_script(fake_http_t *self, int status, const char *body);

/*
 * fake_http_script_headers: like fake_http_script, with extra header lines
 * for the answer, e.g. "Retry-After: 2\r\n" (borrowed, copied; each line
 * ends with CRLF, a missing final CRLF is added; NULL means none). A
 * Content-Type line here replaces the default one. Returns 0, or PL_ENOMEM.
 */
int fake_http_script_headers(fake_http_t *self, int status, const char *headers, const char *body);

/* fake_http_default: sets the answer used when the script is empty (`body`
 * borrowed, copied; NULL means empty). Returns 0, or PL_ENOMEM. */
int fake_http_default(fake_http_t *self, int status, const char *body);

/*
 * fake_http_hang: with `on`, a dead sink: requests are still read and
 * recorded (and take no scripted answer), but nothing is ever written to
 * their connection, not even 100 Continue, until the client closes it or
 * fake_http_stop. A connection that hung stays hung after `on` is cleared;
 * clients reconnect.
 */
void fake_http_hang(fake_http_t *self, int on);

/*
 * fake_http_close_mode: with `on`, every connection is closed without an
 * answer: new ones right after accept, open ones when their next request
 * has been received (that request is recorded).
 */
void fake_http_close_mode(fake_http_t *self, int on);

/* fake_http_count: the number of requests fully received so far. */
size_t fake_http_count(fake_http_t *self);

/* fake_http_connections: the number of connections accepted so far. */
size_t fake_http_connections(fake_http_t *self);

/*
 * fake_http_wait: waits until at least `n` requests were fully received, or
 * `timeout_ms` passed. Returns the count then (compare it with n).
 */
size_t fake_http_wait(fake_http_t *self, size_t n, int timeout_ms);

/*
 * fake_http_request: copies request `i` (0 = the first received) into *out,
 * which the caller clears with fake_http_req_clear. Returns 0, PL_ENOENT
 * when fewer than i+1 requests were received (then *out is zeroed), or
 * PL_ENOMEM.
 */
int fake_http_request(fake_http_t *self, size_t i, fake_http_req_t *out);

/* fake_http_req_clear: frees what `req` holds and zeroes it. Accepts NULL. */
void fake_http_req_clear(fake_http_req_t *req);

/* fake_http_req_header: the value of the first header named `name` (case
 * insensitive), or NULL. Valid as long as `req` is not cleared. */
const char *fake_http_req_header(const fake_http_req_t *req, const char *name);

#endif
