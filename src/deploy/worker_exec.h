/*
 * deploy/worker_exec.h - the worker's executors (worker_exec.c), for
 * worker.c: LAUNCH_EXECUTOR (fetch the files into the cache by hash, make
 * the executor's directory, fork + execve), KILL_EXECUTOR, reaping and
 * restarting without blocking the worker's poll() loop, and killing
 * everything when the worker leaves the master or stops. Private to the
 * worker's two files.
 */
#ifndef KILN_DEPLOY_WORKER_EXEC_H
#define KILN_DEPLOY_WORKER_EXEC_H

#include "deploy/deploy_int.h"
#include "web/web.h"

/* The longest work directory: every path under it then fits PATH_MAX. */
#define WORK_DIR_MAX 3000

typedef struct wexec wexec;

/* Caller-owned state (_init / _release). Borrows work_dir and the secret. */
typedef struct worker_execs {
    const char *work_dir;
    const uint8_t *secret;
    size_t slen;
    int max_restarts;
    char host[NET_HOST_MAX]; /* the worker's advertised host (KILN_EXECUTOR_HOST) */
    int master_fd;           /* where reports go; -1 between sessions */
    const char *master_peer; /* borrowed, for messages */
    wexec **e;               /* live executors (running, or being killed) */
    size_t n;
} worker_execs;

void wexec_init(worker_execs *x, const char *work_dir, const uint8_t *secret, size_t slen,
                int max_restarts);
/* Kills every executor (wexec_kill_all) and frees the table. */
void wexec_release(worker_execs *x);

/* LAUNCH_EXECUTOR: fetches what is not cached, starts the executor and
 * reports RUNNING, or FAILED with the reason. Returns nonzero only for a
 * malformed message (the session with the master is then closed). Blocks
 * while files are fetched from the driver (each with an idle deadline). */
int wexec_launch(worker_execs *x, const net_frame *f);
/* KILL_EXECUTOR: SIGTERM to the application's executors now, SIGKILL 2 s
 * later (from wexec_poll); the application's directory goes once all are
 * reaped. Nonzero for a malformed message. */
int wexec_kill_app(worker_execs *x, const net_frame *f);
/* Reaps exited executors (waitpid WNOHANG), reports them, restarts those
 * that failed while their application runs (up to max_restarts), and sends
 * SIGKILL to those past their kill deadline. Never blocks. */
void wexec_poll(worker_execs *x);
/* The executors that run or are being restarted (not those being killed),
 * for REGISTER_WORKER. KILN_OK with *out owned by the caller (free; NULL
 * when none) or KILN_ENOMEM. */
int wexec_list(const worker_execs *x, deploy_worker_exec **out, uint32_t *n);
/* How many executors the worker still has (being killed included). */
size_t wexec_count(const worker_execs *x);
/* Kills every executor and waits for them (at most about 2 s), removing
 * their applications' directories. Reports KILLED when master_fd is set. */
void wexec_kill_all(worker_execs *x);

/* ---- The worker's web pages (worker_web.c) -------------------------------------------- */

/* What the pages show of the worker, made on its loop's thread. Owns execs. */
typedef struct worker_view {
    int rc;
    char id[DEPLOY_ID_MAX]; /* "" before the first registration */
    char master[DEPLOY_URL_MAX];
    bool connected;
    uint32_t cores;
    uint64_t memory;
    deploy_worker_exec *execs;
    uint32_t nexecs;
} worker_view;

/* worker.c: fills view (a worker_view) from the worker (a worker), on the
 * loop's thread (deploy_xchg_call). */
void worker_view_fill(void *worker, void *view);

/* Starts the worker's web server (its executors; their stdout and stderr,
 * paged, never a file outside the work directory) as o asks, the pages'
 * snapshots through x, token for access off loopback. *out NULL when
 * o->web_port < 0. KILN_EIO naming the port. */
int worker_web_start(const deploy_worker_opts *o, deploy_xchg *x, const char *token,
                     web_server **out);

#endif
