/*
 * base/hash.c - kiln_value_hash, the portable 64-bit hash of a value.
 *
 * Hash partitioning must send a key to the same reducer in every executor
 * process, so the hash has no per-process seed and never looks at pointers
 * or at the machine's byte order: it hashes a canonical little-endian form
 * with XXH3 (whose output is frozen since xxHash 0.8.0), seeded per type.
 * Strings, the hot case, are hashed in place with no copy. Composite values
 * hash the sequence of their items' hashes in 256-byte chunks, chaining the
 * seed, so no allocation is needed at any size. The exact values are pinned
 * by tests/unit/test_hash.c; changing anything here changes every shuffle.
 */
#include <string.h>

/* Compile XXH3 into this file (the header's supported static mode): short
 * strings hash about twice as fast as through the shared library's PLT, and
 * the output is the same algorithm, so the pinned values do not change. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/base.h"

/* Per-type seeds: a fixed base ("kilnhash") plus the tag times the 64-bit
 * golden ratio, so that e.g. the string "a" and the bytes "a" differ. */
#define HASH_BASE 0x6b696c6e68617368ULL
#define HASH_STEP 0x9e3779b97f4a7c15ULL
#define SEED(t) (HASH_BASE + (uint64_t)(t)*HASH_STEP)

#define CHUNK_WORDS 32

static inline void store_le64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

/* The bits of d with every NaN made one quiet NaN and -0.0 made 0.0. */
static inline uint64_t canonical_double(double d)
{
    uint64_t bits;
    if (d != d) return 0x7ff8000000000000ULL;
    if (d == 0) return 0;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static inline uint64_t hash_word(uint64_t x, uint64_t seed)
{
    uint8_t le[8];
    store_le64(le, x);
    return XXH3_64bits_withSeed(le, sizeof le, seed);
}

/* Hashes n 64-bit words produced by word(v, i): 32 words at a time, each
 * chunk seeded with the previous chunk's hash; the count is in the seed. */
static uint64_t hash_words(const kiln_value *v, uint32_t n,
                           uint64_t (*word)(const kiln_value *, uint32_t))
{
    uint8_t chunk[CHUNK_WORDS * 8];
    uint64_t h = SEED(v->type) ^ n;
    uint32_t i = 0;
    do {
        uint32_t k = 0;
        for (; k < CHUNK_WORDS && i < n; k++, i++) store_le64(chunk + 8 * k, word(v, i));
        h = XXH3_64bits_withSeed(chunk, (size_t)k * 8, h);
    } while (i < n);
    return h;
}

static uint64_t item_word(const kiln_value *v, uint32_t i)
{
    return kiln_value_hash(&v->u.items[i]);
}

static uint64_t vec_word(const kiln_value *v, uint32_t i)
{
    return canonical_double(v->u.vec[i]);
}

/* Everything but strings, kept out of line so that the string path of
 * kiln_value_hash has no stack frame to set up. */
static __attribute__((noinline)) uint64_t hash_other(const kiln_value *v)
{
    switch (v->type) {
    case KILN_BYTES:
        return XXH3_64bits_withSeed(v->u.bytes, v->len, SEED(KILN_BYTES));
    case KILN_INT:
        return hash_word((uint64_t)v->u.i, SEED(KILN_INT));
    case KILN_DOUBLE:
        return hash_word(canonical_double(v->u.d), SEED(KILN_DOUBLE));
    case KILN_BOOL:
        return hash_word(v->u.b ? 1 : 0, SEED(KILN_BOOL));
    case KILN_TUPLE:
    case KILN_LIST:
        return hash_words(v, v->len, item_word);
    case KILN_VEC:
        return hash_words(v, v->len, vec_word);
    default: /* KILN_NULL, and unknown tags (which all compare equal) */
        return XXH3_64bits_withSeed(NULL, 0, SEED(v->type));
    }
}

/* Returns the hash of v (borrowed): equal under kiln_value_eq implies equal
 * hashes, and the result is the same on every machine and in every run. */
uint64_t kiln_value_hash(const kiln_value *v)
{
    if (__builtin_expect(v->type == KILN_STR, 1))
        return XXH3_64bits_withSeed(v->u.s, v->len, SEED(KILN_STR));
    return hash_other(v);
}
