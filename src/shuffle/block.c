/*
 * shuffle/block.c - framed blocks: magic, codec, payload and raw lengths,
 * and an XXH64 checksum over the header and the payload, so a damaged byte
 * anywhere in a block is caught before the payload is decompressed.
 */
#include <lz4.h>
#include <stdbool.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH64_state_t on the stack */
#include <xxhash.h>
#include <zstd.h>

#include "shuffle/block.h"

static const uint8_t MAGIC[4] = {'K', 'S', 'B', '1'};

static void put32(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(x >> (8 * i));
}

static void put64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Checksum of the first 16 header bytes and the payload. */
static uint64_t checksum(const uint8_t *header, const uint8_t *payload, size_t n)
{
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    XXH64_update(&st, header, 16);
    XXH64_update(&st, payload, n);
    return XXH64_digest(&st);
}

int block_codec_parse(const char *name, block_codec *out)
{
    if (!name || strcmp(name, "lz4") == 0) *out = CODEC_LZ4;
    else if (strcmp(name, "zstd") == 0) *out = CODEC_ZSTD;
    else if (strcmp(name, "none") == 0) *out = CODEC_NONE;
    else
        return kiln_set_error(KILN_ECONF,
                              "kiln.shuffle.compress.codec: unknown codec '%s' (lz4, zstd, none)",
                              name);
    return KILN_OK;
}

static _Atomic size_t max_record; /* 0: KILN_MAX_RECORD */

size_t block_max_record(void)
{
    size_t n = max_record;
    return n ? n : KILN_MAX_RECORD;
}

void block_set_max_record(size_t n)
{
    max_record = n > KILN_MAX_RECORD ? KILN_MAX_RECORD : n;
}

int block_check_record(size_t n)
{
    size_t max = block_max_record();
    if (n <= max) return KILN_OK;
    return kiln_set_error(
        KILN_ERANGE, "record of %zu bytes exceeds the limit of %zu bytes (kiln's largest record)",
        n, max);
}

int block_encode_pending(block_codec codec, kiln_buf *raw, size_t last, kiln_buf *out)
{
    int rc = KILN_OK;
    bool big = last <= raw->len && raw->len - last >= BLOCK_RAW_MAX;
    if (big && last > 0) {
        rc = block_encode(codec, raw->data, last, out);
        if (rc == KILN_OK) rc = block_encode(codec, raw->data + last, raw->len - last, out);
    } else if (raw->len) {
        rc = block_encode(codec, raw->data, raw->len, out);
    }
    raw->len = 0;
    if (big) kiln_buf_release(raw); /* do not keep a big record's capacity */
    return rc;
}

int block_encode(block_codec codec, const uint8_t *raw, size_t n, kiln_buf *out)
{
    if (n > BLOCK_RAW_LIMIT || n > (size_t)LZ4_MAX_INPUT_SIZE)
        return kiln_set_error(KILN_ERANGE,
                              "a block of %zu bytes exceeds the limit of %zu bytes (kiln's largest "
                              "record and a block of small records)",
                              n, (size_t)BLOCK_RAW_LIMIT);
    size_t bound = codec == CODEC_LZ4    ? (size_t)LZ4_compressBound((int)n)
                   : codec == CODEC_ZSTD ? ZSTD_compressBound(n)
                                         : n;
    if (kiln_buf_reserve(out, BLOCK_HEADER + bound)) return KILN_ENOMEM;
    uint8_t *h = out->data + out->len, *payload = h + BLOCK_HEADER;
    size_t plen = n;
    if (codec == CODEC_LZ4) {
        int r = LZ4_compress_default((const char *)raw, (char *)payload, (int)n, (int)bound);
        if (r <= 0 && n > 0) return kiln_set_error(KILN_EIO, "lz4 compression failed");
        plen = (size_t)r;
    } else if (codec == CODEC_ZSTD) {
        size_t r = ZSTD_compress(payload, bound, raw, n, 1);
        if (ZSTD_isError(r)) return kiln_set_error(KILN_EIO, "zstd: %s", ZSTD_getErrorName(r));
        plen = r;
    } else if (n) {
        memcpy(payload, raw, n);
    }
    memcpy(h, MAGIC, 4);
    h[4] = (uint8_t)codec;
    h[5] = h[6] = h[7] = 0;
    put32(h + 8, (uint32_t)plen);
    put32(h + 12, (uint32_t)n);
    put64(h + 16, checksum(h, payload, plen));
    out->len += BLOCK_HEADER + plen;
    return KILN_OK;
}

