/*
 * sql/optimize.c - the rule-based optimiser (optimize.h): filters pushed
 * down through projections' inputs and into the sides of joins (turning a
 * filtered cross join into an equi-join, as TPC-H's comma joins need),
 * constants folded, and columns nobody reads pruned all the way into the
 * scans, so a CSV reader parses only the fields a query uses.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/analyze_int.h"
#include "sql/optimize.h"
#include "sql/scan_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
}

plan *opt_copy_node(kiln_arena *a, const plan *p)
{
    plan *q = kiln_arena_alloc(a, sizeof *q);
    plan **in = kiln_arena_alloc(a, sizeof *in * (size_t)(p->nin ? p->nin : 1));
    if (!q || !in) return NULL;
    *q = *p;
    if (p->nin) memcpy(in, p->in, sizeof *in * (size_t)p->nin);
    q->in = in;
    return q;
}

int opt_map_inputs(opt *o, plan *p, int (*fn)(opt *, plan *, plan **), plan **out)
{
    plan *q = NULL;
    for (int i = 0; i < p->nin; i++) {
        plan *c;
        int rc = fn(o, p->in[i], &c);
        if (rc) return rc;
        if (c != p->in[i]) {
            if (!q && !(q = opt_copy_node(o->a, p))) return oom();
            q->in[i] = c;
        }
    }
    *out = q ? q : p;
    return KILN_OK;
}

/* ---- Expression helpers --------------------------------------------------- */

/* Sets bit col of used (a bitmap of ncols bits) for every column e reads. */
static void mark_cols(const expr *e, uint8_t *used)
{
    if (!e) return;
    if (e->kind == EX_COL && e->col >= 0) used[e->col >> 3] |= (uint8_t)(1 << (e->col & 7));
    for (int i = 0; i < e->nargs; i++) mark_cols(e->args[i], used);
}

/* A copy of e with column i replaced by map[i] (all mapped: map[i] >= 0). */
static expr *remap(kiln_arena *a, const expr *e, const int *map)
{
    expr *c = kiln_arena_alloc(a, sizeof *c);
    if (!c) return NULL;
    *c = *e;
    if (e->kind == EX_COL) {
        c->col = map[e->col];
        return c;
    }
    if (e->nargs) {
        c->args = kiln_arena_alloc(a, sizeof *c->args * (size_t)e->nargs);
        if (!c->args) return NULL;
        for (int i = 0; i < e->nargs; i++)
            if (!(c->args[i] = remap(a, e->args[i], map))) return NULL;
    }
    return c;
}

/* Column range [lo, hi) e reads: -1 when none. */
static void col_range(const expr *e, int *lo, int *hi)
{
    if (e->kind == EX_COL) {
        if (*lo < 0 || e->col < *lo) *lo = e->col;
        if (e->col + 1 > *hi) *hi = e->col + 1;
        return;
    }
    for (int i = 0; i < e->nargs; i++) col_range(e->args[i], lo, hi);
}

static plan *filter_over(kiln_arena *a, plan *in, expr **conds, int n)
{
    if (!n) return in;
    plan *f = plan_new(a, PLAN_FILTER, &in, 1, in->ncols);
    if (!f) return NULL;
    memcpy(f->cols, in->cols, sizeof *f->cols * (size_t)in->ncols);
    f->pred = expr_and(a, conds, n);
    return f->pred ? f : NULL;
}

/* ---- Filter pushdown -------------------------------------------------------- */

static int push(opt *o, plan *p, expr **conds, int n, plan **out);
static int disjuncts(kiln_arena *a, expr *e, expr ***list, int *n, int *cap);

static bool deterministic(const expr *e)
{
    if (e->kind == EX_CALL && (e->fn->flags & FN_NONDETERMINISTIC)) return false;
    for (int i = 0; i < e->nargs; i++)
        if (!deterministic(e->args[i])) return false;
    return true;
}

/* What an OR c implies for the columns [lo, hi) alone (Spark's
 * PushExtraPredicateThroughJoin), in *out (NULL when nothing): when every
 * disjunct of c has conjuncts that read only those columns, the OR of
 * those conjuncts holds wherever c does. (n1.n_name = 'FRANCE' AND
 * n2.n_name = 'GERMANY') OR (n1.n_name = 'GERMANY' AND n2.n_name =
 * 'FRANCE') implies n1.n_name = 'FRANCE' OR n1.n_name = 'GERMANY', which
 * filters nation n1 before the joins (TPC-H q07); c itself stays. */
static int implied_on(kiln_arena *a, expr *c, int lo, int hi, expr **out)
{
    *out = NULL;
    if (c->kind != EX_OR || !deterministic(c)) return KILN_OK;
    expr **ds = NULL, *acc = NULL;
    int nd = 0, dcap = 0, rc;
    if ((rc = disjuncts(a, c, &ds, &nd, &dcap))) return rc;
    for (int i = 0; i < nd; i++) {
        expr **cs = NULL, **mine;
        int nc = 0, ccap = 0, nm = 0;
        if ((rc = expr_conjuncts(a, ds[i], &cs, &nc, &ccap))) return rc;
        if (!(mine = kiln_arena_alloc(a, sizeof *mine * (size_t)(nc + 1)))) return oom();
        for (int j = 0; j < nc; j++) {
            int l = -1, h = 0;
            col_range(cs[j], &l, &h);
            if (l >= lo && h <= hi) mine[nm++] = cs[j];
        }
        if (!nm) return KILN_OK; /* this disjunct does not restrict the side */
        expr *d = expr_and(a, mine, nm);
        if (!d) return oom();
        if (acc) {
            expr *args[2] = {acc, d};
            if (!(d = expr_node(a, EX_OR, &col_type_bool, args, 2, "or"))) return oom();
        }
        acc = d;
    }
    *out = acc;
    return KILN_OK;
}

