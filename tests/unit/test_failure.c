/*
 * test_failure.c - task failures: retries under local[N,F], jobs that fail
 * with a message naming the user's error and the attempt, output and
 * accumulators that only reflect successful attempts, bad records in
 * key-value operations, and errors carried through a chain of
 * transformations to the action.
 *
 * The user functions count their calls in process-wide atomics: in local
 * mode every task runs in this process.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"
#include "kt_fns.h"

static atomic_int calls;

/* ---- User functions ------------------------------------------------------------------ */

/* Fails the first *env attempts of every task, then passes values through. */
static int flaky_map_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (kiln_task_attempt(t) < *(const int *)env)
        return kiln_task_fail(t, "flaky map failed on purpose (attempt %d)", kiln_task_attempt(t));
    *out = *in;
    return 0;
}

/* Fails on attempt 0 once part of the partition went through: on the
 * values whose last digit is 9. */
static int late_flaky_map_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (kiln_task_attempt(t) == 0 && in->type == KILN_INT && in->u.i % 10 == 9)
        return kiln_task_fail(t, "late failure at value %lld", (long long)in->u.i);
    *out = *in;
    return 0;
}

/* Always fails, counting its calls. */
static int cursed_map_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    atomic_fetch_add(&calls, 1);
    return kiln_task_fail(t, "record %lld is cursed", (long long)in->u.i);
}

/* Fails always, but only in partition *env. */
static int cursed_partition_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (kiln_task_partition(t) == *(const int *)env)
        return kiln_task_fail(t, "partition %d is cursed", kiln_task_partition(t));
    *out = *in;
    return 0;
}

/* Reduce-side: add, failing on attempt 0. */
static int flaky_add_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
                        const void *env)
{
    if (kiln_task_attempt(t) == 0) return kiln_task_fail(t, "flaky add failed on purpose");
    return kt_add_fn(t, x, y, out, env);
}

/* Adds 1 per record to the accumulator (env); on attempt 0 of partition 0
 * fails after adding for the record whose value ends in 5. */
static int count_then_fail_fn(kiln_task *t, const kiln_value *in, const void *env)
{
    int rc = kiln_accumulator_add(t, *(const int64_t *)env, kiln_int(1));
    if (rc != KILN_OK) return rc;
    if (kiln_task_partition(t) == 0 && kiln_task_attempt(t) == 0 && in->u.i % 10 == 5)
        return kiln_task_fail(t, "fail after counting");
    return 0;
}

/* The same per partition: adds every record, then fails attempt 0 of
 * partition 0 at the end. */
static int count_partition_then_fail_fn(kiln_task *t, int index, kiln_in *in, const void *env)
{
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) == 1)
        if ((rc = kiln_accumulator_add(t, *(const int64_t *)env, kiln_int(1))) != KILN_OK)
            return rc;
    if (rc < 0) return rc;
    if (index == 0 && kiln_task_attempt(t) == 0)
        return kiln_task_fail(t, "fail after counting the partition");
    return 0;
}

static int out_of_range_partitioner(const kiln_value *key, int num_partitions, const void *env)
{
    return num_partitions; /* one past the last */
}

/* ---- Helpers -------------------------------------------------------------------------------- */

static kiln_value range_list(kiln_arena *a, int64_t n)
{
    kiln_value *v = ref_alloc(a, (size_t)n);
    for (int64_t i = 0; i < n; i++) v[i] = kiln_int(i);
    return kiln_list_ref(v, (size_t)n);
}

static void expect_error_mentions(const char *what)
{
    const char *msg = kiln_last_error();
    KT_CHECK(kt_contains_nocase(msg, what), "the error does not mention \"%s\": %s", what, msg);
}

/* ---- Retries --------------------------------------------------------------------------------- */

