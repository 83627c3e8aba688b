/*
 * tests/unit/test_io_splits.c - listing inputs and cutting them into splits
 * (src/io/list.c): Hadoop's split sizes and 10% slop, files versus
 * directories versus globs, hidden names, ordering, compressed files kept
 * whole, comma-separated lists of paths, and Spark's errors for a path or a
 * pattern that matches nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

#define MiB ((int64_t)1 << 20)

static char tmpdir[64];

/* Makes tmpdir/rel (parents must exist) holding size bytes of "line\n". */
static void make_file(const char *rel, int64_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int64_t i = 0; i < size; i++) assert_int_not_equal(fputc("line\n"[i % 5], f), EOF);
    assert_int_equal(fclose(f), 0);
}

/* A sparse file: large sizes without using disk. */
static void make_sparse(const char *rel, int64_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    assert_int_equal(close(fd), 0);
}

static void make_dir(const char *rel)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static char *full(const char *rel) /* returns a static buffer */
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    return path;
}

typedef struct want {
    const char *rel; /* path relative to tmpdir */
    int64_t start, length;
} want;

/* Checks the splits of rel (under tmpdir) against w[0..n). */
static void expect_splits(const char *rel, int min_partitions, const want *w, size_t n)
{
    io_split *s;
    size_t got;
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    assert_int_equal(io_text_splits(path, min_partitions, &s, &got), KILN_OK);
    if (got != n)
        fail_msg("%s with min_partitions %d: %zu splits, expected %zu", rel, min_partitions, got,
                 n);
    for (size_t i = 0; i < n; i++) {
        char exp_path[256];
        snprintf(exp_path, sizeof exp_path, "%s/%s", tmpdir, w[i].rel);
        assert_string_equal(s[i].path, exp_path);
        assert_int_equal(s[i].start, w[i].start);
        assert_int_equal(s[i].length, w[i].length);
        assert_int_equal(s[i].whole, w[i].length == -1);
    }
    io_splits_free(s, got);
}

