/*
 * net/net_int.h - helpers private to the files of src/net: little-endian
 * integers and the name used for an unnamed peer in messages.
 */
#ifndef KILN_NET_INT_H
#define KILN_NET_INT_H

#include <poll.h>
#include <stdbool.h>
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

/* One SSL_write of at most n (> 0) bytes, never waiting: like
 * net_tls_read, but a close by the peer is a KILN_EIO ("DOING PEER: ...").
 * Returns the bytes written, or 0 with *wait = POLLIN / POLLOUT. */
ssize_t net_tls_write_nb(net_tls_conn *c, const void *p, size_t n, short *wait, const char *doing,
                         const char *peer);

/* A TLS handshake in progress, driven without blocking (handshake.c's
 * TLS phase; the blocking net_tls_client/server loop over it). */
typedef struct net_tls_pending net_tls_pending;

/* Starts a handshake on fd as the server or the client. Returns KILN_OK
 * with *out (free with net_tls_pending_free), KILN_EINVAL for a secret of
 * a bad length, KILN_ENOMEM or KILN_EIO. Borrows secret for the call. */
int net_tls_begin(int fd, const uint8_t *secret, size_t len, bool server, const char *peer,
                  net_tls_pending **out);
/* Advances the handshake with what the socket allows now. Returns KILN_OK
 * with *events 0 once it is complete (fd is then registered as a TLS
 * socket), KILN_OK with *events POLLIN / POLLOUT when it waits for the
 * socket, or the error of net_tls_server (fd left plain). */
int net_tls_continue(net_tls_pending *p, short *events, const char *peer);
/* Frees p (an unfinished handshake's SSL with it). NULL allowed. */
void net_tls_pending_free(net_tls_pending *p);

/* ---- The HMAC handshake's parts (auth.c), shared with handshake.c ----------------- */

#define NET_AUTH_LABEL_CLIENT "kiln-auth-v1 client"
#define NET_AUTH_LABEL_SERVER "kiln-auth-v1 server"

/* HMAC-SHA256(secret, label || own || other) into mac. KILN_EIO if
 * OpenSSL fails. */
int net_auth_proof(const uint8_t *secret, size_t len, const char *label,
                   const uint8_t own[NET_NONCE_SIZE], const uint8_t other[NET_NONCE_SIZE],
                   uint8_t mac[NET_MAC_SIZE]);
/* 32 random bytes. KILN_EIO if the system's generator fails. */
int net_auth_nonce(uint8_t nonce[NET_NONCE_SIZE]);
/* KILN_EINVAL unless secret has NET_SECRET_MIN to NET_SECRET_MAX bytes. */
int net_auth_check_secret(const uint8_t *secret, size_t len);
/* Adds "authentication with PEER failed: " before the current message;
 * returns rc. */
int net_auth_failed(const char *peer, int rc);

#endif
