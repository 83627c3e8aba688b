/*
 * net/frame_io.c - sending and receiving whole frames on a socket with a
 * deadline, and the deadline helpers the other blocking functions share.
 *
 * Every read and write is made with MSG_DONTWAIT and followed, when the
 * socket is not ready, by poll() until the deadline, so the same code works on
 * blocking and non-blocking sockets and a silent or stalled peer can never
 * block a caller for longer than it asked. Writes use MSG_NOSIGNAL: a peer
 * that goes away is an error return, not a SIGPIPE that kills the process.
 * A socket that went through net_tls_client/server is read and written with
 * SSL_read / SSL_write instead (tls.c), with the same deadlines; every
 * other socket pays one atomic load to find out it is plain.
 */
#define _GNU_SOURCE /* sendfile */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "net/net_int.h"

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
    net_tls_conn *tls = net_tls_lookup(fd);
    if (tls != NULL) {
        return net_tls_send_frame(tls, fd, hdr, payload, len, deadline, "sending a frame to", peer);
    }
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

/* Reads exactly n bytes into p before the deadline; *got counts what
 * arrived. A close by the peer is KILN_EIO with *closed set and no message
 * (the caller knows where in the frame it was). */
static int recv_exact(int fd, uint8_t *p, size_t n, size_t *got, int64_t deadline, const char *peer,
                      bool *closed)
{
    net_tls_conn *tls = net_tls_lookup(fd);
    while (tls != NULL && *got < n) {
        short wait;
        ssize_t r = net_tls_read(tls, p + *got, n - *got, &wait, peer);
        if (r > 0) {
            *got += (size_t)r;
        } else if (r < 0) {
            return (int)r;
        } else if (wait == 0) {
            *closed = true;
            return KILN_EIO;
        } else {
            int rc = net_wait(fd, wait, deadline, "waiting for a frame from", peer);
            if (rc != KILN_OK) return rc;
        }
    }
    while (*got < n) {
        ssize_t r = recv(fd, p + *got, n - *got, MSG_DONTWAIT);
        if (r > 0) {
            *got += (size_t)r;
        } else if (r == 0) {
            *closed = true;
            return KILN_EIO;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = net_wait(fd, POLLIN, deadline, "waiting for a frame from", peer);
            if (rc != KILN_OK) return rc;
        } else if (errno != EINTR) {
            return kiln_set_error(KILN_EIO, "receiving from %s: %s", NET_PEER(peer),
                                  strerror(errno));
        }
    }
    return KILN_OK;
}

/* Receives straight into the payload buffer, which grows with what has
 * arrived (at most twice that plus RECV_GROW, whatever the header claims;
 * large reallocations are remapped, not copied), so a large frame costs one
 * copy from the kernel and no more. */
#define RECV_GROW (1u << 20)

int net_recv_frame(int fd, size_t max_len, int timeout_ms, const char *peer, net_frame *out)
{
    *out = (net_frame){0};
    int rc = net_recv_frame_reuse(fd, max_len, timeout_ms, peer, out);
    if (rc != KILN_OK) net_frame_release(out); /* nothing is left to the caller */
    return rc;
}

int net_recv_frame_reuse(int fd, size_t max_len, int timeout_ms, const char *peer, net_frame *out)
{
    int64_t deadline = net_deadline(timeout_ms);
    uint8_t hdr[NET_HEADER_SIZE];
    size_t got = 0;
    bool closed = false;
    int rc = recv_exact(fd, hdr, sizeof hdr, &got, deadline, peer, &closed);
    if (closed)
        return kiln_set_error(KILN_EIO,
                              got ? "connection closed by %s inside a frame header"
                                  : "connection closed by %s",
                              NET_PEER(peer));
    if (rc != KILN_OK) return rc;
    net_frame_header h;
    if ((rc = net_frame_header_parse(hdr, max_len, peer, &h)) != KILN_OK) return rc;
    kiln_buf payload = out->payload; /* its memory is reused */
    payload.len = 0;
    got = 0;
    while (rc == KILN_OK && got < h.len) {
        size_t want = h.len - got;
        size_t room = got + RECV_GROW > want ? want : got + RECV_GROW;
        if ((rc = kiln_buf_reserve(&payload, got + room)) != KILN_OK) break;
        rc = recv_exact(fd, payload.data, got + room, &got, deadline, peer, &closed);
        if (closed)
            rc = kiln_set_error(
                KILN_EIO, "connection closed by %s inside a %s frame (%zu of %u payload bytes)",
                NET_PEER(peer), net_msg_name(h.type), got, h.len);
    }
    payload.len = got;
    out->payload = payload;
    if (rc != KILN_OK) return rc;
    *out = (net_frame){.type = h.type, .flags = h.flags, .payload = payload};
    return KILN_OK;
}

/* ---- Raw bytes ----------------------------------------------------------------------- */

