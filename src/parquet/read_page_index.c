/*
 * parquet/read_page_index.c - the page index of a Parquet file
 * (parquet-format's PageIndex.md): the OffsetIndex (where each data page
 * of a column chunk lies and its first row) and the ColumnIndex (each
 * page's bounds, null count, whether it holds only nulls), decoded with
 * the bounds-checked Thrift reader, checked against the column chunk and
 * the row group, cached in the pq_file, and offered to the datasource
 * layer as per-page statistics (pq_page_count, pq_page_stats) for page
 * pruning; read_column.c reads only the pages the kept rows need.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_leaf_int.h"

/* Largest page index struct kiln reads (a lying length cannot make it
 * allocate more). */
#define PIDX_MAX_BYTES (64 << 20)

static void *zalloc(pq_tr *t, kiln_arena *a, size_t n)
{
    void *p = kiln_arena_alloc(a, n ? n : 1);
    if (!p) pq_tr_fail(t, "out of memory");
    else memset(p, 0, n ? n : 1);
    return p;
}

/* A list of elem-typed values: its count, 0 (t failed) on another type. */
static uint32_t list_of(pq_tr *t, int ty, int elem, const char *what)
{
    if (ty != PQ_TT_LIST) {
        pq_tr_fail(t, what);
        return 0;
    }
    int et;
    uint32_t n = pq_tr_list(t, &et);
    bool ok = elem == PQ_TT_TRUE ? (et == PQ_TT_TRUE || et == PQ_TT_FALSE) : et == elem;
    if (n && !ok) pq_tr_fail(t, what);
    return t->err ? 0 : n;
}

/* Sets *n to count, or fails t when another list gave a different count. */
static void same_count(pq_tr *t, uint32_t *n, bool *seen, uint32_t count)
{
    if (*seen && *n != count) pq_tr_fail(t, "page index lists of different lengths");
    *n = count;
    *seen = true;
}

static void parse_loc(pq_tr *t, pq_page_loc *l)
{
    l->offset = l->first_row = -1;
    l->size = -1;
    PQ_TR_FIELDS_BEGIN
case 1:
    l->offset = ty == PQ_TT_I64 ? pq_tr_i64(t) : (pq_tr_skip(t, ty), -1);
    break;
case 2:
    l->size = ty == PQ_TT_I32 ? pq_tr_i32(t) : (pq_tr_skip(t, ty), -1);
    break;
case 3:
    l->first_row = ty == PQ_TT_I64 ? pq_tr_i64(t) : (pq_tr_skip(t, ty), -1);
    break;
    PQ_TR_FIELDS_END
}

static void parse_offset_index(pq_tr *t, kiln_arena *a, pq_offset_index *o)
{
    bool seen = false;
    PQ_TR_FIELDS_BEGIN
case 1: {
    uint32_t n = list_of(t, ty, PQ_TT_STRUCT, "page_locations is not a list of structs");
    same_count(t, &o->n, &seen, n);
    if (!(o->locs = zalloc(t, a, sizeof *o->locs * n))) break;
    for (uint32_t i = 0; i < n && !t->err; i++) parse_loc(t, &o->locs[i]);
    break;
}
    PQ_TR_FIELDS_END
    if (!seen) pq_tr_fail(t, "OffsetIndex without page_locations");
}

/* Decodes an OffsetIndex (see pq_read_int.h). */
int pq_offset_index_parse(const uint8_t *p, size_t n, kiln_arena *a, pq_offset_index *o,
                          const char **why)
{
    memset(o, 0, sizeof *o);
    pq_tr t;
    pq_tr_init(&t, p, n);
    parse_offset_index(&t, a, o);
    for (uint32_t i = 0; !t.err && i < o->n; i++)
        if (o->locs[i].offset < 0 || o->locs[i].size <= 0 || o->locs[i].first_row < 0)
            pq_tr_fail(&t, "page location missing or negative");
    *why = t.err;
    return t.err ? KILN_ECORRUPT : KILN_OK;
}

