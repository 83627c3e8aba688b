/*
 * ml/glm_train.c - training generalised linear models: many parameter sets
 * in lockstep over the same cached blocks.
 *
 * Each parameter set drives its own optimiser (reverse communication, see
 * optim.c); every round the points all of them ask for are evaluated in one
 * pass (glm_eval). The optimiser works on w' = w * std when standardising,
 * so the penalty applies to standardised coefficients as in Spark; the
 * models come back on the original scale. Least squares with an L2 penalty
 * only and a small dimension is solved exactly from the normal equations
 * (one pass for the whole grid).
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

enum { NORMAL_MAX_DIM = 4096 };

kiln_ml_glm_params kiln_ml_glm_defaults(kiln_ml_family family)
{
    return (kiln_ml_glm_params){.family = family,
                                .fit_intercept = true,
                                .normal_equation = family == KILN_ML_LINEAR,
                                .opt = {.solver = KILN_ML_LBFGS, .max_iter = 100, .tol = 1e-6}};
}

/* ---- Column statistics of the blocks: sums of x and x^2, and of y, y^2, and
 * the cross products when the normal equations are wanted. */

typedef struct stats_env {
    int64_t dim;
    int32_t gram; /* also X^T X, X^T y */
    int32_t pad;
} stats_env;

static size_t stats_len(const stats_env *e)
{
    size_t d = (size_t)e->dim;
    return 2 * d + 3 + (e->gram ? d * d + d : 0);
}

static int stats_add(kiln_task *t, const kiln_value *acc, const kiln_value *blk, kiln_value *out,
                     const void *env)
{
    stats_env e;
    memcpy(&e, env, sizeof e);
    size_t n = stats_len(&e), d = (size_t)e.dim;
    double *s = kiln_arena_alloc(kiln_task_arena(t), sizeof *s * n);
    if (!s) return kiln_task_fail(t, "out of memory");
    if (acc->len == n) memcpy(s, acc->u.vec, sizeof *s * n);
    else memset(s, 0, sizeof *s * n);
    glm_block b;
    glm_block_parts(blk, &b);
    double *sx = s, *sxx = s + d, *sy = s + 2 * d, *gram = s + 2 * d + 3, *xy = gram + d * d;
    for (size_t i = 0; i < b.rows; i++) {
        double y = b.labels[i];
        sy[0] += y;
        sy[1] += y * y;
        sy[2] += 1;
        if (b.dense) {
            const double *x = b.dense + i * d;
            for (size_t j = 0; j < d; j++) {
                sx[j] += x[j];
                sxx[j] += x[j] * x[j];
                if (e.gram) xy[j] += x[j] * y;
            }
        } else {
            for (size_t p = (size_t)ml_i32(b.starts, i); p < (size_t)ml_i32(b.starts, i + 1); p++) {
                size_t j = (size_t)ml_i32(b.cols, p);
                double x = b.vals[p];
                sx[j] += x;
                sxx[j] += x * x;
                if (e.gram) {
                    xy[j] += x * y;
                    for (size_t q = (size_t)ml_i32(b.starts, i);
                         q < (size_t)ml_i32(b.starts, i + 1); q++)
                        gram[j * d + (size_t)ml_i32(b.cols, q)] += x * b.vals[q];
                }
            }
        }
    }
    if (e.gram && b.dense && d > 0)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)b.rows, 1.0, b.dense,
                    (int)d, 1.0, gram, (int)d);
    *out = kiln_vec_ref(s, n);
    return KILN_OK;
}

/* Fills *out (malloc'd, stats_len doubles) with the sums over the blocks. */
static int block_stats(kiln_rdd *blocks, int64_t dim, bool gram, double **out)
{
    stats_env e = {.dim = dim, .gram = gram};
    kiln_arena *a = kiln_arena_new();
    if (!a) return kiln_set_error(KILN_ENOMEM, "out of memory");
    kiln_value zero = kiln_vec_ref(NULL, 0), sum;
    int rc = kiln_rdd_tree_aggregate(blocks, &zero, stats_add, ml_vec_sum, &e, sizeof e, 2, a,
                                     &sum);
    size_t n = stats_len(&e);
    if (rc == KILN_OK && sum.len != n) rc = kiln_set_error(KILN_EEMPTY, "training data is empty");
    if (rc == KILN_OK && !(*out = malloc(sizeof **out * n))) rc = KILN_ENOMEM;
    if (rc == KILN_OK) memcpy(*out, sum.u.vec, sizeof **out * n);
    kiln_arena_free(a);
    return rc;
}

/* ---- The normal equations: (Cov + reg * D) w = c, intercept from the means. */

