/*
 * test_web_html.c - src/web's HTML helpers: html_esc against a reference
 * written differently (decode each code point, check it against Unicode's
 * table of well-formed sequences, then escape) on random byte strings,
 * mostly ASCII with the dangerous characters, sometimes arbitrary bytes;
 * html_printf escaping every %s and nothing else; tables (sort keys, the
 * empty row); Spark's duration and size formats on their boundaries; the
 * DAG's ranks, escaped labels and refused edges.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "kt.h"
#include "web/web.h"

/* The reference: Unicode 15, table 3-7 (well-formed UTF-8 byte sequences). */
static size_t ref_seq(const unsigned char *s, size_t n)
{
    struct {
        unsigned char lo0, hi0, lo1, hi1;
        int len;
    } rows[] = {
        {0x00, 0x7f, 0, 0, 1},       {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
        {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
        {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0) continue;
        size_t len = (size_t)rows[r].len;
        if (len == 1) return 1;
        if (n < len || s[1] < rows[r].lo1 || s[1] > rows[r].hi1) return 0;
        for (size_t k = 2; k < len; k++)
            if (s[k] < 0x80 || s[k] > 0xbf) return 0;
        return len;
    }
    return 0;
}

static void ref_escape(kiln_buf *b, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = ref_seq(s + i, n - i);
        if (len == 0) {
            kiln_buf_append(b, "\xef\xbf\xbd", 3);
            i++;
            continue;
        }
        if (len == 1) {
            unsigned char c = s[i];
            const char *e = c == '&'    ? "&amp;"
                            : c == '<'  ? "&lt;"
                            : c == '>'  ? "&gt;"
                            : c == '"'  ? "&quot;"
                            : c == '\'' ? "&#39;"
                            : c == '`'  ? "&#96;"
                                        : NULL;
            if (e) kiln_buf_append(b, e, strlen(e));
            else if ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t') kiln_buf_append(b, &c, 1);
        } else {
            kiln_buf_append(b, s + i, len);
        }
        i += len;
    }
}

static void escaping_matches_reference(void **state)
{
    srand(1616);
    static const char hot[] = "<>&\"'`=/ \n\tab\xc3\xa9";
    for (int round = 0; round < 20000; round++) {
        unsigned char in[64];
        size_t n = (size_t)(round % 9 == 0 ? 0 : rand() % 64);
        int mode = rand() % 3;
        for (size_t i = 0; i < n; i++)
            in[i] = mode == 0   ? (unsigned char)hot[rand() % (sizeof hot - 1)]
                    : mode == 1 ? (unsigned char)(rand() % 256)
                                : (unsigned char)(0x80 + rand() % 0x80);
        kiln_buf got, want;
        kiln_buf_init(&got);
        kiln_buf_init(&want);
        KT_OK(html_esc_n(&got, (const char *)in, n));
        ref_escape(&want, in, n);
        KT_CHECK(got.len == want.len && (got.len == 0 || memcmp(got.data, want.data, got.len) == 0),
                 "round %d (mode %d, %zu bytes): %zu bytes, reference %zu", round, mode, n, got.len,
                 want.len);
        /* Nothing that could open a tag or end an attribute survives. */
        for (size_t i = 0; i < got.len; i++)
            assert_true(got.data[i] != '<' && got.data[i] != '>' && got.data[i] != '"' &&
                        got.data[i] != '\'' && got.data[i] != '`');
        kiln_buf_release(&got);
        kiln_buf_release(&want);
    }
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(html_esc(&b, "\"'><img src=x onerror=alert(1)>"));
    kiln_buf_append(&b, "", 1);
    assert_string_equal((char *)b.data, "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;");
    kiln_buf_release(&b);
}

static char *str(kiln_buf *b)
{
    kiln_buf_append(b, "", 1);
    return (char *)b->data;
}

static void printf_tables_and_page(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(html_printf(&b, "<a href=\"%s\">%s</a> %d %u %lld %llu %zu %x %%", "/x?a=1&b=\"", "<b>",
                      -3, 7u, -9000000000LL, 9000000000ULL, (size_t)42, 255u));
    assert_string_equal(str(&b), "<a href=\"/x?a=1&amp;b=&quot;\">&lt;b&gt;</a> -3 7 "
                                 "-9000000000 9000000000 42 ff %");
    b.len = 0;
    KT_RC(KILN_EINVAL, html_printf(&b, "%f", 1.0));
    b.len = 0;
    html_col cols[] = {{"Name <i>", HTML_TEXT}, {"Size", HTML_NUM}};
    KT_OK(html_table_begin(&b, "t", cols, 2));
    KT_OK(html_table_end(&b, "Nothing & none."));
    char *s = str(&b);
    assert_non_null(strstr(s, "<th data-kind=\"text\" tabindex=\"0\">Name &lt;i&gt;</th>"));
    assert_non_null(strstr(s, "<th data-kind=\"num\""));
    assert_non_null(strstr(s, "<tr class=\"empty\"><td colspan=\"99\">Nothing &amp; none.</td>"));
    b.len = 0;
    KT_OK(html_table_begin(&b, "t", cols, 2));
    KT_OK(html_row_begin(&b));
    KT_OK(html_cell(&b, "a<b", NULL));
    KT_OK(html_cell_num(&b, "1.5 KiB", 1536));
    KT_OK(html_row_end(&b));
    KT_OK(html_table_end(&b, "none"));
    s = str(&b);
    assert_non_null(strstr(s, "<td>a&lt;b</td><td data-sort=\"1536\" class=\"num\">1.5 KiB</td>"));
    assert_null(strstr(s, "none"));
    b.len = 0;
    html_tab tabs[] = {{"Jobs", "/jobs/"}, {"Stages", "/stages/"}};
    KT_OK(html_page_begin(&b, "kiln", "App <x>", tabs, 2, 1));
    KT_OK(html_page_end(&b));
    s = str(&b);
    assert_non_null(strstr(s, "<title>App &lt;x&gt;</title>"));
    assert_non_null(strstr(s, "<a href=\"/jobs/\">Jobs</a>"));
    assert_non_null(
        strstr(s, "<a href=\"/stages/\" class=\"active\" aria-current=\"page\">Stages"));
    assert_non_null(strstr(s, "<script src=\"/static/kiln.js\" defer></script>"));
    assert_null(strstr(s, "style=")); /* the CSP allows no inline style */
    kiln_buf_release(&b);
}

static void spark_formats(void **state)
{
    struct {
        int64_t ms;
        const char *want;
    } d[] = {{0, "0 ms"},        {99, "99 ms"},       {100, "0.1 s"},     {999, "1.0 s"},
             {1000, "1 s"},      {59000, "59 s"},     {60000, "1.0 min"}, {599999, "10.0 min"},
             {600000, "10 min"}, {3599999, "60 min"}, {3600000, "1.0 h"}, {-5, "0 ms"}};
    char out[64];
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        web_fmt_duration(out, sizeof out, d[i].ms);
        KT_CHECK(strcmp(out, d[i].want) == 0, "%lld ms: %s, expected %s", (long long)d[i].ms, out,
                 d[i].want);
    }
    struct {
        uint64_t bytes;
        const char *want;
    } s[] = {{0, "0.0 B"},
             {512, "512.0 B"},
             {2047, "2047.0 B"},
             {2048, "2.0 KiB"},
             {1536ull << 20, "1536.0 MiB"},
             {2ull << 30, "2.0 GiB"},
             {5ull << 40, "5.0 TiB"},
             {UINT64_MAX, "16.0 EiB"}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        web_fmt_bytes(out, sizeof out, s[i].bytes);
        KT_CHECK(strcmp(out, s[i].want) == 0, "%llu bytes: %s, expected %s",
                 (unsigned long long)s[i].bytes, out, s[i].want);
    }
    web_fmt_mib(out, sizeof out, 1536ull << 20);
    assert_string_equal(out, "1536.0 MiB");
    web_fmt_time(out, sizeof out, 0);
    assert_string_equal(out, "");
    web_fmt_time(out, sizeof out, 1700000000000LL);
    assert_int_equal(strlen(out), 19); /* 2023/11/14 22:13:20 in UTC; local time here */
    assert_true(out[4] == '/' && out[7] == '/' && out[10] == ' ' && out[13] == ':');
}

