/*
 * sql/exec_join.c - the join operator of a task (exec_int.h): the right
 * input built into a hash table (join_table.h), the left one probed batch
 * by batch, the residual condition evaluated on candidate pairs, unmatched
 * build rows emitted at the end for right and full joins. Joins without
 * keys (cross joins, conditions that are not equalities) loop over the
 * right input held in memory. A build side larger than the join's room
 * in the task's memory budget goes to disk (join_spill.h). A broadcast
 * side is built once per process and its table shared by the tasks
 * probing it (kiln_broadcast_derived), as Spark's executors share a
 * broadcast's HashedRelation.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/exec_int.h"
#include "sql/join_spill.h"
#include "sql/join_table.h"

typedef struct join_op {
    op base;
    op *left, *right;
    const plan *p;
    join_table *t;
    int nl, nr;
    bool built, probing, tail;
    join_probe probe;
    col_batch *in;      /* the probe batch being joined */
    col_vec *lkeys;     /* its key vectors */
    kiln_arena *inkeys; /* where they live */
    size_t cursor;      /* unmatched build rows emitted so far */
    /* keyless: the right input's batches (copied) */
    kiln_arena *held;
    col_batch *rb;
    int nrb, caprb;
    int rbi;
    uint32_t rrow;
    kiln_arena *filt; /* residual evaluation */
    int err;
    exec_mem mem;      /* the table's bytes in the task's budget */
    int level;         /* of grace partitioning (join_spill.h) */
    bool nospill;      /* a chunk of a partition: built whole */
    bool shared;       /* t is a broadcast's, shared with other tasks: not ours to free */
    join_spill *spill; /* once the build side went to disk */
} join_op;

static join_type jt_of(plan_join j)
{
    switch (j) {
    case PJ_LEFT:
        return JOIN_LEFT;
    case PJ_RIGHT:
        return JOIN_RIGHT;
    case PJ_FULL:
        return JOIN_FULL;
    case PJ_SEMI:
        return JOIN_SEMI;
    case PJ_ANTI:
        return JOIN_ANTI;
    default:
        return JOIN_INNER;
    }
}

static bool left_only(const join_op *s)
{
    return s->p->join == PJ_SEMI || s->p->join == PJ_ANTI;
}

/* The pairs (probe_rows[k], build_rows[k]) as a batch of the join's
 * columns (left's, then right's unless semi/anti), in a. */
static int pairs_batch(join_op *s, const col_batch *in, const uint32_t *prow, const uint32_t *brow,
                       uint32_t n, kiln_arena *a, col_batch *out, bool all_cols)
{
    int nout = s->nl + (all_cols || !left_only(s) ? s->nr : 0);
    col_vec *cols = kiln_arena_alloc(a, sizeof *cols * (size_t)(nout + 1));
    if (!cols) return KILN_ENOMEM;
    int rc;
    for (int c = 0; c < s->nl; c++) {
        if (!prow) {      /* unmatched build rows: the left side is null */
            col_vec null; /* flattened into cols[c]: the two must not alias */
            if ((rc = col_vec_constant(&null, a, s->p->in[0]->cols[c].type, NULL, n)) ||
                (rc = col_vec_flatten(&cols[c], a, &null)))
                return rc;
            continue;
        }
        /* prow indexes in's rows; JOIN_NO_ROW never appears on this side. */
        if ((rc = col_vec_gather(&cols[c], a, &in->cols[c], prow, n))) return rc;
    }
    for (int c = s->nl; c < nout; c++)
        if ((rc = join_table_gather(s->t, c - s->nl, brow, n, a, &cols[c]))) return rc;
    *out = (col_batch){.ncols = nout, .n = n, .cols = cols};
    return KILN_OK;
}

