/*
 * sql/analyze_window.c - window functions in the analyser (analyze_int.h):
 * binding `f(...) OVER (...)` calls (named windows of the WINDOW clause,
 * Spark's default frames and its errors for wrong frames and functions)
 * and placing them over a SELECT's input or aggregate as a projection of
 * what they read and a chain of PLAN_WINDOW nodes, one per distinct
 * (partition, order) specification.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"
#include "sql/window.h"

/* One window call, its expressions over the binder's scope. */
typedef struct wcall {
    plan_win w;
    int npart;
    expr **part;
    int norder;
    plan_order *order;
    const ast_func *src;
    const char *text; /* the call's SQL (its column's name) */
} wcall;

struct win_collect {
    const ast_named_window *named;
    int nnamed;
    int n, cap;
    wcall *c;
};

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing a query");
}

win_collect *anz_window_new(anz *z, const ast_named_window *named, int nnamed)
{
    win_collect *w = kiln_arena_alloc(z->a, sizeof *w);
    if (!w) return NULL;
    memset(w, 0, sizeof *w);
    w->named = named;
    w->nnamed = nnamed;
    return w;
}

int anz_window_count(const win_collect *w)
{
    return w ? w->n : 0;
}

/* Functions that are window functions only, and what the core calls them. */
static const struct {
    const char *name;
    win_fn fn;
    int min_args, max_args;
} only_window[] = {
    {"row_number", WIN_ROW_NUMBER, 0, 0},
    {"rank", WIN_RANK, 0, 0},
    {"dense_rank", WIN_DENSE_RANK, 0, 0},
    {"percent_rank", WIN_PERCENT_RANK, 0, 0},
    {"cume_dist", WIN_CUME_DIST, 0, 0},
    {"ntile", WIN_NTILE, 1, 1},
    {"lag", WIN_LAG, 1, 3},
    {"lead", WIN_LEAD, 1, 3},
    {"nth_value", WIN_NTH_VALUE, 2, 2},
};

/* Aggregates the core computes over any frame. */
static const struct {
    const char *name;
    win_fn fn;
} frame_aggs[] = {
    {"count", WIN_COUNT},
    {"sum", WIN_SUM},
    {"avg", WIN_AVG},
    {"mean", WIN_AVG},
    {"min", WIN_MIN},
    {"max", WIN_MAX},
    {"var_samp", WIN_VAR_SAMP},
    {"variance", WIN_VAR_SAMP},
    {"var_pop", WIN_VAR_POP},
    {"stddev", WIN_STDDEV_SAMP},
    {"std", WIN_STDDEV_SAMP},
    {"stddev_samp", WIN_STDDEV_SAMP},
    {"stddev_pop", WIN_STDDEV_POP},
    {"first", WIN_FIRST},
    {"first_value", WIN_FIRST},
    {"any_value", WIN_FIRST},
    {"last", WIN_LAST},
    {"last_value", WIN_LAST},
};

bool anz_is_window_fn(const char *name)
{
    for (size_t i = 0; i < sizeof only_window / sizeof only_window[0]; i++)
        if (strcmp(only_window[i].name, name) == 0) return true;
    return false;
}

static int core_fn(const char *name, int *fn)
{
    for (size_t i = 0; i < sizeof only_window / sizeof only_window[0]; i++)
        if (strcmp(only_window[i].name, name) == 0) return *fn = (int)only_window[i].fn, 1;
    for (size_t i = 0; i < sizeof frame_aggs / sizeof frame_aggs[0]; i++)
        if (strcmp(frame_aggs[i].name, name) == 0) return *fn = (int)frame_aggs[i].fn, 1;
    return 0;
}

#define text_of anz_text_of

/* ---- The specification --------------------------------------------------------------- */

/* The merged specification of an OVER clause (named windows resolved). */
typedef struct spec {
    ast_expr **partition;
    int npartition;
    ast_sort_item *order;
    int norder;
    int frame;
    ast_bound start, end;
    bool has_end;
} spec;

