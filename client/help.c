/*
 * The help texts of `plaint` (main.c prints them): the short usage, the
 * global help and one text per command, looked up by the command's name.
 */
#include "client/client.h"

#include <string.h>

const char pl_client_usage[] =
    "usage: plaint [--endpoint E] [--timeout MS] [--json] COMMAND [ARGS]\n"
    "       plaint ping | submit [-i | EVENT OPTIONS] | explain [EVENT OPTIONS]\n"
    "              | show CASE_NO [--format register|file] | list [FILTERS]\n"
    "              | confirm | assign | note | report | visit | analyse | propose\n"
    "              | approve | reject | reply | followup | close | reopen | capa\n"
    "              | remark | pause | resume   (each CASE_NO [OPTIONS])\n"
    "              | overdue | watch [TOPIC...] | reload | bench [BENCH OPTIONS]\n"
    "Try 'plaint --help' or 'plaint COMMAND --help'.\n";

static const char s_help_global[] =
    "plaint: the command-line client of plaintd, the Plaint complaint daemon.\n"
    "\n"
    "usage: plaint [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  ping                  check that plaintd answers\n"
    "  submit                register a complaint event (from a file, stdin or options;\n"
    "                        -i asks for it and reads it back to the customer)\n"
    "  show CASE_NO          print a case, with its deadlines and history; its register\n"
    "                        row (--format register) or its file (--format file)\n"
    "  list                  list the cases that match filters, newest first\n"
    "  explain               show how the rules would classify and route an event,\n"
    "                        without storing it (same input as submit)\n"
    "  overdue               list the deadlines past due, oldest first\n"
    "  watch [TOPIC...]      print the daemon's case events as they are published\n"
    "  reload                make plaintd reload its configuration and rules\n"
    "  bench                 publish synthetic events, measure acknowledgement latency\n"
    "\n"
    "steps of a case (docs/lifecycle.md), each 'plaint STEP CASE_NO [OPTIONS]':\n"
    "  confirm               the complaint was read back to the customer (R9)\n"
    "  assign                hand it to a person or department (--to ID)\n"
    "  note TEXT             add a progress note (meets its progress report)\n"
    "  report TEXT           record a report to the general manager\n"
    "  visit                 record the site visit (--finding, --responsibility)\n"
    "  analyse               record the cause analysis (--cause, --responsibility)\n"
    "  propose               propose the resolution (--result); it goes for approval\n"
    "  approve, reject       decide on the proposal at the current approval level\n"
    "  reply                 record the reply given to the customer (--text TEXT)\n"
    "  followup              record the follow-up (--method, --satisfied yes|no)\n"
    "  close, reopen         close the case (cancels its deadlines); reopen it\n"
    "  capa                  add a corrective/preventive action, or verify one\n"
    "  remark TEXT           add to the register's remarks\n"
    "  pause, resume         stop and restart the clocks of its pausable deadlines\n"
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
    "       plaint submit -i [FIELD OPTIONS] [--by WHO]\n"
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
    "daemon's reply is printed as it came.\n"
    "\n"
    "-i, --interactive: for the intake desk on the phone (R9). Asks on the\n"
    "terminal for the register fields one by one: name, phone, address, the\n"
    "complaint (several lines, ended by an empty line; required), channel\n"
    "(default phone), kind (default complaint), region, and the product's spec,\n"
    "order number, quantity and ship date (an empty answer skips a field; field\n"
    "options given are the defaults). Then it prints the whole record to be read\n"
    "back to the customer and asks \"Customer confirms? [y/N]\". Only y or yes\n"
    "submits it, and then confirms the case (as 'plaint confirm' does, by --by\n"
    "WHO, default $PLAINT_USER, else the login name); anything else exits 1,\n"
    "\"not submitted\". Prompts go to stderr; answers are read a line at a time\n"
    "from stdin, which need not be a terminal. With --json, the submit reply and\n"
    "then the confirm reply, one line each.\n";

static const char s_help_show[] =
    "usage: plaint show CASE_NO [--format register|file] [--json]\n"
    "\n"
    "Prints the case as a register entry: the event, what the rules decided\n"
    "(category, severity, tags, department, assignee, who is informed, the rules\n"
    "version), the status with the handling round and whether it was escalated,\n"
    "the steps allowed now, the handling (responsibility, cause, proposed\n"
    "resolution, result replied to the customer, remarks), the approvals, the\n"
    "follow-ups, the corrective and preventive actions (CAPA), the deadlines\n"
    "(name, due time in UTC, status with the escalation level reached,\n"
    "\"recurring\" for repeating ones, label), the matched rules with why each\n"
    "matched, and the history. With --json, the case object on one line.\n"
    "\n"
    "  --format register  the case's row of the complaint register\n"
    "                    (客户投诉处理登记表, R7, with the product columns of R8):\n"
    "                    序号 (the case number), 时间, 投诉人, 地址, 电话, 投诉内容,\n"
    "                    处理结果, 回访方式, 回访时间, 回访人, 客户意见, 备注\n"
    "  --format file     the complaint file to archive (客户投诉档案, R24): the\n"
    "                    register row, classification and routing, handling\n"
    "                    measures, approvals, reply, follow-ups, CAPA, deadlines\n"
    "                    and the whole history, each under a heading\n"
    "Both print times in the machine's local time zone (TZ) with its offset, and\n"
    "\"-\" for what is not known yet; they cannot be combined with --json.\n";

