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
#include <unistd.h>

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
    S_VERB_NOTE = 1 << 6,
    S_VERB_REPORT = 1 << 7,
    S_VERB_REPLY = 1 << 8,
    S_VERB_VISIT = 1 << 9,
    S_VERB_CLOSE = 1 << 10,
    S_VERB_OVERDUE = 1 << 11,
    S_VERB_WATCH = 1 << 12,
    S_VERB_ANY = 0xffff,  /* a global option: before or after any command */
} s_verb_t;

typedef enum { S_FLAG, S_STRING, S_LONG } s_kind_t;

/* Verbs that take an event: from --file, stdin or the field options. */
#define S_VERB_EVENT (S_VERB_SUBMIT | S_VERB_EXPLAIN)
/* Operations on a case (--by), and those of them that take a text. */
#define S_VERB_CASE_OP (S_VERB_NOTE | S_VERB_REPORT | S_VERB_REPLY | S_VERB_VISIT | S_VERB_CLOSE)
#define S_VERB_TEXT (S_VERB_NOTE | S_VERB_REPORT | S_VERB_REPLY | S_VERB_CLOSE)
/* ...and those whose text may also be given as words after the case number. */
#define S_VERB_TEXT_WORDS (S_VERB_NOTE | S_VERB_REPORT | S_VERB_REPLY)

/* Everything the command line can say; options store into it by offset. */
typedef struct s_cmdline {
    s_verb_t verb;
    const char *verb_name;
    pl_client_opts_t opts;
    long timeout_ms;          /* 0 = not given */
    bool help;
    bool version;
    pl_submit_args_t submit;  /* submit and explain */
    pl_bench_args_t bench;
    pl_case_op_args_t case_op;
    pl_watch_args_t watch;
    long limit;               /* overdue; 0 = not given */
    const char **positional;  /* the words after the command; argc slots */
    size_t positional_count;
    char *joined_text;        /* the text words of note, report, reply, joined */
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

    {"by", 0, S_VERB_CASE_OP, S_STRING, S_AT(case_op.by), 0, 0},
    {"text", 0, S_VERB_TEXT, S_STRING, S_AT(case_op.text), 0, 0},
    {"finding", 0, S_VERB_VISIT, S_STRING, S_AT(case_op.finding), 0, 0},
    {"responsibility", 0, S_VERB_VISIT, S_STRING, S_AT(case_op.responsibility), 0, 0},

    {"limit", 0, S_VERB_OVERDUE, S_LONG, S_AT(limit), 1, 10000},

    {"publish", 0, S_VERB_WATCH, S_STRING, S_AT(watch.publish), 0, 0},
    {"count", 0, S_VERB_WATCH, S_LONG, S_AT(watch.count), 1, 1000000000},
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
    {"note", S_VERB_NOTE},
    {"report", S_VERB_REPORT},
    {"reply", S_VERB_REPLY},
    {"visit", S_VERB_VISIT},
    {"close", S_VERB_CLOSE},
    {"overdue", S_VERB_OVERDUE},
    {"watch", S_VERB_WATCH},
};

static const char s_usage[] =
    "usage: plaint [--endpoint E] [--timeout MS] [--json] COMMAND [ARGS]\n"
    "       plaint ping | submit [EVENT OPTIONS] | show CASE_NO | explain [EVENT OPTIONS]\n"
    "              | note CASE_NO TEXT | report CASE_NO TEXT | reply CASE_NO --text TEXT\n"
    "              | visit CASE_NO --finding TEXT --responsibility R | close CASE_NO\n"
    "              | overdue | watch [TOPIC...] | reload | bench [BENCH OPTIONS]\n"
    "Try 'plaint --help' or 'plaint COMMAND --help'.\n";

