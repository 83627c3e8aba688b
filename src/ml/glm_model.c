/*
 * ml/glm_model.c - the generalised linear model object: allocation (for
 * training and for kiln_ml_glm_load) and kiln_ml_glm_free. Training lives
 * in its own file; this one only knows the struct's layout.
 */
#include <stdlib.h>

#include "ml/ml.h"

/* Returns an owned model with zeroed arrays (see ml/ml.h). A zero-length
 * array is still allocated (one element), so every pointer is non-NULL. */
kiln_ml_glm *glm_alloc(kiln_ml_family f, int64_t num_features, int num_rows, int history_len)
{
    if (num_features < 0 || num_rows < 1 || history_len < 0 ||
        (uint64_t)num_features > SIZE_MAX / sizeof(double) / (size_t)num_rows) {
        kiln_set_error(KILN_ERANGE,
                       "GLM: sizes out of range (%lld features, %d rows, %d "
                       "history values)",
                       (long long)num_features, num_rows, history_len);
        return NULL;
    }
    kiln_ml_glm *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->family = f;
    m->num_features = num_features;
    m->num_rows = num_rows;
    m->history_len = history_len;
    size_t ncoef = (size_t)num_rows * (size_t)num_features;
    m->coef = calloc(ncoef ? ncoef : 1, sizeof *m->coef);
    m->intercept = calloc((size_t)num_rows, sizeof *m->intercept);
    m->loss_history = calloc(history_len ? (size_t)history_len : 1, sizeof *m->loss_history);
    if (!m->coef || !m->intercept || !m->loss_history) goto oom;
    return m;
oom:
    kiln_ml_glm_free(m);
    kiln_set_error(KILN_ENOMEM, "GLM: out of memory");
    return NULL;
}

/* Frees m and its arrays (NULL is ignored). */
void kiln_ml_glm_free(kiln_ml_glm *m)
{
    if (!m) return;
    free(m->coef);
    free(m->intercept);
    free(m->loss_history);
    free(m);
}
