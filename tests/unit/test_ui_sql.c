/*
 * test_ui_sql.c - the web UI's SQL tab (src/ui/status_sql.c,
 * ui_api_sql.c, ui_pages_sql.c; SQL executions posted by src/sql through
 * kiln_sql_execution_start): SQL queries run through kiln_sql in local
 * mode with the event log on, one failing at run time (division by zero)
 * and two holding markup in their text, and a CSV write (one execution
 * too). Checks: the store holds one
 * execution per query, each listing the jobs it ran (every job the
 * context ran belongs to exactly one); REST /sql and /sql/ID carry
 * Spark's fields, the failed one's status and error; the SQL pages link
 * every job, show the error, and no markup from the SQL text or the error
 * comes out raw, live and in the history server's copy; the replayed
 * log's REST equals the live store's byte for byte. metric_medians feeds
 * a store events by hand and checks each metric's "total (min, med, max)"
 * against a reference.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_http.h"
#include "kt_rand.h"
#include "ui/ui_pages.h"

#define XSS_SCRIPT "<script>alert(1)</script>"
#define XSS_ATTR "\"'><img src=x onerror=alert(1)>"

static char *rest(ui_store *s, const char *path, int *status)
{
    kiln_buf b;
    kiln_buf_init(&b);
    *status = ui_api_render(s, path, NULL, &b);
    kiln_buf_append(&b, "", 1);
    char *r = strdup((char *)b.data);
    kiln_buf_release(&b);
    return r;
}

static int run(kiln_session *ss, const char *sql)
{
    kiln_df *df = kiln_sql(ss, sql);
    assert_non_null(df);
    kiln_arena *a = kiln_arena_new();
    kiln_value v;
    int rc = kiln_df_collect(df, a, &v);
    kiln_arena_free(a);
    kiln_df_free(df);
    return rc;
}

static const char *const queries[] = {
    "SELECT '" XSS_SCRIPT "' AS x",
    "SELECT id % 7 AS k, count(*) AS c FROM range(0, 1000, 1, 4) GROUP BY id % 7 -- " XSS_ATTR,
    "SELECT 10 / (id - 5) AS q FROM range(0, 10, 1, 2)", /* fails: division by zero */
    "SELECT id FROM range(0, 50, 1, 3) ORDER BY id DESC",
};
enum { NQ = 4, FAILING = 2 };

