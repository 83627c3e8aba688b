/*
 * sql_tpch.c - the 22 TPC-H queries on tables cached in memory (DataFrame
 * cache), as bench/run-sql-tpch.sh runs it against DuckDB's in-memory
 * tables.
 *
 *     sql_tpch VIEWS.sql QUERY_DIR OUT_DIR [RUNS]
 *
 * VIEWS.sql defines the eight tables (tests/sql/tpch_views.sql with its
 * ${TPCH} and ${EXT} filled in); each is cached and counted (the load),
 * then each query runs RUNS times (default 5). Prints the load time, each
 * query's median and minimum in ms and the median of the CPU time it took
 * (the process's, all threads; steadier on a shared machine), and the sums
 * of medians; writes each query's rows (tab-separated) to OUT_DIR/qNN.tsv
 * for checking.
 * TPCH_QUERIES=6,14 runs just those queries; TPCH_NO_CACHE=1 caches
 * nothing, so each query reads the views' files (bench/run-sql-tpch-parquet.sh).
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "bench_sql.h"
#include "kiln.h"
#include "kiln/sql.h"

/* Milliseconds on the monotonic clock. */
static double now_ms(void)
{
    return now() * 1e3;
}

/* Milliseconds of the process's CPU time. */
static double cpu_ms(void)
{
    return cpu_now() * 1e3;
}

/* Whether q is in the comma-separated list. */
static bool listed(const char *list, int q)
{
    for (const char *p = list; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) return false;
        if (v == q) return true;
        p = *end == ',' ? end + 1 : end;
    }
    return false;
}

/* Writes the rows of v (a list of tuples) tab-separated to path. */
static void write_rows(const char *path, const kiln_value *v)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t i = 0; i < v->len; i++) {
        const kiln_value *t = &v->u.items[i];
        for (uint32_t c = 0; c < t->len; c++) {
            b.len = 0;
            if (t->u.items[c].type == KILN_NULL) kiln_buf_append(&b, "NULL", 4);
            else kiln_value_format(&b, &t->u.items[c]);
            fprintf(f, "%s%.*s", c ? "\t" : "", (int)b.len, (const char *)b.data);
        }
        fputc('\n', f);
    }
    kiln_buf_release(&b);
    fclose(f);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "sql_tpch [--master M] [--conf k=v] VIEWS.sql QUERY_DIR OUT_DIR [RUNS]\n"
        "Caches the TPC-H tables VIEWS.sql defines, then times the 22 queries of QUERY_DIR\n"
        "(RUNS times each, default 5); writes their rows to OUT_DIR/qNN.tsv.\n";
    if (kiln_init(&argc, &argv)) return 1;
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 4) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int runs = argc > 4 ? atoi(argv[4]) : 5;
    kiln_context *ctx;
    kiln_session *s;
    if (bench_sql_open("sql_tpch", "local[2]", &ctx, &s)) return 1;
    char *views = slurp(argv[1]);
    if (!views || !kiln_sql(s, views)) {
        fprintf(stderr, "sql_tpch: views: %s\n", views ? kiln_last_error() : "unreadable");
        return 1;
    }
    static const char *const tables[] = {"nation",   "region",   "part",   "supplier",
                                         "partsupp", "customer", "orders", "lineitem"};
    double t0 = now_ms();
    /* TPCH_NO_CACHE=1: the queries read the views' files each time (the
     * Parquet suite, against DuckDB querying the same files). */
    const char *no_cache = getenv("TPCH_NO_CACHE");
    bool cache = !no_cache || strcmp(no_cache, "1") != 0;
    for (size_t i = 0; cache && i < sizeof tables / sizeof tables[0]; i++) {
        kiln_df *df = kiln_df_cache(kiln_session_table(s, tables[i]));
        int64_t n;
        if (!df || kiln_df_count(df, &n) || kiln_df_create_or_replace_temp_view(df, tables[i])) {
            fprintf(stderr, "sql_tpch: caching %s: %s\n", tables[i], kiln_last_error());
            return 1;
        }
        printf("cached %s: %lld rows\n", tables[i], (long long)n);
    }
    printf("load: %.0f ms\n", now_ms() - t0);
    double total = 0, total_cpu = 0;
    const char *only = getenv("TPCH_QUERIES"); /* e.g. "6,14": just those */
    for (int q = 1; q <= 22; q++) {
        if (only && !listed(only, q)) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/q%02d.sql", argv[2], q);
        char *text = slurp(path);
        if (!text) {
            fprintf(stderr, "sql_tpch: cannot read %s\n", path);
            return 1;
        }
        double *ms = calloc((size_t)runs, sizeof *ms), *cpu = calloc((size_t)runs, sizeof *cpu);
        for (int r = 0; r < runs; r++) {
            kiln_arena *a = kiln_arena_new();
            double t = now_ms(), c = cpu_ms();
            kiln_df *df = kiln_sql(s, text);
            kiln_value rows;
            if (!df || kiln_df_collect(df, a, &rows)) {
                fprintf(stderr, "sql_tpch: q%02d: %s\n", q, kiln_last_error());
                return 1;
            }
            ms[r] = now_ms() - t;
            cpu[r] = cpu_ms() - c;
            if (r == 0) {
                snprintf(path, sizeof path, "%s/q%02d.tsv", argv[3], q);
                write_rows(path, &rows);
            }
            kiln_df_free(df);
            kiln_arena_free(a);
        }
        qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
        printf("q%02d median %.0f ms min %.0f ms cpu %.0f ms\n", q, ms[runs / 2], ms[0],
               cpu[runs / 2]);
        total += ms[runs / 2];
        total_cpu += cpu[runs / 2];
        free(ms);
        free(cpu);
        free(text);
    }
    printf("total of medians: %.0f ms\n", total);
    printf("total of cpu medians: %.0f ms\n", total_cpu);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return 0;
}
