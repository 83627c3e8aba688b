/*
 * datasource/json_infer.c - JSON schema inference as Spark's
 * JsonInferSchema: each record's type (integers bigint, or decimal(p,0)
 * beyond; other numbers double, or decimal with prefersDecimal; strings;
 * booleans; objects as structs with fields sorted by name; arrays of the
 * merged element type), merged across records (bigint + double -> double,
 * structs field by field, other conflicts -> string), nulls -> string at
 * the end unless dropFieldIfAllNull drops them; a corrupt-record string
 * column added when PERMISSIVE met a malformed record.
 */
#include <stdlib.h>
#include <string.h>

#include "datasource/json_int.h"

static int field_cmp(const void *x, const void *y)
{
    return strcmp(((const col_field *)x)->name, ((const col_field *)y)->name);
}

static char *dupn(kiln_arena *a, const char *p, size_t n)
{
    char *s = kiln_arena_alloc(a, n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* The type of v (see json_int.h); NULL when out of memory. */
const col_type *json_infer_value(const json_opts *j, kiln_arena *a, const json_val *v)
{
    switch (v->kind) {
    case J_NULL:
        return &col_type_null;
    case J_BOOL:
        return j->primitives_as_string ? &col_type_string : &col_type_bool;
    case J_STR:
        return &col_type_string;
    case J_INT: {
        if (j->primitives_as_string) return &col_type_string;
        int64_t x;
        if (ds_parse_i64(v->s, v->n, &x)) return &col_type_i64;
        int d = ds_integer_digits(v->s, v->n);
        if (d > 0 && d <= 38) return col_type_decimal(a, d, 0);
        return &col_type_f64;
    }
    case J_FLOAT: {
        if (j->primitives_as_string) return &col_type_string;
        if (j->prefers_decimal) {
            /* digits and scale of a plain decimal literal */
            int digits = 0, scale = 0;
            bool point = false, ok = true;
            for (uint32_t i = 0; i < v->n; i++) {
                char c = v->s[i];
                if (c == '-' || c == '+') continue;
                if (c == '.') point = true;
                else if ((unsigned)(c - '0') <= 9) {
                    if (digits || c != '0' || point) digits++;
                    if (point) scale++;
                } else ok = false;
            }
            if (ok && digits <= 38 && scale <= digits)
                return col_type_decimal(a, digits < 1 ? 1 : digits, scale);
            if (ok && scale > digits && scale <= 38) return col_type_decimal(a, scale, scale);
        }
        return &col_type_f64;
    }
    case J_ARR: {
        const col_type *e = &col_type_null;
        for (uint32_t i = 0; i < v->n && e; i++)
            e = json_merge(a, e, json_infer_value(j, a, &v->items[i]));
        return e ? col_type_array(a, e, true) : NULL;
    }
    default: {
        col_field *f = kiln_arena_alloc(a, (v->n ? v->n : 1) * sizeof *f);
        if (!f) return NULL;
        uint32_t n = 0;
        for (uint32_t i = 0; i < v->n; i++) {
            const col_type *t = json_infer_value(j, a, &v->items[i]);
            char *nm = dupn(a, v->keys[i], v->klen[i]);
            if (!t || !nm) return NULL;
            /* A repeated key: the types merge. */
            uint32_t k;
            for (k = 0; k < n && strcmp(f[k].name, nm) != 0; k++) {
            }
            if (k < n) {
                f[k].type = json_merge(a, f[k].type, t);
                if (!f[k].type) return NULL;
                continue;
            }
            f[n].name = nm;
            f[n].type = t;
            f[n].nullable = true;
            n++;
        }
        qsort(f, n, sizeof *f, field_cmp);
        return col_type_struct(a, f, (int)n);
    }
    }
}

static bool is_integral_dec(const col_type *t, int *prec)
{
    if (t->kind == COL_I64) return *prec = 20, true;
    if (t->kind == COL_I32) return *prec = 10, true;
    if (t->kind == COL_DECIMAL && t->scale == 0) return *prec = t->precision, true;
    return false;
}

/* Spark's compatibleType for JSON (see json_int.h). */
const col_type *json_merge(kiln_arena *a, const col_type *x, const col_type *y)
{
    if (!x || !y) return NULL;
    if (col_type_eq(x, y)) return x;
    if (x->kind == COL_NULL) return y;
    if (y->kind == COL_NULL) return x;
    int kx = x->kind, ky = y->kind;
    if ((kx == COL_I64 || kx == COL_F64 || kx == COL_DECIMAL) &&
        (ky == COL_I64 || ky == COL_F64 || ky == COL_DECIMAL)) {
        if (kx == COL_F64 || ky == COL_F64) return &col_type_f64;
        /* decimals (bigint as decimal(20,0)): the wider, or double beyond 38 */
        int px = 20, py = 20;
        int sx = kx == COL_DECIMAL ? x->scale : 0, sy = ky == COL_DECIMAL ? y->scale : 0;
        if (kx == COL_DECIMAL) px = x->precision;
        else is_integral_dec(x, &px);
        if (ky == COL_DECIMAL) py = y->precision;
        else is_integral_dec(y, &py);
        int s = sx > sy ? sx : sy;
        int ip = (px - sx) > (py - sy) ? px - sx : py - sy;
        if (ip + s > 38) return &col_type_f64;
        return col_type_decimal(a, ip + s, s);
    }
    if (kx == COL_STRUCT && ky == COL_STRUCT) {
        col_field *f = kiln_arena_alloc(a, (size_t)(x->nfields + y->nfields + 1) * sizeof *f);
        if (!f) return NULL;
        int i = 0, k = 0, n = 0;
        while (i < x->nfields || k < y->nfields) {
            int c = i >= x->nfields   ? 1
                    : k >= y->nfields ? -1
                                      : strcmp(x->fields[i].name, y->fields[k].name);
            if (c < 0) f[n++] = x->fields[i++];
            else if (c > 0) f[n++] = y->fields[k++];
            else {
                f[n] = x->fields[i];
                f[n].type = json_merge(a, x->fields[i].type, y->fields[k].type);
                if (!f[n].type) return NULL;
                n++, i++, k++;
            }
        }
        return col_type_struct(a, f, n);
    }
    if (kx == COL_ARRAY && ky == COL_ARRAY) {
        const col_type *e = json_merge(a, x->elem, y->elem);
        return e ? col_type_array(a, e, true) : NULL;
    }
    return &col_type_string;
}

/* Nulls become strings; with drop, fields always null (or empty structs,
 * arrays of nulls) are dropped: returns NULL for "drop". */
static const col_type *canonical(kiln_arena *a, const col_type *t, bool drop, bool *oom)
{
    switch (t->kind) {
    case COL_NULL:
        return drop ? NULL : &col_type_string;
    case COL_ARRAY: {
        const col_type *e = canonical(a, t->elem, drop, oom);
        if (!e) return NULL;
        const col_type *r = col_type_array(a, e, true);
        if (!r) *oom = true;
        return r;
    }
    case COL_STRUCT: {
        col_field *f = kiln_arena_alloc(a, (size_t)(t->nfields + 1) * sizeof *f);
        if (!f) return *oom = true, NULL;
        int n = 0;
        for (int i = 0; i < t->nfields; i++) {
            const col_type *c = canonical(a, t->fields[i].type, drop, oom);
            if (!c) continue;
            f[n] = t->fields[i];
            f[n++].type = c;
        }
        if (n == 0 && drop) return NULL;
        const col_type *r = col_type_struct(a, f, n);
        if (!r) *oom = true;
        return r;
    }
    default:
        return t;
    }
}

/* Reads records of splits s[0..n) (json_read.c). */
int json_for_each_record(const ds_split *s, int n, const json_opts *j, kiln_arena *a,
                         int (*fn)(void *arg, const json_val *v, bool bad), void *arg);

typedef struct infer_state {
    const json_opts *j;
    kiln_arena *a;
    const col_type *t;
    bool saw_bad;
    rng g;
} infer_state;

static int infer_one(void *arg, const json_val *v, bool bad)
{
    infer_state *st = arg;
    if (bad) {
        st->saw_bad = true;
        return KILN_OK;
    }
    if (st->j->sampling < 1 && rng_double(&st->g) >= st->j->sampling) return KILN_OK;
    if (v->kind != J_OBJ) return KILN_OK;
    st->t = json_merge(st->a, st->t, json_infer_value(st->j, st->a, v));
    return st->t ? KILN_OK : KILN_ENOMEM;
}

/* The schema of JSON splits (see ds_infer_schema). */
int ds_json_infer(const ds_split *s, int n, const ds_options *o, kiln_arena *a, col_schema *out)
{
    json_opts j;
    int rc = json_opts_parse(&j, o);
    if (rc) return rc;
    infer_state st = {&j, a, &col_type_null, false, {{0}}};
    rng_seed(&st.g, 1);
    if ((rc = json_for_each_record(s, n, &j, a, infer_one, &st))) return rc;
    bool oom = false;
    const col_type *t = st.t->kind == COL_STRUCT ? canonical(a, st.t, j.drop_all_null, &oom) : NULL;
    if (oom) return KILN_ENOMEM;
    int nf = t ? t->nfields : 0;
    bool add_corrupt = st.saw_bad && j.mode == DS_PERMISSIVE;
    col_field *f = kiln_arena_alloc(a, (size_t)(nf + 1) * sizeof *f);
    if (!f) return KILN_ENOMEM;
    int k = 0;
    for (int i = 0; i < nf; i++) {
        if (add_corrupt && strcmp(t->fields[i].name, j.corrupt) == 0) continue;
        f[k++] = t->fields[i];
    }
    if (add_corrupt) {
        f[k].name = dupn(a, j.corrupt, strlen(j.corrupt));
        if (!f[k].name) return KILN_ENOMEM;
        f[k].type = &col_type_string;
        f[k].nullable = true;
        k++;
        qsort(f, (size_t)k, sizeof *f, field_cmp);
    }
    out->n = k;
    out->fields = f;
    return KILN_OK;
}
