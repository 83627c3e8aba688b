/*
 * test_ui_jobdesc.c - job descriptions, job groups and local properties
 * (src/engine/local_props.c), RDD names (rdd_name.c) and the event
 * timelines (src/web/timeline.c, src/ui/ui_pages_timeline.c).
 *
 * described: a local[2] context with the event log runs jobs of random
 * sizes (empty ones too) under a random sequence of descriptions, groups
 * and properties (the XSS strings among them, set, changed and cleared),
 * one failing, one SQL query with no description (its SQL text is its
 * description) and one with; two more threads run jobs at the same time,
 * one with its own description, one with none. Checks: each job's
 * description and group in the store, REST and the event log's
 * Properties equal what a model of the thread's properties says; a
 * property set on one thread is not seen on another; the replayed log's
 * REST equals the live one byte for byte; every page (jobs, each job, its
 * stages, storage and the named RDD) has no raw markup and shows the
 * escaped strings, in the timeline's tooltips too; the timeline has one
 * bar per job, coloured by its status.
 *
 * cancel_group: jobs of two groups run on two threads; cancelling one
 * group fails its job ("cancelled") and leaves the other's to succeed.
 *
 * timeline_random: random jobs (running, succeeded, failed, overlapping,
 * sequential) and executors applied to a store with a random retention;
 * the page's SVG has one bar per retained job with the right status
 * classes, and the lanes web_timeline_lanes gives never overlap and are as
 * few as the most jobs running at once (a brute-force reference).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/json.h"
#include "engine/engine.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_http.h"
#include "kt_rand.h"
#include "ui/ui_pages.h"
#include "web/web.h"

#define XSS_SCRIPT "<script>alert(1)</script>"
#define XSS_ATTR "\"'><img src=x onerror=alert(1)>"
#define ESC_SCRIPT "&lt;script&gt;alert(1)&lt;/script&gt;"
#define ESC_ATTR "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"

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

/* The timeline's <svg> of a page (a copy), failing when there is none. */
static char *timeline_of(const char *body)
{
    const char *a = strstr(body, "<svg class=\"timeline\"");
    assert_non_null(a);
    const char *z = strstr(a, "</svg>");
    assert_non_null(z);
    return strndup(a, (size_t)(z - a + 6));
}

/* ---- described ------------------------------------------------------------------- */

enum { MAXJOBS = 64 };

typedef struct expect {
    int job;
    char *desc, *group, *extra; /* NULL: none */
} expect;

typedef struct model {
    char *desc, *group, *extra; /* the thread's properties now */
} model;

static expect want[MAXJOBS];
static int nwant;
static pthread_mutex_t want_lock = PTHREAD_MUTEX_INITIALIZER;

static char *dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void model_set(char **slot, const char *v)
{
    free(*slot);
    *slot = dup0(v);
}

/* Notes what the next job's properties must be: the model's. */
static void expect_job(const model *m, int job)
{
    pthread_mutex_lock(&want_lock);
    assert_true(nwant < MAXJOBS);
    want[nwant++] = (expect){job, dup0(m->desc), dup0(m->group), dup0(m->extra)};
    pthread_mutex_unlock(&want_lock);
}

/* Fails the task that meets fail_at_value, with markup in its message. */
static int fail_at_value = -1;
static int fail_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    if (in->type == KILN_INT && in->u.i == fail_at_value)
        return kiln_task_fail(t, "bad record " XSS_ATTR);
    *out = *in;
    return 0;
}

/* The newest job in the store: the one main just ran, while no other
 * thread runs jobs (the threads' jobs are told apart by their descriptions). */
static int last_job(kiln_context *ctx)
{
    ui_store *s = ctx_ui_store(ctx);
    pthread_mutex_lock(&s->lock);
    int id = s->njobs ? s->jobs[s->njobs - 1].id : -1;
    pthread_mutex_unlock(&s->lock);
    return id;
}

typedef struct peer {
    kiln_context *ctx;
    const char *desc; /* set on the peer's thread; NULL: none */
    int jobs;
    atomic_bool saw_main; /* main's description was visible here (it must not be) */
} peer;

