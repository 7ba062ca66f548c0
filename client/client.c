#include "client/client.h"

#include "common/pl_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

struct pl_client {
    void *socket;
};

pl_client_t *pl_client_new(void *ctx, const char *endpoint, pl_err_t *err)
{
    pl_client_t *self = calloc(1, sizeof *self);
    if (!self) {
        pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        return NULL;
    }
    self->socket = zmq_socket(ctx, ZMQ_DEALER);
    if (!self->socket) {
        pl_err_set(err, PL_EIO, "zmq", NULL, "cannot create socket: %s", zmq_strerror(zmq_errno()));
        free(self);
        return NULL;
    }
    /* Linger 0: a command that gives up must exit at once, not wait to flush. */
    int linger = 0;
    zmq_setsockopt(self->socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(self->socket, endpoint) != 0) {
        int e = zmq_errno();
        int code = (e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO) ? PL_EINVAL : PL_EIO;
        if (code == PL_EINVAL) {
            pl_err_set(err, code, "connect", NULL,
                       "invalid endpoint '%s' (%s); expected e.g. " PL_CLIENT_DEFAULT_ENDPOINT,
                       endpoint, zmq_strerror(e));
        } else {
            pl_err_set(err, code, "connect", NULL, "cannot connect to %s: %s", endpoint,
                       zmq_strerror(e));
        }
        zmq_close(self->socket);
        free(self);
        return NULL;
    }
    return self;
}

void pl_client_destroy(pl_client_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    zmq_close((*self_p)->socket);
    free(*self_p);
    *self_p = NULL;
}

void *pl_client_socket(pl_client_t *self)
{
    return self->socket;
}

int pl_client_send(pl_client_t *self, const char *data, size_t size, pl_err_t *err)
{
    /* Once the first part of a message is accepted, libzmq accepts the rest. */
    if (zmq_send(self->socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        if (e == EAGAIN) {
            return PL_EAGAIN;
        }
        return pl_err_set(err, PL_EIO, "zmq", NULL, "cannot send: %s", zmq_strerror(e));
    }
    if (zmq_send(self->socket, data, size, ZMQ_DONTWAIT) < 0) {
        return pl_err_set(err, PL_EIO, "zmq", NULL, "cannot send: %s",
                          zmq_strerror(zmq_errno()));
    }
    return 0;
}

/* Reads the remaining parts of a message so that the next recv starts clean. */
static void s_drain_parts(void *socket)
{
    int more = 1;
    size_t more_size = sizeof more;
    while (zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &more_size) == 0 && more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        zmq_msg_recv(&part, socket, ZMQ_DONTWAIT);
        zmq_msg_close(&part);
    }
}

static int s_parse_reply(const char *text, size_t size, json_t **reply_p, pl_err_t *err)
{
    json_error_t jerr;
    json_t *reply = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!reply) {
        return pl_err_set(err, PL_EPROTO, "bad_reply", NULL,
                          "malformed reply: %s at byte %d", jerr.text, jerr.position);
    }
    if (!json_is_object(reply) || !json_is_boolean(json_object_get(reply, "ok"))) {
        json_decref(reply);
        return pl_err_set(err, PL_EPROTO, "bad_reply", NULL,
                          "malformed reply: not an object with a boolean \"ok\"");
    }
    *reply_p = reply;
    return 0;
}

int pl_client_recv(pl_client_t *self, json_t **reply_p, char **text_p, pl_err_t *err)
{
    zmq_msg_t delim;
    zmq_msg_init(&delim);
    if (zmq_msg_recv(&delim, self->socket, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&delim);
        if (e == EAGAIN) {
            return PL_EAGAIN;
        }
        return pl_err_set(err, PL_EIO, "zmq", NULL, "cannot receive: %s", zmq_strerror(e));
    }
    /* A reply is exactly two frames: the empty delimiter, then the JSON. */
    bool ok_delim = zmq_msg_size(&delim) == 0 && zmq_msg_more(&delim);
    zmq_msg_close(&delim);
    if (!ok_delim) {
        s_drain_parts(self->socket);
        return pl_err_set(err, PL_EPROTO, "bad_envelope", NULL,
                          "malformed reply: no empty delimiter frame");
    }
    zmq_msg_t body;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, self->socket, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        zmq_msg_close(&body);
        return pl_err_set(err, PL_EIO, "zmq", NULL, "cannot receive: %s", zmq_strerror(e));
    }
    if (zmq_msg_more(&body)) {
        zmq_msg_close(&body);
        s_drain_parts(self->socket);
        return pl_err_set(err, PL_EPROTO, "bad_envelope", NULL,
                          "malformed reply: more than one frame after the delimiter");
    }
    const char *data = zmq_msg_data(&body);
    size_t size = zmq_msg_size(&body);
    json_t *reply = NULL;
    int rc = s_parse_reply(data, size, &reply, err);
    if (rc == 0 && text_p) {
        char *text = malloc(size + 1);
        if (!text) {
            json_decref(reply);
            reply = NULL;
            rc = pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "out of memory");
        } else {
            memcpy(text, data, size);
            text[size] = '\0';
            *text_p = text;
        }
    }
    zmq_msg_close(&body);
    if (rc == 0) {
        *reply_p = reply;
    }
    return rc;
}

