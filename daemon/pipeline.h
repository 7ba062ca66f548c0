/*
 * pipeline: the workers of DESIGN.md as threads behind inproc sockets.
 *
 *   loop thread --PUSH--> classifier thread --PUSH--> router thread --PUSH--> loop thread
 *
 * A work item travels as one pointer-sized frame (the threads share the
 * address space; the workers themselves only see pl_work_t and would not
 * change if a stage moved to another process with a serialized item). Each
 * thread blocks on its own socket and nothing else; the loop thread reads
 * the results through zsock and never blocks.
 */
#ifndef PL_PIPELINE_H
#define PL_PIPELINE_H

#include "common/pl_err.h"
#include "workers/work.h"

#include <uv.h>

typedef struct pl_pipeline pl_pipeline_t;

/* Called on the loop thread with each item that went through every stage;
 * takes ownership of the item. */
typedef void (*pl_pipeline_done_cb)(pl_work_t *work, void *arg);

/*
 * pl_pipeline_new: creates the sockets on zctx and starts one thread per
 * worker. Returns a new pipeline (caller closes) or NULL with err filled.
 */
pl_pipeline_t *pl_pipeline_new(uv_loop_t *loop, void *zctx, pl_pipeline_done_cb done, void *arg,
                               pl_err_t *err);

/*
 * pl_pipeline_push: hands *work_p to the first worker (takes ownership and
 * nulls it). Returns 0, or PL_EAGAIN when the pipeline is full or closing
 * (then the item is left with the caller, *work_p unchanged).
 */
int pl_pipeline_push(pl_pipeline_t *pipeline, pl_work_t **work_p);

/* pl_pipeline_in_flight: items pushed and not yet done. */
size_t pl_pipeline_in_flight(const pl_pipeline_t *pipeline);

/*
 * pl_pipeline_close: stops the threads (each finishes the items before the
 * stop marker), joins them, destroys items still unread, closes the sockets
 * and frees the pipeline once its handles are closed.
 */
void pl_pipeline_close(pl_pipeline_t *pipeline);

#endif