/* Pushes conds (over p's output) into join p. */
static int push_join(opt *o, plan *p, expr **conds, int n, plan **out)
{
    int nl = p->in[0]->ncols, nr = p->in[1]->ncols;
    bool inner = p->join == PJ_INNER || p->join == PJ_CROSS;
    expr **l = kiln_arena_alloc(o->a, sizeof *l * (size_t)(n + 1));
    expr **r = kiln_arena_alloc(o->a, sizeof *r * (size_t)(n + 1));
    expr **stay = kiln_arena_alloc(o->a, sizeof *stay * (size_t)(n + 1));
    int *shift = kiln_arena_alloc(o->a, sizeof *shift * (size_t)(nl + nr + 1));
    if (!l || !r || !stay || !shift) return oom();
    for (int i = 0; i < nl + nr; i++) shift[i] = i >= nl ? i - nl : -1;
    int kl = 0, kr = 0, ks = 0;
    /* Conjuncts of the join's own condition on one side only go into
     * that side where they only decide which of its rows can match: the
     * right of left, semi and anti joins, the left of right joins, either
     * of inner joins (Spark's PushPredicateThroughJoin). A left join's
     * conditions on its left side stay: they decide matches, not rows. */
    expr *pred = p->pred;
    expr **keep = NULL; /* conjuncts of the join's own condition that stay on it */
    int nkeep = 0;
    if (pred && !p->null_aware && p->join != PJ_FULL) {
        expr **on = NULL;
        int non = 0, cap = 0, rc;
        if ((rc = expr_conjuncts(o->a, pred, &on, &non, &cap))) return rc;
        if (!(keep = kiln_arena_alloc(o->a, sizeof *keep * (size_t)(non + 1)))) return oom();
        expr **l2 = kiln_arena_alloc(o->a, sizeof *l2 * (size_t)(n + non + 1));
        expr **r2 = kiln_arena_alloc(o->a, sizeof *r2 * (size_t)(n + non + 1));
        if (!l2 || !r2) return oom();
        l = l2;
        r = r2;
        for (int i = 0; i < non; i++) {
            int lo = -1, hi = 0;
            col_range(on[i], &lo, &hi);
            bool to_left = lo >= 0 && hi <= nl && (inner || p->join == PJ_RIGHT);
            bool to_right = lo >= nl && (inner || p->join == PJ_LEFT || p->join == PJ_SEMI ||
                                         p->join == PJ_ANTI);
            if (to_left) {
                l[kl++] = on[i];
            } else if (to_right) {
                expr *m = remap(o->a, on[i], shift);
                if (!m) return oom();
                r[kr++] = m;
            } else {
                keep[nkeep++] = on[i];
            }
        }
        pred = nkeep ? expr_and(o->a, keep, nkeep) : NULL;
        if (nkeep && !pred) return oom();
    }
    for (int i = 0; i < n; i++) {
        int lo = -1, hi = 0;
        col_range(conds[i], &lo, &hi);
        bool only_left = lo >= 0 && hi <= nl, only_right = lo >= nl;
        /* A condition on the side a join preserves (all its rows come out,
         * unchanged) may go below it; one on the side that gets nulls
         * filled in must stay above. */
        bool left_ok = p->join == PJ_INNER || p->join == PJ_CROSS || p->join == PJ_LEFT ||
                       p->join == PJ_SEMI || p->join == PJ_ANTI;
        bool right_ok = p->join == PJ_INNER || p->join == PJ_CROSS || p->join == PJ_RIGHT;
        if (only_left && left_ok) {
            l[kl++] = conds[i];
        } else if (only_right && right_ok) {
            expr *m = remap(o->a, conds[i], shift);
            if (!m) return oom();
            r[kr++] = m;
        } else {
            stay[ks++] = conds[i];
        }
    }
    int rc;
    if (inner && (ks || nkeep)) {
        /* Each side also gets what the conditions on both imply for it. */
        expr **l2 = kiln_arena_alloc(o->a, sizeof *l2 * (size_t)(kl + ks + nkeep + 1));
        expr **r2 = kiln_arena_alloc(o->a, sizeof *r2 * (size_t)(kr + ks + nkeep + 1));
        if (!l2 || !r2) return oom();
        memcpy(l2, l, sizeof *l * (size_t)kl);
        memcpy(r2, r, sizeof *r * (size_t)kr);
        l = l2;
        r = r2;
        for (int i = 0; i < ks + nkeep; i++) {
            expr *c = i < ks ? stay[i] : keep[i - ks], *dl, *dr;
            if ((rc = implied_on(o->a, c, 0, nl, &dl)) ||
                (rc = implied_on(o->a, c, nl, nl + nr, &dr)))
                return rc;
            if (dl) l[kl++] = dl;
            if (dr && !(r[kr++] = remap(o->a, dr, shift))) return oom();
        }
    }
    plan *q = opt_copy_node(o->a, p);
    if (!q) return oom();
    q->pred = pred;
    if ((rc = push(o, p->in[0], l, kl, &q->in[0])) || (rc = push(o, p->in[1], r, kr, &q->in[1])))
        return rc;
    if (inner && ks) {
        /* The rest joins the join's own condition: equi keys or residual. */
        expr **all = NULL;
        int na = 0, cap = 0;
        /* Rebuild: old keys as equalities, old residual, the new ones. */
        int *back = kiln_arena_alloc(o->a, sizeof *back * (size_t)(nr ? nr : 1));
        if (!back) return oom();
        for (int i = 0; i < nr; i++) back[i] = nl + i;
        for (int i = 0; i < p->nkeys; i++) {
            expr *rk = remap(o->a, p->rkeys[i], back);
            expr *args[2] = {p->keys[i], rk};
            expr *eq = rk ? expr_call(o->a, p->null_safe[i] ? "<=>" : "=", args, 2, o->ansi, o->tz,
                                      "join key")
                          : NULL;
            if (!eq || (rc = expr_conjuncts(o->a, eq, &all, &na, &cap))) return eq ? rc : oom();
        }
        if (pred && (rc = expr_conjuncts(o->a, pred, &all, &na, &cap))) return rc;
        for (int i = 0; i < ks; i++)
            if ((rc = expr_conjuncts(o->a, stay[i], &all, &na, &cap))) return rc;
        anz z = {.a = o->a, .ansi = o->ansi, .tz = o->tz};
        q->join = p->join == PJ_CROSS ? PJ_CROSS : p->join;
        q->nkeys = 0;
        q->pred = NULL;
        if ((rc = anz_join_keys(&z, q, expr_and(o->a, all, na)))) return rc;
        *out = q;
        return KILN_OK;
    }
    *out = filter_over(o->a, q, stay, ks);
    return *out ? KILN_OK : oom();
}