static void sql_tab(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    char *logs = kt_path(dir, "logs");
    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.master", "local[2]"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.enabled", "true"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.dir", logs), KILN_OK);
    kiln_context *ctx = NULL;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    assert_true(kiln_context_observed(ctx));
    kiln_session *ss;
    assert_int_equal(kiln_session_new(ctx, &ss), KILN_OK);
    for (int i = 0; i < NQ; i++) {
        int rc = run(ss, queries[i]);
        if (i == FAILING) assert_int_not_equal(rc, KILN_OK);
        else if (rc) fprintf(stderr, "%s: %s\n", queries[i], kiln_last_error());
        if (i != FAILING) assert_int_equal(rc, KILN_OK);
    }
    /* A write is one more execution, and so are its jobs. */
    char *out = kt_path(dir, "out");
    kiln_df *w = kiln_sql(ss, queries[3]);
    kiln_writer *wr = kiln_df_write(w);
    assert_int_equal(kiln_writer_csv(wr, out), KILN_OK);
    kiln_df_free(w);
    /* The store: one execution per query, in order; every job in exactly one. */
    ui_store *s = ctx_ui_store(ctx);
    pthread_mutex_lock(&s->lock);
    assert_int_equal(s->nsqls, NQ + 1);
    assert_true(s->sqls[NQ].njobs >= 1 && s->sqls[NQ].state == UI_SUCCEEDED);
    assert_true(strncmp(s->sqls[NQ].desc, "write csv to ", 13) == 0);
    int tagged = s->sqls[NQ].njobs;
    for (int i = 0; i < NQ; i++) {
        const ui_sql *x = &s->sqls[i];
        assert_int_equal(x->id, i);
        assert_string_equal(x->desc, queries[i]);
        assert_true(x->njobs >= 1);
        assert_true(i == 0 ? *x->plan != 0 : strstr(x->plan, "Range") != NULL);
        assert_int_equal(x->state, i == FAILING ? UI_FAILED : UI_SUCCEEDED);
        if (i == FAILING) assert_non_null(strstr(x->error, "DIVIDE_BY_ZERO"));
        else assert_null(x->error);
        tagged += x->njobs;
    }
    free(out);
    assert_int_equal(tagged, (int)s->njobs);
    int failed_job = s->sqls[FAILING].jobs[s->sqls[FAILING].njobs - 1];
    char app[128], p[300];
    snprintf(app, sizeof app, "%s", s->app_id);
    pthread_mutex_unlock(&s->lock);

    /* REST. */
    int st;
    snprintf(p, sizeof p, "/applications/%s/sql", app);
    char *live_list = rest(s, p, &st);
    assert_int_equal(st, 200);
    assert_int_equal(kt_occurrences(live_list, "\"planDescription\""), NQ + 1);
    assert_int_equal(kt_occurrences(live_list, "\"status\":\"COMPLETED\""), NQ);
    snprintf(p, sizeof p, "/applications/%s/sql/%d", app, FAILING);
    char *live_one = rest(s, p, &st);
    assert_int_equal(st, 200);
    char want[64];
    snprintf(want, sizeof want, "\"failedJobIds\":[%d]", failed_job);
    if (!strstr(live_one, want)) fprintf(stderr, "%s\n", live_one);
    assert_non_null(strstr(live_one, want));
    assert_non_null(strstr(live_one, "\"status\":\"FAILED\""));
    assert_non_null(strstr(live_one, "DIVIDE_BY_ZERO"));
    for (int f = 0; f < 6; f++) {
        static const char *const fields[] = {
            "\"id\":",       "\"description\":",   "\"submissionTime\":",
            "\"duration\":", "\"runningJobIds\":", "\"successJobIds\":"};
        assert_non_null(strstr(live_one, fields[f]));
    }
    snprintf(p, sizeof p, "/applications/%s/sql/99", app);
    free(rest(s, p, &st));
    assert_int_equal(st, 404);
    snprintf(p, sizeof p, "/applications/%s/sql/x1", app);
    free(rest(s, p, &st));
    assert_int_equal(st, 400);

    /* Pages, live. */
    app_ui *u = NULL;
    kiln_conf *uc = kiln_conf_new();
    assert_int_equal(kiln_conf_set(uc, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(app_ui_start(s, uc, &u), KILN_OK);
    kiln_conf_free(uc);
    int port = app_ui_port(u);
    kt_answer r = kt_http_page(port, "/SQL/", 200);
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(r.body, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(r.body, "href=\"/SQL/\""));
    char link[128];
    snprintf(link, sizeof link, "href=\"/jobs/job/?id=%d\"", failed_job);
    assert_non_null(strstr(r.body, link));
    assert_int_equal(kt_occurrences(r.body, "href=\"/SQL/execution/?id="), NQ + 1);
    free(r.body);
    snprintf(p, sizeof p, "/SQL/execution/?id=%d", FAILING);
    r = kt_http_page(port, p, 200);
    assert_non_null(strstr(r.body, "DIVIDE_BY_ZERO"));
    assert_non_null(strstr(r.body, "<pre class=\"sql-plan\">"));
    assert_non_null(strstr(r.body, link));
    free(r.body);
    free(kt_http_page(port, "/SQL/execution/?id=0", 200).body);
    free(kt_http_page(port, "/SQL/execution/?id=1", 200).body);
    free(kt_http_page(port, "/SQL/execution/?id=77", 404).body);
    free(kt_http_page(port, "/SQL/execution/?id=abc", 400).body);
    app_ui_stop(u);
    kiln_session_free(ss);
    kiln_context_free(ctx);

    /* Replay: the same REST, byte for byte. */
    char *log = kt_path(logs, app);
    ui_store *h = ui_store_new(NULL);
    int64_t skipped = 0;
    char err[256] = "";
    assert_int_equal(ui_replay(log, h, &skipped, err, sizeof err), KILN_OK);
    assert_int_equal(skipped, 0);
    snprintf(p, sizeof p, "/applications/%s/sql", app);
    char *replayed = rest(h, p, &st);
    assert_int_equal(st, 200);
    assert_string_equal(replayed, live_list);
    free(replayed);
    snprintf(p, sizeof p, "/applications/%s/sql/%d", app, FAILING);
    replayed = rest(h, p, &st);
    assert_string_equal(replayed, live_one);
    free(replayed);
    ui_store_free(h);

    /* The history server's copy. */
    ui_history_opts o = {.log_dir = logs, .port = 0, .retained_apps = 2};
    ui_history *hs;
    assert_int_equal(ui_history_start(&o, &hs), KILN_OK);
    port = ui_history_port(hs);
    snprintf(p, sizeof p, "/history/%s/SQL/", app);
    r = kt_http_page(port, p, 200);
    assert_int_equal(kt_occurrences(r.body, "/SQL/execution/?id="), NQ + 1);
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    free(r.body);
    for (int i = 0; i < NQ; i++) {
        snprintf(p, sizeof p, "/history/%s/SQL/execution/?id=%d", app, i);
        free(kt_http_page(port, p, 200).body);
    }
    ui_history_stop(hs);
    free(live_list);
    free(live_one);
    free(log);
    free(logs);
    kt_rm_rf(dir);
    free(dir);
    kiln_conf_free(conf);
}

/* No listener: no execution is described, nothing is tagged. */
static void unobserved(void **state)
{
    (void)state;
    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.master", "local[1]"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.enabled", "false"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    kiln_context *ctx = NULL;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    assert_false(kiln_context_observed(ctx));
    kiln_session *ss;
    assert_int_equal(kiln_session_new(ctx, &ss), KILN_OK);
    assert_int_equal(run(ss, "SELECT count(*) FROM range(0, 10)"), KILN_OK);
    /* Nested starts on one thread give -1 (the outer one owns the jobs). */
    int64_t a = kiln_sql_execution_start(ctx, "outer", NULL);
    assert_true(a >= 0);
    assert_int_equal(kiln_sql_execution_start(ctx, "inner", NULL), -1);
    kiln_sql_execution_end(ctx, a, NULL);
    int64_t b = kiln_sql_execution_start(ctx, "next", NULL);
    assert_int_equal(b, a + 1);
    kiln_sql_execution_end(ctx, b, "x");
    kiln_session_free(ss);
    kiln_context_free(ctx);
}

/* The "total (min, med, max)" a metric of type `type` over v[0..n) must
 * show: the sum, and the median as Spark takes it, v sorted, v[n/2]. */
static void expected_value(const char *type, int64_t *v, size_t n, char *out, size_t size)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    for (size_t i = 1; i < n; i++) /* insertion sort: the reference */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int64_t t = v[j];
            v[j] = v[j - 1], v[j - 1] = t;
        }
    int64_t parts[4] = {sum, v[0], v[n / 2], v[n - 1]};
    char s[4][32];
    for (int k = 0; k < 4; k++) {
        if (strcmp(type, "size") == 0) web_fmt_bytes(s[k], sizeof s[k], (uint64_t)parts[k]);
        else web_fmt_duration(s[k], sizeof s[k], parts[k]);
    }
    snprintf(out, size, "%s (%s, %s, %s)", s[0], s[1], s[2], s[3]);
}

