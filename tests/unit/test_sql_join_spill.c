/*
 * tests/unit/test_sql_join_spill.c - the grace hash join (sql/join_spill.c):
 * every join type, with and without a residual condition, over random
 * sides with null keys, strings and a skewed key, run once in memory and
 * once under a 1 MiB budget (kiln.executor.memory=1m, local[1]) that
 * makes the build side spill; the two results must hold the same rows
 * (multisets of row hashes), and the budget run must have spilled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "kiln.h"
#include "sql/exec_int.h"

static uint64_t xs_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A side: (k bigint with nulls, v bigint, s string) in batches. */
typedef struct side_spec {
    uint32_t n;
    int64_t groups;   /* keys 0..groups-1 */
    int nullpct;      /* % of null keys */
    int skewpct;      /* % of rows with key 7 */
    uint32_t strlen_; /* string length */
} side_spec;

static plan *values_plan(kiln_arena *a, const side_spec *sp, uint64_t *rng, const char *prefix)
{
    const col_type *types[3] = {&col_type_i64, &col_type_i64, &col_type_string};
    int nb = (int)((sp->n + COL_VEC_SIZE - 1) / COL_VEC_SIZE);
    plan *p = plan_new(a, PLAN_VALUES, NULL, 0, 3);
    assert_non_null(p);
    static const char *const names[3] = {"k", "v", "s"};
    for (int c = 0; c < 3; c++) p->cols[c] = (plan_col){names[c], prefix, types[c], true};
    p->batches = kiln_arena_alloc(a, sizeof *p->batches * (size_t)(nb + 1));
    p->nbatches = nb;
    char buf[256];
    for (int b = 0; b < nb; b++) {
        uint32_t m = sp->n - (uint32_t)b * COL_VEC_SIZE;
        if (m > COL_VEC_SIZE) m = COL_VEC_SIZE;
        col_batch *cb = &p->batches[b];
        assert_int_equal(col_batch_init(cb, a, 3, types, m), KILN_OK);
        assert_int_equal(col_vec_add_validity(&cb->cols[0], a, m), KILN_OK);
        int64_t *k = cb->cols[0].data, *v = cb->cols[1].data;
        col_str *s = cb->cols[2].data;
        for (uint32_t i = 0; i < m; i++) {
            uint64_t r = xs_next(rng);
            k[i] = (int64_t)(r % (uint64_t)sp->groups);
            if ((int)((r >> 40) % 100) < sp->skewpct) k[i] = 7;
            if ((int)((r >> 20) % 100) < sp->nullpct) col_set_null(&cb->cols[0], i);
            v[i] = (int64_t)(xs_next(rng) % 1000);
            uint32_t len = sp->strlen_ ? (uint32_t)(r >> 50) % sp->strlen_ : 0;
            for (uint32_t j = 0; j < len; j++) buf[j] = (char)('a' + (r >> j) % 26);
            assert_true(col_str_copy(a, buf, len, &s[i]));
        }
        for (int c = 0; c < 3; c++) cb->cols[c].n = m;
        cb->n = m;
    }
    return p;
}

static plan *join_plan(kiln_arena *a, plan *l, plan *r, plan_join jt, bool residual,
                       bool null_aware)
{
    plan *in[2] = {l, r};
    bool semi = jt == PJ_SEMI || jt == PJ_ANTI;
    plan *p = plan_new(a, PLAN_JOIN, in, 2, semi ? 3 : 6);
    assert_non_null(p);
    for (int c = 0; c < 3; c++) p->cols[c] = l->cols[c];
    if (!semi)
        for (int c = 0; c < 3; c++) p->cols[3 + c] = r->cols[c];
    p->join = jt;
    p->nkeys = 1;
    p->keys = kiln_arena_alloc(a, sizeof *p->keys);
    p->rkeys = kiln_arena_alloc(a, sizeof *p->rkeys);
    p->keys[0] = expr_col(a, 0, &col_type_i64, true, "l.k");
    p->rkeys[0] = expr_col(a, 0, &col_type_i64, true, "r.k");
    p->null_aware = null_aware;
    if (residual) { /* l.v < r.v + 500 */
        expr *rv = expr_col(a, 4, &col_type_i64, true, "r.v");
        int64_t five = 500;
        expr *lit = expr_lit(a, &col_type_i64, &five, "500");
        expr *sum_args[2] = {rv, lit};
        expr *sum = expr_call(a, "+", sum_args, 2, true, "UTC", "r.v + 500");
        expr *lt_args[2] = {expr_col(a, 1, &col_type_i64, true, "l.v"), sum};
        p->pred = expr_call(a, "<", lt_args, 2, true, "UTC", "l.v < r.v + 500");
        assert_non_null(p->pred);
    }
    return p;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Runs join p with fc (task or not): the sorted hashes of its rows. */
static uint64_t *run(fn_ctx *fc, const plan *p, size_t *n)
{
    op *l = op_batches(fc, p->in[0]->batches, p->in[0]->nbatches);
    op *r = op_batches(fc, p->in[1]->batches, p->in[1]->nbatches);
    op *j = op_join(fc, l, r, p);
    assert_non_null(j);
    size_t cap = 1024, len = 0;
    uint64_t *h = malloc(cap * 8);
    kiln_arena *a = kiln_arena_new();
    for (;;) {
        col_batch *b;
        int rc = op_next(j, &b);
        if (rc < 0) fail_msg("join failed: %s", kiln_last_error());
        if (rc == 0) break;
        assert_int_equal(b->ncols, p->ncols);
        uint32_t live = col_batch_live(b);
        for (uint32_t k = 0; k < live; k++) {
            uint32_t i = b->sel ? b->sel[k] : k;
            kiln_value items[6];
            for (int c = 0; c < b->ncols; c++)
                assert_int_equal(col_vec_get_value(&b->cols[c], i, a, &items[c]), KILN_OK);
            kiln_value t = kiln_tuple_new(a, items, (size_t)b->ncols);
            if (len == cap) h = realloc(h, (cap *= 2) * 8);
            h[len++] = kiln_value_hash(&t);
        }
        kiln_arena_reset(a);
    }
    op_close(j);
    kiln_arena_free(a);
    qsort(h, len, 8, cmp_u64);
    *n = len;
    return h;
}

static kiln_context *small_context(void)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", "local[1]");
    kiln_conf_set(conf, "kiln.executor.memory", "1m");
    kiln_context *ctx = NULL;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    return ctx;
}

