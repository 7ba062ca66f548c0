/*
 * plaint submit: registers one event; with -i, one asked for on the terminal
 * and read back to the customer first, and then confirms the case (R9).
 */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * After `submit -i`: the customer has confirmed the record, so confirm the
 * case (docs/lifecycle.md). A duplicate event's case may be confirmed
 * already; that refusal is no failure.
 */
static int s_confirm(const pl_client_opts_t *opts, const pl_submit_args_t *args,
                     const char *case_no, bool duplicate)
{
    pl_case_op_args_t op = {.op = "confirm", .case_no = case_no, .by = args->by};
    json_t *request = json_pack("{s:s, s:s}", "op", "confirm", "case_no", case_no);
    if (!request || (args->by && json_object_set_new(request, "by", json_string(args->by)) != 0)) {
        json_decref(request);
        fprintf(stderr, "plaint: %s registered, but not confirmed: out of memory "
                        "(run 'plaint confirm %s')\n", case_no, case_no);
        return PL_EXIT_FAILED;
    }
    json_t *reply = NULL;
    char *text = NULL;
    int status = pl_client_exchange(opts, request, &reply, &text);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        fprintf(stderr, "plaint: %s registered, but not confirmed; run 'plaint confirm %s'\n",
                case_no, case_no);
        return status;
    }
    const char *code = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    if (opts->json) {
        printf("%s\n", text);
    }
    if (json_is_true(json_object_get(reply, "ok"))) {
        if (!opts->json) {
            pl_client_print_outcome(stdout, &op, reply);
        }
    } else if (duplicate && code && strcmp(code, "invalid_state") == 0) {
        status = PL_EXIT_OK; /* confirmed when it was first submitted */
    } else {
        status = pl_client_print_refusal(reply, case_no);
        fprintf(stderr, "plaint: %s registered, but not confirmed\n", case_no);
    }
    json_decref(reply);
    free(text);
    return status;
}

int pl_cmd_submit(const pl_client_opts_t *opts, const pl_submit_args_t *args)
{
    json_t *event = NULL;
    int status = args->interactive ? pl_client_interactive_event(stdin, stderr, args, &event)
                                   : pl_client_event_from_args(args, "submit", true, &event);
    if (status != PL_EXIT_OK) {
        return status;
    }
    /* Keep a reference: the event id is needed after the request is gone. */
    json_t *request = json_pack("{s:s, s:O}", "op", "submit", "event", event);
    if (!request) {
        json_decref(event);
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    json_t *reply = NULL;
    char *text = NULL;
    status = pl_client_call(opts, request, &reply, &text);
    json_decref(request);
    const char *event_id = json_string_value(json_object_get(event, "event_id"));
    if (status == PL_EXIT_TIMEOUT && event_id && args->file) {
        fprintf(stderr, "plaint: event %s may or may not be registered; sending it again "
                        "is safe\n", event_id);
    } else if (status == PL_EXIT_TIMEOUT && event_id) {
        fprintf(stderr, "plaint: event %s may or may not be registered; to send it again "
                        "safely, repeat the command with --event-id %s\n", event_id, event_id);
    }
    json_decref(event);
    if (status != PL_EXIT_OK) {
        return status;
    }
    const char *case_no = json_string_value(json_object_get(reply, "case_no"));
    bool duplicate = json_is_true(json_object_get(reply, "duplicate"));
    if (opts->json) {
        printf("%s\n", text);
    } else if (duplicate) {
        printf("already registered as %s (duplicate event)\n", case_no ? case_no : "?");
    } else {
        printf("registered %s\n", case_no ? case_no : "?");
    }
    if (args->interactive && case_no) {
        fflush(stdout);
        status = s_confirm(opts, args, case_no, duplicate);
    }
    json_decref(reply);
    free(text);
    return status;
}
