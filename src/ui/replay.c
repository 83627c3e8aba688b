/*
 * ui/replay.c - reading an event log back into a status store
 * (ui_status.h), as Spark's ReplayListenerBus: line by line, each line's
 * JSON (base/json.h) turned back into the engine_event it was written from
 * (event_log.c) and applied at its logged time. Unknown events are
 * ignored (a newer writer, or Spark's own logs). A last line without its
 * newline is what a crashed driver left half written: it is dropped. A
 * line that does not parse elsewhere is skipped and counted; the first
 * such error names the file and line. Memory stays that of the store plus
 * one line: each line is parsed into an arena reset for the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/conf.h"
#include "base/json.h"
#include "ui/ui_status.h"

typedef struct replay {
    ui_store *s;
    const char *path;
    kiln_arena *a;
    int64_t line, skipped;
    char *err;
    size_t errsize;
} replay;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int64_t get_i(const json_node *o, const char *k)
{
    return json_get_int(o, k, 0);
}

static double wall_of(int64_t ms)
{
    return (double)ms / 1000.0;
}

static kiln_storage_level level_of(const json_node *sl)
{
    bool disk = json_get_bool(sl, "Use Disk", false), mem = json_get_bool(sl, "Use Memory", false);
    bool deser = json_get_bool(sl, "Deserialized", false);
    if (disk && mem) return KILN_MEMORY_AND_DISK;
    if (disk) return KILN_DISK_ONLY;
    if (mem) return deser ? KILN_MEMORY_ONLY : KILN_MEMORY_ONLY_SER;
    return KILN_STORAGE_NONE;
}

static int *int_list(kiln_arena *a, const json_node *v, int *n)
{
    *n = 0;
    if (!v || v->type != JSON_ARRAY || v->n == 0) return NULL;
    int *out = kiln_arena_alloc(a, v->n * sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type == JSON_NUMBER) out[(*n)++] = (int)v->items[i]->num;
    return out;
}

static void stage_of(kiln_arena *a, const json_node *si, engine_stage_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = (int)get_i(si, "Stage ID");
    out->attempt = (int)get_i(si, "Stage Attempt ID");
    out->name = json_get_str(si, "Stage Name");
    out->tasks = (int)get_i(si, "Number of Tasks");
    out->parents = int_list(a, json_get(si, "Parent IDs"), &out->nparents);
    const json_node *rdds = json_get(si, "RDD Info");
    if (rdds && rdds->type == JSON_ARRAY && rdds->n) {
        engine_rdd_info *ri = kiln_arena_alloc(a, rdds->n * sizeof *ri);
        if (!ri) return;
        for (size_t i = 0; i < rdds->n; i++) {
            const json_node *r = rdds->items[i];
            int np;
            int *parents = int_list(a, json_get(r, "Parent IDs"), &np);
            ri[i] = (engine_rdd_info){.id = (int)get_i(r, "RDD ID"),
                                      .name = json_get_str(r, "Name"),
                                      .partitions = (int)get_i(r, "Number of Partitions"),
                                      .storage = level_of(json_get(r, "Storage Level")),
                                      .parent = np ? parents[0] : -1};
        }
        out->rdds = ri;
        out->nrdds = (int)rdds->n;
    }
}

static void metrics_of(const json_node *m, task_metrics *t)
{
    memset(t, 0, sizeof *t);
    if (!m) return;
    t->run_time = get_i(m, "Executor Run Time");
    t->cpu_time = get_i(m, "Executor CPU Time");
    t->deser_time = get_i(m, "Executor Deserialize Time");
    t->deser_cpu_time = get_i(m, "Executor Deserialize CPU Time");
    t->result_ser_time = get_i(m, "Result Serialization Time");
    t->peak_memory = get_i(m, "Peak Execution Memory");
    t->result_size = get_i(m, "Result Size");
    t->memory_spilled = get_i(m, "Memory Bytes Spilled");
    t->disk_spilled = get_i(m, "Disk Bytes Spilled");
    const json_node *sr = json_get(m, "Shuffle Read Metrics");
    t->sr_remote_blocks = get_i(sr, "Remote Blocks Fetched");
    t->sr_local_blocks = get_i(sr, "Local Blocks Fetched");
    t->sr_fetch_wait = get_i(sr, "Fetch Wait Time");
    t->sr_remote_bytes = get_i(sr, "Remote Bytes Read");
    t->sr_local_bytes = get_i(sr, "Local Bytes Read");
    t->sr_records = get_i(sr, "Total Records Read");
    const json_node *sw = json_get(m, "Shuffle Write Metrics");
    t->sw_bytes = get_i(sw, "Shuffle Bytes Written");
    t->sw_time = get_i(sw, "Shuffle Write Time");
    t->sw_records = get_i(sw, "Shuffle Records Written");
    const json_node *in = json_get(m, "Input Metrics");
    t->input_bytes = get_i(in, "Bytes Read");
    t->input_records = get_i(in, "Records Read");
    const json_node *out = json_get(m, "Output Metrics");
    t->output_bytes = get_i(out, "Bytes Written");
    t->output_records = get_i(out, "Records Written");
}

/* A task's accumulator updates (Task Info's Accumulables: each "ID" with
 * its "Update", a string as Spark writes SQL metrics, or a number). */
