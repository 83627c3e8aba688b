/*
 * sql/fn_hash.c - Spark's hash() (Murmur3 x86_32, seed 42) and xxhash64()
 * (XXH64, seed 42) over Spark's byte forms of values: ints and dates as 4
 * bytes, bigints and timestamps as 8, floats and doubles by their bits
 * with -0.0 as 0.0, decimals up to 18 digits by the unscaled long and
 * wider ones by the unscaled value's two's-complement big-endian bytes
 * (Java's BigInteger.toByteArray), strings and binary by their bytes,
 * nested values element by element; a null leaves the running hash alone.
 */
#include <string.h>
#include <xxhash.h>

#include "sql/fn_int.h"

static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}
static uint32_t mix_k1(uint32_t k1)
{
    k1 *= 0xcc9e2d51u;
    k1 = rotl32(k1, 15);
    return k1 * 0x1b873593u;
}
static uint32_t mix_h1(uint32_t h1, uint32_t k1)
{
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    return h1 * 5 + 0xe6546b64u;
}
static uint32_t fmix(uint32_t h1, uint32_t len)
{
    h1 ^= len;
    h1 ^= h1 >> 16;
    h1 *= 0x85ebca6bu;
    h1 ^= h1 >> 13;
    h1 *= 0xc2b2ae35u;
    return h1 ^ (h1 >> 16);
}
static uint32_t mm_int(uint32_t v, uint32_t seed)
{
    return fmix(mix_h1(seed, mix_k1(v)), 4);
}
static uint32_t mm_long(uint64_t v, uint32_t seed)
{
    uint32_t h1 = mix_h1(seed, mix_k1((uint32_t)v));
    h1 = mix_h1(h1, mix_k1((uint32_t)(v >> 32)));
    return fmix(h1, 8);
}
/* Spark's hashUnsafeBytes: 4-byte little-endian words, then each
 * remaining byte (sign-extended) as a word of its own. */
static uint32_t mm_bytes(const uint8_t *p, uint32_t len, uint32_t seed)
{
    uint32_t aligned = len - len % 4, h1 = seed;
    for (uint32_t i = 0; i < aligned; i += 4) {
        uint32_t w = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                     (uint32_t)p[i + 3] << 24;
        h1 = mix_h1(h1, mix_k1(w));
    }
    for (uint32_t i = aligned; i < len; i++)
        h1 = mix_h1(h1, mix_k1((uint32_t)(int32_t)(int8_t)p[i]));
    return fmix(h1, len);
}

/* Java's BigInteger.toByteArray of v: minimal two's complement, big-endian. */
static int big_bytes(dec128 v, uint8_t *out)
{
    uint8_t be[16];
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 15; i >= 0; i--) {
        be[i] = (uint8_t)u;
        u >>= 8;
    }
    int start = 0;
    while (start < 15 && ((be[start] == 0 && !(be[start + 1] & 0x80)) ||
                          (be[start] == 0xff && (be[start + 1] & 0x80))))
        start++;
    memcpy(out, be + start, (size_t)(16 - start));
    return 16 - start;
}

typedef struct hash_state {
    bool xx;
} hash_state;

/* Hashes one valid row of v into h (seed). */
static uint64_t hash_value(bool xx, const col_vec *v, uint32_t i, uint64_t h)
{
    uint32_t r = col_row(v, i);
    uint8_t b[16];
    switch (v->type->kind) {
    case COL_BOOL:
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM: {
        uint32_t x = (uint32_t)fn_int_get(v, i);
        if (xx) return XXH64(&x, 4, h);
        return mm_int(x, (uint32_t)h);
    }
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT: {
        uint64_t x = (uint64_t)fn_int_get(v, i);
        return xx ? XXH64(&x, 8, h) : mm_long(x, (uint32_t)h);
    }
    case COL_F32: {
        float f = COL_DATA(v, float)[r];
        uint32_t x;
        if (f == 0) f = 0; /* -0.0 hashes as 0.0 */
        memcpy(&x, &f, 4);
        if (f != f) x = 0x7fc00000u;
        return xx ? XXH64(&x, 4, h) : mm_int(x, (uint32_t)h);
    }
    case COL_F64: {
        double d = COL_DATA(v, double)[r];
        uint64_t x;
        if (d == 0) d = 0;
        memcpy(&x, &d, 8);
        if (d != d) x = 0x7ff8000000000000ull;
        return xx ? XXH64(&x, 8, h) : mm_long(x, (uint32_t)h);
    }
    case COL_DECIMAL: {
        dec128 x = fn_dec_get(v, i);
        if (v->type->precision <= 18) {
            uint64_t l = (uint64_t)(int64_t)x;
            return xx ? XXH64(&l, 8, h) : mm_long(l, (uint32_t)h);
        }
        int n = big_bytes(x, b);
        return xx ? XXH64(b, (size_t)n, h) : mm_bytes(b, (uint32_t)n, (uint32_t)h);
    }
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = &COL_DATA(v, col_str)[r];
        const uint8_t *p = (const uint8_t *)col_str_data(s);
        return xx ? XXH64(p, s->len, h) : mm_bytes(p, s->len, (uint32_t)h);
    }
    case COL_ARRAY:
    case COL_MAP:
        for (uint32_t k = v->offsets[r]; k < v->offsets[r + 1]; k++)
            for (int c = 0; c < v->nchildren; c++)
                if (col_valid(&v->children[c], k)) h = hash_value(xx, &v->children[c], k, h);
        return h;
    case COL_STRUCT:
        for (int c = 0; c < v->nchildren; c++)
            if (col_valid(&v->children[c], r)) h = hash_value(xx, &v->children[c], r, h);
        return h;
    default:
        return h;
    }
}

static int hash_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool xx = state != NULL;
    FN_ROWS(sel, n, count, i, {
        uint64_t h = 42;
        for (int k = 0; k < nargs; k++)
            if (col_valid(&args[k], i))
                h = xx ? hash_value(true, &args[k], i, h)
                       : (uint32_t)hash_value(false, &args[k], i, (uint32_t)h);
        if (xx) COL_DATA(out, int64_t)[i] = (int64_t)h;
        else COL_DATA(out, int32_t)[i] = (int32_t)(uint32_t)h;
    });
    return KILN_OK;
}

int fn_bind_hash(fn_bind *b)
{
    b->result = &col_type_i32;
    b->kernel = hash_kernel;
    b->state = NULL;
    return KILN_OK;
}

int fn_bind_xxhash64(fn_bind *b)
{
    b->result = &col_type_i64;
    b->kernel = hash_kernel;
    b->state = (void *)1;
    return KILN_OK;
}
