/*
 * fuzz_notify: libFuzzer target for what the notifier renders and reads
 * (workers/notify_render.h): recipients, template text, the body of every
 * kind of sink, the reading of a sink's answer and the back-off. Seeds are
 * in tests/fuzz/corpus/notify/.
 *
 *   cmake -DCMAKE_C_COMPILER=clang -DPL_FUZZ=ON -DPL_SANITIZE=address,undefined ..
 *   ./tests/fuzz_notify -max_len=8192 -max_total_time=60 ../tests/fuzz/corpus/notify
 *
 * The input is a template and a payload: the bytes before the first NUL
 * (or, without a NUL, before the first "\n---\n") are the template text,
 * the rest is the outbox payload as JSON (any JSON value; not JSON at all
 * gives a NULL payload). The first 4 bytes are also the random value of
 * the back-off, the next 8 its retry settings.
 *
 * The template is rendered two ways:
 *   - as the loader lets it through: embedded, escaped, as every topic's
 *     template of a fixed `notify` section (one sink of each type, two
 *     e-mail sinks, one sink with a template of its own) and loaded with
 *     pl_notify_load_yaml; when the loader refuses it, this part is skipped;
 *   - as it is: the template of sinks built in the struct directly, with
 *     the built-in section (pl_notify_new_default).
 * Each against two rules snapshots: a small directory (people with roles,
 * regions, odd and hostile contacts) with a calendar in America/New_York,
 * loaded once; and the empty rule set (no calendar: due_at in UTC).
 *
 * Besides "no crash, no leak, no undefined behaviour" it checks, for each
 * topic (and one unknown topic) and each sink:
 *   - recipients: people of the directory, each once;
 *   - the text: NULL exactly for the unknown topic; valid UTF-8 when the
 *     template is;
 *   - pl_notify_build returns 0, PL_ENOENT (e-mail only), PL_EINVAL
 *     (unknown topic) or PL_ENOMEM, the last only when the template is not
 *     UTF-8 (JSON cannot carry it; the loader never lets such a template
 *     through);
 *   - robot and webhook bodies are JSON that parses back, carrying the text;
 *   - e-mail: no NUL, only CRLF line ends, no line longer than 998 bytes,
 *     encoded-word lines of at most 76 columns that decode each to UTF-8
 *     (when the text is) and together to "[Plaint] " and the first line of
 *     the text; the base64 body decodes to the text with CRLF line ends;
 *     envelope recipients are plain addresses;
 *   - pl_notify_judge on the payload bytes as a response body, for each
 *     sink type and a range of statuses, returns a known outcome and writes
 *     one NUL-terminated line of UTF-8 inside `why_size`;
 *   - pl_notify_backoff for attempts 0..2000 stays within [1 ms,
 *     retry_max * 1.2] and, from the first attempt, not below 80 % of
 *     retry_first (or retry_max when smaller).
 */
#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/config.h"
#include "config/notify.h"
#include "config/people.h"
#include "config/rules.h"
#include "config/yaml.h"
#include "workers/notify_render.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_notify: check failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* 2026-11-28T12:00:00Z: a fixed `now` keeps runs reproducible. */
#define S_NOW INT64_C(1795867200000000)
/* A payload may move `now` ("now": microseconds) within years 1..9999. */
#define S_NOW_MIN INT64_C(-62135596800000000)
#define S_NOW_MAX INT64_C(253402300799000000)

/* The directory the notifications name. Contacts are not checked at load,
 * so some are hostile on purpose: a name and an e-mail address with CRLF
 * and a Bcc header, an address with a space, one with two @, one of 254
 * bytes; liu_peng's address is a fixed `to` of the mail sinks in another
 * case, to be sent once. */