static void parse_column_index(pq_tr *t, kiln_arena *a, pq_column_index *c)
{
    bool seen = false, have[4] = {false};
    uint32_t n;
    PQ_TR_FIELDS_BEGIN
case 1:
    n = list_of(t, ty, PQ_TT_TRUE, "null_pages is not a list of booleans");
    same_count(t, &c->n, &seen, n);
    if (!(c->null_pages = zalloc(t, a, sizeof *c->null_pages * n))) break;
    for (uint32_t i = 0; i < n && !t->err; i++) {
        if (t->p >= t->end) pq_tr_fail(t, "truncated metadata");
        else c->null_pages[i] = *t->p++ == PQ_TT_TRUE;
    }
    have[0] = true;
    break;
case 2:
case 3: {
    n = list_of(t, ty, PQ_TT_BINARY, "min_values / max_values is not a list of binaries");
    same_count(t, &c->n, &seen, n);
    const uint8_t **v = zalloc(t, a, sizeof *v * n);
    uint32_t *len = zalloc(t, a, sizeof *len * n);
    if (!v || !len) break;
    for (uint32_t i = 0; i < n && !t->err; i++) len[i] = pq_tr_binary(t, &v[i]);
    if (id == 2) c->min = v, c->min_len = len;
    else c->max = v, c->max_len = len;
    have[id - 1] = true;
    break;
}
case 4:
    if (ty != PQ_TT_I32) pq_tr_fail(t, "boundary_order is not an i32");
    c->boundary_order = pq_tr_i32(t);
    have[3] = true;
    break;
case 5:
    n = list_of(t, ty, PQ_TT_I64, "null_counts is not a list of i64");
    same_count(t, &c->n, &seen, n);
    if (!(c->null_counts = zalloc(t, a, sizeof *c->null_counts * n))) break;
    for (uint32_t i = 0; i < n && !t->err; i++) c->null_counts[i] = pq_tr_i64(t);
    break;
    PQ_TR_FIELDS_END
    if (!t->err && !(have[0] && have[1] && have[2] && have[3]))
        pq_tr_fail(t, "ColumnIndex without one of its required fields");
}

/* Decodes a ColumnIndex (see pq_read_int.h). */
int pq_column_index_parse(const uint8_t *p, size_t n, kiln_arena *a, pq_column_index *c,
                          const char **why)
{
    memset(c, 0, sizeof *c);
    pq_tr t;
    pq_tr_init(&t, p, n);
    parse_column_index(&t, a, c);
    *why = t.err;
    return t.err ? KILN_ECORRUPT : KILN_OK;
}

/* ---- Per file ------------------------------------------------------------------------ */

static int bad(pq_file *f, int rg, const pq_node *n, const char *what, const char *why)
{
    return kiln_set_error(KILN_ECORRUPT, "%s: column %s, row group %d: bad %s: %s", pq_file_path(f),
                          n->e->name, rg, what, why);
}

static const pq_node *leaf_node(const pq_node *n, int leaf)
{
    if (n->leaf == leaf) return n;
    for (int i = 0; i < n->nchildren; i++) {
        const pq_node *c = &n->children[i];
        if (leaf >= c->first_leaf && leaf < c->first_leaf + c->nleaves) return leaf_node(c, leaf);
    }
    return n;
}

/* Reads and decodes one index struct (kind 0: offset, 1: column). */
static int load(pq_file *f, int rg, int leaf, int kind, void **out)
{
    io_file *io;
    const pq_meta *m;
    const pq_node *root;
    void **slots;
    kiln_arena *a;
    *out = NULL;
    pq_file_parts(f, &io, &m, &root);
    if (rg < 0 || rg >= m->nrg || leaf < 0 || leaf >= m->rgs[rg].ncols) return 0;
    int rc = pq_file_pidx_cache(f, &slots, &a);
    if (rc) return rc;
    void **slot = &slots[2 * ((size_t)rg * (size_t)(root->nleaves + 1) + (size_t)leaf) + kind];
    if (*slot == (void *)&slots[0]) return 0; /* known absent */
    if (*slot) {
        *out = *slot;
        return 1;
    }
    const pq_chunk_meta *c = &m->rgs[rg].cols[leaf];
    const pq_node *n = leaf_node(root, leaf);
    int64_t off = kind ? c->ci_off : c->oi_off, len = kind ? c->ci_len : c->oi_len;
    const char *what = kind ? "ColumnIndex" : "OffsetIndex";
    if (!c->has_meta || off < 0 || len <= 0) {
        *slot = (void *)&slots[0];
        return 0;
    }
    int64_t size = io_file_size(io);
    if (off < PQ_MAGIC_LEN || len > PIDX_MAX_BYTES || off > size || len > size - off)
        return bad(f, rg, n, what, "offset or length outside the file");
    uint8_t *buf = kiln_arena_alloc(a, (size_t)len);
    if (!buf) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", pq_file_path(f));
    if ((rc = io_file_pread(io, buf, (size_t)len, off))) return rc;
    const char *why = NULL;
    if (kind == 0) {
        pq_offset_index *o = kiln_arena_alloc(a, sizeof *o);
        if (!o) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", pq_file_path(f));
        if (pq_offset_index_parse(buf, (size_t)len, a, o, &why)) return bad(f, rg, n, what, why);
        /* The pages lie in the chunk, in order, the first at row 0, rows
         * increasing within the row group. */
        int64_t start = c->data_page_offset;
        if (c->dictionary_page_offset > 0 && c->dictionary_page_offset < start)
            start = c->dictionary_page_offset;
        int64_t end = start + c->total_compressed, prev_end = start;
        int64_t rows = m->rgs[rg].num_rows;
        if (o->n == 0) return bad(f, rg, n, what, "no page");
        for (uint32_t i = 0; i < o->n; i++) {
            const pq_page_loc *l = &o->locs[i];
            if (l->offset < prev_end || l->offset > end || l->size > end - l->offset)
                return bad(f, rg, n, what, "page outside its column chunk or out of order");
            if (i == 0 ? l->first_row != 0
                       : l->first_row <= o->locs[i - 1].first_row || l->first_row >= rows)
                return bad(f, rg, n, what, "first_row_index out of order or range");
            prev_end = l->offset + l->size;
        }
        *slot = o;
    } else {
        pq_column_index *ci = kiln_arena_alloc(a, sizeof *ci);
        if (!ci) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", pq_file_path(f));
        if (pq_column_index_parse(buf, (size_t)len, a, ci, &why)) return bad(f, rg, n, what, why);
        *slot = ci;
    }
    *out = *slot;
    return 1;
}

