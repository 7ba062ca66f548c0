/*
 * plaint: the command-line client of plaintd. This file only parses the
 * command line and dispatches to one pl_cmd_* function (client.h); the help
 * texts are in help.c.
 * Global options may appear anywhere; command options only after the command.
 */
#include "client/client.h"

#include "common/pl_time.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PL_VERSION
#define PL_VERSION "0.0.0"
#endif

/*
 * The commands, one bit each, so that an option can name the commands that
 * take it. 64 bits leave room to grow; an enum could not hold them in
 * standard C (its constants are ints).
 */
typedef uint64_t s_verb_t;
#define S_VERB(bit) ((s_verb_t)1 << (bit))
#define S_VERB_NONE ((s_verb_t)0)
#define S_VERB_PING S_VERB(0)
#define S_VERB_SUBMIT S_VERB(1)
#define S_VERB_SHOW S_VERB(2)
#define S_VERB_BENCH S_VERB(3)
#define S_VERB_EXPLAIN S_VERB(4)
#define S_VERB_RELOAD S_VERB(5)
#define S_VERB_NOTE S_VERB(6)
#define S_VERB_REPORT S_VERB(7)
#define S_VERB_REPLY S_VERB(8)
#define S_VERB_VISIT S_VERB(9)
#define S_VERB_CLOSE S_VERB(10)
#define S_VERB_OVERDUE S_VERB(11)
#define S_VERB_WATCH S_VERB(12)
#define S_VERB_CONFIRM S_VERB(13)
#define S_VERB_ASSIGN S_VERB(14)
#define S_VERB_ANALYSE S_VERB(15)
#define S_VERB_PROPOSE S_VERB(16)
#define S_VERB_APPROVE S_VERB(17)
#define S_VERB_REJECT S_VERB(18)
#define S_VERB_FOLLOWUP S_VERB(19)
#define S_VERB_REOPEN S_VERB(20)
#define S_VERB_CAPA S_VERB(21)
#define S_VERB_REMARK S_VERB(22)
#define S_VERB_PAUSE S_VERB(23)
#define S_VERB_RESUME S_VERB(24)
#define S_VERB_LIST S_VERB(25)
#define S_VERB_ANY UINT64_MAX /* a global option: before or after any command */

/* Verbs that take an event: from --file, stdin or the field options. */
#define S_VERB_EVENT (S_VERB_SUBMIT | S_VERB_EXPLAIN)
/* Operations on a case (docs/lifecycle.md): CASE_NO first, then --by and their own options. */
#define S_VERB_CASE_OP                                                                         \
    (S_VERB_CONFIRM | S_VERB_ASSIGN | S_VERB_NOTE | S_VERB_REPORT | S_VERB_VISIT |             \
     S_VERB_ANALYSE | S_VERB_PROPOSE | S_VERB_APPROVE | S_VERB_REJECT | S_VERB_REPLY |         \
     S_VERB_FOLLOWUP | S_VERB_CLOSE | S_VERB_REOPEN | S_VERB_CAPA | S_VERB_REMARK |            \
     S_VERB_PAUSE | S_VERB_RESUME)
/* Those that take --text, and those whose text may also be words after the case number. */
#define S_VERB_TEXT (S_VERB_CONFIRM | S_VERB_NOTE | S_VERB_REPORT | S_VERB_REPLY | S_VERB_REMARK)
#define S_VERB_TEXT_WORDS (S_VERB_NOTE | S_VERB_REPORT | S_VERB_REPLY | S_VERB_REMARK)
/* Those that take --reason. */
#define S_VERB_REASON                                                                          \
    (S_VERB_APPROVE | S_VERB_REJECT | S_VERB_CLOSE | S_VERB_REOPEN | S_VERB_PAUSE)

/* The protocol's longest string member (docs/protocol.md); "by" and "owner" take 128. */
#define S_TEXT_MAX 16384
#define S_ID_MAX 128

typedef enum { S_FLAG, S_STRING, S_LONG } s_kind_t;

