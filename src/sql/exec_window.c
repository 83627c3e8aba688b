/*
 * sql/exec_window.c - the window operator of a task (exec_int.h): the
 * task's rows (one hash partition of the PARTITION BY keys, or all rows
 * when there are none) sorted by (partition keys, order keys) with the
 * sorter of sort.h, the window functions computed over them by the core
 * of window.h (aggregates the core does not know, e.g. median or
 * collect_list, by agg_fn.h's states over the whole partition or a
 * growing frame), and the sorted batches handed out with the results as
 * columns after the child's. Rows are computed a chunk of whole
 * partitions at a time (WIN_CHUNK_ROWS), so only the sorter holds them all.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/agg_fn.h"
#include "sql/exec_int.h"
#include "sql/sort.h"
#include "sql/window.h"

/* Rows computed at a time: a chunk ends at the last partition boundary
 * after this many rows (a larger partition is held whole). Tests set
 * KILN_TEST_WINDOW_CHUNK_ROWS to cut chunks small. */
#define WIN_CHUNK_ROWS (1u << 18)

typedef struct win_op {
    op base;
    op *child;
    const plan *p;
    sql_sorter *sorter; /* holds the strings of the sorted batches */
    kiln_arena *ar[2];  /* the chunk being handed out and the one before */
    int cur;            /* ar[cur] holds the current chunk */
    kiln_arena *data;   /* ar[cur]: the chunk's batches and results */
    col_batch *b;       /* the chunk's sorted batches */
    int nb;
    col_batch *carry; /* rows of a partition the chunk did not end (in data) */
    int ncarry;
    col_vec **res;       /* res[w][batch] */
    int at;              /* next batch to hand out */
    uint64_t chunk_rows; /* WIN_CHUNK_ROWS */
    bool sorted, ended;  /* the sorter is finished / drained */
} win_op;

static int col_index(const expr *e, int *out)
{
    if (e->kind != EX_COL)
        return kiln_set_error(KILN_ESQL, "a window's key or argument is not a column: %s",
                              e->text ? e->text : "?");
    *out = e->col;
    return KILN_OK;
}

/* Reads the child into the sorter and sorts. */
static int sort_input(win_op *s)
{
    int rc;
    for (;;) {
        col_batch *in;
        rc = op_next(s->child, &in);
        if (rc < 0) return rc;
        if (rc == 0) break;
        bool flat = true;
        for (int c = 0; c < in->ncols; c++) flat &= !in->cols[c].constant;
        if (!flat) {
            /* The sorter copies rows of flat vectors. */
            col_batch f = *in;
            f.cols = kiln_arena_alloc(s->base.arena, sizeof *f.cols * (size_t)in->ncols);
            if (!f.cols) return KILN_ENOMEM;
            for (int c = 0; c < in->ncols; c++) {
                f.cols[c] = in->cols[c];
                if (in->cols[c].constant &&
                    (rc = col_vec_flatten(&f.cols[c], s->base.arena, &in->cols[c])))
                    return rc;
            }
            rc = sql_sorter_add_batch(s->sorter, &f);
            kiln_arena_reset(s->base.arena);
        } else {
            rc = sql_sorter_add_batch(s->sorter, in);
        }
        if (rc) return rc;
    }
    op_close(s->child);
    s->child = NULL;
    s->sorted = true;
    return sql_sorter_finish(s->sorter);
}

/* Whether row i of a and row j of b are equal partition keys (nulls
 * equal, NaN = NaN, -0.0 = 0.0, as the sorter and the core group them). */
static bool same_key(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j)
{
    bool va = col_valid(a, i), vb = col_valid(b, j);
    if (!va || !vb) return va == vb;
    i = col_row(a, i);
    j = col_row(b, j);
    switch (a->type->kind) {
    case COL_F32: {
        float x = ((const float *)a->data)[i], y = ((const float *)b->data)[j];
        return x == y || (x != x && y != y);
    }
    case COL_F64: {
        double x = ((const double *)a->data)[i], y = ((const double *)b->data)[j];
        return x == y || (x != x && y != y);
    }
    case COL_STRING:
    case COL_BINARY:
        return col_str_eq(&((const col_str *)a->data)[i], &((const col_str *)b->data)[j]);
    default: {
        size_t w = col_type_width(a->type);
        return !w || memcmp((const char *)a->data + w * i, (const char *)b->data + w * j, w) == 0;
    }
    }
}

