/*
 * sql/agg_fn_pct.c - the percentile aggregates of agg_fn.h: median(x),
 * percentile(x, p) (exact, Spark's linear interpolation between the
 * values at ranks floor and ceil of p * (n - 1)), and percentile_approx /
 * approx_percentile(x, p[, accuracy]), answered exactly: the value at rank
 * ceil(p * n), what Spark's sketch returns while it is exact. p may be an
 * array of percentages (the result is then an array, one value each).
 *
 * A group's state keeps its non-null values (doubles, or int64s for
 * percentile_approx of integers, dates, ...) in arena chunks, each twice
 * the previous one (full chunks are linked, never copied while update
 * fills the next), and p (or the array of them). update converts a
 * batch's live values with one loop per input type and appends them; the
 * partial state is the values as an array of raw doubles / int64s (no
 * element nulls) and p; merge appends a partial array with one copy into
 * a single chunk. Finalize makes the values one chunk and selects the
 * order statistics it needs in place (select_nth.h: introselect, no
 * comparator call) instead of sorting; later updates may still add to the
 * values, as a window's growing frame does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "sql/agg_fn.h"
#include "sql/ops_int.h"
#include "sql/select_nth.h"

/* A full chunk of values, older than the one being filled; its n values
 * follow the header. */
typedef struct pct_chunk {
    struct pct_chunk *next; /* an older one */
    uint32_t n;
    uint32_t pad;
} pct_chunk;

