/*
 * test_sql_window_sql.c - window functions end to end through kiln_sql
 * and the DataFrame API, against sqlite3's window functions on the same
 * random rows (nulls, ties, a skewed key, unicode strings, a one-row
 * partition, empty input, more shuffle partitions than keys so some tasks
 * are empty); median / percentile / percentile_approx against a
 * sequential reference; and Spark's errors for wrong windows, frames and
 * functions. Cases whose rows sqlite3 cannot give are skipped with a
 * message when /usr/bin/sqlite3 is absent. KT_MASTER runs it under
 * another master (CMake reruns it under local-cluster).
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt_rand.h"
#include "kt_rows.h"

#define NROWS 3000
#define NKEYS 23

/* id (unique), k (int, null sometimes, skewed to 7; key 99 has one row),
 * o (int with ties, null sometimes), v (bigint or null), d (double, exact
 * quarters, or null), s (string, unicode, or null). */
static struct row {
    int id;
    bool has_k, has_o, has_v, has_d, has_s;
    int k, o;
    int64_t v;
    double d;
    char s[16];
} rows[NROWS];
static char csv[256], sqlfile[256];
static kiln_context *ctx;
static kiln_session *S;
static bool have_sqlite;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static int setup(void **state)
{
    (void)state;
    snprintf(csv, sizeof csv, "/tmp/kiln-test-win-%d.csv", (int)getpid());
    snprintf(sqlfile, sizeof sqlfile, "/tmp/kiln-test-win-%d.sql", (int)getpid());
    FILE *f = fopen(csv, "w"), *q = fopen(sqlfile, "w");
    if (!f || !q) return -1;
    fprintf(f, "id,k,o,v,d,s\n");
    fprintf(q, "CREATE TABLE t(id INTEGER, k INTEGER, o INTEGER, v INTEGER, d REAL, s TEXT);\n"
               "BEGIN;\n");
    for (int i = 0; i < NROWS; i++) {
        struct row *r = &rows[i];
        r->id = i;
        r->has_k = rnd() % 20 != 0;
        r->k = i == 0 ? 99 : (int)(rnd() % 100 < 30 ? 7 : rnd() % NKEYS);
        if (i == 0) r->has_k = true;
        r->has_o = rnd() % 10 != 0;
        r->o = (int)(rnd() % 40);
        r->has_v = rnd() % 8 != 0;
        r->v = (int64_t)(rnd() % 2001) - 1000;
        r->has_d = rnd() % 8 != 0;
        r->d = (double)((int64_t)(rnd() % 801) - 400) / 4.0;
        r->has_s = rnd() % 9 != 0;
        snprintf(r->s, sizeof r->s, "%s%d", rnd() % 2 ? "é" : "s", (int)(rnd() % 30));
#define F(has, fmt, val) (has) ? fprintf(f, fmt, val) : 0
        fprintf(f, "%d,", r->id);
        F(r->has_k, "%d", r->k);
        fprintf(f, ",");
        F(r->has_o, "%d", r->o);
        fprintf(f, ",");
        F(r->has_v, "%lld", (long long)r->v);
        fprintf(f, ",");
        F(r->has_d, "%.2f", r->d);
        fprintf(f, ",");
        F(r->has_s, "%s", r->s);
        fprintf(f, "\n");
#undef F
        fprintf(q, "INSERT INTO t VALUES (%d, ", r->id);
        r->has_k ? fprintf(q, "%d, ", r->k) : fprintf(q, "NULL, ");
        r->has_o ? fprintf(q, "%d, ", r->o) : fprintf(q, "NULL, ");
        r->has_v ? fprintf(q, "%lld, ", (long long)r->v) : fprintf(q, "NULL, ");
        r->has_d ? fprintf(q, "%.2f, ", r->d) : fprintf(q, "NULL, ");
        r->has_s ? fprintf(q, "'%s');\n", r->s) : fprintf(q, "NULL);\n");
    }
    fprintf(q, "COMMIT;\n");
    fclose(f);
    fclose(q);
    have_sqlite = access("/usr/bin/sqlite3", X_OK) == 0;
    if (kt_sql_open(&ctx, &S)) return -1;
    /* More shuffle partitions than some queries have keys: empty tasks. */
    kiln_session_conf_set(S, "kiln.sql.shuffle.partitions", "5");
    kiln_reader *r = kiln_session_read(S);
    r = kiln_reader_option(r, "header", "true");
    r = kiln_reader_schema(r, "id INT, k INT, o INT, v BIGINT, d DOUBLE, s STRING");
    kiln_df *df = kiln_reader_csv(r, csv);
    if (!df || kiln_df_create_or_replace_temp_view(df, "t")) return -1;
    kiln_df_free(df);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    unlink(csv);
    unlink(sqlfile);
    return 0;
}