static const char s_help_list[] =
    "usage: plaint list [--status S[,S...]] [--kind K] [--category C]\n"
    "                   [--department D] [--assignee P] [--overdue]\n"
    "                   [--from WHEN] [--to WHEN] [--text T]\n"
    "                   [--limit N] [--offset N] [--json]\n"
    "\n"
    "Lists the cases that match every filter given, newest received first, one\n"
    "row each: case number, when received (local time), status, category,\n"
    "assignee, \"yes\" when overdue, and the start of the complaint. A footer\n"
    "says which rows these are:\n"
    "  showing 1-50 of 123 (--offset 50 for more)\n"
    "\n"
    "  --status S        registered, confirmed, assigned, investigating,\n"
    "                    resolution_proposed, approved, replied, followup or\n"
    "                    closed; several separated by commas\n"
    "  --kind K  --category C  --department D  --assignee P   ids as configured\n"
    "  --overdue         only cases with a deadline breached or past due\n"
    "  --from WHEN       received at or after WHEN\n"
    "  --to WHEN         received before WHEN\n"
    "                    WHEN is an RFC 3339 time, or a date YYYY-MM-DD in the\n"
    "                    machine's local time zone (TZ): --from takes the\n"
    "                    midnight that starts that day, --to the midnight that\n"
    "                    ends it, so --from 2026-11-01 --to 2026-11-30 is all of\n"
    "                    November\n"
    "  --text T          the complaint contains T (1 to 200 bytes; ASCII letters\n"
    "                    match either case)\n"
    "  --limit N         at most N rows, 1 to 1000 (default 50)\n"
    "  --offset N        skip the first N matches\n"
    "\n"
    "With --json, the daemon's reply as it came.\n";

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
    "Prints the case number, the outcome and what the step did to the case's\n"            \
    "deadlines: those it met, those re-armed (recurring ones, due again one\n"              \
    "period later) and those cancelled; with --json, the daemon's reply as it\n"            \
    "came. A step the case's status does not allow is refused with the daemon's\n"         \
    "message, which names the steps allowed now; so are an unknown case and an\n"           \
    "invalid field (exit 1). A missing option is a usage error (exit 2).\n"

static const char s_help_confirm[] =
    "usage: plaint confirm CASE_NO [--text TEXT] [--by WHO]\n"
    "\n"
    "Records that the complaint was read back to the customer and the customer\n"
    "confirmed it (R9). A registered case becomes \"confirmed\", or \"assigned\"\n"
    "when the router already chose a person. ('plaint submit -i' confirms the\n"
    "cases it registers.)\n"
    "  TS-2026-000123: confirmed (status assigned)\n"
    "\n"
    "  --text TEXT       what was read back, or what the customer corrected\n"
    S_HELP_BY;

static const char s_help_assign[] =
    "usage: plaint assign CASE_NO --to ID [--by WHO]\n"
    "\n"
    "Hands the case to a person or a department of the directory (R12-R14). A\n"
    "confirmed or assigned case becomes \"assigned\"; an investigating one keeps\n"
    "its status and changes hands.\n"
    "  TS-2026-000123: assigned to li_na (department quality)\n"
    "\n"
    "  --to ID           the person's or department's id (required)\n"
    S_HELP_BY;

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

static const char s_help_visit[] =
    "usage: plaint visit CASE_NO --finding TEXT --responsibility quality|misuse|other\n"
    "                    [--by WHO]\n"
    "\n"
    "Records the visit or on-site consultation with the customer, what it found,\n"
    "and who is responsible: \"quality\" (the product), \"misuse\" (improper use)\n"
    "or \"other\" (R11, R16); that becomes the case's responsibility, and an\n"
    "assigned case becomes \"investigating\". A visit meets the deadlines met by\n"
    "\"visit\", such as the site visit within 2 working days (R16).\n"
    "  TS-2026-000123: visit recorded; met: site_visit\n"
    "\n"
    "  --finding TEXT    what was found (required)\n"
    "  --responsibility R   quality, misuse or other (required)\n"
    S_HELP_BY;

