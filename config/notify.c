/*
 * notify.c: the `notify` section (config/notify.h): its loader, the
 * built-in templates and the snapshot's lifecycle.
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
#include "config/load_util.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_ID 64       /* bytes of a sink id */
#define S_MAX_STRING 4096 /* bytes of a URL, address, user name or password */
#define S_MAX_ENV_NAME 128
#define S_MAX_ADDRESS 254 /* RFC 5321: a forward path */
#define S_MAX_LOCAL_PART 64

#define S_DEFAULT_RETRY_FIRST (10 * PL_USEC_PER_SEC)
#define S_DEFAULT_RETRY_MAX (30 * PL_USEC_PER_MIN)
#define S_DEFAULT_ATTEMPTS 20
#define S_DEFAULT_TIMEOUT (10 * PL_USEC_PER_SEC)
#define S_DEFAULT_CONCURRENCY 4
#define S_DEFAULT_EMAIL_CONCURRENCY 1

const char *const pl_notify_topics[] = {"case.created", "deadline.warning", "deadline.breached",
                                        "case.escalated", NULL};

const char *const pl_notify_fields[] = {
    "case_no", "topic",    "event", "kind",   "category", "severity", "department", "assignee",
    "region",  "deadline", "label", "due_at", "level",    "warning",  "to",         NULL};

/* One line each: they go to group chats, where a short line reads best.
 * A field the payload lacks prints "-" (workers/notify_render.h). A
 * warning's payload names nobody in "to" (sql/functions.sql, pl_fire_due):
 * it is for the assignee, so its text says so rather than print "-". */
static const char *const s_default_templates[PL_NOTIFY_TOPIC_COUNT] = {
    "【新投诉】{{case_no}}（{{category}}）已受理，责任部门：{{department}}，负责人：{{assignee}}",
    "【即将超时】{{case_no}}「{{label}}」将于 {{due_at}} 到期，请负责人 {{assignee}} 及时处理（第{{warning}}次提醒）",
    "【已超时】{{case_no}}「{{label}}」已于 {{due_at}} 超时，请 {{to}} 尽快处理（第{{level}}级）",
    "【已升级】{{case_no}}「{{label}}」超时未处理，已升级至第{{level}}级：{{to}}",
};

static const char *const s_type_names[] = {NULL, "webhook", "wecom", "dingtalk", "feishu", "email"};
#define S_TYPE_LAST PL_SINK_EMAIL

int pl_notify_topic_index(const char *topic)
{
    for (int i = 0; topic && pl_notify_topics[i]; i++) {
        if (strcmp(pl_notify_topics[i], topic) == 0) {
            return i;
        }
    }
    return -1;
}

const char *pl_notify_default_template(int topic)
{
    return topic >= 0 && topic < PL_NOTIFY_TOPIC_COUNT ? s_default_templates[topic] : NULL;
}

const char *pl_sink_type_name(pl_sink_type_t type)
{
    return (int)type >= PL_SINK_WEBHOOK && (int)type <= S_TYPE_LAST ? s_type_names[type] : NULL;
}

/* ---- errors and small parsers ---------------------------------------------------------------- */

typedef struct {
    pl__load_errors_t errors;
} s_ld_t;

#define s_error(ld, node, ...) pl__load_error(&(ld)->errors, (node), PL_ECONFIG, __VA_ARGS__)
#define s_oom(ld, node) pl__load_error(&(ld)->errors, (node), PL_ENOMEM, "out of memory")

/* Joins a NULL-terminated list: "a, b, c". */
static void s_join(const char *const *names, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
    }
}

/* Whether the key node is exactly `name` (a key may hold NUL bytes). */
static bool s_key_is(const pl_yaml_node_t *key, const char *name)
{
    size_t size = strlen(name);
    return pl_yaml_node_scalar_size(key) == size &&
           memcmp(pl_yaml_node_scalar(key), name, size) == 0;
}

