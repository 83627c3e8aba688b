/*
 * test_faults_io.c - fault simulation (base/fault.h, SQLite's way) over
 * the files jobs write and read: for N = 1, 2, ... the Nth read, write,
 * fsync or rename fails with EIO, once and then from then on, while a job
 * runs in local mode:
 *
 *   - save_as_text_file of a text file (input reads, part file writes, the
 *     part file's fsync, the task and job commit renames);
 *   - a shuffle (reduce_by_key): map output writes and publishing renames,
 *     reduce-side reads of index and data files;
 *   - a sort under a 1 MiB budget, which spills sorted runs and shuffle
 *     output and reads them back;
 *   - an RDD persisted DISK_ONLY, collected twice (the block store's disk
 *     level written, then read);
 *   - a shuffle on local-cluster[2,1,256] whose executors (armed through
 *     KILN_FAULTS) fail 3% of their reads and writes.
 *
 * Each run under local[2] (one attempt per task) and local[2,4] (tasks
 * retried). At every step: the job fails with a message naming the file
 * or succeeds with exactly the reference output (a retry got past a
 * transient fault); no partial output is visible (the output directory is
 * absent or complete with _SUCCESS; no _temporary, tmp_ or spill file
 * left); and the same RDD run again with faults off gives the reference
 * (the context stays usable). Leaks are LeakSanitizer's under make asan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "kiln.h"
#include "kt.h"
#include "kt_fault.h"

enum { MAX_STEPS = 400, LINES = 3000, KEYS = 50, SORT_N = 30000 };

static kiln_context *context_in(const char *master, const char *dir, const char *budget)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", master);
    kiln_conf_set(conf, "kiln.local.dir", dir);
    /* Map outputs in files, not memory: the files are what these tests damage. */
    kiln_conf_set(conf, "kiln.shuffle.memory", "0");
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    if (budget) kiln_conf_set(conf, "kiln.executor.memory", budget);
    kiln_context *ctx = NULL;
    KT_OK(kiln_context_new(conf, &ctx));
    kiln_conf_free(conf);
    return ctx;
}

/* No temporary file of a shuffle, spill or commit is left anywhere under
 * dir (the context's scratch directory and the outputs). */
static int leftovers(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "find '%s' \\( -name 'tmp_*' -o -name 'spill_*' -o -name '_temporary' "
             "-o -name 'attempt-*' \\) | grep -c . >/dev/null",
             dir);
    return system(cmd) == 0;
}

/* ---- save_as_text_file ----------------------------------------------------------------- */

typedef struct save_case {
    char *dir; /* scratch and output under it */
    char *input, *out;
    kiln_context *ctx;
    kiln_rdd *rdd;
    int round;
    char *want; /* the input's bytes */
    size_t want_len;
} save_case;

static char *out_path(save_case *c)
{
    char name[32];
    snprintf(name, sizeof name, "out-%d", c->round);
    return kt_path(c->dir, name);
}

static int save_run(void *arg)
{
    save_case *c = arg;
    free(c->out);
    c->round++;
    c->out = out_path(c);
    return kiln_rdd_save_as_text_file(c->rdd, c->out);
}

/* The output holds exactly the input's lines, in order, across its
 * parts; _SUCCESS is there and nothing temporary. */
static void save_check_ok(void *arg)
{
    save_case *c = arg;
    char *success = kt_path(c->out, "_SUCCESS");
    assert_true(kt_exists(success));
    free(success);
    size_t n = 0;
    char **names = kt_list_dir(c->out, &n);
    kiln_buf all;
    kiln_buf_init(&all);
    size_t parts = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], "part-", 5) != 0) {
            assert_string_equal(names[i], "_SUCCESS");
            continue;
        }
        char *p = kt_path(c->out, names[i]);
        size_t len;
        char *text = kt_read_file(p, &len);
        KT_OK(kiln_buf_append(&all, text, len));
        free(text);
        free(p);
        parts++;
    }
    kt_names_free(names, n);
    assert_true(parts >= 2);
    assert_int_equal(all.len, c->want_len);
    assert_memory_equal(all.data, c->want, c->want_len);
    kiln_buf_release(&all);
    assert_false(leftovers(c->dir));
    kt_rm_rf(c->out);
}

