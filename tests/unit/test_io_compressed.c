/*
 * tests/unit/test_io_compressed.c - reading gzip, bzip2 and zstd files
 * (src/io/source.c through the line reader and io_read_whole): single and
 * concatenated members / streams / frames, data larger than the buffers,
 * and damaged or truncated files, which must fail with KILN_ECORRUPT naming
 * the file. The compressed files are made here with the libraries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include "io/io.h"

static char tmpdir[64];

typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
} bytes;

static void bytes_add(bytes *b, const void *p, size_t n)
{
    if (n == 0) return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 16;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* ---- Test data and compressors ----------------------------------------------- */

/* Text with empty lines, "\r\n", UTF-8, a 3 MiB line, and no final '\n'. */
static void gen_text(bytes *t, size_t target)
{
    uint64_t x = 12345;
    static const char *const words[] = {"alpha ",        "\xc3\xa9t\xc3\xa9 ",
                                        "\xe2\x9c\x93 ", "\n",
                                        "\r\n",          "\n\n",
                                        "beta gamma "};
    while (t->len < target) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        bytes_add(t, words[(x >> 33) % 7], strlen(words[(x >> 33) % 7]));
        if (t->len > target / 2 && t->len < target / 2 + 100) {
            for (int i = 0; i < 3 << 20; i++) bytes_add(t, &"0123456789abcdef"[(i * 7) % 16], 1);
        }
    }
    bytes_add(t, "last line", 9);
}

static void gzip_member(bytes *out, const uint8_t *p, size_t n)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t bound = deflateBound(&z, n) + 64;
    uint8_t *buf = malloc(bound);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    bytes_add(out, buf, bound - z.avail_out);
    deflateEnd(&z);
    free(buf);
}

static void bzip2_stream(bytes *out, const uint8_t *p, size_t n)
{
    unsigned int cap = (unsigned int)(n + n / 100 + 600);
    char *buf = malloc(cap);
    assert_int_equal(BZ2_bzBuffToBuffCompress(buf, &cap, (char *)p, (unsigned int)n, 9, 0, 0),
                     BZ_OK);
    bytes_add(out, buf, cap);
    free(buf);
}

/* A zstd frame made with the streaming API in small steps (no content size
 * in the header), with or without a checksum. */
static void zstd_frame(bytes *out, const uint8_t *p, size_t n, bool checksum)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    assert_non_null(c);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
    size_t cap = ZSTD_CStreamOutSize();
    uint8_t *buf = malloc(cap);
    ZSTD_inBuffer in = {p, 0, 0};
    size_t r;
    do {
        size_t step = n - in.size < 100000 ? n - in.size : 100000;
        in.size += step;
        ZSTD_EndDirective end = in.size == n ? ZSTD_e_end : ZSTD_e_continue;
        do {
            ZSTD_outBuffer o = {buf, cap, 0};
            r = ZSTD_compressStream2(c, &o, &in, end);
            assert_false(ZSTD_isError(r));
            bytes_add(out, buf, o.pos);
        } while (end == ZSTD_e_end ? r != 0 : in.pos < in.size);
    } while (in.size < n);
    free(buf);
    ZSTD_freeCCtx(c);
}