static const char s_help_global[] =
    "plaint: the command-line client of plaintd, the Plaint complaint daemon.\n"
    "\n"
    "usage: plaint [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  ping                  check that plaintd answers\n"
    "  submit                register a complaint event (from a file, stdin or options)\n"
    "  show CASE_NO          print a case, with its deadlines and history\n"
    "  explain               show how the rules would classify and route an event,\n"
    "                        without storing it (same input as submit)\n"
    "  note CASE_NO TEXT     add a progress note to a case (meets its progress report)\n"
    "  report CASE_NO TEXT   record a report to the general manager about a case\n"
    "  reply CASE_NO         record the reply given to the customer (--text TEXT)\n"
    "  visit CASE_NO         record the site visit (--finding, --responsibility)\n"
    "  close CASE_NO         close a case, cancelling the deadlines it still has\n"
    "  overdue               list the deadlines past due, oldest first\n"
    "  watch [TOPIC...]      print the daemon's case events as they are published\n"
    "  reload                make plaintd reload its configuration and rules\n"
    "  bench                 publish synthetic events, measure acknowledgement latency\n"
    "\n"
    "global options (before or after the command):\n"
    "  --endpoint E      plaintd ingest endpoint (default: $PLAINT_ENDPOINT,\n"
    "                    else " PL_CLIENT_DEFAULT_ENDPOINT ")\n"
    "  --timeout MS      how long to wait for an answer (default 5000; for watch,\n"
    "                    how long to wait for each message, default for ever)\n"
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
    "version), the handling (responsibility found by the visit, result replied\n"
    "to the customer), the deadlines (name, due time in UTC, status with the\n"
    "escalation level reached, \"recurring\" for repeating ones, label), the\n"
    "matched rules with why each matched, and the history. With --json, the case\n"
    "object on one line.\n";

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

/* What every case operation's help ends with. */
#define S_HELP_BY                                                                          \
    "  --by WHO          who did it: the history entry's actor (default:\n"                 \
    "                    $PLAINT_USER, else the login name; without either the\n"             \
    "                    daemon records \"plaint\")\n"                                       \
    "\n"                                                                                   \
    "Prints the case number and what the operation did to the case's deadlines:\n"         \
    "those it met, those re-armed (recurring ones, due again one period later)\n"           \
    "and, for close, those cancelled; with --json, the daemon's reply as it came.\n"         \
    "A closed case takes no more operations: that, an unknown case and a missing\n"         \
    "or invalid field are refused with the daemon's message (exit 1).\n"

static const char s_help_note[] =
    "usage: plaint note CASE_NO TEXT... [--by WHO]\n"
    "       plaint note CASE_NO --text TEXT [--by WHO]\n"
    "\n"
    "Adds a progress note to the case's history: what was done, what was learnt.\n"
    "The words after the case number are joined with spaces (quote the text to\n"
    "keep it as it is). A note meets the deadlines met by \"note\", such as the\n"
    "regional head's progress report every 30 minutes (R18), which it re-arms.\n"
    "  TS-2026-000123: note recorded; re-armed: progress_report (due 2026-11-28 14:34:38 UTC)\n"
    "\n"
    "  --text TEXT       the note, instead of words after the case number\n"
    S_HELP_BY;

static const char s_help_report[] =
    "usage: plaint report CASE_NO TEXT... [--by WHO]\n"
    "       plaint report CASE_NO --text TEXT [--by WHO]\n"
    "\n"
    "Records that the case was reported to the general manager, and what was\n"
    "said. The words after the case number are joined with spaces. A report\n"
    "meets the deadlines met by \"report\", such as the first report within 2\n"
    "hours of receipt (R17), even when it is already breached.\n"
    "  TS-2026-000123: report recorded; met: first_report\n"
    "\n"
    "  --text TEXT       the report, instead of words after the case number\n"
    S_HELP_BY;

static const char s_help_reply[] =
    "usage: plaint reply CASE_NO --text TEXT [--by WHO]\n"
    "       plaint reply CASE_NO TEXT... [--by WHO]\n"
    "\n"
    "Records the reply given to the customer; it becomes the case's handling\n"
    "result (the latest reply wins). A reply meets the deadlines met by\n"
    "\"reply\", such as the 24-hour reply to wrong or missing goods (R17).\n"
    "  TS-2026-000123: reply recorded; met: reply\n"
    "\n"
    "  --text TEXT       what the customer was told (or words after the case number)\n"
    S_HELP_BY;

