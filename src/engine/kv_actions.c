/*
 * engine/kv_actions.c - actions on pairs and values that are built from
 * transformations plus collect: count_by_key, count_by_value, lookup.
 */
#include <stdlib.h>

#include "engine/engine_int.h"

static int cmp_pairs(const void *a, const void *b)
{
    return kiln_value_cmp(a, b);
}

/* Collects (k, count) pairs of r's values and sorts them by key. */
static int collect_sorted(kiln_rdd *counted, kiln_arena *a, kiln_value *out)
{
    int rc = kiln_rdd_collect(counted, a, out);
    if (rc == KILN_OK && out->len > 1)
        qsort((void *)out->u.items, out->len, sizeof(kiln_value), cmp_pairs);
    return rc;
}

int kiln_rdd_count_by_value(kiln_rdd *r, kiln_arena *a, kiln_value *out)
{
    if (!r) return kiln_set_error(KILN_EINVAL, "count_by_value: the RDD is NULL");
    kiln_rdd *ones = kiln_rdd_map(r, kiln_fn_pair_one, NULL, 0);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(ones, kiln_fn_add, NULL, 0, 0);
    int rc = collect_sorted(counts, a, out);
    kiln_rdd_free(counts); /* and its shuffle: nothing else can read it */
    kiln_rdd_free(ones);
    return rc;
}

int kiln_rdd_count_by_key(kiln_rdd *r, kiln_arena *a, kiln_value *out)
{
    if (!r) return kiln_set_error(KILN_EINVAL, "count_by_key: the RDD is NULL");
    kiln_rdd *keys = kiln_rdd_keys(r);
    int rc = kiln_rdd_count_by_value(keys, a, out);
    kiln_rdd_free(keys);
    return rc;
}

/* Encodes the values whose key equals arg's key. */
static int values_of_key(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    const kiln_value *key = arg;
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (!kiln_is_pair(&vals[i]))
                return task_error(t, KILN_ETYPE, "lookup expects (key, value) pairs");
            if (kiln_value_eq(kiln_key(&vals[i]), key) &&
                kiln_value_encode(out, kiln_val(&vals[i])))
                return task_error(t, KILN_ENOMEM, "out of memory");
        }
    }
    return rc;
}

int kiln_rdd_lookup(kiln_rdd *r, const kiln_value *key, kiln_arena *a, kiln_value *out)
{
    if (!r || !key) return kiln_set_error(KILN_EINVAL, "lookup: NULL argument");
    int one = 0, *parts = NULL, nparts = r->nparts;
    if (r->part == PART_HASH && r->nparts > 0) {
        /* Only the key's partition can hold it. */
        one = (int)(kiln_value_hash(key) % (uint64_t)r->nparts);
        parts = &one;
        nparts = 1;
    }
    kiln_buf *res = calloc((size_t)nparts + 1, sizeof *res);
    if (!res) return kiln_set_error(KILN_ENOMEM, "out of memory");
    int rc = job_run(r, parts, parts ? 1 : 0, values_of_key, (void *)key, res, "lookup");
    val_vec vv = {0};
    for (int i = 0; i < nparts; i++) {
        size_t off = 0;
        while (rc == KILN_OK && off < res[i].len) {
            kiln_value v;
            size_t used;
            rc = kiln_value_decode(a, res[i].data + off, res[i].len - off, &v, &used);
            if (rc == KILN_OK && val_vec_push(&vv, &v)) rc = KILN_ENOMEM;
            off += used;
        }
        kiln_buf_release(&res[i]);
    }
    free(res);
    if (rc == KILN_OK) {
        *out = vv.n ? kiln_list_new(a, vv.v, vv.n) : kiln_list_ref(NULL, 0);
        if (vv.n && out->type == KILN_NULL) rc = KILN_ENOMEM;
    }
    val_vec_release(&vv);
    return rc;
}
