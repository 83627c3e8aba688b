/*
 * test_parquet_write_df.c - "parquet" through the SQL write path
 * (df.write.parquet, format("parquet").option("compression", ...), the
 * kiln.sql.parquet.* session settings; src/sql/df_write.c,
 * src/datasource/parquet_write.c): Spark's part file names with the codec
 * in them and _SUCCESS; what DuckDB reads equals the rows written; an
 * empty DataFrame leaves one file with the schema; intervals are refused
 * before anything is written; a task whose write fails (fault injection)
 * is retried and the output is complete with no partial file; an
 * overwrite whose job fails leaves the previous dataset readable. Skips
 * the DuckDB checks (printing why) when node or DuckDB is absent.
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

#include "base/fault.h"
#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_duck.h"

static char *dir;
static kiln_context *ctx;
static kiln_session *S;

static const char *P(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int setup(void **state)
{
    (void)state;
    dir = kt_tmpdir_new();
    /* local[2,3]: a failed task is tried again (3 attempts) */
    ctx = kt_context_new("local[2,3]");
    return dir && ctx && kiln_session_new(ctx, &S) == KILN_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kiln_session_free(S);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    free(dir);
    return 0;
}

static const char *QUERY = "SELECT id AS k, CAST(id % 7 AS STRING) AS s, id * 0.5 AS d, "
                           "CASE WHEN id % 5 = 0 THEN NULL ELSE CAST(id AS DECIMAL(20,2)) END "
                           "AS dec FROM range(0, 6000, 1, 3)";

/* The part files of path (sorted names in *names, count returned); checks
 * the name pattern part-NNNNN-<uuid>-c000<ext> and _SUCCESS. */
static int parts(const char *path, const char *ext, char names[8][128])
{
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    bool success = false;
    char uuid0[40] = "";
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (strcmp(e->d_name, "_SUCCESS") == 0) {
            success = true;
            continue;
        }
        unsigned p;
        char uuid[40], rest[64];
        if (sscanf(e->d_name, "part-%5u-%36[0-9a-f-]-c000%63s", &p, uuid, rest) != 3)
            fail_msg("unexpected file %s in %s", e->d_name, path);
        if (strcmp(rest, ext) != 0) fail_msg("%s: extension %s, not %s", e->d_name, rest, ext);
        if (!uuid0[0]) snprintf(uuid0, sizeof uuid0, "%s", uuid);
        assert_string_equal(uuid, uuid0);
        assert_true(n < 8);
        snprintf(names[n++], 128, "%.120s", e->d_name);
    }
    closedir(d);
    assert_true(success);
    return n;
}

static char *duck(const char *fmt, ...)
{
    char q[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return kt_duck_query(q);
}

static void expect_duck(const char *want, const char *fmt, ...)
{
    char q[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    char *got = kt_duck_query(q);
    if (!got || strcmp(got, want) != 0)
        fail_msg("DuckDB: %s\n got: %s\nwant: %s", q, got ? got : "(failed)", want);
    free(got);
}

/* What the rows of QUERY give in DuckDB. */
#define QUERY_SUMS "6000\t17997000\t17997\t8998500.0\t14400000.00\t1200\n"
static void check_query_rows(const char *path)
{
    expect_duck(QUERY_SUMS,
                "SELECT count(*), sum(k), sum(CAST(s AS INT)), sum(d), sum(dec), "
                "count(*) - count(dec) FROM read_parquet('%s/*.parquet')",
                path);
}

static void test_names_and_rows(void **state)
{
    (void)state;
    static const struct {
        const char *codec, *ext, *duck;
    } cases[] = {{NULL, ".snappy.parquet", "SNAPPY"},
                 {"gzip", ".gz.parquet", "GZIP"},
                 {"zstd", ".zstd.parquet", "ZSTD"},
                 {"lz4_raw", ".lz4raw.parquet", "LZ4_RAW"},
                 {"none", ".parquet", "UNCOMPRESSED"},
                 {"UNCOMPRESSED", ".parquet", "UNCOMPRESSED"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "names%zu", i);
        kiln_writer *w = kiln_df_write(kiln_sql(S, QUERY));
        if (cases[i].codec) w = kiln_writer_option(w, "compression", cases[i].codec);
        if (i == 0) assert_int_equal(kiln_writer_parquet(w, P(name)), KILN_OK);
        else assert_int_equal(kiln_writer_save(kiln_writer_format(w, "parquet"), P(name)), KILN_OK);
        char names[8][128];
        assert_int_equal(parts(P(name), cases[i].ext, names), 3);
        if (!kt_duck_available()) continue;
        check_query_rows(P(name));
        char want[64];
        snprintf(want, sizeof want, "%s\n", cases[i].duck);
        expect_duck(want, "SELECT DISTINCT compression FROM parquet_metadata('%s/*.parquet')",
                    P(name));
    }
    /* A bad codec fails before anything is written. */
    kiln_writer *w = kiln_writer_option(kiln_df_write(kiln_sql(S, QUERY)), "compression", "lzo");
    assert_int_not_equal(kiln_writer_parquet(w, P("badcodec")), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "lzo"));
    struct stat st;
    assert_int_not_equal(stat(P("badcodec"), &st), 0);
}

static void test_session_conf(void **state)
{
    (void)state;
    assert_int_equal(kiln_session_conf_set(S, "spark.sql.parquet.compression.codec", "zstd"),
                     KILN_OK);
    assert_int_equal(kiln_writer_parquet(kiln_df_write(kiln_sql(S, QUERY)), P("conf1")), KILN_OK);
    char names[8][128];
    assert_int_equal(parts(P("conf1"), ".zstd.parquet", names), 3);
    /* the write's option wins */
    kiln_writer *w = kiln_writer_option(kiln_df_write(kiln_sql(S, QUERY)), "compression", "gzip");
    assert_int_equal(kiln_writer_parquet(w, P("conf2")), KILN_OK);
    assert_int_equal(parts(P("conf2"), ".gz.parquet", names), 3);
    assert_int_equal(kiln_session_conf_set(S, "spark.sql.parquet.compression.codec", "snappy"),
                     KILN_OK);
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.parquet.outputTimestampType", "INT96"),
                     KILN_OK);
    assert_int_equal(
        kiln_writer_parquet(kiln_df_write(
                                kiln_sql(S, "SELECT TIMESTAMP '1960-05-06 07:08:09.123456' AS ts")),
                            P("conf3")),
        KILN_OK);
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.parquet.outputTimestampType",
                                           "TIMESTAMP_MICROS"),
                     KILN_OK);
    if (!kt_duck_available()) return;
    expect_duck("INT96\t-304707110876544\n",
                "SELECT (SELECT type FROM parquet_schema('%s/*.parquet') WHERE name = 'ts'), "
                "epoch_us(ts) FROM read_parquet('%s/*.parquet')",
                P("conf3"), P("conf3"));
}

