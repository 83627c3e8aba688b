/*
 * engine/shuffled.c - the reduce side of shuffles and the transformations
 * built directly on one: combine_by_key and its family (reduce, aggregate,
 * fold), group_by_key, partition_by, repartition, coalesce with shuffle, and
 * sort_by_key / sort_by (range partitioning from a sample of the keys).
 *
 * A reduce-side RDD's state (shuffled_state) says what it does with the
 * records it reads (aggregate, group, stream, sort, cogroup); how they are
 * partitioned and combined (partitioner, aggregator and its zero, range
 * bounds) is its shuffle dependencies'.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/shuffle_int.h"

shuffle_dep *dep_new(kiln_rdd *parent, int nreduce, dep_part part)
{
    kiln_context *ctx = parent->ctx;
    shuffle_dep *d = calloc(1, sizeof *d);
    if (!d) goto oom;
    d->parent = parent;
    d->nreduce = nreduce < 1 ? 1 : nreduce;
    d->part = part;
    pthread_mutex_lock(&ctx->lock);
    if (grow_for_one((void **)&ctx->sdeps, ctx->nsdeps, &ctx->cap_sdeps, sizeof *ctx->sdeps, 16)) {
        pthread_mutex_unlock(&ctx->lock);
        free(d);
        goto oom;
    }
    d->id = ctx->next_dep_id++;
    d->slot = ctx->nsdeps;
    ctx->sdeps[ctx->nsdeps++] = d;
    pthread_mutex_unlock(&ctx->lock);
    return d;
oom:
    kiln_set_error(KILN_ENOMEM, "out of memory creating a shuffle");
    return NULL;
}

int dep_partition(const shuffle_dep *d, const kiln_value *key)
{
    switch (d->part) {
    case DEP_HASH:
        return (int)(kiln_value_hash(key) % (uint64_t)d->nreduce);
    case DEP_CUSTOM:
        return d->pfn(key, d->nreduce, d->penv);
    case DEP_RANGE: {
        size_t lo = 0, hi = d->nbounds; /* first bound >= key */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (kiln_value_cmp(&d->bounds[mid], key) < 0) lo = mid + 1;
            else hi = mid;
        }
        return d->descending ? d->nreduce - 1 - (int)lo : (int)lo;
    }
    case DEP_ROUND_ROBIN:
        break;
    }
    return 0;
}

/* ---- reduce-side iterator ------------------------------------------------ */

typedef struct group_lists {
    val_vec side[2];
} group_lists;

typedef struct reduce_iter {
    eng_iter base;
    kiln_rdd *r;
    sh_kind kind;
    kiln_task *t;
    kiln_arena *arena;
    kiln_arena *scratch;    /* SH_AGG: decoded records, reset per segment */
    sorter *sort;           /* SH_SORT */
    shuffle_cursor *cursor; /* SH_PLAIN: records streamed block by block */
    const uint8_t *block;
    size_t block_len, block_pos;
    agg_spill *spill;   /* SH_AGG / SH_GROUP / SH_COGROUP once over budget */
    kiln_arena *tmp;    /* one output record while spilling */
    int64_t list_bytes; /* memory of the group lists (estimated) */
    size_t absorbed;
    int64_t accounted; /* bytes of the map and lists in the memory budget */
    agg_map *map;
    val_vec vals; /* the batch handed out (SH_PLAIN) or every output record */
    size_t pos;
    int side; /* the dependency being read */
    int rc;
} reduce_iter;

static int oom(kiln_task *t)
{
    return task_error(t, KILN_ENOMEM, "out of memory");
}

static int spill_map(reduce_iter *ri);

/* Memory the aggregation holds; past half the task's share the map spills
 * (the sorter it spills into may take the other half). */
static int check_memory(reduce_iter *ri)
{
    int64_t held = (int64_t)agg_map_bytes(ri->map), used = (int64_t)agg_map_used_bytes(ri->map);
    if (ri->kind != SH_AGG) {
        int64_t more = (int64_t)kiln_arena_bytes(ri->arena) + ri->list_bytes;
        held += more;
        used += more;
    }
    mem_track(ri->t->ctx, &ri->accounted, held);
    if (used <= ri->t->ctx->mem_task_share / 2) return KILN_OK;
    int rc = spill_map(ri);
    mem_track(ri->t->ctx, &ri->accounted, (int64_t)agg_map_bytes(ri->map));
    return rc;
}

/* Folds one decoded record into the iterator's state (SH_PLAIN streams and
 * never gets here). */
