/*
 * rules_eval.c: classifying and routing an event under a snapshot, and the
 * JSON forms of the results. Both entry points are pure: everything they
 * write lives on their stack or in `out`, so any number of threads may use
 * one snapshot at once.
 *
 * Explanations ("why") are built only for the rules that fired, after the
 * decision: deciding costs bit tests and string compares, explaining costs
 * allocations.
 */
#include "config/rules_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scratch sizes kept on the stack; larger snapshots allocate. */
enum { S_BITS_WORDS = 64, S_HITS = 128, S_TAGS = 256 };

static char *s_dup(const char *s, bool *ok)
{
    if (!s) {
        return NULL;
    }
    char *copy = strdup(s);
    *ok = *ok && copy;
    return copy;
}

static void s_free_list(char **list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        free(list[i]);
    }
    free(list);
}

void pl_classification_clear(pl_classification_t *cls)
{
    if (!cls) {
        return;
    }
    free(cls->kind);
    free(cls->category);
    free(cls->severity);
    s_free_list(cls->tags, cls->tags_count);
    json_decref(cls->matched);
    memset(cls, 0, sizeof *cls);
}

void pl_route_clear(pl_route_t *route)
{
    if (!route) {
        return;
    }
    free(route->department);
    free(route->assignee);
    free(route->pool_role);
    free(route->pool_region);
    free(route->pool_strategy);
    s_free_list(route->candidates, route->candidates_count);
    s_free_list(route->inform, route->inform_count);
    free(route->rule);
    free(route->pool_why);
    json_decref(route->matched);
    memset(route, 0, sizeof *route);
}

