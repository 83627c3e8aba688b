/*
 * deploy/worker_exec.c - the executors a standalone worker runs for
 * applications (worker_exec.h).
 *
 * LAUNCH_EXECUTOR: the executable and the application's files are fetched
 * from the driver (an authenticated connection, FETCH_FILE / FILE_DATA)
 * into <work-dir>/cache/<sha256>: written to a temporary file, its sha256
 * checked, mode 0700, renamed; a file already there is reused (cached by
 * hash). The executor's directory <work-dir>/<app-id>/<executor-id>/ gets
 * the files linked in under their names, and the cached executable is
 * started there with fork + execve (never a shell; argv[0] is its path),
 * stdout and stderr appended to files of that directory, and the
 * variables of executor mode (src/deploy/README.md): the secret and the
 * application's conf lines go down a pipe. An application with an
 * executor command (the Python package: an interpreter on this host and
 * its arguments) has that command run instead, and the executable is not
 * fetched. An executor that dies has the last line of its stderr in its
 * report.
 *
 * Children are reaped with waitpid(WNOHANG) from the worker's loop, never
 * waited for. An executor that dies (non-zero exit or a signal) while its
 * application runs is started again with the same id, up to max_restarts
 * times; each death and restart is reported (RESTARTING, then RUNNING).
 * KILL_EXECUTOR sends SIGTERM, SIGKILL 2 s later, and removes the
 * application's directory once its executors are reaped.
 *
 * The worker's log tells incidents from the normal course: an executor
 * that exits with status 0 (its driver said SHUTDOWN) or is killed for
 * KILL_EXECUTOR (its application ended) is logged at INFO ("exited after
 * the application ended (killed by signal 15)"); one that dies, cannot
 * start, or is killed while its application runs (the worker stops or
 * lost its master) at WARN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "deploy/deploy_int.h"
#include "deploy/worker_exec.h"
#include "io/io.h"

#define KILL_GRACE_MS 2000
#define FETCH_IDLE_MS 30000 /* for the driver's answer and each chunk of a file */
#define SEND_TIMEOUT_MS 5000

extern char **environ;

struct wexec {
    deploy_launch l; /* owns its desc */
    pid_t pid;       /* > 0 while running */
    uint32_t restarts;
    bool killing;   /* SIGTERM sent; SIGKILL at kill_at */
    bool app_ended; /* killed for KILL_EXECUTOR: its application ended (not an incident) */
    bool sigkilled;
    int64_t kill_at;
    char dir[PATH_MAX];
};

void wexec_init(worker_execs *x, const char *work_dir, const uint8_t *secret, size_t slen,
                int max_restarts)
{
    memset(x, 0, sizeof *x);
    x->work_dir = work_dir;
    x->secret = secret;
    x->slen = slen;
    x->max_restarts = max_restarts;
    x->master_fd = -1;
}

void wexec_release(worker_execs *x)
{
    wexec_kill_all(x);
    free(x->e);
    x->e = NULL;
}

static void wexec_free(wexec *e)
{
    deploy_app_desc_release(&e->l.desc);
    free(e);
}

/* A path from fmt. The work directory is at most WORK_DIR_MAX bytes
 * (worker.c checks), ids and names are bounded, so paths always fit. */
static void pathf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

/* Logs an executor's new state at level and sends EXECUTOR_STATE to the
 * master (best effort: a failed connection is seen by the loop). WARN is
 * for what an operator should look at (an executor that died, could not
 * start, or was killed while its application runs); INFO for the normal
 * course of an application, its end included. */