static void zstd_skippable(bytes *out)
{
    const uint8_t frame[] = {0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
    bytes_add(out, frame, sizeof frame);
}

typedef enum fmt { GZ, BZ2, ZST } fmt;
static const char *const ext[] = {".gz", ".bz2", ".zst"};

/* Compresses t into `parts` concatenated members / streams / frames, cut at
 * arbitrary bytes (not line ends). */
static void compress_parts(fmt f, const bytes *t, int parts, bytes *out)
{
    size_t at = 0;
    for (int i = 0; i < parts; i++) {
        size_t end = i + 1 == parts ? t->len : t->len / (size_t)parts * (size_t)(i + 1) + 7;
        if (f == GZ) gzip_member(out, t->p + at, end - at);
        else if (f == BZ2) bzip2_stream(out, t->p + at, end - at);
        else zstd_frame(out, t->p + at, end - at, i % 2 == 1);
        if (f == ZST && i == 0) zstd_skippable(out);
        at = end;
    }
}

static char *write_file(const char *name, const void *p, size_t n)
{
    char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
    sprintf(path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Reads all lines of path through io_text_splits (which must give one whole
 * split), joining them with '\n'. Returns the reader's result code. */
static int read_lines(const char *path, bytes *joined, size_t *nlines)
{
    io_split *s;
    size_t n;
    assert_int_equal(io_text_splits(path, 8, &s, &n), KILN_OK);
    assert_int_equal(n, 1);
    assert_true(s[0].whole);
    io_line_reader *r;
    assert_int_equal(io_line_reader_open(&s[0], &r), KILN_OK);
    const char *line;
    size_t len;
    int rc;
    *nlines = 0;
    while ((rc = io_line_reader_next(r, &line, &len)) == 1) {
        bytes_add(joined, line, len);
        bytes_add(joined, "\n", 1);
        (*nlines)++;
    }
    io_line_reader_close(r);
    io_splits_free(s, n);
    return rc;
}

/* The text with "\r\n" turned into "\n" and a final '\n' added: what
 * read_lines gives for it. */
static void expected_joined(const bytes *t, bytes *out, size_t *nlines)
{
    *nlines = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (t->p[i] == '\r' && i + 1 < t->len && t->p[i + 1] == '\n') continue;
        bytes_add(out, &t->p[i], 1);
        *nlines += t->p[i] == '\n';
    }
    bytes_add(out, "\n", 1);
    (*nlines)++;
}

static int setup(void **state)
{
    strcpy(tmpdir, "/tmp/kiln-test-io-compressed-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    return io_remove_tree(tmpdir) == KILN_OK ? 0 : -1;
}

/* ---- Tests ------------------------------------------------------------------ */

static void check_format(fmt f)
{
    bytes t = {0}, exp = {0};
    size_t nexp;
    gen_text(&t, (size_t)6 << 20);
    expected_joined(&t, &exp, &nexp);
    int parts_list[] = {1, 3};
    for (int i = 0; i < 2; i++) {
        int parts = parts_list[i];
        bytes c = {0};
        compress_parts(f, &t, parts, &c);
        char name[32];
        snprintf(name, sizeof name, "text-%d%s", parts, ext[f]);
        char *path = write_file(name, c.p, c.len);

        bytes got = {0};
        size_t n;
        assert_int_equal(read_lines(path, &got, &n), 0);
        assert_int_equal(n, nexp);
        assert_int_equal(got.len, exp.len);
        assert_memory_equal(got.p, exp.p, exp.len);

        /* io_read_whole appends the exact bytes after what is there. */
        kiln_buf b;
        kiln_buf_init(&b);
        assert_int_equal(kiln_buf_append(&b, "prefix", 6), KILN_OK);
        assert_int_equal(io_read_whole(path, &b), KILN_OK);
        assert_int_equal(b.len, 6 + t.len);
        assert_memory_equal(b.data, "prefix", 6);
        assert_memory_equal(b.data + 6, t.p, t.len);
        kiln_buf_release(&b);
        free(got.p);
        free(c.p);
        free(path);
    }
    free(t.p);
    free(exp.p);
}

static void test_gzip(void **state)
{
    check_format(GZ);
}

static void test_bzip2(void **state)
{
    check_format(BZ2);
}

static void test_zstd(void **state)
{
    check_format(ZST);
}

/* Members that hold nothing, or one line each, still read as one text. */
static void test_tiny_members(void **state)
{
    const char *pieces[] = {"", "one\n", "", "tw", "o\r\n", "three"};
    for (int f = GZ; f <= ZST; f++) {
        bytes c = {0};
        for (size_t i = 0; i < 6; i++) {
            const uint8_t *p = (const uint8_t *)pieces[i];
            if (f == GZ) gzip_member(&c, p, strlen(pieces[i]));
            else if (f == BZ2) bzip2_stream(&c, p, strlen(pieces[i]));
            else zstd_frame(&c, p, strlen(pieces[i]), true);
        }
        char name[32];
        snprintf(name, sizeof name, "tiny%s", ext[f]);
        char *path = write_file(name, c.p, c.len);
        bytes got = {0};
        size_t n;
        assert_int_equal(read_lines(path, &got, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(got.len, strlen("one\ntwo\nthree\n"));
        assert_memory_equal(got.p, "one\ntwo\nthree\n", got.len);
        free(got.p);
        free(c.p);
        free(path);
    }
}

/* Reads path with the line reader and with io_read_whole; both must fail
 * with KILN_ECORRUPT naming the file, and io_read_whole must leave the
 * buffer as it was. */
static void expect_corrupt(const char *path)
{
    io_split s = {.path = (char *)path, .start = 0, .length = -1, .whole = true};
    io_line_reader *r;
    assert_int_equal(io_line_reader_open(&s, &r), KILN_OK);
    const char *line;
    size_t len;
    int rc;
    while ((rc = io_line_reader_next(r, &line, &len)) == 1)
        ;
    if (rc != KILN_ECORRUPT) fail_msg("%s: reader returned %d, expected KILN_ECORRUPT", path, rc);
    assert_non_null(strstr(kiln_last_error(), path));
    assert_int_equal(io_line_reader_next(r, &line, &len), KILN_ECORRUPT); /* sticky */
    io_line_reader_close(r);

    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(kiln_buf_append(&b, "keep", 4), KILN_OK);
    assert_int_equal(io_read_whole(path, &b), KILN_ECORRUPT);
    assert_non_null(strstr(kiln_last_error(), path));
    assert_int_equal(b.len, 4);
    kiln_buf_release(&b);
}

static void test_corrupt_and_truncated(void **state)
{
    bytes t = {0};
    gen_text(&t, (size_t)1 << 20);
    for (int f = GZ; f <= ZST; f++) {
        bytes c = {0};
        if (f == ZST) zstd_frame(&c, t.p, t.len, true); /* the checksum catches damaged data */
        else compress_parts((fmt)f, &t, 1, &c);
        char name[32];

        /* Damaged in the middle. */
        bytes bad = {0};
        bytes_add(&bad, c.p, c.len);
        for (size_t i = c.len / 2; i < c.len / 2 + 64; i++) bad.p[i] ^= 0x5a;
        snprintf(name, sizeof name, "damaged%s", ext[f]);
        char *path = write_file(name, bad.p, bad.len);
        expect_corrupt(path);
        free(path);

        /* Truncated: the end of the last member is missing. */
        snprintf(name, sizeof name, "truncated%s", ext[f]);
        path = write_file(name, c.p, c.len - 10);
        expect_corrupt(path);
        free(path);

        /* Not compressed at all. */
        snprintf(name, sizeof name, "plain-text%s", ext[f]);
        path = write_file(name, "just some text\nin lines\n", 24);
        expect_corrupt(path);
        free(path);

        /* A good member followed by garbage. */
        bytes_add(&c, "garbage!", 8);
        snprintf(name, sizeof name, "trailing%s", ext[f]);
        path = write_file(name, c.p, c.len);
        expect_corrupt(path);
        free(path);
        free(bad.p);
        free(c.p);
    }
    free(t.p);
}

/* An empty file is an empty stream (no members), in every format. */
static void test_empty_compressed_file(void **state)
{
    for (int f = GZ; f <= ZST; f++) {
        char name[32];
        snprintf(name, sizeof name, "empty%s", ext[f]);
        char *path = write_file(name, "", 0);
        kiln_buf b;
        kiln_buf_init(&b);
        assert_int_equal(io_read_whole(path, &b), KILN_OK);
        assert_int_equal(b.len, 0);
        kiln_buf_release(&b);
        free(path);
    }
}

static void test_read_whole_plain_and_missing(void **state)
{
    bytes t = {0};
    gen_text(&t, (size_t)2 << 20);
    char *path = write_file("plain.txt", t.p, t.len);
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(io_read_whole(path, &b), KILN_OK);
    assert_int_equal(b.len, t.len);
    assert_memory_equal(b.data, t.p, t.len);
    free(path);

    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.gz", tmpdir);
    assert_int_equal(io_read_whole(missing, &b), KILN_ENOENT);
    assert_non_null(strstr(kiln_last_error(), missing));
    assert_int_equal(b.len, t.len);
    kiln_buf_release(&b);
    free(t.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_bzip2),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_tiny_members),
        cmocka_unit_test(test_corrupt_and_truncated),
        cmocka_unit_test(test_empty_compressed_file),
        cmocka_unit_test(test_read_whole_plain_and_missing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
