/*
 * engine/engine.h - the engine's internal structures: context, RDD graph,
 * tasks, partition iterators and the job runner. Shared by the files of
 * src/engine only; the rest of kiln sees include/kiln.h.
 *
 * Execution is pull-based and batched: computing a partition yields an
 * eng_iter whose next() returns a batch of values valid until the following
 * next() or close(). Narrow transformations wrap their parent's iterator, so
 * a chain of them runs fused inside one task with no materialisation.
 */
#ifndef KILN_ENGINE_H
#define KILN_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/base.h"
#include "base/conf.h"
#include "kiln.h"
#include "shuffle/shuffle.h"

#define ENG_BATCH 1024 /* values per batch produced by sources */

/* ---- Iterators ------------------------------------------------------------ */

typedef struct eng_iter eng_iter;
struct eng_iter {
    /* Returns 1 with a batch (*vals borrowed until the next call; *n may be
     * 0 only at the end), 0 at the end, or a negative error recorded on t. */
    int (*next)(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n);
    void (*close)(eng_iter *it);
};

/* A growable array of values (malloc-backed). */
typedef struct val_vec {
    kiln_value *v;
    size_t n, cap;
} val_vec;
int val_vec_grow(val_vec *vv);
/* Makes room for one more element in *items (count n, capacity *cap,
 * elements of size elem), doubling from `first`. Returns KILN_OK or
 * KILN_ENOMEM (the array is unchanged). */
int grow_for_one(void **items, size_t n, size_t *cap, size_t elem, size_t first);
static inline int val_vec_push(val_vec *vv, const kiln_value *v)
{
    if (vv->n == vv->cap && val_vec_grow(vv)) return KILN_ENOMEM;
    vv->v[vv->n++] = *v;
    return KILN_OK;
}
void val_vec_release(val_vec *vv);
/* Decodes the values encoded back to back in p[0..n) onto vv (their parts
 * in a). KILN_ECORRUPT at a bad one, KILN_ENOMEM. */
int values_decode_all(kiln_arena *a, const uint8_t *p, size_t n, val_vec *vv);

/* ---- Tasks ---------------------------------------------------------------- */

typedef struct acc_update {
    int64_t id;
    kiln_value delta;
} acc_update;

struct kiln_task {
    kiln_context *ctx;
    int job, stage, partition, attempt;
    kiln_arena *arena;   /* where user functions build values (set by the op) */
    kiln_arena *scratch; /* task-lifetime arena for small engine state */
    char *error;         /* failure message (malloc), NULL while fine */
    int fetch_shuffle;   /* on KILN_EFETCH: the shuffle and map output lost */
    int fetch_map;
    const char *input_file; /* the file a text source of the task reads */
    acc_update *accs;
    size_t naccs, cap_accs;
};

/* Records err as the task's failure unless one is already recorded (the
 * first cause wins); returns err. */
