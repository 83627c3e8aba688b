/*
 * datasource/parquet_read.c - "parquet" as a format of the datasource
 * layer, over src/parquet (parquet.h): the schema of the first file (or
 * all files merged with mergeSchema), and the reader of a byte split: the
 * row groups whose middle lies in the split (as Spark and parquet-mr
 * assign them, so each is read once), less those whose statistics prove
 * that no row passes every pushed-down filter, projected columns only.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasource/ds_int.h"
#include "parquet/parquet.h"

/* ---- Schema -------------------------------------------------------------------------- */

static bool widens(const col_type *from, const col_type *to)
{
    int f = from->kind, t = to->kind;
    bool fi = f == COL_I8 || f == COL_I16 || f == COL_I32 || f == COL_I64;
    if ((t == COL_I16 || t == COL_I32 || t == COL_I64) && fi)
        return col_type_width(from) <= col_type_width(to);
    if (t == COL_F64) return fi || f == COL_F32;
    return false;
}

/* Merges file's schema s into m (union by name, any case). */
static int merge(kiln_arena *a, col_schema *m, const char **owner, const col_schema *s,
                 const char *path)
{
    for (int i = 0; i < s->n; i++) {
        int k = 0;
        while (k < m->n && strcasecmp(m->fields[k].name, s->fields[i].name) != 0) k++;
        if (k < m->n) {
            const col_type *x = m->fields[k].type, *y = s->fields[i].type;
            if (col_type_eq(x, y) || widens(y, x)) continue;
            if (widens(x, y)) {
                m->fields[k].type = y;
                owner[k] = path;
                continue;
            }
            return kiln_set_error(KILN_EINVAL,
                                  "[CANNOT_MERGE_SCHEMAS] Failed merging schemas: field %s has "
                                  "incompatible types in %s and %s",
                                  s->fields[i].name, owner[k], path);
        }
        m->fields[m->n] = s->fields[i];
        owner[m->n++] = path;
    }
    (void)a;
    return KILN_OK;
}

/* The schema of Parquet files paths[0..nf) (see ds_int.h). */
int ds_parquet_infer_files(const char *const *paths, size_t nf, const ds_options *o, kiln_arena *a,
                           col_schema *out)
{
    bool mergeall;
    int rc;
    if ((rc = ds_opt_bool(o, "mergeSchema", false, &mergeall))) return rc;
    size_t cap = 0, use = mergeall ? nf : 1;
    col_schema *ss = kiln_arena_alloc(a, sizeof *ss * use);
    for (size_t i = 0; ss && i < use && !rc; i++) {
        pq_file *f;
        if ((rc = pq_file_open(paths[i], &f))) break;
        rc = pq_file_schema(f, a, &ss[i]);
        pq_file_close(f);
        cap += (size_t)ss[i].n;
    }
    if (!ss && !rc) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    if (!rc && use == 1) {
        *out = ss[0];
    } else if (!rc) {
        const char **owner = kiln_arena_alloc(a, sizeof *owner * (cap + 1));
        out->n = 0;
        out->fields = kiln_arena_alloc(a, sizeof *out->fields * (cap + 1));
        if (!owner || !out->fields) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < use; i++) {
            char *p = kiln_arena_alloc(a, strlen(paths[i]) + 1);
            if (!p) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
            else rc = merge(a, out, owner, &ss[i], strcpy(p, paths[i]));
        }
    }
    return rc;
}

/* The schema of a Parquet dataset (see ds_int.h). */
int ds_parquet_infer(const char *paths, const ds_options *o, kiln_arena *a, col_schema *out)
{
    io_split *files;
    size_t nf;
    int rc;
    if ((rc = io_file_list(paths, &files, &nf))) return rc;
    if (nf == 0) {
        io_splits_free(files, nf);
        return kiln_set_error(KILN_EINVAL,
                              "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for Parquet. It "
                              "must be specified manually (no files in %s).",
                              paths);
    }
    const char **ps = kiln_arena_alloc(a, sizeof *ps * nf);
    if (!ps) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nf; i++) ps[i] = files[i].path;
    if (!rc) rc = ds_parquet_infer_files(ps, nf, o, a, out);
    io_splits_free(files, nf);
    return rc;
}

/* The schema of a dataset's Parquet files (see ds_int.h). */
int ds_parquet_infer_dataset(const ds_dataset *d, const ds_options *o, kiln_arena *a,
                             col_schema *out)
{
    if (d->nfiles == 0) return ds_parquet_infer(".", o, a, out);
    const char **ps = kiln_arena_alloc(a, sizeof *ps * (size_t)d->nfiles);
    if (!ps) return kiln_set_error(KILN_ENOMEM, "out of memory");
    for (int i = 0; i < d->nfiles; i++) ps[i] = d->files[i].path;
    return ds_parquet_infer_files(ps, (size_t)d->nfiles, o, a, out);
}

/* ---- Row-group pruning --------------------------------------------------------------- */

