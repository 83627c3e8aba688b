/*
 * shuffle/shuffle.h - the shuffle's writer/reader interface.
 *
 * A map task writes encoded records into per-reduce-partition segments and
 * commits them as its map output: one data file, its records grouped by
 * reduce partition in compressed, checksummed blocks, plus an index of where
 * each partition's segment starts (docs/formats/shuffle.md). A reduce task
 * reads its segment of every map output. A damaged block is reported as a
 * fetch failure naming the map output, which the scheduler recomputes.
 */
#ifndef KILN_SHUFFLE_H
#define KILN_SHUFFLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"
#include "shuffle/block.h"

typedef struct shuffle_dep shuffle_dep; /* engine-side description */
typedef struct shuffle_store shuffle_store;
typedef struct shuffle_writer shuffle_writer;

/* A store keeping its files under dir (created if missing, and removed with
 * everything in it by shuffle_store_free). Returns NULL with the error set. */
shuffle_store *shuffle_store_new(const char *dir, block_codec codec);
void shuffle_store_free(shuffle_store *s);
/* Records map output `map` of shuffle id as present (held by another
 * process: the driver's view in cluster mode). */
void shuffle_mark_done(shuffle_store *s, int id, int map);

/* Cluster mode: map outputs this store does not hold are read through fn,
 * which replaces seg's content with the bytes of segment `reduce` of map
 * output `map` (the blocks as written, every block's checksum verified
 * with block_check, so readers do not check them again) or returns
 * KILN_EFETCH. */
typedef int (*shuffle_remote_fn)(void *arg, int id, int map, int reduce, kiln_buf *seg);
void shuffle_store_set_remote(shuffle_store *s, shuffle_remote_fn fn, void *arg);
/* Local mode: map outputs are kept in memory instead of files while all
 * those held stay within limit bytes (0, the default: always files), and
 * blocks likely to stay there are not compressed (one copy of each block
 * is all a reader makes). An output past the limit, or written by a writer
 * that spilled, goes to files as before (its blocks compressed from the
 * one that would not fit). Not for a store whose outputs other processes
 * fetch (shuffle_segment_locate finds files only). */
void shuffle_store_set_memory(shuffle_store *s, size_t limit);
/* Where segment `reduce` of map output `map` lies, for serving it to a peer:
 * the data file's path (size bytes), its first byte and length. KILN_EFETCH
 * when this store does not hold the output (or its index is damaged). */
int shuffle_segment_locate(shuffle_store *s, int id, int map, int reduce, char *path, size_t size,
                           uint64_t *start, uint64_t *len);
/* Declares shuffle id with nmaps map outputs of nreduce segments each. */
int shuffle_register(shuffle_store *s, int id, int nmaps, int nreduce);
/* Map outputs still missing (ascending), written to missing (capacity nmaps);
 * returns their count. */
int shuffle_missing(shuffle_store *s, int id, int *missing);
bool shuffle_complete(shuffle_store *s, int id);
/* Forgets shuffle id altogether: every map output's files here are
 * deleted and its entry is freed (the RDD reading it was released). An
 * unknown id is ignored. */
void shuffle_unregister(shuffle_store *s, int id);
/* Shuffles the store knows (for tests of what a long-lived driver keeps). */
size_t shuffle_count(shuffle_store *s);
/* Forgets map output `map` of shuffle id (its files are deleted), so the
 * scheduler runs that map task again. */
void shuffle_invalidate(shuffle_store *s, int id, int map);

/* Opens a writer for one attempt of map task `map`. Returns NULL on error. */
shuffle_writer *shuffle_writer_open(shuffle_store *s, int id, int map);
/* Appends the encoding of v to segment `reduce`. */
int shuffle_writer_add(shuffle_writer *w, int reduce, const kiln_value *v);
/* Records added to w so far and the bytes of their encodings (before
 * compression: what the reduce side's shuffle_read hands back). */
void shuffle_writer_stats(const shuffle_writer *w, uint64_t *records, uint64_t *bytes);
/* Bytes of records and blocks the writer holds in memory. */
size_t shuffle_writer_held(const shuffle_writer *w);
/* Moves everything held to a spill file in the store's directory, freeing
 * the memory; commit stitches the spills back together partition by
 * partition. KILN_EIO naming the file when the write fails. */
int shuffle_writer_spill(shuffle_writer *w);
/* Bytes the writer's spills wrote to their files so far (compressed blocks). */
uint64_t shuffle_writer_spilled(const shuffle_writer *w);
/* Writes the files and publishes them (the first committed attempt of a map
 * wins); frees the writer. KILN_EIO naming the file when a write fails, and
 * then nothing is published and no file is left. */
int shuffle_writer_commit(shuffle_writer *w);
void shuffle_writer_abort(shuffle_writer *w);

/* Calls fn for each block of records of segment `reduce`, map output by map
 * output in map order; the bytes are borrowed for the call. Stops on a
 * nonzero return and returns it. A missing, unreadable or damaged map output
 * returns KILN_EFETCH with *failed_map set to it. */
int shuffle_read(shuffle_store *s, int id, int reduce,
                 int (*fn)(void *arg, const uint8_t *p, size_t n), void *arg, int *failed_map);
/* The same, one block at a time: next returns 1 with the block's records
 * (borrowed until the next call), 0 at the end, or KILN_EFETCH with
 * *failed_map set. Holds one segment and one block in memory. */
typedef struct shuffle_cursor shuffle_cursor;
shuffle_cursor *shuffle_cursor_open(shuffle_store *s, int id, int reduce);
int shuffle_cursor_next(shuffle_cursor *c, const uint8_t **p, size_t *n, int *failed_map);
void shuffle_cursor_close(shuffle_cursor *c);

/* Total bytes in committed data files (for logs and tests). */
size_t shuffle_bytes(shuffle_store *s);

#endif
