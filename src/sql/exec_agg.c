/*
 * sql/exec_agg.c - the hash aggregation and sort operators of a task
 * (exec_int.h), over the vectorised cores agg_table.h and sort.h.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/agg_table.h"
#include "sql/exec_int.h"
#include "sql/exec_mem.h"
#include "sql/sort.h"

int exec_bind_aggs(kiln_arena *a, const plan *p, agg_bound *out)
{
    for (int i = 0; i < p->naggs; i++) {
        const plan_agg *g = &p->aggs[i];
        const col_type *types[AGG_MAX_ARGS];
        if (g->nargs > AGG_MAX_ARGS)
            return kiln_set_error(KILN_ESQL, "aggregate %s has too many arguments", g->fn);
        for (int k = 0; k < g->nargs; k++) types[k] = g->args[k]->type;
        int rc = agg_bind(&out[i], a, g->fn, types, g->nargs, g->distinct, false);
        if (rc)
            return kiln_set_error(KILN_ESQL, "[%s] %s", out[i].err_cls ? out[i].err_cls : "ERROR",
                                  out[i].err_msg ? out[i].err_msg : g->fn);
    }
    return KILN_OK;
}

typedef struct agg_op {
    op base;
    op *child;
    const plan *p;
    agg_table *t;
    agg_bound *aggs;
    size_t cursor;
    bool built;
    bool flushing;               /* partial: emitting the groups so far, over the budget */
    bool spills;                 /* final / complete: the table spills past mem's room */
    exec_mem mem;                /* the table's bytes in the task's budget */
    size_t spilled, spilled_mem; /* of the table's spills, counted in the metrics */
    uint64_t rows_in;            /* partial: input rows so far */
    int passthrough;             /* partial: 1 handing groups on after every batch, 2 once small */
    uint64_t pass_rows;          /* partial: rows seen before deciding (pass_rows()) */
} agg_op;

/* *out: in with only the live rows where the boolean f is true. */
static int filter_batch(kiln_arena *a, const col_batch *in, const col_vec *f, col_batch *out)
{
    uint32_t live = col_batch_live(in);
    *out = *in;
    out->sel = kiln_arena_alloc(a, sizeof *out->sel * ((size_t)live + 1));
    if (!out->sel) return KILN_ENOMEM;
    const uint8_t *v = f->data;
    uint32_t m = 0;
    for (uint32_t k = 0; k < live; k++) {
        uint32_t r = in->sel ? in->sel[k] : k;
        uint32_t fr = col_row(f, r);
        out->sel[m] = r;
        m += (v[fr] != 0) & col_valid(f, r);
    }
    out->nsel = m;
    return KILN_OK;
}

/* A partial aggregate whose first PASS_ROWS rows made more than 4/5 as
 * many groups hands its groups on after every batch from then on (the
 * GROUP BY of a near-unique key): its table stays small and in cache, and
 * only the final aggregate groups. (After 2^20 rows, 100,000 keys drawn
 * uniformly have made 10 rows a group; 10M near-unique ones 1.) */
#define PASS_ROWS (1u << 20)

/* PASS_ROWS, or $KILN_TEST_AGG_PASS_ROWS (tests make it small). */
static uint64_t pass_rows(void)
{
    const char *e = getenv("KILN_TEST_AGG_PASS_ROWS");
    return e && atoll(e) > 0 ? (uint64_t)atoll(e) : PASS_ROWS;
}

static void agg_partial_adapt(agg_op *s, uint32_t rows)
{
    s->rows_in += rows;
    if (!s->passthrough && s->rows_in >= s->pass_rows &&
        agg_table_groups(s->t) * 5 > s->rows_in * 4)
        s->passthrough = 1;
    if (s->passthrough && agg_table_groups(s->t)) s->flushing = true;
}

/* Feeds one input batch: keys and arguments evaluated (complete and
 * partial), or key and state columns as they are (final). */
