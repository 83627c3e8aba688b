/*
 * sql/fn_collection.c - functions of arrays, maps and structs (Spark 4):
 * size array_contains element_at array struct named_struct map_keys
 * map_values sort_array array_distinct. Arrays are offsets plus one
 * element vector (children[0]); these kernels write every row's offsets in
 * order, rows outside the selection as empty arrays.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/fn_int.h"

/* Walks rows 0..n-1 with LIVE true for those in the selection. */
#define FOR_ALL_ROWS(i, live, ...)                                                                 \
    do {                                                                                           \
        uint32_t ks_ = 0;                                                                          \
        for (uint32_t i = 0; i < n; i++) {                                                         \
            bool live = !sel || (ks_ < count && sel[ks_] == i);                                    \
            if (live && sel) ks_++;                                                                \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    } while (0)

static bool is_nested(const col_type *t)
{
    return t->kind == COL_ARRAY || t->kind == COL_MAP || t->kind == COL_STRUCT;
}

/* Makes room for total elements in an array or map vector's children,
 * with validity bitmaps. */
static int reserve_elems(fn_ctx *c, col_vec *out, uint32_t total)
{
    if (col_vec_reserve_child(out, c->arena, total ? total : 1) != KILN_OK) return KILN_ENOMEM;
    for (int k = 0; k < out->nchildren; k++)
        if (col_vec_add_validity(&out->children[k], c->arena, total ? total : 1) != KILN_OK)
            return KILN_ENOMEM;
    return KILN_OK;
}

static int put_row(fn_ctx *c, col_vec *dst, uint32_t j, const col_vec *src, uint32_t i)
{
    if (!col_valid(src, i)) return col_vec_set_null_row(dst, c->arena, j, j + 1);
    return col_vec_copy_row(dst, c->arena, j, src, i);
}

static uint32_t arr_len(const col_vec *a, uint32_t i)
{
    uint32_t r = col_row(a, i);
    return a->offsets[r + 1] - a->offsets[r];
}

static uint32_t arr_start(const col_vec *a, uint32_t i)
{
    return a->offsets[col_row(a, i)];
}

/* ---- size ------------------------------------------------------------------ */

static int size_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool null_is_minus1 = state != NULL;
    int32_t *R = out->data;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(&args[0], i)) {
            if (null_is_minus1) {
                R[i] = -1;
            } else {
                col_set_null(out, i);
            }
        } else {
            R[i] = (int32_t)arr_len(&args[0], i);
        }
    });
    return KILN_OK;
}

static int need_kind(fn_bind *b, int arg, int k1, int k2)
{
    int k = b->args[arg]->kind;
    if (k == k1 || k == k2) return KILN_OK;
    return fn_bind_fail(b, arg, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                        "Cannot resolve the function due to data type mismatch: the parameter "
                        "%d requires the \"%s\" type, however it has the type \"%s\".",
                        arg + 1, k1 == COL_ARRAY && k2 == COL_MAP ? "ARRAY\" or \"MAP" : "ARRAY",
                        fn_type_name(b->arena, b->args[arg]));
}

static int bind_size(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_ARRAY, COL_MAP);
    if (rc) return rc;
    b->result = &col_type_i32;
    b->kernel = size_kernel;
    b->state = b->ansi ? NULL : (void *)1; /* legacy sizeOfNull */
    return KILN_OK;
}

/* ---- array_contains ------------------------------------------------------------ */

static int contains_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                           const uint32_t *sel, uint32_t n, uint32_t count)
{
    const col_vec *a = &args[0], *v = &args[1], *e = &a->children[0];
    uint8_t *R = out->data;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(out, i)) continue;
        uint32_t s = arr_start(a, i), len = arr_len(a, i);
        bool found = false, nul = false;
        for (uint32_t k = s; k < s + len && !found; k++) {
            if (!col_valid(e, k)) nul = true;
            else if (fn_cmp_rows(e, k, v, i) == 0) found = true;
        }
        R[i] = found;
        if (!found && nul) col_set_null(out, i);
    });
    return KILN_OK;
}

static int bind_contains(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_ARRAY, COL_ARRAY);
    if (rc) return rc;
    const col_type *et = b->args[0]->elem;
    const col_type *t = fn_common_type(b->arena, et, b->args[1], b->ansi);
    if (!t || !col_type_eq(t, et)) t = NULL;
    if (!t)
        return fn_bind_fail(b, 1, "DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES",
                            "Cannot resolve the function due to data type mismatch: input to "
                            "array_contains should have been \"ARRAY\" followed by a value with "
                            "same element type, but it's [\"%s\", \"%s\"].",
                            fn_type_name(b->arena, b->args[0]), fn_type_name(b->arena, b->args[1]));
    b->want[1] = et;
    b->result = &col_type_bool;
    b->kernel = contains_kernel;
    b->nullable = true;
    return KILN_OK;
}

