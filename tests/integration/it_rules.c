/*
 * it_rules: classification and routing by the rules (issue 3), through the
 * real plaintd, ZeroMQ and PostgreSQL: the sample events of
 * config/examples/events/ under the shipped config/plaint.yaml and under
 * config/examples/property.yaml, checked against the tables of
 * config/examples/events/EXPECTED.md; round robin; explain over the
 * protocol, offline (plaintd --explain) and with the client; reload by
 * request and by SIGHUP, refused and accepted; reload in the middle of a
 * load. Each test runs its own plaintd on its own fresh database.
 * Run one test with: it_rules NAME
 */
#include "it.h"
#include "load.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_TIMEOUT_MS 5000
#define S_MAX_LIST 16
#define S_MAX_ROWS 32

/* ---- small helpers ------------------------------------------------------------ */

static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A path under the source tree, in one of a few static buffers. */
static const char *s_src(const char *rel)
{
    static char bufs[4][1024];
    static int next;
    char *buf = bufs[next++ % 4];
    snprintf(buf, sizeof bufs[0], "%s/%s", it_source_dir(), rel);
    return buf;
}

static const char *s_shipped(void)
{
    return s_src("config/plaint.yaml");
}

static void s_dump(const char *label, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    fprintf(stderr, "%s: %s\n", label, text ? text : "?");
    free(text);
}

/* Checks an ok:true reply, printing it otherwise. */
static void s_check_ok(const json_t *reply)
{
    if (!json_is_true(json_object_get(reply, "ok"))) {
        s_dump("reply", reply);
    }
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
}

/* Sends `request` (consumed) and returns the reply; fails when none comes. */
static json_t *s_call(const it_daemon_t *d, json_t *request)
{
    IT_CHECK(request != NULL);
    json_t *reply = it_request_json(d->ingest, request, S_TIMEOUT_MS);
    json_decref(request);
    if (!reply) {
        it_daemon_log_tail(d, 30);
    }
    IT_CHECK(reply != NULL);
    return reply;
}

static json_t *s_read_json(const char *path)
{
    json_error_t jerr;
    json_t *obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
    }
    IT_CHECK(json_is_object(obj));
    return obj;
}

static json_t *s_sample(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "config/examples/events/%s.json", name);
    return s_read_json(s_src(rel));
}

/* Submits `event` (borrowed) and returns the new case's number (caller
 * frees); fails unless it is stored as a new case. */
static char *s_submit(const it_daemon_t *d, json_t *event)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:O}", "op", "submit", "event", event));
    s_check_ok(reply);
    IT_CHECK(json_is_false(json_object_get(reply, "duplicate")));
    const char *case_no = s_str(reply, "case_no");
    IT_CHECK(case_no != NULL && case_no[0]);
    char *copy = strdup(case_no);
    json_decref(reply);
    return copy;
}

/* A new event {"event_id","content"} plus optional kind and region (NULL:
 * left out). */
static json_t *s_event(const char *event_id, const char *content, const char *kind,
                       const char *region)
{
    json_t *ev = json_pack("{s:s, s:s, s:s}", "event_id", event_id, "source", "it-rules",
                           "content", content);
    if (kind) {
        json_object_set_new(ev, "kind", json_string(kind));
    }
    if (region) {
        json_object_set_new(ev, "region", json_string(region));
    }
    return ev;
}

/* The stored case (caller decrefs). */
static json_t *s_get(const it_daemon_t *d, const char *case_no)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:s}", "op", "get", "case_no", case_no));
    s_check_ok(reply);
    json_t *c = json_incref(json_object_get(reply, "case"));
    json_decref(reply);
    IT_CHECK(json_is_object(c));
    return c;
}

/* The daemon's explanation of `event` (borrowed; caller decrefs). */
static json_t *s_explain(const it_daemon_t *d, json_t *event)
{
    json_t *reply = s_call(d, json_pack("{s:s, s:O}", "op", "explain", "event", event));
    s_check_ok(reply);
    json_t *x = json_incref(json_object_get(reply, "explain"));
    json_decref(reply);
    IT_CHECK(json_is_object(x));
    IT_CHECK(json_is_false(json_object_get(x, "stored")));
    return x;
}

static char *s_ping_rules_version(const it_daemon_t *d)
{
    json_t *reply = s_call(d, json_pack("{s:s}", "op", "ping"));
    s_check_ok(reply);
    const char *v = s_str(reply, "rules_version");
    IT_CHECK(v != NULL);
    char *copy = strdup(v);
    json_decref(reply);
    return copy;
}

/* The SHA-256 (lower-case hex) of `text`, as sha256sum would print it,
 * computed by PostgreSQL (caller frees). */
static char *s_sha256(const char *db, const char *text)
{
    char *hex = it_sql_bytea(db, "SELECT encode(sha256($1), 'hex')", text, strlen(text));
    IT_CHECK(it_match(hex, "^[0-9a-f]{64}$"));
    return hex;
}

/* `text` with the one occurrence of `from` replaced by `to` (caller frees);
 * fails when `from` does not occur exactly once (the shipped file changed:
 * adapt the test). */
static char *s_replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at || strstr(at + 1, from)) {
        fprintf(stderr, "expected exactly one \"%s\" in the configuration\n", from);
    }
    IT_CHECK(at != NULL && strstr(at + 1, from) == NULL);
    size_t head = (size_t)(at - text), flen = strlen(from), tlen = strlen(to);
    size_t rest = strlen(at + flen);
    char *out = malloc(head + tlen + rest + 1);
    IT_CHECK(out != NULL);
    memcpy(out, text, head);
    memcpy(out + head, to, tlen);
    memcpy(out + head + tlen, at + flen, rest + 1);
    return out;
}

/* The 1-based line of the first occurrence of `needle` in `text`. */
static int s_line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    IT_CHECK(at != NULL);
    int line = 1;
    for (const char *p = text; p < at; p++) {
        line += *p == '\n';
    }
    return line;
}

static int s_array_has_string(const json_t *array, const char *s)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item) {
        if (json_is_string(item) && strcmp(json_string_value(item), s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The matched_rules entry of `section` (and `rule`, when not NULL), or NULL. */
static json_t *s_matched(const json_t *x, const char *section, const char *rule)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(x, "matched_rules"), i, m) {
        const char *s = s_str(m, "section"), *r = s_str(m, "rule");
        if (s && strcmp(s, section) == 0 && (!rule || (r && strcmp(r, rule) == 0))) {
            return m;
        }
    }
    return NULL;
}

/* The case's history entry of `type`, or NULL. */
static json_t *s_history(const json_t *c, const char *type)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(c, "history"), i, h) {
        if (strcmp(s_str(h, "type") ? s_str(h, "type") : "", type) == 0) {
            return h;
        }
    }
    return NULL;
}

/*
 * Checks the history of a case decided by rules that categorize and route
 * it: registered, classified, routed, in this order, the last two with the
 * case's decision and rules_version.
 */
