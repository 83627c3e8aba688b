/*
 * sql/expr.c - building bound expressions and evaluating them over batches
 * (expr.h).
 */
#include "sql/expr.h"

#include <stdio.h>
#include <string.h>

#include "kiln.h"

static expr *node(kiln_arena *a, expr_kind kind, const col_type *t, const char *text)
{
    expr *e = kiln_arena_alloc(a, sizeof *e);
    if (!e) return NULL;
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->type = t;
    e->nullable = true;
    e->text = text ? text : "";
    return e;
}

expr *expr_col(kiln_arena *a, int col, const col_type *t, bool nullable, const char *text)
{
    expr *e = node(a, EX_COL, t, text);
    if (e) {
        e->col = col;
        e->nullable = nullable;
    }
    return e;
}

expr *expr_lit(kiln_arena *a, const col_type *t, const void *val, const char *text)
{
    expr *e = node(a, EX_LIT, t, text);
    if (!e || col_vec_constant(&e->lit, a, t, val, 1)) return NULL;
    e->nullable = val == NULL;
    return e;
}

expr *expr_node(kiln_arena *a, expr_kind kind, const col_type *t, expr **args, int nargs,
                const char *text)
{
    expr *e = node(a, kind, t, text);
    if (!e) return NULL;
    e->args = kiln_arena_alloc(a, sizeof *e->args * (size_t)(nargs ? nargs : 1));
    if (!e->args) return NULL;
    if (nargs) memcpy(e->args, args, sizeof *args * (size_t)nargs);
    e->nargs = nargs;
    bool nullable = kind == EX_CASE && !(nargs & 1); /* no ELSE: null when nothing matches */
    for (int i = 0; i < nargs; i++) nullable |= args[i]->nullable;
    if (kind == EX_IS_NULL || kind == EX_NOT_NULL) nullable = false;
    e->nullable = nullable;
    e->has_else = kind == EX_CASE && (nargs & 1);
    return e;
}

expr *expr_cast(kiln_arena *a, expr *arg, const col_type *to, bool try_, const char *text)
{
    if (col_type_eq(arg->type, to)) return arg;
    expr *e = expr_node(a, EX_CAST, to, &arg, 1, text ? text : arg->text);
    if (e) {
        e->try_ = try_;
        e->nullable = arg->nullable || try_ || arg->type->kind == COL_STRING;
    }
    return e;
}

expr *expr_call(kiln_arena *a, const char *name, expr **args, int nargs, bool ansi, const char *tz,
                const char *text)
{
    const fn_def *fn = fn_lookup(name);
    if (!fn) {
        kiln_set_error(KILN_ESQL, "unknown function %s", name);
        return NULL;
    }
    if (nargs < fn->min_args || (fn->max_args >= 0 && nargs > fn->max_args) ||
        nargs > FN_MAX_ARGS) {
        char want[48];
        if (fn->min_args == fn->max_args) snprintf(want, sizeof want, "%d", fn->min_args);
        else if (fn->max_args < 0) snprintf(want, sizeof want, "at least %d", fn->min_args);
        else snprintf(want, sizeof want, "[%d, %d]", fn->min_args, fn->max_args);
        kiln_set_error(KILN_ESQL,
                       "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %s parameters but "
                       "the actual number is %d.",
                       name, want, nargs);
        return NULL;
    }
    fn_bind b;
    memset(&b, 0, sizeof b);
    b.arena = a;
    b.nargs = nargs;
    b.ansi = ansi;
    b.tz = tz;
    b.err_arg = -1;
    for (int i = 0; i < nargs; i++) {
        b.args[i] = args[i]->type;
        b.consts[i] = args[i]->kind == EX_LIT ? &args[i]->lit : NULL;
    }
    if (fn->bind(&b) != KILN_OK || !b.kernel || !b.result) {
        const char *arg = b.err_arg >= 0 && b.err_arg < nargs ? args[b.err_arg]->text : NULL;
        kiln_set_error(KILN_ESQL, "[%s] %s%s%s%s", b.err_cls ? b.err_cls : "DATATYPE_MISMATCH",
                       b.err_msg ? b.err_msg : "cannot bind the arguments of the function",
                       arg ? " (argument `" : "", arg ? arg : "", arg ? "`)" : "");
        return NULL;
    }
    expr *cast[FN_MAX_ARGS];
    for (int i = 0; i < nargs; i++) {
        cast[i] = args[i];
        if (b.want[i] && !col_type_eq(b.want[i], args[i]->type)) {
            if (!fn_can_cast(args[i]->type, b.want[i], ansi) && args[i]->type->kind != COL_NULL) {
                kiln_set_error(KILN_ESQL,
                               "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] "
                               "argument `%s` of %s cannot be cast to the type "
                               "the function needs",
                               args[i]->text, name);
                return NULL;
            }
            cast[i] = expr_cast(a, args[i], b.want[i], false, args[i]->text);
            if (!cast[i]) return NULL;
        }
    }
    expr *e = expr_node(a, EX_CALL, b.result, cast, nargs, text);
    if (!e) return NULL;
    e->fn = fn;
    e->kernel = b.kernel;
    e->state = b.state;
    if (fn->flags & FN_NULL_IN_NULL_OUT) e->nullable = e->nullable || b.nullable;
    else e->nullable = true;
    return e;
}