/* Waits for `events` on the client's socket until `deadline` (monotonic usec). */
static int s_wait(pl_client_t *self, short events, pl_usec_t deadline, pl_err_t *err)
{
    for (;;) {
        pl_usec_t now = pl_monotonic_usec();
        if (now >= deadline) {
            return PL_EAGAIN;
        }
        zmq_pollitem_t item = {.socket = self->socket, .events = events};
        long wait_ms = (long)((deadline - now + 999) / 1000);
        int n = zmq_poll(&item, 1, wait_ms);
        if (n < 0) {
            int e = zmq_errno();
            if (e == EINTR) {
                continue;
            }
            return pl_err_set(err, PL_EIO, "zmq", NULL, "cannot poll: %s", zmq_strerror(e));
        }
        if (n > 0 && (item.revents & events)) {
            return 0;
        }
    }
}

int pl_client_request(pl_client_t *self, const json_t *request, int timeout_ms,
                      json_t **reply_p, char **text_p, pl_err_t *err)
{
    pl_usec_t deadline = pl_monotonic_usec() + (pl_usec_t)timeout_ms * 1000;
    char *data = json_dumps(request, JSON_COMPACT);
    if (!data) {
        return pl_err_set(err, PL_ENOMEM, "no_memory", NULL, "cannot serialize the request");
    }
    int rc;
    while ((rc = pl_client_send(self, data, strlen(data), err)) == PL_EAGAIN) {
        rc = s_wait(self, ZMQ_POLLOUT, deadline, err);
        if (rc != 0) {
            break;
        }
    }
    free(data);
    if (rc == PL_EAGAIN) {
        return pl_err_set(err, PL_EAGAIN, "timeout", NULL, "no answer");
    }
    if (rc != 0) {
        return rc;
    }
    while ((rc = pl_client_recv(self, reply_p, text_p, err)) == PL_EAGAIN) {
        rc = s_wait(self, ZMQ_POLLIN, deadline, err);
        if (rc != 0) {
            break;
        }
    }
    if (rc == PL_EAGAIN) {
        return pl_err_set(err, PL_EAGAIN, "timeout", NULL, "no answer");
    }
    return rc;
}

int pl_client_print_refusal(const json_t *reply, const char *prefix)
{
    const json_t *error = json_object_get(reply, "error");
    const char *message = json_string_value(json_object_get(error, "message"));
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *field = json_string_value(json_object_get(error, "field"));
    fprintf(stderr, "plaint: %s%s%s", prefix ? prefix : "", prefix ? ": " : "",
            message ? message : "request refused");
    if (field && code) {
        fprintf(stderr, " (field %s, %s)\n", field, code);
    } else if (code || field) {
        fprintf(stderr, " (%s)\n", code ? code : field);
    } else {
        fputc('\n', stderr);
    }
    return PL_EXIT_FAILED;
}

int pl_client_print_error(const pl_client_opts_t *opts, int code, const pl_err_t *err)
{
    if (code == PL_EAGAIN) {
        fprintf(stderr, "plaint: no answer from %s within %.1f s; is plaintd running?\n",
                opts->endpoint, opts->timeout_ms / 1000.0);
        return PL_EXIT_TIMEOUT;
    }
    if (code == PL_EPROTO) {
        fprintf(stderr, "plaint: %s: %s\n", opts->endpoint, err->message);
    } else {
        fprintf(stderr, "plaint: %s\n", err->message[0] ? err->message : pl_strerror(code));
    }
    return code == PL_EINVAL ? PL_EXIT_USAGE : PL_EXIT_FAILED;
}

