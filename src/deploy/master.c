/*
 * deploy/master.c - the standalone master: one thread, one poll() loop over
 * the kiln protocol's listening socket and every open connection (the web
 * pages and GET /json run on the web server's own thread, master_web.c,
 * and read the tables through a snapshot this loop makes between rounds). It keeps the table of
 * workers: each registers (REGISTER_WORKER), gets an id (REGISTERED_WORKER), then sends HEARTBEATs;
 * it becomes DEAD when its connection drops or no heartbeat arrives within
 * the network timeout. Drivers register applications (REGISTER_APP; the
 * application table is master_apps.c). Status clients get the tables
 * (STATUS_REQUEST / STATUS_REPLY, or GET /json with a bearer token).
 *
 * Robustness against slow or hostile peers, because one loop serves all:
 * - a new connection is read by no one but its handshake (net_handshake,
 *   a state machine of src/net) until that has succeeded; the handshake
 *   never blocks the loop: it takes what the socket holds whenever poll()
 *   says so, within AUTH_TIMEOUT_MS for the whole of it;
 * - connections that have proved nothing yet (handshake not done) are bounded per kind, in total
 * and per source address; past a bound the oldest is evicted (make_room says why);
 * - when accept fails (out of descriptors, the listening socket staying
 *   readable), the oldest such connection is closed, or with none the
 *   listeners rest ACCEPT_PAUSE_MS: the loop never spins;
 * - liveness: a worker is judged on heartbeats read before the judgement,
 *   and time the master itself was stalled (stopped, or a slow round) is
 *   not counted against it (check_timeouts);
 * - authenticated connections are read without blocking, through a frame
 *   decoder per connection, with a 64 KiB frame limit;
 * - HTTP is the web server's (src/web: its own bounds and deadlines); a
 *   page only costs this loop a snapshot of the tables;
 * - replies are small and sent with a deadline (SEND_TIMEOUT_MS);
 * - the number of connections is capped (MAX_CONNS); more are closed at once.
 * A failed handshake closes the connection and changes no state.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "deploy/master_int.h"

/* ---- Connections ---------------------------------------------------------------- */

/* Connections that have proved nothing yet: a handshake in progress. */
static bool pending(const conn *c)
{
    return !c->closed && c->kind == CONN_AUTH;
}

static void conn_close(master *m, conn *c, const char *why);
static void compact(master *m);

/* How far c's handshake has got: of two pending connections
 * the one with less progress is evicted first, then the older. A real
 * client sends its HELLO with the connection, so it is past that phase at
 * once, while a peer that sent a byte and stalled is not: from one address
 * too, stalled peers then only ever evict each other. */
static int progress(const conn *c)
{
    return c->kind == CONN_AUTH ? (int)c->hs.phase : 0;
}

/* True when c should be evicted before the current choice v (conns[] is in
 * accept order, so on a tie the one seen first, the older, stays chosen). */
static bool before(const conn *c, const conn *v)
{
    return v == NULL || progress(c) < progress(v);
}

/* Makes room for a new connection of kind from source: when that address
 * already has MAX_PENDING_SOURCE pending connections of this kind, its
 * oldest is closed; else when there are MAX_PENDING of the kind, the
 * oldest of all. Evicting rather than refusing the newcomer: refusing
 * would let a peer that holds the slots with stalled connections lock out
 * every later client (a worker, `kiln status`) until their deadlines pass,
 * and then refill them at once; evicting the oldest means it must open
 * connections faster than a real client completes its handshake (well
 * under a millisecond on a LAN) to keep anyone out, and from one address it
 * only churns its own. Among them the one whose handshake got least far
 * goes first (progress). */
