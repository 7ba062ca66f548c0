/*
 * fake_smtp: see fake_smtp.h. The server thread, the sockets and the lock
 * come from fake_net.c, as for fake_http.c; the lock guards only what the
 * test thread also touches (the script, the credentials, the modes and the
 * records). A session is a line-at-a-time state machine: commands, an AUTH
 * exchange in progress, or the DATA section.
 */
#include "fake_smtp.h"

#include "common/pl_buf.h"
#include "common/pl_err.h"
#include "fake_net.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_LINE (64 * 1024)        /* a command line or one line of DATA */
#define S_MAX_DATA (32 * 1024 * 1024) /* the SIZE we advertise */
#define S_MAX_RCPTS 100               /* RFC 5321 4.5.3.1.8: at least 100 */

typedef enum {
    S_AUTH_IDLE,       /* no AUTH exchange in progress */
    S_AUTH_PLAIN,      /* sent "334 ", waiting for the PLAIN response */
    S_AUTH_LOGIN_USER, /* sent "334 Username:", waiting */
    S_AUTH_LOGIN_PASS, /* sent "334 Password:", waiting */
} s_auth_step_t;

/* States: OPEN reads commands and answers them; HUNG (hang mode caught it)
 * reads and drops, never writes; QUIT closes. */
typedef struct s_sess {
    fake_net_conn_t base; /* first: fake_net casts between the two */

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
    pl_buf_t data;
} s_sess_t;

struct fake_smtp {
    fake_net_t *net; /* its lock guards everything below */
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
};

/* ---- small helpers ------------------------------------------------------ */

static char *s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
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
    pl_buf_free(&s->data);
}

/* The release hook: frees what a session holds besides its socket and buffers. */
static void s_sess_release(fake_net_conn_t *base)
{
    s_sess_t *s = (s_sess_t *)base;
    s_reset_mail(s);
    free(s->helo);
    free(s->login_user);
    free(s->auth_user);
    free(s->auth_password);
}

static void s_reply(s_sess_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_reply(s_sess_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_buf_vprintf(&s->base.out, fmt, ap);
    va_end(ap);
    pl_buf_add(&s->base.out, "\r\n", 2);
    if (s->base.out.failed)
        s->base.state = FAKE_NET_DEAD;
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
    fake_net_lock(self->net);
    bool ok =
        !self->user || (strcmp(self->user, user) == 0 && strcmp(self->password, password) == 0);
    fake_net_unlock(self->net);
    if (!ok) {
        s_reply(s, "535 5.7.8 Authentication credentials invalid");
        return;
    }
    free(s->auth_user);
    free(s->auth_password);
    s->auth_user = strdup(user);
    s->auth_password = strdup(password);
    if (!s->auth_user || !s->auth_password) {
        s->base.state = FAKE_NET_DEAD;
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
            s->base.state = FAKE_NET_DEAD;
        else
            s_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return;
    }
    int fail_code = 0;
    bool at_mail = false;
    fake_net_lock(self->net);
    bool need_auth = self->user && !s->auth_user;
    if (!need_auth && self->fail_n > 0) {
        self->fail_n--;
        fail_code = self->fail_code;
        at_mail = self->fail_at == FAKE_SMTP_AT_MAIL;
        if (at_mail)
            self->rejected++;
    }
    fake_net_unlock(self->net);

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
            s->base.state = FAKE_NET_DEAD;
        else
            s_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
        return;
    }
    char **rcpts = realloc(s->rcpts, (s->rcpts_count + 1) * sizeof *rcpts);
    if (!rcpts) {
        free(to);
        s->base.state = FAKE_NET_DEAD;
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
        fake_net_lock(self->net);
        self->rejected++;
        fake_net_unlock(self->net);
        s_reply_scripted(s, s->fail_at_data);
        s_reset_mail(s);
        return;
    }
    if (!s->data.data)
        pl_buf_add(&s->data, "", 0);
    if (s->data.failed) {
        s->base.state = FAKE_NET_DEAD;
        return;
    }
    fake_smtp_msg_t m = {0};
    m.connection = s->base.id;
    m.helo = strdup(s->helo ? s->helo : "");
    m.auth_user = s_dup(s->auth_user);
    m.auth_password = s_dup(s->auth_password);
    m.auth_mechanism = s_dup(s->auth_mechanism);
    if (!m.helo || (s->auth_user && (!m.auth_user || !m.auth_password || !m.auth_mechanism))) {
        fake_smtp_msg_clear(&m);
        s->base.state = FAKE_NET_DEAD;
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

    fake_net_lock(self->net);
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
    fake_net_broadcast(self->net);
    fake_net_unlock(self->net);

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
    pl_buf_add(&s->data, line, len);
    if (s->data.failed)
        s->base.state = FAKE_NET_DEAD;
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
            s->base.state = FAKE_NET_DEAD;
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
        if (s->base.state == FAKE_NET_OPEN)
            s->base.state = FAKE_NET_CLOSING;
    } else {
        s_reply(s, "502 5.5.2 Command not recognized");
    }
#undef S_IS
}

