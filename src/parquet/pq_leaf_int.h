/*
 * parquet/pq_leaf_int.h - the column chunk reader of the Parquet reader
 * (read_column.c): one leaf column of one row group, read with one ranged
 * read, its pages decompressed and decoded run by run into levels and
 * dense values in the kiln layout of the leaf's type. read_file.c opens
 * one per projected leaf and assembles batches from them.
 */
#ifndef KILN_PQ_LEAF_INT_H
#define KILN_PQ_LEAF_INT_H

#include "io/io.h"
#include "parquet/pq_read_int.h"

#pragma GCC visibility push(hidden)

/* A buffer to free when the batch that may point into it is released. */
typedef struct pq_retired {
    void **bufs;
    int n, cap;
} pq_retired;

/* Frees every retired buffer. */
void pq_retired_free(pq_retired *r);

typedef struct pq_leaf {
    /* What is read. */
    io_file *io;
    const char *path;     /* file, for errors */
    const pq_node *node;  /* the leaf */
    const col_type *type; /* its kiln type (not array-wrapped) */
    int max_def, max_rep;
    int rg;
    pq_retired *retired;
    /* The chunk. */
    uint8_t *chunk;
    size_t chunk_len, pos;
    int64_t chunk_off;
    int codec;
    /* Dictionary: values in the kiln layout of type. */
    void *dict;
    uint32_t dict_n;
    /* The current page. */
    int64_t page_off;
    uint32_t page_left; /* level entries left in it */
    bool in_page;
    int enc;
    pq_rle def, rep, idx;
    const uint8_t *vp, *vend; /* value bytes */
    uint32_t bitpos;          /* PLAIN booleans */
    pq_delta delta, delta2;   /* integers / lengths; DELTA_BYTE_ARRAY suffix lengths */
    const uint8_t *bytes;     /* DELTA_(LENGTH_)BYTE_ARRAY data */
    uint8_t *prevbuf;         /* DELTA_BYTE_ARRAY previous value (owned) */
    uint32_t prev_len, prev_cap;
    void *dict_page;       /* decompressed dictionary page (owned) */
    void *page_buf;        /* decompressed current data page (owned) */
    uint32_t bss_n, bss_i; /* BYTE_STREAM_SPLIT values in the page / next */
    kiln_arena *arena;     /* DELTA_BYTE_ARRAY values (reset per batch) */
    /* Scratch of physical values. */
    void *scratch;
    uint32_t *idxbuf;
    /* Rows (level entries of this flat leaf) read or skipped so far, of
     * the row group's rows. */
    int64_t row, rows;
    /* Page selection (pq_leaf_open_pages): the chunk's OffsetIndex, or
     * NULL when the chunk is read whole and page after page. */
    const pq_offset_index *oi;
    int cur_page;   /* OffsetIndex page being read (-1: none yet) */
    bool dict_done; /* the pages before the first data page were read */
    size_t stop;    /* next_page: stop at this chunk position (0: never) */
    void *skipbuf;  /* skipped rows' levels and values */
} pq_leaf;

/* Starts reading leaf node n of row group rg of meta m from io; chunk
 * bytes read now. retired (borrowed) collects buffers batches may point
 * into. Returns KILN_OK or an error naming path, column and row group. */
int pq_leaf_open(pq_leaf *l, io_file *io, const char *path, const pq_meta *m, const pq_node *n,
                 const col_type *type, int rg, pq_retired *retired, kiln_arena *arena);
/* pq_leaf_open for a flat leaf reading only the data pages of its
 * OffsetIndex oi (borrowed from the file) that overlap rows ranges[0..nr)
 * (ascending), and the dictionary: ranged reads of just those bytes. Then
 * pq_leaf_skip_to the start of each range before reading it. */
int pq_leaf_open_pages(pq_leaf *l, io_file *io, const char *path, const pq_meta *m,
                       const pq_node *n, const col_type *type, int rg, pq_retired *retired,
                       kiln_arena *arena, const pq_offset_index *oi, const pq_row_range *ranges,
                       int nr);
