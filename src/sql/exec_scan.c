/*
 * sql/exec_scan.c - the file scan of a task (exec_int.h): each input value
 * is a split (path, start, length) or a tuple of them (the splits
 * exec.c packed into the task), read with the plan's source, schema,
 * options, projection and pushed filters through a datasource reader
 * (partition columns from the file's path, scan_dataset.c).
 */
#include <stdlib.h>
#include <string.h>

#include "datasource/datasource.h"
#include "sql/exec_int.h"
#include "sql/scan_int.h"

typedef struct scan_op {
    op base;
    kiln_in *in;
    const plan *p;
    ds_options *opts;
    ds_reader *r;
    ds_split split;
    int64_t read;          /* bytes r has read, already added to the task's input */
    char *path;            /* the split's path (owned) */
    const kiln_value *cur; /* the input value being read */
    uint32_t next;         /* its next split */
    kiln_arena *fa;        /* the pushed filters */
    ds_filter *filters;
    int nfilters;
} scan_op;

static bool is_split(const kiln_value *v)
{
    return v->type == KILN_TUPLE && v->len == 3 && v->u.items[0].type == KILN_STR &&
           v->u.items[1].type == KILN_INT && v->u.items[2].type == KILN_INT;
}

/* The next split of the input: 1 with s->split set, 0 at the end. */
static int next_split(scan_op *s)
{
    for (;;) {
        if (!s->cur) {
            int rc = kiln_in_next(s->in, &s->cur);
            if (rc <= 0) return rc;
            s->next = 0;
            if (s->cur->type != KILN_TUPLE)
                return kiln_set_error(KILN_ECORRUPT, "a scan's input is not a file split");
        }
        const kiln_value *v = NULL;
        if (is_split(s->cur)) {
            if (s->next++ == 0) v = s->cur;
        } else if (s->next < s->cur->len) {
            v = &s->cur->u.items[s->next++];
            if (!is_split(v))
                return kiln_set_error(KILN_ECORRUPT, "a scan's input is not a file split");
        }
        if (!v) {
            s->cur = NULL;
            continue;
        }
        free(s->path);
        s->path = strndup(v->u.items[0].u.s, v->u.items[0].len);
        if (!s->path) return KILN_ENOMEM;
        s->split = (ds_split){s->path, v->u.items[1].u.i, v->u.items[2].u.i};
        return 1;
    }
}

static int scan_next(op *o, col_batch **out)
{
    scan_op *s = (scan_op *)o;
    for (;;) {
        if (!s->r) {
            int rc = next_split(s);
            if (rc <= 0) return rc;
            const plan_source *src = &s->p->src;
            rc = ds_reader_open_part(src->format, &s->split, src->base, src->npart, &src->schema,
                                     s->p->proj, s->p->ncols, s->filters, s->nfilters, s->opts,
                                     &s->r);
            if (rc) return rc;
        }
        kiln_arena_reset(o->arena);
        int rc = ds_reader_next(s->r, o->arena, &o->out);
        if (rc < 0) return rc;
        /* The task's input metrics (Spark's inputMetrics): what the reader
         * read from storage and the rows it gave. */
        int64_t read = ds_reader_bytes_read(s->r);
        kiln_task_add_input(o->fc->task, read - s->read, rc == 1 ? (int64_t)o->out.n : 0);
        s->read = read;
        if (rc == 1 && col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
        if (rc == 0) {
            ds_reader_close(s->r);
            s->r = NULL;
            s->read = 0;
        }
    }
}

static void scan_close(op *o)
{
    scan_op *s = (scan_op *)o;
    ds_reader_close(s->r);
    ds_options_free(s->opts);
    kiln_arena_free(s->fa);
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
    s->fa = kiln_arena_new();
    if (!s->opts || !s->fa || scan_filters(p, s->fa, &s->filters, &s->nfilters)) {
        scan_close(&s->base);
        return NULL;
    }
    for (int i = 0; i < p->src.nopts; i++)
        if (ds_options_set(s->opts, p->src.keys[i], p->src.values[i])) {
            scan_close(&s->base);
            return NULL;
        }
    return &s->base;
}
