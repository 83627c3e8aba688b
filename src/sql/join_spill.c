/*
 * sql/join_spill.c - the grace hash join (join_spill.h): partitioning both
 * sides of a join into runs on disk, and joining them partition by
 * partition, recursively or in chunks of the build side.
 */
#include "sql/join_spill.h"

#include <stdlib.h>
#include <string.h>

#include "sql/spill_run.h"
#include "sql/vec_hash.h"

#define PARTS 16
#define HASH_SHIFT 24 /* level L partitions by hash bits 24 + 4L .. 27 + 4L */
#define MAX_LEVEL 4   /* below it a partition is joined in chunks */

/* A range of a build run that fits in memory. */
typedef struct chunk {
    uint64_t blk;
    size_t pos;
    int64_t nbatches;
} chunk;

/* What a partition joined in chunks does next. */
typedef enum chunk_phase { PH_EMIT, PH_CHAIN, PH_TAIL, PH_DONE } chunk_phase;

struct join_spill {
    fn_ctx *fc;
    const plan *p;
    plan as_inner, as_right, as_anti; /* p as other join types, for chunk passes */
    int level;
    exec_mem *mem;
    kiln_arena *scratch;
    spill_run *runs[2][PARTS]; /* [side][partition]: 0 probe (left), 1 build (right) */
    int64_t build_bytes;       /* raw bytes of the build side spilled */
    bool build_null;           /* a build row has a null key (NOT IN) */
    bool left_done;            /* the probe side is partitioned */
    int part;                  /* the partition being joined */
    op *sub;                   /* the operator emitting its rows */
    /* a partition joined in chunks */
    chunk *chunks;
    int nchunks, ci;
    chunk_phase phase;
    spill_run *rest; /* probe rows not matched by the chunks so far (NULL: all) */
};

/* ---- Operators over runs ------------------------------------------------------ */

/* The batches of a run, or of nbatches of it from a position. */
typedef struct run_op {
    op base;
    spill_reader rd;
    int64_t left; /* batches still to read; -1: to the end */
} run_op;

static int run_next(op *o, col_batch **out)
{
    run_op *s = (run_op *)o;
    for (;;) {
        if (s->left == 0) return 0;
        kiln_arena_reset(o->arena);
        int rc = spill_reader_next(&s->rd, o->arena, &o->out);
        if (rc <= 0) return rc;
        if (s->left > 0) s->left--;
        if (col_batch_live(&o->out)) {
            *out = &o->out;
            return 1;
        }
    }
}

static void run_close(op *o)
{
    spill_reader_release(&((run_op *)o)->rd);
    op_free(o);
}

static const op_ops run_ops = {"spilled rows", run_next, run_close};

/* An operator over run r (borrowed), from c (NULL: all of it). */
static op *run_open(fn_ctx *fc, const spill_run *r, const chunk *c)
{
    run_op *s = (run_op *)op_alloc(sizeof *s, &run_ops, fc);
    if (!s) return NULL;
    spill_reader_init(&s->rd, r);
    s->left = c ? c->nbatches : -1;
    if (c && spill_reader_seek(&s->rd, c->blk, c->pos)) {
        run_close(&s->base);
        return NULL;
    }
    return &s->base;
}

/* Probe rows with null build columns (left and full joins' unmatched rows). */
typedef struct pad_op {
    op base;
    op *child;
    const plan *p;
} pad_op;

static int pad_next(op *o, col_batch **out)
{
    pad_op *s = (pad_op *)o;
    col_batch *in;
    int rc = op_next(s->child, &in);
    if (rc <= 0) return rc;
    int nl = s->p->in[0]->ncols, nr = s->p->in[1]->ncols;
    kiln_arena_reset(o->arena);
    col_vec *cols = kiln_arena_alloc(o->arena, sizeof *cols * (size_t)(nl + nr + 1));
    if (!cols) return KILN_ENOMEM;
    memcpy(cols, in->cols, sizeof *cols * (size_t)nl);
    for (int c = 0; c < nr; c++) {
        col_vec null; /* flattened into cols[nl + c]: the two must not alias */
        if ((rc = col_vec_constant(&null, o->arena, s->p->in[1]->cols[c].type, NULL, in->n)) ||
            (rc = col_vec_flatten(&cols[nl + c], o->arena, &null)))
            return rc;
    }
    o->out = *in;
    o->out.ncols = nl + nr;
    o->out.cols = cols;
    *out = &o->out;
    return 1;
}