/* The disjuncts of e (an OR tree) appended to list. */
static int disjuncts(kiln_arena *a, expr *e, expr ***list, int *n, int *cap)
{
    if (e->kind == EX_OR) {
        int rc = disjuncts(a, e->args[0], list, n, cap);
        return rc ? rc : disjuncts(a, e->args[1], list, n, cap);
    }
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        expr **g = kiln_arena_alloc(a, sizeof *g * (size_t)c);
        if (!g) return oom();
        if (*n) memcpy(g, *list, sizeof *g * (size_t)*n);
        *list = g;
        *cap = c;
    }
    (*list)[(*n)++] = e; /* as it is: an AND here is one disjunct */
    return KILN_OK;
}

/* (a AND b) OR (a AND c) -> a AND (b OR c): the conjuncts every disjunct
 * of an OR shares are taken out (Spark's BooleanSimplification), so a join
 * key written in each branch (TPC-H q19) becomes a key. Appends the
 * resulting conjuncts of e to list. */
static int factor_or(kiln_arena *a, expr *e, expr ***list, int *n, int *cap)
{
    if (e->kind != EX_OR) return expr_conjuncts(a, e, list, n, cap);
    expr **ds = NULL;
    int nd = 0, dcap = 0, rc;
    if ((rc = disjuncts(a, e, &ds, &nd, &dcap))) return rc;
    /* Each disjunct's conjuncts. */
    expr ***cs = kiln_arena_alloc(a, sizeof *cs * (size_t)nd);
    int *ncs = kiln_arena_alloc(a, sizeof *ncs * (size_t)nd);
    if (!cs || !ncs) return oom();
    for (int i = 0; i < nd; i++) {
        int c = 0;
        cs[i] = NULL;
        ncs[i] = 0;
        /* splits ANDs */
        if ((rc = expr_conjuncts(a, ds[i], &cs[i], &ncs[i], &c))) return rc;
    }
    /* Common: conjuncts of the first disjunct found in every other one. */
    bool *common = kiln_arena_alloc(a, (size_t)(ncs[0] + 1));
    if (!common) return oom();
    int ncommon = 0;
    for (int k = 0; k < ncs[0]; k++) {
        bool all = true;
        for (int i = 1; i < nd && all; i++) {
            bool found = false;
            for (int j = 0; j < ncs[i] && !found; j++) found = expr_equal(cs[0][k], cs[i][j]);
            all = found;
        }
        common[k] = all;
        ncommon += all;
    }
    if (!ncommon) return expr_conjuncts(a, e, list, n, cap);
    for (int k = 0; k < ncs[0]; k++)
        if (common[k] && (rc = expr_conjuncts(a, cs[0][k], list, n, cap))) return rc;
    /* The OR of what is left of each disjunct (a disjunct left empty is
     * true, and so is the OR). */
    expr *rest = NULL;
    for (int i = 0; i < nd; i++) {
        expr **left = kiln_arena_alloc(a, sizeof *left * (size_t)(ncs[i] + 1));
        if (!left) return oom();
        int nl = 0;
        for (int j = 0; j < ncs[i]; j++) {
            bool shared = false;
            for (int k = 0; k < ncs[0] && !shared; k++)
                shared = common[k] && expr_equal(cs[0][k], cs[i][j]);
            if (!shared) left[nl++] = cs[i][j];
        }
        if (!nl) return KILN_OK; /* (a) OR (a AND b) = a */
        expr *d = expr_and(a, left, nl);
        if (!d) return oom();
        if (!rest) {
            rest = d;
        } else {
            expr *args[2] = {rest, d};
            if (!(rest = expr_node(a, EX_OR, &col_type_bool, args, 2, "or"))) return oom();
        }
    }
    return expr_conjuncts(a, rest, list, n, cap);
}

/* Pushes conds (conjuncts over p's output) as far down p as they go. */
static int push(opt *o, plan *p, expr **conds, int n, plan **out)
{
    int rc;
    switch (p->kind) {
    case PLAN_FILTER: {
        expr **all = NULL;
        int na = 0, cap = 0;
        expr **mine = NULL;
        int nm = 0, mcap = 0;
        if ((rc = expr_conjuncts(o->a, p->pred, &mine, &nm, &mcap))) return rc;
        for (int i = 0; i < nm; i++)
            if ((rc = factor_or(o->a, mine[i], &all, &na, &cap))) return rc;
        for (int i = 0; i < n; i++)
            if ((rc = expr_conjuncts(o->a, conds[i], &all, &na, &cap))) return rc;
        /* Once each (a condition implied on a join side arrives again
         * when push runs a second time). */
        int nu = 0;
        for (int i = 0; i < na; i++) {
            bool dup = false;
            for (int j = 0; j < nu && !dup; j++) dup = expr_equal(all[j], all[i]);
            if (!dup) all[nu++] = all[i];
        }
        return push(o, p->in[0], all, nu, out);
    }
    case PLAN_JOIN:
        return push_join(o, p, conds, n, out);
    case PLAN_PROJECT: {
        /* Through a projection only the conditions on plain columns. */
        expr **down = kiln_arena_alloc(o->a, sizeof *down * (size_t)(n + 1));
        expr **stay = kiln_arena_alloc(o->a, sizeof *stay * (size_t)(n + 1));
        int *map = kiln_arena_alloc(o->a, sizeof *map * (size_t)(p->ncols + 1));
        if (!down || !stay || !map) return oom();
        for (int i = 0; i < p->ncols; i++)
            map[i] = p->exprs[i]->kind == EX_COL ? p->exprs[i]->col : -1;
        int nd = 0, ns = 0;
        for (int i = 0; i < n; i++) {
            bool ok = true;
            /* every column read must be a plain column of the child */
            uint8_t *bits = kiln_arena_alloc(o->a, (size_t)(p->ncols / 8 + 1));
            if (!bits) return oom();
            memset(bits, 0, (size_t)(p->ncols / 8 + 1));
            mark_cols(conds[i], bits);
            for (int c = 0; c < p->ncols && ok; c++)
                if ((bits[c >> 3] >> (c & 7) & 1) && map[c] < 0) ok = false;
            if (ok) {
                expr *m = remap(o->a, conds[i], map);
                if (!m) return oom();
                down[nd++] = m;
            } else {
                stay[ns++] = conds[i];
            }
        }
        plan *q = opt_copy_node(o->a, p);
        if (!q || (rc = push(o, p->in[0], down, nd, &q->in[0]))) return q ? rc : oom();
        *out = filter_over(o->a, q, stay, ns);
        return *out ? KILN_OK : oom();
    }
    default: {
        plan *q = opt_copy_node(o->a, p);
        if (!q) return oom();
        /* Optimise below anyway, with nothing to push. */
        for (int i = 0; i < p->nin; i++)
            if ((rc = push(o, p->in[i], NULL, 0, &q->in[i]))) return rc;
        *out = filter_over(o->a, q, conds, n);
        return *out ? KILN_OK : oom();
    }
    }
}

