/*
 * sql/nested_key.c - the order-preserving byte encoding of nested values
 * (nested_key.h) and its decoder. A value's bytes, by type:
 *   - integers, dates, timestamps, intervals, decimals: big-endian in
 *     their vector width with the sign bit flipped (bool as one byte);
 *   - float and double: normalised (every NaN one NaN, -0.0 is 0.0), then
 *     the sign bit flipped when positive, every bit inverted when negative;
 *   - string and binary: the bytes with 0x00 written 0x00 0xFF, then 0x00 0x00;
 *   - array: per element 0x01 (null) or 0x02 and the element, then 0x00;
 *   - map: per entry, in ascending order of the keys' encodings, 0x02, the
 *     key, 0x01 (null value) or 0x02 and the value, then 0x00;
 *   - struct: per field 0x01 (null) or 0x02 and the field;
 *   - the null type: no bytes (it is always null).
 * Unless normalising (keys that group or join), the value is followed by
 * one byte per zero float in it, in the order of the value's bytes (map
 * keys excepted: always normalised), 1 for -0.0: two values equal but for
 * their zeros' signs order next to each other (ties, in any order for
 * Spark) and -0.0 decodes back.
 * The decoder counts the rows of every child vector first (one pass over
 * the encodings), makes the vectors at their final sizes, then fills them.
 */
#include "sql/nested_key.h"

#include <math.h>
#include <stdlib.h>

#include "kiln.h"
#include "sql/ops_int.h"

enum { T_END = 0, T_NULL = 1, T_VAL = 2 };

/* ---- Encoding ------------------------------------------------------------------------------ */

static int put_u64(kiln_buf *b, uint64_t x, int bytes)
{
    uint8_t tmp[8];
    for (int k = 0; k < bytes; k++) tmp[k] = (uint8_t)(x >> (8 * (bytes - 1 - k)));
    return kiln_buf_append(b, tmp, (size_t)bytes);
}

static int put_str(kiln_buf *b, const col_str *s)
{
    const uint8_t *p = (const uint8_t *)col_str_data(s);
    int rc = kiln_buf_reserve(b, (size_t)s->len + 2);
    uint32_t from = 0;
    for (uint32_t k = 0; !rc && k < s->len; k++) {
        if (p[k]) continue;
        static const uint8_t esc[2] = {0x00, 0xff};
        if (!(rc = kiln_buf_append(b, p + from, k - from))) rc = kiln_buf_append(b, esc, 2);
        from = k + 1;
    }
    static const uint8_t end[2] = {0x00, 0x00};
    if (!rc) rc = kiln_buf_append(b, p + from, s->len - from);
    return rc ? rc : kiln_buf_append(b, end, 2);
}

static int put_tag(kiln_buf *b, uint8_t tag)
{
    return kiln_buf_append(b, &tag, 1);
}

static int enc(kiln_buf *b, kiln_buf *z, const col_vec *v, uint32_t i);

static int put_opt(kiln_buf *b, kiln_buf *z, const col_vec *v, uint32_t i)
{
    if (v->type->kind == COL_NULL || !col_valid(v, i)) return put_tag(b, T_NULL);
    int rc = put_tag(b, T_VAL);
    return rc ? rc : enc(b, z, v, i);
}

/* A map's entries [lo, hi) of v, by their keys' encodings. */
typedef struct map_key {
    size_t off, len;
    uint32_t row;
} map_key;

/* The keys' bytes for key_cmp (qsort has no argument). */
static _Thread_local const uint8_t *t_keys;

