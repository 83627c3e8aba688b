/*
 * base/vec.c - growable arrays: of values (val_vec) and of anything
 * (grow_for_one), and decoding a run of value encodings onto a val_vec.
 */
#include <stdlib.h>

#include "base/base.h"
#include "base/fault.h"

int val_vec_grow(val_vec *vv)
{
    size_t cap = vv->cap ? vv->cap * 2 : 64;
    kiln_value *nv = fault_hit(FAULT_ALLOC) ? NULL : realloc(vv->v, cap * sizeof *nv);
    if (!nv) return KILN_ENOMEM;
    vv->v = nv;
    vv->cap = cap;
    return KILN_OK;
}

int grow_for_one(void **items, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap) return KILN_OK;
    size_t ncap = *cap ? *cap * 2 : first;
    void *p = fault_hit(FAULT_ALLOC) ? NULL : realloc(*items, ncap * elem);
    if (!p) return KILN_ENOMEM;
    *items = p;
    *cap = ncap;
    return KILN_OK;
}

void val_vec_release(val_vec *vv)
{
    free(vv->v);
    *vv = (val_vec){0};
}

int values_decode_all(kiln_arena *a, const uint8_t *p, size_t n, val_vec *vv)
{
    for (size_t off = 0; off < n;) {
        kiln_value v;
        size_t used;
        int rc = kiln_value_decode(a, p + off, n - off, &v, &used);
        if (rc) return rc;
        if (val_vec_push(vv, &v)) return kiln_set_error(KILN_ENOMEM, "out of memory");
        off += used;
    }
    return KILN_OK;
}
