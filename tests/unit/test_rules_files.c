/*
 * test_rules_files: runs every .test file of tests/rules (the format is in
 * tests/rules/README.md): loads its rules, then classifies and routes each
 * event and compares the outcome with the expected JSON, or compares the
 * load errors with the expected "line:column message" list.
 *
 * Each file is one test named after the file; run with a name or a pattern
 * ("*pool*") to run only those. Files are found under
 * $PL_SOURCE_DIR/tests/rules (default: ./tests/rules).
 */
#include "config/config.h"
#include "config/event.h"
#include "config/rules.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Events get this time of receipt: 2026-11-28T12:00:00Z. */
#define S_NOW (INT64_C(1795867200) * 1000000)

typedef struct {
    char *path; /* full path */
    char *name; /* file name */
} s_file_t;

typedef struct {
    const char *kind; /* "rules", "event", "call", "expect", "errors" */
    int line;         /* line of the "--- kind" header */
    char *text;       /* the lines after it */
} s_section_t;

/* ---- reading a .test file ----------------------------------------------------------------- */

static char *s_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 4096, size = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + size, 1, cap - size - 1, f)) > 0) {
        size += n;
        if (cap - size - 1 == 0) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
    }
    return buf;
}

/* Splits the file into sections at lines "--- NAME". Returns the count. */
static size_t s_split(char *text, s_section_t *sections, size_t max)
{
    static const char *const kinds[] = {"rules", "event", "call", "expect", "errors", NULL};
    size_t count = 0;
    int line = 1;
    char *p = text;
    char *body_start = NULL;
    while (*p) {
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (strncmp(p, "--- ", 4) == 0) {
            if (body_start && count > 0) {
                *p = '\0'; /* ends the previous section's text */
            }
            size_t len = (size_t)((eol ? eol : next) - (p + 4));
            const char *kind = NULL;
            for (const char *const *k = kinds; *k; k++) {
                if (strlen(*k) == len && strncmp(p + 4, *k, len) == 0) {
                    kind = *k;
                }
            }
            if (!kind) {
                fail_msg("line %d: unknown section header", line);
            }
            if (count == max) {
                fail_msg("too many sections");
            }
            sections[count].kind = kind;
            sections[count].line = line;
            sections[count].text = next;
            count++;
            body_start = next;
        }
        p = next;
        line++;
    }
    return count;
}

/* ---- comparing JSON ----------------------------------------------------------------------- */

/* Whether `actual` holds `expected`: objects need only the expected keys,
 * arrays must have the same length, scalars must be equal. */
static bool s_json_holds(const json_t *expected, const json_t *actual, char *where, size_t size)
{
    if (json_is_object(expected)) {
        if (!json_is_object(actual)) {
            return false;
        }
        const char *key;
        json_t *value;
        size_t used = strlen(where);
        json_object_foreach((json_t *)expected, key, value)
        {
            snprintf(where + used, size - used, ".%s", key);
            if (!s_json_holds(value, json_object_get(actual, key), where, size)) {
                return false;
            }
        }
        where[used] = '\0';
        return true;
    }
    if (json_is_array(expected)) {
        if (!json_is_array(actual) || json_array_size(actual) != json_array_size(expected)) {
            return false;
        }
        size_t used = strlen(where);
        for (size_t i = 0; i < json_array_size(expected); i++) {
            snprintf(where + used, size - used, "[%zu]", i);
            if (!s_json_holds(json_array_get(expected, i), json_array_get(actual, i), where,
                              size)) {
                return false;
            }
        }
        where[used] = '\0';
        return true;
    }
    return actual && json_equal((json_t *)expected, (json_t *)actual);
}

static json_t *s_parse_json(const s_section_t *sec, const char *file)
{
    json_error_t jerr;
    json_t *v = json_loads(sec->text, 0, &jerr);
    if (!v) {
        fail_msg("%s:%d: bad JSON in --- %s: %s (line %d of the section)", file, sec->line,
                 sec->kind, jerr.text, jerr.line);
    }
    return v;
}

/* ---- one file ----------------------------------------------------------------------------- */

static void s_check_errors(const s_file_t *file, const s_section_t *sec, const pl_errlist_t *errs)
{
    char *text = strdup(sec->text);
    assert_non_null(text);
    size_t want = 0;
    bool ok = true;
    int line_no = sec->line;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line_no++;
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        int l = 0, c = 0, n = 0;
        if (sscanf(line, "%d:%d %n", &l, &c, &n) != 2) {
            fail_msg("%s: bad line in --- errors: \"%s\"", file->name, line);
        }
        const char *fragment = line + n;
        if (want >= errs->count) {
            print_error("%s: missing error %d:%d %s\n", file->name, l, c, fragment);
            ok = false;
        } else {
            const pl_err_t *e = &errs->items[want];
            if (e->line != l || e->column != c || !strstr(e->message, fragment) ||
                strcmp(e->file, file->path) != 0) {
                print_error("%s: error %zu: expected %d:%d %s\n  got      %d:%d %s\n", file->name,
                            want + 1, l, c, fragment, e->line, e->column, e->message);
                ok = false;
            }
        }
        want++;
    }
    free(text);
    if (errs->count != want) {
        ok = false;
        print_error("%s: expected %zu error(s), got %zu:\n", file->name, want, errs->count);
    }
    if (!ok) {
        char buf[1024];
        for (size_t i = 0; i < errs->count; i++) {
            print_error("  %s\n", pl_err_format(&errs->items[i], buf, sizeof buf));
        }
        fail();
    }
}

