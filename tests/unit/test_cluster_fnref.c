/*
 * test_cluster_fnref.c - function pointers as (build id, offset): a round
 * trip gives back the same pointer for functions of the test program and
 * of libkiln; the wire form round-trips and refuses truncated or oversized
 * input; a build id no loaded module has (another binary) is refused with
 * a message saying so, and nothing is called.
 */
#include <string.h>

#include "base/fnref.h"
#include "kt.h"

static int local_function(int x)
{
    return x + 1;
}

static void round_trip(const void *fn)
{
    fnref r, back;
    KT_OK(fnref_from_pointer(fn, &r));
    assert_true(r.id_len >= 16);
    uint8_t wire[FNREF_WIRE_MAX];
    size_t n = fnref_encode(&r, wire), used = 0;
    KT_OK(fnref_decode(wire, n, &back, &used));
    assert_int_equal(used, n);
    void *p;
    KT_OK(fnref_to_pointer(&back, &p));
    assert_ptr_equal(p, fn);
}

static void pointers_round_trip(void **state)
{
    round_trip((const void *)local_function);
    round_trip((const void *)kiln_fn_add); /* in libkiln (static or shared) */
    round_trip((const void *)memcpy);      /* in libc */
    fnref self, of_main;
    KT_OK(fnref_self_id(&self));
    KT_OK(fnref_from_pointer((const void *)local_function, &of_main));
    assert_int_equal(self.id_len, of_main.id_len);
    assert_memory_equal(self.id, of_main.id, self.id_len);
    /* NULL travels as the all-zero reference. */
    fnref z;
    void *p = (void *)1;
    KT_OK(fnref_from_pointer(NULL, &z));
    KT_OK(fnref_to_pointer(&z, &p));
    assert_null(p);
}

static void another_binary_is_refused(void **state)
{
    fnref r;
    KT_OK(fnref_from_pointer((const void *)local_function, &r));
    r.id[0] ^= 0xff;
    void *p = (void *)1;
    assert_int_equal(fnref_to_pointer(&r, &p), KILN_ENOTFOUND);
    assert_null(p);
    assert_non_null(strstr(kiln_last_error(), "different build"));
}

static void bad_wire_forms_are_refused(void **state)
{
    fnref r;
    KT_OK(fnref_from_pointer((const void *)local_function, &r));
    uint8_t wire[FNREF_WIRE_MAX];
    size_t n = fnref_encode(&r, wire), used;
    fnref back;
    for (size_t k = 0; k < n; k++)
        assert_int_equal(fnref_decode(wire, k, &back, &used), KILN_ECORRUPT);
    wire[0] = FNREF_ID_MAX + 1;
    assert_int_equal(fnref_decode(wire, sizeof wire, &back, &used), KILN_ECORRUPT);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pointers_round_trip),
        cmocka_unit_test(another_binary_is_refused),
        cmocka_unit_test(bad_wire_forms_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