static int solve_normal(const double *st, int64_t dim, const kiln_ml_glm_params *p,
                        const double *sd, kiln_ml_glm *m)
{
    size_t d = (size_t)dim;
    const double *sx = st, *sy = st + 2 * d, *gram = st + 2 * d + 3, *xy = gram + d * d;
    double n = sy[2];
    double *a = malloc(sizeof *a * (d * d + 1)), *rhs = malloc(sizeof *rhs * (d + 1));
    if (!a || !rhs) {
        free(a);
        free(rhs);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d; i++) {
        for (size_t j = i; j < d; j++) {
            double v = gram[i * d + j] / n;
            if (p->fit_intercept) v -= (sx[i] / n) * (sx[j] / n);
            a[i * d + j] = a[j * d + i] = v;
        }
        double ridge = p->reg_param * (p->standardize ? sd[i] * sd[i] : 1.0);
        a[i * d + i] += ridge;
        rhs[i] = xy[i] / n - (p->fit_intercept ? (sx[i] / n) * (sy[0] / n) : 0);
    }
    int info = d ? LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (int)d, 1, a, (int)d, rhs, 1) : 0;
    if (info != 0) {
        /* Singular: the least-squares solution of least norm. */
        for (size_t i = 0; i < d; i++)
            for (size_t j = i; j < d; j++) {
                double v = gram[i * d + j] / n;
                if (p->fit_intercept) v -= (sx[i] / n) * (sx[j] / n);
                a[i * d + j] = a[j * d + i] = v + (i == j ? p->reg_param : 0);
            }
        for (size_t i = 0; i < d; i++)
            rhs[i] = xy[i] / n - (p->fit_intercept ? (sx[i] / n) * (sy[0] / n) : 0);
        double *sv = malloc(sizeof *sv * (d + 1));
        int rank;
        info = sv ? LAPACKE_dgelsd(LAPACK_ROW_MAJOR, (int)d, (int)d, 1, a, (int)d, rhs, 1, sv, -1.0,
                                   &rank)
                  : -1;
        free(sv);
    }
    if (info == 0) {
        double b = p->fit_intercept ? sy[0] / n : 0;
        for (size_t j = 0; j < d; j++) {
            m->coef[j] = rhs[j];
            if (p->fit_intercept) b -= rhs[j] * sx[j] / n;
        }
        m->intercept[0] = b;
        /* The objective at the solution, from the same sums. */
        double sse = sy[1] - 2 * b * sy[0] + n * b * b, pen = 0;
        for (size_t j = 0; j < d; j++) {
            sse += -2 * rhs[j] * xy[j] + 2 * b * rhs[j] * sx[j];
            for (size_t k = 0; k < d; k++)
                sse += rhs[j] * rhs[k] * gram[j < k ? j * d + k : k * d + j];
            double wj = rhs[j] * (p->standardize ? sd[j] : 1.0);
            pen += wj * wj;
        }
        m->objective = sse / (2 * n) + p->reg_param / 2 * pen;
    }
    free(a);
    free(rhs);
    return info == 0 ? KILN_OK
                     : kiln_set_error(KILN_EINVAL,
                                      "the normal equations could not be solved "
                                      "(LAPACK info %d)",
                                      info);
}

/* ---- Iterative training of g parameter sets in lockstep. */

typedef struct fit {
    const kiln_ml_glm_params *p;
    kiln_ml_opt *opt;
    bool *l1_skip;
    int k; /* rows of the model */
    bool done;
} fit;

static int rows_of(const kiln_ml_glm_params *p, int *k)
{
    if (p->family != KILN_ML_MULTINOMIAL) {
        *k = 1;
        return KILN_OK;
    }
    *k = p->num_classes;
    if (*k < 2) return kiln_set_error(KILN_EINVAL, "multinomial: num_classes must be >= 2");
    return KILN_OK;
}

/* The optimiser's variables are, per row, v (the coefficients, times the
 * feature's std when standardising) and c, the intercept of centred
 * features: the model is w = v / sd, b = c - w . mu. Centring (as Spark
 * does) decouples the intercept from the coefficients, which makes the
 * problem far better conditioned when features have large means; the
 * optimum is the same, as the penalty is on v alone. */

/* Objective and gradient of fit f at its point x (optimiser scale), from
 * the raw sums over effective weights. */
