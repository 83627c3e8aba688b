/*
 * engine/shuffle_combine_cache.c - the first level of the map-side combine: a
 * fixed-size, 2-way set-associative cache of (key, combiner) entries, one
 * 64-byte line each, with the key stored inline.
 *
 * Real keys are skewed (a few words make most of a text), so nearly every
 * record folds into a line that is already in the CPU's cache. A miss
 * evicts the bucket's older line into the task's full agg_map (the second
 * level), which is touched only on evictions. Keys that do not fit inline
 * (tuples, lists, long strings) and combiners that are not scalars bypass the
 * cache and go to the second level directly, so results never depend on it.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/shuffle_int.h"

#define INLINE_KEY 16
/* At most 2^16 buckets x 2 ways x 32 bytes = 4 MiB (measured best of 1-16
 * MiB); fewer when the task's memory share is small. */
#define CACHE_MAX_LOG2 16
#define CACHE_MIN_LOG2 8

typedef struct line {
    uint32_t tag;     /* the high half of the key's hash */
    uint8_t used;     /* 0: empty */
    uint8_t key_type; /* the key's kiln_type */
    uint8_t key_len;  /* STR/BYTES length */
    uint8_t val_type; /* the combiner's kiln_type (a scalar) */
    union {
        int64_t i;
        double d;
    } val;
    union {
        int64_t i;
        double d;
        char bytes[INLINE_KEY];
    } key;
} line;

_Static_assert(sizeof(line) == 32, "two lines per CPU cache line");

/* An evicted line with its key's full hash, waiting to be merged. */
typedef struct pending_line {
    uint64_t hash;
    line l;
} pending_line;

struct combine_cache {
    line *lines;           /* 2 << log2 lines, 64-byte aligned */
    int log2;              /* of the bucket count */
    pending_line *pending; /* evicted lines not yet merged into the second level */
    size_t npending;
};

enum { PENDING_MAX = ENG_BATCH };

static size_t nlines(const combine_cache *c)
{
    return (size_t)2 << c->log2;
}

size_t combine_cache_bytes(const combine_cache *c)
{
    return sizeof(line) * nlines(c);
}

combine_cache *combine_cache_new(int64_t max_bytes)
{
    combine_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->log2 = CACHE_MAX_LOG2;
    while (c->log2 > CACHE_MIN_LOG2 && (int64_t)(sizeof(line) * nlines(c)) > max_bytes) c->log2--;
    if (posix_memalign((void **)&c->lines, 64, sizeof(line) * nlines(c))) {
        free(c);
        return NULL;
    }
    memset(c->lines, 0, sizeof(line) * nlines(c));
    if (posix_memalign((void **)&c->pending, 64, sizeof(pending_line) * PENDING_MAX)) {
        free(c->lines);
        free(c);
        return NULL;
    }
    return c;
}

void combine_cache_free(combine_cache *c)
{
    if (!c) return;
    free(c->lines);
    free(c->pending);
    free(c);
}

/* Whether the key can live inline. */
static inline bool inlinable(const kiln_value *k)
{
    switch (k->type) {
    case KILN_STR:
    case KILN_BYTES:
        return k->len <= INLINE_KEY;
    case KILN_NULL:
    case KILN_BOOL:
    case KILN_INT:
    case KILN_DOUBLE:
        return true;
    default:
        return false;
    }
}

static inline bool line_has_key(const line *l, uint64_t h, const kiln_value *k)
{
    if (!l->used || l->tag != (uint32_t)(h >> 32) || l->key_type != k->type) return false;
    switch (k->type) {
    case KILN_STR:
    case KILN_BYTES:
        return l->key_len == k->len && memcmp(l->key.bytes, k->u.s, k->len) == 0;
    case KILN_INT:
        return l->key.i == k->u.i;
    case KILN_DOUBLE: {
        kiln_value d = kiln_double(l->key.d);
        return kiln_value_eq(&d, k);
    }
    case KILN_BOOL:
        return (l->key.i != 0) == k->u.b;
    default:
        return true; /* null */
    }
}

static inline kiln_value line_key(const line *l)
{
    switch (l->key_type) {
    case KILN_STR:
        return kiln_str_ref(l->key.bytes, l->key_len);
    case KILN_BYTES:
        return kiln_bytes_ref(l->key.bytes, l->key_len);
    case KILN_INT:
        return kiln_int(l->key.i);
    case KILN_DOUBLE:
        return kiln_double(l->key.d);
    case KILN_BOOL:
        return kiln_bool(l->key.i != 0);
    default:
        return kiln_null();
    }
}

static inline kiln_value line_val(const line *l)
{
    kiln_value v = kiln_null();
    v.type = l->val_type;
    if (l->val_type == KILN_BOOL) v.u.b = l->val.i != 0;
    else if (l->val_type == KILN_DOUBLE) v.u.d = l->val.d;
    else v.u.i = l->val.i;
    return v;
}

static inline void line_set_val(line *l, const kiln_value *v)
{
    l->val_type = v->type;
    if (v->type == KILN_BOOL) l->val.i = v->u.b;
    else if (v->type == KILN_DOUBLE) l->val.d = v->u.d;
    else l->val.i = v->type == KILN_INT ? v->u.i : 0;
}

static inline void line_set_key(line *l, uint64_t h, const kiln_value *k)
{
    l->tag = (uint32_t)(h >> 32);
    l->used = 1;
    l->key_type = k->type;
    switch (k->type) {
    case KILN_STR:
    case KILN_BYTES:
        l->key_len = (uint8_t)k->len;
        memcpy(l->key.bytes, k->u.s, k->len);
        break;
    case KILN_INT:
        l->key.i = k->u.i;
        break;
    case KILN_DOUBLE:
        l->key.d = k->u.d;
        break;
    case KILN_BOOL:
        l->key.i = k->u.b;
        break;
    default:
        break;
    }
}

