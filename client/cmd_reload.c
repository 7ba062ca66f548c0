#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>

/* Prints one entry of a refused reload's "errors" as file:line:column: message. */
static void s_print_config_error(const json_t *e)
{
    const char *text = json_string_value(json_object_get(e, "text"));
    if (text) {
        fprintf(stderr, "%s\n", text);
        return;
    }
    const char *file = json_string_value(json_object_get(e, "file"));
    const char *message = json_string_value(json_object_get(e, "message"));
    fprintf(stderr, "%s:%lld:%lld: %s\n", file ? file : "?",
            (long long)json_integer_value(json_object_get(e, "line")),
            (long long)json_integer_value(json_object_get(e, "column")),
            message ? message : "invalid");
}

int pl_cmd_reload(const pl_client_opts_t *opts)
{
    json_t *request = json_pack("{s:s}", "op", "reload");
    json_t *reply = NULL;
    char *text = NULL;
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    int status = pl_client_exchange(opts, request, &reply, &text);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    if (opts->json) {
        printf("%s\n", text);
    }
    if (json_is_true(json_object_get(reply, "ok"))) {
        if (!opts->json) {
            fputs("reloaded: rules version ", stdout);
            pl_client_print_rules_version(
                json_string_value(json_object_get(reply, "rules_version")));
            putchar('\n');
        }
    } else {
        /* The configuration's errors first, then the daemon's summary. */
        const json_t *errors = json_object_get(reply, "errors");
        size_t i;
        const json_t *e;
        json_array_foreach(errors, i, e) {
            s_print_config_error(e);
        }
        status = pl_client_print_refusal(reply, NULL);
    }
    json_decref(reply);
    free(text);
    return status;
}