static int agg_feed(agg_op *s, col_batch *in)
{
    const plan *p = s->p;
    fn_ctx *fc = s->base.fc;
    kiln_arena *a = s->base.arena;
    kiln_arena_reset(a);
    fc->arena = a;
    col_vec *keys = kiln_arena_alloc(a, sizeof *keys * (size_t)(p->nkeys + 1));
    const col_vec **args = kiln_arena_alloc(a, sizeof *args * (size_t)(p->naggs + 1));
    const col_vec **filters = kiln_arena_alloc(a, sizeof *filters * (size_t)(p->naggs + 1));
    if (!keys || !args || !filters) return KILN_ENOMEM;
    int rc;
    if (p->agg_mode == PAGG_FINAL) {
        for (int k = 0; k < p->nkeys; k++) keys[k] = in->cols[k];
        int at = p->nkeys;
        for (int i = 0; i < p->naggs; i++) {
            args[i] = &in->cols[at];
            at += s->aggs[i].nstate;
        }
        rc = agg_table_merge_batch(s->t, keys, args, in->sel, col_batch_live(in));
        return rc;
    }
    for (int k = 0; k < p->nkeys; k++)
        if ((rc = op_error(fc, expr_eval(p->keys[k], fc, in, &keys[k])))) return rc;
    for (int i = 0; i < p->naggs; i++) {
        const plan_agg *g = &p->aggs[i];
        filters[i] = NULL;
        /* FILTER (WHERE c): the arguments are evaluated only for the rows
         * where c is true (1 / x FILTER (WHERE x <> 0) raises nothing). */
        const col_batch *rows = in;
        col_batch narrowed;
        if (g->filter) {
            col_vec *f = kiln_arena_alloc(a, sizeof *f);
            if (!f) return KILN_ENOMEM;
            if ((rc = op_error(fc, expr_eval(g->filter, fc, in, f)))) return rc;
            filters[i] = f;
            if ((rc = filter_batch(a, in, f, &narrowed))) return rc;
            rows = &narrowed;
        }
        if (!g->nargs) {
            args[i] = NULL;
            continue;
        }
        col_vec *v = kiln_arena_alloc(a, sizeof *v * (size_t)g->nargs);
        if (!v) return KILN_ENOMEM;
        for (int k = 0; k < g->nargs; k++)
            if ((rc = op_error(fc, expr_eval(g->args[k], fc, rows, &v[k])))) return rc;
        args[i] = v;
    }
    return agg_table_add_filtered(s->t, keys, args, filters, in->sel, col_batch_live(in));
}

/* Accounts the table's bytes; a partial aggregate over its room flushes
 * what it has (Spark's partial aggregation does the same), a spilling
 * table gets the room as its limit and its spills are counted. */
static void agg_account(agg_op *s)
{
    size_t held = agg_table_bytes(s->t);
    int64_t room = exec_mem_track(&s->mem, (int64_t)held);
    if (!exec_mem_bounded(&s->mem) || !s->p->nkeys) return;
    if (s->p->agg_mode == PAGG_PARTIAL) {
        if (exec_mem_over(&s->mem, (int64_t)held) && agg_table_groups(s->t)) {
            s->flushing = true;
            exec_mem_note_spill(&s->mem, (int64_t)held);
        }
        return;
    }
    if (!s->spills) return;
    agg_table_set_spill_limit(s->t, (size_t)room / 2); /* tables grow by doubling */
    size_t spilled = agg_table_spilled(s->t), mem = agg_table_spilled_memory(s->t);
    if (mem > s->spilled_mem) exec_mem_note_spill(&s->mem, (int64_t)(mem - s->spilled_mem));
    if (spilled > s->spilled) exec_mem_note_spill_disk(&s->mem, (int64_t)(spilled - s->spilled));
    s->spilled = spilled;
    s->spilled_mem = mem;
}