static int resolve_spec(anz *z, const win_collect *wc, const ast_window *w, const ast_func *f,
                        int depth, spec *out)
{
    memset(out, 0, sizeof *out);
    if (w->ref) {
        const ast_window *base = NULL;
        for (int i = 0; i < wc->nnamed && !base; i++)
            if (strcasecmp(wc->named[i].name, w->ref) == 0) base = wc->named[i].spec;
        if (!base || depth > 32)
            return anz_error(z, f->e.pos, f->e.len, "MISSING_WINDOW_SPECIFICATION", "42P20",
                             "Window specification %s is not defined in the WINDOW clause.",
                             w->ref);
        int rc = resolve_spec(z, wc, base, f, depth + 1, out);
        if (rc) return rc;
    }
    if (w->npartition) {
        if (out->npartition)
            return anz_error(z, w->pos, 1, "INVALID_WINDOW_SPEC_REFERENCE", "42000",
                             "A window that references window %s cannot have its own "
                             "PARTITION BY.",
                             w->ref);
        out->partition = w->partition;
        out->npartition = w->npartition;
    }
    if (w->norder) {
        if (out->norder)
            return anz_error(z, w->pos, 1, "INVALID_WINDOW_SPEC_REFERENCE", "42000",
                             "A window that references window %s cannot have its own ORDER BY: "
                             "%s has one.",
                             w->ref, w->ref);
        out->order = w->order;
        out->norder = w->norder;
    }
    if (w->frame) {
        out->frame = w->frame;
        out->start = w->start;
        out->end = w->end;
        out->has_end = w->has_end;
    }
    return KILN_OK;
}

static int bound_rank(uint8_t k)
{
    return (int)k;
}

/* A ROWS bound's place relative to the current row. */
static int64_t bound_pos(uint8_t k, int64_t off)
{
    switch (k) {
    case WIN_UNBOUNDED_PRECEDING:
        return INT64_MIN;
    case WIN_PRECEDING:
        return -off;
    case WIN_CURRENT_ROW:
        return 0;
    case WIN_FOLLOWING:
        return off;
    default:
        return INT64_MAX;
    }
}

static const char *bound_text(win_bound_kind k)
{
    static const char *const t[] = {"UNBOUNDED PRECEDING", "PRECEDING", "CURRENT ROW", "FOLLOWING",
                                    "UNBOUNDED FOLLOWING"};
    return t[k];
}

/* A frame bound: the kind and, for n PRECEDING / FOLLOWING, a constant. */
static int frame_bound(anz *z, const binder *b, const ast_bound *ab, bool rows, const ast_func *f,
                       uint8_t *kind, int64_t *off, expr **val)
{
    static const win_bound_kind kinds[] = {WIN_UNBOUNDED_PRECEDING, WIN_PRECEDING, WIN_CURRENT_ROW,
                                           WIN_FOLLOWING, WIN_UNBOUNDED_FOLLOWING};
    *kind = (uint8_t)kinds[ab->kind];
    *off = 0;
    *val = NULL;
    if (!ab->offset) return KILN_OK;
    binder cb = {b->in, NULL, "a window frame", NULL, NULL};
    expr *e;
    int rc = anz_bind(z, &cb, ab->offset, &e);
    if (rc) return rc;
    fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
    if (!expr_is_const(e) || expr_fold(z->a, &fc, &e) || e->kind != EX_LIT ||
        !col_valid(&e->lit, 0)) {
        free(fc.error);
        return anz_error(z, ab->offset->pos, ab->offset->len,
                         "DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_WITHOUT_FOLDABLE", "42K09",
                         "Cannot resolve \"%s\": window frame boundary %s is not a constant.",
                         text_of(z, &f->e), text_of(z, ab->offset));
    }
    if (rows) {
        if (!col_type_is_integral(e->type))
            return anz_error(z, ab->offset->pos, ab->offset->len,
                             "DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_UNACCEPTED_TYPE", "42K09",
                             "Cannot resolve \"%s\": the data type of the ROWS frame boundary "
                             "must be an integer.",
                             text_of(z, &f->e));
        expr *c = expr_cast(z->a, e, &col_type_i64, false, e->text);
        if (!c || expr_fold(z->a, &fc, &c)) return oom();
        *off = ((const int64_t *)c->lit.data)[0];
        if (*off < 0) {
            /* Spark reads -n PRECEDING as n FOLLOWING. */
            *off = -*off;
            *kind = *kind == WIN_PRECEDING ? WIN_FOLLOWING : WIN_PRECEDING;
        }
        return KILN_OK;
    }
    *val = e;
    return KILN_OK;
}

