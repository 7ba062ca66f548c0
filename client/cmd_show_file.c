/*
 * plaint show --format register | file: a case as its row of the complaint
 * register (客户投诉处理登记表, PROCEDURES.md R7, R8) and as the complaint
 * file kept for the records (客户投诉档案, R24). Plain UTF-8 text, Chinese
 * labels, times in the machine's local time with the zone.
 */
#include "client/client.h"

#include "common/pl_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns the labels of a label/value block take, the widest (8) and a gap. */
#define S_LABEL_COLUMNS 10

/* A string member of `obj`, or NULL. */
static const char *s_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/*
 * Prints "label     value" at `indent` columns, the label padded to
 * S_LABEL_COLUMNS, the value continuing under itself on further lines; "-"
 * when `value` is NULL or empty.
 */
static void s_row(FILE *out, int indent, const char *label, const char *value)
{
    fprintf(out, "%*s", indent, "");
    pl_client_fprint_padded(out, label, S_LABEL_COLUMNS);
    pl_client_fprint_text(out, value && value[0] ? value : "-", indent + S_LABEL_COLUMNS);
    putc('\n', out);
}

/* s_row for any JSON value: strings as they are, numbers written out, arrays joined. */
static void s_row_value(FILE *out, int indent, const char *label, const json_t *value)
{
    if (json_is_string(value) || !value || json_is_null(value)) {
        s_row(out, indent, label, json_string_value(value));
        return;
    }
    fprintf(out, "%*s", indent, "");
    pl_client_fprint_padded(out, label, S_LABEL_COLUMNS);
    if (json_is_array(value)) {
        size_t i;
        const json_t *item;
        json_array_foreach(value, i, item) {
            fputs(i ? ", " : "", out);
            pl_client_fprint_value(out, item, indent + S_LABEL_COLUMNS);
        }
        fputs(json_array_size(value) ? "" : "-", out);
    } else {
        pl_client_fprint_value(out, value, indent + S_LABEL_COLUMNS);
    }
    putc('\n', out);
}

/* s_row for an RFC 3339 time, shown in local time with the zone. */
static void s_row_time(FILE *out, int indent, const char *label, const char *rfc3339)
{
    char when[64];
    s_row(out, indent, label,
          rfc3339 ? pl_client_format_local(rfc3339, PL_CLIENT_LOCAL_ZONE, when, sizeof when)
                  : NULL);
}

/* The register's 回访方式 in words. */
static const char *s_method_name(const char *method)
{
    static const char *const names[][2] = {
        {"phone", "电话"}, {"visit", "上门"}, {"sms", "短信"}, {"wechat", "微信"}, {"email", "邮件"},
    };
    for (size_t i = 0; method && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(method, names[i][0]) == 0) {
            return names[i][1];
        }
    }
    return method;
}

/*
 * The 备注 column: the remarks as a string, or an array of strings or of
 * objects with a "text", one per line. Returns a new string or NULL
 * (caller frees).
 */
