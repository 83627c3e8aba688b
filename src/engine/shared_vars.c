/*
 * engine/shared_vars.c - broadcast variables and accumulators. Broadcasts
 * are deep-copied into the context's arena once and read in place by tasks
 * (local mode shares one address space). Accumulator updates collect in the
 * task and are merged by the scheduler only when the task succeeds.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

int64_t kiln_broadcast_new(kiln_context *ctx, const kiln_value *v)
{
    if (!ctx || !v) return kiln_set_error(KILN_EINVAL, "broadcast: NULL argument");
    pthread_mutex_lock(&ctx->lock);
    int64_t rc;
    if (grow_for_one((void **)&ctx->broadcasts, ctx->nbroadcasts, &ctx->cap_broadcasts,
                     sizeof *ctx->broadcasts, 8)) {
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        goto out;
    }
    if (kiln_value_copy(ctx->arena, v, &ctx->broadcasts[ctx->nbroadcasts])) {
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        goto out;
    }
    rc = (int64_t)++ctx->nbroadcasts;
out:
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

const kiln_value *kiln_broadcast_value(kiln_task *t, int64_t id)
{
    kiln_context *ctx = t->ctx;
    pthread_mutex_lock(&ctx->lock);
    const kiln_value *v = id >= 1 && (size_t)id <= ctx->nbroadcasts ? &ctx->broadcasts[id - 1]
                                                                    : NULL;
    pthread_mutex_unlock(&ctx->lock);
    return v;
}

int64_t kiln_accumulator_new(kiln_context *ctx, const char *name, kiln_type type)
{
    if (!ctx) return kiln_set_error(KILN_EINVAL, "accumulator: NULL context");
    if (type != KILN_INT && type != KILN_DOUBLE)
        return kiln_set_error(KILN_EINVAL, "accumulator %s: type must be KILN_INT or KILN_DOUBLE",
                              name ? name : "");
    pthread_mutex_lock(&ctx->lock);
    int64_t rc;
    if (grow_for_one((void **)&ctx->accs, ctx->naccs, &ctx->cap_accs, sizeof *ctx->accs, 8)) {
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        goto out;
    }
    accumulator *acc = &ctx->accs[ctx->naccs];
    acc->name = strdup(name ? name : "");
    acc->total = type == KILN_INT ? kiln_int(0) : kiln_double(0);
    rc = (int64_t)++ctx->naccs;
out:
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

kiln_value kiln_accumulator_value(kiln_context *ctx, int64_t id)
{
    kiln_value v = kiln_null();
    if (!ctx) return v;
    pthread_mutex_lock(&ctx->lock);
    if (id >= 1 && (size_t)id <= ctx->naccs) v = ctx->accs[id - 1].total;
    pthread_mutex_unlock(&ctx->lock);
    return v;
}