/* The input hook: handles every complete line in s->base.in. */
static void s_sess_input(void *owner, fake_net_conn_t *base)
{
    fake_smtp_t *self = owner;
    s_sess_t *s = (s_sess_t *)base;
    pl_buf_t *in = &base->in;
    while (base->state == FAKE_NET_OPEN && in->size > 0) {
        const char *nl = memchr(in->data, '\n', in->size);
        if (!nl) {
            if (in->size > S_MAX_LINE) {
                s_reply(s, "500 5.5.2 Line too long");
                if (base->state == FAKE_NET_OPEN)
                    base->state = FAKE_NET_CLOSING;
            }
            return;
        }
        size_t len = (size_t)(nl - in->data) + 1;
        if (s->in_data) {
            s_data_line(self, s, in->data, len);
        } else {
            size_t text_len = len - 1;
            if (text_len > 0 && in->data[text_len - 1] == '\r')
                text_len--;
            char *line = strndup(in->data, text_len);
            if (!line) {
                base->state = FAKE_NET_DEAD;
                return;
            }
            s_command(self, s, line);
            free(line);
        }
        fake_net_consume(in, len);
    }
}

/* The open hook: greet, unless hang mode makes the session a dead relay. */
static bool s_sess_open(void *owner, fake_net_conn_t *base)
{
    fake_smtp_t *self = owner;
    if (self->hang)
        base->state = FAKE_NET_HUNG;
    else
        s_reply((s_sess_t *)base, "220 fake-smtp ESMTP ready");
    return true;
}

static const fake_net_ops_t s_ops = {
    .name = "fake_smtp",
    .what = "session",
    .conn_size = sizeof(s_sess_t),
    .open = s_sess_open,
    .input = s_sess_input,
    .release = s_sess_release,
};

/* ---- public --------------------------------------------------------------- */

fake_smtp_t *fake_smtp_start(void)
{
    fake_smtp_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (fake_net_start(&self->net, &s_ops, self) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

int fake_smtp_port(fake_smtp_t *self)
{
    return fake_net_port(self->net);
}

char *fake_smtp_url(fake_smtp_t *self, char *buf, size_t size)
{
    snprintf(buf, size, "smtp://127.0.0.1:%d", fake_net_port(self->net));
    return buf;
}

void fake_smtp_stop(fake_smtp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    fake_smtp_t *self = *self_p;
    *self_p = NULL;

    fake_net_stop(&self->net);
    for (size_t i = 0; i < self->msgs_count; i++)
        fake_smtp_msg_clear(&self->msgs[i]);
    free(self->msgs);
    free(self->user);
    free(self->password);
    free(self);
}

void fake_smtp_fail_next_at(fake_smtp_t *self, int n, int code, fake_smtp_stage_t at)
{
    fake_net_lock(self->net);
    self->fail_n = n > 0 ? n : 0;
    self->fail_code = code;
    self->fail_at = at;
    fake_net_unlock(self->net);
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
    fake_net_lock(self->net);
    free(self->user);
    free(self->password);
    self->user = u;
    self->password = p;
    fake_net_unlock(self->net);
    return 0;
}

void fake_smtp_hang(fake_smtp_t *self, int on)
{
    fake_net_lock(self->net);
    self->hang = on != 0;
    fake_net_unlock(self->net);
}

size_t fake_smtp_count(fake_smtp_t *self)
{
    fake_net_lock(self->net);
    size_t n = self->msgs_count;
    fake_net_unlock(self->net);
    return n;
}

size_t fake_smtp_rejected_count(fake_smtp_t *self)
{
    fake_net_lock(self->net);
    size_t n = self->rejected;
    fake_net_unlock(self->net);
    return n;
}

size_t fake_smtp_connections(fake_smtp_t *self)
{
    return fake_net_connections(self->net);
}

size_t fake_smtp_wait(fake_smtp_t *self, size_t n, int timeout_ms)
{
    return fake_net_wait(self->net, &self->msgs_count, n, timeout_ms);
}

int fake_smtp_message(fake_smtp_t *self, size_t i, fake_smtp_msg_t *out)
{
    memset(out, 0, sizeof *out);
    fake_net_lock(self->net);
    int rc = i < self->msgs_count ? s_msg_copy(out, &self->msgs[i]) : PL_ENOENT;
    fake_net_unlock(self->net);
    return rc;
}
