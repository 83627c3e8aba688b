/*
 * ml/cross_validate.c - k-fold cross-validation of a grid of GLM parameter
 * sets (include/kiln/ml.h, "Tuning").
 *
 * Per fold, the training part is stacked into cached blocks once and every
 * grid point trains on them in lockstep (glm_train_many: one pass over the
 * blocks per optimiser iteration for the whole grid); each model is then
 * scored on the held-out part. A grid point's metric is its mean over the
 * folds, as Spark's CrossValidator reports avgMetrics.
 */
#include <math.h>
#include <stdlib.h>

#include "ml/ml.h"

static bool lower_is_better(kiln_ml_metric m)
{
    return m == KILN_ML_RMSE || m == KILN_ML_LOG_LOSS;
}

static int check_metric(const kiln_ml_glm_params *p, kiln_ml_metric metric)
{
    bool ok;
    switch (metric) {
    case KILN_ML_RMSE:
        ok = p->family == KILN_ML_LINEAR;
        break;
    case KILN_ML_AUC:
    case KILN_ML_LOG_LOSS:
        ok = p->family == KILN_ML_LOGISTIC;
        break;
    case KILN_ML_ACCURACY:
        ok = p->family != KILN_ML_LINEAR;
        break;
    default:
        ok = false;
    }
    return ok ? KILN_OK
              : kiln_set_error(KILN_EINVAL,
                               "cross_validate: metric %d does not apply to model family %d",
                               (int)metric, (int)p->family);
}

/* The metric of model m on the labeled points of test (one or two jobs). */
static int score(const kiln_ml_glm *m, kiln_rdd *test, kiln_ml_metric metric, double *out)
{
    kiln_rdd *pl = kiln_ml_glm_predict_rdd(m, test);
    if (!pl) return KILN_ENOMEM;
    int rc;
    if (metric == KILN_ML_RMSE) {
        kiln_ml_regression_metrics r;
        if (!(rc = kiln_ml_regression_evaluate(pl, &r))) *out = r.rmse;
    } else if (m->family == KILN_ML_MULTINOMIAL) {
        kiln_ml_multiclass_metrics c;
        if (!(rc = kiln_ml_multiclass_evaluate(pl, m->num_rows, &c))) *out = c.accuracy;
        kiln_ml_multiclass_metrics_release(&c);
    } else {
        kiln_ml_binary_metrics b;
        if (!(rc = kiln_ml_binary_evaluate(pl, 0.5, &b)))
            *out = metric == KILN_ML_AUC        ? b.auc_roc
                   : metric == KILN_ML_LOG_LOSS ? b.log_loss
                                                : b.accuracy;
    }
    kiln_rdd_free(pl);
    return rc;
}

/* Trains the grid on train and adds each model's metric on test to sums. */
static int run_fold(kiln_rdd *train, kiln_rdd *test, const kiln_ml_glm_params *grid, int n,
                    kiln_ml_metric metric, double *sums)
{
    int64_t dim;
    kiln_rdd *blocks = glm_blocks(train, &dim);
    if (!blocks) return KILN_EINVAL; /* the message says why */
    kiln_ml_glm **models = calloc((size_t)n, sizeof *models);
    int rc = models ? glm_train_many(blocks, dim, grid, n, models)
                    : kiln_set_error(KILN_ENOMEM, "out of memory");
    kiln_rdd_free(blocks); /* and its cached blocks, everywhere */
    for (int i = 0; rc == KILN_OK && i < n; i++) {
        double v = 0; /* score sets it on success; gcc -O1 cannot tell */
        if (!(rc = score(models[i], test, metric, &v))) sums[i] += v;
    }
    for (int i = 0; models && i < n; i++) kiln_ml_glm_free(models[i]);
    free(models);
    return rc;
}

int kiln_ml_cross_validate(kiln_rdd *points, const kiln_ml_glm_params *grid, int n, int folds,
                           kiln_ml_metric metric, uint64_t seed, double *metrics, int *best,
                           kiln_ml_glm **model)
{
    if (!points || !grid || n < 1 || !metrics || !best)
        return kiln_set_error(KILN_EINVAL, "cross_validate: needs points, a grid of n >= 1 "
                                           "parameter sets, metrics and best");
    int rc = KILN_OK;
    for (int i = 0; rc == KILN_OK && i < n; i++) rc = check_metric(&grid[i], metric);
    if (rc) return rc;
    double *sums = calloc((size_t)n, sizeof *sums);
    if (!sums) return kiln_set_error(KILN_ENOMEM, "out of memory");
    int rounds = folds >= 2 ? folds : 1;
    for (int f = 0; rc == KILN_OK && f < rounds; f++) {
        kiln_rdd *train = NULL, *test = NULL;
        if (folds >= 2) {
            rc = kiln_ml_kfold(points, folds, f, seed, &train, &test);
        } else {
            kiln_rdd *parts[2] = {NULL, NULL};
            rc = kiln_ml_random_split(points, (const double[]){0.75, 0.25}, 2, seed, parts);
            train = parts[0], test = parts[1];
        }
        if (!rc) rc = run_fold(train, test, grid, n, metric, sums);
        kiln_rdd_free(train); /* each fold's: a long search must not keep them */
        kiln_rdd_free(test);
    }
    if (rc == KILN_OK) {
        int b = 0;
        for (int i = 0; i < n; i++) {
            metrics[i] = sums[i] / rounds;
            bool better = lower_is_better(metric) ? metrics[i] < metrics[b]
                                                  : metrics[i] > metrics[b];
            if (better || isnan(metrics[b])) b = i;
        }
        *best = b;
    }
    free(sums);
    if (rc == KILN_OK && model) {
        *model = kiln_ml_glm_train(points, &grid[*best]);
        if (!*model) rc = KILN_EJOB; /* the message says why */
    }
    return rc;
}