static void pad_close(op *o)
{
    op_close(((pad_op *)o)->child);
    op_free(o);
}

static const op_ops pad_ops = {"null padding", pad_next, pad_close};

static op *pad_open(fn_ctx *fc, op *child, const plan *p)
{
    pad_op *s = child ? (pad_op *)op_alloc(sizeof *s, &pad_ops, fc) : NULL;
    if (!s) {
        op_close(child);
        return NULL;
    }
    s->child = child;
    s->p = p;
    return &s->base;
}

/* ---- Partitioning ------------------------------------------------------------- */

static int64_t buffered(const join_spill *js)
{
    int64_t b = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < PARTS; i++)
            if (js->runs[s][i]) b += (int64_t)spill_run_buffered(js->runs[s][i]);
    return b;
}

/* Writes b's live rows to side's runs by their keys' hash. */
static int partition_batch(join_spill *js, int side, const col_batch *b)
{
    const plan *p = js->p;
    fn_ctx *fc = js->fc;
    uint32_t live = col_batch_live(b);
    if (!live) return KILN_OK;
    kiln_arena *a = js->scratch;
    kiln_arena_reset(a);
    fc->arena = a;
    col_vec *keys = kiln_arena_alloc(a, sizeof *keys * (size_t)(p->nkeys + 1));
    uint64_t *h = kiln_arena_alloc(a, sizeof *h * live);
    uint32_t *sel = kiln_arena_alloc(a, sizeof *sel * live);
    if (!keys || !h || !sel) return KILN_ENOMEM;
    int rc;
    expr *const *ke = side ? p->rkeys : p->keys;
    for (int k = 0; k < p->nkeys; k++) {
        if ((rc = op_error(fc, expr_eval(ke[k], fc, b, &keys[k])))) return rc;
        if (keys[k].constant && (rc = col_vec_flatten(&keys[k], a, &keys[k]))) return rc;
    }
    vec_hash_keys(keys, p->nkeys, b->sel, live, h);
    uint32_t count[PARTS + 1] = {0};
    uint8_t *pid = kiln_arena_alloc(a, live);
    if (!pid) return KILN_ENOMEM;
    int shift = HASH_SHIFT + 4 * js->level;
    for (uint32_t k = 0; k < live; k++) {
        uint32_t row = b->sel ? b->sel[k] : k;
        pid[k] = (uint8_t)((h[k] >> shift) & (PARTS - 1));
        if (p->null_aware) {
            bool nul = false;
            for (int c = 0; c < p->nkeys; c++) nul |= !col_valid(&keys[c], row);
            if (nul && side) js->build_null = true;
            if (nul && !side) pid[k] = PARTS; /* cannot survive: dropped */
        }
        count[pid[k]]++;
    }
    uint32_t start[PARTS + 1], at = 0;
    for (int i = 0; i <= PARTS; i++) {
        start[i] = at;
        at += count[i];
    }
    uint32_t fill[PARTS + 1];
    memcpy(fill, start, sizeof fill);
    for (uint32_t k = 0; k < live; k++) sel[fill[pid[k]]++] = b->sel ? b->sel[k] : k;
    for (int i = 0; i < PARTS; i++) {
        if (!count[i]) continue;
        col_batch part = *b;
        part.sel = sel + start[i];
        part.nsel = count[i];
        if ((rc = spill_run_add(js->runs[side][i], &part))) return rc;
    }
    exec_mem_track(js->mem, buffered(js));
    return KILN_OK;
}

