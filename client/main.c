/*
 * plaint: the command-line client of plaintd. This file only parses the
 * command line and dispatches to one pl_cmd_* function (client.h).
 * Global options may appear anywhere; command options only after the command.
 */
#include "client/client.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PL_VERSION
#define PL_VERSION "0.0.0"
#endif

typedef enum {
    S_VERB_NONE = 0,
    S_VERB_PING = 1 << 0,
    S_VERB_SUBMIT = 1 << 1,
    S_VERB_SHOW = 1 << 2,
    S_VERB_BENCH = 1 << 3,
    S_VERB_EXPLAIN = 1 << 4,
    S_VERB_RELOAD = 1 << 5,
    S_VERB_ANY = 0xff,  /* a global option: before or after any command */
} s_verb_t;

typedef enum { S_FLAG, S_STRING, S_LONG } s_kind_t;

/* Verbs that take an event: from --file, stdin or the field options. */
#define S_VERB_EVENT (S_VERB_SUBMIT | S_VERB_EXPLAIN)

/* Everything the command line can say; options store into it by offset. */
typedef struct s_cmdline {
    s_verb_t verb;
    const char *verb_name;
    pl_client_opts_t opts;
    long timeout_ms;
    bool help;
    bool version;
    pl_submit_args_t submit;  /* submit and explain */
    pl_bench_args_t bench;
    const char *positional[2];
    size_t positional_count;
} s_cmdline_t;

typedef struct s_option {
    const char *name;   /* long name, without the leading "--" */
    char short_name;    /* 0 = none */
    unsigned verbs;     /* where the option is accepted */
    s_kind_t kind;
    size_t offset;      /* of the destination in s_cmdline_t */
    long min;           /* S_LONG only */
    long max;
} s_option_t;

#define S_AT(member) offsetof(s_cmdline_t, member)

static const s_option_t s_options[] = {
    {"endpoint", 0, S_VERB_ANY, S_STRING, S_AT(opts.endpoint), 0, 0},
    {"timeout", 0, S_VERB_ANY, S_LONG, S_AT(timeout_ms), 1, 86400000},
    {"json", 0, S_VERB_ANY, S_FLAG, S_AT(opts.json), 0, 0},
    {"help", 'h', S_VERB_ANY, S_FLAG, S_AT(help), 0, 0},
    {"version", 0, S_VERB_ANY, S_FLAG, S_AT(version), 0, 0},

    {"file", 0, S_VERB_EVENT, S_STRING, S_AT(submit.file), 0, 0},
    {"event-id", 0, S_VERB_EVENT, S_STRING, S_AT(submit.event_id), 0, 0},
    {"source", 0, S_VERB_EVENT, S_STRING, S_AT(submit.source), 0, 0},
    {"kind", 0, S_VERB_EVENT, S_STRING, S_AT(submit.kind), 0, 0},
    {"channel", 0, S_VERB_EVENT, S_STRING, S_AT(submit.channel), 0, 0},
    {"received-at", 0, S_VERB_EVENT, S_STRING, S_AT(submit.received_at), 0, 0},
    {"name", 0, S_VERB_EVENT, S_STRING, S_AT(submit.name), 0, 0},
    {"phone", 0, S_VERB_EVENT, S_STRING, S_AT(submit.phone), 0, 0},
    {"address", 0, S_VERB_EVENT, S_STRING, S_AT(submit.address), 0, 0},
    {"content", 0, S_VERB_EVENT, S_STRING, S_AT(submit.content), 0, 0},
    {"spec", 0, S_VERB_EVENT, S_STRING, S_AT(submit.spec), 0, 0},
    {"order-no", 0, S_VERB_EVENT, S_STRING, S_AT(submit.order_no), 0, 0},
    {"quantity", 0, S_VERB_EVENT, S_LONG, S_AT(submit.quantity), 0, 1000000000},
    {"ship-date", 0, S_VERB_EVENT, S_STRING, S_AT(submit.ship_date), 0, 0},
    {"region", 0, S_VERB_EVENT, S_STRING, S_AT(submit.region), 0, 0},

    {"events", 0, S_VERB_BENCH, S_LONG, S_AT(bench.events), 1, 10000000},
    {"concurrency", 0, S_VERB_BENCH, S_LONG, S_AT(bench.concurrency), 1, 1000},
    {"window", 0, S_VERB_BENCH, S_LONG, S_AT(bench.window), 1, 100000},
    {"source", 0, S_VERB_BENCH, S_STRING, S_AT(bench.source), 0, 0},
    {"content", 0, S_VERB_BENCH, S_STRING, S_AT(bench.content), 0, 0},
};

