/*
 * tests/unit/test_value.c - arena constructors, deep copy, kiln_buf, and the
 * total order: fixed chains of values in order, then properties on random
 * values (antisymmetry, transitivity, eq agreeing with cmp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "value_gen.h"

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void test_constructors_copy(void **state)
{
    kiln_arena *a = kiln_arena_new();
    char src[] = "hello";
    kiln_value s = kiln_str_new(a, src, 5);
    src[0] = 'J';
    assert_int_equal(s.type, KILN_STR);
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.u.s, "hello", 5);

    kiln_value c = kiln_cstr(a, "word");
    assert_int_equal(c.type, KILN_STR);
    assert_int_equal(c.len, 4);
    assert_memory_equal(c.u.s, "word", 4);

    kiln_value e = kiln_str_new(a, NULL, 0);
    assert_int_equal(e.type, KILN_STR);
    assert_int_equal(e.len, 0);

    uint8_t raw[3] = {0, 255, 7};
    kiln_value b = kiln_bytes_new(a, raw, 3);
    raw[1] = 1;
    assert_int_equal(b.type, KILN_BYTES);
    assert_int_equal(b.u.bytes[1], 255);

    kiln_value p = kiln_pair(a, c, kiln_int(3));
    assert_true(kiln_is_pair(&p));
    assert_true(kiln_value_eq(kiln_key(&p), &c));
    assert_int_equal(kiln_val(&p)->u.i, 3);

    kiln_value items[3] = {kiln_int(1), kiln_double(2.5), kiln_bool(true)};
    kiln_value t = kiln_tuple_new(a, items, 3);
    kiln_value l = kiln_list_new(a, items, 3);
    items[0] = kiln_int(99);
    assert_int_equal(t.type, KILN_TUPLE);
    assert_int_equal(l.type, KILN_LIST);
    assert_int_equal(t.len, 3);
    assert_int_equal(t.u.items[0].u.i, 1);
    assert_int_equal(l.u.items[0].u.i, 1);
    assert_true(l.u.items[2].u.b);

    double x[2] = {1.5, -2};
    kiln_value v = kiln_vec_new(a, x, 2);
    x[0] = 0;
    assert_int_equal(v.type, KILN_VEC);
    assert_true(v.u.vec[0] == 1.5 && v.u.vec[1] == -2);

    kiln_value et = kiln_tuple_new(a, NULL, 0);
    assert_int_equal(et.type, KILN_TUPLE);
    assert_int_equal(et.len, 0);
    kiln_arena_free(a);
}

static void test_ref_constructors(void **state)
{
    const char *s = "abc";
    kiln_value v = kiln_str_ref(s, 3);
    assert_ptr_equal(v.u.s, s);
    assert_int_equal(sizeof(kiln_value), 16);
}

/* A deep copy survives the source arena: values built twice from the same
 * seed, one copied and its arena freed, still compare equal. */
static void test_deep_copy_independent(void **state)
{
    rng r1, r2;
    rng_seed(&r1, 77);
    rng_seed(&r2, 77);
    kiln_arena *dst = kiln_arena_new();
    kiln_arena *ref = kiln_arena_new();
    for (int i = 0; i < 500; i++) {
        kiln_arena *src = kiln_arena_new();
        kiln_value v = gen_value(&r1, src, 4);
        kiln_value expect = gen_value(&r2, ref, 4);
        kiln_value copy;
        assert_int_equal(kiln_value_copy(dst, &v, &copy), KILN_OK);
        kiln_arena_free(src); /* ASan reports any part still pointing here */
        assert_true(kiln_value_eq(&copy, &expect));
        assert_int_equal(kiln_value_hash(&copy), kiln_value_hash(&expect));
    }
    kiln_arena_free(dst);
    kiln_arena_free(ref);
}

static void test_copy_bad_tag(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value bad = kiln_null(), out;
    bad.type = 42;
    assert_int_equal(kiln_value_copy(a, &bad, &out), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "type"));
    kiln_arena_free(a);
}

static void test_buf(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(b.len, 0);
    for (int i = 0; i < 10000; i++) {
        unsigned char c = (unsigned char)i;
        assert_int_equal(kiln_buf_append(&b, &c, 1), KILN_OK);
    }
    assert_int_equal(b.len, 10000);
    assert_true(b.cap >= 10000);
    for (int i = 0; i < 10000; i++) assert_int_equal(b.data[i], (unsigned char)i);
    assert_int_equal(kiln_buf_reserve(&b, 1 << 20), KILN_OK);
    assert_true(b.cap - b.len >= 1 << 20);
    assert_int_equal(kiln_buf_append(&b, NULL, 0), KILN_OK);
    assert_int_equal(kiln_buf_reserve(&b, SIZE_MAX), KILN_ENOMEM);
    assert_int_equal(b.len, 10000);
    kiln_buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(kiln_buf_append(&b, "x", 1), KILN_OK); /* reusable */
    kiln_buf_release(&b);
}

