/*
 * test_sql_sort.c - sql/sort: ORDER BY over int64, double (-0.0, NaN,
 * infinities) and string keys (unicode, long common prefixes that need the
 * full-string tie-break), asc/desc with nulls first/last, several keys,
 * against a stable merge sort with a plain comparator (the row order must
 * be identical: equal keys keep input order); and top-N against the
 * first n rows of the same.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kiln.h"
#include "sql/sort.h"
#include "sqlops_gen.h"

typedef struct trow {
    int64_t i;
    double d;
    char s[64];
    uint32_t slen;
    uint8_t inull, dnull, snull;
    uint32_t id;
} trow;

static sort_key g_keys[3];
static int g_nkeys;

static int dcmp(double a, double b)
{
    bool an = isnan(a), bn = isnan(b);
    if (an || bn) return an - bn;
    return (a > b) - (a < b);
}

static int trow_cmp(const trow *x, const trow *y)
{
    for (int k = 0; k < g_nkeys; k++) {
        int col = g_keys[k].col;
        bool xn = col == 0 ? x->inull : col == 1 ? x->dnull : x->snull;
        bool yn = col == 0 ? y->inull : col == 1 ? y->dnull : y->snull;
        int c;
        if (xn || yn) {
            if (xn && yn) continue;
            c = xn ? -1 : 1;
            if (!g_keys[k].nulls_first) c = -c;
            return c;
        }
        if (col == 0) c = (x->i > y->i) - (x->i < y->i);
        else if (col == 1) c = dcmp(x->d, y->d);
        else {
            uint32_t m = x->slen < y->slen ? x->slen : y->slen;
            c = memcmp(x->s, y->s, m);
            if (!c) c = (x->slen > y->slen) - (x->slen < y->slen);
        }
        if (c) return g_keys[k].desc ? -c : c;
    }
    return 0;
}

/* Stable merge sort (the reference). */
static void msort(trow *a, trow *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    msort(a, tmp, h);
    msort(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = trow_cmp(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
    while (i < h) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static void gen_rows(trow *r, size_t n, uint64_t seed, int64_t distinct)
{
    uint64_t s = seed;
    static const double specials[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1e-300, -1.5};
    static const char *const pre[] = {"", "a", "é", "日本語", "long-common-prefix-xyz-", "\xff"};
    for (size_t i = 0; i < n; i++) {
        trow *t = &r[i];
        memset(t, 0, sizeof *t);
        t->id = (uint32_t)i;
        t->i = (int64_t)(sg_next(&s) % (uint64_t)distinct) - distinct / 2;
        if (sg_next(&s) % 50 == 0) t->i = sg_next(&s) % 2 ? INT64_MIN : INT64_MAX;
        t->d = sg_next(&s) % 5 == 0 ? specials[sg_next(&s) % 7]
                                    : (double)(int64_t)(sg_next(&s) % 200) / 4 - 25;
        int m = snprintf(t->s, sizeof t->s, "%s%lld", pre[sg_next(&s) % 6],
                         (long long)(sg_next(&s) % (uint64_t)distinct));
        t->slen = (uint32_t)m;
        t->inull = sg_next(&s) % 10 == 0;
        t->dnull = sg_next(&s) % 10 == 0;
        t->snull = sg_next(&s) % 10 == 0;
    }
}

static size_t g_spill; /* > 0: external sort with this memory limit */

static void sort_case(size_t n, int64_t distinct, const sort_key *keys, int nkeys, size_t limit,
                      uint64_t seed)
{
    trow *rows = malloc((n + 1) * sizeof *rows), *tmp = malloc((n + 1) * sizeof *tmp);
    gen_rows(rows, n, seed, distinct);
    kiln_arena *a = kiln_arena_new();
    const col_type *types[4] = {&col_type_i64, &col_type_f64, &col_type_string, &col_type_i32};
    sql_sorter *s = limit ? sql_topn_new(limit, types, 4, keys, nkeys)
                          : sql_sorter_new(types, 4, keys, nkeys);
    assert_non_null(s);
    if (g_spill) assert_int_equal(sql_sorter_set_spill(s, g_spill, "/tmp"), KILN_OK);
    for (size_t off = 0; off < n; off += 2048) {
        uint32_t m = (uint32_t)(n - off < 2048 ? n - off : 2048);
        col_batch b;
        assert_int_equal(col_batch_init(&b, a, 4, types, m), KILN_OK);
        b.n = m;
        for (int c = 0; c < 4; c++) {
            b.cols[c].n = m;
            assert_int_equal(col_vec_add_validity(&b.cols[c], a, m), KILN_OK);
        }
        /* Every third batch has a selection dropping every 7th row. */
        uint32_t *sel = NULL, ns = 0;
        if ((off / 2048) % 3 == 2) {
            sel = kiln_arena_alloc(a, m * 4);
            for (uint32_t i = 0; i < m; i++)
                if (i % 7) sel[ns++] = i;
            b.sel = sel;
            b.nsel = ns;
        }
        for (uint32_t i = 0; i < m; i++) {
            trow *t = &rows[off + i];
            if (sel && i % 7 == 0) t->id = UINT32_MAX; /* not added */
            COL_DATA(&b.cols[0], int64_t)[i] = t->i;
            COL_DATA(&b.cols[1], double)[i] = t->d;
            assert_true(col_str_copy(a, t->s, t->slen, &COL_DATA(&b.cols[2], col_str)[i]));
            COL_DATA(&b.cols[3], int32_t)[i] = (int32_t)t->id;
            if (t->inull) col_set_null(&b.cols[0], i);
            if (t->dnull) col_set_null(&b.cols[1], i);
            if (t->snull) col_set_null(&b.cols[2], i);
        }
        assert_int_equal(sql_sorter_add_batch(s, &b), KILN_OK);
        kiln_arena_reset(a);
    }
    assert_int_equal(sql_sorter_finish(s), KILN_OK);
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].id != UINT32_MAX) rows[live++] = rows[i];
    memcpy(g_keys, keys, (size_t)nkeys * sizeof *keys);
    g_nkeys = nkeys;
    msort(rows, tmp, live);
    size_t want = limit && limit < live ? limit : live;
    size_t got = 0;
    for (;;) {
        col_batch b;
        assert_int_equal(sql_sorter_next_batch(s, a, &b), KILN_OK);
        if (!b.n) break;
        for (uint32_t i = 0; i < b.n; i++, got++) {
            assert_true(got < want);
            uint32_t id = (uint32_t)COL_DATA(&b.cols[3], int32_t)[i];
            if (id != rows[got].id)
                fail_msg("n %zu keys %d limit %zu: row %zu is input row %u, expected %u (key "
                         "%s / %s)",
                         n, nkeys, limit, got, id, rows[got].id, rows[got].s,
                         b.cols[2].validity && !col_valid(&b.cols[2], i) ? "null" : "?");
            /* The payload travelled with its row. */
            assert_int_equal(col_valid(&b.cols[0], i), !rows[got].inull);
            if (!rows[got].snull) {
                const col_str *cs = &COL_DATA(&b.cols[2], col_str)[i];
                assert_int_equal(cs->len, rows[got].slen);
                assert_memory_equal(col_str_data(cs), rows[got].s, cs->len);
            }
        }
        kiln_arena_reset(a);
    }
    assert_int_equal(got, want);
    if (g_spill && n > 10000) assert_true(sql_sorter_spilled(s) > 0);
    sql_sorter_free(s);
    kiln_arena_free(a);
    free(rows);
    free(tmp);
}

static void sorts_match_stable_reference(void **state)
{
    (void)state;
    sort_key k1[] = {{0, false, true}};
    sort_key k2[] = {{0, true, false}};
    sort_key k3[] = {{1, false, false}};
    sort_key k4[] = {{2, false, true}};
    sort_key k5[] = {{2, true, true}, {1, true, false}, {0, false, false}};
    sort_key k6[] = {{1, true, true}, {2, false, false}};
    sort_case(0, 10, k1, 1, 0, 1);
    sort_case(1, 10, k1, 1, 0, 2);
    sort_case(20000, 1000000, k1, 1, 0, 3);
    sort_case(20000, 50, k2, 1, 0, 4); /* many ties: stability */
    sort_case(20000, 1000, k3, 1, 0, 5);
    sort_case(20000, 1000, k4, 1, 0, 6);
    sort_case(20000, 40, k5, 3, 0, 7);
    sort_case(20000, 400, k6, 2, 0, 8);
    sort_case(5000, 1, k4, 1, 0, 9); /* all-equal strings */
}

static void large_sort(void **state)
{
    (void)state;
    sort_key k1[] = {{0, false, true}};
    sort_case(300000, 1000000000, k1, 1, 0, 10);
}

/* Over a small limit: sorted runs in files, merged; same order, stable. */
static void external_sort_matches_reference(void **state)
{
    (void)state;
    sort_key k1[] = {{0, false, true}};
    sort_key k2[] = {{0, true, false}};
    sort_key k5[] = {{2, true, true}, {1, true, false}, {0, false, false}};
    sort_key k6[] = {{1, true, true}, {2, false, false}};
    g_spill = 128 * 1024;
    sort_case(0, 10, k1, 1, 0, 31);
    sort_case(30000, 1000000, k1, 1, 0, 32);
    sort_case(30000, 50, k2, 1, 0, 33);
    sort_case(30000, 40, k5, 3, 0, 34);
    sort_case(30000, 400, k6, 2, 0, 35);
    g_spill = 0;
}

static void topn_matches_prefix(void **state)
{
    (void)state;
    sort_key k1[] = {{0, false, true}};
    sort_key k5[] = {{2, true, true}, {1, true, false}, {0, false, false}};
    sort_case(30000, 1000, k1, 1, 10, 11);
    sort_case(30000, 20, k1, 1, 100, 12);
    sort_case(30000, 40, k5, 3, 1000, 13);
    sort_case(50, 40, k5, 3, 1000, 14); /* fewer rows than the limit */
    sort_case(30000, 1000, k1, 1, 1, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorts_match_stable_reference),
        cmocka_unit_test(large_sort),
        cmocka_unit_test(external_sort_matches_reference),
        cmocka_unit_test(topn_matches_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
