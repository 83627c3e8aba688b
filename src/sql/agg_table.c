/*
 * sql/agg_table.c - the hash aggregation table (agg_table.h): linear
 * probing over 8-byte entries (16-bit salt, 48-bit group index + 1), keys
 * in column stores, states in fixed-size group rows, DISTINCT aggregates
 * through a second table keyed by (group, value).
 */
#include "sql/agg_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/base.h"
#include "kiln.h"
#include "sql/ops_int.h"
#include "sql/vec_hash.h"

#define GID_MASK ((UINT64_C(1) << 48) - 1)
#define SPILL_PARTS 16
#define SPILL_SHIFT 40 /* partition = hash bits 40..43 at level 0 (buckets use the low bits) */
#define SPILL_LEVELS 5 /* a partition read back spills again by the next 4 bits, up to here */

struct agg_table {
    int nkeys, naggs;
    agg_mode mode;
    ops_store *keys;
    agg_bound *aggs;
    size_t *offsets; /* of each aggregate's state in the group row */
    size_t row_size;
    uint8_t *rows; /* ngroups * row_size, malloc'ed */
    size_t rows_cap;
    uint64_t *hashes; /* per group */
    size_t ngroups;
    uint64_t *ht; /* cap entries */
    size_t cap;
    kiln_arena *arena;
    agg_ctx ctx;
    agg_table **distinct; /* per aggregate: a (group, args) table, or NULL */
    int nout;
    const col_type **out_types;
    /* Spilling */
    size_t spill_limit; /* 0: never */
    char *spill_dir;
    FILE *parts[SPILL_PARTS];
    size_t spilled, spilled_mem;
    size_t sub_spilled, sub_spilled_mem; /* by partitions' tables already freed */
    int level;                           /* of partitioning: 0 for the operator's table */
    bool draining;                       /* agg_table_result is reading the partitions back */
    int part;                            /* the partition being re-aggregated */
    agg_table *sub;                      /* its table */
    size_t sub_cursor;                   /* in sub */
};

static int grow_rows(agg_table *t, size_t n)
{
    if (n <= t->rows_cap) return KILN_OK;
    size_t nc = t->rows_cap ? t->rows_cap : 1024;
    while (nc < n) nc *= 2;
    uint8_t *r = realloc(t->rows, nc * (t->row_size ? t->row_size : 1));
    uint64_t *h = realloc(t->hashes, nc * 8);
    if (r) t->rows = r;
    if (h) t->hashes = h;
    if (!r || !h) return KILN_ENOMEM;
    t->rows_cap = nc;
    return KILN_OK;
}

static int rehash(agg_table *t, size_t cap)
{
    /* Not calloc (zeroed_alloc): 8 % of H2O's q10 (10M groups) went to
     * the TLB flushes of the zero page's copies. */
    uint64_t *ht = zeroed_alloc(cap * 8);
    if (!ht) return KILN_ENOMEM;
    size_t mask = cap - 1;
    for (size_t g = 0; g < t->ngroups; g++) {
        uint64_t h = t->hashes[g];
        size_t p = h & mask;
        while (ht[p]) p = (p + 1) & mask;
        ht[p] = (h & ~GID_MASK) | (g + 1);
    }
    free(t->ht);
    t->ht = ht;
    t->cap = cap;
    return KILN_OK;
}

