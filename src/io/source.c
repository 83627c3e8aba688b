/*
 * io/source.c - byte sources for the line reader and io_read_whole: a plain
 * file read with pread(2) from an offset, a gzip, bzip2 or zstd file
 * decompressed as a stream (never the whole file in memory), or the members
 * of an archive one after another (archive.c). Concatenated gzip members,
 * bzip2 streams and zstd frames are read one after another, as the
 * command-line tools do. Damaged or truncated compressed data gives
 * KILN_ECORRUPT with the file name. Also the whole-file reader
 * (io_whole_reader) of whole_text_files.
 */
#define _GNU_SOURCE /* strerror_r returning char * */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "io/io_int.h"
#include "io/store_int.h"

#define SOURCE_IN_SIZE ((size_t)256 << 10) /* compressed bytes read at a time */
#define MAX_IO_CHUNK ((size_t)1 << 30)     /* largest single read(2) request */

struct io_source {
    int fd;
    io_codec codec;
    char *path;
    int64_t file_size;  /* from fstat at open; -1 if not a regular file */
    int64_t off;        /* plain: file offset of the next pread */
    io_obj_reader *obj; /* an object-store URL: read through it (fd is -1) */

    /* Compressed sources only. */
    uint8_t *in;   /* compressed bytes read from the file */
    size_t in_len; /* valid bytes in `in` (for zstd; zlib/bzip2 keep their own) */
    bool in_eof;   /* read(2) returned 0: the file holds no more bytes */
    bool mid;      /* inside a member / stream / frame that has not ended yet */
    bool ready;    /* the codec state below is initialised */
    z_stream z;
    bz_stream bz;
    ZSTD_DCtx *zd;
    ZSTD_inBuffer zin;

    /* Archives only: path is the current member's "archive:member". */
    io_archive *ar;
    char *archive_path;
};

/* Returns the codec of path by its extension; IO_CODEC_NONE for plain. */
KILN_HIDDEN io_codec io_codec_of(const char *path)
{
    if (io_archive_name(path)) return IO_CODEC_ARCHIVE;
    size_t n = strlen(path);
    if (n >= 3 && strcmp(path + n - 3, ".gz") == 0) return IO_CODEC_GZIP;
    if (n >= 4 && strcmp(path + n - 4, ".bz2") == 0) return IO_CODEC_BZIP2;
    if (n >= 4 && strcmp(path + n - 4, ".zst") == 0) return IO_CODEC_ZSTD;
    return IO_CODEC_NONE;
}

/* Sets "<what> <path>: <strerror>" and returns the matching kiln code. */
KILN_HIDDEN int io_errno_error(int err, const char *what, const char *path)
{
    char tmp[256];
    const char *msg = strerror_r(err, tmp, sizeof tmp);
    int code = KILN_EIO;
    if (err == ENOENT || err == ENOTDIR) code = KILN_ENOENT;
    else if (err == ENOMEM) code = KILN_ENOMEM;
    return kiln_set_error(code, "%s %s: %s", what, path, msg);
}

/* Returns "dir/name" as an owned string (no doubled slash), or NULL. */
KILN_HIDDEN char *io_path_join(const char *dir, const char *name)
{
    size_t dn = strlen(dir), nn = strlen(name);
    bool slash = dn > 0 && dir[dn - 1] != '/';
    char *p = malloc(dn + slash + nn + 1);
    if (p == NULL) return NULL;
    memcpy(p, dir, dn);
    if (slash) p[dn] = '/';
    memcpy(p + dn + slash, name, nn + 1);
    return p;
}

static int corrupt(const io_source *s, const char *detail)
{
    static const char *const names[] = {"plain", "gzip", "bzip2", "zstd", "archive"};
    return kiln_set_error(KILN_ECORRUPT, "corrupt %s file %s: %s", names[s->codec], s->path,
                          detail);
}

