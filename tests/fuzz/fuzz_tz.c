/*
 * fuzz_tz: libFuzzer target for the TZif reader (pl_tz_load_tzif) and the
 * POSIX TZ rules of its footer. Seeds are in tests/fuzz/corpus/tz/: real
 * zone files (version 2, "fat", with footers) and small synthetic ones.
 *
 *   cmake -DCMAKE_C_COMPILER=clang -DPL_FUZZ=ON -DPL_SANITIZE=address,undefined ..
 *   ./tests/fuzz_tz -max_total_time=60 ../tests/fuzz/corpus/tz
 *
 * Besides "no crash, no leak, no undefined behaviour, no hang" it checks,
 * on every zone the reader accepts, over instants 1800..2200 and the
 * extremes: offsets stay within PL_TZ_MAX_OFFSET; pl_tz_to_utc(L) is a
 * whole second, the first that reads L or later, and never decreases as L
 * grows.
 */
#include "config/tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_tz: check failed: %s (line %d)\n", #cond, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_err_t err;
    pl_err_clear(&err);
    pl_tz_t *tz = pl_tz_load_tzif("fuzz", data, size, &err);
    if (!tz) {
        S_CHECK(err.code == PL_EINVAL || err.code == PL_ENOMEM);
        S_CHECK(err.message[0] != '\0');
        return 0;
    }
    const int64_t extremes[] = {INT64_MIN, -PL_TZ_MAX_SECONDS, 0, PL_TZ_MAX_SECONDS, INT64_MAX};
    for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++) {
        int32_t off = pl_tz_offset(tz, extremes[i]);
        S_CHECK(off >= -PL_TZ_MAX_OFFSET && off <= PL_TZ_MAX_OFFSET);
        (void)pl_tz_to_utc(tz, extremes[i]);
    }
    /* 1800-01-01 .. 2200-01-01 in steps of a prime number of seconds */
    pl_usec_t prev = INT64_MIN;
    for (int64_t local = INT64_C(-5364662400); local < INT64_C(7258118400);
         local += INT64_C(3155760) + 7) {
        pl_usec_t u = pl_tz_to_utc(tz, local);
        S_CHECK(u % PL_USEC_PER_SEC == 0);
        /* the first instant that reads `local` or later */
        S_CHECK(pl_tz_local_seconds(tz, u) >= local);
        S_CHECK(pl_tz_local_seconds(tz, u - PL_USEC_PER_SEC) < local);
        S_CHECK(u >= prev);
        prev = u;
        int32_t off = pl_tz_offset(tz, u);
        S_CHECK(off >= -PL_TZ_MAX_OFFSET && off <= PL_TZ_MAX_OFFSET);
    }
    pl_tz_destroy(&tz);
    return 0;
}
