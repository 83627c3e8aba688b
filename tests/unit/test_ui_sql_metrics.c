/*
 * test_ui_sql_metrics.c - the SQL tab's plan graph and operator metrics
 * (src/sql/exec_graph.c, op.h's measuring, exec_task.c's exchange
 * counts; src/ui/status_sql_plan.c, ui_api_sql.c, ui_pages_sql.c).
 *
 * Random rows with nulls and a skewed key go to a CSV file; queries with
 * a filter, an aggregate, a broadcast join, a shuffled join, a sort and a
 * union run in local mode and in local-cluster mode (the metrics then
 * come back from executor processes). For each, the REST API's nodes and
 * edges must form a tree numbered in pre-order, and the rows each
 * operator reports must equal what a reference computed in the test says:
 * the scan's rows, the filter's, the aggregate's groups, the join's
 * matches, the rows each exchange wrote. Times and sizes must be present.
 * The execution's page draws the graph with the metrics and escapes the
 * markup in the SQL's literals; the event log replays to the same REST
 * answer byte for byte.
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
#include "kt_http.h"
#include "ui/ui_pages.h"

#define XSS "<script>alert(1)</script>"

enum { NROWS = 5000, NSMALL = 40 };

typedef struct row {
    int k, v; /* k: -1 null; v: INT32_MIN null */
} row;

static row big[NROWS], small[NSMALL];

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static void write_csv(const char *path, const row *rows, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        if (rows[i].k >= 0) fprintf(f, "%d,", rows[i].k);
        else fputs(",", f);
        if (rows[i].v != INT32_MIN) fprintf(f, "%d\n", rows[i].v);
        else fputs("\n", f);
    }
    fclose(f);
}

static void make_rows(void)
{
    for (int i = 0; i < NROWS; i++) {
        uint64_t r = next();
        /* skewed: half the rows have key 0; some null */
        big[i].k = r % 10 == 0 ? -1 : r % 2 ? 0 : (int)(r >> 8) % 60;
        big[i].v = (r >> 20) % 9 == 0 ? INT32_MIN : (int)((r >> 24) % 100);
    }
    for (int i = 0; i < NSMALL; i++) {
        uint64_t r = next();
        small[i].k = r % 8 == 0 ? -1 : (int)(r >> 8) % 80;
        small[i].v = (int)(r >> 30) % 5;
    }
}

/* ---- The REST answer ------------------------------------------------------------ */

typedef struct graph {
    kiln_arena *a;
    json_node *doc;
    const json_node *nodes, *edges;
} graph;

static char *rest(ui_store *s, const char *path)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int st = ui_api_render(s, path, NULL, &b);
    kiln_buf_append(&b, "", 1);
    if (st != 200) fprintf(stderr, "%s: %d %s\n", path, st, (char *)b.data);
    assert_int_equal(st, 200);
    return (char *)b.data;
}

/* Parses one execution's answer and checks its graph is a tree in pre-order:
 * node i's id is i, every node but 0 has one edge to a node of lower id,
 * node 0 none. */
static graph parse(const char *text)
{
    graph g = {kiln_arena_new(), NULL, NULL, NULL};
    char err[200];
    assert_int_equal(json_doc_parse(g.a, text, strlen(text), &g.doc, err, sizeof err), KILN_OK);
    g.nodes = json_get(g.doc, "nodes");
    g.edges = json_get(g.doc, "edges");
    assert_true(g.nodes && g.nodes->type == JSON_ARRAY && g.nodes->n > 0);
    assert_true(g.edges && g.edges->type == JSON_ARRAY);
    assert_int_equal(g.edges->n, g.nodes->n - 1);
    int *out = calloc(g.nodes->n, sizeof *out);
    for (size_t i = 0; i < g.nodes->n; i++)
        assert_int_equal(json_get_int(g.nodes->items[i], "nodeId", -1), (int64_t)i);
    for (size_t i = 0; i < g.edges->n; i++) {
        int64_t from = json_get_int(g.edges->items[i], "fromId", -1);
        int64_t to = json_get_int(g.edges->items[i], "toId", -1);
        assert_true(from > 0 && (size_t)from < g.nodes->n && to >= 0 && to < from);
        out[from]++;
    }
    for (size_t i = 1; i < g.nodes->n; i++) assert_int_equal(out[i], 1);
    free(out);
    return g;
}

static const char *name_of(const json_node *n)
{
    return json_get_str(n, "nodeName");
}

/* The k-th node (0-based) whose name starts with prefix, or NULL. */
static const json_node *node(const graph *g, const char *prefix, int k)
{
    for (size_t i = 0; i < g->nodes->n; i++)
        if (strncmp(name_of(g->nodes->items[i]), prefix, strlen(prefix)) == 0 && k-- == 0)
            return g->nodes->items[i];
    return NULL;
}