/* ---- Column pruning ------------------------------------------------------------- */

/* Returns p' reading only what is needed: need[i] says whether p's output
 * column i is read above; *map (p->ncols entries) gets each column's index
 * in p' or -1. */
static int prune(opt *o, plan *p, const bool *need, plan **out, int **map);

static bool *need_from(opt *o, const plan *child, expr *const *es, int n, const expr *extra)
{
    size_t nb = (size_t)child->ncols / 8 + 1;
    uint8_t *bits = kiln_arena_alloc(o->a, nb);
    bool *need = kiln_arena_alloc(o->a, sizeof *need * (size_t)(child->ncols + 1));
    if (!bits || !need) return NULL;
    memset(bits, 0, nb);
    for (int i = 0; i < n; i++)
        if (es[i]) mark_cols(es[i], bits);
    mark_cols(extra, bits);
    for (int i = 0; i < child->ncols; i++) need[i] = bits[i >> 3] >> (i & 7) & 1;
    return need;
}

static int *identity(opt *o, int n)
{
    int *m = kiln_arena_alloc(o->a, sizeof *m * (size_t)(n + 1));
    if (m)
        for (int i = 0; i < n; i++) m[i] = i;
    return m;
}

/* A pruned filter *out (over p's columns by *map) that reads columns
 * nobody above it needs gets a projection of the needed ones on top
 * (Spark's ColumnPruning), so that they are not carried into joins and
 * exchanges; *map then maps p's columns to the projection's. */
static int drop_filter_cols(opt *o, const plan *p, const bool *need, plan **out, int **map)
{
    plan *f = *out;
    int n = 0;
    for (int i = 0; i < p->ncols; i++) n += need[i] && (*map)[i] >= 0;
    if (n == 0 || n == f->ncols) return KILN_OK;
    plan *q = plan_new(o->a, PLAN_PROJECT, &f, 1, n);
    int *m = kiln_arena_alloc(o->a, sizeof *m * (size_t)(p->ncols + 1));
    if (!q || !m || !(q->exprs = kiln_arena_alloc(o->a, sizeof *q->exprs * (size_t)(n + 1))))
        return oom();
    int k = 0;
    for (int i = 0; i < p->ncols; i++) {
        int c = (*map)[i];
        m[i] = -1;
        if (!need[i] || c < 0) continue;
        q->cols[k] = f->cols[c];
        if (!(q->exprs[k] = expr_col(o->a, c, f->cols[c].type, f->cols[c].nullable,
                                     f->cols[c].name)))
            return oom();
        m[i] = k++;
    }
    *out = q;
    *map = m;
    return KILN_OK;
}

