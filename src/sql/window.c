/*
 * sql/window.c - window functions over sorted input (window.h): gathering
 * columns into global row order, partition and peer boundaries, the
 * ranking functions, lag/lead, the output vectors, and win_compute. The
 * frame functions (aggregates, first/last/nth_value) are in window_frame.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "sql/sql_error.h"
#include "sql/window_int.h"

/* ---- Types ------------------------------------------------------------------------------- */

win_kind win_kind_of(const col_type *t)
{
    switch (t->kind) {
    case COL_BOOL:
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64:
    case COL_DATE:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_YM:
    case COL_INTERVAL_DT:
        return WK_I64;
    case COL_DECIMAL:
        return col_decimal_is_wide(t) ? WK_I128 : WK_I64;
    case COL_F32:
    case COL_F64:
        return WK_F64;
    case COL_STRING:
    case COL_BINARY:
        return WK_STR;
    default:
        return WK_OTHER;
    }
}

static const char *fn_name(win_fn f)
{
    static const char *const names[] = {"row_number", "rank",    "dense_rank",  "percent_rank",
                                        "cume_dist",  "ntile",   "lag",         "lead",
                                        "first",      "last",    "nth_value",   "count",
                                        "sum",        "avg",     "min",         "max",
                                        "var_samp",   "var_pop", "stddev_samp", "stddev_pop"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

static bool fn_needs_arg(win_fn f)
{
    return f >= WIN_LAG && f != WIN_COUNT;
}

const col_type *win_result_type(kiln_arena *a, const win_spec *s, const col_type *arg)
{
    switch (s->fn) {
    case WIN_ROW_NUMBER:
    case WIN_RANK:
    case WIN_DENSE_RANK:
    case WIN_NTILE:
        return &col_type_i32;
    case WIN_PERCENT_RANK:
    case WIN_CUME_DIST:
        return &col_type_f64;
    case WIN_COUNT:
        return &col_type_i64;
    default:
        break;
    }
    if (!arg) {
        kiln_set_error(KILN_EINVAL, "window function %s needs an argument", fn_name(s->fn));
        return NULL;
    }
    win_kind k = win_kind_of(arg);
    switch (s->fn) {
    case WIN_LAG:
    case WIN_LEAD:
    case WIN_FIRST:
    case WIN_LAST:
    case WIN_NTH_VALUE:
        return arg;
    case WIN_MIN:
    case WIN_MAX:
        if (k != WK_OTHER) return arg;
        break;
    case WIN_SUM:
    case WIN_AVG:
        if (arg->kind == COL_DECIMAL) {
            int p = arg->precision, sc = arg->scale;
            if (s->fn == WIN_SUM) return col_type_decimal(a, p + 10 > 38 ? 38 : p + 10, sc);
            return col_type_decimal(a, p + 4 > 38 ? 38 : p + 4, sc + 4 > 38 ? 38 : sc + 4);
        }
        if (col_type_is_integral(arg)) return s->fn == WIN_SUM ? &col_type_i64 : &col_type_f64;
        if (arg->kind == COL_F32 || arg->kind == COL_F64) return &col_type_f64;
        break;
    case WIN_VAR_SAMP:
    case WIN_VAR_POP:
    case WIN_STDDEV_SAMP:
    case WIN_STDDEV_POP:
        if (col_type_is_numeric(arg)) return &col_type_f64;
        break;
    default:
        break;
    }
    kiln_buf b;
    kiln_buf_init(&b);
    col_type_format(&b, arg);
    kiln_set_error(KILN_EINVAL, "window function %s does not take an argument of type %.*s",
                   fn_name(s->fn), (int)b.len, (const char *)b.data);
    kiln_buf_release(&b);
    return NULL;
}

/* ---- Gathering columns ------------------------------------------------------------------- */

static void *alloc0(kiln_arena *a, size_t n)
{
    void *p = kiln_arena_alloc(a, n ? n : 1);
    if (p) memset(p, 0, n ? n : 1);
    return p;
}

int win_load_col(win_ctx *x, kiln_arena *ar, int col, bool want_canon, win_col *c)
{
    const win_input *in = x->in;
    memset(c, 0, sizeof *c);
    const col_type *t = in->batches[0].cols[col].type;
    c->type = t;
    c->kind = win_kind_of(t);
    size_t w = col_type_width(t);
    uint32_t n = x->n;
    bool nulls = t->kind == COL_NULL;
    for (int b = 0; b < in->nbatches && !nulls; b++)
        if (in->batches[b].cols[col].validity) nulls = true;
    if (nulls) {
        if (!(c->valid = kiln_arena_alloc(ar, n ? n : 1))) return KILN_ENOMEM;
        memset(c->valid, t->kind != COL_NULL, n);
    }
    if (c->kind == WK_OTHER) return KILN_OK; /* nested: gathered row by row */
    if (!(c->raw = kiln_arena_alloc(ar, w * (n ? n : 1)))) return KILN_ENOMEM;
    char *raw = c->raw;
    for (int b = 0; b < in->nbatches; b++) {
        const col_batch *bt = &in->batches[b];
        const col_vec *v = &bt->cols[col];
        uint32_t base = x->bstart[b], m = x->bstart[b + 1] - base;
        if (v->constant) {
            for (uint32_t k = 0; k < m; k++) memcpy(raw + w * (base + k), v->data, w);
            if (c->valid) memset(c->valid + base, col_valid(v, 0), m);
            continue;
        }
        if (!bt->sel) {
            memcpy(raw + w * base, v->data, w * m);
        } else {
            const char *src = v->data;
            for (uint32_t k = 0; k < m; k++) memcpy(raw + w * (base + k), src + w * bt->sel[k], w);
        }
        if (c->valid && v->validity) {
            for (uint32_t k = 0; k < m; k++)
                c->valid[base + k] = col_valid(v, bt->sel ? bt->sel[k] : k);
        }
    }
    if (!want_canon) return KILN_OK;
    if (c->kind == WK_STR) {
        c->canon = c->raw;
        return KILN_OK;
    }
    size_t cw = c->kind == WK_I64 ? 8 : c->kind == WK_I128 ? 16 : 8;
    if (!(c->canon = kiln_arena_alloc(ar, cw * (n ? n : 1)))) return KILN_ENOMEM;
    const uint8_t *vd = c->valid;
#define CONV(DT, ST)                                                                               \
    do {                                                                                           \
        DT *d = c->canon;                                                                          \
        const ST *s = c->raw;                                                                      \
        if (vd)                                                                                    \
            for (uint32_t i = 0; i < n; i++) d[i] = vd[i] ? (DT)s[i] : 0;                          \
        else                                                                                       \
            for (uint32_t i = 0; i < n; i++) d[i] = (DT)s[i];                                      \
    } while (0)
    switch (t->kind) {
    case COL_BOOL:
        CONV(int64_t, uint8_t);
        break;
    case COL_I8:
        CONV(int64_t, int8_t);
        break;
    case COL_I16:
        CONV(int64_t, int16_t);
        break;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        CONV(int64_t, int32_t);
        break;
    case COL_F32:
        CONV(double, float);
        break;
    case COL_F64:
        CONV(double, double);
        break;
    case COL_DECIMAL:
        if (c->kind == WK_I128) CONV(__int128, __int128);
        else CONV(int64_t, int64_t);
        break;
    default: /* i64, timestamps, interval_dt */
        CONV(int64_t, int64_t);
        break;
    }
#undef CONV
    return KILN_OK;
}

int win_prefix_valid(win_ctx *x, kiln_arena *ar, win_col *c)
{
    uint32_t n = x->n;
    if (!(c->cntv = kiln_arena_alloc(ar, sizeof(uint32_t) * ((size_t)n + 1)))) return KILN_ENOMEM;
    if (!(c->pos = kiln_arena_alloc(ar, sizeof(uint32_t) * (n ? n : 1)))) return KILN_ENOMEM;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        c->cntv[i] = k;
        c->pos[k] = i;
        k += c->valid ? c->valid[i] : 1;
    }
    c->cntv[n] = k;
    return KILN_OK;
}

/* Global row -> (batch, row in batch), for nested columns. */
static int build_row_map(win_ctx *x, uint32_t **gb, uint32_t **gr)
{
    uint32_t n = x->n;
    *gb = kiln_arena_alloc(x->spec_tmp, sizeof(uint32_t) * (n ? n : 1));
    *gr = kiln_arena_alloc(x->spec_tmp, sizeof(uint32_t) * (n ? n : 1));
    if (!*gb || !*gr) return KILN_ENOMEM;
    for (int b = 0; b < x->in->nbatches; b++) {
        const col_batch *bt = &x->in->batches[b];
        for (uint32_t g = x->bstart[b]; g < x->bstart[b + 1]; g++) {
            uint32_t k = g - x->bstart[b];
            (*gb)[g] = (uint32_t)b;
            (*gr)[g] = bt->sel ? bt->sel[k] : k;
        }
    }
    return KILN_OK;
}

/* ---- Boundaries -------------------------------------------------------------------------- */

static bool dbl_eq(double a, double b)
{
    return a == b || (a != a && b != b);
}

/* Null-safe equality of two rows of nested (or any) vectors. */
static bool rows_eq(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j)
{
    i = col_row(a, i);
    j = col_row(b, j);
    bool va = col_valid(a, i), vb = col_valid(b, j);
    if (!va || !vb) return va == vb;
    switch (a->type->kind) {
    case COL_NULL:
        return true;
    case COL_F32:
        return dbl_eq(COL_DATA(a, float)[i], COL_DATA(b, float)[j]);
    case COL_F64:
        return dbl_eq(COL_DATA(a, double)[i], COL_DATA(b, double)[j]);
    case COL_STRING:
    case COL_BINARY:
        return col_str_eq(&COL_DATA(a, col_str)[i], &COL_DATA(b, col_str)[j]);
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t la = a->offsets[i + 1] - a->offsets[i], lb = b->offsets[j + 1] - b->offsets[j];
        if (la != lb) return false;
        for (int c = 0; c < a->nchildren; c++)
            for (uint32_t k = 0; k < la; k++)
                if (!rows_eq(&a->children[c], a->offsets[i] + k, &b->children[c],
                             b->offsets[j] + k))
                    return false;
        return true;
    }
    case COL_STRUCT:
        for (int c = 0; c < a->nchildren; c++)
            if (!rows_eq(&a->children[c], i, &b->children[c], j)) return false;
        return true;
    default: {
        size_t w = col_type_width(a->type);
        return memcmp((const char *)a->data + w * i, (const char *)b->data + w * j, w) == 0;
    }
    }
}