/* ---- element_at ------------------------------------------------------------------ */

typedef struct elem_state {
    bool ansi;
    bool map;
    bool zero_based; /* a[i] and get(a, i): 0-based, no error for index 0 */
} elem_state;

static int element_at_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                             const uint32_t *sel, uint32_t n, uint32_t count)
{
    const elem_state *st = state;
    const col_vec *a = &args[0], *ix = &args[1];
    const col_vec *vals = &a->children[st->map ? 1 : 0];
    bool nest = is_nested(out->type);
    int rc;
    FOR_ALL_ROWS(i, live, {
        if (!live || !col_valid(out, i)) {
            if (nest && out->offsets) out->offsets[i + 1] = out->offsets[i];
            continue;
        }
        uint32_t s = arr_start(a, i), len = arr_len(a, i);
        int64_t pos = -1;
        if (st->map) {
            for (uint32_t k = s; k < s + len; k++)
                if (fn_cmp_rows(&a->children[0], k, ix, i) == 0) {
                    pos = k;
                    break;
                }
        } else {
            int64_t x = fn_int_get(ix, i);
            if (st->zero_based) {
                if (x >= 0 && x < (int64_t)len) pos = s + x;
                else if (st->ansi)
                    return fn_error(c, "INVALID_ARRAY_INDEX", "22003",
                                    "The index %lld is out of bounds. The array has %u "
                                    "elements. Use the SQL function `get()` to tolerate "
                                    "accessing element at invalid index and return NULL "
                                    "instead. If necessary set \"kiln.sql.ansi.enabled\" to "
                                    "\"false\" to bypass this error.",
                                    (long long)x, len);
            } else if (x == 0) {
                return fn_error(c, "INVALID_INDEX_OF_ZERO", "22003",
                                "The index 0 is invalid. An index shall be either < 0 or > 0 "
                                "(the first element has index 1).");
            } else if (x > (int64_t)len || -x > (int64_t)len) {
                if (st->ansi)
                    return fn_error(c, "INVALID_ARRAY_INDEX_IN_ELEMENT_AT", "22003",
                                    "The index %lld is out of bounds. The array has %u "
                                    "elements. Use `try_element_at` to tolerate accessing "
                                    "element at invalid index and return NULL instead. If "
                                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to "
                                    "bypass this error.",
                                    (long long)x, len);
            } else {
                pos = x > 0 ? s + x - 1 : s + len + x;
            }
        }
        if (pos < 0) {
            col_set_null(out, i);
            if (nest && out->offsets) out->offsets[i + 1] = out->offsets[i];
            continue;
        }
        if ((rc = put_row(c, out, i, vals, (uint32_t)pos)) != KILN_OK) return rc;
    });
    return KILN_OK;
}

static int bind_element_at_as(fn_bind *b, bool try_, bool zero_based)
{
    int rc = need_kind(b, 0, COL_ARRAY, COL_MAP);
    if (rc) return rc;
    elem_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    st->map = b->args[0]->kind == COL_MAP;
    st->ansi = b->ansi && !try_;
    st->zero_based = zero_based;
    if (st->map) {
        b->want[1] = b->args[0]->elem;
        b->result = b->args[0]->value;
    } else {
        if (!col_type_is_integral(b->args[1]) && b->args[1]->kind != COL_NULL &&
            b->args[1]->kind != COL_STRING)
            return fn_bind_fail(b, 1, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                                "Cannot resolve the function due to data type mismatch: the "
                                "parameter 2 requires the \"INT\" type, however it has the type "
                                "\"%s\".",
                                fn_type_name(b->arena, b->args[1]));
        b->want[1] = &col_type_i32;
        b->result = b->args[0]->elem;
    }
    b->state = st;
    b->kernel = element_at_kernel;
    b->nullable = true;
    return KILN_OK;
}
static int bind_element_at(fn_bind *b)
{
    return bind_element_at_as(b, false, false);
}
static int bind_try_element_at(fn_bind *b)
{
    return bind_element_at_as(b, true, false);
}
/* a[i] (Spark's GetArrayItem / GetMapValue): 0-based, out of bounds an
 * error under ANSI; a missing map key is null. */
