/*
 * fake_smtp: see fake_smtp.h. The shape follows fake_http.c: one server
 * thread owns the listening socket, a wake-up pipe and every session, and
 * polls them all; the mutex guards only what the test thread also touches
 * (the script, the credentials, the modes and the records). A session is a
 * line-at-a-time state machine: commands, an AUTH exchange in progress, or
 * the DATA section. (The socket plumbing is repeated from fake_http.c on
 * purpose: each fake is one self-contained pair of files.)
 */
#include "fake_smtp.h"

#include "common/pl_err.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_LINE (64 * 1024)        /* a command line or one line of DATA */
#define S_MAX_DATA (32 * 1024 * 1024) /* the SIZE we advertise */
#define S_MAX_RCPTS 100               /* RFC 5321 4.5.3.1.8: at least 100 */
#define S_MAX_CONNS 256
#define S_READ_SIZE (64 * 1024)
/* The server thread re-checks the stop flag at least this often. */
#define S_TICK_MS 100

typedef struct s_buf {
    char *data;
    size_t size;
    size_t cap;
} s_buf_t;

typedef enum {
    S_SESS_OPEN,     /* reading commands and answering them */
    S_SESS_HUNG,     /* hang mode caught it: read and drop, never write */
    S_SESS_CLOSING,  /* write what is queued, then shut down the sending side */
    S_SESS_DRAINING, /* sending side shut: read and drop until the peer closes */
    S_SESS_DEAD,     /* to be closed and freed */
} s_sess_state_t;

typedef enum {
    S_AUTH_IDLE,       /* no AUTH exchange in progress */
    S_AUTH_PLAIN,      /* sent "334 ", waiting for the PLAIN response */
    S_AUTH_LOGIN_USER, /* sent "334 Username:", waiting */
    S_AUTH_LOGIN_PASS, /* sent "334 Password:", waiting */
} s_auth_step_t;

typedef struct s_sess {
    int fd;
    unsigned id;
    s_sess_state_t state;
    s_buf_t in;
    s_buf_t out;
    size_t out_off;

    char *helo;
    s_auth_step_t auth_step;
    char *login_user; /* AUTH LOGIN: the user name while the password is asked for */
    char *auth_user;  /* set by a successful AUTH */
    char *auth_password;
    const char *auth_mechanism;

    /* The mail transaction (RFC 5321 3.3). */
    bool in_mail;
    bool in_data;
    bool data_too_big;
    int fail_at_data; /* reply code the scripted failure gives at the end of DATA, or 0 */
    char *from;
    char **rcpts;
    size_t rcpts_count;
    s_buf_t data;
} s_sess_t;

struct fake_smtp {
    int listen_fd;
    int wake[2];
    int port;
    pthread_t thread;

    /* Owned by the server thread while it runs. */
    s_sess_t **sessions;
    size_t sessions_count;
    struct pollfd *pfds;
    size_t pfds_cap;

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cond;
    bool stopping;
    bool hang;
    int fail_n;
    int fail_code;
    fake_smtp_stage_t fail_at;
    char *user;
    char *password;
    fake_smtp_msg_t *msgs;
    size_t msgs_count;
    size_t msgs_cap;
    size_t rejected;
    size_t connections;
};

/* ---- small helpers ------------------------------------------------------ */