static int prune(opt *o, plan *p, const bool *need, plan **out, int **map)
{
    int rc;
    switch (p->kind) {
    case PLAN_SCAN:
    case PLAN_RDD: { /* a cached relation's batches are decoded as a scan's file */
        int n = 0;
        for (int i = 0; i < p->ncols; i++) n += need[i];
        bool none = n == 0 && p->ncols > 0; /* count(*) still needs rows: keep one column */
        if (none) n = 1;
        plan *q = opt_copy_node(o->a, p);
        int *m = kiln_arena_alloc(o->a, sizeof *m * (size_t)(p->ncols + 1));
        if (!q || !m || !(q->cols = kiln_arena_alloc(o->a, sizeof *q->cols * (size_t)(n + 1))) ||
            !(q->proj = kiln_arena_alloc(o->a, sizeof *q->proj * (size_t)(n + 1))))
            return oom();
        int k = 0;
        for (int i = 0; i < p->ncols; i++) {
            bool keep = need[i] || (none && i == 0);
            if (keep) {
                q->cols[k] = p->cols[i];
                q->proj[k] = p->proj ? p->proj[i] : i;
                m[i] = k++;
            } else {
                m[i] = -1;
            }
        }
        q->ncols = k;
        *out = q;
        *map = m;
        return KILN_OK;
    }
    case PLAN_PROJECT: {
        int n = 0;
        for (int i = 0; i < p->ncols; i++) n += need[i];
        expr **keep = kiln_arena_alloc(o->a, sizeof *keep * (size_t)(n + 1));
        int *m = kiln_arena_alloc(o->a, sizeof *m * (size_t)(p->ncols + 1));
        if (!keep || !m) return oom();
        int k = 0;
        for (int i = 0; i < p->ncols; i++)
            if (need[i]) keep[k++] = p->exprs[i];
        bool *cn = need_from(o, p->in[0], keep, k, NULL);
        plan *child;
        int *cm;
        if (!cn) return oom();
        if ((rc = prune(o, p->in[0], cn, &child, &cm))) return rc;
        plan *q = plan_new(o->a, PLAN_PROJECT, &child, 1, k);
        if (!q || !(q->exprs = kiln_arena_alloc(o->a, sizeof *q->exprs * (size_t)(k + 1))))
            return oom();
        k = 0;
        for (int i = 0; i < p->ncols; i++) {
            if (!need[i]) {
                m[i] = -1;
                continue;
            }
            q->cols[k] = p->cols[i];
            if (!(q->exprs[k] = remap(o->a, p->exprs[i], cm))) return oom();
            m[i] = k++;
        }
        *out = q;
        *map = m;
        return KILN_OK;
    }
    case PLAN_FILTER:
    case PLAN_SORT:
    case PLAN_LIMIT: {
        expr **extra = NULL;
        int ne = 0;
        if (p->kind == PLAN_FILTER) {
            extra = &p->pred;
            ne = 1;
        } else if (p->kind == PLAN_SORT) {
            extra = kiln_arena_alloc(o->a, sizeof *extra * (size_t)(p->norder + 1));
            if (!extra) return oom();
            for (int i = 0; i < p->norder; i++) extra[i] = p->order[i].e;
            ne = p->norder;
        }
        bool *cn = need_from(o, p->in[0], extra, ne, NULL);
        if (!cn) return oom();
        for (int i = 0; i < p->ncols; i++) cn[i] |= need[i];
        plan *child;
        int *cm;
        if ((rc = prune(o, p->in[0], cn, &child, &cm))) return rc;
        plan *q = opt_copy_node(o->a, p);
        if (!q) return oom();
        q->in[0] = child;
        q->ncols = child->ncols;
        q->cols = child->cols;
        if (p->kind == PLAN_FILTER && !(q->pred = remap(o->a, p->pred, cm))) return oom();
        if (p->kind == PLAN_SORT) {
            q->order = kiln_arena_alloc(o->a, sizeof *q->order * (size_t)(p->norder + 1));
            if (!q->order) return oom();
            for (int i = 0; i < p->norder; i++) {
                q->order[i] = p->order[i];
                if (!(q->order[i].e = remap(o->a, p->order[i].e, cm))) return oom();
            }
        }
        *out = q;
        *map = cm;
        if (p->kind == PLAN_FILTER) return drop_filter_cols(o, p, need, out, map);
        return KILN_OK;
    }
    case PLAN_AGG: {
        /* Every key and aggregate stays; the input keeps what they read. */
        int n = p->nkeys;
        expr **es = kiln_arena_alloc(o->a, sizeof *es * (size_t)(p->nkeys + 1));
        if (!es) return oom();
        memcpy(es, p->keys, sizeof *es * (size_t)p->nkeys);
        bool *cn = need_from(o, p->in[0], es, n, NULL);
        if (!cn) return oom();
        for (int i = 0; i < p->naggs; i++) {
            bool *an = need_from(o, p->in[0], p->aggs[i].args, p->aggs[i].nargs, p->aggs[i].filter);
            if (!an) return oom();
            for (int c = 0; c < p->in[0]->ncols; c++) cn[c] |= an[c];
        }
        plan *child;
        int *cm;
        if ((rc = prune(o, p->in[0], cn, &child, &cm))) return rc;
        plan *q = opt_copy_node(o->a, p);
        plan_agg *aggs = kiln_arena_alloc(o->a, sizeof *aggs * (size_t)(p->naggs + 1));
        expr **keys = kiln_arena_alloc(o->a, sizeof *keys * (size_t)(p->nkeys + 1));
        if (!q || !aggs || !keys) return oom();
        q->in[0] = child;
        for (int i = 0; i < p->nkeys; i++)
            if (!(keys[i] = remap(o->a, p->keys[i], cm))) return oom();
        for (int i = 0; i < p->naggs; i++) {
            aggs[i] = p->aggs[i];
            aggs[i].args = kiln_arena_alloc(o->a, sizeof(expr *) * (size_t)(p->aggs[i].nargs + 1));
            if (!aggs[i].args) return oom();
            for (int k = 0; k < p->aggs[i].nargs; k++)
                if (!(aggs[i].args[k] = remap(o->a, p->aggs[i].args[k], cm))) return oom();
            if (p->aggs[i].filter && !(aggs[i].filter = remap(o->a, p->aggs[i].filter, cm)))
                return oom();
        }
        q->keys = keys;
        q->aggs = aggs;
        *out = q;
        *map = identity(o, p->ncols);
        return *map ? KILN_OK : oom();
    }
    case PLAN_JOIN: {
        int nl = p->in[0]->ncols, nr = p->in[1]->ncols;
        bool only_left = p->join == PJ_SEMI || p->join == PJ_ANTI;
        bool *ln = need_from(o, p->in[0], p->keys, p->nkeys, NULL);
        bool *rn = need_from(o, p->in[1], p->rkeys, p->nkeys, NULL);
        if (!ln || !rn) return oom();
        /* The residual reads both sides (right columns after the left). */
        if (p->pred) {
            size_t nb = (size_t)(nl + nr) / 8 + 1;
            uint8_t *bits = kiln_arena_alloc(o->a, nb);
            if (!bits) return oom();
            memset(bits, 0, nb);
            mark_cols(p->pred, bits);
            for (int i = 0; i < nl + nr; i++)
                if (bits[i >> 3] >> (i & 7) & 1) {
                    if (i < nl) ln[i] = true;
                    else rn[i - nl] = true;
                }
        }
        for (int i = 0; i < nl; i++) ln[i] |= need[i];
        for (int i = 0; !only_left && i < nr; i++) rn[i] |= need[nl + i];
        plan *l, *r;
        int *lm, *rm;
        if ((rc = prune(o, p->in[0], ln, &l, &lm)) || (rc = prune(o, p->in[1], rn, &r, &rm)))
            return rc;
        int nout = l->ncols + (only_left ? 0 : r->ncols);
        plan *q = opt_copy_node(o->a, p);
        int *m = kiln_arena_alloc(o->a, sizeof *m * (size_t)(p->ncols + 1));
        int *both = kiln_arena_alloc(o->a, sizeof *both * (size_t)(nl + nr + 1));
        if (!q || !m || !both ||
            !(q->cols = kiln_arena_alloc(o->a, sizeof *q->cols * (size_t)(nout + 1))))
            return oom();
        q->in[0] = l;
        q->in[1] = r;
        q->ncols = nout;
        for (int i = 0; i < nl; i++) {
            both[i] = lm[i];
            if (lm[i] >= 0) q->cols[lm[i]] = p->cols[i];
        }
        for (int i = 0; i < nr; i++) {
            both[nl + i] = rm[i] >= 0 ? l->ncols + rm[i] : -1;
            if (!only_left && rm[i] >= 0) q->cols[l->ncols + rm[i]] = p->cols[nl + i];
        }
        for (int i = 0; i < p->ncols; i++) m[i] = both[i];
        q->keys = kiln_arena_alloc(o->a, sizeof(expr *) * (size_t)(p->nkeys + 1));
        q->rkeys = kiln_arena_alloc(o->a, sizeof(expr *) * (size_t)(p->nkeys + 1));
        if (!q->keys || !q->rkeys) return oom();
        for (int i = 0; i < p->nkeys; i++)
            if (!(q->keys[i] = remap(o->a, p->keys[i], lm)) ||
                !(q->rkeys[i] = remap(o->a, p->rkeys[i], rm)))
                return oom();
        if (p->pred && !(q->pred = remap(o->a, p->pred, both))) return oom();
        *out = q;
        *map = m;
        return KILN_OK;
    }
    case PLAN_WINDOW:
        return opt_prune_window(o, p, need, out, map, prune);
    default: {
        /* Everything below is read as it is: optimise the children with
         * every column needed. */
        plan *q = opt_copy_node(o->a, p);
        if (!q) return oom();
        for (int i = 0; i < p->nin; i++) {
            bool *all = kiln_arena_alloc(o->a, sizeof *all * (size_t)(p->in[i]->ncols + 1));
            if (!all) return oom();
            for (int c = 0; c < p->in[i]->ncols; c++) all[c] = true;
            int *cm;
            if ((rc = prune(o, p->in[i], all, &q->in[i], &cm))) return rc;
        }
        *out = q;
        *map = identity(o, p->ncols);
        return *map ? KILN_OK : oom();
    }
    }
}

