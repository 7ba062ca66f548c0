/*
 * Unit tests for config/ac: the Aho–Corasick keyword matcher. Most tests
 * compare every scan, call for call, with a naive search that tries every
 * keyword at every end offset in the documented order. The keyword sets are
 * small, so each is also compiled with tiny dense budgets, which sends the
 * scan through the sparse states and failure links that large sets reach.
 * Two tests only print figures: build time and memory for 1k/10k keywords,
 * and scan throughput.
 * Run one test with: test_ac <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "config/ac.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Test hooks defined in config/ac.c (not in ac.h on purpose). */
extern void *(*pl__ac_realloc_fn)(void *ptr, size_t size);
extern size_t pl__ac_dense_max_size;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Dense budgets every comparison runs with: default, start state only, a few rows. */
static const size_t s_budgets[] = {PL_AC_DENSE_MAX_SIZE, 0, 4 * 4 * 3, 4 * 4 * 40};

/* ---------------------------------------------------------------- helpers */

static uint64_t s_rng = 0x9E3779B97F4A7C15u;

static uint32_t s_rand(void)
{
    /* xorshift64*: fixed seed, so a failure repeats. */
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return (uint32_t)((s_rng * 0x2545F4914F6CDD1Du) >> 32);
}

static uint32_t s_below(uint32_t n)
{
    return s_rand() % n;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: on a shared machine, closer to "one core" than wall time. */
static double s_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    uint32_t id;
    size_t end;
} s_match_t;

/* Compares field by field: s_match_t has padding. */
static bool s_same_matches(const s_match_t *a, const s_match_t *b, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (a[i].id != b[i].id || a[i].end != b[i].end)
            return false;
    }
    return true;
}

typedef struct {
    s_match_t *items;
    size_t count;
    size_t capacity;
    size_t stop_after; /* 0 = never stop */
} s_matches_t;

static void s_push(s_matches_t *m, uint32_t id, size_t end)
{
    if (m->count == m->capacity) {
        m->capacity = m->capacity ? m->capacity * 2 : 64;
        m->items = realloc(m->items, m->capacity * sizeof *m->items);
        assert_non_null(m->items);
    }
    m->items[m->count++] = (s_match_t){id, end};
}

static int s_collect(uint32_t id, size_t end, void *arg)
{
    s_matches_t *m = arg;
    s_push(m, id, end);
    return m->stop_after != 0 && m->count >= m->stop_after;
}

static int s_never_called(uint32_t id, size_t end, void *arg)
{
    (void)id;
    (void)end;
    (void)arg;
    fail_msg("callback called");
    return 1;
}

typedef struct {
    const char *bytes;
    size_t size;
    uint32_t id;
} s_kw_t;

typedef struct {
    s_kw_t *items;
    size_t count;
    size_t capacity;
    char *arena; /* keyword bytes */
    size_t arena_size;
    size_t arena_capacity;
} s_kwset_t;

/* Appends a keyword; its bytes are copied into one arena (offsets fixed up on use). */
static void s_kw_add(s_kwset_t *set, const char *bytes, size_t size, uint32_t id)
{
    if (set->count == set->capacity) {
        set->capacity = set->capacity ? set->capacity * 2 : 64;
        set->items = realloc(set->items, set->capacity * sizeof *set->items);
        assert_non_null(set->items);
    }
    if (set->arena_size + size > set->arena_capacity) {
        size_t cap = set->arena_capacity ? set->arena_capacity : 1024;
        while (cap < set->arena_size + size)
            cap *= 2;
        char *arena = realloc(set->arena, cap);
        assert_non_null(arena);
        for (size_t i = 0; i < set->count; i++)
            set->items[i].bytes = arena + (set->items[i].bytes - set->arena);
        set->arena = arena;
        set->arena_capacity = cap;
    }
    memcpy(set->arena + set->arena_size, bytes, size);
    set->items[set->count++] = (s_kw_t){set->arena + set->arena_size, size, id};
    set->arena_size += size;
}

static void s_kw_clear(s_kwset_t *set)
{
    free(set->items);
    free(set->arena);
    memset(set, 0, sizeof *set);
}

static unsigned char s_fold(unsigned char b)
{
    return (b >= 'A' && b <= 'Z') ? (unsigned char)(b + 32) : b;
}

static bool s_equal_folded(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s_fold((unsigned char)a[i]) != s_fold((unsigned char)b[i]))
            return false;
    }
    return true;
}

/* The documented order: by end; at one end, longer keywords first; then order of addition. */
static void s_naive(const s_kwset_t *set, const char *text, size_t len, s_matches_t *out)
{
    size_t max_size = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (set->items[i].size > max_size)
            max_size = set->items[i].size;
    }
    for (size_t end = 1; end <= len; end++) {
        for (size_t size = max_size < end ? max_size : end; size >= 1; size--) {
            for (size_t i = 0; i < set->count; i++) {
                const s_kw_t *kw = &set->items[i];
                if (kw->size == size && s_equal_folded(kw->bytes, text + end - size, size))
                    s_push(out, kw->id, end);
            }
        }
    }
}

