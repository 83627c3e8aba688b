/*
 * test_sql_expr.c - bound expressions (src/sql/expr.h) and the streaming
 * operators (op.h) against a row-by-row reference on random batches with
 * nulls: arithmetic, comparison, three-valued AND/OR and their
 * short-circuit under ANSI mode, CASE, IS NULL, casts, folding, the
 * expression wire form, filter/project/limit/union pipelines and show(),
 * and the plan fragment wire form (plan_wire.c) refusing what no task
 * runs with a message (cases tests/fuzz/fuzz_sql_plan.c found).
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
#include "sql/expr.h"
#include "sql/op.h"
#include "sql/plan.h"
#include "sql/show.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Columns: a bigint, b bigint (with zeros), s string, d double. */
static const col_type *const kTypes[] = {&col_type_i64, &col_type_i64, &col_type_string,
                                         &col_type_f64};

static void make_batch(col_batch *b, kiln_arena *a, uint32_t n, int null_pct)
{
    assert_int_equal(col_batch_init(b, a, 4, kTypes, n), KILN_OK);
    static const char *const words[] = {"apple", "", "Zürich", "a much longer string value", "x"};
    for (int c = 0; c < 4; c++) {
        col_vec *v = &b->cols[c];
        v->n = n;
        for (uint32_t i = 0; i < n; i++) {
            if ((int)(rnd() % 100) < null_pct) {
                assert_int_equal(col_vec_add_validity(v, a, n), KILN_OK);
                col_set_null(v, i);
                continue;
            }
            switch (c) {
            case 0:
                COL_DATA(v, int64_t)[i] = (int64_t)(rnd() % 2001) - 1000;
                break;
            case 1:
                COL_DATA(v, int64_t)[i] = (int64_t)(rnd() % 7) - 3;
                break;
            case 2: {
                const char *w = words[rnd() % 5];
                assert_true(col_str_copy(a, w, (uint32_t)strlen(w), &COL_DATA(v, col_str)[i]));
                break;
            }
            default:
                COL_DATA(v, double)[i] = (double)(int64_t)(rnd() % 20001) / 100.0 - 100.0;
            }
        }
    }
    b->n = n;
}

static fn_ctx ctx(kiln_arena *a, bool ansi)
{
    return (fn_ctx){.arena = a, .ansi = ansi, .tz = "UTC"};
}

static expr *col(kiln_arena *a, int i)
{
    static const char *const names[] = {"a", "b", "s", "d"};
    return expr_col(a, i, kTypes[i], true, names[i]);
}

static expr *i64(kiln_arena *a, int64_t v)
{
    return expr_lit(a, &col_type_i64, &v, "lit");
}

static expr *call2(kiln_arena *a, const char *fn, expr *x, expr *y, bool ansi)
{
    expr *args[2] = {x, y};
    expr *e = expr_call(a, fn, args, 2, ansi, "UTC", fn);
    if (!e) fail_msg("binding %s: %s", fn, kiln_last_error());
    return e;
}

/* Row i of v: 0 null, else 1 with *x. */
static int get_i64(const col_vec *v, uint32_t i, int64_t *x)
{
    if (!col_valid(v, i)) return 0;
    *x = COL_DATA(v, int64_t)[col_row(v, i)];
    return 1;
}

static int get_bool(const col_vec *v, uint32_t i)
{
    if (!col_valid(v, i)) return -1;
    return COL_DATA(v, uint8_t)[col_row(v, i)] != 0;
}