static int absorb(reduce_iter *ri, kiln_value *v)
{
    kiln_task *t = ri->t;
    sh_kind kind = ri->kind;
    if (kind == SH_SORT) return sorter_push(ri->sort, v);
    if (!kiln_is_pair(v)) return task_error(t, KILN_ECORRUPT, "shuffle record is not a pair");
    int rc;
    if (kind == SH_AGG) {
        rc = agg_merge_combiner(t, &ri->r->deps[0]->agg, ri->map, v);
    } else {
        bool created;
        agg_entry *e = agg_map_upsert(ri->map, kiln_key(v), kiln_value_hash(kiln_key(v)), &created);
        if (!e) return oom(t);
        if (created && !(e->aux = calloc(1, sizeof(group_lists)))) return oom(t);
        /* The value was decoded into ri->arena, which lives as long as the map. */
        rc = val_vec_push(&((group_lists *)e->aux)->side[ri->side], kiln_val(v)) ? oom(t) : 0;
        ri->list_bytes += 2 * sizeof(kiln_value);
    }
    if (rc == KILN_OK && (++ri->absorbed & 1023) == 0) rc = check_memory(ri);
    return rc;
}

static int absorb_segment(void *arg, const uint8_t *p, size_t n)
{
    reduce_iter *ri = arg;
    size_t off = 0;
    /* Reading every map output can take long: a cancelled job stops here. */
    if (job_cancelled(ri->t->ctx, ri->t->job)) return task_cancel_error(ri->t);
    /* Combiners are copied into the map, so their decoded form can go. */
    kiln_arena *into = ri->scratch ? ri->scratch : ri->sort ? sorter_arena(ri->sort) : ri->arena;
    if (ri->scratch) kiln_arena_reset(ri->scratch);
    ri->t->metrics.sr_local_bytes += (int64_t)n;
    while (off < n) {
        kiln_value v;
        size_t used;
        int rc = kiln_value_decode(into, p + off, n - off, &v, &used);
        if (rc) return task_error(ri->t, rc, "corrupt shuffle block: %s", kiln_last_error());
        if ((rc = absorb(ri, &v))) return rc;
        ri->t->metrics.sr_records++;
        off += used;
    }
    return KILN_OK;
}

/* Builds entry e's output record in arena a. */
static int entry_record(reduce_iter *ri, agg_entry *e, kiln_arena *a, kiln_value *out)
{
    sh_kind kind = ri->kind;
    if (kind == SH_AGG) {
        *out = kiln_pair(a, e->key, e->val);
    } else {
        group_lists *g = e->aux;
        kiln_value l0 = g->side[0].n ? kiln_list_new(a, g->side[0].v, g->side[0].n)
                                     : kiln_list_ref(NULL, 0);
        if (kind == SH_GROUP) {
            *out = kiln_pair(a, e->key, l0);
        } else {
            kiln_value l1 = g->side[1].n ? kiln_list_new(a, g->side[1].v, g->side[1].n)
                                         : kiln_list_ref(NULL, 0);
            *out = kiln_pair(a, e->key, kiln_pair(a, l0, l1));
        }
    }
    return out->type == KILN_NULL ? oom(ri->t) : KILN_OK;
}

/* Turns the map's entries into output records. */
static int emit_map(reduce_iter *ri)
{
    for (size_t i = 0; i < agg_map_size(ri->map); i++) {
        kiln_value out;
        if (entry_record(ri, agg_map_at(ri->map, i), ri->arena, &out) ||
            val_vec_push(&ri->vals, &out))
            return oom(ri->t);
    }
    return KILN_OK;
}

static void free_lists(reduce_iter *ri)
{
    if (!ri->map || ri->kind == SH_AGG) return;
    for (size_t i = 0; i < agg_map_size(ri->map); i++) {
        group_lists *g = agg_map_at(ri->map, i)->aux;
        if (!g) continue;
        val_vec_release(&g->side[0]);
        val_vec_release(&g->side[1]);
        free(g);
    }
    ri->list_bytes = 0;
}

/* Moves the map's entries into the spill (sorted, on disk past the budget)
 * and empties the map. */
static int spill_map(reduce_iter *ri)
{
    kiln_task *t = ri->t;
    if (!ri->spill) {
        ri->spill = agg_spill_new(t, (int)ri->kind, &ri->r->deps[0]->agg);
        ri->tmp = kiln_arena_new();
        if (!ri->spill || !ri->tmp) return oom(t);
    }
    task_note_spill(t->ctx, t, (int64_t)agg_map_used_bytes(ri->map));
    int rc = KILN_OK;
    for (size_t i = 0; i < agg_map_size(ri->map) && rc == KILN_OK; i++) {
        kiln_value rec;
        kiln_arena_reset(ri->tmp);
        rc = entry_record(ri, agg_map_at(ri->map, i), ri->tmp, &rec);
        if (rc == KILN_OK) rc = agg_spill_add(ri->spill, &rec);
    }
    free_lists(ri);
    agg_map_clear(ri->map);
    /* Group values were decoded here; none is referenced any more. */
    if (ri->kind != SH_AGG) kiln_arena_reset(ri->arena);
    return rc;
}