static void s_check_history(const json_t *c)
{
    json_t *history = json_object_get(c, "history");
    /* Then the escalation worker's entries (deadlines set, and any that
     * fired already), which it_deadlines checks. */
    for (size_t i = 3; i < json_array_size(history); i++) {
        IT_CHECK_STR(s_str(json_array_get(history, i), "actor"), "escalation");
    }
    if (json_array_size(history) < 3) {
        s_dump("history", history);
    }
    IT_CHECK(json_array_size(history) >= 3);
    IT_CHECK_STR(s_str(json_array_get(history, 0), "type"), "registered");
    IT_CHECK_STR(s_str(json_array_get(history, 1), "type"), "classified");
    IT_CHECK_STR(s_str(json_array_get(history, 2), "type"), "routed");
    IT_CHECK_STR(s_str(json_array_get(history, 1), "actor"), "classifier");
    IT_CHECK_STR(s_str(json_array_get(history, 2), "actor"), "router");
    json_t *cls = json_object_get(json_array_get(history, 1), "detail");
    json_t *route = json_object_get(json_array_get(history, 2), "detail");
    const char *version = s_str(c, "rules_version");
    IT_CHECK(version != NULL);
    IT_CHECK_STR(s_str(cls, "rules_version"), version);
    IT_CHECK_STR(s_str(route, "rules_version"), version);
    IT_CHECK_STR(s_str(cls, "kind"), s_str(c, "kind"));
    IT_CHECK_STR(s_str(cls, "category"), s_str(c, "category"));
    IT_CHECK_STR(s_str(cls, "severity"), s_str(c, "severity"));
    IT_CHECK(json_equal(json_object_get(cls, "tags"), json_object_get(c, "tags")));
    IT_CHECK(json_equal(json_object_get(cls, "matched_rules"), json_object_get(c, "matched_rules")));
    IT_CHECK_STR(s_str(route, "department"), s_str(c, "department"));
    IT_CHECK(json_equal(json_object_get(route, "inform"), json_object_get(c, "inform")));
    IT_CHECK(json_equal(json_object_get(route, "assignee"), json_object_get(c, "assignee")));
}

/* ---- EXPECTED.md ---------------------------------------------------------------- */

typedef struct s_expect {
    char event[64];
    char kind[32];
    char kind_rule[64]; /* the kind rule that decided the kind, "" if none */
    char category[64];
    char severity[16];
    char tags[S_MAX_LIST][64];
    int ntags;
    char rule[64]; /* routing rule */
    char department[64];
    char candidates[S_MAX_LIST][64]; /* the pool's, or the fixed assignee */
    int ncandidates;
    int fixed;         /* candidates[0] is a fixed assignee */
    char strategy[16]; /* round_robin, least_loaded or "" */
    char inform[S_MAX_LIST][64];
    int ninform;
} s_expect_t;

/* Copies src to dst (size bytes); fails when it does not fit. */
static void s_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    IT_CHECK(n < size);
    memcpy(dst, src, n + 1);
}

static void s_trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    size_t k = strspn(s, " \t");
    memmove(s, s + k, n - k + 1);
}

/* Splits "a, b, c" (or "—" for none) into list; returns the count. */
static int s_split_list(const char *cell, char list[][64])
{
    if (strcmp(cell, "—") == 0 || strcmp(cell, "-") == 0 || !cell[0]) {
        return 0;
    }
    int n = 0;
    const char *p = cell;
    while (*p) {
        size_t len = strcspn(p, ",");
        IT_CHECK(n < S_MAX_LIST && len < 64);
        snprintf(list[n], 64, "%.*s", (int)len, p);
        s_trim(list[n]);
        n++;
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    return n;
}

/* Copies the text between the first pair of backticks of `cell` to out
 * ("" when there is none). */
static void s_backticked(const char *cell, char *out, size_t size)
{
    const char *a = strchr(cell, '`');
    const char *b = a ? strchr(a + 1, '`') : NULL;
    snprintf(out, size, "%.*s", a && b ? (int)(b - a - 1) : 0, a ? a + 1 : "");
}

static int s_parse_row(char *line, s_expect_t *e)
{
    char cells[10][512];
    int n = 0;
    char *p = line + 1; /* past the leading '|' */
    while (*p && n < 10) {
        size_t len = strcspn(p, "|");
        if (!p[len]) {
            break; /* the text after the last '|' */
        }
        snprintf(cells[n], sizeof cells[n], "%.*s", (int)len, p);
        s_trim(cells[n]);
        n++;
        p += len + 1;
    }
    if (n < 8 || !it_match(cells[0], "^[0-9]{2}-[a-z0-9-]+$") ||
        strncmp(cells[1], "refused", 7) == 0) {
        return 0;
    }
    memset(e, 0, sizeof *e);
    s_copy(e->event, sizeof e->event, cells[0]);
    snprintf(e->kind, sizeof e->kind, "%.*s", (int)strcspn(cells[1], " "), cells[1]);
    if (strstr(cells[1], "kind rule `")) {
        s_backticked(strstr(cells[1], "kind rule `"), e->kind_rule, sizeof e->kind_rule);
    }
    s_copy(e->category, sizeof e->category, cells[2]);
    s_copy(e->severity, sizeof e->severity, cells[3]);
    e->ntags = s_split_list(cells[4], e->tags);
    s_backticked(cells[5], e->rule, sizeof e->rule);
    const char *arrow = strstr(cells[5], "→");
    IT_CHECK(arrow != NULL);
    s_copy(e->department, sizeof e->department, arrow + strlen("→"));
    s_trim(e->department);
    const char *open = strchr(cells[6], '('), *close = open ? strchr(open, ')') : NULL;
    if (open && close) {
        char inner[512];
        snprintf(inner, sizeof inner, "%.*s", (int)(close - open - 1), open + 1);
        e->ncandidates = s_split_list(inner, e->candidates);
    } else if (strcmp(cells[6], "—") != 0) {
        s_copy(e->candidates[0], 64, cells[6]);
        e->ncandidates = 1;
        e->fixed = 1;
    }
    if (strstr(cells[6], "round robin")) {
        snprintf(e->strategy, sizeof e->strategy, "round_robin");
    } else if (strstr(cells[6], "least loaded")) {
        snprintf(e->strategy, sizeof e->strategy, "least_loaded");
    }
    e->ninform = s_split_list(cells[7], e->inform);
    return 1;
}

/* The rows of the table in EXPECTED.md's section whose title starts with
 * `title`; returns their number. */
static int s_load_expected(const char *title, s_expect_t *rows, int max)
{
    char *text = it_read_file(s_src("config/examples/events/EXPECTED.md"), NULL);
    IT_CHECK(text != NULL);
    char *section = strstr(text, title);
    IT_CHECK(section != NULL);
    int n = 0;
    char *line = section;
    while ((line = strchr(line, '\n')) != NULL) {
        line++;
        if (strncmp(line, "## ", 3) == 0) {
            break;
        }
        char *end = strchr(line, '\n');
        char row[2048];
        snprintf(row, sizeof row, "%.*s", end ? (int)(end - line) : (int)strlen(line), line);
        if (row[0] == '|' && n < max && s_parse_row(row, &rows[n])) {
            n++;
        }
    }
    free(text);
    return n;
}

static void s_expect_str(const s_expect_t *e, const char *what, const char *got, const char *want)
{
    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "%s: %s is \"%s\", EXPECTED.md says \"%s\"\n", e->event, what,
                got ? got : "(null)", want);
    }
    IT_CHECK_STR(got, want);
}

