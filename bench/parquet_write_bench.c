/*
 * parquet_write_bench.c - times kiln's Parquet writer on a table cached
 * in memory, as bench/run-parquet-write.sh runs it against DuckDB's
 * COPY ... TO (FORMAT parquet).
 *
 *     parquet_write_bench VIEWS.sql TABLE OUT_DIR CODEC [RUNS]
 *
 * VIEWS.sql defines TABLE (a CSV view); it is cached and counted (the
 * load), then written RUNS times (default 3) as Parquet with CODEC into
 * OUT_DIR (overwrite). Prints each run's wall and CPU time (the
 * process's, all threads) in ms, the medians, and the bytes written.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_clock.h"
#include "bench_sql.h"
#include "kiln.h"
#include "kiln/sql.h"

static long long dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    long long n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && stat(p, &st) == 0) n += st.st_size;
    }
    if (d) closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "parquet_write_bench [--master M] [--conf k=v] VIEWS.sql TABLE OUT_DIR CODEC [RUNS]\n"
        "Caches TABLE of VIEWS.sql, then writes it RUNS times (default 3) as Parquet with\n"
        "CODEC into OUT_DIR, timing each write (wall and CPU).\n";
    if (kiln_init(&argc, &argv)) return 1;
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 5) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int runs = argc > 5 ? atoi(argv[5]) : 3;
    if (runs < 1 || runs > 100) runs = 3;
    kiln_context *ctx;
    kiln_session *s;
    if (bench_sql_open("parquet_write_bench", "local[2]", &ctx, &s)) return 1;
    char *views = slurp(argv[1]);
    if (!views || !kiln_sql(s, views)) {
        fprintf(stderr, "parquet_write_bench: views: %s\n",
                views ? kiln_last_error() : "unreadable");
        return 1;
    }
    double t0 = now();
    kiln_df *df = kiln_df_cache(kiln_session_table(s, argv[2]));
    int64_t rows = 0;
    if (!df || kiln_df_count(df, &rows)) {
        fprintf(stderr, "parquet_write_bench: load: %s\n", kiln_last_error());
        return 1;
    }
    printf("cached %s: %lld rows in %.0f ms\n", argv[2], (long long)rows, (now() - t0) * 1e3);
    double wall[100], cpu[100];
    for (int r = 0; r < runs; r++) {
        double w0 = now(), c0 = cpu_now();
        kiln_writer *w = kiln_writer_option(kiln_writer_mode(kiln_df_write(df), "overwrite"),
                                            "compression", argv[4]);
        if (kiln_writer_parquet(w, argv[3])) {
            fprintf(stderr, "parquet_write_bench: write: %s\n", kiln_last_error());
            return 1;
        }
        wall[r] = (now() - w0) * 1e3;
        cpu[r] = (cpu_now() - c0) * 1e3;
        printf("run %d: wall %.0f ms, cpu %.0f ms\n", r + 1, wall[r], cpu[r]);
    }
    qsort(wall, (size_t)runs, sizeof *wall, cmp_double);
    qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
    printf("kiln %s: median wall %.0f ms, median cpu %.0f ms, %lld bytes\n", argv[4],
           wall[runs / 2], cpu[runs / 2], dir_bytes(argv[3]));
    free(views);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return 0;
}
