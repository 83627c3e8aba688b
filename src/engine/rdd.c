/*
 * engine/rdd.c - RDD nodes: allocation into the context, their ops' state
 * (rdd_state_new), their references and release (kiln_rdd_free), the
 * cache-aware partition iterator, persistence, and two generic iterators
 * (over an array, and the drain helper).
 *
 * An RDD lives while something references it: its creator's handle, a
 * child RDD or a shuffle dependency reading it, a stage running over it
 * (rdd_retain / rdd_release). The last release destroys it: it leaves the
 * context's tables, its cached blocks are dropped, the shuffles it reads
 * are unregistered and their files deleted, the task backend is told (so
 * executors drop theirs too), and its parents are released in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

kiln_rdd *rdd_new(kiln_context *ctx, const rdd_ops *ops, int nparts, const void *env,
                  size_t env_len)
{
    kiln_rdd *r = calloc(1, sizeof *r);
    if (!r) goto oom;
    r->ctx = ctx;
    r->ops = ops;
    r->nparts = nparts < 0 ? 0 : nparts;
    if (env_len) {
        r->env = malloc(env_len);
        if (!r->env) goto oom_free;
        memcpy(r->env, env, env_len);
        r->env_len = env_len;
    }
    r->arena = kiln_arena_new();
    if (!r->arena) goto oom_free;
    atomic_init(&r->refs, 1);
    r->handle_out = true;
    pthread_mutex_lock(&ctx->lock);
    if (grow_for_one((void **)&ctx->rdds, ctx->nrdds, &ctx->cap_rdds, sizeof *ctx->rdds, 64)) {
        pthread_mutex_unlock(&ctx->lock);
        goto oom_free;
    }
    r->id = ctx->next_rdd_id++;
    r->slot = ctx->nrdds;
    ctx->rdds[ctx->nrdds++] = r;
    pthread_mutex_unlock(&ctx->lock);
    return r;
oom_free:
    if (r) {
        kiln_arena_free(r->arena);
        free(r->env);
        free(r);
    }
oom:
    kiln_set_error(KILN_ENOMEM, "out of memory creating an RDD");
    return NULL;
}

void *rdd_state_new(kiln_rdd *r, size_t size)
{
    void *s = kiln_arena_alloc(r->arena, size);
    if (!s) {
        kiln_set_error(KILN_ENOMEM, "out of memory making the state of RDD %d (%s)", r->id,
                       r->ops->name);
        return NULL;
    }
    memset(s, 0, size);
    r->state = s;
    return s;
}

void rdd_state_mismatch(const kiln_rdd *r, op_state_kind kind)
{
    fprintf(stderr, "kiln: bug: RDD %d (%s) keeps state of kind %d, read as kind %d\n", r->id,
            r->ops->name, (int)r->ops->state, (int)kind);
    abort();
}

size_t rdd_id_bound(kiln_context *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    size_t bound = (size_t)ctx->next_rdd_id;
    for (size_t i = 0; i < ctx->nrdds; i++)
        if ((size_t)ctx->rdds[i]->id + 1 > bound) bound = (size_t)ctx->rdds[i]->id + 1;
    pthread_mutex_unlock(&ctx->lock);
    return bound;
}

/* ---- References and release ------------------------------------------------ */

void rdd_retain(kiln_rdd *r)
{
    if (r) atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void rdd_link(kiln_rdd *r)
{
    for (int i = 0; i < r->nparents; i++) rdd_retain(r->parents[i]);
    for (int i = 0; i < r->ndeps; i++) {
        r->deps[i]->owner = r;
        rdd_retain(r->deps[i]->parent);
    }
    r->link_nparents = r->nparents;
    r->link_ndeps = r->ndeps;
}

/* Drops one reference of r; pushes r on *dead when it was the last. */
static void unref(kiln_rdd *r, kiln_rdd **dead)
{
    if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1) return;
    r->dead_next = *dead;
    *dead = r;
}

/* Removes the entries of ctx's tables (caller holds ctx->lock). */
static void untable_rdd(kiln_context *ctx, kiln_rdd *r)
{
    if (r->slot >= ctx->nrdds || ctx->rdds[r->slot] != r) return;
    kiln_rdd *moved = ctx->rdds[--ctx->nrdds];
    ctx->rdds[r->slot] = moved;
    moved->slot = r->slot;
}