/* Whether a node is a mapping, reporting otherwise. Null is "not given". */
static bool s_expect_mapping(s_ld_t *ld, const char *path, const pl_yaml_node_t *node,
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

/* A non-empty string of at most S_MAX_STRING bytes without control
 * characters, or NULL after reporting why not. Any non-null scalar is a
 * string (`from: 5` means "5"), as in config.c. */
static const char *s_expect_string(s_ld_t *ld, const char *path, const pl_yaml_node_t *node)
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
    if (size > S_MAX_STRING) {
        s_error(ld, node, "%s: longer than %d bytes", path, S_MAX_STRING);
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

static bool s_expect_int(s_ld_t *ld, const char *path, const pl_yaml_node_t *node, int64_t min,
                         int64_t max, int *out)
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
static bool s_expect_duration(s_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                              pl_usec_t min, pl_usec_t max, const char *range, pl_usec_t *out)
{
    const char *text = s_expect_string(ld, path, node);
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

static bool s_store(s_ld_t *ld, const pl_yaml_node_t *node, char **dest, const char *value)
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
                s_join(pl_notify_fields, fields, sizeof fields);
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
static void s_parse_templates(s_ld_t *ld, const char *path, const pl_yaml_node_t *node,
                              char *dest[PL_NOTIFY_TOPIC_COUNT],
                              const pl_yaml_node_t *key_nodes[PL_NOTIFY_TOPIC_COUNT])
{
    char desc[64], topics[128];
    if (!s_expect_mapping(ld, path, node,
                          "a mapping of topic to text such as {case.created: \"...\"}")) {
        return;
    }
    s_join(pl_notify_topics, topics, sizeof topics);
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
        if (s_store(ld, value, &dest[topic], pl_yaml_node_scalar(value)) && key_nodes) {
            key_nodes[topic] = key;
        }
    }
}

/* ---- sinks ----------------------------------------------------------------------------------- */

/* Values that may come from the file or from an environment variable. */
enum { S_URL, S_USERNAME, S_PASSWORD, S_SECRET_COUNT };

static const char *const s_secret_names[S_SECRET_COUNT] = {"url", "username", "password"};

typedef struct {
    s_ld_t *ld;
    pl_notify_sink_t *sink;
    const pl_yaml_node_t *node;
    char path[48]; /* "notify.sinks[3]" */
    bool type_known;
    bool set_timeout, set_concurrency, set_recipients;
    size_t to_given; /* addresses written under `to`, valid or not */
    const pl_yaml_node_t *recipients_node;
    const pl_yaml_node_t *value_nodes[S_SECRET_COUNT]; /* url: */
    const pl_yaml_node_t *env_nodes[S_SECRET_COUNT];   /* url_env: */
    const pl_yaml_node_t *template_keys[PL_NOTIFY_TOPIC_COUNT];
} s_sink_ld_t;

typedef struct s_sink_key s_sink_key_t;
typedef void (*s_sink_key_fn)(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value);

struct s_sink_key {
    const char *name;
    s_sink_key_fn parse;
    bool email_only;
    int secret; /* S_URL.. for the secret keys */
};

static void s_sink_skip(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    /* id and type are read before the other keys (s_parse_sink). */
    (void)s;
    (void)key;
    (void)value;
}

static void s_sink_secret_value(s_sink_ld_t *s, const s_sink_key_t *key,
                                const pl_yaml_node_t *value)
{
    s->value_nodes[key->secret] = value;
}

static void s_sink_secret_env(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    s->env_nodes[key->secret] = value;
}

static void s_sink_topics(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char desc[64], topics[128];
    s_join(pl_notify_topics, topics, sizeof topics);
    if (pl_yaml_node_is_null(value)) {
        return; /* every topic */
    }
    bool single = pl_yaml_node_kind(value) == PL_YAML_SCALAR;
    if (!single && pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        s_error(s->ld, value, "%s.%s: expected a list of topics such as [%s], found %s", s->path,
                key->name, topics, pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t n = single ? 1 : pl_yaml_node_count(value);
    if (n == 0) {
        s_error(s->ld, value, "%s.%s: needs at least one topic; leave topics out for every topic",
                s->path, key->name);
        return;
    }
    bool taken[PL_NOTIFY_TOPIC_COUNT] = {false};
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const pl_yaml_node_t *item = single ? value : pl_yaml_node_item(value, i);
        const char *name =
            pl_yaml_node_kind(item) == PL_YAML_SCALAR ? pl_yaml_node_scalar(item) : NULL;
        int topic = name && strlen(name) == pl_yaml_node_scalar_size(item)
                        ? pl_notify_topic_index(name)
                        : -1;
        if (topic < 0) {
            s_error(s->ld, item, "%s.%s: unknown topic %s; expected %s", s->path, key->name,
                    pl_yaml_node_describe(item, desc, sizeof desc), topics);
            ok = false;
        } else if (taken[topic]) {
            s_error(s->ld, item, "%s.%s: %s is listed twice", s->path, key->name, name);
            ok = false;
        } else {
            taken[topic] = true;
        }
    }
    if (ok) {
        memcpy(s->sink->topics, taken, sizeof taken);
    }
}

static void s_sink_timeout(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char path[64];
    snprintf(path, sizeof path, "%s.%s", s->path, key->name);
    if (s_expect_duration(s->ld, path, value, PL_USEC_PER_SEC, 2 * PL_USEC_PER_MIN, "1s..2m",
                          &s->sink->timeout)) {
        s->set_timeout = true;
    }
}

static void s_sink_concurrency(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char path[64];
    snprintf(path, sizeof path, "%s.%s", s->path, key->name);
    if (s_expect_int(s->ld, path, value, 1, 64, &s->sink->concurrency)) {
        s->set_concurrency = true;
    }
}

static void s_sink_templates(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char path[64];
    snprintf(path, sizeof path, "%s.%s", s->path, key->name);
    s_parse_templates(s->ld, path, value, s->sink->templates, s->template_keys);
}

/* Returns NULL if `a` is a plain e-mail address, else why not. Only
 * printable ASCII: the address goes into headers and the SMTP envelope as
 * it is, and <>, quotes and commas there could smuggle in other
 * recipients. */
static const char *s_address_check(const char *a)
{
    const char *at = strchr(a, '@');
    size_t size = strlen(a);
    if (size > S_MAX_ADDRESS) {
        return "is longer than 254 bytes";
    }
    if (!at) {
        return "has no @";
    }
    if (strchr(at + 1, '@')) {
        return "has more than one @";
    }
    for (const char *p = a; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7F || strchr("<>()[],;:\"\\", ch)) {
            return "must be a plain address such as quality@example.com, without a name, "
                   "spaces, quotes, <> or non-ASCII characters";
        }
    }
    const char *domain = at + 1;
    if (at == a || (size_t)(at - a) > S_MAX_LOCAL_PART) {
        return "needs 1 to 64 characters before the @";
    }
    if (!*domain || *domain == '.' || domain[strlen(domain) - 1] == '.' || strstr(domain, "..")) {
        return "needs a domain such as example.com after the @";
    }
    return NULL;
}

static void s_sink_from(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char path[64], desc[64];
    snprintf(path, sizeof path, "%s.%s", s->path, key->name);
    const char *a = s_expect_string(s->ld, path, value);
    if (!a) {
        return;
    }
    const char *why = s_address_check(a);
    if (why) {
        s_error(s->ld, value, "%s: %s is not an e-mail address: it %s", path,
                pl_yaml_node_describe(value, desc, sizeof desc), why);
        return;
    }
    s_store(s->ld, value, &s->sink->from, a);
}

static void s_sink_to(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char desc[64];
    pl_notify_sink_t *sink = s->sink;
    if (pl_yaml_node_is_null(value)) {
        return;
    }
    bool single = pl_yaml_node_kind(value) == PL_YAML_SCALAR;
    if (!single && pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        s_error(s->ld, value,
                "%s.%s: expected a list of e-mail addresses such as [quality@example.com], "
                "found %s",
                s->path, key->name, pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t n = single ? 1 : pl_yaml_node_count(value);
    s->to_given = n;
    if (n > PL_NOTIFY_MAX_TO) {
        s_error(s->ld, value, "%s.%s: at most %d addresses", s->path, key->name, PL_NOTIFY_MAX_TO);
        return;
    }
    if (n == 0) {
        return;
    }
    char **to = calloc(n, sizeof *to);
    if (!to) {
        s_oom(s->ld, value);
        return;
    }
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const pl_yaml_node_t *item = single ? value : pl_yaml_node_item(value, i);
        char path[80];
        snprintf(path, sizeof path, "%s.%s[%zu]", s->path, key->name, i + 1);
        const char *a = s_expect_string(s->ld, path, item);
        if (!a) {
            continue;
        }
        const char *why = s_address_check(a);
        if (why) {
            s_error(s->ld, item, "%s: %s is not an e-mail address: it %s", path,
                    pl_yaml_node_describe(item, desc, sizeof desc), why);
            continue;
        }
        size_t j = 0;
        while (j < count && strcasecmp(to[j], a) != 0) {
            j++;
        }
        if (j < count) {
            s_error(s->ld, item, "%s: %s is listed twice", path,
                    pl_yaml_node_describe(item, desc, sizeof desc));
            continue;
        }
        if (!(to[count] = strdup(a))) {
            s_oom(s->ld, item);
            continue;
        }
        count++;
    }
    /* to_count counts what was stored, so the free is right either way. */
    sink->to = to;
    sink->to_count = count;
}

static void s_sink_starttls(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char desc[64];
    const char *v = pl_yaml_node_kind(value) == PL_YAML_SCALAR ? pl_yaml_node_scalar(value) : NULL;
    if (v && strcmp(v, "required") == 0) {
        s->sink->starttls_optional = false;
    } else if (v && strcmp(v, "optional") == 0) {
        s->sink->starttls_optional = true;
    } else {
        s_error(s->ld, value, "%s.%s: expected required or optional, found %s", s->path,
                key->name, pl_yaml_node_describe(value, desc, sizeof desc));
    }
}

static void s_sink_recipients(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char desc[64];
    if (pl_yaml_node_to_bool(value, &s->sink->recipients) != 0) {
        s_error(s->ld, value, "%s.%s: expected true or false, found %s", s->path, key->name,
                pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    s->set_recipients = true;
    s->recipients_node = value;
}

/* The keys of a sink, in the order they are documented. */
static const s_sink_key_t s_sink_keys[] = {
    {"id", s_sink_skip, false, -1},
    {"type", s_sink_skip, false, -1},
    {"url", s_sink_secret_value, false, S_URL},
    {"url_env", s_sink_secret_env, false, S_URL},
    {"topics", s_sink_topics, false, -1},
    {"timeout", s_sink_timeout, false, -1},
    {"concurrency", s_sink_concurrency, false, -1},
    {"templates", s_sink_templates, false, -1},
    {"from", s_sink_from, true, -1},
    {"to", s_sink_to, true, -1},
    {"recipients", s_sink_recipients, true, -1},
    {"starttls", s_sink_starttls, true, -1},
    {"username", s_sink_secret_value, true, S_USERNAME},
    {"username_env", s_sink_secret_env, true, S_USERNAME},
    {"password", s_sink_secret_value, true, S_PASSWORD},
    {"password_env", s_sink_secret_env, true, S_PASSWORD},
};

#define S_SINK_KEY_COUNT (sizeof s_sink_keys / sizeof s_sink_keys[0])

static void s_sink_key_list(bool with_email, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < S_SINK_KEY_COUNT && used < size; i++) {
        if (with_email || !s_sink_keys[i].email_only) {
            used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                     s_sink_keys[i].name);
        }
    }
}

static bool s_id_is_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > S_MAX_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        bool other = (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
        if (!letter && (i == 0 || !other)) {
            return false;
        }
    }
    return true;
}

static bool s_env_name_is_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > S_MAX_ENV_NAME) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        if (!letter && (i == 0 || !(ch >= '0' && ch <= '9'))) {
            return false;
        }
    }
    return true;
}

