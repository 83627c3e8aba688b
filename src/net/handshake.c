/*
 * net/handshake.c - the server's side of a new connection's handshake (TLS
 * when asked, then the HMAC challenge-response of auth.c) as a state machine
 * that never blocks, so that one thread can drive many pending connections
 * from its poll() loop: the master's loop (src/deploy/master.c) and the
 * accept thread of every net_listener (listener.c). The blocking
 * net_auth_server is a loop over it (auth.c), so there is one server
 * implementation, with one set of checks and messages.
 *
 * Each call of net_handshake_step takes what the socket holds now, never
 * more than the frame in progress needs (so no byte that follows the
 * handshake is consumed), feeds it to a frame decoder limited to
 * NET_AUTH_MAX_FRAME, answers when a whole message has arrived, and keeps
 * a reply the socket would not take whole until it is writable. It returns
 * what it waits for (POLLIN or POLLOUT), or that it is done, or an error.
 * The deadline covers the whole handshake; it is judged only when the
 * machine would have to wait, so bytes that arrived in time (while the
 * caller was busy, or stopped) are always read first.
 *
 *     TLS --> HELLO --> CHALLENGE --> RESPONSE --> OK --> DONE
 *     (read/write)  (read)   (write)      (read)     (write)
 *     any phase --> FAILED (sticky: every later step returns the same code)
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "base/base.h"
#include "net/net_int.h"

_Static_assert(sizeof((net_handshake *)0)->out >= NET_HEADER_SIZE + NET_MAC_SIZE,
               "the reply buffer must hold CHALLENGE and AUTH_OK");

int net_handshake_init(net_handshake *h, int fd, const uint8_t *secret, size_t len, bool tls,
                       int timeout_ms, const char *peer)
{
    memset(h, 0, sizeof *h);
    h->fd = fd;
    h->secret = secret;
    h->secret_len = len;
    h->peer = peer;
    h->deadline = net_deadline(timeout_ms);
    h->phase = tls ? NET_HS_TLS : NET_HS_HELLO;
    net_frame_decoder_init(&h->dec, NET_AUTH_MAX_FRAME, peer);
    int rc = net_auth_check_secret(secret, len);
    if (rc != KILN_OK) rc = net_auth_failed(peer, rc);
    if (rc == KILN_OK && tls) rc = net_tls_begin(fd, secret, len, true, peer, &h->tls);
    if (rc != KILN_OK) {
        h->phase = NET_HS_FAILED;
        h->err = rc;
    }
    return rc;
}

void net_handshake_release(net_handshake *h)
{
    net_tls_pending_free(h->tls);
    h->tls = NULL;
    net_frame_decoder_release(&h->dec);
    OPENSSL_cleanse(h->out, sizeof h->out);
}

int net_handshake_timeout_ms(const net_handshake *h)
{
    return net_remaining_ms(h->deadline);
}

/* Puts h in its failed state; returns rc (the message is already set). */
static int fail(net_handshake *h, int rc)
{
    net_tls_pending_free(h->tls);
    h->tls = NULL;
    net_frame_decoder_release(&h->dec);
    h->phase = NET_HS_FAILED;
    h->err = rc;
    return rc;
}

/* The error when the peer closed the connection, saying where in a frame. */
static int closed_error(const net_handshake *h)
{
    const net_frame_decoder *d = &h->dec;
    if (d->state == NET_DEC_PAYLOAD)
        return kiln_set_error(KILN_EIO,
                              "connection closed by %s inside a %s frame (%zu of %u payload bytes)",
                              NET_PEER(h->peer), net_msg_name(d->cur.type), d->payload.len,
                              d->cur.len);
    return kiln_set_error(KILN_EIO,
                          d->hdr_have ? "connection closed by %s inside a frame header"
                                      : "connection closed by %s",
                          NET_PEER(h->peer));
}

/* Reads toward the next frame. Returns 1 with *f (owned by the caller) once
 * it is complete, 0 with *events set when the socket has nothing more now,
 * or a negative code. */
