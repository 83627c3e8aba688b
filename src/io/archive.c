/*
 * io/archive.c - the members of .zip and .tar archives as a sequence of
 * files, read with libarchive: the byte source (source.c) under the line
 * reader and the whole-file reader when an input is an archive.
 *
 * An archive is chosen by its name (case-insensitively): .zip, or .tar
 * plain or compressed (.tar.gz .tgz .tar.bz2 .tbz2 .tar.zst .tzst .tar.xz
 * .txz). Its regular members are read in the archive's order, each as a
 * file of its own; directories, links, devices and hidden names (a last
 * component starting with '.' or '_', as AppleDouble "._x" files and the
 * listing's rule) are skipped. A member named .gz, .bz2 or .zst is
 * decompressed (as a file of that name would be); a member that is itself
 * an archive is refused rather than read as text. Errors name the archive
 * and, once one is open, the member: "data.zip:inner/a.txt".
 *
 * Depends on base and libarchive only, which it loads with dlopen the first
 * time an archive is opened.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "io/io_int.h"

/* libarchive, loaded the first time an archive is opened rather than at
 * every program's start: it brings nine shared libraries of its own
 * (libxml2, liblzma, nettle...), whose loading doubled the start-up of a
 * trivial job. The table holds the functions used here, under their own
 * names. */
static struct {
    __typeof__(archive_entry_filetype) *archive_entry_filetype;
    __typeof__(archive_entry_hardlink) *archive_entry_hardlink;
    __typeof__(archive_entry_is_encrypted) *archive_entry_is_encrypted;
    __typeof__(archive_entry_pathname) *archive_entry_pathname;
    __typeof__(archive_entry_pathname_utf8) *archive_entry_pathname_utf8;
    __typeof__(archive_entry_size) *archive_entry_size;
    __typeof__(archive_entry_size_is_set) *archive_entry_size_is_set;
    __typeof__(archive_errno) *archive_errno;
    __typeof__(archive_error_string) *archive_error_string;
    __typeof__(archive_filter_code) *archive_filter_code;
    __typeof__(archive_read_data) *archive_read_data;
    __typeof__(archive_read_free) *archive_read_free;
    __typeof__(archive_read_new) *archive_read_new;
    __typeof__(archive_read_next_header) *archive_read_next_header;
    __typeof__(archive_read_open) *archive_read_open;
    __typeof__(archive_read_open_filename) *archive_read_open_filename;
    __typeof__(archive_read_support_filter_bzip2) *archive_read_support_filter_bzip2;
    __typeof__(archive_read_support_filter_gzip) *archive_read_support_filter_gzip;
    __typeof__(archive_read_support_filter_xz) *archive_read_support_filter_xz;
    __typeof__(archive_read_support_filter_zstd) *archive_read_support_filter_zstd;
    __typeof__(archive_read_support_format_raw) *archive_read_support_format_raw;
    __typeof__(archive_read_support_format_tar) *archive_read_support_format_tar;
    __typeof__(archive_read_support_format_zip) *archive_read_support_format_zip;
    __typeof__(archive_set_error) *archive_set_error;
} la;
static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static bool la_loaded;
static char la_error[512]; /* why it could not be loaded */

static void la_load(void)
{
    void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(la_error, sizeof la_error, "%s", dlerror());
        return;
    }
