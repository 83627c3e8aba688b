/*
 * engine/narrow.c - narrow transformations whose output partition depends on
 * one parent partition value by value: map, flat_map, filter, map_values,
 * flat_map_values, keys, values, key_by, sample and zip_with_index. They
 * share one iterator that pulls a parent batch, transforms it into its own
 * batch (built in its own arena, reset per batch) and hands that up.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

typedef enum op_kind {
    OP_MAP, OP_FLAT_MAP, OP_FILTER, OP_MAP_VALUES, OP_FLAT_MAP_VALUES, OP_KEYS, OP_VALUES,
    OP_KEY_BY, OP_SAMPLE, OP_ZIP_INDEX
} op_kind;

typedef struct op_iter {
    eng_iter base;
    eng_iter *child;
    kiln_rdd *r;
    kiln_arena *arena;
    val_vec out, tmp;
    rng rng;
    int64_t index;
} op_iter;

static int need_pair(kiln_task *t, kiln_rdd *r, const kiln_value *v)
{
    if (kiln_is_pair(v)) return KILN_OK;
    return task_error(t, KILN_ETYPE, "%s expects (key, value) pairs, got a value of type %d",
                      r->ops->name, v->type);
}

static int oom(kiln_task *t) { return task_error(t, KILN_ENOMEM, "out of memory"); }

/* Transforms one value into it->out. */
static int apply(op_iter *it, kiln_task *t, const kiln_value *v)
{
    kiln_rdd *r = it->r;
    kiln_value o;
    int rc;
    switch ((op_kind)r->iarg) {
    case OP_MAP:
        rc = task_user_rc(t, ((kiln_map_fn)r->fn)(t, v, &o, r->env), "map function");
        return rc ? rc : val_vec_push(&it->out, &o);
    case OP_FLAT_MAP: {
        kiln_out out = {.dst = &it->out};
        return task_user_rc(t, ((kiln_flat_map_fn)r->fn)(t, v, &out, r->env),
                            "flat_map function");
    }
    case OP_FILTER: {
        bool keep = false;
        rc = task_user_rc(t, ((kiln_filter_fn)r->fn)(t, v, &keep, r->env), "filter function");
        return rc ? rc : keep ? val_vec_push(&it->out, v) : KILN_OK;
    }
    case OP_MAP_VALUES:
        if ((rc = need_pair(t, r, v))) return rc;
        rc = task_user_rc(t, ((kiln_map_fn)r->fn)(t, kiln_val(v), &o, r->env),
                          "map_values function");
        if (rc) return rc;
        o = kiln_pair(it->arena, *kiln_key(v), o);
        return o.type == KILN_NULL ? oom(t) : val_vec_push(&it->out, &o);
    case OP_FLAT_MAP_VALUES: {
        if ((rc = need_pair(t, r, v))) return rc;
        it->tmp.n = 0;
        kiln_out out = {.dst = &it->tmp};
        rc = task_user_rc(t, ((kiln_flat_map_fn)r->fn)(t, kiln_val(v), &out, r->env),
                          "flat_map_values function");
        for (size_t i = 0; rc == KILN_OK && i < it->tmp.n; i++) {
            o = kiln_pair(it->arena, *kiln_key(v), it->tmp.v[i]);
            rc = o.type == KILN_NULL ? oom(t) : val_vec_push(&it->out, &o);
        }
        return rc;
    }
    case OP_KEYS:
    case OP_VALUES:
        if ((rc = need_pair(t, r, v))) return rc;
        return val_vec_push(&it->out, r->iarg == OP_KEYS ? kiln_key(v) : kiln_val(v));
    case OP_KEY_BY:
        rc = task_user_rc(t, ((kiln_map_fn)r->fn)(t, v, &o, r->env), "key_by function");
        if (rc) return rc;
        o = kiln_pair(it->arena, o, *v);
        return o.type == KILN_NULL ? oom(t) : val_vec_push(&it->out, &o);
    case OP_SAMPLE: {
        int64_t copies = r->zero.u.b ? rng_poisson(&it->rng, r->darg)
                                     : rng_double(&it->rng) < r->darg;
        for (int64_t i = 0; i < copies; i++)
            if ((rc = val_vec_push(&it->out, v))) return rc;
        return KILN_OK;
    }
    case OP_ZIP_INDEX:
        o = kiln_pair(it->arena, *v, kiln_int(it->index++));
        return o.type == KILN_NULL ? oom(t) : val_vec_push(&it->out, &o);
    }
    return KILN_EINVAL;
}

