/*
 * ui/ui_status.h - the status store (status_store.c), Spark's
 * AppStatusStore: a listener of a context's event bus that keeps what the
 * web UI and the REST API show of an application (jobs, stages per attempt,
 * tasks, executors, cached RDDs, environment), bounded as Spark's
 * kiln.ui.retained* settings; the REST API's JSON rendered from it
 * (ui_api.c); the event log (event_log.c) and its replay into a store
 * (replay.c), which is how a finished application is shown again.
 */
#ifndef KILN_UI_STATUS_H
#define KILN_UI_STATUS_H

#include <pthread.h>

#include "engine/engine.h"

#pragma GCC visibility push(hidden)

typedef enum ui_state {
    UI_RUNNING, /* job, stage (Spark's ACTIVE), task */
    UI_SUCCEEDED,
    UI_FAILED,
    UI_KILLED,
    UI_PENDING, /* stage: listed by its job, not started */
    UI_SKIPPED, /* stage: its outputs were there already */
} ui_state;

typedef struct ui_task {
    int64_t task_id;
    int index, attempt; /* partition and attempt number */
    int executor;       /* index in the store's executors, -1: not placed */
    uint8_t state;      /* ui_state */
    bool speculative;
    int64_t launch, duration; /* epoch milliseconds; duration: ms, 0 while running */
    char *error;              /* failure message (owned), NULL */
    task_metrics m;
} ui_task;

typedef struct ui_stage {
    int id, attempt, job;
    char *name;
    int num_tasks; /* tasks the stage had to run */
    int *parents;
    int nparents;
    int *rdds; /* the RDDs it computes (ids) */
    int nrdds;
    ui_state state;
    int64_t submitted, completed; /* epoch ms; 0: not yet */
    int active, complete, failed, killed;
    task_metrics sum; /* over finished attempts */
    char *failure;
    ui_task *tasks; /* by launch (and so by task id) */
    size_t ntasks, cap_tasks;
    int64_t dropped_tasks; /* finished ones forgotten (kiln.ui.retainedTasks) */
} ui_stage;

typedef struct ui_job {
    int id;
    char *name;        /* the action ("count at map #3"; Spark's call site) */
    char *description; /* spark.job.description, else its SQL execution's text; NULL: none */
    char *group;       /* spark.jobGroup.id, NULL: none */
    int64_t submitted, completed; /* epoch ms */
    ui_state state;
    int *stages; /* its stage ids */
    int nstages;
    int num_tasks, active, complete, failed, killed, skipped_tasks;
    int stages_complete, stages_failed, stages_skipped, stages_active;
    char *error;
} ui_job;

typedef struct ui_executor {
    char id[32];
    char *host;
    int cores;
    int64_t max_memory, memory_used, disk_used;
    bool active;
    int64_t added, removed; /* epoch ms */
    char *remove_reason;
    int active_tasks, failed_tasks, completed_tasks;
    int64_t total_duration; /* ms in finished tasks */
    int64_t input_bytes, shuffle_read, shuffle_write;
    int rdd_blocks;
} ui_executor;

typedef struct ui_block {
    int part, executor;
    int64_t memory, disk;
} ui_block;

typedef struct ui_rdd {
    int id;
    char *name;
    int partitions;
    kiln_storage_level storage;
    ui_block *blocks; /* cached partitions */
    size_t nblocks, cap_blocks;
} ui_rdd;

typedef struct ui_env_entry {
    char *key, *value, *source; /* value redacted when the key looks secret */
} ui_env_entry;

/* An SQL execution (Spark's SQLExecutionUIData; status_sql.c). */
/* An operator of an execution's plan graph (Spark's SparkPlanGraphNode):
 * ids in pre-order from 0, as Spark numbers them; its metrics are
 * accumulators summed over the execution's tasks (ui_sql_metric_value). */
typedef struct ui_sql_metric {
    const char *name, *type; /* Spark's metricType: "sum", "size", "timing", "nsTiming" */
    int64_t acc;
} ui_sql_metric;
typedef struct ui_sql_node {
    int id;
    const char *name, *desc; /* nodeName, simpleString */
    ui_sql_metric *metrics;
    int nmetrics;
} ui_sql_node;
typedef struct ui_sql_edge {
    int from, to; /* a node's id and the id of the node reading its output */
} ui_sql_edge;
/* An accumulator over an execution's successful tasks: while the
 * execution runs, each task's value too (for the median, Spark's "med"),
 * and once it has ended only the median of them. */