static const char s_rules_yaml[] =
    "directory:\n"
    "  departments:\n"
    "    - {id: quality, name: 品质部}\n"
    "    - {id: sales, name: 销售部}\n"
    "    - {id: empty_dept}\n"
    "  roles:\n"
    "    - {id: regional_head, name: 区域负责人}\n"
    "    - {id: sales_manager}\n"
    "    - {id: general_manager}\n"
    "    - {id: nobody_role}\n"
    "  people:\n"
    "    - id: li_na\n"
    "      name: 李娜\n"
    "      roles: [regional_head]\n"
    "      department: sales\n"
    "      region: east\n"
    "      contacts: {phone: \"13800000011\", email: li.na@example.com, wecom: lina,\n"
    "                 dingtalk: dlina}\n"
    "    - id: zhou_jie\n"
    "      name: \"周杰\\t\\\"Jay\\\"\"\n"
    "      roles: [regional_head, sales_manager]\n"
    "      department: sales\n"
    "      region: east\n"
    "      contacts: {phone: \"13800000012\"}\n"
    "    - id: zhang_wei\n"
    "      roles: [regional_head]\n"
    "      region: north\n"
    "      contacts: {email: \"zhang wei@example.com\", wecom: zw}\n"
    "    - id: liu_peng\n"
    "      name: 刘鹏\n"
    "      roles: [sales_manager]\n"
    "      department: sales\n"
    "      contacts: {email: \"QUALITY@example.COM\", phone: \"+86 138-0000-0004\"}\n"
    "    - id: wu\n"
    "      roles: [general_manager]\n"
    "      department: quality\n"
    "    - id: he\n"
    "      name: \"何\\r\\nBcc: evil@example.com\"\n"
    "      department: quality\n"
    "      region: east\n"
    "      contacts: {email: \"he@example.com\\r\\nBcc: evil@example.com\", wecom: \"he\\nwei\"}\n"
    "    - id: long\n"
    "      name: 很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长"
    "很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长的名字\n"
    "      roles: [general_manager]\n"
    "      contacts: {email: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.com\"}\n"
    "    - id: bad_mail\n"
    "      roles: [sales_manager]\n"
    "      region: west\n"
    "      contacts: {email: \"a@b@c\", dingtalk: x}\n"
    "classify: {allow_unrouted: true}\n"
    "calendar:\n"
    "  timezone: America/New_York\n"
    "  workweek: [mon, tue, wed, thu, fri]\n"
    "  hours: [\"09:00-17:00\"]\n";

/* The `notify` section around the template; %s is the escaped template
 * (a YAML double-quoted scalar's content), used five times. */
static const char s_notify_yaml[] =
    "notify:\n"
    "  retry: {first: 1s, max: 1h, attempts: 5}\n"
    "  templates:\n"
    "    case.created: \"%s\"\n"
    "    deadline.warning: \"%s\"\n"
    "    deadline.breached: \"%s\"\n"
    "    case.escalated: \"%s\"\n"
    "  sinks:\n"
    "    - {id: hook, type: webhook, url: \"https://hook.example.com/plaint\"}\n"
    "    - {id: wecom, type: wecom, url: \"https://qyapi.example.com/send?key=k\"}\n"
    "    - {id: ding, type: dingtalk, url: \"https://oapi.example.com/send?access_token=t\"}\n"
    "    - id: lark\n"
    "      type: feishu\n"
    "      url: \"https://open.example.com/hook/h\"\n"
    "      topics: [case.created, deadline.breached]\n"
    "      templates: {deadline.breached: \"[lark] %s\"}\n"
    "    - id: mail\n"
    "      type: email\n"
    "      url: \"smtps://mail.example.com:465\"\n"
    "      from: plaint@example.com\n"
    "      to: [quality@example.com, ops@example.com]\n"
    "    - {id: mail_people, type: email, url: \"smtp://relay.example.com\",\n"
    "       from: no-reply@example.com}\n";

/* The four topics, then one the renderer must refuse. */
static const char *const s_topics[] = {
    "case.created", "deadline.warning", "deadline.breached", "case.escalated", "case.closed", NULL,
};

