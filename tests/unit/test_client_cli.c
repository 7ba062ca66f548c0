/*
 * Unit tests for the `plaint` command line (client/main.c and the commands):
 * help texts, usage errors (exit 2, naming the option), and the requests
 * each command sends and how it prints the replies, against a fake daemon
 * (a ROUTER socket in a thread that answers with canned replies). Runs the
 * real build/plaint (PL_BUILD_DIR), so build it first (make does).
 * Run one test with: test_client_cli <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "it.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define S_MAX_ARGS 40

/* ---------------------------------------------------------------- the fake daemon */

/*
 * A ROUTER socket that records each request and answers it with the next
 * canned reply (or an "internal" refusal when none is left).
 */
typedef struct s_fake {
    void *ctx;
    void *router;
    char endpoint[64];
    pthread_t thread;
    pthread_mutex_t lock;
    json_t *requests;      /* what came, in order */
    json_t *replies;       /* strings still to send, in order */
    volatile int stop;
} s_fake_t;

static void *s_fake_run(void *arg)
{
    s_fake_t *f = arg;
    while (!f->stop) {
        zmq_pollitem_t item = {.socket = f->router, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, 20) <= 0) {
            continue;
        }
        zmq_msg_t parts[3];
        int count = 0;
        int more = 1;
        while (more && count < 3) {
            zmq_msg_init(&parts[count]);
            zmq_msg_recv(&parts[count], f->router, 0);
            more = zmq_msg_more(&parts[count]);
            count++;
        }
        if (count == 3) {
            json_t *request = json_loadb(zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]), 0,
                                         NULL);
            pthread_mutex_lock(&f->lock);
            json_array_append_new(f->requests, request ? request : json_string("unparsable"));
            json_t *canned = json_array_get(f->replies, 0);
            char *reply = strdup(canned ? json_string_value(canned)
                                        : "{\"ok\":false,\"error\":{\"code\":\"internal\","
                                          "\"message\":\"no canned reply\"}}");
            if (canned) {
                json_array_remove(f->replies, 0);
            }
            pthread_mutex_unlock(&f->lock);
            zmq_send(f->router, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), ZMQ_SNDMORE);
            zmq_send(f->router, "", 0, ZMQ_SNDMORE);
            zmq_send(f->router, reply, strlen(reply), 0);
            free(reply);
        }
        for (int i = 0; i < count; i++) {
            zmq_msg_close(&parts[i]);
        }
    }
    return NULL;
}

static s_fake_t *s_fake_start(void)
{
    s_fake_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ctx = zmq_ctx_new();
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(f->router, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_bind(f->router, "tcp://127.0.0.1:*"), 0);
    size_t size = sizeof f->endpoint;
    assert_int_equal(zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, f->endpoint, &size), 0);
    pthread_mutex_init(&f->lock, NULL);
    f->requests = json_array();
    f->replies = json_array();
    assert_int_equal(pthread_create(&f->thread, NULL, s_fake_run, f), 0);
    return f;
}

static void s_fake_stop(s_fake_t *f)
{
    f->stop = 1;
    pthread_join(f->thread, NULL);
    zmq_close(f->router);
    zmq_ctx_term(f->ctx);
    pthread_mutex_destroy(&f->lock);
    json_decref(f->requests);
    json_decref(f->replies);
    free(f);
}

/* Queues a reply to send after those queued before. */
static void s_fake_queue(s_fake_t *f, const char *reply)
{
    pthread_mutex_lock(&f->lock);
    json_array_append_new(f->replies, json_string(reply));
    pthread_mutex_unlock(&f->lock);
}

/* Forgets the requests seen so far and queues `reply` (NULL = none). */
static void s_fake_expect(s_fake_t *f, const char *reply)
{
    pthread_mutex_lock(&f->lock);
    json_array_clear(f->requests);
    pthread_mutex_unlock(&f->lock);
    if (reply) {
        s_fake_queue(f, reply);
    }
}

