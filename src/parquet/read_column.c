/*
 * parquet/read_column.c - reads one leaf column of one row group: the
 * chunk's bytes in one ranged read, then page by page (dictionary pages,
 * data pages v1 and v2, each decompressed whole) the repetition and
 * definition levels and the values, decoded a run at a time from PLAIN,
 * dictionary (PLAIN_DICTIONARY / RLE_DICTIONARY), RLE booleans,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT, and converted to the leaf's kiln type (dictionaries
 * are converted once). Strings are col_str views into the page or
 * dictionary buffer, which stay alive (retired, not freed) until the
 * batch that may point into them is released.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_codec_int.h"
#include "parquet/pq_leaf_int.h"

#define SCRATCH_N 4096 /* values per conversion step */
#define SKIP_N 1024    /* rows decoded and dropped at a time (pq_leaf_skip_to) */

static _Atomic int64_t pages_read;

/* Data pages decoded so far (see parquet.h). */
int64_t pq_pages_read(void)
{
    return atomic_load(&pages_read);
}

void pq_count_page(void)
{
    atomic_fetch_add(&pages_read, 1);
}

static int retire(pq_retired *r, void *p)
{
    if (!p) return KILN_OK;
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        void **b = realloc(r->bufs, sizeof *b * (size_t)cap);
        if (!b) {
            free(p);
            return kiln_set_error(KILN_ENOMEM, "out of memory reading Parquet");
        }
        r->bufs = b;
        r->cap = cap;
    }
    r->bufs[r->n++] = p;
    return KILN_OK;
}

/* Frees the retired buffers (see pq_leaf_int.h). */
void pq_retired_free(pq_retired *r)
{
    for (int i = 0; i < r->n; i++) free(r->bufs[i]);
    r->n = 0;
}

static int fail(const pq_leaf *l, const char *why)
{
    return kiln_set_error(KILN_ECORRUPT, "%s: column %s, row group %d, page at offset %lld: %s",
                          l->path, l->node->e->name, l->rg, (long long)l->page_off, why);
}

static int width_bits(int v)
{
    int w = 0;
    while (v >> w) w++;
    return w;
}

static size_t phys_width(const pq_leaf *l)
{
    switch (l->node->e->type) {
    case PQ_BOOLEAN:
        return 1;
    case PQ_INT32:
    case PQ_FLOAT:
        return 4;
    case PQ_INT64:
    case PQ_DOUBLE:
        return 8;
    case PQ_INT96:
        return 12;
    default:
        return sizeof(col_str);
    }
}

/* Checks the chunk's place and allocates its buffers (nothing read). */
static int setup(pq_leaf *l, io_file *io, const char *path, const pq_meta *m, const pq_node *n,
                 const col_type *type, int rg, pq_retired *retired, kiln_arena *arena)
{
    memset(l, 0, sizeof *l);
    l->io = io;
    l->path = path;
    l->node = n;
    l->type = type;
    l->max_def = n->max_def;
    l->max_rep = n->max_rep;
    l->rg = rg;
    l->retired = retired;
    l->arena = arena;
    l->cur_page = -1;
    l->rows = m->rgs[rg].num_rows;
    const pq_row_group *g = &m->rgs[rg];
    if (n->leaf >= g->ncols || !g->cols[n->leaf].has_meta)
        return kiln_set_error(KILN_ECORRUPT, "%s: column %s, row group %d: no column chunk", path,
                              n->e->name, rg);
    const pq_chunk_meta *c = &g->cols[n->leaf];
    l->page_off = c->data_page_offset;
    if (c->type != n->e->type) return fail(l, "column chunk's type differs from the schema's");
    if (c->file_path && *c->file_path)
        return fail(l, "column chunks in other files are not supported");
    int64_t start = c->data_page_offset;
    if (c->dictionary_page_offset > 0 && c->dictionary_page_offset < start)
        start = c->dictionary_page_offset;
    int64_t size = io_file_size(io);
    if (start < PQ_MAGIC_LEN || c->total_compressed <= 0 || start > size ||
        c->total_compressed > size - start)
        return fail(l, "column chunk's offset or size lies outside the file");
    l->codec = c->codec;
    l->chunk_off = start;
    l->chunk_len = (size_t)c->total_compressed;
    l->chunk = malloc(l->chunk_len);
    l->scratch = malloc(SCRATCH_N * 16);
    l->idxbuf = malloc(SCRATCH_N * sizeof *l->idxbuf);
    if (!l->chunk || !l->scratch || !l->idxbuf)
        return kiln_set_error(KILN_ENOMEM, "%s: out of memory reading column %s", path, n->e->name);
    return KILN_OK;
}