int pl_client_exchange(const pl_client_opts_t *opts, const json_t *request, json_t **reply_p,
                       char **text_p)
{
    pl_err_t err;
    pl_err_clear(&err);
    int status = PL_EXIT_FAILED;
    json_t *reply = NULL;
    char *text = NULL;
    pl_client_t *client = NULL;
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        fprintf(stderr, "plaint: cannot create a ZeroMQ context: %s\n", zmq_strerror(zmq_errno()));
        return PL_EXIT_FAILED;
    }
    client = pl_client_new(ctx, opts->endpoint, &err);
    if (!client) {
        status = pl_client_print_error(opts, err.code, &err);
        goto cleanup;
    }
    int rc = pl_client_request(client, request, opts->timeout_ms, &reply, &text, &err);
    if (rc != 0) {
        status = pl_client_print_error(opts, rc, &err);
        goto cleanup;
    }
    *reply_p = reply;
    reply = NULL;
    *text_p = text;
    text = NULL;
    status = PL_EXIT_OK;
cleanup:
    free(text);
    json_decref(reply);
    pl_client_destroy(&client);
    zmq_ctx_term(ctx);
    return status;
}

int pl_client_call(const pl_client_opts_t *opts, const json_t *request, json_t **reply_p,
                   char **text_p)
{
    json_t *reply = NULL;
    char *text = NULL;
    int status = pl_client_exchange(opts, request, &reply, &text);
    if (status != PL_EXIT_OK) {
        return status;
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        if (opts->json) {
            printf("%s\n", text);
        }
        status = pl_client_print_refusal(reply, NULL);
        json_decref(reply);
        free(text);
        return status;
    }
    *reply_p = reply;
    if (text_p) {
        *text_p = text;
    } else {
        free(text);
    }
    return PL_EXIT_OK;
}

void pl_client_fprint_text(FILE *out, const char *text, int indent)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            fprintf(out, "\n%*s", indent, "");
        } else if (*p == '\r') {
            continue;
        } else if (*p == '\t') {
            putc(' ', out);
        } else if (*p < 0x20 || *p == 0x7f) {
            putc('?', out);
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            putc('?', out);
            p++;
        } else {
            putc(*p, out);
        }
    }
}

void pl_client_print_text(const char *text, int indent)
{
    pl_client_fprint_text(stdout, text, indent);
}

void pl_client_fprint_line(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            putc(' ', out);
        } else if (*p < 0x20 || *p == 0x7f) {
            putc('?', out);
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            putc('?', out);
            p++;
        } else {
            putc(*p, out);
        }
    }
}

void pl_client_fprint_value(FILE *out, const json_t *value, int indent)
{
    if (json_is_string(value)) {
        pl_client_fprint_text(out, json_string_value(value), indent);
        return;
    }
    if (json_is_object(value)) {
        const char *key;
        const json_t *member;
        const char *sep = "";
        json_object_foreach((json_t *)value, key, member) {
            fputs(sep, out);
            pl_client_fprint_text(out, key, indent);
            fputs(": ", out);
            if (json_is_object(member)) {
                char *dump = json_dumps(member, JSON_COMPACT);
                pl_client_fprint_text(out, dump ? dump : "?", indent);
                free(dump);
            } else {
                pl_client_fprint_value(out, member, indent);
            }
            sep = ", ";
        }
        return;
    }
    char *dump = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    pl_client_fprint_text(out, dump ? dump : "?", indent);
    free(dump);
}

/* Terminal columns of one code point (UAX #11 East Asian Wide and Fullwidth, roughly). */
static int s_code_point_width(unsigned cp)
{
    bool zero = (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) ||
                (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
                cp == 0xfeff;
    if (zero) {
        return 0;
    }
    bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
                (cp >= 0x3041 && cp <= 0xa4cf) || (cp >= 0xa960 && cp <= 0xa97f) ||
                (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
                (cp >= 0x1f900 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd);
    return wide ? 2 : 1;
}

int pl_client_display_width(const char *text)
{
    int width = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        unsigned cp;
        int len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1fu;
            len = 2;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0fu;
            len = 3;
        } else {
            cp = *p & 0x07u;
            len = 4;
        }
        /* A sequence cut short (or a stray byte) counts as one column. */
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                len = i;
                cp = 0xfffd;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3fu);
        }
        p += len;
        width += s_code_point_width(cp);
    }
    return width;
}

void pl_client_fprint_padded(FILE *out, const char *text, int width)
{
    pl_client_fprint_line(out, text);
    for (int w = pl_client_display_width(text); w < width; w++) {
        putc(' ', out);
    }
}

void pl_client_print_padded(const char *text, int width)
{
    pl_client_fprint_padded(stdout, text, width);
}

char *pl_client_format_time(const char *rfc3339, char *buf, size_t size)
{
    pl_usec_t t;
    char utc[PL_TIME_RFC3339_SIZE];
    if (size == 0) {
        return buf;
    }
    if (!rfc3339) {
        snprintf(buf, size, "-");
    } else if (pl_time_parse_rfc3339(rfc3339, &t) == 0 &&
               pl_time_format_rfc3339(t, utc, sizeof utc) >= 19 && utc[10] == 'T') {
        /* "2026-11-28T14:04:38[.123456]Z": the date and the time to the second. */
        snprintf(buf, size, "%.10s %.8s UTC", utc, utc + 11);
    } else {
        snprintf(buf, size, "%s", rfc3339);
    }
    return buf;
}