static void report(worker_execs *x, log_level level, const char *app_id, uint32_t executor,
                   uint8_t state, int32_t status, uint32_t restarts, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static void report(worker_execs *x, log_level level, const char *app_id, uint32_t executor,
                   uint8_t state, int32_t status, uint32_t restarts, const char *fmt, ...)
{
    deploy_exec_report r = {.executor = executor,
                            .state = state,
                            .exit_status = status,
                            .restarts = restarts};
    snprintf(r.app_id, sizeof r.app_id, "%s", app_id);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.message, sizeof r.message, fmt, ap);
    va_end(ap);
    LOG(level, "worker", "%s executor %u: %s%s%s", app_id, executor, deploy_exec_state_name(state),
        r.message[0] ? ": " : "", r.message);
    if (x->master_fd < 0) return;
    kiln_buf b;
    kiln_buf_init(&b);
    if (deploy_msg_exec_report_write(&b, &r) == KILN_OK)
        net_send_frame(x->master_fd, NET_MSG_EXECUTOR_STATE, b.data, b.len, SEND_TIMEOUT_MS,
                       x->master_peer);
    kiln_buf_release(&b);
}

/* ---- The cache -------------------------------------------------------------------- */

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST) return KILN_OK;
    return kiln_set_error(KILN_EIO, "cannot create %s: %s", path, strerror(errno));
}

static void cache_path(const worker_execs *x, const char *sha, char *out, size_t size)
{
    pathf(out, size, "%s/cache/%s", x->work_dir, sha);
}

/* True when the cache holds a regular file of the right size for e (its
 * hash was checked when it was stored). */
static bool cached(const worker_execs *x, const deploy_file *e)
{
    char path[PATH_MAX];
    cache_path(x, e->sha256, path, sizeof path);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->size;
}

/* Reads exactly n bytes from fd, each piece within FETCH_IDLE_MS. */
static int read_exact(int fd, void *p, size_t n, const char *peer)
{
    uint8_t *c = p;
    while (n > 0) {
        /* Through TLS when the connection has it: decrypted bytes may be
         * waiting where poll() cannot see them, so read before waiting. */
        size_t got = 0;
        bool closed = false;
        int rc = net_recv_nb(fd, c, n, &got, &closed, peer);
        if (rc != KILN_OK) return rc;
        if (got == 0 && closed)
            return kiln_set_error(KILN_EIO, "reading a file from %s: connection closed", peer);
        if (got == 0) {
            rc = net_wait(fd, POLLIN, net_deadline(FETCH_IDLE_MS), "reading a file from", peer);
            if (rc != KILN_OK) return rc;
            continue;
        }
        c += got;
        n -= got;
    }
    return KILN_OK;
}

/* The driver's ERROR (len payload bytes after its header) as our error. */
static int driver_error(int fd, uint32_t len, const char *peer)
{
    if (len > NET_ERROR_MAX_MESSAGE + 64)
        return kiln_set_error(KILN_ECORRUPT, "ERROR from %s is %u bytes long", peer, len);
    net_frame f = {.type = NET_MSG_ERROR};
    kiln_buf_init(&f.payload);
    int rc = kiln_buf_reserve(&f.payload, len + 1);
    if (rc == KILN_OK) rc = read_exact(fd, f.payload.data, len, peer);
    f.payload.len = len;
    int code;
    char msg[NET_ERROR_MAX_MESSAGE + 1];
    if (rc == KILN_OK) rc = net_msg_error_read(&f, peer, &code, msg, sizeof msg);
    if (rc == KILN_OK) rc = kiln_set_error(KILN_EIO, "%s: %s", peer, msg);
    net_frame_release(&f);
    return rc;
}

/* Receives FILE_DATA for e into tmp (already open) and checks its hash. */
static int receive_into(int fd, int out, const char *tmp, const deploy_file *e, const char *peer)
{
    uint8_t hdr[NET_HEADER_SIZE];
    net_frame_header h;
    int rc = read_exact(fd, hdr, sizeof hdr, peer);
    if (rc == KILN_OK) rc = net_frame_header_parse(hdr, UINT32_MAX, peer, &h);
    if (rc != KILN_OK) return rc;
    if (h.type == NET_MSG_ERROR) return driver_error(fd, h.len, peer);
    if (h.type != NET_MSG_FILE_DATA || h.len != e->size)
        return kiln_set_error(KILN_ECORRUPT, "%s answered %s of %u bytes for %s (%llu bytes)", peer,
                              net_msg_name(h.type), h.len, e->name, (unsigned long long)e->size);
    uint8_t buf[65536];
    for (uint64_t left = h.len; rc == KILN_OK && left > 0;) {
        size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
        rc = read_exact(fd, buf, n, peer);
        if (rc == KILN_OK) rc = io_write_full(out, buf, n, tmp);
        left -= n;
    }
    char sha[DEPLOY_SHA256_HEX];
    uint64_t size;
    if (rc == KILN_OK && lseek(out, 0, SEEK_SET) != 0)
        rc = kiln_set_error(KILN_EIO, "%s: %s", tmp, strerror(errno));
    if (rc == KILN_OK) rc = app_sha256_fd(out, tmp, sha, &size);
    if (rc == KILN_OK && (strcmp(sha, e->sha256) || size != e->size))
        rc = kiln_set_error(KILN_ECORRUPT, "%s sent %s with sha256 %s, not %s", peer, e->name, sha,
                            e->sha256);
    return rc;
}

