/*
 * pl_buf: a growable text buffer for building strings piece by piece
 * (explanations, message bodies). It knows nothing of complaints.
 *
 * Unlike the project's other types, pl_buf_t is not opaque: it lives by value
 * on the caller's stack, starts as `pl_buf_t buf = {0};` and needs no
 * pl_buf_new, so building a short text costs no allocation beyond its bytes.
 * Callers may read `data`, `size` and `failed`.
 *
 * Out of memory does not stop the caller at every append: the buffer records
 * it in `failed`, later appends do nothing, and the caller checks once at
 * the end (`failed`, or pl_buf_take returning NULL). A caller that could not
 * produce a piece it meant to append may set `failed` itself.
 */
#ifndef PL_BUF_H
#define PL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct pl_buf {
    char *data;  /* NUL-terminated while not failed; NULL until the first append */
    size_t size; /* bytes in data, without the NUL */
    size_t cap;  /* bytes allocated */
    bool failed; /* out of memory: the text is incomplete */
} pl_buf_t;

/*
 * pl_buf_add: appends `size` bytes of `s` (which need not be NUL-terminated
 * and may contain NUL bytes), growing the buffer as needed. Borrows `s` (must
 * outlive the call). Does nothing once `failed` is set; sets it when memory
 * runs out or the size would overflow.
 */
void pl_buf_add(pl_buf_t *buf, const char *s, size_t size);

/* pl_buf_puts: appends the NUL-terminated `s`, as pl_buf_add. Borrows `s`. */
void pl_buf_puts(pl_buf_t *buf, const char *s);

/*
 * pl_buf_printf: appends the printf-formatted text, of any length, as
 * pl_buf_add. Sets `failed` also when the format cannot be rendered.
 */
void pl_buf_printf(pl_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pl_buf_vprintf: pl_buf_printf with a va_list, for wrappers that take a
 * format of their own. Leaves `ap` indeterminate, as vsnprintf does. */
void pl_buf_vprintf(pl_buf_t *buf, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * pl_buf_cat: appends each NUL-terminated string argument, in order, up to
 * the NULL that ends the list, as pl_buf_add. No format is parsed, which
 * keeps texts built per event cheap. Borrows the strings.
 */
void pl_buf_cat(pl_buf_t *buf, ...) __attribute__((sentinel));

/* pl_buf_uint: appends `value` in decimal, as pl_buf_add. */
void pl_buf_uint(pl_buf_t *buf, unsigned long long value);

/*
 * pl_buf_take: hands the text over and leaves `buf` empty ({0}). Returns a new
 * string, caller frees (an empty one when nothing was appended), and stores
 * its length in `*size` when `size` is not NULL. Returns NULL when `failed`
 * was set or memory runs out; the buffer's memory is then released.
 */
char *pl_buf_take(pl_buf_t *buf, size_t *size);

/* pl_buf_free: releases the text and leaves `buf` empty ({0}). Accepts an empty buffer. */
void pl_buf_free(pl_buf_t *buf);

#endif
