/*
 * fuzz_batch_decode.c - libFuzzer target for the batch wire form
 * (docs/formats/batch.md): arbitrary bytes are decoded and, when accepted,
 * every row of every column is read back; also a type name and a DDL
 * schema parsed from the same bytes. Nothing may crash, read out of bounds
 * or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "column/column.h"
#include "kiln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_arena *a = kiln_arena_new();
    uint8_t *copy = malloc(size ? size : 1); /* malloc: 16-byte aligned, decoded in place */
    memcpy(copy, data, size);
    col_batch b;
    if (col_batch_decode(&b, a, copy, size) == KILN_OK) {
        for (uint32_t r = 0; r < b.n && r < 4096; r++)
            for (int c = 0; c < b.ncols; c++) {
                kiln_value v;
                (void)col_vec_get_value(&b.cols[c], r, a, &v);
            }
        kiln_buf out;
        kiln_buf_init(&out);
        (void)col_batch_encode(&out, &b);
        kiln_buf_release(&out);
    }
    const col_type *t;
    size_t at;
    (void)col_type_parse(a, (const char *)data, size, &t, &at);
    col_schema s;
    (void)col_schema_parse_ddl(a, (const char *)data, size, &s, &at);
    free(copy);
    kiln_arena_free(a);
    return 0;
}