int net_send_raw(int fd, const void *p, size_t n, int timeout_ms, const char *peer)
{
    int64_t deadline = net_deadline(timeout_ms);
    net_tls_conn *tls = net_tls_lookup(fd);
    if (tls != NULL) return net_tls_write_all(tls, fd, p, n, deadline, "sending to", peer);
    for (size_t sent = 0; sent < n;) {
        ssize_t w = send(fd, (const uint8_t *)p + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            sent += (size_t)w;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = net_wait(fd, POLLOUT, deadline, "sending to", peer);
            if (rc != KILN_OK) return rc;
        } else if (errno != EINTR) {
            return kiln_set_error(KILN_EIO, "sending to %s: %s", NET_PEER(peer), strerror(errno));
        }
    }
    return KILN_OK;
}

int net_recv_nb(int fd, void *p, size_t n, size_t *got, bool *closed, const char *peer)
{
    *got = 0;
    *closed = false;
    net_tls_conn *tls = net_tls_lookup(fd);
    while (*got < n) {
        ssize_t r;
        if (tls != NULL) {
            short wait;
            r = net_tls_read(tls, (uint8_t *)p + *got, n - *got, &wait, peer);
            if (r == 0 && wait != 0) return KILN_OK; /* nothing more now */
        } else {
            r = recv(fd, (uint8_t *)p + *got, n - *got, MSG_DONTWAIT);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return KILN_OK;
            if (r < 0)
                return kiln_set_error(KILN_EIO, "receiving from %s: %s", NET_PEER(peer),
                                      strerror(errno));
        }
        if (r < 0) return (int)r;
        if (r == 0) {
            *closed = true;
            return KILN_OK;
        }
        *got += (size_t)r;
    }
    return KILN_OK;
}

#define FILE_CHUNK (256u << 10) /* pread size for TLS: 16 records */
#define SENDFILE_MAX (1u << 30)

static int file_short(uint64_t offset, uint64_t len, uint64_t left)
{
    return kiln_set_error(KILN_EIO,
                          "the file ends before offset %llu + %llu bytes (%llu bytes missing)",
                          (unsigned long long)offset, (unsigned long long)len,
                          (unsigned long long)left);
}

static int send_file_tls(net_tls_conn *tls, int fd, int file_fd, uint64_t offset, uint64_t len,
                         int64_t deadline, const char *peer)
{
    uint8_t *buf = malloc(len < FILE_CHUNK ? (size_t)len : FILE_CHUNK);
    if (buf == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory sending a file");
    int rc = KILN_OK;
    uint64_t done = 0;
    while (rc == KILN_OK && done < len) {
        size_t want = len - done < FILE_CHUNK ? (size_t)(len - done) : FILE_CHUNK;
        ssize_t r = pread(file_fd, buf, want, (off_t)(offset + done));
        if (r > 0) {
            rc = net_tls_write_all(tls, fd, buf, (size_t)r, deadline, "sending a file to", peer);
            done += (uint64_t)r;
        } else if (r == 0) {
            rc = file_short(offset, len, len - done);
        } else if (errno != EINTR) {
            rc = kiln_set_error(KILN_EIO, "reading a file to send to %s: %s", NET_PEER(peer),
                                strerror(errno));
        }
    }
    free(buf);
    return rc;
}

int net_send_file(int fd, int file_fd, uint64_t offset, uint64_t len, int timeout_ms,
                  const char *peer)
{
    int64_t deadline = net_deadline(timeout_ms);
    if (offset > INT64_MAX || len > INT64_MAX - offset)
        return kiln_set_error(KILN_EINVAL, "net_send_file: offset %llu + length %llu overflow",
                              (unsigned long long)offset, (unsigned long long)len);
    /* A range past the end of a regular file fails before any byte is
     * sent, so the stream stays in step. */
    struct stat st;
    if (fstat(file_fd, &st) == 0 && S_ISREG(st.st_mode) && offset + len > (uint64_t)st.st_size)
        return file_short(offset, len, offset + len - (uint64_t)st.st_size);
    net_tls_conn *tls = net_tls_lookup(fd);
    if (tls != NULL) return send_file_tls(tls, fd, file_fd, offset, len, deadline, peer);
    /* sendfile has no MSG_DONTWAIT: the socket is made non-blocking for the
     * call, so a stalled peer cannot hold it past the deadline. */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return kiln_set_error(KILN_EIO, "sending a file to %s: fcntl: %s", NET_PEER(peer),
                              strerror(errno));
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return kiln_set_error(KILN_EIO, "sending a file to %s: fcntl: %s", NET_PEER(peer),
                              strerror(errno));
    int rc = KILN_OK;
    off_t off = (off_t)offset;
    uint64_t left = len;
    while (rc == KILN_OK && left > 0) {
        ssize_t w = sendfile(fd, file_fd, &off, left > SENDFILE_MAX ? SENDFILE_MAX : (size_t)left);
        if (w > 0) left -= (uint64_t)w;
        else if (w == 0) rc = file_short(offset, len, left);
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            rc = net_wait(fd, POLLOUT, deadline, "sending a file to", peer);
        else if (errno != EINTR)
            rc = kiln_set_error(KILN_EIO, "sending a file to %s: %s", NET_PEER(peer),
                                strerror(errno));
    }
    if (!(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl);
    return rc;
}
