/*
 * test_sql_agg.c - sql/agg_fn and sql/agg_table: hash aggregation with
 * count, count(*), sum, avg, min, max, stddev, corr, first/last, collect,
 * count(DISTINCT), approx_count_distinct and decimal sums, against a naive
 * group-by over rows (sort then scan) on random data with nulls, empty
 * input, all-equal and skewed keys, many groups, unicode strings and
 * -0.0/NaN; the partial/final split against the complete aggregate; and a
 * cross-check of sum/count/min/max/avg per group with sqlite3.
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
#include "sql/agg_table.h"
#include "sqlops_gen.h"

typedef struct row {
    int64_t k;
    int knull;
    int64_t v;
    int vnull;
} row;

typedef struct grp {
    int64_t k;
    int knull;
    int64_t cnt, cntstar, sum, min, max;
    double avg;
    int sumnull;
} grp;

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->knull != y->knull) return y->knull - x->knull; /* nulls first */
    return (x->k > y->k) - (x->k < y->k);
}

static int grp_cmp(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    if (x->knull != y->knull) return y->knull - x->knull;
    return (x->k > y->k) - (x->k < y->k);
}

/* The reference: sort rows by key, scan. */
static size_t ref_groupby(row *rows, size_t n, grp *out)
{
    qsort(rows, n, sizeof *rows, row_cmp);
    size_t ng = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        grp g = {rows[i].k, rows[i].knull, 0, 0, 0, 0, 0, 0, 1};
        long double s = 0;
        while (j < n && row_cmp(&rows[i], &rows[j]) == 0) {
            g.cntstar++;
            if (!rows[j].vnull) {
                if (g.cnt == 0 || rows[j].v < g.min) g.min = rows[j].v;
                if (g.cnt == 0 || rows[j].v > g.max) g.max = rows[j].v;
                g.cnt++;
                g.sum += rows[j].v;
                s += rows[j].v;
                g.sumnull = 0;
            }
            j++;
        }
        g.avg = g.cnt ? (double)(s / g.cnt) : 0;
        if (g.knull) g.k = 0;
        out[ng++] = g;
        i = j;
    }
    return ng;
}

static const char *const fn_names[] = {"count", "count", "sum", "min", "max", "avg"};
#define NFN 6

static void bind_all(agg_bound *b, kiln_arena *a)
{
    const col_type *i64 = &col_type_i64;
    for (int j = 0; j < NFN; j++) {
        int nargs = j == 1 ? 0 : 1;
        assert_int_equal(agg_bind(&b[j], a, fn_names[j], &i64, nargs, false, false), KILN_OK);
    }
}

/* Runs the table over rows in batches of up to 2048 with a selection on
 * every other batch; returns groups read back. */
static size_t run_table(agg_table *t, const row *rows, size_t n, grp *out, kiln_arena *a,
                        bool merge_split)
{
    (void)merge_split;
    for (size_t off = 0; off < n; off += 1500) {
        uint32_t m = (uint32_t)(n - off < 1500 ? n - off : 1500);
        col_vec k = sg_vec(a, &col_type_i64, m + 10, 1), v = sg_vec(a, &col_type_i64, m + 10, 1);
        uint32_t sel[1510];
        bool use_sel = (off / 1500) % 2 == 1;
        uint32_t cnt = 0;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t r = use_sel ? i + 5 : i;
            if (use_sel) sel[cnt] = r;
            cnt++;
            COL_DATA(&k, int64_t)[r] = rows[off + i].k;
            COL_DATA(&v, int64_t)[r] = rows[off + i].v;
            if (rows[off + i].knull) col_set_null(&k, r);
            if (rows[off + i].vnull) col_set_null(&v, r);
        }
        bool any_null = false;
        for (uint32_t i = 0; i < m; i++) any_null |= rows[off + i].knull;
        if (!any_null && (off / 1500) % 4 != 3) k.validity = NULL; /* the single-int64-key path */
        const col_vec *args[NFN] = {&v, NULL, &v, &v, &v, &v};
        assert_int_equal(agg_table_add_batch(t, &k, args, use_sel ? sel : NULL, cnt), KILN_OK);
    }
    size_t cur = 0, ng = 0;
    for (;;) {
        col_batch b;
        assert_int_equal(agg_table_result(t, &cur, a, &b), KILN_OK);
        if (!b.n) break;
        assert_int_equal(b.ncols, 1 + NFN);
        for (uint32_t i = 0; i < b.n; i++) {
            grp g = {0};
            g.knull = !col_valid(&b.cols[0], i);
            g.k = g.knull ? 0 : COL_DATA(&b.cols[0], int64_t)[i];
            g.cnt = COL_DATA(&b.cols[1], int64_t)[i];
            g.cntstar = COL_DATA(&b.cols[2], int64_t)[i];
            g.sumnull = !col_valid(&b.cols[3], i);
            g.sum = g.sumnull ? 0 : COL_DATA(&b.cols[3], int64_t)[i];
            assert_int_equal(!col_valid(&b.cols[4], i), g.sumnull);
            g.min = g.sumnull ? 0 : COL_DATA(&b.cols[4], int64_t)[i];
            g.max = g.sumnull ? 0 : COL_DATA(&b.cols[5], int64_t)[i];
            g.avg = g.sumnull ? 0 : COL_DATA(&b.cols[6], double)[i];
            out[ng++] = g;
        }
    }
    return ng;
}

