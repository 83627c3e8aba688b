/*
 * engine/sources.c - RDDs that read data: parallelized arrays, ranges, text
 * files (split into byte ranges; an archive's members read one after
 * another) and whole text files (an archive's members one record each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "io/io.h"
#include "base/payload.h"

static int default_slices(kiln_context *ctx, int n) { return n > 0 ? n : ctx->default_parallelism; }

/* ---- parallelize: slice i covers [i*n/k, (i+1)*n/k) as Spark ------------- */

typedef struct par_data {
    kiln_value *vals;
    size_t n;
} par_data;

static eng_iter *par_compute(kiln_rdd *r, int p, kiln_task *t)
{
    par_data *d = r->extra;
    size_t k = (size_t)r->nparts;
    size_t lo = (size_t)((unsigned __int128)p * d->n / k);
    size_t hi = (size_t)((unsigned __int128)(p + 1) * d->n / k);
    eng_iter *it = iter_over_array(d->vals + lo, hi - lo);
    if (!it) task_error(t, KILN_ENOMEM, "out of memory");
    return it;
}

static void par_free(kiln_rdd *r)
{
    par_data *d = r->extra;
    if (d) free(d->vals);
    free(d);
}

static int par_encode(const kiln_rdd *r, kiln_buf *out)
{
    const par_data *d = r->extra;
    net_writer w;
    net_writer_init(&w, out);
    net_put_u64(&w, d->n);
    int rc = net_writer_finish(&w);
    for (size_t i = 0; i < d->n && rc == KILN_OK; i++) rc = kiln_value_encode(out, &d->vals[i]);
    return rc;
}

static int par_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    net_reader rd;
    net_reader_init(&rd, p, n, "parallelized values");
    uint64_t count = net_get_u64(&rd, "count");
    if (rd.err) return rd.err;
    if (count > n) return kiln_set_error(KILN_ECORRUPT, "parallelize: %llu values in %zu bytes",
                                         (unsigned long long)count, n);
    par_data *d = calloc(1, sizeof *d);
    if (!d || !(d->vals = malloc(sizeof *d->vals * (count + 1)))) {
        free(d);
        return KILN_ENOMEM;
    }
    r->extra = d;
    size_t at = rd.off;
    for (; d->n < count; d->n++) {
        size_t used;
        int rc = kiln_value_decode(r->arena, p + at, n - at, &d->vals[d->n], &used);
        if (rc) return kiln_set_error(rc, "parallelize: value %zu does not decode", d->n);
        at += used;
    }
    return at == n ? KILN_OK : kiln_set_error(KILN_ECORRUPT, "parallelize: trailing bytes");
}

static const rdd_ops par_ops RDD_OPS_SECTION = {"parallelize", par_compute, par_free, par_encode, par_decode};

kiln_rdd *kiln_parallelize(kiln_context *ctx, const kiln_value *values, size_t n,
                           int num_slices)
{
    if (!ctx || (n && !values)) {
        kiln_set_error(KILN_EINVAL, "kiln_parallelize: NULL argument");
        return NULL;
    }
    kiln_rdd *r = rdd_new(ctx, &par_ops, default_slices(ctx, num_slices), NULL, 0);
    if (!r) return NULL;
    par_data *d = calloc(1, sizeof *d);
    if (!d || !(d->vals = malloc(sizeof(kiln_value) * (n + 1)))) {
        free(d);
        kiln_set_error(KILN_ENOMEM, "kiln_parallelize: out of memory");
        return NULL;
    }
    r->extra = d;
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

static void free_close(eng_iter *it) { free(it); }

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
    int64_t *a = r->extra; /* start, step, total */
    uint64_t total = (uint64_t)a[2], k = (uint64_t)r->nparts;
    uint64_t lo = (uint64_t)((unsigned __int128)p * total / k);
    uint64_t hi = (uint64_t)((unsigned __int128)(p + 1) * total / k);
    range_iter *ri = calloc(1, sizeof *ri);
    if (!ri) {
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    ri->base.next = range_next;
    ri->base.close = free_close;
    ri->next = (int64_t)((uint64_t)a[0] + lo * (uint64_t)a[1]);
    ri->step = a[1];
    ri->left = hi - lo;
    return &ri->base;
}

static void extra_free(kiln_rdd *r) { free(r->extra); }

static int range_encode(const kiln_rdd *r, kiln_buf *out)
{
    return kiln_buf_append(out, r->extra, 3 * sizeof(int64_t));
}

static int range_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    if (n != 3 * sizeof(int64_t)) return kiln_set_error(KILN_ECORRUPT, "range: %zu bytes", n);
    int64_t *a = malloc(3 * sizeof *a);
    if (!a) return KILN_ENOMEM;
    memcpy(a, p, n);
    if (a[1] == 0 || a[2] < 0) {
        free(a);
        return kiln_set_error(KILN_ECORRUPT, "range: step 0 or a negative count");
    }
    r->extra = a;
    return KILN_OK;
}

static const rdd_ops range_ops RDD_OPS_SECTION = {"range", range_compute, extra_free, range_encode, range_decode};

