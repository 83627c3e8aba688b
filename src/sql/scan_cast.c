/*
 * sql/scan_cast.c - the literals of filters pushed into scans
 * (scan_dataset.c) when the analyser left casts around them: Spark's
 * comparisons coerce `bigint_col = 1` to `bigint_col = CAST(1 AS BIGINT)`,
 * `date_col <= '1998-09-02'` to a cast of the string to date,
 * `l_shipdate <= date '1998-12-01' - interval '90' day` to arithmetic
 * over literals, and `int_col = 3000000000` to
 * `CAST(int_col AS BIGINT) = 3000000000`. The constant side is folded
 * once at planning (only casts, literals and arithmetic: never functions
 * of the query's time); a column under a widening cast (one that maps
 * its values one to one and in order) is unwrapped when the literal
 * converts to the column's type exactly (a cast back gives the same
 * value), so the pushed filter selects exactly what the comparison does.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/scan_int.h"

/* Functions a pushed literal may be computed with. */
static bool safe_fn(const char *name)
{
    static const char *const ok[] = {"+",        "-",        "*",          "/",
                                     "negative", "date_add", "date_sub",   "add_months",
                                     "try_add",  "-date",    "date_minus", "date_plus"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(name, ok[i]) == 0) return true;
    return false;
}

/* Whether e is a constant of literals, casts and arithmetic. */
static bool safe_const(const expr *e)
{
    switch (e->kind) {
    case EX_LIT:
        return true;
    case EX_CAST:
        return !e->try_ && safe_const(e->args[0]);
    case EX_CALL:
        if (!safe_fn(e->fn->name) || (e->fn->flags & FN_NONDETERMINISTIC)) return false;
        for (int i = 0; i < e->nargs; i++)
            if (!safe_const(e->args[i])) return false;
        return true;
    default:
        return false;
    }
}

/* Folds constant e at planning (errors: not pushed); NULL when it is not
 * one or its value is null. */
static expr *fold(kiln_arena *a, const opt *o, expr *e)
{
    if (!safe_const(e)) return NULL;
    fn_ctx fc = {.arena = a, .ansi = true, .tz = o->tz ? o->tz : "UTC"};
    int rc = expr_fold(a, &fc, &e);
    free(fc.error);
    if (rc || e->kind != EX_LIT || !col_valid(&e->lit, 0)) return NULL;
    return e;
}

static int int_digits(col_kind k)
{
    switch (k) {
    case COL_I8:
        return 3;
    case COL_I16:
        return 5;
    case COL_I32:
        return 10;
    case COL_I64:
        return 19;
    default:
        return 0;
    }
}

/* Whether every value of from maps to a distinct value of to, in order. */
static bool widening(const col_type *from, const col_type *to)
{
    int df = int_digits(from->kind), dt = int_digits(to->kind);
    if (df && dt) return dt >= df;
    if (df && to->kind == COL_DECIMAL) return to->precision - to->scale >= df;
    if (df && to->kind == COL_F64) return df <= 10;
    if (from->kind == COL_F32 && to->kind == COL_F64) return true;
    if (from->kind == COL_DECIMAL && to->kind == COL_DECIMAL)
        return to->scale >= from->scale &&
               to->precision - to->scale >= from->precision - from->scale;
    return false;
}

/* Whether the one-row literals x and y (of one type) hold the same value. */
static bool same_value(const expr *x, const expr *y)
{
    size_t w = col_type_width(x->type);
    uint32_t rx = col_row(&x->lit, 0), ry = col_row(&y->lit, 0);
    if (w)
        return memcmp((const char *)x->lit.data + w * rx, (const char *)y->lit.data + w * ry, w) ==
               0;
    if (x->type->kind == COL_STRING)
        return col_str_eq(&((const col_str *)x->lit.data)[rx], &((const col_str *)y->lit.data)[ry]);
    return false;
}

/* The column under e (e itself, or under a widening cast), or NULL. */
const expr *scan_cast_col(const expr *e)
{
    if (e->kind == EX_COL) return e;
    if (e->kind == EX_CAST && !e->try_ && e->args[0]->kind == EX_COL &&
        widening(e->args[0]->type, e->type))
        return e->args[0];
    return NULL;
}

