/*
 * kt_net.h - a helper the tests of src/net, src/cluster and src/deploy payloads share.
 */
#ifndef KT_NET_H
#define KT_NET_H

#include "kt.h"
#include "net/net.h"

/* A frame of type whose payload is a copy of b's bytes (the caller
 * releases it with net_frame_release). */
static inline net_frame frame_of(uint8_t type, const kiln_buf *b)
{
    net_frame f = {.type = type};
    kiln_buf_init(&f.payload);
    if (b->len) assert_int_equal(kiln_buf_append(&f.payload, b->data, b->len), KILN_OK);
    return f;
}

#endif
