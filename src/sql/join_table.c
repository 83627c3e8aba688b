/*
 * sql/join_table.c - the hash join table (join_table.h): column stores for
 * the build side, bucket heads and next links over build rows (chains in
 * insertion order), and the lockstep probe.
 */
#include "sql/join_table.h"

#include <stdlib.h>

#include "kiln.h"
#include "sql/ops_int.h"
#include "sql/vec_hash.h"

/* A build row in the hash table: its hash and the next row of its chain,
 * side by side so that walking a chain costs one cache line per row. */
typedef struct jentry {
    uint64_t hash;
    uint32_t next;
    uint32_t pad;
} jentry;

struct join_table {
    int nkeys, npay;
    join_type type;
    bool null_aware;
    bool *null_safe;
    ops_store *keys, *pay;
    uint64_t *hashes; /* per build row */
    size_t nrows, hcap;
    uint32_t *heads;
    jentry *ent; /* per build row, after finish */
    size_t cap;
    uint8_t *bmatched; /* right/full: per build row */
    bool build_has_null;
    join_filter_fn filter;
    void *filter_arg;
    kiln_arena *arena;
};

join_table *join_table_new(const col_type *const *key_types, int nkeys, const bool *null_safe,
                           const col_type *const *pay_types, int npay, join_type type,
                           bool null_aware)
{
    join_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->nkeys = nkeys;
    t->npay = npay;
    t->type = type;
    t->null_aware = null_aware && type == JOIN_ANTI;
    t->arena = kiln_arena_new();
    t->keys = calloc((size_t)nkeys + 1, sizeof *t->keys);
    t->pay = calloc((size_t)npay + 1, sizeof *t->pay);
    t->null_safe = calloc((size_t)nkeys + 1, sizeof(bool));
    if (!t->arena || !t->keys || !t->pay || !t->null_safe) {
        join_table_free(t);
        return NULL;
    }
    /* The types are the table's own: a broadcast join's table outlives the
     * plan of the task that built it. */
    for (int k = 0; k < nkeys; k++) {
        const col_type *kt = col_type_copy(t->arena, key_types[k]);
        if (!kt) {
            join_table_free(t);
            return NULL;
        }
        ops_store_init(&t->keys[k], kt);
        t->null_safe[k] = null_safe && null_safe[k];
    }
    for (int c = 0; c < npay; c++) {
        const col_type *pt = col_type_copy(t->arena, pay_types[c]);
        if (!pt) {
            join_table_free(t);
            return NULL;
        }
        ops_store_init(&t->pay[c], pt);
    }
    return t;
}

void join_table_free(join_table *t)
{
    if (!t) return;
    for (int k = 0; t->keys && k < t->nkeys; k++) ops_store_release(&t->keys[k]);
    for (int c = 0; t->pay && c < t->npay; c++) ops_store_release(&t->pay[c]);
    free(t->keys);
    free(t->pay);
    free(t->null_safe);
    free(t->hashes);
    free(t->heads);
    free(t->ent);
    free(t->bmatched);
    kiln_arena_free(t->arena);
    free(t);
}

void join_table_set_filter(join_table *t, join_filter_fn fn, void *arg)
{
    t->filter = fn;
    t->filter_arg = arg;
}

size_t join_table_rows(const join_table *t)
{
    return t->nrows;
}

size_t join_table_bytes(const join_table *t)
{
    size_t b = t->hcap * 8 + t->cap * 4 + (t->ent ? t->nrows * sizeof(jentry) : 0) +
               kiln_arena_bytes(t->arena);
    for (int k = 0; k < t->nkeys; k++) b += ops_store_bytes(&t->keys[k]);
    for (int c = 0; c < t->npay; c++) b += ops_store_bytes(&t->pay[c]);
    return b;
}

int join_table_add_batch(join_table *t, const col_vec *keys, const col_vec *pay,
                         const uint32_t *sel, uint32_t count)
{
    int rc;
    if (t->nrows + count > t->hcap) {
        size_t nc = t->hcap ? t->hcap : 1024;
        while (nc < t->nrows + count) nc *= 2;
        uint64_t *h = realloc(t->hashes, nc * 8);
        if (!h) return KILN_ENOMEM;
        t->hashes = h;
        t->hcap = nc;
    }
    for (uint32_t off = 0; off < count; off += COL_VEC_SIZE) {
        uint32_t n = count - off < COL_VEC_SIZE ? count - off : COL_VEC_SIZE;
        uint32_t rows[COL_VEC_SIZE];
        for (uint32_t k = 0; k < n; k++) rows[k] = sel ? sel[off + k] : off + k;
        vec_hash_keys(keys, t->nkeys, rows, n, t->hashes + t->nrows + off);
        for (int k = 0; k < t->nkeys; k++)
            if ((rc = ops_store_append(&t->keys[k], t->arena, &keys[k], rows, n, true))) return rc;
        for (int c = 0; c < t->npay; c++)
            if ((rc = ops_store_append(&t->pay[c], t->arena, &pay[c], rows, n, false))) return rc;
    }
    t->nrows += count;
    return KILN_OK;
}