/* Opens the chunk (see pq_leaf_int.h). */
int pq_leaf_open(pq_leaf *l, io_file *io, const char *path, const pq_meta *m, const pq_node *n,
                 const col_type *type, int rg, pq_retired *retired, kiln_arena *arena)
{
    int rc = setup(l, io, path, m, n, type, rg, retired, arena);
    return rc ? rc : io_file_pread(io, l->chunk, l->chunk_len, l->chunk_off);
}

/* Reads chunk bytes [from, to) into place. */
static int read_span(pq_leaf *l, size_t from, size_t to)
{
    if (to <= from) return KILN_OK;
    return io_file_pread(l->io, l->chunk + from, to - from, l->chunk_off + (int64_t)from);
}

/* Opens the chunk reading only the pages the ranges need (see pq_leaf_int.h). */
int pq_leaf_open_pages(pq_leaf *l, io_file *io, const char *path, const pq_meta *m,
                       const pq_node *n, const col_type *type, int rg, pq_retired *retired,
                       kiln_arena *arena, const pq_offset_index *oi, const pq_row_range *ranges,
                       int nr)
{
    int rc = setup(l, io, path, m, n, type, rg, retired, arena);
    if (rc) return rc;
    l->oi = oi;
    /* read_page_index.c checked that the pages lie in order inside the chunk. */
    int64_t rows = m->rgs[rg].num_rows;
    size_t span_from = 0, span_to = (size_t)(oi->locs[0].offset - l->chunk_off);
    int k = 0;
    for (uint32_t p = 0; p < oi->n && !rc; p++) {
        int64_t first = oi->locs[p].first_row;
        int64_t end = p + 1 < oi->n ? oi->locs[p + 1].first_row : rows;
        while (k < nr && ranges[k].end <= first) k++;
        if (k == nr) break;
        if (ranges[k].start >= end) continue;
        size_t from = (size_t)(oi->locs[p].offset - l->chunk_off),
               to = from + (size_t)oi->locs[p].size;
        if (from != span_to) {
            rc = read_span(l, span_from, span_to);
            span_from = from;
        }
        span_to = to;
    }
    return rc ? rc : read_span(l, span_from, span_to);
}

/* ---- Values -------------------------------------------------------------------------- */

/* A big-endian two's complement integer of n (1..16) bytes. */
static __int128 be_int(const uint8_t *p, uint32_t n)
{
    unsigned __int128 v = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
    for (uint32_t i = 0; i < n; i++) v = (v << 8) | p[i];
    return (__int128)v;
}

