/*
 * config_internal.h: what the files of the config module share (config.c:
 * the snapshot, its errors and the section loaders it calls;
 * config_settings.c: the settings sections and their key tables). Never
 * included outside config/config*.c.
 */
#ifndef PL_CONFIG_INTERNAL_H
#define PL_CONFIG_INTERNAL_H

#include "config/config.h"
#include "config/yaml.h"

#include <stddef.h>

/* The default of intake.timezone; its parser names it as an example. */
#define PL__CONFIG_DEFAULT_TIMEZONE "Asia/Shanghai"

/* One load: the document, the snapshot being filled and where errors go. */
typedef struct pl__config_ctx {
    const pl_yaml_doc_t *doc;
    pl_config_t *cfg;
    pl_errlist_t *errs;
    size_t error_count; /* recorded or dropped */
} pl__config_ctx_t;

/*
 * pl__config_error: records an error with `code` and the printf-formatted
 * message, located at `node` (NULL: the file only), and lets the caller go
 * on; only the first PL_CONFIG_MAX_ERRORS are kept, all are counted.
 */
void pl__config_error(pl__config_ctx_t *ctx, const pl_yaml_node_t *node, int code, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/*
 * pl__config_read_settings: reads every top-level section of `root` (may
 * be NULL): the settings sections into ctx->cfg through their key tables;
 * the calendar, rules, notify and lifecycle sections are only recognised
 * (their own loaders read them). Then runs the checks that span keys.
 * Reports through pl__config_error.
 */
void pl__config_read_settings(pl__config_ctx_t *ctx, const pl_yaml_node_t *root);

/* pl__config_free_strings: frees a NULL-terminated list of strings and the
 * list; accepts NULL. */
void pl__config_free_strings(char **list);

#endif