/* The raw bytes a run buffers: the 16 runs of a side (each buffer about
 * three times that: raw, its growth, the compressed copy) stay within an
 * eighth of the operators' limit. */
static size_t block_size(const join_spill *js)
{
    int64_t b = js->mem->limit / (PARTS * 8 * 3);
    return b < 4096 ? 4096 : (size_t)b;
}

static int open_runs(join_spill *js, int side)
{
    for (int i = 0; i < PARTS; i++)
        if (!(js->runs[side][i] = spill_run_new(js->fc->task, block_size(js)))) return KILN_EIO;
    return KILN_OK;
}

/* Finishes side's runs; counts the spill. */
static int finish_runs(join_spill *js, int side)
{
    int64_t bytes = 0, written = 0;
    for (int i = 0; i < PARTS; i++) {
        int rc = spill_run_finish(js->runs[side][i]);
        if (rc) return rc;
        bytes += spill_run_raw_bytes(js->runs[side][i]);
        written += spill_run_file_bytes(js->runs[side][i]);
    }
    if (side) js->build_bytes = bytes;
    exec_mem_note_spill(js->mem, bytes);
    exec_mem_note_spill_disk(js->mem, written);
    exec_mem_track(js->mem, buffered(js));
    return KILN_OK;
}

int join_spill_start(join_spill **out, fn_ctx *fc, const plan *p, int level, exec_mem *mem,
                     const join_table *t, op *right)
{
    join_spill *js = calloc(1, sizeof *js);
    if (!js) return KILN_ENOMEM;
    *out = js;
    js->fc = fc;
    js->p = p;
    js->level = level;
    js->mem = mem;
    js->part = -1;
    js->phase = PH_DONE;
    js->as_inner = js->as_right = js->as_anti = *p;
    js->as_inner.join = PJ_INNER;
    js->as_right.join = PJ_RIGHT;
    js->as_anti.join = PJ_ANTI;
    js->as_anti.null_aware = false;
    if (!(js->scratch = kiln_arena_new())) return KILN_ENOMEM;
    int rc = open_runs(js, 1);
    if (rc) return rc;
    /* The rows the table holds, then the rest of the build side. */
    int nr = p->in[1]->ncols;
    kiln_arena *a = kiln_arena_new();
    uint32_t *rows = malloc(sizeof *rows * COL_VEC_SIZE);
    col_vec *cols = malloc(sizeof *cols * (size_t)(nr + 1));
    if (!a || !rows || !cols) rc = KILN_ENOMEM;
    size_t n = join_table_rows(t);
    for (size_t off = 0; !rc && off < n; off += COL_VEC_SIZE) {
        uint32_t m = (uint32_t)(n - off < COL_VEC_SIZE ? n - off : COL_VEC_SIZE);
        for (uint32_t k = 0; k < m; k++) rows[k] = (uint32_t)(off + k);
        kiln_arena_reset(a);
        for (int c = 0; !rc && c < nr; c++) rc = join_table_gather(t, c, rows, m, a, &cols[c]);
        col_batch b = {.ncols = nr, .n = m, .cols = cols};
        if (!rc) rc = partition_batch(js, 1, &b);
    }
    kiln_arena_free(a);
    free(rows);
    free(cols);
    while (!rc) {
        col_batch *in;
        rc = op_next(right, &in);
        if (rc <= 0) break;
        rc = partition_batch(js, 1, in);
    }
    return rc ? rc : finish_runs(js, 1);
}

/* ---- Joining the partitions --------------------------------------------------- */

static bool keeps_build_rows(const plan *p)
{
    return p->join == PJ_RIGHT || p->join == PJ_FULL;
}