static pl_ac_t *s_build(const s_kwset_t *set, size_t budget)
{
    size_t saved = pl__ac_dense_max_size;
    pl__ac_dense_max_size = budget;
    pl_ac_t *ac = pl_ac_new();
    assert_non_null(ac);
    for (size_t i = 0; i < set->count; i++)
        assert_int_equal(pl_ac_add(ac, set->items[i].bytes, set->items[i].size, set->items[i].id),
                         0);
    assert_int_equal(pl_ac_compile(ac), 0);
    pl__ac_dense_max_size = saved;
    assert_int_equal(pl_ac_pattern_count(ac), set->count);
    return ac;
}

static void s_print_text(const char *label, const char *text, size_t len)
{
    print_error("%s (%zu bytes):", label, len);
    for (size_t i = 0; i < len; i++)
        print_error(" %02x", (unsigned char)text[i]);
    print_error("\n");
}

static void s_print_matches(const char *label, const s_matches_t *m)
{
    print_error("%s (%zu):", label, m->count);
    for (size_t i = 0; i < m->count; i++)
        print_error(" %u@%zu", m->items[i].id, m->items[i].end);
    print_error("\n");
}

/* Scans `text` with `ac` and fails unless the calls equal the naive search exactly. */
static void s_check_scan(const pl_ac_t *ac, const s_kwset_t *set, const char *text, size_t len)
{
    s_matches_t got = {0}, want = {0};
    pl_ac_scan(ac, text, len, s_collect, &got);
    s_naive(set, text, len, &want);
    bool same = got.count == want.count && s_same_matches(got.items, want.items, got.count);
    if (!same) {
        for (size_t i = 0; i < set->count; i++) {
            char label[64];
            snprintf(label, sizeof label, "keyword id %u", set->items[i].id);
            s_print_text(label, set->items[i].bytes, set->items[i].size);
        }
        s_print_text("text", text, len);
        s_print_matches("got", &got);
        s_print_matches("want", &want);
        fail_msg("scan differs from naive search (%zu vs %zu calls)", got.count, want.count);
    }
    free(got.items);
    free(want.items);
}

/* Checks the set on `text` with every dense budget. */
static void s_check_all_budgets(const s_kwset_t *set, const char *text, size_t len)
{
    for (size_t b = 0; b < ARRAY_SIZE(s_budgets); b++) {
        pl_ac_t *ac = s_build(set, s_budgets[b]);
        s_check_scan(ac, set, text, len);
        pl_ac_destroy(&ac);
    }
}

static void s_add_str(s_kwset_t *set, const char *s, uint32_t id)
{
    s_kw_add(set, s, strlen(s), id);
}

/* ---------------------------------------------------------------- life cycle and arguments */

static void test_lifecycle(void **state)
{
    (void)state;
    pl_ac_t *ac = pl_ac_new();
    assert_non_null(ac);
    assert_int_equal(pl_ac_pattern_count(ac), 0);
    assert_int_equal(pl_ac_state_count(ac), 0);
    assert_true(pl_ac_memory_size(ac) > 0);
    pl_ac_destroy(&ac);
    assert_null(ac);
    pl_ac_destroy(&ac);
    pl_ac_destroy(NULL);
    assert_int_equal(pl_ac_pattern_count(NULL), 0);
    assert_int_equal(pl_ac_state_count(NULL), 0);
    assert_int_equal(pl_ac_memory_size(NULL), 0);
}

static void test_add_arguments(void **state)
{
    (void)state;
    pl_ac_t *ac = pl_ac_new();
    assert_non_null(ac);
    assert_int_equal(pl_ac_add(NULL, "a", 1, 1), PL_EINVAL);
    assert_int_equal(pl_ac_add(ac, NULL, 1, 1), PL_EINVAL);
    assert_int_equal(pl_ac_add(ac, "a", 0, 1), PL_EINVAL);
    assert_int_equal(pl_ac_add(ac, "", 0, 1), PL_EINVAL);
    assert_int_equal(pl_ac_pattern_count(ac), 0);
    /* Refused before a byte is read: the size alone is too large. */
    assert_int_equal(pl_ac_add(ac, "x", (size_t)PL_AC_MAX_BYTES + 1, 1), PL_ENOMEM);
    assert_int_equal(pl_ac_add(ac, "x", SIZE_MAX, 1), PL_ENOMEM);
    assert_int_equal(pl_ac_add(ac, "abc", 3, 1), 0);
    assert_int_equal(pl_ac_add(ac, "abc", 3, UINT32_MAX), 0);
    assert_int_equal(pl_ac_pattern_count(ac), 2);
    assert_int_equal(pl_ac_compile(ac), 0);
    assert_int_equal(pl_ac_add(ac, "x", 1, 3), PL_EINVAL);
    assert_int_equal(pl_ac_pattern_count(ac), 2);
    /* A second compile is a no-op. */
    assert_int_equal(pl_ac_compile(ac), 0);
    assert_int_equal(pl_ac_compile(NULL), PL_EINVAL);

    s_matches_t got = {0};
    pl_ac_scan(ac, "xabc", 4, s_collect, &got);
    assert_int_equal(got.count, 2);
    assert_int_equal(got.items[0].id, 1);
    assert_int_equal(got.items[1].id, UINT32_MAX);
    assert_int_equal(got.items[1].end, 4);
    free(got.items);
    pl_ac_destroy(&ac);
}