static int reduce_load(reduce_iter *ri, int p)
{
    kiln_rdd *r = ri->r;
    kiln_context *ctx = r->ctx;
    for (int i = 0; i < r->ndeps; i++) {
        ri->side = i;
        int failed_map = -1;
        int rc = shuffle_read(ctx->shuffles, r->deps[i]->id, p, absorb_segment, ri, &failed_map);
        if (rc == KILN_EFETCH) {
            /* Not this task's fault: the scheduler recomputes that map output. */
            ri->t->fetch_shuffle = r->deps[i]->id;
            ri->t->fetch_map = failed_map;
            free(ri->t->error);
            ri->t->error = NULL;
            return task_error(ri->t, rc, "fetch failed: %s", kiln_last_error());
        }
        if (rc) {
            if (!ri->t->error) task_error(ri->t, rc, "shuffle read: %s", kiln_last_error());
            return rc;
        }
        ri->t->metrics.sr_local_blocks += r->deps[i]->parent->nparts; /* a segment per map */
    }
    if (ri->sort) return sorter_finish(ri->sort);
    if (ri->spill) {
        int rc = spill_map(ri);
        return rc ? rc : agg_spill_finish(ri->spill);
    }
    if (ri->map) return emit_map(ri);
    return KILN_OK;
}

/* SH_PLAIN: the next batch of records, decoded from the shuffle as they come,
 * so a partition never has to fit in memory. */
static int stream_next(reduce_iter *ri, kiln_task *t, const kiln_value **vals, size_t *n)
{
    kiln_arena_reset(ri->arena);
    ri->vals.n = 0;
    while (ri->vals.n < ENG_BATCH) {
        if (ri->block_pos >= ri->block_len) {
            int failed = -1;
            int rc = shuffle_cursor_next(ri->cursor, &ri->block, &ri->block_len, &failed);
            if (rc == 0) break;
            if (rc < 0) {
                if (rc == KILN_EFETCH) {
                    t->fetch_shuffle = ri->r->deps[0]->id;
                    t->fetch_map = failed;
                }
                return task_error(t, rc, "fetch failed: %s", kiln_last_error());
            }
            ri->block_pos = 0;
            t->metrics.sr_local_bytes += (int64_t)ri->block_len;
        }
        kiln_value v;
        size_t used;
        int rc = kiln_value_decode(ri->arena, ri->block + ri->block_pos,
                                   ri->block_len - ri->block_pos, &v, &used);
        if (rc) return task_error(t, rc, "corrupt shuffle block: %s", kiln_last_error());
        ri->block_pos += used;
        t->metrics.sr_records++;
        if (val_vec_push(&ri->vals, &v)) return oom(t);
    }
    *vals = ri->vals.v;
    *n = ri->vals.n;
    return ri->vals.n > 0;
}

static int reduce_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    reduce_iter *ri = (reduce_iter *)base;
    if (ri->cursor) return stream_next(ri, t, vals, n);
    if (ri->sort) return sorter_next(ri->sort, vals, n);
    if (ri->spill) return agg_spill_next(ri->spill, vals, n);
    if (ri->pos >= ri->vals.n) return 0;
    size_t k = ri->vals.n - ri->pos < ENG_BATCH ? ri->vals.n - ri->pos : ENG_BATCH;
    *vals = ri->vals.v + ri->pos;
    *n = k;
    ri->pos += k;
    return 1;
}

static void reduce_close(eng_iter *base)
{
    reduce_iter *ri = (reduce_iter *)base;
    mem_release(ri->r->ctx, ri->accounted);
    free_lists(ri);
    agg_map_free(ri->map);
    sorter_free(ri->sort);
    agg_spill_free(ri->spill);
    shuffle_cursor_close(ri->cursor);
    kiln_arena_free(ri->tmp);
    kiln_arena_free(ri->arena);
    kiln_arena_free(ri->scratch);
    val_vec_release(&ri->vals);
    free(ri);
}