/* Converts k physical values src to the kiln layout at out. */
static int convert(const pq_leaf *l, const void *src, uint32_t k, void *out)
{
    const int32_t *s32 = src;
    const int64_t *s64 = src;
    switch (l->node->conv) {
    case PQ_CV_I32_I8:
        for (uint32_t i = 0; i < k; i++) ((int8_t *)out)[i] = (int8_t)s32[i];
        break;
    case PQ_CV_I32_I16:
        for (uint32_t i = 0; i < k; i++) ((int16_t *)out)[i] = (int16_t)s32[i];
        break;
    case PQ_CV_U32_I64:
        for (uint32_t i = 0; i < k; i++) ((int64_t *)out)[i] = (int64_t)(uint32_t)s32[i];
        break;
    case PQ_CV_I32_I64:
        for (uint32_t i = 0; i < k; i++) ((int64_t *)out)[i] = s32[i];
        break;
    case PQ_CV_I32_I128:
        for (uint32_t i = 0; i < k; i++) ((__int128 *)out)[i] = s32[i];
        break;
    case PQ_CV_I64_I128:
        for (uint32_t i = 0; i < k; i++) ((__int128 *)out)[i] = s64[i];
        break;
    case PQ_CV_U64_I128:
        for (uint32_t i = 0; i < k; i++) ((__int128 *)out)[i] = (uint64_t)s64[i];
        break;
    case PQ_CV_MILLIS:
        for (uint32_t i = 0; i < k; i++) ((int64_t *)out)[i] = (int64_t)((uint64_t)s64[i] * 1000u);
        break;
    case PQ_CV_NANOS:
        for (uint32_t i = 0; i < k; i++) {
            int64_t v = s64[i], q = v / 1000;
            ((int64_t *)out)[i] = q - (v % 1000 < 0);
        }
        break;
    case PQ_CV_INT96:
        for (uint32_t i = 0; i < k; i++) {
            const uint8_t *p = (const uint8_t *)src + 12 * (size_t)i;
            int64_t nanos;
            int32_t day;
            memcpy(&nanos, p, 8);
            memcpy(&day, p + 8, 4);
            ((int64_t *)out)[i] = (int64_t)((uint64_t)((int64_t)day - 2440588) * 86400000000u +
                                            (uint64_t)(nanos / 1000));
        }
        break;
    case PQ_CV_DEC_BYTES: {
        const col_str *s = src;
        bool wide = col_decimal_is_wide(l->type);
        for (uint32_t i = 0; i < k; i++) {
            if (s[i].len > 16 ||
                (!wide && s[i].len > 8 && s[i].len > 0 &&
                 (be_int((const uint8_t *)col_str_data(&s[i]), s[i].len) > INT64_MAX ||
                  be_int((const uint8_t *)col_str_data(&s[i]), s[i].len) < INT64_MIN)))
                return fail(l, "decimal value wider than its precision");
            __int128 v = s[i].len ? be_int((const uint8_t *)col_str_data(&s[i]), s[i].len) : 0;
            if (wide) ((__int128 *)out)[i] = v;
            else ((int64_t *)out)[i] = (int64_t)v;
        }
        break;
    }
    default:
        memcpy(out, src, (size_t)k * col_type_width(l->type));
    }
    return KILN_OK;
}

static bool direct(const pq_leaf *l)
{
    return l->node->conv == PQ_CV_SAME || l->node->conv == PQ_CV_STR;
}

/* k PLAIN values in physical layout into dst (k <= SCRATCH_N unless direct). */
static int plain_phys(pq_leaf *l, uint32_t k, void *dst)
{
    const uint8_t *p = l->vp;
    size_t avail = (size_t)(l->vend - p);
    int t = l->node->e->type;
    if (t == PQ_BOOLEAN) {
        if (((uint64_t)l->bitpos + k + 7) / 8 > avail) return fail(l, "truncated PLAIN values");
        uint8_t *o = dst;
        for (uint32_t i = 0; i < k; i++, l->bitpos++)
            o[i] = (p[l->bitpos >> 3] >> (l->bitpos & 7)) & 1;
        return KILN_OK;
    }
    if (t == PQ_BYTE_ARRAY || t == PQ_FIXED_LEN_BYTE_ARRAY) {
        col_str *o = dst;
        int fl = l->node->e->type_length;
        for (uint32_t i = 0; i < k; i++) {
            uint32_t len;
            if (t == PQ_BYTE_ARRAY) {
                if (avail < 4) return fail(l, "truncated PLAIN values");
                memcpy(&len, p, 4);
                p += 4;
                avail -= 4;
            } else {
                len = (uint32_t)fl;
            }
            if (len > avail) return fail(l, "byte array longer than its page");
            o[i] = col_str_view((const char *)p, len);
            p += len;
            avail -= len;
        }
        l->vp = p;
        return KILN_OK;
    }
    size_t w = phys_width(l);
    if ((uint64_t)k * w > avail) return fail(l, "truncated PLAIN values");
    memcpy(dst, p, (size_t)k * w);
    l->vp += (size_t)k * w;
    return KILN_OK;
}