static const char s_help_analyse[] =
    "usage: plaint analyse CASE_NO --cause TEXT --responsibility quality|misuse|other\n"
    "                      [--by WHO]\n"
    "\n"
    "Records the cause analysis (R11, R23): the root cause found and who is\n"
    "responsible, \"quality\" (the product), \"misuse\" (improper use) or\n"
    "\"other\"; they become the case's cause and responsibility. An assigned\n"
    "case becomes \"investigating\".\n"
    "  TS-2026-000123: analysis recorded (investigating)\n"
    "\n"
    "  --cause TEXT      the root cause (required)\n"
    "  --responsibility R   quality, misuse or other (required)\n"
    S_HELP_BY;

static const char s_help_propose[] =
    "usage: plaint propose CASE_NO --result TEXT [--by WHO]\n"
    "\n"
    "Proposes how to resolve an investigating case (its responsibility must be\n"
    "known: visit or analyse first). The approval matrix decides who approves\n"
    "it, level by level (R20): the case waits in \"resolution_proposed\". When\n"
    "the matrix asks for nobody, it is approved at once.\n"
    "  TS-2026-000123: proposed; approval: level 1 of 2 (vp_marketing)\n"
    "  TS-2026-000123: proposed; no approval needed (approved)\n"
    "\n"
    "  --result TEXT     the proposed resolution (required)\n"
    S_HELP_BY;

static const char s_help_approve[] =
    "usage: plaint approve CASE_NO [--reason TEXT] [--by WHO]\n"
    "\n"
    "Approves the proposed resolution at the current level of the approval\n"
    "matrix (R20). The actor (--by, else $PLAINT_USER) must be a person of the\n"
    "directory holding one of the level's roles; otherwise the daemon refuses\n"
    "and names the roles that may. After the last level the case is \"approved\"\n"
    "and the reply may go out.\n"
    "  TS-2026-000123: approved (level 1 of 2; next: general_manager)\n"
    "  TS-2026-000123: approved (level 2 of 2; the resolution is approved)\n"
    "\n"
    "  --reason TEXT     a comment for the record\n"
    S_HELP_BY;

static const char s_help_reject[] =
    "usage: plaint reject CASE_NO --reason TEXT [--by WHO]\n"
    "\n"
    "Rejects the proposed resolution at the current approval level, by a person\n"
    "holding one of its roles (as for approve). The case goes back to\n"
    "\"investigating\"; the next proposal starts its approvals again.\n"
    "  TS-2026-000123: rejected (back to investigating)\n"
    "\n"
    "  --reason TEXT     why (required)\n"
    S_HELP_BY;

static const char s_help_reply[] =
    "usage: plaint reply CASE_NO --text TEXT [--by WHO]\n"
    "       plaint reply CASE_NO TEXT... [--by WHO]\n"
    "\n"
    "Records the reply given to the customer once the resolution is approved\n"
    "(R20); it becomes the case's handling result, the register's 处理结果 (the\n"
    "latest reply wins), and the case becomes \"replied\". A reply meets the\n"
    "deadlines met by \"reply\", such as the 24-hour reply to wrong or missing\n"
    "goods (R17).\n"
    "  TS-2026-000123: reply recorded; met: reply\n"
    "\n"
    "  --text TEXT       what the customer was told (or words after the case number)\n"
    S_HELP_BY;

static const char s_help_followup[] =
    "usage: plaint followup CASE_NO --method phone|visit|sms|wechat|email\n"
    "                       --satisfied yes|no [--opinion TEXT] [--at TIME] [--by WHO]\n"
    "\n"
    "Records the follow-up with the customer after the reply (R21): how, when,\n"
    "by whom (--by), whether the customer is satisfied and what they said.\n"
    "Satisfied: the case becomes \"followup\", ready to close. Unsatisfied: it\n"
    "goes back to \"assigned\" for a second handling (round 2); unsatisfied in\n"
    "round 2 or later: it is escalated to the sales manager (R22).\n"
    "  TS-2026-000123: followup recorded; satisfied\n"
    "  TS-2026-000123: followup recorded; unsatisfied: handled again (round 2)\n"
    "  TS-2026-000123: followup recorded; unsatisfied: escalated to liu_peng (round 3)\n"
    "\n"
    "  --method M        phone, visit, sms, wechat or email (required)\n"
    "  --satisfied yes|no   whether the customer is satisfied (required)\n"
    "  --opinion TEXT    the customer's opinion, in their words\n"
    "  --at TIME         when the follow-up took place, RFC 3339 (default: now)\n"
    S_HELP_BY;

