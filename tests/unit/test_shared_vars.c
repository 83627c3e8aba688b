/*
 * test_shared_vars.c - broadcast variables read in user functions and
 * accumulators (int and double) added to by tasks, under local[1], local[2]
 * and local[8]; values derived from a broadcast once per process. (Accumulators across task retries
 * are covered in test_failure.c.)
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"
#include "kt_fns.h"

/* ---- Broadcast ------------------------------------------------------------------------- */

/* int x -> table[x % len(table)], the table being the broadcast list whose id
 * is the env. */
static int lookup_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    const kiln_value *table = kiln_broadcast_value(t, *(const int64_t *)env);
    if (!table || table->type != KILN_LIST || table->len == 0)
        return kiln_task_fail(t, "lookup_fn: broadcast missing or not a list");
    if (in->type != KILN_INT) return kiln_task_fail(t, "lookup_fn: not an int");
    *out = table->u.items[in->u.i % table->len];
    return 0;
}

/* int x -> (x, byte x of the broadcast string, its length) */
typedef struct two_ids {
    int64_t text, table;
} two_ids;

static int byte_at_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    const two_ids *ids = env;
    const kiln_value *s = kiln_broadcast_value(t, ids->text);
    const kiln_value *table = kiln_broadcast_value(t, ids->table);
    if (!s || s->type != KILN_STR || !table || table->type != KILN_LIST)
        return kiln_task_fail(t, "byte_at_fn: broadcasts missing");
    kiln_value items[3] = {*in, kiln_int((unsigned char)s->u.s[in->u.i % s->len]),
                           kiln_int(s->len + table->len)};
    *out = kiln_tuple_new(kiln_task_arena(t), items, 3);
    return out->type == KILN_TUPLE ? 0 : KILN_ENOMEM;
}

/* x -> whether broadcast id env is unknown (NULL). */
static int is_unknown_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = kiln_bool(kiln_broadcast_value(t, *(const int64_t *)env) == NULL);
    return 0;
}

/* Builds the lookup table: 100 strings "entry-<i>-<unicode>". */
static kiln_value make_table(kiln_arena *a, char (*storage)[32])
{
    kiln_value *items = ref_alloc(a, 100);
    for (int i = 0; i < 100; i++) {
        int len = snprintf(storage[i], 32, "entry-%d-\xc3\xa9", i);
        items[i] = kiln_str_ref(storage[i], (size_t)len);
    }
    return kiln_list_ref(items, 100);
}

static void broadcast_value_is_read_in_map_and_was_deep_copied(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("broadcast lookup, master %s", kt_masters[m]);
        char storage[100][32];
        kiln_value table = make_table(a, storage);
        int64_t id = kiln_broadcast_new(ctx, &table);
        KT_CHECK(id > 0, "kiln_broadcast_new returned %lld: %s", (long long)id, kiln_last_error());
        kiln_value *copy = ref_alloc(a, 100);
        for (int i = 0; i < 100; i++) copy[i] = ref_format(a, &table.u.items[i]);
        /* Scribble over the original: the broadcast must hold its own copy. */
        for (int i = 0; i < 100; i++) memset(storage[i], 'X', 31);

        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 1000, 1, 6));
        kiln_value got = kt_collect(kt_rdd(kiln_rdd_map(x, lookup_fn, &id, sizeof id)), a);
        kiln_value *want = ref_alloc(a, 1000);
        for (int i = 0; i < 1000; i++) want[i] = copy[i % 100];
        kiln_value wl = kiln_list_ref(want, 1000);
        kt_expect_list(&got, &wl);

        /* After a shuffle (reduce side) as well. */
        kiln_rdd *pairs = kt_rdd(kiln_rdd_map(x, kiln_fn_pair_one, NULL, 0));
        kiln_rdd *sums = kt_rdd(kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, 3));
        kiln_rdd *keys = kt_rdd(kiln_rdd_keys(sums));
        got = kt_collect(kt_rdd(kiln_rdd_map(keys, lookup_fn, &id, sizeof id)), a);
        kt_expect_multiset(a, &got, &wl);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

