/*
 * parquet/codec.c - page compression (pq_codec_int.h): snappy through
 * libsnappy's C API, gzip through zlib (a gzip member, as parquet-mr
 * writes it; zlib's automatic header detection when reading), zstd and
 * LZ4_RAW (a bare LZ4 block) through libzstd and liblz4.
 */
#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "base/base.h"
#include "parquet/pq_codec_int.h"
#include "parquet/pq_format_int.h"

static const char *const names[] = {"uncompressed", "snappy", "gzip", "lzo",
                                    "brotli",       "lz4",    "zstd", "lz4_raw"};

const char *pq_codec_name(int codec)
{
    return codec >= 0 && codec < (int)(sizeof names / sizeof *names) ? names[codec] : "unknown";
}

int pq_codec_parse(const char *name, int *codec)
{
    static const struct {
        const char *name;
        int codec;
    } known[] = {{"none", PQ_UNCOMPRESSED}, {"uncompressed", PQ_UNCOMPRESSED},
                 {"snappy", PQ_SNAPPY},     {"gzip", PQ_GZIP},
                 {"zstd", PQ_ZSTD},         {"lz4", PQ_LZ4_RAW},
                 {"lz4_raw", PQ_LZ4_RAW}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcasecmp(name, known[i].name) == 0) {
            *codec = known[i].codec;
            return KILN_OK;
        }
    return kiln_set_error(KILN_EINVAL,
                          "option compression: unknown Parquet codec '%s' (none, uncompressed, "
                          "snappy, gzip, zstd, lz4, lz4_raw)",
                          name);
}

static int bad(int codec, const char *why)
{
    return kiln_set_error(KILN_ECORRUPT, "%s page does not decompress: %s", pq_codec_name(codec),
                          why);
}

static int gunzip(const uint8_t *src, size_t n, uint8_t *dst, size_t out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK) return kiln_set_error(KILN_ENOMEM, "out of memory");
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)out_len;
    int zr = inflate(&z, Z_FINISH);
    /* A page may hold several gzip members (concatenated streams). */
    while (zr == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0) {
        if (inflateReset(&z) != Z_OK) break;
        zr = inflate(&z, Z_FINISH);
    }
    size_t got = out_len - z.avail_out;
    inflateEnd(&z);
    if (zr != Z_STREAM_END || got != out_len) return bad(PQ_GZIP, "bad gzip stream or size");
    return KILN_OK;
}

int pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t out_len)
{
    switch (codec) {
    case PQ_UNCOMPRESSED:
        if (n != out_len) return bad(codec, "sizes differ");
        if (n) memcpy(dst, src, n);
        return KILN_OK;
    case PQ_SNAPPY: {
        size_t len;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK || len != out_len)
            return bad(codec, "bad snappy header or size");
        if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK ||
            len != out_len)
            return bad(codec, "bad snappy data");
        return KILN_OK;
    }
    case PQ_GZIP:
        return gunzip(src, n, dst, out_len);
    case PQ_ZSTD: {
        size_t r = ZSTD_decompress(dst, out_len, src, n);
        if (ZSTD_isError(r)) return bad(codec, ZSTD_getErrorName(r));
        if (r != out_len) return bad(codec, "size differs from the page header's");
        return KILN_OK;
    }
    case PQ_LZ4_RAW: {
        if (n > INT32_MAX || out_len > INT32_MAX) return bad(codec, "page too large");
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)out_len);
        if (r < 0 || (size_t)r != out_len) return bad(codec, "bad lz4 block or size");
        return KILN_OK;
    }
    default:
        return kiln_set_error(KILN_EINVAL,
                              "Parquet codec %s is not supported (kiln reads uncompressed, "
                              "snappy, gzip, zstd and lz4_raw)",
                              pq_codec_name(codec));
    }
}

int pq_compress(int codec, int level, const uint8_t *src, size_t n, kiln_buf *out)
{
    size_t bound;
    switch (codec) {
    case PQ_UNCOMPRESSED:
        return kiln_buf_append(out, src, n);
    case PQ_SNAPPY:
        bound = snappy_max_compressed_length(n);
        break;
    case PQ_GZIP:
        bound = compressBound((uLong)n) + 32;
        break;
    case PQ_ZSTD:
        bound = ZSTD_compressBound(n);
        break;
    case PQ_LZ4_RAW:
        if (n > (size_t)LZ4_MAX_INPUT_SIZE)
            return kiln_set_error(KILN_EINVAL, "lz4_raw: page too large");
        bound = (size_t)LZ4_compressBound((int)n);
        break;
    default:
        return kiln_set_error(KILN_EINVAL, "kiln does not write Parquet codec %s",
                              pq_codec_name(codec));
    }
    if (kiln_buf_reserve(out, bound)) return kiln_set_error(KILN_ENOMEM, "out of memory");
    uint8_t *dst = out->data + out->len;
    size_t got = bound;
    switch (codec) {
    case PQ_SNAPPY:
        if (snappy_compress((const char *)src, n, (char *)dst, &got) != SNAPPY_OK)
            return kiln_set_error(KILN_EIO, "snappy compression failed");
        break;
    case PQ_GZIP: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, level ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return kiln_set_error(KILN_ENOMEM, "out of memory");
        z.next_in = (Bytef *)src;
        z.avail_in = (uInt)n;
        z.next_out = dst;
        z.avail_out = (uInt)bound;
        int zr = deflate(&z, Z_FINISH);
        got = bound - z.avail_out;
        deflateEnd(&z);
        if (zr != Z_STREAM_END) return kiln_set_error(KILN_EIO, "gzip compression failed");
        break;
    }
    case PQ_ZSTD:
        got = ZSTD_compress(dst, bound, src, n, level ? level : 3);
        if (ZSTD_isError(got))
            return kiln_set_error(KILN_EIO, "zstd compression failed: %s", ZSTD_getErrorName(got));
        break;
    default: { /* PQ_LZ4_RAW */
        int r = LZ4_compress_default((const char *)src, (char *)dst, (int)n, (int)bound);
        if (r <= 0) return kiln_set_error(KILN_EIO, "lz4 compression failed");
        got = (size_t)r;
    }
    }
    out->len += got;
    return KILN_OK;
}
