/*
 * fake_http: see fake_http.h. The server thread, the sockets and the lock
 * come from fake_net.c; the lock guards only what the test thread also
 * touches: the script, the modes and the records. Each connection keeps its
 * unparsed input; a request is parsed
 * again from its start whenever more bytes arrive until it is complete,
 * which is quadratic only in the number of reads of one request and keeps
 * the parser free of saved states.
 */
#include "fake_http.h"

#include "common/pl_buf.h"
#include "common/pl_err.h"
#include "fake_net.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_HEAD (64 * 1024)
#define S_MAX_BODY (16 * 1024 * 1024)
/* Room for the chunk framing around a maximal chunked body. */
#define S_MAX_INPUT (S_MAX_HEAD + 2 * S_MAX_BODY)

static const char s_default_body[] = "{\"errcode\":0,\"errmsg\":\"ok\"}";

typedef struct s_answer {
    int status;
    char *headers; /* NULL or CRLF-terminated lines */
    char *body;    /* never NULL */
    struct s_answer *next;
} s_answer_t;

/* States: OPEN reads requests and answers them; HUNG (hang mode caught it)
 * reads and drops, never writes. */
typedef struct s_conn {
    fake_net_conn_t base; /* first: fake_net casts between the two */
    bool continue_sent; /* 100 Continue already answered for the current request */
} s_conn_t;

struct fake_http {
    fake_net_t *net; /* its lock guards everything below */
    bool hang;
    bool close_mode;
    s_answer_t *script_head;
    s_answer_t *script_tail;
    s_answer_t dflt;
    fake_http_req_t *reqs;
    size_t reqs_count;
    size_t reqs_cap;
};

/* ---- small helpers ------------------------------------------------------ */

static const char *s_find(const char *hay, size_t hay_size, const char *needle)
{
    size_t n = strlen(needle);
    if (n > hay_size)
        return NULL;
    for (size_t i = 0; i + n <= hay_size; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    }
    return NULL;
}

static char *s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *s_dup_trimmed(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return strndup(s, n);
}

/* Whether the comma-separated list `value` holds `token` (case-insensitive). */
static bool s_has_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if ((size_t)(last - p) == n && strncasecmp(p, token, n) == 0)
            return true;
        p = end;
    }
    return false;
}

