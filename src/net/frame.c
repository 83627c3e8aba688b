/*
 * net/frame.c - frames of the kiln wire protocol: the 12-byte header
 * (docs/formats/protocol.md), the encoder, and the incremental decoder that
 * turns bytes arriving in arbitrary pieces into complete frames.
 *
 * The decoder is the first code that sees bytes from the network, so it
 * trusts nothing: a header is checked completely (magic, version, type,
 * flags, length against the connection's limit) before a single payload byte
 * is allocated, and the payload buffer then grows with the bytes that
 * actually arrive, never with what the header claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "net/net_int.h"

/* The payload buffer starts at this size (or the frame's, if smaller) and
 * then doubles, so a peer that announces a large frame and sends little makes
 * us hold little. */
#define PAYLOAD_FIRST_CAP (64u * 1024)

const char *net_msg_name(int type)
{
    switch (type) {
#define MSG_NAME(name, val)                                                                        \
    case (val):                                                                                    \
        return #name;
        NET_MSG_MAP(MSG_NAME)
#undef MSG_NAME
    }
    return "UNKNOWN";
}

bool net_msg_known(int type)
{
    switch (type) {
#define MSG_KNOWN(name, val) case (val):
        NET_MSG_MAP(MSG_KNOWN)
#undef MSG_KNOWN
        return true;
    }
    return false;
}

void net_frame_release(net_frame *f)
{
    kiln_buf_release(&f->payload);
}

void net_frame_header_write(uint8_t hdr[NET_HEADER_SIZE], uint8_t type, uint32_t len)
{
    memcpy(hdr, NET_MAGIC, 4);
    hdr[4] = NET_VERSION;
    hdr[5] = type;
    hdr[6] = 0; /* flags: none defined in version 1 */
    hdr[7] = 0;
    net_le32_put(hdr + 8, len);
}

/* Checks the first n (<= 4) bytes against the magic: lets the decoder drop a
 * peer that is not speaking kiln (an HTTP client, a port scanner) as soon as
 * its first byte arrives rather than waiting for a whole header. */
static int check_magic(const uint8_t *hdr, size_t n, const char *peer)
{
    if (n > 4) n = 4;
    if (memcmp(hdr, NET_MAGIC, n) == 0) return KILN_OK;
    char got[16] = "";
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(got + at, sizeof got - at, "%s%02x", i ? " " : "", hdr[i]);
    return kiln_set_error(KILN_ECORRUPT,
                          "frame from %s: bad magic bytes %s (expected \"%s\"): not a kiln peer, "
                          "or the stream is out of step",
                          NET_PEER(peer), got, NET_MAGIC);
}

int net_frame_header_parse(const uint8_t hdr[NET_HEADER_SIZE], size_t max_len, const char *peer,
                           net_frame_header *out)
{
    int rc = check_magic(hdr, 4, peer);
    if (rc != KILN_OK) return rc;
    net_frame_header h = {
        .version = hdr[4],
        .type = hdr[5],
        .flags = (uint16_t)(hdr[6] | hdr[7] << 8),
        .len = net_le32_get(hdr + 8),
    };
    if (h.version != NET_VERSION)
        return kiln_set_error(KILN_ECORRUPT,
                              "frame from %s: protocol version %u is not supported (this build "
                              "speaks version %d; upgrade both sides to the same kiln)",
                              NET_PEER(peer), h.version, NET_VERSION);
    if (!net_msg_known(h.type))
        return kiln_set_error(KILN_ECORRUPT, "frame from %s: unknown message type %u",
                              NET_PEER(peer), h.type);
    /* Unknown flags may change how the payload is to be read: refuse them
     * rather than misread. */
    if (h.flags != 0)
        return kiln_set_error(KILN_ECORRUPT, "frame from %s: %s with unknown flags 0x%04x",
                              NET_PEER(peer), net_msg_name(h.type), h.flags);
    if (h.len > max_len)
        return kiln_set_error(KILN_ECORRUPT,
                              "frame from %s: %s payload of %u bytes exceeds the limit of %zu "
                              "bytes",
                              NET_PEER(peer), net_msg_name(h.type), h.len, max_len);
    *out = h;
    return KILN_OK;
}