/* Fetches one file into the cache: temporary file, hash check, rename. */
static int fetch_one(worker_execs *x, int fd, const deploy_file *e, const char *peer)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = deploy_msg_fetch_file_write(&b, e->sha256);
    if (rc == KILN_OK)
        rc = net_send_frame(fd, NET_MSG_FETCH_FILE, b.data, b.len, SEND_TIMEOUT_MS, peer);
    kiln_buf_release(&b);
    if (rc != KILN_OK) return rc;
    char tmp[PATH_MAX], final[PATH_MAX];
    cache_path(x, e->sha256, final, sizeof final);
    pathf(tmp, sizeof tmp, "%s/cache/.tmp-%s-%d", x->work_dir, e->sha256, (int)getpid());
    int out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0700);
    if (out < 0) return kiln_set_error(KILN_EIO, "cannot create %s: %s", tmp, strerror(errno));
    rc = receive_into(fd, out, tmp, e, peer);
    if (rc == KILN_OK && fchmod(out, 0700) != 0)
        rc = kiln_set_error(KILN_EIO, "%s: %s", tmp, strerror(errno));
    close(out);
    if (rc == KILN_OK && rename(tmp, final) != 0)
        rc = kiln_set_error(KILN_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc != KILN_OK) unlink(tmp);
    return rc;
}

/* Makes sure the executable and every file of d are in the cache. */
/* Whether the application's configuration (key=value lines) turns on
 * kiln.ssl.enabled. */
static bool app_wants_tls(const deploy_app_desc *d)
{
    const char *key = "kiln.ssl.enabled=";
    size_t klen = strlen(key);
    const char *p = (const char *)d->conf, *end = p + d->conf_len;
    bool on = false;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        if (len > klen && !memcmp(p, key, klen)) {
            char v[16];
            size_t vl = len - klen < sizeof v - 1 ? len - klen : sizeof v - 1;
            memcpy(v, p + klen, vl);
            v[vl] = '\0';
            bool b = false;
            if (net_tls_setting(v, &b) == KILN_OK) on = b;
        }
        p = nl ? nl + 1 : NULL;
    }
    return on;
}

static int fill_cache(worker_execs *x, const deploy_app_desc *d)
{
    char dir[PATH_MAX];
    pathf(dir, sizeof dir, "%s/cache", x->work_dir);
    int rc = make_dir(dir);
    /* With a command (the Python package's interpreter) the executable is
     * not run: it is not fetched. */
    bool run_exe = d->command_len == 0;
    bool need = run_exe && !cached(x, &d->exe);
    for (uint32_t i = 0; i < d->nfiles; i++) need = need || !cached(x, &d->files[i]);
    if (rc != KILN_OK || !need) return rc;
    char peer[NET_HOST_MAX + 32];
    snprintf(peer, sizeof peer, "driver %s:%u", d->driver_host, d->driver_port);
    int fd = -1;
    /* The application's own setting: its driver's listener speaks TLS or not. */
    rc = net_dial(d->driver_host, (int)d->driver_port, x->secret, x->slen, app_wants_tls(d),
                  FETCH_IDLE_MS, peer, &fd);
    if (rc == KILN_OK && run_exe && !cached(x, &d->exe)) rc = fetch_one(x, fd, &d->exe, peer);
    for (uint32_t i = 0; rc == KILN_OK && i < d->nfiles; i++)
        if (!cached(x, &d->files[i])) rc = fetch_one(x, fd, &d->files[i], peer);
    net_close(fd);
    return rc;
}

