/*
 * engine/narrow.c - narrow transformations whose output partition depends on
 * one parent partition value by value: map, flat_map, filter, map_values,
 * flat_map_values, keys, values, key_by, sample and zip_with_index. They
 * share one iterator that pulls a parent batch, transforms it into its own
 * batch (built in its own arena, reset per batch) and hands that up.
 *
 * Which op an RDD applies is its rdd_ops table (one per op_kind, below);
 * what it applies it with is its typed state: the user function
 * (map_state, flat_map_state, filter_state), the sampling parameters
 * (sample_state) or the partitions' first indices (zip_index_state).
 */
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"
#include "engine/engine_int.h"

typedef enum op_kind {
    OP_MAP,
    OP_FLAT_MAP,
    OP_FILTER,
    OP_MAP_VALUES,
    OP_FLAT_MAP_VALUES,
    OP_KEYS,
    OP_VALUES,
    OP_KEY_BY,
    OP_SAMPLE,
    OP_ZIP_INDEX
} op_kind;

typedef struct op_iter {
    eng_iter base;
    eng_iter *child;
    kiln_rdd *r;
    op_kind kind;
    union { /* the state's user function */
        kiln_map_fn map;
        kiln_flat_map_fn flat_map;
        kiln_filter_fn filter;
    } fn;
    bool with_replacement; /* sample */
    double fraction;
    kiln_arena *arena;
    val_vec out, tmp;
    rng rng;
    int64_t index; /* zip_with_index: of the next value */
} op_iter;

static const rdd_ops ops_by_kind[OP_ZIP_INDEX + 1] RDD_OPS_SECTION;

/* The op r applies: its table's place among ops_by_kind. */
static op_kind kind_of(const kiln_rdd *r)
{
    return (op_kind)(r->ops - ops_by_kind);
}

static int need_pair(kiln_task *t, kiln_rdd *r, const kiln_value *v)
{
    if (kiln_is_pair(v)) return KILN_OK;
    return task_error(t, KILN_ETYPE, "%s expects (key, value) pairs, got a value of type %d",
                      r->ops->name, v->type);
}

static int oom(kiln_task *t)
{
    return task_error(t, KILN_ENOMEM, "out of memory");
}

