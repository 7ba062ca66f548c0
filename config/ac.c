/*
 * ac: Aho–Corasick over bytes with a hybrid dense/sparse transition table.
 *
 * States are numbered breadth-first, so a state's failure target (a proper
 * suffix, hence shallower) always has a smaller number, and the children of a
 * state are consecutive numbers. States 0 .. dense_count-1 own a dense row of
 * class_count next-state codes: the complete DFA transition, failure links
 * already followed. The remaining ("sparse") states keep only their trie
 * edges and a failure link; a scan rarely reaches them, because real text
 * seldom follows a keyword prefix that deep.
 *
 * The scan carries a "code" rather than a state number, so that the hot loop
 * is one table load per byte with no multiplication:
 *   code < dense_limit       the dense row at dense[code] (code = state * class_count)
 *   code >= dense_limit      the sparse state dense_count + (code - dense_limit)
 *   bit 31 (S_FLAG) set      the state reached has output: a keyword ends here
 *                            or at a suffix of it
 * Every transition stored (dense entries, and sparse_fail's own bit for the
 * state itself) carries the target's flag, so the hot loop leaves only when
 * it must: on output, or on entering a sparse state; both codes are
 * >= dense_limit, which is one comparison.
 *
 * Outputs are flattened: state s's own ids are out_ids[out_first[s] ..
 * out_first[s+1]), and out_next[s] is the nearest proper suffix state that has
 * own ids (0 = none; the start state never has any, as keywords are not
 * empty). Following out_next instead of merging suffix outputs into every
 * state keeps memory linear for keyword sets such as a, aa, aaa, ...
 */
#include "config/ac.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Test hooks, deliberately not in ac.h. Every allocation goes through
 * pl__ac_realloc_fn (realloc(NULL, n) allocates; sizes are never 0), so that
 * tests can inject failures; pl__ac_dense_max_size replaces
 * PL_AC_DENSE_MAX_SIZE so that tests reach the sparse states with small
 * keyword sets. Both are read by pl_ac_new/pl_ac_add/pl_ac_compile only.
 */
void *(*pl__ac_realloc_fn)(void *ptr, size_t size) = realloc;
size_t pl__ac_dense_max_size = PL_AC_DENSE_MAX_SIZE;

#define S_FLAG UINT32_C(0x80000000)
#define S_NONE UINT32_MAX

/* A keyword as added: folded bytes at bytes[offset], `size` long. */
typedef struct {
    uint32_t offset;
    uint32_t size;
    uint32_t id;
} s_pattern_t;

/* A keyword during compile, for sorting; `seq` keeps the order of addition. */
typedef struct {
    const uint8_t *bytes;
    uint32_t size;
    uint32_t seq;
} s_sorted_t;

struct pl_ac {
    bool is_compiled;
    size_t pattern_count; /* successful pl_ac_add calls */

    /* Until compile: keywords, ASCII letters folded to lower case, back to back. */
    uint8_t *bytes;
    size_t bytes_size;
    size_t bytes_capacity;
    s_pattern_t *patterns; /* pattern_count used */
    size_t patterns_capacity;
    uint32_t max_pattern_size;

    /* After compile. */
    uint8_t byte_class[256];
    uint32_t class_count; /* classes in use, class 0 included */
    uint32_t state_count;
    uint32_t dense_count;
    uint32_t dense_limit;   /* dense_count * class_count */
    uint32_t *dense;        /* dense_count rows of class_count codes */
    uint32_t *sparse_first; /* per sparse state + 1: its first child, as a sparse index */
    uint8_t *sparse_class;  /* per sparse state: class of the edge into it */
    uint32_t *sparse_fail;  /* per sparse state: failure code | S_FLAG if the state has output */
    uint32_t *out_first;    /* per state + 1 */
    uint32_t *out_ids;      /* pattern_count ids */
    uint32_t *out_next;     /* per state */
};