/* Returns NULL if `url` suits the sink's type, else why not. */
static const char *s_url_check(pl_sink_type_t type, const char *url, char *why, size_t why_size)
{
    bool email = type == PL_SINK_EMAIL;
    const char *a = email ? "smtp://" : "http://";
    const char *b = email ? "smtps://" : "https://";
    size_t skip = strncasecmp(url, a, strlen(a)) == 0   ? strlen(a)
                  : strncasecmp(url, b, strlen(b)) == 0 ? strlen(b)
                                                        : 0;
    if (skip == 0) {
        snprintf(why, why_size, "must start with %s or %s for %s %s sink", a, b,
                 type == PL_SINK_EMAIL ? "an" : "a", pl_sink_type_name(type));
        return why;
    }
    const char *host = url + skip;
    if (*host == '\0' || strchr("/?#", *host)) {
        snprintf(why, why_size, "has no host after %s", skip == strlen(a) ? a : b);
        return why;
    }
    for (const char *p = url; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch == 0x7F) {
            snprintf(why, why_size, "must not contain spaces or control characters");
            return why;
        }
    }
    if (strlen(url) > S_MAX_STRING) {
        snprintf(why, why_size, "longer than %d bytes", S_MAX_STRING);
        return why;
    }
    return NULL;
}

