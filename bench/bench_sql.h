/*
 * bench_sql.h - what the SQL benchmark programs (sql_tpch, sql_h2o) share:
 * reading a query file whole and ordering run times for medians.
 */
#ifndef KILN_BENCH_SQL_H
#define KILN_BENCH_SQL_H

#include <stdio.h>
#include <stdlib.h>

/* The whole of the file at path, NUL-terminated (owned: free it), or NULL. */
static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

/* qsort's comparison of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
