/*
 * ml/evaluate.c - regression, binary and multiclass metrics over RDDs of
 * (prediction, label) pairs (include/kiln/ml.h, "Evaluation").
 *
 * Each metric family is one kiln job. Regression and multiclass summarise
 * every partition into one KILN_VEC in a map_partitions pass (no per-record
 * allocation) and merge those with tree_aggregate. Binary metrics group the
 * records by distinct score (reduce_by_key of (positives, negatives)
 * counts), sort the groups by score descending into one partition and sweep
 * them on the driver: the counts at the threshold, the log loss and both
 * exact AUCs come from that one pass, so the driver holds one small pair per
 * distinct score.
 *
 * A record that is not a pair of numbers, or that holds a NaN or an infinity,
 * fails the job with a message that shows the record and its partition.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

/* Confusion matrices up to this many classes (4096^2 doubles is 128 MiB). */
#define MAX_CLASSES 4096

/* ---- Records -------------------------------------------------------------- */

static bool is_number(const kiln_value *v)
{
    return v->type == KILN_DOUBLE || v->type == KILN_INT;
}

static double number(const kiln_value *v)
{
    return v->type == KILN_DOUBLE ? v->u.d : (double)v->u.i;
}

/* Fails the task with "<what>: record R in partition P <msg>", the record
 * printed in Spark's style and cut to about 100 bytes. Returns code. */
static int record_fail(kiln_task *t, int code, const char *what, const kiln_value *v,
                       const char *msg)
{
    kiln_buf b;
    kiln_buf_init(&b);
    const char *shown = "?";
    if (kiln_value_format(&b, v) == KILN_OK && kiln_buf_reserve(&b, 1) == KILN_OK) {
        if (b.len > 100) memcpy(b.data + 97, "...", 4);
        else b.data[b.len] = 0;
        shown = (const char *)b.data;
    }
    kiln_task_fail(t, "%s: record %s in partition %d %s", what, shown, kiln_task_partition(t), msg);
    kiln_buf_release(&b);
    return code;
}

/* Reads a (prediction, label) pair of finite numbers; fails the task
 * (KILN_ETYPE for another shape, KILN_ERANGE for NaN or infinity). */
static int pair_parts(kiln_task *t, const char *what, const kiln_value *v, double *pred,
                      double *label)
{
    if (!kiln_is_pair(v) || !is_number(kiln_key(v)) || !is_number(kiln_val(v)))
        return record_fail(t, KILN_ETYPE, what, v, "is not a (prediction, label) pair of numbers");
    *pred = number(kiln_key(v));
    *label = number(kiln_val(v));
    if (!isfinite(*pred) || !isfinite(*label))
        return record_fail(t, KILN_ERANGE, what, v, "holds a NaN or infinite value");
    return KILN_OK;
}

/* Element-wise sum of two equal-length vectors (the combiner of the count
 * summaries). */
static int vec_add(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env)
{
    if (a->type != KILN_VEC || b->type != KILN_VEC || a->len != b->len)
        return kiln_task_fail(t, "evaluate: partial summaries of different shapes");
    double *s = kiln_arena_alloc(kiln_task_arena(t), sizeof *s * (a->len ? a->len : 1));
    if (!s) return KILN_ENOMEM;
    for (uint32_t i = 0; i < a->len; i++) s[i] = a->u.vec[i] + b->u.vec[i];
    *out = kiln_vec_ref(s, a->len);
    return KILN_OK;
}

/* Emits s[0..n) as one VEC built in the task's arena. */
static int emit_vec(kiln_task *t, kiln_out *out, const double *s, size_t n)
{
    kiln_value v = kiln_vec_new(kiln_task_arena(t), s, n);
    if (v.type == KILN_NULL) return KILN_ENOMEM;
    return kiln_emit(out, &v);
}

/* ---- Regression ------------------------------------------------------------ */

/* A partition's summary: Welford's running mean and sum of squared
 * deviations for the label and for the residual (label - prediction), which
 * merge exactly (Chan et al.) and keep the variances accurate where the
 * textbook sum-of-squares formula would cancel. */
enum { R_N, R_MEAN_Y, R_M2_Y, R_MEAN_E, R_M2_E, R_ABS_E, R_SQ_E, R_LEN };

