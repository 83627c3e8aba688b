/*
 * test_ml_tune.c - kiln_ml_cross_validate against a reference: the same
 * folds trained one grid point at a time with kiln_ml_glm_train and scored
 * with the evaluators, averaged by hand. The grid trains in lockstep, so
 * the two agree up to float summation order (1e-6 relative); the best index
 * is the reference's arg-best and the returned model is the best
 * parameters retrained on every point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "kt.h"
#include "kt_ml.h"

/* tests/ml/NAME (label, then features) as points over 4 partitions. */
static kiln_rdd *points_of(kiln_context *ctx, kiln_arena *a, const char *name)
{
    int rows, cols;
    double *v = kt_ml_csv(name, &rows, &cols);
    kiln_value *pts = malloc(sizeof *pts * (size_t)rows);
    for (int i = 0; i < rows; i++) {
        const double *r = v + (size_t)i * (size_t)cols;
        pts[i] = kiln_ml_point(a, r[0], kiln_vec_new(a, r + 1, (size_t)cols - 1));
    }
    kiln_rdd *r = kt_rdd(kiln_rdd_cache(kiln_parallelize(ctx, pts, (size_t)rows, 4)));
    free(pts);
    free(v);
    return r;
}

static double reference_score(const kiln_ml_glm *m, kiln_rdd *test, kiln_ml_metric metric)
{
    kiln_rdd *pl = kt_rdd(kiln_ml_glm_predict_rdd(m, test));
    if (metric == KILN_ML_RMSE) {
        kiln_ml_regression_metrics r;
        KT_OK(kiln_ml_regression_evaluate(pl, &r));
        return r.rmse;
    }
    kiln_ml_binary_metrics b;
    KT_OK(kiln_ml_binary_evaluate(pl, 0.5, &b));
    return metric == KILN_ML_AUC ? b.auc_roc : metric == KILN_ML_LOG_LOSS ? b.log_loss : b.accuracy;
}

static void expect_close(const char *what, double got, double want, double rel)
{
    double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol)) fail_msg("%s: got %.12g, reference %.12g", what, got, want);
}

/* Cross-validates grid on points and checks every number against the
 * one-at-a-time reference. */
static void check_grid(kiln_rdd *points, const kiln_ml_glm_params *grid, int n, int folds,
                       kiln_ml_metric metric, bool lower_better)
{
    double got[16], want[16] = {0};
    int best = -1;
    kiln_ml_glm *model = NULL;
    KT_OK(kiln_ml_cross_validate(points, grid, n, folds, metric, 11, got, &best, &model));
    int rounds = folds >= 2 ? folds : 1;
    for (int f = 0; f < rounds; f++) {
        kiln_rdd *train, *test;
        if (folds >= 2) {
            KT_OK(kiln_ml_kfold(points, folds, f, 11, &train, &test));
        } else {
            kiln_rdd *parts[2];
            KT_OK(kiln_ml_random_split(points, (const double[]){0.75, 0.25}, 2, 11, parts));
            train = parts[0], test = parts[1];
        }
        for (int i = 0; i < n; i++) {
            kiln_ml_glm *m = kiln_ml_glm_train(train, &grid[i]);
            if (!m) fail_msg("reference training failed: %s", kiln_last_error());
            want[i] += reference_score(m, test, metric) / rounds;
            kiln_ml_glm_free(m);
        }
    }
    int want_best = 0;
    for (int i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "grid point %d metric", i);
        expect_close(what, got[i], want[i], 1e-6);
        if (lower_better ? want[i] < want[want_best] : want[i] > want[want_best]) want_best = i;
    }
    assert_int_equal(best, want_best);
    kiln_ml_glm *ref = kiln_ml_glm_train(points, &grid[best]);
    assert_non_null(model);
    assert_non_null(ref);
    for (int64_t j = 0; j < ref->num_features; j++)
        expect_close("best model coefficient", model->coef[j], ref->coef[j], 1e-9);
    expect_close("best model intercept", model->intercept[0], ref->intercept[0], 1e-9);
    kiln_ml_glm_free(model);
    kiln_ml_glm_free(ref);
}

static void ridge_grid_matches_one_at_a_time(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *pts = points_of(ctx, a, "glm_reg.csv");
    static const double regs[] = {0, 0.01, 0.1, 1, 10};
    kiln_ml_glm_params grid[5];
    for (int i = 0; i < 5; i++) {
        grid[i] = kiln_ml_glm_defaults(KILN_ML_LINEAR);
        grid[i].reg_param = regs[i];
        grid[i].opt.tol = 1e-12;
        grid[i].normal_equation = i % 2; /* exact and iterative side by side */
    }
    kt_set_case("3 folds");
    check_grid(pts, grid, 5, 3, KILN_ML_RMSE, true);
    kt_set_case("one split");
    check_grid(pts, grid, 5, 0, KILN_ML_RMSE, true);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void logistic_grid_matches_one_at_a_time(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *pts = points_of(ctx, a, "glm_cls.csv");
    static const double regs[] = {0.001, 0.1, 1};
    kiln_ml_glm_params grid[4];
    for (int i = 0; i < 3; i++) {
        grid[i] = kiln_ml_glm_defaults(KILN_ML_LOGISTIC);
        grid[i].reg_param = regs[i];
        grid[i].opt.tol = 1e-12;
    }
    grid[3] = grid[1];
    grid[3].elastic_net = 1; /* an L1 point (OWL-QN) in the same lockstep */
    kt_set_case("AUC");
    check_grid(pts, grid, 4, 4, KILN_ML_AUC, false);
    kt_set_case("log loss");
    check_grid(pts, grid, 4, 2, KILN_ML_LOG_LOSS, true);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void metric_of_another_family_is_refused(void **state)
{
    kiln_context *ctx = kt_context_new("local[1]");
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *pts = points_of(ctx, a, "glm_reg.csv");
    kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LINEAR);
    double m;
    int best;
    assert_int_equal(kiln_ml_cross_validate(pts, &p, 1, 3, KILN_ML_AUC, 1, &m, &best, NULL),
                     KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "does not apply"));
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ridge_grid_matches_one_at_a_time),
        cmocka_unit_test(logistic_grid_matches_one_at_a_time),
        cmocka_unit_test(metric_of_another_family_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
