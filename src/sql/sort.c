/*
 * sql/sort.c - the sql_sorter and top-N (sort.h): key normalisation into
 * fixed-width memcmp-able rows, an MSD radix sort over them, full-string
 * tie-breaks, and gathers of the stored columns in sorted order.
 */
#define _GNU_SOURCE /* qsort_r */
#include "sql/sort.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kiln.h"
#include "sql/nested_key.h"
#include "sql/ops_int.h"

#define STR_PREFIX 12

struct sql_sorter {
    int ncols, nkeys;
    ops_store *cols;
    sort_key *keys;
    size_t *koff;  /* byte offset of each key in a normalised row */
    size_t kbytes; /* key bytes, before the 4-byte row number */
    size_t width;  /* kbytes + 4 */
    uint8_t *norm; /* n rows of width bytes */
    size_t n, ncap;
    uint32_t *order; /* after finish: row numbers in sorted order */
    size_t pos;
    bool has_str;
    size_t limit; /* top-N: 0 = none */
    bool zero;    /* LIMIT 0 */
    bool have_bound;
    uint8_t *bound; /* top-N: the key of the limit-th row */
    kiln_arena *arena;
    /* External sort */
    size_t mem_limit; /* 0: never spill */
    char *spill_dir;
    FILE **runs;
    int nruns, runs_cap;
    size_t spilled, spilled_mem; /* bytes written; bytes they took in memory */
    struct run_reader *readers;  /* merging: one per run */
    size_t merged, total;        /* rows output so far / in all runs */
};

/* A sorted run being merged: its current batch loaded into a sorter used
 * as a container (stores + normalised keys, unsorted: the run is sorted). */
typedef struct run_reader {
    FILE *f;
    sql_sorter *buf;
    size_t pos; /* current row in buf */
    bool done;
} run_reader;

static size_t key_width(const ops_store *s)
{
    return ops_store_bytes_like(s) ? STR_PREFIX + 1 : s->width;
}

sql_sorter *sql_sorter_new(const col_type *const *types, int ncols, const sort_key *keys, int nkeys)
{
    sql_sorter *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->ncols = ncols;
    s->nkeys = nkeys;
    s->cols = calloc((size_t)ncols + 1, sizeof *s->cols);
    s->keys = calloc((size_t)nkeys + 1, sizeof *s->keys);
    s->koff = calloc((size_t)nkeys + 1, sizeof *s->koff);
    s->arena = kiln_arena_new();
    if (!s->cols || !s->keys || !s->koff || !s->arena) goto fail;
    for (int c = 0; c < ncols; c++) ops_store_init(&s->cols[c], types[c]);
    for (int k = 0; k < nkeys; k++) {
        s->keys[k] = keys[k];
        s->koff[k] = s->kbytes;
        s->kbytes += 1 + key_width(&s->cols[keys[k].col]);
        s->has_str |= ops_store_bytes_like(&s->cols[keys[k].col]);
    }
    s->width = s->kbytes + 4;
    s->bound = calloc(1, s->width);
    if (!s->bound) goto fail;
    return s;
fail:
    sql_sorter_free(s);
    return NULL;
}

sql_sorter *sql_topn_new(size_t limit, const col_type *const *types, int ncols,
                         const sort_key *keys, int nkeys)
{
    sql_sorter *s = sql_sorter_new(types, ncols, keys, nkeys);
    if (s) {
        s->limit = limit ? limit : 1;
        s->zero = limit == 0; /* LIMIT 0: keep one, return nothing */
    }
    return s;
}

void sql_sorter_free(sql_sorter *s)
{
    if (!s) return;
    for (int c = 0; s->cols && c < s->ncols; c++) ops_store_release(&s->cols[c]);
    free(s->cols);
    free(s->keys);
    free(s->koff);
    free(s->norm);
    free(s->order);
    free(s->bound);
    for (int r = 0; r < s->nruns; r++) {
        if (s->runs[r]) fclose(s->runs[r]);
        if (s->readers) sql_sorter_free(s->readers[r].buf);
    }
    free(s->runs);
    free(s->readers);
    free(s->spill_dir);
    kiln_arena_free(s->arena);
    free(s);
}

