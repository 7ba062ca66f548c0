/*
 * Unit tests for the client's formatting (client/): display width, the list
 * table with Chinese text, local times, list --from/--to, the register row
 * and complaint file of a sample case, the outcome line of every case
 * operation, and the submit -i dialogue. No daemon is needed.
 * Run one test with: test_client_format <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/client.h"
#include "common/pl_err.h"
#include "common/pl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* China Standard Time without a time-zone database: POSIX TZ "CST-8" is UTC+8. */
static void s_set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* An output buffer: open, write with the code under test, then take the text. */
typedef struct {
    FILE *file;
    char *text;
    size_t size;
} s_out_t;

static void s_open(s_out_t *o)
{
    o->text = NULL;
    o->size = 0;
    o->file = open_memstream(&o->text, &o->size);
    assert_non_null(o->file);
}

/* Closes the stream; the caller frees o->text. */
static char *s_close(s_out_t *o)
{
    fclose(o->file);
    o->file = NULL;
    return o->text;
}

static json_t *s_load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        fail_msg("test JSON does not parse: %s (line %d)", jerr.text, jerr.line);
    }
    return v;
}

/* Fails, showing both texts (on stderr: cmocka cuts long messages), unless `got` is `want`. */
static void s_assert_text(const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "got:\n%s\n--- wanted:\n%s\n---\n", got, want);
        fail();
    }
}

static void s_assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle)) {
        fprintf(stderr, "\"%s\" not found in:\n%s\n---\n", needle, text);
        fail();
    }
}

/* ---------------------------------------------------------------- display width */

static void test_display_width(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int width;
    } cases[] = {
        {"", 0},
        {"abc", 3},
        {"中文", 4},                 /* CJK ideographs */
        {"王小明 ok", 9},
        {"漏水，", 6},               /* U+FF0C fullwidth comma */
        {"「好」。", 8},             /* CJK punctuation U+300C, U+3002 */
        {"ｱ", 1},                    /* halfwidth katakana U+FF71 */
        {"ＡＢ", 4},                 /* fullwidth Latin */
        {"한국", 4},                 /* hangul */
        {"e\xcc\x81", 1},            /* e + combining acute */
        {"a\xe2\x80\x8b" "b", 2},    /* zero-width space */
        {"\xf0\x9f\x98\x80", 2},     /* emoji U+1F600 */
        {"\xf0\xa0\x80\x80", 2},     /* CJK extension B U+20000 */
        {"\xe4\xb8", 1},             /* a sequence cut short */
        {"\x80x", 2},                /* a stray continuation byte */
        {"a\tb\n", 4},               /* controls: one column each, as printed */
        {"caf\xc3\xa9", 4},          /* Latin-1 supplement is narrow */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int w = pl_client_display_width(cases[i].text);
        if (w != cases[i].width) {
            fail_msg("width of case %zu is %d, expected %d", i, w, cases[i].width);
        }
    }
}

static void test_padded_and_line(void **state)
{
    (void)state;
    s_out_t o;
    s_open(&o);
    pl_client_fprint_padded(o.file, "王小明", 10);
    fputc('|', o.file);
    pl_client_fprint_padded(o.file, "toolongvalue", 4);
    fputc('|', o.file);
    pl_client_fprint_line(o.file, "a\nb\tc\rd\x01" "e\xc2\x85" "f");
    char *text = s_close(&o);
    s_assert_text(text, "王小明    |toolongvalue|a b c d?e?f");
    free(text);
}

/* ---------------------------------------------------------------- local time */

static void test_format_local(void **state)
{
    (void)state;
    char buf[64];
    s_set_tz("CST-8");
    s_assert_text(pl_client_format_local("2026-11-28T13:10:45.549690Z", PL_CLIENT_LOCAL_ZONE,
                                         buf, sizeof buf),
                  "2026-11-28 21:10:45 +08:00");
    s_assert_text(pl_client_format_local("2026-11-28T20:00:00+08:00", PL_CLIENT_LOCAL_MINUTE,
                                         buf, sizeof buf),
                  "2026-11-28 20:00");
    s_assert_text(pl_client_format_local("2026-11-28T16:30:00Z", PL_CLIENT_LOCAL_MINUTE, buf,
                                         sizeof buf),
                  "2026-11-29 00:30");
    s_assert_text(pl_client_format_local("2026-11-02", PL_CLIENT_LOCAL_ZONE, buf, sizeof buf),
                  "2026-11-02");
    s_assert_text(pl_client_format_local(NULL, PL_CLIENT_LOCAL_ZONE, buf, sizeof buf), "-");
    s_set_tz("EST5");
    s_assert_text(pl_client_format_local("2026-11-28T13:10:45Z", PL_CLIENT_LOCAL_ZONE, buf,
                                         sizeof buf),
                  "2026-11-28 08:10:45 -05:00");
    s_set_tz("IST-5:30");
    s_assert_text(pl_client_format_local("2026-11-28T13:10:45Z", PL_CLIENT_LOCAL_ZONE, buf,
                                         sizeof buf),
                  "2026-11-28 18:40:45 +05:30");
    s_set_tz("CST-8");
}