/* The request number `i` seen (a new reference), or NULL. */
static json_t *s_fake_request(s_fake_t *f, size_t i)
{
    pthread_mutex_lock(&f->lock);
    json_t *r = json_incref(json_array_get(f->requests, i));
    pthread_mutex_unlock(&f->lock);
    return r;
}

/* ---------------------------------------------------------------- running plaint */

typedef struct {
    int status;
    char *out;
    char *err;
} s_result_t;

/* Runs plaint with the words of `line` (split on '|', so that words may hold spaces). */
static s_result_t s_plaint(const char *endpoint, const char *line, const char *input)
{
    char *copy = strdup(line);
    const char *argv[S_MAX_ARGS + 4];
    size_t argc = 0;
    argv[argc++] = "plaint";
    if (endpoint) {
        argv[argc++] = "--endpoint";
        argv[argc++] = endpoint;
    }
    for (char *word = copy; word && argc < S_MAX_ARGS;) {
        char *bar = strchr(word, '|');
        if (bar) {
            *bar = '\0';
        }
        argv[argc++] = word;
        word = bar ? bar + 1 : NULL;
    }
    argv[argc] = NULL;
    s_result_t r = {0};
    r.status = it_run(argv, input, &r.out, &r.err);
    free(copy);
    return r;
}

static void s_result_free(s_result_t *r)
{
    free(r->out);
    free(r->err);
}

static void s_fail_run(const char *line, const s_result_t *r, const char *why)
{
    fprintf(stderr, "plaint %s: %s\nexit %d\nstdout:\n%s\nstderr:\n%s\n", line, why, r->status,
            r->out ? r->out : "", r->err ? r->err : "");
    fail();
}

/* ---------------------------------------------------------------- help */

static const char *const s_commands[] = {
    "ping",    "submit",  "show",   "list",    "explain", "reload",   "bench",  "confirm",
    "assign",  "note",    "report", "visit",   "analyse", "propose",  "approve", "reject",
    "reply",   "followup", "close", "reopen",  "capa",    "remark",   "pause",  "resume",
    "overdue", "watch",
};

/* Does `word` stand in `text` as a word of its own (after a space, before a space or comma)? */
static bool s_has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        if (p > text && p[-1] == ' ' && (p[n] == ' ' || p[n] == ',' || p[n] == '\n')) {
            return true;
        }
    }
    return false;
}

static void test_help(void **state)
{
    (void)state;
    s_result_t global = s_plaint(NULL, "--help", NULL);
    assert_int_equal(global.status, 0);
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++) {
        char line[64], usage[64];
        snprintf(line, sizeof line, "%s|--help", s_commands[i]);
        snprintf(usage, sizeof usage, "usage: plaint %s", s_commands[i]);
        s_result_t r = s_plaint(NULL, line, NULL);
        if (r.status != 0 || strncmp(r.out, usage, strlen(usage)) != 0) {
            s_fail_run(line, &r, "no help of its own");
        }
        /* Every command is in the global help and in the short usage. */
        if (!s_has_word(global.out, s_commands[i])) {
            s_fail_run("--help", &global, s_commands[i]);
        }
        s_result_free(&r);
    }
    s_result_t bad = s_plaint(NULL, "frobnicate", NULL);
    assert_int_equal(bad.status, 2);
    for (size_t i = 0; i < ARRAY_SIZE(s_commands); i++) {
        if (!s_has_word(bad.err, s_commands[i])) {
            s_fail_run("frobnicate", &bad, s_commands[i]);
        }
    }
    s_result_free(&bad);
    s_result_free(&global);
}

/* ---------------------------------------------------------------- usage errors */