enum { PREFETCH_AHEAD = 12 };

/* Merges the pending evicted lines into the second level, fetching each
 * one's slot, then its entry, a few lines ahead of the merge. */
static int flush_pending(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all)
{
    size_t n = c->npending;
    pending_line *p = c->pending;
    c->npending = 0;
    for (size_t i = 0; i < n && i < 2 * PREFETCH_AHEAD; i++) agg_map_prefetch_slot(all, p[i].hash);
    for (size_t i = 0; i < n; i++) {
        if (i + 2 * PREFETCH_AHEAD < n) agg_map_prefetch_slot(all, p[i + 2 * PREFETCH_AHEAD].hash);
        if (i + PREFETCH_AHEAD < n) agg_map_prefetch_entry(all, p[i + PREFETCH_AHEAD].hash);
        kiln_value items[2] = {line_key(&p[i].l), line_val(&p[i].l)};
        kiln_value pair = kiln_tuple_ref(items, 2);
        int rc = agg_merge_combiner(t, a, all, &pair);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* Moves a line to the pending evictions (merging them when full). */
static int evict(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all, line *l)
{
    int rc = c->npending == PENDING_MAX ? flush_pending(t, a, c, all) : KILN_OK;
    kiln_value k = line_key(l);
    c->pending[c->npending++] = (pending_line){.hash = kiln_value_hash(&k), .l = *l};
    l->used = 0;
    return rc;
}

/* Calls the user's function for the new combiner of a line; the result is
 * built in the task arena given (a scalar result needs none). */
static int fold(kiln_task *t, const aggregator *a, line *l, bool fresh, const kiln_value *v,
                kiln_value *out)
{
    if (!fresh) {
        kiln_value cur = line_val(l);
        return task_user_rc(t, a->merge_value(t, &cur, v, out, a->env), "merge function");
    }
    if (a->create) return task_user_rc(t, a->create(t, v, out, a->env), "create function");
    if (a->zero)
        return task_user_rc(t, a->merge_value(t, a->zero, v, out, a->env), "merge function");
    *out = *v;
    return KILN_OK;
}

static inline line *bucket_of(combine_cache *c, uint64_t h)
{
    return &c->lines[2 * (size_t)((h * 0x9E3779B97F4A7C15ull) >> (64 - c->log2))];
}

/* Folds one pair whose key is inlinable and hashes to h. */
static int add_hashed(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all,
                      kiln_arena *scratch, const kiln_value *pair, uint64_t h)
{
    const kiln_value *k = kiln_key(pair), *v = kiln_val(pair);
    line *b = bucket_of(c, h);
    line *l;
    bool fresh = false;
    int rc;
    if (line_has_key(&b[0], h, k)) {
        l = &b[0];
    } else if (line_has_key(&b[1], h, k)) {
        /* Keep the most recently used line first. */
        line tmp = b[1];
        b[1] = b[0];
        b[0] = tmp;
        l = &b[0];
    } else {
        if (b[1].used && (rc = evict(t, a, c, all, &b[1]))) return rc;
        b[1] = b[0];
        l = &b[0];
        line_set_key(l, h, k);
        fresh = true;
    }
    kiln_value out;
    kiln_arena *saved = t->arena;
    t->arena = scratch;
    rc = fold(t, a, l, fresh, v, &out);
    t->arena = saved;
    if (rc) {
        l->used = 0;
        return rc;
    }
    if (out.type <= KILN_DOUBLE) {
        line_set_val(l, &out);
        return KILN_OK;
    }
    /* A combiner with parts lives in the second level: hand it over. */
    kiln_value items[2] = {line_key(l), out};
    kiln_value moved = kiln_tuple_ref(items, 2);
    l->used = 0;
    rc = agg_merge_combiner(t, a, all, &moved);
    kiln_arena_reset(scratch);
    return rc;
}

int combine_cache_add_batch(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all,
                            kiln_arena *scratch, const kiln_value *pairs, size_t n)
{
    /* Hash the batch first, then fold each pair while the buckets of the
     * pairs a few places ahead are being fetched: the cache is larger than
     * the CPU's L2, and this hides most of the wait for it. */
    uint64_t h[ENG_BATCH];
    for (size_t off = 0; off < n; off += ENG_BATCH) {
        size_t m = n - off < ENG_BATCH ? n - off : ENG_BATCH;
        const kiln_value *p = pairs + off;
        for (size_t i = 0; i < m; i++) {
            if (!kiln_is_pair(&p[i])) return KILN_ETYPE;
            h[i] = inlinable(kiln_key(&p[i])) ? kiln_value_hash(kiln_key(&p[i])) : 0;
        }
        for (size_t i = 0; i < m && i < PREFETCH_AHEAD; i++) __builtin_prefetch(bucket_of(c, h[i]));
        for (size_t i = 0; i < m; i++) {
            if (i + PREFETCH_AHEAD < m) __builtin_prefetch(bucket_of(c, h[i + PREFETCH_AHEAD]));
            int rc = inlinable(kiln_key(&p[i])) ? add_hashed(t, a, c, all, scratch, &p[i], h[i])
                                                : agg_combine_value(t, a, all, &p[i]);
            if (rc) return rc;
        }
        int rc = flush_pending(t, a, c, all);
        if (rc) return rc;
    }
    return KILN_OK;
}

int combine_cache_drain(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all)
{
    for (size_t i = 0; i < nlines(c); i++) {
        if (!c->lines[i].used) continue;
        int rc = evict(t, a, c, all, &c->lines[i]);
        if (rc) return rc;
    }
    return flush_pending(t, a, c, all);
}
