/*
 * sql/join_table.h - the hash join's table: the build side's keys and
 * payload kept column by column, a chained hash table over the build rows,
 * and a probe that turns a batch of probe keys into (probe row, build row)
 * pairs, vectorised (hash the batch, walk the chains in lockstep, compare
 * the candidates' keys column by column). The caller gathers the output
 * columns: the probe side with col_vec_gather, the build side with
 * join_table_gather.
 *
 * Join types (the probe side is the left one): inner; left outer (probe
 * rows without a match paired with JOIN_NO_ROW, whose build columns are
 * null); right and full outer (build rows never matched come out of
 * join_table_unmatched after the last probe); left semi and left anti
 * (probe rows only, each at most once). Null keys never match, except for
 * keys marked null-safe (<=>). null_aware (NOT IN, one key): when the build
 * side has a null key no probe row survives, a null probe key never
 * survives unless the build side is empty.
 *
 * An extra condition (a residual predicate over both sides) is a callback
 * that gets candidate pairs in batches and keeps a subset; outer, semi and
 * anti joins count only kept pairs as matches.
 */
#ifndef KILN_SQL_JOIN_TABLE_H
#define KILN_SQL_JOIN_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

typedef enum join_type {
    JOIN_INNER,
    JOIN_LEFT,
    JOIN_RIGHT,
    JOIN_FULL,
    JOIN_SEMI,
    JOIN_ANTI,
} join_type;

#define JOIN_NO_ROW UINT32_MAX

/* Keeps the candidate pairs (probe_rows[k], build_rows[k]) for which the
 * condition holds: writes their positions k, ascending, to keep and their
 * number to *nkeep. Returns KILN_OK or an error that ends the probe. */
typedef int (*join_filter_fn)(void *arg, const uint32_t *probe_rows, const uint32_t *build_rows,
                              uint32_t n, uint32_t *keep, uint32_t *nkeep);

typedef struct join_table join_table;

/* A table for nkeys keys of the given types (fixed-width or string;
 * null_safe[k] for <=> keys, NULL for none) with npay payload columns.
 * Returns an owned table or NULL. */
join_table *join_table_new(const col_type *const *key_types, int nkeys, const bool *null_safe,
                           const col_type *const *pay_types, int npay, join_type type,
                           bool null_aware);
void join_table_free(join_table *t);
/* Sets the residual condition (NULL: none) of the probes started after
 * it; join_probe_set_filter sets one probe's instead. A finished table
 * with no build-row marks (not right or full) is only read by probes, so
 * several threads may probe it at once, each with its own condition (a
 * broadcast join's table, built once per process). */
void join_table_set_filter(join_table *t, join_filter_fn fn, void *arg);
/* Adds build rows sel[0..count) of the key and payload vectors (copied). */
int join_table_add_batch(join_table *t, const col_vec *keys, const col_vec *pay,
                         const uint32_t *sel, uint32_t count);
/* Builds the hash table; no more add_batch after it. */
int join_table_finish(join_table *t);
/* Build rows held, bytes held. */
size_t join_table_rows(const join_table *t);
size_t join_table_bytes(const join_table *t);

/* The state of probing one batch (caller-owned, no release needed). */
typedef struct join_probe {
    join_table *t;
    join_filter_fn filter; /* the residual condition (the table's unless set) */
    void *filter_arg;
    const col_vec *keys;
    uint32_t count;
    uint32_t next; /* next probe position to start */
    uint32_t nactive;
    uint32_t active[COL_VEC_SIZE]; /* positions whose chains are being walked */
    uint32_t cur[COL_VEC_SIZE];    /* their next build row (JOIN_NO_ROW: done) */
    uint32_t rows[COL_VEC_SIZE];   /* probe row of each position */
    uint64_t h[COL_VEC_SIZE];
    uint8_t matched[COL_VEC_SIZE];
    uint32_t tail; /* emitting the unmatched / anti rows: next position */
    bool done;
} join_probe;

/* Starts probing rows sel[0..count) (count <= COL_VEC_SIZE) of keys (borrowed until done). */
void join_probe_start(join_probe *p, join_table *t, const col_vec *keys, const uint32_t *sel,
                      uint32_t count);
/* Sets the residual condition of the probe started last (NULL: none). */
static inline void join_probe_set_filter(join_probe *p, join_filter_fn fn, void *arg)
{
    p->filter = fn;
    p->filter_arg = arg;
}
/* Up to max (>= 1) output pairs into probe_rows / build_rows (build row
 * JOIN_NO_ROW for an unmatched left row; semi/anti: build_rows unused,
 * may be NULL); *n = 0 when the batch is done. */
int join_probe_next(join_probe *p, uint32_t *probe_rows, uint32_t *build_rows, uint32_t max,
                    uint32_t *n);
/* After the last probe (right/full): up to max build rows never matched,
 * from *cursor (start at 0); returns how many (0: done). */
uint32_t join_table_unmatched(join_table *t, size_t *cursor, uint32_t *rows, uint32_t max);
/* Payload column col (or key column -1 - k) of build rows rows[0..n)
 * (JOIN_NO_ROW gives null) into out, made in a; strings point into the table. */
int join_table_gather(const join_table *t, int col, const uint32_t *rows, uint32_t n, kiln_arena *a,
                      col_vec *out);

#pragma GCC visibility pop
#endif
