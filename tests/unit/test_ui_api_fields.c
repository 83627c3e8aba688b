/*
 * test_ui_api_fields.c - every REST endpoint of ui_api_render answers with
 * Spark's field names: each object is checked against the list recorded
 * from Spark's api.scala in tests/ui/spark_api_fields/CLASS.txt (NAME:
 * always there; ?NAME: optional; +NAME: kiln's own). A field Spark always
 * writes that is missing, or a field in neither list, fails, naming the
 * endpoint, the class and the field. The application ran a shuffle, a
 * failing task, a cached RDD and two SQL queries (one failing), so optional
 * parts are there too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/json.h"
#include "engine/engine.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_fns.h"
#include "ui/ui_status.h"

/* Checks object o against CLASS.txt; where names the endpoint. */
static void check(const json_node *o, const char *cls, const char *where)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/ui/spark_api_fields/%s.txt", KILN_SOURCE_DIR, cls);
    size_t len;
    char *text = kt_read_file(path, &len);
    assert_non_null(text);
    assert_int_equal(o->type, JSON_OBJECT);
    char *save = NULL;
    int listed = 0;
    /* required fields present */
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0]) continue;
        listed++;
        if (line[0] == '?' || line[0] == '+') continue;
        if (!json_get(o, line)) {
            fprintf(stderr, "%s: %s has no field '%s'\n", where, cls, line);
            fail();
        }
    }
    assert_true(listed > 0);
    free(text);
    /* every field written is listed */
    text = kt_read_file(path, &len);
    for (size_t i = 0; i < o->n; i++) {
        const char *k = o->keys[i];
        bool found = false;
        save = NULL;
        char *copy = strdup(text);
        for (char *line = strtok_r(copy, "\n", &save); line && !found;
             line = strtok_r(NULL, "\n", &save)) {
            const char *name = line[0] == '?' || line[0] == '+' ? line + 1 : line;
            found = line[0] != '#' && strcmp(name, k) == 0;
        }
        free(copy);
        if (!found) {
            fprintf(stderr, "%s: %s has a field '%s' Spark's does not\n", where, cls, k);
            fail();
        }
    }
    free(text);
}

static json_node *get(ui_store *s, kiln_arena *a, const char *rest, const char *query)
{
    char full[512];
    snprintf(full, sizeof full, "/applications/%s%s", s->app_id, rest);
    kiln_buf out;
    kiln_buf_init(&out);
    int st = ui_api_render(s, full, query, &out);
    if (st != 200) fprintf(stderr, "%s: %d %.*s\n", full, st, (int)out.len, (char *)out.data);
    assert_int_equal(st, 200);
    json_node *v;
    char err[200];
    assert_int_equal(json_doc_parse(a, (char *)out.data, out.len, &v, err, sizeof err), KILN_OK);
    kiln_buf_release(&out);
    return v;
}

