/*
 * parquet/write_encode.c - the encodings of kiln's Parquet writer: the
 * RLE/bit-packed hybrid of levels and dictionary indices, PLAIN values,
 * the dictionary (a hash table over PLAIN bytes, falling back to PLAIN
 * when it outgrows its limit or does not pay off), statistics in the
 * format's sort order, and data / dictionary pages with their headers,
 * compressed into a leaf's column chunk buffer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_codec_int.h"
#include "parquet/pq_format_int.h"
#include "parquet/pq_write_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory writing a Parquet file");
}

/* ---- RLE / bit-packed hybrid ------------------------------------------------------ */

/* Bits for values 0..max. */
int pq_bit_width(uint32_t max)
{
    int w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

/* Appends v as a ULEB128 varint (Thrift's and the hybrid's). */
int pq_put_varint(kiln_buf *out, uint64_t v)
{
    uint8_t b[10];
    int n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    return kiln_buf_append(out, b, (size_t)n);
}

/* Appends v[0..n) in the hybrid encoding: runs of 8+ equal values as RLE
 * runs, the rest bit-packed in groups of 8 (the last group padded with
 * zeros, which readers ignore past the value count). */
int pq_rle_encode(kiln_buf *out, const uint32_t *v, size_t n, int width)
{
    size_t i = 0, bytes = ((size_t)width + 7) / 8;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && v[i + run] == v[i]) run++;
        if (run >= 8) {
            uint32_t x = v[i];
            uint8_t le[4] = {(uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24)};
            if (pq_put_varint(out, (uint64_t)run << 1) || kiln_buf_append(out, le, bytes))
                return oom();
            i += run;
            continue;
        }
        /* Literal groups of 8 until a run of 8 starts at a group boundary. */
        size_t start = i, end = i;
        for (;;) {
            end += 8;
            if (end >= n || (end - start) / 8 >= 63) break;
            size_t r = 1;
            while (end + r < n && r < 8 && v[end + r] == v[end]) r++;
            if (r >= 8) break;
        }
        size_t groups = (end - start) / 8, nb = groups * (size_t)width;
        if (pq_put_varint(out, (uint64_t)groups << 1 | 1) || kiln_buf_reserve(out, nb))
            return oom();
        uint8_t *o = out->data + out->len;
        memset(o, 0, nb);
        size_t bit = 0;
        for (size_t k = start; k < start + groups * 8; k++, bit += (size_t)width) {
            uint64_t x = k < n ? v[k] : 0;
            for (int b = 0; b < width; b += 8) {
                /* value bits [b, b+8) at bit + b; bits past the width are 0 */
                size_t at = bit + (size_t)b;
                uint64_t part = x >> b;
                int sh = (int)(at & 7);
                o[at >> 3] |= (uint8_t)(part << sh);
                if (sh && (at >> 3) + 1 < nb) o[(at >> 3) + 1] |= (uint8_t)(part >> (8 - sh));
            }
        }
        out->len += nb;
        i = end < n ? end : n;
    }
    return KILN_OK;
}

/* ---- Statistics ------------------------------------------------------------------- */

/* Forgets what s holds (its buffers stay allocated). */
void pq_stats_clear(pq_wstats *s)
{
    s->has = false;
    s->nulls = 0;
    s->bmin.len = s->bmax.len = 0;
}

static int bytes_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int c = na && nb ? memcmp(a, b, na < nb ? na : nb) : 0;
    return c ? c : (na > nb) - (na < nb);
}

static int set_bytes(kiln_buf *b, const void *p, size_t n)
{
    b->len = 0;
    return n ? kiln_buf_append(b, p, n) : KILN_OK;
}

