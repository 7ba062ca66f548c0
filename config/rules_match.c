/*
 * rules_match.c: what conditions do once loaded: their canonical text (for
 * the "identical condition" check), whether they mention a kind or category
 * (for the routing coverage check), evaluation against an event, and the
 * explanation of why one held.
 *
 * Keyword conditions are not searched one by one: the loader gives every
 * keyword an entry in the snapshot's single Aho-Corasick automaton, and the
 * first keyword condition evaluated for an event scans each searched field
 * once, setting one bit per keyword condition that some keyword hit (in one
 * of that condition's fields). Every later keyword condition is a bit test.
 */
#include "config/rules_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- canonical text and mentions ---------------------------------------------------------- */

static int s_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the sorted, de-duplicated strings joined by '\x1f'. Keywords are
 * compared lower-cased (ASCII), as the automaton does. */
static void s_canonical_set(const char *const *values, size_t count, bool fold, pl_buf_t *buf)
{
    char **copy = calloc(count ? count : 1, sizeof *copy);
    if (!copy) {
        buf->failed = true;
        return;
    }
    for (size_t i = 0; i < count; i++) {
        copy[i] = strdup(values[i]);
        if (!copy[i]) {
            buf->failed = true;
            count = i;
            break;
        }
        for (char *p = copy[i]; fold && *p; p++) {
            if (*p >= 'A' && *p <= 'Z') {
                *p = (char)(*p + 32);
            }
        }
    }
    qsort(copy, count, sizeof *copy, s_cmp_str);
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || strcmp(copy[i], copy[i - 1]) != 0) {
            pl_buf_puts(buf, copy[i]);
            pl_buf_add(buf, "\x1f", 1);
        }
    }
    for (size_t i = 0; i < count; i++) {
        free(copy[i]);
    }
    free(copy);
}

void pl__cond_canonical(const pl__cond_t *cond, pl_buf_t *buf)
{
    switch (cond->op) {
    case PL__C_ALL:
    case PL__C_ANY: {
        /* Order of children does not matter: sort their texts. */
        char **texts = calloc(cond->children_count, sizeof *texts);
        if (!texts) {
            buf->failed = true;
            return;
        }
        for (size_t i = 0; i < cond->children_count; i++) {
            pl_buf_t child = {0};
            pl__cond_canonical(cond->children[i], &child);
            if (child.failed || !child.data) {
                buf->failed = true;
            }
            texts[i] = child.data;
        }
        if (!buf->failed) {
            pl_buf_puts(buf, cond->op == PL__C_ALL ? "all(" : "any(");
            s_canonical_set((const char *const *)texts, cond->children_count, false, buf);
            pl_buf_puts(buf, ")");
        }
        for (size_t i = 0; i < cond->children_count; i++) {
            free(texts[i]);
        }
        free(texts);
        return;
    }
    case PL__C_NOT:
        pl_buf_puts(buf, "not(");
        pl__cond_canonical(cond->children[0], buf);
        pl_buf_puts(buf, ")");
        return;
    case PL__C_KEYWORDS:
        pl_buf_printf(buf, "kw[%llx]{", (unsigned long long)cond->kw_fields);
        s_canonical_set(cond->values, cond->values_count, true, buf);
        pl_buf_puts(buf, "}");
        return;
    case PL__C_REGEX:
        pl_buf_printf(buf, "re[%s,%d]{%s}", cond->field.name, cond->icase, cond->pattern);
        return;
    case PL__C_IN:
        pl_buf_printf(buf, "in[%s]{", cond->field.name);
        s_canonical_set(cond->values, cond->values_count, false, buf);
        pl_buf_puts(buf, "}");
        return;
    case PL__C_PRESENT:
    case PL__C_ABSENT:
        pl_buf_printf(buf, "%s[%s]", cond->op == PL__C_PRESENT ? "present" : "absent",
                      cond->field.name);
        return;
    case PL__C_NUMERIC:
        pl_buf_printf(buf, "num[%s]{", cond->field.name);
        if (cond->bounds & PL__GT)
            pl_buf_printf(buf, "gt=%.17g;", cond->gt);
        if (cond->bounds & PL__GTE)
            pl_buf_printf(buf, "gte=%.17g;", cond->gte);
        if (cond->bounds & PL__LT)
            pl_buf_printf(buf, "lt=%.17g;", cond->lt);
        if (cond->bounds & PL__LTE)
            pl_buf_printf(buf, "lte=%.17g;", cond->lte);
        if (cond->bounds & PL__EQ)
            pl_buf_printf(buf, "eq=%.17g;", cond->eq);
        pl_buf_puts(buf, "}");
        return;
    case PL__C_TAGS: {
        /* Tag ids are indices: print them as a sorted set. */
        uint32_t *ids = malloc((cond->values_count ? cond->values_count : 1) * sizeof *ids);
        if (!ids) {
            buf->failed = true;
            return;
        }
        memcpy(ids, cond->tag_ids, cond->values_count * sizeof *ids);
        qsort(ids, cond->values_count, sizeof *ids, s_cmp_u32);
        pl_buf_puts(buf, "tags{");
        for (size_t i = 0; i < cond->values_count; i++) {
            if (i == 0 || ids[i] != ids[i - 1]) {
                pl_buf_uint(buf, ids[i]);
                pl_buf_puts(buf, ",");
            }
        }
        pl_buf_puts(buf, "}");
        free(ids);
        return;
    }
    case PL__C_MIN_SEVERITY:
        pl_buf_printf(buf, "minsev{%d}", cond->severity);
        return;
    }
}