/* Moves a flat leaf to row `row` (>= the rows read so far): with an
 * OffsetIndex to the page holding it without decoding the pages between,
 * then the rows before it in that page decoded and dropped. Returns
 * KILN_OK or an error naming file, column, row group and page. */
int pq_leaf_skip_to(pq_leaf *l, int64_t row);
/* Reads the next n level entries: def[0..n) and rep[0..n) (each NULL when
 * the leaf has no such levels) and the non-null values, densely, into
 * vals (room for n values of the type's width). *nvals gets their count.
 * Returns KILN_OK or KILN_ECORRUPT naming file, column, row group, page. */
int pq_leaf_read(pq_leaf *l, uint32_t n, uint8_t *def, uint8_t *rep, void *vals, uint32_t *nvals);
/* Frees l's buffers (retiring those batches may point into). */
void pq_leaf_close(pq_leaf *l);

/* ---- Nested columns (read_nested.c) ---- */

/* The reader of one nested top-level field (lists, maps, structs,
 * repeated fields): its leaves' chunks, the level entries they buffer. */
typedef struct pq_nested pq_nested;

/* A reader of top-level node top (borrowed) of file path (borrowed, for
 * errors). Returns KILN_OK and an owned reader, or KILN_ENOMEM. */
int pq_nested_new(const pq_node *top, const char *path, pq_nested **out);
/* Opens the chunks of x's leaves in row group rg (see pq_leaf_open). */
int pq_nested_open_rg(pq_nested *x, io_file *io, const pq_meta *m, int rg, pq_retired *retired,
                      kiln_arena *tmp);
/* Reads the next n records (rows) into v (of the field's type, made with
 * room for n rows; children grown in a); tmp holds scratch for this
 * batch. Returns KILN_OK or KILN_ECORRUPT naming the file and column. */
int pq_nested_read(pq_nested *x, kiln_arena *a, kiln_arena *tmp, col_vec *v, uint32_t n);
/* Copies the long strings of the entries carried past the last batch into
 * a (the next batch's arena): call before retired buffers are freed. */
int pq_nested_keep(pq_nested *x, kiln_arena *a);
/* Closes the chunks of the current row group (NULL is ignored). */
void pq_nested_close_rg(pq_nested *x);
/* Frees x (NULL is ignored). */
void pq_nested_free(pq_nested *x);

/* The parts of an open file the reader needs (read_file.c): its input,
 * decoded footer and schema tree, all borrowed from f. */
void pq_file_parts(pq_file *f, io_file **io, const pq_meta **m, const pq_node **root);
/* The top-level node named name (any case), or NULL. */
const pq_node *pq_file_top(const pq_file *f, const char *name);
/* Decodes the PLAIN bounds mn, mx of leaf n into out->min / max (floats'
 * zeros widened to -0.0 / +0.0); false when unusable (NaN, bad length). */
bool pq_stats_bounds(const pq_node *n, const uint8_t *mn, uint32_t mnl, const uint8_t *mx,
                     uint32_t mxl, pq_stats *out);
/* f's page index cache: 2 slots (offset, column index) per column chunk
 * (row group g, leaf i at 2 * (g * (nleaves + 1) + i)), zeroed at first
 * use, and the arena of f to decode into. KILN_OK or KILN_ENOMEM. */
int pq_file_pidx_cache(pq_file *f, void ***slots, kiln_arena **a);
/* The OffsetIndex / ColumnIndex of leaf `leaf` of row group rg, read and
 * decoded once (read_page_index.c). Return 1 and *out (borrowed from f),
 * 0 when the file has none, or a negative error naming the file. */
int pq_file_offset_index(pq_file *f, int rg, int leaf, const pq_offset_index **out);
int pq_file_column_index(pq_file *f, int rg, int leaf, const pq_column_index **out);
/* Counts one data page decoded (pq_pages_read). */
void pq_count_page(void);
/* Counts one row group read (pq_row_groups_read). */
void pq_count_row_group(void);

#pragma GCC visibility pop
#endif
