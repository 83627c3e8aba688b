/*
 * test_sql_df_write.c - DataFrameWriter and the SQL statements that write
 * (include/kiln/sql.h, src/sql/df_write.c, stmt_write.c): random rows with
 * nulls and unicode (made with createDataFrame over 4 partitions, one of
 * them empty) written as CSV, JSON and text, read back and compared with
 * the rows written (CSV also by sqlite3 when present); Spark's file
 * layout; the save modes, including failing jobs and refused overwrites
 * that must leave the previous output intact; INSERT INTO / OVERWRITE and
 * CREATE TABLE ... USING ... AS. KT_MASTER runs it under another master
 * (CMake reruns it under local-cluster).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_rand.h"

#define NROWS 3000

static struct row {
    int64_t k;
    bool has_v, has_d, has_s;
    int64_t v;
    double d;
    char s[40];
} rows[NROWS];
static char dir[256];
static kiln_context *ctx;
static kiln_session *S;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static void make_rows(void)
{
    static const char *const pieces[] = {"a", "é", "日本", ",", "\"", " x", "'", "ß", "z9"};
    for (int i = 0; i < NROWS; i++) {
        struct row *r = &rows[i];
        r->k = i;
        r->has_v = rnd() % 7 != 0;
        r->v = (int64_t)(rnd() % 2000001) - 1000000;
        if (i == 1) r->v = INT64_MAX, r->has_v = true;
        if (i == 2) r->v = INT64_MIN, r->has_v = true;
        r->has_d = rnd() % 5 != 0;
        r->d = (double)((int64_t)(rnd() % 100000) - 50000) / 64.0;
        r->has_s = rnd() % 6 != 0;
        r->s[0] = 0;
        int np = 1 + (int)(rnd() % 4);
        for (int p = 0; p < np; p++) strcat(r->s, pieces[rnd() % 9]);
    }
}

static int setup(void **state)
{
    (void)state;
    make_rows();
    snprintf(dir, sizeof dir, "/tmp/kiln-test-dfw-%d", (int)getpid());
    mkdir(dir, 0777);
    ctx = kt_context_new("local[2]");
    return kiln_session_new(ctx, &S);
}

static int teardown(void **state)
{
    (void)state;
    kiln_session_free(S);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    return 0;
}

static const char *P(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* rows[from..to) as a DataFrame over 4 partitions (the last one empty). */
static kiln_df *make_df(int from, int to)
{
    kiln_arena *a = kiln_arena_new();
    int n = to - from;
    kiln_value *vals = kiln_arena_alloc(a, sizeof *vals * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const struct row *r = &rows[from + i];
        kiln_value it[4] = {kiln_int(r->k), r->has_v ? kiln_int(r->v) : kiln_null(),
                            r->has_d ? kiln_double(r->d) : kiln_null(),
                            r->has_s ? kiln_str_new(a, r->s, strlen(r->s)) : kiln_null()};
        vals[i] = kiln_tuple_new(a, it, 4);
    }
    /* 3 slices of data and an empty RDD: 4 partitions, one empty. */
    kiln_rdd *r1 = kiln_parallelize(ctx, vals, (size_t)n, 3);
    kiln_rdd *r2 = kiln_parallelize(ctx, vals, 0, 1);
    kiln_rdd *u = kiln_rdd_union(r1, r2);
    kiln_df *df = kiln_session_create_data_frame(S, u, "k BIGINT, v BIGINT, d DOUBLE, s STRING");
    kiln_rdd_free(r1);
    kiln_rdd_free(r2);
    kiln_rdd_free(u);
    kiln_arena_free(a);
    assert_non_null(df);
    return df;
}

/* r's string as CSV gives it back: Spark's writer trims leading and
 * trailing blanks by default (ignoreLeading/TrailingWhiteSpace). */
static const char *csv_str(const struct row *r)
{
    const char *p = r->s;
    while (*p == ' ') p++;
    return p;
}

/* Checks that df (columns k, v, d, s in any order of rows) holds
 * rows[from..to); trim: strings as CSV writes them. */