/* Each row is strictly greater than the previous one. */
static void test_fixed_order(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value one = kiln_int(1), two = kiln_int(2);
    kiln_value p12[2] = {one, two}, p1[1] = {one}, p2[1] = {two};
    double v1[1] = {1}, v12[2] = {1, 2}, vnan[1] = {NAN};
    kiln_value chain[] = {
        kiln_null(),
        kiln_bool(false),
        kiln_bool(true),
        kiln_int(INT64_MIN),
        kiln_int(-1),
        kiln_int(0),
        kiln_int(INT64_MAX),
        kiln_double(-INFINITY),
        kiln_double(-1e300),
        kiln_double(-0.0),
        kiln_double(4.9406564584124654e-324),
        kiln_double(1),
        kiln_double(INFINITY),
        kiln_double(NAN),
        kiln_str_ref("", 0),
        kiln_str_ref("\0", 1),
        kiln_str_ref("a", 1),
        kiln_str_ref("ab", 2),
        kiln_str_ref("b", 1),
        kiln_str_ref("\xc3\xa9", 2), /* bytes above 0x7f sort after ASCII */
        kiln_bytes_ref("", 0),
        kiln_bytes_ref("\x01", 1),
        kiln_tuple_ref(NULL, 0),
        kiln_tuple_ref(p1, 1),
        kiln_tuple_ref(p12, 2),
        kiln_tuple_ref(p2, 1),
        kiln_list_ref(NULL, 0),
        kiln_list_ref(p12, 2),
        kiln_vec_ref(NULL, 0),
        kiln_vec_ref(v1, 1),
        kiln_vec_ref(v12, 2),
        kiln_vec_ref(vnan, 1),
    };
    size_t n = sizeof chain / sizeof chain[0];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(kiln_value_cmp(&chain[i], &chain[i]), 0);
        assert_true(kiln_value_eq(&chain[i], &chain[i]));
        for (size_t j = i + 1; j < n; j++) {
            if (kiln_value_cmp(&chain[i], &chain[j]) >= 0)
                fail_msg("chain[%zu] should be < chain[%zu]", i, j);
            assert_int_equal(kiln_value_cmp(&chain[j], &chain[i]), 1);
            assert_false(kiln_value_eq(&chain[i], &chain[j]));
        }
    }
    kiln_arena_free(a);
}

static void test_double_equalities(void **state)
{
    uint64_t bits = 0xfff0000000000123ULL; /* a negative NaN with a payload */
    double other_nan;
    memcpy(&other_nan, &bits, sizeof other_nan);
    kiln_value z = kiln_double(0.0), nz = kiln_double(-0.0);
    kiln_value n1 = kiln_double(NAN), n2 = kiln_double(other_nan);
    assert_int_equal(kiln_value_cmp(&z, &nz), 0);
    assert_true(kiln_value_eq(&z, &nz));
    assert_int_equal(kiln_value_cmp(&n1, &n2), 0);
    assert_true(kiln_value_eq(&n1, &n2));
    double va[2] = {-0.0, NAN}, vb[2] = {0.0, other_nan};
    kiln_value xa = kiln_vec_ref(va, 2), xb = kiln_vec_ref(vb, 2);
    assert_true(kiln_value_eq(&xa, &xb));
    kiln_value ta[2] = {nz, n1}, tb[2] = {z, n2};
    kiln_value pa = kiln_tuple_ref(ta, 2), pb = kiln_tuple_ref(tb, 2);
    assert_true(kiln_value_eq(&pa, &pb));
}

static int cmp_qsort(const void *a, const void *b)
{
    return kiln_value_cmp(a, b);
}

#define NRAND 400

/* Antisymmetry, eq == (cmp == 0), and transitivity over random triples and
 * over a whole sorted array (every earlier element <= every later one). */
static void test_random_order_properties(void **state)
{
    static kiln_value v[NRAND];
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 2024);
    for (int i = 0; i < NRAND; i++) v[i] = gen_value(&r, a, 3);
    int ties = 0;
    for (int i = 0; i < NRAND; i++) {
        for (int j = 0; j < NRAND; j++) {
            int c = kiln_value_cmp(&v[i], &v[j]);
            assert_int_equal(sign(c), -sign(kiln_value_cmp(&v[j], &v[i])));
            assert_int_equal(kiln_value_eq(&v[i], &v[j]), c == 0);
            ties += i != j && c == 0;
        }
    }
    assert_true(ties > 0); /* the generator does produce equal pairs */

    for (int t = 0; t < 200000; t++) {
        kiln_value *x = &v[rng_next(&r) % NRAND], *y = &v[rng_next(&r) % NRAND];
        kiln_value *z = &v[rng_next(&r) % NRAND];
        int xy = kiln_value_cmp(x, y), yz = kiln_value_cmp(y, z), xz = kiln_value_cmp(x, z);
        if (xy <= 0 && yz <= 0) assert_true(xz <= 0);
        if (xy == 0 && yz == 0) assert_int_equal(xz, 0);
        if (xy < 0 && yz <= 0) assert_true(xz < 0);
    }

    qsort(v, NRAND, sizeof v[0], cmp_qsort);
    for (int i = 0; i < NRAND; i++)
        for (int j = i + 1; j < NRAND; j++) assert_true(kiln_value_cmp(&v[i], &v[j]) <= 0);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constructors_copy),
        cmocka_unit_test(test_ref_constructors),
        cmocka_unit_test(test_deep_copy_independent),
        cmocka_unit_test(test_copy_bad_tag),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_fixed_order),
        cmocka_unit_test(test_double_equalities),
        cmocka_unit_test(test_random_order_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