static void test_list_time(void **state)
{
    (void)state;
    char buf[PL_TIME_RFC3339_SIZE];
    s_set_tz("CST-8");
    assert_int_equal(pl_client_list_time("2026-11-28", false, buf, sizeof buf), 0);
    s_assert_text(buf, "2026-11-27T16:00:00Z");
    assert_int_equal(pl_client_list_time("2026-11-28", true, buf, sizeof buf), 0);
    s_assert_text(buf, "2026-11-28T16:00:00Z");
    /* The end of the last day of a month and of a year. */
    assert_int_equal(pl_client_list_time("2026-11-30", true, buf, sizeof buf), 0);
    s_assert_text(buf, "2026-11-30T16:00:00Z");
    assert_int_equal(pl_client_list_time("2026-12-31", true, buf, sizeof buf), 0);
    s_assert_text(buf, "2026-12-31T16:00:00Z");
    /* An RFC 3339 time is the same instant, whatever end_of_day says. */
    assert_int_equal(pl_client_list_time("2026-11-28T20:00:00+08:00", true, buf, sizeof buf), 0);
    s_assert_text(buf, "2026-11-28T12:00:00Z");
    s_set_tz("UTC0");
    assert_int_equal(pl_client_list_time("2026-11-28", false, buf, sizeof buf), 0);
    s_assert_text(buf, "2026-11-28T00:00:00Z");
    assert_int_equal(pl_client_list_time("yesterday", false, buf, sizeof buf), PL_EINVAL);
    s_assert_text(buf, "");
    assert_int_equal(pl_client_list_time("2026-02-30", false, buf, sizeof buf), PL_EINVAL);
    assert_int_equal(pl_client_list_time(NULL, false, buf, sizeof buf), PL_EINVAL);
    s_set_tz("CST-8");
}

/* ---------------------------------------------------------------- list */

static const char s_list_reply[] =
    "{\"ok\":true,\"total\":123,\"cases\":["
    "{\"case_no\":\"TS-2026-000123\",\"status\":\"investigating\",\"kind\":\"complaint\","
    "\"category\":\"product_quality\",\"assignee\":\"zhang_wei\","
    "\"received_at\":\"2026-11-28T13:10:45.549690Z\",\"summary\":\"净水器漏水，\\n地板泡坏了。\","
    "\"overdue\":true,\"round\":1},"
    "{\"case_no\":\"TS-2026-000122\",\"status\":\"registered\",\"category\":null,"
    "\"assignee\":null,\"received_at\":\"2026-11-28T12:00:00Z\","
    "\"summary\":\"Washing machine is noisy\",\"overdue\":false,\"round\":1},"
    "{\"case_no\":\"TS-2026-000121\",\"status\":\"resolution_proposed\","
    "\"category\":\"service_behavior\",\"assignee\":\"王小明\","
    "\"received_at\":\"2026-11-27T23:59:00Z\",\"summary\":\"客服态度差\",\"overdue\":false}]}";

static void test_list_table(void **state)
{
    (void)state;
    s_set_tz("CST-8");
    json_t *reply = s_load(s_list_reply);
    s_out_t o;
    s_open(&o);
    pl_client_print_list(o.file, reply, 50);
    char *text = s_close(&o);
    const char *want =
        "case            received          status               category          assignee   "
        "overdue  summary\n"
        "TS-2026-000123  2026-11-28 21:10  investigating        product_quality   zhang_wei  "
        "yes      净水器漏水， 地板泡坏了。\n"
        "TS-2026-000122  2026-11-28 20:00  registered           -                 -          "
        "no       Washing machine is noisy\n"
        "TS-2026-000121  2026-11-28 07:59  resolution_proposed  service_behavior  王小明     "
        "no       客服态度差\n"
        "showing 51-53 of 123 (--offset 53 for more)\n";
    s_assert_text(text, want);
    /* Every row's summary starts at the same terminal column. */
    const char *summaries[] = {"summary", "净水器", "Washing", "客服"};
    int column = -1;
    for (size_t i = 0; i < ARRAY_SIZE(summaries); i++) {
        const char *at = strstr(text, summaries[i]);
        assert_non_null(at);
        const char *line = at;
        while (line > text && line[-1] != '\n') {
            line--;
        }
        char *prefix = strndup(line, (size_t)(at - line));
        int w = pl_client_display_width(prefix);
        free(prefix);
        if (column >= 0 && w != column) {
            fail_msg("'%s' starts at column %d, not %d", summaries[i], w, column);
        }
        column = w;
    }
    free(text);
    json_decref(reply);
}