static int bind_subscript(fn_bind *b)
{
    return bind_element_at_as(b, false, true);
}
/* get(a, i): 0-based, null out of bounds. */
static int bind_get(fn_bind *b)
{
    if (b->args[0]->kind != COL_ARRAY)
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the function due to data type mismatch: the "
                            "parameter 1 requires the \"ARRAY\" type, however it has the type "
                            "\"%s\".",
                            fn_type_name(b->arena, b->args[0]));
    return bind_element_at_as(b, true, true);
}

/* ---- array(...) ------------------------------------------------------------------------- */

static int array_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                        const uint32_t *sel, uint32_t n, uint32_t count)
{
    int rc = reserve_elems(c, out, (sel ? count : n) * (uint32_t)nargs);
    if (rc) return rc;
    col_vec *e = &out->children[0];
    uint32_t at = out->offsets[0];
    FOR_ALL_ROWS(i, live, {
        if (live)
            for (int k = 0; k < nargs; k++)
                if ((rc = put_row(c, e, at++, &args[k], i)) != KILN_OK) return rc;
        out->offsets[i + 1] = at;
    });
    e->n = at;
    return KILN_OK;
}

static int bind_array(fn_bind *b)
{
    const col_type *t = b->nargs ? b->args[0] : &col_type_null;
    for (int k = 1; k < b->nargs && t; k++) t = fn_common_type(b->arena, t, b->args[k], b->ansi);
    if (!t)
        return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.DATA_DIFF_TYPES",
                            "Cannot resolve the function due to data type mismatch: input to "
                            "function array should all be the same type.");
    if (t->kind == COL_NULL && b->nargs == 0) t = &col_type_null;
    for (int k = 0; k < b->nargs; k++) b->want[k] = t;
    b->result = col_type_array(b->arena, t, true);
    b->kernel = array_kernel;
    return b->result ? KILN_OK : KILN_ENOMEM;
}

/* ---- struct(...), named_struct(...) --------------------------------------------------------- */

static int struct_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                         const uint32_t *sel, uint32_t n, uint32_t count)
{
    int step = state ? 2 : 1, first = state ? 1 : 0;
    for (int f = 0; f < out->nchildren; f++) {
        col_vec *ch = &out->children[f];
        const col_vec *src = &args[first + f * step];
        if (src->validity && col_vec_add_validity(ch, c->arena, n) != KILN_OK) return KILN_ENOMEM;
        if (is_nested(ch->type)) {
            int rc;
            FOR_ALL_ROWS(i, live, {
                if (!live) {
                    if (ch->offsets) ch->offsets[i + 1] = ch->offsets[i];
                    continue;
                }
                if ((rc = put_row(c, ch, i, src, i)) != KILN_OK) return rc;
            });
        } else {
            FN_ROWS(sel, n, count, i, {
                int rc = put_row(c, ch, i, src, i);
                if (rc != KILN_OK) return rc;
            });
        }
        if (ch->n < n) ch->n = n;
    }
    return KILN_OK;
}

static int bind_struct(fn_bind *b)
{
    col_field fs[FN_MAX_ARGS];
    for (int k = 0; k < b->nargs; k++) {
        fs[k].name = fn_strdup(b->arena, "col%d", k + 1);
        fs[k].type = b->args[k];
        fs[k].nullable = true;
    }
    b->result = col_type_struct(b->arena, fs, b->nargs);
    b->kernel = struct_kernel;
    b->nullable = false;
    return b->result ? KILN_OK : KILN_ENOMEM;
}

static int bind_named_struct(fn_bind *b)
{
    if (b->nargs % 2)
        return fn_bind_fail(b, -1, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION",
                            "The `named_struct` requires an even number of parameters, but the "
                            "actual number is %d.",
                            b->nargs);
    col_field fs[FN_MAX_ARGS / 2];
    for (int k = 0; k < b->nargs / 2; k++) {
        const col_vec *nm = b->consts[2 * k];
        if (!nm || b->args[2 * k]->kind != COL_STRING || !col_valid(nm, 0))
            return fn_bind_fail(b, 2 * k,
                                "DATATYPE_MISMATCH.CREATE_NAMED_STRUCT_WITHOUT_FOLDABLE_STRING",
                                "Cannot resolve the function due to data type mismatch: only "
                                "foldable \"STRING\" expressions are allowed to appear at odd "
                                "position.");
        const col_str *s = &COL_DATA(nm, col_str)[0];
        fs[k].name = fn_strdup(b->arena, "%.*s", (int)s->len, col_str_data(s));
        fs[k].type = b->args[2 * k + 1];
        fs[k].nullable = true;
    }
    b->result = col_type_struct(b->arena, fs, b->nargs / 2);
    b->kernel = struct_kernel;
    b->state = (void *)1;
    b->nullable = false;
    return b->result ? KILN_OK : KILN_ENOMEM;
}