/* Transforms one value into it->out. */
static int apply(op_iter *it, kiln_task *t, const kiln_value *v)
{
    kiln_rdd *r = it->r;
    kiln_value o;
    int rc;
    switch (it->kind) {
    case OP_MAP:
        rc = task_user_rc(t, it->fn.map(t, v, &o, r->env), "map function");
        return rc ? rc : val_vec_push(&it->out, &o);
    case OP_FLAT_MAP: {
        kiln_out out = {.dst = &it->out};
        return task_user_rc(t, it->fn.flat_map(t, v, &out, r->env), "flat_map function");
    }
    case OP_FILTER: {
        bool keep = false;
        rc = task_user_rc(t, it->fn.filter(t, v, &keep, r->env), "filter function");
        return rc ? rc : keep ? val_vec_push(&it->out, v) : KILN_OK;
    }
    case OP_MAP_VALUES:
        if ((rc = need_pair(t, r, v))) return rc;
        rc = task_user_rc(t, it->fn.map(t, kiln_val(v), &o, r->env), "map_values function");
        if (rc) return rc;
        o = kiln_pair(it->arena, *kiln_key(v), o);
        return o.type == KILN_NULL ? oom(t) : val_vec_push(&it->out, &o);
    case OP_FLAT_MAP_VALUES: {
        if ((rc = need_pair(t, r, v))) return rc;
        it->tmp.n = 0;
        kiln_out out = {.dst = &it->tmp};
        rc = task_user_rc(t, it->fn.flat_map(t, kiln_val(v), &out, r->env),
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
        return val_vec_push(&it->out, it->kind == OP_KEYS ? kiln_key(v) : kiln_val(v));
    case OP_KEY_BY:
        rc = task_user_rc(t, it->fn.map(t, v, &o, r->env), "key_by function");
        if (rc) return rc;
        o = kiln_pair(it->arena, o, *v);
        return o.type == KILN_NULL ? oom(t) : val_vec_push(&it->out, &o);
    case OP_SAMPLE: {
        int64_t copies = it->with_replacement ? rng_poisson(&it->rng, it->fraction)
                                              : rng_double(&it->rng) < it->fraction;
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
    it->kind = kind_of(r);
    switch (it->kind) {
    case OP_MAP:
    case OP_MAP_VALUES:
    case OP_KEY_BY:
        it->fn.map = rdd_map_state(r)->fn;
        break;
    case OP_FLAT_MAP:
    case OP_FLAT_MAP_VALUES:
        it->fn.flat_map = rdd_flat_map_state(r)->fn;
        break;
    case OP_FILTER:
        it->fn.filter = rdd_filter_state(r)->fn;
        break;
    case OP_SAMPLE: {
        const sample_state *s = rdd_sample_state(r);
        it->with_replacement = s->with_replacement;
        it->fraction = s->fraction;
        /* Each partition has its own stream, so a sample does not depend on
         * how many threads run it. */
        rng_seed(&it->rng, s->seed + 0x9E3779B97F4A7C15ull * (uint64_t)(p + 1));
        break;
    }
    case OP_ZIP_INDEX:
        it->index = rdd_zip_index_state(r)->first[p];
        break;
    case OP_KEYS:
    case OP_VALUES:
        break;
    }
    it->child = rdd_iterator(r->parents[0], p, t);
    if (!it->child) {
        op_close(&it->base);
        return NULL;
    }
    return &it->base;
}

/* ---- State and its bytes (lineage.c) ------------------------------------- */

/* The one-function states (map_state, flat_map_state, filter_state): a
 * function reference. */
static int map_encode(const kiln_rdd *r, kiln_buf *out)
{
    return lineage_fn_encode(out, (const void *)rdd_map_state(r)->fn);
}
static int flat_map_encode(const kiln_rdd *r, kiln_buf *out)
{
    return lineage_fn_encode(out, (const void *)rdd_flat_map_state(r)->fn);
}
static int filter_encode(const kiln_rdd *r, kiln_buf *out)
{
    return lineage_fn_encode(out, (const void *)rdd_filter_state(r)->fn);
}

static int map_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    void *fn;
    int rc = lineage_fn_decode(p, n, r->ops->name, &fn);
    map_state *s = rc ? NULL : rdd_state_new(r, sizeof *s);
    if (s) s->fn = (kiln_map_fn)fn;
    return rc ? rc : s ? KILN_OK : KILN_ENOMEM;
}
static int flat_map_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    void *fn;
    int rc = lineage_fn_decode(p, n, r->ops->name, &fn);
    flat_map_state *s = rc ? NULL : rdd_state_new(r, sizeof *s);
    if (s) s->fn = (kiln_flat_map_fn)fn;
    return rc ? rc : s ? KILN_OK : KILN_ENOMEM;
}
static int filter_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    void *fn;
    int rc = lineage_fn_decode(p, n, r->ops->name, &fn);
    filter_state *s = rc ? NULL : rdd_state_new(r, sizeof *s);
    if (s) s->fn = (kiln_filter_fn)fn;
    return rc ? rc : s ? KILN_OK : KILN_ENOMEM;
}

/* sample: u8 with replacement, u64 the fraction's IEEE bits, u64 seed. */
static int sample_encode(const kiln_rdd *r, kiln_buf *out)
{
    const sample_state *s = rdd_sample_state(r);
    uint64_t bits;
    memcpy(&bits, &s->fraction, sizeof bits);
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_u8(&w, s->with_replacement);
    wire_put_u64(&w, bits);
    wire_put_u64(&w, s->seed);
    return wire_writer_finish(&w);
}

/* Whether fraction is one sample accepts. */
static bool fraction_ok(bool with_replacement, double fraction)
{
    return fraction >= 0 && (with_replacement || fraction <= 1);
}

static int sample_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "sample state");
    uint8_t with = wire_get_u8(&rd, "with replacement");
    uint64_t bits = wire_get_u64(&rd, "fraction");
    uint64_t seed = wire_get_u64(&rd, "seed");
    int rc = wire_reader_end(&rd);
    if (rc) return rc;
    double fraction;
    memcpy(&fraction, &bits, sizeof fraction);
    if (with > 1 || !fraction_ok(with, fraction))
        return kiln_set_error(KILN_ECORRUPT, "sample: bad state (fraction %g)", fraction);
    sample_state *s = rdd_state_new(r, sizeof *s);
    if (!s) return KILN_ENOMEM;
    *s = (sample_state){.with_replacement = with, .fraction = fraction, .seed = seed};
    return KILN_OK;
}

