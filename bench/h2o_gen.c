/*
 * h2o_gen.c - writes the H2O db-benchmark group-by table as CSV.
 *
 *     h2o_gen [-n N] [-k K] [-na PCT] [-sorted 0|1] -o FILE
 *     h2o_gen -n 1e7 -k 100 -na 0 -sorted 0 -o G1_1e7_1e2_0_0.csv
 *
 * The table of h2oai/db-benchmark's _data/groupby-datagen.R (re-implemented from its
 * description; R's random streams are not reproduced): N rows (default 1e7) of
 *
 *     id1, id2  "id%03d", uniform over 1..K          (K default 100)
 *     id3       "id%010d", uniform over 1..N/K
 *     id4, id5  integer, uniform over 1..K
 *     id6       integer, uniform over 1..N/K
 *     v1, v2    integer, uniform over 1..5
 *     v3        uniform over [0, 100), rounded to 4 decimals ("23.5749", "5.1", "17")
 *
 * with a header line id1,...,v3. With -na PCT, each of the nine columns gets exactly
 * floor(N * PCT / 100) empty (NA) fields at rows chosen independently per column. With -sorted 1
 * the rows are sorted by id1..id6 with NAs first, as data.table's setkeyv does (for K up to 999
 * the "id%03d" strings sort as their numbers); that holds the whole table in memory, 32 bytes a
 * row, while the unsorted table is streamed. N and K accept 1e7-style numbers. Deterministic:
 * the same arguments give the same file. FILE - is stdout. Needs only libc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

#define OUT_CAP (4u << 20)

static uint64_t rng_state = UINT64_C(0x68326f2d67726f75);

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [1, n], n < 2^32. */
static uint32_t uniform1(uint64_t n)
{
    return (uint32_t)(((next_u64() >> 32) * n) >> 32) + 1;
}

/* One row; 0 in an id or v field (v3: -1) stands for NA. */
typedef struct row {
    uint32_t id1, id2, id3, id4, id5, id6;
    int32_t v3; /* in units of 1e-4 */
    uint8_t v1, v2;
} row;

/* Knuth's selection sampling, per column: picks exactly `need` of the remaining rows. */
typedef struct na_pick {
    uint64_t need, left;
} na_pick;

static int na_take(na_pick *p)
{
    if (!p->need) return 0;
    /* Take this row with probability need / left. */
    int take = (next_u64() >> 11) * (double)p->left < (double)p->need * 9007199254740992.0;
    p->left--;
    if (take) p->need--;
    return take;
}

static uint64_t n_rows, k_groups;
static na_pick picks[9];

static void gen_row(row *r)
{
    r->id1 = uniform1(k_groups);
    r->id2 = uniform1(k_groups);
    r->id3 = uniform1(n_rows / k_groups);
    r->id4 = uniform1(k_groups);
    r->id5 = uniform1(k_groups);
    r->id6 = uniform1(n_rows / k_groups);
    r->v1 = (uint8_t)uniform1(5);
    r->v2 = (uint8_t)uniform1(5);
    /* round(runif(0, 100), 4): a uniform double in [0, 1) times 1e6, rounded half up. */
    r->v3 = (int32_t)((double)(next_u64() >> 11) * (1e6 / 9007199254740992.0) + 0.5);
    if (picks[0].need + picks[1].need + picks[2].need + picks[3].need + picks[4].need +
            picks[5].need + picks[6].need + picks[7].need + picks[8].need ==
        0)
        return;
    uint32_t *ids[6] = {&r->id1, &r->id2, &r->id3, &r->id4, &r->id5, &r->id6};
    for (int c = 0; c < 6; c++)
        if (na_take(&picks[c])) *ids[c] = 0;
    if (na_take(&picks[6])) r->v1 = 0;
    if (na_take(&picks[7])) r->v2 = 0;
    if (na_take(&picks[8])) r->v3 = -1;
}

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    const uint32_t kx[6] = {x->id1, x->id2, x->id3, x->id4, x->id5, x->id6};
    const uint32_t ky[6] = {y->id1, y->id2, y->id3, y->id4, y->id5, y->id6};
    for (int i = 0; i < 6; i++)
        if (kx[i] != ky[i]) return kx[i] < ky[i] ? -1 : 1;
    return 0;
}

