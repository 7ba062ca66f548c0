/*
 * rules_internal.h: the snapshot's layout and the helpers shared by the
 * files of the rules module (rules.c: loading and checks; rules_cond.c:
 * conditions; rules_eval.c: classify, route, explain). Never included
 * outside config/rules*.c.
 */
#ifndef PL_RULES_INTERNAL_H
#define PL_RULES_INTERNAL_H

#include "common/pl_buf.h"
#include "config/ac.h"
#include "config/calendar.h"
#include "config/rules.h"

#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena: every object of a snapshot lives in one, freed at once ------------------------ */

typedef struct pl__arena_block pl__arena_block_t;

typedef struct pl__arena {
    pl__arena_block_t *head;
    size_t bytes; /* allocated, for stats */
} pl__arena_t;

/* pl__arena_alloc: `size` zeroed bytes aligned for any type, or NULL. */
void *pl__arena_alloc(pl__arena_t *arena, size_t size);
/* pl__arena_strndup: a NUL-terminated copy of `size` bytes, or NULL. */
char *pl__arena_strndup(pl__arena_t *arena, const char *s, size_t size);
void pl__arena_free(pl__arena_t *arena);

/* ---- conditions --------------------------------------------------------------------------- */

typedef enum {
    PL__C_ALL = 1,      /* every child holds (several keys in one mapping, `all`) */
    PL__C_ANY,          /* some child holds */
    PL__C_NOT,          /* the one child does not hold */
    PL__C_KEYWORDS,     /* some keyword occurs in some of the fields */
    PL__C_REGEX,        /* the field matches */
    PL__C_IN,           /* the field's value is one of `values` */
    PL__C_PRESENT,      /* the field exists and is not empty */
    PL__C_ABSENT,       /* the field does not exist or is empty */
    PL__C_NUMERIC,      /* the field is a number within the bounds */
    PL__C_TAGS,         /* the case has one of the tags */
    PL__C_MIN_SEVERITY, /* the severity is at least `severity` */
} pl__cond_op_t;

typedef enum {
    PL__F_EVENT = 1, /* a dotted path into the normalized event */
    PL__F_KIND,      /* the decided kind */
    PL__F_CATEGORY,  /* the decided category */
    PL__F_SEVERITY,  /* the decided severity */
    PL__F_TAGS,      /* the decided tags */
} pl__field_kind_t;

typedef struct pl__field {
    pl__field_kind_t kind;
    const char *name;         /* as written: "customer.phone" */
    const char *const *parts; /* PL__F_EVENT: the path's components */
    size_t parts_count;
    bool is_attribute; /* under attributes: a string there may hold NUL bytes */
} pl__field_t;

enum { PL__GT = 1, PL__GTE = 2, PL__LT = 4, PL__LTE = 8, PL__EQ = 16 };

typedef struct pl__cond pl__cond_t;
struct pl__cond {
    pl__cond_op_t op;
    const char *key;       /* the key it was written with ("region", "equals", ...) */
    pl__cond_t **children; /* ALL, ANY, NOT */
    size_t children_count;
    pl__field_t field;         /* REGEX, IN, PRESENT, ABSENT, NUMERIC */
    const char *const *values; /* IN: the values; KEYWORDS: the keywords as written */
    size_t values_count;
    const uint32_t *value_ids; /* IN on category: the category indices of `values` */
    uint32_t kw_index;         /* KEYWORDS: index among the snapshot's keyword conditions */
    uint64_t kw_fields;        /* KEYWORDS: bit f = rules->kw_fields[f] is searched */
    regex_t *regex;            /* REGEX */
    const char *pattern;       /* REGEX */
    bool icase;                /* REGEX */
    unsigned bounds;           /* NUMERIC: PL__GT... */
    double gt, gte, lt, lte, eq;
    const uint32_t *tag_ids; /* TAGS */
    int severity;            /* MIN_SEVERITY: index into pl_rules_severities */
};

/* ---- the snapshot ------------------------------------------------------------------------- */

/* A department or a role: an id and a display name. */
typedef struct pl__named {
    const char *id;
    const char *name;
} pl__named_t;

typedef pl__named_t pl__dept_t;
typedef pl__named_t pl__role_t;

