/*
 * test_ml_evaluate.c - regression, binary and multiclass metrics
 * (kiln_ml_*_evaluate) under local[1] and local[2]: against plain
 * references computed here on random data (many tied scores, one-class and
 * one-record inputs, absent classes, int and double records), against a
 * worked example, against scikit-learn's values on a fixed data set
 * (tests/ml/, written by tests/ml/sklearn_metrics.py), and their errors on
 * bad records and arguments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"

#define MASTERS 2
static const char *const masters[MASTERS] = {"local[1]", "local[2]"};

/* Metrics from the same data by another route agree to rounding. */
#define REL 1e-12
#define ABS 1e-12

/* (prediction, label) records; every third one with int parts when both
 * are whole numbers, so KILN_INT input is covered. */
static kiln_value *make_pairs(kiln_arena *a, const double *pred, const double *label, size_t n)
{
    kiln_value *v = kiln_arena_alloc(a, sizeof *v * (n ? n : 1));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        bool whole = pred[i] == floor(pred[i]) && label[i] == floor(label[i]);
        kiln_value p = whole && i % 3 == 0 ? kiln_int((int64_t)pred[i]) : kiln_double(pred[i]);
        kiln_value y = whole && i % 3 == 1 ? kiln_int((int64_t)label[i]) : kiln_double(label[i]);
        v[i] = kiln_pair(a, p, y);
    }
    return v;
}

static kiln_rdd *pairs_rdd(kiln_context *ctx, kiln_arena *a, const double *pred,
                           const double *label, size_t n, int slices)
{
    return kt_rdd(kiln_parallelize(ctx, make_pairs(a, pred, label, n), n, slices));
}

/* ---- References ---------------------------------------------------------------- */

static double ratio_score(long double num, long double den)
{
    if (num == 0) return 1.0;
    if (den == 0) return 0.0;
    return (double)(1 - num / den);
}

/* Two passes in long double, scikit-learn's definitions. */
static void ref_regression(const double *p, const double *y, size_t n,
                           kiln_ml_regression_metrics *m)
{
    long double sy = 0, se = 0;
    for (size_t i = 0; i < n; i++) {
        sy += y[i];
        se += (long double)y[i] - p[i];
    }
    long double my = sy / n, me = se / n, ss_res = 0, ss_tot = 0, var_e = 0, abs_e = 0;
    for (size_t i = 0; i < n; i++) {
        long double e = (long double)y[i] - p[i];
        ss_res += e * e;
        ss_tot += (y[i] - my) * (y[i] - my);
        var_e += (e - me) * (e - me);
        abs_e += fabsl(e);
    }
    m->count = (int64_t)n;
    m->mse = (double)(ss_res / n);
    m->rmse = sqrt(m->mse);
    m->mae = (double)(abs_e / n);
    m->r2 = ratio_score(ss_res, ss_tot);
    m->explained_variance = ratio_score(var_e, ss_tot);
}

static const double *sort_scores;
static int by_score_desc(const void *x, const void *y)
{
    double a = sort_scores[*(const size_t *)x], b = sort_scores[*(const size_t *)y];
    return a > b ? -1 : a < b;
}

/* Counts and log loss record by record; the ROC area by comparing every
 * positive with every negative (ties count half); the PR area by Spark's
 * definition, over indices sorted by score. */
static void ref_binary(const double *s, const double *y, size_t n, double threshold,
                       kiln_ml_binary_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->count = (int64_t)n;
    long double ll = 0;
    int64_t pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        bool one = y[i] == 1, says_one = s[i] >= threshold;
        m->tp += one && says_one;
        m->fp += !one && says_one;
        m->tn += !one && !says_one;
        m->fn += one && !says_one;
        pos += one;
        neg += !one;
        double p = fmin(fmax(s[i], 1e-15), 1 - 1e-15);
        ll -= one ? logl(p) : logl(1 - p);
    }
    m->log_loss = (double)(ll / n);
    m->accuracy = (double)(m->tp + m->tn) / n;
    m->precision = m->tp + m->fp ? (double)m->tp / (m->tp + m->fp) : 0;
    m->recall = m->tp + m->fn ? (double)m->tp / (m->tp + m->fn) : 0;
    m->f1 = m->precision + m->recall > 0 ? 2 * m->precision * m->recall / (m->precision + m->recall)
                                         : 0;
    long double wins = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] == 1 && y[j] == 0) wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5L : 0;
    m->auc_roc = pos && neg ? (double)(wins / ((long double)pos * neg)) : NAN;

    size_t *ix = malloc(sizeof *ix * n);
    assert_non_null(ix);
    for (size_t i = 0; i < n; i++) ix[i] = i;
    sort_scores = s;
    qsort(ix, n, sizeof *ix, by_score_desc);
    double tp = 0, fp = 0, r0 = 0, p0 = -1, area = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && s[ix[j]] == s[ix[i]]; j++) {
            tp += y[ix[j]] == 1;
            fp += y[ix[j]] != 1;
        }
        double r = pos ? tp / pos : 0, p = tp / (tp + fp);
        if (p0 < 0) p0 = p;
        area += (r - r0) * (p + p0) / 2;
        r0 = r;
        p0 = p;
        i = j;
    }
    m->auc_pr = area;
    free(ix);
}