static const char s_help_visit[] =
    "usage: plaint visit CASE_NO --finding TEXT --responsibility quality|misuse|other\n"
    "                    [--by WHO]\n"
    "\n"
    "Records the visit or on-site consultation with the customer, what it found,\n"
    "and who is responsible: \"quality\" (the product), \"misuse\" (improper use)\n"
    "or \"other\" (R11, R16); that becomes the case's responsibility. A visit\n"
    "meets the deadlines met by \"visit\", such as the site visit within 2\n"
    "working days (R16).\n"
    "  TS-2026-000123: visit recorded; met: site_visit\n"
    "\n"
    "  --finding TEXT    what was found (required)\n"
    "  --responsibility R   quality, misuse or other (required)\n"
    S_HELP_BY;

static const char s_help_close[] =
    "usage: plaint close CASE_NO [--text REMARK] [--by WHO]\n"
    "\n"
    "Closes the case. Deadlines met by \"close\" are met; every other deadline\n"
    "it still has (pending or breached) is cancelled, so nothing more is warned\n"
    "or escalated.\n"
    "  TS-2026-000123: closed; cancelled: site_visit, progress_report\n"
    "\n"
    "  --text REMARK     a closing remark for the history\n"
    S_HELP_BY;

static const char s_help_overdue[] =
    "usage: plaint overdue [--limit N] [--json]\n"
    "\n"
    "Lists the deadlines past due, of every case, oldest first: breached ones\n"
    "(with the escalation level reached) and pending ones whose due time has\n"
    "passed but which the escalation timer has not fired yet. One row each:\n"
    "case, deadline, due (UTC), status, level, department, assignee; or\n"
    "\"nothing overdue\". With --json, the \"overdue\" array on one line, each\n"
    "entry {\"case_no\",\"deadline\",\"label\",\"due_at\",\"status\",\"level\",\n"
    "\"department\",\"assignee\",\"category\"}.\n"
    "\n"
    "  --limit N         at most N rows, 1 to 10000 (default: the daemon's, 100)\n";

static const char s_help_watch[] =
    "usage: plaint watch [TOPIC...] [--publish ENDPOINT] [--count N] [--timeout MS]\n"
    "                    [--json]\n"
    "\n"
    "Subscribes to plaintd's publish socket and prints each message as it comes,\n"
    "one line each: the time it arrived (UTC), the topic and the JSON payload,\n"
    "  2026-11-28T13:34:05Z case.created {\"case_no\":\"TS-2026-000123\",...}\n"
    "or with --json one object per line: {\"topic\":\"case.created\",\"payload\":{...}}.\n"
    "Each TOPIC is a prefix: \"deadline.\" takes deadline.warning and\n"
    "deadline.breached; without a TOPIC, every message. Topics: case.created,\n"
    "deadline.warning, deadline.breached, case.escalated (docs/protocol.md).\n"
    "Messages published while watch is not connected are not seen: there is no\n"
    "replay (read the case, or 'plaint overdue').\n"
    "\n"
    "  --publish E       the publish endpoint (default: $PLAINT_PUBLISH, else\n"
    "                    " PL_CLIENT_DEFAULT_PUBLISH ")\n"
    "  --count N         exit 0 after N messages\n"
    "  --timeout MS      exit 3 when no message came for MS milliseconds\n"
    "\n"
    "Runs until Ctrl-C or SIGTERM (exit 0) otherwise.\n";

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
    /* Room for every word: s_cmdline_new gave it argc slots. Each command checks its count. */
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

/* How many words each command takes after it: at least `min`, at most `max`. */
static void s_word_counts(s_verb_t verb, size_t *min, size_t *max)
{
    *min = 0;
    *max = 0;
    if (verb == S_VERB_SHOW || verb == S_VERB_VISIT || verb == S_VERB_CLOSE) {
        *min = *max = 1;
    } else if (verb & S_VERB_TEXT_WORDS) {
        *min = 1;
        *max = (size_t)-1;
    } else if (verb == S_VERB_WATCH) {
        *max = (size_t)-1;
    }
}