/* ---- Join order ------------------------------------------------------------------ */

/* The leaves of a tree of inner and cross joins, and its conditions in the
 * coordinates of the tree's output (leaves' columns one after another). */
typedef struct jtree {
    int nleaf, capleaf;
    plan **leaf;
    int *off; /* first output column of each leaf */
    int nc, capc;
    expr **c;
} jtree;

static bool inner_join(const plan *p)
{
    return p->kind == PLAN_JOIN && (p->join == PJ_INNER || p->join == PJ_CROSS);
}

static int flatten(opt *o, plan *p, int off, jtree *t)
{
    int rc;
    if (!inner_join(p)) {
        if (t->nleaf == t->capleaf) {
            int cap = t->capleaf ? t->capleaf * 2 : 8;
            plan **l = kiln_arena_alloc(o->a, sizeof *l * (size_t)cap);
            int *f = kiln_arena_alloc(o->a, sizeof *f * (size_t)cap);
            if (!l || !f) return oom();
            if (t->nleaf) {
                memcpy(l, t->leaf, sizeof *l * (size_t)t->nleaf);
                memcpy(f, t->off, sizeof *f * (size_t)t->nleaf);
            }
            t->leaf = l;
            t->off = f;
            t->capleaf = cap;
        }
        t->leaf[t->nleaf] = p;
        t->off[t->nleaf++] = off;
        return KILN_OK;
    }
    int nl = p->in[0]->ncols;
    if ((rc = flatten(o, p->in[0], off, t)) || (rc = flatten(o, p->in[1], off + nl, t))) return rc;
    for (int k = 0; k < p->nkeys; k++) {
        expr *l = expr_shift(o->a, p->keys[k], off), *r = expr_shift(o->a, p->rkeys[k], off + nl);
        expr *args[2] = {l, r};
        expr *eq = l && r ? expr_call(o->a, p->null_safe && p->null_safe[k] ? "<=>" : "=", args, 2,
                                      o->ansi, o->tz, "join key")
                          : NULL;
        if (!eq || (rc = expr_conjuncts(o->a, eq, &t->c, &t->nc, &t->capc))) return eq ? rc : oom();
    }
    if (p->pred) {
        expr *e = expr_shift(o->a, p->pred, off);
        if (!e || (rc = expr_conjuncts(o->a, e, &t->c, &t->nc, &t->capc))) return e ? rc : oom();
    }
    return KILN_OK;
}

/* The leaves whose columns e reads, as a bit set (leaves < 64). */
static uint64_t leaves_of(const expr *e, const jtree *t)
{
    if (e->kind == EX_COL) {
        for (int i = t->nleaf - 1; i >= 0; i--)
            if (e->col >= t->off[i]) return UINT64_C(1) << i;
        return 0;
    }
    uint64_t m = 0;
    for (int i = 0; i < e->nargs; i++) m |= leaves_of(e->args[i], t);
    return m;
}

static plan *reorder(opt *o, plan *p, expr **above, int nabove, int *err);

/* Reorders the inner-join tree p (with the conditions above it, over p's
 * output) so that each join after the first has a condition linking it to
 * what is joined before it, when one exists (Spark's ReorderJoin): a comma
 * join of TPC-H's q9 or q8 never makes a cross product it does not need.
 * Returns the new tree under a projection back to p's column order (the
 * conditions stay above, for push to place), or p when nothing changes. */
