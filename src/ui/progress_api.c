/*
 * ui/progress_api.c - kiln_context_on_progress (include/kiln.h): the job
 * and stage events of a context's event bus (engine/engine.h, "Events"),
 * handed to a program's listener as kiln_progress records. The Python
 * package's notebook progress line listens this way.
 */
#include <stdlib.h>

#include "ui/ui.h"

typedef struct progress_sub {
    kiln_progress_fn fn;
    void *arg;
    void (*release)(void *);
} progress_sub;

static void sub_release(void *p)
{
    progress_sub *s = p;
    if (s->release) s->release(s->arg);
    free(s);
}

static void sub_listen(void *p, const engine_event *e)
{
    const progress_sub *s = p;
    kiln_progress out = {.job = e->job,
                         .stage = e->stage,
                         .time = e->time,
                         .name = e->name,
                         .rc = e->rc,
                         .duration = e->duration};
    switch (e->kind) {
    case EV_JOB_START:
        out.kind = KILN_PROGRESS_JOB_START;
        out.stage = -1;
        break;
    case EV_JOB_END:
        out.kind = KILN_PROGRESS_JOB_END;
        out.stage = -1;
        out.message = e->message;
        break;
    case EV_STAGE_START:
        out.kind = KILN_PROGRESS_STAGE_START;
        out.tasks = e->tasks;
        break;
    case EV_STAGE_PROGRESS:
        out.kind = KILN_PROGRESS_STAGE;
        out.tasks = e->tasks;
        out.done = e->done;
        out.running = e->running;
        break;
    case EV_STAGE_END:
        out.kind = KILN_PROGRESS_STAGE_END;
        out.tasks = e->tasks;
        out.done = e->tasks;
        break;
    default:
        return;
    }
    s->fn(s->arg, &out);
}

int kiln_context_on_progress(kiln_context *ctx, kiln_progress_fn fn, void *arg,
                             void (*release)(void *arg))
{
    if (!ctx || !fn)
        return kiln_set_error(KILN_EINVAL, "kiln_context_on_progress: no %s",
                              ctx ? "listener" : "context");
    progress_sub *s = malloc(sizeof *s);
    if (!s) return kiln_set_error(KILN_ENOMEM, "out of memory");
    *s = (progress_sub){fn, arg, release};
    int rc = events_subscribe(ctx, sub_listen, s, sub_release);
    if (rc) free(s);
    return rc;
}