typedef struct pl__person {
    const char *id;
    const char *name;
    const char *department; /* NULL if none */
    const char *region;     /* NULL if none */
    const uint32_t *roles;  /* role indices */
    size_t roles_count;
    const char *phone, *email, *wecom, *dingtalk; /* contacts, NULL if none */
} pl__person_t;

typedef struct pl__category {
    const char *id;
    const char *label;
    int severity;            /* index into pl_rules_severities; -1 = classify.default_severity */
    const uint32_t *tag_ids; /* tags the category adds */
    size_t tags_count;
    const pl__cond_t *match; /* NULL: always (only the default category may omit it) */
} pl__category_t;

typedef struct pl__tag {
    const char *id;
    const char *label;
    int severity;            /* raise to at least this; -1 = no change */
    const pl__cond_t *match; /* NULL: only added by categories */
} pl__tag_t;

typedef struct pl__kind_rule {
    const char *id;
    const char *kind;
    const pl__cond_t *match;
} pl__kind_rule_t;

typedef enum { PL__REGION_ANY = 1, PL__REGION_EVENT, PL__REGION_NAMED } pl__region_mode_t;
typedef enum { PL__ROUND_ROBIN = 1, PL__LEAST_LOADED } pl__strategy_t;

typedef struct pl__route_rule {
    const char *id;
    const pl__cond_t *when; /* NULL: always */
    const char *department;
    const char *assignee;  /* NULL if none */
    const char *pool_role; /* NULL without a pool */
    pl__region_mode_t pool_region_mode;
    const char *pool_region; /* PL__REGION_NAMED */
    pl__strategy_t pool_strategy;
    const uint32_t *pool_people; /* people holding the role, directory order */
    size_t pool_people_count;
    const char *const *inform;
    size_t inform_count;
} pl__route_rule_t;

/* One level of a deadline's escalation chain. */
typedef struct pl__deadline_level {
    const char *const *to; /* role, person or department ids, as written */
    size_t to_count;
    pl_usec_t after; /* real time after the previous level; 0 for level 1 */
} pl__deadline_level_t;

/* A deadline rule (rules_deadlines.c; config/deadlines.h). */
typedef struct pl__deadline {
    const char *name;
    const char *label;
    const pl__cond_t *when;        /* NULL: every case */
    const char *calendar_id;       /* "default" unless given */
    const pl_calendar_t *calendar; /* in rules->calendars */
    pl_duration_t within;          /* kind 0 for a recurring deadline */
    pl_usec_t every;               /* > 0 for a recurring deadline */
    bool every_business;           /* `every` counts working time of `calendar` */
    int until;                     /* recurring: index into pl_deadline_statuses; else -1 */
    const uint8_t *warn_pct;       /* ascending, 1..99 */
    size_t warn_count;
    unsigned met_by; /* bit i: pl_deadline_ops[i] meets it */
    bool pausable;
    const pl__deadline_level_t *levels;
    size_t levels_count;
} pl__deadline_t;

/* An id and the index of what it names, for bsearch. */
typedef struct pl__named_index {
    const char *id;
    uint32_t index;
} pl__named_index_t;

/* pl__named_find: the index of `id` in a sorted table of `count`, or -1. */
long pl__named_find(const pl__named_index_t *table, size_t count, const char *id);

/* One keyword as the automaton knows it: the automaton's id is its index. */
typedef struct pl__kw_entry {
    uint32_t cond; /* keyword condition index */
    const char *text;
} pl__kw_entry_t;

enum { PL__PHASE_CLASSIFY = 0, PL__PHASE_ROUTE = 1 };

struct pl_rules {
    atomic_long refs;
    pl__arena_t arena;
    const char *version;
    bool empty;

    pl__dept_t *depts;
    size_t depts_count;
    pl__role_t *roles;
    size_t roles_count;
    pl__person_t *people;
    size_t people_count;

    pl__category_t *categories;
    size_t categories_count;
    int default_category; /* index, or -1 */
    int default_severity; /* index into pl_rules_severities */
    bool allow_unrouted;
    pl__tag_t *tags;
    size_t tags_count;
    pl__kind_rule_t *kind_rules;
    size_t kind_rules_count;
    pl__route_rule_t *routes;
    size_t routes_count;