/* Initialises the decompressor state for s->codec. */
static int codec_init(io_source *s)
{
    switch (s->codec) {
    case IO_CODEC_GZIP:
        memset(&s->z, 0, sizeof s->z);
        /* 15 + 32: the largest window, with gzip or zlib header detection. */
        if (inflateInit2(&s->z, 15 + 32) != Z_OK)
            return kiln_set_error(KILN_ENOMEM, "cannot start gzip decoder for %s", s->path);
        break;
    case IO_CODEC_BZIP2:
        memset(&s->bz, 0, sizeof s->bz);
        if (BZ2_bzDecompressInit(&s->bz, 0, 0) != BZ_OK)
            return kiln_set_error(KILN_ENOMEM, "cannot start bzip2 decoder for %s", s->path);
        break;
    case IO_CODEC_ZSTD:
        s->zd = ZSTD_createDCtx();
        if (s->zd == NULL)
            return kiln_set_error(KILN_ENOMEM, "cannot start zstd decoder for %s", s->path);
        s->zin.src = s->in;
        s->zin.size = 0;
        s->zin.pos = 0;
        break;
    case IO_CODEC_NONE:
    case IO_CODEC_ARCHIVE:
        break;
    }
    s->ready = true;
    return KILN_OK;
}

static void codec_end(io_source *s)
{
    if (!s->ready) return;
    switch (s->codec) {
    case IO_CODEC_GZIP:
        inflateEnd(&s->z);
        break;
    case IO_CODEC_BZIP2:
        BZ2_bzDecompressEnd(&s->bz);
        break;
    case IO_CODEC_ZSTD:
        ZSTD_freeDCtx(s->zd);
        s->zd = NULL;
        break;
    case IO_CODEC_NONE:
    case IO_CODEC_ARCHIVE:
        break;
    }
    s->ready = false;
}

/* Opens path for reading from offset (plain) or from the start (compressed). */
KILN_HIDDEN int io_source_open(const char *path, io_codec codec, int64_t offset, io_source **out)
{
    *out = NULL;
    if (offset < 0 || (codec != IO_CODEC_NONE && offset != 0))
        return kiln_set_error(KILN_EINVAL, "cannot read %s from byte %lld", path,
                              (long long)offset);
    io_source *s = calloc(1, sizeof *s);
    if (s == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path);
    s->fd = -1;
    s->codec = codec;
    s->off = offset;
    s->file_size = -1;
    s->path = strdup(path);
    if (s->path == NULL) {
        io_source_close(s);
        return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path);
    }
    if (io_path_is_url(path)) {
        int rc = codec == IO_CODEC_ARCHIVE
                     ? kiln_set_error(KILN_EINVAL,
                                      "cannot read the archive %s: archives are "
                                      "read from local files only",
                                      s->path)
                     : io_obj_reader_open(path, offset, &s->obj);
        if (!rc) s->file_size = io_obj_reader_size(s->obj);
        if (!rc && codec != IO_CODEC_NONE) {
            s->in = malloc(SOURCE_IN_SIZE);
            rc = s->in == NULL ? kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path)
                               : codec_init(s);
        }
        if (rc != KILN_OK) {
            io_source_close(s);
            return rc;
        }
        *out = s;
        return KILN_OK;
    }
    if (codec == IO_CODEC_ARCHIVE) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) s->file_size = st.st_size;
        int rc = (s->archive_path = strdup(path)) == NULL
                     ? kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path)
                     : io_archive_open(path, &s->ar);
        if (rc != KILN_OK) {
            io_source_close(s);
            return rc;
        }
        *out = s;
        return KILN_OK;
    }
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        int rc = io_errno_error(errno, "cannot open input file", path);
        io_source_close(s);
        return rc;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode)) s->file_size = st.st_size;
    if (codec == IO_CODEC_NONE) {
        /* Lines are read front to back; let the kernel read ahead further. */
        (void)posix_fadvise(s->fd, offset, 0, POSIX_FADV_SEQUENTIAL);
    } else {
        s->in = malloc(SOURCE_IN_SIZE);
        int rc = s->in == NULL ? kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path)
                               : codec_init(s);
        if (rc != KILN_OK) {
            io_source_close(s);
            return rc;
        }
    }
    *out = s;
    return KILN_OK;
}