/* Takes one value into s (PLAIN bytes p[0..n) for byte arrays). */
static inline int stats_add(const pq_leaf *l, pq_wstats *s, int64_t i, double d, __int128 w,
                            const void *p, size_t n)
{
    switch (l->vkind) {
    case PQ_V_BOOL:
    case PQ_V_I32:
    case PQ_V_I64:
        if (!s->has || i < s->imin) s->imin = i;
        if (!s->has || i > s->imax) s->imax = i;
        break;
    case PQ_V_F32:
    case PQ_V_F64:
        if (isnan(d)) return KILN_OK;
        if (!s->has || d < s->dmin || (d == 0 && signbit(d))) s->dmin = d;
        if (!s->has || d > s->dmax || (d == 0 && s->dmax == 0 && !signbit(d))) s->dmax = d;
        break;
    case PQ_V_FLBA:
        if (!s->has || w < s->wmin) s->wmin = w;
        if (!s->has || w > s->wmax) s->wmax = w;
        break;
    case PQ_V_BYTES:
        if ((!s->has || bytes_cmp(p, n, s->bmin.data, s->bmin.len) < 0) &&
            set_bytes(&s->bmin, p, n))
            return oom();
        if ((!s->has || bytes_cmp(p, n, s->bmax.data, s->bmax.len) > 0) &&
            set_bytes(&s->bmax, p, n))
            return oom();
        break;
    default: /* INT96: no order */
        return KILN_OK;
    }
    s->has = true;
    return KILN_OK;
}

/* Merges from into into (same leaf). */
void pq_stats_merge(const pq_leaf *l, pq_wstats *into, const pq_wstats *from)
{
    into->nulls += from->nulls;
    if (!from->has) return;
    switch (l->vkind) {
    case PQ_V_BOOL:
    case PQ_V_I32:
    case PQ_V_I64:
        stats_add(l, into, from->imin, 0, 0, NULL, 0);
        stats_add(l, into, from->imax, 0, 0, NULL, 0);
        break;
    case PQ_V_F32:
    case PQ_V_F64:
        stats_add(l, into, 0, from->dmin, 0, NULL, 0);
        stats_add(l, into, 0, from->dmax, 0, NULL, 0);
        break;
    case PQ_V_FLBA:
        stats_add(l, into, 0, 0, from->wmin, NULL, 0);
        stats_add(l, into, 0, 0, from->wmax, NULL, 0);
        break;
    case PQ_V_BYTES:
        stats_add(l, into, 0, 0, 0, from->bmin.data, from->bmin.len);
        stats_add(l, into, 0, 0, 0, from->bmax.data, from->bmax.len);
        break;
    default:
        break;
    }
}

/* The PLAIN bytes of one statistics bound into b[0..) (returns length). */
size_t pq_stats_bytes(const pq_leaf *l, const pq_wstats *s, bool max, uint8_t *b)
{
    int64_t i = max ? s->imax : s->imin;
    double d = max ? s->dmax : s->dmin;
    switch (l->vkind) {
    case PQ_V_BOOL:
        b[0] = (uint8_t)i;
        return 1;
    case PQ_V_I32: {
        int32_t x = (int32_t)i;
        memcpy(b, &x, 4);
        return 4;
    }
    case PQ_V_I64:
        memcpy(b, &i, 8);
        return 8;
    case PQ_V_F32: {
        if (d == 0) d = max ? 0.0 : -0.0;
        float f = (float)d;
        memcpy(b, &f, 4);
        return 4;
    }
    case PQ_V_F64:
        if (d == 0) d = max ? 0.0 : -0.0;
        memcpy(b, &d, 8);
        return 8;
    case PQ_V_FLBA: {
        __int128 w = max ? s->wmax : s->wmin;
        for (int k = l->flba_len - 1; k >= 0; k--, w >>= 8) b[k] = (uint8_t)w;
        return (size_t)l->flba_len;
    }
    default:
        return 0;
    }
}

/* Writes Statistics' fields: null_count, max_value, min_value. */
void pq_stats_write(pq_tw *t, const pq_leaf *l, const pq_wstats *st)
{
    pq_tw_i64(t, 3, st->nulls);
    if (!st->has) return;
    uint8_t mx[32], mn[32];
    if (l->vkind == PQ_V_BYTES) {
        pq_tw_bin(t, 5, st->bmax.data ? st->bmax.data : mx, st->bmax.len);
        pq_tw_bin(t, 6, st->bmin.data ? st->bmin.data : mn, st->bmin.len);
        return;
    }
    size_t nx = pq_stats_bytes(l, st, true, mx), nn = pq_stats_bytes(l, st, false, mn);
    pq_tw_bin(t, 5, mx, nx);
    pq_tw_bin(t, 6, mn, nn);
}

