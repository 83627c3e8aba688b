/*
 * ml/ml.h - what the files of src/ml share (the public API is
 * include/kiln/ml.h).
 */
#ifndef KILN_ML_INTERNAL_H
#define KILN_ML_INTERNAL_H

#include <string.h>

#include <kiln.h>
#include <kiln/ml.h>

#include "base/base.h"

/* An int32 of a little-endian array that may sit at any alignment. */
static inline int32_t ml_i32(const uint8_t *p, size_t i)
{
    int32_t x;
    memcpy(&x, p + 4 * i, sizeof x);
    return x;
}

/* ---- Training blocks (glm_blocks.c) */

/* One block of points: dense rows x dim (row-major) or CSR. */
typedef struct glm_block {
    size_t rows;
    int64_t dim;
    const double *labels;
    const double *dense;          /* NULL for CSR */
    const uint8_t *starts, *cols; /* CSR: rows + 1 row starts, column of each value */
    const double *vals;
} glm_block;

/* Points stacked into cached blocks (the caller unpersists); sets *dim from
 * the first point. NULL with the error set when empty or not points. */
kiln_rdd *glm_blocks(kiln_rdd *points, int64_t *dim);
void glm_block_parts(const kiln_value *b, glm_block *out);

/* Loss and gradient sums of g models of family (k rows each: K for
 * multinomial, else 1) over the blocks in one job. w: g x k rows of dim
 * coefficients and the intercept. Sets loss[g], grad (laid out as w) and
 * the row count. (glm_eval.c) */
int glm_eval(kiln_rdd *blocks, kiln_ml_family family, int k, int g, int64_t dim, const double *w,
             double *loss, double *grad, double *count);

/* Trains g parameter sets on the same blocks in lockstep (glm_train.c);
 * out[i] gets model i. */
int glm_train_many(kiln_rdd *blocks, int64_t dim, const kiln_ml_glm_params *ps, int g,
                   kiln_ml_glm **out);

/* A tree_aggregate combine function: the elementwise sum of two VECs, an
 * empty VEC (the zero) standing for nothing yet (glm_eval.c). */
int ml_vec_sum(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env);

/* ---- Models (glm_model.c) */

/* A zeroed model with its arrays allocated, or NULL. */
kiln_ml_glm *glm_alloc(kiln_ml_family f, int64_t num_features, int num_rows, int history_len);

/* k centres of dim values each (kmeans.c); num_classes priors and
 * num_classes x num_features log probabilities (naive_bayes.c). Zeroed, or
 * NULL with the error set. */
KILN_HIDDEN kiln_ml_kmeans *kmeans_alloc(int k, int64_t dim);
KILN_HIDDEN kiln_ml_nb *nb_alloc(int num_classes, int64_t num_features);

/* ---- Messages */

/* Writes a description of record i (0-based, in the task's partition) into
 * buf (n bytes): its position, its input file when it came from one, and
 * the start of its value, for task failure messages (record.c). */
KILN_HIDDEN void ml_record_where(kiln_task *t, const kiln_value *rec, int64_t i, char *buf,
                                 size_t n);

#endif
