/*
 * notify_load.c: the loader of the `notify` section (config/notify.h): the
 * section's keys, `retry`, the templates, and the small parsers it shares
 * with the loader of each sink (notify_sinks.c).
 *
 * A load reads every key from a table (name, parser), straight into a new
 * pl_notify_config_t that starts from the defaults. Checks that involve
 * several keys of a sink (url or url_env, username with password, what an
 * e-mail sink needs) run once all its keys are read. Every error is
 * reported and loading goes on, so that one run shows them all; the
 * section is returned only if there was none.
 *
 * Sink URLs and credentials are secrets (a robot's URL carries its key):
 * no message ever quotes them, only the key that holds them.
 */
#include "config/notify.h"

#include "config/calendar.h"
#include "config/notify_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define s_error(ld, node, ...) pl__load_error(&(ld)->errors, (node), PL_ECONFIG, __VA_ARGS__)
#define s_oom(ld, node) pl__load_error(&(ld)->errors, (node), PL_ENOMEM, "out of memory")

/* ---- errors and small parsers ---------------------------------------------------------------- */

/* Joins a NULL-terminated list: "a, b, c". */
void pl__notify_join(const char *const *names, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
    }
}

/* Whether the key node is exactly `name` (a key may hold NUL bytes). */
bool pl__notify_key_is(const pl_yaml_node_t *key, const char *name)
{
    size_t size = strlen(name);
    return pl_yaml_node_scalar_size(key) == size &&
           memcmp(pl_yaml_node_scalar(key), name, size) == 0;
}

/* Whether a node is a mapping, reporting otherwise. Null is "not given". */
static bool s_expect_mapping(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                             const char *what)
{
    char desc[64];
    if (pl_yaml_node_kind(node) == PL_YAML_MAPPING) {
        return true;
    }
    if (!pl_yaml_node_is_null(node)) {
        s_error(ld, node, "%s: expected %s, found %s", path, what,
                pl_yaml_node_describe(node, desc, sizeof desc));
    }
    return false;
}

/* A non-empty string of at most PL__NOTIFY_MAX_STRING bytes without control
 * characters, or NULL after reporting why not. Any non-null scalar is a
 * string (`from: 5` means "5"), as in config_settings.c. */
const char *pl__notify_expect_string(pl__notify_ld_t *ld, const char *path,
                                     const pl_yaml_node_t *node)
{
    char desc[64];
    if (pl_yaml_node_kind(node) != PL_YAML_SCALAR || pl_yaml_node_is_null(node)) {
        s_error(ld, node, "%s: expected a string, found %s", path,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return NULL;
    }
    const char *value = pl_yaml_node_scalar(node);
    size_t size = pl_yaml_node_scalar_size(node);
    if (strlen(value) != size) {
        s_error(ld, node, "%s: must not contain NUL characters", path);
        return NULL;
    }
    if (size == 0) {
        s_error(ld, node, "%s: must not be empty", path);
        return NULL;
    }
    if (size > PL__NOTIFY_MAX_STRING) {
        s_error(ld, node, "%s: longer than %d bytes", path, PL__NOTIFY_MAX_STRING);
        return NULL;
    }
    for (size_t i = 0; i < size; i++) {
        unsigned char ch = (unsigned char)value[i];
        if (ch < 0x20 || ch == 0x7F) {
            s_error(ld, node, "%s: must not contain control characters", path);
            return NULL;
        }
    }
    return value;
}

bool pl__notify_expect_int(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                           int64_t min, int64_t max, int *out)
{
    char desc[64];
    int64_t value;
    if (pl_yaml_node_to_int64(node, &value) != 0) {
        const char *what = pl_yaml_node_kind(node) == PL_YAML_SCALAR && !pl_yaml_node_is_plain(node)
                               ? "the string "
                               : "";
        s_error(ld, node, "%s: expected an integer, found %s%s", path, what,
                pl_yaml_node_describe(node, desc, sizeof desc));
        return false;
    }
    if (value < min || value > max) {
        s_error(ld, node, "%s: %.40s is out of range %lld..%lld", path, pl_yaml_node_scalar(node),
                (long long)min, (long long)max);
        return false;
    }
    *out = (int)value;
    return true;
}

/* A real duration ("10s", "1m30s") within min..max; `range` is how the
 * messages write the range ("1s..2m"). pl_duration_parse's own message is
 * not passed on: it suggests business hours and working days, which these
 * keys refuse. */
bool pl__notify_expect_duration(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                                pl_usec_t min, pl_usec_t max, const char *range, pl_usec_t *out)
{
    const char *text = pl__notify_expect_string(ld, path, node);
    if (!text) {
        return false;
    }
    pl_duration_t d;
    if (pl_duration_parse(text, &d, NULL) != 0) {
        s_error(ld, node,
                "%s: \"%.60s\" is not a duration; write elapsed time in %s such as 10s, 1m30s "
                "or 1h (units d, h, m, s in that order)",
                path, text, range);
        return false;
    }
    if (d.kind != PL_DURATION_REAL) {
        s_error(ld, node,
                "%s: \"%.60s\" is not real time; write elapsed time such as 10s, 5m or 1h", path,
                text);
        return false;
    }
    if (d.amount < min || d.amount > max) {
        s_error(ld, node, "%s: %.60s is out of range %s", path, text, range);
        return false;
    }
    *out = d.amount;
    return true;
}

bool pl__notify_store(pl__notify_ld_t *ld, const pl_yaml_node_t *node, char **dest,
                      const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        s_oom(ld, node);
        return false;
    }
    free(*dest);
    *dest = copy;
    return true;
}

