/*
 * cluster/driver.c - the driver's side of cluster mode (cluster.h):
 * accepting executors' connections, handing tasks to their slots, tracking
 * where map outputs live, and losing executors.
 *
 * Executors are started by someone else (local_cluster.c forks them, or a
 * standalone cluster's workers do) and connect here: one connection per
 * task slot, each authenticated by the accept loop (src/net/listener.c)
 * before its first message, REGISTER_EXECUTOR, then one task at a time.
 * The listener stays open for the application's life, so executors
 * restarted by their worker join later; an accepted connection that asks
 * for a file (FETCH_FILE, a worker fetching the program) is served by the
 * file server.
 *
 * An executor that closes a connection or is silent past
 * kiln.network.timeout is lost: all its slots are dropped (the others'
 * sockets are shut down, so their waits end at once), the map outputs it
 * held are forgotten (the scheduler computes them again), and nothing more
 * is read from it, so its late results are ignored.
 *
 * The driver sends HEARTBEAT on every idle slot each second (at most a
 * third of the network timeout), as executors do to it: an executor whose
 * driver is stopped or hung hears nothing for kiln.network.timeout and
 * exits (executor.c).
 *
 * Cancelled jobs (kiln_context_cancel_jobs): the engine's scheduler stops
 * waiting for their tasks by itself; the heartbeat thread tells each live
 * executor's block server (CANCEL_JOBS), since a slot running a task reads
 * nothing from its connection, and the executor's tasks of those jobs then
 * fail at their next pull of records, so their slots come back soon. A task
 * still gets its result read and ignored (the scheduler has failed its
 * stage), and its slot is freed only then: a user function that never
 * checks keeps its slot until it returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/fnref.h"
#include "cluster/blocks.h"
#include "cluster/driver.h"

enum { AUTH_TIMEOUT_MS = 10000, MAX_TASK_FRAME = 1u << 30, MAX_SLOTS = 1 << 16 };

/* ---- Accepting executors --------------------------------------------------- */

/* Caller holds the lock. The executor registered as (id, incarnation),
 * created on its first slot. */
static int executor_of(kiln_cluster *c, uint32_t id, uint64_t incarnation, uint32_t nslots,
                       const char *host, uint32_t port)
{
    for (size_t i = 0; i < c->nexecs; i++)
        if (c->execs[i].id == id && c->execs[i].incarnation == incarnation) return (int)i;
    if (grow_for_one((void **)&c->execs, c->nexecs, &c->cap_execs, sizeof *c->execs, 8) ||
        map_tracker_add_executor(c->tracker, (uint32_t)c->nexecs, host, (int)port))
        return KILN_ENOMEM;
    exec_rec *e = &c->execs[c->nexecs];
    *e = (exec_rec){.id = id,
                    .incarnation = incarnation,
                    .nslots = (int)nslots,
                    .block_port = (int)port};
    snprintf(e->block_host, sizeof e->block_host, "%s", host);
    return (int)c->nexecs++;
}