static void *peer_main(void *arg)
{
    peer *p = arg;
    if (kiln_context_get_local_property(p->ctx, "spark.job.description"))
        atomic_store(&p->saw_main, true);
    if (p->desc) kiln_context_set_job_description(p->ctx, p->desc);
    for (int i = 0; i < p->jobs; i++) {
        kiln_rdd *r = kiln_range(p->ctx, 0, 200 + i, 1, 3);
        int64_t n;
        if (kiln_rdd_count(r, &n) != KILN_OK || n != 200 + i) atomic_store(&p->saw_main, true);
        kiln_rdd_free(r);
    }
    return NULL;
}

static int sql_run(kiln_session *ss, const char *sql)
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

/* The string member key of object o, NULL when absent. */
static const char *jstr(const json_node *o, const char *key)
{
    return json_get_str(o, key);
}

static void same(const char *what, int job, const char *got, const char *exp)
{
    if ((got == NULL) != (exp == NULL) || (got && strcmp(got, exp) != 0)) {
        fprintf(stderr, "job %d %s: got %s, want %s\n", job, what, got ? got : "(none)",
                exp ? exp : "(none)");
        fail();
    }
}

static void described(void **state)
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
    kiln_conf_free(conf);

    /* Errors. */
    assert_int_equal(kiln_context_set_local_property(NULL, "k", "v"), KILN_EINVAL);
    assert_int_equal(kiln_context_set_local_property(ctx, NULL, "v"), KILN_EINVAL);
    assert_int_equal(kiln_context_set_job_group(ctx, NULL, "d", false), KILN_EINVAL);
    assert_null(kiln_context_get_local_property(ctx, "spark.job.description"));

    /* A random walk through descriptions, groups and a property, a job
     * after each step. */
    static const char *const descs[] = {XSS_SCRIPT, XSS_ATTR, "nightly \xc3\xa9t\xc3\xa9 report",
                                        "", "a much longer description of the job, " XSS_SCRIPT};
    static const char *const groups[] = {XSS_ATTR, "etl", XSS_SCRIPT};
    model m = {0};
    uint64_t seed = 0x5eed1234abcdull;
    int failed_job = -1;
    for (int step = 0; step < 24; step++) {
        switch (kt_rand(&seed) % 6) {
        case 0: {
            const char *d = descs[kt_rand(&seed) % 5];
            assert_int_equal(kiln_context_set_job_description(ctx, d), KILN_OK);
            model_set(&m.desc, d);
            break;
        }
        case 1:
            assert_int_equal(kiln_context_set_job_description(ctx, NULL), KILN_OK);
            model_set(&m.desc, NULL);
            break;
        case 2: {
            const char *g = groups[kt_rand(&seed) % 3];
            const char *d = kt_rand(&seed) % 2 ? descs[kt_rand(&seed) % 5] : NULL;
            assert_int_equal(kiln_context_set_job_group(ctx, g, d, false), KILN_OK);
            model_set(&m.group, g);
            model_set(&m.desc, d);
            break;
        }
        case 3:
            assert_int_equal(kiln_context_clear_job_group(ctx), KILN_OK);
            model_set(&m.group, NULL);
            model_set(&m.desc, NULL);
            break;
        case 4: {
            const char *v = kt_rand(&seed) % 3 ? XSS_ATTR : NULL;
            assert_int_equal(kiln_context_set_local_property(ctx, "kiln.test.prop", v), KILN_OK);
            model_set(&m.extra, v);
            break;
        }
        default:
            break;
        }
        same("get description", -1, kiln_context_get_local_property(ctx, "spark.job.description"),
             m.desc);
        same("get group", -1, kiln_context_get_local_property(ctx, "spark.jobGroup.id"), m.group);
        /* The job: empty, small or skewed ranges; one fails. */
        int64_t n = (int64_t)(kt_rand(&seed) % 4 == 0 ? 0 : kt_rand(&seed) % 5000);
        int slices = 1 + (int)(kt_rand(&seed) % 6);
        kiln_rdd *r = kiln_range(ctx, 0, n, 1, slices);
        int64_t got = -1;
        if (step == 13) {
            fail_at_value = (int)(n > 0 ? n / 2 : 0);
            kiln_rdd *bad = kiln_rdd_map(kiln_range(ctx, 0, n + 1, 1, slices), fail_fn, NULL, 0);
            assert_int_not_equal(kiln_rdd_count(bad, &got), KILN_OK);
            kiln_rdd_free(bad);
            failed_job = last_job(ctx);
            expect_job(&m, failed_job);
        } else {
            assert_int_equal(kiln_rdd_count(r, &got), KILN_OK);
            assert_int_equal(got, n);
            expect_job(&m, last_job(ctx));
        }
        kiln_rdd_free(r);
    }

    /* Two threads at the same time as main: one with its own description,
     * one with none; main's description is set now and must tag only
     * main's jobs. */
    assert_int_equal(kiln_context_set_job_description(ctx, "main " XSS_SCRIPT), KILN_OK);
    model_set(&m.desc, "main " XSS_SCRIPT);
    peer pa = {.ctx = ctx, .desc = "peer A " XSS_ATTR, .jobs = 3};
    peer pb = {.ctx = ctx, .desc = NULL, .jobs = 3};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, peer_main, &pa), 0);
    assert_int_equal(pthread_create(&tb, NULL, peer_main, &pb), 0);
    for (int i = 0; i < 3; i++) {
        kiln_rdd *r = kiln_range(ctx, 0, 1000, 1, 2);
        int64_t got;
        assert_int_equal(kiln_rdd_count(r, &got), KILN_OK);
        assert_int_equal(got, 1000);
        kiln_rdd_free(r);
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_false(atomic_load(&pa.saw_main));
    assert_false(atomic_load(&pb.saw_main));

    /* SQL: no description, the SQL text describes the job; one set wins. */
    kiln_session *ss;
    assert_int_equal(kiln_session_new(ctx, &ss), KILN_OK);
    assert_int_equal(kiln_context_clear_job_group(ctx), KILN_OK);
    assert_int_equal(kiln_context_set_local_property(ctx, "kiln.test.prop", NULL), KILN_OK);
    const char *q1 = "SELECT count(*) AS n FROM range(0, 100) WHERE id <> 7";
    assert_int_equal(sql_run(ss, q1), KILN_OK);
    int sql_job = last_job(ctx);
    assert_int_equal(kiln_context_set_job_description(ctx, "described " XSS_ATTR), KILN_OK);
    assert_int_equal(sql_run(ss, "SELECT sum(id) FROM range(0, 10)"), KILN_OK);
    int sql_job2 = last_job(ctx);
    assert_int_equal(kiln_context_set_job_description(ctx, NULL), KILN_OK);

    /* A named, cached RDD. */
    kiln_rdd *named = kiln_rdd_persist(kiln_range(ctx, 0, 300, 1, 3), KILN_MEMORY_ONLY);
    assert_null(kiln_rdd_name(named));
    assert_ptr_equal(kiln_rdd_set_name(named, "first name"), named);
    assert_ptr_equal(kiln_rdd_set_name(named, "rdd " XSS_SCRIPT XSS_ATTR), named);
    assert_string_equal(kiln_rdd_name(named), "rdd " XSS_SCRIPT XSS_ATTR);
    int64_t got;
    assert_int_equal(kiln_rdd_count(named, &got), KILN_OK);
    assert_int_equal(got, 300);
    int rdd_id = kiln_rdd_id(named);

    /* The store against the model, and the threads' jobs. */
    ui_store *s = ctx_ui_store(ctx);
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < nwant; i++) {
        ui_job *j = ui_store_job(s, want[i].job);
        assert_non_null(j);
        same("description", j->id, j->description, want[i].desc);
        same("group", j->id, j->group, want[i].group);
    }
    int na = 0, nb = 0, nmain = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        const ui_job *j = &s->jobs[i];
        if (j->description && strcmp(j->description, pa.desc) == 0) na++;
        else if (j->description && strcmp(j->description, "main " XSS_SCRIPT) == 0) nmain++;
    }
    /* Jobs with no description: B's three, and the SQL-free ones of the walk. */
    int walk_none = 0;
    for (int i = 0; i < nwant; i++) walk_none += want[i].desc == NULL;
    for (size_t i = 0; i < s->njobs; i++) nb += s->jobs[i].description == NULL;
    assert_int_equal(na, 3);
    assert_int_equal(nmain, 3);
    assert_int_equal(nb, walk_none + 3 + 1 /* the named RDD's count */);
    const ui_job *sj = ui_store_job(s, sql_job);
    assert_string_equal(sj->description, q1);
    assert_string_equal(ui_store_job(s, sql_job2)->description, "described " XSS_ATTR);
    const ui_rdd *ur = ui_store_rdd(s, rdd_id);
    assert_non_null(ur);
    assert_string_equal(ur->name, "rdd " XSS_SCRIPT XSS_ATTR);
    int njobs = (int)s->njobs, nfailed = 0;
    for (size_t i = 0; i < s->njobs; i++) nfailed += s->jobs[i].state == UI_FAILED;
    assert_int_equal(nfailed, 1);
    char app[128], p[400];
    snprintf(app, sizeof app, "%s", s->app_id);
    pthread_mutex_unlock(&s->lock);

    /* REST: description and jobGroup of every job as the model says. */
    int st;
    snprintf(p, sizeof p, "/applications/%s/jobs", app);
    char *live_jobs = rest(s, p, &st);
    assert_int_equal(st, 200);
    kiln_arena *a = kiln_arena_new();
    json_node *doc;
    char err[256] = "";
    assert_int_equal(json_doc_parse(a, live_jobs, strlen(live_jobs), &doc, err, sizeof err),
                     KILN_OK);
    assert_int_equal((int)doc->n, njobs);
    for (int i = 0; i < nwant; i++) {
        const json_node *jd = NULL;
        for (size_t k = 0; k < doc->n; k++)
            if (json_get_int(doc->items[k], "jobId", -1) == want[i].job) jd = doc->items[k];
        assert_non_null(jd);
        same("REST description", want[i].job, jstr(jd, "description"), want[i].desc);
        same("REST jobGroup", want[i].job, jstr(jd, "jobGroup"), want[i].group);
    }
    snprintf(p, sizeof p, "/applications/%s/storage/rdd/%d", app, rdd_id);
    char *rdd_rest = rest(s, p, &st);
    assert_int_equal(st, 200);
    json_node *rd;
    assert_int_equal(json_doc_parse(a, rdd_rest, strlen(rdd_rest), &rd, err, sizeof err), KILN_OK);
    assert_string_equal(jstr(rd, "name"), "rdd " XSS_SCRIPT XSS_ATTR);
    free(rdd_rest);

    /* Pages. */
    app_ui *u = NULL;
    kiln_conf *uc = kiln_conf_new();
    assert_int_equal(kiln_conf_set(uc, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(app_ui_start(s, uc, &u), KILN_OK);
    kiln_conf_free(uc);
    int port = app_ui_port(u);
    kt_answer r = kt_http_page(port, "/jobs/", 200);
    assert_non_null(strstr(r.body, "<p class=\"description\">main " ESC_SCRIPT "</p>"));
    assert_non_null(strstr(r.body, ESC_ATTR));
    char *svg = timeline_of(r.body);
    assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar "), njobs);
    assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar state-FAILED\">"), 1);
    assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar state-SUCCEEDED\">"), njobs - 1);
    assert_non_null(strstr(svg, ESC_SCRIPT));
    assert_non_null(strstr(svg, ESC_ATTR));
    assert_non_null(strstr(svg, "class=\"tl-mark exec-added\""));
    free(svg);
    free(r.body);
    for (int i = 0; i < njobs; i++) {
        snprintf(p, sizeof p, "/jobs/job/?id=%d", i);
        r = kt_http_page(port, p, 200);
        svg = timeline_of(r.body);
        /* A job's timeline: one bar per stage it ran. */
        pthread_mutex_lock(&s->lock);
        int ran = 0;
        for (size_t k = 0; k < s->nstages; k++)
            ran += s->stages[k].job == i && s->stages[k].submitted > 0;
        const ui_job *j = ui_store_job(s, i);
        char *jd = dup0(j->description), *jg = dup0(j->group);
        pthread_mutex_unlock(&s->lock);
        assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar "), ran);
        if (jd) assert_non_null(strstr(r.body, "<strong>Description:</strong>"));
        if (jg) assert_non_null(strstr(r.body, "<strong>Job Group:</strong>"));
        if (jg && strcmp(jg, XSS_ATTR) == 0) assert_non_null(strstr(r.body, ESC_ATTR));
        free(jd), free(jg), free(svg), free(r.body);
    }
    r = kt_http_page(port, "/storage/", 200);
    assert_non_null(strstr(r.body, "rdd " ESC_SCRIPT ESC_ATTR));
    free(r.body);
    snprintf(p, sizeof p, "/storage/rdd/?id=%d", rdd_id);
    r = kt_http_page(port, p, 200);
    assert_non_null(strstr(r.body, "rdd " ESC_SCRIPT ESC_ATTR));
    free(r.body);
    free(kt_http_page(port, "/stages/", 200).body);
    app_ui_stop(u);
    kiln_rdd_free(named);
    kiln_session_free(ss);
    kiln_context_free(ctx);

    /* The event log's job properties, and the replayed store's REST. */
    char *log = kt_path(logs, app);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int starts = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (!strstr(line, "\"SparkListenerJobStart\"")) continue;
        json_node *v;
        assert_int_equal(json_doc_parse(a, line, (size_t)len, &v, err, sizeof err), KILN_OK);
        const json_node *props = json_get(v, "Properties");
        int id = (int)json_get_int(v, "Job ID", -1);
        starts++;
        for (int i = 0; i < nwant; i++)
            if (want[i].job == id) {
                same("log description", id, jstr(props, "spark.job.description"), want[i].desc);
                same("log group", id, jstr(props, "spark.jobGroup.id"), want[i].group);
                same("log property", id, jstr(props, "kiln.test.prop"), want[i].extra);
                if (want[i].group) assert_non_null(jstr(props, "spark.job.interruptOnCancel"));
            }
    }
    free(line);
    fclose(f);
    assert_int_equal(starts, njobs);
    ui_store *h = ui_store_new(NULL);
    int64_t skipped = 0;
    assert_int_equal(ui_replay(log, h, &skipped, err, sizeof err), KILN_OK);
    assert_int_equal(skipped, 0);
    snprintf(p, sizeof p, "/applications/%s/jobs", app);
    char *replayed = rest(h, p, &st);
    assert_string_equal(replayed, live_jobs);
    free(replayed);
    snprintf(p, sizeof p, "/applications/%s/storage/rdd", app);
    replayed = rest(h, p, &st);
    json_node *rl;
    assert_int_equal(json_doc_parse(a, replayed, strlen(replayed), &rl, err, sizeof err), KILN_OK);
    assert_int_equal((int)rl->n, 1);
    assert_string_equal(jstr(rl->items[0], "name"), "rdd " XSS_SCRIPT XSS_ATTR);
    free(replayed);
    ui_store_free(h);

    kiln_arena_free(a);
    for (int i = 0; i < nwant; i++) free(want[i].desc), free(want[i].group), free(want[i].extra);
    nwant = 0;
    free(m.desc), free(m.group), free(m.extra);
    free(live_jobs);
    free(log);
    free(logs);
    kt_rm_rf(dir);
    free(dir);
}

