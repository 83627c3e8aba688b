/*
 * test_sql_part_write.c - partitioned writes (src/datasource/write_part.c,
 * src/sql/df_write.c, src/io/commit.c, src/io/dataset_place.c) and tables
 * over locations (src/sql/stmt_table.c): random rows with nulls, empty
 * strings, unicode and characters Spark escapes written with partitionBy
 * in every format of FORMATS, read back and compared with the test's own
 * rows (a C reference); the directory names against the test's own
 * escaping; each save mode; static and dynamic overwrite; failed
 * overwrites (a task that throws, every rename of the placement failing
 * in turn) leaving the old dataset readable and unchanged; many
 * partitions per task under the open-writer bound; CREATE TABLE ...
 * PARTITIONED BY, INSERT, INSERT OVERWRITE ... PARTITION, external
 * tables, DROP, REFRESH. KT_MASTER runs it under another master (CMake
 * reruns it under local-cluster[2,1,256]).
 */
#define _GNU_SOURCE
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

#include "base/fault.h"
#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_rand.h"
#include "kt_rows.h"
#include "sql/session_int.h"

/* Adding a format here runs every test over it. */
static const char *const FORMATS[] = {"csv", "json", "parquet"};
#define NFORMATS (sizeof FORMATS / sizeof FORMATS[0])

static char dir[256];
static kiln_context *ctx;
static kiln_session *S;
static uint64_t rng = 0x9A27C0FFEE123457ull;

/* Partition values: k1 (int or null), k2 (string: escaping, unicode,
 * empty, null). */
static const int K1[] = {1, 2, -3, 0};
static const bool K1_NULL[] = {false, false, false, true};
static const char *const K2[] = {"a b", "x/y", "\xc3\xa9:1", "100%", "", NULL, "q=1"};
#define NK1 4
#define NK2 7

typedef struct row {
    int id, k1, k2; /* k1, k2: indices into K1 / K2 */
    bool has_v;
    int64_t v;
} row;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kiln-test-pw-%d", (int)getpid());
    mkdir(dir, 0777);
    return kt_sql_open(&ctx, &S);
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    kt_rm_rf(dir);
    return 0;
}

static void gen(row *r, int n, int id0, int k1_lo, int k1_hi)
{
    for (int i = 0; i < n; i++) {
        r[i].id = id0 + i;
        r[i].k1 = k1_lo + (int)(kt_rand(&rng) % (uint64_t)(k1_hi - k1_lo));
        r[i].k2 = (int)(kt_rand(&rng) % NK2);
        r[i].has_v = kt_rand(&rng) % 5 != 0;
        r[i].v = (int64_t)(kt_rand(&rng) % 2001) - 1000;
    }
}

/* A temporary view `name` of rows (SQL VALUES). */
static void make_view(const char *name, const row *r, int n)
{
    size_t cap = 128 + 96 * (size_t)n, len = 0;
    char *q = malloc(cap);
    len += (size_t)sprintf(q, "CREATE OR REPLACE TEMPORARY VIEW %s AS SELECT * FROM VALUES ", name);
    for (int i = 0; i < n; i++) {
        char k1[32], k2[64], v[32];
        if (K1_NULL[r[i].k1]) strcpy(k1, "CAST(NULL AS INT)");
        else snprintf(k1, sizeof k1, "%d", K1[r[i].k1]);
        if (K2[r[i].k2]) snprintf(k2, sizeof k2, "'%s'", K2[r[i].k2]);
        else strcpy(k2, "CAST(NULL AS STRING)");
        if (r[i].has_v) snprintf(v, sizeof v, "%lld", (long long)r[i].v);
        else strcpy(v, "CAST(NULL AS BIGINT)");
        len += (size_t)sprintf(q + len, "%s(%d, %s, %s, %s)", i ? ", " : "", r[i].id, k1, k2, v);
    }
    sprintf(q + len, " AS t(id, k1, k2, v)");
    kiln_df *df = kiln_sql(S, q);
    if (!df) fail_msg("view: %s", kiln_last_error());
    kiln_df_free(df);
    free(q);
}

/* Joins l's lines, each ended by "\n" (owned); frees l. */
static char *joined(kt_lines *l)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (int i = 0; i < l->n; i++) {
        kiln_buf_append(&b, l->s[i], strlen(l->s[i]));
        kiln_buf_append(&b, "\n", 1);
    }
    kiln_buf_append(&b, "", 1);
    char *r = strdup((const char *)b.data);
    kiln_buf_release(&b);
    kt_lines_free(l);
    return r;
}

/* Sorted lines "id|v|k1|k2" of the rows as read back ("" reads as null). */
static char *reference(const row *r, int n)
{
    kt_lines l = {0};
    for (int i = 0; i < n; i++) {
        char line[128], v[32], k1[16];
        if (r[i].has_v) snprintf(v, sizeof v, "%lld", (long long)r[i].v);
        else strcpy(v, "NULL");
        if (K1_NULL[r[i].k1]) strcpy(k1, "NULL");
        else snprintf(k1, sizeof k1, "%d", K1[r[i].k1]);
        const char *k2 = K2[r[i].k2] && *K2[r[i].k2] ? K2[r[i].k2] : "NULL";
        snprintf(line, sizeof line, "%d|%s|%s|%s", r[i].id, v, k1, k2);
        kt_lines_add(&l, line);
    }
    kt_lines_sort(&l);
    return joined(&l);
}

