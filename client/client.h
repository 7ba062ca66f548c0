/*
 * client: what the `plaint` commands share. main.c parses the command line
 * into the structs below and calls one pl_cmd_* function; each command builds
 * its request, talks to plaintd through pl_client_*, and prints the outcome.
 * The wire protocol is described in docs/protocol.md.
 *
 * Exit status of every command: PL_EXIT_OK, PL_EXIT_FAILED (the daemon refused
 * the request, or the reply or local input was unusable), PL_EXIT_USAGE (bad
 * command line), PL_EXIT_TIMEOUT (no answer in time).
 */
#ifndef PL_CLIENT_H
#define PL_CLIENT_H

#include "common/pl_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PL_CLIENT_DEFAULT_ENDPOINT "tcp://127.0.0.1:5555"
#define PL_CLIENT_DEFAULT_PUBLISH "tcp://127.0.0.1:5556"
#define PL_CLIENT_DEFAULT_TIMEOUT_MS 5000
/* How many characters of a rules version people are shown. */
#define PL_CLIENT_RULES_VERSION_SHOWN 12

enum {
    PL_EXIT_OK = 0,
    PL_EXIT_FAILED = 1,
    PL_EXIT_USAGE = 2,
    PL_EXIT_TIMEOUT = 3,
};

/* Options every command takes. Strings borrow argv or the environment. */
typedef struct pl_client_opts {
    const char *endpoint;
    int timeout_ms;
    bool json;
} pl_client_opts_t;

/*
 * `plaint submit` and `plaint explain` arguments: either `file` or the event
 * fields (NULL = not given).
 */
typedef struct pl_submit_args {
    bool has_fields;          /* any field below `file` was given */
    const char *file;         /* "-" = stdin */
    const char *event_id;
    const char *source;
    const char *kind;
    const char *channel;
    const char *received_at;
    const char *name;
    const char *phone;
    const char *address;
    const char *content;
    const char *spec;
    const char *order_no;
    long quantity;            /* < 0 = not given */
    const char *ship_date;
    const char *region;
    bool interactive;         /* submit -i: ask for the fields on the terminal (R9) */
    const char *by;           /* submit -i: who confirms the read-back; NULL = nobody named */
} pl_submit_args_t;

/* `plaint bench` arguments. */
typedef struct pl_bench_args {
    long events;
    long concurrency;
    long window;
    const char *source;
    const char *content;      /* NULL = rotate built-in complaint texts */
} pl_bench_args_t;

/*
 * The arguments of a case operation, `plaint OP CASE_NO [OPTIONS]`
 * (docs/protocol.md, "Case operations"; docs/lifecycle.md). main.c has
 * checked what each operation requires; NULL = not given, and only the
 * members of `op` are set. Each becomes the request member of the same name
 * ("satisfied" and "effective" as JSON booleans, "verify" as an integer).
 */
typedef struct pl_case_op_args {
    const char *op;             /* "note", "confirm", "capa", ...: the request's "op" */
    const char *case_no;
    const char *text;           /* note, report, reply, remark: required; confirm: optional */
    const char *finding;        /* visit: required */
    const char *responsibility; /* visit, analyse: required; quality, misuse or other */
    const char *to;             /* assign: required; a person or department id */
    const char *cause;          /* analyse: required */
    const char *result;         /* propose: required; capa --verify: required */
    const char *reason;         /* reject, reopen, pause: required; approve, close: optional */
    const char *method;         /* followup: phone, visit, sms, wechat or email */
    const char *satisfied;      /* followup: "yes" or "no" */
    const char *opinion;        /* followup: optional */
    const char *at;             /* followup: optional, RFC 3339 */
    const char *kind;           /* capa add: corrective or preventive */
    const char *action;         /* capa add */
    const char *owner;          /* capa add */
    const char *due;            /* capa add: YYYY-MM-DD */
    long verify;                /* capa verify: the capa number; 0 = not given */
    const char *effective;      /* capa verify: "yes" or "no" */
    const char *by;             /* who did it; NULL = let the daemon name the actor */
} pl_case_op_args_t;

/*
 * `plaint list` arguments (NULL, false, 0 or < 0 = not given). `from` and
 * `to` are as typed: a date YYYY-MM-DD (local time) or an RFC 3339 time.
 */
