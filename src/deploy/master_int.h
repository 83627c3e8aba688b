/*
 * deploy/master_int.h - the master's state, shared by master.c (the poll()
 * loop, connections, workers, status) and master_apps.c (applications and
 * their executors). Private to those two files.
 */
#ifndef KILN_DEPLOY_MASTER_INT_H
#define KILN_DEPLOY_MASTER_INT_H

#include <poll.h>

#include "base/base.h"
#include "deploy/deploy_int.h"
#include "web/web.h"

#define MAX_CONNS 1024
#define MAX_WORKERS 4096      /* remembered, DEAD ones included */
#define AUTH_TIMEOUT_MS 10000 /* for the whole handshake (which never blocks the loop) */
#define IDLE_TIMEOUT_MS 60000 /* an authenticated connection that is not a worker */
#define SEND_TIMEOUT_MS 2000
#define TICK_MS 200 /* how often timeouts are checked at least */
#define ACCEPTS_PER_TICK 32
/* Connections that have not proved anything yet (handshake not done, HTTP
 * request not whole), per kind: at most MAX_PENDING, MAX_PENDING_SOURCE
 * from one address; a new one past a bound evicts the oldest (master.c). */
#define MAX_PENDING 128
#define MAX_PENDING_SOURCE 32
#define LISTEN_BACKLOG 1024 /* connections the kernel queues before accept */
#define ACCEPT_PAUSE_MS 100 /* the listeners rest after a failed accept with nothing to evict */
#define STALL_GRACE_MS 1000 /* a round later than TICK_MS + this: the master itself stalled */

typedef enum conn_kind {
    CONN_AUTH, /* accepted on the kiln port, handshake not done */
    CONN_PEER  /* authenticated: a worker, a driver or a status client */
} conn_kind;

/* One connection. Heap-allocated so that the decoder's borrowed peer name
 * stays put while the table changes. */
typedef struct conn {
    int fd;
    conn_kind kind;
    char peer[NET_HOST_MAX + 48];
    char source[NET_HOST_MAX + 16]; /* the peer's address without the port */
    int64_t deadline;               /* closed when passed; -1: none (a worker's) */
    net_handshake hs;               /* CONN_AUTH */
    short events;                   /* CONN_AUTH: what the handshake waits for */
    net_frame_decoder dec;          /* CONN_PEER */
    int worker;                     /* CONN_PEER: index in the worker table, or -1 */
    int app;     /* CONN_PEER: index in the application table (a driver), or -1 */
    bool closed; /* fd closed; freed by compact() at the end of the round */
} conn;

typedef struct worker_rec {
    char id[DEPLOY_ID_MAX];
    deploy_register offer;
    deploy_worker_state state;
    int64_t last_heartbeat_ms;
    conn *conn;          /* while ALIVE */
    uint32_t cores_used; /* by its executors that are not final */
    uint64_t memory_used;
    uint32_t web_port; /* its web UI, from REGISTER_WORKER (0: none) */
} worker_rec;

/* An application's executor as the master knows it. */
typedef struct exec_rec {
    uint32_t id;
    int worker; /* index in the worker table */
    char worker_id[DEPLOY_ID_MAX];
    uint32_t cores;
    uint8_t state; /* deploy_exec_state */
} exec_rec;

/* An application (master_apps.c). */
typedef struct app_rec {
    char id[DEPLOY_ID_MAX];
    char name[DEPLOY_NAME_MAX];
    uint8_t state;  /* DEPLOY_APP_RUNNING / _FINISHED / _UNKNOWN (recovered, driver not back) */
    uint32_t cores; /* held by its executors that are not final */
    uint32_t total_cores, executor_cores; /* what it asked for (REGISTER_APP) */
    uint64_t executor_memory;
    char driver[DEPLOY_URL_MAX];
    char ui_url[DEPLOY_URL_MAX]; /* its web UI (REGISTER_APP), "" */
    conn *conn;                  /* the driver's, while RUNNING */
    int64_t finished_ms;
    int64_t submitted_wall_ms, ended_wall_ms; /* for the web page (0: unknown) */
    bool has_desc;        /* desc came from its driver (not from a recovery file) */
    bool ending;          /* an executor EXITED: its driver is ending it, place no more */
    int failed;           /* executors that FAILED: none placed past MAX_FAILED_EXECUTORS */
    deploy_app_desc desc; /* owned: what LAUNCH_EXECUTOR needs */
    exec_rec *execs;
    uint32_t nexecs;
} app_rec;

