/*
 * cluster/block_server.c - every executor's block server (blocks.h): serves
 * the segments of the map outputs it holds to the other executors' reduce
 * tasks, and the partitions it has cached to tasks that read them; drops an
 * unpersisted RDD's partitions and cancels jobs when the driver says so.
 *
 * One listening socket served by the accept loop of src/net/listener.c:
 * one thread per connection, which passes the handshake (TLS when the
 * application runs it, then HMAC) before its first request. Then each
 * FETCH_BLOCK (shuffle, map, reduce) is answered with BLOCK_DATA, whose
 * payload is the segment's bytes as written, copied from the data file to
 * the socket by the kernel (sendfile; read and encrypted when the
 * application runs TLS), or with ERROR when the output is not held here.
 * Requests come one at a time per connection, so a fetcher keeps a
 * connection and reuses it. FETCH_CACHED (rdd, partition) is answered with
 * the partition's values encoded back to back;
 * REMOVE_RDD (rdd) drops its partitions and is echoed once done;
 * CANCEL_JOBS (job) cancels the executor's tasks of every job below it
 * (the slots running them do not read their connections meanwhile) and is
 * echoed; CANCEL_JOB (job) cancels that job's alone (a cancelled job
 * group), echoed too.
 *
 * Fault simulation (base/fault.h): with FAULT_NET_RESET armed (tests, or
 * KILN_FAULTS="net_reset:p=0.05" in every process of an application), that
 * share of FETCH_BLOCK requests gets its connection reset instead of an
 * answer; the fetcher's retries (block_fetch.c) must absorb them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fault.h"
#include "cluster/blocks.h"

enum { AUTH_TIMEOUT_MS = 10000, SEND_TIMEOUT_MS = 120000 };

struct block_server {
    kiln_context *ctx; /* its shuffle store and block store */
    uint8_t secret[NET_SECRET_MAX];
    size_t secret_len;
    int lfd;
    net_listener *listener; /* its accept loop (src/net/listener.c) */
    _Atomic bool stopping;
    pthread_mutex_t lock;
    struct open_conn *conns; /* connections being served, under lock */
};

/* A connection being served, on its thread's stack: linked in bs->conns
 * while its socket is open, so that block_server_stop can shut it down. */
typedef struct open_conn {
    int fd;
    struct open_conn *prev, *next;
} open_conn;

/* Sends len bytes of the file at path from start as the payload of one
 * BLOCK_DATA frame (sendfile on a plain connection). */
static int send_segment(int fd, const char *path, uint64_t start, uint64_t len, const char *peer)
{
    if (len > UINT32_MAX)
        return kiln_set_error(KILN_EINVAL, "a shuffle segment of %llu bytes is too large to send",
                              (unsigned long long)len);
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return kiln_set_error(KILN_EFETCH, "cannot open %s: %s", path, strerror(errno));
    uint8_t hdr[NET_HEADER_SIZE];
    net_frame_header_write(hdr, NET_MSG_BLOCK_DATA, (uint32_t)len);
    int rc = net_send_raw(fd, hdr, sizeof hdr, SEND_TIMEOUT_MS, peer);
    if (rc == KILN_OK) rc = net_send_file(fd, in, start, len, SEND_TIMEOUT_MS, peer);
    close(in);
    return rc;
}

/* Sends ERROR with the last error's message (the connection goes on). */
static int send_error(int fd, int code, const char *peer)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = net_msg_error_write(&b, code, kiln_last_error());
    if (rc == KILN_OK) rc = net_send_frame(fd, NET_MSG_ERROR, b.data, b.len, SEND_TIMEOUT_MS, peer);
    kiln_buf_release(&b);
    return rc;
}

/* A cached partition's values, encoded back to back, as BLOCK_DATA. */
static int send_cached(block_server *bs, int fd, int rdd, int part, const char *peer)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = block_store_encode(bs->ctx, rdd, part, &b);
    if (rc == KILN_OK && b.len > UINT32_MAX)
        rc = kiln_set_error(KILN_EINVAL, "cached partition %d of RDD %d is too large to send", part,
                            rdd);
    rc = rc ? send_error(fd, rc, peer)
            : net_send_frame(fd, NET_MSG_BLOCK_DATA, b.data, b.len, SEND_TIMEOUT_MS, peer);
    kiln_buf_release(&b);
    return rc;
}

/* Answers one request; an error that leaves the stream intact is sent as
 * ERROR and the connection goes on. */