int task_error(kiln_task *t, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Calls a user function's result through: a nonzero rc becomes a task
 * failure naming what (e.g. "map function") when the user gave no message. */
int task_user_rc(kiln_task *t, int rc, const char *what);

struct kiln_out {
    val_vec *dst;
    kiln_arena *copy_into; /* non-NULL: emitted values are deep-copied here */
};
struct kiln_in {
    eng_iter *it;
    kiln_task *t;
    const kiln_value *vals;
    size_t n, pos;
    int status; /* last error from the iterator */
};

/* ---- The RDD graph -------------------------------------------------------- */

typedef enum part_kind { PART_NONE, PART_HASH, PART_CUSTOM } part_kind;

typedef struct rdd_ops {
    const char *name; /* "map", "reduce_by_key"... for messages */
    /* Returns an iterator over partition p, or NULL with the error on t. */
    eng_iter *(*compute)(kiln_rdd *r, int p, kiln_task *t);
    void (*free_extra)(kiln_rdd *r);
    /* Ops whose RDDs keep state in extra: its bytes for another process
     * (lineage.c), and setting it up again from them. NULL: no extra. */
    int (*encode_extra)(const kiln_rdd *r, kiln_buf *out);
    int (*decode_extra)(kiln_rdd *r, const uint8_t *p, size_t n);
} rdd_ops;

/* Every rdd_ops table lives in one section, so a table named by a peer
 * (lineage.c) can be checked to be one of them before it is used. */
#define RDD_OPS_SECTION __attribute__((section("kiln_rdd_ops"), used, aligned(8)))
_Static_assert(sizeof(rdd_ops) % 8 == 0, "rdd_ops tables must pack without padding");
/* Whether p is the start of one of the rdd_ops tables. */
bool rdd_ops_valid(const void *p);

struct kiln_rdd {
    kiln_context *ctx;
    int id;
    int nparts;
    const rdd_ops *ops;
    kiln_rdd *parents[2];
    int nparents;
    shuffle_dep *deps[2]; /* shuffle dependencies (reduce-side RDDs) */
    int ndeps;
    /* user functions and their env (copied) */
    void *fn, *fn2, *fn3;
    void *env;
    size_t env_len;
    kiln_value zero;
    kiln_arena *arena; /* RDD-owned data: zero, parallelized values */
    void *extra;       /* op-specific state */
    int64_t iarg;      /* op-specific small argument */
    double darg;
    uint64_t seed;
    /* partitioning of the output, for lookup */
    part_kind part;
    /* persistence: the blocks live in the context's block store */
    kiln_storage_level storage;
    char *checkpoint_dir; /* set once checkpointed: partitions are read from here */
};

/* Allocates an RDD owned by ctx with nparts partitions; copies env. Returns
 * NULL (error set) when out of memory. */
kiln_rdd *rdd_new(kiln_context *ctx, const rdd_ops *ops, int nparts, const void *env,
                  size_t env_len);
/* One more than the largest RDD id in ctx: the size of arrays indexed by
 * id (ids are indices, except in an executor's context, where they are the
 * driver's). */
size_t rdd_id_bound(kiln_context *ctx);
/* Returns the iterator over partition p of r, serving it from the cache when
 * r is persisted (and filling the cache on first computation). */
eng_iter *rdd_iterator(kiln_rdd *r, int p, kiln_task *t);
/* Runs the iterator to the end, deep-copying every value into a; for ops that
 * need a whole partition (cartesian, sort). */
int iter_drain(eng_iter *it, kiln_task *t, kiln_arena *a, val_vec *out);
/* An iterator over a borrowed array, handed out in batches. */
eng_iter *iter_over_array(const kiln_value *vals, size_t n);

/* ---- Context ---------------------------------------------------------------- */

typedef struct accumulator {
    char *name;
    kiln_value total; /* int or double */
} accumulator;

typedef struct thread_pool thread_pool;
typedef struct block_store block_store;
typedef struct kiln_cluster kiln_cluster; /* cluster/cluster.h */

struct kiln_context {
    kiln_conf *conf; /* effective configuration */
    int cores;
    int max_attempts;
    int default_parallelism;
    bool show_progress;
    thread_pool *pool;
    char *app_dir; /* this context's scratch directory under kiln.local.dir */
    int64_t mem_budget;     /* kiln.executor.memory */
    int64_t mem_task_share; /* what one running task may hold before spilling */
    _Atomic int64_t mem_used, mem_peak;
    _Atomic uint64_t spill_seq; /* unique spill file names */
    _Atomic int64_t spill_count, spill_bytes, merge_passes;
    _Atomic int64_t task_attempts, failed_attempts;
    /* cluster mode: map outputs lost with their executor; shuffle bytes executors
     * fetched from each other, and the time they waited for them */
    _Atomic int64_t lost_map_outputs, remote_fetch_bytes, remote_fetch_us;
    _Atomic int64_t speculative_attempts, speculative_wins;
    /* kiln.speculation*: copies of straggling tasks (job.c); times in seconds */
    bool speculation;
    double spec_interval, spec_multiplier, spec_quantile, spec_min_runtime;
    shuffle_store *shuffles;
    block_store *blocks;
    pthread_mutex_t lock; /* accumulators, ids */
    /* RDDs and shuffle deps owned by the context */
    kiln_rdd **rdds;
    size_t nrdds, cap_rdds;
    shuffle_dep **sdeps;
    size_t nsdeps, cap_sdeps;
    kiln_arena *arena; /* broadcasts */
    kiln_value *broadcasts;
    size_t nbroadcasts, cap_broadcasts;
    accumulator *accs;
    size_t naccs, cap_accs;
    int next_job, next_stage;
    kiln_cluster *cluster; /* cluster mode: the executors; NULL in local mode */
    /* An executor's hooks into its cached blocks (cluster/executor.c; NULL
     * elsewhere): a partition of a persisted RDD not cached here is asked
     * of the executor holding it (an iterator over it, or NULL on a miss);
     * one cached here is reported to the driver. */
    eng_iter *(*remote_block)(kiln_context *ctx, kiln_rdd *r, int part, kiln_task *t);
    void (*block_cached)(kiln_context *ctx, int rdd, int part);
};

/* ---- Memory budget (engine/memory.c) -------------------------------------- */

/* Reads kiln.executor.memory (default 1g) and sets the per-task share. */
int mem_init(kiln_context *c);
/* Accounts n bytes held / given back by a consumer. */
void mem_reserve(kiln_context *c, int64_t n);
void mem_release(kiln_context *c, int64_t n);
/* Moves a consumer's tally (*accounted) to held, reserving or releasing the
 * difference. */
void mem_track(kiln_context *c, int64_t *accounted, int64_t held);
/* Counts a spill of n bytes in the context's metrics. */
void mem_note_spill(kiln_context *c, int64_t n);
/* A fresh path for a spill file in the context's scratch directory
 * (spill_<n>.<ext>); out must hold 4096 bytes. */
void spill_path(kiln_context *c, const char *ext, char *out);

/* ---- External sort (engine/external_sort.c) ------------------------------ */

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

/* ---- Shuffle dependencies ------------------------------------------------- */

typedef enum dep_part { DEP_HASH, DEP_CUSTOM, DEP_RANGE, DEP_ROUND_ROBIN } dep_part;

/* Map-side (and reduce-side) combining of values by key. */
typedef struct aggregator {
    kiln_map_fn create;          /* NULL: the value itself is the combiner */
    kiln_reduce_fn merge_value;  /* (combiner, value) */
    kiln_reduce_fn merge_comb;   /* (combiner, combiner) */
    const kiln_value *zero;      /* non-NULL: create = merge_value(zero, v) */
    const void *env;
} aggregator;

struct shuffle_dep {
    int id;
    kiln_rdd *parent;
    int nreduce;
    dep_part part;
    kiln_partitioner_fn pfn;
    const void *penv;
    kiln_value *bounds; /* DEP_RANGE: nreduce-1 sorted keys */
    size_t nbounds;
    bool descending;
    bool has_agg;
    aggregator agg;
};

/* ---- Lineage as bytes (engine/lineage.c) ---------------------------------- *
 * The graph an RDD depends on (parents, and the parents of its shuffle
 * dependencies), for an executor process running the same program. RDD and
 * shuffle ids are kept: decoding into an executor's context gives each RDD
 * and dependency the driver's id (RDDs already decoded are reused, so their
 * cached partitions stay valid). Function pointers travel as build id and
 * offset (cluster/fnref.h). KILN_EINVAL naming the op for an RDD whose state
 * cannot travel. */
int lineage_encode(kiln_rdd *r, kiln_buf *out);
/* Decodes into ctx; *out is the RDD that was encoded. */
int lineage_decode(kiln_context *ctx, const uint8_t *p, size_t n, kiln_rdd **out);
/* The shuffle dependency with the driver's id in a decoded context, or NULL. */
shuffle_dep *lineage_dep(kiln_context *ctx, int id);

/* The map side of a shuffle for one task: partitions (and combines) the
 * records of it into map output `map` of d (job.c; executors call it too). */
int job_write_map_output(kiln_task *t, shuffle_dep *d, eng_iter *it, int map);

/* Creates a shuffle dependency owned by the context. */
shuffle_dep *dep_new(kiln_rdd *parent, int nreduce, dep_part part);
/* Partition of a record's key (pairs) or of the record (round robin). */
int dep_partition(const shuffle_dep *d, const kiln_value *key);

/* ---- Reduce-side aggregation past the budget (engine/agg_spill.c) -------- */

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

/* ---- Block store (engine/block_store.c) ---------------------------------- */

/* Holds cached partitions; blocks in memory may hold `limit` bytes. */
block_store *block_store_new(int64_t limit);
void block_store_free(block_store *s);
/* An iterator over the cached partition, or NULL with *hit false. */
eng_iter *block_store_get(kiln_context *ctx, int rdd, int part, kiln_task *t, bool *hit);
/* Caches the computed partition (takes arena and *vv) and returns an iterator
 * over it; when it cannot be kept it is still served once. */
eng_iter *block_store_put(kiln_context *ctx, int rdd, int part, kiln_storage_level level,
                          kiln_arena *arena, val_vec *vv, kiln_task *t);
/* Drops every unpinned block of rdd. */
void block_store_drop_rdd(kiln_context *ctx, int rdd);
/* Blocks of rdd; *memory bytes in memory and *disk blocks on disk (may be NULL). */
int block_store_count(kiln_context *ctx, int rdd, int64_t *memory, int64_t *disk);
/* Whether partition part of rdd is cached here. */
bool block_store_has(kiln_context *ctx, int rdd, int part);
/* Appends the encodings of the values of a cached partition to out;
 * KILN_ENOENT when it is not cached here. */
int block_store_encode(kiln_context *ctx, int rdd, int part, kiln_buf *out);

/* Files of values in lz4 blocks (cached blocks on disk, checkpoints): append
 * raw (encodings) to fd as a block once it is full, or when last; and an
 * iterator over such a file (never deleted by it). */
int values_file_append(int fd, const char *path, kiln_buf *raw, kiln_buf *enc, bool last);
eng_iter *values_file_iterator(kiln_context *ctx, const char *path, kiln_task *t);

/* ---- Jobs --------------------------------------------------------------- */

/* Computes one partition's result into out (encoded bytes) from the
 * partition's iterator. */
typedef int (*part_result_fn)(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg);

/* Runs a job over the given partitions of r (all when parts is NULL),
 * running missing parent shuffle stages first. results[i] receives partition
 * parts[i]'s output (caller initialises and releases them). Returns KILN_OK
 * or the failing task's code (KILN_EJOB when none) with the message naming
 * job, stage, partition, attempt and cause. */
int job_run(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
            kiln_buf *results, const char *action);

/* An action whose per-partition function can run on an executor: remote is
 * called there with a wire_arg over the bytes given here, and its result
 * bytes come back as fn's would. Without one, an executor sends the
 * partition's records and fn runs in the driver. remote must be listed
 * with SHIPPED_ACTION (an executor runs no other). */
typedef struct wire_arg {
    const uint8_t *p;
    size_t n;
} wire_arg;
typedef struct shipped_action {
    part_result_fn remote;
    const void *wire;
    size_t wire_len;
} shipped_action;
int job_run_shipped(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
                    const shipped_action *ship, kiln_buf *results, const char *action);
/* Lists fn as a function executors may run for an action. */
#define SHIPPED_ACTION(fn)                                                                      \
    static const part_result_fn shipped_##fn                                                    \
        __attribute__((section("kiln_shipped_actions"), used)) = fn
bool shipped_action_valid(part_result_fn fn);


/* What a reduce-side RDD does with the records it reads. */
typedef enum sh_kind { SH_AGG, SH_GROUP, SH_PLAIN, SH_SORT, SH_COGROUP } sh_kind;
/* A reduce-side RDD of kind reading deps (its partitions: deps[0]->nreduce). */
kiln_rdd *shuffled(kiln_rdd *parent, int kind, shuffle_dep **deps, int ndeps, const void *env,
                   size_t env_len);
/* cogroup of a and b into num_partitions (0: the larger parent's count). */
kiln_rdd *cogroup_rdd(kiln_rdd *a, kiln_rdd *b, int num_partitions);
/* A narrow coalesce of r into n partitions (n clamped to [1, r->nparts]). */
kiln_rdd *coalesce_narrow(kiln_rdd *r, int n);
/* Runs a job counting each partition of r into counts[0..nparts). */
int rdd_partition_counts(kiln_rdd *r, int64_t *counts);

/* ---- Thread pool ------------------------------------------------------------ */

typedef void (*pool_fn)(void *arg);
thread_pool *pool_new(int nthreads);
void pool_free(thread_pool *p);
/* Queues fn(arg) to run on a pool thread. */
int pool_submit(thread_pool *p, pool_fn fn, void *arg);
/* Threads that would start an item submitted now at once: neither running
 * one nor spoken for by an item already queued. */
int pool_idle(thread_pool *p);

/* ---- Aggregation hash map ------------------------------------------------- */

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
 * map `all` (src/engine/combine_cache.c). */
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

/* ---- Progress bar (src/ui) ------------------------------------------------ */
void progress_update(int stage, int done, int running, int total, double started);
void progress_clear(void);

#endif
