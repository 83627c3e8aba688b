/*
 * engine/engine_int.h - the engine's private structures: the context, the
 * RDD graph and its ops, shuffle dependencies, the memory budget, external
 * sort, reduce-side spilling, the block store, the thread pool and the
 * aggregation map. Included by the files of src/engine only; the layers
 * above (session, cluster, ui) see engine/engine.h, and the build gives
 * them no way to include this file.
 *
 * Execution is pull-based and batched: computing a partition yields an
 * eng_iter whose next() returns a batch of values valid until the following
 * next() or close(). Narrow transformations wrap their parent's iterator, so
 * a chain of them runs fused inside one task with no materialisation.
 */
#ifndef KILN_ENGINE_INT_H
#define KILN_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/base.h"
#include "engine/engine.h"
#include "kiln.h"
#include "shuffle/shuffle.h"

struct kiln_out {
    val_vec *dst;
    kiln_arena *copy_into;  /* non-NULL: emitted values are deep-copied here */
    struct held_iter *flow; /* non-NULL: a map_partitions that hands out chunks */
    bool stop;              /* the consumer wants no more: emit refuses */
};
struct kiln_in {
    eng_iter *it;
    kiln_task *t;
    const kiln_value *vals;
    size_t n, pos;
    int status; /* last error from the iterator */
    bool stop;  /* the consumer of the function's output wants no more */
};

/* After an emit into a flowing map_partitions (out->flow): when the chunk
 * is full, hands it to the consumer (the function's coroutine yields) and
 * returns once the consumer wants more; KILN_ESTATE when it wants none. */
int held_emitted(kiln_out *out);

/* ---- Coroutines (coro.c) ---------------------------------------------------- */

/* A function run on a stack of its own, on the thread that resumes it. */
typedef struct eng_coro eng_coro;
/* A coroutine that will run fn(arg) when first resumed; NULL when out of
 * memory. Returns owned (coro_free). */
eng_coro *coro_new(void (*fn)(void *arg), void *arg);
/* Runs c until it yields (returns true) or its function returns (false; so
 * at once for a finished c). */
bool coro_resume(eng_coro *c);
/* Inside c's function: back to the resume that ran it. */
void coro_yield(eng_coro *c);
/* Frees c's stack; a coroutine that has not finished leaks what its
 * function holds, so finish it first. NULL is ignored. */
void coro_free(eng_coro *c);

/* ---- The RDD graph -------------------------------------------------------- */

typedef enum part_kind { PART_NONE, PART_HASH, PART_CUSTOM } part_kind;

/* The kinds of op state: each names one of the structs below ("Op state"),
 * which an op of that kind keeps in r->state. */
typedef enum op_state_kind {
    OPST_NONE,           /* keys, values, glom, union, coalesce, cartesian, zip */
    OPST_MAP,            /* map, map_values, key_by: map_state */
    OPST_FLAT_MAP,       /* flat_map, flat_map_values: flat_map_state */
    OPST_FILTER,         /* filter_state */
    OPST_MAP_PARTITIONS, /* map_partitions_state */
    OPST_SAMPLE,         /* sample_state */
    OPST_ZIP_INDEX,      /* zip_with_index: zip_index_state */
    OPST_PARALLELIZE,    /* parallelize_state */
    OPST_RANGE,          /* range_state */
    OPST_TEXT_SOURCE,    /* text_file, text_file_with_offsets, whole_text_files */
    OPST_SHUFFLED,       /* every reduce-side RDD: shuffled_state */
} op_state_kind;

typedef struct rdd_ops {
    const char *name; /* "map", "reduce_by_key"... for messages */
    /* Returns an iterator over partition p, or NULL with the error on t. */
    eng_iter *(*compute)(kiln_rdd *r, int p, kiln_task *t);
    /* Frees what r->state holds outside r->arena (input splits), or NULL
     * when it holds nothing there. Called when the context frees r, and
     * when decoding r failed after its decoder made the state (lineage.c).
     * (The "extra" in these names is the op's state.) */
    void (*free_extra)(kiln_rdd *r);
    /* The op's state (r->state) as bytes for another process (lineage.c),
     * and setting it up again from them (rdd_state_new, then the fields).
     * Every op with state has both; NULL for ops without. */
    int (*encode_extra)(const kiln_rdd *r, kiln_buf *out);
    int (*decode_extra)(kiln_rdd *r, const uint8_t *p, size_t n);
    op_state_kind state; /* what r->state is (OPST_NONE: NULL) */
} rdd_ops;