static void untable_dep(kiln_context *ctx, shuffle_dep *d)
{
    if (d->slot >= ctx->nsdeps || ctx->sdeps[d->slot] != d) return;
    shuffle_dep *moved = ctx->sdeps[--ctx->nsdeps];
    ctx->sdeps[d->slot] = moved;
    moved->slot = d->slot;
}

/* The shuffle of d is gone: its map outputs here and wherever tasks run,
 * and d itself; d's reference on its parent goes on *dead's way. */
static void drop_dep(kiln_context *ctx, shuffle_dep *d, bool linked, kiln_rdd **dead)
{
    pthread_mutex_lock(&ctx->lock);
    untable_dep(ctx, d);
    pthread_mutex_unlock(&ctx->lock);
    if (ctx->shuffles) shuffle_unregister(ctx->shuffles, d->id);
    task_backend *b = ctx->backend;
    if (b && b->ops->cleanup) b->ops->cleanup(b, CLEAN_SHUFFLE, d->id);
    if (linked) unref(d->parent, dead);
    free(d);
}

/* Frees r, whose last reference is gone; its parents' references go on
 * *dead's way. */
static void destroy(kiln_rdd *r, kiln_rdd **dead)
{
    kiln_context *ctx = r->ctx;
    pthread_mutex_lock(&ctx->lock);
    untable_rdd(ctx, r);
    pthread_mutex_unlock(&ctx->lock);
    task_backend *b = ctx->backend;
    if (r->storage != KILN_STORAGE_NONE && ctx->blocks) block_store_drop_rdd(ctx, r->id);
    if (b && b->ops->cleanup) b->ops->cleanup(b, CLEAN_RDD, r->id);
    /* A checkpoint cut r's lineage (nparents, ndeps 0) but may have kept
     * the references rdd_link took: those are dropped now. */
    int ndeps = r->ndeps > r->link_ndeps ? r->ndeps : r->link_ndeps;
    for (int i = 0; i < ndeps; i++) drop_dep(ctx, r->deps[i], i < r->link_ndeps, dead);
    for (int i = 0; i < r->link_nparents; i++) unref(r->parents[i], dead);
    if (r->ops->free_extra) r->ops->free_extra(r);
    free(r->checkpoint_dir);
    rdd_names_free(r);
    kiln_arena_free(r->arena);
    free(r->env);
    free(r);
}

void rdd_release(kiln_rdd *r)
{
    kiln_rdd *dead = NULL;
    unref(r, &dead);
    while (dead) { /* a worklist, not recursion: lineages may be long */
        kiln_rdd *x = dead;
        dead = x->dead_next;
        destroy(x, &dead);
    }
}

void rdd_unlink(kiln_rdd *r)
{
    kiln_rdd *dead = NULL;
    for (int i = 0; i < r->link_ndeps; i++) drop_dep(r->ctx, r->deps[i], true, &dead);
    for (int i = 0; i < r->link_nparents; i++) unref(r->parents[i], &dead);
    r->nparents = r->ndeps = r->link_nparents = r->link_ndeps = 0;
    while (dead) {
        kiln_rdd *x = dead;
        dead = x->dead_next;
        destroy(x, &dead);
    }
}

kiln_rdd *rdd_drop_tmp(kiln_rdd *result, kiln_rdd *tmp)
{
    kiln_rdd_free(tmp);
    return result;
}

void kiln_rdd_free(kiln_rdd *r)
{
    if (!r) return;
    /* Only the first call releases the handle's reference; a second one,
     * while children still keep r, changes nothing. */
    if (!atomic_exchange(&r->handle_out, false)) return;
    rdd_release(r);
}

/* ---- Array iterator ------------------------------------------------------- */

typedef struct array_iter {
    eng_iter base;
    const kiln_value *vals;
    size_t n, pos;
} array_iter;

static int array_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    array_iter *a = (array_iter *)it;
    if (a->pos >= a->n) return 0;
    size_t take = a->n - a->pos < ENG_BATCH ? a->n - a->pos : ENG_BATCH;
    *vals = a->vals + a->pos;
    *n = take;
    a->pos += take;
    return 1;
}

