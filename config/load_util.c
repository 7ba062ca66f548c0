#include "config/load_util.h"

#include <stdarg.h>

void pl__load_error(pl__load_errors_t *errors, const pl_yaml_node_t *node, int code,
                    const char *fmt, ...)
{
    pl_err_t err;
    pl_err_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    pl_yaml_err_vat(&err, errors->doc, node, code, fmt, ap);
    va_end(ap);
    errors->count++;
    if (errors->report) {
        errors->report(&err, errors->arg);
    }
}
