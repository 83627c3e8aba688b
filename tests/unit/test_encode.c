/*
 * tests/unit/test_encode.c - the binary value encoding: pinned byte layouts
 * from docs/formats/value.md, round trips of random and extreme values, and
 * a hostile decoder: every truncation, random byte flips and hand-made bad
 * inputs must be rejected (or decode canonically) without reading past the
 * input. Inputs are copied into exact-size heap blocks so ASan sees overreads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "value_gen.h"

/* Decodes a private, exact-size copy of p[0..n). */
static int decode_exact(kiln_arena *a, const uint8_t *p, size_t n, kiln_value *out, size_t *used)
{
    uint8_t *copy = malloc(n > 0 ? n : 1);
    assert_non_null(copy);
    if (n > 0) memcpy(copy, p, n);
    int rc = kiln_value_decode(a, copy, n, out, used);
    free(copy);
    return rc;
}

static void expect_bytes(const kiln_value *v, const char *hex)
{
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(kiln_value_encode(&b, v), KILN_OK);
    char got[256] = "";
    for (size_t i = 0; i < b.len && 2 * i + 2 < sizeof got; i++)
        snprintf(got + 2 * i, 3, "%02x", b.data[i]);
    assert_string_equal(got, hex);
    kiln_buf_release(&b);
}

/* The examples of docs/formats/value.md. */
static void test_pinned_layout(void **state)
{
    kiln_value pair_items[2] = {kiln_str_ref("a", 1), kiln_int(1)};
    double x[1] = {1.0};
    expect_bytes(&(kiln_value){0}, "00");
    expect_bytes(&(kiln_value){.type = KILN_BOOL}, "01");
    kiln_value t = kiln_bool(true);
    expect_bytes(&t, "11");
    kiln_value i0 = kiln_int(0), im1 = kiln_int(-1), i1 = kiln_int(1), i64 = kiln_int(64);
    kiln_value imin = kiln_int(INT64_MIN), imax = kiln_int(INT64_MAX);
    expect_bytes(&i0, "0200");
    expect_bytes(&im1, "0201");
    expect_bytes(&i1, "0202");
    expect_bytes(&i64, "028001");
    expect_bytes(&imin, "02ffffffffffffffffff01");
    expect_bytes(&imax, "02feffffffffffffffff01");
    kiln_value d = kiln_double(1.0);
    expect_bytes(&d, "03000000000000f03f");
    kiln_value s = kiln_str_ref("hi", 2), e = kiln_str_ref(NULL, 0);
    expect_bytes(&s, "04026869");
    expect_bytes(&e, "0400");
    kiln_value b = kiln_bytes_ref("\xff", 1);
    expect_bytes(&b, "0501ff");
    kiln_value p = kiln_tuple_ref(pair_items, 2), l = kiln_list_ref(pair_items, 1);
    expect_bytes(&p, "06020401610202");
    expect_bytes(&l, "0701040161");
    kiln_value v = kiln_vec_ref(x, 1);
    expect_bytes(&v, "0801000000000000f03f");
}

static void roundtrip(kiln_arena *a, const kiln_value *v)
{
    kiln_buf b, b2;
    kiln_buf_init(&b);
    kiln_buf_init(&b2);
    assert_int_equal(kiln_value_encode(&b, v), KILN_OK);
    kiln_value out;
    size_t used = 0;
    assert_int_equal(decode_exact(a, b.data, b.len, &out, &used), KILN_OK);
    assert_int_equal(used, b.len);
    assert_true(kiln_value_eq(&out, v));
    /* Bit-exact: re-encoding gives the same bytes (NaN payloads kept). */
    assert_int_equal(kiln_value_encode(&b2, &out), KILN_OK);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    kiln_buf_release(&b);
    kiln_buf_release(&b2);
}

static void test_roundtrip_random(void **state)
{
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < 5000; i++) {
        kiln_value v = gen_value(&r, a, 1 + i % 5);
        roundtrip(a, &v);
        if (i % 256 == 0) kiln_arena_reset(a);
    }
    kiln_arena_free(a);
}

