/*
 * ml/glm_eval.c - the loss and gradient of generalised linear models over
 * the training blocks, for many weight vectors in one pass.
 *
 * One tree_aggregate evaluates G models at once (a parameter grid trains in
 * lockstep). For a dense block X (rows x dim) and the models' weights W
 * (C = G x K rows of dim + 1, the intercept last) the margins are
 * M = X W^T and the gradient is X^T M' where M' holds each margin's
 * multiplier: two BLAS matrix products per block. CSR blocks loop.
 *
 * The accumulator is a VEC: G losses, then C x (dim + 1) gradient sums
 * (laid out as W), then the row count.
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

/* OpenBLAS's own threads would fight kiln's task threads for the cores
 * (busy-waiting in sched_yield): kiln runs one task per core, so the BLAS
 * calls of a task stay on its thread. Weak, for BLAS libraries without it. */
extern void openblas_set_num_threads(int n) __attribute__((weak));
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single_thread(void)
{
    if (openblas_set_num_threads) openblas_set_num_threads(1);
}

/* env: this header, then C x (dim + 1) weights. */
typedef struct eval_env {
    int32_t family, k, g, pad;
    int64_t dim;
} eval_env;

static size_t acc_len(const eval_env *e)
{
    size_t c = (size_t)e->g * (size_t)e->k;
    return (size_t)e->g + c * (size_t)(e->dim + 1) + 1;
}

/* Turns the margins of one row (C of them, m) into multipliers in place
 * and adds each model's loss; returns KILN_OK or KILN_EINVAL for a label
 * the family cannot take. */
static int row_loss(const eval_env *e, double y, double *m, double *loss)
{
    int k = e->k;
    if (e->family == KILN_ML_LINEAR) {
        for (int g = 0; g < e->g; g++) {
            double r = m[g] - y;
            loss[g] += 0.5 * r * r;
            m[g] = r;
        }
        return KILN_OK;
    }
    if (e->family == KILN_ML_LOGISTIC) {
        if (y != 0 && y != 1) return KILN_EINVAL;
        for (int g = 0; g < e->g; g++) {
            double z = m[g], ez = exp(-fabs(z)); /* one exp serves both */
            loss[g] += (z > 0 ? z : 0) + log1p(ez) - y * z;
            m[g] = (z >= 0 ? 1 / (1 + ez) : ez / (1 + ez)) - y;
        }
        return KILN_OK;
    }
    int cls = (int)y;
    if (cls != y || cls < 0 || cls >= k) return KILN_EINVAL;
    for (int g = 0; g < e->g; g++) {
        double *z = m + (size_t)g * (size_t)k, top = z[0], sum = 0;
        for (int j = 1; j < k; j++) top = z[j] > top ? z[j] : top;
        for (int j = 0; j < k; j++) sum += exp(z[j] - top);
        double lse = top + log(sum);
        loss[g] += lse - z[cls];
        for (int j = 0; j < k; j++) z[j] = exp(z[j] - lse) - (j == cls);
    }
    return KILN_OK;
}

static int bad_label(kiln_task *t, const eval_env *e, double y)
{
    return kiln_task_fail(t, "label %g: %s", y,
                          e->family == KILN_ML_LOGISTIC ? "logistic regression needs 0 or 1"
                                                        : "multinomial labels are 0..K-1");
}

/* The weights and gradient sums travel feature-major ("interleaved"):
 * wt[col * C + j] is model j's weight of feature col (col = dim: the
 * intercept), so the C models' weights of one feature share a cache line;
 * hashed sparse features touch the weights at random, once per feature
 * instead of once per model and feature. */

static int dense_block(kiln_task *t, const eval_env *e, const double *wt, const glm_block *b,
                       double *acc)
{
    size_t c = (size_t)e->g * (size_t)e->k, d = (size_t)e->dim, r = b->rows;
    double *m = malloc(sizeof *m * r * c);
    if (!m) return kiln_task_fail(t, "out of memory");
    /* M = X WT: for one model a matrix-vector product (dgemm's packing
     * would cost more than the arithmetic). */
    if (d > 0 && c == 1)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)r, (int)d, 1.0, b->dense, (int)d, wt, 1, 0.0,
                    m, 1);
    else if (d > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)c, (int)d, 1.0,
                    b->dense, (int)d, wt, (int)c, 0.0, m, (int)c);
    else memset(m, 0, sizeof *m * r * c);
    double *gt = acc + e->g;
    const double *bias = wt + d * c;
    for (size_t i = 0; i < r; i++) {
        double *mi = m + i * c;
        for (size_t j = 0; j < c; j++) mi[j] += bias[j];
        if (row_loss(e, b->labels[i], mi, acc)) {
            free(m);
            return bad_label(t, e, b->labels[i]);
        }
        for (size_t j = 0; j < c; j++) gt[d * c + j] += mi[j];
    }
    /* GT += X^T M'. */
    if (d > 0 && c == 1)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)r, (int)d, 1.0, b->dense, (int)d, m, 1, 1.0, gt,
                    1);
    else if (d > 0)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)c, (int)r, 1.0, b->dense,
                    (int)d, m, (int)c, 1.0, gt, (int)c);
    free(m);
    return KILN_OK;
}

