/*
 * pl_json: small helpers around jansson for request handling. They know
 * nothing of complaints.
 */
#ifndef PL_JSON_H
#define PL_JSON_H

#include "common/pl_err.h"

#include <jansson.h>
#include <stddef.h>

/*
 * pl_json_precheck: scans the raw bytes of a request before jansson parses
 * them, so that the refusal names a precise cause. It refuses, filling `err`
 * with code PL_EINVAL, field NULL and one of these reasons:
 *   "nul_byte"      a raw 0 byte anywhere, or a \u0000 escape inside a string;
 *   "invalid_utf8"  any invalid UTF-8: stray continuation bytes, bytes that
 *                   never start a sequence (C0, C1, F5..FF), overlong
 *                   encodings, UTF-16 surrogates (U+D800..U+DFFF) encoded
 *                   directly, code points above U+10FFFF, sequences cut short;
 *   "too_deep"      '[' and '{' nesting outside strings exceeds `max_depth`
 *                   (the top-level object or array is depth 1).
 * The message names the 0-based byte offset of the offending byte (the first
 * byte of a bad UTF-8 sequence, the backslash of \u0000, the bracket that is
 * one too deep), e.g. "invalid UTF-8 at byte 17". The first problem in the
 * buffer wins. Strings are tracked with their backslash escapes; everything
 * else about JSON syntax is left to jansson.
 * A negative `max_depth` disables the depth check; 0 allows scalars only.
 * Borrows `buf` (must outlive the call; it need not be NUL-terminated; NULL is
 * allowed when `len` is 0). `err` may be NULL.
 * Returns 0 or PL_EINVAL (reason "invalid_argument" for buf NULL with len > 0).
 */
int pl_json_precheck(const char *buf, size_t len, int max_depth, pl_err_t *err);

/*
 * pl_json_type_name: the bare type name of `v`: "object", "array", "string",
 * "integer", "real", "true", "false" or "null"; "missing" when `v` is NULL.
 * Returns a string literal.
 */
const char *pl_json_type_name(const json_t *v);

/*
 * pl_json_type_phrase: the type of `v` as it reads after "not" in a message:
 * "an object", "an array", "a string", "an integer", "a real", "true",
 * "false", "null"; "nothing" when `v` is NULL. Returns a string literal.
 */
const char *pl_json_type_phrase(const json_t *v);

#endif
