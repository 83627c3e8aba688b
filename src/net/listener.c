/*
 * net/listener.c - the one accept loop of cluster mode's thread-per-connection
 * servers (net.h): the driver's listener (executors' slots, workers fetching
 * the program) and every executor's block server.
 *
 * One thread accepts and runs the handshakes of new connections itself
 * (TLS when asked, then the HMAC challenge-response), each a net_handshake
 * state machine driven from its poll() loop, so an unauthenticated peer
 * costs a descriptor and about 1 KiB, never a thread. Only a
 * connection that has passed its handshake gets a detached thread of its
 * own, which runs the server's handler; a connection that fails is logged
 * (throttled) and closed, and the handler never sees it. The listener
 * counts the connection threads, so net_listener_free can wait for the
 * last one.
 *
 * Pending handshakes are bounded: at most MAX_PENDING, MAX_PENDING_SOURCE
 * of them from one address. A new connection past a bound evicts the
 * oldest pending one (from the same address when that is the bound hit;
 * of those, one whose handshake got least far) rather than being refused: refusing would let
 * whoever holds the slots with silent connections lock every later client out until their deadlines
 * expire (and they can reconnect at once), while evicting the oldest means an attacker must open
 * connections faster than a real client finishes its handshake (well under a millisecond on a LAN)
 * to keep anyone out, and from one address can only churn its own. When accept fails (out of
 * descriptors: the socket stays readable), the oldest pending handshake is closed to make room, and
 * if there is none the listening socket is left out of poll() for ACCEPT_PAUSE_MS, so the thread
 * never spins; the line is logged at most once a second.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "net/net_int.h"

enum {
    ACCEPT_POLL_MS = 200,     /* the stop flag is seen within this */
    ACCEPT_PAUSE_MS = 100,    /* the listening socket rests after a failed accept */
    ACCEPTS_PER_ROUND = 64,   /* then the pending handshakes get a turn */
    MAX_PENDING = 256,        /* handshakes in progress */
    MAX_PENDING_SOURCE = 128, /* of them from one address */
};

/* A connection whose handshake is in progress, owned by the accept thread.
 * Heap, so the handshake's borrowed peer name stays put. */
typedef struct pending {
    int fd;
    short events;                   /* what its handshake waits for */
    char source[NET_HOST_MAX + 16]; /* the address without the port */
    char peer[NET_HOST_MAX + 64];
    net_handshake hs;
} pending;

struct net_listener {
    int lfd;             /* borrowed */
    net_listener_opts o; /* o.secret borrowed */
    net_conn_fn fn;
    void *arg;
    pthread_t thread;
    bool joined;
    _Atomic bool stopping;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int handlers;             /* connection threads still running, under lock */
    log_throttle refused_log; /* one WARN a second for refused connections */
    log_throttle accept_log;  /* and for failing accepts */
    /* The accept thread's own: */
    pending *pend[MAX_PENDING]; /* oldest first; NULL once closed, until compacted */
    size_t npend;
    struct pollfd pfd[MAX_PENDING + 1];
    int64_t paused_until; /* the listening socket is not polled before this */
};

/* One authenticated connection, owned by its thread. */
typedef struct conn_job {
    net_listener *l;
    int fd;
    char peer[NET_HOST_MAX + 64];
} conn_job;

/* Runs fn(arg) on a detached thread. KILN_ENOMEM when the thread cannot
 * start (then fn never runs). */
static int thread_detached(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr)) return KILN_ENOMEM;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, fn, arg) ? KILN_ENOMEM : KILN_OK;
    pthread_attr_destroy(&attr);
    return rc;
}

