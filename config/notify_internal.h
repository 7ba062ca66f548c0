/*
 * notify_internal.h: what the files of the notify module share (notify.c:
 * names, built-in templates, the snapshot's lifecycle and lookups;
 * notify_load.c: the section loader and its small parsers; notify_sinks.c:
 * the loader of one sink). Never included outside config/notify*.c.
 */
#ifndef PL_NOTIFY_INTERNAL_H
#define PL_NOTIFY_INTERNAL_H

#include "common/pl_time.h"
#include "config/load_util.h"
#include "config/notify.h"
#include "config/yaml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The last value of pl_sink_type_t (they run from PL_SINK_WEBHOOK). */
#define PL__NOTIFY_SINK_TYPE_LAST PL_SINK_EMAIL

/* Bytes of a URL, address, user name or password. */
#define PL__NOTIFY_MAX_STRING 4096

/* One load of the section: where its errors go. */
typedef struct pl__notify_ld {
    pl__load_errors_t errors;
} pl__notify_ld_t;

/* ---- the snapshot (notify.c) ---- */

/* pl__notify_new: a section with the defaults but no templates (the loader
 * fills in the missing ones) and one reference; NULL when out of memory. */
pl_notify_config_t *pl__notify_new(void);

/* pl__notify_free: frees the section, its sinks and all they own; accepts
 * NULL. */
void pl__notify_free(pl_notify_config_t *cfg);

/* pl__notify_fill_templates: gives each topic without a template a copy of
 * the built-in one; false when out of memory. */
bool pl__notify_fill_templates(pl_notify_config_t *cfg);

/* ---- small parsers (notify_load.c) ---- */

/* pl__notify_join: joins a NULL-terminated list into buf, "a, b, c". */
void pl__notify_join(const char *const *names, char *buf, size_t size);

/* pl__notify_key_is: whether the key node is exactly `name` (a key may hold
 * NUL bytes). */
bool pl__notify_key_is(const pl_yaml_node_t *key, const char *name);

/* pl__notify_expect_string: a non-empty string of at most
 * PL__NOTIFY_MAX_STRING bytes without control characters (borrowed from
 * the document), or NULL after reporting why not. Any non-null scalar is a
 * string. */
const char *pl__notify_expect_string(pl__notify_ld_t *ld, const char *path,
                                     const pl_yaml_node_t *node);

/* pl__notify_expect_int: whether the node holds an integer in min..max,
 * stored in *out; reports otherwise. */
bool pl__notify_expect_int(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                           int64_t min, int64_t max, int *out);

/* pl__notify_expect_duration: whether the node holds a real duration
 * ("10s", "1m30s") in min..max, stored in *out; `range` is how messages
 * write the range ("1s..2m"). Reports otherwise. */
bool pl__notify_expect_duration(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                                pl_usec_t min, pl_usec_t max, const char *range, pl_usec_t *out);

/* pl__notify_store: replaces *dest with a copy of `value`; false after
 * reporting out of memory (at `node`). */
bool pl__notify_store(pl__notify_ld_t *ld, const pl_yaml_node_t *node, char **dest,
                      const char *value);

/* pl__notify_parse_templates: reads a mapping of topic to template text
 * into dest[] (owned strings), checking each text; key_nodes (may be NULL)
 * receives the key of each topic given. */
void pl__notify_parse_templates(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                                char *dest[PL_NOTIFY_TOPIC_COUNT],
                                const pl_yaml_node_t *key_nodes[PL_NOTIFY_TOPIC_COUNT]);

/* ---- sinks (notify_sinks.c) ---- */

/* pl__notify_parse_sinks: reads `notify.sinks` (a list; null means none)
 * into cfg->sinks, reporting every error. */
void pl__notify_parse_sinks(pl__notify_ld_t *ld, pl_notify_config_t *cfg,
                            const pl_yaml_node_t *value);

#endif
