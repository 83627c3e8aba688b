/*
 * engine/sort.c - sort_by_key and sort_by. As Spark's RangePartitioner, a job
 * first samples the keys of every partition (a seeded reservoir, so the same
 * data gives the same bounds under any number of threads); the bounds split
 * the weighted sample into equal parts; the shuffle then sends each key to
 * its range and every reduce partition sorts its own records.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

typedef struct sample_arg {
    size_t per_partition;
} sample_arg;

/* Result: int64 count, int64 sampled, then the sampled keys encoded. */
static int sample_keys(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    size_t k = ((sample_arg *)arg)->per_partition;
    kiln_arena *a = kiln_arena_new();
    kiln_value *res = malloc(sizeof *res * (k + 1));
    if (!a || !res) {
        kiln_arena_free(a);
        free(res);
        return task_error(t, KILN_ENOMEM, "out of memory");
    }
    rng g;
    rng_seed(&g, 0x5EED0000ull + (uint64_t)t->partition);
    int64_t seen = 0;
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        for (size_t i = 0; i < n; i++, seen++) {
            if (!kiln_is_pair(&vals[i])) {
                rc = task_error(t, KILN_ETYPE, "sort_by_key expects (key, value) pairs");
                goto done;
            }
            size_t slot = (size_t)seen;
            if ((size_t)seen >= k) slot = (size_t)(rng_next(&g) % (uint64_t)(seen + 1));
            if (slot < k && kiln_value_copy(a, kiln_key(&vals[i]), &res[slot])) {
                rc = task_error(t, KILN_ENOMEM, "out of memory");
                goto done;
            }
        }
    }
    if (rc == 0) {
        int64_t sampled = seen < (int64_t)k ? seen : (int64_t)k;
        rc = kiln_buf_append(out, &seen, sizeof seen);
        if (!rc) rc = kiln_buf_append(out, &sampled, sizeof sampled);
        for (int64_t i = 0; rc == 0 && i < sampled; i++) rc = kiln_value_encode(out, &res[i]);
    }
done:
    kiln_arena_free(a);
    free(res);
    return rc;
}

/* On an executor: the per-partition sample size arrives as 8 bytes. */
static int sample_keys_remote(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const wire_arg *w = arg;
    uint64_t k;
    if (w->n != sizeof k) return task_error(t, KILN_ECORRUPT, "sort sample: bad argument");
    memcpy(&k, w->p, sizeof k);
    if (k > (1u << 24))
        return task_error(t, KILN_ECORRUPT, "sort sample: %llu keys per partition",
                          (unsigned long long)k);
    sample_arg a = {.per_partition = (size_t)k};
    return sample_keys(t, it, out, &a);
}
SHIPPED_ACTION(sample_keys_remote);

typedef struct weighted {
    kiln_value key;
    double w;
} weighted;

static int cmp_weighted(const void *a, const void *b)
{
    return kiln_value_cmp(&((const weighted *)a)->key, &((const weighted *)b)->key);
}

/* Fills d->bounds from a sample of r's keys. */
static int range_bounds(kiln_rdd *r, shuffle_dep *d, kiln_arena *arena)
{
    if (d->nreduce <= 1 || r->nparts == 0) return KILN_OK;
    double total_sample = fmin(20.0 * d->nreduce, 1e6);
    sample_arg arg = {.per_partition = (size_t)ceil(3.0 * total_sample / r->nparts)};
    kiln_buf *res = calloc((size_t)r->nparts, sizeof *res);
    if (!res) return kiln_set_error(KILN_ENOMEM, "out of memory");
    uint64_t k = arg.per_partition;
    shipped_action ship = {sample_keys_remote, &k, sizeof k};
    int rc = job_run_shipped(r, NULL, 0, sample_keys, &arg, &ship, res, "sort sample");
    weighted *cand = NULL;
    size_t nc = 0, cap = 0;
    double weight_total = 0;
    for (int p = 0; rc == KILN_OK && p < r->nparts; p++) {
        int64_t seen, sampled;
        memcpy(&seen, res[p].data, 8);
        memcpy(&sampled, res[p].data + 8, 8);
        size_t off = 16;
        for (int64_t i = 0; rc == KILN_OK && i < sampled; i++) {
            if (nc == cap) {
                cap = cap ? cap * 2 : 256;
                weighted *c = realloc(cand, cap * sizeof *c);
                if (!c) {
                    rc = kiln_set_error(KILN_ENOMEM, "out of memory");
                    break;
                }
                cand = c;
            }
            size_t used;
            rc = kiln_value_decode(arena, res[p].data + off, res[p].len - off, &cand[nc].key,
                                   &used);
            off += used;
            cand[nc].w = (double)seen / (double)sampled;
            weight_total += cand[nc++].w;
        }
    }
    for (int p = 0; p < r->nparts; p++) kiln_buf_release(&res[p]);
    free(res);
    if (rc == KILN_OK && nc > 0) {
        qsort(cand, nc, sizeof *cand, cmp_weighted);
        d->bounds = kiln_arena_alloc(arena, sizeof(kiln_value) * (size_t)d->nreduce);
        if (!d->bounds) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        double step = weight_total / d->nreduce, cum = 0, target = step;
        for (size_t i = 0; rc == KILN_OK && i < nc && d->nbounds < (size_t)d->nreduce - 1; i++) {
            cum += cand[i].w;
            if (cum < target) continue;
            /* Skip keys equal to the previous bound: bounds are strictly increasing. */
            if (d->nbounds && kiln_value_cmp(&cand[i].key, &d->bounds[d->nbounds - 1]) <= 0)
                continue;
            d->bounds[d->nbounds++] = cand[i].key;
            target += step;
        }
    }
    free(cand);
    return rc;
}

kiln_rdd *kiln_rdd_sort_by_key(kiln_rdd *r, bool ascending, int num_partitions)
{
    if (!r) return NULL;
    shuffle_dep *d = dep_new(r, num_partitions > 0 ? num_partitions : r->nparts, DEP_RANGE);
    if (!d) return NULL;
    kiln_rdd *c = shuffled(r, SH_SORT, &d, 1, NULL, 0);
    if (!c) return NULL;
    d->descending = !ascending;
    if (range_bounds(r, d, c->arena)) {
        kiln_rdd_free(c);
        return NULL;
    }
    /* Fewer distinct keys than partitions: the last partitions stay empty. */
    return c;
}

/* x -> (key_fn(x), x) is key_by; then sort and drop the keys. */
kiln_rdd *kiln_rdd_sort_by(kiln_rdd *r, kiln_map_fn key_fn, const void *env, size_t env_len,
                           bool ascending, int num_partitions)
{
    kiln_rdd *keyed = kiln_rdd_key_by(r, key_fn, env, env_len);
    kiln_rdd *sorted = kiln_rdd_sort_by_key(keyed, ascending, num_partitions);
    return rdd_drop_tmp(rdd_drop_tmp(kiln_rdd_values(sorted), sorted), keyed);
}