static void make_room(master *m, conn_kind kind, const char *source)
{
    size_t total = 0, same = 0;
    conn *oldest = NULL, *oldest_same = NULL;
    for (size_t i = 0; i < m->nconns; i++) {
        conn *c = m->conns[i];
        if (!pending(c) || c->kind != kind) continue;
        total++;
        if (before(c, oldest)) oldest = c;
        if (strcmp(c->source, source) == 0) {
            same++;
            if (before(c, oldest_same)) oldest_same = c;
        }
    }
    conn *victim = same >= MAX_PENDING_SOURCE ? oldest_same : total >= MAX_PENDING ? oldest : NULL;
    if (victim == NULL) return;
    LOG_THROTTLED(&m->refused_log, LOG_WARN, "master",
                  "refused %s: evicted by a newer connection (%zu connections that have not "
                  "authenticated, %zu from %s; at most %d, %d from one address)",
                  victim->peer, total, same, source, MAX_PENDING, MAX_PENDING_SOURCE);
    conn_close(m, victim, "evicted");
}

static conn *conn_add(master *m, int fd, conn_kind kind, const char *peer)
{
    char source[NET_HOST_MAX + 16];
    snprintf(source, sizeof source, "%s", peer);
    char *colon = strrchr(source, ':');
    if (colon) *colon = '\0';
    make_room(m, kind, source);
    compact(m);
    conn *c = calloc(1, sizeof *c);
    if (c == NULL || m->nconns == MAX_CONNS) {
        LOG_THROTTLED(&m->refused_log, LOG_WARN, "master", "refusing connection from %s: %s", peer,
                      c ? "too many connections" : "out of memory");
        free(c);
        net_close(fd);
        return NULL;
    }
    c->fd = fd;
    c->kind = kind;
    c->worker = -1;
    c->app = -1;
    snprintf(c->peer, sizeof c->peer, "peer %s", peer);
    snprintf(c->source, sizeof c->source, "%s", source);
    c->deadline = net_deadline(AUTH_TIMEOUT_MS);
    if (kind == CONN_AUTH) {
        /* Cannot fail: the secret's length was checked when it was loaded. */
        net_handshake_init(&c->hs, fd, m->secret, m->slen, false, AUTH_TIMEOUT_MS, c->peer);
        c->events = POLLIN;
    }
    m->conns[m->nconns++] = c;
    return c;
}

/* Closes c; a worker on it becomes DEAD. Its memory stays until compact(),
 * so a round can still look at it (closed). */
static void conn_close(master *m, conn *c, const char *why)
{
    if (c->closed) return;
    if (c->worker >= 0) {
        worker_rec *w = &m->workers[c->worker];
        w->state = DEPLOY_WORKER_DEAD;
        w->conn = NULL;
        LOG(LOG_WARN, "master", "worker %s (%s) is DEAD: %s", w->id, w->offer.host, why);
        master_app_worker_gone(m, c->worker);
    } else if (c->app >= 0) {
        master_app_driver_gone(m, c);
    } else {
        LOG(LOG_DEBUG, "master", "closing %s: %s", c->peer, why);
    }
    if (c->kind == CONN_PEER) net_frame_decoder_release(&c->dec);
    if (c->kind == CONN_AUTH) net_handshake_release(&c->hs);
    net_close(c->fd);
    c->fd = -1;
    c->closed = true;
}

/* Frees the connections closed during a round. */
static void compact(master *m)
{
    size_t j = 0;
    for (size_t i = 0; i < m->nconns; i++) {
        if (m->conns[i]->closed) free(m->conns[i]);
        else m->conns[j++] = m->conns[i];
    }
    m->nconns = j;
}

/* Sends an ERROR frame (best effort: the connection is closed next). */
void master_send_error(conn *c, int code, const char *msg)
{
    kiln_buf b;
    kiln_buf_init(&b);
    if (net_msg_error_write(&b, code, msg) == KILN_OK)
        net_send_frame(c->fd, NET_MSG_ERROR, b.data, b.len, SEND_TIMEOUT_MS, c->peer);
    kiln_buf_release(&b);
}

/* ---- Workers ---------------------------------------------------------------------- */

/* A slot for a new worker: a fresh one, or the longest-dead one once the
 * table is full. -1 when every remembered worker is ALIVE. */
static int worker_slot(master *m)
{
    if (m->nworkers < MAX_WORKERS) {
        worker_rec *grown = realloc(m->workers, (m->nworkers + 1) * sizeof *grown);
        if (grown == NULL) return -1;
        m->workers = grown;
        return (int)m->nworkers++;
    }
    int best = -1;
    for (size_t i = 0; i < m->nworkers; i++)
        if (m->workers[i].state == DEPLOY_WORKER_DEAD &&
            (best < 0 || m->workers[i].last_heartbeat_ms < m->workers[best].last_heartbeat_ms))
            best = (int)i;
    return best;
}