/* Compares value i of v with the statistics bound b (same type). */
static int cmp(const col_type *t, const col_vec *v, uint32_t i, const void *b)
{
    i = col_row(v, i);
#define CMP(T)                                                                                     \
    do {                                                                                           \
        T x = ((const T *)v->data)[i], y = *(const T *)b;                                          \
        return x < y ? -1 : x > y;                                                                 \
    } while (0)
    switch (t->kind) {
    case COL_BOOL:
        CMP(bool);
    case COL_I8:
        CMP(int8_t);
    case COL_I16:
        CMP(int16_t);
    case COL_I32:
    case COL_DATE:
        CMP(int32_t);
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        CMP(int64_t);
    case COL_F32:
        CMP(float);
    case COL_F64:
        CMP(double);
    case COL_DECIMAL:
        if (col_decimal_is_wide(t)) CMP(__int128);
        CMP(int64_t);
    default:
        return col_str_cmp(&((const col_str *)v->data)[i], (const col_str *)b);
    }
#undef CMP
}

static bool cmp_ok(const col_type *t)
{
    int k = t->kind;
    return k != COL_ARRAY && k != COL_MAP && k != COL_STRUCT && k != COL_NULL &&
           k != COL_INTERVAL_DT && k != COL_INTERVAL_YM;
}

/* True when no row of the group or page that statistics s describe can
 * pass filter f: the one test for row groups (ColumnChunk statistics) and
 * pages (ColumnIndex). */
static bool refuted(const ds_filter *f, const col_type *t, const pq_stats *s)
{
    bool all_null = s->has_null_count && s->null_count >= s->num_values && s->num_values >= 0;
    const col_vec *v = &f->values;
    switch (f->op) {
    case DS_F_IS_NULL:
        return s->has_null_count && s->null_count == 0;
    case DS_F_IS_NOT_NULL:
        return all_null;
    case DS_F_EQ_NULL_SAFE:
        if (v->n && !col_valid(v, 0)) return s->has_null_count && s->null_count == 0;
        /* fall through */
    case DS_F_EQ:
        if (v->n == 0 || !col_valid(v, 0)) return true;
        if (all_null) return true;
        return s->has_min_max && (cmp(t, v, 0, s->min) < 0 || cmp(t, v, 0, s->max) > 0);
    case DS_F_LT:
    case DS_F_LE:
    case DS_F_GT:
    case DS_F_GE: {
        if (v->n == 0 || !col_valid(v, 0) || all_null) return true;
        if (!s->has_min_max) return false;
        int lo = cmp(t, v, 0, s->min), hi = cmp(t, v, 0, s->max);
        if (f->op == DS_F_LT) return lo <= 0;
        if (f->op == DS_F_LE) return lo < 0;
        if (f->op == DS_F_GT) return hi >= 0;
        return hi > 0;
    }
    case DS_F_IN:
        if (all_null) return true;
        if (!s->has_min_max) return false;
        for (uint32_t i = 0; i < v->n; i++)
            if (col_valid(v, i) && cmp(t, v, i, s->min) >= 0 && cmp(t, v, i, s->max) <= 0)
                return false;
        return true;
    default:
        return false;
    }
}

/* ---- Page pruning -------------------------------------------------------------------- */

/* A growing list of row ranges (sorted, disjoint). */
typedef struct ranges {
    pq_row_range *v;
    int n, cap;
} ranges;

/* Appends [start, end) (after r's last range). */
static int ranges_push(ranges *r, int64_t start, int64_t end)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        pq_row_range *v = realloc(r->v, sizeof *v * (size_t)cap);
        if (!v) return kiln_set_error(KILN_ENOMEM, "out of memory");
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (pq_row_range){start, end};
    return KILN_OK;
}

/* Appends [start, end), merged with r's last range when they touch. */
static int ranges_add(ranges *r, int64_t start, int64_t end)
{
    if (r->n && r->v[r->n - 1].end == start) {
        r->v[r->n - 1].end = end;
        return KILN_OK;
    }
    return ranges_push(r, start, end);
}

/* out = a ∩ b (out empty at the start, distinct from both). */
static int ranges_and(const ranges *a, const ranges *b, ranges *out)
{
    int i = 0, j = 0, rc = KILN_OK;
    while (!rc && i < a->n && j < b->n) {
        int64_t s = a->v[i].start > b->v[j].start ? a->v[i].start : b->v[j].start;
        int64_t e = a->v[i].end < b->v[j].end ? a->v[i].end : b->v[j].end;
        if (s < e) rc = ranges_add(out, s, e);
        if (a->v[i].end < b->v[j].end) i++;
        else j++;
    }
    return rc;
}

/* The rows of row group g that may pass every filter by the page index:
 * for each filter whose column has one, the union of the pages it does
 * not refute, intersected over the filters (in *cur, at the start all
 * the group's rows). */
