/*
 * test_ml_optim.c - the reverse-communication optimisers (kiln_ml_opt_*):
 * L-BFGS on Rosenbrock and on a quadratic checked against a direct solve,
 * OWL-QN against closed forms (soft-thresholding) and against a reference
 * coordinate descent for the lasso, SGD with and without its proximal L1
 * step, and the bookkeeping: history, max_iter, stopping, bad parameters.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"

#define MAXN 32

/* A smooth objective: returns f at x and writes its gradient to g. */
typedef double (*objective_fn)(const void *arg, int n, const double *x, double *g);

/* Runs o to the end on fn; returns the number of evaluations asked for. */
static int drive(kiln_ml_opt *o, int n, objective_fn fn, const void *arg)
{
    const double *x;
    double g[MAXN];
    int evals = 0;
    while (kiln_ml_opt_next(o, &x) == 1) {
        double f = fn(arg, n, x, g);
        kiln_ml_opt_tell(o, f, g);
        evals++;
        assert_true(evals < 100000);
    }
    assert_null(x);
    return evals;
}

/* History has iterations + 1 values, ends at the reported objective and
 * (for a descent method on any problem) never goes up. */
static void check_history(const kiln_ml_opt *o, bool monotone)
{
    int len;
    const double *h = kiln_ml_opt_history(o, &len);
    assert_int_equal(len, kiln_ml_opt_iterations(o) + 1);
    assert_true(h[len - 1] == kiln_ml_opt_objective(o));
    for (int i = 1; monotone && i < len; i++) assert_true(h[i] <= h[i - 1]);
}

static double l1_norm(const double *x, int n, const bool *skip)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        if (!skip || !skip[i]) s += fabs(x[i]);
    return s;
}

/* The objective reported at the solution is what the caller computes there. */
static void check_objective(const kiln_ml_opt *o, int n, objective_fn fn, const void *arg,
                            double l1, const bool *skip)
{
    double g[MAXN];
    const double *x = kiln_ml_opt_solution(o);
    double want = fn(arg, n, x, g) + l1 * l1_norm(x, n, skip);
    kt_expect_close(kiln_ml_opt_objective(o), want, 1e-14, 0, "objective at the solution");
}

/* ---- Problems ------------------------------------------------------------------- */

/* Chained Rosenbrock: sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2. */
static double rosenbrock(const void *arg, int n, const double *x, double *g)
{
    double f = 0;
    memset(g, 0, sizeof *g * (size_t)n);
    for (int i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        f += 100 * a * a + b * b;
        g[i] += -400 * x[i] * a - 2 * b;
        g[i + 1] += 200 * a;
    }
    return f;
}

typedef struct quadratic {
    double A[MAXN][MAXN], b[MAXN];
} quadratic;

/* 0.5 x'Ax - b'x. */
static double quad_fn(const void *arg, int n, const double *x, double *g)
{
    const quadratic *q = arg;
    double f = 0;
    for (int i = 0; i < n; i++) {
        double ax = 0;
        for (int j = 0; j < n; j++) ax += q->A[i][j] * x[j];
        g[i] = ax - q->b[i];
        f += 0.5 * x[i] * ax - q->b[i] * x[i];
    }
    return f;
}

/* A = M'M / scale + I with M uniform in [-1, 1), b uniform in [-1, 1). */
static void quad_random(quadratic *q, int n, uint64_t seed, double scale)
{
    rng r;
    rng_seed(&r, seed);
    double M[MAXN][MAXN];
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) M[i][j] = 2 * rng_double(&r) - 1;
        q->b[i] = 2 * rng_double(&r) - 1;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += M[k][i] * M[k][j];
            q->A[i][j] = s / scale + (i == j);
        }
}

