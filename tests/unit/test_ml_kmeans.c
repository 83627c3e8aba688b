/*
 * test_ml_kmeans.c - k-means: k-means|| finds the centres of separated
 * blobs and reports their cost; from given centres the result equals a
 * sequential Lloyd reference; masters, partitionings of the same records,
 * sparse and labeled inputs agree; scikit-learn's KMeans on the same data
 * and start gives the same centres and cost (tests/ml/); bad input fails
 * with a message naming the record.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"
#include "kt_ml.h"

/* ---- Data and the sequential reference --------------------------------------- */

/* n points (n x dim) in k blobs of radius `spread` around random centres
 * 20 apart or more; true centres into centres (k x dim). */
static double *blobs(uint64_t seed, int n, int k, int dim, double spread, double *centres)
{
    rng r;
    rng_seed(&r, seed);
    for (int c = 0; c < k; c++) {
        for (;;) {
            for (int j = 0; j < dim; j++) centres[c * dim + j] = rng_double(&r) * 100 - 50;
            bool far = true;
            for (int o = 0; o < c; o++) {
                double d = 0;
                for (int j = 0; j < dim; j++) {
                    double x = centres[c * dim + j] - centres[o * dim + j];
                    d += x * x;
                }
                if (d < 400) far = false;
            }
            if (far) break;
        }
    }
    double *x = malloc((size_t)n * (size_t)dim * sizeof *x);
    for (int i = 0; i < n; i++) {
        int c = (int)(rng_next(&r) % (uint64_t)k);
        for (int j = 0; j < dim; j++)
            x[i * dim + j] = centres[c * dim + j] + (rng_double(&r) * 2 - 1) * spread;
    }
    return x;
}

