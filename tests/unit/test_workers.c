/*
 * The classifier and router workers on a real rules snapshot: the router's
 * round robin turns per pool, dry runs do not move it, and a failed item
 * passes through untouched.
 */
#include "common/pl_time.h"
#include "config/config.h"
#include "config/event.h"
#include "workers/classifier.h"
#include "workers/router.h"
#include "workers/work.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const char s_rules[] =
    "directory:\n"
    "  departments: [{id: desk}, {id: sales}]\n"
    "  roles: [{id: clerk}, {id: head}]\n"
    "  people:\n"
    "    - {id: a, roles: [clerk]}\n"
    "    - {id: b, roles: [clerk]}\n"
    "    - {id: c, roles: [clerk]}\n"
    "    - {id: x, roles: [head]}\n"
    "    - {id: y, roles: [head]}\n"
    "categories:\n"
    "  - id: rude\n"
    "    match: {keywords: [态度差, rude]}\n"
    "  - id: other\n"
    "classify: {default_category: other}\n"
    "routing:\n"
    "  - id: to_sales\n"
    "    when: {category: rude}\n"
    "    department: sales\n"
    "    pool: {role: head, strategy: round_robin}\n"
    "  - id: to_desk\n"
    "    department: desk\n"
    "    pool: {role: clerk, strategy: round_robin}\n";

typedef struct s_fixture {
    pl_config_t *cfg;
    pl_classifier_t *classifier;
    pl_router_t *router;
} s_fixture_t;

static int s_setup(void **state)
{
    static s_fixture_t f;
    pl_errlist_t errs = {0};
    f.cfg = pl_config_load_buffer(s_rules, sizeof s_rules - 1, "workers.yaml", &errs);
    if (!f.cfg) {
        char line[1024];
        for (size_t i = 0; i < errs.count; i++) {
            print_error("%s\n", pl_err_format(&errs.items[i], line, sizeof line));
        }
    }
    pl_errlist_free(&errs);
    f.classifier = pl_classifier_new();
    f.router = pl_router_new();
    *state = &f;
    return f.cfg && f.classifier && f.router ? 0 : -1;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    pl_classifier_destroy(&f->classifier);
    pl_router_destroy(&f->router);
    pl_config_destroy(&f->cfg);
    return 0;
}

/* Runs one event through both workers; returns the assignee (static copy). */
static const char *s_run(s_fixture_t *f, const char *content, int explain)
{
    static char assignee[64];
    json_t *obj = json_pack("{s:s, s:s}", "event_id", "e", "content", content);
    pl_err_t err;
    pl_event_t *ev = pl_event_from_json(obj, pl_now(), NULL, &err);
    json_decref(obj);
    assert_non_null(ev);
    pl_work_t *work = pl_work_new(&ev, 0, f->cfg->rules);
    assert_non_null(work);
    work->explain = explain;
    assert_int_equal(pl_classifier_handle(f->classifier, work), 0);
    assert_int_equal(pl_router_handle(f->router, work), 0);
    assert_non_null(work->route.assignee);
    snprintf(assignee, sizeof assignee, "%s", work->route.assignee);
    pl_work_destroy(&work);
    assert_null(work);
    return assignee;
}

static void test_round_robin_per_pool(void **state)
{
    s_fixture_t *f = *state;
    /* Interleaving the pools must not make either skip anyone. */
    assert_string_equal(s_run(f, "他态度差", 0), "x");
    assert_string_equal(s_run(f, "洗衣机漏水", 0), "a");
    assert_string_equal(s_run(f, "rude staff", 0), "y");
    assert_string_equal(s_run(f, "洗衣机漏水", 0), "b");
    assert_string_equal(s_run(f, "洗衣机漏水", 0), "c");
    assert_string_equal(s_run(f, "他态度差", 0), "x");
    assert_string_equal(s_run(f, "洗衣机漏水", 0), "a");
}

static void test_explain_does_not_turn(void **state)
{
    s_fixture_t *f = *state;
    const char *next = s_run(f, "洗衣机漏水", 1);
    char first[64];
    snprintf(first, sizeof first, "%s", next);
    /* Two dry runs show the same person, who then gets the real case. */
    assert_string_equal(s_run(f, "洗衣机漏水", 1), first);
    assert_string_equal(s_run(f, "洗衣机漏水", 0), first);
    assert_string_not_equal(s_run(f, "洗衣机漏水", 1), first);
}

static void test_failed_item_passes_through(void **state)
{
    s_fixture_t *f = *state;
    json_t *obj = json_pack("{s:s, s:s}", "event_id", "e", "content", "态度差");
    pl_event_t *ev = pl_event_from_json(obj, pl_now(), NULL, NULL);
    json_decref(obj);
    assert_non_null(ev);
    pl_work_t *work = pl_work_new(&ev, 0, f->cfg->rules);
    work->status = PL_ENOMEM;
    assert_int_equal(pl_classifier_handle(f->classifier, work), PL_ENOMEM);
    assert_int_equal(pl_router_handle(f->router, work), PL_ENOMEM);
    assert_null(work->cls.category);
    assert_null(work->route.department);
    pl_work_destroy(&work);
}

static void test_item_keeps_its_rules(void **state)
{
    s_fixture_t *f = *state;
    pl_config_t *cfg = pl_config_load_buffer(s_rules, sizeof s_rules - 1, "reloaded.yaml", NULL);
    assert_non_null(cfg);
    json_t *obj = json_pack("{s:s, s:s}", "event_id", "e", "content", "态度差");
    pl_event_t *ev = pl_event_from_json(obj, pl_now(), NULL, NULL);
    json_decref(obj);
    pl_work_t *work = pl_work_new(&ev, 0, cfg->rules);
    /* A reload destroys the old config; the item in flight keeps its rules
     * (ASan would see a use after free here otherwise). */
    pl_config_destroy(&cfg);
    assert_int_equal(pl_classifier_handle(f->classifier, work), 0);
    assert_int_equal(pl_router_handle(f->router, work), 0);
    assert_string_equal(work->cls.category, "rude");
    assert_string_equal(work->route.department, "sales");
    assert_string_equal(pl_rules_version(work->rules), pl_rules_version(f->cfg->rules));
    pl_work_destroy(&work);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_per_pool),
        cmocka_unit_test(test_explain_does_not_turn),
        cmocka_unit_test(test_failed_item_passes_through),
        cmocka_unit_test(test_item_keeps_its_rules),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