static void test_list_footer(void **state)
{
    (void)state;
    static const struct {
        const char *reply;
        long offset;
        const char *footer;
    } cases[] = {
        {"{\"total\":3,\"cases\":[{\"case_no\":\"A\"},{\"case_no\":\"B\"},{\"case_no\":\"C\"}]}",
         -1, "showing 1-3 of 3\n"},
        {"{\"total\":60,\"cases\":[{\"case_no\":\"A\"}]}", -1,
         "showing 1-1 of 60 (--offset 1 for more)\n"},
        {"{\"total\":60,\"cases\":[{\"case_no\":\"A\"}]}", 59, "showing 60-60 of 60\n"},
        {"{\"total\":60,\"cases\":[]}", 200,
         "showing none of 60 (--offset 200 is past the end)\n"},
        {"{\"total\":0,\"cases\":[]}", -1, "no cases\n"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *reply = s_load(cases[i].reply);
        s_out_t o;
        s_open(&o);
        pl_client_print_list(o.file, reply, cases[i].offset);
        char *text = s_close(&o);
        size_t n = strlen(text), m = strlen(cases[i].footer);
        if (n < m || strcmp(text + n - m, cases[i].footer) != 0) {
            fail_msg("case %zu: output\n%s\ndoes not end with\n%s", i, text, cases[i].footer);
        }
        free(text);
        json_decref(reply);
    }
}

/* ---------------------------------------------------------------- register and file */

static const char s_case[] =
    "{\"case_no\":\"TS-2026-000007\",\"status\":\"followup\",\"event_id\":\"cc-1\","
    "\"source\":\"callcenter\",\"kind\":\"complaint\",\"channel\":\"phone\","
    "\"received_at\":\"2026-11-28T13:10:45.549690Z\",\"created_at\":\"2026-11-28T13:10:45Z\","
    "\"customer\":{\"name\":\"王女士\",\"phone\":\"137 0000 0303\","
    "\"address\":\"北京市朝阳区建国路1号\"},"
    "\"content\":\"净水器漏水，\\n地板泡坏了。\",\"region\":\"north\","
    "\"product\":{\"spec\":\"RO-400G\",\"order_no\":\"SO-17\",\"quantity\":2,"
    "\"ship_date\":\"2026-11-02\"},"
    "\"category\":\"product_quality\",\"severity\":\"high\",\"tags\":[\"leak\"],"
    "\"department\":\"quality\",\"assignee\":\"zhang_wei\",\"inform\":[\"sales_manager\"],"
    "\"rules_version\":\"08afc77fe5fff5a7b52bed18d05f51a783bea10926e80063c7671e5c4cb3c333\","
    "\"responsibility\":\"quality\",\"cause\":\"滤芯外壳注塑缺陷\","
    "\"proposed_result\":\"免费更换滤芯\",\"handling_result\":\"已为客户免费更换滤芯\","
    "\"round\":2,\"escalated\":true,\"remarks\":[\"客户要求提前电话\",{\"text\":\"已赠送滤芯\"}],"
    "\"closed_at\":null,\"followup_method\":\"wechat\",\"followup_at\":\"2026-12-01T02:00:00Z\","
    "\"followup_by\":\"li_na\",\"customer_opinion\":\"满意\","
    "\"approvals\":[{\"round\":1,\"level\":1,\"roles\":[\"vp_marketing\"],\"status\":\"approved\","
    "\"by\":\"chen_jie\",\"at\":\"2026-11-29T03:00:00Z\",\"reason\":\"同意\",\"rule\":\"q\"},"
    "{\"round\":1,\"level\":2,\"roles\":[\"general_manager\",\"management_rep\"],"
    "\"status\":\"pending\",\"by\":null,\"at\":null,\"reason\":null,\"rule\":\"q\"}],"
    "\"followups\":[{\"round\":1,\"at\":\"2026-11-30T02:00:00Z\",\"by\":\"li_na\","
    "\"method\":\"phone\",\"satisfied\":false,\"opinion\":\"还没修好\"}],"
    "\"capa\":[{\"no\":1,\"kind\":\"corrective\",\"action\":\"更换注塑模具\",\"owner\":\"qa_zhou\","
    "\"due\":\"2026-12-15\",\"status\":\"verified\",\"created_by\":\"zhang_wei\","
    "\"created_at\":\"2026-11-29T01:00:00Z\",\"verified_by\":\"qa_lead\","
    "\"verified_at\":\"2026-12-16T01:00:00Z\",\"result\":\"抽检无缺陷\",\"effective\":true}],"
    "\"allowed\":[\"note\",\"close\"],\"paused_at\":\"2026-12-02T01:00:00Z\","
    "\"paused_reason\":\"客户出差\","
    "\"deadlines\":[{\"name\":\"first_report\",\"label\":\"受理后2小时内报告总经理\","
    "\"due_at\":\"2026-11-28T15:10:45Z\",\"status\":\"met\",\"level\":2,\"recurring\":false}],"
    "\"history\":["
    "{\"at\":\"2026-11-28T13:10:45Z\",\"actor\":\"source:callcenter\",\"type\":\"registered\","
    "\"detail\":{\"channel\":\"phone\"}},"
    "{\"at\":\"2026-11-28T15:00:00Z\",\"actor\":\"zhang_wei\",\"type\":\"visit\","
    "\"detail\":{\"finding\":\"滤芯外壳开裂\",\"responsibility\":\"quality\"}},"
    "{\"at\":\"2026-11-29T05:00:00Z\",\"actor\":\"zhang_wei\",\"type\":\"reply\","
    "\"detail\":{\"text\":\"已为客户免费更换滤芯\"}},"
    "{\"at\":\"2026-11-30T02:00:00Z\",\"actor\":\"li_na\",\"type\":\"followup\","
    "\"detail\":{\"satisfied\":false}}]}";

static void test_register(void **state)
{
    (void)state;
    s_set_tz("CST-8");
    json_t *c = s_load(s_case);
    s_out_t o;
    s_open(&o);
    pl_client_print_register(o.file, c);
    char *text = s_close(&o);
    s_assert_text(text,
                  "序号      TS-2026-000007\n"
                  "时间      2026-11-28 21:10:45 +08:00\n"
                  "投诉人    王女士\n"
                  "地址      北京市朝阳区建国路1号\n"
                  "电话      137 0000 0303\n"
                  "投诉内容  净水器漏水，\n"
                  "          地板泡坏了。\n"
                  "处理结果  已为客户免费更换滤芯\n"
                  "回访方式  微信\n"
                  "回访时间  2026-12-01 10:00:00 +08:00\n"
                  "回访人    li_na\n"
                  "客户意见  满意\n"
                  "备注      客户要求提前电话\n"
                  "          已赠送滤芯\n"
                  "产品规格  RO-400G\n"
                  "订单号    SO-17\n"
                  "订货数量  2\n"
                  "发货日期  2026-11-02\n"
                  "问题类别  product_quality\n"
                  "问题点    滤芯外壳注塑缺陷\n"
                  "信息类别  complaint\n"
                  "处理方案  免费更换滤芯\n");
    free(text);
    json_decref(c);
}

/* A new case: most members null or missing, no product: every R7 row, "-" for the unknown. */
static void test_register_sparse(void **state)
{
    (void)state;
    json_t *c = s_load("{\"case_no\":\"TS-2026-000001\",\"status\":\"registered\","
                       "\"received_at\":null,\"customer\":{\"name\":\"张三\"},"
                       "\"content\":\"洗衣机漏水\",\"handling_result\":null,\"remarks\":null}");
    s_out_t o;
    s_open(&o);
    pl_client_print_register(o.file, c);
    char *text = s_close(&o);
    s_assert_text(text, "序号      TS-2026-000001\n"
                        "时间      -\n"
                        "投诉人    张三\n"
                        "地址      -\n"
                        "电话      -\n"
                        "投诉内容  洗衣机漏水\n"
                        "处理结果  -\n"
                        "回访方式  -\n"
                        "回访时间  -\n"
                        "回访人    -\n"
                        "客户意见  -\n"
                        "备注      -\n");
    free(text);
    json_decref(c);
}

static pl_usec_t s_fixed_now(void)
{
    return INT64_C(1796112000000000); /* 2026-12-01T08:00:00Z */
}

static void test_file(void **state)
{
    (void)state;
    s_set_tz("CST-8");
    pl_usec_t (*saved)(void) = pl_now_fn;
    pl_now_fn = s_fixed_now;
    json_t *c = s_load(s_case);
    s_out_t o;
    s_open(&o);
    pl_client_print_file(o.file, c);
    char *text = s_close(&o);
    pl_now_fn = saved;
    /* The title, the print time, and every section in order. */
    assert_true(strncmp(text, "客户投诉档案  TS-2026-000007\n打印时间  2026-12-01 16:00:00 +08:00\n",
                        strlen("客户投诉档案  TS-2026-000007\n打印时间  2026-12-01 16:00:00 "
                               "+08:00\n")) == 0);
    static const char *const sections[] = {
        "\n一、投诉登记 (register)\n  序号      TS-2026-000007\n",
        "\n二、分类与分派 (classification and routing)\n  状态      followup\n"
        "  处理轮次  2 (已升级 escalated)\n",
        "\n三、处理措施 (handling measures)\n  责任判定  quality\n",
        "\n四、审批 (approvals)\n  第1轮 第1级  vp_marketing  approved  chen_jie  "
        "2026-11-29 11:00:00 +08:00\n      意见      同意\n",
        "\n五、答复 (reply)\n  处理结果  已为客户免费更换滤芯\n",
        "\n六、回访 (follow-ups)\n  第1轮\n    回访时间  2026-11-30 10:00:00 +08:00\n",
        "\n七、纠正与预防措施 (CAPA)\n  1. 纠正措施 (corrective)  verified\n",
        "\n八、时限 (deadlines)\n  first_report  2026-11-28 23:10:45 +08:00  met, level 2  "
        "受理后2小时内报告总经理\n",
        "\n九、处理记录 (history)\n",
    };
    const char *from = text;
    for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
        const char *at = strstr(from, sections[i]);
        if (!at) {
            fail_msg("section %zu not found (in order):\n%s\n--- in:\n%s", i, sections[i], text);
        }
        from = at + 1;
    }
    /* Handling measures take the visit from the history; the complete history has every entry. */
    s_assert_contains(text, "  2026-11-28 23:00:00 +08:00  zhang_wei  上门/现场沟通 (visit)\n"
                            "      finding: 滤芯外壳开裂, responsibility: quality\n");
    const char *history = strstr(text, "九、处理记录");
    s_assert_contains(history, "source:callcenter  登记 (registered)");
    s_assert_contains(history, "li_na  回访 (followup)\n      satisfied: false\n");
    s_assert_contains(text, "  2026-11-29 13:00:00 +08:00  zhang_wei  答复客户 (reply)\n");
    s_assert_contains(text, "      是否有效  有效 (effective)\n");
    s_assert_contains(text, "    是否满意  不满意 (unsatisfied)\n");
    s_assert_contains(text, "  结案时间  -\n  暂停时间  2026-12-02 09:00:00 +08:00\n"
                            "  暂停原因  客户出差\n");
    /* Times are local everywhere: no UTC stamp is left. */
    assert_null(strstr(text, "UTC"));
    assert_null(strstr(text, "T13:10"));
    free(text);
    json_decref(c);
}

