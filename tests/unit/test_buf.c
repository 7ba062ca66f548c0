/*
 * Unit tests for common/pl_buf: growth, printf of short and long texts (also
 * through vprintf), the string and number appenders, handing the text over,
 * and the failure flag.
 * Run one test with: test_buf <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The buffer's invariants while it has not failed. */
static void s_check(const pl_buf_t *buf, const char *want, size_t want_size)
{
    assert_false(buf->failed);
    assert_int_equal(buf->size, want_size);
    assert_non_null(buf->data);
    assert_true(buf->cap > buf->size);
    assert_int_equal(buf->data[buf->size], '\0');
    assert_memory_equal(buf->data, want, want_size);
}

/* A string of `size` letters cycling through the alphabet; caller frees. */
static char *s_letters(size_t size)
{
    char *s = malloc(size + 1);
    assert_non_null(s);
    for (size_t i = 0; i < size; i++) {
        s[i] = (char)('a' + i % 26);
    }
    s[size] = '\0';
    return s;
}

static void test_empty(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_free(&buf); /* an empty buffer may be freed */
    assert_null(buf.data);

    pl_buf_add(&buf, "", 0);
    s_check(&buf, "", 0);
    pl_buf_free(&buf);
    assert_null(buf.data);
    assert_int_equal(buf.size, 0);
    assert_int_equal(buf.cap, 0);

    /* Nothing appended: take still hands over a string. */
    size_t size = 99;
    char *s = pl_buf_take(&buf, &size);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(size, 0);
    assert_null(buf.data);
    free(s);
}

static void test_growth_byte_by_byte(void **state)
{
    (void)state;
    enum { N = 20000 };
    char *want = s_letters(N);
    pl_buf_t buf = {0};
    size_t grows = 0, last_cap = 0;
    for (size_t i = 0; i < N; i++) {
        pl_buf_add(&buf, want + i, 1);
        if (buf.cap != last_cap) {
            grows++;
            last_cap = buf.cap;
        }
        assert_true(buf.cap > buf.size);
        assert_int_equal(buf.data[buf.size], '\0');
    }
    s_check(&buf, want, N);
    /* Capacity doubles: a handful of reallocations, not one per byte. */
    assert_true(grows < 16);
    pl_buf_free(&buf);
    free(want);
}

static void test_growth_large_pieces(void **state)
{
    (void)state;
    /* Pieces larger than the whole buffer, at and around powers of two. */
    const size_t sizes[] = {1, 127, 128, 129, 255, 256, 257, 1000, 4096, 65537};
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        total += sizes[i];
    }
    char *want = malloc(total);
    assert_non_null(want);
    pl_buf_t buf = {0};
    size_t at = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *piece = s_letters(sizes[i]);
        memcpy(want + at, piece, sizes[i]);
        at += sizes[i];
        pl_buf_add(&buf, piece, sizes[i]);
        s_check(&buf, want, at);
        free(piece);
    }
    pl_buf_free(&buf);
    free(want);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_add(&buf, "a\0b", 3);
    pl_buf_puts(&buf, "cd");
    s_check(&buf, "a\0bcd", 5);
    size_t size = 0;
    char *s = pl_buf_take(&buf, &size);
    assert_int_equal(size, 5);
    assert_memory_equal(s, "a\0bcd", 6);
    free(s);
}

static void test_printf_short(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_printf(&buf, "%s=%d", "n", 42);
    pl_buf_printf(&buf, "%s", "");
    pl_buf_printf(&buf, " %.3f %x %%", 1.5, 255u);
    s_check(&buf, "n=42 1.500 ff %", 15);
    pl_buf_free(&buf);
}

static void test_printf_long(void **state)
{
    (void)state;
    /* Around the size formatted on the stack, and far beyond it. */
    const size_t sizes[] = {254, 255, 256, 257, 511, 4000, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *arg = s_letters(sizes[i]);
        pl_buf_t buf = {0};
        pl_buf_puts(&buf, "<");
        pl_buf_printf(&buf, "%s|%zu", arg, sizes[i]);
        pl_buf_puts(&buf, ">");

        char tail[32];
        int n = snprintf(tail, sizeof tail, "|%zu>", sizes[i]);
        assert_true(n > 0);
        assert_false(buf.failed);
        assert_int_equal(buf.size, 1 + sizes[i] + (size_t)n);
        assert_int_equal(buf.data[0], '<');
        assert_memory_equal(buf.data + 1, arg, sizes[i]);
        assert_string_equal(buf.data + 1 + sizes[i], tail);
        pl_buf_free(&buf);
        free(arg);
    }
}

