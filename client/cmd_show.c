#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LABEL_WIDTH 12

/* Top-level case fields printed in their own place; the rest go to the end. */
static const char *const s_known_fields[] = {
    "case_no", "status",  "received_at", "created_at", "updated_at", "channel", "kind",
    "source",  "event_id", "customer",   "region",     "product",    "content", "attributes",
    "category", "severity", "tags", "department", "assignee", "inform", "rules_version",
    "matched_rules", "history", "deadlines", "responsibility", "handling_result", NULL,
};

/* Writes untrusted text for a terminal (see pl_client_print_text). */
static void s_print_text(const char *text, int indent)
{
    pl_client_print_text(text, indent);
}

/*
 * Prints any JSON value for people: strings as text, a flat object as
 * "key: value, key: value", the rest as compact JSON.
 */
static void s_print_value(const json_t *value, int indent)
{
    if (json_is_string(value)) {
        s_print_text(json_string_value(value), indent);
        return;
    }
    if (json_is_object(value)) {
        const char *key;
        const json_t *member;
        const char *sep = "";
        json_object_foreach((json_t *)value, key, member) {
            fputs(sep, stdout);
            s_print_text(key, indent);
            fputs(": ", stdout);
            if (json_is_object(member)) {
                char *dump = json_dumps(member, JSON_COMPACT);
                s_print_text(dump ? dump : "?", indent);
                free(dump);
            } else {
                s_print_value(member, indent);
            }
            sep = ", ";
        }
        return;
    }
    char *dump = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    s_print_text(dump ? dump : "?", indent);
    free(dump);
}

/* Prints "Label       value" when `value` is present and not null. */
static void s_print_line(const char *label, const json_t *value)
{
    if (!value || json_is_null(value)) {
        return;
    }
    printf("%-*s ", S_LABEL_WIDTH - 1, label);
    s_print_value(value, S_LABEL_WIDTH);
    putchar('\n');
}

static void s_print_product(const json_t *product)
{
    static const struct {
        const char *key;
        const char *label;
    } parts[] = {
        {"spec", "spec"},
        {"order_no", "order"},
        {"quantity", "quantity"},
        {"ship_date", "shipped"},
    };
    if (!json_is_object(product) || json_object_size(product) == 0) {
        return;
    }
    printf("%-*s", S_LABEL_WIDTH, "Product");
    const char *sep = "";
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const json_t *v = json_object_get(product, parts[i].key);
        if (v && !json_is_null(v)) {
            printf("%s%s ", sep, parts[i].label);
            s_print_value(v, S_LABEL_WIDTH);
            sep = ", ";
        }
    }
    putchar('\n');
}

static void s_print_attributes(const json_t *attributes)
{
    if (!json_is_object(attributes) || json_object_size(attributes) == 0) {
        return;
    }
    const char *key;
    const json_t *value;
    const char *label = "Attributes";
    json_object_foreach((json_t *)attributes, key, value) {
        printf("%-*s", S_LABEL_WIDTH, label);
        s_print_text(key, S_LABEL_WIDTH);
        fputs(": ", stdout);
        s_print_value(value, S_LABEL_WIDTH);
        putchar('\n');
        label = "";
    }
}

/* Prints "Label       a, b, c" for a non-empty array of strings. */
static void s_print_list_line(const char *label, const json_t *array)
{
    if (!json_is_array(array) || json_array_size(array) == 0) {
        return;
    }
    printf("%-*s", S_LABEL_WIDTH, label);
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item) {
        fputs(i ? ", " : "", stdout);
        s_print_value(item, S_LABEL_WIDTH);
    }
    putchar('\n');
}

/* What the classifier and router decided, and with which rules. */
static void s_print_decision(const json_t *c)
{
    s_print_line("Category", json_object_get(c, "category"));
    s_print_line("Severity", json_object_get(c, "severity"));
    s_print_list_line("Tags", json_object_get(c, "tags"));
    s_print_line("Department", json_object_get(c, "department"));
    s_print_line("Assignee", json_object_get(c, "assignee"));
    s_print_list_line("Inform", json_object_get(c, "inform"));
    const json_t *version = json_object_get(c, "rules_version");
    if (json_is_string(version)) {
        printf("%-*s", S_LABEL_WIDTH, "Rules");
        pl_client_print_rules_version(json_string_value(version));
        putchar('\n');
    }
}