static pl_config_t *s_cfg;              /* holds the directory snapshot */
static const pl_rules_t *s_empty_rules; /* the empty rule set */
static const pl_notify_config_t *s_default_notify;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pl_errlist_t errs = {0};
    s_cfg = pl_config_load_buffer(s_rules_yaml, sizeof s_rules_yaml - 1, "fuzz_rules.yaml", &errs);
    char line[1024];
    for (size_t i = 0; i < errs.count; i++) {
        pl_err_format(&errs.items[i], line, sizeof line);
        fprintf(stderr, "fuzz_notify: fixture: %s\n", line);
    }
    pl_errlist_free(&errs);
    s_empty_rules = pl_rules_new_empty("");
    s_default_notify = pl_notify_new_default();
    S_CHECK(s_cfg && s_empty_rules && s_default_notify);
    S_CHECK(pl_rules_people_count(s_cfg->rules) == 8);
    return 0;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

/* The code point at p[0..size) in *cp and its length, or 0 when the bytes
 * there are not UTF-8 (overlong forms and surrogates included). */
static size_t s_utf8_next(const unsigned char *p, size_t size, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || p[0] > 0xF4 || size < n) {
        return 0;
    }
    uint32_t v = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        v = v << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF)) {
        return 0;
    }
    *cp = v;
    return n;
}