/* Reference: solves Ax = b by Gaussian elimination with partial pivoting. */
static void gauss_solve(int n, const double A[MAXN][MAXN], const double *b, double *x)
{
    double T[MAXN][MAXN + 1];
    for (int i = 0; i < n; i++) {
        memcpy(T[i], A[i], sizeof *b * (size_t)n);
        T[i][n] = b[i];
    }
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(T[r][c]) > fabs(T[p][c])) p = r;
        for (int k = 0; k <= n; k++) {
            double t = T[c][k];
            T[c][k] = T[p][k];
            T[p][k] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double m = T[r][c] / T[c][c];
            for (int k = c; k <= n; k++) T[r][k] -= m * T[c][k];
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = T[i][n];
        for (int k = i + 1; k < n; k++) s -= T[i][k] * x[k];
        x[i] = s / T[i][i];
    }
}

/* 0.5 |x - c|^2, whose minimiser with l1 |x|_1 added is soft(c, l1). */
static double shifted_norm(const void *arg, int n, const double *x, double *g)
{
    const double *c = arg;
    double f = 0;
    for (int i = 0; i < n; i++) {
        g[i] = x[i] - c[i];
        f += 0.5 * g[i] * g[i];
    }
    return f;
}

static double soft(double v, double t)
{
    return v > t ? v - t : v < -t ? v + t : 0;
}

#define ROWS 40

typedef struct regression {
    double X[ROWS][MAXN], y[ROWS];
    int m;
} regression;

/* Least squares (1/2m) |y - Xw|^2. */
static double least_squares(const void *arg, int n, const double *w, double *g)
{
    const regression *r = arg;
    double f = 0;
    memset(g, 0, sizeof *g * (size_t)n);
    for (int i = 0; i < r->m; i++) {
        double e = -r->y[i];
        for (int j = 0; j < n; j++) e += r->X[i][j] * w[j];
        f += e * e / (2 * r->m);
        for (int j = 0; j < n; j++) g[j] += e * r->X[i][j] / r->m;
    }
    return f;
}

/* Logistic loss (1/m) sum log(1 + exp(-y x.w)), labels y = +-1. */
static double logistic(const void *arg, int n, const double *w, double *g)
{
    const regression *r = arg;
    double f = 0;
    memset(g, 0, sizeof *g * (size_t)n);
    for (int i = 0; i < r->m; i++) {
        double z = 0;
        for (int j = 0; j < n; j++) z += r->X[i][j] * w[j];
        double t = -r->y[i] * z;
        f += (t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))) / r->m;
        double p = 1 / (1 + exp(-t)); /* d/dt log(1 + e^t) */
        for (int j = 0; j < n; j++) g[j] -= p * r->y[i] * r->X[i][j] / r->m;
    }
    return f;
}

/* Rows of uniform features with y = X w_true + noise (or its sign). */
static void regression_random(regression *r, int n, uint64_t seed, bool classes)
{
    rng g;
    rng_seed(&g, seed);
    double w[MAXN];
    for (int j = 0; j < n; j++) w[j] = j % 3 == 0 ? 0 : 4 * rng_double(&g) - 2;
    r->m = ROWS;
    for (int i = 0; i < ROWS; i++) {
        double z = 0.3 * (rng_double(&g) - 0.5);
        for (int j = 0; j < n; j++) {
            r->X[i][j] = 2 * rng_double(&g) - 1;
            z += r->X[i][j] * w[j];
        }
        r->y[i] = classes ? (z + rng_double(&g) - 0.5 > 0 ? 1 : -1) : z;
    }
}

/* Reference lasso: cyclic coordinate descent on (1/2m)|y - Xw|^2 + l1 |w|_1,
 * swept until no coefficient moves. */
static void lasso_cd(const regression *r, int n, double l1, double *w)
{
    double res[ROWS];
    memset(w, 0, sizeof *w * (size_t)n);
    memcpy(res, r->y, sizeof res);
    for (int sweep = 0; sweep < 100000; sweep++) {
        double moved = 0;
        for (int j = 0; j < n; j++) {
            double rho = 0, sq = 0;
            for (int i = 0; i < r->m; i++) {
                rho += r->X[i][j] * (res[i] + r->X[i][j] * w[j]);
                sq += r->X[i][j] * r->X[i][j];
            }
            double wj = soft(rho / r->m, l1) / (sq / r->m);
            for (int i = 0; i < r->m; i++) res[i] -= r->X[i][j] * (wj - w[j]);
            moved = fmax(moved, fabs(wj - w[j]));
            w[j] = wj;
        }
        if (moved < 1e-15) return;
    }
    fail_msg("reference coordinate descent did not converge");
}