static void handler_done(net_listener *l)
{
    pthread_mutex_lock(&l->lock);
    l->handlers--;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

static void *conn_main(void *arg)
{
    conn_job *j = arg;
    net_listener *l = j->l;
    l->fn(l->arg, j->fd, j->peer);
    free(j);
    handler_done(l);
    return NULL;
}

/* Hands the authenticated fd to a thread of its own. */
static void dispatch(net_listener *l, int fd, const char *peer)
{
    conn_job *j = malloc(sizeof *j);
    if (j) {
        *j = (conn_job){.l = l, .fd = fd};
        snprintf(j->peer, sizeof j->peer, "%s", peer);
    }
    pthread_mutex_lock(&l->lock);
    l->handlers++;
    pthread_mutex_unlock(&l->lock);
    if (!j || thread_detached(conn_main, j) != KILN_OK) {
        LOG_THROTTLED(&l->refused_log, LOG_WARN, l->o.component,
                      "dropped a connection from %s: cannot start its thread", peer);
        net_close(fd);
        free(j);
        handler_done(l);
    }
}

/* Closes pending connection i (its slot is compacted later). */
static void pending_close(net_listener *l, size_t i)
{
    pending *p = l->pend[i];
    net_handshake_release(&p->hs);
    net_close(p->fd);
    free(p);
    l->pend[i] = NULL;
}

static void compact(net_listener *l)
{
    size_t j = 0;
    for (size_t i = 0; i < l->npend; i++)
        if (l->pend[i]) l->pend[j++] = l->pend[i];
    l->npend = j;
}

/* Advances pending connection i's handshake: on success its fd goes to a
 * handler's thread, on failure it is closed. */
static void pending_step(net_listener *l, size_t i)
{
    pending *p = l->pend[i];
    int rc = net_handshake_step(&p->hs, &p->events);
    if (rc == KILN_OK && p->events != 0) return; /* waiting */
    if (rc == KILN_OK) {
        int fd = p->fd;
        p->fd = -1;
        dispatch(l, fd, p->peer);
    } else {
        LOG_THROTTLED(&l->refused_log, LOG_WARN, l->o.component, "refused %s: %s", p->peer,
                      kiln_last_error());
    }
    pending_close(l, i);
}

/* True when pending connection i should be evicted before the current
 * choice v (l->npend: none): its handshake got less far. The table is in
 * accept order, so on a tie the older stays chosen. A real client sends
 * its HELLO with the connection and is past that phase at once; a peer
 * that sent a byte and stalled is not, so stalled peers evict each other. */
static bool before(const net_listener *l, size_t i, size_t v)
{
    return v == l->npend || l->pend[i]->hs.phase < l->pend[v]->hs.phase;
}

/* Makes room for a connection from source: evicts a pending one from that
 * address when it has MAX_PENDING_SOURCE, else one of all when there are
 * MAX_PENDING (see the top of the file for why): the one whose handshake
 * got least far, the oldest of those. */
static void make_room(net_listener *l, const char *source)
{
    size_t same = 0, oldest_same = l->npend, oldest = l->npend;
    for (size_t i = 0; i < l->npend; i++) {
        if (before(l, i, oldest)) oldest = i;
        if (strcmp(l->pend[i]->source, source) == 0) {
            same++;
            if (before(l, i, oldest_same)) oldest_same = i;
        }
    }
    size_t victim = same >= MAX_PENDING_SOURCE ? oldest_same
                    : l->npend >= MAX_PENDING  ? oldest
                                               : l->npend;
    if (victim == l->npend) return;
    LOG_THROTTLED(&l->refused_log, LOG_WARN, l->o.component,
                  "dropped %s: too many handshakes in progress (%zu, %zu from %s; at most %d, "
                  "%d from one address)",
                  l->pend[victim]->peer, l->npend, same, source, MAX_PENDING, MAX_PENDING_SOURCE);
    pending_close(l, victim);
    compact(l);
}

/* Takes the connection fd from addr ("host:port"): straight to a handler
 * without a secret, else into the pending table with its handshake begun. */
static void admit(net_listener *l, int fd, const char *addr)
{
    const char *pre = l->o.peer_prefix;
    if (!l->o.secret) {
        char peer[NET_HOST_MAX + 64];
        snprintf(peer, sizeof peer, "%s%s%s", pre ? pre : "", pre ? " " : "", addr);
        dispatch(l, fd, peer);
        return;
    }
    pending *p = calloc(1, sizeof *p);
    if (p == NULL) {
        LOG_THROTTLED(&l->refused_log, LOG_WARN, l->o.component,
                      "dropped a connection from %s: out of memory", addr);
        net_close(fd);
        return;
    }
    p->fd = fd;
    snprintf(p->source, sizeof p->source, "%s", addr);
    char *colon = strrchr(p->source, ':');
    if (colon) *colon = '\0';
    snprintf(p->peer, sizeof p->peer, "%s%s%s", pre ? pre : "", pre ? " " : "", addr);
    make_room(l, p->source);
    l->pend[l->npend++] = p;
    if (net_handshake_init(&p->hs, fd, l->o.secret, l->o.secret_len, l->o.tls,
                           l->o.handshake_timeout_ms, p->peer) != KILN_OK) {
        pending_close(l, l->npend - 1);
        compact(l);
        return;
    }
    /* A client usually sends its first bytes with the connection: try now. */
    pending_step(l, l->npend - 1);
    compact(l);
}

/* Accepts what is waiting, at most ACCEPTS_PER_ROUND. */
static void accept_some(net_listener *l)
{
    for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
        int fd;
        char addr[NET_HOST_MAX + 16];
        int rc = net_accept_nb(l->lfd, &fd, addr, sizeof addr);
        if (rc == KILN_OK && fd < 0) return; /* none left */
        if (rc == KILN_OK) {
            admit(l, fd, addr);
            continue;
        }
        /* Out of descriptors, say: the socket stays readable. A descriptor
         * held by the oldest unauthenticated peer is worth less than the
         * connection waiting; with none to give up, rest. */
        if (l->npend > 0) {
            size_t v = l->npend;
            for (size_t k = 0; k < l->npend; k++)
                if (before(l, k, v)) v = k;
            LOG_THROTTLED(&l->accept_log, LOG_WARN, l->o.component,
                          "%s; closing %s, the oldest connection still in its handshake",
                          kiln_last_error(), l->pend[v]->peer);
            pending_close(l, v);
            compact(l);
        } else {
            LOG_THROTTLED(&l->accept_log, LOG_WARN, l->o.component, "%s", kiln_last_error());
            l->paused_until = net_deadline(ACCEPT_PAUSE_MS);
            return;
        }
    }
}

