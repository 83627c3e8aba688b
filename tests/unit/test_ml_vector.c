/*
 * test_ml_vector.c - sparse and dense vectors as values: construction
 * checks, dot/axpy/to_dense against a dense reference on random vectors,
 * and that a sparse vector survives the value encoding.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"

static void sparse_new_refuses_bad_indices(void **state)
{
    kiln_arena *a = kiln_arena_new();
    int32_t down[] = {3, 1};
    int32_t big[] = {1, 10};
    double v[] = {1, 2};
    assert_int_equal(kiln_ml_sparse_new(a, 10, down, v, 2).type, KILN_NULL);
    assert_non_null(strstr(kiln_last_error(), "not increasing"));
    assert_int_equal(kiln_ml_sparse_new(a, 10, big, v, 2).type, KILN_NULL);
    assert_int_equal(kiln_ml_sparse_new(a, -1, NULL, NULL, 0).type, KILN_NULL);
    kiln_value e = kiln_ml_sparse_new(a, 5, NULL, NULL, 0);
    assert_true(kiln_ml_is_sparse(&e));
    assert_int_equal(kiln_ml_vector_size(&e), 5);
    assert_int_equal(kiln_ml_vector_nnz(&e), 0);
    kiln_arena_free(a);
}

static void sparse_ops_match_dense_reference(void **state)
{
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 7);
    for (int round = 0; round < 200; round++) {
        int64_t size = 1 + (int64_t)(rng_next(&r) % 300);
        double dense[300] = {0}, w[300], y1[300], y2[300];
        int32_t idx[300];
        double val[300];
        size_t nnz = 0;
        for (int64_t i = 0; i < size; i++) {
            w[i] = rng_double(&r) - 0.5;
            y1[i] = y2[i] = rng_double(&r);
            if (rng_next(&r) % 4 == 0) {
                idx[nnz] = (int32_t)i;
                val[nnz] = dense[i] = rng_double(&r) * 10 - 5;
                nnz++;
            }
        }
        kiln_value sp = kiln_ml_sparse_new(a, size, idx, val, nnz);
        kiln_value dv = kiln_vec_ref(dense, (size_t)size);
        assert_true(kiln_ml_is_vector(&sp) && kiln_ml_is_vector(&dv));
        assert_int_equal(kiln_ml_vector_size(&sp), size);
        assert_int_equal(kiln_ml_vector_nnz(&sp), nnz);
        double ref = 0;
        for (int64_t i = 0; i < size; i++) ref += dense[i] * w[i];
        assert_true(fabs(kiln_ml_dot(&sp, w) - ref) < 1e-12);
        assert_true(fabs(kiln_ml_dot(&dv, w) - ref) < 1e-12);
        kiln_ml_axpy(0.5, &sp, y1);
        kiln_ml_axpy(0.5, &dv, y2);
        for (int64_t i = 0; i < size; i++) assert_true(fabs(y1[i] - y2[i]) < 1e-12);
        double out[300];
        kiln_ml_to_dense(&sp, out);
        assert_memory_equal(out, dense, sizeof *out * (size_t)size);
        /* Encoded and decoded (as in a shuffle or a cache), still sparse. */
        kiln_buf b;
        kiln_buf_init(&b);
        assert_int_equal(kiln_value_encode(&b, &sp), KILN_OK);
        kiln_value back;
        size_t used;
        assert_int_equal(kiln_value_decode(a, b.data, b.len, &back, &used), KILN_OK);
        kiln_buf_release(&b);
        assert_true(kiln_ml_is_sparse(&back));
        assert_true(fabs(kiln_ml_dot(&back, w) - ref) < 1e-12);
        kiln_value p = kiln_ml_point(a, 3.0, sp), f;
        double label;
        assert_int_equal(kiln_ml_point_parts(&p, &label, &f), KILN_OK);
        assert_true(label == 3.0 && kiln_ml_is_sparse(&f));
    }
    kiln_value notpoint = kiln_int(3);
    double l;
    kiln_value f;
    assert_int_equal(kiln_ml_point_parts(&notpoint, &l, &f), KILN_ETYPE);
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sparse_new_refuses_bad_indices),
        cmocka_unit_test(sparse_ops_match_dense_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