static bool s_is_utf8(const char *s, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    for (size_t i = 0; i < size;) {
        size_t n = s_utf8_next(p + i, size - i, &cp);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

/* The template as the content of a YAML double-quoted scalar: characters
 * YAML may carry as they are stay; the rest become escapes, so that the
 * loader sees exactly the template. Returns NULL when the template cannot
 * be written in YAML (it is not UTF-8) or out of memory. */
static char *s_yaml_escape(const char *s, size_t size)
{
    char *out = malloc(size * 6 + 1); /* at worst a 6-byte escape per byte */
    if (!out) {
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < size;) {
        uint32_t cp;
        size_t n = s_utf8_next(p + i, size - i, &cp);
        if (n == 0) {
            free(out);
            return NULL;
        }
        /* YAML 1.1 printable: tab, LF, CR, 0x20-0x7E, NEL, 0xA0-0xD7FF,
         * 0xE000-0xFFFD, 0x10000 and up; the BOM and NEL are escaped too. */
        bool printable = (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xD7FF) ||
                         (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF) || cp >= 0x10000;
        /* libyaml takes U+2028 and U+2029 for line breaks and folds them. */
        printable = printable && cp != 0x2028 && cp != 0x2029;
        if (cp == '"' || cp == '\\') {
            out[o++] = '\\';
            out[o++] = (char)cp;
        } else if (cp == '\n') {
            memcpy(out + o, "\\n", 2);
            o += 2;
        } else if (cp == '\t') {
            memcpy(out + o, "\\t", 2);
            o += 2;
        } else if (cp == '\r') {
            memcpy(out + o, "\\r", 2);
            o += 2;
        } else if (printable) {
            memcpy(out + o, s + i, n);
            o += n;
        } else {
            o += (size_t)snprintf(out + o, 7, "\\u%04X", cp); /* all >= 0x10000 are printable */
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}

/* ---- base64 --------------------------------------------------------------------------------- */

static int s_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Appends the decoding of `size` base64 characters (a multiple of 4,
 * padded) to out (capacity enough); returns the bytes added, or -1. */
static long s_b64_decode(const char *s, size_t size, unsigned char *out)
{
    if (size % 4 != 0) {
        return -1;
    }
    long o = 0;
    for (size_t i = 0; i < size; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == size && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) {
                    return -1; /* data after padding */
                }
                v[k] = s_b64_value((unsigned char)s[i + k]);
                if (v[k] < 0) {
                    return -1;
                }
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (unsigned char)(w >> 16);
        if (pad < 2) {
            out[o++] = (unsigned char)(w >> 8);
        }
        if (pad < 1) {
            out[o++] = (unsigned char)w;
        }
    }
    return o;
}

/* ---- checks --------------------------------------------------------------------------------- */

static void s_check_recipients(const pl_rules_t *rules, const pl_recipients_t *r)
{
    S_CHECK(r->count <= pl_rules_people_count(rules));
    S_CHECK(r->count == 0 || r->items);
    for (size_t i = 0; i < r->count; i++) {
        S_CHECK(r->items[i].id && pl_rules_person_find(rules, r->items[i].id) >= 0);
        for (size_t j = 0; j < i; j++) {
            S_CHECK(strcmp(r->items[i].id, r->items[j].id) != 0);
        }
    }
}

/* A JSON body parses back, and its text member is the text. */
static void s_check_json(pl_sink_type_t type, const char *topic, const char *text,
                         const pl_notify_message_t *m, const pl_recipients_t *rcpt)
{
    S_CHECK(m->body && m->body_len == strlen(m->body));
    S_CHECK(m->rcpt == NULL && m->rcpt_count == 0);
    json_error_t jerr;
    json_t *root = json_loadb(m->body, m->body_len, 0, &jerr);
    if (!root) {
        fprintf(stderr, "fuzz_notify: %s body is not JSON: %s\n", pl_sink_type_name(type),
                jerr.text);
    }
    S_CHECK(json_is_object(root));
    const char *got = NULL;
    switch (type) {
    case PL_SINK_WEBHOOK:
        S_CHECK(json_is_string(json_object_get(root, "topic")) &&
                strcmp(json_string_value(json_object_get(root, "topic")), topic) == 0);
        S_CHECK(json_array_size(json_object_get(root, "recipients")) == rcpt->count);
        got = json_string_value(json_object_get(root, "text"));
        break;
    case PL_SINK_WECOM:
    case PL_SINK_DINGTALK:
        got = json_string_value(json_object_get(json_object_get(root, "text"), "content"));
        break;
    case PL_SINK_FEISHU:
        got = json_string_value(json_object_get(json_object_get(root, "content"), "text"));
        break;
    default:
        S_CHECK(!"not a JSON sink");
    }
    S_CHECK(got && strcmp(got, text) == 0);
    json_decref(root);
}

/* Decodes the encoded-words of a Subject header line (or a continuation)
 * into out; checks each word on its own. */
static void s_subject_words(const char *line, size_t size, bool first, bool utf8,
                            unsigned char *out, size_t *out_size)
{
    const char *lead = first ? "Subject: =?UTF-8?B?" : " =?UTF-8?B?";
    size_t lead_size = strlen(lead);
    S_CHECK(size <= 76); /* RFC 2047 section 2 */
    S_CHECK(size >= lead_size + 2 && memcmp(line, lead, lead_size) == 0);
    S_CHECK(memcmp(line + size - 2, "?=", 2) == 0);
    long n = s_b64_decode(line + lead_size, size - lead_size - 2, out + *out_size);
    S_CHECK(n > 0);
    /* RFC 2047 section 5: each word must decode to whole characters. */
    S_CHECK(!utf8 || s_is_utf8((const char *)out + *out_size, (size_t)n));
    *out_size += (size_t)n;
}

static void s_check_email(const pl_notify_sink_t *sink, const char *text,
                          const pl_notify_message_t *m)
{
    S_CHECK(m->body && m->body_len > 0 && m->body[m->body_len] == '\0');
    S_CHECK(memchr(m->body, '\0', m->body_len) == NULL);
    S_CHECK(m->rcpt && m->rcpt_count >= 1 && m->rcpt[m->rcpt_count] == NULL);
    for (size_t i = 0; i < m->rcpt_count; i++) {
        S_CHECK(m->rcpt[i] && strchr(m->rcpt[i], '@'));
        S_CHECK(strcspn(m->rcpt[i], " \r\n\t<>,;\"") == strlen(m->rcpt[i]));
    }
    bool utf8 = s_is_utf8(text, strlen(text));

    /* The reference subject: "[Plaint] " and the first line, less the
     * control characters. */
    size_t text_size = strlen(text);
    unsigned char *want = malloc(text_size + 16);
    /* Decoded, either part is shorter than the message. */
    unsigned char *subject = malloc(m->body_len);
    unsigned char *body = malloc(m->body_len);
    S_CHECK(want && subject && body);
    size_t want_size = 0, subject_size = 0, body_size = 0;
    memcpy(want, "[Plaint] ", 9);
    want_size = 9;
    for (const unsigned char *p = (const unsigned char *)text; *p && *p != '\n'; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            want[want_size++] = *p;
        }
    }

    bool in_headers = true, in_subject = false, seen_subject = false;
    const char *b = m->body;
    size_t pos = 0;
    while (pos < m->body_len) {
        const char *cr = memchr(b + pos, '\r', m->body_len - pos);
        const char *lf = memchr(b + pos, '\n', m->body_len - pos);
        /* Every line ends in CRLF, and neither comes alone. */
        S_CHECK(cr && lf && lf == cr + 1);
        size_t size = (size_t)(cr - (b + pos));
        const char *line = b + pos;
        S_CHECK(size <= 998); /* RFC 5322 section 2.1.1 */
        if (in_headers) {
            if (size == 0) {
                in_headers = false;
                in_subject = false;
            } else if (size >= 8 && memcmp(line, "Subject:", 8) == 0) {
                S_CHECK(!seen_subject);
                seen_subject = in_subject = true;
                s_subject_words(line, size, true, utf8, subject, &subject_size);
            } else if (line[0] == ' ' || line[0] == '\t') {
                if (in_subject) {
                    s_subject_words(line, size, false, utf8, subject, &subject_size);
                }
            } else {
                in_subject = false;
                S_CHECK(memchr(line, ':', size) != NULL);
            }
        } else {
            S_CHECK(size <= 76);
            long n = s_b64_decode(line, size, body + body_size);
            S_CHECK(n >= 0);
            body_size += (size_t)n;
        }
        pos += size + 2;
    }
    S_CHECK(!in_headers && seen_subject);
    S_CHECK(subject_size == want_size && memcmp(subject, want, want_size) == 0);

    /* The body is the text with each CR, LF or CRLF written CRLF. */
    size_t canon_size = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            S_CHECK(canon_size + 2 <= body_size && memcmp(body + canon_size, "\r\n", 2) == 0);
            canon_size += 2;
            if (p[0] == '\r' && p[1] == '\n') {
                p++;
            }
        } else {
            S_CHECK(canon_size < body_size && body[canon_size] == (unsigned char)*p);
            canon_size++;
        }
    }
    S_CHECK(canon_size == body_size);

    /* The fixed addresses come first, when the sink has any. */
    if (sink->to_count > 0) {
        S_CHECK(strcmp(m->rcpt[0], sink->to[0]) == 0);
    }
    free(body);
    free(subject);
    free(want);
}

