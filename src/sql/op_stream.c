/*
 * sql/op_stream.c - the streaming operators (op.h): given batches, filter,
 * project, limit and union, and draining an operator into kiln_values.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "sql/op.h"

op *op_alloc(size_t size, const op_ops *ops, fn_ctx *fc)
{
    op *o = calloc(1, size);
    if (!o) return NULL;
    o->arena = kiln_arena_new();
    if (!o->arena) {
        free(o);
        return NULL;
    }
    o->ops = ops;
    o->fc = fc;
    return o;
}

void op_free(op *o)
{
    if (!o) return;
    kiln_arena_free(o->arena);
    free(o);
}

void op_close(op *o)
{
    if (!o) return;
    if (o->acc > 0 && o->fc && o->fc->task) {
        (void)kiln_accumulator_add(o->fc->task, o->acc, kiln_int(o->rows_out));
        (void)kiln_accumulator_add(o->fc->task, o->acc + 1, kiln_int(o->self_ns));
    }
    o->ops->close(o);
}

int op_error(fn_ctx *fc, int rc)
{
    if (rc != KILN_OK && fc->error) {
        kiln_set_error(rc, "%s", fc->error);
        free(fc->error);
        fc->error = NULL;
    }
    return rc;
}

/* ---- Given batches ---------------------------------------------------------- */

typedef struct batches_op {
    op base;
    const col_batch *b;
    int n, at;
} batches_op;