static void test_scan_arguments(void **state)
{
    (void)state;
    pl_ac_t *ac = pl_ac_new();
    assert_non_null(ac);
    assert_int_equal(pl_ac_add(ac, "a", 1, 1), 0);
    /* Not compiled yet: nothing happens. */
    pl_ac_scan(ac, "aaa", 3, s_never_called, NULL);
    assert_int_equal(pl_ac_compile(ac), 0);
    pl_ac_scan(NULL, "aaa", 3, s_never_called, NULL);
    pl_ac_scan(ac, "aaa", 3, NULL, NULL);
    pl_ac_scan(ac, NULL, 0, s_never_called, NULL);
    pl_ac_scan(ac, NULL, 5, s_never_called, NULL);
    pl_ac_scan(ac, "aaa", 0, s_never_called, NULL);
    pl_ac_scan(ac, "bbb", 3, s_never_called, NULL);
    pl_ac_destroy(&ac);
}

static void test_empty_automaton(void **state)
{
    (void)state;
    pl_ac_t *ac = pl_ac_new();
    assert_non_null(ac);
    assert_int_equal(pl_ac_compile(ac), 0);
    assert_int_equal(pl_ac_state_count(ac), 1);
    assert_int_equal(pl_ac_pattern_count(ac), 0);
    char text[256];
    for (int i = 0; i < 256; i++)
        text[i] = (char)i;
    pl_ac_scan(ac, text, sizeof text, s_never_called, NULL);
    pl_ac_destroy(&ac);
}

static void test_counts(void **state)
{
    (void)state;
    pl_ac_t *ac = pl_ac_new();
    assert_non_null(ac);
    assert_int_equal(pl_ac_add(ac, "abc", 3, 1), 0);
    assert_int_equal(pl_ac_add(ac, "abd", 3, 2), 0);
    assert_int_equal(pl_ac_add(ac, "ab", 2, 3), 0);
    assert_int_equal(pl_ac_add(ac, "ABC", 3, 4), 0); /* same prefixes, folded */
    assert_int_equal(pl_ac_add(ac, "\xe9\x80\x80", 3, 5), 0);
    size_t before = pl_ac_memory_size(ac);
    assert_true(before >= 15);
    assert_int_equal(pl_ac_compile(ac), 0);
    assert_int_equal(pl_ac_pattern_count(ac), 5);
    /* start, a, ab, abc, abd, e9, e9 80, e9 80 80 */
    assert_int_equal(pl_ac_state_count(ac), 8);
    assert_true(pl_ac_memory_size(ac) > 0);
    pl_ac_destroy(&ac);
}

/* ---------------------------------------------------------------- fixed cases */

static void test_classic_example(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_add_str(&set, "he", 0);
    s_add_str(&set, "she", 1);
    s_add_str(&set, "his", 2);
    s_add_str(&set, "hers", 3);
    for (size_t b = 0; b < ARRAY_SIZE(s_budgets); b++) {
        pl_ac_t *ac = s_build(&set, s_budgets[b]);
        s_matches_t got = {0};
        pl_ac_scan(ac, "ushers", 6, s_collect, &got);
        assert_int_equal(got.count, 3);
        assert_int_equal(got.items[0].id, 1); /* she, longer first */
        assert_int_equal(got.items[0].end, 4);
        assert_int_equal(got.items[1].id, 0); /* he */
        assert_int_equal(got.items[1].end, 4);
        assert_int_equal(got.items[2].id, 3); /* hers */
        assert_int_equal(got.items[2].end, 6);
        free(got.items);
        pl_ac_destroy(&ac);
    }
    s_check_all_budgets(&set, "ushershishehershis", 18);
    s_kw_clear(&set);
}

