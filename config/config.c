#include "config/config.h"

#include "common/pl_log.h"
#include "config/calendar.h"
#include "config/deadlines.h"
#include "config/rules.h"
#include "config/yaml.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * How a load works: every top-level section has an entry in s_sections with
 * the function that parses its value. Sections that are mappings of settings
 * use s_parse_table with a table of keys (name, parser, destination offset,
 * range). Adding a section is adding a table entry and, if its shape is not a
 * flat mapping (a list of categories, say), a parser function.
 *
 * Parsers write into a fresh pl_config_t that starts from the defaults and
 * report problems through s_error, which records them and goes on, so that
 * one run shows every mistake. The snapshot is returned only if no error was
 * recorded.
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
#define S_DEFAULT_TIMEZONE "Asia/Shanghai"

enum {
    S_MAX_STRING = 4096,    /* longest string setting, in bytes */
    S_MAX_CASE_NUMBER = 64, /* longest intake.case_number */
    S_MAX_KINDS = 64,
    S_MAX_KIND_LENGTH = 32,
    S_MAX_TIMEZONE = 64,
};

static const char *const s_default_kinds[] = {"complaint", "feedback", "repair",
                                              "incident",  "patrol",   "comment"};

typedef struct {
    const pl_yaml_doc_t *doc;
    pl_config_t *cfg;
    pl_errlist_t *errs;
    size_t error_count; /* recorded or dropped */
} s_ctx_t;

typedef struct s_key s_key_t;
typedef void (*s_key_fn)(s_ctx_t *ctx, const s_key_t *key, const char *path,
                         const pl_yaml_node_t *node, void *dest);

/* One setting of a section: its name, its parser, where the parsed value goes
 * in pl_config_t, and the allowed range for integers. */
struct s_key {
    const char *name;
    s_key_fn parse;
    size_t offset;
    int64_t min;
    int64_t max;
};

typedef struct s_section s_section_t;
typedef void (*s_section_fn)(s_ctx_t *ctx, const s_section_t *section, const pl_yaml_node_t *node);

struct s_section {
    const char *name;
    s_section_fn parse;
    const s_key_t *keys; /* for s_parse_table; ends with a NULL name */
};

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
static void s_record(s_ctx_t *ctx, const pl_err_t *err)
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