/* ---- Rows as comparable text ---------------------------------------------------------- */

/* A field in one spelling: integers as they are, other numbers %.9g. */
static void canon_field(const char *f, size_t len, kiln_buf *out)
{
    char tmp[128];
    if (len && len < sizeof tmp) {
        memcpy(tmp, f, len);
        tmp[len] = 0;
        bool intlike = true;
        for (size_t i = 0; i < len; i++)
            intlike &= (tmp[i] >= '0' && tmp[i] <= '9') || (i == 0 && tmp[i] == '-');
        char *end;
        double d = strtod(tmp, &end);
        if (!intlike && *end == 0 && end != tmp) {
            if (d == 0) d = 0; /* -0.0 */
            snprintf(tmp, sizeof tmp, "%.9g", d);
            kiln_buf_append(out, tmp, strlen(tmp));
            return;
        }
    }
    kiln_buf_append(out, f, len);
}

static void value_text(const kiln_value *v, kiln_buf *out)
{
    char tmp[64];
    switch (v->type) {
    case KILN_NULL:
        kiln_buf_append(out, "NULL", 4);
        break;
    case KILN_INT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
        kiln_buf_append(out, tmp, strlen(tmp));
        break;
    case KILN_DOUBLE:
        snprintf(tmp, sizeof tmp, "%.9g", v->u.d == 0 ? 0.0 : v->u.d);
        canon_field(tmp, strlen(tmp), out);
        break;
    case KILN_BOOL:
        kiln_buf_append(out, v->u.b ? "1" : "0", 1);
        break;
    case KILN_STR:
        kiln_buf_append(out, v->u.s, v->len);
        break;
    default:
        kiln_buf_append(out, "?", 1);
        break;
    }
}

/* The rows of kiln_sql(q), each as tab-separated text. */
static void kiln_rows(kiln_df *df, kt_lines *out, const char *what)
{
    if (!df) fail_msg("%s: %s", what, kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    kiln_value list;
    if (kiln_df_collect(df, a, &list)) fail_msg("%s: %s", what, kiln_last_error());
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t i = 0; i < list.len; i++) {
        b.len = 0;
        const kiln_value *t = &list.u.items[i];
        for (uint32_t c = 0; c < t->len; c++) {
            if (c) kiln_buf_append(&b, "\t", 1);
            value_text(&t->u.items[c], &b);
        }
        kiln_buf_append(&b, "", 1);
        kt_lines_add(out, (const char *)b.data);
    }
    kiln_buf_release(&b);
    kiln_arena_free(a);
    kiln_df_free(df);
}

/* The rows sqlite3 gives for q over the same table. */
static void sqlite_rows(const char *q, kt_lines *out)
{
    char qf[300];
    snprintf(qf, sizeof qf, "%s.q", sqlfile);
    FILE *f = fopen(qf, "w");
    assert_non_null(f);
    fprintf(f, ".mode tabs\n.nullvalue NULL\n%s;\n", q);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 :memory: -cmd '.read %s' < %s", sqlfile, qf);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    kiln_buf b;
    kiln_buf_init(&b);
    while ((n = getline(&line, &cap, p)) > 0) {
        if (line[n - 1] == '\n') line[--n] = 0;
        b.len = 0;
        const char *f0 = line;
        for (;;) {
            const char *tab = strchr(f0, '\t');
            size_t len = tab ? (size_t)(tab - f0) : strlen(f0);
            canon_field(f0, len, &b);
            if (!tab) break;
            kiln_buf_append(&b, "\t", 1);
            f0 = tab + 1;
        }
        kiln_buf_append(&b, "", 1);
        kt_lines_add(out, (const char *)b.data);
    }
    free(line);
    kiln_buf_release(&b);
    assert_int_equal(pclose(p), 0);
    unlink(qf);
}

