/*
 * cluster/local_cluster.c - local-cluster mode (cluster.h): the driver
 * starts the executor processes itself, on this host, and they connect back
 * over loopback to the driver (driver.c).
 *
 * Executors are this program itself (/proc/self/exe), started with fork and
 * execve (never a shell) and an environment naming the driver's address;
 * the application's secret (generated per application) and configuration
 * reach them through a pipe, so they appear on no command line and in no
 * environment. Each keeps its map outputs in a directory of its own under
 * the driver's scratch directory and serves them from its block server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "cluster/driver.h"
#include "deploy/deploy.h"

enum { START_TIMEOUT_MS = 30000 };

/* ---- Starting executors --------------------------------------------------- */

/* What the pipe carries: the secret, a newline, then key=value lines. */
static int pipe_payload(kiln_context *ctx, const char *secret, kiln_buf *out)
{
    int rc = kiln_buf_append(out, secret, strlen(secret));
    if (!rc) rc = kiln_buf_append(out, "\n", 1);
    size_t n = conf_size(ctx_conf(ctx));
    for (size_t i = 0; i < n && !rc; i++) {
        const char *k, *v;
        conf_at(ctx_conf(ctx), i, &k, &v);
        if (strchr(k, '\n') || strchr(v, '\n')) continue;
        rc = kiln_buf_append(out, k, strlen(k));
        if (!rc) rc = kiln_buf_append(out, "=", 1);
        if (!rc) rc = kiln_buf_append(out, v, strlen(v));
        if (!rc) rc = kiln_buf_append(out, "\n", 1);
    }
    return rc;
}

static int spawn(kiln_cluster *c, int i, int cores, int mb, const char *secret)
{
    int p[2];
    if (pipe(p) != 0) return kiln_set_error(KILN_EIO, "pipe: %s", strerror(errno));
    char v_connect[64], v_id[48], v_cores[48], v_mem[48], v_fd[48], v_dir[4200];
    snprintf(v_connect, sizeof v_connect, "KILN_EXECUTOR_CONNECT=127.0.0.1:%d", c->port);
    snprintf(v_id, sizeof v_id, "KILN_EXECUTOR_ID=%d", i);
    snprintf(v_cores, sizeof v_cores, "KILN_EXECUTOR_CORES=%d", cores);
    snprintf(v_mem, sizeof v_mem, "KILN_EXECUTOR_MEMORY=%dm", mb);
    snprintf(v_fd, sizeof v_fd, "KILN_EXECUTOR_SECRET_FD=%d", p[0]);
    snprintf(v_dir, sizeof v_dir, "KILN_EXECUTOR_SHUFFLE_DIR=%s/executor-%d",
             ctx_scratch_dir(c->ctx), i);
    const char *extra[] = {
        v_connect, v_id, v_cores, v_mem, v_fd, v_dir, "KILN_EXECUTOR_HOST=127.0.0.1"};
    char **env = env_without("KILN_EXECUTOR_", extra, 7);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    kiln_buf payload;
    kiln_buf_init(&payload);
    int rc = env && n > 0 ? pipe_payload(c->ctx, secret, &payload) : KILN_EIO;
    pid_t pid = rc ? -1 : fork();
    if (pid == 0) {
        close(p[1]);
        exe[n] = '\0';
        char *argv[] = {exe, NULL};
        execve(exe, argv, env);
        _exit(127);
    }
    close(p[0]);
    if (pid > 0) {
        /* Small enough for the pipe's buffer: the write does not wait. */
        const uint8_t *d = payload.data;
        size_t left = payload.len;
        while (left > 0) {
            ssize_t w = write(p[1], d, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            d += w, left -= (size_t)w;
        }
        c->pids[i] = pid;
    }
    close(p[1]);
    kiln_buf_release(&payload);
    free(env);
    if (rc || pid < 0)
        return kiln_set_error(KILN_EIO, "cannot start executor %d: %s", i,
                              pid < 0 ? strerror(errno) : "no executable path");
    return KILN_OK;
}

/* Whether a forked executor has exited already (start-up cannot finish). */
static bool child_gone(kiln_cluster *c)
{
    for (int i = 0; i < c->npids; i++) {
        int status;
        if (c->pids[i] > 0 && waitpid(c->pids[i], &status, WNOHANG) == c->pids[i]) {
            c->pids[i] = -1;
            return true;
        }
    }
    return false;
}

int cluster_start(kiln_context *ctx, int executors, int cores, int mb, task_backend **out)
{
    char secret[65];
    kiln_cluster *c = NULL;
    int rc = net_secret_generate(secret);
    if (!rc) rc = driver_new(ctx, "127.0.0.1", (const uint8_t *)secret, strlen(secret), &c);
    if (!rc && !(c->pids = calloc((size_t)executors, sizeof *c->pids)))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    for (int i = 0; i < executors && !rc; i++) {
        rc = spawn(c, i, cores, mb, secret);
        if (!rc) c->npids++;
    }
    memset(secret, 0, sizeof secret);
    int want = executors * cores;
    if (!rc && driver_wait_slots(c, want, START_TIMEOUT_MS, child_gone) < want)
        rc = kiln_set_error(KILN_EIO,
                            "local-cluster: %d of %d executor slots connected "
                            "within %d s (did an executor fail to start?)",
                            cluster_cores(c), want, START_TIMEOUT_MS / 1000);
    if (rc) {
        cluster_stop(c);
        return rc;
    }
    LOG(LOG_INFO, "cluster", "local-cluster: %d executors of %d cores and %d MB", executors, cores,
        mb);
    *out = &c->base;
    return KILN_OK;
}

void cluster_stop(kiln_cluster *c)
{
    if (!c) return;
    pid_t *pids = c->pids;
    int npids = c->npids;
    struct app_client *app = c->app;
    struct app_files *files = c->files;
    driver_free(c);
    /* The master then marks the application finished and has its workers
     * kill what is left of its executors. */
    app_client_close(app);
    app_files_free(files);
    /* Executors exit once their connections close; wait a little, then kill. */
    for (int i = 0; i < npids; i++) {
        if (pids[i] <= 0) continue;
        int status;
        bool gone = false;
        for (int k = 0; k < 200 && !gone; k++) {
            pid_t w = waitpid(pids[i], &status, WNOHANG);
            gone = w == pids[i] || (w < 0 && errno == ECHILD);
            if (!gone) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        if (!gone) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], &status, 0);
        }
    }
    free(pids);
}

int cluster_executor_pids(const kiln_cluster *c, int *pids, int max)
{
    if (!c) return 0;
    int n = 0;
    for (int i = 0; i < c->npids && n < max; i++) pids[n++] = (int)c->pids[i];
    return n;
}
