/*
 * sql/vec_hash.c - vectorised key hashing (vec_hash.h): one tight loop per
 * physical type, with and without nulls and a selection; XXH3 for bytes and
 * a 64-bit finaliser (murmur3's fmix64) for fixed-width values.
 */
#include "sql/vec_hash.h"

#include <xxhash.h>

#include "sql/ops_int.h"

static inline uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static inline uint64_t combine(uint64_t h, uint64_t k)
{
    return (h * UINT64_C(0xbf58476d1ce4e5b9)) ^ k;
}

uint64_t vec_hash_i64(int64_t x)
{
    return fmix64((uint64_t)x);
}

uint64_t vec_hash_bytes(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}

static inline uint64_t hash_f64(double d)
{
    d = ops_norm_f64(d);
    uint64_t u;
    memcpy(&u, &d, 8);
    return fmix64(u ^ UINT64_C(0x5851f42d4c957f2d));
}

static inline uint64_t hash_i128(__int128 x)
{
    if (x >= INT64_MIN && x <= INT64_MAX) return fmix64((uint64_t)(int64_t)x);
    return fmix64((uint64_t)x ^ fmix64((uint64_t)(x >> 64)));
}

/* A string of up to COL_STR_INLINE bytes lies in the view itself: its
 * bytes (the rest masked off, whatever it holds) and length are mixed
 * directly, far cheaper than a call for the one- or two-letter flags and
 * codes that keys often are; longer strings go through XXH3. */
static inline uint64_t hash_str(const col_str *s)
{
    if (s->len > COL_STR_INLINE) return XXH3_64bits(s->u.ptr, s->len);
    uint64_t a, b;
    memcpy(&a, s->prefix, 4);
    memcpy(&b, s->u.inl, 8);
    uint32_t n = s->len;
    a &= n >= 4 ? UINT64_C(0xffffffff) : (UINT64_C(1) << (8 * n)) - 1;
    b &= n >= 12 ? UINT64_MAX : n <= 4 ? 0 : (UINT64_C(1) << (8 * (n - 4))) - 1;
    return fmix64(a ^ (uint64_t)n << 32 ^ fmix64(b ^ UINT64_C(0x9e3779b97f4a7c15)));
}

/* One value of a fixed-width or string vector at row i (not null). */
static uint64_t row_hash(const col_vec *v, uint32_t i);

static uint64_t value_hash(const col_vec *v, uint32_t i)
{
    const uint8_t *d = v->data;
    switch (ops_phys(v->type)) {
    case OPS_P_I8:
        return fmix64((uint64_t)(int64_t)((const int8_t *)d)[i]);
    case OPS_P_I16:
        return fmix64((uint64_t)(int64_t)((const int16_t *)d)[i]);
    case OPS_P_I32:
        return fmix64((uint64_t)(int64_t)((const int32_t *)d)[i]);
    case OPS_P_I64:
        return fmix64((uint64_t)((const int64_t *)d)[i]);
    case OPS_P_I128:
        return hash_i128(((const __int128 *)d)[i]);
    case OPS_P_F32:
        return hash_f64(((const float *)d)[i]);
    case OPS_P_F64:
        return hash_f64(((const double *)d)[i]);
    case OPS_P_STR:
        return hash_str(&((const col_str *)d)[i]);
    default:
        break;
    }
    uint64_t h = UINT64_C(0x2545f4914f6cdd1d) + v->type->kind;
    switch (v->type->kind) {
    case COL_STRUCT:
        for (int f = 0; f < v->nchildren; f++) h = combine(h, row_hash(&v->children[f], i));
        break;
    case COL_ARRAY:
        for (uint32_t j = v->offsets[i]; j < v->offsets[i + 1]; j++)
            h = combine(h, row_hash(&v->children[0], j));
        h = combine(h, v->offsets[i + 1] - v->offsets[i]);
        break;
    case COL_MAP: {
        /* Entries in any order: equal maps (as grouping compares them,
         * entries sorted by key) hash equally. */
        uint64_t sum = 0;
        for (uint32_t j = v->offsets[i]; j < v->offsets[i + 1]; j++)
            sum += fmix64(combine(row_hash(&v->children[0], j), row_hash(&v->children[1], j)));
        h = combine(combine(h, sum), v->offsets[i + 1] - v->offsets[i]);
        break;
    }
    default:
        break; /* the null type: every row is null */
    }
    return fmix64(h);
}