typedef struct pct_st {
    /* The chunk being filled: n values of cap, double or int64_t
     * (percentile_approx of integers, dates, ...), after a pct_chunk. */
    void *v;
    uint32_t n, cap;
    pct_chunk *old;   /* full chunks (update's; merge and finalize keep one chunk) */
    uint32_t nold;    /* values in them */
    uint32_t has_p;   /* 1: p, 2: ps */
    double p;         /* the percentage (median: unused, 0.5) */
    const double *ps; /* an array of percentages: np of them, in the arena */
    uint32_t np;
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

/* Whether p is an array of percentages (the result an array). */
static bool p_array(const agg_bound *b)
{
    return b->nargs >= 2 && b->args[1]->kind == COL_ARRAY;
}

/* Rows rows[0..m) of numeric vector x as (normalised) doubles into out. */
static void load_f64(const col_vec *x, const uint32_t *rows, uint32_t m, double *out)
{
    const col_type *t = x->type;
    uint32_t c = x->constant ? 0 : UINT32_MAX; /* constant: row 0 for every row */
#define LOAD(T, CONV)                                                                              \
    do {                                                                                           \
        const T *d = x->data;                                                                      \
        for (uint32_t q = 0; q < m; q++) out[q] = CONV(d[rows[q] & c]);                            \
    } while (0)
#define AS_DOUBLE(e) ((double)(e))
    switch (t->kind) {
    case COL_BOOL:
    case COL_I8:
        LOAD(int8_t, AS_DOUBLE);
        break;
    case COL_I16:
        LOAD(int16_t, AS_DOUBLE);
        break;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        LOAD(int32_t, AS_DOUBLE);
        break;
    case COL_F32:
        LOAD(float, ops_norm_f64);
        break;
    case COL_F64:
        LOAD(double, ops_norm_f64);
        break;
    case COL_DECIMAL: {
        double scale = pow(10, t->scale);
        if (col_decimal_is_wide(t)) LOAD(__int128, AS_DOUBLE);
        else LOAD(int64_t, AS_DOUBLE);
        for (uint32_t q = 0; q < m; q++) out[q] = out[q] / scale;
        break;
    }
    default:
        LOAD(int64_t, AS_DOUBLE);
        break;
    }
}

/* Rows rows[0..m) of integer-like vector x as int64 into out. */
static void load_i64(const col_vec *x, const uint32_t *rows, uint32_t m, int64_t *out)
{
    uint32_t c = x->constant ? 0 : UINT32_MAX;
#define AS_I64(e) ((int64_t)(e))
    switch (ops_phys(x->type)) {
    case OPS_P_I8:
        LOAD(int8_t, AS_I64);
        break;
    case OPS_P_I16:
        LOAD(int16_t, AS_I64);
        break;
    case OPS_P_I32:
        LOAD(int32_t, AS_I64);
        break;
    default:
        LOAD(int64_t, AS_I64);
        break;
    }
#undef LOAD
}

#define PCT_MAX_VALUES (UINT32_MAX / 2)

/* A new chunk of cap values for s to fill; the current one (if it holds
 * values) joins the old ones, nothing is copied. */
static int new_chunk(agg_ctx *c, pct_st *s, uint64_t cap)
{
    if ((uint64_t)s->nold + s->n + cap > PCT_MAX_VALUES)
        return kiln_set_error(KILN_ENOMEM, "percentile: more than 2^31 values in one group");
    pct_chunk *h = kiln_arena_alloc(c->arena, sizeof *h + (size_t)cap * 8);
    if (!h) return KILN_ENOMEM;
    if (s->n) {
        pct_chunk *cur = (pct_chunk *)s->v - 1;
        cur->n = s->n;
        cur->next = s->old;
        s->old = cur;
        s->nold += s->n;
    }
    s->v = h + 1;
    s->n = 0;
    s->cap = (uint32_t)cap;
    return KILN_OK;
}

/* Copies every value of s (the old chunks', then the current one's) to
 * out; returns how many. */
static uint32_t copy_values(const pct_st *s, void *out)
{
    uint32_t at = 0;
    for (const pct_chunk *h = s->old; h; h = h->next) {
        memcpy((char *)out + (size_t)at * 8, h + 1, (size_t)h->n * 8);
        at += h->n;
    }
    if (s->n) memcpy((char *)out + (size_t)at * 8, s->v, (size_t)s->n * 8);
    return at + s->n;
}

/* Makes s's values one chunk with room for extra more (copied into a new
 * chunk, at least twice the current one, when they are not). */
static int flatten(agg_ctx *c, pct_st *s, uint32_t extra)
{
    uint64_t want = (uint64_t)s->nold + s->n + extra;
    if (!s->old && want <= s->cap) return KILN_OK;
    if (want > PCT_MAX_VALUES)
        return kiln_set_error(KILN_ENOMEM, "percentile: more than 2^31 values in one group");
    uint64_t cap = want > 2 * (uint64_t)s->cap ? want : 2 * (uint64_t)s->cap;
    if (cap > PCT_MAX_VALUES) cap = want;
    pct_chunk *h = kiln_arena_alloc(c->arena, sizeof *h + (size_t)cap * 8);
    if (!h) return KILN_ENOMEM;
    s->n = copy_values(s, h + 1);
    s->v = h + 1;
    s->cap = (uint32_t)cap;
    s->old = NULL;
    s->nold = 0;
    return KILN_OK;
}

static int range_error(agg_ctx *c, double p)
{
    return kiln_set_error(KILN_ESQL,
                          "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve \"%s\": "
                          "the percentage must be between [0.0, 1.0], but got %g.",
                          c->expr ? c->expr : "percentile", p);
}

/* Row r of the percentage argument pv (null: nothing) into s: checked
 * against [0, 1]; an array is copied into the arena (*last: the previous
 * copy, reused when equal). */
static int take_p(agg_ctx *c, pct_st *s, const col_vec *pv, uint32_t r, const double **last,
                  uint32_t *nlast)
{
    if (!col_valid(pv, r)) return KILN_OK;
    uint32_t rr = col_row(pv, r);
    if (pv->type->kind != COL_ARRAY) {
        double p;
        load_f64(pv, &rr, 1, &p);
        if (!(p >= 0.0 && p <= 1.0)) return range_error(c, p);
        s->p = p;
        s->has_p = 1;
        return KILN_OK;
    }
    uint32_t e0 = pv->offsets[rr], np = pv->offsets[rr + 1] - e0;
    const col_vec *el = &pv->children[0];
    double buf[64], *ps = np <= 64 ? buf : malloc((size_t)np * sizeof *ps);
    if (!ps) return KILN_ENOMEM;
    int rc = KILN_OK;
    for (uint32_t i = 0; i < np && !rc; i++) {
        uint32_t e = e0 + i;
        if (!col_valid(el, e))
            rc = kiln_set_error(KILN_ESQL,
                                "[DATATYPE_MISMATCH.UNEXPECTED_NULL] Cannot resolve \"%s\": "
                                "the percentages must not be null.",
                                c->expr ? c->expr : "percentile");
        else load_f64(el, &e, 1, &ps[i]);
        if (!rc && !(ps[i] >= 0.0 && ps[i] <= 1.0)) rc = range_error(c, ps[i]);
    }
    if (!rc && !(*last && *nlast == np && memcmp(*last, ps, (size_t)np * sizeof *ps) == 0)) {
        double *copy = kiln_arena_alloc(c->arena, (size_t)np * sizeof *ps + 1);
        if (!copy) rc = KILN_ENOMEM;
        else {
            memcpy(copy, ps, (size_t)np * sizeof *ps);
            *last = copy;
            *nlast = np;
        }
    }
    if (ps != buf) free(ps);
    if (rc) return rc;
    s->ps = *last;
    s->np = np;
    s->has_p = 2;
    return KILN_OK;
}

static int pct_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                      uint32_t count)
{
    bool ints = keeps_ints(b);
    const col_vec *x = &args[0], *pv = b->nargs >= 2 ? &args[1] : NULL;
    const double *last = NULL;
    uint32_t nlast = 0;
    int rc;
    /* A constant scalar p (the usual case) is checked once, not per group. */
    pct_st cp = {0};
    bool const_p = pv && pv->constant && pv->type->kind != COL_ARRAY;
    if (const_p && (rc = take_p(c, &cp, pv, 0, &last, &nlast))) return rc;
    uint32_t rows[COL_VEC_SIZE], gl[COL_VEC_SIZE];
    union {
        double d[COL_VEC_SIZE];
        int64_t i[COL_VEC_SIZE];
    } vals;
    for (uint32_t off = 0; off < count; off += COL_VEC_SIZE) {
        uint32_t cnt = count - off < COL_VEC_SIZE ? count - off : COL_VEC_SIZE, m = 0;
        /* The chunk's live rows and their groups; each group's p. */
        for (uint32_t k = off; k < off + cnt; k++) {
            uint32_t r = sel ? sel[k] : k, g = gids ? gids[k] : 0;
            pct_st *s = ST(g);
            if (pv && !s->has_p) {
                if (const_p) {
                    s->p = cp.p;
                    s->has_p = cp.has_p;
                } else if ((rc = take_p(c, s, pv, r, &last, &nlast))) {
                    return rc;
                }
            }
            rows[m] = r;
            gl[m] = g;
            m += col_valid(x, r);
        }
        if (!m) continue;
        if (ints) load_i64(x, rows, m, vals.i);
        else load_f64(x, rows, m, vals.d);
        if (!gids) { /* one group: one copy */
            pct_st *s = ST(0);
            if ((s->old || m > s->cap - s->n) && (rc = flatten(c, s, m))) return rc;
            memcpy((char *)s->v + (size_t)s->n * 8, vals.d, (size_t)m * 8);
            s->n += m;
            continue;
        }
        for (uint32_t q = 0; q < m; q++) {
            pct_st *s = ST(gl[q]);
            if (__builtin_expect(s->n == s->cap, 0) &&
                (rc = new_chunk(c, s, s->cap ? 2 * (uint64_t)s->cap : 8)))
                return rc;
            ((uint64_t *)s->v)[s->n++] = ((const uint64_t *)vals.d)[q];
        }
    }
    return KILN_OK;
}

