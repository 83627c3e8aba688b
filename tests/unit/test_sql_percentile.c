/*
 * tests/unit/test_sql_percentile.c - the exact percentiles: the selection
 * routines of src/sql/select_nth.h against qsort on random and shaped
 * arrays (duplicates, NaN, -0.0 and 0.0, sizes 0, 1, 2 and large, sorted,
 * reversed, all equal), and median / percentile / percentile_approx
 * (single percentages and arrays of them, grouped, global, empty input,
 * over a window) through kiln_sql against a sequential reference (sort,
 * then interpolate) on random groups with nulls, NaN and -0.0, a skewed
 * key and a one-row group. KT_MASTER runs it under another master (CMake
 * reruns it under local-cluster[2,1,256]).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt_rand.h"
#include "kt_rows.h"
#include "sql/agg_fn.h"
#include "sql/agg_table.h"
#include "sql/select_nth.h"
#include "sqlops_gen.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

/* ---- Selection against qsort ------------------------------------------------------------- */

/* Spark's order of doubles: NaN largest, -0.0 = 0.0. */
static int cmp_f64(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

enum {
    SHAPE_RANDOM,
    SHAPE_DUPS,
    SHAPE_NAN,
    SHAPE_ZEROS,
    SHAPE_SORTED,
    SHAPE_REVERSED,
    SHAPE_EQUAL,
    SHAPE_ORGAN,
    SHAPE_ALL_NAN,
    NSHAPES
};

/* Fills v[0..n) with shape s (as doubles; the int64 tests round them). */
static void fill(double *v, size_t n, int s)
{
    for (size_t i = 0; i < n; i++) {
        double r = (double)(kt_rand(&rng) % 1000000) / 7.0 - 50000;
        switch (s) {
        case SHAPE_DUPS:
            v[i] = (double)(kt_rand(&rng) % 5);
            break;
        case SHAPE_NAN:
            v[i] = kt_rand(&rng) % 4 == 0 ? NAN : (double)(kt_rand(&rng) % 50);
            break;
        case SHAPE_ZEROS:
            v[i] = kt_rand(&rng) % 3 == 0 ? -0.0 : kt_rand(&rng) % 2 ? 0.0 : r;
            break;
        case SHAPE_SORTED:
            v[i] = (double)i;
            break;
        case SHAPE_REVERSED:
            v[i] = (double)(n - i);
            break;
        case SHAPE_EQUAL:
            v[i] = 42;
            break;
        case SHAPE_ORGAN:
            v[i] = (double)(i < n / 2 ? i : n - i);
            break;
        case SHAPE_ALL_NAN:
            v[i] = NAN;
            break;
        default:
            v[i] = r;
            break;
        }
    }
}

/* a and b are the same value in Spark's order. */
static bool same(double a, double b)
{
    return cmp_f64(&a, &b) == 0;
}

/* v is a permutation of sorted ref with v[k] = ref[k], nothing larger
 * before k, nothing smaller after. */
static void check_nth_f64(const double *v, const double *ref, size_t n, size_t k)
{
    assert_true(same(v[k], ref[k]));
    for (size_t i = 0; i < k; i++) assert_true(cmp_f64(&v[i], &v[k]) <= 0);
    for (size_t i = k + 1; i < n; i++) assert_true(cmp_f64(&v[i], &v[k]) >= 0);
    double *s = malloc((n + 1) * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_f64);
    for (size_t i = 0; i < n; i++) assert_true(same(s[i], ref[i]));
    free(s);
}

static void check_nth_i64(const int64_t *v, const int64_t *ref, size_t n, size_t k)
{
    assert_int_equal(v[k], ref[k]);
    for (size_t i = 0; i < k; i++) assert_true(v[i] <= v[k]);
    for (size_t i = k + 1; i < n; i++) assert_true(v[i] >= v[k]);
    int64_t *s = malloc((n + 1) * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_i64);
    assert_memory_equal(s, ref, n * sizeof *s);
    free(s);
}

static const size_t sizes[] = {0, 1, 2, 3, 5, 16, 17, 33, 100, 129, 1000, 4097, 100000};

static void select_against_qsort(void **state)
{
    (void)state;
    size_t big = 100000;
    double *v = malloc(big * sizeof *v), *w = malloc(big * sizeof *w), *ref = malloc(big * 8);
    int64_t *iv = malloc(big * 8), *iw = malloc(big * 8), *iref = malloc(big * 8);
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t n = sizes[z];
        for (int s = 0; s < NSHAPES; s++) {
            fill(v, n, s);
            for (size_t i = 0; i < n; i++) {
                /* int64: the values, NaN as INT64_MAX, some extremes */
                iv[i] = isnan(v[i]) ? INT64_MAX : (int64_t)(v[i] * 3);
                if (s == SHAPE_RANDOM && i % 97 == 5) iv[i] = INT64_MIN;
            }
            memcpy(ref, v, n * 8);
            qsort(ref, n, 8, cmp_f64);
            memcpy(iref, iv, n * 8);
            qsort(iref, n, 8, cmp_i64);
            /* Every k for small n, else the ends, the middle and some random ranks. */
            size_t ks[8] = {0, n ? n - 1 : 0, n / 2, n ? (n - 1) / 2 : 0, 1, n ? n - 2 : 0};
            size_t nk = 6;
            ks[nk++] = n ? kt_rand(&rng) % n : 0;
            ks[nk++] = n ? kt_rand(&rng) % n : 0;
            for (size_t q = 0; q < (n <= 40 ? n : nk); q++) {
                size_t k = n <= 40 ? q : ks[q];
                if (k >= n) continue;
                memcpy(w, v, n * 8);
                sel_nth_f64(w, n, k);
                check_nth_f64(w, ref, n, k);
                memcpy(iw, iv, n * 8);
                sel_nth_i64(iw, n, k);
                check_nth_i64(iw, iref, n, k);
            }
            if (n == 0) {
                sel_nth_f64(w, 0, 0); /* nothing to do, nothing touched */
                sel_nth_i64(iw, 0, 0);
            }
            /* Sorting. */
            memcpy(w, v, n * 8);
            sel_sort_f64(w, n);
            for (size_t i = 0; i < n; i++) assert_true(same(w[i], ref[i]));
            memcpy(iw, iv, n * 8);
            sel_sort_i64(iw, n);
            if (n) assert_memory_equal(iw, iref, n * 8);
            /* Several ranks at once: few (successive selections) and many (a sort). */
            if (!n) continue;
            for (int many = 0; many < 2; many++) {
                int64_t ranks[40], copy[40];
                size_t nr = many ? 40 : 1 + kt_rand(&rng) % 5;
                for (size_t r = 0; r < nr; r++) ranks[r] = (int64_t)(kt_rand(&rng) % n);
                if (nr > 2) ranks[1] = ranks[0]; /* a duplicate */
                memcpy(copy, ranks, sizeof ranks);
                memcpy(w, v, n * 8);
                sel_ranks_f64(w, n, ranks, nr);
                for (size_t r = 0; r < nr; r++) assert_true(same(w[copy[r]], ref[copy[r]]));
                memcpy(ranks, copy, sizeof ranks);
                memcpy(iw, iv, n * 8);
                sel_ranks_i64(iw, n, ranks, nr);
                for (size_t r = 0; r < nr; r++) assert_int_equal(iw[copy[r]], iref[copy[r]]);
            }
        }
    }
    free(v);
    free(w);
    free(ref);
    free(iv);
    free(iw);
    free(iref);
}