/* Every rdd_ops table lives in one section, so a table named by a peer
 * (lineage.c) can be checked to be one of them before it is used. */
#define RDD_OPS_SECTION __attribute__((section("kiln_rdd_ops"), used, aligned(8)))
_Static_assert(sizeof(rdd_ops) % 8 == 0, "rdd_ops tables must pack without padding");
/* Whether p is the start of one of the rdd_ops tables. */
bool rdd_ops_valid(const void *p);

/* What every RDD has; what only its op needs is in state (below). */
typedef struct rdd_name rdd_name;
typedef struct job_group_set job_group_set;

struct kiln_rdd {
    kiln_context *ctx;
    int id;
    int nparts;
    const rdd_ops *ops;
    kiln_rdd *parents[2];
    int nparents;
    shuffle_dep *deps[2]; /* shuffle dependencies (reduce-side RDDs) */
    int ndeps;
    /* the env of the user functions (in the state, or in the aggregator or
     * partitioner of deps[0]), copied */
    void *env;
    size_t env_len;
    kiln_arena *arena; /* RDD-owned data: the op's state and the values it holds */
    void *state;       /* the op's state, of kind ops->state: read it through its accessor */
    /* partitioning of the output, for lookup */
    part_kind part;
    /* persistence: the blocks live in the context's block store */
    kiln_storage_level storage;
    char *checkpoint_dir; /* set once checkpointed: partitions are read from here */
    /* Who keeps r alive (rdd_retain / rdd_release): its creator's handle
     * (the user's, released by kiln_rdd_free; an executor's: the driver's,
     * released when the driver says so), each child RDD and each shuffle
     * dependency reading it, and each stage running over it. */
    _Atomic int refs;
    _Atomic bool handle_out;       /* the creator's reference is still held */
    int link_nparents, link_ndeps; /* parents and deps referenced by r (rdd_link) */
    size_t slot;                   /* r's index in ctx->rdds */
    struct kiln_rdd *dead_next;    /* the worklist of rdd_release */
    /* kiln_rdd_set_name (rdd_name.c): the current name (NULL: none) and
     * every name given, kept until r goes */
    _Atomic(const char *) name;
    rdd_name *names;
};

/* r's name when the program gave one, else its op's (rdd_name.c);
 * borrowed, valid for r's life. */
const char *rdd_display_name(const kiln_rdd *r);
/* Frees r's names (when r goes). */
void rdd_names_free(kiln_rdd *r);

/* ---- Op state --------------------------------------------------------------- *
 * One struct per kind of op state. An op's state is made with
 * rdd_state_new (when the RDD is built, or decoded from a lineage) and read
 * only through the accessor of its kind, which checks that r's op keeps
 * that kind: an op never reads another's fields. */

typedef struct map_state { /* map, map_values, key_by */
    kiln_map_fn fn;
} map_state;
typedef struct flat_map_state { /* flat_map, flat_map_values */
    kiln_flat_map_fn fn;
} flat_map_state;
typedef struct filter_state {
    kiln_filter_fn fn;
} filter_state;
typedef struct map_partitions_state {
    kiln_partitions_fn fn;
} map_partitions_state;
typedef struct sample_state {
    bool with_replacement;
    double fraction; /* expected copies of each value */
    uint64_t seed;   /* partition p draws from a stream of its own off it */
} sample_state;
typedef struct zip_index_state {
    int64_t *first; /* nparts + 1, in r->arena: each partition's first index, then the total */
} zip_index_state;
typedef struct parallelize_state {
    kiln_value *vals; /* in r->arena, deep copies */
    size_t n;         /* partition p holds [p*n/nparts, (p+1)*n/nparts) */
} parallelize_state;
typedef struct range_state {
    int64_t start, step; /* step != 0 */
    uint64_t count;      /* values in all; partitions split them as parallelize */
} range_state;
typedef struct text_source_state { /* one split per partition */
    struct io_split *splits;       /* owned (io_splits_free, in free_extra) */
    size_t n;                      /* may be less than nparts: one empty partition */
} text_source_state;

/* What a reduce-side RDD does with the records it reads. */
typedef enum sh_kind { SH_AGG, SH_GROUP, SH_PLAIN, SH_SORT, SH_COGROUP } sh_kind;
typedef struct shuffled_state { /* its aggregator and range bounds are in deps[0] */
    sh_kind kind;
} shuffled_state;

/* Allocates r's state (size bytes, zeroed, in r->arena) and sets r->state
 * to it. Returns it, or NULL (error set) when out of memory. */
