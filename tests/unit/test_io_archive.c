/*
 * tests/unit/test_io_archive.c - .zip and .tar inputs (src/io/archive.c
 * through the listing, the line reader, the whole-file reader and
 * kiln_input_line_number): every regular, visible member is read as a file
 * of its own, in the archive's order, for zip (stored and deflated) and tar
 * (plain, .tar.gz, .tgz, .tar.bz2, .tar.xz, .tar.zst); a member's own .gz
 * is decompressed; directories, links and hidden names are skipped; damaged,
 * truncated, encrypted and misnamed archives fail naming the archive (and
 * the member). The archives are made here by python3's zipfile and tarfile
 * (/usr/bin/python3) and libzstd from files written by the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "io/io.h"

static char tmpdir[64];

static char *full(const char *rel) /* returns a static buffer */
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmpdir, rel);
    return p;
}

static void write_file(const char *rel, const void *data, size_t len)
{
    FILE *f = fopen(full(rel), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *rel, size_t *len)
{
    FILE *f = fopen(full(rel), "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void write_gz(const char *rel, const char *text)
{
    gzFile g = gzopen(full(rel), "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(g), Z_OK);
}

/* Runs python3 with script (a format string over the directory). */
static void python(const char *script)
{
    char path[128], cmd[256];
    snprintf(path, sizeof path, "%s/make.py", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(script, f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "cd %s && /usr/bin/python3 make.py", tmpdir);
    if (system(cmd) != 0) fail_msg("python3 failed: %s", cmd);
}

/* The members added to every archive, in order, and whether each is read:
 * directories, hidden names and (in tars) a symbolic link are skipped. */
static const struct member {
    const char *name;
    bool read;
} members[] = {
    {"a.txt", true},     {"sub/", false},     {"sub/b.txt", true}, {"sub/c.txt.gz", true},
    {"empty.txt", true}, {"big.txt", true},   {"._a.txt", false},  {"__MACOSX/sub/._b.txt", false},
    {"_SUCCESS", false}, {"link.txt", false}, {"z.txt", true},
};
#define NMEMBERS (sizeof members / sizeof members[0])

static const char *const archives[] = {"data.zip",    "stored.zip",   "data.tar",
                                       "data.tar.gz", "data.tgz",     "data.tar.bz2",
                                       "data.tar.xz", "data.tar.zst", "UPPER.ZIP"};
#define NARCHIVES (sizeof archives / sizeof archives[0])

static const char make_archives[] =
    "import os, tarfile, zipfile\n"
    "names = ['a.txt', 'sub/', 'sub/b.txt', 'sub/c.txt.gz', 'empty.txt', 'big.txt',\n"
    "         '._a.txt', '__MACOSX/sub/._b.txt', '_SUCCESS', 'link.txt', 'z.txt']\n"
    "os.chdir('src')\n"
    "D, S = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED\n"
    "for zname, how in (('../data.zip', D), ('../stored.zip', S), ('../UPPER.ZIP', D)):\n"
    "    with zipfile.ZipFile(zname, 'w', how) as z:\n"
    "        for n in names:\n"
    "            if n != 'link.txt': z.write(n.rstrip('/'), n)\n"
    "for tname, mode in (('../data.tar', 'w'), ('../data.tar.gz', 'w:gz'),\n"
    "                    ('../data.tgz', 'w:gz'), ('../data.tar.bz2', 'w:bz2'),\n"
    "                    ('../data.tar.xz', 'w:xz')):\n"
    "    with tarfile.open(tname, mode) as t:\n"
    "        for n in names:\n"
    "            t.add(n.rstrip('/'), './' + n if n == 'a.txt' else n, recursive=False)\n";

/* Writes the files of members under src/ and makes every archive of
 * archives from them. */
static int setup(void **state)
{
    strcpy(tmpdir, "/tmp/kiln-test-io-archive-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) return -1;
    mkdir(full("src"), 0755);
    mkdir(full("src/sub"), 0755);
    mkdir(full("src/__MACOSX"), 0755);
    mkdir(full("src/__MACOSX/sub"), 0755);
    write_file("src/a.txt", "first line\nsecond line\nno newline at the end", 43);
    write_file("src/sub/b.txt", "crlf one\r\ncrlf two\r\n\r\n", 22);
    write_gz("src/sub/c.txt.gz", "zipped one\nzipped two\n");
    write_file("src/empty.txt", "", 0);
    FILE *f = fopen(full("src/big.txt"), "wb"); /* 3.3 MB: several reads */
    assert_non_null(f);
    for (int i = 0; i < 200000; i++) fprintf(f, "line %d of the big member\n", i);
    assert_int_equal(fclose(f), 0);
    write_file("src/._a.txt", "apple double\n", 13);
    write_file("src/__MACOSX/sub/._b.txt", "mac junk\n", 9);
    write_file("src/_SUCCESS", "", 0);
    assert_int_equal(symlink("a.txt", full("src/link.txt")), 0);
    write_file("src/z.txt", "last member\n", 12);
    python(make_archives);
    /* .tar.zst from the plain tar, with libzstd. */
    size_t n;
    char *tar = read_file("data.tar", &n);
    size_t cap = ZSTD_compressBound(n);
    char *z = malloc(cap);
    assert_non_null(z);
    size_t zn = ZSTD_compress(z, cap, tar, n, 3);
    assert_false(ZSTD_isError(zn));
    write_file("data.tar.zst", z, zn);
    free(z);
    free(tar);
    return 0;
}

static int teardown(void **state)
{
    return io_remove_tree(tmpdir) == KILN_OK ? 0 : -1;
}

/* Appends n bytes of p to b (kiln_buf, the library's growable buffer). */
static void add(kiln_buf *b, const void *p, size_t n)
{
    assert_int_equal(kiln_buf_append(b, p, n), KILN_OK);
}

/* Appends "NAME\tLINE\n" for every line of data (the line reader's rule:
 * "\n" or "\r\n" ends a line; a last line without one counts). */
static void add_lines(kiln_buf *t, const char *name, const char *data, size_t len)
{
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - data) : len, n = end - i;
        if (nl && n > 0 && data[end - 1] == '\r') n--;
        add(t, name, strlen(name));
        add(t, "\t", 1);
        add(t, data + i, n);
        add(t, "\n", 1);
        i = end + 1;
    }
}

/* What reading archive should give: each read member's lines, by name. */
static kiln_buf expected(const char *archive)
{
    kiln_buf t;
    kiln_buf_init(&t);
    for (size_t i = 0; i < NMEMBERS; i++) {
        if (!members[i].read) continue;
        char src[256], name[512];
        snprintf(src, sizeof src, "src/%s", members[i].name);
        snprintf(name, sizeof name, "%s:%s", full(archive), members[i].name);
        size_t n;
        char *data;
        if (strstr(members[i].name, ".gz") != NULL) {
            data = strdup("zipped one\nzipped two\n");
            n = strlen(data);
        } else {
            data = read_file(src, &n);
        }
        add_lines(&t, name, data, n);
        free(data);
    }
    return t;
}

/* Reads every line of path through the listing and the line reader, as
 * "FILE\tLINE\n", FILE being what the reader says it reads. */
static int read_lines(const char *path, int min_partitions, kiln_buf *t)
{
    io_split *s;
    size_t n;
    int rc = io_text_splits(path, min_partitions, &s, &n);
    if (rc != KILN_OK) return rc;
    for (size_t i = 0; i < n && rc == KILN_OK; i++) {
        io_line_reader *r;
        if ((rc = io_line_reader_open(&s[i], &r)) != KILN_OK) break;
        const char *line;
        size_t len;
        do {
            while ((rc = io_line_reader_next(r, &line, &len)) > 0) {
                const char *file = io_line_reader_file(r);
                add(t, file, strlen(file));
                add(t, "\t", 1);
                add(t, line, len);
                add(t, "\n", 1);
            }
        } while (rc == 0 && (rc = io_line_reader_next_file(r)) > 0);
        io_line_reader_close(r);
    }
    io_splits_free(s, n);
    return rc;
}

static void test_every_format_reads_members_as_files(void **state)
{
    for (size_t a = 0; a < NARCHIVES; a++) {
        kiln_buf want = expected(archives[a]), got;
        kiln_buf_init(&got);
        for (int m = 1; m <= 8; m *= 8) {
            got.len = 0;
            int rc = read_lines(full(archives[a]), m, &got);
            if (rc != KILN_OK) fail_msg("%s: %s", archives[a], kiln_last_error());
            if (got.len != want.len || (want.len && memcmp(got.data, want.data, want.len) != 0)) {
                size_t i = 0;
                while (i < got.len && i < want.len && got.data[i] == want.data[i]) i++;
                int ng = (int)(got.len - i < 60 ? got.len - i : 60);
                int nw = (int)(want.len - i < 60 ? want.len - i : 60);
                fail_msg("%s (min_partitions %d): lines differ at byte %zu: got '%.*s', "
                         "want '%.*s'",
                         archives[a], m, i, ng, (const char *)got.data + i, nw,
                         (const char *)want.data + i);
            }
        }
        kiln_buf_release(&want);
        kiln_buf_release(&got);
    }
}

/* An archive is one whole split, also inside a directory or a list; its
 * size counts in the goal of the plain files' splits. */
static void test_listing_keeps_an_archive_whole(void **state)
{
    mkdir(full("dir"), 0755);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s %s && cp %s %s", full("data.zip"), full("dir/a.zip"),
             full("data.tgz"), full("dir/b.tgz"));
    assert_int_equal(system(cmd), 0);
    write_file("dir/c.txt", "one\ntwo\n", 8);
    io_split *s;
    size_t n;
    assert_int_equal(io_text_splits(full("dir"), 64, &s, &n), KILN_OK);
    assert_true(n >= 3);
    assert_string_equal(s[0].path, full("dir/a.zip"));
    assert_true(s[0].whole);
    assert_string_equal(s[1].path, full("dir/b.tgz"));
    assert_true(s[1].whole);
    for (size_t i = 2; i < n; i++) assert_string_equal(s[i].path, full("dir/c.txt"));
    io_splits_free(s, n);
}

/* Line numbers for messages: kiln_input_line_number takes "ARCHIVE:MEMBER"
 * (the name the reader gives), counting in the member. */
static void test_line_numbers_of_members(void **state)
{
    int64_t line = 0;
    char name[512];
    for (size_t a = 0; a < NARCHIVES; a++) {
        snprintf(name, sizeof name, "%s:big.txt", full(archives[a]));
        /* "line 3 of the big member\n" starts line 4: bytes of lines 0..2. */
        int64_t off = (int64_t)strlen("line 0 of the big member\n") * 3;
        assert_int_equal(kiln_input_line_number(name, off, &line), KILN_OK);
        assert_int_equal(line, 4);
        snprintf(name, sizeof name, "%s:sub/c.txt.gz", full(archives[a]));
        assert_int_equal(kiln_input_line_number(name, 11, &line), KILN_OK);
        assert_int_equal(line, 2);
    }
    snprintf(name, sizeof name, "%s:no/such.txt", full("data.zip"));
    assert_int_equal(kiln_input_line_number(name, 0, &line), KILN_ENOENT);
    assert_non_null(strstr(kiln_last_error(), "no/such.txt"));
    assert_non_null(strstr(kiln_last_error(), "data.zip"));
}

/* whole_text_files' reader: a plain file is one file, an archive each read
 * member with its exact bytes. */
static void test_whole_reader_gives_each_member(void **state)
{
    io_whole_reader *r;
    kiln_buf b;
    kiln_buf_init(&b);
    const char *name;
    for (size_t a = 0; a < NARCHIVES; a++) {
        assert_int_equal(io_whole_reader_open(full(archives[a]), &r), KILN_OK);
        for (size_t i = 0; i < NMEMBERS; i++) {
            if (!members[i].read) continue;
            assert_int_equal(io_whole_reader_next(r, &b, &name), 1);
            char want_name[512], src[256];
            snprintf(want_name, sizeof want_name, "%s:%s", full(archives[a]), members[i].name);
            assert_string_equal(name, want_name);
            snprintf(src, sizeof src, "src/%s", members[i].name);
            size_t n = 0;
            char *want;
            if (strstr(src, ".gz") != NULL) {
                want = strdup("zipped one\nzipped two\n");
                n = strlen(want);
            } else {
                want = read_file(src, &n);
            }
            assert_int_equal(b.len, n);
            assert_memory_equal(b.data, want, n);
            free(want);
        }
        assert_int_equal(io_whole_reader_next(r, &b, &name), 0);
        assert_int_equal(io_whole_reader_next(r, &b, &name), 0);
        io_whole_reader_close(r);
    }
    assert_int_equal(io_whole_reader_open(full("src/z.txt"), &r), KILN_OK);
    assert_int_equal(io_whole_reader_next(r, &b, &name), 1);
    assert_string_equal(name, full("src/z.txt"));
    assert_int_equal(b.len, 12);
    assert_int_equal(io_whole_reader_next(r, &b, &name), 0);
    io_whole_reader_close(r);
    kiln_buf_release(&b);
    assert_int_equal(io_read_whole(full("data.zip"), &b), KILN_EINVAL);
    kiln_buf_release(&b);
}

/* Reading rel fails with code, and the message holds each of the needles. */
static void expect_failure(const char *rel, int code, const char *const *needles)
{
    kiln_buf t;
    kiln_buf_init(&t);
    int rc = read_lines(full(rel), 2, &t);
    kiln_buf_release(&t);
    if (rc != code)
        fail_msg("%s: %s (%d), expected %s; message '%s'", rel, kiln_err_name(rc), rc,
                 kiln_err_name(code), kiln_last_error());
    for (; *needles != NULL; needles++)
        if (strstr(kiln_last_error(), *needles) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", rel, kiln_last_error(), *needles);
}

static const char make_bad_archives[] =
    "import zipfile, tarfile, io\n"
    "data = open('data.zip', 'rb').read()\n"
    "open('truncated.zip', 'wb').write(data[:len(data) // 2])\n"
    "open('notazip.zip', 'w').write('just some text\\nnot an archive\\n')\n"
    "tgz = open('data.tgz', 'rb').read()\n"
    "open('truncated.tgz', 'wb').write(tgz[:len(tgz) // 2])\n"
    "tar = open('data.tar', 'rb').read()\n"
    "open('truncated.tar', 'wb').write(tar[:len(tar) // 2])\n"
    "with zipfile.ZipFile('stored1.zip', 'w') as z:\n"
    "    z.writestr('inner/s.txt', 'hello world\\n' * 100)\n"
    "b = bytearray(open('stored1.zip', 'rb').read())\n"
    "b[200] ^= 1\n"
    "open('badcrc.zip', 'wb').write(bytes(b))\n"
    "# the encryption flag in the local and the central header\n"
    "b = bytearray(open('stored1.zip', 'rb').read())\n"
    "b[6] |= 1\n"
    "c = b.rfind(b'PK\\x01\\x02')\n"
    "b[c + 8] |= 1\n"
    "open('encrypted.zip', 'wb').write(bytes(b))\n"
    "with zipfile.ZipFile('notgz.zip', 'w') as z:\n"
    "    z.writestr('ok.txt', 'fine\\n')\n"
    "    z.writestr('inner/bad.txt.gz', 'this is not gzip\\n')\n"
    "with zipfile.ZipFile('nested.zip', 'w') as z:\n"
    "    z.write('data.tgz', 'inner/data.tgz')\n"
    "with zipfile.ZipFile('empty.zip', 'w') as z:\n"
    "    pass\n"
    "with zipfile.ZipFile('emptygz.zip', 'w') as z:\n"
    "    z.writestr('e.txt.gz', '')\n";

static void test_damaged_archives_fail_naming_archive_and_member(void **state)
{
    python(make_bad_archives);
    const char *trunc_zip[] = {"truncated.zip", NULL};
    expect_failure("truncated.zip", KILN_ECORRUPT, trunc_zip);
    const char *not_zip[] = {"notazip.zip", NULL};
    expect_failure("notazip.zip", KILN_ECORRUPT, not_zip);
    const char *trunc_tgz[] = {"truncated.tgz", NULL};
    expect_failure("truncated.tgz", KILN_ECORRUPT, trunc_tgz);
    const char *trunc_tar[] = {"truncated.tar", NULL};
    expect_failure("truncated.tar", KILN_ECORRUPT, trunc_tar);
    const char *crc[] = {"badcrc.zip:inner/s.txt", "CRC", NULL};
    expect_failure("badcrc.zip", KILN_ECORRUPT, crc);
    const char *enc[] = {"encrypted.zip:inner/s.txt", "encrypted", NULL};
    expect_failure("encrypted.zip", KILN_ECORRUPT, enc);
    const char *notgz[] = {"notgz.zip:inner/bad.txt.gz", "gzip", NULL};
    expect_failure("notgz.zip", KILN_ECORRUPT, notgz);
    const char *nested[] = {"nested.zip:inner/data.tgz", "archive", NULL};
    expect_failure("nested.zip", KILN_EINVAL, nested);

    /* Empty archives and empty members are empty, not errors. */
    kiln_buf t;
    kiln_buf_init(&t);
    assert_int_equal(read_lines(full("empty.zip"), 1, &t), KILN_OK);
    assert_int_equal(t.len, 0);
    assert_int_equal(read_lines(full("emptygz.zip"), 1, &t), KILN_OK);
    assert_int_equal(t.len, 0);
    kiln_buf_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format_reads_members_as_files),
        cmocka_unit_test(test_listing_keeps_an_archive_whole),
        cmocka_unit_test(test_line_numbers_of_members),
        cmocka_unit_test(test_whole_reader_gives_each_member),
        cmocka_unit_test(test_damaged_archives_fail_naming_archive_and_member),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
