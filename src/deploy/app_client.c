/*
 * deploy/app_client.c - the driver's connection to the standalone master
 * (deploy.h): authenticate, REGISTER_APP, wait for REGISTERED_APP, then a
 * thread reads APP_EXECUTOR messages for the life of the application. The
 * connection is the application: closing it (app_client_close, or the
 * driver dying) makes the master finish the application and kill its
 * executors. The master needs no heartbeats from drivers.
 *
 * When the connection to the master breaks while the application runs
 * (the master died or restarted), the thread logs one WARN and registers
 * again with the application's id, waiting 0.5 s before the first attempt
 * and doubling up to 10 s between attempts, for as long as the application
 * runs: its executors keep running meanwhile (they talk to the driver, not
 * to the master), so nothing the driver does waits for this. A restarted
 * master that recovered the application (kiln.deploy.recoveryDirectory)
 * re-attaches it under the same id; one that does not know it registers
 * it anew (a new id, new executors).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/base.h"
#include "deploy/deploy_int.h"

#define REJOIN_FIRST_MS 500
#define REJOIN_MAX_MS 10000
#define REJOIN_TIMEOUT_MS 5000 /* each attempt: connect, handshake, reply */

struct app_client {
    pthread_mutex_t mu; /* guards fd and closing */
    pthread_cond_t cv;  /* signalled by app_client_close */
    int fd;             /* -1 while reconnecting */
    bool closing;
    pthread_t thread;
    app_executor_fn fn;
    void *arg;
    char peer[NET_HOST_MAX + 32];
    net_url master;
    uint8_t *secret; /* a copy, wiped when freed */
    size_t slen;
    kiln_buf reg;               /* the REGISTER_APP payload of the first registration */
    char app_id[DEPLOY_ID_MAX]; /* the master's id for the application */
};

int app_conf_line_add(kiln_buf *lines, const char *key, const char *value)
{
    if (!strcmp(key, "kiln.authenticate.secret") || !key[0] || strchr(key, '\n') ||
        strchr(key, '=') || strchr(value, '\n'))
        return KILN_OK;
    return buf_appendf(lines, "%s=%s\n", key, value);
}

/* The REGISTER_APP payload for req; app_id "" (first registration) or the
 * application's id (registering again). */
static int build_register(const app_request *req, const char *app_id, kiln_buf *out)
{
    deploy_app_register r;
    memset(&r, 0, sizeof r);
    snprintf(r.app_id, sizeof r.app_id, "%s", app_id);
    if (!req->name || strlen(req->name) >= sizeof r.desc.name || !req->driver_host ||
        strlen(req->driver_host) >= sizeof r.desc.driver_host || !req->files)
        return kiln_set_error(KILN_ECONF, "application name or driver host missing or too long");
    snprintf(r.desc.name, sizeof r.desc.name, "%s", req->name);
    snprintf(r.desc.driver_host, sizeof r.desc.driver_host, "%s", req->driver_host);
    r.desc.driver_port = req->driver_port > 0 ? (uint32_t)req->driver_port : 0;
    r.desc.executor_memory = req->executor_memory;
    r.desc.exe = *app_files_exe(req->files);
    r.desc.files = (deploy_file *)app_files_list(req->files, &r.desc.nfiles);
    r.total_cores = req->total_cores;
    r.executor_cores = req->executor_cores;
    /* The UI's URL without its query (the token stays with the driver's
     * user); one that does not fit or is not http(s) is left out. */
    if (req->ui_url && strlen(req->ui_url) < sizeof r.ui_url) {
        snprintf(r.ui_url, sizeof r.ui_url, "%s", req->ui_url);
        r.ui_url[strcspn(r.ui_url, "?#")] = 0;
        if (!deploy_ui_url_ok(r.ui_url)) r.ui_url[0] = 0;
    }
    if (req->conf_len >= DEPLOY_CONF_MAX)
        return kiln_set_error(KILN_ECONF,
                              "the configuration sent to executors is %zu bytes, "
                              "more than %u",
                              req->conf_len, DEPLOY_CONF_MAX - 1);
    r.desc.conf = (char *)req->conf;
    r.desc.conf_len = req->conf ? req->conf_len : 0;
    kiln_buf cmd; /* the command's words, each ended by a NUL */
    kiln_buf_init(&cmd);
    int rc = KILN_OK;
    for (size_t i = 0; req->command && req->command[i] && rc == KILN_OK; i++)
        rc = kiln_buf_append(&cmd, req->command[i], strlen(req->command[i]) + 1);
    if (rc == KILN_OK && cmd.len >= DEPLOY_COMMAND_MAX)
        rc = kiln_set_error(KILN_ECONF, "the executor command is %zu bytes, more than %u", cmd.len,
                            DEPLOY_COMMAND_MAX - 1);
    r.desc.command = (char *)cmd.data;
    r.desc.command_len = cmd.len;
    if (rc == KILN_OK) rc = deploy_msg_register_app_write(out, &r);
    kiln_buf_release(&cmd);
    if (rc == KILN_EINVAL) rc = kiln_set_error(KILN_ECONF, "REGISTER_APP: %s", kiln_last_error());
    return rc;
}