static void test_case_folding_ascii_only(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_add_str(&set, "Refund", 1);
    s_add_str(&set, "\xc3\xa9", 2);     /* é */
    s_add_str(&set, "\xe1", 3);         /* would be 0xC1 if folded like ASCII */
    s_add_str(&set, "[", 4);            /* 0x5B vs 0x7B '{' */
    s_add_str(&set, "@", 5);            /* 0x40 vs 0x60 '`' */
    s_add_str(&set, "\xe9\x80\x80", 6); /* 退 */
    pl_ac_t *ac = s_build(&set, PL_AC_DENSE_MAX_SIZE);

    static const char *const hits[] = {"REFUND", "refund", "rEfUnD", "ReFuNd"};
    for (size_t i = 0; i < ARRAY_SIZE(hits); i++) {
        s_matches_t got = {0};
        pl_ac_scan(ac, hits[i], 6, s_collect, &got);
        assert_int_equal(got.count, 1);
        assert_int_equal(got.items[0].id, 1);
        assert_int_equal(got.items[0].end, 6);
        free(got.items);
    }
    /* None of these is the same byte string up to ASCII letter case. */
    static const char *const misses[] = {"\xc3\x89",     "\xc1",  "{",     "`",     "\xc9\x80\x80",
                                         "\xe9\xa0\x80", "Refun", "efund", "R3fund"};
    for (size_t i = 0; i < ARRAY_SIZE(misses); i++)
        pl_ac_scan(ac, misses[i], strlen(misses[i]), s_never_called, NULL);
    pl_ac_destroy(&ac);

    static const char text[] = "xREFUNDrefund\xc3\x89\xc3\xa9\xc1\xe1{[`@\xe9\x80\x80\xc9\x80\x80";
    s_check_all_budgets(&set, text, sizeof text - 1);
    s_kw_clear(&set);
}

static void test_chinese(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_add_str(&set, "投诉", 1);
    s_add_str(&set, "退款", 2);
    s_add_str(&set, "质量问题", 3);
    s_add_str(&set, "问题", 4);
    s_add_str(&set, "质量", 5);
    s_add_str(&set, "退款退款", 6);
    s_add_str(&set, "款", 7);
    const char *text = "我要投诉，产品质量问题，要求退款退款！Refund 退款";
    size_t len = strlen(text);

    pl_ac_t *ac = s_build(&set, PL_AC_DENSE_MAX_SIZE);
    s_matches_t got = {0};
    pl_ac_scan(ac, text, len, s_collect, &got);
    /* 投诉 ends after 我要投诉: 4 characters of 3 bytes. */
    assert_true(got.count >= 1);
    assert_int_equal(got.items[0].id, 1);
    assert_int_equal(got.items[0].end, 12);
    /* 质量 before 质量问题 (smaller end); then 质量问题 before 问题 (same end, longer first). */
    assert_int_equal(got.items[1].id, 5);
    assert_int_equal(got.items[2].id, 3);
    assert_int_equal(got.items[3].id, 4);
    assert_int_equal(got.items[2].end, got.items[3].end);
    assert_int_equal(got.items[2].end, strstr(text, "问题") - text + 6);
    free(got.items);
    pl_ac_destroy(&ac);

    s_check_all_budgets(&set, text, len);
    s_kw_clear(&set);
}

static void test_duplicates(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_add_str(&set, "abc", 7);
    s_add_str(&set, "bc", 11);
    s_add_str(&set, "abc", 8);
    s_add_str(&set, "ABC", 10);
    s_add_str(&set, "abc", 9);
    s_add_str(&set, "abc", 7); /* same id twice: reported twice */
    s_add_str(&set, "款", 1);
    s_add_str(&set, "款", 2);
    for (size_t b = 0; b < ARRAY_SIZE(s_budgets); b++) {
        pl_ac_t *ac = s_build(&set, s_budgets[b]);
        s_matches_t got = {0};
        pl_ac_scan(ac, "xabcaBc款", 10, s_collect, &got);
        static const uint32_t want_ids[] = {7, 8, 10, 9, 7, 11, 7, 8, 10, 9, 7, 11, 1, 2};
        static const size_t want_ends[] = {4, 4, 4, 4, 4, 4, 7, 7, 7, 7, 7, 7, 10, 10};
        assert_int_equal(got.count, ARRAY_SIZE(want_ids));
        for (size_t i = 0; i < got.count; i++) {
            assert_int_equal(got.items[i].id, want_ids[i]);
            assert_int_equal(got.items[i].end, want_ends[i]);
        }
        free(got.items);
        pl_ac_destroy(&ac);
    }
    s_kw_clear(&set);
}