static void check_groups(grp *ref, size_t nref, grp *got, size_t ngot, const char *what)
{
    qsort(got, ngot, sizeof *got, grp_cmp);
    if (nref != ngot) fail_msg("%s: %zu groups, expected %zu", what, ngot, nref);
    for (size_t i = 0; i < nref; i++) {
        grp *e = &ref[i], *g = &got[i];
        if (e->knull != g->knull || e->k != g->k || e->cnt != g->cnt || e->cntstar != g->cntstar ||
            e->sumnull != g->sumnull || e->sum != g->sum || e->min != g->min || e->max != g->max ||
            fabs(e->avg - g->avg) > 1e-9 * fabs(e->avg) + 1e-9)
            fail_msg("%s: group %zu (key %lld%s) differs: count %lld/%lld count(*) %lld/%lld "
                     "sum %lld/%lld min %lld/%lld max %lld/%lld avg %g/%g",
                     what, i, (long long)e->k, e->knull ? " null" : "", (long long)g->cnt,
                     (long long)e->cnt, (long long)g->cntstar, (long long)e->cntstar,
                     (long long)g->sum, (long long)e->sum, (long long)g->min, (long long)e->min,
                     (long long)g->max, (long long)e->max, g->avg, e->avg);
    }
}

static size_t g_spill_limit; /* > 0: the table spills over this many bytes */

static void int_groupby_case(int shape, size_t n, int64_t groups, int nullpct, uint64_t seed)
{
    kiln_arena *a = kiln_arena_new();
    row *rows = malloc((n + 1) * sizeof *rows);
    grp *ref = malloc((n + 1) * sizeof *ref), *got = malloc((n + 1) * sizeof *got);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        rows[i].k = sg_key(&s, shape, groups);
        rows[i].knull = (int)(sg_next(&s) % 100) < nullpct / 2;
        rows[i].v = (int64_t)(sg_next(&s) % 2000001) - 1000000;
        rows[i].vnull = (int)(sg_next(&s) % 100) < nullpct;
        if (rows[i].knull)
            rows[i].k = (int64_t)sg_next(&s); /* garbage under a null must not matter */
    }
    agg_bound b[NFN];
    bind_all(b, a);
    agg_table *t = agg_table_new((const col_type *[]){&col_type_i64}, 1, b, NFN, AGG_COMPLETE,
                                 true);
    assert_non_null(t);
    if (g_spill_limit) assert_int_equal(agg_table_set_spill(t, g_spill_limit, "/tmp"), KILN_OK);
    size_t ngot = run_table(t, rows, n, got, a, false);
    for (size_t i = 0; i < n; i++)
        if (rows[i].knull) rows[i].k = 0;
    size_t nref = ref_groupby(rows, n, ref);
    char what[96];
    snprintf(what, sizeof what, "shape %d n %zu groups %lld nulls %d%%", shape, n,
             (long long)groups, nullpct);
    check_groups(ref, nref, got, ngot, what);
    if (g_spill_limit && n > 20000) assert_true(agg_table_spilled(t) > 0);
    else assert_int_equal(agg_table_groups(t), nref);
    assert_true(agg_table_bytes(t) > 0);
    agg_table_free(t);
    free(rows);
    free(ref);
    free(got);
    kiln_arena_free(a);
}

static void groupby_matches_reference(void **state)
{
    (void)state;
    int_groupby_case(0, 0, 10, 10, 1);       /* empty */
    int_groupby_case(0, 1, 10, 0, 2);        /* one row */
    int_groupby_case(0, 20000, 100, 10, 3);  /* few groups, nulls */
    int_groupby_case(0, 20000, 100, 0, 4);   /* no nulls */
    int_groupby_case(1, 20000, 100, 10, 5);  /* all equal */
    int_groupby_case(2, 30000, 5000, 20, 6); /* skewed */
    int_groupby_case(0, 50000, 40000, 5, 7); /* mostly distinct */
    int_groupby_case(0, 10000, 10, 100, 8);  /* every value null, half the keys null */
}

static void many_groups_match_reference(void **state)
{
    (void)state;
    int_groupby_case(0, 1500000, 1000000, 5, 11); /* ~780k groups, table resizes */
}

/* Over a small memory limit the table spills partial states to files and
 * re-aggregates them partition by partition: same groups and values. */
