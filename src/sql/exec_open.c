/*
 * sql/exec_open.c - a fragment's plan into its operator tree (exec.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sql/exec_int.h"

typedef struct builder {
    fn_ctx *fc;
    kiln_task *t;
    kiln_in *in;
    exec_input *hub; /* made on first use */
    kiln_arena *pa;  /* bound aggregates, for the life of the tree */
} builder;

static op *build(builder *b, const plan *p);

static op *unsupported(const plan *p)
{
    static const char *const names[] = {
        [PLAN_SCAN] = "file scans", [PLAN_AGG] = "aggregation", [PLAN_JOIN] = "joins",
        [PLAN_SORT] = "sorting",    [PLAN_EXPLODE] = "explode", [PLAN_WINDOW] = "windows",
    };
    const char *what = p->kind < sizeof names / sizeof names[0] && names[p->kind]
                           ? names[p->kind]
                           : "this plan node";
    kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] %s cannot run in a task yet", what);
    return NULL;
}

static op *build_node(builder *b, const plan *p)
{
    switch (p->kind) {
    case PLAN_INPUT:
        if (!b->in) {
            kiln_set_error(KILN_ESQL, "a fragment's input leaf has no input");
            return NULL;
        }
        if (!b->hub && !(b->hub = exec_input_new(b->in))) return NULL;
        return op_input(b->fc, b->hub, p->side, p->proj, p->ncols);
    case PLAN_BROADCAST:
        if (!b->t) {
            kiln_set_error(KILN_ESQL, "a broadcast leaf outside a task");
            return NULL;
        }
        return op_broadcast(b->fc, b->t, p->bcast, p->proj, p->ncols);
    case PLAN_RANGE:
        if (!b->in) {
            kiln_set_error(KILN_ESQL, "a range leaf has no input");
            return NULL;
        }
        return op_range(b->fc, b->in, p->step);
    case PLAN_VALUES:
        return op_batches(b->fc, p->batches, p->nbatches);
    case PLAN_SCAN:
        if (!b->in) {
            kiln_set_error(KILN_ESQL, "a scan leaf has no input");
            return NULL;
        }
        return op_scan(b->fc, b->in, p);
    case PLAN_PROJECT: {
        op *c = build(b, p->in[0]);
        return c ? op_project(b->fc, c, p->exprs, p->ncols) : NULL;
    }
    case PLAN_FILTER: {
        op *c = build(b, p->in[0]);
        return c ? op_filter(b->fc, c, p->pred) : NULL;
    }
    case PLAN_LIMIT: {
        op *c = build(b, p->in[0]);
        return c ? op_limit(b->fc, c, p->offset, p->limit) : NULL;
    }
    case PLAN_UNION: {
        op **kids = calloc((size_t)(p->nin ? p->nin : 1), sizeof *kids);
        if (!kids) return NULL;
        for (int i = 0; i < p->nin; i++)
            if (!(kids[i] = build(b, p->in[i]))) {
                for (int j = 0; j < i; j++) op_close(kids[j]);
                free(kids);
                return NULL;
            }
        op *u = op_union(b->fc, kids, p->nin);
        free(kids);
        return u;
    }
    case PLAN_AGG: {
        op *c = build(b, p->in[0]);
        return c ? op_agg(b->fc, c, p, b->pa) : NULL;
    }
    case PLAN_SORT: {
        op *c = build(b, p->in[0]);
        return c ? op_sort(b->fc, c, p) : NULL;
    }
    case PLAN_EXPLODE: {
        op *c = build(b, p->in[0]);
        return c ? op_generate(b->fc, c, p) : NULL;
    }
    case PLAN_WINDOW: {
        op *c = build(b, p->in[0]);
        return c ? op_window(b->fc, c, p) : NULL;
    }
    case PLAN_WINDOW_LIMIT: {
        op *c = build(b, p->in[0]);
        return c ? op_window_limit(b->fc, c, p) : NULL;
    }
    case PLAN_JOIN: {
        op *l = build(b, p->in[0]);
        op *r = l ? build(b, p->in[1]) : NULL;
        if (!r) {
            op_close(l);
            return NULL;
        }
        return op_join(b->fc, l, r, p);
    }
    default:
        return unsupported(p);
    }
}

/* p's operator, measured into p's metrics when it has some. */
static op *build(builder *b, const plan *p)
{
    op *o = build_node(b, p);
    if (o) o->acc = p->acc;
    return o;
}

/* The root: owns the shared input. */
typedef struct root_op {
    op base;
    op *child;
    exec_input *hub;
    kiln_arena *pa;
} root_op;

static int root_next(op *o, col_batch **out)
{
    return op_next(((root_op *)o)->child, out);
}

static void root_close(op *o)
{
    root_op *r = (root_op *)o;
    op_close(r->child);
    exec_input_free(r->hub);
    kiln_arena_free(r->pa);
    op_free(o);
}

static const op_ops root_ops = {"fragment", root_next, root_close};

op *exec_open(const plan *p, fn_ctx *fc, kiln_task *t, kiln_in *in)
{
    builder b = {fc, t, in, NULL, kiln_arena_new()};
    op *c = b.pa ? build(&b, p) : NULL;
    root_op *r = c ? (root_op *)op_alloc(sizeof *r, &root_ops, fc) : NULL;
    if (!r) {
        op_close(c);
        exec_input_free(b.hub);
        kiln_arena_free(b.pa);
        return NULL;
    }
    r->child = c;
    r->hub = b.hub;
    r->pa = b.pa;
    return &r->base;
}
