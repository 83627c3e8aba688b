/*
 * tests/unit/test_io_lines.c - the line reader (src/io/lines.c): every line
 * of a file is read exactly once, in order, by any tiling of the file into
 * splits; "\n" and "\r\n" are removed; a last line without '\n' is kept;
 * lines far longer than the read buffer come back whole.
 *
 * Files are generated with a fixed seed in a fresh directory under /tmp and
 * removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

/* ---- Helpers ---------------------------------------------------------------- */

static char tmpdir[64];

typedef struct rnd {
    uint64_t s;
} rnd;

static uint64_t rnd_next(rnd *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static size_t rnd_below(rnd *r, size_t n)
{
    return n == 0 ? 0 : (size_t)(rnd_next(r) % n);
}

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void text_add(text *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
}

static void text_adds(text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

/* Random text: empty lines, "\r\n" endings, lone '\r' inside lines, UTF-8,
 * and (by coin toss) no final newline. Line lengths up to max_line. */
static void gen_text(rnd *r, text *t, size_t target, size_t max_line)
{
    static const char *const words[] = {"a",
                                        "kiln",
                                        "h\xc3\xa9llo",
                                        "w\xc3\xb6rld",
                                        "\xe2\x9c\x93",
                                        "\xe6\x97\xa5\xe6\x9c\xac",
                                        "\xf0\x9f\x99\x82",
                                        "x\ry",
                                        " ",
                                        "\t",
                                        "word"};
    while (t->len < target) {
        size_t kind = rnd_below(r, 10);
        if (kind == 0) {
            text_adds(t, "\n"); /* empty line */
            continue;
        }
        size_t len = rnd_below(r, max_line + 1);
        size_t start = t->len;
        while (t->len - start < len)
            text_adds(t, words[rnd_below(r, sizeof words / sizeof words[0])]);
        text_adds(t, kind == 1 ? "\r\n" : kind == 2 ? "\r\r\n" : "\n");
    }
    if (rnd_below(r, 2) == 0 && t->len > 0 && t->p[t->len - 1] == '\n') t->len--;
}

static char *write_file(const char *name, const void *p, size_t n)
{
    char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The expected lines, computed in the simplest way: split at '\n', drop one
 * '\r' before it, keep a last line without '\n'. */
typedef struct span {
    const char *p;
    size_t len;
} span;

static size_t ref_lines(const char *p, size_t n, span *out)
{
    size_t k = 0, pos = 0;
    while (pos < n) {
        const char *nl = memchr(p + pos, '\n', n - pos);
        size_t end = nl != NULL ? (size_t)(nl - p) : n;
        size_t len = end - pos;
        if (nl != NULL && len > 0 && p[end - 1] == '\r') len--;
        out[k].p = p + pos;
        out[k].len = len;
        k++;
        pos = end + 1;
    }
    return k;
}

/* Reads split (path, start, length) and checks each line against exp[*k...],
 * advancing *k. */
static void check_split(const char *path, int64_t start, int64_t length, bool whole,
                        const span *exp, size_t nexp, size_t *k)
{
    io_split s = {.path = (char *)path, .start = start, .length = length, .whole = whole};
    io_line_reader *r;
    assert_int_equal(io_line_reader_open(&s, &r), KILN_OK);
    const char *line;
    size_t len;
    int rc;
    while ((rc = io_line_reader_next(r, &line, &len)) == 1) {
        if (*k >= nexp)
            fail_msg("split %lld+%lld of %s: extra line", (long long)start, (long long)length,
                     path);
        if (len != exp[*k].len || memcmp(line, exp[*k].p, len) != 0)
            fail_msg("split %lld+%lld of %s: line %zu differs (len %zu, expected %zu)",
                     (long long)start, (long long)length, path, *k, len, exp[*k].len);
        (*k)++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(io_line_reader_next(r, &line, &len), 0); /* stays at the end */
    io_line_reader_close(r);
}

/* Tiles the file into splits of split_len bytes and checks that together
 * they give exactly the expected lines, in order. */
static void check_tiling(const char *path, size_t size, size_t split_len, const span *exp,
                         size_t nexp)
{
    size_t k = 0;
    for (size_t start = 0; start < size; start += split_len) {
        size_t len = size - start < split_len ? size - start : split_len;
        check_split(path, (int64_t)start, (int64_t)len, false, exp, nexp, &k);
    }
    if (k != nexp)
        fail_msg("%s with %zu-byte splits: %zu lines read, %zu expected", path, split_len, k, nexp);
}

/* Every split size from 1 byte to the whole file, plus the whole split. */
static void check_every_split_size(const char *name, const char *data, size_t size)
{
    char *path = write_file(name, data, size);
    span *exp = malloc((size + 1) * sizeof *exp);
    assert_non_null(exp);
    size_t nexp = ref_lines(data, size, exp);
    for (size_t l = 1; l <= size + 1; l++) check_tiling(path, size, l, exp, nexp);
    size_t k = 0;
    check_split(path, 0, -1, true, exp, nexp, &k);
    assert_int_equal(k, nexp);
    free(exp);
    free(path);
}

static int setup(void **state)
{
    strcpy(tmpdir, "/tmp/kiln-test-io-lines-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    return io_remove_tree(tmpdir) == KILN_OK ? 0 : -1;
}

/* ---- Tests ------------------------------------------------------------------ */

static void test_edge_files_every_split(void **state)
{
    static const char *const cases[] = {
        "",        "\n",        "\n\n",      "a",
        "a\n",     "\r\n",      "\r",        "a\r\nb",
        "a\rb\n",  "\n\na\n\n", "ab\ncd\n",  "ab\r\n\r\ncd",
        "a\nb\nc", "\r\n\r\n",  "x\r\r\n\r", "\xc3\xa9\n\xe2\x9c\x93"};
    char name[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(name, sizeof name, "edge-%zu", i);
        check_every_split_size(name, cases[i], strlen(cases[i]));
    }
}

static void test_random_small_files_every_split(void **state)
{
    rnd r = {42};
    char name[32];
    for (int i = 0; i < 40; i++) {
        text t = {0};
        gen_text(&r, &t, rnd_below(&r, 300), 1 + rnd_below(&r, 40));
        snprintf(name, sizeof name, "small-%d", i);
        check_every_split_size(name, t.p != NULL ? t.p : "", t.len);
        free(t.p);
    }
}

static void test_random_file_every_split(void **state)
{
    rnd r = {7};
    text t = {0};
    gen_text(&r, &t, 3000, 120);
    check_every_split_size("medium", t.p, t.len);
    free(t.p);
}

/* Random cut points rather than equal split sizes. */
static void test_random_tilings(void **state)
{
    rnd r = {99};
    text t = {0};
    gen_text(&r, &t, 20000, 200);
    char *path = write_file("tilings", t.p, t.len);
    span *exp = malloc((t.len + 1) * sizeof *exp);
    size_t nexp = ref_lines(t.p, t.len, exp);
    for (int round = 0; round < 200; round++) {
        size_t k = 0, start = 0;
        while (start < t.len) {
            size_t len = 1 + rnd_below(&r, round % 2 ? 300 : 5000);
            if (len > t.len - start) len = t.len - start;
            check_split(path, (int64_t)start, (int64_t)len, false, exp, nexp, &k);
            start += len;
        }
        assert_int_equal(k, nexp);
    }
    free(exp);
    free(path);
    free(t.p);
}

/* Lines of several MiB, longer than the 1 MiB read buffer, with "\r\n", an
 * empty line between them and a long last line without '\n'. */
static void test_very_long_lines(void **state)
{
    rnd r = {5};
    text t = {0};
    size_t longs[] = {3 << 20, (5 << 20) / 2, 2 << 20, (21 << 20) / 10};
    text_adds(&t, "short\n");
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < longs[i]; j++) {
            char c = (char)('a' + rnd_below(&r, 26));
            text_add(&t, &c, 1);
        }
        text_adds(&t, i == 1 ? "\r\n" : i == 3 ? "" : "\n\nmid\n");
    }
    char *path = write_file("long", t.p, t.len);
    span *exp = malloc(64 * sizeof *exp);
    size_t nexp = ref_lines(t.p, t.len, exp);
    assert_int_equal(nexp, 9);
    assert_int_equal(exp[nexp - 1].len, longs[3]);

    size_t k = 0;
    check_split(path, 0, -1, true, exp, nexp, &k);
    assert_int_equal(k, nexp);
    size_t sizes[] = {4096,    100000,        (1 << 20) - 1, 1 << 20,  (1 << 20) + 1,
                      3 << 20, (4 << 20) + 3, t.len / 2,     t.len - 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_tiling(path, t.len, sizes[i], exp, nexp);

    /* And the splits io_text_splits makes. */
    for (int m = 1; m <= 9; m += 2) {
        io_split *s;
        size_t n;
        assert_int_equal(io_text_splits(path, m, &s, &n), KILN_OK);
        k = 0;
        for (size_t i = 0; i < n; i++)
            check_split(path, s[i].start, s[i].length, s[i].whole, exp, nexp, &k);
        assert_int_equal(k, nexp);
        io_splits_free(s, n);
    }
    free(exp);
    free(path);
    free(t.p);
}

/* Many short lines over several buffer refills (lines cross the 1 MiB
 * boundaries of the reads). */
static void test_many_lines_across_buffers(void **state)
{
    rnd r = {11};
    text t = {0};
    gen_text(&r, &t, (size_t)5 << 20, 200);
    char *path = write_file("many", t.p, t.len);
    span *exp = malloc((t.len + 1) * sizeof *exp);
    size_t nexp = ref_lines(t.p, t.len, exp);
    assert_true(nexp > 10000);
    size_t k = 0;
    check_split(path, 0, -1, true, exp, nexp, &k);
    assert_int_equal(k, nexp);
    check_tiling(path, t.len, (1 << 20) + 17, exp, nexp);
    check_tiling(path, t.len, 65536, exp, nexp);
    free(exp);
    free(path);
    free(t.p);
}

static void test_missing_file_names_it(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/no-such-file", tmpdir);
    io_split s = {.path = path, .start = 0, .length = 10, .whole = false};
    io_line_reader *r = (io_line_reader *)&s;
    assert_int_equal(io_line_reader_open(&s, &r), KILN_ENOENT);
    assert_null(r);
    assert_non_null(strstr(kiln_last_error(), path));
}

static void test_bad_split_rejected(void **state)
{
    char *path = write_file("bad", "a\nb\n", 4);
    io_split s = {.path = path, .start = 0, .length = -5, .whole = false};
    io_line_reader *r;
    assert_int_equal(io_line_reader_open(&s, &r), KILN_EINVAL);
    s.start = -1;
    s.length = 2;
    assert_int_equal(io_line_reader_open(&s, &r), KILN_EINVAL);
    /* A split past the end of the file (the file shrank) reads nothing. */
    s.start = 100;
    s.length = 10;
    assert_int_equal(io_line_reader_open(&s, &r), KILN_OK);
    const char *line;
    size_t len;
    assert_int_equal(io_line_reader_next(r, &line, &len), 0);
    io_line_reader_close(r);
    free(path);
}

/* A zero-length split owns no line, even one that starts at its start. */
static void test_empty_split_reads_nothing(void **state)
{
    char *path = write_file("empty-split", "ab\ncd\n", 6);
    for (int64_t start = 0; start <= 6; start++) {
        io_split s = {.path = path, .start = start, .length = 0, .whole = false};
        io_line_reader *r;
        assert_int_equal(io_line_reader_open(&s, &r), KILN_OK);
        const char *line;
        size_t len;
        assert_int_equal(io_line_reader_next(r, &line, &len), 0);
        io_line_reader_close(r);
    }
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_files_every_split),
        cmocka_unit_test(test_random_small_files_every_split),
        cmocka_unit_test(test_random_file_every_split),
        cmocka_unit_test(test_random_tilings),
        cmocka_unit_test(test_very_long_lines),
        cmocka_unit_test(test_many_lines_across_buffers),
        cmocka_unit_test(test_missing_file_names_it),
        cmocka_unit_test(test_bad_split_rejected),
        cmocka_unit_test(test_empty_split_reads_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