static int on_register(master *m, conn *c, const net_frame *f)
{
    deploy_worker_register reg;
    int rc = deploy_msg_register_worker_read(f, c->peer, &reg);
    if (rc != KILN_OK) return rc;
    int slot = -1;
    if (c->worker >= 0 || c->app >= 0)
        rc = kiln_set_error(KILN_ESTATE, "REGISTER_WORKER sent twice or by a driver");
    /* Its old connection may still look open here (the worker gave up on
     * it first): that one is closed, so the record can be taken back. */
    for (size_t i = 0; rc == KILN_OK && reg.previous_id[0] && i < m->nworkers; i++)
        if (!strcmp(m->workers[i].id, reg.previous_id) && m->workers[i].conn)
            conn_close(m, m->workers[i].conn, "it registered again on a new connection");
    if (rc == KILN_OK && (slot = master_worker_find(m, reg.previous_id)) < 0 &&
        (slot = worker_slot(m)) < 0)
        rc = kiln_set_error(KILN_ESTATE, "the master holds %d workers", MAX_WORKERS);
    if (rc != KILN_OK) {
        deploy_worker_register_release(&reg);
        return rc;
    }
    worker_rec *w = &m->workers[slot];
    bool back = w->id[0] && !strcmp(w->id, reg.previous_id);
    if (!back) memset(w, 0, sizeof *w);
    master_worker_name(m, slot, reg.previous_id);
    w->offer = reg.offer;
    w->web_port = reg.web_port;
    w->state = DEPLOY_WORKER_ALIVE;
    w->last_heartbeat_ms = deploy_now_ms();
    w->conn = c;
    c->worker = slot;
    c->deadline = -1; /* from now on the heartbeat timeout watches it */
    m->dirty = true;
    kiln_buf b;
    kiln_buf_init(&b);
    rc = deploy_msg_registered_write(&b, w->id);
    if (rc == KILN_OK)
        rc = net_send_frame(c->fd, NET_MSG_REGISTERED_WORKER, b.data, b.len, SEND_TIMEOUT_MS,
                            c->peer);
    kiln_buf_release(&b);
    if (rc == KILN_OK)
        LOG(LOG_INFO, "master", "registered %s%s: %s, %u cores, %llu MiB, work dir %s", w->id,
            back ? " again" : "", reg.offer.host, reg.offer.cores,
            (unsigned long long)(reg.offer.memory >> 20), reg.offer.work_dir);
    /* After REGISTERED_WORKER: it may bring KILL_EXECUTOR for the worker. */
    if (rc == KILN_OK) master_app_worker_back(m, slot, reg.execs, reg.nexecs);
    deploy_worker_register_release(&reg);
    return rc;
}

static int on_heartbeat(master *m, conn *c, const net_frame *f)
{
    net_heartbeat hb;
    int rc = net_msg_heartbeat_read(f, c->peer, &hb);
    if (rc != KILN_OK) return rc;
    if (c->app >= 0) return KILN_OK; /* a driver's: its connection is what counts */
    if (c->worker < 0) return kiln_set_error(KILN_ESTATE, "HEARTBEAT before REGISTER_WORKER");
    m->workers[c->worker].last_heartbeat_ms = deploy_now_ms();
    return KILN_OK;
}

int master_status_snapshot(const master *m, deploy_status *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->url, sizeof s->url, "%s", m->url);
    s->recovering = m->recovering;
    if (m->nworkers == 0) return master_app_status(m, s);
    s->workers = calloc(m->nworkers, sizeof *s->workers);
    if (s->workers == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for the status");
    int64_t now = deploy_now_ms();
    for (size_t i = 0; i < m->nworkers; i++) {
        const worker_rec *w = &m->workers[i];
        deploy_worker_status *ws = &s->workers[i];
        memcpy(ws->id, w->id, sizeof ws->id);
        ws->offer = w->offer;
        ws->state = w->state;
        ws->web_port = w->web_port;
        ws->heartbeat_age_ms = now > w->last_heartbeat_ms ? (uint64_t)(now - w->last_heartbeat_ms)
                                                          : 0;
    }
    s->nworkers = (uint32_t)m->nworkers;
    return master_app_status(m, s);
}