/* ---- Evaluation ------------------------------------------------------------ */

/* The live rows of b: its selection, or NULL for all b->n. */
static inline uint32_t live(const col_batch *b)
{
    return col_batch_live(b);
}

/* Makes out a vector for b's rows of type t with a validity bitmap. */
static int out_vec(fn_ctx *c, const col_batch *b, const col_type *t, col_vec *out)
{
    uint32_t n = b->n ? b->n : 1;
    int rc = col_vec_init(out, c->arena, t, n);
    if (!rc) rc = col_vec_add_validity(out, c->arena, n);
    out->n = b->n;
    return rc;
}

/* Marks null in out every live row where v is null. */
static void nulls_from(col_vec *out, const col_vec *v, const col_batch *b)
{
    if (!v->validity) return;
    if (v->constant) {
        if (!col_valid(v, 0)) {
            uint32_t cnt = live(b);
            for (uint32_t k = 0; k < cnt; k++) col_set_null(out, b->sel ? b->sel[k] : k);
        }
        return;
    }
    if (!b->sel) {
        for (size_t w = 0; w < COL_VALIDITY_WORDS(b->n); w++) out->validity[w] &= v->validity[w];
        return;
    }
    for (uint32_t k = 0; k < b->nsel; k++)
        if (!col_valid(v, b->sel[k])) col_set_null(out, b->sel[k]);
}

static int eval_call(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out)
{
    col_vec argv[FN_MAX_ARGS];
    bool all_const = true;
    for (int i = 0; i < e->nargs; i++) {
        int rc = expr_eval(e->args[i], c, in, &argv[i]);
        if (rc) return rc;
        all_const &= argv[i].constant;
    }
    c->expr = e->text; /* the arguments' evaluation set it to theirs */
    if (all_const && !(e->fn->flags & FN_NONDETERMINISTIC)) {
        /* One row computed, standing for all. */
        col_batch one = {.ncols = 0, .n = 1};
        int rc = out_vec(c, &one, e->type, out);
        if (rc) return rc;
        if (e->fn->flags & FN_NULL_IN_NULL_OUT)
            for (int i = 0; i < e->nargs; i++)
                if (!col_valid(&argv[i], 0)) col_set_null(out, 0);
        if (col_valid(out, 0) || !(e->fn->flags & FN_NULL_IN_NULL_OUT))
            if ((rc = e->kernel(c, e->state, out, argv, e->nargs, NULL, 1, 1))) return rc;
        out->constant = true;
        out->n = in->n;
        return KILN_OK;
    }
    int rc = out_vec(c, in, e->type, out);
    if (rc) return rc;
    if (e->fn->flags & FN_NULL_IN_NULL_OUT)
        for (int i = 0; i < e->nargs; i++) nulls_from(out, &argv[i], in);
    return e->kernel(c, e->state, out, argv, e->nargs, in->sel, in->n, live(in));
}

static int eval_cast(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out)
{
    col_vec arg;
    int rc = expr_eval(e->args[0], c, in, &arg);
    if (rc) return rc;
    if (arg.constant) {
        col_batch one = {.ncols = 0, .n = 1};
        if ((rc = out_vec(c, &one, e->type, out))) return rc;
        if (!col_valid(&arg, 0)) col_set_null(out, 0);
        else if ((rc = fn_cast_vec(c, &arg, out, e->type, e->try_, NULL, 1, 1))) return rc;
        out->constant = true;
        out->n = in->n;
        return KILN_OK;
    }
    if ((rc = out_vec(c, in, e->type, out))) return rc;
    nulls_from(out, &arg, in);
    return fn_cast_vec(c, &arg, out, e->type, e->try_, in->sel, in->n, live(in));
}