/* "Matched rules" and one line per rule: "  section/rule: why". */
static void s_print_matched(const json_t *matched)
{
    if (!json_is_array(matched) || json_array_size(matched) == 0) {
        return;
    }
    printf("\nMatched rules\n");
    size_t i;
    const json_t *m;
    json_array_foreach(matched, i, m) {
        const char *section = json_string_value(json_object_get(m, "section"));
        const char *rule = json_string_value(json_object_get(m, "rule"));
        const char *why = json_string_value(json_object_get(m, "why"));
        fputs("  ", stdout);
        s_print_text(section ? section : "-", 4);
        putchar('/');
        s_print_text(rule ? rule : "-", 4);
        fputs(": ", stdout);
        s_print_text(why ? why : "-", 4);
        putchar('\n');
    }
}

static void s_print_others(const json_t *c)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)c, key, value) {
        bool known = false;
        for (size_t i = 0; s_known_fields[i]; i++) {
            known = known || strcmp(key, s_known_fields[i]) == 0;
        }
        if (!known && !json_is_null(value)) {
            /* "assigned_to" reads "Assigned to", like the fixed labels. */
            char label[64];
            snprintf(label, sizeof label, "%s", key);
            for (char *p = label; *p; p++) {
                *p = *p == '_' ? ' ' : *p;
            }
            if (label[0] >= 'a' && label[0] <= 'z') {
                label[0] = (char)(label[0] - 'a' + 'A');
            }
            s_print_line(label, value);
        }
    }
}

/*
 * A history entry's detail as people see it (a new reference, or NULL): null
 * members and empty arrays left out, "matched_rules" too (the case's own list is printed
 * above), and "rules_version" cut to its first characters.
 */
static json_t *s_history_detail(const json_t *detail)
{
    if (!json_is_object(detail)) {
        return detail ? json_incref((json_t *)detail) : NULL;
    }
    json_t *shown = json_object();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)detail, key, value) {
        bool empty = json_is_null(value) || (json_is_array(value) && json_array_size(value) == 0);
        if (!shown || empty || strcmp(key, "matched_rules") == 0) {
            continue;
        }
        const char *version = strcmp(key, "rules_version") == 0 ? json_string_value(value) : NULL;
        if (version && strlen(version) > PL_CLIENT_RULES_VERSION_SHOWN) {
            json_object_set_new(shown, key,
                                json_stringn(version, PL_CLIENT_RULES_VERSION_SHOWN));
        } else {
            json_object_set(shown, key, value);
        }
    }
    return shown;
}

static void s_print_history(const json_t *history)
{
    if (!json_is_array(history) || json_array_size(history) == 0) {
        return;
    }
    int widths[3] = {0, 0, 0};
    static const char *const columns[] = {"at", "actor", "type"};
    size_t i;
    const json_t *entry;
    json_array_foreach(history, i, entry) {
        for (int k = 0; k < 3; k++) {
            const char *s = json_string_value(json_object_get(entry, columns[k]));
            int w = s ? pl_client_display_width(s) : 1;
            widths[k] = w > widths[k] ? w : widths[k];
        }
    }
    printf("\nHistory\n");
    json_array_foreach(history, i, entry) {
        json_t *detail = s_history_detail(json_object_get(entry, "detail"));
        bool has_detail = detail && !json_is_null(detail) &&
                          !(json_is_string(detail) && json_string_length(detail) == 0) &&
                          !(json_is_object(detail) && json_object_size(detail) == 0);
        fputs("  ", stdout);
        for (int k = 0; k < 3; k++) {
            const char *s = json_string_value(json_object_get(entry, columns[k]));
            if (k < 2 || has_detail) {
                pl_client_print_padded(s ? s : "-", widths[k]);
                fputs("  ", stdout);
            } else {
                s_print_text(s ? s : "-", 0);
            }
        }
        if (has_detail) {
            s_print_value(detail, 2 + widths[0] + widths[1] + widths[2] + 6);
        }
        json_decref(detail);
        putchar('\n');
    }
}

/*
 * "Handling" and what the visit found responsible and the result told the
 * customer (the latest of each), when there is either.
 */
static void s_print_handling(const json_t *c)
{
    const json_t *responsibility = json_object_get(c, "responsibility");
    const json_t *result = json_object_get(c, "handling_result");
    bool has_responsibility = json_is_string(responsibility);
    bool has_result = json_is_string(result);
    if (!has_responsibility && !has_result) {
        return;
    }
    printf("\nHandling\n");
    if (has_responsibility) {
        printf("  %-16s", "responsibility");
        s_print_text(json_string_value(responsibility), 18);
        putchar('\n');
    }
    if (has_result) {
        printf("  %-16s", "result");
        s_print_text(json_string_value(result), 18);
        putchar('\n');
    }
}