/* Allocates count * size bytes (at least 1), or NULL on overflow or OOM. */
static void *s_alloc(size_t count, size_t size)
{
    if (count == 0)
        count = 1;
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return pl__ac_realloc_fn(NULL, count * size);
}

/* Grows *buf_p to hold at least `need` elements of `size`; *cap_p is in elements. */
static int s_reserve(void **buf_p, size_t *cap_p, size_t need, size_t size, size_t min_cap)
{
    if (need <= *cap_p)
        return 0;
    size_t cap = *cap_p ? *cap_p : min_cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > SIZE_MAX / size)
        return PL_ENOMEM;
    void *buf = pl__ac_realloc_fn(*buf_p, cap * size);
    if (!buf)
        return PL_ENOMEM;
    *buf_p = buf;
    *cap_p = cap;
    return 0;
}

static uint8_t s_fold(uint8_t b)
{
    return (b >= 'A' && b <= 'Z') ? (uint8_t)(b + ('a' - 'A')) : b;
}

pl_ac_t *pl_ac_new(void)
{
    pl_ac_t *ac = s_alloc(1, sizeof *ac);
    if (!ac)
        return NULL;
    memset(ac, 0, sizeof *ac);
    return ac;
}

int pl_ac_add(pl_ac_t *ac, const char *pattern, size_t len, uint32_t id)
{
    if (!ac || !pattern || len == 0 || ac->is_compiled)
        return PL_EINVAL;
    if (len > PL_AC_MAX_BYTES - ac->bytes_size)
        return PL_ENOMEM;
    void *bytes = ac->bytes;
    void *patterns = ac->patterns;
    int rc = s_reserve(&bytes, &ac->bytes_capacity, ac->bytes_size + len, 1, 256);
    ac->bytes = bytes;
    if (rc != 0)
        return rc;
    rc = s_reserve(&patterns, &ac->patterns_capacity, ac->pattern_count + 1, sizeof(s_pattern_t),
                   16);
    ac->patterns = patterns;
    if (rc != 0)
        return rc;

    uint8_t *dst = ac->bytes + ac->bytes_size;
    for (size_t i = 0; i < len; i++)
        dst[i] = s_fold((uint8_t)pattern[i]);
    ac->patterns[ac->pattern_count] =
        (s_pattern_t){.offset = (uint32_t)ac->bytes_size, .size = (uint32_t)len, .id = id};
    ac->bytes_size += len;
    ac->pattern_count++;
    if (len > ac->max_pattern_size)
        ac->max_pattern_size = (uint32_t)len;
    return 0;
}

