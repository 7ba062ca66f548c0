/*
 * The event of a `plaint submit` or `plaint explain` command line: from a
 * file, stdin, or built from field options (client.h).
 */
#include "client/client.h"

#include "common/pl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Prints the short usage of `verb` (submit or explain) on stderr. */
static void s_usage(const char *verb)
{
    fprintf(stderr,
            "usage: plaint %s --file F | plaint %s < F | plaint %s --content TEXT [...]\n"
            "Try 'plaint %s --help'.\n",
            verb, verb, verb, verb);
}

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
static int s_set(json_t *obj, const char *key, const char *value, const char *verb)
{
    if (!value) {
        return 0;
    }
    json_t *string = json_string(value);
    if (!string) {
        fprintf(stderr, "plaint: %s: the value for %s is not valid UTF-8; "
                        "set the terminal's encoding to UTF-8\n", verb, key);
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

/*
 * Builds the event from field options, with `event_id` unless it is NULL.
 * Returns NULL after printing why.
 */
static json_t *s_build_event(const pl_submit_args_t *args, const char *event_id, const char *verb)
{
    json_t *event = json_object();
    json_t *customer = json_object();
    json_t *product = json_object();
    /* Each step runs only while all before it succeeded. */
    int rc = event && customer && product ? 0 : S_ENOMEM;
    rc = rc ? rc : s_set(customer, "name", args->name, verb);
    rc = rc ? rc : s_set(customer, "phone", args->phone, verb);
    rc = rc ? rc : s_set(customer, "address", args->address, verb);
    rc = rc ? rc : s_set(product, "spec", args->spec, verb);
    rc = rc ? rc : s_set(product, "order_no", args->order_no, verb);
    if (rc == 0 && args->quantity >= 0 &&
        json_object_set_new(product, "quantity", json_integer(args->quantity)) != 0) {
        rc = S_ENOMEM;
    }
    rc = rc ? rc : s_set(product, "ship_date", args->ship_date, verb);
    rc = rc ? rc : s_set(event, "event_id", event_id, verb);
    rc = rc ? rc : s_set(event, "source", args->source ? args->source : "plaint", verb);
    rc = rc ? rc : s_set(event, "kind", args->kind, verb);
    rc = rc ? rc : s_set(event, "channel", args->channel ? args->channel : "phone", verb);
    rc = rc ? rc : s_set(event, "received_at", args->received_at, verb);
    if (rc == 0) {
        rc = s_set_part(event, "customer", customer);
        customer = NULL;
    }
    rc = rc ? rc : s_set(event, "content", args->content, verb);
    if (rc == 0) {
        rc = s_set_part(event, "product", product);
        product = NULL;
    }
    rc = rc ? rc : s_set(event, "region", args->region, verb);
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

int pl_client_event_from_args(const pl_submit_args_t *args, const char *verb, bool make_event_id,
                              json_t **event_p)
{
    if (args->file || (!args->has_fields && !isatty(STDIN_FILENO))) {
        *event_p = s_load_event(args->file ? args->file : "-");
        return *event_p ? PL_EXIT_OK : PL_EXIT_FAILED;
    }
    if (!args->has_fields) {
        fprintf(stderr,
                "plaint: %s: nothing to %s; give --file F, pipe an event to stdin, or "
                "describe it with --content and other field options\n",
                verb, verb);
        s_usage(verb);
        return PL_EXIT_USAGE;
    }
    if (!args->content) {
        fprintf(stderr, "plaint: %s: --content is required (what the customer says)\n", verb);
        s_usage(verb);
        return PL_EXIT_USAGE;
    }
    char generated[64];
    const char *event_id = args->event_id;
    if (!event_id && make_event_id) {
        char hex[13];
        snprintf(generated, sizeof generated, "cli-%lld-%s", (long long)(pl_now() / 1000),
                 pl_client_random_hex(hex, sizeof hex));
        event_id = generated;
    }
    *event_p = s_build_event(args, event_id, verb);
    return *event_p ? PL_EXIT_OK : PL_EXIT_USAGE;
}