static int serve_one(block_server *bs, int fd, const net_frame *f, const char *peer)
{
    wire_reader r;
    wire_reader_init(&r, f->payload.data, f->payload.len, net_msg_name(f->type));
    bool one_id = f->type == NET_MSG_REMOVE_RDD || f->type == NET_MSG_CANCEL_JOBS ||
                  f->type == NET_MSG_CANCEL_JOB;
    uint32_t a = wire_get_u32(&r, "id"), b = one_id ? 0 : wire_get_u32(&r, "partition"),
             c = f->type == NET_MSG_FETCH_BLOCK ? wire_get_u32(&r, "reduce") : 0;
    bool known = f->type == NET_MSG_FETCH_BLOCK || f->type == NET_MSG_FETCH_CACHED || one_id;
    if (!known || wire_reader_end(&r) || a > INT32_MAX || b > INT32_MAX || c > INT32_MAX)
        return kiln_set_error(KILN_ECORRUPT, "%s sent a bad %s", peer, net_msg_name(f->type));
    if (f->type == NET_MSG_FETCH_CACHED) return send_cached(bs, fd, (int)a, (int)b, peer);
    if (one_id) {
        if (f->type == NET_MSG_REMOVE_RDD) block_store_drop_rdd(bs->ctx, (int)a);
        else if (f->type == NET_MSG_CANCEL_JOBS) ctx_cancel_jobs_below(bs->ctx, (int)a);
        else ctx_cancel_job(bs->ctx, (int)a);
        return net_send_frame(fd, f->type, f->payload.data, f->payload.len, SEND_TIMEOUT_MS, peer);
    }
    char path[4096];
    uint64_t start, len;
    int rc = shuffle_segment_locate(ctx_shuffles(bs->ctx), (int)a, (int)b, (int)c, path,
                                    sizeof path, &start, &len);
    return rc == KILN_OK ? send_segment(fd, path, start, len, peer) : send_error(fd, rc, peer);
}

/* Makes the close that follows send a TCP reset (RST) rather than FIN: the
 * fetcher's read fails with ECONNRESET. */
static void reset_connection(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

/* A connection the listener has authenticated: requests until it closes. */
static void on_connection(void *arg, int fd, const char *peer)
{
    block_server *bs = arg;
    open_conn me = {.fd = fd};
    pthread_mutex_lock(&bs->lock);
    me.next = bs->conns;
    if (bs->conns) bs->conns->prev = &me;
    bs->conns = &me;
    pthread_mutex_unlock(&bs->lock);
    int rc = KILN_OK;
    while (rc == KILN_OK && !bs->stopping) {
        net_frame f = {0};
        /* A fetcher may keep an idle connection for the whole application. */
        if ((rc = net_recv_frame(fd, 64, -1, peer, &f))) break;
        if (f.type == NET_MSG_FETCH_BLOCK && fault_hit(FAULT_NET_RESET)) {
            /* Fault simulation (base/fault.h): the connection is reset
             * instead of answered, as a failing network or peer would. */
            reset_connection(fd);
            rc = KILN_EIO;
        } else {
            rc = serve_one(bs, fd, &f, peer);
        }
        net_frame_release(&f);
    }
    pthread_mutex_lock(&bs->lock);
    if (me.prev) me.prev->next = me.next;
    else bs->conns = me.next;
    if (me.next) me.next->prev = me.prev;
    pthread_mutex_unlock(&bs->lock);
    net_close(fd);
}

int block_server_start(kiln_context *ctx, const char *host, const uint8_t *secret, size_t len,
                       bool tls, block_server **out, int *port)
{
    if (len > NET_SECRET_MAX) return kiln_set_error(KILN_EINVAL, "block server: secret too long");
    block_server *bs = calloc(1, sizeof *bs);
    if (!bs) return kiln_set_error(KILN_ENOMEM, "out of memory");
    bs->ctx = ctx;
    pthread_mutex_init(&bs->lock, NULL);
    memcpy(bs->secret, secret, len);
    bs->secret_len = len;
    net_listener_opts lo = {.secret = bs->secret,
                            .secret_len = len,
                            .tls = tls,
                            .handshake_timeout_ms = AUTH_TIMEOUT_MS,
                            .component = "blocks",
                            .peer_prefix = "fetcher"};
    int rc = net_listen(host, 0, 64, &bs->lfd, port);
    if (rc == KILN_OK && (rc = net_listener_start(bs->lfd, &lo, on_connection, bs, &bs->listener)))
        net_close(bs->lfd);
    if (rc) {
        memset(bs->secret, 0, sizeof bs->secret);
        pthread_mutex_destroy(&bs->lock);
        free(bs);
        return rc;
    }
    *out = bs;
    return KILN_OK;
}

void block_server_stop(block_server *bs)
{
    if (!bs) return;
    bs->stopping = true;
    net_listener_stop(bs->listener);
    /* Fetchers keep idle connections for the whole application: wake each
     * connection thread (its read or send fails), then wait for every one
     * (net_listener_free), since the caller frees the context they serve
     * from next and the process then exits under them. A connection that
     * reaches its handler after this sees stopping and ends. */
    pthread_mutex_lock(&bs->lock);
    for (open_conn *c = bs->conns; c; c = c->next) shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_unlock(&bs->lock);
    net_listener_free(bs->listener);
    net_close(bs->lfd);
    memset(bs->secret, 0, sizeof bs->secret);
    pthread_mutex_destroy(&bs->lock);
    free(bs);
}
