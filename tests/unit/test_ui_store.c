/*
 * test_ui_store.c - the status store, its REST rendering and the event log
 * (src/ui/ui_status.h) on real jobs: word count over a random text file
 * (with empty lines and a skewed vocabulary), a job with a failing task, a
 * cached RDD, in local mode and on a local cluster. What the API says is
 * checked against what the program knows independently: the lines of the
 * file (inputRecords), the words (records the map stage writes = records
 * the reduce stage reads), shuffle bytes written = bytes read, the task
 * counts, the durations' quantiles against a sort of the task list's
 * durations. The event log is replayed into a second store, whose REST
 * output must equal the live store's, endpoint by endpoint; a log cut in
 * the middle of a line replays what precedes the cut; a corrupt line in the
 * middle is skipped with its file and line named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/json.h"
#include "engine/engine.h"
#include "kt.h"
#include "kt_fns.h"
#include "ui/ui_status.h"

static kiln_context *context(const char *master, const char *logdir, const char *extra_key,
                             const char *extra_val)
{
    kiln_conf *conf = kiln_conf_new();
    assert_non_null(conf);
    const char *forced = getenv("KT_MASTER");
    if (forced && *forced) master = forced;
    assert_int_equal(kiln_conf_set(conf, "kiln.master", master), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.app.name", "ui <script>\"test\""), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.test.password", "hunter2"), KILN_OK);
    if (logdir) {
        assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.enabled", "true"), KILN_OK);
        assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.dir", logdir), KILN_OK);
    }
    if (extra_key) assert_int_equal(kiln_conf_set(conf, extra_key, extra_val), KILN_OK);
    kiln_context *ctx = NULL;
    int rc = kiln_context_new(conf, &ctx);
    if (rc) fprintf(stderr, "context: %s\n", kiln_last_error());
    assert_int_equal(rc, KILN_OK);
    kiln_conf_free(conf);
    assert_non_null(ctx_ui_store(ctx));
    return ctx;
}

/* GET path (after /api/v1/applications/APP) parsed; fails unless status. */
static json_node *get(ui_store *s, kiln_arena *a, const char *path, const char *query, int status)
{
    char full[512];
    pthread_mutex_lock(&s->lock);
    snprintf(full, sizeof full, "/applications/%s%s", s->app_id, path);
    pthread_mutex_unlock(&s->lock);
    kiln_buf out;
    kiln_buf_init(&out);
    int st = ui_api_render(s, full, query, &out);
    if (st != status)
        fprintf(stderr, "GET %s?%s: %d %.*s\n", full, query ? query : "", st, (int)out.len,
                (const char *)out.data);
    assert_int_equal(st, status);
    json_node *v = NULL;
    char err[200];
    int rc = json_doc_parse(a, (const char *)out.data, out.len, &v, err, sizeof err);
    if (rc) fprintf(stderr, "GET %s: not JSON: %s\n", full, err);
    assert_int_equal(rc, KILN_OK);
    kiln_buf_release(&out);
    return v;
}

/* Writes a text file of n random lines (some empty, words from a skewed
 * vocabulary); returns the number of lines and words. */
static void write_text(const char *path, int n, uint64_t seed, int64_t *lines, int64_t *words)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    *lines = *words = 0;
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int k = (int)(x % 9) - 2; /* a fifth of the lines are empty */
        for (int w = 0; w < k; w++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned id = (unsigned)(x % 1000);
            id = id * id / 1000; /* skewed towards small ids */
            fprintf(f, "%sw%u", w ? " " : "", id);
            (*words)++;
        }
        fputc('\n', f);
        (*lines)++;
    }
    fclose(f);
}

static int64_t num(const json_node *o, const char *k)
{
    const json_node *v = json_get(o, k);
    if (!v || v->type != JSON_NUMBER) {
        fprintf(stderr, "no number %s\n", k);
        fail();
    }
    return v->is_int ? v->i : (int64_t)v->num;
}