agg_table *agg_table_new(const col_type *const *key_types, int nkeys, const agg_bound *aggs,
                         int naggs, agg_mode mode, bool ansi)
{
    agg_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->nkeys = nkeys;
    t->naggs = naggs;
    t->mode = mode;
    t->arena = kiln_arena_new();
    t->keys = calloc((size_t)nkeys + 1, sizeof *t->keys);
    t->aggs = calloc((size_t)naggs + 1, sizeof *t->aggs);
    t->offsets = calloc((size_t)naggs + 1, sizeof *t->offsets);
    t->distinct = calloc((size_t)naggs + 1, sizeof *t->distinct);
    if (!t->arena || !t->keys || !t->aggs || !t->offsets || !t->distinct) goto fail;
    for (int c = 0; c < nkeys; c++) {
        ops_store_init(&t->keys[c], key_types[c]);
        if (key_types[c]->kind == COL_NULL) /* stored as a (null) byte */
            t->keys[c].width = 1;
    }
    t->nout = nkeys;
    for (int j = 0; j < naggs; j++) {
        t->aggs[j] = aggs[j];
        t->offsets[j] = t->row_size;
        t->row_size += aggs[j].state_size;
        t->nout += mode == AGG_PARTIAL ? aggs[j].nstate : 1;
        if (aggs[j].distinct) {
            const col_type *dt[AGG_MAX_ARGS + 1] = {&col_type_i64};
            for (int a = 0; a < aggs[j].nargs; a++) dt[a + 1] = aggs[j].args[a];
            t->distinct[j] = agg_table_new(dt, aggs[j].nargs + 1, NULL, 0, AGG_COMPLETE, ansi);
            if (!t->distinct[j]) goto fail;
        }
    }
    t->out_types = calloc((size_t)t->nout + 1, sizeof(col_type *));
    if (!t->out_types) goto fail;
    int o = 0;
    for (int c = 0; c < nkeys; c++) t->out_types[o++] = key_types[c];
    for (int j = 0; j < naggs; j++) {
        if (mode == AGG_PARTIAL)
            for (int s = 0; s < aggs[j].nstate; s++) t->out_types[o++] = aggs[j].state_types[s];
        else t->out_types[o++] = aggs[j].result;
    }
    t->ctx.arena = t->arena;
    t->ctx.ansi = ansi;
    if (rehash(t, 1024)) goto fail;
    if (nkeys == 0) { /* the single group of a global aggregate */
        if (grow_rows(t, 1)) goto fail;
        memset(t->rows, 0, t->row_size);
        t->ngroups = 1;
    }
    return t;
fail:
    agg_table_free(t);
    return NULL;
}

void agg_table_free(agg_table *t)
{
    if (!t) return;
    for (int c = 0; t->keys && c < t->nkeys; c++) ops_store_release(&t->keys[c]);
    for (int j = 0; t->distinct && j < t->naggs; j++) agg_table_free(t->distinct[j]);
    free(t->keys);
    free(t->aggs);
    free(t->offsets);
    free(t->distinct);
    free(t->rows);
    free(t->hashes);
    free(t->ht);
    free(t->out_types);
    for (int p = 0; p < SPILL_PARTS; p++)
        if (t->parts[p]) fclose(t->parts[p]);
    free(t->spill_dir);
    agg_table_free(t->sub);
    kiln_arena_free(t->arena);
    free(t);
}

void agg_table_reset(agg_table *t)
{
    for (int c = 0; c < t->nkeys; c++) t->keys[c].n = 0;
    for (int j = 0; j < t->naggs; j++)
        if (t->distinct[j]) agg_table_reset(t->distinct[j]);
    memset(t->ht, 0, t->cap * 8);
    kiln_arena_reset(t->arena);
    t->ngroups = 0;
    if (t->nkeys == 0) {
        memset(t->rows, 0, t->row_size);
        t->ngroups = 1;
    }
}

size_t agg_table_groups(const agg_table *t)
{
    return t->ngroups;
}

size_t agg_table_bytes(const agg_table *t)
{
    size_t b = t->cap * 8 + t->rows_cap * (t->row_size + 8) + kiln_arena_bytes(t->arena);
    for (int c = 0; c < t->nkeys; c++) b += ops_store_bytes(&t->keys[c]);
    for (int j = 0; j < t->naggs; j++)
        if (t->distinct[j]) b += agg_table_bytes(t->distinct[j]);
    if (t->sub) b += agg_table_bytes(t->sub);
    return b;
}

int agg_table_output_types(const agg_table *t, const col_type *const **types)
{
    *types = t->out_types;
    return t->nout;
}

