/*
 * classifier: decides a case's kind (when the publisher did not), category,
 * severity and tags from the rules (R10, R11). A pure function of (event,
 * rules): the worker keeps no state between items.
 */
#ifndef PL_CLASSIFIER_H
#define PL_CLASSIFIER_H

#include "workers/work.h"

typedef struct pl_classifier pl_classifier_t;

/* pl_classifier_new: returns a new worker (caller destroys) or NULL. */
pl_classifier_t *pl_classifier_new(void);

/*
 * pl_classifier_handle: fills work->cls from work->event and work->rules.
 * Borrows work. Returns 0, or PL_ENOMEM (then work->status is set too).
 */
int pl_classifier_handle(pl_classifier_t *self, pl_work_t *work);

/* pl_classifier_destroy: frees the worker; accepts NULL. */
void pl_classifier_destroy(pl_classifier_t **self_p);

#endif