int net_frame_encode(kiln_buf *out, uint8_t type, const void *payload, size_t len)
{
    if (!net_msg_known(type))
        return kiln_set_error(KILN_EINVAL, "net_frame_encode: unknown message type %u", type);
    if (len > UINT32_MAX)
        return kiln_set_error(KILN_EINVAL, "%s payload of %zu bytes is too long for a frame",
                              net_msg_name(type), len);
    uint8_t hdr[NET_HEADER_SIZE];
    net_frame_header_write(hdr, type, (uint32_t)len);
    int rc = kiln_buf_reserve(out, NET_HEADER_SIZE + len);
    if (rc != KILN_OK) return rc;
    kiln_buf_append(out, hdr, sizeof hdr);
    if (len > 0) kiln_buf_append(out, payload, len);
    return KILN_OK;
}

/* ---- Decoder ------------------------------------------------------------------- */

void net_frame_decoder_init(net_frame_decoder *d, size_t max_len, const char *peer)
{
    memset(d, 0, sizeof *d);
    d->state = NET_DEC_HEADER;
    d->max_len = max_len;
    d->peer = peer;
    kiln_buf_init(&d->payload);
}

void net_frame_decoder_release(net_frame_decoder *d)
{
    kiln_buf_release(&d->payload);
}

size_t net_frame_decoder_wanted(const net_frame_decoder *d)
{
    switch (d->state) {
    case NET_DEC_HEADER:
        return NET_HEADER_SIZE - d->hdr_have;
    case NET_DEC_PAYLOAD:
        return d->cur.len - d->payload.len;
    case NET_DEC_FAILED:
        break;
    }
    return 0;
}

/* Puts the decoder in its failed state; every later feed returns rc. */
static int fail(net_frame_decoder *d, int rc)
{
    kiln_buf_release(&d->payload);
    d->state = NET_DEC_FAILED;
    d->err = rc;
    return rc;
}

/* Makes room for extra more payload bytes: capacity grows from 64 KiB by
 * doubling, capped at the frame's length. Done here rather than with
 * kiln_buf_reserve so a frame of 33 MiB does not take 64 MiB. */
static int grow_payload(net_frame_decoder *d, size_t extra)
{
    kiln_buf *b = &d->payload;
    size_t need = b->len + extra; /* <= cur.len: the caller never takes more */
    if (need <= b->cap) return KILN_OK;
    size_t cap = b->cap < PAYLOAD_FIRST_CAP ? PAYLOAD_FIRST_CAP : b->cap * 2;
    if (cap > d->cur.len) cap = d->cur.len;
    if (cap < need) cap = need;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL)
        return kiln_set_error(KILN_ENOMEM, "frame from %s: out of memory for a %u-byte payload",
                              NET_PEER(d->peer), d->cur.len);
    mem_stats_add((int64_t)(cap - b->cap));
    b->data = p;
    b->cap = cap;
    return KILN_OK;
}

/* Gathers header bytes from p[0..n); returns the number taken, or a negative
 * code. Moves to PAYLOAD once a whole header has arrived and checks out. */
static long take_header(net_frame_decoder *d, const uint8_t *p, size_t n)
{
    size_t take = NET_HEADER_SIZE - d->hdr_have;
    if (take > n) take = n;
    memcpy(d->hdr + d->hdr_have, p, take);
    d->hdr_have += take;
    int rc = d->hdr_have < NET_HEADER_SIZE
                 ? check_magic(d->hdr, d->hdr_have, d->peer)
                 : net_frame_header_parse(d->hdr, d->max_len, d->peer, &d->cur);
    if (rc != KILN_OK) return rc;
    if (d->hdr_have == NET_HEADER_SIZE) d->state = NET_DEC_PAYLOAD;
    return (long)take;
}

int net_frame_decoder_feed(net_frame_decoder *d, const uint8_t *p, size_t n, size_t *used,
                           net_frame *out)
{
    *used = 0;
    if (d->state == NET_DEC_FAILED) return d->err;
    if (d->state == NET_DEC_HEADER) {
        long took = take_header(d, p, n);
        if (took < 0) return fail(d, (int)took);
        *used = (size_t)took;
        if (d->state == NET_DEC_HEADER) return 0; /* all of p went into the header */
    }
    size_t take = d->cur.len - d->payload.len;
    if (take > n - *used) take = n - *used;
    if (take > 0) {
        int rc = grow_payload(d, take);
        if (rc != KILN_OK) return fail(d, rc);
        memcpy(d->payload.data + d->payload.len, p + *used, take);
        d->payload.len += take;
        *used += take;
    }
    if (d->payload.len < d->cur.len) return 0;
    /* Complete: the payload passes to the caller; start on the next header. */
    out->type = d->cur.type;
    out->flags = d->cur.flags;
    out->payload = d->payload;
    kiln_buf_init(&d->payload);
    d->hdr_have = 0;
    d->state = NET_DEC_HEADER;
    return 1;
}