/* What an S_STRING option's value must look like, beyond its length. */
typedef enum {
    S_SHAPE_ANY = 0,
    S_SHAPE_DATE,         /* YYYY-MM-DD */
    S_SHAPE_TIME,         /* RFC 3339 */
    S_SHAPE_DATE_OR_TIME, /* either */
} s_shape_t;

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
    const char *close_text;   /* close --text: an older spelling of --reason */
    pl_list_args_t list;
    const char *format;       /* show --format */
    pl_watch_args_t watch;
    long limit;               /* overdue; 0 = not given */
    const char **positional;  /* the words after the command; argc slots */
    size_t positional_count;
    char *joined_text;        /* the text words of note, report, reply, remark, joined */
} s_cmdline_t;

typedef struct s_option {
    const char *name;     /* long name, without the leading "--" */
    char short_name;      /* 0 = none */
    s_verb_t verbs;       /* where the option is accepted */
    s_kind_t kind;
    size_t offset;        /* of the destination in s_cmdline_t */
    long min;             /* S_LONG: the range; S_STRING: the length in bytes, when max > 0 */
    long max;
    const char *choices;  /* S_STRING: the only values accepted, "a|b|c"; NULL = any */
    s_shape_t shape;      /* S_STRING */
} s_option_t;

#define S_AT(member) offsetof(s_cmdline_t, member)

/*
 * Table entries: an option of any kind with its range (S_LONG) or length
 * (S_STRING, when max > 0); a string restricted to choices; a string of a shape.
 */
#define S_OPT(name, short_name, verbs, kind, member, min, max)                                 \
    {name, short_name, verbs, kind, S_AT(member), min, max, NULL, S_SHAPE_ANY}
#define S_CHOICE(name, verbs, member, choices)                                                 \
    {name, 0, verbs, S_STRING, S_AT(member), 0, 0, choices, S_SHAPE_ANY}
#define S_SHAPED(name, verbs, member, shape)                                                   \
    {name, 0, verbs, S_STRING, S_AT(member), 0, 0, NULL, shape}