/* The residual condition over candidate pairs. */
static int residual(void *arg, const uint32_t *prow, const uint32_t *brow, uint32_t n,
                    uint32_t *keep, uint32_t *nkeep)
{
    join_op *s = arg;
    kiln_arena_reset(s->filt);
    col_batch b;
    int rc = pairs_batch(s, s->in, prow, brow, n, s->filt, &b, true);
    if (rc) return rc;
    fn_ctx *fc = s->base.fc;
    fc->arena = s->filt;
    if ((rc = op_error(fc, expr_filter(s->p->pred, fc, &b)))) return rc;
    uint32_t live = col_batch_live(&b);
    for (uint32_t k = 0; k < live; k++) keep[k] = b.sel ? b.sel[k] : k;
    *nkeep = live;
    return KILN_OK;
}

static int build(join_op *s)
{
    const plan *p = s->p;
    fn_ctx *fc = s->base.fc;
    kiln_arena *a = kiln_arena_new();
    if (!a) return KILN_ENOMEM;
    int rc = KILN_OK;
    for (;;) {
        col_batch *in;
        rc = op_next(s->right, &in);
        if (rc <= 0) break;
        rc = KILN_OK;
        kiln_arena_reset(a);
        fc->arena = a;
        col_vec *keys = kiln_arena_alloc(a, sizeof *keys * (size_t)(p->nkeys + 1));
        if (!keys) {
            rc = KILN_ENOMEM;
            break;
        }
        for (int k = 0; k < p->nkeys && !rc; k++)
            rc = op_error(fc, expr_eval(p->rkeys[k], fc, in, &keys[k]));
        /* Constant payload columns are flattened for the table. */
        col_vec *pay = kiln_arena_alloc(a, sizeof *pay * (size_t)(s->nr + 1));
        if (!rc && !pay) rc = KILN_ENOMEM;
        for (int c = 0; !rc && c < s->nr; c++) rc = col_vec_flatten(&pay[c], a, &in->cols[c]);
        for (int k = 0; !rc && k < p->nkeys; k++)
            if (keys[k].constant) rc = col_vec_flatten(&keys[k], a, &keys[k]);
        if (!rc) rc = join_table_add_batch(s->t, keys, pay, in->sel, col_batch_live(in));
        if (rc) break;
        if (exec_mem_over(&s->mem, (int64_t)join_table_bytes(s->t)) && !s->nospill) {
            rc = join_spill_start(&s->spill, fc, p, s->level, &s->mem, s->t, s->right);
            join_table_free(s->t);
            s->t = NULL;
            break;
        }
    }
    kiln_arena_free(a);
    if (!rc && s->t) rc = join_table_finish(s->t);
    if (s->t) exec_mem_track(&s->mem, (int64_t)join_table_bytes(s->t));
    op_close(s->right);
    s->right = NULL;
    return rc;
}

/* kiln_broadcast_derived's maker: the table built from the broadcast
 * side whole (no spill: the side was chosen as small). */
static void *make_shared(void *arg, const kiln_value *v)
{
    (void)v;
    join_op *s = arg;
    s->nospill = true;
    s->err = build(s);
    if (s->err) return NULL;
    join_table *t = s->t;
    s->t = NULL;
    return t;
}

static void free_shared(void *t)
{
    join_table_free(t);
}

/* The broadcast side's table, built by this task or another one of the
 * process. */
static int build_shared(join_op *s)
{
    join_table *t = kiln_broadcast_derived(s->base.fc->task, s->p->in[1]->bcast, make_shared, s,
                                           free_shared);
    if (!t) return s->err ? s->err : KILN_ESTATE;
    join_table_free(s->t);
    s->t = t;
    s->shared = true;
    op_close(s->right);
    s->right = NULL;
    return KILN_OK;
}