/* A wrapper with a format of its own, as fake_smtp's reply is. */
static void s_line(pl_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_line(pl_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    pl_buf_add(buf, "\r\n", 2);
}

static void test_vprintf(void **state)
{
    (void)state;
    char *arg = s_letters(1000);
    pl_buf_t buf = {0};
    s_line(&buf, "%d %s", 250, "Ok");
    s_line(&buf, "<%s>", arg);
    assert_false(buf.failed);
    assert_int_equal(buf.size, 8 + 1002 + 2);
    assert_memory_equal(buf.data, "250 Ok\r\n<", 9);
    assert_memory_equal(buf.data + 9, arg, 1000);
    assert_string_equal(buf.data + 1009, ">\r\n");
    pl_buf_free(&buf);
    free(arg);
}

static void test_cat_and_uint(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_cat(&buf, NULL);
    assert_null(buf.data);
    pl_buf_cat(&buf, "one", "", " two", " three", NULL);
    pl_buf_puts(&buf, " ");
    pl_buf_uint(&buf, 0);
    pl_buf_puts(&buf, " ");
    pl_buf_uint(&buf, 7);
    pl_buf_puts(&buf, " ");
    pl_buf_uint(&buf, 1234567890);
    pl_buf_puts(&buf, " ");
    pl_buf_uint(&buf, 18446744073709551615ULL);
    const char *want = "one two three 0 7 1234567890 18446744073709551615";
    s_check(&buf, want, strlen(want));
    pl_buf_free(&buf);
}

static void test_take(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_puts(&buf, "hello");
    char *s = pl_buf_take(&buf, NULL);
    assert_string_equal(s, "hello");
    assert_null(buf.data);
    assert_int_equal(buf.size, 0);
    assert_int_equal(buf.cap, 0);
    assert_false(buf.failed);

    /* The emptied buffer is ready for another text. */
    pl_buf_puts(&buf, "again");
    size_t size = 0;
    char *t = pl_buf_take(&buf, &size);
    assert_string_equal(t, "again");
    assert_int_equal(size, 5);
    free(s);
    free(t);
}

static void test_failure_is_sticky(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_puts(&buf, "kept");
    /* A size the capacity cannot double to fails without allocating. */
    pl_buf_add(&buf, "x", SIZE_MAX - 2);
    assert_true(buf.failed);

    /* Every appender is a no-op from now on. */
    size_t size = buf.size;
    pl_buf_add(&buf, "a", 1);
    pl_buf_puts(&buf, "b");
    pl_buf_printf(&buf, "%d", 1);
    pl_buf_cat(&buf, "c", "d", NULL);
    pl_buf_uint(&buf, 5);
    assert_true(buf.failed);
    assert_int_equal(buf.size, size);

    /* Take refuses the incomplete text, frees it and resets the buffer. */
    size_t out = 123;
    assert_null(pl_buf_take(&buf, &out));
    assert_int_equal(out, 123);
    assert_null(buf.data);
    assert_false(buf.failed);
}

static void test_failure_on_empty(void **state)
{
    (void)state;
    pl_buf_t buf = {0};
    pl_buf_add(&buf, "x", SIZE_MAX);
    assert_true(buf.failed);
    assert_null(buf.data);
    assert_null(pl_buf_take(&buf, NULL));
    assert_false(buf.failed);
}

static void test_failure_set_by_caller(void **state)
{
    (void)state;
    /* A caller that could not build a piece marks the text incomplete. */
    pl_buf_t buf = {0};
    pl_buf_puts(&buf, "part");
    buf.failed = true;
    pl_buf_puts(&buf, " more");
    assert_int_equal(buf.size, 4);
    assert_null(pl_buf_take(&buf, NULL));

    /* pl_buf_free also clears the flag. */
    buf.failed = true;
    pl_buf_free(&buf);
    assert_false(buf.failed);
    pl_buf_puts(&buf, "fresh");
    s_check(&buf, "fresh", 5);
    pl_buf_free(&buf);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_growth_byte_by_byte),
        cmocka_unit_test(test_growth_large_pieces),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_printf_short),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_vprintf),
        cmocka_unit_test(test_cat_and_uint),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_failure_is_sticky),
        cmocka_unit_test(test_failure_on_empty),
        cmocka_unit_test(test_failure_set_by_caller),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