/* Reads the next compressed bytes from the file into s->in. */
static int fill_input(io_source *s, size_t *got)
{
    if (s->obj) {
        int rc = io_obj_reader_read(s->obj, s->in, SOURCE_IN_SIZE, got);
        if (rc == KILN_OK && *got == 0) s->in_eof = true;
        return rc;
    }
    ssize_t n;
    n = io_read(s->fd, s->in, SOURCE_IN_SIZE);
    if (n < 0) return io_errno_error(errno, "cannot read input file", s->path);
    if (n == 0) s->in_eof = true;
    *got = (size_t)n;
    return KILN_OK;
}

static int read_plain(io_source *s, uint8_t *dst, size_t cap, size_t *got)
{
    if (s->obj) return io_obj_reader_read(s->obj, dst, cap, got);
    ssize_t n;
    n = io_pread(s->fd, dst, cap, s->off);
    if (n < 0) return io_errno_error(errno, "cannot read input file", s->path);
    s->off += n;
    *got = (size_t)n;
    return KILN_OK;
}

/* Each read_<codec> decodes until it has produced at least one byte or the
 * stream has ended cleanly (then *got is 0). A file that ends inside a
 * member is truncated, hence corrupt; an empty file is an empty stream. */

static int read_gzip(io_source *s, uint8_t *dst, size_t cap, size_t *got)
{
    z_stream *z = &s->z;
    z->next_out = dst;
    z->avail_out = (uInt)(cap > UINT_MAX ? UINT_MAX : cap);
    uInt avail = z->avail_out;
    while (z->avail_out == avail) {
        if (z->avail_in == 0 && !s->in_eof) {
            size_t n;
            int rc = fill_input(s, &n);
            if (rc != KILN_OK) return rc;
            z->next_in = s->in;
            z->avail_in = (uInt)n;
        }
        if (z->avail_in == 0) { /* the file has ended */
            if (s->mid) return corrupt(s, "unexpected end of file");
            break;
        }
        int ret = inflate(z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            /* A member ended; another may follow (multi-member gzip). */
            s->mid = false;
            if (inflateReset(z) != Z_OK) return corrupt(s, "cannot reset decoder");
        } else if (ret == Z_OK || ret == Z_BUF_ERROR) {
            s->mid = true;
        } else if (ret == Z_MEM_ERROR) {
            return kiln_set_error(KILN_ENOMEM, "out of memory decompressing %s", s->path);
        } else {
            return corrupt(s, z->msg != NULL ? z->msg : "invalid data");
        }
    }
    *got = avail - z->avail_out;
    return KILN_OK;
}

static int read_bzip2(io_source *s, uint8_t *dst, size_t cap, size_t *got)
{
    bz_stream *bz = &s->bz;
    bz->next_out = (char *)dst;
    bz->avail_out = (unsigned)(cap > UINT_MAX ? UINT_MAX : cap);
    unsigned avail = bz->avail_out;
    while (bz->avail_out == avail) {
        if (bz->avail_in == 0 && !s->in_eof) {
            size_t n;
            int rc = fill_input(s, &n);
            if (rc != KILN_OK) return rc;
            bz->next_in = (char *)s->in;
            bz->avail_in = (unsigned)n;
        }
        if (bz->avail_in == 0) {
            if (s->mid) return corrupt(s, "unexpected end of file");
            break;
        }
        int ret = BZ2_bzDecompress(bz);
        if (ret == BZ_STREAM_END) {
            /* Restart the decoder for the next stream, keeping the unread
             * input and the room left for output. */
            bz_stream keep = *bz;
            s->mid = false;
            BZ2_bzDecompressEnd(bz);
            memset(bz, 0, sizeof *bz);
            if (BZ2_bzDecompressInit(bz, 0, 0) != BZ_OK) {
                s->ready = false;
                return kiln_set_error(KILN_ENOMEM, "cannot restart bzip2 decoder for %s", s->path);
            }
            bz->next_in = keep.next_in;
            bz->avail_in = keep.avail_in;
            bz->next_out = keep.next_out;
            bz->avail_out = keep.avail_out;
        } else if (ret == BZ_OK) {
            s->mid = true;
        } else if (ret == BZ_MEM_ERROR) {
            return kiln_set_error(KILN_ENOMEM, "out of memory decompressing %s", s->path);
        } else {
            return corrupt(s, ret == BZ_DATA_ERROR_MAGIC ? "not bzip2 data" : "invalid data");
        }
    }
    *got = avail - bz->avail_out;
    return KILN_OK;
}

