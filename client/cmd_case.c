/*
 * plaint confirm | assign | note | report | visit | analyse | propose |
 * approve | reject | reply | followup | close | reopen | capa | remark |
 * pause | resume: one step in a case's lifecycle (docs/lifecycle.md), which
 * writes a history entry, may change the status and may meet, re-arm or
 * cancel the case's deadlines (docs/protocol.md, "Case operations").
 */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints an array of names as "a, b, c". */
static void s_print_names(FILE *out, const json_t *names)
{
    size_t i;
    const json_t *name;
    json_array_foreach(names, i, name) {
        fputs(i ? ", " : "", out);
        const char *s = json_string_value(name);
        pl_client_fprint_line(out, s ? s : "?");
    }
}

/* Prints the re-armed deadlines as "name (due 2026-11-28 14:04:38 UTC), ...". */
static void s_print_rearmed(FILE *out, const json_t *rearmed)
{
    size_t i;
    const json_t *d;
    json_array_foreach(rearmed, i, d) {
        fputs(i ? ", " : "", out);
        const char *name = json_string_value(json_object_get(d, "name"));
        char due[64];
        pl_client_fprint_line(out, name ? name : "?");
        fputs(" (due ", out);
        pl_client_fprint_line(
            out, pl_client_format_time(json_string_value(json_object_get(d, "due_at")), due,
                                       sizeof due));
        putc(')', out);
    }
}

/* A string member of `obj`, or NULL. */
static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Prints an approval level's roles, "a or b", or "?" when there are none. */
static void s_print_roles(FILE *out, const json_t *roles)
{
    if (json_array_size(roles) == 0) {
        fputs("?", out);
        return;
    }
    size_t i;
    const json_t *role;
    json_array_foreach(roles, i, role) {
        fputs(i == 0 ? "" : " or ", out);
        const char *s = json_string_value(role);
        pl_client_fprint_line(out, s ? s : "?");
    }
}

/* propose: "proposed; approval: level 1 of 2 (vp_marketing)" or "no approval needed". */
static void s_print_propose(FILE *out, const json_t *reply)
{
    const json_t *approvals = json_object_get(reply, "approvals");
    const json_t *first = json_array_get(approvals, 0);
    if (!first) {
        fputs("proposed; no approval needed (approved)", out);
        return;
    }
    json_int_t level = json_integer_value(json_object_get(first, "level"));
    fprintf(out, "proposed; approval: level %lld of %zu (", (long long)(level ? level : 1),
            json_array_size(approvals));
    s_print_roles(out, json_object_get(first, "roles"));
    putc(')', out);
}

/*
 * approve: "approved (level 1 of 2; next: general_manager)". The number of
 * levels is printed when the reply gives it ("levels"); the protocol draft
 * names only the level approved and the next one.
 */
static void s_print_approve(FILE *out, const json_t *reply)
{
    json_int_t level = json_integer_value(json_object_get(reply, "level"));
    const json_t *levels = json_object_get(reply, "levels");
    const json_t *next = json_object_get(reply, "next");
    fprintf(out, "approved (level %lld", (long long)level);
    if (json_is_integer(levels)) {
        fprintf(out, " of %lld", (long long)json_integer_value(levels));
    }
    if (json_is_object(next)) {
        fputs("; next: ", out);
        if (!json_is_integer(levels)) {
            fprintf(out, "level %lld, ",
                    (long long)json_integer_value(json_object_get(next, "level")));
        }
        s_print_roles(out, json_object_get(next, "roles"));
    } else {
        fputs("; the resolution is approved", out);
    }
    putc(')', out);
}