/* The master's answer: REGISTERED_APP, or ERROR as our error. */
static int recv_registered(app_client *c, int fd, int timeout_ms, app_grant *grant)
{
    net_frame f = {0};
    int rc = net_recv_frame(fd, DEPLOY_CONTROL_MAX_FRAME, timeout_ms, c->peer, &f);
    if (rc != KILN_OK) return rc;
    if (f.type == NET_MSG_ERROR) {
        int code;
        char msg[NET_ERROR_MAX_MESSAGE + 1];
        rc = net_msg_error_read(&f, c->peer, &code, msg, sizeof msg);
        /* Never taken for a wrong secret: that is the handshake's. */
        if (rc == KILN_OK)
            rc = kiln_set_error(code < 0 && code != KILN_EINVAL ? code : KILN_EIO,
                                "%s refused the application: %s", c->peer, msg);
    } else {
        deploy_app_registered r;
        rc = deploy_msg_registered_app_read(&f, c->peer, &r);
        if (rc == KILN_OK) {
            memset(grant, 0, sizeof *grant);
            snprintf(grant->app_id, sizeof grant->app_id, "%s", r.app_id);
            grant->executors = r.executors;
            grant->cores = r.cores;
        }
    }
    net_frame_release(&f);
    return rc;
}

/* Connects to the master, authenticates and sends payload as REGISTER_APP;
 * the reply fills grant. KILN_OK with *fd open, or an error (nothing open). */
static int register_once(app_client *c, const kiln_buf *payload, int timeout_ms, app_grant *grant,
                         int *fd)
{
    int64_t deadline = net_deadline(timeout_ms);
    int rc = net_dial(c->master.host, c->master.port, c->secret, c->slen, false, timeout_ms,
                      c->peer, fd);
    if (rc == KILN_OK)
        rc = net_send_frame(*fd, NET_MSG_REGISTER_APP, payload->data, payload->len,
                            net_remaining_ms(deadline), c->peer);
    if (rc == KILN_OK) rc = recv_registered(c, *fd, net_remaining_ms(deadline), grant);
    if (rc != KILN_OK) {
        net_close(*fd);
        *fd = -1;
    }
    return rc;
}

/* The first REGISTER_APP again, with the application's id. */
static int reregister_payload(app_client *c, kiln_buf *out)
{
    net_frame f = {.type = NET_MSG_REGISTER_APP, .payload = c->reg}; /* borrowed */
    deploy_app_register r;
    int rc = deploy_msg_register_app_read(&f, c->peer, &r);
    if (rc != KILN_OK) return rc;
    snprintf(r.app_id, sizeof r.app_id, "%s", c->app_id);
    rc = deploy_msg_register_app_write(out, &r);
    deploy_app_desc_release(&r.desc);
    return rc;
}

/* Waits ms or until the client closes. True when it closes. */
static bool wait_or_close(app_client *c, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->mu);
    while (!c->closing && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0) {
    }
    bool closing = c->closing;
    pthread_mutex_unlock(&c->mu);
    return closing;
}

/* The connection broke: registers again until it works or the client
 * closes. True when registered (c->fd is the new connection). */
