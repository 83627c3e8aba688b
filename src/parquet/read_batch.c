/*
 * parquet/read_batch.c - the Parquet reader's batches: the wanted columns
 * matched by name (any case) to the file's top-level fields, one column
 * chunk reader (read_column.c) per projected leaf, batches of up to
 * COL_VEC_SIZE rows within a row group: dense values decoded in place and
 * spread out by the definition levels (nulls), widened when the wanted
 * type is wider than the file's; a column the file lacks reads as nulls.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parquet/pq_leaf_int.h"

typedef struct rcol {
    const pq_node *node; /* NULL: not in the file (nulls) */
    const col_type *want;
    bool widen; /* read as node->type, then widened to want */
    pq_leaf leaf;
    bool open;
    pq_nested *nest; /* nested fields (read_nested.c) */
} rcol;

struct pq_reader {
    pq_file *f;
    io_file *io;
    const pq_meta *m;
    int ncols;
    rcol *cols;
    int *rgs, nrg, rgi;
    /* Row selection: rgs[i]'s ranges are ranges[roff[i] .. + nranges[i])
     * (nranges NULL or < 0: all rows). */
    pq_row_range *ranges;
    int *nranges, *roff;
    /* The row group being read: its ranges (sel[si..nsel) to come). */
    const pq_row_range *sel;
    pq_row_range full;
    int nsel, si;
    bool paged, rg_open;
    int64_t rows_left; /* in the current range */
    pq_retired retired;
    kiln_arena *tmp;
    uint8_t def[COL_VEC_SIZE];
    unsigned char wbuf[COL_VEC_SIZE * 16];
};

static bool can_widen(const col_type *from, const col_type *to)
{
    int f = from->kind, t = to->kind;
    bool fi = f == COL_I8 || f == COL_I16 || f == COL_I32 || f == COL_I64;
    if ((t == COL_I16 || t == COL_I32 || t == COL_I64) && fi)
        return col_type_width(from) < col_type_width(to);
    if (t == COL_F64) return fi || f == COL_F32;
    return false;
}

static void widen(const col_type *from, const void *src, const col_type *to, void *dst, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        int64_t iv = 0;
        double dv = 0;
        bool isf = false;
        switch (from->kind) {
        case COL_I8:
            iv = ((const int8_t *)src)[i];
            break;
        case COL_I16:
            iv = ((const int16_t *)src)[i];
            break;
        case COL_I32:
            iv = ((const int32_t *)src)[i];
            break;
        case COL_I64:
            iv = ((const int64_t *)src)[i];
            break;
        default:
            dv = ((const float *)src)[i];
            isf = true;
        }
        switch (to->kind) {
        case COL_I16:
            ((int16_t *)dst)[i] = (int16_t)iv;
            break;
        case COL_I32:
            ((int32_t *)dst)[i] = (int32_t)iv;
            break;
        case COL_I64:
            ((int64_t *)dst)[i] = iv;
            break;
        default:
            ((double *)dst)[i] = isf ? dv : (double)iv;
        }
    }
}

/* Opens a reader (see parquet.h). */
int pq_reader_open(pq_file *f, const col_schema *want, const int *rgs, int nrg, pq_reader **out)
{
    return pq_reader_open_ranges(f, want, rgs, nrg, NULL, NULL, out);
}

/* Copies the row selection into r; KILN_EINVAL when a range is out of order or range. */
static int copy_ranges(pq_reader *r, const pq_row_range *ranges, const int *nranges)
{
    size_t total = 0;
    for (int i = 0; i < r->nrg; i++) total += nranges[i] > 0 ? (size_t)nranges[i] : 0;
    r->ranges = malloc(sizeof *r->ranges * (total ? total : 1));
    r->nranges = malloc(sizeof *r->nranges * (size_t)(r->nrg ? r->nrg : 1));
    r->roff = malloc(sizeof *r->roff * (size_t)(r->nrg ? r->nrg : 1));
    if (!r->ranges || !r->nranges || !r->roff) return kiln_set_error(KILN_ENOMEM, "out of memory");
    if (total) memcpy(r->ranges, ranges, sizeof *r->ranges * total);
    size_t at = 0;
    for (int i = 0; i < r->nrg; i++) {
        int g = r->rgs[i], n = nranges[i];
        r->nranges[i] = n;
        r->roff[i] = (int)at;
        int64_t rows = g >= 0 && g < r->m->nrg ? r->m->rgs[g].num_rows : 0, prev = 0;
        for (int k = 0; k < n; k++, at++) {
            const pq_row_range *q = &r->ranges[at];
            if (q->start < prev || q->end < q->start || q->end > rows)
                return kiln_set_error(KILN_EINVAL,
                                      "%s: row group %d: row range [%lld, %lld) "
                                      "out of order or outside its %lld rows",
                                      pq_file_path(r->f), g, (long long)q->start, (long long)q->end,
                                      (long long)rows);
            prev = q->end;
        }
    }
    return KILN_OK;
}

