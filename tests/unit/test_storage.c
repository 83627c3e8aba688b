/*
 * test_storage.c - persistence levels under memory pressure, and checkpoint.
 * A map counts its calls with an accumulator, so a test can tell a partition
 * read from storage from one computed again. With a 4 MiB budget (2 MiB for
 * storage) and 8 partitions of about 1 MiB each:
 *   MEMORY_ONLY      some partitions are dropped and recomputed; results equal;
 *   MEMORY_AND_DISK  every partition stays cached, some on disk; no recompute;
 *   MEMORY_ONLY_SER  smaller in memory than MEMORY_ONLY;
 *   DISK_ONLY        every partition on disk, none in memory; no recompute.
 * checkpoint() refuses without kiln.checkpoint.dir, writes files that outlive
 * the context, and cuts the lineage (the map never runs again).
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

#include "io/io.h"
#include "kiln.h"
#include "kt.h"

enum { N = 80000, PARTS = 8 };

/* x -> (x, "x padded to 40 bytes"), counting calls. */
static int widen(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int64_t acc;
    memcpy(&acc, env, sizeof acc);
    kiln_accumulator_add(t, acc, kiln_int(1));
    char s[48];
    snprintf(s, sizeof s, "%040lld", (long long)in->u.i);
    kiln_arena *a = kiln_task_arena(t);
    *out = kiln_pair(a, *in, kiln_str_new(a, s, 40));
    return 0;
}

typedef struct setup {
    char dir[64];
    kiln_context *ctx;
    int64_t acc;
    kiln_rdd *rdd;
} setup;

static void open_setup(setup *s, const char *budget, const char *ckpt)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/kiln-test-storage-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", "local[2]");
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    kiln_conf_set(conf, "kiln.local.dir", s->dir);
    kiln_conf_set(conf, "kiln.executor.memory", budget);
    if (ckpt) kiln_conf_set(conf, "kiln.checkpoint.dir", ckpt);
    assert_int_equal(kiln_context_new(conf, &s->ctx), KILN_OK);
    kiln_conf_free(conf);
    s->acc = kiln_accumulator_new(s->ctx, "calls", KILN_INT);
    s->rdd = kiln_rdd_map(kiln_range(s->ctx, 0, N, 1, PARTS), widen, &s->acc, sizeof s->acc);
}

static void close_setup(setup *s)
{
    kiln_context_free(s->ctx);
    rmdir(s->dir);
}

static int64_t calls(setup *s)
{
    return kiln_accumulator_value(s->ctx, s->acc).u.i;
}

/* Sum of the keys, and a count: the data is right. */
static void check_data(kiln_rdd *r)
{
    kiln_stats st;
    assert_int_equal(kiln_rdd_stats(kiln_rdd_keys(r), &st), KILN_OK);
    assert_int_equal(st.count, N);
    assert_true(st.sum == (double)N * (N - 1) / 2);
}

static void memory_only_drops_blocks_and_recomputes(void **state)
{
    setup s;
    open_setup(&s, "4m", NULL);
    kiln_rdd_persist(s.rdd, KILN_MEMORY_ONLY);
    check_data(s.rdd);
    int parts;
    int64_t mem;
    int disk;
    kiln_rdd_storage(s.rdd, &parts, &mem, &disk);
    assert_true(parts < PARTS); /* the storage half could not hold them all */
    assert_true(mem <= 2 << 20);
    assert_int_equal(disk, 0);
    check_data(s.rdd);
    assert_true(calls(&s) > N); /* dropped partitions were computed again */
    close_setup(&s);
}

static void memory_and_disk_keeps_every_block(void **state)
{
    setup s;
    open_setup(&s, "4m", NULL);
    kiln_rdd_persist(s.rdd, KILN_MEMORY_AND_DISK);
    check_data(s.rdd);
    int parts, disk;
    int64_t mem;
    kiln_rdd_storage(s.rdd, &parts, &mem, &disk);
    assert_int_equal(parts, PARTS);
    assert_true(disk > 0);
    assert_true(mem <= 2 << 20);
    check_data(s.rdd);
    check_data(s.rdd);
    assert_int_equal(calls(&s), N); /* never recomputed */
    close_setup(&s);
}