/* Orders keywords bytewise, a prefix before its extensions, equal ones by addition. */
static int s_compare(const void *a, const void *b)
{
    const s_sorted_t *x = a, *y = b;
    uint32_t n = x->size < y->size ? x->size : y->size;
    int c = memcmp(x->bytes, y->bytes, n);
    if (c != 0)
        return c;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Code of state s, without the output flag. */
static uint32_t s_code(const pl_ac_t *ac, uint32_t s)
{
    return s < ac->dense_count ? s * ac->class_count : ac->dense_limit + (s - ac->dense_count);
}

/* State of a code (flag cleared). */
static uint32_t s_state(const pl_ac_t *ac, uint32_t code)
{
    return code < ac->dense_limit ? code / ac->class_count
                                  : ac->dense_count + (code - ac->dense_limit);
}

/* Scratch arrays of one compile, indexed by trie node (DFS order) or state (BFS order). */
typedef struct {
    s_sorted_t *sorted;     /* per keyword */
    uint32_t *pattern_node; /* per sorted keyword: the node where it ends, later the state */
    uint32_t *path;         /* per depth: nodes on the previous keyword's path */
    uint32_t *first_child;  /* per node */
    uint32_t *next_sibling; /* per node */
    uint32_t *last_child;   /* per node; then reused as node -> state */
    uint8_t *node_class;    /* per node */
    uint32_t *state_node;   /* per state: its node */
    uint32_t *child_first;  /* per state + 1: its first child */
    uint8_t *state_class;   /* per state */
    uint32_t *fail;         /* per state */
    uint8_t *has_out;       /* per state */
} s_build_t;

/* δ(s, c) during compile, as a state number; every state below s's depth is done. */
static uint32_t s_build_step(const pl_ac_t *ac, const s_build_t *b, uint32_t s, uint32_t c)
{
    for (;;) {
        if (s < ac->dense_count)
            return s_state(ac, ac->dense[(size_t)s * ac->class_count + c] & ~S_FLAG);
        for (uint32_t t = b->child_first[s]; t < b->child_first[s + 1]; t++) {
            if (b->state_class[t] == c)
                return t;
        }
        s = b->fail[s];
    }
}

static void s_build_free(s_build_t *b)
{
    free(b->has_out);
    free(b->fail);
    free(b->state_class);
    free(b->child_first);
    free(b->state_node);
    free(b->node_class);
    free(b->last_child);
    free(b->next_sibling);
    free(b->first_child);
    free(b->path);
    free(b->pattern_node);
    free(b->sorted);
}

static void s_compiled_free(pl_ac_t *ac)
{
    free(ac->out_next);
    free(ac->out_ids);
    free(ac->out_first);
    free(ac->sparse_fail);
    free(ac->sparse_class);
    free(ac->sparse_first);
    free(ac->dense);
    ac->out_next = ac->out_ids = ac->out_first = NULL;
    ac->sparse_fail = ac->sparse_first = ac->dense = NULL;
    ac->sparse_class = NULL;
}

/* Numbers the byte values that occur in keywords 1, 2, ... (upper-case letters share lower). */
static void s_make_classes(pl_ac_t *ac)
{
    bool used[256] = {false};
    for (size_t i = 0; i < ac->bytes_size; i++)
        used[ac->bytes[i]] = true;
    uint32_t k = 0;
    for (int v = 0; v < 256; v++)
        ac->byte_class[v] = used[v] ? (uint8_t)++k : 0;
    for (int v = 'A'; v <= 'Z'; v++)
        ac->byte_class[v] = ac->byte_class[v + ('a' - 'A')];
    ac->class_count = k + 1; /* at most 231: upper-case letters never occur folded */
}

/*
 * Builds the trie from the sorted keywords: a keyword shares with its
 * predecessor exactly their common prefix, so each new node is a new child,
 * and children come out in ascending class order.
 */
static uint32_t s_build_trie(pl_ac_t *ac, s_build_t *b)
{
    uint32_t node_count = 1;
    b->first_child[0] = S_NONE;
    b->next_sibling[0] = S_NONE;
    b->node_class[0] = 0;
    b->path[0] = 0;
    const uint8_t *prev = NULL;
    uint32_t prev_size = 0;
    for (size_t i = 0; i < ac->pattern_count; i++) {
        const uint8_t *p = b->sorted[i].bytes;
        uint32_t size = b->sorted[i].size;
        uint32_t d = 0;
        uint32_t common = size < prev_size ? size : prev_size;
        while (d < common && p[d] == prev[d])
            d++;
        for (; d < size; d++) {
            uint32_t parent = b->path[d];
            uint32_t node = node_count++;
            b->first_child[node] = S_NONE;
            b->next_sibling[node] = S_NONE;
            b->node_class[node] = ac->byte_class[p[d]];
            if (b->first_child[parent] == S_NONE)
                b->first_child[parent] = node;
            else
                b->next_sibling[b->last_child[parent]] = node;
            b->last_child[parent] = node;
            b->path[d + 1] = node;
        }
        b->pattern_node[i] = b->path[size];
        prev = p;
        prev_size = size;
    }
    return node_count;
}

/* Numbers the nodes breadth-first; afterwards last_child maps node -> state. */
static void s_number_states(pl_ac_t *ac, s_build_t *b)
{
    uint32_t tail = 1;
    b->state_node[0] = 0;
    for (uint32_t s = 0; s < tail; s++) {
        uint32_t node = b->state_node[s];
        b->child_first[s] = tail;
        b->state_class[s] = b->node_class[node];
        for (uint32_t ch = b->first_child[node]; ch != S_NONE; ch = b->next_sibling[ch])
            b->state_node[tail++] = ch;
    }
    b->child_first[tail] = tail;
    for (uint32_t s = 0; s < tail; s++)
        b->last_child[b->state_node[s]] = s;
    ac->state_count = tail;
}

/* Flattens the ids: each state's own ids, in order of addition. */
static void s_fill_outputs(pl_ac_t *ac, s_build_t *b)
{
    uint32_t n = ac->state_count;
    memset(ac->out_first, 0, ((size_t)n + 1) * sizeof *ac->out_first);
    for (size_t i = 0; i < ac->pattern_count; i++) {
        b->pattern_node[i] = b->last_child[b->pattern_node[i]];
        ac->out_first[b->pattern_node[i] + 1]++;
    }
    for (uint32_t s = 0; s < n; s++)
        ac->out_first[s + 1] += ac->out_first[s];
    /* Fill using out_first[s] as a cursor, which leaves it at s's end, then shift back. */
    for (size_t i = 0; i < ac->pattern_count; i++) {
        uint32_t s = b->pattern_node[i];
        ac->out_ids[ac->out_first[s]++] = ac->patterns[b->sorted[i].seq].id;
    }
    memmove(ac->out_first + 1, ac->out_first, (size_t)n * sizeof *ac->out_first);
    ac->out_first[0] = 0;
}

/*
 * Computes failure links, output links and flags breadth-first, and writes
 * the dense rows and sparse arrays. When state s is reached, every shallower
 * state is complete (row written, links set), which is all δ needs.
 */
static void s_link_states(pl_ac_t *ac, s_build_t *b)
{
    uint32_t ncls = ac->class_count;
    b->fail[0] = 0;
    b->has_out[0] = 0;
    ac->out_next[0] = 0;
    for (uint32_t s = 0; s < ac->state_count; s++) {
        uint32_t fs = b->fail[s];
        for (uint32_t t = b->child_first[s]; t < b->child_first[s + 1]; t++) {
            uint32_t f = s == 0 ? 0 : s_build_step(ac, b, fs, b->state_class[t]);
            b->fail[t] = f;
            ac->out_next[t] = ac->out_first[f + 1] > ac->out_first[f] ? f : ac->out_next[f];
            b->has_out[t] = ac->out_first[t + 1] > ac->out_first[t] || ac->out_next[t] != 0;
        }
        if (s < ac->dense_count) {
            uint32_t *row = ac->dense + (size_t)s * ncls;
            if (s == 0)
                memset(row, 0, ncls * sizeof *row);
            else
                memcpy(row, ac->dense + (size_t)fs * ncls, ncls * sizeof *row);
            for (uint32_t t = b->child_first[s]; t < b->child_first[s + 1]; t++)
                row[b->state_class[t]] = s_code(ac, t) | (b->has_out[t] ? S_FLAG : 0);
        } else {
            /* A sparse state's children are sparse too: they come later. */
            uint32_t j = s - ac->dense_count;
            ac->sparse_first[j] = b->child_first[s] - ac->dense_count;
            ac->sparse_class[j] = b->state_class[s];
            ac->sparse_fail[j] = s_code(ac, fs) | (b->has_out[s] ? S_FLAG : 0);
        }
    }
    if (ac->state_count > ac->dense_count) {
        uint32_t sparse_count = ac->state_count - ac->dense_count;
        ac->sparse_first[sparse_count] = sparse_count;
    }
}

int pl_ac_compile(pl_ac_t *ac)
{
    if (!ac)
        return PL_EINVAL;
    if (ac->is_compiled)
        return 0;

    int rc = PL_ENOMEM;
    size_t n = ac->pattern_count;
    size_t node_max = ac->bytes_size + 1; /* <= PL_AC_MAX_BYTES + 1 */
    s_build_t b = {0};
    s_make_classes(ac);

    b.sorted = s_alloc(n, sizeof *b.sorted);
    b.pattern_node = s_alloc(n, sizeof *b.pattern_node);
    b.path = s_alloc((size_t)ac->max_pattern_size + 1, sizeof *b.path);
    b.first_child = s_alloc(node_max, sizeof *b.first_child);
    b.next_sibling = s_alloc(node_max, sizeof *b.next_sibling);
    b.last_child = s_alloc(node_max, sizeof *b.last_child);
    b.node_class = s_alloc(node_max, sizeof *b.node_class);
    if (!b.sorted || !b.pattern_node || !b.path || !b.first_child || !b.next_sibling ||
        !b.last_child || !b.node_class)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        b.sorted[i] = (s_sorted_t){.bytes = ac->bytes + ac->patterns[i].offset,
                                   .size = ac->patterns[i].size,
                                   .seq = (uint32_t)i};
    }
    if (n > 1)
        qsort(b.sorted, n, sizeof *b.sorted, s_compare);
    uint32_t node_count = s_build_trie(ac, &b);

    b.state_node = s_alloc(node_count, sizeof *b.state_node);
    b.child_first = s_alloc((size_t)node_count + 1, sizeof *b.child_first);
    b.state_class = s_alloc(node_count, sizeof *b.state_class);
    b.fail = s_alloc(node_count, sizeof *b.fail);
    b.has_out = s_alloc(node_count, sizeof *b.has_out);
    if (!b.state_node || !b.child_first || !b.state_class || !b.fail || !b.has_out)
        goto cleanup;
    s_number_states(ac, &b);

    /*
     * Dense rows for as many shallow states as the budget allows, at least the
     * start state; codes (row offsets, then sparse numbers) must stay below S_FLAG.
     */
    uint32_t ncls = ac->class_count;
    uint32_t states = ac->state_count;
    size_t dense_count = pl__ac_dense_max_size / (ncls * sizeof(uint32_t));
    size_t code_room = (S_FLAG - 1 - (size_t)states) / ncls;
    if (dense_count > code_room)
        dense_count = code_room;
    if (dense_count < 1)
        dense_count = 1;
    if (dense_count > states)
        dense_count = states;
    ac->dense_count = (uint32_t)dense_count;
    ac->dense_limit = (uint32_t)dense_count * ncls;
    size_t sparse_count = states - dense_count;

    ac->dense = s_alloc(dense_count * ncls, sizeof *ac->dense);
    ac->out_first = s_alloc((size_t)states + 1, sizeof *ac->out_first);
    ac->out_ids = s_alloc(n, sizeof *ac->out_ids);
    ac->out_next = s_alloc(states, sizeof *ac->out_next);
    if (!ac->dense || !ac->out_first || !ac->out_ids || !ac->out_next)
        goto cleanup;
    if (sparse_count > 0) {
        ac->sparse_first = s_alloc(sparse_count + 1, sizeof *ac->sparse_first);
        ac->sparse_class = s_alloc(sparse_count, sizeof *ac->sparse_class);
        ac->sparse_fail = s_alloc(sparse_count, sizeof *ac->sparse_fail);
        if (!ac->sparse_first || !ac->sparse_class || !ac->sparse_fail)
            goto cleanup;
    }
    s_fill_outputs(ac, &b);
    s_link_states(ac, &b);

    /* The keywords live on in the automaton only. */
    free(ac->patterns);
    free(ac->bytes);
    ac->patterns = NULL;
    ac->bytes = NULL;
    ac->patterns_capacity = ac->bytes_capacity = ac->bytes_size = 0;
    ac->is_compiled = true;
    rc = 0;

cleanup:
    if (rc != 0) {
        s_compiled_free(ac);
        ac->state_count = ac->dense_count = ac->dense_limit = 0;
    }
    s_build_free(&b);
    return rc;
}