static void first_attempt_failure_is_retried_and_succeeds_under_local_2_3(void **state)
{
    kiln_context *ctx = kt_context_new("local[2,3]");
    kiln_arena *a = kiln_arena_new();
    kt_set_case("retry under local[2,3]");
    KT_CHECK(kiln_context_max_attempts(ctx) == 3, "max attempts %d",
             kiln_context_max_attempts(ctx));
    kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 1000, 1, 6));
    kiln_value want = range_list(a, 1000);
    for (int failures = 1; failures <= 2; failures++) {
        kt_case_detail("map failing the first %d attempts", failures);
        kiln_rdd *m = kt_rdd(kiln_rdd_map(x, flaky_map_fn, &failures, sizeof failures));
        kiln_value got = kt_collect(m, a);
        kt_expect_list(&got, &want);
    }

    /* A failure on the map side and on the reduce side of a shuffle. */
    kt_case_detail("flaky map before a shuffle, flaky reduce after it");
    int one = 1;
    kiln_rdd *pairs = kt_rdd(kiln_rdd_map(kt_rdd(kiln_rdd_map(x, flaky_map_fn, &one, sizeof one)),
                                          kiln_fn_pair_one, NULL, 0));
    kiln_rdd *sums = kt_rdd(kiln_rdd_reduce_by_key(pairs, flaky_add_fn, NULL, 0, 3));
    kiln_rdd *twice = kt_rdd(kiln_rdd_union(pairs, pairs));
    kiln_rdd *twos = kt_rdd(kiln_rdd_reduce_by_key(twice, flaky_add_fn, NULL, 0, 3));
    KT_CHECK(kt_count(sums) == 1000, "reduce_by_key of distinct keys lost records");
    kiln_value got = kt_collect(twos, a);
    kiln_value *w = ref_alloc(a, 1000);
    for (int i = 0; i < 1000; i++) w[i] = ref_pair(a, kiln_int(i), kiln_int(2));
    kiln_value wl = kiln_list_ref(w, 1000);
    kt_expect_multiset(a, &got, &wl);
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void always_failing_function_fails_after_all_attempts_naming_them(void **state)
{
    kiln_context *ctx = kt_context_new("local[2,3]");
    kiln_arena *a = kiln_arena_new();
    kt_set_case("always failing under local[2,3]");
    atomic_store(&calls, 0);
    kiln_rdd *one = kt_rdd(kiln_range(ctx, 42, 43, 1, 1));
    kiln_rdd *m = kt_rdd(kiln_rdd_map(one, cursed_map_fn, NULL, 0));
    kiln_value out;
    KT_FAILS(kiln_rdd_collect(m, a, &out));
    KT_CHECK(strstr(kiln_last_error(), "record 42 is cursed") != NULL,
             "the error lacks the user's message: %s", kiln_last_error());
    expect_error_mentions("attempt");
    expect_error_mentions("partition");
    expect_error_mentions("stage");
    KT_CHECK(atomic_load(&calls) == 3, "the function ran %d times, not once per attempt (3)",
             atomic_load(&calls));

    /* The context still runs jobs afterwards. */
    KT_CHECK(kt_count(one) == 1, "count after a failed job");
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void first_attempt_failure_fails_the_job_under_plain_local_2(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kt_set_case("no retry under local[2]");
    KT_CHECK(kiln_context_max_attempts(ctx) == 1, "max attempts %d in local mode",
             kiln_context_max_attempts(ctx));
    int failures = 1;
    kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 100, 1, 4));
    kiln_rdd *m = kt_rdd(kiln_rdd_map(x, flaky_map_fn, &failures, sizeof failures));
    kiln_value out;
    KT_FAILS(kiln_rdd_collect(m, a, &out));
    KT_CHECK(strstr(kiln_last_error(), "flaky map failed on purpose") != NULL,
             "the error lacks the user's message: %s", kiln_last_error());
    expect_error_mentions("attempt");

    /* After a shuffle too. */
    kiln_rdd *pairs = kt_rdd(kiln_rdd_map(x, kiln_fn_pair_one, NULL, 0));
    kiln_rdd *twice = kt_rdd(kiln_rdd_union(pairs, pairs));
    KT_FAILS(
        kiln_rdd_collect(kt_rdd(kiln_rdd_reduce_by_key(twice, flaky_add_fn, NULL, 0, 2)), a, &out));
    KT_CHECK(strstr(kiln_last_error(), "flaky add failed on purpose") != NULL,
             "the error lacks the user's message: %s", kiln_last_error());
    KT_CHECK(kt_count(x) == 100, "count after a failed job");
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

/* ---- Output and accumulators only see successful attempts ------------------------------- */

static void failed_save_as_text_file_leaves_no_output_directory(void **state)
{
    static const char *const masters[] = {"local[2]", "local[2,3]", "local[8,2]"};
    for (size_t m = 0; m < 3; m++) {
        kiln_context *ctx = kt_context_new(masters[m]);
        kt_set_case("failed save, master %s", masters[m]);
        char *tmp = kt_tmpdir_new();
        char *out = kt_path(tmp, "out");
        int cursed = 2;
        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 500, 1, 5));
        kiln_rdd *bad = kt_rdd(kiln_rdd_map(x, cursed_partition_fn, &cursed, sizeof cursed));
        KT_FAILS(kiln_rdd_save_as_text_file(bad, out));
        KT_CHECK(strstr(kiln_last_error(), "partition 2 is cursed") != NULL,
                 "the error lacks the user's message: %s", kiln_last_error());
        KT_CHECK(!kt_exists(out), "a failed save left %s behind", out);
        /* The path is free for a later, successful save. */
        KT_OK(kiln_rdd_save_as_text_file(x, out));
        char *success = kt_path(out, "_SUCCESS");
        KT_CHECK(kt_exists(success), "_SUCCESS missing after the successful save");
        free(success);
        kt_rm_rf(tmp);
        free(out);
        free(tmp);
        kiln_context_free(ctx);
    }
}