bool pl__cond_mentions(const pl__cond_t *cond, pl__field_kind_t kind, const char *value)
{
    if (!cond) {
        return false;
    }
    if (cond->op == PL__C_IN && cond->field.kind == kind) {
        for (size_t i = 0; i < cond->values_count; i++) {
            if (strcmp(cond->values[i], value) == 0) {
                return true;
            }
        }
    }
    for (size_t i = 0; i < cond->children_count; i++) {
        if (pl__cond_mentions(cond->children[i], kind, value)) {
            return true;
        }
    }
    return false;
}

/* ---- evaluation --------------------------------------------------------------------------- */

void pl__eval_init(pl__eval_t *ctx, const pl_rules_t *rules, const pl_event_t *ev, int phase,
                   uint64_t *kw_bits_stack, size_t kw_bits_words, pl__hit_t *hits_stack,
                   size_t hits_cap)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->rules = rules;
    ctx->ev = ev;
    ctx->json = pl_event_json(ev);
    ctx->phase = phase;
    ctx->category_index = -1;
    size_t words = (rules->kw_conds_count + 63) / 64;
    if (words <= kw_bits_words) {
        ctx->kw_bits = kw_bits_stack;
        memset(ctx->kw_bits, 0, words * sizeof *ctx->kw_bits);
    } else {
        ctx->kw_bits = calloc(words, sizeof *ctx->kw_bits);
        ctx->kw_bits_heap = ctx->kw_bits != NULL;
        ctx->failed = ctx->kw_bits == NULL;
    }
    ctx->hits = hits_stack;
    ctx->hits_cap = hits_stack ? hits_cap : 0;
}

void pl__eval_fini(pl__eval_t *ctx)
{
    if (ctx->hits_heap) {
        free(ctx->hits);
    }
    if (ctx->kw_bits_heap) {
        free(ctx->kw_bits);
    }
    ctx->hits = NULL;
    ctx->kw_bits = NULL;
}

static const json_t *s_lookup(const pl__eval_t *ctx, const pl__field_t *field)
{
    const json_t *cur = ctx->json;
    for (size_t i = 0; i < field->parts_count && cur; i++) {
        cur = json_object_get(cur, field->parts[i]);
    }
    return cur;
}

/* The text of an event string field and its length, or NULL. */
static const char *s_text_size(const pl__eval_t *ctx, const pl__field_t *field, size_t *size)
{
    const json_t *v = s_lookup(ctx, field);
    if (!json_is_string(v)) {
        return NULL;
    }
    const char *s = json_string_value(v);
    *size = json_string_length(v);
    /* Strings with a NUL inside (possible only under attributes; the event
     * validator refuses them elsewhere) are not text. */
    if (field->is_attribute && memchr(s, '\0', *size)) {
        return NULL;
    }
    return s;
}

static const char *s_text(const pl__eval_t *ctx, const pl__field_t *field)
{
    size_t size;
    return s_text_size(ctx, field, &size);
}

