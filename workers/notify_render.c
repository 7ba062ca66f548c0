/*
 * notify_render.c: what the notifier sends (workers/notify_render.h):
 * recipients from the rules' directory (config/people.h), the text from the
 * template, the body of each kind of sink, the reading of a sink's answer
 * and the back-off. Pure functions: no I/O, no clock, no logging. The
 * e-mail message is notify_mail.c's.
 */
#include "workers/notify_render.h"

#include "common/pl_buf.h"
#include "config/deadlines.h"
#include "config/people.h"
#include "workers/notify_render_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recipients --------------------------------------------------------------------------- */

typedef struct {
    const pl_rules_t *rules;
    pl_recipients_t *out;
    size_t cap;
    uint8_t *seen; /* per person index: already in out */
    long assignee; /* person index, or -1 */
    const char *region;
    bool failed;
} s_rcpt_t;

static void s_rcpt_add(s_rcpt_t *s, size_t index)
{
    if (s->failed || s->seen[index]) {
        return;
    }
    pl_person_info_t info;
    if (pl_rules_person_at(s->rules, index, &info) != 0 || !info.id) {
        return;
    }
    if (s->out->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        pl_recipient_t *items = realloc(s->out->items, cap * sizeof *items);
        if (!items) {
            s->failed = true;
            return;
        }
        s->out->items = items;
        s->cap = cap;
    }
    s->out->items[s->out->count++] = (pl_recipient_t){
        .id = info.id,
        .name = info.name,
        .email = info.email,
        .phone = info.phone,
        .wecom = info.wecom,
        .dingtalk = info.dingtalk,
    };
    s->seen[index] = 1;
}

static bool s_region_is(const pl_rules_t *rules, size_t index, const char *region)
{
    pl_person_info_t info;
    return pl_rules_person_at(rules, index, &info) == 0 && info.region &&
           strcmp(info.region, region) == 0;
}

