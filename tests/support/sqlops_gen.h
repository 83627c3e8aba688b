/*
 * sqlops_gen.h - random vectors for the tests of the SQL operator cores
 * (test_sql_vec_hash, _agg, _join, _sort): int64, double and string
 * columns with nulls and edge values, made in an arena.
 */
#ifndef KILN_TEST_SQLOPS_GEN_H
#define KILN_TEST_SQLOPS_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column/column.h"
#include "kiln.h"

static inline uint64_t sg_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A flat vector of type t with n rows, a validity bitmap when nulls. */
static inline col_vec sg_vec(kiln_arena *a, const col_type *t, uint32_t n, int nulls)
{
    col_vec v;
    if (col_vec_init(&v, a, t, n ? n : 1)) abort();
    v.n = n;
    if (nulls && col_vec_add_validity(&v, a, n ? n : 1)) abort();
    return v;
}

/* Key shapes: 0 random in [0, groups), 1 all equal, 2 skewed (90% one key). */
static inline int64_t sg_key(uint64_t *s, int shape, int64_t groups)
{
    if (shape == 1) return 7;
    if (shape == 2 && sg_next(s) % 10 != 0) return 42;
    return (int64_t)(sg_next(s) % (uint64_t)groups);
}

/* Unicode and ASCII strings of up to 30 bytes drawn from `groups` values. */
static inline col_str sg_str(kiln_arena *a, int64_t k)
{
    static const char *const parts[] = {"id", "é", "日本", "😀", "x", "long-prefix-common-", ""};
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s%s%03lld", parts[k % 7], parts[(k / 7) % 7], (long long)k);
    col_str s;
    if (!col_str_copy(a, buf, (uint32_t)n, &s)) abort();
    return s;
}

#endif
