/*
 * net/net_int.h - helpers private to the files of src/net: little-endian
 * integers and the name used for an unnamed peer in messages.
 */
#ifndef KILN_NET_INT_H
#define KILN_NET_INT_H

#include <stdint.h>

#include "net/net.h"

/* The peer as messages name it. */
#define NET_PEER(p) ((p) != NULL && (p)[0] != '\0' ? (p) : "unnamed peer")

static inline void net_le32_put(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(x >> (8 * i));
}

static inline uint32_t net_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