/* Row value of a boolean vector: 1 true, 0 false, -1 null. */
static inline int tri(const col_vec *v, uint32_t i)
{
    uint32_t r = col_row(v, i);
    if (!col_valid(v, r)) return -1;
    return COL_DATA(v, uint8_t)[r] != 0;
}

/* Copies rows sel[0..cnt) of src into the same rows of out. */
static int scatter(fn_ctx *c, col_vec *out, const col_vec *src, const uint32_t *sel, uint32_t cnt)
{
    size_t w = col_type_width(out->type);
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t i = sel[k], r = col_row(src, i);
        if (!col_valid(src, r)) {
            col_set_null(out, i);
        } else if (w) {
            col_set_valid(out, i);
            memcpy((char *)out->data + w * i, (const char *)src->data + w * r, w);
        } else {
            col_set_valid(out, i);
            int rc = col_vec_copy_row(out, c->arena, i, src, r);
            if (rc) return rc;
        }
    }
    return KILN_OK;
}

/* The live rows of in as an explicit selection (allocated when in has none). */
static uint32_t *live_rows(fn_ctx *c, const col_batch *in, uint32_t *cnt)
{
    *cnt = live(in);
    uint32_t *s = kiln_arena_alloc(c->arena, sizeof *s * (*cnt ? *cnt : 1));
    if (!s) return NULL;
    for (uint32_t k = 0; k < *cnt; k++) s[k] = in->sel ? in->sel[k] : k;
    return s;
}

static int eval_logic(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out)
{
    bool is_and = e->kind == EX_AND;
    col_vec l, r;
    int rc = expr_eval(e->args[0], c, in, &l);
    if (rc || (rc = out_vec(c, in, &col_type_bool, out))) return rc;
    uint32_t cnt, *rows = live_rows(c, in, &cnt), *undecided;
    if (!rows || !(undecided = kiln_arena_alloc(c->arena, sizeof *rows * (cnt ? cnt : 1))))
        return KILN_ENOMEM;
    uint32_t nu = 0;
    uint8_t *o = out->data;
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t i = rows[k];
        int t = tri(&l, i);
        if (t == (is_and ? 0 : 1)) {
            o[i] = (uint8_t)t; /* decided by the left side */
        } else {
            undecided[nu++] = i;
        }
    }
    if (nu == 0) return KILN_OK;
    col_batch sub = *in;
    sub.sel = undecided;
    sub.nsel = nu;
    if ((rc = expr_eval(e->args[1], c, &sub, &r))) return rc;
    for (uint32_t k = 0; k < nu; k++) {
        uint32_t i = undecided[k];
        int a = tri(&l, i), b = tri(&r, i);
        int v;
        if (is_and) v = b == 0 ? 0 : (a == -1 || b == -1) ? -1 : 1;
        else v = b == 1 ? 1 : (a == -1 || b == -1) ? -1 : 0;
        if (v < 0) col_set_null(out, i);
        else o[i] = (uint8_t)v;
    }
    return KILN_OK;
}

/* A CASE branch's value for rows sel[0..cnt): scattered into out, or for
 * nested types noted in from (a copy of val's header) to be copied in row
 * order. */
static int case_put(fn_ctx *c, col_vec *out, const col_vec **from, const col_vec *val,
                    const uint32_t *sel, uint32_t cnt)
{
    if (!from) return scatter(c, out, val, sel, cnt);
    col_vec *keep = kiln_arena_alloc(c->arena, sizeof *keep);
    if (!keep) return KILN_ENOMEM;
    *keep = *val;
    for (uint32_t k = 0; k < cnt; k++) from[sel[k]] = keep;
    return KILN_OK;
}