static int setup(void **state)
{
    strcpy(tmpdir, "/tmp/kiln-test-io-splits-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    return io_remove_tree(tmpdir) == KILN_OK ? 0 : -1;
}

/* ---- Tests ------------------------------------------------------------------ */

static void test_split_sizes_of_one_file(void **state)
{
    make_file("f100", 100);
    const want one[] = {{"f100", 0, 100}};
    expect_splits("f100", 0, one, 1);
    expect_splits("f100", 1, one, 1);
    const want two[] = {{"f100", 0, 50}, {"f100", 50, 50}};
    expect_splits("f100", 2, two, 2);
    /* goal 33: 100/33 > 1.1, 67/33 > 1.1, 34/33 <= 1.1 stays one split. */
    const want three[] = {{"f100", 0, 33}, {"f100", 33, 33}, {"f100", 66, 34}};
    expect_splits("f100", 3, three, 3);
    /* goal 14: Hadoop makes 8 splits for 7 requested (16/14 > 1.1). */
    want seven[8];
    for (int i = 0; i < 7; i++) seven[i] = (want){"f100", 14 * i, 14};
    seven[7] = (want){"f100", 98, 2};
    expect_splits("f100", 7, seven, 8);
    /* More partitions than bytes: 1-byte splits. */
    want bytes[100];
    for (int i = 0; i < 100; i++) bytes[i] = (want){"f100", i, 1};
    expect_splits("f100", 1000, bytes, 100);
}

/* The 32 MiB local block size caps the split size, and the last split may
 * be up to 10% larger than the others. */
static void test_block_size_and_slop(void **state)
{
    make_dir("big");
    make_sparse("big/35m", 35 * MiB);
    const want w35[] = {{"big/35m", 0, 35 * MiB}};
    expect_splits("big/35m", 1, w35, 1);
    const want w35_2[] = {{"big/35m", 0, 35 * MiB / 2}, {"big/35m", 35 * MiB / 2, 35 * MiB / 2}};
    expect_splits("big/35m", 2, w35_2, 2);

    make_sparse("big/70m", 70 * MiB);
    const want w70[] = {{"big/70m", 0, 32 * MiB},
                        {"big/70m", 32 * MiB, 32 * MiB},
                        {"big/70m", 64 * MiB, 6 * MiB}};
    expect_splits("big/70m", 1, w70, 3);

    make_sparse("big/100m", 100 * MiB);
    const want w100[] = {{"big/100m", 0, 32 * MiB},
                         {"big/100m", 32 * MiB, 32 * MiB},
                         {"big/100m", 64 * MiB, 32 * MiB},
                         {"big/100m", 96 * MiB, 4 * MiB}};
    expect_splits("big/100m", 1, w100, 4);

    /* 1.1 * 32 MiB = 36909875.2 bytes: one byte either side of the slop. */
    make_sparse("big/slop-in", 36909875);
    const want in[] = {{"big/slop-in", 0, 36909875}};
    expect_splits("big/slop-in", 1, in, 1);
    make_sparse("big/slop-out", 36909876);
    const want out[] = {{"big/slop-out", 0, 32 * MiB},
                        {"big/slop-out", 32 * MiB, 36909876 - 32 * MiB}};
    expect_splits("big/slop-out", 1, out, 2);
}

/* The goal size divides the total of all files (compressed ones included). */
static void test_goal_spans_all_files(void **state)
{
    make_dir("multi");
    make_file("multi/a", 60);
    make_file("multi/b", 40);
    const want w[] = {{"multi/a", 0, 25},
                      {"multi/a", 25, 25},
                      {"multi/a", 50, 10},
                      {"multi/b", 0, 25},
                      {"multi/b", 25, 15}};
    expect_splits("multi", 4, w, 5);

    make_dir("withgz");
    make_file("withgz/plain", 100);
    make_file("withgz/z.gz", 100); /* not read: only its name and size matter */
    const want g[] = {{"withgz/plain", 0, 100}, {"withgz/z.gz", 0, -1}};
    expect_splits("withgz", 2, g, 2); /* goal = 200 / 2: the plain file stays whole */
}

/* Every tiling covers its file exactly: contiguous, nonempty, all splits but
 * the last of the split size, the last at most 1.1 times it. */
static void test_splits_tile_files(void **state)
{
    make_dir("tile");
    int64_t sizes[] = {1, 2, 3, 10, 11, 12, 99, 1000, 4097, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "tile/f%zu", i);
        make_file(rel, sizes[i]);
        for (int m = 0; m <= 40; m++) {
            io_split *s;
            size_t n;
            assert_int_equal(io_text_splits(full(rel), m, &s, &n), KILN_OK);
            assert_true(n >= 1);
            int64_t size = sizes[i], split = size / (m > 1 ? m : 1);
            if (split < 1) split = 1;
            int64_t at = 0;
            for (size_t j = 0; j < n; j++) {
                assert_false(s[j].whole);
                assert_int_equal(s[j].start, at);
                assert_true(s[j].length >= 1);
                if (j + 1 < n) assert_int_equal(s[j].length, split);
                else assert_true((double)s[j].length <= 1.1 * (double)split);
                at += s[j].length;
            }
            assert_int_equal(at, size);
            io_splits_free(s, n);
        }
    }
}