/* ---- Through the aggregation table --------------------------------------------------------- */

static double ref_pct(const double *x, int n, double p);
static int ref_approx(int n, double p);

#define TG 150      /* groups */
#define TROWS 60000 /* rows, in batches of 1000 */

/* median(d), percentile(d, 0.25) and percentile_approx(i, 0.9) by key g
 * over rows tk/td/ti (nulls where the masks say), in a table of mode m
 * fed rows [from, to) (none when tk is NULL). */
static agg_table *table_of(kiln_arena *a, agg_mode m, const int64_t *tk, const double *td,
                           const int64_t *ti, const bool *dnull, int from, int to)
{
    agg_bound b[3];
    const col_type *f2[2] = {&col_type_f64, &col_type_f64};
    const col_type *i2[2] = {&col_type_i64, &col_type_f64};
    assert_int_equal(agg_bind(&b[0], a, "median", f2, 1, false, false), KILN_OK);
    assert_int_equal(agg_bind(&b[1], a, "percentile", f2, 2, false, false), KILN_OK);
    assert_int_equal(agg_bind(&b[2], a, "percentile_approx", i2, 2, false, false), KILN_OK);
    const col_type *kt = &col_type_i64;
    agg_table *t = agg_table_new(&kt, 1, b, 3, m, true);
    assert_non_null(t);
    for (int off = from; off < to && tk; off += 1000) {
        uint32_t n = (uint32_t)(to - off < 1000 ? to - off : 1000);
        col_vec k = sg_vec(a, &col_type_i64, n, 0), d = sg_vec(a, &col_type_f64, n, 1);
        col_vec i = sg_vec(a, &col_type_i64, n, 0), p25 = sg_vec(a, &col_type_f64, 1, 0);
        col_vec p90 = sg_vec(a, &col_type_f64, 1, 0);
        p25.constant = p90.constant = true;
        COL_DATA(&p25, double)[0] = 0.25;
        COL_DATA(&p90, double)[0] = 0.9;
        for (uint32_t r = 0; r < n; r++) {
            COL_DATA(&k, int64_t)[r] = tk[off + r];
            COL_DATA(&d, double)[r] = td[off + r];
            COL_DATA(&i, int64_t)[r] = ti[off + r];
            if (dnull[off + r]) col_set_null(&d, r);
        }
        col_vec a1[2] = {d, p25}, a2[2] = {i, p90};
        const col_vec *args[3] = {&d, a1, a2};
        assert_int_equal(agg_table_add_batch(t, &k, args, NULL, n), KILN_OK);
    }
    return t;
}

