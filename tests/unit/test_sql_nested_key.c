/*
 * test_sql_nested_key.c - sql/nested_key: the order-preserving encoding of
 * nested values. Random array<struct<d:double,s:string>> rows (nulls at
 * every level, empty arrays, -0.0, NaN, infinities, strings with 0x00
 * bytes, unicode and long ones): every row decodes back to the same value
 * (-0.0 too), memcmp of the encodings orders rows as a recursive reference
 * comparator following Spark's ordering (strictly before is before; the
 * normalised encodings are equal exactly when the reference says equal,
 * and then vec_hash agrees); maps encode equally whatever their entries'
 * order and decode sorted by key; a cut encoding is refused; the sorter
 * orders such rows in memory and through spilled runs.
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
#include "kt_rand.h"
#include "sql/nested_key.h"
#include "sql/sort.h"
#include "sql/vec_hash.h"

#define N 300

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static const char *const strs[] = {
    "", "a", "a\0b", "a\0", "ab", "é", "a long string of bytes", "a long string of bytez"};
static const uint32_t lens[] = {0, 1, 3, 2, 2, 2, 22, 22};

static int dcmp(double a, double b)
{
    bool an = isnan(a), bn = isnan(b);
    if (an || bn) return an - bn;
    return (a > b) - (a < b);
}

/* Spark's order of row i of x and row j of y (same type, nulls first). */
static int ref_cmp(const col_vec *x, uint32_t i, const col_vec *y, uint32_t j)
{
    bool vx = col_valid(x, i), vy = col_valid(y, j);
    if (!vx || !vy) return vx - vy;
    switch (x->type->kind) {
    case COL_F64:
        return dcmp(COL_DATA(x, double)[i], COL_DATA(y, double)[j]);
    case COL_STRING: {
        int c = col_str_cmp(&COL_DATA(x, col_str)[i], &COL_DATA(y, col_str)[j]);
        return (c > 0) - (c < 0);
    }
    case COL_STRUCT:
        for (int f = 0; f < x->nchildren; f++) {
            int c = ref_cmp(&x->children[f], i, &y->children[f], j);
            if (c) return c;
        }
        return 0;
    default: { /* array */
        uint32_t a = x->offsets[i], la = x->offsets[i + 1] - a;
        uint32_t b = y->offsets[j], lb = y->offsets[j + 1] - b;
        for (uint32_t k = 0; k < la && k < lb; k++) {
            int c = ref_cmp(&x->children[0], a + k, &y->children[0], b + k);
            if (c) return c;
        }
        return (la > lb) - (la < lb);
    }
    }
}

static const col_type *elem_type(kiln_arena *a)
{
    col_field f[2] = {{"d", &col_type_f64, true}, {"s", &col_type_string, true}};
    return col_type_struct(a, f, 2);
}

/* N random rows of array<struct<d:double,s:string>>. */
static void make_rows(kiln_arena *a, col_vec *v)
{
    const col_type *t = col_type_array(a, elem_type(a), true);
    assert_int_equal(col_vec_init(v, a, t, 4 * N), KILN_OK);
    assert_int_equal(col_vec_add_validity(v, a, N), KILN_OK);
    col_vec *e = &v->children[0], *d = &e->children[0], *s = &e->children[1];
    assert_int_equal(col_vec_add_validity(e, a, 4 * N), KILN_OK);
    uint32_t at = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t n = rnd() % 8 == 0 ? 0 : (uint32_t)(rnd() % 4);
        if (rnd() % 9 == 0) col_set_null(v, i), n = 0;
        for (uint32_t k = 0; k < n; k++, at++) {
            if (rnd() % 7 == 0) col_set_null(e, at);
            static const double ds[] = {0.0, -0.0, 1.5, -1.5, INFINITY, -INFINITY};
            int q = (int)(rnd() % 8);
            COL_DATA(d, double)[at] = q == 6 ? NAN : q == 7 ? -NAN : ds[q];
            if (rnd() % 6 == 0) col_set_null(d, at);
            int w = (int)(rnd() % 8);
            assert_true(col_str_copy(a, strs[w], lens[w], &COL_DATA(s, col_str)[at]));
            if (rnd() % 6 == 0) col_set_null(s, at);
        }
        v->offsets[i + 1] = at;
    }
    v->n = N;
    e->n = d->n = s->n = at;
}

static void encode_all(kiln_arena *a, const col_vec *v, bool norm, col_str *out, uint8_t *valid)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t i = 0; i < v->n; i++) {
        valid[i] = col_valid(v, i);
        memset(&out[i], 0, sizeof out[i]);
        if (!valid[i]) continue;
        b.len = 0;
        assert_int_equal(nk_encode(&b, v, i, norm), KILN_OK);
        assert_true(col_str_copy(a, (const char *)b.data, (uint32_t)b.len, &out[i]));
    }
    kiln_buf_release(&b);
}

