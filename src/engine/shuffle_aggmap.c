/*
 * engine/shuffle_aggmap.c - the hash map behind every by-key aggregation.
 *
 * Layout, chosen for cache misses (a word count over a large vocabulary is
 * bound by them): each entry is allocated in the map's arena with its key's
 * bytes right behind it, so a hit touches the slot and one entry; a slot
 * packs a 16-bit tag of the hash with the entry's 48-bit address, so probes
 * past other keys rarely touch their entries. Open addressing, linear
 * probing, at most 3/4 full. Entries also sit in an insertion-order array,
 * so output order depends only on input order.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/shuffle_int.h"

#define PTR_BITS 48
#define PTR_MASK ((1ull << PTR_BITS) - 1)

struct agg_map {
    uint64_t *slots; /* tag << 48 | entry address; 0 = empty */
    size_t mask;     /* slots - 1 (power of two) */
    int shift;       /* 64 - log2(slots) */
    agg_entry **order;
    size_t n, cap;
    kiln_arena *arena;
};

enum { INITIAL_SLOTS_LOG2 = 10 };

/* Not calloc (zeroed_alloc: the zero page's copy on first insert flushes
 * every core's TLB). */
static uint64_t *zeroed_slots(size_t n)
{
    return zeroed_alloc(n * sizeof(uint64_t));
}

agg_map *agg_map_new(void)
{
    agg_map *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->mask = (1u << INITIAL_SLOTS_LOG2) - 1;
    m->shift = 64 - INITIAL_SLOTS_LOG2;
    m->slots = zeroed_slots(m->mask + 1);
    m->arena = kiln_arena_new();
    if (!m->slots || !m->arena) {
        agg_map_free(m);
        return NULL;
    }
    return m;
}

void agg_map_free(agg_map *m)
{
    if (!m) return;
    free(m->slots);
    free(m->order);
    kiln_arena_free(m->arena);
    free(m);
}

/* Empties the map but keeps its memory (slots, order, arena blocks): a map
 * that spilled fills up again to the same size, and taking that memory from
 * the system anew costs page faults each time. */
void agg_map_clear(agg_map *m)
{
    m->n = 0;
    arena_rewind(m->arena);
    memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
}

kiln_arena *agg_map_arena(agg_map *m)
{
    return m->arena;
}

size_t agg_map_bytes(const agg_map *m)
{
    return kiln_arena_bytes(m->arena) + (m->mask + 1) * sizeof *m->slots +
           m->cap * sizeof *m->order;
}

/* What the entries use, kept memory not counted: the measure to spill by. */
size_t agg_map_used_bytes(const agg_map *m)
{
    size_t slots = m->n * 4 / 3 + 1; /* the table a map of n entries needs */
    return arena_used_bytes(m->arena) + slots * sizeof *m->slots + m->n * sizeof *m->order;
}
size_t agg_map_size(const agg_map *m)
{
    return m->n;
}
agg_entry *agg_map_at(agg_map *m, size_t i)
{
    return m->order[i];
}

/* Partitioning uses hash % n, so the low bits of one reduce partition's keys
 * are correlated: slot by the high bits of a multiplicative mix. */
static inline size_t slot_of(const agg_map *m, uint64_t h)
{
    return (size_t)((h * 0x9E3779B97F4A7C15ull) >> m->shift);
}

static inline uint64_t pack(uint64_t h, const agg_entry *e)
{
    return (h & ~PTR_MASK) | (uint64_t)(uintptr_t)e;
}

static inline agg_entry *unpack(uint64_t slot)
{
    return (agg_entry *)(uintptr_t)(slot & PTR_MASK);
}

static int grow(agg_map *m)
{
    size_t nslots = (m->mask + 1) * 2;
    uint64_t *s = zeroed_slots(nslots);
    if (!s) return KILN_ENOMEM;
    free(m->slots);
    m->slots = s;
    m->mask = nslots - 1;
    m->shift--;
    for (size_t i = 0; i < m->n; i++) {
        agg_entry *e = m->order[i];
        size_t j = slot_of(m, e->hash);
        while (m->slots[j]) j = (j + 1) & m->mask;
        m->slots[j] = pack(e->hash, e);
    }
    return KILN_OK;
}

