/*
 * ui/event_log.c - the event log (ui_status.h; docs/formats/event_log.md):
 * every event of an application as one line of Spark's JSON
 * (SparkListenerJobStart, SparkListenerTaskEnd with "Task Metrics", ...),
 * so that the application can be shown again when it has ended (replay.c)
 * and tools that read Spark's logs read kiln's.
 *
 * Posting formats the line into a small buffer of the caller's and appends
 * it to the log's pending buffer under a lock: task threads never wait for
 * the disk. A writer thread takes the pending buffer about twice a second
 * (or when it passes 256 KiB) and writes it, through zstd's streaming
 * compressor when kiln.eventLog.compress is set. The file is
 * DIR/APP_ID[.zstd].inprogress until EV_APP_END has been written and the
 * log is closed, when it is renamed without .inprogress; a driver that
 * dies leaves the .inprogress file, which replay reads up to its last
 * whole line. Configuration values of keys that look secret are written
 * as "*********(redacted)".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "base/conf.h"
#include "base/json.h"
#include "ui/ui_status.h"

#define FLUSH_AT (256u << 10)

struct event_log {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool thread_started, stopping, ended;
    kiln_buf pending; /* lines not yet handed to the writer */
    int fd;
    ZSTD_CCtx *z; /* NULL: plain */
    kiln_buf zout;
    char *path;  /* ...inprogress */
    char *final; /* without .inprogress */
    int error;   /* the writer's first failure (logged once) */
};

/* ---- Lines -------------------------------------------------------------------------- */

static void storage_level(json_writer *w, kiln_storage_level l)
{
    json_obj_begin(w);
    json_key(w, "Use Disk");
    json_bool(w, l == KILN_MEMORY_AND_DISK || l == KILN_DISK_ONLY);
    json_key(w, "Use Memory");
    json_bool(w, l == KILN_MEMORY_ONLY || l == KILN_MEMORY_ONLY_SER || l == KILN_MEMORY_AND_DISK);
    json_key(w, "Use Off Heap");
    json_bool(w, false);
    json_key(w, "Deserialized");
    json_bool(w, l == KILN_MEMORY_ONLY || l == KILN_MEMORY_AND_DISK);
    json_key(w, "Replication");
    json_int(w, 1);
    json_obj_end(w);
}

static void int_list(json_writer *w, const int *v, int n)
{
    json_arr_begin(w);
    for (int i = 0; i < n; i++) json_int(w, v[i]);
    json_arr_end(w);
}

