/*
 * parquet/read_file.c - a Parquet file as parquet.h offers it: the footer
 * read with two ranged reads (a speculative 64 KiB tail, then the rest of
 * a bigger footer), the schema in Spark's mapping, row-group statistics
 * decoded to kiln values, and the reader that turns the chosen row groups'
 * projected column chunks (read_column.c) into batches.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parquet/pq_leaf_int.h"

#define TAIL_BYTES (64 << 10)

struct pq_file {
    io_file *io;
    char *path;
    kiln_arena *a; /* metadata, schema tree */
    uint8_t *tail; /* the footer's bytes (statistics point into them) */
    pq_meta m;
    pq_node *root;
    void **pidx; /* page index cache: 2 slots per column chunk (read_page_index.c) */
};

static _Atomic int64_t row_groups_read;

/* Row groups read so far (see parquet.h). */
int64_t pq_row_groups_read(void)
{
    return atomic_load(&row_groups_read);
}

/* Counts a row group read. */
void pq_count_row_group(void)
{
    atomic_fetch_add(&row_groups_read, 1);
}

int64_t pq_file_bytes_read(const pq_file *f)
{
    return io_file_bytes_read(f->io);
}

/* f's input, footer and schema tree (borrowed). */
void pq_file_parts(pq_file *f, io_file **io, const pq_meta **m, const pq_node **root)
{
    *io = f->io;
    *m = &f->m;
    *root = f->root;
}

/* f's page index cache (see pq_leaf_int.h). */
int pq_file_pidx_cache(pq_file *f, void ***slots, kiln_arena **a)
{
    if (!f->pidx) {
        size_t n = 2 * (size_t)(f->m.nrg ? f->m.nrg : 1) * (size_t)(f->root->nleaves + 1);
        f->pidx = kiln_arena_alloc(f->a, sizeof *f->pidx * n);
        if (!f->pidx) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", f->path);
        memset(f->pidx, 0, sizeof *f->pidx * n);
    }
    *slots = f->pidx;
    *a = f->a;
    return KILN_OK;
}

static int corrupt(const char *path, const char *why)
{
    return kiln_set_error(KILN_ECORRUPT, "%s: %s", path, why);
}

