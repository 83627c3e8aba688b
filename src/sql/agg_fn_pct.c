/*
 * sql/agg_fn_pct.c - the percentile aggregates of agg_fn.h: median(x),
 * percentile(x, p) (exact, Spark's linear interpolation between the
 * values at ranks floor and ceil of p * (n - 1)), and percentile_approx /
 * approx_percentile(x, p[, accuracy]), answered exactly: the value at rank
 * ceil(p * n), what Spark's sketch returns while it is exact.
 *
 * A group's state keeps its non-null values (an arena list, as
 * collect_list) and p; the partial state is the values as an array and p.
 * Finalize sorts the list in place (later updates may still add to it, as
 * a window's growing frame does).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "sql/agg_fn.h"
#include "sql/ops_int.h"

typedef struct pct_st {
    void *v; /* n values: double, or int64_t (percentile_approx of integers, dates, ...) */
    uint32_t n, cap;
    double p;
    uint32_t has_p;
    uint32_t pad;
} pct_st;

#define ST(g) ((pct_st *)(states + (size_t)(g)*stride))
#define CST(g) ((const pct_st *)(states + (size_t)(g)*stride))

/* Whether the values are kept as int64 (the input's own values). */
static bool is_approx(const agg_bound *b)
{
    return strcmp(b->def->name, "percentile_approx") == 0 ||
           strcmp(b->def->name, "approx_percentile") == 0;
}

/* Whether the values are kept as int64: percentile_approx's of integers,
 * decimals, dates and timestamps (its result is one of them). */
static bool keeps_ints(const agg_bound *b)
{
    int phys = ops_phys(b->args[0]);
    return is_approx(b) && phys != OPS_P_F32 && phys != OPS_P_F64;
}

/* Row i of a numeric vector as a double. */
static double num_at(const col_vec *v, uint32_t i)
{
    uint32_t r = col_row(v, i);
    const col_type *t = v->type;
    switch (t->kind) {
    case COL_BOOL:
    case COL_I8:
        return ((const int8_t *)v->data)[r];
    case COL_I16:
        return ((const int16_t *)v->data)[r];
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        return ((const int32_t *)v->data)[r];
    case COL_F32:
        return ((const float *)v->data)[r];
    case COL_F64:
        return ((const double *)v->data)[r];
    case COL_DECIMAL: {
        double x = col_decimal_is_wide(t) ? (double)((const __int128 *)v->data)[r]
                                          : (double)((const int64_t *)v->data)[r];
        return x / pow(10, t->scale);
    }
    default:
        return (double)((const int64_t *)v->data)[r];
    }
}

/* Row i of an integer-like vector as int64. */
static int64_t int_at(const col_vec *v, uint32_t i)
{
    uint32_t r = col_row(v, i);
    switch (ops_phys(v->type)) {
    case OPS_P_I8:
        return ((const int8_t *)v->data)[r];
    case OPS_P_I16:
        return ((const int16_t *)v->data)[r];
    case OPS_P_I32:
        return ((const int32_t *)v->data)[r];
    default:
        return ((const int64_t *)v->data)[r];
    }
}

static int push(agg_ctx *c, pct_st *s, const void *val)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        void *g = kiln_arena_alloc(c->arena, (size_t)cap * 8);
        if (!g) return KILN_ENOMEM;
        if (s->n) memcpy(g, s->v, (size_t)s->n * 8);
        s->v = g;
        s->cap = cap;
    }
    memcpy((char *)s->v + (size_t)s->n * 8, val, 8);
    s->n++;
    return KILN_OK;
}

static int set_p(agg_ctx *c, pct_st *s, double p)
{
    if (!(p >= 0.0 && p <= 1.0))
        return kiln_set_error(KILN_ESQL,
                              "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve \"%s\": "
                              "the percentage must be between [0.0, 1.0], but got %g.",
                              c->expr ? c->expr : "percentile", p);
    s->p = p;
    s->has_p = 1;
    return KILN_OK;
}

static int pct_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                      uint32_t count)
{
    bool ints = keeps_ints(b);
    bool median = b->nargs == 1;
    int rc;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        pct_st *s = ST(gids ? gids[k] : 0);
        if (!s->has_p) {
            if (median) {
                s->p = 0.5;
                s->has_p = 1;
            } else if (col_valid(&args[1], r) && (rc = set_p(c, s, num_at(&args[1], r)))) {
                return rc;
            }
        }
        if (!col_valid(&args[0], r)) continue;
        if (ints) {
            int64_t x = int_at(&args[0], r);
            rc = push(c, s, &x);
        } else {
            double x = ops_norm_f64(num_at(&args[0], r));
            rc = push(c, s, &x);
        }
        if (rc) return rc;
    }
    return KILN_OK;
}