size_t block_framed_size(const uint8_t *p)
{
    if (memcmp(p, MAGIC, 4) != 0) return 0;
    return BLOCK_HEADER + (size_t)get32(p + 8);
}

/* Whether plen payload bytes can decompress to rlen bytes, checked before
 * rlen bytes (up to BLOCK_RAW_LIMIT) are allocated: lz4 expands at most 255
 * times, a zstd frame states its size, a stored block has both equal. */
static bool lengths_possible(block_codec codec, const uint8_t *payload, size_t plen, size_t rlen)
{
    if (codec == CODEC_NONE) return plen == rlen;
    if (codec == CODEC_LZ4) return (uint64_t)rlen <= (uint64_t)plen * 256 + 64;
    unsigned long long size = ZSTD_getFrameContentSize(payload, plen);
    return size == ZSTD_CONTENTSIZE_UNKNOWN || size == (unsigned long long)rlen;
}

/* block_check, with or without the checksum (already checked). */
static int check(const uint8_t *p, size_t n, size_t *used, bool sum)
{
    if (n < BLOCK_HEADER || memcmp(p, MAGIC, 4) != 0)
        return kiln_set_error(KILN_ECORRUPT, "not a shuffle block (bad magic)");
    size_t plen = get32(p + 8), rlen = get32(p + 12);
    block_codec codec = p[4];
    if (plen > n - BLOCK_HEADER)
        return kiln_set_error(KILN_ECORRUPT, "shuffle block truncated (%zu of %zu payload bytes)",
                              n - BLOCK_HEADER, plen);
    if (sum && checksum(p, p + BLOCK_HEADER, plen) != get64(p + 16))
        return kiln_set_error(KILN_ECORRUPT, "shuffle block checksum mismatch");
    if (rlen > BLOCK_RAW_LIMIT || codec > CODEC_ZSTD)
        return kiln_set_error(KILN_ECORRUPT, "shuffle block header out of range");
    if (!lengths_possible(codec, p + BLOCK_HEADER, plen, rlen))
        return kiln_set_error(KILN_ECORRUPT, "shuffle block lengths do not match its payload");
    *used = BLOCK_HEADER + plen;
    return KILN_OK;
}

int block_check(const uint8_t *p, size_t n, size_t *used)
{
    return check(p, n, used, true);
}

/* block_decode and block_decode_checked. */
static int decode(const uint8_t *p, size_t n, size_t *used, kiln_buf *raw, bool sum)
{
    size_t framed;
    int rc = check(p, n, &framed, sum);
    if (rc) return rc;
    size_t plen = framed - BLOCK_HEADER, rlen = get32(p + 12);
    block_codec codec = p[4];
    raw->len = 0;
    if (kiln_buf_reserve(raw, rlen + 1)) return KILN_ENOMEM;
    const uint8_t *payload = p + BLOCK_HEADER;
    size_t got = plen;
    if (codec == CODEC_LZ4) {
        int r = LZ4_decompress_safe((const char *)payload, (char *)raw->data, (int)plen, (int)rlen);
        got = r < 0 ? (size_t)-1 : (size_t)r;
    } else if (codec == CODEC_ZSTD) {
        got = ZSTD_decompress(raw->data, rlen, payload, plen);
        if (ZSTD_isError(got)) got = (size_t)-1;
    } else if (plen != rlen) {
        got = (size_t)-1; /* stored as is: both lengths must agree */
    } else if (plen) {
        memcpy(raw->data, payload, plen);
    }
    if (got != rlen) return kiln_set_error(KILN_ECORRUPT, "shuffle block does not decompress");
    raw->len = rlen;
    *used = BLOCK_HEADER + plen;
    return KILN_OK;
}

int block_decode(const uint8_t *p, size_t n, size_t *used, kiln_buf *raw)
{
    return decode(p, n, used, raw, true);
}

int block_decode_checked(const uint8_t *p, size_t n, size_t *used, kiln_buf *raw)
{
    return decode(p, n, used, raw, false);
}