static int op_next(eng_iter *base, kiln_task *t, const kiln_value **vals, size_t *n)
{
    op_iter *it = (op_iter *)base;
    const kiln_value *in;
    size_t nin;
    int rc;
    kiln_arena_reset(it->arena);
    it->out.n = 0;
    while (it->out.n == 0) {
        if ((rc = it->child->next(it->child, t, &in, &nin)) <= 0) return rc;
        kiln_arena *saved = t->arena;
        t->arena = it->arena;
        for (size_t i = 0; i < nin; i++) {
            if ((rc = apply(it, t, &in[i]))) {
                t->arena = saved;
                if (rc == KILN_ENOMEM && !t->error) oom(t);
                return rc < 0 ? rc : KILN_EUSER;
            }
        }
        t->arena = saved;
    }
    *vals = it->out.v;
    *n = it->out.n;
    return 1;
}

static void op_close(eng_iter *base)
{
    op_iter *it = (op_iter *)base;
    if (it->child) it->child->close(it->child);
    kiln_arena_free(it->arena);
    val_vec_release(&it->out);
    val_vec_release(&it->tmp);
    free(it);
}

static eng_iter *op_compute(kiln_rdd *r, int p, kiln_task *t)
{
    op_iter *it = calloc(1, sizeof *it);
    if (!it || !(it->arena = kiln_arena_new())) {
        free(it);
        oom(t);
        return NULL;
    }
    it->base.next = op_next;
    it->base.close = op_close;
    it->r = r;
    /* Each partition has its own stream, so a sample does not depend on how
     * many threads run it. */
    if (r->iarg == OP_SAMPLE) rng_seed(&it->rng, r->seed + 0x9E3779B97F4A7C15ull * (uint64_t)(p + 1));
    if (r->iarg == OP_ZIP_INDEX) it->index = ((int64_t *)r->extra)[p];
    it->child = rdd_iterator(r->parents[0], p, t);
    if (!it->child) {
        op_close(&it->base);
        return NULL;
    }
    return &it->base;
}

static void extra_free(kiln_rdd *r) { free(r->extra); }

/* zip_with_index: the first index of each partition. */
static int offsets_encode(const kiln_rdd *r, kiln_buf *out)
{
    return kiln_buf_append(out, r->extra, sizeof(int64_t) * ((size_t)r->nparts + 1));
}

static int offsets_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    if (n != sizeof(int64_t) * ((size_t)r->nparts + 1))
        return kiln_set_error(KILN_ECORRUPT, "zip_with_index: %zu bytes of offsets", n);
    int64_t *o = malloc(n);
    if (!o) return KILN_ENOMEM;
    memcpy(o, p, n);
    r->extra = o;
    return KILN_OK;
}

static const rdd_ops ops_by_kind[] RDD_OPS_SECTION = {
    [OP_MAP] = {"map", op_compute, NULL},
    [OP_FLAT_MAP] = {"flat_map", op_compute, NULL},
    [OP_FILTER] = {"filter", op_compute, NULL},
    [OP_MAP_VALUES] = {"map_values", op_compute, NULL},
    [OP_FLAT_MAP_VALUES] = {"flat_map_values", op_compute, NULL},
    [OP_KEYS] = {"keys", op_compute, NULL},
    [OP_VALUES] = {"values", op_compute, NULL},
    [OP_KEY_BY] = {"key_by", op_compute, NULL},
    [OP_SAMPLE] = {"sample", op_compute, NULL},
    [OP_ZIP_INDEX] = {"zip_with_index", op_compute, extra_free, offsets_encode, offsets_decode},
};

/* A narrow child of r applying kind with fn. */
static kiln_rdd *narrow(kiln_rdd *r, op_kind kind, void *fn, const void *env, size_t env_len)
{
    if (!r) return NULL;
    if (!fn && kind != OP_KEYS && kind != OP_VALUES && kind != OP_SAMPLE && kind != OP_ZIP_INDEX) {
        kiln_set_error(KILN_EINVAL, "%s: the function is NULL", ops_by_kind[kind].name);
        return NULL;
    }
    kiln_rdd *c = rdd_new(r->ctx, &ops_by_kind[kind], r->nparts, env, env_len);
    if (!c) return NULL;
    c->parents[0] = r;
    c->nparents = 1;
    c->fn = fn;
    c->iarg = kind;
    /* Only value-wise ops on values keep the parent's partitioning. */
    if (kind == OP_MAP_VALUES || kind == OP_FLAT_MAP_VALUES || kind == OP_FILTER ||
        kind == OP_SAMPLE)
        c->part = r->part;
    return c;
}