static char *text(kiln_arena *a, const col_vec *v, uint32_t i)
{
    kiln_value x;
    assert_int_equal(col_vec_get_value(v, i, a, &x), KILN_OK);
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(kiln_value_format(&b, &x), KILN_OK);
    assert_int_equal(kiln_buf_append(&b, "", 1), KILN_OK);
    /* every NaN prints the same; -0.0 prints as such */
    return (char *)b.data;
}

static void round_trip_and_order(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_vec v, back;
    make_rows(a, &v);
    static col_str raw[N], nrm[N];
    static uint8_t valid[N];
    encode_all(a, &v, false, raw, valid);
    encode_all(a, &v, true, nrm, valid);
    assert_int_equal(nk_decode(v.type, raw, valid, N, a, &back), KILN_OK);
    assert_int_equal(back.n, N);
    for (uint32_t i = 0; i < N; i++) {
        char *x = text(a, &v, i), *y = text(a, &back, i);
        if (strcmp(x, y) != 0) fail_msg("row %u: %s decoded as %s", i, x, y);
        free(x);
        free(y);
    }
    uint64_t h[N];
    vec_hash(&v, NULL, N, h);
    for (uint32_t i = 0; i < N; i++)
        for (uint32_t j = 0; j < N; j++) {
            if (!valid[i] || !valid[j]) continue;
            int want = ref_cmp(&v, i, &v, j);
            int cn = col_str_cmp(&nrm[i], &nrm[j]), cr = col_str_cmp(&raw[i], &raw[j]);
            cn = (cn > 0) - (cn < 0);
            cr = (cr > 0) - (cr < 0);
            if (cn != want)
                fail_msg("rows %u, %u (%s, %s): normalised order %d, expected %d", i, j,
                         text(a, &v, i), text(a, &v, j), cn, want);
            if (want && cr != want) fail_msg("rows %u, %u: order %d, expected %d", i, j, cr, want);
            if (!want) assert_true(h[i] == h[j]);
        }
    /* the decoded rows hash as the originals (what a spilled table re-hashes) */
    uint64_t h2[N];
    vec_hash(&back, NULL, N, h2);
    for (uint32_t i = 0; i < N; i++) assert_true(h[i] == h2[i]);
    /* a cut encoding is refused */
    for (uint32_t i = 0; i < N; i++) {
        if (!valid[i] || nrm[i].len < 2) continue;
        /* without the end marker of the array */
        col_str cut = col_str_view(col_str_data(&nrm[i]), nrm[i].len - 1);
        uint8_t one = 1;
        col_vec out;
        assert_int_equal(nk_decode(v.type, &cut, &one, 1, a, &out), KILN_ECORRUPT);
    }
    kiln_arena_free(a);
}

/* A map<int,double> vector of the given rows (entries k[j]: d[j]). */
static void make_map(kiln_arena *a, col_vec *v, const int (*k)[3], const double (*d)[3],
                     const int *n, uint32_t rows)
{
    const col_type *t = col_type_map(a, &col_type_i32, &col_type_f64, true);
    assert_int_equal(col_vec_init(v, a, t, 3 * rows), KILN_OK);
    uint32_t at = 0;
    for (uint32_t i = 0; i < rows; i++) {
        for (int j = 0; j < n[i]; j++, at++) {
            COL_DATA(&v->children[0], int32_t)[at] = k[i][j];
            COL_DATA(&v->children[1], double)[at] = d[i][j];
            if (isinf(d[i][j])) col_set_null(&v->children[1], at); /* inf marks a null */
        }
        v->offsets[i + 1] = at;
    }
    v->n = rows;
    v->children[0].n = v->children[1].n = at;
}

static void maps_in_any_order(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const int k[6][3] = {{1, 2}, {2, 1}, {1}, {0}, {2, 1}, {1, 2}};
    const double d[6][3] = {{0.5, INFINITY}, {INFINITY, 0.5}, {0.5}, {0}, {-0.0, 0.5}, {0.5, 0.0}};
    const int n[6] = {2, 2, 1, 0, 2, 2};
    col_vec v, back;
    make_map(a, &v, k, d, n, 6);
    col_str nrm[6], raw[6];
    uint8_t valid[6];
    encode_all(a, &v, true, nrm, valid);
    encode_all(a, &v, false, raw, valid);
    assert_true(nrm[0].len == nrm[1].len && col_str_cmp(&nrm[0], &nrm[1]) == 0);
    assert_true(col_str_cmp(&nrm[0], &nrm[2]) != 0);
    assert_true(col_str_cmp(&nrm[2], &nrm[3]) != 0);
    assert_true(col_str_cmp(&nrm[4], &nrm[5]) == 0);
    assert_true(col_str_cmp(&raw[4], &raw[5]) != 0); /* -0.0 kept */
    uint64_t h[6];
    vec_hash(&v, NULL, 6, h);
    assert_true(h[0] == h[1] && h[4] == h[5] && h[0] != h[2]);
    assert_int_equal(nk_decode(v.type, raw, valid, 6, a, &back), KILN_OK);
    kiln_value x;
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(col_vec_get_value(&back, 1, a, &x), KILN_OK);
    assert_int_equal(kiln_value_format(&b, &x), KILN_OK);
    assert_int_equal(kiln_buf_append(&b, "|", 1), KILN_OK);
    assert_int_equal(col_vec_get_value(&back, 4, a, &x), KILN_OK);
    assert_int_equal(kiln_value_format(&b, &x), KILN_OK);
    assert_int_equal(kiln_buf_append(&b, "", 1), KILN_OK);
    assert_string_equal((const char *)b.data, "[(1,0.5), (2,null)]|[(1,0.5), (2,-0.0)]");
    kiln_buf_release(&b);
    assert_false(nk_orderable(v.type));
    assert_true(nk_orderable(col_type_array(a, elem_type(a), true)));
    kiln_arena_free(a);
}