static const char s_help_close[] =
    "usage: plaint close CASE_NO [--reason TEXT] [--by WHO]\n"
    "\n"
    "Closes the case. After a satisfied follow-up no reason is needed; closing\n"
    "at any other step needs --reason (the daemon refuses it otherwise).\n"
    "Deadlines met by \"close\" are met; every other deadline it still has\n"
    "(pending or breached) is cancelled, so nothing more is warned or\n"
    "escalated.\n"
    "  TS-2026-000123: closed; cancelled: site_visit, progress_report\n"
    "\n"
    "  --reason TEXT     why the case is closed (--text TEXT is taken as the same)\n"
    S_HELP_BY;

static const char s_help_reopen[] =
    "usage: plaint reopen CASE_NO --reason TEXT [--by WHO]\n"
    "\n"
    "Reopens a closed case: it becomes \"assigned\" again, in a new handling\n"
    "round, which needs its own proposal, approval and reply.\n"
    "  TS-2026-000123: reopened (round 2)\n"
    "\n"
    "  --reason TEXT     why (required)\n"
    S_HELP_BY;

static const char s_help_capa[] =
    "usage: plaint capa CASE_NO --kind corrective|preventive --action TEXT\n"
    "                   --owner WHO --due YYYY-MM-DD [--by WHO]\n"
    "       plaint capa CASE_NO --verify N --result TEXT --effective yes|no\n"
    "                   [--by WHO]\n"
    "\n"
    "Corrective and preventive actions (CAPA, R23). The first form adds one:\n"
    "what is to be done, by whom, by when; the daemon numbers them 1, 2, ... in\n"
    "the case. The second records the verification of action N: what was found\n"
    "and whether the action was effective. Any status but registered, closed\n"
    "included.\n"
    "  TS-2026-000123: capa 2 added\n"
    "  TS-2026-000123: capa 2 verified: effective\n"
    "\n"
    "  --kind K          corrective or preventive\n"
    "  --action TEXT     what is to be done\n"
    "  --owner WHO       who does it (1 to 128 bytes)\n"
    "  --due DATE        by when, YYYY-MM-DD\n"
    "  --verify N        the number of the action verified\n"
    "  --result TEXT     what the verification found\n"
    "  --effective yes|no   whether the action worked\n"
    S_HELP_BY;

static const char s_help_remark[] =
    "usage: plaint remark CASE_NO TEXT... [--by WHO]\n"
    "       plaint remark CASE_NO --text TEXT [--by WHO]\n"
    "\n"
    "Adds to the case's remarks, the last column of the complaint register\n"
    "(备注, R7). Allowed at any status, closed too.\n"
    "  TS-2026-000123: remark recorded\n"
    "\n"
    "  --text TEXT       the remark, instead of words after the case number\n"
    S_HELP_BY;

static const char s_help_pause[] =
    "usage: plaint pause CASE_NO --reason TEXT [--by WHO]\n"
    "\n"
    "Stops the clocks of the case's pausable deadlines, e.g. while the customer\n"
    "cannot be reached; 'plaint resume' restarts them. The status stays.\n"
    "  TS-2026-000123: paused; stopped: reply, site_visit\n"
    "\n"
    "  --reason TEXT     why (required)\n"
    S_HELP_BY;

static const char s_help_resume[] =
    "usage: plaint resume CASE_NO [--by WHO]\n"
    "\n"
    "Restarts the clocks that 'plaint pause' stopped: each of those deadlines\n"
    "falls due later by the time the case was paused.\n"
    "  TS-2026-000123: resumed; restarted: reply (due 2026-11-29 10:00:00 UTC)\n"
    "\n"
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

static const struct {
    const char *command;
    const char *text;
} s_helps[] = {
    {"ping", s_help_ping},         {"submit", s_help_submit},     {"show", s_help_show},
    {"list", s_help_list},         {"explain", s_help_explain},   {"reload", s_help_reload},
    {"bench", s_help_bench},       {"confirm", s_help_confirm},   {"assign", s_help_assign},
    {"note", s_help_note},         {"report", s_help_report},     {"visit", s_help_visit},
    {"analyse", s_help_analyse},   {"propose", s_help_propose},   {"approve", s_help_approve},
    {"reject", s_help_reject},     {"reply", s_help_reply},       {"followup", s_help_followup},
    {"close", s_help_close},       {"reopen", s_help_reopen},     {"capa", s_help_capa},
    {"remark", s_help_remark},     {"pause", s_help_pause},       {"resume", s_help_resume},
    {"overdue", s_help_overdue},   {"watch", s_help_watch},
};

const char *pl_client_help(const char *command)
{
    if (!command) {
        return s_help_global;
    }
    for (size_t i = 0; i < sizeof s_helps / sizeof s_helps[0]; i++) {
        if (strcmp(command, s_helps[i].command) == 0) {
            return s_helps[i].text;
        }
    }
    return NULL;
}
