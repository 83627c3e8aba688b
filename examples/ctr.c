/*
 * ctr.c - click-through prediction from ad logs with hashed features and
 * logistic regression (the workflow of the CS120x click-through lab).
 *
 *     ctr [--master M] [--bits B] [--folds K] TRAIN [TEST]
 *     build/bin/ctr ../shared/data/ctr-samples/criteo_sample.txt
 *     build/bin/ctr ../shared/data/ctr-samples/avazu_sample.txt
 *     build/bin/gen_ctr 1000000 /tmp/ctr-train.txt 1
 *     build/bin/gen_ctr 200000 /tmp/ctr-test.txt 2
 *     build/bin/ctr --folds 1 /tmp/ctr-train.txt /tmp/ctr-test.txt
 *
 * The files are comma-separated with a header line naming the columns; the
 * label is the column named "label" (Criteo) or "click" (Avazu), a column
 * named "id" is dropped, and every other column is a categorical feature:
 * "column=value" hashed into 2^B features (default 16), as the lab does.
 * Without TEST, 20% of TRAIN (seed 42) is held out. The regularisation is
 * picked by K-fold cross-validation on the training data (default 3; K = 1:
 * one 3:1 train/validation split) by area under ROC, the grid training in
 * lockstep; the program prints the baseline (the
 * training click rate for every impression) and the chosen model's area
 * under ROC and log loss on the held-out data.
 *
 * What it shows: kiln_ml_hash_features, kiln_ml_cross_validate,
 * kiln_ml_glm_predict_rdd and kiln_ml_binary_evaluate.
 */
#include <kiln.h>
#include <kiln/ml.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_COLUMNS = 256 };

static int fail(const char *what)
{
    fprintf(stderr, "ctr: %s: %s\n", what, kiln_last_error());
    return 1;
}

/* Finds the label and id columns in the header line of path. */
static int read_header(const char *path, int *label, int *id)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ctr: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char line[8192];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    *label = *id = -1;
    int c = 0;
    for (char *s = got ? line : NULL, *save = NULL, *tok; (tok = strtok_r(s, ",\r\n", &save));
         s = NULL, c++) {
        if (!strcmp(tok, "label") || !strcmp(tok, "click")) *label = c;
        if (!strcmp(tok, "id")) *id = c;
    }
    if (*label < 0) {
        fprintf(stderr, "ctr: %s:1: no column named \"label\" or \"click\" in the header\n", path);
        return 1;
    }
    return 0;
}

/* A point -> (the constant score in env, its label). */
static int constant_score(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    double label, score;
    kiln_value features;
    memcpy(&score, env, sizeof score);
    int rc = kiln_ml_point_parts(in, &label, &features);
    if (rc) return rc;
    kiln_value pair[2] = {kiln_double(score), kiln_double(label)};
    *out = kiln_tuple_new(kiln_task_arena(t), pair, 2);
    return out->type == KILN_TUPLE ? KILN_OK : KILN_ENOMEM;
}

int main(int argc, char **argv)
{
    if (kiln_init(&argc, &argv)) return fail("options");
    static const char usage_text[] =
        "ctr [--master M] [--bits B] [--folds K] TRAIN [TEST]\n"
        "Click-through prediction: hashed features (2^B, default 16), logistic\n"
        "regression tuned by K-fold cross-validation (default 3) on AUC.\n";
    int done = kiln_args_check(argc, argv, usage_text, "--bits= --folds=");
    if (done >= 0) return done;
    int bits = 16, folds = 3;
    static const struct option opts[] = {{"bits", required_argument, NULL, 'b'},
                                         {"folds", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;)
        *(c == 'b' ? &bits : &folds) = atoi(optarg); /* --bits B, --bits=B */
    argv += optind - 1, argc -= optind - 1;          /* argv[1]: the first positional */
    if (argc < 2 || argc > 3 || bits < 1 || bits > 30 || folds < 1) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int label, id;
    if (read_header(argv[1], &label, &id)) return 1;
    kiln_context *ctx;
    if (kiln_context_new(NULL, &ctx)) return fail("context");
    kiln_ml_hashing_options h = {.delimiter = ',',
                                 .label_column = label,
                                 .ignore = &id,
                                 .num_ignore = id >= 0,
                                 .num_features = (int64_t)1 << bits,
                                 .header = true};
    kiln_rdd *train = kiln_ml_hash_features(ctx, argv[1], &h, 0), *test;
    if (argc == 3) {
        test = kiln_ml_hash_features(ctx, argv[2], &h, 0);
    } else {
        kiln_rdd *parts[2];
        if (kiln_ml_random_split(kiln_rdd_cache(train), (const double[]){0.8, 0.2}, 2, 42, parts))
            return fail("split");
        train = parts[0], test = parts[1];
    }
    train = kiln_rdd_cache(train);
    test = kiln_rdd_cache(test);
    int status = 1;

    /* The baseline: the training click rate for everyone. */
    kiln_ml_summary s;
    if (kiln_ml_summarize(train, &s)) goto out;
    double rate = s.label_mean;
    printf("%lld training impressions, click rate %.4f, %lld hashed features\n", (long long)s.count,
           rate, (long long)s.num_features);
    kiln_ml_summary_release(&s);
    kiln_ml_binary_metrics base;
    if (kiln_ml_binary_evaluate(kiln_rdd_map(test, constant_score, &rate, sizeof rate), 0.5, &base))
        goto out;
    printf("baseline (click rate) test log loss: %.4f over %lld impressions\n", base.log_loss,
           (long long)base.count);

    /* The regularisation, by cross-validation. */
    static const double regs[] = {1e-6, 1e-4, 1e-3, 1e-2};
    enum { NGRID = 4 };
    kiln_ml_glm_params grid[NGRID];
    for (int i = 0; i < NGRID; i++) {
        grid[i] = kiln_ml_glm_defaults(KILN_ML_LOGISTIC);
        grid[i].reg_param = regs[i];
        grid[i].opt.max_iter = 100;
    }
    double cv[NGRID];
    int best;
    kiln_ml_glm *m;
    if (kiln_ml_cross_validate(train, grid, NGRID, folds, KILN_ML_AUC, 7, cv, &best, &m)) goto out;
    if (folds > 1) printf("%d-fold cross-validation (reg_param: mean AUC):\n", folds);
    else printf("validation on a quarter of the training data (reg_param: AUC):\n");
    for (int i = 0; i < NGRID; i++)
        printf("  %-6g %.4f%s\n", regs[i], cv[i], i == best ? "  <- best" : "");

    kiln_ml_binary_metrics b;
    if (kiln_ml_binary_evaluate(kiln_ml_glm_predict_rdd(m, test), 0.5, &b)) goto out;
    printf("logistic regression (reg_param %g) test AUC: %.4f, log loss: %.4f\n", regs[best],
           b.auc_roc, b.log_loss);
    kiln_ml_glm_free(m);
    status = 0;
out:
    if (status) fail("job");
    kiln_context_free(ctx);
    return status;
}
