/*
 * kiln.h - the public C API of kiln, a data-processing engine in the family
 * of Apache Spark: lazy resilient distributed datasets (RDDs) of dynamic
 * values, transformations and actions, run by a DAG scheduler on a pool of
 * executor threads.
 *
 * Ownership rule for the whole API: RDDs, broadcasts and accumulators belong
 * to their context and die with it at the latest; a program that lives long
 * gives back the RDDs and broadcasts it no longer needs earlier
 * (kiln_rdd_free, kiln_broadcast_destroy), which also deletes their shuffle
 * files and cached blocks everywhere. Values returned by actions are built
 * in an arena the caller passes in and owns; every input is borrowed and
 * copied where it must outlive the call.
 *
 * Transformations return NULL on error (and accept NULL, returning NULL), so
 * a chain can be checked once at the action: the action then returns
 * KILN_EINVAL and kiln_last_error() keeps the first message.
 */
#ifndef KILN_H
#define KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "kiln/value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of kiln, the one place it is written ("MAJOR.MINOR.PATCH"). */
#define KILN_VERSION "0.1.0"
/* Returns KILN_VERSION of the library linked in (static string). */
KILN_API const char *kiln_version(void);

/* ---- Start-up, configuration, context ------------------------------------ */

typedef struct kiln_conf kiln_conf;
typedef struct kiln_context kiln_context;
typedef struct kiln_rdd kiln_rdd;

/* Call first in main. Removes the options kiln owns from argv (--master M,
 * --conf key=value, and their --opt=value forms) and remembers them; they
 * rank between code and the conf file. Returns KILN_OK or KILN_ECONF. */
KILN_API int kiln_init(int *argc, char ***argv);

/* Answers what every kiln program answers; call after kiln_init. --help or
 * -h prints "usage: " and usage to stdout (with the kiln_init options
 * described after it when usage mentions --master); --version prints
 * "NAME (kiln) KILN_VERSION" (NAME: argv[0]'s last component). Any other
 * argument starting with '-' (but "-" alone) that is not in options is an
 * error, printed on stderr with usage's first line. options lists the
 * program's own options, space-separated, "=" at the end of those taking a
 * value ("-n= --folds= --verbose"; given as "--folds K", "--folds=K" or
 * "-nK"), or is NULL. Arguments after "--" are not looked at. Borrows all;
 * argv is not changed. Returns -1 when the program should go on, else the
 * status main should return: 0 after --help or --version, 2 after a bad
 * option. Typical use:
 *     int done = kiln_args_check(argc, argv, "wc [--master M] INPUT OUT", NULL);
 *     if (done >= 0) return done; */
KILN_API int kiln_args_check(int argc, char **argv, const char *usage, const char *options);

/* The command that executor processes started by this program run
 * (local-cluster mode, and on a standalone cluster's workers, where argv[0]
 * must exist too): argv[0] an absolute path, at most 16 words,
 * NULL-terminated; copied. By default (NULL, or never called) an executor
 * is this program itself with no arguments. A program run by an
 * interpreter names the command that loads it again, e.g. the Python
 * package: {"/usr/bin/python3", "-m", "kiln.executor", NULL}; that command
 * must call kiln_init, which then serves tasks. Returns KILN_OK,
 * KILN_EINVAL or KILN_ENOMEM. */
KILN_API int kiln_set_executor_command(const char *const *argv);

/* The files that command needs on a host other than this one (a standalone
 * cluster's workers): absolute paths of regular files, at most 128,
 * NULL-terminated; copied (NULL clears them). Each is shipped with the
 * application like kiln.files (fetched by sha256, cached) and linked into
 * each executor's working directory under its base name, where the command
 * finds it. The Python package names its extension module, a zip of the
 * kiln package and the --py-files here. Returns KILN_OK, KILN_EINVAL or
 * KILN_ENOMEM. */
KILN_API int kiln_set_executor_files(const char *const *paths);

/* Sets the process's log threshold (Spark's setLogLevel): ALL, TRACE,
 * DEBUG, INFO, WARN (the default, or $KILN_LOG_LEVEL), ERROR, FATAL or OFF,
 * in any case. Returns KILN_OK or KILN_EINVAL naming the level. */
KILN_API int kiln_set_log_level(const char *level);

/* Returns an owned, empty configuration (NULL when out of memory). */
KILN_API kiln_conf *kiln_conf_new(void);
KILN_API void kiln_conf_free(kiln_conf *conf);
/* Copies key and value. Returns KILN_OK or KILN_ENOMEM. */
KILN_API int kiln_conf_set(kiln_conf *conf, const char *key, const char *value);
/* Returns borrowed value, valid until the key is set again, or NULL. */
KILN_API const char *kiln_conf_get(const kiln_conf *conf, const char *key);

/* Creates a context. conf (borrowed, may be NULL) ranks above --master and
 * --conf flags, which rank above $KILN_SUBMIT_CONF, then the defaults file
 * ($KILN_CONF_DIR/kiln-defaults.conf, else the installation's
 * etc/kiln/kiln-defaults.conf), then $KILN_MASTER. Unknown kiln.* keys are
 * logged as warnings with the nearest known key; spark.* names of kiln's
 * keys are read as them (`kiln conf --keys` lists the keys).
 * Keys: kiln.master = local | local[N] | local[*] | local[N,F] (F attempts
 * per task, default 1 in local mode as Spark), kiln.default.parallelism,
 * kiln.app.name, kiln.ui.showConsoleProgress (true/false),
 * kiln.executor.memory (default 1g; each of the N task threads may hold
 * 1/N of it before spilling), kiln.local.dir (scratch files),
 * kiln.shuffle.compress.codec (lz4, zstd, none).
 * Returns KILN_OK or KILN_ECONF with a message naming the key, the value
 * and where it came from (code, a flag, a file and line...). */