/* The frame of a call from its merged spec (0: Spark's default). */
static int frame_of(anz *z, const binder *b, const spec *sp, const ast_func *f, plan_win *w)
{
    if (!sp->frame) return KILN_OK;
    bool rows = sp->frame == 1;
    ast_bound end = sp->has_end ? sp->end : (ast_bound){BOUND_CURRENT_ROW, NULL};
    int rc;
    if ((rc = frame_bound(z, b, &sp->start, rows, f, &w->start, &w->start_off, &w->start_val)) ||
        (rc = frame_bound(z, b, &end, rows, f, &w->end, &w->end_off, &w->end_val)))
        return rc;
    w->unit = rows ? WIN_ROWS : WIN_RANGE;
    if (w->start == WIN_UNBOUNDED_FOLLOWING || w->end == WIN_UNBOUNDED_PRECEDING)
        return anz_error(z, f->e.pos, f->e.len,
                         "DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_INVALID_BOUND", "42K09",
                         "Cannot resolve \"%s\": window frame upper bound '%s' does not follow "
                         "the lower bound '%s'.",
                         text_of(z, &f->e), bound_text(w->end), bound_text(w->start));
    /* The lower bound must not come after the upper one. */
    bool wrong = rows ? bound_pos(w->start, w->start_off) > bound_pos(w->end, w->end_off)
                      : bound_rank(w->start) > bound_rank(w->end);
    if (wrong)
        return anz_error(z, f->e.pos, f->e.len,
                         "DATATYPE_MISMATCH.SPECIFIED_WINDOW_FRAME_WRONG_COMPARISON", "42K09",
                         "Cannot resolve \"%s\": the lower bound of a window frame must be less "
                         "than or equal to the upper bound.",
                         text_of(z, &f->e));
    if (!rows && (w->start_val || w->end_val)) {
        if (sp->norder == 0)
            return anz_error(z, f->e.pos, f->e.len, "DATATYPE_MISMATCH.RANGE_FRAME_WITHOUT_ORDER",
                             "42K09",
                             "Cannot resolve \"%s\": a range window frame cannot be used in an "
                             "unordered window specification.",
                             text_of(z, &f->e));
        if (sp->norder > 1)
            return anz_error(z, f->e.pos, f->e.len, "DATATYPE_MISMATCH.RANGE_FRAME_MULTI_ORDER",
                             "42K09",
                             "Cannot resolve \"%s\": a range window frame with value boundaries "
                             "cannot be used in a window specification with multiple order by "
                             "expressions.",
                             text_of(z, &f->e));
    }
    return KILN_OK;
}

/* A constant integer argument (ntile's n, lag's offset, nth_value's n). */
static int const_int(anz *z, const ast_func *f, expr *e, const ast_expr *src, int64_t *out)
{
    fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
    expr *c = col_type_is_integral(e->type) ? expr_cast(z->a, e, &col_type_i64, false, e->text)
                                            : NULL;
    if (!c || !expr_is_const(c) || expr_fold(z->a, &fc, &c) || c->kind != EX_LIT ||
        !col_valid(&c->lit, 0)) {
        free(fc.error);
        return anz_error(z, src->pos, src->len, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT", "42K09",
                         "Cannot resolve \"%s\": the argument %s must be a constant integer.",
                         text_of(z, &f->e), text_of(z, src));
    }
    *out = ((const int64_t *)c->lit.data)[0];
    return KILN_OK;
}

/* A constant boolean argument (first(x, true)). */
static int const_bool(anz *z, const ast_func *f, expr *e, const ast_expr *src, bool *out)
{
    fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
    if (e->type->kind != COL_BOOL || !expr_is_const(e) || expr_fold(z->a, &fc, &e) ||
        e->kind != EX_LIT || !col_valid(&e->lit, 0)) {
        free(fc.error);
        return anz_error(z, src->pos, src->len, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT", "42K09",
                         "Cannot resolve \"%s\": the argument %s must be a constant boolean.",
                         text_of(z, &f->e), text_of(z, src));
    }
    *out = ((const uint8_t *)e->lit.data)[0] != 0;
    return KILN_OK;
}