void *rdd_state_new(kiln_rdd *r, size_t size);
/* Reports a read of r's state as another kind than its op keeps, and
 * aborts: a bug of the engine, never of a user or of data. */
void rdd_state_mismatch(const kiln_rdd *r, op_state_kind kind) __attribute__((noreturn, cold));

static inline void *rdd_state_of(const kiln_rdd *r, op_state_kind kind)
{
    if (__builtin_expect(r->ops->state != kind, 0)) rdd_state_mismatch(r, kind);
    return r->state;
}

/* The typed accessors: r's state, of the kind its op keeps (checked). */
static inline map_state *rdd_map_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_MAP);
}
static inline flat_map_state *rdd_flat_map_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_FLAT_MAP);
}
static inline filter_state *rdd_filter_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_FILTER);
}
static inline map_partitions_state *rdd_map_partitions_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_MAP_PARTITIONS);
}
static inline sample_state *rdd_sample_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_SAMPLE);
}
static inline zip_index_state *rdd_zip_index_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_ZIP_INDEX);
}
static inline parallelize_state *rdd_parallelize_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_PARALLELIZE);
}
static inline range_state *rdd_range_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_RANGE);
}
static inline text_source_state *rdd_text_source_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_TEXT_SOURCE);
}
static inline shuffled_state *rdd_shuffled_state(const kiln_rdd *r)
{
    return rdd_state_of(r, OPST_SHUFFLED);
}

/* For the ops' state codecs (lineage.c): a state that is one user
 * function, as a function reference (lineage.md); decoding refuses NULL
 * and names op in its messages. */
int lineage_fn_encode(kiln_buf *out, const void *fn);
int lineage_fn_decode(const uint8_t *p, size_t n, const char *op, void **fn);

/* Allocates an RDD owned by ctx with nparts partitions; copies env. Returns
 * NULL (error set) when out of memory. The RDD holds one reference, its
 * creator's handle (kiln_rdd_free releases it). */
kiln_rdd *rdd_new(kiln_context *ctx, const rdd_ops *ops, int nparts, const void *env,
                  size_t env_len);
/* Takes references on r's parents and on its shuffle dependencies'
 * parents, once they are all set (each op's constructor, a decoded
 * lineage): a child keeps its ancestors alive. */
void rdd_link(kiln_rdd *r);
/* Releases the creator's reference of tmp, an intermediate RDD the engine
 * built on the way to result (which references it when it was built), and
 * returns result; both may be NULL. */
kiln_rdd *rdd_drop_tmp(kiln_rdd *result, kiln_rdd *tmp);
/* Drops r's parents and dependencies (releasing them): a checkpoint cuts
 * the lineage. */
void rdd_unlink(kiln_rdd *r);
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

/* ---- Context ---------------------------------------------------------------- */

typedef struct accumulator {
    char *name;
    kiln_value total; /* int or double */
} accumulator;

typedef struct broadcast_derived broadcast_derived;

typedef struct broadcast {
    int64_t id;
    kiln_arena *arena;          /* holds v and its parts */
    kiln_value *v;              /* stays put while the table around it moves: tasks hold it */
    broadcast_derived *derived; /* kiln_broadcast_derived's value; stays put too */
} broadcast;

/* Frees a broadcast's value and what was derived from it. */
void broadcast_free(broadcast *b);

typedef struct thread_pool thread_pool;
typedef struct block_store block_store;

