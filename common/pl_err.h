/*
 * pl_err: error codes and the error record filled by code that detects a
 * problem a human must read (parsers, validators, SQL).
 */
#ifndef PL_ERR_H
#define PL_ERR_H

#include <stddef.h>

enum {
    PL_OK = 0,
    PL_ENOMEM = -1,   /* allocation failed */
    PL_EINVAL = -2,   /* invalid input or argument */
    PL_EIO = -3,      /* I/O error (file, socket) */
    PL_EDB = -4,      /* database error */
    PL_ECONFIG = -5,  /* invalid configuration */
    PL_EPROTO = -6,   /* protocol violation by a peer */
    PL_EAGAIN = -7,   /* try again later (queue full, not connected) */
    PL_ENOENT = -8,   /* no such object */
};

/*
 * pl_err_t: what went wrong, where, and in terms a user can act on.
 * `reason` is a short stable token for machines ("missing_field"); it points
 * to a string literal. `field` names the offending input field ("event.phone")
 * and `file`/`line`/`column` (1-based, 0 = unknown) locate it in a file.
 */
typedef struct pl_err {
    int code;
    const char *reason;
    char field[128];
    char file[256];
    int line;
    int column;
    char message[512];
} pl_err_t;

/* pl_strerror: the name of a PL_E* code ("out of memory"); never NULL. */
const char *pl_strerror(int code);

/* pl_err_clear: resets `err` to "no error". Accepts NULL. */
void pl_err_clear(pl_err_t *err);

/*
 * pl_err_set: fills `err` (if not NULL) with code, reason, field (may be NULL)
 * and a printf-formatted message. Returns `code`, so callers can write
 * `return pl_err_set(err, PL_EINVAL, ...)`.
 */
int pl_err_set(pl_err_t *err, int code, const char *reason, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* pl_err_set_at: like pl_err_set, with a file position (1-based). */
int pl_err_set_at(pl_err_t *err, int code, const char *file, int line, int column,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * pl_err_format: writes "file:line:column: message" (or just the message when
 * no file is set) into buf. Returns buf.
 */
char *pl_err_format(const pl_err_t *err, char *buf, size_t size);

#endif
