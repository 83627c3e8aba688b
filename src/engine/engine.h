/*
 * engine/engine.h - what the layers above the engine may use of it: the
 * session (which makes contexts and picks their task backend), the cluster
 * runtime (which implements a backend and runs tasks in executors) and the
 * ui (which listens to the event bus). Everything else of the engine is in
 * engine/engine_int.h, which only src/engine sees.
 *
 * The engine owns the interfaces and the layers above implement them, as
 * Spark's SchedulerBackend: the DAG scheduler hands each task to the
 * context's task_backend, which runs it on a local thread (the engine's own
 * backend) or on an executor process (src/cluster), where the engine's task
 * runner (task_run_here) computes it.
 */
#ifndef KILN_ENGINE_H
#define KILN_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "base/conf.h"
#include "kiln.h"
#include "shuffle/shuffle.h"

#pragma GCC visibility push(hidden)

#define ENG_BATCH 1024 /* values per batch produced by sources */

/* ---- Iterators ------------------------------------------------------------ */

typedef struct eng_iter eng_iter;
struct eng_iter {
    /* Returns 1 with a batch (*vals borrowed until the next call; *n may be
     * 0 only at the end), 0 at the end, or a negative error recorded on t. */
    int (*next)(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n);
    void (*close)(eng_iter *it);
};

/* An iterator over a borrowed array, handed out in batches. */
eng_iter *iter_over_array(const kiln_value *vals, size_t n);

/* ---- Tasks ---------------------------------------------------------------- */

/* ---- Task metrics ------------------------------------------------------------ *
 * What one task attempt did, as Spark's TaskMetrics: collected by the task
 * runner as the task runs (task_run_here, sources, save, shuffle write and
 * read, spills), carried back from an executor with the task's result
 * (cluster/cluster_msg.c) and posted on EV_TASK_END. Shuffle bytes count
 * the records' encodings before compression, on both sides, so the bytes a
 * map stage writes are the bytes the stages after it read. X(member, unit)
 * lists every field once, in the wire order. */
#define TASK_METRICS(X)                                                                            \
    X(run_time, "ms")          /* executor run time */                                             \
    X(cpu_time, "ns")          /* the task thread's CPU time */                                    \
    X(result_size, "bytes")    /* the result sent to the driver */                                 \
    X(memory_spilled, "bytes") /* in-memory size of what was spilled */                            \
    X(disk_spilled, "bytes")   /* what spilling wrote to disk */                                   \
    X(peak_memory, "bytes")    /* the most execution memory the task held */                       \
    X(input_bytes, "bytes")    /* read by sources (text: the lines and their ends) */              \
    X(input_records, "records")                                                                    \
    X(output_bytes, "bytes") /* written by save actions */                                         \
    X(output_records, "records")                                                                   \
    X(sr_remote_blocks, "blocks") /* shuffle read: map outputs fetched from other executors */     \
    X(sr_local_blocks, "blocks")  /* ... read from this process's store */                         \
    X(sr_fetch_wait, "ms")                                                                         \
    X(sr_remote_bytes, "bytes")                                                                    \
    X(sr_local_bytes, "bytes")                                                                     \
    X(sr_records, "records")                                                                       \
    X(sw_bytes, "bytes") /* shuffle write */                                                       \
    X(sw_records, "records")                                                                       \
    X(sw_time, "ns")                                                                               \
    X(deser_time, "ms")      /* decoding the task before it runs (executors: its lineage) */       \
    X(deser_cpu_time, "ns")  /* ... the CPU time of that */                                        \
    X(result_ser_time, "ms") /* encoding the result message (executors); last: patched in place */
#define TASK_METRIC_MEMBER(m, unit) int64_t m;
typedef struct task_metrics {
    TASK_METRICS(TASK_METRIC_MEMBER)
} task_metrics;
#undef TASK_METRIC_MEMBER
/* Adds b's counts into a (peak_memory: the larger). */
void task_metrics_add(task_metrics *a, const task_metrics *b);
/* Counts a spill by task t (t may be NULL) and by its context: bytes is the
 * in-memory size of what was spilled (memory_spilled). What the spill wrote
 * to disk (compressed) is counted apart, by task_note_spill_disk where the
 * file is written. */
