/*
 * ml/split.c - random splits and k-fold splits of an RDD (include/kiln/ml.h,
 * "Tuning").
 *
 * Every record draws one uniform u in [0, 1) from a generator seeded by
 * (seed, partition index), in the order of the records in their partition.
 * That order depends only on the input (an engine invariant), so each split
 * RDD, recomputing the parent on its own, sees the very same draws: the
 * splits are disjoint and together hold every record, as Spark's
 * randomSplit. (Cache the input to avoid computing it once per split.)
 */
#include <math.h>
#include <string.h>

#include "ml/ml.h"

typedef enum split_mode {
    SPLIT_RANGE,    /* keep lo <= u < hi */
    SPLIT_FOLD,     /* keep floor(u * k) == fold */
    SPLIT_NOT_FOLD, /* keep floor(u * k) != fold */
} split_mode;

typedef struct split_env {
    uint64_t seed;
    double lo, hi;
    int k, fold;
    int mode; /* a split_mode */
} split_env;

/* The generator of one partition: the seed and the index mixed by a large
 * odd constant, then expanded by rng_seed's splitmix64. */
static void partition_rng(rng *g, uint64_t seed, int index)
{
    rng_seed(g, seed ^ (0xD1B54A32D192ED03ull * ((uint64_t)index + 1)));
}

static bool keeps(const split_env *e, double u)
{
    if (e->mode == SPLIT_RANGE) return u >= e->lo && u < e->hi;
    int f = (int)floor(u * e->k);
    if (f >= e->k) f = e->k - 1; /* u * k may round up to k */
    return (f == e->fold) == (e->mode == SPLIT_FOLD);
}

static int split_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    const split_env *e = env;
    rng g;
    partition_rng(&g, e->seed, index);
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0) {
        if (keeps(e, rng_double(&g)) && (rc = kiln_emit(out, v))) return rc;
    }
    return rc;
}

static kiln_rdd *split_rdd(kiln_rdd *r, const split_env *e)
{
    return kiln_rdd_map_partitions(r, split_part, e, sizeof *e);
}

/* Splits r (borrowed) into n RDDs with the relative weights (finite, >= 0,
 * not all 0; normalised here): split i keeps the records whose draw falls in
 * [cum_i, cum_{i+1}) of the normalised cumulative weights. out[0..n) gets
 * the RDDs (owned by the context). Returns KILN_OK, or KILN_EINVAL for a
 * NULL r, n < 1 or bad weights (out untouched); KILN_ENOMEM (out cleared). */
int kiln_ml_random_split(kiln_rdd *r, const double *weights, int n, uint64_t seed, kiln_rdd **out)
{
    if (!r) return kiln_set_error(KILN_EINVAL, "random_split: the RDD is NULL");
    if (n < 1 || !weights || !out)
        return kiln_set_error(KILN_EINVAL, "random_split: needs n >= 1 weights and outputs");
    double total = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(weights[i]) || weights[i] < 0)
            return kiln_set_error(KILN_EINVAL,
                                  "random_split: weight %d is %g; weights must be finite "
                                  "and >= 0",
                                  i, weights[i]);
        total += weights[i];
    }
    if (!(total > 0) || !isfinite(total))
        return kiln_set_error(KILN_EINVAL, "random_split: the weights sum to %g", total);
    double cum = 0;
    for (int i = 0; i < n; i++) {
        split_env e = {.seed = seed, .mode = SPLIT_RANGE, .lo = cum / total};
        cum += weights[i];
        /* The last bound is exactly 1 so rounding never drops a draw. */
        e.hi = i == n - 1 ? 1.0 : cum / total;
        if (!(out[i] = split_rdd(r, &e))) {
            memset(out, 0, sizeof *out * (size_t)n);
            return KILN_ENOMEM;
        }
    }
    return KILN_OK;
}

/* Fold f of k: *test keeps the records whose draw u has floor(u * k) == f,
 * *train the others (both owned by the context; r is borrowed). Returns
 * KILN_OK, or KILN_EINVAL for a NULL r, k < 2 or f outside [0, k), with the
 * outputs untouched. */
int kiln_ml_kfold(kiln_rdd *r, int k, int f, uint64_t seed, kiln_rdd **train, kiln_rdd **test)
{
    if (!r) return kiln_set_error(KILN_EINVAL, "kfold: the RDD is NULL");
    if (k < 2 || f < 0 || f >= k || !train || !test)
        return kiln_set_error(KILN_EINVAL, "kfold: fold %d of %d; needs k >= 2 and 0 <= f < k", f,
                              k);
    split_env e = {.seed = seed, .k = k, .fold = f, .mode = SPLIT_NOT_FOLD};
    kiln_rdd *tr = split_rdd(r, &e);
    e.mode = SPLIT_FOLD;
    kiln_rdd *te = split_rdd(r, &e);
    if (!tr || !te) return KILN_ENOMEM;
    *train = tr;
    *test = te;
    return KILN_OK;
}
