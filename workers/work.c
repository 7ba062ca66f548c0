#include "workers/work.h"

#include <stdlib.h>

pl_work_t *pl_work_new(pl_event_t **event_p, int kind_given, const pl_rules_t *rules)
{
    pl_work_t *work = calloc(1, sizeof *work);
    if (!work) {
        pl_event_destroy(event_p);
        return NULL;
    }
    work->event = *event_p;
    *event_p = NULL;
    work->kind_given = kind_given;
    work->rules = pl_rules_ref(rules);
    return work;
}

void pl_work_destroy(pl_work_t **self_p)
{
    pl_work_t *work = self_p ? *self_p : NULL;
    if (!work) {
        return;
    }
    pl_event_destroy(&work->event);
    pl_classification_clear(&work->cls);
    pl_route_clear(&work->route);
    json_decref(work->deadlines);
    pl_rules_unref(&work->rules);
    free(work);
    *self_p = NULL;
}

json_t *pl_work_decision_json(const pl_work_t *work)
{
    json_t *d = pl_rules_result_json(work->rules, &work->cls, &work->route);
    if (!d) {
        return NULL;
    }
    const pl_route_t *route = &work->route;
    json_t *candidates = json_array();
    for (size_t i = 0; candidates && i < route->candidates_count; i++) {
        json_array_append_new(candidates, json_string(route->candidates[i]));
    }
    if (work->deadlines && json_object_set(d, "deadlines", work->deadlines) != 0) {
        json_decref(candidates);
        json_decref(d);
        return NULL;
    }
    if (!candidates ||
        json_object_set_new(d, "candidates", candidates) != 0 ||
        json_object_set_new(d, "strategy", route->pool_strategy ? json_string(route->pool_strategy)
                                                                : json_null()) != 0 ||
        json_object_set_new(d, "rule", route->rule ? json_string(route->rule) : json_null()) != 0) {
        json_decref(d);
        return NULL;
    }
    return d;
}