/* Decodes k values (kiln layout) of the page's encoding into out. */
static int decode(pq_leaf *l, uint32_t k, void *out)
{
    size_t w = col_type_width(l->type), pw = phys_width(l);
    int rc;
    uint8_t *o = out;
    if (l->enc == PQ_PLAIN && direct(l)) return plain_phys(l, k, out);
    while (k > 0) {
        uint32_t c = k < SCRATCH_N ? k : SCRATCH_N;
        void *src = l->scratch;
        switch (l->enc) {
        case PQ_PLAIN:
            if ((rc = plain_phys(l, c, src))) return rc;
            break;
        case PQ_PLAIN_DICTIONARY:
        case PQ_RLE_DICTIONARY: {
            uint32_t *ix = l->idxbuf, mx = 0;
            if (pq_rle_get(&l->idx, ix, c) != c) return fail(l, "truncated dictionary indices");
            for (uint32_t i = 0; i < c; i++) mx = ix[i] > mx ? ix[i] : mx;
            if (mx >= l->dict_n) return fail(l, "dictionary index out of range");
            if (w == 4) {
                const uint32_t *d = l->dict;
                for (uint32_t i = 0; i < c; i++) ((uint32_t *)(void *)o)[i] = d[ix[i]];
            } else if (w == 8) {
                const uint64_t *d = l->dict;
                for (uint32_t i = 0; i < c; i++) ((uint64_t *)(void *)o)[i] = d[ix[i]];
            } else if (w == 16) {
                const col_str *d = l->dict;
                for (uint32_t i = 0; i < c; i++) ((col_str *)(void *)o)[i] = d[ix[i]];
            } else {
                const uint8_t *d = l->dict;
                for (uint32_t i = 0; i < c; i++) memcpy(o + i * w, d + ix[i] * w, w);
            }
            o += c * w;
            k -= c;
            continue;
        }
        case PQ_RLE:
            if (pq_rle_get8(&l->idx, src, c) != c) return fail(l, "truncated RLE booleans");
            break;
        case PQ_DELTA_BINARY_PACKED: {
            uint64_t *u = l->scratch;
            if (pq_delta_get(&l->delta, u, c) != c)
                return fail(l, l->delta.err ? l->delta.err : "too few DELTA_BINARY_PACKED values");
            if (pw == 4)
                for (uint32_t i = 0; i < c; i++) ((uint32_t *)src)[i] = (uint32_t)u[i];
            break;
        }
        case PQ_DELTA_LENGTH_BYTE_ARRAY:
        case PQ_DELTA_BYTE_ARRAY: {
            uint64_t *len = (uint64_t *)l->idxbuf; /* SCRATCH_N/2 at a time */
            if (c > SCRATCH_N / 2) c = SCRATCH_N / 2;
            uint64_t pre[SCRATCH_N / 2];
            col_str *s = l->scratch;
            if (pq_delta_get(&l->delta, len, c) != c)
                return fail(l, l->delta.err ? l->delta.err : "too few byte array lengths");
            if (l->enc == PQ_DELTA_BYTE_ARRAY) {
                memcpy(pre, len, c * sizeof *pre);
                if (pq_delta_get(&l->delta2, len, c) != c)
                    return fail(l, l->delta2.err ? l->delta2.err : "too few suffix lengths");
            }
            for (uint32_t i = 0; i < c; i++) {
                uint64_t n = len[i];
                if (n > (uint64_t)(l->vend - l->bytes))
                    return fail(l, "byte array longer than its page");
                if (l->enc == PQ_DELTA_LENGTH_BYTE_ARRAY) {
                    s[i] = col_str_view((const char *)l->bytes, (uint32_t)n);
                } else {
                    uint64_t pl = pre[i], tot = pl + n;
                    if (pl > l->prev_len || tot > UINT32_MAX)
                        return fail(l, "bad DELTA_BYTE_ARRAY prefix");
                    if (tot > l->prev_cap) {
                        uint8_t *nb = realloc(l->prevbuf, tot * 2);
                        if (!nb) return kiln_set_error(KILN_ENOMEM, "out of memory");
                        l->prevbuf = nb;
                        l->prev_cap = (uint32_t)(tot * 2 > UINT32_MAX ? UINT32_MAX : tot * 2);
                    }
                    memcpy(l->prevbuf + pl, l->bytes, n);
                    l->prev_len = (uint32_t)tot;
                    if (!col_str_copy(l->arena, (const char *)l->prevbuf, (uint32_t)tot, &s[i]))
                        return kiln_set_error(KILN_ENOMEM, "out of memory");
                }
                l->bytes += n;
            }
            break;
        }
        case PQ_BYTE_STREAM_SPLIT: {
            if (c > l->bss_n - l->bss_i) return fail(l, "too few BYTE_STREAM_SPLIT values");
            uint8_t *d = src;
            for (size_t b = 0; b < pw; b++) {
                const uint8_t *q = l->vp + b * l->bss_n + l->bss_i;
                for (uint32_t i = 0; i < c; i++) d[i * pw + b] = q[i];
            }
            l->bss_i += c;
            break;
        }
        default:
            return fail(l, "unsupported encoding");
        }
        if ((rc = convert(l, src, c, o))) return rc;
        o += c * w;
        k -= c;
    }
    return KILN_OK;
}