static void serialized_blocks_are_smaller(void **state)
{
    int64_t mem[2];
    kiln_storage_level levels[2] = {KILN_MEMORY_ONLY, KILN_MEMORY_ONLY_SER};
    for (int i = 0; i < 2; i++) {
        setup s;
        open_setup(&s, "1g", NULL);
        kiln_rdd_persist(s.rdd, levels[i]);
        check_data(s.rdd);
        check_data(s.rdd);
        int parts;
        kiln_rdd_storage(s.rdd, &parts, &mem[i], NULL);
        assert_int_equal(parts, PARTS);
        assert_int_equal(calls(&s), N);
        close_setup(&s);
    }
    assert_true(mem[1] < mem[0]);
}

static void disk_only_keeps_nothing_in_memory(void **state)
{
    setup s;
    open_setup(&s, "1g", NULL);
    kiln_rdd_persist(s.rdd, KILN_DISK_ONLY);
    check_data(s.rdd);
    int parts, disk;
    int64_t mem;
    kiln_rdd_storage(s.rdd, &parts, &mem, &disk);
    assert_int_equal(parts, PARTS);
    assert_int_equal(disk, PARTS);
    assert_int_equal(mem, 0);
    check_data(s.rdd);
    assert_int_equal(calls(&s), N);
    kiln_rdd_unpersist(s.rdd);
    kiln_rdd_storage(s.rdd, &parts, NULL, NULL);
    assert_int_equal(parts, 0);
    close_setup(&s);
}

static void checkpoint_cuts_the_lineage(void **state)
{
    setup s;
    open_setup(&s, "1g", NULL);
    assert_int_equal(kiln_rdd_checkpoint(s.rdd), KILN_ECONF);
    assert_non_null(strstr(kiln_last_error(), "kiln.checkpoint.dir"));
    close_setup(&s);

    char ckpt[] = "/tmp/kiln-test-ckpt-XXXXXX";
    assert_non_null(mkdtemp(ckpt));
    open_setup(&s, "1g", ckpt);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(s.rdd, kiln_fn_add, NULL, 0, 3);
    assert_int_equal(kiln_rdd_checkpoint(s.rdd), KILN_OK);
    assert_true(kiln_rdd_is_checkpointed(s.rdd));
    assert_int_equal(calls(&s), N); /* the checkpoint job computed it once */
    check_data(s.rdd);
    int64_t n;
    assert_int_equal(kiln_rdd_count(sums, &n), KILN_OK);
    assert_int_equal(n, N);
    assert_int_equal(calls(&s), N); /* read from the checkpoint, never recomputed */
    close_setup(&s);
    /* The files outlive the context. */
    char sub[512];
    assert_true(kt_find_entry(ckpt, "rdd-", sub, sizeof sub));
    assert_int_equal(kt_count_entries(sub, "part-"), PARTS);
    assert_int_equal(io_remove_tree(ckpt), KILN_OK);
}

/* setCheckpointDir: a directory set in code after start is where the
 * next checkpoint goes (over kiln.checkpoint.dir). */
static void checkpoint_dir_set_after_start(void **state)
{
    char ckpt[] = "/tmp/kiln-test-ckpt-XXXXXX";
    assert_non_null(mkdtemp(ckpt));
    char sub_dir[600];
    snprintf(sub_dir, sizeof sub_dir, "%s/made", ckpt);
    setup s;
    open_setup(&s, "1g", NULL);
    assert_int_equal(kiln_context_set_checkpoint_dir(s.ctx, ""), KILN_EINVAL);
    assert_int_equal(kiln_context_set_checkpoint_dir(s.ctx, sub_dir), KILN_OK);
    assert_int_equal(kiln_rdd_checkpoint(s.rdd), KILN_OK);
    check_data(s.rdd);
    close_setup(&s);
    char sub[512];
    assert_true(kt_find_entry(sub_dir, "rdd-", sub, sizeof sub));
    assert_int_equal(kt_count_entries(sub, "part-"), PARTS);
    assert_int_equal(io_remove_tree(ckpt), KILN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory_only_drops_blocks_and_recomputes),
        cmocka_unit_test(memory_and_disk_keeps_every_block),
        cmocka_unit_test(serialized_blocks_are_smaller),
        cmocka_unit_test(disk_only_keeps_nothing_in_memory),
        cmocka_unit_test(checkpoint_cuts_the_lineage),
        cmocka_unit_test(checkpoint_dir_set_after_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