static int count_nodes(const graph *g, const char *prefix)
{
    int n = 0;
    while (node(g, prefix, n)) n++;
    return n;
}

static const char *metric_text(const json_node *n, const char *name)
{
    const json_node *ms = json_get(n, "metrics");
    for (size_t i = 0; ms && i < ms->n; i++)
        if (strcmp(json_get_str(ms->items[i], "name"), name) == 0)
            return json_get_str(ms->items[i], "value");
    return NULL;
}

/* A sum metric's value ("1,234" -> 1234); -1 when absent or empty. */
static int64_t metric(const json_node *n, const char *name)
{
    const char *t = metric_text(n, name);
    if (!t || !*t) return -1;
    int64_t v = 0;
    for (; *t; t++)
        if (*t >= '0' && *t <= '9') v = v * 10 + (*t - '0');
        else assert_int_equal(*t, ',');
    return v;
}

static void graph_free(graph *g)
{
    kiln_arena_free(g->a);
}

/* ---- References ------------------------------------------------------------------ */

static int64_t ref_filtered(void)
{
    int64_t n = 0;
    for (int i = 0; i < NROWS; i++) n += big[i].v != INT32_MIN && big[i].v > 10;
    return n;
}

static int64_t ref_groups(void)
{
    bool seen[61] = {false}; /* 60: the null key */
    int64_t n = 0;
    for (int i = 0; i < NROWS; i++) {
        if (big[i].v == INT32_MIN || big[i].v <= 10) continue;
        int k = big[i].k < 0 ? 60 : big[i].k;
        if (!seen[k]) n++;
        seen[k] = true;
    }
    return n;
}

static int64_t ref_joined(void)
{
    int64_t n = 0;
    for (int i = 0; i < NROWS; i++)
        for (int j = 0; j < NSMALL; j++) n += big[i].k >= 0 && big[i].k == small[j].k;
    return n;
}

/* ---- The test ---------------------------------------------------------------------- */

typedef struct run_ctx {
    kiln_context *ctx;
    kiln_session *ss;
    ui_store *s;
    char app[128];
} run_ctx;

static int64_t run(run_ctx *r, const char *sql)
{
    kiln_df *df = kiln_sql(r->ss, sql);
    if (!df) fprintf(stderr, "%s: %s\n", sql, kiln_last_error());
    assert_non_null(df);
    kiln_arena *a = kiln_arena_new();
    kiln_value v;
    int rc = kiln_df_collect(df, a, &v);
    if (rc) fprintf(stderr, "%s: %s\n", sql, kiln_last_error());
    assert_int_equal(rc, KILN_OK);
    kiln_arena_free(a);
    kiln_df_free(df);
    pthread_mutex_lock(&r->s->lock);
    int64_t id = r->s->sqls[r->s->nsqls - 1].id;
    pthread_mutex_unlock(&r->s->lock);
    return id;
}

static graph graph_of(run_ctx *r, int64_t id, char **text)
{
    char p[256];
    snprintf(p, sizeof p, "/applications/%s/sql/%lld", r->app, (long long)id);
    char *t = rest(r->s, p); /* takes the store's lock */
    graph g = parse(t);
    if (text) *text = t;
    else free(t);
    return g;
}

static void dump(const char *what, const char *text)
{
    fprintf(stderr, "%s:\n%s\n", what, text);
}