static eng_iter *reduce_compute(kiln_rdd *r, int p, kiln_task *t)
{
    reduce_iter *ri = calloc(1, sizeof *ri);
    if (!ri || !(ri->arena = kiln_arena_new())) {
        free(ri);
        oom(t);
        return NULL;
    }
    ri->base.next = reduce_next;
    ri->base.close = reduce_close;
    ri->r = r;
    ri->t = t;
    sh_kind kind = ri->kind = rdd_shuffled_state(r)->kind;
    if (kind == SH_AGG || kind == SH_GROUP || kind == SH_COGROUP) {
        if (!(ri->map = agg_map_new()) || (kind == SH_AGG && !(ri->scratch = kiln_arena_new()))) {
            reduce_close(&ri->base);
            oom(t);
            return NULL;
        }
    }
    if (kind == SH_SORT &&
        !(ri->sort = sorter_new(t, r->deps[0]->descending, t->ctx->mem_task_share))) {
        reduce_close(&ri->base);
        oom(t);
        return NULL;
    }
    if (kind == SH_PLAIN) {
        ri->cursor = shuffle_cursor_open(r->ctx->shuffles, r->deps[0]->id, p);
        t->metrics.sr_local_blocks += r->deps[0]->parent->nparts; /* one segment per map output */
        if (!ri->cursor) {
            reduce_close(&ri->base);
            oom(t);
            return NULL;
        }
        return &ri->base;
    }
    if (reduce_load(ri, p)) {
        reduce_close(&ri->base);
        return NULL;
    }
    return &ri->base;
}

/* The state's bytes: u8 kind, which must fit the dependencies (decoded
 * before it): two for cogroup, one for the others. */
static int shuffled_encode(const kiln_rdd *r, kiln_buf *out)
{
    uint8_t kind = (uint8_t)rdd_shuffled_state(r)->kind;
    return kiln_buf_append(out, &kind, 1);
}

static int shuffled_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    if (n != 1 || p[0] > SH_COGROUP || r->ndeps != (p[0] == SH_COGROUP ? 2 : 1))
        return kiln_set_error(KILN_ECORRUPT, "%s: bad state", r->ops->name);
    shuffled_state *s = rdd_state_new(r, sizeof *s);
    if (!s) return KILN_ENOMEM;
    s->kind = (sh_kind)p[0];
    return KILN_OK;
}

#define SHUFFLED_OPS(name_)                                                                        \
    {                                                                                              \
        .name = name_, .compute = reduce_compute, .encode_extra = shuffled_encode,                 \
        .decode_extra = shuffled_decode, .state = OPST_SHUFFLED                                    \
    }

static const rdd_ops ops_by_kind[] RDD_OPS_SECTION = {
    [SH_AGG] = SHUFFLED_OPS("combine_by_key"), [SH_GROUP] = SHUFFLED_OPS("group_by_key"),
    [SH_PLAIN] = SHUFFLED_OPS("partition_by"), [SH_SORT] = SHUFFLED_OPS("sort_by_key"),
    [SH_COGROUP] = SHUFFLED_OPS("cogroup"),
};
static const rdd_ops reduce_by_key_ops RDD_OPS_SECTION = SHUFFLED_OPS("reduce_by_key");
static const rdd_ops aggregate_by_key_ops RDD_OPS_SECTION = SHUFFLED_OPS("aggregate_by_key");
static const rdd_ops fold_by_key_ops RDD_OPS_SECTION = SHUFFLED_OPS("fold_by_key");
static const rdd_ops repartition_ops RDD_OPS_SECTION = SHUFFLED_OPS("repartition");

/* A reduce-side RDD of kind over the given dependencies. */
kiln_rdd *shuffled(kiln_rdd *parent, int kind, shuffle_dep **deps, int ndeps, const void *env,
                   size_t env_len)
{
    kiln_rdd *r = rdd_new(parent->ctx, &ops_by_kind[kind], deps[0]->nreduce, env, env_len);
    shuffled_state *s = r ? rdd_state_new(r, sizeof *s) : NULL;
    if (!s) return NULL;
    s->kind = (sh_kind)kind;
    r->ndeps = ndeps;
    for (int i = 0; i < ndeps; i++) r->deps[i] = deps[i];
    rdd_link(r); /* r now owns its deps, which keep their parents */
    if (deps[0]->part == DEP_HASH) r->part = PART_HASH;
    return r;
}

static int nparts_or(kiln_rdd *r, int n)
{
    return n > 0 ? n : r->nparts;
}

