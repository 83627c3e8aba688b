/*
 * test_ui_pages.c - the application UI (src/ui/ui_pages*.c, app_ui.c) on
 * real jobs, in local mode and on a local cluster, fetched over HTTP from
 * a live app_ui server: word count over a random text file (empty lines,
 * skewed words), a cached RDD, a job whose task fails with a message full
 * of markup. Checks: every page answers 200 and holds the rows the store
 * holds (jobs, stages, tasks, executors, blocks); the quantiles a stage's
 * page shows equal the REST API's taskSummary (a second rendering of the
 * same numbers, formatted as Spark's UI does); the application's name, a
 * configuration value and the error message, each holding <script> or
 * "'><img onerror=...>, come out escaped on every page (no raw <script>
 * or <img from them); secret-looking keys are redacted; unknown ids are
 * 404, malformed ones 400; and /api/v1 through the server is byte for byte
 * ui_api_render.
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

#include "base/json.h"
#include "engine/engine.h"
#include "kt.h"
#include "kt_fns.h"
#include "kt_http.h"
#include "ui/ui_pages.h"
#include "web/web.h"

#define XSS_APP "<script>alert(1)</script>"
#define XSS_ATTR "\"'><img src=x onerror=alert(1)>"

/* Fails the task holding 7 with a message full of markup. */
int test_ui_pages_fail_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    if (in->type == KILN_INT && in->u.i == 7)
        return kiln_task_fail(t, "bad record " XSS_ATTR " " XSS_APP);
    *out = *in;
    return 0;
}

/* A page: status as expected, and nothing of the markup in user data got
 * through raw (the pages' own markup has no <img and no inline script). */
/* The rows of the table with id (its <tr> in <tbody>), -1 when absent. */
static int rows(const char *html, const char *id)
{
    char open[96];
    snprintf(open, sizeof open, "<table class=\"sortable\" id=\"%s\">", id);
    const char *t = strstr(html, open);
    if (!t) return -1;
    const char *body = strstr(t, "<tbody>"), *end = strstr(t, "</table>");
    int n = 0;
    for (const char *p = body; p && (p = strstr(p, "<tr")) && p < end; p += 3)
        if (strncmp(p, "<tr class=\"empty\"", 17) != 0) n++;
    return n;
}

static kiln_context *context(const char *master)
{
    kiln_conf *conf = kiln_conf_new();
    const char *forced = getenv("KT_MASTER");
    if (forced && *forced) master = forced;
    assert_int_equal(kiln_conf_set(conf, "kiln.master", master), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.app.name", XSS_APP), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.test.value", XSS_ATTR), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.test.password", "hunter2"), KILN_OK);
    kiln_context *ctx = NULL;
    int rc = kiln_context_new(conf, &ctx);
    if (rc) fprintf(stderr, "context: %s\n", kiln_last_error());
    assert_int_equal(rc, KILN_OK);
    kiln_conf_free(conf);
    return ctx;
}

static void write_text(const char *path, int n, uint64_t seed)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int k = (int)(x % 9) - 2;
        for (int w = 0; w < k; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned id = (unsigned)(x % 1000);
            fprintf(f, "%sw%u", w ? " " : "", id * id / 1000);
        }
        fputc('\n', f);
    }
    fclose(f);
}

/* The REST rendering of path (after /api/v1), as a string. */
static char *rest(ui_store *s, const char *path, const char *query, int *status)
{
    kiln_buf b;
    kiln_buf_init(&b);
    *status = ui_api_render(s, path, query, &b);
    kiln_buf_append(&b, "", 1);
    char *r = strdup((char *)b.data);
    kiln_buf_release(&b);
    return r;
}

