/*
 * fuzz_parquet.c - libFuzzer target for kiln's Parquet reader
 * (src/parquet): a file (held in a memfd, opened through io_file by its
 * /proc/self/fd path) read as kiln reads a split: footer, schema, then
 * every row group of every column, nested ones too, batch by batch. An
 * input starting with PAR1 is the file itself; any other picks one of two
 * small valid files DuckDB wrote (fuzz_parquet_seeds.h; byte 0) and
 * overwrites bytes of it (each 3 more bytes: a 16-bit position and a
 * value), so even an empty corpus reaches the page decoders. The page
 * index: the input's bytes also decoded as an OffsetIndex and a
 * ColumnIndex, and each file's page statistics read and its row groups
 * read again by row ranges (page pruning's path). Never a
 * crash, a leak, an overrun or an abort: bad input ends in an error.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_parquet_seeds.h"
#include "parquet/parquet.h"
#include "parquet/pq_read_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = NULL;
    {
        kiln_arena *pa = kiln_arena_new();
        pq_offset_index oi;
        pq_column_index ci;
        const char *why;
        if (pa) {
            (void)pq_offset_index_parse(data, size, pa, &oi, &why);
            (void)pq_column_index_parse(data, size, pa, &ci, &why);
            kiln_arena_free(pa);
        }
    }
    if (size < 4 || memcmp(data, "PAR1", 4) != 0) {
        const uint8_t *seed = size && (data[0] & 1) ? v2_parquet : v1_parquet;
        size_t len = size && (data[0] & 1) ? v2_parquet_len : v1_parquet_len;
        copy = malloc(len);
        if (!copy) return 0;
        memcpy(copy, seed, len);
        for (size_t i = 1; i + 3 <= size; i += 3)
            copy[(data[i] | (size_t)data[i + 1] << 8) % len] = data[i + 2];
        data = copy;
        size = len;
    }
    int fd = memfd_create("fuzz.parquet", 0);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
        if (fd >= 0) close(fd);
        free(copy);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    pq_file *f;
    if (pq_file_open(path, &f) == 0) {
        kiln_arena *sa = kiln_arena_new(), *a = kiln_arena_new();
        col_schema s;
        if (sa && a && pq_file_schema(f, sa, &s) == 0) {
            int ng = pq_file_num_row_groups(f);
            int *rgs = malloc(sizeof *rgs * (size_t)(ng ? ng : 1));
            for (int i = 0; i < ng; i++) rgs[i] = i;
            pq_reader *r;
            if (pq_reader_open(f, &s, rgs, ng, &r) == 0) {
                col_batch b;
                int rows = 0;
                while (pq_reader_next(r, a, &b) == 1 && rows < 1000000) {
                    rows += (int)b.n;
                    kiln_arena_reset(a);
                }
                pq_reader_close(r);
            }
            /* Page statistics of each flat column, then the row groups
             * again by ranges: every other page's rows. */
            pq_row_range *rr = malloc(sizeof *rr * 64 * (size_t)(ng ? ng : 1));
            int *nr = malloc(sizeof *nr * (size_t)(ng ? ng : 1)), at = 0;
            for (int g = 0; rr && nr && g < ng; g++) {
                nr[g] = -1;
                for (int c = 0; c < s.n; c++) {
                    int np = pq_page_count(f, g, s.fields[c].name, s.fields[c].type);
                    if (np <= 0 || nr[g] >= 0) continue;
                    nr[g] = 0;
                    for (int p = 0; p < np && nr[g] < 64; p += 2) {
                        pq_stats st;
                        int64_t a0, a1;
                        if (pq_page_stats(f, g, s.fields[c].name, s.fields[c].type, p, &st, &a0,
                                          &a1)) {
                            rr[at++] = (pq_row_range){a0, a1};
                            nr[g]++;
                        }
                    }
                }
            }
            if (rr && nr && pq_reader_open_ranges(f, &s, rgs, ng, rr, nr, &r) == 0) {
                col_batch b;
                int rows = 0;
                while (pq_reader_next(r, a, &b) == 1 && rows < 1000000) {
                    rows += (int)b.n;
                    kiln_arena_reset(a);
                }
                pq_reader_close(r);
            }
            free(rr);
            free(nr);
            free(rgs);
        }
        kiln_arena_free(a);
        kiln_arena_free(sa);
        pq_file_close(f);
    }
    close(fd);
    free(copy);
    return 0;
}