size_t sql_sorter_rows(const sql_sorter *s)
{
    return s->readers ? s->total : s->n;
}

size_t sql_sorter_bytes(const sql_sorter *s)
{
    size_t b = s->ncap * s->width + kiln_arena_bytes(s->arena);
    for (int c = 0; c < s->ncols; c++) b += ops_store_bytes(&s->cols[c]);
    return b;
}

static inline void put_be64(uint8_t *p, uint64_t x)
{
    x = __builtin_bswap64(x);
    memcpy(p, &x, 8);
}
static inline void put_be32(uint8_t *p, uint32_t x)
{
    x = __builtin_bswap32(x);
    memcpy(p, &x, 4);
}

/* Writes the normalised key k of stored rows [first, first+n) into their
 * rows of s->norm. */
static void normalise(sql_sorter *s, int k, size_t first, size_t n)
{
    const sort_key *key = &s->keys[k];
    const ops_store *st = &s->cols[key->col];
    size_t w = key_width(st), W = s->width;
    uint8_t *base = s->norm + first * W + s->koff[k];
    uint8_t vnull = key->nulls_first ? 0 : 1, vval = key->nulls_first ? 1 : 0;
    for (size_t j = 0; j < n; j++) {
        size_t r = first + j;
        uint8_t *p = base + j * W;
        if (!ops_store_valid(st, r)) {
            p[0] = vnull;
            memset(p + 1, 0, w);
            continue;
        }
        p[0] = vval;
        uint8_t *q = p + 1;
        const uint8_t *src = st->data + r * st->width;
        switch (st->phys) {
        case OPS_P_I8:
            q[0] = (uint8_t)(*(const int8_t *)src) ^ 0x80;
            break;
        case OPS_P_I16: {
            uint16_t x = (uint16_t)(*(const int16_t *)src) ^ 0x8000;
            q[0] = (uint8_t)(x >> 8), q[1] = (uint8_t)x;
            break;
        }
        case OPS_P_I32:
            put_be32(q, (uint32_t)(*(const int32_t *)src) ^ 0x80000000u);
            break;
        case OPS_P_I64:
            put_be64(q, (uint64_t)(*(const int64_t *)src) ^ (UINT64_C(1) << 63));
            break;
        case OPS_P_I128: {
            __int128 x;
            memcpy(&x, src, 16);
            put_be64(q, (uint64_t)(x >> 64) ^ (UINT64_C(1) << 63));
            put_be64(q + 8, (uint64_t)x);
            break;
        }
        case OPS_P_F32: {
            float f = ops_norm_f32(*(const float *)src);
            uint32_t u;
            memcpy(&u, &f, 4);
            u = (u >> 31) ? ~u : u ^ 0x80000000u;
            put_be32(q, u);
            break;
        }
        case OPS_P_F64: {
            double f = ops_norm_f64(*(const double *)src);
            uint64_t u;
            memcpy(&u, &f, 8);
            u = (u >> 63) ? ~u : u ^ (UINT64_C(1) << 63);
            put_be64(q, u);
            break;
        }
        case OPS_P_STR:
        case OPS_P_NESTED: { /* an encoding orders as a string */
            const col_str *cs = (const col_str *)src;
            uint32_t len = cs->len;
            uint32_t m = len < STR_PREFIX ? len : STR_PREFIX;
            memcpy(q, col_str_data(cs), m);
            memset(q + m, 0, STR_PREFIX - m);
            q[STR_PREFIX] = (uint8_t)(len > STR_PREFIX ? STR_PREFIX + 1 : len);
            break;
        }
        }
        if (key->desc)
            for (size_t b = 0; b < w; b++) q[b] = (uint8_t)~q[b];
    }
}

static int grow_norm(sql_sorter *s, size_t n)
{
    if (n <= s->ncap) return KILN_OK;
    size_t nc = s->ncap ? s->ncap : 4096;
    while (nc < n) nc *= 2;
    uint8_t *p = realloc(s->norm, nc * s->width);
    if (!p) return KILN_ENOMEM;
    s->norm = p;
    s->ncap = nc;
    return KILN_OK;
}