static void save_check_failed(void *arg, int rc)
{
    save_case *c = arg;
    (void)rc;
    /* A failed job leaves nothing at its output path. */
    assert_false(kt_exists(c->out));
    assert_false(leftovers(c->dir));
}

static void save_again(void *arg)
{
    save_case *c = arg;
    KT_OK(save_run(c));
    save_check_ok(c);
}

static void save_walks(const char *master)
{
    save_case c = {0};
    c.dir = kt_tmpdir_new();
    c.input = kt_path(c.dir, "input.txt");
    kiln_buf text;
    kiln_buf_init(&text);
    for (int i = 0; i < LINES; i++)
        KT_OK(buf_appendf(&text, "line %d of the input %x\n", i, i * 7919));
    kt_write_file(c.input, text.data, text.len);
    c.want = (char *)text.data;
    c.want_len = text.len;
    c.ctx = context_in(master, c.dir, NULL);
    c.rdd = kiln_text_file(c.ctx, c.input, 3);
    assert_non_null(c.rdd);
    kt_fault_op op = {.name = "save_as_text_file",
                      .run = save_run,
                      .check_ok = save_check_ok,
                      .check_failed = save_check_failed,
                      .again = save_again,
                      .must_name = c.dir,
                      .arg = &c};
    static const fault_site sites[] = {FAULT_READ, FAULT_WRITE, FAULT_FSYNC, FAULT_RENAME};
    for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++)
        kt_fault_walk_both(&op, sites[i], MAX_STEPS);
    kiln_context_free(c.ctx);
    kiln_buf_release(&text);
    free(c.out);
    free(c.input);
    kt_rm_rf(c.dir);
    free(c.dir);
}

static void save_as_text_file_under_io_faults(void **state)
{
    (void)state;
    save_walks("local[2]");
}

static void save_as_text_file_under_io_faults_with_retries(void **state)
{
    (void)state;
    save_walks("local[2,4]");
}

/* ---- A shuffle -------------------------------------------------------------------------- */

typedef struct shuffle_case {
    char *dir;
    kiln_context *ctx;
    kiln_arena *a;
    kiln_value got;
    bool sort; /* the spilling sort instead of reduce_by_key */
} shuffle_case;

static int mod_keys(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);
static int scatter(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);

/* A fresh graph each time: a shuffle computed once is reused by later jobs
 * and would write nothing. */
static int shuffle_run(void *arg)
{
    shuffle_case *c = arg;
    kiln_arena_reset(c->a);
    kiln_rdd *r;
    if (c->sort) {
        kiln_rdd *pairs = kiln_rdd_map(kiln_range(c->ctx, 0, SORT_N, 1, 4), scatter, NULL, 0);
        r = kiln_rdd_sort_by_key(pairs, true, 3);
    } else {
        kiln_rdd *pairs = kiln_rdd_map(kiln_range(c->ctx, 0, 20000, 1, 4), mod_keys, NULL, 0);
        r = kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, 3);
    }
    if (r == NULL) return kiln_set_error(KILN_ENOMEM, "cannot build the graph");
    return kiln_rdd_collect(r, c->a, &c->got);
}

static void shuffle_check_ok(void *arg)
{
    shuffle_case *c = arg;
    if (c->sort) {
        /* (k * 7919 % SORT_N, k) sorted by key: key i holds value i * 7919^-1. */
        assert_int_equal(c->got.len, SORT_N);
        for (uint32_t i = 0; i < c->got.len; i++) {
            const kiln_value *p = &c->got.u.items[i];
            assert_int_equal(kiln_key(p)->u.i, i);
            assert_int_equal(kiln_val(p)->u.i * 7919 % SORT_N, i);
        }
    } else {
        /* Counts of x % KEYS over [0, 20000), in any order. */
        assert_int_equal(c->got.len, KEYS);
        bool seen[KEYS] = {0};
        for (uint32_t i = 0; i < c->got.len; i++) {
            const kiln_value *p = &c->got.u.items[i];
            int64_t k = kiln_key(p)->u.i;
            assert_in_range(k, 0, KEYS - 1);
            assert_false(seen[k]);
            seen[k] = true;
            assert_int_equal(kiln_val(p)->u.i, 20000 / KEYS);
        }
    }
    assert_false(leftovers(c->dir));
}

