/*
 * ml/naive_bayes.c - multinomial naive Bayes, as scikit-learn's
 * MultinomialNB(alpha = smoothing, fit_prior = True) and Spark's
 * NaiveBayes (modelType "multinomial").
 *
 * Training is one job: a map_partitions adds each partition's labeled
 * points into one partial per partition, which a tree_aggregate of depth 2
 * sums. A partial, for K classes (the largest label seen + 1) and D
 * features, is the vector
 *
 *     [ K | D | per-class counts (K) | per-class feature sums (K x D) ]
 *
 * Partials of different K add by treating missing classes as empty. Then
 * on the driver, with n points and alpha = smoothing:
 *
 *     log_prior[c]    = log(count_c) - log(n)
 *     log_theta[c][j] = log(sum_cj + alpha) - log(sum_c + alpha * D)
 *
 * A class in 0..K-1 that no point has gets log_prior -inf: it is never
 * predicted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

/* The most classes a model may have (each costs D doubles per task). */
#define MAX_CLASSES 65536

kiln_ml_nb *nb_alloc(int num_classes, int64_t num_features)
{
    if (num_classes < 1 || num_classes > MAX_CLASSES || num_features < 0 ||
        (uint64_t)num_features > SIZE_MAX / sizeof(double) / (size_t)num_classes) {
        kiln_set_error(KILN_ERANGE,
                       "naive Bayes: sizes out of range (%d classes, %lld "
                       "features)",
                       num_classes, (long long)num_features);
        return NULL;
    }
    kiln_ml_nb *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->num_classes = num_classes;
    m->num_features = num_features;
    m->log_prior = calloc((size_t)num_classes, sizeof *m->log_prior);
    m->log_theta = calloc((size_t)num_classes * (size_t)num_features + 1, sizeof *m->log_theta);
    if (!m->log_prior || !m->log_theta) goto oom;
    return m;
oom:
    kiln_ml_nb_free(m);
    kiln_set_error(KILN_ENOMEM, "naive Bayes: out of memory");
    return NULL;
}

/* ---- The training job ------------------------------------------------------ */

/* A partition's sums while it is read (in the task arena). */
typedef struct nb_acc {
    int k, cap;    /* classes seen (largest label + 1), classes allocated */
    int64_t d;     /* features; -1 before the first point */
    double *count; /* cap */
    double *sums;  /* cap x d */
} nb_acc;

/* Makes room for class c; 0 or a task failure. */
static int acc_grow(kiln_task *t, nb_acc *s, int c)
{
    if (c < s->cap) return 0;
    int cap = s->cap ? 2 * s->cap : 4;
    if (cap <= c) cap = c + 1;
    if (cap > MAX_CLASSES) cap = MAX_CLASSES;
    kiln_arena *a = kiln_task_arena(t);
    double *count = kiln_arena_alloc(a, (size_t)cap * sizeof *count);
    double *sums = kiln_arena_alloc(a, (size_t)cap * (size_t)s->d * sizeof *sums + 1);
    if (!count || !sums) return kiln_task_fail(t, "naive Bayes: out of memory");
    memset(count, 0, (size_t)cap * sizeof *count);
    memset(sums, 0, (size_t)cap * (size_t)s->d * sizeof *sums);
    if (s->k) {
        memcpy(count, s->count, (size_t)s->k * sizeof *count);
        memcpy(sums, s->sums, (size_t)s->k * (size_t)s->d * sizeof *sums);
    }
    s->count = count;
    s->sums = sums;
    s->cap = cap;
    return 0;
}

/* Checks a labeled point and returns its class in *c and features in *x,
 * or fails the task naming the record and what is wrong with it. */
