/*
 * ml/summary.c - column statistics of labeled points: count, per-feature
 * mean, unbiased variance, min and max, and the label's mean and variance.
 *
 * One job: a map_partitions summarises each partition into one partial
 * (below), and a tree_aggregate of depth 2 merges the partials. Within a
 * partition a feature's stored entries update a running mean and sum of
 * squared deviations (Welford, shifted by the feature's first value); a
 * sparse vector's implicit zeros are folded in at the end of the partition
 * as one group of zeros. Groups merge with Chan et al.'s parallel update,
 * so the variance never comes from the difference of two large sums. Per
 * record the work is O(stored entries), so hashed features with 2^18
 * dimensions cost what they store.
 *
 * A partial is the tuple (INT n, VEC shift, VEC mean, VEC m2, VEC min,
 * VEC max), each vector of d + 1 entries: the d features, then the label.
 * For a column, mean is the mean of x - shift and m2 the sum of squared
 * deviations from the mean; shift is a value of the data (the first one a
 * partition saw), so that for data far from zero (a mean of 1e6 and a std
 * of 1) the running deviations and the differences of means that Chan's
 * update takes are numbers of the data's spread, computed without
 * cancellation. The true mean is shift + mean. Null stands for "no points"
 * (the zero of the aggregate).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

enum { P_N, P_SHIFT, P_MEAN, P_M2, P_MIN, P_MAX, P_PARTS };

/* One running update of a column (count n) with the value x. */
static inline void welford(int64_t *n, double *shift, double *mean, double *m2, double *mn,
                           double *mx, double x)
{
    if (*n == 0) *shift = x;
    double y = x - *shift, delta = y - *mean;
    *mean += delta / (double)++*n;
    *m2 += delta * (y - *mean);
    if (x < *mn) *mn = x;
    if (x > *mx) *mx = x;
}

/* Chan's update: merges group b (nb values, shift kb, mean mb, m2b) into
 * group a (na, *ka, *ma, *m2a), keeping a's shift. */
static inline void chan(double na, double ka, double *ma, double *m2a, double nb, double kb,
                        double mb, double m2b)
{
    double n = na + nb;
    if (n == 0) return;
    double delta = (kb - ka) + (mb - *ma);
    *ma += delta * (nb / n);
    *m2a += m2b + delta * delta * (na * nb / n);
}

static int bad_point(kiln_task *t, int part, int64_t rec, const char *what)
{
    return kiln_task_fail(t, "summarize: record %lld of partition %d %s", (long long)rec, part,
                          what);
}

/* The partial of a partition (nothing for an empty one). Column d of the
 * arrays is the label. */
