/*
 * sql/sort.c - the sql_sorter and top-N (sort.h): key normalisation into
 * fixed-width memcmp-able rows, an MSD radix sort over them, full-string
 * tie-breaks, and gathers of the stored columns in sorted order.
 */
#define _GNU_SOURCE /* qsort_r */
#include "sql/sort.h"

#include <stdlib.h>

#include "kiln.h"
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
};

static size_t key_width(const ops_store *s)
{
    return s->phys == OPS_P_STR ? STR_PREFIX + 1 : s->width;
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
    for (int c = 0; c < ncols; c++) {
        ops_store_init(&s->cols[c], types[c]);
        if (s->cols[c].phys == OPS_P_NONE) {
            kiln_set_error(KILN_EINVAL, "sorting rows with nested or null columns is not "
                                        "supported yet");
            goto fail;
        }
    }
    for (int k = 0; k < nkeys; k++) {
        s->keys[k] = keys[k];
        s->koff[k] = s->kbytes;
        s->kbytes += 1 + key_width(&s->cols[keys[k].col]);
        s->has_str |= s->cols[keys[k].col].phys == OPS_P_STR;
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
    kiln_arena_free(s->arena);
    free(s);
}

size_t sql_sorter_rows(const sql_sorter *s)
{
    return s->n;
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
        case OPS_P_STR: {
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
            if (s->cols[s->keys[k].col].phys == OPS_P_STR) {
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
        if (st->phys == OPS_P_STR && ops_store_valid(st, ra) && ops_store_valid(st, rb)) {
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
    while (k < s->nkeys && s->cols[s->keys[k].col].phys != OPS_P_STR) k++;
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

int sql_sorter_finish(sql_sorter *s)
{
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