    pl_ac_t *ac; /* NULL when there are no keywords */
    pl__kw_entry_t *kw_entries;
    size_t kw_entries_count;
    uint64_t *kw_cond_fields; /* per keyword condition: its field bits */
    size_t kw_conds_count;
    pl__field_t kw_fields[PL_RULES_MAX_KEYWORD_FIELDS];
    size_t kw_fields_count;
    uint64_t scan_fields[2]; /* per phase: the fields some keyword condition searches */

    regex_t **regexes; /* to regfree */
    size_t regexes_count;

    /* Deadline rules in file order, and the calendars they count in (owned;
     * NULL when the snapshot was made without calendars and has no
     * deadlines). */
    pl__deadline_t *deadlines;
    size_t deadlines_count;
    pl_calendars_t *calendars;

    /* Lookups by id (sorted by strcmp) for results that arrive as strings. */
    const pl__named_index_t *category_index;
    const pl__named_index_t *tag_index;

    /* First-match shortcuts (built after a successful load, see
     * rules_load.c): a category whose match is one keyword condition is
     * "plain"; the first plain category hit is found from the scan's hits,
     * and only the other ("slow") categories before it are evaluated.
     * Likewise for routing rules whose `when` is only `category: ...`. */
    const int32_t *kw_cond_category; /* per keyword condition: plain category, or -1 */
    bool has_plain_categories;
    const uint32_t *slow_categories; /* ascending */
    size_t slow_categories_count;
    const int32_t *category_route; /* per category: first plain routing rule, or -1 */
    const uint32_t *slow_routes;   /* ascending */
    size_t slow_routes_count;
};

/* ---- loading (rules.c) and parsing conditions (rules_cond.c) ------------------------------ */

typedef struct pl__idmap pl__idmap_t;

/* Section whose conditions are being parsed: decides which result fields
 * are known yet. */
typedef enum {
    PL__SEC_KIND_RULES = 1,
    PL__SEC_CATEGORIES,
    PL__SEC_TAGS,
    PL__SEC_ROUTING,
} pl__section_t;

typedef struct pl__load {
    const pl_yaml_doc_t *doc;
    pl_rules_report_fn report;
    void *report_arg;
    size_t errors;
    /* errors are kept, then reported sorted by position (file order) */
    pl_err_t *pending;
    size_t pending_count, pending_cap;
    pl_rules_t *rules;
    const char *const *kinds;
    pl__idmap_t *dir_ids; /* departments, roles and people share one namespace */
    pl__idmap_t *category_ids;
    pl__idmap_t *tag_ids;
    /* the section and rule being parsed */
    pl__section_t section;
    const char *where; /* "categories", "routing", ... for messages */
    size_t rule_keywords;
    /* keyword conditions and entries being collected */
    pl__kw_entry_t *kw_entries;
    size_t kw_entries_count, kw_entries_cap;
    uint64_t *kw_cond_fields;
    size_t kw_conds_count, kw_conds_cap;
    regex_t **regexes;
    size_t regexes_cap;
    /* the calendars deadlines may name (the snapshot's); NULL with
     * calendars_failed: their errors were reported, names are not checked */
    const pl_calendars_t *calendars;
    bool calendars_failed;
} pl__load_t;

#define PL__DEFAULT_SEVERITY 1 /* normal */

/* pl__rules_alloc: a new snapshot with one reference and the defaults. */
pl_rules_t *pl__rules_alloc(const char *version);

/* ---- shared by the section parsers (rules_load.c) ----------------------------------------- */

/* An id map owns copies of its keys and remembers where each was defined. */
typedef struct pl__idslot {
    char *key;
    long value;
    int line, column;
} pl__idslot_t;

pl__idmap_t *pl__idmap_new(void);
void pl__idmap_destroy(pl__idmap_t **map_p);
/* pl__idmap_add: adds `key` unless present; returns its slot (new or the
 * existing one, *added says which) or NULL when out of memory. */
pl__idslot_t *pl__idmap_add(pl__idmap_t *map, const char *key, long value,
                            const pl_yaml_node_t *node, bool *added);

/* pl__yaml_key_is: whether a mapping key is exactly `name`. */
bool pl__yaml_key_is(const pl_yaml_node_t *key, const char *name);

