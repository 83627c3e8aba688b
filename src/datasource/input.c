/*
 * datasource/input.c - the bytes of one split for the CSV, JSON and text
 * readers. A plain file (local, or an object-store URL: io_file) is read
 * in blocks of 2 MiB from the
 * split's start into a window the reader scans in place; a compressed file
 * or archive (io_whole_reader: gzip, bzip2, zstd, zip and tar members) is
 * decompressed whole into memory, one file at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "datasource/ds_int.h"

#define BLOCK (2u << 20)

/* True for the names io reads through a decompressor or libarchive. */
bool ds_is_compressed(const char *path)
{
    static const char *const ext[] = {".gz",      ".bz2",  ".zst",     ".zip",  ".tar", ".tgz",
                                      ".tar.bz2", ".tbz2", ".tar.zst", ".tzst", ".xz",  ".txz"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t k = strlen(ext[i]);
        if (n >= k && strcasecmp(path + n - k, ext[i]) == 0) return true;
    }
    return false;
}

/* Opens s: a plain file positioned at its start, or the first file of a
 * whole (compressed) split loaded. */
int ds_input_open(ds_input *in, const ds_split *s)
{
    memset(in, 0, sizeof *in);
    in->split = s;
    in->name = s->path;
    kiln_buf_init(&in->wbuf);
    if (ds_is_compressed(s->path)) {
        int rc = io_whole_reader_open(s->path, &in->whole);
        if (rc) return rc;
        in->more_files = true;
        rc = ds_input_next_file(in);
        if (rc < 0) return rc;
        return KILN_OK;
    }
    int rc = io_file_open(s->path, &in->file);
    if (rc) return rc;
    in->off = s->start;
    return ds_input_refill(in, 0);
}

/* Loads the next member of a whole split into the window. */
int ds_input_next_file(ds_input *in)
{
    if (!in->whole || !in->more_files) return 0;
    const char *name;
    int rc = io_whole_reader_next(in->whole, &in->wbuf, &name);
    if (rc <= 0) {
        in->more_files = false;
        in->buf = NULL;
        in->len = 0;
        in->eof = true;
        return rc;
    }
    in->name = name;
    in->buf = (char *)in->wbuf.data;
    in->len = in->wbuf.len;
    in->read += (int64_t)in->wbuf.len;
    in->off = 0;
    in->eof = true;
    return 1;
}

/* Drops buf[0, keep_from), reads more. */
int ds_input_refill(ds_input *in, size_t keep_from)
{
    if (!in->file || in->eof) {
        if (!in->file) in->eof = true;
        return KILN_OK;
    }
    if (keep_from > 0) {
        memmove(in->buf, in->buf + keep_from, in->len - keep_from);
        in->len -= keep_from;
        in->off += (int64_t)keep_from;
    }
    if (in->cap - in->len < BLOCK / 2) {
        size_t cap = in->cap ? 2 * in->cap : BLOCK + 64;
        while (cap - in->len < BLOCK) cap *= 2;
        char *nb = realloc(in->buf, cap);
        if (!nb) return kiln_set_error(KILN_ENOMEM, "out of memory reading %s", in->name);
        in->buf = nb;
        in->cap = cap;
    }
    size_t want = in->cap - in->len - 16; /* keep a little slack for sentinels */
    int64_t at = in->off + (int64_t)in->len, left = io_file_size(in->file) - at;
    size_t got = left <= 0 ? 0 : (int64_t)want < left ? want : (size_t)left;
    int rc = got ? io_file_pread(in->file, in->buf + in->len, got, at) : KILN_OK;
    if (rc) return rc;
    if (got == 0) in->eof = true;
    in->len += got;
    in->read += (int64_t)got;
    return KILN_OK;
}

/* Closes the file and frees the window. */
void ds_input_close(ds_input *in)
{
    if (in->file) {
        io_file_close(in->file);
        free(in->buf);
    }
    if (in->whole) io_whole_reader_close(in->whole);
    kiln_buf_release(&in->wbuf);
    memset(in, 0, sizeof *in);
}

/* Counts lines up to off of the current file (slow; for messages). */
int64_t ds_input_line_of(ds_input *in, int64_t off)
{
    int64_t line = 1;
    if (!in->file) {
        for (int64_t i = 0; i < off && i < (int64_t)in->len; i++) line += in->buf[i] == '\n';
        return line;
    }
    char tmp[65536];
    for (int64_t pos = 0; pos < off;) {
        size_t want = off - pos < (int64_t)sizeof tmp ? (size_t)(off - pos) : sizeof tmp;
        if (pos + (int64_t)want > io_file_size(in->file) ||
            io_file_pread(in->file, tmp, want, pos) != KILN_OK)
            break;
        for (size_t i = 0; i < want; i++) line += tmp[i] == '\n';
        pos += (int64_t)want;
    }
    return line;
}
