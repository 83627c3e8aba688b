/*
 * sql/exec_task.c - what a task of a SQL stage does (exec.h): decode its
 * fragment, open the operators over the task's input, run them, and emit
 * the output as batches or as (partition, batch) pairs for an exchange.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/exec.h"
#include "sql/exec_int.h"
#include "sql/vec_hash.h"

#define FRAG_MAGIC 0x46514b53u /* "SKQF" */

int exec_fragment_encode(kiln_buf *b, const sql_settings *s, const plan *frag, frag_out out,
                         int nparts, expr *const *keys, int nkeys, int side, int64_t out_acc)
{
    size_t at = b->len;
    wire_writer w;
    wire_writer_init(&w, b);
    wire_put_u32(&w, 0); /* length, filled in below */
    wire_put_u32(&w, FRAG_MAGIC);
    wire_put_u8(&w, s->ansi);
    wire_put_str(&w, s->tz);
    wire_put_u64(&w, (uint64_t)s->now_us);
    plan_encode(&w, frag);
    wire_put_u8(&w, (uint8_t)out);
    wire_put_u32(&w, (uint32_t)nparts);
    wire_put_u32(&w, (uint32_t)(side + 1));
    wire_put_u32(&w, (uint32_t)nkeys);
    for (int i = 0; i < nkeys; i++) expr_encode(&w, keys[i]);
    wire_put_u64(&w, (uint64_t)out_acc);
    int rc = wire_writer_finish(&w);
    if (rc) return rc;
    uint32_t len = (uint32_t)(b->len - at - 4);
    memcpy(b->data + at, &len, 4);
    return KILN_OK;
}

/* A decoded fragment and its settings. */
typedef struct frag {
    fn_ctx fc;
    char tz[64];
    plan *root;
    frag_out out;
    int nparts, side, nkeys;
    expr **keys;
    int64_t out_acc;             /* exec_fragment_encode's */
    int64_t out_rows, out_bytes; /* emitted so far */
} frag;

static int frag_decode(kiln_arena *a, const void *env, frag *f)
{
    uint32_t len;
    memcpy(&len, env, 4);
    wire_reader r;
    wire_reader_init(&r, (const uint8_t *)env + 4, len, "SQL fragment");
    memset(f, 0, sizeof *f);
    if (wire_get_u32(&r, "magic") != FRAG_MAGIC)
        return wire_reader_end(&r) ? wire_reader_end(&r) : KILN_ECORRUPT;
    f->fc.ansi = wire_get_u8(&r, "ansi") != 0;
    wire_get_str(&r, f->tz, sizeof f->tz, "time zone");
    f->fc.tz = f->tz;
    f->fc.now_us = (int64_t)wire_get_u64(&r, "now");
    int rc = plan_decode(&r, a, f->fc.ansi, f->tz, &f->root);
    if (rc) return rc;
    f->out = (frag_out)wire_get_u8(&r, "output");
    f->nparts = (int)wire_get_u32(&r, "partitions");
    f->side = (int)wire_get_u32(&r, "side") - 1;
    f->nkeys = (int)wire_get_u32(&r, "keys");
    if (r.err || f->nkeys > 10000) return KILN_ECORRUPT;
    f->keys = kiln_arena_alloc(a, sizeof *f->keys * (size_t)(f->nkeys ? f->nkeys : 1));
    if (!f->keys) return KILN_ENOMEM;
    for (int i = 0; i < f->nkeys; i++)
        if ((rc = expr_decode(&r, a, f->fc.ansi, f->tz, &f->keys[i]))) return rc;
    f->out_acc = (int64_t)wire_get_u64(&r, "output metrics");
    if (f->out_acc < 0) return KILN_ECORRUPT;
    return wire_reader_end(&r);
}

int exec_partition_of(const kiln_value *key, int num_partitions, const void *env)
{
    (void)env;
    int64_t p = key->type == KILN_INT ? key->u.i : 0;
    return p >= 0 && p < num_partitions ? (int)p : 0;
}

/* Emits batch b (its live rows) as bytes, or tagged with partition pid.
 * kiln_emit copies what it is given (map_partitions hands the copies on in
 * chunks), so the value only borrows buf: nothing stays in the task arena,
 * which lives as long as the fragment runs. */
static int emit_batch(frag *f, kiln_out *out, const col_batch *b, int pid, int side, kiln_buf *buf)
{
    buf->len = 0;
    int rc = col_batch_encode(buf, b);
    if (rc) return rc;
    f->out_rows += col_batch_live(b);
    f->out_bytes += (int64_t)buf->len;
    kiln_value v = kiln_bytes_ref(buf->data, buf->len);
    kiln_value inner[2] = {kiln_int(side), v}, outer[2];
    if (pid >= 0) {
        if (side >= 0) v = kiln_tuple_ref(inner, 2);
        outer[0] = kiln_int(pid);
        outer[1] = v;
        v = kiln_tuple_ref(outer, 2);
    }
    return kiln_emit(out, &v);
}