/* pl__rules_check_keys: reports unknown keys (not in `keys`) and missing
 * `required` ones; returns whether `node` is a mapping at all. */
bool pl__rules_check_keys(pl__load_t *ld, const pl_yaml_node_t *node, const char *what,
                          const char *const *keys, const char *const *required);
/* pl__rules_id: a valid id ([A-Za-z_][A-Za-z0-9_.-]*), or NULL after a report. */
const char *pl__rules_id(pl__load_t *ld, const pl_yaml_node_t *node, const char *what);
/* pl__rules_opt_string: a snapshot copy of map[key], NULL if absent or bad. */
const char *pl__rules_opt_string(pl__load_t *ld, const pl_yaml_node_t *map, const char *key,
                                 const char *what);
/* pl__rules_copy: a snapshot copy of `s`, NULL (reported) when out of memory. */
const char *pl__rules_copy(pl__load_t *ld, const char *s);
/* pl__rules_items: the entry count of a list section (0 if null, or after a
 * report if it is not a list or too long). */
size_t pl__rules_items(pl__load_t *ld, const pl_yaml_node_t *node, const char *what);
/* pl__rules_array: `count` zeroed items in the snapshot, or NULL (reported). */
void *pl__rules_array(pl__load_t *ld, size_t count, size_t size);
/* pl__rules_duplicate: reports a duplicate id at `node`. */
void pl__rules_duplicate(pl__load_t *ld, const pl_yaml_node_t *node, const char *what,
                         const char *id, const pl__idslot_t *first);

/* A first-match section being read: a catch-all makes every later rule
 * dead, and so does an earlier rule with an identical condition. */
typedef struct pl__ruleset {
    pl__load_t *ld;
    const char *what;
    pl__idmap_t *ids;        /* rule ids */
    pl__idmap_t *conditions; /* canonical condition -> rule index */
    const char **rule_ids;   /* by index, for messages */
    const char *catch_all;   /* id of the first catch-all, or NULL */
    int catch_all_line;
} pl__ruleset_t;

bool pl__ruleset_init(pl__ruleset_t *sec, pl__load_t *ld, const char *what, size_t count);
void pl__ruleset_fini(pl__ruleset_t *sec);
/* pl__ruleset_id: the rule's `id` (or "<section>#<n>" when optional and
 * absent); reports duplicates. */
const char *pl__ruleset_id(pl__ruleset_t *sec, const pl_yaml_node_t *item, size_t index,
                           bool required);
/* pl__ruleset_check: reports the rule at `item` if it can never match, then
 * records it (cond NULL: a catch-all). */
void pl__ruleset_check(pl__ruleset_t *sec, const pl_yaml_node_t *item, size_t index, const char *id,
                       const pl__cond_t *cond);

/* The section parsers (rules_sections.c), in the order they run. */
void pl__rules_load_directory(pl__load_t *ld, const pl_yaml_node_t *node);
void pl__rules_collect_ids(pl__load_t *ld, const pl_yaml_node_t *node, const char *what,
                           pl__idmap_t *ids);
void pl__rules_load_classify(pl__load_t *ld, const pl_yaml_node_t *node,
                             const pl_yaml_node_t **default_category_node);
void pl__rules_load_kind_rules(pl__load_t *ld, const pl_yaml_node_t *node);
void pl__rules_load_categories(pl__load_t *ld, const pl_yaml_node_t *node,
                               const pl_yaml_node_t *default_category_node);
void pl__rules_load_tags(pl__load_t *ld, const pl_yaml_node_t *node);
void pl__rules_load_routing(pl__load_t *ld, const pl_yaml_node_t *node);
/* pl__rules_load_deadlines: the `deadlines` section (rules_deadlines.c),
 * after the directory, categories and tags are known. */
void pl__rules_load_deadlines(pl__load_t *ld, const pl_yaml_node_t *node);

