/*
 * io/lines.c - the line reader: cuts the bytes of one split into lines.
 *
 * This is the hot loop of every text job, so it reads large blocks straight
 * into one buffer and finds line ends with memchr; a line is returned as a
 * pointer into that buffer, never copied. The buffer grows (doubling) only
 * when a single line does not fit.
 *
 * Ownership of lines across splits (Hadoop's LineRecordReader rule, in the
 * form where a line belongs to the split that holds its first byte): a split
 * [start, end) with start > 0 begins reading at start - 1 and discards up to
 * and including the first '\n' (so if byte start - 1 is '\n' nothing of the
 * split is lost), then returns every line whose first byte lies before end,
 * reading past end to finish the last one. Line starts partition the file,
 * so every line is read by exactly one split of any tiling.
 *
 * An archive's split is read member by member: next() returns 0 at the end
 * of each, and next_file() moves on with a fresh buffer state and offsets
 * counted from the member's start.
 */
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

#define LINE_BUF_SIZE ((size_t)1 << 20) /* default buffer (and read) size */
#define READ_SLACK ((size_t)64 << 10)   /* read beyond a split's end per call */
#define MAX_LINE ((size_t)UINT32_MAX)   /* longest line (a kiln string's length) */

struct io_line_reader {
    io_source *src;
    uint8_t *buf;
    size_t cap;
    size_t head; /* first byte of the next line */
    size_t tail; /* end of the bytes read so far */
    size_t scan; /* [head, scan) is known to hold no '\n' */
    int64_t pos; /* offset in the (decompressed) stream of buf[head] */
    int64_t end; /* lines starting at or after end belong to the next split */
    bool ranged; /* a byte range of a plain file: keep reads near end */
    bool eof;    /* the source has ended: buf[tail] is the end of the stream */
    int err;     /* a failure, returned again by every later call */
};

/* Reads more bytes after tail, first moving the unfinished line to the front
 * of the buffer and doubling the buffer when the line fills half of it. */
static int fill(io_line_reader *r)
{
    if (r->head > 0) {
        size_t keep = r->tail - r->head;
        memmove(r->buf, r->buf + r->head, keep);
        r->scan -= r->head;
        r->tail = keep;
        r->head = 0;
    }
    if (r->cap - r->tail < r->cap / 2) {
        if (r->tail > MAX_LINE)
            return kiln_set_error(KILN_ERANGE, "line longer than %zu bytes at byte %lld of %s",
                                  MAX_LINE, (long long)r->pos, io_source_path(r->src));
        size_t cap = r->cap * 2;
        uint8_t *p = realloc(r->buf, cap);
        if (p == NULL)
            return kiln_set_error(KILN_ENOMEM, "out of memory for a %zu-byte line of %s", r->tail,
                                  io_source_path(r->src));
        r->buf = p;
        r->cap = cap;
    }
    size_t want = r->cap - r->tail;
    if (r->ranged) {
        /* Near the end of the split only the rest of the last line is
         * needed: do not read (much) of the next split's bytes. */
        int64_t next = r->pos + (int64_t)r->tail; /* stream offset of buf[tail] */
        uint64_t need = next < r->end ? (uint64_t)(r->end - next) : 0;
        if (need + READ_SLACK < want) want = need + READ_SLACK;
    }
    size_t got;
    int rc = io_source_read(r->src, r->buf + r->tail, want, &got);
    if (rc != KILN_OK) return rc;
    if (got == 0) r->eof = true;
    r->tail += got;
    return KILN_OK;
}

/* Discards the partial line a split with start > 0 begins in: everything up
 * to and including the first '\n' at or after start - 1 (where reading
 * began). Stops early once no line can start before end. */
static int skip_first_line(io_line_reader *r)
{
    for (;;) {
        uint8_t *nl = memchr(r->buf + r->head, '\n', r->tail - r->head);
        if (nl != NULL) {
            size_t at = (size_t)(nl - r->buf) + 1;
            r->pos += (int64_t)(at - r->head);
            r->head = r->scan = at;
            return KILN_OK;
        }
        r->pos += (int64_t)(r->tail - r->head);
        r->head = r->scan = r->tail = 0;
        if (r->pos >= r->end || r->eof) return KILN_OK; /* no line starts in [start, end) */
        int rc = fill(r);
        if (rc != KILN_OK) return rc;
    }
}

/* Opens a reader on s (borrowed; the path is copied). Returns KILN_OK and an
 * owned reader, or KILN_ENOENT / KILN_EIO / KILN_EINVAL / KILN_ENOMEM naming
 * the file. */
