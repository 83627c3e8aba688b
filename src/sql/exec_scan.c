/*
 * sql/exec_scan.c - the file scan of a task (exec_int.h): each input value
 * is a split (path, start, length) read with the plan's source, schema,
 * options and projection through a datasource reader.
 */
#include <stdlib.h>
#include <string.h>

#include "datasource/datasource.h"
#include "sql/exec_int.h"

typedef struct scan_op {
    op base;
    kiln_in *in;
    const plan *p;
    ds_options *opts;
    ds_reader *r;
    ds_split split;
    char *path; /* the split's path (owned) */
} scan_op;

static int scan_next(op *o, col_batch **out)
{
    scan_op *s = (scan_op *)o;
    for (;;) {
        if (!s->r) {
            const kiln_value *v;
            int rc = kiln_in_next(s->in, &v);
            if (rc <= 0) return rc;
            if (v->type != KILN_TUPLE || v->len != 3 || v->u.items[0].type != KILN_STR ||
                v->u.items[1].type != KILN_INT || v->u.items[2].type != KILN_INT)
                return kiln_set_error(KILN_ECORRUPT, "a scan's input is not a file split");
            free(s->path);
            s->path = strndup(v->u.items[0].u.s, v->u.items[0].len);
            if (!s->path) return KILN_ENOMEM;
            s->split = (ds_split){s->path, v->u.items[1].u.i, v->u.items[2].u.i};
            rc = ds_reader_open(s->p->src.format, &s->split, &s->p->src.schema, s->p->proj,
                                s->p->ncols, s->opts, &s->r);
            if (rc) return rc;
        }
        kiln_arena_reset(o->arena);
        int rc = ds_reader_next(s->r, o->arena, &o->out);
        if (rc < 0) return rc;
        if (rc == 1 && col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
        if (rc == 0) {
            ds_reader_close(s->r);
            s->r = NULL;
        }
    }
}

static void scan_close(op *o)
{
    scan_op *s = (scan_op *)o;
    ds_reader_close(s->r);
    ds_options_free(s->opts);
    free(s->path);
    op_free(o);
}

static const op_ops scan_ops = {"scan", scan_next, scan_close};

op *op_scan(fn_ctx *fc, kiln_in *in, const plan *p)
{
    scan_op *s = (scan_op *)op_alloc(sizeof *s, &scan_ops, fc);
    if (!s) return NULL;
    s->in = in;
    s->p = p;
    s->opts = ds_options_new();
    if (!s->opts) {
        op_free(&s->base);
        return NULL;
    }
    for (int i = 0; i < p->src.nopts; i++)
        if (ds_options_set(s->opts, p->src.keys[i], p->src.values[i])) {
            scan_close(&s->base);
            return NULL;
        }
    return &s->base;
}