static void s_error(s_ctx_t *ctx, const pl_yaml_node_t *node, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void s_error(s_ctx_t *ctx, const pl_yaml_node_t *node, int code, const char *fmt, ...)
{
    pl_err_t err;
    pl_err_clear(&err);
    va_list ap;
    va_start(ap, fmt);
    pl_yaml_err_vat(&err, ctx->doc, node, code, fmt, ap);
    va_end(ap);
    s_record(ctx, &err);
}

/* ---- value parsers -------------------------------------------------------------------------- */

/* Returns the string value of a scalar setting, or NULL after recording why
 * it is not one. Any non-null scalar is a string: `url: 5` means "5". */
static const char *s_expect_string(s_ctx_t *ctx, const char *path, const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SCALAR || pl_yaml_node_is_null(node)) {
        s_error(ctx, node, PL_ECONFIG, "%s: expected a string, found %s", path,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    const char *value = pl_yaml_node_scalar(node);
    size_t size = pl_yaml_node_scalar_size(node);
    if (strlen(value) != size) {
        s_error(ctx, node, PL_ECONFIG, "%s: must not contain NUL characters", path);
        return NULL;
    }
    if (size == 0) {
        s_error(ctx, node, PL_ECONFIG, "%s: must not be empty", path);
        return NULL;
    }
    if (size > S_MAX_STRING) {
        s_error(ctx, node, PL_ECONFIG, "%s: longer than %d bytes", path, S_MAX_STRING);
        return NULL;
    }
    for (size_t i = 0; i < size; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (ch < 0x20 || ch == 0x7F) {
            s_error(ctx, node, PL_ECONFIG, "%s: must not contain control characters", path);
            return NULL;
        }
    }
    return value;
}

static bool s_store_string(s_ctx_t *ctx, const pl_yaml_node_t *node, char **dest, const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        s_error(ctx, node, PL_ENOMEM, "out of memory");
        return false;
    }
    free(*dest);
    *dest = copy;
    return true;
}

static void s_parse_string(s_ctx_t *ctx, const s_key_t *key, const char *path,
                           const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    const char *value = s_expect_string(ctx, path, node);
    if (value) {
        s_store_string(ctx, node, dest, value);
    }
}

/* Returns whether the node holds an integer within the key's range. */
static bool s_expect_int(s_ctx_t *ctx, const s_key_t *key, const char *path,
                         const pl_yaml_node_t *node, int64_t *out)
{
    char desc[64];
    int64_t value;
    if (pl_yaml_node_to_int64(node, &value) != 0) {
        const char *what = pl_yaml_node_kind(node) == PL_YAML_SCALAR && !pl_yaml_node_is_plain(node)
                               ? "the string "
                               : "";
        s_error(ctx, node, PL_ECONFIG, "%s: expected an integer, found %s%s", path, what,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return false;
    }
    if (value < key->min || value > key->max) {
        s_error(ctx, node, PL_ECONFIG, "%s: %.40s is out of range %lld..%lld", path,
                pl_yaml_node_scalar(node), (long long)key->min, (long long)key->max);
        return false;
    }
    *out = value;
    return true;
}

static void s_parse_int(s_ctx_t *ctx, const s_key_t *key, const char *path,
                        const pl_yaml_node_t *node, void *dest)
{
    int64_t value;
    if (s_expect_int(ctx, key, path, node, &value)) {
        *(int *)dest = (int)value;
    }
}

static void s_parse_size(s_ctx_t *ctx, const s_key_t *key, const char *path,
                         const pl_yaml_node_t *node, void *dest)
{
    int64_t value;
    if (s_expect_int(ctx, key, path, node, &value)) {
        *(size_t *)dest = (size_t)value;
    }
}

static void s_parse_endpoint(s_ctx_t *ctx, const s_key_t *key, const char *path,
                             const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    static const char *const schemes[] = {"tcp://", "ipc://", "inproc://"};
    const char *value = s_expect_string(ctx, path, node);
    if (!value) {
        return;
    }
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(value, schemes[i], n) == 0 && value[n] != '\0' && !strchr(value, ' ')) {
            s_store_string(ctx, node, dest, value);
            return;
        }
    }
    char desc[64];
    s_error(ctx, node, PL_ECONFIG,
            "%s: %s is not a ZeroMQ endpoint; expected tcp://HOST:PORT, ipc://PATH or "
            "inproc://NAME",
            path, pl_yaml_node_describe(node, desc, sizeof desc));
}

/*
 * Checks a case number format and derives its template and width. Returns
 * NULL if it is valid, otherwise why not (in `why`).
 */
static const char *s_case_number_check(const char *format, char *template_out, int *width_out,
                                       char *why, size_t why_size)
{
    int seq = 0;
    int year = 0;
    int width = 1;
    char *t = template_out;
    if (strlen(format) > S_MAX_CASE_NUMBER) {
        snprintf(why, why_size, "longer than %d characters", S_MAX_CASE_NUMBER);
        return why;
    }
    for (const char *p = format; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '{') {
            const char *close = strchr(p, '}');
            if (!close) {
                snprintf(why, why_size, "\"{\" at character %d is never closed",
                         (int)(p - format) + 1);
                return why;
            }
            int name_size = (int)(close - p - 1);
            const char *name = p + 1;
            if (name_size == 4 && strncmp(name, "year", 4) == 0) {
                if (++year > 1) {
                    snprintf(why, why_size, "{year} appears more than once");
                    return why;
                }
                t += sprintf(t, "{year}");
            } else if (name_size >= 3 && strncmp(name, "seq", 3) == 0 &&
                       (name_size == 3 || name[3] == ':')) {
                if (++seq > 1) {
                    snprintf(why, why_size, "{seq} appears more than once");
                    return why;
                }
                if (name_size > 3) {
                    const char *digits = name + 4;
                    int n = name_size - 4;
                    int value = 0;
                    bool ok = n >= 1 && n <= 2;
                    for (int i = 0; ok && i < n; i++) {
                        ok = digits[i] >= '0' && digits[i] <= '9';
                        value = value * 10 + (digits[i] - '0');
                    }
                    if (!ok || value < 1 || value > 12) {
                        snprintf(why, why_size, "in {%.*s} the width must be 1 to 12", name_size,
                                 name);
                        return why;
                    }
                    width = value;
                }
                t += sprintf(t, "{seq}");
            } else {
                snprintf(why, why_size,
                         "unknown placeholder {%.*s}; expected {year}, {seq} or {seq:N}", name_size,
                         name);
                return why;
            }
            p = close;
        } else if (ch == '}') {
            snprintf(why, why_size, "\"}\" at character %d has no \"{\"", (int)(p - format) + 1);
            return why;
        } else if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                   (ch >= '0' && ch <= '9') || strchr("_-/.", ch)) {
            *t++ = (char)ch;
        } else {
            snprintf(why, why_size,
                     "character %d (byte 0x%02X) is not allowed; use letters, digits, "
                     "\"_\", \"-\", \"/\" and \".\" around the placeholders",
                     (int)(p - format) + 1, ch);
            return why;
        }
    }
    *t = '\0';
    if (seq != 1) {
        snprintf(why, why_size, "must contain {seq} or {seq:N} exactly once");
        return why;
    }
    *width_out = width;
    return NULL;
}

