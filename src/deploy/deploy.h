/*
 * deploy/deploy.h - the standalone cluster manager (Spark's deploy), for the
 * kiln command (src/cli) and for the driver's side of cluster mode
 * (src/cluster/standalone.c): the master and worker daemons, the status
 * client and its JSON document, the HTTP status token, and the driver's
 * application client (registering with the master, serving the program to
 * workers). The payloads of the manager's messages are deploy/messages.h;
 * what only this folder's files share is deploy/deploy_int.h.
 *
 * deploy depends on net, io and base, never on the engine or src/cluster.
 * Errors follow the rest of kiln: 0 (KILN_OK) or a negative KILN_E* code
 * with the message in kiln_last_error(). See src/deploy/README.md.
 */
#ifndef KILN_DEPLOY_H
#define KILN_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kiln.h"
#include "net/net.h"

/* Internal to libkiln: none of this is exported from libkiln.so. */
#pragma GCC visibility push(hidden)

/* ---- Limits of what the master reports (docs/formats/protocol.md) ----------------- */

#define DEPLOY_ID_MAX 64        /* a worker or application id, with its NUL */
#define DEPLOY_DIR_MAX 4096     /* a work directory, with its NUL */
#define DEPLOY_URL_MAX 320      /* a kiln:// URL, with its NUL */
#define DEPLOY_NAME_MAX 256     /* an application or file name, with its NUL */
#define DEPLOY_MAX_CORES 65536u /* more is taken for a corrupt field */

/* What a worker offers, as it registers (REGISTER_WORKER). */
typedef struct deploy_register {
    char host[NET_HOST_MAX];       /* where the master and drivers reach it */
    uint32_t cores;                /* 1..DEPLOY_MAX_CORES */
    uint64_t memory;               /* bytes, >= 1 */
    char work_dir[DEPLOY_DIR_MAX]; /* where its executors will run */
} deploy_register;

typedef enum deploy_worker_state {
    DEPLOY_WORKER_ALIVE = 1,
    DEPLOY_WORKER_DEAD = 2,   /* its connection dropped or its heartbeats stopped */
    DEPLOY_WORKER_UNKNOWN = 3 /* recovered by a restarted master, not registered again yet */
} deploy_worker_state;

/* A worker as the master reports it (STATUS_REPLY). */
typedef struct deploy_worker_status {
    char id[DEPLOY_ID_MAX];
    deploy_register offer;
    deploy_worker_state state;
    uint64_t heartbeat_age_ms; /* since its last heartbeat (or registration) */
    uint32_t web_port;         /* its web UI (0: none); the master's pages only, not on the wire */
} deploy_worker_status;

/* Executor states on the wire (EXECUTOR_STATE, APP_EXECUTOR, STATUS_REPLY). */
typedef enum deploy_exec_state {
    DEPLOY_EXEC_RUNNING = 1,
    DEPLOY_EXEC_EXITED = 2,    /* exit status 0: final */
    DEPLOY_EXEC_FAILED = 3,    /* died and will not be restarted, or never started: final */
    DEPLOY_EXEC_KILLED = 4,    /* killed for KILL_EXECUTOR or a stopping worker: final */
    DEPLOY_EXEC_LOST = 5,      /* its worker died (set by the master): final */
    DEPLOY_EXEC_RESTARTING = 6 /* died; its worker starts it again (RUNNING follows) */
} deploy_exec_state;

/* The static name of a state ("RUNNING"), or "UNKNOWN". */
const char *deploy_exec_state_name(int state);
/* True for the states after which an executor holds no resources. */
bool deploy_exec_state_final(int state);

/* An application as the master reports it. */
typedef struct deploy_app_status {
    char id[DEPLOY_ID_MAX];
    char name[DEPLOY_NAME_MAX];
    uint8_t state;               /* 1 RUNNING, 2 FINISHED, 3 UNKNOWN (recovered, driver not back) */
    uint32_t cores;              /* granted */
    uint64_t executor_memory;    /* bytes per executor */
    char driver[DEPLOY_URL_MAX]; /* "host:port" */
    char ui_url[DEPLOY_URL_MAX]; /* its web UI, "" without one (REGISTER_APP's ui_url) */
    /* Wall-clock ms since the epoch (0: unknown); the master's pages only,
     * not on the wire. */
    int64_t submitted_ms, ended_ms;
} deploy_app_status;

#define DEPLOY_APP_RUNNING 1
#define DEPLOY_APP_FINISHED 2
#define DEPLOY_APP_UNKNOWN 3