static void s_expect_list(const s_expect_t *e, const char *what, const json_t *got,
                          char want[][64], int n)
{
    int ok = json_is_array(got) && json_array_size(got) == (size_t)n;
    for (int i = 0; ok && i < n; i++) {
        ok = json_is_string(json_array_get(got, (size_t)i)) &&
             strcmp(json_string_value(json_array_get(got, (size_t)i)), want[i]) == 0;
    }
    if (!ok) {
        fprintf(stderr, "%s: %s differs from EXPECTED.md (%d items:", e->event, what, n);
        for (int i = 0; i < n; i++) {
            fprintf(stderr, " %s", want[i]);
        }
        fprintf(stderr, ")\n");
        s_dump(what, got);
    }
    IT_CHECK(ok);
}

/*
 * Checks a decision (an explanation, or a stored case when `stored`) against
 * a row of EXPECTED.md. An explanation of a least-loaded pool has no
 * assignee yet: the store picks one.
 */
static void s_check_expected(const json_t *x, const s_expect_t *e, int stored)
{
    s_expect_str(e, "kind", s_str(x, "kind"), e->kind);
    s_expect_str(e, "category", s_str(x, "category"), e->category);
    s_expect_str(e, "severity", s_str(x, "severity"), e->severity);
    s_expect_list(e, "tags", json_object_get(x, "tags"), (char(*)[64])e->tags, e->ntags);
    s_expect_str(e, "department", s_str(x, "department"), e->department);
    s_expect_list(e, "inform", json_object_get(x, "inform"), (char(*)[64])e->inform, e->ninform);
    const char *assignee = s_str(x, "assignee");
    if (e->fixed || stored || strcmp(e->strategy, "round_robin") == 0) {
        int known = 0;
        for (int i = 0; assignee && i < e->ncandidates; i++) {
            known |= strcmp(assignee, e->candidates[i]) == 0;
        }
        if (!known) {
            fprintf(stderr, "%s: assignee %s is not one of EXPECTED.md's candidates\n", e->event,
                    assignee ? assignee : "(null)");
        }
        IT_CHECK(known);
    } else {
        IT_CHECK(assignee == NULL);
    }
    /* Which rules fired: the kind rule (when it decided), the category, the
     * tags, the routing rule. */
    if (!s_matched(x, "routing", e->rule)) {
        fprintf(stderr, "%s: routing rule %s not among the matched rules\n", e->event, e->rule);
        s_dump("matched_rules", json_object_get(x, "matched_rules"));
    }
    IT_CHECK(s_matched(x, "routing", e->rule) != NULL);
    IT_CHECK(s_matched(x, "categories", e->category) != NULL);
    for (int i = 0; i < e->ntags; i++) {
        IT_CHECK(s_matched(x, "tags", e->tags[i]) != NULL);
    }
    if (e->kind_rule[0]) {
        IT_CHECK(s_matched(x, "kind_rules", e->kind_rule) != NULL);
    } else {
        IT_CHECK(s_matched(x, "kind_rules", NULL) == NULL);
    }
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(x, "matched_rules"), i, m) {
        IT_CHECK(s_str(m, "why") != NULL && s_str(m, "why")[0]);
    }
    if (stored) {
        json_t *routed = json_object_get(s_history(x, "routed"), "detail");
        s_expect_str(e, "routed.rule", s_str(routed, "rule"), e->rule);
        if (e->strategy[0]) {
            s_expect_str(e, "routed.strategy", s_str(routed, "strategy"), e->strategy);
        }
    } else {
        s_expect_str(e, "rule", s_str(x, "rule"), e->rule);
    }
}

/*
 * Every sample of an EXPECTED.md table through a daemon running `config`:
 * explain it, submit it, get it; the explanation and the case must both
 * agree with the table and with each other. Returns the rules version.
 */
static char *s_run_table(const it_daemon_t *d, const char *db, const char *config_text,
                         const char *title, int min_rows)
{
    s_expect_t rows[S_MAX_ROWS];
    int n = s_load_expected(title, rows, S_MAX_ROWS);
    if (n < min_rows) {
        fprintf(stderr, "only %d rows under \"%s\" in EXPECTED.md\n", n, title);
    }
    IT_CHECK(n >= min_rows);

    /* The rules version is the SHA-256 of the file (sha256sum). */
    char *version = s_ping_rules_version(d);
    char *sha = s_sha256(db, config_text);
    IT_CHECK_STR(version, sha);
    free(sha);

    for (int i = 0; i < n; i++) {
        const s_expect_t *e = &rows[i];
        json_t *ev = s_sample(e->event);
        json_t *x = s_explain(d, ev);
        s_check_expected(x, e, 0);
        IT_CHECK_STR(s_str(x, "rules_version"), version);
        IT_CHECK(json_is_boolean(json_object_get(x, "kind_given")));
        IT_CHECK(json_is_true(json_object_get(x, "kind_given")) ==
                 (json_object_get(ev, "kind") != NULL));

        char *case_no = s_submit(d, ev);
        json_t *c = s_get(d, case_no);
        s_check_expected(c, e, 1);
        IT_CHECK_STR(s_str(c, "rules_version"), version);
        s_check_history(c);
        /* The explanation was the decision the case got. */
        IT_CHECK(json_equal(json_object_get(c, "matched_rules"), json_object_get(x, "matched_rules")));
        if (json_is_string(json_object_get(x, "assignee"))) {
            IT_CHECK_STR(s_str(c, "assignee"), s_str(x, "assignee"));
        }
        json_t *routed = json_object_get(s_history(c, "routed"), "detail");
        IT_CHECK_STR(s_str(routed, "rule"), s_str(x, "rule"));
        json_decref(c);
        json_decref(x);
        json_decref(ev);
        free(case_no);
    }
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), n);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history WHERE actor <> 'escalation'"), 3L * n);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM dead_letters"), 0);
    return version;
}

/* Submits a sample and returns its case (caller decrefs). */
static json_t *s_submit_sample(const it_daemon_t *d, const char *name, const char *event_id)
{
    json_t *ev = s_sample(name);
    if (event_id) {
        json_object_set_new(ev, "event_id", json_string(event_id));
    }
    char *case_no = s_submit(d, ev);
    json_t *c = s_get(d, case_no);
    free(case_no);
    json_decref(ev);
    return c;
}

/* ---- the shipped rules ------------------------------------------------------------- */