/* A case with nothing handled yet still prints every heading, with "-". */
static void test_file_sparse(void **state)
{
    (void)state;
    json_t *c = s_load("{\"case_no\":\"TS-2026-000001\",\"status\":\"registered\"}");
    s_out_t o;
    s_open(&o);
    pl_client_print_file(o.file, c);
    char *text = s_close(&o);
    s_assert_contains(text, "\n四、审批 (approvals)\n  -\n");
    s_assert_contains(text, "\n六、回访 (follow-ups)\n  -\n");
    s_assert_contains(text, "\n七、纠正与预防措施 (CAPA)\n  -\n");
    s_assert_contains(text, "\n八、时限 (deadlines)\n  -\n");
    s_assert_contains(text, "\n九、处理记录 (history)\n  -\n");
    free(text);
    json_decref(c);
}

/* The default view gains the lifecycle blocks. */
static void test_show_default(void **state)
{
    (void)state;
    json_t *c = s_load(s_case);
    s_out_t o;
    s_open(&o);
    pl_client_print_case(o.file, c);
    char *text = s_close(&o);
    s_assert_contains(text, "Round       2, escalated\n");
    s_assert_contains(text, "Paused      since 2026-12-02 01:00:00 UTC: 客户出差\n");
    s_assert_contains(text, "Next steps  note, close\n");
    assert_null(strstr(text, "Paused at"));
    s_assert_contains(text, "  cause           滤芯外壳注塑缺陷\n");
    s_assert_contains(text, "  proposed        免费更换滤芯\n");
    s_assert_contains(text, "  remarks         客户要求提前电话\n                  已赠送滤芯\n");
    s_assert_contains(text, "\nApprovals\n  round 1, level 1  vp_marketing                     "
                            "approved  chen_jie  2026-11-29 03:00:00 UTC  同意\n"
                            "  round 1, level 2  general_manager, management_rep  pending   -"
                            "         -\n");
    s_assert_contains(text, "\nFollow-ups\n  round 1  2026-11-30 02:00:00 UTC  phone  li_na  "
                            "unsatisfied  还没修好\n");
    s_assert_contains(text, "\nCAPA\n  1  corrective, verified, owner qa_zhou, due 2026-12-15: "
                            "更换注塑模具\n     verified by qa_lead at 2026-12-16 01:00:00 UTC: "
                            "effective: 抽检无缺陷\n");
    /* None of the new members falls through to the generic "Others" lines. */
    assert_null(strstr(text, "Followups"));
    assert_null(strstr(text, "Capa "));
    assert_null(strstr(text, "Customer opinion"));
    free(text);
    json_decref(c);
}