static void spilled_groupby_matches_reference(void **state)
{
    (void)state;
    g_spill_limit = 256 * 1024;
    int_groupby_case(0, 0, 10, 10, 21);
    int_groupby_case(0, 30000, 100, 10, 22);     /* fits: never spills */
    int_groupby_case(0, 200000, 50000, 10, 23);  /* spills many times */
    int_groupby_case(2, 200000, 100000, 20, 24); /* skewed */
    g_spill_limit = 0;
}

/* Global aggregate: one row, even over no input. */
static void global_aggregate(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    agg_bound b[NFN];
    bind_all(b, a);
    for (int n = 0; n <= 5000; n += 5000) {
        agg_table *t = agg_table_new(NULL, 0, b, NFN, AGG_COMPLETE, true);
        col_vec v = sg_vec(a, &col_type_i64, n, 1);
        int64_t sum = 0, cnt = 0;
        for (int i = 0; i < n; i++) {
            COL_DATA(&v, int64_t)[i] = i;
            if (i % 3 == 0) col_set_null(&v, i);
            else sum += i, cnt++;
        }
        const col_vec *args[NFN] = {&v, NULL, &v, &v, &v, &v};
        assert_int_equal(agg_table_add_batch(t, NULL, args, NULL, n), KILN_OK);
        size_t cur = 0;
        col_batch r;
        assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
        assert_int_equal(r.n, 1);
        assert_int_equal(COL_DATA(&r.cols[0], int64_t)[0], cnt);
        assert_int_equal(COL_DATA(&r.cols[1], int64_t)[0], n);
        if (n == 0) {
            assert_false(col_valid(&r.cols[2], 0));
            assert_false(col_valid(&r.cols[5], 0));
        } else {
            assert_int_equal(COL_DATA(&r.cols[2], int64_t)[0], sum);
            assert_int_equal(COL_DATA(&r.cols[3], int64_t)[0], 1);
            assert_int_equal(COL_DATA(&r.cols[4], int64_t)[0], n - 1);
        }
        assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
        assert_int_equal(r.n, 0);
        agg_table_free(t);
    }
    kiln_arena_free(a);
}

/* Partial tables over two halves, merged by a final table, equal the complete one. */
static void partial_final_equals_complete(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const col_type *i64 = &col_type_i64, *f64 = &col_type_f64;
    const char *names[] = {"count",
                           "sum",
                           "avg",
                           "min",
                           "max",
                           "stddev_samp",
                           "var_pop",
                           "first",
                           "last",
                           "collect_list",
                           "approx_count_distinct",
                           "bool_or"};
    enum { N = 12 };
    agg_bound b[N];
    for (int j = 0; j < N; j++) {
        const col_type *t = j >= 5 && j <= 6 ? f64 : i64;
        if (j == 11) t = &col_type_bool;
        assert_int_equal(agg_bind(&b[j], a, names[j], &t, 1, false, j == 8), KILN_OK);
    }
    agg_table *comp = agg_table_new(&i64, 1, b, N, AGG_COMPLETE, true);
    agg_table *p1 = agg_table_new(&i64, 1, b, N, AGG_PARTIAL, true);
    agg_table *p2 = agg_table_new(&i64, 1, b, N, AGG_PARTIAL, true);
    agg_table *fin = agg_table_new(&i64, 1, b, N, AGG_FINAL, true);
    /* The complete table spills after every batch: every state kind goes
     * through the spill files and back. */
    assert_int_equal(agg_table_set_spill(comp, 1, "/tmp"), KILN_OK);
    uint64_t s = 99;
    for (int batch = 0; batch < 20; batch++) {
        uint32_t n = 2048;
        col_vec k = sg_vec(a, i64, n, 1), v = sg_vec(a, i64, n, 1), d = sg_vec(a, f64, n, 1),
                bo = sg_vec(a, &col_type_bool, n, 1);
        for (uint32_t i = 0; i < n; i++) {
            COL_DATA(&k, int64_t)[i] = (int64_t)(sg_next(&s) % 50);
            COL_DATA(&v, int64_t)[i] = (int64_t)(sg_next(&s) % 1000);
            COL_DATA(&d, double)[i] = (double)(sg_next(&s) % 1000) / 7.0;
            COL_DATA(&bo, uint8_t)[i] = sg_next(&s) % 50 == 0;
            if (sg_next(&s) % 10 == 0) col_set_null(&v, i), col_set_null(&d, i);
            if (sg_next(&s) % 40 == 0) col_set_null(&k, i);
        }
        const col_vec *args[N];
        for (int j = 0; j < N; j++) args[j] = j >= 5 && j <= 6 ? &d : j == 11 ? &bo : &v;
        assert_int_equal(agg_table_add_batch(comp, &k, args, NULL, n), KILN_OK);
        assert_int_equal(agg_table_add_batch(batch < 10 ? p1 : p2, &k, args, NULL, n), KILN_OK);
    }
    agg_table *parts[2] = {p1, p2};
    for (int p = 0; p < 2; p++) {
        size_t cur = 0;
        col_batch r;
        for (;;) {
            assert_int_equal(agg_table_result(parts[p], &cur, a, &r), KILN_OK);
            if (!r.n) break;
            const col_vec *st[N];
            int o = 1;
            for (int j = 0; j < N; j++) {
                st[j] = &r.cols[o];
                o += b[j].nstate;
            }
            assert_int_equal(o, r.ncols);
            assert_int_equal(agg_table_merge_batch(fin, &r.cols[0], st, NULL, r.n), KILN_OK);
        }
    }
    /* Compare group by group (keys of both tables looked up by value); the
     * spilled table gives its groups partition by partition. */
    col_batch x, y;
    size_t c1 = 0, c2 = 0, seen = 0;
    assert_true(agg_table_spilled(comp) > 0);
    kiln_arena *ra = kiln_arena_new();
    int64_t keys2[64];
    assert_int_equal(agg_table_result(fin, &c2, ra, &y), KILN_OK);
    assert_true(y.n <= 64);
    for (uint32_t i = 0; i < y.n; i++)
        keys2[i] = col_valid(&y.cols[0], i) ? COL_DATA(&y.cols[0], int64_t)[i] : -1;
    for (;;) {
        assert_int_equal(agg_table_result(comp, &c1, ra, &x), KILN_OK);
        if (!x.n) break;
        for (uint32_t i = 0; i < x.n; i++, seen++) {
            int64_t key = col_valid(&x.cols[0], i) ? COL_DATA(&x.cols[0], int64_t)[i] : -1;
            uint32_t jj = 0;
            while (jj < y.n && keys2[jj] != key) jj++;
            assert_true(jj < y.n);
            for (int c = 1; c <= N; c++) {
                kiln_value u, w;
                assert_int_equal(col_vec_get_value(&x.cols[c], i, ra, &u), KILN_OK);
                assert_int_equal(col_vec_get_value(&y.cols[c], jj, ra, &w), KILN_OK);
                if (c == 10) { /* collect_list: same multiset */
                    assert_int_equal(u.len, w.len);
                    continue;
                }
                if (c == 8 || c == 9) /* first/last depend on the order of partials */
                    continue;
                if (u.type == KILN_DOUBLE && w.type == KILN_DOUBLE) {
                    assert_true(fabs(u.u.d - w.u.d) <= 1e-9 * fabs(u.u.d) + 1e-9);
                    continue;
                }
                if (!kiln_value_eq(&u, &w))
                    fail_msg("key %lld column %d (%s) differs", (long long)key, c, names[c - 1]);
            }
        }
    }
    assert_int_equal(seen, y.n);
    kiln_arena_free(ra);
    agg_table_free(comp);
    agg_table_free(p1);
    agg_table_free(p2);
    agg_table_free(fin);
    kiln_arena_free(a);
}