kiln_rdd *kiln_rdd_combine_by_key(kiln_rdd *r, kiln_map_fn create, kiln_reduce_fn merge_value,
                                  kiln_reduce_fn merge_combiners, const void *env, size_t env_len,
                                  int num_partitions)
{
    if (!r) return NULL;
    if (!merge_value || !merge_combiners) {
        kiln_set_error(KILN_EINVAL, "combine_by_key: merge functions must not be NULL");
        return NULL;
    }
    shuffle_dep *d = dep_new(r, nparts_or(r, num_partitions), DEP_HASH);
    if (!d) return NULL;
    kiln_rdd *c = shuffled(r, SH_AGG, &d, 1, env, env_len);
    if (!c) return NULL;
    d->has_agg = true;
    d->agg = (aggregator){.create = create,
                          .merge_value = merge_value,
                          .merge_comb = merge_combiners,
                          .env = c->env};
    return c;
}

kiln_rdd *kiln_rdd_reduce_by_key(kiln_rdd *r, kiln_reduce_fn fn, const void *env, size_t env_len,
                                 int num_partitions)
{
    kiln_rdd *c = kiln_rdd_combine_by_key(r, NULL, fn, fn, env, env_len, num_partitions);
    if (c) c->ops = &reduce_by_key_ops;
    return c;
}

kiln_rdd *kiln_rdd_aggregate_by_key(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn seq,
                                    kiln_reduce_fn comb, const void *env, size_t env_len,
                                    int num_partitions)
{
    kiln_rdd *c = kiln_rdd_combine_by_key(r, NULL, seq, comb, env, env_len, num_partitions);
    if (!c) return NULL;
    shuffle_dep *d = c->deps[0];
    if (!zero || kiln_value_copy(c->arena, zero, &d->agg_zero)) {
        kiln_set_error(KILN_EINVAL, "aggregate_by_key: zero value missing or out of memory");
        return NULL;
    }
    d->agg.zero = &d->agg_zero;
    c->ops = &aggregate_by_key_ops;
    return c;
}

kiln_rdd *kiln_rdd_fold_by_key(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn fn,
                               const void *env, size_t env_len, int num_partitions)
{
    kiln_rdd *c = kiln_rdd_aggregate_by_key(r, zero, fn, fn, env, env_len, num_partitions);
    if (c) c->ops = &fold_by_key_ops;
    return c;
}

kiln_rdd *kiln_rdd_group_by_key(kiln_rdd *r, int num_partitions)
{
    if (!r) return NULL;
    shuffle_dep *d = dep_new(r, nparts_or(r, num_partitions), DEP_HASH);
    return d ? shuffled(r, SH_GROUP, &d, 1, NULL, 0) : NULL;
}

kiln_rdd *cogroup_rdd(kiln_rdd *a, kiln_rdd *b, int num_partitions)
{
    if (!a || !b) return NULL;
    int n = num_partitions > 0 ? num_partitions : (a->nparts > b->nparts ? a->nparts : b->nparts);
    shuffle_dep *d[2] = {dep_new(a, n, DEP_HASH), dep_new(b, n, DEP_HASH)};
    return d[0] && d[1] ? shuffled(a, SH_COGROUP, d, 2, NULL, 0) : NULL;
}

kiln_rdd *kiln_rdd_partition_by(kiln_rdd *r, int num_partitions, kiln_partitioner_fn fn,
                                const void *env, size_t env_len)
{
    if (!r) return NULL;
    if (num_partitions < 1) {
        kiln_set_error(KILN_EINVAL, "partition_by: num_partitions must be at least 1");
        return NULL;
    }
    shuffle_dep *d = dep_new(r, num_partitions, fn ? DEP_CUSTOM : DEP_HASH);
    if (!d) return NULL;
    kiln_rdd *c = shuffled(r, SH_PLAIN, &d, 1, env, env_len);
    if (!c) return NULL;
    d->pfn = fn;
    d->penv = c->env;
    if (fn) c->part = PART_CUSTOM;
    return c;
}

kiln_rdd *kiln_rdd_repartition(kiln_rdd *r, int num_partitions)
{
    if (!r) return NULL;
    if (num_partitions < 1) {
        kiln_set_error(KILN_EINVAL, "repartition: num_partitions must be at least 1");
        return NULL;
    }
    shuffle_dep *d = dep_new(r, num_partitions, DEP_ROUND_ROBIN);
    kiln_rdd *c = d ? shuffled(r, SH_PLAIN, &d, 1, NULL, 0) : NULL;
    if (c) c->ops = &repartition_ops;
    return c;
}

kiln_rdd *kiln_rdd_coalesce(kiln_rdd *r, int num_partitions, bool shuffle)
{
    if (!r) return NULL;
    if (num_partitions < 1) {
        kiln_set_error(KILN_EINVAL, "coalesce: num_partitions must be at least 1");
        return NULL;
    }
    return shuffle ? kiln_rdd_repartition(r, num_partitions) : coalesce_narrow(r, num_partitions);
}
