/*
 * fake_smtp: a minimal ESMTP server for tests, standing in for the mail
 * relay of an e-mail sink. It runs in its own thread inside the test
 * process, listens on 127.0.0.1 only, on a port the kernel chooses, and
 * records every message it accepts. Good enough for libcurl's smtp://
 * client; no TLS (STARTTLS is answered with 454).
 *
 * The dialogue: greeting 220; EHLO advertises 8BITMIME, SIZE 33554432 and
 * AUTH PLAIN LOGIN (HELO works too); AUTH PLAIN and AUTH LOGIN, with or
 * without an initial response; MAIL FROM, RCPT TO (up to 100), DATA (ends
 * at CRLF.CRLF, dot-unstuffed), RSET, NOOP, VRFY, HELP, QUIT. Commands are
 * case-insensitive; parameters after the address (SIZE=, BODY=) are
 * ignored. Several sessions at once; each command waits for its reply (no
 * PIPELINING is advertised, but pipelined commands are answered in order).
 *
 * Authentication is optional and any credentials are accepted, unless
 * fake_smtp_credentials set a pair: then other credentials get 535 and MAIL
 * before a successful AUTH gets 530.
 *
 * Every function is thread-safe; none blocks longer than its timeout (stop
 * waits for the server thread, which wakes at least every 100 ms).
 */
#ifndef PL_FAKE_SMTP_H
#define PL_FAKE_SMTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct fake_smtp fake_smtp_t;

/* One accepted message. Every string is NUL-terminated and owned by the
 * record; fake_smtp_msg_clear frees them. */
typedef struct fake_smtp_msg {
    char *helo;   /* the EHLO/HELO argument, "" when none was given */
    char *from;   /* the MAIL FROM address without <>, "" for <> */
    char **rcpts; /* the RCPT TO addresses without <>, in order */
    size_t rcpts_count;
    /* The message as received: dot-unstuffed, up to and including the CRLF
     * before the final "."; data[data_size] == '\0'. */
    char *data;
    size_t data_size;
    /* From the session's successful AUTH; all NULL without one. */
    char *auth_user;
    char *auth_password;
    char *auth_mechanism; /* "PLAIN" or "LOGIN" */
    unsigned connection;  /* 1 for the first session accepted, 2 ... */
} fake_smtp_msg_t;

/* Where a scripted failure strikes (fake_smtp_fail_next_at). */
typedef enum {
    FAKE_SMTP_AT_MAIL = 1, /* MAIL FROM is answered with the code */
    FAKE_SMTP_AT_DATA,     /* the whole message is read, then the final
                            * reply is the code (not recorded) */
} fake_smtp_stage_t;

/*
 * fake_smtp_start: binds 127.0.0.1 on a kernel-chosen port and starts the
 * server thread. Returns a new object, caller stops it with fake_smtp_stop;
 * NULL when a socket, the thread or memory could not be had (the cause on
 * stderr).
 */
fake_smtp_t *fake_smtp_start(void);

/* fake_smtp_port: the TCP port it listens on (host order). */
int fake_smtp_port(fake_smtp_t *self);

/* fake_smtp_url: writes "smtp://127.0.0.1:PORT" into buf, returns buf. */
char *fake_smtp_url(fake_smtp_t *self, char *buf, size_t size);

/* fake_smtp_stop: stops the thread, closes every session and frees
 * everything, records included. Accepts NULL and *self_p == NULL; sets
 * *self_p to NULL. */
void fake_smtp_stop(fake_smtp_t **self_p);

/*
 * fake_smtp_fail_next: the next `n` transactions (MAIL FROM commands) fail
 * at MAIL FROM with reply `code` (e.g. 451: transient, 550: permanent).
 * Replaces any failure still pending; n = 0 cancels it.
 */
void fake_smtp_fail_next(fake_smtp_t *self, int n, int code);

/* fake_smtp_fail_next_at: like fake_smtp_fail_next, at stage `at`. */
void fake_smtp_fail_next_at(fake_smtp_t *self, int n, int code, fake_smtp_stage_t at);

/*
 * fake_smtp_credentials: requires AUTH with exactly this pair (borrowed,
 * copied); NULL user goes back to accepting anything. Returns 0, or
 * PL_ENOMEM.
 */
int fake_smtp_credentials(fake_smtp_t *self, const char *user, const char *password);

/* fake_smtp_hang: with `on`, new sessions get no greeting and no reply,
 * ever: a dead relay. Sessions already greeted go on normally. */
void fake_smtp_hang(fake_smtp_t *self, int on);

/* fake_smtp_count: the number of messages accepted (final 250) so far. */
size_t fake_smtp_count(fake_smtp_t *self);

/* fake_smtp_rejected_count: transactions failed by the script so far. */
size_t fake_smtp_rejected_count(fake_smtp_t *self);

/* fake_smtp_connections: the number of sessions accepted so far. */
size_t fake_smtp_connections(fake_smtp_t *self);

/* fake_smtp_wait: waits until at least `n` messages were accepted, or
 * `timeout_ms` passed. Returns the count then (compare it with n). */
size_t fake_smtp_wait(fake_smtp_t *self, size_t n, int timeout_ms);

/*
 * fake_smtp_message: copies accepted message `i` (0 = the first) into *out,
 * which the caller clears with fake_smtp_msg_clear. Returns 0, PL_ENOENT
 * when fewer than i+1 were accepted (then *out is zeroed), or PL_ENOMEM.
 */
int fake_smtp_message(fake_smtp_t *self, size_t i, fake_smtp_msg_t *out);

/* fake_smtp_msg_clear: frees what `msg` holds and zeroes it. Accepts NULL. */
void fake_smtp_msg_clear(fake_smtp_msg_t *msg);

#endif