static const s_option_t s_options[] = {
    S_OPT("endpoint", 0, S_VERB_ANY, S_STRING, opts.endpoint, 0, 0),
    S_OPT("timeout", 0, S_VERB_ANY, S_LONG, timeout_ms, 1, 86400000),
    S_OPT("json", 0, S_VERB_ANY, S_FLAG, opts.json, 0, 0),
    S_OPT("help", 'h', S_VERB_ANY, S_FLAG, help, 0, 0),
    S_OPT("version", 0, S_VERB_ANY, S_FLAG, version, 0, 0),

    S_OPT("file", 0, S_VERB_EVENT, S_STRING, submit.file, 0, 0),
    S_OPT("event-id", 0, S_VERB_EVENT, S_STRING, submit.event_id, 0, 0),
    S_OPT("source", 0, S_VERB_EVENT, S_STRING, submit.source, 0, 0),
    S_OPT("kind", 0, S_VERB_EVENT, S_STRING, submit.kind, 0, 0),
    S_OPT("channel", 0, S_VERB_EVENT, S_STRING, submit.channel, 0, 0),
    S_OPT("received-at", 0, S_VERB_EVENT, S_STRING, submit.received_at, 0, 0),
    S_OPT("name", 0, S_VERB_EVENT, S_STRING, submit.name, 0, 0),
    S_OPT("phone", 0, S_VERB_EVENT, S_STRING, submit.phone, 0, 0),
    S_OPT("address", 0, S_VERB_EVENT, S_STRING, submit.address, 0, 0),
    S_OPT("content", 0, S_VERB_EVENT, S_STRING, submit.content, 0, 0),
    S_OPT("spec", 0, S_VERB_EVENT, S_STRING, submit.spec, 0, 0),
    S_OPT("order-no", 0, S_VERB_EVENT, S_STRING, submit.order_no, 0, 0),
    S_OPT("quantity", 0, S_VERB_EVENT, S_LONG, submit.quantity, 0, 1000000000),
    S_OPT("ship-date", 0, S_VERB_EVENT, S_STRING, submit.ship_date, 0, 0),
    S_OPT("region", 0, S_VERB_EVENT, S_STRING, submit.region, 0, 0),
    S_OPT("interactive", 'i', S_VERB_SUBMIT, S_FLAG, submit.interactive, 0, 0),
    S_OPT("by", 0, S_VERB_SUBMIT, S_STRING, submit.by, 1, S_ID_MAX),

    S_CHOICE("format", S_VERB_SHOW, format, "register|file"),

    S_OPT("events", 0, S_VERB_BENCH, S_LONG, bench.events, 1, 10000000),
    S_OPT("concurrency", 0, S_VERB_BENCH, S_LONG, bench.concurrency, 1, 1000),
    S_OPT("window", 0, S_VERB_BENCH, S_LONG, bench.window, 1, 100000),
    S_OPT("source", 0, S_VERB_BENCH, S_STRING, bench.source, 0, 0),
    S_OPT("content", 0, S_VERB_BENCH, S_STRING, bench.content, 0, 0),

    S_OPT("by", 0, S_VERB_CASE_OP, S_STRING, case_op.by, 1, S_ID_MAX),
    S_OPT("text", 0, S_VERB_TEXT, S_STRING, case_op.text, 1, S_TEXT_MAX),
    S_OPT("text", 0, S_VERB_CLOSE, S_STRING, close_text, 1, S_TEXT_MAX),
    S_OPT("reason", 0, S_VERB_REASON, S_STRING, case_op.reason, 1, S_TEXT_MAX),
    S_OPT("finding", 0, S_VERB_VISIT, S_STRING, case_op.finding, 1, S_TEXT_MAX),
    S_CHOICE("responsibility", S_VERB_VISIT | S_VERB_ANALYSE, case_op.responsibility,
             "quality|misuse|other"),
    S_OPT("to", 0, S_VERB_ASSIGN, S_STRING, case_op.to, 1, S_TEXT_MAX),
    S_OPT("cause", 0, S_VERB_ANALYSE, S_STRING, case_op.cause, 1, S_TEXT_MAX),
    S_OPT("result", 0, S_VERB_PROPOSE | S_VERB_CAPA, S_STRING, case_op.result, 1, S_TEXT_MAX),
    S_CHOICE("method", S_VERB_FOLLOWUP, case_op.method, "phone|visit|sms|wechat|email"),
    S_CHOICE("satisfied", S_VERB_FOLLOWUP, case_op.satisfied, "yes|no"),
    S_OPT("opinion", 0, S_VERB_FOLLOWUP, S_STRING, case_op.opinion, 1, S_TEXT_MAX),
    S_SHAPED("at", S_VERB_FOLLOWUP, case_op.at, S_SHAPE_TIME),
    S_CHOICE("kind", S_VERB_CAPA, case_op.kind, "corrective|preventive"),
    S_OPT("action", 0, S_VERB_CAPA, S_STRING, case_op.action, 1, S_TEXT_MAX),
    S_OPT("owner", 0, S_VERB_CAPA, S_STRING, case_op.owner, 1, S_ID_MAX),
    S_SHAPED("due", S_VERB_CAPA, case_op.due, S_SHAPE_DATE),
    S_OPT("verify", 0, S_VERB_CAPA, S_LONG, case_op.verify, 1, INT32_MAX),
    S_CHOICE("effective", S_VERB_CAPA, case_op.effective, "yes|no"),

    S_OPT("status", 0, S_VERB_LIST, S_STRING, list.status, 1, 1000),
    S_OPT("kind", 0, S_VERB_LIST, S_STRING, list.kind, 1, S_TEXT_MAX),
    S_OPT("category", 0, S_VERB_LIST, S_STRING, list.category, 1, S_TEXT_MAX),
    S_OPT("department", 0, S_VERB_LIST, S_STRING, list.department, 1, S_TEXT_MAX),
    S_OPT("assignee", 0, S_VERB_LIST, S_STRING, list.assignee, 1, S_TEXT_MAX),
    S_OPT("overdue", 0, S_VERB_LIST, S_FLAG, list.overdue, 0, 0),
    S_SHAPED("from", S_VERB_LIST, list.from, S_SHAPE_DATE_OR_TIME),
    S_SHAPED("to", S_VERB_LIST, list.to, S_SHAPE_DATE_OR_TIME),
    S_OPT("text", 0, S_VERB_LIST, S_STRING, list.text, 1, 200),
    S_OPT("limit", 0, S_VERB_LIST, S_LONG, list.limit, 1, 1000),
    S_OPT("offset", 0, S_VERB_LIST, S_LONG, list.offset, 0, INT32_MAX),

    S_OPT("limit", 0, S_VERB_OVERDUE, S_LONG, limit, 1, 10000),

    S_OPT("publish", 0, S_VERB_WATCH, S_STRING, watch.publish, 0, 0),
    S_OPT("count", 0, S_VERB_WATCH, S_LONG, watch.count, 1, 1000000000),
};