static void test_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *says;
    } cases[] = {
        {"confirm", "confirm needs a case number"},
        {"confirm|TS-1|--text|", "option --text must not be empty"},
        {"confirm|TS-1|extra", "unexpected argument 'extra'"},
        {"assign|TS-1", "assign needs --to ID"},
        {"assign|TS-1|--to", "option --to needs a value"},
        {"analyse|TS-1|--responsibility|quality", "analyse needs --cause"},
        {"analyse|TS-1|--cause|x", "analyse needs --responsibility"},
        {"analyse|TS-1|--cause|x|--responsibility|nobody",
         "option --responsibility needs quality, misuse or other, not 'nobody'"},
        {"visit|TS-1|--finding|x|--responsibility|QUALITY", "option --responsibility"},
        {"propose|TS-1", "propose needs --result"},
        {"approve|TS-1|--by|", "option --by must not be empty"},
        {"approve|TS-1|--to|x", "unknown option --to for 'approve'"},
        {"reject|TS-1", "reject needs --reason"},
        {"followup|TS-1|--satisfied|yes", "followup needs --method"},
        {"followup|TS-1|--method|phone", "followup needs --satisfied"},
        {"followup|TS-1|--method|fax|--satisfied|yes",
         "option --method needs phone, visit, sms, wechat or email, not 'fax'"},
        {"followup|TS-1|--method|sms|--satisfied|true",
         "option --satisfied needs yes or no, not 'true'"},
        {"followup|TS-1|--method|sms|--satisfied|no|--at|2026-11-30",
         "option --at needs an RFC 3339 time"},
        {"close|TS-1|--reason|a|--text|b", "give --reason or --text, not both"},
        {"reopen|TS-1", "reopen needs --reason"},
        {"capa|TS-1", "capa needs --kind"},
        {"capa|TS-1|--kind|fix|--action|a|--owner|o|--due|2026-12-01",
         "option --kind needs corrective or preventive, not 'fix'"},
        {"capa|TS-1|--kind|corrective|--action|a|--owner|o", "capa needs --due"},
        {"capa|TS-1|--kind|corrective|--action|a|--due|2026-12-01", "capa needs --owner"},
        {"capa|TS-1|--kind|corrective|--action|a|--owner|o|--due|12/01/2026",
         "option --due needs a date YYYY-MM-DD, not '12/01/2026'"},
        {"capa|TS-1|--verify|0|--result|r|--effective|yes",
         "option --verify needs a whole number from 1"},
        {"capa|TS-1|--verify|2|--result|r", "capa needs --effective"},
        {"capa|TS-1|--verify|2|--effective|no", "capa needs --result"},
        {"capa|TS-1|--verify|2|--result|r|--effective|no|--owner|o", "not both"},
        {"capa|TS-1|--owner|", "option --owner must not be empty"},
        {"remark|TS-1", "remark needs a text"},
        {"remark|TS-1|a|--text|b", "not both"},
        {"pause|TS-1", "pause needs --reason"},
        {"resume|TS-1|--reason|x", "unknown option --reason for 'resume'"},
        {"list|--status|open", "option --status: 'open' is not a status"},
        {"list|--status|closed,", "option --status: '' is not a status"},
        {"list|--from|last week", "option --from needs a date YYYY-MM-DD or an RFC 3339 time"},
        {"list|--to|2026-02-30", "option --to needs a date"},
        {"list|--limit|1001", "option --limit needs a whole number from 1 to 1000"},
        {"list|--offset|-1", "option --offset needs a whole number from 0"},
        {"list|--text|", "option --text must not be empty"},
        {"list|TS-1", "unexpected argument 'TS-1'"},
        {"show|TS-1|--format|pdf", "option --format needs register or file, not 'pdf'"},
        {"show|TS-1|--format|file|--json", "--format and --json cannot be combined"},
        {"submit|-i|--file|x.json", "-i cannot be combined with --file"},
        {"submit|--content|x|--by|me", "--by goes with -i"},
    };
    char long_text[300];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(cases) + 1; i++) {
        char line[512];
        const char *says = i < ARRAY_SIZE(cases)
                               ? cases[i].says
                               : "option --text is too long: 299 bytes, at most 200";
        if (i < ARRAY_SIZE(cases)) {
            snprintf(line, sizeof line, "%s", cases[i].line);
        } else {
            snprintf(line, sizeof line, "list|--text|%s", long_text);
        }
        s_result_t r = s_plaint("tcp://127.0.0.1:1", line, NULL);
        if (r.status != 2 || !strstr(r.err, says) || strstr(r.err, "no answer")) {
            s_fail_run(line, &r, says);
        }
        s_result_free(&r);
    }
}