static void s_rcpt_role(s_rcpt_t *s, const char *role)
{
    size_t count = pl_rules_people_count(s->rules);
    if (s->assignee >= 0 && pl_rules_person_has_role(s->rules, (size_t)s->assignee, role)) {
        s_rcpt_add(s, (size_t)s->assignee);
        return;
    }
    bool narrow = false;
    if (s->region) {
        for (size_t i = 0; i < count && !narrow; i++) {
            narrow =
                pl_rules_person_has_role(s->rules, i, role) && s_region_is(s->rules, i, s->region);
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (pl_rules_person_has_role(s->rules, i, role) &&
            (!narrow || s_region_is(s->rules, i, s->region))) {
            s_rcpt_add(s, i);
        }
    }
}

static void s_rcpt_department(s_rcpt_t *s, const char *dept)
{
    size_t count = pl_rules_people_count(s->rules);
    for (size_t i = 0; i < count; i++) {
        pl_person_info_t info;
        if (pl_rules_person_at(s->rules, i, &info) == 0 && info.department &&
            strcmp(info.department, dept) == 0) {
            s_rcpt_add(s, i);
        }
    }
}

static void s_rcpt_id(s_rcpt_t *s, const char *id)
{
    if (!id) {
        return;
    }
    switch (pl_rules_directory_kind(s->rules, id)) {
    case PL_DIRECTORY_PERSON:
        s_rcpt_add(s, (size_t)pl_rules_person_find(s->rules, id));
        break;
    case PL_DIRECTORY_ROLE:
        s_rcpt_role(s, id);
        break;
    case PL_DIRECTORY_DEPARTMENT:
        s_rcpt_department(s, id);
        break;
    case PL_DIRECTORY_NONE:
        break; /* unknown ids are skipped: the directory may have changed */
    }
}

/* An id list as the outbox writes it: an array of ids; a lone string is
 * taken as a list of one (`inform` may be written either way). */
static void s_rcpt_list(s_rcpt_t *s, const json_t *list)
{
    if (json_is_string(list)) {
        s_rcpt_id(s, json_string_value(list));
        return;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item)
    {
        s_rcpt_id(s, json_string_value(item));
    }
}

static const char *s_payload_string(const json_t *payload, const char *key)
{
    const char *s = json_string_value(json_object_get(payload, key));
    return s && *s ? s : NULL;
}

int pl_notify_recipients(const pl_rules_t *rules, const json_t *payload, pl_recipients_t *out)
{
    *out = (pl_recipients_t){0};
    size_t people = pl_rules_people_count(rules);
    if (people == 0 || !json_is_object(payload)) {
        return 0;
    }
    s_rcpt_t s = {.rules = rules, .out = out, .assignee = -1};
    s.seen = calloc(people, 1);
    if (!s.seen) {
        return PL_ENOMEM;
    }
    const char *assignee = s_payload_string(payload, "assignee");
    s.assignee = pl_rules_person_find(rules, assignee);
    s.region = s_payload_string(payload, "region");
    const json_t *to = json_object_get(payload, "to");
    if (to && !json_is_null(to)) {
        s_rcpt_list(&s, to);
    } else {
        s_rcpt_list(&s, json_object_get(payload, "inform"));
        if (s.assignee >= 0) {
            s_rcpt_add(&s, (size_t)s.assignee);
        }
    }
    free(s.seen);
    if (s.failed) {
        pl_recipients_clear(out);
        return PL_ENOMEM;
    }
    return 0;
}

void pl_recipients_clear(pl_recipients_t *r)
{
    if (r) {
        free(r->items);
        *r = (pl_recipients_t){0};
    }
}

/* ---- text --------------------------------------------------------------------------------- */

static const struct {
    const char *topic;
    const char *words;
} s_event_words[] = {
    {"case.created", "新投诉"},
    {"deadline.warning", "即将超时"},
    {"deadline.breached", "已超时"},
    {"case.escalated", "已升级"},
};

static const char *s_topic_words(const char *topic)
{
    for (size_t i = 0; i < sizeof s_event_words / sizeof s_event_words[0]; i++) {
        if (strcmp(s_event_words[i].topic, topic) == 0) {
            return s_event_words[i].words;
        }
    }
    return topic;
}

int64_t pl__notify_render_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Writes local seconds as "YYYY-MM-DD HH:MM". */
static void s_add_local_minute(pl_buf_t *buf, int64_t local)
{
    int64_t days = pl__notify_render_floor_div(local, 86400);
    int64_t rest = local - days * 86400;
    int64_t year;
    int month, day;
    pl_time_civil_from_days(days, &year, &month, &day);
    pl_buf_printf(buf, "%04" PRId64 "-%02d-%02d %02d:%02d", year, month, day, (int)(rest / 3600),
                  (int)(rest % 3600 / 60));
}

/* due_at: the instant on the wall clock of the rules' default calendar. A
 * snapshot without calendars (pl_rules_new_empty) has no zone to speak of,
 * so the time is given in UTC and says so. A value that is not RFC 3339 is
 * printed as it is. */
static void s_add_due_at(pl_buf_t *buf, const pl_rules_t *rules, const char *text)
{
    pl_usec_t t;
    if (pl_time_parse_rfc3339(text, &t) != 0) {
        pl_buf_puts(buf, text);
        return;
    }
    const pl_calendars_t *set = rules ? pl_rules_calendars(rules) : NULL;
    const pl_calendar_t *cal = set ? pl_calendars_get(set, NULL) : NULL;
    if (cal) {
        s_add_local_minute(buf, pl_tz_local_seconds(pl_calendar_tz(cal), t));
    } else {
        s_add_local_minute(buf, pl__notify_render_floor_div(t, PL_USEC_PER_SEC));
        pl_buf_puts(buf, " UTC");
    }
}

/* A scalar in the text; false (nothing written) for null, "" and
 * containers. */
static bool s_add_scalar(pl_buf_t *buf, const json_t *v)
{
    if (!v) {
        return false;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (json_string_length(v) == 0) {
            return false;
        }
        pl_buf_puts(buf, json_string_value(v));
        return true;
    case JSON_INTEGER:
        pl_buf_printf(buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    case JSON_REAL:
        pl_buf_printf(buf, "%.15g", json_real_value(v));
        return true;
    case JSON_TRUE:
        pl_buf_puts(buf, "true");
        return true;
    case JSON_FALSE:
        pl_buf_puts(buf, "false");
        return true;
    default:
        return false;
    }
}

static void s_add_field(pl_buf_t *buf, const pl_rules_t *rules, const char *topic,
                        const json_t *payload, const pl_recipients_t *rcpt, const char *name)
{
    if (strcmp(name, "event") == 0) {
        pl_buf_puts(buf, s_topic_words(topic));
        return;
    }
    if (strcmp(name, "topic") == 0) {
        pl_buf_puts(buf, topic);
        return;
    }
    if (strcmp(name, "to") == 0) {
        size_t told = 0;
        for (size_t i = 0; rcpt && i < rcpt->count; i++) {
            const char *who = rcpt->items[i].name ? rcpt->items[i].name : rcpt->items[i].id;
            if (who) {
                pl_buf_puts(buf, told++ ? "、" : "");
                pl_buf_puts(buf, who);
            }
        }
        if (told == 0) {
            pl_buf_puts(buf, "-");
        }
        return;
    }
    const json_t *v = json_object_get(payload, name);
    if (strcmp(name, "due_at") == 0 && json_is_string(v) && json_string_length(v) > 0) {
        s_add_due_at(buf, rules, json_string_value(v));
        return;
    }
    if (json_is_array(v)) {
        /* Not a field of the outbox today; a list of scalars reads as one. */
        size_t i, written = 0;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            size_t before = buf->size;
            if (written) {
                pl_buf_puts(buf, "、");
            }
            if (s_add_scalar(buf, item)) {
                written++;
            } else if (!buf->failed && buf->size > before) {
                buf->size = before; /* drop the separator */
                buf->data[before] = '\0';
            }
        }
        if (written == 0) {
            pl_buf_puts(buf, "-");
        }
        return;
    }
    if (!s_add_scalar(buf, v)) {
        pl_buf_puts(buf, "-");
    }
}

static bool s_is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A placeholder at `s` ("{{ name }}", spaces optional): its name in
 * `name` and `name_size` and its length, or 0 when `s` starts none. */
static size_t s_placeholder(const char *s, const char **name, size_t *name_size)
{
    if (s[0] != '{' || s[1] != '{') {
        return 0;
    }
    const char *p = s + 2;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    const char *start = p;
    while (s_is_name_char(*p)) {
        p++;
    }
    size_t size = (size_t)(p - start);
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (size == 0 || p[0] != '}' || p[1] != '}') {
        return 0;
    }
    *name = start;
    *name_size = size;
    return (size_t)(p + 2 - s);
}

char *pl_notify_text(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                     const pl_rules_t *rules, const char *topic, const json_t *payload,
                     const pl_recipients_t *rcpt)
{
    int index = topic ? pl_notify_topic_index(topic) : -1;
    if (index < 0) {
        return NULL;
    }
    const char *tmpl = pl_notify_template(cfg, sink, index);
    if (!tmpl) {
        return NULL;
    }
    pl_buf_t buf = {0};
    const char *p = tmpl;
    while (*p) {
        const char *name;
        size_t name_size;
        size_t used = s_placeholder(p, &name, &name_size);
        if (used == 0) {
            /* Copy up to the next possible placeholder at once. */
            const char *next = strchr(p + 1, '{');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            pl_buf_add(&buf, p, n);
            p += n;
            continue;
        }
        char field[64];
        if (name_size < sizeof field) {
            memcpy(field, name, name_size);
            field[name_size] = '\0';
            s_add_field(&buf, rules, topic, payload, rcpt, field);
        } else {
            pl_buf_puts(&buf, "-"); /* no field has so long a name */
        }
        p += used;
    }
    return pl_buf_take(&buf, NULL);
}

/* ---- JSON bodies -------------------------------------------------------------------------- */

/* Sets obj[key] = value (taking the reference); false if value is NULL or
 * the set fails, so a chain of && stops at the first failure. */
static bool s_set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) == 0;
}

