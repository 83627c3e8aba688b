/*
 * sql/window_int.h - what window.c (input, partitions, ranking, offsets,
 * output) and window_frame.c (frame bounds and aggregates over frames)
 * share. Rows are numbered globally 0..n in input order (live rows only);
 * every per-row array below is indexed that way.
 */
#ifndef KILN_SQL_WINDOW_INT_H
#define KILN_SQL_WINDOW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sql/window.h"

#pragma GCC visibility push(hidden)

#define WIN_NONE UINT32_MAX          /* no row */
#define WIN_DEFAULT (UINT32_MAX - 1) /* lag/lead: use the default */
#define WIN_CHUNK 2048               /* rows per step of the frame loops */

/* How a column's values are held for computing: int64 (integers, bools,
 * dates, timestamps, intervals, decimals up to 18 digits), int128 (wider
 * decimals), double (float, double), col_str (strings, binary), or none
 * (nested types: only gathered). */
typedef enum win_kind { WK_I64, WK_I128, WK_F64, WK_STR, WK_OTHER } win_kind;

/* One input column gathered into global row order. */
typedef struct win_col {
    const col_type *type;
    win_kind kind;
    uint8_t *valid; /* n bytes, 1 = not null; NULL when no row is null */
    void *raw;      /* n values as stored (col_type_width bytes), NULL for nested types */
    void *canon;    /* n values of kind (int64_t, __int128, double, col_str), nulls zeroed */
    uint32_t *cntv; /* ignore nulls: n+1 prefix counts of valid rows (made on demand) */
    uint32_t *pos;  /* and the position of each valid row */
} win_col;

typedef struct win_ctx {
    kiln_arena *out;      /* results */
    kiln_arena *tmp;      /* scratch for the whole call */
    kiln_arena *spec_tmp; /* scratch for one function, reset between functions */
    const win_input *in;
    uint32_t n;       /* live rows */
    uint32_t *bstart; /* nbatches + 1: first global row of each batch */
    uint32_t nparts;  /* partitions; parts[nparts] = n */
    uint32_t *parts;
    uint32_t npeers; /* peer groups (a partition starts one); peers[npeers] = n */
    uint32_t *peers;
    uint32_t max_part; /* rows in the largest partition */
    bool have_key;     /* the single order key, loaded for RANGE offsets */
    win_col key;
} win_ctx;

win_kind win_kind_of(const col_type *t);
/* Gathers column col of the input into c: raw always (fixed width), canon
 * when want_canon. Arrays in the arena ar. */
int win_load_col(win_ctx *x, kiln_arena *ar, int col, bool want_canon, win_col *c);
/* Makes c->cntv and c->pos. */
int win_prefix_valid(win_ctx *x, kiln_arena *ar, win_col *c);

/* Fills out (x->in->nbatches vectors, in x->out) with the rows of raw
 * (n values of t, in x->out) and valid (n bytes or NULL). */
int win_emit(win_ctx *x, const col_type *t, void *raw, const uint8_t *valid, col_vec *out);
/* Output rows gathered from src by idx (n entries; WIN_NONE is null,
 * WIN_DEFAULT takes the default: def_col's row or the constant def). */
int win_emit_gather(win_ctx *x, const win_col *src, const uint32_t *idx, const win_col *def_col,
                    const col_vec *def, col_vec *out);

/* The same for nested types, row by row from column srccol (defcol: the
 * default's column or -1). */
int win_emit_gather_nested(win_ctx *x, int srccol, const uint32_t *idx, int defcol,
                           const col_vec *def, const col_type *t, col_vec *out);
/* Every output row null. */
int win_emit_all_null(win_ctx *x, const col_type *t, col_vec *out);

/* Frame functions (window_frame.c): first, last, nth_value, count, sum,
 * avg, min, max, variance and stddev, into out. */
int win_frame_fn(win_ctx *x, const win_spec *s, const col_type *rt, col_vec *out);

#pragma GCC visibility pop
#endif