static void arithmetic_and_comparison(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    for (int round = 0; round < 20; round++) {
        col_batch b;
        uint32_t n = (uint32_t)(round == 0 ? 0 : rnd() % COL_VEC_SIZE + 1);
        make_batch(&b, a, n, round % 3 == 0 ? 0 : 15);
        if (round % 2) { /* a selection of every third row */
            uint32_t *sel = kiln_arena_alloc(a, sizeof *sel * (n ? n : 1));
            uint32_t k = 0;
            for (uint32_t i = 0; i < n; i += 3) sel[k++] = i;
            b.sel = sel;
            b.nsel = k;
        }
        fn_ctx c = ctx(a, true);
        expr *sum = call2(a, "+", col(a, 0), col(a, 1), true);
        expr *lt = call2(a, "<", col(a, 0), i64(a, 17), true);
        assert_int_equal(sum->type->kind, COL_I64);
        assert_int_equal(lt->type->kind, COL_BOOL);
        col_vec vs, vl;
        assert_int_equal(expr_eval(sum, &c, &b, &vs), KILN_OK);
        assert_int_equal(expr_eval(lt, &c, &b, &vl), KILN_OK);
        for (uint32_t k = 0; k < col_batch_live(&b); k++) {
            uint32_t i = b.sel ? b.sel[k] : k;
            int64_t x = 0, y = 0, r = 0;
            int hx = get_i64(&b.cols[0], i, &x), hy = get_i64(&b.cols[1], i, &y);
            assert_int_equal(get_i64(&vs, i, &r), hx && hy);
            if (hx && hy) assert_int_equal(r, x + y);
            assert_int_equal(get_bool(&vl, i), hx ? x < 17 : -1);
        }
        kiln_arena_reset(a);
    }
    kiln_arena_free(a);
}

static expr *tri_lit(kiln_arena *a, int v)
{
    uint8_t x = (uint8_t)(v == 1);
    return expr_lit(a, &col_type_bool, v < 0 ? NULL : &x, "t");
}

static void three_valued_logic(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    fn_ctx c = ctx(a, true);
    col_batch one = {.n = 1};
    static const int vals[] = {1, 0, -1};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int x = vals[i], y = vals[j];
            expr *args[2] = {tri_lit(a, x), tri_lit(a, y)};
            col_vec r;
            expr *and = expr_node(a, EX_AND, &col_type_bool, args, 2, "and");
            assert_int_equal(expr_eval(and, &c, &one, &r), KILN_OK);
            int want = (x == 0 || y == 0) ? 0 : (x < 0 || y < 0) ? -1 : 1;
            assert_int_equal(get_bool(&r, 0), want);
            expr * or = expr_node(a, EX_OR, &col_type_bool, args, 2, "or");
            assert_int_equal(expr_eval(or, &c, &one, &r), KILN_OK);
            want = (x == 1 || y == 1) ? 1 : (x < 0 || y < 0) ? -1 : 0;
            assert_int_equal(get_bool(&r, 0), want);
        }
    kiln_arena_free(a);
}

static void ansi_errors_and_short_circuit(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_batch b;
    make_batch(&b, a, 500, 10);
    fn_ctx c = ctx(a, true);
    /* a / b divides by zero somewhere: ANSI raises DIVIDE_BY_ZERO. */
    expr *div = call2(a, "/", col(a, 0), col(a, 1), true);
    col_vec r;
    assert_int_equal(expr_eval(div, &c, &b, &r), KILN_ESQL);
    assert_non_null(c.error);
    assert_non_null(strstr(c.error, "DIVIDE_BY_ZERO"));
    free(c.error);
    c.error = NULL;
    /* b <> 0 AND a / b > 1: the right side never sees a zero. */
    expr *ne = call2(a, "<>", col(a, 1), i64(a, 0), true);
    expr *gt = call2(a, ">", call2(a, "/", col(a, 0), col(a, 1), true), i64(a, 1), true);
    expr *args[2] = {ne, gt};
    expr *and = expr_node(a, EX_AND, &col_type_bool, args, 2, "and");
    assert_int_equal(expr_eval(and, &c, &b, &r), KILN_OK);
    for (uint32_t i = 0; i < b.n; i++) {
        int64_t x = 0, y = 0;
        int hx = get_i64(&b.cols[0], i, &x), hy = get_i64(&b.cols[1], i, &y);
        int want;
        if (hy && y == 0) want = 0;
        else if (!hx || !hy) want = -1;
        else want = (double)x / (double)y > 1;
        assert_int_equal(get_bool(&r, i), want);
    }
    /* Legacy mode: division by zero is null. */
    fn_ctx legacy = ctx(a, false);
    expr *div2 = call2(a, "/", col(a, 0), col(a, 1), false);
    assert_int_equal(expr_eval(div2, &legacy, &b, &r), KILN_OK);
    for (uint32_t i = 0; i < b.n; i++) {
        int64_t y;
        if (get_i64(&b.cols[1], i, &y) && y == 0) assert_false(col_valid(&r, i));
    }
    kiln_arena_free(a);
}