void task_note_spill(kiln_context *ctx, kiln_task *t, int64_t bytes);
/* Counts bytes a spill of task t (may be NULL) wrote to disk (disk_spilled). */
void task_note_spill_disk(kiln_task *t, int64_t bytes);

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
    /* Placement, between the scheduler and the backend (run_task): the
     * executors this attempt should avoid (kiln.excludeOnFailure.*), and
     * where it ran: the backend's number for that executor process (-1:
     * this process) and its id as users see it ("driver" here). */
    const int *exclude;
    int nexclude;
    int executor;
    char executor_id[16];
    const char *input_file; /* the file a text source of the task reads */
    acc_update *accs;
    size_t naccs, cap_accs;
    int64_t mem_held;      /* bytes reserved with kiln_task_memory_reserve, not yet released */
    int64_t mem_held_peak; /* the most mem_held has been */
    int64_t task_id;       /* the context's number for this attempt (Spark's task id) */
    task_metrics metrics;  /* what the attempt did so far */
    /* Posting EV_TASK_START once the backend knows where the attempt runs
     * (task_launched); set by the scheduler, NULL elsewhere. */
    void (*on_launch)(kiln_task *t, void *arg);
    void *launch_arg;
    bool launched;
};

/* Called by a task backend once it has placed t (t->executor and
 * executor_id set) and before the task runs: posts the task's EV_TASK_START
 * with where it runs, once (later calls do nothing). */
void task_launched(kiln_task *t);

/* Records err as the task's failure unless one is already recorded (the
 * first cause wins); returns err. */