typedef struct ui_acc_total {
    int64_t id, sum, min, max, tasks;
    int64_t *values; /* owned; NULL once the execution has ended */
    size_t nvalues, cap_values;
    int64_t med; /* once it has ended */
} ui_acc_total;

typedef struct ui_sql {
    int64_t id;
    char *desc, *plan, *error;    /* owned; error NULL unless it failed */
    int64_t submitted, completed; /* epoch ms; completed 0 while running */
    ui_state state;               /* UI_RUNNING, UI_SUCCEEDED, UI_FAILED */
    int *jobs;                    /* ids of the jobs it ran, in order */
    int njobs, cap_jobs;
    int *stages; /* ids of its jobs' stages */
    int nstages, cap_stages;
    /* the plan graph (EV_SQL_PLAN; none before), in graph_arena */
    kiln_arena *graph_arena;
    ui_sql_node *nodes;
    int nnodes;
    ui_sql_edge *edges;
    int nedges;
    ui_acc_total *accs; /* by id: its tasks' accumulator updates */
    size_t naccs, cap_accs;
} ui_sql;

/* Retention limits (Spark's spark.ui.retained*). */
typedef struct ui_limits {
    int jobs, stages, tasks_per_stage, dead_executors;
    int executions; /* kiln.sql.ui.retainedExecutions */
} ui_limits;

typedef struct ui_store ui_store;
struct ui_store {
    pthread_mutex_t lock; /* everything below; hold it to read (ui_api.c does) */
    ui_limits lim;
    char *app_name, *app_id, *user;
    int64_t app_start, app_end; /* epoch ms; app_end 0 while running */
    ui_job *jobs;               /* by id */
    size_t njobs, cap_jobs;
    ui_stage *stages; /* by (id, attempt) as they were submitted */
    size_t nstages, cap_stages;
    ui_executor *execs; /* in order added */
    size_t nexecs, cap_execs;
    ui_rdd *rdds; /* persisted RDDs seen in stages, by id */
    size_t nrdds, cap_rdds;
    ui_env_entry *env;
    size_t nenv;
    int64_t dropped_jobs, dropped_stages, dropped_executors;
    ui_sql *sqls; /* SQL executions by id */
    size_t nsqls, cap_sqls;
    int64_t dropped_sqls;
};

/* A store with the limits of conf (NULL: Spark's defaults, 1000 jobs,
 * 1000 stages, 100000 tasks per stage, 100 dead executors). Returns
 * owned, NULL when out of memory. */
ui_store *ui_store_new(const kiln_conf *conf);
/* Frees s (a void * for events_subscribe's release). */
void ui_store_free(void *s);
/* The listener to subscribe with the store as its argument: applies e at
 * the wall-clock time of its posting. */
void ui_store_listen(void *s, const engine_event *e);
/* Applies e as of wall-clock time `wall` (replay gives the logged time).
 * Thread-safe. */
void ui_store_apply(ui_store *s, const engine_event *e, double wall);

/* Lookups for readers holding s->lock; NULL when not there (or dropped). */
ui_job *ui_store_job(ui_store *s, int id);
ui_stage *ui_store_stage(ui_store *s, int id, int attempt); /* attempt -1: the latest */
ui_rdd *ui_store_rdd(ui_store *s, int id);
ui_sql *ui_store_sql(ui_store *s, int64_t id);

/* SQL executions in the store (status_sql.c), called by ui_store_apply
 * under s->lock: an execution's start and end, a job started for one (e's
 * sql_execution >= 0), and freeing them all. */
void ui_sql_start(ui_store *s, const engine_event *e, double wall);
void ui_sql_end(ui_store *s, const engine_event *e, double wall);
void ui_sql_job(ui_store *s, const engine_event *e);
void ui_sql_release_all(ui_store *s);
/* The plan graph of e's execution (EV_SQL_PLAN: SparkPlanInfo JSON), and a
 * task end's accumulator updates, counted for the execution whose job ran
 * the task's stage (status_sql_plan.c). */
void ui_sql_plan(ui_store *s, const engine_event *e);
void ui_sql_task_end(ui_store *s, const engine_event *e);
/* x has ended: each total keeps the median of its tasks' values and lets
 * the values go. */
void ui_sql_plan_settle(ui_sql *x);
/* Frees x's graph and totals. */
void ui_sql_plan_release(ui_sql *x);
/* Metric m of x as Spark shows it: a sum as "1,234"; sizes and times as
 * "total (min, med, max)" over the tasks, e.g. "12.0 MiB (1.0 MiB, 2.0 MiB,
 * 3.0 MiB)", "1.2 s (0 ms, 300 ms, 400 ms)"; "" before any task reported
 * it. */