/* ---------------------------------------------------------------- outcomes */

static void test_outcomes(void **state)
{
    (void)state;
    static const struct {
        pl_case_op_args_t args;
        const char *reply;
        const char *line;
    } cases[] = {
        {{.op = "note", .case_no = "TS-1"},
         "{\"case_no\":\"TS-1\",\"status\":\"assigned\",\"met\":[],\"rearmed\":[{\"name\":"
         "\"progress_report\",\"due_at\":\"2026-11-28T14:13:24.863963Z\"}],\"cancelled\":[]}",
         "TS-1: note recorded; re-armed: progress_report (due 2026-11-28 14:13:24 UTC)\n"},
        {{.op = "confirm", .case_no = "TS-1"}, "{\"status\":\"assigned\"}",
         "TS-1: confirmed (status assigned)\n"},
        {{.op = "confirm", .case_no = "TS-1"}, "{\"status\":\"confirmed\"}", "TS-1: confirmed\n"},
        {{.op = "assign", .case_no = "TS-1"},
         "{\"status\":\"assigned\",\"assignee\":\"li_na\",\"department\":\"quality\"}",
         "TS-1: assigned to li_na (department quality)\n"},
        {{.op = "assign", .case_no = "TS-1"},
         "{\"status\":\"assigned\",\"assignee\":null,\"department\":\"quality\"}",
         "TS-1: assigned to department quality\n"},
        {{.op = "analyse", .case_no = "TS-1"}, "{\"status\":\"investigating\"}",
         "TS-1: analysis recorded (investigating)\n"},
        {{.op = "visit", .case_no = "TS-1"},
         "{\"status\":\"investigating\",\"met\":[\"site_visit\"]}",
         "TS-1: visit recorded; met: site_visit\n"},
        {{.op = "propose", .case_no = "TS-1"},
         "{\"status\":\"resolution_proposed\",\"approvals\":[{\"level\":1,\"roles\":"
         "[\"vp_marketing\"]},{\"level\":2,\"roles\":[\"general_manager\"]}]}",
         "TS-1: proposed; approval: level 1 of 2 (vp_marketing)\n"},
        {{.op = "propose", .case_no = "TS-1"}, "{\"status\":\"approved\",\"approvals\":[]}",
         "TS-1: proposed; no approval needed (approved)\n"},
        {{.op = "approve", .case_no = "TS-1"},
         "{\"status\":\"resolution_proposed\",\"level\":1,\"levels\":2,"
         "\"next\":{\"level\":2,\"roles\":[\"general_manager\"]}}",
         "TS-1: approved (level 1 of 2; next: general_manager)\n"},
        {{.op = "approve", .case_no = "TS-1"},
         "{\"status\":\"resolution_proposed\",\"level\":1,"
         "\"next\":{\"level\":2,\"roles\":[\"general_manager\",\"management_rep\"]}}",
         "TS-1: approved (level 1; next: level 2, general_manager or management_rep)\n"},
        {{.op = "approve", .case_no = "TS-1"},
         "{\"status\":\"approved\",\"level\":2,\"levels\":2,\"next\":null,\"met\":[\"approval\"]}",
         "TS-1: approved (level 2 of 2; the resolution is approved); met: approval\n"},
        {{.op = "reject", .case_no = "TS-1"}, "{\"status\":\"investigating\"}",
         "TS-1: rejected (back to investigating)\n"},
        {{.op = "reply", .case_no = "TS-1"}, "{\"status\":\"replied\",\"met\":[\"reply\"]}",
         "TS-1: reply recorded; met: reply\n"},
        {{.op = "followup", .case_no = "TS-1"},
         "{\"status\":\"followup\",\"round\":1,\"escalated\":false,\"assignee\":\"zhang_wei\"}",
         "TS-1: followup recorded; satisfied\n"},
        {{.op = "followup", .case_no = "TS-1"},
         "{\"status\":\"assigned\",\"round\":2,\"escalated\":false,\"assignee\":\"zhang_wei\"}",
         "TS-1: followup recorded; unsatisfied: handled again (round 2)\n"},
        {{.op = "followup", .case_no = "TS-1"},
         "{\"status\":\"assigned\",\"round\":3,\"escalated\":true,\"assignee\":\"liu_peng\"}",
         "TS-1: followup recorded; unsatisfied: escalated to liu_peng (round 3)\n"},
        {{.op = "close", .case_no = "TS-1"},
         "{\"status\":\"closed\",\"cancelled\":[\"site_visit\",\"progress_report\"]}",
         "TS-1: closed; cancelled: site_visit, progress_report\n"},
        {{.op = "reopen", .case_no = "TS-1"}, "{\"status\":\"assigned\",\"round\":2}",
         "TS-1: reopened (round 2)\n"},
        {{.op = "capa", .case_no = "TS-1", .kind = "corrective"}, "{\"capa_no\":2}",
         "TS-1: capa 2 added\n"},
        {{.op = "capa", .case_no = "TS-1", .verify = 2, .effective = "no"}, "{\"capa_no\":2}",
         "TS-1: capa 2 verified: not effective\n"},
        {{.op = "remark", .case_no = "TS-1"}, "{\"status\":\"closed\"}",
         "TS-1: remark recorded\n"},
        {{.op = "pause", .case_no = "TS-1"}, "{\"status\":\"assigned\"}", "TS-1: paused\n"},
        {{.op = "pause", .case_no = "TS-1"},
         "{\"status\":\"assigned\",\"paused\":true,"
         "\"paused_deadlines\":[\"reply\",\"site_visit\"]}",
         "TS-1: paused; stopped: reply, site_visit\n"},
        {{.op = "resume", .case_no = "TS-1"}, "{\"status\":\"assigned\"}", "TS-1: resumed\n"},
        {{.op = "resume", .case_no = "TS-1"},
         "{\"status\":\"assigned\",\"paused\":false,\"resumed\":[{\"name\":\"reply\","
         "\"due_at\":\"2026-11-29T10:00:00Z\"}]}",
         "TS-1: resumed; restarted: reply (due 2026-11-29 10:00:00 UTC)\n"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *reply = s_load(cases[i].reply);
        s_out_t o;
        s_open(&o);
        pl_client_print_outcome(o.file, &cases[i].args, reply);
        char *text = s_close(&o);
        if (strcmp(text, cases[i].line) != 0) {
            fail_msg("case %zu (%s): got\n%s wanted\n%s", i, cases[i].args.op, text,
                     cases[i].line);
        }
        free(text);
        json_decref(reply);
    }
}

/* ---------------------------------------------------------------- submit -i */

/* Runs the dialogue on `input`: the status, the event in *event_p, the prompts in *said_p. */
static int s_dialogue(const char *input, const pl_submit_args_t *given, json_t **event_p,
                      char **said_p)
{
    FILE *in = fmemopen((void *)input, strlen(input), "r");
    assert_non_null(in);
    s_out_t o;
    s_open(&o);
    int status = pl_client_interactive_event(in, o.file, given, event_p);
    *said_p = s_close(&o);
    fclose(in);
    return status;
}

static const pl_submit_args_t s_no_fields = {.quantity = -1};

static void test_interactive_confirmed(void **state)
{
    (void)state;
    json_t *event = NULL;
    char *said = NULL;
    const char *input = "张三\n"
                        "138 0000 1234\n"
                        "北京市海淀区\n"
                        "洗衣机漏水\n"
                        "  地板湿了  \n"
                        "\n"
                        "\n"          /* channel: the default, phone */
                        "\n"          /* kind: the default, complaint */
                        "north\n"
                        "XQG-80\n"
                        "\n"          /* no order number */
                        "two\n"       /* not a number: asked again */
                        "2\n"
                        "2026-13-01\n" /* not a date: asked again */
                        "2026-11-02\n"
                        "Yes\n";
    int status = s_dialogue(input, &s_no_fields, &event, &said);
    if (status != PL_EXIT_OK) {
        fail_msg("status %d; said:\n%s", status, said);
    }
    s_assert_contains(said, "投诉人 Name: ");
    s_assert_contains(said, "渠道 Channel [phone]: ");
    s_assert_contains(said, "信息类别 Kind [complaint]: ");
    s_assert_contains(said, "a whole number, please");
    s_assert_contains(said, "a date YYYY-MM-DD, please");
    s_assert_contains(said, "请向客户复述以下内容 / Read this back to the customer:\n"
                            "  投诉人    张三\n"
                            "  电话      138 0000 1234\n"
                            "  地址      北京市海淀区\n"
                            "  投诉内容  洗衣机漏水\n"
                            "              地板湿了  \n"
                            "  渠道      phone\n"
                            "  信息类别  complaint\n"
                            "  区域      north\n"
                            "  产品规格  XQG-80\n"
                            "  订货数量  2\n"
                            "  发货日期  2026-11-02\n");
    s_assert_contains(said, "Customer confirms? [y/N] ");
    json_t *customer = json_object_get(event, "customer");
    json_t *product = json_object_get(event, "product");
    s_assert_text(json_string_value(json_object_get(customer, "name")), "张三");
    s_assert_text(json_string_value(json_object_get(customer, "phone")), "138 0000 1234");
    s_assert_text(json_string_value(json_object_get(event, "content")), "洗衣机漏水\n  地板湿了  ");
    s_assert_text(json_string_value(json_object_get(event, "channel")), "phone");
    s_assert_text(json_string_value(json_object_get(event, "kind")), "complaint");
    s_assert_text(json_string_value(json_object_get(event, "region")), "north");
    s_assert_text(json_string_value(json_object_get(event, "source")), "plaint");
    assert_int_equal(json_integer_value(json_object_get(product, "quantity")), 2);
    assert_null(json_object_get(product, "order_no"));
    s_assert_text(json_string_value(json_object_get(product, "ship_date")), "2026-11-02");
    assert_true(strncmp(json_string_value(json_object_get(event, "event_id")), "cli-", 4) == 0);
    json_decref(event);
    free(said);
}

static void test_interactive_declined(void **state)
{
    (void)state;
    static const char *const endings[] = {"n\n", "\n", "ok\n", ""};
    for (size_t i = 0; i < ARRAY_SIZE(endings); i++) {
        char input[256];
        snprintf(input, sizeof input, "\n\n\n投诉\n\n\n\n\n\n\n\n\n%s", endings[i]);
        json_t *event = NULL;
        char *said = NULL;
        int status = s_dialogue(input, &s_no_fields, &event, &said);
        assert_int_equal(status, PL_EXIT_FAILED);
        assert_null(event);
        s_assert_contains(said, "not submitted\n");
        free(said);
    }
}

/* The complaint is required: an empty one is asked again; the input ending stops the dialogue. */
static void test_interactive_required_and_eof(void **state)
{
    (void)state;
    json_t *event = NULL;
    char *said = NULL;
    int status = s_dialogue("王五\n\n\n\n", &s_no_fields, &event, &said);
    assert_int_equal(status, PL_EXIT_FAILED);
    assert_null(event);
    s_assert_contains(said, "the complaint is required; again, please\n");
    s_assert_contains(said, "the input ended; not submitted\n");
    free(said);
}

/* Options given on the command line are the defaults, and the event id is kept. */
static void test_interactive_defaults(void **state)
{
    (void)state;
    pl_submit_args_t given = {
        .name = "李四", .content = "空调不制冷", .channel = "visit", .quantity = 3,
        .event_id = "desk-42",
    };
    json_t *event = NULL;
    char *said = NULL;
    int status = s_dialogue("\n\n\n\n\n\n\n\n\n\n\ny\n", &given, &event, &said);
    if (status != PL_EXIT_OK) {
        fail_msg("status %d; said:\n%s", status, said);
    }
    s_assert_contains(said, "投诉人 Name [李四]: ");
    s_assert_contains(said, "订货数量 Quantity [3]: ");
    s_assert_text(json_string_value(json_object_get(json_object_get(event, "customer"), "name")),
                  "李四");
    s_assert_text(json_string_value(json_object_get(event, "content")), "空调不制冷");
    s_assert_text(json_string_value(json_object_get(event, "channel")), "visit");
    s_assert_text(json_string_value(json_object_get(event, "event_id")), "desk-42");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(event, "product"), "quantity")), 3);
    json_decref(event);
    free(said);
}

/* Text that is not UTF-8 is asked again, never sent. */
static void test_interactive_not_utf8(void **state)
{
    (void)state;
    json_t *event = NULL;
    char *said = NULL;
    int status = s_dialogue("\xd5\xc5\xc8\xfd\n张三\n\n\n投诉\n\n\n\n\n\n\n\n\nn\n", &s_no_fields,
                            &event, &said);
    assert_int_equal(status, PL_EXIT_FAILED);
    s_assert_contains(said, "not valid UTF-8");
    s_assert_contains(said, "  投诉人    张三\n");
    free(said);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_padded_and_line),
        cmocka_unit_test(test_format_local),
        cmocka_unit_test(test_list_time),
        cmocka_unit_test(test_list_table),
        cmocka_unit_test(test_list_footer),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_register_sparse),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_file_sparse),
        cmocka_unit_test(test_show_default),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_interactive_confirmed),
        cmocka_unit_test(test_interactive_declined),
        cmocka_unit_test(test_interactive_required_and_eof),
        cmocka_unit_test(test_interactive_defaults),
        cmocka_unit_test(test_interactive_not_utf8),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    s_set_tz("CST-8");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