static void test_shipped_samples(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, NULL, NULL);
    char *config_text = it_read_file(s_shipped(), NULL);
    IT_CHECK(config_text != NULL);
    char *version = s_run_table(&d, db, config_text, "## Under config/plaint.yaml", 20);

    /* A few of them in detail, by hand. */
    json_t *c;
    json_t *m;

    /* 01: a product-quality leak: Quality, R&D, the management
     * representative and the general manager (R13, R15). */
    c = s_submit_sample(&d, "01-washer-leak", "detail-01");
    IT_CHECK_STR(s_str(c, "kind"), "complaint");
    IT_CHECK_STR(s_str(c, "category"), "product_quality");
    IT_CHECK_STR(s_str(c, "severity"), "high");
    IT_CHECK(s_array_has_string(json_object_get(c, "tags"), "quality_abnormal"));
    IT_CHECK_STR(s_str(c, "department"), "quality");
    IT_CHECK_STR(s_str(c, "assignee"), "luo_min");
    IT_CHECK(s_array_has_string(json_object_get(c, "inform"), "management_rep"));
    IT_CHECK(s_array_has_string(json_object_get(c, "inform"), "general_manager"));
    IT_CHECK(s_array_has_string(json_object_get(c, "inform"), "rnd"));
    IT_CHECK_STR(s_str(c, "rules_version"), version);
    m = s_matched(c, "categories", "product_quality");
    IT_CHECK(m != NULL);
    if (!it_match(s_str(m, "why"), "keyword \"(漏水|渗水)\" in content")) {
        s_dump("why", json_object_get(m, "why"));
    }
    IT_CHECK(it_match(s_str(m, "why"), "keyword \"(漏水|渗水)\" in content"));
    IT_CHECK(s_matched(c, "routing", "product_quality") != NULL);
    json_decref(c);

    /* 03: a rude hotline operator, no kind given: a complaint about service
     * behaviour, for sales, taken by a regional head of the event's region
     * (north: zhang_wei is the only one). */
    c = s_submit_sample(&d, "03-rude-hotline", "detail-03");
    IT_CHECK_STR(s_str(c, "kind"), "complaint");
    IT_CHECK_STR(s_str(c, "category"), "service_behavior");
    IT_CHECK_STR(s_str(c, "department"), "sales");
    IT_CHECK_STR(s_str(c, "assignee"), "zhang_wei");
    IT_CHECK_STR(s_str(c, "region"), "north");
    IT_CHECK(s_array_has_string(json_object_get(c, "inform"), "sales_manager"));
    m = s_matched(c, "categories", "service_behavior");
    IT_CHECK(m != NULL && it_match(s_str(m, "why"), "keyword \"[^\"]+\" in content"));
    IT_CHECK_STR(s_str(s_history(c, "registered"), "actor"), "source:callcenter");
    json_decref(c);

    /* 05: a wrong shipment: shipping, Commerce, QA informed (R13, R17). */
    c = s_submit_sample(&d, "05-wrong-shipment", "detail-05");
    IT_CHECK_STR(s_str(c, "category"), "shipping");
    IT_CHECK_STR(s_str(c, "department"), "commerce");
    IT_CHECK_STR(s_str(c, "assignee"), "feng_xue");
    IT_CHECK(s_array_has_string(json_object_get(c, "inform"), "qa"));
    IT_CHECK(s_array_has_string(json_object_get(c, "tags"), "reply_24h"));
    m = s_matched(c, "categories", "shipping");
    IT_CHECK(m != NULL && it_match(s_str(m, "why"), "keyword \"(少发|发错)\" in content"));
    json_decref(c);

    /* 09: expectations only, no kind given: the kind rule makes it feedback. */
    c = s_submit_sample(&d, "09-feedback-suggestion", "detail-09");
    IT_CHECK_STR(s_str(c, "kind"), "feedback");
    IT_CHECK_STR(s_str(c, "department"), "sales");
    m = s_matched(c, "kind_rules", "expectation_only");
    IT_CHECK(m != NULL && it_match(s_str(m, "why"), "keyword \"(建议|希望以后能)\" in content"));
    json_t *registered = json_object_get(s_history(c, "registered"), "detail");
    IT_CHECK_STR(s_str(registered, "event_id"), "detail-09");
    json_decref(c);

    free(version);
    free(config_text);
    it_daemon_stop(&d);
    free(db);
}

/* Several service-behaviour cases from one region take turns among that
 * region's regional heads (east: li_na, zhou_jie, in directory order); the
 * turn is the routing rule's, so cases of other rules do not move it. */
static void test_round_robin(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, NULL, NULL);
    static const char *const want[] = {"li_na", "zhou_jie", "li_na", "zhou_jie", "li_na",
                                       "zhou_jie"};
    for (int i = 0; i < 6; i++) {
        char id[32];
        snprintf(id, sizeof id, "rr-%d", i);
        json_t *ev = s_event(id, "客服态度很差，说两句就挂了我电话", NULL, "east");
        char *case_no = s_submit(&d, ev);
        json_t *c = s_get(&d, case_no);
        IT_CHECK_STR(s_str(c, "category"), "service_behavior");
        IT_CHECK_STR(s_str(c, "department"), "sales");
        if (strcmp(s_str(c, "assignee") ? s_str(c, "assignee") : "", want[i]) != 0) {
            fprintf(stderr, "case %d of region east\n", i);
        }
        IT_CHECK_STR(s_str(c, "assignee"), want[i]);
        json_t *routed = json_object_get(s_history(c, "routed"), "detail");
        IT_CHECK_STR(s_str(routed, "strategy"), "round_robin");
        IT_CHECK_STR(s_str(routed, "assignee"), want[i]);
        json_decref(c);
        json_decref(ev);
        free(case_no);
        /* A case of another routing rule (staff_professional) between
         * them, from the same region, does not move this rotation. */
        if (i == 2) {
            json_t *other = s_event("rr-staff", "安装师傅没带工具，白跑一趟", NULL, "east");
            char *other_no = s_submit(&d, other);
            json_t *oc = s_get(&d, other_no);
            IT_CHECK_STR(s_str(oc, "category"), "staff_professional");
            IT_CHECK_STR(s_str(oc, "assignee"), "li_na");
            json_decref(oc);
            json_decref(other);
            free(other_no);
        }
    }
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases WHERE assignee = 'li_na'"), 4);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases WHERE assignee = 'zhou_jie'"), 3);
    it_daemon_stop(&d);
    free(db);
}

/*
 * Cases of one routing rule from two regions, interleaved: each region's
 * heads still take turns (east: li_na, zhou_jie; north has only zhang_wei).
 * A turn shared by the regions would give east's cases all to li_na.
 */
static void test_round_robin_regions(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, NULL, NULL);
    static const char *const want_east[] = {"li_na", "zhou_jie", "li_na", "zhou_jie"};
    for (int i = 0; i < 4; i++) {
        for (int r = 0; r < 2; r++) {
            char id[32];
            snprintf(id, sizeof id, "rr-%s-%d", r ? "north" : "east", i);
            json_t *ev = s_event(id, "客服态度很差，说两句就挂了我电话", NULL,
                                 r ? "north" : "east");
            char *case_no = s_submit(&d, ev);
            json_t *c = s_get(&d, case_no);
            IT_CHECK_STR(s_str(c, "category"), "service_behavior");
            const char *want = r ? "zhang_wei" : want_east[i];
            if (strcmp(s_str(c, "assignee") ? s_str(c, "assignee") : "", want) != 0) {
                fprintf(stderr, "case %d of region %s\n", i, r ? "north" : "east");
            }
            IT_CHECK_STR(s_str(c, "assignee"), want);
            json_decref(c);
            json_decref(ev);
            free(case_no);
        }
    }
    it_daemon_stop(&d);
    free(db);
}