char *pl_client_format_local(const char *rfc3339, pl_client_local_t style, char *buf,
                             size_t size)
{
    pl_usec_t t;
    struct tm tm;
    if (size == 0) {
        return buf;
    }
    if (!rfc3339) {
        snprintf(buf, size, "-");
        return buf;
    }
    /* Whole seconds, rounded down, also before 1970. */
    time_t secs = 0;
    bool ok = pl_time_parse_rfc3339(rfc3339, &t) == 0;
    if (ok) {
        pl_usec_t s = t / PL_USEC_PER_SEC - (t % PL_USEC_PER_SEC < 0 ? 1 : 0);
        secs = (time_t)s;
        ok = (pl_usec_t)secs == s && localtime_r(&secs, &tm) != NULL;
    }
    if (!ok) {
        snprintf(buf, size, "%s", rfc3339);
        return buf;
    }
    char day[64];
    if (strftime(day, sizeof day, style == PL_CLIENT_LOCAL_MINUTE ? "%Y-%m-%d %H:%M"
                                                                   : "%Y-%m-%d %H:%M:%S",
                 &tm) == 0) {
        snprintf(buf, size, "%s", rfc3339);
        return buf;
    }
    if (style == PL_CLIENT_LOCAL_MINUTE) {
        snprintf(buf, size, "%s", day);
        return buf;
    }
    long offset = tm.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    offset = offset < 0 ? -offset : offset;
    snprintf(buf, size, "%s %c%02ld:%02ld", day, sign, offset / 3600, offset / 60 % 60);
    return buf;
}

int pl_client_list_time(const char *when, bool end_of_day, char *buf, size_t size)
{
    pl_usec_t t;
    int year, month, day;
    if (size > 0) {
        buf[0] = '\0';
    }
    if (!when) {
        return PL_EINVAL;
    }
    if (pl_time_parse_rfc3339(when, &t) != 0) {
        if (pl_time_parse_date(when, &year, &month, &day) != 0) {
            return PL_EINVAL;
        }
        /* The local midnight that starts the day (or the next one); mktime
         * moves a day past the end of the month into the next. */
        struct tm tm = {
            .tm_year = year - 1900,
            .tm_mon = month - 1,
            .tm_mday = day + (end_of_day ? 1 : 0),
            .tm_isdst = -1,
        };
        time_t secs = mktime(&tm);
        if (secs == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31)) {
            return PL_EINVAL;
        }
        t = (pl_usec_t)secs * PL_USEC_PER_SEC;
    }
    return pl_time_format_rfc3339(t, buf, size) > 0 ? 0 : PL_EINVAL;
}

void pl_client_fprint_rules_version(FILE *out, const char *version)
{
    if (!version) {
        fputs("unknown", out);
        return;
    }
    for (size_t i = 0; i < PL_CLIENT_RULES_VERSION_SHOWN && version[i]; i++) {
        char c = version[i];
        bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        putc(plain ? c : '?', out);
    }
}

void pl_client_print_rules_version(const char *version)
{
    pl_client_fprint_rules_version(stdout, version);
}

char *pl_client_random_hex(char *buf, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    if (size == 0) {
        return buf;
    }
    size_t count = size - 1;
    unsigned char raw[64];
    size_t have = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        size_t want = (count + 1) / 2 < sizeof raw ? (count + 1) / 2 : sizeof raw;
        ssize_t n = read(fd, raw, want);
        have = n > 0 ? (size_t)n : 0;
        close(fd);
    }
    /* Without /dev/urandom, clock and pid still make a collision unlikely. */
    uint64_t mix = (uint64_t)pl_now() ^ ((uint64_t)getpid() << 32);
    for (size_t i = 0; i < count; i++) {
        unsigned v;
        if (i / 2 < have) {
            v = (i % 2) ? raw[i / 2] & 0x0f : raw[i / 2] >> 4;
        } else {
            mix = mix * 6364136223846793005u + 1442695040888963407u;
            v = (unsigned)(mix >> 60);
        }
        buf[i] = digits[v];
    }
    buf[count] = '\0';
    return buf;
}

int pl_client_print_compact(const json_t *value)
{
    char *dump = json_dumps(value, JSON_COMPACT);
    if (!dump) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    printf("%s\n", dump);
    free(dump);
    return PL_EXIT_OK;
}