/* zip_with_index: the first index of each partition, then the total (int64 each). */
static int offsets_encode(const kiln_rdd *r, kiln_buf *out)
{
    return kiln_buf_append(out, rdd_zip_index_state(r)->first,
                           sizeof(int64_t) * ((size_t)r->nparts + 1));
}

static int offsets_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    if (n != sizeof(int64_t) * ((size_t)r->nparts + 1))
        return kiln_set_error(KILN_ECORRUPT, "zip_with_index: %zu bytes of offsets", n);
    zip_index_state *s = rdd_state_new(r, sizeof *s);
    if (!s || !(s->first = kiln_arena_alloc(r->arena, n))) return KILN_ENOMEM;
    memcpy(s->first, p, n);
    return KILN_OK;
}

static const rdd_ops ops_by_kind[OP_ZIP_INDEX + 1] RDD_OPS_SECTION = {
    [OP_MAP] = {.name = "map",
                .compute = op_compute,
                .encode_extra = map_encode,
                .decode_extra = map_decode,
                .state = OPST_MAP},
    [OP_FLAT_MAP] = {.name = "flat_map",
                     .compute = op_compute,
                     .encode_extra = flat_map_encode,
                     .decode_extra = flat_map_decode,
                     .state = OPST_FLAT_MAP},
    [OP_FILTER] = {.name = "filter",
                   .compute = op_compute,
                   .encode_extra = filter_encode,
                   .decode_extra = filter_decode,
                   .state = OPST_FILTER},
    [OP_MAP_VALUES] = {.name = "map_values",
                       .compute = op_compute,
                       .encode_extra = map_encode,
                       .decode_extra = map_decode,
                       .state = OPST_MAP},
    [OP_FLAT_MAP_VALUES] = {.name = "flat_map_values",
                            .compute = op_compute,
                            .encode_extra = flat_map_encode,
                            .decode_extra = flat_map_decode,
                            .state = OPST_FLAT_MAP},
    [OP_KEYS] = {.name = "keys", .compute = op_compute},
    [OP_VALUES] = {.name = "values", .compute = op_compute},
    [OP_KEY_BY] = {.name = "key_by",
                   .compute = op_compute,
                   .encode_extra = map_encode,
                   .decode_extra = map_decode,
                   .state = OPST_MAP},
    [OP_SAMPLE] = {.name = "sample",
                   .compute = op_compute,
                   .encode_extra = sample_encode,
                   .decode_extra = sample_decode,
                   .state = OPST_SAMPLE},
    [OP_ZIP_INDEX] = {.name = "zip_with_index",
                      .compute = op_compute,
                      .encode_extra = offsets_encode,
                      .decode_extra = offsets_decode,
                      .state = OPST_ZIP_INDEX},
};

/* ---- The transformations ------------------------------------------------ */

/* A narrow child of r applying kind; missing_fn: the user gave a NULL
 * function where one is needed. */
static kiln_rdd *narrow(kiln_rdd *r, op_kind kind, bool missing_fn, const void *env, size_t env_len)
{
    if (!r) return NULL;
    if (missing_fn) {
        kiln_set_error(KILN_EINVAL, "%s: the function is NULL", ops_by_kind[kind].name);
        return NULL;
    }
    kiln_rdd *c = rdd_new(r->ctx, &ops_by_kind[kind], r->nparts, env, env_len);
    if (!c) return NULL;
    c->parents[0] = r;
    c->nparents = 1;
    rdd_link(c);
    /* Only value-wise ops on values keep the parent's partitioning. */
    if (kind == OP_MAP_VALUES || kind == OP_FLAT_MAP_VALUES || kind == OP_FILTER ||
        kind == OP_SAMPLE)
        c->part = r->part;
    return c;
}