static int on_status_request(master *m, conn *c, const net_frame *f)
{
    int rc = deploy_msg_status_request_check(f, c->peer);
    deploy_status s = {0};
    if (rc == KILN_OK) rc = master_status_snapshot(m, &s);
    kiln_buf b;
    kiln_buf_init(&b);
    if (rc == KILN_OK) rc = deploy_msg_status_reply_write(&b, &s);
    if (rc == KILN_OK)
        rc = net_send_frame(c->fd, NET_MSG_STATUS_REPLY, b.data, b.len, SEND_TIMEOUT_MS, c->peer);
    kiln_buf_release(&b);
    deploy_status_release(&s);
    return rc;
}

/* Handles one frame from an authenticated peer. Nonzero: close it. */
static int on_frame(master *m, conn *c, const net_frame *f)
{
    switch (f->type) {
    case NET_MSG_REGISTER_WORKER:
        return on_register(m, c, f);
    case NET_MSG_HEARTBEAT:
        return on_heartbeat(m, c, f);
    case NET_MSG_STATUS_REQUEST:
        return on_status_request(m, c, f);
    case NET_MSG_REGISTER_APP:
        return master_app_register(m, c, f);
    case NET_MSG_EXECUTOR_STATE:
        return master_app_exec_state(m, c, f);
    default:
        return kiln_set_error(KILN_ECORRUPT, "unexpected %s from %s", net_msg_name(f->type),
                              c->peer);
    }
}

/* ---- Reading ----------------------------------------------------------------------- */

/* Advances c's handshake with what its socket holds (never waiting). */
static void on_auth_ready(master *m, conn *c)
{
    if (net_handshake_step(&c->hs, &c->events) != KILN_OK) {
        LOG_THROTTLED(&m->refused_log, LOG_WARN, "master", "refused %s: %s", c->peer,
                      kiln_last_error());
        conn_close(m, c, "authentication failed");
        return;
    }
    if (c->events != 0) return; /* more to come */
    net_handshake_release(&c->hs);
    c->kind = CONN_PEER;
    c->deadline = net_deadline(IDLE_TIMEOUT_MS);
    net_frame_decoder_init(&c->dec, DEPLOY_APP_MAX_FRAME, c->peer);
}

static void on_peer_readable(master *m, conn *c)
{
    uint8_t buf[16384];
    ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0) {
        conn_close(m, c, "connection closed");
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            conn_close(m, c, strerror(errno));
        return;
    }
    size_t off = 0;
    while (off < (size_t)r) {
        size_t used;
        net_frame f;
        int got = net_frame_decoder_feed(&c->dec, buf + off, (size_t)r - off, &used, &f);
        off += used;
        if (got < 0) {
            conn_close(m, c, kiln_last_error());
            return;
        }
        if (got == 0) break;
        int rc = on_frame(m, c, &f);
        net_frame_release(&f);
        if (rc != KILN_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", kiln_last_error());
            master_send_error(c, rc, why);
            conn_close(m, c, why);
            return;
        }
    }
}

/* ---- The loop ------------------------------------------------------------------------ */

/* accept failed, most likely for want of descriptors: the listening
 * socket stays readable, so retrying at once would spin. The descriptor of
 * the oldest connection that has proved nothing is given up for the one
 * waiting (see make_room); with none, the listeners rest ACCEPT_PAUSE_MS.
 * Returns true when the caller may try again now. */
static bool accept_failed(master *m)
{
    conn *victim = NULL;
    for (size_t i = 0; i < m->nconns; i++)
        if (pending(m->conns[i]) && before(m->conns[i], victim)) victim = m->conns[i];
    if (victim != NULL) {
        LOG_THROTTLED(&m->accept_log, LOG_WARN, "master",
                      "%s; closing %s, the oldest connection that has not authenticated",
                      kiln_last_error(), victim->peer);
        conn_close(m, victim, "evicted: out of descriptors");
        compact(m);
        return true;
    }
    LOG_THROTTLED(&m->accept_log, LOG_WARN, "master", "%s; not accepting for %d ms",
                  kiln_last_error(), ACCEPT_PAUSE_MS);
    m->paused_until = deploy_now_ms() + ACCEPT_PAUSE_MS;
    return false;
}

