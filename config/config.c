#include "config/config.h"

#include "common/pl_log.h"
#include "common/pl_sha256.h"
#include "config/calendar.h"
#include "config/config_internal.h"
#include "config/deadlines.h"
#include "config/rules.h"
#include "config/yaml.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * How a load works: the settings sections are read first, each through the
 * table of its keys (config_settings.c). Their parsers write into a fresh
 * pl_config_t that starts from the defaults and report problems through
 * pl__config_error, which records them and goes on, so that one run shows
 * every mistake. The snapshot is returned only if no error was recorded.
 *
 * The business calendars (`calendar`, `calendars`; config/calendar.h) and
 * the rules (`directory` ... `routing`, `deadlines`; config/rules.h) are
 * read last, as wholes, by their own loaders: the rules check kinds against
 * intake.kinds and deadlines against the calendars. The rules snapshot
 * takes the calendars, so both are versioned and shared together.
 */

#define S_DEFAULT_DATABASE_URL "dbname=plaint"
#define S_DEFAULT_INGEST "tcp://127.0.0.1:5555"
#define S_DEFAULT_PUBLISH "tcp://127.0.0.1:5556"
#define S_DEFAULT_CASE_NUMBER "TS-{year}-{seq:6}"

static const char *const s_default_kinds[] = {"complaint", "feedback", "repair",
                                              "incident",  "patrol",   "comment"};

/* ---- errors -------------------------------------------------------------------------------- */

int pl_errlist_append(pl_errlist_t *list, const pl_err_t *err)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        pl_err_t *items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            return PL_ENOMEM;
        }
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = *err;
    return 0;
}

