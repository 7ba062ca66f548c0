/*
 * bench_classify: how fast one thread classifies and routes events.
 *
 * Generates a rules file of RULES keyword categories (default 1000, about 5
 * Chinese or English keywords each, drawn from complaint vocabulary), 40
 * keyword tags, RULES/5 routing rules with round-robin pools and a
 * catch-all, loads it through pl_config_load_buffer (so the automaton is
 * the real one), builds EVENTS distinct events of ~300 bytes of mixed
 * Chinese and English text (most contain a keyword somewhere), then calls
 * pl_rules_classify + pl_rules_route N times round the events and prints
 * classifications per second. The goal on one core is >= 200,000/s.
 *
 *   bench_classify [N [RULES]]        defaults: N = 500000, RULES = 1000
 *
 * Exits 1 if loading fails or no event matched a category (a broken
 * benchmark measures nothing).
 */
#include "config/config.h"
#include "config/event.h"
#include "config/rules.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_EVENTS 1000
#define S_NOW (INT64_C(1795867200) * 1000000)

static const char *const s_zh[] = {
    "漏水", "渗水", "破损", "故障", "异响",   "噪音", "异味", "变形", "断裂", "生锈", "掉漆",
    "起泡", "短路", "冒烟", "发烫", "失灵",   "死机", "黑屏", "花屏", "报错", "跳闸", "松动",
    "开裂", "划痕", "色差", "缺件", "少件",   "发错", "错发", "漏发", "延误", "丢件", "压坏",
    "受潮", "霉变", "过期", "退货", "退款",   "换货", "赔偿", "维修", "保修", "上门", "安装",
    "调试", "拆机", "返厂", "检测", "客服",   "态度", "推诿", "敷衍", "拖延", "爽约", "迟到",
    "收费", "发票", "合同", "订单", "物流",   "快递", "包装", "纸箱", "泡沫", "标签", "说明书",
    "配件", "电源", "插头", "电机", "压缩机", "滚筒", "门封", "水管", "排水", "进水", "加热",
    "制冷", "温控", "遥控", "面板", "按键",   "屏幕", "电池", "充电", "续航", "信号", "网络",
    "系统", "软件", "升级", "密码", "账号",   "积分", "优惠", "价格", "促销", "赠品", "样品",
    "样机", "寄样", "邮寄", "签收", "拒收",   "投诉", "举报", "曝光", "律师", "媒体", "消协",
    "质检", "工程", "研发", "商务", "销售",   "区域", "经理", "主管", "总部",
};

static const char *const s_en[] = {
    "leak",    "broken",   "crack",    "noise",   "smell",      "rust",     "scratch",  "dent",
    "faulty",  "defect",   "error",    "freeze",  "crash",      "overheat", "spark",    "smoke",
    "refund",  "return",   "replace",  "repair",  "warranty",   "install",  "delivery", "courier",
    "package", "label",    "manual",   "battery", "charger",    "screen",   "button",   "remote",
    "rude",    "ignored",  "delay",    "late",    "overcharge", "invoice",  "contract", "order",
    "sample",  "shipping", "missing",  "wrong",   "damaged",    "lost",     "dirty",    "unsafe",
    "motor",   "drum",     "pump",     "valve",   "filter",     "hose",     "door",     "seal",
    "app",     "account",  "password", "update",  "network",    "signal",   "lawyer",   "media",
};

#define S_ZH_COUNT (sizeof s_zh / sizeof s_zh[0])
#define S_EN_COUNT (sizeof s_en / sizeof s_en[0])

static uint64_t s_rng = 0x9E3779B97F4A7C15u;

static uint32_t s_rand(uint32_t n)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng % n);
}

/* A keyword: two Chinese words, or two English words as a phrase. */
static void s_keyword(char *out, size_t size)
{
    if (s_rand(10) < 6) {
        snprintf(out, size, "%s%s", s_zh[s_rand(S_ZH_COUNT)], s_zh[s_rand(S_ZH_COUNT)]);
    } else {
        snprintf(out, size, "%s %s", s_en[s_rand(S_EN_COUNT)], s_en[s_rand(S_EN_COUNT)]);
    }
}