/* Resolves url / username / password from the file or the environment. */
static void s_sink_resolve_secret(s_sink_ld_t *s, int which, char **dest)
{
    const char *name = s_secret_names[which];
    const pl_yaml_node_t *value = s->value_nodes[which], *env = s->env_nodes[which];
    char path[64], desc[64];
    if (value && env) {
        s_error(s->ld, env, "%s.%s_env: give either %s or %s_env, not both", s->path, name, name,
                name);
        return;
    }
    const char *text = NULL;
    const pl_yaml_node_t *at = value ? value : env;
    if (value) {
        snprintf(path, sizeof path, "%s.%s", s->path, name);
        text = s_expect_string(s->ld, path, value);
    } else if (env) {
        snprintf(path, sizeof path, "%s.%s_env", s->path, name);
        const char *var = s_expect_string(s->ld, path, env);
        if (!var) {
            return;
        }
        if (!s_env_name_is_valid(var)) {
            s_error(s->ld, env,
                    "%s: %s is not an environment variable name (letters, digits and '_', not "
                    "starting with a digit)",
                    path, pl_yaml_node_describe(env, desc, sizeof desc));
            return;
        }
        text = getenv(var);
        if (!text) {
            s_error(s->ld, env, "%s: the environment variable %s is not set", path, var);
            return;
        }
        if (!*text) {
            s_error(s->ld, env, "%s: the environment variable %s is empty", path, var);
            return;
        }
        if (which != S_URL && strlen(text) > S_MAX_STRING) {
            s_error(s->ld, env, "%s: the value of %s is longer than %d bytes", path, var,
                    S_MAX_STRING);
            return;
        }
    }
    if (!text) {
        return;
    }
    if (which == S_URL && s->type_known) {
        char why[128];
        if (s_url_check(s->sink->type, text, why, sizeof why)) {
            if (env) {
                s_error(s->ld, env, "%s: the value of %s %s", path, pl_yaml_node_scalar(env), why);
            } else {
                s_error(s->ld, value, "%s: %s", path, why);
            }
            return;
        }
    }
    s_store(s->ld, at, dest, text);
}

