/*
 * parquet/pq_write_int.h - private interface of kiln's Parquet writer
 * (write.c, write_encode.c, thrift_write.c): the Thrift compact protocol
 * encoder of the footer and page headers, the RLE/bit-packed hybrid
 * encoder of levels and dictionary indices, and the per-leaf column state
 * (pages being built, statistics, dictionary, encoded chunk).
 */
#ifndef KILN_PQ_WRITE_INT_H
#define KILN_PQ_WRITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "parquet/parquet.h"

#pragma GCC visibility push(hidden)

/* ---- Thrift compact protocol (thrift_write.c) ---------------------------------- */

#define PQ_TW_DEPTH 16

/* Appends Thrift compact encodings to out. Errors (out of memory, too
 * deep) stick in err; check it once at the end. */
typedef struct pq_tw {
    kiln_buf *out;
    int16_t last[PQ_TW_DEPTH]; /* last field id of each open struct */
    int depth;
    int err;
} pq_tw;

void pq_tw_init(pq_tw *t, kiln_buf *out);
/* Field headers with their values. */
void pq_tw_i32(pq_tw *t, int id, int32_t v);
void pq_tw_i64(pq_tw *t, int id, int64_t v);
void pq_tw_byte(pq_tw *t, int id, int8_t v);
void pq_tw_bool(pq_tw *t, int id, bool v);
void pq_tw_bin(pq_tw *t, int id, const void *p, size_t n);
void pq_tw_str(pq_tw *t, int id, const char *s);
/* A struct field (id > 0) or a struct list element / the top (id 0):
 * its fields follow, then pq_tw_end. */
void pq_tw_begin(pq_tw *t, int id);
void pq_tw_end(pq_tw *t);
/* A list field of n elements of elem_type (enum pq_thrift_type); the
 * elements follow (pq_tw_elem_* or pq_tw_begin(t, 0)). */
void pq_tw_list(pq_tw *t, int id, int elem_type, uint32_t n);
void pq_tw_elem_i32(pq_tw *t, int32_t v);
void pq_tw_elem_str(pq_tw *t, const char *s, size_t n);

/* ---- Encodings (write_encode.c) -------------------------------------------------- */

/* Appends v as a ULEB128 varint; KILN_OK or KILN_ENOMEM. */
int pq_put_varint(kiln_buf *out, uint64_t v);
/* Bits needed for values 0..max. */
int pq_bit_width(uint32_t max);
/* Appends v[0..n) (each < 2^width) in the RLE/bit-packed hybrid encoding
 * (no length prefix). */
int pq_rle_encode(kiln_buf *out, const uint32_t *v, size_t n, int width);
int pq_rle_encode16(kiln_buf *out, const uint16_t *v, size_t n, int width);

/* Min / max / null count of a page or a column chunk, in the format's
 * sort order: signed for ints, dates, timestamps and decimals, IEEE order
 * without NaN for floats (-0.0 as min, +0.0 as max), unsigned bytes for
 * strings and binary. The PLAIN bytes of min and max are kept. */
typedef struct pq_wstats {
    bool has;      /* min/max hold a value */
    int64_t nulls; /* null values (not counting empty lists) */
    int64_t imin, imax;
    double dmin, dmax;
    __int128 wmin, wmax;
    kiln_buf bmin, bmax; /* byte arrays */
} pq_wstats;

/* The value kinds a leaf stores (how the batch's values become PLAIN). */
typedef enum pq_vkind {
    PQ_V_BOOL,
    PQ_V_I32, /* i8, i16, i32, date, decimal(<=9) from int8..int64 data */
    PQ_V_I64, /* i64, timestamp micros/millis, decimal(<=18) */
    PQ_V_I96, /* timestamp as INT96 */
    PQ_V_F32,
    PQ_V_F64,
    PQ_V_BYTES, /* string, binary */
    PQ_V_FLBA,  /* decimal(>18) big-endian in flba_len bytes */
} pq_vkind;

/* One data page of the chunk being built, for the page index
 * (write_page_index.c): where it is and its bounds. */
typedef struct pq_wpage {
    int64_t off;       /* from the start of the chunk's data pages */
    int64_t size;      /* header and body */
    int64_t first_row; /* in the row group */
    int64_t nulls;
    bool null_page;                              /* every value null */
    bool has;                                    /* min/max known */
    uint32_t min_off, min_len, max_off, max_len; /* in pq_leaf.pbounds (PLAIN, truncated) */
    int64_t imin, imax;
    double dmin, dmax;
    __int128 wmin, wmax;
} pq_wpage;

/* One leaf column of the file: its schema path, levels, and the state of
 * the page and the column chunk being built. */
