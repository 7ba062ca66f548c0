/*
 * fuzz_ac: libFuzzer entry point for the Aho–Corasick matcher (config/ac).
 * Seeds are in tests/fuzz/corpus/ac/.
 *
 *   cmake -DCMAKE_C_COMPILER=clang -DPL_FUZZ=ON -DPL_SANITIZE=address,undefined ..
 *   ./tests/fuzz_ac -max_total_time=60 ../tests/fuzz/corpus/ac
 *
 * An input is a keyword set plus a text:
 *   byte 0     options: bits 0-2 pick the dense-row budget (from "start state
 *              only" to "every state dense"), bit 3 maps every keyword and
 *              text byte onto the alphabet {a, A, b, 0xFF, 0x00, 0xE4}, so
 *              that overlaps and nested keywords are frequent
 *   byte 1     stop after this many matches (0 = never stop)
 *   byte 2     keyword count (mod 64)
 *   then per keyword: a length byte (1 + value mod 24) and that many bytes
 *   the rest   the text
 * Every scan is compared, call for call, with a naive search in the
 * documented order (end ascending; longer keywords first; then order of
 * addition); any difference aborts.
 */
#include "config/ac.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Test hook defined in config/ac.c. */
extern size_t pl__ac_dense_max_size;

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_ac: check failed: %s (line %d)\n", #cond, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { S_MAX_KEYWORDS = 64, S_MAX_KEYWORD_SIZE = 24 };

static const size_t s_budgets[8] = {
    PL_AC_DENSE_MAX_SIZE, 0, 4 * 8, 4 * 8 * 4, 4 * 8 * 16, 4 * 256 * 2, 4 * 256 * 16, SIZE_MAX,
};

typedef struct {
    uint8_t bytes[S_MAX_KEYWORD_SIZE];
    size_t size;
    uint32_t id;
} s_keyword_t;

typedef struct {
    uint32_t id;
    size_t end;
} s_match_t;

typedef struct {
    s_match_t *items;
    size_t count;
    size_t capacity;
    size_t stop_after; /* 0 = never */
} s_matches_t;

static void s_push(s_matches_t *m, uint32_t id, size_t end)
{
    if (m->count == m->capacity) {
        m->capacity = m->capacity ? m->capacity * 2 : 64;
        m->items = realloc(m->items, m->capacity * sizeof *m->items);
        S_CHECK(m->items != NULL);
    }
    m->items[m->count].id = id;
    m->items[m->count].end = end;
    m->count++;
}

static int s_collect(uint32_t id, size_t end, void *arg)
{
    s_matches_t *m = arg;
    s_push(m, id, end);
    return m->stop_after != 0 && m->count >= m->stop_after;
}

static uint8_t s_fold(uint8_t b)
{
    return (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 32) : b;
}

static void s_naive(const s_keyword_t *kws, size_t count, const uint8_t *text, size_t len,
                    s_matches_t *out)
{
    for (size_t end = 1; end <= len; end++) {
        for (size_t size = S_MAX_KEYWORD_SIZE; size >= 1; size--) {
            if (size > end)
                continue;
            for (size_t i = 0; i < count; i++) {
                if (kws[i].size != size)
                    continue;
                bool equal = true;
                for (size_t k = 0; k < size && equal; k++)
                    equal = s_fold(kws[i].bytes[k]) == s_fold(text[end - size + k]);
                if (equal) {
                    s_push(out, kws[i].id, end);
                    if (out->stop_after != 0 && out->count >= out->stop_after)
                        return;
                }
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t alphabet[6] = {'a', 'A', 'b', 0xFF, 0x00, 0xE4};
    if (size < 3)
        return 0;
    uint8_t options = data[0];
    size_t stop_after = data[1];
    size_t wanted = data[2] % S_MAX_KEYWORDS;
    bool small_alphabet = options & 8;
    size_t pos = 3;

    s_keyword_t kws[S_MAX_KEYWORDS];
    size_t count = 0;
    size_t total = 0;
    while (count < wanted && pos < size) {
        size_t n = 1 + data[pos++] % S_MAX_KEYWORD_SIZE;
        if (n > size - pos)
            n = size - pos;
        if (n == 0)
            break;
        s_keyword_t *kw = &kws[count];
        for (size_t k = 0; k < n; k++)
            kw->bytes[k] = small_alphabet ? alphabet[data[pos + k] % 6] : data[pos + k];
        kw->size = n;
        kw->id = (uint32_t)(count % 50); /* ids 0..49: some ids repeat */
        pos += n;
        total += n;
        count++;
    }
    size_t len = size - pos;
    uint8_t *text = malloc(len ? len : 1);
    S_CHECK(text != NULL);
    for (size_t k = 0; k < len; k++)
        text[k] = small_alphabet ? alphabet[data[pos + k] % 6] : data[pos + k];

    size_t saved = pl__ac_dense_max_size;
    pl__ac_dense_max_size = s_budgets[options & 7];
    pl_ac_t *ac = pl_ac_new();
    S_CHECK(ac != NULL);
    for (size_t i = 0; i < count; i++)
        S_CHECK(pl_ac_add(ac, (const char *)kws[i].bytes, kws[i].size, kws[i].id) == 0);
    S_CHECK(pl_ac_add(ac, "x", 0, 1) == PL_EINVAL);
    S_CHECK(pl_ac_compile(ac) == 0);
    pl__ac_dense_max_size = saved;
    S_CHECK(pl_ac_add(ac, "x", 1, 1) == PL_EINVAL);
    S_CHECK(pl_ac_pattern_count(ac) == count);
    S_CHECK(pl_ac_state_count(ac) >= 1 && pl_ac_state_count(ac) <= total + 1);
    S_CHECK(pl_ac_memory_size(ac) > 0);

    s_matches_t got = {.stop_after = stop_after};
    s_matches_t want = {.stop_after = stop_after};
    pl_ac_scan(ac, (const char *)text, len, s_collect, &got);
    s_naive(kws, count, text, len, &want);
    bool same = got.count == want.count;
    for (size_t i = 0; same && i < got.count; i++)
        same = got.items[i].id == want.items[i].id && got.items[i].end == want.items[i].end;
    if (!same) {
        fprintf(stderr, "fuzz_ac: %zu keywords, %zu-byte text, budget option %d, stop after %zu\n",
                count, len, options & 7, stop_after);
        for (size_t i = 0; i < got.count || i < want.count; i++) {
            fprintf(stderr, "  #%zu got", i);
            if (i < got.count)
                fprintf(stderr, " %u@%zu", got.items[i].id, got.items[i].end);
            fprintf(stderr, "  want");
            if (i < want.count)
                fprintf(stderr, " %u@%zu", want.items[i].id, want.items[i].end);
            fprintf(stderr, "\n");
        }
        abort();
    }

    free(got.items);
    free(want.items);
    pl_ac_destroy(&ac);
    S_CHECK(ac == NULL);
    free(text);
    return 0;
}
