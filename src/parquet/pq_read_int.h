/*
 * parquet/pq_read_int.h - private interface of kiln's Parquet reader
 * (src/parquet/read_*.c): the Thrift compact protocol decoder, the decoded
 * footer (FileMetaData and what it holds) and page headers, the schema
 * tree, and the page decoders (RLE/bit-packed hybrid, delta, byte stream
 * split). parquet.h is what the datasource layer sees.
 */
#ifndef KILN_PQ_READ_INT_H
#define KILN_PQ_READ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "column/column.h"
#include "parquet/parquet.h"
#include "parquet/pq_format_int.h"

#pragma GCC visibility push(hidden)

/* ---- Thrift compact protocol (read_thrift.c) ----------------------------------- */

#define PQ_TR_MAX_DEPTH 32 /* nested structs / lists before a file is refused */

/* A cursor over untrusted bytes. Every read is bounds-checked: past the
 * end, over the depth limit or on a bad type code it sets err (and a
 * reason) and returns zeros from then on, so parsers check once at the end. */
typedef struct pq_tr {
    const uint8_t *p, *end;
    int depth;
    const char *err; /* NULL while fine */
} pq_tr;

void pq_tr_init(pq_tr *t, const uint8_t *p, size_t n);
/* The next field of the current struct: its id and type code; false at
 * the struct's STOP (or on an error). *last is the previous field id
 * (start at 0; the compact protocol sends deltas). */
bool pq_tr_field(pq_tr *t, int16_t *last, int16_t *id, int *type);
int64_t pq_tr_i64(pq_tr *t);
/* An i32 (zigzag varint; errors when it does not fit 32 bits). */
int32_t pq_tr_i32(pq_tr *t);
/* A boolean field value (the compact protocol keeps it in the type code). */
bool pq_tr_bool(pq_tr *t, int type);
/* A binary/string: *p points into the input, valid as long as it. */
uint32_t pq_tr_binary(pq_tr *t, const uint8_t **p);
/* A list/set header: element type and count (count checked against the
 * bytes left, every element taking at least one byte). */
uint32_t pq_tr_list(pq_tr *t, int *elem_type);
/* Skips a value of type code type (structs, lists and maps recursively). */
void pq_tr_skip(pq_tr *t, int type);
/* Enters / leaves a nested struct (depth limit). */
bool pq_tr_enter(pq_tr *t);
void pq_tr_leave(pq_tr *t);

/* A struct's decoder body: PQ_TR_FIELDS_BEGIN, then one `case ID:` per
 * field read (t the pq_tr, ty the field's type, in a function returning
 * void), then PQ_TR_FIELDS_END; unknown fields are skipped. */
#define PQ_TR_FIELDS_BEGIN                                                                         \
    if (!pq_tr_enter(t)) return;                                                                   \
    int16_t last = 0, id;                                                                          \
    int ty;                                                                                        \
    while (pq_tr_field(t, &last, &id, &ty)) {                                                      \
        switch (id) {
#define PQ_TR_FIELDS_END                                                                           \
    default:                                                                                       \
        pq_tr_skip(t, ty);                                                                         \
        }                                                                                          \
        }                                                                                          \
        pq_tr_leave(t);
/* Marks t failed with reason why (kept when already failed). */
void pq_tr_fail(pq_tr *t, const char *why);

/* ---- Footer and page headers (read_meta.c) ------------------------------------ */

typedef struct pq_logical_type {
    int kind; /* enum pq_logical, 0 = none */
    int scale, precision;
    bool utc;      /* TIME / TIMESTAMP isAdjustedToUTC */
    int unit;      /* enum pq_time_unit */
    int bit_width; /* INTEGER */
    bool is_signed;
} pq_logical_type;

typedef struct pq_schema_elem {
    const char *name; /* NUL-terminated copy */
    int type;         /* enum pq_type, -1 for groups */
    int type_length;
    int repetition; /* enum pq_repetition, -1 when absent (the root) */
    int num_children;
    int converted; /* enum pq_converted, -1 when absent */
    int scale, precision;
    pq_logical_type logical;
} pq_schema_elem;

