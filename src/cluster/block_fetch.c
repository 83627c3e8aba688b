/*
 * cluster/block_fetch.c - an executor's fetcher of remote map outputs
 * (blocks.h). Each task brings the locations of the shuffles it reads
 * (which executor holds which map output, and where their block servers
 * listen); the shuffle store calls block_fetcher_fetch for every map output
 * this executor does not hold. Authenticated connections to each peer are
 * kept and reused, one request at a time on each.
 *
 * A fetch is all or nothing: a segment is received whole and its blocks'
 * checksums checked before any byte of it is handed on, so a retry never
 * delivers a record twice. As Spark's RetryingBlockTransferor, a fetch that
 * fails with an I/O error (refused, reset, closed, timed out) is retried on
 * a new connection up to kiln.shuffle.io.maxRetries times, waiting
 * kiln.shuffle.io.retryWait before the first retry and twice as long before
 * each next one, except that the first failure of an open connection (a
 * reset: that connection is dead, its peer likely not) is retried at once;
 * a damaged segment is fetched once more at once; a peer's ERROR answer (it
 * does not hold the output) is final. Before each retry
 * the location is read again: when the driver's latest view (sent with
 * any later task) says no executor holds the output, the fetch fails at
 * once; when another one does, the retry asks that one. Only then is it a
 * fetch failure, which has the scheduler recompute the map output.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/blocks.h"
#include "shuffle/block.h"

enum {
    CONNECT_TIMEOUT_MS = 10000,
    MAX_RETRY_WAIT_MS = 30000, /* the doubling waits stop growing here */
    FETCH_TIMEOUT_MS = 120000,
    MAX_IDLE = 16,
    MAX_PEERS = 65536,
    MAX_MAPS = 1 << 24
};
#define MAX_SEGMENT (1u << 31)

typedef struct peer {
    uint32_t exec;
    char host[NET_HOST_MAX];
    int port;
    int idle[MAX_IDLE]; /* authenticated connections not in use */
    int nidle;
} peer;

typedef struct shuffle_locs {
    int id, nmaps;
    uint32_t *exec; /* per map: the executor holding it, UINT32_MAX if none */
} shuffle_locs;

typedef struct cached_loc {
    int rdd, part;
    uint32_t exec;
} cached_loc;

struct block_fetcher {
    pthread_mutex_t lock;
    cached_loc *cached; /* the latest task's view of cached partitions elsewhere */
    size_t ncached, cap_cached;
    uint8_t secret[NET_SECRET_MAX];
    size_t secret_len;
    bool tls;
    peer *peers;
    size_t npeers, cap_peers;
    shuffle_locs *shuffles;
    size_t nshuffles, cap_shuffles;
    int max_retries, retry_wait_ms; /* kiln.shuffle.io.maxRetries, retryWait */
    log_throttle retry_log;         /* one WARN a second about retries */
};

static __thread uint64_t fetched_bytes, fetched_us, fetch_retries, fetched_blocks;

block_fetcher *block_fetcher_new(const uint8_t *secret, size_t len, bool tls)
{
    block_fetcher *f = len <= NET_SECRET_MAX ? calloc(1, sizeof *f) : NULL;
    if (!f) return NULL;
    f->tls = tls;
    memcpy(f->secret, secret, len);
    f->secret_len = len;
    f->max_retries = BLOCK_FETCH_MAX_RETRIES;
    f->retry_wait_ms = BLOCK_FETCH_RETRY_WAIT_MS;
    pthread_mutex_init(&f->lock, NULL);
    return f;
}

void block_fetcher_set_retries(block_fetcher *f, int max_retries, int wait_ms)
{
    f->max_retries = max_retries < 0 ? 0 : max_retries;
    f->retry_wait_ms = wait_ms < 0 ? 0 : wait_ms;
}

