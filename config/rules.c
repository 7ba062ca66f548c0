/*
 * rules.c: the rules snapshot itself: its memory (one arena, freed at once)
 * and its lifecycle (reference counting, stats). Loading is in rules_load.c
 * and rules_sections.c, conditions in rules_cond.c and rules_match.c,
 * classify and route in rules_eval.c; config/README.md documents the rules
 * language.
 */
#include "config/rules_internal.h"

#include <stdlib.h>
#include <string.h>

const char *const pl_rules_sections[] = {"directory", "categories", "tags",      "kind_rules",
                                         "classify",  "routing",    "deadlines", NULL};

const char *const pl_rules_severities[] = {"low", "normal", "high", "critical", NULL};

/* ---- arena -------------------------------------------------------------------------------- */

struct pl__arena_block {
    pl__arena_block_t *next;
    size_t used;
    size_t cap;
    max_align_t data[];
};

enum { S_ARENA_BLOCK = 64 * 1024 };

void *pl__arena_alloc(pl__arena_t *arena, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0) {
        size = align;
    }
    pl__arena_block_t *block = arena->head;
    if (!block || block->cap - block->used < size) {
        size_t cap = size > S_ARENA_BLOCK ? size : S_ARENA_BLOCK;
        block = calloc(1, sizeof *block + cap);
        if (!block) {
            return NULL;
        }
        block->cap = cap;
        block->next = arena->head;
        arena->head = block;
        arena->bytes += sizeof *block + cap;
    }
    void *p = (char *)block->data + block->used;
    block->used += size;
    return p;
}

char *pl__arena_strndup(pl__arena_t *arena, const char *s, size_t size)
{
    char *copy = pl__arena_alloc(arena, size + 1);
    if (copy) {
        memcpy(copy, s, size);
        copy[size] = '\0';
    }
    return copy;
}

void pl__arena_free(pl__arena_t *arena)
{
    pl__arena_block_t *block = arena->head;
    while (block) {
        pl__arena_block_t *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
    arena->bytes = 0;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

pl_rules_t *pl__rules_alloc(const char *version)
{
    pl_rules_t *rules = calloc(1, sizeof *rules);
    if (!rules) {
        return NULL;
    }
    atomic_init(&rules->refs, 1);
    rules->default_category = -1;
    rules->default_severity = PL__DEFAULT_SEVERITY;
    rules->version =
        pl__arena_strndup(&rules->arena, version ? version : "", strlen(version ? version : ""));
    if (!rules->version) {
        free(rules);
        return NULL;
    }
    return rules;
}

static void s_rules_free(pl_rules_t *rules)
{
    for (size_t i = 0; i < rules->regexes_count; i++) {
        regfree(rules->regexes[i]);
        free(rules->regexes[i]);
    }
    free(rules->regexes);
    free(rules->kw_entries);
    free(rules->kw_cond_fields);
    pl_ac_destroy(&rules->ac);
    pl_calendars_destroy(&rules->calendars);
    pl__arena_free(&rules->arena);
    free(rules);
}

pl_rules_t *pl_rules_new_empty(const char *version)
{
    pl_rules_t *rules = pl__rules_alloc(version);
    if (rules) {
        rules->empty = true;
    }
    return rules;
}

const pl_rules_t *pl_rules_ref(const pl_rules_t *rules)
{
    if (rules) {
        /* The count is the one mutable part of a snapshot. */
        atomic_fetch_add_explicit(&((pl_rules_t *)rules)->refs, 1, memory_order_relaxed);
    }
    return rules;
}

void pl_rules_unref(const pl_rules_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_rules_t *rules = (pl_rules_t *)*self_p;
    *self_p = NULL;
    if (atomic_fetch_sub_explicit(&rules->refs, 1, memory_order_acq_rel) == 1) {
        s_rules_free(rules);
    }
}

const char *pl_rules_version(const pl_rules_t *rules)
{
    return rules->version;
}

bool pl_rules_is_empty(const pl_rules_t *rules)
{
    return rules->empty;
}

void pl_rules_get_stats(const pl_rules_t *rules, pl_rules_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->departments = rules->depts_count;
    out->roles = rules->roles_count;
    out->people = rules->people_count;
    out->categories = rules->categories_count;
    out->tags = rules->tags_count;
    out->kind_rules = rules->kind_rules_count;
    out->routing = rules->routes_count;
    out->keywords = rules->ac ? pl_ac_pattern_count(rules->ac) : 0;
    out->regexes = rules->regexes_count;
    out->automaton_bytes = rules->ac ? pl_ac_memory_size(rules->ac) : 0;
}

long pl__named_find(const pl__named_index_t *table, size_t count, const char *id)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(table[mid].id, id);
        if (c == 0) {
            return (long)table[mid].index;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}
