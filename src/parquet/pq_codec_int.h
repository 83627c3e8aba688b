/*
 * parquet/pq_codec_int.h - page compression of Parquet files: the codecs
 * kiln reads and writes (uncompressed, snappy, gzip, zstd, lz4_raw) over
 * Debian's libsnappy, zlib, libzstd and liblz4. Shared by the reader and
 * the writer of src/parquet.
 */
#ifndef KILN_PQ_CODEC_INT_H
#define KILN_PQ_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

/* Spark's name of codec (enum pq_codec): "uncompressed", "snappy", "gzip",
 * "lzo", "brotli", "lz4", "zstd", "lz4_raw"; "unknown" otherwise. */
const char *pq_codec_name(int codec);

/* The codec named by Spark's `compression` option value (any case):
 * none / uncompressed, snappy, gzip, zstd, lz4_raw (lz4 is taken as
 * lz4_raw, as parquet-mr 1.13 writes it). Returns KILN_OK, or KILN_EINVAL
 * naming the value and the codecs kiln writes. */
int pq_codec_parse(const char *name, int *codec);

/* Decompresses src[0..n) of codec into dst[0..out_len), which must be
 * exactly filled (out_len is the page's uncompressed size). Returns
 * KILN_OK, KILN_ECORRUPT when the bytes do not decompress to exactly
 * out_len bytes, or KILN_EINVAL for LZO, BROTLI and Hadoop-framed LZ4;
 * the message names the codec (the caller adds the file and column). */
int pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t out_len);

/* Appends src[0..n) compressed with codec to out (level 0: the codec's
 * default). Returns KILN_OK, KILN_ENOMEM, or KILN_EINVAL for a codec kiln
 * does not write. */
int pq_compress(int codec, int level, const uint8_t *src, size_t n, kiln_buf *out);

#pragma GCC visibility pop
#endif
