/*
 * net/net_int.h - helpers private to the files of src/net: little-endian
 * integers and the name used for an unnamed peer in messages.
 */
#ifndef KILN_NET_INT_H
#define KILN_NET_INT_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

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

/* ---- TLS connections (tls.c), for frame_io.c and socket.c ---------------------- */

typedef struct net_tls_conn net_tls_conn;

/* The TLS connection registered for fd, or NULL for a plain socket (one
 * atomic load while no TLS connection exists). Returns borrowed, valid
 * until net_close(fd). */
net_tls_conn *net_tls_lookup(int fd);

/* One SSL_read of at most n (> 0) bytes into p. Returns the bytes read
 * (> 0); 0 with *wait = POLLIN or POLLOUT when the socket must become ready
 * first; 0 with *wait = 0 when the peer closed the connection; or a
 * negative KILN_EIO naming peer. */
ssize_t net_tls_read(net_tls_conn *c, void *p, size_t n, short *wait, const char *peer);

/* Writes all n bytes before deadline, waiting on fd as needed. Returns
 * KILN_OK or KILN_EIO ("DOING PEER: ..."). */
int net_tls_write_all(net_tls_conn *c, int fd, const void *p, size_t n, int64_t deadline,
                      const char *doing, const char *peer);

/* Writes a frame: the header and the payload's first bytes in one record. */
int net_tls_send_frame(net_tls_conn *c, int fd, const uint8_t hdr[NET_HEADER_SIZE],
                       const void *payload, size_t len, int64_t deadline, const char *doing,
                       const char *peer);

/* Unregisters fd's TLS connection, if any, sends close_notify (one try, no
 * waiting) and frees it. net_close calls it before close(). */
void net_tls_detach(int fd);

#endif