/* ---- Pages ------------------------------------------------------------------------------ */

/* Page bytes: raw when uncompressed, else decompressed into an owned buffer. */
static int page_bytes(pq_leaf *l, const uint8_t *raw, size_t n, size_t out_len, bool compressed,
                      const uint8_t **out, void **owned)
{
    *owned = NULL;
    if (!compressed || l->codec == PQ_UNCOMPRESSED) {
        *out = raw;
        return KILN_OK;
    }
    /* A page never expands more than a few thousand times (RLE and
     * dictionaries already squeezed it): refuse sizes that would only
     * make a lying header allocate. */
    if (out_len > (size_t)1 << 30 || out_len > n * 4096 + (1 << 20))
        return fail(l, "uncompressed page size out of range");
    uint8_t *b = malloc(out_len ? out_len : 1);
    if (!b) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", l->path);
    if (pq_decompress(l->codec, raw, n, b, out_len)) {
        char why[256];
        snprintf(why, sizeof why, "%s", kiln_last_error());
        free(b);
        return fail(l, why);
    }
    *out = b;
    *owned = b;
    return KILN_OK;
}

static int read_levels(pq_leaf *l, pq_rle *r, int max, const uint8_t **p, const uint8_t *end)
{
    if (max == 0) return KILN_OK;
    uint32_t n;
    if (end - *p < 4) return fail(l, "truncated levels");
    memcpy(&n, *p, 4);
    *p += 4;
    if (n > (size_t)(end - *p)) return fail(l, "levels longer than their page");
    pq_rle_init(r, *p, n, width_bits(max));
    *p += n;
    return KILN_OK;
}

static int dictionary(pq_leaf *l, const pq_page_header *h, const uint8_t *d, size_t n)
{
    if (l->dict) return fail(l, "a second dictionary page");
    if (h->encoding != PQ_PLAIN && h->encoding != PQ_PLAIN_DICTIONARY)
        return fail(l, "dictionary page not PLAIN encoded");
    if ((uint64_t)h->num_values > (uint64_t)n * 8 + 8)
        return fail(l, "dictionary claims more values than its bytes hold");
    size_t w = col_type_width(l->type);
    l->dict = malloc((size_t)(h->num_values ? h->num_values : 1) * w);
    if (!l->dict) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", l->path);
    l->dict_n = (uint32_t)h->num_values;
    l->vp = d;
    l->vend = d + n;
    l->bitpos = 0;
    l->enc = PQ_PLAIN;
    return decode(l, l->dict_n, l->dict);
}