/* Opens path and decodes its footer (see parquet.h). */
int pq_file_open(const char *path, pq_file **out)
{
    *out = NULL;
    pq_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path)) || !(f->a = kiln_arena_new())) {
        if (f) free(f->path);
        free(f);
        return kiln_set_error(KILN_ENOMEM, "%s: out of memory", path);
    }
    int rc = io_file_open(path, &f->io);
    if (rc) goto fail;
    int64_t size = io_file_size(f->io);
    if (size < 12) {
        rc = corrupt(path, "not a Parquet file (too short)");
        goto fail;
    }
    size_t tail = size < TAIL_BYTES ? (size_t)size : TAIL_BYTES;
    if (!(f->tail = malloc(tail))) {
        rc = kiln_set_error(KILN_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((rc = io_file_pread(f->io, f->tail, tail, size - (int64_t)tail))) goto fail;
    if (memcmp(f->tail + tail - 4, PQ_MAGIC, 4) != 0) {
        rc = corrupt(path, "not a Parquet file (bad magic)");
        goto fail;
    }
    uint32_t flen;
    memcpy(&flen, f->tail + tail - 8, 4);
    if ((int64_t)flen > size - 12) {
        char why[96];
        snprintf(why, sizeof why, "footer length %u out of range (file of %lld bytes)", flen,
                 (long long)size);
        rc = corrupt(path, why);
        goto fail;
    }
    const uint8_t *footer;
    if ((size_t)flen + 8 <= tail) {
        footer = f->tail + tail - 8 - flen;
    } else {
        uint8_t *b = malloc(flen);
        if (!b) {
            rc = kiln_set_error(KILN_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        free(f->tail);
        f->tail = b;
        if ((rc = io_file_pread(f->io, b, flen, size - 8 - (int64_t)flen))) goto fail;
        footer = b;
    }
    const char *why;
    if ((rc = pq_meta_parse(footer, flen, f->a, &f->m, &why))) {
        char msg[160];
        snprintf(msg, sizeof msg, "bad footer: %s", why);
        rc = corrupt(path, msg);
        goto fail;
    }
    if ((rc = pq_schema_tree(&f->m, f->a, &f->root, &why))) {
        char msg[160];
        snprintf(msg, sizeof msg, "bad schema: %s", why ? why : "out of memory");
        rc = corrupt(path, msg);
        goto fail;
    }
    for (int g = 0; g < f->m.nrg; g++)
        if (f->m.rgs[g].ncols != f->root->nleaves || f->m.rgs[g].num_rows < 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "row group %d has %d column chunks for %d columns", g,
                     f->m.rgs[g].ncols, f->root->nleaves);
            rc = corrupt(path, msg);
            goto fail;
        }
    *out = f;
    return KILN_OK;
fail:
    pq_file_close(f);
    return rc;
}

/* Closes f. */
void pq_file_close(pq_file *f)
{
    if (!f) return;
    io_file_close(f->io);
    kiln_arena_free(f->a);
    free(f->tail);
    free(f->path);
    free(f);
}

/* The path (borrowed). */
const char *pq_file_path(const pq_file *f)
{
    return f->path;
}

/* The file's columns in Spark's mapping (see parquet.h). */
int pq_file_schema(const pq_file *f, kiln_arena *a, col_schema *out)
{
    const pq_node *r = f->root;
    out->n = r->nchildren;
    out->fields = kiln_arena_alloc(a,
                                   sizeof *out->fields * (size_t)(r->nchildren ? r->nchildren : 1));
    if (!out->fields) return kiln_set_error(KILN_ENOMEM, "%s: out of memory", f->path);
    for (int i = 0; i < r->nchildren; i++) {
        const pq_node *c = &r->children[i];
        if (!c->type)
            return kiln_set_error(KILN_EINVAL, "%s: column %s: %s is not supported", f->path,
                                  c->e->name, c->why ? c->why : "its type");
        size_t len = strlen(c->e->name) + 1;
        char *name = kiln_arena_alloc(a, len);
        if (name) memcpy(name, c->e->name, len);
        out->fields[i].name = name;
        out->fields[i].type = col_type_copy(a, c->type);
        out->fields[i].nullable = true;
        if (!name || !out->fields[i].type) return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    return KILN_OK;
}

/* Row group counts and sizes. */
int pq_file_num_row_groups(const pq_file *f)
{
    return f->m.nrg;
}
int64_t pq_file_num_rows(const pq_file *f)
{
    return f->m.num_rows;
}
int64_t pq_rg_num_rows(const pq_file *f, int rg)
{
    return f->m.rgs[rg].num_rows;
}

/* The middle of row group rg (see parquet.h). */
int64_t pq_rg_midpoint(const pq_file *f, int rg)
{
    const pq_row_group *g = &f->m.rgs[rg];
    if (g->ncols == 0) return g->file_offset > 0 ? g->file_offset : 0;
    const pq_chunk_meta *c = &g->cols[0];
    int64_t start = c->data_page_offset;
    if (c->dictionary_page_offset > 0 && c->dictionary_page_offset < start)
        start = c->dictionary_page_offset;
    int64_t size = 0;
    for (int i = 0; i < g->ncols; i++) size += g->cols[i].total_compressed;
    return start + size / 2;
}

const pq_node *pq_file_top(const pq_file *f, const char *name)
{
    for (int i = 0; i < f->root->nchildren; i++)
        if (strcasecmp(f->root->children[i].e->name, name) == 0) return &f->root->children[i];
    return NULL;
}

/* One statistics bound of leaf n as a kiln value in out; false when unusable. */
static bool stat_value(const pq_node *n, const uint8_t *p, uint32_t len, void *out)
{
    int32_t i32;
    int64_t i64;
    switch (n->e->type) {
    case PQ_BOOLEAN:
        if (len < 1) return false;
        *(bool *)out = p[0] != 0;
        return true;
    case PQ_INT32:
        if (len != 4) return false;
        memcpy(&i32, p, 4);
        switch (n->conv) {
        case PQ_CV_I32_I8:
            *(int8_t *)out = (int8_t)i32;
            return true;
        case PQ_CV_I32_I16:
            *(int16_t *)out = (int16_t)i32;
            return true;
        case PQ_CV_U32_I64:
            *(int64_t *)out = (uint32_t)i32;
            return true;
        case PQ_CV_I32_I64:
            *(int64_t *)out = i32;
            return true;
        case PQ_CV_I32_I128:
            *(__int128 *)out = i32;
            return true;
        default:
            *(int32_t *)out = i32;
            return true;
        }
    case PQ_INT64:
        if (len != 8) return false;
        memcpy(&i64, p, 8);
        switch (n->conv) {
        case PQ_CV_I64_I128:
            *(__int128 *)out = i64;
            return true;
        case PQ_CV_U64_I128:
            *(__int128 *)out = (uint64_t)i64;
            return true;
        case PQ_CV_MILLIS:
            if (i64 > INT64_MAX / 1000 || i64 < INT64_MIN / 1000) return false;
            *(int64_t *)out = i64 * 1000;
            return true;
        case PQ_CV_NANOS:
            *(int64_t *)out = i64 / 1000 - (i64 % 1000 < 0);
            return true;
        default:
            *(int64_t *)out = i64;
            return true;
        }
    case PQ_FLOAT: {
        float v;
        if (len != 4) return false;
        memcpy(&v, p, 4);
        if (v != v) return false;
        *(float *)out = v;
        return true;
    }
    case PQ_DOUBLE: {
        double v;
        if (len != 8) return false;
        memcpy(&v, p, 8);
        if (v != v) return false;
        *(double *)out = v;
        return true;
    }
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (n->conv == PQ_CV_DEC_BYTES) {
            if (len < 1 || len > 16) return false;
            unsigned __int128 v = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
            for (uint32_t i = 0; i < len; i++) v = (v << 8) | p[i];
            if (col_decimal_is_wide(n->type)) {
                *(__int128 *)out = (__int128)v;
            } else {
                if ((__int128)v > INT64_MAX || (__int128)v < INT64_MIN) return false;
                *(int64_t *)out = (int64_t)(__int128)v;
            }
            return true;
        }
        *(col_str *)out = col_str_view((const char *)p, len);
        return true;
    default:
        return false;
    }
}

/* Decodes min and max of leaf n into out (see pq_leaf_int.h). */
bool pq_stats_bounds(const pq_node *n, const uint8_t *mn, uint32_t mnl, const uint8_t *mx,
                     uint32_t mxl, pq_stats *out)
{
    if (!stat_value(n, mn, mnl, out->min) || !stat_value(n, mx, mxl, out->max)) return false;
    if (n->e->type == PQ_FLOAT) {
        float *a = (float *)out->min, *b = (float *)out->max;
        if (*a == 0) *a = -0.0f;
        if (*b == 0) *b = 0.0f;
    } else if (n->e->type == PQ_DOUBLE) {
        double *a = (double *)out->min, *b = (double *)out->max;
        if (*a == 0) *a = -0.0;
        if (*b == 0) *b = 0.0;
    }
    return true;
}

/* Statistics of a top-level column of a row group (see parquet.h). */
int pq_rg_stats(const pq_file *f, int rg, const char *name, const col_type *t, pq_stats *out)
{
    memset(out, 0, sizeof *out);
    const pq_node *n = pq_file_top(f, name);
    if (!n || rg < 0 || rg >= f->m.nrg || n->leaf < 0 || n->e->repetition == PQ_REPEATED ||
        !n->type || !col_type_eq(n->type, t))
        return 0;
    const pq_chunk_meta *c = &f->m.rgs[rg].cols[n->leaf];
    const pq_raw_stats *s = &c->stats;
    out->num_values = c->num_values;
    out->has_null_count = s->has_null_count;
    out->null_count = s->null_count;
    const uint8_t *mn = NULL, *mx = NULL;
    uint32_t mnl = 0, mxl = 0;
    if (s->has_min_value && s->has_max_value) {
        mn = s->min_value, mnl = s->min_value_len, mx = s->max_value, mxl = s->max_value_len;
    } else if (s->has_min && s->has_max) {
        /* Legacy min/max were compared as signed bytes / numbers: only
         * signed numbers and booleans keep their order there. */
        int ty = n->e->type;
        bool ok = (ty == PQ_BOOLEAN || ty == PQ_INT32 || ty == PQ_INT64 || ty == PQ_FLOAT ||
                   ty == PQ_DOUBLE) &&
                  n->conv != PQ_CV_U32_I64 && n->conv != PQ_CV_U64_I128 &&
                  n->type->kind != COL_DECIMAL &&
                  !(n->conv == PQ_CV_I32_I16 && n->type->kind == COL_I16 &&
                    n->e->converted == PQ_CT_UINT_8);
        if (ok) mn = s->min, mnl = s->min_len, mx = s->max, mxl = s->max_len;
    }
    if (mn && mx) out->has_min_max = pq_stats_bounds(n, mn, mnl, mx, mxl, out);
    return out->has_min_max || out->has_null_count ? 1 : 0;
}