/* Per-class precision, recall and F1 weighted by the label counts. */
static void ref_multiclass(const double *p, const double *y, size_t n, int k,
                           kiln_ml_multiclass_metrics *m, int64_t *confusion)
{
    memset(m, 0, sizeof *m);
    memset(confusion, 0, sizeof *confusion * (size_t)(k * k));
    m->num_classes = k;
    m->count = (int64_t)n;
    m->confusion = confusion;
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        confusion[(int)y[i] * k + (int)p[i]]++;
        right += p[i] == y[i];
    }
    m->accuracy = (double)right / n;
    for (int c = 0; c < k; c++) {
        double tp = 0, said = 0, is = 0;
        for (size_t i = 0; i < n; i++) {
            tp += p[i] == c && y[i] == c;
            said += p[i] == c;
            is += y[i] == c;
        }
        double prec = said ? tp / said : 0, rec = is ? tp / is : 0;
        double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
        m->weighted_precision += prec * is / n;
        m->weighted_recall += rec * is / n;
        m->weighted_f1 += f1 * is / n;
    }
}

/* ---- Comparisons --------------------------------------------------------------- */

static void expect_regression(const kiln_ml_regression_metrics *got,
                              const kiln_ml_regression_metrics *want, double rel, double abs_tol)
{
    KT_CHECK(got->count == want->count, "count %lld, expected %lld", (long long)got->count,
             (long long)want->count);
    kt_expect_close(got->mse, want->mse, rel, abs_tol, "mse");
    kt_expect_close(got->rmse, want->rmse, rel, abs_tol, "rmse");
    kt_expect_close(got->mae, want->mae, rel, abs_tol, "mae");
    kt_expect_close(got->r2, want->r2, rel, abs_tol, "r2");
    kt_expect_close(got->explained_variance, want->explained_variance, rel, abs_tol,
                    "explained_variance");
}

static void expect_binary(const kiln_ml_binary_metrics *got, const kiln_ml_binary_metrics *want,
                          double rel, double abs_tol, bool with_pr)
{
    KT_CHECK(got->count == want->count && got->tp == want->tp && got->fp == want->fp &&
                 got->tn == want->tn && got->fn == want->fn,
             "counts n=%lld tp=%lld fp=%lld tn=%lld fn=%lld, expected %lld %lld %lld %lld %lld",
             (long long)got->count, (long long)got->tp, (long long)got->fp, (long long)got->tn,
             (long long)got->fn, (long long)want->count, (long long)want->tp, (long long)want->fp,
             (long long)want->tn, (long long)want->fn);
    kt_expect_close(got->accuracy, want->accuracy, rel, abs_tol, "accuracy");
    kt_expect_close(got->precision, want->precision, rel, abs_tol, "precision");
    kt_expect_close(got->recall, want->recall, rel, abs_tol, "recall");
    kt_expect_close(got->f1, want->f1, rel, abs_tol, "f1");
    kt_expect_close(got->log_loss, want->log_loss, rel, abs_tol, "log_loss");
    kt_expect_close(got->auc_roc, want->auc_roc, rel, abs_tol, "auc_roc");
    if (with_pr) kt_expect_close(got->auc_pr, want->auc_pr, rel, abs_tol, "auc_pr");
}

