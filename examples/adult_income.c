/*
 * adult_income.c - predicting whether a person earns over $50K a year from
 * the UCI adult census data, with one-hot features and logistic regression.
 *
 *     adult_income [--master M] [--reg R] TRAIN TEST [MODEL_DIR]
 *     build/bin/adult_income ../shared/data/adult/adult.data ../shared/data/adult/adult.test
 *
 * The files are UCI's: 15 comma-separated columns, 8 of them categorical
 * (work class, education, marital status, occupation, relationship, race,
 * sex, native country), the label last (">50K" or "<=50K", with a trailing
 * '.' in adult.test). TRAIN has no header line; TEST's first line is
 * skipped (UCI's comment line, or the header row of some copies). The
 * categories are fitted on TRAIN; numeric columns are used as they are, the
 * model standardises them (reg_param R, default 1e-4, L2). Prints the
 * feature count, then on TEST: the majority-class baseline accuracy, the
 * model's area under ROC and PR, accuracy, precision, recall, F1, log loss
 * and the confusion counts, and saves the model when a third argument
 * names a directory that does not exist yet.
 *
 * What it shows: kiln_ml_one_hot_fit / _transform, standardisation, the
 * binary metrics and kiln_ml_glm_save.
 */
#include <kiln.h>
#include <kiln/ml.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "adult_income: %s: %s\n", what, kiln_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) return fail("options");
    static const char usage_text[] =
        "adult_income [--master M] [--reg R] TRAIN TEST [MODEL_DIR]\n"
        "Logistic regression on the UCI adult census data (one-hot, standardised,\n"
        "L2 penalty R, default 1e-4); prints the test metrics, saves the model.\n";
    int done = kiln_args_check(argc, argv, usage_text, "--reg=");
    if (done >= 0) return done;
    double reg = 1e-4;
    static const struct option opts[] = {{"reg", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
    while (getopt_long(argc, argv, "", opts, NULL) != -1) reg = atof(optarg);
    argv += optind - 1, argc -= optind - 1; /* argv[1]: the first positional */
    if (argc < 3 || argc > 4 || reg < 0) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    kiln_context *ctx;
    if (kiln_context_new(NULL, &ctx)) return fail("context");
    static const int categorical[] = {1, 3, 5, 6, 7, 8, 9, 13};
    kiln_ml_one_hot_options opt = {.delimiter = ',',
                                   .label_column = 14,
                                   .positive_label = ">50K",
                                   .categorical = categorical,
                                   .num_categorical = 8};
    int status = 1;
    kiln_ml_one_hot *enc = kiln_ml_one_hot_fit(ctx, argv[1], &opt);
    if (!enc) goto out;
    kiln_rdd *train = kiln_rdd_cache(kiln_ml_one_hot_transform(enc, argv[1], 0));
    kiln_ml_one_hot_set_header(enc, true);
    kiln_rdd *test = kiln_rdd_cache(kiln_ml_one_hot_transform(enc, argv[2], 0));
    printf("%lld features: 6 numeric columns and the categories of 8 others\n",
           (long long)kiln_ml_one_hot_num_features(enc));
    kiln_ml_one_hot_free(enc);

    kiln_ml_glm_params p = kiln_ml_glm_defaults(KILN_ML_LOGISTIC);
    p.reg_param = reg;
    p.standardize = true;
    p.opt.tol = 1e-9;
    p.opt.max_iter = 500;
    kiln_ml_glm *m = kiln_ml_glm_train(train, &p);
    if (!m) goto out;
    kiln_ml_binary_metrics b;
    if (kiln_ml_binary_evaluate(kiln_ml_glm_predict_rdd(m, test), 0.5, &b)) goto out;
    double positives = (double)(b.tp + b.fn) / (double)b.count;
    printf("%lld test people, %.4f over 50K; baseline (all <=50K) accuracy %.4f\n",
           (long long)b.count, positives, 1 - positives);
    printf("logistic regression (reg_param %g, %d iterations) on the test data:\n", reg,
           m->iterations);
    printf("  AUC %.4f, area under PR %.4f, accuracy %.4f\n", b.auc_roc, b.auc_pr, b.accuracy);
    printf("  precision %.4f, recall %.4f, F1 %.4f, log loss %.4f\n", b.precision, b.recall, b.f1,
           b.log_loss);
    printf("  confusion: tp %lld, fp %lld, tn %lld, fn %lld\n", (long long)b.tp, (long long)b.fp,
           (long long)b.tn, (long long)b.fn);
    if (argc == 4) {
        if (kiln_ml_glm_save(m, argv[3])) goto out;
        printf("model saved to %s\n", argv[3]);
    }
    kiln_ml_glm_free(m);
    status = 0;
out:
    if (status) fail("job");
    kiln_context_free(ctx);
    return status;
}