typedef struct pl_list_args {
    const char *status;         /* one status or several, comma-separated */
    const char *kind;
    const char *category;
    const char *department;
    const char *assignee;
    bool overdue;
    const char *from;
    const char *to;
    const char *text;
    long limit;                 /* 0 = the daemon's default (50) */
    long offset;                /* < 0 = not given (0) */
} pl_list_args_t;

/* `plaint watch` arguments. */
typedef struct pl_watch_args {
    const char *publish;        /* the daemon's PUB endpoint */
    const char *const *topics;  /* topic prefixes to subscribe to; none = all */
    size_t topic_count;
    long count;                 /* exit 0 after this many messages; 0 = never */
    long timeout_ms;            /* exit 3 after this long without one; 0 = never */
} pl_watch_args_t;

/*
 * pl_client_t: one DEALER connection to plaintd. It speaks the REQ envelope
 * (an empty delimiter frame before each request and reply frame), so requests
 * can be pipelined on it.
 */
typedef struct pl_client pl_client_t;

/*
 * pl_client_new: creates a DEALER socket in `ctx` (borrows; must outlive the
 * client) with ZMQ_LINGER 0 and starts connecting it to `endpoint` (borrows).
 * Requests sent before the connection is up are queued, not refused.
 * Returns a new object, caller destroys; or NULL with `err` filled:
 * PL_EINVAL (malformed endpoint or unsupported transport), PL_EIO.
 */
pl_client_t *pl_client_new(void *ctx, const char *endpoint, pl_err_t *err);

/* pl_client_destroy: closes the socket, dropping anything unsent. Accepts NULL and *self_p NULL. */
void pl_client_destroy(pl_client_t **self_p);

/* pl_client_socket: the zmq socket, for zmq_poll only. Valid until the client is destroyed. */
void *pl_client_socket(pl_client_t *self);

/*
 * pl_client_send: queues one request frame (borrows `data`, `size` bytes)
 * behind an empty delimiter frame, without blocking.
 * Returns 0, PL_EAGAIN (high-water mark reached: poll for ZMQ_POLLOUT and
 * retry), or PL_EIO with `err` filled.
 */
int pl_client_send(pl_client_t *self, const char *data, size_t size, pl_err_t *err);

/*
 * pl_client_recv: takes one pending reply without blocking and parses it.
 * On success *reply_p is the reply object (caller json_decref's it), known to
 * hold a boolean "ok"; if `text_p` is not NULL, *text_p is the raw frame as a
 * NUL-terminated string (caller frees).
 * Returns 0, PL_EAGAIN (nothing pending), PL_EPROTO (bad envelope, or the
 * frame is not a JSON object with a boolean "ok"; the message says which),
 * PL_ENOMEM or PL_EIO, with `err` filled on failure.
 */
int pl_client_recv(pl_client_t *self, json_t **reply_p, char **text_p, pl_err_t *err);

/*
 * pl_client_request: sends `request` (borrows) and waits at most `timeout_ms`
 * for its reply. Outputs as for pl_client_recv.
 * Returns 0, PL_EAGAIN (no reply in time), PL_EPROTO, PL_ENOMEM or PL_EIO,
 * with `err` filled on failure.
 */
int pl_client_request(pl_client_t *self, const json_t *request, int timeout_ms,
                      json_t **reply_p, char **text_p, pl_err_t *err);

/*
 * pl_client_exchange: one request/reply exchange with the daemon at
 * opts->endpoint, whatever the reply says: on PL_EXIT_OK *reply_p holds the
 * reply, "ok" true or false (caller json_decref's it), and *text_p the raw
 * reply text (caller frees). Failures to get a reply (no answer, bad reply)
 * are printed on stderr as by pl_client_print_error. Borrows `opts` and
 * `request`. Returns a PL_EXIT_* status; the outputs are set only for
 * PL_EXIT_OK.
 */
int pl_client_exchange(const pl_client_opts_t *opts, const json_t *request, json_t **reply_p,
                       char **text_p);

/*
 * pl_client_call: one request/reply exchange with the daemon at
 * opts->endpoint, reporting the outcome on stderr unless it is a success:
 * a refusal ("ok": false) as "plaint: <message> (field <field>, <code>)",
 * preceded with --json by the raw reply on stdout; a timeout as "no answer".
 * On success *reply_p holds the reply (caller json_decref's it) and, if
 * `text_p` is not NULL, *text_p the raw reply text (caller frees).
 * Borrows `opts` and `request`. Returns a PL_EXIT_* status; the outputs are
 * set only for PL_EXIT_OK.
 */