static int agg_next(op *o, col_batch **out)
{
    agg_op *s = (agg_op *)o;
    int rc;
    while (!s->built) {
        if (s->flushing) {
            kiln_arena_reset(o->arena);
            if ((rc = agg_table_result(s->t, &s->cursor, o->arena, &o->out))) return rc;
            if (o->out.n) {
                *out = &o->out;
                return 1;
            }
            s->flushing = false;
            s->cursor = 0;
            if (s->passthrough == 2) {
                agg_table_reset(s->t); /* keeps the small table's allocations */
            } else {
                agg_table_clear(s->t);
                if (s->passthrough) s->passthrough = 2;
            }
            agg_account(s);
            continue;
        }
        col_batch *in;
        rc = op_next(s->child, &in);
        if (rc < 0) return rc;
        if (rc == 0) {
            s->built = true;
            op_close(s->child);
            s->child = NULL;
            break;
        }
        uint32_t rows = col_batch_live(in);
        if ((rc = agg_feed(s, in))) return rc;
        agg_account(s);
        if (s->p->agg_mode == PAGG_PARTIAL && s->p->nkeys && !s->flushing)
            agg_partial_adapt(s, rows);
    }
    kiln_arena_reset(o->arena);
    if ((rc = agg_table_result(s->t, &s->cursor, o->arena, &o->out))) return rc;
    agg_account(s);
    if (!o->out.n) return 0;
    *out = &o->out;
    return 1;
}

static void agg_close(op *o)
{
    agg_op *s = (agg_op *)o;
    op_close(s->child);
    agg_table_free(s->t);
    exec_mem_release(&s->mem);
    free(s->aggs);
    op_free(o);
}

static const op_ops agg_ops = {"aggregate", agg_next, agg_close};