/* Reads `id` and `type` first: the other keys depend on the type, and
 * messages are easier to follow once both are known. */
static void s_sink_id_and_type(s_sink_ld_t *s, const pl_yaml_node_t *list, size_t index,
                               pl_notify_sink_t *sinks)
{
    char desc[64], path[64];
    const pl_yaml_node_t *id_node = pl_yaml_node_get(s->node, "id");
    const char *id = NULL;
    snprintf(path, sizeof path, "%s.id", s->path);
    if (!id_node) {
        s_error(s->ld, s->node, "%s: missing id", s->path);
    } else if ((id = s_expect_string(s->ld, path, id_node)) != NULL) {
        if (!s_id_is_valid(id)) {
            s_error(s->ld, id_node,
                    "%s: %s is not an id (1 to %d letters, digits, '_', '.' or '-', starting "
                    "with a letter or '_')",
                    path, pl_yaml_node_describe(id_node, desc, sizeof desc), S_MAX_ID);
        } else {
            size_t j = 0;
            while (j < index && !(sinks[j].id && strcmp(sinks[j].id, id) == 0)) {
                j++;
            }
            if (j < index) {
                const pl_yaml_node_t *first = pl_yaml_node_get(pl_yaml_node_item(list, j), "id");
                s_error(s->ld, id_node,
                        "%s: duplicate id \"%s\" (first defined at line %d, column %d)", path, id,
                        pl_yaml_node_line(first), pl_yaml_node_column(first));
            } else {
                s_store(s->ld, id_node, &s->sink->id, id);
            }
        }
    }

    const pl_yaml_node_t *type_node = pl_yaml_node_get(s->node, "type");
    snprintf(path, sizeof path, "%s.type", s->path);
    if (!type_node) {
        s_error(s->ld, s->node, "%s: missing type (webhook, wecom, dingtalk, feishu or email)",
                s->path);
        return;
    }
    const char *type = s_expect_string(s->ld, path, type_node);
    if (!type) {
        return;
    }
    for (int t = PL_SINK_WEBHOOK; t <= S_TYPE_LAST; t++) {
        if (strcmp(type, s_type_names[t]) == 0) {
            s->sink->type = (pl_sink_type_t)t;
            s->type_known = true;
            return;
        }
    }
    s_error(s->ld, type_node,
            "%s: unknown type %s; expected webhook, wecom, dingtalk, feishu or email", path,
            pl_yaml_node_describe(type_node, desc, sizeof desc));
}