static void s_parse_case_number(s_ctx_t *ctx, const s_key_t *key, const char *path,
                                const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    const char *value = s_expect_string(ctx, path, node);
    if (!value) {
        return;
    }
    char template_buf[S_MAX_CASE_NUMBER + 8];
    char why[256];
    int width = 1;
    if (s_case_number_check(value, template_buf, &width, why, sizeof why)) {
        s_error(ctx, node, PL_ECONFIG, "%s: %s", path, why);
        return;
    }
    if (s_store_string(ctx, node, &ctx->cfg->case_number_template, template_buf) &&
        s_store_string(ctx, node, dest, value)) {
        ctx->cfg->case_number_width = width;
    }
}

/* IANA names are ASCII path components such as "America/Argentina/Salta" or
 * "Etc/GMT+8"; refusing "." and ".." also keeps the lookup inside the zone
 * database. */
static bool s_timezone_looks_valid(const char *name)
{
    size_t size = strlen(name);
    if (size > S_MAX_TIMEZONE) {
        return false;
    }
    bool at_component_start = true;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        bool letter = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
        if (at_component_start) {
            if (!letter) {
                return false;
            }
            at_component_start = false;
        } else if (ch == '/') {
            at_component_start = true;
        } else if (!letter && !(ch >= '0' && ch <= '9') && !strchr("_+-", ch)) {
            return false;
        }
    }
    return !at_component_start;
}

/* The zone database also holds tables and scripts (leapseconds, SECURITY);
 * a zone is a regular file that starts with the TZif magic. */
static bool s_is_zone_file(const char *file)
{
    struct stat st;
    if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
        return false;
    }
    FILE *f = fopen(file, "rb");
    if (!f) {
        return false;
    }
    char magic[4];
    bool ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

static void s_parse_timezone(s_ctx_t *ctx, const s_key_t *key, const char *path,
                             const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    const char *value = s_expect_string(ctx, path, node);
    if (!value) {
        return;
    }
    char desc[64];
    if (!s_timezone_looks_valid(value)) {
        s_error(ctx, node, PL_ECONFIG, "%s: %s is not an IANA time zone name such as %s", path,
                pl_yaml_node_describe(node, desc, sizeof desc), S_DEFAULT_TIMEZONE);
        return;
    }
    /* Without a zone database (a minimal container) the name cannot be
     * checked here; the time code falls back as documented there. */
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) {
        dir = "/usr/share/zoneinfo";
    }
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        char file[1024];
        snprintf(file, sizeof file, "%s/%s", dir, value);
        if (!s_is_zone_file(file)) {
            s_error(ctx, node, PL_ECONFIG, "%s: unknown time zone %s (not found in %s)", path,
                    pl_yaml_node_describe(node, desc, sizeof desc), dir);
            return;
        }
    }
    s_store_string(ctx, node, dest, value);
}

static bool s_is_identifier(const char *s, size_t size)
{
    if (size == 0 || size > S_MAX_KIND_LENGTH || strlen(s) != size) {
        return false;
    }
    for (size_t i = 0; i < size; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || ch == '_' || (i > 0 && ch >= '0' && ch <= '9');
        if (!ok) {
            return false;
        }
    }
    return true;
}

static void s_free_strings(char **list)
{
    if (list) {
        for (char **p = list; *p; p++) {
            free(*p);
        }
        free(list);
    }
}

