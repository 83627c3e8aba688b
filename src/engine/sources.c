/*
 * engine/sources.c - RDDs that read data: parallelized arrays, ranges, text
 * files (split into byte ranges; an archive's members read one after
 * another) and whole text files (an archive's members one record each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"
#include "engine/engine_int.h"
#include "io/io.h"

static int default_slices(kiln_context *ctx, int n)
{
    return n > 0 ? n : ctx->default_parallelism;
}

/* ---- parallelize: slice i covers [i*n/k, (i+1)*n/k) as Spark ------------- */

static eng_iter *par_compute(kiln_rdd *r, int p, kiln_task *t)
{
    const parallelize_state *d = rdd_parallelize_state(r);
    size_t k = (size_t)r->nparts;
    size_t lo = (size_t)((unsigned __int128)p * d->n / k);
    size_t hi = (size_t)((unsigned __int128)(p + 1) * d->n / k);
    eng_iter *it = iter_over_array(d->vals + lo, hi - lo);
    if (!it) task_error(t, KILN_ENOMEM, "out of memory");
    return it;
}

/* The state's bytes: u64 count, then the values' encodings back to back. */
static int par_encode(const kiln_rdd *r, kiln_buf *out)
{
    const parallelize_state *d = rdd_parallelize_state(r);
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_u64(&w, d->n);
    int rc = wire_writer_finish(&w);
    for (size_t i = 0; i < d->n && rc == KILN_OK; i++) rc = kiln_value_encode(out, &d->vals[i]);
    return rc;
}

static int par_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "parallelized values");
    uint64_t count = wire_get_u64(&rd, "count");
    if (rd.err) return rd.err;
    if (count > n)
        return kiln_set_error(KILN_ECORRUPT, "parallelize: %llu values in %zu bytes",
                              (unsigned long long)count, n);
    parallelize_state *d = rdd_state_new(r, sizeof *d);
    if (!d || !(d->vals = kiln_arena_alloc(r->arena, sizeof *d->vals * (count + 1))))
        return KILN_ENOMEM;
    size_t at = rd.off;
    for (; d->n < count; d->n++) {
        size_t used;
        int rc = kiln_value_decode(r->arena, p + at, n - at, &d->vals[d->n], &used);
        if (rc) return kiln_set_error(rc, "parallelize: value %zu does not decode", d->n);
        at += used;
    }
    return at == n ? KILN_OK : kiln_set_error(KILN_ECORRUPT, "parallelize: trailing bytes");
}

static const rdd_ops par_ops RDD_OPS_SECTION = {.name = "parallelize",
                                                .compute = par_compute,
                                                .encode_extra = par_encode,
                                                .decode_extra = par_decode,
                                                .state = OPST_PARALLELIZE};

kiln_rdd *kiln_parallelize(kiln_context *ctx, const kiln_value *values, size_t n, int num_slices)
{
    if (!ctx || (n && !values)) {
        kiln_set_error(KILN_EINVAL, "kiln_parallelize: NULL argument");
        return NULL;
    }
    kiln_rdd *r = rdd_new(ctx, &par_ops, default_slices(ctx, num_slices), NULL, 0);
    parallelize_state *d = r ? rdd_state_new(r, sizeof *d) : NULL;
    if (!d) return NULL;
    if (!(d->vals = kiln_arena_alloc(r->arena, sizeof(kiln_value) * (n + 1)))) {
        kiln_set_error(KILN_ENOMEM, "kiln_parallelize: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (kiln_value_copy(r->arena, &values[i], &d->vals[i])) {
            kiln_set_error(KILN_ENOMEM, "kiln_parallelize: out of memory");
            return NULL;
        }
    }
    d->n = n;
    return r;
}

/* ---- range ------------------------------------------------------------------- */

typedef struct range_iter {
    eng_iter base;
    int64_t next, step;
    uint64_t left;
    kiln_value buf[ENG_BATCH];
} range_iter;

static int range_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    range_iter *ri = (range_iter *)it;
    if (!ri->left) return 0;
    size_t k = ri->left < ENG_BATCH ? (size_t)ri->left : ENG_BATCH;
    for (size_t i = 0; i < k; i++) {
        ri->buf[i] = kiln_int(ri->next);
        /* Wraps past the last value instead of overflowing (never used). */
        ri->next = (int64_t)((uint64_t)ri->next + (uint64_t)ri->step);
    }
    ri->left -= k;
    *vals = ri->buf;
    *n = k;
    return 1;
}

static void free_close(eng_iter *it)
{
    free(it);
}

