/*
 * engine/cogroup.c - operations built on cogroup, as Spark builds them: the
 * four joins, distinct, intersection and subtract. A cogroup record is
 * (k, ([v...], [w...])); a flat_map turns it into the operation's output.
 */
#include <stdlib.h>

#include "engine/engine_int.h"

kiln_rdd *kiln_rdd_cogroup(kiln_rdd *a, kiln_rdd *b, int num_partitions)
{
    return cogroup_rdd(a, b, num_partitions);
}

enum { JOIN_INNER, JOIN_LEFT, JOIN_RIGHT, JOIN_FULL, KEEP_BOTH, KEEP_LEFT_ONLY };

static int emit_pair(kiln_task *t, kiln_out *out, const kiln_value *k, kiln_value v, kiln_value w)
{
    kiln_arena *a = kiln_task_arena(t);
    kiln_value o = kiln_pair(a, *k, kiln_pair(a, v, w));
    if (o.type == KILN_NULL) return kiln_task_fail(t, "out of memory");
    return kiln_emit(out, &o);
}

/* env: one int, the JOIN_* or KEEP_* mode. */
static int from_cogroup(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    int mode = *(const int *)env;
    const kiln_value *k = kiln_key(in), *lists = kiln_val(in);
    const kiln_value *vs = kiln_key(lists), *ws = kiln_val(lists);
    int rc = 0;
    if (mode == KEEP_BOTH) return vs->len && ws->len ? kiln_emit(out, k) : 0;
    if (mode == KEEP_LEFT_ONLY) {
        for (uint32_t i = 0; rc == 0 && !ws->len && i < vs->len; i++) rc = kiln_emit(out, k);
        return rc;
    }
    for (uint32_t i = 0; i < vs->len; i++)
        for (uint32_t j = 0; rc == 0 && j < ws->len; j++)
            rc = emit_pair(t, out, k, vs->u.items[i], ws->u.items[j]);
    if ((mode == JOIN_LEFT || mode == JOIN_FULL) && !ws->len)
        for (uint32_t i = 0; rc == 0 && i < vs->len; i++)
            rc = emit_pair(t, out, k, vs->u.items[i], kiln_null());
    if ((mode == JOIN_RIGHT || mode == JOIN_FULL) && !vs->len)
        for (uint32_t j = 0; rc == 0 && j < ws->len; j++)
            rc = emit_pair(t, out, k, kiln_null(), ws->u.items[j]);
    return rc;
}

static int pair_null(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);

/* The intermediate RDDs built here are released once their child holds
 * them (rdd_drop_tmp): only the result is the caller's handle. */
static kiln_rdd *via_cogroup(kiln_rdd *a, kiln_rdd *b, int n, int mode)
{
    kiln_rdd *g = a && b ? cogroup_rdd(a, b, n) : NULL;
    return rdd_drop_tmp(kiln_rdd_flat_map(g, from_cogroup, &mode, sizeof mode), g);
}

/* via_cogroup over (x, null) pairs of a and b. */
static kiln_rdd *via_cogroup_keyed(kiln_rdd *a, kiln_rdd *b, int n, int mode)
{
    kiln_rdd *ka = kiln_rdd_map(a, pair_null, NULL, 0), *kb = kiln_rdd_map(b, pair_null, NULL, 0);
    return rdd_drop_tmp(rdd_drop_tmp(via_cogroup(ka, kb, n, mode), ka), kb);
}

kiln_rdd *kiln_rdd_join(kiln_rdd *a, kiln_rdd *b, int n)
{
    return via_cogroup(a, b, n, JOIN_INNER);
}
kiln_rdd *kiln_rdd_left_outer_join(kiln_rdd *a, kiln_rdd *b, int n)
{
    return via_cogroup(a, b, n, JOIN_LEFT);
}
kiln_rdd *kiln_rdd_right_outer_join(kiln_rdd *a, kiln_rdd *b, int n)
{
    return via_cogroup(a, b, n, JOIN_RIGHT);
}
kiln_rdd *kiln_rdd_full_outer_join(kiln_rdd *a, kiln_rdd *b, int n)
{
    return via_cogroup(a, b, n, JOIN_FULL);
}

/* x -> (x, null) */
static int pair_null(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = kiln_pair(kiln_task_arena(t), *in, kiln_null());
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : 0;
}

static int keep_first(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                      const void *env)
{
    *out = *a;
    return 0;
}

kiln_rdd *kiln_rdd_distinct(kiln_rdd *r, int num_partitions)
{
    kiln_rdd *keyed = kiln_rdd_map(r, pair_null, NULL, 0);
    kiln_rdd *firsts = kiln_rdd_reduce_by_key(keyed, keep_first, NULL, 0, num_partitions);
    return rdd_drop_tmp(rdd_drop_tmp(kiln_rdd_keys(firsts), firsts), keyed);
}

kiln_rdd *kiln_rdd_intersection(kiln_rdd *a, kiln_rdd *b, int num_partitions)
{
    return via_cogroup_keyed(a, b, num_partitions, KEEP_BOTH);
}

kiln_rdd *kiln_rdd_subtract(kiln_rdd *a, kiln_rdd *b, int num_partitions)
{
    if (a && num_partitions <= 0) num_partitions = a->nparts; /* Spark: this RDD's count */
    return via_cogroup_keyed(a, b, num_partitions, KEEP_LEFT_ONLY);
}