/* v with its value as its text (EXPLAIN shows PushedFilters' values). */
static expr *named(kiln_arena *a, const opt *o, expr *v)
{
    expr *c = expr_cast(a, v, &col_type_string, false, v->text);
    expr *t = c ? fold(a, o, c) : NULL;
    if (!t) return v;
    const col_str *str = &((const col_str *)t->lit.data)[col_row(&t->lit, 0)];
    char *text = kiln_arena_alloc(a, str->len + 1);
    if (!text) return v;
    memcpy(text, col_str_data(str), str->len);
    text[str->len] = 0;
    v->text = text;
    return v;
}

/* The literal of type col->type that k compared with side (col, or col
 * under a widening cast) stands for, or NULL when there is none exact. */
expr *scan_cast_lit(kiln_arena *a, const opt *o, const expr *side, const expr *col, expr *k)
{
    if (!col_type_eq(k->type, side->type)) return NULL;
    expr *v = fold(a, o, k);
    if (!v) return NULL;
    if (side == col) return named(a, o, v);
    /* In the column's type, and back: the same value, or not exact. */
    expr *c = expr_cast(a, v, col->type, false, v->text);
    expr *in_col = c ? fold(a, o, c) : NULL;
    expr *back = in_col ? expr_cast(a, in_col, v->type, false, v->text) : NULL;
    back = back ? fold(a, o, back) : NULL;
    if (!back || !same_value(back, v)) return NULL;
    return named(a, o, in_col);
}

/* ---- Conjuncts over partition columns ---------------------------------------------- */

/* Whether every column of e is a partition column of s (and e is
 * deterministic); *first: one of them. */
static bool over_parts(const plan *s, const expr *e, int *first)
{
    int ndata = s->src.schema.n - s->src.npart;
    if (e->kind > EX_NOT_NULL) return false;
    if (e->kind == EX_COL) {
        int c = s->proj[e->col];
        if (c < ndata) return false;
        if (*first < 0) *first = c;
        return true;
    }
    if (e->kind == EX_CALL && (e->fn->flags & FN_NONDETERMINISTIC)) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!over_parts(s, e->args[i], first)) return false;
    return true;
}

bool scan_part_expr(kiln_arena *a, const plan *s, expr *c, plan_pushed *out)
{
    int first = -1;
    if (!s->src.npart || !over_parts(s, c, &first) || first < 0) return false;
    int ndata = s->src.schema.n - s->src.npart;
    int *map = kiln_arena_alloc(a, sizeof *map * (size_t)(s->ncols + 1));
    expr **vals = kiln_arena_alloc(a, sizeof *vals);
    if (!map || !vals) return false;
    for (int i = 0; i < s->ncols; i++) map[i] = s->proj[i] - ndata;
    if (!(vals[0] = expr_remap(a, c, map, 0))) return false;
    *out = (plan_pushed){first, SCAN_PUSHED_PART_EXPR, 1, vals, c->text};
    return true;
}

int scan_prune_exprs(const plan *p, const ds_dataset *d, kiln_arena *a, bool *keep)
{
    int ndata = p->src.schema.n - p->src.npart;
    col_vec *cols = NULL;
    for (int i = 0; i < p->src.npushed; i++) {
        const plan_pushed *f = &p->src.pushed[i];
        if (f->op != SCAN_PUSHED_PART_EXPR) continue;
        if (!cols) {
            /* The partitions' values in the plan's partition column order. */
            cols = kiln_arena_alloc(a, sizeof *cols * (size_t)p->src.npart);
            if (!cols) return KILN_ENOMEM;
            for (int j = 0; j < p->src.npart; j++) {
                const col_field *pf = &p->src.schema.fields[ndata + j];
                int c = 0;
                while (c < d->parts.n && strcasecmp(d->parts.fields[c].name, pf->name)) c++;
                if (c == d->parts.n || !col_type_eq(d->values[c].type, pf->type)) return KILN_OK;
                cols[j] = d->values[c];
            }
        }
        col_batch b = {p->src.npart, (uint32_t)d->ndirs, cols, NULL, 0};
        fn_ctx fc = {.arena = a, .ansi = true, .tz = "UTC"};
        int rc = expr_filter(f->vals[0], &fc, &b);
        free(fc.error);
        if (rc) continue; /* not decided here: every partition stays */
        uint32_t k = 0;
        for (uint32_t r = 0; r < (uint32_t)d->ndirs; r++) {
            bool pass = b.sel ? (k < b.nsel && b.sel[k] == r) : true;
            if (pass) k++;
            else keep[r] = false;
        }
    }
    return KILN_OK;
}