/* Opens a reader of row ranges (see parquet.h). */
int pq_reader_open_ranges(pq_file *f, const col_schema *want, const int *rgs, int nrg,
                          const pq_row_range *ranges, const int *nranges, pq_reader **out)
{
    *out = NULL;
    int rc;
    pq_reader *r = calloc(1, sizeof *r);
    const pq_node *root;
    if (!r) return kiln_set_error(KILN_ENOMEM, "out of memory");
    r->f = f;
    pq_file_parts(f, &r->io, &r->m, &root);
    r->ncols = want->n;
    r->cols = calloc((size_t)(want->n ? want->n : 1), sizeof *r->cols);
    r->rgs = malloc(sizeof *r->rgs * (size_t)(nrg ? nrg : 1));
    r->tmp = kiln_arena_new();
    if (!r->cols || !r->rgs || !r->tmp) {
        pq_reader_close(r);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    if (nrg) memcpy(r->rgs, rgs, sizeof *rgs * (size_t)nrg);
    r->nrg = nrg;
    if (nranges && (rc = copy_ranges(r, ranges, nranges))) {
        pq_reader_close(r);
        return rc;
    }
    for (int i = 0; i < want->n; i++) {
        rcol *c = &r->cols[i];
        c->want = want->fields[i].type;
        for (int k = 0; k < root->nchildren; k++)
            if (strcasecmp(root->children[k].e->name, want->fields[i].name) == 0) {
                c->node = &root->children[k];
                break;
            }
        if (!c->node) continue;
        const pq_node *n = c->node;
        if (!n->type) {
            pq_reader_close(r);
            return kiln_set_error(KILN_EINVAL, "%s: column %s: %s is not supported",
                                  pq_file_path(f), n->e->name, n->why ? n->why : "its type");
        }
        bool nested = n->leaf < 0 || n->e->repetition == PQ_REPEATED;
        if (nested && (rc = pq_nested_new(n, pq_file_path(f), &c->nest))) {
            pq_reader_close(r);
            return rc;
        }
        if (!col_type_eq(n->type, c->want)) {
            if (nested || !can_widen(n->type, c->want)) {
                kiln_buf a, b;
                kiln_buf_init(&a);
                kiln_buf_init(&b);
                col_type_format(&a, n->type);
                col_type_format(&b, c->want);
                kiln_set_error(KILN_EINVAL,
                               "%s: column %s is %.*s in the file, which cannot be read as %.*s",
                               pq_file_path(f), n->e->name, (int)a.len,
                               a.data ? (const char *)a.data : "", (int)b.len,
                               b.data ? (const char *)b.data : "");
                kiln_buf_release(&a);
                kiln_buf_release(&b);
                pq_reader_close(r);
                return KILN_EINVAL;
            }
            c->widen = true;
        }
    }
    *out = r;
    return KILN_OK;
}

static void close_leaves(pq_reader *r)
{
    for (int i = 0; i < r->ncols; i++) {
        pq_nested_close_rg(r->cols[i].nest);
        if (r->cols[i].open) {
            pq_leaf_close(&r->cols[i].leaf);
            r->cols[i].open = false;
        }
    }
}

/* Spreads nv dense values of width w over n rows by def (== max: valid). */
static void spread(col_vec *v, uint32_t n, uint32_t nv, const uint8_t *def, int max, size_t w)
{
    unsigned char *d = v->data;
    uint32_t j = nv;
    for (uint32_t i = n; i-- > 0;) {
        if (def[i] == max) {
            j--;
            if (j != i) memcpy(d + (size_t)i * w, d + (size_t)j * w, w);
        } else {
            memset(d + (size_t)i * w, 0, w);
            col_set_null(v, i);
        }
    }
}

static int read_col(pq_reader *r, rcol *c, kiln_arena *a, col_vec *v, uint32_t n)
{
    if (!c->node) return col_vec_constant(v, a, c->want, NULL, n);
    if (c->nest) return pq_nested_read(c->nest, a, r->tmp, v, n);
    const col_type *t = c->node->type;
    size_t w = col_type_width(t);
    void *dst = c->widen ? (void *)r->wbuf : v->data;
    uint32_t nv;
    int rc = pq_leaf_read(&c->leaf, n, c->leaf.max_def ? r->def : NULL, NULL, dst, &nv);
    if (rc) return rc;
    v->n = n;
    if (nv < n) {
        if ((rc = col_vec_add_validity(v, a, n))) return rc;
        col_vec tmp = *v;
        tmp.data = dst;
        spread(&tmp, n, nv, r->def, c->leaf.max_def, w);
    }
    if (c->widen) widen(t, dst, c->want, v->data, n);
    return KILN_OK;
}

/* Chooses the rows of row group g (rgs[gi]) to read: its ranges when
 * given and every projected column is flat with an OffsetIndex (paged),
 * else all its rows. */
static int select_rows(pq_reader *r, int gi, int g)
{
    int nr = r->nranges ? r->nranges[gi] : -1;
    bool paged = nr >= 0;
    for (int i = 0; paged && i < r->ncols; i++) {
        const rcol *c = &r->cols[i];
        const pq_offset_index *oi;
        if (!c->node) continue;
        int rc = c->nest ? 0 : pq_file_offset_index(r->f, g, c->node->leaf, &oi);
        if (rc < 0) return rc;
        paged = rc == 1;
    }
    r->paged = paged;
    r->si = 0;
    if (paged) {
        r->sel = r->ranges + r->roff[gi];
        r->nsel = nr;
    } else {
        r->full = (pq_row_range){0, r->m->rgs[g].num_rows};
        r->sel = &r->full;
        r->nsel = 1;
    }
    return KILN_OK;
}

/* The next batch (see parquet.h). */
int pq_reader_next(pq_reader *r, kiln_arena *a, col_batch *out)
{
    int rc;
    for (int i = 0; i < r->ncols; i++)
        if ((rc = pq_nested_keep(r->cols[i].nest, a))) return rc;
    pq_retired_free(&r->retired);
    kiln_arena_reset(r->tmp);
    while (r->rows_left == 0) {
        if (r->rg_open && r->si < r->nsel) {
            const pq_row_range *q = &r->sel[r->si++];
            if (q->end <= q->start) continue;
            for (int i = 0; r->paged && i < r->ncols; i++)
                if (r->cols[i].open && (rc = pq_leaf_skip_to(&r->cols[i].leaf, q->start)))
                    return rc;
            r->rows_left = q->end - q->start;
            continue;
        }
        close_leaves(r);
        pq_retired_free(&r->retired);
        r->rg_open = false;
        if (r->rgi == r->nrg) return 0;
        int gi = r->rgi++, g = r->rgs[gi];
        if (g < 0 || g >= r->m->nrg) return kiln_set_error(KILN_EINVAL, "no row group %d", g);
        pq_count_row_group();
        if ((rc = select_rows(r, gi, g))) return rc;
        r->rg_open = true;
        if (r->m->rgs[g].num_rows == 0) continue;
        for (int i = 0; i < r->ncols; i++) {
            rcol *c = &r->cols[i];
            if (!c->node) continue;
            if (c->nest) {
                if ((rc = pq_nested_open_rg(c->nest, r->io, r->m, g, &r->retired, r->tmp)))
                    return rc;
                continue;
            }
            const pq_offset_index *oi = NULL;
            if (r->paged && (rc = pq_file_offset_index(r->f, g, c->node->leaf, &oi)) < 0) return rc;
            if (r->paged)
                rc = pq_leaf_open_pages(&c->leaf, r->io, pq_file_path(r->f), r->m, c->node,
                                        c->node->type, g, &r->retired, r->tmp, oi, r->sel, r->nsel);
            else
                rc = pq_leaf_open(&c->leaf, r->io, pq_file_path(r->f), r->m, c->node, c->node->type,
                                  g, &r->retired, r->tmp);
            c->open = true;
            if (rc) return rc;
        }
    }
    uint32_t n = r->rows_left < COL_VEC_SIZE ? (uint32_t)r->rows_left : COL_VEC_SIZE;
    const col_type *types[r->ncols ? r->ncols : 1];
    for (int i = 0; i < r->ncols; i++) types[i] = r->cols[i].want;
    if ((rc = col_batch_init(out, a, r->ncols, types, n))) return rc;
    for (int i = 0; i < r->ncols; i++)
        if ((rc = read_col(r, &r->cols[i], a, &out->cols[i], n))) return rc;
    out->n = n;
    r->rows_left -= n;
    return 1;
}

/* Frees r. */
void pq_reader_close(pq_reader *r)
{
    if (!r) return;
    if (r->cols) close_leaves(r);
    for (int i = 0; r->cols && i < r->ncols; i++) pq_nested_free(r->cols[i].nest);
    pq_retired_free(&r->retired);
    free(r->retired.bufs);
    kiln_arena_free(r->tmp);
    free(r->cols);
    free(r->rgs);
    free(r->ranges);
    free(r->nranges);
    free(r->roff);
    free(r);
}