static int s_on_match(uint32_t id, size_t end, void *arg)
{
    (void)end;
    pl__eval_t *ctx = arg;
    const pl_rules_t *rules = ctx->rules;
    if (id >= rules->kw_entries_count) {
        return 0;
    }
    uint32_t cond = rules->kw_entries[id].cond;
    uint64_t bit = UINT64_C(1) << (cond % 64);
    if ((ctx->kw_bits[cond / 64] & bit) ||
        !(rules->kw_cond_fields[cond] & (UINT64_C(1) << ctx->scan_field))) {
        return 0;
    }
    ctx->kw_bits[cond / 64] |= bit;
    if (ctx->hits_count == ctx->hits_cap) {
        size_t cap = ctx->hits_cap ? ctx->hits_cap * 2 : 16;
        pl__hit_t *hits =
            ctx->hits_heap ? realloc(ctx->hits, cap * sizeof *hits) : malloc(cap * sizeof *hits);
        if (!hits) {
            ctx->failed = true;
            return 0;
        }
        if (!ctx->hits_heap && ctx->hits_count) {
            memcpy(hits, ctx->hits, ctx->hits_count * sizeof *hits);
        }
        ctx->hits = hits;
        ctx->hits_cap = cap;
        ctx->hits_heap = true;
    }
    ctx->hits[ctx->hits_count++] = (pl__hit_t){cond, id, ctx->scan_field};
    return 0;
}

void pl__eval_scan(pl__eval_t *ctx)
{
    const pl_rules_t *rules = ctx->rules;
    if (ctx->scanned) {
        return;
    }
    ctx->scanned = true;
    if (!rules->ac || ctx->failed) {
        return;
    }
    uint64_t fields = rules->scan_fields[ctx->phase];
    for (uint32_t f = 0; f < rules->kw_fields_count; f++) {
        if (!(fields & (UINT64_C(1) << f))) {
            continue;
        }
        size_t size = 0;
        const char *text = s_text_size(ctx, &rules->kw_fields[f], &size);
        if (text && size) {
            ctx->scan_field = f;
            pl_ac_scan(rules->ac, text, size, s_on_match, ctx);
        }
    }
}

/* The value of a field as text, for equals; `scratch` holds numbers. */
static const char *s_value_text(const pl__eval_t *ctx, const pl__field_t *field, char *scratch,
                                size_t size)
{
    switch (field->kind) {
    case PL__F_KIND:
        return ctx->kind;
    case PL__F_CATEGORY:
        return ctx->category;
    case PL__F_SEVERITY:
        return ctx->severity >= 0 ? pl_rules_severities[ctx->severity] : NULL;
    case PL__F_TAGS:
        return NULL;
    case PL__F_EVENT:
        break;
    }
    const json_t *v = s_lookup(ctx, field);
    if (!v) {
        return NULL;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        return s_text(ctx, field);
    case JSON_INTEGER:
        snprintf(scratch, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return scratch;
    case JSON_REAL:
        snprintf(scratch, size, "%.17g", json_real_value(v));
        return scratch;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL;
    }
}

static bool s_has_any_tag(const pl__eval_t *ctx)
{
    for (size_t i = 0; i < ctx->rules->tags_count; i++) {
        if (ctx->tags_on[i]) {
            return true;
        }
    }
    return false;
}

static bool s_present(const pl__eval_t *ctx, const pl__field_t *field)
{
    switch (field->kind) {
    case PL__F_KIND:
    case PL__F_SEVERITY:
        return true;
    case PL__F_CATEGORY:
        return ctx->category != NULL;
    case PL__F_TAGS:
        return s_has_any_tag(ctx);
    case PL__F_EVENT:
        break;
    }
    const json_t *v = s_lookup(ctx, field);
    if (!v) {
        return false;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_NULL:
        return false;
    default:
        return v != NULL;
    }
}

/* The field as a number: a JSON number or a string holding one. */
static bool s_number_of(const pl__eval_t *ctx, const pl__field_t *field, double *out)
{
    const json_t *v = s_lookup(ctx, field);
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return true;
    }
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || !*s || s[0] == ' ' || strchr(s, 'x') || strchr(s, 'X')) {
        return false;
    }
    char *end;
    double value = strtod(s, &end);
    if (*end != '\0' || !isfinite(value)) {
        return false;
    }
    *out = value;
    return true;
}

static bool s_numeric_holds(const pl__cond_t *cond, double x)
{
    unsigned b = cond->bounds;
    return !((b & PL__GT) && !(x > cond->gt)) && !((b & PL__GTE) && !(x >= cond->gte)) &&
           !((b & PL__LT) && !(x < cond->lt)) && !((b & PL__LTE) && !(x <= cond->lte)) &&
           !((b & PL__EQ) && !(x == cond->eq));
}