/* The rows of df as sorted lines "a|b|c" (kt_df_lines' spelling); frees df. */
static char *rows_of(kiln_df *df)
{
    kt_lines l = kt_df_lines(df, "rows");
    kt_lines_sort(&l);
    return joined(&l);
}

#define sql(...) kt_sqlf(S, __VA_ARGS__)

/* 0 when the statement runs, -1 when it fails (the error is kept). */
static int sql_rc(const char *text)
{
    kiln_df *df = kiln_sql(S, text);
    if (!df) return -1;
    kiln_df_free(df);
    return 0;
}

static int collect_cmd(void *arg, const char *stmt, size_t len, const sql_outcome *o,
                       double seconds)
{
    (void)stmt, (void)len, (void)seconds;
    kiln_buf *out = arg;
    for (int b = 0; b < o->rows.nbatches; b++)
        for (uint32_t i = 0; i < o->rows.batches[b].n; i++) {
            for (int c = 0; c < o->rows.batches[b].ncols; c++) {
                const col_vec *v = &o->rows.batches[b].cols[c];
                if (c) kiln_buf_append(out, "|", 1);
                if (!col_valid(v, i)) {
                    kiln_buf_append(out, "null", 4);
                    continue;
                }
                const col_str *x = &COL_DATA(v, col_str)[col_row(v, i)];
                kiln_buf_append(out, col_str_data(x), x->len);
            }
            kiln_buf_append(out, "\n", 1);
        }
    return 0;
}

/* The rows of a command (DESCRIBE, SHOW TABLES: string columns) in
 * order, "a|b|c" lines (owned). */
static char *cmd_rows_text(const char *q)
{
    kiln_buf b;
    kiln_buf_init(&b);
    if (sql_session_run(S, q, collect_cmd, &b)) fail_msg("%s: %s", q, kiln_last_error());
    kiln_buf_append(&b, "", 1);
    char *r = strdup((const char *)b.data);
    kiln_buf_release(&b);
    return r;
}

#define cmd_rows(...) cmd_rows_text(kt_textf(__VA_ARGS__))

static void expect_rows(kiln_df *df, const char *want, const char *what)
{
    char *got = rows_of(df);
    if (strcmp(got, want)) fail_msg("%s:\n got:\n%s\n want:\n%s", what, got, want);
    free(got);
}

/* The dataset at root read back as "id|v|k1|k2" lines. */
static char *read_back(const char *fmt, const char *root)
{
    kiln_reader *r = kiln_reader_format(kiln_session_read(S), fmt);
    if (strcmp(fmt, "csv") == 0) {
        kiln_reader_option(r, "header", "true");
        kiln_reader_option(r, "inferSchema", "true");
    }
    kiln_df *df = kiln_reader_load(r, root);
    if (!df) fail_msg("read %s: %s", root, kiln_last_error());
    const char *cols[] = {"id", "v", "k1", "k2"};
    kiln_df *sel = kiln_df_select_expr(df, cols, 4);
    kiln_df_free(df);
    return rows_of(sel);
}

/* Writes view src partitioned by k1, k2 to root; returns the result. */
static int write_view(const char *src, const char *fmt, const char *mode, const char *root,
                      const char *overwrite_mode, const char *max_open)
{
    kiln_df *df = sql("SELECT * FROM %s", src);
    kiln_writer *w = kiln_writer_mode(kiln_writer_format(kiln_df_write(df), fmt), mode);
    kiln_df_free(df);
    if (strcmp(fmt, "csv") == 0) w = kiln_writer_option(w, "header", "true");
    if (overwrite_mode) w = kiln_writer_option(w, "partitionOverwriteMode", overwrite_mode);
    if (max_open) w = kiln_writer_option(w, "maxOpenWriters", max_open);
    const char *by[] = {"k1", "k2"};
    w = kiln_writer_partition_by(w, by, 2);
    return kiln_writer_save(w, root);
}

static void expect_dataset(const char *fmt, const char *root, const row *r, int n, const char *what)
{
    char *want = reference(r, n), *got = read_back(fmt, root);
    if (strcmp(got, want)) fail_msg("%s (%s):\n got:\n%s\n want:\n%s", what, fmt, got, want);
    free(got);
    free(want);
}

/* The directory of row r (relative), with the test's own escaping. */
static void dir_of(const row *r, char *out)
{
    char e[64];
    const char *k2 = K2[r->k2];
    if (!k2 || !*k2) strcpy(e, "__HIVE_DEFAULT_PARTITION__");
    else kt_escape_path_name(k2, e);
    if (K1_NULL[r->k1]) sprintf(out, "k1=__HIVE_DEFAULT_PARTITION__/k2=%s", e);
    else sprintf(out, "k1=%d/k2=%s", K1[r->k1], e);
}

#define N 300