/* ---- cancel_group ---------------------------------------------------------------- */

static atomic_bool release_b;

/* Waits (at most 20 s) until its job is cancelled, or for release_b. */
static int wait_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    for (int i = 0; i < 20000 && !kiln_task_cancelled(t) && !atomic_load(&release_b); i++)
        usleep(1000);
    *out = *in;
    return 0;
}

typedef struct grouped {
    kiln_context *ctx;
    const char *group;
    int rc;
    atomic_bool started;
} grouped;

static void *grouped_main(void *arg)
{
    grouped *g = arg;
    kiln_context_set_job_group(g->ctx, g->group, "waits", true);
    kiln_rdd *r = kiln_rdd_map(kiln_range(g->ctx, 0, 2, 1, 1), wait_fn, NULL, 0);
    atomic_store(&g->started, true);
    int64_t n;
    g->rc = kiln_rdd_count(r, &n);
    kiln_rdd_free(r);
    return NULL;
}

static void cancel_group(void **state)
{
    (void)state;
    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.master", "local[2]"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    kiln_context *ctx = NULL;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    grouped a = {.ctx = ctx, .group = "g-a"}, b = {.ctx = ctx, .group = "g-b"};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, grouped_main, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, grouped_main, &b), 0);
    /* Both jobs running: two jobs in the store, both RUNNING. */
    ui_store *s = ctx_ui_store(ctx);
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&s->lock);
        int running = 0;
        for (size_t k = 0; k < s->njobs; k++) running += s->jobs[k].state == UI_RUNNING;
        pthread_mutex_unlock(&s->lock);
        if (running == 2) break;
        usleep(5000);
    }
    assert_int_equal(kiln_context_cancel_job_group(ctx, "no-such-group"), KILN_OK);
    assert_int_equal(kiln_context_cancel_job_group(ctx, "g-a"), KILN_OK);
    pthread_join(ta, NULL);
    assert_int_equal(a.rc, KILN_EJOB);
    atomic_store(&release_b, true);
    pthread_join(tb, NULL);
    assert_int_equal(b.rc, KILN_OK);
    /* A later job of the cancelled group runs normally. */
    assert_int_equal(kiln_context_set_job_group(ctx, "g-a", NULL, false), KILN_OK);
    kiln_rdd *r = kiln_range(ctx, 0, 10, 1, 2);
    int64_t n;
    assert_int_equal(kiln_rdd_count(r, &n), KILN_OK);
    assert_int_equal(n, 10);
    kiln_rdd_free(r);
    pthread_mutex_lock(&s->lock);
    assert_int_equal(s->njobs, 3);
    assert_string_equal(s->jobs[2].group, "g-a");
    int failed = 0;
    for (size_t k = 0; k < 2; k++)
        if (s->jobs[k].state == UI_FAILED) {
            failed++;
            assert_string_equal(s->jobs[k].group, "g-a");
            assert_non_null(strstr(s->jobs[k].error, "cancelled"));
        }
    assert_int_equal(failed, 1);
    pthread_mutex_unlock(&s->lock);
    kiln_context_free(ctx);
}

