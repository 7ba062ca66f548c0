/*
 * config_settings.c: the settings sections of the configuration file
 * (`database`, `listen`, `intake`, `store`, `log`; config/config.h): a
 * parser for each kind of value, a table of keys for each section, and the
 * table of every top-level section.
 *
 * Every top-level section has an entry in s_sections with the function that
 * parses its value. Sections that are mappings of settings use
 * s_parse_table with a table of keys (name, parser, destination offset,
 * range). Adding a section is adding a table entry and, if its shape is not
 * a flat mapping (a list of categories, say), a parser function. Parsers
 * report through pl__config_error (config.c), which records the error and
 * lets loading go on.
 */
#include "config/config_internal.h"

#include "common/pl_log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    S_MAX_STRING = 4096,    /* longest string setting, in bytes */
    S_MAX_CASE_NUMBER = 64, /* longest intake.case_number */
    S_MAX_KINDS = 64,
    S_MAX_KIND_LENGTH = 32,
    S_MAX_TIMEZONE = 64,
};

typedef struct s_key s_key_t;
typedef void (*s_key_fn)(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
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
typedef void (*s_section_fn)(pl__config_ctx_t *ctx, const s_section_t *section,
                             const pl_yaml_node_t *node);

struct s_section {
    const char *name;
    s_section_fn parse;
    const s_key_t *keys; /* for s_parse_table; ends with a NULL name */
};

/* ---- value parsers -------------------------------------------------------------------------- */

/* Returns the string value of a scalar setting, or NULL after recording why
 * it is not one. Any non-null scalar is a string: `url: 5` means "5". */
static const char *s_expect_string(pl__config_ctx_t *ctx, const char *path,
                                   const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SCALAR || pl_yaml_node_is_null(node)) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: expected a string, found %s", path,
                         pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    const char *value = pl_yaml_node_scalar(node);
    size_t size = pl_yaml_node_scalar_size(node);
    if (strlen(value) != size) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: must not contain NUL characters", path);
        return NULL;
    }
    if (size == 0) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: must not be empty", path);
        return NULL;
    }
    if (size > S_MAX_STRING) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: longer than %d bytes", path, S_MAX_STRING);
        return NULL;
    }
    for (size_t i = 0; i < size; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (ch < 0x20 || ch == 0x7F) {
            pl__config_error(ctx, node, PL_ECONFIG, "%s: must not contain control characters",
                             path);
            return NULL;
        }
    }
    return value;
}

static bool s_store_string(pl__config_ctx_t *ctx, const pl_yaml_node_t *node, char **dest,
                           const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        pl__config_error(ctx, node, PL_ENOMEM, "out of memory");
        return false;
    }
    free(*dest);
    *dest = copy;
    return true;
}

static void s_parse_string(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
                           const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    const char *value = s_expect_string(ctx, path, node);
    if (value) {
        s_store_string(ctx, node, dest, value);
    }
}

/* Returns whether the node holds an integer within the key's range. */
static bool s_expect_int(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
                         const pl_yaml_node_t *node, int64_t *out)
{
    char desc[64];
    int64_t value;
    if (pl_yaml_node_to_int64(node, &value) != 0) {
        const char *what = pl_yaml_node_kind(node) == PL_YAML_SCALAR && !pl_yaml_node_is_plain(node)
                               ? "the string "
                               : "";
        pl__config_error(ctx, node, PL_ECONFIG, "%s: expected an integer, found %s%s", path, what,
                         pl_yaml_node_describe(node, desc, sizeof desc));
        return false;
    }
    if (value < key->min || value > key->max) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: %.40s is out of range %lld..%lld", path,
                         pl_yaml_node_scalar(node), (long long)key->min, (long long)key->max);
        return false;
    }
    *out = value;
    return true;
}

static void s_parse_int(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
                        const pl_yaml_node_t *node, void *dest)
{
    int64_t value;
    if (s_expect_int(ctx, key, path, node, &value)) {
        *(int *)dest = (int)value;
    }
}

static void s_parse_size(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
                         const pl_yaml_node_t *node, void *dest)
{
    int64_t value;
    if (s_expect_int(ctx, key, path, node, &value)) {
        *(size_t *)dest = (size_t)value;
    }
}