static void test_round_trip(void **state)
{
    (void)state;
    static row r[N];
    gen(r, N, 0, 0, NK1);
    make_view("src", r, N);
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        char root[512];
        snprintf(root, sizeof root, "%s/rt_%s", dir, fmt);
        kt_rm_rf(root);
        if (write_view("src", fmt, "error", root, NULL, NULL))
            fail_msg("write: %s", kiln_last_error());
        expect_dataset(fmt, root, r, N, "round trip");
        /* Every row's directory, named as Spark names it, holds part files
         * without the partition columns. */
        for (int i = 0; i < N; i++) {
            char d[256], full[1024];
            dir_of(&r[i], d);
            snprintf(full, sizeof full, "%s/%s", root, d);
            if (kt_count_entries(full, "part-") < 1) fail_msg("no part file in %s", full);
            char file[1600];
            assert_true(kt_find_entry(full, "part-", file, sizeof file));
            assert_non_null(strstr(strrchr(file, '/'), "-c000."));
            size_t len;
            char *text = kt_read_file(file, &len);
            if (strstr(text, "k1") || strstr(text, "k2"))
                fail_msg("%s holds k1/k2: %s", file, text);
            free(text);
        }
        char ok[600];
        snprintf(ok, sizeof ok, "%s/_SUCCESS", root);
        assert_true(kt_exists(ok));
        /* Top level: one directory per k1 value and _SUCCESS. */
        assert_int_equal(kt_count_entries(root, "k1="), NK1);
        assert_int_equal(kt_count_entries(root, "."), 0);
        assert_int_equal(kt_count_entries(root, "_temporary"), 0);
        /* Pruning over the written partitions. */
        kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW rt USING %s OPTIONS (path '%s'%s)", fmt,
                         root, strcmp(fmt, "csv") ? "" : ", header 'true', inferSchema 'true'"));
        int64_t want = 0;
        for (int i = 0; i < N; i++) want += !K1_NULL[r[i].k1] && K1[r[i].k1] == 2;
        char line[64];
        snprintf(line, sizeof line, "%lld\n", (long long)want);
        expect_rows(sql("SELECT count(*) FROM rt WHERE k1 = 2"), line, "k1 = 2");
    }
}

static void test_modes(void **state)
{
    (void)state;
    static row a[N], b[N], ab[2 * N];
    gen(a, N, 0, 0, 2);    /* k1 in {1, 2} */
    gen(b, N, 1000, 1, 3); /* k1 in {2, -3} */
    make_view("va", a, N);
    make_view("vb", b, N);
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        char root[512];
        snprintf(root, sizeof root, "%s/modes_%s", dir, fmt);
        kt_rm_rf(root);
        assert_int_equal(write_view("va", fmt, "errorifexists", root, NULL, NULL), KILN_OK);
        assert_int_equal(write_view("vb", fmt, "errorifexists", root, NULL, NULL), KILN_EEXIST);
        assert_int_equal(write_view("vb", fmt, "ignore", root, NULL, NULL), KILN_OK);
        expect_dataset(fmt, root, a, N, "after error and ignore");
        assert_int_equal(write_view("vb", fmt, "append", root, NULL, NULL), KILN_OK);
        memcpy(ab, a, sizeof a);
        memcpy(ab + N, b, sizeof b);
        expect_dataset(fmt, root, ab, 2 * N, "append");
        /* Static overwrite: everything replaced. */
        assert_int_equal(write_view("va", fmt, "overwrite", root, NULL, NULL), KILN_OK);
        expect_dataset(fmt, root, a, N, "static overwrite");
        /* Dynamic: only the partitions b writes (k1 = 2, -3; per k2). */
        assert_int_equal(write_view("vb", fmt, "overwrite", root, "dynamic", NULL), KILN_OK);
        int n = 0;
        for (int i = 0; i < N; i++) {
            bool replaced = false;
            for (int j = 0; j < N && !replaced; j++)
                replaced = a[i].k1 == b[j].k1 && a[i].k2 == b[j].k2;
            if (!replaced) ab[n++] = a[i];
        }
        memcpy(ab + n, b, sizeof b);
        expect_dataset(fmt, root, ab, n + N, "dynamic overwrite");
        /* The session's setting does the same. */
        assert_int_equal(kiln_session_conf_set(S, "kiln.sql.sources.partitionOverwriteMode",
                                               "DYNAMIC"),
                         KILN_OK);
        assert_int_equal(write_view("vb", fmt, "overwrite", root, NULL, NULL), KILN_OK);
        expect_dataset(fmt, root, ab, n + N, "dynamic overwrite (session)");
        assert_int_equal(kiln_session_conf_set(S, "kiln.sql.sources.partitionOverwriteMode",
                                               "STATIC"),
                         KILN_OK);
        assert_int_not_equal(write_view("vb", fmt, "overwrite", root, "sometimes", NULL), KILN_OK);
        assert_non_null(strstr(kiln_last_error(), "partitionOverwriteMode"));
    }
}

