/*
 * sql/optimize_window.c - the optimiser's window rules (optimize.h).
 *
 * Spark's InferWindowGroupLimit: a filter over a window whose conjuncts
 * limit a rank-like function (`rn <= k`, `rn < k`, `rn = k`, `k >= rn`,
 * `k > rn`, `k = rn` with rn the window's row_number, rank or dense_rank
 * and k an integer literal) gets a PLAN_WINDOW_LIMIT under the window,
 * which keeps only the rows that can have a value of at most k
 * (exec_window_limit.c). As Spark's rule: the window must have an ORDER
 * BY and every function of the window must be computable from the rows
 * up to the current one (the rank-like functions, and others over ROWS
 * BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW except percent_rank,
 * cume_dist and ntile, which need the partition's size); among the
 * limited functions a row_number is taken before rank and dense_rank,
 * then the smallest limit; limits above
 * kiln.sql.optimizer.windowGroupLimitThreshold (default 1000; -1 turns the
 * rule off) are left.
 *
 * Column pruning through windows (Spark's ColumnPruning): a window's input
 * keeps only the columns read above it and by its keys, order and
 * functions, so that the others are neither exchanged nor sorted.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/ops_int.h"
#include "sql/optimize.h"
#include "sql/window.h"

/* kiln.sql.optimizer.windowGroupLimitThreshold's default (Spark's). */
#define WGL_THRESHOLD 1000

/* The threshold o was given (-1: the rule is off). */
static int64_t threshold(const opt *o)
{
    if (!o->wgl_threshold) return WGL_THRESHOLD;
    char *end;
    long long v = strtoll(o->wgl_threshold, &end, 10);
    return *end || end == o->wgl_threshold ? WGL_THRESHOLD : v;
}

static bool rank_like(const plan_win *w)
{
    return w->core == WIN_ROW_NUMBER || w->core == WIN_RANK || w->core == WIN_DENSE_RANK;
}

/* Whether w's value at a row depends only on the rows up to it (Spark's
 * isExpandingWindow, without SizeBasedWindowFunction). */
static bool expanding(const plan_win *w)
{
    if (rank_like(w)) return true;
    if (w->core == WIN_PERCENT_RANK || w->core == WIN_CUME_DIST || w->core == WIN_NTILE ||
        w->core == WIN_LAG || w->core == WIN_LEAD)
        return false;
    return w->unit == WIN_ROWS && w->start == WIN_UNBOUNDED_PRECEDING && w->end == WIN_CURRENT_ROW;
}

/* The value of an integral literal (false for anything else). */
static bool int_lit(const expr *e, int64_t *v)
{
    if (e->kind != EX_LIT || !col_type_is_integral(e->type) || !col_valid(&e->lit, 0)) return false;
    size_t w = col_type_width(e->type);
    const void *d = e->lit.data;
    *v = w == 8   ? *(const int64_t *)d
         : w == 4 ? *(const int32_t *)d
         : w == 2 ? *(const int16_t *)d
                  : *(const int8_t *)d;
    return true;
}

/* The limit conjunct c puts on column col, or INT64_MAX. */
static int64_t conj_limit(const expr *c, int col)
{
    if (c->kind != EX_CALL || c->nargs != 2 || !c->fn) return INT64_MAX;
    const expr *l = c->args[0], *r = c->args[1];
    int64_t v;
    bool flip;
    if (l->kind == EX_COL && l->col == col && int_lit(r, &v)) flip = false;
    else if (r->kind == EX_COL && r->col == col && int_lit(l, &v)) flip = true;
    else return INT64_MAX;
    const char *op = c->fn->name;
    if (!strcmp(op, "=")) return v;
    if (!strcmp(op, flip ? ">" : "<")) return v == INT64_MIN ? v : v - 1;
    if (!strcmp(op, flip ? ">=" : "<=")) return v;
    return INT64_MAX;
}

/* Whether the window group limit can order by t (its slots compare fixed
 * types and strings only). */
static bool keyable(const col_type *t)
{
    return ops_phys(t) != OPS_P_NONE;
}

/* The window limit for filter f over window w, or NULL when the rule does
 * not apply (*err set when out of memory). */
static plan *limit_for(opt *o, const plan *f, const plan *w, int *err)
{
    const plan *child = w->in[0];
    if (!w->norder || child->kind == PLAN_WINDOW_LIMIT) return NULL;
    for (int i = 0; i < w->nwin; i++)
        if (!expanding(&w->win[i])) return NULL;
    for (int i = 0; i < w->nkeys; i++)
        if (w->keys[i]->kind != EX_COL) return NULL; /* any type groups (agg_table) */
    for (int i = 0; i < w->norder; i++)
        if (!keyable(w->order[i].e->type) || w->order[i].e->kind != EX_COL) return NULL;
    expr **conj = NULL;
    int n = 0, cap = 0;
    if ((*err = expr_conjuncts(o->a, f->pred, &conj, &n, &cap))) return NULL;
    int base = w->ncols - w->nwin, best = -1;
    int64_t best_lim = INT64_MAX;
    for (int i = 0; i < w->nwin; i++) {
        if (!rank_like(&w->win[i])) continue;
        int64_t lim = INT64_MAX;
        for (int c = 0; c < n; c++) {
            int64_t l = conj_limit(conj[c], base + i);
            if (l < lim) lim = l;
        }
        if (lim == INT64_MAX) continue;
        /* row_number first (cheaper), then the smallest limit */
        bool rn = w->win[i].core == WIN_ROW_NUMBER;
        bool best_rn = best >= 0 && w->win[best].core == WIN_ROW_NUMBER;
        if (best < 0 || (rn && !best_rn) || (rn == best_rn && lim < best_lim)) {
            best = i;
            best_lim = lim;
        }
    }
    if (best < 0 || best_lim > threshold(o)) return NULL;
    plan *in = (plan *)child;
    plan *l = plan_new(o->a, PLAN_WINDOW_LIMIT, &in, 1, child->ncols);
    if (!l) {
        *err = kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
        return NULL;
    }
    memcpy(l->cols, child->cols, sizeof *l->cols * (size_t)child->ncols);
    l->nkeys = w->nkeys;
    l->keys = w->keys;
    l->norder = w->norder;
    l->order = w->order;
    l->limit = best_lim < 0 ? 0 : best_lim; /* Spark: no rows at all */
    l->wgl_fn = (uint8_t)w->win[best].core;
    return l;
}