/* ---- Dictionary ------------------------------------------------------------------- */

static inline uint64_t hash_bytes(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t x = 0;
    if (i < n) memcpy(&x, p + i, n - i);
    h = (h ^ x) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

/* A slot: entry + 1 in the low 32 bits (0: empty), the hash's high 32
 * bits above, so most probes touch one cache line. */
static int dict_grow(pq_leaf *l)
{
    uint32_t ns = l->nslots ? l->nslots * 2 : 1024;
    uint64_t *slots = calloc(ns, sizeof *slots);
    if (!slots) return oom();
    for (uint32_t s = 0; s < l->nslots; s++) {
        uint64_t x = l->slots[s];
        if (!(uint32_t)x) continue;
        /* the slot's index bits are not kept: rehash the entry */
        uint32_t e = (uint32_t)x - 1;
        const uint8_t *ep = l->dict.data + l->doff[e];
        size_t len = l->doff[e + 1] - l->doff[e], npre = l->vkind == PQ_V_BYTES ? 4 : 0;
        uint64_t h = hash_bytes(ep + npre, len - npre, npre);
        uint32_t k = (uint32_t)h & (ns - 1);
        while (slots[k]) k = (k + 1) & (ns - 1);
        slots[k] = x;
    }
    free(l->slots);
    l->slots = slots;
    l->nslots = ns;
    return KILN_OK;
}

static inline bool same(const uint8_t *ep, size_t elen, const void *pre, size_t npre, const void *p,
                        size_t n)
{
    if (elen != npre + n) return false;
    if (npre == 0 && n == 4) return memcmp(ep, p, 4) == 0; /* inlined */
    if (npre == 0 && n == 8) return memcmp(ep, p, 8) == 0;
    return (!npre || memcmp(ep, pre, npre) == 0) && (!n || memcmp(ep + npre, p, n) == 0);
}

static inline int dict_lookup(pq_leaf *l, const void *pre, size_t npre, const void *p, size_t n,
                              uint32_t *out);

/* The index of the value with PLAIN bytes pre[0..npre) + p[0..n) (pre: a
 * byte array's length prefix), added when new. */
static inline int dict_index(pq_leaf *l, const void *pre, size_t npre, const void *p, size_t n,
                             uint32_t *out)
{
    /* Runs of one value (sorted keys) skip the table. */
    if (npre == 0 && l->last_n == n && memcmp(l->last, p, n) == 0) {
        *out = l->last_idx;
        return KILN_OK;
    }
    int rc = dict_lookup(l, pre, npre, p, n, out);
    if (!rc && npre == 0 && n <= sizeof l->last) {
        memcpy(l->last, p, n);
        l->last_n = (uint8_t)n;
        l->last_idx = *out;
    }
    return rc;
}

static inline int dict_lookup(pq_leaf *l, const void *pre, size_t npre, const void *p, size_t n,
                              uint32_t *out)
{
    if ((uint64_t)(l->ndict + 1) * 2 > l->nslots && dict_grow(l)) return KILN_ENOMEM;
    uint64_t h = hash_bytes(p, n, npre);
    uint32_t mask = l->nslots - 1, k = (uint32_t)h & mask, hi = (uint32_t)(h >> 32);
    for (uint64_t x; (x = l->slots[k]); k = (k + 1) & mask) {
        if ((uint32_t)(x >> 32) != hi) continue;
        uint32_t e = (uint32_t)x - 1;
        if (same(l->dict.data + l->doff[e], l->doff[e + 1] - l->doff[e], pre, npre, p, n)) {
            *out = e;
            return KILN_OK;
        }
    }
    if (l->ndict + 2 > l->doffcap) {
        uint32_t nc = l->doffcap ? l->doffcap * 2 : 1024;
        uint32_t *d = realloc(l->doff, sizeof *d * nc);
        if (!d) return oom();
        l->doff = d;
        l->doffcap = nc;
    }
    if ((npre && kiln_buf_append(&l->dict, pre, npre)) || (n && kiln_buf_append(&l->dict, p, n)))
        return oom();
    l->doff[0] = 0;
    l->doff[l->ndict + 1] = (uint32_t)l->dict.len;
    l->slots[k] = (uint64_t)hi << 32 | ++l->ndict;
    *out = l->ndict - 1;
    return KILN_OK;
}

static void dict_clear(pq_leaf *l)
{
    l->last_n = 0;
    l->dict.len = 0;
    l->ndict = 0;
    if (l->slots) memset(l->slots, 0, sizeof *l->slots * l->nslots);
}

/* Whether the dictionary passed its limit. */
bool pq_leaf_dict_full(const pq_leaf *l, const pq_write_options *o)
{
    return l->use_dict && (int64_t)l->dict.len > o->dict_page_size;
}

/* ---- Values ----------------------------------------------------------------------- */

#define GROW(arr, n, cap, extra)                                                                   \
    do {                                                                                           \
        if ((n) + (extra) > (cap)) {                                                               \
            size_t nc_ = (cap) ? (cap)*2 : 4096;                                                   \
            while (nc_ < (n) + (extra)) nc_ *= 2;                                                  \
            void *g_ = realloc((arr), sizeof *(arr)*nc_);                                          \
            if (!g_) return oom();                                                                 \
            (arr) = g_;                                                                            \
            (cap) = nc_;                                                                           \
        }                                                                                          \
    } while (0)

static inline int levels(pq_leaf *l, int def, int rep)
{
    if (l->max_def || l->max_rep) {
        size_t cap = l->levcap;
        if (l->nlev + 1 > cap) {
            GROW(l->def, l->nlev, cap, 1);
            cap = l->levcap;
            GROW(l->rep, l->nlev, cap, 1);
            l->levcap = cap;
        }
        l->def[l->nlev] = (uint16_t)def;
        l->rep[l->nlev] = (uint16_t)rep;
    }
    l->nlev++;
    if (rep == 0) l->page_rows++;
    return KILN_OK;
}

/* Appends PLAIN bytes pre + p[0..n) to the page: as a dictionary index or
 * as themselves. */
static inline int put_plain(pq_leaf *l, const void *pre, size_t npre, const void *p, size_t n)
{
    if (l->use_dict) {
        uint32_t ix;
        if (dict_index(l, pre, npre, p, n, &ix)) return KILN_ENOMEM;
        GROW(l->idx, l->nidx, l->idxcap, 1);
        l->idx[l->nidx++] = ix;
        return KILN_OK;
    }
    if ((npre && kiln_buf_append(&l->vals, pre, npre)) || (n && kiln_buf_append(&l->vals, p, n)))
        return oom();
    return KILN_OK;
}

/* One non-null value (row r of v) to the page. */
static inline int put_value(pq_leaf *l, const col_vec *v, uint32_t r)
{
    const void *d = v->data;
    int64_t i = 0;
    switch (l->src_kind) {
    case COL_BOOL:
        i = ((const bool *)d)[r];
        break;
    case COL_I8:
        i = ((const int8_t *)d)[r];
        break;
    case COL_I16:
        i = ((const int16_t *)d)[r];
        break;
    case COL_I32:
    case COL_DATE:
        i = ((const int32_t *)d)[r];
        break;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        i = ((const int64_t *)d)[r];
        break;
    case COL_DECIMAL:
        if (l->vkind != PQ_V_FLBA) i = ((const int64_t *)d)[r];
        break;
    default:
        break;
    }
    switch (l->vkind) {
    case PQ_V_BOOL:
        GROW(l->bools, l->nidx, l->idxcap, 1);
        l->bools[l->nidx++] = (uint8_t)i;
        return stats_add(l, &l->pst, i, 0, 0, NULL, 0);
    case PQ_V_I32: {
        int32_t x = (int32_t)i;
        if (put_plain(l, NULL, 0, &x, 4)) return KILN_ENOMEM;
        return stats_add(l, &l->pst, i, 0, 0, NULL, 0);
    }
    case PQ_V_I64:
        if (l->ts_div > 1) i = i / l->ts_div - (i % l->ts_div < 0);
        if (put_plain(l, NULL, 0, &i, 8)) return KILN_ENOMEM;
        return stats_add(l, &l->pst, i, 0, 0, NULL, 0);
    case PQ_V_I96: {
        int64_t day = i / 86400000000LL - (i % 86400000000LL < 0);
        int64_t ns = (i - day * 86400000000LL) * 1000;
        uint8_t b[12];
        int32_t jd = (int32_t)(day + 2440588);
        memcpy(b, &ns, 8);
        memcpy(b + 8, &jd, 4);
        return put_plain(l, NULL, 0, b, 12);
    }
    case PQ_V_F32: {
        float f = ((const float *)d)[r];
        if (put_plain(l, NULL, 0, &f, 4)) return KILN_ENOMEM;
        return stats_add(l, &l->pst, 0, f, 0, NULL, 0);
    }
    case PQ_V_F64: {
        double x = ((const double *)d)[r];
        if (put_plain(l, NULL, 0, &x, 8)) return KILN_ENOMEM;
        return stats_add(l, &l->pst, 0, x, 0, NULL, 0);
    }
    case PQ_V_FLBA: {
        __int128 w = ((const __int128 *)d)[r], x = w;
        uint8_t b[16];
        for (int k = l->flba_len - 1; k >= 0; k--, x >>= 8) b[k] = (uint8_t)x;
        if (put_plain(l, NULL, 0, b, (size_t)l->flba_len)) return KILN_ENOMEM;
        return stats_add(l, &l->pst, 0, 0, w, NULL, 0);
    }
    default: { /* PQ_V_BYTES */
        const col_str *s = &((const col_str *)d)[r];
        uint32_t n = s->len;
        const char *p = col_str_data(s);
        if (put_plain(l, &n, 4, p, n)) return KILN_ENOMEM;
        return stats_add(l, &l->pst, 0, 0, 0, p, n);
    }
    }
}

/* One value (row r of v, valid) with its levels. */
int pq_leaf_value(pq_leaf *l, const col_vec *v, uint32_t r, int def, int rep)
{
    if (levels(l, def, rep)) return KILN_ENOMEM;
    return put_value(l, v, col_row(v, r));
}

/* A null (or an empty / null ancestor) with its levels. */
int pq_leaf_null(pq_leaf *l, int def, int rep)
{
    if (levels(l, def, rep)) return KILN_ENOMEM;
    if (def < l->max_def) l->pst.nulls++;
    return KILN_OK;
}

/* Rows [from, to) of a flat top-level vector. */
int pq_leaf_flat(pq_leaf *l, const col_vec *v, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        bool ok = col_valid(v, i);
        if (l->max_def) {
            if (l->nlev + 1 > l->levcap) {
                size_t cap = l->levcap;
                GROW(l->def, l->nlev, cap, (size_t)(to - i));
                cap = l->levcap;
                GROW(l->rep, l->nlev, cap, (size_t)(to - i));
                l->levcap = cap;
            }
            l->def[l->nlev] = ok;
            l->rep[l->nlev] = 0;
        }
        l->nlev++;
        l->page_rows++;
        if (!ok) {
            if (!l->max_def)
                return kiln_set_error(KILN_EINVAL, "Parquet: a null in non-nullable column `%s`",
                                      l->path[0]);
            l->pst.nulls++;
            continue;
        }
        if (put_value(l, v, col_row(v, i))) return KILN_ENOMEM;
    }
    return KILN_OK;
}