static int regression_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    double s[R_LEN] = {0};
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0) {
        double p, y;
        if ((rc = pair_parts(t, "regression_evaluate", v, &p, &y))) return rc;
        double e = y - p;
        s[R_N] += 1;
        double dy = y - s[R_MEAN_Y], de = e - s[R_MEAN_E];
        s[R_MEAN_Y] += dy / s[R_N];
        s[R_M2_Y] += dy * (y - s[R_MEAN_Y]);
        s[R_MEAN_E] += de / s[R_N];
        s[R_M2_E] += de * (e - s[R_MEAN_E]);
        s[R_ABS_E] += fabs(e);
        s[R_SQ_E] += e * e;
    }
    if (rc < 0) return rc;
    return emit_vec(t, out, s, R_LEN);
}

/* Merges two regression summaries (either may be the empty zero). */
static int regression_merge(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                            const void *env)
{
    if (a->type != KILN_VEC || b->type != KILN_VEC || a->len != R_LEN || b->len != R_LEN)
        return kiln_task_fail(t, "regression_evaluate: partial summaries of the wrong shape");
    const double *x = a->u.vec, *y = b->u.vec;
    if (y[R_N] == 0 || x[R_N] == 0) {
        *out = y[R_N] == 0 ? *a : *b;
        return KILN_OK;
    }
    double s[R_LEN];
    double n = x[R_N] + y[R_N], w = x[R_N] * y[R_N] / n;
    double dy = y[R_MEAN_Y] - x[R_MEAN_Y], de = y[R_MEAN_E] - x[R_MEAN_E];
    s[R_N] = n;
    s[R_MEAN_Y] = x[R_MEAN_Y] + dy * (y[R_N] / n);
    s[R_M2_Y] = x[R_M2_Y] + y[R_M2_Y] + dy * dy * w;
    s[R_MEAN_E] = x[R_MEAN_E] + de * (y[R_N] / n);
    s[R_M2_E] = x[R_M2_E] + y[R_M2_E] + de * de * w;
    s[R_ABS_E] = x[R_ABS_E] + y[R_ABS_E];
    s[R_SQ_E] = x[R_SQ_E] + y[R_SQ_E];
    *out = kiln_vec_new(kiln_task_arena(t), s, R_LEN);
    return out->type == KILN_NULL ? KILN_ENOMEM : KILN_OK;
}

/* 1 - num/den with scikit-learn's finite convention (force_finite): 1 when
 * the numerator is 0 (a perfect fit, constant labels included), 0 when only
 * the denominator is 0 (constant labels fitted imperfectly). */
static double one_minus_ratio(double num, double den)
{
    if (num == 0) return 1.0;
    if (den == 0) return 0.0;
    return 1.0 - num / den;
}

/* Computes mse, rmse, mae, r2 (1 - SSres/SStot) and the explained variance
 * (1 - Var(y - yhat)/Var(y)) as scikit-learn defines them. pred_label is
 * borrowed. Returns KILN_OK; KILN_EEMPTY for an empty RDD; a job's error
 * (KILN_ETYPE for a record that is not a pair of numbers, KILN_ERANGE for a
 * NaN or infinity) with the message naming the record. */