/* ORs flag into brk[i] for every row i > 0 whose value of column col
 * differs from row i - 1's. */
static int mark_changes(win_ctx *x, int col, uint8_t *brk, uint8_t flag)
{
    win_col c;
    int rc = win_load_col(x, x->spec_tmp, col, false, &c);
    if (rc) return rc;
    uint32_t n = x->n;
    const uint8_t *vd = c.valid;
    if (c.kind == WK_OTHER) {
        if (c.type->kind == COL_NULL) return KILN_OK;
        uint32_t *gb, *gr;
        if ((rc = build_row_map(x, &gb, &gr))) return rc;
        for (uint32_t i = 1; i < n; i++) {
            const col_vec *a = &x->in->batches[gb[i - 1]].cols[col];
            const col_vec *b = &x->in->batches[gb[i]].cols[col];
            if (!rows_eq(a, gr[i - 1], b, gr[i])) brk[i] |= flag;
        }
        return KILN_OK;
    }
#define CMP_LOOP(T, NE)                                                                            \
    do {                                                                                           \
        const T *v = c.raw;                                                                        \
        if (!vd) {                                                                                 \
            for (uint32_t i = 1; i < n; i++)                                                       \
                if (NE(v[i - 1], v[i])) brk[i] |= flag;                                            \
        } else {                                                                                   \
            for (uint32_t i = 1; i < n; i++)                                                       \
                if (vd[i - 1] != vd[i] || (vd[i] && NE(v[i - 1], v[i]))) brk[i] |= flag;           \
        }                                                                                          \
    } while (0)
#define NE_PLAIN(a, b) ((a) != (b))
#define NE_DBL(a, b) (!dbl_eq((a), (b)))
#define NE_STR(a, b) (!col_str_eq(&(a), &(b)))
    switch (c.type->kind) {
    case COL_F32:
        CMP_LOOP(float, NE_DBL);
        break;
    case COL_F64:
        CMP_LOOP(double, NE_DBL);
        break;
    case COL_STRING:
    case COL_BINARY:
        CMP_LOOP(col_str, NE_STR);
        break;
    default:
        switch (col_type_width(c.type)) {
        case 1:
            CMP_LOOP(uint8_t, NE_PLAIN);
            break;
        case 2:
            CMP_LOOP(uint16_t, NE_PLAIN);
            break;
        case 4:
            CMP_LOOP(uint32_t, NE_PLAIN);
            break;
        case 8:
            CMP_LOOP(uint64_t, NE_PLAIN);
            break;
        default:
            CMP_LOOP(__int128, NE_PLAIN);
            break;
        }
    }
#undef CMP_LOOP
#undef NE_PLAIN
#undef NE_DBL
#undef NE_STR
    return KILN_OK;
}