/* ---- L-BFGS ------------------------------------------------------------------------ */

static void lbfgs_rosenbrock(int n)
{
    double w0[MAXN] = {0};
    for (int i = 0; i < n; i++) w0[i] = i % 2 ? 1.0 : -1.2;
    kiln_ml_opt_params p = {.max_iter = 1000, .tol = 1e-12};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, n, w0);
    assert_non_null(o);
    drive(o, n, rosenbrock, NULL);
    assert_true(kiln_ml_opt_converged(o));
    const double *x = kiln_ml_opt_solution(o);
    for (int i = 0; i < n; i++) kt_expect_close(x[i], 1.0, 0, 1e-6, "Rosenbrock minimiser");
    check_history(o, true);
    check_objective(o, n, rosenbrock, NULL, 0, NULL);
    kiln_ml_opt_free(o);
}

static void lbfgs_rosenbrock_2d(void **state)
{
    lbfgs_rosenbrock(2);
}
static void lbfgs_rosenbrock_10d(void **state)
{
    lbfgs_rosenbrock(10);
}

static void lbfgs_quadratic_matches_direct_solve(void **state)
{
    enum { n = 20 };
    static quadratic q;
    quad_random(&q, n, 11, 1.0);
    double want[n];
    gauss_solve(n, q.A, q.b, want);
    /* The objective's relative change bounds the error in x by about
     * sqrt(tol): 1e-12 gives about 1e-6 (what fitting a model needs), and
     * 1e-16, at rounding, 1e-8. */
    const double tols[] = {1e-12, 1e-16}, within[] = {1e-6, 1e-8};
    for (int memory = 3; memory <= 10; memory += 7)
        for (int k = 0; k < 2; k++) {
            kt_set_case("memory %d tol %g", memory, tols[k]);
            kiln_ml_opt_params p = {.max_iter = 1000, .tol = tols[k], .memory = memory};
            kiln_ml_opt *o = kiln_ml_opt_new(&p, n, NULL);
            assert_non_null(o);
            drive(o, n, quad_fn, &q);
            assert_true(kiln_ml_opt_converged(o));
            const double *x = kiln_ml_opt_solution(o);
            for (int i = 0; i < n; i++) kt_expect_close(x[i], want[i], 0, within[k], "x");
            check_history(o, true);
            check_objective(o, n, quad_fn, &q, 0, NULL);
            kiln_ml_opt_free(o);
        }
}

static void lbfgs_logistic_decreases_monotonically(void **state)
{
    enum { n = 6 };
    static regression r;
    regression_random(&r, n, 5, true);
    kiln_ml_opt_params p = {.tol = 1e-10};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, n, NULL);
    assert_non_null(o);
    drive(o, n, logistic, &r);
    check_history(o, true);
    check_objective(o, n, logistic, &r, 0, NULL);
    /* Stopped where the gradient is small, not merely where progress slowed. */
    double g[MAXN];
    logistic(&r, n, kiln_ml_opt_solution(o), g);
    for (int j = 0; j < n; j++) assert_true(fabs(g[j]) < 1e-4);
    kiln_ml_opt_free(o);
}

static void lbfgs_stops_at_max_iter(void **state)
{
    double w0[2] = {-1.2, 1};
    kiln_ml_opt_params p = {.max_iter = 5, .tol = 1e-12};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, 2, w0);
    int evals = drive(o, 2, rosenbrock, NULL);
    assert_int_equal(kiln_ml_opt_iterations(o), 5);
    assert_false(kiln_ml_opt_converged(o));
    assert_true(evals >= 6);
    check_history(o, true);
    kiln_ml_opt_free(o);
}