/* ---- explain -------------------------------------------------------------------------- */

/* The fields of a decision that explain and every way to ask for it agree on. */
static void s_same_decision(const json_t *a, const json_t *b)
{
    static const char *const keys[] = {"rules_version", "kind", "category", "severity",
                                       "tags", "department", "inform", "matched_rules", NULL};
    for (const char *const *k = keys; *k; k++) {
        if (!json_equal(json_object_get(a, *k), json_object_get(b, *k))) {
            fprintf(stderr, "\"%s\" differs\n", *k);
            s_dump("one", json_object_get(a, *k));
            s_dump("other", json_object_get(b, *k));
        }
        IT_CHECK(json_equal(json_object_get(a, *k), json_object_get(b, *k)));
    }
}

static void test_explain(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, NULL, NULL);
    char *version = s_ping_rules_version(&d);

    json_t *first = s_event("ex-0", "洗衣机漏水", "complaint", "east");
    free(s_submit(&d, first));
    json_decref(first);
    long cases = it_sql_long(db, "SELECT count(*) FROM cases");
    long history = it_sql_long(db, "SELECT count(*) FROM case_history WHERE actor <> 'escalation'");
    IT_CHECK_INT(cases, 1);

    /* Explain a sample: the same decision a submit gives it, not stored. */
    json_t *ev = s_sample("01-washer-leak");
    json_t *x = s_explain(&d, ev);
    IT_CHECK_STR(s_str(x, "category"), "product_quality");
    IT_CHECK_STR(s_str(x, "department"), "quality");
    IT_CHECK_STR(s_str(x, "rules_version"), version);
    IT_CHECK(json_is_true(json_object_get(x, "kind_given")));
    IT_CHECK(json_is_array(json_object_get(x, "matched_rules")));
    /* Again: the same answer. */
    json_t *x2 = s_explain(&d, ev);
    s_same_decision(x, x2);
    json_decref(x2);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), cases);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history WHERE actor <> 'escalation'"), history);
    /* Its event_id was not used up: submitting it now makes a new case. */
    char *case_no = s_submit(&d, ev);
    json_t *c = s_get(&d, case_no);
    s_same_decision(x, c);
    json_decref(c);
    free(case_no);
    json_decref(x);
    cases++;
    history += 3;

    /* Without event_id. */
    json_t *bare = json_pack("{s:s, s:s}", "content", "客服态度很差，挂了我电话", "region", "east");
    x = s_explain(&d, bare);
    IT_CHECK_STR(s_str(x, "kind"), "complaint");
    IT_CHECK(json_is_false(json_object_get(x, "kind_given")));
    IT_CHECK_STR(s_str(x, "category"), "service_behavior");
    IT_CHECK_STR(s_str(x, "department"), "sales");
    /* Round robin: explain shows whose turn it is and does not take it. */
    IT_CHECK_STR(s_str(x, "assignee"), "li_na");
    json_decref(x);
    x = s_explain(&d, bare);
    IT_CHECK_STR(s_str(x, "assignee"), "li_na");
    json_object_set_new(bare, "event_id", json_string("ex-rr-1"));
    case_no = s_submit(&d, bare);
    c = s_get(&d, case_no);
    IT_CHECK_STR(s_str(c, "assignee"), "li_na");
    s_same_decision(x, c);
    json_decref(c);
    free(case_no);
    json_decref(x);
    json_object_del(bare, "event_id");
    x = s_explain(&d, bare);
    IT_CHECK_STR(s_str(x, "assignee"), "zhou_jie");
    json_decref(x);
    json_decref(bare);
    cases++;
    history += 3;
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), cases);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history WHERE actor <> 'escalation'"), history);

    /* An invalid event is refused, naming the field. */
    static const struct {
        const char *event;
        const char *field;
    } bad[] = {
        {"{\"event_id\":\"ex-bad-1\",\"content\":\"x\",\"channel\":\"pigeon\"}", "event.channel"},
        {"{\"event_id\":\"ex-bad-2\",\"region\":\"east\"}", "event.content"},
        {"{\"content\":\"x\",\"kind\":\"prophecy\"}", "event.kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *event = json_loads(bad[i].event, 0, NULL);
        IT_CHECK(event != NULL);
        json_t *reply = s_call(&d, json_pack("{s:s, s:o}", "op", "explain", "event", event));
        IT_CHECK(json_is_false(json_object_get(reply, "ok")));
        json_t *error = json_object_get(reply, "error");
        if (!s_str(error, "field") || strcmp(s_str(error, "field"), bad[i].field) != 0) {
            s_dump("reply", reply);
        }
        IT_CHECK_STR(s_str(error, "field"), bad[i].field);
        IT_CHECK(s_str(error, "message") != NULL);
        IT_CHECK(json_object_get(reply, "explain") == NULL);
        json_decref(reply);
    }
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), cases);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history WHERE actor <> 'escalation'"), history);

    /* Offline: plaintd --explain over the same file gives the same decision. */
    x = s_explain(&d, ev);
    const char *argv[] = {"plaintd", "--explain", "--config", s_shipped(), "--file",
                          s_src("config/examples/events/01-washer-leak.json"), NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(argv, NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "stdout: %s\nstderr: %s\n", out, err);
    }
    IT_CHECK_INT(rc, 0);
    json_t *offline = json_loads(out, 0, NULL);
    IT_CHECK(json_is_object(offline));
    IT_CHECK_STR(s_str(offline, "category"), "product_quality");
    IT_CHECK_STR(s_str(offline, "department"), "quality");
    IT_CHECK(json_is_false(json_object_get(offline, "stored")));
    s_same_decision(x, offline);
    json_decref(offline);
    free(out);
    free(err);

    /* The client: plaint explain --file F --json prints the daemon's explain. */
    const char *client[] = {"plaint", "--endpoint", d.ingest, "explain", "--file",
                            s_src("config/examples/events/01-washer-leak.json"), "--json", NULL};
    rc = it_run(client, NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "stdout: %s\nstderr: %s\n", out, err);
    }
    IT_CHECK_INT(rc, 0);
    json_t *by_client = json_loads(out, 0, NULL);
    if (!json_is_object(by_client)) {
        fprintf(stderr, "plaint explain --json printed: %s\n", out);
    }
    IT_CHECK(json_is_object(by_client));
    json_t *inner = json_object_get(by_client, "explain") ? json_object_get(by_client, "explain")
                                                           : by_client;
    s_same_decision(x, inner);
    json_decref(by_client);
    free(out);
    free(err);
    /* And for people. */
    const char *client_text[] = {"plaint", "--endpoint", d.ingest, "explain", "--file",
                                 s_src("config/examples/events/01-washer-leak.json"), NULL};
    rc = it_run(client_text, NULL, &out, &err);
    IT_CHECK_INT(rc, 0);
    if (!it_match(out, "(^|\n)category +product_quality\n") ||
        !it_match(out, "(^|\n)department +quality\n") ||
        !it_match(out, "keyword \"漏水\" in content")) {
        fprintf(stderr, "plaint explain printed:\n%s\n", out);
    }
    IT_CHECK(it_match(out, "(^|\n)category +product_quality\n"));
    IT_CHECK(it_match(out, "(^|\n)department +quality\n"));
    IT_CHECK(it_match(out, "keyword \"漏水\" in content"));
    free(out);
    free(err);
    json_decref(x);

    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), cases);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history WHERE actor <> 'escalation'"), history);
    json_decref(ev);
    free(version);
    it_daemon_stop(&d);
    free(db);
}