/* Finds partitions and peer groups (x->parts, x->peers). */
static int find_boundaries(win_ctx *x)
{
    uint32_t n = x->n;
    uint8_t *brk = alloc0(x->tmp, n);
    if (!brk) return KILN_ENOMEM;
    int rc;
    for (int k = 0; k < x->in->npart; k++) {
        if ((rc = mark_changes(x, x->in->part_cols[k], brk, 2))) return rc;
        kiln_arena_reset(x->spec_tmp);
    }
    for (int k = 0; k < x->in->norder; k++) {
        if ((rc = mark_changes(x, x->in->order[k].col, brk, 1))) return rc;
        kiln_arena_reset(x->spec_tmp);
    }
    if (n) brk[0] = 3;
    uint32_t np = 0, ng = 0;
    for (uint32_t i = 0; i < n; i++) {
        np += brk[i] >= 2;
        ng += brk[i] != 0;
    }
    x->parts = kiln_arena_alloc(x->tmp, sizeof(uint32_t) * ((size_t)np + 1));
    x->peers = kiln_arena_alloc(x->tmp, sizeof(uint32_t) * ((size_t)ng + 1));
    if (!x->parts || !x->peers) return KILN_ENOMEM;
    np = ng = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (brk[i] >= 2) x->parts[np++] = i;
        if (brk[i]) x->peers[ng++] = i;
    }
    x->parts[np] = n;
    x->peers[ng] = n;
    x->nparts = np;
    x->npeers = ng;
    x->max_part = 0;
    for (uint32_t p = 0; p < np; p++)
        if (x->parts[p + 1] - x->parts[p] > x->max_part)
            x->max_part = x->parts[p + 1] - x->parts[p];
    return KILN_OK;
}