/* Checks result batches of t (key, median, percentile 0.25, approx 0.9). */
static int check_table(agg_table *t, kiln_arena *a, const int64_t *tk, const double *td,
                       const int64_t *ti, const bool *dnull)
{
    size_t cur = 0;
    col_batch r;
    int seen = 0;
    double *xs = malloc(sizeof *xs * TROWS);
    int64_t *is = malloc(sizeof *is * TROWS);
    for (;;) {
        assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
        if (!r.n) break;
        for (uint32_t j = 0; j < r.n; j++) {
            int64_t g = COL_DATA(&r.cols[0], int64_t)[j];
            int nx = 0, ni = 0;
            for (int q = 0; q < TROWS; q++) {
                if (tk[q] != g) continue;
                if (!dnull[q]) xs[nx++] = td[q];
                is[ni++] = ti[q];
            }
            qsort(xs, (size_t)nx, sizeof *xs, cmp_f64);
            qsort(is, (size_t)ni, sizeof *is, cmp_i64);
            assert_true(nx > 0);
            assert_true(COL_DATA(&r.cols[1], double)[j] == ref_pct(xs, nx, 0.5));
            assert_true(COL_DATA(&r.cols[2], double)[j] == ref_pct(xs, nx, 0.25));
            assert_int_equal(COL_DATA(&r.cols[3], int64_t)[j], is[ref_approx(ni, 0.9)]);
            seen++;
        }
    }
    free(xs);
    free(is);
    return seen;
}