static void case_is_null_cast_fold(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_batch b;
    make_batch(&b, a, 1000, 20);
    fn_ctx c = ctx(a, true);
    col_str pos = col_str_view("pos", 3), neg = col_str_view("neg", 3);
    expr *args[5] = {
        call2(a, ">", col(a, 0), i64(a, 0), true),
        expr_lit(a, &col_type_string, &pos, "'pos'"),
        call2(a, "<", col(a, 0), i64(a, 0), true),
        expr_lit(a, &col_type_string, &neg, "'neg'"),
    };
    expr *cs = expr_node(a, EX_CASE, &col_type_string, args, 4, "case");
    expr *isn = expr_node(a, EX_IS_NULL, &col_type_bool, (expr *[]){col(a, 2)}, 1, "isnull");
    expr *cast = expr_cast(a, col(a, 0), &col_type_string, false, "cast");
    col_vec r1, r2, r3;
    assert_int_equal(expr_eval(cs, &c, &b, &r1), KILN_OK);
    assert_int_equal(expr_eval(isn, &c, &b, &r2), KILN_OK);
    assert_int_equal(expr_eval(cast, &c, &b, &r3), KILN_OK);
    for (uint32_t i = 0; i < b.n; i++) {
        int64_t x;
        int hx = get_i64(&b.cols[0], i, &x);
        if (!hx || x == 0) {
            assert_false(col_valid(&r1, i));
        } else {
            const col_str *s = &COL_DATA(&r1, col_str)[i];
            assert_true(col_str_eq(s, x > 0 ? &pos : &neg));
        }
        assert_int_equal(get_bool(&r2, i), !col_valid(&b.cols[2], i));
        assert_int_equal(col_valid(&r3, i), hx);
        if (hx) {
            char want[32];
            snprintf(want, sizeof want, "%lld", (long long)x);
            const col_str *s = &COL_DATA(&r3, col_str)[i];
            assert_int_equal(s->len, strlen(want));
            assert_memory_equal(col_str_data(s), want, s->len);
        }
    }
    /* 2 * 3 + 4 folds to a literal 10. */
    expr *f = call2(a, "+", call2(a, "*", i64(a, 2), i64(a, 3), true), i64(a, 4), true);
    assert_true(expr_is_const(f));
    assert_int_equal(expr_fold(a, &c, &f), KILN_OK);
    assert_int_equal(f->kind, EX_LIT);
    assert_int_equal(COL_DATA(&f->lit, int64_t)[0], 10);
    kiln_arena_free(a);
}