static int summarize_partition(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    kiln_arena *a = kiln_task_arena(t);
    int64_t n = 0, d = -1, *cnt = NULL;
    double *shift = NULL, *mean = NULL, *m2 = NULL, *mn = NULL, *mx = NULL;
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) == 1) {
        double label;
        kiln_value x;
        if (kiln_ml_point_parts(v, &label, &x) != KILN_OK || !kiln_ml_is_vector(&x))
            return bad_point(t, index, n, "is not a labeled point (label, vector)");
        int64_t size = kiln_ml_vector_size(&x);
        if (d < 0) {
            d = size;
            size_t bytes = sizeof(double) * (size_t)(d + 1);
            cnt = kiln_arena_alloc(a, bytes);
            shift = kiln_arena_alloc(a, bytes);
            mean = kiln_arena_alloc(a, bytes);
            m2 = kiln_arena_alloc(a, bytes);
            mn = kiln_arena_alloc(a, bytes);
            mx = kiln_arena_alloc(a, bytes);
            if (!cnt || !shift || !mean || !m2 || !mn || !mx)
                return kiln_task_fail(t, "out of memory");
            memset(cnt, 0, bytes);
            memset(shift, 0, bytes);
            memset(mean, 0, bytes);
            memset(m2, 0, bytes);
            for (int64_t j = 0; j <= d; j++) mn[j] = INFINITY, mx[j] = -INFINITY;
        } else if (size != d) {
            return kiln_task_fail(t,
                                  "summarize: record %lld of partition %d has %lld features, "
                                  "the first had %lld",
                                  (long long)n, index, (long long)size, (long long)d);
        }
        if (!isfinite(label)) return bad_point(t, index, n, "has a NaN or infinite label");
        welford(&cnt[d], &shift[d], &mean[d], &m2[d], &mn[d], &mx[d], label);
        if (x.type == KILN_VEC) {
            for (int64_t j = 0; j < d; j++) {
                if (!isfinite(x.u.vec[j]))
                    return bad_point(t, index, n, "has a NaN or infinite feature");
                welford(&cnt[j], &shift[j], &mean[j], &m2[j], &mn[j], &mx[j], x.u.vec[j]);
            }
        } else {
            for (size_t i = 0, nnz = kiln_ml_vector_nnz(&x); i < nnz; i++) {
                int32_t j;
                double xj;
                kiln_ml_sparse_entry(&x, i, &j, &xj);
                if (!isfinite(xj)) return bad_point(t, index, n, "has a NaN or infinite feature");
                welford(&cnt[j], &shift[j], &mean[j], &m2[j], &mn[j], &mx[j], xj);
            }
        }
        n++;
    }
    if (rc < 0) return rc;
    if (n == 0) return KILN_OK;
    /* Fold in each feature's implicit zeros: a group of n - cnt zeros. */
    for (int64_t j = 0; j < d; j++) {
        int64_t z = n - cnt[j];
        if (z == 0) continue;
        chan((double)cnt[j], shift[j], &mean[j], &m2[j], (double)z, 0, 0, 0);
        if (mn[j] > 0) mn[j] = 0;
        if (mx[j] < 0) mx[j] = 0;
    }
    size_t len = (size_t)d + 1;
    kiln_value parts[P_PARTS] = {
        [P_N] = kiln_int(n),
        [P_SHIFT] = kiln_vec_ref(shift, len),
        [P_MEAN] = kiln_vec_ref(mean, len),
        [P_M2] = kiln_vec_ref(m2, len),
        [P_MIN] = kiln_vec_ref(mn, len),
        [P_MAX] = kiln_vec_ref(mx, len),
    };
    kiln_value p = kiln_tuple_new(a, parts, P_PARTS);
    if (p.type == KILN_NULL) return kiln_task_fail(t, "out of memory");
    return kiln_emit(out, &p);
}

static bool is_partial(const kiln_value *p)
{
    if (p->type != KILN_TUPLE || p->len != P_PARTS || p->u.items[P_N].type != KILN_INT)
        return false;
    for (int i = P_SHIFT; i < P_PARTS; i++)
        if (p->u.items[i].type != KILN_VEC || p->u.items[i].len != p->u.items[P_MEAN].len ||
            p->u.items[i].len == 0)
            return false;
    return true;
}

/* Merges two partials (null: none); the seq and comb function. */
static int merge(kiln_task *t, const kiln_value *pa, const kiln_value *pb, kiln_value *out,
                 const void *env)
{
    if (pa->type == KILN_NULL || pb->type == KILN_NULL) {
        *out = pa->type == KILN_NULL ? *pb : *pa;
        return KILN_OK;
    }
    if (!is_partial(pa) || !is_partial(pb)) return kiln_task_fail(t, "summarize: bad partial");
    const kiln_value *a = pa->u.items, *b = pb->u.items;
    size_t len = a[P_MEAN].len;
    if (b[P_MEAN].len != len)
        return kiln_task_fail(t, "summarize: points have %zu and %zu features", len - 1,
                              (size_t)b[P_MEAN].len - 1);
    double na = (double)a[P_N].u.i, nb = (double)b[P_N].u.i;
    double *r = kiln_arena_alloc(kiln_task_arena(t), sizeof *r * 5 * len);
    if (!r) return kiln_task_fail(t, "out of memory");
    double *shift = r, *mean = r + len, *m2 = r + 2 * len, *mn = r + 3 * len, *mx = r + 4 * len;
    memcpy(shift, a[P_SHIFT].u.vec, sizeof *r * len);
    memcpy(mean, a[P_MEAN].u.vec, sizeof *r * len);
    memcpy(m2, a[P_M2].u.vec, sizeof *r * len);
    for (size_t j = 0; j < len; j++) {
        chan(na, shift[j], &mean[j], &m2[j], nb, b[P_SHIFT].u.vec[j], b[P_MEAN].u.vec[j],
             b[P_M2].u.vec[j]);
        mn[j] = fmin(a[P_MIN].u.vec[j], b[P_MIN].u.vec[j]);
        mx[j] = fmax(a[P_MAX].u.vec[j], b[P_MAX].u.vec[j]);
    }
    kiln_value parts[P_PARTS] = {
        [P_N] = kiln_int(a[P_N].u.i + b[P_N].u.i), [P_SHIFT] = kiln_vec_ref(shift, len),
        [P_MEAN] = kiln_vec_ref(mean, len),        [P_M2] = kiln_vec_ref(m2, len),
        [P_MIN] = kiln_vec_ref(mn, len),           [P_MAX] = kiln_vec_ref(mx, len),
    };
    *out = kiln_tuple_new(kiln_task_arena(t), parts, P_PARTS);
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : KILN_OK;
}

