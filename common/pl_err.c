#include "common/pl_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pl_strerror(int code)
{
    switch (code) {
    case PL_OK: return "success";
    case PL_ENOMEM: return "out of memory";
    case PL_EINVAL: return "invalid input";
    case PL_EIO: return "input/output error";
    case PL_EDB: return "database error";
    case PL_ECONFIG: return "invalid configuration";
    case PL_EPROTO: return "protocol error";
    case PL_EAGAIN: return "temporarily unavailable";
    case PL_ENOENT: return "not found";
    default: return "unknown error";
    }
}

void pl_err_clear(pl_err_t *err)
{
    if (err) {
        memset(err, 0, sizeof *err);
    }
}

int pl_err_set(pl_err_t *err, int code, const char *reason, const char *field,
               const char *fmt, ...)
{
    if (!err) {
        return code;
    }
    err->code = code;
    err->reason = reason;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

int pl_err_set_at(pl_err_t *err, int code, const char *file, int line, int column,
                  const char *fmt, ...)
{
    if (!err) {
        return code;
    }
    err->code = code;
    err->reason = "invalid_config";
    err->field[0] = '\0';
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

char *pl_err_format(const pl_err_t *err, char *buf, size_t size)
{
    if (err->file[0] && err->line > 0) {
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, err->message);
    } else if (err->file[0]) {
        snprintf(buf, size, "%s: %s", err->file, err->message);
    } else {
        snprintf(buf, size, "%s", err->message);
    }
    return buf;
}
