/*
 * escalation: the deadlines a new case gets (R16-R18), computed from its
 * received_at with the business calendars of the rules that decided it.
 * The firing of deadlines is the daemon's escalation timer
 * (daemon/escalator.c), which works on the stored rows; this worker holds
 * the calendar arithmetic, so it stays out of the loop thread.
 */
#ifndef PL_ESCALATION_H
#define PL_ESCALATION_H

#include "workers/work.h"

typedef struct pl_escalation pl_escalation_t;

/* pl_escalation_new: returns a new worker (caller destroys) or NULL. */
pl_escalation_t *pl_escalation_new(void);

/*
 * pl_escalation_handle: fills work->deadlines (a JSON array, see
 * pl_rules_deadlines in config/deadlines.h) from the classified event.
 * Borrows work. Returns 0, or PL_ENOMEM (then work->status is set too).
 * Items that failed an earlier stage pass through untouched.
 */
int pl_escalation_handle(pl_escalation_t *self, pl_work_t *work);

/* pl_escalation_destroy: frees the worker; accepts NULL. */
void pl_escalation_destroy(pl_escalation_t **self_p);

#endif