static void *accept_main(void *arg)
{
    net_listener *l = arg;
    while (!l->stopping) {
        bool listening = net_remaining_ms(l->paused_until) == 0;
        int timeout = listening ? ACCEPT_POLL_MS : net_remaining_ms(l->paused_until);
        size_t n = 0;
        l->pfd[n++] = (struct pollfd){.fd = listening ? l->lfd : -1, .events = POLLIN};
        for (size_t i = 0; i < l->npend; i++) {
            pending *p = l->pend[i];
            l->pfd[n++] = (struct pollfd){.fd = p->fd, .events = p->events};
            int left = net_handshake_timeout_ms(&p->hs);
            if (left >= 0 && left < timeout) timeout = left;
        }
        int r = poll(l->pfd, n, timeout);
        if (r < 0 && errno != EINTR) {
            LOG_THROTTLED(&l->accept_log, LOG_WARN, l->o.component, "poll: %s", strerror(errno));
            poll(NULL, 0, ACCEPT_POLL_MS);
            continue;
        }
        /* Handshakes first (those ready, and those whose deadline passed:
         * the step reads what came and then judges the deadline), then new
         * connections. The table only changes in the second part. */
        size_t npend = l->npend;
        for (size_t i = 0; i < npend; i++)
            if ((r > 0 && l->pfd[i + 1].revents) || net_handshake_timeout_ms(&l->pend[i]->hs) == 0)
                pending_step(l, i);
        compact(l);
        if (r > 0 && l->pfd[0].revents) accept_some(l);
    }
    for (size_t i = 0; i < l->npend; i++) pending_close(l, i);
    l->npend = 0;
    return NULL;
}

int net_listener_start(int lfd, const net_listener_opts *o, net_conn_fn fn, void *arg,
                       net_listener **out)
{
    if (o->secret && (o->secret_len < NET_SECRET_MIN || o->secret_len > NET_SECRET_MAX))
        return kiln_set_error(KILN_EINVAL, "listener: a secret of %zu bytes", o->secret_len);
    net_listener *l = calloc(1, sizeof *l);
    if (!l) return kiln_set_error(KILN_ENOMEM, "out of memory for a listener");
    l->lfd = lfd;
    l->o = *o;
    if (!l->o.component) l->o.component = "net";
    l->fn = fn;
    l->arg = arg;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    if (pthread_create(&l->thread, NULL, accept_main, l)) {
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->cond);
        free(l);
        return kiln_set_error(KILN_ENOMEM, "cannot start the %s accept thread", o->component);
    }
    *out = l;
    return KILN_OK;
}

void net_listener_stop(net_listener *l)
{
    if (!l || l->joined) return;
    l->stopping = true;
    pthread_join(l->thread, NULL);
    l->joined = true;
}

void net_listener_free(net_listener *l)
{
    if (!l) return;
    net_listener_stop(l);
    pthread_mutex_lock(&l->lock);
    while (l->handlers > 0) pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    free(l);
}