/* Spark's StageInfo; submitted/completed/failure only when known. */
static void stage_info(json_writer *w, const engine_stage_info *si, int64_t submitted,
                       int64_t completed, const char *failure)
{
    json_obj_begin(w);
    json_key(w, "Stage ID");
    json_int(w, si->id);
    json_key(w, "Stage Attempt ID");
    json_int(w, si->attempt);
    json_key(w, "Stage Name");
    json_str(w, si->name);
    json_key(w, "Number of Tasks");
    json_int(w, si->tasks);
    json_key(w, "RDD Info");
    json_arr_begin(w);
    for (int i = 0; i < si->nrdds; i++) {
        const engine_rdd_info *r = &si->rdds[i];
        json_obj_begin(w);
        json_key(w, "RDD ID");
        json_int(w, r->id);
        json_key(w, "Name");
        json_str(w, r->name);
        json_key(w, "Parent IDs");
        int_list(w, &r->parent, r->parent >= 0 ? 1 : 0);
        json_key(w, "Storage Level");
        storage_level(w, r->storage);
        json_key(w, "Number of Partitions");
        json_int(w, r->partitions);
        json_key(w, "Number of Cached Partitions");
        json_int(w, 0);
        json_key(w, "Memory Size");
        json_int(w, 0);
        json_key(w, "Disk Size");
        json_int(w, 0);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_key(w, "Parent IDs");
    int_list(w, si->parents, si->nparents);
    json_key(w, "Details");
    json_str(w, "");
    if (submitted) {
        json_key(w, "Submission Time");
        json_int(w, submitted);
    }
    if (completed) {
        json_key(w, "Completion Time");
        json_int(w, completed);
    }
    if (failure) {
        json_key(w, "Failure Reason");
        json_str(w, failure);
    }
    json_key(w, "Accumulables");
    json_arr_begin(w);
    json_arr_end(w);
    json_obj_end(w);
}

static void kv(json_writer *w, const char *k, int64_t v)
{
    json_key(w, k);
    json_int(w, v);
}

static void task_metrics_json(json_writer *w, const task_metrics *m)
{
    json_obj_begin(w);
    kv(w, "Executor Deserialize Time", m->deser_time);
    kv(w, "Executor Deserialize CPU Time", m->deser_cpu_time);
    kv(w, "Executor Run Time", m->run_time);
    kv(w, "Executor CPU Time", m->cpu_time);
    kv(w, "Peak Execution Memory", m->peak_memory);
    kv(w, "Result Size", m->result_size);
    kv(w, "JVM GC Time", 0);
    kv(w, "Result Serialization Time", m->result_ser_time);
    kv(w, "Memory Bytes Spilled", m->memory_spilled);
    kv(w, "Disk Bytes Spilled", m->disk_spilled);
    json_key(w, "Shuffle Read Metrics");
    json_obj_begin(w);
    kv(w, "Remote Blocks Fetched", m->sr_remote_blocks);
    kv(w, "Local Blocks Fetched", m->sr_local_blocks);
    kv(w, "Fetch Wait Time", m->sr_fetch_wait);
    kv(w, "Remote Bytes Read", m->sr_remote_bytes);
    kv(w, "Remote Bytes Read To Disk", 0);
    kv(w, "Local Bytes Read", m->sr_local_bytes);
    kv(w, "Total Records Read", m->sr_records);
    json_obj_end(w);
    json_key(w, "Shuffle Write Metrics");
    json_obj_begin(w);
    kv(w, "Shuffle Bytes Written", m->sw_bytes);
    kv(w, "Shuffle Write Time", m->sw_time);
    kv(w, "Shuffle Records Written", m->sw_records);
    json_obj_end(w);
    json_key(w, "Input Metrics");
    json_obj_begin(w);
    kv(w, "Bytes Read", m->input_bytes);
    kv(w, "Records Read", m->input_records);
    json_obj_end(w);
    json_key(w, "Output Metrics");
    json_obj_begin(w);
    kv(w, "Bytes Written", m->output_bytes);
    kv(w, "Records Written", m->output_records);
    json_obj_end(w);
    json_key(w, "Updated Blocks");
    json_arr_begin(w);
    json_arr_end(w);
    json_obj_end(w);
}

static void task_info(json_writer *w, const engine_event *e, int64_t launch, int64_t finish,
                      bool failed, bool killed)
{
    json_obj_begin(w);
    kv(w, "Task ID", e->task_id);
    kv(w, "Index", e->partition);
    kv(w, "Attempt", e->attempt);
    kv(w, "Partition ID", e->partition);
    kv(w, "Launch Time", launch);
    json_key(w, "Executor ID");
    json_str(w, e->name ? e->name : "");
    json_key(w, "Host");
    json_str(w, e->host ? e->host : "");
    json_key(w, "Locality");
    json_str(w, "PROCESS_LOCAL");
    json_key(w, "Speculative");
    json_bool(w, e->speculative);
    kv(w, "Getting Result Time", 0);
    kv(w, "Finish Time", finish);
    json_key(w, "Failed");
    json_bool(w, failed);
    json_key(w, "Killed");
    json_bool(w, killed);
    /* The attempt's accumulator updates (SQL metrics among them), as
     * Spark writes its SQL metrics: the update as a string. */
    json_key(w, "Accumulables");
    json_arr_begin(w);
    for (size_t i = 0; i < e->naccs; i++) {
        char v[40];
        const kiln_value *d = &e->accs[i].delta;
        if (d->type == KILN_INT) snprintf(v, sizeof v, "%lld", (long long)d->u.i);
        else if (d->type == KILN_DOUBLE) snprintf(v, sizeof v, "%.17g", d->u.d);
        else continue;
        json_obj_begin(w);
        kv(w, "ID", e->accs[i].id);
        json_key(w, "Update");
        json_str(w, v);
        json_key(w, "Internal");
        json_bool(w, false);
        json_key(w, "Count Failed Values");
        json_bool(w, false);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_obj_end(w);
}

int event_log_line(const engine_event *e, double wall, kiln_buf *out)
{
    json_writer w;
    json_writer_init(&w, out);
    int64_t now = ui_ms(wall);
    json_obj_begin(&w);
    json_key(&w, "Event");
    switch (e->kind) {
    case EV_APP_START:
        json_str(&w, "SparkListenerApplicationStart");
        json_key(&w, "App Name");
        json_str(&w, e->name ? e->name : "");
        json_key(&w, "App ID");
        json_str(&w, e->message ? e->message : "");
        kv(&w, "Timestamp", now);
        json_key(&w, "User");
        json_str(&w, e->user ? e->user : "");
        break;
    case EV_APP_END:
        json_str(&w, "SparkListenerApplicationEnd");
        kv(&w, "Timestamp", now);
        break;
    case EV_ENVIRONMENT: {
        json_str(&w, "SparkListenerEnvironmentUpdate");
        json_key(&w, "JVM Information");
        json_obj_begin(&w);
        json_obj_end(&w);
        size_t n = e->conf ? conf_size(e->conf) : 0;
        json_key(&w, "Spark Properties");
        json_obj_begin(&w);
        for (size_t i = 0; i < n; i++) {
            const char *k, *v;
            conf_at(e->conf, i, &k, &v);
            json_key(&w, k);
            json_str(&w, ui_key_is_secret(k) ? UI_REDACTED : v ? v : "");
        }
        json_obj_end(&w);
        /* kiln's own: where each value came from (Spark readers ignore it) */
        json_key(&w, "Kiln Property Sources");
        json_obj_begin(&w);
        for (size_t i = 0; i < n; i++) {
            const char *k, *v;
            conf_at(e->conf, i, &k, &v);
            const char *src = conf_source_at(e->conf, i);
            json_key(&w, k);
            json_str(&w, src ? src : "");
        }
        json_obj_end(&w);
        json_key(&w, "Hadoop Properties");
        json_obj_begin(&w);
        json_obj_end(&w);
        json_key(&w, "System Properties");
        json_obj_begin(&w);
        json_obj_end(&w);
        json_key(&w, "Classpath Entries");
        json_obj_begin(&w);
        json_obj_end(&w);
        break;
    }
    case EV_EXECUTOR_ADDED:
        json_str(&w, "SparkListenerExecutorAdded");
        kv(&w, "Timestamp", now);
        json_key(&w, "Executor ID");
        json_str(&w, e->name ? e->name : "");
        json_key(&w, "Executor Info");
        json_obj_begin(&w);
        json_key(&w, "Host");
        json_str(&w, e->host ? e->host : e->message ? e->message : "");
        kv(&w, "Total Cores", e->cores ? e->cores : e->tasks);
        kv(&w, "Maximum Memory", e->memory); /* kiln's: the executor's memory budget */
        json_key(&w, "Log Urls");
        json_obj_begin(&w);
        json_obj_end(&w);
        json_obj_end(&w);
        break;
    case EV_EXECUTOR_LOST:
        json_str(&w, "SparkListenerExecutorRemoved");
        kv(&w, "Timestamp", now);
        json_key(&w, "Executor ID");
        json_str(&w, e->name ? e->name : "");
        json_key(&w, "Removed Reason");
        json_str(&w, e->message ? e->message : "");
        break;
    case EV_JOB_START:
        json_str(&w, "SparkListenerJobStart");
        kv(&w, "Job ID", e->job);
        kv(&w, "Submission Time", now);
        json_key(&w, "Stage Infos");
        json_arr_begin(&w);
        for (int i = 0; i < e->nstages; i++) stage_info(&w, &e->stages[i], 0, 0, NULL);
        json_arr_end(&w);
        json_key(&w, "Stage IDs");
        json_arr_begin(&w);
        for (int i = 0; i < e->nstages; i++) json_int(&w, e->stages[i].id);
        json_arr_end(&w);
        json_key(&w, "Properties");
        json_obj_begin(&w);
        json_key(&w, "kiln.job.action"); /* what the job computes */
        json_str(&w, e->name ? e->name : "");
        if (e->sql_execution >= 0) {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)e->sql_execution);
            json_key(&w, "spark.sql.execution.id");
            json_str(&w, id);
        }
        /* The submitting thread's local properties (spark.job.description,
         * spark.jobGroup.id, ...), the two above excepted. */
        for (int i = 0; e->props && i < e->nprops; i++) {
            const char *k = e->props[2 * i], *v = e->props[2 * i + 1];
            if (!k || !v || strcmp(k, "kiln.job.action") == 0 ||
                strcmp(k, "spark.sql.execution.id") == 0)
                continue;
            json_key(&w, k);
            json_str(&w, v);
        }
        json_obj_end(&w);
        break;
    case EV_SQL_START:
        json_str(&w, "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart");
        kv(&w, "executionId", e->sql_execution);
        json_key(&w, "description");
        json_str(&w, e->name ? e->name : "");
        json_key(&w, "details");
        json_str(&w, "");
        json_key(&w, "physicalPlanDescription");
        json_str(&w, e->plan ? e->plan : "");
        /* The operators are known once the plan runs (EV_SQL_PLAN): a
         * placeholder node, as Spark's adaptive plans start. */
        json_key(&w, "sparkPlanInfo");
        json_raw(&w, "{\"nodeName\":\"AdaptiveSparkPlan\",\"simpleString\":"
                     "\"AdaptiveSparkPlan isFinalPlan=false\",\"children\":[],"
                     "\"metadata\":{},\"metrics\":[]}");
        kv(&w, "time", now);
        break;
    case EV_SQL_PLAN:
        json_str(&w, "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate");
        kv(&w, "executionId", e->sql_execution);
        json_key(&w, "physicalPlanDescription");
        json_str(&w, e->plan ? e->plan : "");
        json_key(&w, "sparkPlanInfo"); /* JSON made by the SQL layer's json_writer */
        json_raw(&w, e->plan_info ? e->plan_info : "{}");
        break;
    case EV_SQL_END:
        json_str(&w, "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd");
        kv(&w, "executionId", e->sql_execution);
        kv(&w, "time", now);
        if (e->rc != KILN_OK || e->message) {
            json_key(&w, "errorMessage");
            json_str(&w, e->message ? e->message : kiln_strerror(e->rc));
        }
        break;
    case EV_JOB_END:
        json_str(&w, "SparkListenerJobEnd");
        kv(&w, "Job ID", e->job);
        kv(&w, "Completion Time", now);
        json_key(&w, "Job Result");
        json_obj_begin(&w);
        json_key(&w, "Result");
        json_str(&w, e->rc == KILN_OK ? "JobSucceeded" : "JobFailed");
        if (e->rc != KILN_OK) {
            json_key(&w, "Exception");
            json_obj_begin(&w);
            json_key(&w, "Message");
            json_str(&w, e->message ? e->message : kiln_strerror(e->rc));
            json_key(&w, "Stack Trace");
            json_arr_begin(&w);
            json_arr_end(&w);
            json_obj_end(&w);
        }
        json_obj_end(&w);
        break;
    case EV_STAGE_START:
    case EV_STAGE_END: {
        bool start = e->kind == EV_STAGE_START;
        engine_stage_info one = {.id = e->stage,
                                 .attempt = e->attempt,
                                 .name = e->name,
                                 .tasks = e->tasks};
        json_str(&w, start ? "SparkListenerStageSubmitted" : "SparkListenerStageCompleted");
        json_key(&w, "Stage Info");
        stage_info(&w, e->nstages ? &e->stages[0] : &one, start ? now : 0, start ? 0 : now,
                   !start && e->rc ? (e->message ? e->message : kiln_strerror(e->rc)) : NULL);
        if (start) {
            json_key(&w, "Properties");
            json_obj_begin(&w);
            json_obj_end(&w);
        }
        break;
    }
    case EV_TASK_START:
        json_str(&w, "SparkListenerTaskStart");
        kv(&w, "Stage ID", e->stage);
        kv(&w, "Stage Attempt ID", e->stage_attempt);
        json_key(&w, "Task Info");
        task_info(&w, e, now, 0, false, false);
        break;
    case EV_TASK_END: {
        bool ok = e->rc == KILN_OK;
        bool killed = e->rc == KILN_EJOB && e->message && strstr(e->message, "cancelled");
        json_str(&w, "SparkListenerTaskEnd");
        kv(&w, "Stage ID", e->stage);
        kv(&w, "Stage Attempt ID", e->stage_attempt);
        json_key(&w, "Task Type");
        json_str(&w, e->shuffle_map ? "ShuffleMapTask" : "ResultTask");
        json_key(&w, "Task End Reason");
        json_obj_begin(&w);
        json_key(&w, "Reason");
        if (ok) {
            json_str(&w, "Success");
        } else if (killed) {
            json_str(&w, "TaskKilled");
            json_key(&w, "Kill Reason");
            json_str(&w, e->message);
        } else {
            json_str(&w, e->rc == KILN_EFETCH ? "FetchFailed" : "ExceptionFailure");
            json_key(&w, "Class Name");
            json_str(&w, "kiln.TaskFailure");
            json_key(&w, "Description");
            json_str(&w, e->message ? e->message : kiln_strerror(e->rc));
            json_key(&w, "Stack Trace");
            json_arr_begin(&w);
            json_arr_end(&w);
        }
        json_obj_end(&w);
        json_key(&w, "Task Info");
        task_info(&w, e, ui_ms(wall - e->duration), now, !ok && !killed, killed);
        json_key(&w, "Task Executor Metrics");
        json_obj_begin(&w);
        json_obj_end(&w);
        json_key(&w, "Task Metrics");
        task_metrics m = {0};
        task_metrics_json(&w, e->metrics ? e->metrics : &m);
        break;
    }
    case EV_BLOCK_UPDATED:
        json_str(&w, "SparkListenerBlockUpdated");
        json_key(&w, "Block Updated Info");
        json_obj_begin(&w);
        json_key(&w, "Block Manager ID");
        json_obj_begin(&w);
        json_key(&w, "Executor ID");
        json_str(&w, e->name ? e->name : "driver");
        json_obj_end(&w);
        json_key(&w, "Block ID");
        {
            char id[48];
            snprintf(id, sizeof id, "rdd_%d_%d", e->rdd, e->part);
            json_str(&w, id);
        }
        json_key(&w, "Storage Level");
        storage_level(&w, e->storage);
        kv(&w, "Memory Size", e->bytes);
        kv(&w, "Disk Size", e->disk_bytes);
        json_obj_end(&w);
        break;
    case EV_UNPERSIST:
        json_str(&w, "SparkListenerUnpersistRDD");
        kv(&w, "RDD ID", e->rdd);
        break;
    case EV_STAGE_PROGRESS:
        return KILN_OK; /* not logged: the store counts tasks itself */
    }
    json_obj_end(&w);
    int rc = json_writer_finish(&w);
    return rc ? rc : kiln_buf_append(out, "\n", 1);
}

