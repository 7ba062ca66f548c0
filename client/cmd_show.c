/*
 * plaint show: one case for people, in the default view below, or as its
 * register row or complaint file (cmd_show_file.c).
 */
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
    "matched_rules", "history", "deadlines", "responsibility", "handling_result",
    /* issue 5: the lifecycle */
    "round", "escalated", "allowed", "cause", "proposed_result", "remarks", "closed_at",
    "followup_method", "followup_at", "followup_by", "customer_opinion", "approvals",
    "followups", "capa", "paused_at", "paused_reason", NULL,
};

/* Writes untrusted text for a terminal (see pl_client_print_text). */
static void s_print_text(FILE *out, const char *text, int indent)
{
    pl_client_fprint_text(out, text, indent);
}

static void s_print_value(FILE *out, const json_t *value, int indent)
{
    pl_client_fprint_value(out, value, indent);
}

/* A string member of `obj`, or NULL. */
static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Prints "Label       value" when `value` is present and not null. */
static void s_print_line(FILE *out, const char *label, const json_t *value)
{
    if (!value || json_is_null(value)) {
        return;
    }
    fprintf(out, "%-*s ", S_LABEL_WIDTH - 1, label);
    s_print_value(out, value, S_LABEL_WIDTH);
    putc('\n', out);
}

static void s_print_product(FILE *out, const json_t *product)
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
    fprintf(out, "%-*s", S_LABEL_WIDTH, "Product");
    const char *sep = "";
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const json_t *v = json_object_get(product, parts[i].key);
        if (v && !json_is_null(v)) {
            fprintf(out, "%s%s ", sep, parts[i].label);
            s_print_value(out, v, S_LABEL_WIDTH);
            sep = ", ";
        }
    }
    putc('\n', out);
}

static void s_print_attributes(FILE *out, const json_t *attributes)
{
    if (!json_is_object(attributes) || json_object_size(attributes) == 0) {
        return;
    }
    const char *key;
    const json_t *value;
    const char *label = "Attributes";
    json_object_foreach((json_t *)attributes, key, value) {
        fprintf(out, "%-*s", S_LABEL_WIDTH, label);
        s_print_text(out, key, S_LABEL_WIDTH);
        fputs(": ", out);
        s_print_value(out, value, S_LABEL_WIDTH);
        putc('\n', out);
        label = "";
    }
}

/* Prints "Label       a, b, c" for a non-empty array of strings. */
static void s_print_list_line(FILE *out, const char *label, const json_t *array)
{
    if (!json_is_array(array) || json_array_size(array) == 0) {
        return;
    }
    fprintf(out, "%-*s", S_LABEL_WIDTH, label);
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item) {
        fputs(i ? ", " : "", out);
        s_print_value(out, item, S_LABEL_WIDTH);
    }
    putc('\n', out);
}

/* "Round       2, escalated" when the case has a round. */
static void s_print_round(FILE *out, const json_t *c)
{
    const json_t *round = json_object_get(c, "round");
    if (!json_is_integer(round)) {
        return;
    }
    fprintf(out, "%-*s%lld%s\n", S_LABEL_WIDTH, "Round", (long long)json_integer_value(round),
            json_is_true(json_object_get(c, "escalated")) ? ", escalated" : "");
}

/* "Paused      since 2026-11-28 14:00:00 UTC: reason" while the case's clocks are stopped. */
static void s_print_paused(FILE *out, const json_t *c)
{
    const char *since = s_str(c, "paused_at");
    if (!since) {
        return;
    }
    char when[64];
    fprintf(out, "%-*ssince %s", S_LABEL_WIDTH, "Paused",
            pl_client_format_time(since, when, sizeof when));
    if (s_str(c, "paused_reason")) {
        fputs(": ", out);
        s_print_text(out, s_str(c, "paused_reason"), S_LABEL_WIDTH);
    }
    putc('\n', out);
}

/* What the classifier and router decided, and with which rules. */
static void s_print_decision(FILE *out, const json_t *c)
{
    s_print_line(out, "Category", json_object_get(c, "category"));
    s_print_line(out, "Severity", json_object_get(c, "severity"));
    s_print_list_line(out, "Tags", json_object_get(c, "tags"));
    s_print_line(out, "Department", json_object_get(c, "department"));
    s_print_line(out, "Assignee", json_object_get(c, "assignee"));
    s_print_list_line(out, "Inform", json_object_get(c, "inform"));
    const char *version = s_str(c, "rules_version");
    if (version) {
        fprintf(out, "%-*s", S_LABEL_WIDTH, "Rules");
        pl_client_fprint_rules_version(out, version);
        putc('\n', out);
    }
}