KILN_HIDDEN int io_line_reader_open(const io_split *s, io_line_reader **out)
{
    *out = NULL;
    io_codec codec = io_codec_of(s->path);
    bool whole = s->whole || codec != IO_CODEC_NONE;
    if (!whole && (s->start < 0 || s->length < 0 || s->start > INT64_MAX - s->length))
        return kiln_set_error(KILN_EINVAL, "bad split of %s: start %lld, length %lld", s->path,
                              (long long)s->start, (long long)s->length);
    if (codec != IO_CODEC_NONE && !s->whole && s->start != 0)
        return kiln_set_error(KILN_EINVAL, "compressed file %s cannot be split", s->path);

    io_line_reader *r = calloc(1, sizeof *r);
    if (r == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", s->path);
    int64_t start = whole ? 0 : s->start;
    r->end = whole ? INT64_MAX : start + s->length;
    r->ranged = !whole;
    /* A small split needs a small buffer: its reads stop near end anyway. */
    r->cap = LINE_BUF_SIZE;
    if (r->ranged && (uint64_t)s->length + READ_SLACK < r->cap)
        r->cap = (size_t)s->length + READ_SLACK;
    r->pos = start > 0 ? start - 1 : 0;
    r->buf = malloc(r->cap);
    int rc = r->buf == NULL ? kiln_set_error(KILN_ENOMEM, "out of memory opening %s", s->path)
                            : io_source_open(s->path, codec, r->pos, &r->src);
    if (rc == KILN_OK && r->ranged) io_source_limit(r->src, r->end);
    if (rc == KILN_OK && start > 0) rc = skip_first_line(r);
    if (rc == KILN_OK && codec == IO_CODEC_ARCHIVE && (rc = io_source_next_member(r->src)) > 0)
        rc = KILN_OK; /* at the first member (none: an empty stream) */
    if (rc != KILN_OK) {
        io_line_reader_close(r);
        return rc;
    }
    *out = r;
    return KILN_OK;
}

/* Returns 1 and the next line (borrowed, valid until the next call), 0 at
 * the end of the split, or a negative error naming the file. */
KILN_HIDDEN int io_line_reader_next(io_line_reader *r, const char **line, size_t *len)
{
    if (r->err != KILN_OK) return r->err;
    for (;;) {
        if (r->pos >= r->end) return 0;
        uint8_t *nl = memchr(r->buf + r->scan, '\n', r->tail - r->scan);
        size_t n;
        if (nl != NULL) {
            n = (size_t)(nl - (r->buf + r->head));
            r->pos += (int64_t)n + 1;
        } else if (r->eof) {
            if (r->head == r->tail) return 0;
            n = r->tail - r->head; /* the last line has no '\n' */
            r->pos += (int64_t)n;
        } else {
            r->scan = r->tail;
            int rc = fill(r);
            if (rc != KILN_OK) return r->err = rc;
            continue;
        }
        if (n > MAX_LINE)
            return r->err = kiln_set_error(KILN_ERANGE, "line longer than %zu bytes in %s",
                                           MAX_LINE, io_source_path(r->src));
        const char *p = (const char *)r->buf + r->head;
        r->head += n + (nl != NULL);
        r->scan = r->head;
        if (nl != NULL && n > 0 && p[n - 1] == '\r') n--;
        *line = p;
        *len = n;
        return 1;
    }
}

/* Closes the file and frees the reader. NULL is ignored. */
KILN_HIDDEN void io_line_reader_close(io_line_reader *r)
{
    if (r == NULL) return;
    io_source_close(r->src);
    free(r->buf);
    free(r);
}

KILN_HIDDEN int64_t io_line_reader_offset(const io_line_reader *r)
{
    return r->pos;
}

/* Moves to an archive's next member: 1, 0 after the last (or for a file
 * that is no archive), or the error, which stays. */
KILN_HIDDEN int io_line_reader_next_file(io_line_reader *r)
{
    if (r->err != KILN_OK) return r->err;
    int rc = io_source_next_member(r->src);
    if (rc < 0) return r->err = rc;
    if (rc == 0) return 0;
    r->head = r->tail = r->scan = 0;
    r->pos = 0;
    r->eof = false;
    return 1;
}

KILN_HIDDEN const char *io_line_reader_file(const io_line_reader *r)
{
    return io_source_path(r->src);
}

/* The 1-based number of the line starting at byte offset of path (counting
 * the newlines before it, decompressing as needed): for error messages.
 * path may name an archive's member as "ARCHIVE:MEMBER". */
int kiln_input_line_number(const char *path, int64_t offset, int64_t *line)
{
    io_source *src;
    int rc = io_source_open_named(path, &src);
    if (rc != KILN_OK) return rc;
    int64_t lines = 1, at = 0;
    uint8_t buf[1 << 16];
    while (at < offset) {
        size_t want = offset - at < (int64_t)sizeof buf ? (size_t)(offset - at) : sizeof buf, got;
        if ((rc = io_source_read(src, buf, want, &got)) != KILN_OK) break;
        if (got == 0) break;
        for (const uint8_t *p = buf, *e = buf + got; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            lines++;
        at += (int64_t)got;
    }
    io_source_close(src);
    if (rc == KILN_OK) *line = lines;
    return rc;
}
