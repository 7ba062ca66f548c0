/*
 * plaint submit -i: the intake desk's dialogue (PROCEDURES.md R9). Ask for
 * the register fields a line at a time, read the record back to the
 * customer, and submit only when the customer confirms it.
 */
#include "client/client.h"

#include "common/pl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The answers, each a new string or NULL (skipped). */
typedef struct s_answers {
    char *name;
    char *phone;
    char *address;
    char *content;
    char *channel;
    char *kind;
    char *region;
    char *spec;
    char *order_no;
    char *quantity;
    char *ship_date;
} s_answers_t;

/* How s_ask ended: an answer (maybe empty), or the input ended. */
#define S_EOF -1

/* Where the dialogue reads and writes. */
typedef struct s_dialogue {
    FILE *in;
    FILE *out;
    bool echo;  /* the input is not a terminal: write each answer after its prompt */
} s_dialogue_t;

/*
 * Reads one line without its line break into *line_p (grown as needed); S_EOF
 * at the end. Answers piped in are echoed, so that the prompts and answers
 * read as a transcript.
 */
static int s_read_line(const s_dialogue_t *d, char **line_p, size_t *size_p)
{
    ssize_t n = getline(line_p, size_p, d->in);
    if (n < 0) {
        return S_EOF;
    }
    while (n > 0 && ((*line_p)[n - 1] == '\n' || (*line_p)[n - 1] == '\r')) {
        (*line_p)[--n] = '\0';
    }
    if (d->echo) {
        pl_client_fprint_line(d->out, *line_p);
        putc('\n', d->out);
    }
    return 0;
}

/* Trims blanks at both ends, in place; returns the start. */
static char *s_trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

/* Is `s` valid UTF-8 (as the protocol requires)? jansson checks it. */
static bool s_is_utf8(const char *s)
{
    json_t *string = json_string(s);
    json_decref(string);
    return string != NULL;
}

/* What an answer must look like beyond UTF-8. */
typedef enum { S_ANY, S_QUANTITY, S_DATE } s_check_t;

static bool s_is_valid(const char *answer, s_check_t check)
{
    if (check == S_QUANTITY) {
        char *end = NULL;
        long n = strtol(answer, &end, 10);
        return end != answer && *end == '\0' && n >= 0 && n <= 1000000000;
    }
    int year, month, day;
    return check != S_DATE || pl_time_parse_date(answer, &year, &month, &day) == 0;
}

/*
 * Asks one single-line field: "label [default]: ". An empty answer takes the
 * default (NULL = skip the field). Stores a new string or NULL in *answer_p.
 * Returns 0, S_EOF, or PL_EXIT_FAILED (no memory).
 */
static int s_ask(const s_dialogue_t *d, const char *label, const char *def, s_check_t check,
                 char **answer_p)
{
    char *line = NULL;
    size_t size = 0;
    int rc;
    for (;;) {
        if (def) {
            fprintf(d->out, "%s [%s]: ", label, def);
        } else {
            fprintf(d->out, "%s: ", label);
        }
        fflush(d->out);
        rc = s_read_line(d, &line, &size);
        if (rc != 0) {
            break;
        }
        const char *answer = s_trim(line);
        if (!answer[0]) {
            answer = def;
        }
        if (answer && !s_is_utf8(answer)) {
            fprintf(d->out, "  not valid UTF-8 (is the terminal set to UTF-8?); again, please\n");
            continue;
        }
        if (answer && !s_is_valid(answer, check)) {
            fprintf(d->out, "  %s; again, or an empty line to skip\n",
                    check == S_DATE ? "a date YYYY-MM-DD, please" : "a whole number, please");
            continue;
        }
        *answer_p = answer ? strdup(answer) : NULL;
        rc = answer && !*answer_p ? PL_EXIT_FAILED : 0;
        break;
    }
    free(line);
    return rc;
}

/*
 * Asks for the complaint: lines up to an empty one, joined with line breaks.
 * Required: an empty complaint takes the default, or is asked again.
 */
static int s_ask_content(const s_dialogue_t *d, const char *def, char **content_p)
{
    char *line = NULL;
    size_t size = 0;
    char *text = NULL;
    size_t text_size = 0;
    int rc = 0;
    for (;;) {
        fprintf(d->out, "投诉内容 Complaint (end with an empty line)%s%s%s:\n", def ? " [" : "",
                def ? def : "", def ? "]" : "");
        fflush(d->out);
        FILE *joined = open_memstream(&text, &text_size);
        if (!joined) {
            rc = PL_EXIT_FAILED;
            break;
        }
        size_t lines = 0;
        while ((rc = s_read_line(d, &line, &size)) == 0 && line[0] != '\0') {
            fprintf(joined, "%s%s", lines++ ? "\n" : "", line);
        }
        fclose(joined);
        if (rc != 0) {
            break;
        }
        if (lines == 0 && def) {
            free(text);
            text = strdup(def);
            rc = text ? 0 : PL_EXIT_FAILED;
            break;
        }
        if (lines == 0 || text[strspn(text, " \t\n")] == '\0') {
            fprintf(d->out, "  the complaint is required; again, please\n");
        } else if (!s_is_utf8(text)) {
            fprintf(d->out, "  not valid UTF-8 (is the terminal set to UTF-8?); again, please\n");
        } else {
            break;
        }
        free(text);
        text = NULL;
    }
    free(line);
    if (rc != 0) {
        free(text);
        text = NULL;
    }
    *content_p = text;
    return rc;
}