static void expect_same(kt_lines *k, kt_lines *r, const char *q)
{
    kt_lines_sort(k);
    kt_lines_sort(r);
    if (k->n != r->n) fail_msg("%s: %d rows, sqlite3 %d", q, k->n, r->n);
    for (int i = 0; i < k->n; i++)
        if (strcmp(k->s[i], r->s[i]))
            fail_msg("%s:\n row %d kiln    [%s]\n        sqlite3 [%s]", q, i, k->s[i], r->s[i]);
}

/* kq through kiln_sql and sq (the same query in sqlite3's SQL) agree. */
static void check2(const char *kq, const char *sq)
{
    if (!have_sqlite) {
        printf("skipped (no /usr/bin/sqlite3): %s\n", kq);
        return;
    }
    kt_lines k = {0}, r = {0};
    kiln_rows(kiln_sql(S, kq), &k, kq);
    sqlite_rows(sq, &r);
    assert_true(r.n > 0 || strstr(kq, "1 = 0"));
    expect_same(&k, &r, kq);
    kt_lines_free(&k);
    kt_lines_free(&r);
}

static void check(const char *q)
{
    check2(q, q);
}

/* ---- Against sqlite3 --------------------------------------------------------------------- */

static void ranking(void **state)
{
    (void)state;
    check("SELECT id, k, o, row_number() OVER (PARTITION BY k ORDER BY o, id), "
          "rank() OVER (PARTITION BY k ORDER BY o), dense_rank() OVER (PARTITION BY k ORDER BY o), "
          "percent_rank() OVER (PARTITION BY k ORDER BY o), "
          "cume_dist() OVER (PARTITION BY k ORDER BY o), "
          "ntile(3) OVER (PARTITION BY k ORDER BY o, id), ntile(7) OVER (ORDER BY o DESC, id) "
          "FROM t");
    /* One partition, descending with nulls first, string keys. */
    check("SELECT id, rank() OVER (ORDER BY s DESC NULLS FIRST), "
          "dense_rank() OVER (ORDER BY d NULLS LAST), row_number() OVER (ORDER BY id DESC) FROM t");
    /* Partitions by expressions, several keys. */
    check("SELECT id, row_number() OVER (PARTITION BY k % 3, o IS NULL ORDER BY v + 1, id), "
          "rank() OVER (PARTITION BY s ORDER BY v DESC) FROM t");
}

static void offsets(void **state)
{
    (void)state;
    check("SELECT id, lag(v) OVER w, lead(v, 2, -1) OVER w, lag(s, 1, 'x') OVER w, "
          "lead(d, 0) OVER w, lag(v, 3) OVER w FROM t "
          "WINDOW w AS (PARTITION BY k ORDER BY o, id)");
    check("SELECT id, v - lag(v, 1, 0) OVER (ORDER BY id) FROM t");
}

static void default_frames(void **state)
{
    (void)state;
    check(
        "SELECT id, sum(v) OVER (PARTITION BY k ORDER BY o), count(v) OVER (PARTITION BY k ORDER "
        "BY o), avg(d) OVER (PARTITION BY k ORDER BY o), min(s) OVER (PARTITION BY k ORDER BY o), "
        "max(v) OVER (PARTITION BY k), count(*) OVER (), sum(d) OVER (), "
        "first_value(v) OVER (PARTITION BY k ORDER BY o, id), "
        "last_value(s) OVER (PARTITION BY k ORDER BY o) FROM t");
}