/* ---- map_keys, map_values, sort_array, array_distinct --------------------------------------- */

typedef struct arr_state {
    int which; /* 0 keys, 1 values; sort: ascending */
    int op;
} arr_state;

enum { ARR_MAP_PART, ARR_SORT, ARR_DISTINCT };

/* Per-row element orders for sort_array and array_distinct (insertion
 * sort / quadratic distinct: arrays are short). */
static uint32_t row_order(const arr_state *st, const col_vec *e, uint32_t s, uint32_t len,
                          uint32_t *idx)
{
    uint32_t m = 0;
    for (uint32_t k = s; k < s + len; k++) {
        if (st->op == ARR_DISTINCT) {
            bool dup = false;
            for (uint32_t j = 0; j < m && !dup; j++) {
                bool av = col_valid(e, idx[j]), bv = col_valid(e, k);
                dup = (!av && !bv) || (av && bv && fn_cmp_rows(e, idx[j], e, k) == 0);
            }
            if (!dup) idx[m++] = k;
        } else {
            idx[m++] = k;
        }
    }
    if (st->op == ARR_SORT) {
        bool asc = st->which != 0;
        for (uint32_t x = 1; x < m; x++) {
            uint32_t v = idx[x];
            int64_t y = (int64_t)x - 1;
            for (; y >= 0; y--) {
                uint32_t u = idx[y];
                bool uv = col_valid(e, u), vv = col_valid(e, v);
                int cmp; /* u vs v; nulls first ascending, last descending */
                if (!uv || !vv) cmp = uv == vv ? 0 : (uv ? 1 : -1);
                else cmp = fn_cmp_rows(e, u, e, v);
                if (!asc) cmp = -cmp;
                if (cmp <= 0) break;
                idx[y + 1] = u;
            }
            idx[y + 1] = v;
        }
    }
    return m;
}

static int arr_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                      const uint32_t *sel, uint32_t n, uint32_t count)
{
    const arr_state *st = state;
    const col_vec *a = &args[0];
    const col_vec *e = &a->children[st->op == ARR_MAP_PART ? st->which : 0];
    uint32_t total = 0, maxlen = 0;
    FN_ROWS(sel, n, count, i, {
        if (col_valid(a, i)) {
            uint32_t l = arr_len(a, i);
            total += l;
            if (l > maxlen) maxlen = l;
        }
    });
    int rc = reserve_elems(c, out, total);
    if (rc) return rc;
    uint32_t *idx = kiln_arena_alloc(c->arena, sizeof(uint32_t) * (maxlen + 1));
    if (!idx) return KILN_ENOMEM;
    col_vec *oe = &out->children[0];
    uint32_t at = out->offsets[0];
    FOR_ALL_ROWS(i, live, {
        if (live && col_valid(a, i)) {
            uint32_t s = arr_start(a, i), len = arr_len(a, i);
            uint32_t m;
            if (st->op == ARR_MAP_PART) {
                for (uint32_t k = 0; k < len; k++) idx[k] = s + k;
                m = len;
            } else {
                m = row_order(st, e, s, len, idx);
            }
            for (uint32_t k = 0; k < m; k++)
                if ((rc = put_row(c, oe, at++, e, idx[k])) != KILN_OK) return rc;
        } else if (live) {
            col_set_null(out, i);
        }
        out->offsets[i + 1] = at;
    });
    oe->n = at;
    return KILN_OK;
}

static int bind_arr_op(fn_bind *b, int op, int which)
{
    arr_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    st->op = op;
    st->which = which;
    b->state = st;
    b->kernel = arr_kernel;
    return KILN_OK;
}

static int bind_map_keys(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_MAP, COL_MAP);
    if (rc) return rc;
    b->result = col_type_array(b->arena, b->args[0]->elem, false);
    return b->result ? bind_arr_op(b, ARR_MAP_PART, 0) : KILN_ENOMEM;
}

static int bind_map_values(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_MAP, COL_MAP);
    if (rc) return rc;
    b->result = col_type_array(b->arena, b->args[0]->value, b->args[0]->contains_null);
    return b->result ? bind_arr_op(b, ARR_MAP_PART, 1) : KILN_ENOMEM;
}