/* Moves to the next data page. */
static int next_page(pq_leaf *l)
{
    for (;;) {
        if (l->stop && l->pos >= l->stop) return KILN_OK;
        if (l->pos >= l->chunk_len) return fail(l, "column chunk ends before all its values");
        l->page_off = l->chunk_off + (int64_t)l->pos;
        pq_page_header h;
        size_t used;
        const char *why;
        if (pq_page_header_parse(l->chunk + l->pos, l->chunk_len - l->pos, &h, &used, &why))
            return fail(l, why);
        l->pos += used;
        if ((size_t)h.compressed > l->chunk_len - l->pos)
            return fail(l, "page longer than its column chunk");
        const uint8_t *raw = l->chunk + l->pos;
        l->pos += (size_t)h.compressed;
        const uint8_t *d;
        void *owned;
        int rc;
        if (h.type == PQ_DICTIONARY_PAGE) {
            if (!h.has_dict) return fail(l, "dictionary page without its header");
            if ((rc = page_bytes(l, raw, (size_t)h.compressed, (size_t)h.uncompressed, true, &d,
                                 &owned)))
                return rc;
            l->dict_page = owned;
            if ((rc = dictionary(l, &h, d, owned ? (size_t)h.uncompressed : (size_t)h.compressed)))
                return rc;
            continue;
        }
        if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2) continue;
        pq_count_page();
        const uint8_t *end;
        if (h.type == PQ_DATA_PAGE) {
            if (!h.has_data) return fail(l, "data page without its header");
            if ((rc = page_bytes(l, raw, (size_t)h.compressed, (size_t)h.uncompressed, true, &d,
                                 &owned)))
                return rc;
            end = d + (owned ? (size_t)h.uncompressed : (size_t)h.compressed);
            if ((l->max_rep && h.rep_encoding != PQ_RLE) ||
                (l->max_def && h.def_encoding != PQ_RLE)) {
                free(owned);
                return fail(l, "levels not RLE encoded (BIT_PACKED levels are not supported)");
            }
            if ((rc = read_levels(l, &l->rep, l->max_rep, &d, end)) ||
                (rc = read_levels(l, &l->def, l->max_def, &d, end))) {
                free(owned);
                return rc;
            }
        } else {
            if (!h.has_v2) return fail(l, "data page v2 without its header");
            size_t lv = (size_t)h.rep_len + (size_t)h.def_len;
            if (lv > (size_t)h.compressed || lv > (size_t)h.uncompressed)
                return fail(l, "levels longer than their page");
            pq_rle_init(&l->rep, raw, (size_t)h.rep_len, width_bits(l->max_rep));
            pq_rle_init(&l->def, raw + h.rep_len, (size_t)h.def_len, width_bits(l->max_def));
            if ((rc = page_bytes(l, raw + lv, (size_t)h.compressed - lv,
                                 (size_t)h.uncompressed - lv, h.is_compressed, &d, &owned)))
                return rc;
            end = d + (owned ? (size_t)h.uncompressed - lv : (size_t)h.compressed - lv);
        }
        rc = retire(l->retired, l->page_buf);
        l->page_buf = owned;
        if (rc) return rc;
        l->vp = d;
        l->vend = end;
        l->bitpos = 0;
        l->enc = h.encoding;
        l->page_left = (uint32_t)h.num_values;
        size_t pw = phys_width(l);
        switch (h.encoding) {
        case PQ_PLAIN:
            break;
        case PQ_PLAIN_DICTIONARY:
        case PQ_RLE_DICTIONARY:
            if (!l->dict) return fail(l, "dictionary-encoded page without a dictionary");
            if (d<end && * d> 32) return fail(l, "bad dictionary index bit width");
            pq_rle_init(&l->idx, d < end ? d + 1 : d, d < end ? (size_t)(end - d - 1) : 0,
                        d < end ? *d : 0);
            break;
        case PQ_RLE: {
            if (l->node->e->type != PQ_BOOLEAN)
                return fail(l, "RLE values of a non-boolean column");
            const uint8_t *p = d;
            uint32_t n;
            if (end - p < 4) return fail(l, "truncated RLE booleans");
            memcpy(&n, p, 4);
            if (n > (size_t)(end - p - 4)) return fail(l, "RLE booleans longer than their page");
            pq_rle_init(&l->idx, p + 4, n, 1);
            break;
        }
        case PQ_DELTA_BINARY_PACKED:
            if (l->node->e->type != PQ_INT32 && l->node->e->type != PQ_INT64)
                return fail(l, "DELTA_BINARY_PACKED values of a non-integer column");
            if (!pq_delta_init(&l->delta, d, (size_t)(end - d))) return fail(l, l->delta.err);
            break;
        case PQ_DELTA_LENGTH_BYTE_ARRAY:
        case PQ_DELTA_BYTE_ARRAY: {
            if (l->node->e->type != PQ_BYTE_ARRAY && l->node->e->type != PQ_FIXED_LEN_BYTE_ARRAY)
                return fail(l, "byte array encoding of a non-byte-array column");
            pq_delta tmp;
            if (!pq_delta_init(&l->delta, d, (size_t)(end - d))) return fail(l, l->delta.err);
            tmp = l->delta;
            const uint8_t *e1 = pq_delta_end(&tmp);
            if (!e1) return fail(l, tmp.err);
            l->bytes = e1;
            if (h.encoding == PQ_DELTA_BYTE_ARRAY) {
                if (!pq_delta_init(&l->delta2, e1, (size_t)(end - e1)))
                    return fail(l, l->delta2.err);
                tmp = l->delta2;
                const uint8_t *e2 = pq_delta_end(&tmp);
                if (!e2) return fail(l, tmp.err);
                l->bytes = e2;
                l->prev_len = 0;
            }
            break;
        }
        case PQ_BYTE_STREAM_SPLIT:
            if (pw > 8) return fail(l, "BYTE_STREAM_SPLIT of this type is not supported");
            l->bss_n = (uint32_t)((size_t)(end - d) / pw);
            l->bss_i = 0;
            break;
        default:
            return fail(l, "unsupported encoding");
        }
        l->in_page = true;
        return KILN_OK;
    }
}

