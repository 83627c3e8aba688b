/*
 * engine/shuffle_int.h - the engine's side of a shuffle, past what the
 * shuffle files (src/shuffle) do: combining values by key map-side (the
 * aggregation map and the combine cache in front of it), writing a map
 * output (shuffle_write.c), and on the reduce side sorting and aggregating
 * past the task's share of the memory budget with sorted runs on disk
 * (shuffle_sort.c, shuffle_agg_spill.c). Included by those files and by
 * shuffled.c, the reduce-side RDDs; the rest of the engine needs none of
 * it.
 *
 * It stays in the engine rather than src/shuffle because every piece calls
 * user functions through the running task and accounts its memory against
 * the context's budget, both of which the engine owns.
 */
#ifndef KILN_ENGINE_SHUFFLE_INT_H
#define KILN_ENGINE_SHUFFLE_INT_H

#include "engine/engine_int.h"

/* The map side of a shuffle for one task: partitions (and combines) the
 * records of it into map output `map` of d (shuffle_write.c; task_run_here calls it). */
int map_output_write(kiln_task *t, shuffle_dep *d, eng_iter *it, int map);

/* ---- External sort (engine/shuffle_sort.c) ------------------------------ */

/* Sorts (key, value) pairs by key, stably, spilling sorted runs to disk when
 * it holds more than limit bytes (its part of the task's share). */
typedef struct sorter sorter;
sorter *sorter_new(kiln_task *t, bool descending, int64_t limit);
/* The arena records must be decoded into before sorter_push. */
kiln_arena *sorter_arena(sorter *s);
/* Adds a pair whose parts live in sorter_arena(s). */
int sorter_push(sorter *s, const kiln_value *pair);
/* Call once after the last push. */
int sorter_finish(sorter *s);
/* The sorted output in batches, like eng_iter's next. */
int sorter_next(sorter *s, const kiln_value **vals, size_t *n);
/* Frees everything and deletes the spill files. */
void sorter_free(sorter *s);

/* ---- Reduce-side aggregation past the budget (engine/shuffle_agg_spill.c) -------- */

/* Output-shaped records of kind (SH_AGG, SH_GROUP, SH_COGROUP), sorted by
 * key through a sorter, then merged so each key appears once. */
typedef struct agg_spill agg_spill;
agg_spill *agg_spill_new(kiln_task *t, int kind, const aggregator *a);
/* Copies rec in (it may be freed after the call). */
int agg_spill_add(agg_spill *s, const kiln_value *rec);
int agg_spill_finish(agg_spill *s);
/* The merged records in batches, like eng_iter's next. */
int agg_spill_next(agg_spill *s, const kiln_value **vals, size_t *n);
void agg_spill_free(agg_spill *s);

/* ---- Aggregation hash map (engine/shuffle_aggmap.c) ----------------------- */

/* Open-addressing map from keys (deep-copied into the map's arena) to a value
 * slot. Entries keep insertion order for deterministic output. */
typedef struct agg_map agg_map;
typedef struct agg_entry {
    uint64_t hash;
    kiln_value key;
    kiln_value val;
    void *aux; /* per-entry extra state (e.g. group lists) */
} agg_entry;
agg_map *agg_map_new(void);
void agg_map_free(agg_map *m);
kiln_arena *agg_map_arena(agg_map *m);
/* Memory the map holds: arena, slots and order array (group lists in aux
 * are not included; their owners count them). */
size_t agg_map_bytes(const agg_map *m);      /* held, kept memory included */
size_t agg_map_used_bytes(const agg_map *m); /* in use: what spilling frees */
/* Forgets every entry (keeps the slot array's size). */
void agg_map_clear(agg_map *m);
/* Finds key (hash h); when absent inserts it (key deep-copied) with a null
 * value and sets *created. Returns the entry (stable until clear/free) or
 * NULL when out of memory. */
agg_entry *agg_map_upsert(agg_map *m, const kiln_value *key, uint64_t h, bool *created);
size_t agg_map_size(const agg_map *m);
/* Hints for batched lookups: start fetching the slot of hash h; once it has
 * arrived, start fetching the entry it points to. */
void agg_map_prefetch_slot(const agg_map *m, uint64_t h);
void agg_map_prefetch_entry(const agg_map *m, uint64_t h);
/* Entry i in insertion order. */
agg_entry *agg_map_at(agg_map *m, size_t i);

/* Map side: folds the pair v into m with a (create / merge_value). */
int agg_combine_value(kiln_task *t, const aggregator *a, agg_map *m, const kiln_value *v);
/* Reduce side: folds the pair (key, combiner) into m with merge_comb. */
int agg_merge_combiner(kiln_task *t, const aggregator *a, agg_map *m, const kiln_value *kc);

/* The first level of the map-side combine for aggregators without create or
 * zero (reduce_by_key and the operations built on it): a set-associative
 * cache of inline (key, scalar combiner) lines, 4 MiB or the largest power
 * of two up to max_bytes (at least 16 KiB), that evicts into the task's full
 * map `all` (src/engine/shuffle_combine_cache.c). */
typedef struct combine_cache combine_cache;
combine_cache *combine_cache_new(int64_t max_bytes);
size_t combine_cache_bytes(const combine_cache *c);
void combine_cache_free(combine_cache *c);
/* Folds n pairs into the cache (or into all when they cannot be cached);
 * scratch is an arena for user functions' temporary results. Returns
 * KILN_ETYPE, before folding anything of its block, on a non-pair. */
int combine_cache_add_batch(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all,
                            kiln_arena *scratch, const kiln_value *pairs, size_t n);
/* Evicts every line into all. */
int combine_cache_drain(kiln_task *t, const aggregator *a, combine_cache *c, agg_map *all);

#endif
