/*
 * test_sql_generate.c - src/sql/generate: explode, posexplode, their outer
 * forms and inline over random batches (nulls, empty and long
 * collections, selections), against the rows listed one by one, and
 * output batches never over COL_VEC_SIZE rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "column/column.h"
#include "kiln.h"
#include "sql/generate.h"

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs % n);
}

static const char *const words[] = {"", "x", "héllo", "日本", "a string longer than twelve"};

/* Columns: 0 id int, 1 name string, 2 array<int>, 3 map<string,int>,
 * 4 array<struct<a:int,b:string>>. */
static void build(kiln_arena *a, col_batch *b, uint32_t n)
{
    col_field fs[2] = {{"a", &col_type_i32, true}, {"b", &col_type_string, true}};
    const col_type *st = col_type_struct(a, fs, 2);
    const col_type *t[5] = {&col_type_i32, &col_type_string, col_type_array(a, &col_type_i32, true),
                            col_type_map(a, &col_type_string, &col_type_i32, true),
                            col_type_array(a, st, true)};
    assert_int_equal(col_batch_init(b, a, 5, t, n), KILN_OK);
    b->n = n;
    for (int c = 0; c < 5; c++) b->cols[c].n = n;
    for (int c = 2; c < 5; c++) assert_int_equal(col_vec_add_validity(&b->cols[c], a, n), KILN_OK);
    uint32_t at[5] = {0}, cap[5] = {0};
    for (uint32_t r = 0; r < n; r++) {
        COL_DATA(&b->cols[0], int32_t)[r] = (int32_t)r;
        const char *w = words[rnd(5)];
        col_str_copy(a, w, (uint32_t)strlen(w), &COL_DATA(&b->cols[1], col_str)[r]);
        for (int c = 2; c < 5; c++) {
            col_vec *v = &b->cols[c];
            uint32_t len = rnd(10) == 0 ? 2500 + rnd(3000) : rnd(5);
            bool null = rnd(8) == 0;
            if (null) {
                col_set_null(v, r);
                len = 0;
            }
            if (at[c] + len > cap[c]) { /* children grow by doubling, not row by row */
                cap[c] = 2 * (at[c] + len);
                assert_int_equal(col_vec_reserve_child(v, a, cap[c]), KILN_OK);
            }
            for (uint32_t k = 0; k < len; k++) {
                uint32_t e = at[c] + k;
                col_vec *ch = &v->children[0];
                if (c == 2) {
                    COL_DATA(ch, int32_t)[e] = (int32_t)rnd(1000);
                    if (rnd(6) == 0) {
                        col_vec_add_validity(ch, a, cap[c]);
                        col_set_null(ch, e);
                    }
                } else if (c == 3) {
                    const char *kw = words[rnd(5)];
                    col_str_copy(a, kw, (uint32_t)strlen(kw), &COL_DATA(ch, col_str)[e]);
                    COL_DATA(&v->children[1], int32_t)[e] = (int32_t)rnd(100);
                } else {
                    COL_DATA(&ch->children[0], int32_t)[e] = (int32_t)rnd(50);
                    const char *bw = words[rnd(5)];
                    col_str_copy(a, bw, (uint32_t)strlen(bw),
                                 &COL_DATA(&ch->children[1], col_str)[e]);
                    if (rnd(7) == 0) {
                        col_vec_add_validity(ch, a, cap[c]);
                        col_set_null(ch, e);
                    }
                }
            }
            at[c] += len;
            v->offsets[r + 1] = at[c];
            for (int h = 0; h < v->nchildren; h++) {
                v->children[h].n = at[c];
                for (int g = 0; g < v->children[h].nchildren; g++)
                    v->children[h].children[g].n = at[c];
            }
        }
    }
}

static void same_value(const col_vec *got, uint32_t i, const col_vec *want, uint32_t j, bool null)
{
    static kiln_arena *t;
    if (!t) t = kiln_arena_new();
    kiln_arena_reset(t);
    kiln_value g, w;
    assert_int_equal(col_vec_get_value(got, i, t, &g), KILN_OK);
    if (null) {
        assert_int_equal(g.type, KILN_NULL);
    } else {
        assert_int_equal(col_vec_get_value(want, j, t, &w), KILN_OK);
        if (kiln_value_cmp(&g, &w) != 0) fail_msg("row %u differs from source row %u", i, j);
    }
}