static void finish_eval(const fit *f, int64_t dim, const double *sd, const double *mu, double loss,
                        const double *graw, double n, const double *x, double *obj, double *grad)
{
    size_t d = (size_t)dim;
    double l2 = f->p->reg_param * (1 - f->p->elastic_net), pen = 0;
    for (int r = 0; r < f->k; r++) {
        const double *gr = graw + (size_t)r * (d + 1), *xr = x + (size_t)r * (d + 1);
        double *out = grad + (size_t)r * (d + 1);
        double gb = f->p->fit_intercept ? gr[d] / n : 0;
        for (size_t j = 0; j < d; j++) {
            double g = gr[j] / n - gb * mu[j];
            if (f->p->standardize) g = sd[j] > 0 ? g / sd[j] : 0;
            out[j] = g + l2 * xr[j];
            pen += xr[j] * xr[j];
        }
        out[d] = gb;
    }
    *obj = loss / n + l2 / 2 * pen;
}

static void effective_weights(const fit *f, int64_t dim, const double *sd, const double *mu,
                              const double *x, double *w)
{
    size_t d = (size_t)dim;
    for (int r = 0; r < f->k; r++) {
        const double *xr = x + (size_t)r * (d + 1);
        double *wr = w + (size_t)r * (d + 1), shift = 0;
        for (size_t j = 0; j < d; j++) {
            wr[j] = f->p->standardize ? (sd[j] > 0 ? xr[j] / sd[j] : 0) : xr[j];
            shift += wr[j] * mu[j];
        }
        wr[d] = f->p->fit_intercept ? xr[d] - shift : 0;
    }
}

static int check_params(const kiln_ml_glm_params *p)
{
    if (p->reg_param < 0 || !isfinite(p->reg_param))
        return kiln_set_error(KILN_EINVAL, "reg_param must be >= 0, got %g", p->reg_param);
    if (!(p->elastic_net >= 0 && p->elastic_net <= 1))
        return kiln_set_error(KILN_EINVAL, "elastic_net must be in [0, 1], got %g", p->elastic_net);
    if (p->family < KILN_ML_LINEAR || p->family > KILN_ML_MULTINOMIAL)
        return kiln_set_error(KILN_EINVAL, "unknown model family %d", (int)p->family);
    return KILN_OK;
}

static bool wants_normal(const kiln_ml_glm_params *p, int64_t dim)
{
    return p->family == KILN_ML_LINEAR && p->normal_equation &&
           (p->elastic_net == 0 || p->reg_param == 0) && dim <= NORMAL_MAX_DIM;
}