static void check_case(const side_spec *ls, const side_spec *rs, uint64_t seed, bool expect_spill)
{
    static const plan_join types[] = {PJ_INNER, PJ_LEFT, PJ_RIGHT, PJ_FULL, PJ_SEMI, PJ_ANTI};
    static const char *const names[] = {"inner", "left", "right", "full", "semi", "anti"};
    kiln_arena *a = kiln_arena_new();
    uint64_t rng = seed;
    plan *l = values_plan(a, ls, &rng, "l");
    plan *r = values_plan(a, rs, &rng, "r");
    kiln_context *ctx = small_context();
    for (int ti = 0; ti < 7; ti++)
        for (int res = 0; res < 2; res++) {
            bool na = ti == 6; /* NOT IN */
            if (na && res) continue;
            plan_join jt = na ? PJ_ANTI : types[ti];
            plan *p = join_plan(a, l, r, jt, res, na);
            fn_ctx plain = {.arena = a, .ansi = true, .tz = "UTC"};
            kiln_task t = {.ctx = ctx};
            fn_ctx budget = plain;
            budget.task = &t;
            kiln_metrics before, after;
            kiln_context_metrics(ctx, &before);
            size_t n1, n2;
            uint64_t *h1 = run(&plain, p, &n1);
            uint64_t *h2 = run(&budget, p, &n2);
            kiln_context_metrics(ctx, &after);
            if (n1 != n2 || memcmp(h1, h2, n1 * 8) != 0)
                fail_msg("%s join%s%s: %zu rows in memory, %zu with a budget",
                         na ? "null-aware anti" : names[ti], res ? " with a residual" : "", "", n1,
                         n2);
            if (expect_spill) assert_true(after.spill_count > before.spill_count);
            assert_int_equal(t.mem_held, 0); /* everything given back */
            free(h1);
            free(h2);
        }
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    /* The operators keep to 3/4 of the task's share; spill buffers and
     * chunk tables stay within the rest. */
    if (expect_spill && m.memory_peak > m.memory_budget)
        fail_msg("peak %lld bytes over a budget of %lld", (long long)m.memory_peak,
                 (long long)m.memory_budget);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void grace_join_uniform_keys(void **state)
{
    (void)state;
    side_spec ls = {30000, 20000, 5, 0, 24}, rs = {40000, 20000, 0, 0, 24};
    check_case(&ls, &rs, 0x1234567, true);
}

static void grace_join_with_a_skewed_key(void **state)
{
    (void)state;
    /* 70% of the build side has key 7: no hash splits it; a few probe rows do too. */
    side_spec ls = {20000, 50000, 3, 0, 16}, rs = {60000, 5000, 3, 70, 16};
    check_case(&ls, &rs, 0xfeedbeef, true);
}

static void grace_join_with_null_build_keys_not_in(void **state)
{
    (void)state;
    /* No nulls on the probe side, some on the build side: NOT IN keeps nothing. */
    side_spec ls = {5000, 3000, 0, 0, 8}, rs = {40000, 30000, 1, 0, 24};
    check_case(&ls, &rs, 99, true);
}

static void small_joins_do_not_spill(void **state)
{
    (void)state;
    side_spec ls = {500, 100, 10, 0, 8}, rs = {300, 100, 10, 20, 8};
    check_case(&ls, &rs, 5, false);
    side_spec empty = {0, 1, 0, 0, 0};
    check_case(&empty, &rs, 6, false);
    check_case(&ls, &empty, 7, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grace_join_uniform_keys),
        cmocka_unit_test(grace_join_with_a_skewed_key),
        cmocka_unit_test(grace_join_with_null_build_keys_not_in),
        cmocka_unit_test(small_joins_do_not_spill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