/* Moves to page p of the OffsetIndex (the dictionary first, once). */
static int goto_page(pq_leaf *l, uint32_t p)
{
    const pq_offset_index *oi = l->oi;
    int rc;
    if (p >= oi->n) return fail(l, "column chunk ends before all its values");
    if (!l->dict_done) {
        l->dict_done = true;
        l->pos = 0;
        l->stop = (size_t)(oi->locs[0].offset - l->chunk_off);
        rc = l->stop ? next_page(l) : KILN_OK;
        l->stop = 0;
        if (rc) return rc;
        if (l->in_page) return fail(l, "a data page before the page index's first page");
    }
    l->pos = (size_t)(oi->locs[p].offset - l->chunk_off);
    l->in_page = false;
    if ((rc = next_page(l))) return rc;
    int64_t end = p + 1 < oi->n ? oi->locs[p + 1].first_row : l->rows;
    if (l->page_off != oi->locs[p].offset || (int64_t)l->page_left != end - oi->locs[p].first_row)
        return fail(l, "data page differs from its page index entry");
    l->cur_page = (int)p;
    l->row = oi->locs[p].first_row;
    return KILN_OK;
}

/* Reads n level entries and their values (see pq_leaf_int.h). */
int pq_leaf_read(pq_leaf *l, uint32_t n, uint8_t *def, uint8_t *rep, void *vals, uint32_t *nvals)
{
    uint32_t k = 0, nv = 0;
    size_t w = col_type_width(l->type);
    int rc;
    while (k < n) {
        if (!l->in_page || l->page_left == 0) {
            l->in_page = false;
            if ((rc = l->oi ? goto_page(l, l->cur_page + 1) : next_page(l))) return rc;
            continue;
        }
        uint32_t take = n - k < l->page_left ? n - k : l->page_left, nn = take;
        if (l->max_rep && pq_rle_get8(&l->rep, rep + k, take) != take)
            return fail(l, "truncated repetition levels");
        if (l->max_def) {
            uint8_t mx = 0, md = (uint8_t)l->max_def;
            nn = 0;
            if (pq_rle_levels(&l->def, def + k, take, md, &nn, &mx) != take)
                return fail(l, "truncated definition levels");
            if (mx > md) return fail(l, "definition level above the column's maximum");
        }
        if (nn && (rc = decode(l, nn, (uint8_t *)vals + (size_t)nv * w))) return rc;
        nv += nn;
        k += take;
        l->page_left -= take;
        l->row += take;
    }
    *nvals = nv;
    return KILN_OK;
}

/* Moves to row `row` (see pq_leaf_int.h). */
int pq_leaf_skip_to(pq_leaf *l, int64_t row)
{
    int rc;
    if (row < l->row || row > l->rows) return fail(l, "rows asked out of order");
    if (l->oi && row > l->row) {
        uint32_t p = l->cur_page < 0 ? 0 : (uint32_t)l->cur_page;
        while (p + 1 < l->oi->n && l->oi->locs[p + 1].first_row <= row) p++;
        if ((int)p != l->cur_page && (rc = goto_page(l, p))) return rc;
    }
    if (row > l->row && !l->skipbuf && !(l->skipbuf = malloc(SKIP_N * 17)))
        return kiln_set_error(KILN_ENOMEM, "%s: out of memory", l->path);
    while (l->row < row) {
        uint32_t k = row - l->row < SKIP_N ? (uint32_t)(row - l->row) : SKIP_N, nv;
        uint8_t *def = (uint8_t *)l->skipbuf + SKIP_N * 16;
        if ((rc = pq_leaf_read(l, k, l->max_def ? def : NULL, NULL, l->skipbuf, &nv))) return rc;
    }
    return KILN_OK;
}

/* Frees l's buffers; chunk and dictionary are retired. */
void pq_leaf_close(pq_leaf *l)
{
    if (l->retired) {
        retire(l->retired, l->chunk);
        retire(l->retired, l->dict);
        retire(l->retired, l->dict_page);
        retire(l->retired, l->page_buf);
    } else {
        free(l->page_buf);
        free(l->chunk);
        free(l->dict);
        free(l->dict_page);
    }
    free(l->scratch);
    free(l->idxbuf);
    free(l->prevbuf);
    free(l->skipbuf);
    memset(l, 0, sizeof *l);
}