/* ---- Writing ------------------------------------------------------------------------ */

static int write_all(event_log *l, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(l->fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return kiln_set_error(KILN_EIO, "event log %s: %s", l->path, strerror(errno));
        c += k;
        n -= (size_t)k;
    }
    return KILN_OK;
}

/* Writes data (compressed when the log is); end: finishes the zstd frame. */
static int emit(event_log *l, const uint8_t *data, size_t n, bool end)
{
    if (!l->z) return write_all(l, data, n);
    ZSTD_inBuffer in = {data, n, 0};
    size_t cap = ZSTD_CStreamOutSize();
    if (l->zout.cap < cap && kiln_buf_reserve(&l->zout, cap)) return KILN_ENOMEM;
    for (;;) {
        ZSTD_outBuffer out = {l->zout.data, cap, 0};
        size_t left = ZSTD_compressStream2(l->z, &out, &in, end ? ZSTD_e_end : ZSTD_e_flush);
        if (ZSTD_isError(left))
            return kiln_set_error(KILN_EIO, "event log %s: zstd: %s", l->path,
                                  ZSTD_getErrorName(left));
        int rc = write_all(l, l->zout.data, out.pos);
        if (rc) return rc;
        if (left == 0 && in.pos == in.size) return KILN_OK;
    }
}

