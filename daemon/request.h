/*
 * request: turns the bytes of one request frame into a JSON object with an
 * "op", or into an error naming what is wrong (docs/protocol.md).
 */
#ifndef PL_REQUEST_H
#define PL_REQUEST_H

#include "common/pl_err.h"

#include <jansson.h>
#include <stddef.h>

typedef struct pl_request {
    json_t *root;   /* the request object (owned), or NULL */
    const char *op; /* root's "op", valid while root lives, or NULL */
    json_t *id;     /* root's "id" (borrowed from root), or NULL */
} pl_request_t;

/*
 * pl_request_parse: checks size, NUL bytes, UTF-8 and nesting, parses the
 * JSON and requires an object with a string "op". Fills `req` (clear it with
 * pl_request_clear in every case: on error it may still hold the parsed
 * object and its "id", so the error reply can echo the id). Returns 0 or
 * PL_EINVAL with `err` filled (reason: too_large, nul_byte, invalid_utf8,
 * too_deep, invalid_json, not_object, missing_field, wrong_type).
 */
int pl_request_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
                     pl_request_t *req, pl_err_t *err);

/* pl_request_clear: releases what req holds; accepts a zeroed req. */
void pl_request_clear(pl_request_t *req);

#endif
