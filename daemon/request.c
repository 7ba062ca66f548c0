#include "daemon/request.h"

#include "common/pl_json.h"

#include <string.h>

int pl_request_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
                     pl_request_t *req, pl_err_t *err)
{
    memset(req, 0, sizeof *req);
    if (len > max_bytes) {
        return pl_err_set(err, PL_EINVAL, "too_large", NULL,
                          "request of %zu bytes exceeds the limit of %zu bytes", len, max_bytes);
    }
    if (len == 0) {
        return pl_err_set(err, PL_EINVAL, "invalid_json", NULL, "request is empty");
    }
    int rc = pl_json_precheck(buf, len, max_depth, err);
    if (rc) {
        return rc;
    }
    json_error_t jerr;
    req->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!req->root) {
        return pl_err_set(err, PL_EINVAL, "invalid_json", NULL,
                          "request is not valid JSON: %s at byte %d", jerr.text, jerr.position);
    }
    if (!json_is_object(req->root)) {
        return pl_err_set(err, PL_EINVAL, "not_object", NULL,
                          "request must be a JSON object, not %s",
                          pl_json_type_phrase(req->root));
    }
    req->id = json_object_get(req->root, "id");
    json_t *op = json_object_get(req->root, "op");
    if (!op) {
        return pl_err_set(err, PL_EINVAL, "missing_field", "op", "op is required");
    }
    if (!json_is_string(op)) {
        return pl_err_set(err, PL_EINVAL, "wrong_type", "op", "op must be a string, not %s",
                          pl_json_type_phrase(op));
    }
    req->op = json_string_value(op);
    return 0;
}

void pl_request_clear(pl_request_t *req)
{
    json_decref(req->root);
    memset(req, 0, sizeof *req);
}
