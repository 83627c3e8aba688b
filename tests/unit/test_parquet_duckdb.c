/*
 * tests/unit/test_parquet_duckdb.c - kiln's Parquet reader against DuckDB
 * as the second implementation: tests/parquet/duckdb_files.mjs (node +
 * @duckdb/node-api from $KILN_PEERS_DIR) writes files of every type DuckDB
 * writes (nested ones with nulls at every level and empty lists), every
 * codec, pages v1 and v2, small row groups, plain and dictionary, and a
 * Hive-partitioned dataset, each with DuckDB's own read of it in a
 * canonical text; kiln reads each through SQL (SELECT * in local[2]; CMake
 * reruns it with KT_MASTER=local-cluster[2,1,256], which reads the many
 * row groups file and the dataset only) and must give the same rows. A brotli
 * file must fail naming the file and the codec. Skips with a reason when
 * node or the package is absent.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"

static char *dir;
static bool have_duckdb;

typedef kiln_buf text;

static void put(text *t, const char *s, size_t n)
{
    assert_int_equal(kiln_buf_append(t, s, n), 0);
}

static void putf(text *t, const char *fmt, ...)
{
    char b[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    put(t, b, (size_t)n);
}

/* The canonical form of v (see tests/parquet/duckdb_files.mjs). */
static void canon(text *t, const kiln_value *v)
{
    switch (v->type) {
    case KILN_NULL:
        put(t, "N", 1);
        break;
    case KILN_BOOL:
        put(t, v->u.b ? "T" : "F", 1);
        break;
    case KILN_INT:
        putf(t, "i%lld", (long long)v->u.i);
        break;
    case KILN_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, 8);
        if (isnan(v->u.d)) put(t, "dNaN", 4);
        else putf(t, "d%016llx", (unsigned long long)bits);
        break;
    }
    case KILN_STR:
    case KILN_BYTES:
        put(t, v->type == KILN_STR ? "s" : "b", 1);
        for (uint32_t i = 0; i < v->len; i++) putf(t, "%02x", v->u.bytes[i]);
        break;
    case KILN_TUPLE:
    case KILN_LIST:
        put(t, v->type == KILN_LIST ? "[" : "(", 1);
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) put(t, ",", 1);
            canon(t, &v->u.items[i]);
        }
        put(t, v->type == KILN_LIST ? "]" : ")", 1);
        break;
    default:
        fail_msg("unexpected value type %d", v->type);
    }
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp((const char *)((const text *)a)->data, (const char *)((const text *)b)->data);
}

/* Rows of a collect as sorted canonical lines, in *all (NUL-terminated). */
static void canon_rows(const kiln_value *rows, text *all)
{
    text *lines = calloc(rows->len + 1, sizeof *lines);
    assert_non_null(lines);
    for (uint32_t r = 0; r < rows->len; r++) {
        kiln_buf_init(&lines[r]);
        const kiln_value *row = &rows->u.items[r];
        for (uint32_t c = 0; c < row->len; c++) {
            if (c) put(&lines[r], "|", 1);
            canon(&lines[r], &row->u.items[c]);
        }
        put(&lines[r], "\n", 2); /* with its NUL */
    }
    qsort(lines, rows->len, sizeof *lines, cmp_line);
    kiln_buf_init(all);
    for (uint32_t r = 0; r < rows->len; r++) {
        put(all, (const char *)lines[r].data, lines[r].len - 1);
        kiln_buf_release(&lines[r]);
    }
    put(all, "", 1);
    free(lines);
}

/* Runs the generator with fixed argv; false (with the reason printed)
 * when node or DuckDB is absent. */
static bool generate(void)
{
    char script[4096];
    char *cwd = getcwd(NULL, 0);
    snprintf(script, sizeof script, "%s/tests/parquet/duckdb_files.mjs", cwd);
    free(cwd);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execlp("node", "node", script, dir, "7", (char *)NULL);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 127 || WEXITSTATUS(st) == 3)) {
        printf("SKIP: node or @duckdb/node-api (in $KILN_PEERS_DIR or ~/.cache/kiln-peers) is "
               "absent\n");
        return false;
    }
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return true;
}

static int setup(void **state)
{
    (void)state;
    dir = kt_tmpdir_new();
    have_duckdb = generate();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_rm_rf(dir);
    free(dir);
    return 0;
}

/* kiln's read of path equals name.expected; returns false on a mismatch. */
static void check_read(kiln_session *s, const char *name, const char *path)
{
    char q[4200], exp_path[4200];
    snprintf(q, sizeof q, "SELECT * FROM parquet.`%s`", path);
    kiln_df *df = kiln_sql(s, q);
    assert_non_null(df);
    kiln_arena *a = kiln_arena_new();
    kiln_value rows;
    int rc = kiln_df_collect(df, a, &rows);
    if (rc) fail_msg("%s: %s", name, kiln_last_error());
    text gotb;
    canon_rows(&rows, &gotb);
    const char *got = (const char *)gotb.data;
    snprintf(exp_path, sizeof exp_path, "%s/%s.expected", dir, name);
    size_t len;
    char *want = kt_read_file(exp_path, &len);
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i]) i++;
        size_t from = i > 200 ? i - 200 : 0;
        fail_msg("%s differs from DuckDB at byte %zu:\nkiln:   %.400s\nduckdb: %.400s", name, i,
                 got + from, want + from);
    }
    printf("%s: %u rows as DuckDB reads them\n", name, rows.len);
    kiln_buf_release(&gotb);
    free(want);
    kiln_arena_free(a);
    kiln_df_free(df);
}

static void test_duckdb_files(void **state)
{
    (void)state;
    if (!have_duckdb) skip();
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), 0);
    char lp[4096];
    snprintf(lp, sizeof lp, "%s/list.txt", dir);
    size_t len;
    char *list = kt_read_file(lp, &len);
    int nfiles = 0;
    const char *m = getenv("KT_MASTER");
    bool cluster = m && strstr(m, "cluster");
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char name[256], kind[32], path[4096];
        assert_int_equal(sscanf(line, "%255s %31s", name, kind), 2);
        if (cluster && strcmp(name, "small_groups") != 0 && strcmp(name, "parts") != 0) continue;
        if (strcmp(kind, "dir") == 0) snprintf(path, sizeof path, "%s/%s", dir, name);
        else snprintf(path, sizeof path, "%s/%s.parquet", dir, name);
        if (strcmp(kind, "error") == 0) {
            char q[4200];
            snprintf(q, sizeof q, "SELECT * FROM parquet.`%s`", path);
            kiln_df *df = kiln_sql(s, q);
            int64_t n;
            assert_int_not_equal(kiln_df_count(df, &n), 0);
            const char *e = kiln_last_error();
            if (!strstr(e, path) || !strstr(e, "brotli") || !strstr(e, "not supported"))
                fail_msg("unclear error for %s: %s", name, e);
            kiln_df_free(df);
            continue;
        }
        check_read(s, name, path);
        nfiles++;
    }
    assert_true(nfiles >= (cluster ? 2 : 12));
    free(list);
    kiln_session_free(s);
    kiln_context_free(ctx);
}

int main(void)
{
    /* Started again as an executor of a local cluster: serve tasks from
     * here, before the group setup (DuckDB writing files for half a
     * minute) would run in it and keep the driver waiting. */
    kiln_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duckdb_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