/* The first n entries of v, malloc'd. */
static double *copy_vec(const kiln_value *v, int64_t n)
{
    double *x = malloc(sizeof *x * (size_t)(n ? n : 1));
    if (x && n) memcpy(x, v->u.vec, sizeof *x * (size_t)n);
    return x;
}

/* Fills *out (owned by the caller: kiln_ml_summary_release) with the
 * statistics of the points' features and labels, by one job. Returns
 * KILN_OK, KILN_EEMPTY when there are no points, or the job's error (a
 * record that is not a labeled point, sizes that differ, a NaN or infinite
 * value). */
int kiln_ml_summarize(kiln_rdd *points, kiln_ml_summary *out)
{
    if (!out) return kiln_set_error(KILN_EINVAL, "summarize: NULL argument");
    memset(out, 0, sizeof *out);
    if (!points) {
        /* Keep the message of the transformation that failed, if any. */
        if (!*kiln_last_error()) kiln_set_error(KILN_EINVAL, "summarize: the RDD is NULL");
        return KILN_EINVAL;
    }
    kiln_rdd *partials = kiln_rdd_map_partitions(points, summarize_partition, NULL, 0);
    kiln_arena *a = kiln_arena_new();
    if (!a) {
        kiln_rdd_free(partials);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    kiln_value zero = kiln_null(), total;
    int rc = kiln_rdd_tree_aggregate(partials, &zero, merge, merge, NULL, 0, 2, a, &total);
    kiln_rdd_free(partials);
    if (rc == KILN_OK && total.type == KILN_NULL)
        rc = kiln_set_error(KILN_EEMPTY, "summarize: there are no points");
    if (rc == KILN_OK && !is_partial(&total))
        rc = kiln_set_error(KILN_ETYPE, "summarize: bad result");
    if (rc == KILN_OK) {
        const kiln_value *it = total.u.items;
        int64_t n = it[P_N].u.i, d = (int64_t)it[P_MEAN].len - 1;
        out->count = n;
        out->num_features = d;
        out->mean = copy_vec(&it[P_MEAN], d);
        out->variance = copy_vec(&it[P_M2], d);
        out->min = copy_vec(&it[P_MIN], d);
        out->max = copy_vec(&it[P_MAX], d);
        if (!out->mean || !out->variance || !out->min || !out->max) {
            kiln_ml_summary_release(out);
            rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        } else {
            /* Unbiased; one point has no spread (0, as Spark). */
            const double *shift = it[P_SHIFT].u.vec;
            for (int64_t j = 0; j < d; j++) {
                out->mean[j] += shift[j];
                out->variance[j] = n > 1 ? out->variance[j] / (double)(n - 1) : 0.0;
            }
            out->label_mean = shift[d] + it[P_MEAN].u.vec[d];
            out->label_variance = n > 1 ? it[P_M2].u.vec[d] / (double)(n - 1) : 0.0;
        }
    }
    kiln_arena_free(a);
    return rc;
}

void kiln_ml_summary_release(kiln_ml_summary *s)
{
    if (!s) return;
    free(s->mean);
    free(s->variance);
    free(s->min);
    free(s->max);
    memset(s, 0, sizeof *s);
}