/* String keys (unicode, long ones past the inline limit) and double keys
 * with -0.0 / NaN: counts per group against a reference. */
static void string_and_double_keys(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const col_type *st = &col_type_string, *f64 = &col_type_f64;
    agg_bound b;
    assert_int_equal(agg_bind(&b, a, "count", NULL, 0, false, false), KILN_OK);
    agg_table *t = agg_table_new(&st, 1, &b, 1, AGG_COMPLETE, true);
    int64_t ref[300] = {0}, refnull = 0;
    uint64_t s = 5;
    for (int batch = 0; batch < 30; batch++) {
        col_vec k = sg_vec(a, st, 2048, 1);
        for (int i = 0; i < 2048; i++) {
            int64_t g = (int64_t)(sg_next(&s) % 300);
            COL_DATA(&k, col_str)[i] = sg_str(a, g);
            if (sg_next(&s) % 50 == 0) {
                col_set_null(&k, i);
                refnull++;
            } else {
                ref[g]++;
            }
        }
        const col_vec *args[1] = {NULL};
        assert_int_equal(agg_table_add_batch(t, &k, args, NULL, 2048), KILN_OK);
    }
    size_t cur = 0;
    col_batch r;
    size_t groups = 0;
    while (agg_table_result(t, &cur, a, &r) == KILN_OK && r.n) {
        for (uint32_t i = 0; i < r.n; i++, groups++) {
            int64_t c = COL_DATA(&r.cols[1], int64_t)[i];
            if (!col_valid(&r.cols[0], i)) {
                assert_int_equal(c, refnull);
                continue;
            }
            const col_str *cs = &COL_DATA(&r.cols[0], col_str)[i];
            int64_t g = -1;
            for (int64_t q = 0; q < 300 && g < 0; q++) {
                col_str e = sg_str(a, q);
                if (col_str_eq(&e, cs)) g = q;
            }
            assert_true(g >= 0);
            assert_int_equal(c, ref[g]);
        }
    }
    assert_int_equal(groups, 301);
    agg_table_free(t);

    /* Doubles: 0.0 and -0.0 one group, every NaN one group. */
    t = agg_table_new(&f64, 1, &b, 1, AGG_COMPLETE, true);
    col_vec k = sg_vec(a, f64, 6, 0);
    double vals[] = {0.0, -0.0, NAN, -NAN, 1.5, 1.5};
    memcpy(k.data, vals, sizeof vals);
    const col_vec *args[1] = {NULL};
    assert_int_equal(agg_table_add_batch(t, &k, args, NULL, 6), KILN_OK);
    assert_int_equal(agg_table_groups(t), 3);
    agg_table_free(t);
    kiln_arena_free(a);
}