/* A failed overwrite leaves the old dataset as it was. */
static void test_failed_overwrite(void **state)
{
    (void)state;
    static row a[N], b[N];
    gen(a, N, 0, 0, NK1);
    gen(b, N, 1000, 0, NK1);
    make_view("fa", a, N);
    make_view("fb", b, N);
    const char *fmt = "csv";
    char root[512];
    snprintf(root, sizeof root, "%s/fail", dir);
    kt_rm_rf(root);
    assert_int_equal(write_view("fa", fmt, "errorifexists", root, NULL, NULL), KILN_OK);
    /* A task that throws (ANSI division by zero on one row). */
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW fbad AS SELECT id, k1, k2, "
                     "CASE WHEN id = 1150 THEN id DIV (id - 1150) ELSE v END AS v FROM fb"));
    for (int m = 0; m < 2; m++) {
        int rc = write_view("fbad", fmt, "overwrite", root, m ? "dynamic" : NULL, NULL);
        assert_int_not_equal(rc, KILN_OK);
        expect_dataset(fmt, root, a, N, "after a failed task");
    }
    /* Every rename of the placement failing in turn (driver side): each
     * failure leaves the old rows, the first run without one the new. */
    for (int dyn = 0; dyn < 2; dyn++) {
        int n = 1, failed = 0;
        for (;; n++) {
            fault_arm(FAULT_RENAME, (uint64_t)n, false);
            int rc = write_view("fb", fmt, "overwrite", root, dyn ? "dynamic" : NULL, NULL);
            bool hit = fault_failures(FAULT_RENAME) > 0;
            fault_disarm_all();
            if (rc != KILN_OK) {
                failed++;
                expect_dataset(fmt, root, a, N, "after a failed rename");
                continue;
            }
            expect_dataset(fmt, root, b, N, "after an overwrite");
            /* Back to a for the next step. */
            assert_int_equal(write_view("fa", fmt, "overwrite", root, NULL, NULL), KILN_OK);
            if (!hit) break;
            if (n > 300) fail_msg("no run without a rename fault in 300 steps");
        }
        assert_true(failed > 0);
        kt_report("failed overwrite (%s): %d steps, %d failed", dyn ? "dynamic" : "static", n,
                  failed);
    }
    /* The Nth write of a part file failing (tasks in this process; under
     * a local cluster the executors write and the run succeeds). */
    static const int nth[] = {1, 2, 7, 4000};
    int write_failed = 0;
    for (size_t k = 0; k < sizeof nth / sizeof nth[0]; k++) {
        fault_arm(FAULT_WRITE, (uint64_t)nth[k], true);
        int rc = write_view("fb", fmt, "overwrite", root, k % 2 ? "dynamic" : NULL, NULL);
        fault_disarm_all();
        write_failed += rc != KILN_OK;
        expect_dataset(fmt, root, rc ? a : b, N, "after a failed write");
        if (!rc) assert_int_equal(write_view("fa", fmt, "overwrite", root, NULL, NULL), KILN_OK);
    }
    kt_report("failed writes: %d of 4 runs failed", write_failed);
    const char *master = getenv("KT_MASTER");
    if (!master || !strstr(master, "cluster")) assert_true(write_failed >= 3);
    assert_int_equal(kt_count_entries(dir, ".fail"), 0);
    assert_int_equal(kt_count_entries(root, "."), 0);
}

/* One task writing many partitions (rows interleaved over 9 partitions
 * and 5 batches) with at most 2 open files: uncompressed text files are
 * set aside and appended to again (one file a directory, as without the
 * bound); gzip files are closed and a directory's later rows start new
 * ones (-c001, ...). Every row is there each time. */
static void test_many_partitions(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        bool resumable = strcmp(fmt, "parquet") != 0;
        for (int variant = 0; variant < 3; variant++) {
            char root[512];
            snprintf(root, sizeof root, "%s/many_%s_%d", dir, fmt, variant);
            kt_rm_rf(root);
            kiln_df *df = sql("SELECT id, id %% 9 AS k FROM range(0, 5000, 1, 1)");
            kiln_writer *w = kiln_writer_format(kiln_df_write(df), fmt);
            kiln_df_free(df);
            if (strcmp(fmt, "csv") == 0) w = kiln_writer_option(w, "header", "true");
            w = kiln_writer_option(w, "maxOpenWriters", variant ? "2" : "64");
            if (variant == 2) w = kiln_writer_option(w, "compression", "gzip");
            const char *by[] = {"k"};
            if (kiln_writer_save(kiln_writer_partition_by(w, by, 1), root))
                fail_msg("write: %s", kiln_last_error());
            int files = 0;
            for (int k = 0; k < 9; k++) {
                char d[600];
                snprintf(d, sizeof d, "%s/k=%d", root, k);
                int c = kt_count_entries(d, "part-00000-");
                if (variant == 0 || (variant == 1 && resumable)) assert_int_equal(c, 1);
                files += c;
            }
            /* gzip and Parquet files cannot be reopened to append: a set-aside
             * partition's later rows start a new file (-c001, ...). */
            if (variant == 2 || (variant == 1 && !resumable)) assert_true(files > 9);
            kt_report("%s, maxOpenWriters %d%s: %d files", fmt, variant ? 2 : 64,
                      variant == 2 ? ", gzip" : "", files);
            kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW many USING %s OPTIONS (path "
                             "'%s'%s)",
                             fmt, root,
                             strcmp(fmt, "csv") ? "" : ", header 'true', inferSchema 'true'"));
            expect_rows(sql("SELECT count(*), count(DISTINCT id), sum(id), "
                            "sum(CASE WHEN id %% 9 = k THEN 1 ELSE 0 END) FROM many"),
                        "5000|5000|12497500|5000\n", "many partitions");
        }
    }
}