static int keyed_next(op *o, col_batch **out)
{
    join_op *s = (join_op *)o;
    const plan *p = s->p;
    int rc;
    if (!s->built) {
        bool bcast = p->in[1]->kind == PLAN_BROADCAST && o->fc->task && p->join != PJ_RIGHT &&
                     p->join != PJ_FULL;
        if ((rc = bcast ? build_shared(s) : build(s))) return rc;
        s->built = true;
    }
    if (s->spill) return join_spill_next(s->spill, s->left, out);
    uint32_t prow[COL_VEC_SIZE], brow[COL_VEC_SIZE];
    while (!s->tail) {
        if (!s->probing) {
            col_batch *in;
            rc = op_next(s->left, &in);
            if (rc < 0) return rc;
            if (rc == 0) {
                s->tail = true;
                break;
            }
            s->in = in;
            kiln_arena_reset(s->inkeys);
            o->fc->arena = s->inkeys;
            s->lkeys = kiln_arena_alloc(s->inkeys, sizeof *s->lkeys * (size_t)(p->nkeys + 1));
            if (!s->lkeys) return KILN_ENOMEM;
            for (int k = 0; k < p->nkeys; k++) {
                if ((rc = op_error(o->fc, expr_eval(p->keys[k], o->fc, in, &s->lkeys[k]))))
                    return rc;
                if (s->lkeys[k].constant &&
                    (rc = col_vec_flatten(&s->lkeys[k], s->inkeys, &s->lkeys[k])))
                    return rc;
            }
            join_probe_start(&s->probe, s->t, s->lkeys, in->sel, col_batch_live(in));
            if (p->pred) join_probe_set_filter(&s->probe, residual, s);
            s->probing = true;
        }
        uint32_t n;
        if ((rc = join_probe_next(&s->probe, prow, brow, COL_VEC_SIZE, &n))) return rc;
        if (n == 0) {
            s->probing = false;
            continue;
        }
        kiln_arena_reset(o->arena);
        if ((rc = pairs_batch(s, s->in, prow, brow, n, o->arena, &o->out, false))) return rc;
        *out = &o->out;
        return 1;
    }
    if (p->join == PJ_RIGHT || p->join == PJ_FULL) {
        uint32_t n = join_table_unmatched(s->t, &s->cursor, brow, COL_VEC_SIZE);
        if (n == 0) return 0;
        kiln_arena_reset(o->arena);
        if ((rc = pairs_batch(s, NULL, NULL, brow, n, o->arena, &o->out, false))) return rc;
        *out = &o->out;
        return 1;
    }
    return 0;
}

/* ---- Without keys ------------------------------------------------------------ */

static int hold_right(join_op *s)
{
    for (;;) {
        col_batch *in;
        int rc = op_next(s->right, &in);
        if (rc <= 0) {
            op_close(s->right);
            s->right = NULL;
            return rc;
        }
        if (s->nrb == s->caprb) {
            int cap = s->caprb ? s->caprb * 2 : 16;
            col_batch *g = realloc(s->rb, sizeof *g * (size_t)cap);
            if (!g) return KILN_ENOMEM;
            s->rb = g;
            s->caprb = cap;
        }
        /* A deep copy: encode and decode into the held arena. */
        kiln_buf b;
        kiln_buf_init(&b);
        rc = col_batch_encode(&b, in);
        uint8_t *copy = rc ? NULL : kiln_arena_alloc(s->held, b.len ? b.len : 1);
        if (!rc && copy) {
            memcpy(copy, b.data, b.len);
            rc = col_batch_decode(&s->rb[s->nrb], s->held, copy, b.len);
        } else if (!rc) {
            rc = KILN_ENOMEM;
        }
        kiln_buf_release(&b);
        if (rc) return rc;
        s->nrb++;
    }
}

/* Every left row of s->in with right row (rbi, rrow) onwards, a batch at a
 * time: the left batch with the right row's values as constants. */