/* A row some non-null-safe key of which is null: never matches. */
static bool build_row_null(const join_table *t, size_t r)
{
    for (int k = 0; k < t->nkeys; k++)
        if (!t->null_safe[k] && !ops_store_valid(&t->keys[k], r)) return true;
    return false;
}

int join_table_finish(join_table *t)
{
    size_t cap = 1024;
    while (cap < 2 * t->nrows) cap *= 2;
    t->cap = cap;
    t->heads = malloc(cap * 4);
    t->ent = malloc((t->nrows ? t->nrows : 1) * sizeof *t->ent);
    if (!t->heads || !t->ent) return KILN_ENOMEM;
    memset(t->heads, 0xff, cap * 4);
    if (t->type == JOIN_RIGHT || t->type == JOIN_FULL) {
        t->bmatched = calloc(t->nrows ? t->nrows : 1, 1);
        if (!t->bmatched) return KILN_ENOMEM;
    }
    bool any_null = false;
    for (int k = 0; k < t->nkeys; k++) any_null |= t->keys[k].valid != NULL;
    /* Rows in reverse, so each chain lists its rows in order; the bucket
     * a few rows ahead is fetched early (heads of a big table miss the
     * cache on every row otherwise). */
    enum { AHEAD = 16 };
    for (size_t r = t->nrows; r-- > 0;) {
        if (r >= AHEAD) __builtin_prefetch(&t->heads[t->hashes[r - AHEAD] & (cap - 1)], 1);
        t->ent[r].hash = t->hashes[r];
        t->ent[r].pad = 0;
        if (any_null && build_row_null(t, r)) {
            t->build_has_null = true;
            t->ent[r].next = JOIN_NO_ROW;
            continue;
        }
        size_t b = t->hashes[r] & (cap - 1);
        t->ent[r].next = t->heads[b];
        t->heads[b] = (uint32_t)r;
    }
    free(t->hashes);
    t->hashes = NULL;
    t->hcap = 0;
    return KILN_OK;
}

void join_probe_start(join_probe *p, join_table *t, const col_vec *keys, const uint32_t *sel,
                      uint32_t count)
{
    p->t = t;
    p->filter = t->filter;
    p->filter_arg = t->filter_arg;
    p->keys = keys;
    p->count = count;
    p->done = false;
    p->tail = 0;
    for (uint32_t k = 0; k < count; k++) p->rows[k] = sel ? sel[k] : k;
    vec_hash_keys(keys, t->nkeys, p->rows, count, p->h);
    p->nactive = 0;
    /* Two passes with prefetches: the bucket heads, then the first entries. */
    size_t mask = t->cap - 1;
    if (t->nrows)
        for (uint32_t k = 0; k < count; k++) __builtin_prefetch(&t->heads[p->h[k] & mask]);
    for (uint32_t k = 0; k < count; k++) {
        p->matched[k] = 0;
        bool nul = false;
        for (int c = 0; c < t->nkeys; c++)
            if (!t->null_safe[c] && !col_valid(&keys[c], p->rows[k])) nul = true;
        if (nul) {
            p->matched[k] = 2; /* a null key: never matches (NOT IN: never survives) */
            continue;
        }
        p->cur[k] = t->nrows ? t->heads[p->h[k] & mask] : JOIN_NO_ROW;
        p->active[p->nactive++] = k;
    }
    for (uint32_t q = 0; q < p->nactive; q++)
        if (p->cur[p->active[q]] != JOIN_NO_ROW) __builtin_prefetch(&t->ent[p->cur[p->active[q]]]);
}

