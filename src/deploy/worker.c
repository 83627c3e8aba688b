/*
 * deploy/worker.c - the standalone worker: connects to the master,
 * authenticates, registers (REGISTER_WORKER -> REGISTERED_WORKER with the id
 * the master chose), then sends a HEARTBEAT every heartbeat interval and
 * listens for SHUTDOWN, LAUNCH_EXECUTOR and KILL_EXECUTOR; its executors
 * (worker_exec.c) are reaped and restarted from the same loop, which wakes
 * at least every TICK_MS for that, also between sessions.
 *
 * When the master goes away the executors keep running (they serve their
 * driver, not the master; each exits on its own when its driver goes) and
 * are still reaped and restarted; the worker reconnects, waiting 0.5 s
 * after the first failed attempt, doubling up to 30 s, and registers again
 * with its previous id and the list of executors it runs, so that a
 * restarted master re-attaches them to their applications (or has it kill
 * those of applications it does not know). It gives up after max_attempts
 * failed attempts in a row (16 by default, Spark's number of registration
 * retries), but only once it runs no executor: exiting would orphan
 * executors whose driver is still at work. A wrong secret is never
 * retried: it will not get better, and hammering a master with failed
 * handshakes looks like an attack.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/base.h"
#include "deploy/deploy_int.h"
#include "deploy/worker_exec.h"

#define CONNECT_TIMEOUT_MS 5000
#define HANDSHAKE_TIMEOUT_MS 10000 /* authentication, then registration */
#define SEND_TIMEOUT_MS 5000
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000
#define TICK_MS 100 /* the loop reaps executors at least this often */

typedef struct worker {
    const deploy_worker_opts *o;
    uint8_t *secret;
    size_t slen;
    char peer[NET_HOST_MAX + 32]; /* "master kiln://host:port", for messages */
    char id[DEPLOY_ID_MAX];
    uint64_t seq; /* heartbeat sequence number */
    worker_execs execs;
    bool connected;   /* a session with the master is open */
    deploy_xchg xchg; /* the web pages' snapshots (worker_web.c) */
    web_server *web;  /* NULL: no web UI */
} worker;

/* The end of a session: the worker should stop, or reconnect. */
enum { SESSION_STOP = 1 };

/* The address the master sees us at: what the connected socket is bound to. */
static int local_host(int fd, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) !=
            0)
        return kiln_set_error(KILN_EIO, "cannot tell the local address: %s", strerror(errno));
    return KILN_OK;
}

/* Creates the work directory when absent; it must be a directory. */
static int ensure_work_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return KILN_OK;
        return kiln_set_error(KILN_ECONF, "work directory %s exists and is not a directory", dir);
    }
    if (mkdir(dir, 0700) != 0)
        return kiln_set_error(KILN_EIO, "cannot create work directory %s: %s", dir,
                              strerror(errno));
    return KILN_OK;
}

/* REGISTER_WORKER: the offer, the id we had (w->id, "" the first time) and
 * the executors we still run. */
static int send_register(worker *w, int fd)
{
    deploy_worker_register reg;
    memset(&reg, 0, sizeof reg);
    deploy_register *r = &reg.offer;
    r->cores = w->o->cores;
    r->memory = w->o->memory;
    int rc = KILN_OK;
    if (w->o->host) snprintf(r->host, sizeof r->host, "%s", w->o->host);
    else rc = local_host(fd, r->host, sizeof r->host);
    snprintf(r->work_dir, sizeof r->work_dir, "%s", w->o->work_dir);
    memcpy(reg.previous_id, w->id, sizeof reg.previous_id);
    reg.web_port = w->web ? (uint32_t)web_server_port(w->web) : 0;
    if (rc == KILN_OK) rc = wexec_list(&w->execs, &reg.execs, &reg.nexecs);
    if (rc == KILN_OK && w->execs.host[0] && strcmp(w->execs.host, r->host))
        LOG(LOG_WARN, "worker",
            "advertised host changed from %s to %s: running executors keep "
            "the old one",
            w->execs.host, r->host);
    memcpy(w->execs.host, r->host, sizeof w->execs.host);
    kiln_buf b;
    kiln_buf_init(&b);
    if (rc == KILN_OK) rc = deploy_msg_register_worker_write(&b, &reg);
    if (rc == KILN_OK)
        rc = net_send_frame(fd, NET_MSG_REGISTER_WORKER, b.data, b.len, SEND_TIMEOUT_MS, w->peer);
    kiln_buf_release(&b);
    if (rc == KILN_OK && reg.nexecs)
        LOG(LOG_INFO, "worker", "registering again as %s with %u running executors",
            w->id[0] ? w->id : "a new worker", reg.nexecs);
    deploy_worker_register_release(&reg);
    return rc;
}