static void accumulables_of(kiln_arena *a, const json_node *list, engine_event *e)
{
    if (!list || list->type != JSON_ARRAY || !list->n) return;
    acc_update *u = kiln_arena_alloc(a, list->n * sizeof *u);
    if (!u) return;
    size_t n = 0;
    for (size_t i = 0; i < list->n; i++) {
        const json_node *x = list->items[i];
        const json_node *up = json_get(x, "Update");
        if (!up || !json_get(x, "ID")) continue;
        u[n].id = get_i(x, "ID");
        if (up->type == JSON_NUMBER) {
            u[n].delta = up->is_int ? kiln_int(up->i) : kiln_double(up->num);
        } else if (up->type == JSON_STRING) {
            char *end;
            errno = 0;
            long long iv = strtoll(up->str, &end, 10);
            if (!*end && end != up->str && errno == 0) {
                u[n].delta = kiln_int(iv);
            } else {
                double d = strtod(up->str, &end);
                if (*end || end == up->str) continue;
                u[n].delta = kiln_double(d);
            }
        } else {
            continue;
        }
        n++;
    }
    e->accs = u;
    e->naccs = n;
}

/* Applies one parsed line; false when it is not an event object. */
static bool apply(replay *r, const json_node *v)
{
    const char *ev = json_get_str(v, "Event");
    if (!ev) return false;
    kiln_arena *a = r->a;
    engine_event e = {.executor = -1, .job = -1, .sql_execution = -1};
    double wall = 0;
    if (strcmp(ev, "SparkListenerApplicationStart") == 0) {
        e.kind = EV_APP_START;
        e.name = json_get_str(v, "App Name");
        e.message = json_get_str(v, "App ID");
        e.user = json_get_str(v, "User");
        wall = wall_of(get_i(v, "Timestamp"));
    } else if (strcmp(ev, "SparkListenerApplicationEnd") == 0) {
        e.kind = EV_APP_END;
        wall = wall_of(get_i(v, "Timestamp"));
    } else if (strcmp(ev, "SparkListenerEnvironmentUpdate") == 0) {
        const json_node *props = json_get(v, "Spark Properties");
        const json_node *srcs = json_get(v, "Kiln Property Sources");
        kiln_conf *c = kiln_conf_new();
        if (!c) return true;
        for (size_t i = 0; props && props->type == JSON_OBJECT && i < props->n; i++) {
            const json_node *val = props->items[i];
            const char *src = json_get_str(srcs, props->keys[i]);
            if (val->type == JSON_STRING)
                (void)conf_set_from(c, props->keys[i], val->str, src ? src : "");
        }
        e.kind = EV_ENVIRONMENT;
        e.conf = c;
        ui_store_apply(r->s, &e, 0);
        kiln_conf_free(c);
        return true;
    } else if (strcmp(ev, "SparkListenerExecutorAdded") == 0) {
        const json_node *info = json_get(v, "Executor Info");
        e.kind = EV_EXECUTOR_ADDED;
        e.name = json_get_str(v, "Executor ID");
        e.host = json_get_str(info, "Host");
        e.cores = (int)get_i(info, "Total Cores");
        e.memory = get_i(info, "Maximum Memory");
        wall = wall_of(get_i(v, "Timestamp"));
    } else if (strcmp(ev, "SparkListenerExecutorRemoved") == 0) {
        e.kind = EV_EXECUTOR_LOST;
        e.name = json_get_str(v, "Executor ID");
        e.message = json_get_str(v, "Removed Reason");
        wall = wall_of(get_i(v, "Timestamp"));
    } else if (strcmp(ev, "SparkListenerJobStart") == 0) {
        e.kind = EV_JOB_START;
        e.job = (int)get_i(v, "Job ID");
        e.name = json_get_str(json_get(v, "Properties"), "kiln.job.action");
        const json_node *props = json_get(v, "Properties");
        const char *sql_id = json_get_str(props, "spark.sql.execution.id");
        if (sql_id) e.sql_execution = strtoll(sql_id, NULL, 10);
        /* The job's local properties, as the live job carried them. */
        if (props && props->type == JSON_OBJECT && props->n) {
            const char **kv = kiln_arena_alloc(a, 2 * props->n * sizeof *kv);
            for (size_t i = 0; kv && i < props->n; i++) {
                const char *k = props->keys[i];
                if (props->items[i]->type != JSON_STRING || strcmp(k, "kiln.job.action") == 0 ||
                    strcmp(k, "spark.sql.execution.id") == 0)
                    continue;
                kv[2 * e.nprops] = k;
                kv[2 * e.nprops + 1] = props->items[i]->str;
                e.nprops++;
            }
            e.props = kv;
        }
        const json_node *infos = json_get(v, "Stage Infos");
        if (infos && infos->type == JSON_ARRAY && infos->n) {
            engine_stage_info *si = kiln_arena_alloc(a, infos->n * sizeof *si);
            if (si) {
                for (size_t i = 0; i < infos->n; i++) stage_of(a, infos->items[i], &si[i]);
                e.stages = si;
                e.nstages = (int)infos->n;
            }
        }
        wall = wall_of(get_i(v, "Submission Time"));
    } else if (strcmp(ev, "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart") ==
               0) {
        e.kind = EV_SQL_START;
        e.sql_execution = get_i(v, "executionId");
        e.name = json_get_str(v, "description");
        e.plan = json_get_str(v, "physicalPlanDescription");
        wall = wall_of(get_i(v, "time"));
    } else if (strcmp(ev, "org.apache.spark.sql.execution.ui."
                          "SparkListenerSQLAdaptiveExecutionUpdate") == 0) {
        const json_node *info = json_get(v, "sparkPlanInfo");
        if (!info || info->type != JSON_OBJECT) return true;
        kiln_buf b;
        kiln_buf_init(&b);
        json_writer w;
        json_writer_init(&w, &b);
        json_write_node(&w, info);
        int rc = json_writer_finish(&w);
        if (!rc) rc = kiln_buf_append(&b, "", 1);
        if (!rc) {
            e.kind = EV_SQL_PLAN;
            e.sql_execution = get_i(v, "executionId");
            e.plan = json_get_str(v, "physicalPlanDescription");
            e.plan_info = (const char *)b.data;
            ui_store_apply(r->s, &e, 0);
        }
        kiln_buf_release(&b);
        return true;
    } else if (strcmp(ev, "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd") == 0) {
        e.kind = EV_SQL_END;
        e.sql_execution = get_i(v, "executionId");
        e.message = json_get_str(v, "errorMessage");
        e.rc = e.message ? KILN_ESQL : KILN_OK;
        wall = wall_of(get_i(v, "time"));
    } else if (strcmp(ev, "SparkListenerJobEnd") == 0) {
        const json_node *res = json_get(v, "Job Result");
        const char *result = json_get_str(res, "Result");
        e.kind = EV_JOB_END;
        e.job = (int)get_i(v, "Job ID");
        e.rc = result && strcmp(result, "JobSucceeded") == 0 ? KILN_OK : KILN_EJOB;
        e.message = json_get_str(json_get(res, "Exception"), "Message");
        wall = wall_of(get_i(v, "Completion Time"));
    } else if (strcmp(ev, "SparkListenerStageSubmitted") == 0 ||
               strcmp(ev, "SparkListenerStageCompleted") == 0) {
        bool start = strcmp(ev, "SparkListenerStageSubmitted") == 0;
        const json_node *info = json_get(v, "Stage Info");
        engine_stage_info *si = kiln_arena_alloc(a, sizeof *si);
        if (!si || !info) return info != NULL;
        stage_of(a, info, si);
        e.kind = start ? EV_STAGE_START : EV_STAGE_END;
        e.stage = si->id;
        e.attempt = si->attempt;
        e.name = si->name;
        e.tasks = si->tasks;
        e.stages = si;
        e.nstages = 1;
        e.message = json_get_str(info, "Failure Reason");
        e.rc = e.message ? KILN_EJOB : KILN_OK;
        wall = wall_of(get_i(info, start ? "Submission Time" : "Completion Time"));
    } else if (strcmp(ev, "SparkListenerTaskStart") == 0 ||
               strcmp(ev, "SparkListenerTaskEnd") == 0) {
        bool end = strcmp(ev, "SparkListenerTaskEnd") == 0;
        const json_node *ti = json_get(v, "Task Info");
        e.kind = end ? EV_TASK_END : EV_TASK_START;
        e.stage = (int)get_i(v, "Stage ID");
        e.stage_attempt = (int)get_i(v, "Stage Attempt ID");
        e.task_id = get_i(ti, "Task ID");
        e.partition = (int)get_i(ti, "Index");
        e.attempt = (int)get_i(ti, "Attempt");
        e.speculative = json_get_bool(ti, "Speculative", false);
        e.name = json_get_str(ti, "Executor ID");
        int64_t launch = get_i(ti, "Launch Time");
        wall = wall_of(launch);
        if (end) {
            int64_t finish = get_i(ti, "Finish Time");
            const json_node *why = json_get(v, "Task End Reason");
            const char *reason = json_get_str(why, "Reason");
            task_metrics *m = kiln_arena_alloc(a, sizeof *m);
            if (m) metrics_of(json_get(v, "Task Metrics"), m);
            e.metrics = m;
            e.name = json_get_str(ti, "Executor ID");
            e.host = json_get_str(ti, "Host");
            const char *type = json_get_str(v, "Task Type");
            e.shuffle_map = type && strcmp(type, "ShuffleMapTask") == 0;
            if (!reason || strcmp(reason, "Success") == 0) {
                e.rc = KILN_OK;
            } else if (strcmp(reason, "TaskKilled") == 0) {
                e.rc = KILN_EJOB;
                e.message = json_get_str(why, "Kill Reason");
                if (!e.message || !strstr(e.message, "cancelled")) e.message = "job cancelled";
            } else {
                e.rc = strcmp(reason, "FetchFailed") == 0 ? KILN_EFETCH : KILN_EUSER;
                e.message = json_get_str(why, "Description");
                if (!e.message) e.message = reason;
            }
            wall = wall_of(finish);
            e.duration = wall_of(finish) - wall_of(launch);
            if (e.rc == KILN_OK) accumulables_of(a, json_get(ti, "Accumulables"), &e);
        }
    } else if (strcmp(ev, "SparkListenerBlockUpdated") == 0) {
        const json_node *bi = json_get(v, "Block Updated Info");
        const char *id = json_get_str(bi, "Block ID");
        int rdd, part;
        if (!id || sscanf(id, "rdd_%d_%d", &rdd, &part) != 2) return true;
        e.kind = EV_BLOCK_UPDATED;
        e.rdd = rdd;
        e.part = part;
        e.storage = level_of(json_get(bi, "Storage Level"));
        e.name = json_get_str(json_get(bi, "Block Manager ID"), "Executor ID");
        e.bytes = get_i(bi, "Memory Size");
        e.disk_bytes = get_i(bi, "Disk Size");
    } else if (strcmp(ev, "SparkListenerUnpersistRDD") == 0) {
        e.kind = EV_UNPERSIST;
        e.rdd = (int)get_i(v, "RDD ID");
    } else {
        return true; /* an event kiln does not show */
    }
    ui_store_apply(r->s, &e, wall);
    return true;
}

