/*
 * fuzz_config: libFuzzer entry point for pl_config_load_buffer() and the
 * YAML tree under it. Seeds are in tests/fuzz/corpus/config/.
 *
 *   cmake -DCMAKE_C_COMPILER=clang -DPL_FUZZ=ON -DPL_SANITIZE=address,undefined ..
 *   ./tests/fuzz_config -max_total_time=60 ../tests/fuzz/corpus/config
 *
 * Besides "no crash, no leak, no undefined behaviour" it checks the loader's
 * contract: a snapshot comes back exactly when no error was reported, and a
 * snapshot holds only valid values.
 */
#include "config/config.h"
#include "config/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_config: check failed: %s (line %d)\n", #cond, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void s_check_config(const pl_config_t *cfg)
{
    S_CHECK(cfg->path && cfg->version && strlen(cfg->version) == 64);
    S_CHECK(cfg->database_url && cfg->database_url[0]);
    S_CHECK(cfg->listen_ingest && cfg->listen_publish);
    S_CHECK(strcmp(cfg->listen_ingest, cfg->listen_publish) != 0);
    S_CHECK(cfg->case_number_format && strstr(cfg->case_number_format, "{seq"));
    S_CHECK(cfg->case_number_template && strstr(cfg->case_number_template, "{seq}"));
    S_CHECK(cfg->case_number_width >= 1 && cfg->case_number_width <= 12);
    S_CHECK(cfg->timezone && cfg->timezone[0]);
    S_CHECK(cfg->max_request_bytes >= 1024 && cfg->max_request_bytes <= 16777216);
    S_CHECK(cfg->max_depth >= 4 && cfg->max_depth <= 256);
    S_CHECK(cfg->kinds_count >= 1 && cfg->kinds[cfg->kinds_count] == NULL);
    for (size_t i = 0; i < cfg->kinds_count; i++) {
        S_CHECK(cfg->kinds[i] && cfg->kinds[i][0]);
    }
    S_CHECK(cfg->batch_max >= 1 && cfg->batch_max <= 10000);
    S_CHECK(cfg->queue_max >= 1 && cfg->queue_max <= 1000000);
    S_CHECK(cfg->reconnect_max_ms >= 100 && cfg->reconnect_max_ms <= 600000);
    S_CHECK(cfg->log_level >= 0 && cfg->log_level <= 3);
}

/* Visits every node through the public accessors, as the rules loader will. */
static size_t s_walk(const pl_yaml_node_t *node, int depth)
{
    char desc[64];
    S_CHECK(pl_yaml_node_kind(node) == PL_YAML_SCALAR || depth <= PL_YAML_MAX_DEPTH);
    S_CHECK(pl_yaml_node_line(node) >= 1 && pl_yaml_node_column(node) >= 1);
    pl_yaml_node_describe(node, desc, sizeof desc);
    S_CHECK(strlen(desc) < sizeof desc);
    size_t visited = 1;
    switch (pl_yaml_node_kind(node)) {
    case PL_YAML_SCALAR: {
        int64_t i64;
        bool b;
        S_CHECK(pl_yaml_node_scalar(node) != NULL);
        S_CHECK(pl_yaml_node_scalar(node)[pl_yaml_node_scalar_size(node)] == '\0');
        (void)pl_yaml_node_to_int64(node, &i64);
        (void)pl_yaml_node_to_bool(node, &b);
        break;
    }
    case PL_YAML_SEQUENCE:
        for (size_t i = 0; i < pl_yaml_node_count(node); i++) {
            visited += s_walk(pl_yaml_node_item(node, i), depth + 1);
        }
        break;
    case PL_YAML_MAPPING:
        for (size_t i = 0; i < pl_yaml_node_count(node); i++) {
            const pl_yaml_node_t *key = pl_yaml_node_key(node, i);
            S_CHECK(pl_yaml_node_kind(key) == PL_YAML_SCALAR);
            visited += s_walk(key, depth + 1);
            visited += s_walk(pl_yaml_node_value(node, i), depth + 1);
            /* pl_yaml_node_get is linear: keep the check off huge mappings. */
            if (pl_yaml_node_count(node) <= 64 &&
                strlen(pl_yaml_node_scalar(key)) == pl_yaml_node_scalar_size(key)) {
                S_CHECK(pl_yaml_node_get(node, pl_yaml_node_scalar(key)) != NULL);
            }
        }
        break;
    }
    return visited;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer((const char *)data, size, "fuzz.yaml", &errs);
    if (cfg) {
        S_CHECK(errs.count == 0);
        s_check_config(cfg);
    } else {
        S_CHECK(errs.count >= 1 && errs.count <= PL_CONFIG_MAX_ERRORS + 1);
    }
    char line[1024];
    for (size_t i = 0; i < errs.count; i++) {
        S_CHECK(errs.items[i].code < 0);
        pl_err_format(&errs.items[i], line, sizeof line);
    }
    pl_config_destroy(&cfg);
    pl_errlist_free(&errs);

    pl_err_t err;
    pl_err_clear(&err);
    pl_yaml_doc_t *doc = pl_yaml_load_buffer((const char *)data, size, "fuzz.yaml", &err);
    if (doc) {
        const pl_yaml_node_t *root = pl_yaml_doc_root(doc);
        size_t visited = root ? s_walk(root, 1) : 0;
        S_CHECK(visited == pl_yaml_doc_node_count(doc));
        pl_yaml_doc_destroy(&doc);
    } else {
        S_CHECK(err.code < 0 && err.message[0]);
    }
    return 0;
}