/* ---- timeline_random --------------------------------------------------------------- */

static void timeline_random(void **state)
{
    (void)state;
    uint64_t seed = 0x71e11e5ull;
    for (int round = 0; round < 12; round++) {
        int retained = 1 + (int)(kt_rand(&seed) % 40);
        int jobs = round == 0 ? 0 : (int)(kt_rand(&seed) % 150);
        kiln_conf *c = kiln_conf_new();
        char v[16];
        snprintf(v, sizeof v, "%d", retained);
        assert_int_equal(kiln_conf_set(c, "kiln.ui.retainedJobs", v), KILN_OK);
        ui_store *s = ui_store_new(c);
        kiln_conf_free(c);
        double t0 = 1765000000.0;
        ui_store_apply(
            s, &(engine_event){.kind = EV_APP_START, .name = XSS_SCRIPT, .message = "app-1"}, t0);
        ui_store_apply(
            s,
            &(engine_event){.kind = EV_EXECUTOR_ADDED, .name = "1", .host = XSS_ATTR, .cores = 2},
            t0);
        /* Jobs start at random gaps, last random times (skewed: a few long),
         * some never end; ends are applied in time order. */
        double *ends = calloc((size_t)jobs + 1, sizeof *ends);
        int *rcs = calloc((size_t)jobs + 1, sizeof *rcs);
        double now = t0;
        for (int i = 0; i < jobs; i++) {
            now += (double)(kt_rand(&seed) % 3000) / 1000.0;
            double len = kt_rand(&seed) % 10 == 0 ? (double)(kt_rand(&seed) % 60)
                                                  : (double)(kt_rand(&seed) % 2000) / 1000.0;
            ends[i] = kt_rand(&seed) % 12 == 0 ? 0 : now + len;
            rcs[i] = kt_rand(&seed) % 5 == 0 ? KILN_EJOB : KILN_OK;
            /* End every job that ended before this start. */
            for (int k = 0; k < i; k++)
                if (ends[k] > 0 && ends[k] <= now) {
                    ui_store_apply(s,
                                   &(engine_event){.kind = EV_JOB_END,
                                                   .job = k,
                                                   .rc = rcs[k],
                                                   .message = rcs[k] ? XSS_ATTR : NULL},
                                   ends[k]);
                    ends[k] = -1;
                }
            const char *kv[] = {"spark.job.description", i % 3 ? XSS_SCRIPT : XSS_ATTR};
            ui_store_apply(s,
                           &(engine_event){.kind = EV_JOB_START,
                                           .job = i,
                                           .name = "count",
                                           .sql_execution = -1,
                                           .props = kv,
                                           .nprops = i % 4 ? 1 : 0},
                           now);
        }
        if (jobs && kt_rand(&seed) % 2)
            ui_store_apply(
                s, &(engine_event){.kind = EV_EXECUTOR_LOST, .name = "1", .message = XSS_SCRIPT},
                now);
        /* The store's jobs are the reference of what is retained. */
        pthread_mutex_lock(&s->lock);
        int n = (int)s->njobs, shown = n > 100 ? 100 : n;
        int want_state[3] = {0};
        for (int i = n - shown; i < n; i++) {
            ui_state stt = s->jobs[i].state;
            want_state[stt == UI_RUNNING ? 0 : stt == UI_SUCCEEDED ? 1 : 2]++;
        }
        /* Lanes of the shown jobs, against brute force. */
        web_tl_bar *bars = calloc((size_t)shown + 1, sizeof *bars);
        int *lane = calloc((size_t)shown + 1, sizeof *lane);
        int64_t now_ms = (int64_t)(now * 1000) + 5000;
        for (int i = 0; i < shown; i++)
            bars[i] = (web_tl_bar){s->jobs[n - shown + i].submitted,
                                   s->jobs[n - shown + i].completed};
        pthread_mutex_unlock(&s->lock);
        int nl = web_timeline_lanes(bars, shown, now_ms, lane);
        int most = 0;
        for (int i = 0; i < shown; i++) {
            int64_t ei = bars[i].end > 0 ? bars[i].end : now_ms;
            int at = 0; /* bars running at bars[i].start */
            for (int k = 0; k < shown; k++) {
                int64_t ek = bars[k].end > 0 ? bars[k].end : now_ms;
                at += bars[k].start <= bars[i].start && ek > bars[i].start;
                if (k != i && lane[k] == lane[i]) {
                    bool apart = ek <= bars[i].start || ei <= bars[k].start;
                    if (!apart)
                        fprintf(stderr, "round %d: bars %d and %d overlap in lane %d\n", round, i,
                                k, lane[i]);
                    assert_true(apart);
                }
            }
            if (at > most) most = at;
        }
        assert_int_equal(nl, most);
        free(bars);
        free(lane);

        app_ui *u = NULL;
        kiln_conf *uc = kiln_conf_new();
        assert_int_equal(kiln_conf_set(uc, "kiln.ui.port", "0"), KILN_OK);
        assert_int_equal(app_ui_start(s, uc, &u), KILN_OK);
        kiln_conf_free(uc);
        kt_answer r = kt_http_page(app_ui_port(u), "/jobs/", 200);
        char *svg = timeline_of(r.body);
        assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar "), shown);
        assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar state-RUNNING\">"), want_state[0]);
        assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar state-SUCCEEDED\">"),
                         want_state[1]);
        assert_int_equal(kt_occurrences(svg, "<g class=\"tl-bar state-FAILED\">"), want_state[2]);
        if (shown) assert_non_null(strstr(svg, ESC_SCRIPT));
        assert_non_null(strstr(svg, ESC_ATTR)); /* the executor's host, in its tooltip */
        free(svg);
        free(r.body);
        app_ui_stop(u);
        free(ends);
        free(rcs);
        ui_store_free(s);
    }
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {cmocka_unit_test(described), cmocka_unit_test(cancel_group),
                                       cmocka_unit_test(timeline_random)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