/* ---- Output ------------------------------------------------------------------------------ */

int win_emit(win_ctx *x, const col_type *t, void *raw, const uint8_t *valid, col_vec *out)
{
    size_t w = col_type_width(t);
    for (int b = 0; b < x->in->nbatches; b++) {
        const col_batch *bt = &x->in->batches[b];
        col_vec *v = &out[b];
        uint32_t base = x->bstart[b], m = x->bstart[b + 1] - base;
        int rc;
        if (!bt->sel) {
            memset(v, 0, sizeof *v);
            v->type = t;
            v->n = bt->n;
            v->data = (char *)raw + w * base;
            if (valid) {
                bool any = false;
                for (uint32_t k = 0; k < m && !any; k++) any = !valid[base + k];
                if (any) {
                    if ((rc = col_vec_add_validity(v, x->out, m))) return rc;
                    for (uint32_t k = 0; k < m; k++)
                        if (!valid[base + k]) col_set_null(v, k);
                }
            }
            continue;
        }
        if ((rc = col_vec_init(v, x->out, t, bt->n))) return rc;
        v->n = bt->n;
        memset(v->data, 0, w * (bt->n ? bt->n : 1));
        if ((rc = col_vec_add_validity(v, x->out, bt->n))) return rc;
        memset(v->validity, 0, COL_VALIDITY_WORDS(bt->n) * 8);
        for (uint32_t k = 0; k < m; k++) {
            uint32_t r = bt->sel[k];
            memcpy((char *)v->data + w * r, (const char *)raw + w * (base + k), w);
            if (!valid || valid[base + k]) col_set_valid(v, r);
        }
    }
    return KILN_OK;
}