static void *writer_main(void *arg)
{
    event_log *l = arg;
    kiln_buf batch;
    kiln_buf_init(&batch);
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->stopping && l->pending.len < FLUSH_AT) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 500 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&l->cond, &l->lock, &ts) != 0 && l->pending.len) break;
        }
        kiln_buf t = l->pending; /* swap: posting goes on into the other buffer */
        l->pending = batch;
        l->pending.len = 0;
        batch = t;
        bool stop = l->stopping;
        pthread_mutex_unlock(&l->lock);
        if (batch.len && !l->error) {
            int rc = emit(l, batch.data, batch.len, false);
            if (rc) {
                l->error = rc;
                LOG(LOG_WARN, "ui", "%s; the event log stops here", kiln_last_error());
            }
        }
        batch.len = 0;
        pthread_mutex_lock(&l->lock);
        if (stop && l->pending.len == 0) break;
    }
    pthread_mutex_unlock(&l->lock);
    kiln_buf_release(&batch);
    return NULL;
}

const char *event_log_path(const event_log *l)
{
    return l->path;
}

static void log_free(event_log *l)
{
    if (l->fd >= 0) close(l->fd);
    ZSTD_freeCCtx(l->z);
    kiln_buf_release(&l->zout);
    kiln_buf_release(&l->pending);
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    free(l->path);
    free(l->final);
    free(l);
}

