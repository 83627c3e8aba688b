/*
 * sql/exec_input.c - the leaves of a fragment that read the task's input
 * (exec_int.h): batches and tagged batches of a shuffle, and ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/exec_int.h"

/* A copied batch waiting for its side to be read. A join's shuffle puts
 * the side it builds (1) in the first map outputs (exec.c), and a task
 * reads map outputs in map order, so no batch waits when it reads side 1
 * and then side 0; an operator reading the sides in another order still
 * gets every batch. */
typedef struct pending {
    uint8_t *bytes;
    size_t len;
    struct pending *next;
} pending;

struct exec_input {
    kiln_in *in;
    bool done;
    pending *head[2], *tail[2];
    uint8_t *held; /* the copy handed out last (freed on the next call) */
};

exec_input *exec_input_new(kiln_in *in)
{
    exec_input *x = calloc(1, sizeof *x);
    if (x) x->in = in;
    return x;
}

void exec_input_free(exec_input *x)
{
    if (!x) return;
    for (int s = 0; s < 2; s++)
        for (pending *p = x->head[s], *n; p; p = n) {
            n = p->next;
            free(p->bytes);
            free(p);
        }
    free(x->held);
    free(x);
}

/* Splits an input value into its side (-1 untagged) and batch bytes. */
static int classify(const kiln_value *v, int *side, const uint8_t **p, size_t *n)
{
    *side = -1;
    if (v->type == KILN_TUPLE && v->len == 2) v = &v->u.items[1]; /* (partition, payload) */
    if (v->type == KILN_TUPLE && v->len == 2 && v->u.items[0].type == KILN_INT) {
        *side = (int)v->u.items[0].u.i;
        v = &v->u.items[1];
    }
    if (v->type != KILN_BYTES || *side < -1 || *side > 1) return KILN_ECORRUPT;
    *p = v->u.bytes;
    *n = v->len;
    return KILN_OK;
}

/* The next batch bytes for side (-1: any); 1 with *p, *n; 0 at the end. */
static int input_next(exec_input *x, int side, const uint8_t **p, size_t *n)
{
    free(x->held);
    x->held = NULL;
    if (side >= 0 && x->head[side]) {
        pending *q = x->head[side];
        x->head[side] = q->next;
        if (!q->next) x->tail[side] = NULL;
        x->held = q->bytes;
        *p = q->bytes;
        *n = q->len;
        free(q);
        return 1;
    }
    while (!x->done) {
        const kiln_value *v;
        int rc = kiln_in_next(x->in, &v);
        if (rc < 0) return rc;
        if (rc == 0) {
            x->done = true;
            break;
        }
        int s;
        if (classify(v, &s, p, n))
            return kiln_set_error(KILN_ECORRUPT, "a SQL stage's input is not a batch");
        if (side < 0 || s < 0 || s == side) return 1;
        /* The other side's: keep a copy. */
        pending *q = malloc(sizeof *q);
        uint8_t *c = malloc(*n ? *n : 1);
        if (!q || !c) {
            free(q);
            free(c);
            return KILN_ENOMEM;
        }
        memcpy(c, *p, *n);
        q->bytes = c;
        q->len = *n;
        q->next = NULL;
        if (x->tail[s]) x->tail[s]->next = q;
        else x->head[s] = q;
        x->tail[s] = q;
    }
    return 0;
}

typedef struct input_op {
    op base;
    exec_input *x;
    int side;
    const int *proj;
    int nproj;
} input_op;

static int input_op_next(op *o, col_batch **out)
{
    input_op *s = (input_op *)o;
    for (;;) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int rc = input_next(s->x, s->side, &p, &n);
        if (rc <= 0) return rc;
        kiln_arena_reset(o->arena);
        if ((rc = col_batch_decode_cols(&o->out, o->arena, p, n, s->proj, s->nproj)))
            return kiln_set_error(rc, "a SQL stage's input batch is damaged");
        if (col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
    }
}

static void input_op_close(op *o)
{
    op_free(o);
}