/* Number of values of range(start, end, step). */
static uint64_t range_len(int64_t start, int64_t end, int64_t step)
{
    if (step > 0 && end > start) return ((uint64_t)end - (uint64_t)start - 1) / (uint64_t)step + 1;
    if (step < 0 && end < start)
        return ((uint64_t)start - (uint64_t)end - 1) / (uint64_t)(-(step + 1) + 1ull) + 1;
    return 0;
}

static eng_iter *range_compute(kiln_rdd *r, int p, kiln_task *t)
{
    const range_state *s = rdd_range_state(r);
    uint64_t total = s->count, k = (uint64_t)r->nparts;
    uint64_t lo = (uint64_t)((unsigned __int128)p * total / k);
    uint64_t hi = (uint64_t)((unsigned __int128)(p + 1) * total / k);
    range_iter *ri = calloc(1, sizeof *ri);
    if (!ri) {
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    ri->base.next = range_next;
    ri->base.close = free_close;
    ri->next = (int64_t)((uint64_t)s->start + lo * (uint64_t)s->step);
    ri->step = s->step;
    ri->left = hi - lo;
    return &ri->base;
}

/* The state's bytes: start, step (int64), count (u64). */
static int range_encode(const kiln_rdd *r, kiln_buf *out)
{
    const range_state *s = rdd_range_state(r);
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_u64(&w, (uint64_t)s->start);
    wire_put_u64(&w, (uint64_t)s->step);
    wire_put_u64(&w, s->count);
    return wire_writer_finish(&w);
}

static int range_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "range state");
    range_state v = {.start = (int64_t)wire_get_u64(&rd, "start"),
                     .step = (int64_t)wire_get_u64(&rd, "step"),
                     .count = wire_get_u64(&rd, "count")};
    int rc = wire_reader_end(&rd);
    if (rc) return rc;
    if (v.step == 0) return kiln_set_error(KILN_ECORRUPT, "range: step 0");
    range_state *s = rdd_state_new(r, sizeof *s);
    if (!s) return KILN_ENOMEM;
    *s = v;
    return KILN_OK;
}

static const rdd_ops range_ops RDD_OPS_SECTION = {.name = "range",
                                                  .compute = range_compute,
                                                  .encode_extra = range_encode,
                                                  .decode_extra = range_decode,
                                                  .state = OPST_RANGE};

kiln_rdd *kiln_range(kiln_context *ctx, int64_t start, int64_t end, int64_t step, int num_slices)
{
    if (!ctx || step == 0) {
        kiln_set_error(KILN_EINVAL, "kiln_range: step must not be 0");
        return NULL;
    }
    kiln_rdd *r = rdd_new(ctx, &range_ops, default_slices(ctx, num_slices), NULL, 0);
    range_state *s = r ? rdd_state_new(r, sizeof *s) : NULL;
    if (!s) return NULL;
    *s = (range_state){.start = start, .step = step, .count = range_len(start, end, step)};
    return r;
}

/* ---- text files ---------------------------------------------------------------- */

typedef struct text_iter {
    eng_iter base;
    io_line_reader *rd;
    kiln_arena *arena;
    const char *path; /* the file read: the split's path, or member */
    char *member;     /* an archive's member being read, "ARCHIVE:MEMBER" (owned) */
    bool offsets;     /* records are (offset, line) pairs */
    kiln_value buf[ENG_BATCH];
} text_iter;

/* After the reader moved to an archive's member: the task's input file is
 * that member, so errors name it (kiln_input_line_number takes the name). */
static int text_member(text_iter *ti, kiln_task *t)
{
    char *m = strdup(io_line_reader_file(ti->rd));
    if (!m) return task_error(t, KILN_ENOMEM, "out of memory reading %s", ti->path);
    free(ti->member);
    ti->member = m;
    ti->path = t->input_file = m;
    return KILN_OK;
}

