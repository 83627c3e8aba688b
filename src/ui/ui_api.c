/*
 * ui/ui_api.c - Spark's monitoring REST API (/api/v1) rendered from a
 * status store (ui_status.h): pure functions from (store, path, query) to
 * (HTTP status, JSON), for the web server to serve and tests to call.
 * Field names and shapes are those of Spark's
 * org.apache.spark.status.api.v1 (api.scala): JobData, StageData,
 * TaskData, TaskMetrics, TaskMetricDistributions, ExecutorSummary,
 * RDDStorageInfo, ApplicationInfo, ApplicationEnvironmentInfo. As Spark's
 * JSON writer, optional fields that are empty (a running job's
 * completionTime, a task's errorMessage) are left out; dates are written
 * "2026-12-07T06:30:00.000GMT". Everything is read under the store's lock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "ui/ui_sql.h"
#include "ui/ui_status.h"

void ui_date_str(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dGMT", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, (int)((ms % 1000 + 1000) % 1000));
}

static void kdate(json_writer *w, const char *k, int64_t ms)
{
    char d[64];
    ui_date_str(ms, d, sizeof d);
    json_key(w, k);
    json_str(w, d);
}

static void ki(json_writer *w, const char *k, int64_t v)
{
    json_key(w, k);
    json_int(w, v);
}

static void ks(json_writer *w, const char *k, const char *v)
{
    json_key(w, k);
    json_str(w, v);
}

static void kb(json_writer *w, const char *k, bool v)
{
    json_key(w, k);
    json_bool(w, v);
}

static void empty_obj(json_writer *w, const char *k)
{
    json_key(w, k);
    json_obj_begin(w);
    json_obj_end(w);
}

static void empty_arr(json_writer *w, const char *k)
{
    json_key(w, k);
    json_arr_begin(w);
    json_arr_end(w);
}

static int error(kiln_buf *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int error(kiln_buf *out, int status, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    out->len = 0;
    json_writer w;
    json_writer_init(&w, out);
    json_obj_begin(&w);
    ks(&w, "error", msg);
    json_obj_end(&w);
    return json_writer_finish(&w) ? 500 : status;
}

/* ---- Query parameters ------------------------------------------------------------- */