static void check_rows_as(kiln_df *df, int from, int to, bool trim)
{
    assert_non_null(df);
    kiln_col *o = kiln_col_asc(kiln_fn_col(S, "k"));
    kiln_df *sorted = kiln_df_select_expr(kiln_df_order_by(df, &o, 1),
                                          (const char *[]){"k", "v", "d", "s"}, 4);
    if (!sorted) fail_msg("%d..%d: %s", from, to, kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    kiln_value out;
    assert_int_equal(kiln_df_collect(sorted, a, &out), KILN_OK);
    assert_int_equal(out.len, to - from);
    for (int i = 0; i < to - from; i++) {
        const kiln_value *it = out.u.items[i].u.items;
        const struct row *r = &rows[from + i];
        assert_int_equal(it[0].u.i, r->k);
        if (r->has_v) {
            assert_int_equal(it[1].type, KILN_INT);
            assert_true(it[1].u.i == r->v);
        } else {
            assert_int_equal(it[1].type, KILN_NULL);
        }
        if (r->has_d) {
            assert_int_equal(it[2].type, KILN_DOUBLE);
            assert_true(it[2].u.d == r->d);
        } else {
            assert_int_equal(it[2].type, KILN_NULL);
        }
        if (r->has_s) {
            const char *want = trim ? csv_str(r) : r->s;
            assert_int_equal(it[3].type, KILN_STR);
            assert_int_equal(it[3].len, strlen(want));
            assert_memory_equal(it[3].u.s, want, it[3].len);
        } else {
            assert_int_equal(it[3].type, KILN_NULL);
        }
    }
    kiln_arena_free(a);
    kiln_df_free(sorted);
}

static void check_rows(kiln_df *df, int from, int to)
{
    check_rows_as(df, from, to, false);
}

static void check_csv_rows(kiln_df *df, int from, int to)
{
    check_rows_as(df, from, to, true);
}

static kiln_df *read_back(const char *format, const char *path)
{
    kiln_reader *r = kiln_reader_schema(kiln_session_read(S),
                                        "k BIGINT, v BIGINT, d DOUBLE, s STRING");
    if (strcmp(format, "csv") == 0) r = kiln_reader_option(r, "header", "true");
    return kiln_reader_load(kiln_reader_format(r, format), path);
}

/* Every file under path with its size and bytes, sorted: to tell whether
 * an output changed. */
static char *listing(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "cd %s 2>/dev/null && find . -type f | LC_ALL=C sort | while read f; do echo \"$f\"; "
             "cksum < \"$f\"; done",
             path);
    FILE *p = popen(cmd, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, p);
    buf[n] = 0;
    pclose(p);
    return buf;
}

/* Names in dir that are not the outputs the test made (staging leftovers). */
static int leftovers(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, "-kiln-")) n++;
    closedir(d);
    return n;
}