static int sort_rows(sql_sorter *s);
static int topn_compact(sql_sorter *s);
static int spill_run(sql_sorter *s);

int sql_sorter_add_batch(sql_sorter *s, const col_batch *b)
{
    uint32_t count = col_batch_live(b);
    if (!count) return KILN_OK;
    int rc;
    if ((rc = grow_norm(s, s->n + count))) return rc;
    size_t first = s->n;
    for (int c = 0; c < s->ncols; c++)
        if ((rc = ops_store_append(&s->cols[c], s->arena, &b->cols[c], b->sel, count, false)))
            return rc;
    for (int k = 0; k < s->nkeys; k++) normalise(s, k, first, count);
    for (size_t j = 0; j < count; j++)
        put_be32(s->norm + (first + j) * s->width + s->kbytes, (uint32_t)(first + j));
    s->n += count;
    if (s->limit && s->have_bound) {
        /* Drop rows that sort strictly after the current limit-th row: up
         * to the first string key, bytes decide (a cut string may tie). */
        size_t plen = s->kbytes;
        for (int k = 0; k < s->nkeys; k++)
            if (ops_store_bytes_like(&s->cols[s->keys[k].col])) {
                plen = s->koff[k] + 1 + STR_PREFIX + 1;
                break;
            }
        size_t keep = first;
        bool dropped = false;
        for (size_t j = first; j < s->n; j++) {
            if (memcmp(s->norm + j * s->width, s->bound, plen) > 0) {
                dropped = true;
                continue;
            }
            if (keep != j) {
                memmove(s->norm + keep * s->width, s->norm + j * s->width, s->width);
                for (int c = 0; c < s->ncols; c++) {
                    ops_store *st = &s->cols[c];
                    memcpy(st->data + keep * st->width, st->data + j * st->width, st->width);
                    if (st->valid) st->valid[keep] = st->valid[j];
                }
            }
            put_be32(s->norm + keep * s->width + s->kbytes, (uint32_t)keep);
            keep++;
        }
        if (dropped) {
            s->n = keep;
            for (int c = 0; c < s->ncols; c++) s->cols[c].n = keep;
        }
    }
    if (s->mem_limit && sql_sorter_bytes(s) > s->mem_limit) return spill_run(s);
    if (s->limit && s->n >= 2 * s->limit + COL_VEC_SIZE) return topn_compact(s);
    return KILN_OK;
}

/* ---- Radix sort ------------------------------------------------------------------- */

static void insertion_sort(uint8_t *rows, size_t n, size_t W, size_t off, uint8_t *tmp)
{
    for (size_t i = 1; i < n; i++) {
        memcpy(tmp, rows + i * W, W);
        size_t j = i;
        while (j > 0 && memcmp(rows + (j - 1) * W + off, tmp + off, W - off) > 0) {
            memcpy(rows + j * W, rows + (j - 1) * W, W);
            j--;
        }
        memcpy(rows + j * W, tmp, W);
    }
}

static void msd_radix(uint8_t *rows, uint8_t *tmp, size_t n, size_t W, size_t off)
{
    while (off < W) {
        if (n <= 24) {
            insertion_sort(rows, n, W, off, tmp);
            return;
        }
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++) cnt[rows[i * W + off]]++;
        int nonzero = 0;
        for (int b = 0; b < 256; b++) nonzero += cnt[b] != 0;
        if (nonzero == 1) {
            off++;
            continue;
        }
        size_t start[256], at[256], acc = 0;
        for (int b = 0; b < 256; b++) {
            start[b] = at[b] = acc;
            acc += cnt[b];
        }
        for (size_t i = 0; i < n; i++) {
            uint8_t b = rows[i * W + off];
            memcpy(tmp + at[b]++ * W, rows + i * W, W);
        }
        memcpy(rows, tmp, n * W);
        for (int b = 0; b < 256; b++)
            if (cnt[b] > 1) msd_radix(rows + start[b] * W, tmp, cnt[b], W, off + 1);
        return;
    }
}

/* Full comparison of two rows: string keys by their whole bytes when both
 * are valid, other keys by their normalised bytes, then the row number. */