static const struct {
    const char *name;
    s_verb_t verb;
} s_verbs[] = {
    {"ping", S_VERB_PING},         {"submit", S_VERB_SUBMIT},     {"show", S_VERB_SHOW},
    {"list", S_VERB_LIST},         {"bench", S_VERB_BENCH},       {"explain", S_VERB_EXPLAIN},
    {"reload", S_VERB_RELOAD},     {"confirm", S_VERB_CONFIRM},   {"assign", S_VERB_ASSIGN},
    {"note", S_VERB_NOTE},         {"report", S_VERB_REPORT},     {"visit", S_VERB_VISIT},
    {"analyse", S_VERB_ANALYSE},   {"propose", S_VERB_PROPOSE},   {"approve", S_VERB_APPROVE},
    {"reject", S_VERB_REJECT},     {"reply", S_VERB_REPLY},       {"followup", S_VERB_FOLLOWUP},
    {"close", S_VERB_CLOSE},       {"reopen", S_VERB_REOPEN},     {"capa", S_VERB_CAPA},
    {"remark", S_VERB_REMARK},     {"pause", S_VERB_PAUSE},       {"resume", S_VERB_RESUME},
    {"overdue", S_VERB_OVERDUE},   {"watch", S_VERB_WATCH},
};

/*
 * The options each case operation requires (checked after parsing, in this
 * order), and how the usage error describes the missing one.
 */
static const struct {
    s_verb_t verbs;
    size_t offset;
    const char *what;
} s_required[] = {
    {S_VERB_ASSIGN, S_AT(case_op.to), "--to ID: the person or department to hand it to"},
    {S_VERB_VISIT, S_AT(case_op.finding), "--finding TEXT: what the visit found"},
    {S_VERB_ANALYSE, S_AT(case_op.cause), "--cause TEXT: the root cause found"},
    {S_VERB_VISIT | S_VERB_ANALYSE, S_AT(case_op.responsibility),
     "--responsibility quality, misuse or other"},
    {S_VERB_PROPOSE, S_AT(case_op.result), "--result TEXT: the proposed resolution"},
    {S_VERB_REJECT | S_VERB_REOPEN | S_VERB_PAUSE, S_AT(case_op.reason), "--reason TEXT"},
    {S_VERB_FOLLOWUP, S_AT(case_op.method), "--method phone, visit, sms, wechat or email"},
    {S_VERB_FOLLOWUP, S_AT(case_op.satisfied), "--satisfied yes or no"},
};

/* The statuses `list --status` takes (docs/lifecycle.md). */
static const char *const s_statuses[] = {
    "registered", "confirmed", "assigned", "investigating", "resolution_proposed",
    "approved",   "replied",   "followup", "closed",
};

static int s_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int s_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("plaint: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(pl_client_usage, stderr);
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
        if (same && (o->verbs == S_VERB_ANY || (o->verbs & verb))) {
            return o;
        }
    }
    return NULL;
}

/* Is `value` one of the '|'-separated `choices`? */
static bool s_is_choice(const char *value, const char *choices)
{
    size_t size = strlen(value);
    for (const char *p = choices; *p;) {
        size_t n = strcspn(p, "|");
        if (n == size && memcmp(p, value, n) == 0) {
            return true;
        }
        p += n + (p[n] == '|');
    }
    return false;
}