static void write_csv_reads_back(void **state)
{
    (void)state;
    kiln_df *df = make_df(0, NROWS);
    /* RFC 4180 quotes ("" inside), which sqlite3 reads (Spark's default
     * escape is a backslash). */
    kiln_writer *w = kiln_writer_option(kiln_df_write(df), "header", "true");
    assert_int_equal(kiln_writer_csv(kiln_writer_option(w, "escape", "\""), P("csv1")), KILN_OK);
    /* Spark's layout: part-NNNNN-<uuid>-c000.csv files and _SUCCESS. */
    DIR *d = opendir(P("csv1"));
    assert_non_null(d);
    int parts = 0, success = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (strcmp(e->d_name, "_SUCCESS") == 0) {
            success++;
            continue;
        }
        unsigned p;
        char uuid[64];
        assert_int_equal(sscanf(e->d_name, "part-%5u-%36[0-9a-f-]-c000.csv", &p, uuid), 2);
        assert_int_equal(strlen(e->d_name), strlen("part-00000--c000.csv") + 36);
        parts++;
    }
    closedir(d);
    assert_int_equal(success, 1);
    assert_int_equal(parts, 3); /* the empty partition writes nothing */
    assert_int_equal(leftovers(), 0);
    kiln_df *back = kiln_reader_csv(
        kiln_reader_option(
            kiln_reader_option(kiln_reader_schema(kiln_session_read(S),
                                                  "k BIGINT, v BIGINT, d DOUBLE, s STRING"),
                               "header", "true"),
            "escape", "\""),
        P("csv1"));
    check_csv_rows(back, 0, NROWS);
    kiln_df_free(back);

    /* sqlite3 reads the same rows: count, non-null v, their sum and a string length. */
    if (access("/usr/bin/sqlite3", X_OK) != 0) {
        printf("sqlite3 absent: CSV not checked by sqlite3\n");
    } else {
        char cmd[1200];
        snprintf(cmd, sizeof cmd,
                 "cd %s && (echo 'CREATE TABLE t(k INTEGER, v TEXT, d TEXT, s TEXT);'; "
                 "echo '.mode csv'; for f in part-*; do echo \".import --skip 1 $f t\"; done; "
                 "echo \"SELECT count(*), count(NULLIF(v,'')), sum(CAST(NULLIF(v,'') AS INTEGER) "
                 "%% 1000), sum(length(s)) FROM t;\") | /usr/bin/sqlite3 :memory:",
                 P("csv1"));
        FILE *p = popen(cmd, "r");
        long long c = -1, cv = -1, sv = -1, ls = -1;
        assert_int_equal(fscanf(p, "%lld,%lld,%lld,%lld", &c, &cv, &sv, &ls), 4);
        pclose(p);
        long long rc = 0, rcv = 0, rsv = 0, rls = 0;
        for (int i = 0; i < NROWS; i++) {
            rc++;
            if (rows[i].has_v) rcv++, rsv += rows[i].v % 1000;
            if (rows[i].has_s) {
                /* sqlite counts characters */
                for (const unsigned char *q = (const unsigned char *)csv_str(&rows[i]); *q; q++)
                    rls += (*q & 0xC0) != 0x80;
            }
        }
        assert_int_equal(c, rc);
        assert_int_equal(cv, rcv);
        assert_int_equal(sv, rsv);
        assert_int_equal(ls, rls);
    }
    kiln_df_free(df);
}

static void write_json_and_text(void **state)
{
    (void)state;
    kiln_df *df = make_df(0, NROWS);
    assert_int_equal(kiln_writer_json(kiln_writer_option(kiln_df_write(df), "compression", "gzip"),
                                      P("json1")),
                     KILN_OK);
    kiln_df *back = read_back("json", P("json1"));
    check_rows(back, 0, NROWS);
    kiln_df_free(back);

    /* text: one string column; the lines come back. */
    kiln_df *t = kiln_df_select_expr(df, (const char *[]){"concat_ws('|', k, s) AS value"}, 1);
    assert_int_equal(kiln_writer_text(kiln_df_write(t), P("text1")), KILN_OK);
    kiln_df *tb = kiln_reader_text(kiln_session_read(S), P("text1"));
    int64_t n = 0;
    assert_int_equal(kiln_df_count(tb, &n), KILN_OK);
    assert_int_equal(n, NROWS);
    /* every line is k|s (k alone when s is null: concat_ws skips nulls) */
    kiln_arena *a = kiln_arena_new();
    kiln_value lines;
    assert_int_equal(kiln_df_collect(tb, a, &lines), KILN_OK);
    static bool seen[NROWS];
    memset(seen, 0, sizeof seen);
    for (uint32_t i = 0; i < lines.len; i++) {
        const kiln_value *v = &lines.u.items[i].u.items[0];
        char line[128];
        snprintf(line, sizeof line, "%.*s", (int)v->len, v->u.s);
        long k = strtol(line, NULL, 10);
        assert_true(k >= 0 && k < NROWS && !seen[k]);
        seen[k] = true;
        char want[128];
        if (rows[k].has_s) snprintf(want, sizeof want, "%ld|%s", k, rows[k].s);
        else snprintf(want, sizeof want, "%ld", k);
        assert_string_equal(line, want);
    }
    kiln_arena_free(a);
    /* two columns: refused before anything is written */
    assert_int_equal(kiln_writer_text(kiln_df_write(df), P("text2")), KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "single column"));
    assert_int_not_equal(access(P("text2"), F_OK), 0);
    kiln_df_free(tb);
    kiln_df_free(t);
    kiln_df_free(df);
}

