/*
 * sql/exec_generate.c - the Generate operator (PLAN_EXPLODE): each input
 * batch gets its generator argument evaluated as one more column, then
 * generate.c's iterator hands out the child's columns repeated per element
 * with the generated ones, a batch of at most COL_VEC_SIZE rows at a time.
 * GEN_REPLICATE (INTERSECT ALL / EXCEPT ALL) repeats each row by a count.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "sql/exec_int.h"
#include "sql/generate.h"

typedef struct gen_op {
    op base;
    op *child;
    const plan *p;
    kiln_arena *in_arena; /* the evaluated argument, for the current input batch */
    col_batch ext;        /* the input batch with the argument appended */
    int *keep;            /* 0..ncols-1 of the child */
    int nkeep;
    bool busy; /* ext is being iterated */
    gen_iter it;
    uint32_t live, left; /* GEN_REPLICATE: next live row, copies of it still due */
} gen_op;

/* Pulls the next input batch and evaluates the argument over it. */
static int gen_pull(gen_op *s)
{
    col_batch *in;
    int rc = op_next(s->child, &in);
    if (rc <= 0) return rc;
    kiln_arena_reset(s->in_arena);
    fn_ctx *fc = s->base.fc;
    fc->arena = s->in_arena;
    col_vec *cols = kiln_arena_alloc(s->in_arena, sizeof *cols * (size_t)(in->ncols + 1));
    if (!cols) return KILN_ENOMEM;
    memcpy(cols, in->cols, sizeof *cols * (size_t)in->ncols);
    if ((rc = op_error(fc, expr_eval(s->p->exprs[0], fc, in, &cols[in->ncols])))) return rc;
    s->ext = *in;
    s->ext.cols = cols;
    s->ext.ncols = in->ncols + 1;
    s->nkeep = in->ncols;
    if (s->p->gen == GEN_REPLICATE) {
        s->live = 0;
        s->left = UINT32_MAX; /* not read yet */
    } else {
        gen_start(&s->it, (gen_fn)s->p->gen, s->p->outer, &s->ext, in->ncols, s->keep, s->nkeep);
    }
    s->busy = true;
    return 1;
}

/* The next rows of ext repeated by their counts (null or < 1: none). */
static int replicate_next(gen_op *s, kiln_arena *a, col_batch *out)
{
    const col_batch *in = &s->ext;
    const col_vec *cv = &in->cols[in->ncols - 1];
    uint32_t rows[COL_VEC_SIZE], n = 0, live = col_batch_live(in);
    while (n < COL_VEC_SIZE && s->live < live) {
        uint32_t r = in->sel ? in->sel[s->live] : s->live;
        if (s->left == UINT32_MAX) {
            uint32_t cr = col_row(cv, r);
            int64_t c = col_valid(cv, cr) ? ((const int64_t *)cv->data)[cr] : 0;
            s->left = c < 1 ? 0 : c > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)c;
        }
        while (s->left && n < COL_VEC_SIZE) {
            rows[n++] = r;
            s->left--;
        }
        if (!s->left) {
            s->live++;
            s->left = UINT32_MAX;
        }
    }
    memset(out, 0, sizeof *out);
    if (!n) return KILN_OK;
    out->cols = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)(s->nkeep ? s->nkeep : 1));
    if (!out->cols) return KILN_ENOMEM;
    out->ncols = s->nkeep;
    out->n = n;
    for (int c = 0; c < s->nkeep; c++) {
        int rc = col_vec_gather(&out->cols[c], a, &in->cols[c], rows, n);
        if (rc) return rc;
    }
    return KILN_OK;
}

static int gen_next_batch(op *o, col_batch **out)
{
    gen_op *s = (gen_op *)o;
    for (;;) {
        if (!s->busy) {
            int rc = gen_pull(s);
            if (rc <= 0) return rc;
        }
        kiln_arena_reset(o->arena);
        int rc = s->p->gen == GEN_REPLICATE ? replicate_next(s, o->arena, &o->out)
                                            : gen_next(&s->it, o->arena, &o->out);
        if (rc == KILN_ENOMEM) return kiln_set_error(rc, "out of memory in a generator");
        if (rc) return rc;
        if (o->out.n) {
            *out = &o->out;
            return 1;
        }
        s->busy = false;
    }
}

static void gen_close(op *o)
{
    gen_op *s = (gen_op *)o;
    op_close(s->child);
    kiln_arena_free(s->in_arena);
    free(s->keep);
    op_free(o);
}

static const op_ops gen_ops = {"generate", gen_next_batch, gen_close};

op *op_generate(fn_ctx *fc, op *child, const plan *p)
{
    gen_op *s = (gen_op *)op_alloc(sizeof *s, &gen_ops, fc);
    int n = p->in[0]->ncols;
    if (s) {
        s->in_arena = kiln_arena_new();
        s->keep = malloc(sizeof *s->keep * (size_t)(n + 1));
    }
    if (!s || !s->in_arena || !s->keep) {
        if (s) {
            kiln_arena_free(s->in_arena);
            free(s->keep);
            op_free(&s->base);
        }
        op_close(child);
        kiln_set_error(KILN_ENOMEM, "out of memory opening a generator");
        return NULL;
    }
    for (int i = 0; i < n; i++) s->keep[i] = i;
    s->child = child;
    s->p = p;
    return &s->base;
}