/* CREATE TABLE ... PARTITIONED BY AS SELECT, INSERT INTO / OVERWRITE
 * (PARTITION), tables over existing files, DESCRIBE, SHOW TABLES, DROP
 * (files of an external table kept, of a managed one removed), REFRESH. */
static void test_tables(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        const char *hdr = strcmp(fmt, "csv") ? "" : "OPTIONS (header 'true', inferSchema 'true')";
        char loc[512];
        snprintf(loc, sizeof loc, "%s/tab_%s", dir, fmt);
        kt_rm_rf(loc);
        kiln_df_free(sql("CREATE TABLE pt USING %s %s PARTITIONED BY (k) LOCATION '%s' AS "
                         "SELECT id, id %% 3 AS k, concat('x', id) AS s FROM range(0, 30)",
                         fmt, hdr, loc));
        char d[600];
        snprintf(d, sizeof d, "%s/k=2", loc);
        assert_true(kt_count_entries(d, "part-") >= 1);
        /* The table's columns: data, then the partition column. */
        char *desc = cmd_rows("DESCRIBE pt");
        assert_string_equal(desc, "id|bigint|null\ns|string|null\nk|bigint|null\n"
                                  "# Partition Information||\n# col_name|data_type|comment\n"
                                  "k|bigint|null\n");
        free(desc);
        char *ext = cmd_rows("DESCRIBE EXTENDED pt");
        if (!strstr(ext, "Type|EXTERNAL|") || !strstr(ext, "Partition Columns|`k`|") ||
            !strstr(ext, "Location|file:"))
            fail_msg("describe extended:\n%s", ext);
        free(ext);
        expect_rows(sql("SELECT k, count(*), sum(id) FROM pt GROUP BY k"),
                    "0|10|135\n1|10|145\n2|10|155\n", "ctas");
        kiln_df_free(sql("INSERT INTO pt SELECT 100, 'y', 7"));
        kiln_df_free(sql("INSERT INTO pt SELECT id, concat('z', id), 0 FROM range(200, 202)"));
        kiln_df_free(sql("INSERT OVERWRITE pt PARTITION (k = 1) SELECT 300, 'w'"));
        expect_rows(sql("SELECT k, count(*), sum(id) FROM pt GROUP BY k"),
                    "0|12|536\n1|1|300\n2|10|155\n7|1|100\n", "insert, overwrite partition");
        /* Static overwrite of the whole table; dynamic keeps the others. */
        kiln_df_free(sql("SET kiln.sql.sources.partitionOverwriteMode = dynamic"));
        kiln_df_free(sql("INSERT OVERWRITE pt SELECT 400, 'd', 2"));
        expect_rows(sql("SELECT k, count(*), sum(id) FROM pt GROUP BY k"),
                    "0|12|536\n1|1|300\n2|1|400\n7|1|100\n", "dynamic insert overwrite");
        kiln_df_free(sql("INSERT OVERWRITE pt PARTITION (k = 7) SELECT 700, 'g'"));
        expect_rows(sql("SELECT k, count(*), sum(id) FROM pt GROUP BY k"),
                    "0|12|536\n1|1|300\n2|1|400\n7|1|700\n", "dynamic, static partition");
        kiln_df_free(sql("SET kiln.sql.sources.partitionOverwriteMode = static"));
        kiln_df_free(sql("INSERT OVERWRITE pt SELECT 500, 'e', 3"));
        expect_rows(sql("SELECT k, id FROM pt"), "3|500\n", "static overwrite");
        /* Errors: a non-partition column in PARTITION, static after dynamic. */
        assert_int_not_equal(sql_rc("INSERT INTO pt PARTITION (id = 1) SELECT 'a', 1"), 0);
        assert_non_null(strstr(kiln_last_error(), "NON_PARTITION_COLUMN"));
        /* An external table over the files: the same rows; DROP keeps them. */
        kiln_df_free(sql("CREATE TABLE ext USING %s %s LOCATION '%s'", fmt, hdr, loc));
        expect_rows(sql("SELECT id, s, k FROM ext"), "500|e|3\n", "external table");
        kiln_df_free(sql("DROP TABLE pt"));
        assert_true(kt_exists(loc));
        /* Files written behind the table's back: the scan lists them; a new
         * partition directory is there after REFRESH too. */
        kiln_df *df = sql("SELECT 600 AS id, 'f' AS s, 4 AS k");
        kiln_writer *w = kiln_writer_mode(kiln_writer_format(kiln_df_write(df), fmt), "append");
        kiln_df_free(df);
        if (!strcmp(fmt, "csv")) w = kiln_writer_option(w, "header", "true");
        const char *by[] = {"k"};
        assert_int_equal(kiln_writer_save(kiln_writer_partition_by(w, by, 1), loc), KILN_OK);
        kiln_df_free(sql("REFRESH TABLE ext"));
        expect_rows(sql("SELECT id, s, k FROM ext"), "500|e|3\n600|f|4\n", "refresh");
        char *tables = cmd_rows("SHOW TABLES");
        assert_non_null(strstr(tables, "|ext|"));
        assert_null(strstr(tables, "|pt|"));
        free(tables);
        kiln_df_free(sql("DROP TABLE ext"));
        assert_true(kt_exists(loc));
        /* A managed table with a schema: made empty, filled by INSERT,
         * its files removed by DROP. */
        char wh[600];
        snprintf(wh, sizeof wh, "%s/wh", dir);
        assert_int_equal(kiln_session_conf_set(S, "kiln.sql.warehouse.dir", wh), KILN_OK);
        kiln_df_free(
            sql("CREATE TABLE mt (a INT, p STRING, b STRING) USING %s PARTITIONED BY (p)", fmt));
        expect_rows(sql("SELECT count(*) FROM mt"), "0\n", "empty managed table");
        kiln_df_free(sql("INSERT INTO mt SELECT 1, 'u', 'x'"));
        kiln_df_free(sql("INSERT INTO mt PARTITION (p = 'q r') SELECT 2, 'v'"));
        kiln_df_free(sql("INSERT INTO mt PARTITION (p = NULL) SELECT 3, 'w'"));
        expect_rows(sql("SELECT a, b, p FROM mt"), "1|u|x\n2|v|q r\n3|w|NULL\n", "managed");
        char md[700];
        snprintf(md, sizeof md, "%s/mt/p=q r", wh);
        assert_true(kt_count_entries(md, "part-") == 1);
        snprintf(md, sizeof md, "%s/mt/p=__HIVE_DEFAULT_PARTITION__", wh);
        assert_true(kt_count_entries(md, "part-") == 1);
        kiln_df_free(sql("DROP TABLE mt"));
        snprintf(md, sizeof md, "%s/mt", wh);
        assert_false(kt_exists(md));
        /* The direct query of a path. */
        char *n = rows_of(sql("SELECT count(*) FROM %s.`%s`", fmt, loc));
        assert_true(atoi(n) >= 2);
        free(n);
    }
}

