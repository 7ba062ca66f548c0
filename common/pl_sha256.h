/*
 * pl_sha256: SHA-256 (FIPS 180-4) of a buffer, in lower-case hex, as
 * `sha256sum` prints it. The configuration uses it for the rules version
 * (config/config.h). It knows nothing of complaints.
 */
#ifndef PL_SHA256_H
#define PL_SHA256_H

#include <stddef.h>

/* PL_SHA256_HEX_SIZE: the 64 hex digits and the NUL. */
#define PL_SHA256_HEX_SIZE 65

/*
 * pl_sha256_hex: writes the SHA-256 of `size` bytes at `data` (which may
 * hold NUL bytes; NULL only with size 0) as 64 lower-case hex digits and a
 * NUL into `out`. Borrows `data` (must outlive the call). Cannot fail.
 */
void pl_sha256_hex(const void *data, size_t size, char out[PL_SHA256_HEX_SIZE]);

#endif
