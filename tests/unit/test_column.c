/*
 * test_column.c - src/column: type names, schemas, vectors and the batch
 * wire form, against values read back row by row as kiln_values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "column/column.h"
#include "kiln.h"

static void type_names_round_trip(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"int", "int"},
        {"INTEGER", "int"},
        {"bigint", "bigint"},
        {"long", "bigint"},
        {"decimal(15, 2)", "decimal(15,2)"},
        {"decimal", "decimal(10,0)"},
        {"varchar(25)", "string"},
        {"double precision", "double"},
        {"array<struct<a: int, b:string>>", "array<struct<a:int,b:string>>"},
        {"map<string,array<double>>", "map<string,array<double>>"},
        {"timestamp_ntz", "timestamp_ntz"},
        {"struct<`weird name`:date>", "struct<weird name:date>"},
    };
    kiln_arena *a = kiln_arena_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const col_type *t;
        size_t at;
        assert_int_equal(col_type_parse(a, cases[i][0], strlen(cases[i][0]), &t, &at), KILN_OK);
        kiln_buf b;
        kiln_buf_init(&b);
        assert_int_equal(col_type_format(&b, t), KILN_OK);
        kiln_buf_append(&b, "", 1);
        assert_string_equal((char *)b.data, cases[i][1]);
        kiln_buf_release(&b);
    }
    static const char *const bad[] = {"",     "decimal(39,0)", "decimal(5,6)", "array<int",
                                      "nope", "map<int>",      "int int"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const col_type *t;
        size_t at = 999;
        assert_int_equal(col_type_parse(a, bad[i], strlen(bad[i]), &t, &at), KILN_EINVAL);
        assert_true(at <= strlen(bad[i]));
    }
    kiln_arena_free(a);
}

static void schema_ddl_and_tree(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    const char *ddl = "name STRING, age INT NOT NULL, tags array<string>, loc struct<x:double>";
    assert_int_equal(col_schema_parse_ddl(a, ddl, strlen(ddl), &s, NULL), KILN_OK);
    assert_int_equal(s.n, 4);
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(col_schema_format_tree(&b, &s), KILN_OK);
    kiln_buf_append(&b, "", 1);
    assert_string_equal((char *)b.data, "root\n"
                                        " |-- name: string (nullable = true)\n"
                                        " |-- age: int (nullable = false)\n"
                                        " |-- tags: array (nullable = true)\n"
                                        " |    |-- element: string (containsNull = true)\n"
                                        " |-- loc: struct (nullable = true)\n"
                                        " |    |-- x: double (nullable = true)\n");
    kiln_buf_release(&b);
    size_t at = 0;
    assert_int_equal(col_schema_parse_ddl(a, "a INT,, b", 9, &s, &at), KILN_EINVAL);
    assert_int_equal(at, 6);
    kiln_arena_free(a);
}

/* A random batch of every kind of column, with nulls. */
static const char *const kTypes[] = {
    "int",
    "bigint",
    "double",
    "decimal(10,2)",
    "decimal(38,3)",
    "string",
    "date",
    "boolean",
    "smallint",
    "binary",
    "array<int>",
    "struct<a:int,b:string>",
    "map<string,bigint>",
    "array<array<string>>",
};
#define NTYPES (int)(sizeof kTypes / sizeof kTypes[0])

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(col_vec *v, kiln_arena *a, uint32_t row, int null_pct);

static void fill_str(col_str *s, kiln_arena *a)
{
    uint32_t len = (uint32_t)(rnd() % 3 == 0 ? rnd() % 40 : rnd() % 12);
    char buf[64];
    for (uint32_t k = 0; k < len; k++) buf[k] = (char)('a' + rnd() % 26);
    if (len && rnd() % 4 == 0) buf[0] = (char)0xc3, buf[len > 1 ? 1 : 0] = (char)0xa9; /* é */
    assert_true(col_str_copy(a, buf, len, s));
}