static int pct_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                     const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    bool median = b->nargs == 1;
    const col_vec *el = &sc[0].children[0];
    const double *last = NULL;
    uint32_t nlast = 0;
    int rc;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        pct_st *s = ST(gids ? gids[k] : 0);
        if (!median && !s->has_p && (rc = take_p(c, s, &sc[1], r, &last, &nlast))) return rc;
        if (!col_valid(&sc[0], r)) continue;
        uint32_t rr = col_row(&sc[0], r);
        uint32_t e0 = sc[0].offsets[rr], m = sc[0].offsets[rr + 1] - e0;
        if (!m) continue;
        if ((s->old || m > s->cap - s->n) && (rc = flatten(c, s, m))) return rc;
        memcpy((char *)s->v + (size_t)s->n * 8, (const char *)el->data + (size_t)e0 * 8,
               (size_t)m * 8);
        s->n += m;
    }
    return KILN_OK;
}

static int pct_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    bool median = b->nargs == 1, arr = p_array(b);
    uint64_t total = 0, ptotal = 0;
    for (uint32_t j = 0; j < count; j++) {
        total += CST(j)->nold + CST(j)->n;
        ptotal += CST(j)->has_p == 2 ? CST(j)->np : 0;
    }
    if (total > UINT32_MAX || ptotal > UINT32_MAX)
        return kiln_set_error(KILN_ENOMEM, "percentile: more than 2^32 values in one batch");
    int rc = ops_vec_make(&out[0].children[0], c->out, b->state_types[0]->elem, (uint32_t)total,
                          false);
    if (!rc && arr)
        rc = ops_vec_make(&out[1].children[0], c->out, &col_type_f64, (uint32_t)ptotal, false);
    if (rc) return rc;
    uint32_t at = 0, pat = 0;
    for (uint32_t j = 0; j < count; j++) {
        const pct_st *s = CST(j);
        at += copy_values(s, (char *)out[0].children[0].data + (size_t)at * 8);
        out[0].offsets[j + 1] = at;
        if (arr) {
            if (s->has_p == 2 && s->np)
                memcpy((double *)out[1].children[0].data + pat, s->ps, (size_t)s->np * 8);
            pat += s->has_p == 2 ? s->np : 0;
            out[1].offsets[j + 1] = pat;
        }
        if (median) ((double *)out[1].data)[j] = 0.5;
        else if (s->has_p == 1) ((double *)out[1].data)[j] = s->p;
        else if (!s->has_p) col_set_null(&out[1], j);
    }
    return KILN_OK;
}

