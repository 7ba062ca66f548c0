/*
 * plaint list: the cases that match filters, newest received first, as a
 * table (docs/protocol.md, "list").
 */
#include "client/client.h"

#include "common/pl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COLUMNS 7
#define S_GAP 2

static const char *const s_headers[S_COLUMNS] = {
    "case", "received", "status", "category", "assignee", "overdue", "summary",
};

/* The cells of one row, as text; strings point into `row` or `received`. */
static void s_cells(const json_t *row, const char *cells[S_COLUMNS], char received[64])
{
    static const char *const keys[S_COLUMNS] = {
        "case_no", NULL, "status", "category", "assignee", NULL, "summary",
    };
    for (int k = 0; k < S_COLUMNS; k++) {
        const char *s = keys[k] ? json_string_value(json_object_get(row, keys[k])) : NULL;
        cells[k] = s && s[0] ? s : "-";
    }
    cells[1] = pl_client_format_local(json_string_value(json_object_get(row, "received_at")),
                                      PL_CLIENT_LOCAL_MINUTE, received, 64);
    cells[5] = json_is_true(json_object_get(row, "overdue")) ? "yes" : "no";
}

static void s_print_row(FILE *out, const char *const cells[S_COLUMNS],
                        const int widths[S_COLUMNS])
{
    for (int k = 0; k < S_COLUMNS; k++) {
        if (k + 1 < S_COLUMNS) {
            pl_client_fprint_padded(out, cells[k], widths[k] + S_GAP);
        } else {
            pl_client_fprint_line(out, cells[k]);
        }
    }
    putc('\n', out);
}

/* "showing 1-50 of 123 (--offset 50 for more)". */
static void s_print_footer(FILE *out, size_t shown, long offset, long long total)
{
    long long first = offset + 1;
    long long last = offset + (long long)shown;
    if (shown == 0) {
        fprintf(out, "showing none of %lld (--offset %ld is past the end)\n", total, offset);
        return;
    }
    fprintf(out, "showing %lld-%lld of %lld", first, last, total);
    if (last < total) {
        fprintf(out, " (--offset %lld for more)", last);
    }
    putc('\n', out);
}

void pl_client_print_list(FILE *out, const json_t *reply, long offset)
{
    const json_t *cases = json_object_get(reply, "cases");
    const json_t *total_value = json_object_get(reply, "total");
    size_t count = json_array_size(cases);
    long long total = json_is_integer(total_value) ? (long long)json_integer_value(total_value)
                                                   : (long long)count + (offset > 0 ? offset : 0);
    offset = offset > 0 ? offset : 0;
    if (total == 0) {
        fputs("no cases\n", out);
        return;
    }
    int widths[S_COLUMNS];
    for (int k = 0; k < S_COLUMNS; k++) {
        widths[k] = pl_client_display_width(s_headers[k]);
    }
    size_t i;
    const json_t *row;
    json_array_foreach(cases, i, row) {
        const char *cells[S_COLUMNS];
        char received[64];
        s_cells(row, cells, received);
        for (int k = 0; k < S_COLUMNS; k++) {
            int w = pl_client_display_width(cells[k]);
            widths[k] = w > widths[k] ? w : widths[k];
        }
    }
    if (count > 0) {
        s_print_row(out, s_headers, widths);
    }
    json_array_foreach(cases, i, row) {
        const char *cells[S_COLUMNS];
        char received[64];
        s_cells(row, cells, received);
        s_print_row(out, cells, widths);
    }
    s_print_footer(out, count, offset, total);
}

/* Sets `key` to a string when given; false when it is not UTF-8 or there is no memory. */
static bool s_set(json_t *request, const char *key, const char *value)
{
    if (!value) {
        return true;
    }
    json_t *s = json_string(value);
    return s && json_object_set_new(request, key, s) == 0;
}

/* "status": one status as a string, several (comma-separated) as an array. */
static bool s_set_status(json_t *request, const char *statuses)
{
    if (!statuses || !strchr(statuses, ',')) {
        return s_set(request, "status", statuses);
    }
    json_t *array = json_array();
    for (const char *p = statuses; array;) {
        size_t n = strcspn(p, ",");
        if (json_array_append_new(array, json_stringn(p, n)) != 0) {
            json_decref(array);
            array = NULL;
            break;
        }
        if (p[n] == '\0') {
            break;
        }
        p += n + 1;
    }
    return array && json_object_set_new(request, "status", array) == 0;
}

/*
 * The request for `args`. Returns NULL after printing why: PL_EXIT_USAGE in
 * *status_p for a value that is not UTF-8 or a bad time, PL_EXIT_FAILED for no memory.
 */
static json_t *s_request(const pl_list_args_t *args, int *status_p)
{
    json_t *request = json_pack("{s:s}", "op", "list");
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        *status_p = PL_EXIT_FAILED;
        return NULL;
    }
    char from[PL_TIME_RFC3339_SIZE] = "", to[PL_TIME_RFC3339_SIZE] = "";
    /* main.c checked the shapes; this only fails for a date mktime cannot place. */
    if ((args->from && pl_client_list_time(args->from, false, from, sizeof from) != 0) ||
        (args->to && pl_client_list_time(args->to, true, to, sizeof to) != 0)) {
        fprintf(stderr, "plaint: list: cannot place %s in the local time zone\n",
                args->from && !from[0] ? "--from" : "--to");
        json_decref(request);
        *status_p = PL_EXIT_USAGE;
        return NULL;
    }
    bool ok = s_set(request, "kind", args->kind) &&
              s_set(request, "category", args->category) &&
              s_set(request, "department", args->department) &&
              s_set(request, "assignee", args->assignee) && s_set(request, "text", args->text) &&
              s_set_status(request, args->status);
    if (!ok) {
        fprintf(stderr, "plaint: list: an option is not valid UTF-8 (is the terminal set to "
                        "UTF-8?)\n");
        json_decref(request);
        *status_p = PL_EXIT_USAGE;
        return NULL;
    }
    ok = (!args->overdue || json_object_set_new(request, "overdue", json_true()) == 0) &&
         (!from[0] || json_object_set_new(request, "received_from", json_string(from)) == 0) &&
         (!to[0] || json_object_set_new(request, "received_to", json_string(to)) == 0) &&
         (args->limit <= 0 ||
          json_object_set_new(request, "limit", json_integer(args->limit)) == 0) &&
         (args->offset < 0 ||
          json_object_set_new(request, "offset", json_integer(args->offset)) == 0);
    if (!ok) {
        fprintf(stderr, "plaint: out of memory\n");
        json_decref(request);
        *status_p = PL_EXIT_FAILED;
        return NULL;
    }
    return request;
}

int pl_cmd_list(const pl_client_opts_t *opts, const pl_list_args_t *args)
{
    int status = PL_EXIT_FAILED;
    json_t *request = s_request(args, &status);
    if (!request) {
        return status;
    }
    json_t *reply = NULL;
    char *text = NULL;
    status = pl_client_call(opts, request, &reply, &text);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    if (!json_is_array(json_object_get(reply, "cases"))) {
        fprintf(stderr, "plaint: %s: malformed reply: no \"cases\" array\n", opts->endpoint);
        status = PL_EXIT_FAILED;
    } else if (opts->json) {
        printf("%s\n", text);
    } else {
        pl_client_print_list(stdout, reply, args->offset);
    }
    json_decref(reply);
    free(text);
    return status;
}