/* An ERROR frame from the master as our error (its code, its message). */
static int master_error(worker *w, const net_frame *f)
{
    int code;
    char msg[NET_ERROR_MAX_MESSAGE + 1];
    int rc = net_msg_error_read(f, w->peer, &code, msg, sizeof msg);
    if (rc != KILN_OK) return rc;
    /* A refusal is never taken for a wrong secret (EINVAL: not retried). */
    if (code == KILN_EINVAL || code >= 0) code = KILN_EIO;
    return kiln_set_error(code, "%s refused us: %s", w->peer, msg);
}

static int recv_registered(worker *w, int fd)
{
    net_frame f = {0};
    int rc = net_recv_frame(fd, DEPLOY_CONTROL_MAX_FRAME, HANDSHAKE_TIMEOUT_MS, w->peer, &f);
    if (rc != KILN_OK) return rc;
    if (f.type == NET_MSG_ERROR) rc = master_error(w, &f);
    else rc = deploy_msg_registered_read(&f, w->peer, w->id);
    net_frame_release(&f);
    return rc;
}

/* Connects, authenticates and registers; *fd is the open connection. */
static int session_open(worker *w, int *fd)
{
    *fd = -1;
    int rc = net_connect(w->o->master.host, w->o->master.port, CONNECT_TIMEOUT_MS, fd);
    if (rc == KILN_OK) rc = net_auth_client(*fd, w->secret, w->slen, HANDSHAKE_TIMEOUT_MS, w->peer);
    if (rc == KILN_OK) rc = send_register(w, *fd);
    if (rc == KILN_OK) rc = recv_registered(w, *fd);
    if (rc != KILN_OK) {
        net_close(*fd);
        *fd = -1;
    }
    return rc;
}

static int send_heartbeat(worker *w, int fd)
{
    net_heartbeat hb = {.seq = ++w->seq, .sent_ms = (uint64_t)deploy_now_ms()};
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = net_msg_heartbeat_write(&b, &hb);
    if (rc == KILN_OK)
        rc = net_send_frame(fd, NET_MSG_HEARTBEAT, b.data, b.len, SEND_TIMEOUT_MS, w->peer);
    kiln_buf_release(&b);
    return rc;
}

/* Reads one frame from the master: SESSION_STOP, KILN_OK or an error. */
static int on_master_frame(worker *w, int fd)
{
    net_frame f = {0};
    int rc = net_recv_frame(fd, DEPLOY_APP_MAX_FRAME, SEND_TIMEOUT_MS, w->peer, &f);
    if (rc != KILN_OK) return rc;
    if (f.type == NET_MSG_LAUNCH_EXECUTOR) {
        rc = wexec_launch(&w->execs, &f);
    } else if (f.type == NET_MSG_KILL_EXECUTOR) {
        rc = wexec_kill_app(&w->execs, &f);
    } else if (f.type == NET_MSG_SHUTDOWN) {
        LOG(LOG_INFO, "worker", "%s asked us to shut down", w->peer);
        rc = SESSION_STOP;
    } else if (f.type == NET_MSG_ERROR) {
        rc = master_error(w, &f);
    } else {
        rc = kiln_set_error(KILN_ECORRUPT, "unexpected %s from %s", net_msg_name(f.type), w->peer);
    }
    net_frame_release(&f);
    return rc;
}

/* Sends heartbeats and serves the master until the connection fails
 * (returns the error) or the worker must stop (SESSION_STOP). */
static int session_serve(worker *w, int fd)
{
    int64_t next = deploy_now_ms() + w->o->heartbeat_ms;
    for (;;) {
        if (deploy_stop_requested()) return SESSION_STOP;
        int64_t wait = next - deploy_now_ms();
        if (wait > TICK_MS) wait = TICK_MS;
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                              {.fd = deploy_xchg_fd(&w->xchg), .events = POLLIN}};
        int r = poll(p, 2, wait > 0 ? (int)wait : 0);
        if (r < 0 && errno != EINTR) return kiln_set_error(KILN_EIO, "poll: %s", strerror(errno));
        if (r > 0 && p[1].revents) deploy_xchg_serve(&w->xchg, w); /* a page's snapshot */
        if (r > 0 && p[0].revents) {
            int rc = on_master_frame(w, fd);
            if (rc != KILN_OK) return rc;
        }
        wexec_poll(&w->execs);
        if (deploy_now_ms() >= next) {
            int rc = send_heartbeat(w, fd);
            if (rc != KILN_OK) return rc;
            next += w->o->heartbeat_ms;
            if (next < deploy_now_ms())
                next = deploy_now_ms() + w->o->heartbeat_ms; /* were stopped */
        }
    }
}

