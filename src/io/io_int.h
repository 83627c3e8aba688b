/*
 * io/io_int.h - private interface between the files of src/io: the byte
 * source that the line reader and io_read_whole pull from (a plain file read
 * from an offset, a gzip / bzip2 / zstd stream decompressed on the fly, or
 * the members of an archive one after another), the archive reader, and
 * small error helpers. Nothing outside src/io includes this header.
 */
#ifndef KILN_IO_INT_H
#define KILN_IO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "io/io.h"

/* How a file's bytes are stored, decided by its name's extension (as
 * Hadoop's codec factory does, case-sensitively). */
typedef enum io_codec {
    IO_CODEC_NONE = 0,
    IO_CODEC_GZIP,    /* .gz: gzip, any number of members (zlib headers accepted) */
    IO_CODEC_BZIP2,   /* .bz2: any number of concatenated streams */
    IO_CODEC_ZSTD,    /* .zst: any number of frames, skippable frames ignored */
    IO_CODEC_ARCHIVE, /* .zip, .tar, .tar.gz, ...: members read as files (archive.c) */
} io_codec;

/* Returns the codec of path by its extension; IO_CODEC_NONE for plain.
 * An archive's name (io_archive_name) wins: "x.tar.gz" is an archive. */
KILN_HIDDEN io_codec io_codec_of(const char *path);

/* ---- Archives (archive.c): the regular members of a .zip or .tar (plain or
 * compressed) as a sequence of files. */
typedef struct io_archive io_archive;

/* True when path is named as an archive: .zip, .tar, .tar.gz, .tgz,
 * .tar.bz2, .tbz2, .tar.zst, .tzst, .tar.xz, .txz (any case). */
KILN_HIDDEN bool io_archive_name(const char *path);
/* Opens the archive at path (borrowed), before its first member. Returns
 * KILN_OK and an owned archive, KILN_ENOENT, or KILN_ECORRUPT naming the
 * file when it cannot be read as the archive its name says. */
KILN_HIDDEN int io_archive_open(const char *path, io_archive **out);
/* Moves to the next regular, visible member (skipping what is left of the
 * current one). Returns 1 and its name "ARCHIVE:MEMBER" (borrowed, valid
 * until the next call or close), 0 after the last, or KILN_ECORRUPT (a
 * damaged archive, an encrypted member) / KILN_EINVAL (a member that is an
 * archive) naming the archive and the member. */
KILN_HIDDEN int io_archive_next(io_archive *a, const char **name);
/* Reads up to cap bytes of the current member (decompressed when its name
 * ends in .gz, .bz2 or .zst); *got == 0 at its end (and before the first
 * member). Returns KILN_OK or KILN_ECORRUPT naming the member. */
KILN_HIDDEN int io_archive_read(io_archive *a, void *dst, size_t cap, size_t *got);
/* Frees the archive. NULL is ignored. */
KILN_HIDDEN void io_archive_close(io_archive *a);

/* A forward-only stream of the bytes of one file. */
typedef struct io_source io_source;

/* Opens path. A plain file (codec IO_CODEC_NONE) is read from byte offset;
 * a compressed one is decompressed from its start (offset must be 0).
 * Borrows path (copied). Returns KILN_OK and an owned source, KILN_ENOENT or
 * KILN_EIO naming the file, or KILN_ENOMEM. */
KILN_HIDDEN int io_source_open(const char *path, io_codec codec, int64_t offset, io_source **out);
/* Reads up to cap bytes into dst (borrowed) and sets *got; *got == 0 only at
 * the end of the stream (cap must be > 0). Returns KILN_OK, KILN_EIO, or
 * KILN_ECORRUPT for damaged or truncated compressed data, naming the file. */
KILN_HIDDEN int io_source_read(io_source *s, void *dst, size_t cap, size_t *got);
/* For an archive (IO_CODEC_ARCHIVE): moves to the next member, whose bytes
 * the following reads return. Returns 1, 0 after the last member (always
 * for other sources), or an error naming the archive and the member. A new
 * archive source is before its first member and reads as empty. */
KILN_HIDDEN int io_source_next_member(io_source *s);
/* Opens, from its start, the file a line came from: a path, or an archive
 * member's "ARCHIVE:MEMBER" (as io_source_path gives it). */
KILN_HIDDEN int io_source_open_named(const char *name, io_source **out);
/* Returns the path the source reads, "ARCHIVE:MEMBER" for an archive's
 * current member (borrowed, valid until the next call that moves or
 * closes s). */
KILN_HIDDEN const char *io_source_path(const io_source *s);
/* Says that the reader will read little past byte end (a split's end):
 * an object-store source then stops its big reads there. Local: nothing. */
KILN_HIDDEN void io_source_limit(io_source *s, int64_t end);
/* Returns the file's size on disk when opened (-1 if not a regular file). */
KILN_HIDDEN int64_t io_source_file_size(const io_source *s);
/* Closes the file and frees the source. NULL is ignored. */
KILN_HIDDEN void io_source_close(io_source *s);

/* Sets the last error to "<what> <path>: <strerror(err)>" and returns the
 * kiln code for err: KILN_ENOENT for ENOENT/ENOTDIR, KILN_ENOMEM for ENOMEM,
 * KILN_EIO otherwise. Borrows what and path. */
KILN_HIDDEN int io_errno_error(int err, const char *what, const char *path);

/* Returns "dir/name" (one slash between them) as an owned string, or NULL
 * when out of memory. Borrows both. */
KILN_HIDDEN char *io_path_join(const char *dir, const char *name);

#endif