static char *put_uint(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* "id" and v zero-padded to width digits. */
static char *put_id(char *p, uint32_t v, int width)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    *p++ = 'i';
    *p++ = 'd';
    for (int i = n; i < width; i++) *p++ = '0';
    while (n) *p++ = tmp[--n];
    return p;
}

static char *put_row(char *p, const row *r)
{
    if (r->id1) p = put_id(p, r->id1, 3);
    *p++ = ',';
    if (r->id2) p = put_id(p, r->id2, 3);
    *p++ = ',';
    if (r->id3) p = put_id(p, r->id3, 10);
    *p++ = ',';
    const uint32_t ints[5] = {r->id4, r->id5, r->id6, r->v1, r->v2};
    for (int i = 0; i < 5; i++) {
        if (ints[i]) p = put_uint(p, ints[i]);
        *p++ = ',';
    }
    if (r->v3 >= 0) {
        p = put_uint(p, (uint64_t)r->v3 / 10000);
        int frac = r->v3 % 10000, digits = 4;
        while (frac && frac % 10 == 0) frac /= 10, digits--;
        if (frac) {
            *p++ = '.';
            for (int d = digits - 1; d >= 0; d--) {
                p[d] = (char)('0' + frac % 10);
                frac /= 10;
            }
            p += digits;
        }
    }
    *p++ = '\n';
    return p;
}

static FILE *out;
static const char *out_path;
static char *buf;
static size_t buf_len;

static void flush_buf(void)
{
    if (buf_len && fwrite(buf, 1, buf_len, out) != buf_len) {
        fprintf(stderr, "h2o_gen: cannot write %s: %s\n", out_path, strerror(errno));
        exit(1);
    }
    buf_len = 0;
}

static void emit(const row *r)
{
    if (buf_len + 128 > OUT_CAP) flush_buf();
    buf_len = (size_t)(put_row(buf + buf_len, r) - buf);
}

static void usage(void)
{
    fprintf(stderr, "usage: h2o_gen [-n N] [-k K] [-na PCT] [-sorted 0|1] -o FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "h2o_gen [-n N] [-k K] [-na PCT] [-sorted 0|1] -o FILE\n"
        "Writes the H2O db-benchmark group-by table as a CSV with a header.\n";
    int done = kiln_args_check(argc, argv, usage_text, "-na= -sorted= -n= -k= -o=");
    if (done >= 0) return done;
    double n = 1e7, k = 100, na = 0;
    int sorted = 0;
    out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(argv[i - 1], "-n") == 0) n = strtod(v, NULL);
        else if (strcmp(argv[i - 1], "-k") == 0) k = strtod(v, NULL);
        else if (strcmp(argv[i - 1], "-na") == 0) na = strtod(v, NULL);
        else if (strcmp(argv[i - 1], "-sorted") == 0) sorted = atoi(v);
        else if (strcmp(argv[i - 1], "-o") == 0) out_path = v;
        else usage();
    }
    if (!out_path || !(n >= 1) || n > 4e9 || !(k >= 1) || k > n || na < 0 || na > 100 ||
        (sorted != 0 && sorted != 1))
        usage();
    n_rows = (uint64_t)(n + 0.5);
    k_groups = (uint64_t)(k + 0.5);
    uint64_t n_na = (uint64_t)((double)n_rows * na / 100);
    for (int c = 0; c < 9; c++) picks[c] = (na_pick){n_na, n_rows};

    out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "wb");
    buf = malloc(OUT_CAP);
    if (!out || !buf) {
        fprintf(stderr, "h2o_gen: cannot open %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    static const char header[] = "id1,id2,id3,id4,id5,id6,v1,v2,v3\n";
    memcpy(buf, header, sizeof header - 1);
    buf_len = sizeof header - 1;
    if (sorted) {
        row *rows = malloc(n_rows * sizeof *rows);
        if (!rows) {
            fprintf(stderr, "h2o_gen: out of memory for %llu rows\n", (unsigned long long)n_rows);
            return 1;
        }
        for (uint64_t i = 0; i < n_rows; i++) gen_row(&rows[i]);
        qsort(rows, n_rows, sizeof *rows, row_cmp);
        for (uint64_t i = 0; i < n_rows; i++) emit(&rows[i]);
        free(rows);
    } else {
        for (uint64_t i = 0; i < n_rows; i++) {
            row r;
            gen_row(&r);
            emit(&r);
        }
    }
    flush_buf();
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0) {
        fprintf(stderr, "h2o_gen: cannot write %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    free(buf);
    return 0;
}
