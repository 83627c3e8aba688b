/*
 * parquet/write_page_index.c - the page index of kiln's Parquet writer,
 * as parquet-mr writes it: for each column chunk a ColumnIndex (per data
 * page: whether it holds only nulls, its min and max as PLAIN bytes, byte
 * arrays truncated to 64 bytes with the max rounded up, its null count,
 * and whether the pages' bounds ascend or descend) and an OffsetIndex
 * (per page: file offset, size with header, first row). write.c places
 * them after the last row group, before the footer, and points each
 * ColumnChunk at them (column_index_offset / offset_index_offset).
 */
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_format_int.h"
#include "parquet/pq_write_int.h"

enum { BO_UNORDERED = 0, BO_ASCENDING = 1, BO_DESCENDING = 2 };

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory writing a Parquet page index");
}

/* Appends a bound to l->pbounds: *off and *len. */
static int put_bound(pq_leaf *l, const void *p, size_t n, uint32_t *off, uint32_t *len)
{
    *off = (uint32_t)l->pbounds.len;
    *len = (uint32_t)n;
    return n && kiln_buf_append(&l->pbounds, p, n) ? oom() : KILN_OK;
}

/* The length of the longest prefix of p[0..n) of at most PQ_PIDX_TRUNCATE
 * bytes that ends at a UTF-8 character boundary (binary is cut the same
 * way: any prefix is a lower bound). */
static size_t cut(const uint8_t *p, size_t n)
{
    size_t k = PQ_PIDX_TRUNCATE;
    if (n <= k) return n;
    while (k > 0 && (p[k] & 0xC0) == 0x80) k--;
    return k;
}

/* An upper bound of p[0..n) no longer than PQ_PIDX_TRUNCATE: the cut
 * prefix with its last ASCII character below 0x7F incremented (what
 * follows it dropped), so it stays valid UTF-8 and sorts after p; p itself
 * when there is none. */
static size_t round_up(const uint8_t *p, size_t n, uint8_t *out)
{
    if (n <= PQ_PIDX_TRUNCATE) {
        memcpy(out, p, n);
        return n;
    }
    size_t k = cut(p, n);
    while (k > 0 && p[k - 1] >= 0x7F) k--;
    if (k == 0) return (size_t)-1;
    memcpy(out, p, k);
    out[k - 1]++;
    return k;
}

/* Notes the page just written (see pq_write_int.h). */
int pq_leaf_note_page(pq_leaf *l, int64_t off, int64_t size, int64_t nlev, int64_t rows)
{
    if (l->npages == l->pagecap) {
        size_t cap = l->pagecap ? 2 * l->pagecap : 16;
        pq_wpage *np = realloc(l->pages, sizeof *np * cap);
        if (!np) return oom();
        l->pages = np;
        l->pagecap = cap;
    }
    pq_wpage *pg = &l->pages[l->npages];
    memset(pg, 0, sizeof *pg);
    const pq_wstats *s = &l->pst;
    pg->off = off;
    pg->size = size;
    pg->first_row = l->chunk_rows;
    pg->nulls = s->nulls;
    pg->null_page = s->nulls >= nlev;
    pg->has = s->has;
    if (!pg->null_page && !s->has) l->pidx_bad = true;
    int rc = KILN_OK;
    if (s->has) {
        pg->imin = s->imin, pg->imax = s->imax;
        pg->dmin = s->dmin, pg->dmax = s->dmax;
        pg->wmin = s->wmin, pg->wmax = s->wmax;
        if (l->vkind == PQ_V_BYTES) {
            const uint8_t *mn = s->bmin.data, *mx = s->bmax.data;
            rc = put_bound(l, mn, cut(mn, s->bmin.len), &pg->min_off, &pg->min_len);
            uint8_t up[PQ_PIDX_TRUNCATE];
            size_t k = s->bmax.len > PQ_PIDX_TRUNCATE ? round_up(mx, s->bmax.len, up) : (size_t)-1;
            if (!rc && k != (size_t)-1) rc = put_bound(l, up, k, &pg->max_off, &pg->max_len);
            else if (!rc) rc = put_bound(l, mx, s->bmax.len, &pg->max_off, &pg->max_len);
        } else {
            uint8_t b[32];
            size_t n = pq_stats_bytes(l, s, false, b);
            rc = put_bound(l, b, n, &pg->min_off, &pg->min_len);
            n = pq_stats_bytes(l, s, true, b);
            if (!rc) rc = put_bound(l, b, n, &pg->max_off, &pg->max_len);
        }
    }
    if (rc) return rc;
    l->npages++;
    l->chunk_rows += rows;
    return KILN_OK;
}