static uint64_t row_hash(const col_vec *v, uint32_t i)
{
    i = col_row(v, i);
    if (!col_valid(v, i)) return VEC_HASH_NULL;
    return value_hash(v, i);
}

/* The loops: OP(h[k], value) with and without selection; nulls fixed after. */
#define HASH_LOOP(T, EXPR)                                                                         \
    do {                                                                                           \
        const T *d = (const T *)v->data;                                                           \
        if (sel) {                                                                                 \
            for (uint32_t k = 0; k < count; k++) {                                                 \
                T x = d[sel[k]];                                                                   \
                uint64_t hv = (EXPR);                                                              \
                h[k] = comb ? combine(h[k], hv) : hv;                                              \
            }                                                                                      \
        } else {                                                                                   \
            for (uint32_t k = 0; k < count; k++) {                                                 \
                T x = d[k];                                                                        \
                uint64_t hv = (EXPR);                                                              \
                h[k] = comb ? combine(h[k], hv) : hv;                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void hash_vec(const col_vec *v, const uint32_t *sel, uint32_t count, uint64_t *h, bool comb)
{
    if (count == 0) return;
    if (v->constant || v->type->kind == COL_NULL) {
        uint64_t hv = v->type->kind == COL_NULL ? VEC_HASH_NULL : row_hash(v, 0);
        for (uint32_t k = 0; k < count; k++) h[k] = comb ? combine(h[k], hv) : hv;
        return;
    }
    switch (ops_phys(v->type)) {
    case OPS_P_I8:
        HASH_LOOP(int8_t, fmix64((uint64_t)(int64_t)x));
        break;
    case OPS_P_I16:
        HASH_LOOP(int16_t, fmix64((uint64_t)(int64_t)x));
        break;
    case OPS_P_I32:
        HASH_LOOP(int32_t, fmix64((uint64_t)(int64_t)x));
        break;
    case OPS_P_I64:
        HASH_LOOP(int64_t, fmix64((uint64_t)x));
        break;
    case OPS_P_I128:
        HASH_LOOP(__int128, hash_i128(x));
        break;
    case OPS_P_F32:
        HASH_LOOP(float, hash_f64(x));
        break;
    case OPS_P_F64:
        HASH_LOOP(double, hash_f64(x));
        break;
    case OPS_P_STR:
        HASH_LOOP(col_str, hash_str(&x));
        break;
    default:
        for (uint32_t k = 0; k < count; k++) {
            uint64_t hv = row_hash(v, sel ? sel[k] : k);
            h[k] = comb ? combine(h[k], hv) : hv;
        }
        return;
    }
    if (!v->validity) return;
    /* Null rows: the loops hashed whatever bytes were there; redo them. */
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = sel ? sel[k] : k;
        if (!(v->validity[i >> 6] >> (i & 63) & 1)) h[k] = VEC_HASH_NULL;
    }
}

void vec_hash(const col_vec *v, const uint32_t *sel, uint32_t count, uint64_t *h)
{
    hash_vec(v, sel, count, h, false);
}

void vec_hash_combine(const col_vec *v, const uint32_t *sel, uint32_t count, uint64_t *h)
{
    uint64_t tmp[COL_VEC_SIZE];
    for (uint32_t off = 0; off < count; off += COL_VEC_SIZE) {
        uint32_t n = count - off < COL_VEC_SIZE ? count - off : COL_VEC_SIZE;
        if (sel) {
            hash_vec(v, sel + off, n, tmp, false);
        } else if (off == 0 || v->constant) {
            hash_vec(v, NULL, n, tmp, false);
        } else {
            /* Rows off..off+n without a selection: hash them through one. */
            uint32_t idx[COL_VEC_SIZE];
            for (uint32_t k = 0; k < n; k++) idx[k] = off + k;
            hash_vec(v, idx, n, tmp, false);
        }
        for (uint32_t k = 0; k < n; k++) h[off + k] = combine(h[off + k], tmp[k]);
    }
}

void vec_hash_keys(const col_vec *keys, int nkeys, const uint32_t *sel, uint32_t count, uint64_t *h)
{
    if (nkeys == 0) {
        for (uint32_t k = 0; k < count; k++) h[k] = 0;
        return;
    }
    vec_hash(&keys[0], sel, count, h);
    for (int c = 1; c < nkeys; c++) vec_hash_combine(&keys[c], sel, count, h);
}