/* Checks what each command needs beyond the options table. */
static int s_check(const s_cmdline_t *cl)
{
    size_t min, max;
    s_word_counts(cl->verb, &min, &max);
    if (cl->positional_count > max) {
        return s_usage_error("unexpected argument '%s'", cl->positional[max]);
    }
    if (cl->positional_count < min) {
        return s_usage_error("%s needs a case number, e.g. 'plaint %s TS-2026-000123%s'",
                             cl->verb_name, cl->verb_name,
                             (cl->verb & S_VERB_TEXT_WORDS) ? " TEXT" : "");
    }
    if ((cl->verb & S_VERB_EVENT) && cl->submit.file && cl->submit.has_fields) {
        return s_usage_error("%s: --file cannot be combined with field options", cl->verb_name);
    }
    if ((cl->verb & S_VERB_TEXT_WORDS) && cl->positional_count > 1 && cl->case_op.text) {
        return s_usage_error("%s: give the text after the case number or with --text, "
                             "not both", cl->verb_name);
    }
    if ((cl->verb & S_VERB_TEXT_WORDS) && cl->positional_count == 1 && !cl->case_op.text) {
        return s_usage_error("%s needs a text, e.g. 'plaint %s %s what was done'",
                             cl->verb_name, cl->verb_name, cl->positional[0]);
    }
    if ((cl->verb & S_VERB_TEXT) && cl->case_op.text && cl->case_op.text[0] == '\0') {
        return s_usage_error("%s: --text must not be empty", cl->verb_name);
    }
    if (cl->verb == S_VERB_VISIT && (!cl->case_op.finding || !cl->case_op.finding[0])) {
        return s_usage_error("%s", "visit needs --finding TEXT: what the visit found");
    }
    if (cl->verb == S_VERB_VISIT && !cl->case_op.responsibility) {
        return s_usage_error("%s", "visit needs --responsibility quality, misuse or other");
    }
    if ((cl->verb & S_VERB_CASE_OP) && cl->case_op.by && cl->case_op.by[0] == '\0') {
        return s_usage_error("%s: --by must not be empty", cl->verb_name);
    }
    if (cl->verb == S_VERB_WATCH && cl->watch.publish[0] == '\0') {
        return s_usage_error("%s", "--publish must not be empty");
    }
    if (cl->opts.endpoint[0] == '\0') {
        return s_usage_error("%s", "--endpoint must not be empty");
    }
    return 0;
}

/*
 * Joins words[0..count) with single spaces into a new string (caller frees);
 * NULL when out of memory.
 */
static char *s_join(const char *const *words, size_t count)
{
    size_t size = 1;
    for (size_t i = 0; i < count; i++) {
        size += strlen(words[i]) + 1;
    }
    char *text = malloc(size);
    if (!text) {
        return NULL;
    }
    char *p = text;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(words[i]);
        if (i > 0) {
            *p++ = ' ';
        }
        memcpy(p, words[i], n);
        p += n;
    }
    *p = '\0';
    return text;
}

/* Who runs the command: $PLAINT_USER, else the login name; NULL when unknown. */
static const char *s_default_actor(void)
{
    const char *who = getenv("PLAINT_USER");
    if (who && who[0]) {
        return who;
    }
    who = getlogin();
    if (who && who[0]) {
        return who;
    }
    who = getenv("USER");
    return who && who[0] ? who : NULL;
}

/* Fills in a case operation's arguments from the words and defaults. */
static int s_prepare_case_op(s_cmdline_t *cl)
{
    pl_case_op_args_t *a = &cl->case_op;
    a->op = cl->verb_name;
    a->case_no = cl->positional[0];
    if ((cl->verb & S_VERB_TEXT_WORDS) && cl->positional_count > 1) {
        cl->joined_text = s_join(cl->positional + 1, cl->positional_count - 1);
        if (!cl->joined_text) {
            fprintf(stderr, "plaint: out of memory\n");
            return PL_EXIT_FAILED;
        }
        if (cl->joined_text[strspn(cl->joined_text, " ")] == '\0') {
            return s_usage_error("%s: the text must not be empty", cl->verb_name);
        }
        a->text = cl->joined_text;
    }
    if (!a->by) {
        a->by = s_default_actor();
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
    case S_VERB_NOTE: fputs(s_help_note, stdout); break;
    case S_VERB_REPORT: fputs(s_help_report, stdout); break;
    case S_VERB_REPLY: fputs(s_help_reply, stdout); break;
    case S_VERB_VISIT: fputs(s_help_visit, stdout); break;
    case S_VERB_CLOSE: fputs(s_help_close, stdout); break;
    case S_VERB_OVERDUE: fputs(s_help_overdue, stdout); break;
    case S_VERB_WATCH: fputs(s_help_watch, stdout); break;
    default: fputs(s_help_global, stdout); break;
    }
}