void block_fetcher_free(block_fetcher *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->npeers; i++)
        for (int k = 0; k < f->peers[i].nidle; k++) net_close(f->peers[i].idle[k]);
    for (size_t i = 0; i < f->nshuffles; i++) free(f->shuffles[i].exec);
    free(f->peers);
    free(f->shuffles);
    free(f->cached);
    memset(f->secret, 0, sizeof f->secret);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* Caller holds the lock. */
static peer *find_peer(block_fetcher *f, uint32_t exec)
{
    for (size_t i = 0; i < f->npeers; i++)
        if (f->peers[i].exec == exec) return &f->peers[i];
    return NULL;
}

static shuffle_locs *find_shuffle(block_fetcher *f, int id)
{
    for (size_t i = 0; i < f->nshuffles; i++)
        if (f->shuffles[i].id == id) return &f->shuffles[i];
    return NULL;
}

/* Caller holds the lock. A peer's address never changes (a restarted
 * executor is a new peer), so a known one is kept with its connections. */
static int add_peer(block_fetcher *f, uint32_t exec, const char *host, int port)
{
    if (find_peer(f, exec)) return KILN_OK;
    if (grow_for_one((void **)&f->peers, f->npeers, &f->cap_peers, sizeof *f->peers, 8))
        return KILN_ENOMEM;
    peer *p = &f->peers[f->npeers++];
    *p = (peer){.exec = exec, .port = port};
    snprintf(p->host, sizeof p->host, "%s", host);
    return KILN_OK;
}

static int set_shuffle(block_fetcher *f, int id, int nmaps, const uint32_t *exec)
{
    shuffle_locs *s = find_shuffle(f, id);
    if (!s) {
        if (grow_for_one((void **)&f->shuffles, f->nshuffles, &f->cap_shuffles, sizeof *f->shuffles,
                         8))
            return KILN_ENOMEM;
        s = &f->shuffles[f->nshuffles++];
        *s = (shuffle_locs){.id = id};
    }
    if (s->nmaps != nmaps) {
        uint32_t *e = realloc(s->exec, sizeof *e * ((size_t)nmaps + 1));
        if (!e) return KILN_ENOMEM;
        s->exec = e;
        s->nmaps = nmaps;
    }
    memcpy(s->exec, exec, sizeof *exec * (size_t)nmaps);
    return KILN_OK;
}

