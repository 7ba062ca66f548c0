/*
 * pl_config: the daemon's configuration, one immutable snapshot per load.
 *
 * A load parses the YAML file (config/yaml.h), checks every section and key
 * against a table, validates every value and only then returns the new
 * snapshot; on any error it returns NULL and the caller keeps what it had.
 * Every error found is reported, not only the first, each located as
 * "file:line:column: message" (see config/README.md for every key, its type,
 * default and range).
 *
 * The struct is public so readers need no accessors; treat it as read-only
 * after load. It may be read from several threads at once.
 */
#ifndef PL_CONFIG_H
#define PL_CONFIG_H

#include "common/pl_err.h"
#include "config/calendar.h"
#include "config/lifecycle.h"
#include "config/notify.h"
#include "config/rules.h"

#include <stddef.h>

/* At most this many errors are kept per load; one more entry then says that
 * the rest were dropped. */
#define PL_CONFIG_MAX_ERRORS 100

/*
 * pl_errlist_t: the errors of one load, in the order found. Start from
 * `pl_errlist_t errs = {0};` and release with pl_errlist_free(). Print each
 * item with pl_err_format().
 */
typedef struct pl_errlist {
    pl_err_t *items; /* `count` errors */
    size_t count;
    size_t cap; /* allocated items */
} pl_errlist_t;

/*
 * pl_errlist_append: copies *err (borrowed) to the end of the list. Returns 0,
 * or PL_ENOMEM (the list is unchanged).
 */
int pl_errlist_append(pl_errlist_t *list, const pl_err_t *err);

/* pl_errlist_free: frees the items and resets the list to empty so it can be
 * reused; accepts NULL. */
void pl_errlist_free(pl_errlist_t *list);

typedef struct pl_config {
    /* File it was loaded from, or the name given to pl_config_load_buffer()
     * ("<buffer>" if none), or "<defaults>" for pl_config_new_default(). */
    char *path;
    /* The "rules version": lower-case hex SHA-256 of the file's bytes (64
     * characters), the same as `sha256sum FILE` prints. The defaults have the
     * hash of zero bytes, as an empty file gives the same settings. */
    char *version;
    /* database.url: libpq conninfo ("host=/run/postgresql dbname=plaint") or
     * URI ("postgresql://..."); default "dbname=plaint". */
    char *database_url;
    /* listen.ingest: ZeroMQ endpoint (tcp://, ipc:// or inproc://) of the
     * ROUTER socket where events and commands arrive; default
     * "tcp://127.0.0.1:5555". */
    char *listen_ingest;
    /* listen.publish: ZeroMQ endpoint of the PUB socket for case events;
     * default "tcp://127.0.0.1:5556"; must differ from listen.ingest. */
    char *listen_publish;
    /* intake.case_number: format of case numbers as written, default
     * "TS-{year}-{seq:6}". Holds {seq} or {seq:N} (1 <= N <= 12, zero-padded
     * width) exactly once and {year} at most once; other text is limited to
     * [A-Za-z0-9_-/.]. */
    char *case_number_format;
    /* The same with {seq:N} written as {seq}: "TS-{year}-{seq}". */
    char *case_number_template;
    /* N from {seq:N}; 1 for a plain {seq}. */
    int case_number_width;
    /* intake.timezone: IANA zone whose local calendar year numbers cases;
     * default "Asia/Shanghai". Must look like an IANA name and, when the zone
     * database ($TZDIR or /usr/share/zoneinfo) exists, be found in it. */
    char *timezone;
    /* intake.max_request_bytes: largest request accepted, in bytes; default
     * 65536, range 1024..16777216. */
    size_t max_request_bytes;
    /* intake.max_depth: deepest JSON nesting accepted in a request; default
     * 32, range 4..256. */
    int max_depth;
    /* intake.kinds: the event kinds accepted, NULL-terminated, in file order;
     * default complaint, feedback, repair, incident, patrol, comment. Each is
     * an identifier [a-z_][a-z0-9_]{0,31}; at least one, at most 64, no
     * duplicates. */
    char **kinds;
    size_t kinds_count;
    /* store.batch_max: most events written in one transaction; default 128,
     * range 1..10000. */
    int batch_max;
    /* store.queue_max: requests waiting for the database before new ones are
     * refused as unavailable; default 20000, range 1..1000000. */
    int queue_max;
    /* store.reconnect_max_ms: cap of the reconnect back-off in milliseconds;
     * default 5000, range 100..600000. */
    int reconnect_max_ms;
    /* log.level: a pl_log_level_t (error, warn, info, debug); default info. */
    int log_level;
    /* The rules (sections directory, categories, tags, kind_rules, classify,
     * routing; see config/rules.h), never NULL. The config holds one
     * reference, dropped by pl_config_destroy(); take your own with
     * pl_rules_ref() to keep the snapshot longer than the config. A file
     * without rules sections gives the empty rule set. The deadline rules
     * (`deadlines`) are part of it: see config/deadlines.h. */
    const pl_rules_t *rules;
    /* The business calendars (top-level `calendar`, the default, and
     * `calendars`, the named ones; docs/calendar.md), never NULL: without
     * `calendar`, the built-in default (Asia/Shanghai, Monday to Friday,
     * 09:00-18:00, no holidays). Held by the rules snapshot (the same as
     * pl_rules_calendars(rules)), so valid as long as `rules` is: a case
     * that keeps a reference to the rules keeps the calendars its
     * deadlines were computed in. */
    const pl_calendars_t *calendars;
    /* notify: the sinks the notifier delivers to (config/notify.h), never
     * NULL (no sinks without the section). The config holds one reference;
     * take your own with pl_notify_ref() to keep it longer. */
    const pl_notify_config_t *notify;
    /* lifecycle and approvals: the approval matrix and whom an unsatisfied
     * case is escalated to (config/lifecycle.h), never NULL. One reference
     * held by the config. */
    const pl_lifecycle_t *lifecycle;
} pl_config_t;

/*
 * pl_config_load_file: reads and validates the config file at `path`
 * (borrowed). Returns a new snapshot, caller destroys, or NULL if anything is
 * wrong; then every error found is appended to `errs` (may be NULL), each
 * with code PL_EIO (unreadable file), PL_ENOMEM, PL_EINVAL (file too large)
 * or PL_ECONFIG (everything else) and, where known, file, line and column.
 * The calendars (pl_calendars_load_yaml) and the rules sections
 * (pl_rules_load_yaml) are checked with the rest, after all other sections;
 * their errors join the same list, sorted by position among themselves.
 */
pl_config_t *pl_config_load_file(const char *path, pl_errlist_t *errs);

/*
 * pl_config_load_buffer: like pl_config_load_file for `len` bytes at `buf`
 * (borrowed). `name` (borrowed, may be NULL for "<buffer>") is the file name
 * used in errors and in `path`.
 */
pl_config_t *pl_config_load_buffer(const char *buf, size_t len, const char *name,
                                   pl_errlist_t *errs);

/* pl_config_new_default: a snapshot holding every default, with the
 * built-in calendar. Returns a new object, caller destroys, or NULL when
 * out of memory or when the zone database lacks Asia/Shanghai. */
pl_config_t *pl_config_new_default(void);

/* pl_config_destroy: frees the snapshot; accepts NULL and a pointer to NULL;
 * sets *self_p to NULL. */
void pl_config_destroy(pl_config_t **self_p);

#endif