static void large_broadcasts_are_seen_whole_by_every_task(void **state)
{
    kiln_arena *a = kiln_arena_new();
    size_t len = (1 << 20) + 7;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t i = 0; i < len; i++) text[i] = (char)(' ' + (i * 7919) % 95);
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("large broadcast, master %s", kt_masters[m]);
        kiln_value s = kiln_str_ref(text, len);
        char storage[100][32];
        kiln_value table = make_table(a, storage);
        two_ids ids = {kiln_broadcast_new(ctx, &s), kiln_broadcast_new(ctx, &table)};
        KT_CHECK(ids.text > 0 && ids.table > 0 && ids.text != ids.table,
                 "broadcast ids %lld and %lld", (long long)ids.text, (long long)ids.table);
        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 3000, 997, 4)); /* spread over the text */
        kiln_rdd *r = kt_rdd(kiln_rdd_map(x, byte_at_fn, &ids, sizeof ids));
        kiln_value got = kt_collect(r, a);
        size_t n = 0;
        kiln_value *want = ref_alloc(a, 8);
        for (int64_t i = 0; i < 3000; i += 997) {
            kiln_value items[3] = {kiln_int(i), kiln_int((unsigned char)text[i % len]),
                                   kiln_int((int64_t)len + 100)};
            want[n++] = ref_tuple(a, items, 3);
        }
        kiln_value wl = kiln_list_ref(want, n);
        kt_expect_list(&got, &wl);
        kiln_context_free(ctx);
    }
    free(text);
    kiln_arena_free(a);
}

/* ---- Values derived from a broadcast (kiln_broadcast_derived) ------------------------- */

typedef struct derive_counts {
    atomic_int makes, releases, fail_first;
} derive_counts;

static derive_counts counts;

/* The sum of the broadcast's ints, made once per process (the first call
 * fails when fail_first is set). */
static void *make_sum(void *arg, const kiln_value *v)
{
    derive_counts *c = arg;
    atomic_fetch_add(&c->makes, 1);
    if (atomic_exchange(&c->fail_first, 0)) {
        kiln_set_error(KILN_EIO, "make_sum: failing once");
        return NULL;
    }
    int64_t *sum = malloc(sizeof *sum);
    if (!sum) return NULL;
    *sum = 0;
    for (size_t i = 0; i < v->len; i++) *sum += v->u.items[i].u.i;
    return sum;
}

static void *make_other(void *arg, const kiln_value *v)
{
    (void)arg;
    (void)v;
    return malloc(1);
}

static void release_sum(void *p)
{
    atomic_fetch_add(&counts.releases, 1);
    free(p);
}

/* x -> x + the derived sum, -1 when it could not be made; -2 when another
 * maker was accepted for the same broadcast. */
static int add_sum_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int64_t id = *(const int64_t *)env;
    const int64_t *sum = kiln_broadcast_derived(t, id, make_sum, &counts, release_sum);
    if (sum && kiln_broadcast_derived(t, id, make_other, NULL, free) != NULL) {
        *out = kiln_int(-2);
        return 0;
    }
    *out = kiln_int(sum ? in->u.i + *sum : -1);
    return 0;
}