bool pl__cond_eval(pl__eval_t *ctx, const pl__cond_t *cond)
{
    switch (cond->op) {
    case PL__C_ALL:
        for (size_t i = 0; i < cond->children_count; i++) {
            if (!pl__cond_eval(ctx, cond->children[i])) {
                return false;
            }
        }
        return true;
    case PL__C_ANY:
        for (size_t i = 0; i < cond->children_count; i++) {
            if (pl__cond_eval(ctx, cond->children[i])) {
                return true;
            }
        }
        return false;
    case PL__C_NOT:
        return !pl__cond_eval(ctx, cond->children[0]);
    case PL__C_KEYWORDS:
        pl__eval_scan(ctx);
        if (!ctx->kw_bits) {
            return false;
        }
        return (ctx->kw_bits[cond->kw_index / 64] >> (cond->kw_index % 64)) & 1;
    case PL__C_REGEX: {
        const char *text = s_text(ctx, &cond->field);
        return text && regexec(cond->regex, text, 0, NULL, 0) == 0;
    }
    case PL__C_IN: {
        if (cond->value_ids) {
            for (size_t i = 0; i < cond->values_count; i++) {
                if ((long)cond->value_ids[i] == ctx->category_index) {
                    return true;
                }
            }
            return false;
        }
        char scratch[64];
        const char *text = s_value_text(ctx, &cond->field, scratch, sizeof scratch);
        for (size_t i = 0; text && i < cond->values_count; i++) {
            if (strcmp(text, cond->values[i]) == 0) {
                return true;
            }
        }
        return false;
    }
    case PL__C_PRESENT:
        return s_present(ctx, &cond->field);
    case PL__C_ABSENT:
        return !s_present(ctx, &cond->field);
    case PL__C_NUMERIC: {
        double x;
        return s_number_of(ctx, &cond->field, &x) && s_numeric_holds(cond, x);
    }
    case PL__C_TAGS:
        for (size_t i = 0; i < cond->values_count; i++) {
            if (ctx->tags_on[cond->tag_ids[i]]) {
                return true;
            }
        }
        return false;
    case PL__C_MIN_SEVERITY:
        return ctx->severity >= cond->severity;
    }
    return false;
}

/* ---- explanations ------------------------------------------------------------------------- */

static void s_bounds_text(const pl__cond_t *cond, pl_buf_t *buf)
{
    static const struct {
        unsigned bit;
        const char *op;
    } ops[] = {{PL__GT, ">"}, {PL__GTE, ">="}, {PL__LT, "<"}, {PL__LTE, "<="}, {PL__EQ, "="}};
    const double values[] = {cond->gt, cond->gte, cond->lt, cond->lte, cond->eq};
    bool first = true;
    for (size_t i = 0; i < 5; i++) {
        if (cond->bounds & ops[i].bit) {
            pl_buf_printf(buf, "%s%s %.15g", first ? "" : " and ", ops[i].op, values[i]);
            first = false;
        }
    }
}

/* Lists up to 8 strings as [a, b, ...]. */
static void s_list_text(const char *const *values, size_t count, pl_buf_t *buf)
{
    pl_buf_puts(buf, "[");
    for (size_t i = 0; i < count && i < 8; i++) {
        pl_buf_printf(buf, "%s\"%s\"", i ? ", " : "", values[i]);
    }
    if (count > 8) {
        pl_buf_printf(buf, ", ... (%zu in all)", count);
    }
    pl_buf_puts(buf, "]");
}

static void s_describe_child(const pl_rules_t *rules, const pl__cond_t *child, pl_buf_t *buf)
{
    bool group = child->op == PL__C_ALL || child->op == PL__C_ANY;
    if (group) {
        pl_buf_puts(buf, "(");
    }
    pl__cond_describe(rules, child, buf);
    if (group) {
        pl_buf_puts(buf, ")");
    }
}

