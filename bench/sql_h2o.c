/*
 * sql_h2o.c - the H2O db-benchmark group-by questions on a table cached in
 * memory (DataFrame cache), as bench/run-sql-h2o.sh runs it against
 * DuckDB's in-memory table.
 *
 *     sql_h2o [--master M] [--conf k=v] FILE QUERY_DIR OUT_DIR [RUNS]
 *
 * Reads FILE (h2o_gen's CSV: id1..id3 STRING, id4..id6 INT, v1 v2 INT,
 * v3 DOUBLE, a header line, empty fields NULL) into a cached DataFrame, the
 * view x, and prints "load MS ms ROWS rows". Each run of a question is
 * timed as the H2O benchmark times Spark: the answer is cached
 * (`df.cache()`) and counted, then dropped (`unpersist`). The first run
 * of a question also writes its answer as CSV into OUT_DIR/NAME/ (part
 * files, no header, NULL as an empty field), untimed.
 *
 * With RUNS, runs QUERY_DIR/groupby-q01.sql .. q10.sql RUNS times each and
 * prints each one's median and minimum (wall, and the median of the
 * process's CPU time) and the sum of medians. Without,
 * it takes orders on stdin, one question name a line (groupby-q03), runs
 * that question once and answers "NAME MS ROWS CPU_MS" on stdout, so that a
 * script can run kiln and a peer alternately on the same question; it
 * answers "ready" after the load and stops at the end of its input.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* CPU time of the process (all threads, user and system) in ms. */
static double cpu_ms(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* The questions already answered once (their answers written). */
static char written[64][64];
static int nwritten;

/* Runs question name (QUERY_DIR/name.sql) once: the time of caching and
 * counting its answer into *ms (the process's CPU time into *cpu), the
 * count into *rows; writes the answer into out_dir/name/ the first time.
 * Returns 0, or 1 after printing why. */
static int run_question(kiln_session *s, const char *qdir, const char *out_dir, const char *name,
                        double *ms, double *cpu, int64_t *rows)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.sql", qdir, name);
    char *text = slurp(path);
    if (!text) {
        fprintf(stderr, "sql_h2o: cannot read %s\n", path);
        return 1;
    }
    double t = now_ms(), c = cpu_ms();
    kiln_df *df = kiln_sql(s, text);
    free(text);
    if (!df || !kiln_df_cache(df) || kiln_df_count(df, rows)) {
        fprintf(stderr, "sql_h2o: %s: %s\n", name, kiln_last_error());
        return 1;
    }
    *ms = now_ms() - t;
    *cpu = cpu_ms() - c;
    bool seen = false;
    for (int i = 0; i < nwritten; i++) seen |= !strcmp(written[i], name);
    if (!seen && nwritten < 64) {
        snprintf(written[nwritten++], sizeof written[0], "%s", name);
        snprintf(path, sizeof path, "%s/%s", out_dir, name);
        kiln_writer *w = kiln_writer_mode(kiln_df_write(df), "overwrite");
        if (kiln_writer_csv(w, path)) {
            fprintf(stderr, "sql_h2o: writing %s: %s\n", path, kiln_last_error());
            return 1;
        }
    }
    kiln_df_unpersist(df);
    kiln_df_free(df);
    return 0;
}

/* Loads file into the cached view x; prints the time. Returns 0 or 1. */
static int load(kiln_session *s, const char *file)
{
    double t = now_ms();
    kiln_reader *r = kiln_session_read(s);
    r = kiln_reader_option(r, "header", "true");
    r = kiln_reader_schema(r, "id1 STRING, id2 STRING, id3 STRING, id4 INT, id5 INT, id6 INT, "
                              "v1 INT, v2 INT, v3 DOUBLE");
    kiln_df *df = kiln_df_cache(kiln_reader_csv(r, file));
    int64_t n;
    if (!df || kiln_df_count(df, &n) || kiln_df_create_or_replace_temp_view(df, "x")) {
        fprintf(stderr, "sql_h2o: loading %s: %s\n", file, kiln_last_error());
        return 1;
    }
    printf("load %.0f ms %lld rows\n", now_ms() - t, (long long)n);
    fflush(stdout);
    return 0;
}

/* Runs the ten questions runs times each, printing medians. */
static int run_suite(kiln_session *s, const char *qdir, const char *out_dir, int runs)
{
    double total = 0;
    double *ms = calloc((size_t)runs, sizeof *ms), *cpu = calloc((size_t)runs, sizeof *cpu);
    for (int q = 1; q <= 10; q++) {
        char name[32];
        snprintf(name, sizeof name, "groupby-q%02d", q);
        int64_t rows = 0;
        for (int r = 0; r < runs; r++)
            if (run_question(s, qdir, out_dir, name, &ms[r], &cpu[r], &rows)) return 1;
        qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
        printf("%s median %.0f ms min %.0f ms cpu %.0f ms rows %lld\n", name, ms[runs / 2], ms[0],
               cpu[runs / 2], (long long)rows);
        fflush(stdout);
        total += ms[runs / 2];
    }
    free(ms);
    free(cpu);
    printf("total of medians: %.0f ms\n", total);
    return 0;
}

/* Answers the questions named on stdin, one run each. */
static int serve(kiln_session *s, const char *qdir, const char *out_dir)
{
    printf("ready\n");
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!*line) continue;
        double ms, cpu;
        int64_t rows;
        if (run_question(s, qdir, out_dir, line, &ms, &cpu, &rows)) return 1;
        printf("%s %.1f %lld %.0f\n", line, ms, (long long)rows, cpu);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "sql_h2o [--master M] [--conf k=v] FILE QUERY_DIR OUT_DIR [RUNS]\n"
        "Caches h2o_gen's CSV FILE as the view x, then times the group-by questions of\n"
        "QUERY_DIR (RUNS times each; without RUNS, the ones named on stdin) and writes\n"
        "their answers into OUT_DIR/NAME/.\n";
    if (kiln_init(&argc, &argv)) return 1;
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 4) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    kiln_context *ctx;
    kiln_session *s; /* on --master, as the script passes, unless KILN_MASTER */
    if (bench_sql_open("sql_h2o", NULL, &ctx, &s)) return 1;
    int rc = load(s, argv[1]);
    if (!rc)
        rc = argc > 4 ? run_suite(s, argv[2], argv[3], atoi(argv[4]) > 0 ? atoi(argv[4]) : 1)
                      : serve(s, argv[2], argv[3]);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return rc;
}