/* A copy of p over inputs in (p->nin of them), in o's arena. */
static plan *over(opt *o, const plan *p, plan **in)
{
    plan *q = kiln_arena_alloc(o->a, sizeof *q);
    plan **qi = kiln_arena_alloc(o->a, sizeof *qi * (size_t)(p->nin ? p->nin : 1));
    if (!q || !qi) return NULL;
    *q = *p;
    memcpy(qi, in, sizeof *qi * (size_t)p->nin);
    q->in = qi;
    return q;
}

int opt_window_limit(opt *o, plan *p, plan **out)
{
    if (threshold(o) < 0) {
        *out = p;
        return KILN_OK;
    }
    plan **in = kiln_arena_alloc(o->a, sizeof *in * (size_t)(p->nin ? p->nin : 1));
    bool changed = false;
    int rc;
    if (!in) return kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
    for (int i = 0; i < p->nin; i++) {
        if ((rc = opt_window_limit(o, p->in[i], &in[i]))) return rc;
        changed |= in[i] != p->in[i];
    }
    if (p->kind == PLAN_FILTER && in[0]->kind == PLAN_WINDOW) {
        int err = KILN_OK;
        plan *l = limit_for(o, p, in[0], &err);
        if (err) return err;
        if (l) {
            plan *w = over(o, in[0], &l);
            if (!w) return kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
            in[0] = w;
            changed = true;
        }
    }
    *out = changed ? over(o, p, in) : p;
    return *out ? KILN_OK : kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
}

/* ---- Column pruning through windows ---------------------------------------------------- */

/* Sets need[c] for every column e reads. */
static void mark(const expr *e, bool *need)
{
    if (!e) return;
    if (e->kind == EX_COL && e->col >= 0) need[e->col] = true;
    for (int i = 0; i < e->nargs; i++) mark(e->args[i], need);
}

int opt_prune_window(opt *o, plan *p, const bool *need, plan **out, int **map, opt_prune_fn prune)
{
    const plan *in = p->in[0];
    int nc = in->ncols;
    bool *cn = kiln_arena_alloc(o->a, sizeof *cn * (size_t)(nc + 1));
    int *m = kiln_arena_alloc(o->a, sizeof *m * (size_t)(p->ncols + 1));
    plan *q = kiln_arena_alloc(o->a, sizeof *q);
    plan **qin = kiln_arena_alloc(o->a, sizeof *qin);
    if (!cn || !m || !q || !qin) return kiln_set_error(KILN_ENOMEM, "out of memory optimising");
    memcpy(cn, need, sizeof *cn * (size_t)nc);
    for (int i = 0; i < p->nkeys; i++) mark(p->keys[i], cn);
    for (int i = 0; i < p->norder; i++) mark(p->order[i].e, cn);
    for (int i = 0; i < p->nwin; i++)
        for (int j = 0; j < p->win[i].nargs; j++) mark(p->win[i].args[j], cn);
    plan *child;
    int *cm, rc;
    if ((rc = prune(o, (plan *)in, cn, &child, &cm))) return rc;
    *q = *p;
    qin[0] = child;
    q->in = qin;
    q->ncols = child->ncols + p->nwin;
    q->cols = kiln_arena_alloc(o->a, sizeof *q->cols * (size_t)(q->ncols + 1));
    q->keys = kiln_arena_alloc(o->a, sizeof *q->keys * (size_t)(p->nkeys + 1));
    q->order = kiln_arena_alloc(o->a, sizeof *q->order * (size_t)(p->norder + 1));
    q->win = kiln_arena_alloc(o->a, sizeof *q->win * (size_t)(p->nwin + 1));
    if (!q->cols || !q->keys || !q->order || !q->win)
        return kiln_set_error(KILN_ENOMEM, "out of memory optimising");
    memcpy(q->cols, child->cols, sizeof *q->cols * (size_t)child->ncols);
    memcpy(q->cols + child->ncols, p->cols + nc, sizeof *q->cols * (size_t)p->nwin);
    for (int i = 0; i < p->nkeys; i++)
        if (!(q->keys[i] = expr_remap(o->a, p->keys[i], cm, 0))) return KILN_ENOMEM;
    for (int i = 0; i < p->norder; i++) {
        q->order[i] = p->order[i];
        if (!(q->order[i].e = expr_remap(o->a, p->order[i].e, cm, 0))) return KILN_ENOMEM;
    }
    for (int i = 0; i < p->nwin; i++) {
        plan_win *w = &q->win[i];
        *w = p->win[i];
        w->args = kiln_arena_alloc(o->a, sizeof *w->args * (size_t)(w->nargs + 1));
        if (!w->args) return KILN_ENOMEM;
        for (int j = 0; j < w->nargs; j++)
            if (!(w->args[j] = expr_remap(o->a, p->win[i].args[j], cm, 0))) return KILN_ENOMEM;
    }
    for (int i = 0; i < p->ncols; i++) m[i] = i < nc ? cm[i] : child->ncols + (i - nc);
    *out = q;
    *map = m;
    return KILN_OK;
}
