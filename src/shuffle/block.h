/*
 * shuffle/block.h - framed, checksummed, compressed blocks: the unit in
 * which shuffle data is written to and read from files. The byte layout is
 * in docs/formats/shuffle.md.
 */
#ifndef KILN_SHUFFLE_BLOCK_H
#define KILN_SHUFFLE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

typedef enum block_codec { CODEC_NONE = 0, CODEC_LZ4 = 1, CODEC_ZSTD = 2 } block_codec;

#define BLOCK_HEADER 24
#define BLOCK_RAW_MAX (64u * 1024) /* records are packed into blocks of about this size */

/* The largest record kiln moves through a shuffle, a spill file or a cached
 * block on disk, in encoded bytes (docs/formats/value.md): 1 GiB of data
 * plus 1 MiB of headroom for its key and encoding. Writers refuse a larger
 * record with a task error (block_check_record); readers accept any block of
 * up to BLOCK_RAW_LIMIT raw bytes. A record of BLOCK_RAW_MAX bytes or more
 * gets a block of its own, so a block holds either small records (under
 * 2 * BLOCK_RAW_MAX) or one record. */
#define KILN_MAX_RECORD (((size_t)1 << 30) + ((size_t)1 << 20))
#define BLOCK_RAW_LIMIT (KILN_MAX_RECORD + BLOCK_RAW_MAX)

/* "lz4", "zstd" or "none" (kiln.shuffle.compress.codec). KILN_ECONF otherwise. */
int block_codec_parse(const char *name, block_codec *out);

/* Appends one framed block holding raw[0..n) compressed with codec to out. */
int block_encode(block_codec codec, const uint8_t *raw, size_t n, kiln_buf *out);

/* The record limit writers check: KILN_MAX_RECORD unless lowered by
 * block_set_max_record (tests only, so that they need not allocate 1 GiB;
 * 0 restores the default; never above KILN_MAX_RECORD). Process-wide. */
size_t block_max_record(void);
void block_set_max_record(size_t n);

/* KILN_OK when an encoded record of n bytes is within the limit; otherwise
 * KILN_ERANGE, "record of N bytes exceeds the limit of M bytes (kiln's
 * largest record)". */
int block_check_record(size_t n);

/* Encodes the pending records raw[0..raw->len) into blocks appended to out
 * and empties raw: one block, or two when the last record, raw[last..), is
 * BLOCK_RAW_MAX bytes or more (it goes into a block of its own). raw's
 * memory is released after a big record rather than kept. */
int block_encode_pending(block_codec codec, kiln_buf *raw, size_t last, kiln_buf *out);

/* Checks and decodes the block at p[0..n): sets *used to its framed size and
 * replaces raw's content with the decompressed bytes. Returns KILN_OK or
 * KILN_ECORRUPT (bad magic, lengths, checksum or payload; the message says
 * which) without reading past n. */
int block_decode(const uint8_t *p, size_t n, size_t *used, kiln_buf *raw);

/* Checks the block at p[0..n) without decompressing it (magic, lengths,
 * checksum) and sets *used to its framed size: what block_decode checks
 * first. KILN_OK or KILN_ECORRUPT as block_decode. A fetcher checks a
 * segment it received this way before handing any of it on. */
int block_check(const uint8_t *p, size_t n, size_t *used);
/* block_decode of a block whose checksum block_check has verified (in the
 * same buffer): everything but the checksum is checked again. */
int block_decode_checked(const uint8_t *p, size_t n, size_t *used, kiln_buf *raw);

/* The size of the block whose header is at p (BLOCK_HEADER bytes readable),
 * or 0 when the header is not a block header. */
size_t block_framed_size(const uint8_t *p);

#endif