struct kiln_context {
    kiln_conf *conf; /* effective configuration */
    int cores;
    int max_attempts;
    int default_parallelism;
    thread_pool *pool;
    char *app_dir; /* this context's scratch directory under kiln.local.dir */
    /* kiln_context_set_checkpoint_dir: every directory set (the last one is
     * in use; older ones stay valid for checkpoints being written), under lock */
    char **checkpoint_dirs;
    int ncheckpoint_dirs;
    int64_t mem_budget;     /* kiln.executor.memory */
    int64_t mem_task_share; /* what one running task may hold before spilling */
    _Atomic int64_t mem_used, mem_peak;
    _Atomic uint64_t spill_seq; /* unique spill file names */
    _Atomic int64_t spill_count, spill_bytes, merge_passes;
    _Atomic int64_t task_attempts, failed_attempts;
    /* cluster mode: map outputs lost with their executor; shuffle bytes executors
     * fetched from each other, the time they waited for them, fetches retried */
    _Atomic int64_t lost_map_outputs, remote_fetch_bytes, remote_fetch_us, remote_fetch_retries;
    _Atomic int64_t speculative_attempts, speculative_wins;
    _Atomic int64_t next_sql_execution; /* SQL executions' ids (sql_events.c) */
    /* local_props.c: the context's serial for threads' local properties (0
     * until first used), running jobs of job groups, and how many of those
     * are cancelled (job_cancelled looks further only when some are) */
    _Atomic uint64_t props_serial;
    job_group_set *job_groups;
    _Atomic int group_cancels;
    /* kiln.speculation*: copies of straggling tasks (speculation.c); times in seconds */
    bool speculation;
    double spec_interval, spec_multiplier, spec_quantile, spec_min_runtime;
    /* kiln.excludeOnFailure.*: where failed tasks' retries may run (tasks.c) */
    bool exclude_on_failure;
    int exclude_task_max, exclude_stage_max;
    shuffle_store *shuffles;
    block_store *blocks;
    pthread_mutex_t lock; /* accumulators, ids */
    /* The live RDDs and shuffle deps (each knows its slot here; a released
     * one is swapped out), and the ids the next ones get (ids are never
     * reused) */
    kiln_rdd **rdds;
    size_t nrdds, cap_rdds;
    shuffle_dep **sdeps;
    size_t nsdeps, cap_sdeps;
    int next_rdd_id, next_dep_id;
    /* Live broadcasts by ascending id, each in its own arena; destroyed ones
     * wait in bgrave until no task runs here (a task may be reading one) */
    broadcast *bcasts;
    size_t nbcasts, cap_bcasts;
    broadcast *bgrave;
    size_t nbgrave, cap_bgrave;
    int64_t next_bcast;          /* the id the next broadcast gets (1 first) */
    _Atomic int tasks_running;   /* task_run_here calls in progress */
    _Atomic bool bgrave_waiting; /* bgrave is not empty */
    accumulator *accs;
    size_t naccs, cap_accs;
    int next_job, next_stage;
    /* Spark's stage numbering (dag.c): the stage id of each shuffle's map
     * side (by dep id, +1; 0: none yet), and the attempts each stage id has
     * had, under lock */
    int *dep_stage, *stage_tries;
    size_t cap_dep_stage, cap_stage_tries;
    _Atomic int64_t next_task_id; /* Spark's task ids: every attempt gets the next */
    /* kiln_context_cancel_jobs: every job with a smaller id is cancelled
     * (jobs are numbered as they start, so later ones run normally). On an
     * executor, the driver's job ids, set by its CANCEL_JOBS. */
    _Atomic int cancel_below;
    task_backend *backend; /* where tasks run: local threads or a cluster's executors */
    int backend_ships;     /* the backend runs tasks in other processes */
    event_bus *events;     /* listeners of jobs, stages, tasks and executors (events.c) */
    void *ui_store;        /* the session's status store (a listener of events), or NULL */
    /* An executor's hooks into its cached blocks (cluster/executor.c; NULL
     * elsewhere): a partition of a persisted RDD not cached here is asked
     * of the executor holding it (an iterator over it, or NULL on a miss);
     * one cached here is reported to the driver. */
    eng_iter *(*remote_block)(kiln_context *ctx, kiln_rdd *r, int part, kiln_task *t);
    void (*block_cached)(kiln_context *ctx, int rdd, int part);
};

/* ---- Cancellation (task.c) ---------------------------------------------------- */

/* Whether job was cancelled through its group (local_props.c; the slow half
 * of job_cancelled). */
bool job_group_cancelled(const kiln_context *ctx, int job);
/* Whether job (an id of ctx's numbering; negative: no job, as a function
 * run on the driver) has been cancelled (kiln_context_cancel_jobs,
 * kiln_context_cancel_job_group). */
static inline bool job_cancelled(const kiln_context *ctx, int job)
{
    if (job < 0) return false;
    if (job < atomic_load_explicit(&ctx->cancel_below, memory_order_relaxed)) return true;
    /* kiln_context_cancel_job_group (local_props.c) */
    return atomic_load_explicit(&ctx->group_cancels, memory_order_relaxed) > 0 &&
           job_group_cancelled(ctx, job);
}
/* Records on t that its job was cancelled ("job J cancelled", the first
 * cause wins) and returns KILN_EJOB. */
int task_cancel_error(kiln_task *t);

/* ---- Local properties and job groups (engine/local_props.c) --------------- */

/* The calling thread's local properties of ctx, for the job it submits:
 * *kv gets n key/value pairs (kv[2i], kv[2i+1]; borrowed, valid until the
 * thread changes them), and a job with spark.jobGroup.id is listed under
 * its group until local_props_job_end; returns whether it was listed. */