static void s_parse_sink(s_ld_t *ld, const pl_yaml_node_t *list, size_t index,
                         pl_notify_sink_t *sinks)
{
    char desc[64], keys[512];
    pl_notify_sink_t *sink = &sinks[index];
    s_sink_ld_t s = {.ld = ld, .sink = sink, .node = pl_yaml_node_item(list, index)};
    snprintf(s.path, sizeof s.path, "notify.sinks[%zu]", index + 1);
    if (pl_yaml_node_kind(s.node) != PL_YAML_MAPPING) {
        s_error(ld, s.node, "%s: expected a mapping with an id, a type and a url, found %s", s.path,
                pl_yaml_node_describe(s.node, desc, sizeof desc));
        return;
    }
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        sink->topics[i] = true;
    }
    s_sink_id_and_type(&s, list, index, sinks);
    bool email = sink->type == PL_SINK_EMAIL;

    for (size_t i = 0; i < pl_yaml_node_count(s.node); i++) {
        const pl_yaml_node_t *key = pl_yaml_node_key(s.node, i);
        size_t k = 0;
        while (k < S_SINK_KEY_COUNT && !s_key_is(key, s_sink_keys[k].name)) {
            k++;
        }
        if (k == S_SINK_KEY_COUNT) {
            s_sink_key_list(email || !s.type_known, keys, sizeof keys);
            s_error(ld, key, "%s: unknown key %s; expected %s%s", s.path,
                    pl_yaml_node_describe(key, desc, sizeof desc), keys,
                    email || !s.type_known ? ""
                                           : " (and for email sinks from, to, recipients, "
                                             "starttls, username, password and their _env "
                                             "forms)");
            continue;
        }
        if (s_sink_keys[k].email_only && s.type_known && !email) {
            s_error(ld, key, "%s.%s: only for email sinks; this sink is %s", s.path,
                    s_sink_keys[k].name, pl_sink_type_name(sink->type));
            continue;
        }
        s_sink_keys[k].parse(&s, &s_sink_keys[k], pl_yaml_node_value(s.node, i));
    }

    /* Checks across keys, and the defaults. */
    if (!s.value_nodes[S_URL] && !s.env_nodes[S_URL]) {
        s_error(ld, s.node,
                "%s: missing url (or url_env, the name of an environment variable holding it)",
                s.path);
    }
    s_sink_resolve_secret(&s, S_URL, &sink->url);
    s_sink_resolve_secret(&s, S_USERNAME, &sink->username);
    s_sink_resolve_secret(&s, S_PASSWORD, &sink->password);
    bool has_user = s.value_nodes[S_USERNAME] || s.env_nodes[S_USERNAME];
    bool has_password = s.value_nodes[S_PASSWORD] || s.env_nodes[S_PASSWORD];
    if (has_user != has_password) {
        s_error(ld, s.node, "%s: %s without %s; give both (or their _env forms) or neither", s.path,
                has_user ? "username" : "password", has_user ? "password" : "username");
    }
    for (int t = 0; t < PL_NOTIFY_TOPIC_COUNT; t++) {
        if (s.template_keys[t] && !sink->topics[t]) {
            s_error(ld, s.template_keys[t],
                    "%s.templates: the sink does not take topic %s (see its topics)", s.path,
                    pl_notify_topics[t]);
        }
    }
    if (!s.set_timeout) {
        sink->timeout = S_DEFAULT_TIMEOUT;
    }
    if (!s.set_concurrency) {
        sink->concurrency = email ? S_DEFAULT_EMAIL_CONCURRENCY : S_DEFAULT_CONCURRENCY;
    }
    if (email) {
        if (!s.set_recipients) {
            sink->recipients = true;
        }
        if (!pl_yaml_node_get(s.node, "from")) {
            s_error(ld, s.node, "%s: missing from (the sender's address) for an email sink",
                    s.path);
        }
        if (s.set_recipients && !sink->recipients && s.to_given == 0) {
            s_error(ld, s.recipients_node,
                    "%s.recipients: false, and no address under to: the sink would mail nobody",
                    s.path);
        }
    }
}