#define LA_LOAD(f)                                                                                 \
    if ((*(void **)&la.f = dlsym(h, #f)) == NULL) {                                                \
        snprintf(la_error, sizeof la_error, "libarchive.so.13 lacks %s", #f);                      \
        return;                                                                                    \
    }
    LA_LOAD(archive_entry_filetype)
    LA_LOAD(archive_entry_hardlink)
    LA_LOAD(archive_entry_is_encrypted)
    LA_LOAD(archive_entry_pathname)
    LA_LOAD(archive_entry_pathname_utf8)
    LA_LOAD(archive_entry_size)
    LA_LOAD(archive_entry_size_is_set)
    LA_LOAD(archive_errno)
    LA_LOAD(archive_error_string)
    LA_LOAD(archive_filter_code)
    LA_LOAD(archive_read_data)
    LA_LOAD(archive_read_free)
    LA_LOAD(archive_read_new)
    LA_LOAD(archive_read_next_header)
    LA_LOAD(archive_read_open)
    LA_LOAD(archive_read_open_filename)
    LA_LOAD(archive_read_support_filter_bzip2)
    LA_LOAD(archive_read_support_filter_gzip)
    LA_LOAD(archive_read_support_filter_xz)
    LA_LOAD(archive_read_support_filter_zstd)
    LA_LOAD(archive_read_support_format_raw)
    LA_LOAD(archive_read_support_format_tar)
    LA_LOAD(archive_read_support_format_zip)
    LA_LOAD(archive_set_error)
#undef LA_LOAD
    la_loaded = true;
}

/* Loads libarchive once; KILN_EIO naming path and the reason when it
 * cannot be (Debian's libarchive13 is not installed). */
static int la_ready(const char *path)
{
    pthread_once(&la_once, la_load);
    if (la_loaded) return KILN_OK;
    return kiln_set_error(KILN_EIO, "cannot read archive %s: libarchive is needed (%s)", path,
                          la_error);
}

#define ARCHIVE_BLOCK ((size_t)64 << 10) /* bytes libarchive reads at a time */

struct io_archive {
    struct archive *ar;    /* the archive */
    struct archive *inner; /* a compressed member's decoder, or NULL */
    char *path;            /* the archive's path */
    char *name;            /* "path:member" of the current member, or NULL */
    uint8_t *inner_in;     /* the compressed member's bytes, for inner */
    bool outer_failed;     /* inner's input (the archive) failed */
    bool at_end;           /* the last member has been passed */
    char outer_error[256]; /* and why */
};

/* Name endings of archives, and whether each is a zip. */
static const struct {
    const char *ext;
    bool zip;
} archive_exts[] = {
    {".zip", true},      {".tar", false},  {".tar.gz", false},  {".tgz", false},
    {".tar.bz2", false}, {".tbz2", false}, {".tar.zst", false}, {".tzst", false},
    {".tar.xz", false},  {".txz", false},
};

/* 1 for a zip, 2 for a tar, 0 for a name that is no archive's. */
static int archive_kind(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof archive_exts / sizeof archive_exts[0]; i++) {
        size_t e = strlen(archive_exts[i].ext);
        if (n > e && strcasecmp(path + n - e, archive_exts[i].ext) == 0)
            return archive_exts[i].zip ? 1 : 2;
    }
    return 0;
}

KILN_HIDDEN bool io_archive_name(const char *path)
{
    return archive_kind(path) != 0;
}

/* The libarchive message of ar, or a fallback. */
static const char *why(struct archive *ar)
{
    const char *s = ar ? la.archive_error_string(ar) : NULL;
    return s != NULL ? s : "unknown error";
}

static void end_inner(io_archive *a)
{
    if (a->inner != NULL) la.archive_read_free(a->inner);
    a->inner = NULL;
}

KILN_HIDDEN void io_archive_close(io_archive *a)
{
    if (a == NULL) return;
    end_inner(a);
    if (a->ar != NULL) la.archive_read_free(a->ar);
    free(a->inner_in);
    free(a->name);
    free(a->path);
    free(a);
}

KILN_HIDDEN int io_archive_open(const char *path, io_archive **out)
{
    *out = NULL;
    int kind = archive_kind(path);
    if (kind == 0) return kiln_set_error(KILN_EINVAL, "%s is not named as an archive", path);
    int loaded = la_ready(path);
    if (loaded) return loaded;
    io_archive *a = calloc(1, sizeof *a);
    if (a == NULL || (a->path = strdup(path)) == NULL || (a->ar = la.archive_read_new()) == NULL) {
        io_archive_close(a);
        return kiln_set_error(KILN_ENOMEM, "out of memory opening archive %s", path);
    }
    if (kind == 1) {
        la.archive_read_support_format_zip(a->ar);
    } else {
        /* Only in-process decoders: never an external program. */
        la.archive_read_support_format_tar(a->ar);
        la.archive_read_support_filter_gzip(a->ar);
        la.archive_read_support_filter_bzip2(a->ar);
        la.archive_read_support_filter_zstd(a->ar);
        la.archive_read_support_filter_xz(a->ar);
    }
    if (la.archive_read_open_filename(a->ar, path, ARCHIVE_BLOCK) != ARCHIVE_OK) {
        int err = la.archive_errno(a->ar);
        int rc = err == ENOENT || err == ENOTDIR
                     ? io_errno_error(err, "cannot open input file", path)
                     : kiln_set_error(KILN_ECORRUPT, "cannot read archive %s: %s", path,
                                      why(a->ar));
        io_archive_close(a);
        return rc;
    }
    *out = a;
    return KILN_OK;
}

/* True for a member skipped as hidden: its last component starts with '.'
 * or '_' (or it has none). */
static bool hidden_member(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    return base[0] == '\0' || base[0] == '.' || base[0] == '_';
}

/* inner's input: the current member's compressed bytes. */
static la_ssize_t inner_read(struct archive *inner, void *arg, const void **buf)
{
    io_archive *a = arg;
    la_ssize_t n;
    do n = la.archive_read_data(a->ar, a->inner_in, ARCHIVE_BLOCK);
    while (n == ARCHIVE_RETRY);
    if (n < 0) {
        a->outer_failed = true;
        snprintf(a->outer_error, sizeof a->outer_error, "%s", why(a->ar));
        la.archive_set_error(inner, EIO, "%s", a->outer_error);
        return -1;
    }
    *buf = a->inner_in;
    return n;
}

/* Starts decoding the current member, named for codec, with a second
 * libarchive reader ("raw" format: the decoded bytes are the member). */
static int start_inner(io_archive *a, io_codec codec)
{
    static const struct {
        const char *name;
        int filter;
    } codecs[] = {[IO_CODEC_GZIP] = {"gzip", ARCHIVE_FILTER_GZIP},
                  [IO_CODEC_BZIP2] = {"bzip2", ARCHIVE_FILTER_BZIP2},
                  [IO_CODEC_ZSTD] = {"zstd", ARCHIVE_FILTER_ZSTD}};
    if (a->inner_in == NULL && (a->inner_in = malloc(ARCHIVE_BLOCK)) == NULL)
        return kiln_set_error(KILN_ENOMEM, "out of memory reading %s", a->name);
    a->outer_failed = false;
    a->inner = la.archive_read_new();
    if (a->inner == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory reading %s", a->name);
    la.archive_read_support_filter_gzip(a->inner);
    la.archive_read_support_filter_bzip2(a->inner);
    la.archive_read_support_filter_zstd(a->inner);
    la.archive_read_support_format_raw(a->inner);
    struct archive_entry *e;
    int r = la.archive_read_open(a->inner, a, NULL, inner_read, NULL);
    if (r == ARCHIVE_OK) r = la.archive_read_next_header(a->inner, &e);
    if (r == ARCHIVE_EOF) { /* an empty member: no bytes */
        end_inner(a);
        return KILN_OK;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return kiln_set_error(KILN_ECORRUPT, "corrupt archive member %s: %s", a->name,
                              a->outer_failed ? a->outer_error : why(a->inner));
    if (la.archive_filter_code(a->inner, 0) != codecs[codec].filter)
        return kiln_set_error(KILN_ECORRUPT, "corrupt archive member %s: not %s data", a->name,
                              codecs[codec].name);
    return KILN_OK;
}

KILN_HIDDEN int io_archive_next(io_archive *a, const char **name)
{
    end_inner(a);
    while (!a->at_end) {
        struct archive_entry *e;
        int r;
        do r = la.archive_read_next_header(a->ar, &e);
        while (r == ARCHIVE_RETRY);
        if (r == ARCHIVE_EOF) {
            free(a->name);
            a->name = NULL;
            a->at_end = true;
            return 0;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (a->name != NULL)
                return kiln_set_error(KILN_ECORRUPT, "corrupt archive %s after member %s: %s",
                                      a->path, a->name + strlen(a->path) + 1, why(a->ar));
            return kiln_set_error(KILN_ECORRUPT, "corrupt archive %s: %s", a->path, why(a->ar));
        }
        const char *member = la.archive_entry_pathname(e);
        if (member == NULL) member = la.archive_entry_pathname_utf8(e);
        if (member == NULL) member = "?";
        if (la.archive_entry_filetype(e) != AE_IFREG || la.archive_entry_hardlink(e) != NULL ||
            hidden_member(member))
            continue;
        if (member[0] == '.' && member[1] == '/') /* tar -C dir . */
            member += 2;
        size_t pn = strlen(a->path), mn = strlen(member);
        char *full = malloc(pn + 1 + mn + 1);
        if (full == NULL)
            return kiln_set_error(KILN_ENOMEM, "out of memory reading archive %s", a->path);
        memcpy(full, a->path, pn);
        full[pn] = ':';
        memcpy(full + pn + 1, member, mn + 1);
        free(a->name);
        a->name = full;
        if (la.archive_entry_is_encrypted(e))
            return kiln_set_error(KILN_ECORRUPT, "cannot read archive member %s: it is encrypted",
                                  a->name);
        if (archive_kind(member) != 0)
            return kiln_set_error(KILN_EINVAL,
                                  "archive member %s is an archive: archives inside archives "
                                  "are not read",
                                  a->name);
        io_codec codec = io_codec_of(member);
        /* An empty member is an empty file, whatever its name says. */
        bool empty = la.archive_entry_size_is_set(e) && la.archive_entry_size(e) == 0;
        if (codec != IO_CODEC_NONE && !empty) {
            int rc = start_inner(a, codec);
            if (rc != KILN_OK) return rc;
        }
        *name = a->name;
        return 1;
    }
    return 0;
}

KILN_HIDDEN int io_archive_read(io_archive *a, void *dst, size_t cap, size_t *got)
{
    *got = 0;
    if (a->name == NULL) return KILN_OK; /* before the first member, or after the last */
    struct archive *from = a->inner != NULL ? a->inner : a->ar;
    if (a->inner == NULL && io_codec_of(a->name) != IO_CODEC_NONE)
        return KILN_OK; /* an empty compressed member */
    la_ssize_t n;
    do n = la.archive_read_data(from, dst, cap);
    while (n == ARCHIVE_RETRY);
    if (n < 0)
        return kiln_set_error(KILN_ECORRUPT, "corrupt archive member %s: %s", a->name,
                              a->inner != NULL && a->outer_failed ? a->outer_error : why(from));
    *got = (size_t)n;
    return KILN_OK;
}