static void s_parse_kinds(s_ctx_t *ctx, const s_key_t *key, const char *path,
                          const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SEQUENCE) {
        s_error(ctx, node, PL_ECONFIG, "%s: expected a sequence of kinds, found %s", path,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return;
    }
    size_t count = pl_yaml_node_count(node);
    if (count == 0) {
        s_error(ctx, node, PL_ECONFIG, "%s: must list at least one kind", path);
        return;
    }
    if (count > S_MAX_KINDS) {
        s_error(ctx, node, PL_ECONFIG, "%s: more than %d kinds", path, S_MAX_KINDS);
        return;
    }
    char **kinds = calloc(count + 1, sizeof *kinds);
    if (!kinds) {
        s_error(ctx, node, PL_ENOMEM, "out of memory");
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        const char *name = pl_yaml_node_scalar(item);
        if (!name || pl_yaml_node_is_null(item) ||
            !s_is_identifier(name, pl_yaml_node_scalar_size(item))) {
            s_error(ctx, item, PL_ECONFIG,
                    "%s: %s is not a valid kind; use 1 to %d of a-z, 0-9 and _, starting with "
                    "a letter or _",
                    path, pl_yaml_node_describe(item, desc, sizeof desc), S_MAX_KIND_LENGTH);
            ok = false;
            continue;
        }
        bool duplicate = false;
        for (size_t j = 0; j < i && !duplicate; j++) {
            duplicate = kinds[j] && strcmp(kinds[j], name) == 0;
        }
        if (duplicate) {
            s_error(ctx, item, PL_ECONFIG, "%s: duplicate kind \"%s\"", path, name);
            ok = false;
        } else if (!(kinds[i] = strdup(name))) {
            s_error(ctx, item, PL_ENOMEM, "out of memory");
            ok = false;
        }
    }
    if (!ok) {
        /* Slots of refused items are NULL; free() takes those. */
        for (size_t i = 0; i < count; i++) {
            free(kinds[i]);
        }
        free(kinds);
        return;
    }
    s_free_strings(*(char ***)dest);
    *(char ***)dest = kinds;
    ctx->cfg->kinds_count = count;
}

static void s_parse_log_level(s_ctx_t *ctx, const s_key_t *key, const char *path,
                              const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    const char *value = s_expect_string(ctx, path, node);
    if (!value) {
        return;
    }
    int level = pl_log_parse_level(value);
    if (level < 0) {
        char desc[64];
        s_error(ctx, node, PL_ECONFIG, "%s: unknown level %s; expected error, warn, info or debug",
                path, pl_yaml_node_describe(node, desc, sizeof desc));
        return;
    }
    *(int *)dest = level;
}

/* ---- sections ------------------------------------------------------------------------------ */

#define S_FIELD(name) offsetof(pl_config_t, name)

static const s_key_t s_database_keys[] = {
    {"url", s_parse_string, S_FIELD(database_url), 0, 0},
    {NULL, NULL, 0, 0, 0},
};

static const s_key_t s_listen_keys[] = {
    {"ingest", s_parse_endpoint, S_FIELD(listen_ingest), 0, 0},
    {"publish", s_parse_endpoint, S_FIELD(listen_publish), 0, 0},
    {NULL, NULL, 0, 0, 0},
};

static const s_key_t s_intake_keys[] = {
    {"case_number", s_parse_case_number, S_FIELD(case_number_format), 0, 0},
    {"timezone", s_parse_timezone, S_FIELD(timezone), 0, 0},
    {"max_request_bytes", s_parse_size, S_FIELD(max_request_bytes), 1024, 16777216},
    {"max_depth", s_parse_int, S_FIELD(max_depth), 4, 256},
    {"kinds", s_parse_kinds, S_FIELD(kinds), 0, 0},
    {NULL, NULL, 0, 0, 0},
};

static const s_key_t s_store_keys[] = {
    {"batch_max", s_parse_int, S_FIELD(batch_max), 1, 10000},
    {"queue_max", s_parse_int, S_FIELD(queue_max), 1, 1000000},
    {"reconnect_max_ms", s_parse_int, S_FIELD(reconnect_max_ms), 100, 600000},
    {NULL, NULL, 0, 0, 0},
};

static const s_key_t s_log_keys[] = {
    {"level", s_parse_log_level, S_FIELD(log_level), 0, 0},
    {NULL, NULL, 0, 0, 0},
};

/* Compares a key with a name, so that "url\0x" is not taken for "url". */
static bool s_name_is(const pl_yaml_node_t *key, const char *name)
{
    size_t size = strlen(name);
    return pl_yaml_node_scalar_size(key) == size &&
           memcmp(pl_yaml_node_scalar(key), name, size) == 0;
}

