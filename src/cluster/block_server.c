/*
 * cluster/block_server.c - every executor's block server (blocks.h): serves
 * the segments of the map outputs it holds to the other executors' reduce
 * tasks, and the partitions it has cached to tasks that read them; drops an
 * unpersisted RDD's partitions when the driver says so.
 *
 * One listening socket, one accept thread, one thread per connection. A
 * connection must pass the HMAC handshake (src/net/auth.c) before its first
 * request; then each FETCH_BLOCK (shuffle, map, reduce) is answered with
 * BLOCK_DATA, whose payload is the segment's bytes as written, copied from
 * the data file to the socket by the kernel (sendfile; read and encrypted
 * when the application runs TLS), or with ERROR when
 * the output is not held here. Requests come one at a time per connection,
 * so a fetcher keeps a connection and reuses it. FETCH_CACHED (rdd,
 * partition) is answered with the partition's values encoded back to back;
 * REMOVE_RDD (rdd) drops its partitions and is echoed once done.
 *
 * Stopping wakes every connection thread (shutdown of its socket) and waits
 * for all of them to end, so none still reads the context's stores or
 * OpenSSL's state when the executor frees them and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/blocks.h"
#include "cluster/manager.h"

enum { AUTH_TIMEOUT_MS = 10000, SEND_TIMEOUT_MS = 120000, ACCEPT_POLL_MS = 200 };

typedef struct conn_arg conn_arg;

struct block_server {
    kiln_context *ctx; /* its shuffle store and block store */
    uint8_t secret[NET_SECRET_MAX];
    size_t secret_len;
    bool tls;
    int lfd;
    _Atomic bool stopping;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t idle;  /* signalled when a connection thread ends */
    conn_arg *conns;      /* connections whose socket is open, under lock */
    int running;          /* connection threads not yet ended, under lock */
};

/* One connection; linked in bs->conns while its socket is open, so that
 * block_server_stop can shut it down and never a reused number. */
struct conn_arg {
    block_server *bs;
    int fd;
    char peer[64];
    conn_arg *prev, *next;
};

static void link_conn(block_server *bs, conn_arg *c)
{
    c->prev = NULL;
    c->next = bs->conns;
    if (bs->conns) bs->conns->prev = c;
    bs->conns = c;
    bs->running++;
}

static void unlink_conn(block_server *bs, conn_arg *c)
{
    if (c->prev) c->prev->next = c->next;
    else bs->conns = c->next;
    if (c->next) c->next->prev = c->prev;
}

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
        rc = kiln_set_error(KILN_EINVAL, "cached partition %d of RDD %d is too large to send", part, rdd);
    rc = rc ? send_error(fd, rc, peer)
            : net_send_frame(fd, NET_MSG_BLOCK_DATA, b.data, b.len, SEND_TIMEOUT_MS, peer);
    kiln_buf_release(&b);
    return rc;
}

/* Answers one request; an error that leaves the stream intact is sent as
 * ERROR and the connection goes on. */
static int serve_one(block_server *bs, int fd, const net_frame *f, const char *peer)
{
    net_reader r;
    net_reader_init(&r, f->payload.data, f->payload.len, net_msg_name(f->type));
    uint32_t a = net_get_u32(&r, "id"), b = f->type == NET_MSG_REMOVE_RDD ? 0 : net_get_u32(&r, "partition"),
             c = f->type == NET_MSG_FETCH_BLOCK ? net_get_u32(&r, "reduce") : 0;
    bool known = f->type == NET_MSG_FETCH_BLOCK || f->type == NET_MSG_FETCH_CACHED ||
                 f->type == NET_MSG_REMOVE_RDD;
    if (!known || net_reader_end(&r) || a > INT32_MAX || b > INT32_MAX || c > INT32_MAX)
        return kiln_set_error(KILN_ECORRUPT, "%s sent a bad %s", peer, net_msg_name(f->type));
    if (f->type == NET_MSG_FETCH_CACHED) return send_cached(bs, fd, (int)a, (int)b, peer);
    if (f->type == NET_MSG_REMOVE_RDD) {
        block_store_drop_rdd(bs->ctx, (int)a);
        return net_send_frame(fd, NET_MSG_REMOVE_RDD, f->payload.data, f->payload.len,
                              SEND_TIMEOUT_MS, peer);
    }
    char path[4096];
    uint64_t start, len;
    int rc = shuffle_segment_locate(bs->ctx->shuffles, (int)a, (int)b, (int)c, path, sizeof path,
                                    &start, &len);
    return rc == KILN_OK ? send_segment(fd, path, start, len, peer) : send_error(fd, rc, peer);
}

