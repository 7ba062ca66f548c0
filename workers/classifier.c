#include "workers/classifier.h"

#include <stdlib.h>

struct pl_classifier {
    unsigned long handled;
};

pl_classifier_t *pl_classifier_new(void)
{
    return calloc(1, sizeof(pl_classifier_t));
}

int pl_classifier_handle(pl_classifier_t *self, pl_work_t *work)
{
    if (work->status) {
        return work->status;
    }
    int rc = pl_rules_classify(work->rules, work->event, work->kind_given, &work->cls);
    if (rc) {
        work->status = rc;
    }
    self->handled++;
    return rc;
}

void pl_classifier_destroy(pl_classifier_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}