static void s_parse_sinks(s_ld_t *ld, pl_notify_config_t *cfg, const pl_yaml_node_t *value)
{
    char desc[64];
    if (pl_yaml_node_is_null(value)) {
        return;
    }
    if (pl_yaml_node_kind(value) != PL_YAML_SEQUENCE) {
        s_error(ld, value, "notify.sinks: expected a list of sinks, each with an id, found %s",
                pl_yaml_node_describe(value, desc, sizeof desc));
        return;
    }
    size_t n = pl_yaml_node_count(value);
    if (n > PL_NOTIFY_MAX_SINKS) {
        s_error(ld, value, "notify.sinks: at most %d sinks", PL_NOTIFY_MAX_SINKS);
        return;
    }
    if (n == 0) {
        return;
    }
    cfg->sinks = calloc(n, sizeof *cfg->sinks);
    if (!cfg->sinks) {
        s_oom(ld, value);
        return;
    }
    cfg->sinks_count = n;
    for (size_t i = 0; i < n; i++) {
        s_parse_sink(ld, value, i, cfg->sinks);
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

static void s_parse_retry(s_ld_t *ld, pl_notify_config_t *cfg, const pl_yaml_node_t *value)
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
        while (k < S_RETRY_KEY_COUNT && !s_key_is(key, s_retry_keys[k].name)) {
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
                    ? s_expect_duration(ld, path, v, s_retry_keys[k].min, s_retry_keys[k].max,
                                        s_retry_keys[k].range, dest)
                    : s_expect_int(ld, path, v, s_retry_keys[k].min, s_retry_keys[k].max, dest);
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

static void s_parse_section_templates(s_ld_t *ld, pl_notify_config_t *cfg,
                                      const pl_yaml_node_t *value)
{
    s_parse_templates(ld, "notify.templates", value, cfg->templates, NULL);
}

typedef void (*s_section_key_fn)(s_ld_t *ld, pl_notify_config_t *cfg, const pl_yaml_node_t *value);

static const struct {
    const char *name;
    s_section_key_fn parse;
} s_section_keys[] = {
    {"retry", s_parse_retry},
    {"templates", s_parse_section_templates},
    {"sinks", s_parse_sinks},
};

#define S_SECTION_KEY_COUNT (sizeof s_section_keys / sizeof s_section_keys[0])

static void s_sink_free(pl_notify_sink_t *sink)
{
    free(sink->id);
    free(sink->url);
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        free(sink->templates[i]);
    }
    free(sink->from);
    for (size_t i = 0; i < sink->to_count; i++) {
        free(sink->to[i]);
    }
    free(sink->to);
    free(sink->username);
    free(sink->password);
}

static void s_config_free(pl_notify_config_t *cfg)
{
    if (!cfg) {
        return;
    }
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        free(cfg->templates[i]);
    }
    for (size_t i = 0; i < cfg->sinks_count; i++) {
        s_sink_free(&cfg->sinks[i]);
    }
    free(cfg->sinks);
    free(cfg);
}

/* The defaults without templates (the loader fills in the missing ones). */
static pl_notify_config_t *s_config_new(void)
{
    pl_notify_config_t *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        return NULL;
    }
    cfg->retry_first = S_DEFAULT_RETRY_FIRST;
    cfg->retry_max = S_DEFAULT_RETRY_MAX;
    cfg->max_attempts = S_DEFAULT_ATTEMPTS;
    cfg->refs = 1;
    return cfg;
}