/* Many values back to back in one buffer decode one after another. */
static void test_stream_of_values(void **state)
{
    enum { N = 1000 };
    kiln_arena *a = kiln_arena_new();
    static kiln_value vals[N];
    kiln_buf b;
    kiln_buf_init(&b);
    rng r;
    rng_seed(&r, 12);
    for (int i = 0; i < N; i++) {
        vals[i] = gen_value(&r, a, 3);
        assert_int_equal(kiln_value_encode(&b, &vals[i]), KILN_OK);
    }
    size_t off = 0;
    for (int i = 0; i < N; i++) {
        kiln_value out;
        size_t used;
        assert_int_equal(kiln_value_decode(a, b.data + off, b.len - off, &out, &used), KILN_OK);
        assert_true(kiln_value_eq(&out, &vals[i]));
        off += used;
    }
    assert_int_equal(off, b.len);
    kiln_buf_release(&b);
    kiln_arena_free(a);
}

static void test_roundtrip_extremes(void **state)
{
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 13);

    /* Unicode and empty strings, empty containers. */
    const char *u = "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
    kiln_value cases[] = {kiln_cstr(a, u),         kiln_str_ref("", 0),    kiln_bytes_ref("", 0),
                          kiln_tuple_ref(NULL, 0), kiln_list_ref(NULL, 0), kiln_vec_ref(NULL, 0),
                          kiln_str_ref("\0\0", 2)};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) roundtrip(a, &cases[i]);

    /* A 3 MB string, a 1.5 MB byte string and a 200k-element vector. */
    size_t big = 3 << 20;
    char *s = malloc(big);
    assert_non_null(s);
    for (size_t i = 0; i < big; i++) s[i] = (char)rng_next(&r);
    kiln_value ls = kiln_str_ref(s, big), lb = kiln_bytes_ref(s, big / 2);
    roundtrip(a, &ls);
    roundtrip(a, &lb);
    double *x = malloc(200000 * sizeof *x);
    for (int i = 0; i < 200000; i++) x[i] = gen_double(&r);
    kiln_value lv = kiln_vec_ref(x, 200000);
    roundtrip(a, &lv);

    /* A long string's truncations are rejected too (a sample of them). */
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(kiln_value_encode(&b, &ls), KILN_OK);
    size_t cuts[] = {0, 1, 2, 3, 4, 5, b.len / 2, b.len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        kiln_value out;
        size_t used;
        assert_int_equal(kiln_value_decode(a, b.data, cuts[i], &out, &used), KILN_ECORRUPT);
    }
    kiln_buf_release(&b);
    free(s);
    free(x);
    kiln_arena_free(a);
}

/* Builds containers nested depth deep around an int. */
static kiln_value nest(kiln_arena *a, int depth)
{
    kiln_value v = kiln_int(7);
    for (int i = 0; i < depth; i++) v = i % 2 ? kiln_list_new(a, &v, 1) : kiln_tuple_new(a, &v, 1);
    return v;
}

static void test_depth_limit(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value ok = nest(a, KILN_VALUE_MAX_DEPTH);
    roundtrip(a, &ok);

    kiln_value deep = nest(a, KILN_VALUE_MAX_DEPTH + 1);
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(kiln_buf_append(&b, "x", 1), KILN_OK);
    assert_int_equal(kiln_value_encode(&b, &deep), KILN_EINVAL);
    assert_int_equal(b.len, 1); /* nothing half-written */
    assert_non_null(strstr(kiln_last_error(), "deeper than 64"));
    kiln_buf_release(&b);

    /* A hand-made encoding 65 tuples deep is refused by the decoder. */
    uint8_t raw[2 * 65 + 2];
    for (int i = 0; i < 65; i++) {
        raw[2 * i] = KILN_TUPLE;
        raw[2 * i + 1] = 1;
    }
    raw[130] = KILN_INT;
    raw[131] = 14;
    kiln_value out;
    size_t used;
    assert_int_equal(decode_exact(a, raw, sizeof raw, &out, &used), KILN_ECORRUPT);
    assert_non_null(strstr(kiln_last_error(), "nesting"));
    assert_non_null(strstr(kiln_last_error(), "offset 128"));
    /* One level less decodes. */
    assert_int_equal(decode_exact(a, raw + 2, sizeof raw - 2, &out, &used), KILN_OK);
    assert_int_equal(used, sizeof raw - 2);
    kiln_arena_free(a);
}

typedef struct bad_case {
    const char *bytes;
    size_t n;
    const char *message; /* a piece of the expected error message */
} bad_case;