static bool same_keys(const plan *p, const col_batch *a, uint32_t i, const col_batch *b, uint32_t j)
{
    for (int k = 0; k < p->nkeys; k++) {
        int c = p->keys[k]->col;
        if (!same_key(&a->cols[c], i, &b->cols[c], j)) return false;
    }
    return true;
}

/* Rows [from, to) of b as a new batch in a. */
static int slice(kiln_arena *a, const col_batch *b, uint32_t from, uint32_t to, col_batch *out)
{
    uint32_t n = to - from;
    uint32_t *sel = kiln_arena_alloc(a, sizeof *sel * (n ? n : 1));
    out->cols = kiln_arena_alloc(a, sizeof *out->cols * (size_t)(b->ncols ? b->ncols : 1));
    if (!sel || !out->cols) return KILN_ENOMEM;
    for (uint32_t k = 0; k < n; k++) sel[k] = from + k;
    out->ncols = b->ncols;
    out->n = n;
    out->sel = NULL;
    out->nsel = 0;
    for (int c = 0; c < b->ncols; c++) {
        int rc = col_vec_gather(&out->cols[c], a, &b->cols[c], sel, n);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* The next chunk of sorted batches into s->b: whole partitions, ending at
 * the last partition boundary after WIN_CHUNK_ROWS rows (or at the end).
 * The rows after the boundary wait in s->carry. */
static int next_chunk(win_op *s)
{
    const plan *p = s->p;
    int nxt = s->cur ^ 1, rc;
    kiln_arena *a = s->ar[nxt];
    kiln_arena_reset(a);
    int n = 0, cap = s->ncarry + 16;
    col_batch *list = kiln_arena_alloc(a, sizeof *list * (size_t)cap);
    if (!list) return KILN_ENOMEM;
    uint64_t rows = 0;
    for (int i = 0; i < s->ncarry; i++) {
        if ((rc = slice(a, &s->carry[i], 0, s->carry[i].n, &list[n]))) return rc;
        rows += list[n++].n;
    }
    s->ncarry = 0;
    uint64_t want = p->nkeys ? s->chunk_rows : UINT64_MAX; /* no keys: one partition */
    for (;;) {
        while (!s->ended && rows < want) {
            if (n == cap) {
                cap *= 2;
                col_batch *g = kiln_arena_alloc(a, sizeof *g * (size_t)cap);
                if (!g) return KILN_ENOMEM;
                memcpy(g, list, sizeof *g * (size_t)n);
                list = g;
            }
            if ((rc = sql_sorter_next_batch(s->sorter, a, &list[n]))) return rc;
            if (!list[n].n) s->ended = true;
            else rows += list[n++].n;
        }
        if (s->ended || !p->nkeys || !n) break;
        /* Where the last partition starts: rows equal to the last row. */
        const col_batch *last = &list[n - 1];
        int cb = 0;
        uint32_t cr = 0;
        bool found = false;
        for (int b = n - 1; b >= 0 && !found; b--)
            for (uint32_t r = list[b].n; r-- > 0;)
                if (!same_keys(p, &list[b], r, last, last->n - 1)) {
                    cb = b;
                    cr = r + 1;
                    found = true;
                    break;
                }
        if (!found) {
            want = rows * 2; /* one partition so far: read on */
            continue;
        }
        if (cr == list[cb].n) {
            cb++;
            cr = 0;
        }
        /* The carry: the tail of batch cb and the batches after it. */
        s->carry = kiln_arena_alloc(a, sizeof *s->carry * (size_t)(n - cb + 1));
        if (!s->carry) return KILN_ENOMEM;
        int nc = 0;
        if (cr) {
            col_batch head;
            if ((rc = slice(a, &list[cb], cr, list[cb].n, &s->carry[nc++])) ||
                (rc = slice(a, &list[cb], 0, cr, &head)))
                return rc;
            list[cb] = head;
            cb++;
        }
        for (int b = cb; b < n; b++) s->carry[nc++] = list[b];
        s->ncarry = nc;
        n = cb;
        break;
    }
    s->cur = nxt;
    s->data = a;
    s->b = list;
    s->nb = n;
    s->at = 0;
    return KILN_OK;
}

/* An aggregate of agg_fn.h over the whole partition (whole) or the frame
 * from the partition's start to the current row or its last peer. pstart
 * and sstart flag, per global row, a partition's first row and a new
 * output value's first row. */
static int generic_fn(win_op *s, const plan_win *w, const uint8_t *pstart, const uint8_t *sstart,
                      col_vec *out)
{
    fn_ctx *fc = s->base.fc;
    kiln_arena *a = s->data;
    const col_type *types[AGG_MAX_ARGS];
    for (int k = 0; k < w->nargs; k++) types[k] = w->args[k]->type;
    agg_bound ab;
    int rc = agg_bind(&ab, a, w->fn, types, w->nargs, false, w->ignore_nulls);
    if (rc)
        return kiln_set_error(KILN_ESQL, "[%s] %s", ab.err_cls ? ab.err_cls : "ERROR",
                              ab.err_msg ? ab.err_msg : w->fn);
    agg_ctx ac = {.arena = a, .out = a, .ansi = fc->ansi, .expr = w->fn};
    uint8_t *st = kiln_arena_alloc(a, ab.state_size ? ab.state_size : 16);
    col_vec *args = kiln_arena_alloc(a, sizeof *args * (size_t)(s->nb * (w->nargs + 1) + 1));
    uint32_t maxn = 1;
    for (int b = 0; b < s->nb; b++) maxn = s->b[b].n > maxn ? s->b[b].n : maxn;
    uint32_t *sel = kiln_arena_alloc(a, sizeof *sel * maxn);
    if (!st || !args || !sel) return KILN_ENOMEM;
    fc->arena = a;
    for (int b = 0; b < s->nb; b++) {
        for (int k = 0; k < w->nargs; k++)
            if ((rc = op_error(fc, expr_eval(w->args[k], fc, &s->b[b], &args[b * w->nargs + k]))))
                return rc;
        if ((rc = col_vec_init(&out[b], a, w->type, s->b[b].n)) ||
            (rc = col_vec_add_validity(&out[b], a, s->b[b].n)))
            return rc;
        out[b].n = s->b[b].n;
        if (out[b].offsets) out[b].offsets[0] = 0;
    }
    col_vec v;
    /* Segments [g0, g1) of global rows share one value. */
    uint32_t total = 0;
    for (int b = 0; b < s->nb; b++) total += s->b[b].n;
    int b0 = 0;
    uint32_t r0 = 0, g0 = 0;
    while (g0 < total) {
        uint32_t g1 = g0 + 1;
        while (g1 < total && !sstart[g1]) g1++;
        if (pstart[g0]) memset(st, 0, ab.state_size);
        /* Add the segment's rows, batch piece by batch piece. */
        int b = b0;
        uint32_t r = r0, left = g1 - g0;
        while (left) {
            uint32_t take = s->b[b].n - r < left ? s->b[b].n - r : left;
            for (uint32_t k = 0; k < take; k++) sel[k] = r + k;
            if (take &&
                (rc = ab.update(&ac, &ab, st, ab.state_size, NULL, &args[b * w->nargs], sel, take)))
                return rc;
            left -= take;
            r += take;
            if (r == s->b[b].n) {
                b++;
                r = 0;
            }
        }
        if ((rc = agg_output_init(&v, a, w->type, 1)) ||
            (rc = ab.finalize(&ac, &ab, st, ab.state_size, 1, &v)))
            return rc;
        /* The value to every row of the segment. */
        left = g1 - g0;
        while (left) {
            if ((rc = col_vec_copy_row(&out[b0], a, r0, &v, 0))) return rc;
            left--;
            if (++r0 == s->b[b0].n) {
                b0++;
                r0 = 0;
            }
        }
        g0 = g1;
    }
    return KILN_OK;
}

/* Computes every function of the plan over the sorted batches. */
static int compute(win_op *s)
{
    const plan *p = s->p;
    kiln_arena *a = s->data;
    int rc;
    s->res = kiln_arena_alloc(a, sizeof *s->res * (size_t)(p->nwin + 2));
    int *part = kiln_arena_alloc(a, sizeof *part * (size_t)(p->nkeys + 1));
    win_order *ord = kiln_arena_alloc(a, sizeof *ord * (size_t)(p->norder + 1));
    win_spec *specs = kiln_arena_alloc(a, sizeof *specs * (size_t)(p->nwin + 2));
    int *slot = kiln_arena_alloc(a, sizeof *slot * (size_t)(p->nwin + 1));
    if (!s->res || !part || !ord || !specs || !slot) return KILN_ENOMEM;
    for (int k = 0; k < p->nkeys; k++)
        if ((rc = col_index(p->keys[k], &part[k]))) return rc;
    for (int k = 0; k < p->norder; k++) {
        if ((rc = col_index(p->order[k].e, &ord[k].col))) return rc;
        ord[k].desc = p->order[k].desc;
        ord[k].nulls_first = p->order[k].nulls_first;
    }
    int ns = 0;
    bool generic = false;
    for (int i = 0; i < p->nwin; i++) {
        const plan_win *w = &p->win[i];
        if (w->core < 0) {
            generic = true;
            slot[i] = -1;
            continue;
        }
        win_spec *sp = &specs[ns];
        memset(sp, 0, sizeof *sp);
        sp->fn = (win_fn)w->core;
        sp->arg = -1;
        sp->def_col = -1;
        sp->n = w->n;
        sp->ignore_nulls = w->ignore_nulls;
        if (w->nargs && (rc = col_index(w->args[0], &sp->arg))) return rc;
        if (w->nargs > 1) {
            if (w->args[1]->kind == EX_LIT) sp->def = &w->args[1]->lit;
            else if ((rc = col_index(w->args[1], &sp->def_col))) return rc;
        }
        sp->frame.unit = (win_frame_unit)w->unit;
        sp->frame.start = (win_bound){(win_bound_kind)w->start, w->start_off,
                                      w->start_val ? &w->start_val->lit : NULL};
        sp->frame.end = (win_bound){(win_bound_kind)w->end, w->end_off,
                                    w->end_val ? &w->end_val->lit : NULL};
        slot[i] = ns++;
    }
    int rn = -1, rk = -1;
    if (generic) {
        /* Partition starts and peer groups, for the other aggregates. */
        memset(&specs[ns], 0, sizeof specs[ns] * 2);
        specs[ns] = (win_spec){.fn = WIN_ROW_NUMBER, .arg = -1, .def_col = -1};
        rn = ns++;
        if (p->norder) {
            specs[ns] = (win_spec){.fn = WIN_RANK, .arg = -1, .def_col = -1};
            rk = ns++;
        }
    }
    col_vec **out = kiln_arena_alloc(a, sizeof *out * (size_t)(ns + 1));
    if (!out) return KILN_ENOMEM;
    if (ns) {
        win_input in = {s->b, s->nb, part, p->nkeys, ord, p->norder, s->base.fc->ansi};
        if ((rc = win_compute(a, &in, specs, ns, out))) return rc;
    }
    for (int i = 0; i < p->nwin; i++)
        if (slot[i] >= 0) s->res[i] = out[slot[i]];
    if (!generic) return KILN_OK;
    uint32_t total = 0;
    for (int b = 0; b < s->nb; b++) total += s->b[b].n;
    uint8_t *pstart = kiln_arena_alloc(a, (size_t)total + 1);
    uint8_t *peer = kiln_arena_alloc(a, (size_t)total + 1);
    if (!pstart || !peer) return KILN_ENOMEM;
    uint32_t g = 0;
    int32_t prev_rank = 0;
    for (int b = 0; b < s->nb; b++)
        for (uint32_t r = 0; r < s->b[b].n; r++, g++) {
            pstart[g] = COL_DATA(&out[rn][b], int32_t)[r] == 1;
            int32_t k = rk >= 0 ? COL_DATA(&out[rk][b], int32_t)[r] : 1;
            peer[g] = pstart[g] || k != prev_rank;
            prev_rank = k;
        }
    for (int i = 0; i < p->nwin; i++) {
        const plan_win *w = &p->win[i];
        if (w->core >= 0) continue;
        s->res[i] = kiln_arena_alloc(a, sizeof *s->res[i] * (size_t)(s->nb + 1));
        if (!s->res[i]) return KILN_ENOMEM;
        bool whole = w->unit == 0 ? p->norder == 0 : w->end == WIN_UNBOUNDED_FOLLOWING;
        const uint8_t *seg = whole ? pstart : peer;
        uint8_t *every = NULL;
        if (!whole && w->unit == WIN_ROWS) {
            /* ROWS ... CURRENT ROW: a value per row. */
            if (!(every = kiln_arena_alloc(a, (size_t)total + 1))) return KILN_ENOMEM;
            memset(every, 1, (size_t)total + 1);
            seg = every;
        }
        if ((rc = generic_fn(s, w, pstart, seg, s->res[i]))) return rc;
    }
    return KILN_OK;
}

static int win_next(op *o, col_batch **out)
{
    win_op *s = (win_op *)o;
    int rc;
    if (!s->sorted && (rc = sort_input(s))) return rc;
    for (;;) {
        while (s->at < s->nb && !s->b[s->at].n) s->at++;
        if (s->at < s->nb) break;
        if (s->ended && !s->ncarry) return 0;
        if ((rc = next_chunk(s)) || (s->nb && (rc = compute(s)))) return rc;
    }
    const col_batch *b = &s->b[s->at];
    kiln_arena_reset(o->arena);
    int nc = b->ncols + s->p->nwin;
    o->out = *b;
    o->out.ncols = nc;
    o->out.cols = kiln_arena_alloc(o->arena, sizeof *o->out.cols * (size_t)nc);
    if (!o->out.cols) return KILN_ENOMEM;
    memcpy(o->out.cols, b->cols, sizeof *b->cols * (size_t)b->ncols);
    for (int i = 0; i < s->p->nwin; i++) o->out.cols[b->ncols + i] = s->res[i][s->at];
    s->at++;
    *out = &o->out;
    return 1;
}

static void win_close(op *o)
{
    win_op *s = (win_op *)o;
    op_close(s->child);
    kiln_arena_free(s->ar[0]);
    kiln_arena_free(s->ar[1]);
    sql_sorter_free(s->sorter);
    op_free(o);
}

static const op_ops win_ops = {"window", win_next, win_close};

op *op_window(fn_ctx *fc, op *child, const plan *p)
{
    win_op *s = (win_op *)op_alloc(sizeof *s, &win_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->p = p;
    const char *cr = getenv("KILN_TEST_WINDOW_CHUNK_ROWS");
    s->chunk_rows = cr && atoi(cr) > 0 ? (uint64_t)atoi(cr) : WIN_CHUNK_ROWS;
    s->ar[0] = kiln_arena_new();
    s->ar[1] = kiln_arena_new();
    const plan *in = p->in[0];
    int nk = p->nkeys + p->norder;
    const col_type **types = calloc((size_t)in->ncols + 1, sizeof *types);
    sort_key *keys = calloc((size_t)nk + 1, sizeof *keys);
    int rc = s->ar[0] && s->ar[1] && types && keys ? KILN_OK : KILN_ENOMEM;
    for (int i = 0; i < in->ncols; i++) types[i] = in->cols[i].type;
    for (int k = 0; !rc && k < p->nkeys; k++) {
        keys[k].nulls_first = true;
        rc = col_index(p->keys[k], &keys[k].col);
    }
    for (int k = 0; !rc && k < p->norder; k++) {
        keys[p->nkeys + k].desc = p->order[k].desc;
        keys[p->nkeys + k].nulls_first = p->order[k].nulls_first;
        rc = col_index(p->order[k].e, &keys[p->nkeys + k].col);
    }
    if (!rc) s->sorter = sql_sorter_new(types, in->ncols, keys, nk);
    free(types);
    free(keys);
    if (rc || !s->sorter) {
        if (rc == KILN_ENOMEM) kiln_set_error(rc, "out of memory opening a window operator");
        win_close(&s->base);
        return NULL;
    }
    return &s->base;
}
