/*
 * pl_ac: an Aho–Corasick automaton that finds every occurrence of many
 * keywords in one pass over a text. The rules engine uses it to collect the
 * keywords of all rules at once. It works on bytes, so UTF-8 (e.g. Chinese)
 * keywords need no special treatment: a match is a byte-exact match, except
 * that the ASCII letters A-Z and a-z match each other. No other byte is ever
 * folded (0xC1 does not match 0xE1, "É" does not match "é").
 *
 * Life cycle: pl_ac_new, pl_ac_add for every keyword, pl_ac_compile once,
 * then pl_ac_scan as often as needed, from as many threads as needed: a
 * compiled automaton is never modified, and scanning allocates nothing.
 *
 * Inside (see ac.c): the byte values that occur in keywords are numbered as
 * classes (class 0 = "in no keyword", which always leads back to the start).
 * The first states in breadth-first order, the shallow ones where a scan
 * spends nearly all its time, get a dense row of next states, one per class,
 * up to PL_AC_DENSE_MAX_SIZE bytes in all; deeper states keep their few trie
 * edges and a failure link. Memory is therefore at most about
 * PL_AC_DENSE_MAX_SIZE, plus 17 bytes per state (a state per distinct keyword
 * prefix) and 4 per keyword: 10,000 Chinese and English keywords take under
 * 3 MiB.
 *
 * This module never logs.
 */
#ifndef PL_AC_H
#define PL_AC_H

#include "common/pl_err.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Bytes of dense transition rows at most (a row is 4 bytes per byte class).
 * Scans of Chinese text with 3,000-10,000 keywords measured no faster with
 * 16 MiB than with 1 MiB: the states that matter are the shallow ones.
 */
#define PL_AC_DENSE_MAX_SIZE (2u * 1024 * 1024)

/* Total keyword bytes one automaton accepts (so that state numbers fit 31 bits). */
#define PL_AC_MAX_BYTES (1u << 30)

typedef struct pl_ac pl_ac_t;

/*
 * pl_ac_new: an empty automaton that accepts keywords.
 * Returns a new object, caller destroys (pl_ac_destroy); NULL when out of
 * memory.
 */
pl_ac_t *pl_ac_new(void);

/*
 * pl_ac_add: adds the keyword `pattern` (`len` bytes, len >= 1; any bytes,
 * including NUL and invalid UTF-8) reported with the caller's `id`. ASCII
 * letters match case-insensitively, every other byte exactly. The same
 * keyword (also in another ASCII case) may be added several times, with the
 * same or different ids: each addition is reported at every occurrence.
 * Allowed only before pl_ac_compile.
 * Borrows `pattern` (must outlive the call; it is copied).
 * Returns 0; PL_EINVAL when `ac` or `pattern` is NULL, `len` is 0, or the
 * automaton is already compiled; PL_ENOMEM when out of memory or when the
 * keywords would exceed PL_AC_MAX_BYTES in total. On error nothing was added.
 */
int pl_ac_add(pl_ac_t *ac, const char *pattern, size_t len, uint32_t id);

/*
 * pl_ac_compile: builds the automaton from the keywords added so far: the
 * trie, failure links, dense rows for the shallow states and the flattened
 * output lists. Afterwards pl_ac_add refuses keywords and pl_ac_scan works.
 * An automaton with no keywords compiles, and then never matches. Calling it
 * again on a compiled automaton does nothing and returns 0.
 * Returns 0; PL_ENOMEM when out of memory, in which case the automaton is
 * left as it was (keywords kept, not compiled: add and compile may be
 * retried); PL_EINVAL when `ac` is NULL.
 */
int pl_ac_compile(pl_ac_t *ac);

/*
 * pl_ac_match_fn: called once per (occurrence, id) with the keyword's id, the
 * offset in the text just past the match (a match covers bytes
 * [end - keyword length, end)) and the caller's `arg`. Returns 0 to go on,
 * non-zero to stop the scan at once.
 */
typedef int (*pl_ac_match_fn)(uint32_t id, size_t end, void *arg);

/*
 * pl_ac_scan: calls `fn` for every occurrence of every keyword in `text`
 * (`len` bytes; `text` may be NULL when `len` is 0), overlapping and nested
 * occurrences included. Order: by `end` ascending; at one `end`, longer
 * keywords first; one keyword's ids in the order they were added.
 * `fn` returning non-zero stops the scan: no further call is made.
 * Does nothing (never calls `fn`) when `ac` is NULL or not compiled, `fn` is
 * NULL, or `text` is NULL with `len` > 0.
 * Borrows `ac`, `text` and `arg` (must outlive the call). Allocates nothing
 * and only reads `ac`: any number of threads may scan one compiled automaton
 * at the same time.
 */
void pl_ac_scan(const pl_ac_t *ac, const char *text, size_t len, pl_ac_match_fn fn, void *arg);

/*
 * pl_ac_pattern_count: the number of successful pl_ac_add calls (a keyword
 * added with three ids counts three times); 0 for NULL.
 */
size_t pl_ac_pattern_count(const pl_ac_t *ac);

/*
 * pl_ac_state_count: the number of automaton states, the start state
 * included (1 + the number of distinct non-empty keyword prefixes, ASCII case
 * folded); 0 before pl_ac_compile and for NULL.
 */
size_t pl_ac_state_count(const pl_ac_t *ac);

/*
 * pl_ac_memory_size: bytes held by the automaton (the object and every buffer
 * it owns, counted by capacity); 0 for NULL. Before compile this is mostly the
 * copied keywords, after compile the automaton (the keywords are freed).
 */
size_t pl_ac_memory_size(const pl_ac_t *ac);

/*
 * pl_ac_destroy: frees the automaton and sets *self_p to NULL. Accepts NULL
 * and a pointer to NULL. No scan may be running on it.
 */
void pl_ac_destroy(pl_ac_t **self_p);

#endif