static int full_cmp(const void *a, const void *b, void *arg)
{
    const sql_sorter *s = arg;
    const uint8_t *x = a, *y = b;
    uint32_t ra, rb;
    memcpy(&ra, x + s->kbytes, 4);
    memcpy(&rb, y + s->kbytes, 4);
    ra = __builtin_bswap32(ra);
    rb = __builtin_bswap32(rb);
    for (int k = 0; k < s->nkeys; k++) {
        const ops_store *st = &s->cols[s->keys[k].col];
        int c;
        if (ops_store_bytes_like(st) && ops_store_valid(st, ra) && ops_store_valid(st, rb)) {
            c = ops_str_cmp((const col_str *)st->data + ra, (const col_str *)st->data + rb);
            if (s->keys[k].desc) c = -c;
        } else {
            c = memcmp(x + s->koff[k], y + s->koff[k], 1 + key_width(st));
        }
        if (c) return c;
    }
    return (ra > rb) - (ra < rb);
}

static bool truncated(const sql_sorter *s, int k, const uint8_t *row)
{
    uint8_t lb = row[s->koff[k] + 1 + STR_PREFIX];
    if (s->keys[k].desc) lb = (uint8_t)~lb;
    return lb == STR_PREFIX + 1;
}

/* Rows whose keys tie up to the end of string key k (the first string key
 * from k on): re-sorted in full when that string was cut to its prefix,
 * else looked at again for the next string key. */
static void tiebreak(sql_sorter *s, uint8_t *rows, size_t n, int k)
{
    size_t W = s->width;
    while (k < s->nkeys && !ops_store_bytes_like(&s->cols[s->keys[k].col])) k++;
    if (k >= s->nkeys) return;
    size_t end = s->koff[k] + 1 + STR_PREFIX + 1;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && memcmp(rows + i * W, rows + j * W, end) == 0) j++;
        if (j - i > 1) {
            if (truncated(s, k, rows + i * W)) qsort_r(rows + i * W, j - i, W, full_cmp, s);
            else tiebreak(s, rows + i * W, j - i, k + 1);
        }
        i = j;
    }
}

static int sort_rows(sql_sorter *s)
{
    size_t W = s->width, n = s->n;
    if (n > 1) {
        uint8_t *tmp = malloc(n * W);
        if (!tmp) return KILN_ENOMEM;
        msd_radix(s->norm, tmp, n, W, 0);
        free(tmp);
    }
    if (s->has_str && n > 1) tiebreak(s, s->norm, n, 0);
    return KILN_OK;
}

/* Keeps the first limit rows (sorted) and the bound of the limit-th. */
static int topn_compact(sql_sorter *s)
{
    int rc = sort_rows(s);
    if (rc) return rc;
    size_t keep = s->n < s->limit ? s->n : s->limit;
    uint32_t *rows = malloc((keep ? keep : 1) * 4);
    if (!rows) return KILN_ENOMEM;
    for (size_t j = 0; j < keep; j++) {
        uint32_t r;
        memcpy(&r, s->norm + j * s->width + s->kbytes, 4);
        rows[j] = __builtin_bswap32(r);
    }
    /* Rebuild the stores with the kept rows, in sorted order, in a new arena. */
    kiln_arena *na = kiln_arena_new();
    if (!na) {
        free(rows);
        return KILN_ENOMEM;
    }
    kiln_arena *tmpa = kiln_arena_new();
    for (int c = 0; c < s->ncols && tmpa; c++) {
        col_vec v;
        ops_store ns;
        ops_store_init(&ns, s->cols[c].type);
        for (size_t off = 0; off < keep; off += COL_VEC_SIZE) {
            uint32_t m = (uint32_t)(keep - off < COL_VEC_SIZE ? keep - off : COL_VEC_SIZE);
            if ((rc = ops_store_gather(&s->cols[c], tmpa, rows + off, 0, m, &v)) ||
                (rc = ops_store_append(&ns, na, &v, NULL, m, false)))
                break;
            kiln_arena_reset(tmpa);
        }
        ops_store_release(&s->cols[c]);
        s->cols[c] = ns;
        if (rc) break;
    }
    free(rows);
    if (!tmpa) rc = KILN_ENOMEM;
    kiln_arena_free(tmpa);
    kiln_arena_free(s->arena);
    s->arena = na;
    if (rc) return rc;
    for (size_t j = 0; j < keep; j++) put_be32(s->norm + j * s->width + s->kbytes, (uint32_t)j);
    s->n = keep;
    if (keep == s->limit) {
        memcpy(s->bound, s->norm + (keep - 1) * s->width, s->width);
        s->have_bound = true;
    }
    return KILN_OK;
}