static int nested_next(op *o, col_batch **out)
{
    join_op *s = (join_op *)o;
    const plan *p = s->p;
    int rc;
    if (p->join != PJ_INNER && p->join != PJ_CROSS)
        return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] outer, semi and anti joins "
                                         "need an equality between the two sides for now");
    if (!s->built) {
        if ((rc = hold_right(s))) return rc;
        s->built = true;
    }
    for (;;) {
        if (!s->in || s->rbi >= s->nrb) {
            rc = op_next(s->left, &s->in);
            if (rc <= 0) return rc;
            s->rbi = 0;
            s->rrow = 0;
        }
        while (s->rbi < s->nrb && s->rrow >= s->rb[s->rbi].n) {
            s->rbi++;
            s->rrow = 0;
        }
        if (s->rbi >= s->nrb) continue;
        const col_batch *rb = &s->rb[s->rbi];
        uint32_t r = s->rrow++;
        kiln_arena_reset(o->arena);
        col_vec *cols = kiln_arena_alloc(o->arena, sizeof *cols * (size_t)(s->nl + s->nr + 1));
        if (!cols) return KILN_ENOMEM;
        memcpy(cols, s->in->cols, sizeof *cols * (size_t)s->nl);
        for (int c = 0; c < s->nr; c++) {
            uint32_t one = r;
            if ((rc = col_vec_gather(&cols[s->nl + c], o->arena, &rb->cols[c], &one, 1))) return rc;
            cols[s->nl + c].constant = true;
            cols[s->nl + c].n = s->in->n;
        }
        o->out = (col_batch){.ncols = s->nl + s->nr,
                             .n = s->in->n,
                             .cols = cols,
                             .sel = s->in->sel,
                             .nsel = s->in->nsel};
        if (p->pred) {
            o->fc->arena = o->arena;
            if ((rc = op_error(o->fc, expr_filter(p->pred, o->fc, &o->out)))) return rc;
        }
        if (col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
    }
}

static void join_close(op *o)
{
    join_op *s = (join_op *)o;
    op_close(s->left);
    op_close(s->right);
    join_spill_free(s->spill);
    if (!s->shared) join_table_free(s->t);
    exec_mem_release(&s->mem);
    kiln_arena_free(s->inkeys);
    kiln_arena_free(s->filt);
    kiln_arena_free(s->held);
    free(s->rb);
    op_free(o);
}

static const op_ops keyed_ops = {"hash join", keyed_next, join_close};
static const op_ops nested_ops = {"nested loop join", nested_next, join_close};

op *op_join(fn_ctx *fc, op *left, op *right, const plan *p)
{
    join_op *s = (join_op *)op_alloc(sizeof *s, p->nkeys ? &keyed_ops : &nested_ops, fc);
    if (!s) {
        op_close(left);
        op_close(right);
        return NULL;
    }
    s->left = left;
    s->right = right;
    s->p = p;
    s->nl = p->in[0]->ncols;
    s->nr = p->in[1]->ncols;
    exec_mem_init(&s->mem, fc->task);
    s->inkeys = kiln_arena_new();
    s->filt = kiln_arena_new();
    s->held = kiln_arena_new();
    if (!s->inkeys || !s->filt || !s->held) {
        join_close(&s->base);
        return NULL;
    }
    if (!p->nkeys) return &s->base;
    const col_type **kt = calloc((size_t)p->nkeys, sizeof *kt);
    const col_type **pt = calloc((size_t)(s->nr + 1), sizeof *pt);
    if (!kt || !pt) {
        free(kt);
        free(pt);
        join_close(&s->base);
        return NULL;
    }
    for (int k = 0; k < p->nkeys; k++) kt[k] = p->rkeys[k]->type;
    for (int c = 0; c < s->nr; c++) pt[c] = p->in[1]->cols[c].type;
    s->t = join_table_new(kt, p->nkeys, p->null_safe, pt, s->nr, jt_of(p->join), p->null_aware);
    free(kt);
    free(pt);
    if (!s->t) {
        join_close(&s->base);
        return NULL;
    }
    return &s->base;
}

op *op_join_sub(fn_ctx *fc, op *left, op *right, const plan *p, int level, bool nospill)
{
    join_op *s = (join_op *)op_join(fc, left, right, p);
    if (s) {
        s->level = level;
        s->nospill = nospill;
    }
    return s ? &s->base : NULL;
}
