/*
 * ml/glm_blocks.c - labeled points stacked into blocks for training.
 *
 * A block is one record holding up to BLOCK_ROWS points: the 3-tuple
 * (VEC labels, INT dim, features) where features is either a VEC of
 * rows x dim doubles, row-major (every point of the block dense), or the CSR
 * 3-tuple (BYTES row starts int32, BYTES column indices int32, VEC values).
 * Dense blocks let one pass over the data be two BLAS matrix products (as
 * Spark's InstanceBlock does). Points are checked here: labels and features
 * must be finite and every point must have the same dimension.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml.h"

enum { BLOCK_ROWS = 1024 };
/* Wider dense points are stacked as CSR: a dense block stays under 64 MiB. */
enum { DENSE_MAX_DIM = (64 << 20) / (8 * BLOCK_ROWS) };

typedef struct block_buf {
    double *labels;
    double *dense; /* rows x dim while every point is dense */
    int32_t *starts, *cols;
    double *vals;
    size_t rows, nnz, cap_nnz;
    bool sparse;
} block_buf;

static int fail_point(kiln_task *t, const kiln_value *p, const char *what)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_value_format(&b, p);
    int rc = kiln_task_fail(t, "%s in the labeled point %.*s", what,
                            (int)(b.len > 120 ? 120 : b.len), b.data ? (char *)b.data : "");
    kiln_buf_release(&b);
    return rc;
}

/* Moves the block's dense rows into CSR form (a sparse point arrived). */
static int to_sparse(block_buf *bb, int64_t dim)
{
    size_t need = bb->rows * (size_t)dim + 1;
    if (need > bb->cap_nnz) {
        int32_t *c = realloc(bb->cols, sizeof *c * need);
        if (c) bb->cols = c;
        double *v = realloc(bb->vals, sizeof *v * need);
        if (v) bb->vals = v;
        if (!c || !v) return KILN_ENOMEM;
        bb->cap_nnz = need;
    }
    bb->nnz = 0;
    for (size_t r = 0; r < bb->rows; r++) {
        bb->starts[r] = (int32_t)bb->nnz;
        for (int64_t j = 0; j < dim; j++) {
            double x = bb->dense[r * (size_t)dim + (size_t)j];
            if (x != 0) {
                bb->cols[bb->nnz] = (int32_t)j;
                bb->vals[bb->nnz++] = x;
            }
        }
    }
    bb->sparse = true;
    return KILN_OK;
}

static int add_sparse_row(block_buf *bb, const kiln_value *f)
{
    size_t n = kiln_ml_vector_nnz(f);
    if (bb->nnz + n > bb->cap_nnz) {
        size_t cap = (bb->nnz + n) * 2;
        int32_t *c = realloc(bb->cols, sizeof *c * cap);
        if (c) bb->cols = c;
        double *v = realloc(bb->vals, sizeof *v * cap);
        if (v) bb->vals = v;
        if (!c || !v) return KILN_ENOMEM;
        bb->cap_nnz = cap;
    }
    bb->starts[bb->rows] = (int32_t)bb->nnz;
    for (size_t i = 0; i < n; i++) {
        double x;
        int32_t j;
        if (f->type == KILN_VEC) {
            j = (int32_t)i;
            x = f->u.vec[i];
            if (x == 0) continue;
        } else {
            kiln_ml_sparse_entry(f, i, &j, &x);
        }
        bb->cols[bb->nnz] = j;
        bb->vals[bb->nnz++] = x;
    }
    return KILN_OK;
}

static int emit_block(kiln_task *t, block_buf *bb, int64_t dim, kiln_out *out)
{
    if (bb->rows == 0) return KILN_OK;
    kiln_arena *a = kiln_task_arena(t);
    kiln_value parts[3] = {kiln_vec_new(a, bb->labels, bb->rows), kiln_int(dim), kiln_null()};
    if (!bb->sparse) {
        parts[2] = kiln_vec_new(a, bb->dense, bb->rows * (size_t)dim);
    } else {
        bb->starts[bb->rows] = (int32_t)bb->nnz;
        kiln_value csr[3] = {kiln_bytes_new(a, bb->starts, 4 * (bb->rows + 1)),
                             bb->nnz ? kiln_bytes_new(a, bb->cols, 4 * bb->nnz)
                                     : kiln_bytes_ref("", 0),
                             bb->nnz ? kiln_vec_new(a, bb->vals, bb->nnz) : kiln_vec_ref(NULL, 0)};
        parts[2] = kiln_tuple_new(a, csr, 3);
    }
    kiln_value b = kiln_tuple_new(a, parts, 3);
    bb->rows = 0;
    bb->nnz = 0;
    bb->sparse = false;
    if (b.type == KILN_NULL) return KILN_ENOMEM;
    return kiln_emit(out, &b);
}

