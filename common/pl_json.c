#include "common/pl_json.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence starting at p[0] (p[0] >= 0x80), or 0 if
 * it is invalid. Follows RFC 3629 / Unicode table 3-7 ("well-formed UTF-8 byte
 * sequences"): the second byte's range depends on the lead byte, which is
 * what excludes overlong forms, surrogates and code points above U+10FFFF.
 */
static size_t s_utf8_sequence_size(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t size;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        size = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        size = 3;
        if (c == 0xE0) {
            lo = 0xA0; /* below: overlong */
        } else if (c == 0xED) {
            hi = 0x9F; /* above: surrogates U+D800..U+DFFF */
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        size = 4;
        if (c == 0xF0) {
            lo = 0x90; /* below: overlong */
        } else if (c == 0xF4) {
            hi = 0x8F; /* above: beyond U+10FFFF */
        }
    } else {
        /* 0x80..0xBF: stray continuation; 0xC0, 0xC1: overlong; 0xF5..0xFF: too large. */
        return 0;
    }
    if (avail < 2 || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < size; i++) {
        if (i >= avail || p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return size;
}

int pl_json_precheck(const char *buf, size_t len, int max_depth, pl_err_t *err)
{
    if (!buf) {
        if (len == 0) {
            return 0;
        }
        return pl_err_set(err, PL_EINVAL, "invalid_argument", NULL, "no request buffer");
    }
    const unsigned char *p = (const unsigned char *)buf;
    bool in_string = false;
    long depth = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == 0) {
            return pl_err_set(err, PL_EINVAL, "nul_byte", NULL, "NUL byte (0x00) at byte %zu", i);
        }
        if (c >= 0x80) {
            size_t n = s_utf8_sequence_size(p + i, len - i);
            if (n == 0) {
                return pl_err_set(err, PL_EINVAL, "invalid_utf8", NULL, "invalid UTF-8 at byte %zu",
                                  i);
            }
            i += n;
            continue;
        }
        if (in_string) {
            if (c == '"') {
                in_string = false;
            } else if (c == '\\') {
                /* The escaped byte is consumed here so that \" and \\ do not
                 * end the string or start another escape. */
                if (i + 1 < len && p[i + 1] == 'u' && i + 5 < len && p[i + 2] == '0' &&
                    p[i + 3] == '0' && p[i + 4] == '0' && p[i + 5] == '0') {
                    return pl_err_set(err, PL_EINVAL, "nul_byte", NULL,
                                      "escaped NUL (\\u0000) in a string at byte %zu", i);
                }
                if (i + 1 < len && p[i + 1] < 0x80 && p[i + 1] != 0) {
                    i += 2;
                    continue;
                }
                /* A NUL or non-ASCII byte after the backslash: let the loop
                 * report or validate it; jansson refuses the bad escape. */
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
            if (max_depth >= 0 && depth > max_depth) {
                return pl_err_set(err, PL_EINVAL, "too_deep", NULL,
                                  "nesting deeper than %d levels at byte %zu", max_depth, i);
            }
        } else if (c == ']' || c == '}') {
            if (depth > 0) {
                depth--;
            }
        }
        i++;
    }
    return 0;
}

const char *pl_json_type_name(const json_t *v)
{
    if (!v) {
        return "missing";
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "real";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

const char *pl_json_type_phrase(const json_t *v)
{
    if (!v) {
        return "nothing";
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "an unknown value";
}