static plan *reorder(opt *o, plan *p, expr **above, int nabove, int *err)
{
    jtree t = {0};
    if ((*err = flatten(o, p, 0, &t))) return NULL;
    if (t.nleaf < 3 || t.nleaf > 63) return p;
    for (int i = 0; i < nabove; i++)
        if ((*err = expr_conjuncts(o->a, above[i], &t.c, &t.nc, &t.capc))) return NULL;
    /* Which leaves each condition links. */
    uint64_t *links = kiln_arena_alloc(o->a, sizeof *links * (size_t)(t.nc + 1));
    int *order = kiln_arena_alloc(o->a, sizeof *order * (size_t)t.nleaf);
    if (!links || !order) {
        *err = oom();
        return NULL;
    }
    for (int i = 0; i < t.nc; i++) links[i] = leaves_of(t.c[i], &t);
    /* Small filtered leaves (a dimension restricted by a condition of the
     * query) first among those that link: joined early, they cut the rows
     * every later join sees (TPC-H q07: supplier with its nation). */
    uint64_t small = 0;
    for (int j = 0; j < t.nleaf; j++)
        if (o->broadcast_bytes >= 0 && plan_worth_measuring(t.leaf[j], o->broadcast_bytes) &&
            plan_est_bytes(t.leaf[j]) <= o->broadcast_bytes)
            small |= UINT64_C(1) << j;
    uint64_t done = 1;
    order[0] = 0;
    bool changed = false;
    for (int k = 1; k < t.nleaf; k++) {
        int pick = -1;
        for (int pass = 0; pass < 2 && pick < 0; pass++)
            for (int j = 0; j < t.nleaf && pick < 0; j++) {
                if ((done >> j & 1) || (pass == 0 && !(small >> j & 1))) continue;
                uint64_t bit = UINT64_C(1) << j;
                for (int i = 0; i < t.nc && pick < 0; i++)
                    if ((links[i] & bit) && (links[i] & done) && !(links[i] & ~(done | bit)))
                        pick = j;
            }
        if (pick < 0) /* nothing links: the next in order */
            for (int j = 0; j < t.nleaf && pick < 0; j++)
                if (!(done >> j & 1)) pick = j;
        changed |= pick != k;
        order[k] = pick;
        done |= UINT64_C(1) << pick;
    }
    if (!changed) return p;
    /* The new left-deep chain of cross joins (push adds the conditions). */
    plan *acc = t.leaf[order[0]];
    int *pos = kiln_arena_alloc(o->a, sizeof *pos * (size_t)(p->ncols + 1));
    if (!pos) {
        *err = oom();
        return NULL;
    }
    int at = 0;
    for (int k = 0; k < t.nleaf; k++) {
        plan *leaf = t.leaf[order[k]];
        for (int c = 0; c < leaf->ncols; c++) pos[t.off[order[k]] + c] = at + c;
        at += leaf->ncols;
        if (k == 0) continue;
        plan *in[2] = {acc, leaf};
        plan *j = plan_new(o->a, PLAN_JOIN, in, 2, acc->ncols + leaf->ncols);
        if (!j) {
            *err = oom();
            return NULL;
        }
        memcpy(j->cols, acc->cols, sizeof *j->cols * (size_t)acc->ncols);
        memcpy(j->cols + acc->ncols, leaf->cols, sizeof *j->cols * (size_t)leaf->ncols);
        j->join = PJ_CROSS;
        j->build = 1;
        acc = j;
    }
    /* Back to p's column order, so the conditions above read the same. */
    plan *pr = plan_new(o->a, PLAN_PROJECT, &acc, 1, p->ncols);
    if (!pr || !(pr->exprs = kiln_arena_alloc(o->a, sizeof *pr->exprs * (size_t)(p->ncols + 1)))) {
        *err = oom();
        return NULL;
    }
    for (int c = 0; c < p->ncols; c++) {
        pr->cols[c] = p->cols[c];
        pr->exprs[c] = expr_col(o->a, pos[c], p->cols[c].type, p->cols[c].nullable,
                                p->cols[c].name);
        if (!pr->exprs[c]) {
            *err = oom();
            return NULL;
        }
    }
    /* The tree's own conditions go above it with the others. */
    plan *f = filter_over(o->a, pr, t.c, t.nc);
    if (!f) *err = oom();
    return f;
}

static int reorder_all(opt *o, plan *p, plan **out);

/* A copy of the inner-join tree p with reorder_all applied to its leaves. */
static int reorder_leaves(opt *o, plan *p, plan **out)
{
    if (!inner_join(p)) return reorder_all(o, p, out);
    plan *q = opt_copy_node(o->a, p);
    if (!q) return oom();
    int rc;
    for (int i = 0; i < p->nin; i++)
        if ((rc = reorder_leaves(o, p->in[i], &q->in[i]))) return rc;
    *out = q;
    return KILN_OK;
}

/* Applies reorder to every inner-join tree: one under a filter (the
 * filter's conjuncts count as its conditions) and one whose conditions
 * are its joins' own (as after push). */
static int reorder_all(opt *o, plan *p, plan **out)
{
    int rc;
    bool filtered = p->kind == PLAN_FILTER && inner_join(p->in[0]);
    if (filtered || inner_join(p)) {
        plan *tree = filtered ? p->in[0] : p;
        expr **c = NULL;
        int n = 0, cap = 0;
        if (filtered && (rc = expr_conjuncts(o->a, p->pred, &c, &n, &cap))) return rc;
        int err = 0;
        plan *r = reorder(o, tree, c, n, &err);
        if (err) return err;
        if (r == tree) {
            plan *q = filtered ? opt_copy_node(o->a, p) : NULL;
            if (filtered && !q) return oom();
            if ((rc = reorder_leaves(o, tree, filtered ? &q->in[0] : &q))) return rc;
            *out = q;
            return KILN_OK;
        }
        /* r is Filter(all conditions) over Project over the new chain:
         * reorder the leaves' insides too. */
        plan *chain = r->in[0]->in[0];
        jtree t = {0};
        if ((rc = flatten(o, chain, 0, &t))) return rc;
        for (int i = 0; i < t.nleaf; i++) {
            plan *leaf;
            if ((rc = reorder_all(o, t.leaf[i], &leaf))) return rc;
            /* Leaves are shared by pointer in the chain: replace in place. */
            if (leaf != t.leaf[i]) {
                plan *x = chain;
                while (inner_join(x) && x->in[1] != t.leaf[i] && x->in[0] != t.leaf[i])
                    x = x->in[0];
                if (x->in[1] == t.leaf[i]) x->in[1] = leaf;
                else if (x->in[0] == t.leaf[i]) x->in[0] = leaf;
            }
        }
        *out = r; /* with the filter's conditions among its own */
        return KILN_OK;
    }
    plan *q = opt_copy_node(o->a, p);
    if (!q) return oom();
    for (int i = 0; i < p->nin; i++)
        if ((rc = reorder_all(o, p->in[i], &q->in[i]))) return rc;
    *out = q;
    return KILN_OK;
}