/* Parses a section that is a mapping of settings described by a key table.
 * A section left empty ("log:" with every key commented out) is null and
 * means "all defaults". */
static void s_parse_table(s_ctx_t *ctx, const s_section_t *section, const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_is_null(node)) {
        return;
    }
    if (pl_yaml_node_kind(node) != PL_YAML_MAPPING) {
        s_error(ctx, node, PL_ECONFIG, "%s: expected a mapping, found %s", section->name,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return;
    }
    for (size_t i = 0; i < pl_yaml_node_count(node); i++) {
        const pl_yaml_node_t *name = pl_yaml_node_key(node, i);
        const s_key_t *key = section->keys;
        while (key->name && !s_name_is(name, key->name)) {
            key++;
        }
        if (!key->name) {
            char expected[512] = "";
            size_t used = 0;
            for (const s_key_t *k = section->keys; k->name && used < sizeof expected; k++) {
                used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s",
                                         k == section->keys ? "" : ", ", k->name);
            }
            s_error(ctx, name, PL_ECONFIG, "unknown key %s in %s; expected %s",
                    pl_yaml_node_describe(name, desc, sizeof desc), section->name, expected);
            continue;
        }
        char path[128];
        snprintf(path, sizeof path, "%s.%s", section->name, key->name);
        key->parse(ctx, key, path, pl_yaml_node_value(node, i), (char *)ctx->cfg + key->offset);
    }
}

/* The calendar and rules sections are read as wholes by
 * pl_calendars_load_yaml() and pl_rules_load_yaml() once every setting is
 * known (s_load_rules); here they are only recognised. */
static void s_parse_rules_section(s_ctx_t *ctx, const s_section_t *section,
                                  const pl_yaml_node_t *node)
{
    (void)ctx;
    (void)section;
    (void)node;
}

static const s_section_t s_sections[] = {
    {"database", s_parse_table, s_database_keys}, {"listen", s_parse_table, s_listen_keys},
    {"intake", s_parse_table, s_intake_keys},     {"store", s_parse_table, s_store_keys},
    {"log", s_parse_table, s_log_keys},           {"directory", s_parse_rules_section, NULL},
    {"categories", s_parse_rules_section, NULL},  {"tags", s_parse_rules_section, NULL},
    {"kind_rules", s_parse_rules_section, NULL},  {"classify", s_parse_rules_section, NULL},
    {"routing", s_parse_rules_section, NULL},     {"calendar", s_parse_rules_section, NULL},
    {"calendars", s_parse_rules_section, NULL},   {"deadlines", s_parse_rules_section, NULL},
    {"notify", s_parse_rules_section, NULL},      {"lifecycle", s_parse_rules_section, NULL},
    {"approvals", s_parse_rules_section, NULL},
};

#define S_SECTION_COUNT (sizeof s_sections / sizeof s_sections[0])

static void s_parse_root(s_ctx_t *ctx, const pl_yaml_node_t *root)
{
    char desc[64];
    if (!root || pl_yaml_node_is_null(root)) {
        return;
    }
    if (pl_yaml_node_kind(root) != PL_YAML_MAPPING) {
        s_error(ctx, root, PL_ECONFIG, "expected a mapping of sections, found %s",
                pl_yaml_node_describe(root, desc, sizeof desc));
        return;
    }
    for (size_t i = 0; i < pl_yaml_node_count(root); i++) {
        const pl_yaml_node_t *name = pl_yaml_node_key(root, i);
        size_t s = 0;
        while (s < S_SECTION_COUNT && !s_name_is(name, s_sections[s].name)) {
            s++;
        }
        if (s == S_SECTION_COUNT) {
            char expected[256] = "";
            size_t used = 0;
            for (size_t j = 0; j < S_SECTION_COUNT && used < sizeof expected; j++) {
                used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s",
                                         j ? ", " : "", s_sections[j].name);
            }
            s_error(ctx, name, PL_ECONFIG, "unknown section %s; expected %s",
                    pl_yaml_node_describe(name, desc, sizeof desc), expected);
            continue;
        }
        s_sections[s].parse(ctx, &s_sections[s], pl_yaml_node_value(root, i));
    }
}