static void test_directory_skips_hidden_and_sorts(void **state)
{
    make_dir("d");
    make_file("d/b.txt", 5);
    make_file("d/a.txt", 10);
    make_file("d/_SUCCESS", 0);
    make_file("d/_tmp", 10);
    make_file("d/.hidden", 10);
    make_file("d/c.txt", 0); /* empty: no split, but listed by io_file_list */
    make_file("d/z.bz2", 7);
    make_file("d/y.zst", 7);
    make_dir("d/sub");
    make_file("d/sub/inner.txt", 10);
    const want w[] = {{"d/a.txt", 0, 10},
                      {"d/b.txt", 0, 5},
                      {"d/y.zst", 0, -1},
                      {"d/z.bz2", 0, -1}};
    expect_splits("d", 1, w, 4);
    expect_splits("d/", 1, w, 4); /* a trailing slash changes nothing */

    io_split *s;
    size_t n;
    assert_int_equal(io_file_list(full("d"), &s, &n), KILN_OK);
    const char *names[] = {"d/a.txt", "d/b.txt", "d/c.txt", "d/y.zst", "d/z.bz2"};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        char exp[256];
        snprintf(exp, sizeof exp, "%s/%s", tmpdir, names[i]);
        assert_string_equal(s[i].path, exp);
        assert_true(s[i].whole);
        assert_int_equal(s[i].start, 0);
        assert_int_equal(s[i].length, -1);
    }
    io_splits_free(s, n);
}

/* A file named directly is an input whatever its name. */
static void test_explicit_file_with_hidden_name(void **state)
{
    make_dir("e");
    make_file("e/_data", 12);
    const want w[] = {{"e/_data", 0, 12}};
    expect_splits("e/_data", 1, w, 1);
}

static void test_globs(void **state)
{
    make_dir("g");
    make_file("g/x2.log", 4);
    make_file("g/x1.log", 4);
    make_file("g/y.log", 4);
    make_file("g/_x3.log", 4);
    make_file("g/x4.txt", 4);
    const want xs[] = {{"g/x1.log", 0, 4}, {"g/x2.log", 0, 4}};
    expect_splits("g/x*.log", 1, xs, 2);
    const want logs[] = {{"g/x1.log", 0, 4}, {"g/x2.log", 0, 4}, {"g/y.log", 0, 4}};
    expect_splits("g/*.log", 1, logs, 3);
    const want cls[] = {{"g/x2.log", 0, 4}, {"g/y.log", 0, 4}};
    expect_splits("g/[xy][2.]*", 1, cls, 2);

    /* A glob that matches directories reads the files in them. */
    make_dir("g/d2");
    make_dir("g/d1");
    make_dir("g/d1/deeper");
    make_file("g/d2/b", 3);
    make_file("g/d1/a", 3);
    make_file("g/d1/_skip", 3);
    make_file("g/d1/deeper/no", 3);
    const want dirs[] = {{"g/d1/a", 0, 3}, {"g/d2/b", 0, 3}};
    expect_splits("g/d?", 1, dirs, 2);
}

static void test_nothing_matches(void **state)
{
    io_split *s = (io_split *)1;
    size_t n = 99;
    char path[256];
    char msg[400];
    make_dir("nm");
    make_file("nm/_only_hidden", 3);
    make_file("nm/.dot", 3);
    const char *rels[] = {"no-such-path", "no-such-dir/file", "nm/*.none", "nm/_*", "nm/.*",
                          "nope*"};
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, rels[i]);
        assert_int_equal(io_text_splits(path, 2, &s, &n), KILN_ENOENT);
        assert_null(s);
        assert_int_equal(n, 0);
        /* Spark's words: a path, or a pattern matching nothing. */
        if (strpbrk(rels[i], "*?["))
            snprintf(msg, sizeof msg, "Input Pattern %s matches 0 files", path);
        else snprintf(msg, sizeof msg, "Input path does not exist: %s", path);
        assert_string_equal(kiln_last_error(), msg);
        assert_int_equal(io_file_list(path, &s, &n), KILN_ENOENT);
    }
    assert_int_equal(io_text_splits("", 1, &s, &n), KILN_EINVAL);
}

/* "a,b": each path listed in turn, in the list's order (a glob or a
 * directory in it sorted as alone); a missing one is named; an empty one is
 * refused; a file whose name holds a comma is still read as itself. */