/* Splits build run r into chunks of about a quarter of the operators' limit. */
static int make_chunks(join_spill *js, const spill_run *r)
{
    int64_t cap = js->mem->limit / 8; /* a table is about twice its rows' wire form */
    if (cap < (256 << 10)) cap = 256 << 10;
    spill_reader rd;
    spill_reader_init(&rd, r);
    int rc = KILN_OK;
    int capc = 0;
    for (;;) {
        chunk c = {0};
        spill_reader_tell(&rd, &c.blk, &c.pos);
        int64_t from = rd.bytes;
        while (rd.bytes - from < cap && (rc = spill_reader_skip(&rd)) == 1) c.nbatches++;
        if (rc < 0) break;
        rc = KILN_OK;
        if (!c.nbatches) break;
        if (js->nchunks == capc) {
            capc = capc ? 2 * capc : 8;
            chunk *g = realloc(js->chunks, sizeof *g * (size_t)capc);
            if (!g) {
                rc = KILN_ENOMEM;
                break;
            }
            js->chunks = g;
        }
        js->chunks[js->nchunks++] = c;
    }
    spill_reader_release(&rd);
    return rc;
}

/* Runs op o to its end into a new run (the rows left after an anti pass). */
static int drain_to_run(join_spill *js, op *o, spill_run **out)
{
    spill_run *r = o ? spill_run_new(js->fc->task, block_size(js)) : NULL;
    int rc = r ? KILN_OK : KILN_ENOMEM;
    while (!rc) {
        col_batch *b;
        rc = op_next(o, &b);
        if (rc <= 0) break;
        rc = spill_run_add(r, b);
    }
    op_close(o);
    if (!rc) rc = spill_run_finish(r);
    if (rc) {
        spill_run_free(r);
        return rc;
    }
    *out = r;
    return KILN_OK;
}

/* The next step of a partition joined in chunks: sets js->sub, or moves
 * the phase on; PH_DONE at the end. */
static int chunk_step(join_spill *js)
{
    const plan *p = js->p;
    fn_ctx *fc = js->fc;
    const spill_run *probe = js->rest ? js->rest : js->runs[0][js->part];
    const spill_run *build = js->runs[1][js->part];
    bool chain = p->join == PJ_LEFT || p->join == PJ_FULL || p->join == PJ_SEMI ||
                 p->join == PJ_ANTI;
    if (js->phase == PH_EMIT) {
        if (js->ci >= js->nchunks) {
            js->phase = PH_TAIL;
            return KILN_OK;
        }
        js->phase = chain ? PH_CHAIN : PH_EMIT;
        const plan *as = p->join == PJ_FULL                          ? &js->as_right
                         : p->join == PJ_LEFT || p->join == PJ_INNER ? &js->as_inner
                                                                     : p;
        if (p->join == PJ_ANTI) return KILN_OK;
        /* Inner, right and full passes probe every row; semi only the unmatched. */
        const spill_run *l = p->join == PJ_SEMI ? probe : js->runs[0][js->part];
        op *lo = run_open(fc, l, NULL), *ro = run_open(fc, build, &js->chunks[js->ci]);
        if (!chain) js->ci++;
        if (!lo || !ro) {
            op_close(lo);
            op_close(ro);
            return KILN_ENOMEM;
        }
        js->sub = op_join_sub(fc, lo, ro, as, js->level + 1, true);
        return js->sub ? KILN_OK : KILN_ESQL;
    }
    if (js->phase == PH_CHAIN) {
        const chunk *c = &js->chunks[js->ci++];
        js->phase = PH_EMIT;
        if (p->join == PJ_SEMI && js->ci >= js->nchunks) return KILN_OK;
        op *lo = run_open(fc, probe, NULL), *ro = run_open(fc, build, c);
        if (!lo || !ro) {
            op_close(lo);
            op_close(ro);
            return KILN_ENOMEM;
        }
        op *anti = op_join_sub(fc, lo, ro, &js->as_anti, js->level + 1, true);
        spill_run *next;
        int rc = anti ? drain_to_run(js, anti, &next) : KILN_ESQL;
        if (rc) return rc;
        spill_run_free(js->rest);
        js->rest = next;
        return KILN_OK;
    }
    if (js->phase == PH_TAIL) {
        js->phase = PH_DONE;
        if (p->join == PJ_LEFT || p->join == PJ_FULL) {
            js->sub = pad_open(fc, run_open(fc, probe, NULL), p);
            return js->sub ? KILN_OK : KILN_ENOMEM;
        }
        if (p->join == PJ_ANTI) {
            js->sub = run_open(fc, probe, NULL);
            return js->sub ? KILN_OK : KILN_ENOMEM;
        }
    }
    return KILN_OK;
}