static void test_early_stop(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_add_str(&set, "a", 1);
    s_add_str(&set, "aa", 2);
    s_add_str(&set, "aab", 3);
    s_add_str(&set, "ab", 4);
    s_add_str(&set, "b", 5);
    s_add_str(&set, "b", 6);
    s_add_str(&set, "问题", 7);
    const char *text = "aabaaab问题abab问题aaaa";
    size_t len = strlen(text);
    for (size_t b = 0; b < ARRAY_SIZE(s_budgets); b++) {
        pl_ac_t *ac = s_build(&set, s_budgets[b]);
        s_matches_t all = {0};
        pl_ac_scan(ac, text, len, s_collect, &all);
        assert_true(all.count > 20);
        for (size_t k = 1; k <= all.count; k++) {
            s_matches_t got = {.stop_after = k};
            pl_ac_scan(ac, text, len, s_collect, &got);
            assert_int_equal(got.count, k);
            assert_true(s_same_matches(got.items, all.items, k));
            free(got.items);
        }
        free(all.items);
        pl_ac_destroy(&ac);
    }
    s_kw_clear(&set);
}

static void test_text_equals_pattern(void **state)
{
    (void)state;
    char text[700];
    size_t len = 0;
    while (len + 3 <= 600) {
        memcpy(text + len, "质", 3);
        len += 3;
        text[len++] = (char)('a' + s_below(3));
    }
    s_kwset_t set = {0};
    s_kw_add(&set, text, len, 1);
    s_kw_add(&set, text, 1, 2);           /* its first byte */
    s_kw_add(&set, text + len - 1, 1, 3); /* its last byte */
    s_kw_add(&set, text + 1, len - 1, 4); /* all but the first */
    s_kw_add(&set, text, len - 1, 5);     /* all but the last */
    s_check_all_budgets(&set, text, len);

    pl_ac_t *ac = s_build(&set, 0);
    s_matches_t got = {0};
    pl_ac_scan(ac, text, len, s_collect, &got);
    assert_int_equal(got.items[got.count - 3].id, 1);
    assert_int_equal(got.items[got.count - 3].end, len);
    free(got.items);
    /* One byte short of the keyword: no match for id 1. */
    got = (s_matches_t){0};
    pl_ac_scan(ac, text, len - 1, s_collect, &got);
    for (size_t i = 0; i < got.count; i++)
        assert_int_not_equal(got.items[i].id, 1);
    free(got.items);
    pl_ac_destroy(&ac);
    s_kw_clear(&set);
}

static void test_one_byte_patterns(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    for (int v = 255; v >= 0; v--) {
        char c = (char)v;
        s_kw_add(&set, &c, 1, (uint32_t)v);
    }
    char text[600];
    for (int i = 0; i < 256; i++) {
        text[i] = (char)i;
        text[511 - i] = (char)i;
    }
    for (int i = 512; i < 600; i++)
        text[i] = (char)s_below(256);
    s_check_all_budgets(&set, text, sizeof text);

    /* Each byte matches itself, and a letter also its other case (added first: higher value). */
    pl_ac_t *ac = s_build(&set, PL_AC_DENSE_MAX_SIZE);
    s_matches_t got = {0};
    pl_ac_scan(ac, text, 256, s_collect, &got);
    assert_int_equal(got.count, 256 + 52);
    size_t k = 0;
    for (int v = 0; v < 256; v++) {
        int lower = (v >= 'A' && v <= 'Z') ? v + 32 : v;
        if ((v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z')) {
            assert_int_equal(got.items[k].id, (uint32_t)lower);
            assert_int_equal(got.items[k + 1].id, (uint32_t)lower - 32);
            assert_int_equal(got.items[k + 1].end, (size_t)v + 1);
            k += 2;
        } else {
            assert_int_equal(got.items[k].id, (uint32_t)v);
            assert_int_equal(got.items[k].end, (size_t)v + 1);
            k++;
        }
    }
    free(got.items);
    pl_ac_destroy(&ac);
    s_kw_clear(&set);
}

static void test_high_and_nul_bytes(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_kw_add(&set, "\xff", 1, 1);
    s_kw_add(&set, "\xff\xff", 2, 2);
    s_kw_add(&set, "\x00\xff", 2, 3);
    s_kw_add(&set, "\xfe\xff\x00", 3, 4);
    s_kw_add(&set, "\x00", 1, 5);
    s_kw_add(&set, "\xff\xff\xff\xff", 4, 6);
    s_kw_add(&set, "\x80\xbf", 2, 7);
    const char text[] = "\xff\xff\xff\xff\xff\x00\xff\xfe\xff\x00\x00\xfe\xff\xff\x80\xbf\xff";
    s_check_all_budgets(&set, text, sizeof text - 1);
    s_kw_clear(&set);
}

static void test_nested_chains(void **state)
{
    (void)state;
    /* a, aa, ..., a^24 (and the same in b): deep failure and output chains. */
    s_kwset_t set = {0};
    char run[24];
    memset(run, 'a', sizeof run);
    for (uint32_t n = 1; n <= 24; n++)
        s_kw_add(&set, run, n, n);
    for (uint32_t n = 1; n <= 24; n += 3) {
        char mixed[24];
        for (uint32_t i = 0; i < n; i++)
            mixed[i] = i % 2 ? 'a' : 'b';
        s_kw_add(&set, mixed, n, 100 + n);
    }
    char text[200];
    memset(text, 'a', 100);
    for (int i = 100; i < 200; i++)
        text[i] = "abAB"[s_below(4)];
    s_check_all_budgets(&set, text, sizeof text);
    s_kw_clear(&set);
}

/* ---------------------------------------------------------------- random comparisons */

typedef struct {
    const char *symbols; /* symbol_count symbols of `width` bytes each */
    size_t symbol_count;
    size_t width;
} s_alphabet_t;

/* clang-format off */
#define S_ALPHABET(lit, width) {(lit), (sizeof(lit) - 1) / (width), (width)}
/* clang-format on */

static const s_alphabet_t s_alphabets[] = {
    S_ALPHABET("ab", 1),
    S_ALPHABET("abc", 1),
    S_ALPHABET("aAbB", 1),
    S_ALPHABET("\x00\xff", 1),
    S_ALPHABET("\xe4\xb8\xad\xe6\x96\x87", 1), /* the bytes of 中文, split anywhere */
    S_ALPHABET("aZ\xff\xc1\xe1", 1),
    S_ALPHABET("问题质量退款", 3), /* whole characters */
    S_ALPHABET("问题a", 1),        /* the bytes of 问题, and 'a' */
};

static void s_random_set(s_kwset_t *set, const s_alphabet_t *a, size_t count, size_t max_symbols)
{
    size_t symbols = a->symbol_count;
    for (size_t i = 0; i < count; i++) {
        char buf[64];
        size_t n = 1 + s_below((uint32_t)max_symbols);
        size_t len = 0;
        for (size_t k = 0; k < n; k++) {
            memcpy(buf + len, a->symbols + s_below((uint32_t)symbols) * a->width, a->width);
            len += a->width;
        }
        /* Some duplicates with fresh ids. */
        if (i > 0 && s_below(8) == 0) {
            const s_kw_t *old = &set->items[s_below((uint32_t)set->count)];
            memcpy(buf, old->bytes, old->size);
            len = old->size;
        }
        s_kw_add(set, buf, len, (uint32_t)i);
    }
}

static size_t s_random_text(char *text, size_t max, const s_alphabet_t *a)
{
    size_t symbols = a->symbol_count;
    size_t n = s_below((uint32_t)(max / a->width + 1));
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        memcpy(text + len, a->symbols + s_below((uint32_t)symbols) * a->width, a->width);
        len += a->width;
    }
    return len;
}

