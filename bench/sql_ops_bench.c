/*
 * sql_ops_bench.c - single-thread throughput of the SQL operator cores
 * (src/sql: agg_table, join_table, sort) on generated columns; the data is
 * made before the clock starts; times are CPU seconds of the thread. Run
 * under /usr/bin/time -v for peak RSS.
 *
 *   sql_ops_bench agg ROWS GROUPS      int64 key, sum + count of an int64
 *   sql_ops_bench aggstr ROWS GROUPS   "id%03d" string key, sum + count
 *   sql_ops_bench join PROBE BUILD     inner join on int64, build payload gathered
 *   sql_ops_bench sort ROWS            ORDER BY a random int64
 *   sql_ops_bench sortstr ROWS         ORDER BY a random 10-20 byte string
 */
#include <kiln.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "sql/agg_table.h"
#include "sql/join_table.h"
#include "sql/sort.h"

/* CPU seconds of this thread: the machine may be shared, and the cores
 * are single-threaded, so CPU time is the figure that compares. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
#define now cpu

static uint64_t rng = 12345;
static uint64_t next(void)
{
    uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static col_vec flat(const col_type *t, void *data, uint32_t n)
{
    col_vec v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.n = n;
    v.data = data;
    return v;
}

static int bench_agg(size_t rows, size_t groups, bool str)
{
    int64_t *vals = malloc(rows * 8), *ik = NULL;
    col_str *sk = NULL;
    char *sbuf = NULL;
    if (str) {
        sk = malloc(rows * sizeof *sk);
        sbuf = malloc(groups * 16);
        for (size_t g = 0; g < groups; g++)
            snprintf(sbuf + g * 16, 16, "id%03u", (unsigned)(g % 1000000000) + 1);
        for (size_t i = 0; i < rows; i++) {
            const char *p = sbuf + (next() % groups) * 16;
            sk[i] = col_str_view(p, (uint32_t)strlen(p));
        }
    } else {
        ik = malloc(rows * 8);
        for (size_t i = 0; i < rows; i++) ik[i] = (int64_t)(next() % groups);
    }
    for (size_t i = 0; i < rows; i++) vals[i] = (int64_t)(next() % 100);
    kiln_arena *a = kiln_arena_new();
    agg_bound b[2];
    const col_type *i64 = &col_type_i64, *kt = str ? &col_type_string : &col_type_i64;
    agg_bind(&b[0], a, "sum", &i64, 1, false, false);
    agg_bind(&b[1], a, "count", &i64, 1, false, false);
    agg_table *t = agg_table_new(&kt, 1, b, 2, AGG_COMPLETE, true);
    double t0 = now();
    for (size_t off = 0; off < rows; off += COL_VEC_SIZE) {
        uint32_t n = (uint32_t)(rows - off < COL_VEC_SIZE ? rows - off : COL_VEC_SIZE);
        col_vec k = str ? flat(kt, sk + off, n) : flat(kt, ik + off, n);
        col_vec v = flat(i64, vals + off, n);
        const col_vec *args[2] = {&v, &v};
        if (agg_table_add_batch(t, &k, args, NULL, n)) {
            fprintf(stderr, "sql_ops_bench: %s\n", kiln_last_error());
            return 1;
        }
    }
    double t1 = now();
    size_t cur = 0, out = 0;
    col_batch r;
    kiln_arena *ra = kiln_arena_new();
    while (agg_table_result(t, &cur, ra, &r) == KILN_OK && r.n) {
        out += r.n;
        kiln_arena_reset(ra);
    }
    double t2 = now();
    printf("%s rows=%zu groups=%zu: build %.3f s, result %.3f s, %.1f M rows/s, table %.1f MB\n",
           str ? "aggstr" : "agg", rows, out, t1 - t0, t2 - t1, rows / (t2 - t0) / 1e6,
           agg_table_bytes(t) / 1e6);
    agg_table_free(t);
    kiln_arena_free(a);
    kiln_arena_free(ra);
    free(vals), free(ik), free(sk), free(sbuf);
    return 0;
}

static int bench_join(size_t probe, size_t build)
{
    int64_t *bk = malloc(build * 8), *bp = malloc(build * 8), *pk = malloc(probe * 8);
    for (size_t i = 0; i < build; i++) bk[i] = (int64_t)i * 2, bp[i] = (int64_t)i;
    for (size_t i = 0; i < probe; i++) pk[i] = (int64_t)(next() % (2 * build));
    const col_type *i64 = &col_type_i64;
    join_table *t = join_table_new(&i64, 1, NULL, &i64, 1, JOIN_INNER, false);
    double t0 = now();
    for (size_t off = 0; off < build; off += COL_VEC_SIZE) {
        uint32_t n = (uint32_t)(build - off < COL_VEC_SIZE ? build - off : COL_VEC_SIZE);
        col_vec k = flat(i64, bk + off, n), p = flat(i64, bp + off, n);
        join_table_add_batch(t, &k, &p, NULL, n);
    }
    join_table_finish(t);
    double t1 = now();
    join_probe *pr = malloc(sizeof *pr);
    kiln_arena *a = kiln_arena_new();
    size_t pairs = 0;
    int64_t check = 0;
    uint32_t prow[COL_VEC_SIZE], brow[COL_VEC_SIZE], got;
    for (size_t off = 0; off < probe; off += COL_VEC_SIZE) {
        uint32_t n = (uint32_t)(probe - off < COL_VEC_SIZE ? probe - off : COL_VEC_SIZE);
        col_vec k = flat(i64, pk + off, n);
        join_probe_start(pr, t, &k, NULL, n);
        while (join_probe_next(pr, prow, brow, COL_VEC_SIZE, &got) == KILN_OK && got) {
            col_vec g, pg;
            join_table_gather(t, 0, brow, got, a, &g);
            col_vec_gather(&pg, a, &k, prow, got);
            pairs += got;
            check += COL_DATA(&g, int64_t)[0];
            kiln_arena_reset(a);
        }
    }
    double t2 = now();
    printf("join probe=%zu build=%zu: build %.3f s, probe %.3f s (%.1f M probe rows/s), %zu "
           "pairs, table %.1f MB (check %lld)\n",
           probe, build, t1 - t0, t2 - t1, probe / (t2 - t1) / 1e6, pairs,
           join_table_bytes(t) / 1e6, (long long)check);
    join_table_free(t);
    kiln_arena_free(a);
    free(pr), free(bk), free(bp), free(pk);
    return 0;
}

static int bench_sort(size_t rows, bool str)
{
    int64_t *ik = NULL;
    col_str *sk = NULL;
    char *sbuf = NULL;
    const col_type *t = str ? &col_type_string : &col_type_i64;
    if (str) {
        sk = malloc(rows * sizeof *sk);
        sbuf = malloc(rows * 20);
        for (size_t i = 0; i < rows; i++) {
            uint32_t len = 10 + (uint32_t)(next() % 11);
            char *p = sbuf + i * 20;
            for (uint32_t j = 0; j < len; j++) p[j] = (char)('a' + next() % 26);
            sk[i] = col_str_view(p, len);
        }
    } else {
        ik = malloc(rows * 8);
        for (size_t i = 0; i < rows; i++) ik[i] = (int64_t)next();
    }
    sort_key key = {0, false, true};
    sql_sorter *s = sql_sorter_new(&t, 1, &key, 1);
    double t0 = now();
    for (size_t off = 0; off < rows; off += COL_VEC_SIZE) {
        uint32_t n = (uint32_t)(rows - off < COL_VEC_SIZE ? rows - off : COL_VEC_SIZE);
        col_batch b;
        memset(&b, 0, sizeof b);
        col_vec v = str ? flat(t, sk + off, n) : flat(t, ik + off, n);
        b.ncols = 1;
        b.n = n;
        b.cols = &v;
        sql_sorter_add_batch(s, &b);
    }
    double t1 = now();
    sql_sorter_finish(s);
    double t2 = now();
    kiln_arena *a = kiln_arena_new();
    col_batch out;
    size_t n = 0;
    while (sql_sorter_next_batch(s, a, &out) == KILN_OK && out.n) {
        n += out.n;
        kiln_arena_reset(a);
    }
    double t3 = now();
    printf("%s rows=%zu: add %.3f s, sort %.3f s, output %.3f s, total %.1f M rows/s, %.1f MB\n",
           str ? "sortstr" : "sort", n, t1 - t0, t2 - t1, t3 - t2, rows / (t3 - t0) / 1e6,
           sql_sorter_bytes(s) / 1e6);
    sql_sorter_free(s);
    kiln_arena_free(a);
    free(ik), free(sk), free(sbuf);
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "sql_ops_bench agg|aggstr ROWS GROUPS | join PROBE BUILD | sort|sortstr ROWS\n"
        "Single-thread throughput of the SQL hash aggregation, hash join and sort.\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 3) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    size_t a = strtoull(argv[2], NULL, 10), b = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
    if (!strcmp(argv[1], "agg") && b) return bench_agg(a, b, false);
    if (!strcmp(argv[1], "aggstr") && b) return bench_agg(a, b, true);
    if (!strcmp(argv[1], "join") && b) return bench_join(a, b);
    if (!strcmp(argv[1], "sort")) return bench_sort(a, false);
    if (!strcmp(argv[1], "sortstr")) return bench_sort(a, true);
    fprintf(stderr, "usage: %s", usage_text);
    return 2;
}