static void shuffle_check_failed(void *arg, int rc)
{
    shuffle_case *c = arg;
    (void)rc;
    /* The message names the file, or, for a job whose reads of a map
     * output kept failing ("stage S abandoned after 4 fetch failures in a
     * row (last: shuffle 0, map output M)"), the map output: the file is
     * named by each fetch failure's warning. */
    const char *msg = kiln_last_error();
    if (!strstr(msg, c->dir) && !strstr(msg, "map output"))
        fail_msg("the message names neither a file nor a map output: %s", msg);
    assert_false(leftovers(c->dir));
}

static void shuffle_again(void *arg)
{
    KT_OK(shuffle_run(arg));
    shuffle_check_ok(arg);
}

static int mod_keys(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i % KEYS), kiln_int(1));
    return KILN_OK;
}

static int scatter(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i * 7919 % SORT_N), kiln_int(in->u.i));
    return KILN_OK;
}

static void shuffle_walks(const char *master, bool sort, const fault_site *sites, size_t nsites)
{
    shuffle_case c = {.sort = sort};
    c.dir = kt_tmpdir_new();
    c.a = kiln_arena_new();
    c.ctx = context_in(master, c.dir, sort ? "1m" : NULL);
    kt_fault_op op = {.name = sort ? "sort_by_key under 1m (spills)" : "reduce_by_key (shuffle)",
                      .run = shuffle_run,
                      .check_ok = shuffle_check_ok,
                      .check_failed = shuffle_check_failed,
                      .again = shuffle_again,
                      .must_name = NULL, /* shuffle_check_failed */
                      .arg = &c};
    for (size_t i = 0; i < nsites; i++) kt_fault_walk_both(&op, sites[i], MAX_STEPS);
    if (sort) {
        kiln_metrics m;
        kiln_context_metrics(c.ctx, &m);
        assert_true(m.spill_count > 0);
    }
    kiln_context_free(c.ctx);
    kiln_arena_free(c.a);
    assert_int_equal(kt_count_entries(c.dir, ""), 0); /* scratch removed with the context */
    kt_rm_rf(c.dir);
    free(c.dir);
}

static const fault_site shuffle_sites[] = {FAULT_WRITE, FAULT_RENAME, FAULT_READ};

static void shuffle_under_io_faults(void **state)
{
    (void)state;
    shuffle_walks("local[2]", false, shuffle_sites, 3);
}

static void shuffle_under_io_faults_with_retries(void **state)
{
    (void)state;
    shuffle_walks("local[2,4]", false, shuffle_sites, 3);
}

static const fault_site spill_sites[] = {FAULT_WRITE, FAULT_READ};

static void spilling_sort_under_io_faults(void **state)
{
    (void)state;
    shuffle_walks("local[2]", true, spill_sites, 2);
}

/* ---- The block store's disk level --------------------------------------------------------- */

static int square(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    (void)env;
    *out = kiln_int(in->u.i * in->u.i);
    return KILN_OK;
}

typedef struct cache_case {
    char *dir;
    kiln_context *ctx;
    kiln_arena *a;
    kiln_value got[2];
} cache_case;

/* A fresh DISK_ONLY RDD collected twice: the first job writes its blocks,
 * the second reads them back. */
static int cache_run(void *arg)
{
    cache_case *c = arg;
    kiln_arena_reset(c->a);
    kiln_rdd *r = kiln_rdd_persist(kiln_rdd_map(kiln_range(c->ctx, 0, 30000, 1, 3), square, NULL,
                                                0),
                                   KILN_DISK_ONLY);
    int rc = kiln_rdd_collect(r, c->a, &c->got[0]);
    if (rc == KILN_OK) rc = kiln_rdd_collect(r, c->a, &c->got[1]);
    return rc;
}