/* Frees partition i's runs and chunk state. */
static void part_done(join_spill *js, int i)
{
    for (int s = 0; s < 2; s++) {
        spill_run_free(js->runs[s][i]);
        js->runs[s][i] = NULL;
    }
    spill_run_free(js->rest);
    js->rest = NULL;
    free(js->chunks);
    js->chunks = NULL;
    js->nchunks = js->ci = 0;
    js->phase = PH_DONE;
}

/* Moves to the next partition that can give rows: sets js->sub or starts
 * its chunks. Returns 0 when there is none. */
static int next_part(join_spill *js)
{
    const plan *p = js->p;
    while (++js->part < PARTS) {
        int i = js->part;
        const spill_run *l = js->runs[0][i], *r = js->runs[1][i];
        bool empty_l = !spill_run_rows(l), empty_r = !spill_run_rows(r);
        if ((empty_l && !keeps_build_rows(p)) ||
            (empty_r && (p->join == PJ_INNER || p->join == PJ_SEMI || p->join == PJ_RIGHT))) {
            part_done(js, i);
            continue;
        }
        /* A partition that hashing did not make smaller is joined in chunks. */
        int64_t rb = spill_run_raw_bytes(r);
        if (js->level + 1 < MAX_LEVEL && rb <= js->build_bytes / 4 * 3) {
            op *lo = run_open(js->fc, l, NULL), *ro = run_open(js->fc, r, NULL);
            if (!lo || !ro) {
                op_close(lo);
                op_close(ro);
                return KILN_ENOMEM;
            }
            js->sub = op_join_sub(js->fc, lo, ro, p, js->level + 1, false);
            return js->sub ? 1 : KILN_ESQL;
        }
        int rc = make_chunks(js, r);
        if (rc) return rc;
        js->phase = PH_EMIT;
        return 1;
    }
    return 0;
}

int join_spill_next(join_spill *js, op *left, col_batch **out)
{
    int rc;
    if (!js->left_done) {
        js->left_done = true;
        if (js->p->null_aware && js->build_null) {
            js->part = PARTS; /* NOT IN with a null: no row survives */
            return 0;
        }
        if ((rc = open_runs(js, 0))) return rc;
        for (;;) {
            col_batch *in;
            rc = op_next(left, &in);
            if (rc < 0) return rc;
            if (rc == 0) break;
            if ((rc = partition_batch(js, 0, in))) return rc;
        }
        if ((rc = finish_runs(js, 0))) return rc;
    }
    for (;;) {
        if (js->sub) {
            rc = op_next(js->sub, out);
            if (rc) return rc;
            op_close(js->sub);
            js->sub = NULL;
        }
        if (js->part >= 0 && js->part < PARTS && js->phase != PH_DONE) {
            if ((rc = chunk_step(js))) return rc;
            if (js->phase == PH_DONE && !js->sub) part_done(js, js->part);
            continue;
        }
        if (js->part >= 0 && js->part < PARTS) part_done(js, js->part);
        rc = next_part(js);
        if (rc <= 0) return rc;
    }
}

void join_spill_free(join_spill *js)
{
    if (!js) return;
    op_close(js->sub);
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < PARTS; i++) spill_run_free(js->runs[s][i]);
    spill_run_free(js->rest);
    free(js->chunks);
    kiln_arena_free(js->scratch);
    free(js);
}