int glm_train_many(kiln_rdd *blocks, int64_t dim, const kiln_ml_glm_params *ps, int g,
                   kiln_ml_glm **out)
{
    int rc = KILN_OK;
    bool any_normal = false;
    for (int i = 0; i < g && rc == KILN_OK; i++) {
        out[i] = NULL;
        rc = check_params(&ps[i]);
        any_normal |= wants_normal(&ps[i], dim);
    }
    if (rc) return rc;
    double *st = NULL;
    if ((rc = block_stats(blocks, dim, any_normal, &st))) return rc;
    size_t d = (size_t)dim;
    double n = st[2 * d + 2];
    double *sd = malloc(sizeof *sd * (d + 1)), *mu = malloc(sizeof *mu * (d + 1));
    fit *fits = calloc((size_t)g, sizeof *fits);
    if (!sd || !mu || !fits) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    for (size_t j = 0; rc == KILN_OK && j < d; j++) {
        double mean = st[j] / n, var = n > 1 ? (st[d + j] - n * mean * mean) / (n - 1) : 0;
        sd[j] = var > 0 ? sqrt(var) : 0;
        mu[j] = mean;
    }
    /* Models solved exactly, and optimisers for the others. */
    size_t maxw = 0;
    for (int i = 0; rc == KILN_OK && i < g; i++) {
        fit *f = &fits[i];
        f->p = &ps[i];
        if ((rc = rows_of(f->p, &f->k))) break;
        size_t nw = (size_t)f->k * (d + 1);
        maxw = nw > maxw ? nw : maxw;
        if (!(out[i] = glm_alloc(f->p->family, dim, f->k, 0))) {
            rc = KILN_ENOMEM;
            break;
        }
        if (wants_normal(f->p, dim)) {
            rc = solve_normal(st, dim, f->p, sd, out[i]);
            f->done = true;
            continue;
        }
        double *w0 = calloc(nw, sizeof *w0);
        f->l1_skip = calloc(nw, sizeof *f->l1_skip);
        if (!w0 || !f->l1_skip) {
            free(w0);
            rc = kiln_set_error(KILN_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < nw; j++) f->l1_skip[j] = j % (d + 1) == d;
        if (f->p->fit_intercept && f->p->family == KILN_ML_LOGISTIC) {
            double pos = st[2 * d] / n; /* start at the log-odds of the labels */
            if (pos > 0 && pos < 1) w0[d] = log(pos / (1 - pos));
        } else if (f->p->fit_intercept && f->p->family == KILN_ML_LINEAR) {
            w0[d] = st[2 * d] / n;
        }
        kiln_ml_opt_params op = f->p->opt;
        op.l1 = f->p->reg_param * f->p->elastic_net;
        op.l1_skip = f->l1_skip;
        f->opt = kiln_ml_opt_new(&op, (int64_t)nw, w0);
        free(w0);
        if (!f->opt) rc = KILN_ENOMEM;
    }
    double *w = rc ? NULL : malloc(sizeof *w * maxw * (size_t)g);
    double *graw = rc ? NULL : malloc(sizeof *graw * maxw * (size_t)g);
    double *loss = rc ? NULL : malloc(sizeof *loss * (size_t)g);
    double *grad = rc ? NULL : malloc(sizeof *grad * maxw);
    const double **xs = rc ? NULL : calloc((size_t)g, sizeof *xs);
    if (!rc && (!w || !graw || !loss || !grad || !xs))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    /* Rounds: the models of one family and row count share a pass. */
    while (rc == KILN_OK) {
        int active = 0;
        for (int i = 0; i < g; i++) {
            fit *f = &fits[i];
            xs[i] = NULL;
            if (f->done) continue;
            if (kiln_ml_opt_next(f->opt, &xs[i]) != 1) {
                f->done = true;
                continue;
            }
            active++;
        }
        if (!active) break;
        /* Group by (family, k): usually one group. */
        for (int i = 0; rc == KILN_OK && i < g; i++) {
            if (!xs[i]) continue;
            int idx[256], m = 0;
            for (int j = i; j < g && m < 256; j++)
                if (xs[j] && fits[j].p->family == fits[i].p->family && fits[j].k == fits[i].k)
                    idx[m++] = j;
            size_t nw = (size_t)fits[i].k * (d + 1);
            for (int q = 0; q < m; q++)
                effective_weights(&fits[idx[q]], dim, sd, mu, xs[idx[q]], w + (size_t)q * nw);
            double cnt;
            rc = glm_eval(blocks, fits[i].p->family, fits[i].k, m, dim, w, loss, graw, &cnt);
            for (int q = 0; rc == KILN_OK && q < m; q++) {
                fit *f = &fits[idx[q]];
                double obj;
                finish_eval(f, dim, sd, mu, loss[q], graw + (size_t)q * nw, cnt, xs[idx[q]], &obj,
                            grad);
                kiln_ml_opt_tell(f->opt, obj, grad);
                xs[idx[q]] = NULL;
            }
        }
    }
    /* Models back on the original scale. */
    for (int i = 0; rc == KILN_OK && i < g; i++) {
        fit *f = &fits[i];
        if (!f->opt) continue;
        kiln_ml_glm *m = out[i];
        const double *x = kiln_ml_opt_solution(f->opt);
        effective_weights(f, dim, sd, mu, x, w);
        for (int r = 0; r < f->k; r++) {
            memcpy(m->coef + (size_t)r * d, w + (size_t)r * (d + 1), sizeof *w * d);
            m->intercept[r] = w[(size_t)r * (d + 1) + d];
        }
        m->iterations = kiln_ml_opt_iterations(f->opt);
        m->objective = kiln_ml_opt_objective(f->opt);
        int len;
        const double *h = kiln_ml_opt_history(f->opt, &len);
        free(m->loss_history);
        m->loss_history = malloc(sizeof *h * (size_t)(len > 0 ? len : 1));
        if (!m->loss_history) {
            rc = KILN_ENOMEM;
            break;
        }
        memcpy(m->loss_history, h, sizeof *h * (size_t)len);
        m->history_len = len;
    }
    for (int i = 0; i < g; i++) {
        kiln_ml_opt_free(fits[i].opt);
        free(fits[i].l1_skip);
        if (rc) {
            kiln_ml_glm_free(out[i]);
            out[i] = NULL;
        }
    }
    free(w);
    free(graw);
    free(loss);
    free(grad);
    free(xs);
    free(fits);
    free(sd);
    free(mu);
    free(st);
    return rc;
}

kiln_ml_glm *kiln_ml_glm_train(kiln_rdd *points, const kiln_ml_glm_params *p)
{
    int64_t dim;
    kiln_rdd *blocks = glm_blocks(points, &dim);
    if (!blocks) return NULL;
    kiln_ml_glm *m = NULL;
    kiln_ml_glm_params q = *p;
    int rc = glm_train_many(blocks, dim, &q, 1, &m);
    kiln_rdd_free(blocks); /* and its cached blocks, everywhere */
    return rc ? NULL : m;
}