void agg_map_prefetch_slot(const agg_map *m, uint64_t h)
{
    __builtin_prefetch(&m->slots[slot_of(m, h)]);
}

void agg_map_prefetch_entry(const agg_map *m, uint64_t h)
{
    uint64_t sl = m->slots[slot_of(m, h)];
    if (sl && (sl & ~PTR_MASK) == (h & ~PTR_MASK)) __builtin_prefetch(unpack(sl));
}

agg_entry *agg_map_upsert(agg_map *m, const kiln_value *key, uint64_t h, bool *created)
{
    size_t j = slot_of(m, h);
    uint64_t tag = h & ~PTR_MASK;
    for (;;) {
        uint64_t sl = m->slots[j];
        if (!sl) break;
        if ((sl & ~PTR_MASK) == tag) {
            agg_entry *e = unpack(sl);
            if (e->hash == h && kiln_value_eq(&e->key, key)) {
                *created = false;
                return e;
            }
        }
        j = (j + 1) & m->mask;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        agg_entry **o = realloc(m->order, cap * sizeof *o);
        if (!o) return NULL;
        m->order = o;
        m->cap = cap;
    }
    /* The key's parts are copied right behind the entry (same arena). */
    agg_entry *e = kiln_arena_alloc(m->arena, sizeof *e);
    if (!e || ((uintptr_t)e & ~PTR_MASK)) return NULL;
    if (kiln_value_copy(m->arena, key, &e->key)) return NULL;
    e->hash = h;
    e->val = kiln_null();
    e->aux = NULL;
    m->order[m->n++] = e;
    m->slots[j] = pack(h, e);
    *created = true;
    if (m->n * 4 > (m->mask + 1) * 3 && grow(m)) return NULL;
    return e;
}

/* Values with parts are copied into the map so they outlive the batch they
 * came from. */
static int keep(agg_map *m, kiln_value *v)
{
    if (v->type <= KILN_DOUBLE) return KILN_OK;
    return kiln_value_copy(m->arena, v, v);
}

int agg_combine_value(kiln_task *t, const aggregator *a, agg_map *m, const kiln_value *v)
{
    bool created;
    agg_entry *e = agg_map_upsert(m, kiln_key(v), kiln_value_hash(kiln_key(v)), &created);
    if (!e) return task_error(t, KILN_ENOMEM, "out of memory in aggregation");
    kiln_arena *saved = t->arena;
    t->arena = m->arena;
    kiln_value out;
    int rc;
    if (!created) {
        rc = task_user_rc(t, a->merge_value(t, &e->val, kiln_val(v), &out, a->env),
                          "merge function");
    } else if (a->create) {
        rc = task_user_rc(t, a->create(t, kiln_val(v), &out, a->env), "create function");
    } else if (a->zero) {
        rc = task_user_rc(t, a->merge_value(t, a->zero, kiln_val(v), &out, a->env),
                          "merge function");
    } else {
        out = *kiln_val(v);
        rc = KILN_OK;
    }
    t->arena = saved;
    if (rc == KILN_OK && keep(m, &out)) rc = task_error(t, KILN_ENOMEM, "out of memory");
    if (rc == KILN_OK) e->val = out;
    return rc;
}

int agg_merge_combiner(kiln_task *t, const aggregator *a, agg_map *m, const kiln_value *kc)
{
    bool created;
    agg_entry *e = agg_map_upsert(m, kiln_key(kc), kiln_value_hash(kiln_key(kc)), &created);
    if (!e) return task_error(t, KILN_ENOMEM, "out of memory in aggregation");
    kiln_value out = *kiln_val(kc);
    int rc = KILN_OK;
    if (!created) {
        kiln_arena *saved = t->arena;
        t->arena = m->arena;
        rc = task_user_rc(t, a->merge_comb(t, &e->val, kiln_val(kc), &out, a->env),
                          "merge-combiners function");
        t->arena = saved;
    }
    if (rc == KILN_OK && keep(m, &out)) rc = task_error(t, KILN_ENOMEM, "out of memory");
    if (rc == KILN_OK) e->val = out;
    return rc;
}