/*
 * The pool's "why" tells how the round-robin pick was made: it must name
 * the person explain gives as the assignee, also once the turn has moved
 * (docs/protocol.md: "round_robin picked \"zhang_wei\" (counter 0)").
 */
static void test_explain_pool_why(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, NULL, NULL);
    json_t *ev = s_event("why-0", "客服态度很差，挂了我电话", NULL, "east");
    for (int i = 0; i < 3; i++) {
        json_t *x = s_explain(&d, ev);
        const char *assignee = s_str(x, "assignee");
        IT_CHECK(assignee != NULL);
        const char *why = s_str(json_object_get(x, "pool"), "why");
        char want[128];
        snprintf(want, sizeof want, "round_robin picked \"%s\"", assignee);
        if (!why || !strstr(why, want)) {
            fprintf(stderr, "explain %d: assignee %s, but the pool says: %s\n", i, assignee,
                    why ? why : "(no why)");
        }
        IT_CHECK(why != NULL && strstr(why, want) != NULL);
        json_decref(x);
        char id[32];
        snprintf(id, sizeof id, "why-%d", i);
        json_object_set_new(ev, "event_id", json_string(id));
        free(s_submit(&d, ev));
    }
    json_decref(ev);
    it_daemon_stop(&d);
    free(db);
}

/* ---- reload --------------------------------------------------------------------------------- */

#define S_PQ_ROUTE "  - id: product_quality\n    when: {category: product_quality}\n"
#define S_PQ_QUALITY S_PQ_ROUTE "    department: quality\n"
#define S_PQ_ENGINEERING S_PQ_ROUTE "    department: engineering\n"
#define S_PQ_NOWHERE S_PQ_ROUTE "    department: nowhere_dept\n"

/* Submits a product-quality complaint and returns its case (caller decrefs). */
static json_t *s_leak_case(const it_daemon_t *d, const char *event_id)
{
    json_t *ev = s_event(event_id, "洗衣机漏水，地板都泡了", "complaint", "east");
    char *case_no = s_submit(d, ev);
    json_t *c = s_get(d, case_no);
    IT_CHECK_STR(s_str(c, "category"), "product_quality");
    s_check_history(c);
    json_decref(ev);
    free(case_no);
    return c;
}

static void s_check_leak_routed(const it_daemon_t *d, const char *event_id,
                                const char *department, const char *version)
{
    json_t *c = s_leak_case(d, event_id);
    IT_CHECK_STR(s_str(c, "department"), department);
    IT_CHECK_STR(s_str(c, "rules_version"), version);
    json_decref(c);
}

/* Waits (bounded) until ping reports `version`. */
static void s_wait_rules_version(const it_daemon_t *d, const char *version)
{
    char *now = NULL;
    for (int waited = 0; waited <= S_TIMEOUT_MS; waited += 50) {
        free(now);
        now = s_ping_rules_version(d);
        if (strcmp(now, version) == 0) {
            break;
        }
        it_sleep_ms(50);
    }
    IT_CHECK_STR(now, version);
    free(now);
}

/* Checks a refused reload reply: the errors name the file, line and column. */
static void s_check_refused(const json_t *reply, const char *path, int line, int column)
{
    IT_CHECK(json_is_false(json_object_get(reply, "ok")));
    IT_CHECK_STR(s_str(json_object_get(reply, "error"), "code"), "invalid_config");
    json_t *errors = json_object_get(reply, "errors");
    IT_CHECK(json_is_array(errors) && json_array_size(errors) >= 1);
    int found = 0;
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e) {
        IT_CHECK_STR(s_str(e, "file"), path);
        IT_CHECK(json_integer_value(json_object_get(e, "line")) > 0);
        IT_CHECK(json_integer_value(json_object_get(e, "column")) > 0);
        IT_CHECK(s_str(e, "message") != NULL);
        if (json_integer_value(json_object_get(e, "line")) == line &&
            json_integer_value(json_object_get(e, "column")) == column &&
            strstr(s_str(e, "message"), "nowhere_dept")) {
            found = 1;
            char where[1200];
            snprintf(where, sizeof where, "%s:%d:%d: ", path, line, column);
            IT_CHECK(strncmp(s_str(e, "text"), where, strlen(where)) == 0);
        }
    }
    if (!found) {
        fprintf(stderr, "no error at line %d, column %d about nowhere_dept\n", line, column);
        s_dump("reply", reply);
    }
    IT_CHECK(found);
}