static int type_error(anz *z, const ast_func *f)
{
    const char *m = kiln_last_error();
    char *copy = strdup(m ? m : "");
    int rc = anz_error(z, f->e.pos, f->e.len, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", "42K09",
                       "Cannot resolve \"%s\": %s", text_of(z, &f->e), copy ? copy : "");
    free(copy);
    return rc;
}

int anz_bind_window(anz *z, const binder *b, const ast_func *f, const char *name, expr **out)
{
    if (!f->over)
        return anz_error(z, f->e.pos, f->e.len, "WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE", "42601",
                         "Window function \"%s\" requires an OVER clause.", name);
    if (!b->wins)
        return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_EXPR_FOR_OPERATOR", "42K0E",
                         "A query operator contains one or more unsupported expressions. "
                         "Consider to rewrite it to avoid window functions, aggregate functions, "
                         "and generator functions in the %s clause. Invalid expressions: [%s]",
                         b->clause ? b->clause : "this", text_of(z, &f->e));
    win_collect *wc = b->wins;
    if (f->distinct)
        return anz_error(z, f->e.pos, f->e.len, "DISTINCT_WINDOW_FUNCTION_UNSUPPORTED", "0A000",
                         "Distinct window functions are not supported: %s.", text_of(z, &f->e));
    if (f->filter)
        return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_FEATURE", "0A000",
                         "FILTER with a window function is not supported: %s.", text_of(z, &f->e));
    spec sp;
    int rc = resolve_spec(z, wc, f->over, f, 0, &sp);
    if (rc) return rc;

    wcall c;
    memset(&c, 0, sizeof c);
    c.src = f;
    c.text = anz_window_name(z, f);
    /* Partition keys, order keys and arguments: over the same scope as the
     * call (aggregates allowed when it aggregates), no window inside. */
    binder inner = {b->in, b->aggs, "a window function", NULL, NULL};
    c.npart = sp.npartition;
    c.part = kiln_arena_alloc(z->a, sizeof *c.part * (size_t)(c.npart + 1));
    c.norder = sp.norder;
    c.order = kiln_arena_alloc(z->a, sizeof *c.order * (size_t)(c.norder + 1));
    int nargs = f->star ? 0 : f->nargs;
    expr **args = kiln_arena_alloc(z->a, sizeof *args * (size_t)(nargs + 1));
    if (!c.part || !c.order || !args) return oom();
    for (int i = 0; i < c.npart; i++)
        if ((rc = anz_bind(z, &inner, sp.partition[i], &c.part[i]))) return rc;
    for (int i = 0; i < c.norder; i++) {
        const ast_sort_item *it = &sp.order[i];
        if ((rc = anz_bind(z, &inner, it->expr, &c.order[i].e)) ||
            (rc = anz_check_orderable(z, it, c.order[i].e->type)))
            return rc;
        c.order[i].desc = it->dir < 0;
        c.order[i].nulls_first = it->nulls ? it->nulls > 0 : it->dir >= 0;
    }
    for (int i = 0; i < nargs; i++)
        if ((rc = anz_bind(z, &inner, f->args[i], &args[i]))) return rc;

    plan_win *w = &c.w;
    w->fn = anz_strdup(z, name);
    if (!w->fn) return oom();
    w->core = -1;
    w->ignore_nulls = f->ignore_nulls;
    if ((rc = frame_of(z, b, &sp, f, w))) return rc;

    int core = -1;
    bool is_core = core_fn(name, &core);
    bool window_only = anz_is_window_fn(name);
    if (window_only) {
        int mn = 0, mx = 0;
        for (size_t i = 0; i < sizeof only_window / sizeof only_window[0]; i++)
            if (strcmp(only_window[i].name, name) == 0) {
                mn = only_window[i].min_args;
                mx = only_window[i].max_args;
            }
        if (nargs < mn || nargs > mx || f->star)
            return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION", "42605",
                             "The `%s` requires %d%s%d parameters but the actual number is %d.",
                             name, mn, mn == mx ? "" : " to ", mx, nargs);
        bool ranking = core <= WIN_NTILE;
        if ((ranking || core == WIN_LAG || core == WIN_LEAD) && c.norder == 0)
            return anz_error(z, f->e.pos, f->e.len, "_LEGACY_ERROR_TEMP_1037", "42000",
                             "Window function %s requires window to be ordered, please add ORDER "
                             "BY clause. For example SELECT %s(value_expr) OVER (PARTITION BY "
                             "window_partition ORDER BY window_ordering) from table",
                             name, name);
        bool std_frame = w->unit == WIN_ROWS && w->start == WIN_UNBOUNDED_PRECEDING &&
                         w->end == WIN_CURRENT_ROW;
        if ((ranking && w->unit && !std_frame) ||
            ((core == WIN_LAG || core == WIN_LEAD) && w->unit))
            return anz_error(z, f->e.pos, f->e.len, "_LEGACY_ERROR_TEMP_1036", "42000",
                             "Window Frame of %s must match the required frame.", name);
    }
    expr *value = nargs ? args[0] : NULL;
    int nplan = 0;
    expr *pargs[3];
    if (is_core) {
        win_spec ws;
        memset(&ws, 0, sizeof ws);
        ws.fn = (win_fn)core;
        ws.n = 1;
        switch (ws.fn) {
        case WIN_ROW_NUMBER:
        case WIN_RANK:
        case WIN_DENSE_RANK:
        case WIN_PERCENT_RANK:
        case WIN_CUME_DIST:
            value = NULL;
            break;
        case WIN_NTILE:
            if ((rc = const_int(z, f, args[0], f->args[0], &w->n))) return rc;
            if (w->n <= 0)
                return anz_error(z, f->args[0]->pos, f->args[0]->len,
                                 "DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE", "42K09",
                                 "Cannot resolve \"%s\": the buckets of ntile must be positive.",
                                 text_of(z, &f->e));
            value = NULL;
            break;
        case WIN_LAG:
        case WIN_LEAD:
            w->n = 1;
            if (nargs >= 2 && (rc = const_int(z, f, args[1], f->args[1], &w->n))) return rc;
            pargs[nplan++] = value;
            if (nargs == 3 && args[2]->type->kind != COL_NULL) {
                /* The default takes the input's type (Spark's implicit cast). */
                expr *d = args[2];
                if (!col_type_eq(d->type, value->type) &&
                    !(d = expr_cast(z->a, d, value->type, false, d->text)))
                    return oom();
                fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
                if (expr_is_const(d) && expr_fold(z->a, &fc, &d)) {
                    free(fc.error);
                    return anz_error(z, f->args[2]->pos, f->args[2]->len,
                                     "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", "42K09",
                                     "Cannot resolve \"%s\": the default cannot take the type "
                                     "of the input.",
                                     text_of(z, &f->e));
                }
                pargs[nplan++] = d;
            }
            break;
        case WIN_NTH_VALUE:
            if ((rc = const_int(z, f, args[1], f->args[1], &w->n))) return rc;
            if (w->n <= 0)
                return anz_error(z, f->args[1]->pos, f->args[1]->len,
                                 "DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE", "42K09",
                                 "Cannot resolve \"%s\": the offset of nth_value must be "
                                 "positive.",
                                 text_of(z, &f->e));
            pargs[nplan++] = value;
            break;
        case WIN_FIRST:
        case WIN_LAST:
            if (nargs < 1 || nargs > 2)
                return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
                                 "42605", "The `%s` requires 1 or 2 parameters.", name);
            if (nargs == 2) {
                bool ig = false;
                if ((rc = const_bool(z, f, args[1], f->args[1], &ig))) return rc;
                w->ignore_nulls |= ig;
            }
            pargs[nplan++] = value;
            break;
        case WIN_COUNT:
            if (nargs > 1)
                return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_FEATURE", "0A000",
                                 "count of several columns over a window is not supported yet");
            /* count(literal) counts rows, as count(*). */
            if (nargs == 1 && !(expr_is_const(value) && value->type->kind != COL_NULL))
                pargs[nplan++] = value;
            else value = NULL;
            break;
        default:
            if (nargs != 1)
                return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
                                 "42605", "The `%s` requires 1 parameter.", name);
            if (value->type->kind == COL_NULL ||
                (ws.fn >= WIN_VAR_SAMP && value->type->kind == COL_DECIMAL)) {
                /* sum(NULL) is a double; variance and stddev take doubles */
                if (!(value = expr_cast(z->a, value, &col_type_f64, false, value->text)))
                    return oom();
            }
            pargs[nplan++] = value;
            break;
        }
        w->core = (int8_t)core;
        w->type = win_result_type(z->a, &ws, value ? value->type : NULL);
        if (!w->type) return type_error(z, f);
    } else {
        /* Any other aggregate: over the whole partition or a growing frame. */
        if (!agg_lookup(name))
            return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_FEATURE", "0A000",
                             "%s is not a window function.", name);
        if (nargs > 3 || nargs > AGG_MAX_ARGS)
            return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION", "42605",
                             "too many arguments for %s", name);
        const col_type *types[AGG_MAX_ARGS];
        for (int i = 0; i < nargs; i++) types[i] = args[i]->type;
        agg_bound ab;
        rc = agg_bind(&ab, z->a, name, types, nargs, false, f->ignore_nulls);
        if (rc)
            return anz_error(z, f->e.pos, f->e.len, ab.err_cls ? ab.err_cls : "DATATYPE_MISMATCH",
                             "42K09", "Cannot resolve \"%s\": %s", text_of(z, &f->e),
                             ab.err_msg ? ab.err_msg : "bad arguments");
        for (int i = 0; i < ab.nargs; i++) {
            expr *a = args[i];
            if (!col_type_eq(a->type, ab.args[i]) &&
                !(a = expr_cast(z->a, a, ab.args[i], false, a->text)))
                return oom();
            pargs[nplan++] = a;
        }
        w->type = ab.result;
        bool whole = w->unit == 0
                         ? c.norder == 0
                         : w->start == WIN_UNBOUNDED_PRECEDING && w->end == WIN_UNBOUNDED_FOLLOWING;
        bool growing = (w->unit == 0 && c.norder) ||
                       (w->unit && w->start == WIN_UNBOUNDED_PRECEDING &&
                        w->end == WIN_CURRENT_ROW);
        if (!whole && !growing)
            return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_FEATURE", "0A000",
                             "%s over a sliding window frame is not supported yet (only the "
                             "whole partition and UNBOUNDED PRECEDING to CURRENT ROW)",
                             name);
    }
    w->nargs = nplan;
    w->args = kiln_arena_alloc(z->a, sizeof *w->args * (size_t)(nplan + 1));
    if (!w->args) return oom();
    memcpy(w->args, pargs, sizeof *pargs * (size_t)nplan);

    if (wc->n == wc->cap) {
        int cap = wc->cap ? wc->cap * 2 : 8;
        wcall *g = kiln_arena_alloc(z->a, sizeof *g * (size_t)cap);
        if (!g) return oom();
        if (wc->n) memcpy(g, wc->c, sizeof *g * (size_t)wc->n);
        wc->c = g;
        wc->cap = cap;
    }
    wc->c[wc->n] = c;
    *out = expr_col(z->a, ANZ_WINDOW + wc->n, w->type, true, text_of(z, &f->e));
    wc->n++;
    return *out ? KILN_OK : oom();
}