static void empty_output_has_one_file(void **state)
{
    (void)state;
    kiln_df *df = make_df(0, NROWS);
    kiln_df *none = kiln_df_where(df, "k < 0");
    assert_int_equal(kiln_writer_csv(kiln_writer_option(kiln_df_write(none), "header", "true"),
                                     P("empty")),
                     KILN_OK);
    char *l = listing(P("empty"));
    assert_non_null(strstr(l, "_SUCCESS"));
    assert_non_null(strstr(l, "part-00000-"));
    assert_null(strstr(l, "part-00001-"));
    free(l);
    kiln_df *back = read_back("csv", P("empty"));
    int64_t n = -1;
    assert_int_equal(kiln_df_count(back, &n), KILN_OK);
    assert_int_equal(n, 0);
    kiln_df_free(back);
    kiln_df_free(none);
    kiln_df_free(df);
}

static void save_modes(void **state)
{
    (void)state;
    kiln_df *a = make_df(0, 1000), *b = make_df(1000, 1500);
    const char *out = P("modes");
    assert_int_equal(kiln_writer_save(kiln_writer_format(kiln_df_write(a), "json"), out), KILN_OK);
    char *before = listing(out);
    /* error (the default) and errorifexists: refused, untouched */
    assert_int_equal(kiln_writer_save(kiln_writer_format(kiln_df_write(b), "json"), out),
                     KILN_EEXIST);
    assert_non_null(strstr(kiln_last_error(), "PATH_ALREADY_EXISTS"));
    assert_int_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(b), "errorifexists"), out),
                     KILN_EEXIST);
    /* ignore: nothing happens */
    assert_int_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(b), "ignore"), out), KILN_OK);
    char *after = listing(out);
    assert_string_equal(before, after);
    free(after);
    /* append: both sets of rows */
    assert_int_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(b), "append"), out), KILN_OK);
    kiln_df *back = read_back("json", out);
    check_rows(back, 0, 1500);
    kiln_df_free(back);
    free(before);
    before = listing(out);

    /* A job that fails (ANSI: a bad cast in some row) leaves the output as
     * it was, in overwrite and in append mode. */
    kiln_df *bad = kiln_df_select_expr(
        b,
        (const char *[]){"k", "CASE WHEN k = 1234 THEN CAST('x' AS BIGINT) ELSE v END AS v", "d",
                         "s"},
        4);
    assert_non_null(bad);
    assert_int_not_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(bad), "overwrite"), out),
                         KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "CAST_INVALID_INPUT"));
    after = listing(out);
    assert_string_equal(before, after);
    free(after);
    assert_int_not_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(bad), "append"), out),
                         KILN_OK);
    after = listing(out);
    assert_string_equal(before, after);
    free(after);
    assert_int_equal(leftovers(), 0);

    /* Overwriting what the DataFrame reads is refused. */
    kiln_df *self = read_back("json", out);
    assert_int_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(self), "overwrite"), out),
                     KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "UNSUPPORTED_OVERWRITE.PATH"));
    after = listing(out);
    assert_string_equal(before, after);
    free(after);
    /* Overwrite with other rows works. */
    assert_int_equal(kiln_writer_json(kiln_writer_mode(kiln_df_write(b), "overwrite"), out),
                     KILN_OK);
    back = read_back("json", out);
    check_rows(back, 1000, 1500);
    kiln_df_free(back);
    kiln_df_free(self);

    /* Bad modes, formats and options fail before anything is written. */
    assert_null(kiln_writer_mode(kiln_df_write(b), "sometimes"));
    assert_non_null(strstr(kiln_last_error(), "INVALID_SAVE_MODE"));
    assert_int_equal(kiln_writer_save(kiln_writer_format(kiln_df_write(b), "avro"), P("avro")),
                     KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "DATA_SOURCE_NOT_FOUND"));
    assert_int_not_equal(kiln_writer_csv(kiln_writer_option(kiln_df_write(b), "compression", "lz4"),
                                         P("lz4")),
                         KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "compression"));
    assert_int_not_equal(access(P("pq"), F_OK), 0);
    assert_int_not_equal(access(P("lz4"), F_OK), 0);
    assert_int_equal(leftovers(), 0);
    free(before);
    kiln_df_free(bad);
    kiln_df_free(a);
    kiln_df_free(b);
}

