/*
 * tests/browser/ui_app.c - the application that tests/e2e/app_ui_browser.sh
 * looks at in a browser: a local[2] context with its web UI on a free port
 * (kiln.ui.port=0; with KILN_LOG_LEVEL=INFO it logs "web UI available at URL" on stderr), the
 * event log in DIR/events, an application name and a configuration value
 * that are XSS attempts. It runs a word count over a cached text file (so
 * Storage lists an RDD, named "lines XSS1"; its jobs described "wc XSS2"), then a job whose task
 * fails with a message full of markup, a SQL query with markup in its text (one execution,
 * one job of two stages), creates DIR/ready and waits (at most 120 s) for DIR/go
 * before it stops, so that the page can be read while it runs.
 *
 *   ui_app DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln/sql.h"

#define XSS_APP "<script>alert(1)</script>"
#define XSS_ATTR "\"'><img src=x onerror=alert(1)>"

/* Fails the task that meets 7, with markup in its message. */
static int fail_on_7(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    if (in->type == KILN_INT && in->u.i == 7) return kiln_task_fail(t, "bad record " XSS_ATTR);
    *out = *in;
    return 0;
}

static int die(const char *what)
{
    fprintf(stderr, "ui_app: %s: %s\n", what, kiln_last_error());
    return 1;
}

/* A text of n lines of skewed words (some lines empty). */
static int write_text(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    uint64_t x = 0x9E3779B97F4A7C15ull;
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
    return fclose(f);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ui_app DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char *events = join(dir, "events"), *text = join(dir, "words.txt");
    char *ready = join(dir, "ready"), *go = join(dir, "go");
    if (!events || !text || !ready || !go) return 1;
    if (mkdir(events, 0700) != 0 || write_text(text, 3000) != 0) {
        perror("ui_app");
        return 1;
    }
    kiln_conf *conf = kiln_conf_new();
    const char *kv[][2] = {{"kiln.master", "local[2]"},
                           {"kiln.app.name", XSS_APP},
                           {"kiln.test.value", XSS_ATTR},
                           {"kiln.ui.port", "0"},
                           {"kiln.ui.showConsoleProgress", "false"},
                           {"kiln.eventLog.enabled", "true"},
                           {"kiln.eventLog.dir", events}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (kiln_conf_set(conf, kv[i][0], kv[i][1]) != KILN_OK) return die(kv[i][0]);
    kiln_context *ctx = NULL;
    if (kiln_context_new(conf, &ctx) != KILN_OK) return die("context");
    kiln_conf_free(conf);

    /* The word count's jobs are described, and its cached RDD named, with
     * markup (shown as text on the Jobs and Storage tabs and in the timeline). */
    if (kiln_context_set_job_description(ctx, "wc " XSS_ATTR) != KILN_OK) return die("description");
    kiln_rdd *lines = kiln_rdd_set_name(kiln_rdd_persist(kiln_text_file(ctx, text, 4),
                                                         KILN_MEMORY_ONLY),
                                        "lines " XSS_APP);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(
        kiln_rdd_map(kiln_rdd_flat_map(lines, kiln_fn_split_whitespace, NULL, 0), kiln_fn_pair_one,
                     NULL, 0),
        kiln_fn_add, NULL, 0, 3);
    int64_t n = 0, nlines = 0;
    if (kiln_rdd_count(counts, &n) != KILN_OK || n <= 0) return die("word count");
    if (kiln_rdd_count(lines, &nlines) != KILN_OK || nlines != 3000) return die("line count");
    kiln_context_set_job_description(ctx, NULL);
    kiln_rdd *bad = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), fail_on_7, NULL, 0);
    if (kiln_rdd_count(bad, &n) == KILN_OK) {
        fprintf(stderr, "ui_app: the failing job succeeded\n");
        return 1;
    }
    /* A SQL query (one execution: its plan drawn on the SQL tab), with
     * markup in its text. */
    kiln_session *ss = NULL;
    if (kiln_session_new(ctx, &ss) != KILN_OK) return die("session");
    kiln_df *q = kiln_sql(ss, "SELECT k, count(*) AS c FROM VALUES (1), (2), (1), (3) AS t(k) "
                              "WHERE k < 3 GROUP BY k -- " XSS_APP);
    kiln_arena *qa = kiln_arena_new();
    kiln_value rows;
    if (!q || !qa || kiln_df_collect(q, qa, &rows) != KILN_OK || rows.len != 2)
        return die("SQL query");
    kiln_arena_free(qa);
    kiln_df_free(q);
    FILE *f = fopen(ready, "w");
    if (!f || fclose(f) != 0) return 1;
    for (int i = 0; i < 1200 && access(go, F_OK) != 0; i++) usleep(100000);
    kiln_session_free(ss);
    kiln_context_free(ctx);
    free(events), free(text), free(ready), free(go);
    return 0;
}
