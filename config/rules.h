/*
 * pl_rules: the rules that classify and route complaint events (issue 3;
 * PROCEDURES.md R10-R15), one immutable snapshot per load.
 *
 * The rules live in the same YAML file as the daemon settings, in the
 * top-level sections `directory`, `categories`, `tags`, `kind_rules`,
 * `classify` and `routing` (config/README.md documents every key). The
 * config loader (config.c) calls pl_rules_load_yaml() on the parsed file and
 * keeps the snapshot in pl_config_t.rules.
 *
 * A snapshot is shared read-only by any number of threads: the classifier
 * and router workers call pl_rules_classify() and pl_rules_route(), which
 * are pure functions of their arguments and take no lock. It is reference
 * counted (atomically) so that a reload can swap in a new snapshot while
 * cases decided under the old one are still in flight.
 *
 * All keywords of a snapshot are compiled into one Aho-Corasick automaton
 * (config/ac.h) at load; classifying scans each text field once.
 */
#ifndef PL_RULES_H
#define PL_RULES_H

#include "common/pl_err.h"
#include "config/calendar.h"
#include "config/event.h"
#include "config/yaml.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pl_rules pl_rules_t;

/* Limits that keep a hostile rules file harmless. */
#define PL_RULES_MAX_KEYWORD_SIZE 64     /* bytes of one keyword */
#define PL_RULES_MAX_RULE_KEYWORDS 10000 /* keywords in one rule's condition */
#define PL_RULES_MAX_KEYWORDS 100000     /* keywords in the whole file */
#define PL_RULES_MAX_REGEX_SIZE 512      /* bytes of one regular expression */
#define PL_RULES_MAX_REGEXES 1000        /* regular expressions in the whole file */
#define PL_RULES_MAX_ENTRIES 10000       /* entries of one section (rules, people, ...) */
#define PL_RULES_MAX_KEYWORD_FIELDS 64   /* distinct fields searched by keywords */
#define PL_RULES_MAX_ID_SIZE 64          /* bytes of an id */

/* The top-level sections read by the rules loader, NULL-terminated:
 * directory, categories, tags, kind_rules, classify, routing, deadlines
 * (config/deadlines.h). */
extern const char *const pl_rules_sections[];

/* Severities in ascending order, NULL-terminated: low, normal, high,
 * critical. */
extern const char *const pl_rules_severities[];

/* pl_rules_report_fn: receives one load error (borrowed for the call). */
typedef void (*pl_rules_report_fn)(const pl_err_t *err, void *arg);

typedef struct pl_rules_opts {
    /* intake.kinds, NULL-terminated (borrowed for the call); NULL = the
     * default list pl_event_default_kinds. */
    const char *const *kinds;
    /* The node of intake.kinds in the same document, to locate errors about
     * a kind (may be NULL). */
    const pl_yaml_node_t *kinds_node;
    /* The rules version recorded with each case: the SHA-256 hex of the
     * file (borrowed, copied); NULL = "". */
    const char *version;
    /* The business calendars the deadlines count in (config/calendar.h),
     * loaded from the same document. The snapshot takes ownership of
     * *calendars and sets it to NULL, whether or not the load succeeds.
     * NULL (or *calendars NULL): if the file has deadlines, the built-in
     * default calendar (pl_calendars_new_default) is made for them. */
    pl_calendars_t **calendars;
    /* True when the caller's calendars had errors (already reported):
     * calendar names in deadlines are then not checked, and no default is
     * made. The caller's load fails anyway. */
    bool calendars_failed;
} pl_rules_opts_t;

/*
 * pl_rules_load_yaml: reads the rules sections of `root`, the root mapping
 * of `doc` (both borrowed; root may be NULL for an empty file; other
 * top-level keys are ignored), checks them completely and compiles them.
 * Every error found is passed to `report` (may be NULL) as a pl_err_t with
 * code PL_ECONFIG (or PL_ENOMEM), the document's name and the 1-based line
 * and column of the offending node; loading goes on after an error so that
 * one run shows them all.
 * Returns a new snapshot with one reference (release with pl_rules_unref),
 * or NULL if any error was reported.
 * A file without any rules section gives the empty rule set (see
 * pl_rules_new_empty).
 */
pl_rules_t *pl_rules_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                               const pl_rules_opts_t *opts, pl_rules_report_fn report, void *arg);

/*
 * pl_rules_new_empty: the empty rule set: no directory, no categories, no
 * tags, no kind rules, no routing. Every event is classified with its own
 * kind, no category, severity "normal" and no tags, and routed nowhere
 * (department NULL). `version` is copied (NULL = ""). Returns a new
 * snapshot with one reference, or NULL when out of memory.
 */
pl_rules_t *pl_rules_new_empty(const char *version);

/* pl_rules_ref: takes one more reference (atomic); returns `rules`.
 * Accepts NULL. */
const pl_rules_t *pl_rules_ref(const pl_rules_t *rules);

/* pl_rules_unref: drops one reference (atomic), frees the snapshot with the
 * last one, and sets *self_p to NULL. Accepts NULL and a pointer to NULL. */
void pl_rules_unref(const pl_rules_t **self_p);

/* pl_rules_version: the rules version (SHA-256 hex of the file); valid as
 * long as the snapshot. */
const char *pl_rules_version(const pl_rules_t *rules);

/* pl_rules_is_empty: true when the file had none of the rules sections. */
bool pl_rules_is_empty(const pl_rules_t *rules);