static int text_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    text_iter *ti = (text_iter *)it;
    if (!ti->rd) return 0;
    kiln_arena_reset(ti->arena);
    size_t k = 0;
    const char *line;
    size_t len;
    int rc = 0;
    int64_t at = ti->offsets ? io_line_reader_offset(ti->rd) : 0;
    for (;;) {
        while (k < ENG_BATCH && (rc = io_line_reader_next(ti->rd, &line, &len)) > 0) {
            ti->buf[k] = kiln_str_new(ti->arena, line, len);
            t->metrics.input_bytes += (int64_t)len + 1;
            if (len && ti->buf[k].type == KILN_NULL)
                return task_error(t, KILN_ENOMEM, "out of memory reading %s", ti->path);
            if (ti->offsets) {
                ti->buf[k] = kiln_pair(ti->arena, kiln_int(at), ti->buf[k]);
                if (ti->buf[k].type == KILN_NULL)
                    return task_error(t, KILN_ENOMEM, "out of memory reading %s", ti->path);
                at = io_line_reader_offset(ti->rd);
            }
            k++;
        }
        /* A batch holds lines of one file: an archive's next member starts
         * a batch of its own, so kiln_task_input_file names it throughout. */
        if (rc != 0 || k > 0) break;
        if ((rc = io_line_reader_next_file(ti->rd)) <= 0) break;
        if ((rc = text_member(ti, t)) != KILN_OK) return rc;
        at = io_line_reader_offset(ti->rd);
    }
    if (rc < 0) return task_error(t, rc, "%s", kiln_last_error());
    if (k == 0) {
        io_line_reader_close(ti->rd);
        ti->rd = NULL;
        return 0;
    }
    t->metrics.input_records += (int64_t)k;
    *vals = ti->buf;
    *n = k;
    return 1;
}

static void text_close(eng_iter *it)
{
    text_iter *ti = (text_iter *)it;
    io_line_reader_close(ti->rd);
    kiln_arena_free(ti->arena);
    free(ti->member);
    free(ti);
}

static const rdd_ops text_offsets_ops RDD_OPS_SECTION;

static eng_iter *text_compute(kiln_rdd *r, int p, kiln_task *t)
{
    const text_source_state *sp = rdd_text_source_state(r);
    text_iter *ti = calloc(1, sizeof *ti);
    if (!ti || !(ti->arena = kiln_arena_new())) {
        free(ti);
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    ti->base.next = text_next;
    ti->base.close = text_close;
    ti->offsets = r->ops == &text_offsets_ops;
    if ((size_t)p < sp->n) {
        ti->path = sp->splits[p].path;
        t->input_file = ti->path;
        int rc = io_line_reader_open(&sp->splits[p], &ti->rd);
        if (rc) task_error(t, rc, "%s", kiln_last_error());
        /* An archive's reader is at its first member. */
        else if (strcmp(io_line_reader_file(ti->rd), ti->path) != 0) rc = text_member(ti, t);
        if (rc) {
            text_close(&ti->base);
            return NULL;
        }
    }
    return &ti->base;
}

/* Reads r->state without the accessor: lineage.c also calls it on a
 * placeholder whose decoding failed after this op's decoder made its state. */
static void splits_free(kiln_rdd *r)
{
    text_source_state *sp = r->state;
    if (sp) io_splits_free(sp->splits, sp->n);
}

/* The state's bytes: count, then per split its path, start, length, whole. */
static int splits_encode(const kiln_rdd *r, kiln_buf *out)
{
    const text_source_state *sp = rdd_text_source_state(r);
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_u32(&w, (uint32_t)sp->n);
    for (size_t i = 0; i < sp->n; i++) {
        wire_put_str(&w, sp->splits[i].path);
        wire_put_u64(&w, (uint64_t)sp->splits[i].start);
        wire_put_u64(&w, (uint64_t)sp->splits[i].length);
        wire_put_u8(&w, sp->splits[i].whole);
    }
    return wire_writer_finish(&w);
}

static int splits_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    wire_reader rd;
    wire_reader_init(&rd, p, n, "input splits");
    uint32_t count = wire_get_u32(&rd, "count");
    if (rd.err) return rd.err;
    if (count > n) return kiln_set_error(KILN_ECORRUPT, "input splits: %u in %zu bytes", count, n);
    text_source_state *sp = rdd_state_new(r, sizeof *sp);
    if (!sp || !(sp->splits = calloc((size_t)count + 1, sizeof *sp->splits))) return KILN_ENOMEM;
    char path[4096];
    for (; sp->n < count && !rd.err; sp->n++) {
        wire_get_str(&rd, path, sizeof path, "path");
        io_split *s = &sp->splits[sp->n];
        s->start = (int64_t)wire_get_u64(&rd, "start");
        s->length = (int64_t)wire_get_u64(&rd, "length");
        s->whole = wire_get_u8(&rd, "whole");
        if (!(s->path = strdup(path))) return KILN_ENOMEM;
    }
    return wire_reader_end(&rd);
}

static const rdd_ops text_ops RDD_OPS_SECTION = {.name = "text_file",
                                                 .compute = text_compute,
                                                 .free_extra = splits_free,
                                                 .encode_extra = splits_encode,
                                                 .decode_extra = splits_decode,
                                                 .state = OPST_TEXT_SOURCE};