static void wire_form_evaluates_the_same(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_batch b;
    make_batch(&b, a, 700, 10);
    fn_ctx c = ctx(a, true);
    col_str pos = col_str_view("positive and long enough", 24);
    expr *args[3] = {
        call2(a, ">=", call2(a, "*", col(a, 0), i64(a, 3), true), i64(a, 30), true),
        expr_lit(a, &col_type_string, &pos, "'positive'"),
        col(a, 2),
    };
    expr *e = expr_node(a, EX_CASE, &col_type_string, args, 3, "case when a*3 >= 30");
    kiln_buf buf;
    kiln_buf_init(&buf);
    wire_writer w;
    wire_writer_init(&w, &buf);
    expr_encode(&w, e);
    assert_int_equal(wire_writer_finish(&w), KILN_OK);
    wire_reader r;
    wire_reader_init(&r, buf.data, buf.len, "expression");
    expr *d;
    assert_int_equal(expr_decode(&r, a, true, "UTC", &d), KILN_OK);
    assert_int_equal(wire_reader_end(&r), KILN_OK);
    assert_string_equal(d->text, e->text);
    col_vec x, y;
    assert_int_equal(expr_eval(e, &c, &b, &x), KILN_OK);
    assert_int_equal(expr_eval(d, &c, &b, &y), KILN_OK);
    for (uint32_t i = 0; i < b.n; i++) {
        assert_int_equal(col_valid(&x, i), col_valid(&y, i));
        if (col_valid(&x, i))
            assert_true(col_str_eq(&COL_DATA(&x, col_str)[i], &COL_DATA(&y, col_str)[i]));
    }
    /* Every cut of the bytes is refused. */
    for (size_t cut = 0; cut < buf.len; cut++) {
        wire_reader_init(&r, buf.data, cut, "expression");
        int rc = expr_decode(&r, a, true, "UTC", &d);
        assert_true(rc != KILN_OK || wire_reader_end(&r) != KILN_OK);
    }
    kiln_buf_release(&buf);
    kiln_arena_free(a);
}

static void pipelines_match_a_reference(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    enum { NB = 5 };
    col_batch batches[NB];
    for (int i = 0; i < NB; i++) make_batch(&batches[i], a, i == 2 ? 0 : 1500, 10);
    fn_ctx c = ctx(a, true);
    /* SELECT a + 1, s FROM t WHERE a > b LIMIT 700 OFFSET 5, over t UNION ALL t */
    expr *pred = call2(a, ">", col(a, 0), col(a, 1), true);
    expr *proj[2] = {call2(a, "+", col(a, 0), i64(a, 1), true), col(a, 2)};
    op *kids[2] = {op_batches(&c, batches, NB), op_batches(&c, batches, NB)};
    op *o = op_limit(&c, op_project(&c, op_filter(&c, op_union(&c, kids, 2), pred), proj, 2), 5,
                     700);
    kiln_value *rows;
    size_t n;
    assert_int_equal(op_drain_values(o, a, &rows, &n), KILN_OK);
    op_close(o);
    /* The reference: plain loops. */
    size_t want = 0, seen = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int bi = 0; bi < NB; bi++)
            for (uint32_t i = 0; i < batches[bi].n; i++) {
                int64_t x, y;
                if (!get_i64(&batches[bi].cols[0], i, &x) ||
                    !get_i64(&batches[bi].cols[1], i, &y) || !(x > y))
                    continue;
                if (seen++ < 5 || want >= 700) continue;
                assert_true(want < n);
                const kiln_value *row = &rows[want++];
                assert_int_equal(row->len, 2);
                assert_int_equal(row->u.items[0].u.i, x + 1);
                kiln_value s;
                assert_int_equal(col_vec_get_value(&batches[bi].cols[2], i, a, &s), KILN_OK);
                assert_true(kiln_value_eq(&row->u.items[1], &s));
            }
    assert_int_equal(n, want);
    kiln_arena_free(a);
}