/* followup: "followup recorded; unsatisfied: escalated to liu_peng (round 3)". */
static void s_print_followup(FILE *out, const json_t *reply)
{
    const char *status = s_str(reply, "status");
    fputs("followup recorded; ", out);
    if (status && strcmp(status, "followup") == 0) {
        fputs("satisfied", out);
        return;
    }
    json_int_t round = json_integer_value(json_object_get(reply, "round"));
    const char *assignee = s_str(reply, "assignee");
    if (json_is_true(json_object_get(reply, "escalated"))) {
        fputs("unsatisfied: escalated to ", out);
        pl_client_fprint_line(out, assignee ? assignee : "?");
    } else {
        fputs("unsatisfied: handled again", out);
    }
    if (round > 0) {
        fprintf(out, " (round %lld)", (long long)round);
    }
}

/* assign: "assigned to li_na (department quality)". */
static void s_print_assign(FILE *out, const json_t *reply)
{
    const char *assignee = s_str(reply, "assignee");
    const char *department = s_str(reply, "department");
    fputs("assigned to ", out);
    if (assignee) {
        pl_client_fprint_line(out, assignee);
        if (department) {
            fputs(" (department ", out);
            pl_client_fprint_line(out, department);
            putc(')', out);
        }
    } else {
        fputs("department ", out);
        pl_client_fprint_line(out, department ? department : "?");
    }
}

/* The op's own part of the outcome line, after "CASE_NO: ". */
static void s_print_what(FILE *out, const pl_case_op_args_t *args, const json_t *reply)
{
    const char *op = args->op;
    const char *status = s_str(reply, "status");
    const json_t *round = json_object_get(reply, "round");
    if (strcmp(op, "confirm") == 0) {
        fputs("confirmed", out);
        if (status && strcmp(status, "confirmed") != 0) {
            fputs(" (status ", out);
            pl_client_fprint_line(out, status);
            putc(')', out);
        }
    } else if (strcmp(op, "assign") == 0) {
        s_print_assign(out, reply);
    } else if (strcmp(op, "analyse") == 0) {
        fputs("analysis recorded", out);
        if (status) {
            fputs(" (", out);
            pl_client_fprint_line(out, status);
            putc(')', out);
        }
    } else if (strcmp(op, "propose") == 0) {
        s_print_propose(out, reply);
    } else if (strcmp(op, "approve") == 0) {
        s_print_approve(out, reply);
    } else if (strcmp(op, "reject") == 0) {
        fputs("rejected (back to ", out);
        pl_client_fprint_line(out, status ? status : "investigating");
        putc(')', out);
    } else if (strcmp(op, "followup") == 0) {
        s_print_followup(out, reply);
    } else if (strcmp(op, "close") == 0) {
        fputs("closed", out);
    } else if (strcmp(op, "reopen") == 0) {
        fputs("reopened", out);
        if (json_is_integer(round)) {
            fprintf(out, " (round %lld)", (long long)json_integer_value(round));
        }
    } else if (strcmp(op, "capa") == 0) {
        /* The reply's capa_no is the action added, or the one verified. */
        const json_t *no = json_object_get(reply, "capa_no");
        long long n = json_is_integer(no) ? (long long)json_integer_value(no) : args->verify;
        if (args->verify > 0) {
            bool effective = args->effective && strcmp(args->effective, "yes") == 0;
            fprintf(out, "capa %lld verified: %s", n, effective ? "effective" : "not effective");
        } else {
            fprintf(out, "capa %lld added", n);
        }
    } else if (strcmp(op, "pause") == 0) {
        /* The daemon names the clocks it stopped, and the due times it moved on resume. */
        const json_t *stopped = json_object_get(reply, "paused_deadlines");
        fputs("paused", out);
        if (json_array_size(stopped) > 0) {
            fputs("; stopped: ", out);
            s_print_names(out, stopped);
        }
    } else if (strcmp(op, "resume") == 0) {
        const json_t *moved = json_object_get(reply, "resumed");
        fputs("resumed", out);
        if (json_array_size(moved) > 0) {
            fputs("; restarted: ", out);
            s_print_rearmed(out, moved);
        }
    } else {
        /* note, report, reply, visit, remark */
        pl_client_fprint_line(out, op);
        fputs(" recorded", out);
    }
}