int pl_client_call(const pl_client_opts_t *opts, const json_t *request, json_t **reply_p,
                   char **text_p);

/*
 * pl_client_print_compact: prints `value` (borrowed) as one line of compact
 * JSON on stdout. Returns PL_EXIT_OK, or PL_EXIT_FAILED (out of memory, said
 * on stderr).
 */
int pl_client_print_compact(const json_t *value);

/*
 * pl_client_print_refusal: prints the error of an "ok": false reply (borrows)
 * to stderr as pl_client_call does, with an optional `prefix` (e.g. an event
 * id) before the message. Returns PL_EXIT_FAILED.
 */
int pl_client_print_refusal(const json_t *reply, const char *prefix);

/*
 * pl_client_print_error: prints "plaint: <message>" for a failure of
 * pl_client_new/_request against opts->endpoint (borrows both) and returns the
 * matching exit status: PL_EXIT_TIMEOUT for PL_EAGAIN, PL_EXIT_USAGE for
 * PL_EINVAL, PL_EXIT_FAILED otherwise.
 */
int pl_client_print_error(const pl_client_opts_t *opts, int code, const pl_err_t *err);

/*
 * pl_client_print_text: writes untrusted text (borrows) to stdout for a
 * terminal: line breaks continue at `indent` columns, tabs become spaces, and
 * control characters (C0, DEL, C1), which could drive the terminal, are shown
 * as '?'.
 */
void pl_client_print_text(const char *text, int indent);

/* pl_client_fprint_text: pl_client_print_text to `out` (borrows both). */
void pl_client_fprint_text(FILE *out, const char *text, int indent);

/*
 * pl_client_fprint_line: writes untrusted text (borrows) to `out` on one
 * line, for a table cell: line breaks and tabs become spaces and other
 * control characters '?', each one column wide, as pl_client_display_width
 * counts them.
 */
void pl_client_fprint_line(FILE *out, const char *text);

/*
 * pl_client_fprint_value: writes any JSON value (borrows) to `out` for
 * people: a string as pl_client_fprint_text does, a flat object as
 * "key: value, key: value", anything else as compact JSON.
 */
void pl_client_fprint_value(FILE *out, const json_t *value, int indent);

/*
 * pl_client_print_rules_version: writes the first 12 characters of a rules
 * version (a SHA-256 in hex; borrows it) to stdout, enough to tell versions
 * apart, with anything but letters and digits shown as '?'; "unknown" for NULL.
 */
void pl_client_print_rules_version(const char *version);

/* pl_client_fprint_rules_version: pl_client_print_rules_version to `out` (borrows both). */
void pl_client_fprint_rules_version(FILE *out, const char *version);

/*
 * pl_client_display_width: the terminal columns of a UTF-8 string (borrows
 * it): East Asian wide characters (CJK ideographs, kana, hangul, fullwidth
 * forms) and emoji take two, combining marks and zero-width characters none,
 * others one (control characters too: they are printed as one character).
 */
int pl_client_display_width(const char *text);

/*
 * pl_client_print_padded: writes untrusted text (borrows) as
 * pl_client_print_text does, with no indent, then spaces up to `width`
 * terminal columns.
 */
void pl_client_print_padded(const char *text, int width);

/*
 * pl_client_fprint_padded: writes untrusted text (borrows) to `out` on one
 * line, as pl_client_fprint_line does, then spaces up to `width` columns.
 */
void pl_client_fprint_padded(FILE *out, const char *text, int width);

/*
 * pl_client_format_time: writes an RFC 3339 time (borrows it) for people into
 * `buf`, in UTC to the second: "2026-11-28 14:04:38 UTC". A string that is
 * not such a time is copied as it is (truncated to fit); NULL gives "-".
 * Returns buf.
 */
char *pl_client_format_time(const char *rfc3339, char *buf, size_t size);

/* How pl_client_format_local writes a time. */
typedef enum {
    PL_CLIENT_LOCAL_MINUTE, /* "2026-11-28 22:04", for tables */
    PL_CLIENT_LOCAL_ZONE,   /* "2026-11-28 22:04:38 +08:00", for records */
} pl_client_local_t;