static void check_metrics(const char *master)
{
    char *dir = kt_tmpdir_new();
    char *logs = kt_path(dir, "logs");
    char *big_csv = kt_path(dir, "big.csv");
    char *small_csv = kt_path(dir, "small.csv");
    make_rows();
    write_csv(big_csv, big, NROWS);
    write_csv(small_csv, small, NSMALL);
    kiln_conf *conf = kiln_conf_new();
    assert_int_equal(kiln_conf_set(conf, "kiln.master", master), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.enabled", "true"), KILN_OK);
    assert_int_equal(kiln_conf_set(conf, "kiln.eventLog.dir", logs), KILN_OK);
    run_ctx r = {0};
    assert_int_equal(kiln_context_new(conf, &r.ctx), KILN_OK);
    assert_int_equal(kiln_session_new(r.ctx, &r.ss), KILN_OK);
    r.s = ctx_ui_store(r.ctx);
    snprintf(r.app, sizeof r.app, "%s", r.s->app_id);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW big (k INT, v INT) USING csv OPTIONS (path '%s', "
             "maxPartitionBytes '8000')",
             big_csv);
    kiln_df_free(kiln_sql(r.ss, sql));
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW small (k INT, w INT) USING csv OPTIONS (path '%s')", small_csv);
    kiln_df_free(kiln_sql(r.ss, sql));

    /* A filter and an aggregate: partial, exchange, final. */
    int64_t q1 = run(&r, "SELECT k, count(*) AS c, sum(v) AS s FROM big WHERE v > 10 GROUP BY k");
    char *text;
    graph g = graph_of(&r, q1, &text);
    if (getenv("KT_DUMP")) dump("q1", text);
    const json_node *scan = node(&g, "Scan csv", 0), *filter = node(&g, "Filter", 0);
    const json_node *ex = node(&g, "Exchange", 0);
    if (!scan || !filter || !ex || count_nodes(&g, "HashAggregate") != 2) dump("q1", text);
    assert_non_null(scan);
    assert_non_null(filter);
    assert_non_null(ex);
    assert_int_equal(count_nodes(&g, "HashAggregate"), 2);
    assert_int_equal(metric(scan, "number of output rows"), NROWS);
    assert_int_equal(metric(filter, "number of output rows"), ref_filtered());
    /* pre-order: the final aggregate comes before the partial one */
    const json_node *final = node(&g, "HashAggregate", 0), *partial = node(&g, "HashAggregate", 1);
    assert_int_equal(metric(final, "number of output rows"), ref_groups());
    int64_t partial_rows = metric(partial, "number of output rows");
    assert_true(partial_rows >= ref_groups());
    assert_int_equal(metric(ex, "shuffle records written"), partial_rows);
    assert_true(*metric_text(ex, "data size") && *metric_text(scan, "scan time"));
    assert_non_null(strstr(metric_text(final, "time in aggregation build"), "ms"));
    graph_free(&g);
    free(text);

    /* A broadcast hash join: the small side goes once through a broadcast. */
    int64_t q2 = run(&r, "SELECT big.k, v, w FROM big JOIN small ON big.k = small.k");
    g = graph_of(&r, q2, &text);
    const json_node *bhj = node(&g, "BroadcastHashJoin", 0);
    const json_node *bx = node(&g, "BroadcastExchange", 0);
    if (!bhj || !bx) dump("q2", text);
    assert_non_null(bhj);
    assert_non_null(bx);
    assert_int_equal(metric(bhj, "number of output rows"), ref_joined());
    /* every row of the small side is broadcast (null keys too: kiln infers
     * no isnotnull filter, the join drops them) */
    assert_int_equal(metric(bx, "number of output rows"), NSMALL);
    graph_free(&g);
    free(text);

    /* The same join shuffled: both sides exchanged by their keys. */
    kiln_df_free(kiln_sql(r.ss, "SET kiln.sql.autoBroadcastJoinThreshold = -1"));
    int64_t q3 = run(&r, "SELECT big.k, v, w FROM big JOIN small ON big.k = small.k");
    g = graph_of(&r, q3, &text);
    const json_node *shj = node(&g, "ShuffledHashJoin", 0);
    if (!shj || count_nodes(&g, "Exchange") != 2) dump("q3", text);
    assert_non_null(shj);
    assert_int_equal(count_nodes(&g, "Exchange"), 2);
    assert_int_equal(metric(shj, "number of output rows"), ref_joined());
    int64_t a = metric(node(&g, "Exchange", 0), "shuffle records written");
    int64_t b = metric(node(&g, "Exchange", 1), "shuffle records written");
    if (!((a == NROWS && b == NSMALL) || (b == NROWS && a == NSMALL))) dump("q3", text);
    assert_true((a == NROWS && b == NSMALL) || (b == NROWS && a == NSMALL));
    graph_free(&g);
    free(text);
    kiln_df_free(kiln_sql(r.ss, "SET kiln.sql.autoBroadcastJoinThreshold = 10485760"));

    /* A union of two filtered scans under a sort; markup in a literal. */
    int64_t q4 = run(&r, "SELECT k FROM big WHERE v < 5 UNION ALL SELECT k FROM small WHERE "
                         "CAST(w AS STRING) <> '" XSS "' ORDER BY k");
    g = graph_of(&r, q4, &text);
    const json_node *u = node(&g, "Union", 0), *sort = node(&g, "Sort", 0);
    if (!u || !sort) dump("q4", text);
    assert_non_null(u);
    assert_non_null(sort);
    int64_t low = 0;
    for (int i = 0; i < NROWS; i++) low += big[i].v != INT32_MIN && big[i].v < 5;
    assert_int_equal(metric(u, "number of output rows"), low + NSMALL);
    assert_int_equal(metric(sort, "number of output rows"), low + NSMALL);
    graph_free(&g);
    free(text);

    /* An IN subquery: a semi join whose small side is measured first
     * (adaptive) and then broadcast; still one tree, the join's rows right. */
    int64_t q5 = run(&r, "SELECT k, v FROM big WHERE k IN (SELECT k FROM small WHERE w > 2)");
    g = graph_of(&r, q5, &text);
    const json_node *semi = node(&g, "BroadcastHashJoin", 0);
    if (!semi) semi = node(&g, "ShuffledHashJoin", 0);
    if (!semi || getenv("KT_DUMP")) dump("q5", text);
    assert_non_null(semi);
    int64_t in_rows = 0;
    for (int i = 0; i < NROWS; i++) {
        bool hit = false;
        for (int j = 0; j < NSMALL && !hit; j++)
            hit = big[i].k >= 0 && small[j].k == big[i].k && small[j].v > 2;
        in_rows += hit;
    }
    assert_int_equal(metric(semi, "number of output rows"), in_rows);
    graph_free(&g);
    free(text);
    /* With a tiny broadcast limit the subquery's side is measured first: a
     * QueryStage, shuffled when it comes out above the limit (local mode),
     * or renamed BroadcastExchange when the executors' cached size is
     * within it (local-cluster): either way one tree, the join's rows right. */
    kiln_df_free(kiln_sql(r.ss, "SET kiln.sql.autoBroadcastJoinThreshold = 64"));
    int64_t q6 = run(&r, "SELECT k, v FROM big WHERE k IN (SELECT k FROM small WHERE w > 2)");
    kiln_df_free(kiln_sql(r.ss, "SET kiln.sql.autoBroadcastJoinThreshold = 10485760"));
    g = graph_of(&r, q6, &text);
    semi = node(&g, "ShuffledHashJoin", 0);
    if (semi) assert_non_null(node(&g, "QueryStage", 0));
    else semi = node(&g, "BroadcastHashJoin", 0);
    if (!semi || getenv("KT_DUMP")) dump("q6", text);
    assert_non_null(semi);
    assert_int_equal(metric(semi, "number of output rows"), in_rows);
    graph_free(&g);
    free(text);

    /* A cached table is named as Spark names it on the Storage tab, and a
     * query over it starts at an InMemoryTableScan. */
    kiln_df_free(kiln_sql(r.ss, "CACHE TABLE sc AS SELECT * FROM small"));
    pthread_mutex_lock(&r.s->lock);
    bool named = false;
    for (size_t i = 0; i < r.s->nrdds; i++)
        named |= r.s->rdds[i].name && strcmp(r.s->rdds[i].name, "In-memory table sc") == 0;
    pthread_mutex_unlock(&r.s->lock);
    assert_true(named);
    int64_t q7 = run(&r, "SELECT count(*) FROM sc WHERE k > 5");
    g = graph_of(&r, q7, &text);
    const json_node *mem = node(&g, "InMemoryTableScan", 0);
    if (!mem) dump("q7", text);
    assert_non_null(mem);
    assert_int_equal(metric(mem, "number of output rows"), NSMALL);
    graph_free(&g);
    free(text);

    /* The page: the graph drawn with its metrics, markup escaped. */
    app_ui *ui = NULL;
    kiln_conf *uc = kiln_conf_new();
    assert_int_equal(kiln_conf_set(uc, "kiln.ui.port", "0"), KILN_OK);
    assert_int_equal(app_ui_start(r.s, uc, &ui), KILN_OK);
    kiln_conf_free(uc);
    char p[256];
    snprintf(p, sizeof p, "/SQL/execution/?id=%lld", (long long)q4);
    kt_answer page = kt_http_get(app_ui_port(ui), p);
    assert_int_equal(page.status, 200);
    assert_non_null(strstr(page.body, "<div class=\"plan-graph\"><svg class=\"dag\""));
    assert_non_null(strstr(page.body, "number of output rows: "));
    assert_non_null(strstr(page.body, ">Union</text>"));
    assert_non_null(strstr(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(page.body, "<script>"));
    free(page.body);
    app_ui_stop(ui);

    /* The event log replays to the same answers. */
    char *live[4];
    int64_t ids[4] = {q1, q2, q3, q4};
    for (int i = 0; i < 4; i++) graph_free((graph[]){graph_of(&r, ids[i], &live[i])});
    kiln_session_free(r.ss);
    kiln_context_free(r.ctx);
    char *log = kt_path(logs, r.app);
    ui_store *h = ui_store_new(NULL);
    int64_t skipped = 0;
    char err[256] = "";
    assert_int_equal(ui_replay(log, h, &skipped, err, sizeof err), KILN_OK);
    assert_int_equal(skipped, 0);
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "/applications/%s/sql/%lld", r.app, (long long)ids[i]);
        char *again = rest(h, p);
        assert_string_equal(again, live[i]);
        free(again);
        free(live[i]);
    }
    ui_store_free(h);
    free(log);
    kiln_conf_free(conf);
    free(big_csv);
    free(small_csv);
    free(logs);
    kt_rm_rf(dir);
    free(dir);
}

static void local_mode(void **state)
{
    (void)state;
    check_metrics("local[2]");
}

static void local_cluster_mode(void **state)
{
    (void)state;
    check_metrics("local-cluster[2,1,256]");
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(local_mode),
        cmocka_unit_test(local_cluster_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
