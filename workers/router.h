/*
 * router: decides the department, the assignee or the pool to pick from,
 * and who must be informed (R12-R15), from the classified event and the
 * rules. Its one piece of state is the round-robin counter, which belongs to
 * the worker so the rules stay immutable.
 */
#ifndef PL_ROUTER_H
#define PL_ROUTER_H

#include "workers/work.h"

#include <stdint.h>

typedef struct pl_router pl_router_t;

/* pl_router_new: returns a new worker (caller destroys) or NULL. */
pl_router_t *pl_router_new(void);

/*
 * pl_router_handle: fills work->route. Borrows work. Returns 0, or a PL_E*
 * code (then work->status is set too). Items that failed an earlier stage
 * pass through untouched.
 */
int pl_router_handle(pl_router_t *self, pl_work_t *work);

/* pl_router_destroy: frees the worker; accepts NULL. */
void pl_router_destroy(pl_router_t **self_p);

#endif