kiln_rdd *kiln_range(kiln_context *ctx, int64_t start, int64_t end, int64_t step, int num_slices)
{
    if (!ctx || step == 0) {
        kiln_set_error(KILN_EINVAL, "kiln_range: step must not be 0");
        return NULL;
    }
    kiln_rdd *r = rdd_new(ctx, &range_ops, default_slices(ctx, num_slices), NULL, 0);
    if (!r) return NULL;
    int64_t *a = malloc(3 * sizeof *a);
    if (!a) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    a[0] = start;
    a[1] = step;
    a[2] = (int64_t)range_len(start, end, step);
    r->extra = a;
    return r;
}

/* ---- text files ---------------------------------------------------------------- */

typedef struct splits {
    io_split *s;
    size_t n;
} splits;

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
    splits *sp = r->extra;
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
        ti->path = sp->s[p].path;
        t->input_file = ti->path;
        int rc = io_line_reader_open(&sp->s[p], &ti->rd);
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

static void splits_free(kiln_rdd *r)
{
    splits *sp = r->extra;
    if (sp) io_splits_free(sp->s, sp->n);
    free(sp);
}

/* Splits as bytes: count, then per split its path, start, length, whole. */
static int splits_encode(const kiln_rdd *r, kiln_buf *out)
{
    const splits *sp = r->extra;
    net_writer w;
    net_writer_init(&w, out);
    net_put_u32(&w, (uint32_t)sp->n);
    for (size_t i = 0; i < sp->n; i++) {
        net_put_str(&w, sp->s[i].path);
        net_put_u64(&w, (uint64_t)sp->s[i].start);
        net_put_u64(&w, (uint64_t)sp->s[i].length);
        net_put_u8(&w, sp->s[i].whole);
    }
    return net_writer_finish(&w);
}

static int splits_decode(kiln_rdd *r, const uint8_t *p, size_t n)
{
    net_reader rd;
    net_reader_init(&rd, p, n, "input splits");
    uint32_t count = net_get_u32(&rd, "count");
    if (rd.err) return rd.err;
    if (count > n) return kiln_set_error(KILN_ECORRUPT, "input splits: %u in %zu bytes", count, n);
    splits *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->s = calloc((size_t)count + 1, sizeof *sp->s))) {
        free(sp);
        return KILN_ENOMEM;
    }
    r->extra = sp;
    char path[4096];
    for (; sp->n < count && !rd.err; sp->n++) {
        net_get_str(&rd, path, sizeof path, "path");
        io_split *s = &sp->s[sp->n];
        s->start = (int64_t)net_get_u64(&rd, "start");
        s->length = (int64_t)net_get_u64(&rd, "length");
        s->whole = net_get_u8(&rd, "whole");
        if (!(s->path = strdup(path))) return KILN_ENOMEM;
    }
    return net_reader_end(&rd);
}

static const rdd_ops text_ops RDD_OPS_SECTION = {"text_file", text_compute, splits_free, splits_encode,
                                 splits_decode};
static const rdd_ops text_offsets_ops RDD_OPS_SECTION = {"text_file_with_offsets", text_compute, splits_free,
                                         splits_encode, splits_decode};

static kiln_rdd *files_rdd(kiln_context *ctx, const char *path, const rdd_ops *ops,
                           int min_partitions, bool whole)
{
    if (!ctx || !path) {
        kiln_set_error(KILN_EINVAL, "%s: NULL argument", ops->name);
        return NULL;
    }
    splits *sp = calloc(1, sizeof *sp);
    if (!sp) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    int rc = whole ? io_file_list(path, &sp->s, &sp->n)
                   : io_text_splits(path, min_partitions, &sp->s, &sp->n);
    if (rc) {
        free(sp);
        return NULL;
    }
    /* An input of only empty files still has one (empty) partition. */
    kiln_rdd *r = rdd_new(ctx, ops, sp->n ? (int)sp->n : 1, NULL, 0);
    if (!r) {
        io_splits_free(sp->s, sp->n);
        free(sp);
        return NULL;
    }
    r->extra = sp;
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
    return files_rdd(ctx, path, &text_offsets_ops, text_min_partitions(ctx, min_partitions),
                     false);
}

const char *kiln_task_input_file(const kiln_task *t) { return t->input_file; }

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
    splits *sp = r->extra;
    whole_iter *wi = calloc(1, sizeof *wi);
    if (!wi || !(wi->arena = kiln_arena_new())) {
        free(wi);
        task_error(t, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    wi->base.next = whole_next;
    wi->base.close = whole_close;
    kiln_buf_init(&wi->content);
    wi->s = (size_t)p < sp->n ? &sp->s[p] : NULL;
    return &wi->base;
}

static const rdd_ops whole_ops RDD_OPS_SECTION = {"whole_text_files", whole_compute, splits_free, splits_encode,
                                  splits_decode};

kiln_rdd *kiln_whole_text_files(kiln_context *ctx, const char *path, int min_partitions)
{
    return files_rdd(ctx, path, &whole_ops, min_partitions, true);
}