/* Accepts what is waiting on lfd (at most ACCEPTS_PER_TICK a round). */
static void accept_some(master *m, int lfd, conn_kind kind)
{
    for (int i = 0; i < ACCEPTS_PER_TICK; i++) {
        int fd;
        char peer[NET_HOST_MAX + 16];
        if (net_accept_nb(lfd, &fd, peer, sizeof peer) != KILN_OK) {
            if (accept_failed(m)) continue;
            return;
        }
        if (fd < 0) return; /* none left */
        conn *c = conn_add(m, fd, kind, peer);
        /* A client sends its HELLO with the connection: start at once. */
        if (c != NULL && kind == CONN_AUTH) on_auth_ready(m, c);
    }
}

/* Time the master itself did not run (stopped, swapped out, a round slowed
 * by a blocking send) is not the workers' fault: when this round comes
 * more than STALL_GRACE_MS later than the loop's tick allows, the excess
 * is added to every ALIVE worker's last heartbeat, so a heartbeat timeout
 * only ever counts time in which the master was there to read one. (Their
 * heartbeats sent meanwhile are in the sockets and were read this round,
 * before this judgement, too.) */
static void forgive_stall(master *m, int64_t now)
{
    int64_t gap = m->last_check_ms > 0 ? now - m->last_check_ms : 0;
    m->last_check_ms = now;
    if (gap <= TICK_MS + STALL_GRACE_MS) return;
    int64_t stall = gap - TICK_MS;
    LOG_THROTTLED(&m->stall_log, LOG_WARN, "master",
                  "the master did not run for %lld ms; not counted against workers' heartbeats",
                  (long long)stall);
    for (size_t i = 0; i < m->nworkers; i++) {
        worker_rec *w = &m->workers[i];
        if (w->state != DEPLOY_WORKER_ALIVE) continue;
        w->last_heartbeat_ms += stall;
        if (w->last_heartbeat_ms > now) w->last_heartbeat_ms = now;
    }
}

/* Closes connections past their deadline and workers whose heartbeats
 * stopped. */
static void check_timeouts(master *m)
{
    int64_t now = deploy_now_ms();
    forgive_stall(m, now);
    for (size_t i = 0; i < m->nconns; i++) {
        conn *c = m->conns[i];
        if (c->closed) continue;
        if (c->kind == CONN_AUTH && c->deadline >= 0 && now >= c->deadline) {
            on_auth_ready(m, c); /* reads what came, then fails as timed out */
        } else if (c->deadline >= 0 && now >= c->deadline) {
            conn_close(m, c, "timed out");
        } else if (c->worker >= 0 &&
                   now - m->workers[c->worker].last_heartbeat_ms > m->timeout_ms) {
            char why[96];
            snprintf(why, sizeof why, "no heartbeat for %d ms (network timeout)", m->timeout_ms);
            conn_close(m, c, why);
        }
    }
    compact(m);
}

static void dispatch(master *m, conn *c)
{
    if (c->kind == CONN_AUTH) on_auth_ready(m, c);
    else on_peer_readable(m, c);
}