static void fill(col_vec *v, kiln_arena *a, uint32_t row, int null_pct)
{
    if ((int)(rnd() % 100) < null_pct) {
        assert_int_equal(col_vec_add_validity(v, a, COL_VEC_SIZE), KILN_OK);
        col_set_null(v, row);
        if (v->offsets) v->offsets[row + 1] = v->offsets[row];
        return;
    }
    switch (v->type->kind) {
    case COL_BOOL:
        COL_DATA(v, uint8_t)[row] = rnd() & 1;
        break;
    case COL_I16:
        COL_DATA(v, int16_t)[row] = (int16_t)rnd();
        break;
    case COL_I32:
    case COL_DATE:
        COL_DATA(v, int32_t)[row] = (int32_t)rnd();
        break;
    case COL_I64:
        COL_DATA(v, int64_t)[row] = (int64_t)rnd();
        break;
    case COL_F64:
        COL_DATA(v, double)[row] = (double)(int64_t)rnd() / 1e6;
        break;
    case COL_DECIMAL:
        if (col_decimal_is_wide(v->type))
            COL_DATA(v, __int128)[row] = (__int128)(int64_t)rnd() * 1000003;
        else COL_DATA(v, int64_t)[row] = (int64_t)(rnd() % 10000000000ull);
        break;
    case COL_STRING:
    case COL_BINARY:
        fill_str(&COL_DATA(v, col_str)[row], a);
        break;
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t at = v->offsets[row], len = (uint32_t)(rnd() % 4);
        assert_int_equal(col_vec_reserve_child(v, a, at + len), KILN_OK);
        for (uint32_t k = 0; k < len; k++)
            for (int c = 0; c < v->nchildren; c++) {
                fill(&v->children[c], a, at + k, c == 0 && v->type->kind == COL_MAP ? 0 : 10);
                if (v->children[c].n < at + k + 1) v->children[c].n = at + k + 1;
            }
        v->offsets[row + 1] = at + len;
        break;
    }
    case COL_STRUCT:
        for (int c = 0; c < v->nchildren; c++) {
            fill(&v->children[c], a, row, 10);
            v->children[c].n = row + 1;
        }
        break;
    default:
        fail();
    }
}

static void make_batch(col_batch *b, kiln_arena *a, uint32_t n)
{
    const col_type *types[NTYPES];
    for (int i = 0; i < NTYPES; i++)
        assert_int_equal(col_type_parse(a, kTypes[i], strlen(kTypes[i]), &types[i], NULL), KILN_OK);
    assert_int_equal(col_batch_init(b, a, NTYPES, types, n), KILN_OK);
    for (int c = 0; c < NTYPES; c++) {
        for (uint32_t r = 0; r < n; r++) fill(&b->cols[c], a, r, c % 3 == 0 ? 0 : 20);
        b->cols[c].n = n;
    }
    b->n = n;
}

/* Row r of b's column c equals row s of d's. */
static void assert_same_row(const col_batch *b, uint32_t r, const col_batch *d, uint32_t s,
                            kiln_arena *a)
{
    for (int c = 0; c < b->ncols; c++) {
        kiln_value x, y;
        assert_int_equal(col_vec_get_value(&b->cols[c], r, a, &x), KILN_OK);
        assert_int_equal(col_vec_get_value(&d->cols[c], s, a, &y), KILN_OK);
        if (!kiln_value_eq(&x, &y)) fail_msg("column %d (%s) row %u differs", c, kTypes[c], r);
    }
}