static int key_cmp(const void *x, const void *y)
{
    const map_key *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(t_keys + a->off, t_keys + b->off, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int put_map(kiln_buf *b, kiln_buf *z, const col_vec *v, uint32_t i)
{
    uint32_t lo = v->offsets[i], hi = v->offsets[i + 1], n = hi - lo;
    if (!n) return put_tag(b, T_END);
    kiln_buf keys;
    kiln_buf_init(&keys);
    map_key *mk = malloc(sizeof *mk * n);
    int rc = mk ? KILN_OK : KILN_ENOMEM;
    for (uint32_t k = 0; !rc && k < n; k++) {
        mk[k].off = keys.len;
        mk[k].row = lo + k;
        rc = enc(&keys, NULL, &v->children[0], lo + k); /* keys: normalised */
        mk[k].len = keys.len - mk[k].off;
    }
    if (!rc) {
        const uint8_t *saved = t_keys;
        t_keys = keys.data;
        qsort(mk, n, sizeof *mk, key_cmp);
        t_keys = saved;
    }
    for (uint32_t k = 0; !rc && k < n; k++) {
        if (!(rc = put_tag(b, T_VAL)) &&
            !(rc = kiln_buf_append(b, keys.data + mk[k].off, mk[k].len)))
            rc = put_opt(b, z, &v->children[1], mk[k].row);
    }
    free(mk);
    kiln_buf_release(&keys);
    return rc ? rc : put_tag(b, T_END);
}

int nk_encode(kiln_buf *b, const col_vec *v, uint32_t i, bool norm)
{
    if (norm) return enc(b, NULL, v, i);
    kiln_buf z;
    kiln_buf_init(&z);
    int rc = enc(b, &z, v, i);
    if (!rc && z.len) rc = kiln_buf_append(b, z.data, z.len);
    kiln_buf_release(&z);
    return rc;
}

/* Appends row i of v, normalised, to b; with z, one byte per zero float
 * (1: it was -0.0) to z. */
static int enc(kiln_buf *b, kiln_buf *z, const col_vec *v, uint32_t i)
{
    i = col_row(v, i);
    const uint8_t *d = v->data;
    switch (v->type->kind) {
    case COL_NULL:
        return KILN_OK;
    case COL_BOOL:
    case COL_I8:
        return put_u64(b, (uint8_t)((const int8_t *)d)[i] ^ 0x80u, 1);
    case COL_I16:
        return put_u64(b, (uint16_t)((const int16_t *)d)[i] ^ 0x8000u, 2);
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        return put_u64(b, (uint32_t)((const int32_t *)d)[i] ^ 0x80000000u, 4);
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        return put_u64(b, (uint64_t)((const int64_t *)d)[i] ^ (UINT64_C(1) << 63), 8);
    case COL_DECIMAL:
        if (!col_decimal_is_wide(v->type))
            return put_u64(b, (uint64_t)((const int64_t *)d)[i] ^ (UINT64_C(1) << 63), 8);
        else {
            __int128 x;
            memcpy(&x, d + (size_t)i * 16, 16);
            int rc = put_u64(b, (uint64_t)(x >> 64) ^ (UINT64_C(1) << 63), 8);
            return rc ? rc : put_u64(b, (uint64_t)x, 8);
        }
    case COL_F32: {
        float f = ((const float *)d)[i];
        if (z && f == 0.0f && put_tag(z, signbit(f) ? 1 : 0)) return KILN_ENOMEM;
        f = ops_norm_f32(f);
        uint32_t u;
        memcpy(&u, &f, 4);
        return put_u64(b, (u >> 31) ? ~u : u ^ 0x80000000u, 4);
    }
    case COL_F64: {
        double f = ((const double *)d)[i];
        if (z && f == 0.0 && put_tag(z, signbit(f) ? 1 : 0)) return KILN_ENOMEM;
        f = ops_norm_f64(f);
        uint64_t u;
        memcpy(&u, &f, 8);
        return put_u64(b, (u >> 63) ? ~u : u ^ (UINT64_C(1) << 63), 8);
    }
    case COL_STRING:
    case COL_BINARY:
        return put_str(b, &((const col_str *)d)[i]);
    case COL_ARRAY: {
        int rc = KILN_OK;
        for (uint32_t k = v->offsets[i]; !rc && k < v->offsets[i + 1]; k++)
            rc = put_opt(b, z, &v->children[0], k);
        return rc ? rc : put_tag(b, T_END);
    }
    case COL_MAP:
        return put_map(b, z, v, i);
    case COL_STRUCT: {
        int rc = KILN_OK;
        for (int f = 0; !rc && f < v->nchildren; f++) rc = put_opt(b, z, &v->children[f], i);
        return rc;
    }
    default:
        return kiln_set_error(KILN_EINVAL, "cannot encode a value of type kind %d", v->type->kind);
    }
}

bool nk_orderable(const col_type *t)
{
    switch (t->kind) {
    case COL_MAP:
        return false;
    case COL_ARRAY:
        return nk_orderable(t->elem);
    case COL_STRUCT:
        for (int f = 0; f < t->nfields; f++)
            if (!nk_orderable(t->fields[f].type)) return false;
        return true;
    default:
        return true;
    }
}

/* ---- Decoding ------------------------------------------------------------------------------ */

/* Vectors of the type tree in pre-order: a node's children follow it. */
static int nodes(const col_type *t)
{
    switch (t->kind) {
    case COL_ARRAY:
        return 1 + nodes(t->elem);
    case COL_MAP:
        return 1 + nodes(t->elem) + nodes(t->value);
    case COL_STRUCT: {
        int n = 1;
        for (int f = 0; f < t->nfields; f++) n += nodes(t->fields[f].type);
        return n;
    }
    default:
        return 1;
    }
}

/* Fixed bytes of a scalar's encoding (0: not fixed). */
static size_t fixed_len(const col_type *t)
{
    switch (t->kind) {
    case COL_STRING:
    case COL_BINARY:
    case COL_ARRAY:
    case COL_MAP:
    case COL_STRUCT:
        return 0;
    case COL_NULL:
        return 0;
    case COL_DECIMAL:
        return col_decimal_is_wide(t) ? 16 : 8;
    default:
        return col_type_width(t);
    }
}

typedef struct dec {
    kiln_arena *a;
    uint32_t *cnt; /* rows of each node's vector (pass 1), then its next row (pass 2) */
    const uint8_t *end;
    const uint8_t *zp, *zend; /* pass 2: the zeros' signs after the value (zp NULL: none) */
} dec;

/* Whether the next zero float was -0.0. */
static bool neg_zero(dec *x)
{
    return x->zp && x->zp < x->zend && *x->zp++ == 1;
}

/* The end of a string's encoding at p (NULL when cut short); *len its bytes. */
static const uint8_t *str_end(const dec *x, const uint8_t *p, uint32_t *len)
{
    uint32_t n = 0;
    while (p + 1 < x->end) {
        if (p[0] == 0) {
            if (p[1] == 0) {
                *len = n;
                return p + 2;
            }
            if (p[1] != 0xff) return NULL;
            p++;
        }
        p++;
        n++;
    }
    return NULL;
}

/* Pass 1: counts the child rows of the value of t at p; returns its end. */
static const uint8_t *measure(dec *x, const col_type *t, int node, const uint8_t *p)
{
    if (!p) return NULL;
    size_t w = fixed_len(t);
    if (w || t->kind == COL_NULL) return (size_t)(x->end - p) >= w ? p + w : NULL;
    switch (t->kind) {
    case COL_STRING:
    case COL_BINARY: {
        uint32_t len;
        return str_end(x, p, &len);
    }
    case COL_ARRAY:
        while (p && p < x->end && *p != T_END) {
            x->cnt[node + 1]++;
            if (*p++ == T_VAL) p = measure(x, t->elem, node + 1, p);
            else if (p[-1] != T_NULL) return NULL;
        }
        return p && p < x->end ? p + 1 : NULL;
    case COL_MAP: {
        int vn = node + 1 + nodes(t->elem);
        while (p && p < x->end && *p != T_END) {
            if (*p++ != T_VAL) return NULL;
            x->cnt[node + 1]++;
            x->cnt[vn]++;
            if (!(p = measure(x, t->elem, node + 1, p)) || p >= x->end) return NULL;
            if (*p++ == T_VAL) p = measure(x, t->value, vn, p);
            else if (p[-1] != T_NULL) return NULL;
        }
        return p && p < x->end ? p + 1 : NULL;
    }
    case COL_STRUCT: {
        int fn = node + 1;
        for (int f = 0; p && f < t->nfields; f++) {
            if (p >= x->end) return NULL;
            if (*p++ == T_VAL) p = measure(x, t->fields[f].type, fn, p);
            else if (p[-1] != T_NULL) return NULL;
            fn += nodes(t->fields[f].type);
        }
        return p;
    }
    default:
        return NULL;
    }
}

/* Makes v a vector of t with rows rows (every row valid); children of
 * arrays and maps get the rows pass 1 counted. */
static int make(dec *x, const col_type *t, int node, uint32_t rows, col_vec *v)
{
    memset(v, 0, sizeof *v);
    v->type = t;
    v->n = rows;
    size_t w = col_type_width(t);
    if (w && !(v->data = kiln_arena_alloc(x->a, w * (rows ? rows : 1)))) return KILN_ENOMEM;
    if (w) memset(v->data, 0, w * (rows ? rows : 1));
    int rc = col_vec_add_validity(v, x->a, rows);
    if (rc) return rc;
    switch (t->kind) {
    case COL_ARRAY:
    case COL_MAP:
        v->offsets = kiln_arena_alloc(x->a, sizeof(uint32_t) * ((size_t)rows + 1));
        v->nchildren = t->kind == COL_ARRAY ? 1 : 2;
        v->children = kiln_arena_alloc(x->a, sizeof(col_vec) * 2);
        if (!v->offsets || !v->children) return KILN_ENOMEM;
        v->offsets[0] = 0;
        if ((rc = make(x, t->elem, node + 1, x->cnt[node + 1], &v->children[0]))) return rc;
        if (t->kind == COL_MAP) {
            int vn = node + 1 + nodes(t->elem);
            if ((rc = make(x, t->value, vn, x->cnt[vn], &v->children[1]))) return rc;
        }
        return KILN_OK;
    case COL_STRUCT: {
        v->nchildren = t->nfields;
        v->children = kiln_arena_alloc(x->a, sizeof(col_vec) * (size_t)(t->nfields + 1));
        if (!v->children) return KILN_ENOMEM;
        int fn = node + 1;
        for (int f = 0; f < t->nfields; f++) {
            if ((rc = make(x, t->fields[f].type, fn, rows, &v->children[f]))) return rc;
            fn += nodes(t->fields[f].type);
        }
        return KILN_OK;
    }
    default:
        return KILN_OK;
    }
}

/* Row r of v (the next row of its vector for arrays and maps) is null. */
static void put_null(col_vec *v, uint32_t r)
{
    col_set_null(v, r);
    if (v->offsets) v->offsets[r + 1] = v->offsets[r];
    if (v->type->kind == COL_STRUCT)
        for (int f = 0; f < v->nchildren; f++) put_null(&v->children[f], r);
}

static uint64_t get_u64(const uint8_t *p, int bytes)
{
    uint64_t x = 0;
    for (int k = 0; k < bytes; k++) x = x << 8 | p[k];
    return x;
}

static const uint8_t *fill(dec *x, int node, col_vec *v, uint32_t r, const uint8_t *p);

/* An element, value or field: its tag, then the value. */
static const uint8_t *fill_opt(dec *x, int node, col_vec *v, uint32_t r, const uint8_t *p)
{
    if (*p++ == T_NULL) {
        put_null(v, r);
        return p;
    }
    return fill(x, node, v, r, p);
}

/* Pass 2: writes the value at p (checked by pass 1) into row r of v. */
static const uint8_t *fill(dec *x, int node, col_vec *v, uint32_t r, const uint8_t *p)
{
    const col_type *t = v->type;
    uint8_t *d = v->data;
    switch (t->kind) {
    case COL_NULL:
        put_null(v, r);
        return p;
    case COL_BOOL:
    case COL_I8:
        d[r] = (uint8_t)(p[0] ^ 0x80);
        return p + 1;
    case COL_I16:
        ((int16_t *)d)[r] = (int16_t)(uint16_t)(get_u64(p, 2) ^ 0x8000u);
        return p + 2;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        ((int32_t *)d)[r] = (int32_t)(uint32_t)(get_u64(p, 4) ^ 0x80000000u);
        return p + 4;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        ((int64_t *)d)[r] = (int64_t)(get_u64(p, 8) ^ (UINT64_C(1) << 63));
        return p + 8;
    case COL_DECIMAL:
        if (!col_decimal_is_wide(t)) {
            ((int64_t *)d)[r] = (int64_t)(get_u64(p, 8) ^ (UINT64_C(1) << 63));
            return p + 8;
        } else {
            unsigned __int128 u = (unsigned __int128)(get_u64(p, 8) ^ (UINT64_C(1) << 63)) << 64 |
                                  get_u64(p + 8, 8);
            __int128 s = (__int128)u;
            memcpy(d + (size_t)r * 16, &s, 16);
            return p + 16;
        }
    case COL_F32: {
        uint32_t u = (uint32_t)get_u64(p, 4);
        u = (u >> 31) ? u ^ 0x80000000u : ~u;
        if (u == 0 && neg_zero(x)) u = 0x80000000u;
        memcpy(d + (size_t)r * 4, &u, 4);
        return p + 4;
    }
    case COL_F64: {
        uint64_t u = get_u64(p, 8);
        u = (u >> 63) ? u ^ (UINT64_C(1) << 63) : ~u;
        if (u == 0 && neg_zero(x)) u = UINT64_C(1) << 63;
        memcpy(d + (size_t)r * 8, &u, 8);
        return p + 8;
    }
    case COL_STRING:
    case COL_BINARY: {
        uint32_t len = 0;
        const uint8_t *e = str_end(x, p, &len);
        char tmp[COL_STR_INLINE];
        char *buf = len <= COL_STR_INLINE ? tmp : kiln_arena_alloc(x->a, len);
        if (!buf) return NULL;
        for (uint32_t k = 0; k < len; k++) {
            buf[k] = (char)*p;
            p += *p ? 1 : 2;
        }
        col_str *s = &((col_str *)d)[r];
        if (len <= COL_STR_INLINE) col_str_copy(x->a, buf, len, s); /* inline: no memory */
        else *s = col_str_view(buf, len);
        return e;
    }
    case COL_ARRAY:
    case COL_MAP: {
        int kn = node + 1, vn = t->kind == COL_MAP ? node + 1 + nodes(t->elem) : 0;
        while (p && *p != T_END) {
            uint32_t e = x->cnt[kn]++;
            if (t->kind == COL_ARRAY) {
                p = fill_opt(x, kn, &v->children[0], e, p);
            } else {
                const uint8_t *zp = x->zp;
                x->zp = NULL; /* keys were normalised */
                p = fill(x, kn, &v->children[0], e, p + 1);
                x->zp = zp;
                if (p) p = fill_opt(x, vn, &v->children[1], e, p);
            }
        }
        v->offsets[r + 1] = x->cnt[kn];
        return p ? p + 1 : NULL;
    }
    case COL_STRUCT: {
        int fn = node + 1;
        for (int f = 0; p && f < t->nfields; f++) {
            p = fill_opt(x, fn, &v->children[f], r, p);
            fn += nodes(t->fields[f].type);
        }
        return p;
    }
    default:
        return NULL;
    }
}

int nk_decode(const col_type *t, const col_str *vals, const uint8_t *valid, uint32_t n,
              kiln_arena *a, col_vec *out)
{
    int nn = nodes(t);
    dec x = {a, calloc((size_t)nn, sizeof(uint32_t)), NULL, NULL, NULL};
    const uint8_t **zs = malloc(sizeof *zs * (n ? n : 1));
    if (!zs) {
        free(x.cnt);
        return KILN_ENOMEM;
    }
    if (!x.cnt) return KILN_ENOMEM;
    int rc = KILN_OK;
    bool none = t->kind == COL_NULL;
    for (uint32_t k = 0; !none && k < n; k++) {
        if (valid && !valid[k]) continue;
        const uint8_t *p = (const uint8_t *)col_str_data(&vals[k]);
        x.end = p + vals[k].len;
        if (!(zs[k] = measure(&x, t, 0, p))) {
            rc = kiln_set_error(KILN_ECORRUPT, "a stored nested value does not decode");
            break;
        }
    }
    if (!rc) rc = make(&x, t, 0, n, out);
    memset(x.cnt, 0, sizeof(uint32_t) * (size_t)nn);
    for (uint32_t k = 0; !rc && k < n; k++) {
        if (none || (valid && !valid[k])) {
            put_null(out, k);
            continue;
        }
        const uint8_t *p = (const uint8_t *)col_str_data(&vals[k]);
        x.end = p + vals[k].len;
        x.zp = zs[k];
        x.zend = x.end;
        if (!fill(&x, 0, out, k, p)) rc = KILN_ENOMEM;
    }
    free(zs);
    free(x.cnt);
    return rc;
}
