/*
 * python/src/py_worker_combine.c - a worker's map-side combine for a
 * pipeline that feeds reduceByKey(operator.add) (PYK_ENV_COMBINE_ADD):
 * (key, int) pairs are added up per key before they leave the worker, as
 * PySpark's workers merge values on the map side. Only exact ints whose
 * sum fits in 64 bits are combined; any other pair is sent as it is, so
 * the result is Python's (kiln adds the partial sums, calling Python past
 * 64 bits). Keys are compared by their encoding, which kiln's canonical
 * value encoding makes exact (equal encodings, equal keys).
 */
#include <string.h>
#include <xxhash.h>

#include "py_worker_combine.h"

enum { MIN_SLOTS = 1024 };

typedef struct slot {
    uint64_t hash;
    uint32_t off, len; /* the key's encoding in keys */
    int64_t sum;
    bool used;
} slot;

struct pyk_combiner {
    kiln_buf keys;
    slot *slots;
    size_t cap, n, max;
    size_t next; /* where a flush in parts goes on */
};

pyk_combiner *pyk_combiner_new(size_t max_keys)
{
    pyk_combiner *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    kiln_buf_init(&c->keys);
    c->max = max_keys;
    c->cap = MIN_SLOTS;
    while (c->cap < max_keys * 2) c->cap *= 2;
    c->slots = calloc(c->cap, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    return c;
}

void pyk_combiner_free(pyk_combiner *c)
{
    if (!c) return;
    kiln_buf_release(&c->keys);
    free(c->slots);
    free(c);
}

size_t pyk_combiner_size(const pyk_combiner *c)
{
    return c->n;
}

int pyk_combiner_add(pyk_combiner *c, const uint8_t *key, size_t len, int64_t v)
{
    uint64_t h = XXH3_64bits(key, len);
    size_t mask = c->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot *s = &c->slots[i];
        if (!s->used) {
            if (c->n >= c->max || c->next || len > UINT32_MAX) return 1;
            size_t off = c->keys.len;
            if (kiln_buf_append(&c->keys, key, len)) return -1;
            *s = (slot){
                .hash = h, .off = (uint32_t)off, .len = (uint32_t)len, .sum = v, .used = true};
            c->n++;
            return 0;
        }
        if (s->hash == h && s->len == len && memcmp(c->keys.data + s->off, key, len) == 0) {
            int64_t sum;
            if (__builtin_add_overflow(s->sum, v, &sum)) return 1;
            s->sum = sum;
            return 0;
        }
    }
}

/* Appends v as a varint. */
static int varint(kiln_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    return kiln_buf_append(b, tmp, (size_t)n);
}

int pyk_combiner_flush(pyk_combiner *c, kiln_buf *out, uint32_t *count, uint32_t limit)
{
    for (size_t i = c->next; i < c->cap && c->n && *count < limit; i++, c->next = i) {
        slot *s = &c->slots[i];
        if (!s->used) continue;
        uint8_t pair[2] = {KILN_TUPLE, 2}, tag = KILN_INT;
        if (kiln_buf_append(out, pair, 2) || kiln_buf_append(out, c->keys.data + s->off, s->len) ||
            kiln_buf_append(out, &tag, 1) ||
            varint(out, ((uint64_t)s->sum << 1) ^ (uint64_t)(s->sum >> 63)))
            return -1;
        s->used = false;
        c->n--;
        (*count)++;
    }
    if (c->n == 0) {
        c->keys.len = 0;
        c->next = 0;
    }
    return 0;
}