static void wire_round_trip(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    uint32_t sizes[] = {0, 1, 7, 64, 65, 1000, COL_VEC_SIZE};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        col_batch b, d;
        make_batch(&b, a, sizes[k]);
        kiln_buf buf;
        kiln_buf_init(&buf);
        assert_int_equal(col_batch_encode(&buf, &b), KILN_OK);
        assert_int_equal(col_batch_decode(&d, a, buf.data, buf.len), KILN_OK);
        assert_int_equal(d.n, b.n);
        assert_int_equal(d.ncols, b.ncols);
        for (int c = 0; c < b.ncols; c++) assert_true(col_type_eq(b.cols[c].type, d.cols[c].type));
        for (uint32_t r = 0; r < b.n; r++) assert_same_row(&b, r, &d, r, a);
        /* Unaligned input decodes to the same rows (copied buffers). */
        uint8_t *odd = malloc(buf.len + 1);
        memcpy(odd + 1, buf.data, buf.len);
        assert_int_equal(col_batch_decode(&d, a, odd + 1, buf.len), KILN_OK);
        for (uint32_t r = 0; r < b.n; r++) assert_same_row(&b, r, &d, r, a);
        free(odd);
        /* With a selection only the live rows travel, in order. */
        if (b.n > 3) {
            uint32_t sel[] = {1, 2, b.n - 1};
            b.sel = sel;
            b.nsel = 3;
            buf.len = 0;
            assert_int_equal(col_batch_encode(&buf, &b), KILN_OK);
            assert_int_equal(col_batch_decode(&d, a, buf.data, buf.len), KILN_OK);
            assert_int_equal(d.n, 3);
            for (uint32_t r = 0; r < 3; r++) assert_same_row(&b, sel[r], &d, r, a);
            /* compact gives the same rows in place */
            col_batch e = b;
            assert_int_equal(col_batch_compact(&e, a), KILN_OK);
            assert_null(e.sel);
            for (uint32_t r = 0; r < 3; r++) assert_same_row(&b, sel[r], &e, r, a);
        }
        kiln_buf_release(&buf);
        kiln_arena_reset(a);
    }
    kiln_arena_free(a);
}

static void wire_refuses_damage(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_batch b, d;
    make_batch(&b, a, 40);
    kiln_buf buf;
    kiln_buf_init(&buf);
    assert_int_equal(col_batch_encode(&buf, &b), KILN_OK);
    kiln_arena *scratch = kiln_arena_new();
    /* Every cut is refused (never read past the end: ASan checks). */
    for (size_t cut = 0; cut < buf.len; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, buf.data, cut);
        assert_int_not_equal(col_batch_decode(&d, scratch, p, cut), KILN_OK);
        free(p);
        kiln_arena_reset(scratch);
    }
    /* Flipped bytes decode or are refused, never crash. */
    for (int i = 0; i < 2000; i++) {
        uint8_t *p = malloc(buf.len);
        memcpy(p, buf.data, buf.len);
        p[rnd() % buf.len] ^= (uint8_t)(1 + rnd() % 255);
        int rc = col_batch_decode(&d, scratch, p, buf.len);
        assert_true(rc == KILN_OK || rc == KILN_ECORRUPT || rc == KILN_ENOMEM);
        if (rc == KILN_OK)
            for (uint32_t r = 0; r < d.n && d.ncols; r++) {
                kiln_value v;
                for (int c = 0; c < d.ncols; c++)
                    (void)col_vec_get_value(&d.cols[c], r, scratch, &v);
            }
        free(p);
        kiln_arena_reset(scratch);
    }
    kiln_buf_release(&buf);
    kiln_arena_free(scratch);
    kiln_arena_free(a);
}

static void constants_and_strings(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_str s = col_str_view("a long string of bytes", 22);
    col_vec v, f;
    assert_int_equal(col_vec_constant(&v, a, &col_type_string, &s, 5), KILN_OK);
    assert_int_equal(col_vec_flatten(&f, a, &v), KILN_OK);
    assert_false(f.constant);
    for (uint32_t i = 0; i < 5; i++) assert_true(col_str_eq(&COL_DATA(&f, col_str)[i], &s));
    assert_int_equal(col_vec_constant(&v, a, &col_type_i32, NULL, 3), KILN_OK);
    assert_false(col_valid(&v, 2));
    col_str x = col_str_view("abcd", 4), y = col_str_view("abcde", 5),
            z = col_str_view("abcdefghijklmnopq", 17), w = col_str_view("abcdefghijklmnopr", 17);
    assert_true(col_str_cmp(&x, &y) < 0);
    assert_true(col_str_cmp(&z, &w) < 0);
    assert_true(col_str_cmp(&w, &z) > 0);
    assert_int_equal(col_str_cmp(&z, &z), 0);
    assert_false(col_str_eq(&z, &w));
    col_str z2;
    assert_true(col_str_copy(a, "abcdefghijklmnopq", 17, &z2));
    assert_true(col_str_eq(&z, &z2));
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names_round_trip), cmocka_unit_test(schema_ddl_and_tree),
        cmocka_unit_test(wire_round_trip),       cmocka_unit_test(wire_refuses_damage),
        cmocka_unit_test(constants_and_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