/* Checks that involve more than one key, once every key has been read. */
static void s_check_whole(s_ctx_t *ctx, const pl_yaml_node_t *root)
{
    pl_config_t *cfg = ctx->cfg;
    if (strcmp(cfg->listen_ingest, cfg->listen_publish) == 0) {
        const pl_yaml_node_t *listen = root ? pl_yaml_node_get(root, "listen") : NULL;
        const pl_yaml_node_t *at = listen ? pl_yaml_node_get(listen, "publish") : NULL;
        s_error(ctx, at ? at : listen, PL_ECONFIG,
                "listen.publish: must differ from listen.ingest (both are \"%s\")",
                cfg->listen_publish);
    }
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

static void s_flush_pending(s_ctx_t *ctx, s_pending_t *pending)
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
        s_error(ctx, NULL, PL_ENOMEM, "out of memory");
    }
    pl_errlist_free(&pending->list);
}

static void s_load_rules(s_ctx_t *ctx, const pl_yaml_node_t *root)
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

/* ---- SHA-256 (FIPS 180-4), for the rules version ------------------------------------------ */

typedef struct {
    uint32_t h[8];
    uint8_t block[64];
    size_t used;
    uint64_t total;
} s_sha256_t;

static const uint32_t s_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define S_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void s_sha256_block(s_sha256_t *c, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = S_ROTR(w[i - 15], 7) ^ S_ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = S_ROTR(w[i - 2], 17) ^ S_ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t v[8];
    memcpy(v, c->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t s1 = S_ROTR(v[4], 6) ^ S_ROTR(v[4], 11) ^ S_ROTR(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + s1 + ch + s_sha256_k[i] + w[i];
        uint32_t s0 = S_ROTR(v[0], 2) ^ S_ROTR(v[0], 13) ^ S_ROTR(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++) {
        c->h[i] += v[i];
    }
}

static void s_sha256_update(s_sha256_t *c, const uint8_t *data, size_t len)
{
    c->total += len;
    while (len > 0) {
        size_t n = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, data, n);
        c->used += n;
        data += n;
        len -= n;
        if (c->used == 64) {
            s_sha256_block(c, c->block);
            c->used = 0;
        }
    }
}

/* Writes the 64 hex digits and a NUL into out. */
static void s_sha256_hex(const void *data, size_t len, char out[65])
{
    s_sha256_t c = {.h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
                          0x1f83d9ab, 0x5be0cd19}};
    s_sha256_update(&c, data, len);
    uint64_t bits = c.total * 8;
    uint8_t pad[72] = {0x80};
    size_t pad_len = (c.used < 56 ? 56 : 120) - c.used;
    for (int i = 0; i < 8; i++) {
        pad[pad_len + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    s_sha256_update(&c, pad, pad_len + 8);
    for (int i = 0; i < 8; i++) {
        snprintf(out + 8 * i, 9, "%08x", (unsigned)c.h[i]);
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
    char version[65];
    s_sha256_hex("", 0, version);
    size_t kinds_count = sizeof s_default_kinds / sizeof s_default_kinds[0];
    cfg->path = strdup("<defaults>");
    cfg->version = strdup(version);
    cfg->database_url = strdup(S_DEFAULT_DATABASE_URL);
    cfg->listen_ingest = strdup(S_DEFAULT_INGEST);
    cfg->listen_publish = strdup(S_DEFAULT_PUBLISH);
    cfg->case_number_format = strdup(S_DEFAULT_CASE_NUMBER);
    cfg->case_number_template = strdup("TS-{year}-{seq}");
    cfg->case_number_width = 6;
    cfg->timezone = strdup(S_DEFAULT_TIMEZONE);
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
    s_free_strings(cfg->kinds);
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
    s_ctx_t ctx = {.errs = errs};
    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(buf, len, name, &err);
    if (!doc) {
        s_record(&ctx, &err);
        return NULL;
    }
    ctx.doc = doc;
    char version[65];
    s_sha256_hex(buf ? buf : "", len, version);
    pl_config_t *cfg = s_new(false);
    char *path = strdup(pl_yaml_doc_name(doc));
    char *version_copy = strdup(version);
    if (!cfg || !path || !version_copy) {
        free(path);
        free(version_copy);
        s_error(&ctx, NULL, PL_ENOMEM, "out of memory");
        goto cleanup;
    }
    free(cfg->path);
    cfg->path = path;
    free(cfg->version);
    cfg->version = version_copy;
    ctx.cfg = cfg;

    s_parse_root(&ctx, pl_yaml_doc_root(doc));
    s_check_whole(&ctx, pl_yaml_doc_root(doc));
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