/* ---- The executor's directory and process ----------------------------------------- */

/* <work>/<app>/<exec>/ with the files linked (or copied) in. */
static int make_exec_dir(worker_execs *x, wexec *e)
{
    char app[PATH_MAX];
    pathf(app, sizeof app, "%s/%s", x->work_dir, e->l.app_id);
    pathf(e->dir, sizeof e->dir, "%s/%u", app, e->l.executor);
    int rc = make_dir(app);
    if (rc == KILN_OK) rc = make_dir(e->dir);
    for (uint32_t i = 0; rc == KILN_OK && i < e->l.desc.nfiles; i++) {
        const deploy_file *f = &e->l.desc.files[i];
        char from[PATH_MAX], to[PATH_MAX];
        cache_path(x, f->sha256, from, sizeof from);
        pathf(to, sizeof to, "%s/%s", e->dir, f->name);
        unlink(to);
        if (link(from, to) == 0) continue;
        /* Another file system (or links refused): a copy. */
        int in = open(from, O_RDONLY | O_CLOEXEC);
        int out = in < 0 ? -1
                         : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (in < 0 || out < 0)
            rc = kiln_set_error(KILN_EIO, "cannot copy %s to %s: %s", from, to, strerror(errno));
        char buf[65536];
        ssize_t r;
        while (rc == KILN_OK && (r = read(in, buf, sizeof buf)) != 0) {
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) rc = kiln_set_error(KILN_EIO, "reading %s: %s", from, strerror(errno));
            else rc = io_write_full(out, buf, (size_t)r, to);
        }
        if (in >= 0) close(in);
        if (out >= 0) close(out);
    }
    return rc;
}

/* Opens <dir>/<name> for the child's output (appended across restarts). */
static int open_log(const char *dir, const char *name)
{
    char path[PATH_MAX];
    pathf(path, sizeof path, "%s/%s", dir, name);
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

/* Writes the pipe's content: the secret, a newline, the conf lines. It is
 * under DEPLOY_CONF_MAX + NET_SECRET_MAX bytes, so it fits the pipe's
 * buffer and the write never waits for the child. */
static void write_pipe(worker_execs *x, int fd, const deploy_app_desc *d)
{
    struct part {
        const void *p;
        size_t n;
    } parts[] = {{x->secret, x->slen}, {"\n", 1}, {d->conf ? d->conf : "", d->conf_len}};
    for (size_t i = 0; i < 3; i++) {
        const char *p = parts[i].p;
        size_t left = parts[i].n;
        while (left > 0) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return; /* the child died: it is reaped and reported */
            p += w;
            left -= (size_t)w;
        }
    }
}