static void pages(const char *master, int nexecs)
{
    char *dir = kt_tmpdir_new();
    char *path = kt_path(dir, "words.txt");
    write_text(path, 4000, 5);
    kiln_context *ctx = context(master);
    ui_store *s = ctx_ui_store(ctx);
    kiln_rdd *cached = kiln_rdd_persist(kiln_text_file(ctx, path, 4), KILN_MEMORY_ONLY);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(
        kiln_rdd_map(kiln_rdd_flat_map(cached, kiln_fn_split_whitespace, NULL, 0), kiln_fn_pair_one,
                     NULL, 0),
        kiln_fn_add, NULL, 0, 3);
    int64_t n;
    assert_int_equal(kiln_rdd_count(counts, &n), KILN_OK);
    kiln_rdd *bad = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), test_ui_pages_fail_fn, NULL, 0);
    assert_int_not_equal(kiln_rdd_count(bad, &n), KILN_OK);

    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    app_ui *u = NULL;
    assert_int_equal(app_ui_start(s, conf, &u), KILN_OK);
    assert_non_null(u);
    int port = app_ui_port(u);
    assert_non_null(strstr(app_ui_url(u), "http://localhost:"));
    assert_null(strstr(app_ui_url(u), "token=")); /* loopback: no token */

    kt_answer r = kt_http_get(port, "/");
    assert_int_equal(r.status, 302);
    free(r.body);

    /* Jobs: one succeeded, one failed, each linked. */
    r = kt_http_page(port, "/jobs/", 200);
    assert_int_equal(rows(r.body, "completed-jobs"), 1);
    assert_int_equal(rows(r.body, "failed-jobs"), 1);
    assert_int_equal(rows(r.body, "active-jobs"), 0);
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;")); /* the app's name */
    assert_non_null(strstr(r.body, "onerror=alert(1)&gt;"));                  /* the error */
    free(r.body);

    pthread_mutex_lock(&s->lock);
    int njobs = (int)s->njobs, job_ok = s->jobs[0].id, job_bad = s->jobs[1].id;
    int nstages = (int)s->nstages;
    int *sid = malloc(sizeof(int) * (size_t)nstages), *satt = malloc(sizeof(int) * (size_t)nstages);
    size_t *ntasks = malloc(sizeof(size_t) * (size_t)nstages);
    for (int i = 0; i < nstages; i++) {
        sid[i] = s->stages[i].id;
        satt[i] = s->stages[i].attempt;
        ntasks[i] = s->stages[i].ntasks;
    }
    char app_id[128];
    snprintf(app_id, sizeof app_id, "%s", s->app_id);
    int rdd_id = s->nrdds ? s->rdds[0].id : -1;
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(njobs, 2);
    assert_int_equal(nstages, 3);

    char url[256];
    snprintf(url, sizeof url, "/jobs/job/?id=%d", job_ok);
    r = kt_http_page(port, url, 200);
    assert_non_null(strstr(r.body, "<svg"));
    assert_int_equal(kt_occurrences(r.body, "class=\"dag-node"), 2); /* map and result stage */
    assert_int_equal(rows(r.body, "job-stages"), 2);
    free(r.body);
    snprintf(url, sizeof url, "/jobs/job/?id=%d", job_bad);
    r = kt_http_page(port, url, 200);
    assert_non_null(strstr(r.body, "<pre class=\"error\">"));
    assert_non_null(strstr(r.body, "bad record &quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    free(r.body);

    r = kt_http_page(port, "/stages/", 200);
    assert_int_equal(rows(r.body, "completed-stages"), 2);
    assert_int_equal(rows(r.body, "failed-stages"), 1);
    free(r.body);

    kiln_arena *a = kiln_arena_new();
    for (int i = 0; i < nstages; i++) {
        snprintf(url, sizeof url, "/stages/stage/?id=%d&attempt=%d", sid[i], satt[i]);
        r = kt_http_page(port, url, 200);
        assert_int_equal(rows(r.body, "task-table"), (int)ntasks[i]);
        assert_true(rows(r.body, "by-executor") >= 1);
        /* The quantiles shown equal the REST API's taskSummary. */
        char p[256];
        snprintf(p, sizeof p, "/applications/%s/stages/%d/%d/taskSummary", app_id, sid[i], satt[i]);
        int st;
        char *js = rest(s, p, "quantiles=0,0.25,0.5,0.75,1", &st);
        if (st == 200) {
            json_node *v = NULL;
            char err[128];
            assert_int_equal(json_doc_parse(a, js, strlen(js), &v, err, sizeof err), KILN_OK);
            const json_node *d = json_get(v, "duration");
            assert_int_equal(d->n, 5);
            kiln_buf want;
            kiln_buf_init(&want);
            html_row_begin(&want);
            html_cell(&want, "Duration", NULL);
            for (int q = 0; q < 5; q++) {
                char t[64];
                int64_t ms = (int64_t)d->items[q]->num;
                if (d->items[q]->is_int) ms = d->items[q]->i;
                web_fmt_duration(t, sizeof t, ms);
                html_cell_num(&want, t, (double)ms);
            }
            kiln_buf_append(&want, "", 1);
            if (!strstr(r.body, (char *)want.data)) {
                fprintf(stderr, "stage %d: want row %s\n%s\n", sid[i], (char *)want.data, r.body);
                fail();
            }
            kiln_buf_release(&want);
            assert_non_null(strstr(r.body, "Summary Metrics for"));
        } else {
            assert_int_equal(st, 404); /* no successful task: the failed stage */
            assert_non_null(strstr(r.body, "Summary Metrics for 0 Completed Tasks"));
            assert_non_null(strstr(r.body, "onerror=alert(1)&gt;"));
        }
        free(js);
        free(r.body);
    }
    kiln_arena_free(a);

    r = kt_http_page(port, "/storage/", 200);
    assert_int_equal(rows(r.body, "storage-rdds"), 1);
    assert_non_null(strstr(r.body, ">100%<"));
    free(r.body);
    assert_true(rdd_id >= 0);
    snprintf(url, sizeof url, "/storage/rdd/?id=%d", rdd_id);
    r = kt_http_page(port, url, 200);
    assert_int_equal(rows(r.body, "rdd-blocks"), 4);
    assert_int_equal(rows(r.body, "rdd-executors"), nexecs);
    free(r.body);

    r = kt_http_page(port, "/environment/", 200);
    assert_non_null(strstr(r.body, "kiln.test.password"));
    assert_non_null(strstr(r.body, UI_REDACTED));
    assert_null(strstr(r.body, "hunter2"));
    assert_non_null(strstr(r.body, "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    free(r.body);

    r = kt_http_page(port, "/executors/", 200);
    assert_int_equal(rows(r.body, "active-executors"), nexecs);
    free(r.body);

    /* Unknown and malformed ids; unknown pages. */
    free(kt_http_page(port, "/jobs/job/?id=999", 404).body);
    free(kt_http_page(port, "/jobs/job/?id=abc", 400).body);
    free(kt_http_page(port, "/jobs/job/", 400).body);
    free(kt_http_page(port, "/stages/stage/?id=999&attempt=0", 404).body);
    free(kt_http_page(port, "/storage/rdd/?id=999", 404).body);
    free(kt_http_page(port, "/nothing/", 404).body);
    free(kt_http_page(port, "/jobs/job/?id=%3Cscript%3E", 400).body);

    /* REST through the server: byte for byte ui_api_render. */
    const char *paths[] = {"/applications",
                           "/applications/%s",
                           "/applications/%s/jobs",
                           "/applications/%s/stages",
                           "/applications/%s/executors",
                           "/applications/%s/storage/rdd",
                           "/applications/%s/environment",
                           "/applications/%s/jobs/999",
                           "/applications/%s/stages/x"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char p[256], full[300];
        snprintf(p, sizeof p, paths[i], app_id);
        snprintf(full, sizeof full, "/api/v1%s", p);
        int st;
        char *want = rest(s, p, NULL, &st);
        r = kt_http_get(port, full);
        assert_int_equal(r.status, st);
        assert_string_equal(r.body, want);
        free(want);
        free(r.body);
    }
    app_ui_stop(u);
    kiln_conf_free(conf);
    free(sid);
    free(satt);
    free(ntasks);
    kiln_context_free(ctx);
    free(path);
    kt_rm_rf(dir);
    free(dir);
}

static void pages_local(void **state)
{
    (void)state;
    pages("local[2,2]", 1);
}

static void pages_local_cluster(void **state)
{
    (void)state;
    pages("local-cluster[2,1,256]", 2);
}

/* The session's own server: on by default, stopped by kiln_context_free
 * (the port is free again), off with kiln.ui.enabled=false. */
static void session_server(void **state)
{
    (void)state;
    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.master", "local[1]"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    kiln_context *ctx = NULL;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    assert_non_null(ctx_ui_store(ctx));
    kiln_context_free(ctx);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.enabled", "false"), KILN_OK);
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    assert_null(ctx_ui_store(ctx));
    kiln_context_free(ctx);
    kiln_conf_free(conf);
}

/* The token: from the secret when there is one (stable), else random. */
static void token(void **state)
{
    (void)state;
    char a[UI_TOKEN_HEX + 1], b[UI_TOKEN_HEX + 1];
    kiln_conf *conf = kiln_conf_new();
    unsetenv("KILN_SECRET_FILE");
    assert_int_equal(ui_app_token(conf, a), KILN_OK);
    assert_int_equal(ui_app_token(conf, b), KILN_OK);
    assert_int_equal(strlen(a), UI_TOKEN_HEX);
    assert_string_not_equal(a, b);
    assert_int_equal(kiln_conf_set(conf, "kiln.authenticate.secret",
                                   "0123456789abcdef0123456789abcdef"),
                     KILN_OK);
    assert_int_equal(ui_app_token(conf, a), KILN_OK);
    assert_int_equal(ui_app_token(conf, b), KILN_OK);
    assert_string_equal(a, b);
    assert_null(strstr(a, "0123456789abcdef"));
    kiln_conf_free(conf);
}

/* A context writing its event log to logs. */
static kiln_context *logged_context(const char *logs)
{
    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.master", "local[2]"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.app.name", XSS_APP), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.enabled", "true"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.dir", logs), KILN_OK);
    kiln_context *ctx = NULL;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    return ctx;
}