/* ---- Pages ------------------------------------------------------------------------ */

/* Bytes of the page being built, before compression. */
size_t pq_leaf_page_bytes(const pq_leaf *l)
{
    size_t lev = (size_t)(l->max_def > 0) + (size_t)(l->max_rep > 0);
    size_t vals = l->vkind == PQ_V_BOOL ? l->nidx / 8
                  : l->use_dict         ? l->nidx * (size_t)(pq_bit_width(l->ndict) + 1) / 8
                                        : l->vals.len;
    return vals + l->nlev * lev / 4;
}

static int put_levels(kiln_buf *page, const uint16_t *lv, size_t n, int max)
{
    size_t at = page->len;
    uint32_t len = 0;
    uint32_t *tmp = malloc(sizeof *tmp * (n ? n : 1));
    if (!tmp || kiln_buf_append(page, &len, 4)) {
        free(tmp);
        return oom();
    }
    for (size_t j = 0; j < n; j++) tmp[j] = lv[j];
    int rc = pq_rle_encode(page, tmp, n, pq_bit_width((uint32_t)max));
    free(tmp);
    if (rc) return rc;
    len = (uint32_t)(page->len - at - 4);
    memcpy(page->data + at, &len, 4);
    return KILN_OK;
}

/* Appends the header and the compressed body to out; *usize gets their
 * uncompressed size. */