op *op_agg(fn_ctx *fc, op *child, const plan *p, kiln_arena *plan_arena)
{
    agg_op *s = (agg_op *)op_alloc(sizeof *s, &agg_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->p = p;
    s->pass_rows = pass_rows();
    s->aggs = calloc((size_t)(p->naggs + 1), sizeof *s->aggs);
    const col_type **kt = calloc((size_t)(p->nkeys + 1), sizeof *kt);
    if (!s->aggs || !kt || exec_bind_aggs(plan_arena, p, s->aggs)) {
        free(kt);
        agg_close(&s->base);
        return NULL;
    }
    for (int k = 0; k < p->nkeys; k++) kt[k] = p->keys[k]->type;
    agg_mode m = p->agg_mode == PAGG_PARTIAL ? AGG_PARTIAL
                 : p->agg_mode == PAGG_FINAL ? AGG_FINAL
                                             : AGG_COMPLETE;
    s->t = agg_table_new(kt, p->nkeys, s->aggs, p->naggs, m, fc->ansi);
    free(kt);
    if (!s->t) {
        agg_close(&s->base);
        return NULL;
    }
    exec_mem_init(&s->mem, fc->task);
    bool distinct = false;
    for (int i = 0; i < p->naggs; i++) distinct |= p->aggs[i].distinct;
    /* DISTINCT aggregates cannot spill yet: they are only accounted. */
    if (exec_mem_bounded(&s->mem) && p->nkeys && m != AGG_PARTIAL && !distinct) {
        char dir[4096];
        exec_mem_spill_dir(&s->mem, dir);
        if (agg_table_set_spill(s->t, (size_t)s->mem.limit, dir)) {
            agg_close(&s->base);
            return NULL;
        }
        s->spills = true;
    }
    return &s->base;
}

/* ---- Sort ------------------------------------------------------------------------- */

typedef struct sort_op {
    op base;
    op *child;
    const plan *p;
    sql_sorter *sorter;
    int ncols; /* the child's columns; key columns follow them while sorting */
    bool built;
    kiln_arena *keys;            /* evaluated key columns of the batch being added */
    exec_mem mem;                /* the sorter's bytes in the task's budget */
    size_t spilled, spilled_mem; /* of runs, counted in the metrics */
} sort_op;

/* Accounts the sorter's bytes; it spills a run past its room. */
static void sort_account(sort_op *s)
{
    int64_t room = exec_mem_track(&s->mem, (int64_t)sql_sorter_bytes(s->sorter));
    if (!exec_mem_bounded(&s->mem) || s->p->limit > 0) return;
    sql_sorter_set_spill_limit(s->sorter, (size_t)room / 2); /* stores grow by doubling */
    size_t spilled = sql_sorter_spilled(s->sorter), mem = sql_sorter_spilled_memory(s->sorter);
    if (mem > s->spilled_mem) exec_mem_note_spill(&s->mem, (int64_t)(mem - s->spilled_mem));
    if (spilled > s->spilled) exec_mem_note_spill_disk(&s->mem, (int64_t)(spilled - s->spilled));
    s->spilled = spilled;
    s->spilled_mem = mem;
}

static int sort_next(op *o, col_batch **out)
{
    sort_op *s = (sort_op *)o;
    const plan *p = s->p;
    int rc;
    if (!s->built) {
        for (;;) {
            col_batch *in;
            rc = op_next(s->child, &in);
            if (rc < 0) return rc;
            if (rc == 0) break;
            /* The batch with its keys appended. */
            kiln_arena_reset(s->keys);
            o->fc->arena = s->keys;
            col_batch wide = *in;
            wide.ncols = s->ncols + p->norder;
            wide.cols = kiln_arena_alloc(s->keys, sizeof *wide.cols * (size_t)wide.ncols);
            if (!wide.cols) return KILN_ENOMEM;
            memcpy(wide.cols, in->cols, sizeof *wide.cols * (size_t)s->ncols);
            for (int k = 0; k < p->norder; k++)
                if ((rc = op_error(o->fc,
                                   expr_eval(p->order[k].e, o->fc, in, &wide.cols[s->ncols + k]))))
                    return rc;
            for (int k = 0; k < p->norder; k++) {
                col_vec *v = &wide.cols[s->ncols + k];
                if (v->constant) {
                    col_vec f;
                    if ((rc = col_vec_flatten(&f, s->keys, v))) return rc;
                    *v = f;
                }
            }
            if ((rc = sql_sorter_add_batch(s->sorter, &wide))) return rc;
            sort_account(s);
        }
        if ((rc = sql_sorter_finish(s->sorter))) return rc;
        sort_account(s);
        s->built = true;
        op_close(s->child);
        s->child = NULL;
    }
    kiln_arena_reset(o->arena);
    if ((rc = sql_sorter_next_batch(s->sorter, o->arena, &o->out))) return rc;
    if (!o->out.n) return 0;
    o->out.ncols = s->ncols; /* the keys stay behind */
    *out = &o->out;
    return 1;
}

static void sort_close(op *o)
{
    sort_op *s = (sort_op *)o;
    op_close(s->child);
    sql_sorter_free(s->sorter);
    exec_mem_release(&s->mem);
    kiln_arena_free(s->keys);
    op_free(o);
}

static const op_ops sort_ops = {"sort", sort_next, sort_close};

op *op_sort(fn_ctx *fc, op *child, const plan *p)
{
    sort_op *s = (sort_op *)op_alloc(sizeof *s, &sort_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->p = p;
    s->ncols = p->in[0]->ncols;
    s->keys = kiln_arena_new();
    int n = s->ncols + p->norder;
    const col_type **types = calloc((size_t)(n + 1), sizeof *types);
    sort_key *keys = calloc((size_t)(p->norder + 1), sizeof *keys);
    if (!s->keys || !types || !keys) {
        free(types);
        free(keys);
        sort_close(&s->base);
        return NULL;
    }
    for (int i = 0; i < s->ncols; i++) types[i] = p->in[0]->cols[i].type;
    for (int k = 0; k < p->norder; k++) {
        types[s->ncols + k] = p->order[k].e->type;
        keys[k] = (sort_key){s->ncols + k, p->order[k].desc, p->order[k].nulls_first};
    }
    s->sorter = p->limit > 0 ? sql_topn_new((size_t)p->limit, types, n, keys, p->norder)
                             : sql_sorter_new(types, n, keys, p->norder);
    free(types);
    free(keys);
    if (!s->sorter) {
        sort_close(&s->base);
        return NULL;
    }
    exec_mem_init(&s->mem, fc->task);
    if (exec_mem_bounded(&s->mem) && p->limit <= 0) {
        char dir[4096];
        exec_mem_spill_dir(&s->mem, dir);
        if (sql_sorter_set_spill(s->sorter, (size_t)s->mem.limit, dir)) {
            sort_close(&s->base);
            return NULL;
        }
    }
    return &s->base;
}