static void sql_insert_and_ctas(void **state)
{
    (void)state;
    kiln_df *df = make_df(0, NROWS);
    assert_int_equal(kiln_df_create_or_replace_temp_view(df, "src"), KILN_OK);
    char q[1024];
    snprintf(q, sizeof q,
             "CREATE TABLE out1 USING csv OPTIONS (path '%s', header 'true') AS SELECT * FROM src "
             "WHERE k < 1000",
             P("ctas"));
    assert_non_null(kiln_sql(S, q));
    check_csv_rows(kiln_session_table(S, "out1"), 0, 1000);
    /* and the files are there for any reader */
    kiln_df *files = read_back("csv", P("ctas"));
    check_csv_rows(files, 0, 1000);
    kiln_df_free(files);
    /* CTAS over an existing path fails; the table name must be new */
    assert_null(kiln_sql(S, q));
    assert_non_null(strstr(kiln_last_error(), "already exists"));

    assert_non_null(kiln_sql(S, "INSERT INTO out1 SELECT * FROM src WHERE k >= 1000 AND k < 2000"));
    check_csv_rows(kiln_session_table(S, "out1"), 0, 2000);
    assert_non_null(kiln_sql(S, "INSERT OVERWRITE TABLE out1 SELECT * FROM src WHERE k >= 2000"));
    check_csv_rows(kiln_session_table(S, "out1"), 2000, NROWS);
    /* reading itself: Spark refuses */
    assert_null(kiln_sql(S, "INSERT OVERWRITE out1 SELECT * FROM out1"));
    assert_non_null(strstr(kiln_last_error(), "UNSUPPORTED_OVERWRITE"));
    check_csv_rows(kiln_session_table(S, "out1"), 2000, NROWS);

    /* An in-memory table: rows appended, by position or by listed names
     * (others null), cast to the table's types. */
    assert_non_null(kiln_sql(S, "CREATE TABLE mem AS SELECT k, v, d, s FROM src WHERE k < 10"));
    assert_non_null(kiln_sql(S, "INSERT INTO mem SELECT k, v, d, s FROM src WHERE k >= 10 AND "
                                "k < 100"));
    check_rows(kiln_session_table(S, "mem"), 0, 100);
    assert_non_null(kiln_sql(S, "INSERT INTO mem (s, k) VALUES ('ü', 100)"));
    kiln_df *extra = kiln_sql(S, "SELECT count(*), count(v), max(s) FROM mem WHERE k = 100");
    kiln_arena *a = kiln_arena_new();
    kiln_value out;
    assert_int_equal(kiln_df_collect(extra, a, &out), KILN_OK);
    assert_int_equal(out.u.items[0].u.items[0].u.i, 1);
    assert_int_equal(out.u.items[0].u.items[1].u.i, 0);
    assert_memory_equal(out.u.items[0].u.items[2].u.s, "ü", 2);
    kiln_arena_free(a);
    assert_null(kiln_sql(S, "INSERT INTO mem SELECT k FROM src"));
    assert_non_null(strstr(kiln_last_error(), "INSERT_COLUMN_ARITY_MISMATCH"));
    assert_null(kiln_sql(S, "INSERT INTO mem (nope) SELECT k FROM src"));
    assert_non_null(strstr(kiln_last_error(), "nope"));
    assert_non_null(kiln_sql(S, "INSERT OVERWRITE mem SELECT k, v, d, s FROM src WHERE k < 5"));
    check_rows(kiln_session_table(S, "mem"), 0, 5);
    /* a view over a query takes no rows */
    assert_non_null(kiln_sql(S, "CREATE TEMPORARY VIEW qv AS SELECT * FROM src"));
    assert_null(kiln_sql(S, "INSERT INTO qv SELECT * FROM src"));
    assert_non_null(strstr(kiln_last_error(), "UNSUPPORTED_INSERT"));
    kiln_df_free(df);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_csv_reads_back),      cmocka_unit_test(write_json_and_text),
        cmocka_unit_test(empty_output_has_one_file), cmocka_unit_test(save_modes),
        cmocka_unit_test(sql_insert_and_ctas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
