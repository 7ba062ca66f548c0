#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LABEL_WIDTH 12
#define S_INDENT 2

/* Prints a string, or "-" for anything else (null, absent). */
static void s_print_string(const json_t *value)
{
    const char *s = json_string_value(value);
    pl_client_print_text(s && s[0] ? s : "-", S_LABEL_WIDTH);
}

/* Prints an array of strings as "a, b, c", or "-" when it is empty. */
static void s_print_list(const json_t *array)
{
    if (!json_is_array(array) || json_array_size(array) == 0) {
        fputs("-", stdout);
        return;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item) {
        fputs(i ? ", " : "", stdout);
        s_print_string(item);
    }
}

static void s_label(const char *label)
{
    printf("%-*s", S_LABEL_WIDTH, label);
}

/* The kind rule that decided the kind, from the matched rules; NULL if none. */
static const char *s_kind_rule(const json_t *matched)
{
    size_t i;
    const json_t *m;
    json_array_foreach(matched, i, m) {
        const char *section = json_string_value(json_object_get(m, "section"));
        if (section && strcmp(section, "kind_rules") == 0) {
            return json_string_value(json_object_get(m, "rule"));
        }
    }
    return NULL;
}

static void s_print_kind(const json_t *x)
{
    s_label("kind");
    s_print_string(json_object_get(x, "kind"));
    const char *rule = s_kind_rule(json_object_get(x, "matched_rules"));
    if (json_is_true(json_object_get(x, "kind_given"))) {
        fputs(" (stated in the event)", stdout);
    } else if (rule) {
        fputs(" (not stated; decided by kind rule ", stdout);
        pl_client_print_text(rule, S_LABEL_WIDTH);
        fputs(")", stdout);
    } else {
        fputs(" (not stated; no kind rule matched: the default)", stdout);
    }
    putchar('\n');
}

/* "assignee" and "pool": who gets the case, or from whom it is chosen. */
static void s_print_assignment(const json_t *x)
{
    const json_t *assignee = json_object_get(x, "assignee");
    const json_t *pool = json_object_get(x, "pool");
    s_label("assignee");
    if (json_is_string(assignee)) {
        s_print_string(assignee);
    } else if (json_is_object(pool)) {
        fputs("- (chosen from the pool when the case is stored)", stdout);
    } else {
        fputs("-", stdout);
    }
    putchar('\n');
    if (!json_is_object(pool)) {
        return;
    }
    /* pool: "regional_head in north, round_robin: zhang_wei" */
    s_label("pool");
    s_print_string(json_object_get(pool, "role"));
    const json_t *region = json_object_get(pool, "region");
    if (json_is_string(region)) {
        fputs(" in ", stdout);
        s_print_string(region);
    } else {
        fputs(" in any region", stdout);
    }
    const json_t *strategy = json_object_get(pool, "strategy");
    if (json_is_string(strategy)) {
        fputs(", ", stdout);
        s_print_string(strategy);
    }
    fputs(": ", stdout);
    s_print_list(json_object_get(pool, "candidates"));
    putchar('\n');
}

/* "why:" and one line per matched rule, then how the pool was made up. */
static void s_print_why(const json_t *x)
{
    const json_t *matched = json_object_get(x, "matched_rules");
    const json_t *pool_why = json_object_get(json_object_get(x, "pool"), "why");
    puts("why:");
    size_t i;
    const json_t *m;
    json_array_foreach(matched, i, m) {
        printf("%*s", S_INDENT, "");
        s_print_string(json_object_get(m, "section"));
        putchar('/');
        s_print_string(json_object_get(m, "rule"));
        fputs(": ", stdout);
        const char *why = json_string_value(json_object_get(m, "why"));
        pl_client_print_text(why ? why : "-", 2 * S_INDENT);
        putchar('\n');
    }
    if (json_is_string(pool_why)) {
        printf("%*spool: ", S_INDENT, "");
        pl_client_print_text(json_string_value(pool_why), 2 * S_INDENT);
        putchar('\n');
    }
    if (json_array_size(matched) == 0 && !json_is_string(pool_why)) {
        printf("%*s(no rule matched)\n", S_INDENT, "");
    }
}

static void s_print_explain(const json_t *x)
{
    s_print_kind(x);
    s_label("category");
    s_print_string(json_object_get(x, "category"));
    putchar('\n');
    s_label("severity");
    s_print_string(json_object_get(x, "severity"));
    putchar('\n');
    s_label("tags");
    s_print_list(json_object_get(x, "tags"));
    putchar('\n');
    s_label("department");
    s_print_string(json_object_get(x, "department"));
    putchar('\n');
    s_print_assignment(x);
    s_label("inform");
    s_print_list(json_object_get(x, "inform"));
    putchar('\n');
    s_label("rules");
    pl_client_print_rules_version(json_string_value(json_object_get(x, "rules_version")));
    fputs(json_is_false(json_object_get(x, "stored")) ? " (nothing stored)\n" : "\n", stdout);
    s_print_why(x);
}

int pl_cmd_explain(const pl_client_opts_t *opts, const pl_submit_args_t *args)
{
    json_t *event = NULL;
    int status = pl_client_event_from_args(args, "explain", false, &event);
    if (status != PL_EXIT_OK) {
        return status;
    }
    json_t *request = json_pack("{s:s, s:o}", "op", "explain", "event", event);
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    json_t *reply = NULL;
    status = pl_client_call(opts, request, &reply, NULL);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    const json_t *x = json_object_get(reply, "explain");
    if (!json_is_object(x)) {
        fprintf(stderr, "plaint: %s: malformed reply: no \"explain\" object\n", opts->endpoint);
        json_decref(reply);
        return PL_EXIT_FAILED;
    }
    int rc = PL_EXIT_OK;
    if (opts->json) {
        rc = pl_client_print_compact(x);
    } else {
        s_print_explain(x);
    }
    json_decref(reply);
    return rc;
}