int sql_sorter_set_spill(sql_sorter *s, size_t limit, const char *dir)
{
    if (s->limit) return kiln_set_error(KILN_EINVAL, "a top-N sorter does not spill");
    free(s->spill_dir);
    s->spill_dir = strdup(dir ? dir : "/tmp");
    if (!s->spill_dir) return KILN_ENOMEM;
    s->mem_limit = limit;
    return KILN_OK;
}

void sql_sorter_set_spill_limit(sql_sorter *s, size_t limit)
{
    if (s->spill_dir) s->mem_limit = limit;
}

size_t sql_sorter_spilled(const sql_sorter *s)
{
    return s->spilled;
}

size_t sql_sorter_spilled_memory(const sql_sorter *s)
{
    return s->spilled_mem;
}

static FILE *run_file(const char *dir)
{
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    if (!path) return NULL;
    snprintf(path, n, "%s/kiln-sort-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    free(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w+b");
    if (!f) close(fd);
    return f;
}

/* Row numbers of the rows of s->norm, in its order, into order[0..n). */
static void norm_order(const sql_sorter *s, uint32_t *order)
{
    for (size_t j = 0; j < s->n; j++) {
        uint32_t r;
        memcpy(&r, s->norm + j * s->width + s->kbytes, 4);
        order[j] = __builtin_bswap32(r);
    }
}

/* Empties the sorter's rows (keeps allocations). */
static void clear_rows(sql_sorter *s)
{
    for (int c = 0; c < s->ncols; c++) {
        free(s->cols[c].valid);
        s->cols[c].valid = NULL;
        s->cols[c].n = 0;
    }
    s->n = 0;
    kiln_arena_reset(s->arena);
}

/* Sorts the rows held and writes them to a new run file as encoded batches. */
static int spill_run(sql_sorter *s)
{
    s->spilled_mem += sql_sorter_bytes(s);
    int rc = sort_rows(s);
    if (rc) return rc;
    if (s->nruns == s->runs_cap) {
        int cap = s->runs_cap ? 2 * s->runs_cap : 8;
        FILE **r = realloc(s->runs, (size_t)cap * sizeof *r);
        if (!r) return KILN_ENOMEM;
        s->runs = r;
        s->runs_cap = cap;
    }
    FILE *f = run_file(s->spill_dir);
    if (!f) return kiln_set_error(KILN_EIO, "cannot create a sort spill file in %s", s->spill_dir);
    s->runs[s->nruns++] = f;
    uint32_t *order = malloc((s->n ? s->n : 1) * 4);
    kiln_arena *a = kiln_arena_new();
    kiln_buf buf;
    kiln_buf_init(&buf);
    rc = order && a ? KILN_OK : KILN_ENOMEM;
    if (!rc) norm_order(s, order);
    for (size_t off = 0; !rc && off < s->n; off += COL_VEC_SIZE) {
        uint32_t m = (uint32_t)(s->n - off < COL_VEC_SIZE ? s->n - off : COL_VEC_SIZE);
        col_batch b;
        memset(&b, 0, sizeof b);
        b.cols = kiln_arena_alloc(a, (size_t)s->ncols * sizeof(col_vec) + 1);
        b.ncols = s->ncols;
        b.n = m;
        if (!b.cols) rc = KILN_ENOMEM;
        for (int c = 0; !rc && c < s->ncols; c++)
            rc = ops_store_gather(&s->cols[c], a, order + off, 0, m, &b.cols[c]);
        uint64_t len = 0;
        buf.len = 0;
        if (!rc && !(rc = kiln_buf_append(&buf, &len, 8)) && !(rc = col_batch_encode(&buf, &b))) {
            len = buf.len - 8;
            memcpy(buf.data, &len, 8);
            if (fwrite(buf.data, 1, buf.len, f) != buf.len)
                rc = kiln_set_error(KILN_EIO, "cannot write a sort spill file in %s", s->spill_dir);
            s->spilled += buf.len;
        }
        kiln_arena_reset(a);
    }
    s->total += s->n;
    free(order);
    kiln_buf_release(&buf);
    kiln_arena_free(a);
    clear_rows(s);
    return rc;
}