static const op_ops input_ops = {"input", input_op_next, input_op_close};

op *op_input(fn_ctx *fc, exec_input *x, int side, const int *proj, int nproj)
{
    input_op *s = (input_op *)op_alloc(sizeof *s, &input_ops, fc);
    if (s) {
        s->x = x;
        s->side = side;
        s->proj = proj;
        s->nproj = nproj;
    }
    return &s->base;
}

/* ---- Broadcasts ---------------------------------------------------------------- */

typedef struct bcast_op {
    op base;
    const kiln_value *list; /* the task's copy of the broadcast */
    uint32_t next;
    const int *proj;
    int nproj;
} bcast_op;

static int bcast_next(op *o, col_batch **out)
{
    bcast_op *s = (bcast_op *)o;
    while (s->next < s->list->len) {
        const kiln_value *v = &s->list->u.items[s->next++];
        kiln_arena_reset(o->arena);
        int rc = v->type == KILN_BYTES ? col_batch_decode_cols(&o->out, o->arena, v->u.bytes,
                                                               v->len, s->proj, s->nproj)
                                       : KILN_ECORRUPT;
        if (rc) return kiln_set_error(rc, "a broadcast batch is damaged");
        if (col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
    }
    return 0;
}

static void bcast_close(op *o)
{
    op_free(o);
}

static const op_ops bcast_ops = {"broadcast", bcast_next, bcast_close};

op *op_broadcast(fn_ctx *fc, kiln_task *t, int64_t id, const int *proj, int nproj)
{
    const kiln_value *v = kiln_broadcast_value(t, id);
    if (!v) return NULL;
    if (v->type != KILN_LIST) {
        kiln_set_error(KILN_ECORRUPT, "broadcast %lld is not a list of batches", (long long)id);
        return NULL;
    }
    bcast_op *s = (bcast_op *)op_alloc(sizeof *s, &bcast_ops, fc);
    if (s) {
        s->list = v;
        s->proj = proj;
        s->nproj = nproj;
    }
    return &s->base;
}

/* ---- Ranges ------------------------------------------------------------------ */

typedef struct range_op {
    op base;
    kiln_in *in;
    int64_t step, next, end; /* current range [next, end) */
    bool active;
} range_op;

static int range_next(op *o, col_batch **out)
{
    range_op *s = (range_op *)o;
    for (;;) {
        if (!s->active) {
            const kiln_value *v;
            int rc = kiln_in_next(s->in, &v);
            if (rc <= 0) return rc;
            if (v->type != KILN_TUPLE || v->len != 2 || v->u.items[0].type != KILN_INT ||
                v->u.items[1].type != KILN_INT)
                return kiln_set_error(KILN_ECORRUPT, "a range stage's input is not a range");
            s->next = v->u.items[0].u.i;
            s->end = v->u.items[1].u.i;
            s->active = true;
        }
        bool up = s->step > 0;
        if (up ? s->next >= s->end : s->next <= s->end) {
            s->active = false;
            continue;
        }
        kiln_arena_reset(o->arena);
        const col_type *t = &col_type_i64;
        int rc = col_batch_init(&o->out, o->arena, 1, &t, COL_VEC_SIZE);
        if (rc) return rc;
        int64_t *d = o->out.cols[0].data;
        uint32_t n = 0;
        while (n < COL_VEC_SIZE && (up ? s->next < s->end : s->next > s->end)) {
            d[n++] = s->next;
            if (__builtin_add_overflow(s->next, s->step, &s->next)) {
                s->next = s->end;
                break;
            }
        }
        o->out.n = o->out.cols[0].n = n;
        *out = &o->out;
        return 1;
    }
}

static void range_close(op *o)
{
    op_free(o);
}

static const op_ops range_ops = {"range", range_next, range_close};

op *op_range(fn_ctx *fc, kiln_in *in, int64_t step)
{
    range_op *s = (range_op *)op_alloc(sizeof *s, &range_ops, fc);
    if (s) {
        s->in = in;
        s->step = step;
    }
    return &s->base;
}