/* ---- Semi and anti joins below inner joins ------------------------------------ */

/* The range of e's columns below n (the left input of a join's condition). */
static void left_range(const expr *e, int n, int *lo, int *hi)
{
    if (e->kind == EX_COL) {
        if (e->col >= n) return;
        if (*lo < 0 || e->col < *lo) *lo = e->col;
        if (e->col + 1 > *hi) *hi = e->col + 1;
        return;
    }
    for (int i = 0; i < e->nargs; i++) left_range(e->args[i], n, lo, hi);
}

/* Pushes semi and anti joins whose condition reads one side of the inner
 * join below them into that side (Spark's PushLeftSemiLeftAntiThroughJoin)
 * when their subquery is likely selective (plan_size_uncertain: HAVING, a
 * nested IN): `orders JOIN lineitem ... WHERE o_orderkey IN (SELECT ...
 * HAVING ...)` filters orders before the big join. A subquery over a whole
 * table (TPC-H q21's EXISTS) stays above the joins that shrink its input.
 * Null-aware anti joins (NOT IN) stay. */
static int push_semi(opt *o, plan *p, plan **out)
{
    plan *q = opt_copy_node(o->a, p);
    if (!q) return oom();
    int rc;
    for (int i = 0; i < p->nin; i++)
        if ((rc = push_semi(o, p->in[i], &q->in[i]))) return rc;
    *out = q;
    if (q->kind != PLAN_JOIN || (q->join != PJ_SEMI && q->join != PJ_ANTI) || q->null_aware ||
        !inner_join(q->in[0]) || !plan_size_uncertain(q->in[1]))
        return KILN_OK;
    plan *j = q->in[0];
    int na = j->in[0]->ncols, nl = j->ncols;
    int lo = -1, hi = 0;
    for (int k = 0; k < q->nkeys; k++) left_range(q->keys[k], nl, &lo, &hi);
    if (q->pred) left_range(q->pred, nl, &lo, &hi);
    if (lo < 0) return KILN_OK; /* reads nothing of the left: leave it */
    int side = hi <= na ? 0 : lo >= na ? 1 : -1;
    if (side < 0) return KILN_OK;
    /* The semi join over that side: its left columns move by -na (right
     * side), the subquery's columns by -(columns of the other side). */
    int nother = side == 0 ? nl - na : na;
    int *map = kiln_arena_alloc(o->a, sizeof *map * (size_t)(nl + q->in[1]->ncols + 1));
    if (!map) return oom();
    for (int c = 0; c < nl + q->in[1]->ncols; c++)
        map[c] = c >= nl ? c - nother : side == 1 ? c - na : c;
    plan *semi = opt_copy_node(o->a, q);
    plan *nj = opt_copy_node(o->a, j);
    if (!semi || !nj || !(semi->in = kiln_arena_alloc(o->a, sizeof *semi->in * 2)) ||
        !(semi->keys = kiln_arena_alloc(o->a, sizeof *semi->keys * (size_t)(q->nkeys + 1))) ||
        !(nj->in = kiln_arena_alloc(o->a, sizeof *nj->in * 2)))
        return oom();
    plan *inner = j->in[side];
    semi->in[0] = inner;
    semi->in[1] = q->in[1];
    semi->ncols = inner->ncols;
    semi->cols = inner->cols;
    for (int k = 0; k < q->nkeys; k++)
        if (!(semi->keys[k] = remap(o->a, q->keys[k], map))) return oom();
    if (q->pred && !(semi->pred = remap(o->a, q->pred, map))) return oom();
    plan *deeper;
    if ((rc = push_semi(o, semi, &deeper))) return rc;
    nj->in[0] = side == 0 ? deeper : j->in[0];
    nj->in[1] = side == 1 ? deeper : j->in[1];
    *out = nj;
    return KILN_OK;
}

int plan_optimize(opt *o, const plan *p, plan **out)
{
    /* Reordered before push (conditions still in filters above the joins)
     * and after it (conditions under outer joins, as a correlated
     * subquery's left join leaves them, are on their joins by then). */
    plan *q;
    int rc = reorder_all(o, (plan *)p, &q);
    if (!rc) rc = push(o, q, NULL, 0, &q);
    if (!rc) rc = reorder_all(o, q, &q);
    if (!rc) rc = push(o, q, NULL, 0, &q);
    if (!rc) rc = push_semi(o, q, &q);
    if (rc) return rc;
    bool *all = kiln_arena_alloc(o->a, sizeof *all * (size_t)(q->ncols + 1));
    if (!all) return oom();
    for (int i = 0; i < q->ncols; i++) all[i] = true;
    int *m;
    /* Reduced after pruning: sizes are estimated from the columns read. */
    if ((rc = prune(o, q, all, &q, &m)) || (rc = opt_reduce_grouped(o, q, &q)) ||
        (rc = opt_rewrite_distinct(o, q, &q)))
        return rc;
    if ((rc = opt_window_limit(o, q, &q))) return rc;
    return opt_push_scan_filters(o, q, out);
}