static void test_empty_and_refused(void **state)
{
    (void)state;
    assert_int_equal(kiln_writer_parquet(kiln_df_write(kiln_sql(S, "SELECT id AS k, CAST(id AS "
                                                                   "STRING) AS s FROM range(0, "
                                                                   "100, 1, 3) WHERE id < 0")),
                                         P("empty")),
                     KILN_OK);
    char names[8][128];
    assert_int_equal(parts(P("empty"), ".snappy.parquet", names), 1);
    assert_non_null(strstr(names[0], "part-00000-"));
    if (kt_duck_available()) {
        expect_duck("0\n", "SELECT count(*) FROM read_parquet('%s/*.parquet')", P("empty"));
        expect_duck("k\tINT64\ns\tBYTE_ARRAY\n",
                    "SELECT name, type FROM parquet_schema('%s/*.parquet') WHERE name <> "
                    "'spark_schema'",
                    P("empty"));
    }
    /* Parquet has no intervals: Spark's error, nothing written. */
    int rc = kiln_writer_parquet(
        kiln_df_write(kiln_sql(S, "SELECT id, INTERVAL '1' DAY AS iv FROM range(0, 3)")), P("iv"));
    assert_int_not_equal(rc, KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE"));
    struct stat st;
    assert_int_not_equal(stat(P("iv"), &st), 0);
}

/* No file but part files and _SUCCESS, nor hidden staging beside path. */
static void no_leftovers(const char *path)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, "-kiln-")) fail_msg("left behind: %s", e->d_name);
    closedir(d);
    char names[8][128];
    (void)parts(path, ".snappy.parquet", names);
}

static void test_task_failure_retried(void **state)
{
    (void)state;
    /* The 2nd write(2) of the process fails once: one task's part file
     * write fails and the task runs again. */
    fault_arm(FAULT_WRITE, 2, false);
    int rc = kiln_writer_parquet(kiln_df_write(kiln_sql(S, QUERY)), P("retry"));
    uint64_t failures = fault_failures(FAULT_WRITE);
    fault_disarm_all();
    assert_int_equal(rc, KILN_OK);
    assert_int_equal(failures, 1);
    char names[8][128];
    assert_int_equal(parts(P("retry"), ".snappy.parquet", names), 3);
    no_leftovers(P("retry"));
    if (kt_duck_available()) check_query_rows(P("retry"));
}

static void test_failed_overwrite_keeps_old(void **state)
{
    (void)state;
    assert_int_equal(kiln_writer_parquet(kiln_df_write(kiln_sql(S, QUERY)), P("keep")), KILN_OK);
    /* ANSI: the bad cast in one row fails its task on every attempt. */
    kiln_writer *w = kiln_writer_mode(
        kiln_df_write(kiln_sql(S, "SELECT id AS k, CAST(CASE WHEN id = 4500 THEN 'x' ELSE '1' "
                                  "END AS INT) AS bad FROM range(0, 6000, 1, 3)")),
        "overwrite");
    assert_int_not_equal(kiln_writer_parquet(w, P("keep")), KILN_OK);
    /* Every writes fails: the overwrite job fails, the old output stays. */
    fault_arm(FAULT_WRITE, 1, true);
    w = kiln_writer_mode(kiln_df_write(kiln_sql(S, QUERY)), "overwrite");
    int rc = kiln_writer_parquet(w, P("keep"));
    fault_disarm_all();
    assert_int_not_equal(rc, KILN_OK);
    no_leftovers(P("keep"));
    if (kt_duck_available()) check_query_rows(P("keep"));
    /* and a good overwrite replaces it */
    w = kiln_writer_mode(kiln_df_write(kiln_sql(S, "SELECT 1 AS one")), "overwrite");
    assert_int_equal(kiln_writer_parquet(w, P("keep")), KILN_OK);
    if (kt_duck_available())
        expect_duck("1\n", "SELECT sum(one) FROM read_parquet('%s/*.parquet')", P("keep"));
    (void)duck;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_rows),
        cmocka_unit_test(test_session_conf),
        cmocka_unit_test(test_empty_and_refused),
        cmocka_unit_test(test_task_failure_retried),
        cmocka_unit_test(test_failed_overwrite_keeps_old),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