/*
 * pl_client_format_local: writes an RFC 3339 time (borrows it) in the local
 * time of the machine (TZ) into `buf`, as `style` says. A string that is not
 * such a time is copied as it is (truncated to fit); NULL gives "-".
 * Returns buf.
 */
char *pl_client_format_local(const char *rfc3339, pl_client_local_t style, char *buf,
                             size_t size);

/*
 * pl_client_list_time: turns a `list --from/--to` value (borrows it) into an
 * RFC 3339 UTC time in `buf` (PL_TIME_RFC3339_SIZE bytes are enough): an
 * RFC 3339 time stays the same instant; a date YYYY-MM-DD is the local
 * midnight (TZ) that starts it, or, when `end_of_day` is true, the local
 * midnight that ends it (so that "--to 2026-11-30" takes in the 30th).
 * Returns 0, or PL_EINVAL when `when` is neither (buf is then "").
 */
int pl_client_list_time(const char *when, bool end_of_day, char *buf, size_t size);

/*
 * pl_client_event_from_args: the event that a `submit` or `explain` command
 * line describes (borrows `args`): read from args->file ("-" = stdin), from
 * stdin when it is not a terminal and no field option was given, or built
 * from the field options, which then need --content. Built events get
 * channel "phone" and source "plaint" unless given, and, when `make_event_id`
 * is true, a generated event id cli-<unix-ms>-<random hex> unless given.
 * `verb` (borrows) names the command in messages.
 * On PL_EXIT_OK *event_p is a new JSON object (caller json_decref's it);
 * otherwise the reason has been printed on stderr and the status is
 * PL_EXIT_USAGE (nothing to send, no --content, option not UTF-8) or
 * PL_EXIT_FAILED (unreadable file or stdin, not a JSON object, no memory).
 */
int pl_client_event_from_args(const pl_submit_args_t *args, const char *verb, bool make_event_id,
                              json_t **event_p);

/*
 * pl_client_interactive_event: asks for the register fields of a complaint
 * on `out` (borrows; prompts) and reads the answers from `in` (borrows), a
 * line each: name, phone, address, content (several lines, ended by an empty
 * one; required), channel (default phone), kind (default complaint), region,
 * product spec, order number, quantity, ship date (an empty answer skips an
 * optional field). Options in `given` (borrows) are the defaults shown in
 * brackets. Then it prints the whole record back to be read to the customer
 * and asks "Customer confirms? [y/N]" (R9).
 * On PL_EXIT_OK (the answer was y or yes) *event_p is the event, with a
 * generated event id unless `given` has one (caller json_decref's it).
 * Returns PL_EXIT_FAILED after printing "not submitted" when the customer
 * did not confirm or the input ended, PL_EXIT_USAGE when an option given is
 * not valid UTF-8.
 */
int pl_client_interactive_event(FILE *in, FILE *out, const pl_submit_args_t *given,
                                json_t **event_p);

/*
 * pl_client_print_outcome: writes the outcome of the case operation `args`
 * (borrows it and the daemon's success reply) to `out` on one line, e.g.
 * "TS-2026-000001: approved (level 1 of 2; next: general_manager); met:
 * approval".
 */
void pl_client_print_outcome(FILE *out, const pl_case_op_args_t *args, const json_t *reply);

/*
 * pl_client_print_list: writes the cases of a `list` reply (borrows it) to
 * `out` as a table: case, received (local time), status, category, assignee,
 * overdue, summary; then "showing 1-50 of 123 (--offset 50 for more)", or
 * "no cases" when nothing matched. `offset` is the one asked for.
 */
void pl_client_print_list(FILE *out, const json_t *reply, long offset);

/*
 * pl_client_print_case: writes a case object (borrows it) to `out` for
 * people: the event, the decision, the handling (round, cause, proposal,
 * approvals, follow-ups, CAPA), the steps allowed now, deadlines (UTC),
 * matched rules and history.
 */
void pl_client_print_case(FILE *out, const json_t *c);

/*
 * pl_client_print_register: writes the case's row of the complaint register
 * (客户投诉处理登记表, R7; with the product columns of R8 when the case has
 * product data) to `out` as a block of Chinese labels and values, times in
 * local time with the zone, "-" for what is not known. Borrows both.
 */