int kiln_ml_regression_evaluate(kiln_rdd *pred_label, kiln_ml_regression_metrics *out)
{
    memset(out, 0, sizeof *out);
    if (!pred_label) return kiln_set_error(KILN_EINVAL, "regression_evaluate: the RDD is NULL");
    kiln_rdd *parts = kiln_rdd_map_partitions(pred_label, regression_part, NULL, 0);
    if (!parts) return KILN_EINVAL;
    kiln_arena *a = kiln_arena_new();
    if (!a) {
        kiln_rdd_free(parts);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    double zeros[R_LEN] = {0};
    kiln_value zero = kiln_vec_ref(zeros, R_LEN), sum;
    int rc = kiln_rdd_tree_aggregate(parts, &zero, regression_merge, regression_merge, NULL, 0, 2,
                                     a, &sum);
    kiln_rdd_free(parts);
    if (rc == KILN_OK && (sum.type != KILN_VEC || sum.len != R_LEN))
        rc = kiln_set_error(KILN_EJOB, "regression_evaluate: bad summary");
    if (rc == KILN_OK && sum.u.vec[R_N] == 0)
        rc = kiln_set_error(KILN_EEMPTY, "regression_evaluate: the RDD is empty");
    if (rc == KILN_OK) {
        const double *s = sum.u.vec;
        double n = s[R_N];
        out->count = (int64_t)n;
        out->mse = s[R_SQ_E] / n;
        out->rmse = sqrt(out->mse);
        out->mae = s[R_ABS_E] / n;
        out->r2 = one_minus_ratio(s[R_SQ_E], s[R_M2_Y]);
        out->explained_variance = one_minus_ratio(s[R_M2_E], s[R_M2_Y]);
    }
    kiln_arena_free(a);
    return rc;
}

/* ---- Binary classification ------------------------------------------------- */

/* (score, label) -> (score, [positives, negatives]) for one record. */
static int binary_key(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    static const char what[] = "binary_evaluate";
    double score, label;
    int rc = pair_parts(t, what, in, &score, &label);
    if (rc) return rc;
    if (label != 0 && label != 1)
        return record_fail(t, KILN_ERANGE, what, in, "has a label other than 0 or 1");
    if (score < 0 || score > 1)
        return record_fail(t, KILN_ERANGE, what, in,
                           "has a score outside [0, 1] (expected a probability of label 1)");
    double counts[2] = {label, 1 - label};
    kiln_arena *a = kiln_task_arena(t);
    kiln_value c = kiln_vec_new(a, counts, 2);
    if (c.type == KILN_NULL) return KILN_ENOMEM;
    /* + 0.0 turns -0.0 into 0.0, so the key prints as the score it is. */
    *out = kiln_pair(a, kiln_double(score + 0.0), c);
    return out->type == KILN_NULL ? KILN_ENOMEM : KILN_OK;
}

/* The driver's sweep over the groups in descending score order. */
typedef struct binary_sweep {
    double pos, neg;       /* totals */
    double tp, fp, tn, fn; /* at the threshold */
    long double log_loss;  /* sum over records */
    long double roc;       /* sum of neg * (positives above + pos / 2) */
    double pr;             /* trapezoids over (recall, precision) */
} binary_sweep;

/* Reads the collected groups: every item must be (DOUBLE, VEC[2]). */
static int group_parts(const kiln_value *g, double *score, double *pos, double *neg)
{
    if (!kiln_is_pair(g) || kiln_key(g)->type != KILN_DOUBLE || kiln_val(g)->type != KILN_VEC ||
        kiln_val(g)->len != 2)
        return kiln_set_error(KILN_EJOB, "binary_evaluate: bad group from the shuffle");
    *score = kiln_key(g)->u.d;
    *pos = kiln_val(g)->u.vec[0];
    *neg = kiln_val(g)->u.vec[1];
    return KILN_OK;
}

/* One pass over the sorted groups. The ROC area is the Mann-Whitney sum: a
 * negative counts the positives scored above it plus half of those tied with
 * it, which is exactly the trapezoid rule over the ROC points at distinct
 * thresholds (scikit-learn's roc_auc_score). The PR curve is Spark's: the
 * point (recall, precision) after each distinct threshold, preceded by
 * (0, the first point's precision). */
static int binary_sweep_run(const kiln_value *groups, double threshold, binary_sweep *s)
{
    const kiln_value *g = groups->u.items;
    size_t n = groups->len;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        double score, pos, neg;
        int rc = group_parts(&g[i], &score, &pos, &neg);
        if (rc) return rc;
        s->pos += pos;
        s->neg += neg;
    }
    double tp = 0, fp = 0, last_recall = 0, last_precision = 0;
    for (size_t i = 0; i < n; i++) {
        double score, pos, neg;
        (void)group_parts(&g[i], &score, &pos, &neg); /* checked above */
        if (score >= threshold) {
            s->tp += pos;
            s->fp += neg;
        } else {
            s->fn += pos;
            s->tn += neg;
        }
        double p = score < 1e-15 ? 1e-15 : score > 1 - 1e-15 ? 1 - 1e-15 : score;
        if (pos) s->log_loss -= (long double)pos * logl(p);
        if (neg) s->log_loss -= (long double)neg * logl(1 - p);
        s->roc += (long double)neg * ((long double)tp + pos / 2.0L);
        tp += pos;
        fp += neg;
        double recall = s->pos == 0 ? 0 : tp / s->pos;
        double precision = tp + fp == 0 ? 1 : tp / (tp + fp);
        if (i == 0) last_precision = precision;
        s->pr += (recall - last_recall) * (precision + last_precision) / 2;
        last_recall = recall;
        last_precision = precision;
    }
    return KILN_OK;
}

/* Precision, recall and F1 from counts, 0 where undefined (scikit-learn's
 * zero_division=0). */
