/*
 * test_ui_cluster_metrics.c - the status store's executor and task metrics
 * in cluster mode (local-cluster), each against a number the test knows
 * independently:
 * - cached blocks: an RDD cached on executors has the memory size in the
 *   store that the same RDD cached in local mode has (kiln_rdd_storage; the
 *   blocks are the same values), and a DISK_ONLY one the disk size local
 *   mode's store gives it (the same files);
 * - remote blocks fetched: each reduce task's remoteBlocksFetched is the
 *   number of map outputs placed on another executor (the map tasks'
 *   executors in the task list), local ones the rest;
 * - activeTasks: while a slow stage runs some executor shows running tasks,
 *   and running tasks in the task list name their executor; 0 after;
 * - deserialize time and scheduler delay: executors decode every task (CPU
 *   time > 0), and schedulerDelay is Spark's formula over the other fields;
 * - spills: under a 1m budget a sort spills, disk_spilled (compressed
 *   files) below memory_spilled, both > 0; SQL's aggregate and sort too
 *   count what their rows took in memory apart from their files' bytes;
 * - input metrics of SQL scans: a CSV's bytes read are its file's size and
 *   its records its rows; a Parquet scan of one column of several reads
 *   less than the file and gives every row; JSON Lines read as JSON and as
 *   text count their files' sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "engine/engine.h"
#include "kiln/sql.h"
#include "kt.h"
#include "ui/ui_status.h"

#define CLUSTER "local-cluster[2,1,256]"

static kiln_context *context(const char *master, const char *key, const char *val)
{
    kiln_conf *conf = kiln_conf_new();
    assert_non_null(conf);
    assert_int_equal(kiln_conf_set(conf, "kiln.master", master), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    if (key) assert_int_equal(kiln_conf_set(conf, key, val), KILN_OK);
    kiln_context *ctx = NULL;
    int rc = kiln_context_new(conf, &ctx);
    if (rc) fprintf(stderr, "context: %s\n", kiln_last_error());
    assert_int_equal(rc, KILN_OK);
    kiln_conf_free(conf);
    assert_non_null(ctx_ui_store(ctx));
    return ctx;
}

/* GET path (after /api/v1/applications/APP), parsed into a. */
static json_node *get(ui_store *s, kiln_arena *a, const char *path, const char *query)
{
    char full[512];
    pthread_mutex_lock(&s->lock);
    snprintf(full, sizeof full, "/applications/%s%s", s->app_id, path);
    pthread_mutex_unlock(&s->lock);
    kiln_buf out;
    kiln_buf_init(&out);
    assert_int_equal(ui_api_render(s, full, query, &out), 200);
    char *copy = kiln_arena_alloc(a, out.len + 1);
    memcpy(copy, out.data, out.len);
    copy[out.len] = 0;
    json_node *n;
    char err[128];
    assert_int_equal(json_doc_parse(a, copy, out.len, &n, err, sizeof err), KILN_OK);
    kiln_buf_release(&out);
    return n;
}

static int64_t num(const json_node *o, const char *k)
{
    const json_node *v = json_get(o, k);
    if (!v || v->type != JSON_NUMBER) fail_msg("no number %s", k);
    return v->is_int ? v->i : (int64_t)v->num;
}

static int64_t sum_execs(ui_store *s, kiln_arena *a, const char *field)
{
    json_node *ex = get(s, a, "/executors", NULL);
    int64_t t = 0;
    for (size_t i = 0; i < ex->n; i++) t += num(ex->items[i], field);
    return t;
}

/* The one RDD in the store: its memoryUsed and diskUsed. */
static void rdd_sizes(ui_store *s, int64_t *mem, int64_t *disk, int partitions)
{
    kiln_arena *a = kiln_arena_new();
    json_node *rdds = get(s, a, "/storage/rdd", NULL);
    assert_int_equal(rdds->n, 1);
    assert_int_equal(num(rdds->items[0], "numCachedPartitions"), partitions);
    *mem = num(rdds->items[0], "memoryUsed");
    *disk = num(rdds->items[0], "diskUsed");
    /* the executors' page counts the same bytes */
    assert_int_equal(sum_execs(s, a, "memoryUsed"), *mem);
    assert_int_equal(sum_execs(s, a, "diskUsed"), *disk);
    kiln_arena_free(a);
}

