/*
 * cluster/standalone.c - a context on a standalone cluster (kiln.master =
 * kiln://HOST:PORT; Spark's standalone client mode): the driver runs here,
 * registers the application with the master through src/deploy's
 * application client (deploy.h), and the master has workers start its
 * executors; they fetch this program and kiln.files from the driver (by
 * hash, from deploy's file server), and connect back to the driver
 * (driver.c) like local-cluster's. A program that set an executor command
 * (the Python package: its interpreter) sends it with the application,
 * and the files it needs (kiln_set_executor_files) go with kiln.files; the
 * workers run that command instead of the program.
 *
 * The cluster's shared secret (kiln.authenticate.secret, usually
 * "file:PATH" as kiln submit sets it) authenticates every connection: to
 * the master, from executors, from workers fetching files.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/conf.h"
#include "cluster/driver.h"
#include "deploy/deploy.h"

enum { REGISTER_TIMEOUT_MS = 30000, SLOTS_TIMEOUT_MS = 60000, REJOIN_MS = 30000 };

/* The local address this host reaches host:port from (a UDP socket's
 * connect sends nothing). */
static int local_address_towards(const char *host, int port, char *out, size_t size)
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int g = getaddrinfo(host, service, &hints, &res);
    if (g != 0) return kiln_set_error(KILN_EIO, "cannot resolve %s: %s", host, gai_strerror(g));
    int rc = KILN_EIO;
    for (struct addrinfo *a = res; a && rc; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_storage local;
        socklen_t len = sizeof local;
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
            getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
            const void *addr = local.ss_family == AF_INET6
                                   ? (const void *)&((struct sockaddr_in6 *)&local)->sin6_addr
                                   : (const void *)&((struct sockaddr_in *)&local)->sin_addr;
            if (inet_ntop(local.ss_family, addr, out, (socklen_t)size)) rc = KILN_OK;
        }
        if (fd >= 0) close(fd);
    }
    freeaddrinfo(res);
    return rc ? kiln_set_error(KILN_EIO, "no local address reaches %s:%d", host, port) : KILN_OK;
}

static int serve_file(void *arg, int fd, const net_frame *first, const char *peer)
{
    return app_files_serve(arg, fd, first, peer);
}

/* Executors granted at registration, reports of executors that FAILED
 * (could not start, or died too often) and the last one's message, which
 * names the cause (the worker sends the end of the executor's stderr). */
struct exec_watch {
    pthread_mutex_t lock;
    uint32_t granted, failed;
    char failure[1100];
};