/* One round: wait for activity (at most TICK_MS), serve it. */
static int loop_once(master *m)
{
    struct pollfd *pfd = m->pfd;
    conn **owner = m->owner;
    size_t n = 0;
    int pause = m->paused_until > 0 ? net_remaining_ms(m->paused_until) : 0;
    /* A negative fd is left out by poll(): the listeners while they rest. */
    pfd[n] = (struct pollfd){.fd = pause ? -1 : m->lfd, .events = POLLIN};
    owner[n++] = NULL;
    pfd[n] = (struct pollfd){.fd = deploy_xchg_fd(&m->xchg), .events = POLLIN};
    owner[n++] = NULL;
    for (size_t i = 0; i < m->nconns; i++) {
        conn *c = m->conns[i];
        pfd[n] = (struct pollfd){.fd = c->fd, .events = c->kind == CONN_AUTH ? c->events : POLLIN};
        owner[n++] = c;
    }
    int r = poll(pfd, n, pause && pause < TICK_MS ? pause : TICK_MS);
    if (r < 0 && errno != EINTR)
        return kiln_set_error(KILN_EIO, "master: poll: %s", strerror(errno));
    if (r < 0) return KILN_OK; /* a signal: nothing was read, judge nothing */
    for (size_t i = 2; r > 0 && i < n; i++)
        if (pfd[i].revents && !owner[i]->closed) dispatch(m, owner[i]);
    compact(m);
    if (r > 0 && pfd[0].revents) accept_some(m, m->lfd, CONN_AUTH);
    if (r > 0 && pfd[1].revents) deploy_xchg_serve(&m->xchg, m); /* a page's snapshot */
    check_timeouts(m);
    master_recovery_tick(m);
    return KILN_OK;
}

/* ---- Start and stop ------------------------------------------------------------------- */

static int master_open(master *m, const deploy_master_opts *o)
{
    memset(m, 0, sizeof *m);
    m->lfd = -1;
    m->xchg.wake[0] = m->xchg.wake[1] = -1;
    m->timeout_ms = o->network_timeout_ms;
    int rc = net_secret_load(o->secret_spec, &m->secret, &m->slen);
    if (rc == KILN_OK) rc = master_recovery_open(m, o->recovery_dir);
    if (rc != KILN_OK) return rc;
    rc = deploy_http_token(m->secret, m->slen, m->token);
    const char *host = o->host && o->host[0] ? o->host : NULL;
    int port = 0, http_port = 0;
    /* A deep backlog: the loop accepts (and evicts) quickly, and while a
     * storm of connections fills a short one the kernel drops the SYN of a
     * real client, which then waits a second or more to retry. */
    if (rc == KILN_OK) rc = net_listen(host, o->port, LISTEN_BACKLOG, &m->lfd, &port);
    if (rc == KILN_OK) rc = deploy_xchg_init(&m->xchg);
    char name[NET_HOST_MAX] = "localhost";
    if (host == NULL && gethostname(name, sizeof name) == 0) name[sizeof name - 1] = '\0';
    /* The pages listen where the master does (every address without
     * --host: then they need the status token, printed below). */
    if (rc == KILN_OK)
        rc = master_web_start(m, host ? host : "", o->http_port, host ? host : name, &http_port);
    if (rc != KILN_OK) return rc;
    net_url_format(m->url, sizeof m->url, "kiln", host ? host : name, port);
    char http_url[DEPLOY_URL_MAX], page_url[DEPLOY_URL_MAX + HTTP_TOKEN_HEX + 16];
    net_url_format(http_url, sizeof http_url, "http", host ? host : name, http_port);
    web_server_url(m->web, host ? host : name, page_url, sizeof page_url);
    fprintf(o->announce, "master listening on %s, status on %s\n", m->url, http_url);
    fprintf(o->announce, "master web UI at %s\n", page_url);
    fflush(o->announce);
    web_server_start(m->web);
    return KILN_OK;
}

static void master_close(master *m)
{
    while (m->nconns > 0) {
        conn *c = m->conns[m->nconns - 1];
        c->worker = c->app = -1; /* shutting down: nothing to report */
        conn_close(m, c, "master stopping");
        compact(m);
    }
    deploy_xchg_shut(&m->xchg); /* a page waiting on the loop gives up */
    master_web_stop(m);
    master_recovery_close(m);
    master_app_free(m);
    free(m->workers);
    net_close(m->lfd);
    deploy_xchg_release(&m->xchg);
    net_secret_free(m->secret, m->slen);
}

int deploy_master_run(const deploy_master_opts *o)
{
    deploy_signals_install();
    master *m = malloc(sizeof *m);
    if (m == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for the master");
    int rc = master_open(m, o);
    while (rc == KILN_OK && !deploy_stop_requested()) rc = loop_once(m);
    master_close(m);
    free(m);
    return rc;
}