static void rows_frames(void **state)
{
    (void)state;
    check("SELECT id, sum(v) OVER (PARTITION BY k ORDER BY o, id ROWS BETWEEN 2 PRECEDING AND 1 "
          "FOLLOWING), min(v) OVER (PARTITION BY k ORDER BY o, id ROWS BETWEEN 3 PRECEDING AND "
          "CURRENT ROW), max(d) OVER (PARTITION BY k ORDER BY o, id ROWS BETWEEN CURRENT ROW AND "
          "UNBOUNDED FOLLOWING), first_value(v) OVER (PARTITION BY k ORDER BY o, id ROWS BETWEEN 1 "
          "PRECEDING AND 1 FOLLOWING), last_value(v) OVER (PARTITION BY k ORDER BY o, id ROWS "
          "BETWEEN 1 PRECEDING AND 1 FOLLOWING), nth_value(v, 2) OVER (PARTITION BY k ORDER BY o, "
          "id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), count(v) OVER (PARTITION "
          "BY k ORDER BY o, id ROWS BETWEEN 5 FOLLOWING AND 10 FOLLOWING), avg(v) OVER (ORDER BY "
          "id ROWS BETWEEN 4 PRECEDING AND 2 PRECEDING) FROM t");
    check("SELECT id, min(s) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 "
          "FOLLOWING), max(s) OVER (PARTITION BY k ORDER BY id ROWS UNBOUNDED PRECEDING) FROM t");
}

static void range_frames(void **state)
{
    (void)state;
    check("SELECT id, sum(v) OVER (PARTITION BY k ORDER BY o RANGE BETWEEN 3 PRECEDING AND 2 "
          "FOLLOWING), count(*) OVER (ORDER BY o DESC RANGE BETWEEN 5 PRECEDING AND CURRENT ROW), "
          "max(v) OVER (PARTITION BY k ORDER BY o RANGE BETWEEN CURRENT ROW AND UNBOUNDED "
          "FOLLOWING), min(d) OVER (PARTITION BY k ORDER BY d RANGE BETWEEN 10 PRECEDING AND 10 "
          "FOLLOWING) FROM t");
}

static void over_aggregates_and_qualify(void **state)
{
    (void)state;
    check("SELECT k, sum(v), rank() OVER (ORDER BY sum(v) DESC), "
          "sum(count(*)) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
          "FROM t GROUP BY k");
    /* The H2O benchmark's q8: the two largest v per key. */
    check2("SELECT k, v FROM t WHERE v IS NOT NULL "
           "QUALIFY row_number() OVER (PARTITION BY k ORDER BY v DESC, id) <= 2",
           "SELECT k, v FROM (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v DESC, id) "
           "rn FROM t WHERE v IS NOT NULL) WHERE rn <= 2");
    /* Window results in expressions, ORDER BY and a DISTINCT. */
    check("SELECT DISTINCT k, max(v) OVER (PARTITION BY k) - min(v) OVER (PARTITION BY k) FROM t");
    check2("SELECT id, rank() OVER (ORDER BY o) r FROM t ORDER BY r DESC, id LIMIT 25",
           "SELECT id, rank() OVER (ORDER BY o) r FROM t ORDER BY r DESC, id LIMIT 25");
}

static void empty_and_small(void **state)
{
    (void)state;
    check("SELECT id, row_number() OVER (PARTITION BY k ORDER BY id), sum(v) OVER () FROM t "
          "WHERE 1 = 0");
    check("SELECT id, row_number() OVER (PARTITION BY k ORDER BY id), lag(v) OVER (ORDER BY id), "
          "sum(v) OVER (PARTITION BY k) FROM t WHERE k = 99 OR id < 3");
}

/* ---- The DataFrame API ------------------------------------------------------------------ */

static kiln_col *C(const char *name)
{
    return kiln_fn_col(S, name);
}

