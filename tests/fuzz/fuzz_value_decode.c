/*
 * fuzz_value_decode.c - libFuzzer target for kiln_value_decode: any bytes
 * must decode to a value or be rejected with KILN_ECORRUPT, never read out
 * of bounds; whatever decodes must re-encode to the bytes it came from
 * (the encoding is canonical) and compare equal to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_arena *a = kiln_arena_new();
    size_t off = 0;
    while (off < size) {
        kiln_value v;
        size_t used = 0;
        if (kiln_value_decode(a, data + off, size - off, &v, &used) != KILN_OK) break;
        if (used == 0 || used > size - off) abort();
        kiln_buf b;
        kiln_buf_init(&b);
        if (kiln_value_encode(&b, &v) != KILN_OK) abort();
        if (b.len != used || memcmp(b.data, data + off, used) != 0) abort();
        if (kiln_value_cmp(&v, &v) != 0 || !kiln_value_eq(&v, &v)) abort();
        (void)kiln_value_hash(&v);
        b.len = 0;
        kiln_value_format(&b, &v);
        kiln_buf_release(&b);
        off += used;
    }
    kiln_arena_free(a);
    return 0;
}