static int emit_page(pq_leaf *l, const pq_write_options *o, int type, int32_t nvalues, int enc,
                     const pq_wstats *st, kiln_buf *out, int64_t *usize)
{
    const kiln_buf *body = &l->page;
    if (o->codec != PQ_UNCOMPRESSED) {
        l->zpage.len = 0;
        int rc = pq_compress(o->codec, o->level, l->page.data, l->page.len, &l->zpage);
        if (rc) return rc;
        body = &l->zpage;
    }
    kiln_buf hb;
    kiln_buf_init(&hb);
    pq_tw t;
    pq_tw_init(&t, &hb);
    pq_tw_begin(&t, 0);
    pq_tw_i32(&t, 1, type);
    pq_tw_i32(&t, 2, (int32_t)l->page.len);
    pq_tw_i32(&t, 3, (int32_t)body->len);
    if (type == PQ_DATA_PAGE) {
        pq_tw_begin(&t, 5);
        pq_tw_i32(&t, 1, nvalues);
        pq_tw_i32(&t, 2, enc);
        pq_tw_i32(&t, 3, PQ_RLE);
        pq_tw_i32(&t, 4, PQ_RLE);
        pq_tw_begin(&t, 5);
        pq_stats_write(&t, l, st);
        pq_tw_end(&t);
        pq_tw_end(&t);
    } else {
        pq_tw_begin(&t, 7);
        pq_tw_i32(&t, 1, nvalues);
        pq_tw_i32(&t, 2, PQ_PLAIN);
        pq_tw_end(&t);
    }
    pq_tw_end(&t);
    int rc = t.err ? oom() : KILN_OK;
    if (!rc &&
        (kiln_buf_append(out, hb.data, hb.len) || kiln_buf_append(out, body->data, body->len)))
        rc = oom();
    *usize = (int64_t)(hb.len + l->page.len);
    kiln_buf_release(&hb);
    return rc;
}