static void cached(const char *master, kiln_storage_level level, int64_t *mem, int64_t *disk,
                   int64_t *storage_mem)
{
    kiln_context *ctx = context(master, NULL, NULL);
    kiln_rdd *r = kiln_rdd_persist(kiln_range(ctx, 0, 20000, 1, 5), level);
    int64_t n;
    assert_int_equal(kiln_rdd_count(r, &n), KILN_OK);
    assert_int_equal(n, 20000);
    rdd_sizes(ctx_ui_store(ctx), mem, disk, 5);
    int parts = 0, on_disk = 0;
    kiln_rdd_storage(r, &parts, storage_mem, &on_disk);
    kiln_context_free(ctx);
}

static void cached_block_sizes_match_local_mode(void **state)
{
    (void)state;
    int64_t lmem, ldisk, smem, cmem, cdisk, unused;
    cached("local[2]", KILN_MEMORY_ONLY, &lmem, &ldisk, &smem);
    assert_true(lmem > 20000);    /* 20,000 values */
    assert_int_equal(lmem, smem); /* kiln_rdd_storage's number */
    assert_int_equal(ldisk, 0);
    cached(CLUSTER, KILN_MEMORY_ONLY, &cmem, &cdisk, &unused);
    assert_int_equal(cmem, lmem);
    assert_int_equal(cdisk, 0);

    cached("local[2]", KILN_DISK_ONLY, &lmem, &ldisk, &unused);
    assert_int_equal(lmem, 0);
    assert_true(ldisk > 0);
    cached(CLUSTER, KILN_DISK_ONLY, &cmem, &cdisk, &unused);
    assert_int_equal(cmem, 0);
    assert_int_equal(cdisk, ldisk);
}

/* The executor each task of a stage ran on, by partition. */
static void executors_of(ui_store *s, kiln_arena *a, int stage, int n, char ids[][16])
{
    char p[64];
    snprintf(p, sizeof p, "/stages/%d/0/taskList", stage);
    json_node *tl = get(s, a, p, "length=1000");
    assert_int_equal(tl->n, n);
    for (size_t i = 0; i < tl->n; i++) {
        int idx = (int)num(tl->items[i], "index");
        assert_true(idx >= 0 && idx < n);
        snprintf(ids[idx], 16, "%s", json_get_str(tl->items[i], "executorId"));
        assert_true(ids[idx][0] != 0);
    }
}

static int pair_mod_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    *out = kiln_pair(t->arena, kiln_int(in->u.i % 97), kiln_int(1));
    return KILN_OK;
}