static int read_frame(net_handshake *h, net_frame *f, short *events)
{
    net_tls_conn *tls = net_tls_lookup(h->fd);
    for (;;) {
        uint8_t buf[NET_HEADER_SIZE + NET_AUTH_MAX_FRAME];
        size_t want = net_frame_decoder_wanted(&h->dec);
        if (want > sizeof buf) want = sizeof buf;
        ssize_t r;
        if (tls != NULL) {
            short wait;
            r = net_tls_read(tls, buf, want, &wait, h->peer);
            if (r == 0 && wait != 0) {
                *events = wait;
                return 0;
            }
            if (r < 0) return (int)r;
        } else {
            r = recv(h->fd, buf, want, MSG_DONTWAIT);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                *events = POLLIN;
                return 0;
            }
            if (r < 0)
                return kiln_set_error(KILN_EIO, "receiving from %s: %s", NET_PEER(h->peer),
                                      strerror(errno));
        }
        if (r == 0) return closed_error(h);
        size_t used;
        int got = net_frame_decoder_feed(&h->dec, buf, (size_t)r, &used, f);
        if (got != 0) return got; /* a frame, or the decoder's error */
    }
}

/* Reads the next frame, which must be of type want with exactly n payload
 * bytes, into out. Returns 1 when it has, 0 when waiting, or an error. */
static int read_fixed(net_handshake *h, int want, uint8_t *out, size_t n, short *events)
{
    net_frame f;
    int got = read_frame(h, &f, events);
    if (got <= 0) return got;
    int rc = KILN_OK;
    if (f.type != want)
        rc = kiln_set_error(KILN_ECORRUPT,
                            "expected %s from %s, got %s (a peer must authenticate "
                            "before anything else)",
                            net_msg_name(want), NET_PEER(h->peer), net_msg_name(f.type));
    else if (f.payload.len != n)
        rc = kiln_set_error(KILN_ECORRUPT, "%s from %s has %zu bytes, expected %zu",
                            net_msg_name(want), NET_PEER(h->peer), f.payload.len, n);
    else memcpy(out, f.payload.data, n);
    net_frame_release(&f);
    return rc == KILN_OK ? 1 : rc;
}

/* Puts a frame in the reply buffer (which is empty). */
static void queue(net_handshake *h, uint8_t type, const void *p, size_t n)
{
    net_frame_header_write(h->out, type, (uint32_t)n);
    memcpy(h->out + NET_HEADER_SIZE, p, n);
    h->out_type = type;
    h->out_len = NET_HEADER_SIZE + n;
    h->out_sent = 0;
}

/* Writes what is left of the reply. Returns 1 once it is all sent, 0 with
 * *events set when the socket is full, or an error. */
static int flush(net_handshake *h, short *events)
{
    net_tls_conn *tls = net_tls_lookup(h->fd);
    while (h->out_sent < h->out_len) {
        const uint8_t *p = h->out + h->out_sent;
        size_t n = h->out_len - h->out_sent;
        ssize_t w;
        if (tls != NULL) {
            short wait;
            w = net_tls_write_nb(tls, p, n, &wait, "sending a frame to", h->peer);
            if (w < 0) return (int)w;
            if (w == 0) {
                *events = wait;
                return 0;
            }
        } else {
            w = send(h->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                *events = POLLOUT;
                return 0;
            }
            if (w < 0)
                return kiln_set_error(KILN_EIO, "sending %s to %s: %s", net_msg_name(h->out_type),
                                      NET_PEER(h->peer), strerror(errno));
        }
        h->out_sent += (size_t)w;
    }
    h->out_len = h->out_sent = 0;
    return 1;
}

/* The client's proof is wrong: AUTH_FAIL, sent in one try without waiting
 * (the connection is closed next; a fresh socket's buffer takes 28 bytes),
 * then the error. */
static int refuse(net_handshake *h)
{
    kiln_buf b;
    kiln_buf_init(&b);
    wire_writer w;
    wire_writer_init(&w, &b);
    wire_put_str(&w, "wrong secret");
    if (wire_writer_finish(&w) == KILN_OK && b.len <= sizeof h->out - NET_HEADER_SIZE) {
        short ignored;
        queue(h, NET_MSG_AUTH_FAIL, b.data, b.len);
        flush(h, &ignored);
    }
    kiln_buf_release(&b);
    return kiln_set_error(KILN_EINVAL, "wrong secret: %s does not know this server's secret",
                          NET_PEER(h->peer));
}