/* The x of node i's <rect> in svg. */
static int rect_x(const char *svg, int i)
{
    const char *p = svg;
    for (int k = 0; k <= i; k++) {
        p = strstr(p, "<rect x=\"");
        if (p == NULL) return -1;
        p += 9;
    }
    return atoi(p);
}

static void dag_layout(void **state)
{
    /* 0 -> 1 -> 3, 0 -> 2 -> 3, 4 alone; a cycle 5 <-> 6 must not loop. */
    web_dag_node nodes[] = {{"Stage 0 <map>", "/stages/0", NULL},
                            {"Stage 1", NULL, NULL},
                            {"\"'><img src=x onerror=alert(1)>", NULL, "failed"},
                            {"a very long label that does not fit in a box at all", NULL, NULL},
                            {"alone", NULL, NULL},
                            {"c1", NULL, NULL},
                            {"c2", NULL, NULL}};
    web_dag_edge edges[] = {{0, 1}, {1, 3}, {0, 2}, {2, 3}, {5, 6}, {6, 5}};
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(web_dag_svg(&b, nodes, 7, edges, 6));
    char *svg = str(&b);
    assert_int_equal(rect_x(svg, 0), rect_x(svg, 4)); /* sources in the first rank */
    assert_true(rect_x(svg, 1) > rect_x(svg, 0));
    assert_int_equal(rect_x(svg, 1), rect_x(svg, 2));
    assert_true(rect_x(svg, 3) > rect_x(svg, 1));
    assert_null(strstr(svg, "<img"));
    assert_null(strstr(svg, "<map>"));
    assert_non_null(strstr(svg, "&lt;map&gt;"));
    assert_non_null(strstr(svg, "<a href=\"/stages/0\">"));
    assert_non_null(strstr(svg, "\xe2\x80\xa6")); /* the long label is cut */
    assert_non_null(strstr(svg, "<title>a very long label that does not fit in a box at all"));
    b.len = 0;
    web_dag_edge bad = {0, 7};
    KT_RC(KILN_EINVAL, web_dag_svg(&b, nodes, 7, &bad, 1));
    KT_OK(web_dag_svg(&b, NULL, 0, NULL, 0));
    kiln_buf_release(&b);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escaping_matches_reference),
        cmocka_unit_test(printf_tables_and_page),
        cmocka_unit_test(spark_formats),
        cmocka_unit_test(dag_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