int block_fetcher_update(block_fetcher *f, const uint8_t *p, size_t n)
{
    if (n == 0) return KILN_OK;
    wire_reader r;
    wire_reader_init(&r, p, n, "shuffle locations");
    int rc = KILN_OK;
    pthread_mutex_lock(&f->lock);
    uint32_t npeers = wire_get_u32(&r, "peers");
    if (npeers > MAX_PEERS)
        rc = kiln_set_error(KILN_ECORRUPT, "shuffle locations: %u peers", npeers);
    for (uint32_t i = 0; i < npeers && rc == KILN_OK && !r.err; i++) {
        char host[NET_HOST_MAX];
        uint32_t exec = wire_get_u32(&r, "executor");
        wire_get_str(&r, host, sizeof host, "host");
        uint32_t port = wire_get_u32(&r, "port");
        if (r.err) break;
        if (port == 0 || port > 65535)
            rc = kiln_set_error(KILN_ECORRUPT, "shuffle locations: port %u", port);
        else rc = add_peer(f, exec, host, (int)port);
    }
    uint32_t nshuffles = rc ? 0 : wire_get_u32(&r, "shuffles");
    for (uint32_t i = 0; i < nshuffles && rc == KILN_OK && !r.err; i++) {
        uint32_t id = wire_get_u32(&r, "shuffle"), nmaps = wire_get_u32(&r, "maps");
        if (r.err) break;
        if (id > INT32_MAX || nmaps > MAX_MAPS || (size_t)nmaps * 4 > r.len - r.off) {
            rc = kiln_set_error(KILN_ECORRUPT, "shuffle locations: shuffle %u of %u maps", id,
                                nmaps);
            break;
        }
        const uint8_t *raw = wire_get_raw(&r, (size_t)nmaps * 4, "executors");
        uint32_t *exec = malloc(sizeof *exec * ((size_t)nmaps + 1));
        if (!exec) rc = KILN_ENOMEM;
        for (uint32_t m = 0; exec && m < nmaps; m++)
            exec[m] = (uint32_t)raw[4 * m] | (uint32_t)raw[4 * m + 1] << 8 |
                      (uint32_t)raw[4 * m + 2] << 16 | (uint32_t)raw[4 * m + 3] << 24;
        if (exec) rc = set_shuffle(f, (int)id, (int)nmaps, exec);
        free(exec);
    }
    uint32_t ncached = rc ? 0 : wire_get_u32(&r, "cached partitions");
    if (!r.err && ncached > (r.len - r.off) / 12)
        rc = kiln_set_error(KILN_ECORRUPT, "shuffle locations: %u cached partitions", ncached);
    if (rc == KILN_OK && !r.err) f->ncached = 0; /* the driver's current view replaces ours */
    for (uint32_t i = 0; i < ncached && rc == KILN_OK && !r.err; i++) {
        uint32_t rdd = wire_get_u32(&r, "rdd"), part = wire_get_u32(&r, "partition"),
                 exec = wire_get_u32(&r, "executor");
        if (r.err) break;
        if (rdd > INT32_MAX || part > INT32_MAX)
            rc = kiln_set_error(KILN_ECORRUPT, "shuffle locations: cached partition %u of %u", part,
                                rdd);
        else if (grow_for_one((void **)&f->cached, f->ncached, &f->cap_cached, sizeof *f->cached,
                              16))
            rc = KILN_ENOMEM;
        else
            f->cached[f->ncached++] = (cached_loc){.rdd = (int)rdd,
                                                   .part = (int)part,
                                                   .exec = exec};
    }
    if (rc == KILN_OK) rc = wire_reader_end(&r);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* How a request ended, for the retry policy. */
typedef enum outcome {
    ANSWERED,    /* BLOCK_DATA */
    REFUSED,     /* the peer answered ERROR (it does not hold the block): final */
    BROKEN,      /* an open connection failed (reset, closed, timed out): retried */
    UNREACHABLE, /* no connection (refused, timed out, handshake cut): retried */
    GARBLED,     /* the peer's answer is not what the protocol allows: fetched once more */
} outcome;

/* One request (type with n u32 fields) on an authenticated connection,
 * whose BLOCK_DATA answer lands in seg. *how says how it ended (ANSWERED
 * and REFUSED leave the connection fit for another request). */
static int request(int fd, uint8_t type, const uint32_t *fields, int n, const char *name,
                   kiln_buf *seg, outcome *how)
{
    kiln_buf req;
    kiln_buf_init(&req);
    wire_writer w;
    wire_writer_init(&w, &req);
    for (int i = 0; i < n; i++) wire_put_u32(&w, fields[i]);
    int rc = wire_writer_finish(&w);
    if (rc == KILN_OK) rc = net_send_frame(fd, type, req.data, req.len, FETCH_TIMEOUT_MS, name);
    kiln_buf_release(&req);
    /* The block lands in seg's buffer, reused from segment to segment. */
    net_frame f = {.payload = *seg};
    kiln_buf_init(seg);
    if (rc == KILN_OK) rc = net_recv_frame_reuse(fd, MAX_SEGMENT, FETCH_TIMEOUT_MS, name, &f);
    *how = rc == KILN_ECORRUPT ? GARBLED : BROKEN;
    if (rc == KILN_OK && f.type == NET_MSG_BLOCK_DATA) {
        *seg = f.payload;
        kiln_buf_init(&f.payload);
        *how = ANSWERED;
    } else if (rc == KILN_OK && f.type == NET_MSG_ERROR) {
        int code;
        char msg[NET_ERROR_MAX_MESSAGE];
        rc = net_msg_error_read(&f, name, &code, msg, sizeof msg);
        *how = rc == KILN_OK ? REFUSED : GARBLED;
        if (rc == KILN_OK) rc = kiln_set_error(KILN_EFETCH, "%s: %s", name, msg);
    } else if (rc == KILN_OK) {
        rc = kiln_set_error(KILN_ECORRUPT, "%s answered a fetch with %s", name,
                            net_msg_name(f.type));
        *how = GARBLED;
    }
    net_frame_release(&f);
    return rc;
}

/* Sends one request to executor exec's block server over a kept (or new,
 * authenticated) connection; the answer's payload replaces out. *how says
 * how it ended (a failed dial is UNREACHABLE). */
static int ask(block_fetcher *f, uint32_t exec, uint8_t type, const uint32_t *fields, int n,
               kiln_buf *out, outcome *how)
{
    pthread_mutex_lock(&f->lock);
    peer *p = find_peer(f, exec);
    char host[NET_HOST_MAX];
    int port = p ? p->port : 0, fd = p && p->nidle ? p->idle[--p->nidle] : -1;
    if (p) snprintf(host, sizeof host, "%s", p->host);
    pthread_mutex_unlock(&f->lock);
    *how = REFUSED;
    if (!p) return kiln_set_error(KILN_EFETCH, "executor %u is not known", exec);
    char name[NET_HOST_MAX + 48];
    snprintf(name, sizeof name, "the block server at %s:%d", host, port);
    int rc = KILN_OK;
    *how = UNREACHABLE;
    if (fd < 0) {
        rc = net_dial(host, port, f->secret, f->secret_len, f->tls, CONNECT_TIMEOUT_MS, name, &fd);
        /* A peer that fails the handshake is not who the driver says. */
        if (rc == KILN_EINVAL) *how = REFUSED;
    }
    if (rc == KILN_OK) rc = request(fd, type, fields, n, name, out, how);
    if (*how == ANSWERED || (rc == KILN_EFETCH && *how == REFUSED && fd >= 0)) {
        pthread_mutex_lock(&f->lock);
        p = find_peer(f, exec);
        if (p && p->nidle < MAX_IDLE) p->idle[p->nidle++] = fd, fd = -1;
        pthread_mutex_unlock(&f->lock);
    }
    net_close(fd);
    return rc;
}

/* The executor holding map output `map` of shuffle id in the latest
 * locations, or UINT32_MAX. */
static uint32_t holder(block_fetcher *f, int id, int map)
{
    pthread_mutex_lock(&f->lock);
    shuffle_locs *s = find_shuffle(f, id);
    uint32_t exec = s && map < s->nmaps ? s->exec[map] : UINT32_MAX;
    pthread_mutex_unlock(&f->lock);
    return exec;
}

/* "the block server at HOST:PORT" of executor exec, in buf. */
static const char *peer_name(block_fetcher *f, uint32_t exec, char *buf, size_t size)
{
    pthread_mutex_lock(&f->lock);
    peer *p = find_peer(f, exec);
    if (p) snprintf(buf, size, "the block server at %s:%d", p->host, p->port);
    else snprintf(buf, size, "an unknown block server");
    pthread_mutex_unlock(&f->lock);
    return buf;
}

/* Checks every block of a received segment (framing and checksums), so
 * that a damaged one is fetched again before any record is handed on. */
static int check_segment(const kiln_buf *seg)
{
    for (size_t off = 0, used; off < seg->len; off += used)
        if (block_check(seg->data + off, seg->len - off, &used)) return KILN_ECORRUPT;
    return KILN_OK;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int block_fetcher_fetch(void *arg, int id, int map, int reduce, kiln_buf *seg)
{
    block_fetcher *f = arg;
    uint64_t started = now_us();
    uint32_t exec = holder(f, id, map);
    if (exec == UINT32_MAX)
        return kiln_set_error(KILN_EFETCH, "shuffle %d, map output %d: no executor holds it", id,
                              map);
    uint32_t fields[3] = {(uint32_t)id, (uint32_t)map, (uint32_t)reduce};
    int retries = 0, wait_ms = f->retry_wait_ms;
    bool refetched = false, redialled = false;
    char name[NET_HOST_MAX + 48];
    int rc;
    for (;;) {
        outcome how;
        rc = ask(f, exec, NET_MSG_FETCH_BLOCK, fields, 3, seg, &how);
        if (rc == KILN_OK && check_segment(seg)) {
            how = GARBLED;
            rc = kiln_set_error(KILN_ECORRUPT, "%s sent a damaged segment (%s)",
                                peer_name(f, exec, name, sizeof name), kiln_last_error());
        }
        if (rc == KILN_OK || how == REFUSED) break;
        bool again = how == GARBLED ? !refetched : retries < f->max_retries;
        if (!again) {
            if (how != GARBLED && retries > 0)
                kiln_set_error(rc, "%s (after %d retries)", kiln_last_error(), retries);
            break;
        }
        if (how == GARBLED) {
            refetched = true; /* damaged data: once more, at once (Spark's detectCorrupt) */
        } else {
            /* A connection that broke is dead, not its peer: the first such
             * retry dials a new one at once. Otherwise wait, doubling. */
            bool now = how == BROKEN && !redialled;
            redialled |= how == BROKEN;
            retries++;
            LOG_THROTTLED(&f->retry_log, LOG_WARN, "blocks",
                          "shuffle %d, map output %d: %s; retry %d of %d in %d ms", id, map,
                          kiln_last_error(), retries, f->max_retries, now ? 0 : wait_ms);
            if (!now) {
                sleep_ms(wait_ms);
                wait_ms = wait_ms > MAX_RETRY_WAIT_MS / 2 ? MAX_RETRY_WAIT_MS : wait_ms * 2;
            }
        }
        fetch_retries++;
        /* The driver may have found the holder lost since (or the output
         * recomputed elsewhere): the latest locations say. */
        uint32_t now = holder(f, id, map);
        if (now == UINT32_MAX) {
            rc = kiln_set_error(KILN_EFETCH, "%s, which held it, is lost (%s)",
                                peer_name(f, exec, name, sizeof name), kiln_last_error());
            break;
        }
        exec = now;
    }
    if (rc == KILN_OK) {
        fetched_bytes += seg->len;
        fetched_us += now_us() - started;
        fetched_blocks++;
    } else {
        seg->len = 0;
        rc = kiln_set_error(KILN_EFETCH, "shuffle %d, map output %d: %s", id, map,
                            kiln_last_error());
    }
    return rc;
}

int block_fetcher_fetch_cached(block_fetcher *f, int rdd, int part, kiln_buf *out)
{
    uint32_t exec = UINT32_MAX;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->ncached && exec == UINT32_MAX; i++)
        if (f->cached[i].rdd == rdd && f->cached[i].part == part) exec = f->cached[i].exec;
    pthread_mutex_unlock(&f->lock);
    if (exec == UINT32_MAX) return KILN_ENOENT;
    uint32_t fields[2] = {(uint32_t)rdd, (uint32_t)part};
    outcome how; /* not retried: the caller computes the partition instead */
    return ask(f, exec, NET_MSG_FETCH_CACHED, fields, 2, out, &how);
}

void block_fetcher_take_stats(uint64_t *bytes, uint64_t *us, uint64_t *retries, uint64_t *blocks)
{
    *bytes = fetched_bytes;
    *us = fetched_us;
    *retries = fetch_retries;
    *blocks = fetched_blocks;
    fetched_bytes = fetched_us = fetch_retries = fetched_blocks = 0;
}

void block_fetcher_forget_shuffle(block_fetcher *f, int id)
{
    pthread_mutex_lock(&f->lock);
    shuffle_locs *s = find_shuffle(f, id);
    if (s) {
        free(s->exec);
        *s = f->shuffles[--f->nshuffles];
    }
    pthread_mutex_unlock(&f->lock);
}