/* Starts e's process. */
static int spawn(worker_execs *x, wexec *e)
{
    if (memchr(x->secret, '\n', x->slen) || memchr(x->secret, '\0', x->slen))
        return kiln_set_error(KILN_ECONF, "the secret holds a newline or NUL byte: it cannot go "
                                          "down an executor's pipe");
    char exe[PATH_MAX];
    cache_path(x, e->l.desc.exe.sha256, exe, sizeof exe);
    char v_connect[NET_HOST_MAX + 64], v_id[48], v_cores[48], v_mem[64], v_fd[48],
        v_dir[PATH_MAX + 32], v_host[NET_HOST_MAX + 32];
    const char *h = e->l.desc.driver_host;
    snprintf(v_connect, sizeof v_connect, "KILN_EXECUTOR_CONNECT=%s%s%s:%u",
             strchr(h, ':') ? "[" : "", h, strchr(h, ':') ? "]" : "", e->l.desc.driver_port);
    snprintf(v_id, sizeof v_id, "KILN_EXECUTOR_ID=%u", e->l.executor);
    snprintf(v_cores, sizeof v_cores, "KILN_EXECUTOR_CORES=%u", e->l.cores);
    uint64_t mb = e->l.desc.executor_memory >> 20;
    snprintf(v_mem, sizeof v_mem, "KILN_EXECUTOR_MEMORY=%llum", (unsigned long long)(mb ? mb : 1));
    pathf(v_dir, sizeof v_dir, "KILN_EXECUTOR_SHUFFLE_DIR=%s/shuffle", e->dir);
    snprintf(v_host, sizeof v_host, "KILN_EXECUTOR_HOST=%s", x->host);
    int p[2] = {-1, -1};
    if (pipe2(p, O_CLOEXEC) != 0) return kiln_set_error(KILN_EIO, "pipe: %s", strerror(errno));
    snprintf(v_fd, sizeof v_fd, "KILN_EXECUTOR_SECRET_FD=%d", p[0]);
    char *vars[] = {v_connect, v_id, v_cores, v_mem, v_fd, v_dir, v_host};
    char **env = env_without("KILN_EXECUTOR_", (const char *const *)vars, 7);
    int out = open_log(e->dir, "stdout"), err = open_log(e->dir, "stderr");
    /* The command's words (the application's executor command), or the
     * cached executable alone. */
    char *argv_exe[] = {exe, NULL};
    char **argv = argv_exe;
    const deploy_app_desc *d = &e->l.desc;
    size_t words = 0;
    for (size_t i = 0; i < d->command_len; i++) words += d->command[i] == '\0';
    char **cmd = words ? calloc(words + 1, sizeof *cmd) : NULL;
    for (size_t i = 0, k = 0; cmd && i < d->command_len; i += strlen(d->command + i) + 1)
        cmd[k++] = d->command + i;
    if (cmd) argv = cmd;
    int rc = KILN_OK;
    if (words && !cmd) rc = kiln_set_error(KILN_ENOMEM, "out of memory for an executor's command");
    else if (!env) rc = kiln_set_error(KILN_ENOMEM, "out of memory for an executor's environment");
    else if (out < 0 || err < 0)
        rc = kiln_set_error(KILN_EIO, "cannot open the logs in %s: %s", e->dir, strerror(errno));
    pid_t pid = rc ? -1 : fork();
    if (pid == 0) {
        /* The child: only async-signal-safe calls until execve. */
        dup2(out, 1);
        dup2(err, 2);
        int flags = fcntl(p[0], F_GETFD);
        if (flags < 0 || fcntl(p[0], F_SETFD, flags & ~FD_CLOEXEC) != 0 || chdir(e->dir) != 0)
            _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, env);
        _exit(127);
    }
    if (rc == KILN_OK && pid < 0) rc = kiln_set_error(KILN_EIO, "fork: %s", strerror(errno));
    close(p[0]);
    if (pid > 0) {
        write_pipe(x, p[1], &e->l.desc);
        e->pid = pid;
    }
    close(p[1]);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    free(env);
    free(cmd);
    return rc;
}

/* ---- LAUNCH_EXECUTOR, KILL_EXECUTOR ----------------------------------------------- */

static int add(worker_execs *x, wexec *e)
{
    wexec **grown = realloc(x->e, (x->n + 1) * sizeof *grown);
    if (!grown) return kiln_set_error(KILN_ENOMEM, "out of memory for an executor");
    x->e = grown;
    x->e[x->n++] = e;
    return KILN_OK;
}