static void run(gen_fn fn, bool outer, int col, bool with_sel)
{
    kiln_arena *a = kiln_arena_new();
    col_batch b;
    uint32_t n = 1 + rnd(300);
    build(a, &b, n);
    if (with_sel) {
        b.sel = kiln_arena_alloc(a, sizeof(uint32_t) * n);
        for (uint32_t r = 0; r < n; r++)
            if (rnd(2)) b.sel[b.nsel++] = r;
    }
    int keep[2] = {1, 0};
    gen_iter it;
    gen_start(&it, fn, outer, &b, col, keep, 2);
    /* the expected rows, one by one */
    const col_vec *cv = &b.cols[col];
    uint32_t live = col_batch_live(&b), li = 0, e = 0;
    uint32_t total = 0;
    for (;;) {
        col_batch o;
        assert_int_equal(gen_next(&it, a, &o), KILN_OK);
        if (o.n == 0) break;
        assert_true(o.n <= COL_VEC_SIZE);
        for (uint32_t k = 0; k < o.n; k++, total++) {
            /* advance the reference to the next output row */
            uint32_t r, len;
            for (;;) {
                assert_true(li < live);
                r = b.sel ? b.sel[li] : li;
                len = col_valid(cv, r) ? cv->offsets[r + 1] - cv->offsets[r] : 0;
                if (len == 0 && outer && e == 0) break;
                if (e < len) break;
                li++;
                e = 0;
            }
            same_value(&o.cols[0], k, &b.cols[1], r, false);
            same_value(&o.cols[1], k, &b.cols[0], r, false);
            int c = 2;
            bool none = len == 0;
            uint32_t el = cv->offsets[r] + e;
            if (fn == GEN_POSEXPLODE) {
                if (none) assert_false(col_valid(&o.cols[c], k));
                else assert_int_equal(COL_DATA(&o.cols[c], int32_t)[k], e);
                c++;
            }
            if (fn == GEN_INLINE) {
                const col_vec *sv = &cv->children[0];
                bool sn = none || !col_valid(sv, el);
                for (int f = 0; f < 2; f++) same_value(&o.cols[c + f], k, &sv->children[f], el, sn);
            } else {
                for (int h = 0; h < cv->nchildren; h++)
                    same_value(&o.cols[c + h], k, &cv->children[h], el, none);
            }
            if (none) {
                li++;
                e = 0;
            } else {
                e++;
            }
        }
    }
    /* nothing left over */
    for (; li < live; li++, e = 0) {
        uint32_t r = b.sel ? b.sel[li] : li;
        uint32_t len = col_valid(cv, r) ? cv->offsets[r + 1] - cv->offsets[r] : 0;
        assert_true(e >= len && !(outer && len == 0 && e == 0));
    }
    (void)total;
    kiln_arena_free(a);
}

static void explode_all(void **state)
{
    (void)state;
    for (int rep = 0; rep < 6; rep++)
        for (int outer = 0; outer < 2; outer++)
            for (int sel = 0; sel < 2; sel++) {
                run(GEN_EXPLODE, outer, 2, sel);
                run(GEN_POSEXPLODE, outer, 2, sel);
                run(GEN_EXPLODE, outer, 3, sel);
                run(GEN_POSEXPLODE, outer, 3, sel);
                run(GEN_INLINE, outer, 4, sel);
            }
}

static void types_and_errors(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const col_type *ts[8];
    const col_type *keep[1] = {&col_type_string};
    const col_type *m = col_type_map(a, &col_type_string, &col_type_f64, true);
    assert_int_equal(gen_output_types(GEN_POSEXPLODE, m, keep, 1, ts), 4);
    assert_ptr_equal(ts[1], &col_type_i32);
    assert_ptr_equal(ts[3], &col_type_f64);
    assert_int_equal(gen_output_types(GEN_EXPLODE, &col_type_i32, keep, 1, ts), -1);
    assert_int_equal(gen_output_types(GEN_INLINE, col_type_array(a, &col_type_i32, true), keep, 1,
                                      ts),
                     -1);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(explode_all),
        cmocka_unit_test(types_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