kiln_rdd *kiln_rdd_map(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len)
{
    return narrow(r, OP_MAP, (void *)fn, env, env_len);
}
kiln_rdd *kiln_rdd_flat_map(kiln_rdd *r, kiln_flat_map_fn fn, const void *env, size_t env_len)
{
    return narrow(r, OP_FLAT_MAP, (void *)fn, env, env_len);
}
kiln_rdd *kiln_rdd_filter(kiln_rdd *r, kiln_filter_fn fn, const void *env, size_t env_len)
{
    return narrow(r, OP_FILTER, (void *)fn, env, env_len);
}
kiln_rdd *kiln_rdd_map_values(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len)
{
    return narrow(r, OP_MAP_VALUES, (void *)fn, env, env_len);
}
kiln_rdd *kiln_rdd_flat_map_values(kiln_rdd *r, kiln_flat_map_fn fn, const void *env,
                                   size_t env_len)
{
    return narrow(r, OP_FLAT_MAP_VALUES, (void *)fn, env, env_len);
}
kiln_rdd *kiln_rdd_keys(kiln_rdd *r) { return narrow(r, OP_KEYS, NULL, NULL, 0); }
kiln_rdd *kiln_rdd_values(kiln_rdd *r) { return narrow(r, OP_VALUES, NULL, NULL, 0); }
kiln_rdd *kiln_rdd_key_by(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len)
{
    return narrow(r, OP_KEY_BY, (void *)fn, env, env_len);
}

kiln_rdd *kiln_rdd_sample(kiln_rdd *r, bool with_replacement, double fraction, uint64_t seed)
{
    if (r && (!(fraction >= 0) || (!with_replacement && fraction > 1))) {
        kiln_set_error(KILN_EINVAL, "sample: fraction %g out of range (%s)", fraction,
                       with_replacement ? ">= 0" : "[0, 1]");
        return NULL;
    }
    kiln_rdd *c = narrow(r, OP_SAMPLE, NULL, NULL, 0);
    if (!c) return NULL;
    c->zero = kiln_bool(with_replacement);
    c->darg = fraction;
    c->seed = seed;
    return c;
}

/* Counts a partition's values into an 8-byte result. */
static int count_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const kiln_value *vals;
    size_t n;
    int64_t total = 0;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) total += (int64_t)n;
    if (rc < 0) return rc;
    return kiln_buf_append(out, &total, sizeof total);
}

SHIPPED_ACTION(count_part);

int rdd_partition_counts(kiln_rdd *r, int64_t *counts)
{
    kiln_buf *res = calloc((size_t)r->nparts + 1, sizeof *res);
    if (!res) return kiln_set_error(KILN_ENOMEM, "out of memory");
    shipped_action ship = {count_part, NULL, 0};
    int rc = job_run_shipped(r, NULL, 0, count_part, NULL, &ship, res, "count");
    for (int i = 0; i < r->nparts; i++) {
        if (rc == KILN_OK) memcpy(&counts[i], res[i].data, sizeof(int64_t));
        kiln_buf_release(&res[i]);
    }
    free(res);
    return rc;
}

kiln_rdd *kiln_rdd_zip_with_index(kiln_rdd *r)
{
    if (!r) return NULL;
    int64_t *offsets = calloc((size_t)r->nparts + 1, sizeof *offsets);
    if (!offsets) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    /* As Spark: a job counts the partitions to find each one's first index. */
    if (rdd_partition_counts(r, offsets + 1)) {
        free(offsets);
        return NULL;
    }
    for (int i = 1; i <= r->nparts; i++) offsets[i] += offsets[i - 1];
    kiln_rdd *c = narrow(r, OP_ZIP_INDEX, NULL, NULL, 0);
    if (!c) {
        free(offsets);
        return NULL;
    }
    c->extra = offsets;
    return c;
}
