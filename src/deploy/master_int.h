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

#define MAX_CONNS 1024
#define MAX_WORKERS 4096      /* remembered, DEAD ones included */
#define AUTH_TIMEOUT_MS 10000 /* for the whole handshake (which never blocks the loop) */
#define IDLE_TIMEOUT_MS 60000 /* an authenticated connection that is not a worker */
#define SEND_TIMEOUT_MS 2000
#define HTTP_TIMEOUT_MS 5000
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
    CONN_PEER, /* authenticated: a worker, a driver or a status client */
    CONN_HTTP  /* accepted on the HTTP port */
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
    char req[HTTP_MAX_REQUEST];
    size_t req_len; /* CONN_HTTP */
} conn;

typedef struct worker_rec {
    char id[DEPLOY_ID_MAX];
    deploy_register offer;
    deploy_worker_state state;
    int64_t last_heartbeat_ms;
    conn *conn;          /* while ALIVE */
    uint32_t cores_used; /* by its executors that are not final */
    uint64_t memory_used;
} worker_rec;

typedef struct master {
    int lfd, hfd;
    uint8_t *secret;
    size_t slen;
    char token[HTTP_TOKEN_HEX + 1];
    char url[DEPLOY_URL_MAX];
    int timeout_ms;
    conn *conns[MAX_CONNS]; /* closed ones are freed by compact() */
    size_t nconns;
    struct pollfd pfd[MAX_CONNS + 2]; /* one round's poll set: listeners, then conns */
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
} master;

/* Sends an ERROR frame (best effort: the connection is closed next). */
void master_send_error(conn *c, int code, const char *msg);

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
/* Adds the applications and executors to a status snapshot. */
int master_app_status(const master *m, deploy_status *s);
/* Frees the application table. */
void master_app_free(master *m);

#endif
