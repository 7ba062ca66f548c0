#include "common/pl_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pl_buf_add(pl_buf_t *buf, const char *s, size_t size)
{
    if (buf->failed) {
        return;
    }
    /* Strictly less than the room, so the NUL always fits. */
    if (buf->cap - buf->size <= size) {
        size_t cap = buf->cap ? buf->cap : 128;
        while (cap - buf->size <= size) {
            if (cap > SIZE_MAX / 2) {
                buf->failed = true;
                return;
            }
            cap *= 2;
        }
        char *data = realloc(buf->data, cap);
        if (!data) {
            buf->failed = true;
            return;
        }
        buf->data = data;
        buf->cap = cap;
    }
    /* memcpy's arguments must not be NULL, even for 0 bytes. */
    if (size) {
        memcpy(buf->data + buf->size, s, size);
    }
    buf->size += size;
    buf->data[buf->size] = '\0';
}

void pl_buf_puts(pl_buf_t *buf, const char *s)
{
    pl_buf_add(buf, s, strlen(s));
}

void pl_buf_printf(pl_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_buf_vprintf(buf, fmt, ap);
    va_end(ap);
}

void pl_buf_vprintf(pl_buf_t *buf, const char *fmt, va_list ap)
{
    if (buf->failed) {
        return;
    }
    /* Most pieces are short: format on the stack, and only a longer text
     * pays for a second pass into a heap copy of the exact size. */
    char small[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        buf->failed = true;
    } else if ((size_t)n < sizeof small) {
        pl_buf_add(buf, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            pl_buf_add(buf, big, (size_t)n);
            free(big);
        } else {
            buf->failed = true;
        }
    }
    va_end(again);
}

void pl_buf_cat(pl_buf_t *buf, ...)
{
    va_list ap;
    va_start(ap, buf);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) {
        pl_buf_add(buf, s, strlen(s));
    }
    va_end(ap);
}

void pl_buf_uint(pl_buf_t *buf, unsigned long long value)
{
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    pl_buf_add(buf, digits + n, sizeof digits - n);
}

char *pl_buf_take(pl_buf_t *buf, size_t *size)
{
    if (!buf->data && !buf->failed) {
        pl_buf_add(buf, "", 0);
    }
    if (buf->failed) {
        pl_buf_free(buf);
        return NULL;
    }
    char *data = buf->data;
    if (size) {
        *size = buf->size;
    }
    *buf = (pl_buf_t){0};
    return data;
}

void pl_buf_free(pl_buf_t *buf)
{
    free(buf->data);
    *buf = (pl_buf_t){0};
}