/* Statistics as stored: byte strings into the footer buffer. */
typedef struct pq_raw_stats {
    const uint8_t *min, *max, *min_value, *max_value;
    uint32_t min_len, max_len, min_value_len, max_value_len;
    bool has_min, has_max, has_min_value, has_max_value, has_null_count;
    int64_t null_count;
} pq_raw_stats;

typedef struct pq_chunk_meta {
    int type, codec;
    int64_t num_values, total_uncompressed, total_compressed;
    int64_t data_page_offset, dictionary_page_offset; /* -1 when absent */
    const char *path;                                 /* path_in_schema joined by '.' */
    const char *file_path;                            /* ColumnChunk.file_path or NULL */
    pq_raw_stats stats;
    bool has_meta;
    int64_t oi_off, ci_off; /* OffsetIndex / ColumnIndex (-1 when absent) */
    int32_t oi_len, ci_len;
} pq_chunk_meta;

typedef struct pq_row_group {
    int ncols;
    pq_chunk_meta *cols;
    int64_t num_rows, total_byte_size, file_offset, total_compressed; /* -1 when absent */
} pq_row_group;

typedef struct pq_meta {
    int version;
    int nschema;
    pq_schema_elem *schema;
    int64_t num_rows;
    int nrg;
    pq_row_group *rgs;
    int nkv;
    const char **keys, **values;
    const char *created_by;
    bool type_defined_order; /* column_orders present (TypeDefinedOrder) */
} pq_meta;

/* Decodes a FileMetaData from p[0..n) into m (strings and arrays in a;
 * statistics point into p, which must outlive m). Returns KILN_OK or
 * KILN_ECORRUPT with *why set (static text). */
int pq_meta_parse(const uint8_t *p, size_t n, kiln_arena *a, pq_meta *m, const char **why);

typedef struct pq_page_header {
    int type; /* enum pq_page_type */
    int32_t uncompressed, compressed;
    int32_t num_values; /* v1, v2, dictionary */
    int encoding;
    int def_encoding, rep_encoding; /* v1 */
    int32_t num_nulls, num_rows;    /* v2 */
    int32_t def_len, rep_len;       /* v2 */
    bool is_compressed;             /* v2 (default true) */
    bool has_data, has_dict, has_v2;
} pq_page_header;

/* Decodes a PageHeader from p[0..n): *used gets its size. Returns KILN_OK
 * or KILN_ECORRUPT with *why set. */
int pq_page_header_parse(const uint8_t *p, size_t n, pq_page_header *h, size_t *used,
                         const char **why);

/* ---- Page index (read_page_index.c) ------------------------------------------------ */

/* A data page as the OffsetIndex places it. */
typedef struct pq_page_loc {
    int64_t offset;
    int32_t size; /* header included */
    int64_t first_row;
} pq_page_loc;

typedef struct pq_offset_index {
    uint32_t n;
    pq_page_loc *locs;
} pq_offset_index;

/* A ColumnIndex: per page, all nulls or its bounds (PLAIN bytes into the
 * buffer it was decoded from). */
typedef struct pq_column_index {
    uint32_t n;
    bool *null_pages;
    const uint8_t **min, **max;
    uint32_t *min_len, *max_len;
    int boundary_order;
    int64_t *null_counts; /* NULL when absent */
} pq_column_index;

/* Decode an OffsetIndex / ColumnIndex from p[0..n) (arrays in a, bounds
 * pointing into p). Return KILN_OK or KILN_ECORRUPT with *why set. */
int pq_offset_index_parse(const uint8_t *p, size_t n, kiln_arena *a, pq_offset_index *o,
                          const char **why);
int pq_column_index_parse(const uint8_t *p, size_t n, kiln_arena *a, pq_column_index *c,
                          const char **why);

/* ---- Schema tree (read_schema.c) ---------------------------------------------------- */

typedef struct pq_node pq_node;
struct pq_node {
    const pq_schema_elem *e;
    pq_node *parent;
    int nchildren;
    pq_node *children;
    int max_def, max_rep; /* levels at this node (itself included) */
    int leaf;             /* column chunk index, or -1 for groups */
    int first_leaf, nleaves;
    const col_type *type;  /* kiln type (NULL: unsupported, see why) */
    const col_type *btype; /* the type of one value when rep_array, else type */
    bool rep_array;        /* a repeated field read as an array of it (type) */
    const char *why;       /* why the type is unsupported */
    /* How the reader assembles it: */
    int shape;          /* PQ_SH_* */
    pq_node *elem;      /* lists: the element node; maps: the key_value group */
    pq_node *key, *val; /* maps */
    int conv;           /* leaves: PQ_CV_* value conversion */
};