static int bind_sort_array(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_ARRAY, COL_ARRAY);
    if (rc) return rc;
    int asc = 1;
    if (b->nargs == 2) {
        const col_vec *k = b->consts[1];
        if (!k || b->args[1]->kind != COL_BOOL)
            return fn_bind_fail(b, 1, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                                "Cannot resolve the function due to data type mismatch: Sort "
                                "order in second argument requires a boolean literal.");
        asc = col_valid(k, 0) ? COL_DATA(k, uint8_t)[0] : 1;
        b->want[1] = NULL;
    }
    b->result = b->args[0];
    return bind_arr_op(b, ARR_SORT, asc);
}

static int bind_array_distinct(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_ARRAY, COL_ARRAY);
    if (rc) return rc;
    b->result = b->args[0];
    return bind_arr_op(b, ARR_DISTINCT, 0);
}

/* ---- struct fields ------------------------------------------------------------- */

/* s.f (Spark's GetStructField): the field of the struct, null where the
 * struct is. The analyser makes the call "<field>"(s, 'f') for a name's
 * parts past its column; the field is found by name (any case). */
static int field_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                        const uint32_t *sel, uint32_t n, uint32_t count)
{
    (void)nargs;
    const col_vec *f = &args[0].children[*(const int *)state];
    int rc;
    if (f->validity && (rc = col_vec_add_validity(out, c->arena, n))) return rc;
    FOR_ALL_ROWS(i, live, {
        if (!live || !col_valid(out, i) || !col_valid(&args[0], i)) {
            if ((rc = col_vec_set_null_row(out, c->arena, i, n))) return rc;
            continue;
        }
        if ((rc = put_row(c, out, i, f, col_row(&args[0], i)))) return rc;
    });
    return KILN_OK;
}

static int bind_field(fn_bind *b)
{
    int rc = need_kind(b, 0, COL_STRUCT, COL_STRUCT);
    if (rc) return rc;
    const col_vec *nm = b->consts[1];
    if (!nm || b->args[1]->kind != COL_STRING || !col_valid(nm, 0))
        return fn_bind_fail(b, 1, "INTERNAL_ERROR", "a struct field needs its name");
    const col_str *s = &COL_DATA(nm, col_str)[col_row(nm, 0)];
    const col_type *t = b->args[0];
    int *k = kiln_arena_alloc(b->arena, sizeof *k);
    if (!k) return KILN_ENOMEM;
    *k = -1;
    for (int i = 0; i < t->nfields && *k < 0; i++)
        if (strlen(t->fields[i].name) == s->len &&
            strncasecmp(t->fields[i].name, col_str_data(s), s->len) == 0)
            *k = i;
    if (*k < 0)
        return fn_bind_fail(b, 1, "FIELD_NOT_FOUND", "No such struct field `%.*s` in %s.",
                            (int)s->len, col_str_data(s), fn_type_name(b->arena, t));
    b->result = t->fields[*k].type;
    b->state = k;
    b->kernel = field_kernel;
    b->nullable = true;
    return KILN_OK;
}

const fn_def fn_defs_collection[] = {
    {"<field>", 2, 2, FN_NULL_IN_NULL_OUT | FN_NEEDS_CONSTS, bind_field},
    {"size", 1, 1, 0, bind_size},
    {"cardinality", 1, 1, 0, bind_size},
    {"array_contains", 2, 2, FN_NULL_IN_NULL_OUT, bind_contains},
    {"element_at", 2, 2, FN_NULL_IN_NULL_OUT, bind_element_at},
    {"try_element_at", 2, 2, FN_NULL_IN_NULL_OUT, bind_try_element_at},
    {"<subscript>", 2, 2, FN_NULL_IN_NULL_OUT, bind_subscript},
    {"get", 2, 2, FN_NULL_IN_NULL_OUT, bind_get},
    {"array", 0, -1, 0, bind_array},
    {"struct", 1, -1, 0, bind_struct},
    {"named_struct", 2, -1, FN_NEEDS_CONSTS, bind_named_struct},
    {"map_keys", 1, 1, FN_NULL_IN_NULL_OUT, bind_map_keys},
    {"map_values", 1, 1, FN_NULL_IN_NULL_OUT, bind_map_values},
    {"sort_array", 1, 2, FN_NULL_IN_NULL_OUT | FN_NEEDS_CONSTS, bind_sort_array},
    {"array_distinct", 1, 1, FN_NULL_IN_NULL_OUT, bind_array_distinct},
    {NULL, 0, 0, 0, NULL},
};