/* Reports the outputs of the state with `code` (flag cleared); non-zero when fn said stop. */
static int s_emit(const pl_ac_t *ac, uint32_t code, size_t end, pl_ac_match_fn fn, void *arg)
{
    uint32_t s = s_state(ac, code);
    do {
        for (uint32_t k = ac->out_first[s]; k < ac->out_first[s + 1]; k++) {
            if (fn(ac->out_ids[k], end, arg))
                return 1;
        }
        s = ac->out_next[s];
    } while (s != 0);
    return 0;
}

/* The transition from a sparse state (`code` >= dense_limit, flag cleared) on class c. */
static uint32_t s_sparse_step(const pl_ac_t *ac, uint32_t code, uint32_t c)
{
    for (;;) {
        uint32_t j = code - ac->dense_limit;
        for (uint32_t k = ac->sparse_first[j]; k < ac->sparse_first[j + 1]; k++) {
            uint32_t kc = ac->sparse_class[k];
            if (kc == c)
                return (ac->dense_limit + k) | (ac->sparse_fail[k] & S_FLAG);
            if (kc > c)
                break;
        }
        code = ac->sparse_fail[j] & ~S_FLAG;
        if (code < ac->dense_limit)
            return ac->dense[code + c];
    }
}

void pl_ac_scan(const pl_ac_t *ac, const char *text, size_t len, pl_ac_match_fn fn, void *arg)
{
    if (!ac || !ac->is_compiled || !fn || !text || len == 0)
        return;
    const uint8_t *start = (const uint8_t *)text;
    const uint8_t *p = start;
    const uint8_t *end = start + len;
    const uint8_t *byte_class = ac->byte_class;
    const uint32_t *dense = ac->dense;
    const size_t limit = ac->dense_limit;
    /* size_t, not uint32_t: spares a zero-extension on the critical path of the hot loop. */
    size_t code = 0;
    for (;;) {
        /* The hot loop: shallow states, no output. */
        while (code < limit) {
            if (p == end)
                return;
            code = dense[code + byte_class[*p++]];
        }
        if (code & S_FLAG) {
            code &= ~(size_t)S_FLAG;
            if (s_emit(ac, (uint32_t)code, (size_t)(p - start), fn, arg))
                return;
            continue;
        }
        if (p == end)
            return;
        code = s_sparse_step(ac, (uint32_t)code, byte_class[*p++]);
    }
}

size_t pl_ac_pattern_count(const pl_ac_t *ac)
{
    return ac ? ac->pattern_count : 0;
}

size_t pl_ac_state_count(const pl_ac_t *ac)
{
    return ac && ac->is_compiled ? ac->state_count : 0;
}

size_t pl_ac_memory_size(const pl_ac_t *ac)
{
    if (!ac)
        return 0;
    size_t size = sizeof *ac + ac->bytes_capacity + ac->patterns_capacity * sizeof(s_pattern_t);
    if (ac->is_compiled) {
        size_t states = ac->state_count;
        size_t sparse = states - ac->dense_count;
        size += (size_t)ac->dense_limit * sizeof(uint32_t);
        size += (states + 1 + states) * sizeof(uint32_t) + ac->pattern_count * sizeof(uint32_t);
        if (sparse > 0)
            size += (sparse + 1 + sparse) * sizeof(uint32_t) + sparse;
    }
    return size;
}

void pl_ac_destroy(pl_ac_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pl_ac_t *ac = *self_p;
    s_compiled_free(ac);
    free(ac->patterns);
    free(ac->bytes);
    free(ac);
    *self_p = NULL;
}
