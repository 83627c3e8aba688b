/*
 * sql/select_nth.h - order statistics of arrays of doubles and int64s
 * without a comparator call per comparison: introselect (quickselect on a
 * median-of-three or ninther pivot, branchless partition, heapsort past a depth
 * limit) and introsort, type-specialised with inline comparisons. Doubles
 * order as Spark orders them: NaN largest (all NaNs equal), -0.0 equal to
 * 0.0. Used by the percentile aggregates (agg_fn_pct.c).
 */
#ifndef KILN_SQL_SELECT_NTH_H
#define KILN_SQL_SELECT_NTH_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Rearranges v[0..n) so that v[k] is the value of rank k (0-based,
 * ascending), every value before it is <= v[k] and every value after it
 * >= v[k]. k < n; n may be 0 (nothing happens). Borrows v. */
void sel_nth_f64(double *v, size_t n, size_t k);
void sel_nth_i64(int64_t *v, size_t n, size_t k);

/* Sorts v[0..n) ascending (doubles: NaN last). Not stable. Borrows v. */
void sel_sort_f64(double *v, size_t n);
void sel_sort_i64(int64_t *v, size_t n);

/* Puts the values of ranks[0..nr) (each in [0, n), duplicates allowed)
 * at their positions in v[0..n), as sel_nth does for one rank: sorts the
 * ranks in place, then selects each on the range right of the previous
 * one, or sorts v when there are many ranks. Borrows v and ranks. */
void sel_ranks_f64(double *v, size_t n, int64_t *ranks, size_t nr);
void sel_ranks_i64(int64_t *v, size_t n, int64_t *ranks, size_t nr);

#pragma GCC visibility pop
#endif