static const char *str(const json_node *o, const char *k)
{
    const char *s = json_get_str(o, k);
    if (!s) {
        fprintf(stderr, "no string %s\n", k);
        fail();
    }
    return s;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Word count; checks the jobs, stages, tasks and executors the API shows. */
static void word_count(const char *master)
{
    char *dir = kt_tmpdir_new();
    char *path = kt_path(dir, "words.txt");
    int64_t lines, words;
    write_text(path, 5000, 7, &lines, &words);
    kiln_context *ctx = context(master, NULL, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(
        kiln_rdd_map(kiln_rdd_flat_map(kiln_text_file(ctx, path, 4), kiln_fn_split_whitespace, NULL,
                                       0),
                     kiln_fn_pair_one, NULL, 0),
        kiln_fn_add, NULL, 0, 3);
    int64_t distinct = 0;
    assert_int_equal(kiln_rdd_count(counts, &distinct), KILN_OK);
    kiln_arena *a = kiln_arena_new();

    json_node *jobs = get(s, a, "/jobs", NULL, 200);
    assert_int_equal(jobs->type, JSON_ARRAY);
    assert_int_equal(jobs->n, 1);
    const json_node *j = jobs->items[0];
    assert_string_equal(str(j, "status"), "SUCCEEDED");
    assert_int_equal(num(j, "numFailedTasks"), 0);
    const json_node *sids = json_get(j, "stageIds");
    assert_int_equal(sids->n, 2);
    int map_stage = (int)sids->items[0]->i, result_stage = (int)sids->items[1]->i;
    assert_true(map_stage < result_stage);
    assert_int_equal(num(j, "numCompletedTasks"), 4 + 3);
    assert_int_equal(num(j, "numTasks"), 4 + 3);
    assert_int_equal(num(j, "numCompletedStages"), 2);
    assert_non_null(json_get(j, "submissionTime"));
    assert_non_null(json_get(j, "completionTime"));

    char p[64];
    snprintf(p, sizeof p, "/stages/%d/0", map_stage);
    json_node *ms = get(s, a, p, NULL, 200);
    snprintf(p, sizeof p, "/stages/%d/0", result_stage);
    json_node *rs = get(s, a, p, NULL, 200);
    assert_string_equal(str(ms, "status"), "COMPLETE");
    assert_int_equal(num(ms, "numCompleteTasks"), 4);
    assert_int_equal(num(rs, "numCompleteTasks"), 3);
    assert_int_equal(num(ms, "inputRecords"), lines);
    assert_true(num(ms, "inputBytes") > 0);
    /* Records: the map side combines per task, so it writes at most the
     * words and at least the distinct words; the reduce side reads them all. */
    int64_t written = num(ms, "shuffleWriteRecords");
    assert_true(written <= words && written >= distinct);
    assert_int_equal(num(rs, "shuffleReadRecords"), written);
    assert_int_equal(num(rs, "shuffleReadBytes"), num(ms, "shuffleWriteBytes"));
    assert_true(num(ms, "shuffleWriteBytes") > 0);
    assert_int_equal(num(rs, "shuffleWriteBytes"), 0);
    /* each of the 3 reduce tasks reads a segment of each of the 4 map outputs */
    assert_int_equal(num(rs, "shuffleLocalBlocksFetched") + num(rs, "shuffleRemoteBlocksFetched"),
                     4 * 3);
    const json_node *parents = json_get(rs, "parentIds");
    (void)parents;

    /* The task list agrees with the stage; its durations' quantiles are
     * the summary's (Spark's index min(q * n, n - 1) of the sorted values). */
    snprintf(p, sizeof p, "/stages/%d/0/taskList", map_stage);
    json_node *tl = get(s, a, p, "length=100", 200);
    assert_int_equal(tl->n, 4);
    double d[4];
    int64_t in_sum = 0, sw_sum = 0;
    for (size_t i = 0; i < tl->n; i++) {
        const json_node *t = tl->items[i];
        assert_string_equal(str(t, "status"), "SUCCESS");
        d[i] = (double)num(t, "duration");
        const json_node *tm = json_get(t, "taskMetrics");
        in_sum += num(json_get(tm, "inputMetrics"), "recordsRead");
        sw_sum += num(json_get(tm, "shuffleWriteMetrics"), "bytesWritten");
        assert_true(num(tm, "executorRunTime") <= num(t, "duration") + 1);
    }
    assert_int_equal(in_sum, lines);
    assert_int_equal(sw_sum, num(ms, "shuffleWriteBytes"));
    qsort(d, 4, sizeof d[0], cmp_dbl);
    snprintf(p, sizeof p, "/stages/%d/0/taskSummary", map_stage);
    json_node *sum = get(s, a, p, "quantiles=0,0.25,0.5,0.75,1", 200);
    const json_node *qd = json_get(sum, "duration");
    assert_int_equal(qd->n, 5);
    double q[5] = {0, 0.25, 0.5, 0.75, 1};
    for (int i = 0; i < 5; i++) {
        size_t at = (size_t)(q[i] * 4);
        if (at > 3) at = 3;
        assert_true(qd->items[i]->num == d[at]);
    }
    /* sortBy=-runtime: longest first; offset and length page */
    json_node *longest = get(s, a, p, NULL, 200);
    (void)longest;
    snprintf(p, sizeof p, "/stages/%d/0/taskList", map_stage);
    json_node *desc = get(s, a, p, "sortBy=-runtime&length=2&offset=1", 200);
    assert_int_equal(desc->n, 2);
    assert_true(num(desc->items[0], "duration") == (int64_t)d[2]);

    /* Executors: every task is counted on one. */
    json_node *ex = get(s, a, "/executors", NULL, 200);
    int64_t done = 0, read = 0, wrote = 0;
    for (size_t i = 0; i < ex->n; i++) {
        done += num(ex->items[i], "completedTasks");
        read += num(ex->items[i], "totalShuffleRead");
        wrote += num(ex->items[i], "totalShuffleWrite");
        assert_true(num(ex->items[i], "totalCores") > 0);
        assert_int_equal(num(ex->items[i], "activeTasks"), 0); /* every one ended */
        if (strncmp(master, "local-cluster", 13) == 0)
            assert_int_equal(num(ex->items[i], "maxMemory"), 256 << 20);
        assert_true(json_get_bool(ex->items[i], "isActive", false));
    }
    assert_int_equal(done, 7);
    assert_int_equal(read, wrote);

    /* Environment: the application's configuration, secrets redacted. */
    json_node *env = get(s, a, "/environment", NULL, 200);
    const json_node *props = json_get(env, "sparkProperties");
    bool saw_secret = false;
    for (size_t i = 0; i < props->n; i++)
        if (strcmp(props->items[i]->items[0]->str, "kiln.test.password") == 0) {
            assert_string_equal(props->items[i]->items[1]->str, UI_REDACTED);
            saw_secret = true;
        }
    assert_true(saw_secret);

    /* Errors: unknown ids 404, malformed ones 400. */
    get(s, a, "/jobs/99", NULL, 404);
    get(s, a, "/jobs/x1", NULL, 400);
    get(s, a, "/stages/1/zz", NULL, 400);
    get(s, a, "/nothing", NULL, 404);
    snprintf(p, sizeof p, "/stages/%d/0/taskList", map_stage);
    get(s, a, p, "sortBy=banana", 400);
    json_node *apps;
    {
        kiln_buf out;
        kiln_buf_init(&out);
        assert_int_equal(ui_api_render(s, "/applications", NULL, &out), 200);
        char err[100];
        assert_int_equal(json_doc_parse(a, (char *)out.data, out.len, &apps, err, sizeof err),
                         KILN_OK);
        assert_string_equal(str(apps->items[0], "name"), "ui <script>\"test\"");
        kiln_buf_release(&out);
    }
    kiln_arena_free(a);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    free(path);
    free(dir);
}

static void word_count_local(void **state)
{
    (void)state;
    word_count("local[3]");
}

static void word_count_local_cluster(void **state)
{
    (void)state;
    word_count("local-cluster[2,1,256]");
}

/* A failing task: the job and stage fail with the task's message. */
static void failing_job(void **state)
{
    (void)state;
    kiln_context *ctx = context("local[2,2]", NULL, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    kiln_rdd *m = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), kt_fail_on_seven_fn, NULL, 0);
    int64_t n;
    assert_int_not_equal(kiln_rdd_count(m, &n), KILN_OK);
    kiln_arena *a = kiln_arena_new();
    json_node *jobs = get(s, a, "/jobs", "status=failed", 200);
    assert_int_equal(jobs->n, 1);
    assert_string_equal(str(jobs->items[0], "status"), "FAILED");
    assert_int_equal(num(jobs->items[0], "numFailedTasks"), 2); /* two attempts of one task */
    json_node *none = get(s, a, "/jobs", "status=succeeded", 200);
    assert_int_equal(none->n, 0);
    json_node *st = get(s, a, "/stages", "status=failed", 200);
    assert_int_equal(st->n, 1);
    assert_non_null(strstr(str(st->items[0], "failureReason"), "seven"));
    char p[64];
    snprintf(p, sizeof p, "/stages/%lld/0/taskList", (long long)num(st->items[0], "stageId"));
    json_node *failed = get(s, a, p, "status=failed", 200);
    assert_int_equal(failed->n, 2);
    assert_non_null(strstr(str(failed->items[0], "errorMessage"), "seven"));
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

/* A cached RDD is listed with every partition, on its executors. */
static void cached_rdd(const char *master)
{
    kiln_context *ctx = context(master, NULL, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    kiln_rdd *r = kiln_rdd_persist(kiln_range(ctx, 0, 1000, 1, 5), KILN_MEMORY_ONLY);
    int64_t n;
    assert_int_equal(kiln_rdd_count(r, &n), KILN_OK);
    kiln_arena *a = kiln_arena_new();
    json_node *rdds = get(s, a, "/storage/rdd", NULL, 200);
    assert_int_equal(rdds->n, 1);
    assert_int_equal(num(rdds->items[0], "numPartitions"), 5);
    assert_int_equal(num(rdds->items[0], "numCachedPartitions"), 5);
    assert_string_equal(str(rdds->items[0], "storageLevel"), "Memory Deserialized 1x Replicated");
    /* local mode knows each block's size in memory */
    if (strncmp(master, "local[", 6) == 0) assert_true(num(rdds->items[0], "memoryUsed") > 0);
    char p[64];
    snprintf(p, sizeof p, "/storage/rdd/%lld", (long long)num(rdds->items[0], "id"));
    json_node *one = get(s, a, p, NULL, 200);
    assert_int_equal(json_get(one, "partitions")->n, 5);
    kiln_rdd_unpersist(r);
    rdds = get(s, a, "/storage/rdd", NULL, 200);
    assert_int_equal(rdds->n, 0);
    get(s, a, p, NULL, 404);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void cached_rdd_local(void **state)
{
    (void)state;
    cached_rdd("local[2]");
}

static void cached_rdd_local_cluster(void **state)
{
    (void)state;
    cached_rdd("local-cluster[2,1,256]");
}

/* Retention: past kiln.ui.retainedJobs the oldest finished jobs go. */
static void retention(void **state)
{
    (void)state;
    kiln_context *ctx = context("local[2]", NULL, "kiln.ui.retainedJobs", "3");
    ui_store *s = ctx_ui_store(ctx);
    kiln_rdd *r = kiln_range(ctx, 0, 10, 1, 2);
    for (int i = 0; i < 8; i++) {
        int64_t n;
        assert_int_equal(kiln_rdd_count(r, &n), KILN_OK);
    }
    kiln_arena *a = kiln_arena_new();
    json_node *jobs = get(s, a, "/jobs", NULL, 200);
    assert_int_equal(jobs->n, 3);
    assert_int_equal(num(jobs->items[0], "jobId"), 7); /* newest first */
    assert_int_equal(num(jobs->items[2], "jobId"), 5);
    get(s, a, "/jobs/0", NULL, 404);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

/* Every endpoint's output, concatenated. */
static void render_all(ui_store *s, kiln_buf *out)
{
    static const char *const paths[] = {"/jobs", "/stages", "/allexecutors", "/storage/rdd",
                                        "/environment"};
    char app[128];
    snprintf(app, sizeof app, "/applications/%s", s->app_id);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s%s", app, paths[i]);
        assert_int_equal(ui_api_render(s, full, NULL, out), 200);
        kiln_buf_append(out, "\n", 1);
    }
    pthread_mutex_lock(&s->lock);
    size_t n = s->nstages;
    int ids[64][2];
    for (size_t i = 0; i < n && i < 64; i++) {
        ids[i][0] = s->stages[i].id;
        ids[i][1] = s->stages[i].attempt;
    }
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n && i < 64; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s/stages/%d/%d/taskList", app, ids[i][0], ids[i][1]);
        assert_int_equal(ui_api_render(s, full, "length=100000", out), 200);
        snprintf(full, sizeof full, "%s/stages/%d/%d/taskSummary", app, ids[i][0], ids[i][1]);
        int st = ui_api_render(s, full, "quantiles=0,0.25,0.5,0.75,1", out);
        assert_true(st == 200 || st == 404);
        kiln_buf_append(out, "\n", 1);
    }
}

static char *find_log(const char *dir, bool inprogress)
{
    size_t n;
    char **names = kt_list_dir(dir, &n);
    char *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        bool ip = strstr(names[i], ".inprogress") != NULL;
        if (ip == inprogress) found = kt_path(dir, names[i]);
    }
    kt_names_free(names, n);
    return found;
}

/* The live store and the store replayed from the event log agree. */
static void round_trip(const char *master, bool compress)
{
    char *dir = kt_tmpdir_new();
    char *path = kt_path(dir, "words.txt");
    char *logs = kt_path(dir, "logs");
    int64_t lines, words;
    write_text(path, 3000, 11, &lines, &words);
    kiln_context *ctx = context(master, logs, compress ? "kiln.eventLog.compress" : NULL, "true");
    ui_store *live = ctx_ui_store(ctx);
    kiln_rdd *cached = kiln_rdd_persist(kiln_text_file(ctx, path, 3), KILN_MEMORY_ONLY);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(
        kiln_rdd_map(kiln_rdd_flat_map(cached, kiln_fn_split_whitespace, NULL, 0), kiln_fn_pair_one,
                     NULL, 0),
        kiln_fn_add, NULL, 0, 2);
    int64_t n;
    assert_int_equal(kiln_rdd_count(counts, &n), KILN_OK);
    assert_int_equal(kiln_rdd_count(counts, &n), KILN_OK); /* its map stage skipped */
    kiln_rdd *bad = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), kt_fail_on_seven_fn, NULL, 0);
    assert_int_not_equal(kiln_rdd_count(bad, &n), KILN_OK);
    kiln_buf a, b;
    kiln_buf_init(&a);
    kiln_buf_init(&b);
    render_all(live, &a);
    char *inprog = find_log(logs, true);
    assert_non_null(inprog);
    if (compress) assert_non_null(strstr(inprog, ".zstd.inprogress"));
    free(inprog);
    kiln_context_free(ctx);
    char *log = find_log(logs, false);
    assert_non_null(log); /* renamed at the end */
    assert_null(find_log(logs, true));
    ui_store *re = ui_store_new(NULL);
    int64_t skipped = -1;
    char err[300];
    assert_int_equal(ui_replay(log, re, &skipped, err, sizeof err), KILN_OK);
    assert_int_equal(skipped, 0);
    render_all(re, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        size_t i = 0;
        while (i < a.len && i < b.len && a.data[i] == b.data[i]) i++;
        size_t from = i > 200 ? i - 200 : 0;
        fprintf(stderr, "live:     %.*s\nreplayed: %.*s\n", (int)(i + 100 - from),
                (char *)a.data + from, (int)(i + 100 - from), (char *)b.data + from);
        fail();
    }
    assert_true(re->app_end > 0);
    ui_store_free(re);

    if (compress) {
        /* A compressed log cut short (a crashed driver): what decodes replays. */
        size_t len;
        char *bytes = kt_read_file(log, &len);
        char *cutpath = kt_path(dir, "cut.zstd.inprogress");
        kt_write_file(cutpath, bytes, len / 2);
        re = ui_store_new(NULL);
        assert_int_equal(ui_replay(cutpath, re, &skipped, err, sizeof err), KILN_OK);
        assert_int_equal(skipped, 0);
        assert_true(re->app_end == 0);
        ui_store_free(re);
        free(cutpath);
        free(bytes);
    }
    if (!compress) {
        /* Cut the log in the middle of a line: the store gets what precedes. */
        size_t len;
        char *text = kt_read_file(log, &len);
        size_t cut = len * 2 / 3;
        while (cut < len && text[cut] == '\n') cut++;
        int64_t whole = 0, task_ends = 0;
        for (size_t i = 0; i < cut; i++)
            if (text[i] == '\n') whole++;
        size_t last_nl = cut;
        while (last_nl > 0 && text[last_nl - 1] != '\n') last_nl--;
        for (char *p = text;
             (p = strstr(p, "SparkListenerTaskEnd")) && (size_t)(p - text) < last_nl; p++)
            task_ends++;
        char *cutpath = kt_path(dir, "cut.inprogress");
        kt_write_file(cutpath, text, cut);
        re = ui_store_new(NULL);
        assert_int_equal(ui_replay(cutpath, re, &skipped, err, sizeof err), KILN_OK);
        assert_int_equal(skipped, 0);
        int64_t seen = 0;
        for (size_t i = 0; i < re->nstages; i++)
            seen += re->stages[i].complete + re->stages[i].failed + re->stages[i].killed;
        assert_int_equal(seen, task_ends);
        assert_true(re->app_end == 0);
        ui_store_free(re);
        (void)whole;
        /* A corrupt line in the middle: skipped, named, the rest replayed. */
        size_t mid = len / 2;
        while (text[mid] != '\n') mid++;
        kiln_buf bad_log;
        kiln_buf_init(&bad_log);
        kiln_buf_append(&bad_log, text, mid + 1);
        kiln_buf_append(&bad_log, "{\"Event\": \"SparkListenerTaskEnd\", oops\n", 39);
        kiln_buf_append(&bad_log, text + mid + 1, len - mid - 1);
        int64_t line_no = 1;
        for (size_t i = 0; i <= mid; i++) line_no += text[i] == '\n';
        char *badpath = kt_path(dir, "bad.log");
        kt_write_file(badpath, bad_log.data, bad_log.len);
        re = ui_store_new(NULL);
        assert_int_equal(ui_replay(badpath, re, &skipped, err, sizeof err), KILN_OK);
        assert_int_equal(skipped, 1);
        char want[600];
        snprintf(want, sizeof want, "%s:%lld: byte", badpath, (long long)line_no);
        if (strncmp(err, want, strlen(want)) != 0) fprintf(stderr, "%s\nwant %s\n", err, want);
        assert_true(strncmp(err, want, strlen(want)) == 0);
        kiln_buf b2;
        kiln_buf_init(&b2);
        render_all(re, &b2);
        assert_true(b2.len == a.len && memcmp(b2.data, a.data, a.len) == 0);
        kiln_buf_release(&b2);
        ui_store_free(re);
        kiln_buf_release(&bad_log);
        free(badpath);
        free(cutpath);
        free(text);
    }
    kiln_buf_release(&a);
    kiln_buf_release(&b);
    free(log);
    kt_rm_rf(dir);
    free(logs);
    free(path);
    free(dir);
}

static void round_trip_local(void **state)
{
    (void)state;
    round_trip("local[2]", false);
}

static void round_trip_local_zstd(void **state)
{
    (void)state;
    round_trip("local[2]", true);
}

static void round_trip_local_cluster(void **state)
{
    (void)state;
    round_trip("local-cluster[2,1,256]", false);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(word_count_local),
        cmocka_unit_test(word_count_local_cluster),
        cmocka_unit_test(failing_job),
        cmocka_unit_test(cached_rdd_local),
        cmocka_unit_test(cached_rdd_local_cluster),
        cmocka_unit_test(retention),
        cmocka_unit_test(round_trip_local),
        cmocka_unit_test(round_trip_local_zstd),
        cmocka_unit_test(round_trip_local_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