void pl__cond_describe(const pl_rules_t *rules, const pl__cond_t *cond, pl_buf_t *buf)
{
    switch (cond->op) {
    case PL__C_ALL:
    case PL__C_ANY:
        for (size_t i = 0; i < cond->children_count; i++) {
            if (i) {
                pl_buf_puts(buf, cond->op == PL__C_ALL ? " and " : " or ");
            }
            s_describe_child(rules, cond->children[i], buf);
        }
        return;
    case PL__C_NOT:
        pl_buf_puts(buf, "not (");
        pl__cond_describe(rules, cond->children[0], buf);
        pl_buf_puts(buf, ")");
        return;
    case PL__C_KEYWORDS: {
        pl_buf_puts(buf, cond->values_count == 1 ? "keyword " : "a keyword of ");
        if (cond->values_count == 1) {
            pl_buf_printf(buf, "\"%s\"", cond->values[0]);
        } else {
            s_list_text(cond->values, cond->values_count, buf);
        }
        pl_buf_puts(buf, " in ");
        bool first = true;
        for (size_t f = 0; f < rules->kw_fields_count; f++) {
            if (cond->kw_fields & (UINT64_C(1) << f)) {
                pl_buf_printf(buf, "%s%s", first ? "" : " or ", rules->kw_fields[f].name);
                first = false;
            }
        }
        return;
    }
    case PL__C_REGEX:
        pl_buf_printf(buf, "%s matches /%s/%s", cond->field.name, cond->pattern,
                      cond->icase ? "i" : "");
        return;
    case PL__C_IN:
        if (cond->values_count == 1) {
            pl_buf_cat(buf, cond->field.name, " is \"", cond->values[0], "\"", NULL);
        } else {
            pl_buf_printf(buf, "%s is one of ", cond->field.name);
            s_list_text(cond->values, cond->values_count, buf);
        }
        return;
    case PL__C_PRESENT:
        pl_buf_cat(buf, cond->field.name, " is present", NULL);
        return;
    case PL__C_ABSENT:
        pl_buf_cat(buf, cond->field.name, " is absent", NULL);
        return;
    case PL__C_NUMERIC:
        pl_buf_printf(buf, "%s ", cond->field.name);
        s_bounds_text(cond, buf);
        return;
    case PL__C_TAGS: {
        pl_buf_puts(buf, cond->values_count == 1 ? "tag " : "a tag of [");
        for (size_t i = 0; i < cond->values_count && i < 8; i++) {
            pl_buf_printf(buf, "%s\"%s\"", i ? ", " : "", rules->tags[cond->tag_ids[i]].id);
        }
        if (cond->values_count > 1) {
            pl_buf_puts(buf, cond->values_count > 8 ? ", ...]" : "]");
        }
        return;
    }
    case PL__C_MIN_SEVERITY:
        pl_buf_cat(buf, "severity >= ", pl_rules_severities[cond->severity], NULL);
        return;
    }
}

void pl__cond_why(pl__eval_t *ctx, const pl__cond_t *cond, pl_buf_t *buf)
{
    const pl_rules_t *rules = ctx->rules;
    switch (cond->op) {
    case PL__C_ALL:
        for (size_t i = 0; i < cond->children_count; i++) {
            if (i) {
                pl_buf_puts(buf, " and ");
            }
            pl__cond_why(ctx, cond->children[i], buf);
        }
        return;
    case PL__C_ANY:
        for (size_t i = 0; i < cond->children_count; i++) {
            if (pl__cond_eval(ctx, cond->children[i])) {
                pl__cond_why(ctx, cond->children[i], buf);
                return;
            }
        }
        return;
    case PL__C_NOT:
    case PL__C_PRESENT:
    case PL__C_ABSENT:
    case PL__C_REGEX:
        pl__cond_describe(rules, cond, buf);
        return;
    case PL__C_KEYWORDS:
        for (size_t i = 0; i < ctx->hits_count; i++) {
            const pl__hit_t *hit = &ctx->hits[i];
            if (hit->cond == cond->kw_index) {
                pl_buf_cat(buf, "keyword \"", rules->kw_entries[hit->entry].text, "\" in ",
                           rules->kw_fields[hit->field].name, NULL);
                return;
            }
        }
        pl__cond_describe(rules, cond, buf);
        return;
    case PL__C_IN: {
        char scratch[64];
        const char *text = s_value_text(ctx, &cond->field, scratch, sizeof scratch);
        pl_buf_cat(buf, cond->field.name, " is \"", text ? text : "", "\"", NULL);
        return;
    }
    case PL__C_NUMERIC: {
        double x = 0;
        s_number_of(ctx, &cond->field, &x);
        pl_buf_printf(buf, "%s = %.15g (", cond->field.name, x);
        s_bounds_text(cond, buf);
        pl_buf_puts(buf, ")");
        return;
    }
    case PL__C_TAGS:
        for (size_t i = 0; i < cond->values_count; i++) {
            if (ctx->tags_on[cond->tag_ids[i]]) {
                pl_buf_cat(buf, "tag \"", rules->tags[cond->tag_ids[i]].id, "\"", NULL);
                return;
            }
        }
        return;
    case PL__C_MIN_SEVERITY:
        pl_buf_cat(buf, "severity ", pl_rules_severities[ctx->severity],
                   " >= ", pl_rules_severities[cond->severity], NULL);
        return;
    }
}