/* ---------------------------------------------------------------- requests and outcomes */

static void test_requests(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *reply;
        const char *request;
        const char *out;
    } cases[] = {
        {"confirm|TS-1|--text|已复述", "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"assigned\"}",
         "{\"op\":\"confirm\",\"case_no\":\"TS-1\",\"text\":\"已复述\",\"by\":\"tester\"}",
         "TS-1: confirmed (status assigned)\n"},
        {"assign|TS-1|--to|li_na|--by|boss",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"assigned\",\"assignee\":\"li_na\","
         "\"department\":\"quality\"}",
         "{\"op\":\"assign\",\"case_no\":\"TS-1\",\"to\":\"li_na\",\"by\":\"boss\"}",
         "TS-1: assigned to li_na (department quality)\n"},
        {"analyse|TS-1|--cause|外壳缺陷|--responsibility|quality",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"investigating\"}",
         "{\"op\":\"analyse\",\"case_no\":\"TS-1\",\"cause\":\"外壳缺陷\","
         "\"responsibility\":\"quality\",\"by\":\"tester\"}",
         "TS-1: analysis recorded (investigating)\n"},
        {"propose|TS-1|--result|换新",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"resolution_proposed\",\"approvals\":"
         "[{\"level\":1,\"roles\":[\"vp_marketing\"]},{\"level\":2,\"roles\":[\"gm\"]}]}",
         "{\"op\":\"propose\",\"case_no\":\"TS-1\",\"result\":\"换新\",\"by\":\"tester\"}",
         "TS-1: proposed; approval: level 1 of 2 (vp_marketing)\n"},
        {"approve|TS-1",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"resolution_proposed\",\"level\":1,"
         "\"levels\":2,\"next\":{\"level\":2,\"roles\":[\"general_manager\"]},\"met\":[],"
         "\"rearmed\":[],\"cancelled\":[]}",
         "{\"op\":\"approve\",\"case_no\":\"TS-1\",\"by\":\"tester\"}",
         "TS-1: approved (level 1 of 2; next: general_manager)\n"},
        {"approve|TS-1|--reason|同意",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"approved\",\"level\":2,\"next\":null}",
         "{\"op\":\"approve\",\"case_no\":\"TS-1\",\"reason\":\"同意\",\"by\":\"tester\"}",
         "TS-1: approved (level 2; the resolution is approved)\n"},
        {"reject|TS-1|--reason|赔偿过高",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"investigating\"}",
         "{\"op\":\"reject\",\"case_no\":\"TS-1\",\"reason\":\"赔偿过高\",\"by\":\"tester\"}",
         "TS-1: rejected (back to investigating)\n"},
        {"reply|TS-1|已更换",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"replied\",\"met\":[\"reply\"]}",
         "{\"op\":\"reply\",\"case_no\":\"TS-1\",\"text\":\"已更换\",\"by\":\"tester\"}",
         "TS-1: reply recorded; met: reply\n"},
        {"followup|TS-1|--method|wechat|--satisfied|no|--opinion|还是漏|--at|"
         "2026-11-30T10:00:00+08:00",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"assigned\",\"round\":3,"
         "\"escalated\":true,\"assignee\":\"liu_peng\"}",
         "{\"op\":\"followup\",\"case_no\":\"TS-1\",\"method\":\"wechat\",\"satisfied\":false,"
         "\"opinion\":\"还是漏\",\"at\":\"2026-11-30T10:00:00+08:00\",\"by\":\"tester\"}",
         "TS-1: followup recorded; unsatisfied: escalated to liu_peng (round 3)\n"},
        {"followup|TS-1|--method|phone|--satisfied|yes",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"followup\",\"round\":1}",
         "{\"op\":\"followup\",\"case_no\":\"TS-1\",\"method\":\"phone\",\"satisfied\":true,"
         "\"by\":\"tester\"}",
         "TS-1: followup recorded; satisfied\n"},
        {"close|TS-1|--text|客户满意",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"closed\",\"cancelled\":[\"a\"]}",
         "{\"op\":\"close\",\"case_no\":\"TS-1\",\"reason\":\"客户满意\",\"by\":\"tester\"}",
         "TS-1: closed; cancelled: a\n"},
        {"close|TS-1", "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"closed\"}",
         "{\"op\":\"close\",\"case_no\":\"TS-1\",\"by\":\"tester\"}", "TS-1: closed\n"},
        {"reopen|TS-1|--reason|又坏了",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"assigned\",\"round\":2}",
         "{\"op\":\"reopen\",\"case_no\":\"TS-1\",\"reason\":\"又坏了\",\"by\":\"tester\"}",
         "TS-1: reopened (round 2)\n"},
        {"capa|TS-1|--kind|preventive|--action|来料检验|--owner|qa_zhou|--due|2026-12-31",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"replied\",\"capa_no\":2}",
         "{\"op\":\"capa\",\"case_no\":\"TS-1\",\"kind\":\"preventive\",\"action\":\"来料检验\","
         "\"owner\":\"qa_zhou\",\"due\":\"2026-12-31\",\"by\":\"tester\"}",
         "TS-1: capa 2 added\n"},
        {"capa|TS-1|--verify|2|--result|抽检合格|--effective|yes",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"closed\",\"capa_no\":2}",
         "{\"op\":\"capa\",\"case_no\":\"TS-1\",\"verify\":2,\"result\":\"抽检合格\","
         "\"effective\":true,\"by\":\"tester\"}",
         "TS-1: capa 2 verified: effective\n"},
        {"remark|TS-1|客户|要求回电", "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"closed\"}",
         "{\"op\":\"remark\",\"case_no\":\"TS-1\",\"text\":\"客户 要求回电\",\"by\":\"tester\"}",
         "TS-1: remark recorded\n"},
        {"pause|TS-1|--reason|客户出差", "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"assigned\"}",
         "{\"op\":\"pause\",\"case_no\":\"TS-1\",\"reason\":\"客户出差\",\"by\":\"tester\"}",
         "TS-1: paused\n"},
        {"resume|TS-1", "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"assigned\"}",
         "{\"op\":\"resume\",\"case_no\":\"TS-1\",\"by\":\"tester\"}", "TS-1: resumed\n"},
        {"visit|TS-1|--finding|开裂|--responsibility|misuse",
         "{\"ok\":true,\"case_no\":\"TS-1\",\"status\":\"investigating\",\"met\":[\"site_visit\"]}",
         "{\"op\":\"visit\",\"case_no\":\"TS-1\",\"finding\":\"开裂\",\"responsibility\":\"misuse\","
         "\"by\":\"tester\"}",
         "TS-1: visit recorded; met: site_visit\n"},
        /* list: several statuses are an array, one is a string; dates are local midnights. */
        {"list|--status|replied,followup|--overdue|--from|2026-11-01|--to|2026-11-30|--text|漏水|"
         "--limit|10|--offset|20|--assignee|zhang_wei|--kind|complaint|--category|shipping|"
         "--department|sales",
         "{\"ok\":true,\"total\":0,\"cases\":[]}",
         "{\"op\":\"list\",\"status\":[\"replied\",\"followup\"],\"overdue\":true,"
         "\"received_from\":\"2026-10-31T16:00:00Z\",\"received_to\":\"2026-11-30T16:00:00Z\","
         "\"text\":\"漏水\",\"limit\":10,\"offset\":20,\"assignee\":\"zhang_wei\","
         "\"kind\":\"complaint\",\"category\":\"shipping\",\"department\":\"sales\"}",
         "no cases\n"},
        {"list|--status|closed|--from|2026-11-28T00:00:00Z",
         "{\"ok\":true,\"total\":1,\"cases\":[{\"case_no\":\"TS-1\",\"status\":\"closed\","
         "\"received_at\":\"2026-11-28T01:00:00Z\",\"summary\":\"漏水\",\"overdue\":false}]}",
         "{\"op\":\"list\",\"status\":\"closed\",\"received_from\":\"2026-11-28T00:00:00Z\"}",
         "case  received          status  category  assignee  overdue  summary\n"
         "TS-1  2026-11-28 09:00  closed  -         -         no       漏水\n"
         "showing 1-1 of 1\n"},
        {"show|TS-1|--format|register",
         "{\"ok\":true,\"case\":{\"case_no\":\"TS-1\",\"customer\":{\"name\":\"张三\"}}}",
         "{\"op\":\"get\",\"case_no\":\"TS-1\"}",
         "序号      TS-1\n时间      -\n投诉人    张三\n地址      -\n电话      -\n投诉内容  -\n"
         "处理结果  -\n回访方式  -\n回访时间  -\n回访人    -\n客户意见  -\n备注      -\n"},
    };
    s_fake_t *f = s_fake_start();
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        s_fake_expect(f, cases[i].reply);
        s_result_t r = s_plaint(f->endpoint, cases[i].line, NULL);
        json_t *got = s_fake_request(f, 0);
        json_t *want = json_loads(cases[i].request, 0, NULL);
        assert_non_null(want);
        if (r.status != 0 || strcmp(r.out, cases[i].out) != 0) {
            fprintf(stderr, "wanted stdout:\n%s", cases[i].out);
            s_fail_run(cases[i].line, &r, "unexpected exit status or output");
        }
        if (!got || !json_equal(got, want)) {
            char *dump = got ? json_dumps(got, JSON_SORT_KEYS) : NULL;
            char *wanted = json_dumps(want, JSON_SORT_KEYS);
            fprintf(stderr, "request sent: %s\nwanted:       %s\n", dump ? dump : "(none)",
                    wanted);
            free(dump);
            free(wanted);
            s_fail_run(cases[i].line, &r, "unexpected request");
        }
        json_decref(got);
        json_decref(want);
        s_result_free(&r);
    }
    s_fake_stop(f);
}

