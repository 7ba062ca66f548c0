/*
 * Unit tests for common/pl_sha256: the FIPS 180-4 example messages ("abc",
 * the 448-bit and 896-bit messages, a million 'a'), the empty message,
 * lengths around the block and padding boundaries, and NUL bytes in the
 * data. Expected values from NIST's SHA-256 examples (FIPS 180-2 appendix
 * B) and `sha256sum`.
 * Run one test with: test_sha256 <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_sha256.h"

#include <stdlib.h>
#include <string.h>

/* The hex of `size` bytes at `data`, checked against `want`. */
static void s_check(const void *data, size_t size, const char *want)
{
    char out[PL_SHA256_HEX_SIZE];
    memset(out, '#', sizeof out);
    pl_sha256_hex(data, size, out);
    assert_int_equal(strlen(out), 64);
    assert_string_equal(out, want);
}

static void test_abc(void **state)
{
    (void)state;
    s_check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_empty(void **state)
{
    (void)state;
    s_check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    s_check(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_448_bits(void **state)
{
    (void)state;
    /* 56 bytes: the length no longer fits the first block's padding. */
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m) * 8, 448);
    s_check(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bits(void **state)
{
    (void)state;
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                    "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_int_equal(strlen(m) * 8, 896);
    s_check(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
    (void)state;
    size_t size = 1000000;
    char *m = malloc(size);
    assert_non_null(m);
    memset(m, 'a', size);
    s_check(m, size, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);
}

static void test_block_boundaries(void **state)
{
    (void)state;
    /* Runs of 'a' just below, at and above 55/56 bytes (where the length
     * moves to a second padding block) and 64 (a whole block). */
    static const struct {
        size_t size;
        const char *sha256;
    } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    char m[128];
    memset(m, 'a', sizeof m);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_check(m, cases[i].size, cases[i].sha256);
    }
}

static void test_nul_bytes(void **state)
{
    (void)state;
    /* The size counts, not the first NUL. */
    s_check("a\0b", 3, "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc),       cmocka_unit_test(test_empty),
        cmocka_unit_test(test_448_bits),  cmocka_unit_test(test_896_bits),
        cmocka_unit_test(test_million_a), cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_nul_bytes),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