/* Forgets the chunk's pages. */
void pq_leaf_pages_reset(pq_leaf *l)
{
    l->npages = 0;
    l->pbounds.len = 0;
    l->chunk_rows = 0;
    l->pidx_bad = false;
}

static int bytes_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int c = na && nb ? memcmp(a, b, na < nb ? na : nb) : 0;
    return c ? c : (na > nb) - (na < nb);
}

/* Compares a bound (max when max) of pages a and b in the column's order. */
static int bound_cmp(const pq_leaf *l, const pq_wpage *a, const pq_wpage *b, bool max)
{
#define C3(x, y) ((x) < (y) ? -1 : (x) > (y))
    switch (l->vkind) {
    case PQ_V_BOOL:
    case PQ_V_I32:
    case PQ_V_I64:
        return max ? C3(a->imax, b->imax) : C3(a->imin, b->imin);
    case PQ_V_F32:
    case PQ_V_F64:
        return max ? C3(a->dmax, b->dmax) : C3(a->dmin, b->dmin);
    case PQ_V_FLBA:
        return max ? C3(a->wmax, b->wmax) : C3(a->wmin, b->wmin);
    default: {
        const uint8_t *d = l->pbounds.data;
        if (max) return bytes_cmp(d + a->max_off, a->max_len, d + b->max_off, b->max_len);
        return bytes_cmp(d + a->min_off, a->min_len, d + b->min_off, b->min_len);
    }
    }
#undef C3
}

/* ASCENDING when the non-null pages' mins and maxes never decrease,
 * DESCENDING when they never increase, else UNORDERED (parquet-mr's rule;
 * one page or none counts as ascending). */
static int boundary_order(const pq_leaf *l)
{
    bool asc = true, desc = true;
    const pq_wpage *prev = NULL;
    for (size_t i = 0; i < l->npages; i++) {
        const pq_wpage *p = &l->pages[i];
        if (p->null_page) continue;
        if (prev) {
            int a = bound_cmp(l, prev, p, false), b = bound_cmp(l, prev, p, true);
            if (a > 0 || b > 0) asc = false;
            if (a < 0 || b < 0) desc = false;
        }
        prev = p;
    }
    return asc ? BO_ASCENDING : desc ? BO_DESCENDING : BO_UNORDERED;
}

/* Appends the chunk's ColumnIndex and OffsetIndex (see pq_write_int.h). */
int pq_leaf_page_index(const pq_leaf *l, int64_t data_off, kiln_buf *ci, bool *has_ci, kiln_buf *oi)
{
    uint32_t n = (uint32_t)l->npages;
    pq_tw t;
    *has_ci = l->vkind != PQ_V_I96 && !l->pidx_bad && n > 0;
    if (*has_ci) {
        const uint8_t *d = l->pbounds.data;
        pq_tw_init(&t, ci);
        pq_tw_begin(&t, 0);
        pq_tw_list(&t, 1, PQ_TT_TRUE, n);
        for (uint32_t i = 0; i < n; i++) pq_tw_elem_bool(&t, l->pages[i].null_page);
        pq_tw_list(&t, 2, PQ_TT_BINARY, n);
        for (uint32_t i = 0; i < n; i++) {
            const pq_wpage *p = &l->pages[i];
            pq_tw_elem_str(&t, p->null_page ? "" : (const char *)d + p->min_off,
                           p->null_page ? 0 : p->min_len);
        }
        pq_tw_list(&t, 3, PQ_TT_BINARY, n);
        for (uint32_t i = 0; i < n; i++) {
            const pq_wpage *p = &l->pages[i];
            pq_tw_elem_str(&t, p->null_page ? "" : (const char *)d + p->max_off,
                           p->null_page ? 0 : p->max_len);
        }
        pq_tw_i32(&t, 4, boundary_order(l));
        pq_tw_list(&t, 5, PQ_TT_I64, n);
        for (uint32_t i = 0; i < n; i++) pq_tw_elem_i64(&t, l->pages[i].nulls);
        pq_tw_end(&t);
        if (t.err) return oom();
    }
    pq_tw_init(&t, oi);
    pq_tw_begin(&t, 0);
    pq_tw_list(&t, 1, PQ_TT_STRUCT, n);
    for (uint32_t i = 0; i < n; i++) {
        const pq_wpage *p = &l->pages[i];
        pq_tw_begin(&t, 0);
        pq_tw_i64(&t, 1, data_off + p->off);
        pq_tw_i32(&t, 2, (int32_t)p->size);
        pq_tw_i64(&t, 3, p->first_row);
        pq_tw_end(&t);
    }
    pq_tw_end(&t);
    return t.err ? oom() : KILN_OK;
}