static const struct {
    const char *name;
    s_verb_t verb;
} s_verbs[] = {
    {"ping", S_VERB_PING},
    {"submit", S_VERB_SUBMIT},
    {"show", S_VERB_SHOW},
    {"bench", S_VERB_BENCH},
    {"explain", S_VERB_EXPLAIN},
    {"reload", S_VERB_RELOAD},
};

static const char s_usage[] =
    "usage: plaint [--endpoint E] [--timeout MS] [--json] COMMAND [ARGS]\n"
    "       plaint ping | submit [EVENT OPTIONS] | show CASE_NO | explain [EVENT OPTIONS]\n"
    "              | reload | bench [BENCH OPTIONS]\n"
    "Try 'plaint --help' or 'plaint COMMAND --help'.\n";

static const char s_help_global[] =
    "plaint: the command-line client of plaintd, the Plaint complaint daemon.\n"
    "\n"
    "usage: plaint [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  ping              check that plaintd answers\n"
    "  submit            register a complaint event (from a file, stdin or options)\n"
    "  show CASE_NO      print a case\n"
    "  explain           show how the rules would classify and route an event,\n"
    "                    without storing it (same input as submit)\n"
    "  reload            make plaintd reload its configuration and rules\n"
    "  bench             publish synthetic events and measure acknowledgement latency\n"
    "\n"
    "global options (before or after the command):\n"
    "  --endpoint E      plaintd ingest endpoint (default: $PLAINT_ENDPOINT,\n"
    "                    else " PL_CLIENT_DEFAULT_ENDPOINT ")\n"
    "  --timeout MS      how long to wait for an answer (default 5000)\n"
    "  --json            print replies as JSON, for scripts\n"
    "  -h, --help        this help; 'plaint COMMAND --help' for a command\n"
    "  --version         print the version\n"
    "\n"
    "exit status: 0 done, 1 refused or failed, 2 usage error, 3 no answer in time.\n"
    "The protocol is described in docs/protocol.md.\n";

static const char s_help_ping[] =
    "usage: plaint ping [--json]\n"
    "\n"
    "Asks plaintd for its version, uptime, database state and rules version (the\n"
    "first 12 hex digits of the SHA-256 of its configuration). Exits 0 when the\n"
    "daemon answers, even if its database is down; 3 when it does not answer.\n";

static const char s_help_submit[] =
    "usage: plaint submit --file F        (F '-' = stdin)\n"
    "       plaint submit < event.json    (stdin not a terminal, no field options)\n"
    "       plaint submit --content TEXT [FIELD OPTIONS]\n"
    "\n"
    "Registers one complaint event (format: docs/events.md). The file or stdin\n"
    "holds one JSON event object. Field options build the event instead:\n"
    "  --content TEXT    what the customer says (required)\n"
    "  --name N  --phone P  --address A           the customer\n"
    "  --channel C       phone (default), fax, email, visit, oral, web, system\n"
    "  --kind K          e.g. complaint, feedback, repair (default: decided by the\n"
    "                    daemon's kind rules, else complaint)\n"
    "  --region R\n"
    "  --spec S  --order-no O  --quantity Q  --ship-date D   the product\n"
    "  --received-at T   RFC 3339 time of receipt (default: now, by the daemon)\n"
    "  --source S        default \"plaint\"\n"
    "  --event-id ID     default: generated, cli-<unix-ms>-<random hex>\n"
    "\n"
    "Prints the case number. Submitting the same (source, event-id) again is\n"
    "safe: it names the same case and says it was a duplicate. With --json the\n"
    "daemon's reply is printed as it came.\n";

static const char s_help_show[] =
    "usage: plaint show CASE_NO [--json]\n"
    "\n"
    "Prints the case as a register entry: the event, what the rules decided\n"
    "(category, severity, tags, department, assignee, who is informed, the rules\n"
    "version), the matched rules with why each matched, and the history. With\n"
    "--json, the case object on one line.\n";

