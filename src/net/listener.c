/*
 * net/listener.c - the one accept loop of cluster mode's thread-per-connection
 * servers (net.h): the driver's listener (executors' slots, workers fetching
 * the program) and every executor's block server.
 *
 * One thread accepts (net_accept, which polls the listening socket at most
 * ACCEPT_POLL_MS at a time, so a stop is seen within that), and each
 * accepted connection gets a detached thread of its own that runs the
 * server's side of the handshake (TLS when asked, then the HMAC
 * challenge-response) and hands the authenticated socket to the server's
 * handler. A connection that fails the handshake is logged and closed; the
 * handler never sees it. The listener counts the connection threads, so
 * net_listener_free can wait for the last one.
 *
 * Handshakes run on the connections' threads, blocking, each within the
 * handshake timeout. Making them non-blocking (a state machine per pending
 * connection driven by a poll() loop on the accept thread, the handler
 * started once it has succeeded) changes this file only: handlers already
 * get authenticated sockets.
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

enum { ACCEPT_POLL_MS = 200 };

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
};

/* One accepted connection, owned by its thread. */
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
    const net_listener_opts *o = &l->o;
    int rc = KILN_OK;
    if (o->secret) {
        int ms = o->handshake_timeout_ms;
        if (o->tls) rc = net_tls_server(j->fd, o->secret, o->secret_len, ms, j->peer);
        if (rc == KILN_OK) rc = net_auth_server(j->fd, o->secret, o->secret_len, ms, j->peer);
    }
    if (rc == KILN_OK) {
        l->fn(l->arg, j->fd, j->peer);
    } else {
        LOG_THROTTLED(&l->refused_log, LOG_WARN, o->component, "refused %s: %s", j->peer,
                      kiln_last_error());
        net_close(j->fd);
    }
    free(j);
    handler_done(l);
    return NULL;
}

/* Hands fd (accepted from addr) to a thread of its own. */
static void dispatch(net_listener *l, int fd, const char *addr)
{
    conn_job *j = malloc(sizeof *j);
    if (j) {
        *j = (conn_job){.l = l, .fd = fd};
        snprintf(j->peer, sizeof j->peer, "%s%s%s", l->o.peer_prefix ? l->o.peer_prefix : "",
                 l->o.peer_prefix ? " " : "", addr);
    }
    pthread_mutex_lock(&l->lock);
    l->handlers++;
    pthread_mutex_unlock(&l->lock);
    if (!j || thread_detached(conn_main, j) != KILN_OK) {
        LOG_THROTTLED(&l->refused_log, LOG_WARN, l->o.component,
                      "dropped a connection from %s: cannot start its thread", addr);
        net_close(fd);
        free(j);
        handler_done(l);
    }
}

static void *accept_main(void *arg)
{
    net_listener *l = arg;
    while (!l->stopping) {
        int rc = net_wait(l->lfd, POLLIN, net_deadline(ACCEPT_POLL_MS),
                          "waiting for a connection on", "the listening socket");
        if (rc != KILN_OK) continue; /* timed out: look at the stop flag */
        int fd;
        char addr[NET_HOST_MAX + 16];
        rc = net_accept_nb(l->lfd, &fd, addr, sizeof addr);
        if (rc == KILN_OK && fd >= 0) {
            dispatch(l, fd, addr);
        } else if (rc != KILN_OK) {
            /* Out of descriptors, say: the socket stays readable, so wait
             * before trying again rather than spin. */
            LOG_THROTTLED(&l->accept_log, LOG_WARN, l->o.component, "%s", kiln_last_error());
            poll(NULL, 0, ACCEPT_POLL_MS);
        }
    }
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