/* A refusal prints the daemon's message (which names the allowed steps): exit 1. */
static void test_refusal(void **state)
{
    (void)state;
    static const char reply[] =
        "{\"ok\":false,\"error\":{\"code\":\"invalid_state\",\"field\":\"status\","
        "\"message\":\"case TS-1 is investigating; confirm is not allowed now (allowed: note, "
        "report, visit)\",\"status\":\"investigating\",\"allowed\":[\"note\",\"report\","
        "\"visit\"]}}";
    s_fake_t *f = s_fake_start();
    s_fake_expect(f, reply);
    s_result_t r = s_plaint(f->endpoint, "confirm|TS-1", NULL);
    if (r.status != 1 || strcmp(r.out, "") != 0 ||
        !strstr(r.err, "plaint: case TS-1 is investigating; confirm is not allowed now "
                       "(allowed: note, report, visit) (field status, invalid_state)\n")) {
        s_fail_run("confirm TS-1", &r, "refusal not printed as expected");
    }
    s_result_free(&r);
    /* With --json the reply also goes to stdout, as it came. */
    s_fake_expect(f, reply);
    r = s_plaint(f->endpoint, "--json|confirm|TS-1", NULL);
    char want[sizeof reply + 1];
    snprintf(want, sizeof want, "%s\n", reply);
    if (r.status != 1 || strcmp(r.out, want) != 0) {
        s_fail_run("--json confirm TS-1", &r, "raw refusal not on stdout");
    }
    s_result_free(&r);
    s_fake_stop(f);
}