static void dataframe_api(void **state)
{
    (void)state;
    if (!have_sqlite) {
        printf("skipped (no /usr/bin/sqlite3): DataFrame windows\n");
        return;
    }
    kiln_df *t = kiln_sql(S, "SELECT * FROM t");
    assert_non_null(t);
    kiln_window *w = kiln_window_order_by(kiln_window_partition_by(kiln_window_new(S),
                                                                   (kiln_col *[]){C("k")}, 1),
                                          (kiln_col *[]){kiln_col_desc(C("v")), C("id")}, 2);
    kiln_df *nn = kiln_df_filter(t, kiln_col_is_not_null(C("v")));
    kiln_df *ranked = kiln_df_with_column(nn, "rn", kiln_col_over(kiln_fn_row_number(S), w));
    kiln_df *top = kiln_df_select(kiln_df_filter(ranked,
                                                 kiln_col_op(C("rn"), "<=", kiln_lit_int(S, 2))),
                                  (kiln_col *[]){C("k"), C("v"), C("rn")}, 3);
    kt_lines k = {0}, r = {0};
    kiln_rows(top, &k, "DataFrame top 2");
    sqlite_rows("SELECT k, v, rn FROM (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v "
                "DESC, id) rn FROM t WHERE v IS NOT NULL) WHERE rn <= 2",
                &r);
    expect_same(&k, &r, "DataFrame top 2");
    kt_lines_free(&k);
    kt_lines_free(&r);

    kiln_window *byid = kiln_window_order_by(kiln_window_partition_by(kiln_window_new(S),
                                                                      (kiln_col *[]){C("k")}, 1),
                                             (kiln_col *[]){C("id")}, 1);
    kiln_df *sel = kiln_df_select(
        t,
        (kiln_col *[]){C("id"), kiln_col_over(kiln_fn_lag(C("v"), 1, NULL), byid),
                       kiln_col_over(kiln_fn_lead(C("v"), 2, kiln_lit_int(S, 0)), byid),
                       kiln_col_over(kiln_fn_sum(C("v")), kiln_window_rows_between(byid, -1, 1)),
                       kiln_col_over(kiln_fn_rank(S), byid),
                       kiln_col_over(kiln_fn_dense_rank(S), byid),
                       kiln_col_over(kiln_fn_count(C("v")),
                                     kiln_window_rows_between(byid, KILN_WINDOW_UNBOUNDED_PRECEDING,
                                                              KILN_WINDOW_CURRENT_ROW)),
                       kiln_col_over(kiln_fn_max(C("o")), kiln_window_range_between(byid, -5, 5)),
                       kiln_col_over(kiln_fn_ntile(S, 4), byid),
                       kiln_col_over(kiln_fn_min(C("v")), kiln_window_new(S))},
        10);
    kiln_rows(sel, &k, "DataFrame select");
    sqlite_rows(
        "SELECT id, lag(v, 1, NULL) OVER w, lead(v, 2, 0) OVER w, sum(v) OVER (w ROWS "
        "BETWEEN 1 PRECEDING AND 1 FOLLOWING), rank() OVER w, dense_rank() OVER w, count(v) "
        "OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), max(o) OVER (w RANGE "
        "BETWEEN 5 PRECEDING AND 5 FOLLOWING), ntile(4) OVER w, min(v) OVER () FROM t "
        "WINDOW w AS (PARTITION BY k ORDER BY id)",
        &r);
    expect_same(&k, &r, "DataFrame select");
    kt_lines_free(&k);
    kt_lines_free(&r);
    kiln_df_free(t);
    kiln_df_free(nn);
    kiln_df_free(ranked);
}

