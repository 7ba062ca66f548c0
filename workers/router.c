#include "workers/router.h"

#include "common/pl_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Round robin is per pool: each (routing rule, region) pool has its own
 * turn, so a busy pool does not skip people of a quiet one. Pools are few,
 * so a short array searched linearly serves.
 */
typedef struct s_turn {
    char *rule;
    uint64_t next;
} s_turn_t;

struct pl_router {
    s_turn_t *turns;
    size_t turns_count;
};

pl_router_t *pl_router_new(void)
{
    return calloc(1, sizeof(pl_router_t));
}

static s_turn_t *s_turn(pl_router_t *self, const char *rule)
{
    for (size_t i = 0; i < self->turns_count; i++) {
        if (strcmp(self->turns[i].rule, rule) == 0) {
            return &self->turns[i];
        }
    }
    s_turn_t *turns = realloc(self->turns, (self->turns_count + 1) * sizeof *turns);
    if (!turns) {
        return NULL;
    }
    self->turns = turns;
    s_turn_t *t = &turns[self->turns_count];
    t->rule = strdup(rule);
    t->next = 0;
    if (!t->rule) {
        return NULL;
    }
    self->turns_count++;
    return t;
}

int pl_router_handle(pl_router_t *self, pl_work_t *work)
{
    if (work->status) {
        return work->status;
    }
    int rc = pl_rules_route(work->rules, work->event, &work->cls, 0, &work->route);
    pl_route_t *route = &work->route;
    if (rc == 0 && route->rule && route->pool_strategy &&
        strcmp(route->pool_strategy, "round_robin") == 0 && route->candidates_count > 0) {
        /* The candidates depend on the rule and, with region: event, on the
         * region: each such pool keeps its own turn. */
        char key[256];
        snprintf(key, sizeof key, "%s\x1f%s", route->rule,
                 route->pool_region ? route->pool_region : "");
        s_turn_t *turn = s_turn(self, key);
        if (!turn) {
            rc = PL_ENOMEM;
        } else {
            /* A dry run shows whose turn it is without taking it. */
            uint64_t n = work->explain ? turn->next : turn->next++;
            /* Route again with the turn, so the assignee and the "why" agree;
             * routing is a pure function, so only the pick changes. */
            pl_route_clear(route);
            rc = pl_rules_route(work->rules, work->event, &work->cls, n, route);
        }
    }
    if (rc) {
        work->status = rc;
    }
    return rc;
}

void pl_router_destroy(pl_router_t **self_p)
{
    pl_router_t *self = self_p ? *self_p : NULL;
    if (!self) {
        return;
    }
    for (size_t i = 0; i < self->turns_count; i++) {
        free(self->turns[i].rule);
    }
    free(self->turns);
    free(self);
    *self_p = NULL;
}