int wexec_launch(worker_execs *x, const net_frame *f)
{
    wexec *e = calloc(1, sizeof *e);
    if (!e) return kiln_set_error(KILN_ENOMEM, "out of memory for an executor");
    int rc = deploy_msg_launch_read(f, x->master_peer, &e->l);
    if (rc != KILN_OK) {
        free(e);
        return rc;
    }
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->e[i]->l.app_id, e->l.app_id) && x->e[i]->l.executor == e->l.executor) {
            LOG(LOG_WARN, "worker", "%s executor %u is already running here", e->l.app_id,
                e->l.executor);
            wexec_free(e);
            return KILN_OK;
        }
    LOG(LOG_INFO, "worker", "launching %s executor %u ('%s'): %u cores, %llu MiB, driver %s:%u",
        e->l.app_id, e->l.executor, e->l.desc.name, e->l.cores,
        (unsigned long long)(e->l.desc.executor_memory >> 20), e->l.desc.driver_host,
        e->l.desc.driver_port);
    rc = fill_cache(x, &e->l.desc);
    if (rc == KILN_OK) rc = make_exec_dir(x, e);
    if (rc == KILN_OK) rc = spawn(x, e);
    if (rc == KILN_OK) rc = add(x, e);
    if (rc != KILN_OK) {
        if (e->pid > 0) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, NULL, 0);
        }
        report(x, LOG_WARN, e->l.app_id, e->l.executor, DEPLOY_EXEC_FAILED, 0, 0,
               "cannot start: %s", kiln_last_error());
        wexec_free(e);
        return KILN_OK;
    }
    report(x, LOG_INFO, e->l.app_id, e->l.executor, DEPLOY_EXEC_RUNNING, 0, 0, "pid %d in %s",
           (int)e->pid, e->dir);
    return KILN_OK;
}

/* Removes <work>/<app> when none of its executors is left. */
static void remove_app_dir_if_idle(worker_execs *x, const char *app_id)
{
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->e[i]->l.app_id, app_id)) return;
    char dir[PATH_MAX];
    pathf(dir, sizeof dir, "%s/%s", x->work_dir, app_id);
    if (io_remove_tree(dir) != KILN_OK)
        LOG(LOG_WARN, "worker", "cannot remove %s: %s", dir, kiln_last_error());
}

int wexec_kill_app(worker_execs *x, const net_frame *f)
{
    char app[DEPLOY_ID_MAX];
    int rc = deploy_msg_kill_read(f, x->master_peer, app);
    if (rc != KILN_OK) return rc;
    int64_t now = deploy_now_ms();
    for (size_t i = 0; i < x->n; i++) {
        wexec *e = x->e[i];
        if (strcmp(e->l.app_id, app) || e->killing) continue;
        e->killing = true;
        e->app_ended = true;
        e->kill_at = now + KILL_GRACE_MS;
        kill(e->pid, SIGTERM);
    }
    LOG(LOG_INFO, "worker", "killing the executors of %s", app);
    remove_app_dir_if_idle(x, app);
    return KILN_OK;
}

/* ---- Reaping and restarting ------------------------------------------------------- */

/* Drops x->e[i] from the table (it has been reaped). The application's
 * directory goes with its last executor when that was killed, or when the
 * worker has no master to send KILL_EXECUTOR later (the application ended
 * while the master was away: nobody else would remove it). */
static void drop(worker_execs *x, size_t i)
{
    char app[DEPLOY_ID_MAX];
    bool killed = x->e[i]->killing;
    memcpy(app, x->e[i]->l.app_id, sizeof app);
    wexec_free(x->e[i]);
    memmove(&x->e[i], &x->e[i + 1], (x->n - i - 1) * sizeof *x->e);
    x->n--;
    if (killed || x->master_fd < 0) remove_app_dir_if_idle(x, app);
}

/* The last non-empty line of <dir>/stderr (at most size - 1 bytes of its
 * end) into out, "" when there is none: what an executor that could not
 * start said last (e.g. the Python package's version check), so that its
 * report, and the driver, name the cause. */