int pq_file_offset_index(pq_file *f, int rg, int leaf, const pq_offset_index **out)
{
    void *p;
    int rc = load(f, rg, leaf, 0, &p);
    *out = p;
    return rc;
}

int pq_file_column_index(pq_file *f, int rg, int leaf, const pq_column_index **out)
{
    void *p;
    int rc = load(f, rg, leaf, 1, &p);
    *out = p;
    return rc;
}

/* The flat top-level leaf named name of type t, or NULL. */
static const pq_node *flat_leaf(const pq_file *f, const char *name, const col_type *t)
{
    const pq_node *n = pq_file_top(f, name);
    if (!n || n->leaf < 0 || n->e->repetition == PQ_REPEATED || !n->type ||
        !col_type_eq(n->type, t))
        return NULL;
    return n;
}

/* Pages of a column in a row group by its page index (see parquet.h). */
int pq_page_count(pq_file *f, int rg, const char *name, const col_type *t)
{
    const pq_node *n = flat_leaf(f, name, t);
    if (!n) return 0;
    const pq_offset_index *o;
    const pq_column_index *c;
    int rc = pq_file_offset_index(f, rg, n->leaf, &o);
    if (rc <= 0) return rc;
    if ((rc = pq_file_column_index(f, rg, n->leaf, &c)) <= 0) return rc;
    if (c->n != o->n) return bad(f, rg, n, "ColumnIndex", "page count differs from OffsetIndex");
    return (int)o->n;
}

/* One page's statistics and rows (see parquet.h). */
int pq_page_stats(pq_file *f, int rg, const char *name, const col_type *t, int page, pq_stats *out,
                  int64_t *first, int64_t *end)
{
    memset(out, 0, sizeof *out);
    const pq_node *n = flat_leaf(f, name, t);
    const pq_offset_index *o;
    const pq_column_index *c;
    io_file *io;
    const pq_meta *m;
    const pq_node *root;
    pq_file_parts(f, &io, &m, &root);
    if (!n || pq_file_offset_index(f, rg, n->leaf, &o) <= 0 ||
        pq_file_column_index(f, rg, n->leaf, &c) <= 0 || c->n != o->n || page < 0 ||
        (uint32_t)page >= o->n)
        return 0;
    *first = o->locs[page].first_row;
    *end = (uint32_t)page + 1 < o->n ? o->locs[page + 1].first_row : m->rgs[rg].num_rows;
    out->num_values = *end - *first; /* a flat column: a value per row */
    if (c->null_counts) {
        out->has_null_count = true;
        out->null_count = c->null_counts[page];
    }
    if (c->null_pages[page]) {
        out->has_null_count = true;
        out->null_count = out->num_values;
    } else {
        out->has_min_max = pq_stats_bounds(n, c->min[page], c->min_len[page], c->max[page],
                                           c->max_len[page], out);
    }
    return 1;
}