static void test_comma_separated_paths(void **state)
{
    make_dir("cs");
    make_file("cs/b", 10);
    make_file("cs/a", 20);
    make_file("cs/c1", 5);
    make_file("cs/c2", 5);
    make_file("cs/x,y", 7);
    char list[1024];
    snprintf(list, sizeof list, "%s/cs/b,%s/cs/a,%s/cs/c*", tmpdir, tmpdir, tmpdir);
    io_split *s;
    size_t n;
    assert_int_equal(io_text_splits(list, 1, &s, &n), KILN_OK);
    static const char *const order[] = {"cs/b", "cs/a", "cs/c1", "cs/c2"};
    static const int64_t sizes[] = {10, 20, 5, 5};
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(s[i].path, full(order[i]));
        assert_int_equal(s[i].start, 0);
        assert_int_equal(s[i].length, sizes[i]);
    }
    io_splits_free(s, n);
    /* The goal spans the whole list: 40 bytes in 4 partitions, 10 each. */
    assert_int_equal(io_text_splits(list, 4, &s, &n), KILN_OK);
    assert_int_equal(n, 5); /* a: two splits of 10 */
    io_splits_free(s, n);
    const want comma[] = {{"cs/x,y", 0, 7}};
    expect_splits("cs/x,y", 1, comma, 1);

    char msg[2048];
    snprintf(list, sizeof list, "%s/cs/a,%s/cs/nosuch.txt,%s/cs/b", tmpdir, tmpdir, tmpdir);
    assert_int_equal(io_text_splits(list, 1, &s, &n), KILN_ENOENT);
    assert_null(s);
    assert_int_equal(n, 0);
    snprintf(msg, sizeof msg, "Input path does not exist: %s/cs/nosuch.txt", tmpdir);
    assert_string_equal(kiln_last_error(), msg);
    assert_int_equal(io_file_list(list, &s, &n), KILN_ENOENT);
    snprintf(list, sizeof list, "%s/cs/a,%s/cs/*.none", tmpdir, tmpdir);
    assert_int_equal(io_text_splits(list, 1, &s, &n), KILN_ENOENT);
    snprintf(msg, sizeof msg, "Input Pattern %s/cs/*.none matches 0 files", tmpdir);
    assert_string_equal(kiln_last_error(), msg);
    static const char *const empties[] = {"%s/cs/a,,%s/cs/b", "%s/cs/a,%s/cs/b,", ",%s/cs/a%.0s"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        snprintf(list, sizeof list, empties[i], tmpdir, tmpdir);
        assert_int_equal(io_text_splits(list, 1, &s, &n), KILN_EINVAL);
        assert_non_null(strstr(kiln_last_error(), "empty path"));
    }
}

static void test_empty_inputs(void **state)
{
    make_dir("empty");
    io_split *s;
    size_t n = 99;
    assert_int_equal(io_text_splits(full("empty"), 4, &s, &n), KILN_OK);
    assert_int_equal(n, 0);
    io_splits_free(s, n);
    make_file("empty/zero", 0);
    make_file("empty/zero.gz", 0);
    assert_int_equal(io_text_splits(full("empty"), 4, &s, &n), KILN_OK);
    assert_int_equal(n, 0); /* empty files give no split */
    io_splits_free(s, n);
    assert_int_equal(io_file_list(full("empty"), &s, &n), KILN_OK);
    assert_int_equal(n, 2);
    io_splits_free(s, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_sizes_of_one_file),
        cmocka_unit_test(test_block_size_and_slop),
        cmocka_unit_test(test_goal_spans_all_files),
        cmocka_unit_test(test_splits_tile_files),
        cmocka_unit_test(test_directory_skips_hidden_and_sorts),
        cmocka_unit_test(test_explicit_file_with_hidden_name),
        cmocka_unit_test(test_globs),
        cmocka_unit_test(test_nothing_matches),
        cmocka_unit_test(test_comma_separated_paths),
        cmocka_unit_test(test_empty_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
