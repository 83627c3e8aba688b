/*
 * ml/scale.c - feature scalers fitted on labeled points (one summarize
 * job) and applied by a map: standard scaling as Spark's StandardScaler
 * and min-max scaling to [0, 1] as Spark's MinMaxScaler.
 *
 * Both reduce to y_j = (x_j - shift_j) * factor_j, except that min-max
 * sends a constant feature to 0.5:
 *   standard: shift = mean (with_mean) or 0, factor = 1/std (with_std; 0
 *             when std is 0) or 1, std the square root of the unbiased
 *             variance;
 *   min-max:  shift = min, factor = 1/(max - min) (the division is done
 *             per value, as Spark).
 * Output is dense when the shift is used (with_mean, min-max): shifted
 * zeros are no longer zero. With only with_std a sparse vector stays sparse
 * with the same indices.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

typedef enum scaler_kind { SCALE_STANDARD, SCALE_MIN_MAX } scaler_kind;

/* The scaler is also the env of the transform's map: a flat block of the
 * fields then shift[d] and factor[d] (min-max: min[d] and range[d]). */
struct kiln_ml_scaler {
    int64_t d;
    int32_t kind;
    bool with_mean, with_std;
    double v[]; /* 2 * d */
};

static size_t scaler_bytes(int64_t d)
{
    return sizeof(kiln_ml_scaler) + sizeof(double) * 2 * (size_t)d;
}

static kiln_ml_scaler *scaler_new(kiln_rdd *points, scaler_kind kind, bool with_mean, bool with_std)
{
    kiln_ml_summary s;
    if (kiln_ml_summarize(points, &s) != KILN_OK) return NULL;
    kiln_ml_scaler *sc = calloc(1, scaler_bytes(s.num_features));
    if (!sc) {
        kiln_ml_summary_release(&s);
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    sc->d = s.num_features;
    sc->kind = kind;
    sc->with_mean = with_mean;
    sc->with_std = with_std;
    double *shift = sc->v, *factor = sc->v + sc->d;
    for (int64_t j = 0; j < sc->d; j++) {
        if (kind == SCALE_MIN_MAX) {
            shift[j] = s.min[j];
            factor[j] = s.max[j] - s.min[j]; /* the range; 0 for a constant */
        } else {
            double sd = sqrt(s.variance[j]);
            shift[j] = with_mean ? s.mean[j] : 0.0;
            factor[j] = !with_std ? 1.0 : sd != 0 ? 1.0 / sd : 0.0;
        }
    }
    kiln_ml_summary_release(&s);
    return sc;
}

/* Fits standard scaling on the features of points (one job). Returns an
 * owned scaler (kiln_ml_scaler_free), or NULL with the error set. */
kiln_ml_scaler *kiln_ml_standard_scaler_fit(kiln_rdd *points, bool with_mean, bool with_std)
{
    return scaler_new(points, SCALE_STANDARD, with_mean, with_std);
}

/* Fits min-max scaling to [0, 1] on the features of points (one job). */
kiln_ml_scaler *kiln_ml_min_max_scaler_fit(kiln_rdd *points)
{
    return scaler_new(points, SCALE_MIN_MAX, false, false);
}

static int scale_point(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    const kiln_ml_scaler *sc = env;
    const double *shift = sc->v, *factor = sc->v + sc->d;
    double label;
    kiln_value x;
    if (kiln_ml_point_parts(in, &label, &x) != KILN_OK || !kiln_ml_is_vector(&x))
        return kiln_task_fail(t, "scaler: a record is not a labeled point (label, vector)");
    if (kiln_ml_vector_size(&x) != sc->d)
        return kiln_task_fail(t,
                              "scaler: a point with label %g has %lld features, the scaler "
                              "was fitted on %lld",
                              label, (long long)kiln_ml_vector_size(&x), (long long)sc->d);
    kiln_arena *a = kiln_task_arena(t);
    bool dense_out = sc->kind == SCALE_MIN_MAX || sc->with_mean;
    kiln_value y;
    if (!dense_out && !sc->with_std) {
        y = x; /* nothing to do, as Spark */
    } else if (dense_out || x.type == KILN_VEC) {
        double *r = kiln_arena_alloc(a, sizeof *r * (size_t)(sc->d ? sc->d : 1));
        if (!r) return kiln_task_fail(t, "out of memory");
        kiln_ml_to_dense(&x, r);
        for (int64_t j = 0; j < sc->d; j++) {
            if (sc->kind == SCALE_MIN_MAX)
                r[j] = factor[j] != 0 ? (r[j] - shift[j]) / factor[j] : 0.5;
            else r[j] = (r[j] - shift[j]) * factor[j];
        }
        y = kiln_vec_ref(r, (size_t)sc->d);
    } else {
        /* with_std only on a sparse vector: same indices, scaled values. */
        size_t nnz = kiln_ml_vector_nnz(&x);
        double *val = kiln_arena_alloc(a, sizeof *val * (nnz ? nnz : 1));
        if (!val) return kiln_task_fail(t, "out of memory");
        for (size_t i = 0; i < nnz; i++) {
            int32_t j;
            kiln_ml_sparse_entry(&x, i, &j, &val[i]);
            val[i] *= factor[j];
        }
        kiln_value parts[3] = {x.u.items[0], x.u.items[1], kiln_vec_ref(val, nnz)};
        y = kiln_tuple_new(a, parts, 3);
        if (y.type == KILN_NULL) return kiln_task_fail(t, "out of memory");
    }
    *out = kiln_ml_point(a, label, y);
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : KILN_OK;
}

/* Scales the features of labeled points (lazy: a map). The scaler is
 * copied into the RDD, so it may be freed before the RDD is used. */
kiln_rdd *kiln_ml_scaler_transform(kiln_ml_scaler *s, kiln_rdd *points)
{
    if (!points) return NULL; /* keeps the message of what failed before */
    if (!s) {
        kiln_set_error(KILN_EINVAL, "scaler_transform: the scaler is NULL");
        return NULL;
    }
    return kiln_rdd_map(points, scale_point, s, scaler_bytes(s->d));
}

void kiln_ml_scaler_free(kiln_ml_scaler *s)
{
    free(s);
}
