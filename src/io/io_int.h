/*
 * io/io_int.h - private interface between the files of src/io: the byte
 * source that the line reader and io_read_whole pull from (a plain file read
 * from an offset, or a gzip / bzip2 / zstd stream decompressed on the fly),
 * and small error helpers. Nothing outside src/io includes this header.
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
    IO_CODEC_GZIP, /* .gz: gzip, any number of members (zlib headers accepted) */
    IO_CODEC_BZIP2, /* .bz2: any number of concatenated streams */
    IO_CODEC_ZSTD,  /* .zst: any number of frames, skippable frames ignored */
} io_codec;

/* Returns the codec of path by its extension; IO_CODEC_NONE for plain. */
KILN_HIDDEN io_codec io_codec_of(const char *path);

/* A forward-only stream of the bytes of one file. */
typedef struct io_source io_source;

/* Opens path. A plain file (codec IO_CODEC_NONE) is read from byte offset;
 * a compressed one is decompressed from its start (offset must be 0).
 * Borrows path (copied). Returns KILN_OK and an owned source, KILN_ENOENT or
 * KILN_EIO naming the file, or KILN_ENOMEM. */
KILN_HIDDEN int io_source_open(const char *path, io_codec codec, int64_t offset,
                               io_source **out);
/* Reads up to cap bytes into dst (borrowed) and sets *got; *got == 0 only at
 * the end of the stream (cap must be > 0). Returns KILN_OK, KILN_EIO, or
 * KILN_ECORRUPT for damaged or truncated compressed data, naming the file. */
KILN_HIDDEN int io_source_read(io_source *s, void *dst, size_t cap, size_t *got);
/* Returns the path the source reads (borrowed, valid until close). */
KILN_HIDDEN const char *io_source_path(const io_source *s);
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