static void s_answers_free(s_answers_t *a)
{
    char **all[] = {&a->name, &a->phone, &a->address,  &a->content,  &a->channel,  &a->kind,
                    &a->region, &a->spec, &a->order_no, &a->quantity, &a->ship_date};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

/* Asks every field in the register's order; 0, S_EOF or PL_EXIT_FAILED. */
static int s_ask_all(const s_dialogue_t *d, const pl_submit_args_t *given, s_answers_t *a)
{
    char quantity[32];
    if (given->quantity >= 0) {
        snprintf(quantity, sizeof quantity, "%ld", given->quantity);
    }
    int rc = s_ask(d, "投诉人 Name", given->name, S_ANY, &a->name);
    rc = rc ? rc : s_ask(d, "电话 Phone", given->phone, S_ANY, &a->phone);
    rc = rc ? rc : s_ask(d, "地址 Address", given->address, S_ANY, &a->address);
    rc = rc ? rc : s_ask_content(d, given->content, &a->content);
    rc = rc ? rc : s_ask(d, "渠道 Channel", given->channel ? given->channel : "phone",
                         S_ANY, &a->channel);
    rc = rc ? rc : s_ask(d, "信息类别 Kind", given->kind ? given->kind : "complaint",
                         S_ANY, &a->kind);
    rc = rc ? rc : s_ask(d, "区域 Region", given->region, S_ANY, &a->region);
    rc = rc ? rc : s_ask(d, "产品规格 Product spec", given->spec, S_ANY, &a->spec);
    rc = rc ? rc : s_ask(d, "订单号 Order number", given->order_no, S_ANY, &a->order_no);
    rc = rc ? rc : s_ask(d, "订货数量 Quantity", given->quantity >= 0 ? quantity : NULL,
                         S_QUANTITY, &a->quantity);
    rc = rc ? rc : s_ask(d, "发货日期 Ship date (YYYY-MM-DD)", given->ship_date, S_DATE,
                         &a->ship_date);
    return rc;
}

/* The record as it will be registered, to be read back to the customer. */
static void s_read_back(FILE *out, const s_answers_t *a)
{
    static const char *const labels[] = {
        "投诉人", "电话", "地址", "投诉内容", "渠道", "信息类别", "区域",
        "产品规格", "订单号", "订货数量", "发货日期",
    };
    const char *values[] = {a->name,   a->phone, a->address,  a->content,  a->channel, a->kind,
                            a->region, a->spec,  a->order_no, a->quantity, a->ship_date};
    fputs("\n请向客户复述以下内容 / Read this back to the customer:\n", out);
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        /* The product lines only when there is something to say. */
        if (i >= 7 && !values[i]) {
            continue;
        }
        fputs("  ", out);
        pl_client_fprint_padded(out, labels[i], 10);
        pl_client_fprint_text(out, values[i] ? values[i] : "-", 12);
        putc('\n', out);
    }
}

int pl_client_interactive_event(FILE *in, FILE *out, const pl_submit_args_t *given,
                                json_t **event_p)
{
    s_answers_t a = {0};
    s_dialogue_t d = {.in = in, .out = out, .echo = !isatty(fileno(in))};
    int status = PL_EXIT_FAILED;
    int rc = s_ask_all(&d, given, &a);
    if (rc == S_EOF) {
        fputs("\nplaint: the input ended; not submitted\n", out);
        goto cleanup;
    }
    if (rc != 0) {
        fputs("plaint: out of memory\n", out);
        goto cleanup;
    }
    s_read_back(out, &a);
    fputs("Customer confirms? [y/N] ", out);
    fflush(out);
    char *line = NULL;
    size_t size = 0;
    rc = s_read_line(&d, &line, &size);
    bool yes = rc == 0 && (strcasecmp(s_trim(line), "y") == 0 ||
                           strcasecmp(s_trim(line), "yes") == 0);
    free(line);
    if (!yes) {
        fputs(rc == 0 ? "plaint: not submitted\n" : "\nplaint: not submitted\n", out);
        goto cleanup;
    }
    /* The answers become field options, so the event is built as for submit --content. */
    pl_submit_args_t fields = *given;
    fields.has_fields = true;
    fields.file = NULL;
    fields.name = a.name;
    fields.phone = a.phone;
    fields.address = a.address;
    fields.content = a.content;
    fields.channel = a.channel;
    fields.kind = a.kind;
    fields.region = a.region;
    fields.spec = a.spec;
    fields.order_no = a.order_no;
    fields.quantity = a.quantity ? strtol(a.quantity, NULL, 10) : -1;
    fields.ship_date = a.ship_date;
    status = pl_client_event_from_args(&fields, "submit", true, event_p);
cleanup:
    s_answers_free(&a);
    return status;
}
