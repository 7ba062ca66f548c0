/*
 * pl_tz: one IANA time zone, read from the zone database (TZif files,
 * RFC 8536), for the business calendar.
 *
 * A zone maps UTC instants to the local wall clock (pl_tz_offset) and back
 * (pl_tz_to_utc). It is loaded once and immutable afterwards, so several
 * threads may use it at once. Nothing here reads or sets the TZ variable or
 * calls localtime(): the zone's own data is the only source.
 *
 * The file is NAME under $TZDIR, else under /usr/share/zoneinfo. Versions 1
 * to 4 are read; from version 2 on, only the 64-bit section is used, and the
 * POSIX TZ string of the footer ("EST5EDT,M3.2.0,M11.1.0", with the
 * version 3 extensions: hours up to 167 and negative in rule times) gives
 * the offset after the last transition of the table, so a "slim" zone file
 * is as good as a "fat" one. Zones with leap seconds (the right/ tree) are
 * refused: pl_usec_t is POSIX time, without leap seconds.
 *
 * "UTC" is built in and needs no zone database.
 *
 * Times are whole seconds inside the zone code; microseconds are kept by
 * the caller (offsets are whole seconds in every zone).
 */
#ifndef PL_TZ_H
#define PL_TZ_H

#include "common/pl_err.h"
#include "common/pl_time.h"

#include <stddef.h>
#include <stdint.h>

/* Longest zone name accepted, in bytes. */
#define PL_TZ_MAX_NAME 64

/* Largest zone file read, in bytes (real zones are below 4 KiB). */
#define PL_TZ_MAX_FILE_SIZE (256 * 1024)

/* Largest UTC offset accepted, in seconds, either side of UTC (the widest
 * real offsets are -12:00 and +14:00, local mean times up to about 15:56). */
#define PL_TZ_MAX_OFFSET (26 * 3600)

/* The local times pl_tz_to_utc() accepts, in seconds since 1970-01-01
 * 00:00 local; beyond them it clamps (about 285 000 years either way, so
 * that every result fits a pl_usec_t). */
#define PL_TZ_MAX_SECONDS INT64_C(9000000000000)

typedef struct pl_tz pl_tz_t;

/*
 * pl_tz_load: loads the zone `name` (borrowed), e.g. "Asia/Shanghai".
 * "UTC" is built in; any other name is read from $TZDIR/NAME, else
 * /usr/share/zoneinfo/NAME. The name must look like an IANA name: at most
 * PL_TZ_MAX_NAME bytes, components separated by '/', each starting with a
 * letter and holding only letters, digits and "_+-" (so no absolute path,
 * no "..").
 * Returns a new zone, caller destroys, or NULL with `err` (may be NULL)
 * filled: PL_EINVAL (bad name, or the file is not a valid TZif file, or it
 * has leap seconds), PL_ENOENT (no such zone), PL_EIO (unreadable) or
 * PL_ENOMEM.
 */
pl_tz_t *pl_tz_load(const char *name, pl_err_t *err);

/*
 * pl_tz_load_tzif: like pl_tz_load, from the `size` bytes of a TZif file at
 * `data` (borrowed), for tests and fuzzing. `name` (borrowed, copied) is
 * only recorded. Returns a new zone, caller destroys, or NULL with `err`
 * filled: PL_EINVAL or PL_ENOMEM.
 */
pl_tz_t *pl_tz_load_tzif(const char *name, const void *data, size_t size, pl_err_t *err);

/* pl_tz_destroy: frees the zone; accepts NULL and a pointer to NULL; sets
 * *self_p to NULL. */
void pl_tz_destroy(pl_tz_t **self_p);

/* pl_tz_name: the name given at load; valid as long as the zone. */
const char *pl_tz_name(const pl_tz_t *tz);

/*
 * pl_tz_offset: the zone's offset from UTC at instant `utc`, in seconds
 * east of UTC (Asia/Shanghai: 28800; America/New_York: -18000 or -14400).
 * Before the zone's first transition, the first local time type of the file
 * applies; after the last one, the footer's TZ string (or, without one, the
 * last type).
 */
int32_t pl_tz_offset(const pl_tz_t *tz, pl_usec_t utc);

/*
 * pl_tz_local_seconds: the local wall clock at `utc`, as seconds since
 * 1970-01-01 00:00 local (floor of the microseconds plus the offset).
 * Local day = floor(result / 86400).
 */
int64_t pl_tz_local_seconds(const pl_tz_t *tz, pl_usec_t utc);

/*
 * pl_tz_to_utc: the UTC instant at which the local wall clock first reads
 * `local_seconds` (seconds since 1970-01-01 00:00 local) or later: the
 * earliest u with u + offset(u) >= local_seconds. So:
 *   - an ordinary local time gives its only instant;
 *   - a local time repeated when the clocks go back (an overlap) gives the
 *     earlier instant (New York, 2026-11-01 01:30 -> 05:30Z, EDT);
 *   - a local time skipped when the clocks go forward (a gap) gives the
 *     first instant after the gap, the transition itself (New York,
 *     2026-03-08 02:30 -> 07:00Z, which reads 03:00 EDT).
 * The mapping never decreases: a later local time never gives an earlier
 * instant, so local intervals map to ordered, non-overlapping UTC
 * intervals. `local_seconds` is clamped to +-PL_TZ_MAX_SECONDS. Returns
 * microseconds (a whole second).
 */
pl_usec_t pl_tz_to_utc(const pl_tz_t *tz, int64_t local_seconds);

#endif
