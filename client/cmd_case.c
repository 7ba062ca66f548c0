/*
 * plaint note | report | reply | visit | close: one operation on a case,
 * which writes a history entry and may meet, re-arm or cancel the case's
 * deadlines (docs/protocol.md, "Case operations").
 */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets `key` to `value` when given; false when it is not valid UTF-8 (or no memory). */
static bool s_set(json_t *request, const char *key, const char *value)
{
    if (!value) {
        return true;
    }
    json_t *s = json_string(value);
    return s && json_object_set_new(request, key, s) == 0;
}

/* Prints an array of names as "a, b, c". */
static void s_print_names(const json_t *names)
{
    size_t i;
    const json_t *name;
    json_array_foreach(names, i, name) {
        fputs(i ? ", " : "", stdout);
        const char *s = json_string_value(name);
        pl_client_print_text(s ? s : "?", 0);
    }
}

/* Prints the re-armed deadlines as "name (due 2026-11-28 14:04:38 UTC), ...". */
static void s_print_rearmed(const json_t *rearmed)
{
    size_t i;
    const json_t *d;
    json_array_foreach(rearmed, i, d) {
        fputs(i ? ", " : "", stdout);
        const char *name = json_string_value(json_object_get(d, "name"));
        char due[64];
        pl_client_print_text(name ? name : "?", 0);
        fputs(" (due ", stdout);
        pl_client_print_text(
            pl_client_format_time(json_string_value(json_object_get(d, "due_at")), due,
                                  sizeof due),
            0);
        putchar(')');
    }
}

/* "TS-2026-000001: note recorded; met: a; re-armed: b (due ...); cancelled: c". */
static void s_print_outcome(const pl_case_op_args_t *args, const json_t *reply)
{
    const char *case_no = json_string_value(json_object_get(reply, "case_no"));
    pl_client_print_text(case_no ? case_no : args->case_no, 0);
    if (strcmp(args->op, "close") == 0) {
        fputs(": closed", stdout);
    } else {
        printf(": %s recorded", args->op);
    }
    const json_t *met = json_object_get(reply, "met");
    const json_t *rearmed = json_object_get(reply, "rearmed");
    const json_t *cancelled = json_object_get(reply, "cancelled");
    if (json_array_size(met) > 0) {
        fputs("; met: ", stdout);
        s_print_names(met);
    }
    if (json_array_size(rearmed) > 0) {
        fputs("; re-armed: ", stdout);
        s_print_rearmed(rearmed);
    }
    if (json_array_size(cancelled) > 0) {
        fputs("; cancelled: ", stdout);
        s_print_names(cancelled);
    }
    putchar('\n');
}

int pl_cmd_case_op(const pl_client_opts_t *opts, const pl_case_op_args_t *args)
{
    json_t *request = json_pack("{s:s}", "op", args->op);
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    static const char *const keys[] = {"case_no", "text", "finding", "responsibility", "by"};
    static const char *const names[] = {"case number", "text", "finding", "responsibility",
                                        "--by name"};
    const char *values[] = {args->case_no, args->text, args->finding, args->responsibility,
                            args->by};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!s_set(request, keys[i], values[i])) {
            /* Option values come from the terminal, which may not speak UTF-8. */
            fprintf(stderr, "plaint: %s: the %s is not valid UTF-8 (is the terminal set to "
                            "UTF-8?)\n", args->op, names[i]);
            json_decref(request);
            return PL_EXIT_USAGE;
        }
    }
    json_t *reply = NULL;
    char *text = NULL;
    int status = pl_client_call(opts, request, &reply, &text);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    if (opts->json) {
        printf("%s\n", text);
    } else {
        s_print_outcome(args, reply);
    }
    json_decref(reply);
    free(text);
    return PL_EXIT_OK;
}