/* Appends {"section","rule","why"} with the why of `cond` (NULL: `fixed`). */
static bool s_add_match(pl__eval_t *ctx, json_t *matched, const char *section, const char *rule,
                        const pl__cond_t *cond, const char *fixed)
{
    pl_buf_t why = {0};
    if (cond) {
        pl__cond_why(ctx, cond, &why);
    } else {
        pl_buf_puts(&why, fixed);
    }
    /* Ids, section names and keywords came through the YAML reader and
     * event values through the event validator: all valid UTF-8, so the
     * (measurable) re-validation of json_string is skipped. */
    json_t *item = why.failed ? NULL : json_object();
    bool ok =
        item && json_object_set_new_nocheck(item, "section", json_string_nocheck(section)) == 0 &&
        json_object_set_new_nocheck(item, "rule", json_string_nocheck(rule ? rule : "")) == 0 &&
        json_object_set_new_nocheck(item, "why", json_string_nocheck(why.data ? why.data : "")) ==
            0;
    pl_buf_free(&why);
    if (!ok) {
        json_decref(item);
        return false;
    }
    return json_array_append_new(matched, item) == 0;
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The index of the first category whose match holds (categories_count if
 * none). Same result as trying each in order, faster: a "plain" category
 * (one keyword condition) holds exactly when the scan hit its condition, so
 * the first plain one that holds is the lowest among the hits; only the
 * other categories before it need evaluating.
 */
static size_t s_first_category(pl__eval_t *ctx)
{
    const pl_rules_t *rules = ctx->rules;
    size_t best = rules->categories_count;
    if (rules->has_plain_categories) {
        pl__eval_scan(ctx);
        for (size_t i = 0; i < ctx->hits_count; i++) {
            int32_t c = rules->kw_cond_category[ctx->hits[i].cond];
            if (c >= 0 && (size_t)c < best) {
                best = (size_t)c;
            }
        }
    }
    for (size_t i = 0; i < rules->slow_categories_count; i++) {
        size_t c = rules->slow_categories[i];
        if (c >= best) {
            break;
        }
        const pl__cond_t *match = rules->categories[c].match;
        if (!match || pl__cond_eval(ctx, match)) {
            return c;
        }
    }
    return best;
}

/* The index of the first routing rule whose `when` holds (routes_count if
 * none), by the same shortcut: a rule whose `when` is only `category: ...`
 * holds exactly for its categories. */
static size_t s_first_route(pl__eval_t *ctx)
{
    const pl_rules_t *rules = ctx->rules;
    size_t best = rules->routes_count;
    if (ctx->category_index >= 0 && rules->category_route &&
        rules->category_route[ctx->category_index] >= 0) {
        best = (size_t)rules->category_route[ctx->category_index];
    }
    for (size_t i = 0; i < rules->slow_routes_count; i++) {
        size_t r = rules->slow_routes[i];
        if (r >= best) {
            break;
        }
        const pl__cond_t *when = rules->routes[r].when;
        if (!when || pl__cond_eval(ctx, when)) {
            return r;
        }
    }
    return best;
}

int pl_rules_classify(const pl_rules_t *rules, const pl_event_t *ev, bool kind_given,
                      pl_classification_t *out)
{
    memset(out, 0, sizeof *out);
    uint64_t bits[S_BITS_WORDS];
    pl__hit_t hits[S_HITS];
    uint8_t tags_stack[S_TAGS] = {0};
    uint8_t *tags_on = tags_stack;
    if (rules->tags_count > S_TAGS) {
        tags_on = calloc(rules->tags_count, 1);
        if (!tags_on) {
            return PL_ENOMEM;
        }
    }
    pl__eval_t ctx;
    pl__eval_init(&ctx, rules, ev, PL__PHASE_CLASSIFY, bits, S_BITS_WORDS, hits, S_HITS);
    ctx.kind = pl_event_kind(ev);
    ctx.severity = rules->default_severity;
    ctx.tags_on = tags_on;
    json_t *matched = json_array();
    bool ok = matched != NULL;

    /* The kind: the event's own, unless it gave none and a kind rule says. */
    for (size_t i = 0; ok && !kind_given && i < rules->kind_rules_count; i++) {
        const pl__kind_rule_t *rule = &rules->kind_rules[i];
        if (pl__cond_eval(&ctx, rule->match)) {
            ctx.kind = rule->kind;
            ok = s_add_match(&ctx, matched, "kind_rules", rule->id, rule->match, NULL);
            break;
        }
    }

    /* The category: the first that matches, else the default. */
    const pl__category_t *category = NULL;
    size_t first = s_first_category(&ctx);
    if (ok && first < rules->categories_count) {
        category = &rules->categories[first];
        ok = s_add_match(&ctx, matched, "categories", category->id, category->match,
                         "catch-all category (no match)");
    }
    if (ok && !category && rules->default_category >= 0) {
        category = &rules->categories[rules->default_category];
        ok = s_add_match(&ctx, matched, "categories", category->id, NULL,
                         "default category: no category matched");
    }
    if (category) {
        ctx.category = category->id;
        ctx.category_index = category - rules->categories;
        if (category->severity >= 0) {
            ctx.severity = category->severity;
        }
        for (size_t i = 0; i < category->tags_count; i++) {
            uint32_t id = category->tag_ids[i];
            tags_on[id] = 1;
            if (rules->tags[id].severity > ctx.severity) {
                ctx.severity = rules->tags[id].severity;
            }
        }
    }

    /* Tags: every rule that matches, in file order; each sees the ones before. */
    for (size_t i = 0; ok && i < rules->tags_count; i++) {
        const pl__tag_t *tag = &rules->tags[i];
        if (tag->match && pl__cond_eval(&ctx, tag->match)) {
            tags_on[i] = 1;
            if (tag->severity > ctx.severity) {
                ctx.severity = tag->severity;
            }
            ok = s_add_match(&ctx, matched, "tags", tag->id, tag->match, NULL);
        }
    }
    ok = ok && !ctx.failed;

    size_t tags_count = 0;
    for (size_t i = 0; i < rules->tags_count; i++) {
        tags_count += tags_on[i];
    }
    if (ok) {
        out->kind = s_dup(ctx.kind, &ok);
        out->category = s_dup(ctx.category, &ok);
        out->severity = s_dup(pl_rules_severities[ctx.severity], &ok);
        out->tags = calloc(tags_count ? tags_count : 1, sizeof *out->tags);
        ok = ok && out->tags;
        for (size_t i = 0; ok && i < rules->tags_count; i++) {
            if (tags_on[i]) {
                out->tags[out->tags_count] = s_dup(rules->tags[i].id, &ok);
                out->tags_count += out->tags[out->tags_count] != NULL;
            }
        }
        qsort(out->tags, out->tags_count, sizeof *out->tags, s_cmp_str);
        out->matched = matched;
        matched = NULL;
    }
    json_decref(matched);
    pl__eval_fini(&ctx);
    if (tags_on != tags_stack) {
        free(tags_on);
    }
    if (!ok) {
        pl_classification_clear(out);
        return PL_ENOMEM;
    }
    return 0;
}

/* ---- routing ------------------------------------------------------------------------------ */

/* Fills the pool members of `rule` for the event into `out`. */
static bool s_route_pool(const pl_rules_t *rules, const pl__route_rule_t *rule,
                         const pl_event_t *ev, uint64_t rr_counter, pl_route_t *out)
{
    bool ok = true;
    const char *region = NULL;
    bool fell_back = false;
    if (rule->pool_region_mode == PL__REGION_NAMED) {
        region = rule->pool_region;
    } else if (rule->pool_region_mode == PL__REGION_EVENT) {
        region = pl_event_get_string(ev, "region");
        size_t in_region = 0;
        for (size_t i = 0; region && i < rule->pool_people_count; i++) {
            const char *r = rules->people[rule->pool_people[i]].region;
            in_region += r && strcmp(r, region) == 0;
        }
        if (in_region == 0) {
            fell_back = true;
        }
    }
    const char *filter = fell_back ? NULL : region;
    out->candidates =
        calloc(rule->pool_people_count ? rule->pool_people_count : 1, sizeof *out->candidates);
    if (!out->candidates) {
        return false;
    }
    for (size_t i = 0; i < rule->pool_people_count; i++) {
        const pl__person_t *person = &rules->people[rule->pool_people[i]];
        if (filter && !(person->region && strcmp(person->region, filter) == 0)) {
            continue;
        }
        out->candidates[out->candidates_count] = s_dup(person->id, &ok);
        out->candidates_count += out->candidates[out->candidates_count] != NULL;
    }
    bool round_robin = rule->pool_strategy == PL__ROUND_ROBIN;
    out->pool_role = s_dup(rule->pool_role, &ok);
    out->pool_region = s_dup(filter, &ok);
    out->pool_strategy = s_dup(round_robin ? "round_robin" : "least_loaded", &ok);
    if (round_robin && out->candidates_count > 0) {
        out->assignee = s_dup(out->candidates[rr_counter % out->candidates_count], &ok);
    }
    pl_buf_t why = {0};
    pl_buf_uint(&why, out->candidates_count);
    pl_buf_cat(&why, out->candidates_count == 1 ? " person" : " people", " with role \"",
               rule->pool_role, "\"", NULL);
    if (filter) {
        pl_buf_cat(&why, " in region \"", filter, "\"", NULL);
    } else if (fell_back && region) {
        pl_buf_cat(&why, " (nobody in the event's region \"", region, "\": any region)", NULL);
    } else if (fell_back) {
        pl_buf_puts(&why, " (the event has no region: any region)");
    }
    if (round_robin && out->assignee) {
        pl_buf_cat(&why, "; round_robin picked \"", out->assignee, "\" (counter ", NULL);
        pl_buf_uint(&why, rr_counter);
        pl_buf_puts(&why, ")");
    } else if (!round_robin) {
        pl_buf_puts(&why, "; least_loaded: the one with the fewest open cases");
    }
    ok = ok && !why.failed;
    out->pool_why = why.data;
    return ok;
}

int pl_rules_route(const pl_rules_t *rules, const pl_event_t *ev, const pl_classification_t *cls,
                   uint64_t rr_counter, pl_route_t *out)
{
    memset(out, 0, sizeof *out);
    pl__scratch_t scratch;
    pl__eval_t ctx;
    if (pl__eval_init_classified(&ctx, &scratch, rules, ev, cls) != 0) {
        return PL_ENOMEM;
    }
    bool ok = (out->matched = json_array()) != NULL;
    size_t first = ok ? s_first_route(&ctx) : rules->routes_count;
    const pl__route_rule_t *rule = first < rules->routes_count ? &rules->routes[first] : NULL;
    if (ok && rule) {
        ok = s_add_match(&ctx, out->matched, "routing", rule->id, rule->when,
                         "catch-all rule (no when)");
        out->rule = s_dup(rule->id, &ok);
        out->department = s_dup(rule->department, &ok);
        out->assignee = s_dup(rule->assignee, &ok);
        if (rule->pool_role) {
            ok = s_route_pool(rules, rule, ev, rr_counter, out) && ok;
        }
        out->inform = calloc(rule->inform_count ? rule->inform_count : 1, sizeof *out->inform);
        ok = ok && out->inform;
        for (size_t i = 0; ok && i < rule->inform_count; i++) {
            out->inform[i] = s_dup(rule->inform[i], &ok);
            out->inform_count += out->inform[i] != NULL;
        }
    }
    ok = ok && !ctx.failed;
    pl__eval_fini_classified(&ctx, &scratch);
    if (!ok) {
        pl_route_clear(out);
        return PL_ENOMEM;
    }
    return 0;
}

int pl__eval_init_classified(pl__eval_t *ctx, pl__scratch_t *scratch, const pl_rules_t *rules,
                             const pl_event_t *ev, const pl_classification_t *cls)
{
    memset(scratch->tags_stack, 0, sizeof scratch->tags_stack);
    scratch->tags_on = scratch->tags_stack;
    if (rules->tags_count > PL__SCRATCH_TAGS) {
        scratch->tags_on = calloc(rules->tags_count, 1);
        if (!scratch->tags_on) {
            return PL_ENOMEM;
        }
    }
    for (size_t t = 0; t < cls->tags_count; t++) {
        long i = pl__named_find(rules->tag_index, rules->tags_count, cls->tags[t]);
        if (i >= 0) {
            scratch->tags_on[i] = 1;
        }
    }
    pl__eval_init(ctx, rules, ev, PL__PHASE_ROUTE, scratch->bits, PL__SCRATCH_BITS_WORDS,
                  scratch->hits, PL__SCRATCH_HITS);
    ctx->kind = cls->kind ? cls->kind : pl_event_kind(ev);
    ctx->category = cls->category;
    ctx->category_index = cls->category ? pl__named_find(rules->category_index,
                                                         rules->categories_count, cls->category)
                                        : -1;
    ctx->severity = cls->severity ? pl__rules_severity(cls->severity) : -1;
    if (ctx->severity < 0) {
        ctx->severity = rules->default_severity;
    }
    ctx->tags_on = scratch->tags_on;
    return 0;
}

void pl__eval_fini_classified(pl__eval_t *ctx, pl__scratch_t *scratch)
{
    pl__eval_fini(ctx);
    if (scratch->tags_on != scratch->tags_stack) {
        free(scratch->tags_on);
    }
    scratch->tags_on = NULL;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static json_t *s_string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *s_string_array(char *const *list, size_t count)
{
    json_t *array = json_array();
    for (size_t i = 0; array && i < count; i++) {
        if (json_array_append_new(array, json_string(list[i])) != 0) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

json_t *pl_classification_to_json(const pl_classification_t *cls)
{
    json_t *matched = cls->matched ? json_deep_copy(cls->matched) : json_array();
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "kind", s_string_or_null(cls->kind), "category",
                     s_string_or_null(cls->category), "severity", s_string_or_null(cls->severity),
                     "tags", s_string_array(cls->tags, cls->tags_count), "matched", matched);
}

int pl_classification_from_json(const json_t *obj, pl_classification_t *out)
{
    memset(out, 0, sizeof *out);
    const json_t *kind = json_object_get(obj, "kind");
    const json_t *category = json_object_get(obj, "category");
    const json_t *severity = json_object_get(obj, "severity");
    const json_t *tags = json_object_get(obj, "tags");
    const json_t *matched = json_object_get(obj, "matched");
    if (!json_is_string(kind) || !json_is_string(severity) ||
        (category && !json_is_string(category) && !json_is_null(category)) ||
        (tags && !json_is_array(tags)) || (matched && !json_is_array(matched))) {
        return PL_EINVAL;
    }
    for (size_t i = 0; i < json_array_size(tags); i++) {
        if (!json_is_string(json_array_get(tags, i))) {
            return PL_EINVAL;
        }
    }
    bool ok = true;
    out->kind = s_dup(json_string_value(kind), &ok);
    out->category = json_is_string(category) ? s_dup(json_string_value(category), &ok) : NULL;
    out->severity = s_dup(json_string_value(severity), &ok);
    size_t n = json_array_size(tags);
    out->tags = calloc(n ? n : 1, sizeof *out->tags);
    ok = ok && out->tags;
    for (size_t i = 0; ok && i < n; i++) {
        out->tags[i] = s_dup(json_string_value(json_array_get(tags, i)), &ok);
        out->tags_count += out->tags[i] != NULL;
    }
    out->matched = matched ? json_deep_copy(matched) : json_array();
    ok = ok && out->matched;
    if (!ok) {
        pl_classification_clear(out);
        return PL_ENOMEM;
    }
    return 0;
}

static json_t *s_pool_json(const pl_route_t *route)
{
    if (!route->pool_role) {
        return json_null();
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o}", "role", route->pool_role, "region",
                     s_string_or_null(route->pool_region), "strategy",
                     s_string_or_null(route->pool_strategy), "candidates",
                     s_string_array(route->candidates, route->candidates_count), "why",
                     s_string_or_null(route->pool_why));
}

json_t *pl_route_to_json(const pl_route_t *route)
{
    json_t *matched = route->matched ? json_deep_copy(route->matched) : json_array();
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "department",
                     s_string_or_null(route->department), "assignee",
                     s_string_or_null(route->assignee), "pool", s_pool_json(route), "inform",
                     s_string_array(route->inform, route->inform_count), "rule",
                     s_string_or_null(route->rule), "matched", matched);
}

json_t *pl_rules_result_json(const pl_rules_t *rules, const pl_classification_t *cls,
                             const pl_route_t *route)
{
    json_t *matched = json_array();
    if (matched && cls->matched) {
        json_array_extend(matched, cls->matched);
    }
    if (matched && route->matched) {
        json_array_extend(matched, route->matched);
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "rules_version",
                     pl_rules_version(rules), "kind", s_string_or_null(cls->kind), "category",
                     s_string_or_null(cls->category), "severity", s_string_or_null(cls->severity),
                     "tags", s_string_array(cls->tags, cls->tags_count), "department",
                     s_string_or_null(route->department), "assignee",
                     s_string_or_null(route->assignee), "pool", s_pool_json(route), "inform",
                     s_string_array(route->inform, route->inform_count), "matched_rules", matched);
}

json_t *pl_rules_explain(const pl_rules_t *rules, const pl_event_t *ev, bool kind_given,
                         uint64_t rr_counter)
{
    pl_classification_t cls = {0};
    pl_route_t route = {0};
    json_t *result = NULL;
    if (pl_rules_classify(rules, ev, kind_given, &cls) != 0 ||
        pl_rules_route(rules, ev, &cls, rr_counter, &route) != 0) {
        goto cleanup;
    }
    result = pl_rules_result_json(rules, &cls, &route);
    if (result &&
        (json_object_set_new(result, "kind_given", json_boolean(kind_given)) != 0 ||
         json_object_set_new(result, "rr_counter", json_integer((json_int_t)rr_counter)) != 0)) {
        json_decref(result);
        result = NULL;
    }
cleanup:
    pl_classification_clear(&cls);
    pl_route_clear(&route);
    return result;
}