static void test_random_small_alphabets(void **state)
{
    (void)state;
    size_t scans = 0;
    for (size_t ai = 0; ai < ARRAY_SIZE(s_alphabets); ai++) {
        const s_alphabet_t *a = &s_alphabets[ai];
        for (int round = 0; round < 60; round++) {
            s_kwset_t set = {0};
            s_random_set(&set, a, 1 + s_below(40), 1 + s_below(8));
            for (size_t b = 0; b < ARRAY_SIZE(s_budgets); b++) {
                pl_ac_t *ac = s_build(&set, s_budgets[b]);
                for (int t = 0; t < 8; t++) {
                    char text[300];
                    size_t len = s_random_text(text, 240, a);
                    s_check_scan(ac, &set, text, len);
                    scans++;
                }
                pl_ac_destroy(&ac);
            }
            s_kw_clear(&set);
        }
    }
    print_message("random: %zu scans compared with the naive search\n", scans);
}

/* ---------------------------------------------------------------- allocation failures */

static long s_fail_countdown = -1; /* < 0: never fail */
static long s_alloc_calls;

static void *s_failing_realloc(void *ptr, size_t size)
{
    s_alloc_calls++;
    if (s_fail_countdown == 0)
        return NULL;
    if (s_fail_countdown > 0)
        s_fail_countdown--;
    return realloc(ptr, size);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    for (uint32_t i = 0; i < 40; i++) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "k%u问%c", i * 7, 'a' + (char)(i % 3));
        s_kw_add(&set, buf, (size_t)n, i);
    }
    const char *text = "xk7问b k14问c k0问a k21问a";
    size_t saved_budget = pl__ac_dense_max_size;
    pl__ac_dense_max_size = 4 * 64 * 5; /* some sparse states, so every array is allocated */
    pl__ac_realloc_fn = s_failing_realloc;
    bool completed = false;
    long fail_at = 0, compile_failures = 0;
    for (; !completed; fail_at++) {
        s_fail_countdown = fail_at;
        pl_ac_t *ac = pl_ac_new();
        if (!ac)
            continue;
        int rc = 0;
        size_t added = 0;
        for (size_t i = 0; i < set.count && rc == 0; i++) {
            rc = pl_ac_add(ac, set.items[i].bytes, set.items[i].size, set.items[i].id);
            assert_true(rc == 0 || rc == PL_ENOMEM);
            if (rc == 0)
                added++;
        }
        assert_int_equal(pl_ac_pattern_count(ac), added);
        if (rc == 0) {
            rc = pl_ac_compile(ac);
            assert_true(rc == 0 || rc == PL_ENOMEM);
            if (rc == 0) {
                completed = true;
            } else {
                /* Left uncompiled and usable: retry with memory. */
                compile_failures++;
                assert_int_equal(pl_ac_state_count(ac), 0);
                pl_ac_scan(ac, text, strlen(text), s_never_called, NULL);
                s_fail_countdown = -1;
                assert_int_equal(pl_ac_add(ac, "zz", 2, 999), 0);
                assert_int_equal(pl_ac_add(ac, "zz", 2, 999), 0);
                assert_int_equal(pl_ac_compile(ac), 0);
            }
            /* The extra "zz" keywords do not occur in the text. */
            pl__ac_realloc_fn = realloc;
            s_check_scan(ac, &set, text, strlen(text));
            pl__ac_realloc_fn = s_failing_realloc;
        }
        pl_ac_destroy(&ac);
        assert_true(fail_at < 1000);
    }
    /* Every allocation of pl_ac_compile failed once (the sparse arrays included). */
    assert_true(compile_failures >= 15);
    print_message("out of memory: %ld failure points, %ld in compile\n", fail_at - 1,
                  compile_failures);
    pl__ac_realloc_fn = realloc;
    pl__ac_dense_max_size = saved_budget;
    s_kw_clear(&set);
}