/* Rewrites the page's dictionary indices as PLAIN values and drops the
 * dictionary (it did not pay off on the first page). */
static int undo_dict(pq_leaf *l)
{
    l->vals.len = 0;
    for (size_t i = 0; i < l->nidx; i++) {
        uint32_t e = l->idx[i];
        if (kiln_buf_append(&l->vals, l->dict.data + l->doff[e], l->doff[e + 1] - l->doff[e]))
            return oom();
    }
    l->nidx = 0;
    l->use_dict = false;
    dict_clear(l);
    return KILN_OK;
}

/* Encodes, compresses and appends the current page to the chunk. */
int pq_leaf_flush_page(pq_leaf *l, const pq_write_options *o)
{
    if (l->nlev == 0) return KILN_OK;
    int rc;
    if (l->use_dict && !l->dict_used && l->nidx > 0) {
        /* The first page decides: dictionary + indices against PLAIN. */
        size_t plain = 0, idxb = l->nidx * (size_t)pq_bit_width(l->ndict) / 8;
        for (size_t i = 0; i < l->nidx; i++) plain += l->doff[l->idx[i] + 1] - l->doff[l->idx[i]];
        if (l->dict.len + idxb >= plain && (rc = undo_dict(l))) return rc;
    }
    kiln_buf *pg = &l->page;
    pg->len = 0;
    if (l->max_rep && (rc = put_levels(pg, l->rep, l->nlev, l->max_rep))) return rc;
    if (l->max_def && (rc = put_levels(pg, l->def, l->nlev, l->max_def))) return rc;
    int enc = PQ_PLAIN;
    if (l->vkind == PQ_V_BOOL) {
        size_t nb = (l->nidx + 7) / 8;
        if (kiln_buf_reserve(pg, nb)) return oom();
        uint8_t *b = pg->data + pg->len;
        memset(b, 0, nb);
        for (size_t i = 0; i < l->nidx; i++) b[i >> 3] |= (uint8_t)(l->bools[i] << (i & 7));
        pg->len += nb;
    } else if (l->use_dict && l->nidx > 0) {
        enc = PQ_RLE_DICTIONARY;
        int w = pq_bit_width(l->ndict ? l->ndict - 1 : 0);
        if (w == 0) w = 1;
        uint8_t bw = (uint8_t)w;
        if (kiln_buf_append(pg, &bw, 1) || pq_rle_encode(pg, l->idx, l->nidx, w)) return oom();
        l->dict_used = true;
        l->enc_dict = true;
    } else {
        if (l->vals.len && kiln_buf_append(pg, l->vals.data, l->vals.len)) return oom();
        l->enc_plain = true;
    }
    if (l->vkind == PQ_V_BOOL) l->enc_plain = true;
    int64_t us, off = (int64_t)l->chunk.len;
    if ((rc = emit_page(l, o, PQ_DATA_PAGE, (int32_t)l->nlev, enc, &l->pst, &l->chunk, &us)))
        return rc;
    if ((rc = pq_leaf_note_page(l, off, (int64_t)l->chunk.len - off, (int64_t)l->nlev,
                                l->page_rows)))
        return rc;
    l->chunk_uncompressed += us;
    l->chunk_values += (int64_t)l->nlev;
    pq_stats_merge(l, &l->cst, &l->pst);
    pq_stats_clear(&l->pst);
    l->nlev = l->nidx = 0;
    l->vals.len = 0;
    l->page_rows = 0;
    if (pq_leaf_dict_full(l, o)) l->use_dict = false; /* fall back to PLAIN */
    return KILN_OK;
}