void ui_sql_metric_value(const ui_sql *x, const ui_sql_metric *m, char *out, size_t size);
/* Spark's execution status: "RUNNING", "COMPLETED", "FAILED". */
const char *ui_sql_status(ui_state st);

/* Epoch milliseconds of wall-clock seconds, as every time in the store,
 * the REST API and the event log (so a replayed store equals the live one). */
int64_t ui_ms(double wall);
/* Sorts v[0..n) in increasing order (quantiles and medians of metrics). */
void ui_sort_i64(int64_t *v, size_t n);

/* Whether a configuration key looks like it holds a secret (Spark's
 * spark.redaction.regex: secret, password, token, key, credentials, case
 * ignored); such values are shown and logged as UI_REDACTED. */
bool ui_key_is_secret(const char *key);
#define UI_REDACTED "*********(redacted)"

/* Spark's status names: "RUNNING", "SUCCEEDED", ... for jobs; stage:
 * "ACTIVE", "COMPLETE", "FAILED", "PENDING", "SKIPPED"; task: "RUNNING",
 * "SUCCESS", "FAILED", "KILLED". */
const char *ui_job_status(ui_state st);
const char *ui_stage_status(ui_state st);
const char *ui_task_status(ui_state st);
/* A finished task's scheduler delay as Spark's UI computes it (ms): its
 * duration less the run time, deserialization, result serialization and
 * getting the result (always 0 here), never below 0; 0 while it runs. */
int64_t ui_task_scheduler_delay(const ui_task *t);
/* Spark's storage level description ("Memory Deserialized 1x Replicated"). */
const char *ui_storage_desc(kiln_storage_level l);

/* ---- REST API (ui_api.c) ------------------------------------------------------------- */

/* Renders GET /api/v1/<path>?<query> (path after "/api/v1", e.g.
 * "/applications/app-1/jobs"; query may be NULL) of the application in s
 * as Spark's JSON into out. Returns the HTTP status: 200, 404 with
 * {"error": "..."} for an unknown path or id, 400 for a malformed id or
 * query parameter. Holds s->lock while it reads. */
int ui_api_render(ui_store *s, const char *path, const char *query, kiln_buf *out);
/* Spark's REST date, "2026-12-07T06:30:00.000GMT", of epoch ms. */
void ui_date_str(int64_t ms, char *out, size_t size);

/* ---- Event log (event_log.c) and replay (replay.c) -------------------------------- */

/* Writes one application's events as Spark's JSON Lines into
 * DIR/APP_ID[.zstd].inprogress, renamed without .inprogress at
 * EV_APP_END. A writer thread does the I/O: posting only appends to a
 * buffer under a lock. */
typedef struct event_log event_log;
/* Opens the log for conf (kiln.eventLog.dir, kiln.eventLog.compress,
 * kiln.eventLog.compression.codec) of application app_id. KILN_EIO naming
 * the path, KILN_ECONF naming the key. */
int event_log_open(const kiln_conf *conf, const char *app_id, event_log **out);
/* The listener to subscribe with the log as its argument. */
void event_log_listen(void *log, const engine_event *e);
/* Flushes, closes and frees the log (a void * for events_subscribe's
 * release); renames it finished when EV_APP_END was seen. */
void event_log_free(void *log);
/* The path being written (borrowed). */
const char *event_log_path(const event_log *log);
/* Appends one event's line (JSON and '\n') to out, at wall time `wall`;
 * what event_log_listen writes. Events with no Spark counterpart append
 * nothing. */
int event_log_line(const engine_event *e, double wall, kiln_buf *out);

/* Reads the event log at path (plain, or zstd when it ends in .zstd or
 * .zstd.inprogress) line by line into s. A truncated last line (a crashed
 * driver) is ignored; a corrupt line elsewhere is skipped and counted in
 * *skipped (may be NULL), its first error kept in err ("FILE:LINE: ...").
 * KILN_OK, or KILN_EIO naming the file. */
int ui_replay(const char *path, ui_store *s, int64_t *skipped, char *err, size_t errsize);

/* Applies one event log line (n bytes, no newline) to s, as ui_replay
 * does: KILN_OK (also for an event kiln does not show), or KILN_ECORRUPT
 * with the reason in err. */
int ui_replay_line(ui_store *s, const char *p, size_t n, char *err, size_t errsize);

/* Application ids as Spark makes them: "local-<millis>" in local mode,
 * "app-YYYYMMDDHHMMSS-NNNN" on a cluster. */
void ui_app_id(bool local, double wall, int seq, char *out, size_t size);

#pragma GCC visibility pop

#endif