/* ---------------------------------------------------------------- threads */

typedef struct {
    const pl_ac_t *ac;
    const char *text;
    size_t len;
    const s_matches_t *want;
    int failures;
} s_thread_arg_t;

static void *s_thread_scan(void *p)
{
    s_thread_arg_t *t = p;
    for (int i = 0; i < 300; i++) {
        s_matches_t got = {0};
        pl_ac_scan(t->ac, t->text, t->len, s_collect, &got);
        if (got.count != t->want->count || !s_same_matches(got.items, t->want->items, got.count))
            t->failures++;
        free(got.items);
    }
    return NULL;
}

static void test_concurrent_scans(void **state)
{
    (void)state;
    s_kwset_t set = {0};
    s_random_set(&set, &s_alphabets[6], 30, 4);
    s_random_set(&set, &s_alphabets[1], 30, 5);
    char text[400];
    size_t len = s_random_text(text, 200, &s_alphabets[6]);
    len += s_random_text(text + len, 190, &s_alphabets[1]);
    pl_ac_t *ac = s_build(&set, 4 * 4 * 10);
    s_matches_t want = {0};
    s_naive(&set, text, len, &want);
    s_thread_arg_t args[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (s_thread_arg_t){ac, text, len, &want, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, s_thread_scan, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    free(want.items);
    pl_ac_destroy(&ac);
    s_kw_clear(&set);
}

/* ---------------------------------------------------------------- figures, printed only */

/* Common characters: complaint vocabulary plus everyday text. */
static const char s_hanzi[] =
    "的一是不了人我在有他这中大来上们到说国和地也子时道出要就下以生会自着去之过家学对可她里后小么"
    "心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两"
    "长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等"
    "几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入"
    "先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提"
    "感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服"
    "退款投诉质量差慢递破损虚假宣传价格欺诈维修保换货赔偿客户态度售后订单发票延迟漏错坏漏水噪音异";

static size_t s_hanzi_count(void)
{
    return (sizeof s_hanzi - 1) / 3;
}

static size_t s_put_hanzi(char *dst)
{
    memcpy(dst, s_hanzi + 3 * s_below((uint32_t)s_hanzi_count()), 3);
    return 3;
}

/* `count` keywords: 70% Chinese of 2-4 characters, 30% English words of 4-10 letters. */
static void s_realistic_set(s_kwset_t *set, size_t count)
{
    static const char *const syllables[] = {
        "re", "fu", "nd",  "de", "la", "y",  "br", "ok", "en",  "da",   "ma", "ge", "ch",
        "ar", "ge", "ser", "vi", "ce", "qu", "al", "it", "pro", "duct", "sc", "am"};
    for (size_t i = 0; i < count; i++) {
        char buf[64];
        size_t len = 0;
        if (s_below(10) < 7) {
            size_t n = 2 + s_below(3);
            for (size_t k = 0; k < n; k++)
                len += s_put_hanzi(buf + len);
        } else {
            while (len < 4 || (len < 10 && s_below(3) != 0)) {
                const char *syl = syllables[s_below(ARRAY_SIZE(syllables))];
                size_t n = strlen(syl);
                if (len + n > 12)
                    break;
                memcpy(buf + len, syl, n);
                len += n;
            }
            if (s_below(4) == 0)
                buf[0] = (char)(buf[0] - 32); /* some capitalized */
        }
        s_kw_add(set, buf, len, (uint32_t)i);
    }
}

/* A complaint-like text of exactly `size` bytes: Chinese with some ASCII and a few keywords. */
static size_t s_realistic_text(char *text, size_t size, const s_kwset_t *set)
{
    size_t len = 0;
    while (len + 16 < size) {
        uint32_t r = s_below(100);
        if (r < 80) {
            len += s_put_hanzi(text + len);
        } else if (r < 90) {
            len += (size_t)snprintf(text + len, 16, " %u ", s_below(100000));
        } else if (r < 93) {
            memcpy(text + len, "，", 3);
            len += 3;
        } else {
            const s_kw_t *kw = &set->items[s_below((uint32_t)set->count)];
            if (len + kw->size + 16 < size) {
                memcpy(text + len, kw->bytes, kw->size);
                len += kw->size;
            }
        }
    }
    while (len < size)
        text[len++] = ' ';
    return len;
}

static void test_build_size_and_time(void **state)
{
    (void)state;
    static const size_t counts[] = {1000, 3000, 10000};
    for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
        s_kwset_t set = {0};
        s_realistic_set(&set, counts[i]);
        double t0 = s_now();
        pl_ac_t *ac = pl_ac_new();
        assert_non_null(ac);
        for (size_t k = 0; k < set.count; k++)
            assert_int_equal(pl_ac_add(ac, set.items[k].bytes, set.items[k].size, set.items[k].id),
                             0);
        size_t before = pl_ac_memory_size(ac);
        assert_int_equal(pl_ac_compile(ac), 0);
        double t1 = s_now();
        print_message("build: %5zu keywords (%zu bytes): %zu states, %.1f ms, %zu bytes before "
                      "compile, %zu bytes (%.2f MiB) compiled\n",
                      counts[i], set.arena_size, pl_ac_state_count(ac), (t1 - t0) * 1e3, before,
                      pl_ac_memory_size(ac), (double)pl_ac_memory_size(ac) / (1024.0 * 1024.0));
        /* Spot check against the naive search. */
        char text[400];
        size_t len = s_realistic_text(text, 300, &set);
        s_check_scan(ac, &set, text, len);
        pl_ac_destroy(&ac);
        s_kw_clear(&set);
    }
}

static int s_count_match(uint32_t id, size_t end, void *arg)
{
    (void)id;
    (void)end;
    (*(size_t *)arg)++;
    return 0;
}

static void test_throughput(void **state)
{
    (void)state;
    static const size_t counts[] = {1000, 10000};
    for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
        s_kwset_t set = {0};
        s_realistic_set(&set, counts[i]);
        pl_ac_t *ac = s_build(&set, PL_AC_DENSE_MAX_SIZE);
        enum { TEXT_COUNT = 64 };
        static char texts[TEXT_COUNT][400];
        size_t lens[TEXT_COUNT], total = 0;
        for (int k = 0; k < TEXT_COUNT; k++) {
            lens[k] = s_realistic_text(texts[k], 300, &set);
            total += lens[k];
        }
        size_t matches = 0, scans = 0, bytes = 0;
        double t0 = s_cpu_now(), t1;
        do {
            for (int r = 0; r < 100; r++) {
                for (int k = 0; k < TEXT_COUNT; k++)
                    pl_ac_scan(ac, texts[k], lens[k], s_count_match, &matches);
            }
            scans += 100 * TEXT_COUNT;
            bytes += 100 * total;
            t1 = s_cpu_now();
        } while (t1 - t0 < 0.5);
        double secs = t1 - t0;
        print_message("throughput: %5zu keywords, %zu states: %.0f MB/s, %.0f scans/s of %zu-byte "
                      "texts (per CPU second), %.1f matches per scan\n",
                      counts[i], pl_ac_state_count(ac), (double)bytes / secs / 1e6,
                      (double)scans / secs, total / TEXT_COUNT, (double)matches / (double)scans);
        pl_ac_destroy(&ac);
        s_kw_clear(&set);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_add_arguments),
        cmocka_unit_test(test_scan_arguments),
        cmocka_unit_test(test_empty_automaton),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_classic_example),
        cmocka_unit_test(test_case_folding_ascii_only),
        cmocka_unit_test(test_chinese),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_early_stop),
        cmocka_unit_test(test_text_equals_pattern),
        cmocka_unit_test(test_one_byte_patterns),
        cmocka_unit_test(test_high_and_nul_bytes),
        cmocka_unit_test(test_nested_chains),
        cmocka_unit_test(test_random_small_alphabets),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_concurrent_scans),
        cmocka_unit_test(test_build_size_and_time),
        cmocka_unit_test(test_throughput),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