int win_emit_all_null(win_ctx *x, const col_type *t, col_vec *out)
{
    for (int b = 0; b < x->in->nbatches; b++) {
        int rc = col_vec_constant(&out[b], x->out, t, NULL, x->in->batches[b].n);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* Nested values: row by row into vectors of their own. */
int win_emit_gather_nested(win_ctx *x, int srccol, const uint32_t *idx, int defcol,
                           const col_vec *def, const col_type *t, col_vec *out)
{
    uint32_t *gb, *gr;
    int rc = build_row_map(x, &gb, &gr);
    if (rc) return rc;
    for (int b = 0; b < x->in->nbatches; b++) {
        const col_batch *bt = &x->in->batches[b];
        col_vec *v = &out[b];
        if ((rc = col_vec_init(v, x->out, t, bt->n))) return rc;
        v->n = bt->n;
        uint32_t base = x->bstart[b], live = 0;
        for (uint32_t r = 0; r < bt->n; r++) {
            const col_vec *src = NULL;
            uint32_t sr = 0;
            if (!bt->sel || (live < bt->nsel && bt->sel[live] == r)) {
                uint32_t g = base + live++;
                uint32_t j = idx[g];
                if (j < x->n) {
                    src = &x->in->batches[gb[j]].cols[srccol];
                    sr = gr[j];
                } else if (j == WIN_DEFAULT && defcol >= 0) {
                    src = &bt->cols[defcol];
                    sr = gr[g];
                } else if (j == WIN_DEFAULT && def) {
                    src = def;
                }
            }
            if (src) {
                if ((rc = col_vec_copy_row(v, x->out, r, src, sr))) return rc;
            } else {
                if ((rc = col_vec_add_validity(v, x->out, bt->n))) return rc;
                col_set_null(v, r);
                if (v->offsets) v->offsets[r + 1] = v->offsets[r];
            }
        }
    }
    return KILN_OK;
}

int win_emit_gather(win_ctx *x, const win_col *src, const uint32_t *idx, const win_col *def_col,
                    const col_vec *def, col_vec *out)
{
    uint32_t n = x->n;
    const col_type *t = src->type;
    size_t w = col_type_width(t);
    char *raw = kiln_arena_alloc(x->out, w * (n ? n : 1));
    uint8_t *valid = kiln_arena_alloc(x->spec_tmp, n ? n : 1);
    if (!raw || !valid) return KILN_ENOMEM;
    memset(raw, 0, w * (n ? n : 1));
    const char *sraw = src->raw;
    const uint8_t *sv = src->valid;
    bool defv = def && col_valid(def, 0);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t j = idx[k];
        if (j < n) {
            memcpy(raw + w * k, sraw + w * j, w);
            valid[k] = sv ? sv[j] : 1;
        } else if (j == WIN_DEFAULT && def_col) {
            memcpy(raw + w * k, (const char *)def_col->raw + w * k, w);
            valid[k] = def_col->valid ? def_col->valid[k] : 1;
        } else if (j == WIN_DEFAULT && defv) {
            memcpy(raw + w * k, def->data, w);
            valid[k] = 1;
        } else {
            valid[k] = 0;
        }
    }
    return win_emit(x, t, raw, valid, out);
}

/* ---- Ranking ----------------------------------------------------------------------------- */

static int ranking(win_ctx *x, const win_spec *s, const col_type *rt, col_vec *out)
{
    uint32_t n = x->n;
    void *raw = kiln_arena_alloc(x->out, 8 * (size_t)(n ? n : 1));
    if (!raw) return KILN_ENOMEM;
    int32_t *iv = raw;
    double *dv = raw;
    uint32_t g = 0; /* peer group */
    for (uint32_t p = 0; p < x->nparts; p++) {
        uint32_t ps = x->parts[p], pe = x->parts[p + 1], rows = pe - ps;
        switch (s->fn) {
        case WIN_ROW_NUMBER:
            for (uint32_t i = ps; i < pe; i++) iv[i] = (int32_t)(i - ps + 1);
            break;
        case WIN_NTILE: {
            uint64_t k = (uint64_t)s->n, size = rows / k, extra = rows % k;
            /* The first `extra` buckets hold size + 1 rows. */
            uint64_t big = extra * (size + 1);
            for (uint32_t i = ps; i < pe; i++) {
                uint64_t r = i - ps;
                iv[i] = (int32_t)(r < big ? r / (size + 1) + 1 : extra + (r - big) / size + 1);
            }
            break;
        }
        default: {
            uint32_t dense = 0;
            for (; g < x->npeers && x->peers[g] < pe; g++) {
                uint32_t gs = x->peers[g], ge = x->peers[g + 1];
                dense++;
                for (uint32_t i = gs; i < ge; i++) {
                    switch (s->fn) {
                    case WIN_RANK:
                        iv[i] = (int32_t)(gs - ps + 1);
                        break;
                    case WIN_DENSE_RANK:
                        iv[i] = (int32_t)dense;
                        break;
                    case WIN_PERCENT_RANK:
                        dv[i] = rows > 1 ? (double)(gs - ps) / (double)(rows - 1) : 0.0;
                        break;
                    default: /* cume_dist */
                        dv[i] = (double)(ge - ps) / (double)rows;
                        break;
                    }
                }
            }
        }
        }
    }
    return win_emit(x, rt, raw, NULL, out);
}

/* ---- lag / lead -------------------------------------------------------------------------- */

static int lag_lead(win_ctx *x, const win_spec *s, const col_type *rt, col_vec *out)
{
    uint32_t n = x->n;
    win_col c, dc;
    int rc = win_load_col(x, x->spec_tmp, s->arg, false, &c);
    if (rc) return rc;
    if (s->def_col >= 0 && (rc = win_load_col(x, x->spec_tmp, s->def_col, false, &dc))) return rc;
    uint32_t *idx = kiln_arena_alloc(x->spec_tmp, sizeof(uint32_t) * (n ? n : 1));
    if (!idx) return KILN_ENOMEM;
    /* Signed distance forward: lead k = +k, lag k = -k. */
    int64_t d = s->fn == WIN_LEAD ? s->n : -s->n;
    bool skip = s->ignore_nulls && d != 0 && c.valid;
    if (skip && (rc = win_prefix_valid(x, x->spec_tmp, &c))) return rc;
    for (uint32_t p = 0; p < x->nparts; p++) {
        int64_t ps = x->parts[p], pe = x->parts[p + 1];
        if (!skip) {
            for (int64_t i = ps; i < pe; i++) {
                int64_t j = i + d;
                idx[i] = j >= ps && j < pe ? (uint32_t)j : WIN_DEFAULT;
            }
            continue;
        }
        /* The d-th non-null row after (before) the current one. */
        int64_t lo = c.cntv[ps], hi = c.cntv[pe];
        for (int64_t i = ps; i < pe; i++) {
            int64_t k = d > 0 ? (int64_t)c.cntv[i + 1] + d - 1 : (int64_t)c.cntv[i] + d;
            idx[i] = k >= lo && k < hi ? c.pos[k] : WIN_DEFAULT;
        }
    }
    if (c.kind == WK_OTHER) {
        if (c.type->kind == COL_NULL) return win_emit_all_null(x, rt, out);
        return win_emit_gather_nested(x, s->arg, idx, s->def_col, s->def, rt, out);
    }
    return win_emit_gather(x, &c, idx, s->def_col >= 0 ? &dc : NULL, s->def, out);
}

/* ---- Entry ------------------------------------------------------------------------------- */

static int check_spec(const win_input *in, const win_spec *s, int i)
{
    int ncols = in->batches[0].ncols;
    if ((unsigned)s->fn > WIN_STDDEV_POP)
        return kiln_set_error(KILN_EINVAL, "window function %d: unknown kind %d", i, (int)s->fn);
    if (fn_needs_arg(s->fn) && (s->arg < 0 || s->arg >= ncols))
        return kiln_set_error(KILN_EINVAL,
                              "window function %d (%s): argument column %d is not "
                              "one of the input's %d columns",
                              i, fn_name(s->fn), s->arg, ncols);
    if (s->fn == WIN_COUNT && s->arg >= ncols)
        return kiln_set_error(KILN_EINVAL, "window function %d (count): no column %d", i, s->arg);
    if (s->fn == WIN_NTILE && (s->n <= 0 || s->n > INT32_MAX))
        return kiln_set_error(KILN_EINVAL,
                              "ntile: the number of buckets must be positive, got %lld",
                              (long long)s->n);
    if (s->fn == WIN_NTH_VALUE && s->n <= 0)
        return kiln_set_error(KILN_EINVAL, "nth_value: the offset must be positive, got %lld",
                              (long long)s->n);
    if ((s->fn == WIN_LAG || s->fn == WIN_LEAD) &&
        (s->n > INT32_MAX || s->n < -(int64_t)INT32_MAX || s->def_col >= ncols))
        return kiln_set_error(KILN_EINVAL, "%s: bad offset %lld or default column %d",
                              fn_name(s->fn), (long long)s->n, s->def_col);
    if (s->fn >= WIN_FIRST && s->fn != WIN_LAG && s->fn != WIN_LEAD) {
        const win_frame *f = &s->frame;
        if (f->unit != WIN_FRAME_DEFAULT) {
            if (f->start.kind == WIN_UNBOUNDED_FOLLOWING ||
                f->end.kind == WIN_UNBOUNDED_PRECEDING ||
                (unsigned)f->start.kind > WIN_UNBOUNDED_FOLLOWING ||
                (unsigned)f->end.kind > WIN_UNBOUNDED_FOLLOWING)
                return kiln_set_error(KILN_EINVAL,
                                      "window function %d (%s): a frame cannot start at UNBOUNDED "
                                      "FOLLOWING or end at UNBOUNDED PRECEDING",
                                      i, fn_name(s->fn));
            bool off = f->start.kind == WIN_PRECEDING || f->start.kind == WIN_FOLLOWING ||
                       f->end.kind == WIN_PRECEDING || f->end.kind == WIN_FOLLOWING;
            if (f->unit == WIN_RANGE && off && in->norder != 1)
                return kiln_set_error(KILN_EINVAL,
                                      "window function %d (%s): a RANGE frame with an offset needs "
                                      "exactly one ORDER BY key, not %d",
                                      i, fn_name(s->fn), in->norder);
        }
    }
    return KILN_OK;
}

int win_compute(kiln_arena *a, const win_input *in, const win_spec *specs, int nspecs,
                col_vec **out)
{
    for (int s = 0; s < nspecs; s++) {
        out[s] = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)(in->nbatches ? in->nbatches : 1));
        if (!out[s]) return KILN_ENOMEM;
    }
    if (in->nbatches == 0) return KILN_OK;
    int ncols = in->batches[0].ncols;
    for (int k = 0; k < in->npart; k++)
        if (in->part_cols[k] < 0 || in->part_cols[k] >= ncols)
            return kiln_set_error(KILN_EINVAL, "window: partition column %d is not one of %d",
                                  in->part_cols[k], ncols);
    for (int k = 0; k < in->norder; k++)
        if (in->order[k].col < 0 || in->order[k].col >= ncols)
            return kiln_set_error(KILN_EINVAL, "window: order column %d is not one of %d",
                                  in->order[k].col, ncols);
    int rc;
    for (int s = 0; s < nspecs; s++)
        if ((rc = check_spec(in, &specs[s], s))) return rc;

    win_ctx x;
    memset(&x, 0, sizeof x);
    x.out = a;
    x.in = in;
    x.tmp = kiln_arena_new();
    x.spec_tmp = kiln_arena_new();
    rc = KILN_ENOMEM;
    if (!x.tmp || !x.spec_tmp) goto done;
    if (!(x.bstart = kiln_arena_alloc(x.tmp, sizeof(uint32_t) * ((size_t)in->nbatches + 1))))
        goto done;
    uint64_t total = 0;
    for (int b = 0; b < in->nbatches; b++) {
        x.bstart[b] = (uint32_t)total;
        total += col_batch_live(&in->batches[b]);
        if (total >= UINT32_MAX - 2) {
            rc = kiln_set_error(KILN_EINVAL, "window: more than %u rows in one task",
                                UINT32_MAX - 3);
            goto done;
        }
    }
    x.bstart[in->nbatches] = (uint32_t)total;
    x.n = (uint32_t)total;
    if ((rc = find_boundaries(&x))) goto done;

    for (int s = 0; s < nspecs; s++) {
        const win_spec *sp = &specs[s];
        const col_type *at = sp->arg >= 0 ? in->batches[0].cols[sp->arg].type : NULL;
        const col_type *rt = win_result_type(a, sp, at);
        if (!rt) {
            rc = at && at->kind == COL_DECIMAL ? KILN_ENOMEM : KILN_EINVAL;
            goto done;
        }
        switch (sp->fn) {
        case WIN_ROW_NUMBER:
        case WIN_RANK:
        case WIN_DENSE_RANK:
        case WIN_PERCENT_RANK:
        case WIN_CUME_DIST:
        case WIN_NTILE:
            rc = ranking(&x, sp, rt, out[s]);
            break;
        case WIN_LAG:
        case WIN_LEAD:
            rc = lag_lead(&x, sp, rt, out[s]);
            break;
        default:
            rc = win_frame_fn(&x, sp, rt, out[s]);
            break;
        }
        kiln_arena_reset(x.spec_tmp);
        if (rc) goto done;
    }
    rc = KILN_OK;
done:
    kiln_arena_free(x.spec_tmp);
    kiln_arena_free(x.tmp);
    return rc;
}
