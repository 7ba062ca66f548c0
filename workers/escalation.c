#include "workers/escalation.h"

#include "common/pl_err.h"
#include "config/deadlines.h"

#include <stdlib.h>

struct pl_escalation {
    unsigned long dropped; /* deadlines a calendar could not place */
};

pl_escalation_t *pl_escalation_new(void)
{
    return calloc(1, sizeof(pl_escalation_t));
}

int pl_escalation_handle(pl_escalation_t *self, pl_work_t *work)
{
    if (work->status) {
        return work->status;
    }
    json_t *list = pl_rules_deadlines(work->rules, work->event, &work->cls,
                                      pl_event_received_at(work->event));
    if (!list) {
        work->status = PL_ENOMEM;
        return PL_ENOMEM;
    }
    /* A deadline whose calendar search gave up has no due_at; it cannot be
     * stored or fired, and the loader's limits make it impossible for real
     * calendars, so it is left out rather than sinking the case. */
    size_t i = 0;
    while (i < json_array_size(list)) {
        if (!json_is_string(json_object_get(json_array_get(list, i), "due_at"))) {
            json_array_remove(list, i);
            self->dropped++;
        } else {
            i++;
        }
    }
    json_decref(work->deadlines);
    work->deadlines = list;
    return 0;
}

void pl_escalation_destroy(pl_escalation_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}