/* The history server over a directory holding a finished log, an
 * .inprogress one and a truncated copy of the finished one: all listed
 * (the running one apart), each one's pages and REST API served; the
 * finished one's REST answers equal the live store's. */
static void history(void **state)
{
    (void)state;
    char *dir = kt_tmpdir_new();
    char *logs = kt_path(dir, "logs");
    kiln_context *done = logged_context(logs);
    int64_t n;
    assert_int_equal(kiln_rdd_count(kiln_rdd_map(kiln_range(done, 0, 100, 1, 3),
                                                 kt_fail_on_seven_fn, NULL, 0),
                                    &n) == KILN_OK,
                     false);
    assert_int_equal(kiln_rdd_count(kiln_range(done, 0, 100, 1, 4), &n), KILN_OK);
    ui_store *live = ctx_ui_store(done);
    char done_id[128], p[300];
    snprintf(done_id, sizeof done_id, "%s", live->app_id);
    snprintf(p, sizeof p, "/applications/%s/jobs", done_id);
    int want_st;
    char *want_jobs = rest(live, p, NULL, &want_st);
    kiln_context_free(done);
    kiln_context *running = logged_context(logs);
    assert_int_equal(kiln_rdd_count(kiln_range(running, 0, 10, 1, 2), &n), KILN_OK);
    char running_id[128];
    snprintf(running_id, sizeof running_id, "%s", ((ui_store *)ctx_ui_store(running))->app_id);
    /* A truncated copy of the finished log: its first half, cut mid-line. */
    char *full = kt_path(logs, done_id);
    size_t len;
    char *text = kt_read_file(full, &len);
    char *cut = kt_path(logs, "local-1000000000000");
    kt_write_file(cut, text, len / 2);

    usleep(1200 * 1000); /* the running log's writer flushes about twice a second */
    ui_history_opts o = {.log_dir = logs, .port = 0, .retained_apps = 2};
    ui_history *h;
    assert_int_equal(ui_history_start(&o, &h), KILN_OK);
    int port = ui_history_port(h);
    kt_answer r = kt_http_page(port, "/", 200);
    assert_int_equal(rows(r.body, "completed-apps"), 2);
    assert_int_equal(rows(r.body, "incomplete-apps"), 1);
    assert_non_null(strstr(r.body, done_id));
    assert_non_null(strstr(r.body, running_id));
    free(r.body);
    r = kt_http_get(port, "/api/v1/applications");
    assert_int_equal(r.status, 200);
    if (kt_occurrences(r.body, "\"attempts\"") != 3) fprintf(stderr, "%s\n", r.body);
    assert_int_equal(kt_occurrences(r.body, "\"attempts\""), 3);
    free(r.body);
    const char *ids[] = {done_id, running_id, "local-1000000000000"};
    for (int i = 0; i < 3; i++) {
        const char *tabs[] = {"/jobs/", "/stages/", "/storage/", "/environment/", "/executors/"};
        for (int t = 0; t < 5; t++) {
            snprintf(p, sizeof p, "/history/%s%s", ids[i], tabs[t]);
            r = kt_http_page(port, p, 200);
            char link[200];
            snprintf(link, sizeof link, "href=\"/history/%s/stages/\"", ids[i]);
            assert_non_null(strstr(r.body, link));
            free(r.body);
        }
    }
    snprintf(p, sizeof p, "/history/%s/jobs/", done_id);
    r = kt_http_page(port, p, 200);
    assert_int_equal(rows(r.body, "completed-jobs"), 1);
    assert_int_equal(rows(r.body, "failed-jobs"), 1);
    free(r.body);
    snprintf(p, sizeof p, "/api/v1/applications/%s/jobs", done_id);
    r = kt_http_get(port, p);
    assert_int_equal(r.status, want_st);
    assert_string_equal(r.body, want_jobs);
    free(r.body);
    free(kt_http_page(port, "/history/nope/jobs/", 404).body);
    free(kt_http_page(port, "/history/..%2F..%2Fetc%2Fpasswd/jobs/", 404).body);
    r = kt_http_get(port, "/api/v1/applications/nope/jobs");
    assert_int_equal(r.status, 404);
    free(r.body);
    /* The running application runs a job: the next look replays it again. */
    assert_int_equal(kiln_rdd_count(kiln_range(running, 0, 10, 1, 2), &n), KILN_OK);
    usleep(1200 * 1000); /* the log's writer flushes about twice a second */
    snprintf(p, sizeof p, "/history/%s/jobs/", running_id);
    r = kt_http_page(port, p, 200);
    assert_int_equal(rows(r.body, "completed-jobs"), 2);
    free(r.body);
    ui_history_stop(h);
    kiln_context_free(running);
    free(want_jobs);
    free(text);
    free(full);
    free(cut);
    free(logs);
    kt_rm_rf(dir);
    free(dir);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pages_local),    cmocka_unit_test(pages_local_cluster),
        cmocka_unit_test(session_server), cmocka_unit_test(token),
        cmocka_unit_test(history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