/* ---- Names ------------------------------------------------------------------------------ */

static void put(kiln_buf *b, const char *s)
{
    kiln_buf_append(b, s, strlen(s));
}

static void put_bound(anz *z, kiln_buf *b, const ast_bound *x)
{
    static const char *const kw[] = {"UNBOUNDED PRECEDING", " PRECEDING", "CURRENT ROW",
                                     " FOLLOWING", "UNBOUNDED FOLLOWING"};
    if (x->offset) put(b, anz_expr_name(z, x->offset));
    put(b, kw[x->kind]);
}

const char *anz_window_name(anz *z, const ast_func *f)
{
    const ast_window *w = f->over;
    char name[128];
    snprintf(name, sizeof name, "%s", f->name.parts[f->name.n - 1]);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    kiln_buf b;
    kiln_buf_init(&b);
    bool lag = strcmp(name, "lag") == 0, lead = strcmp(name, "lead") == 0;
    const char *offset = "1";
    if (lag || lead) {
        /* Spark prints every argument: lag(v, 1, NULL). */
        put(&b, name);
        put(&b, "(");
        for (int i = 0; i < 3; i++) {
            const char *a = i < f->nargs ? anz_expr_name(z, f->args[i]) : i == 1 ? "1" : "NULL";
            if (i == 1) offset = a;
            if (i) put(&b, ", ");
            put(&b, a);
        }
        put(&b, ")");
    } else {
        ast_func plain = *f;
        plain.over = NULL;
        put(&b, anz_expr_name(z, &plain.e));
    }
    put(&b, " OVER (");
    bool sp = false;
    if (w->ref) {
        put(&b, w->ref);
        sp = true;
    }
    for (int i = 0; i < w->npartition; i++) {
        put(&b, i ? ", " : sp ? " PARTITION BY " : "PARTITION BY ");
        put(&b, anz_expr_name(z, w->partition[i]));
        sp = true;
    }
    for (int i = 0; i < w->norder; i++) {
        const ast_sort_item *it = &w->order[i];
        put(&b, i ? ", " : sp ? " ORDER BY " : "ORDER BY ");
        put(&b, anz_expr_name(z, it->expr));
        bool desc = it->dir < 0;
        bool nf = it->nulls ? it->nulls > 0 : !desc;
        put(&b, desc ? " DESC" : " ASC");
        put(&b, nf ? " NULLS FIRST" : " NULLS LAST");
        sp = true;
    }
    if (sp) put(&b, " ");
    if (w->frame) {
        put(&b, w->frame == 1 ? "ROWS BETWEEN " : "RANGE BETWEEN ");
        put_bound(z, &b, &w->start);
        put(&b, " AND ");
        ast_bound end = w->has_end ? w->end : (ast_bound){BOUND_CURRENT_ROW, NULL};
        put_bound(z, &b, &end);
    } else if (lag || lead) {
        char t[160];
        snprintf(t, sizeof t, "ROWS BETWEEN %s%s FOLLOWING AND %s%s FOLLOWING", lag ? "-" : "",
                 offset, lag ? "-" : "", offset);
        put(&b, t);
    } else if (anz_is_window_fn(name) && strcmp(name, "cume_dist") && strcmp(name, "nth_value")) {
        put(&b, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
    } else if (w->norder) {
        put(&b, "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
    } else {
        put(&b, "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING");
    }
    put(&b, ")");
    kiln_buf_append(&b, "", 1);
    const char *s = b.data ? anz_strdup(z, (const char *)b.data) : NULL;
    kiln_buf_release(&b);
    return s ? s : "?";
}

/* ---- Placing them ----------------------------------------------------------------------- */

typedef struct extras {
    int base; /* the input's columns */
    int n, cap;
    expr **e;
} extras;

/* e as a column of the projection (input columns stay, others are added). */
static int as_col(anz *z, extras *x, expr **e)
{
    if ((*e)->kind == EX_COL && (*e)->col >= 0 && (*e)->col < x->base) return KILN_OK;
    for (int i = 0; i < x->n; i++)
        if (expr_equal(x->e[i], *e)) {
            *e = expr_col(z->a, x->base + i, (*e)->type, (*e)->nullable, (*e)->text);
            return *e ? KILN_OK : oom();
        }
    if (x->n == x->cap) {
        int cap = x->cap ? x->cap * 2 : 8;
        expr **g = kiln_arena_alloc(z->a, sizeof *g * (size_t)cap);
        if (!g) return oom();
        if (x->n) memcpy(g, x->e, sizeof *g * (size_t)x->n);
        x->e = g;
        x->cap = cap;
    }
    x->e[x->n] = *e;
    *e = expr_col(z->a, x->base + x->n, (*e)->type, (*e)->nullable, (*e)->text);
    x->n++;
    return *e ? KILN_OK : oom();
}

static bool same_spec(const wcall *a, const wcall *b)
{
    if (a->npart != b->npart || a->norder != b->norder) return false;
    for (int i = 0; i < a->npart; i++)
        if (!expr_equal(a->part[i], b->part[i])) return false;
    for (int i = 0; i < a->norder; i++)
        if (a->order[i].desc != b->order[i].desc ||
            a->order[i].nulls_first != b->order[i].nulls_first ||
            !expr_equal(a->order[i].e, b->order[i].e))
            return false;
    return true;
}

/* e with window references replaced by their columns (col_of). */
static expr *place(anz *z, const expr *e, const int *col_of, int nwin)
{
    expr *c = kiln_arena_alloc(z->a, sizeof *c);
    if (!c) return NULL;
    *c = *e;
    if (e->kind == EX_COL && e->col >= ANZ_WINDOW && e->col < ANZ_WINDOW + nwin) {
        c->col = col_of[e->col - ANZ_WINDOW];
        return c;
    }
    if (e->nargs) {
        c->args = kiln_arena_alloc(z->a, sizeof *c->args * (size_t)e->nargs);
        if (!c->args) return NULL;
        for (int i = 0; i < e->nargs; i++)
            if (!(c->args[i] = place(z, e->args[i], col_of, nwin))) return NULL;
    }
    return c;
}

int anz_window_plan(anz *z, win_collect *w, const agg_collect *g, plan **top, expr **es, int n)
{
    int rc;
    plan *in = *top;
    extras x = {in->ncols, 0, 0, NULL};
    for (int i = 0; i < w->n; i++) {
        wcall *c = &w->c[i];
        const ast_expr *src = &c->src->e;
        for (int k = 0; k < c->npart; k++) {
            if (g && (rc = anz_over_agg(z, g, c->part[k], &c->part[k], src))) return rc;
            if ((rc = as_col(z, &x, &c->part[k]))) return rc;
        }
        for (int k = 0; k < c->norder; k++) {
            if (g && (rc = anz_over_agg(z, g, c->order[k].e, &c->order[k].e, src))) return rc;
            if ((rc = as_col(z, &x, &c->order[k].e))) return rc;
        }
        for (int k = 0; k < c->w.nargs; k++) {
            if (g && (rc = anz_over_agg(z, g, c->w.args[k], &c->w.args[k], src))) return rc;
            if (k && c->w.args[k]->kind == EX_LIT) continue; /* lag's default, p */
            if ((rc = as_col(z, &x, &c->w.args[k]))) return rc;
        }
    }
    if (x.n) {
        int nc = in->ncols + x.n;
        plan *p = plan_new(z->a, PLAN_PROJECT, &in, 1, nc);
        if (!p || !(p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs * (size_t)nc))) return oom();
        for (int i = 0; i < in->ncols; i++) {
            p->cols[i] = in->cols[i];
            p->exprs[i] = expr_col(z->a, i, in->cols[i].type, in->cols[i].nullable,
                                   in->cols[i].name);
            if (!p->exprs[i]) return oom();
        }
        for (int i = 0; i < x.n; i++) {
            char name[32];
            snprintf(name, sizeof name, "__w%d", i);
            p->exprs[in->ncols + i] = x.e[i];
            p->cols[in->ncols + i] = (plan_col){anz_strdup(z, name), NULL, x.e[i]->type,
                                                x.e[i]->nullable};
        }
        in = p;
    }
    int *col_of = kiln_arena_alloc(z->a, sizeof *col_of * (size_t)(w->n + 1));
    bool *done = kiln_arena_alloc(z->a, (size_t)(w->n + 1));
    if (!col_of || !done) return oom();
    memset(done, 0, (size_t)(w->n + 1));
    for (int i = 0; i < w->n; i++) {
        if (done[i]) continue;
        int k = 0;
        for (int j = i; j < w->n; j++) k += !done[j] && same_spec(&w->c[i], &w->c[j]);
        plan *p = plan_new(z->a, PLAN_WINDOW, &in, 1, in->ncols + k);
        if (!p || !(p->win = kiln_arena_alloc(z->a, sizeof *p->win * (size_t)k))) return oom();
        memcpy(p->cols, in->cols, sizeof *p->cols * (size_t)in->ncols);
        const wcall *c = &w->c[i];
        p->nkeys = c->npart;
        p->keys = c->part;
        p->norder = c->norder;
        p->order = c->order;
        p->nwin = k;
        int at = 0;
        for (int j = i; j < w->n; j++) {
            if (done[j] || !same_spec(c, &w->c[j])) continue;
            done[j] = true;
            p->win[at] = w->c[j].w;
            col_of[j] = in->ncols + at;
            p->cols[in->ncols + at] = (plan_col){text_of(z, &w->c[j].src->e), NULL, w->c[j].w.type,
                                                 true};
            at++;
        }
        in = p;
    }
    for (int i = 0; i < n; i++)
        if (es[i] && !(es[i] = place(z, es[i], col_of, w->n))) return oom();
    *top = in;
    return KILN_OK;
}