static int check_point(kiln_task *t, const kiln_value *rec, int64_t i, int64_t d, int *c,
                       kiln_value *x)
{
    char where[256];
    double label;
    if (kiln_ml_point_parts(rec, &label, x) || !kiln_ml_is_vector(x)) {
        ml_record_where(t, rec, i, where, sizeof where);
        return kiln_task_fail(t, "naive Bayes: %s is not a labeled point (label, vector)", where);
    }
    if (!(label >= 0 && label < MAX_CLASSES) || label != floor(label)) {
        ml_record_where(t, rec, i, where, sizeof where);
        return kiln_task_fail(t,
                              "naive Bayes: %s has label %g; labels must be class indices "
                              "0, 1, ..., K-1 (K at most %d)",
                              where, label, MAX_CLASSES);
    }
    if (d >= 0 && kiln_ml_vector_size(x) != d) {
        ml_record_where(t, rec, i, where, sizeof where);
        return kiln_task_fail(t, "naive Bayes: %s has %lld features, earlier points %lld", where,
                              (long long)kiln_ml_vector_size(x), (long long)d);
    }
    size_t n = kiln_ml_vector_nnz(x);
    const double *v = x->type == KILN_VEC ? x->u.vec : x->u.items[2].u.vec;
    for (size_t j = 0; j < n; j++)
        if (!(v[j] >= 0) || !isfinite(v[j])) {
            int32_t idx = (int32_t)j;
            double val = v[j];
            if (x->type != KILN_VEC) kiln_ml_sparse_entry(x, j, &idx, &val);
            ml_record_where(t, rec, i, where, sizeof where);
            return kiln_task_fail(t,
                                  "naive Bayes: %s has feature %d = %g; multinomial naive "
                                  "Bayes needs non-negative finite values (counts)",
                                  where, (int)idx, val);
        }
    *c = (int)label;
    return 0;
}

static int nb_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    nb_acc s = {.d = -1};
    const kiln_value *rec;
    int64_t i = 0;
    int rc;
    while ((rc = kiln_in_next(in, &rec)) > 0) {
        int c = 0;
        kiln_value x;
        if (check_point(t, rec, i, s.d, &c, &x)) return KILN_EUSER;
        if (s.d < 0) s.d = kiln_ml_vector_size(&x);
        if (acc_grow(t, &s, c)) return KILN_EUSER;
        if (c >= s.k) s.k = c + 1;
        s.count[c] += 1;
        kiln_ml_axpy(1.0, &x, s.sums + (size_t)c * (size_t)s.d);
        i++;
    }
    if (rc < 0) return rc;
    if (i == 0) return 0;
    size_t len = 2 + (size_t)s.k + (size_t)s.k * (size_t)s.d;
    double *p = kiln_arena_alloc(kiln_task_arena(t), len * sizeof *p);
    if (!p) return kiln_task_fail(t, "naive Bayes: out of memory");
    p[0] = s.k;
    p[1] = (double)s.d;
    memcpy(p + 2, s.count, (size_t)s.k * sizeof *p);
    memcpy(p + 2 + s.k, s.sums, (size_t)s.k * (size_t)s.d * sizeof *p);
    kiln_value v = kiln_vec_ref(p, len);
    return kiln_emit(out, &v);
}

/* Adds two partials (null is the empty partial). */
static int nb_add(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                  const void *env)
{
    if (a->type == KILN_NULL || b->type == KILN_NULL) {
        *out = a->type == KILN_NULL ? *b : *a;
        return 0;
    }
    const double *pa = a->u.vec, *pb = b->u.vec;
    int ka = (int)pa[0], kb = (int)pb[0];
    int64_t d = (int64_t)pa[1];
    if ((int64_t)pb[1] != d)
        return kiln_task_fail(t,
                              "naive Bayes: points have different numbers of features "
                              "(%lld and %lld)",
                              (long long)d, (long long)pb[1]);
    if (ka < kb) { /* the wider one first */
        const double *tp = pa;
        pa = pb, pb = tp;
        int tk = ka;
        ka = kb, kb = tk;
    }
    size_t len = 2 + (size_t)ka + (size_t)ka * (size_t)d;
    double *p = kiln_arena_alloc(kiln_task_arena(t), len * sizeof *p);
    if (!p) return kiln_task_fail(t, "naive Bayes: out of memory");
    memcpy(p, pa, len * sizeof *p);
    for (int c = 0; c < kb; c++) p[2 + c] += pb[2 + c];
    double *sa = p + 2 + ka;
    const double *sb = pb + 2 + kb;
    for (size_t j = 0; j < (size_t)kb * (size_t)d; j++) sa[j] += sb[j];
    *out = kiln_vec_ref(p, len);
    return 0;
}