int task_error(kiln_task *t, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Calls a user function's result through: a nonzero rc becomes a task
 * failure naming what (e.g. "map function") when the user gave no message. */
int task_user_rc(kiln_task *t, int rc, const char *what);

/* Computes one partition's result into out (encoded bytes) from the
 * partition's iterator. */
typedef int (*part_result_fn)(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg);

/* An action whose per-partition function can run where the records are
 * (an executor): remote is called there with a wire_arg over the bytes
 * given here, and its result bytes come back as fn's would. Without one, an
 * executor sends the partition's records and fn runs in the driver. remote
 * must be listed with SHIPPED_ACTION (engine_int.h; an executor runs no
 * other). */
typedef struct wire_arg {
    const uint8_t *p;
    size_t n;
} wire_arg;
typedef struct shipped_action {
    part_result_fn remote;
    const void *wire;
    size_t wire_len;
} shipped_action;
/* Whether fn was listed with SHIPPED_ACTION. */
bool shipped_action_valid(part_result_fn fn);

/* Runs task t in this process: a map task of dep (partitioning the records
 * of dep's parent's partition t->partition into its map output) when dep is
 * set, else fn over partition t->partition of rdd into *result. t's ids are
 * set by the caller; t->scratch is made and freed here. Returns KILN_OK or
 * the error, recorded on t (and its fetch failure, if any); t's
 * accumulator updates are on t afterwards. Local threads and executors run
 * every task through this. */
int task_run_here(kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep, part_result_fn fn, void *arg,
                  kiln_buf *result);
/* A part_result_fn that appends the encodings of the partition's values
 * to out (an executor sending records back to the driver). */
int task_encode_records(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg);

/* ---- Task backends ---------------------------------------------------------- */

typedef struct task_backend task_backend;
/* What the context has let go of, for its backend (task_backend_ops.cleanup). */
typedef enum cleanup_kind {
    CLEAN_RDD,       /* an RDD was destroyed: its cached blocks, its decoded node */
    CLEAN_SHUFFLE,   /* a shuffle was dropped with its reduce side: its map outputs */
    CLEAN_BROADCAST, /* a broadcast was destroyed: its value */
} cleanup_kind;
typedef struct task_backend_ops {
    const char *name; /* "local", "cluster" */
    /* Task slots (the application's cores). */
    int (*cores)(task_backend *b);
    /* Runs task t (ids set) of a stage: a map task of dep when dep is set,
     * else a result task whose records fn consumes into *result, or whose
     * shipped action (ship, may be NULL) runs where the records are. Sets
     * t's error (and fetch failure) on failure and its accumulator updates
     * on success. A backend with several executors runs it on none of
     * t->exclude while a live one not listed exists (waiting for one of
     * those to be free), and sets t->executor and t->executor_id to the
     * one it ran on, also when it failed (a backend that runs tasks in this
     * process leaves them). Called from the context's pool threads,
     * concurrently. */
    int (*run_task)(task_backend *b, kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep,
                    part_result_fn fn, void *arg, const shipped_action *ship, kiln_buf *result);
    /* Partitions of RDD rdd cached wherever tasks run. */
    int (*cached_partitions)(task_backend *b, int rdd);
    /* Drops rdd's cached partitions wherever tasks run (the context has
     * dropped its own). */
    void (*unpersist)(task_backend *b, int rdd);
    /* The context has let go of what kind and id name, and dropped its own
     * copy: drop it wherever tasks run. Called from any thread, with no
     * lock of the context held, possibly from a task's thread: it must
     * not block (the cluster queues it for its executors). NULL: nothing
     * to do (tasks run on the context's own data). */
    void (*cleanup)(task_backend *b, cleanup_kind kind, int64_t id);
    /* Every job of the context with an id below `below` has been cancelled
     * (kiln_context_cancel_jobs): tell wherever tasks run, so that their
     * running attempts stop at their next check (kiln_task_cancelled).
     * Called from any thread; must not block (the cluster has a thread of
     * its own send it). NULL: tasks run on the context's own threads and
     * see it there. */
    void (*cancel)(task_backend *b, int below);
    /* Job `job` alone has been cancelled (kiln_context_cancel_job_group):
     * the same, for one job. */
    void (*cancel_job)(task_backend *b, int job);
    /* Stops the backend and frees it (kiln_context_free). */
    void (*stop)(task_backend *b);
    /* Tasks run in other processes: actions ship their functions. */
    bool remote;
} task_backend_ops;
struct task_backend {
    const task_backend_ops *ops;
};

/* ---- Contexts, for the session and the cluster ------------------------------- */

/* Makes a context from a resolved configuration (takes conf): memory
 * budget, scratch directory and shuffle store, but no threads and no task
 * backend yet (ctx_start). Errors name the configuration key. */
int ctx_new(kiln_conf *conf, kiln_context **out);
/* Starts ctx's pool of `cores` threads running tasks through backend
 * (takes it; NULL: the engine's local backend), with max_attempts attempts
 * per task. */
int ctx_start(kiln_context *ctx, task_backend *backend, int cores, int max_attempts);
/* The backend ctx runs tasks through (borrowed). */
task_backend *ctx_backend(kiln_context *ctx);
/* The status store the session keeps for the UI (ui/ui_status.h), as an
 * opaque pointer the engine only holds: NULL when kiln.ui.enabled is false. */
void ctx_set_ui_store(kiln_context *ctx, void *store);
void *ctx_ui_store(const kiln_context *ctx);
/* The effective configuration (borrowed, for the life of ctx). */
const kiln_conf *ctx_conf(const kiln_context *ctx);
/* The context's scratch directory (kiln.local.dir/kiln-XXXXXX). */
const char *ctx_scratch_dir(const kiln_context *ctx);
/* The shuffle store map outputs are written to and read from; an executor
 * replaces it (takes s) with one in the directory it serves. */
shuffle_store *ctx_shuffles(kiln_context *ctx);
void ctx_set_shuffles(kiln_context *ctx, shuffle_store *s);
/* Registers every shuffle dependency of ctx with its shuffle store (an
 * executor, after decoding a lineage). */
void ctx_register_shuffles(kiln_context *ctx);
/* An executor's hooks into its cached blocks: a partition of a persisted
 * RDD not cached here is asked of remote_block (an iterator, or NULL on a
 * miss); one cached here is reported through block_cached. */
void ctx_set_block_hooks(kiln_context *ctx,
                         eng_iter *(*remote_block)(kiln_context *ctx, kiln_rdd *r, int part,
                                                   kiln_task *t),
                         void (*block_cached)(kiln_context *ctx, int rdd, int part));
/* Broadcast values: (u64 id, value encoding) of each live broadcast with
 * an id above `after`, ascending, appended to out; *count gets how many,
 * *last the largest id ctx has given so far (ids are never reused). */
int ctx_broadcasts_encode(kiln_context *ctx, int64_t after, kiln_buf *out, uint32_t *count,
                          int64_t *last);
/* An executor keeps a broadcast the driver sent, under the driver's id
 * (deep-copied; one it has already is kept as it is). */
int ctx_broadcast_put(kiln_context *ctx, int64_t id, const kiln_value *v);
/* An executor learns that the driver has given ids up to last: one of
 * them it does not hold was destroyed (kiln_broadcast_value says so). */
void ctx_broadcasts_seen(kiln_context *ctx, int64_t last);
/* Tasks running here now through task_run_here (a destroyed broadcast's
 * value is freed once none is). */
void ctx_task_begin(kiln_context *ctx);
void ctx_task_end(kiln_context *ctx);
/* Cancels every job of ctx with an id below `below` (never un-cancels
 * one): an executor told by its driver (CANCEL_JOBS), whose tasks carry
 * the driver's job ids. Any thread. */
void ctx_cancel_jobs_below(kiln_context *ctx, int below);
/* Cancels job `job` of ctx alone: an executor told by its driver
 * (CANCEL_JOB, a job of a cancelled group). The executor remembers the
 * last 256 jobs cancelled alone (local_props.c). Any thread. */
void ctx_cancel_job(kiln_context *ctx, int job);
/* Cluster metrics: map outputs lost with an executor, shuffle bytes
 * fetched from other executors, the microseconds waited for them and the
 * fetches retried. */
void ctx_note_lost_map_outputs(kiln_context *ctx, int64_t n);
void ctx_note_remote_fetch(kiln_context *ctx, int64_t bytes, int64_t us, int64_t retries);

/* ---- The RDD graph, as the cluster sees it ----------------------------------- */

/* A shuffle dependency's id, its map side (the parent RDD) and its counts
 * of map and reduce partitions. */
int dep_id(const shuffle_dep *d);
kiln_rdd *dep_parent(const shuffle_dep *d);
int dep_maps(const shuffle_dep *d);
int dep_reduces(const shuffle_dep *d);
/* The RDD that reads d (its reduce side), or NULL. */
kiln_rdd *ctx_dep_owner(kiln_context *ctx, const shuffle_dep *d);
/* One more reference on r, for as long as the caller uses it (an executor
 * running a task on r); rdd_release drops one (NULL is ignored), and the
 * last destroys r, which releases its parents in turn. Any thread. */
void rdd_retain(kiln_rdd *r);
void rdd_release(kiln_rdd *r);
/* r's storage level. */
kiln_storage_level rdd_storage_level(const kiln_rdd *r);
/* r's one narrow parent when r has exactly one and no shuffle dependency
 * (a partition of r is computed from the same partition of it), else NULL. */
kiln_rdd *rdd_narrow_parent(const kiln_rdd *r);
/* Calls fn for every shuffle the tasks of r read (r's own dependencies and
 * those of its narrow ancestors; a shuffle's map side is another stage) and
 * for every persisted RDD among r and those ancestors (shuffle -1 and the
 * RDD's id in rdd). Stops at fn's first error and returns it. */
int rdd_walk_stage(const kiln_rdd *r, int (*fn)(void *arg, int shuffle, int rdd), void *arg);

/* ---- Lineage as bytes (engine/lineage.c) ---------------------------------- *
 * The graph an RDD depends on (parents, and the parents of its shuffle
 * dependencies), for an executor process running the same program. RDD and
 * shuffle ids are kept: decoding into an executor's context gives each RDD
 * and dependency the driver's id (RDDs already decoded are reused, so their
 * cached partitions stay valid). Function pointers travel as build id and
 * offset (base/fnref.h). KILN_EINVAL naming the op for an RDD whose state
 * cannot travel. */
int lineage_encode(kiln_rdd *r, kiln_buf *out);
/* Decodes into ctx; *out is the RDD that was encoded. */
int lineage_decode(kiln_context *ctx, const uint8_t *p, size_t n, kiln_rdd **out);
/* The shuffle dependency with the driver's id in a decoded context, or NULL. */
shuffle_dep *lineage_dep(kiln_context *ctx, int id);
/* The driver released RDD id: the RDD decoded under it (if any) drops the
 * reference its decoding took, and goes when nothing here needs it. The
 * caller serialises this with lineage_decode. */
void lineage_release(kiln_context *ctx, int id);

/* ---- Cached blocks, for an executor's block manager (block_store.c) ------- */

/* Caches the computed partition (takes arena and *vv) and returns an iterator
 * over it; when it cannot be kept it is still served once. */
eng_iter *block_store_put(kiln_context *ctx, int rdd, int part, kiln_storage_level level,
                          kiln_arena *arena, val_vec *vv, kiln_task *t);
/* Whether partition part of rdd is cached here. */
bool block_store_has(kiln_context *ctx, int rdd, int part);
/* Whether partition part of rdd is cached here, and its size: *memory the
 * bytes it holds in memory, *disk its file's size when it is on disk. */
bool block_store_size(kiln_context *ctx, int rdd, int part, int64_t *memory, int64_t *disk);
/* Appends the encodings of the values of a cached partition to out;
 * KILN_ENOENT when it is not cached here. */
int block_store_encode(kiln_context *ctx, int rdd, int part, kiln_buf *out);
/* Drops every unpinned block of rdd. */
void block_store_drop_rdd(kiln_context *ctx, int rdd);

/* ---- Events (engine/events.c) ------------------------------------------------ *
 * The engine's event bus, as Spark's LiveListenerBus: the scheduler posts
 * job, stage and task starts and ends (with the task's metrics), the
 * cluster posts executors added and lost, the block store cached blocks.
 * Listeners are called synchronously on the posting thread (a scheduler or
 * task thread, so they must be thread-safe and quick); the progress bar is
 * one, the web UI and the event log will be others. */
typedef enum engine_event_kind {
    EV_JOB_START,
    EV_JOB_END,
    EV_STAGE_START,
    EV_STAGE_END,
    EV_STAGE_PROGRESS, /* about every 100 ms while a stage runs */
    EV_TASK_START,
    EV_TASK_END,
    EV_EXECUTOR_ADDED,
    EV_EXECUTOR_LOST,
    EV_BLOCK_UPDATED,
    EV_APP_START,   /* the session made the context (name: the app name; message: its id) */
    EV_APP_END,     /* the context stops */
    EV_ENVIRONMENT, /* the effective configuration (conf) */
    EV_UNPERSIST,   /* an RDD's cached blocks were dropped (rdd) */
    EV_SQL_START,   /* an SQL execution starts (sql_execution, name: its description,
                       plan: the physical plan's text) */
    EV_SQL_END,     /* it ends (sql_execution; message: its error, NULL when it succeeded) */
    EV_SQL_PLAN,    /* its operators are known (sql_execution; plan_info: SparkPlanInfo as
                       JSON; plan: the physical plan's text, NULL: unchanged) */
} engine_event_kind;

/* An RDD a stage computes (Spark's RDDInfo). */
typedef struct engine_rdd_info {
    int id;
    const char *name; /* its op ("map", "text_file"...) */
    int partitions;
    kiln_storage_level storage;
    int parent; /* its first parent's id, -1: none */
} engine_rdd_info;

/* A stage (Spark's StageInfo): on job start, each stage the job may run
 * (parents before children, the result stage last); on stage start and end,
 * that stage. Everything borrowed for the call. */
typedef struct engine_stage_info {
    int id, attempt;
    const char *name;
    int tasks; /* partitions it computes */
    const int *parents;
    int nparents;
    const engine_rdd_info *rdds;
    int nrdds;
} engine_stage_info;

typedef struct engine_event {
    engine_event_kind kind;
    double time; /* now_seconds() when posted */
    int job, stage, partition, attempt;
    const char *name;    /* job: the action; stage: its RDD's op; executor, task start and
                            end: the executor's id (borrowed; task start: NULL when the
                            backend failed before placing it) */
    int tasks;           /* stage start: tasks to run; stage end: tasks that finished;
                            progress: the stage's tasks */
    int done, running;   /* stage progress: tasks finished and running now */
    int rc;              /* job, stage and task end: KILN_OK or the error */
    const char *message; /* an error's message, an executor's loss (borrowed) */
    bool speculative;    /* task: a copy of a straggler */
    bool shuffle_map;    /* task: of a map stage (Spark's ShuffleMapTask) */
    int executor;        /* executor events, task start and end: the backend's number for the
                            executor (where the attempt runs, its id in name; -1: this
                            process, "driver", or a task start never placed) */
    double duration;     /* task and stage end: seconds */
    int64_t result_bytes;
    int rdd, part;      /* block updated */
    int64_t bytes;      /* block updated: its size in memory */
    int64_t disk_bytes; /* block updated: its size on disk */
    /* task start and end: the attempt's number in the context, and its
     * metrics (task end only; borrowed) */
    int64_t task_id;
    int stage_attempt;
    const task_metrics *metrics;
    /* job start: the stages it may run; stage start and end: the one (attempt:
     * the stage's attempt); borrowed */
    const engine_stage_info *stages;
    int nstages;
    /* executor added: its host, cores and memory budget; block updated: the
     * storage level (storage) and where (executor, name); environment:
     * the configuration (conf) */
    const char *host;
    int cores;
    int64_t memory;
    kiln_storage_level storage;
    const kiln_conf *conf;
    const char *user; /* application start */
    /* SQL start and end: the execution's id; job start: the execution the job
     * runs for (Spark's spark.sql.execution.id property), -1: none */
    int64_t sql_execution;
    const char *plan;      /* SQL start: the physical plan as EXPLAIN prints it */
    const char *plan_info; /* SQL plan: SparkPlanInfo as JSON */
    /* task end of an attempt that succeeded: its accumulator updates
     * (Spark's TaskInfo.accumulables; the SQL operators' metrics among
     * them); borrowed */
    const acc_update *accs;
    size_t naccs;
    /* job start: the submitting thread's local properties of the context
     * (kiln_context_set_local_property: spark.job.description,
     * spark.jobGroup.id...), nprops key/value pairs props[2i], props[2i+1];
     * borrowed */
    const char *const *props;
    int nprops;
} engine_event;

typedef struct event_bus event_bus;
typedef void (*event_listener)(void *arg, const engine_event *e);
/* Adds a listener to ctx's bus; release (may be NULL) is called with arg
 * when the context is freed. */
int events_subscribe(kiln_context *ctx, event_listener fn, void *arg, void (*release)(void *));
/* Calls every listener of ctx with e (e->time is set here). */
void events_post(kiln_context *ctx, engine_event *e);
/* Whether ctx has any listener (posting can be skipped when it has none). */
bool events_wanted(const kiln_context *ctx);
/* The SQL execution the calling thread runs (sql_events.c), -1: none. */
int64_t sql_execution_current(void);
/* The value of key among a job start's properties (e->props), or NULL. */
const char *engine_event_prop(const engine_event *e, const char *key);

#pragma GCC visibility pop

#endif