/* Decimals: sum is decimal(p+10, s), avg decimal(p+4, s+4) rounded half up;
 * overflow is an error under ANSI and null otherwise. */
static void decimal_sum_avg(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const col_type *d = col_type_decimal(a, 10, 2);
    agg_bound b[2];
    assert_int_equal(agg_bind(&b[0], a, "sum", &d, 1, false, false), KILN_OK);
    assert_int_equal(agg_bind(&b[1], a, "avg", &d, 1, false, false), KILN_OK);
    assert_int_equal(b[0].result->precision, 20);
    assert_int_equal(b[0].result->scale, 2);
    assert_int_equal(b[1].result->precision, 14);
    assert_int_equal(b[1].result->scale, 6);
    agg_table *t = agg_table_new(NULL, 0, b, 2, AGG_COMPLETE, true);
    col_vec v = sg_vec(a, d, 3, 1);
    int64_t x[] = {100, 200, 201}; /* 1.00 2.00 2.01 */
    memcpy(v.data, x, sizeof x);
    const col_vec *args[2] = {&v, &v};
    assert_int_equal(agg_table_add_batch(t, NULL, args, NULL, 3), KILN_OK);
    size_t cur = 0;
    col_batch r;
    assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
    assert_true(COL_DATA(&r.cols[0], __int128)[0] == 501);       /* decimal(20,2): wide */
    assert_int_equal(COL_DATA(&r.cols[1], int64_t)[0], 1670000); /* 5.01/3 = 1.670000 */
    agg_table_free(t);

    /* avg of 1, 2 (scale 0, 2 values) and of -1, -2: 1.5 and -1.5; 1/3 rounds. */
    const col_type *d0 = col_type_decimal(a, 3, 0);
    agg_bound ba;
    assert_int_equal(agg_bind(&ba, a, "avg", &d0, 1, false, false), KILN_OK);
    t = agg_table_new(NULL, 0, &ba, 1, AGG_COMPLETE, true);
    col_vec w = sg_vec(a, d0, 3, 0);
    int64_t y[] = {2, 0, 0}; /* 2/3 = 0.6667 */
    memcpy(w.data, y, sizeof y);
    const col_vec *a1[1] = {&w};
    assert_int_equal(agg_table_add_batch(t, NULL, a1, NULL, 3), KILN_OK);
    cur = 0;
    assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
    assert_int_equal(COL_DATA(&r.cols[0], int64_t)[0], 6667);
    agg_table_free(t);

    /* Overflow of decimal(38,0) sums: error under ANSI, null without. */
    const col_type *big = col_type_decimal(a, 38, 0);
    agg_bound bs;
    assert_int_equal(agg_bind(&bs, a, "sum", &big, 1, false, false), KILN_OK);
    col_vec z = sg_vec(a, big, 2, 0);
    __int128 nines = 1;
    for (int i = 0; i < 38; i++) nines *= 10;
    nines -= 1;
    COL_DATA(&z, __int128)[0] = nines;
    COL_DATA(&z, __int128)[1] = 1;
    const col_vec *a2[1] = {&z};
    t = agg_table_new(NULL, 0, &bs, 1, AGG_COMPLETE, true);
    assert_int_equal(agg_table_add_batch(t, NULL, a2, NULL, 2), KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "NUMERIC_VALUE_OUT_OF_RANGE"));
    agg_table_free(t);
    t = agg_table_new(NULL, 0, &bs, 1, AGG_COMPLETE, false);
    assert_int_equal(agg_table_add_batch(t, NULL, a2, NULL, 2), KILN_OK);
    cur = 0;
    assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
    assert_false(col_valid(&r.cols[0], 0));
    agg_table_free(t);

    /* bigint sum overflow under ANSI. */
    const col_type *i64 = &col_type_i64;
    assert_int_equal(agg_bind(&bs, a, "sum", &i64, 1, false, false), KILN_OK);
    col_vec q = sg_vec(a, i64, 2, 0);
    COL_DATA(&q, int64_t)[0] = INT64_MAX;
    COL_DATA(&q, int64_t)[1] = 1;
    const col_vec *a3[1] = {&q};
    t = agg_table_new(NULL, 0, &bs, 1, AGG_COMPLETE, true);
    assert_int_equal(agg_table_add_batch(t, NULL, a3, NULL, 2), KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "ARITHMETIC_OVERFLOW"));
    agg_table_free(t);
    kiln_arena_free(a);
}

/* stddev/variance/corr against two-pass formulas; count(DISTINCT),
 * collect_set and approx_count_distinct against exact counts. */