/* Loads the next batch of run r into its reader (done at the end). */
static int load_run(sql_sorter *s, run_reader *rd)
{
    uint64_t len;
    clear_rows(rd->buf);
    rd->pos = 0;
    if (fread(&len, 8, 1, rd->f) != 1) {
        rd->done = true;
        return KILN_OK;
    }
    uint8_t *data = malloc(len ? len : 1);
    if (!data) return KILN_ENOMEM;
    int rc = KILN_OK;
    if (fread(data, 1, len, rd->f) != len)
        rc = kiln_set_error(KILN_EIO, "sort spill file cut short (%s)", s->spill_dir);
    kiln_arena *a = kiln_arena_new();
    col_batch b;
    if (!rc && !a) rc = KILN_ENOMEM;
    if (!rc && !(rc = col_batch_decode(&b, a, data, len)))
        rc = sql_sorter_add_batch(rd->buf, &b); /* copies: data can go */
    kiln_arena_free(a);
    free(data);
    return rc;
}

/* <0 when reader x's current row sorts before y's (equal: the earlier run).
 * Key by key: a string cut to its prefix in both rows compares in full. */
static int reader_cmp(const sql_sorter *s, const run_reader *x, const run_reader *y)
{
    const uint8_t *a = x->buf->norm + x->pos * s->width, *b = y->buf->norm + y->pos * s->width;
    if (!s->has_str) return memcmp(a, b, s->kbytes);
    for (int k = 0; k < s->nkeys; k++) {
        const ops_store *sa = &x->buf->cols[s->keys[k].col], *sb = &y->buf->cols[s->keys[k].col];
        size_t o = s->koff[k], w = 1 + key_width(sa);
        int c = memcmp(a + o, b + o, w);
        if (c == 0 && ops_store_bytes_like(sa) && truncated(s, k, a) &&
            ops_store_valid(sa, x->pos) && ops_store_valid(sb, y->pos)) {
            c = ops_str_cmp((const col_str *)sa->data + x->pos, (const col_str *)sb->data + y->pos);
            if (s->keys[k].desc) c = -c;
        }
        if (c) return c;
    }
    return 0;
}

static int start_merge(sql_sorter *s)
{
    int rc;
    if (s->n && (rc = spill_run(s))) return rc;
    s->readers = calloc((size_t)s->nruns, sizeof *s->readers);
    if (!s->readers) return KILN_ENOMEM;
    const col_type *types[256];
    const col_type **tp = s->ncols <= 256 ? types : malloc((size_t)s->ncols * sizeof *tp);
    if (!tp) return KILN_ENOMEM;
    for (int c = 0; c < s->ncols; c++) tp[c] = s->cols[c].type;
    rc = KILN_OK;
    for (int r = 0; r < s->nruns && !rc; r++) {
        run_reader *rd = &s->readers[r];
        rd->f = s->runs[r];
        rewind(rd->f);
        if (!(rd->buf = sql_sorter_new(tp, s->ncols, s->keys, s->nkeys))) rc = KILN_ENOMEM;
        else rc = load_run(s, rd);
    }
    if (tp != types) free(tp);
    return rc;
}

/* Replaces v, a binary vector of encodings, by the values of st's type. */
static int decode_binary(const ops_store *st, kiln_arena *a, col_vec *v)
{
    uint8_t *valid = kiln_arena_alloc(a, v->n ? v->n : 1);
    if (!valid) return KILN_ENOMEM;
    for (uint32_t j = 0; j < v->n; j++) valid[j] = col_valid(v, j);
    const col_vec bin = *v;
    return nk_decode(st->type, bin.data, valid, bin.n, a, v);
}