static void prf(double tp, double fp, double fn, double *precision, double *recall, double *f1)
{
    *precision = tp + fp == 0 ? 0 : tp / (tp + fp);
    *recall = tp + fn == 0 ? 0 : tp / (tp + fn);
    double d = *precision + *recall;
    *f1 = d == 0 ? 0 : 2 * *precision * *recall / d;
}

/* Computes the counts at threshold (score >= threshold predicts 1),
 * accuracy, precision, recall, F1, log loss (scores clipped to
 * [1e-15, 1 - 1e-15]) and the exact ROC and PR areas. score_label (borrowed)
 * holds (score in [0, 1], label 0 or 1) pairs. auc_roc is NaN when only one
 * class is present (scikit-learn refuses that case); auc_pr is Spark's then
 * (0 without positives, 1 without negatives). Returns KILN_OK, KILN_EINVAL
 * for a NaN threshold, KILN_EEMPTY for an empty RDD, or the job's error
 * (KILN_ETYPE, KILN_ERANGE for a NaN, a label not 0/1 or a score outside
 * [0, 1]) naming the record. */
int kiln_ml_binary_evaluate(kiln_rdd *score_label, double threshold, kiln_ml_binary_metrics *out)
{
    memset(out, 0, sizeof *out);
    if (!score_label) return kiln_set_error(KILN_EINVAL, "binary_evaluate: the RDD is NULL");
    if (isnan(threshold)) return kiln_set_error(KILN_EINVAL, "binary_evaluate: threshold is NaN");
    kiln_rdd *keyed = kiln_rdd_map(score_label, binary_key, NULL, 0);
    kiln_rdd *grouped = kiln_rdd_reduce_by_key(keyed, vec_add, NULL, 0, 0);
    /* One sorted partition: the driver reads every group anyway, and with a
     * single range the sort runs no sampling job at construction, whose
     * error code would be lost (the collect reports a bad record's). */
    kiln_rdd *sorted = kiln_rdd_sort_by_key(grouped, false, 1);
    kiln_rdd_free(keyed); /* the temporary RDDs and their shuffles go with sorted */
    kiln_rdd_free(grouped);
    if (!sorted) return KILN_EINVAL;
    kiln_arena *a = kiln_arena_new();
    if (!a) {
        kiln_rdd_free(sorted);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    kiln_value groups;
    binary_sweep s;
    int rc = kiln_rdd_collect(sorted, a, &groups);
    kiln_rdd_free(sorted);
    if (rc == KILN_OK) rc = binary_sweep_run(&groups, threshold, &s);
    if (rc == KILN_OK && s.pos + s.neg == 0)
        rc = kiln_set_error(KILN_EEMPTY, "binary_evaluate: the RDD is empty");
    if (rc == KILN_OK) {
        double n = s.pos + s.neg;
        out->count = (int64_t)n;
        out->tp = (int64_t)s.tp;
        out->fp = (int64_t)s.fp;
        out->tn = (int64_t)s.tn;
        out->fn = (int64_t)s.fn;
        out->accuracy = (s.tp + s.tn) / n;
        prf(s.tp, s.fp, s.fn, &out->precision, &out->recall, &out->f1);
        out->log_loss = (double)(s.log_loss / n);
        out->auc_roc = s.pos > 0 && s.neg > 0 ? (double)(s.roc / ((long double)s.pos * s.neg))
                                              : NAN;
        out->auc_pr = s.pr;
    }
    kiln_arena_free(a);
    return rc;
}

/* ---- Multiclass classification --------------------------------------------- */

typedef struct multiclass_env {
    int k;
} multiclass_env;

/* A class index from a record's number, or -1 when it is not an integer in
 * [0, k). */
static int class_of(double x, int k)
{
    return x >= 0 && x < k && x == floor(x) ? (int)x : -1;
}

/* A partition's confusion matrix (label * k + prediction) as one VEC. */
static int multiclass_part(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    static const char what[] = "multiclass_evaluate";
    int k = ((const multiclass_env *)env)->k;
    size_t cells = (size_t)k * (size_t)k;
    double *c = kiln_arena_alloc(kiln_task_arena(t), sizeof *c * cells);
    if (!c) return KILN_ENOMEM;
    memset(c, 0, sizeof *c * cells);
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0) {
        double p, y;
        if ((rc = pair_parts(t, what, v, &p, &y))) return rc;
        int pc = class_of(p, k), yc = class_of(y, k);
        if (pc < 0 || yc < 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "has a %s that is not a class in 0..%d",
                     pc < 0 ? "prediction" : "label", k - 1);
            return record_fail(t, KILN_ERANGE, what, v, msg);
        }
        c[(size_t)yc * (size_t)k + (size_t)pc] += 1;
    }
    if (rc < 0) return rc;
    kiln_value m = kiln_vec_ref(c, cells);
    return kiln_emit(out, &m);
}

