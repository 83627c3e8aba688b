/*
 * test_sql_join.c - sql/join_table: every join type against nested loops
 * over the same rows (as sorted multisets of (probe row, build row) pairs),
 * with null keys, null-safe keys, empty sides, all-equal and skewed keys,
 * string keys, a residual condition, and NOT IN's null-aware anti join.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kiln.h"
#include "sql/join_table.h"
#include "sqlops_gen.h"

typedef struct pair {
    uint32_t p, b;
} pair;

static int pair_cmp(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    if (a->p != b->p) return a->p < b->p ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

typedef struct side {
    uint32_t n;
    int64_t *k;
    uint8_t *knull;
} side;

static bool keq(const side *p, uint32_t i, const side *b, uint32_t j, bool null_safe)
{
    if (p->knull[i] || b->knull[j]) return null_safe && p->knull[i] && b->knull[j];
    return p->k[i] == b->k[j];
}

/* The residual condition of the filtered cases: probe + build row even. */
static bool cond(uint32_t p, uint32_t b)
{
    return (p + b) % 2 == 0;
}

static int filter_fn(void *arg, const uint32_t *pr, const uint32_t *br, uint32_t n, uint32_t *keep,
                     uint32_t *nkeep)
{
    (void)arg;
    uint32_t m = 0;
    for (uint32_t k = 0; k < n; k++)
        if (cond(pr[k], br[k])) keep[m++] = k;
    *nkeep = m;
    return KILN_OK;
}

static size_t reference(join_type jt, const side *p, const side *b, bool null_safe, bool filt,
                        bool null_aware, pair *out)
{
    size_t n = 0;
    bool build_null = false;
    for (uint32_t j = 0; j < b->n; j++) build_null |= b->knull[j];
    uint8_t *bm = calloc(b->n + 1, 1);
    for (uint32_t i = 0; i < p->n; i++) {
        bool any = false;
        for (uint32_t j = 0; j < b->n; j++) {
            if (!keq(p, i, b, j, null_safe) || (filt && !cond(i, j))) continue;
            any = true;
            bm[j] = 1;
            if (jt == JOIN_INNER || jt == JOIN_LEFT || jt == JOIN_RIGHT || jt == JOIN_FULL)
                out[n++] = (pair){i, j};
        }
        if (jt == JOIN_SEMI && any) out[n++] = (pair){i, JOIN_NO_ROW};
        if ((jt == JOIN_LEFT || jt == JOIN_FULL) && !any) out[n++] = (pair){i, JOIN_NO_ROW};
        if (jt == JOIN_ANTI && !any) {
            bool keep = true;
            if (null_aware && b->n > 0) keep = !build_null && !p->knull[i];
            if (keep) out[n++] = (pair){i, JOIN_NO_ROW};
        }
    }
    if (jt == JOIN_RIGHT || jt == JOIN_FULL)
        for (uint32_t j = 0; j < b->n; j++)
            if (!bm[j]) out[n++] = (pair){JOIN_NO_ROW, j};
    free(bm);
    return n;
}

static col_vec key_vec(kiln_arena *a, const side *s, uint32_t off, uint32_t n, bool strings)
{
    col_vec v = sg_vec(a, strings ? &col_type_string : &col_type_i64, n, 1);
    for (uint32_t i = 0; i < n; i++) {
        if (strings) COL_DATA(&v, col_str)[i] = sg_str(a, s->k[off + i]);
        else COL_DATA(&v, int64_t)[i] = s->k[off + i];
        if (s->knull[off + i]) col_set_null(&v, i);
    }
    return v;
}

static size_t run_join(join_type jt, const side *p, const side *b, bool null_safe, bool filt,
                       bool null_aware, bool strings, pair *out)
{
    kiln_arena *a = kiln_arena_new();
    const col_type *kt = strings ? &col_type_string : &col_type_i64;
    const col_type *pt = &col_type_i64;
    join_table *t = join_table_new(&kt, 1, &null_safe, &pt, 1, jt, null_aware);
    assert_non_null(t);
    if (filt) join_table_set_filter(t, filter_fn, NULL);
    for (uint32_t off = 0; off < b->n; off += 1000) {
        uint32_t m = b->n - off < 1000 ? b->n - off : 1000;
        col_vec k = key_vec(a, b, off, m, strings);
        col_vec pay = sg_vec(a, &col_type_i64, m, 0);
        for (uint32_t i = 0; i < m; i++) COL_DATA(&pay, int64_t)[i] = off + i;
        assert_int_equal(join_table_add_batch(t, &k, &pay, NULL, m), KILN_OK);
    }
    assert_int_equal(join_table_finish(t), KILN_OK);
    assert_int_equal(join_table_rows(t), b->n);
    size_t n = 0;
    join_probe *pr = malloc(sizeof *pr);
    for (uint32_t off = 0; off < p->n; off += 2000) {
        uint32_t m = p->n - off < 2000 ? p->n - off : 2000;
        col_vec k = key_vec(a, p, off, m, strings);
        join_probe_start(pr, t, &k, NULL, m);
        uint32_t prow[700], brow[700], got;
        for (;;) {
            assert_int_equal(join_probe_next(pr, prow, brow, 700, &got), KILN_OK);
            if (!got) break;
            /* Gather the build payload: the build row numbers. */
            col_vec g;
            assert_int_equal(join_table_gather(t, 0, brow, got, a, &g), KILN_OK);
            for (uint32_t q = 0; q < got; q++) {
                uint32_t bi = brow[q];
                bool semi = jt == JOIN_SEMI || jt == JOIN_ANTI;
                if (semi) {
                    bi = JOIN_NO_ROW;
                } else if (bi == JOIN_NO_ROW) {
                    assert_false(col_valid(&g, q));
                } else {
                    assert_int_equal(COL_DATA(&g, int64_t)[q], bi);
                }
                out[n++] = (pair){off + prow[q], bi};
            }
        }
        kiln_arena_reset(a);
    }
    free(pr);
    size_t cur = 0;
    uint32_t rows[500], got;
    if (jt == JOIN_RIGHT || jt == JOIN_FULL)
        while ((got = join_table_unmatched(t, &cur, rows, 500)))
            for (uint32_t q = 0; q < got; q++) out[n++] = (pair){JOIN_NO_ROW, rows[q]};
    join_table_free(t);
    kiln_arena_free(a);
    return n;
}