typedef struct master {
    int lfd;
    web_server *web;  /* the pages and /json, on their own thread (master_web.c) */
    deploy_xchg xchg; /* how the pages get a snapshot of the tables */
    uint8_t *secret;
    size_t slen;
    char token[HTTP_TOKEN_HEX + 1];
    char url[DEPLOY_URL_MAX];
    int timeout_ms;
    conn *conns[MAX_CONNS]; /* closed ones are freed by compact() */
    size_t nconns;
    struct pollfd pfd[MAX_CONNS + 2]; /* one round's poll set: listener, pages' pipe, conns */
    conn *owner[MAX_CONNS + 2];
    worker_rec *workers;
    size_t nworkers;
    uint64_t next_id;
    struct app_rec **apps; /* master_apps.c; FINISHED ones are kept, the oldest reused */
    size_t napps;
    uint64_t next_app_id;
    log_throttle refused_log; /* one WARN a second for refused connections */
    log_throttle accept_log;  /* and for failing accepts */
    log_throttle stall_log;   /* and for the master's own stalls */
    int64_t paused_until;     /* the listening sockets are not polled before this */
    int64_t last_check_ms;    /* when check_timeouts last ran (0: never) */
    /* master_recovery.c */
    char *recovery_dir;        /* owned; NULL: no persistence */
    bool recovering;           /* recovered workers or apps are UNKNOWN until they come back */
    int64_t recovery_deadline; /* then the ones still UNKNOWN are DEAD / FINISHED */
    bool dirty;                /* the tables changed since the state file was written */
    int64_t next_save_ms;      /* after a failed write: not before this */
} master;

/* Sends an ERROR frame (best effort: the connection is closed next). */
void master_send_error(conn *c, int code, const char *msg);
/* A snapshot of the tables (workers, applications, executors). Owned by
 * the caller (deploy_status_release). */
int master_status_snapshot(const master *m, deploy_status *s);

/* ---- The web pages (master_web.c) ---------------------------------------------------- */

/* Starts the web server (pages, /static/, GET /json with the bearer token)
 * on host ("" every address) and port, its thread reading the tables
 * through m->xchg; prints the URL (with ?token= when off loopback) on
 * announce. KILN_EIO naming the port. */
int master_web_start(master *m, const char *host, int port, const char *shown_host,
                     int *bound_port);
/* Stops it (NULL-safe). */
void master_web_stop(master *m);

/* ---- Applications (master_apps.c) ---------------------------------------------- */

/* REGISTER_APP from c: places executors on ALIVE workers with free cores and
 * memory, sends them LAUNCH_EXECUTOR and replies REGISTERED_APP. Nonzero:
 * refused (nothing could be granted, malformed, out of turn); c is closed
 * with an ERROR by the caller. */
int master_app_register(master *m, conn *c, const net_frame *f);
/* EXECUTOR_STATE from the worker on c: updates the executor, returns its
 * resources when it is final, forwards APP_EXECUTOR to the driver. */
int master_app_exec_state(master *m, conn *c, const net_frame *f);
/* The driver on c went away: its application is FINISHED, its executors
 * KILLED and KILL_EXECUTOR goes to their workers. */
void master_app_driver_gone(master *m, conn *c);
/* Worker w is DEAD: its executors are LOST (their drivers are told). */
void master_app_worker_gone(master *m, int w);
/* Worker w registered again (it had run before this master's restart or
 * reconnected) and runs execs: they are re-attached to their applications
 * (resources taken again); its executors the master knew that it no
 * longer runs are LOST; executors of applications the master does not
 * know or that finished get KILL_EXECUTOR. */