static int page_ranges(pq_file *f, int g, const col_schema *schema, const ds_filter *flt, int nf,
                       ranges *cur)
{
    ranges keep = {0}, tmp = {0};
    int rc = ranges_add(cur, 0, pq_rg_num_rows(f, g));
    for (int i = 0; !rc && i < nf && cur->n; i++) {
        const col_field *fl = &schema->fields[flt[i].col];
        if (!cmp_ok(fl->type)) continue;
        int np = pq_page_count(f, g, fl->name, fl->type);
        if (np < 0) rc = np;
        keep.n = 0;
        for (int p = 0; !rc && p < np; p++) {
            pq_stats st;
            int64_t first, end;
            if (!pq_page_stats(f, g, fl->name, fl->type, p, &st, &first, &end)) {
                np = 0; /* no usable index: the filter keeps every row */
                break;
            }
            if (!refuted(&flt[i], fl->type, &st)) rc = ranges_add(&keep, first, end);
        }
        if (rc || np <= 0) continue;
        tmp.n = 0;
        if ((rc = ranges_and(cur, &keep, &tmp))) break;
        ranges t = *cur;
        *cur = tmp;
        tmp = t;
    }
    free(keep.v);
    free(tmp.v);
    return rc;
}

/* ---- Reader -------------------------------------------------------------------------- */

typedef struct pq_ds_reader {
    ds_reader base;
    pq_file *f;
    pq_reader *r;
    col_schema want;
    kiln_arena *a;
} pq_ds_reader;

static int pqr_next(ds_reader *r, kiln_arena *a, col_batch *out)
{
    pq_ds_reader *p = (pq_ds_reader *)r;
    return pq_reader_next(p->r, a, out);
}

static void pqr_close(ds_reader *r)
{
    pq_ds_reader *p = (pq_ds_reader *)r;
    pq_reader_close(p->r);
    pq_file_close(p->f);
    kiln_arena_free(p->a);
    free(p);
}

static int64_t pqr_bytes_read(const ds_reader *base)
{
    return pq_file_bytes_read(((const pq_ds_reader *)base)->f);
}

static const ds_format_reader pq_fmt = {pqr_next, pqr_close, pqr_bytes_read};

/* Opens a reader of split s (see ds_int.h). */
int ds_parquet_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                           const ds_filter *flt, int nf, const ds_options *o, ds_reader **out)
{
    pq_ds_reader *p = calloc(1, sizeof *p);
    if (!p || !(p->a = kiln_arena_new())) {
        free(p);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    p->base.fmt = &pq_fmt;
    int rc = pq_file_open(s->path, &p->f);
    int ng = rc ? 0 : pq_file_num_row_groups(p->f);
    int *rgs = rc ? NULL : kiln_arena_alloc(p->a, sizeof *rgs * (size_t)(ng ? ng : 1));
    p->want.n = nproj;
    p->want.fields = kiln_arena_alloc(p->a, sizeof *p->want.fields * (size_t)(nproj ? nproj : 1));
    if (!rc && (!rgs || !p->want.fields)) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    bool pages = true;
    if (!rc) rc = ds_opt_bool(o, "parquet.filter.columnindex.enabled", true, &pages);
    pages = pages && nf > 0;
    int *nranges = rc ? NULL : kiln_arena_alloc(p->a, sizeof *nranges * (size_t)(ng ? ng : 1));
    if (!rc && !nranges) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    ranges all = {0}, cur = {0};
    int n = 0;
    for (int g = 0; !rc && g < ng; g++) {
        int64_t mid = pq_rg_midpoint(p->f, g);
        if (s->len >= 0 && (mid < s->start || mid >= s->start + s->len)) continue;
        if (pq_rg_num_rows(p->f, g) == 0) continue;
        bool skip = false;
        for (int i = 0; i < nf && !skip; i++) {
            const col_field *fl = &schema->fields[flt[i].col];
            pq_stats st;
            if (cmp_ok(fl->type) && pq_rg_stats(p->f, g, fl->name, fl->type, &st))
                skip = refuted(&flt[i], fl->type, &st);
        }
        if (skip) continue;
        nranges[n] = -1;
        if (pages) {
            cur.n = 0;
            if ((rc = page_ranges(p->f, g, schema, flt, nf, &cur))) break;
            if (cur.n == 0) continue; /* no page of some filter's column may match */
            nranges[n] = cur.n;
            for (int k = 0; !rc && k < cur.n; k++)
                rc = ranges_push(&all, cur.v[k].start, cur.v[k].end);
        }
        rgs[n++] = g;
    }
    for (int i = 0; !rc && i < nproj; i++) p->want.fields[i] = schema->fields[proj ? proj[i] : i];
    if (!rc)
        rc = pq_reader_open_ranges(p->f, &p->want, rgs, n, all.v, pages ? nranges : NULL, &p->r);
    free(all.v);
    free(cur.v);
    if (rc) {
        pqr_close(&p->base);
        return rc;
    }
    *out = &p->base;
    return KILN_OK;
}
