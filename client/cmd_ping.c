#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>

/* Formats an uptime for people: "42 s", "7 min 3 s", "5 h 12 min", "3 d 4 h". */
static void s_format_uptime(double seconds, char *buf, size_t size)
{
    long s = seconds > 0 ? (long)seconds : 0;
    if (s < 120) {
        snprintf(buf, size, "%ld s", s);
    } else if (s < 3600) {
        snprintf(buf, size, "%ld min %ld s", s / 60, s % 60);
    } else if (s < 86400) {
        snprintf(buf, size, "%ld h %ld min", s / 3600, s % 3600 / 60);
    } else {
        snprintf(buf, size, "%ld d %ld h", s / 86400, s % 86400 / 3600);
    }
}

int pl_cmd_ping(const pl_client_opts_t *opts)
{
    json_t *request = json_pack("{s:s}", "op", "ping");
    json_t *reply = NULL;
    char *text = NULL;
    if (!request) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    int status = pl_client_call(opts, request, &reply, &text);
    json_decref(request);
    if (status != PL_EXIT_OK) {
        return status;
    }
    if (opts->json) {
        printf("%s\n", text);
    } else {
        const char *version = json_string_value(json_object_get(reply, "version"));
        const char *database = json_string_value(json_object_get(reply, "database"));
        json_t *queued = json_object_get(reply, "queued");
        char uptime[64];
        s_format_uptime(json_number_value(json_object_get(reply, "uptime_s")), uptime,
                        sizeof uptime);
        printf("plaintd %s at %s: up %s, database %s", version ? version : "(unknown version)",
               opts->endpoint, uptime, database ? database : "unknown");
        if (json_integer_value(queued) > 0) {
            printf(", %lld queued", (long long)json_integer_value(queued));
        }
        /* Daemons before the rules engine only said config_version. */
        const char *rules = json_string_value(json_object_get(reply, "rules_version"));
        if (!rules) {
            rules = json_string_value(json_object_get(reply, "config_version"));
        }
        if (rules) {
            fputs(", rules ", stdout);
            pl_client_print_rules_version(rules);
        }
        putchar('\n');
    }
    json_decref(reply);
    free(text);
    return PL_EXIT_OK;
}