static void remote_blocks_are_the_map_outputs_of_other_executors(void **state)
{
    (void)state;
    enum { MAPS = 6, REDUCES = 4 };
    kiln_context *ctx = context(CLUSTER, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    /* every map output has records for every reduce partition (97 keys) */
    kiln_rdd *r = kiln_rdd_reduce_by_key(kiln_rdd_map(kiln_range(ctx, 0, 60000, 1, MAPS),
                                                      pair_mod_fn, NULL, 0),
                                         kiln_fn_add, NULL, 0, REDUCES);
    int64_t n;
    assert_int_equal(kiln_rdd_count(r, &n), KILN_OK);
    assert_int_equal(n, 97);
    kiln_arena *a = kiln_arena_new();
    json_node *jobs = get(s, a, "/jobs", NULL);
    const json_node *sids = json_get(jobs->items[0], "stageIds");
    int map_stage = (int)sids->items[0]->i, red_stage = (int)sids->items[1]->i;
    char maps[MAPS][16], reds[REDUCES][16];
    executors_of(s, a, map_stage, MAPS, maps);
    executors_of(s, a, red_stage, REDUCES, reds);
    char p[64];
    snprintf(p, sizeof p, "/stages/%d/0/taskList", red_stage);
    json_node *tl = get(s, a, p, "length=100");
    int64_t remote_total = 0;
    for (size_t i = 0; i < tl->n; i++) {
        int idx = (int)num(tl->items[i], "index");
        int64_t expect = 0;
        for (int m = 0; m < MAPS; m++) expect += strcmp(maps[m], reds[idx]) != 0;
        const json_node *sr = json_get(json_get(tl->items[i], "taskMetrics"), "shuffleReadMetrics");
        assert_int_equal(num(sr, "remoteBlocksFetched"), expect);
        assert_int_equal(num(sr, "localBlocksFetched"), MAPS - expect);
        assert_true(expect == 0 || num(sr, "remoteBytesRead") > 0);
        remote_total += expect;
    }
    snprintf(p, sizeof p, "/stages/%d/0", red_stage);
    json_node *st = get(s, a, p, NULL);
    assert_int_equal(num(st, "shuffleRemoteBlocksFetched"), remote_total);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static int slow_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    (void)env;
    nanosleep(&(struct timespec){0, 40 * 1000000L}, NULL);
    *out = *in;
    return KILN_OK;
}

typedef struct job_arg {
    kiln_rdd *r;
    int rc;
} job_arg;

static void *run_job(void *p)
{
    job_arg *j = p;
    int64_t n;
    j->rc = kiln_rdd_count(j->r, &n);
    return NULL;
}

static void active_tasks_while_a_slow_stage_runs(void **state)
{
    (void)state;
    kiln_context *ctx = context(CLUSTER, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    /* 4 tasks of 25 records, 40 ms each: a second per task */
    job_arg j = {kiln_rdd_map(kiln_range(ctx, 0, 100, 1, 4), slow_fn, NULL, 0), -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_job, &j), 0);
    int64_t most = 0;
    bool named = false;
    for (int i = 0; i < 400 && most < 2; i++) {
        kiln_arena *a = kiln_arena_new();
        int64_t active = sum_execs(s, a, "activeTasks");
        if (active > most) most = active;
        json_node *st = get(s, a, "/stages", "status=active");
        if (st->n == 1) {
            char p[64];
            snprintf(p, sizeof p, "/stages/%lld/0/taskList",
                     (long long)num(st->items[0], "stageId"));
            json_node *tl = get(s, a, p, "status=running");
            for (size_t k = 0; k < tl->n; k++) {
                const char *id = json_get_str(tl->items[k], "executorId");
                named |= id && (strcmp(id, "0") == 0 || strcmp(id, "1") == 0);
            }
        }
        kiln_arena_free(a);
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    pthread_join(th, NULL);
    assert_int_equal(j.rc, KILN_OK);
    assert_true(most >= 1);
    assert_true(most <= 2); /* two executors of one core */
    assert_true(named);
    kiln_arena *a = kiln_arena_new();
    assert_int_equal(sum_execs(s, a, "activeTasks"), 0);
    assert_int_equal(sum_execs(s, a, "completedTasks"), 4);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void deserialize_time_and_scheduler_delay(void **state)
{
    (void)state;
    kiln_context *ctx = context(CLUSTER, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    int64_t n;
    assert_int_equal(kiln_rdd_count(kiln_range(ctx, 0, 1000, 1, 6), &n), KILN_OK);
    kiln_arena *a = kiln_arena_new();
    json_node *st = get(s, a, "/stages", NULL);
    char p[64];
    snprintf(p, sizeof p, "/stages/%lld/0/taskList", (long long)num(st->items[0], "stageId"));
    json_node *tl = get(s, a, p, "length=100");
    assert_int_equal(tl->n, 6);
    int64_t delays[6];
    for (size_t i = 0; i < tl->n; i++) {
        const json_node *t = tl->items[i];
        const json_node *m = json_get(t, "taskMetrics");
        assert_true(num(m, "executorDeserializeCpuTime") > 0); /* the lineage was decoded */
        assert_true(num(m, "executorDeserializeTime") >= 0);
        assert_true(num(m, "resultSerializationTime") >= 0);
        int64_t d = num(t, "duration") - num(m, "executorRunTime") -
                    num(m, "executorDeserializeTime") - num(m, "resultSerializationTime") -
                    num(t, "gettingResultTime");
        delays[i] = d > 0 ? d : 0;
        assert_int_equal(num(t, "schedulerDelay"), delays[i]);
    }
    /* the summary's schedulerDelay is of the same numbers: max is the largest */
    snprintf(p, sizeof p, "/stages/%lld/0/taskSummary", (long long)num(st->items[0], "stageId"));
    json_node *sum = get(s, a, p, "quantiles=0,1");
    const json_node *q = json_get(sum, "schedulerDelay");
    int64_t lo = delays[0], hi = delays[0];
    for (int i = 1; i < 6; i++) {
        if (delays[i] < lo) lo = delays[i];
        if (delays[i] > hi) hi = delays[i];
    }
    assert_true((int64_t)q->items[0]->num == lo);
    assert_true((int64_t)q->items[1]->num == hi);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void spills_count_disk_apart_from_memory(void **state)
{
    (void)state;
    kiln_context *ctx = context("local[2]", "kiln.executor.memory", "1m");
    ui_store *s = ctx_ui_store(ctx);
    /* 200,000 pairs sorted under 1m: the sort spills runs to disk */
    kiln_rdd *sorted = kiln_rdd_sort_by_key(kiln_rdd_map(kiln_range(ctx, 0, 200000, 1, 4),
                                                         pair_mod_fn, NULL, 0),
                                            true, 3);
    int64_t n;
    assert_int_equal(kiln_rdd_count(sorted, &n), KILN_OK);
    assert_int_equal(n, 200000);
    kiln_arena *a = kiln_arena_new();
    json_node *st = get(s, a, "/stages", "status=complete");
    int64_t mem = 0, disk = 0;
    for (size_t i = 0; i < st->n; i++) {
        mem += num(st->items[i], "memoryBytesSpilled");
        disk += num(st->items[i], "diskBytesSpilled");
    }
    assert_true(mem > 0);
    assert_true(disk > 0);
    assert_true(disk < mem); /* compressed files of what memory held */
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

/* SQL's sort and aggregate under 1m: their spills count what the rows took
 * in memory apart from what their files hold. */
static void sql_spills_count_memory_apart_from_disk(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "SELECT count(*), sum(k), sum(c) FROM (SELECT id * 7 % 300000 AS k, count(*) AS c "
        "FROM range(0, 600000, 1, 2) GROUP BY id * 7 % 300000)",
        "SELECT * FROM (SELECT id, id * 7 % 1000 AS v FROM range(0, 400000, 1, 2) "
        "ORDER BY v, id) LIMIT 3 OFFSET 100",
    };
    for (int q = 0; q < 2; q++) {
        kiln_context *ctx = context("local[2]", "kiln.executor.memory", "1m");
        ui_store *s = ctx_ui_store(ctx);
        kiln_session *ss;
        assert_int_equal(kiln_session_new(ctx, &ss), KILN_OK);
        kiln_df *df = kiln_sql(ss, queries[q]);
        assert_non_null(df);
        kiln_arena *a = kiln_arena_new();
        kiln_value v;
        int rc = kiln_df_collect(df, a, &v);
        if (rc) fprintf(stderr, "%s: %s\n", queries[q], kiln_last_error());
        assert_int_equal(rc, KILN_OK);
        json_node *st = get(s, a, "/stages", "status=complete");
        int64_t mem = 0, disk = 0;
        for (size_t i = 0; i < st->n; i++) {
            mem += num(st->items[i], "memoryBytesSpilled");
            disk += num(st->items[i], "diskBytesSpilled");
        }
        printf("  %s: memory %lld, disk %lld bytes spilled\n", q ? "sort" : "aggregate",
               (long long)mem, (long long)disk);
        assert_true(disk > 0);
        assert_true(mem > 0);
        assert_true(mem != disk); /* the rows' memory, not their files' bytes */
        kiln_arena_free(a);
        kiln_session_free(ss);
        kiln_context_free(ctx);
    }
}

/* The bytes of the files in dir whose names end in ext. */
static int64_t dir_bytes(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int64_t total = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name), k = strlen(ext);
        if (n < k || strcmp(e->d_name + n - k, ext) != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        total += (int64_t)st.st_size;
    }
    closedir(d);
    assert_true(total > 0);
    return total;
}

/* Sums inputMetrics over the finished stages. */
static void input_of(ui_store *s, int64_t *bytes, int64_t *records)
{
    kiln_arena *a = kiln_arena_new();
    json_node *st = get(s, a, "/stages", "status=complete");
    *bytes = *records = 0;
    for (size_t i = 0; i < st->n; i++) {
        *bytes += num(st->items[i], "inputBytes");
        *records += num(st->items[i], "inputRecords");
    }
    kiln_arena_free(a);
}

static void scans_count_their_input(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    char *csv = kt_path(dir, "t.csv");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "a,b,c\n");
    int rows = 0;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 5000; i++, rows++) {
        if (i % 7 == 0) {
            fprintf(f, "%d,,\n", i); /* nulls */
            continue;
        }
        /* b: 1 to 120 random letters, so Parquet's column b is most of the file */
        char b[128];
        int len = 1 + (int)((uint64_t)i * 2654435761u % 120);
        for (int k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[k] = (char)('a' + x % 26);
        }
        b[len] = 0;
        fprintf(f, "%d,%s,%d.5\n", i, b, i * 7);
    }
    fclose(f);
    struct stat sb;
    assert_int_equal(stat(csv, &sb), 0);

    kiln_context *ctx = context(CLUSTER, NULL, NULL);
    ui_store *s = ctx_ui_store(ctx);
    kiln_session *ss;
    assert_int_equal(kiln_session_new(ctx, &ss), KILN_OK);
    kiln_df *df = kiln_reader_csv(kiln_reader_schema(kiln_reader_option(kiln_session_read(ss),
                                                                        "header", "true"),
                                                     "a INT, b STRING, c DOUBLE"),
                                  csv);
    assert_non_null(df);
    int64_t n, bytes, records;
    assert_int_equal(kiln_df_count(df, &n), KILN_OK);
    assert_int_equal(n, rows);
    input_of(s, &bytes, &records);
    assert_int_equal(bytes, (int64_t)sb.st_size);
    assert_int_equal(records, rows);

    /* Parquet: written, then one of its columns read */
    char *pq = kt_path(dir, "t.parquet");
    assert_int_equal(kiln_writer_parquet(kiln_df_write(df), pq), KILN_OK);
    int64_t b0, r0;
    input_of(s, &b0, &r0);
    kiln_df *all = kiln_reader_load(kiln_reader_format(kiln_session_read(ss), "parquet"), pq);
    assert_non_null(all);
    char q[4200];
    snprintf(q, sizeof q, "SELECT sum(a) FROM parquet.`%s`", pq);
    kiln_df *one = kiln_sql(ss, q);
    assert_non_null(one);
    kiln_arena *a = kiln_arena_new();
    kiln_value v;
    assert_int_equal(kiln_df_collect(one, a, &v), KILN_OK);
    int64_t b1, r1;
    input_of(s, &b1, &r1);
    int64_t files = dir_bytes(pq, ".parquet");
    assert_int_equal(r1 - r0, rows);
    assert_true(b1 - b0 > 0);
    assert_true(b1 - b0 < files); /* column a only, not b and c */

    /* JSON Lines and text: their lines and line ends, the files' sizes */
    char *js = kt_path(dir, "t.json");
    assert_int_equal(kiln_writer_json(kiln_df_write(df), js), KILN_OK);
    for (int text = 0; text < 2; text++) {
        input_of(s, &b0, &r0);
        kiln_df *j = text ? kiln_reader_text(kiln_session_read(ss), js)
                          : kiln_reader_json(kiln_reader_schema(kiln_session_read(ss),
                                                                "a INT, b STRING, c DOUBLE"),
                                             js);
        assert_non_null(j);
        assert_int_equal(kiln_df_count(j, &n), KILN_OK);
        assert_int_equal(n, rows);
        input_of(s, &b1, &r1);
        assert_int_equal(r1 - r0, rows);
        assert_int_equal(b1 - b0, dir_bytes(js, ".json"));
        kiln_df_free(j);
    }
    free(js);
    kiln_arena_free(a);
    kiln_df_free(one);
    kiln_df_free(all);
    kiln_df_free(df);
    kiln_session_free(ss);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    free(pq);
    free(csv);
    free(dir);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cached_block_sizes_match_local_mode),
        cmocka_unit_test(remote_blocks_are_the_map_outputs_of_other_executors),
        cmocka_unit_test(active_tasks_while_a_slow_stage_runs),
        cmocka_unit_test(deserialize_time_and_scheduler_delay),
        cmocka_unit_test(spills_count_disk_apart_from_memory),
        cmocka_unit_test(sql_spills_count_memory_apart_from_disk),
        cmocka_unit_test(scans_count_their_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
