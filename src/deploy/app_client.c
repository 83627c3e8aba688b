/*
 * deploy/app_client.c - the driver's connection to the standalone master
 * (deploy.h): authenticate, REGISTER_APP, wait for REGISTERED_APP, then a
 * thread reads APP_EXECUTOR messages for the life of the application. The
 * connection is the application: closing it (app_client_close, or the
 * driver dying) makes the master finish the application and kill its
 * executors. The master needs no heartbeats from drivers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/base.h"
#include "deploy/deploy_int.h"

struct app_client {
    int fd;
    pthread_t thread;
    app_executor_fn fn;
    void *arg;
    char peer[NET_HOST_MAX + 32];
};

int app_conf_line_add(kiln_buf *lines, const char *key, const char *value)
{
    if (!strcmp(key, "kiln.authenticate.secret") || !key[0] || strchr(key, '\n') ||
        strchr(key, '=') || strchr(value, '\n'))
        return KILN_OK;
    return buf_appendf(lines, "%s=%s\n", key, value);
}

static int build_register(const app_request *req, kiln_buf *out)
{
    deploy_app_register r;
    memset(&r, 0, sizeof r);
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
    if (req->conf_len >= DEPLOY_CONF_MAX)
        return kiln_set_error(KILN_ECONF,
                              "the configuration sent to executors is %zu bytes, "
                              "more than %u",
                              req->conf_len, DEPLOY_CONF_MAX - 1);
    r.desc.conf = (char *)req->conf;
    r.desc.conf_len = req->conf ? req->conf_len : 0;
    int rc = deploy_msg_register_app_write(out, &r);
    if (rc == KILN_EINVAL) rc = kiln_set_error(KILN_ECONF, "REGISTER_APP: %s", kiln_last_error());
    return rc;
}

/* The master's answer: REGISTERED_APP, or ERROR as our error. */
static int recv_registered(app_client *c, int timeout_ms, app_grant *grant)
{
    net_frame f = {0};
    int rc = net_recv_frame(c->fd, DEPLOY_CONTROL_MAX_FRAME, timeout_ms, c->peer, &f);
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

static void *client_main(void *arg)
{
    app_client *c = arg;
    for (;;) {
        net_frame f = {0};
        if (net_recv_frame(c->fd, DEPLOY_CONTROL_MAX_FRAME, -1, c->peer, &f) != KILN_OK) break;
        deploy_exec_report r;
        bool go_on = f.type == NET_MSG_APP_EXECUTOR &&
                     deploy_msg_exec_report_read(&f, NET_MSG_APP_EXECUTOR, c->peer, &r) == KILN_OK;
        if (go_on && c->fn) c->fn(c->arg, r.executor, r.state, r.message);
        if (!go_on) LOG(LOG_WARN, "driver", "%s: %s", c->peer, kiln_last_error());
        net_frame_release(&f);
        if (!go_on) break;
    }
    return NULL;
}

int app_client_register(const net_url *master, const uint8_t *secret, size_t len,
                        const app_request *req, int timeout_ms, app_executor_fn fn, void *arg,
                        app_grant *grant, app_client **out)
{
    app_client *c = calloc(1, sizeof *c);
    if (!c) return kiln_set_error(KILN_ENOMEM, "out of memory for the master's connection");
    c->fd = -1;
    c->fn = fn;
    c->arg = arg;
    net_url_format(c->peer, sizeof c->peer, "master kiln", master->host, master->port);
    kiln_buf msg;
    kiln_buf_init(&msg);
    int rc = build_register(req, &msg);
    int64_t deadline = net_deadline(timeout_ms);
    if (rc == KILN_OK)
        rc = net_dial(master->host, master->port, secret, len, false, timeout_ms, c->peer, &c->fd);
    if (rc == KILN_OK)
        rc = net_send_frame(c->fd, NET_MSG_REGISTER_APP, msg.data, msg.len,
                            net_remaining_ms(deadline), c->peer);
    if (rc == KILN_OK) rc = recv_registered(c, net_remaining_ms(deadline), grant);
    if (rc == KILN_OK && pthread_create(&c->thread, NULL, client_main, c) != 0)
        rc = kiln_set_error(KILN_ENOMEM, "cannot start the thread of %s", c->peer);
    if (msg.data) memset(msg.data, 0, msg.len); /* it holds the conf lines */
    kiln_buf_release(&msg);
    if (rc != KILN_OK) {
        net_close(c->fd);
        free(c);
        return rc;
    }
    *out = c;
    return KILN_OK;
}

void app_client_close(app_client *c)
{
    if (!c) return;
    shutdown(c->fd, SHUT_RDWR); /* wakes the thread's read */
    pthread_join(c->thread, NULL);
    net_close(c->fd);
    free(c);
}