bool local_props_job_begin(kiln_context *ctx, int job, const char *const **kv, int *n);
void local_props_job_end(kiln_context *ctx, int job);
/* The context goes: the calling thread's properties of it and the group lists. */
void local_props_release(kiln_context *ctx);

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

/* ---- Shuffle dependencies ------------------------------------------------- */

typedef enum dep_part { DEP_HASH, DEP_CUSTOM, DEP_RANGE, DEP_ROUND_ROBIN } dep_part;

/* Map-side (and reduce-side) combining of values by key. */
typedef struct aggregator {
    kiln_map_fn create;         /* NULL: the value itself is the combiner */
    kiln_reduce_fn merge_value; /* (combiner, value) */
    kiln_reduce_fn merge_comb;  /* (combiner, combiner) */
    const kiln_value *zero;     /* non-NULL: create = merge_value(zero, v) */
    const void *env;
} aggregator;

struct shuffle_dep {
    int id;
    kiln_rdd *parent; /* referenced by the dep once its owner is linked (rdd_link) */
    kiln_rdd *owner;  /* the reduce-side RDD reading it, which owns it (set by shuffled()) */
    size_t slot;      /* its index in ctx->sdeps */
    int nreduce;
    dep_part part;
    kiln_partitioner_fn pfn;
    const void *penv;
    kiln_value *bounds; /* DEP_RANGE: nreduce-1 sorted keys */
    size_t nbounds;
    bool descending;
    bool has_agg;
    aggregator agg;
    kiln_value agg_zero; /* what agg.zero points to when set (parts in the owner's arena) */
};

/* Creates a shuffle dependency owned by the context. */
shuffle_dep *dep_new(kiln_rdd *parent, int nreduce, dep_part part);
/* Partition of a record's key (pairs) or of the record (round robin). */
int dep_partition(const shuffle_dep *d, const kiln_value *key);

/* ---- Block store (engine/block_store.c) ---------------------------------- */

/* Holds cached partitions; blocks in memory may hold `limit` bytes. */
block_store *block_store_new(int64_t limit);
void block_store_free(block_store *s);
/* An iterator over the cached partition, or NULL with *hit false. */
eng_iter *block_store_get(kiln_context *ctx, int rdd, int part, kiln_task *t, bool *hit);
/* Drops every unpinned block of rdd. */
void block_store_drop_rdd(kiln_context *ctx, int rdd);
/* Blocks of rdd; *memory bytes in memory and *disk blocks on disk (may be NULL). */
int block_store_count(kiln_context *ctx, int rdd, int64_t *memory, int64_t *disk);

/* Files of values in lz4 blocks (cached blocks on disk, checkpoints, sorted
 * runs): values_file_add encodes v into raw (KILN_ERANGE for a record over
 * block_max_record(), naming both sizes) and, like values_file_append, writes
 * raw's encodings to fd as blocks once they fill one, or when last (a big
 * record in a block of its own; enc is the scratch block); and an iterator
 * over such a file (never deleted by it). */
int values_file_add(int fd, const char *path, kiln_buf *raw, kiln_buf *enc, const kiln_value *v,
                    bool last);
int values_file_append(int fd, const char *path, kiln_buf *raw, kiln_buf *enc, bool last);
eng_iter *values_file_iterator(kiln_context *ctx, const char *path, kiln_task *t);

/* ---- Jobs --------------------------------------------------------------- */

/* Runs a job over the given partitions of r (all when parts is NULL),
 * running missing parent shuffle stages first. results[i] receives partition
 * parts[i]'s output (caller initialises and releases them). Returns KILN_OK
 * or the failing task's code (KILN_EJOB when none) with the message naming
 * job, stage, partition, attempt and cause. */
int job_run(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
            kiln_buf *results, const char *action);

/* job_run for an action whose per-partition function can also run where the
 * records are (ship, engine.h), when the backend runs tasks elsewhere. */
int job_run_shipped(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
                    const shipped_action *ship, kiln_buf *results, const char *action);
/* Lists fn as a function executors may run for an action. */
#define SHIPPED_ACTION(fn)                                                                         \
    static const part_result_fn shipped_##fn                                                       \
        __attribute__((section("kiln_shipped_actions"), used)) = fn
bool shipped_action_valid(part_result_fn fn);

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

/* ---- Task backends and events --------------------------------------------- */

/* The local backend: tasks on the context's pool threads (backend_local.c). */
task_backend *local_backend_new(kiln_context *ctx);
/* A context's event bus (events.c). */
event_bus *event_bus_new(void);
void event_bus_free(event_bus *b);

#endif
