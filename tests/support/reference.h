/*
 * reference.h - straightforward sequential implementations of kiln's RDD
 * operators over plain arrays of kiln_value, used by the operator tests as
 * the expected answer. Speed is not a goal: every function is the obvious
 * loop, written so that a reader can check it against the header's
 * one-line description of the operator.
 *
 * Conventions for the whole file: inputs are borrowed; results are LIST
 * values whose items array is allocated in the arena a (the caller owns a);
 * the parts of result items (strings, tuple items) point into the inputs or
 * into a, so results live as long as both. Equality of keys is
 * kiln_value_eq with kiln_value_hash (as a hash partitioner would use);
 * ordering is kiln_value_cmp. Groups and distinct values appear in the order
 * their first member appears in the input.
 *
 * Out of memory aborts the test process: these are test helpers.
 */
#ifndef KILN_TEST_REFERENCE_H
#define KILN_TEST_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* A pure binary operation for reductions: *out = x op y, built in a.
 * Returns 0, or nonzero for a value it cannot handle. */
typedef int (*ref_binop)(kiln_arena *a, const kiln_value *x, const kiln_value *y, kiln_value *out);
/* A pure unary operation: *out = f(x), built in a. */
typedef int (*ref_unop)(kiln_arena *a, const kiln_value *x, kiln_value *out);

/* Returns arena memory for n items (never NULL; aborts when out of memory). */
kiln_value *ref_alloc(kiln_arena *a, size_t n);
/* A list holding a copy of the n item structs (shallow). */
kiln_value ref_list(kiln_arena *a, const kiln_value *items, size_t n);
/* A tuple holding a copy of the n item structs (shallow). */
kiln_value ref_tuple(kiln_arena *a, const kiln_value *items, size_t n);
/* A pair built in a (shallow); aborts when out of memory. */
kiln_value ref_pair(kiln_arena *a, kiln_value k, kiln_value v);

/* ---- Ordering ------------------------------------------------------------ */

/* A stably sorted copy of list (ascending or descending kiln_value_cmp). */
kiln_value ref_sorted(kiln_arena *a, const kiln_value *list, bool ascending);
/* A stably sorted copy of a list of pairs, ordered by key only. */
kiln_value ref_sorted_by_key(kiln_arena *a, const kiln_value *list, bool ascending);
/* A copy of v in which every list, at every depth, is sorted: the canonical
 * form used to compare results whose inner lists have no specified order
 * (group_by_key, cogroup, glom of a shuffle). */
kiln_value ref_canonical(kiln_arena *a, const kiln_value *v);
/* The n smallest values ascending / the n largest descending. */
kiln_value ref_take_ordered(kiln_arena *a, const kiln_value *v, size_t n, size_t k);
kiln_value ref_top(kiln_arena *a, const kiln_value *v, size_t n, size_t k);
/* Index of the smallest / largest value (first one on ties); n > 0. */
size_t ref_min_index(const kiln_value *v, size_t n);
size_t ref_max_index(const kiln_value *v, size_t n);
/* True when every value of sub occurs in of at least as many times. */
bool ref_is_sub_multiset(kiln_arena *a, const kiln_value *sub, size_t nsub, const kiln_value *of,
                         size_t nof);

/* ---- Partition layout ------------------------------------------------------ */

/* Spark's slicing of a parallelized collection: slice i of k over n values
 * covers [i*n/k, (i+1)*n/k). */
void ref_slice(size_t n, int k, int i, size_t *lo, size_t *hi);
/* A list of k lists, slice i holding the values of slice i. */
kiln_value ref_glom(kiln_arena *a, const kiln_value *v, size_t n, int k);

/* ---- Set operations -------------------------------------------------------- */

kiln_value ref_distinct(kiln_arena *a, const kiln_value *v, size_t n);
/* Distinct values present in both x and y. */
kiln_value ref_intersection(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                            size_t ny);
/* Values of x (with their duplicates) that do not occur in y. */
kiln_value ref_subtract(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                        size_t ny);
/* (xi, yj) for every i and j. */
kiln_value ref_cartesian(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                         size_t ny);
/* (v_i, i). */
kiln_value ref_zip_with_index(kiln_arena *a, const kiln_value *v, size_t n);

/* ---- Key-value operations (inputs are arrays of pairs) ---------------------- */

/* (k, [v...]) with the values in input order. */
kiln_value ref_group_by_key(kiln_arena *a, const kiln_value *pairs, size_t n);
/* (k, v1 op v2 op ...) folded left in input order. */
kiln_value ref_reduce_by_key(kiln_arena *a, const kiln_value *pairs, size_t n, ref_binop op);
/* (k, seq(...seq(seq(zero, v1), v2)...)). */
kiln_value ref_aggregate_by_key(kiln_arena *a, const kiln_value *pairs, size_t n,
                                const kiln_value *zero, ref_binop seq);
/* (k, merge(...merge(create(v1), v2)...)). */
kiln_value ref_combine_by_key(kiln_arena *a, const kiln_value *pairs, size_t n, ref_unop create,
                              ref_binop merge);

enum ref_join_kind { REF_INNER, REF_LEFT_OUTER, REF_RIGHT_OUTER, REF_FULL_OUTER };
/* (k, (v, w)) for every matching v in x and w in y; the outer kinds add
 * (k, (v, null)) / (k, (null, w)) for records with no match on the other side. */
kiln_value ref_join(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y, size_t ny,
                    enum ref_join_kind kind);
/* (k, ([v...], [w...])) for every key of x or y. */
kiln_value ref_cogroup(kiln_arena *a, const kiln_value *x, size_t nx, const kiln_value *y,
                       size_t ny);
/* (key, count) / (value, count) pairs sorted by key / value. */
kiln_value ref_count_by_key(kiln_arena *a, const kiln_value *pairs, size_t n);
kiln_value ref_count_by_value(kiln_arena *a, const kiln_value *v, size_t n);
/* The values of the pairs whose key equals key, in input order. */
kiln_value ref_lookup(kiln_arena *a, const kiln_value *pairs, size_t n, const kiln_value *key);

/* ---- Numbers ------------------------------------------------------------------ */

/* Statistics of ints and doubles computed in long double, two passes.
 * variance is the population variance; sample_variance divides by n - 1. */
typedef struct ref_stats {
    int64_t count;
    long double sum, mean, min, max, variance, sample_variance;
} ref_stats;
/* Returns 0, or KILN_ETYPE when a value is not a number. */
int ref_compute_stats(const kiln_value *v, size_t n, ref_stats *out);

/* ---- Text ------------------------------------------------------------------------ */

/* The lines of a text (split at "\n", a trailing "\r" removed; a final line
 * without "\n" counts, an empty text or a final "\n" adds no empty line), as
 * strings pointing into text. */
kiln_value ref_lines(kiln_arena *a, const char *text, size_t len);
/* The runs of non-whitespace (ASCII space, \t \n \v \f \r) of a string value,
 * as strings pointing into it. */
kiln_value ref_split_whitespace(kiln_arena *a, const kiln_value *s);
/* kiln_value_format of v as a string value in a. */
kiln_value ref_format(kiln_arena *a, const kiln_value *v);

#endif
