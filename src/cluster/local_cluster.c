/*
 * cluster/local_cluster.c - local-cluster mode (cluster.h): the driver
 * starts the executor processes itself, on this host, and they connect back
 * over loopback to the driver (driver.c).
 *
 * Executors are this program itself (/proc/self/exe), or the command
 * kiln_set_executor_command names (the Python package's interpreter),
 * started with fork and execve (never a shell) and an environment naming the driver's address;
 * the application's secret (generated per application) and configuration
 * reach them through a pipe, so they appear on no command line and in no
 * environment. Each keeps its map outputs in a directory of its own under
 * the driver's scratch directory and serves them from its block server.
 *
 * An executor process that dies is replaced, as a standalone worker does
 * (src/deploy/worker_exec.c): the driver's heartbeat thread (driver.c)
 * calls tick() each round, which reaps dead executors with waitpid
 * WNOHANG, has the driver lose them, moves the dead one's directory aside
 * (a sweeper thread removes it) and starts a new process with the same
 * executor id; it registers with the driver as a new incarnation
 * (driver.c) and its slots join then. Restarts are limited as Spark's
 * standalone master limits executor failures
 * (spark.deploy.maxExecutorRetries): an executor id is started again at
 * most kiln.deploy.maxExecutorRetries times in a row with none of its
 * processes registering in between (it cannot start), then left lost. One that
 * registered and died later always is, so a long application survives any
 * number of kills; a task that kills every executor it runs on still fails
 * its job after its 4 attempts (the scheduler's limit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "io/io.h"

enum { START_TIMEOUT_MS = 30000, DEFAULT_MAX_RETRIES = 10 };

/* What replacing executors needs (kiln_cluster.restarts); touched by the
 * heartbeat thread only, once the context has started. */
typedef struct local_restarts {
    int cores, mb;
    int max_retries;   /* kiln.deploy.maxExecutorRetries */
    int *in_a_row;     /* per executor id: deaths since its process last registered */
    size_t *mark;      /* per id: c->nexecs when its process was started */
    int total;         /* processes started again (under the lock) */
    pthread_t sweeper; /* removes a dead executor's directory, renamed away */
    bool sweeping;     /* sweeper is to be joined */
} local_restarts;

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

/* Starts executor i's process (pids[i], set under the lock) with the
 * given slots, budget and secret (borrowed; NUL-terminated). Returns
 * KILN_OK or KILN_EIO when the process cannot be started. */