static void s_parse_endpoint(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
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
    pl__config_error(ctx, node, PL_ECONFIG,
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

static void s_parse_case_number(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
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
        pl__config_error(ctx, node, PL_ECONFIG, "%s: %s", path, why);
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

static void s_parse_timezone(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
                             const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    const char *value = s_expect_string(ctx, path, node);
    if (!value) {
        return;
    }
    char desc[64];
    if (!s_timezone_looks_valid(value)) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: %s is not an IANA time zone name such as %s",
                         path, pl_yaml_node_describe(node, desc, sizeof desc),
                         PL__CONFIG_DEFAULT_TIMEZONE);
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
            pl__config_error(ctx, node, PL_ECONFIG, "%s: unknown time zone %s (not found in %s)",
                             path, pl_yaml_node_describe(node, desc, sizeof desc), dir);
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

void pl__config_free_strings(char **list)
{
    if (list) {
        for (char **p = list; *p; p++) {
            free(*p);
        }
        free(list);
    }
}

static void s_parse_kinds(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
                          const pl_yaml_node_t *node, void *dest)
{
    (void)key;
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SEQUENCE) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: expected a sequence of kinds, found %s", path,
                         pl_yaml_node_describe(node, desc, sizeof desc));
        return;
    }
    size_t count = pl_yaml_node_count(node);
    if (count == 0) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: must list at least one kind", path);
        return;
    }
    if (count > S_MAX_KINDS) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: more than %d kinds", path, S_MAX_KINDS);
        return;
    }
    char **kinds = calloc(count + 1, sizeof *kinds);
    if (!kinds) {
        pl__config_error(ctx, node, PL_ENOMEM, "out of memory");
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < count; i++) {
        const pl_yaml_node_t *item = pl_yaml_node_item(node, i);
        const char *name = pl_yaml_node_scalar(item);
        if (!name || pl_yaml_node_is_null(item) ||
            !s_is_identifier(name, pl_yaml_node_scalar_size(item))) {
            pl__config_error(
                ctx, item, PL_ECONFIG,
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
            pl__config_error(ctx, item, PL_ECONFIG, "%s: duplicate kind \"%s\"", path, name);
            ok = false;
        } else if (!(kinds[i] = strdup(name))) {
            pl__config_error(ctx, item, PL_ENOMEM, "out of memory");
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
    pl__config_free_strings(*(char ***)dest);
    *(char ***)dest = kinds;
    ctx->cfg->kinds_count = count;
}

static void s_parse_log_level(pl__config_ctx_t *ctx, const s_key_t *key, const char *path,
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
        pl__config_error(ctx, node, PL_ECONFIG,
                         "%s: unknown level %s; expected error, warn, info or debug", path,
                         pl_yaml_node_describe(node, desc, sizeof desc));
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
static void s_parse_table(pl__config_ctx_t *ctx, const s_section_t *section,
                          const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_is_null(node)) {
        return;
    }
    if (pl_yaml_node_kind(node) != PL_YAML_MAPPING) {
        pl__config_error(ctx, node, PL_ECONFIG, "%s: expected a mapping, found %s", section->name,
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
            pl__config_error(ctx, name, PL_ECONFIG, "unknown key %s in %s; expected %s",
                             pl_yaml_node_describe(name, desc, sizeof desc), section->name,
                             expected);
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
static void s_parse_rules_section(pl__config_ctx_t *ctx, const s_section_t *section,
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

static void s_parse_root(pl__config_ctx_t *ctx, const pl_yaml_node_t *root)
{
    char desc[64];
    if (!root || pl_yaml_node_is_null(root)) {
        return;
    }
    if (pl_yaml_node_kind(root) != PL_YAML_MAPPING) {
        pl__config_error(ctx, root, PL_ECONFIG, "expected a mapping of sections, found %s",
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
            pl__config_error(ctx, name, PL_ECONFIG, "unknown section %s; expected %s",
                             pl_yaml_node_describe(name, desc, sizeof desc), expected);
            continue;
        }
        s_sections[s].parse(ctx, &s_sections[s], pl_yaml_node_value(root, i));
    }
}

/* Checks that involve more than one key, once every key has been read. */
static void s_check_whole(pl__config_ctx_t *ctx, const pl_yaml_node_t *root)
{
    pl_config_t *cfg = ctx->cfg;
    if (strcmp(cfg->listen_ingest, cfg->listen_publish) == 0) {
        const pl_yaml_node_t *listen = root ? pl_yaml_node_get(root, "listen") : NULL;
        const pl_yaml_node_t *at = listen ? pl_yaml_node_get(listen, "publish") : NULL;
        pl__config_error(ctx, at ? at : listen, PL_ECONFIG,
                         "listen.publish: must differ from listen.ingest (both are \"%s\")",
                         cfg->listen_publish);
    }
}

void pl__config_read_settings(pl__config_ctx_t *ctx, const pl_yaml_node_t *root)
{
    s_parse_root(ctx, root);
    s_check_whole(ctx, root);
}