/* --json prints the reply as it came, for the new steps and list. */
static void test_json(void **state)
{
    (void)state;
    static const char *const lines[] = {"--json|approve|TS-1", "list|--json"};
    static const char reply[] = "{\"ok\":true,\"case_no\":\"TS-1\",\"total\":0,\"cases\":[],"
                                "\"level\":1,\"next\":null}";
    s_fake_t *f = s_fake_start();
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
        s_fake_expect(f, reply);
        s_result_t r = s_plaint(f->endpoint, lines[i], NULL);
        char want[sizeof reply + 1];
        snprintf(want, sizeof want, "%s\n", reply);
        if (r.status != 0 || strcmp(r.out, want) != 0) {
            s_fail_run(lines[i], &r, "not the raw reply");
        }
        s_result_free(&r);
    }
    s_fake_stop(f);
}

/* No daemon: exit 3. */
static void test_timeout(void **state)
{
    (void)state;
    s_fake_t *f = s_fake_start();
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "%s", f->endpoint);
    s_fake_stop(f);
    s_result_t r = s_plaint(endpoint, "--timeout|300|list", NULL);
    if (r.status != 3 || !strstr(r.err, "no answer")) {
        s_fail_run("list", &r, "expected a timeout");
    }
    s_result_free(&r);
}

