/*
 * engine/shared_vars.c - broadcast variables and accumulators. Broadcasts
 * are deep-copied once, each into an arena of its own, and read in place by
 * tasks (local mode shares one address space); the context keeps the live
 * ones sorted by id. A destroyed one is unlisted at once (a task asking for
 * it gets an error) and freed when no task of the context runs, as one may
 * still be reading it. A value derived from a broadcast (a broadcast
 * join's hash table) is made once, by the first task asking, and freed
 * with the broadcast. Accumulator updates collect in the task and are
 * merged by the scheduler only when the task succeeds.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

struct broadcast_derived {
    pthread_mutex_t lock; /* held while the value is made: other tasks wait */
    kiln_broadcast_make_fn make;
    void *value;
    void (*release)(void *);
};

void broadcast_free(broadcast *b)
{
    broadcast_derived *d = b->derived;
    if (d) {
        if (d->value && d->release) d->release(d->value);
        pthread_mutex_destroy(&d->lock);
        free(d);
    }
    kiln_arena_free(b->arena);
}

/* The index of broadcast id in ctx->bcasts, or where it would go (caller
 * holds ctx->lock); *found says which. */
static size_t bcast_index(const kiln_context *ctx, int64_t id, bool *found)
{
    size_t lo = 0, hi = ctx->nbcasts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ctx->bcasts[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    *found = lo < ctx->nbcasts && ctx->bcasts[lo].id == id;
    return lo;
}

/* Inserts a deep copy of v as broadcast id (caller holds ctx->lock); an id
 * held already is kept as it is. */
static int bcast_insert(kiln_context *ctx, int64_t id, const kiln_value *v)
{
    bool found;
    size_t at = bcast_index(ctx, id, &found);
    if (found) return KILN_OK;
    if (grow_for_one((void **)&ctx->bcasts, ctx->nbcasts, &ctx->cap_bcasts, sizeof *ctx->bcasts, 8))
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    broadcast b = {.id = id, .arena = kiln_arena_new(), .derived = calloc(1, sizeof *b.derived)};
    if (b.arena) b.v = kiln_arena_alloc(b.arena, sizeof *b.v);
    if (b.derived && pthread_mutex_init(&b.derived->lock, NULL)) {
        free(b.derived);
        b.derived = NULL;
    }
    if (!b.v || !b.derived || kiln_value_copy(b.arena, v, b.v)) {
        if (b.derived) pthread_mutex_destroy(&b.derived->lock);
        free(b.derived);
        kiln_arena_free(b.arena);
        return kiln_set_error(KILN_ENOMEM, "out of memory copying broadcast %lld", (long long)id);
    }
    memmove(&ctx->bcasts[at + 1], &ctx->bcasts[at], (ctx->nbcasts - at) * sizeof *ctx->bcasts);
    ctx->bcasts[at] = b;
    ctx->nbcasts++;
    if (id >= ctx->next_bcast) ctx->next_bcast = id + 1;
    return KILN_OK;
}

int64_t kiln_broadcast_new(kiln_context *ctx, const kiln_value *v)
{
    if (!ctx || !v) return kiln_set_error(KILN_EINVAL, "broadcast: NULL argument");
    pthread_mutex_lock(&ctx->lock);
    int64_t id = ctx->next_bcast;
    int rc = bcast_insert(ctx, id, v);
    pthread_mutex_unlock(&ctx->lock);
    return rc ? rc : id;
}

int ctx_broadcast_put(kiln_context *ctx, int64_t id, const kiln_value *v)
{
    if (id < 1) return kiln_set_error(KILN_ECORRUPT, "broadcast id %lld", (long long)id);
    pthread_mutex_lock(&ctx->lock);
    int rc = bcast_insert(ctx, id, v);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

void ctx_broadcasts_seen(kiln_context *ctx, int64_t last)
{
    pthread_mutex_lock(&ctx->lock);
    if (last >= ctx->next_bcast) ctx->next_bcast = last + 1;
    pthread_mutex_unlock(&ctx->lock);
}

const kiln_value *kiln_broadcast_value(kiln_task *t, int64_t id)
{
    kiln_context *ctx = t->ctx;
    bool found;
    pthread_mutex_lock(&ctx->lock);
    size_t at = bcast_index(ctx, id, &found);
    const kiln_value *v = found ? ctx->bcasts[at].v : NULL;
    bool destroyed = !found && id >= 1 && id < ctx->next_bcast;
    pthread_mutex_unlock(&ctx->lock);
    if (!v && destroyed)
        task_error(t, KILN_ESTATE,
                   "broadcast %lld was destroyed (kiln_broadcast_destroy) and cannot be read",
                   (long long)id);
    else if (!v) task_error(t, KILN_ESTATE, "no broadcast %lld in this context", (long long)id);
    return v;
}

void *kiln_broadcast_derived(kiln_task *t, int64_t id, kiln_broadcast_make_fn make, void *arg,
                             void (*release)(void *))
{
    if (!t || !make) {
        kiln_set_error(KILN_EINVAL, "kiln_broadcast_derived: NULL argument");
        return NULL;
    }
    const kiln_value *v = kiln_broadcast_value(t, id);
    if (!v) return NULL;
    /* The task keeps the broadcast from being freed (bury waits for no
     * task running), so its derived state stays valid after the lock. */
    kiln_context *ctx = t->ctx;
    bool found;
    pthread_mutex_lock(&ctx->lock);
    size_t at = bcast_index(ctx, id, &found);
    broadcast_derived *d = found ? ctx->bcasts[at].derived : NULL;
    pthread_mutex_unlock(&ctx->lock);
    if (!d) {
        task_error(t, KILN_ESTATE, "broadcast %lld was destroyed (kiln_broadcast_destroy)",
                   (long long)id);
        return NULL;
    }
    pthread_mutex_lock(&d->lock);
    void *out = NULL;
    if (d->make && d->make != make) {
        kiln_set_error(KILN_EINVAL, "broadcast %lld has a value derived by another function",
                       (long long)id);
    } else if (d->value) {
        out = d->value;
    } else if ((out = make(arg, v)) != NULL) {
        d->make = make;
        d->value = out;
        d->release = release;
    }
    pthread_mutex_unlock(&d->lock);
    return out;
}

/* Frees the destroyed broadcasts once no task runs (caller holds ctx->lock):
 * a task that read one before it was destroyed may still use it. */
static void bury(kiln_context *ctx)
{
    if (atomic_load(&ctx->tasks_running) != 0) return;
    for (size_t i = 0; i < ctx->nbgrave; i++) broadcast_free(&ctx->bgrave[i]);
    ctx->nbgrave = 0;
    atomic_store(&ctx->bgrave_waiting, false);
}

int kiln_broadcast_destroy(kiln_context *ctx, int64_t id)
{
    if (!ctx) return kiln_set_error(KILN_EINVAL, "broadcast destroy: NULL context");
    bool found;
    pthread_mutex_lock(&ctx->lock);
    size_t at = bcast_index(ctx, id, &found);
    int rc = KILN_OK;
    if (!found) {
        rc = kiln_set_error(KILN_EINVAL, "broadcast destroy: %lld is not a live broadcast%s",
                            (long long)id,
                            id >= 1 && id < ctx->next_bcast ? " (destroyed already)" : "");
    } else if (grow_for_one((void **)&ctx->bgrave, ctx->nbgrave, &ctx->cap_bgrave,
                            sizeof *ctx->bgrave, 8)) {
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    } else {
        ctx->bgrave[ctx->nbgrave++] = ctx->bcasts[at];
        memmove(&ctx->bcasts[at], &ctx->bcasts[at + 1],
                (ctx->nbcasts - at - 1) * sizeof *ctx->bcasts);
        ctx->nbcasts--;
        /* Published before tasks_running is read (in bury): a task ending
         * now either sees it or is counted. */
        atomic_store(&ctx->bgrave_waiting, true);
        bury(ctx);
    }
    pthread_mutex_unlock(&ctx->lock);
    task_backend *b = ctx->backend;
    if (rc == KILN_OK && b && b->ops->cleanup) b->ops->cleanup(b, CLEAN_BROADCAST, id);
    return rc;
}

void ctx_task_begin(kiln_context *ctx)
{
    atomic_fetch_add(&ctx->tasks_running, 1);
}

void ctx_task_end(kiln_context *ctx)
{
    if (atomic_fetch_sub(&ctx->tasks_running, 1) == 1 && atomic_load(&ctx->bgrave_waiting)) {
        pthread_mutex_lock(&ctx->lock);
        bury(ctx);
        pthread_mutex_unlock(&ctx->lock);
    }
}

int ctx_broadcasts_encode(kiln_context *ctx, int64_t after, kiln_buf *out, uint32_t *count,
                          int64_t *last)
{
    int rc = KILN_OK;
    bool found;
    pthread_mutex_lock(&ctx->lock);
    *count = 0;
    *last = ctx->next_bcast - 1;
    for (size_t i = bcast_index(ctx, after + 1, &found); i < ctx->nbcasts && !rc; i++) {
        uint64_t id = (uint64_t)ctx->bcasts[i].id;
        rc = kiln_buf_append(out, &id, sizeof id);
        if (!rc) rc = kiln_value_encode(out, ctx->bcasts[i].v);
        ++*count;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
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