static const rdd_ops text_offsets_ops RDD_OPS_SECTION = {.name = "text_file_with_offsets",
                                                         .compute = text_compute,
                                                         .free_extra = splits_free,
                                                         .encode_extra = splits_encode,
                                                         .decode_extra = splits_decode,
                                                         .state = OPST_TEXT_SOURCE};

static kiln_rdd *files_rdd(kiln_context *ctx, const char *path, const rdd_ops *ops,
                           int min_partitions, bool whole)
{
    if (!ctx || !path) {
        kiln_set_error(KILN_EINVAL, "%s: NULL argument", ops->name);
        return NULL;
    }
    io_split *splits;
    size_t n;
    int rc = whole ? io_file_list(path, &splits, &n)
                   : io_text_splits(path, min_partitions, &splits, &n);
    if (rc) return NULL;
    /* An input of only empty files still has one (empty) partition. */
    kiln_rdd *r = rdd_new(ctx, ops, n ? (int)n : 1, NULL, 0);
    text_source_state *sp = r ? rdd_state_new(r, sizeof *sp) : NULL;
    if (!sp) {
        io_splits_free(splits, n);
        return NULL;
    }
    sp->splits = splits;
    sp->n = n;
    return r;
}

/* min_partitions 0: min(default parallelism, 2), as Spark. */
static int text_min_partitions(const kiln_context *ctx, int min_partitions)
{
    if (ctx && min_partitions <= 0)
        return ctx->default_parallelism < 2 ? ctx->default_parallelism : 2;
    return min_partitions;
}

kiln_rdd *kiln_text_file(kiln_context *ctx, const char *path, int min_partitions)
{
    return files_rdd(ctx, path, &text_ops, text_min_partitions(ctx, min_partitions), false);
}

kiln_rdd *kiln_text_file_with_offsets(kiln_context *ctx, const char *path, int min_partitions)
{
    return files_rdd(ctx, path, &text_offsets_ops, text_min_partitions(ctx, min_partitions), false);
}

const char *kiln_task_input_file(const kiln_task *t)
{
    return t->input_file;
}

/* ---- whole text files: (path, content), one file per record ------------------ */

typedef struct whole_iter {
    eng_iter base;
    const io_split *s;
    io_whole_reader *rd; /* one file, or an archive's members one by one */
    kiln_arena *arena;
    kiln_buf content;
    kiln_value pair;
    bool done;
} whole_iter;

static int whole_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    whole_iter *wi = (whole_iter *)it;
    if (wi->done || !wi->s) return 0;
    kiln_arena_reset(wi->arena);
    int rc = wi->rd ? KILN_OK : io_whole_reader_open(wi->s->path, &wi->rd);
    const char *name = NULL;
    if (rc == KILN_OK) rc = io_whole_reader_next(wi->rd, &wi->content, &name);
    if (rc < 0) return task_error(t, rc, "%s", kiln_last_error());
    if (rc == 0) {
        wi->done = true;
        return 0;
    }
    kiln_value path = kiln_str_ref(name, strlen(name)); /* valid until the next call */
    kiln_value body = kiln_str_ref((const char *)wi->content.data, wi->content.len);
    wi->pair = kiln_pair(wi->arena, path, body);
    *vals = &wi->pair;
    *n = 1;
    return 1;
}

static void whole_close(eng_iter *it)
{
    whole_iter *wi = (whole_iter *)it;
    io_whole_reader_close(wi->rd);
    kiln_buf_release(&wi->content);
    kiln_arena_free(wi->arena);
    free(wi);
}

static eng_iter *whole_compute(kiln_rdd *r, int p, kiln_task *t)
{
    const text_source_state *sp = rdd_text_source_state(r);
    whole_iter *wi = calloc(1, sizeof *wi);
    if (!wi || !(wi->arena = kiln_arena_new())) {
        free(wi);
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    wi->base.next = whole_next;
    wi->base.close = whole_close;
    kiln_buf_init(&wi->content);
    wi->s = (size_t)p < sp->n ? &sp->splits[p] : NULL;
    return &wi->base;
}

static const rdd_ops whole_ops RDD_OPS_SECTION = {.name = "whole_text_files",
                                                  .compute = whole_compute,
                                                  .free_extra = splits_free,
                                                  .encode_extra = splits_encode,
                                                  .decode_extra = splits_decode,
                                                  .state = OPST_TEXT_SOURCE};

kiln_rdd *kiln_whole_text_files(kiln_context *ctx, const char *path, int min_partitions)
{
    return files_rdd(ctx, path, &whole_ops, min_partitions, true);
}