static const char s_help_explain[] =
    "usage: plaint explain --file F       (F '-' = stdin)\n"
    "       plaint explain < event.json   (stdin not a terminal, no field options)\n"
    "       plaint explain --content TEXT [FIELD OPTIONS]\n"
    "\n"
    "Asks plaintd how its running rules would classify and route one event,\n"
    "without storing anything. The event is given as for 'plaint submit' (see\n"
    "'plaint submit --help' for the field options); its event_id may be left out.\n"
    "\n"
    "Prints the kind (stated in the event, or decided by a kind rule), category,\n"
    "severity, tags, department, assignee or the pool it is chosen from (role,\n"
    "region, strategy, candidates), who is informed, the rules version, and\n"
    "under 'why:' one line per matched rule: section/rule: why it matched.\n"
    "With --json, the daemon's \"explain\" object on one line.\n"
    "\n"
    "To try a draft configuration before installing it, without a daemon:\n"
    "  plaintd --explain --config DRAFT.yaml --file event.json\n";

static const char s_help_reload[] =
    "usage: plaint reload [--json]\n"
    "\n"
    "Makes plaintd read its configuration file again (as SIGHUP does) and prints\n"
    "the new rules version. If the file has errors, they are printed on stderr as\n"
    "file:line:column: message, the daemon keeps its running rules, and the exit\n"
    "status is 1. With --json, the daemon's reply is printed as it came.\n";

static const char s_help_bench[] =
    "usage: plaint bench [--events N] [--concurrency C] [--window W]\n"
    "                    [--source S] [--content TEXT] [--json]\n"
    "\n"
    "Publishes N unique synthetic events (default 1000) over C connections\n"
    "(default 1), each keeping up to W requests in flight (default 1), and\n"
    "reports throughput and acknowledgement latency. Events have ids\n"
    "bench-<run id>-<n> and source S (default \"bench\"). The run gives up after\n"
    "--timeout ms without any reply; unanswered events count as errors.\n"
    "Exits 1 when any event failed.\n";

static int s_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int s_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("plaint: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(s_usage, stderr);
    return PL_EXIT_USAGE;
}

static const s_option_t *s_find_option(const char *name, size_t name_size, char short_name,
                                       s_verb_t verb)
{
    for (size_t i = 0; i < sizeof s_options / sizeof s_options[0]; i++) {
        const s_option_t *o = &s_options[i];
        bool same = short_name ? o->short_name == short_name
                               : strlen(o->name) == name_size &&
                                     memcmp(o->name, name, name_size) == 0;
        if (same && (o->verbs == S_VERB_ANY || (o->verbs & (unsigned)verb))) {
            return o;
        }
    }
    return NULL;
}

/* `arg` is the option as written, without any "=value". */
static int s_store(s_cmdline_t *cl, const s_option_t *o, const char *arg, const char *value)
{
    char *dest = (char *)cl + o->offset;
    if (o->kind == S_FLAG) {
        if (value) {
            return s_usage_error("option %s takes no value", arg);
        }
        *(bool *)dest = true;
        return 0;
    }
    if (!value) {
        return s_usage_error("option %s needs a value", arg);
    }
    if (o->kind == S_STRING) {
        *(const char **)dest = value;
        return 0;
    }
    char *end = NULL;
    long n = strtol(value, &end, 10);
    if (end == value || *end != '\0' || n < o->min || n > o->max) {
        return s_usage_error("option %s needs a whole number from %ld to %ld, not '%s'", arg,
                             o->min, o->max, value);
    }
    *(long *)dest = n;
    return 0;
}

/* Parses one option at argv[*i], consuming its value from argv[*i + 1] if needed. */
static int s_parse_option(s_cmdline_t *cl, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *value = NULL;
    const s_option_t *o;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_size = eq ? (size_t)(eq - name) : strlen(name);
        value = eq ? eq + 1 : NULL;
        o = s_find_option(name, name_size, 0, cl->verb);
    } else {
        o = arg[2] == '\0' ? s_find_option(NULL, 0, arg[1], cl->verb) : NULL;
    }
    if (!o) {
        if (cl->verb == S_VERB_NONE && arg[1] == '-' &&
            s_find_option(arg + 2, strcspn(arg + 2, "="), 0, S_VERB_ANY)) {
            return s_usage_error("option %s goes after its command", arg);
        }
        if (cl->verb == S_VERB_NONE) {
            return s_usage_error("unknown option %s", arg);
        }
        return s_usage_error("unknown option %s for '%s'", arg, cl->verb_name);
    }
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)strcspn(arg, "="), arg);
    if (o->kind != S_FLAG && !value) {
        if (*i + 1 >= argc) {
            return s_usage_error("option %s needs a value", shown);
        }
        value = argv[++*i];
    }
    return s_store(cl, o, shown, value);
}