static int eval_case(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out)
{
    int rc = out_vec(c, in, e->type, out);
    if (rc) return rc;
    uint32_t cnt, *rem = live_rows(c, in, &cnt);
    if (!rem) return KILN_ENOMEM;
    /* Arrays, maps and structs are appended row by row in order (each row's
     * children start where the previous row's ended): the branches' rows
     * are noted and copied in row order at the end. */
    int kind = e->type->kind;
    bool nested = kind == COL_ARRAY || kind == COL_MAP || kind == COL_STRUCT;
    const col_vec **from = NULL;
    if (nested && !(from = kiln_arena_alloc(c->arena, sizeof *from * (in->n ? in->n : 1))))
        return KILN_ENOMEM;
    if (from) memset(from, 0, sizeof *from * (in->n ? in->n : 1));
    int pairs = e->nargs / 2;
    for (int p = 0; p < pairs && cnt; p++) {
        col_batch sub = *in;
        sub.sel = rem;
        sub.nsel = cnt;
        col_vec cond;
        if ((rc = expr_eval(e->args[2 * p], c, &sub, &cond))) return rc;
        uint32_t *hit = kiln_arena_alloc(c->arena, sizeof *hit * cnt);
        uint32_t *miss = kiln_arena_alloc(c->arena, sizeof *miss * cnt);
        if (!hit || !miss) return KILN_ENOMEM;
        uint32_t nh = 0, nm = 0;
        for (uint32_t k = 0; k < cnt; k++) {
            if (tri(&cond, rem[k]) == 1) hit[nh++] = rem[k];
            else miss[nm++] = rem[k];
        }
        if (nh) {
            col_batch hb = *in;
            hb.sel = hit;
            hb.nsel = nh;
            col_vec val;
            if ((rc = expr_eval(e->args[2 * p + 1], c, &hb, &val)) ||
                (rc = case_put(c, out, from, &val, hit, nh)))
                return rc;
        }
        rem = miss;
        cnt = nm;
    }
    if (cnt && e->has_else) {
        col_batch sub = *in;
        sub.sel = rem;
        sub.nsel = cnt;
        col_vec val;
        if ((rc = expr_eval(e->args[e->nargs - 1], c, &sub, &val)) ||
            (rc = case_put(c, out, from, &val, rem, cnt)))
            return rc;
    } else {
        for (uint32_t k = 0; k < cnt; k++) col_set_null(out, rem[k]);
    }
    for (uint32_t i = 0; from && i < in->n; i++)
        if ((rc = from[i] ? col_vec_copy_row(out, c->arena, i, from[i], i)
                          : col_vec_set_null_row(out, c->arena, i, in->n)))
            return rc;
    return KILN_OK;
}

static int eval_is_null(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out)
{
    col_vec v;
    int rc = expr_eval(e->args[0], c, in, &v);
    if (rc || (rc = col_vec_init(out, c->arena, &col_type_bool, in->n ? in->n : 1))) return rc;
    out->n = in->n;
    uint8_t want_null = e->kind == EX_IS_NULL;
    uint8_t *o = out->data;
    uint32_t cnt = live(in);
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t i = in->sel ? in->sel[k] : k;
        o[i] = (uint8_t)(col_valid(&v, i) ? !want_null : want_null);
    }
    return KILN_OK;
}

int expr_eval(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out)
{
    c->expr = e->text;
    switch (e->kind) {
    case EX_COL:
        if (e->col < 0 || e->col >= in->ncols)
            return kiln_set_error(KILN_ECORRUPT, "column %d of a batch of %d columns (%s)", e->col,
                                  in->ncols, e->text);
        *out = in->cols[e->col];
        return KILN_OK;
    case EX_LIT:
        *out = e->lit;
        out->n = in->n;
        return KILN_OK;
    case EX_CALL:
        return eval_call(e, c, in, out);
    case EX_CAST:
        return eval_cast(e, c, in, out);
    case EX_AND:
    case EX_OR:
        return eval_logic(e, c, in, out);
    case EX_CASE:
        return eval_case(e, c, in, out);
    case EX_IS_NULL:
    case EX_NOT_NULL:
        return eval_is_null(e, c, in, out);
    default:
        return KILN_EINVAL;
    }
}

