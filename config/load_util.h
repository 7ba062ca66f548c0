/*
 * load_util.h: what the section loaders that report through a callback
 * (notify_load.c, notify_sinks.c, lifecycle_load.c, lifecycle_approvals.c,
 * calendar_load.c) share: an error located at a YAML node, counted and
 * handed to the caller's report function. Never included outside config/.
 */
#ifndef PL_LOAD_UTIL_H
#define PL_LOAD_UTIL_H

#include "common/pl_err.h"
#include "config/yaml.h"

#include <stddef.h>

/* pl__load_report_fn: the shape of pl_notify_report_fn,
 * pl_lifecycle_report_fn and pl_calendar_report_fn. */
typedef void (*pl__load_report_fn)(const pl_err_t *err, void *arg);

/* Where a load's errors go. A loader embeds one and sets the first three
 * fields; `count` tells it at the end whether the load failed. */
typedef struct pl__load_errors {
    const pl_yaml_doc_t *doc;  /* the errors' file name and positions; borrowed */
    pl__load_report_fn report; /* NULL: errors are only counted */
    void *arg;                 /* passed to report */
    size_t count;              /* errors so far */
} pl__load_errors_t;

/*
 * pl__load_error: builds an error with `code` and the printf-formatted
 * message, located at `node` (NULL: the file only), counts it and passes it
 * to the report function, which borrows it for the call.
 */
void pl__load_error(pl__load_errors_t *errors, const pl_yaml_node_t *node, int code,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
