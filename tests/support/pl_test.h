/*
 * pl_test.h: assertion macros for tests that do not use cmocka (integration
 * tests, the rules runner, fuzz harness checks).
 *
 * A failed check prints file:line, the expression and both operands to stderr,
 * then calls exit(1). exit() runs atexit() handlers, so a support helper that
 * started a plaintd can register one to stop it. Every operand is evaluated
 * exactly once.
 *
 *   PL_CHECK(cond)
 *   PL_CHECK_MSG(cond, fmt, ...)      adds a printf-style explanation
 *   PL_CHECK_INT_EQ(a, b)  PL_CHECK_INT_NE(a, b)
 *   PL_CHECK_INT_LT(a, b)  PL_CHECK_INT_LE(a, b)  PL_CHECK_INT_GE(a, b)
 *   PL_CHECK_OK(expr)                 expr (an int status) == 0
 *   PL_CHECK_STR_EQ(a, b)  PL_CHECK_STR_NE(a, b)   NULL-safe
 *   PL_CHECK_STR_CONTAINS(haystack, needle)
 *   PL_CHECK_NOT_NULL(p)   PL_CHECK_NULL(p)
 *   PL_FAIL(fmt, ...)                 fails unconditionally
 */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define PL__TEST_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#define PL__TEST_NORETURN __attribute__((noreturn))
#else
#define PL__TEST_PRINTF(fmt_index, first_arg)
#define PL__TEST_NORETURN
#endif

PL__TEST_NORETURN PL__TEST_PRINTF(3, 4) static inline void pl__test_fail(const char *file, int line,
                                                                          const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d: check failed: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

PL__TEST_NORETURN PL__TEST_PRINTF(4, 5) static inline void pl__test_fail_msg(const char *file, int line,
                                                                              const char *cond_text,
                                                                              const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d: check failed: %s\n  ", file, line, cond_text);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static inline void pl__test_int(const char *file, int line, const char *op, int ok, const char *a_text,
                                const char *b_text, long long a, long long b)
{
    if (!ok)
        pl__test_fail(file, line, "%s %s %s\n  left:  %lld\n  right: %lld", a_text, op, b_text, a,
                      b);
}

static inline void pl__test_str(const char *file, int line, int want_equal, const char *a_text,
                                const char *b_text, const char *a, const char *b)
{
    int equal = (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
    if (equal != want_equal)
        pl__test_fail(file, line, "%s %s %s\n  left:  \"%s\"\n  right: \"%s\"", a_text,
                      want_equal ? "==" : "!=", b_text, a ? a : "(null)", b ? b : "(null)");
}

static inline void pl__test_contains(const char *file, int line, const char *h_text,
                                     const char *n_text, const char *h, const char *n)
{
    if (h == NULL || n == NULL || strstr(h, n) == NULL)
        pl__test_fail(file, line, "%s contains %s\n  haystack: \"%s\"\n  needle:   \"%s\"", h_text,
                      n_text, h ? h : "(null)", n ? n : "(null)");
}

#define PL_FAIL(...) pl__test_fail(__FILE__, __LINE__, __VA_ARGS__)

#define PL_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            pl__test_fail(__FILE__, __LINE__, "%s", #cond);                                        \
    } while (0)

#define PL_CHECK_MSG(cond, ...)                                                                    \
    do {                                                                                           \
        if (!(cond))                                                                               \
            pl__test_fail_msg(__FILE__, __LINE__, #cond, __VA_ARGS__);                             \
    } while (0)

#define PL__CHECK_INT(a, op, b)                                                                    \
    do {                                                                                           \
        long long pl__a = (long long)(a);                                                          \
        long long pl__b = (long long)(b);                                                          \
        pl__test_int(__FILE__, __LINE__, #op, pl__a op pl__b, #a, #b, pl__a, pl__b);               \
    } while (0)

#define PL_CHECK_INT_EQ(a, b) PL__CHECK_INT(a, ==, b)
#define PL_CHECK_INT_NE(a, b) PL__CHECK_INT(a, !=, b)
#define PL_CHECK_INT_LT(a, b) PL__CHECK_INT(a, <, b)
#define PL_CHECK_INT_LE(a, b) PL__CHECK_INT(a, <=, b)
#define PL_CHECK_INT_GE(a, b) PL__CHECK_INT(a, >=, b)
#define PL_CHECK_OK(expr) PL__CHECK_INT(expr, ==, 0)

#define PL_CHECK_STR_EQ(a, b) pl__test_str(__FILE__, __LINE__, 1, #a, #b, (a), (b))
#define PL_CHECK_STR_NE(a, b) pl__test_str(__FILE__, __LINE__, 0, #a, #b, (a), (b))
#define PL_CHECK_STR_CONTAINS(h, n) pl__test_contains(__FILE__, __LINE__, #h, #n, (h), (n))

#define PL_CHECK_NOT_NULL(p)                                                                       \
    do {                                                                                           \
        if ((p) == NULL)                                                                           \
            pl__test_fail(__FILE__, __LINE__, "%s is NULL", #p);                                   \
    } while (0)

#define PL_CHECK_NULL(p)                                                                           \
    do {                                                                                           \
        const void *pl__p = (p);                                                                   \
        if (pl__p != NULL)                                                                         \
            pl__test_fail(__FILE__, __LINE__, "%s is %p, not NULL", #p, pl__p);                    \
    } while (0)

#endif