static void broadcast_derived_value_is_made_once_per_process_and_released(void **state)
{
    kiln_arena *a = kiln_arena_new();
    /* On a local cluster (KT_MASTER) the values are made in the executors'
     * processes: only the results are checked there. */
    const char *env = getenv("KT_MASTER");
    bool here = !env || !strstr(env, "cluster");
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        for (int fail = 0; fail < (here ? 2 : 1); fail++) {
            kiln_context *ctx = kt_context_new(kt_masters[m]);
            kt_set_case("derived broadcast, master %s, failing first make %d", kt_masters[m], fail);
            atomic_store(&counts.makes, 0);
            atomic_store(&counts.releases, 0);
            atomic_store(&counts.fail_first, fail);
            kiln_value *items = ref_alloc(a, 50);
            int64_t sum = 0;
            for (int i = 0; i < 50; i++) {
                items[i] = kiln_int(i * 3 + 1);
                sum += i * 3 + 1;
            }
            kiln_value list = kiln_list_ref(items, 50);
            int64_t id = kiln_broadcast_new(ctx, &list);
            KT_CHECK(id > 0, "kiln_broadcast_new failed: %s", kiln_last_error());
            kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 4000, 1, 8));
            kiln_value got = kt_collect(kt_rdd(kiln_rdd_map(x, add_sum_fn, &id, sizeof id)), a);
            KT_CHECK(got.type == KILN_LIST && got.len == 4000, "collected %u values",
                     (unsigned)got.len);
            int failed = 0;
            for (size_t i = 0; i < got.len; i++) {
                int64_t g = got.u.items[i].u.i;
                if (g == -1) failed++;
                else
                    KT_CHECK(g == (int64_t)i + sum, "value %zu: %lld, want %lld", i, (long long)g,
                             (long long)((int64_t)i + sum));
            }
            KT_CHECK(failed == fail, "%d values saw the make fail, want %d", failed, fail);
            if (here) {
                KT_CHECK(atomic_load(&counts.makes) == 1 + fail, "made %d times, want %d",
                         atomic_load(&counts.makes), 1 + fail);
                KT_CHECK(atomic_load(&counts.releases) == 0, "released while live");
            }
            KT_CHECK(kiln_broadcast_destroy(ctx, id) == KILN_OK, "destroy: %s", kiln_last_error());
            kiln_context_free(ctx);
            if (here)
                KT_CHECK(atomic_load(&counts.releases) == 1, "released %d times, want once",
                         atomic_load(&counts.releases));
        }
    }
    kiln_arena_free(a);
}

static void unknown_broadcast_id_reads_null(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("unknown broadcast, master %s", kt_masters[m]);
        kiln_value one = kiln_int(1);
        int64_t real = kiln_broadcast_new(ctx, &one);
        KT_CHECK(real > 0, "kiln_broadcast_new failed: %s", kiln_last_error());
        int64_t unknown = real + 1000;
        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 10, 1, 3));
        kiln_value got = kt_collect(kt_rdd(
                                        kiln_rdd_map(x, is_unknown_fn, &unknown, sizeof unknown)),
                                    a);
        KT_CHECK(got.len == 10, "%u values", got.len);
        for (uint32_t i = 0; i < got.len; i++)
            KT_CHECK(got.u.items[i].type == KILN_BOOL && got.u.items[i].u.b,
                     "an unknown broadcast id read a value");
        got = kt_collect(kt_rdd(kiln_rdd_map(x, is_unknown_fn, &real, sizeof real)), a);
        for (uint32_t i = 0; i < got.len; i++)
            KT_CHECK(got.u.items[i].type == KILN_BOOL && !got.u.items[i].u.b,
                     "a known broadcast id read NULL");
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* ---- Accumulators ------------------------------------------------------------------------- */

typedef struct acc_ids {
    int64_t int_sum, double_halves, double_tenths;
} acc_ids;

static int add_all_fn(kiln_task *t, const kiln_value *in, const void *env)
{
    const acc_ids *ids = env;
    int rc = kiln_accumulator_add(t, ids->int_sum, kiln_int(in->u.i));
    if (rc == KILN_OK) rc = kiln_accumulator_add(t, ids->double_halves, kiln_double(0.5));
    if (rc == KILN_OK)
        rc = kiln_accumulator_add(t, ids->double_tenths, kiln_double((double)in->u.i * 0.1));
    return rc;
}