/* ---- templates ------------------------------------------------------------------------------- */

/* The length of the UTF-8 sequence at s (at most `left` bytes), or 0 if it
 * is not a valid one (overlong forms, surrogates and code points above
 * U+10FFFF are not). */
static size_t s_utf8_sequence(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

static int s_field_index(const char *name, size_t size)
{
    for (int i = 0; pl_notify_fields[i]; i++) {
        if (strlen(pl_notify_fields[i]) == size && memcmp(pl_notify_fields[i], name, size) == 0) {
            return i;
        }
    }
    return -1;
}

/* At most `max` bytes of s, cut back to a character boundary. */
static int s_utf8_prefix(const char *s, size_t size, size_t max)
{
    if (size <= max) {
        return (int)size;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) {
        max--;
    }
    return (int)max;
}

/*
 * Checks the text of a template: valid UTF-8 without NUL bytes or control
 * characters other than tab and line breaks, at most PL_NOTIFY_MAX_TEMPLATE
 * bytes, and every {{name}} (spaces or tabs inside the braces allowed) a
 * field of pl_notify_fields. Returns NULL if it is fine, else why not, in
 * `why`. Positions are counted in characters from 1, as a person counts
 * them in Chinese text.
 */
static const char *s_template_check(const char *text, size_t size, char *why, size_t why_size)
{
    if (strlen(text) != size) {
        snprintf(why, why_size, "must not contain NUL characters");
        return why;
    }
    if (size == 0) {
        snprintf(why, why_size, "must not be empty");
        return why;
    }
    if (size > PL_NOTIFY_MAX_TEMPLATE) {
        snprintf(why, why_size, "longer than %d bytes", PL_NOTIFY_MAX_TEMPLATE);
        return why;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t chars = 0;
    for (size_t i = 0; i < size;) {
        size_t n = s_utf8_sequence(s + i, size - i);
        chars++;
        if (n == 0) {
            snprintf(why, why_size, "is not valid UTF-8 (byte 0x%02X at character %zu)", s[i],
                     chars);
            return why;
        }
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7F) {
            snprintf(why, why_size,
                     "control character 0x%02X at character %zu; only tabs and line breaks "
                     "are allowed",
                     s[i], chars);
            return why;
        }
        if (s[i] == '{' && i + 1 < size && s[i + 1] == '{') {
            const char *open = text + i;
            const char *close = strstr(open + 2, "}}");
            if (!close) {
                snprintf(why, why_size,
                         "\"{{\" at character %zu is never closed; write {{field}}, e.g. "
                         "{{case_no}}",
                         chars);
                return why;
            }
            const char *name = open + 2;
            const char *end = close;
            while (name < end && (*name == ' ' || *name == '\t')) {
                name++;
            }
            while (end > name && (end[-1] == ' ' || end[-1] == '\t')) {
                end--;
            }
            size_t name_size = (size_t)(end - name);
            if (name_size == 0) {
                snprintf(why, why_size, "\"{{}}\" at character %zu names no field", chars);
                return why;
            }
            if (s_field_index(name, name_size) < 0) {
                char fields[256];
                pl__notify_join(pl_notify_fields, fields, sizeof fields);
                snprintf(why, why_size, "unknown field {{%.*s}} at character %zu; expected %s",
                         s_utf8_prefix(name, name_size, 40), name, chars, fields);
                return why;
            }
            /* Skip to after "}}", counting the characters passed over. */
            size_t stop = (size_t)(close + 2 - text);
            for (i++; i < stop; i++) {
                if ((s[i] & 0xC0) != 0x80) {
                    chars++;
                }
            }
            continue;
        }
        i += n;
    }
    return NULL;
}

/* Reads a mapping of topic to template text into dest[] (owned strings);
 * key_nodes[i] receives the key of each topic given. */
void pl__notify_parse_templates(pl__notify_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                                char *dest[PL_NOTIFY_TOPIC_COUNT],
                                const pl_yaml_node_t *key_nodes[PL_NOTIFY_TOPIC_COUNT])
{
    char desc[64], topics[128];
    if (!s_expect_mapping(ld, path, node,
                          "a mapping of topic to text such as {case.created: \"...\"}")) {
        return;
    }
    pl__notify_join(pl_notify_topics, topics, sizeof topics);
    for (size_t i = 0; i < pl_yaml_node_count(node); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(node, i);
        const pl_yaml_node_t *value = pl_yaml_node_value(node, i);
        const char *name = pl_yaml_node_scalar(key);
        int topic =
            strlen(name) == pl_yaml_node_scalar_size(key) ? pl_notify_topic_index(name) : -1;
        if (topic < 0) {
            s_error(ld, key, "%s: unknown topic %s; expected %s", path,
                    pl_yaml_node_describe(key, desc, sizeof desc), topics);
            continue;
        }
        char item_path[128];
        snprintf(item_path, sizeof item_path, "%s.%s", path, name);
        if (pl_yaml_node_kind(value) != PL_YAML_SCALAR || pl_yaml_node_is_null(value)) {
            s_error(ld, value, "%s: expected a string, found %s", item_path,
                    pl_yaml_node_describe(value, desc, sizeof desc));
            continue;
        }
        char why[512];
        if (s_template_check(pl_yaml_node_scalar(value), pl_yaml_node_scalar_size(value), why,
                             sizeof why)) {
            s_error(ld, value, "%s: %s", item_path, why);
            continue;
        }
        if (pl__notify_store(ld, value, &dest[topic], pl_yaml_node_scalar(value)) && key_nodes) {
            key_nodes[topic] = key;
        }
    }
}

/* ---- the section ----------------------------------------------------------------------------- */

/* The keys of `retry`: a duration (range in microseconds) or an integer. */
static const struct {
    const char *name;
    bool duration;
    int64_t min, max;
    const char *range; /* for messages */
    size_t offset;     /* in pl_notify_config_t */
} s_retry_keys[] = {
    {"first", true, PL_USEC_PER_SEC, PL_USEC_PER_HOUR, "1s..1h",
     offsetof(pl_notify_config_t, retry_first)},
    {"max", true, PL_USEC_PER_SEC, 24 * PL_USEC_PER_HOUR, "1s..24h",
     offsetof(pl_notify_config_t, retry_max)},
    {"attempts", false, 1, 1000, "1..1000", offsetof(pl_notify_config_t, max_attempts)},
};

#define S_RETRY_KEY_COUNT (sizeof s_retry_keys / sizeof s_retry_keys[0])

static void s_parse_retry(pl__notify_ld_t *ld, pl_notify_config_t *cfg, const pl_yaml_node_t *value)
{
    char desc[64], path[64];
    if (!s_expect_mapping(ld, "notify.retry", value,
                          "a mapping such as {first: 10s, max: 30m, attempts: 20}")) {
        return;
    }
    const pl_yaml_node_t *nodes[S_RETRY_KEY_COUNT] = {NULL};
    bool ok[S_RETRY_KEY_COUNT] = {false};
    for (size_t i = 0; i < pl_yaml_node_count(value); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(value, i);
        const pl_yaml_node_t *v = pl_yaml_node_value(value, i);
        size_t k = 0;
        while (k < S_RETRY_KEY_COUNT && !pl__notify_key_is(key, s_retry_keys[k].name)) {
            k++;
        }
        if (k == S_RETRY_KEY_COUNT) {
            s_error(ld, key, "notify.retry: unknown key %s; expected first, max, attempts",
                    pl_yaml_node_describe(key, desc, sizeof desc));
            continue;
        }
        snprintf(path, sizeof path, "notify.retry.%s", s_retry_keys[k].name);
        void *dest = (char *)cfg + s_retry_keys[k].offset;
        nodes[k] = v;
        ok[k] = s_retry_keys[k].duration
                    ? pl__notify_expect_duration(ld, path, v, s_retry_keys[k].min,
                                                 s_retry_keys[k].max, s_retry_keys[k].range, dest)
                    : pl__notify_expect_int(ld, path, v, s_retry_keys[k].min, s_retry_keys[k].max,
                                            dest);
    }
    /* first and max: only when both are valid (or the default). */
    const pl_yaml_node_t *first = nodes[0], *max = nodes[1];
    if ((!first || ok[0]) && (!max || ok[1]) && cfg->retry_max < cfg->retry_first) {
        if (max) {
            s_error(ld, max, "notify.retry.max: %.60s is less than retry.first (%.60s)",
                    pl_yaml_node_scalar(max),
                    first ? pl_yaml_node_scalar(first) : "10s, the default");
        } else {
            s_error(ld, first,
                    "notify.retry.first: %.60s is more than retry.max (30m, the default); raise "
                    "retry.max too",
                    pl_yaml_node_scalar(first));
        }
    }
}

static void s_parse_section_templates(pl__notify_ld_t *ld, pl_notify_config_t *cfg,
                                      const pl_yaml_node_t *value)
{
    pl__notify_parse_templates(ld, "notify.templates", value, cfg->templates, NULL);
}

typedef void (*s_section_key_fn)(pl__notify_ld_t *ld, pl_notify_config_t *cfg,
                                 const pl_yaml_node_t *value);

static const struct {
    const char *name;
    s_section_key_fn parse;
} s_section_keys[] = {
    {"retry", s_parse_retry},
    {"templates", s_parse_section_templates},
    {"sinks", pl__notify_parse_sinks},
};

#define S_SECTION_KEY_COUNT (sizeof s_section_keys / sizeof s_section_keys[0])

pl_notify_config_t *pl_notify_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                        pl_notify_report_fn report, void *arg)
{
    char desc[64];
    pl__notify_ld_t ld = {.errors = {.doc = doc, .report = report, .arg = arg}};
    const pl_yaml_node_t *node = root && pl_yaml_node_kind(root) == PL_YAML_MAPPING
                                     ? pl_yaml_node_get(root, "notify")
                                     : NULL;
    pl_notify_config_t *cfg = pl__notify_new();
    if (!cfg) {
        s_oom(&ld, node);
        return NULL;
    }
    if (node && !s_expect_mapping(&ld, "notify", node,
                                  "a mapping with sinks, and optionally templates and retry")) {
        node = NULL; /* null: the defaults; anything else has been reported */
    }
    for (size_t i = 0; node && i < pl_yaml_node_count(node); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(node, i);
        size_t k = 0;
        while (k < S_SECTION_KEY_COUNT && !pl__notify_key_is(key, s_section_keys[k].name)) {
            k++;
        }
        if (k == S_SECTION_KEY_COUNT) {
            s_error(&ld, key, "notify: unknown key %s; expected sinks, templates, retry",
                    pl_yaml_node_describe(key, desc, sizeof desc));
            continue;
        }
        s_section_keys[k].parse(&ld, cfg, pl_yaml_node_value(node, i));
    }
    if (!ld.errors.count && !pl__notify_fill_templates(cfg)) {
        s_oom(&ld, node);
    }
    if (ld.errors.count) {
        pl__notify_free(cfg);
        cfg = NULL;
    }
    return cfg;
}
