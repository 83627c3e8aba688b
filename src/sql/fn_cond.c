/*
 * sql/fn_cond.c - conditional functions (Spark 4): coalesce nvl ifnull
 * nvl2 nullif if, isnan nanvl, assert_true. Arguments are cast to their
 * common type; results copy the chosen argument's row (strings keep
 * pointing at the argument's bytes, which live as long as the batch).
 */
#include <math.h>
#include <string.h>

#include "sql/fn_int.h"

/* Copies row i of src into row i of out (fixed width, or nested). */
static int copy_row(fn_ctx *c, col_vec *out, const col_vec *src, uint32_t i)
{
    size_t w = col_type_width(out->type);
    if (w) {
        memcpy((char *)out->data + w * i, (const char *)src->data + w * col_row(src, i), w);
        return KILN_OK;
    }
    return col_vec_copy_row(out, c->arena, i, src, i);
}

static bool nested(const col_type *t)
{
    return t->kind == COL_ARRAY || t->kind == COL_MAP || t->kind == COL_STRUCT;
}

/* Nested outputs need every row's offsets written in order: rows outside
 * the selection become empty. */
static void empty_row(col_vec *out, uint32_t i)
{
    if (out->offsets) out->offsets[i + 1] = out->offsets[i];
}

static int coalesce_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                           const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool nest = nested(out->type);
    uint32_t k_sel = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool live = !sel || (k_sel < count && sel[k_sel] == i);
        if (!live) {
            if (nest) empty_row(out, i);
            continue;
        }
        k_sel++;
        int pick = -1;
        for (int k = 0; k < nargs; k++)
            if (col_valid(&args[k], i)) {
                pick = k;
                break;
            }
        if (pick < 0) {
            col_set_null(out, i);
            if (nest) empty_row(out, i);
            continue;
        }
        int rc = copy_row(c, out, &args[pick], i);
        if (rc != KILN_OK) return rc;
    }
    return KILN_OK;
}

static int bind_common_all(fn_bind *b, int from)
{
    const col_type *t = b->args[from];
    for (int k = from + 1; k < b->nargs && t; k++)
        t = fn_common_type(b->arena, t, b->args[k], b->ansi);
    if (!t)
        return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.DATA_DIFF_TYPES",
                            "Cannot resolve the function due to data type mismatch: input to "
                            "the function should all be the same type, but it's [%s, %s].",
                            fn_type_name(b->arena, b->args[from]),
                            fn_type_name(b->arena, b->args[b->nargs - 1]));
    for (int k = from; k < b->nargs; k++) b->want[k] = t;
    b->result = t;
    return KILN_OK;
}

static int bind_coalesce(fn_bind *b)
{
    int rc = bind_common_all(b, 0);
    b->kernel = coalesce_kernel;
    b->nullable = true;
    return rc;
}

/* nvl2(a, b, c): b when a is not null, else c. */
static int nvl2_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool nest = nested(out->type);
    uint32_t k_sel = 0;
    bool is_if = state != NULL;
    for (uint32_t i = 0; i < n; i++) {
        bool live = !sel || (k_sel < count && sel[k_sel] == i);
        if (!live) {
            if (nest) empty_row(out, i);
            continue;
        }
        k_sel++;
        bool first;
        if (is_if)
            first = col_valid(&args[0], i) && COL_DATA(&args[0], uint8_t)[col_row(&args[0], i)];
        else first = col_valid(&args[0], i);
        const col_vec *src = &args[first ? 1 : 2];
        if (!col_valid(src, i)) {
            col_set_null(out, i);
            if (nest) empty_row(out, i);
            continue;
        }
        int rc = copy_row(c, out, src, i);
        if (rc != KILN_OK) return rc;
    }
    return KILN_OK;
}

static int bind_nvl2(fn_bind *b)
{
    int rc = bind_common_all(b, 1);
    b->kernel = nvl2_kernel;
    b->state = NULL;
    b->nullable = true;
    return rc;
}

static int bind_if(fn_bind *b)
{
    const col_type *c0 = b->args[0];
    if (c0->kind != COL_BOOL && c0->kind != COL_NULL)
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the function due to data type mismatch: the first "
                            "argument should be \"BOOLEAN\", however it has the type \"%s\".",
                            fn_type_name(b->arena, c0));
    int rc = bind_common_all(b, 1);
    b->want[0] = &col_type_bool;
    b->kernel = nvl2_kernel;
    b->state = (void *)1;
    b->nullable = true;
    return rc;
}

/* nullif(a, b): null when a = b, else a. */
static int nullif_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                         const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool nest = nested(out->type);
    uint32_t k_sel = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool live = !sel || (k_sel < count && sel[k_sel] == i);
        if (!live) {
            if (nest) empty_row(out, i);
            continue;
        }
        k_sel++;
        bool av = col_valid(&args[0], i);
        if (!av || (col_valid(&args[1], i) && fn_cmp_rows(&args[0], i, &args[1], i) == 0)) {
            col_set_null(out, i);
            if (nest) empty_row(out, i);
            continue;
        }
        int rc = copy_row(c, out, &args[0], i);
        if (rc != KILN_OK) return rc;
    }
    return KILN_OK;
}

