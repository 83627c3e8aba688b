/*
 * test_fetch_failure.c - shuffle files under the engine: a byte damaged in a
 * committed shuffle file is detected when a later job reads it, only the lost
 * map output is recomputed (counted with an accumulator), and the job's
 * answer is unchanged, with every codec and with a single attempt per task
 * (a fetch failure is not a task failure). A full disk while writing shuffle
 * files fails the job with the path, and scratch files are gone afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fault.h"
#include "io/io.h"
#include "kiln.h"
#include "kt.h"

enum { N = 20000, MAPS = 4, REDUCERS = 3, KEYS = 100 };

/* x -> (x % KEYS, 1), counting calls in the accumulator whose id is env. */
static int key_and_count(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int64_t acc;
    memcpy(&acc, env, sizeof acc);
    kiln_accumulator_add(t, acc, kiln_int(1));
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i % KEYS), kiln_int(1));
    return 0;
}

static int cmp_values(const void *a, const void *b)
{
    return kiln_value_cmp(a, b);
}

/* Finds the app directory kiln made under base (kiln-XXXXXX). */
static void app_dir(const char *base, char *out, size_t n)
{
    assert_true(kt_find_entry(base, "kiln-", out, n));
}

static int entries(const char *dir)
{
    return kt_count_entries(dir, "");
}

/* Size of the file at path. */
static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static kiln_context *context_in(const char *base, const char *codec)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", "local[2]"); /* one attempt per task */
    kiln_conf_set(conf, "kiln.local.dir", base);
    /* Map outputs in files, not memory: the files are what these tests damage. */
    kiln_conf_set(conf, "kiln.shuffle.memory", "0");
    kiln_conf_set(conf, "kiln.shuffle.compress.codec", codec);
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    return ctx;
}

static void check_counts(const kiln_value *got)
{
    assert_int_equal(got->len, KEYS);
    for (uint32_t i = 0; i < got->len; i++) {
        const kiln_value *p = &got->u.items[i];
        assert_int_equal(kiln_key(p)->u.i, i);
        assert_int_equal(kiln_val(p)->u.i, N / KEYS);
    }
}

static void corrupted_shuffle_file_is_recomputed(const char *codec)
{
    char base[] = "/tmp/kiln-test-fetch-XXXXXX";
    assert_non_null(mkdtemp(base));
    kiln_context *ctx = context_in(base, codec);
    int64_t acc = kiln_accumulator_new(ctx, "map calls", KILN_INT);
    kiln_value *vals = malloc(sizeof *vals * N);
    for (int i = 0; i < N; i++) vals[i] = kiln_int(i);
    kiln_rdd *pairs = kiln_rdd_map(kiln_parallelize(ctx, vals, N, MAPS), key_and_count, &acc,
                                   sizeof acc);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, REDUCERS);
    kiln_arena *a = kiln_arena_new();
    kiln_value got;
    assert_int_equal(kiln_rdd_collect(counts, a, &got), KILN_OK);
    qsort((void *)got.u.items, got.len, sizeof(kiln_value), cmp_values);
    check_counts(&got);
    assert_int_equal(kiln_accumulator_value(ctx, acc).u.i, N);

    /* Damage map output 1 in the middle of its data file. */
    char dir[512], path[640];
    app_dir(base, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/shuffle/shuffle_0_1.data", dir);
    long size = file_size(path);
    assert_true(size > 40);
    kt_flip_byte(path, size / 2, 0xff);

    /* The shuffle is reused: only map output 1 (N / MAPS records) reruns. */
    assert_int_equal(kiln_rdd_collect(counts, a, &got), KILN_OK);
    qsort((void *)got.u.items, got.len, sizeof(kiln_value), cmp_values);
    check_counts(&got);
    assert_int_equal(kiln_accumulator_value(ctx, acc).u.i, N + N / MAPS);

    kiln_arena_free(a);
    free(vals);
    kiln_context_free(ctx);
    assert_int_equal(entries(base), 0); /* scratch files removed with the context */
    rmdir(base);
}

static void corrupted_lz4_block_recomputes_only_the_lost_map(void **state)
{
    corrupted_shuffle_file_is_recomputed("lz4");
}

static void corrupted_zstd_block_recomputes_only_the_lost_map(void **state)
{
    corrupted_shuffle_file_is_recomputed("zstd");
}

static void corrupted_uncompressed_block_recomputes_only_the_lost_map(void **state)
{
    corrupted_shuffle_file_is_recomputed("none");
}

/* partition_by streams its records from the shuffle as it goes: a damaged
 * block found mid-stream is still a fetch failure that recomputes only the
 * lost map output. */