/* Reads REGISTER_EXECUTOR and adds the connection as a slot. */
static int register_slot(kiln_cluster *c, int fd, const net_frame *f, const char *peer)
{
    wire_reader r;
    wire_reader_init(&r, f->payload.data, f->payload.len, "REGISTER_EXECUTOR");
    uint32_t id = wire_get_u32(&r, "executor"), index = wire_get_u32(&r, "slot"),
             nslots = wire_get_u32(&r, "slots");
    uint64_t incarnation = wire_get_u64(&r, "incarnation");
    char host[NET_HOST_MAX];
    wire_get_str(&r, host, sizeof host, "block server host");
    uint32_t port = wire_get_u32(&r, "block server port");
    int rc = wire_reader_end(&r);
    if (rc == KILN_OK && (index >= nslots || nslots > MAX_SLOTS || port == 0 || port > 65535))
        rc = kiln_set_error(KILN_ECORRUPT, "REGISTER_EXECUTOR from %s: slot %u of %u, port %u",
                            peer, index, nslots, port);
    if (rc) return rc;
    pthread_mutex_lock(&c->lock);
    size_t known = c->nexecs;
    int e = c->stopping ? kiln_set_error(KILN_ESTATE, "the application is ending")
                        : executor_of(c, id, incarnation, nslots, host, port);
    bool added = c->nexecs > known;
    slot *s = e < 0 ? NULL : calloc(1, sizeof *s);
    if (s && !grow_for_one((void **)&c->slots, c->nslots, &c->cap_slots, sizeof *c->slots, 16)) {
        *s = (slot){.fd = fd, .exec = e, .dead = c->execs[e].lost};
        snprintf(s->peer, sizeof s->peer, "executor %u", id);
        c->slots[c->nslots++] = s;
        c->execs[e].connected++;
        pthread_cond_broadcast(&c->cond);
    } else {
        free(s);
        s = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (added) {
        char name[32];
        snprintf(name, sizeof name, "%u", id);
        int64_t mem = 0;
        const char *mv = kiln_conf_get(ctx_conf(c->ctx), "kiln.executor.memory");
        const conf_key *mk = mv ? NULL : conf_key_find("kiln.executor.memory");
        if (mk) mv = mk->dflt; /* the budget when the key is not set */
        if (!mv || parse_size(mv, &mem) != 0) mem = 0;
        if (c->exec_memory > 0) mem = c->exec_memory;
        events_post(c->ctx, &(engine_event){.kind = EV_EXECUTOR_ADDED,
                                            .executor = e,
                                            .name = name,
                                            .tasks = (int)nslots,
                                            .message = host,
                                            .host = host,
                                            .cores = (int)nslots,
                                            .memory = mem});
    }
    return s ? KILN_OK : e < 0 ? e : KILN_ENOMEM;
}

/* A connection the listener has authenticated: an executor's slot
 * (REGISTER_EXECUTOR) or a worker fetching files (the file server). */
static void on_connection(void *arg, int fd, const char *peer)
{
    kiln_cluster *c = arg;
    net_frame f = {0};
    int rc = net_recv_frame(fd, 4096, AUTH_TIMEOUT_MS, peer, &f);
    bool kept = false;
    if (!rc && f.type == NET_MSG_REGISTER_EXECUTOR) {
        rc = register_slot(c, fd, &f, peer);
        kept = rc == KILN_OK;
    } else if (!rc && c->serve_file) {
        rc = c->serve_file(c->serve_arg, fd, &f, peer);
    } else if (!rc) {
        rc = kiln_set_error(KILN_ECORRUPT, "%s sent %s first", peer, net_msg_name(f.type));
    }
    if (rc) LOG(LOG_WARN, "cluster", "refused %s: %s", peer, kiln_last_error());
    net_frame_release(&f);
    if (!kept) net_close(fd);
}

/* The interval of the driver's heartbeats: a second, or a third of the
 * network timeout when that is shorter. */
static int ping_interval_ms(const kiln_cluster *c)
{
    int ms = c->timeout_ms / 3;
    return ms > 1000 ? 1000 : ms < 10 ? 10 : ms;
}

/* Moves what executor x has to hear about (at most MAX_RELEASE_IDS of each
 * kind; the rest waits) into *m. Caller holds the lock. False when there is
 * nothing, or no memory to move it (it then waits). */
static bool take_pending(exec_rec *x, release_msg *m)
{
    enum { MAX_IDS = 1 << 20 }; /* cluster_msg.c's limit per list */
    *m = (release_msg){0};
    if (x->lost || !(x->npending[0] || x->npending[1] || x->npending[2])) return false;
    release_id *lists[3] = {NULL, NULL, NULL};
    uint32_t n[3];
    bool ok = true;
    for (int k = 0; k < 3; k++) {
        n[k] = x->npending[k] < MAX_IDS ? x->npending[k] : MAX_IDS;
        if (n[k] && ok && !(lists[k] = malloc(sizeof *lists[k] * n[k]))) ok = false;
        for (uint32_t i = 0; ok && i < n[k]; i++) lists[k][i].id = x->pending[k][i];
    }
    *m = (release_msg){.rdds = lists[CLEAN_RDD],
                       .nrdds = n[CLEAN_RDD],
                       .shuffles = lists[CLEAN_SHUFFLE],
                       .nshuffles = n[CLEAN_SHUFFLE],
                       .broadcasts = lists[CLEAN_BROADCAST],
                       .nbroadcasts = n[CLEAN_BROADCAST]};
    if (!ok) {
        release_msg_free(m);
        return false;
    }
    for (int k = 0; k < 3; k++) {
        if (!n[k]) continue;
        memmove(x->pending[k], x->pending[k] + n[k],
                sizeof *x->pending[k] * (x->npending[k] - n[k]));
        x->npending[k] -= n[k];
    }
    return true;
}

/* Sends m as RELEASE on s, which the caller has marked busy, and frees m.
 * A failed send loses nothing that matters: the executor is lost or about
 * to be, and its data with it. */
static void send_release(slot *s, release_msg *m, int timeout_ms)
{
    kiln_buf b;
    kiln_buf_init(&b);
    if (release_msg_write(&b, m) == KILN_OK)
        net_send_frame(s->fd, NET_MSG_RELEASE, b.data, b.len, timeout_ms, s->peer);
    kiln_buf_release(&b);
    release_msg_free(m);
}

/* Sends each live executor with ids pending what it has to hear about
 * (RELEASE), on one of its idle slots, marked busy meanwhile; one with no
 * idle slot keeps them for its next task or the next round. Caller holds
 * the lock, which is dropped while sending. */
static void send_releases(kiln_cluster *c, int timeout_ms)
{
    for (size_t e = 0; e < c->nexecs; e++) {
        slot *s = NULL;
        for (size_t i = 0; i < c->nslots && !s; i++)
            if (c->slots[i]->exec == (int)e && !c->slots[i]->dead && !c->slots[i]->busy)
                s = c->slots[i];
        release_msg m;
        if (!s || !take_pending(&c->execs[e], &m)) continue;
        s->busy = true;
        pthread_mutex_unlock(&c->lock);
        send_release(s, &m, timeout_ms);
        pthread_mutex_lock(&c->lock);
        s->busy = false;
        pthread_cond_broadcast(&c->cond);
        exec_rec *x = &c->execs[e]; /* the array may have grown meanwhile */
        if (x->npending[0] || x->npending[1] || x->npending[2]) c->release_pending = true;
    }
}

void cluster_cleanup(kiln_cluster *c, cleanup_kind kind, int64_t id)
{
    if (kind == CLEAN_RDD) map_tracker_forget_rdd(c->tracker, (int)id);
    if (kind == CLEAN_SHUFFLE) map_tracker_forget_shuffle(c->tracker, (int)id);
    pthread_mutex_lock(&c->lock);
    for (size_t e = 0; e < c->nexecs; e++) {
        exec_rec *x = &c->execs[e];
        if (x->lost) continue;
        /* Out of memory: the executor keeps that one until the application ends. */
        if (grow_for_one((void **)&x->pending[kind], x->npending[kind], &x->cap_pending[kind],
                         sizeof *x->pending[kind], 64) == KILN_OK)
            x->pending[kind][x->npending[kind]++] = (uint64_t)id;
    }
    c->release_pending = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void cluster_cancel(kiln_cluster *c, int below)
{
    pthread_mutex_lock(&c->lock);
    if (below > c->cancel_below) c->cancel_below = below;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void cluster_cancel_job(kiln_cluster *c, int job)
{
    pthread_mutex_lock(&c->lock);
    if (!grow_for_one((void **)&c->cancel_jobs, c->ncancel_jobs, &c->cap_cancel_jobs,
                      sizeof *c->cancel_jobs, 8))
        c->cancel_jobs[c->ncancel_jobs++] = job;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static int tell_block_server(kiln_cluster *c, const char *host, int port, int type, uint32_t value,
                             int timeout_ms);

/* Sends a cancel message (CANCEL_JOBS for every job below `job`,
 * CANCEL_JOB for it alone) to every live executor's block server. Caller
 * (the pinger) holds the lock, which is dropped while sending. An executor
 * that cannot be told is lost or about to be. */
static void send_cancel(kiln_cluster *c, int type, int job)
{
    enum { CANCEL_TIMEOUT_MS = 2000 }; /* the heartbeats wait meanwhile */
    size_t n = 0;
    exec_rec *live = calloc(c->nexecs + 1, sizeof *live);
    for (size_t i = 0; live && i < c->nexecs; i++)
        if (!c->execs[i].lost) live[n++] = c->execs[i]; /* only id, host and port are read */
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        if (tell_block_server(c, live[i].block_host, live[i].block_port, type, (uint32_t)job,
                              CANCEL_TIMEOUT_MS))
            LOG(LOG_WARN, "cluster", "cancelling job%s %d on executor %u: %s",
                type == NET_MSG_CANCEL_JOBS ? "s below" : "", job, live[i].id, kiln_last_error());
    free(live);
    pthread_mutex_lock(&c->lock);
}

/* Sends HEARTBEAT on each idle live slot every ping_interval_ms, after
 * running c->tick when set (local-cluster reaps and replaces dead executors
 * there). A slot being pinged is marked busy, so no task is sent on it
 * meanwhile; a send that fails changes nothing here (the next task on it
 * finds the loss). */
static void *pinger_main(void *arg)
{
    kiln_cluster *c = arg;
    uint64_t seq = 0;
    slot **idle = NULL;
    size_t cap = 0;
    int interval = ping_interval_ms(c);
    int64_t next = net_deadline(interval);
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        if (c->cancel_below > c->cancel_sent) {
            c->cancel_sent = c->cancel_below;
            send_cancel(c, NET_MSG_CANCEL_JOBS, c->cancel_sent);
            continue;
        }
        if (c->ncancel_jobs) {
            int job = c->cancel_jobs[--c->ncancel_jobs];
            send_cancel(c, NET_MSG_CANCEL_JOB, job);
            continue;
        }
        if (c->release_pending) {
            c->release_pending = false;
            send_releases(c, interval);
            continue;
        }
        int left = net_remaining_ms(next);
        if (left > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += left / 1000;
            ts.tv_nsec += (long)(left % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
            continue;
        }
        next = net_deadline(interval);
        void (*tick)(kiln_cluster *) = c->tick;
        if (tick) {
            pthread_mutex_unlock(&c->lock);
            tick(c);
            pthread_mutex_lock(&c->lock);
            if (c->stopping) break;
        }
        send_releases(c, interval); /* those that found no idle slot before */
        if (cap < c->nslots) {
            slot **grown = realloc(idle, c->nslots * sizeof *idle);
            if (!grown) continue;
            idle = grown;
            cap = c->nslots;
        }
        size_t n = 0;
        for (size_t i = 0; i < c->nslots; i++) {
            slot *s = c->slots[i];
            if (s->dead || s->busy) continue;
            s->busy = true;
            idle[n++] = s;
        }
        pthread_mutex_unlock(&c->lock);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        net_heartbeat h = {.seq = ++seq,
                           .sent_ms = (uint64_t)now.tv_sec * 1000 +
                                      (uint64_t)now.tv_nsec / 1000000};
        kiln_buf b;
        kiln_buf_init(&b);
        if (n && net_msg_heartbeat_write(&b, &h) == KILN_OK)
            for (size_t i = 0; i < n; i++)
                net_send_frame(idle[i]->fd, NET_MSG_HEARTBEAT, b.data, b.len, interval,
                               idle[i]->peer);
        kiln_buf_release(&b);
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < n; i++) idle[i]->busy = false;
        if (n) pthread_cond_broadcast(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
    free(idle);
    return NULL;
}

int driver_new(kiln_context *ctx, const char *host, const uint8_t *secret, size_t len,
               kiln_cluster **out)
{
    kiln_cluster *c = len <= NET_SECRET_MAX ? calloc(1, sizeof *c) : NULL;
    if (!c) return kiln_set_error(KILN_ENOMEM, "out of memory");
    c->base.ops = &cluster_backend_ops;
    c->ctx = ctx;
    memcpy(c->secret, secret, len);
    c->secret_len = len;
    c->lfd = -1;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    /* As Spark's spark.network.timeout, a bare number is seconds. */
    const char *t = kiln_conf_get(ctx_conf(ctx), "kiln.network.timeout");
    double secs = 120;
    int rc = KILN_OK;
    if (t && (parse_duration(t, 1, &secs) || secs < 0.1))
        rc = kiln_set_error(KILN_ECONF,
                            "kiln.network.timeout: expected a duration like 120s or "
                            "1500ms, got '%s'",
                            t);
    c->timeout_ms = secs * 1000 > INT32_MAX ? INT32_MAX : (int)(secs * 1000);
    if (!rc) rc = net_tls_enabled(ctx_conf(ctx), &c->tls);
    if (!rc && !(c->tracker = map_tracker_new())) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    if (!rc) rc = net_listen(host, 0, 128, &c->lfd, &c->port);
    net_listener_opts lo = {.secret = c->secret,
                            .secret_len = c->secret_len,
                            .tls = c->tls,
                            .handshake_timeout_ms = AUTH_TIMEOUT_MS,
                            .component = "cluster",
                            .peer_prefix = "connection from"};
    if (!rc) rc = net_listener_start(c->lfd, &lo, on_connection, c, &c->listener);
    if (!rc && pthread_create(&c->pinger, NULL, pinger_main, c))
        rc = kiln_set_error(KILN_ENOMEM, "cannot start the driver's heartbeat thread");
    if (!rc) c->pinger_started = true;
    if (rc) {
        driver_free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}

int driver_wait_slots(kiln_cluster *c, int want, int timeout_ms, bool (*gone)(kiln_cluster *c))
{
    int64_t deadline = net_deadline(timeout_ms);
    pthread_mutex_lock(&c->lock);
    while ((int)c->nslots < want && net_remaining_ms(deadline) > 0 && !(gone && gone(c))) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    int got = (int)c->nslots;
    pthread_mutex_unlock(&c->lock);
    return got;
}

void driver_free(kiln_cluster *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (c->pinger_started) pthread_join(c->pinger, NULL);
    net_listener_stop(c->listener);
    net_close(c->lfd);
    for (size_t i = 0; i < c->nslots; i++) {
        slot *s = c->slots[i];
        if (!s->dead) net_send_frame(s->fd, NET_MSG_SHUTDOWN, NULL, 0, 1000, "executor");
        net_close(s->fd);
        free(s);
    }
    /* Connection handlers still authenticating hold c: wait for them. */
    net_listener_free(c->listener);
    memset(c->secret, 0, sizeof c->secret);
    map_tracker_free(c->tracker);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c->slots);
    for (size_t e = 0; e < c->nexecs; e++)
        for (int k = 0; k < 3; k++) free(c->execs[e].pending[k]);
    free(c->execs);
    free(c->cancel_jobs);
    free(c);
}

int cluster_cores(const kiln_cluster *c)
{
    pthread_mutex_lock((pthread_mutex_t *)&c->lock);
    int n = (int)c->nslots;
    pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
    return n;
}

/* ---- Running tasks ---------------------------------------------------------- */

static bool excluded(const kiln_task *t, int exec)
{
    for (int i = 0; i < t->nexclude; i++)
        if (t->exclude[i] == exec) return true;
    return false;
}

/* Waits for a free live slot for t, one of executor `prefer` when it has one
 * free (it holds the task's cached input). While some live executor is not
 * in t->exclude, only such executors' slots are taken (waiting for one to
 * be free); when every live one is excluded, any slot is (a task is never
 * left with nowhere to run). NULL when every executor is lost and none
 * joins within the wait the mode allows (none when none can come back, the
 * cluster stops or t's job is cancelled). */
static slot *acquire(kiln_cluster *c, const kiln_task *t, int prefer)
{
    pthread_mutex_lock(&c->lock);
    int64_t deadline = -1;
    for (;;) {
        bool any_live = false, strict = false;
        for (size_t i = 0; i < c->nslots && t->nexclude && !strict; i++)
            strict = !c->slots[i]->dead && !excluded(t, c->slots[i]->exec);
        if (strict && excluded(t, prefer)) prefer = -1;
        for (size_t i = 0; i < c->nslots && prefer >= 0; i++) {
            slot *s = c->slots[i];
            if (s->exec == prefer && !s->dead && !s->busy) {
                s->busy = true;
                pthread_mutex_unlock(&c->lock);
                return s;
            }
        }
        for (size_t i = 0; i < c->nslots; i++) {
            slot *s = c->slots[i];
            if (s->dead) continue;
            any_live = true;
            if (!s->busy && !(strict && excluded(t, s->exec))) {
                s->busy = true;
                pthread_mutex_unlock(&c->lock);
                return s;
            }
        }
        if (!any_live) {
            /* Executors may be restarted (by their workers, or by
             * local-cluster): wait a while, unless none can come back. */
            if (c->stopping || (c->npids > 0 && c->retired >= c->npids) || kiln_task_cancelled(t))
                break;
            if (deadline < 0) deadline = net_deadline(c->rejoin_ms);
            if (net_remaining_ms(deadline) == 0) break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
            continue;
        }
        pthread_cond_wait(&c->cond, &c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void forget_output(void *arg, int id, int map)
{
    kiln_cluster *c = arg;
    shuffle_invalidate(ctx_shuffles(c->ctx), id, map);
}

/* Caller holds the lock. Loses execs[x] (unless it is already): every slot
 * of it and every map output it held. Returns whether it was live. */
static bool lose_locked(kiln_cluster *c, int x)
{
    exec_rec *e = &c->execs[x];
    if (e->lost) return false;
    e->lost = true;
    for (size_t i = 0; i < c->nslots; i++) {
        slot *o = c->slots[i];
        if (o->exec != x) continue;
        o->dead = true;
        shutdown(o->fd, SHUT_RDWR); /* ends the others' waits; fds close at the end */
    }
    int n = map_tracker_lose_executor(c->tracker, (uint32_t)x, forget_output, c);
    ctx_note_lost_map_outputs(c->ctx, n);
    LOG(LOG_WARN, "cluster", "executor %u lost, and with it %d map outputs", e->id, n);
    pthread_cond_broadcast(&c->cond);
    return true;
}

/* Posts EV_EXECUTOR_LOST for execs[x], registered as id. */
static void post_lost(kiln_cluster *c, int x, uint32_t id, const char *why)
{
    char name[32];
    snprintf(name, sizeof name, "%u", id);
    events_post(c->ctx, &(engine_event){
                            .kind = EV_EXECUTOR_LOST, .executor = x, .name = name, .message = why});
}

/* Gives s back; lost: its executor is gone, and with it every slot of it
 * and every map output it held. */
static void release(kiln_cluster *c, slot *s, bool lost)
{
    pthread_mutex_lock(&c->lock);
    s->busy = false;
    int x = s->exec;
    uint32_t id = c->execs[x].id;
    bool newly = lost && lose_locked(c, x);
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (newly) post_lost(c, x, id, "its connections failed or went silent");
}

void driver_lose_executor(kiln_cluster *c, uint32_t id, const char *why)
{
    pthread_mutex_lock(&c->lock);
    int newly = -1; /* at most one process of an id is live */
    for (size_t x = 0; x < c->nexecs; x++)
        if (c->execs[x].id == id && lose_locked(c, (int)x)) newly = (int)x;
    pthread_mutex_unlock(&c->lock);
    if (newly >= 0) post_lost(c, newly, id, why);
}

/* Sends the task on s and waits for its result frame (heartbeats keep the
 * wait alive; silence past the network timeout is a lost executor). */
static int exchange(kiln_cluster *c, slot *s, const kiln_buf *msg, net_frame *reply)
{
    int rc = net_send_frame(s->fd, NET_MSG_LAUNCH_TASK, msg->data, msg->len, c->timeout_ms,
                            s->peer);
    while (rc == KILN_OK) {
        rc = net_recv_frame(s->fd, MAX_TASK_FRAME, c->timeout_ms, s->peer, reply);
        if (rc) break;
        if (reply->type == NET_MSG_TASK_RESULT) return KILN_OK;
        bool heartbeat = reply->type == NET_MSG_HEARTBEAT;
        net_frame_release(reply);
        if (!heartbeat)
            rc = kiln_set_error(KILN_ECORRUPT, "%s sent %s while running a task", s->peer,
                                net_msg_name(reply->type));
    }
    return rc;
}

/* Applies a decoded result to t: accumulators, shuffle state, records. */
static int apply_result(kiln_cluster *c, kiln_task *t, shuffle_dep *dep, const result_msg *m,
                        part_result_fn fn, void *arg, kiln_buf *result, int exec, uint32_t id)
{
    ctx_note_remote_fetch(c->ctx, (int64_t)m->fetch_bytes, (int64_t)m->fetch_us,
                          (int64_t)m->fetch_retries);
    t->metrics = m->metrics;
    if (m->status == TASK_FETCH_FAILED) {
        t->fetch_shuffle = m->fetch_shuffle;
        t->fetch_map = m->fetch_map;
        return task_error(t, KILN_EFETCH, "on executor %u: %s", id, m->error);
    }
    if (m->status == TASK_FAILED)
        return task_error(t, m->rc < 0 ? m->rc : KILN_EUSER, "on executor %u: %s", id, m->error);
    kiln_arena *a = kiln_arena_new();
    if (!a) return task_error(t, KILN_ENOMEM, "out of memory");
    int rc = KILN_OK;
    size_t at = 0;
    for (uint32_t i = 0; i < m->naccs && rc == KILN_OK; i++) {
        uint64_t acc;
        kiln_value v;
        size_t used;
        if (m->accs_len - at < 8) {
            rc = KILN_ECORRUPT;
            break;
        }
        memcpy(&acc, m->accs + at, 8);
        at += 8;
        rc = kiln_value_decode(a, m->accs + at, m->accs_len - at, &v, &used);
        at += used;
        if (rc == KILN_OK) rc = kiln_accumulator_add(t, (int64_t)acc, v);
    }
    for (size_t i = 0; rc == KILN_OK && i + CACHED_ENTRY <= m->cached_len; i += CACHED_ENTRY) {
        wire_reader wr;
        wire_reader_init(&wr, m->cached + i, CACHED_ENTRY, "TASK_RESULT");
        uint32_t rdd = wire_get_u32(&wr, "cached RDD"), part = wire_get_u32(&wr, "cached part");
        uint64_t mem = wire_get_u64(&wr, "cached memory"), disk = wire_get_u64(&wr, "cached disk");
        if (rdd > INT32_MAX || part > INT32_MAX || mem > INT64_MAX || disk > INT64_MAX) continue;
        rc = map_tracker_add_cached(c->tracker, (int)rdd, (int)part, (uint32_t)exec);
        if (rc == KILN_OK && events_wanted(c->ctx)) {
            char name[32];
            snprintf(name, sizeof name, "%u", id);
            events_post(c->ctx, &(engine_event){.kind = EV_BLOCK_UPDATED,
                                                .job = t->job,
                                                .stage = t->stage,
                                                .partition = t->partition,
                                                .rdd = (int)rdd,
                                                .part = (int)part,
                                                .bytes = (int64_t)mem,
                                                .disk_bytes = (int64_t)disk,
                                                .executor = exec,
                                                .name = name});
        }
    }
    if (rc == KILN_OK && dep) {
        rc = map_tracker_record(c->tracker, dep_id(dep), dep_maps(dep), t->partition,
                                (uint32_t)exec);
        if (rc == KILN_OK) shuffle_mark_done(ctx_shuffles(c->ctx), dep_id(dep), t->partition);
    } else if (rc == KILN_OK && m->final) {
        rc = kiln_buf_append(result, m->records, m->records_len);
    } else if (rc == KILN_OK) {
        val_vec vv = {0};
        rc = values_decode_all(a, m->records, m->records_len, &vv);
        eng_iter *it = rc ? NULL : iter_over_array(vv.v, vv.n);
        if (rc == KILN_OK && !it) rc = KILN_ENOMEM;
        if (it) {
            rc = fn(t, it, result, arg);
            it->close(it);
        }
        val_vec_release(&vv);
    }
    kiln_arena_free(a);
    if (rc && !t->error)
        task_error(t, rc, "bad result from executor %u: %s", id, kiln_strerror(rc));
    return rc;
}

/* The LAUNCH_TASK payload of t, for slot s (broadcasts it has not carried). */
static int task_payload(kiln_cluster *c, slot *s, kiln_task *t, kiln_rdd *root, shuffle_dep *dep,
                        const shipped_action *ship, kiln_buf *msg, int64_t *nb)
{
    kiln_buf lineage, bc, locs;
    kiln_buf_init(&lineage);
    kiln_buf_init(&bc);
    kiln_buf_init(&locs);
    int rc = lineage_encode(root, &lineage);
    if (!rc) rc = map_tracker_encode_for(c->tracker, dep ? dep_parent(dep) : root, &locs);
    task_msg m = {.job = (uint32_t)t->job,
                  .stage = (uint32_t)t->stage,
                  .partition = (uint32_t)t->partition,
                  .attempt = (uint32_t)t->attempt,
                  .dep = dep ? dep_id(dep) : -1,
                  .lineage = lineage.data,
                  .lineage_len = lineage.len,
                  .locations = locs.data,
                  .locations_len = locs.len};
    uint8_t action[FNREF_WIRE_MAX];
    if (!rc && !dep && ship) {
        fnref ref;
        rc = fnref_from_pointer((const void *)ship->remote, &ref);
        m.action = action;
        m.action_len = rc ? 0 : fnref_encode(&ref, action);
        m.wire = ship->wire;
        m.wire_len = ship->wire_len;
    }
    uint32_t count = 0;
    *nb = s->broadcasts_sent;
    if (!rc) rc = ctx_broadcasts_encode(c->ctx, s->broadcasts_sent, &bc, &count, nb);
    m.first_broadcast = (uint32_t)s->broadcasts_sent + 1;
    m.nbroadcasts = count;
    m.last_broadcast = (uint32_t)*nb;
    m.broadcasts = bc.data;
    m.broadcasts_len = bc.len;
    if (!rc) rc = task_msg_write(msg, &m);
    kiln_buf_release(&lineage);
    kiln_buf_release(&bc);
    kiln_buf_release(&locs);
    return rc;
}

int cluster_run_task(kiln_cluster *c, kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep,
                     part_result_fn fn, void *arg, const shipped_action *ship, kiln_buf *result)
{
    kiln_rdd *root = dep ? ctx_dep_owner(c->ctx, dep) : rdd;
    if (!root) return task_error(t, KILN_ESTATE, "shuffle %d has no owner RDD", dep_id(dep));
    int prefer = map_tracker_cached_at(c->tracker, dep ? dep_parent(dep) : root, t->partition);
    slot *s = acquire(c, t, prefer);
    if (kiln_task_cancelled(t)) { /* while it waited for a slot */
        if (s) release(c, s, false);
        return task_error(t, KILN_EJOB, "job %d cancelled", t->job);
    }
    if (!s) return task_error(t, KILN_EIO, "every executor of the cluster is lost");
    /* What the executor has to hear about goes first, on the slot we hold. */
    release_msg rel;
    pthread_mutex_lock(&c->lock);
    t->executor = s->exec;
    snprintf(t->executor_id, sizeof t->executor_id, "%u", c->execs[s->exec].id);
    bool has_release = take_pending(&c->execs[s->exec], &rel);
    pthread_mutex_unlock(&c->lock);
    task_launched(t); /* EV_TASK_START, now that it has an executor */
    if (has_release) send_release(s, &rel, c->timeout_ms);
    kiln_buf msg;
    kiln_buf_init(&msg);
    int64_t nb = 0;
    int rc = task_payload(c, s, t, root, dep, ship, &msg, &nb);
    if (rc) {
        task_error(t, rc, "%s", kiln_last_error());
        release(c, s, false);
        kiln_buf_release(&msg);
        return rc;
    }
    s->broadcasts_sent = nb; /* a failed send loses the executor anyway */
    net_frame reply = {0};
    rc = exchange(c, s, &msg, &reply);
    kiln_buf_release(&msg);
    if (rc) {
        pthread_mutex_lock(&c->lock);
        uint32_t id = c->execs[s->exec].id;
        pthread_mutex_unlock(&c->lock);
        task_error(t, KILN_EIO, "executor %u lost: %s", id, kiln_last_error());
        release(c, s, true);
    } else {
        result_msg r;
        char err[1024];
        rc = result_msg_read(reply.payload.data, reply.payload.len, &r, err, sizeof err);
        int exec = s->exec;
        release(c, s, false);
        pthread_mutex_lock(&c->lock);
        uint32_t id = c->execs[exec].id;
        pthread_mutex_unlock(&c->lock);
        rc = rc ? task_error(t, rc, "executor %u: %s", id, kiln_last_error())
                : apply_result(c, t, dep, &r, fn, arg, result, exec, id);
    }
    net_frame_release(&reply);
    return rc;
}

/* ---- Cached partitions --------------------------------------------------------- */

int cluster_cached_partitions(kiln_cluster *c, int rdd)
{
    return map_tracker_cached_count(c->tracker, rdd);
}

/* Sends a one-u32 request (REMOVE_RDD, CANCEL_JOBS) to one block server
 * and waits for its echo, each step within timeout_ms. */
static int tell_block_server(kiln_cluster *c, const char *host, int port, int type, uint32_t value,
                             int timeout_ms)
{
    char name[NET_HOST_MAX + 48];
    snprintf(name, sizeof name, "the block server at %s:%d", host, port);
    uint8_t payload[4] = {(uint8_t)value, (uint8_t)(value >> 8), (uint8_t)(value >> 16),
                          (uint8_t)(value >> 24)};
    int fd = -1;
    int dial_ms = timeout_ms < AUTH_TIMEOUT_MS ? timeout_ms : AUTH_TIMEOUT_MS;
    int rc = net_dial(host, port, c->secret, c->secret_len, c->tls, dial_ms, name, &fd);
    if (!rc) rc = net_send_frame(fd, (uint8_t)type, payload, sizeof payload, timeout_ms, name);
    net_frame f = {0};
    if (!rc) rc = net_recv_frame(fd, 64, timeout_ms, name, &f);
    if (!rc && f.type != type)
        rc = kiln_set_error(KILN_ECORRUPT, "%s answered %s with %s", name, net_msg_name(type),
                            net_msg_name(f.type));
    net_frame_release(&f);
    net_close(fd);
    return rc;
}

void cluster_unpersist(kiln_cluster *c, int rdd)
{
    map_tracker_forget_rdd(c->tracker, rdd);
    pthread_mutex_lock(&c->lock);
    size_t n = c->nexecs;
    exec_rec *live = calloc(n + 1, sizeof *live);
    size_t nlive = 0;
    for (size_t i = 0; live && i < n; i++)
        if (!c->execs[i].lost) live[nlive++] = c->execs[i];
    pthread_mutex_unlock(&c->lock);
    /* An executor that cannot be told is lost or about to be: its blocks go with it. */
    for (size_t i = 0; i < nlive; i++)
        if (tell_block_server(c, live[i].block_host, live[i].block_port, NET_MSG_REMOVE_RDD,
                              (uint32_t)rdd, c->timeout_ms))
            LOG(LOG_WARN, "cluster", "unpersist of RDD %d on executor %u: %s", rdd, live[i].id,
                kiln_last_error());
    free(live);
}

/* ---- The engine's task backend ------------------------------------------------ */

static int backend_cores(task_backend *b)
{
    return cluster_cores((kiln_cluster *)b);
}

static int backend_run_task(task_backend *b, kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep,
                            part_result_fn fn, void *arg, const shipped_action *ship,
                            kiln_buf *result)
{
    return cluster_run_task((kiln_cluster *)b, t, rdd, dep, fn, arg, ship, result);
}

static int backend_cached_partitions(task_backend *b, int rdd)
{
    return cluster_cached_partitions((kiln_cluster *)b, rdd);
}

static void backend_unpersist(task_backend *b, int rdd)
{
    cluster_unpersist((kiln_cluster *)b, rdd);
}

static void backend_cleanup(task_backend *b, cleanup_kind kind, int64_t id)
{
    cluster_cleanup((kiln_cluster *)b, kind, id);
}

static void backend_cancel(task_backend *b, int below)
{
    cluster_cancel((kiln_cluster *)b, below);
}

static void backend_cancel_job(task_backend *b, int job)
{
    cluster_cancel_job((kiln_cluster *)b, job);
}

static void backend_stop(task_backend *b)
{
    cluster_stop((kiln_cluster *)b);
}

const task_backend_ops cluster_backend_ops = {
    .name = "cluster",
    .cores = backend_cores,
    .run_task = backend_run_task,
    .cached_partitions = backend_cached_partitions,
    .unpersist = backend_unpersist,
    .cleanup = backend_cleanup,
    .cancel = backend_cancel,
    .cancel_job = backend_cancel_job,
    .stop = backend_stop,
    .remote = true,
};

kiln_cluster *cluster_of(kiln_context *ctx)
{
    task_backend *b = ctx ? ctx_backend(ctx) : NULL;
    return b && b->ops == &cluster_backend_ops ? (kiln_cluster *)b : NULL;
}