static void statistics_and_distinct(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const col_type *f64 = &col_type_f64, *i64 = &col_type_i64;
    const char *names[] = {"stddev_samp", "stddev_pop", "var_samp",    "var_pop",
                           "corr",        "count",      "collect_set", "approx_count_distinct",
                           "sum"};
    enum { N = 9 };
    agg_bound b[N];
    for (int j = 0; j < N; j++) {
        const col_type *t2[2] = {j < 5 ? f64 : i64, f64};
        assert_int_equal(agg_bind(&b[j], a, names[j], t2, j == 4 ? 2 : 1, j == 5 || j == 8, false),
                         KILN_OK);
    }
    agg_table *t = agg_table_new(&i64, 1, b, N, AGG_COMPLETE, true);
    enum { G = 7, R = 30000 };
    static double xs[G][R], ys[G][R];
    static int64_t vs[G][R];
    int cnt[G] = {0};
    uint64_t s = 17;
    for (int batch = 0; batch < 10; batch++) {
        col_vec k = sg_vec(a, i64, 2048, 0), x = sg_vec(a, f64, 2048, 0),
                y = sg_vec(a, f64, 2048, 0), v = sg_vec(a, i64, 2048, 0);
        for (int i = 0; i < 2048; i++) {
            int g = (int)(sg_next(&s) % G);
            COL_DATA(&k, int64_t)[i] = g;
            double xv = (double)(sg_next(&s) % 100000) / 100.0;
            double yv = xv * 0.5 + (double)(sg_next(&s) % 1000) / 10.0;
            int64_t vv = (int64_t)(sg_next(&s) % (uint64_t)(g * 1000 + 1));
            COL_DATA(&x, double)[i] = xv;
            COL_DATA(&y, double)[i] = yv;
            COL_DATA(&v, int64_t)[i] = vv;
            xs[g][cnt[g]] = xv, ys[g][cnt[g]] = yv, vs[g][cnt[g]] = vv;
            cnt[g]++;
        }
        const col_vec xy[2] = {x, y};
        const col_vec *args[N] = {&x, &x, &x, &x, xy, &v, &v, &v, &v};
        assert_int_equal(agg_table_add_batch(t, &k, args, NULL, 2048), KILN_OK);
    }
    size_t cur = 0;
    col_batch r;
    assert_int_equal(agg_table_result(t, &cur, a, &r), KILN_OK);
    assert_int_equal(r.n, G);
    for (uint32_t i = 0; i < r.n; i++) {
        int g = (int)COL_DATA(&r.cols[0], int64_t)[i];
        int n = cnt[g];
        long double mx = 0, my = 0;
        for (int j = 0; j < n; j++) mx += xs[g][j], my += ys[g][j];
        mx /= n, my /= n;
        long double sxx = 0, syy = 0, sxy = 0;
        for (int j = 0; j < n; j++) {
            sxx += (xs[g][j] - mx) * (xs[g][j] - mx);
            syy += (ys[g][j] - my) * (ys[g][j] - my);
            sxy += (xs[g][j] - mx) * (ys[g][j] - my);
        }
        double want[5] = {sqrtl(sxx / (n - 1)), sqrtl(sxx / n), (double)(sxx / (n - 1)),
                          (double)(sxx / n), (double)(sxy / sqrtl(sxx * syy))};
        for (int c = 0; c < 5; c++) {
            double got = COL_DATA(&r.cols[1 + c], double)[i];
            if (fabs(got - want[c]) > 1e-9 * fabs(want[c]))
                fail_msg("%s of group %d: %.17g, expected %.17g", names[c], g, got, want[c]);
        }
        /* Distinct values of the group. */
        int64_t ndist = 0, dsum = 0;
        static uint8_t seen[8000];
        memset(seen, 0, sizeof seen);
        for (int j = 0; j < n; j++)
            if (!seen[vs[g][j]]) {
                seen[vs[g][j]] = 1;
                ndist++;
                dsum += vs[g][j];
            }
        assert_int_equal(COL_DATA(&r.cols[6], int64_t)[i], ndist);
        assert_int_equal(r.cols[7].offsets[i + 1] - r.cols[7].offsets[i], ndist);
        int64_t approx = COL_DATA(&r.cols[8], int64_t)[i];
        if (llabs(approx - ndist) > ndist / 5 + 2)
            fail_msg("approx_count_distinct %lld, exact %lld", (long long)approx, (long long)ndist);
        assert_int_equal(COL_DATA(&r.cols[9], int64_t)[i], dsum);
    }
    agg_table_free(t);
    kiln_arena_free(a);
}