/* ---- Percentiles against a sequential reference --------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double ref_percentile(const int64_t *x, int n, double p)
{
    double pos = p * (n - 1);
    int lo = (int)floor(pos), hi = (int)ceil(pos);
    return lo == hi ? (double)x[lo] : (hi - pos) * (double)x[lo] + (pos - lo) * (double)x[hi];
}

static void percentiles(void **state)
{
    (void)state;
    /* Per key (null key too): median, percentile 0.3, percentile_approx 0.7, and over windows. */
    kiln_df *df = kiln_sql(S, "SELECT k, median(v), percentile(v, 0.3), percentile_approx(v, 0.7), "
                              "approx_percentile(v, 0, 1000), percentile(v, 1), count(v) "
                              "FROM t GROUP BY k");
    assert_non_null(df);
    kiln_arena *a = kiln_arena_new();
    kiln_value list;
    assert_int_equal(kiln_df_collect(df, a, &list), KILN_OK);
    int64_t *x = malloc(sizeof *x * NROWS);
    int groups = 0;
    for (uint32_t i = 0; i < list.len; i++) {
        const kiln_value *t = &list.u.items[i];
        bool null_key = t->u.items[0].type == KILN_NULL;
        int key = null_key ? 0 : (int)t->u.items[0].u.i;
        int n = 0;
        for (int j = 0; j < NROWS; j++)
            if (rows[j].has_v && rows[j].has_k == !null_key && (null_key || rows[j].k == key))
                x[n++] = rows[j].v;
        qsort(x, (size_t)n, sizeof *x, cmp_i64);
        assert_int_equal(t->u.items[6].u.i, n);
        if (!n) {
            for (int c = 1; c <= 5; c++) assert_int_equal(t->u.items[c].type, KILN_NULL);
            continue;
        }
        assert_float_equal(t->u.items[1].u.d, ref_percentile(x, n, 0.5), 1e-9);
        assert_float_equal(t->u.items[2].u.d, ref_percentile(x, n, 0.3), 1e-9);
        int r = (int)ceil(0.7 * n);
        assert_int_equal(t->u.items[3].u.i, x[r ? r - 1 : 0]);
        assert_int_equal(t->u.items[4].u.i, x[0]);
        assert_float_equal(t->u.items[5].u.d, (double)x[n - 1], 1e-9);
        groups++;
    }
    assert_true(groups >= NKEYS);
    kiln_df_free(df);

    /* Over a window: the whole partition and a growing frame. */
    df = kiln_sql(S, "SELECT id, k, median(v) OVER (PARTITION BY k), "
                     "percentile(v, 0.25) OVER (PARTITION BY k ORDER BY id) FROM t");
    assert_non_null(df);
    assert_int_equal(kiln_df_collect(df, a, &list), KILN_OK);
    assert_int_equal(list.len, NROWS);
    int checked = 0;
    for (uint32_t i = 0; i < list.len; i += 7) {
        const kiln_value *t = &list.u.items[i];
        int id = (int)t->u.items[0].u.i;
        const struct row *me = &rows[id];
        int nw = 0, ng = 0;
        int64_t *g = malloc(sizeof *g * NROWS);
        for (int j = 0; j < NROWS; j++) {
            bool same = rows[j].has_k == me->has_k && (!me->has_k || rows[j].k == me->k);
            if (!same || !rows[j].has_v) continue;
            x[nw++] = rows[j].v;
            if (j <= id) g[ng++] = rows[j].v;
        }
        qsort(x, (size_t)nw, sizeof *x, cmp_i64);
        qsort(g, (size_t)ng, sizeof *g, cmp_i64);
        if (nw) assert_float_equal(t->u.items[2].u.d, ref_percentile(x, nw, 0.5), 1e-9);
        else assert_int_equal(t->u.items[2].type, KILN_NULL);
        if (ng) assert_float_equal(t->u.items[3].u.d, ref_percentile(g, ng, 0.25), 1e-9);
        else assert_int_equal(t->u.items[3].type, KILN_NULL);
        free(g);
        checked++;
    }
    assert_true(checked > 100);
    kiln_df_free(df);

    /* DataFrame API: groupBy().agg(median). */
    kiln_df *t = kiln_sql(S, "SELECT * FROM t WHERE k = 7");
    kiln_df *m = kiln_grouped_agg(kiln_df_group_by(t, NULL, 0),
                                  (kiln_col *[]){kiln_fn_median(C("v")),
                                                 kiln_fn_percentile(C("v"), 0.9),
                                                 kiln_fn_percentile_approx(C("v"), 0.5, 100)},
                                  3);
    assert_non_null(m);
    assert_int_equal(kiln_df_collect(m, a, &list), KILN_OK);
    int n = 0;
    for (int j = 0; j < NROWS; j++)
        if (rows[j].has_k && rows[j].k == 7 && rows[j].has_v) x[n++] = rows[j].v;
    qsort(x, (size_t)n, sizeof *x, cmp_i64);
    assert_int_equal(list.len, 1);
    assert_float_equal(list.u.items[0].u.items[0].u.d, ref_percentile(x, n, 0.5), 1e-9);
    assert_float_equal(list.u.items[0].u.items[1].u.d, ref_percentile(x, n, 0.9), 1e-9);
    assert_int_equal(list.u.items[0].u.items[2].u.i, x[(int)ceil(0.5 * n) - 1]);
    kiln_df_free(m);
    kiln_df_free(t);
    free(x);
    kiln_arena_free(a);
}