static void one_line(replay *r, const char *p, size_t n)
{
    r->line++;
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (n == 0) return;
    kiln_arena_reset(r->a);
    json_node *v;
    char msg[256];
    int rc = json_doc_parse(r->a, p, n, &v, msg, sizeof msg);
    if (rc == KILN_OK && !apply(r, v)) {
        rc = KILN_ECORRUPT;
        snprintf(msg, sizeof msg, "not an event (no \"Event\" member)");
    }
    if (rc == KILN_OK) return;
    if (r->skipped++ == 0 && r->err && r->errsize)
        snprintf(r->err, r->errsize, "%s:%lld: %s", r->path, (long long)r->line, msg);
    LOG(LOG_WARN, "ui", "%s:%lld: skipping a corrupt event: %s", r->path, (long long)r->line, msg);
}

/* Splits the bytes at p into lines; what follows the last newline is kept
 * in *carry for the next chunk. */
static int feed(replay *r, kiln_buf *carry, const uint8_t *p, size_t n)
{
    while (n > 0) {
        const uint8_t *nl = memchr(p, '\n', n);
        if (!nl) return kiln_buf_append(carry, p, n);
        size_t k = (size_t)(nl - p);
        if (carry->len) {
            int rc = kiln_buf_append(carry, p, k);
            if (rc) return rc;
            one_line(r, (const char *)carry->data, carry->len);
            carry->len = 0;
        } else {
            one_line(r, (const char *)p, k);
        }
        p += k + 1;
        n -= k + 1;
    }
    return KILN_OK;
}