static void through_table(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    int64_t *tk = malloc(sizeof *tk * TROWS), *ti = malloc(sizeof *ti * TROWS);
    double *td = malloc(sizeof *td * TROWS);
    bool *dnull = malloc(sizeof *dnull * TROWS);
    for (int q = 0; q < TROWS; q++) {
        /* group 0 holds a quarter of the rows (chunks up to thousands) */
        tk[q] = kt_rand(&rng) % 4 == 0 ? 0 : (int64_t)(kt_rand(&rng) % TG);
        td[q] = (double)(kt_rand(&rng) % 10000) / 16.0;
        ti[q] = (int64_t)(kt_rand(&rng) % 100000) - 50000;
        dnull[q] = kt_rand(&rng) % 10 == 0;
    }
    /* Complete: update's chunks made one in finalize. */
    agg_table *t = table_of(a, AGG_COMPLETE, tk, td, ti, dnull, 0, TROWS);
    assert_int_equal(check_table(t, a, tk, td, ti, dnull), TG);
    agg_table_free(t);
    /* Two partial tables (their chunks copied out), merged into a final one. */
    agg_table *p1 = table_of(a, AGG_PARTIAL, tk, td, ti, dnull, 0, 25000);
    agg_table *p2 = table_of(a, AGG_PARTIAL, tk, td, ti, dnull, 25000, TROWS);
    agg_table *f = table_of(a, AGG_FINAL, NULL, NULL, NULL, NULL, 0, 0);
    agg_table *parts[2] = {p1, p2};
    for (int pi = 0; pi < 2; pi++) {
        size_t cur = 0;
        col_batch r;
        for (;;) {
            assert_int_equal(agg_table_result(parts[pi], &cur, a, &r), KILN_OK);
            if (!r.n) break;
            const col_vec *st[3] = {&r.cols[1], &r.cols[3], &r.cols[5]};
            assert_int_equal(agg_table_merge_batch(f, &r.cols[0], st, NULL, r.n), KILN_OK);
        }
    }
    assert_int_equal(check_table(f, a, tk, td, ti, dnull), TG);
    agg_table_free(f);
    agg_table_free(p1);
    agg_table_free(p2);
    free(tk);
    free(ti);
    free(td);
    free(dnull);
    kiln_arena_free(a);
}

/* ---- Through SQL ------------------------------------------------------------------------------
 */

#define NROWS 20000
#define NKEYS 40

/* k (null sometimes, skewed to 3; key 999 has one row), x (double: null,
 * NaN, -0.0, ties), i (bigint or null). */
static struct row {
    bool has_k, has_x, has_i;
    int k;
    int c; /* x is 1: NaN, 2: -0.0, else the value */
    double x;
    int64_t i;
} rows[NROWS];
static char csv[256];
static kiln_context *ctx;
static kiln_session *S;

static int setup(void **state)
{
    (void)state;
    snprintf(csv, sizeof csv, "/tmp/kiln-test-pct-%d.csv", (int)getpid());
    FILE *f = fopen(csv, "w");
    if (!f) return -1;
    fprintf(f, "k,c,x,i\n");
    for (int r = 0; r < NROWS; r++) {
        struct row *w = &rows[r];
        w->has_k = r == 0 || kt_rand(&rng) % 25 != 0;
        w->k = r == 0 ? 999 : kt_rand(&rng) % 3 == 0 ? 3 : (int)(kt_rand(&rng) % NKEYS);
        w->has_x = kt_rand(&rng) % 6 != 0;
        w->c = (int)(kt_rand(&rng) % 50);
        w->x = (double)((int64_t)(kt_rand(&rng) % 4001) - 2000) / 8.0;
        if (w->c == 1) w->x = NAN;
        if (w->c == 2) w->x = -0.0;
        w->has_i = kt_rand(&rng) % 7 != 0;
        w->i = (int64_t)(kt_rand(&rng) % 1000001) - 500000;
        if (w->has_k) fprintf(f, "%d", w->k);
        fprintf(f, ",%d,", w->c);
        if (w->has_x) fprintf(f, "%.3f", w->c == 1 || w->c == 2 ? 0.0 : w->x);
        fprintf(f, ",");
        if (w->has_i) fprintf(f, "%lld", (long long)w->i);
        fprintf(f, "\n");
    }
    fclose(f);
    if (kt_sql_open(&ctx, &S)) return -1;
    kiln_session_conf_set(S, "kiln.sql.shuffle.partitions", "3");
    kiln_reader *r = kiln_session_read(S);
    r = kiln_reader_option(r, "header", "true");
    r = kiln_reader_schema(r, "k INT, c INT, x DOUBLE, i BIGINT");
    kiln_df *df = kiln_reader_csv(r, csv);
    if (!df || kiln_df_create_or_replace_temp_view(df, "raw")) return -1;
    kiln_df_free(df);
    /* NaN and -0.0 made in SQL (the CSV carries c). */
    df = kiln_sql(S,
                  "SELECT k, CASE WHEN x IS NULL THEN NULL WHEN c = 1 THEN CAST('NaN' AS DOUBLE) "
                  "WHEN c = 2 THEN CAST('-0.0' AS DOUBLE) ELSE x END AS x, i FROM raw");
    if (!df || kiln_df_create_or_replace_temp_view(df, "t")) return -1;
    kiln_df_free(df);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    unlink(csv);
    return 0;
}