static int make_blocks(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)index;
    int64_t dim;
    memcpy(&dim, env, sizeof dim);
    block_buf bb = {0};
    bb.labels = malloc(sizeof(double) * BLOCK_ROWS);
    bb.starts = malloc(sizeof(int32_t) * (BLOCK_ROWS + 1));
    int rc = bb.labels && bb.starts ? KILN_OK : KILN_ENOMEM;
    const kiln_value *p;
    while (rc == KILN_OK && (rc = kiln_in_next(in, &p)) > 0) {
        rc = KILN_OK;
        double y;
        kiln_value f;
        if (kiln_ml_point_parts(p, &y, &f) != KILN_OK || !kiln_ml_is_vector(&f)) {
            rc = fail_point(t, p, "not a labeled point");
            break;
        }
        if (kiln_ml_vector_size(&f) != dim) {
            rc = kiln_task_fail(t, "a point has %lld features, the first had %lld",
                                (long long)kiln_ml_vector_size(&f), (long long)dim);
            break;
        }
        if (!isfinite(y)) {
            rc = fail_point(t, p, "a NaN or infinite label");
            break;
        }
        size_t n = kiln_ml_vector_nnz(&f);
        const double *vals = f.type == KILN_VEC ? f.u.vec : f.u.items[2].u.vec;
        for (size_t i = 0; i < n && rc == KILN_OK; i++)
            if (!isfinite(vals[i])) rc = fail_point(t, p, "a NaN or infinite feature");
        if (rc) break;
        if (!bb.sparse && (f.type != KILN_VEC || dim > DENSE_MAX_DIM) && (rc = to_sparse(&bb, dim)))
            break;
        if (!bb.sparse && !bb.dense &&
            !(bb.dense = malloc(sizeof(double) * BLOCK_ROWS * (size_t)dim))) {
            rc = KILN_ENOMEM;
            break;
        }
        if (bb.sparse) {
            if ((rc = add_sparse_row(&bb, &f))) break;
        } else {
            memcpy(bb.dense + bb.rows * (size_t)dim, f.u.vec, sizeof(double) * (size_t)dim);
        }
        bb.labels[bb.rows++] = y;
        if (bb.rows == BLOCK_ROWS) rc = emit_block(t, &bb, dim, out);
    }
    if (rc == KILN_OK) rc = emit_block(t, &bb, dim, out);
    free(bb.labels);
    free(bb.dense);
    free(bb.starts);
    free(bb.cols);
    free(bb.vals);
    return rc == KILN_ENOMEM ? kiln_task_fail(t, "out of memory stacking points") : rc;
}

kiln_rdd *glm_blocks(kiln_rdd *points, int64_t *dim)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value first;
    int rc = a ? kiln_rdd_first(points, a, &first) : KILN_ENOMEM;
    double y;
    kiln_value f;
    if (rc == KILN_OK && (kiln_ml_point_parts(&first, &y, &f) || !kiln_ml_is_vector(&f)))
        rc = kiln_set_error(KILN_ETYPE, "training data: expected labeled points (label, vector)");
    if (rc == KILN_EEMPTY) kiln_set_error(KILN_EEMPTY, "training data is empty");
    if (rc == KILN_OK) *dim = kiln_ml_vector_size(&f);
    kiln_arena_free(a);
    if (rc) return NULL;
    kiln_rdd *b = kiln_rdd_map_partitions(points, make_blocks, dim, sizeof *dim);
    return b ? kiln_rdd_persist(b, KILN_MEMORY_AND_DISK) : NULL;
}

void glm_block_parts(const kiln_value *b, glm_block *out)
{
    const kiln_value *it = b->u.items;
    out->rows = it[0].len;
    out->labels = it[0].u.vec;
    out->dim = it[1].u.i;
    if (it[2].type == KILN_VEC) {
        out->dense = it[2].u.vec;
        out->starts = out->cols = NULL;
        out->vals = NULL;
    } else {
        const kiln_value *c = it[2].u.items;
        out->dense = NULL;
        out->starts = c[0].u.bytes;
        out->cols = c[1].u.bytes;
        out->vals = c[2].u.vec;
    }
}