static bool rejoin(app_client *c)
{
    kiln_buf payload;
    kiln_buf_init(&payload);
    int backoff = REJOIN_FIRST_MS, attempts = 0;
    bool ok = false;
    while (!wait_or_close(c, backoff)) {
        attempts++;
        backoff = backoff * 2 > REJOIN_MAX_MS ? REJOIN_MAX_MS : backoff * 2;
        payload.len = 0;
        app_grant grant;
        int fd = -1;
        int rc = reregister_payload(c, &payload);
        if (rc == KILN_OK) rc = register_once(c, &payload, REJOIN_TIMEOUT_MS, &grant, &fd);
        if (rc != KILN_OK) {
            LOG(LOG_DEBUG, "driver", "registering %s again with %s (attempt %d): %s", c->app_id,
                c->peer, attempts, kiln_last_error());
            continue;
        }
        pthread_mutex_lock(&c->mu);
        bool closing = c->closing;
        if (!closing) c->fd = fd;
        pthread_mutex_unlock(&c->mu);
        if (closing) {
            net_close(fd);
            break;
        }
        if (strcmp(grant.app_id, c->app_id))
            LOG(LOG_WARN, "driver",
                "%s did not know application %s (restarted without its recovery directory): "
                "registered anew as %s with %u executors",
                c->peer, c->app_id, grant.app_id, grant.executors);
        else
            LOG(LOG_INFO, "driver",
                "registered application %s again with %s: %u executors, %u cores", grant.app_id,
                c->peer, grant.executors, grant.cores);
        snprintf(c->app_id, sizeof c->app_id, "%s", grant.app_id);
        ok = true;
        break;
    }
    if (payload.data) memset(payload.data, 0, payload.len); /* it holds the conf lines */
    kiln_buf_release(&payload);
    return ok;
}

static void *client_main(void *arg)
{
    app_client *c = arg;
    for (;;) {
        net_frame f = {0};
        int rc = net_recv_frame(c->fd, DEPLOY_CONTROL_MAX_FRAME, -1, c->peer, &f);
        deploy_exec_report r;
        bool go_on = rc == KILN_OK && f.type == NET_MSG_APP_EXECUTOR &&
                     deploy_msg_exec_report_read(&f, NET_MSG_APP_EXECUTOR, c->peer, &r) == KILN_OK;
        if (go_on && c->fn) c->fn(c->arg, r.executor, r.state, r.message);
        net_frame_release(&f);
        if (go_on) continue;
        pthread_mutex_lock(&c->mu);
        bool closing = c->closing;
        if (!closing) {
            net_close(c->fd);
            c->fd = -1;
        }
        pthread_mutex_unlock(&c->mu);
        if (closing) break;
        LOG(LOG_WARN, "driver",
            "lost the connection to %s: %s; application %s keeps running on its executors, "
            "registering it again",
            c->peer, kiln_last_error(), c->app_id);
        if (!rejoin(c)) break;
    }
    return NULL;
}

static void client_free(app_client *c)
{
    if (c->reg.data) memset(c->reg.data, 0, c->reg.len); /* it holds the conf lines */
    kiln_buf_release(&c->reg);
    if (c->secret) net_secret_free(c->secret, c->slen);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int app_client_register(const net_url *master, const uint8_t *secret, size_t len,
                        const app_request *req, int timeout_ms, app_executor_fn fn, void *arg,
                        app_grant *grant, app_client **out)
{
    app_client *c = calloc(1, sizeof *c);
    if (!c) return kiln_set_error(KILN_ENOMEM, "out of memory for the master's connection");
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->fd = -1;
    c->fn = fn;
    c->arg = arg;
    c->master = *master;
    kiln_buf_init(&c->reg);
    net_url_format(c->peer, sizeof c->peer, "master kiln", master->host, master->port);
    int rc = KILN_OK;
    if (!(c->secret = malloc(len ? len : 1)))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory for the master's connection");
    else memcpy(c->secret, secret, len);
    c->slen = len;
    if (rc == KILN_OK) rc = build_register(req, "", &c->reg);
    int fd = -1;
    if (rc == KILN_OK) rc = register_once(c, &c->reg, timeout_ms, grant, &fd);
    c->fd = fd;
    if (rc == KILN_OK) snprintf(c->app_id, sizeof c->app_id, "%s", grant->app_id);
    if (rc == KILN_OK && pthread_create(&c->thread, NULL, client_main, c) != 0)
        rc = kiln_set_error(KILN_ENOMEM, "cannot start the thread of %s", c->peer);
    if (rc != KILN_OK) {
        net_close(c->fd);
        client_free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}

void app_client_close(app_client *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->closing = true;
    if (c->fd >= 0) shutdown(c->fd, SHUT_RDWR); /* wakes the thread's read */
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    net_close(c->fd);
    client_free(c);
}