/* Renders every topic for one sink and checks what comes back. */
static void s_render(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                     const pl_rules_t *rules, const json_t *payload, const char *key, pl_usec_t now,
                     bool tmpl_utf8)
{
    for (size_t t = 0; s_topics[t]; t++) {
        const char *topic = s_topics[t];
        bool known = pl_notify_topic_index(topic) >= 0;

        pl_recipients_t rcpt = {0};
        S_CHECK(pl_notify_recipients(rules, payload, &rcpt) == 0);
        s_check_recipients(rules, &rcpt);

        char *text = pl_notify_text(cfg, sink, rules, topic, payload, &rcpt);
        S_CHECK(known == (text != NULL));
        if (text && tmpl_utf8) {
            S_CHECK(s_is_utf8(text, strlen(text)));
        }

        pl_notify_message_t m = {0};
        int rc = pl_notify_build(cfg, sink, rules, topic, payload, key, now, &m);
        S_CHECK(rc == 0 || rc == PL_ENOENT || rc == PL_EINVAL || rc == PL_ENOMEM);
        S_CHECK(rc != PL_EINVAL || !known);
        S_CHECK(known || rc == PL_EINVAL);
        S_CHECK(rc != PL_ENOENT || sink->type == PL_SINK_EMAIL);
        S_CHECK(rc != PL_ENOMEM || !tmpl_utf8);
        S_CHECK(rc == 0 || (m.body == NULL && m.rcpt == NULL));
        if (rc == 0) {
            if (sink->type == PL_SINK_EMAIL) {
                s_check_email(sink, text, &m);
            } else {
                s_check_json(sink->type, topic, text, &m, &rcpt);
            }
        }
        pl_notify_message_clear(&m);
        S_CHECK(m.body == NULL && m.rcpt == NULL);
        free(text);
        pl_recipients_clear(&rcpt);
    }
}

/* The payload bytes as the answer of every kind of sink. `cut` (1..64)
 * is a small `why_size` that truncates the reason somewhere. */