static kiln_rdd *with_map_fn(kiln_rdd *r, op_kind kind, kiln_map_fn fn, const void *env,
                             size_t env_len)
{
    kiln_rdd *c = narrow(r, kind, !fn, env, env_len);
    map_state *s = c ? rdd_state_new(c, sizeof *s) : NULL;
    if (!s) return NULL;
    s->fn = fn;
    return c;
}

static kiln_rdd *with_flat_map_fn(kiln_rdd *r, op_kind kind, kiln_flat_map_fn fn, const void *env,
                                  size_t env_len)
{
    kiln_rdd *c = narrow(r, kind, !fn, env, env_len);
    flat_map_state *s = c ? rdd_state_new(c, sizeof *s) : NULL;
    if (!s) return NULL;
    s->fn = fn;
    return c;
}

kiln_rdd *kiln_rdd_map(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len)
{
    return with_map_fn(r, OP_MAP, fn, env, env_len);
}
kiln_rdd *kiln_rdd_flat_map(kiln_rdd *r, kiln_flat_map_fn fn, const void *env, size_t env_len)
{
    return with_flat_map_fn(r, OP_FLAT_MAP, fn, env, env_len);
}
kiln_rdd *kiln_rdd_filter(kiln_rdd *r, kiln_filter_fn fn, const void *env, size_t env_len)
{
    kiln_rdd *c = narrow(r, OP_FILTER, !fn, env, env_len);
    filter_state *s = c ? rdd_state_new(c, sizeof *s) : NULL;
    if (!s) return NULL;
    s->fn = fn;
    return c;
}
kiln_rdd *kiln_rdd_map_values(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len)
{
    return with_map_fn(r, OP_MAP_VALUES, fn, env, env_len);
}
kiln_rdd *kiln_rdd_flat_map_values(kiln_rdd *r, kiln_flat_map_fn fn, const void *env,
                                   size_t env_len)
{
    return with_flat_map_fn(r, OP_FLAT_MAP_VALUES, fn, env, env_len);
}
kiln_rdd *kiln_rdd_keys(kiln_rdd *r)
{
    return narrow(r, OP_KEYS, false, NULL, 0);
}
kiln_rdd *kiln_rdd_values(kiln_rdd *r)
{
    return narrow(r, OP_VALUES, false, NULL, 0);
}
kiln_rdd *kiln_rdd_key_by(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len)
{
    return with_map_fn(r, OP_KEY_BY, fn, env, env_len);
}

kiln_rdd *kiln_rdd_sample(kiln_rdd *r, bool with_replacement, double fraction, uint64_t seed)
{
    if (r && !fraction_ok(with_replacement, fraction)) {
        kiln_set_error(KILN_EINVAL, "sample: fraction %g out of range (%s)", fraction,
                       with_replacement ? ">= 0" : "[0, 1]");
        return NULL;
    }
    kiln_rdd *c = narrow(r, OP_SAMPLE, false, NULL, 0);
    sample_state *s = c ? rdd_state_new(c, sizeof *s) : NULL;
    if (!s) return NULL;
    *s = (sample_state){.with_replacement = with_replacement, .fraction = fraction, .seed = seed};
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
    int64_t *counts = calloc((size_t)r->nparts + 1, sizeof *counts);
    if (!counts) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    /* As Spark: a job counts the partitions to find each one's first index. */
    if (rdd_partition_counts(r, counts + 1)) {
        free(counts);
        return NULL;
    }
    kiln_rdd *c = narrow(r, OP_ZIP_INDEX, false, NULL, 0);
    zip_index_state *s = c ? rdd_state_new(c, sizeof *s) : NULL;
    if (s && !(s->first = kiln_arena_alloc(c->arena, sizeof *counts * ((size_t)r->nparts + 1))))
        kiln_set_error(KILN_ENOMEM, "out of memory");
    if (s && s->first) {
        s->first[0] = 0;
        for (int i = 1; i <= r->nparts; i++) s->first[i] = s->first[i - 1] + counts[i];
    }
    free(counts);
    return s && s->first ? c : NULL;
}