static void show_layout(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    fn_ctx c = ctx(a, true);
    const col_type *types[2] = {&col_type_i32, &col_type_string};
    col_batch b;
    assert_int_equal(col_batch_init(&b, a, 2, types, 3), KILN_OK);
    int32_t ids[] = {1, 22, 333};
    const char *names[] = {"Alice", "a name longer than twenty chars", NULL};
    for (int i = 0; i < 3; i++) {
        COL_DATA(&b.cols[0], int32_t)[i] = ids[i];
        if (names[i])
            col_str_copy(a, names[i], (uint32_t)strlen(names[i]),
                         &COL_DATA(&b.cols[1], col_str)[i]);
        else {
            col_vec_add_validity(&b.cols[1], a, 3);
            col_set_null(&b.cols[1], (uint32_t)i);
        }
    }
    b.n = b.cols[0].n = b.cols[1].n = 3;
    col_field f[2] = {{"id", &col_type_i32, true}, {"name", &col_type_string, true}};
    col_schema s = {2, f};
    kiln_buf out;
    kiln_buf_init(&out);
    assert_int_equal(sql_show_format(&out, &c, &s, &b, 1, 2, 20, true), KILN_OK);
    kiln_buf_append(&out, "", 1);
    assert_string_equal((char *)out.data, "+---+--------------------+\n"
                                          "| id|                name|\n"
                                          "+---+--------------------+\n"
                                          "|  1|               Alice|\n"
                                          "| 22|a name longer tha...|\n"
                                          "+---+--------------------+\n"
                                          "only showing top 2 rows\n");
    out.len = 0;
    assert_int_equal(sql_show_format(&out, &c, &s, &b, 1, 20, 0, false), KILN_OK);
    kiln_buf_append(&out, "", 1);
    assert_string_equal((char *)out.data, "+---+-------------------------------+\n"
                                          "|id |name                           |\n"
                                          "+---+-------------------------------+\n"
                                          "|1  |Alice                          |\n"
                                          "|22 |a name longer than twenty chars|\n"
                                          "|333|NULL                           |\n"
                                          "+---+-------------------------------+\n");
    kiln_buf_release(&out);
    kiln_arena_free(a);
}

/* ---- Plan fragments (plan_wire.c) ---------------------------------------------- */

/* A task's input leaf of two bigint columns. */
static plan *input_leaf(kiln_arena *a)
{
    plan *l = plan_new(a, PLAN_INPUT, NULL, 0, 2);
    assert_non_null(l);
    for (int i = 0; i < 2; i++) l->cols[i] = (plan_col){i ? "b" : "a", NULL, &col_type_i64, true};
    l->side = -1;
    return l;
}

static void encode_plan(kiln_buf *b, const plan *p)
{
    b->len = 0;
    wire_writer w;
    wire_writer_init(&w, b);
    plan_encode(&w, p);
    assert_int_equal(wire_writer_finish(&w), KILN_OK);
}

static int decode_plan(kiln_arena *a, const kiln_buf *b, plan **out)
{
    wire_reader r;
    wire_reader_init(&r, b->data, b->len, "test fragment");
    kiln_set_error(KILN_EINVAL, "a message from before");
    int rc = plan_decode(&r, a, true, "UTC", out);
    if (rc == KILN_OK) assert_int_equal(r.off, b->len);
    return rc;
}

/* p's encoding is refused, with a message holding want. */
static void refused(kiln_arena *a, kiln_buf *b, const plan *p, const char *want)
{
    if (p) encode_plan(b, p);
    plan *out;
    assert_int_equal(decode_plan(a, b, &out), KILN_ECORRUPT);
    if (!strstr(kiln_last_error(), want)) fail_msg("'%s' lacks '%s'", kiln_last_error(), want);
    assert_non_null(strstr(kiln_last_error(), "test fragment: "));
}