static bool s_fill_default_templates(pl_notify_config_t *cfg)
{
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        if (!cfg->templates[i] && !(cfg->templates[i] = strdup(s_default_templates[i]))) {
            return false;
        }
    }
    return true;
}

pl_notify_config_t *pl_notify_new_default(void)
{
    pl_notify_config_t *cfg = s_config_new();
    if (cfg && !s_fill_default_templates(cfg)) {
        s_config_free(cfg);
        cfg = NULL;
    }
    return cfg;
}

pl_notify_config_t *pl_notify_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                        pl_notify_report_fn report, void *arg)
{
    char desc[64];
    s_ld_t ld = {.errors = {.doc = doc, .report = report, .arg = arg}};
    const pl_yaml_node_t *node = root && pl_yaml_node_kind(root) == PL_YAML_MAPPING
                                     ? pl_yaml_node_get(root, "notify")
                                     : NULL;
    pl_notify_config_t *cfg = s_config_new();
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
        while (k < S_SECTION_KEY_COUNT && !s_key_is(key, s_section_keys[k].name)) {
            k++;
        }
        if (k == S_SECTION_KEY_COUNT) {
            s_error(&ld, key, "notify: unknown key %s; expected sinks, templates, retry",
                    pl_yaml_node_describe(key, desc, sizeof desc));
            continue;
        }
        s_section_keys[k].parse(&ld, cfg, pl_yaml_node_value(node, i));
    }
    if (!ld.errors.count && !s_fill_default_templates(cfg)) {
        s_oom(&ld, node);
    }
    if (ld.errors.count) {
        s_config_free(cfg);
        cfg = NULL;
    }
    return cfg;
}

/* ---- use ------------------------------------------------------------------------------------- */

const pl_notify_sink_t *pl_notify_sink_get(const pl_notify_config_t *cfg, const char *id)
{
    for (size_t i = 0; cfg && id && i < cfg->sinks_count; i++) {
        if (strcmp(cfg->sinks[i].id, id) == 0) {
            return &cfg->sinks[i];
        }
    }
    return NULL;
}

const char *pl_notify_template(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                               int topic)
{
    if (topic < 0 || topic >= PL_NOTIFY_TOPIC_COUNT) {
        return NULL;
    }
    if (sink && sink->templates[topic]) {
        return sink->templates[topic];
    }
    if (cfg && cfg->templates[topic]) {
        return cfg->templates[topic];
    }
    return s_default_templates[topic];
}

/* `refs` is a plain int in the public struct, so the GCC/Clang __atomic
 * builtins do the work <stdatomic.h> would do on an _Atomic int. The
 * count is the one mutable part of a snapshot. */
const pl_notify_config_t *pl_notify_ref(const pl_notify_config_t *cfg)
{
    if (cfg) {
        __atomic_fetch_add(&((pl_notify_config_t *)cfg)->refs, 1, __ATOMIC_RELAXED);
    }
    return cfg;
}

void pl_notify_unref(const pl_notify_config_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_notify_config_t *cfg = (pl_notify_config_t *)*self_p;
    *self_p = NULL;
    if (__atomic_fetch_sub(&cfg->refs, 1, __ATOMIC_ACQ_REL) == 1) {
        s_config_free(cfg);
    }
}