/* Fills accuracy and Spark's weighted metrics from out->confusion: each
 * class's precision, recall and F1 weighted by its share of the labels
 * (classes that never occur as a label weigh nothing). */
static void multiclass_finish(kiln_ml_multiclass_metrics *out)
{
    int k = out->num_classes;
    const int64_t *c = out->confusion;
    double n = (double)out->count, correct = 0;
    for (int l = 0; l < k; l++) {
        double tp = (double)c[(size_t)l * k + l], actual = 0, predicted = 0;
        for (int j = 0; j < k; j++) {
            actual += (double)c[(size_t)l * k + j];
            predicted += (double)c[(size_t)j * k + l];
        }
        correct += tp;
        if (actual == 0) continue;
        double precision, recall, f1, w = actual / n;
        prf(tp, predicted - tp, actual - tp, &precision, &recall, &f1);
        out->weighted_precision += w * precision;
        out->weighted_recall += w * recall;
        out->weighted_f1 += w * f1;
    }
    out->accuracy = correct / n;
}

/* Computes the confusion matrix of classes 0..num_classes-1 (predictions and
 * labels must be integers in that range), the accuracy and the weighted
 * precision, recall and F1. pred_label is borrowed; out->confusion is owned
 * by out until kiln_ml_multiclass_metrics_release. Returns KILN_OK,
 * KILN_EINVAL for num_classes outside [1, 4096], KILN_EEMPTY for an empty
 * RDD, or the job's error (KILN_ETYPE, KILN_ERANGE) naming the record; on
 * error out holds no memory. */
int kiln_ml_multiclass_evaluate(kiln_rdd *pred_label, int num_classes,
                                kiln_ml_multiclass_metrics *out)
{
    memset(out, 0, sizeof *out);
    if (!pred_label) return kiln_set_error(KILN_EINVAL, "multiclass_evaluate: the RDD is NULL");
    if (num_classes < 1 || num_classes > MAX_CLASSES)
        return kiln_set_error(KILN_EINVAL, "multiclass_evaluate: num_classes %d is outside [1, %d]",
                              num_classes, MAX_CLASSES);
    multiclass_env env = {.k = num_classes};
    kiln_rdd *parts = kiln_rdd_map_partitions(pred_label, multiclass_part, &env, sizeof env);
    if (!parts) return KILN_EINVAL;
    size_t cells = (size_t)num_classes * (size_t)num_classes;
    kiln_arena *a = kiln_arena_new();
    double *zeros = calloc(cells, sizeof *zeros);
    int64_t *confusion = calloc(cells, sizeof *confusion);
    int rc = KILN_OK;
    if (!a || !zeros || !confusion) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    kiln_value sum;
    if (rc == KILN_OK) {
        kiln_value zero = kiln_vec_ref(zeros, cells);
        rc = kiln_rdd_tree_aggregate(parts, &zero, vec_add, vec_add, NULL, 0, 2, a, &sum);
    }
    kiln_rdd_free(parts);
    if (rc == KILN_OK && (sum.type != KILN_VEC || sum.len != cells))
        rc = kiln_set_error(KILN_EJOB, "multiclass_evaluate: bad summary");
    int64_t count = 0;
    for (size_t i = 0; rc == KILN_OK && i < cells; i++) {
        confusion[i] = (int64_t)sum.u.vec[i];
        count += confusion[i];
    }
    if (rc == KILN_OK && count == 0)
        rc = kiln_set_error(KILN_EEMPTY, "multiclass_evaluate: the RDD is empty");
    if (rc == KILN_OK) {
        out->num_classes = num_classes;
        out->count = count;
        out->confusion = confusion;
        confusion = NULL;
        multiclass_finish(out);
    }
    free(confusion);
    free(zeros);
    kiln_arena_free(a);
    return rc;
}

/* Frees the confusion matrix and clears m (NULL or a cleared m is fine). */
void kiln_ml_multiclass_metrics_release(kiln_ml_multiclass_metrics *m)
{
    if (!m) return;
    free(m->confusion);
    memset(m, 0, sizeof *m);
}