/* Parses, checks and runs the command line; returns the exit status. */
static int s_run(s_cmdline_t *cl, int argc, char **argv)
{
    int rc = s_parse(cl, argc, argv);
    if (rc != 0) {
        return rc;
    }
    if (cl->help) {
        s_print_help(cl->verb);
        return PL_EXIT_OK;
    }
    if (cl->version) {
        printf("plaint %s\n", PL_VERSION);
        return PL_EXIT_OK;
    }
    if (cl->verb == S_VERB_NONE) {
        return s_usage_error("%s", "no command given");
    }
    cl->opts.timeout_ms = (int)(cl->timeout_ms ? cl->timeout_ms : PL_CLIENT_DEFAULT_TIMEOUT_MS);
    cl->watch.timeout_ms = cl->timeout_ms;  /* watch: none unless given */
    cl->submit.has_fields = s_has_event_fields(&cl->submit);
    rc = s_check(cl);
    if (rc != 0) {
        return rc;
    }
    if (cl->verb & S_VERB_CASE_OP) {
        rc = s_prepare_case_op(cl);
        if (rc != 0) {
            return rc;
        }
    }
    cl->watch.topics = cl->positional;
    cl->watch.topic_count = cl->verb == S_VERB_WATCH ? cl->positional_count : 0;
    switch (cl->verb) {
    case S_VERB_PING: return pl_cmd_ping(&cl->opts);
    case S_VERB_SUBMIT: return pl_cmd_submit(&cl->opts, &cl->submit);
    case S_VERB_SHOW: return pl_cmd_show(&cl->opts, cl->positional[0]);
    case S_VERB_BENCH: return pl_cmd_bench(&cl->opts, &cl->bench);
    case S_VERB_EXPLAIN: return pl_cmd_explain(&cl->opts, &cl->submit);
    case S_VERB_RELOAD: return pl_cmd_reload(&cl->opts);
    case S_VERB_NOTE:
    case S_VERB_REPORT:
    case S_VERB_REPLY:
    case S_VERB_VISIT:
    case S_VERB_CLOSE: return pl_cmd_case_op(&cl->opts, &cl->case_op);
    case S_VERB_OVERDUE: return pl_cmd_overdue(&cl->opts, cl->limit);
    case S_VERB_WATCH: return pl_cmd_watch(&cl->opts, &cl->watch);
    default: return PL_EXIT_USAGE;
    }
}

int main(int argc, char **argv)
{
    const char *env_endpoint = getenv("PLAINT_ENDPOINT");
    const char *env_publish = getenv("PLAINT_PUBLISH");
    s_cmdline_t cl = {
        .opts.endpoint = env_endpoint && env_endpoint[0] ? env_endpoint
                                                          : PL_CLIENT_DEFAULT_ENDPOINT,
        .submit.quantity = -1,
        .bench = {.events = 1000, .concurrency = 1, .window = 1, .source = "bench"},
        .watch.publish = env_publish && env_publish[0] ? env_publish : PL_CLIENT_DEFAULT_PUBLISH,
        .positional = calloc(argc > 0 ? (size_t)argc : 1, sizeof(const char *)),
    };
    if (!cl.positional) {
        fprintf(stderr, "plaint: out of memory\n");
        return PL_EXIT_FAILED;
    }
    int rc = s_run(&cl, argc, argv);
    free(cl.joined_text);
    free(cl.positional);
    return rc;
}