typedef struct {
    char *data;
    size_t size, cap;
} s_text_t;

static void s_add(s_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_add(s_text_t *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->size, t->cap - t->size, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->size) {
            t->size += (size_t)n;
            return;
        }
        t->cap = t->cap ? t->cap * 2 : 1 << 16;
        t->data = realloc(t->data, t->cap);
        if (!t->data) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
}

static char *s_rules_yaml(int rules, char keywords[][48], size_t *keywords_count)
{
    s_text_t t = {0};
    int departments = 20, people_per_region = 3;
    static const char *const regions[] = {"east", "north", "south", "west"};
    s_add(&t, "directory:\n  departments:\n");
    for (int d = 0; d < departments; d++) {
        s_add(&t, "    - {id: dept%d, name: 部门%d}\n", d, d);
    }
    s_add(&t, "  roles:\n");
    for (int d = 0; d < departments; d++) {
        s_add(&t, "    - {id: role%d}\n", d);
    }
    s_add(&t, "  people:\n");
    for (int d = 0; d < departments; d++) {
        for (int r = 0; r < 4; r++) {
            for (int p = 0; p < people_per_region; p++) {
                s_add(&t, "    - {id: p%d_%d_%d, roles: [role%d], region: %s}\n", d, r, p, d,
                      regions[r]);
            }
        }
    }
    s_add(&t, "categories:\n");
    *keywords_count = 0;
    for (int c = 0; c < rules; c++) {
        int n = 3 + (int)s_rand(5); /* 3..7, about 5 */
        s_add(&t, "  - id: cat%d\n    severity: %s\n    match: {keywords: [", c,
              c % 7 == 0 ? "high" : "normal");
        for (int k = 0; k < n; k++) {
            char kw[48];
            s_keyword(kw, sizeof kw);
            s_add(&t, "%s\"%s\"", k ? ", " : "", kw);
            if (*keywords_count < 8192) {
                memcpy(keywords[(*keywords_count)++], kw, sizeof kw);
            }
        }
        s_add(&t, "]}\n");
    }
    s_add(&t, "  - id: other\nclassify: {default_category: other}\ntags:\n");
    for (int g = 0; g < 40; g++) {
        char a[48], b[48];
        s_keyword(a, sizeof a);
        s_keyword(b, sizeof b);
        s_add(&t, "  - {id: tag%d, %smatch: {keywords: [\"%s\", \"%s\"]}}\n", g,
              g % 10 == 0 ? "severity: high, " : "", a, b);
    }
    s_add(&t, "routing:\n");
    for (int r = 0; r < rules / 5; r++) {
        s_add(&t,
              "  - id: route%d\n    when: {category: [cat%d, cat%d, cat%d, cat%d, cat%d]}\n"
              "    department: dept%d\n    pool: {role: role%d, region: event}\n"
              "    inform: [dept%d]\n",
              r, 5 * r, 5 * r + 1, 5 * r + 2, 5 * r + 3, 5 * r + 4, r % departments,
              r % departments, (r + 1) % departments);
    }
    s_add(&t, "  - id: rest\n    department: dept0\n");
    return t.data;
}

/* ~300 bytes of complaint-like text; most events hold a keyword. */
static char *s_event_json(int i, char keywords[][48], size_t keywords_count)
{
    static const char *const regions[] = {"east", "north", "south", "west", "上海"};
    char content[512];
    size_t used = 0;
    bool planted = s_rand(10) < 8;
    size_t plant_at = s_rand(200);
    while (used < 290) {
        const char *piece;
        char buf[64];
        if (planted && used >= plant_at) {
            piece = keywords[s_rand((uint32_t)keywords_count)];
            planted = false;
        } else if (s_rand(3) == 0) {
            snprintf(buf, sizeof buf, " %s", s_en[s_rand(S_EN_COUNT)]);
            piece = buf;
        } else {
            piece = s_zh[s_rand(S_ZH_COUNT)];
        }
        size_t n = strlen(piece);
        if (used + n + 4 > sizeof content) {
            break;
        }
        memcpy(content + used, piece, n);
        used += n;
        if (s_rand(6) == 0) {
            memcpy(content + used, "，", 3);
            used += 3;
        }
    }
    content[used] = '\0';
    json_t *obj = json_pack("{s:s, s:s, s:s, s:{s:s}}", "event_id", "bench", "content", content,
                            "region", regions[i % 5], "customer", "name", "张三");
    char *text = json_dumps(obj, 0);
    json_decref(obj);
    return text;
}