static int batches_next(op *o, col_batch **out)
{
    batches_op *s = (batches_op *)o;
    while (s->at < s->n) {
        o->out = s->b[s->at++];
        if (col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
    }
    return 0;
}

static void batches_close(op *o)
{
    op_free(o);
}

static const op_ops batches_ops = {"batches", batches_next, batches_close};

op *op_batches(fn_ctx *fc, const col_batch *batches, int n)
{
    batches_op *s = (batches_op *)op_alloc(sizeof *s, &batches_ops, fc);
    if (s) {
        s->b = batches;
        s->n = n;
    }
    return &s->base;
}

/* ---- Filter ------------------------------------------------------------------- */

typedef struct filter_op {
    op base;
    op *child;
    const expr *pred;
} filter_op;

static int filter_next(op *o, col_batch **out)
{
    filter_op *s = (filter_op *)o;
    for (;;) {
        col_batch *in;
        int rc = op_next(s->child, &in);
        if (rc <= 0) return rc;
        kiln_arena_reset(o->arena);
        o->out = *in;
        o->fc->arena = o->arena;
        if ((rc = op_error(o->fc, expr_filter(s->pred, o->fc, &o->out)))) return rc;
        if (col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
    }
}

static void filter_close(op *o)
{
    op_close(((filter_op *)o)->child);
    op_free(o);
}

static const op_ops filter_ops = {"filter", filter_next, filter_close};

op *op_filter(fn_ctx *fc, op *child, const expr *pred)
{
    filter_op *s = (filter_op *)op_alloc(sizeof *s, &filter_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->pred = pred;
    return &s->base;
}

/* ---- Project ------------------------------------------------------------------- */

typedef struct project_op {
    op base;
    op *child;
    expr *const *exprs;
    int n;
} project_op;

static int project_next(op *o, col_batch **out)
{
    project_op *s = (project_op *)o;
    col_batch *in;
    int rc = op_next(s->child, &in);
    if (rc <= 0) return rc;
    kiln_arena_reset(o->arena);
    o->fc->arena = o->arena;
    col_vec *cols = kiln_arena_alloc(o->arena, sizeof *cols * (size_t)(s->n ? s->n : 1));
    if (!cols) return KILN_ENOMEM;
    for (int i = 0; i < s->n; i++)
        if ((rc = op_error(o->fc, expr_eval(s->exprs[i], o->fc, in, &cols[i])))) return rc;
    o->out = (col_batch){.ncols = s->n, .n = in->n, .cols = cols, .sel = in->sel, .nsel = in->nsel};
    *out = &o->out;
    return 1;
}

static void project_close(op *o)
{
    op_close(((project_op *)o)->child);
    op_free(o);
}

static const op_ops project_ops = {"project", project_next, project_close};

op *op_project(fn_ctx *fc, op *child, expr *const *exprs, int n)
{
    project_op *s = (project_op *)op_alloc(sizeof *s, &project_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->exprs = exprs;
    s->n = n;
    return &s->base;
}

/* ---- Limit ---------------------------------------------------------------------- */

typedef struct limit_op {
    op base;
    op *child;
    int64_t skip, left;
} limit_op;

static int limit_next(op *o, col_batch **out)
{
    limit_op *s = (limit_op *)o;
    while (s->left > 0) {
        col_batch *in;
        int rc = op_next(s->child, &in);
        if (rc <= 0) return rc;
        uint32_t live = col_batch_live(in);
        if (s->skip >= live) {
            s->skip -= live;
            continue;
        }
        uint32_t from = (uint32_t)s->skip;
        uint32_t take = live - from;
        if ((int64_t)take > s->left) take = (uint32_t)s->left;
        s->skip = 0;
        s->left -= take;
        kiln_arena_reset(o->arena);
        o->out = *in;
        if (from || take < live) {
            uint32_t *sel = kiln_arena_alloc(o->arena, sizeof *sel * take);
            if (!sel) return KILN_ENOMEM;
            for (uint32_t k = 0; k < take; k++) sel[k] = in->sel ? in->sel[from + k] : from + k;
            o->out.sel = sel;
            o->out.nsel = take;
        }
        *out = &o->out;
        return 1;
    }
    return 0;
}

static void limit_close(op *o)
{
    op_close(((limit_op *)o)->child);
    op_free(o);
}

static const op_ops limit_ops = {"limit", limit_next, limit_close};

op *op_limit(fn_ctx *fc, op *child, int64_t offset, int64_t limit)
{
    limit_op *s = (limit_op *)op_alloc(sizeof *s, &limit_ops, fc);
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->skip = offset > 0 ? offset : 0;
    s->left = limit;
    return &s->base;
}

/* ---- Union ---------------------------------------------------------------------- */

typedef struct union_op {
    op base;
    op **children;
    int n, at;
} union_op;

static int union_next(op *o, col_batch **out)
{
    union_op *s = (union_op *)o;
    while (s->at < s->n) {
        int rc = op_next(s->children[s->at], out);
        if (rc) return rc;
        op_close(s->children[s->at]);
        s->children[s->at++] = NULL;
    }
    return 0;
}

static void union_close(op *o)
{
    union_op *s = (union_op *)o;
    for (int i = 0; i < s->n; i++) op_close(s->children[i]);
    free(s->children);
    op_free(o);
}

static const op_ops union_ops = {"union", union_next, union_close};

op *op_union(fn_ctx *fc, op **children, int n)
{
    union_op *s = (union_op *)op_alloc(sizeof *s, &union_ops, fc);
    op **kids = malloc(sizeof *kids * (size_t)(n ? n : 1));
    if (!s || !kids) {
        for (int i = 0; i < n; i++) op_close(children[i]);
        free(kids);
        op_free(&s->base);
        return NULL;
    }
    memcpy(kids, children, sizeof *kids * (size_t)n);
    s->children = kids;
    s->n = n;
    return &s->base;
}

/* ---- Draining --------------------------------------------------------------------- */

int op_drain_values(op *o, kiln_arena *a, kiln_value **rows, size_t *n)
{
    size_t cap = 64, len = 0;
    kiln_value *r = kiln_arena_alloc(a, sizeof *r * cap);
    if (!r) return KILN_ENOMEM;
    for (;;) {
        col_batch *b;
        int rc = op_next(o, &b);
        if (rc < 0) return rc;
        if (rc == 0) break;
        uint32_t live = col_batch_live(b);
        for (uint32_t k = 0; k < live; k++) {
            uint32_t i = b->sel ? b->sel[k] : k;
            kiln_value items[256];
            kiln_value *it = b->ncols <= 256 ? items
                                             : kiln_arena_alloc(a, sizeof *it * (size_t)b->ncols);
            if (!it) return KILN_ENOMEM;
            for (int c = 0; c < b->ncols; c++)
                if ((rc = col_vec_get_value(&b->cols[c], i, a, &it[c]))) return rc;
            if (len == cap) {
                kiln_value *g = kiln_arena_alloc(a, sizeof *g * cap * 2);
                if (!g) return KILN_ENOMEM;
                memcpy(g, r, sizeof *g * len);
                r = g;
                cap *= 2;
            }
            r[len++] = kiln_tuple_new(a, it, (size_t)b->ncols);
        }
    }
    *rows = r;
    *n = len;
    return KILN_OK;
}