/* Each size and time metric shows its tasks' median, while the execution
 * runs and once it has ended, for random task counts (1 to 300) and
 * skewed values; a metric no task reported shows nothing; values of
 * another execution's stage and of failed tasks do not count. */
static void metric_medians(void **state)
{
    (void)state;
    uint64_t seed = 0x5eed1234;
    for (int round = 0; round < 20; round++) {
        kiln_conf *conf = kiln_conf_new();
        ui_store *s = ui_store_new(conf);
        kiln_conf_free(conf);
        assert_non_null(s);
        ui_store_apply(
            s, &(engine_event){.kind = EV_SQL_START, .sql_execution = 1, .name = "q", .plan = "p"},
            1.0);
        ui_store_apply(
            s,
            &(engine_event){.kind = EV_SQL_PLAN,
                            .sql_execution = 1,
                            .plan_info = "{\"nodeName\": \"Scan\", \"simpleString\": \"Scan t\", "
                                         "\"metrics\": [{\"name\": \"data size\", "
                                         "\"accumulatorId\": 7, \"metricType\": \"size\"}, "
                                         "{\"name\": \"scan time\", \"accumulatorId\": 8, "
                                         "\"metricType\": \"timing\"}, {\"name\": \"never\", "
                                         "\"accumulatorId\": 9, \"metricType\": \"size\"}], "
                                         "\"children\": []}"},
            1.0);
        engine_stage_info st = {.id = 3, .tasks = 1};
        ui_store_apply(s,
                       &(engine_event){.kind = EV_JOB_START,
                                       .job = 0,
                                       .sql_execution = 1,
                                       .stages = &st,
                                       .nstages = 1},
                       1.0);
        size_t n = 1 + kt_rand(&seed) % 300;
        int64_t *size = calloc(n, sizeof *size), *time = calloc(n, sizeof *time);
        assert_true(size && time);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = kt_rand(&seed);
            size[i] = r % 10 == 0 ? (int64_t)(r % 50000000) : (int64_t)(r % 5000); /* skewed */
            time[i] = (int64_t)(kt_rand(&seed) % 4000);
            acc_update u[2] = {{7, kiln_int(size[i])}, {8, kiln_int(time[i])}};
            ui_store_apply(s,
                           &(engine_event){.kind = EV_TASK_END,
                                           .stage = 3,
                                           .partition = (int)i,
                                           .accs = u,
                                           .naccs = 2},
                           1.0);
            /* Not counted: a failed attempt, and a stage of no execution. */
            acc_update big[2] = {{7, kiln_int(INT64_C(1) << 40)}, {8, kiln_int(1 << 30)}};
            ui_store_apply(s,
                           &(engine_event){.kind = EV_TASK_END,
                                           .stage = 3,
                                           .rc = KILN_EIO,
                                           .accs = big,
                                           .naccs = 2},
                           1.0);
            ui_store_apply(
                s, &(engine_event){.kind = EV_TASK_END, .stage = 4, .accs = big, .naccs = 2}, 1.0);
        }
        char want_size[160], want_time[160], got[160];
        expected_value("size", size, n, want_size, sizeof want_size);
        expected_value("timing", time, n, want_time, sizeof want_time);
        for (int ended = 0; ended < 2; ended++) {
            if (ended)
                ui_store_apply(s, &(engine_event){.kind = EV_SQL_END, .sql_execution = 1}, 2.0);
            ui_sql *x = ui_store_sql(s, 1);
            assert_non_null(x);
            assert_int_equal(x->nnodes, 1);
            assert_int_equal(x->nodes[0].nmetrics, 3);
            ui_sql_metric_value(x, &x->nodes[0].metrics[0], got, sizeof got);
            KT_CHECK(strcmp(got, want_size) == 0, "n %zu, ended %d: size '%s', expected '%s'", n,
                     ended, got, want_size);
            ui_sql_metric_value(x, &x->nodes[0].metrics[1], got, sizeof got);
            KT_CHECK(strcmp(got, want_time) == 0, "n %zu, ended %d: time '%s', expected '%s'", n,
                     ended, got, want_time);
            ui_sql_metric_value(x, &x->nodes[0].metrics[2], got, sizeof got);
            assert_string_equal(got, "");
            for (size_t k = 0; ended && k < x->naccs; k++) assert_null(x->accs[k].values);
        }
        free(size);
        free(time);
        ui_store_free(s);
    }
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {cmocka_unit_test(sql_tab), cmocka_unit_test(unobserved),
                                       cmocka_unit_test(metric_medians)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