static void cache_check_ok(void *arg)
{
    cache_case *c = arg;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(c->got[k].len, 30000);
        for (uint32_t i = 0; i < c->got[k].len; i++)
            assert_int_equal(c->got[k].u.items[i].u.i, (int64_t)i * i);
    }
}

static void cache_check_failed(void *arg, int rc)
{
    cache_case *c = arg;
    (void)rc;
    const char *msg = kiln_last_error();
    if (!strstr(msg, c->dir)) fail_msg("the message does not name the file: %s", msg);
}

static void cache_again(void *arg)
{
    KT_OK(cache_run(arg));
    cache_check_ok(arg);
}

static void disk_cache_under_io_faults(void **state)
{
    (void)state;
    static const char *const masters[] = {"local[2]", "local[2,4]"};
    for (int m = 0; m < 2; m++) {
        cache_case c = {0};
        c.dir = kt_tmpdir_new();
        c.a = kiln_arena_new();
        c.ctx = context_in(masters[m], c.dir, NULL);
        kt_fault_op op = {.name = m ? "DISK_ONLY cache (retries)" : "DISK_ONLY cache",
                          .run = cache_run,
                          .check_ok = cache_check_ok,
                          .check_failed = cache_check_failed,
                          .again = cache_again,
                          .arg = &c};
        kt_fault_walk_both(&op, FAULT_WRITE, MAX_STEPS);
        kt_fault_walk_both(&op, FAULT_READ, MAX_STEPS);
        kiln_context_free(c.ctx);
        kiln_arena_free(c.a);
        assert_int_equal(kt_count_entries(c.dir, ""), 0);
        kt_rm_rf(c.dir);
        free(c.dir);
    }
}

/* ---- Executors under random faults ---------------------------------------------------------- */

/* Executors of a local cluster arm their faults from KILN_FAULTS at
 * kiln_init (base/fault.h): 3% of their reads and writes fail, so map
 * outputs fail to be written, served and read in other processes. Each
 * job must give the reference or fail with a message; nothing is left. */
static void shuffle_on_local_cluster_with_executor_faults(void **state)
{
    (void)state;
    shuffle_case c = {.sort = false};
    c.dir = kt_tmpdir_new();
    c.a = kiln_arena_new();
    setenv("KILN_FAULTS", "write:p=0.03:seed=11,read:p=0.03:seed=12", 1);
    c.ctx = context_in("local-cluster[2,1,256]", c.dir, NULL);
    unsetenv("KILN_FAULTS"); /* the executors have it; this process is not armed */
    int ok = 0, failed = 0;
    kt_stderr_capture_start();
    for (int i = 0; i < 6; i++) {
        int rc = shuffle_run(&c);
        if (rc == KILN_OK) {
            ok++;
            shuffle_check_ok(&c);
        } else {
            failed++;
            assert_true(kiln_last_error()[0] != '\0');
            shuffle_check_failed(&c, rc);
        }
    }
    char *log = kt_stderr_capture_stop();
    /* The executors did meet faults: the driver logged their lost tasks
     * and fetch failures. */
    assert_non_null(strstr(log, "Input/output error"));
    free(log);
    printf("[ fault    ] reduce_by_key on local-cluster[2,1,256], executors at 3%% read and "
           "write faults: %d jobs right, %d failed cleanly\n",
           ok, failed);
    kiln_context_free(c.ctx);
    kiln_arena_free(c.a);
    kt_rm_rf(c.dir);
    free(c.dir);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_as_text_file_under_io_faults),
        cmocka_unit_test(save_as_text_file_under_io_faults_with_retries),
        cmocka_unit_test(shuffle_under_io_faults),
        cmocka_unit_test(shuffle_under_io_faults_with_retries),
        cmocka_unit_test(spilling_sort_under_io_faults),
        cmocka_unit_test(disk_cache_under_io_faults),
        cmocka_unit_test(shuffle_on_local_cluster_with_executor_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