/* An executor as the master reports it. */
typedef struct deploy_exec_status {
    char app_id[DEPLOY_ID_MAX];
    uint32_t executor;
    char worker_id[DEPLOY_ID_MAX];
    uint32_t cores;
    uint64_t memory;
    uint8_t state; /* deploy_exec_state */
} deploy_exec_status;

/* The master's state as a status client sees it. Caller-owned struct;
 * workers, apps and execs are owned by it (deploy_status_release). */
typedef struct deploy_status {
    char url[DEPLOY_URL_MAX]; /* the master's kiln:// URL */
    uint32_t nworkers;
    deploy_worker_status *workers;
    uint32_t napps;
    deploy_app_status *apps; /* every application the master remembers */
    uint32_t nexecs;
    deploy_exec_status *execs; /* the executors of RUNNING (and UNKNOWN) applications */
    uint8_t recovering;        /* 1: the master is RECOVERING (recovered workers or
                                * applications not back yet); 0: ALIVE */
} deploy_status;

void deploy_status_release(deploy_status *s);

/* Appends the status document (the body of GET /json and `kiln status`'s
 * output; layout in src/deploy/README.md). KILN_OK or KILN_ENOMEM. */
int deploy_status_json(const deploy_status *s, kiln_buf *out);

/* ---- The daemons and the status client (master.c, worker.c, status.c) ---------- */

#define HTTP_TOKEN_HEX 64

/* The bearer token of the HTTP status listener: lowercase hex of
 * HMAC-SHA256(secret, "kiln-status") and a NUL. KILN_EIO if OpenSSL fails. */
int deploy_http_token(const uint8_t *secret, size_t len, char out[HTTP_TOKEN_HEX + 1]);

typedef struct deploy_master_opts {
    const char *host;        /* NULL or "": every address, advertise the host name */
    int port;                /* 0: ephemeral */
    int http_port;           /* 0: ephemeral */
    const char *secret_spec; /* "file:PATH" (net_secret_load) */
    int network_timeout_ms;  /* a worker without a heartbeat for this long is DEAD */
    FILE *announce;          /* the "master listening on ..." line goes here */
    /* kiln.deploy.recoveryDirectory: where the master keeps its workers and
     * applications across restarts; NULL or "": nowhere. Workers and
     * applications recovered from it that have not registered again within
     * network_timeout_ms are DEAD / FINISHED. */
    const char *recovery_dir;
} deploy_master_opts;

/* Runs a master until SIGTERM or SIGINT (then returns KILN_OK) or a fatal
 * error (listening failed, secret refused, a recovery directory that
 * cannot be created or whose state file is damaged: KILN_ECORRUPT naming
 * the file). */
int deploy_master_run(const deploy_master_opts *o);

typedef struct deploy_worker_opts {
    net_url master;
    const char *host; /* advertised host; NULL: the address used to reach the master */
    uint32_t cores;
    uint64_t memory;      /* bytes */
    const char *work_dir; /* created (mode 0700) when absent */
    const char *secret_spec;
    int heartbeat_ms;
    int max_attempts; /* consecutive failed connections before giving up */
    int max_restarts; /* restarts of a dying executor while its app runs (3) */
    /* Its web UI (executors, their logs): where it listens (NULL: host, or
     * every address when host is NULL too; off loopback it needs the
     * status token) and its port (8081; 0: ephemeral; -1: no web UI). */
    const char *web_host;
    int web_port;
    FILE *announce; /* its URL is printed here (NULL: stderr only, in the log) */
} deploy_worker_opts;

/* Runs a worker until SIGTERM/SIGINT or a SHUTDOWN from the master (KILN_OK),
 * a wrong secret (KILN_EINVAL: never retried), or max_attempts failed
 * connections in a row (KILN_EIO). */
int deploy_worker_run(const deploy_worker_opts *o);

/* Asks the master at url for its status. On success *out is owned by the
 * caller. timeout_ms bounds each step (connect, handshake, reply). */
int deploy_status_fetch(const net_url *url, const char *secret_spec, int timeout_ms,
                        deploy_status *out);

/* ---- The driver's side (app_files.c, app_client.c; Spark's deploy.client) -------- */

/* The executable (/proc/self/exe) and the files of kiln.files, with their
 * sizes and sha256. Heap object (_new/_free); immutable once made, so
 * app_files_serve may run on several threads at once. */
typedef struct app_files app_files;