static void test_reload(void)
{
    char *db = strdup(it_db_fresh());
    char *shipped = it_read_file(s_shipped(), NULL);
    IT_CHECK(shipped != NULL);
    char *bad = s_replace_once(shipped, S_PQ_QUALITY, S_PQ_NOWHERE);
    char *changed = s_replace_once(shipped, S_PQ_QUALITY, S_PQ_ENGINEERING);
    int bad_line = s_line_of(bad, "department: nowhere_dept");
    int bad_column = 17; /* "    department: " is 16 characters */
    char *v0 = s_sha256(db, shipped);
    char *v1 = s_sha256(db, changed);
    IT_CHECK(strcmp(v0, v1) != 0);

    char *path = it_temp_file("reload.yaml", shipped);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, path, NULL);
    char *version = s_ping_rules_version(&d);
    IT_CHECK_STR(version, v0);
    free(version);
    json_t *before = s_leak_case(&d, "rl-0");
    IT_CHECK_STR(s_str(before, "department"), "quality");
    char before_no[64];
    snprintf(before_no, sizeof before_no, "%s", s_str(before, "case_no"));
    json_decref(before);

    /* An invalid file: refused with file, line and column; nothing changes. */
    it_write_file(path, bad);
    json_t *reply = s_call(&d, json_pack("{s:s, s:i}", "op", "reload", "id", 7));
    s_check_refused(reply, path, bad_line, bad_column);
    IT_CHECK_INT(json_integer_value(json_object_get(reply, "id")), 7);
    json_decref(reply);
    version = s_ping_rules_version(&d);
    IT_CHECK_STR(version, v0);
    free(version);
    s_check_leak_routed(&d, "rl-1", "quality", v0);
    /* The client shows the same errors, and fails. */
    const char *client[] = {"plaint", "--endpoint", d.ingest, "reload", NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(client, NULL, &out, &err);
    char where[1200];
    snprintf(where, sizeof where, "%s:%d:%d: ", path, bad_line, bad_column);
    if (rc != 1 || !strstr(err, where)) {
        fprintf(stderr, "plaint reload: exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    }
    IT_CHECK_INT(rc, 1);
    IT_CHECK(strstr(err, where) != NULL);
    free(out);
    free(err);

    /* A file that cannot be read: refused, naming it; nothing changes. */
    IT_CHECK_INT(unlink(path), 0);
    reply = s_call(&d, json_pack("{s:s}", "op", "reload"));
    IT_CHECK(json_is_false(json_object_get(reply, "ok")));
    IT_CHECK_STR(s_str(json_object_get(reply, "error"), "code"), "invalid_config");
    json_t *first = json_array_get(json_object_get(reply, "errors"), 0);
    if (!first || !s_str(first, "file") || strcmp(s_str(first, "file"), path) != 0) {
        s_dump("reply", reply);
    }
    IT_CHECK_STR(s_str(first, "file"), path);
    IT_CHECK(s_str(first, "message") != NULL && strstr(s_str(first, "message"), "cannot open"));
    json_decref(reply);
    version = s_ping_rules_version(&d);
    IT_CHECK_STR(version, v0);
    free(version);

    /* A valid change: in force for new cases, with the new version. */
    it_write_file(path, changed);
    reply = s_call(&d, json_pack("{s:s}", "op", "reload"));
    s_check_ok(reply);
    IT_CHECK_STR(s_str(reply, "rules_version"), v1);
    json_decref(reply);
    version = s_ping_rules_version(&d);
    IT_CHECK_STR(version, v1);
    free(version);
    s_check_leak_routed(&d, "rl-2", "engineering", v1);
    json_t *ev = s_event("rl-x", "洗衣机漏水", "complaint", NULL);
    json_t *x = s_explain(&d, ev);
    IT_CHECK_STR(s_str(x, "department"), "engineering");
    IT_CHECK_STR(s_str(x, "rules_version"), v1);
    json_decref(x);
    json_decref(ev);
    /* The case decided before keeps its decision and version. */
    json_t *old = s_get(&d, before_no);
    IT_CHECK_STR(s_str(old, "department"), "quality");
    IT_CHECK_STR(s_str(old, "rules_version"), v0);
    s_check_history(old);
    json_decref(old);

    /* SIGHUP does the same: back to the shipped file... */
    it_write_file(path, shipped);
    IT_CHECK_INT(kill(d.pid, SIGHUP), 0);
    s_wait_rules_version(&d, v0);
    s_check_leak_routed(&d, "rl-3", "quality", v0);
    /* ...and an invalid file is refused, logged with its position. */
    it_write_file(path, bad);
    long refusals = ld_file_count(d.log, where); /* the earlier ones, by request */
    IT_CHECK(refusals >= 1);
    IT_CHECK_INT(kill(d.pid, SIGHUP), 0);
    int logged = 0;
    for (int waited = 0; !logged && waited < S_TIMEOUT_MS; waited += 20) {
        it_sleep_ms(20);
        logged = ld_file_count(d.log, where) > refusals;
    }
    if (!logged) {
        fprintf(stderr, "no new \"%s\" in the log\n", where);
        it_daemon_log_tail(&d, 20);
    }
    IT_CHECK(logged);
    IT_CHECK(it_daemon_alive(&d));
    version = s_ping_rules_version(&d);
    IT_CHECK_STR(version, v0);
    free(version);
    s_check_leak_routed(&d, "rl-4", "quality", v0);
    /* A valid change by SIGHUP. */
    it_write_file(path, changed);
    IT_CHECK_INT(kill(d.pid, SIGHUP), 0);
    s_wait_rules_version(&d, v1);
    s_check_leak_routed(&d, "rl-5", "engineering", v1);

    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), 6);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM dead_letters"), 0);
    it_daemon_stop(&d);
    free(path);
    free(v0);
    free(v1);
    free(bad);
    free(changed);
    free(shipped);
    free(db);
}

/* ---- reload under load --------------------------------------------------------------------- */

#define S_LOAD_EVENTS 3000
#define S_LOAD_RELOADS 5

/* One reload on a background thread while the publisher keeps sending. */
typedef struct s_reload_job {
    const it_daemon_t *d;
    const char *path;
    const char *text;
    const char *want; /* the version the reply must report */
    int ok;
    char got[128];
} s_reload_job_t;

static void s_reload_job(void *arg)
{
    s_reload_job_t *job = arg;
    it_write_file(job->path, job->text);
    json_t *request = json_pack("{s:s}", "op", "reload");
    json_t *reply = it_request_json(job->d->ingest, request, 20000);
    json_decref(request);
    job->ok = reply && json_is_true(json_object_get(reply, "ok")) &&
              s_str(reply, "rules_version") && strcmp(s_str(reply, "rules_version"), job->want) == 0;
    char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    snprintf(job->got, sizeof job->got, "%s", text ? text : "no reply");
    free(text);
    json_decref(reply);
}

