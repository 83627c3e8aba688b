/*
 * net/message.c - payloads of the messages whose fields are defined before
 * cluster mode: ERROR and HEARTBEAT (docs/formats/protocol.md). The
 * authentication messages are in auth.c, next to the handshake.
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "net/net_int.h"

/* Checks that f is of type want before its payload is read as one. */
static int expect_type(const net_frame *f, int want, const char *peer)
{
    if (f->type == want) return KILN_OK;
    return kiln_set_error(KILN_ECORRUPT, "expected %s from %s, got %s", net_msg_name(want),
                          NET_PEER(peer), net_msg_name(f->type));
}

int net_msg_error_write(kiln_buf *b, int code, const char *message)
{
    size_t n = strlen(message);
    if (n > NET_ERROR_MAX_MESSAGE) n = NET_ERROR_MAX_MESSAGE; /* the receiver's limit */
    wire_writer w;
    wire_writer_init(&w, b);
    wire_put_u32(&w, (uint32_t)code); /* two's complement: codes are negative */
    wire_put_bytes(&w, message, n);
    return wire_writer_finish(&w);
}

int net_msg_error_read(const net_frame *f, const char *peer, int *code, char *message, size_t size)
{
    int rc = expect_type(f, NET_MSG_ERROR, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 32];
    snprintf(what, sizeof what, "ERROR from %s", NET_PEER(peer));
    char text[NET_ERROR_MAX_MESSAGE + 1];
    wire_reader r;
    wire_reader_init(&r, f->payload.data, f->payload.len, what);
    uint32_t c = wire_get_u32(&r, "code");
    wire_get_str(&r, text, sizeof text, "message");
    rc = wire_reader_end(&r);
    if (rc != KILN_OK) return rc;
    *code = (int)(int32_t)c;
    snprintf(message, size, "%s", text);
    return KILN_OK;
}

int net_msg_heartbeat_write(kiln_buf *b, const net_heartbeat *h)
{
    wire_writer w;
    wire_writer_init(&w, b);
    wire_put_u64(&w, h->seq);
    wire_put_u64(&w, h->sent_ms);
    return wire_writer_finish(&w);
}

int net_msg_heartbeat_read(const net_frame *f, const char *peer, net_heartbeat *h)
{
    int rc = expect_type(f, NET_MSG_HEARTBEAT, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 32];
    snprintf(what, sizeof what, "HEARTBEAT from %s", NET_PEER(peer));
    wire_reader r;
    wire_reader_init(&r, f->payload.data, f->payload.len, what);
    net_heartbeat got;
    got.seq = wire_get_u64(&r, "seq");
    got.sent_ms = wire_get_u64(&r, "sent_ms");
    rc = wire_reader_end(&r);
    if (rc == KILN_OK) *h = got;
    return rc;
}
