/*
 * net/socket.c - TCP sockets for cluster processes: listening (on an
 * ephemeral port when asked, so tests and many workers on one machine do not
 * collide), connecting with a deadline, accepting with a deadline.
 *
 * Every socket is created close-on-exec, so executors the worker starts
 * inherit none of them. Connected sockets get TCP_NODELAY: control messages
 * are small and a reply waits on each, which Nagle's algorithm would delay by
 * up to 40 ms. The listening socket is non-blocking, so accept() after poll()
 * cannot hang when the client gave up in between; net_accept_nb is that one
 * accept, shared by the blocking net_accept, the accept loop (listener.c)
 * and the master's poll() loop. Name resolution
 * (getaddrinfo) is the system's and is not bounded by the timeouts.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "net/net_int.h"

void net_close(int fd)
{
    if (fd < 0) return;
    net_tls_detach(fd); /* before close: the number may be reused at once */
    close(fd);          /* on Linux the fd is gone even on EINTR: never retry */
}

int net_set_nodelay(int fd)
{
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
        return kiln_set_error(KILN_EIO, "setting TCP_NODELAY: %s", strerror(errno));
    return KILN_OK;
}

static int set_blocking(int fd, bool blocking)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return kiln_set_error(KILN_EIO, "fcntl: %s", strerror(errno));
    fl = blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
    if (fcntl(fd, F_SETFL, fl) != 0) return kiln_set_error(KILN_EIO, "fcntl: %s", strerror(errno));
    return KILN_OK;
}

/* Resolves host:port (host NULL: the wildcard address, for listening). */
static int resolve(const char *host, int port, bool passive, struct addrinfo **res)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    int e = getaddrinfo(host, service, &hints, res);
    if (e != 0)
        return kiln_set_error(KILN_EIO, "cannot resolve host '%s': %s", host ? host : "*",
                              e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
    return KILN_OK;
}

/* Writes "host:port" (IPv6 as "[addr]:port") of addr to out. */
static void format_addr(const struct sockaddr *addr, socklen_t len, char *out, size_t size)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getnameinfo(addr, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, size, "unknown address");
        return;
    }
    snprintf(out, size, addr->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

/* ---- Listening ------------------------------------------------------------------ */

/* Binds and listens on one resolved address; returns the fd or -errno. */
static int listen_one(const struct addrinfo *ai, int backlog)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int on = 1;
    /* A restarted master can reuse its port while old connections linger. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int net_listen(const char *host, int port, int backlog, int *fd, int *bound_port)
{
    *fd = -1;
    if (port < 0 || port > 65535)
        return kiln_set_error(KILN_EINVAL, "cannot listen on port %d: out of range 0-65535", port);
    if (host != NULL && host[0] == '\0') host = NULL;
    struct addrinfo *res;
    int rc = resolve(host, port, true, &res);
    if (rc != KILN_OK) return rc;
    int s = -EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai != NULL && s < 0; ai = ai->ai_next)
        s = listen_one(ai, backlog > 0 ? backlog : SOMAXCONN);
    freeaddrinfo(res);
    if (s < 0)
        return kiln_set_error(KILN_EIO, "cannot listen on %s:%d: %s%s", host ? host : "*", port,
                              strerror(-s),
                              s == -EADDRINUSE ? " (is another kiln process using the port?)" : "");
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(s, (struct sockaddr *)&addr, &len) != 0) {
        rc = kiln_set_error(KILN_EIO, "getsockname: %s", strerror(errno));
        close(s);
        return rc;
    }
    *bound_port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                   : ((struct sockaddr_in *)&addr)->sin_port);
    *fd = s;
    return KILN_OK;
}

/* ---- Connecting ----------------------------------------------------------------- */

/* Connects a non-blocking socket to one address by the deadline; returns
 * the fd or -errno (-ETIMEDOUT when the deadline passed). */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int e = 0;
    /* EINTR: the connection goes on in the background, as for EINPROGRESS. */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS && errno != EINTR)
        e = errno;
    while (e == 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r = poll(&p, 1, net_remaining_ms(deadline));
        if (r == 0) e = ETIMEDOUT;
        else if (r < 0 && errno != EINTR) e = errno;
        else if (r > 0) {
            socklen_t len = sizeof e;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) e = errno;
            break;
        }
    }
    if (e != 0) {
        close(fd);
        return -e;
    }
    return fd;
}

int net_connect(const char *host, int port, int timeout_ms, int *fd)
{
    *fd = -1;
    if (host == NULL || host[0] == '\0' || port <= 0 || port > 65535)
        return kiln_set_error(KILN_EINVAL, "cannot connect to '%s:%d': no host or bad port",
                              host ? host : "", port);
    struct addrinfo *res;
    int rc = resolve(host, port, false, &res);
    if (rc != KILN_OK) return rc;
    int64_t deadline = net_deadline(timeout_ms);
    int s = -EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai != NULL && s < 0 && s != -ETIMEDOUT; ai = ai->ai_next)
        s = connect_one(ai, deadline);
    freeaddrinfo(res);
    if (s == -ETIMEDOUT)
        return kiln_set_error(KILN_EIO, "timed out connecting to %s:%d after %d ms", host, port,
                              timeout_ms);
    if (s < 0)
        return kiln_set_error(KILN_EIO, "cannot connect to %s:%d: %s", host, port, strerror(-s));
    rc = set_blocking(s, true);
    if (rc == KILN_OK) rc = net_set_nodelay(s);
    if (rc != KILN_OK) {
        close(s);
        return rc;
    }
    *fd = s;
    return KILN_OK;
}

/* ---- Accepting -------------------------------------------------------------------- */

int net_accept_nb(int lfd, int *fd, char *peer, size_t size)
{
    *fd = -1;
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    int s = accept4(lfd, (struct sockaddr *)&addr, &len, SOCK_CLOEXEC);
    if (s < 0) {
        /* The client gave up between poll and accept, or a signal: nothing now. */
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
            return KILN_OK;
        return kiln_set_error(KILN_EIO, "accepting a connection: %s", strerror(errno));
    }
    if (peer != NULL && size > 0) format_addr((struct sockaddr *)&addr, len, peer, size);
    /* A Unix-domain listener (tests) has no Nagle to turn off. */
    if (addr.ss_family == AF_INET || addr.ss_family == AF_INET6) {
        int rc = net_set_nodelay(s);
        if (rc != KILN_OK) {
            close(s);
            return rc;
        }
    }
    *fd = s;
    return KILN_OK;
}

int net_accept(int lfd, int timeout_ms, int *fd, char *peer, size_t size)
{
    *fd = -1;
    int64_t deadline = net_deadline(timeout_ms);
    for (;;) {
        int rc = net_wait(lfd, POLLIN, deadline, "waiting for a connection on",
                          "the listening socket");
        if (rc == KILN_OK) rc = net_accept_nb(lfd, fd, peer, size);
        if (rc != KILN_OK || *fd >= 0) return rc;
    }
}
