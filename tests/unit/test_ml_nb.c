/*
 * test_ml_nb.c - multinomial naive Bayes: scikit-learn's MultinomialNB on
 * the same counts gives the same log probabilities (tests/ml/); on random
 * sparse data, under each master, the model equals the formula computed
 * here and predicts its argmax; labels and features that are not classes
 * and counts are refused naming the record.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"
#include "kt_ml.h"

/* Labeled points (label, dense or sparse features) from rows of
 * [label, x_0 .. x_{d-1}]. */
static kiln_rdd *rows_rdd(kiln_context *ctx, kiln_arena *a, const double *rows, int n, int cols,
                          bool sparse, int slices)
{
    int d = cols - 1;
    kiln_value *v = kiln_arena_alloc(a, (size_t)n * sizeof *v);
    int32_t *idx = malloc((size_t)d * sizeof *idx + 1);
    double *val = malloc((size_t)d * sizeof *val + 1);
    for (int i = 0; i < n; i++) {
        const double *r = rows + (size_t)i * (size_t)cols;
        kiln_value f = kiln_vec_ref(r + 1, (size_t)d);
        if (sparse) {
            size_t nnz = 0;
            for (int j = 0; j < d; j++)
                if (r[1 + j] != 0) idx[nnz] = j, val[nnz++] = r[1 + j];
            f = kiln_ml_sparse_new(a, d, idx, val, nnz);
        }
        v[i] = kiln_ml_point(a, r[0], f);
    }
    free(idx);
    free(val);
    return kt_rdd(kiln_parallelize(ctx, v, (size_t)n, slices));
}

static void matches_scikit_learn(void **state)
{
    int n, cols, r, c;
    double *rows = kt_ml_csv("nb_data.csv", &n, &cols);
    const char *exp = "sklearn_kmeans_nb_expected.txt";
    double *prior = kt_ml_block(exp, "nb_class_log_prior", &r, &c);
    int k = c;
    double *theta = kt_ml_block(exp, "nb_feature_log_prob", &r, &c);
    assert_int_equal(r, k);
    assert_int_equal(c, cols - 1);
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    for (int sparse = 0; sparse < 2; sparse++) {
        kt_set_case("scikit-learn MultinomialNB(alpha=1), sparse %d", sparse);
        kiln_ml_nb *m = kiln_ml_nb_train(rows_rdd(ctx, a, rows, n, cols, sparse, 4), 1.0);
        KT_CHECK(m, "train failed: %s", kiln_last_error());
        assert_int_equal(m->num_classes, k);
        assert_int_equal(m->num_features, cols - 1);
        for (int i = 0; i < k; i++) kt_expect_close(m->log_prior[i], prior[i], 0, 1e-9, "prior");
        for (int i = 0; i < k * (cols - 1); i++)
            kt_expect_close(m->log_theta[i], theta[i], 0, 1e-9, "log theta");
        kiln_ml_nb_free(m);
    }
    kiln_arena_free(a);
    kiln_context_free(ctx);
    free(rows), free(prior), free(theta);
}