static void s_judge(const char *body, size_t body_len, size_t cut)
{
    static const long statuses[] = {LONG_MIN, -1,  0,   100, 200, 204, 299, 302,
                                    400,      408, 425, 429, 500, 599, 600, LONG_MAX};
    char guard[64];
    memset(guard, 'Z', sizeof guard);
    const size_t why_sizes[] = {cut, 256};
    for (int type = 0; type <= PL_SINK_EMAIL + 1; type++) {
        for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++) {
            long status = statuses[s];
            pl_delivery_outcome_t o =
                pl_notify_judge((pl_sink_type_t)type, status, body, body_len, NULL, 0);
            S_CHECK(o == PL_DELIVERY_OK || o == PL_DELIVERY_RETRY || o == PL_DELIVERY_PERMANENT);
            if (status <= 0) {
                S_CHECK(o == PL_DELIVERY_RETRY);
            }
            if (type == PL_SINK_WEBHOOK && status > 0) {
                bool ok = status >= 200 && status < 300;
                bool retry = status == 408 || status == 425 || status == 429 ||
                             (status >= 500 && status < 600);
                S_CHECK(o == (ok      ? PL_DELIVERY_OK
                              : retry ? PL_DELIVERY_RETRY
                                      : PL_DELIVERY_PERMANENT));
            }
            for (size_t w = 0; w < sizeof why_sizes / sizeof why_sizes[0]; w++) {
                /* A guard after `why_size` catches a write past it. */
                char why[256 + sizeof guard];
                size_t why_size = why_sizes[w];
                memset(why, 'Z', why_size + sizeof guard);
                pl_delivery_outcome_t o2 =
                    pl_notify_judge((pl_sink_type_t)type, status, body, body_len, why, why_size);
                S_CHECK(o2 == o);
                S_CHECK(memcmp(why + why_size, guard, sizeof guard) == 0);
                size_t len = strnlen(why, why_size);
                S_CHECK(len < why_size);
                S_CHECK(strcspn(why, "\r\n") == len);
                /* Only the answer's message can bring non-ASCII bytes, and
                 * jansson hands out only UTF-8; a cut must not split a
                 * character. */
                S_CHECK(s_is_utf8(why, len));
            }
        }
    }
}

static void s_check_backoff(const pl_notify_config_t *cfg, uint32_t rand32)
{
    pl_usec_t first = cfg->retry_first, max = cfg->retry_max;
    pl_usec_t low = (first < max ? first : max) / 5 * 4;
    pl_usec_t high = max + max / 5;
    for (int attempt = 0; attempt <= 2000; attempt++) {
        pl_usec_t wait = pl_notify_backoff(cfg, attempt, rand32);
        S_CHECK(wait >= PL_USEC_PER_SEC / 1000);
        S_CHECK(wait <= high);
        if (attempt >= 1) {
            S_CHECK(wait >= low);
        }
    }
}