void pl_errlist_free(pl_errlist_t *list)
{
    if (!list) {
        return;
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
    list->cap = 0;
}

/* Records an error and lets the caller go on. A hostile file could hold
 * 100 000 mistakes; only the first PL_CONFIG_MAX_ERRORS are kept. */
static void s_record(pl__config_ctx_t *ctx, const pl_err_t *err)
{
    ctx->error_count++;
    if (!ctx->errs || ctx->error_count > PL_CONFIG_MAX_ERRORS + 1) {
        return;
    }
    if (ctx->error_count == PL_CONFIG_MAX_ERRORS + 1) {
        pl_err_t more;
        pl_err_clear(&more);
        pl_err_set_at(&more, PL_ECONFIG, err->file, 0, 0,
                      "too many errors; only the first %d are shown", PL_CONFIG_MAX_ERRORS);
        pl_errlist_append(ctx->errs, &more);
        return;
    }
    /* If even this fails the load still fails: error_count is what counts. */
    pl_errlist_append(ctx->errs, err);
}

void pl__config_error(pl__config_ctx_t *ctx, const pl_yaml_node_t *node, int code, const char *fmt,
                      ...)
{
    pl_err_t err;
    pl_err_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    pl_yaml_err_vat(&err, ctx->doc, node, code, fmt, ap);
    va_end(ap);
    s_record(ctx, &err);
}

/* Errors of the calendar and rules loaders are collected here, then sorted
 * by position so that they read in file order whichever loader found them,
 * and join the others under the same cap. */
typedef struct {
    pl_errlist_t list;
    size_t dropped; /* could not be kept (out of memory): counted as errors */
} s_pending_t;

static void s_collect_error(const pl_err_t *err, void *arg)
{
    s_pending_t *pending = arg;
    if (pl_errlist_append(&pending->list, err) != 0) {
        pending->dropped++;
    }
}

/* By line and column; errors without a position (line 0) last; ties in the
 * order found (the pointers' order: qsort is not stable). */
static int s_cmp_err_ptr(const void *a, const void *b)
{
    const pl_err_t *x = *(const pl_err_t *const *)a, *y = *(const pl_err_t *const *)b;
    long lx = x->line > 0 ? x->line : (long)1 << 30, ly = y->line > 0 ? y->line : (long)1 << 30;
    if (lx != ly) {
        return lx < ly ? -1 : 1;
    }
    if (x->column != y->column) {
        return x->column < y->column ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

static void s_flush_pending(pl__config_ctx_t *ctx, s_pending_t *pending)
{
    size_t n = pending->list.count;
    const pl_err_t **order = malloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; order && i < n; i++) {
        order[i] = &pending->list.items[i];
    }
    if (order) {
        qsort(order, n, sizeof *order, s_cmp_err_ptr);
    }
    for (size_t i = 0; i < n; i++) {
        s_record(ctx, order ? order[i] : &pending->list.items[i]);
    }
    free(order);
    if (pending->dropped) {
        pl__config_error(ctx, NULL, PL_ENOMEM, "out of memory");
    }
    pl_errlist_free(&pending->list);
}

static void s_load_rules(pl__config_ctx_t *ctx, const pl_yaml_node_t *root)
{
    pl_config_t *cfg = ctx->cfg;
    s_pending_t pending = {.dropped = 0};
    pl_calendars_t *calendars = pl_calendars_load_yaml(ctx->doc, root, s_collect_error, &pending);
    const pl_yaml_node_t *intake = root ? pl_yaml_node_get(root, "intake") : NULL;
    pl_rules_opts_t opts = {
        .kinds = (const char *const *)cfg->kinds,
        .kinds_node = intake ? pl_yaml_node_get(intake, "kinds") : NULL,
        .version = cfg->version,
        .calendars = &calendars,
        .calendars_failed = calendars == NULL,
    };
    pl_rules_t *rules = pl_rules_load_yaml(ctx->doc, root, &opts, s_collect_error, &pending);
    pl_notify_config_t *notify = pl_notify_load_yaml(ctx->doc, root, s_collect_error, &pending);
    pl_lifecycle_t *lifecycle =
        pl_lifecycle_load_yaml(ctx->doc, root, rules, s_collect_error, &pending);
    s_flush_pending(ctx, &pending);
    if (lifecycle) {
        pl_lifecycle_unref(&cfg->lifecycle);
        cfg->lifecycle = lifecycle;
    }
    if (notify) {
        pl_notify_unref(&cfg->notify);
        cfg->notify = notify;
    }
    if (rules) {
        pl_rules_unref(&cfg->rules);
        cfg->rules = rules;
        cfg->calendars = pl_rules_calendars(rules);
    }
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

/* The defaults; with `calendars`, also the built-in calendar (which needs
 * the zone database), otherwise none (the loader reads them from the
 * file). */
static pl_config_t *s_new(bool calendars)
{
    pl_config_t *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        return NULL;
    }
    char version[PL_SHA256_HEX_SIZE];
    pl_sha256_hex("", 0, version);
    size_t kinds_count = sizeof s_default_kinds / sizeof s_default_kinds[0];
    cfg->path = strdup("<defaults>");
    cfg->version = strdup(version);
    cfg->database_url = strdup(S_DEFAULT_DATABASE_URL);
    cfg->listen_ingest = strdup(S_DEFAULT_INGEST);
    cfg->listen_publish = strdup(S_DEFAULT_PUBLISH);
    cfg->case_number_format = strdup(S_DEFAULT_CASE_NUMBER);
    cfg->case_number_template = strdup("TS-{year}-{seq}");
    cfg->case_number_width = 6;
    cfg->timezone = strdup(PL__CONFIG_DEFAULT_TIMEZONE);
    cfg->max_request_bytes = 65536;
    cfg->max_depth = 32;
    cfg->kinds = calloc(kinds_count + 1, sizeof *cfg->kinds);
    cfg->kinds_count = kinds_count;
    cfg->batch_max = 128;
    cfg->queue_max = 20000;
    cfg->reconnect_max_ms = 5000;
    cfg->log_level = PL_LOG_INFO;
    if (calendars) {
        /* An empty document gives the empty rules holding the calendars. */
        pl_calendars_t *set = pl_calendars_new_default(NULL);
        pl_rules_opts_t opts = {.version = version, .calendars = &set};
        cfg->rules = set ? pl_rules_load_yaml(NULL, NULL, &opts, NULL, NULL) : NULL;
        cfg->calendars = cfg->rules ? pl_rules_calendars(cfg->rules) : NULL;
    } else {
        cfg->rules = pl_rules_new_empty(version);
    }
    cfg->notify = pl_notify_new_default();
    cfg->lifecycle = pl_lifecycle_new_default(cfg->rules);
    bool ok = cfg->path && cfg->version && cfg->database_url && cfg->listen_ingest &&
              cfg->listen_publish && cfg->case_number_format && cfg->case_number_template &&
              cfg->timezone && cfg->kinds && cfg->rules && (cfg->calendars || !calendars) &&
              cfg->notify && cfg->lifecycle;
    for (size_t i = 0; ok && i < kinds_count; i++) {
        ok = (cfg->kinds[i] = strdup(s_default_kinds[i])) != NULL;
    }
    if (!ok) {
        pl_config_destroy(&cfg);
    }
    return cfg;
}

pl_config_t *pl_config_new_default(void)
{
    return s_new(true);
}

void pl_config_destroy(pl_config_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_config_t *cfg = *self_p;
    free(cfg->path);
    free(cfg->version);
    free(cfg->database_url);
    free(cfg->listen_ingest);
    free(cfg->listen_publish);
    free(cfg->case_number_format);
    free(cfg->case_number_template);
    free(cfg->timezone);
    pl__config_free_strings(cfg->kinds);
    cfg->calendars = NULL; /* the rules' */
    pl_rules_unref(&cfg->rules);
    pl_notify_unref(&cfg->notify);
    pl_lifecycle_unref(&cfg->lifecycle);
    free(cfg);
    *self_p = NULL;
}

pl_config_t *pl_config_load_buffer(const char *buf, size_t len, const char *name,
                                   pl_errlist_t *errs)
{
    pl__config_ctx_t ctx = {.errs = errs};
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(buf, len, name, &err);
    if (!doc) {
        s_record(&ctx, &err);
        return NULL;
    }
    ctx.doc = doc;
    char version[PL_SHA256_HEX_SIZE];
    pl_sha256_hex(buf ? buf : "", len, version);
    pl_config_t *cfg = s_new(false);
    char *path = strdup(pl_yaml_doc_name(doc));
    char *version_copy = strdup(version);
    if (!cfg || !path || !version_copy) {
        free(path);
        free(version_copy);
        pl__config_error(&ctx, NULL, PL_ENOMEM, "out of memory");
        goto cleanup;
    }
    free(cfg->path);
    cfg->path = path;
    free(cfg->version);
    cfg->version = version_copy;
    ctx.cfg = cfg;

    pl__config_read_settings(&ctx, pl_yaml_doc_root(doc));
    s_load_rules(&ctx, pl_yaml_doc_root(doc));
cleanup:
    if (ctx.error_count > 0) {
        pl_config_destroy(&cfg);
    }
    pl_yaml_doc_destroy(&doc);
    return cfg;
}

pl_config_t *pl_config_load_file(const char *path, pl_errlist_t *errs)
{
    char *buf = NULL;
    size_t len = 0;
    pl_err_t err;
    pl_err_clear(&err);
    if (pl_yaml_read_file(path, &buf, &len, &err) != 0) {
        if (errs) {
            pl_errlist_append(errs, &err);
        }
        return NULL;
    }
    pl_config_t *cfg = pl_config_load_buffer(buf, len, path, errs);
    free(buf);
    return cfg;
}