static double sq(const double *a, const double *b, int dim)
{
    double s = 0;
    for (int j = 0; j < dim; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

static int nearest_ref(const double *x, const double *c, int k, int dim, double *d2)
{
    int best = 0;
    double bd = INFINITY;
    for (int i = 0; i < k; i++) {
        double d = sq(x, c + i * dim, dim);
        if (d < bd) bd = d, best = i;
    }
    *d2 = bd;
    return best;
}

static double cost_ref(const double *x, int n, const double *c, int k, int dim)
{
    double s = 0, d2;
    for (int i = 0; i < n; i++) {
        nearest_ref(x + i * dim, c, k, dim, &d2);
        s += d2;
    }
    return s;
}

/* Lloyd's algorithm, plainly: centres c (k x dim) updated in place; returns
 * the iterations done, stopping when no centre moved tol or more. */
static int lloyd_ref(const double *x, int n, double *c, int k, int dim, int max_iter, double tol)
{
    double *sums = calloc((size_t)k * (size_t)(dim + 1), sizeof *sums);
    int it = 0;
    while (it < max_iter) {
        memset(sums, 0, (size_t)k * (size_t)(dim + 1) * sizeof *sums);
        for (int i = 0; i < n; i++) {
            double d2;
            int b = nearest_ref(x + i * dim, c, k, dim, &d2);
            for (int j = 0; j < dim; j++) sums[b * dim + j] += x[i * dim + j];
            sums[k * dim + b] += 1;
        }
        it++;
        bool moved = false;
        for (int b = 0; b < k; b++) {
            if (sums[k * dim + b] == 0) continue;
            double mean[64], shift;
            for (int j = 0; j < dim; j++) mean[j] = sums[b * dim + j] / sums[k * dim + b];
            shift = sq(mean, c + b * dim, dim);
            memcpy(c + b * dim, mean, (size_t)dim * sizeof *mean);
            if (sqrt(shift) >= tol) moved = true;
        }
        if (!moved) break;
    }
    free(sums);
    return it;
}

/* The n points as an RDD of dense vectors (or labeled points, or sparse
 * vectors with the zeros left out) in `slices` partitions. */
enum shape { DENSE, POINTS, SPARSE };
static kiln_rdd *points_rdd(kiln_context *ctx, kiln_arena *a, const double *x, int n, int dim,
                            enum shape shape, int slices)
{
    kiln_value *v = kiln_arena_alloc(a, (size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) {
        const double *xi = x + i * dim;
        if (shape == SPARSE) {
            int32_t idx[64];
            double val[64];
            size_t nnz = 0;
            for (int j = 0; j < dim; j++)
                if (xi[j] != 0) idx[nnz] = j, val[nnz++] = xi[j];
            v[i] = kiln_ml_sparse_new(a, dim, idx, val, nnz);
        } else {
            v[i] = kiln_vec_ref(xi, (size_t)dim);
            if (shape == POINTS) v[i] = kiln_ml_point(a, (double)(i % 3), v[i]);
        }
    }
    return kt_rdd(kiln_parallelize(ctx, v, (size_t)n, slices));
}

static void expect_centres(const double *got, const double *want, int k, int dim, double rel,
                           const char *what)
{
    for (int i = 0; i < k * dim; i++) kt_expect_close(got[i], want[i], rel, 1e-12, what);
}

/* ---- Tests ------------------------------------------------------------------------ */

static void kmeans_parallel_finds_separated_blobs(void **state)
{
    enum { N = 1500, K = 4, DIM = 3 };
    double truth[K * DIM];
    double *x = blobs(11, N, K, DIM, 1.0, truth);
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *data = kiln_rdd_cache(points_rdd(ctx, a, x, N, DIM, DENSE, 5));
    for (uint64_t seed = 1; seed <= 3; seed++) {
        kt_set_case("k-means|| on blobs, seed %llu", (unsigned long long)seed);
        kiln_ml_kmeans_params p = {.k = K, .seed = seed};
        kiln_ml_kmeans *m = kiln_ml_kmeans_train(data, &p);
        KT_CHECK(m, "train failed: %s", kiln_last_error());
        assert_int_equal(m->k, K);
        assert_int_equal(m->dim, DIM);
        /* Each true centre has a found centre within the blob's radius. */
        bool used[K] = {0};
        for (int c = 0; c < K; c++) {
            double d2;
            int b = nearest_ref(truth + c * DIM, m->centers, K, DIM, &d2);
            KT_CHECK(d2 < 0.2 * 0.2 && !used[b], "true centre %d: nearest found %d at %g", c, b,
                     sqrt(d2));
            used[b] = true;
        }
        kt_expect_close(m->cost, cost_ref(x, N, m->centers, K, DIM), 1e-9, 0, "cost");
        double c2;
        KT_OK(kiln_ml_kmeans_cost(m, data, &c2));
        kt_expect_close(c2, m->cost, 1e-12, 0, "kiln_ml_kmeans_cost");
        for (int i = 0; i < N; i += 37) {
            double d2;
            kiln_value xi = kiln_vec_ref(x + i * DIM, DIM);
            assert_int_equal(kiln_ml_kmeans_predict(m, &xi),
                             nearest_ref(x + i * DIM, m->centers, K, DIM, &d2));
        }
        kiln_ml_kmeans_free(m);
    }
    kiln_arena_free(a);
    kiln_context_free(ctx);
    free(x);
}

static void given_centres_match_sequential_lloyd(void **state)
{
    enum { N = 800, K = 5, DIM = 4 };
    double truth[K * DIM];
    /* Overlapping blobs (spread larger than the distance), so Lloyd
     * takes many steps. */
    double *x = blobs(5, N, K, DIM, 25.0, truth);
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *data = kiln_rdd_cache(points_rdd(ctx, a, x, N, DIM, DENSE, 4));
    int iters[] = {1, 3, 100};
    for (size_t t = 0; t < sizeof iters / sizeof iters[0]; t++) {
        kt_set_case("Lloyd from given centres, max_iter %d", iters[t]);
        double init[K * DIM], ref[K * DIM];
        memcpy(init, x, sizeof init); /* the first K points */
        memcpy(ref, init, sizeof ref);
        int ref_iters = lloyd_ref(x, N, ref, K, DIM, iters[t], 1e-9);
        kiln_ml_kmeans_params p = {.k = K, .max_iter = iters[t], .tol = 1e-9, .initial = init};
        kiln_ml_kmeans *m = kiln_ml_kmeans_train(data, &p);
        KT_CHECK(m, "train failed: %s", kiln_last_error());
        assert_int_equal(m->iterations, ref_iters);
        expect_centres(m->centers, ref, K, DIM, 1e-9, "centre");
        kt_expect_close(m->cost, cost_ref(x, N, ref, K, DIM), 1e-9, 0, "cost of final centres");
        if (iters[t] == 100) KT_CHECK(ref_iters > 3 && ref_iters < 100, "%d", ref_iters);
        kiln_ml_kmeans_free(m);
    }
    kiln_arena_free(a);
    kiln_context_free(ctx);
    free(x);
}

static void same_model_on_every_master_and_input_shape(void **state)
{
    enum { N = 600, K = 3, DIM = 5 };
    double truth[K * DIM];
    double *x = blobs(8, N, K, DIM, 12.0, truth);
    /* Zeros so that the sparse form leaves entries out. */
    for (int i = 0; i < N * DIM; i += 3) x[i] = 0;
    kiln_arena *a = kiln_arena_new();
    kiln_ml_kmeans *first = NULL;
    for (int mi = 0; mi < KT_MASTER_COUNT; mi++) {
        kiln_context *ctx = kt_context_new(kt_masters[mi]);
        for (int shape = DENSE; shape <= SPARSE; shape++) {
            kt_set_case("k-means||, master %s, shape %d", kt_masters[mi], shape);
            kiln_rdd *data = points_rdd(ctx, a, x, N, DIM, (enum shape)shape, 6);
            kiln_ml_kmeans_params p = {.k = K, .seed = 99, .init_steps = 3, .tol = 1e-10};
            kiln_ml_kmeans *m = kiln_ml_kmeans_train(data, &p);
            KT_CHECK(m, "train failed: %s", kiln_last_error());
            if (!first) {
                first = m;
                continue;
            }
            assert_int_equal(m->iterations, first->iterations);
            expect_centres(m->centers, first->centers, K, DIM, 1e-9, "centre");
            kt_expect_close(m->cost, first->cost, 1e-9, 0, "cost");
            kiln_ml_kmeans_free(m);
        }
        kiln_context_free(ctx);
    }
    kiln_ml_kmeans_free(first);
    kiln_arena_free(a);
    free(x);
}

static void matches_scikit_learn(void **state)
{
    int n, dim, r, c;
    double *x = kt_ml_csv("kmeans_data.csv", &n, &dim);
    const char *exp = "sklearn_kmeans_nb_expected.txt";
    double *init = kt_ml_block(exp, "kmeans_initial", &r, &c);
    assert_int_equal(c, dim);
    int k = r;
    double *centres = kt_ml_block(exp, "kmeans_centers", &r, &c);
    double *inertia = kt_ml_block(exp, "kmeans_inertia", &r, &c);
    double *n_iter = kt_ml_block(exp, "kmeans_n_iter", &r, &c);
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kt_set_case("scikit-learn KMeans, same start");
    kiln_rdd *data = points_rdd(ctx, a, x, n, dim, DENSE, 3);
    kiln_ml_kmeans_params p = {.k = k, .max_iter = 300, .tol = 1e-12, .initial = init};
    kiln_ml_kmeans *m = kiln_ml_kmeans_train(data, &p);
    KT_CHECK(m, "train failed: %s", kiln_last_error());
    /* Asked: within 1%. The same fixed point is reached, so it is exact
     * up to rounding (scikit-learn centres the data first). */
    kt_expect_close(m->cost, inertia[0], 1e-9, 0, "cost vs inertia_");
    kt_expect_close(m->cost, inertia[0], 0.01, 0, "cost vs inertia_ (1%)");
    expect_centres(m->centers, centres, k, dim, 1e-9, "centre vs cluster_centers_");
    /* Both stop at the first step that changes nothing. */
    assert_int_equal(m->iterations, (int)n_iter[0]);
    kiln_ml_kmeans_free(m);
    kiln_arena_free(a);
    kiln_context_free(ctx);
    free(x), free(init), free(centres), free(inertia), free(n_iter);
}

static void empty_cluster_keeps_its_centre(void **state)
{
    enum { N = 200, K = 3, DIM = 2 };
    double truth[2 * DIM];
    double *x = blobs(3, N, 2, DIM, 1.0, truth);
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kiln_rdd *data = points_rdd(ctx, a, x, N, DIM, DENSE, 3);
    double init[K * DIM] = {truth[0], truth[1], truth[2], truth[3], 1e6, -1e6};
    kiln_ml_kmeans_params p = {.k = K, .initial = init};
    kiln_ml_kmeans *m = kiln_ml_kmeans_train(data, &p);
    KT_CHECK(m, "train failed: %s", kiln_last_error());
    assert_true(m->centers[4] == 1e6 && m->centers[5] == -1e6);
    kt_expect_close(m->cost, cost_ref(x, N, m->centers, K, DIM), 1e-9, 0, "cost");
    kiln_ml_kmeans_free(m);

    /* Fewer distinct points than k: every centre is a point, cost 0. */
    double same[5 * DIM] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2};
    kiln_ml_kmeans_params q = {.k = K, .seed = 4};
    m = kiln_ml_kmeans_train(points_rdd(ctx, a, same, 5, DIM, DENSE, 2), &q);
    KT_CHECK(m, "train failed: %s", kiln_last_error());
    for (int i = 0; i < K * DIM; i++) assert_true(m->centers[i] == same[i % DIM]);
    assert_true(m->cost == 0);
    kiln_ml_kmeans_free(m);
    kiln_arena_free(a);
    kiln_context_free(ctx);
    free(x);
}

static void bad_input_is_refused(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    double x[6 * 2] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    kiln_ml_kmeans_params p = {.k = 2, .seed = 1};

    x[7] = NAN;
    kiln_rdd *data = points_rdd(ctx, a, x, 6, 2, DENSE, 2);
    assert_null(kiln_ml_kmeans_train(data, &p));
    assert_non_null(strstr(kiln_last_error(), "NaN or infinite"));
    assert_non_null(strstr(kiln_last_error(), "record 0 of partition 1"));
    x[7] = 3;

    kiln_value v[3] = {kiln_vec_ref(x, 2), kiln_vec_ref(x + 2, 2), kiln_vec_ref(x + 4, 3)};
    double init[4] = {0, 0, 1, 1};
    kiln_ml_kmeans_params pi = {.k = 2, .initial = init};
    assert_null(kiln_ml_kmeans_train(kiln_parallelize(ctx, v, 3, 1), &pi));
    assert_non_null(strstr(kiln_last_error(), "has 3 features"));

    kiln_value s = kiln_cstr(a, "not a vector");
    assert_null(kiln_ml_kmeans_train(kiln_parallelize(ctx, &s, 1, 1), &p));
    assert_non_null(strstr(kiln_last_error(), "neither a vector nor a labeled point"));

    assert_null(kiln_ml_kmeans_train(kiln_parallelize(ctx, NULL, 0, 2), &p));
    assert_non_null(strstr(kiln_last_error(), "no records"));

    kiln_ml_kmeans_params bad = {.k = 0};
    assert_null(kiln_ml_kmeans_train(data, &bad));
    assert_null(kiln_ml_kmeans_train(NULL, &p));

    kiln_ml_kmeans *m = kiln_ml_kmeans_train(points_rdd(ctx, a, x, 6, 2, DENSE, 2), &p);
    KT_CHECK(m, "train failed: %s", kiln_last_error());
    kiln_value wrong = kiln_vec_ref(x, 3);
    assert_int_equal(kiln_ml_kmeans_predict(m, &wrong), -1);
    kiln_ml_kmeans_free(m);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kmeans_parallel_finds_separated_blobs),
        cmocka_unit_test(given_centres_match_sequential_lloyd),
        cmocka_unit_test(same_model_on_every_master_and_input_shape),
        cmocka_unit_test(matches_scikit_learn),
        cmocka_unit_test(empty_cluster_keeps_its_centre),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