static int read_zstd(io_source *s, uint8_t *dst, size_t cap, size_t *got)
{
    ZSTD_outBuffer zout = {dst, cap, 0};
    while (zout.pos == 0) {
        if (s->zin.pos == s->zin.size && !s->in_eof) {
            size_t n;
            int rc = fill_input(s, &n);
            if (rc != KILN_OK) return rc;
            s->zin.size = n;
            s->zin.pos = 0;
        }
        bool no_input = s->zin.pos == s->zin.size;
        if (no_input && !s->mid) break; /* clean end between frames (or an empty file) */
        size_t in_before = s->zin.pos;
        size_t r = ZSTD_decompressStream(s->zd, &zout, &s->zin);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
                return kiln_set_error(KILN_ENOMEM, "out of memory decompressing %s", s->path);
            return corrupt(s, ZSTD_getErrorName(r));
        }
        /* r == 0: a frame has ended and everything is flushed. */
        s->mid = r != 0;
        if (no_input && zout.pos == 0 && s->zin.pos == in_before && s->mid)
            return corrupt(s, "unexpected end of file");
    }
    *got = zout.pos;
    return KILN_OK;
}

/* Reads up to cap bytes; *got == 0 only at the end of the stream. */
KILN_HIDDEN int io_source_read(io_source *s, void *dst, size_t cap, size_t *got)
{
    *got = 0;
    if (cap > MAX_IO_CHUNK) cap = MAX_IO_CHUNK;
    if (cap == 0) return kiln_set_error(KILN_EINVAL, "empty read of %s", s->path);
    switch (s->codec) {
    case IO_CODEC_NONE:
        return read_plain(s, dst, cap, got);
    case IO_CODEC_GZIP:
        return read_gzip(s, dst, cap, got);
    case IO_CODEC_BZIP2:
        return read_bzip2(s, dst, cap, got);
    case IO_CODEC_ZSTD:
        return read_zstd(s, dst, cap, got);
    case IO_CODEC_ARCHIVE:
        return io_archive_read(s->ar, dst, cap, got);
    }
    return kiln_set_error(KILN_EINVAL, "unknown codec for %s", s->path);
}