/* Appends the keys of new groups: rows sel2[0..n) of the key vectors. */
static int append_keys(agg_table *t, const col_vec *keys, const uint32_t *rows, uint32_t n)
{
    for (int c = 0; c < t->nkeys; c++) {
        ops_store *s = &t->keys[c];
        if (keys[c].type->kind == COL_NULL) {
            int rc = ops_store_reserve(s, s->n + n);
            if (rc) return rc;
            if (!s->valid) {
                s->valid = calloc(s->cap ? s->cap : 1, 1);
                if (!s->valid) return KILN_ENOMEM;
            }
            memset(s->data + s->n, 0, n);
            memset(s->valid + s->n, 0, n);
            s->n += n;
            continue;
        }
        int rc = ops_store_append(s, t->arena, &keys[c], rows, n, true);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* Asks for the first slot of each of the n hashes ahead of the probes: a
 * table of many groups misses the cache on nearly every probe otherwise.
 * Small tables (in cache anyway) skip it. */
static void prefetch_slots(const uint64_t *ht, const uint64_t *h, uint32_t n, size_t mask)
{
    if (mask < (1u << 16)) return;
    for (uint32_t k = 0; k < n; k++) __builtin_prefetch(&ht[h[k] & mask]);
}

/* One int64 key without nulls: probe and compare row by row in one tight
 * loop (the key store is read directly; no candidate lists). */
static int find_chunk_i64(agg_table *t, const col_vec *key, const uint32_t *sel, uint32_t n,
                          uint32_t *gids, uint8_t *isnew)
{
    uint64_t h[COL_VEC_SIZE];
    int64_t kv[COL_VEC_SIZE];
    const int64_t *src = key->data;
    for (uint32_t k = 0; k < n; k++) kv[k] = src[sel ? sel[k] : k];
    col_vec flat = *key;
    flat.data = kv;
    vec_hash(&flat, NULL, n, h);
    ops_store *st = &t->keys[0];
    size_t mask = t->cap - 1;
    uint64_t *ht = t->ht;
    prefetch_slots(ht, h, n, mask);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t salt = h[k] & ~GID_MASK;
        size_t p = h[k] & mask;
        const int64_t *kd = (const int64_t *)st->data;
        for (;;) {
            uint64_t e = ht[p];
            if (!e) {
                size_t g = t->ngroups++;
                ht[p] = salt | (g + 1);
                t->hashes[g] = h[k];
                memset(t->rows + g * t->row_size, 0, t->row_size);
                ((int64_t *)st->data)[st->n] = kv[k];
                if (st->valid) st->valid[st->n] = 1;
                st->n++;
                gids[k] = (uint32_t)g;
                if (isnew) isnew[k] = 1;
                break;
            }
            if ((e & ~GID_MASK) == salt) {
                uint32_t g = (uint32_t)((e & GID_MASK) - 1);
                if (kd[g] == kv[k] && (!st->valid || st->valid[g])) {
                    gids[k] = g;
                    if (isnew) isnew[k] = 0;
                    break;
                }
            }
            p = (p + 1) & mask;
        }
    }
    return KILN_OK;
}

static int find_chunk(agg_table *t, const col_vec *keys, const uint32_t *sel, uint32_t n,
                      uint32_t *gids, uint8_t *isnew)
{
    uint64_t h[COL_VEC_SIZE];
    uint32_t rows[COL_VEC_SIZE], todo[COL_VEC_SIZE], cand[COL_VEC_SIZE], cgid[COL_VEC_SIZE];
    uint32_t newrows[COL_VEC_SIZE], srows[COL_VEC_SIZE];
    size_t pos[COL_VEC_SIZE];
    uint8_t match[COL_VEC_SIZE];
    int rc;
    if (2 * (t->ngroups + n) > t->cap) {
        size_t cap = t->cap;
        while (2 * (t->ngroups + n) > cap) cap *= 2;
        if ((rc = rehash(t, cap))) return rc;
    }
    if ((rc = grow_rows(t, t->ngroups + n))) return rc;
    if (t->nkeys == 1 && t->keys[0].phys == OPS_P_I64 && !keys[0].validity && !keys[0].constant) {
        if ((rc = ops_store_reserve(&t->keys[0], t->keys[0].n + n))) return rc;
        return find_chunk_i64(t, &keys[0], sel, n, gids, isnew);
    }
    for (uint32_t k = 0; k < n; k++) rows[k] = sel ? sel[k] : k;
    vec_hash_keys(keys, t->nkeys, rows, n, h);
    size_t mask = t->cap - 1;
    uint32_t ntodo = n;
    prefetch_slots(t->ht, h, n, mask);
    for (uint32_t k = 0; k < n; k++) {
        todo[k] = k;
        pos[k] = h[k] & mask;
        if (isnew) isnew[k] = 0;
    }
    uint64_t *ht = t->ht;
    while (ntodo) {
        uint32_t ncand = 0, nnew = 0;
        for (uint32_t q = 0; q < ntodo; q++) {
            uint32_t k = todo[q];
            uint64_t salt = h[k] & ~GID_MASK;
            size_t p = pos[k];
            for (;;) {
                uint64_t e = ht[p];
                if (!e) {
                    size_t g = t->ngroups++;
                    ht[p] = salt | (g + 1);
                    t->hashes[g] = h[k];
                    gids[k] = (uint32_t)g;
                    newrows[nnew++] = rows[k];
                    if (isnew) isnew[k] = 1;
                    break;
                }
                if ((e & ~GID_MASK) == salt) {
                    cand[ncand] = k;
                    cgid[ncand++] = (uint32_t)((e & GID_MASK) - 1);
                    break;
                }
                p = (p + 1) & mask;
            }
            pos[k] = p;
        }
        if (nnew) {
            size_t first = t->ngroups - nnew;
            memset(t->rows + first * t->row_size, 0, nnew * t->row_size);
            if ((rc = append_keys(t, keys, newrows, nnew))) return rc;
        }
        if (!ncand) break;
        for (uint32_t q = 0; q < ncand; q++) {
            match[q] = 1;
            srows[q] = rows[cand[q]];
        }
        for (int c = 0; c < t->nkeys; c++) {
            if (keys[c].type->kind == COL_NULL) continue; /* null = null */
            ops_store_match(&t->keys[c], &keys[c], srows, cgid, ncand, match, true);
        }
        ntodo = 0;
        for (uint32_t q = 0; q < ncand; q++) {
            uint32_t k = cand[q];
            if (match[q]) {
                gids[k] = cgid[q];
            } else {
                pos[k] = (pos[k] + 1) & mask;
                todo[ntodo++] = k;
            }
        }
    }
    return KILN_OK;
}

int agg_table_find_groups(agg_table *t, const col_vec *keys, const uint32_t *sel, uint32_t count,
                          uint32_t *gids, uint8_t *isnew)
{
    for (uint32_t off = 0; off < count; off += COL_VEC_SIZE) {
        uint32_t n = count - off < COL_VEC_SIZE ? count - off : COL_VEC_SIZE;
        uint32_t idx[COL_VEC_SIZE];
        const uint32_t *s = sel ? sel + off : NULL;
        if (!sel && off) {
            for (uint32_t k = 0; k < n; k++) idx[k] = off + k;
            s = idx;
        }
        int rc = find_chunk(t, keys, s, n, gids + off, isnew ? isnew + off : NULL);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* Runs aggregate j's update (or merge) over rows sel[0..n) with groups gids
 * (NULL: the global group), filtering DISTINCT aggregates' rows first. */
static int run_agg(agg_table *t, int j, const col_vec *args, const uint32_t *sel,
                   const uint32_t *gids, uint32_t n, bool merge)
{
    agg_bound *b = &t->aggs[j];
    uint8_t *states = t->rows + t->offsets[j];
    if (merge) return b->merge(&t->ctx, b, states, t->row_size, gids, args, sel, n);
    if (!t->distinct[j]) return b->update(&t->ctx, b, states, t->row_size, gids, args, sel, n);
    /* DISTINCT: keys (group, args...); only rows that made a new key count. */
    col_vec dk[AGG_MAX_ARGS + 1];
    int64_t g64[COL_VEC_SIZE];
    uint32_t dg[COL_VEC_SIZE], fsel[COL_VEC_SIZE], fg[COL_VEC_SIZE];
    uint8_t isnew[COL_VEC_SIZE];
    for (uint32_t off = 0; off < n; off += COL_VEC_SIZE) {
        uint32_t m = n - off < COL_VEC_SIZE ? n - off : COL_VEC_SIZE;
        uint32_t rows[COL_VEC_SIZE];
        for (uint32_t k = 0; k < m; k++) rows[k] = sel ? sel[off + k] : off + k;
        /* Gather the group ids into a vector indexed like the args' rows:
         * use positions 0..m and remap the args through a gather-free
         * trick: the distinct table sees rows[k] of args and k of g64. */
        memset(&dk[0], 0, sizeof dk[0]);
        dk[0].type = &col_type_i64;
        uint32_t maxr = 0;
        for (uint32_t k = 0; k < m; k++) maxr = rows[k] > maxr ? rows[k] : maxr;
        int64_t *gv = g64;
        int64_t *big = NULL;
        if (maxr >= COL_VEC_SIZE) {
            big = malloc(((size_t)maxr + 1) * 8);
            if (!big) return KILN_ENOMEM;
            gv = big;
        }
        for (uint32_t k = 0; k < m; k++) gv[rows[k]] = gids ? gids[off + k] : 0;
        dk[0].data = gv;
        dk[0].n = maxr + 1;
        for (int a = 0; a < b->nargs; a++) dk[a + 1] = args[a];
        int rc = agg_table_find_groups(t->distinct[j], dk, rows, m, dg, isnew);
        free(big);
        if (rc) return rc;
        uint32_t nf = 0;
        for (uint32_t k = 0; k < m; k++) {
            if (!isnew[k]) continue;
            fsel[nf] = rows[k];
            fg[nf++] = gids ? gids[off + k] : 0;
        }
        if (nf &&
            (rc = b->update(&t->ctx, b, states, t->row_size, gids ? fg : NULL, args, fsel, nf)))
            return rc;
    }
    return KILN_OK;
}

static int maybe_spill(agg_table *t);

/* Rows k of s[0..n) (s NULL: 0..n) where filter f is true (not false,
 * not null) into fs / fg (the group ids along, gids NULL: none); returns
 * how many. */
static uint32_t filter_rows(const col_vec *f, const uint32_t *s, const uint32_t *gids, uint32_t n,
                            uint32_t *fs, uint32_t *fg)
{
    const uint8_t *v = f->data;
    uint32_t m = 0;
    if (f->constant) {
        if (!col_valid(f, 0) || !v[0]) return 0;
        for (uint32_t k = 0; k < n; k++) {
            fs[k] = s ? s[k] : k;
            if (gids) fg[k] = gids[k];
        }
        return n;
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t r = s ? s[k] : k;
        fs[m] = r;
        if (gids) fg[m] = gids[k];
        m += (v[r] != 0) & col_valid(f, r);
    }
    return m;
}

static int add_or_merge(agg_table *t, const col_vec *keys, const col_vec *const *args,
                        const col_vec *const *filters, const uint32_t *sel, uint32_t count,
                        bool merge)
{
    uint32_t gids[COL_VEC_SIZE], fs[COL_VEC_SIZE], fg[COL_VEC_SIZE];
    for (uint32_t off = 0; off < count; off += COL_VEC_SIZE) {
        uint32_t n = count - off < COL_VEC_SIZE ? count - off : COL_VEC_SIZE;
        uint32_t idx[COL_VEC_SIZE];
        const uint32_t *s = sel ? sel + off : NULL;
        if (!sel && off) {
            for (uint32_t k = 0; k < n; k++) idx[k] = off + k;
            s = idx;
        }
        int rc;
        if (t->nkeys && (rc = find_chunk(t, keys, s, n, gids, NULL))) return rc;
        for (int j = 0; j < t->naggs; j++) {
            const uint32_t *g = t->nkeys ? gids : NULL;
            if (filters && filters[j]) {
                uint32_t m = filter_rows(filters[j], s, g, n, fs, fg);
                if (!m) continue;
                rc = run_agg(t, j, args[j], fs, g ? fg : NULL, m, merge);
            } else {
                rc = run_agg(t, j, args[j], s, g, n, merge);
            }
            if (rc) return rc;
        }
    }
    return KILN_OK;
}

int agg_table_add_batch(agg_table *t, const col_vec *keys, const col_vec *const *args,
                        const uint32_t *sel, uint32_t count)
{
    int rc = add_or_merge(t, keys, args, NULL, sel, count, false);
    return rc ? rc : maybe_spill(t);
}

int agg_table_add_filtered(agg_table *t, const col_vec *keys, const col_vec *const *args,
                           const col_vec *const *filters, const uint32_t *sel, uint32_t count)
{
    int rc = add_or_merge(t, keys, args, filters, sel, count, false);
    return rc ? rc : maybe_spill(t);
}

int agg_table_merge_batch(agg_table *t, const col_vec *keys, const col_vec *const *states,
                          const uint32_t *sel, uint32_t count)
{
    int rc = add_or_merge(t, keys, states, NULL, sel, count, true);
    return rc ? rc : maybe_spill(t);
}

/* Groups [start, start + n) as a batch in a: keys, then results (partial:
 * state columns). */
static int emit_groups(agg_table *t, size_t start, uint32_t n, bool partial, kiln_arena *a,
                       col_batch *out)
{
    int nout = t->nkeys;
    for (int j = 0; j < t->naggs; j++) nout += partial ? t->aggs[j].nstate : 1;
    out->cols = kiln_arena_alloc(a, (size_t)nout * sizeof(col_vec) + 1);
    if (!out->cols) return KILN_ENOMEM;
    out->ncols = nout;
    out->n = n;
    int o = 0, rc;
    for (int c = 0; c < t->nkeys; c++, o++) {
        if (t->keys[c].type->kind == COL_NULL) {
            if ((rc = ops_vec_make(&out->cols[o], a, t->keys[c].type, n, true))) return rc;
            memset(out->cols[o].validity, 0, COL_VALIDITY_WORDS(n) * 8);
            continue;
        }
        if ((rc = ops_store_gather(&t->keys[c], a, NULL, start, n, &out->cols[o]))) return rc;
    }
    t->ctx.out = a;
    for (int j = 0; j < t->naggs; j++) {
        agg_bound *b = &t->aggs[j];
        const uint8_t *states = t->rows + start * t->row_size + t->offsets[j];
        if (partial) {
            for (int s = 0; s < b->nstate; s++)
                if ((rc = agg_output_init(&out->cols[o + s], a, b->state_types[s], n))) return rc;
            if ((rc = b->partial(&t->ctx, b, states, t->row_size, n, &out->cols[o]))) return rc;
            o += b->nstate;
        } else {
            if ((rc = agg_output_init(&out->cols[o], a, b->result, n))) return rc;
            if ((rc = b->finalize(&t->ctx, b, states, t->row_size, n, &out->cols[o]))) return rc;
            o++;
        }
    }
    return KILN_OK;
}

int agg_table_set_spill(agg_table *t, size_t limit, const char *dir)
{
    for (int j = 0; j < t->naggs; j++)
        if (t->distinct[j])
            return kiln_set_error(KILN_EINVAL, "spilling aggregates with DISTINCT is not "
                                               "supported");
    free(t->spill_dir);
    t->spill_dir = strdup(dir ? dir : "/tmp");
    if (!t->spill_dir) return KILN_ENOMEM;
    t->spill_limit = limit;
    return KILN_OK;
}

size_t agg_table_spilled(const agg_table *t)
{
    return t->spilled + t->sub_spilled + (t->sub ? agg_table_spilled(t->sub) : 0);
}

size_t agg_table_spilled_memory(const agg_table *t)
{
    return t->spilled_mem + t->sub_spilled_mem + (t->sub ? agg_table_spilled_memory(t->sub) : 0);
}

void agg_table_set_spill_limit(agg_table *t, size_t limit)
{
    t->spill_limit = limit;
    if (t->sub && t->sub->spill_dir) agg_table_set_spill_limit(t->sub, limit);
}

/* Empties the table and gives its memory back (agg_table_reset keeps it):
 * after a spill the table starts small again. */
static void release_groups(agg_table *t)
{
    for (int c = 0; c < t->nkeys; c++) {
        const col_type *ty = t->keys[c].type;
        size_t w = t->keys[c].width;
        ops_store_release(&t->keys[c]);
        ops_store_init(&t->keys[c], ty);
        t->keys[c].width = w;
    }
    free(t->rows);
    free(t->hashes);
    t->rows = NULL;
    t->hashes = NULL;
    t->rows_cap = 0;
    t->ngroups = 0;
    kiln_arena_reset(t->arena);
    uint64_t *ht = calloc(1024, 8);
    if (ht) { /* else the old entries are cleared and kept */
        free(t->ht);
        t->ht = ht;
        t->cap = 1024;
    } else {
        memset(t->ht, 0, t->cap * 8);
    }
}

static FILE *spill_file(const char *dir)
{
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    if (!path) return NULL;
    snprintf(path, n, "%s/kiln-agg-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    free(path);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w+b");
    if (!f) close(fd);
    return f;
}

/* Writes every group's partial states to the partition files and empties the table. */
static int spill(agg_table *t)
{
    for (int p = 0; p < SPILL_PARTS; p++) {
        if (!t->parts[p] && !(t->parts[p] = spill_file(t->spill_dir)))
            return kiln_set_error(KILN_EIO, "cannot create an aggregation spill file in %s",
                                  t->spill_dir);
    }
    kiln_arena *a = kiln_arena_new();
    kiln_buf buf;
    kiln_buf_init(&buf);
    int rc = a ? KILN_OK : KILN_ENOMEM;
    int shift = SPILL_SHIFT + 4 * t->level;
    uint32_t *psel = malloc(SPILL_PARTS * COL_VEC_SIZE * sizeof *psel);
    if (!psel) rc = KILN_ENOMEM;
    for (size_t start = 0; !rc && start < t->ngroups; start += COL_VEC_SIZE) {
        uint32_t n = (uint32_t)(t->ngroups - start < COL_VEC_SIZE ? t->ngroups - start
                                                                  : COL_VEC_SIZE);
        col_batch b;
        memset(&b, 0, sizeof b);
        if ((rc = emit_groups(t, start, n, true, a, &b))) break;
        uint32_t np[SPILL_PARTS] = {0};
        for (uint32_t k = 0; k < n; k++) {
            int p = (int)(t->hashes[start + k] >> shift) & (SPILL_PARTS - 1);
            psel[p * COL_VEC_SIZE + np[p]++] = k;
        }
        for (int p = 0; p < SPILL_PARTS && !rc; p++) {
            if (!np[p]) continue;
            b.sel = &psel[p * COL_VEC_SIZE];
            b.nsel = np[p];
            buf.len = 0;
            uint64_t len = 0;
            if ((rc = kiln_buf_append(&buf, &len, 8)) || (rc = col_batch_encode(&buf, &b))) break;
            len = buf.len - 8;
            memcpy(buf.data, &len, 8);
            if (fwrite(buf.data, 1, buf.len, t->parts[p]) != buf.len)
                rc = kiln_set_error(KILN_EIO, "cannot write an aggregation spill file in %s",
                                    t->spill_dir);
            t->spilled += buf.len;
        }
        kiln_arena_reset(a);
    }
    free(psel);
    kiln_buf_release(&buf);
    kiln_arena_free(a);
    if (!rc) {
        size_t held = agg_table_bytes(t);
        release_groups(t);
        size_t left = agg_table_bytes(t);
        t->spilled_mem += held > left ? held - left : 0;
    }
    return rc;
}

/* Reads partition p back into a new table (merge of the partial states). */
static int load_part(agg_table *t, int p)
{
    const col_type *kt[64];
    const col_type **keyt = t->nkeys <= 64 ? kt : malloc((size_t)t->nkeys * sizeof *keyt);
    if (!keyt) return KILN_ENOMEM;
    for (int c = 0; c < t->nkeys; c++) keyt[c] = t->keys[c].type;
    if (t->sub) {
        t->sub_spilled += agg_table_spilled(t->sub);
        t->sub_spilled_mem += agg_table_spilled_memory(t->sub);
    }
    agg_table_free(t->sub);
    t->sub = agg_table_new(keyt, t->nkeys, t->aggs, t->naggs,
                           t->mode == AGG_PARTIAL ? AGG_PARTIAL : AGG_FINAL, t->ctx.ansi);
    if (keyt != kt) free(keyt);
    if (!t->sub) return KILN_ENOMEM;
    /* A partition larger than the limit spills again, by the next hash bits. */
    t->sub->level = t->level + 1;
    if (t->sub->level < SPILL_LEVELS) {
        int rc = agg_table_set_spill(t->sub, t->spill_limit, t->spill_dir);
        if (rc) return rc;
    }
    t->sub_cursor = 0;
    FILE *f = t->parts[p];
    if (!f) return KILN_OK;
    rewind(f);
    kiln_arena *a = kiln_arena_new();
    uint8_t *data = NULL;
    size_t cap = 0;
    int rc = a ? KILN_OK : KILN_ENOMEM;
    const col_vec **st = calloc((size_t)t->naggs + 1, sizeof *st);
    if (!st) rc = KILN_ENOMEM;
    uint64_t len;
    while (!rc && fread(&len, 8, 1, f) == 1) {
        if (len > cap) {
            free(data);
            cap = len;
            if (!(data = malloc(cap))) {
                rc = KILN_ENOMEM;
                break;
            }
        }
        if (fread(data, 1, len, f) != len) {
            rc = kiln_set_error(KILN_EIO, "aggregation spill file cut short");
            break;
        }
        col_batch b;
        if ((rc = col_batch_decode(&b, a, data, len))) break;
        int o = t->nkeys;
        for (int j = 0; j < t->naggs; j++) {
            st[j] = &b.cols[o];
            o += t->aggs[j].nstate;
        }
        rc = agg_table_merge_batch(t->sub, b.cols, st, b.sel, col_batch_live(&b));
        kiln_arena_reset(a);
    }
    free(st);
    free(data);
    kiln_arena_free(a);
    fclose(f);
    t->parts[p] = NULL;
    return rc;
}

void agg_table_clear(agg_table *t)
{
    if (t->nkeys) release_groups(t);
    else agg_table_reset(t);
}

static int maybe_spill(agg_table *t)
{
    if (t->spill_limit && t->nkeys && !t->draining && agg_table_bytes(t) > t->spill_limit)
        return spill(t);
    return KILN_OK;
}

int agg_table_result(agg_table *t, size_t *cursor, kiln_arena *a, col_batch *out)
{
    memset(out, 0, sizeof *out);
    if (t->spilled && !t->draining) {
        int rc = t->ngroups ? spill(t) : KILN_OK;
        if (rc) return rc;
        t->draining = true;
        t->part = -1;
    }
    while (t->draining) {
        if (t->sub) {
            size_t before = t->sub_cursor;
            int rc = agg_table_result(t->sub, &t->sub_cursor, a, out);
            if (rc || out->n) {
                *cursor += t->sub_cursor - before;
                return rc;
            }
        }
        if (t->part + 1 >= SPILL_PARTS) {
            if (t->sub) {
                t->sub_spilled += agg_table_spilled(t->sub);
                t->sub_spilled_mem += agg_table_spilled_memory(t->sub);
            }
            agg_table_free(t->sub);
            t->sub = NULL;
            return KILN_OK;
        }
        int rc = load_part(t, ++t->part);
        if (rc) return rc;
    }
    size_t start = *cursor;
    if (start >= t->ngroups) return KILN_OK;
    uint32_t n = (uint32_t)(t->ngroups - start < COL_VEC_SIZE ? t->ngroups - start : COL_VEC_SIZE);
    int rc = emit_groups(t, start, n, t->mode == AGG_PARTIAL, a, out);
    if (rc) return rc;
    *cursor = start + n;
    return KILN_OK;
}
