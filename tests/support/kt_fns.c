/*
 * kt_fns.c - the shared user functions of kt_fns.h.
 */
#include "kt_fns.h"

int kt_add_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y, kiln_value *out)
{
    if (x->type != KILN_INT || y->type != KILN_INT) return KILN_ETYPE;
    *out = kiln_int(x->u.i + y->u.i);
    return 0;
}

int kt_add_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
              const void *env)
{
    if (kt_add_logic(kiln_task_arena(t), x, y, out) != 0)
        return kiln_task_fail(t, "kt_add_fn: operands are not ints (types %d, %d)", x->type,
                              y->type);
    return 0;
}

int kt_max_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y, kiln_value *out)
{
    *out = kiln_value_cmp(x, y) >= 0 ? *x : *y;
    return 0;
}

int kt_max_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
              const void *env)
{
    return kt_max_logic(kiln_task_arena(t), x, y, out);
}

static bool is_sum_count(const kiln_value *v)
{
    return kiln_is_pair(v) && kiln_key(v)->type == KILN_INT && kiln_val(v)->type == KILN_INT;
}

static int sum_count(kiln_arena *a, int64_t s, int64_t c, kiln_value *out)
{
    *out = kiln_pair(a, kiln_int(s), kiln_int(c));
    return out->type == KILN_TUPLE ? 0 : KILN_ENOMEM;
}

int kt_sum_count_seq_logic(kiln_arena *a, const kiln_value *acc, const kiln_value *v,
                           kiln_value *out)
{
    if (!is_sum_count(acc) || v->type != KILN_INT) return KILN_ETYPE;
    return sum_count(a, kiln_key(acc)->u.i + v->u.i, kiln_val(acc)->u.i + 1, out);
}

int kt_sum_count_seq_fn(kiln_task *t, const kiln_value *acc, const kiln_value *v, kiln_value *out,
                        const void *env)
{
    int rc = kt_sum_count_seq_logic(kiln_task_arena(t), acc, v, out);
    if (rc == KILN_ETYPE) return kiln_task_fail(t, "kt_sum_count_seq_fn: bad operand types");
    return rc;
}

int kt_sum_count_comb_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y,
                            kiln_value *out)
{
    if (!is_sum_count(x) || !is_sum_count(y)) return KILN_ETYPE;
    return sum_count(a, kiln_key(x)->u.i + kiln_key(y)->u.i, kiln_val(x)->u.i + kiln_val(y)->u.i,
                     out);
}

int kt_sum_count_comb_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
                         const void *env)
{
    int rc = kt_sum_count_comb_logic(kiln_task_arena(t), x, y, out);
    if (rc == KILN_ETYPE) return kiln_task_fail(t, "kt_sum_count_comb_fn: bad operand types");
    return rc;
}

int kt_hash_seq_logic(kiln_arena *a, const kiln_value *acc, const kiln_value *v, kiln_value *out)
{
    if (!is_sum_count(acc)) return KILN_ETYPE;
    return sum_count(a, kiln_key(acc)->u.i + (int64_t)(kiln_value_hash(v) % 1000),
                     kiln_val(acc)->u.i + 1, out);
}

int kt_hash_seq_fn(kiln_task *t, const kiln_value *acc, const kiln_value *v, kiln_value *out,
                   const void *env)
{
    int rc = kt_hash_seq_logic(kiln_task_arena(t), acc, v, out);
    if (rc == KILN_ETYPE)
        return kiln_task_fail(t, "kt_hash_seq_fn: accumulator is not (sum, count)");
    return rc;
}

int kt_tag_logic(kiln_arena *a, const kiln_value *x, kiln_value *out)
{
    *out = kiln_pair(a, *x, kiln_int((int64_t)(kiln_value_hash(x) % 97)));
    return out->type == KILN_TUPLE ? 0 : KILN_ENOMEM;
}

int kt_tag_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    return kt_tag_logic(kiln_task_arena(t), in, out);
}

int kt_count_foreach_fn(kiln_task *t, const kiln_value *in, const void *env)
{
    return kiln_accumulator_add(t, *(const int64_t *)env, kiln_int(1));
}

int kt_count_map_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = *in;
    return kiln_accumulator_add(t, *(const int64_t *)env, kiln_int(1));
}

int kt_fail_on_seven_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    if (in->type == KILN_INT && in->u.i == 7) return kiln_task_fail(t, "seven is not allowed");
    *out = *in;
    return 0;
}