static int spawn(kiln_cluster *c, int i, int cores, int mb, const char *secret)
{
    int p[2];
    /* Close-on-exec: a process forked meanwhile by another thread must not
     * hold the write end (the executor reads the pipe to its end). */
    if (pipe2(p, O_CLOEXEC) != 0) return kiln_set_error(KILN_EIO, "pipe: %s", strerror(errno));
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
    /* This program, or the command kiln_set_executor_command named. */
    char **cmd = exec_command_dup();
    ssize_t n = cmd ? (ssize_t)snprintf(exe, sizeof exe, "%s", cmd[0])
                    : readlink("/proc/self/exe", exe, sizeof exe - 1);
    kiln_buf payload;
    kiln_buf_init(&payload);
    int rc = env && n > 0 ? pipe_payload(c->ctx, secret, &payload) : KILN_EIO;
    pid_t pid = rc ? -1 : fork();
    if (pid == 0) {
        /* Only async-signal-safe calls until execve. */
        int flags = fcntl(p[0], F_GETFD);
        if (flags < 0 || fcntl(p[0], F_SETFD, flags & ~FD_CLOEXEC) != 0) _exit(126);
        exe[n] = '\0';
        char *argv[] = {exe, NULL};
        execve(exe, cmd ? cmd : argv, env);
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
        pthread_mutex_lock(&c->lock);
        c->pids[i] = pid;
        pthread_mutex_unlock(&c->lock);
    }
    close(p[1]);
    kiln_buf_release(&payload);
    exec_command_free(cmd);
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

/* ---- Replacing dead executors ------------------------------------------- */

/* Whether executor id i's current process has registered with the driver
 * (an executor entry of that id added since it was started). Caller holds
 * the lock. */
static bool registered_since_start(const kiln_cluster *c, const local_restarts *r, int i)
{
    for (size_t j = r->mark[i]; j < c->nexecs; j++)
        if (c->execs[j].id == (uint32_t)i) return true;
    return false;
}

/* The sweeper thread: removes a directory (arg, owned) and frees its name. */
static void *sweep_main(void *arg)
{
    if (io_remove_tree(arg) != KILN_OK)
        LOG(LOG_WARN, "cluster", "cannot remove %s: %s", (char *)arg, kiln_last_error());
    free(arg);
    return NULL;
}

/* Moves dead executor i's directory out of the replacement's way and has
 * the sweeper remove it: a directory of thousands of map outputs takes
 * seconds to remove, too long for the heartbeat thread. Without a thread
 * it is removed here. */
static void sweep(kiln_cluster *c, local_restarts *r, int i)
{
    char dir[4200], gone[4300];
    snprintf(dir, sizeof dir, "%s/executor-%d", ctx_scratch_dir(c->ctx), i);
    snprintf(gone, sizeof gone, "%s.gone-%d", dir, r->total);
    if (r->sweeping) pthread_join(r->sweeper, NULL); /* the last one; rarely still running */
    r->sweeping = false;
    if (rename(dir, gone) != 0) return; /* it never made one */
    char *arg = strdup(gone);
    if (arg && pthread_create(&r->sweeper, NULL, sweep_main, arg) == 0) {
        r->sweeping = true;
        return;
    }
    free(arg);
    if (io_remove_tree(gone) != KILN_OK)
        LOG(LOG_WARN, "cluster", "cannot remove %s: %s", gone, kiln_last_error());
}

/* One executor will not be started again: tasks waiting for an executor
 * stop waiting once none can come back. */
static void retire(kiln_cluster *c)
{
    pthread_mutex_lock(&c->lock);
    c->retired++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* Executor i's process ended with status st: loses it in the driver,
 * removes its directory and starts it again unless it has failed too often
 * in a row. */
static void replace(kiln_cluster *c, local_restarts *r, int i, int st)
{
    char how[64];
    if (WIFSIGNALED(st)) snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
    else snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
    /* The driver may not have noticed yet (an idle executor's slots fail
     * only when used): tasks must not go to it, nor fetches. */
    driver_lose_executor(c, (uint32_t)i, how);
    sweep(c, r, i);
    if (++r->in_a_row[i] > r->max_retries) {
        LOG(LOG_WARN, "cluster",
            "executor %d %s: not started again, it died %d times in a row without "
            "registering (kiln.deploy.maxExecutorRetries %d)",
            i, how, r->in_a_row[i], r->max_retries);
        retire(c);
        return;
    }
    char secret[NET_SECRET_MAX + 1];
    memcpy(secret, c->secret, c->secret_len);
    secret[c->secret_len] = '\0';
    pthread_mutex_lock(&c->lock);
    r->mark[i] = c->nexecs;
    pthread_mutex_unlock(&c->lock);
    int rc = spawn(c, i, r->cores, r->mb, secret);
    memset(secret, 0, sizeof secret);
    if (rc) {
        LOG(LOG_WARN, "cluster", "executor %d %s, and cannot be started again: %s", i, how,
            kiln_last_error());
        retire(c);
        return;
    }
    pthread_mutex_lock(&c->lock);
    r->total++;
    pid_t pid = c->pids[i];
    pthread_mutex_unlock(&c->lock);
    LOG(LOG_WARN, "cluster", "executor %d %s; started again as pid %d (%d in a row)", i, how,
        (int)pid, r->in_a_row[i]);
}

/* The heartbeat thread's tick (kiln_cluster.tick): reaps every executor
 * process that has ended, without waiting, and replaces it. */
static void tick(kiln_cluster *c)
{
    local_restarts *r = c->restarts;
    for (int i = 0; i < c->npids; i++) {
        pthread_mutex_lock(&c->lock);
        pid_t pid = c->pids[i];
        if (registered_since_start(c, r, i)) r->in_a_row[i] = 0;
        bool stopping = c->stopping;
        pthread_mutex_unlock(&c->lock);
        int st;
        if (stopping || pid <= 0 || waitpid(pid, &st, WNOHANG) != pid) continue;
        pthread_mutex_lock(&c->lock);
        c->pids[i] = -1;
        pthread_mutex_unlock(&c->lock);
        replace(c, r, i, st);
    }
}

/* kiln.deploy.maxExecutorRetries, or its default. */
static int max_retries(kiln_context *ctx, int *out)
{
    const char *v = kiln_conf_get(ctx_conf(ctx), "kiln.deploy.maxExecutorRetries");
    int64_t n = DEFAULT_MAX_RETRIES;
    if (v && (parse_int64(v, &n) || n < 0 || n > INT32_MAX))
        return kiln_set_error(KILN_ECONF,
                              "kiln.deploy.maxExecutorRetries: expected a number of at least 0, "
                              "got '%s'",
                              v);
    *out = (int)n;
    return KILN_OK;
}

/* Makes c->restarts for executors of cores and mb (the tick not set yet). */
static int restarts_new(kiln_cluster *c, int executors, int cores, int mb)
{
    local_restarts *r = calloc(1, sizeof *r);
    if (r) {
        r->in_a_row = calloc((size_t)executors, sizeof *r->in_a_row);
        r->mark = calloc((size_t)executors, sizeof *r->mark);
    }
    c->restarts = r;
    if (!r || !r->in_a_row || !r->mark) return kiln_set_error(KILN_ENOMEM, "out of memory");
    r->cores = cores;
    r->mb = mb;
    return max_retries(c->ctx, &r->max_retries);
}

static void restarts_free(local_restarts *r)
{
    if (!r) return;
    if (r->sweeping) pthread_join(r->sweeper, NULL);
    free(r->in_a_row);
    free(r->mark);
    free(r);
}

int cluster_start(kiln_context *ctx, int executors, int cores, int mb, task_backend **out)
{
    char secret[65];
    kiln_cluster *c = NULL;
    int rc = net_secret_generate(secret);
    if (!rc) rc = driver_new(ctx, "127.0.0.1", (const uint8_t *)secret, strlen(secret), &c);
    if (!rc) c->exec_memory = (int64_t)mb << 20;
    if (!rc && !(c->pids = calloc((size_t)executors, sizeof *c->pids)))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    if (!rc) rc = restarts_new(c, executors, cores, mb);
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
    /* From now on the heartbeat thread replaces executors that die. */
    pthread_mutex_lock(&c->lock);
    c->tick = tick;
    c->rejoin_ms = START_TIMEOUT_MS; /* a task waits for a replacement when none is live */
    pthread_mutex_unlock(&c->lock);
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
    struct exec_watch *watch = c->watch;
    local_restarts *restarts = c->restarts;
    /* Joins the heartbeat thread first: no executor is started after this,
     * and pids holds every process there is (a replacement still starting
     * included). */
    driver_free(c);
    restarts_free(restarts);
    /* The master then marks the application finished and has its workers
     * kill what is left of its executors. */
    app_client_close(app);
    standalone_watch_free(watch);
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
    pthread_mutex_lock((pthread_mutex_t *)&c->lock);
    for (int i = 0; i < c->npids && n < max; i++) pids[n++] = (int)c->pids[i];
    pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
    return n;
}

int cluster_live_executors(const kiln_cluster *c)
{
    if (!c) return 0;
    int n = 0;
    pthread_mutex_lock((pthread_mutex_t *)&c->lock);
    for (size_t i = 0; i < c->nexecs; i++) {
        const exec_rec *e = &c->execs[i];
        n += !e->lost && e->connected == e->nslots;
    }
    pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
    return n;
}

int cluster_executor_restarts(const kiln_cluster *c)
{
    if (!c) return 0;
    pthread_mutex_lock((pthread_mutex_t *)&c->lock);
    int n = c->restarts ? c->restarts->total : 0;
    pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
    return n;
}