void pl_client_print_outcome(FILE *out, const pl_case_op_args_t *args, const json_t *reply)
{
    const char *shown = s_str(reply, "case_no");
    pl_client_fprint_line(out, shown ? shown : args->case_no ? args->case_no : "?");
    fputs(": ", out);
    s_print_what(out, args, reply);
    const json_t *met = json_object_get(reply, "met");
    const json_t *rearmed = json_object_get(reply, "rearmed");
    const json_t *cancelled = json_object_get(reply, "cancelled");
    if (json_array_size(met) > 0) {
        fputs("; met: ", out);
        s_print_names(out, met);
    }
    if (json_array_size(rearmed) > 0) {
        fputs("; re-armed: ", out);
        s_print_rearmed(out, rearmed);
    }
    if (json_array_size(cancelled) > 0) {
        fputs("; cancelled: ", out);
        s_print_names(out, cancelled);
    }
    putc('\n', out);
}

/* Sets `key` to `value` when given; false when it is not valid UTF-8 (or no memory). */
static bool s_set(json_t *request, const char *key, const char *value)
{
    if (!value) {
        return true;
    }
    json_t *s = json_string(value);
    return s && json_object_set_new(request, key, s) == 0;
}

/* Sets `key` to true or false for "yes" or "no" when given (main.c allows only those). */
static bool s_set_yes_no(json_t *request, const char *key, const char *value)
{
    return !value ||
           json_object_set_new(request, key, json_boolean(strcmp(value, "yes") == 0)) == 0;
}

/*
 * The request for `args`: the members given, under the protocol's names.
 * Returns NULL after printing why (PL_EXIT_USAGE in *status_p for text that
 * is not UTF-8, PL_EXIT_FAILED for no memory).
 */
static json_t *s_request(const pl_case_op_args_t *args, int *status_p)
{
    json_t *request = json_pack("{s:s}", "op", args->op);
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        *status_p = PL_EXIT_FAILED;
        return NULL;
    }
    const struct {
        const char *key;
        const char *value;
        const char *name;   /* in messages */
    } strings[] = {
        {"case_no", args->case_no, "case number"},
        {"text", args->text, "text"},
        {"finding", args->finding, "--finding"},
        {"responsibility", args->responsibility, "--responsibility"},
        {"to", args->to, "--to"},
        {"cause", args->cause, "--cause"},
        {"result", args->result, "--result"},
        {"reason", args->reason, "--reason"},
        {"method", args->method, "--method"},
        {"opinion", args->opinion, "--opinion"},
        {"at", args->at, "--at"},
        {"kind", args->kind, "--kind"},
        {"action", args->action, "--action"},
        {"owner", args->owner, "--owner"},
        {"due", args->due, "--due"},
        {"by", args->by, "--by name"},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (!s_set(request, strings[i].key, strings[i].value)) {
            /* Option values come from the terminal, which may not speak UTF-8. */
            fprintf(stderr, "plaint: %s: the %s is not valid UTF-8 (is the terminal set to "
                            "UTF-8?)\n", args->op, strings[i].name);
            json_decref(request);
            *status_p = PL_EXIT_USAGE;
            return NULL;
        }
    }
    bool ok = s_set_yes_no(request, "satisfied", args->satisfied) &&
              s_set_yes_no(request, "effective", args->effective) &&
              (args->verify <= 0 ||
               json_object_set_new(request, "verify", json_integer(args->verify)) == 0);
    if (!ok) {
        fprintf(stderr, "plaint: out of memory\n");
        json_decref(request);
        *status_p = PL_EXIT_FAILED;
        return NULL;
    }
    return request;
}

int pl_cmd_case_op(const pl_client_opts_t *opts, const pl_case_op_args_t *args)
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
    if (opts->json) {
        printf("%s\n", text);
    } else {
        pl_client_print_outcome(stdout, args, reply);
    }
    json_decref(reply);
    free(text);
    return PL_EXIT_OK;
}