static void lbfgs_default_tolerance_stops_early(void **state)
{
    /* Default tol 1e-6 stops well before tol 1e-12 does, both converged. */
    double w0[2] = {-1.2, 1};
    int iters[2];
    double tols[2] = {0, 1e-12};
    for (int k = 0; k < 2; k++) {
        kiln_ml_opt_params p = {.max_iter = 1000, .tol = tols[k]};
        kiln_ml_opt *o = kiln_ml_opt_new(&p, 2, w0);
        drive(o, 2, rosenbrock, NULL);
        assert_true(kiln_ml_opt_converged(o));
        iters[k] = kiln_ml_opt_iterations(o);
        kiln_ml_opt_free(o);
    }
    assert_true(iters[0] < iters[1]);
}

static void start_at_optimum_stops_at_once(void **state)
{
    double w0[3] = {1, 1, 1};
    kiln_ml_opt *o = kiln_ml_opt_new(NULL, 3, w0);
    assert_int_equal(drive(o, 3, rosenbrock, NULL), 1);
    assert_true(kiln_ml_opt_converged(o));
    assert_int_equal(kiln_ml_opt_iterations(o), 0);
    assert_true(kiln_ml_opt_objective(o) == 0);
    check_history(o, true);
    kiln_ml_opt_free(o);
}

static double not_finite(const void *arg, int n, const double *x, double *g)
{
    for (int i = 0; i < n; i++) g[i] = 1;
    return NAN;
}

static void non_finite_start_stops(void **state)
{
    for (int solver = 0; solver < 2; solver++) {
        kiln_ml_opt_params p = {.solver = (kiln_ml_solver)solver};
        kiln_ml_opt *o = kiln_ml_opt_new(&p, 2, NULL);
        assert_int_equal(drive(o, 2, not_finite, NULL), 1);
        assert_false(kiln_ml_opt_converged(o));
        assert_int_equal(kiln_ml_opt_iterations(o), 0);
        kiln_ml_opt_free(o);
    }
}

/* ---- OWL-QN ------------------------------------------------------------------------ */

static void owlqn_soft_threshold(void **state)
{
    enum { n = 8 };
    const double c[n] = {2.0, -1.5, 0.2, -0.25, 0.29, 0.9, -3.0, 0.1};
    const double l1 = 0.3;
    bool skip[n] = {false};
    skip[2] = true; /* |c| < l1 yet unpenalised: must stay at c */
    /* From the origin, and from the opposite orthant, where coordinates
     * reach their zeros only by the projection of the line search. */
    double opposite[n];
    for (int i = 0; i < n; i++) opposite[i] = -2 * c[i];
    for (int run = 0; run < 4; run++) {
        int with_skip = run & 1;
        const double *w0 = run & 2 ? opposite : NULL;
        kt_set_case("with skip %d, %s start", with_skip, w0 ? "opposite" : "zero");
        const bool *sk = with_skip ? skip : NULL;
        kiln_ml_opt_params p = {.max_iter = 500, .tol = 1e-12, .l1 = l1, .l1_skip = sk};
        kiln_ml_opt *o = kiln_ml_opt_new(&p, n, w0);
        assert_non_null(o);
        drive(o, n, shifted_norm, c);
        assert_true(kiln_ml_opt_converged(o));
        const double *x = kiln_ml_opt_solution(o);
        double want_f = 0;
        for (int i = 0; i < n; i++) {
            double want = sk && sk[i] ? c[i] : soft(c[i], l1);
            if (want == 0) KT_CHECK(x[i] == 0, "x[%d] = %g, expected exactly 0", i, x[i]);
            else kt_expect_close(x[i], want, 0, 1e-8, "soft-thresholded coordinate");
            want_f += 0.5 * (want - c[i]) * (want - c[i]) + (sk && sk[i] ? 0 : l1 * fabs(want));
        }
        kt_expect_close(kiln_ml_opt_objective(o), want_f, 1e-12, 1e-14, "objective with L1");
        check_history(o, true);
        check_objective(o, n, shifted_norm, c, l1, sk);
        kiln_ml_opt_free(o);
    }
}

