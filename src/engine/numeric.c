/*
 * engine/numeric.c - actions on numbers (stats, sum, mean) and on the total
 * order of values (min, max). Each partition computes a StatCounter-style
 * summary (count, mean, M2 by Welford, min, max, sum); the driver merges them
 * with Chan's parallel formula.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

typedef struct summary {
    int64_t n;
    double mean, m2, min, max, sum;
} summary;

static void add(summary *s, double x)
{
    s->n++;
    double d = x - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
    s->sum += x;
    if (s->n == 1) {
        s->min = s->max = x;
    } else {
        if (x < s->min) s->min = x;
        if (x > s->max) s->max = x;
    }
}

static void merge(summary *a, const summary *b)
{
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double d = b->mean - a->mean;
    int64_t n = a->n + b->n;
    a->mean += d * (double)b->n / (double)n;
    a->m2 += b->m2 + d * d * (double)a->n * (double)b->n / (double)n;
    a->sum += b->sum;
    a->min = b->min < a->min ? b->min : a->min;
    a->max = b->max > a->max ? b->max : a->max;
    a->n = n;
}

static int stats_part(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    summary s = {0};
    const kiln_value *vals;
    size_t n;
    int rc;
    while ((rc = it->next(it, t, &vals, &n)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (vals[i].type == KILN_INT) add(&s, (double)vals[i].u.i);
            else if (vals[i].type == KILN_DOUBLE) add(&s, vals[i].u.d);
            else
                return task_error(t, KILN_ETYPE, "stats: value of type %d is not a number",
                                  vals[i].type);
        }
    }
    if (rc < 0) return rc;
    return kiln_buf_append(out, &s, sizeof s);
}

SHIPPED_ACTION(stats_part);

int kiln_rdd_stats(kiln_rdd *r, kiln_stats *out)
{
    if (!r) return kiln_set_error(KILN_EINVAL, "stats: the RDD is NULL");
    kiln_buf *res = calloc((size_t)r->nparts + 1, sizeof *res);
    if (!res) return kiln_set_error(KILN_ENOMEM, "out of memory");
    shipped_action ship = {stats_part, NULL, 0};
    int rc = job_run_shipped(r, NULL, 0, stats_part, NULL, &ship, res, "stats");
    summary s = {0};
    for (int i = 0; i < r->nparts; i++) {
        summary p;
        if (rc == KILN_OK && res[i].len == sizeof p) {
            memcpy(&p, res[i].data, sizeof p);
            merge(&s, &p);
        }
        kiln_buf_release(&res[i]);
    }
    free(res);
    if (rc) return rc;
    double nan = NAN;
    *out = (kiln_stats){.count = s.n,
                        .sum = s.sum,
                        .mean = s.n ? s.mean : nan,
                        .min = s.n ? s.min : INFINITY,
                        .max = s.n ? s.max : -INFINITY};
    out->variance = s.n ? s.m2 / (double)s.n : nan;
    out->sample_variance = s.n > 1 ? s.m2 / (double)(s.n - 1) : nan;
    out->stdev = sqrt(out->variance);
    out->sample_stdev = sqrt(out->sample_variance);
    return KILN_OK;
}

int kiln_rdd_sum(kiln_rdd *r, double *out)
{
    kiln_stats s;
    int rc = kiln_rdd_stats(r, &s);
    if (rc == KILN_OK) *out = s.sum;
    return rc;
}

int kiln_rdd_mean(kiln_rdd *r, double *out)
{
    kiln_stats s;
    int rc = kiln_rdd_stats(r, &s);
    if (rc == KILN_OK) *out = s.mean;
    return rc;
}

static int pick_min(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                    const void *env)
{
    *out = kiln_value_cmp(a, b) <= 0 ? *a : *b;
    return 0;
}

static int pick_max(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                    const void *env)
{
    *out = kiln_value_cmp(a, b) >= 0 ? *a : *b;
    return 0;
}

int kiln_rdd_min(kiln_rdd *r, kiln_arena *a, kiln_value *out)
{
    return kiln_rdd_reduce(r, pick_min, NULL, 0, a, out);
}

int kiln_rdd_max(kiln_rdd *r, kiln_arena *a, kiln_value *out)
{
    return kiln_rdd_reduce(r, pick_max, NULL, 0, a, out);
}