static bool s_append(json_t *arr, json_t *value)
{
    return json_array_append_new(arr, value) == 0;
}

/* The builders below attach each container with a reference of its own
 * before anything is put in it, and drop their local references at the
 * end: freeing `root` then frees whatever was attached, whatever failed. */

static json_t *s_body_webhook(const char *topic, const char *key, const char *text,
                              const json_t *payload, const pl_recipients_t *rcpt)
{
    json_t *root = json_object();
    json_t *list = json_array();
    bool ok = root && list && s_set(root, "topic", json_string(topic)) &&
              s_set(root, "key", json_string(key ? key : "")) &&
              s_set(root, "text", json_string(text)) &&
              s_set(root, "payload", payload ? json_deep_copy(payload) : json_null()) &&
              s_set(root, "recipients", json_incref(list));
    for (size_t i = 0; ok && i < rcpt->count; i++) {
        const pl_recipient_t *r = &rcpt->items[i];
        json_t *item = json_object();
        ok = item && s_append(list, item) && s_set(item, "id", json_string(r->id)) &&
             s_set(item, "name", json_string(r->name ? r->name : r->id));
    }
    json_decref(list);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static json_t *s_body_wecom(const char *text, const pl_recipients_t *rcpt)
{
    json_t *root = json_object();
    json_t *inner = json_object();
    json_t *mentioned = json_array();
    bool ok = root && inner && mentioned && s_set(root, "msgtype", json_string("text")) &&
              s_set(root, "text", json_incref(inner)) &&
              s_set(inner, "content", json_string(text)) &&
              s_set(inner, "mentioned_list", json_incref(mentioned));
    for (size_t i = 0; ok && i < rcpt->count; i++) {
        if (rcpt->items[i].wecom) {
            ok = s_append(mentioned, json_string(rcpt->items[i].wecom));
        }
    }
    json_decref(mentioned);
    json_decref(inner);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static json_t *s_body_dingtalk(const char *text, const pl_recipients_t *rcpt)
{
    json_t *root = json_object();
    json_t *inner = json_object();
    json_t *at = json_object();
    json_t *mobiles = json_array();
    bool ok = root && inner && at && mobiles && s_set(root, "msgtype", json_string("text")) &&
              s_set(root, "text", json_incref(inner)) &&
              s_set(inner, "content", json_string(text)) && s_set(root, "at", json_incref(at)) &&
              s_set(at, "atMobiles", json_incref(mobiles)) && s_set(at, "isAtAll", json_false());
    for (size_t i = 0; ok && i < rcpt->count; i++) {
        if (rcpt->items[i].phone) {
            ok = s_append(mobiles, json_string(rcpt->items[i].phone));
        }
    }
    json_decref(mobiles);
    json_decref(at);
    json_decref(inner);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static json_t *s_body_feishu(const char *text)
{
    json_t *root = json_object();
    json_t *content = json_object();
    bool ok = root && content && s_set(root, "msg_type", json_string("text")) &&
              s_set(root, "content", json_incref(content)) &&
              s_set(content, "text", json_string(text));
    json_decref(content);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* ---- build -------------------------------------------------------------------------------- */

int pl_notify_build(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                    const pl_rules_t *rules, const char *topic, const json_t *payload,
                    const char *key, pl_usec_t now, pl_notify_message_t *out)
{
    *out = (pl_notify_message_t){0};
    if (!sink || !topic || pl_notify_topic_index(topic) < 0) {
        return PL_EINVAL;
    }
    pl_recipients_t rcpt = {0};
    int rc = pl_notify_recipients(rules, payload, &rcpt);
    if (rc != 0) {
        return rc;
    }
    char *text = pl_notify_text(cfg, sink, rules, topic, payload, &rcpt);
    if (!text) {
        pl_recipients_clear(&rcpt);
        return PL_ENOMEM;
    }
    if (sink->type == PL_SINK_EMAIL) {
        rc = pl__notify_render_build_email(sink, text, &rcpt, key, now, out);
    } else {
        json_t *root = NULL;
        switch (sink->type) {
        case PL_SINK_WECOM:
            root = s_body_wecom(text, &rcpt);
            break;
        case PL_SINK_DINGTALK:
            root = s_body_dingtalk(text, &rcpt);
            break;
        case PL_SINK_FEISHU:
            root = s_body_feishu(text);
            break;
        case PL_SINK_WEBHOOK:
        default:
            root = s_body_webhook(topic, key, text, payload, &rcpt);
            break;
        }
        /* No JSON_ENSURE_ASCII: the robots take UTF-8, and Chinese text
         * stays readable in a captured request. */
        out->body = root ? json_dumps(root, JSON_COMPACT) : NULL;
        json_decref(root);
        if (out->body) {
            out->body_len = strlen(out->body);
        } else {
            rc = PL_ENOMEM;
        }
    }
    free(text);
    pl_recipients_clear(&rcpt);
    return rc;
}

void pl_notify_message_clear(pl_notify_message_t *m)
{
    if (!m) {
        return;
    }
    free(m->body);
    for (size_t i = 0; m->rcpt && m->rcpt[i]; i++) {
        free(m->rcpt[i]);
    }
    free(m->rcpt);
    *m = (pl_notify_message_t){0};
}

/* ---- judge -------------------------------------------------------------------------------- */

/* Drops an incomplete UTF-8 sequence that truncation left at the end. */
static void s_trim_utf8(char *s)
{
    size_t size = strlen(s);
    size_t start = size;
    while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80 && size - start < 3) {
        start--;
    }
    if (start == 0) {
        return;
    }
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && size - (start - 1) < need) {
        s[start - 1] = '\0';
    }
}

static void s_why(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_why(char *why, size_t why_size, const char *fmt, ...)
{
    if (!why || why_size == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    /* One line for the log, whatever the sink sent. */
    for (char *p = why; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = ' ';
        }
    }
    s_trim_utf8(why);
}

/* What a robot's JSON answer says: its status code (errcode, code or
 * StatusCode by sink type) and message. */
typedef struct {
    bool has_code;  /* the body is a JSON object with the code, an integer */
    long long code; /* valid with has_code */
    char msg[160];
} s_answer_t;

static void s_read_answer(pl_sink_type_t type, const char *body, size_t body_len, s_answer_t *a)
{
    *a = (s_answer_t){0};
    if (!body || body_len == 0) {
        return;
    }
    json_t *root = json_loadb(body, body_len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return;
    }
    static const char *const wecom_keys[] = {"errcode", NULL};
    static const char *const feishu_keys[] = {"code", "StatusCode", NULL};
    const char *const *keys = type == PL_SINK_FEISHU ? feishu_keys : wecom_keys;
    for (size_t i = 0; keys[i] && !a->has_code; i++) {
        const json_t *v = json_object_get(root, keys[i]);
        if (json_is_integer(v)) {
            a->has_code = true;
            a->code = json_integer_value(v);
        }
    }
    static const char *const msg_keys[] = {"errmsg", "msg", "StatusMessage", NULL};
    for (size_t i = 0; msg_keys[i] && !a->msg[0]; i++) {
        const char *m = json_string_value(json_object_get(root, msg_keys[i]));
        if (m) {
            snprintf(a->msg, sizeof a->msg, "%s", m);
        }
    }
    json_decref(root);
}

/* The robots' "too many messages" codes (and WeCom's and DingTalk's -1,
 * "system busy, try again"): waiting helps. */
static bool s_is_rate_limit(pl_sink_type_t type, long long code)
{
    switch (type) {
    case PL_SINK_WECOM:
        return code == 45009 || code == -1;
    case PL_SINK_DINGTALK:
        return code == 130101 || code == -1;
    case PL_SINK_FEISHU:
        return code == 9499 || code == 11232;
    default:
        return false;
    }
}

static const char *s_code_name(pl_sink_type_t type)
{
    return type == PL_SINK_FEISHU ? "code" : "errcode";
}

pl_delivery_outcome_t pl_notify_judge(pl_sink_type_t type, long http_status, const char *body,
                                      size_t body_len, char *why, size_t why_size)
{
    if (http_status <= 0) {
        s_why(why, why_size, "no answer");
        return PL_DELIVERY_RETRY;
    }
    if (type == PL_SINK_EMAIL) {
        /* The status is the last SMTP reply code: 2xx done, 4xx transient
         * (RFC 5321 section 4.2.1), 5xx permanent: the opposite of HTTP. */
        s_why(why, why_size, "SMTP %ld", http_status);
        if (http_status >= 200 && http_status < 300) {
            return PL_DELIVERY_OK;
        }
        return http_status >= 400 && http_status < 500 ? PL_DELIVERY_RETRY : PL_DELIVERY_PERMANENT;
    }
    bool robot = type == PL_SINK_WECOM || type == PL_SINK_DINGTALK || type == PL_SINK_FEISHU;
    s_answer_t a = {0};
    if (robot) {
        s_read_answer(type, body, body_len, &a);
    }
    if (http_status >= 200 && http_status < 300) {
        if (!robot || (type == PL_SINK_FEISHU && !a.has_code) || (a.has_code && a.code == 0)) {
            s_why(why, why_size, "HTTP %ld", http_status);
            return PL_DELIVERY_OK;
        }
        if (!a.has_code) {
            /* WeCom and DingTalk always answer {"errcode":...}. Anything
             * else came from something in between (a proxy, a gateway, a
             * cut connection): we cannot tell whether the robot got the
             * message, and a retry costs little. */
            s_why(why, why_size, "HTTP %ld without an errcode in the answer", http_status);
            return PL_DELIVERY_RETRY;
        }
        s_why(why, why_size, "%s %lld: %s", s_code_name(type), a.code, a.msg[0] ? a.msg : "-");
        return s_is_rate_limit(type, a.code) ? PL_DELIVERY_RETRY : PL_DELIVERY_PERMANENT;
    }
    bool retry = http_status == 408 || http_status == 425 || http_status == 429 ||
                 (http_status >= 500 && http_status < 600);
    /* A robot that refuses with its rate-limit code under a 4xx status is
     * still only asking us to wait. */
    if (!retry && a.has_code && s_is_rate_limit(type, a.code)) {
        retry = true;
    }
    if (a.has_code) {
        s_why(why, why_size, "HTTP %ld, %s %lld: %s", http_status, s_code_name(type), a.code,
              a.msg[0] ? a.msg : "-");
    } else {
        s_why(why, why_size, "HTTP %ld", http_status);
    }
    return retry ? PL_DELIVERY_RETRY : PL_DELIVERY_PERMANENT;
}

/* ---- back-off ----------------------------------------------------------------------------- */

pl_usec_t pl_notify_backoff(const pl_notify_config_t *cfg, int attempt, uint32_t rand32)
{
    const pl_usec_t min_wait = PL_USEC_PER_SEC / 1000;
    pl_usec_t first = cfg && cfg->retry_first > 0 ? cfg->retry_first : min_wait;
    pl_usec_t cap = cfg && cfg->retry_max > 0 ? cfg->retry_max : first;
    /* Doubling stops at the cap, so a huge attempt number cannot overflow. */
    pl_usec_t delay = first < cap ? first : cap;
    for (int i = 1; i < attempt && delay < cap; i++) {
        delay = delay > cap / 2 ? cap : delay * 2;
    }
    /* +-20 %: rand32 / 2^32 spreads over [delay - delay/5, delay + delay/5). */
    pl_usec_t spread = delay / 5;
    pl_usec_t offset = (pl_usec_t)((double)(2 * spread) * ((double)rand32 / 4294967296.0));
    if (offset >= 2 * spread && spread > 0) {
        offset = 2 * spread - 1;
    }
    pl_usec_t wait = delay - spread + offset;
    return wait < min_wait ? min_wait : wait;
}