/* ---- Errors ---------------------------------------------------------------------------------- */

static void errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"SELECT row_number() FROM t", "WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE"},
        {"SELECT rank() OVER (PARTITION BY k) FROM t", "requires window to be ordered"},
        {"SELECT lag(v) OVER (PARTITION BY k) FROM t", "_LEGACY_ERROR_TEMP_1037"},
        {"SELECT sum(v) OVER (ORDER BY o ROWS BETWEEN 1 FOLLOWING AND 1 PRECEDING) FROM t",
         "SPECIFIED_WINDOW_FRAME_WRONG_COMPARISON"},
        {"SELECT sum(v) OVER (ORDER BY o, id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
         "RANGE_FRAME_MULTI_ORDER"},
        {"SELECT sum(v) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
         "RANGE_FRAME_WITHOUT_ORDER"},
        {"SELECT sum(v) OVER (ORDER BY o ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) "
         "FROM t",
         "SPECIFIED_WINDOW_FRAME_INVALID_BOUND"},
        {"SELECT sum(v) OVER (ORDER BY o ROWS BETWEEN 1.5 PRECEDING AND CURRENT ROW) FROM t",
         "SPECIFIED_WINDOW_FRAME_UNACCEPTED_TYPE"},
        {"SELECT sum(v) OVER (ORDER BY o ROWS BETWEEN o PRECEDING AND CURRENT ROW) FROM t",
         "not a constant"},
        {"SELECT sum(v) OVER w FROM t", "MISSING_WINDOW_SPECIFICATION"},
        {"SELECT sum(v) OVER (w2 ORDER BY o) FROM t WINDOW w AS (PARTITION BY k)",
         "MISSING_WINDOW_SPECIFICATION"},
        {"SELECT * FROM t WHERE row_number() OVER (ORDER BY o) = 1",
         "UNSUPPORTED_EXPR_FOR_OPERATOR"},
        {"SELECT k FROM t GROUP BY k HAVING rank() OVER (ORDER BY k) = 1",
         "UNSUPPORTED_EXPR_FOR_OPERATOR"},
        {"SELECT sum(row_number() OVER (ORDER BY o)) FROM t", "UNSUPPORTED_EXPR_FOR_OPERATOR"},
        {"SELECT rank() OVER (ORDER BY rank() OVER (ORDER BY o)) FROM t",
         "UNSUPPORTED_EXPR_FOR_OPERATOR"},
        {"SELECT count(DISTINCT v) OVER () FROM t", "DISTINCT_WINDOW_FUNCTION_UNSUPPORTED"},
        {"SELECT ntile(0) OVER (ORDER BY o) FROM t", "VALUE_OUT_OF_RANGE"},
        {"SELECT ntile(o) OVER (ORDER BY o) FROM t", "must be a constant integer"},
        {"SELECT row_number(1) OVER (ORDER BY o) FROM t", "WRONG_NUM_ARGS"},
        {"SELECT row_number() OVER (ORDER BY o ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
         "_LEGACY_ERROR_TEMP_1036"},
        {"SELECT median(v) OVER (ORDER BY o ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t",
         "UNSUPPORTED_FEATURE"},
        {"SELECT sum(s) OVER () FROM t", "Cannot resolve"},
        {"SELECT percentile(s, 0.5) FROM t", "UNEXPECTED_INPUT_TYPE"},
        {"SELECT upper(s) OVER () FROM t", "is not a window function"},
        {"SELECT nosuch(v) OVER () FROM t", "not a window function"},
        {"SELECT sum(v) OVER (ORDER BY o ROWS BETWEEN) FROM t", "PARSE_SYNTAX_ERROR"},
        {"SELECT sum(v) OVER (ORDER BY o ROWS 1) FROM t", "PARSE_SYNTAX_ERROR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_df *df = kiln_sql(S, cases[i][0]);
        if (df) {
            kiln_df_free(df);
            fail_msg("no error for %s", cases[i][0]);
        }
        const char *m = kiln_last_error();
        if (!strstr(m, cases[i][1]))
            fail_msg("%s:\n  %s\n  (wanted %s)", cases[i][0], m, cases[i][1]);
        /* Analysis errors point into the statement. */
        if (!strstr(m, "line 1 pos")) fail_msg("%s: no position in %s", cases[i][0], m);
    }
    /* A percentage out of range fails the query when it runs. */
    kiln_df *df = kiln_sql(S, "SELECT percentile(v, 1.5) FROM t");
    assert_non_null(df);
    int64_t n;
    assert_int_not_equal(kiln_df_count(df, &n), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "VALUE_OUT_OF_RANGE"));
    kiln_df_free(df);
}