/* Days from 1970-01-01 to y-m-d (the test's own civil calendar). */
static int64_t days_of(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define NP 2000

/* The C reference of the pushdown dataset: row id's values. */
static void pd_row(int id, int64_t *a, int *i, int *d100, int64_t *dt, int *y, int *m)
{
    *a = (int64_t)id * 3;
    *i = id % 50;
    *d100 = id % 11;
    *dt = days_of(1998, 6, 1) + id % 200;
    *y = 2020 + id % 3;
    *m = id % 12;
}

/* Literals the analyser casts are pushed (EXPLAIN) and select what the
 * unpushed filter does; conjuncts over several partition columns prune. */
static void test_pushdown_casts(void **state)
{
    (void)state;
    char root[512];
    snprintf(root, sizeof root, "%s/pd", dir);
    kt_rm_rf(root);
    kiln_df *src = sql("SELECT id * 3 AS a, CAST(id %% 50 AS INT) AS i, "
                       "CAST((id %% 11) / 100 AS DECIMAL(15,2)) AS d, "
                       "date_add(DATE '1998-06-01', CAST(id %% 200 AS INT)) AS dt, "
                       "CAST(2020 + id %% 3 AS INT) AS y, CAST(id %% 12 AS INT) AS m "
                       "FROM range(0, %d)",
                       NP);
    kiln_writer *w = kiln_writer_option(kiln_writer_format(kiln_df_write(src), "csv"), "header",
                                        "true");
    kiln_df_free(src);
    const char *by[] = {"y", "m"};
    assert_int_equal(kiln_writer_save(kiln_writer_partition_by(w, by, 2), root), KILN_OK);
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW pd USING csv OPTIONS (path '%s', header "
                     "'true', mode 'FAILFAST', schema 'a BIGINT, i INT, d DECIMAL(15,2), dt DATE')",
                     root));
    static const struct {
        const char *where, *unpushed, *explain;
    } cases[] = {
        {"a = 30", "a + 0 = 30", "EqualTo(a,30)"},
        {"d < 24", "d + 0 < 24", "LessThan(d,24.00)"},
        {"d BETWEEN 0.05 AND 0.07", "d + 0 BETWEEN 0.05 AND 0.07",
         "GreaterThanOrEqual(d,0.05), LessThanOrEqual(d,0.07)"},
        {"dt <= DATE '1998-12-01' - INTERVAL '90' DAY", "date_add(dt, 0) <= DATE '1998-09-02'",
         "LessThanOrEqual(dt,1998-09-02)"},
        {"dt <= '1998-09-02'", "date_add(dt, 0) <= DATE '1998-09-02'",
         "LessThanOrEqual(dt,1998-09-02)"},
        {"CAST(i AS BIGINT) = 5", "i + 0 = 5", "EqualTo(i,5)"},
        {"i IN (1, 2, 3000000000)", "i + 0 IN (1, 2)", NULL},
        {"a IN (3, 6, 9)", "a + 0 IN (3, 6, 9)", "In(a, [3,6,9])"},
        {"d = 0.050", "d + 0 = 0.05", "EqualTo(d,0.05)"},
        {"i < 2.5", "i + 0 <= 2", NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *plan = cmd_rows("EXPLAIN SELECT * FROM pd WHERE %s", cases[c].where);
        if (cases[c].explain && !strstr(plan, cases[c].explain))
            fail_msg("%s: no %s in\n%s", cases[c].where, cases[c].explain, plan);
        free(plan);
        char *want = rows_of(sql("SELECT count(*), sum(a) FROM pd WHERE %s", cases[c].unpushed));
        expect_rows(sql("SELECT count(*), sum(a) FROM pd WHERE %s", cases[c].where), want,
                    cases[c].where);
        free(want);
    }
    /* The C reference for the TPC-H-like conjunction. */
    int64_t cnt = 0, sum = 0, cut = days_of(1998, 9, 2);
    for (int id = 0; id < NP; id++) {
        int64_t a, dt;
        int i, d100, y, m;
        pd_row(id, &a, &i, &d100, &dt, &y, &m);
        if (dt <= cut && d100 >= 5 && d100 <= 7 && i < 24) cnt++, sum += a;
    }
    char want[64];
    snprintf(want, sizeof want, "%lld|%lld\n", (long long)cnt, (long long)sum);
    expect_rows(sql("SELECT count(*), sum(a) FROM pd WHERE dt <= DATE '1998-12-01' - INTERVAL "
                    "'90' DAY AND d BETWEEN 0.05 AND 0.07 AND i < 24"),
                want, "tpch-like");
    /* A conjunct over two partition columns prunes: a corrupt file in a
     * pruned partition is never read (FAILFAST would fail on it). */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/y=2021/m=1/part-99999-bad.csv", root);
    kt_write_file(bad, "a,i,d,dt\nx,y,z,w\n", 18);
    const char *pw = "y * 100 + m > 202110 OR y = 2020";
    char *plan = cmd_rows("EXPLAIN SELECT * FROM pd WHERE %s", pw);
    if (!strstr(plan, "PartitionFilters: [y * 100 + m > 202110 OR y = 2020]"))
        fail_msg("no partition filter in\n%s", plan);
    free(plan);
    cnt = sum = 0;
    for (int id = 0; id < NP; id++) {
        int64_t a, dt;
        int i, d100, y, m;
        pd_row(id, &a, &i, &d100, &dt, &y, &m);
        if (y * 100 + m > 202110 || y == 2020) cnt++, sum += a;
    }
    snprintf(want, sizeof want, "%lld|%lld\n", (long long)cnt, (long long)sum);
    expect_rows(sql("SELECT count(*), sum(a) FROM pd WHERE %s", pw), want, "pruned by y, m");
    kiln_df *all = kiln_sql(S, "SELECT count(*) FROM pd WHERE y + m > 0");
    kiln_arena *a = kiln_arena_new();
    kiln_value out;
    assert_int_not_equal(kiln_df_collect(all, a, &out), KILN_OK);
    kiln_arena_free(a);
    kiln_df_free(all);
    unlink(bad);
}

/* kiln.sql.files.* settings pack a scan's files as the reader options do;
 * partitionColumnTypeInference.enabled=false reads partition values as
 * strings. */
static void test_file_confs(void **state)
{
    (void)state;
    char root[512];
    snprintf(root, sizeof root, "%s/confs", dir);
    kt_rm_rf(root);
    kiln_df *src = sql("SELECT id, CAST(id %% 40 AS INT) AS k FROM range(0, 400)");
    kiln_writer *w = kiln_writer_format(kiln_df_write(src), "json");
    kiln_df_free(src);
    const char *by[] = {"k"};
    assert_int_equal(kiln_writer_save(kiln_writer_partition_by(w, by, 1), root), KILN_OK);
    int parts[3];
    for (int v = 0; v < 3; v++) {
        kiln_reader *r = kiln_reader_format(kiln_session_read(S), "json");
        if (v == 1) {
            kiln_reader_option(r, "maxPartitionBytes", "2000");
            kiln_reader_option(r, "openCostInBytes", "100");
            kiln_reader_option(r, "minPartitionNum", "3");
        }
        if (v == 2) {
            assert_int_equal(kiln_session_conf_set(S, "kiln.sql.files.maxPartitionBytes", "2000"),
                             0);
            assert_int_equal(kiln_session_conf_set(S, "spark.sql.files.openCostInBytes", "100"), 0);
            assert_int_equal(kiln_session_conf_set(S, "kiln.sql.files.minPartitionNum", "3"), 0);
        }
        kiln_df *df = kiln_reader_load(r, root);
        assert_non_null(df);
        kiln_rdd *rdd = kiln_df_to_rdd(df);
        assert_non_null(rdd);
        parts[v] = (int)kiln_rdd_num_partitions(rdd);
        kiln_rdd_free(rdd);
        kiln_df_free(df);
    }
    kt_report("scan tasks: default %d, options %d, session %d", parts[0], parts[1], parts[2]);
    assert_int_not_equal(parts[0], parts[1]);
    assert_int_equal(parts[1], parts[2]);
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.files.maxPartitionBytes", "128m"), 0);
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.files.openCostInBytes", "4m"), 0);
    assert_int_not_equal(kiln_session_conf_set(S, "kiln.sql.files.minPartitionNum", "0"), 0);
    assert_int_equal(kiln_session_conf_set(S,
                                           "kiln.sql.sources.partitionColumnTypeInference.enabled",
                                           "false"),
                     0);
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW cf USING json OPTIONS (path '%s')", root));
    char *desc = cmd_rows("DESCRIBE cf");
    assert_non_null(strstr(desc, "k|string|"));
    free(desc);
    assert_int_equal(kiln_session_conf_set(S,
                                           "kiln.sql.sources.partitionColumnTypeInference.enabled",
                                           "true"),
                     0);
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW cf USING json OPTIONS (path '%s')", root));
    desc = cmd_rows("DESCRIBE cf");
    assert_non_null(strstr(desc, "k|int|"));
    free(desc);
}

/* A data column named as a partition column: Spark's place (the data's),
 * type and values (the directory's); the other columns still right. */
static void test_overlap(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        if (strcmp(fmt, "parquet") == 0) continue; /* the files are written here as text */
        char root[512], file[700];
        snprintf(root, sizeof root, "%s/ov_%s", dir, fmt);
        kt_rm_rf(root);
        for (int k = 1; k <= 2; k++) {
            snprintf(file, sizeof file, "%s/k=%d", root, k);
            mkdir(root, 0777);
            mkdir(file, 0777);
            snprintf(file, sizeof file, "%s/k=%d/part-0.%s", root, k, fmt);
            char text[128];
            int n = strcmp(fmt, "csv")
                        ? snprintf(text, sizeof text, "{\"a\":%d,\"k\":%d,\"b\":\"%c\"}\n", k,
                                   90 + k, 'w' + k)
                        : snprintf(text, sizeof text, "a,k,b\n%d,%d,%c\n", k, 90 + k, 'w' + k);
            kt_write_file(file, text, (size_t)n);
        }
        kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW ov USING %s OPTIONS (path '%s'%s)", fmt,
                         root, strcmp(fmt, "csv") ? "" : ", header 'true', inferSchema 'true'"));
        /* JSON orders inferred fields by name: a, b, k. */
        expect_rows(sql("SELECT * FROM ov"),
                    strcmp(fmt, "csv") ? "1|x|1\n2|y|2\n" : "1|1|x\n2|2|y\n", "overlap");
        expect_rows(sql("SELECT a, b FROM ov WHERE k = 2"), "2|y\n", "overlap filter");
        char *desc = cmd_rows("DESCRIBE ov");
        assert_non_null(strstr(desc, strcmp(fmt, "csv")
                                         ? "a|bigint|null\nb|string|null\nk|int|null\n"
                                         : "a|int|null\nk|int|null\nb|string|null\n"));
        free(desc);
    }
}