static void corrupted_block_read_while_streaming_is_recomputed(void **state)
{
    char base[] = "/tmp/kiln-test-fetch-XXXXXX";
    assert_non_null(mkdtemp(base));
    kiln_context *ctx = context_in(base, "lz4");
    int64_t acc = kiln_accumulator_new(ctx, "map calls", KILN_INT);
    kiln_value *vals = malloc(sizeof *vals * N);
    for (int i = 0; i < N; i++) vals[i] = kiln_int(i);
    kiln_rdd *pairs = kiln_rdd_map(kiln_parallelize(ctx, vals, N, MAPS), key_and_count, &acc,
                                   sizeof acc);
    kiln_rdd *moved = kiln_rdd_partition_by(pairs, REDUCERS, NULL, NULL, 0);
    kiln_arena *a = kiln_arena_new();
    kiln_value first, again;
    assert_int_equal(kiln_rdd_collect(moved, a, &first), KILN_OK);
    assert_int_equal(first.len, N);

    char dir[512], path[640];
    app_dir(base, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/shuffle/shuffle_0_2.data", dir);
    kt_flip_byte(path, file_size(path) - 5, 0x10);

    assert_int_equal(kiln_rdd_collect(moved, a, &again), KILN_OK);
    assert_int_equal(again.len, N);
    qsort((void *)first.u.items, N, sizeof(kiln_value), cmp_values);
    qsort((void *)again.u.items, N, sizeof(kiln_value), cmp_values);
    for (int i = 0; i < N; i++) assert_true(kiln_value_eq(&first.u.items[i], &again.u.items[i]));
    assert_int_equal(kiln_accumulator_value(ctx, acc).u.i, N + N / MAPS);
    kiln_arena_free(a);
    free(vals);
    kiln_context_free(ctx);
    assert_int_equal(entries(base), 0);
    rmdir(base);
}

static void full_disk_fails_the_job_naming_the_file(void **state)
{
    char base[] = "/tmp/kiln-test-fetch-XXXXXX";
    assert_non_null(mkdtemp(base));
    kiln_context *ctx = context_in(base, "lz4");
    kiln_rdd *pairs = kiln_rdd_map(kiln_range(ctx, 0, 5000, 1, 2), kiln_fn_pair_one, NULL, 0);
    kiln_rdd *counts = kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, 2);
    int64_t n = -1;
    fault_arm(FAULT_WRITE, 1, false);
    fault_set_errno(FAULT_WRITE, ENOSPC);
    int rc = kiln_rdd_count(counts, &n);
    fault_disarm_all();
    assert_int_equal(rc, KILN_EIO);
    assert_non_null(strstr(kiln_last_error(), base));
    assert_non_null(strstr(kiln_last_error(), "No space left on device"));
    assert_non_null(strstr(kiln_last_error(), "stage"));
    /* Nothing half-written stays behind, and a new job works. */
    char dir[512], sdir[640];
    app_dir(base, dir, sizeof dir);
    snprintf(sdir, sizeof sdir, "%s/shuffle", dir);
    assert_int_equal(kt_count_entries(sdir, "tmp_"), 0);
    assert_int_equal(kiln_rdd_count(counts, &n), KILN_OK);
    assert_int_equal(n, 5000);
    kiln_context_free(ctx);
    assert_int_equal(entries(base), 0);
    rmdir(base);
}

static void full_disk_while_saving_leaves_no_output(void **state)
{
    char base[] = "/tmp/kiln-test-fetch-XXXXXX";
    assert_non_null(mkdtemp(base));
    kiln_context *ctx = context_in(base, "lz4");
    kiln_rdd *nums = kiln_range(ctx, 0, 200000, 1, 4);
    char out[256];
    snprintf(out, sizeof out, "%s/out", base);
    for (long nth = 1; nth <= 3; nth++) {
        fault_arm(FAULT_WRITE, nth, false);
        fault_set_errno(FAULT_WRITE, ENOSPC);
        int rc = kiln_rdd_save_as_text_file(nums, out);
        fault_disarm_all();
        assert_int_equal(rc, KILN_EIO);
        assert_non_null(strstr(kiln_last_error(), out)); /* names the directory */
        assert_non_null(strstr(kiln_last_error(), "No space left on device"));
        assert_int_equal(access(out, F_OK), -1); /* nothing partial at the output */
    }
    assert_int_equal(kiln_rdd_save_as_text_file(nums, out), KILN_OK);
    char success[300];
    snprintf(success, sizeof success, "%s/_SUCCESS", out);
    assert_int_equal(access(success, F_OK), 0);
    kiln_context_free(ctx);
    assert_int_equal(io_remove_tree(base), KILN_OK);
}

static void bad_codec_is_refused(void **state)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.shuffle.compress.codec", "snappy");
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_ECONF);
    assert_non_null(strstr(kiln_last_error(), "snappy"));
    kiln_conf_free(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corrupted_lz4_block_recomputes_only_the_lost_map),
        cmocka_unit_test(corrupted_zstd_block_recomputes_only_the_lost_map),
        cmocka_unit_test(corrupted_uncompressed_block_recomputes_only_the_lost_map),
        cmocka_unit_test(corrupted_block_read_while_streaming_is_recomputed),
        cmocka_unit_test(full_disk_fails_the_job_naming_the_file),
        cmocka_unit_test(full_disk_while_saving_leaves_no_output),
        cmocka_unit_test(bad_codec_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