static void plan_wire_refuses_with_a_message(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    kiln_buf b, b2;
    kiln_buf_init(&b);
    kiln_buf_init(&b2);
    /* A window over a projection of the input round-trips to the same bytes. */
    plan *in = input_leaf(a);
    plan *proj = plan_new(a, PLAN_PROJECT, &in, 1, 2);
    proj->exprs = kiln_arena_alloc(a, sizeof *proj->exprs * 2);
    for (int i = 0; i < 2; i++) {
        proj->cols[i] = in->cols[1 - i];
        proj->exprs[i] = expr_col(a, 1 - i, &col_type_i64, true, i ? "a" : "b");
    }
    plan *win = plan_new(a, PLAN_WINDOW, &proj, 1, 3);
    memcpy(win->cols, proj->cols, sizeof *win->cols * 2);
    win->cols[2] = (plan_col){"rn", NULL, &col_type_i32, false};
    win->nwin = 1;
    win->win = kiln_arena_alloc(a, sizeof *win->win);
    memset(win->win, 0, sizeof *win->win);
    win->win[0].fn = "row_number";
    win->win[0].core = 0;
    win->win[0].type = &col_type_i32;
    encode_plan(&b, win);
    plan *out;
    assert_int_equal(decode_plan(a, &b, &out), KILN_OK);
    assert_int_equal(out->kind, PLAN_WINDOW);
    assert_int_equal(out->in[0]->in[0]->side, -1);
    encode_plan(&b2, out);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    /* Every cut of it is refused with a message. */
    for (size_t cut = 0; cut < b2.len; cut++) {
        b.len = cut;
        refused(a, &b, NULL, "test fragment: ");
    }

    /* Values no task runs, which decoded before and reached the
     * operators: a window core function past win_fn's, a generator past
     * gen_fn's, an input side other than -1, 0 or 1, an aggregate mode. */
    win->win[0].core = 40;
    refused(a, &b, win, "Window node at depth 0");
    assert_non_null(strstr(kiln_last_error(), "core function 40"));
    win->win[0].core = 0;
    in->side = 5;
    refused(a, &b, win, "Input node at depth 2");
    assert_non_null(strstr(kiln_last_error(), "input side 5"));
    in->side = 0;
    plan *ex = plan_new(a, PLAN_EXPLODE, &in, 1, 2);
    memcpy(ex->cols, in->cols, sizeof *ex->cols * 2);
    ex->exprs = proj->exprs;
    ex->gen = 9;
    refused(a, &b, ex, "generator 9");
    plan *agg = plan_new(a, PLAN_AGG, &in, 1, 0);
    agg->agg_mode = 7;
    refused(a, &b, agg, "aggregate mode 7");
    plan *range = plan_new(a, PLAN_RANGE, NULL, 0, 0);
    range->step = 1;
    range->slices = -3;
    refused(a, &b, range, "-3 slices");

    /* Kinds no fragment has, and nesting past the limit: refused, before
     * with no message at all. */
    b.len = 0;
    uint8_t k = 99;
    kiln_buf_append(&b, &k, 1);
    refused(a, &b, NULL, "kind 99 is not a node of a fragment");
    plan *deep = in;
    for (int i = 0; i < 600; i++) {
        deep = plan_new(a, PLAN_LIMIT, &deep, 1, 0);
        deep->limit = 1;
    }
    refused(a, &b, deep, "plans nest deeper than 500 nodes");
    /* Counts past the bytes that follow are refused before their arrays
     * are allocated (100000 columns, then 100000 projections, in a few
     * bytes). */
    proj->ncols = 0;
    encode_plan(&b, proj);
    uint32_t big = 100000;
    memcpy(b.data + 1, &big, 4);
    refused(a, &b, NULL, "100000 columns in");
    encode_plan(&b, proj);
    memcpy(b.data + b.len - 4, &big, 4); /* the projections' count, last */
    refused(a, &b, NULL, "100000 projections in 0 bytes");
    /* A sub-decoder's failure without a message of its own gets one
     * naming the node and the part: an expression of an unknown kind. */
    proj->ncols = 2;
    encode_plan(&b, proj);
    b2.len = 0;
    wire_writer w;
    wire_writer_init(&w, &b2);
    for (int i = 0; i < 2; i++) expr_encode(&w, proj->exprs[i]);
    b.data[b.len - b2.len] = 200; /* the first expression's kind */
    refused(a, &b, NULL, "Project node at depth 0");
    assert_non_null(strstr(kiln_last_error(), "corrupt projections"));
    kiln_buf_release(&b);
    kiln_buf_release(&b2);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arithmetic_and_comparison),
        cmocka_unit_test(three_valued_logic),
        cmocka_unit_test(ansi_errors_and_short_circuit),
        cmocka_unit_test(case_is_null_cast_fold),
        cmocka_unit_test(wire_form_evaluates_the_same),
        cmocka_unit_test(plan_wire_refuses_with_a_message),
        cmocka_unit_test(pipelines_match_a_reference),
        cmocka_unit_test(show_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