static void owlqn_zero_pseudo_gradient_at_start(void **state)
{
    /* Every |c| below l1: the origin is optimal and the run ends at once. */
    const double c[3] = {0.1, -0.2, 0.05};
    kiln_ml_opt_params p = {.l1 = 0.5};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, 3, NULL);
    assert_int_equal(drive(o, 3, shifted_norm, c), 1);
    assert_true(kiln_ml_opt_converged(o));
    const double *x = kiln_ml_opt_solution(o);
    for (int i = 0; i < 3; i++) assert_true(x[i] == 0);
    kiln_ml_opt_free(o);
}

static void owlqn_lasso_matches_coordinate_descent(void **state)
{
    enum { n = 10 };
    static regression r;
    regression_random(&r, n, 3, false);
    const double l1s[] = {0.01, 0.1, 0.5};
    for (size_t k = 0; k < sizeof l1s / sizeof l1s[0]; k++) {
        kt_set_case("l1 %g", l1s[k]);
        double want[n], g[MAXN];
        lasso_cd(&r, n, l1s[k], want);
        double want_f = least_squares(&r, n, want, g) + l1s[k] * l1_norm(want, n, NULL);
        kiln_ml_opt_params p = {.max_iter = 1000, .tol = 1e-12, .l1 = l1s[k]};
        kiln_ml_opt *o = kiln_ml_opt_new(&p, n, NULL);
        drive(o, n, least_squares, &r);
        assert_true(kiln_ml_opt_converged(o));
        kt_expect_close(kiln_ml_opt_objective(o), want_f, 1e-9, 0, "lasso objective");
        const double *x = kiln_ml_opt_solution(o);
        for (int j = 0; j < n; j++) {
            if (want[j] == 0) KT_CHECK(x[j] == 0, "w[%d] = %g, expected exactly 0", j, x[j]);
            kt_expect_close(x[j], want[j], 0, 1e-5, "lasso coefficient");
        }
        check_history(o, true);
        check_objective(o, n, least_squares, &r, l1s[k], NULL);
        kiln_ml_opt_free(o);
    }
}

/* ---- SGD ----------------------------------------------------------------------------- */

typedef struct noisy {
    quadratic q;
    rng r;
    double noise;
} noisy;

/* The quadratic's gradient plus uniform noise: a stand-in for a mini-batch. */
static double noisy_quad(const void *arg, int n, const double *x, double *g)
{
    noisy *z = (noisy *)arg;
    double f = quad_fn(&z->q, n, x, g);
    for (int i = 0; i < n; i++) g[i] += z->noise * (2 * rng_double(&z->r) - 1);
    return f;
}

static void sgd_quadratic_gets_close(void **state)
{
    enum { n = 5 };
    static noisy z;
    quad_random(&z.q, n, 21, n);
    rng_seed(&z.r, 99);
    z.noise = 0.05;
    double want[n];
    gauss_solve(n, z.q.A, z.q.b, want);
    kiln_ml_opt_params p = {.solver = KILN_ML_SGD, .max_iter = 20000, .tol = 1e-12, .step = 0.5};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, n, NULL);
    assert_int_equal(drive(o, n, noisy_quad, &z), 20001);
    const double *x = kiln_ml_opt_solution(o);
    for (int i = 0; i < n; i++) kt_expect_close(x[i], want[i], 0, 1e-2, "SGD solution");
    assert_int_equal(kiln_ml_opt_iterations(o), 20000);
    assert_false(kiln_ml_opt_converged(o));
    check_history(o, false);
    kiln_ml_opt_free(o);
}

static void sgd_proximal_l1_gives_exact_zeros(void **state)
{
    enum { n = 5 };
    const double c[n] = {1.0, -0.1, 0.2, -2.0, 0.5};
    bool skip[n] = {false, true, false, false, false};
    kiln_ml_opt_params p = {.solver = KILN_ML_SGD,
                            .max_iter = 5000,
                            .tol = 1e-12,
                            .l1 = 0.3,
                            .l1_skip = skip,
                            .step = 0.5};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, n, NULL);
    drive(o, n, shifted_norm, c);
    const double *x = kiln_ml_opt_solution(o);
    assert_true(x[2] == 0);
    kt_expect_close(x[0], 0.7, 0, 1e-6, "x[0]");
    kt_expect_close(x[1], -0.1, 0, 1e-6, "x[1] (unpenalised)");
    kt_expect_close(x[3], -1.7, 0, 1e-6, "x[3]");
    kt_expect_close(x[4], 0.2, 0, 1e-6, "x[4]");
    check_history(o, false);
    check_objective(o, n, shifted_norm, c, 0.3, skip);
    kiln_ml_opt_free(o);
}