/* Checks the client's proof in mac; on success queues AUTH_OK with ours. */
static int verify(net_handshake *h, const uint8_t mac[NET_MAC_SIZE])
{
    uint8_t want[NET_MAC_SIZE];
    int rc = net_auth_proof(h->secret, h->secret_len, NET_AUTH_LABEL_CLIENT, h->nonce_c, h->nonce_s,
                            want);
    if (rc == KILN_OK && CRYPTO_memcmp(want, mac, NET_MAC_SIZE) != 0) rc = refuse(h);
    if (rc == KILN_OK)
        rc = net_auth_proof(h->secret, h->secret_len, NET_AUTH_LABEL_SERVER, h->nonce_s, h->nonce_c,
                            want);
    if (rc == KILN_OK) queue(h, NET_MSG_AUTH_OK, want, sizeof want);
    OPENSSL_cleanse(want, sizeof want);
    return rc;
}

/* Advances through the phases until done, waiting or failed. Returns 1
 * when done, 0 with *events when waiting, or an error (not yet wrapped). */
static int advance(net_handshake *h, short *events)
{
    for (;;) {
        int got;
        uint8_t mac[NET_MAC_SIZE];
        switch (h->phase) {
        case NET_HS_TLS:
            got = net_tls_continue(h->tls, events, h->peer);
            if (got != KILN_OK) return got;
            if (*events != 0) return 0;
            net_tls_pending_free(h->tls);
            h->tls = NULL;
            h->phase = NET_HS_HELLO;
            break;
        case NET_HS_HELLO:
            got = read_fixed(h, NET_MSG_HELLO, h->nonce_c, NET_NONCE_SIZE, events);
            if (got <= 0) return got;
            if ((got = net_auth_nonce(h->nonce_s)) != KILN_OK) return got;
            queue(h, NET_MSG_CHALLENGE, h->nonce_s, NET_NONCE_SIZE);
            h->phase = NET_HS_CHALLENGE;
            break;
        case NET_HS_CHALLENGE:
        case NET_HS_OK:
            got = flush(h, events);
            if (got <= 0) return got;
            h->phase = h->phase == NET_HS_CHALLENGE ? NET_HS_RESPONSE : NET_HS_DONE;
            break;
        case NET_HS_RESPONSE:
            got = read_fixed(h, NET_MSG_AUTH_RESPONSE, mac, NET_MAC_SIZE, events);
            if (got <= 0) return got;
            got = verify(h, mac);
            OPENSSL_cleanse(mac, sizeof mac);
            if (got != KILN_OK) return got;
            h->phase = NET_HS_OK;
            break;
        case NET_HS_DONE:
            return 1;
        case NET_HS_FAILED:
            return h->err;
        }
    }
}

int net_handshake_step(net_handshake *h, short *events)
{
    *events = 0;
    if (h->phase == NET_HS_FAILED) return h->err;
    int got = advance(h, events);
    if (got == 1) {
        *events = 0;
        net_frame_decoder_release(&h->dec);
        return KILN_OK;
    }
    bool in_tls = h->phase == NET_HS_TLS; /* a failing phase stays where it was */
    if (got == 0) {
        if (net_remaining_ms(h->deadline) != 0) return KILN_OK; /* wait for *events */
        if (in_tls)
            got = kiln_set_error(KILN_EIO,
                                 "TLS handshake with %s failed: timed out waiting for the TLS "
                                 "handshake with %s",
                                 NET_PEER(h->peer), NET_PEER(h->peer));
        else
            got = kiln_set_error(KILN_EIO,
                                 *events == POLLOUT ? "timed out sending a frame to %s"
                                                    : "timed out waiting for a frame from %s",
                                 NET_PEER(h->peer));
    }
    *events = 0;
    /* TLS errors say "TLS handshake with PEER failed" themselves. */
    if (!in_tls) got = net_auth_failed(h->peer, got);
    return fail(h, got);
}
