/*
 * test_sql_vec_hash.c - sql/vec_hash: equal values hash equally whatever
 * the vector shape (selection, constant, nulls elsewhere, strings inline
 * or not), integers of every width agree, -0.0 = 0.0 and every NaN is one,
 * nulls hash to the constant, combining key columns equals a row-by-row
 * reference, and distinct values rarely collide.
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
#include "sql/vec_hash.h"
#include "sqlops_gen.h"

static uint64_t hash1(kiln_arena *a, const col_type *t, const void *val)
{
    col_vec v = sg_vec(a, t, 1, 0);
    memcpy(v.data, val, col_type_width(t));
    uint64_t h;
    vec_hash(&v, NULL, 1, &h);
    return h;
}

static void integers_of_every_width_agree(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    for (int64_t x = -300; x <= 300; x += 7) {
        int8_t i8 = (int8_t)x;
        int16_t i16 = (int16_t)x;
        int32_t i32 = (int32_t)x;
        uint64_t h64 = hash1(a, &col_type_i64, &x);
        assert_int_equal(h64, vec_hash_i64(x));
        if (x >= -128 && x <= 127) assert_int_equal(hash1(a, &col_type_i8, &i8), h64);
        assert_int_equal(hash1(a, &col_type_i16, &i16), h64);
        assert_int_equal(hash1(a, &col_type_i32, &i32), h64);
        __int128 w = x;
        assert_int_equal(hash1(a, col_type_decimal(a, 30, 2), &w), h64);
    }
    kiln_arena_free(a);
}

static void floats_normalised(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    double z = 0.0, nz = -0.0, n1 = NAN, n2 = -NAN, one = 1.0;
    uint64_t bits = UINT64_C(0x7ff0000000000123);
    double n3;
    memcpy(&n3, &bits, 8);
    assert_int_equal(hash1(a, &col_type_f64, &z), hash1(a, &col_type_f64, &nz));
    assert_int_equal(hash1(a, &col_type_f64, &n1), hash1(a, &col_type_f64, &n2));
    assert_int_equal(hash1(a, &col_type_f64, &n1), hash1(a, &col_type_f64, &n3));
    assert_int_not_equal(hash1(a, &col_type_f64, &z), hash1(a, &col_type_f64, &one));
    float fz = -0.0f, fo = 1.0f;
    assert_int_equal(hash1(a, &col_type_f32, &fz), hash1(a, &col_type_f64, &z));
    assert_int_equal(hash1(a, &col_type_f32, &fo), hash1(a, &col_type_f64, &one));
    kiln_arena_free(a);
}

/* Hashes of rows via every vector shape equal the one-row hashes. */
static void shapes_agree_with_rows(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    enum { N = 3000 };
    col_vec iv = sg_vec(a, &col_type_i64, N, 1), sv = sg_vec(a, &col_type_string, N, 1),
            dv = sg_vec(a, &col_type_f64, N, 1);
    uint64_t s = 1;
    for (int i = 0; i < N; i++) {
        COL_DATA(&iv, int64_t)[i] = (int64_t)(sg_next(&s) % 100);
        COL_DATA(&sv, col_str)[i] = sg_str(a, (int64_t)(sg_next(&s) % 100));
        COL_DATA(&dv, double)[i] = (double)(sg_next(&s) % 100) / 3;
        if (sg_next(&s) % 9 == 0) col_set_null(&iv, i);
        if (sg_next(&s) % 9 == 0) col_set_null(&sv, i);
        if (sg_next(&s) % 9 == 0) col_set_null(&dv, i);
    }
    uint32_t sel[N], ns = 0;
    for (uint32_t i = 0; i < N; i++)
        if (i % 3) sel[ns++] = i;
    col_vec keys[3] = {iv, sv, dv};
    uint64_t h[N];
    vec_hash_keys(keys, 3, sel, ns, h);
    for (uint32_t k = 0; k < ns; k++) {
        uint32_t i = sel[k];
        /* The same row alone, in a fresh one-row vector per column. */
        col_vec one[3];
        for (int c = 0; c < 3; c++) {
            one[c] = sg_vec(a, keys[c].type, 1, 1);
            if (col_valid(&keys[c], i))
                memcpy(one[c].data,
                       (uint8_t *)keys[c].data + (size_t)i * col_type_width(keys[c].type),
                       col_type_width(keys[c].type));
            else col_set_null(&one[c], 0);
        }
        uint64_t h1;
        vec_hash_keys(one, 3, NULL, 1, &h1);
        assert_int_equal(h[k], h1);
    }
    /* A null hashes to the constant. */
    col_vec nv = sg_vec(a, &col_type_i64, 1, 1);
    col_set_null(&nv, 0);
    uint64_t hn;
    vec_hash(&nv, NULL, 1, &hn);
    assert_int_equal(hn, VEC_HASH_NULL);
    /* Constant vectors equal flat ones. */
    int64_t x = 42;
    col_vec cv;
    assert_int_equal(col_vec_constant(&cv, a, &col_type_i64, &x, 5), KILN_OK);
    uint64_t hc[5];
    vec_hash(&cv, NULL, 5, hc);
    for (int i = 0; i < 5; i++) assert_int_equal(hc[i], vec_hash_i64(42));
    /* Strings: long values from different buffers hash equal. */
    char b1[40], b2[40];
    memset(b1, 'q', sizeof b1);
    memset(b2, 'q', sizeof b2);
    col_str s1 = col_str_view(b1, 40), s2 = col_str_view(b2, 40), s3 = col_str_view(b1, 39);
    assert_int_equal(hash1(a, &col_type_string, &s1), hash1(a, &col_type_string, &s2));
    assert_int_not_equal(hash1(a, &col_type_string, &s1), hash1(a, &col_type_string, &s3));
    assert_int_equal(hash1(a, &col_type_string, &s1), vec_hash_bytes(b1, 40));
    kiln_arena_free(a);
}

static int u64cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static void few_collisions(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    enum { N = 200000 };
    col_vec v = sg_vec(a, &col_type_i64, N, 0);
    for (int i = 0; i < N; i++) COL_DATA(&v, int64_t)[i] = i * 1024; /* structured keys */
    uint64_t *h = malloc(N * 8);
    vec_hash(&v, NULL, N, h);
    /* Low bits (the table's bucket) spread: each of 1024 buckets gets some. */
    int buckets[1024] = {0};
    for (int i = 0; i < N; i++) buckets[h[i] & 1023]++;
    for (int b = 0; b < 1024; b++) assert_true(buckets[b] > 100 && buckets[b] < 300);
    qsort(h, N, 8, u64cmp);
    for (int i = 1; i < N; i++) assert_int_not_equal(h[i], h[i - 1]);
    free(h);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_of_every_width_agree),
        cmocka_unit_test(floats_normalised),
        cmocka_unit_test(shapes_agree_with_rows),
        cmocka_unit_test(few_collisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
