/*
 * fuzz_shuffle_block.c - libFuzzer target for the shuffle block decoder:
 * any bytes are a block or rejected with KILN_ECORRUPT, never read out of
 * bounds; a block that decodes re-encodes (with its codec) to a block that
 * decodes to the same raw bytes. The input is also framed with a valid
 * checksum so the lz4 and zstd decoders see hostile payloads, and the
 * encoder is run on it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "shuffle/block.h"

/* Makes data a well-framed block (magic, payload length, checksum as in
 * docs/formats/shuffle.md) so the fuzzed payload reaches the decompressor. */
static void frame(uint8_t *b, size_t n)
{
    memcpy(b, "KSB1", 4);
    uint32_t p = (uint32_t)(n - BLOCK_HEADER);
    for (int i = 0; i < 4; i++) b[8 + i] = (uint8_t)(p >> (8 * i));
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    XXH64_update(&st, b, 16);
    XXH64_update(&st, b + BLOCK_HEADER, n - BLOCK_HEADER);
    uint64_t h = XXH64_digest(&st);
    for (int i = 0; i < 8; i++) b[16 + i] = (uint8_t)(h >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_buf raw, again, enc;
    kiln_buf_init(&raw);
    kiln_buf_init(&again);
    kiln_buf_init(&enc);
    size_t off = 0;
    while (off < size) {
        size_t used = 0;
        if (block_decode(data + off, size - off, &used, &raw) != KILN_OK) break;
        if (used < BLOCK_HEADER || used > size - off) abort();
        enc.len = 0;
        if (block_encode((block_codec)data[off + 4], raw.data, raw.len, &enc) != KILN_OK) abort();
        size_t used2;
        if (block_decode(enc.data, enc.len, &used2, &again) != KILN_OK) abort();
        if (again.len != raw.len || (raw.len && memcmp(again.data, raw.data, raw.len))) abort();
        off += used;
    }
    /* The same bytes made into a valid frame: the codec paths see them. */
    if (size >= BLOCK_HEADER) {
        uint8_t *b = malloc(size);
        memcpy(b, data, size);
        b[4] %= 3;
        frame(b, size);
        size_t used;
        int rc = block_decode(b, size, &used, &raw);
        if (rc != KILN_OK && rc != KILN_ECORRUPT) abort();
        if (rc == KILN_OK && used != size) abort();
        free(b);
    }
    /* The encoder on arbitrary input, with each codec. */
    for (int c = 0; c < 3; c++) {
        enc.len = 0;
        size_t used;
        if (block_encode((block_codec)c, data, size, &enc) != KILN_OK) abort();
        if (block_decode(enc.data, enc.len, &used, &raw) != KILN_OK) abort();
        if (raw.len != size || (size && memcmp(raw.data, data, size))) abort();
    }
    kiln_buf_release(&raw);
    kiln_buf_release(&again);
    kiln_buf_release(&enc);
    return 0;
}