int expr_filter(const expr *e, fn_ctx *c, col_batch *b)
{
    /* A conjunction narrows the rows conjunct by conjunct: each sees only
     * the rows the ones before it kept (DuckDB's filter does the same). */
    if (e->kind == EX_AND) {
        int rc = expr_filter(e->args[0], c, b);
        return rc || !live(b) ? rc : expr_filter(e->args[1], c, b);
    }
    col_vec v;
    int rc = expr_eval(e, c, b, &v);
    if (rc) return rc;
    uint32_t cnt = live(b);
    uint32_t *sel = kiln_arena_alloc(c->arena, sizeof *sel * (cnt ? cnt : 1));
    if (!sel) return KILN_ENOMEM;
    uint32_t n = 0;
    if (v.constant) {
        bool keep = tri(&v, 0) == 1;
        for (uint32_t k = 0; keep && k < cnt; k++) sel[n++] = b->sel ? b->sel[k] : k;
    } else if (!v.validity && !b->sel) {
        const uint8_t *d = v.data;
        for (uint32_t i = 0; i < cnt; i++) {
            sel[n] = i;
            n += d[i] != 0; /* branch-free */
        }
    } else if (!v.validity) {
        const uint8_t *d = v.data;
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t i = b->sel[k];
            sel[n] = i;
            n += d[i] != 0;
        }
    } else {
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t i = b->sel ? b->sel[k] : k;
            if (tri(&v, i) == 1) sel[n++] = i;
        }
    }
    b->sel = sel;
    b->nsel = n;
    return KILN_OK;
}

bool expr_is_const(const expr *e)
{
    if (e->kind == EX_COL) return false;
    if (e->kind == EX_CALL && (e->fn->flags & FN_NONDETERMINISTIC)) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!expr_is_const(e->args[i])) return false;
    return true;
}

int expr_fold(kiln_arena *a, fn_ctx *c, expr **ep)
{
    expr *e = *ep;
    if (e->kind == EX_LIT || !expr_is_const(e)) return KILN_OK;
    kiln_arena *saved = c->arena;
    c->arena = a;
    col_batch one = {.ncols = 0, .n = 1};
    col_vec v;
    int rc = expr_eval(e, c, &one, &v);
    c->arena = saved;
    if (rc) return rc;
    expr *lit = node(a, EX_LIT, e->type, e->text);
    if (!lit) return KILN_ENOMEM;
    if (!col_valid(&v, 0)) {
        rc = col_vec_constant(&lit->lit, a, e->type, NULL, 1);
    } else if (col_type_width(e->type)) {
        rc = col_vec_constant(&lit->lit, a, e->type,
                              (const char *)v.data + col_type_width(e->type) * col_row(&v, 0), 1);
    } else {
        /* A nested value: keep the computed vector (one row). */
        lit->lit = v;
        lit->lit.constant = true;
        lit->lit.n = 1;
    }
    if (rc) return rc;
    lit->nullable = !col_valid(&v, 0);
    *ep = lit;
    return KILN_OK;
}

expr *expr_remap(kiln_arena *a, const expr *e, const int *map, int delta)
{
    expr *c = kiln_arena_alloc(a, sizeof *c);
    if (!c) return NULL;
    *c = *e;
    if (e->kind == EX_COL) {
        c->col = !map ? e->col + delta : e->col >= 0 ? map[e->col] : e->col;
        return c;
    }
    if (e->nargs) {
        c->args = kiln_arena_alloc(a, sizeof *c->args * (size_t)e->nargs);
        if (!c->args) return NULL;
        for (int i = 0; i < e->nargs; i++)
            if (!(c->args[i] = expr_remap(a, e->args[i], map, delta))) return NULL;
    }
    return c;
}

expr *expr_shift(kiln_arena *a, const expr *e, int delta)
{
    return expr_remap(a, e, NULL, delta);
}

int expr_conjuncts(kiln_arena *a, expr *e, expr ***list, int *n, int *cap)
{
    if (e->kind == EX_AND) {
        int rc = expr_conjuncts(a, e->args[0], list, n, cap);
        return rc ? rc : expr_conjuncts(a, e->args[1], list, n, cap);
    }
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        expr **g = kiln_arena_alloc(a, sizeof *g * (size_t)c);
        if (!g) return kiln_set_error(KILN_ENOMEM, "out of memory splitting a condition");
        if (*n) memcpy(g, *list, sizeof *g * (size_t)*n);
        *list = g;
        *cap = c;
    }
    (*list)[(*n)++] = e;
    return KILN_OK;
}

expr *expr_and(kiln_arena *a, expr **list, int n)
{
    expr *e = NULL;
    for (int i = 0; i < n; i++) {
        if (!e) {
            e = list[i];
        } else {
            expr *args[2] = {e, list[i]};
            if (!(e = expr_node(a, EX_AND, &col_type_bool, args, 2, "and"))) return NULL;
        }
    }
    return e;
}