KILN_API int kiln_context_new(const kiln_conf *conf, kiln_context **out);
/* Frees the context and every RDD, broadcast and accumulator it owns
 * (NULL is ignored). */
KILN_API void kiln_context_free(kiln_context *ctx);
/* Returns the effective value of key (borrowed, valid for the context's
 * life), or NULL. */
KILN_API const char *kiln_context_conf(const kiln_context *ctx, const char *key);
KILN_API int kiln_context_cores(const kiln_context *ctx);
KILN_API int kiln_context_default_parallelism(const kiln_context *ctx);
KILN_API int kiln_context_max_attempts(const kiln_context *ctx);

/* Cancels every job of ctx running now (Spark's cancelAllJobs), from any
 * thread while ctx is live (an interrupt watcher's, say): each fails with
 * KILN_EJOB and "job J cancelled" (kiln_last_error on the thread that ran
 * it) within about 100 ms; its queued tasks are not started, its running
 * tasks stop at their next pull of records or their function's next check
 * (kiln_task_cancelled), on executors too, and no more of its tasks'
 * results or accumulator updates are applied. The engine cannot interrupt
 * a user function: one that runs long without checking keeps its thread
 * (or executor slot) until it returns, though its job has already failed,
 * and kiln_context_free waits for it. Jobs started afterwards run
 * normally; with no job running this does nothing. Returns KILN_OK. */
KILN_API int kiln_context_cancel_jobs(kiln_context *ctx);

/* Local properties (Spark's setLocalProperty / getLocalProperty): string
 * properties of the calling thread for ctx, copied into each job the
 * thread submits afterwards (the web UI, the REST API and the event log's
 * job "Properties" show them). Another thread's jobs do not see them, and a
 * new thread starts with none. Set copies key and value; a NULL value
 * removes the key. Returns KILN_OK, KILN_EINVAL (no context or key),
 * KILN_ENOMEM. */
KILN_API int kiln_context_set_local_property(kiln_context *ctx, const char *key, const char *value);
/* The calling thread's value of key for ctx (borrowed: valid until this
 * thread sets or removes key, or frees ctx), or NULL. */
KILN_API const char *kiln_context_get_local_property(const kiln_context *ctx, const char *key);
/* A copy of the calling thread's local properties of ctx, for another
 * thread to adopt (as Spark's InheritableThreadLocal hands them to threads
 * a program starts): returns owned (kiln_local_props_free), NULL when the
 * thread has none (or out of memory). */
typedef struct kiln_local_props kiln_local_props;
KILN_API kiln_local_props *kiln_context_local_props_copy(const kiln_context *ctx);
/* Replaces the calling thread's local properties of ctx with p's (NULL:
 * none). KILN_OK, KILN_EINVAL, KILN_ENOMEM. */
KILN_API int kiln_context_local_props_adopt(kiln_context *ctx, const kiln_local_props *p);
KILN_API void kiln_local_props_free(kiln_local_props *p);
/* Describes the jobs this thread submits from now on (Spark's
 * setJobDescription: the property spark.job.description); the UI shows it
 * above the job's action. NULL clears it. Returns as
 * kiln_context_set_local_property. */
KILN_API int kiln_context_set_job_description(kiln_context *ctx, const char *description);
/* Puts the jobs this thread submits from now on in group group_id, with a
 * description (NULL: none) (Spark's setJobGroup: spark.jobGroup.id,
 * spark.job.description, spark.job.interruptOnCancel; kiln never
 * interrupts a running function, whatever interrupt_on_cancel says: its
 * tasks stop at their next check, as with kiln_context_cancel_jobs).
 * KILN_EINVAL when group_id is NULL. */
KILN_API int kiln_context_set_job_group(kiln_context *ctx, const char *group_id,
                                        const char *description, bool interrupt_on_cancel);
/* Removes the thread's job group and description (Spark's clearJobGroup). */
KILN_API int kiln_context_clear_job_group(kiln_context *ctx);
/* Cancels the running jobs of group group_id, from any thread (Spark's
 * cancelJobGroup): each fails as with kiln_context_cancel_jobs ("job J
 * cancelled"); jobs of other groups, and jobs of the group started later,
 * run normally. Their running tasks, here or on executors, stop at their
 * next check (kiln_task_cancelled), also after their job has failed.
 * Returns KILN_OK (also when no job of the group runs). */
KILN_API int kiln_context_cancel_job_group(kiln_context *ctx, const char *group_id);

