/*
 * bench/csv_read_bench.c - CSV parse speed of the datasource layer on one
 * core: generates (once) a CSV of bigint, double, string and timestamp
 * columns of about SIZE_MB megabytes, then reads it as one split with a
 * given schema and prints MB/s, rows/s and checksums (count, sum of the
 * ints, sum of the doubles) to compare with DuckDB's
 *   SELECT count(*), sum(a), sum(b) FROM read_csv('FILE', ...)
 *
 * usage: csv_read_bench [FILE [SIZE_MB [RUNS]]]   (default /tmp/kiln-csv-bench.csv 1024 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "datasource/datasource.h"
#include "kiln.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void generate(const char *path, long mb)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    static const char *const words[] = {"alpha",   "beta", "gamma", "delta, with comma",
                                        "epsilon", "zeta", "eta",   "theta"};
    uint64_t s = 1;
    long long bytes = 0, target = mb * 1024LL * 1024LL;
    fputs("a,b,c,d\n", f);
    while (bytes < target) {
        uint64_t x = rnd(&s);
        const char *w = words[x % 8];
        bool q = strchr(w, ',') != NULL;
        int n = fprintf(f, "%lld,%lld.%02d,%s%s%u%s,2020-%02d-%02d %02d:%02d:%02d\n",
                        (long long)(x >> 40) - 8000000, (long long)((x >> 20) % 1000000) - 500000,
                        (int)(x % 100), q ? "\"" : "", w, (unsigned)(x >> 50), q ? "\"" : "",
                        (int)(x % 12) + 1, (int)((x >> 8) % 28) + 1, (int)((x >> 13) % 24),
                        (int)((x >> 17) % 60), (int)((x >> 23) % 60));
        bytes += n;
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "csv_read_bench [FILE [SIZE_MB [RUNS]]]\n"
        "Writes FILE (default /tmp/kiln-csv-bench.csv, SIZE_MB of bigint, double, string and\n"
        "timestamp columns) once, then reads it RUNS times with one CSV reader.\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    const char *path = argc > 1 ? argv[1] : "/tmp/kiln-csv-bench.csv";
    long mb = argc > 2 ? atol(argv[2]) : 1024;
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size < mb * 1024LL * 1024LL) {
        double t0 = now();
        generate(path, mb);
        stat(path, &st);
        fprintf(stderr, "generated %s (%lld bytes) in %.1f s\n", path, (long long)st.st_size,
                now() - t0);
    }
    kiln_arena *a = kiln_arena_new();
    col_schema sc;
    size_t pos;
    const char *ddl = "a BIGINT, b DOUBLE, c STRING, d TIMESTAMP";
    if (col_schema_parse_ddl(a, ddl, strlen(ddl), &sc, &pos)) return 1;
    ds_options *o = ds_options_new();
    ds_options_set(o, "header", "true");
    ds_split sp = {path, 0, st.st_size};
    for (int run = 0; run < runs; run++) {
        double t0 = now();
        ds_reader *r;
        if (ds_reader_open("csv", &sp, &sc, NULL, sc.n, o, &r)) {
            fprintf(stderr, "%s\n", kiln_last_error());
            return 1;
        }
        kiln_arena *ba = kiln_arena_new();
        col_batch b;
        long long rows = 0, sa = 0;
        double sb = 0;
        size_t slen = 0;
        int rc;
        while ((rc = ds_reader_next(r, ba, &b)) == 1) {
            const int64_t *av = b.cols[0].data;
            const double *bv = b.cols[1].data;
            const col_str *cv = b.cols[2].data;
            for (uint32_t i = 0; i < b.n; i++) {
                sa += av[i];
                sb += bv[i];
                slen += cv[i].len;
            }
            rows += b.n;
            kiln_arena_reset(ba);
        }
        ds_reader_close(r);
        kiln_arena_free(ba);
        if (rc < 0) {
            fprintf(stderr, "%s\n", kiln_last_error());
            return 1;
        }
        double t = now() - t0;
        printf("run %d: %.2f s, %.0f MB/s, %.2f M rows/s; count %lld sum(a) %lld sum(b) %.2f "
               "len(c) %zu\n",
               run, t, st.st_size / 1e6 / t, rows / 1e6 / t, rows, sa, sb, slen);
    }
    ds_options_free(o);
    kiln_arena_free(a);
    return 0;
}
