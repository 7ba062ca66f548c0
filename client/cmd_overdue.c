/* plaint overdue: the deadlines past due, oldest first, as a table. */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>

#define S_COLUMNS 7
#define S_GAP 2

static const char *const s_headers[S_COLUMNS] = {
    "case", "deadline", "due", "status", "level", "department", "assignee",
};

/* The cells of one row, as text; strings point into `row` or `buf`. */
static void s_cells(const json_t *row, const char *cells[S_COLUMNS], char due[64],
                    char level[24])
{
    static const char *const keys[S_COLUMNS] = {
        "case_no", "deadline", NULL, "status", NULL, "department", "assignee",
    };
    for (int k = 0; k < S_COLUMNS; k++) {
        const char *s = keys[k] ? json_string_value(json_object_get(row, keys[k])) : NULL;
        cells[k] = s && s[0] ? s : "-";
    }
    cells[2] = pl_client_format_time(json_string_value(json_object_get(row, "due_at")), due, 64);
    const json_t *n = json_object_get(row, "level");
    if (json_is_integer(n)) {
        snprintf(level, 24, "%lld", (long long)json_integer_value(n));
        cells[4] = level;
    } else {
        cells[4] = "-";
    }
}

static void s_print_row(const char *const cells[S_COLUMNS], const int widths[S_COLUMNS])
{
    for (int k = 0; k < S_COLUMNS; k++) {
        if (k + 1 < S_COLUMNS) {
            pl_client_print_padded(cells[k], widths[k] + S_GAP);
        } else {
            pl_client_print_text(cells[k], 0);
        }
    }
    putchar('\n');
}

static void s_print_table(const json_t *overdue)
{
    if (json_array_size(overdue) == 0) {
        puts("nothing overdue");
        return;
    }
    int widths[S_COLUMNS];
    for (int k = 0; k < S_COLUMNS; k++) {
        widths[k] = pl_client_display_width(s_headers[k]);
    }
    size_t i;
    const json_t *row;
    json_array_foreach(overdue, i, row) {
        const char *cells[S_COLUMNS];
        char due[64], level[24];
        s_cells(row, cells, due, level);
        for (int k = 0; k < S_COLUMNS; k++) {
            int w = pl_client_display_width(cells[k]);
            widths[k] = w > widths[k] ? w : widths[k];
        }
    }
    s_print_row(s_headers, widths);
    json_array_foreach(overdue, i, row) {
        const char *cells[S_COLUMNS];
        char due[64], level[24];
        s_cells(row, cells, due, level);
        s_print_row(cells, widths);
    }
}

int pl_cmd_overdue(const pl_client_opts_t *opts, long limit)
{
    json_t *request = limit > 0 ? json_pack("{s:s, s:I}", "op", "overdue", "limit",
                                            (json_int_t)limit)
                                : json_pack("{s:s}", "op", "overdue");
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    json_t *reply = NULL;
    int status = pl_client_call(opts, request, &reply, NULL);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    const json_t *overdue = json_object_get(reply, "overdue");
    if (!json_is_array(overdue)) {
        fprintf(stderr, "plaint: %s: malformed reply: no \"overdue\" array\n", opts->endpoint);
        json_decref(reply);
        return PL_EXIT_FAILED;
    }
    int rc = PL_EXIT_OK;
    if (opts->json) {
        rc = pl_client_print_compact(overdue);
    } else {
        s_print_table(overdue);
    }
    json_decref(reply);
    return rc;
}