/* TPC-H q6's predicates over DuckDB's lineitem.parquet: pushed (EXPLAIN)
 * and giving what the same filter gives unpushed. */
static void test_tpch_q6_pushdown(void **state)
{
    (void)state;
    const char *li = "../shared/data/tpch-sf0.1/parquet/lineitem.parquet";
    if (!kt_exists(li)) {
        printf("skipped: %s is absent\n", li);
        return;
    }
    const char *q = "SELECT count(*), sum(l_extendedprice * l_discount) FROM parquet.`%s` WHERE "
                    "%s <= date '1998-12-01' - interval '90' day AND %s BETWEEN 0.05 AND 0.07 "
                    "AND %s < 24";
    char *plan = cmd_rows("EXPLAIN SELECT * FROM parquet.`%s` WHERE l_shipdate <= date "
                          "'1998-12-01' - interval '90' day AND l_discount BETWEEN 0.05 AND 0.07 "
                          "AND l_quantity < 24",
                          li);
    if (!strstr(plan, "PushedFilters: [LessThanOrEqual(l_shipdate,1998-09-02), "
                      "GreaterThanOrEqual(l_discount,0.05), LessThanOrEqual(l_discount,0.07), "
                      "LessThan(l_quantity,24.00)]"))
        fail_msg("q6 not pushed:\n%s", plan);
    free(plan);
    char *want = rows_of(sql(q, li, "date_add(l_shipdate, 0)", "l_discount + 0", "l_quantity + 0"));
    expect_rows(sql(q, li, "l_shipdate", "l_discount", "l_quantity"), want, "q6");
    free(want);
}