/* The tail of a batch: left/full rows without a match, anti rows. */
static uint32_t emit_tail(join_probe *p, uint32_t *probe_rows, uint32_t *build_rows, uint32_t max)
{
    join_table *t = p->t;
    uint32_t n = 0;
    if (t->type == JOIN_ANTI && t->null_aware && t->build_has_null) {
        p->tail = p->count;
        return 0;
    }
    bool empty_build = t->nrows == 0;
    while (p->tail < p->count && n < max) {
        uint32_t k = p->tail++;
        bool emit = false;
        if (t->type == JOIN_LEFT || t->type == JOIN_FULL) emit = p->matched[k] != 1;
        else if (t->type == JOIN_ANTI)
            emit = p->matched[k] == 0 || (p->matched[k] == 2 && (!t->null_aware || empty_build));
        if (!emit) continue;
        probe_rows[n] = p->rows[k];
        if (build_rows) build_rows[n] = JOIN_NO_ROW;
        n++;
    }
    return n;
}

int join_probe_next(join_probe *p, uint32_t *probe_rows, uint32_t *build_rows, uint32_t max,
                    uint32_t *nout)
{
    join_table *t = p->t;
    uint32_t n = 0;
    uint32_t cand[COL_VEC_SIZE], cb[COL_VEC_SIZE], crow[COL_VEC_SIZE], keep[COL_VEC_SIZE];
    uint8_t match[COL_VEC_SIZE];
    bool one = t->type == JOIN_SEMI || t->type == JOIN_ANTI;
    if (max > COL_VEC_SIZE) max = COL_VEC_SIZE;
    while (p->nactive && n < max) {
        uint32_t room = max - n, nc = 0, na = 0;
        for (uint32_t q = 0; q < p->nactive; q++) {
            uint32_t k = p->active[q];
            uint32_t r = p->cur[k];
            if (nc < room) {
                while (r != JOIN_NO_ROW && t->ent[r].hash != p->h[k]) r = t->ent[r].next;
                p->cur[k] = r;
                if (r == JOIN_NO_ROW) continue; /* chain done */
                cand[nc] = k;
                crow[nc] = p->rows[k];
                cb[nc++] = r;
            }
            p->active[na++] = k;
        }
        p->nactive = na;
        if (!nc) break;
        memset(match, 1, nc);
        for (int c = 0; c < t->nkeys; c++)
            ops_store_match(&t->keys[c], &p->keys[c], crow, cb, nc, match, t->null_safe[c]);
        uint32_t nm = 0;
        for (uint32_t q = 0; q < nc; q++) {
            uint32_t k = cand[q];
            p->cur[k] = t->ent[cb[q]].next;
            if (match[q]) {
                cand[nm] = k;
                crow[nm] = crow[q];
                cb[nm++] = cb[q];
            }
        }
        uint32_t nk = nm;
        if (p->filter && nm) {
            int rc = p->filter(p->filter_arg, crow, cb, nm, keep, &nk);
            if (rc) return rc;
        } else {
            for (uint32_t q = 0; q < nm; q++) keep[q] = q;
        }
        for (uint32_t q = 0; q < nk; q++) {
            uint32_t x = keep[q], k = cand[x];
            if (one) {
                if (t->type == JOIN_SEMI && !p->matched[k]) {
                    probe_rows[n] = crow[x];
                    if (build_rows) build_rows[n] = cb[x];
                    n++;
                }
                p->matched[k] = 1;
                p->cur[k] = JOIN_NO_ROW;
                continue;
            }
            p->matched[k] = 1;
            if (t->bmatched) t->bmatched[cb[x]] = 1;
            probe_rows[n] = crow[x];
            build_rows[n] = cb[x];
            n++;
        }
        /* Drop finished chains. */
        na = 0;
        for (uint32_t q = 0; q < p->nactive; q++)
            if (p->cur[p->active[q]] != JOIN_NO_ROW) p->active[na++] = p->active[q];
        p->nactive = na;
    }
    if (!p->nactive && n < max)
        n += emit_tail(p, probe_rows + n, build_rows ? build_rows + n : NULL, max - n);
    *nout = n;
    return KILN_OK;
}

uint32_t join_table_unmatched(join_table *t, size_t *cursor, uint32_t *rows, uint32_t max)
{
    uint32_t n = 0;
    while (*cursor < t->nrows && n < max) {
        size_t r = (*cursor)++;
        if (!t->bmatched || !t->bmatched[r]) rows[n++] = (uint32_t)r;
    }
    return n;
}

int join_table_gather(const join_table *t, int col, const uint32_t *rows, uint32_t n, kiln_arena *a,
                      col_vec *out)
{
    const ops_store *s = col >= 0 ? &t->pay[col] : &t->keys[-1 - col];
    return ops_store_gather(s, a, rows, 0, n, out);
}
