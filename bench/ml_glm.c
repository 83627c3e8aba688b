/*
 * ml_glm.c - times kiln's linear and logistic regression on a CSV (label in
 * column 0, no header), the same input and the same model as the
 * scikit-learn peers ../shared/bench/{logreg,linreg}-sklearn.py.
 *
 *     ml_glm [--master M] logistic|linear TRAIN.csv TEST.csv [ITERS]
 *     build/bin/ml_glm logistic bench/data/logreg-train.csv bench/data/logreg-test.csv 50
 *
 * logistic: L2-regularised with reg_param 1/n, which is scikit-learn's
 * C = 1 (its objective is ours times n), no standardisation, L-BFGS for
 * ITERS iterations (default 100) unless the gradient vanishes first.
 * linear: least squares by the normal equations (scikit-learn's
 * LinearRegression is the exact solution too).
 * Prints the test metrics, then the seconds spent loading (parsing the CSV
 * into cached points), fitting, and in all.
 */
#include <kiln.h>
#include <kiln/ml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

static int fail(const char *what)
{
    fprintf(stderr, "ml_glm: %s: %s\n", what, kiln_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    double t0 = now();
    if (kiln_init(&argc, &argv)) return fail("options");
    static const char usage_text[] =
        "ml_glm [--master M] logistic|linear TRAIN.csv TEST.csv [ITERS]\n"
        "Times linear or logistic regression on a CSV (label in column 0).\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 4 || argc > 5 || (strcmp(argv[1], "logistic") && strcmp(argv[1], "linear"))) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    bool logistic = !strcmp(argv[1], "logistic");
    kiln_context *ctx;
    if (kiln_context_new(NULL, &ctx)) return fail("context");
    kiln_ml_csv_options csv = {.delimiter = ',', .label_column = 0};
    kiln_rdd *train = kiln_rdd_cache(kiln_ml_load_csv(ctx, argv[2], &csv, 0));
    kiln_rdd *test = kiln_ml_load_csv(ctx, argv[3], &csv, 0);
    int64_t n;
    if (kiln_rdd_count(train, &n)) return fail("loading");
    double t1 = now();
    kiln_ml_glm_params p = kiln_ml_glm_defaults(logistic ? KILN_ML_LOGISTIC : KILN_ML_LINEAR);
    if (logistic) {
        p.reg_param = 1.0 / (double)n;
        p.opt.max_iter = argc == 5 ? atoi(argv[4]) : 100;
        p.opt.tol = 1e-15; /* run the iterations asked for, as the peer does */
    }
    kiln_ml_glm *m = kiln_ml_glm_train(train, &p);
    if (!m) return fail("training");
    double t2 = now();
    kiln_rdd *pl = kiln_ml_glm_predict_rdd(m, test);
    if (logistic) {
        kiln_ml_binary_metrics b;
        if (kiln_ml_binary_evaluate(pl, 0.5, &b)) return fail("evaluating");
        printf("auc=%.6f logloss=%.6f iters=%d ", b.auc_roc, b.log_loss, m->iterations);
    } else {
        kiln_ml_regression_metrics r;
        if (kiln_ml_regression_evaluate(pl, &r)) return fail("evaluating");
        printf("rmse=%.6f ", r.rmse);
    }
    printf("rows=%lld load_seconds=%.3f fit_seconds=%.3f total_seconds=%.3f\n", (long long)n,
           t1 - t0, t2 - t1, now() - t0);
    kiln_ml_glm_free(m);
    kiln_context_free(ctx);
    return 0;
}