static void simple_close(eng_iter *it)
{
    free(it);
}

eng_iter *iter_over_array(const kiln_value *vals, size_t n)
{
    array_iter *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->base.next = array_next;
    a->base.close = simple_close;
    a->vals = vals;
    a->n = n;
    return &a->base;
}

int iter_drain(eng_iter *it, kiln_task *t, kiln_arena *a, val_vec *out)
{
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        for (size_t i = 0; i < n; i++) {
            kiln_value c;
            if (kiln_value_copy(a, &vals[i], &c) || val_vec_push(out, &c))
                return task_error(t, KILN_ENOMEM, "out of memory materialising a partition");
        }
    }
    return rc;
}

/* ---- Cache ------------------------------------------------------------------ */

eng_iter *checkpoint_iterator(kiln_rdd *r, int p, kiln_task *t);

/* What every RDD's iterator is wrapped in: a check of the task's job
 * before each batch, so that once the job is cancelled every op of a
 * task (a narrow chain, a source, a map_partitions pulling its input)
 * fails at its next pull, within a batch's work. */
typedef struct cancel_iter {
    eng_iter base;
    eng_iter *inner;
} cancel_iter;

static int cancel_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    cancel_iter *c = (cancel_iter *)it;
    if (job_cancelled(t->ctx, t->job)) return task_cancel_error(t);
    return c->inner->next(c->inner, t, vals, n);
}

static void cancel_close(eng_iter *it)
{
    cancel_iter *c = (cancel_iter *)it;
    c->inner->close(c->inner);
    free(c);
}

static eng_iter *partition_iterator(kiln_rdd *r, int p, kiln_task *t);

eng_iter *rdd_iterator(kiln_rdd *r, int p, kiln_task *t)
{
    if (job_cancelled(t->ctx, t->job)) {
        task_cancel_error(t);
        return NULL;
    }
    eng_iter *inner = partition_iterator(r, p, t);
    cancel_iter *c = inner ? malloc(sizeof *c) : NULL;
    if (inner && !c) {
        inner->close(inner);
        task_error(t, KILN_ENOMEM, "out of memory");
    }
    if (!c) return NULL;
    *c = (cancel_iter){.base = {cancel_next, cancel_close}, .inner = inner};
    return &c->base;
}

/* The iterator over partition p of r: from a checkpoint, the block store
 * (caching it on first computation) or r's op. */
static eng_iter *partition_iterator(kiln_rdd *r, int p, kiln_task *t)
{
    if (r->checkpoint_dir) return checkpoint_iterator(r, p, t);
    if (r->storage == KILN_STORAGE_NONE) return r->ops->compute(r, p, t);
    bool hit;
    eng_iter *it = block_store_get(r->ctx, r->id, p, t, &hit);
    if (hit) return it;
    /* On an executor: another one may hold it (a miss there computes it here). */
    if (r->ctx->remote_block && (it = r->ctx->remote_block(r->ctx, r, p, t))) return it;
    if (t->error) return NULL;

    eng_iter *src = r->ops->compute(r, p, t);
    if (!src) return NULL;
    kiln_arena *a = kiln_arena_new();
    val_vec vv = {0};
    int rc = a ? iter_drain(src, t, a, &vv) : KILN_ENOMEM;
    src->close(src);
    if (rc < 0) {
        if (!t->error) task_error(t, rc, "caching partition %d of RDD %d failed", p, r->id);
        kiln_arena_free(a);
        val_vec_release(&vv);
        return NULL;
    }
    it = block_store_put(r->ctx, r->id, p, r->storage, a, &vv, t);
    if (it && r->ctx->block_cached && block_store_has(r->ctx, r->id, p))
        r->ctx->block_cached(r->ctx, r->id, p);
    int64_t mem = 0, disk = 0;
    if (it && events_wanted(r->ctx) && block_store_size(r->ctx, r->id, p, &mem, &disk))
        events_post(r->ctx, &(engine_event){.kind = EV_BLOCK_UPDATED,
                                            .job = t->job,
                                            .stage = t->stage,
                                            .partition = t->partition,
                                            .rdd = r->id,
                                            .part = p,
                                            .storage = r->storage,
                                            .bytes = mem,
                                            .disk_bytes = disk,
                                            .executor = -1,
                                            .name = "driver"});
    return it;
}