static void retried_save_as_text_file_keeps_only_the_successful_attempt(void **state)
{
    kiln_context *ctx = kt_context_new("local[2,3]");
    kt_set_case("retried save");
    char *tmp = kt_tmpdir_new();
    char *out = kt_path(tmp, "out");
    kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 200, 1, 4));
    kiln_rdd *m = kt_rdd(kiln_rdd_map(x, late_flaky_map_fn, NULL, 0));
    KT_OK(kiln_rdd_save_as_text_file(m, out));
    for (int p = 0; p < 4; p++) {
        char name[32], want[512];
        snprintf(name, sizeof name, "part-%05d", p);
        size_t n = 0;
        for (int v = p * 50; v < (p + 1) * 50; v++)
            n += (size_t)snprintf(want + n, sizeof want - n, "%d\n", v);
        char *path = kt_path(out, name);
        size_t len;
        char *got = kt_read_file(path, &len);
        KT_CHECK(got && len == n && !memcmp(got, want, n),
                 "%s does not hold exactly the successful attempt's values", path);
        free(got);
        free(path);
    }
    char *temp = kt_path(out, "_temporary");
    KT_CHECK(!kt_exists(temp), "_temporary left in the output");
    free(temp);
    kt_rm_rf(tmp);
    free(out);
    free(tmp);
    kiln_context_free(ctx);
}

static void accumulators_count_only_successful_attempts(void **state)
{
    kiln_context *ctx = kt_context_new("local[2,3]");
    kt_set_case("accumulators and retries");
    kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 1000, 1, 4));

    int64_t id = kiln_accumulator_new(ctx, "records", KILN_INT);
    KT_CHECK(id > 0, "kiln_accumulator_new failed: %s", kiln_last_error());
    KT_OK(kiln_rdd_foreach(x, count_then_fail_fn, &id, sizeof id));
    kiln_value v = kiln_accumulator_value(ctx, id);
    KT_CHECK(v.type == KILN_INT && v.u.i == 1000, "foreach with a retry counted %s, not 1000",
             kt_fmt(&v));

    int64_t pid = kiln_accumulator_new(ctx, "partition records", KILN_INT);
    KT_OK(kiln_rdd_foreach_partition(x, count_partition_then_fail_fn, &pid, sizeof pid));
    v = kiln_accumulator_value(ctx, pid);
    KT_CHECK(v.type == KILN_INT && v.u.i == 1000,
             "foreach_partition with a retry counted %s, not 1000", kt_fmt(&v));

    /* A map that counts, retried, under an action: counts once. */
    int64_t mid = kiln_accumulator_new(ctx, "map records", KILN_INT);
    kiln_rdd *counted = kt_rdd(kiln_rdd_map(x, kt_count_map_fn, &mid, sizeof mid));
    kiln_rdd *flaky = kt_rdd(kiln_rdd_map(counted, late_flaky_map_fn, NULL, 0));
    KT_CHECK(kt_count(flaky) == 1000, "count");
    v = kiln_accumulator_value(ctx, mid);
    KT_CHECK(v.type == KILN_INT && v.u.i == 1000, "a retried map counted %s, not 1000", kt_fmt(&v));

    /* A task that never succeeds adds nothing. */
    kiln_context *one = kt_context_new("local[1,2]");
    int64_t fid = kiln_accumulator_new(one, "never", KILN_INT);
    int zero_part = 0;
    kiln_rdd *single = kt_rdd(kiln_range(one, 0, 10, 1, 1));
    kiln_rdd *c = kt_rdd(kiln_rdd_map(single, kt_count_map_fn, &fid, sizeof fid));
    kiln_rdd *doomed = kt_rdd(kiln_rdd_map(c, cursed_partition_fn, &zero_part, sizeof zero_part));
    int64_t n;
    KT_FAILS(kiln_rdd_count(doomed, &n));
    v = kiln_accumulator_value(one, fid);
    KT_CHECK(v.type == KILN_INT && v.u.i == 0, "a failed task's updates counted: %s", kt_fmt(&v));
    kiln_context_free(one);
    kiln_context_free(ctx);
}

/* ---- Bad records and bad arguments ----------------------------------------------------------- */