/* Sleeps ms, reaping and restarting executors meanwhile, waking early when
 * a stop is requested. */
static void nap(worker *w, int ms)
{
    int64_t until = deploy_now_ms() + ms;
    while (!deploy_stop_requested()) {
        wexec_poll(&w->execs);
        int64_t left = until - deploy_now_ms();
        if (left <= 0) return;
        struct pollfd p = {.fd = deploy_xchg_fd(&w->xchg), .events = POLLIN};
        if (poll(&p, 1, left > TICK_MS ? TICK_MS : (int)left) > 0) deploy_xchg_serve(&w->xchg, w);
    }
}

/* Connects and serves until stopped; reconnects as the file comment says. */
static int worker_loop(worker *w)
{
    int failures = 0, backoff = BACKOFF_FIRST_MS;
    while (!deploy_stop_requested()) {
        int fd;
        int rc = session_open(w, &fd);
        if (rc == KILN_EINVAL) return rc; /* wrong secret (or bad offer): never retried */
        if (rc != KILN_OK) {
            /* Never while executors run: they would be orphaned (or killed). */
            if (++failures >= w->o->max_attempts && wexec_count(&w->execs) == 0)
                return kiln_set_error(KILN_EIO, "giving up after %d failed attempts: %s", failures,
                                      kiln_last_error());
            LOG(LOG_WARN, "worker",
                "cannot register with %s (attempt %d of %d%s, next in %d ms): %s", w->peer,
                failures, w->o->max_attempts,
                wexec_count(&w->execs) ? ", not giving up while executors run" : "", backoff,
                kiln_last_error());
            nap(w, backoff);
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        failures = 0;
        backoff = BACKOFF_FIRST_MS;
        LOG(LOG_INFO, "worker", "registered with %s as %s", w->peer, w->id);
        w->execs.master_fd = fd;
        w->connected = true;
        rc = session_serve(w, fd);
        w->connected = false;
        if (rc == SESSION_STOP) wexec_kill_all(&w->execs); /* KILLED reports still go out */
        w->execs.master_fd = -1;
        net_close(fd);
        if (rc == SESSION_STOP) break;
        LOG(LOG_WARN, "worker", "lost %s: %s; reconnecting, %zu executors keep running", w->peer,
            kiln_last_error(), wexec_count(&w->execs));
    }
    return KILN_OK;
}

void worker_view_fill(void *owner, void *arg)
{
    worker *w = owner;
    worker_view *v = arg;
    memcpy(v->id, w->id, sizeof v->id);
    net_url_format(v->master, sizeof v->master, "kiln", w->o->master.host, w->o->master.port);
    v->connected = w->connected;
    v->cores = w->o->cores;
    v->memory = w->o->memory;
    v->rc = wexec_list(&w->execs, &v->execs, &v->nexecs);
}

int deploy_worker_run(const deploy_worker_opts *o)
{
    deploy_signals_install();
    worker w = {.o = o};
    net_url_format(w.peer, sizeof w.peer, "master kiln", o->master.host, o->master.port);
    if (o->heartbeat_ms <= 0 || o->max_attempts <= 0 || o->max_restarts < 0)
        return kiln_set_error(KILN_ECONF, "heartbeat interval and attempts must be positive");
    if (strlen(o->work_dir) > WORK_DIR_MAX)
        return kiln_set_error(KILN_ECONF, "work directory %.64s... is longer than %d bytes",
                              o->work_dir, WORK_DIR_MAX);
    int rc = net_secret_load(o->secret_spec, &w.secret, &w.slen);
    if (rc != KILN_OK) return rc;
    rc = ensure_work_dir(o->work_dir);
    wexec_init(&w.execs, o->work_dir, w.secret, w.slen, o->max_restarts);
    w.execs.master_peer = w.peer;
    w.xchg.wake[0] = w.xchg.wake[1] = -1;
    char token[HTTP_TOKEN_HEX + 1];
    if (rc == KILN_OK) rc = deploy_http_token(w.secret, w.slen, token);
    if (rc == KILN_OK) rc = deploy_xchg_init(&w.xchg);
    if (rc == KILN_OK) rc = worker_web_start(o, &w.xchg, token, &w.web);
    if (rc == KILN_OK) rc = worker_loop(&w);
    deploy_xchg_shut(&w.xchg); /* a page waiting on the loop gives up */
    web_server_free(w.web);
    deploy_xchg_release(&w.xchg);
    wexec_release(&w.execs);
    net_secret_free(w.secret, w.slen);
    return rc;
}
