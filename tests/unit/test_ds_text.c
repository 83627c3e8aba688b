/*
 * tests/unit/test_ds_text.c - the text source (src/datasource/text.c):
 * lines with "\n" and "\r\n" removed, empty lines kept, wholetext, gzip
 * input, every two-way split equal to one split (compared with the lines
 * split by a plain loop), the writer read back, and the one-string-column
 * rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasource/ds_int.h"
#include "kt.h"
#include "kt_ds.h"

static char *dir;

/* The reference: lines of text, "\r\n"/"\n" removed, joined by "\n". */
static char *text_ref_lines(const char *t, size_t n)
{
    char *out = malloc(n + 2);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n && start == n) break;
        if (i == n || t[i] == '\n') {
            size_t e = i;
            if (i < n && e > start && t[e - 1] == '\r') e--;
            memcpy(out + k, t + start, e - start);
            k += e - start;
            out[k++] = '\n';
            start = i + 1;
        }
    }
    out[k] = '\0';
    return out;
}

static void test_lines(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 11);
    static const char *const pieces[] = {"a", "\n", "\r\n", "héllo", " ", "\r", "日本", "\n\n"};
    for (int iter = 0; iter < 8; iter++) {
        char text[600];
        size_t n = 0;
        int np = 1 + iter * 10;
        for (int i = 0; i < np; i++) {
            const char *p = pieces[rng_next(&r) % 8];
            memcpy(text + n, p, strlen(p));
            n += strlen(p);
        }
        char *p = kt_path(dir, "t.txt");
        kt_write_file(p, text, n);
        char *want = text_ref_lines(text, n);
        ds_options *o = kt_ds_opts(NULL);
        char *got, *schema;
        assert_int_equal(kt_ds_read("text", p, o, NULL, NULL, 0, &got, &schema), 0);
        assert_string_equal(schema, "value:string");
        assert_string_equal(got, want);
        free(got);
        free(schema);
        for (int64_t cut = 1; cut < (int64_t)n; cut++) {
            assert_int_equal(kt_ds_read("text", p, o, "value STRING", &cut, 1, &got, NULL), 0);
            assert_string_equal(got, want);
            free(got);
        }
        ds_options_free(o);
        /* wholetext: the file as one row. */
        o = kt_ds_opts("wholetext", "true", NULL);
        assert_int_equal(kt_ds_read("text", p, o, NULL, NULL, -1, &got, NULL), 0);
        assert_int_equal(strlen(got), n + 1);
        assert_memory_equal(got, text, n);
        free(got);
        ds_options_free(o);
        free(want);
        free(p);
    }
}

static void test_gzip_and_empty(void **state)
{
    (void)state;
    char *p = kt_path(dir, "z.txt.gz");
    gzFile f = gzopen(p, "wb");
    gzputs(f, "one\ntwo\r\n\nthree");
    gzclose(f);
    ds_options *o = kt_ds_opts(NULL);
    char *got;
    assert_int_equal(kt_ds_read("text", p, o, NULL, NULL, -1, &got, NULL), 0);
    assert_string_equal(got, "one\ntwo\n\nthree\n");
    free(got);
    free(p);
    p = kt_path(dir, "empty.txt");
    kt_write_file(p, "", 0);
    assert_int_equal(kt_ds_read("text", p, o, NULL, NULL, -1, &got, NULL), 0);
    assert_string_equal(got, "");
    free(got);
    free(p);
    ds_options_free(o);
}

static void test_writer(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_schema s, bad;
    size_t pos;
    assert_int_equal(col_schema_parse_ddl(a, "value STRING", 12, &s, &pos), 0);
    assert_int_equal(col_schema_parse_ddl(a, "a STRING, b INT", 15, &bad, &pos), 0);
    char *out = kt_path(dir, "tout");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(out, &job), 0);
    ds_options *o = kt_ds_opts("compression", "gzip", NULL);
    ds_writer *w;
    assert_int_equal(ds_writer_open("text", job, 0, 0, "u1", &bad, o, &w), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "single column"));
    assert_int_equal(ds_writer_open("text", job, 0, 0, "u1", &s, o, &w), 0);
    col_batch b;
    const col_type *t = &col_type_string;
    assert_int_equal(col_batch_init(&b, a, 1, &t, 3), 0);
    b.n = b.cols[0].n = 3;
    col_vec_add_validity(&b.cols[0], a, 3);
    col_str_copy(a, "héllo wörld, a longer line", (uint32_t)strlen("héllo wörld, a longer line"),
                 &COL_DATA(&b.cols[0], col_str)[0]);
    col_set_null(&b.cols[0], 1);
    col_str_copy(a, "x", 1, &COL_DATA(&b.cols[0], col_str)[2]);
    assert_int_equal(ds_writer_write(w, &b), 0);
    assert_int_equal(ds_writer_commit(w), 0);
    assert_int_equal(io_output_job_commit(job, 1), 0);
    char *part = kt_path(out, "part-00000-u1-c000.txt.gz");
    char *got;
    ds_options *ro = kt_ds_opts(NULL);
    assert_int_equal(kt_ds_read("text", part, ro, NULL, NULL, -1, &got, NULL), 0);
    assert_string_equal(got, "héllo wörld, a longer line\n\nx\n");
    char *succ = kt_path(out, "_SUCCESS");
    assert_true(kt_exists(succ));
    free(succ);
    free(got);
    free(part);
    ds_options_free(o);
    ds_options_free(ro);
    free(out);
    kiln_arena_free(a);
}

int main(void)
{
    dir = kt_tmpdir_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_gzip_and_empty),
        cmocka_unit_test(test_writer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kt_rm_rf(dir);
    free(dir);
    return rc;
}
