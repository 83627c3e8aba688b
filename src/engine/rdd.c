/*
 * engine/rdd.c - RDD nodes: allocation into the context, the cache-aware
 * partition iterator, persistence, and two generic iterators (over an array,
 * and the drain helper).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

kiln_rdd *rdd_new(kiln_context *ctx, const rdd_ops *ops, int nparts, const void *env,
                  size_t env_len)
{
    kiln_rdd *r = calloc(1, sizeof *r);
    if (!r) goto oom;
    r->ctx = ctx;
    r->ops = ops;
    r->nparts = nparts < 0 ? 0 : nparts;
    r->zero = kiln_null();
    pthread_mutex_init(&r->cache_lock, NULL);
    if (env_len) {
        r->env = malloc(env_len);
        if (!r->env) goto oom_free;
        memcpy(r->env, env, env_len);
        r->env_len = env_len;
    }
    r->arena = kiln_arena_new();
    if (!r->arena) goto oom_free;
    pthread_mutex_lock(&ctx->lock);
    if (grow_for_one((void **)&ctx->rdds, ctx->nrdds, &ctx->cap_rdds, sizeof *ctx->rdds, 64)) {
        pthread_mutex_unlock(&ctx->lock);
        goto oom_free;
    }
    r->id = (int)ctx->nrdds;
    ctx->rdds[ctx->nrdds++] = r;
    pthread_mutex_unlock(&ctx->lock);
    return r;
oom_free:
    if (r) {
        kiln_arena_free(r->arena);
        free(r->env);
        pthread_mutex_destroy(&r->cache_lock);
        free(r);
    }
oom:
    kiln_set_error(KILN_ENOMEM, "out of memory creating an RDD");
    return NULL;
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

static void simple_close(eng_iter *it) { free(it); }

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

/* Serves a cached block; holds no lock: blocks change only between jobs. */
static eng_iter *cached_iter(cache_block *b) { return iter_over_array(b->vals, b->n); }

eng_iter *rdd_iterator(kiln_rdd *r, int p, kiln_task *t)
{
    if (r->storage == KILN_STORAGE_NONE) return r->ops->compute(r, p, t);
    pthread_mutex_lock(&r->cache_lock);
    bool hit = r->cache && r->cache[p].present;
    pthread_mutex_unlock(&r->cache_lock);
    if (hit) return cached_iter(&r->cache[p]);

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
    pthread_mutex_lock(&r->cache_lock);
    if (r->cache && !r->cache[p].present) {
        r->cache[p] = (cache_block){.arena = a, .vals = vv.v, .n = vv.n, .present = true};
        a = NULL;
        vv = (val_vec){0};
    }
    pthread_mutex_unlock(&r->cache_lock);
    kiln_arena_free(a);
    val_vec_release(&vv);
    return cached_iter(&r->cache[p]);
}

kiln_rdd *kiln_rdd_persist(kiln_rdd *r, kiln_storage_level level)
{
    if (!r) return NULL;
    pthread_mutex_lock(&r->cache_lock);
    if (level != KILN_STORAGE_NONE && !r->cache)
        r->cache = calloc((size_t)r->nparts + 1, sizeof *r->cache);
    r->storage = r->cache ? level : KILN_STORAGE_NONE;
    pthread_mutex_unlock(&r->cache_lock);
    return r;
}

kiln_rdd *kiln_rdd_cache(kiln_rdd *r) { return kiln_rdd_persist(r, KILN_MEMORY_ONLY); }

kiln_rdd *kiln_rdd_unpersist(kiln_rdd *r)
{
    if (!r) return NULL;
    pthread_mutex_lock(&r->cache_lock);
    for (int i = 0; r->cache && i < r->nparts; i++) {
        kiln_arena_free(r->cache[i].arena);
        free(r->cache[i].vals);
        r->cache[i] = (cache_block){0};
    }
    r->storage = KILN_STORAGE_NONE;
    pthread_mutex_unlock(&r->cache_lock);
    return r;
}

int kiln_rdd_cached_partitions(const kiln_rdd *r)
{
    int n = 0;
    pthread_mutex_lock((pthread_mutex_t *)&r->cache_lock);
    for (int i = 0; r->cache && i < r->nparts; i++) n += r->cache[i].present;
    pthread_mutex_unlock((pthread_mutex_t *)&r->cache_lock);
    return n;
}

int kiln_rdd_num_partitions(const kiln_rdd *r) { return r ? r->nparts : 0; }
int kiln_rdd_id(const kiln_rdd *r) { return r ? r->id : -1; }
kiln_context *kiln_rdd_context(const kiln_rdd *r) { return r ? r->ctx : NULL; }
