/*
 * notify_sinks.c: one entry of `notify.sinks` (config/notify.h), for the
 * section's loader (notify_load.c). `id` and `type` are read first; the
 * other keys come from a table (name, parser, whether only e-mail sinks
 * take it); the checks that involve several keys, and the defaults, follow.
 * A sink's URL and credentials are secrets: no message quotes them, only
 * the key that holds them.
 */
#include "config/notify.h"

#include "config/notify_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_ID 64 /* bytes of a sink id */
#define S_MAX_ENV_NAME 128
#define S_MAX_ADDRESS 254 /* RFC 5321: a forward path */
#define S_MAX_LOCAL_PART 64

#define S_DEFAULT_TIMEOUT (10 * PL_USEC_PER_SEC)
#define S_DEFAULT_CONCURRENCY 4
#define S_DEFAULT_EMAIL_CONCURRENCY 1

#define s_error(ld, node, ...) pl__load_error(&(ld)->errors, (node), PL_ECONFIG, __VA_ARGS__)
#define s_oom(ld, node) pl__load_error(&(ld)->errors, (node), PL_ENOMEM, "out of memory")

/* ---- sinks ----------------------------------------------------------------------------------- */

/* Values that may come from the file or from an environment variable. */
enum { S_URL, S_USERNAME, S_PASSWORD, S_SECRET_COUNT };

static const char *const s_secret_names[S_SECRET_COUNT] = {"url", "username", "password"};

typedef struct {
    pl__notify_ld_t *ld;
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
    pl__notify_join(pl_notify_topics, topics, sizeof topics);
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
    if (pl__notify_expect_duration(s->ld, path, value, PL_USEC_PER_SEC, 2 * PL_USEC_PER_MIN,
                                   "1s..2m", &s->sink->timeout)) {
        s->set_timeout = true;
    }
}

static void s_sink_concurrency(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char path[64];
    snprintf(path, sizeof path, "%s.%s", s->path, key->name);
    if (pl__notify_expect_int(s->ld, path, value, 1, 64, &s->sink->concurrency)) {
        s->set_concurrency = true;
    }
}

static void s_sink_templates(s_sink_ld_t *s, const s_sink_key_t *key, const pl_yaml_node_t *value)
{
    char path[64];
    snprintf(path, sizeof path, "%s.%s", s->path, key->name);
    pl__notify_parse_templates(s->ld, path, value, s->sink->templates, s->template_keys);
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
    const char *a = pl__notify_expect_string(s->ld, path, value);
    if (!a) {
        return;
    }
    const char *why = s_address_check(a);
    if (why) {
        s_error(s->ld, value, "%s: %s is not an e-mail address: it %s", path,
                pl_yaml_node_describe(value, desc, sizeof desc), why);
        return;
    }
    pl__notify_store(s->ld, value, &s->sink->from, a);
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
        const char *a = pl__notify_expect_string(s->ld, path, item);
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
    if (strlen(url) > PL__NOTIFY_MAX_STRING) {
        snprintf(why, why_size, "longer than %d bytes", PL__NOTIFY_MAX_STRING);
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
        text = pl__notify_expect_string(s->ld, path, value);
    } else if (env) {
        snprintf(path, sizeof path, "%s.%s_env", s->path, name);
        const char *var = pl__notify_expect_string(s->ld, path, env);
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
        if (which != S_URL && strlen(text) > PL__NOTIFY_MAX_STRING) {
            s_error(s->ld, env, "%s: the value of %s is longer than %d bytes", path, var,
                    PL__NOTIFY_MAX_STRING);
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
    pl__notify_store(s->ld, at, dest, text);
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
    } else if ((id = pl__notify_expect_string(s->ld, path, id_node)) != NULL) {
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
                pl__notify_store(s->ld, id_node, &s->sink->id, id);
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
    const char *type = pl__notify_expect_string(s->ld, path, type_node);
    if (!type) {
        return;
    }
    for (int t = PL_SINK_WEBHOOK; t <= PL__NOTIFY_SINK_TYPE_LAST; t++) {
        if (strcmp(type, pl_sink_type_name((pl_sink_type_t)t)) == 0) {
            s->sink->type = (pl_sink_type_t)t;
            s->type_known = true;
            return;
        }
    }
    s_error(s->ld, type_node,
            "%s: unknown type %s; expected webhook, wecom, dingtalk, feishu or email", path,
            pl_yaml_node_describe(type_node, desc, sizeof desc));
}

static void s_parse_sink(pl__notify_ld_t *ld, const pl_yaml_node_t *list, size_t index,
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
        while (k < S_SINK_KEY_COUNT && !pl__notify_key_is(key, s_sink_keys[k].name)) {
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

void pl__notify_parse_sinks(pl__notify_ld_t *ld, pl_notify_config_t *cfg,
                            const pl_yaml_node_t *value)
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