static void int_and_double_accumulators_sum_task_updates(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("accumulators, master %s", kt_masters[m]);
        acc_ids ids = {kiln_accumulator_new(ctx, "int sum", KILN_INT),
                       kiln_accumulator_new(ctx, "halves", KILN_DOUBLE),
                       kiln_accumulator_new(ctx, "tenths", KILN_DOUBLE)};
        KT_CHECK(ids.int_sum > 0 && ids.double_halves > 0 && ids.double_tenths > 0,
                 "kiln_accumulator_new failed: %s", kiln_last_error());
        KT_CHECK(ids.int_sum != ids.double_halves && ids.double_halves != ids.double_tenths,
                 "accumulators share an id");
        kiln_value v = kiln_accumulator_value(ctx, ids.int_sum);
        KT_CHECK(v.type == KILN_INT && v.u.i == 0, "a new int accumulator is %s", kt_fmt(&v));
        v = kiln_accumulator_value(ctx, ids.double_halves);
        KT_CHECK(v.type == KILN_DOUBLE && v.u.d == 0.0, "a new double accumulator is %s",
                 kt_fmt(&v));

        kiln_rdd *x = kt_rdd(kiln_range(ctx, -500, 10000, 1, 7));
        KT_OK(kiln_rdd_foreach(x, add_all_fn, &ids, sizeof ids));
        long double want_sum = 0;
        for (int64_t i = -500; i < 10000; i++) want_sum += (long double)i;
        v = kiln_accumulator_value(ctx, ids.int_sum);
        KT_CHECK(v.type == KILN_INT && v.u.i == (int64_t)want_sum, "int sum is %s, not %lld",
                 kt_fmt(&v), (long long)want_sum);
        v = kiln_accumulator_value(ctx, ids.double_halves);
        KT_CHECK(v.type == KILN_DOUBLE && v.u.d == 10500 * 0.5, "halves sum is %s", kt_fmt(&v));
        v = kiln_accumulator_value(ctx, ids.double_tenths);
        KT_CHECK(v.type == KILN_DOUBLE, "tenths accumulator is %s", kt_fmt(&v));
        kt_expect_close(v.u.d, want_sum * 0.1L, 1e-9L, 0, "sum of tenths");

        /* A second action adds again. */
        KT_OK(kiln_rdd_foreach(x, add_all_fn, &ids, sizeof ids));
        v = kiln_accumulator_value(ctx, ids.int_sum);
        KT_CHECK(v.type == KILN_INT && v.u.i == 2 * (int64_t)want_sum,
                 "int sum after two actions is %s", kt_fmt(&v));
        kiln_context_free(ctx);
    }
}

static void accumulator_in_a_transformation_counts_once_per_action(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("accumulator in map, master %s", kt_masters[m]);
        int64_t id = kiln_accumulator_new(ctx, "calls", KILN_INT);
        KT_CHECK(id > 0, "kiln_accumulator_new failed: %s", kiln_last_error());
        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 777, 1, 5));
        kiln_rdd *m1 = kt_rdd(kiln_rdd_map(x, kt_count_map_fn, &id, sizeof id));
        KT_CHECK(kt_count(m1) == 777, "count");
        kiln_value v = kiln_accumulator_value(ctx, id);
        KT_CHECK(v.type == KILN_INT && v.u.i == 777, "after one action: %s", kt_fmt(&v));
        KT_CHECK(kt_count(m1) == 777, "count");
        v = kiln_accumulator_value(ctx, id);
        KT_CHECK(v.type == KILN_INT && v.u.i == 2 * 777, "after two actions: %s", kt_fmt(&v));
        kiln_context_free(ctx);
    }
}

static void accumulator_rejects_non_numeric_types_and_unknown_ids(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("accumulator types");
    KT_CHECK(kiln_accumulator_new(ctx, "strings", KILN_STR) < 0,
             "a string accumulator was created");
    KT_CHECK(kiln_accumulator_new(ctx, "lists", KILN_LIST) < 0, "a list accumulator was created");
    int64_t id = kiln_accumulator_new(ctx, "ok", KILN_INT);
    KT_CHECK(id > 0, "kiln_accumulator_new failed: %s", kiln_last_error());
    kiln_value v = kiln_accumulator_value(ctx, id + 1000);
    KT_CHECK(v.type == KILN_NULL, "an unknown accumulator id reads %s", kt_fmt(&v));
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broadcast_value_is_read_in_map_and_was_deep_copied),
        cmocka_unit_test(large_broadcasts_are_seen_whole_by_every_task),
        cmocka_unit_test(unknown_broadcast_id_reads_null),
        cmocka_unit_test(broadcast_derived_value_is_made_once_per_process_and_released),
        cmocka_unit_test(int_and_double_accumulators_sum_task_updates),
        cmocka_unit_test(accumulator_in_a_transformation_counts_once_per_action),
        cmocka_unit_test(accumulator_rejects_non_numeric_types_and_unknown_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