/* "Matched rules" and one line per rule: "  section/rule: why". */
static void s_print_matched(FILE *out, const json_t *matched)
{
    if (!json_is_array(matched) || json_array_size(matched) == 0) {
        return;
    }
    fprintf(out, "\nMatched rules\n");
    size_t i;
    const json_t *m;
    json_array_foreach(matched, i, m) {
        const char *section = s_str(m, "section");
        const char *rule = s_str(m, "rule");
        const char *why = s_str(m, "why");
        fputs("  ", out);
        s_print_text(out, section ? section : "-", 4);
        putc('/', out);
        s_print_text(out, rule ? rule : "-", 4);
        fputs(": ", out);
        s_print_text(out, why ? why : "-", 4);
        putc('\n', out);
    }
}

static void s_print_others(FILE *out, const json_t *c)
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
            s_print_line(out, label, value);
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

static void s_print_history(FILE *out, const json_t *history)
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
            const char *s = s_str(entry, columns[k]);
            int w = s ? pl_client_display_width(s) : 1;
            widths[k] = w > widths[k] ? w : widths[k];
        }
    }
    fprintf(out, "\nHistory\n");
    json_array_foreach(history, i, entry) {
        json_t *detail = s_history_detail(json_object_get(entry, "detail"));
        bool has_detail = detail && !json_is_null(detail) &&
                          !(json_is_string(detail) && json_string_length(detail) == 0) &&
                          !(json_is_object(detail) && json_object_size(detail) == 0);
        fputs("  ", out);
        for (int k = 0; k < 3; k++) {
            const char *s = s_str(entry, columns[k]);
            if (k < 2 || has_detail) {
                pl_client_fprint_padded(out, s ? s : "-", widths[k]);
                fputs("  ", out);
            } else {
                s_print_text(out, s ? s : "-", 0);
            }
        }
        if (has_detail) {
            s_print_value(out, detail, 2 + widths[0] + widths[1] + widths[2] + 6);
        }
        json_decref(detail);
        putc('\n', out);
    }
}

/* Prints "  label           text" under a block when `value` is a non-empty string or array. */
static void s_print_handling_line(FILE *out, const char *label, const json_t *value, bool *any)
{
    bool present = (json_is_string(value) && json_string_length(value) > 0) ||
                   (json_is_array(value) && json_array_size(value) > 0);
    if (!present) {
        return;
    }
    if (!*any) {
        fprintf(out, "\nHandling\n");
        *any = true;
    }
    fprintf(out, "  %-16s", label);
    if (json_is_array(value)) {
        /* remarks: strings, or objects with a "text" */
        size_t i;
        const json_t *item;
        json_array_foreach(value, i, item) {
            const char *text = json_is_string(item) ? json_string_value(item) : s_str(item, "text");
            if (i > 0) {
                fprintf(out, "\n%18s", "");
            }
            if (text) {
                s_print_text(out, text, 18);
            } else {
                s_print_value(out, item, 18);
            }
        }
    } else {
        s_print_text(out, json_string_value(value), 18);
    }
    putc('\n', out);
}

/*
 * "Handling": who is responsible and why, the resolution proposed, the
 * result told to the customer, the remarks and when the case was closed,
 * when any is known.
 */
static void s_print_handling(FILE *out, const json_t *c)
{
    bool any = false;
    s_print_handling_line(out, "responsibility", json_object_get(c, "responsibility"), &any);
    s_print_handling_line(out, "cause", json_object_get(c, "cause"), &any);
    s_print_handling_line(out, "proposed", json_object_get(c, "proposed_result"), &any);
    s_print_handling_line(out, "result", json_object_get(c, "handling_result"), &any);
    s_print_handling_line(out, "remarks", json_object_get(c, "remarks"), &any);
    const char *closed = s_str(c, "closed_at");
    if (closed) {
        char when[64];
        json_t *shown = json_string(pl_client_format_time(closed, when, sizeof when));
        s_print_handling_line(out, "closed", shown, &any);
        json_decref(shown);
    }
}