static void test_bad_inputs(void **state)
{
    static const bad_case cases[] = {
        {"", 0, "truncated value"},
        {"\x09", 1, "bad tag 0x09"},
        {"\x21", 1, "bad tag 0x21"},
        {"\xff", 1, "bad tag 0xff"},
        {"\x02", 1, "truncated varint"},
        {"\x02\x80", 2, "truncated varint"},
        {"\x02\x80\x00", 3, "overlong varint"},
        {"\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11, "overflows"},
        {"\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", 12, "overflows"},
        {"\x03\x00\x00\x00", 4, "truncated double"},
        {"\x04\x05"
         "abc",
         5, "exceeds"},
        {"\x05\x01", 2, "exceeds"},
        {"\x06\xff\xff\xff\xff\x0f", 6, "exceeds"},
        {"\x07\x80\x80\x80\x80\x20", 6, "exceeds"},
        {"\x08\x01\x00\x00\x00\x00\x00\x00\xf0", 9, "exceeds"},
        {"\x06\x02\x02\x02", 4, "truncated value at offset 4"},
        {"\x07\x01\x0a", 3, "bad tag 0x0a at offset 2"},
    };
    kiln_arena *a = kiln_arena_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_value out;
        size_t used;
        int rc = decode_exact(a, (const uint8_t *)cases[i].bytes, cases[i].n, &out, &used);
        if (rc != KILN_ECORRUPT) fail_msg("case %zu: rc %d", i, rc);
        if (strstr(kiln_last_error(), cases[i].message) == NULL)
            fail_msg("case %zu: message '%s' lacks '%s'", i, kiln_last_error(), cases[i].message);
    }
    kiln_arena_free(a);
}

/* Every proper prefix of a valid encoding is rejected. */
static void test_every_truncation(void **state)
{
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 14);
    kiln_buf b;
    kiln_buf_init(&b);
    size_t checked = 0;
    for (int i = 0; i < 2000; i++) {
        kiln_value v = gen_value(&r, a, 1 + i % 5);
        b.len = 0;
        assert_int_equal(kiln_value_encode(&b, &v), KILN_OK);
        for (size_t k = 0; k < b.len; k++) {
            kiln_value out;
            size_t used;
            assert_int_equal(decode_exact(a, b.data, k, &out, &used), KILN_ECORRUPT);
            assert_non_null(strstr(kiln_last_error(), "offset"));
            checked++;
        }
        kiln_arena_reset(a);
    }
    assert_true(checked > 20000);
    kiln_buf_release(&b);
    kiln_arena_free(a);
}

/* Random corruption never crashes; what still decodes is canonical. */
static void test_random_flips(void **state)
{
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 15);
    kiln_buf b, re;
    kiln_buf_init(&b);
    kiln_buf_init(&re);
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 20000; i++) {
        kiln_value v = gen_value(&r, a, 1 + i % 5);
        b.len = 0;
        assert_int_equal(kiln_value_encode(&b, &v), KILN_OK);
        int flips = 1 + (int)(rng_next(&r) % 3);
        for (int f = 0; f < flips; f++) {
            size_t at = rng_next(&r) % b.len;
            if (rng_next(&r) & 1) b.data[at] ^= (uint8_t)(1u << (rng_next(&r) % 8));
            else b.data[at] = (uint8_t)rng_next(&r);
        }
        kiln_value out;
        size_t used = 0;
        int rc = decode_exact(a, b.data, b.len, &out, &used);
        if (rc == KILN_OK) {
            accepted++;
            assert_true(used <= b.len);
            re.len = 0;
            assert_int_equal(kiln_value_encode(&re, &out), KILN_OK);
            assert_int_equal(re.len, used);
            assert_memory_equal(re.data, b.data, used);
        } else {
            rejected++;
            assert_int_equal(rc, KILN_ECORRUPT);
            assert_true(strlen(kiln_last_error()) > 0);
        }
        if (i % 128 == 0) kiln_arena_reset(a);
    }
    assert_true(accepted > 0 && rejected > 0);

    /* Pure noise, too. */
    uint8_t noise[64];
    for (int i = 0; i < 20000; i++) {
        size_t n = rng_next(&r) % sizeof noise;
        for (size_t k = 0; k < n; k++) noise[k] = (uint8_t)rng_next(&r);
        kiln_value out;
        size_t used;
        int rc = decode_exact(a, noise, n, &out, &used);
        assert_true(rc == KILN_OK || rc == KILN_ECORRUPT);
        if (i % 128 == 0) kiln_arena_reset(a);
    }
    kiln_buf_release(&b);
    kiln_buf_release(&re);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_layout),    cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_stream_of_values), cmocka_unit_test(test_roundtrip_extremes),
        cmocka_unit_test(test_depth_limit),      cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_every_truncation), cmocka_unit_test(test_random_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