/* percentile of sorted x[0..n): interpolation between ranks floor and
 * ceil of p * (n - 1). */
static double ref_pct(const double *x, int n, double p)
{
    double pos = p * (n - 1);
    int lo = (int)floor(pos), hi = (int)ceil(pos);
    return lo == hi ? x[lo] : (hi - pos) * x[lo] + (pos - lo) * x[hi];
}

/* percentile_approx's index among n sorted values: rank ceil(p * n). */
static int ref_approx(int n, double p)
{
    int r = (int)ceil(p * n);
    return r ? (r > n ? n - 1 : r - 1) : 0;
}

static void assert_same_double(const kiln_value *v, double want)
{
    assert_int_equal(v->type, KILN_DOUBLE);
    if (isnan(want)) assert_true(isnan(v->u.d));
    else assert_true(v->u.d == want || fabs(v->u.d - want) <= 1e-9 * fmax(1, fabs(want)));
}

/* The non-null x (xs, sorted NaN last) and i (is, sorted) of group key
 * (all rows when all, the null key when null_key). */
static void group_values(bool all, bool null_key, int key, double *xs, int *nx, int64_t *is,
                         int *ni)
{
    *nx = *ni = 0;
    for (int r = 0; r < NROWS; r++) {
        const struct row *w = &rows[r];
        if (!all && (w->has_k == null_key || (!null_key && w->k != key))) continue;
        if (w->has_x) xs[(*nx)++] = w->x;
        if (w->has_i) is[(*ni)++] = w->i;
    }
    qsort(xs, (size_t)*nx, sizeof *xs, cmp_f64);
    qsort(is, (size_t)*ni, sizeof *is, cmp_i64);
}

static const double ps[] = {0.1, 0.5, 0.9, 0.9, 0, 1, 0.333};
#define SELECT_LIST                                                                                \
    "median(x), percentile(x, 0.3), percentile(x, array(0.1, 0.5, 0.9, 0.9, 0, 1, 0.333)), "       \
    "percentile_approx(x, 0.7), percentile_approx(i, array(0.1, 0.5, 0.9, 0.9, 0, 1, 0.333)), "    \
    "percentile(i, 0.99), approx_percentile(i, 0.25, 10000), count(x), count(i)"

/* Checks columns from..from+9 of row t (SELECT_LIST) against xs and is. */
static void check_row(const kiln_value *t, int from, const double *xs, int nx, const int64_t *is,
                      int ni)
{
    const kiln_value *c = &t->u.items[from];
    assert_int_equal(c[7].u.i, nx);
    assert_int_equal(c[8].u.i, ni);
    if (!nx) {
        for (int j = 0; j < 4; j++) assert_int_equal(c[j].type, KILN_NULL);
    } else {
        assert_same_double(&c[0], ref_pct(xs, nx, 0.5));
        assert_same_double(&c[1], ref_pct(xs, nx, 0.3));
        assert_int_equal(c[2].type, KILN_LIST);
        assert_int_equal(c[2].len, 7);
        for (int j = 0; j < 7; j++) assert_same_double(&c[2].u.items[j], ref_pct(xs, nx, ps[j]));
        assert_same_double(&c[3], xs[ref_approx(nx, 0.7)]);
    }
    if (!ni) {
        for (int j = 4; j < 7; j++) assert_int_equal(c[j].type, KILN_NULL);
        return;
    }
    assert_int_equal(c[4].type, KILN_LIST);
    assert_int_equal(c[4].len, 7);
    for (int j = 0; j < 7; j++) assert_int_equal(c[4].u.items[j].u.i, is[ref_approx(ni, ps[j])]);
    double *di = malloc(sizeof *di * (size_t)ni);
    for (int j = 0; j < ni; j++) di[j] = (double)is[j];
    assert_same_double(&c[5], ref_pct(di, ni, 0.99));
    free(di);
    assert_int_equal(c[6].u.i, is[ref_approx(ni, 0.25)]);
}

/* The rows of query sql, collected into a. */
static kiln_value rows_of(const char *sql, kiln_arena *a)
{
    kiln_df *df = kiln_sql(S, sql);
    assert_non_null(df);
    kiln_value list;
    assert_int_equal(kiln_df_collect(df, a, &list), KILN_OK);
    kiln_df_free(df);
    return list;
}