/* Checks an S_STRING value against the option's length, choices and shape. */
static int s_check_string(const s_option_t *o, const char *arg, const char *value)
{
    size_t size = strlen(value);
    if (o->max > 0 && size < (size_t)o->min) {
        return s_usage_error("option %s must not be empty", arg);
    }
    if (o->max > 0 && size > (size_t)o->max) {
        return s_usage_error("option %s is too long: %zu bytes, at most %ld", arg, size, o->max);
    }
    if (o->choices && !s_is_choice(value, o->choices)) {
        /* "a|b|c" reads "a, b or c". */
        char listed[160] = "";
        size_t used = 0;
        for (const char *p = o->choices; *p && used < sizeof listed;) {
            size_t n = strcspn(p, "|");
            const char *sep = p == o->choices ? "" : p[n] ? ", " : " or ";
            int w = snprintf(listed + used, sizeof listed - used, "%s%.*s", sep, (int)n, p);
            used += w > 0 ? (size_t)w : 0;
            p += n + (p[n] == '|');
        }
        return s_usage_error("option %s needs %s, not '%s'", arg, listed, value);
    }
    pl_usec_t t;
    int year, month, day;
    bool is_date = pl_time_parse_date(value, &year, &month, &day) == 0;
    bool is_time = pl_time_parse_rfc3339(value, &t) == 0;
    if (o->shape == S_SHAPE_DATE && !is_date) {
        return s_usage_error("option %s needs a date YYYY-MM-DD, not '%s'", arg, value);
    }
    if (o->shape == S_SHAPE_TIME && !is_time) {
        return s_usage_error("option %s needs an RFC 3339 time such as "
                             "2026-11-28T14:30:00+08:00, not '%s'", arg, value);
    }
    if (o->shape == S_SHAPE_DATE_OR_TIME && !is_date && !is_time) {
        return s_usage_error("option %s needs a date YYYY-MM-DD or an RFC 3339 time, not '%s'",
                             arg, value);
    }
    return 0;
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
        int rc = s_check_string(o, arg, value);
        if (rc == 0) {
            *(const char **)dest = value;
        }
        return rc;
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
    if (verb & S_VERB_TEXT_WORDS) {
        *min = 1;
        *max = (size_t)-1;
    } else if (verb == S_VERB_SHOW || (verb & S_VERB_CASE_OP)) {
        *min = *max = 1;
    } else if (verb == S_VERB_WATCH) {
        *max = (size_t)-1;
    }
}

/* `list --status`: each comma-separated word must be a status. */
static int s_check_statuses(const char *statuses)
{
    for (const char *p = statuses;;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (size_t i = 0; i < sizeof s_statuses / sizeof s_statuses[0] && !known; i++) {
            known = strlen(s_statuses[i]) == n && memcmp(s_statuses[i], p, n) == 0;
        }
        if (!known) {
            return s_usage_error("option --status: '%.*s' is not a status (registered, "
                                 "confirmed, assigned, investigating, resolution_proposed, "
                                 "approved, replied, followup, closed)", (int)n, p);
        }
        if (p[n] == '\0') {
            return 0;
        }
        p += n + 1;
    }
}

/* capa takes either the options that add an action or those that verify one. */
static int s_check_capa(const pl_case_op_args_t *a)
{
    bool adding = a->kind || a->action || a->owner || a->due;
    bool verifying = a->verify > 0 || a->result || a->effective;
    if (adding && verifying) {
        return s_usage_error("%s", "capa: --kind, --action, --owner and --due add an action; "
                                   "--verify, --result and --effective verify one; not both");
    }
    if (adding) {
        const char *missing = !a->kind     ? "--kind corrective or preventive"
                              : !a->action ? "--action TEXT: what is to be done"
                              : !a->owner  ? "--owner WHO: who does it"
                              : !a->due    ? "--due YYYY-MM-DD: by when"
                                           : NULL;
        return missing ? s_usage_error("capa needs %s", missing) : 0;
    }
    if (verifying) {
        const char *missing = a->verify <= 0 ? "--verify N: the number of the action"
                              : !a->result   ? "--result TEXT: what the verification found"
                              : !a->effective ? "--effective yes or no"
                                              : NULL;
        return missing ? s_usage_error("capa needs %s", missing) : 0;
    }
    return s_usage_error("%s", "capa needs --kind, --action, --owner and --due to add an "
                               "action, or --verify N, --result and --effective to verify one");
}

