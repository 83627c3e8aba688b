/*
 * fuzz_json_read.c - libFuzzer target for the JSON source: byte 0 picks
 * the leniency options, multiLine, the mode and (with byte 1) the cut of a
 * two-split read; the rest is the file. Schema inference runs, then the
 * file is read with the inferred schema and with a fixed nested one; as
 * JSON Lines, one split and two splits must give the same rows. Never a
 * crash, a leak or an out-of-bounds read (depth is limited).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasource/datasource.h"

static uint64_t read_all(const ds_split *s, int n, const col_schema *sc, const ds_options *o)
{
    uint64_t h = 1469598103934665603ull;
    kiln_arena *a = kiln_arena_new();
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = 0;
    for (int i = 0; i < n && rc >= 0; i++) {
        ds_reader *r;
        if ((rc = ds_reader_open("json", &s[i], sc, NULL, sc->n, o, &r)) != 0) break;
        col_batch bt;
        while ((rc = ds_reader_next(r, a, &bt)) == 1) {
            for (uint32_t k = 0; k < col_batch_live(&bt); k++) {
                uint32_t row = bt.sel ? bt.sel[k] : k;
                for (int j = 0; j < bt.ncols; j++) {
                    kiln_value v;
                    b.len = 0;
                    if (!col_valid(&bt.cols[j], row)) kiln_buf_append(&b, "\x01N", 2);
                    else if (col_vec_get_value(&bt.cols[j], row, a, &v) == 0)
                        kiln_value_format(&b, &v);
                    for (size_t q = 0; q < b.len; q++) h = (h ^ b.data[q]) * 1099511628211ull;
                    h = (h ^ 0x100) * 1099511628211ull;
                }
            }
            kiln_arena_reset(a);
        }
        ds_reader_close(r);
    }
    kiln_buf_release(&b);
    kiln_arena_free(a);
    return rc < 0 ? 0 : h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const modes[] = {"PERMISSIVE", "DROPMALFORMED", "FAILFAST"};
    if (size < 3) return 0;
    uint8_t o0 = data[0], o1 = data[1];
    char dir[] = "/tmp/kiln-fuzz-json-XXXXXX";
    if (!mkdtemp(dir)) return 0;
    char path[96];
    snprintf(path, sizeof path, "%s/in.json", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data + 2, 1, size - 2, f);
        fclose(f);
        ds_options *o = ds_options_new();
        bool multi = o0 & 1;
        ds_options_set(o, "multiLine", multi ? "true" : "false");
        ds_options_set(o, "allowComments", o0 & 2 ? "true" : "false");
        ds_options_set(o, "allowUnquotedFieldNames", o0 & 4 ? "true" : "false");
        ds_options_set(o, "allowSingleQuotes", o0 & 8 ? "true" : "false");
        ds_options_set(o, "allowNumericLeadingZeros", o0 & 16 ? "true" : "false");
        ds_options_set(o, "allowBackslashEscapingAnyCharacter", o0 & 32 ? "true" : "false");
        ds_options_set(o, "mode", modes[(o0 >> 6) % 3]);
        if (o1 & 1) ds_options_set(o, "primitivesAsString", "true");
        if (o1 & 2) ds_options_set(o, "prefersDecimal", "true");
        if (o1 & 4) ds_options_set(o, "dropFieldIfAllNull", "true");
        kiln_arena *a = kiln_arena_new();
        int64_t len = (int64_t)(size - 2);
        ds_split one = {path, 0, multi ? -1 : len};
        col_schema inferred;
        if (ds_infer_schema("json", path, o, a, &inferred) == 0)
            (void)read_all(&one, 1, &inferred, o);
        const char *ddl = "a BIGINT, b DOUBLE, c STRING, d ARRAY<INT>, e STRUCT<x: STRING, "
                          "y: ARRAY<STRUCT<z: BOOLEAN>>>, f MAP<STRING, DECIMAL(8,3)>, "
                          "g TIMESTAMP, h DATE, _corrupt_record STRING";
        col_schema sc;
        size_t pos;
        if (col_schema_parse_ddl(a, ddl, strlen(ddl), &sc, &pos) == 0) {
            uint64_t h1 = read_all(&one, 1, &sc, o);
            if (!multi && len > 1) {
                int64_t cut = 1 + (int64_t)(((uint64_t)o1 * 2654435761u) % (uint64_t)(len - 1));
                ds_split two[2] = {{path, 0, cut}, {path, cut, len - cut}};
                if (read_all(two, 2, &sc, o) != h1) abort();
            }
        }
        kiln_arena_free(a);
        ds_options_free(o);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}
