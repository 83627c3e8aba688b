/*
 * kt_fns.h - user functions shared by the operator tests. Each comes as a
 * pure "logic" function over an arena (which the reference calls) and a
 * kiln user function wrapping it (which the engine calls), so that a test
 * checks the operator rather than the function.
 *
 * The user functions run on executor threads: they never use cmocka; on a
 * value they cannot handle they fail the task with a message.
 */
#ifndef KILN_TEST_KT_FNS_H
#define KILN_TEST_KT_FNS_H

#include "kiln.h"

/* Ints: *out = x + y. Returns KILN_ETYPE for anything else. */
int kt_add_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y, kiln_value *out);
int kt_add_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
              const void *env);

/* Any values: the larger in kiln_value_cmp's total order. */
int kt_max_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y, kiln_value *out);
int kt_max_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
              const void *env);

/* (sum, count) accumulators of ints: seq((s, c), v) = (s + v, c + 1);
 * comb((s, c), (s2, c2)) = (s + s2, c + c2). */
int kt_sum_count_seq_logic(kiln_arena *a, const kiln_value *acc, const kiln_value *v,
                           kiln_value *out);
int kt_sum_count_seq_fn(kiln_task *t, const kiln_value *acc, const kiln_value *v, kiln_value *out,
                        const void *env);
int kt_sum_count_comb_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y,
                            kiln_value *out);
int kt_sum_count_comb_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
                         const void *env);
/* Any values: seq((s, c), x) = (s + hash(x) % 1000, c + 1); combine with
 * kt_sum_count_comb_fn. */
int kt_hash_seq_logic(kiln_arena *a, const kiln_value *acc, const kiln_value *v, kiln_value *out);
int kt_hash_seq_fn(kiln_task *t, const kiln_value *acc, const kiln_value *v, kiln_value *out,
                   const void *env);

/* Any value: x -> (x, hash(x) % 97). */
int kt_tag_logic(kiln_arena *a, const kiln_value *x, kiln_value *out);
int kt_tag_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);

/* Foreach / map helpers that count through an accumulator whose id is the
 * env (an int64_t): adds 1 per value seen. kt_count_map_fn passes the value
 * through unchanged. */
int kt_count_foreach_fn(kiln_task *t, const kiln_value *in, const void *env);
int kt_count_map_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);

/* Map: passes ints on, failing the task at 7 ("seven is not allowed"). */
int kt_fail_on_seven_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);

#endif