static void expect_multiclass(const kiln_ml_multiclass_metrics *got,
                              const kiln_ml_multiclass_metrics *want, double rel, double abs_tol)
{
    KT_CHECK(got->num_classes == want->num_classes && got->count == want->count,
             "num_classes %d count %lld, expected %d %lld", got->num_classes, (long long)got->count,
             want->num_classes, (long long)want->count);
    int k = want->num_classes;
    for (int i = 0; i < k * k; i++)
        KT_CHECK(got->confusion[i] == want->confusion[i],
                 "confusion[label %d][prediction %d] = %lld, expected %lld", i / k, i % k,
                 (long long)got->confusion[i], (long long)want->confusion[i]);
    kt_expect_close(got->accuracy, want->accuracy, rel, abs_tol, "accuracy");
    kt_expect_close(got->weighted_precision, want->weighted_precision, rel, abs_tol,
                    "weighted_precision");
    kt_expect_close(got->weighted_recall, want->weighted_recall, rel, abs_tol, "weighted_recall");
    kt_expect_close(got->weighted_f1, want->weighted_f1, rel, abs_tol, "weighted_f1");
}

/* ---- Regression ----------------------------------------------------------------- */

static void regression_matches_reference(void **state)
{
    kiln_arena *a = kiln_arena_new();
    static const size_t sizes[] = {1, 2, 7, 300, 2500};
    static const int slices[] = {1, 3, 4, 7, 5};
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        rng g;
        rng_seed(&g, 11);
        for (int c = 0; c < 5; c++) {
            size_t n = sizes[c];
            double *p = malloc(sizeof *p * n), *y = malloc(sizeof *y * n);
            for (size_t i = 0; i < n; i++) {
                /* Large offsets test the variance's stability; some whole numbers. */
                y[i] = 1e6 + rng_double(&g) * 20;
                p[i] = y[i] + (rng_double(&g) - 0.3) * 4;
                if (i % 5 == 0) y[i] = floor(y[i]), p[i] = floor(p[i]);
            }
            kt_set_case("regression %s n=%zu", masters[mi], n);
            kiln_ml_regression_metrics got, want;
            KT_OK(kiln_ml_regression_evaluate(pairs_rdd(ctx, a, p, y, n, slices[c]), &got));
            ref_regression(p, y, n, &want);
            /* The offset costs digits in r2's denominator: 1e-9 relative. */
            expect_regression(&got, &want, 1e-9, 1e-12);
            free(p);
            free(y);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

static void regression_constant_labels_follow_scikit_learn(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    double y[] = {3, 3, 3, 3}, exact[] = {3, 3, 3, 3}, off[] = {2, 3, 4, 3};
    kiln_ml_regression_metrics m;
    kt_set_case("regression constant labels");
    /* A perfect fit scores 1, an imperfect one 0 (scikit-learn's force_finite). */
    KT_OK(kiln_ml_regression_evaluate(pairs_rdd(ctx, a, exact, y, 4, 2), &m));
    KT_CHECK(m.r2 == 1 && m.explained_variance == 1 && m.mse == 0 && m.mae == 0, "r2 %g ev %g",
             m.r2, m.explained_variance);
    KT_OK(kiln_ml_regression_evaluate(pairs_rdd(ctx, a, off, y, 4, 3), &m));
    KT_CHECK(m.r2 == 0 && m.explained_variance == 0, "r2 %g ev %g", m.r2, m.explained_variance);
    kt_expect_close(m.mse, 0.5, REL, ABS, "mse");
    kt_expect_close(m.mae, 0.5, REL, ABS, "mae");
    kt_expect_close(m.rmse, sqrt(0.5), REL, ABS, "rmse");
    /* A constant error leaves the explained variance at 1 but not r2. */
    double y2[] = {1, 2, 3, 4}, p2[] = {2, 3, 4, 5};
    KT_OK(kiln_ml_regression_evaluate(pairs_rdd(ctx, a, p2, y2, 4, 4), &m));
    kt_expect_close(m.explained_variance, 1.0, REL, ABS, "explained_variance");
    kt_expect_close(m.r2, 1 - 4 / 5.0, REL, ABS, "r2");
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

/* ---- Binary ------------------------------------------------------------------------- */

static void binary_worked_example(void **state)
{
    /* Scores 0.9(+) 0.8(-) 0.8(+) 0.1(-). ROC: the + at 0.9 beats both -,
     * the + at 0.8 ties one and beats one: 3.5 / 4. PR (Spark): points
     * (0, 1) (0.5, 1) (1, 2/3) (1, 1/2): 0.5 + 0.5 * (1 + 2/3) / 2. */
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    double s[] = {0.9, 0.8, 0.8, 0.1}, y[] = {1, 0, 1, 0};
    kiln_ml_binary_metrics m;
    kt_set_case("binary worked example");
    KT_OK(kiln_ml_binary_evaluate(pairs_rdd(ctx, a, s, y, 4, 2), 0.85, &m));
    kt_expect_close(m.auc_roc, 0.875, REL, ABS, "auc_roc");
    kt_expect_close(m.auc_pr, 0.5 + 0.5 * (1 + 2 / 3.0) / 2, REL, ABS, "auc_pr");
    KT_CHECK(m.count == 4 && m.tp == 1 && m.fp == 0 && m.tn == 2 && m.fn == 1, "counts");
    kt_expect_close(m.precision, 1, REL, ABS, "precision");
    kt_expect_close(m.recall, 0.5, REL, ABS, "recall");
    kt_expect_close(m.f1, 2 / 3.0, REL, ABS, "f1");
    kt_expect_close(m.accuracy, 0.75, REL, ABS, "accuracy");
    double ll = -(log(0.9) + log(0.2) + log(0.8) + log(0.9)) / 4;
    kt_expect_close(m.log_loss, ll, REL, ABS, "log_loss");
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

/* Random scores drawn from `levels` distinct values (few levels: many ties)
 * with P(label 1) = pos_rate, leaning to the label when levels > 1. */
static void binary_case(kiln_context *ctx, kiln_arena *a, rng *g, size_t n, int levels,
                        double pos_rate, double threshold, int slices)
{
    double *s = malloc(sizeof *s * n), *y = malloc(sizeof *y * n);
    for (size_t i = 0; i < n; i++) {
        y[i] = rng_double(g) < pos_rate;
        double u = fmin(1, 0.3 * y[i] + rng_double(g));
        s[i] = levels > 1 ? floor(u * (levels - 1) + 0.5) / (levels - 1) : 0.5;
    }
    kiln_ml_binary_metrics got, want;
    kt_case_detail("n=%zu levels=%d pos_rate=%g threshold=%g", n, levels, pos_rate, threshold);
    KT_OK(kiln_ml_binary_evaluate(pairs_rdd(ctx, a, s, y, n, slices), threshold, &got));
    ref_binary(s, y, n, threshold, &want);
    expect_binary(&got, &want, 1e-11, 1e-12, true);
    free(s);
    free(y);
}

static void binary_matches_reference_with_ties(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        kt_set_case("binary %s", masters[mi]);
        rng g;
        rng_seed(&g, 5);
        binary_case(ctx, a, &g, 1500, 7, 0.4, 0.5, 5);        /* heavy ties */
        binary_case(ctx, a, &g, 1500, 1000001, 0.3, 0.37, 4); /* few ties */
        binary_case(ctx, a, &g, 800, 2, 0.5, 1.0, 3);         /* scores 0 and 1 only */
        binary_case(ctx, a, &g, 500, 1, 0.5, 0.5, 2);         /* one score for all */
        binary_case(ctx, a, &g, 400, 11, 1.0, 0.0, 3);        /* all positive */
        binary_case(ctx, a, &g, 400, 11, 0.0, 0.6, 3);        /* all negative */
        binary_case(ctx, a, &g, 1, 11, 1.0, 0.5, 2);          /* one record */
        binary_case(ctx, a, &g, 300, 21, 0.02, 0.9, 7);       /* rare positives */
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

static void binary_one_class_edges(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    double s[] = {0.2, 0.7, 0.7, 0.9}, ones[] = {1, 1, 1, 1}, zeros[] = {0, 0, 0, 0};
    kiln_ml_binary_metrics m;
    kt_set_case("binary one class");
    /* ROC undefined (scikit-learn refuses); PR as Spark: 1 without negatives,
     * 0 without positives. */
    KT_OK(kiln_ml_binary_evaluate(pairs_rdd(ctx, a, s, ones, 4, 2), 0.5, &m));
    KT_CHECK(isnan(m.auc_roc), "auc_roc %g", m.auc_roc);
    kt_expect_close(m.auc_pr, 1, REL, ABS, "auc_pr");
    KT_CHECK(m.tp == 3 && m.fn == 1 && m.fp == 0 && m.tn == 0, "counts");
    KT_OK(kiln_ml_binary_evaluate(pairs_rdd(ctx, a, s, zeros, 4, 3), 0.5, &m));
    KT_CHECK(isnan(m.auc_roc), "auc_roc %g", m.auc_roc);
    kt_expect_close(m.auc_pr, 0, REL, ABS, "auc_pr");
    KT_CHECK(m.precision == 0 && m.recall == 0 && m.f1 == 0, "undefined ratios are 0");
    kt_expect_close(m.accuracy, 0.25, REL, ABS, "accuracy");
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

/* ---- Multiclass ---------------------------------------------------------------------- */

static void multiclass_matches_reference(void **state)
{
    kiln_arena *a = kiln_arena_new();
    static const int ks[] = {1, 2, 3, 6, 6};
    static const size_t ns[] = {10, 1, 700, 2000, 50};
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        rng g;
        rng_seed(&g, 3);
        for (int c = 0; c < 5; c++) {
            int k = ks[c];
            size_t n = ns[c];
            double *p = malloc(sizeof *p * n), *y = malloc(sizeof *y * n);
            for (size_t i = 0; i < n; i++) {
                /* The last case never uses class 5 as a label, nor 4 as a prediction. */
                int kk = c == 4 ? k - 1 : k;
                y[i] = (double)(rng_next(&g) % (uint64_t)kk);
                p[i] = rng_double(&g) < 0.5 ? y[i] : (double)(rng_next(&g) % (uint64_t)k);
                if (c == 4 && p[i] == 4) p[i] = 5;
            }
            kt_set_case("multiclass %s k=%d n=%zu", masters[mi], k, n);
            kiln_ml_multiclass_metrics got, want;
            int64_t confusion[36];
            KT_OK(kiln_ml_multiclass_evaluate(pairs_rdd(ctx, a, p, y, n, 1 + c), k, &got));
            ref_multiclass(p, y, n, k, &want, confusion);
            expect_multiclass(&got, &want, 1e-12, 1e-12);
            kiln_ml_multiclass_metrics_release(&got);
            KT_CHECK(got.confusion == NULL && got.count == 0, "release clears");
            free(p);
            free(y);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* ---- scikit-learn -------------------------------------------------------------------- */

#define SK_ROWS 200
#define SK_K 4

typedef struct sk_data {
    double score[SK_ROWS], blabel[SK_ROWS], yhat[SK_ROWS], y[SK_ROWS], mpred[SK_ROWS],
        mlabel[SK_ROWS];
    double threshold;
    kiln_ml_regression_metrics reg;
    kiln_ml_binary_metrics bin;
    kiln_ml_multiclass_metrics multi;
    int64_t confusion[SK_K * SK_K];
} sk_data;

static void read_sk_data(sk_data *d)
{
    FILE *f = fopen(KILN_SOURCE_DIR "/tests/ml/metrics_data.csv", "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    for (int i = 0; i < SK_ROWS; i++)
        assert_int_equal(fscanf(f, "%lf,%lf,%lf,%lf,%lf,%lf", &d->score[i], &d->blabel[i],
                                &d->yhat[i], &d->y[i], &d->mpred[i], &d->mlabel[i]),
                         6);
    fclose(f);

    f = fopen(KILN_SOURCE_DIR "/tests/ml/metrics_expected.txt", "r");
    assert_non_null(f);
    memset(&d->reg, 0, sizeof d->reg);
    memset(&d->bin, 0, sizeof d->bin);
    memset(&d->multi, 0, sizeof d->multi);
    struct {
        const char *name;
        double *dst;
        int64_t *count;
    } fields[] = {
        {"threshold", &d->threshold, NULL},
        {"auc_roc", &d->bin.auc_roc, NULL},
        {"log_loss", &d->bin.log_loss, NULL},
        {"accuracy", &d->bin.accuracy, NULL},
        {"precision", &d->bin.precision, NULL},
        {"recall", &d->bin.recall, NULL},
        {"f1", &d->bin.f1, NULL},
        {"tp", NULL, &d->bin.tp},
        {"fp", NULL, &d->bin.fp},
        {"tn", NULL, &d->bin.tn},
        {"fn", NULL, &d->bin.fn},
        {"mse", &d->reg.mse, NULL},
        {"rmse", &d->reg.rmse, NULL},
        {"mae", &d->reg.mae, NULL},
        {"r2", &d->reg.r2, NULL},
        {"explained_variance", &d->reg.explained_variance, NULL},
        {"m_accuracy", &d->multi.accuracy, NULL},
        {"m_weighted_precision", &d->multi.weighted_precision, NULL},
        {"m_weighted_recall", &d->multi.weighted_recall, NULL},
        {"m_weighted_f1", &d->multi.weighted_f1, NULL},
    };
    size_t nfields = sizeof fields / sizeof *fields, seen = 0;
    bool confusion = false;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        int used;
        if (line[0] == '#' || sscanf(line, "%63s %n", name, &used) != 1) continue;
        if (strcmp(name, "confusion") == 0) {
            char *p = line + used;
            for (int i = 0; i < SK_K * SK_K; i++) {
                char *end;
                d->confusion[i] = strtoll(p, &end, 10);
                assert_true(end != p);
                p = end;
            }
            confusion = true;
            continue;
        }
        for (size_t i = 0; i < nfields; i++) {
            if (strcmp(name, fields[i].name) != 0) continue;
            if (fields[i].dst) *fields[i].dst = strtod(line + used, NULL);
            else *fields[i].count = strtoll(line + used, NULL, 10);
            seen++;
        }
    }
    fclose(f);
    assert_true(seen == nfields && confusion);
    d->reg.count = d->bin.count = d->multi.count = SK_ROWS;
    d->multi.num_classes = SK_K;
    d->multi.confusion = d->confusion;
}

static void metrics_match_scikit_learn(void **state)
{
    sk_data *d = malloc(sizeof *d);
    assert_non_null(d);
    read_sk_data(d);
    kiln_arena *a = kiln_arena_new();
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        kt_set_case("scikit-learn %s", masters[mi]);
        kiln_ml_regression_metrics reg;
        KT_OK(kiln_ml_regression_evaluate(pairs_rdd(ctx, a, d->yhat, d->y, SK_ROWS, 3), &reg));
        expect_regression(&reg, &d->reg, 1e-9, 1e-12);
        kiln_ml_binary_metrics bin;
        KT_OK(kiln_ml_binary_evaluate(pairs_rdd(ctx, a, d->score, d->blabel, SK_ROWS, 4),
                                      d->threshold, &bin));
        expect_binary(&bin, &d->bin, 1e-9, 1e-12, false);
        /* No scikit-learn value for Spark's PR area: the reference's. */
        kiln_ml_binary_metrics ref;
        ref_binary(d->score, d->blabel, SK_ROWS, d->threshold, &ref);
        kt_expect_close(bin.auc_pr, ref.auc_pr, 1e-12, 1e-12, "auc_pr");
        kiln_ml_multiclass_metrics multi;
        KT_OK(kiln_ml_multiclass_evaluate(pairs_rdd(ctx, a, d->mpred, d->mlabel, SK_ROWS, 5), SK_K,
                                          &multi));
        expect_multiclass(&multi, &d->multi, 1e-9, 1e-12);
        kiln_ml_multiclass_metrics_release(&multi);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(d);
}

/* ---- Errors ---------------------------------------------------------------------------- */

/* Runs all three evaluations on the one record bad (among good ones) and
 * expects each to fail with code (0: any) and a message holding needle. */
static void expect_bad(kiln_context *ctx, kiln_arena *a, kiln_value bad, int which, int code,
                       const char *needle)
{
    kiln_value v[5];
    for (int i = 0; i < 5; i++) v[i] = kiln_pair(a, kiln_double(i % 2), kiln_double(1));
    v[3] = bad;
    kiln_rdd *r = kt_rdd(kiln_parallelize(ctx, v, 5, 2));
    int rc;
    kiln_ml_regression_metrics rm;
    kiln_ml_binary_metrics bm;
    kiln_ml_multiclass_metrics mm;
    if (which == 0) rc = kiln_ml_regression_evaluate(r, &rm);
    else if (which == 1) rc = kiln_ml_binary_evaluate(r, 0.5, &bm);
    else rc = kiln_ml_multiclass_evaluate(r, 3, &mm);
    kt_case_detail("record %s, evaluation %d", kt_fmt(&bad), which);
    KT_CHECK(rc != KILN_OK, "should fail");
    if (code) KT_CHECK(rc == code, "returned %s", kiln_err_name(rc));
    KT_CHECK(strstr(kiln_last_error(), needle) != NULL, "message: %s", kiln_last_error());
    if (which == 2) KT_CHECK(mm.confusion == NULL, "no memory held after an error");
}

static void bad_records_fail_with_clear_errors(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("bad records");
    log_level saved = log_threshold();
    log_set_threshold(LOG_ERROR); /* each failed task would log a warning */
    kiln_value triple[3] = {kiln_double(1), kiln_double(1), kiln_double(1)};
    kiln_value shapes[] = {
        kiln_double(0.5),
        kiln_pair(a, kiln_cstr(a, "0.5"), kiln_double(1)),
        kiln_tuple_new(a, triple, 3),
        kiln_null(),
    };
    for (int w = 0; w < 3; w++) {
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            expect_bad(ctx, a, shapes[i], w, KILN_ETYPE, "not a (prediction, label) pair");
        expect_bad(ctx, a, kiln_pair(a, kiln_double(NAN), kiln_double(1)), w, KILN_ERANGE, "NaN");
        expect_bad(ctx, a, kiln_pair(a, kiln_double(1), kiln_double(NAN)), w, KILN_ERANGE, "NaN");
        expect_bad(ctx, a, kiln_pair(a, kiln_double(INFINITY), kiln_double(1)), w, KILN_ERANGE,
                   "infinite");
    }
    /* The message shows the record and names the function. */
    expect_bad(ctx, a, kiln_pair(a, kiln_double(NAN), kiln_double(1)), 0, KILN_ERANGE,
               "regression_evaluate: record (NaN,1.0)");
    expect_bad(ctx, a, kiln_pair(a, kiln_double(0.5), kiln_double(2)), 1, KILN_ERANGE,
               "label other than 0 or 1");
    expect_bad(ctx, a, kiln_pair(a, kiln_double(1.5), kiln_double(1)), 1, KILN_ERANGE,
               "score outside [0, 1]");
    expect_bad(ctx, a, kiln_pair(a, kiln_double(-0.1), kiln_int(0)), 1, KILN_ERANGE,
               "score outside [0, 1]");
    expect_bad(ctx, a, kiln_pair(a, kiln_int(3), kiln_int(1)), 2, KILN_ERANGE,
               "prediction that is not a class in 0..2");
    expect_bad(ctx, a, kiln_pair(a, kiln_double(1), kiln_double(1.5)), 2, KILN_ERANGE,
               "label that is not a class in 0..2");
    expect_bad(ctx, a, kiln_pair(a, kiln_double(1), kiln_int(-1)), 2, KILN_ERANGE,
               "label that is not a class");
    log_set_threshold(saved);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void bad_arguments_and_empty_input(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("arguments");
    kiln_rdd *empty = kt_rdd(kiln_parallelize(ctx, NULL, 0, 3));
    kiln_ml_regression_metrics rm;
    kiln_ml_binary_metrics bm;
    kiln_ml_multiclass_metrics mm;
    KT_RC(KILN_EEMPTY, kiln_ml_regression_evaluate(empty, &rm));
    KT_RC(KILN_EEMPTY, kiln_ml_binary_evaluate(empty, 0.5, &bm));
    KT_RC(KILN_EEMPTY, kiln_ml_multiclass_evaluate(empty, 2, &mm));
    KT_CHECK(mm.confusion == NULL, "no memory held");
    KT_RC(KILN_EINVAL, kiln_ml_multiclass_evaluate(empty, 0, &mm));
    KT_RC(KILN_EINVAL, kiln_ml_multiclass_evaluate(empty, 5000, &mm));
    KT_RC(KILN_EINVAL, kiln_ml_binary_evaluate(empty, NAN, &bm));
    KT_RC(KILN_EINVAL, kiln_ml_regression_evaluate(NULL, &rm));
    KT_RC(KILN_EINVAL, kiln_ml_binary_evaluate(NULL, 0.5, &bm));
    KT_RC(KILN_EINVAL, kiln_ml_multiclass_evaluate(NULL, 2, &mm));
    kiln_ml_multiclass_metrics_release(NULL);
    kiln_ml_multiclass_metrics_release(&mm);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regression_matches_reference),
        cmocka_unit_test(regression_constant_labels_follow_scikit_learn),
        cmocka_unit_test(binary_worked_example),
        cmocka_unit_test(binary_matches_reference_with_ties),
        cmocka_unit_test(binary_one_class_edges),
        cmocka_unit_test(multiclass_matches_reference),
        cmocka_unit_test(metrics_match_scikit_learn),
        cmocka_unit_test(bad_records_fail_with_clear_errors),
        cmocka_unit_test(bad_arguments_and_empty_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