static int sparse_block(kiln_task *t, const eval_env *e, const double *wt, const glm_block *b,
                        double *acc)
{
    size_t c = (size_t)e->g * (size_t)e->k, d = (size_t)e->dim;
    double *m = malloc(sizeof *m * c);
    if (!m) return kiln_task_fail(t, "out of memory");
    double *gt = acc + e->g;
    for (size_t i = 0; i < b->rows; i++) {
        size_t lo = (size_t)ml_i32(b->starts, i), hi = (size_t)ml_i32(b->starts, i + 1);
        memcpy(m, wt + d * c, sizeof *m * c);
        for (size_t p = lo; p < hi; p++) {
            const double *wc = wt + (size_t)ml_i32(b->cols, p) * c;
            double v = b->vals[p];
            for (size_t j = 0; j < c; j++) m[j] += v * wc[j];
        }
        if (row_loss(e, b->labels[i], m, acc)) {
            free(m);
            return bad_label(t, e, b->labels[i]);
        }
        for (size_t j = 0; j < c; j++) gt[d * c + j] += m[j];
        for (size_t p = lo; p < hi; p++) {
            double *gc = gt + (size_t)ml_i32(b->cols, p) * c, v = b->vals[p];
            for (size_t j = 0; j < c; j++) gc[j] += m[j] * v;
        }
    }
    free(m);
    return KILN_OK;
}

/* seq: acc (empty at first) + the block's sums. */
static int add_block(kiln_task *t, const kiln_value *acc, const kiln_value *blk, kiln_value *out,
                     const void *env)
{
    pthread_once(&blas_once, blas_single_thread);
    eval_env e;
    memcpy(&e, env, sizeof e);
    const double *w = (const double *)((const char *)env + sizeof e);
    size_t n = acc_len(&e);
    /* The sums (megabytes for a wide model or a grid) are added to in
     * place: the accumulator is the task's own once it is not the empty
     * zero (kiln_rdd_aggregate). */
    double *sum = (double *)acc->u.vec;
    if (acc->len != n) {
        if (!(sum = kiln_arena_alloc(kiln_task_arena(t), sizeof *sum * n)))
            return kiln_task_fail(t, "out of memory");
        memset(sum, 0, sizeof *sum * n);
    }
    glm_block b;
    glm_block_parts(blk, &b);
    int rc = b.dense ? dense_block(t, &e, w, &b, sum) : sparse_block(t, &e, w, &b, sum);
    if (rc) return rc;
    sum[n - 1] += (double)b.rows;
    *out = kiln_vec_ref(sum, n);
    return KILN_OK;
}

/* comb: elementwise sum (either side may still be the empty zero). */
int ml_vec_sum(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env)
{
    (void)env;
    if (a->len == 0 || b->len == 0) {
        *out = a->len ? *a : *b;
        return KILN_OK;
    }
    double *s = kiln_arena_alloc(kiln_task_arena(t), sizeof *s * a->len);
    if (!s) return kiln_task_fail(t, "out of memory");
    for (size_t i = 0; i < a->len; i++) s[i] = a->u.vec[i] + b->u.vec[i];
    *out = kiln_vec_ref(s, a->len);
    return KILN_OK;
}

int glm_eval(kiln_rdd *blocks, kiln_ml_family family, int k, int g, int64_t dim, const double *w,
             double *loss, double *grad, double *count)
{
    size_t c = (size_t)g * (size_t)k, nw = c * (size_t)(dim + 1);
    size_t env_len = sizeof(eval_env) + sizeof(double) * nw;
    char *env = malloc(env_len);
    kiln_arena *a = kiln_arena_new();
    if (!env || !a) {
        free(env);
        kiln_arena_free(a);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    eval_env e = {.family = family, .k = k, .g = g, .dim = dim};
    memcpy(env, &e, sizeof e);
    double *wt = (double *)(env + sizeof e); /* env is malloc'd: aligned */
    size_t cols = (size_t)dim + 1;
    for (size_t j = 0; j < c; j++)
        for (size_t col = 0; col < cols; col++) wt[col * c + j] = w[j * cols + col];
    kiln_value zero = kiln_vec_ref(NULL, 0), sum;
    int rc = kiln_rdd_tree_aggregate(blocks, &zero, add_block, ml_vec_sum, env, env_len, 2, a,
                                     &sum);
    if (rc == KILN_OK) {
        size_t n = acc_len(&e);
        if (sum.len != n) { /* no rows at all */
            memset(loss, 0, sizeof *loss * (size_t)g);
            memset(grad, 0, sizeof *grad * nw);
            *count = 0;
        } else {
            memcpy(loss, sum.u.vec, sizeof *loss * (size_t)g);
            const double *gt = sum.u.vec + g;
            for (size_t j = 0; j < c; j++)
                for (size_t col = 0; col < cols; col++) grad[j * cols + col] = gt[col * c + j];
            *count = sum.u.vec[n - 1];
        }
    }
    kiln_arena_free(a);
    free(env);
    return rc;
}