/* What the context's jobs have done so far (as Spark's task metrics). */
typedef struct kiln_metrics {
    int64_t memory_budget; /* kiln.executor.memory, bytes */
    int64_t memory_peak;   /* most bytes held at once by accounted consumers */
    int64_t spill_count;   /* times a task moved data to disk to stay in budget */
    int64_t spill_bytes;   /* bytes of data moved (before compression) */
    int64_t merge_passes;  /* sorted runs merged in groups first (too many to read at once) */
    int64_t task_attempts; /* task attempts run (reruns after a failure or a lost executor count) */
    int64_t failed_attempts;      /* of those, the ones that failed */
    int64_t lost_map_outputs;     /* cluster mode: map outputs lost with their executor */
    int64_t remote_fetch_bytes;   /* cluster mode: shuffle bytes fetched from other executors */
    int64_t remote_fetch_us;      /* and the microseconds tasks waited for them */
    int64_t remote_fetch_retries; /* cluster mode: shuffle fetches retried (kiln.shuffle.io.*) */
    int64_t speculative_attempts; /* copies of stragglers launched (kiln.speculation) */
    int64_t speculative_wins;     /* of those, the ones that finished their partition first */
    /* Process-wide: bytes held now / at most by all arenas and byte buffers,
     * the memory that holds records, encodings and blocks. */
    int64_t tracked_bytes, tracked_peak;
} kiln_metrics;
KILN_API void kiln_context_metrics(const kiln_context *ctx, kiln_metrics *out);

/* What a progress listener is told of the context's jobs (what Spark's
 * status tracker and progress bar show). */
typedef enum kiln_progress_kind {
    KILN_PROGRESS_JOB_START,   /* name: the action (collect, count...) */
    KILN_PROGRESS_STAGE_START, /* name: the stage; tasks: the tasks it runs */
    KILN_PROGRESS_STAGE,       /* about every 100 ms while a stage runs: tasks, done, running */
    KILN_PROGRESS_STAGE_END,   /* done: tasks that finished; rc; duration */
    KILN_PROGRESS_JOB_END,     /* rc, message (on failure), duration */
} kiln_progress_kind;

typedef struct kiln_progress {
    kiln_progress_kind kind;
    int job;                  /* the job's number */
    int stage;                /* stage events: the stage's number; -1 for job events */
    int tasks, done, running; /* see kiln_progress_kind */
    int rc;                   /* ends: KILN_OK or the error */
    double time;              /* seconds on a monotonic clock */
    double duration;          /* ends: seconds the job or stage ran */
    const char *name;         /* borrowed for the call */
    const char *message;      /* job end: the error's message or NULL (borrowed) */
} kiln_progress;

typedef void (*kiln_progress_fn)(void *arg, const kiln_progress *p);
/* Calls fn(arg, p) for every job and stage start and end of ctx and about
 * every 100 ms while a stage runs. fn runs on the scheduler's threads, the
 * job's and maybe several at once: it must be thread-safe and quick and
 * must not call kiln (queue what it needs, as the Python package does).
 * release (may be NULL) is called with arg when the context is freed.
 * Listeners are best added before jobs run. Returns KILN_OK, KILN_EINVAL
 * (no ctx or fn) or KILN_ENOMEM (release is then not called). */
KILN_API int kiln_context_on_progress(kiln_context *ctx, kiln_progress_fn fn, void *arg,
                                      void (*release)(void *arg));

/* SQL executions (Spark's SQLExecution), for the SQL layer to show its
 * queries in the web UI and the event log. Whether anything listens to
 * ctx's events (the UI, the event log, a progress listener): when not,
 * there is no need to describe an execution. */
KILN_API bool kiln_context_observed(const kiln_context *ctx);
/* Starts an SQL execution on the calling thread: posts its start with its
 * description (the SQL text or the DataFrame action) and its physical plan
 * as text (both borrowed for the call; NULL: ""), and tags the jobs the
 * thread starts until kiln_sql_execution_end with its id. Returns the id
 * (0, 1, ... per context), or -1 when the thread already runs one (a
 * subquery's jobs belong to the outer execution) or ctx is NULL. */
KILN_API int64_t kiln_sql_execution_start(kiln_context *ctx, const char *description,
                                          const char *plan);
/* Describes execution id's plan as it runs (Spark's SQLAdaptiveExecution-
 * Update), once its operators are known: plan_info is Spark's SparkPlanInfo
 * as JSON text, a tree of {"nodeName", "simpleString", "children": [...],
 * "metadata": {}, "metrics": [{"name", "accumulatorId", "metricType"}]}
 * whose metrics are accumulators the plan's tasks add to (each task's
 * updates reach listeners with its end); description (NULL: unchanged) its
 * text. Both borrowed for the call. Text that is not JSON is refused with
 * a warning in the log; nothing is posted when nobody listens. */
KILN_API void kiln_sql_execution_plan(kiln_context *ctx, int64_t id, const char *description,
                                      const char *plan_info);
/* Ends execution id (-1: nothing to do) with its error message (NULL: it
 * succeeded; borrowed). */
KILN_API void kiln_sql_execution_end(kiln_context *ctx, int64_t id, const char *error);

/* ---- User functions ------------------------------------------------------- */

/* The running task, handed to every user function. */
typedef struct kiln_task kiln_task;
/* A sink for values (flat_map, map_partitions). */
typedef struct kiln_out kiln_out;
/* A source of values (map_partitions, foreach_partition). */
typedef struct kiln_in kiln_in;

/* Every user function gets the env bytes given with it (copied when the
 * transformation was made into memory aligned for any type, so a struct can
 * be read in place; NULL when none) and returns 0, or nonzero after
 * kiln_task_fail() to fail the task. A failure becomes a task failure with
 * the user's message, and is retried as any task failure. */