static void sgd_counts_and_tolerance(void **state)
{
    const double c[2] = {1, 2};
    kiln_ml_opt_params p = {.solver = KILN_ML_SGD, .max_iter = 7, .tol = 1e-12, .step = 0.1};
    kiln_ml_opt *o = kiln_ml_opt_new(&p, 2, NULL);
    assert_int_equal(drive(o, 2, shifted_norm, c), 8); /* w0 and each of 7 iterates */
    assert_int_equal(kiln_ml_opt_iterations(o), 7);
    assert_false(kiln_ml_opt_converged(o));
    check_history(o, false);
    kiln_ml_opt_free(o);
    /* Step 1 on 0.5|x - c|^2 lands on c at once; the next update is 0. */
    p = (kiln_ml_opt_params){.solver = KILN_ML_SGD, .max_iter = 100, .tol = 1e-9};
    o = kiln_ml_opt_new(&p, 2, NULL);
    drive(o, 2, shifted_norm, c);
    assert_true(kiln_ml_opt_converged(o));
    assert_int_equal(kiln_ml_opt_iterations(o), 2);
    assert_true(kiln_ml_opt_objective(o) == 0);
    kiln_ml_opt_free(o);
}

/* ---- Parameters ----------------------------------------------------------------------- */

static void refuses_bad_params(void **state)
{
    double w0[2] = {0, 0};
    struct {
        kiln_ml_opt_params p;
        int64_t n;
        const char *says;
    } bad[] = {
        {{0}, 0, "n must be"},
        {{0}, -3, "n must be"},
        {{.l1 = -0.1}, 2, "l1"},
        {{.l1 = NAN}, 2, "l1"},
        {{.max_iter = -1}, 2, "max_iter"},
        {{.tol = -1e-6}, 2, "tol"},
        {{.memory = -2}, 2, "memory"},
        {{.step = -1}, 2, "step"},
        {{.solver = (kiln_ml_solver)7}, 2, "solver"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_set_case("bad case %zu", i);
        KT_CHECK(kiln_ml_opt_new(&bad[i].p, bad[i].n, w0) == NULL, "accepted");
        KT_CHECK(strstr(kiln_last_error(), bad[i].says) != NULL, "message: %s", kiln_last_error());
    }
    /* Too large to allocate: refused, not crashed. */
    assert_null(kiln_ml_opt_new(NULL, INT64_C(1) << 60, NULL));
    assert_non_null(strstr(kiln_last_error(), "out of memory"));
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lbfgs_rosenbrock_2d),
        cmocka_unit_test(lbfgs_rosenbrock_10d),
        cmocka_unit_test(lbfgs_quadratic_matches_direct_solve),
        cmocka_unit_test(lbfgs_logistic_decreases_monotonically),
        cmocka_unit_test(lbfgs_stops_at_max_iter),
        cmocka_unit_test(lbfgs_default_tolerance_stops_early),
        cmocka_unit_test(start_at_optimum_stops_at_once),
        cmocka_unit_test(non_finite_start_stops),
        cmocka_unit_test(owlqn_soft_threshold),
        cmocka_unit_test(owlqn_zero_pseudo_gradient_at_start),
        cmocka_unit_test(owlqn_lasso_matches_coordinate_descent),
        cmocka_unit_test(sgd_quadratic_gets_close),
        cmocka_unit_test(sgd_proximal_l1_gives_exact_zeros),
        cmocka_unit_test(sgd_counts_and_tolerance),
        cmocka_unit_test(refuses_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