typedef kiln_rdd *(*kv_op)(kiln_rdd *r);
static kiln_rdd *op_reduce_by_key(kiln_rdd *r)
{
    return kiln_rdd_reduce_by_key(r, kiln_fn_add, NULL, 0, 2);
}
static kiln_rdd *op_group_by_key(kiln_rdd *r)
{
    return kiln_rdd_group_by_key(r, 2);
}
static kiln_rdd *op_sort_by_key(kiln_rdd *r)
{
    return kiln_rdd_sort_by_key(r, true, 2);
}
static kiln_rdd *op_join(kiln_rdd *r)
{
    return kiln_rdd_join(r, r, 2);
}
static kiln_rdd *op_keys(kiln_rdd *r)
{
    return kiln_rdd_keys(r);
}
static kiln_rdd *op_partition_by(kiln_rdd *r)
{
    return kiln_rdd_partition_by(r, 3, NULL, NULL, 0);
}

static void non_pair_record_in_key_value_operation_fails_with_a_message(void **state)
{
    static const struct {
        const char *name;
        kv_op op;
    } ops[] = {
        {"reduce_by_key", op_reduce_by_key},
        {"group_by_key", op_group_by_key},
        {"sort_by_key", op_sort_by_key},
        {"join", op_join},
        {"keys", op_keys},
        {"partition_by", op_partition_by},
    };
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2,2]");
    kiln_value p1 = ref_pair(a, kiln_int(1), kiln_int(2));
    kiln_value p2 = ref_pair(a, kiln_str_ref("k", 1), kiln_int(5));
    kiln_value in[4] = {p1, kiln_int(3), p2, kiln_str_ref("not a pair", 10)};
    kiln_rdd *x = kt_rdd(kiln_parallelize(ctx, in, 4, 2));
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        kt_set_case("non-pair record in %s", ops[i].name);
        kiln_rdd *r = ops[i].op(x);
        kiln_value out;
        KT_CHECK(r == NULL || kiln_rdd_collect(r, a, &out) != KILN_OK,
                 "%s accepted a record that is not a pair", ops[i].name);
        const char *msg = kiln_last_error();
        KT_CHECK(kt_contains_nocase(msg, "pair") || kt_contains_nocase(msg, "tuple") ||
                     kt_contains_nocase(msg, "key"),
                 "the error does not say what is wrong: \"%s\"", msg);
    }
    int64_t n;
    KT_OK(kiln_rdd_count(x, &n));
    KT_CHECK(n == 4, "count after failed jobs");
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void partitioner_returning_out_of_range_fails_the_job(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_arena *a = kiln_arena_new();
    kt_set_case("partitioner out of range");
    kiln_rdd *x = kt_rdd(
        kiln_rdd_map(kt_rdd(kiln_range(ctx, 0, 50, 1, 3)), kiln_fn_pair_one, NULL, 0));
    kiln_rdd *p = kiln_rdd_partition_by(x, 4, out_of_range_partitioner, NULL, 0);
    kiln_value out;
    KT_CHECK(p == NULL || kiln_rdd_collect(p, a, &out) != KILN_OK,
             "a partition index out of range was accepted");
    KT_CHECK(kiln_last_error()[0] != '\0', "no error message");
    kiln_arena_free(a);
    kiln_context_free(ctx);
}

static void error_in_a_transformation_chain_reaches_the_action(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("NULL through a chain");
    kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 10, 1, 2));
    kiln_rdd *bad = kiln_rdd_sample(x, false, -0.5, 1);
    KT_CHECK(bad == NULL, "sample with a negative fraction returned an RDD");
    char first[512];
    snprintf(first, sizeof first, "%s", kiln_last_error());
    KT_CHECK(first[0] != '\0', "no message for the bad sample");
    kiln_rdd *chain = kiln_rdd_map(bad, kiln_fn_identity, NULL, 0);
    KT_CHECK(chain == NULL, "map of NULL returned an RDD");
    chain = kiln_rdd_reduce_by_key(kiln_rdd_map(chain, kiln_fn_pair_one, NULL, 0), kiln_fn_add,
                                   NULL, 0, 2);
    KT_CHECK(chain == NULL, "a chain from NULL returned an RDD");
    int64_t n;
    KT_RC(KILN_EINVAL, kiln_rdd_count(chain, &n));
    KT_CHECK(strstr(kiln_last_error(), first) != NULL,
             "the first message was lost: now \"%s\", first \"%s\"", kiln_last_error(), first);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_attempt_failure_is_retried_and_succeeds_under_local_2_3),
        cmocka_unit_test(always_failing_function_fails_after_all_attempts_naming_them),
        cmocka_unit_test(first_attempt_failure_fails_the_job_under_plain_local_2),
        cmocka_unit_test(failed_save_as_text_file_leaves_no_output_directory),
        cmocka_unit_test(retried_save_as_text_file_keeps_only_the_successful_attempt),
        cmocka_unit_test(accumulators_count_only_successful_attempts),
        cmocka_unit_test(non_pair_record_in_key_value_operation_fails_with_a_message),
        cmocka_unit_test(partitioner_returning_out_of_range_fails_the_job),
        cmocka_unit_test(error_in_a_transformation_chain_reaches_the_action),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