int event_log_open(const kiln_conf *conf, const char *app_id, event_log **out)
{
    *out = NULL;
    const char *dir = kiln_conf_get(conf, "kiln.eventLog.dir");
    if (!dir || !*dir) dir = "/tmp/kiln-events";
    if (strncmp(dir, "file://", 7) == 0) dir += 7;
    else if (strncmp(dir, "file:", 5) == 0) dir += 5;
    if (strstr(dir, "://"))
        return kiln_set_error(KILN_ECONF,
                              "kiln.eventLog.dir: '%s' is not a local directory (file: or a path)",
                              dir);
    const char *cv = kiln_conf_get(conf, "kiln.eventLog.compress");
    bool compress = cv && (strcmp(cv, "true") == 0 || strcmp(cv, "1") == 0 ||
                           strcmp(cv, "yes") == 0 || strcmp(cv, "on") == 0);
    const char *codec = kiln_conf_get(conf, "kiln.eventLog.compression.codec");
    if (compress && codec && strcmp(codec, "zstd") != 0)
        return kiln_set_error(KILN_ECONF,
                              "kiln.eventLog.compression.codec: '%s' is not supported (zstd)",
                              codec);
    if (mkdir(dir, 0770) != 0 && errno != EEXIST)
        return kiln_set_error(KILN_EIO, "kiln.eventLog.dir: cannot create %s: %s", dir,
                              strerror(errno));
    event_log *l = calloc(1, sizeof *l);
    if (!l) return KILN_ENOMEM;
    l->fd = -1;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    size_t n = strlen(dir) + strlen(app_id) + 32;
    l->path = malloc(n);
    l->final = malloc(n);
    if (!l->path || !l->final) {
        log_free(l);
        return KILN_ENOMEM;
    }
    snprintf(l->final, n, "%s/%s%s", dir, app_id, compress ? ".zstd" : "");
    snprintf(l->path, n, "%s.inprogress", l->final);
    if (compress && !(l->z = ZSTD_createCCtx())) {
        log_free(l);
        return KILN_ENOMEM;
    }
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
    if (l->fd < 0) {
        int rc = kiln_set_error(KILN_EIO, "event log: cannot create %s: %s", l->path,
                                strerror(errno));
        log_free(l);
        return rc;
    }
    /* The first line, as Spark's: which version wrote the log. */
    int rc = kiln_buf_append(&l->pending,
                             "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"3.5.0\","
                             "\"Kiln Version\":\"" KILN_VERSION "\"}\n",
                             strlen("{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":"
                                    "\"3.5.0\",\"Kiln Version\":\"" KILN_VERSION "\"}\n"));
    if (rc == KILN_OK && pthread_create(&l->thread, NULL, writer_main, l) != 0)
        rc = kiln_set_error(KILN_EIO, "event log: cannot start its writer thread");
    if (rc) {
        unlink(l->path);
        log_free(l);
        return rc;
    }
    l->thread_started = true;
    *out = l;
    return KILN_OK;
}