int ui_replay_line(ui_store *s, const char *p, size_t n, char *err, size_t errsize)
{
    replay r = {.s = s, .path = "line", .a = kiln_arena_new(), .err = err, .errsize = errsize};
    if (!r.a) return KILN_ENOMEM;
    one_line(&r, p, n);
    kiln_arena_free(r.a);
    return r.skipped ? KILN_ECORRUPT : KILN_OK;
}

int ui_replay(const char *path, ui_store *s, int64_t *skipped, char *err, size_t errsize)
{
    if (err && errsize) err[0] = '\0';
    if (skipped) *skipped = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kiln_set_error(KILN_EIO, "cannot open event log %s: %s", path, strerror(errno));
    bool zst = ends_with(path, ".zstd") || ends_with(path, ".zstd.inprogress") ||
               ends_with(path, ".zst") || ends_with(path, ".zst.inprogress");
    replay r = {.s = s, .path = path, .a = kiln_arena_new(), .err = err, .errsize = errsize};
    ZSTD_DCtx *z = zst ? ZSTD_createDCtx() : NULL;
    size_t incap = 1u << 20, outcap = zst ? ZSTD_DStreamOutSize() * 4 : 0;
    uint8_t *in = malloc(incap), *out = zst ? malloc(outcap) : NULL;
    kiln_buf carry;
    kiln_buf_init(&carry);
    int rc = KILN_OK;
    if (!r.a || !in || (zst && (!z || !out))) rc = KILN_ENOMEM;
    bool zbroken = false;
    while (rc == KILN_OK) {
        ssize_t got = read(fd, in, incap);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            rc = kiln_set_error(KILN_EIO, "reading event log %s: %s", path, strerror(errno));
            break;
        }
        if (got == 0) break;
        if (!zst) {
            rc = feed(&r, &carry, in, (size_t)got);
            continue;
        }
        ZSTD_inBuffer zin = {in, (size_t)got, 0};
        while (rc == KILN_OK && !zbroken && zin.pos < zin.size) {
            ZSTD_outBuffer zout = {out, outcap, 0};
            size_t ret = ZSTD_decompressStream(z, &zout, &zin);
            if (ZSTD_isError(ret)) {
                /* A damaged tail (a crashed writer): keep what came before. */
                LOG(LOG_WARN, "ui", "event log %s: zstd: %s; reading stops there", path,
                    ZSTD_getErrorName(ret));
                zbroken = true;
                break;
            }
            rc = feed(&r, &carry, out, zout.pos);
        }
        if (zbroken) break;
    }
    /* carry holds a last line without its newline: half written, dropped. */
    if (rc == KILN_ENOMEM) kiln_set_error(rc, "out of memory replaying %s", path);
    if (skipped) *skipped = r.skipped;
    kiln_buf_release(&carry);
    free(in);
    free(out);
    ZSTD_freeDCtx(z);
    kiln_arena_free(r.a);
    close(fd);
    return rc;
}