/* The order of the raw (not normalised) encodings of rows i and j of v. */
static int raw_cmp(const col_vec *v, int i, int j)
{
    kiln_buf x, y;
    kiln_buf_init(&x);
    kiln_buf_init(&y);
    assert_int_equal(nk_encode(&x, v, (uint32_t)i, false), KILN_OK);
    assert_int_equal(nk_encode(&y, v, (uint32_t)j, false), KILN_OK);
    size_t n = x.len < y.len ? x.len : y.len;
    int c = memcmp(x.data, y.data, n);
    if (!c) c = (x.len > y.len) - (x.len < y.len);
    kiln_buf_release(&x);
    kiln_buf_release(&y);
    return (c > 0) - (c < 0);
}

/* The sorter over N rows (column 0 the key, column 1 an int row number),
 * fed in batches of 37 rows, spilling every batch when spill is set: the
 * rows come out in the reference order (ties by row number: the sorter
 * is stable) with their values intact. */
static void sort_case(bool spill, bool desc, bool nulls_first)
{
    kiln_arena *a = kiln_arena_new();
    col_vec v;
    make_rows(a, &v);
    const col_type *types[2] = {v.type, &col_type_i32};
    sort_key keys[2] = {{0, desc, nulls_first}, {1, false, true}};
    sql_sorter *s = sql_sorter_new(types, 2, keys, 2);
    assert_non_null(s);
    if (spill) assert_int_equal(sql_sorter_set_spill(s, 1, "/tmp"), KILN_OK);
    for (uint32_t off = 0; off < N; off += 37) {
        uint32_t m = N - off < 37 ? N - off : 37, sel[37];
        for (uint32_t k = 0; k < m; k++) sel[k] = off + k;
        col_batch b = {0};
        col_vec cols[2];
        assert_int_equal(col_vec_gather(&cols[0], a, &v, sel, m), KILN_OK);
        assert_int_equal(col_vec_init(&cols[1], a, &col_type_i32, m), KILN_OK);
        for (uint32_t k = 0; k < m; k++) COL_DATA(&cols[1], int32_t)[k] = (int32_t)(off + k);
        cols[1].n = m;
        b.ncols = 2;
        b.n = m;
        b.cols = cols;
        assert_int_equal(sql_sorter_add_batch(s, &b), KILN_OK);
    }
    assert_int_equal(sql_sorter_finish(s), KILN_OK);
    if (spill) assert_true(sql_sorter_spilled(s) > 0);
    int prev = -1, seen = 0;
    for (;;) {
        col_batch out;
        assert_int_equal(sql_sorter_next_batch(s, a, &out), KILN_OK);
        if (!out.ncols || !out.n) break;
        for (uint32_t k = 0; k < out.n; k++, seen++) {
            int r = COL_DATA(&out.cols[1], int32_t)[k];
            char *x = text(a, &out.cols[0], k), *y = text(a, &v, (uint32_t)r);
            if (strcmp(x, y) != 0) fail_msg("sorted row %d: %s, expected %s", r, x, y);
            free(x);
            free(y);
            if (prev >= 0) {
                bool vp = col_valid(&v, (uint32_t)prev), vr = col_valid(&v, (uint32_t)r);
                int c = !vp || !vr ? (vp == vr               ? 0
                                      : (!vp) == nulls_first ? -1
                                                             : 1)
                                   : (desc ? -1 : 1) * ref_cmp(&v, (uint32_t)prev, &v, (uint32_t)r);
                /* ties: by the signs of their zeros (the raw encodings), then stable */
                if (c == 0 && vp && vr) c = (desc ? -1 : 1) * raw_cmp(&v, prev, r);
                if (c > 0 || (c == 0 && prev > r))
                    fail_msg("%s sort: row %d (%s) before row %d (%s)",
                             spill ? "spilled" : "in-memory", prev, text(a, &v, (uint32_t)prev), r,
                             text(a, &v, (uint32_t)r));
            }
            prev = r;
        }
    }
    assert_int_equal(seen, N);
    sql_sorter_free(s);
    kiln_arena_free(a);
}

static void sorter_in_memory_and_spilled(void **state)
{
    (void)state;
    for (int m = 0; m < 8; m++) sort_case(m & 1, m & 2, m & 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_order),
        cmocka_unit_test(maps_in_any_order),
        cmocka_unit_test(sorter_in_memory_and_spilled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
