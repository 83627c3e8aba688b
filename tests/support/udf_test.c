/*
 * tests/support/udf_test.c - a native UDF library (kiln/udf.h) for
 * test_sql_udf and docs/udf.md: built as a MODULE (libkiln_test_udf.so),
 * not linked into the tests; kiln loads it with dlopen.
 *
 *   udf_haversine(lat1, lon1, lat2, lon2 double) -> double   (km; strict)
 *   udf_reverse(s string) -> string      (code points reversed; strict)
 *   udf_len_or(s string) -> int          (code points; -1 for null: not strict)
 *   udf_sum_all(x, ...) -> double        (bind: any numbers; nulls skipped,
 *                                         null when all are null)
 *   udf_fail_neg(x double) -> double     (fails on a negative x)
 *   udf_bad_abi                          (an ABI version kiln refuses)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kiln/udf.h"

/* The reference implementation the test compares with uses this too. */
#include "udf_test_ref.h"

static int haversine(kiln_udf_call *c)
{
    const double *a = c->args[0].values, *b = c->args[1].values, *x = c->args[2].values,
                 *y = c->args[3].values;
    double *out = c->result->values;
    for (int64_t i = 0; i < c->length; i++) out[i] = udf_ref_haversine(a[i], b[i], x[i], y[i]);
    return 0;
}

KILN_UDF_EXPORT const kiln_udf udf_haversine = {
    .abi_version = KILN_UDF_ABI_VERSION,
    .flags = KILN_UDF_NULL_IN_NULL_OUT,
    .nargs = 4,
    .arg_types = {KILN_UDF_FLOAT64, KILN_UDF_FLOAT64, KILN_UDF_FLOAT64, KILN_UDF_FLOAT64},
    .result_type = KILN_UDF_FLOAT64,
    .invoke = haversine,
};

/* Bytes of the UTF-8 sequence starting with byte b. */
static int seq_len(unsigned char b)
{
    return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
}

static int reverse(kiln_udf_call *c)
{
    const kiln_udf_vector *s = &c->args[0];
    kiln_udf_vector *r = c->result;
    /* The result has as many bytes as the input. */
    int64_t total = s->offsets[s->length];
    char *out = c->reserve(c, total ? total : 1);
    if (!out) {
        snprintf(c->error, c->error_size, "out of memory");
        return 1;
    }
    for (int64_t i = 0; i < s->length; i++) {
        int32_t b = s->offsets[i], e = s->offsets[i + 1];
        r->offsets[i + 1] = e;
        if (!kiln_udf_valid(s->validity, i)) continue;
        int32_t w = e;
        for (int32_t k = b; k < e;) {
            int n = seq_len((unsigned char)s->data[k]);
            if (k + n > e) n = e - k;
            w -= n;
            memcpy(out + w, s->data + k, (size_t)n);
            k += n;
        }
    }
    return 0;
}

KILN_UDF_EXPORT const kiln_udf udf_reverse = {
    .abi_version = KILN_UDF_ABI_VERSION,
    .flags = KILN_UDF_NULL_IN_NULL_OUT,
    .nargs = 1,
    .arg_types = {KILN_UDF_STRING},
    .result_type = KILN_UDF_STRING,
    .invoke = reverse,
};

static int len_or(kiln_udf_call *c)
{
    const kiln_udf_vector *s = &c->args[0];
    int32_t *out = c->result->values;
    for (int64_t i = 0; i < c->length; i++) {
        if (!kiln_udf_valid(s->validity, i)) {
            out[i] = -1;
            continue;
        }
        int32_t n = 0;
        for (int32_t k = s->offsets[i]; k < s->offsets[i + 1]; k++)
            n += ((unsigned char)s->data[k] & 0xc0) != 0x80;
        out[i] = n;
    }
    return 0;
}

KILN_UDF_EXPORT const kiln_udf udf_len_or = {
    .abi_version = KILN_UDF_ABI_VERSION,
    .nargs = 1,
    .arg_types = {KILN_UDF_STRING},
    .result_type = KILN_UDF_INT32,
    .invoke = len_or,
};

static int sum_all_bind(kiln_udf_bind *b)
{
    if (b->nargs < 1) {
        snprintf(b->error, b->error_size, "udf_sum_all needs at least one argument");
        return 1;
    }
    for (int i = 0; i < b->nargs; i++) {
        int32_t t = b->arg_types[i];
        if (t < KILN_UDF_INT8 || t > KILN_UDF_FLOAT64) {
            snprintf(b->error, b->error_size, "argument %d is not a number", i + 1);
            return 1;
        }
        b->want_types[i] = KILN_UDF_FLOAT64;
    }
    b->result_type = KILN_UDF_FLOAT64;
    return 0;
}

static int sum_all(kiln_udf_call *c)
{
    double *out = c->result->values;
    for (int64_t i = 0; i < c->length; i++) {
        double s = 0;
        int any = 0;
        for (int k = 0; k < c->nargs; k++)
            if (kiln_udf_valid(c->args[k].validity, i)) {
                s += ((const double *)c->args[k].values)[i];
                any = 1;
            }
        out[i] = s;
        if (!any) kiln_udf_set_null(c->result, i);
    }
    return 0;
}

KILN_UDF_EXPORT const kiln_udf udf_sum_all = {
    .abi_version = KILN_UDF_ABI_VERSION,
    .bind = sum_all_bind,
    .invoke = sum_all,
};

static int fail_neg(kiln_udf_call *c)
{
    const double *x = c->args[0].values;
    double *out = c->result->values;
    for (int64_t i = 0; i < c->length; i++) {
        if (kiln_udf_valid(c->args[0].validity, i) && x[i] < 0) {
            snprintf(c->error, c->error_size, "negative input %g at row %lld", x[i], (long long)i);
            return 1;
        }
        out[i] = sqrt(x[i]);
    }
    return 0;
}

KILN_UDF_EXPORT const kiln_udf udf_fail_neg = {
    .abi_version = KILN_UDF_ABI_VERSION,
    .flags = KILN_UDF_NULL_IN_NULL_OUT,
    .nargs = 1,
    .arg_types = {KILN_UDF_FLOAT64},
    .result_type = KILN_UDF_FLOAT64,
    .invoke = fail_neg,
};

KILN_UDF_EXPORT const kiln_udf udf_bad_abi = {
    .abi_version = 99,
    .nargs = 1,
    .arg_types = {KILN_UDF_FLOAT64},
    .result_type = KILN_UDF_FLOAT64,
    .invoke = fail_neg,
};