void master_app_worker_back(master *m, int w, const deploy_worker_exec *execs, uint32_t n);
/* a is FINISHED (why, for the log): its executors KILLED, KILL_EXECUTOR to
 * their workers. */
void master_app_finish(master *m, app_rec *a, const char *why);
/* Spark's schedule(): gives each RUNNING application whose driver is
 * connected the cores it still wants (all free ones when it asked for no
 * limit), placing executors on ALIVE workers as at registration. Called
 * when resources may have appeared: a worker registered, an executor or
 * application ended, a worker died (its executors go elsewhere). */
void master_app_schedule(master *m);
/* Makes sure the next application id is past the number of "app-N". */
void master_app_note_id(master *m, const char *id);
/* Adds the applications and executors to a status snapshot. */
int master_app_status(const master *m, deploy_status *s);
/* Frees the application table. */
void master_app_free(master *m);

/* ---- Recovery (master_recovery.c) ------------------------------------------------- */

/* A worker, application or executor as the state file keeps it. */
typedef struct mstate_worker {
    char id[DEPLOY_ID_MAX];
    deploy_register offer;
} mstate_worker;

typedef struct mstate_app {
    char id[DEPLOY_ID_MAX];
    char name[DEPLOY_NAME_MAX];
    uint8_t state; /* RUNNING (UNKNOWN counts as RUNNING) or FINISHED */
    uint32_t total_cores, executor_cores, cores;
    uint64_t executor_memory;
    char driver[DEPLOY_URL_MAX];
} mstate_app;

/* What <recovery-dir>/master-state holds (docs/formats/master_state.md).
 * Caller-owned; owns its arrays (master_state_release). */
typedef struct master_state {
    uint64_t next_worker_id, next_app_id; /* the last numbers given out */
    uint32_t nworkers;
    mstate_worker *workers; /* not DEAD */
    uint32_t napps;
    mstate_app *apps;
    uint32_t nexecs;
    deploy_exec_status *execs; /* of the RUNNING applications, not final */
} master_state;

#define MASTER_STATE_FILE "master-state"

/* Frees s's arrays and zeroes it. */
void master_state_release(master_state *s);
/* Writes s to dir/master-state safely: a temporary file in dir, written,
 * fsynced, renamed over the old one, the directory fsynced; a failure at
 * any step leaves the old file whole (and removes the temporary file).
 * KILN_OK, KILN_EINVAL for a value the reader would refuse, KILN_EIO
 * naming the file. Borrows everything. */
int master_state_save(const char *dir, const master_state *s);
/* Reads dir/master-state into *out (owned by the caller). *found false
 * (and KILN_OK) when there is none; KILN_ECORRUPT naming the file for a
 * damaged one (checksum, magic, version, layout, values), KILN_EIO when it
 * cannot be read. */
int master_state_load(const char *dir, master_state *out, bool *found);

/* Opens the recovery directory of the options (none: nothing to do),
 * creating it (mode 0700), and recovers the state file: workers become
 * UNKNOWN, RUNNING applications UNKNOWN with their executors, the id
 * counters continue. Errors as master_state_load, or creating the
 * directory (KILN_EIO). */
int master_recovery_open(master *m, const char *dir);
/* A worker slot for a registration: the record of previous_id when it is
 * not ALIVE, else -1 (the caller takes a new slot). */
int master_worker_find(const master *m, const char *previous_id);
/* Names the worker in slot: previous_id when no other record holds it,
 * else the next worker-N; the counter moves past any worker-N seen. */
void master_worker_name(master *m, int slot, const char *previous_id);
/* Once a loop round: ends the recovery when everything came back or its
 * deadline passed (UNKNOWN workers DEAD, UNKNOWN applications FINISHED),
 * and writes the state file when the tables changed. */
void master_recovery_tick(master *m);
/* Frees what master_recovery_open allocated. */
void master_recovery_close(master *m);

#endif