typedef int (*kiln_map_fn)(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);
typedef int (*kiln_flat_map_fn)(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env);
typedef int (*kiln_filter_fn)(kiln_task *t, const kiln_value *in, bool *keep, const void *env);
typedef int (*kiln_reduce_fn)(kiln_task *t, const kiln_value *a, const kiln_value *b,
                              kiln_value *out, const void *env);
typedef int (*kiln_foreach_fn)(kiln_task *t, const kiln_value *in, const void *env);
typedef int (*kiln_partitions_fn)(kiln_task *t, int index, kiln_in *in, kiln_out *out,
                                  const void *env);
typedef int (*kiln_foreach_partition_fn)(kiln_task *t, int index, kiln_in *in, const void *env);
/* Returns a partition in [0, num_partitions) for key. Must be pure. */
typedef int (*kiln_partitioner_fn)(const kiln_value *key, int num_partitions, const void *env);

/* The arena where a user function builds the values it returns or emits.
 * The engine chooses its lifetime (a batch, a hash table); never free it. */
KILN_API kiln_arena *kiln_task_arena(kiln_task *t);
/* Records a failure message for the current task; returns KILN_EUSER so a
 * function can `return kiln_task_fail(t, "bad line %d", n);`. */
KILN_API int kiln_task_fail(kiln_task *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
KILN_API int kiln_task_partition(const kiln_task *t);
KILN_API int kiln_task_attempt(const kiln_task *t); /* 0 for the first attempt */
KILN_API int kiln_task_stage(const kiln_task *t);
/* Whether the task's job has been cancelled (kiln_context_cancel_jobs). The
 * engine checks between batches of records; a user function that runs long
 * on its own (a Python one, a loop over a big value) checks it every so
 * often and, when true, returns kiln_task_fail(...) or any nonzero code.
 * Cheap: one atomic load. */
KILN_API bool kiln_task_cancelled(const kiln_task *t);

/* Memory that an operator of a task holds and can give back by spilling
 * (hash tables, sort buffers) counts against kiln.executor.memory: the
 * operator reserves what it holds and releases it when it spills or ends,
 * so the budget, kiln_metrics.memory_peak and the limits of the task's
 * other consumers (the shuffle writer) see it. Each of the N task threads
 * may hold kiln_task_memory_limit() bytes (kiln.executor.memory / N); an
 * operator whose task holds more than that spills. Reserving never fails:
 * the caller decides what to do over the limit. */
KILN_API int64_t kiln_task_memory_limit(const kiln_task *t);
/* Bytes the task's operators have reserved and not released. */
KILN_API int64_t kiln_task_memory_used(const kiln_task *t);
KILN_API void kiln_task_memory_reserve(kiln_task *t, int64_t n);
KILN_API void kiln_task_memory_release(kiln_task *t, int64_t n);
/* A fresh path for a spill file of the task under the context's scratch
 * directory (kiln.local.dir), ending in ".ext": writes at most cap bytes
 * (4096 always suffice) to out. The caller creates, and removes, the file;
 * what is left is removed with the context. */
KILN_API void kiln_task_spill_path(kiln_task *t, const char *ext, char *out, size_t cap);
/* Counts one spill of bytes bytes (before compression) in kiln_metrics
 * (spill_count, spill_bytes) and in the task's memory_spilled (Spark's
 * memoryBytesSpilled: the in-memory size of what was spilled). */
KILN_API void kiln_task_note_spill(kiln_task *t, int64_t bytes);
/* Counts bytes a spill of the task wrote to disk (compressed, as the file
 * holds them) in its disk_spilled (Spark's diskBytesSpilled). */
KILN_API void kiln_task_note_spill_disk(kiln_task *t, int64_t bytes);
/* Adds what a data source of the task read to its input metrics (Spark's
 * inputMetrics): bytes read from storage and the records they gave. For
 * sources above the engine (the SQL scans); t may be NULL. */
KILN_API void kiln_task_add_input(kiln_task *t, int64_t bytes, int64_t records);

/* Emits a value (shallow copy: its parts must live in the task arena or in
 * the input being processed; map_partitions copies it, so there they may be
 * anywhere). Returns KILN_OK, KILN_ENOMEM, or KILN_ESTATE when the consumer
 * of a map_partitions wants no more values. */
KILN_API int kiln_emit(kiln_out *out, const kiln_value *v);
/* Pulls the next value: returns 1 and sets *v (borrowed, valid until the next
 * call), 0 at the end, or a negative error (return it to the engine;
 * KILN_ESTATE when the consumer of a map_partitions wants no more). */
KILN_API int kiln_in_next(kiln_in *in, const kiln_value **v);

/* Built-in functions (usable wherever their type fits). */
KILN_API int kiln_fn_add(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                         const void *env); /* ints stay ints; any double makes a double */
KILN_API int kiln_fn_split_whitespace(kiln_task *t, const kiln_value *in, kiln_out *out,
                                      const void *env); /* ASCII whitespace runs */
KILN_API int kiln_fn_pair_one(kiln_task *t, const kiln_value *in, kiln_value *out,
                              const void *env); /* x -> (x, 1) */
KILN_API int kiln_fn_swap(kiln_task *t, const kiln_value *in, kiln_value *out,
                          const void *env); /* (k, v) -> (v, k) */
KILN_API int kiln_fn_identity(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);
KILN_API int kiln_fn_pair_to_tsv(kiln_task *t, const kiln_value *in, kiln_value *out,
                                 const void *env); /* (k, v) -> "k<TAB>v" */

/* ---- Creating RDDs ------------------------------------------------------- */

/* num_slices / min_partitions 0 means the context's default parallelism
 * (for text files min(default parallelism, 2), as Spark). */

/* Deep-copies the n values into the context. */
KILN_API kiln_rdd *kiln_parallelize(kiln_context *ctx, const kiln_value *values, size_t n,
                                    int num_slices);
/* Ints start, start+step, ... below end (above end when step < 0). */
KILN_API kiln_rdd *kiln_range(kiln_context *ctx, int64_t start, int64_t end, int64_t step,
                              int num_slices);
/* Lines (strings, without the \n or \r\n) of a file, every file of a
 * directory (skipping names that start with '.' or '_'), a glob, or a
 * comma-separated list of these ("a.txt,b.txt.gz", as Spark's textFile).
 * Plain files are split into byte ranges on line boundaries; .gz, .bz2 and
 * .zst files are read whole. Each regular member of a .zip or .tar archive
 * (.tar.gz .tgz .tar.bz2 .tar.zst .tar.xz) is read as a file of its own, in
 * the archive's order, one task per archive; a damaged or encrypted one
 * fails the job naming it. The path is listed now: one that names nothing
 * returns NULL with Spark's message naming it ("Input path does not exist:
 * P", "Input Pattern P matches 0 files"). */
KILN_API kiln_rdd *kiln_text_file(kiln_context *ctx, const char *path, int min_partitions);
/* As kiln_text_file, but each record is the pair (offset, line): the byte
 * offset of the line's start in its file (decompressed), as Hadoop's
 * TextInputFormat keys. With kiln_task_input_file and
 * kiln_input_line_number, a parser can name the file and line of bad input. */
KILN_API kiln_rdd *kiln_text_file_with_offsets(kiln_context *ctx, const char *path,
                                               int min_partitions);
/* The file the task's text source is reading (NULL when it reads none),
 * "ARCHIVE:MEMBER" for a member of an archive: valid in functions of a
 * narrow chain over a text file. */
KILN_API const char *kiln_task_input_file(const kiln_task *t);
/* The 1-based line number of the line at byte offset of path, which may be
 * an archive's "ARCHIVE:MEMBER" (reads the file up to there; meant for error
 * messages). */
KILN_API int kiln_input_line_number(const char *path, int64_t offset, int64_t *line);
/* (path, content) pairs of strings, one per file; one per regular member
 * of an archive, its path "ARCHIVE:MEMBER". */
KILN_API kiln_rdd *kiln_whole_text_files(kiln_context *ctx, const char *path, int min_partitions);

/* ---- Transformations (lazy) ---------------------------------------------- */

/* env/env_len: bytes copied into the RDD and handed to the function. */
KILN_API kiln_rdd *kiln_rdd_map(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len);
KILN_API kiln_rdd *kiln_rdd_flat_map(kiln_rdd *r, kiln_flat_map_fn fn, const void *env,
                                     size_t env_len);
KILN_API kiln_rdd *kiln_rdd_filter(kiln_rdd *r, kiln_filter_fn fn, const void *env, size_t env_len);
/* The function sees the whole partition. What it emits flows on as it
 * emits, in chunks (up to 1024 values or about 1 MiB): inside kiln_emit the
 * function waits while the consumer (the next transformation, a shuffle
 * write, an action) takes the chunk, so a partition's output need not fit
 * in memory. What the function allocates in kiln_task_arena() lives until
 * it returns; emitted values are copied. When the consumer needs no more
 * (take, first), kiln_emit and kiln_in_next return KILN_ESTATE: return
 * then; what the function reports after that is ignored. */
KILN_API kiln_rdd *kiln_rdd_map_partitions(kiln_rdd *r, kiln_partitions_fn fn, const void *env,
                                           size_t env_len);
/* On pairs: the function sees the value; the key is kept. */
KILN_API kiln_rdd *kiln_rdd_map_values(kiln_rdd *r, kiln_map_fn fn, const void *env,
                                       size_t env_len);
KILN_API kiln_rdd *kiln_rdd_flat_map_values(kiln_rdd *r, kiln_flat_map_fn fn, const void *env,
                                            size_t env_len);
KILN_API kiln_rdd *kiln_rdd_keys(kiln_rdd *r);
KILN_API kiln_rdd *kiln_rdd_values(kiln_rdd *r);
/* x -> (fn(x), x) */
KILN_API kiln_rdd *kiln_rdd_key_by(kiln_rdd *r, kiln_map_fn fn, const void *env, size_t env_len);
/* One list value per partition. */
KILN_API kiln_rdd *kiln_rdd_glom(kiln_rdd *r);
KILN_API kiln_rdd *kiln_rdd_distinct(kiln_rdd *r, int num_partitions);
KILN_API kiln_rdd *kiln_rdd_union(kiln_rdd *a, kiln_rdd *b);
/* Distinct values present in both. */
KILN_API kiln_rdd *kiln_rdd_intersection(kiln_rdd *a, kiln_rdd *b, int num_partitions);
/* Values of a not in b (duplicates of a kept, as Spark). */
KILN_API kiln_rdd *kiln_rdd_subtract(kiln_rdd *a, kiln_rdd *b, int num_partitions);
/* (x, y) for every x in a and y in b. */
KILN_API kiln_rdd *kiln_rdd_cartesian(kiln_rdd *a, kiln_rdd *b);
/* (a_i, b_i); both must have the same number of partitions and of values in
 * each partition (else the job fails). */
KILN_API kiln_rdd *kiln_rdd_zip(kiln_rdd *a, kiln_rdd *b);
/* Partition i holds the values of a's partition i, then those of b's
 * partition i (Spark's zipPartitions with the iterators concatenated): two
 * RDDs partitioned alike (the same partitioner and partition count) read
 * together without a shuffle. Both must have the same number of
 * partitions (else NULL, with the error set). */
KILN_API kiln_rdd *kiln_rdd_zip_partitions(kiln_rdd *a, kiln_rdd *b);
/* (x, index); runs a job to count the partitions first, as Spark. */
KILN_API kiln_rdd *kiln_rdd_zip_with_index(kiln_rdd *r);
/* Fraction in [0,1] without replacement (Bernoulli); the expected count per
 * value with replacement (Poisson). Same seed, same partitions: same sample. */
KILN_API kiln_rdd *kiln_rdd_sample(kiln_rdd *r, bool with_replacement, double fraction,
                                   uint64_t seed);

/* Key-value operations: the RDD holds 2-tuples (key, value). A record that is
 * not a pair fails the task with a message. num_partitions 0 means: the
 * parent's partition count (the largest of the parents for joins). */
KILN_API kiln_rdd *kiln_rdd_group_by_key(kiln_rdd *r, int num_partitions); /* (k, [v...]) */
KILN_API kiln_rdd *kiln_rdd_reduce_by_key(kiln_rdd *r, kiln_reduce_fn fn, const void *env,
                                          size_t env_len, int num_partitions);
/* seq(acc, v) and comb(acc, acc) share env; zero is deep-copied. */
KILN_API kiln_rdd *kiln_rdd_aggregate_by_key(kiln_rdd *r, const kiln_value *zero,
                                             kiln_reduce_fn seq, kiln_reduce_fn comb,
                                             const void *env, size_t env_len, int num_partitions);
KILN_API kiln_rdd *kiln_rdd_fold_by_key(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn fn,
                                        const void *env, size_t env_len, int num_partitions);
/* create(v) -> c; merge_value(c, v) -> c; merge_combiners(c, c) -> c. */
KILN_API kiln_rdd *kiln_rdd_combine_by_key(kiln_rdd *r, kiln_map_fn create,
                                           kiln_reduce_fn merge_value,
                                           kiln_reduce_fn merge_combiners, const void *env,
                                           size_t env_len, int num_partitions);
/* Range-partitioned by sampling the keys, then sorted in each partition. */
KILN_API kiln_rdd *kiln_rdd_sort_by_key(kiln_rdd *r, bool ascending, int num_partitions);
KILN_API kiln_rdd *kiln_rdd_sort_by(kiln_rdd *r, kiln_map_fn key_fn, const void *env,
                                    size_t env_len, bool ascending, int num_partitions);
/* (k, (v, w)) for matching keys; outer joins put null for a missing side. */
KILN_API kiln_rdd *kiln_rdd_join(kiln_rdd *a, kiln_rdd *b, int num_partitions);
KILN_API kiln_rdd *kiln_rdd_left_outer_join(kiln_rdd *a, kiln_rdd *b, int num_partitions);
KILN_API kiln_rdd *kiln_rdd_right_outer_join(kiln_rdd *a, kiln_rdd *b, int num_partitions);
KILN_API kiln_rdd *kiln_rdd_full_outer_join(kiln_rdd *a, kiln_rdd *b, int num_partitions);
/* (k, ([v...], [w...])) for every key in either. */
KILN_API kiln_rdd *kiln_rdd_cogroup(kiln_rdd *a, kiln_rdd *b, int num_partitions);
/* fn NULL: hash partitioning (kiln_value_hash of the key, mod n). */
KILN_API kiln_rdd *kiln_rdd_partition_by(kiln_rdd *r, int num_partitions, kiln_partitioner_fn fn,
                                         const void *env, size_t env_len);
/* Shuffles values evenly over num_partitions. */
KILN_API kiln_rdd *kiln_rdd_repartition(kiln_rdd *r, int num_partitions);
/* Merges neighbouring partitions without a shuffle (or with one when
 * shuffle is true; then it may also grow). */
KILN_API kiln_rdd *kiln_rdd_coalesce(kiln_rdd *r, int num_partitions, bool shuffle);

/* ---- Persistence ---------------------------------------------------------- */

typedef enum kiln_storage_level {
    KILN_STORAGE_NONE = 0,
    KILN_MEMORY_ONLY = 1,     /* values in memory; dropped under pressure */
    KILN_MEMORY_ONLY_SER = 2, /* their encoding in memory (smaller); dropped under pressure */
    KILN_MEMORY_AND_DISK = 3, /* values in memory; moved to disk under pressure */
    KILN_DISK_ONLY = 4,       /* compressed on disk in the scratch directory */
} kiln_storage_level;

/* Marks r to keep its partitions once computed, at level; returns r. Cached
 * partitions count against half of kiln.executor.memory: the least recently
 * used are moved to disk (MEMORY_AND_DISK) or dropped and recomputed from
 * lineage when needed again. */
KILN_API kiln_rdd *kiln_rdd_persist(kiln_rdd *r, kiln_storage_level level);
KILN_API kiln_rdd *kiln_rdd_cache(kiln_rdd *r); /* MEMORY_ONLY */
/* Drops the cached partitions; returns r. */
KILN_API kiln_rdd *kiln_rdd_unpersist(kiln_rdd *r);
/* Number of partitions currently cached (in memory or on disk). */
KILN_API int kiln_rdd_cached_partitions(const kiln_rdd *r);
/* Cached partitions of r: how many, the memory they hold, how many on disk. */
KILN_API void kiln_rdd_storage(const kiln_rdd *r, int *partitions, int64_t *memory_bytes,
                               int *on_disk);

/* Writes r's partitions to kiln.checkpoint.dir now (a job) and cuts its
 * lineage: later jobs read r from there and never recompute its parents.
 * KILN_ECONF when kiln.checkpoint.dir is not set. */
KILN_API int kiln_rdd_checkpoint(kiln_rdd *r);
/* Spark's setCheckpointDir: later checkpoints of ctx go to dir (created
 * when missing) rather than kiln.checkpoint.dir. Any thread. Returns
 * KILN_OK, KILN_EINVAL, KILN_EIO naming the directory, or KILN_ENOMEM. */
KILN_API int kiln_context_set_checkpoint_dir(kiln_context *ctx, const char *dir);
KILN_API bool kiln_rdd_is_checkpointed(const kiln_rdd *r);

/* Gives back the caller's handle on r (NULL is ignored). r itself lives on
 * while an RDD made from it, or a job running over it, still needs it, and
 * goes with the last of them: its memory, its cached partitions and the
 * shuffle files it reads, in this process and on every executor (as
 * Spark's ContextCleaner does for an RDD the program no longer references).
 * So a parent may be freed before its children, also while a job on one of
 * them runs (in another thread): the job finishes normally, and what it
 * reads goes when it ends.
 * Ownership: every RDD a source or a transformation returns is a new
 * handle, owned by the caller (kiln_rdd_persist, _cache and _unpersist
 * return their argument: the same handle), and this is how to give it
 * back; giving it back is optional (kiln_context_free frees everything).
 * Call it once per handle, from any thread, once no call using that handle
 * (an action on it, a transformation of it) is running. A second call
 * while r is still kept alive by a child is ignored, but after the last
 * release r is gone and any use of the pointer, freeing it again included,
 * is undefined, as after free(). Cheap: nothing waits for executors (they
 * are told in the background). */
KILN_API void kiln_rdd_free(kiln_rdd *r);

KILN_API int kiln_rdd_num_partitions(const kiln_rdd *r);
KILN_API int kiln_rdd_id(const kiln_rdd *r);
/* Names r (Spark's RDD.setName): the web UI's Storage tab, the REST API's
 * storage/rdd and the event log's "RDD Info" show the name instead of r's
 * op. A copy is kept; NULL takes the name away. Returns r (for chaining),
 * NULL when r is NULL or out of memory (r keeps its old name). */
KILN_API kiln_rdd *kiln_rdd_set_name(kiln_rdd *r, const char *name);
/* r's name (borrowed: valid until r is freed), or NULL when none was set. */
KILN_API const char *kiln_rdd_name(const kiln_rdd *r);
KILN_API kiln_context *kiln_rdd_context(const kiln_rdd *r);

/* ---- Actions ---------------------------------------------------------------
 * Results are built in the caller's arena a. Return KILN_OK, or the code of
 * the task failure that stopped the job (KILN_EUSER when a user function
 * failed, KILN_ETYPE for a value of the wrong type, KILN_EIO for input or
 * output, ...; KILN_EJOB otherwise) with kiln_last_error() naming the job,
 * stage, partition, attempt and cause.
 */

KILN_API int kiln_rdd_collect(kiln_rdd *r, kiln_arena *a, kiln_value *out); /* a list */
KILN_API int kiln_rdd_count(kiln_rdd *r, int64_t *out);
KILN_API int kiln_rdd_first(kiln_rdd *r, kiln_arena *a, kiln_value *out); /* KILN_EEMPTY if empty */
KILN_API int kiln_rdd_take(kiln_rdd *r, size_t n, kiln_arena *a, kiln_value *out);
/* The n smallest values in ascending order / the n largest in descending. */
KILN_API int kiln_rdd_take_ordered(kiln_rdd *r, size_t n, kiln_arena *a, kiln_value *out);
KILN_API int kiln_rdd_top(kiln_rdd *r, size_t n, kiln_arena *a, kiln_value *out);
/* KILN_EEMPTY on an empty RDD. */
KILN_API int kiln_rdd_reduce(kiln_rdd *r, kiln_reduce_fn fn, const void *env, size_t env_len,
                             kiln_arena *a, kiln_value *out);
KILN_API int kiln_rdd_fold(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn fn, const void *env,
                           size_t env_len, kiln_arena *a, kiln_value *out);
/* seq may update the parts of its accumulator in place and return it (a
 * large VEC of sums, say), except the zero value itself, which it must not
 * change: the accumulator is otherwise the task's own copy. */
KILN_API int kiln_rdd_aggregate(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn seq,
                                kiln_reduce_fn comb, const void *env, size_t env_len, kiln_arena *a,
                                kiln_value *out);
/* As aggregate, combining the partial results in a tree of the given depth
 * (>= 1; 2 is Spark's default) instead of all at the driver. */
KILN_API int kiln_rdd_tree_aggregate(kiln_rdd *r, const kiln_value *zero, kiln_reduce_fn seq,
                                     kiln_reduce_fn comb, const void *env, size_t env_len,
                                     int depth, kiln_arena *a, kiln_value *out);
/* A list of (key, count) pairs / (value, count) pairs, sorted by key. */
KILN_API int kiln_rdd_count_by_key(kiln_rdd *r, kiln_arena *a, kiln_value *out);
KILN_API int kiln_rdd_count_by_value(kiln_rdd *r, kiln_arena *a, kiln_value *out);
/* The list of values for key (only the key's partition is read when r is
 * hash-partitioned). */
KILN_API int kiln_rdd_lookup(kiln_rdd *r, const kiln_value *key, kiln_arena *a, kiln_value *out);
KILN_API int kiln_rdd_is_empty(kiln_rdd *r, bool *out);
KILN_API int kiln_rdd_foreach(kiln_rdd *r, kiln_foreach_fn fn, const void *env, size_t env_len);
KILN_API int kiln_rdd_foreach_partition(kiln_rdd *r, kiln_foreach_partition_fn fn, const void *env,
                                        size_t env_len);

/* On numbers (int or double; anything else fails with KILN_ETYPE). */
typedef struct kiln_stats {
    int64_t count;
    double sum, mean, min, max;
    double variance, sample_variance; /* population / sample (n-1) */
    double stdev, sample_stdev;
} kiln_stats;
KILN_API int kiln_rdd_stats(kiln_rdd *r, kiln_stats *out);
KILN_API int kiln_rdd_sum(kiln_rdd *r, double *out);
KILN_API int kiln_rdd_mean(kiln_rdd *r, double *out); /* NaN when empty, as Spark */
/* Smallest / largest in the total order of values; KILN_EEMPTY if empty. */
KILN_API int kiln_rdd_min(kiln_rdd *r, kiln_arena *a, kiln_value *out);
KILN_API int kiln_rdd_max(kiln_rdd *r, kiln_arena *a, kiln_value *out);

/* Writes one line per value (kiln_value_format) in the Hadoop layout:
 * path/part-00000..., then path/_SUCCESS last. Fails with KILN_EEXIST if
 * path exists; a failed job leaves nothing at path. */
KILN_API int kiln_rdd_save_as_text_file(kiln_rdd *r, const char *path);

/* ---- Shared variables ----------------------------------------------------- */

/* Deep-copies v; returns an id > 0 (or a negative error) that user functions
 * may carry in their env and read with kiln_broadcast_value. */
KILN_API int64_t kiln_broadcast_new(kiln_context *ctx, const kiln_value *v);
/* Returns the broadcast value (borrowed, valid for the task), or NULL with
 * the task's error set (KILN_ESTATE: no such broadcast, or destroyed), so
 * that a function returning nonzero on NULL fails its task with that
 * message. */
KILN_API const kiln_value *kiln_broadcast_value(kiln_task *t, int64_t id);
/* Makes a value derived from a broadcast's value v (kiln_broadcast_derived):
 * returns it, or NULL with kiln_last_error set. */
typedef void *(*kiln_broadcast_make_fn)(void *arg, const kiln_value *v);
/* A value derived from broadcast id once per process and shared by its
 * tasks, as Spark's executors deserialise a broadcast once (kiln's SQL
 * builds a broadcast join's hash table this way): the first task asking
 * calls make(arg, value) while later ones wait, and every task gets the
 * same pointer, to read only. release(derived) runs when the broadcast is
 * freed (after kiln_broadcast_destroy, once no task runs). A broadcast
 * holds one derived value: asking with another make is an error. Returns
 * the derived value (borrowed, valid for the task), or NULL: with the
 * task's error set as kiln_broadcast_value sets it, or with
 * kiln_last_error set when make failed (the next task asking tries
 * again) or the broadcast's value was derived by another make. */
KILN_API void *kiln_broadcast_derived(kiln_task *t, int64_t id, kiln_broadcast_make_fn make,
                                      void *arg, void (*release)(void *));
/* Destroys broadcast id (Spark's Broadcast.destroy): its value is freed
 * here and on every executor (in the background), and a task reading it
 * afterwards gets NULL and a task error naming it. Destroying one that a
 * running job still reads makes those tasks fail. Any thread. Returns
 * KILN_OK, or KILN_EINVAL for an id that is not a live broadcast of ctx
 * (destroying twice included). */
KILN_API int kiln_broadcast_destroy(kiln_context *ctx, int64_t id);

/* A sum of ints or doubles (type KILN_INT or KILN_DOUBLE). Returns an id > 0
 * or a negative error. Updates from a task are applied once, when the task
 * succeeds: retried and failed attempts never count. As in Spark, a later job
 * that computes the same partitions again (not cached) adds its updates
 * again; cache the RDD to count once. */
KILN_API int64_t kiln_accumulator_new(kiln_context *ctx, const char *name, kiln_type type);
KILN_API int kiln_accumulator_add(kiln_task *t, int64_t id, kiln_value delta);
/* The current total (an int or double value; null for an unknown id). */
KILN_API kiln_value kiln_accumulator_value(kiln_context *ctx, int64_t id);

#ifdef __cplusplus
}
#endif
#endif