/* pl__rules_error: reports an error at `node` (may be NULL). */
void pl__rules_error(pl__load_t *ld, const pl_yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pl__idmap_find: index of `id` or -1. */
long pl__idmap_find(const pl__idmap_t *map, const char *id);

/* pl__rules_scalar: the text of a non-empty, non-null scalar without NUL
 * bytes, or NULL after reporting "<what>: expected ..., found ..."; NULL
 * without a report for node NULL. */
const char *pl__rules_scalar(pl__load_t *ld, const pl_yaml_node_t *node, const char *what);

/* pl__rules_severity: index of a severity name, or -1. */
int pl__rules_severity(const char *name);

/* pl__cond_parse: parses a condition; NULL after reporting errors. */
pl__cond_t *pl__cond_parse(pl__load_t *ld, const pl_yaml_node_t *node);

/* pl__cond_canonical: appends a canonical text of the condition: two
 * conditions are structurally identical when their texts are equal. */
void pl__cond_canonical(const pl__cond_t *cond, pl_buf_t *buf);

/* pl__cond_mentions: whether the condition names `value` for the result
 * field `kind` (PL__F_KIND or PL__F_CATEGORY) anywhere. */
bool pl__cond_mentions(const pl__cond_t *cond, pl__field_kind_t kind, const char *value);

/* ---- evaluating (rules_cond.c) ------------------------------------------------------------ */

typedef struct pl__hit {
    uint32_t cond;  /* keyword condition */
    uint32_t entry; /* first keyword entry that matched it */
    uint32_t field; /* in which keyword field */
} pl__hit_t;

typedef struct pl__eval {
    const pl_rules_t *rules;
    const pl_event_t *ev;
    const json_t *json;
    int phase;
    const char *kind;
    const char *category;
    long category_index; /* -1: none */
    int severity;
    const uint8_t *tags_on; /* per tag index: 1 when the case has it */
    /* keyword scan results, filled on the first keyword condition */
    bool scanned;
    uint64_t *kw_bits; /* one bit per keyword condition */
    bool kw_bits_heap;
    pl__hit_t *hits;
    size_t hits_count, hits_cap;
    bool hits_heap;
    bool failed;         /* out of memory */
    uint32_t scan_field; /* during the scan */
} pl__eval_t;

/* pl__eval_init: prepares `ctx`; `kw_bits_stack`/`hits_stack` are scratch
 * the caller may provide (NULL = allocate). pl__eval_fini releases. */
void pl__eval_init(pl__eval_t *ctx, const pl_rules_t *rules, const pl_event_t *ev, int phase,
                   uint64_t *kw_bits_stack, size_t kw_bits_words, pl__hit_t *hits_stack,
                   size_t hits_cap);
void pl__eval_fini(pl__eval_t *ctx);

/* Scratch for an evaluation after classification (routing, deadlines),
 * kept on the caller's stack; larger snapshots allocate the tag table. */
enum { PL__SCRATCH_BITS_WORDS = 64, PL__SCRATCH_HITS = 128, PL__SCRATCH_TAGS = 256 };
typedef struct pl__scratch {
    uint64_t bits[PL__SCRATCH_BITS_WORDS];
    pl__hit_t hits[PL__SCRATCH_HITS];
    uint8_t tags_stack[PL__SCRATCH_TAGS];
    uint8_t *tags_on;
} pl__scratch_t;

/*
 * pl__eval_init_classified: prepares `ctx` for conditions on a classified
 * event (kind, category, severity and tags from `cls`) in the routing phase,
 * using `scratch`. Returns 0, or PL_ENOMEM with nothing to release. Release
 * with pl__eval_fini_classified.
 */
int pl__eval_init_classified(pl__eval_t *ctx, pl__scratch_t *scratch, const pl_rules_t *rules,
                             const pl_event_t *ev, const pl_classification_t *cls);
void pl__eval_fini_classified(pl__eval_t *ctx, pl__scratch_t *scratch);

/* pl__eval_scan: runs the keyword scan now if it has not run yet. */
void pl__eval_scan(pl__eval_t *ctx);

/* pl__cond_eval: whether the condition holds. */
bool pl__cond_eval(pl__eval_t *ctx, const pl__cond_t *cond);

/* pl__cond_why: appends why the (holding) condition holds. */
void pl__cond_why(pl__eval_t *ctx, const pl__cond_t *cond, pl_buf_t *buf);

/* pl__cond_describe: appends what the condition asks, for "not (...)". */
void pl__cond_describe(const pl_rules_t *rules, const pl__cond_t *cond, pl_buf_t *buf);

#endif
