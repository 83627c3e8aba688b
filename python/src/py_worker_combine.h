/*
 * python/src/py_worker_combine.h - the map-side combine of a worker whose
 * pipeline feeds reduceByKey(add) (py_worker_combine.c). No Python here.
 */
#ifndef KILN_PY_WORKER_COMBINE_H
#define KILN_PY_WORKER_COMBINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "kiln.h"

typedef struct pyk_combiner pyk_combiner;

/* A combiner holding at most max_keys keys, or NULL. */
pyk_combiner *pyk_combiner_new(size_t max_keys);
void pyk_combiner_free(pyk_combiner *c);
/* Keys held now. */
size_t pyk_combiner_size(const pyk_combiner *c);
/* Adds v to the sum of the key encoded in key[0..len): 0 when added to
 * the key's sum, 2 when the key was new, 1 when it cannot be (the combiner
 * is full, or the sum would overflow: send the pair as it is), -1 out of
 * memory. */
int pyk_combiner_add(pyk_combiner *c, const uint8_t *key, size_t len, int64_t v);
/* Appends (key, sum) pairs in kiln's value encoding to out, counting them
 * in *count, until *count reaches limit or the combiner is empty (call
 * again for the rest: no key is added meanwhile); 0 or -1 out of memory. */
int pyk_combiner_flush(pyk_combiner *c, kiln_buf *out, uint32_t *count, uint32_t limit);

#endif