/* Checks what a case operation needs beyond the options table. */
static int s_check_case_op(const s_cmdline_t *cl)
{
    if ((cl->verb & S_VERB_TEXT_WORDS) && cl->positional_count > 1 && cl->case_op.text) {
        return s_usage_error("%s: give the text after the case number or with --text, "
                             "not both", cl->verb_name);
    }
    if ((cl->verb & S_VERB_TEXT_WORDS) && cl->positional_count == 1 && !cl->case_op.text) {
        return s_usage_error("%s needs a text, e.g. 'plaint %s %s what was done'",
                             cl->verb_name, cl->verb_name, cl->positional[0]);
    }
    for (size_t i = 0; i < sizeof s_required / sizeof s_required[0]; i++) {
        if ((s_required[i].verbs & cl->verb) &&
            !*(const char *const *)((const char *)cl + s_required[i].offset)) {
            return s_usage_error("%s needs %s", cl->verb_name, s_required[i].what);
        }
    }
    if (cl->verb == S_VERB_CLOSE && cl->close_text && cl->case_op.reason) {
        return s_usage_error("%s", "close: give --reason or --text, not both");
    }
    return cl->verb == S_VERB_CAPA ? s_check_capa(&cl->case_op) : 0;
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
    if (cl->verb == S_VERB_SUBMIT && cl->submit.interactive && cl->submit.file) {
        return s_usage_error("%s", "submit: -i cannot be combined with --file");
    }
    if (cl->verb == S_VERB_SUBMIT && !cl->submit.interactive && cl->submit.by) {
        return s_usage_error("%s", "submit: --by goes with -i (who confirms the read-back)");
    }
    if (cl->verb & S_VERB_CASE_OP) {
        int rc = s_check_case_op(cl);
        if (rc != 0) {
            return rc;
        }
    }
    if (cl->verb == S_VERB_LIST && cl->list.status) {
        int rc = s_check_statuses(cl->list.status);
        if (rc != 0) {
            return rc;
        }
    }
    if (cl->verb == S_VERB_SHOW && cl->format && cl->opts.json) {
        return s_usage_error("%s", "show: --format and --json cannot be combined");
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
        if (strlen(cl->joined_text) > S_TEXT_MAX) {
            return s_usage_error("%s: the text is too long: %zu bytes, at most %d",
                                 cl->verb_name, strlen(cl->joined_text), S_TEXT_MAX);
        }
        a->text = cl->joined_text;
    }
    if (cl->close_text) {
        a->reason = cl->close_text;
    }
    if (!a->by) {
        a->by = s_default_actor();
    }
    return 0;
}

/* Parses, checks and runs the command line; returns the exit status. */
static int s_run(s_cmdline_t *cl, int argc, char **argv)
{
    int rc = s_parse(cl, argc, argv);
    if (rc != 0) {
        return rc;
    }
    if (cl->help) {
        fputs(pl_client_help(cl->verb == S_VERB_NONE ? NULL : cl->verb_name), stdout);
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
        return pl_cmd_case_op(&cl->opts, &cl->case_op);
    }
    if (cl->verb == S_VERB_SUBMIT && cl->submit.interactive && !cl->submit.by) {
        cl->submit.by = s_default_actor();
    }
    cl->watch.topics = cl->positional;
    cl->watch.topic_count = cl->verb == S_VERB_WATCH ? cl->positional_count : 0;
    switch (cl->verb) {
    case S_VERB_PING: return pl_cmd_ping(&cl->opts);
    case S_VERB_SUBMIT: return pl_cmd_submit(&cl->opts, &cl->submit);
    case S_VERB_SHOW: return pl_cmd_show(&cl->opts, cl->positional[0], cl->format);
    case S_VERB_LIST: return pl_cmd_list(&cl->opts, &cl->list);
    case S_VERB_BENCH: return pl_cmd_bench(&cl->opts, &cl->bench);
    case S_VERB_EXPLAIN: return pl_cmd_explain(&cl->opts, &cl->submit);
    case S_VERB_RELOAD: return pl_cmd_reload(&cl->opts);
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
        .list.offset = -1,
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