static void test_reload_under_load(void)
{
    char *db = strdup(it_db_fresh());
    char *shipped = it_read_file(s_shipped(), NULL);
    IT_CHECK(shipped != NULL);
    /* load.h's events say "integration load event N": make that product
     * quality in both versions; A routes it to Quality, B to Engineering. */
    char *a = s_replace_once(shipped, "not cooling, not heating]",
                             "not cooling, not heating, integration load event]");
    char *b = s_replace_once(a, S_PQ_QUALITY, S_PQ_ENGINEERING);
    char *va = s_sha256(db, a);
    char *vb = s_sha256(db, b);
    IT_CHECK(strcmp(va, vb) != 0);
    char *path = it_temp_file("load.yaml", a);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, path, NULL);
    char *version = s_ping_rules_version(&d);
    IT_CHECK_STR(version, va);
    free(version);

    ld_t *p = ld_new(d.ingest, "rl-", S_LOAD_EVENTS, 4, 16, 40000);
    ld_set_timeout(p, 10000);
    for (int k = 0; k < S_LOAD_RELOADS; k++) {
        IT_CHECK(ld_run_until_acked(p, (k + 1) * S_LOAD_EVENTS / (S_LOAD_RELOADS + 1), 20000));
        s_reload_job_t job = {.d = &d, .path = path, .text = k % 2 ? a : b, .want = k % 2 ? va : vb};
        ld_bg_t bg;
        ld_bg_start(&bg, s_reload_job, &job);
        int done = ld_run_while_bg(p, &bg, 25000);
        if (!done || !job.ok) {
            ld_print(p, "reload");
            fprintf(stderr, "reload %d: %s\n", k, job.got);
        }
        IT_CHECK(done);
        IT_CHECK(job.ok);
    }
    int all = ld_run_until_acked(p, S_LOAD_EVENTS, 30000);
    ld_print(p, "reload under load");
    IT_CHECK(all);
    IT_CHECK_INT(p->acked, S_LOAD_EVENTS);
    IT_CHECK_INT(p->st.mismatches, 0);
    IT_CHECK_INT(p->st.other_errors, 0);
    IT_CHECK_INT(p->st.stray, 0);

    /* Stored exactly once, under the case number it was acknowledged with. */
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), S_LOAD_EVENTS);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(DISTINCT event_id) FROM cases WHERE source = 'it'"),
                 S_LOAD_EVENTS);
    /* "N CASE_NO" per line, N the event's number. */
    char *stored = it_sql(db, "SELECT string_agg(substr(event_id, 4) || ' ' || case_no, E'\\n') "
                              "FROM cases WHERE source = 'it' AND event_id LIKE 'rl-%'");
    static int seen[S_LOAD_EVENTS];
    memset(seen, 0, sizeof seen);
    long wrong = 0;
    for (char *line = stored; line && *line;) {
        char *end = strchr(line, '\n');
        if (end) {
            *end = '\0';
        }
        char *space = strchr(line, ' ');
        long n = space ? strtol(line, NULL, 10) : -1;
        int ok = n >= 0 && n < S_LOAD_EVENTS && !seen[n]++ &&
                 strcmp(space + 1, p->ev[n].case_no) == 0;
        if (!ok && wrong++ < 5) {
            fprintf(stderr, "stored rl-%s: not as acknowledged (%s)\n", line,
                    n >= 0 && n < S_LOAD_EVENTS ? p->ev[n].case_no : "?");
        }
        line = end ? end + 1 : line + strlen(line);
    }
    free(stored);
    IT_CHECK_INT(wrong, 0);
    long stored_once = 0;
    for (int i = 0; i < S_LOAD_EVENTS; i++) {
        stored_once += seen[i] == 1;
    }
    IT_CHECK_INT(stored_once, S_LOAD_EVENTS);

    /* Every case was decided by A or B, never by nothing or anything else,
     * and routed as the version it records dictates. */
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE rules_version IS NULL OR rules_version NOT IN "
             "('%s', '%s')",
             va, vb);
    IT_CHECK_INT(it_sql_long(db, sql), 0);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases WHERE category IS DISTINCT FROM "
                                 "'product_quality'"),
                 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE (rules_version = '%s' AND department IS DISTINCT "
             "FROM 'quality') OR (rules_version = '%s' AND department IS DISTINCT FROM "
             "'engineering')",
             va, vb);
    long misrouted = it_sql_long(db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE rules_version = '%s'", va);
    long under_a = it_sql_long(db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE rules_version = '%s'", vb);
    long under_b = it_sql_long(db, sql);
    printf("# %ld cases under A, %ld under B, %ld misrouted\n", under_a, under_b, misrouted);
    IT_CHECK_INT(misrouted, 0);
    /* Both versions decided cases (each was in force for a while). */
    IT_CHECK(under_a > 0 && under_b > 0);
    IT_CHECK_INT(under_a + under_b, S_LOAD_EVENTS);

    /* The history: registered, classified, routed, the last two with the
     * case's version (and the routed one with its department). */
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases c WHERE (SELECT string_agg(h.type, "
                                 "',' ORDER BY h.id) FROM case_history h WHERE h.case_id = c.id "
                                 "AND h.actor <> 'escalation') "
                                 "IS DISTINCT FROM 'registered,classified,routed'"),
                 0);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history h JOIN cases c ON c.id = "
                                 "h.case_id WHERE h.type IN ('classified', 'routed') AND "
                                 "h.detail->>'rules_version' IS DISTINCT FROM c.rules_version"),
                 0);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM case_history h JOIN cases c ON c.id = "
                                 "h.case_id WHERE h.type = 'routed' AND "
                                 "h.detail->>'department' IS DISTINCT FROM c.department"),
                 0);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM dead_letters"), 0);
    ld_free(p);
    it_daemon_stop(&d);
    free(path);
    free(va);
    free(vb);
    free(a);
    free(b);
    free(shipped);
    free(db);
}

/* ---- config/examples/property.yaml ------------------------------------------------------- */

static void test_property(void)
{
    char *db = strdup(it_db_fresh());
    const char *config = s_src("config/examples/property.yaml");
    char *text = it_read_file(config, NULL);
    IT_CHECK(text != NULL);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, config, NULL);
    char *version = s_run_table(&d, db, text, "## Under config/examples/property.yaml", 6);

    /* 电梯困人, a stated repair: an important repair and an emergency; the
     * estate's supervisor takes it (R3, R5). */
    json_t *c = s_submit_sample(&d, "11-lift-trapped", "prop-11");
    IT_CHECK_STR(s_str(c, "kind"), "repair");
    IT_CHECK(s_array_has_string(json_object_get(c, "tags"), "repair_important"));
    IT_CHECK_STR(s_str(c, "assignee"), "he_wei"); /* supervisor of 翠湖苑 */
    IT_CHECK_STR(s_str(c, "rules_version"), version);
    json_decref(c);

    /* An important repair that is no emergency: the supervisor follows it
     * up, customer service and the technicians are informed (R3). */
    json_t *ev = s_event("prop-water", "家里停水了，请派人来看看", "repair", "翠湖苑");
    char *case_no = s_submit(&d, ev);
    c = s_get(&d, case_no);
    IT_CHECK(s_array_has_string(json_object_get(c, "tags"), "repair_important"));
    IT_CHECK(s_matched(c, "routing", "repair_important") != NULL);
    IT_CHECK_STR(s_str(c, "department"), "engineering");
    IT_CHECK_STR(s_str(c, "assignee"), "he_wei");
    IT_CHECK(s_array_has_string(json_object_get(c, "inform"), "service_center"));
    s_check_history(c);
    json_decref(c);
    free(case_no);
    json_decref(ev);

    /* A general repair (the kind decided by the kind rule): the estate's
     * property administrator (锦绣花园: lin_xiao). */
    c = s_submit_sample(&d, "12-tap-repair", "prop-12");
    IT_CHECK_STR(s_str(c, "kind"), "repair");
    IT_CHECK(s_array_has_string(json_object_get(c, "tags"), "repair_general"));
    IT_CHECK(s_matched(c, "routing", "repair_general") != NULL);
    IT_CHECK_STR(s_str(c, "assignee"), "lin_xiao");
    IT_CHECK(json_array_size(json_object_get(c, "inform")) == 0);
    json_decref(c);

    free(version);
    free(text);
    it_daemon_stop(&d);
    free(db);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"shipped_samples", test_shipped_samples},
        {"round_robin", test_round_robin},
        {"explain", test_explain},
        {"reload", test_reload},
        {"reload_under_load", test_reload_under_load},
        {"property", test_property},
        /* These two caught router bugs (see their comments); they come last
         * so that a failure there does not hide the others. */
        {"round_robin_regions", test_round_robin_regions},
        {"explain_pool_why", test_explain_pool_why},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
