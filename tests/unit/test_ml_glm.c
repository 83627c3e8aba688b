/*
 * test_ml_glm.c - linear and logistic regression against scikit-learn on
 * the same data (tests/ml/sklearn_glm.py writes the data and the expected
 * values): least squares and ridge coefficients to 1e-6 relative, both from
 * the normal equations and from L-BFGS; lasso and elastic-net objectives
 * within 1e-6 relative (OWL-QN); L2 logistic regression coefficients to
 * 1e-4 and its AUC to 1e-4. The same model under local[1] and local[4]
 * agrees to 1e-9.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "kt.h"

enum { D = 6 };

/* Reads tests/ml/NAME (label, then D features per line) as points in a. */
static kiln_value *read_points(const char *name, kiln_arena *a, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/ml/%s", KILN_SOURCE_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1024;
    kiln_value *pts = malloc(sizeof *pts * cap);
    *n = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        double v[D + 1];
        char *p = line;
        for (int i = 0; i <= D; i++) {
            v[i] = strtod(p, &p);
            if (*p == ',') p++;
        }
        assert_true(*n < cap);
        pts[(*n)++] = kiln_ml_point(a, v[0], kiln_vec_new(a, v + 1, D));
    }
    fclose(f);
    return pts;
}

/* The expected line NAME: intercept, D coefficients, maybe an objective. */
static int expected(const char *name, double *vals)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/ml/glm_expected.txt", KILN_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int n = -1;
    while (fgets(line, sizeof line, f)) {
        size_t k = strlen(name);
        if (strncmp(line, name, k) || line[k] != ' ') continue;
        char *p = line + k;
        for (n = 0; n < D + 2; n++) {
            char *e;
            vals[n] = strtod(p, &e);
            if (e == p) break;
            p = e;
        }
    }
    fclose(f);
    assert_true(n > 0);
    return n;
}

static void expect_close(const char *what, double got, double want, double rel)
{
    double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.12g, scikit-learn %.12g (tolerance %g)", what, got, want, tol);
}

static kiln_ml_glm *train(const char *master, const char *file, kiln_ml_glm_params *p)
{
    kiln_arena *a = kiln_arena_new();
    size_t n;
    kiln_value *pts = read_points(file, a, &n);
    kiln_context *ctx = kt_context_new(master);
    kiln_rdd *r = kt_rdd(kiln_parallelize(ctx, pts, n, 4));
    kiln_ml_glm *m = kiln_ml_glm_train(r, p);
    if (!m) fail_msg("training failed: %s", kiln_last_error());
    kiln_context_free(ctx);
    free(pts);
    kiln_arena_free(a);
    return m;
}

static void expect_coefficients(const char *name, const kiln_ml_glm *m, double rel)
{
    double want[D + 2];
    expected(name, want);
    char what[64];
    snprintf(what, sizeof what, "%s intercept", name);
    expect_close(what, m->intercept[0], want[0], rel);
    for (int j = 0; j < D; j++) {
        snprintf(what, sizeof what, "%s coefficient %d", name, j);
        expect_close(what, m->coef[j], want[1 + j], rel);
    }
}

static void least_squares_and_ridge_match_sklearn(void **state)
{
    for (int normal = 0; normal <= 1; normal++) {
        kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LINEAR);
        p.normal_equation = normal;
        p.opt.tol = 1e-15;
        p.opt.max_iter = 2000;
        kiln_ml_glm *m = train("local[2]", "glm_reg.csv", &p);
        expect_coefficients("ols", m, 1e-6);
        kiln_ml_glm_free(m);
        p.reg_param = 0.1;
        m = train("local[2]", "glm_reg.csv", &p);
        expect_coefficients("ridge", m, 1e-6);
        double want[D + 2];
        expected("ridge", want);
        expect_close("ridge objective", m->objective, want[D + 1], 1e-6);
        kiln_ml_glm_free(m);
    }
}