static void *conn_main(void *arg)
{
    conn_arg *c = arg;
    block_server *bs = c->bs;
    int rc = bs->tls ? net_tls_server(c->fd, bs->secret, bs->secret_len, AUTH_TIMEOUT_MS, c->peer)
                     : KILN_OK;
    if (rc == KILN_OK) rc = net_auth_server(c->fd, bs->secret, bs->secret_len, AUTH_TIMEOUT_MS, c->peer);
    if (rc) LOG(LOG_WARN, "blocks", "refused a connection from %s: %s", c->peer, kiln_last_error());
    while (rc == KILN_OK && !bs->stopping) {
        net_frame f = {0};
        /* A fetcher may keep an idle connection for the whole application. */
        if ((rc = net_recv_frame(c->fd, 64, -1, c->peer, &f))) break;
        rc = serve_one(bs, c->fd, &f, c->peer);
        net_frame_release(&f);
    }
    pthread_mutex_lock(&bs->lock);
    unlink_conn(bs, c);
    pthread_mutex_unlock(&bs->lock);
    net_close(c->fd);
    free(c);
    /* The last touch of bs: block_server_stop may free it once running is 0. */
    pthread_mutex_lock(&bs->lock);
    bs->running--;
    pthread_cond_broadcast(&bs->idle);
    pthread_mutex_unlock(&bs->lock);
    return NULL;
}

static void *accept_main(void *arg)
{
    block_server *bs = arg;
    while (!bs->stopping) {
        int fd;
        char peer[48];
        if (net_accept(bs->lfd, ACCEPT_POLL_MS, &fd, peer, sizeof peer)) continue;
        conn_arg *c = malloc(sizeof *c);
        if (!c) {
            net_close(fd);
            continue;
        }
        *c = (conn_arg){.bs = bs, .fd = fd};
        snprintf(c->peer, sizeof c->peer, "fetcher %s", peer);
        pthread_mutex_lock(&bs->lock);
        link_conn(bs, c); /* before the thread runs: it unlinks itself */
        pthread_mutex_unlock(&bs->lock);
        if (cluster_thread_detached(conn_main, c)) {
            pthread_mutex_lock(&bs->lock);
            unlink_conn(bs, c);
            bs->running--;
            pthread_mutex_unlock(&bs->lock);
            net_close(fd);
            free(c);
        }
    }
    return NULL;
}

int block_server_start(kiln_context *ctx, const char *host, const uint8_t *secret, size_t len,
                       bool tls, block_server **out, int *port)
{
    if (len > NET_SECRET_MAX) return kiln_set_error(KILN_EINVAL, "block server: secret too long");
    block_server *bs = calloc(1, sizeof *bs);
    if (!bs) return kiln_set_error(KILN_ENOMEM, "out of memory");
    bs->ctx = ctx;
    bs->tls = tls;
    memcpy(bs->secret, secret, len);
    bs->secret_len = len;
    pthread_mutex_init(&bs->lock, NULL);
    pthread_cond_init(&bs->idle, NULL);
    int rc = net_listen(host, 0, 64, &bs->lfd, port);
    if (rc == KILN_OK && pthread_create(&bs->thread, NULL, accept_main, bs)) {
        net_close(bs->lfd);
        rc = kiln_set_error(KILN_ENOMEM, "block server: cannot start a thread");
    }
    if (rc) {
        memset(bs->secret, 0, sizeof bs->secret);
        pthread_cond_destroy(&bs->idle);
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
    pthread_join(bs->thread, NULL);
    net_close(bs->lfd);
    /* Fetchers keep idle connections for the whole application: wake each
     * connection thread (its read or send fails) and wait until all have
     * ended, since the caller frees the context they serve from next. */
    pthread_mutex_lock(&bs->lock);
    for (conn_arg *c = bs->conns; c; c = c->next) shutdown(c->fd, SHUT_RDWR);
    while (bs->running > 0) pthread_cond_wait(&bs->idle, &bs->lock);
    pthread_mutex_unlock(&bs->lock);
    memset(bs->secret, 0, sizeof bs->secret);
    pthread_cond_destroy(&bs->idle);
    pthread_mutex_destroy(&bs->lock);
    free(bs);
}