void event_log_listen(void *arg, const engine_event *e)
{
    event_log *l = arg;
    if (e->kind == EV_STAGE_PROGRESS) return;
    kiln_buf heap;
    kiln_buf_init(&heap);
    kiln_buf *b = &heap;
    if (event_log_line(e, wall_seconds_at(e->time), b) != KILN_OK) {
        kiln_buf_release(&heap);
        return;
    }
    pthread_mutex_lock(&l->lock);
    if (e->kind == EV_APP_END) l->ended = true;
    int rc = kiln_buf_append(&l->pending, b->data, b->len);
    bool wake = l->pending.len >= FLUSH_AT || e->kind == EV_APP_END;
    pthread_mutex_unlock(&l->lock);
    if (wake) pthread_cond_signal(&l->cond);
    (void)rc;
    kiln_buf_release(&heap);
}

void event_log_free(void *arg)
{
    event_log *l = arg;
    if (!l) return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    if (l->thread_started) pthread_join(l->thread, NULL);
    if (!l->error && l->z) l->error = emit(l, NULL, 0, true);
    if (l->fd >= 0 && fsync(l->fd) != 0 && !l->error) l->error = KILN_EIO;
    if (l->fd >= 0) close(l->fd);
    l->fd = -1;
    if (l->ended && !l->error && rename(l->path, l->final) != 0)
        LOG(LOG_WARN, "ui", "event log: cannot rename %s to %s: %s", l->path, l->final,
            strerror(errno));
    log_free(l);
}