KILN_HIDDEN int io_source_next_member(io_source *s)
{
    if (s->codec != IO_CODEC_ARCHIVE) return 0;
    const char *name;
    int rc = io_archive_next(s->ar, &name);
    if (rc <= 0) return rc;
    char *copy = strdup(name);
    if (copy == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory reading %s", name);
    free(s->path);
    s->path = copy;
    return 1;
}

KILN_HIDDEN int io_source_open_named(const char *name, io_source **out)
{
    struct stat st;
    if (io_path_is_url(name) || stat(name, &st) == 0 || strchr(name, ':') == NULL)
        return io_source_open(name, io_codec_of(name), 0, out);
    /* "ARCHIVE:MEMBER": the first ':' after which an archive's path ends. */
    for (const char *c = strchr(name, ':'); c != NULL; c = strchr(c + 1, ':')) {
        char *archive = strndup(name, (size_t)(c - name));
        if (archive == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", name);
        bool found = io_archive_name(archive) && stat(archive, &st) == 0 && S_ISREG(st.st_mode);
        io_source *s = NULL;
        int rc = found ? io_source_open(archive, IO_CODEC_ARCHIVE, 0, &s) : KILN_OK;
        free(archive);
        if (!found) continue;
        while (rc == KILN_OK && (rc = io_source_next_member(s)) == 1) {
            if (strcmp(s->path, name) == 0) {
                *out = s;
                return KILN_OK;
            }
            rc = KILN_OK;
        }
        io_source_close(s);
        if (rc < 0) return rc;
        return kiln_set_error(KILN_ENOENT, "no member %s in archive %.*s", c + 1, (int)(c - name),
                              name);
    }
    return io_source_open(name, io_codec_of(name), 0, out); /* names the missing file */
}

KILN_HIDDEN const char *io_source_path(const io_source *s)
{
    return s->path;
}

KILN_HIDDEN void io_source_limit(io_source *s, int64_t end)
{
    if (s->obj && s->codec == IO_CODEC_NONE) io_obj_reader_limit(s->obj, end);
}

KILN_HIDDEN int64_t io_source_file_size(const io_source *s)
{
    return s->file_size;
}

/* Closes the file and frees the source. NULL is ignored. */
KILN_HIDDEN void io_source_close(io_source *s)
{
    if (s == NULL) return;
    codec_end(s);
    io_archive_close(s->ar);
    io_obj_reader_close(s->obj);
    free(s->archive_path);
    if (s->fd >= 0) close(s->fd);
    free(s->in);
    free(s->path);
    free(s);
}

/* Appends the rest of s's bytes to out. On error out keeps its old length. */
static int read_all(io_source *s, kiln_buf *out)
{
    int rc;
    size_t old_len = out->len;
    /* A plain file's size is known: one read fills it and a second sees the
     * end. Decompressed output grows the buffer geometrically. */
    size_t want = (size_t)1 << 20;
    if (s->codec == IO_CODEC_NONE && s->file_size >= 0) want = (size_t)s->file_size + 1;
    for (;;) {
        if (out->cap - out->len < ((size_t)64 << 10) || out->cap - out->len < want) {
            rc = kiln_buf_reserve(out, want);
            if (rc != KILN_OK) {
                kiln_set_error(rc, "out of memory reading %s", s->path);
                break;
            }
        }
        size_t got;
        rc = io_source_read(s, out->data + out->len, out->cap - out->len, &got);
        if (rc != KILN_OK || got == 0) break;
        out->len += got;
        want = (size_t)64 << 10;
    }
    if (rc != KILN_OK) out->len = old_len;
    return rc;
}

/* Appends the (decompressed) content of path to out. On error out keeps its
 * old length. Borrows path and out. An archive is refused: its members are
 * files of their own (io_whole_reader). */
KILN_HIDDEN int io_read_whole(const char *path, kiln_buf *out)
{
    if (io_codec_of(path) == IO_CODEC_ARCHIVE)
        return kiln_set_error(KILN_EINVAL, "%s is an archive: read its members", path);
    io_source *s;
    int rc = io_source_open(path, io_codec_of(path), 0, &s);
    if (rc != KILN_OK) return rc;
    rc = read_all(s, out);
    io_source_close(s);
    return rc;
}

struct io_whole_reader {
    io_source *src;
    bool done;
};

KILN_HIDDEN int io_whole_reader_open(const char *path, io_whole_reader **out)
{
    *out = NULL;
    io_whole_reader *r = calloc(1, sizeof *r);
    if (r == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path);
    int rc = io_source_open(path, io_codec_of(path), 0, &r->src);
    if (rc != KILN_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return KILN_OK;
}

KILN_HIDDEN int io_whole_reader_next(io_whole_reader *r, kiln_buf *out, const char **name)
{
    if (r->done) return 0;
    if (r->src->codec == IO_CODEC_ARCHIVE) {
        int rc = io_source_next_member(r->src);
        if (rc <= 0) {
            r->done = true;
            return rc;
        }
    } else {
        r->done = true;
    }
    out->len = 0;
    int rc = read_all(r->src, out);
    if (rc != KILN_OK) {
        r->done = true;
        return rc;
    }
    *name = r->src->path;
    return 1;
}

KILN_HIDDEN void io_whole_reader_close(io_whole_reader *r)
{
    if (r == NULL) return;
    io_source_close(r->src);
    free(r);
}