static const struct {
    int status;
    const char *reason;
} s_reasons[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {413, "Content Too Large"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

static const char *s_reason(int status)
{
    for (size_t i = 0; i < sizeof s_reasons / sizeof s_reasons[0]; i++) {
        if (s_reasons[i].status == status)
            return s_reasons[i].reason;
    }
    return "Status";
}

/* ---- records -------------------------------------------------------------- */

void fake_http_req_clear(fake_http_req_t *req)
{
    if (!req)
        return;
    free(req->method);
    free(req->path);
    free(req->version);
    free(req->content_type);
    free(req->idempotency_key);
    free(req->body);
    for (size_t i = 0; i < req->headers_count; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->headers);
    memset(req, 0, sizeof *req);
    req->content_length = -1;
}

const char *fake_http_req_header(const fake_http_req_t *req, const char *name)
{
    if (!req || !name)
        return NULL;
    for (size_t i = 0; i < req->headers_count; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

static int s_req_copy(fake_http_req_t *dst, const fake_http_req_t *src)
{
    memset(dst, 0, sizeof *dst);
    dst->content_length = src->content_length;
    dst->chunked = src->chunked;
    dst->expect_continue = src->expect_continue;
    dst->connection = src->connection;
    dst->body_size = src->body_size;
    dst->method = s_dup(src->method);
    dst->path = s_dup(src->path);
    dst->version = s_dup(src->version);
    dst->content_type = s_dup(src->content_type);
    dst->idempotency_key = s_dup(src->idempotency_key);
    dst->body = malloc(src->body_size + 1);
    if (dst->body) {
        memcpy(dst->body, src->body, src->body_size);
        dst->body[src->body_size] = '\0';
    }
    bool ok = dst->method && dst->path && dst->version && dst->body &&
              (!src->content_type || dst->content_type) &&
              (!src->idempotency_key || dst->idempotency_key);
    if (ok && src->headers_count) {
        dst->headers = calloc(src->headers_count, sizeof *dst->headers);
        ok = dst->headers != NULL;
        for (size_t i = 0; ok && i < src->headers_count; i++) {
            dst->headers_count++;
            dst->headers[i].name = s_dup(src->headers[i].name);
            dst->headers[i].value = s_dup(src->headers[i].value);
            ok = dst->headers[i].name && dst->headers[i].value;
        }
    }
    if (!ok) {
        fake_http_req_clear(dst);
        return PL_ENOMEM;
    }
    return 0;
}

/* ---- request parsing ------------------------------------------------------ */

/* Why a request cannot be parsed: the status we answer with. */
enum { S_PARSE_MORE = 0, S_PARSE_DONE = 1 };

typedef struct s_head {
    size_t size; /* bytes of request line and headers, final empty line included */
    bool keep_alive;
    bool is_http10;
    bool is_head_method;
} s_head_t;

/* Parses the head in buf[0..size) (which ends with the empty line) into req.
 * Returns 0 or the status to answer with (400, 413). */
static int s_parse_head(const char *buf, size_t size, fake_http_req_t *req, s_head_t *head)
{
    const char *p = buf;
    const char *end = buf + size;
    bool first = true;
    bool te_seen = false;
    const char *connection = NULL;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 400;
        size_t len = (size_t)(nl - p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        const char *line = p;
        p = nl + 1;
        if (len == 0)
            break; /* the empty line ends the head */
        if (first) {
            first = false;
            const char *sp1 = memchr(line, ' ', len);
            if (!sp1 || sp1 == line)
                return 400;
            const char *rest = sp1 + 1;
            size_t rest_len = len - (size_t)(rest - line);
            const char *sp2 = memchr(rest, ' ', rest_len);
            if (!sp2 || sp2 == rest)
                return 400;
            const char *ver = sp2 + 1;
            size_t ver_len = len - (size_t)(ver - line);
            if (ver_len != 8 || strncmp(ver, "HTTP/1.", 7) != 0)
                return 400;
            req->method = strndup(line, (size_t)(sp1 - line));
            req->path = strndup(rest, (size_t)(sp2 - rest));
            req->version = strndup(ver, ver_len);
            if (!req->method || !req->path || !req->version)
                return 500;
            continue;
        }
        /* Obsolete line folding (RFC 9112 5.2) is rejected, as it may be. */
        if (line[0] == ' ' || line[0] == '\t')
            return 400;
        const char *colon = memchr(line, ':', len);
        if (!colon || colon == line)
            return 400;
        for (const char *q = line; q < colon; q++) {
            if (*q == ' ' || *q == '\t')
                return 400;
        }
        fake_http_header_t *hs =
            realloc(req->headers, (req->headers_count + 1) * sizeof *req->headers);
        if (!hs)
            return 500;
        req->headers = hs;
        fake_http_header_t *h = &hs[req->headers_count];
        h->name = strndup(line, (size_t)(colon - line));
        h->value = s_dup_trimmed(colon + 1, len - (size_t)(colon + 1 - line));
        if (!h->name || !h->value) {
            free(h->name);
            free(h->value);
            return 500;
        }
        req->headers_count++;

        if (strcasecmp(h->name, "Content-Length") == 0) {
            if (req->content_length >= 0 || h->value[0] == '\0')
                return 400; /* repeated or empty: ambiguous framing */
            long v = 0;
            for (const char *q = h->value; *q; q++) {
                if (*q < '0' || *q > '9')
                    return 400;
                if (v > S_MAX_BODY)
                    return 413;
                v = v * 10 + (*q - '0');
            }
            if (v > S_MAX_BODY)
                return 413;
            req->content_length = v;
        } else if (strcasecmp(h->name, "Transfer-Encoding") == 0) {
            te_seen = true;
            req->chunked = s_has_token(h->value, "chunked");
        } else if (strcasecmp(h->name, "Content-Type") == 0) {
            if (!req->content_type && !(req->content_type = strdup(h->value)))
                return 500;
        } else if (strcasecmp(h->name, "Idempotency-Key") == 0) {
            if (!req->idempotency_key && !(req->idempotency_key = strdup(h->value)))
                return 500;
        } else if (strcasecmp(h->name, "Expect") == 0) {
            req->expect_continue = strcasecmp(h->value, "100-continue") == 0;
        } else if (strcasecmp(h->name, "Connection") == 0) {
            connection = h->value;
        }
    }
    if (first)
        return 400;
    /* A transfer coding other than chunked leaves the length unknown. */
    if (te_seen && !req->chunked)
        return 400;
    head->size = size;
    head->is_head_method = strcmp(req->method, "HEAD") == 0;
    head->is_http10 = strcmp(req->version, "HTTP/1.0") == 0;
    if (head->is_http10)
        head->keep_alive = connection && s_has_token(connection, "keep-alive");
    else
        head->keep_alive = !(connection && s_has_token(connection, "close"));
    return 0;
}

/*
 * Decodes a chunked body (RFC 9112 7.1) from buf[0..size). Returns
 * S_PARSE_DONE with *used set (and the data appended to body when it is not
 * NULL), S_PARSE_MORE when more bytes are needed, or the status to answer
 * with when it is malformed (400) or too large (413).
 */
static int s_parse_chunked(const char *buf, size_t size, size_t *used, pl_buf_t *body)
{
    size_t pos = 0;
    size_t total = 0;
    for (;;) {
        const char *eol = s_find(buf + pos, size - pos, "\r\n");
        if (!eol)
            return size - pos > 1024 ? 400 : S_PARSE_MORE;
        size_t chunk = 0;
        const char *q = buf + pos;
        int digits = 0;
        for (; q < eol; q++) {
            int d;
            if (*q >= '0' && *q <= '9')
                d = *q - '0';
            else if (*q >= 'a' && *q <= 'f')
                d = *q - 'a' + 10;
            else if (*q >= 'A' && *q <= 'F')
                d = *q - 'A' + 10;
            else
                break;
            if (chunk > S_MAX_BODY)
                return 413;
            chunk = chunk * 16 + (size_t)d;
            digits++;
        }
        /* Chunk extensions (";name=value") and blanks before them are skipped. */
        if (digits == 0 || (q < eol && *q != ';' && *q != ' ' && *q != '\t'))
            return 400;
        pos = (size_t)(eol - buf) + 2;
        if (chunk == 0)
            break;
        if (chunk > S_MAX_BODY || total + chunk > S_MAX_BODY)
            return 413;
        if (size - pos < chunk + 2)
            return S_PARSE_MORE;
        if (buf[pos + chunk] != '\r' || buf[pos + chunk + 1] != '\n')
            return 400;
        if (body) {
            pl_buf_add(body, buf + pos, chunk);
            if (body->failed)
                return 500;
        }
        total += chunk;
        pos += chunk + 2;
    }
    /* Trailer fields, ignored, up to the empty line. */
    for (;;) {
        const char *eol = s_find(buf + pos, size - pos, "\r\n");
        if (!eol)
            return size - pos > S_MAX_HEAD ? 431 : S_PARSE_MORE;
        bool empty = eol == buf + pos;
        pos = (size_t)(eol - buf) + 2;
        if (empty)
            break;
    }
    *used = pos;
    return S_PARSE_DONE;
}

/* ---- connections ---------------------------------------------------------- */

/* Queues an error answer and closes the connection after writing it. */
static void s_conn_fail(s_conn_t *c, int status)
{
    pl_buf_printf(&c->base.out, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                  status, s_reason(status));
    c->base.state = c->base.out.failed ? FAKE_NET_DEAD : FAKE_NET_CLOSING;
}

static bool s_has_header_line(const char *lines, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = lines; p && *p;) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            return true;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

static int s_queue_answer(s_conn_t *c, const s_answer_t *a, const s_head_t *head)
{
    bool close = !head->keep_alive;
    bool no_body = (a->status >= 100 && a->status < 200) || a->status == 204 || a->status == 304;
    size_t body_size = strlen(a->body);
    pl_buf_t *o = &c->base.out;
    pl_buf_printf(o, "HTTP/1.1 %d %s\r\n", a->status, s_reason(a->status));
    if (!s_has_header_line(a->headers, "Content-Type"))
        pl_buf_puts(o, "Content-Type: application/json; charset=utf-8\r\n");
    if (!no_body)
        pl_buf_printf(o, "Content-Length: %zu\r\n", body_size);
    if (close)
        pl_buf_puts(o, "Connection: close\r\n");
    else if (head->is_http10)
        pl_buf_puts(o, "Connection: keep-alive\r\n");
    if (a->headers)
        pl_buf_puts(o, a->headers);
    pl_buf_puts(o, "\r\n");
    if (!no_body && !head->is_head_method)
        pl_buf_add(o, a->body, body_size);
    return o->failed ? -1 : 0;
}

static void s_answer_free(s_answer_t *a)
{
    if (!a)
        return;
    free(a->headers);
    free(a->body);
    free(a);
}

/*
 * Records the complete request (taking over what req holds) and decides the
 * answer, all under the lock so that "script, then send" in a test always
 * pairs the scripted answer with the next request. Returns the answer to
 * send (the caller frees it), or NULL when the mode says not to answer, with
 * *state telling what to do with the connection.
 */
static s_answer_t *s_record(fake_http_t *self, fake_http_req_t *req, fake_net_state_t *state)
{
    s_answer_t *answer = NULL;
    fake_net_lock(self->net);
    if (self->reqs_count == self->reqs_cap) {
        size_t cap = self->reqs_cap ? self->reqs_cap * 2 : 16;
        fake_http_req_t *p = realloc(self->reqs, cap * sizeof *p);
        if (p) {
            self->reqs = p;
            self->reqs_cap = cap;
        }
    }
    if (self->reqs_count < self->reqs_cap) {
        self->reqs[self->reqs_count++] = *req;
        memset(req, 0, sizeof *req);
        req->content_length = -1;
    } else {
        fprintf(stderr, "fake_http: out of memory, request not recorded\n");
        fake_http_req_clear(req);
    }
    fake_net_broadcast(self->net);

    if (self->close_mode) {
        *state = FAKE_NET_DEAD;
    } else if (self->hang) {
        *state = FAKE_NET_HUNG;
    } else {
        *state = FAKE_NET_OPEN;
        if (self->script_head) {
            answer = self->script_head;
            self->script_head = answer->next;
            if (!self->script_head)
                self->script_tail = NULL;
            answer->next = NULL;
        } else {
            answer = calloc(1, sizeof *answer);
            if (answer) {
                answer->status = self->dflt.status;
                answer->body = strdup(self->dflt.body);
                if (!answer->body) {
                    free(answer);
                    answer = NULL;
                }
            }
        }
        if (!answer)
            *state = FAKE_NET_DEAD;
    }
    fake_net_unlock(self->net);
    return answer;
}

static bool s_is_hanging(fake_http_t *self)
{
    fake_net_lock(self->net);
    bool hang = self->hang;
    fake_net_unlock(self->net);
    return hang;
}

/* The input hook: handles every complete request in c->base.in. */
static void s_conn_input(void *owner, fake_net_conn_t *base)
{
    fake_http_t *self = owner;
    s_conn_t *c = (s_conn_t *)base;
    pl_buf_t *in = &base->in;
    if (in->size > S_MAX_INPUT) {
        s_conn_fail(c, 413);
        return;
    }
    while (base->state == FAKE_NET_OPEN && in->size > 0) {
        /* RFC 9112 2.2: ignore empty lines before a request line. */
        size_t skip = 0;
        while (skip < in->size && (in->data[skip] == '\r' || in->data[skip] == '\n'))
            skip++;
        if (skip) {
            fake_net_consume(in, skip);
            continue;
        }
        const char *eoh = s_find(in->data, in->size, "\r\n\r\n");
        if (!eoh) {
            if (in->size > S_MAX_HEAD)
                s_conn_fail(c, 431);
            return;
        }
        size_t head_size = (size_t)(eoh - in->data) + 4;
        if (head_size > S_MAX_HEAD) {
            s_conn_fail(c, 431);
            return;
        }

        fake_http_req_t req;
        memset(&req, 0, sizeof req);
        req.content_length = -1;
        s_head_t head = {0};
        int status = s_parse_head(in->data, head_size, &req, &head);
        if (status != 0) {
            fake_http_req_clear(&req);
            s_conn_fail(c, status);
            return;
        }

        const char *rest = in->data + head_size;
        size_t rest_size = in->size - head_size;
        size_t body_used = 0;
        pl_buf_t body = {0};
        int done;
        if (req.chunked) {
            done = s_parse_chunked(rest, rest_size, &body_used, NULL);
            if (done == S_PARSE_DONE)
                done = s_parse_chunked(rest, rest_size, &body_used, &body);
        } else {
            size_t want = req.content_length > 0 ? (size_t)req.content_length : 0;
            done = rest_size >= want ? S_PARSE_DONE : S_PARSE_MORE;
            if (done == S_PARSE_DONE) {
                body_used = want;
                pl_buf_add(&body, rest, want);
                if (body.failed)
                    done = 500;
            }
        }

        if (done == S_PARSE_MORE) {
            /* The client waits (libcurl: one second) for our go-ahead before
             * sending the body; a dead sink gives none. */
            if (req.expect_continue && !c->continue_sent && !s_is_hanging(self)) {
                pl_buf_puts(&base->out, "HTTP/1.1 100 Continue\r\n\r\n");
                if (base->out.failed)
                    base->state = FAKE_NET_DEAD;
                c->continue_sent = true;
            }
            fake_http_req_clear(&req);
            pl_buf_free(&body);
            return;
        }
        if (done != S_PARSE_DONE) {
            fake_http_req_clear(&req);
            pl_buf_free(&body);
            s_conn_fail(c, done);
            return;
        }
        size_t body_size = body.size;
        req.body = pl_buf_take(&body, NULL); /* "" for no body */
        if (!req.body) {
            fake_http_req_clear(&req);
            s_conn_fail(c, 500);
            return;
        }
        req.body_size = body_size;
        req.connection = base->id;
        fake_net_consume(in, head_size + body_used);
        c->continue_sent = false;

        fake_net_state_t next;
        s_answer_t *answer = s_record(self, &req, &next);
        if (answer) {
            if (s_queue_answer(c, answer, &head) < 0)
                next = FAKE_NET_DEAD;
            else if (!head.keep_alive)
                next = FAKE_NET_CLOSING;
            s_answer_free(answer);
        }
        base->state = next;
    }
}

/* The open hook: close mode closes a new connection at once. */
static bool s_conn_open(void *owner, fake_net_conn_t *base)
{
    fake_http_t *self = owner;
    (void)base;
    return !self->close_mode;
}

static const fake_net_ops_t s_ops = {
    .name = "fake_http",
    .what = "connection",
    .conn_size = sizeof(s_conn_t),
    .open = s_conn_open,
    .input = s_conn_input,
    .release = NULL, /* a connection holds nothing more */
};

/* ---- public --------------------------------------------------------------- */

fake_http_t *fake_http_start(void)
{
    fake_http_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dflt.status = 200;
    self->dflt.body = strdup(s_default_body);
    if (!self->dflt.body || fake_net_start(&self->net, &s_ops, self) != 0) {
        free(self->dflt.body);
        free(self);
        return NULL;
    }
    return self;
}

int fake_http_port(fake_http_t *self)
{
    return fake_net_port(self->net);
}

char *fake_http_url(fake_http_t *self, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "http://127.0.0.1:%d%s", fake_net_port(self->net), path ? path : "");
    return buf;
}

void fake_http_stop(fake_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    fake_http_t *self = *self_p;
    *self_p = NULL;

    fake_net_stop(&self->net);
    while (self->script_head) {
        s_answer_t *next = self->script_head->next;
        s_answer_free(self->script_head);
        self->script_head = next;
    }
    free(self->dflt.body);
    for (size_t i = 0; i < self->reqs_count; i++)
        fake_http_req_clear(&self->reqs[i]);
    free(self->reqs);
    free(self);
}

int fake_http_script_headers(fake_http_t *self, int status, const char *headers, const char *body)
{
    s_answer_t *a = calloc(1, sizeof *a);
    if (!a)
        return PL_ENOMEM;
    a->status = status;
    a->body = strdup(body ? body : "");
    if (headers && headers[0]) {
        size_t n = strlen(headers);
        bool crlf = n >= 2 && headers[n - 2] == '\r' && headers[n - 1] == '\n';
        a->headers = malloc(n + 3);
        if (a->headers)
            snprintf(a->headers, n + 3, "%s%s", headers, crlf ? "" : "\r\n");
    }
    if (!a->body || (headers && headers[0] && !a->headers)) {
        s_answer_free(a);
        return PL_ENOMEM;
    }
    fake_net_lock(self->net);
    if (self->script_tail)
        self->script_tail->next = a;
    else
        self->script_head = a;
    self->script_tail = a;
    fake_net_unlock(self->net);
    return 0;
}

int fake_http_script(fake_http_t *self, int status, const char *body)
{
    return fake_http_script_headers(self, status, NULL, body);
}

int fake_http_default(fake_http_t *self, int status, const char *body)
{
    char *copy = strdup(body ? body : "");
    if (!copy)
        return PL_ENOMEM;
    fake_net_lock(self->net);
    free(self->dflt.body);
    self->dflt.body = copy;
    self->dflt.status = status;
    fake_net_unlock(self->net);
    return 0;
}

void fake_http_hang(fake_http_t *self, int on)
{
    fake_net_lock(self->net);
    self->hang = on != 0;
    fake_net_unlock(self->net);
}

void fake_http_close_mode(fake_http_t *self, int on)
{
    fake_net_lock(self->net);
    self->close_mode = on != 0;
    fake_net_unlock(self->net);
}

size_t fake_http_count(fake_http_t *self)
{
    fake_net_lock(self->net);
    size_t n = self->reqs_count;
    fake_net_unlock(self->net);
    return n;
}

size_t fake_http_connections(fake_http_t *self)
{
    return fake_net_connections(self->net);
}

size_t fake_http_wait(fake_http_t *self, size_t n, int timeout_ms)
{
    return fake_net_wait(self->net, &self->reqs_count, n, timeout_ms);
}

int fake_http_request(fake_http_t *self, size_t i, fake_http_req_t *out)
{
    memset(out, 0, sizeof *out);
    out->content_length = -1;
    fake_net_lock(self->net);
    int rc = i < self->reqs_count ? s_req_copy(out, &self->reqs[i]) : PL_ENOENT;
    fake_net_unlock(self->net);
    return rc;
}
