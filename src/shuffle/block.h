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

/* "lz4", "zstd" or "none" (kiln.shuffle.compress.codec). KILN_ECONF otherwise. */
int block_codec_parse(const char *name, block_codec *out);

/* Appends one framed block holding raw[0..n) compressed with codec to out. */
int block_encode(block_codec codec, const uint8_t *raw, size_t n, kiln_buf *out);

/* Checks and decodes the block at p[0..n): sets *used to its framed size and
 * replaces raw's content with the decompressed bytes. Returns KILN_OK or
 * KILN_ECORRUPT (bad magic, lengths, checksum or payload; the message says
 * which) without reading past n. */
int block_decode(const uint8_t *p, size_t n, size_t *used, kiln_buf *raw);

/* The size of the block whose header is at p (BLOCK_HEADER bytes readable),
 * or 0 when the header is not a block header. */
size_t block_framed_size(const uint8_t *p);

#endif
