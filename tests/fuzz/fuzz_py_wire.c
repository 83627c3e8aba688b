/*
 * fuzz_py_wire.c - libFuzzer target for the Python package's decoder of
 * worker output batches (python/src/py_wire_ref.c): any bytes decode or
 * are rejected without reading out of bounds, and whatever kiln's own
 * decoder accepts, this one decodes to an equal value of the same length.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kiln.h"
#include "py_wire_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_arena *a = kiln_arena_new();
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        const uint8_t *start = p;
        kiln_value mine, theirs;
        size_t used = 0;
        int rc = pyk_decode_ref(a, &p, end, &mine);
        int krc = kiln_value_decode(a, start, (size_t)(end - start), &theirs, &used);
        if (krc == KILN_OK) {
            if (rc != KILN_OK || (size_t)(p - start) != used || !kiln_value_eq(&mine, &theirs))
                abort();
        }
        if (rc != KILN_OK) break;
        if (p <= start || p > end) abort();
    }
    kiln_arena_free(a);
    return 0;
}