kiln_rdd *kiln_rdd_persist(kiln_rdd *r, kiln_storage_level level)
{
    if (!r) return NULL;
    if (level < KILN_STORAGE_NONE || level > KILN_DISK_ONLY) {
        kiln_set_error(KILN_EINVAL, "persist: unknown storage level %d", (int)level);
        return NULL;
    }
    if (r->storage != level && r->storage != KILN_STORAGE_NONE) block_store_drop_rdd(r->ctx, r->id);
    r->storage = level;
    return r;
}

kiln_rdd *kiln_rdd_cache(kiln_rdd *r)
{
    return kiln_rdd_persist(r, KILN_MEMORY_ONLY);
}

kiln_rdd *kiln_rdd_unpersist(kiln_rdd *r)
{
    if (!r) return NULL;
    block_store_drop_rdd(r->ctx, r->id);
    task_backend *b = r->ctx->backend;
    if (b) b->ops->unpersist(b, r->id);
    r->storage = KILN_STORAGE_NONE;
    if (events_wanted(r->ctx))
        events_post(r->ctx, &(engine_event){.kind = EV_UNPERSIST, .rdd = r->id});
    return r;
}

int kiln_rdd_cached_partitions(const kiln_rdd *r)
{
    if (!r) return 0;
    task_backend *b = r->ctx->backend;
    return b ? b->ops->cached_partitions(b, r->id) : block_store_count(r->ctx, r->id, NULL, NULL);
}

void kiln_rdd_storage(const kiln_rdd *r, int *partitions, int64_t *memory_bytes, int *on_disk)
{
    int64_t mem = 0, disk = 0;
    int n = r ? block_store_count(r->ctx, r->id, &mem, &disk) : 0;
    if (r && r->ctx->backend_ships) n = kiln_rdd_cached_partitions(r);
    if (partitions) *partitions = n;
    if (memory_bytes) *memory_bytes = mem;
    if (on_disk) *on_disk = (int)disk;
}

int kiln_rdd_num_partitions(const kiln_rdd *r)
{
    return r ? r->nparts : 0;
}
int kiln_rdd_id(const kiln_rdd *r)
{
    return r ? r->id : -1;
}
kiln_context *kiln_rdd_context(const kiln_rdd *r)
{
    return r ? r->ctx : NULL;
}

/* ---- The graph, as the cluster sees it (engine.h) ------------------------------ */

int dep_id(const shuffle_dep *d)
{
    return d->id;
}
kiln_rdd *dep_parent(const shuffle_dep *d)
{
    return d->parent;
}
int dep_maps(const shuffle_dep *d)
{
    return d->parent ? d->parent->nparts : 0;
}
int dep_reduces(const shuffle_dep *d)
{
    return d->nreduce;
}
kiln_storage_level rdd_storage_level(const kiln_rdd *r)
{
    return r->storage;
}

kiln_rdd *rdd_narrow_parent(const kiln_rdd *r)
{
    return r->nparents == 1 && r->ndeps == 0 ? r->parents[0] : NULL;
}

static int walk_stage(const kiln_rdd *r, int (*fn)(void *arg, int shuffle, int rdd), void *arg,
                      int depth)
{
    if (depth > 10000) return kiln_set_error(KILN_EINVAL, "lineage too deep");
    int rc = r->storage != KILN_STORAGE_NONE ? fn(arg, -1, r->id) : KILN_OK;
    for (int i = 0; i < r->ndeps && rc == KILN_OK; i++) rc = fn(arg, r->deps[i]->id, -1);
    for (int i = 0; i < r->nparents && rc == KILN_OK; i++)
        rc = walk_stage(r->parents[i], fn, arg, depth + 1);
    return rc;
}

int rdd_walk_stage(const kiln_rdd *r, int (*fn)(void *arg, int shuffle, int rdd), void *arg)
{
    return walk_stage(r, fn, arg, 0);
}
