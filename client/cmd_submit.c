#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>

int pl_cmd_submit(const pl_client_opts_t *opts, const pl_submit_args_t *args)
{
    json_t *event = NULL;
    int status = pl_client_event_from_args(args, "submit", true, &event);
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
    if (opts->json) {
        printf("%s\n", text);
    } else {
        const char *case_no = json_string_value(json_object_get(reply, "case_no"));
        if (json_is_true(json_object_get(reply, "duplicate"))) {
            printf("already registered as %s (duplicate event)\n", case_no ? case_no : "?");
        } else {
            printf("registered %s\n", case_no ? case_no : "?");
        }
    }
    json_decref(reply);
    free(text);
    return PL_EXIT_OK;
}