/* Index of percentile_approx's answer among n sorted values: rank
 * ceil(p * n), 1-based, clamped to [1, n]. */
static uint32_t approx_index(double p, uint32_t n)
{
    uint64_t rank = (uint64_t)ceil(p * n);
    uint32_t i = rank ? (uint32_t)(rank - 1) : 0;
    return i >= n ? n - 1 : i;
}

/* The ranks percentile's answer for p interpolates between: *lo and *hi
 * (equal when p * (n - 1) is whole). */
static void interp_ranks(double p, uint32_t n, int64_t *lo, int64_t *hi)
{
    double pos = p * (double)(n - 1);
    *lo = (int64_t)floor(pos);
    *hi = (int64_t)ceil(pos);
}

/* percentile's answer for p from n values whose ranks interp_ranks names
 * are in place: linear interpolation between the two. */
static double interp(const double *v, uint32_t n, double p)
{
    double pos = p * (double)(n - 1);
    double lo = floor(pos), hi = ceil(pos);
    double x = v[(uint32_t)lo];
    if (hi != lo) x = (hi - pos) * v[(uint32_t)lo] + (pos - lo) * v[(uint32_t)hi];
    return x;
}

/* Stores value i of v (doubles, or int64s when ints) as element at of
 * out, of physical type phys. */
static void put(col_vec *out, uint32_t at, int phys, const void *v, uint32_t i, bool ints)
{
    if (!ints) {
        double x = ((const double *)v)[i];
        if (phys == OPS_P_F32) ((float *)out->data)[at] = (float)x;
        else ((double *)out->data)[at] = x;
        return;
    }
    int64_t x = ((const int64_t *)v)[i];
    switch (phys) {
    case OPS_P_I8:
        ((int8_t *)out->data)[at] = (int8_t)x;
        break;
    case OPS_P_I16:
        ((int16_t *)out->data)[at] = (int16_t)x;
        break;
    case OPS_P_I32:
        ((int32_t *)out->data)[at] = (int32_t)x;
        break;
    default:
        ((int64_t *)out->data)[at] = x;
        break;
    }
}

/* Puts the values of ranks[0..nr) in place among s's values (ranks
 * sorted in place). */
static void select_ranks(pct_st *s, bool ints, int64_t *ranks, size_t nr)
{
    if (ints) sel_ranks_i64(s->v, s->n, ranks, nr);
    else sel_ranks_f64(s->v, s->n, ranks, nr);
}