static char *s_remarks(const json_t *remarks)
{
    if (json_is_string(remarks)) {
        return strdup(json_string_value(remarks));
    }
    if (!json_is_array(remarks) || json_array_size(remarks) == 0) {
        return NULL;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *joined = open_memstream(&text, &size);
    if (!joined) {
        return NULL;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(remarks, i, item) {
        const char *s = json_is_string(item) ? json_string_value(item) : s_str(item, "text");
        fprintf(joined, "%s%s", i ? "\n" : "", s ? s : "?");
    }
    fclose(joined);
    return text;
}

/* The register block (R7, and R8 when the case has product data), at `indent`. */
static void s_print_register_block(FILE *out, const json_t *c, int indent)
{
    const json_t *customer = json_object_get(c, "customer");
    const json_t *product = json_object_get(c, "product");
    s_row(out, indent, "序号", s_str(c, "case_no"));
    s_row_time(out, indent, "时间", s_str(c, "received_at"));
    s_row(out, indent, "投诉人", s_str(customer, "name"));
    s_row(out, indent, "地址", s_str(customer, "address"));
    s_row(out, indent, "电话", s_str(customer, "phone"));
    s_row(out, indent, "投诉内容", s_str(c, "content"));
    s_row(out, indent, "处理结果", s_str(c, "handling_result"));
    s_row(out, indent, "回访方式", s_method_name(s_str(c, "followup_method")));
    s_row_time(out, indent, "回访时间", s_str(c, "followup_at"));
    s_row(out, indent, "回访人", s_str(c, "followup_by"));
    s_row(out, indent, "客户意见", s_str(c, "customer_opinion"));
    char *remarks = s_remarks(json_object_get(c, "remarks"));
    s_row(out, indent, "备注", remarks);
    free(remarks);
    if (json_is_object(product) && json_object_size(product) > 0) {
        s_row(out, indent, "产品规格", s_str(product, "spec"));
        s_row(out, indent, "订单号", s_str(product, "order_no"));
        s_row_value(out, indent, "订货数量", json_object_get(product, "quantity"));
        s_row(out, indent, "发货日期", s_str(product, "ship_date"));
        s_row(out, indent, "问题类别", s_str(c, "category"));
        s_row(out, indent, "问题点", s_str(c, "cause"));
        s_row(out, indent, "信息类别", s_str(c, "kind"));
        s_row(out, indent, "处理方案", s_str(c, "proposed_result"));
    }
}

void pl_client_print_register(FILE *out, const json_t *c)
{
    s_print_register_block(out, c, 0);
}

/* ------------------------------------------------------------------ the file */

/* What a history entry's type is called in the file. */
static const char *s_type_name(const char *type)
{
    static const char *const names[][2] = {
        {"registered", "登记"},      {"classified", "分类"},        {"routed", "分派"},
        {"deadlines_set", "设定时限"}, {"confirm", "复述确认"},     {"assign", "指派"},
        {"visit", "上门/现场沟通"},  {"analyse", "原因分析"},       {"note", "进度记录"},
        {"report", "报告"},          {"propose", "提出处理方案"},   {"approve", "审批同意"},
        {"reject", "审批驳回"},      {"reply", "答复客户"},         {"followup", "回访"},
        {"close", "结案"},           {"reopen", "重新处理"},        {"capa", "纠正预防措施"},
        {"remark", "备注"},          {"pause", "暂停计时"},         {"paused", "暂停计时"},
        {"resume", "恢复计时"},      {"resumed", "恢复计时"},       {"escalated", "升级"},
        {"deadline_warning", "时限预警"}, {"deadline_breached", "超时"},
        {"deadlines_updated", "时限变化"}, {"approval_required", "待审批"},
    };
    for (size_t i = 0; type && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(type, names[i][0]) == 0) {
            return names[i][1];
        }
    }
    return NULL;
}

/* "  2026-11-28 22:04:38 +08:00  actor  名称 (type)" and the detail on the next line. */
static void s_print_entry(FILE *out, const json_t *entry)
{
    char when[64];
    const char *type = s_str(entry, "type");
    const char *name = s_type_name(type);
    const json_t *detail = json_object_get(entry, "detail");
    fprintf(out, "  %s  ", pl_client_format_local(s_str(entry, "at"), PL_CLIENT_LOCAL_ZONE, when,
                                                  sizeof when));
    pl_client_fprint_line(out, s_str(entry, "actor") ? s_str(entry, "actor") : "-");
    fputs("  ", out);
    if (name) {
        fprintf(out, "%s (", name);
    }
    pl_client_fprint_line(out, type ? type : "-");
    fputs(name ? ")\n" : "\n", out);
    bool empty = !detail || json_is_null(detail) ||
                 (json_is_object(detail) && json_object_size(detail) == 0) ||
                 (json_is_string(detail) && json_string_length(detail) == 0);
    if (!empty) {
        fputs("      ", out);
        pl_client_fprint_value(out, detail, 6);
        putc('\n', out);
    }
}

/* Prints the history entries whose type is one of `types` (NULL-terminated); false if none. */
static bool s_print_entries(FILE *out, const json_t *history, const char *const *types)
{
    bool any = false;
    size_t i;
    const json_t *entry;
    json_array_foreach(history, i, entry) {
        const char *type = s_str(entry, "type");
        bool wanted = false;
        for (size_t k = 0; types[k] && type && !wanted; k++) {
            wanted = strcmp(type, types[k]) == 0;
        }
        if (wanted) {
            s_print_entry(out, entry);
            any = true;
        }
    }
    return any;
}

static void s_heading(FILE *out, const char *heading)
{
    fprintf(out, "\n%s\n", heading);
}

static void s_none(FILE *out)
{
    fputs("  -\n", out);
}

static void s_print_classification(FILE *out, const json_t *c)
{
    char round[64];
    const json_t *r = json_object_get(c, "round");
    if (json_is_integer(r)) {
        snprintf(round, sizeof round, "%lld%s", (long long)json_integer_value(r),
                 json_is_true(json_object_get(c, "escalated")) ? " (已升级 escalated)" : "");
    }
    char version[PL_CLIENT_RULES_VERSION_SHOWN + 1] = "";
    const char *rules = s_str(c, "rules_version");
    if (rules) {
        snprintf(version, sizeof version, "%s", rules);
    }
    s_heading(out, "二、分类与分派 (classification and routing)");
    s_row(out, 2, "状态", s_str(c, "status"));
    s_row(out, 2, "处理轮次", json_is_integer(r) ? round : NULL);
    s_row(out, 2, "信息类别", s_str(c, "kind"));
    s_row(out, 2, "渠道", s_str(c, "channel"));
    s_row(out, 2, "来源", s_str(c, "source"));
    s_row(out, 2, "事件编号", s_str(c, "event_id"));
    s_row(out, 2, "区域", s_str(c, "region"));
    s_row(out, 2, "问题类别", s_str(c, "category"));
    s_row(out, 2, "严重程度", s_str(c, "severity"));
    s_row_value(out, 2, "标签", json_object_get(c, "tags"));
    s_row(out, 2, "责任部门", s_str(c, "department"));
    s_row(out, 2, "处理人", s_str(c, "assignee"));
    s_row_value(out, 2, "知会", json_object_get(c, "inform"));
    s_row(out, 2, "规则版本", version);
    s_row_time(out, 2, "登记时间", s_str(c, "created_at"));
    s_row_time(out, 2, "结案时间", s_str(c, "closed_at"));
    if (s_str(c, "paused_at")) {
        s_row_time(out, 2, "暂停时间", s_str(c, "paused_at"));
        s_row(out, 2, "暂停原因", s_str(c, "paused_reason"));
    }
}

static void s_print_measures(FILE *out, const json_t *c)
{
    static const char *const types[] = {
        "confirm", "assign", "visit",  "analyse", "note",   "report", "propose",
        "reopen",  "pause",  "paused", "resume",  "resumed", "close", NULL,
    };
    s_heading(out, "三、处理措施 (handling measures)");
    s_row(out, 2, "责任判定", s_str(c, "responsibility"));
    s_row(out, 2, "原因", s_str(c, "cause"));
    s_row(out, 2, "处理方案", s_str(c, "proposed_result"));
    s_print_entries(out, json_object_get(c, "history"), types);
}

static void s_print_approvals(FILE *out, const json_t *c)
{
    const json_t *approvals = json_object_get(c, "approvals");
    s_heading(out, "四、审批 (approvals)");
    if (json_array_size(approvals) == 0) {
        s_none(out);
        return;
    }
    size_t i;
    const json_t *a;
    json_array_foreach(approvals, i, a) {
        char when[64];
        fprintf(out, "  第%lld轮 第%lld级  ",
                (long long)json_integer_value(json_object_get(a, "round")),
                (long long)json_integer_value(json_object_get(a, "level")));
        size_t k;
        const json_t *role;
        json_array_foreach(json_object_get(a, "roles"), k, role) {
            fputs(k ? ", " : "", out);
            pl_client_fprint_line(out, json_string_value(role) ? json_string_value(role) : "?");
        }
        fputs("  ", out);
        pl_client_fprint_line(out, s_str(a, "status") ? s_str(a, "status") : "-");
        if (s_str(a, "by") || s_str(a, "at")) {
            fputs("  ", out);
            pl_client_fprint_line(out, s_str(a, "by") ? s_str(a, "by") : "-");
            fprintf(out, "  %s", pl_client_format_local(s_str(a, "at"), PL_CLIENT_LOCAL_ZONE,
                                                         when, sizeof when));
        }
        putc('\n', out);
        if (s_str(a, "reason")) {
            s_row(out, 6, "意见", s_str(a, "reason"));
        }
        if (s_str(a, "rule")) {
            s_row(out, 6, "审批规则", s_str(a, "rule"));
        }
    }
}

static void s_print_reply(FILE *out, const json_t *c)
{
    static const char *const types[] = {"reply", NULL};
    s_heading(out, "五、答复 (reply)");
    s_row(out, 2, "处理结果", s_str(c, "handling_result"));
    s_print_entries(out, json_object_get(c, "history"), types);
}

static void s_print_followups(FILE *out, const json_t *c)
{
    const json_t *followups = json_object_get(c, "followups");
    s_heading(out, "六、回访 (follow-ups)");
    if (json_array_size(followups) == 0) {
        s_none(out);
        return;
    }
    size_t i;
    const json_t *f;
    json_array_foreach(followups, i, f) {
        const json_t *satisfied = json_object_get(f, "satisfied");
        fprintf(out, "  第%lld轮\n", (long long)json_integer_value(json_object_get(f, "round")));
        s_row_time(out, 4, "回访时间", s_str(f, "at"));
        s_row(out, 4, "回访人", s_str(f, "by"));
        s_row(out, 4, "回访方式", s_method_name(s_str(f, "method")));
        s_row(out, 4, "是否满意",
              !json_is_boolean(satisfied) ? NULL
              : json_is_true(satisfied)   ? "满意 (satisfied)"
                                          : "不满意 (unsatisfied)");
        s_row(out, 4, "客户意见", s_str(f, "opinion"));
    }
}

static void s_print_capa(FILE *out, const json_t *c)
{
    const json_t *capa = json_object_get(c, "capa");
    s_heading(out, "七、纠正与预防措施 (CAPA)");
    if (json_array_size(capa) == 0) {
        s_none(out);
        return;
    }
    size_t i;
    const json_t *a;
    json_array_foreach(capa, i, a) {
        const char *kind = s_str(a, "kind");
        const json_t *effective = json_object_get(a, "effective");
        fprintf(out, "  %lld. ", (long long)json_integer_value(json_object_get(a, "no")));
        fputs(kind && strcmp(kind, "corrective") == 0   ? "纠正措施 (corrective)"
              : kind && strcmp(kind, "preventive") == 0 ? "预防措施 (preventive)"
                                                        : "-",
              out);
        fputs("  ", out);
        pl_client_fprint_line(out, s_str(a, "status") ? s_str(a, "status") : "-");
        putc('\n', out);
        s_row(out, 6, "措施", s_str(a, "action"));
        s_row(out, 6, "负责人", s_str(a, "owner"));
        s_row(out, 6, "完成期限", s_str(a, "due"));
        s_row(out, 6, "提出人", s_str(a, "created_by"));
        s_row_time(out, 6, "提出时间", s_str(a, "created_at"));
        if (s_str(a, "verified_at") || json_is_boolean(effective)) {
            s_row(out, 6, "验证人", s_str(a, "verified_by"));
            s_row_time(out, 6, "验证时间", s_str(a, "verified_at"));
            s_row(out, 6, "验证结果", s_str(a, "result"));
            s_row(out, 6, "是否有效",
                  !json_is_boolean(effective) ? NULL
                  : json_is_true(effective)   ? "有效 (effective)"
                                              : "无效 (not effective)");
        }
    }
}

static void s_print_deadlines(FILE *out, const json_t *c)
{
    const json_t *deadlines = json_object_get(c, "deadlines");
    s_heading(out, "八、时限 (deadlines)");
    if (json_array_size(deadlines) == 0) {
        s_none(out);
        return;
    }
    size_t i;
    const json_t *d;
    json_array_foreach(deadlines, i, d) {
        char when[64];
        json_int_t level = json_integer_value(json_object_get(d, "level"));
        fputs("  ", out);
        pl_client_fprint_line(out, s_str(d, "name") ? s_str(d, "name") : "-");
        fprintf(out, "  %s  ", pl_client_format_local(s_str(d, "due_at"), PL_CLIENT_LOCAL_ZONE,
                                                       when, sizeof when));
        pl_client_fprint_line(out, s_str(d, "status") ? s_str(d, "status") : "-");
        if (level > 0) {
            fprintf(out, ", level %lld", (long long)level);
        }
        if (json_is_true(json_object_get(d, "recurring"))) {
            fputs(", recurring", out);
        }
        if (s_str(d, "label")) {
            fputs("  ", out);
            pl_client_fprint_line(out, s_str(d, "label"));
        }
        putc('\n', out);
    }
}

static void s_print_history(FILE *out, const json_t *c)
{
    const json_t *history = json_object_get(c, "history");
    s_heading(out, "九、处理记录 (history)");
    if (json_array_size(history) == 0) {
        s_none(out);
        return;
    }
    size_t i;
    const json_t *entry;
    json_array_foreach(history, i, entry) {
        s_print_entry(out, entry);
    }
}

void pl_client_print_file(FILE *out, const json_t *c)
{
    char now[PL_TIME_RFC3339_SIZE], printed[64];
    pl_time_format_rfc3339(pl_now(), now, sizeof now);
    fputs("客户投诉档案  ", out);
    pl_client_fprint_line(out, s_str(c, "case_no") ? s_str(c, "case_no") : "-");
    fprintf(out, "\n打印时间  %s\n",
            pl_client_format_local(now, PL_CLIENT_LOCAL_ZONE, printed, sizeof printed));
    s_heading(out, "一、投诉登记 (register)");
    s_print_register_block(out, c, 2);
    s_print_classification(out, c);
    s_print_measures(out, c);
    s_print_approvals(out, c);
    s_print_reply(out, c);
    s_print_followups(out, c);
    s_print_capa(out, c);
    s_print_deadlines(out, c);
    s_print_history(out, c);
}
