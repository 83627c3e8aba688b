/*
 * shuffle/shuffle.h - the shuffle's writer/reader interface.
 *
 * A map task writes encoded records into per-reduce-partition segments and
 * commits them as its map output; a reduce task reads its segment of every
 * map output. This version keeps map outputs in memory; the interface is the
 * seam where files, spill and compression go later.
 */
#ifndef KILN_SHUFFLE_H
#define KILN_SHUFFLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

typedef struct shuffle_dep shuffle_dep; /* engine-side description */
typedef struct shuffle_store shuffle_store;
typedef struct shuffle_writer shuffle_writer;

shuffle_store *shuffle_store_new(void);
void shuffle_store_free(shuffle_store *s);
/* Declares shuffle id with nmaps map outputs of nreduce segments each. */
int shuffle_register(shuffle_store *s, int id, int nmaps, int nreduce);
/* Map outputs still missing (ascending), written to missing (capacity nmaps);
 * returns their count. */
int shuffle_missing(shuffle_store *s, int id, int *missing);
bool shuffle_complete(shuffle_store *s, int id);

/* Opens a writer for one attempt of map task `map`. Returns NULL on ENOMEM. */
shuffle_writer *shuffle_writer_open(shuffle_store *s, int id, int map);
/* Appends the encoding of v to segment `reduce`. */
int shuffle_writer_add(shuffle_writer *w, int reduce, const kiln_value *v);
/* Publishes the output (the first committed attempt of a map wins) and frees
 * the writer. */
int shuffle_writer_commit(shuffle_writer *w);
void shuffle_writer_abort(shuffle_writer *w);

/* Calls fn for each map output's segment `reduce`, in map order; the bytes
 * are borrowed for the call. Stops on a nonzero return and returns it. */
int shuffle_read(shuffle_store *s, int id, int reduce,
                 int (*fn)(void *arg, const uint8_t *p, size_t n), void *arg);
/* Total bytes held (for logs and tests). */
size_t shuffle_bytes(shuffle_store *s);

#endif