static void equals_formula_on_every_master(void **state)
{
    enum { N = 700, D = 40, K = 5 };
    double *rows = malloc((size_t)N * (D + 1) * sizeof *rows);
    rng g;
    rng_seed(&g, 21);
    for (int i = 0; i < N; i++) {
        double *r = rows + (size_t)i * (D + 1);
        r[0] = (double)(rng_next(&g) % K);
        for (int j = 0; j < D; j++)
            r[1 + j] = rng_next(&g) % 3 == 0 ? (double)(rng_next(&g) % 7) + 0.25 * (j % 2) : 0;
    }
    /* The formula, summed plainly. */
    const double alpha = 0.5;
    double count[K] = {0}, sums[K][D] = {{0}}, total[K] = {0};
    for (int i = 0; i < N; i++) {
        const double *r = rows + (size_t)i * (D + 1);
        int c = (int)r[0];
        count[c]++;
        for (int j = 0; j < D; j++) sums[c][j] += r[1 + j], total[c] += r[1 + j];
    }
    kiln_arena *a = kiln_arena_new();
    for (int mi = 0; mi < KT_MASTER_COUNT; mi++) {
        kiln_context *ctx = kt_context_new(kt_masters[mi]);
        kt_set_case("naive Bayes formula, master %s", kt_masters[mi]);
        kiln_rdd *pts = rows_rdd(ctx, a, rows, N, D + 1, mi % 2 == 0, 7);
        kiln_ml_nb *m = kiln_ml_nb_train(pts, alpha);
        KT_CHECK(m, "train failed: %s", kiln_last_error());
        assert_int_equal(m->num_classes, K);
        assert_int_equal(m->num_features, D);
        for (int c = 0; c < K; c++) {
            kt_expect_close(m->log_prior[c], log(count[c] / N), 1e-12, 1e-15, "prior");
            for (int j = 0; j < D; j++)
                kt_expect_close(m->log_theta[c * D + j],
                                log((sums[c][j] + alpha) / (total[c] + alpha * D)), 1e-12, 1e-15,
                                "log theta");
        }
        for (int i = 0; i < N; i += 7) {
            const double *r = rows + (size_t)i * (D + 1);
            kiln_value x = kiln_vec_ref(r + 1, D);
            int best = 0;
            double bs = -INFINITY;
            for (int c = 0; c < K; c++) {
                double s = m->log_prior[c];
                for (int j = 0; j < D; j++) s += r[1 + j] * m->log_theta[c * D + j];
                if (s > bs) bs = s, best = c;
            }
            assert_int_equal(kiln_ml_nb_predict(m, &x), best);
        }
        kiln_ml_nb_free(m);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(rows);
}

static void absent_class_is_never_predicted(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    double rows[] = {0, 3, 0, 2, 0, 4, 0, 1, 2, 0, 5, 1};
    kiln_ml_nb *m = kiln_ml_nb_train(rows_rdd(ctx, a, rows, 4, 3, false, 2), 1.0);
    KT_CHECK(m, "train failed: %s", kiln_last_error());
    assert_int_equal(m->num_classes, 3);
    assert_true(isinf(m->log_prior[1]) && m->log_prior[1] < 0);
    kiln_value x = kiln_vec_ref(rows + 1, 2);
    assert_int_equal(kiln_ml_nb_predict(m, &x), 0);
    x = kiln_vec_ref(rows + 4, 2);
    assert_int_equal(kiln_ml_nb_predict(m, &x), 2);
    x = kiln_vec_ref(rows, 3);
    assert_int_equal(kiln_ml_nb_predict(m, &x), -1);
    kiln_ml_nb_free(m);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void bad_labels_and_features_are_refused(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    struct {
        double rows[6];
        const char *msg;
    } cases[] = {
        {{0, 1, 1, 1.5, 2, 2}, "has label 1.5"},     {{0, 1, 1, -1, 2, 2}, "has label -1"},
        {{0, 1, 1, 1, 2, -2}, "has feature 1 = -2"}, {{0, 1, 1, 1, NAN, 2}, "has feature 0 = nan"},
        {{0, 1, 1, NAN, 2, 2}, "has label nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_set_case("bad naive Bayes input %zu", i);
        assert_null(kiln_ml_nb_train(rows_rdd(ctx, a, cases[i].rows, 2, 3, false, 1), 1.0));
        KT_CHECK(strstr(kiln_last_error(), cases[i].msg), "message: %s", kiln_last_error());
        KT_CHECK(strstr(kiln_last_error(), "record 1 of partition 0"), "message: %s",
                 kiln_last_error());
    }
    /* The sparse form names the feature's index. */
    int32_t idx[] = {4};
    double val[] = {-3};
    kiln_value p = kiln_ml_point(a, 0, kiln_ml_sparse_new(a, 6, idx, val, 1));
    assert_null(kiln_ml_nb_train(kiln_parallelize(ctx, &p, 1, 1), 1.0));
    KT_CHECK(strstr(kiln_last_error(), "has feature 4 = -3"), "message: %s", kiln_last_error());

    kiln_value s = kiln_vec_ref(val, 1);
    assert_null(kiln_ml_nb_train(kiln_parallelize(ctx, &s, 1, 1), 1.0));
    KT_CHECK(strstr(kiln_last_error(), "not a labeled point"), "message: %s", kiln_last_error());

    double rows[] = {0, 1, 1, 1, 2, 2};
    assert_null(kiln_ml_nb_train(rows_rdd(ctx, a, rows, 2, 3, false, 1), -1.0));
    assert_null(kiln_ml_nb_train(kiln_parallelize(ctx, NULL, 0, 2), 1.0));
    KT_CHECK(strstr(kiln_last_error(), "no points"), "message: %s", kiln_last_error());
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_scikit_learn),
        cmocka_unit_test(equals_formula_on_every_master),
        cmocka_unit_test(absent_class_is_never_predicted),
        cmocka_unit_test(bad_labels_and_features_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