void pl_client_print_register(FILE *out, const json_t *c);

/*
 * pl_client_print_file: writes the complaint file of a case (客户投诉档案,
 * R24) to `out`: the register block, classification and routing, handling
 * measures, approvals, reply, follow-ups, CAPA, deadlines and the whole
 * history, each under a heading; times in local time with the zone.
 * Borrows both.
 */
void pl_client_print_file(FILE *out, const json_t *c);

/*
 * pl_client_help: the help text of `command` (borrows it; NULL = the global
 * help), or NULL for an unknown command. pl_client_usage: the short usage
 * printed after a usage error.
 */
const char *pl_client_help(const char *command);
extern const char pl_client_usage[];

/*
 * pl_client_random_hex: fills `buf` with `size` - 1 random lower-case hex
 * digits from /dev/urandom (falling back to the clock and pid) and a NUL.
 * Returns buf.
 */
char *pl_client_random_hex(char *buf, size_t size);

/* The commands. Each borrows its arguments and returns a PL_EXIT_* status. */

/*
 * pl_cmd_ping: asks the daemon whether it is alive; prints version, uptime,
 * database state and rules version.
 */
int pl_cmd_ping(const pl_client_opts_t *opts);

/*
 * pl_cmd_submit: submits one event from a file, stdin or field flags; with
 * args->interactive, the event asked for on the terminal and confirmed by
 * the customer, and then confirms the case (op "confirm", by args->by).
 */
int pl_cmd_submit(const pl_client_opts_t *opts, const pl_submit_args_t *args);

/*
 * pl_cmd_show: fetches case `case_no` and prints it for people (`format`
 * NULL), as its register row ("register"), as its complaint file ("file"),
 * or with --json as the case object on one line.
 */
int pl_cmd_show(const pl_client_opts_t *opts, const char *case_no, const char *format);

/*
 * pl_cmd_list: lists the cases that match the filters, newest received
 * first, as a table (pl_client_print_list); with --json the reply as it came.
 */
int pl_cmd_list(const pl_client_opts_t *opts, const pl_list_args_t *args);

/*
 * pl_cmd_explain: asks how the running rules would classify and route one
 * event (from a file, stdin or field options) without storing it; prints the
 * decision and why, or with --json the "explain" object on one line.
 */
int pl_cmd_explain(const pl_client_opts_t *opts, const pl_submit_args_t *args);

/*
 * pl_cmd_reload: asks the daemon to reload its configuration; prints the new
 * rules version, or each configuration error as file:line:column: message on
 * stderr (PL_EXIT_FAILED; the daemon keeps its running rules).
 */
int pl_cmd_reload(const pl_client_opts_t *opts);

/*
 * pl_cmd_case_op: sends one case operation (confirm, assign, note, report,
 * visit, analyse, propose, approve, reject, reply, followup, close, reopen,
 * capa, remark, pause, resume) and prints its outcome and what it did to the
 * case's deadlines (pl_client_print_outcome), e.g. "TS-2026-000001: note
 * recorded; re-armed: progress_report (due ...)"; with --json the reply as
 * it came. A step the case's status does not allow, an unknown case or a
 * bad field is a refusal, printed with the daemon's message.
 */
int pl_cmd_case_op(const pl_client_opts_t *opts, const pl_case_op_args_t *args);

/*
 * pl_cmd_overdue: lists the deadlines past due, oldest first, as a table (or
 * "nothing overdue"); with --json the "overdue" array on one line. `limit`
 * is the most rows asked for, 0 = the daemon's default.
 */
int pl_cmd_overdue(const pl_client_opts_t *opts, long limit);

/*
 * pl_cmd_watch: subscribes to the daemon's publish socket and prints each
 * message as it comes, one line each, until SIGINT/SIGTERM (PL_EXIT_OK),
 * args->count messages (PL_EXIT_OK) or args->timeout_ms without one
 * (PL_EXIT_TIMEOUT).
 */
int pl_cmd_watch(const pl_client_opts_t *opts, const pl_watch_args_t *args);

/* pl_cmd_bench: publishes synthetic events over pipelined connections and reports latency. */
int pl_cmd_bench(const pl_client_opts_t *opts, const pl_bench_args_t *args);

#endif
