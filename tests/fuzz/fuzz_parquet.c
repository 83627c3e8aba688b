/*
 * fuzz_parquet.c - libFuzzer target for kiln's Parquet reader
 * (src/parquet): the input is a whole file (held in a memfd, opened through
 * io_file by its /proc/self/fd path), read as kiln reads a split: footer,
 * schema, then every row group of every column, nested ones too, batch
 * by batch. Seed it with small valid files (DuckDB's: every codec, page
 * version and nesting). Never a crash, a leak, an overrun or an abort:
 * bad input ends in an error.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "parquet/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.parquet", 0);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    pq_file *f;
    if (pq_file_open(path, &f) == 0) {
        kiln_arena *a = kiln_arena_new();
        col_schema s;
        if (pq_file_schema(f, a, &s) == 0) {
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
            free(rgs);
        }
        kiln_arena_free(a);
        pq_file_close(f);
    }
    close(fd);
    return 0;
}