typedef struct pq_leaf {
    const char **path; /* names from the top column down */
    int npath;
    int max_def, max_rep;
    int ptype;    /* enum pq_type */
    int vkind;    /* pq_vkind */
    int src_kind; /* col_kind of the batch vector */
    int flba_len;
    int ts_div; /* timestamps: divide micros by this (1000 for millis) */
    /* current page */
    uint16_t *def, *rep; /* levels (when max_def / max_rep > 0) */
    size_t nlev, levcap;
    kiln_buf vals; /* PLAIN values (dictionary off or fallen back) */
    uint32_t *idx; /* dictionary indices */
    size_t nidx, idxcap;
    uint8_t *bools;    /* booleans, one byte each */
    int64_t page_rows; /* rows started in the page */
    pq_wstats pst;
    /* dictionary */
    bool use_dict;  /* values go to the dictionary */
    bool dict_used; /* some page of this chunk is dictionary-encoded */
    kiln_buf dict;  /* PLAIN dictionary values */
    uint32_t *doff; /* entry i at dict[doff[i]..doff[i+1]) (without length prefix) */
    uint32_t ndict, doffcap;
    uint64_t *slots; /* open addressing: entry+1 | hash's high half << 32; 0 empty */
    uint32_t nslots;
    uint8_t last[16]; /* the last fixed-width value looked up (last_n bytes, 0: none) */
    uint8_t last_n;
    uint32_t last_idx;
    /* column chunk */
    kiln_buf chunk; /* encoded, compressed data pages (headers included) */
    int64_t chunk_values, chunk_uncompressed;
    bool enc_plain, enc_dict;
    pq_wstats cst;
    /* page index of the chunk (write_page_index.c) */
    pq_wpage *pages;
    size_t npages, pagecap;
    kiln_buf pbounds;   /* the pages' min/max bytes */
    int64_t chunk_rows; /* rows in the chunk's flushed pages */
    bool pidx_bad;      /* a non-null page without min/max: no ColumnIndex */
    kiln_buf page;      /* scratch: an uncompressed page body */
    kiln_buf zpage;     /* scratch: compressed */
} pq_leaf;

/* Appends one value / one null (levels given) to leaf l's page; row_start
 * when this value starts a row. Values: vec's row r (its type's data). */
int pq_leaf_value(pq_leaf *l, const col_vec *v, uint32_t r, int def, int rep);
int pq_leaf_null(pq_leaf *l, int def, int rep);
/* Appends rows [from, to) of a flat vector v to a leaf of a top-level
 * column (max_rep 0, max_def 0 or 1). */
int pq_leaf_flat(pq_leaf *l, const col_vec *v, uint32_t from, uint32_t to);
/* Bytes the current page would take (before compression), roughly. */
size_t pq_leaf_page_bytes(const pq_leaf *l);
/* Encodes, compresses and appends the current page to the chunk. */
int pq_leaf_flush_page(pq_leaf *l, const pq_write_options *o);
/* Whether the dictionary passed its limit (then the page is flushed and
 * the leaf goes on in PLAIN). */
bool pq_leaf_dict_full(const pq_leaf *l, const pq_write_options *o);
/* The dictionary page of the chunk (when used) appended to out. */
int pq_leaf_dict_page(pq_leaf *l, const pq_write_options *o, kiln_buf *out, int64_t *usize);
/* Clears the chunk state for the next row group. */
void pq_leaf_reset_chunk(pq_leaf *l, const pq_write_options *o);
void pq_leaf_release(pq_leaf *l);
/* Writes st (fields of Statistics) into an open struct. */
void pq_stats_write(pq_tw *t, const pq_leaf *l, const pq_wstats *st);
void pq_stats_merge(const pq_leaf *l, pq_wstats *into, const pq_wstats *from);
void pq_stats_clear(pq_wstats *s);
/* The PLAIN bytes of one bound of st (not for byte arrays) into b: length. */
size_t pq_stats_bytes(const pq_leaf *l, const pq_wstats *st, bool max, uint8_t *b);

/* ---- Page index (write_page_index.c) ---------------------------------------------- */

#define PQ_PIDX_TRUNCATE 64 /* parquet.columnindex.truncate.length */

/* Notes the page just appended to l->chunk at off (size bytes, nlev
 * level entries, rows rows, statistics l->pst). KILN_OK or KILN_ENOMEM. */
int pq_leaf_note_page(pq_leaf *l, int64_t off, int64_t size, int64_t nlev, int64_t rows);
/* Appends the chunk's ColumnIndex to ci (*has_ci false when the column
 * has none: INT96, or a page without bounds) and its OffsetIndex to oi,
 * its data pages starting at file offset data_off. */
int pq_leaf_page_index(const pq_leaf *l, int64_t data_off, kiln_buf *ci, bool *has_ci,
                       kiln_buf *oi);
/* Forgets the chunk's pages (next row group). */
void pq_leaf_pages_reset(pq_leaf *l);
/* A struct field whose encoding (fields and STOP, from its own pq_tw) is p[0..n). */
void pq_tw_raw_struct(pq_tw *t, int id, const void *p, size_t n);
/* List elements: an i64, a bool (a byte in lists). */
void pq_tw_elem_i64(pq_tw *t, int64_t v);
void pq_tw_elem_bool(pq_tw *t, bool v);

#pragma GCC visibility pop
#endif