/* The state of one deadline: "pending", "breached, level 2", "met, recurring". */
static void s_deadline_state(const json_t *d, char *buf, size_t size)
{
    const char *status = json_string_value(json_object_get(d, "status"));
    json_int_t level = json_integer_value(json_object_get(d, "level"));
    int n = snprintf(buf, size, "%s", status ? status : "-");
    if (level > 0 && n >= 0 && (size_t)n < size) {
        n += snprintf(buf + n, size - (size_t)n, ", level %lld", (long long)level);
    }
    if (json_is_true(json_object_get(d, "recurring")) && n >= 0 && (size_t)n < size) {
        snprintf(buf + n, size - (size_t)n, ", recurring");
    }
}

/*
 * "Deadlines" and one line per deadline, earliest first:
 * "  first_report  2026-11-30 17:30:00 UTC  breached, level 2  First report".
 */
static void s_print_deadlines(const json_t *deadlines)
{
    if (!json_is_array(deadlines) || json_array_size(deadlines) == 0) {
        return;
    }
    int name_width = 0, due_width = 0, state_width = 0;
    size_t i;
    const json_t *d;
    json_array_foreach(deadlines, i, d) {
        const char *name = json_string_value(json_object_get(d, "name"));
        char due[64], state[96];
        pl_client_format_time(json_string_value(json_object_get(d, "due_at")), due, sizeof due);
        s_deadline_state(d, state, sizeof state);
        int w = pl_client_display_width(name ? name : "-");
        name_width = w > name_width ? w : name_width;
        w = pl_client_display_width(due);
        due_width = w > due_width ? w : due_width;
        w = pl_client_display_width(state);
        state_width = w > state_width ? w : state_width;
    }
    printf("\nDeadlines\n");
    json_array_foreach(deadlines, i, d) {
        const char *name = json_string_value(json_object_get(d, "name"));
        const char *label = json_string_value(json_object_get(d, "label"));
        char due[64], state[96];
        pl_client_format_time(json_string_value(json_object_get(d, "due_at")), due, sizeof due);
        s_deadline_state(d, state, sizeof state);
        fputs("  ", stdout);
        pl_client_print_padded(name ? name : "-", name_width + 2);
        pl_client_print_padded(due, due_width + 2);
        if (label && label[0]) {
            pl_client_print_padded(state, state_width + 2);
            s_print_text(label, 4);
        } else {
            s_print_text(state, 4);
        }
        putchar('\n');
    }
}

/* The register-style view of a case, for people reading it back to a customer. */
static void s_print_case(const json_t *c)
{
    const json_t *customer = json_object_get(c, "customer");
    s_print_line("Case no.", json_object_get(c, "case_no"));
    s_print_line("Status", json_object_get(c, "status"));
    s_print_line("Received", json_object_get(c, "received_at"));
    s_print_line("Created", json_object_get(c, "created_at"));
    s_print_line("Updated", json_object_get(c, "updated_at"));
    s_print_line("Channel", json_object_get(c, "channel"));
    s_print_line("Kind", json_object_get(c, "kind"));
    s_print_line("Source", json_object_get(c, "source"));
    s_print_line("Event id", json_object_get(c, "event_id"));
    s_print_line("Customer", json_object_get(customer, "name"));
    s_print_line("Phone", json_object_get(customer, "phone"));
    s_print_line("Address", json_object_get(customer, "address"));
    s_print_line("Region", json_object_get(c, "region"));
    s_print_product(json_object_get(c, "product"));
    s_print_line("Content", json_object_get(c, "content"));
    s_print_attributes(json_object_get(c, "attributes"));
    s_print_decision(c);
    s_print_others(c);
    s_print_handling(c);
    s_print_deadlines(json_object_get(c, "deadlines"));
    s_print_matched(json_object_get(c, "matched_rules"));
    s_print_history(json_object_get(c, "history"));
}

int pl_cmd_show(const pl_client_opts_t *opts, const char *case_no)
{
    json_t *request = json_pack("{s:s, s:s}", "op", "get", "case_no", case_no);
    json_t *reply = NULL;
    if (!request) {
        fprintf(stderr, "plaint: case number is not valid UTF-8\n");
        return PL_EXIT_USAGE;
    }
    int status = pl_client_call(opts, request, &reply, NULL);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    const json_t *c = json_object_get(reply, "case");
    if (!json_is_object(c)) {
        fprintf(stderr, "plaint: %s: malformed reply: no \"case\" object\n", opts->endpoint);
        json_decref(reply);
        return PL_EXIT_FAILED;
    }
    int rc = PL_EXIT_OK;
    if (opts->json) {
        rc = pl_client_print_compact(c);
    } else {
        s_print_case(c);
    }
    json_decref(reply);
    return rc;
}