static void stderr_tail(const char *dir, char *out, size_t size)
{
    out[0] = '\0';
    char path[PATH_MAX], buf[512];
    pathf(path, sizeof path, "%s/stderr", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
    ssize_t n = end > 0 ? pread(fd, buf, (size_t)(end - from), from) : 0;
    close(fd);
    if (n <= 0) return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    buf[n] = '\0';
    char *line = memrchr(buf, '\n', (size_t)n);
    line = line ? line + 1 : buf;
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    snprintf(out, size, "%s", line);
}

/* e's process ended with status st. */
static void on_exit_status(worker_execs *x, size_t i, int st)
{
    wexec *e = x->e[i];
    e->pid = 0;
    int32_t code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1;
    char how[700], said[560];
    if (WIFSIGNALED(st)) snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
    else snprintf(how, sizeof how, "exited with status %d", code);
    if (code != 0 && !e->killing) {
        stderr_tail(e->dir, said, sizeof said);
        if (said[0]) snprintf(how + strlen(how), sizeof how - strlen(how), " (%s)", said);
    }
    if (e->killing && e->app_ended) {
        /* The application ended and its executors go with it: the normal
         * end of every application, whether the executor had left on its
         * own (its driver said SHUTDOWN) or our SIGTERM ended it. */
        report(x, LOG_INFO, e->l.app_id, e->l.executor, DEPLOY_EXEC_KILLED, code, e->restarts,
               "exited after the application ended (%s)", how);
    } else if (e->killing) {
        /* The worker stops or lost its master while the application runs. */
        report(x, LOG_WARN, e->l.app_id, e->l.executor, DEPLOY_EXEC_KILLED, code, e->restarts,
               "%s: the worker stops or lost its master", how);
    } else if (code == 0) {
        /* It left on its own: its driver said SHUTDOWN. */
        report(x, LOG_INFO, e->l.app_id, e->l.executor, DEPLOY_EXEC_EXITED, 0, e->restarts, "%s",
               how);
    } else if ((int)e->restarts < x->max_restarts) {
        e->restarts++;
        report(x, LOG_WARN, e->l.app_id, e->l.executor, DEPLOY_EXEC_RESTARTING, code, e->restarts,
               "%s; restart %u of %d", how, e->restarts, x->max_restarts);
        if (spawn(x, e) == KILN_OK) {
            report(x, LOG_INFO, e->l.app_id, e->l.executor, DEPLOY_EXEC_RUNNING, 0, e->restarts,
                   "restarted: pid %d", (int)e->pid);
            return;
        }
        report(x, LOG_WARN, e->l.app_id, e->l.executor, DEPLOY_EXEC_FAILED, code, e->restarts,
               "cannot restart: %s", kiln_last_error());
    } else {
        report(x, LOG_WARN, e->l.app_id, e->l.executor, DEPLOY_EXEC_FAILED, code, e->restarts,
               "%s after %u restarts", how, e->restarts);
    }
    drop(x, i);
}

void wexec_poll(worker_execs *x)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0) break;
        for (size_t i = 0; i < x->n; i++)
            if (x->e[i]->pid == pid) {
                on_exit_status(x, i, st);
                break;
            }
    }
    int64_t now = deploy_now_ms();
    for (size_t i = 0; i < x->n; i++) {
        wexec *e = x->e[i];
        if (e->killing && !e->sigkilled && e->pid > 0 && now >= e->kill_at) {
            kill(e->pid, SIGKILL);
            e->sigkilled = true;
        }
    }
}

int wexec_list(const worker_execs *x, deploy_worker_exec **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    if (x->n == 0) return KILN_OK;
    deploy_worker_exec *list = calloc(x->n, sizeof *list);
    if (!list) return kiln_set_error(KILN_ENOMEM, "out of memory for the list of executors");
    uint32_t k = 0;
    for (size_t i = 0; i < x->n; i++) {
        const wexec *e = x->e[i];
        if (e->killing) continue;
        deploy_worker_exec *l = &list[k++];
        memcpy(l->app_id, e->l.app_id, sizeof l->app_id);
        l->executor = e->l.executor;
        l->cores = e->l.cores;
        l->memory = e->l.desc.executor_memory;
        l->state = e->pid > 0 ? DEPLOY_EXEC_RUNNING : DEPLOY_EXEC_RESTARTING;
    }
    *out = list;
    *n = k;
    return KILN_OK;
}

size_t wexec_count(const worker_execs *x)
{
    return x->n;
}

void wexec_kill_all(worker_execs *x)
{
    int64_t now = deploy_now_ms();
    for (size_t i = 0; i < x->n; i++) {
        wexec *e = x->e[i];
        if (e->killing) continue;
        e->killing = true;
        e->kill_at = now + KILL_GRACE_MS;
        if (e->pid > 0) kill(e->pid, SIGTERM);
    }
    while (x->n > 0) {
        wexec_poll(x);
        if (x->n > 0) poll(NULL, 0, 20);
    }
}
