/*
 * net/frame_io.c - sending and receiving whole frames on a socket with a
 * deadline, and the deadline helpers the other blocking functions share.
 *
 * Every read and write is made with MSG_DONTWAIT and followed, when the
 * socket is not ready, by poll() until the deadline, so the same code works on
 * blocking and non-blocking sockets and a silent or stalled peer can never
 * block a caller for longer than it asked. Writes use MSG_NOSIGNAL: a peer
 * that goes away is an error return, not a SIGPIPE that kills the process.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "base/base.h"
#include "net/net_int.h"

/* Received payload bytes are read in pieces of this size. */
#define RECV_CHUNK (16u * 1024)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t net_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

int net_remaining_ms(int64_t deadline)
{
    if (deadline < 0) return -1;
    int64_t left = deadline - now_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

int net_wait(int fd, short events, int64_t deadline, const char *doing, const char *peer)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, net_remaining_ms(deadline));
        /* POLLERR / POLLHUP count as ready: the read or write that follows
         * reports what went wrong. */
        if (r > 0) return KILN_OK;
        if (r == 0) return kiln_set_error(KILN_EIO, "timed out %s %s", doing, NET_PEER(peer));
        if (errno != EINTR)
            return kiln_set_error(KILN_EIO, "%s %s: poll: %s", doing, NET_PEER(peer),
                                  strerror(errno));
    }
}

/* Fills iov with what is left of header + payload after sent bytes; returns
 * the number of entries used. */
static int remaining_iov(struct iovec iov[2], uint8_t *hdr, const void *payload, size_t len,
                         size_t sent)
{
    int n = 0;
    if (sent < NET_HEADER_SIZE) {
        iov[n].iov_base = hdr + sent;
        iov[n++].iov_len = NET_HEADER_SIZE - sent;
        sent = 0;
    } else {
        sent -= NET_HEADER_SIZE;
    }
    if (len > sent) {
        iov[n].iov_base = (uint8_t *)payload + sent;
        iov[n++].iov_len = len - sent;
    }
    return n;
}

int net_send_frame(int fd, uint8_t type, const void *payload, size_t len, int timeout_ms,
                   const char *peer)
{
    if (!net_msg_known(type))
        return kiln_set_error(KILN_EINVAL, "net_send_frame: unknown message type %u", type);
    if (len > UINT32_MAX)
        return kiln_set_error(KILN_EINVAL, "%s payload of %zu bytes is too long for a frame",
                              net_msg_name(type), len);
    uint8_t hdr[NET_HEADER_SIZE];
    net_frame_header_write(hdr, type, (uint32_t)len);
    int64_t deadline = net_deadline(timeout_ms);
    size_t total = NET_HEADER_SIZE + len, sent = 0;
    while (sent < total) {
        struct iovec iov[2];
        struct msghdr m = {.msg_iov = iov};
        m.msg_iovlen = (size_t)remaining_iov(iov, hdr, payload, len, sent);
        ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            sent += (size_t)w;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = net_wait(fd, POLLOUT, deadline, "sending a frame to", peer);
            if (rc != KILN_OK) return rc;
        } else if (errno != EINTR) {
            return kiln_set_error(KILN_EIO, "sending %s to %s: %s", net_msg_name(type),
                                  NET_PEER(peer), strerror(errno));
        }
    }
    return KILN_OK;
}

/* The error for a connection that ended: at a frame boundary it is a plain
 * close; inside a frame the peer died or cut us off mid-message. */
static int closed_error(const net_frame_decoder *d)
{
    if (d->state == NET_DEC_HEADER && d->hdr_have == 0)
        return kiln_set_error(KILN_EIO, "connection closed by %s", NET_PEER(d->peer));
    if (d->state == NET_DEC_HEADER)
        return kiln_set_error(KILN_EIO, "connection closed by %s inside a frame header",
                              NET_PEER(d->peer));
    return kiln_set_error(KILN_EIO,
                          "connection closed by %s inside a %s frame (%zu of %u payload bytes)",
                          NET_PEER(d->peer), net_msg_name(d->cur.type), d->payload.len,
                          d->cur.len);
}

/* Reads once (at most what the decoder wants, so no byte of the next frame
 * is taken) and feeds the decoder: 1 for a complete frame, 0 for progress,
 * or a negative code. */
static int read_some(int fd, net_frame_decoder *d, int64_t deadline, net_frame *out)
{
    uint8_t buf[RECV_CHUNK];
    size_t want = net_frame_decoder_wanted(d);
    if (want > sizeof buf) want = sizeof buf;
    ssize_t r = recv(fd, buf, want, MSG_DONTWAIT);
    if (r > 0) {
        size_t used;
        return net_frame_decoder_feed(d, buf, (size_t)r, &used, out);
    }
    if (r == 0) return closed_error(d);
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return net_wait(fd, POLLIN, deadline, "waiting for a frame from", d->peer);
    if (errno == EINTR) return 0;
    return kiln_set_error(KILN_EIO, "receiving from %s: %s", NET_PEER(d->peer), strerror(errno));
}

int net_recv_frame(int fd, size_t max_len, int timeout_ms, const char *peer, net_frame *out)
{
    net_frame_decoder d;
    net_frame_decoder_init(&d, max_len, peer);
    int64_t deadline = net_deadline(timeout_ms);
    int rc;
    do {
        rc = read_some(fd, &d, deadline, out);
    } while (rc == 0);
    net_frame_decoder_release(&d);
    return rc < 0 ? rc : KILN_OK;
}