static const char s_answers[] = "张三\n13800001234\n\n洗衣机漏水\n\n\n\n\n\n\n\n\n";

/* submit -i: the customer confirms: submit, then confirm the case. */
static void test_submit_interactive(void **state)
{
    (void)state;
    s_fake_t *f = s_fake_start();
    s_fake_expect(f, "{\"ok\":true,\"case_no\":\"TS-9\",\"duplicate\":false}");
    s_fake_queue(f, "{\"ok\":true,\"case_no\":\"TS-9\",\"status\":\"assigned\"}");
    char input[256];
    snprintf(input, sizeof input, "%sy\n", s_answers);
    s_result_t r = s_plaint(f->endpoint, "submit|-i", input);
    if (r.status != 0 ||
        strcmp(r.out, "registered TS-9\nTS-9: confirmed (status assigned)\n") != 0 ||
        !strstr(r.err, "Read this back to the customer:") || !strstr(r.err, "  投诉人    张三\n")) {
        s_fail_run("submit -i", &r, "not registered and confirmed");
    }
    json_t *submit = s_fake_request(f, 0);
    json_t *confirm = s_fake_request(f, 1);
    assert_non_null(submit);
    assert_non_null(confirm);
    json_t *event = json_object_get(submit, "event");
    assert_string_equal(json_string_value(json_object_get(submit, "op")), "submit");
    assert_string_equal(json_string_value(json_object_get(event, "content")), "洗衣机漏水");
    assert_string_equal(json_string_value(json_object_get(event, "channel")), "phone");
    assert_string_equal(json_string_value(json_object_get(event, "kind")), "complaint");
    json_t *want = json_pack("{s:s, s:s, s:s}", "op", "confirm", "case_no", "TS-9", "by",
                             "tester");
    assert_true(json_equal(confirm, want));
    json_decref(want);
    json_decref(submit);
    json_decref(confirm);
    s_result_free(&r);

    /* The customer does not confirm: nothing is sent, exit 1. */
    s_fake_expect(f, NULL);
    snprintf(input, sizeof input, "%sn\n", s_answers);
    r = s_plaint(f->endpoint, "submit|-i", input);
    json_t *none = s_fake_request(f, 0);
    if (r.status != 1 || r.out[0] != '\0' || !strstr(r.err, "not submitted") || none) {
        s_fail_run("submit -i (declined)", &r, "something was submitted");
    }
    s_result_free(&r);
    s_fake_stop(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_submit_interactive),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    /* What every run of plaint sees: a fixed actor and China Standard Time. */
    setenv("PLAINT_USER", "tester", 1);
    setenv("TZ", "CST-8", 1);
    unsetenv("PLAINT_ENDPOINT");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