static void s_run_event(const s_file_t *file, const pl_config_t *cfg, const s_section_t *event,
                        const s_section_t *call, const s_section_t *expect)
{
    json_t *obj = s_parse_json(event, file->name);
    bool kind_given = json_object_get(obj, "kind") != NULL;
    uint64_t rr_counter = 0;
    if (call) {
        json_t *args = s_parse_json(call, file->name);
        json_t *kg = json_object_get(args, "kind_given");
        if (kg) {
            kind_given = json_is_true(kg);
        }
        rr_counter = (uint64_t)json_integer_value(json_object_get(args, "rr_counter"));
        json_decref(args);
    }
    pl_event_opts_t opts = {.kinds = (const char *const *)cfg->kinds};
    pl_err_t err;
    pl_err_clear(&err);
    pl_event_t *ev = pl_event_from_json(obj, S_NOW, &opts, &err);
    if (!ev) {
        fail_msg("%s:%d: invalid event: %s", file->name, event->line, err.message);
    }
    json_t *result = pl_rules_explain(cfg->rules, ev, kind_given, rr_counter);
    assert_non_null(result);
    json_t *want = s_parse_json(expect, file->name);
    char where[256] = "";
    if (!s_json_holds(want, result, where, sizeof where)) {
        char *got = json_dumps(result, JSON_INDENT(2) | JSON_SORT_KEYS);
        print_error("%s:%d: outcome differs at %s; got:\n%s\n", file->name, expect->line,
                    where[0] ? where : "(top)", got);
        free(got);
        json_decref(want);
        json_decref(result);
        json_decref(obj);
        pl_event_destroy(&ev);
        fail();
    }
    json_decref(want);
    json_decref(result);
    json_decref(obj);
    pl_event_destroy(&ev);
}

static void s_run_file(void **state)
{
    const s_file_t *file = *state;
    char *text = s_read(file->path);
    assert_non_null(text);
    s_section_t sections[64];
    size_t count = s_split(text, sections, 64);
    if (count == 0 || strcmp(sections[0].kind, "rules") != 0) {
        fail_msg("%s: must start with --- rules", file->name);
    }
    /* Blank lines in front keep the YAML's line numbers those of the file. */
    const s_section_t *rules = &sections[0];
    size_t pad = (size_t)rules->line;
    size_t size = pad + strlen(rules->text);
    char *yaml = malloc(size + 1);
    assert_non_null(yaml);
    memset(yaml, '\n', pad);
    memcpy(yaml + pad, rules->text, strlen(rules->text) + 1);
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(yaml, size, file->path, &errs);
    free(yaml);

    bool expect_errors = count > 1 && strcmp(sections[1].kind, "errors") == 0;
    if (expect_errors) {
        assert_null(cfg);
        s_check_errors(file, &sections[1], &errs);
        assert_int_equal(count, 2);
    } else {
        if (!cfg) {
            s_check_errors(file, &(s_section_t){"errors", 0, ""}, &errs);
        }
        size_t events = 0;
        for (size_t i = 1; i < count; i++) {
            if (strcmp(sections[i].kind, "event") != 0) {
                fail_msg("%s:%d: expected --- event", file->name, sections[i].line);
            }
            const s_section_t *call = NULL;
            size_t j = i + 1;
            if (j < count && strcmp(sections[j].kind, "call") == 0) {
                call = &sections[j++];
            }
            if (j >= count || strcmp(sections[j].kind, "expect") != 0) {
                fail_msg("%s:%d: an event needs an --- expect", file->name, sections[i].line);
            }
            s_run_event(file, cfg, &sections[i], call, &sections[j]);
            events++;
            i = j;
        }
        assert_true(events > 0);
    }
    pl_config_destroy(&cfg);
    pl_errlist_free(&errs);
    free(text);
}

/* ---- runner ------------------------------------------------------------------------------- */

static int s_cmp_file(const void *a, const void *b)
{
    return strcmp(((const s_file_t *)a)->name, ((const s_file_t *)b)->name);
}

int main(int argc, char **argv)
{
    const char *root = getenv("PL_SOURCE_DIR");
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/tests/rules", root && *root ? root : ".");
    DIR *dir = opendir(dir_path);
    if (!dir) {
        fprintf(stderr, "test_rules_files: cannot open %s\n", dir_path);
        return 1;
    }
    s_file_t *files = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || strcmp(de->d_name + len - 5, ".test") != 0) {
            continue;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 32;
            s_file_t *grown = realloc(files, cap * sizeof *files);
            if (!grown) {
                return 1;
            }
            files = grown;
        }
        files[count].name = strdup(de->d_name);
        files[count].path = malloc(strlen(dir_path) + len + 2);
        if (!files[count].name || !files[count].path) {
            return 1;
        }
        sprintf(files[count].path, "%s/%s", dir_path, de->d_name);
        count++;
    }
    closedir(dir);
    if (count == 0) {
        fprintf(stderr, "test_rules_files: no .test files in %s\n", dir_path);
        return 1;
    }
    qsort(files, count, sizeof *files, s_cmp_file);
    struct CMUnitTest *tests = calloc(count, sizeof *tests);
    if (!tests) {
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        tests[i].name = files[i].name;
        tests[i].test_func = s_run_file;
        tests[i].initial_state = &files[i];
    }
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    int failed = _cmocka_run_group_tests("rules_files", tests, count, NULL, NULL);
    for (size_t i = 0; i < count; i++) {
        free(files[i].name);
        free(files[i].path);
    }
    free(files);
    free(tests);
    return failed;
}