static void test_errors(void **state)
{
    (void)state;
    char root[512];
    snprintf(root, sizeof root, "%s/errs", dir);
    kiln_df *df = sql("SELECT 1 AS a, 2 AS b");
    const char *bad[] = {"c"}, *all[] = {"a", "b"}, *twice[] = {"a", "A"};
    kiln_writer *w = kiln_writer_partition_by(kiln_df_write(df), bad, 1);
    assert_int_not_equal(kiln_writer_save(w, root), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "`c`"));
    w = kiln_writer_partition_by(kiln_df_write(df), all, 2);
    assert_int_not_equal(kiln_writer_save(w, root), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "ALL_PARTITION_COLUMNS_NOT_ALLOWED"));
    w = kiln_writer_partition_by(kiln_df_write(df), twice, 2);
    assert_int_not_equal(kiln_writer_save(w, root), KILN_OK);
    assert_false(kt_exists(root));
    kiln_df_free(df);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_modes),
        cmocka_unit_test(test_failed_overwrite), cmocka_unit_test(test_many_partitions),
        cmocka_unit_test(test_errors),           cmocka_unit_test(test_tables),
        cmocka_unit_test(test_pushdown_casts),   cmocka_unit_test(test_file_confs),
        cmocka_unit_test(test_overlap),          cmocka_unit_test(test_tpch_q6_pushdown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