/* The dictionary page of the chunk (when some page used it). */
int pq_leaf_dict_page(pq_leaf *l, const pq_write_options *o, kiln_buf *out, int64_t *usize)
{
    *usize = 0;
    if (!l->dict_used) return KILN_OK;
    l->page.len = 0;
    if (kiln_buf_append(&l->page, l->dict.data, l->dict.len)) return oom();
    return emit_page(l, o, PQ_DICTIONARY_PAGE, (int32_t)l->ndict, PQ_PLAIN, NULL, out, usize);
}

/* Clears the chunk for the next row group (the dictionary starts over). */
void pq_leaf_reset_chunk(pq_leaf *l, const pq_write_options *o)
{
    l->chunk.len = 0;
    l->chunk_values = l->chunk_uncompressed = 0;
    pq_leaf_pages_reset(l);
    l->enc_plain = l->enc_dict = false;
    l->dict_used = false;
    l->use_dict = o->dictionary && l->vkind != PQ_V_BOOL;
    dict_clear(l);
    pq_stats_clear(&l->cst);
}

/* Frees l's buffers. */
void pq_leaf_release(pq_leaf *l)
{
    free(l->def);
    free(l->rep);
    free(l->idx);
    free(l->bools);
    free(l->doff);
    free(l->slots);
    kiln_buf_release(&l->vals);
    kiln_buf_release(&l->dict);
    kiln_buf_release(&l->chunk);
    free(l->pages);
    kiln_buf_release(&l->pbounds);
    kiln_buf_release(&l->page);
    kiln_buf_release(&l->zpage);
    kiln_buf_release(&l->pst.bmin);
    kiln_buf_release(&l->pst.bmax);
    kiln_buf_release(&l->cst.bmin);
    kiln_buf_release(&l->cst.bmax);
}