static void grouped(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    kiln_value list = rows_of("SELECT k, " SELECT_LIST " FROM t GROUP BY k", a);
    double *xs = malloc(sizeof *xs * NROWS);
    int64_t *is = malloc(sizeof *is * NROWS);
    int groups = 0, nx, ni;
    bool saw_nan = false, saw_single = false;
    for (uint32_t g = 0; g < list.len; g++) {
        const kiln_value *t = &list.u.items[g];
        bool null_key = t->u.items[0].type == KILN_NULL;
        int key = null_key ? 0 : (int)t->u.items[0].u.i;
        group_values(false, null_key, key, xs, &nx, is, &ni);
        check_row(t, 1, xs, nx, is, ni);
        saw_nan |= nx && isnan(xs[nx - 1]);
        saw_single |= key == 999;
        groups++;
    }
    assert_int_equal(groups, NKEYS + 2); /* the keys, 999 and null */
    assert_true(saw_nan && saw_single);

    /* The global aggregate (one group) and empty input. */
    list = rows_of("SELECT " SELECT_LIST " FROM t", a);
    assert_int_equal(list.len, 1);
    group_values(true, false, 0, xs, &nx, is, &ni);
    check_row(&list.u.items[0], 0, xs, nx, is, ni);
    list = rows_of("SELECT " SELECT_LIST " FROM t WHERE k < -5", a);
    assert_int_equal(list.len, 1);
    check_row(&list.u.items[0], 0, xs, 0, is, 0);

    /* Without NaN the median of a group is an ordinary number. */
    list = rows_of("SELECT median(x) FROM t WHERE k = 5 AND NOT isnan(x)", a);
    int n = 0;
    for (int r = 0; r < NROWS; r++)
        if (rows[r].has_k && rows[r].k == 5 && rows[r].has_x && !isnan(rows[r].x))
            xs[n++] = rows[r].x;
    qsort(xs, (size_t)n, sizeof *xs, cmp_f64);
    assert_same_double(&list.u.items[0].u.items[0], ref_pct(xs, n, 0.5));
    assert_false(isnan(list.u.items[0].u.items[0].u.d));
    free(xs);
    free(is);
    kiln_arena_free(a);
}

static void over_window(void **state)
{
    (void)state;
    /* Over a whole partition (arrays of percentages fail over a window yet:
     * the literal reaches the window's sorter, which takes no nested columns). */
    kiln_arena *a = kiln_arena_new();
    kiln_value list = rows_of("SELECT k, median(x) OVER (PARTITION BY k), "
                              "percentile_approx(i, 0.25) OVER (PARTITION BY k) FROM t "
                              "WHERE k IN (3, 7, 999)",
                              a);
    double *xs = malloc(sizeof *xs * NROWS);
    int64_t *is = malloc(sizeof *is * NROWS);
    assert_true(list.len > 100);
    for (uint32_t g = 0; g < list.len; g += 13) {
        const kiln_value *t = &list.u.items[g];
        int nx, ni;
        group_values(false, false, (int)t->u.items[0].u.i, xs, &nx, is, &ni);
        assert_same_double(&t->u.items[1], ref_pct(xs, nx, 0.5));
        assert_int_equal(t->u.items[2].u.i, is[ref_approx(ni, 0.25)]);
    }
    free(xs);
    free(is);
    kiln_arena_free(a);
}

static void errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "SELECT percentile(x, array(0.5, 1.5)) FROM t",
        "SELECT percentile_approx(i, array(-0.1)) FROM t",
        "SELECT percentile(x, 2) FROM t GROUP BY k",
    };
    for (size_t j = 0; j < sizeof bad / sizeof *bad; j++) {
        kiln_df *df = kiln_sql(S, bad[j]);
        int64_t n;
        assert_true(!df || kiln_df_count(df, &n) != KILN_OK);
        assert_non_null(strstr(kiln_last_error(), "VALUE_OUT_OF_RANGE"));
        kiln_df_free(df);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(select_against_qsort),
        cmocka_unit_test(through_table),
        cmocka_unit_test(grouped),
        cmocka_unit_test(over_window),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
