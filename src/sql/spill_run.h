/*
 * sql/spill_run.h - runs of batches on disk, for operators that spill (the
 * grace hash join, join_spill.c): an unlinked temporary file of LZ4 blocks,
 * each block holding whole batches in their wire form (col_batch_encode).
 *
 * Block layout (little-endian): u32 raw length, u32 compressed length, the
 * LZ4 block; raw bytes are records of u64 batch length, u64 zero, the
 * encoded batch padded to 16 bytes, so every decoded batch is 16-byte
 * aligned (col_batch_decode then points into the block instead of copying).
 *
 * A writer buffers up to SPILL_RUN_BLOCK raw bytes (or less) before compressing them;
 * any number of readers then read the finished run from its start, each at
 * its own offset (pread), e.g. the probe side of a join partition once per
 * chunk of its build side.
 */
#ifndef KILN_SQL_SPILL_RUN_H
#define KILN_SQL_SPILL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "kiln.h"

#pragma GCC visibility push(hidden)

#define SPILL_RUN_BLOCK (64u << 10)

typedef struct spill_run spill_run;

/* A new empty run in a file named by kiln_task_spill_path (t non-NULL) or
 * in $TMPDIR / /tmp, removed from the directory at once, buffering up to
 * block raw bytes (at most SPILL_RUN_BLOCK; 0 for that). Returns an owned
 * run or NULL with kiln_last_error set. */
spill_run *spill_run_new(kiln_task *t, size_t block);
/* Closes the file (NULL is ignored). */
void spill_run_free(spill_run *r);
/* Appends b's live rows (nothing when none). */
int spill_run_add(spill_run *r, const col_batch *b);
/* Writes the buffered batches; then the run can be read. */
int spill_run_finish(spill_run *r);
/* Rows added, raw (uncompressed) bytes added, bytes the writer's buffer holds. */
int64_t spill_run_rows(const spill_run *r);
int64_t spill_run_raw_bytes(const spill_run *r);
/* Bytes written to the run's file (compressed blocks). */
int64_t spill_run_file_bytes(const spill_run *r);
size_t spill_run_buffered(const spill_run *r);

/* A reader of a finished run (caller-owned; release with
 * spill_reader_release). */
typedef struct spill_reader {
    const spill_run *r;
    uint64_t off; /* file offset of the next block */
    uint64_t blk; /* file offset of the current block */
    uint8_t *raw; /* the current block, decompressed */
    size_t raw_len, raw_cap, pos;
    uint8_t *comp; /* compressed bytes read */
    size_t comp_cap;
    int64_t bytes; /* raw bytes of the batches handed out */
} spill_reader;

void spill_reader_init(spill_reader *rd, const spill_run *r);
void spill_reader_release(spill_reader *rd);
/* Skips the next batch without decoding it: 1, 0 at the end, or an error. */
int spill_reader_skip(spill_reader *rd);
/* Where the next batch starts, and back there (positions of this run). */
void spill_reader_tell(const spill_reader *rd, uint64_t *blk, size_t *pos);
int spill_reader_seek(spill_reader *rd, uint64_t blk, size_t pos);
/* The next batch into *out (vectors in a; buffers may point into the
 * reader, valid until the next call): 1, 0 at the end, or an error. */
int spill_reader_next(spill_reader *rd, kiln_arena *a, col_batch *out);

#pragma GCC visibility pop
#endif
