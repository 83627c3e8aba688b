/*
 * song_year.c - predicting a song's release year from its audio features
 * (the Million Song workflow of the CS120x course), with linear regression.
 *
 *     song_year [--master M] [--folds K] FILE
 *     build/bin/song_year ../shared/data/millionsong/millionsong.txt
 *
 * FILE holds one song per line: the year, then its timbre features,
 * comma-separated. The songs are split at random (seed 42) into training
 * (80%) and test (20%) data, and the program prints:
 *   1. the baseline: predicting the mean training year for every song;
 *   2. least squares (the exact normal-equation solution) on the training data;
 *   3. a grid over the regularisation (ridge and elastic net), scored by
 *      K-fold cross-validation (default 3) on the training data, every grid
 *      point training in lockstep;
 *   4. the best grid point retrained on all the training data.
 * Each line gives the RMSE on the test data, which no model has seen.
 *
 * What it shows: kiln_ml_load_csv, kiln_ml_random_split, kiln_ml_summarize,
 * kiln_ml_glm_train, kiln_ml_cross_validate, kiln_ml_glm_predict_rdd and
 * kiln_ml_regression_evaluate.
 */
#include <kiln.h>
#include <kiln/ml.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A point -> (the constant prediction in env, its label). */
static int constant_prediction(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    double label, guess;
    kiln_value features;
    memcpy(&guess, env, sizeof guess);
    int rc = kiln_ml_point_parts(in, &label, &features);
    if (rc) return rc;
    kiln_value pair[2] = {kiln_double(guess), kiln_double(label)};
    *out = kiln_tuple_new(kiln_task_arena(t), pair, 2);
    return out->type == KILN_TUPLE ? KILN_OK : KILN_ENOMEM;
}

static int fail(const char *what)
{
    fprintf(stderr, "song_year: %s: %s\n", what, kiln_last_error());
    return 1;
}

/* The RMSE of model m on the points of test. */
static int test_rmse(const kiln_ml_glm *m, kiln_rdd *test, double *rmse)
{
    kiln_ml_regression_metrics r;
    int rc = kiln_ml_regression_evaluate(kiln_ml_glm_predict_rdd(m, test), &r);
    *rmse = r.rmse;
    return rc;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) return fail("options");
    static const char usage_text[] =
        "song_year [--master M] [--folds K>=2] FILE\n"
        "Predicts a song's year from its timbre features: baseline, least squares,\n"
        "and a ridge / elastic-net grid chosen by K-fold cross-validation.\n";
    int done = kiln_args_check(argc, argv, usage_text, "--folds=");
    if (done >= 0) return done;
    int folds = 3;
    static const struct option opts[] = {{"folds", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    while (getopt_long(argc, argv, "", opts, NULL) != -1) folds = atoi(optarg);
    argv += optind - 1, argc -= optind - 1; /* argv[1]: the first positional */
    if (argc != 2 || folds < 2) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    kiln_context *ctx;
    if (kiln_context_new(NULL, &ctx)) return fail("context");
    int status = 1;
    kiln_ml_csv_options csv = {.delimiter = ',', .label_column = 0};
    kiln_rdd *songs = kiln_rdd_cache(kiln_ml_load_csv(ctx, argv[1], &csv, 0));
    kiln_rdd *parts[2];
    if (kiln_ml_random_split(songs, (const double[]){0.8, 0.2}, 2, 42, parts)) goto out;
    kiln_rdd *train = kiln_rdd_cache(parts[0]), *test = kiln_rdd_cache(parts[1]);

    /* 1. The baseline. */
    kiln_ml_summary s;
    if (kiln_ml_summarize(train, &s)) goto out;
    printf("%lld training songs, %lld features; mean year %.2f\n", (long long)s.count,
           (long long)s.num_features, s.label_mean);
    kiln_ml_regression_metrics base;
    if (kiln_ml_regression_evaluate(kiln_rdd_map(test, constant_prediction, &s.label_mean,
                                                 sizeof s.label_mean),
                                    &base))
        goto out;
    kiln_ml_summary_release(&s);
    printf("baseline (mean year) test RMSE: %.4f over %lld songs\n", base.rmse,
           (long long)base.count);

    /* 2. Least squares. */
    kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LINEAR);
    p.normal_equation = true;
    kiln_ml_glm *ls = kiln_ml_glm_train(train, &p);
    double rmse;
    if (!ls || test_rmse(ls, test, &rmse)) goto out;
    printf("least squares test RMSE: %.4f\n", rmse);
    kiln_ml_glm_free(ls);

    /* 3. The grid, by cross-validation on the training data. */
    static const double regs[] = {1e-10, 1e-5, 1e-3, 1e-2, 1e-1, 1};
    static const double mixes[] = {0, 0.5};
    enum { NGRID = 12 };
    kiln_ml_glm_params grid[NGRID];
    for (int i = 0; i < NGRID; i++) {
        grid[i] = kiln_ml_glm_defaults(KILN_ML_LINEAR);
        grid[i].reg_param = regs[i % 6];
        grid[i].elastic_net = mixes[i / 6];
        grid[i].standardize = true;
        grid[i].opt.max_iter = 200;
        grid[i].opt.tol = 1e-9;
    }
    double cv[NGRID];
    int best;
    kiln_ml_glm *model;
    if (kiln_ml_cross_validate(train, grid, NGRID, folds, KILN_ML_RMSE, 7, cv, &best, &model))
        goto out;
    printf("%d-fold cross-validation (reg_param, elastic_net: mean RMSE):\n", folds);
    for (int i = 0; i < NGRID; i++)
        printf("  %-6g %-4g %.4f%s\n", grid[i].reg_param, grid[i].elastic_net, cv[i],
               i == best ? "  <- best" : "");

    /* 4. The best model on held-out data. */
    if (test_rmse(model, test, &rmse)) goto out;
    printf("best model (reg_param %g, elastic_net %g) test RMSE: %.4f\n", grid[best].reg_param,
           grid[best].elastic_net, rmse);
    kiln_ml_glm_free(model);
    status = 0;
out:
    if (status) fail("job");
    kiln_context_free(ctx);
    return status;
}