static void fields(const char *master)
{
    kiln_context *ctx = kt_context_new(master);
    ui_store *s = ctx_ui_store(ctx);
    assert_non_null(s);
    kiln_rdd *cached = kiln_rdd_persist(kiln_range(ctx, 0, 500, 1, 3), KILN_MEMORY_ONLY);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(kiln_rdd_map(cached, kiln_fn_pair_one, NULL, 0),
                                            kiln_fn_add, NULL, 0, 2);
    int64_t n;
    assert_int_equal(kiln_rdd_count(sums, &n), KILN_OK);
    kiln_rdd *bad = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), kt_fail_on_seven_fn, NULL, 0);
    assert_int_not_equal(kiln_rdd_count(bad, &n), KILN_OK);
    kiln_arena *a = kiln_arena_new();

    kiln_buf out;
    kiln_buf_init(&out);
    assert_int_equal(ui_api_render(s, "/applications", NULL, &out), 200);
    json_node *apps;
    char err[200];
    assert_int_equal(json_doc_parse(a, (char *)out.data, out.len, &apps, err, sizeof err), KILN_OK);
    kiln_buf_release(&out);
    check(apps->items[0], "ApplicationInfo", "/applications");
    check(json_get(apps->items[0], "attempts")->items[0], "ApplicationAttemptInfo",
          "/applications");
    check(get(s, a, "", NULL), "ApplicationInfo", "/applications/APP");

    json_node *jobs = get(s, a, "/jobs", NULL);
    assert_int_equal(jobs->n, 2);
    for (size_t i = 0; i < jobs->n; i++) check(jobs->items[i], "JobData", "/jobs");
    check(get(s, a, "/jobs/0", NULL), "JobData", "/jobs/0");

    json_node *stages = get(s, a, "/stages", NULL);
    assert_true(stages->n >= 3);
    for (size_t i = 0; i < stages->n; i++) {
        const json_node *st = stages->items[i];
        check(st, "StageData", "/stages");
        char p[96];
        snprintf(p, sizeof p, "/stages/%lld", (long long)json_get_int(st, "stageId", -1));
        json_node *attempts = get(s, a, p, NULL);
        check(attempts->items[0], "StageData", p);
        snprintf(p, sizeof p, "/stages/%lld/%lld", (long long)json_get_int(st, "stageId", -1),
                 (long long)json_get_int(st, "attemptId", -1));
        check(get(s, a, p, NULL), "StageData", p);
        strcat(p, "/taskList");
        json_node *tl = get(s, a, p, NULL);
        assert_true(tl->n > 0);
        for (size_t k = 0; k < tl->n; k++) {
            const json_node *t = tl->items[k];
            check(t, "TaskData", p);
            const json_node *m = json_get(t, "taskMetrics");
            check(m, "TaskMetrics", p);
            check(json_get(m, "shuffleReadMetrics"), "ShuffleReadMetrics", p);
            check(json_get(m, "shuffleWriteMetrics"), "ShuffleWriteMetrics", p);
        }
        if (strcmp(json_get_str(st, "status"), "COMPLETE") == 0) {
            snprintf(p, sizeof p, "/stages/%lld/%lld/taskSummary",
                     (long long)json_get_int(st, "stageId", -1),
                     (long long)json_get_int(st, "attemptId", -1));
            json_node *sum = get(s, a, p, NULL);
            check(sum, "TaskMetricDistributions", p);
            check(json_get(sum, "shuffleReadMetrics"), "ShuffleReadMetricDistributions", p);
            assert_int_equal(json_get(sum, "quantiles")->n, 5);
        }
    }
    json_node *ex = get(s, a, "/allexecutors", NULL);
    assert_true(ex->n >= 1);
    for (size_t i = 0; i < ex->n; i++) check(ex->items[i], "ExecutorSummary", "/allexecutors");
    ex = get(s, a, "/executors", NULL);
    for (size_t i = 0; i < ex->n; i++) check(ex->items[i], "ExecutorSummary", "/executors");

    json_node *rdds = get(s, a, "/storage/rdd", NULL);
    assert_int_equal(rdds->n, 1);
    check(rdds->items[0], "RDDStorageInfo", "/storage/rdd");
    char p[64];
    snprintf(p, sizeof p, "/storage/rdd/%lld", (long long)json_get_int(rdds->items[0], "id", -1));
    json_node *one = get(s, a, p, NULL);
    check(one, "RDDStorageInfo", p);
    check(json_get(one, "partitions")->items[0], "RDDPartitionInfo", p);
    check(get(s, a, "/environment", NULL), "ApplicationEnvironmentInfo", "/environment");
    /* SQL queries, after the RDD jobs the checks above count. */
    kiln_session *ss;
    assert_int_equal(kiln_session_new(ctx, &ss), KILN_OK);
    assert_int_equal(kiln_df_count(kiln_sql(ss, "SELECT id % 3 AS k FROM range(0, 30, 1, 2)"), &n),
                     KILN_OK);
    assert_int_not_equal(
        kiln_df_count(kiln_sql(ss, "SELECT id FROM range(0, 9) WHERE 1 / (id - 3) > 0"), &n),
        KILN_OK);
    json_node *sql = get(s, a, "/sql", NULL);
    assert_int_equal(sql->n, 2);
    for (size_t i = 0; i < sql->n; i++) check(sql->items[i], "ExecutionData", "/sql");
    check(get(s, a, "/sql/1", NULL), "ExecutionData", "/sql/1");
    kiln_session_free(ss);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void fields_local(void **state)
{
    (void)state;
    fields("local[2]");
}

static void fields_local_cluster(void **state)
{
    (void)state;
    fields("local-cluster[2,1,256]");
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_local),
        cmocka_unit_test(fields_local_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