static int s_parse_word(s_cmdline_t *cl, const char *word)
{
    if (cl->verb == S_VERB_NONE) {
        for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++) {
            if (strcmp(word, s_verbs[i].name) == 0) {
                cl->verb = s_verbs[i].verb;
                cl->verb_name = s_verbs[i].name;
                return 0;
            }
        }
        return s_usage_error("unknown command '%s'", word);
    }
    if (cl->positional_count == sizeof cl->positional / sizeof cl->positional[0]) {
        return s_usage_error("unexpected argument '%s'", word);
    }
    cl->positional[cl->positional_count++] = word;
    return 0;
}

static int s_parse(s_cmdline_t *cl, int argc, char **argv)
{
    bool words_only = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int rc;
        if (!words_only && strcmp(arg, "--") == 0) {
            words_only = true;
            continue;
        }
        if (!words_only && arg[0] == '-' && arg[1] != '\0') {
            rc = s_parse_option(cl, argc, argv, &i);
        } else {
            rc = s_parse_word(cl, arg);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static bool s_has_event_fields(const pl_submit_args_t *s)
{
    const char *fields[] = {s->event_id, s->source,  s->kind,  s->channel, s->received_at,
                            s->name,     s->phone,   s->address, s->content, s->spec,
                            s->order_no, s->ship_date, s->region};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i]) {
            return true;
        }
    }
    return s->quantity >= 0;
}

/* Checks what each command needs beyond the options table. */
static int s_check(const s_cmdline_t *cl)
{
    size_t wanted = cl->verb == S_VERB_SHOW ? 1 : 0;
    if (cl->positional_count > wanted) {
        return s_usage_error("unexpected argument '%s'", cl->positional[wanted]);
    }
    if (cl->positional_count < wanted) {
        return s_usage_error("%s needs a case number, e.g. 'plaint show TS-2026-000123'",
                             cl->verb_name);
    }
    if ((cl->verb & S_VERB_EVENT) && cl->submit.file && cl->submit.has_fields) {
        return s_usage_error("%s: --file cannot be combined with field options", cl->verb_name);
    }
    if (cl->opts.endpoint[0] == '\0') {
        return s_usage_error("%s", "--endpoint must not be empty");
    }
    return 0;
}

static void s_print_help(s_verb_t verb)
{
    switch (verb) {
    case S_VERB_PING: fputs(s_help_ping, stdout); break;
    case S_VERB_SUBMIT: fputs(s_help_submit, stdout); break;
    case S_VERB_SHOW: fputs(s_help_show, stdout); break;
    case S_VERB_BENCH: fputs(s_help_bench, stdout); break;
    case S_VERB_EXPLAIN: fputs(s_help_explain, stdout); break;
    case S_VERB_RELOAD: fputs(s_help_reload, stdout); break;
    default: fputs(s_help_global, stdout); break;
    }
}

int main(int argc, char **argv)
{
    const char *env_endpoint = getenv("PLAINT_ENDPOINT");
    s_cmdline_t cl = {
        .opts.endpoint = env_endpoint && env_endpoint[0] ? env_endpoint
                                                          : PL_CLIENT_DEFAULT_ENDPOINT,
        .timeout_ms = PL_CLIENT_DEFAULT_TIMEOUT_MS,
        .submit.quantity = -1,
        .bench = {.events = 1000, .concurrency = 1, .window = 1, .source = "bench"},
    };
    int rc = s_parse(&cl, argc, argv);
    if (rc != 0) {
        return rc;
    }
    if (cl.help) {
        s_print_help(cl.verb);
        return PL_EXIT_OK;
    }
    if (cl.version) {
        printf("plaint %s\n", PL_VERSION);
        return PL_EXIT_OK;
    }
    if (cl.verb == S_VERB_NONE) {
        return s_usage_error("%s", "no command given");
    }
    cl.opts.timeout_ms = (int)cl.timeout_ms;
    cl.submit.has_fields = s_has_event_fields(&cl.submit);
    rc = s_check(&cl);
    if (rc != 0) {
        return rc;
    }
    switch (cl.verb) {
    case S_VERB_PING: return pl_cmd_ping(&cl.opts);
    case S_VERB_SUBMIT: return pl_cmd_submit(&cl.opts, &cl.submit);
    case S_VERB_SHOW: return pl_cmd_show(&cl.opts, cl.positional[0]);
    case S_VERB_BENCH: return pl_cmd_bench(&cl.opts, &cl.bench);
    case S_VERB_EXPLAIN: return pl_cmd_explain(&cl.opts, &cl.submit);
    case S_VERB_RELOAD: return pl_cmd_reload(&cl.opts);
    default: return PL_EXIT_USAGE;
    }
}