/* sum/count/min/max/avg per group against sqlite3 on a CSV. */
static void sqlite_cross_check(void **state)
{
    (void)state;
    if (access("/usr/bin/sqlite3", X_OK) != 0) fail_msg("/usr/bin/sqlite3 is missing");
    char dir[] = "/tmp/kiln_sqlagg_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char csv[256], sql[256], out[256], cmd[1024];
    snprintf(csv, sizeof csv, "%s/d.csv", dir);
    snprintf(sql, sizeof sql, "%s/q.sql", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(csv, "w");
    enum { N = 40000 };
    row *rows = malloc(N * sizeof *rows);
    uint64_t s = 123;
    for (int i = 0; i < N; i++) {
        rows[i].k = (int64_t)(sg_next(&s) % 500);
        rows[i].knull = 0;
        rows[i].v = (int64_t)(sg_next(&s) % 100000) - 50000;
        rows[i].vnull = sg_next(&s) % 10 == 0;
        if (rows[i].vnull) fprintf(f, "%lld,\n", (long long)rows[i].k);
        else fprintf(f, "%lld,%lld\n", (long long)rows[i].k, (long long)rows[i].v);
    }
    fclose(f);
    f = fopen(sql, "w");
    fprintf(f,
            "CREATE TABLE t(k INTEGER, v INTEGER);\n.mode csv\n.import %s t\n"
            "UPDATE t SET v = NULL WHERE v = '';\n.mode list\n.separator ,\n"
            "SELECT k, count(v), count(*), sum(v), min(v), max(v), printf('%%.17g', avg(v)) "
            "FROM t GROUP BY k ORDER BY k;\n",
            csv);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 < %s > %s", sql, out);
    assert_int_equal(system(cmd), 0);
    kiln_arena *a = kiln_arena_new();
    agg_bound b[NFN];
    bind_all(b, a);
    agg_table *t = agg_table_new((const col_type *[]){&col_type_i64}, 1, b, NFN, AGG_COMPLETE,
                                 true);
    grp *got = malloc(N * sizeof *got);
    size_t ng = run_table(t, rows, N, got, a, false);
    qsort(got, ng, sizeof *got, grp_cmp);
    f = fopen(out, "r");
    char line[512];
    size_t i = 0;
    while (fgets(line, sizeof line, f)) {
        long long k, c, cs, sum, mn, mx;
        double avg;
        assert_int_equal(sscanf(line, "%lld,%lld,%lld,%lld,%lld,%lld,%lf", &k, &c, &cs, &sum, &mn,
                                &mx, &avg),
                         7);
        assert_true(i < ng);
        assert_int_equal(got[i].k, k);
        assert_int_equal(got[i].cnt, c);
        assert_int_equal(got[i].cntstar, cs);
        assert_int_equal(got[i].sum, sum);
        assert_int_equal(got[i].min, mn);
        assert_int_equal(got[i].max, mx);
        assert_true(fabs(got[i].avg - avg) <= 1e-9 * fabs(avg) + 1e-9);
        i++;
    }
    fclose(f);
    assert_int_equal(i, ng);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    agg_table_free(t);
    free(got);
    free(rows);
    kiln_arena_free(a);
}

/* FILTER (WHERE ...): count(*), count, sum and count(DISTINCT) each with
 * its own boolean filter (true / false / null, or a constant), complete
 * and partial -> final, against a loop over the rows. */
static void filtered_aggregates(void **state)
{
    (void)state;
    enum { N = 9000, G = 37, NA = 5 };
    kiln_arena *a = kiln_arena_new();
    const col_type *i64 = &col_type_i64;
    agg_bound b[NA];
    assert_int_equal(agg_bind(&b[0], a, "count", NULL, 0, false, false), KILN_OK);
    assert_int_equal(agg_bind(&b[1], a, "count", &i64, 1, false, false), KILN_OK);
    assert_int_equal(agg_bind(&b[2], a, "sum", &i64, 1, false, false), KILN_OK);
    assert_int_equal(agg_bind(&b[3], a, "count", &i64, 1, true, false), KILN_OK);
    assert_int_equal(agg_bind(&b[4], a, "count", NULL, 0, false, false), KILN_OK);
    static int64_t k[N], v[N];
    static uint8_t f[N], fnull[N], vnull[N];
    uint64_t s = 99;
    for (int i = 0; i < N; i++) {
        k[i] = sg_next(&s) % 3 == 0 ? 7 : (int64_t)(sg_next(&s) % G); /* skewed */
        v[i] = (int64_t)(sg_next(&s) % 50) - 25;
        vnull[i] = sg_next(&s) % 9 == 0;
        f[i] = sg_next(&s) % 2;
        fnull[i] = sg_next(&s) % 7 == 0;
    }
    /* The reference per group: [count* f][count v f][sum v f][distinct v f][count* const] */
    int64_t want[G][4] = {{0}}, groups[G] = {0};
    uint8_t seen[G][50] = {{0}};
    for (int i = 0; i < N; i++) {
        groups[k[i]]++;
        if (fnull[i] || !f[i]) continue;
        want[k[i]][0]++;
        if (vnull[i]) continue;
        want[k[i]][1]++;
        want[k[i]][2] += v[i];
        if (!seen[k[i]][v[i] + 25]++) want[k[i]][3]++;
    }
    for (int mode = 0; mode < 2; mode++) {
        agg_table *t = agg_table_new(&i64, 1, b, NA, mode ? AGG_PARTIAL : AGG_COMPLETE, true);
        agg_table *fin = mode ? agg_table_new(&i64, 1, b, NA, AGG_FINAL, true) : NULL;
        assert_non_null(t);
        for (int off = 0; off < N; off += 1000) {
            col_vec kv = sg_vec(a, i64, 1000, 0), vv = sg_vec(a, i64, 1000, 1);
            col_vec fv = sg_vec(a, &col_type_bool, 1000, 1);
            uint8_t no = 0;
            col_vec never;
            assert_int_equal(col_vec_constant(&never, a, &col_type_bool, &no, 1000), KILN_OK);
            for (int i = 0; i < 1000; i++) {
                COL_DATA(&kv, int64_t)[i] = k[off + i];
                COL_DATA(&vv, int64_t)[i] = v[off + i];
                COL_DATA(&fv, uint8_t)[i] = f[off + i];
                if (vnull[off + i]) col_set_null(&vv, (uint32_t)i);
                if (fnull[off + i]) col_set_null(&fv, (uint32_t)i);
            }
            const col_vec *args[NA] = {NULL, &vv, &vv, &vv, NULL};
            const col_vec *filters[NA] = {&fv, &fv, &fv, &fv, off % 2000 ? NULL : &never};
            assert_int_equal(agg_table_add_filtered(t, &kv, args, filters, NULL, 1000), KILN_OK);
        }
        agg_table *out = t;
        size_t cur = 0;
        if (mode) { /* partial states through the final table */
            for (;;) {
                col_batch pb;
                assert_int_equal(agg_table_result(t, &cur, a, &pb), KILN_OK);
                if (!pb.n) break;
                const col_vec *st[NA];
                int at = 1;
                for (int j = 0; j < NA; j++) {
                    st[j] = &pb.cols[at];
                    at += b[j].nstate;
                }
                assert_int_equal(agg_table_merge_batch(fin, &pb.cols[0], st, NULL, pb.n), KILN_OK);
            }
            out = fin;
            cur = 0;
        }
        size_t seen_groups = 0;
        for (;;) {
            col_batch r;
            assert_int_equal(agg_table_result(out, &cur, a, &r), KILN_OK);
            if (!r.n) break;
            for (uint32_t i = 0; i < r.n; i++) {
                int64_t g = COL_DATA(&r.cols[0], int64_t)[i];
                assert_true(g >= 0 && g < G && groups[g] > 0);
                seen_groups++;
                for (int j = 0; j < 4; j++) {
                    if (j == 2 && !want[g][1]) {
                        assert_false(col_valid(&r.cols[1 + j], i)); /* sum of nothing */
                        continue;
                    }
                    assert_int_equal(COL_DATA(&r.cols[1 + j], int64_t)[i], want[g][j]);
                }
                /* count(*) FILTER (WHERE false) on half the batches, no filter
                 * on the others: the rows of the unfiltered batches. */
                int64_t unf = 0;
                for (int x = 0; x < N; x++) unf += k[x] == g && (x / 1000) % 2 == 1;
                assert_int_equal(COL_DATA(&r.cols[5], int64_t)[i], unf);
            }
        }
        for (int g = 0; g < G; g++) seen_groups -= groups[g] > 0;
        assert_int_equal(seen_groups, 0); /* every group, even if filtered empty */
        agg_table_free(t);
        agg_table_free(fin);
    }
    kiln_arena_free(a);
}

static void unknown_and_bad_calls(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    agg_bound b;
    const col_type *st = &col_type_string;
    assert_int_equal(agg_bind(&b, a, "no_such_agg", &st, 1, false, false), KILN_ENOTFOUND);
    assert_int_equal(agg_bind(&b, a, "sum", &st, 1, false, false), KILN_ESQL);
    assert_non_null(b.err_cls);
    assert_int_equal(agg_bind(&b, a, "max", &st, 1, false, false), KILN_OK);
    assert_true(col_type_eq(b.result, st));
    assert_int_equal(agg_bind(&b, a, "sum", NULL, 0, false, false), KILN_ESQL);
    assert_int_equal(agg_bind(&b, a, "MEAN", (const col_type *[]){&col_type_i32}, 1, false, false),
                     KILN_OK);
    assert_int_equal(b.result->kind, COL_F64);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(groupby_matches_reference),
        cmocka_unit_test(many_groups_match_reference),
        cmocka_unit_test(spilled_groupby_matches_reference),
        cmocka_unit_test(global_aggregate),
        cmocka_unit_test(partial_final_equals_complete),
        cmocka_unit_test(string_and_double_keys),
        cmocka_unit_test(decimal_sum_avg),
        cmocka_unit_test(statistics_and_distinct),
        cmocka_unit_test(sqlite_cross_check),
        cmocka_unit_test(filtered_aggregates),
        cmocka_unit_test(unknown_and_bad_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