/* Hashes /proc/self/exe and each path of files_csv (comma-separated; NULL
 * or "" for none). Returns KILN_OK with *out owned by the caller,
 * KILN_ENOENT naming a missing file, KILN_ECONF for a file that is not a
 * regular file, 4 GiB or larger, or whose base name repeats another's,
 * KILN_EIO for a read error. */
int app_files_new(const char *files_csv, app_files **out);
/* As app_files_new, plus the paths of extra (NULL-terminated, may be NULL):
 * the files the executors' command needs (kiln_set_executor_files), shipped
 * and linked into executors' directories like kiln.files. */
int app_files_new_extra(const char *files_csv, const char *const *extra, app_files **out);
void app_files_free(app_files *f);

/* Serves FETCH_FILE requests on fd (already authenticated; first is the
 * request already received, borrowed) until the peer closes: each gets
 * FILE_DATA (the frame header, then the file's bytes with sendfile) when
 * its hash is one of f's, ERROR otherwise. A frame that is not FETCH_FILE
 * ends it with KILN_ECORRUPT; a peer silent for 60 s with KILN_EIO. Returns
 * KILN_OK when the peer closed. Does not close fd. peer names the other side
 * in messages. */
int app_files_serve(const app_files *f, int fd, const net_frame *first, const char *peer);

/* Appends key=value as one line of the configuration executors get
 * (REGISTER_APP's conf), unless key is kiln.authenticate.secret (executors
 * get the secret from their worker) or the pair cannot be one line (an
 * empty key, a key holding '=' or a newline, a value holding a newline).
 * KILN_OK or KILN_ENOMEM. */
int app_conf_line_add(kiln_buf *lines, const char *key, const char *value);

typedef struct app_request {
    const char *name;        /* the application's name (kiln.app.name) */
    const char *driver_host; /* where executors and workers reach the driver */
    int driver_port;
    uint32_t total_cores;     /* kiln.cores.max; 0: every core available */
    uint32_t executor_cores;  /* kiln.executor.cores; 0: all free cores of a worker */
    uint64_t executor_memory; /* bytes per executor */
    const char *conf;         /* lines from app_conf_line_add, sent to executors; may be NULL */
    size_t conf_len;
    const app_files *files;
    /* The executors' command (kiln_set_executor_command: the Python
     * package's interpreter and its arguments), NULL-terminated; NULL: the
     * workers run the fetched executable with no arguments. */
    const char *const *command;
    /* The application's web UI (kiln.ui.port), which the master's page
     * links to: an http(s) URL (a query, the token, is left out), NULL or
     * "" without one. */
    const char *ui_url;
} app_request;

typedef struct app_grant {
    char app_id[DEPLOY_ID_MAX];
    uint32_t executors, cores;
} app_grant;

/* Called on the client's thread for each APP_EXECUTOR: the executor id, its
 * state (deploy_exec_state: RUNNING, EXITED, FAILED, KILLED, LOST,
 * RESTARTING) and the worker's or master's message (borrowed for the call). */
typedef void (*app_executor_fn)(void *arg, uint32_t executor, int state, const char *message);

typedef struct app_client app_client;

/* Connects to the master, authenticates with secret, sends REGISTER_APP and
 * waits for REGISTERED_APP, all within timeout_ms. Then a thread reads
 * APP_EXECUTOR messages (calling fn, which may be NULL) and keeps the
 * connection open: the application lives as long as it. When the
 * connection breaks (the master died or restarted) the thread logs one
 * WARN and registers the application again with its id, with a backoff
 * (0.5 s doubling to 10 s), until it succeeds or the client closes; the
 * caller never waits for that. The client keeps a copy of the secret and
 * of the registration (wiped when freed). Returns KILN_OK
 * with *grant filled and *out owned by the caller (app_client_close), the
 * master's refusal (its code and message, e.g. KILN_ESTATE when no worker
 * has room), KILN_EINVAL for a wrong secret, KILN_EIO, KILN_ECONF for a
 * request out of limits (conf lines of 32 KiB or more among them).
 * Borrows everything. */
int app_client_register(const net_url *master, const uint8_t *secret, size_t len,
                        const app_request *req, int timeout_ms, app_executor_fn fn, void *arg,
                        app_grant *grant, app_client **out);

/* Closes the connection (the master then marks the application FINISHED
 * and kills its executors), joins the thread and frees c. NULL allowed.
 * Without a master it waits at most for the attempt under way (5 s). */
void app_client_close(app_client *c);

#pragma GCC visibility pop

#endif