static void make_side(side *s, uint32_t n, int shape, int64_t groups, int nullpct, uint64_t *rng)
{
    s->n = n;
    s->k = malloc((n + 1) * 8);
    s->knull = malloc(n + 1);
    for (uint32_t i = 0; i < n; i++) {
        s->k[i] = sg_key(rng, shape, groups);
        s->knull[i] = (int)(sg_next(rng) % 100) < nullpct;
    }
}

static void join_case(uint32_t np, uint32_t nb, int shape, int64_t groups, int nullpct,
                      bool strings, uint64_t seed)
{
    uint64_t rng = seed;
    side p, b;
    make_side(&p, np, shape, groups, nullpct, &rng);
    make_side(&b, nb, shape, groups, nullpct, &rng);
    size_t cap = (size_t)np * (nb + 1) + nb + np + 1;
    if (cap > 20000000) cap = 20000000;
    pair *ref = malloc(cap * sizeof *ref), *got = malloc(cap * sizeof *got);
    static const char *const names[] = {"inner", "left", "right", "full", "semi", "anti"};
    for (int jt = JOIN_INNER; jt <= JOIN_ANTI; jt++) {
        for (int variant = 0; variant < 4; variant++) {
            bool null_safe = variant == 1, filt = variant == 2, na = variant == 3;
            if (na && jt != JOIN_ANTI) continue;
            size_t nr = reference(jt, &p, &b, null_safe, filt, na, ref);
            size_t ng = run_join(jt, &p, &b, null_safe, filt, na, strings, got);
            qsort(ref, nr, sizeof *ref, pair_cmp);
            qsort(got, ng, sizeof *got, pair_cmp);
            if (nr != ng)
                fail_msg("%s join (null-safe %d, filter %d, null-aware %d, %u x %u, shape %d, "
                         "strings %d): %zu pairs, expected %zu",
                         names[jt], null_safe, filt, na, np, nb, shape, strings, ng, nr);
            for (size_t i = 0; i < nr; i++)
                if (pair_cmp(&ref[i], &got[i]) != 0)
                    fail_msg("%s join: pair %zu is (%u,%u), expected (%u,%u)", names[jt], i,
                             got[i].p, got[i].b, ref[i].p, ref[i].b);
        }
    }
    free(ref);
    free(got);
    free(p.k), free(p.knull), free(b.k), free(b.knull);
}

static void joins_match_nested_loops(void **state)
{
    (void)state;
    join_case(0, 0, 0, 10, 0, false, 1);
    join_case(100, 0, 0, 10, 10, false, 2);
    join_case(0, 100, 0, 10, 10, false, 3);
    join_case(3000, 1500, 0, 500, 10, false, 4);
    join_case(3000, 1500, 0, 100000, 5, false, 5); /* few matches */
    join_case(5000, 800, 0, 2000, 0, false, 6);
}

static void joins_with_skew_and_equal_keys(void **state)
{
    (void)state;
    join_case(600, 300, 1, 10, 0, false, 7);   /* every key equal: 180k pairs */
    join_case(1500, 700, 2, 300, 5, false, 8); /* skewed */
}

static void joins_on_string_keys(void **state)
{
    (void)state;
    join_case(3000, 1000, 0, 400, 10, true, 9);
}

static void null_aware_anti_join(void **state)
{
    (void)state;
    /* Build side with a null: NOT IN keeps nothing; without: drops null probe keys. */
    uint64_t rng = 3;
    side p, b;
    make_side(&p, 50, 0, 20, 20, &rng);
    make_side(&b, 10, 0, 20, 0, &rng);
    pair out[200];
    size_t n = run_join(JOIN_ANTI, &p, &b, false, false, true, false, out);
    for (size_t i = 0; i < n; i++) assert_false(p.knull[out[i].p]);
    b.knull[3] = 1;
    assert_int_equal(run_join(JOIN_ANTI, &p, &b, false, false, true, false, out), 0);
    b.n = 0;
    assert_int_equal(run_join(JOIN_ANTI, &p, &b, false, false, true, false, out), 50);
    free(p.k), free(p.knull), free(b.k), free(b.knull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joins_match_nested_loops),
        cmocka_unit_test(joins_with_skew_and_equal_keys),
        cmocka_unit_test(joins_on_string_keys),
        cmocka_unit_test(null_aware_anti_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