static uint32_t s_le32(const uint8_t *data, size_t size, size_t at)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        v |= (uint32_t)(at + i < size ? data[at + i] : 0) << (8 * i);
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Split into the template and the payload. */
    const char *in = (const char *)data;
    size_t tmpl_size = size, payload_at = size;
    const char *nul = memchr(in, '\0', size);
    if (nul) {
        tmpl_size = (size_t)(nul - in);
        payload_at = tmpl_size + 1;
    } else {
        for (size_t i = 0; i + 5 <= size; i++) {
            if (memcmp(in + i, "\n---\n", 5) == 0) {
                tmpl_size = i;
                payload_at = i + 5;
                break;
            }
        }
    }
    const char *payload_text = in + payload_at;
    size_t payload_size = size - payload_at;

    char *tmpl = malloc(tmpl_size + 1);
    S_CHECK(tmpl);
    memcpy(tmpl, in, tmpl_size);
    tmpl[tmpl_size] = '\0';
    bool tmpl_utf8 = s_is_utf8(tmpl, tmpl_size);

    json_t *payload = json_loadb(payload_text, payload_size, JSON_DECODE_ANY, NULL);
    const char *key = "outbox-42";
    pl_usec_t now = S_NOW;
    if (json_is_string(json_object_get(payload, "key"))) {
        key = json_string_value(json_object_get(payload, "key"));
    }
    const json_t *now_v = json_object_get(payload, "now");
    if (json_is_integer(now_v) && json_integer_value(now_v) >= S_NOW_MIN &&
        json_integer_value(now_v) <= S_NOW_MAX) {
        now = json_integer_value(now_v);
    }
    const pl_rules_t *rules[] = {s_cfg->rules, s_empty_rules};

    /* 1. The template as the loader lets it through. */
    const pl_notify_config_t *loaded = NULL;
    char *escaped = s_yaml_escape(tmpl, tmpl_size);
    if (escaped) {
        size_t yaml_size = sizeof s_notify_yaml + 5 * strlen(escaped);
        char *yaml = malloc(yaml_size);
        S_CHECK(yaml);
        int n =
            snprintf(yaml, yaml_size, s_notify_yaml, escaped, escaped, escaped, escaped, escaped);
        S_CHECK(n > 0 && (size_t)n < yaml_size);
        pl_err_t err;
        pl_err_clear(&err);
        pl_yaml_doc_t *doc = pl_yaml_load_buffer(yaml, (size_t)n, "fuzz_notify.yaml", &err);
        if (doc) {
            loaded = pl_notify_load_yaml(doc, pl_yaml_doc_root(doc), NULL, NULL);
            pl_yaml_doc_destroy(&doc);
        }
        free(yaml);
        free(escaped);
    }
    if (loaded) {
        /* Only a UTF-8 template can be written in YAML (s_yaml_escape). */
        S_CHECK(loaded->sinks_count == 6);
        for (size_t r = 0; r < 2; r++) {
            for (size_t i = 0; i < loaded->sinks_count; i++) {
                s_render(loaded, &loaded->sinks[i], rules[r], payload, key, now, true);
            }
        }
        pl_notify_unref(&loaded);
    }

    /* 2. The template as it is, in sinks built here. */
    char *to[] = {"quality@example.com", "Ops@Example.com"};
    pl_notify_sink_t sinks[6];
    memset(sinks, 0, sizeof sinks);
    for (int i = 0; i < 6; i++) {
        pl_notify_sink_t *s = &sinks[i];
        s->id = "raw";
        s->type = i < 5 ? (pl_sink_type_t)(i + 1) : PL_SINK_EMAIL;
        s->url = s->type == PL_SINK_EMAIL ? "smtp://relay.example.com" : "https://example.com/";
        s->timeout = 10 * PL_USEC_PER_SEC;
        s->concurrency = 1;
        for (int t = 0; t < PL_NOTIFY_TOPIC_COUNT; t++) {
            s->topics[t] = true;
            s->templates[t] = tmpl;
        }
        if (s->type == PL_SINK_EMAIL) {
            s->from = "plaint@example.com";
            s->recipients = true;
            if (i == 4) {
                s->to = to;
                s->to_count = 2;
            }
        }
    }
    for (size_t r = 0; r < 2; r++) {
        for (size_t i = 0; i < 6; i++) {
            s_render(s_default_notify, &sinks[i], rules[r], payload, key, now, tmpl_utf8);
        }
    }

    /* 3. The payload bytes as a sink's answer. */
    s_judge(payload_text, payload_size, size % 64 + 1);

    /* 4. The back-off, with the built-in settings and with settings from
     * the input within the loader's ranges (first 1s..1h, max first..24h). */
    uint32_t rand32 = s_le32(data, size, 0);
    s_check_backoff(s_default_notify, rand32);
    pl_notify_config_t retry = {0};
    uint32_t first_s = 1 + s_le32(data, size, 4) % 3600;
    uint32_t max_s = first_s + s_le32(data, size, 8) % (86400 - first_s + 1);
    retry.retry_first = (pl_usec_t)first_s * PL_USEC_PER_SEC;
    retry.retry_max = (pl_usec_t)max_s * PL_USEC_PER_SEC;
    s_check_backoff(&retry, rand32);

    json_decref(payload);
    free(tmpl);
    return 0;
}