static int pct_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                     const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    (void)b;
    const col_vec *el = &sc[0].children[0];
    int rc;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        pct_st *s = ST(gids ? gids[k] : 0);
        if (!s->has_p && col_valid(&sc[1], r)) {
            s->p = ((const double *)sc[1].data)[col_row(&sc[1], r)];
            s->has_p = 1;
        }
        if (!col_valid(&sc[0], r)) continue;
        uint32_t rr = col_row(&sc[0], r);
        for (uint32_t e = sc[0].offsets[rr]; e < sc[0].offsets[rr + 1]; e++)
            if ((rc = push(c, s, (const char *)el->data + (size_t)e * 8))) return rc;
    }
    return KILN_OK;
}

static int pct_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    uint32_t total = 0;
    for (uint32_t j = 0; j < count; j++) total += CST(j)->n;
    int rc = ops_vec_make(&out[0].children[0], c->out, b->state_types[0]->elem, total, false);
    if (rc) return rc;
    uint32_t at = 0;
    for (uint32_t j = 0; j < count; j++) {
        const pct_st *s = CST(j);
        if (s->n) memcpy((char *)out[0].children[0].data + (size_t)at * 8, s->v, (size_t)s->n * 8);
        at += s->n;
        out[0].offsets[j + 1] = at;
        if (s->has_p) ((double *)out[1].data)[j] = s->p;
        else col_set_null(&out[1], j);
    }
    return KILN_OK;
}

static int cmp_f64(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y); /* NaN is the largest */
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int pct_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                   uint32_t count, col_vec *out)
{
    (void)c;
    bool ints = keeps_ints(b), approx = is_approx(b);
    int phys = ops_phys(b->result);
    for (uint32_t j = 0; j < count; j++) {
        pct_st *s = (pct_st *)CST(j);
        if (!s->n || !s->has_p) {
            col_set_null(out, j);
            continue;
        }
        qsort(s->v, s->n, 8, ints ? cmp_i64 : cmp_f64);
        if (approx) {
            uint64_t rank = (uint64_t)ceil(s->p * s->n);
            uint32_t i = rank ? (uint32_t)(rank - 1) : 0;
            if (i >= s->n) i = s->n - 1;
            if (!ints) {
                double x = ((const double *)s->v)[i];
                if (phys == OPS_P_F32) ((float *)out->data)[j] = (float)x;
                else ((double *)out->data)[j] = x;
                continue;
            }
            int64_t x = ((const int64_t *)s->v)[i];
            switch (phys) {
            case OPS_P_I8:
                ((int8_t *)out->data)[j] = (int8_t)x;
                break;
            case OPS_P_I16:
                ((int16_t *)out->data)[j] = (int16_t)x;
                break;
            case OPS_P_I32:
                ((int32_t *)out->data)[j] = (int32_t)x;
                break;
            default:
                ((int64_t *)out->data)[j] = x;
                break;
            }
            continue;
        }
        const double *v = s->v;
        double pos = s->p * (double)(s->n - 1);
        double lo = floor(pos), hi = ceil(pos);
        double x = v[(uint32_t)lo];
        if (hi != lo) x = (hi - pos) * v[(uint32_t)lo] + (pos - lo) * v[(uint32_t)hi];
        ((double *)out->data)[j] = x;
    }
    return KILN_OK;
}

static int bind_fail(agg_bound *b, const char *cls, const char *msg)
{
    b->err_cls = cls;
    b->err_msg = msg;
    return KILN_ESQL;
}

/* median(x), percentile(x, p), percentile_approx(x, p[, accuracy]). */
int agg_bind_percentile(agg_bound *b, kiln_arena *a)
{
    bool approx = is_approx(b);
    const col_type *x = b->args[0];
    int phys = ops_phys(x);
    bool ok = col_type_is_numeric(x) && phys != OPS_P_I128;
    if (approx)
        ok |= x->kind == COL_DATE || x->kind == COL_TIMESTAMP || x->kind == COL_TIMESTAMP_NTZ ||
              x->kind == COL_INTERVAL_YM || x->kind == COL_INTERVAL_DT;
    else ok |= phys == OPS_P_I128;
    if (x->kind == COL_NULL) {
        b->args[0] = x = &col_type_f64;
        ok = true;
    }
    if (!ok)
        return bind_fail(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                         approx ? "percentile_approx needs a numeric, date or timestamp argument"
                                : "percentile and median need a numeric argument");
    if (b->nargs >= 2 && !col_type_is_numeric(b->args[1]))
        return bind_fail(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                         "the percentage must be a numeric constant between 0.0 and 1.0");
    if (b->nargs == 3 && !col_type_is_integral(b->args[2]))
        return bind_fail(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                         "the accuracy must be an integer constant");
    b->result = approx ? x : &col_type_f64;
    b->state_size = sizeof(pct_st);
    b->update = pct_update;
    b->merge = pct_merge;
    b->finalize = pct_out;
    b->partial = pct_partial;
    b->nstate = 2;
    b->state_types[0] = col_type_array(a, keeps_ints(b) ? &col_type_i64 : &col_type_f64, false);
    b->state_types[1] = &col_type_f64;
    return b->state_types[0] ? KILN_OK : KILN_ENOMEM;
}