/* Joins an array of strings as "a, b" into `buf`. */
static char *s_join_names(const json_t *names, char *buf, size_t size)
{
    size_t used = 0;
    size_t i;
    const json_t *name;
    buf[0] = '\0';
    json_array_foreach(names, i, name) {
        const char *s = json_string_value(name);
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", s ? s : "?");
        if (n < 0 || (size_t)n >= size - used) {
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

/*
 * Prints rows of cells as an aligned block under `title`: every column but
 * the last padded to its widest cell. `cells` is row-major, `rows` x `columns`.
 */
static void s_print_block(FILE *out, const char *title, const char *const *cells, size_t rows,
                          size_t columns)
{
    int widths[8] = {0};
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < columns && k < 8; k++) {
            int w = pl_client_display_width(cells[r * columns + k]);
            widths[k] = w > widths[k] ? w : widths[k];
        }
    }
    fprintf(out, "\n%s\n", title);
    for (size_t r = 0; r < rows; r++) {
        /* No padding after the last cell that says something. */
        size_t last = columns;
        while (last > 1 && cells[r * columns + last - 1][0] == '\0') {
            last--;
        }
        fputs("  ", out);
        for (size_t k = 0; k < last; k++) {
            const char *cell = cells[r * columns + k];
            if (k + 1 < last) {
                pl_client_fprint_padded(out, cell, widths[k] + 2);
            } else {
                pl_client_fprint_line(out, cell);
            }
        }
        putc('\n', out);
    }
}

#define S_CELL 160

/* Cell text: a string member, or "-". */
static const char *s_cell(const json_t *obj, const char *key)
{
    const char *s = s_str(obj, key);
    return s && s[0] ? s : "-";
}

/* "Approvals": round, level, roles, status, by, at (UTC), reason; one line each. */
static void s_print_approvals(FILE *out, const json_t *approvals)
{
    size_t rows = json_array_size(approvals);
    if (rows == 0) {
        return;
    }
    enum { COLUMNS = 6 };
    const char **cells = calloc(rows * COLUMNS, sizeof *cells);
    char (*text)[3][S_CELL] = calloc(rows, sizeof *text);
    if (!cells || !text) {
        free(cells);
        free(text);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        const json_t *a = json_array_get(approvals, r);
        snprintf(text[r][0], S_CELL, "round %lld, level %lld",
                 (long long)json_integer_value(json_object_get(a, "round")),
                 (long long)json_integer_value(json_object_get(a, "level")));
        s_join_names(json_object_get(a, "roles"), text[r][1], S_CELL);
        pl_client_format_time(s_str(a, "at"), text[r][2], S_CELL);
        const char **row = cells + r * COLUMNS;
        row[0] = text[r][0];
        row[1] = text[r][1][0] ? text[r][1] : "-";
        row[2] = s_cell(a, "status");
        row[3] = s_cell(a, "by");
        row[4] = s_str(a, "at") ? text[r][2] : "-";
        row[5] = s_str(a, "reason") ? s_str(a, "reason") : "";
    }
    s_print_block(out, "Approvals", cells, rows, COLUMNS);
    free(cells);
    free(text);
}

/* "Follow-ups": round, at (UTC), method, by, satisfied or not, opinion. */
static void s_print_followups(FILE *out, const json_t *followups)
{
    size_t rows = json_array_size(followups);
    if (rows == 0) {
        return;
    }
    enum { COLUMNS = 6 };
    const char **cells = calloc(rows * COLUMNS, sizeof *cells);
    char (*text)[2][S_CELL] = calloc(rows, sizeof *text);
    if (!cells || !text) {
        free(cells);
        free(text);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        const json_t *f = json_array_get(followups, r);
        const json_t *satisfied = json_object_get(f, "satisfied");
        snprintf(text[r][0], S_CELL, "round %lld",
                 (long long)json_integer_value(json_object_get(f, "round")));
        pl_client_format_time(s_str(f, "at"), text[r][1], S_CELL);
        const char **row = cells + r * COLUMNS;
        row[0] = text[r][0];
        row[1] = text[r][1];
        row[2] = s_cell(f, "method");
        row[3] = s_cell(f, "by");
        row[4] = !json_is_boolean(satisfied) ? "-"
                 : json_is_true(satisfied)   ? "satisfied"
                                             : "unsatisfied";
        row[5] = s_str(f, "opinion") ? s_str(f, "opinion") : "";
    }
    s_print_block(out, "Follow-ups", cells, rows, COLUMNS);
    free(cells);
    free(text);
}

/*
 * "CAPA": number, kind, status, owner, due, action; a verified one adds a
 * line "verified by WHO at T: effective|not effective: result".
 */
static void s_print_capa(FILE *out, const json_t *capa)
{
    if (json_array_size(capa) == 0) {
        return;
    }
    fprintf(out, "\nCAPA\n");
    size_t i;
    const json_t *a;
    json_array_foreach(capa, i, a) {
        fprintf(out, "  %lld  ", (long long)json_integer_value(json_object_get(a, "no")));
        pl_client_fprint_line(out, s_cell(a, "kind"));
        fputs(", ", out);
        pl_client_fprint_line(out, s_cell(a, "status"));
        fputs(", owner ", out);
        pl_client_fprint_line(out, s_cell(a, "owner"));
        fputs(", due ", out);
        pl_client_fprint_line(out, s_cell(a, "due"));
        fputs(": ", out);
        s_print_text(out, s_cell(a, "action"), 6);
        putc('\n', out);
        if (s_str(a, "verified_at") || json_is_boolean(json_object_get(a, "effective"))) {
            char when[64];
            const json_t *effective = json_object_get(a, "effective");
            fputs("     verified by ", out);
            pl_client_fprint_line(out, s_cell(a, "verified_by"));
            fprintf(out, " at %s: %s", pl_client_format_time(s_str(a, "verified_at"), when,
                                                             sizeof when),
                    json_is_true(effective) ? "effective" : "not effective");
            if (s_str(a, "result")) {
                fputs(": ", out);
                s_print_text(out, s_str(a, "result"), 6);
            }
            putc('\n', out);
        }
    }
}

/* The state of one deadline: "pending", "breached, level 2", "met, recurring". */
static void s_deadline_state(const json_t *d, char *buf, size_t size)
{
    const char *status = s_str(d, "status");
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
static void s_print_deadlines(FILE *out, const json_t *deadlines)
{
    if (!json_is_array(deadlines) || json_array_size(deadlines) == 0) {
        return;
    }
    int name_width = 0, due_width = 0, state_width = 0;
    size_t i;
    const json_t *d;
    json_array_foreach(deadlines, i, d) {
        const char *name = s_str(d, "name");
        char due[64], state[96];
        pl_client_format_time(s_str(d, "due_at"), due, sizeof due);
        s_deadline_state(d, state, sizeof state);
        int w = pl_client_display_width(name ? name : "-");
        name_width = w > name_width ? w : name_width;
        w = pl_client_display_width(due);
        due_width = w > due_width ? w : due_width;
        w = pl_client_display_width(state);
        state_width = w > state_width ? w : state_width;
    }
    fprintf(out, "\nDeadlines\n");
    json_array_foreach(deadlines, i, d) {
        const char *name = s_str(d, "name");
        const char *label = s_str(d, "label");
        char due[64], state[96];
        pl_client_format_time(s_str(d, "due_at"), due, sizeof due);
        s_deadline_state(d, state, sizeof state);
        fputs("  ", out);
        pl_client_fprint_padded(out, name ? name : "-", name_width + 2);
        pl_client_fprint_padded(out, due, due_width + 2);
        if (label && label[0]) {
            pl_client_fprint_padded(out, state, state_width + 2);
            s_print_text(out, label, 4);
        } else {
            s_print_text(out, state, 4);
        }
        putc('\n', out);
    }
}

void pl_client_print_case(FILE *out, const json_t *c)
{
    const json_t *customer = json_object_get(c, "customer");
    s_print_line(out, "Case no.", json_object_get(c, "case_no"));
    s_print_line(out, "Status", json_object_get(c, "status"));
    s_print_round(out, c);
    s_print_paused(out, c);
    s_print_list_line(out, "Next steps", json_object_get(c, "allowed"));
    s_print_line(out, "Received", json_object_get(c, "received_at"));
    s_print_line(out, "Created", json_object_get(c, "created_at"));
    s_print_line(out, "Updated", json_object_get(c, "updated_at"));
    s_print_line(out, "Channel", json_object_get(c, "channel"));
    s_print_line(out, "Kind", json_object_get(c, "kind"));
    s_print_line(out, "Source", json_object_get(c, "source"));
    s_print_line(out, "Event id", json_object_get(c, "event_id"));
    s_print_line(out, "Customer", json_object_get(customer, "name"));
    s_print_line(out, "Phone", json_object_get(customer, "phone"));
    s_print_line(out, "Address", json_object_get(customer, "address"));
    s_print_line(out, "Region", json_object_get(c, "region"));
    s_print_product(out, json_object_get(c, "product"));
    s_print_line(out, "Content", json_object_get(c, "content"));
    s_print_attributes(out, json_object_get(c, "attributes"));
    s_print_decision(out, c);
    s_print_others(out, c);
    s_print_handling(out, c);
    s_print_approvals(out, json_object_get(c, "approvals"));
    s_print_followups(out, json_object_get(c, "followups"));
    s_print_capa(out, json_object_get(c, "capa"));
    s_print_deadlines(out, json_object_get(c, "deadlines"));
    s_print_matched(out, json_object_get(c, "matched_rules"));
    s_print_history(out, json_object_get(c, "history"));
}

int pl_cmd_show(const pl_client_opts_t *opts, const char *case_no, const char *format)
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
    } else if (format && strcmp(format, "register") == 0) {
        pl_client_print_register(stdout, c);
    } else if (format && strcmp(format, "file") == 0) {
        pl_client_print_file(stdout, c);
    } else {
        pl_client_print_case(stdout, c);
    }
    json_decref(reply);
    return rc;
}