/* Splits b's live rows by partition and emits each part. */
static int emit_partitioned(kiln_out *out, frag *f, col_batch *b, kiln_arena *a, kiln_buf *buf)
{
    uint32_t live = col_batch_live(b);
    if (f->nparts <= 1) return emit_batch(f, out, b, 0, f->side, buf);
    col_vec *kv = kiln_arena_alloc(a, sizeof *kv * (size_t)(f->nkeys ? f->nkeys : 1));
    uint64_t *h = kiln_arena_alloc(a, sizeof *h * (b->n ? b->n : 1));
    uint32_t *count = kiln_arena_alloc(a, sizeof *count * (size_t)f->nparts);
    uint32_t *rows = kiln_arena_alloc(a, sizeof *rows * (live ? live : 1));
    uint32_t *pid = kiln_arena_alloc(a, sizeof *pid * (live ? live : 1));
    if (!kv || !h || !count || !rows || !pid) return KILN_ENOMEM;
    f->fc.arena = a;
    for (int i = 0; i < f->nkeys; i++) {
        int rc = expr_eval(f->keys[i], &f->fc, b, &kv[i]);
        if (rc) return op_error(&f->fc, rc);
    }
    vec_hash_keys(kv, f->nkeys, b->sel, live, h);
    memset(count, 0, sizeof *count * (size_t)f->nparts);
    for (uint32_t k = 0; k < live; k++) {
        pid[k] = (uint32_t)(h[k] % (uint64_t)f->nparts);
        count[pid[k]]++;
    }
    /* Counting sort of the live rows by partition. */
    uint32_t start = 0;
    for (int p = 0; p < f->nparts; p++) {
        uint32_t c = count[p];
        count[p] = start;
        start += c;
    }
    for (uint32_t k = 0; k < live; k++) rows[count[pid[k]]++] = b->sel ? b->sel[k] : k;
    uint32_t from = 0;
    for (int p = 0; p < f->nparts; p++) {
        uint32_t to = count[p];
        if (to > from) {
            col_batch part = *b;
            part.sel = rows + from;
            part.nsel = to - from;
            int rc = emit_batch(f, out, &part, p, f->side, buf);
            if (rc) return rc;
        }
        from = to;
    }
    return KILN_OK;
}

int exec_fragment_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)index;
    kiln_arena *a = kiln_arena_new();
    kiln_arena *scratch = kiln_arena_new();
    if (!a || !scratch) {
        kiln_arena_free(a);
        kiln_arena_free(scratch);
        return kiln_task_fail(t, "out of memory");
    }
    frag f;
    int rc = frag_decode(a, env, &f);
    if (rc) {
        kiln_arena_free(a);
        kiln_arena_free(scratch);
        return kiln_task_fail(t, "SQL fragment refused: %s", kiln_last_error());
    }
    f.fc.arena = scratch;
    f.fc.task = t;
    kiln_buf buf;
    kiln_buf_init(&buf);
    op *o = exec_open(f.root, &f.fc, t, in);
    if (!o) {
        rc = KILN_ESQL;
    } else {
        for (;;) {
            col_batch *b;
            rc = op_next(o, &b);
            if (rc <= 0) break;
            kiln_arena_reset(scratch);
            if (b->ncols != f.root->ncols) {
                rc = kiln_set_error(KILN_ECORRUPT,
                                    "a SQL fragment (%s) made a batch of %d columns, not %d",
                                    o->ops->name, b->ncols, f.root->ncols);
                break;
            }
            if (f.out == FRAG_OUT_HASH) rc = emit_partitioned(out, &f, b, scratch, &buf);
            else rc = emit_batch(&f, out, b, f.side >= 0 ? 0 : -1, f.side, &buf); /* tagged */
            if (rc) break;
        }
        op_close(o);
    }
    if (rc >= 0 && f.out_acc > 0) {
        (void)kiln_accumulator_add(t, f.out_acc, kiln_int(f.out_rows));
        (void)kiln_accumulator_add(t, f.out_acc + 1, kiln_int(f.out_bytes));
    }
    kiln_buf_release(&buf);
    kiln_arena_free(scratch);
    kiln_arena_free(a);
    if (rc < 0)
        return kiln_task_fail(t, "%s", *kiln_last_error() ? kiln_last_error() : kiln_strerror(rc));
    return 0;
}