/* The next merged rows, copied (strings too) into vectors made in a. */
static int merge_next(sql_sorter *s, kiln_arena *a, col_batch *out)
{
    uint32_t m = (uint32_t)(s->total - s->merged < COL_VEC_SIZE ? s->total - s->merged
                                                                : COL_VEC_SIZE);
    if (!m) return KILN_OK;
    out->cols = kiln_arena_alloc(a, (size_t)s->ncols * sizeof(col_vec) + 1);
    if (!out->cols) return KILN_ENOMEM;
    out->ncols = s->ncols;
    out->n = m;
    int rc;
    /* Nested columns collect their encodings as binary, decoded at the end. */
    for (int c = 0; c < s->ncols; c++) {
        const ops_store *st = &s->cols[c];
        const col_type *t = st->phys == OPS_P_NESTED ? &col_type_binary : st->type;
        if ((rc = ops_vec_make(&out->cols[c], a, t, m, true))) return rc;
    }
    for (uint32_t j = 0; j < m; j++) {
        run_reader *best = NULL;
        for (int r = 0; r < s->nruns; r++) {
            run_reader *rd = &s->readers[r];
            if (!rd->done && (!best || reader_cmp(s, rd, best) < 0)) best = rd;
        }
        if (!best)
            return kiln_set_error(KILN_ECORRUPT, "sort spill files hold fewer rows than written");
        for (int c = 0; c < s->ncols; c++) {
            const ops_store *st = &best->buf->cols[c];
            col_vec *v = &out->cols[c];
            if (!ops_store_valid(st, best->pos)) {
                col_set_null(v, j);
                memset((uint8_t *)v->data + (size_t)j * st->width, 0, st->width);
                continue;
            }
            uint8_t *dst = (uint8_t *)v->data + (size_t)j * st->width;
            memcpy(dst, st->data + best->pos * st->width, st->width);
            if (ops_store_bytes_like(st) && !ops_str_copy(a, (col_str *)dst, (col_str *)dst))
                return KILN_ENOMEM;
        }
        if (++best->pos >= best->buf->n && (rc = load_run(s, best))) return rc;
    }
    for (int c = 0; c < s->ncols; c++)
        if (s->cols[c].phys == OPS_P_NESTED && (rc = decode_binary(&s->cols[c], a, &out->cols[c])))
            return rc;
    s->merged += m;
    return KILN_OK;
}

int sql_sorter_finish(sql_sorter *s)
{
    if (s->nruns) return start_merge(s);
    int rc = s->limit ? topn_compact(s) : sort_rows(s);
    if (rc) return rc;
    size_t n = s->zero ? 0 : s->n;
    s->order = malloc((n ? n : 1) * 4);
    if (!s->order) return KILN_ENOMEM;
    for (size_t j = 0; j < n; j++) {
        uint32_t r;
        memcpy(&r, s->norm + j * s->width + s->kbytes, 4);
        s->order[j] = __builtin_bswap32(r);
    }
    s->n = n;
    free(s->norm);
    s->norm = NULL;
    s->ncap = 0;
    s->pos = 0;
    return KILN_OK;
}

int sql_sorter_next_batch(sql_sorter *s, kiln_arena *a, col_batch *out)
{
    memset(out, 0, sizeof *out);
    if (s->readers) return merge_next(s, a, out);
    if (s->pos >= s->n) return KILN_OK;
    uint32_t m = (uint32_t)(s->n - s->pos < COL_VEC_SIZE ? s->n - s->pos : COL_VEC_SIZE);
    out->cols = kiln_arena_alloc(a, (size_t)s->ncols * sizeof(col_vec) + 1);
    if (!out->cols) return KILN_ENOMEM;
    out->ncols = s->ncols;
    out->n = m;
    for (int c = 0; c < s->ncols; c++) {
        int rc = ops_store_gather(&s->cols[c], a, s->order + s->pos, 0, m, &out->cols[c]);
        if (rc) return rc;
    }
    s->pos += m;
    return KILN_OK;
}
