#include "client/client.h"

#include "common/pl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: plaint submit --file F | plaint submit < F | plaint submit --content TEXT [...]\n"
    "Try 'plaint submit --help'.\n";

/* Reads one JSON object from `path` ("-" = stdin); prints why not and returns NULL. */
static json_t *s_load_event(const char *path)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    json_error_t jerr;
    json_t *event = is_stdin ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                             : json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!event) {
        if (jerr.line > 0) {
            fprintf(stderr, "plaint: %s:%d:%d: %s\n", name, jerr.line, jerr.column, jerr.text);
        } else {
            /* jansson's own text already names the file ("unable to open F: ..."). */
            fprintf(stderr, "plaint: %s\n", jerr.text);
        }
        return NULL;
    }
    if (!json_is_object(event)) {
        fprintf(stderr, "plaint: %s: the event must be a JSON object\n", name);
        json_decref(event);
        return NULL;
    }
    return event;
}

/* s_set and s_build_event fail with S_ENOMEM, or S_EPRINTED once they told the user why. */
#define S_ENOMEM -1
#define S_EPRINTED -2

/*
 * Sets `key` to the string `value` when it was given. Option values come from
 * the terminal, which may not speak UTF-8 (GBK is common): say so.
 */
static int s_set(json_t *obj, const char *key, const char *value)
{
    if (!value) {
        return 0;
    }
    json_t *string = json_string(value);
    if (!string) {
        fprintf(stderr, "plaint: submit: the value for %s is not valid UTF-8; "
                        "set the terminal's encoding to UTF-8\n", key);
        return S_EPRINTED;
    }
    return json_object_set_new(obj, key, string) == 0 ? 0 : S_ENOMEM;
}

/* Sets `key` to `child` unless it is empty; takes ownership of `child` in every case. */
static int s_set_part(json_t *obj, const char *key, json_t *child)
{
    if (json_object_size(child) == 0) {
        json_decref(child);
        return 0;
    }
    return json_object_set_new(obj, key, child) == 0 ? 0 : S_ENOMEM;
}

/* Builds the event from field options with `event_id`. Returns NULL after printing why. */
static json_t *s_build_event(const pl_submit_args_t *args, const char *event_id)
{
    json_t *event = json_object();
    json_t *customer = json_object();
    json_t *product = json_object();
    /* Each step runs only while all before it succeeded. */
    int rc = event && customer && product ? 0 : S_ENOMEM;
    rc = rc ? rc : s_set(customer, "name", args->name);
    rc = rc ? rc : s_set(customer, "phone", args->phone);
    rc = rc ? rc : s_set(customer, "address", args->address);
    rc = rc ? rc : s_set(product, "spec", args->spec);
    rc = rc ? rc : s_set(product, "order_no", args->order_no);
    if (rc == 0 && args->quantity >= 0 &&
        json_object_set_new(product, "quantity", json_integer(args->quantity)) != 0) {
        rc = S_ENOMEM;
    }
    rc = rc ? rc : s_set(product, "ship_date", args->ship_date);
    rc = rc ? rc : s_set(event, "event_id", event_id);
    rc = rc ? rc : s_set(event, "source", args->source ? args->source : "plaint");
    rc = rc ? rc : s_set(event, "kind", args->kind);
    rc = rc ? rc : s_set(event, "channel", args->channel ? args->channel : "phone");
    rc = rc ? rc : s_set(event, "received_at", args->received_at);
    if (rc == 0) {
        rc = s_set_part(event, "customer", customer);
        customer = NULL;
    }
    rc = rc ? rc : s_set(event, "content", args->content);
    if (rc == 0) {
        rc = s_set_part(event, "product", product);
        product = NULL;
    }
    rc = rc ? rc : s_set(event, "region", args->region);
    json_decref(customer);
    json_decref(product);
    if (rc != 0) {
        if (rc == S_ENOMEM) {
            fprintf(stderr, "plaint: out of memory\n");
        }
        json_decref(event);
        return NULL;
    }
    return event;
}

/* Works out where the event comes from and loads or builds it; returns a PL_EXIT_* status. */
static int s_get_event(const pl_submit_args_t *args, json_t **event_p)
{
    if (args->file || (!args->has_fields && !isatty(STDIN_FILENO))) {
        *event_p = s_load_event(args->file ? args->file : "-");
        return *event_p ? PL_EXIT_OK : PL_EXIT_FAILED;
    }
    if (!args->has_fields) {
        fprintf(stderr, "plaint: submit: nothing to submit; give --file F, pipe an event to "
                        "stdin, or describe it with --content and other field options\n%s",
                s_usage);
        return PL_EXIT_USAGE;
    }
    if (!args->content) {
        fprintf(stderr, "plaint: submit: --content is required (what the customer says)\n%s",
                s_usage);
        return PL_EXIT_USAGE;
    }
    char generated[64];
    const char *event_id = args->event_id;
    if (!event_id) {
        char hex[13];
        snprintf(generated, sizeof generated, "cli-%lld-%s", (long long)(pl_now() / 1000),
                 pl_client_random_hex(hex, sizeof hex));
        event_id = generated;
    }
    *event_p = s_build_event(args, event_id);
    return *event_p ? PL_EXIT_OK : PL_EXIT_USAGE;
}

int pl_cmd_submit(const pl_client_opts_t *opts, const pl_submit_args_t *args)
{
    json_t *event = NULL;
    int status = s_get_event(args, &event);
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
