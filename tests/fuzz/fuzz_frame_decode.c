/*
 * fuzz_frame_decode.c - libFuzzer target for the wire protocol's frame
 * decoder and payload cursor (src/net/frame.c, payload.c, message.c).
 *
 * Input: byte 0 picks the decoder's payload limit, byte 1 the sizes of the
 * pieces the stream is fed in, the rest is the stream. Checks: the decoder
 * never reads out of bounds and never holds more than about twice what it
 * was fed; it yields the same frames fed in pieces as fed whole; every frame
 * it yields re-encodes to exactly the bytes it came from (the header is
 * canonical); a payload read field by field (the fields chosen by the input)
 * never reads past its end and fails sticky; the ERROR and HEARTBEAT readers
 * accept or refuse every payload without crashing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* Reads p as a run of fields chosen by ops; checks the cursor's rules. */
static void read_fields(const kiln_buf *p, const uint8_t *ops, size_t nops)
{
    wire_reader r;
    wire_reader_init(&r, p->data, p->len, "fuzz");
    char s[64];
    size_t n;
    int first_err = 0;
    for (size_t i = 0; i < nops && i < 64; i++) {
        size_t before = r.off;
        switch (ops[i] % 7) {
        case 0:
            wire_get_u8(&r, "u8");
            break;
        case 1:
            wire_get_u32(&r, "u32");
            break;
        case 2:
            wire_get_u64(&r, "u64");
            break;
        case 3:
            wire_get_raw(&r, ops[i] >> 3, "raw");
            break;
        case 4: {
            const uint8_t *b = wire_get_bytes(&r, (size_t)ops[i] << 4, &n, "bytes");
            if (b != NULL && n > 0 && (b < p->data || b + n > p->data + p->len)) abort();
            break;
        }
        case 5:
            wire_get_str(&r, s, sizeof s, "str");
            if (strlen(s) >= sizeof s) abort();
            break;
        default:
            wire_get_str(&r, s, 1, "empty str");
            break;
        }
        if (r.off > r.len || r.off < before) abort();
        if (first_err != 0 && (r.err != first_err || r.off != before)) abort(); /* sticky */
        if (r.err != 0) first_err = r.err;
    }
    int rc = wire_reader_end(&r);
    if (rc != KILN_OK && rc != KILN_ECORRUPT) abort();
}

static void read_messages(net_frame *f)
{
    uint8_t type = f->type;
    int code;
    char msg[128];
    net_heartbeat hb;
    f->type = NET_MSG_ERROR;
    int rc = net_msg_error_read(f, "fuzz", &code, msg, sizeof msg);
    if (rc != KILN_OK && rc != KILN_ECORRUPT) abort();
    f->type = NET_MSG_HEARTBEAT;
    rc = net_msg_heartbeat_read(f, "fuzz", &hb);
    if (rc == KILN_OK && f->payload.len != 16) abort();
    f->type = type;
}

/* Decodes data[0..n) fed in pieces; checks each frame; returns the count. */
static size_t decode(const uint8_t *data, size_t n, size_t max_len, uint8_t piece_seed, bool deep)
{
    net_frame_decoder d;
    net_frame_decoder_init(&d, max_len, "fuzz");
    size_t off = 0, frame_start = 0, frames = 0;
    uint32_t x = piece_seed | 1u;
    int rc = 0;
    while (off < n && rc >= 0) {
        x = x * 1103515245u + 12345u;
        size_t piece = piece_seed == 0 ? n - off : 1 + (x >> 16) % (piece_seed * 4u);
        if (piece > n - off) piece = n - off;
        size_t used;
        net_frame f;
        rc = net_frame_decoder_feed(&d, data + off, piece, &used, &f);
        if (used > piece) abort();
        if (d.payload.cap > 2 * (off + used) + 65536) abort(); /* held memory follows input */
        off += used;
        if (rc == 1) {
            size_t framed = NET_HEADER_SIZE + f.payload.len;
            if (f.payload.len > max_len || !net_msg_known(f.type)) abort();
            if (off - frame_start != framed) abort();
            if (deep) {
                kiln_buf again;
                kiln_buf_init(&again);
                if (net_frame_encode(&again, f.type, f.payload.data, f.payload.len) != KILN_OK)
                    abort();
                if (again.len != framed || memcmp(again.data, data + frame_start, framed)) abort();
                kiln_buf_release(&again);
                read_fields(&f.payload, data, n < 64 ? n : 64);
                read_messages(&f);
            }
            net_frame_release(&f);
            frame_start = off;
            frames++;
        } else if (rc == 0 && used != piece) {
            abort(); /* needing more bytes means it took all it was given */
        }
    }
    if (rc < 0 && rc != KILN_ECORRUPT) abort();
    net_frame_decoder_release(&d);
    return frames;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const size_t limits[] = {NET_AUTH_MAX_FRAME, 4096, NET_MAX_FRAME, 0};
    size_t max_len = limits[data[0] % 4];
    uint8_t seed = data[1];
    data += 2;
    size -= 2;
    size_t whole = decode(data, size, max_len, 0, false);
    size_t pieces = decode(data, size, max_len, seed ? seed : 1, true);
    if (whole != pieces) abort();
    return 0;
}