static double s_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 500000;
    int rule_count = argc > 2 ? atoi(argv[2]) : 1000;
    if (n <= 0 || rule_count <= 0 || rule_count > 5000) {
        fprintf(stderr, "usage: bench_classify [N [RULES (1..5000)]]\n");
        return 2;
    }
    static char keywords[8192][48];
    size_t keywords_count = 0;
    char *yaml = s_rules_yaml(rule_count, keywords, &keywords_count);
    double t0 = s_seconds();
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_buffer(yaml, strlen(yaml), "bench.yaml", &errs);
    double load = s_seconds() - t0;
    if (!cfg) {
        char buf[1024];
        for (size_t i = 0; i < errs.count && i < 20; i++) {
            fprintf(stderr, "%s\n", pl_err_format(&errs.items[i], buf, sizeof buf));
        }
        return 1;
    }
    pl_rules_stats_t st;
    pl_rules_get_stats(cfg->rules, &st);
    printf("rules: %zu bytes of YAML, %zu categories, %zu tags, %zu routing rules, %zu keywords; "
           "loaded in %.1f ms; automaton %.1f KiB\n",
           strlen(yaml), st.categories, st.tags, st.routing, st.keywords, load * 1e3,
           (double)st.automaton_bytes / 1024);
    free(yaml);

    pl_event_t *events[S_EVENTS];
    size_t bytes = 0;
    pl_event_opts_t opts = {.kinds = (const char *const *)cfg->kinds};
    for (int i = 0; i < S_EVENTS; i++) {
        char *text = s_event_json(i, keywords, keywords_count);
        json_t *obj = json_loads(text, 0, NULL);
        events[i] = pl_event_from_json(obj, S_NOW, &opts, NULL);
        bytes += strlen(pl_event_content(events[i]));
        json_decref(obj);
        free(text);
        if (!events[i]) {
            fprintf(stderr, "bench_classify: could not build event %d\n", i);
            return 1;
        }
    }
    printf("events: %d distinct, %.0f bytes of content on average\n", S_EVENTS,
           (double)bytes / S_EVENTS);

    long matched = 0, routed = 0;
    t0 = s_seconds();
    for (long i = 0; i < n; i++) {
        const pl_event_t *ev = events[i % S_EVENTS];
        pl_classification_t cls = {0};
        pl_route_t route = {0};
        if (pl_rules_classify(cfg->rules, ev, true, &cls) != 0 ||
            pl_rules_route(cfg->rules, ev, &cls, (uint64_t)i, &route) != 0) {
            fprintf(stderr, "bench_classify: out of memory\n");
            return 1;
        }
        matched += strcmp(cls.category, "other") != 0;
        routed += route.assignee != NULL;
        pl_route_clear(&route);
        pl_classification_clear(&cls);
    }
    double elapsed = s_seconds() - t0;
    printf("classify+route: %ld events in %.3f s on one thread: %.0f classifications/s "
           "(%.2f us each); %.0f%% matched a category, %.0f%% got an assignee\n",
           n, elapsed, (double)n / elapsed, elapsed * 1e6 / (double)n,
           100.0 * (double)matched / (double)n, 100.0 * (double)routed / (double)n);
    for (int i = 0; i < S_EVENTS; i++) {
        pl_event_destroy(&events[i]);
    }
    pl_config_destroy(&cfg);
    pl_errlist_free(&errs);
    return matched > 0 ? 0 : 1;
}