/* The answers for s's percentages (an array) into out's elements from at. */
static void out_array(pct_st *s, bool approx, bool ints, int phys, int64_t *ranks, col_vec *el,
                      uint32_t at)
{
    size_t nr = 0;
    for (uint32_t i = 0; i < s->np; i++) {
        if (approx) {
            ranks[nr++] = approx_index(s->ps[i], s->n);
        } else {
            interp_ranks(s->ps[i], s->n, &ranks[nr], &ranks[nr + 1]);
            nr += 2;
        }
    }
    select_ranks(s, ints, ranks, nr);
    for (uint32_t i = 0; i < s->np; i++) {
        if (approx) put(el, at + i, phys, s->v, approx_index(s->ps[i], s->n), ints);
        else ((double *)el->data)[at + i] = interp(s->v, s->n, s->ps[i]);
    }
}

static int pct_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                   uint32_t count, col_vec *out)
{
    bool ints = keeps_ints(b), approx = is_approx(b), median = b->nargs == 1;
    /* Each group's values in one chunk, to select in. */
    for (uint32_t j = 0; j < count; j++) {
        pct_st *s = (pct_st *)CST(j);
        int rc = s->old ? flatten(c, s, 0) : KILN_OK;
        if (rc) return rc;
    }
    if (p_array(b)) {
        int phys = ops_phys(b->result->elem);
        uint64_t total = 0;
        uint32_t maxp = 0;
        for (uint32_t j = 0; j < count; j++) {
            const pct_st *s = CST(j);
            if (!s->n || s->has_p != 2) continue;
            total += s->np;
            maxp = s->np > maxp ? s->np : maxp;
        }
        if (total > UINT32_MAX)
            return kiln_set_error(KILN_ENOMEM, "percentile: more than 2^32 results in one batch");
        int64_t *ranks = malloc(((size_t)maxp * 2 + 1) * sizeof *ranks);
        int rc = ranks ? ops_vec_make(&out->children[0], c->out, b->result->elem, (uint32_t)total,
                                      false)
                       : KILN_ENOMEM;
        uint32_t at = 0;
        for (uint32_t j = 0; j < count && !rc; j++) {
            pct_st *s = (pct_st *)CST(j);
            if (s->n && s->has_p == 2) {
                out_array(s, approx, ints, phys, ranks, &out->children[0], at);
                at += s->np;
            } else {
                col_set_null(out, j);
            }
            out->offsets[j + 1] = at;
        }
        free(ranks);
        return rc;
    }
    int phys = ops_phys(b->result);
    for (uint32_t j = 0; j < count; j++) {
        pct_st *s = (pct_st *)CST(j);
        if (!s->n || !(median || s->has_p == 1)) {
            col_set_null(out, j);
            continue;
        }
        double p = median ? 0.5 : s->p;
        if (approx) {
            uint32_t i = approx_index(p, s->n);
            if (ints) sel_nth_i64(s->v, s->n, i);
            else sel_nth_f64(s->v, s->n, i);
            put(out, j, phys, s->v, i, ints);
            continue;
        }
        int64_t r[2];
        interp_ranks(p, s->n, &r[0], &r[1]);
        select_ranks(s, false, r, r[1] != r[0] ? 2 : 1);
        ((double *)out->data)[j] = interp(s->v, s->n, p);
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
    bool arr = p_array(b);
    if (b->nargs >= 2 && !col_type_is_numeric(arr ? b->args[1]->elem : b->args[1]))
        return bind_fail(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                         "the percentage must be a numeric constant between 0.0 and 1.0, or an "
                         "array of them");
    if (b->nargs == 3 && !col_type_is_integral(b->args[2]))
        return bind_fail(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                         "the accuracy must be an integer constant");
    const col_type *one = approx ? x : &col_type_f64;
    b->result = arr ? col_type_array(a, one, false) : one;
    b->state_size = sizeof(pct_st);
    b->update = pct_update;
    b->merge = pct_merge;
    b->finalize = pct_out;
    b->partial = pct_partial;
    b->nstate = 2;
    b->state_types[0] = col_type_array(a, keeps_ints(b) ? &col_type_i64 : &col_type_f64, false);
    b->state_types[1] = arr ? col_type_array(a, &col_type_f64, false) : &col_type_f64;
    return b->state_types[0] && b->state_types[1] && b->result ? KILN_OK : KILN_ENOMEM;
}