static int bind_nullif(fn_bind *b)
{
    const col_type *t = fn_binary_common(b, b->args[0], b->args[1]);
    if (!t)
        return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
                            "Cannot resolve the function due to data type mismatch: \"%s\" and "
                            "\"%s\" cannot be compared.",
                            fn_type_name(b->arena, b->args[0]), fn_type_name(b->arena, b->args[1]));
    b->want[0] = b->want[1] = t;
    b->result = t;
    b->kernel = nullif_kernel;
    b->nullable = true;
    return KILN_OK;
}

/* isnan: false for null. */
static int isnan_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                        const uint32_t *sel, uint32_t n, uint32_t count)
{
    const double *A = args[0].data;
    uint8_t *R = out->data;
    FN_ROWS(sel, n, count, i, { R[i] = col_valid(&args[0], i) && isnan(A[col_row(&args[0], i)]); });
    return KILN_OK;
}

static int bind_isnan(fn_bind *b)
{
    const col_type *t = b->args[0];
    if (!col_type_is_numeric(t) && t->kind != COL_NULL && t->kind != COL_STRING)
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the function due to data type mismatch: the "
                            "parameter requires the \"DOUBLE\" type, however it has the type "
                            "\"%s\".",
                            fn_type_name(b->arena, t));
    b->want[0] = &col_type_f64;
    b->result = &col_type_bool;
    b->kernel = isnan_kernel;
    return KILN_OK;
}

/* nanvl(a, b): b when a is NaN, else a (null a gives null). */
static int nanvl_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                        const uint32_t *sel, uint32_t n, uint32_t count)
{
    const double *A = args[0].data, *B = args[1].data;
    double *R = out->data;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(&args[0], i)) {
            col_set_null(out, i);
            continue;
        }
        double a = A[col_row(&args[0], i)];
        if (!isnan(a)) {
            R[i] = a;
        } else if (!col_valid(&args[1], i)) {
            col_set_null(out, i);
        } else {
            R[i] = B[col_row(&args[1], i)];
        }
    });
    return KILN_OK;
}

static int bind_nanvl(fn_bind *b)
{
    for (int k = 0; k < 2; k++) {
        const col_type *t = b->args[k];
        if (!col_type_is_numeric(t) && t->kind != COL_NULL && t->kind != COL_STRING)
            return fn_bind_fail(b, k, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                                "Cannot resolve the function due to data type mismatch: the "
                                "parameter requires the \"DOUBLE\" type, however it has the type "
                                "\"%s\".",
                                fn_type_name(b->arena, t));
        b->want[k] = &col_type_f64;
    }
    b->result = &col_type_f64;
    b->kernel = nanvl_kernel;
    b->nullable = true;
    return KILN_OK;
}

/* assert_true(c): NULL when c is true, else an error. */
static int assert_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                         const uint32_t *sel, uint32_t n, uint32_t count)
{
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(&args[0], i) || !COL_DATA(&args[0], uint8_t)[col_row(&args[0], i)]) {
            if (nargs > 1 && col_valid(&args[1], i)) {
                const col_str *s = &COL_DATA(&args[1], col_str)[col_row(&args[1], i)];
                return fn_error(c, "USER_RAISED_EXCEPTION", "P0001", "%.*s", (int)s->len,
                                col_str_data(s));
            }
            return fn_error(c, "USER_RAISED_EXCEPTION", "P0001", "'%s' is not true!",
                            c->expr ? c->expr : "condition");
        }
        col_set_null(out, i);
    });
    return KILN_OK;
}

static int bind_assert(fn_bind *b)
{
    if (b->args[0]->kind != COL_BOOL && b->args[0]->kind != COL_NULL)
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the function due to data type mismatch: the "
                            "parameter requires the \"BOOLEAN\" type, however it has the type "
                            "\"%s\".",
                            fn_type_name(b->arena, b->args[0]));
    b->want[0] = &col_type_bool;
    if (b->nargs > 1) b->want[1] = &col_type_string;
    b->result = &col_type_null;
    b->kernel = assert_kernel;
    b->nullable = true;
    return KILN_OK;
}

const fn_def fn_defs_cond[] = {
    {"coalesce", 1, -1, 0, bind_coalesce},
    {"nvl", 2, 2, 0, bind_coalesce},
    {"ifnull", 2, 2, 0, bind_coalesce},
    {"nvl2", 3, 3, 0, bind_nvl2},
    {"if", 3, 3, 0, bind_if},
    {"iff", 3, 3, 0, bind_if},
    {"nullif", 2, 2, 0, bind_nullif},
    {"isnan", 1, 1, 0, bind_isnan},
    {"nanvl", 2, 2, 0, bind_nanvl},
    {"assert_true", 1, 2, FN_NONDETERMINISTIC, bind_assert},
    {NULL, 0, 0, 0, NULL},
};
