/*
 * bench_sql.h - what the SQL benchmark programs (sql_tpch, sql_h2o) share:
 * opening a context and a session, reading a query file whole and
 * ordering run times for medians.
 */
#ifndef KILN_BENCH_SQL_H
#define KILN_BENCH_SQL_H

#include <stdio.h>
#include <stdlib.h>

#include "kiln.h"
#include "kiln/sql.h"

/* A context on $KILN_MASTER (else master, or when NULL the --master that
 * kiln_init took) and a session on it; prog names the program in the
 * message printed on failure. Returns 0, or 1 after printing the error. */
static inline int bench_sql_open(const char *prog, const char *master, kiln_context **ctx,
                                 kiln_session **s)
{
    kiln_conf *conf = kiln_conf_new();
    const char *m = getenv("KILN_MASTER");
    if (m || master) kiln_conf_set(conf, "kiln.master", m ? m : master);
    int rc = kiln_context_new(conf, ctx);
    kiln_conf_free(conf);
    if (!rc && (rc = kiln_session_new(*ctx, s))) kiln_context_free(*ctx);
    if (rc) fprintf(stderr, "%s: %s\n", prog, kiln_last_error());
    return rc ? 1 : 0;
}

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
