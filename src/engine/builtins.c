/*
 * engine/builtins.c - ready-made user functions for the common cases (word
 * splitting, counting, pair shuffling, numeric addition).
 */
#include <stdio.h>

#include "engine/engine_int.h"

int kiln_fn_add(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                const void *env)
{
    if (a->type == KILN_INT && b->type == KILN_INT) {
        *out = kiln_int((int64_t)((uint64_t)a->u.i + (uint64_t)b->u.i));
        return 0;
    }
    bool num_a = a->type == KILN_INT || a->type == KILN_DOUBLE;
    bool num_b = b->type == KILN_INT || b->type == KILN_DOUBLE;
    if (!num_a || !num_b) return kiln_task_fail(t, "add: both values must be numbers");
    double x = a->type == KILN_INT ? (double)a->u.i : a->u.d;
    double y = b->type == KILN_INT ? (double)b->u.i : b->u.d;
    *out = kiln_double(x + y);
    return 0;
}

static inline bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Tokens point into the input string: no copy. */
int kiln_fn_split_whitespace(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    if (in->type != KILN_STR) return kiln_task_fail(t, "split_whitespace: value is not a string");
    const unsigned char *s = (const unsigned char *)in->u.s;
    size_t n = in->len, i = 0;
    while (i < n) {
        while (i < n && is_space(s[i])) i++;
        size_t start = i;
        while (i < n && !is_space(s[i])) i++;
        if (i > start) {
            kiln_value w = kiln_str_ref((const char *)s + start, i - start);
            if (kiln_emit(out, &w)) return kiln_task_fail(t, "out of memory");
        }
    }
    return 0;
}

int kiln_fn_pair_one(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = kiln_pair(kiln_task_arena(t), *in, kiln_int(1));
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : 0;
}

int kiln_fn_swap(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (!kiln_is_pair(in)) return kiln_task_fail(t, "swap: value is not a pair");
    *out = kiln_pair(kiln_task_arena(t), *kiln_val(in), *kiln_key(in));
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : 0;
}

int kiln_fn_identity(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = *in;
    return 0;
}

int kiln_fn_pair_to_tsv(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (!kiln_is_pair(in)) return kiln_task_fail(t, "pair_to_tsv: value is not a pair");
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = kiln_value_format(&b, kiln_key(in));
    if (rc == 0) rc = kiln_buf_append(&b, "\t", 1);
    if (rc == 0) rc = kiln_value_format(&b, kiln_val(in));
    if (rc == 0) *out = kiln_str_new(kiln_task_arena(t), (const char *)b.data, b.len);
    kiln_buf_release(&b);
    return rc ? kiln_task_fail(t, "out of memory") : 0;
}
