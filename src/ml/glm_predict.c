/*
 * ml/glm_predict.c - predictions of generalised linear models on one
 * vector and over an RDD of labeled points.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

static double sigmoid(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

void kiln_ml_glm_predict_probs(const kiln_ml_glm *m, const kiln_value *x, double *probs)
{
    double top = -INFINITY, sum = 0;
    for (int r = 0; r < m->num_rows; r++) {
        probs[r] = kiln_ml_dot(x, m->coef + (size_t)r * (size_t)m->num_features) + m->intercept[r];
        top = probs[r] > top ? probs[r] : top;
    }
    for (int r = 0; r < m->num_rows; r++) sum += probs[r] = exp(probs[r] - top);
    for (int r = 0; r < m->num_rows; r++) probs[r] /= sum;
}

double kiln_ml_glm_predict(const kiln_ml_glm *m, const kiln_value *x)
{
    if (m->family == KILN_ML_LINEAR) return kiln_ml_dot(x, m->coef) + m->intercept[0];
    if (m->family == KILN_ML_LOGISTIC) return sigmoid(kiln_ml_dot(x, m->coef) + m->intercept[0]);
    int best = 0;
    double best_z = -INFINITY;
    for (int r = 0; r < m->num_rows; r++) {
        double z = kiln_ml_dot(x, m->coef + (size_t)r * (size_t)m->num_features) + m->intercept[r];
        if (z > best_z) best_z = z, best = r;
    }
    return best;
}

/* env: family, rows, dim, then coef and intercepts. */
typedef struct predict_env {
    int32_t family, rows;
    int64_t dim;
} predict_env;

static int predict_point(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    predict_env e;
    memcpy(&e, env, sizeof e);
    const double *coef = (const double *)((const char *)env + sizeof e);
    kiln_ml_glm m = {.family = e.family,
                     .num_features = e.dim,
                     .num_rows = e.rows,
                     .coef = (double *)coef,
                     .intercept = (double *)coef + (size_t)e.rows * (size_t)e.dim};
    double y;
    kiln_value f;
    if (kiln_ml_point_parts(in, &y, &f) || !kiln_ml_is_vector(&f))
        return kiln_task_fail(t, "predict: expected labeled points");
    if (kiln_ml_vector_size(&f) != e.dim)
        return kiln_task_fail(t, "predict: a point has %lld features, the model %lld",
                              (long long)kiln_ml_vector_size(&f), (long long)e.dim);
    *out = kiln_pair(kiln_task_arena(t), kiln_double(kiln_ml_glm_predict(&m, &f)), kiln_double(y));
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : KILN_OK;
}

kiln_rdd *kiln_ml_glm_predict_rdd(const kiln_ml_glm *m, kiln_rdd *points)
{
    size_t nc = (size_t)m->num_rows * (size_t)m->num_features;
    size_t len = sizeof(predict_env) + sizeof(double) * (nc + (size_t)m->num_rows);
    char *env = malloc(len);
    if (!env) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    predict_env e = {.family = m->family, .rows = m->num_rows, .dim = m->num_features};
    memcpy(env, &e, sizeof e);
    memcpy(env + sizeof e, m->coef, sizeof(double) * nc);
    memcpy(env + sizeof e + sizeof(double) * nc, m->intercept,
           sizeof(double) * (size_t)m->num_rows);
    kiln_rdd *r = kiln_rdd_map(points, predict_point, env, len);
    free(env);
    return r;
}