static void lasso_and_elastic_net_objectives_match_sklearn(void **state)
{
    static const struct {
        const char *name;
        double enet;
    } cases[] = {{"lasso", 1}, {"enet", 0.5}};
    for (int c = 0; c < 2; c++) {
        kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LINEAR);
        p.reg_param = 0.1;
        p.elastic_net = cases[c].enet;
        p.opt.tol = 1e-15;
        p.opt.max_iter = 5000;
        kiln_ml_glm *m = train("local[2]", "glm_reg.csv", &p);
        double want[D + 2];
        expected(cases[c].name, want);
        char what[64];
        snprintf(what, sizeof what, "%s objective", cases[c].name);
        expect_close(what, m->objective, want[D + 1], 1e-6);
        /* The exact zeros of the L1 solution are found too. */
        for (int j = 0; j < D; j++)
            if (want[1 + j] == 0 && fabs(m->coef[j]) > 1e-6)
                fail_msg("%s coefficient %d: %g, scikit-learn 0", cases[c].name, j, m->coef[j]);
        kiln_ml_glm_free(m);
    }
}

/* AUC by comparing every (positive, negative) pair: ties count a half. */
static double reference_auc(const kiln_ml_glm *m, const kiln_value *pts, size_t n)
{
    double *s = malloc(sizeof *s * n), *y = malloc(sizeof *y * n), wins = 0, pairs = 0;
    for (size_t i = 0; i < n; i++) {
        kiln_value f;
        kiln_ml_point_parts(&pts[i], &y[i], &f);
        s[i] = kiln_ml_glm_predict(m, &f);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] == 1 && y[j] == 0) {
                pairs++;
                wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
    free(s);
    free(y);
    return wins / pairs;
}

static void logistic_regression_matches_sklearn(void **state)
{
    kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LOGISTIC);
    p.reg_param = 1.0 / 400; /* scikit-learn's C = 1 on 400 rows */
    p.opt.tol = 1e-15;
    p.opt.max_iter = 1000;
    kiln_ml_glm *m = train("local[2]", "glm_cls.csv", &p);
    expect_coefficients("logreg", m, 1e-4);
    kiln_arena *a = kiln_arena_new();
    size_t n;
    kiln_value *pts = read_points("glm_cls.csv", a, &n);
    double want[D + 2];
    expected("logreg_auc", want);
    expect_close("AUC", reference_auc(m, pts, n), want[0], 1e-4);
    assert_true(m->history_len >= 2);
    assert_true(m->loss_history[m->history_len - 1] < m->loss_history[0]);
    free(pts);
    kiln_arena_free(a);
    kiln_ml_glm_free(m);
}

static void same_model_from_one_and_four_cores(void **state)
{
    kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LOGISTIC);
    p.reg_param = 0.01;
    p.opt.tol = 1e-12;
    kiln_ml_glm *a = train("local[1]", "glm_cls.csv", &p),
                *b = train("local[4]", "glm_cls.csv", &p);
    for (int j = 0; j < D; j++) expect_close("coefficient", a->coef[j], b->coef[j], 1e-9);
    expect_close("intercept", a->intercept[0], b->intercept[0], 1e-9);
    kiln_ml_glm_free(a);
    kiln_ml_glm_free(b);
}

static void bad_labels_and_parameters_are_refused(void **state)
{
    kiln_arena *a = kiln_arena_new();
    double x[2] = {1, 2};
    kiln_value pts[3] = {kiln_ml_point(a, 0, kiln_vec_ref(x, 2)),
                         kiln_ml_point(a, 2, kiln_vec_ref(x, 2)),
                         kiln_ml_point(a, NAN, kiln_vec_ref(x, 2))};
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LOGISTIC);
    assert_null(kiln_ml_glm_train(kt_rdd(kiln_parallelize(ctx, pts, 2, 2)), &p));
    assert_non_null(strstr(kiln_last_error(), "0 or 1"));
    assert_null(kiln_ml_glm_train(kt_rdd(kiln_parallelize(ctx, pts, 3, 2)), &p));
    assert_non_null(strstr(kiln_last_error(), "NaN"));
    p.reg_param = -1;
    assert_null(kiln_ml_glm_train(kt_rdd(kiln_parallelize(ctx, pts, 1, 1)), &p));
    assert_non_null(strstr(kiln_last_error(), "reg_param"));
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(least_squares_and_ridge_match_sklearn),
        cmocka_unit_test(lasso_and_elastic_net_objectives_match_sklearn),
        cmocka_unit_test(logistic_regression_matches_sklearn),
        cmocka_unit_test(same_model_from_one_and_four_cores),
        cmocka_unit_test(bad_labels_and_parameters_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