/* Counts, for status lines and tests. */
typedef struct pl_rules_stats {
    size_t departments, roles, people;
    size_t categories, tags, kind_rules, routing;
    size_t keywords; /* keyword patterns in the automaton */
    size_t regexes;
    size_t automaton_bytes;
} pl_rules_stats_t;

/* pl_rules_get_stats: fills *out. */
void pl_rules_get_stats(const pl_rules_t *rules, pl_rules_stats_t *out);

/*
 * pl_classification_t: what the classifier decides. Every string is owned
 * by the structure; release with pl_classification_clear(). Start from
 * `pl_classification_t cls = {0};`.
 */
typedef struct pl_classification {
    char *kind;     /* the event's kind, or the kind rule's when the event gave none */
    char *category; /* category id; NULL when the rules have no categories */
    char *severity; /* low, normal, high or critical */
    char **tags;    /* tag ids, sorted (strcmp) and unique */
    size_t tags_count;
    json_t *matched; /* array of {"section","rule","why"}: kind rule, category, tags */
} pl_classification_t;

/*
 * pl_route_t: what the router decides. Owned strings; release with
 * pl_route_clear(). Start from `pl_route_t route = {0};`.
 */
typedef struct pl_route {
    char *department;    /* department id; NULL when no routing rule matched */
    char *assignee;      /* person id, or NULL (no assignee; or least_loaded: the store picks) */
    char *pool_role;     /* the pool's role id, or NULL when the rule has no pool */
    char *pool_region;   /* region the candidates were taken from; NULL = any region */
    char *pool_strategy; /* "round_robin" or "least_loaded"; NULL without a pool */
    char **candidates;   /* person ids of the pool, in directory order */
    size_t candidates_count;
    char **inform; /* role, person or department ids to inform, as written */
    size_t inform_count;
    char *rule;      /* id of the routing rule that matched, or NULL */
    char *pool_why;  /* how the pool was resolved, or NULL */
    json_t *matched; /* array of {"section":"routing","rule","why"} (0 or 1 item) */
} pl_route_t;

/*
 * pl_rules_classify: classifies `ev` under `rules` (both borrowed). When
 * `kind_given` is false (the event did not state its kind) the kind rules
 * decide the kind; otherwise the event's kind stands. Then the first
 * category whose match holds (or classify.default_category), its severity
 * and tags, then every tag rule in file order. `out` must be cleared (all
 * zero) and is filled with owned values.
 * Thread-safe; never logs. Returns 0 or PL_ENOMEM (out is then cleared).
 */
int pl_rules_classify(const pl_rules_t *rules, const pl_event_t *ev, bool kind_given,
                      pl_classification_t *out);

/*
 * pl_rules_route: routes the classified event: the first routing rule whose
 * `when` holds gives department, assignee or pool, and inform. A round_robin
 * pool assigns candidates[rr_counter % count] (the caller owns the counter
 * and advances it); least_loaded leaves assignee NULL for the store to pick
 * the candidate with the fewest open cases. No matching rule: department
 * NULL (the case stays unrouted). `ev`, `cls` and `rules` are borrowed; `out`
 * must be cleared and is filled with owned values.
 * Thread-safe; never logs. Returns 0 or PL_ENOMEM (out is then cleared).
 */
int pl_rules_route(const pl_rules_t *rules, const pl_event_t *ev, const pl_classification_t *cls,
                   uint64_t rr_counter, pl_route_t *out);

/* pl_classification_clear, pl_route_clear: free the owned values and zero the
 * structure; accept NULL. */
void pl_classification_clear(pl_classification_t *cls);
void pl_route_clear(pl_route_t *route);

/*
 * pl_classification_to_json: {"kind","category","severity","tags","matched"}
 * (category null when none). Returns a new object, caller decrefs, or NULL
 * when out of memory.
 */
json_t *pl_classification_to_json(const pl_classification_t *cls);

/*
 * pl_classification_from_json: the inverse, for a router that receives the
 * classification in a message. Borrows `obj`. Fills `out` (cleared first)
 * and returns 0, PL_EINVAL (missing or mistyped member; out stays cleared)
 * or PL_ENOMEM. "matched" is optional.
 */
int pl_classification_from_json(const json_t *obj, pl_classification_t *out);

/*
 * pl_route_to_json: {"department","assignee","pool":{"role","region",
 * "strategy","candidates","why"} or null,"inform","rule","matched"}.
 * Returns a new object, caller decrefs, or NULL when out of memory.
 */
json_t *pl_route_to_json(const pl_route_t *route);

/*
 * pl_rules_result_json: the record a case stores and `explain` shows:
 * {"rules_version","kind","category","severity","tags","department",
 *  "assignee","pool","inform","matched_rules":[{"section","rule","why"}...]}
 * with the classification's matches followed by the route's. Borrows all
 * arguments. Returns a new object, caller decrefs, or NULL when out of
 * memory.
 */
json_t *pl_rules_result_json(const pl_rules_t *rules, const pl_classification_t *cls,
                             const pl_route_t *route);

/*
 * pl_rules_explain: classifies and routes `ev` (borrowed) and returns
 * pl_rules_result_json() of the outcome plus "kind_given" and
 * "rr_counter". Returns a new object, caller decrefs, or NULL when out of
 * memory.
 */
json_t *pl_rules_explain(const pl_rules_t *rules, const pl_event_t *ev, bool kind_given,
                         uint64_t rr_counter);

#endif