static int s_buf_reserve(s_buf_t *b, size_t extra)
{
    if (b->size + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->size + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Appends and keeps the content NUL-terminated. */
static int s_buf_append(s_buf_t *b, const void *data, size_t size)
{
    if (s_buf_reserve(b, size) < 0)
        return -1;
    if (size)
        memcpy(b->data + b->size, data, size);
    b->size += size;
    b->data[b->size] = '\0';
    return 0;
}

static void s_buf_consume(s_buf_t *b, size_t n)
{
    if (n >= b->size) {
        b->size = 0;
    } else {
        memmove(b->data, b->data + n, b->size - n);
        b->size -= n;
    }
    if (b->data)
        b->data[b->size] = '\0';
}

static char *s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

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

/* Decodes base64 (RFC 4648, padding optional). Returns a new NUL-terminated
 * buffer with the length in *size, or NULL when `in` is not base64 or memory
 * ran out. */
static char *s_base64_decode(const char *in, size_t *size)
{
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return NULL;
    char *out = malloc(n * 3 / 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        int v;
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z')
            v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9')
            v = ch - '0' + 52;
        else if (ch == '+')
            v = 62;
        else if (ch == '/')
            v = 63;
        else {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *size = o;
    return out;
}

/* ---- records -------------------------------------------------------------- */

void fake_smtp_msg_clear(fake_smtp_msg_t *msg)
{
    if (!msg)
        return;
    free(msg->helo);
    free(msg->from);
    for (size_t i = 0; i < msg->rcpts_count; i++)
        free(msg->rcpts[i]);
    free(msg->rcpts);
    free(msg->data);
    free(msg->auth_user);
    free(msg->auth_password);
    free(msg->auth_mechanism);
    memset(msg, 0, sizeof *msg);
}

static int s_msg_copy(fake_smtp_msg_t *dst, const fake_smtp_msg_t *src)
{
    memset(dst, 0, sizeof *dst);
    dst->connection = src->connection;
    dst->data_size = src->data_size;
    dst->helo = s_dup(src->helo);
    dst->from = s_dup(src->from);
    dst->auth_user = s_dup(src->auth_user);
    dst->auth_password = s_dup(src->auth_password);
    dst->auth_mechanism = s_dup(src->auth_mechanism);
    dst->data = malloc(src->data_size + 1);
    if (dst->data) {
        memcpy(dst->data, src->data, src->data_size);
        dst->data[src->data_size] = '\0';
    }
    bool ok = dst->helo && dst->from && dst->data && (!src->auth_user || dst->auth_user) &&
              (!src->auth_password || dst->auth_password) &&
              (!src->auth_mechanism || dst->auth_mechanism);
    if (ok && src->rcpts_count) {
        dst->rcpts = calloc(src->rcpts_count, sizeof *dst->rcpts);
        ok = dst->rcpts != NULL;
        for (size_t i = 0; ok && i < src->rcpts_count; i++) {
            dst->rcpts_count++;
            ok = (dst->rcpts[i] = strdup(src->rcpts[i])) != NULL;
        }
    }
    if (!ok) {
        fake_smtp_msg_clear(dst);
        return PL_ENOMEM;
    }
    return 0;
}

/* ---- sessions ------------------------------------------------------------- */

static void s_reset_mail(s_sess_t *s)
{
    s->in_mail = false;
    s->in_data = false;
    s->data_too_big = false;
    s->fail_at_data = 0;
    free(s->from);
    s->from = NULL;
    for (size_t i = 0; i < s->rcpts_count; i++)
        free(s->rcpts[i]);
    free(s->rcpts);
    s->rcpts = NULL;
    s->rcpts_count = 0;
    free(s->data.data);
    memset(&s->data, 0, sizeof s->data);
}

static void s_sess_free(s_sess_t *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    s_reset_mail(s);
    free(s->in.data);
    free(s->out.data);
    free(s->helo);
    free(s->login_user);
    free(s->auth_user);
    free(s->auth_password);
    free(s);
}

static void s_reply(s_sess_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_reply(s_sess_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || s_buf_reserve(&s->out, (size_t)n + 2) < 0) {
        s->state = S_SESS_DEAD;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s->out.data + s->out.size, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->out.size += (size_t)n;
    s_buf_append(&s->out, "\r\n", 2); /* room reserved above */
}

static void s_reply_scripted(s_sess_t *s, int code)
{
    if (code / 100 == 4)
        s_reply(s, "%d 4.3.0 Try again later (scripted failure)", code);
    else if (code / 100 == 5)
        s_reply(s, "%d 5.7.1 Rejected (scripted failure)", code);
    else
        s_reply(s, "%d Scripted failure", code);
}

/*
 * Parses "FROM:<addr> params" (prefix "FROM:" or "TO:"). Returns the
 * address without brackets (a new string), or NULL on bad syntax, with
 * *nomem set when memory ran out.
 */
static char *s_parse_path(const char *arg, const char *prefix, bool *nomem)
{
    *nomem = false;
    size_t n = strlen(prefix);
    if (strncasecmp(arg, prefix, n) != 0)
        return NULL;
    const char *p = arg + n;
    while (*p == ' ')
        p++;
    const char *end;
    if (*p == '<') {
        p++;
        end = strchr(p, '>');
        if (!end)
            return NULL;
    } else {
        end = p + strcspn(p, " ");
        if (end == p)
            return NULL;
    }
    char *addr = strndup(p, (size_t)(end - p));
    *nomem = addr == NULL;
    return addr;
}

static void s_auth_finish(fake_smtp_t *self, s_sess_t *s, const char *mechanism, const char *user,
                          const char *password)
{
    s->auth_step = S_AUTH_IDLE;
    pthread_mutex_lock(&self->mu);
    bool ok =
        !self->user || (strcmp(self->user, user) == 0 && strcmp(self->password, password) == 0);
    pthread_mutex_unlock(&self->mu);
    if (!ok) {
        s_reply(s, "535 5.7.8 Authentication credentials invalid");
        return;
    }
    free(s->auth_user);
    free(s->auth_password);
    s->auth_user = strdup(user);
    s->auth_password = strdup(password);
    if (!s->auth_user || !s->auth_password) {
        s->state = S_SESS_DEAD;
        return;
    }
    s->auth_mechanism = mechanism;
    s_reply(s, "235 2.7.0 Authentication successful");
}

/* AUTH PLAIN (RFC 4616): base64 of "authzid NUL authcid NUL passwd". */
static void s_auth_plain(fake_smtp_t *self, s_sess_t *s, const char *response)
{
    size_t size = 0;
    char *raw = s_base64_decode(response, &size);
    const char *user = raw ? memchr(raw, '\0', size) : NULL;
    const char *password = user ? memchr(user + 1, '\0', size - (size_t)(user + 1 - raw)) : NULL;
    if (!password) {
        s->auth_step = S_AUTH_IDLE;
        s_reply(s, "501 5.5.2 Cannot decode AUTH PLAIN response");
    } else {
        s_auth_finish(self, s, "PLAIN", user + 1, password + 1);
    }
    free(raw);
}

/* One line answering a 334 challenge. */
static void s_auth_continue(fake_smtp_t *self, s_sess_t *s, const char *line)
{
    if (strcmp(line, "*") == 0) {
        s->auth_step = S_AUTH_IDLE;
        free(s->login_user);
        s->login_user = NULL;
        s_reply(s, "501 5.7.0 Authentication cancelled");
        return;
    }
    if (s->auth_step == S_AUTH_PLAIN) {
        s_auth_plain(self, s, line);
        return;
    }
    size_t size = 0;
    char *text = s_base64_decode(line, &size);
    if (!text) {
        s->auth_step = S_AUTH_IDLE;
        free(s->login_user);
        s->login_user = NULL;
        s_reply(s, "501 5.5.2 Cannot decode response");
        return;
    }
    if (s->auth_step == S_AUTH_LOGIN_USER) {
        free(s->login_user);
        s->login_user = text;
        s->auth_step = S_AUTH_LOGIN_PASS;
        s_reply(s, "334 UGFzc3dvcmQ6"); /* "Password:" */
        return;
    }
    s_auth_finish(self, s, "LOGIN", s->login_user ? s->login_user : "", text);
    free(text);
    free(s->login_user);
    s->login_user = NULL;
}

static void s_cmd_auth(fake_smtp_t *self, s_sess_t *s, const char *arg)
{
    if (s->auth_user) {
        s_reply(s, "503 5.5.1 Already authenticated");
        return;
    }
    if (s->in_mail) {
        s_reply(s, "503 5.5.1 AUTH not permitted during a mail transaction");
        return;
    }
    size_t mech_len = strcspn(arg, " ");
    const char *initial = arg + mech_len;
    while (*initial == ' ')
        initial++;
    if (mech_len == 5 && strncasecmp(arg, "PLAIN", 5) == 0) {
        if (*initial) {
            s_auth_plain(self, s, initial);
        } else {
            s->auth_step = S_AUTH_PLAIN;
            s_reply(s, "334 ");
        }
    } else if (mech_len == 5 && strncasecmp(arg, "LOGIN", 5) == 0) {
        s->auth_step = S_AUTH_LOGIN_USER;
        if (*initial)
            s_auth_continue(self, s, initial); /* the user name came along */
        else
            s_reply(s, "334 VXNlcm5hbWU6"); /* "Username:" */
    } else {
        s_reply(s, "504 5.5.4 Unrecognized authentication type");
    }
}

static void s_cmd_mail(fake_smtp_t *self, s_sess_t *s, const char *arg)
{
    if (s->in_mail) {
        s_reply(s, "503 5.5.1 Nested MAIL command");
        return;
    }
    bool nomem;
    char *from = s_parse_path(arg, "FROM:", &nomem);
    if (!from) {
        if (nomem)
            s->state = S_SESS_DEAD;
        else
            s_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return;
    }
    int fail_code = 0;
    bool at_mail = false;
    pthread_mutex_lock(&self->mu);
    bool need_auth = self->user && !s->auth_user;
    if (!need_auth && self->fail_n > 0) {
        self->fail_n--;
        fail_code = self->fail_code;
        at_mail = self->fail_at == FAKE_SMTP_AT_MAIL;
        if (at_mail)
            self->rejected++;
    }
    pthread_mutex_unlock(&self->mu);

    if (need_auth) {
        free(from);
        s_reply(s, "530 5.7.0 Authentication required");
    } else if (at_mail) {
        free(from);
        s_reply_scripted(s, fail_code);
    } else {
        s->in_mail = true;
        s->from = from;
        s->fail_at_data = fail_code;
        s_reply(s, "250 2.1.0 Ok");
    }
}

static void s_cmd_rcpt(s_sess_t *s, const char *arg)
{
    if (!s->in_mail) {
        s_reply(s, "503 5.5.1 Need MAIL command");
        return;
    }
    if (s->rcpts_count >= S_MAX_RCPTS) {
        s_reply(s, "452 4.5.3 Too many recipients");
        return;
    }
    bool nomem;
    char *to = s_parse_path(arg, "TO:", &nomem);
    if (!to) {
        if (nomem)
            s->state = S_SESS_DEAD;
        else
            s_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
        return;
    }
    char **rcpts = realloc(s->rcpts, (s->rcpts_count + 1) * sizeof *rcpts);
    if (!rcpts) {
        free(to);
        s->state = S_SESS_DEAD;
        return;
    }
    s->rcpts = rcpts;
    s->rcpts[s->rcpts_count++] = to;
    s_reply(s, "250 2.1.5 Ok");
}

/* The final "." arrived: accept the message (record it) or fail it. */
static void s_data_end(fake_smtp_t *self, s_sess_t *s)
{
    if (s->data_too_big) {
        s_reply(s, "552 5.3.4 Message size exceeds fixed limit");
        s_reset_mail(s);
        return;
    }
    if (s->fail_at_data) {
        pthread_mutex_lock(&self->mu);
        self->rejected++;
        pthread_mutex_unlock(&self->mu);
        s_reply_scripted(s, s->fail_at_data);
        s_reset_mail(s);
        return;
    }
    if (!s->data.data && s_buf_append(&s->data, "", 0) < 0) {
        s->state = S_SESS_DEAD;
        return;
    }
    fake_smtp_msg_t m = {0};
    m.connection = s->id;
    m.helo = strdup(s->helo ? s->helo : "");
    m.auth_user = s_dup(s->auth_user);
    m.auth_password = s_dup(s->auth_password);
    m.auth_mechanism = s_dup(s->auth_mechanism);
    if (!m.helo || (s->auth_user && (!m.auth_user || !m.auth_password || !m.auth_mechanism))) {
        fake_smtp_msg_clear(&m);
        s->state = S_SESS_DEAD;
        return;
    }
    /* The transaction's pieces move into the record. */
    m.from = s->from;
    m.rcpts = s->rcpts;
    m.rcpts_count = s->rcpts_count;
    m.data = s->data.data;
    m.data_size = s->data.size;
    s->from = NULL;
    s->rcpts = NULL;
    s->rcpts_count = 0;
    memset(&s->data, 0, sizeof s->data);
    s_reset_mail(s);

    pthread_mutex_lock(&self->mu);
    bool recorded = false;
    if (self->msgs_count == self->msgs_cap) {
        size_t cap = self->msgs_cap ? self->msgs_cap * 2 : 16;
        fake_smtp_msg_t *p = realloc(self->msgs, cap * sizeof *p);
        if (p) {
            self->msgs = p;
            self->msgs_cap = cap;
        }
    }
    if (self->msgs_count < self->msgs_cap) {
        self->msgs[self->msgs_count++] = m;
        recorded = true;
    }
    size_t number = self->msgs_count;
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->mu);

    if (!recorded) {
        fake_smtp_msg_clear(&m);
        s_reply(s, "452 4.3.1 Insufficient system storage");
        return;
    }
    s_reply(s, "250 2.0.0 Ok: queued as %zu", number);
}

/* One line of the DATA section, line terminator included. */
static void s_data_line(fake_smtp_t *self, s_sess_t *s, const char *line, size_t len)
{
    if ((len == 3 && memcmp(line, ".\r\n", 3) == 0) || (len == 2 && memcmp(line, ".\n", 2) == 0)) {
        s_data_end(self, s);
        return;
    }
    /* RFC 5321 4.5.2: the client doubled a leading dot; drop one. */
    if (line[0] == '.') {
        line++;
        len--;
    }
    if (s->data_too_big)
        return;
    if (s->data.size + len > S_MAX_DATA) {
        s->data_too_big = true;
        return;
    }
    if (s_buf_append(&s->data, line, len) < 0)
        s->state = S_SESS_DEAD;
}

static void s_command(fake_smtp_t *self, s_sess_t *s, const char *line)
{
    if (s->auth_step != S_AUTH_IDLE) {
        s_auth_continue(self, s, line);
        return;
    }
    size_t verb_len = strcspn(line, " ");
    const char *arg = line + verb_len;
    while (*arg == ' ')
        arg++;
#define S_IS(v) (verb_len == sizeof(v) - 1 && strncasecmp(line, v, verb_len) == 0)
    if (S_IS("EHLO") || S_IS("HELO")) {
        /* RFC 5321 4.1.4: a new greeting resets the transaction. */
        s_reset_mail(s);
        free(s->helo);
        s->helo = strdup(arg);
        if (!s->helo) {
            s->state = S_SESS_DEAD;
        } else if (S_IS("HELO")) {
            s_reply(s, "250 fake-smtp");
        } else {
            s_reply(s, "250-fake-smtp greets %s", arg[0] ? arg : "you");
            s_reply(s, "250-8BITMIME");
            s_reply(s, "250-SIZE %d", S_MAX_DATA);
            s_reply(s, "250 AUTH PLAIN LOGIN");
        }
    } else if (S_IS("AUTH")) {
        s_cmd_auth(self, s, arg);
    } else if (S_IS("MAIL")) {
        s_cmd_mail(self, s, arg);
    } else if (S_IS("RCPT")) {
        s_cmd_rcpt(s, arg);
    } else if (S_IS("DATA")) {
        if (!s->in_mail) {
            s_reply(s, "503 5.5.1 Need MAIL command");
        } else if (s->rcpts_count == 0) {
            s_reply(s, "554 5.5.1 No valid recipients");
        } else {
            s->in_data = true;
            s_reply(s, "354 End data with <CR><LF>.<CR><LF>");
        }
    } else if (S_IS("RSET")) {
        s_reset_mail(s);
        s_reply(s, "250 2.0.0 Ok");
    } else if (S_IS("NOOP")) {
        s_reply(s, "250 2.0.0 Ok");
    } else if (S_IS("VRFY")) {
        s_reply(s, "252 2.0.0 Cannot VRFY user");
    } else if (S_IS("HELP")) {
        s_reply(s, "214 2.0.0 fake_smtp, a test double");
    } else if (S_IS("STARTTLS")) {
        s_reply(s, "454 4.7.0 TLS not available");
    } else if (S_IS("QUIT")) {
        s_reply(s, "221 2.0.0 Bye");
        if (s->state == S_SESS_OPEN)
            s->state = S_SESS_CLOSING;
    } else {
        s_reply(s, "502 5.5.2 Command not recognized");
    }
#undef S_IS
}

/* Handles every complete line in s->in. */
static void s_sess_process(fake_smtp_t *self, s_sess_t *s)
{
    while (s->state == S_SESS_OPEN && s->in.size > 0) {
        const char *nl = memchr(s->in.data, '\n', s->in.size);
        if (!nl) {
            if (s->in.size > S_MAX_LINE) {
                s_reply(s, "500 5.5.2 Line too long");
                if (s->state == S_SESS_OPEN)
                    s->state = S_SESS_CLOSING;
            }
            return;
        }
        size_t len = (size_t)(nl - s->in.data) + 1;
        if (s->in_data) {
            s_data_line(self, s, s->in.data, len);
        } else {
            size_t text_len = len - 1;
            if (text_len > 0 && s->in.data[text_len - 1] == '\r')
                text_len--;
            char *line = strndup(s->in.data, text_len);
            if (!line) {
                s->state = S_SESS_DEAD;
                return;
            }
            s_command(self, s, line);
            free(line);
        }
        s_buf_consume(&s->in, len);
    }
}

/* Writes what is queued. Returns when the socket would block. */
static void s_sess_flush(s_sess_t *s)
{
    while (s->state != S_SESS_DEAD && s->out_off < s->out.size) {
        ssize_t n = send(s->fd, s->out.data + s->out_off, s->out.size - s->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                s->state = S_SESS_DEAD;
            return;
        }
        s->out_off += (size_t)n;
    }
    if (s->out_off == s->out.size) {
        s->out.size = 0;
        s->out_off = 0;
    }
    if (s->state == S_SESS_CLOSING && s->out.size == 0) {
        /* Shut only our side: closing with unread input would reset the
         * connection and could destroy the 221 before the client read it. */
        shutdown(s->fd, SHUT_WR);
        s->state = S_SESS_DRAINING;
    }
}

static void s_sess_read(fake_smtp_t *self, s_sess_t *s)
{
    char tmp[S_READ_SIZE];
    ssize_t n = recv(s->fd, tmp, sizeof tmp, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            s->state = S_SESS_DEAD;
        return;
    }
    if (n == 0) {
        s->state = S_SESS_DEAD;
        return;
    }
    if (s->state != S_SESS_OPEN)
        return; /* hung, closing or draining: input is dropped */
    if (s_buf_append(&s->in, tmp, (size_t)n) < 0) {
        s->state = S_SESS_DEAD;
        return;
    }
    s_sess_process(self, s);
}

static void s_accept(fake_smtp_t *self)
{
    for (;;) {
        int fd = accept(self->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                fprintf(stderr, "fake_smtp: accept: %s\n", strerror(errno));
            return;
        }
        pthread_mutex_lock(&self->mu);
        bool hang = self->hang;
        unsigned id = (unsigned)++self->connections;
        pthread_mutex_unlock(&self->mu);

        s_sess_t *s = NULL;
        if (self->sessions_count < S_MAX_CONNS && s_set_flags(fd) == 0) {
            s_sess_t **all = realloc(self->sessions, (self->sessions_count + 1) * sizeof *all);
            if (all) {
                self->sessions = all;
                s = calloc(1, sizeof *s);
            }
        }
        if (!s) {
            fprintf(stderr, "fake_smtp: session %u refused\n", id);
            close(fd);
            continue;
        }
        s->fd = fd;
        s->id = id;
        s->state = hang ? S_SESS_HUNG : S_SESS_OPEN;
        if (!hang)
            s_reply(s, "220 fake-smtp ESMTP ready");
        self->sessions[self->sessions_count++] = s;
    }
}

static void *s_run(void *arg)
{
    fake_smtp_t *self = arg;
    for (;;) {
        pthread_mutex_lock(&self->mu);
        bool stopping = self->stopping;
        pthread_mutex_unlock(&self->mu);
        if (stopping)
            break;

        size_t n = 2 + self->sessions_count;
        if (n > self->pfds_cap) {
            struct pollfd *p = realloc(self->pfds, n * sizeof *p);
            if (!p) {
                fprintf(stderr, "fake_smtp: out of memory\n");
                break;
            }
            self->pfds = p;
            self->pfds_cap = n;
        }
        struct pollfd *pfds = self->pfds;
        pfds[0] = (struct pollfd){.fd = self->listen_fd, .events = POLLIN};
        pfds[1] = (struct pollfd){.fd = self->wake[0], .events = POLLIN};
        for (size_t i = 0; i < self->sessions_count; i++) {
            s_sess_t *s = self->sessions[i];
            pfds[2 + i] = (struct pollfd){.fd = s->fd, .events = POLLIN};
            if (s->out.size > s->out_off && s->state != S_SESS_HUNG)
                pfds[2 + i].events |= POLLOUT;
        }
        int rc = poll(pfds, (nfds_t)n, S_TICK_MS);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "fake_smtp: poll: %s\n", strerror(errno));
            break;
        }
        if (pfds[1].revents) {
            char drain[64];
            while (read(self->wake[0], drain, sizeof drain) > 0) {
            }
        }
        for (size_t i = 0; i < self->sessions_count; i++) {
            s_sess_t *s = self->sessions[i];
            if (pfds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))
                s_sess_read(self, s);
            if (s->state != S_SESS_HUNG && s->state != S_SESS_DEAD)
                s_sess_flush(s);
        }
        size_t kept = 0;
        for (size_t i = 0; i < self->sessions_count; i++) {
            if (self->sessions[i]->state == S_SESS_DEAD)
                s_sess_free(self->sessions[i]);
            else
                self->sessions[kept++] = self->sessions[i];
        }
        self->sessions_count = kept;
        if (pfds[0].revents & POLLIN)
            s_accept(self);
    }
    return NULL;
}

/* ---- public --------------------------------------------------------------- */

fake_smtp_t *fake_smtp_start(void)
{
    fake_smtp_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->listen_fd = -1;
    self->wake[0] = self->wake[1] = -1;
    pthread_condattr_t ca;
    bool mu_ok = false, cond_ok = false;

    if (pthread_mutex_init(&self->mu, NULL) != 0)
        goto cleanup;
    mu_ok = true;
    if (pthread_condattr_init(&ca) != 0)
        goto cleanup;
    cond_ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&self->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!cond_ok)
        goto cleanup;

    if (pipe(self->wake) < 0 || s_set_flags(self->wake[0]) < 0 || s_set_flags(self->wake[1]) < 0) {
        fprintf(stderr, "fake_smtp: pipe: %s\n", strerror(errno));
        goto cleanup;
    }
    self->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (self->listen_fd < 0 || s_set_flags(self->listen_fd) < 0) {
        fprintf(stderr, "fake_smtp: socket: %s\n", strerror(errno));
        goto cleanup;
    }
    int one = 1;
    setsockopt(self->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sa_len = sizeof sa;
    if (bind(self->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(self->listen_fd, 64) < 0 ||
        getsockname(self->listen_fd, (struct sockaddr *)&sa, &sa_len) < 0) {
        fprintf(stderr, "fake_smtp: listen on 127.0.0.1: %s\n", strerror(errno));
        goto cleanup;
    }
    self->port = ntohs(sa.sin_port);
    int err = pthread_create(&self->thread, NULL, s_run, self);
    if (err != 0) {
        fprintf(stderr, "fake_smtp: pthread_create: %s\n", strerror(err));
        goto cleanup;
    }
    return self;

cleanup:
    if (self->listen_fd >= 0)
        close(self->listen_fd);
    if (self->wake[0] >= 0)
        close(self->wake[0]);
    if (self->wake[1] >= 0)
        close(self->wake[1]);
    if (cond_ok)
        pthread_cond_destroy(&self->cond);
    if (mu_ok)
        pthread_mutex_destroy(&self->mu);
    free(self);
    return NULL;
}

int fake_smtp_port(fake_smtp_t *self)
{
    return self->port;
}

char *fake_smtp_url(fake_smtp_t *self, char *buf, size_t size)
{
    snprintf(buf, size, "smtp://127.0.0.1:%d", self->port);
    return buf;
}

void fake_smtp_stop(fake_smtp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    fake_smtp_t *self = *self_p;
    *self_p = NULL;

    pthread_mutex_lock(&self->mu);
    self->stopping = true;
    pthread_mutex_unlock(&self->mu);
    /* A full pipe already holds a wake-up; the tick bounds the wait anyway. */
    ssize_t ignored = write(self->wake[1], "x", 1);
    (void)ignored;
    pthread_join(self->thread, NULL);

    for (size_t i = 0; i < self->sessions_count; i++)
        s_sess_free(self->sessions[i]);
    free(self->sessions);
    free(self->pfds);
    close(self->listen_fd);
    close(self->wake[0]);
    close(self->wake[1]);
    for (size_t i = 0; i < self->msgs_count; i++)
        fake_smtp_msg_clear(&self->msgs[i]);
    free(self->msgs);
    free(self->user);
    free(self->password);
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->mu);
    free(self);
}

void fake_smtp_fail_next_at(fake_smtp_t *self, int n, int code, fake_smtp_stage_t at)
{
    pthread_mutex_lock(&self->mu);
    self->fail_n = n > 0 ? n : 0;
    self->fail_code = code;
    self->fail_at = at;
    pthread_mutex_unlock(&self->mu);
}

void fake_smtp_fail_next(fake_smtp_t *self, int n, int code)
{
    fake_smtp_fail_next_at(self, n, code, FAKE_SMTP_AT_MAIL);
}

int fake_smtp_credentials(fake_smtp_t *self, const char *user, const char *password)
{
    char *u = NULL, *p = NULL;
    if (user) {
        u = strdup(user);
        p = strdup(password ? password : "");
        if (!u || !p) {
            free(u);
            free(p);
            return PL_ENOMEM;
        }
    }
    pthread_mutex_lock(&self->mu);
    free(self->user);
    free(self->password);
    self->user = u;
    self->password = p;
    pthread_mutex_unlock(&self->mu);
    return 0;
}

void fake_smtp_hang(fake_smtp_t *self, int on)
{
    pthread_mutex_lock(&self->mu);
    self->hang = on != 0;
    pthread_mutex_unlock(&self->mu);
}

size_t fake_smtp_count(fake_smtp_t *self)
{
    pthread_mutex_lock(&self->mu);
    size_t n = self->msgs_count;
    pthread_mutex_unlock(&self->mu);
    return n;
}

size_t fake_smtp_rejected_count(fake_smtp_t *self)
{
    pthread_mutex_lock(&self->mu);
    size_t n = self->rejected;
    pthread_mutex_unlock(&self->mu);
    return n;
}

size_t fake_smtp_connections(fake_smtp_t *self)
{
    pthread_mutex_lock(&self->mu);
    size_t n = self->connections;
    pthread_mutex_unlock(&self->mu);
    return n;
}

size_t fake_smtp_wait(fake_smtp_t *self, size_t n, int timeout_ms)
{
    struct timespec deadline = s_deadline(timeout_ms);
    pthread_mutex_lock(&self->mu);
    while (self->msgs_count < n) {
        if (pthread_cond_timedwait(&self->cond, &self->mu, &deadline) == ETIMEDOUT)
            break;
    }
    size_t count = self->msgs_count;
    pthread_mutex_unlock(&self->mu);
    return count;
}

int fake_smtp_message(fake_smtp_t *self, size_t i, fake_smtp_msg_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&self->mu);
    int rc = i < self->msgs_count ? s_msg_copy(out, &self->msgs[i]) : PL_ENOENT;
    pthread_mutex_unlock(&self->mu);
    return rc;
}