/* ---- API ------------------------------------------------------------------------ */

/* Trains on labeled points (one job); returns the owned model or NULL with
 * the error set. Borrows points. */
kiln_ml_nb *kiln_ml_nb_train(kiln_rdd *points, double smoothing)
{
    if (!points) {
        kiln_set_error(KILN_EINVAL, "naive Bayes: the points RDD is NULL");
        return NULL;
    }
    if (!(smoothing >= 0) || !isfinite(smoothing)) {
        kiln_set_error(KILN_EINVAL, "naive Bayes: smoothing %g must be finite and >= 0", smoothing);
        return NULL;
    }
    kiln_arena *a = kiln_arena_new();
    if (!a) {
        kiln_set_error(KILN_ENOMEM, "naive Bayes: out of memory");
        return NULL;
    }
    kiln_value zero = kiln_null(), res;
    kiln_rdd *parts = kiln_rdd_map_partitions(points, nb_part, NULL, 0);
    int rc = kiln_rdd_tree_aggregate(parts, &zero, nb_add, nb_add, NULL, 0, 2, a, &res);
    kiln_rdd_free(parts);
    kiln_ml_nb *m = NULL;
    if (rc == KILN_OK && res.type == KILN_NULL) {
        kiln_set_error(KILN_EEMPTY, "naive Bayes: the data has no points");
    } else if (rc == KILN_OK) {
        const double *p = res.u.vec;
        int k = (int)p[0];
        int64_t d = (int64_t)p[1];
        m = nb_alloc(k, d);
        if (m) {
            const double *count = p + 2, *sums = p + 2 + k;
            double n = 0;
            for (int c = 0; c < k; c++) n += count[c];
            for (int c = 0; c < k; c++) {
                m->log_prior[c] = log(count[c]) - log(n);
                const double *sc = sums + (size_t)c * (size_t)d;
                double total = 0;
                for (int64_t j = 0; j < d; j++) total += sc[j];
                double denom = log(total + smoothing * (double)d);
                double *lt = m->log_theta + (size_t)c * (size_t)d;
                for (int64_t j = 0; j < d; j++) lt[j] = log(sc[j] + smoothing) - denom;
            }
        }
    }
    kiln_arena_free(a);
    return m;
}

/* The most likely class of features (the first on ties), or -1 with the
 * error set when features is not a vector of the model's size. */
int kiln_ml_nb_predict(const kiln_ml_nb *m, const kiln_value *features)
{
    if (!kiln_ml_is_vector(features) || kiln_ml_vector_size(features) != m->num_features) {
        kiln_set_error(KILN_EINVAL, "naive Bayes predict: expected a vector of %lld features",
                       (long long)m->num_features);
        return -1;
    }
    int best = 0;
    double bs = -INFINITY;
    for (int c = 0; c < m->num_classes; c++) {
        double s = m->log_prior[c] +
                   kiln_ml_dot(features, m->log_theta + (size_t)c * (size_t)m->num_features);
        if (s > bs) bs = s, best = c;
    }
    return best;
}

/* Frees m and its arrays (NULL is ignored). */
void kiln_ml_nb_free(kiln_ml_nb *m)
{
    if (!m) return;
    free(m->log_prior);
    free(m->log_theta);
    free(m);
}