/* The value of parameter name in query (copied into out), or false. */
static bool param(const char *query, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t v = len - n - 1;
            if (v >= size) v = size - 1;
            memcpy(out, p + n + 1, v);
            out[v] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* A non-negative integer in s, entirely. */
static bool parse_id(const char *s, int64_t *out)
{
    if (!*s) return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > (INT32_MAX - 9) / 10) return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

static void lower(char *s)
{
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

/* ---- Objects ------------------------------------------------------------------------ */

static void application(json_writer *w, const ui_store *s)
{
    json_obj_begin(w);
    ks(w, "id", s->app_id ? s->app_id : "");
    ks(w, "name", s->app_name ? s->app_name : "");
    json_key(w, "attempts");
    json_arr_begin(w);
    json_obj_begin(w);
    int64_t end = s->app_end ? s->app_end : 0;
    kdate(w, "startTime", s->app_start);
    kdate(w, "endTime", end ? end : -1);
    kdate(w, "lastUpdated", end ? end : s->app_start);
    ki(w, "duration", end ? end - s->app_start : 0);
    ks(w, "sparkUser", s->user ? s->user : "");
    kb(w, "completed", end != 0);
    ks(w, "appSparkVersion", KILN_VERSION);
    ki(w, "startTimeEpoch", s->app_start);
    ki(w, "endTimeEpoch", end ? end : -1);
    ki(w, "lastUpdatedEpoch", end ? end : s->app_start);
    json_obj_end(w);
    json_arr_end(w);
    json_obj_end(w);
}

static void job(json_writer *w, const ui_job *j)
{
    json_obj_begin(w);
    ki(w, "jobId", j->id);
    ks(w, "name", j->name ? j->name : "");
    if (j->description) ks(w, "description", j->description);
    if (j->submitted) kdate(w, "submissionTime", j->submitted);
    if (j->completed) kdate(w, "completionTime", j->completed);
    json_key(w, "stageIds");
    json_arr_begin(w);
    for (int i = 0; i < j->nstages; i++) json_int(w, j->stages[i]);
    json_arr_end(w);
    if (j->group) ks(w, "jobGroup", j->group);
    ks(w, "status", ui_job_status(j->state));
    ki(w, "numTasks", j->num_tasks);
    ki(w, "numActiveTasks", j->active);
    ki(w, "numCompletedTasks", j->complete);
    ki(w, "numSkippedTasks", j->skipped_tasks);
    ki(w, "numFailedTasks", j->failed);
    ki(w, "numKilledTasks", j->killed);
    ki(w, "numCompletedIndices", j->complete);
    ki(w, "numActiveStages", j->stages_active);
    ki(w, "numCompletedStages", j->stages_complete);
    ki(w, "numSkippedStages", j->stages_skipped);
    ki(w, "numFailedStages", j->stages_failed);
    empty_obj(w, "killedTasksSummary");
    if (j->error) ks(w, "errorMessage", j->error); /* kiln's: why it failed */
    json_obj_end(w);
}

/* The run-time fields a task's metrics and a stage's sums share (Spark's
 * TaskMetricDistributions and StageData name them alike). */
static void run_metrics(json_writer *w, const task_metrics *m)
{
    ki(w, "executorDeserializeTime", m->deser_time);
    ki(w, "executorDeserializeCpuTime", m->deser_cpu_time);
    ki(w, "executorRunTime", m->run_time);
    ki(w, "executorCpuTime", m->cpu_time);
    ki(w, "resultSize", m->result_size);
    ki(w, "jvmGcTime", 0); /* C has no garbage collector */
    ki(w, "resultSerializationTime", m->result_ser_time);
    ki(w, "memoryBytesSpilled", m->memory_spilled);
    ki(w, "diskBytesSpilled", m->disk_spilled);
    ki(w, "peakExecutionMemory", m->peak_memory);
}

static void metrics(json_writer *w, const task_metrics *m)
{
    json_obj_begin(w);
    run_metrics(w, m);
    json_key(w, "inputMetrics");
    json_obj_begin(w);
    ki(w, "bytesRead", m->input_bytes);
    ki(w, "recordsRead", m->input_records);
    json_obj_end(w);
    json_key(w, "outputMetrics");
    json_obj_begin(w);
    ki(w, "bytesWritten", m->output_bytes);
    ki(w, "recordsWritten", m->output_records);
    json_obj_end(w);
    json_key(w, "shuffleReadMetrics");
    json_obj_begin(w);
    ki(w, "remoteBlocksFetched", m->sr_remote_blocks);
    ki(w, "localBlocksFetched", m->sr_local_blocks);
    ki(w, "fetchWaitTime", m->sr_fetch_wait);
    ki(w, "remoteBytesRead", m->sr_remote_bytes);
    ki(w, "remoteBytesReadToDisk", 0);
    ki(w, "localBytesRead", m->sr_local_bytes);
    ki(w, "recordsRead", m->sr_records);
    json_obj_end(w);
    json_key(w, "shuffleWriteMetrics");
    json_obj_begin(w);
    ki(w, "bytesWritten", m->sw_bytes);
    ki(w, "writeTime", m->sw_time);
    ki(w, "recordsWritten", m->sw_records);
    json_obj_end(w);
    json_obj_end(w);
}

static const char *exec_id(const ui_store *s, int x)
{
    return x >= 0 && (size_t)x < s->nexecs ? s->execs[x].id : "";
}

static const char *exec_host(const ui_store *s, int x)
{
    return x >= 0 && (size_t)x < s->nexecs && s->execs[x].host ? s->execs[x].host : "";
}

static void task(json_writer *w, const ui_store *s, const ui_task *t)
{
    json_obj_begin(w);
    ki(w, "taskId", t->task_id);
    ki(w, "index", t->index);
    ki(w, "attempt", t->attempt);
    ki(w, "partitionId", t->index);
    kdate(w, "launchTime", t->launch);
    if (t->state != UI_RUNNING) ki(w, "duration", t->duration);
    ks(w, "executorId", exec_id(s, t->executor));
    ks(w, "host", exec_host(s, t->executor));
    ks(w, "status", ui_task_status(t->state));
    ks(w, "taskLocality", "PROCESS_LOCAL");
    kb(w, "speculative", t->speculative);
    empty_arr(w, "accumulatorUpdates");
    if (t->error) ks(w, "errorMessage", t->error);
    if (t->state != UI_RUNNING) {
        json_key(w, "taskMetrics");
        metrics(w, &t->m);
    }
    empty_obj(w, "executorLogs");
    ki(w, "schedulerDelay", ui_task_scheduler_delay(t));
    ki(w, "gettingResultTime", 0); /* results come back with the task's end */
    json_obj_end(w);
}

static void stage(json_writer *w, const ui_stage *st)
{
    const task_metrics *m = &st->sum;
    json_obj_begin(w);
    ks(w, "status", ui_stage_status(st->state));
    ki(w, "stageId", st->id);
    ki(w, "attemptId", st->attempt);
    ki(w, "numTasks", st->num_tasks);
    ki(w, "numActiveTasks", st->active);
    ki(w, "numCompleteTasks", st->complete);
    ki(w, "numFailedTasks", st->failed);
    ki(w, "numKilledTasks", st->killed);
    ki(w, "numCompletedIndices", st->complete);
    if (st->submitted) kdate(w, "submissionTime", st->submitted);
    if (st->ntasks) kdate(w, "firstTaskLaunchedTime", st->tasks[0].launch);
    if (st->completed) kdate(w, "completionTime", st->completed);
    if (st->failure) ks(w, "failureReason", st->failure);
    run_metrics(w, m);
    ki(w, "inputBytes", m->input_bytes);
    ki(w, "inputRecords", m->input_records);
    ki(w, "outputBytes", m->output_bytes);
    ki(w, "outputRecords", m->output_records);
    ki(w, "shuffleRemoteBlocksFetched", m->sr_remote_blocks);
    ki(w, "shuffleLocalBlocksFetched", m->sr_local_blocks);
    ki(w, "shuffleFetchWaitTime", m->sr_fetch_wait);
    ki(w, "shuffleRemoteBytesRead", m->sr_remote_bytes);
    ki(w, "shuffleRemoteBytesReadToDisk", 0);
    ki(w, "shuffleLocalBytesRead", m->sr_local_bytes);
    ki(w, "shuffleReadBytes", m->sr_local_bytes + m->sr_remote_bytes);
    ki(w, "shuffleReadRecords", m->sr_records);
    ki(w, "shuffleWriteBytes", m->sw_bytes);
    ki(w, "shuffleWriteTime", m->sw_time);
    ki(w, "shuffleWriteRecords", m->sw_records);
    ks(w, "name", st->name ? st->name : "");
    ks(w, "details", "");
    ks(w, "schedulingPool", "default");
    json_key(w, "rddIds");
    json_arr_begin(w);
    for (int i = 0; i < st->nrdds; i++) json_int(w, st->rdds[i]);
    json_arr_end(w);
    empty_arr(w, "accumulatorUpdates");
    empty_obj(w, "killedTasksSummary");
    ki(w, "jobId", st->job); /* kiln's: the job that ran it */
    json_obj_end(w);
}

static void executor(json_writer *w, const ui_executor *x)
{
    json_obj_begin(w);
    ks(w, "id", x->id);
    ks(w, "hostPort", x->host ? x->host : "");
    kb(w, "isActive", x->active);
    ki(w, "rddBlocks", x->rdd_blocks);
    ki(w, "memoryUsed", x->memory_used);
    ki(w, "diskUsed", x->disk_used);
    ki(w, "totalCores", x->cores);
    ki(w, "maxTasks", x->cores);
    ki(w, "activeTasks", x->active_tasks);
    ki(w, "failedTasks", x->failed_tasks);
    ki(w, "completedTasks", x->completed_tasks);
    ki(w, "totalTasks", x->active_tasks + x->failed_tasks + x->completed_tasks);
    ki(w, "totalDuration", x->total_duration);
    ki(w, "totalGCTime", 0);
    ki(w, "totalInputBytes", x->input_bytes);
    ki(w, "totalShuffleRead", x->shuffle_read);
    ki(w, "totalShuffleWrite", x->shuffle_write);
    kb(w, "isBlacklisted", false);
    ki(w, "maxMemory", x->max_memory);
    kdate(w, "addTime", x->added);
    if (!x->active && x->removed > 0) kdate(w, "removeTime", x->removed);
    if (!x->active && x->remove_reason) ks(w, "removeReason", x->remove_reason);
    empty_obj(w, "executorLogs");
    json_key(w, "blacklistedInStages");
    json_arr_begin(w);
    json_arr_end(w);
    kb(w, "isExcluded", false);
    json_key(w, "excludedInStages");
    json_arr_begin(w);
    json_arr_end(w);
    json_obj_end(w);
}

static void rdd(json_writer *w, const ui_store *s, const ui_rdd *r, bool details)
{
    int64_t mem = 0, disk = 0;
    int cached = 0;
    for (size_t b = 0; b < r->nblocks; b++) {
        mem += r->blocks[b].memory;
        disk += r->blocks[b].disk;
        bool seen = false;
        for (size_t c = 0; c < b && !seen; c++) seen = r->blocks[c].part == r->blocks[b].part;
        cached += !seen;
    }
    json_obj_begin(w);
    ki(w, "id", r->id);
    ks(w, "name", r->name ? r->name : "");
    ki(w, "numPartitions", r->partitions);
    ki(w, "numCachedPartitions", cached);
    ks(w, "storageLevel", ui_storage_desc(r->storage));
    ki(w, "memoryUsed", mem);
    ki(w, "diskUsed", disk);
    if (details) {
        json_key(w, "dataDistribution");
        json_arr_begin(w);
        for (size_t x = 0; x < s->nexecs; x++) {
            int64_t m = 0, d = 0;
            bool any = false;
            for (size_t b = 0; b < r->nblocks; b++)
                if (r->blocks[b].executor == (int)x) {
                    any = true;
                    m += r->blocks[b].memory;
                    d += r->blocks[b].disk;
                }
            if (!any) continue;
            json_obj_begin(w);
            ks(w, "address", s->execs[x].host ? s->execs[x].host : "");
            ki(w, "memoryUsed", m);
            ki(w, "memoryRemaining", s->execs[x].max_memory - s->execs[x].memory_used);
            ki(w, "diskUsed", d);
            json_obj_end(w);
        }
        json_arr_end(w);
        json_key(w, "partitions");
        json_arr_begin(w);
        for (size_t b = 0; b < r->nblocks; b++) {
            bool seen = false;
            for (size_t c = 0; c < b && !seen; c++) seen = r->blocks[c].part == r->blocks[b].part;
            if (seen) continue;
            char name[48];
            snprintf(name, sizeof name, "rdd_%d_%d", r->id, r->blocks[b].part);
            json_obj_begin(w);
            ks(w, "blockName", name);
            ks(w, "storageLevel", ui_storage_desc(r->storage));
            ki(w, "memoryUsed", r->blocks[b].memory);
            ki(w, "diskUsed", r->blocks[b].disk);
            json_key(w, "executors");
            json_arr_begin(w);
            for (size_t c = b; c < r->nblocks; c++)
                if (r->blocks[c].part == r->blocks[b].part)
                    json_str(w, exec_id(s, r->blocks[c].executor));
            json_arr_end(w);
            json_obj_end(w);
        }
        json_arr_end(w);
    }
    json_obj_end(w);
}

static void environment(json_writer *w, const ui_store *s)
{
    json_obj_begin(w);
    json_key(w, "runtime");
    json_obj_begin(w);
    ks(w, "javaVersion", "");
    ks(w, "javaHome", "");
    ks(w, "scalaVersion", "");
    json_obj_end(w);
    json_key(w, "sparkProperties");
    json_arr_begin(w);
    for (size_t i = 0; i < s->nenv; i++) {
        json_arr_begin(w);
        json_str(w, s->env[i].key);
        json_str(w, s->env[i].value);
        json_arr_end(w);
    }
    json_arr_end(w);
    empty_arr(w, "hadoopProperties");
    empty_arr(w, "systemProperties");
    empty_arr(w, "metricsProperties");
    empty_arr(w, "classpathEntries");
    empty_arr(w, "resourceProfiles");
    /* kiln's: where each value came from (code, --conf flag, defaults file...) */
    json_key(w, "kilnPropertySources");
    json_arr_begin(w);
    for (size_t i = 0; i < s->nenv; i++) {
        json_arr_begin(w);
        json_str(w, s->env[i].key);
        json_str(w, s->env[i].source);
        json_arr_end(w);
    }
    json_arr_end(w);
    json_obj_end(w);
}

/* ---- Task lists and summaries ------------------------------------------------------- */

static const ui_task *sort_base;
static int by_runtime(const void *a, const void *b)
{
    const ui_task *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
    if (x->duration != y->duration) return x->duration < y->duration ? -1 : 1;
    return x->task_id < y->task_id ? -1 : x->task_id > y->task_id;
}

static int task_list(json_writer *w, const ui_store *s, const ui_stage *st, const char *query,
                     kiln_buf *out)
{
    char v[64];
    int64_t offset = 0, length = 20;
    if (param(query, "offset", v, sizeof v) && !parse_id(v, &offset))
        return error(out, 400, "offset: expected a non-negative integer, got '%s'", v);
    if (param(query, "length", v, sizeof v) && !parse_id(v, &length))
        return error(out, 400, "length: expected a non-negative integer, got '%s'", v);
    int sort = 0; /* 0: by id, 1: increasing runtime, -1: decreasing */
    if (param(query, "sortBy", v, sizeof v)) {
        lower(v);
        if (strcmp(v, "id") == 0) sort = 0;
        else if (strcmp(v, "runtime") == 0 || strcmp(v, "increasing_runtime") == 0) sort = 1;
        else if (strcmp(v, "-runtime") == 0 || strcmp(v, "decreasing_runtime") == 0) sort = -1;
        else return error(out, 400, "sortBy: expected ID, runtime or -runtime, got '%s'", v);
    }
    int want = -1;
    if (param(query, "status", v, sizeof v)) {
        lower(v);
        if (strcmp(v, "running") == 0) want = UI_RUNNING;
        else if (strcmp(v, "success") == 0) want = UI_SUCCEEDED;
        else if (strcmp(v, "failed") == 0) want = UI_FAILED;
        else if (strcmp(v, "killed") == 0) want = UI_KILLED;
        else return error(out, 400, "status: expected running, success, failed or killed");
    }
    size_t *order = malloc((st->ntasks + 1) * sizeof *order);
    if (!order) return error(out, 500, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < st->ntasks; i++)
        if (want < 0 || st->tasks[i].state == want) order[n++] = i;
    if (sort) {
        sort_base = st->tasks; /* under the store's lock: one sort at a time */
        qsort(order, n, sizeof *order, by_runtime);
    }
    json_arr_begin(w);
    for (size_t k = 0; k < n; k++) {
        size_t i = sort < 0 ? order[n - 1 - k] : order[k];
        if ((int64_t)k < offset) continue;
        if ((int64_t)k >= offset + length) break;
        task(w, s, &st->tasks[i]);
    }
    json_arr_end(w);
    free(order);
    return 200;
}

/* One distribution: the values of the stage's successful tasks at each
 * quantile, as Spark's AppStatusStore.taskSummary picks them (index
 * min(q * n, n - 1) of the sorted values). */
static void dist(json_writer *w, const char *k, int64_t *vals, size_t n, const double *q, int nq)
{
    ui_sort_i64(vals, n);
    json_key(w, k);
    json_arr_begin(w);
    for (int i = 0; i < nq; i++) {
        size_t at = (size_t)(q[i] * (double)n);
        if (at > n - 1) at = n - 1;
        json_double(w, (double)vals[at]);
    }
    json_arr_end(w);
}

static int task_summary(json_writer *w, const ui_stage *st, const char *query, kiln_buf *out)
{
    double q[32] = {0.05, 0.25, 0.5, 0.75, 0.95};
    int nq = 5;
    char v[512];
    if (param(query, "quantiles", v, sizeof v)) {
        nq = 0;
        for (char *p = v, *tok; (tok = strsep(&p, ",")) != NULL;) {
            char *end;
            errno = 0;
            double x = strtod(tok, &end);
            if (end == tok || *end || errno || x < 0 || x > 1 || nq == 32)
                return error(out, 400, "quantiles: expected numbers in [0, 1], got '%s'", tok);
            q[nq++] = x;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < st->ntasks; i++) n += st->tasks[i].state == UI_SUCCEEDED;
    if (n == 0)
        return error(out, 404, "no successful task in stage %d attempt %d", st->id, st->attempt);
    int64_t *vals = malloc(n * sizeof *vals);
    if (!vals) return error(out, 500, "out of memory");
#define DIST(key, expr)                                                                            \
    do {                                                                                           \
        size_t k_ = 0;                                                                             \
        for (size_t i = 0; i < st->ntasks; i++) {                                                  \
            const ui_task *t = &st->tasks[i];                                                      \
            if (t->state == UI_SUCCEEDED) vals[k_++] = (expr);                                     \
        }                                                                                          \
        dist(w, key, vals, n, q, nq);                                                              \
    } while (0)
    json_obj_begin(w);
    json_key(w, "quantiles");
    json_arr_begin(w);
    for (int i = 0; i < nq; i++) json_double(w, q[i]);
    json_arr_end(w);
    DIST("duration", t->duration); /* kiln's: the tasks' wall-clock durations (ms) */
    DIST("executorDeserializeTime", t->m.deser_time);
    DIST("executorDeserializeCpuTime", t->m.deser_cpu_time);
    DIST("executorRunTime", t->m.run_time);
    DIST("executorCpuTime", t->m.cpu_time);
    DIST("resultSize", t->m.result_size);
    DIST("jvmGcTime", 0);
    DIST("resultSerializationTime", t->m.result_ser_time);
    DIST("gettingResultTime", 0);
    DIST("schedulerDelay", ui_task_scheduler_delay(t));
    DIST("peakExecutionMemory", t->m.peak_memory);
    DIST("memoryBytesSpilled", t->m.memory_spilled);
    DIST("diskBytesSpilled", t->m.disk_spilled);
    json_key(w, "inputMetrics");
    json_obj_begin(w);
    DIST("bytesRead", t->m.input_bytes);
    DIST("recordsRead", t->m.input_records);
    json_obj_end(w);
    json_key(w, "outputMetrics");
    json_obj_begin(w);
    DIST("bytesWritten", t->m.output_bytes);
    DIST("recordsWritten", t->m.output_records);
    json_obj_end(w);
    json_key(w, "shuffleReadMetrics");
    json_obj_begin(w);
    DIST("readBytes", t->m.sr_local_bytes + t->m.sr_remote_bytes);
    DIST("readRecords", t->m.sr_records);
    DIST("remoteBlocksFetched", t->m.sr_remote_blocks);
    DIST("localBlocksFetched", t->m.sr_local_blocks);
    DIST("fetchWaitTime", t->m.sr_fetch_wait);
    DIST("remoteBytesRead", t->m.sr_remote_bytes);
    DIST("remoteBytesReadToDisk", 0);
    DIST("totalBlocksFetched", t->m.sr_local_blocks + t->m.sr_remote_blocks);
    json_obj_end(w);
    json_key(w, "shuffleWriteMetrics");
    json_obj_begin(w);
    DIST("writeBytes", t->m.sw_bytes);
    DIST("writeRecords", t->m.sw_records);
    DIST("writeTime", t->m.sw_time);
    json_obj_end(w);
    json_obj_end(w);
#undef DIST
    free(vals);
    return 200;
}

/* ---- Routing ------------------------------------------------------------------------ */

static int stage_filter(const char *query, kiln_buf *out, int *want)
{
    char v[32];
    *want = -1;
    if (!param(query, "status", v, sizeof v)) return 0;
    lower(v);
    if (strcmp(v, "active") == 0) *want = UI_RUNNING;
    else if (strcmp(v, "complete") == 0) *want = UI_SUCCEEDED;
    else if (strcmp(v, "failed") == 0) *want = UI_FAILED;
    else if (strcmp(v, "pending") == 0) *want = UI_PENDING;
    else if (strcmp(v, "skipped") == 0) *want = UI_SKIPPED;
    else return error(out, 400, "status: expected active, complete, failed, pending or skipped");
    return 0;
}

/* Renders the app-level path rest ("/jobs/3", "" for the application). */
static int app_path(json_writer *w, ui_store *s, char **parts, int nparts, const char *query,
                    kiln_buf *out)
{
    if (nparts == 0) {
        application(w, s);
        return 200;
    }
    const char *what = parts[0];
    int64_t id = -1, attempt = -1;
    if (strcmp(what, "jobs") == 0) {
        if (nparts == 1) {
            char v[32];
            int want = -1;
            if (param(query, "status", v, sizeof v)) {
                lower(v);
                if (strcmp(v, "running") == 0) want = UI_RUNNING;
                else if (strcmp(v, "succeeded") == 0) want = UI_SUCCEEDED;
                else if (strcmp(v, "failed") == 0) want = UI_FAILED;
                else if (strcmp(v, "unknown") == 0) want = UI_PENDING;
                else
                    return error(out, 400,
                                 "status: expected running, succeeded, failed or unknown");
            }
            json_arr_begin(w); /* newest first, as Spark lists them */
            for (size_t i = s->njobs; i-- > 0;)
                if (want < 0 || (int)s->jobs[i].state == want) job(w, &s->jobs[i]);
            json_arr_end(w);
            return 200;
        }
        if (nparts != 2) return error(out, 404, "unknown path");
        if (!parse_id(parts[1], &id)) return error(out, 400, "bad job id '%s'", parts[1]);
        ui_job *j = ui_store_job(s, (int)id);
        if (!j) return error(out, 404, "unknown job: %lld", (long long)id);
        job(w, j);
        return 200;
    }
    if (strcmp(what, "stages") == 0) {
        if (nparts == 1) {
            int want;
            int st = stage_filter(query, out, &want);
            if (st) return st;
            json_arr_begin(w);
            for (size_t i = s->nstages; i-- > 0;)
                if (want < 0 || (int)s->stages[i].state == want) stage(w, &s->stages[i]);
            json_arr_end(w);
            return 200;
        }
        if (!parse_id(parts[1], &id)) return error(out, 400, "bad stage id '%s'", parts[1]);
        if (nparts == 2) {
            bool any = false;
            for (size_t i = 0; i < s->nstages; i++) any |= s->stages[i].id == id;
            if (!any) return error(out, 404, "unknown stage: %lld", (long long)id);
            json_arr_begin(w);
            for (size_t i = 0; i < s->nstages; i++)
                if (s->stages[i].id == id) stage(w, &s->stages[i]);
            json_arr_end(w);
            return 200;
        }
        if (!parse_id(parts[2], &attempt))
            return error(out, 400, "bad stage attempt id '%s'", parts[2]);
        ui_stage *st = ui_store_stage(s, (int)id, (int)attempt);
        if (!st)
            return error(out, 404, "unknown attempt %lld of stage %lld", (long long)attempt,
                         (long long)id);
        if (nparts == 3) {
            stage(w, st);
            return 200;
        }
        if (nparts == 4 && strcmp(parts[3], "taskList") == 0)
            return task_list(w, s, st, query, out);
        if (nparts == 4 && strcmp(parts[3], "taskSummary") == 0)
            return task_summary(w, st, query, out);
        return error(out, 404, "unknown path");
    }
    if ((strcmp(what, "executors") == 0 || strcmp(what, "allexecutors") == 0) && nparts == 1) {
        bool all = what[0] == 'a';
        json_arr_begin(w);
        for (size_t i = 0; i < s->nexecs; i++) {
            const ui_executor *x = &s->execs[i];
            if (x->removed < 0) continue; /* forgotten (kiln.ui.retainedDeadExecutors) */
            if (all || x->active) executor(w, x);
        }
        json_arr_end(w);
        return 200;
    }
    if (strcmp(what, "storage") == 0 && nparts >= 2 && strcmp(parts[1], "rdd") == 0) {
        if (nparts == 2) {
            json_arr_begin(w);
            for (size_t i = 0; i < s->nrdds; i++)
                if (s->rdds[i].nblocks) rdd(w, s, &s->rdds[i], false);
            json_arr_end(w);
            return 200;
        }
        if (nparts != 3) return error(out, 404, "unknown path");
        if (!parse_id(parts[2], &id)) return error(out, 400, "bad RDD id '%s'", parts[2]);
        ui_rdd *r = ui_store_rdd(s, (int)id);
        if (!r || !r->nblocks) return error(out, 404, "unknown RDD: %lld", (long long)id);
        rdd(w, s, r, true);
        return 200;
    }
    if (strcmp(what, "sql") == 0) {
        char why[200];
        int st = ui_api_sql(w, s, parts + 1, nparts - 1, query, why, sizeof why);
        return st == 200 ? st : error(out, st, "%s", why);
    }
    if (strcmp(what, "environment") == 0 && nparts == 1) {
        environment(w, s);
        return 200;
    }
    return error(out, 404, "unknown path");
}

int ui_api_render(ui_store *s, const char *path, const char *query, kiln_buf *out)
{
    char buf[512];
    if (!path || strlen(path) >= sizeof buf) return error(out, 404, "unknown path");
    snprintf(buf, sizeof buf, "%s", path);
    char *parts[8];
    int n = 0;
    for (char *p = buf, *tok; (tok = strsep(&p, "/")) != NULL;) {
        if (!*tok) continue;
        if (n == 8) return error(out, 404, "unknown path");
        parts[n++] = tok;
    }
    if (n == 0 || strcmp(parts[0], "applications") != 0) return error(out, 404, "unknown path");
    size_t start = out->len;
    json_writer w;
    json_writer_init(&w, out);
    pthread_mutex_lock(&s->lock);
    int status;
    if (n == 1) {
        json_arr_begin(&w);
        application(&w, s);
        json_arr_end(&w);
        status = 200;
    } else if (!s->app_id || strcmp(parts[1], s->app_id) != 0) {
        status = error(out, 404, "unknown application: %s", parts[1]);
    } else {
        status = app_path(&w, s, parts + 2, n - 2, query, out);
    }
    pthread_mutex_unlock(&s->lock);
    if (status == 200 && json_writer_finish(&w) != KILN_OK) {
        out->len = start;
        return error(out, 500, "out of memory");
    }
    return status;
}