void standalone_watch_free(struct exec_watch *w)
{
    if (!w) return;
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* APP_EXECUTOR: logged (WARN when it died or could not start); a FAILED
 * one is counted and its message kept, so that a context whose executors
 * all fail says why (e.g. the Python version check of an executor). */
static void on_executor(void *arg, uint32_t executor, int state, const char *message)
{
    struct exec_watch *w = arg;
    bool bad = state == DEPLOY_EXEC_FAILED || state == DEPLOY_EXEC_RESTARTING;
    LOG(bad ? LOG_WARN : LOG_INFO, "cluster", "executor %u: %s%s%s", executor,
        deploy_exec_state_name(state), *message ? ": " : "", message);
    if (state != DEPLOY_EXEC_FAILED) return;
    pthread_mutex_lock(&w->lock);
    w->failed++;
    snprintf(w->failure, sizeof w->failure, "executor %u failed: %s", executor, message);
    pthread_mutex_unlock(&w->lock);
}

/* While waiting for the first executors: each granted one has failed (the
 * master places others after a failure; they would fail the same way). */
static bool all_failed(kiln_cluster *c)
{
    struct exec_watch *w = c->watch;
    pthread_mutex_lock(&w->lock);
    bool all = w->granted > 0 && w->failed >= w->granted;
    pthread_mutex_unlock(&w->lock);
    return all;
}

static int conf_u32(const kiln_conf *conf, const char *key, uint32_t *out)
{
    const char *v = kiln_conf_get(conf, key);
    char *end;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (v && (*end || x < 1 || x > 1 << 20))
        return kiln_set_error(KILN_ECONF, "%s: expected a positive number of cores, got '%s'", key,
                              v);
    *out = (uint32_t)x;
    return KILN_OK;
}

int cluster_start_standalone(kiln_context *ctx, const char *master, const char *ui_url,
                             task_backend **out)
{
    net_url url;
    int rc = net_url_parse(master, &url);
    if (rc) return rc;
    const char *spec = kiln_conf_get(ctx_conf(ctx), "kiln.authenticate.secret");
    char from_env[4200];
    const char *file = getenv("KILN_SECRET_FILE");
    if (!spec && file && *file) {
        snprintf(from_env, sizeof from_env, "file:%s", file);
        spec = from_env;
    }
    if (!spec)
        return kiln_set_error(KILN_ECONF,
                              "kiln.master %s: the cluster's secret is needed: set "
                              "kiln.authenticate.secret (file:PATH) or KILN_SECRET_FILE, "
                              "or use kiln submit --secret-file",
                              master);
    uint8_t *secret = NULL;
    size_t secret_len = 0;
    if ((rc = net_secret_load(spec, &secret, &secret_len))) return rc;
    uint32_t total = 0, per_exec = 0;
    int64_t memory = 1 << 30;
    const char *mem = kiln_conf_get(ctx_conf(ctx), "kiln.executor.memory");
    /* conf_resolve has checked the form; executors on workers need 16m. */
    if (mem && (parse_size(mem, &memory) || memory < (16 << 20)))
        rc = kiln_set_error(KILN_ECONF,
                            "kiln.executor.memory: expected a size of at least 16m "
                            "on a standalone cluster, got '%s' (%s)",
                            mem, conf_source(ctx_conf(ctx), "kiln.executor.memory"));
    if (!rc) rc = conf_u32(ctx_conf(ctx), "kiln.cores.max", &total);
    if (!rc) rc = conf_u32(ctx_conf(ctx), "kiln.executor.cores", &per_exec);
    char host[NET_HOST_MAX];
    const char *dh = kiln_conf_get(ctx_conf(ctx), "kiln.driver.host");
    if (!rc && dh) snprintf(host, sizeof host, "%s", dh);
    else if (!rc) rc = local_address_towards(url.host, url.port, host, sizeof host);
    kiln_cluster *c = NULL;
    if (!rc) rc = driver_new(ctx, host, secret, secret_len, &c);
    app_files *files = NULL;
    /* The files and command the executors run (the Python package's); none
     * for a C program, which is the executable itself. */
    char **extra = exec_files_dup();
    char **command = exec_command_dup();
    if (!rc)
        rc = app_files_new_extra(kiln_conf_get(ctx_conf(ctx), "kiln.files"),
                                 (const char *const *)extra, &files);
    exec_command_free(extra);
    if (!rc && !(c->watch = calloc(1, sizeof *c->watch)))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory for the application");
    if (!rc) pthread_mutex_init(&c->watch->lock, NULL);
    if (!rc) {
        c->files = files;
        c->serve_file = serve_file;
        c->serve_arg = files;
        c->rejoin_ms = REJOIN_MS;
    } else {
        app_files_free(files);
    }
    kiln_buf lines; /* the configuration executors get */
    kiln_buf_init(&lines);
    for (size_t i = 0, n = conf_size(ctx_conf(ctx)); !rc && i < n; i++) {
        const char *k, *v;
        conf_at(ctx_conf(ctx), i, &k, &v);
        rc = app_conf_line_add(&lines, k, v);
    }
    const char *name = kiln_conf_get(ctx_conf(ctx), "kiln.app.name");
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = strrchr(exe, '/');
    app_request req = {.name = name   ? name
                               : base ? base + 1
                                      : "kiln",
                       .driver_host = host,
                       .driver_port = c ? c->port : 0,
                       .total_cores = total,
                       .executor_cores = per_exec,
                       .executor_memory = (uint64_t)memory,
                       .conf = (const char *)lines.data,
                       .conf_len = lines.len,
                       .files = files,
                       .command = (const char *const *)command,
                       .ui_url = ui_url};
    app_grant grant = {0};
    if (!rc)
        rc = app_client_register(&url, secret, secret_len, &req, REGISTER_TIMEOUT_MS, on_executor,
                                 c->watch, &grant, &c->app);
    exec_command_free(command);
    if (!rc) {
        pthread_mutex_lock(&c->watch->lock);
        c->watch->granted = grant.executors;
        pthread_mutex_unlock(&c->watch->lock);
    }
    net_secret_free(secret, secret_len);
    if (lines.data) memset(lines.data, 0, lines.len);
    kiln_buf_release(&lines);
    if (!rc && driver_wait_slots(c, (int)grant.cores, SLOTS_TIMEOUT_MS, all_failed) < 1) {
        pthread_mutex_lock(&c->watch->lock);
        if (c->watch->failed)
            rc = kiln_set_error(KILN_EIO, "%s: the executors of %s could not start: %s", master,
                                grant.app_id, c->watch->failure);
        else
            rc = kiln_set_error(KILN_EIO,
                                "%s: none of the %u executors granted to %s connected "
                                "within %d s",
                                master, grant.executors, grant.app_id, SLOTS_TIMEOUT_MS / 1000);
        pthread_mutex_unlock(&c->watch->lock);
    }
    if (rc) {
        cluster_stop(c);
        return rc;
    }
    LOG(LOG_INFO, "cluster", "application %s on %s: %d of %u cores, driver at %s:%d", grant.app_id,
        master, cluster_cores(c), grant.cores, host, c->port);
    *out = &c->base;
    return KILN_OK;
}