static void explain_shows_windows(void **state)
{
    (void)state;
    kiln_df *df = kiln_sql(S, "SELECT id, rank() OVER (PARTITION BY k ORDER BY o DESC), "
                              "sum(v) OVER (PARTITION BY k ORDER BY o DESC ROWS BETWEEN 1 "
                              "PRECEDING AND CURRENT ROW), lag(v) OVER (ORDER BY id) FROM t");
    assert_non_null(df);
    /* Columns are named as Spark names them, frames spelled out. */
    assert_string_equal(kiln_df_column_name(df, 1),
                        "rank() OVER (PARTITION BY k ORDER BY o DESC NULLS LAST ROWS BETWEEN "
                        "UNBOUNDED PRECEDING AND CURRENT ROW)");
    assert_string_equal(kiln_df_column_name(df, 2),
                        "sum(v) OVER (PARTITION BY k ORDER BY o DESC NULLS LAST ROWS BETWEEN 1 "
                        "PRECEDING AND CURRENT ROW)");
    assert_string_equal(kiln_df_column_name(df, 3),
                        "lag(v, 1, NULL) OVER (ORDER BY id ASC NULLS FIRST ROWS BETWEEN -1 "
                        "FOLLOWING AND -1 FOLLOWING)");
    char *e = kiln_df_explain_string(df);
    assert_non_null(e);
    /* Two specifications: two Window nodes, the frame and the keys shown. */
    const char *w1 = strstr(e, "Window [");
    assert_non_null(w1);
    assert_non_null(strstr(w1 + 1, "Window ["));
    assert_non_null(strstr(e, "specifiedwindowframe(RowFrame, -1, currentrow$())"));
    assert_non_null(strstr(e, "[k], [o DESC NULLS LAST]"));
    free(e);
    kiln_df_free(df);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranking),
        cmocka_unit_test(offsets),
        cmocka_unit_test(default_frames),
        cmocka_unit_test(rows_frames),
        cmocka_unit_test(range_frames),
        cmocka_unit_test(over_aggregates_and_qualify),
        cmocka_unit_test(empty_and_small),
        cmocka_unit_test(dataframe_api),
        cmocka_unit_test(percentiles),
        cmocka_unit_test(errors),
        cmocka_unit_test(explain_shows_windows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