enum { PQ_SH_LEAF, PQ_SH_STRUCT, PQ_SH_LIST, PQ_SH_MAP };

/* Value conversions of leaves (physical -> kiln). */
enum {
    PQ_CV_SAME,      /* memcpy: i32->i32/date, i64->i64, float, double, bool */
    PQ_CV_I32_I8,    /* INT_8 */
    PQ_CV_I32_I16,   /* INT_16, UINT_8 */
    PQ_CV_U32_I64,   /* UINT_32 */
    PQ_CV_I32_I64,   /* decimal(p<=18) stored as int32 */
    PQ_CV_I32_I128,  /* wide decimal stored as int32 */
    PQ_CV_I64_I128,  /* wide decimal stored as int64 */
    PQ_CV_U64_I128,  /* UINT_64 -> decimal(20,0) */
    PQ_CV_MILLIS,    /* int64 ms -> us */
    PQ_CV_NANOS,     /* int64 ns -> us */
    PQ_CV_INT96,     /* julian day + nanos -> us */
    PQ_CV_STR,       /* byte array -> col_str */
    PQ_CV_DEC_BYTES, /* big-endian two's complement -> int64 / int128 */
};

/* The tree of m's schema (in a). Returns KILN_OK or KILN_ECORRUPT with
 * *why set when the flat list does not form a tree. */
int pq_schema_tree(const pq_meta *m, kiln_arena *a, pq_node **root, const char **why);

/* ---- Decoders (read_decode.c) --------------------------------------------------------- */

/* RLE / bit-packed hybrid decoder of bit width 0..32. */
typedef struct pq_rle {
    const uint8_t *p, *end;
    int width;
    uint32_t run;      /* values left in the current run */
    bool packed;       /* bit-packed run (else repeated value) */
    uint32_t value;    /* repeated value */
    const uint8_t *bp; /* bit-packed run: next group's bytes */
    uint32_t buf[8];   /* bit-packed: the current group */
    uint32_t bufpos;   /* next in buf (8 = empty) */
} pq_rle;

void pq_rle_init(pq_rle *r, const uint8_t *p, size_t n, int width);
/* Decodes the next n values into out. Returns how many it decoded (fewer
 * at the end of the data). */
uint32_t pq_rle_get(pq_rle *r, uint32_t *out, uint32_t n);
/* Same as pq_rle_get into bytes (levels, booleans; width <= 8). */
uint32_t pq_rle_get8(pq_rle *r, uint8_t *out, uint32_t n);
/* Same for definition levels: also adds to *count the values equal to
 * match and raises *max to their maximum (values above 255 count as 255). */
uint32_t pq_rle_levels(pq_rle *r, uint8_t *out, uint32_t n, uint8_t match, uint32_t *count,
                       uint8_t *max);

/* DELTA_BINARY_PACKED, decoded a miniblock at a time. */
typedef struct pq_delta {
    const uint8_t *p, *end;
    uint32_t block, nmini, mini; /* values per block, miniblocks, per miniblock */
    uint64_t total, done;        /* values in the stream / given out */
    uint64_t last;               /* previous value (wrapping) */
    uint64_t min_delta;
    uint32_t mi;         /* miniblock index in the block (nmini: new block) */
    uint8_t widths[256]; /* bit widths of the block's miniblocks */
    uint64_t buf[512];   /* the current miniblock's values */
    uint32_t bufn, bufpos;
    bool first_out; /* the first value has been given */
    const char *err;
} pq_delta;

/* Starts a stream at p[0..n). Returns false (with d->err) on a bad header. */
bool pq_delta_init(pq_delta *d, const uint8_t *p, size_t n);
/* The next n values (as uint64, to be truncated for INT32) into out:
 * how many were decoded (fewer at the end or on an error, see d->err). */
uint32_t pq_delta_get(pq_delta *d, uint64_t *out, uint32_t n);
/* Skips to the end of the stream: the byte after it (NULL on an error). */
const uint8_t *pq_delta_end(pq_delta *d);

#pragma GCC visibility pop
#endif
