/*
 * cluster/manager.h - the standalone cluster manager, for the kiln command
 * (src/cli) and the tests: the master (a poll() loop over workers, status
 * clients and an HTTP status listener), the worker (registers and sends
 * heartbeats), the status client, the payloads of the cluster's messages
 * (docs/formats/protocol.md), the JSON status document and the HTTP
 * request parser; applications (REGISTER_APP) and the executors workers
 * launch for them. The driver's side of applications is cluster/app.h.
 *
 * Errors follow the rest of kiln: 0 (KILN_OK) or a negative KILN_E* code
 * with the message in kiln_last_error(). See src/cluster/README.md.
 */
#ifndef KILN_CLUSTER_MANAGER_H
#define KILN_CLUSTER_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kiln.h"
#include "net/net.h"

/* Internal to libkiln: none of this is exported from libkiln.so. */
#pragma GCC visibility push(hidden)

/* ---- Limits of the payload fields (docs/formats/protocol.md) ---------------- */

#define CLUSTER_ID_MAX 64        /* a worker id, with its NUL */
#define CLUSTER_DIR_MAX 4096     /* a work directory, with its NUL */
#define CLUSTER_URL_MAX 320      /* a kiln:// URL, with its NUL */
#define CLUSTER_MAX_CORES 65536u /* more is taken for a corrupt field */
/* Post-authentication frame limits: control messages are small; a status
 * reply lists every worker the master remembers. */
#define CLUSTER_CONTROL_MAX_FRAME (64u << 10)
#define CLUSTER_STATUS_MAX_FRAME (64u << 20)

/* What a worker offers, as it registers (REGISTER_WORKER). */
typedef struct cluster_register {
    char host[NET_HOST_MAX];         /* where the master and drivers reach it */
    uint32_t cores;                  /* 1..CLUSTER_MAX_CORES */
    uint64_t memory;                 /* bytes, >= 1 */
    char work_dir[CLUSTER_DIR_MAX];  /* where its executors will run */
} cluster_register;

typedef enum cluster_worker_state {
    CLUSTER_WORKER_ALIVE = 1,
    CLUSTER_WORKER_DEAD = 2 /* its connection dropped or its heartbeats stopped */
} cluster_worker_state;

/* A worker as the master reports it (STATUS_REPLY). */
typedef struct cluster_worker_status {
    char id[CLUSTER_ID_MAX];
    cluster_register offer;
    cluster_worker_state state;
    uint64_t heartbeat_age_ms; /* since its last heartbeat (or registration) */
} cluster_worker_status;

/* ---- Applications and executors (app_messages.c; docs/formats/protocol.md) ---- */

#define CLUSTER_APP_MAX_FRAME (1u << 20) /* REGISTER_APP, LAUNCH_EXECUTOR: file lists, conf */
#define CLUSTER_NAME_MAX 256             /* an application or file name, with its NUL */
#define CLUSTER_SHA256_HEX 65            /* 64 lowercase hex digits and a NUL */
#define CLUSTER_MAX_FILES 256            /* files shipped with an application */
#define CLUSTER_CONF_MAX (32u << 10)     /* conf lines: they must fit an executor's pipe */
#define CLUSTER_MESSAGE_MAX 1024         /* an executor state's message, with its NUL */
#define CLUSTER_MAX_EXECUTORS 4096       /* per application */

/* A file the driver serves by hash: the executable or one of kiln.files. */
typedef struct cluster_file {
    char name[CLUSTER_NAME_MAX];    /* a plain base name: no '/', not "." or ".." */
    char sha256[CLUSTER_SHA256_HEX]; /* lowercase hex */
    uint64_t size;                   /* bytes, < 4 GiB (one FILE_DATA frame) */
} cluster_file;

/* What REGISTER_APP and LAUNCH_EXECUTOR share: the application as its
 * executors need it. Caller-owned; files and conf are owned by it
 * (cluster_app_desc_release). */
typedef struct cluster_app_desc {
    char name[CLUSTER_NAME_MAX];
    char driver_host[NET_HOST_MAX]; /* where executors and workers connect */
    uint32_t driver_port;           /* 1..65535 */
    uint64_t executor_memory;       /* bytes per executor, >= 1 */
    cluster_file exe;               /* the executable (name "exe") */
    uint32_t nfiles;
    cluster_file *files;
    char *conf;                     /* "key=value\n" lines (NUL-terminated), may be NULL */
    size_t conf_len;                /* bytes of conf, < CLUSTER_CONF_MAX */
} cluster_app_desc;

void cluster_app_desc_release(cluster_app_desc *d);

/* REGISTER_APP (driver -> master). */
typedef struct cluster_app_register {
    cluster_app_desc desc;
    uint32_t total_cores;    /* 0: every core available */
    uint32_t executor_cores; /* 0: all free cores of a worker, one executor per worker */
} cluster_app_register;

/* REGISTERED_APP (master -> driver). */
typedef struct cluster_app_registered {
    char app_id[CLUSTER_ID_MAX]; /* "app-N" */
    uint32_t executors, cores;
} cluster_app_registered;

/* LAUNCH_EXECUTOR (master -> worker). */
typedef struct cluster_launch {
    char app_id[CLUSTER_ID_MAX];
    uint32_t executor; /* unique within the application */
    uint32_t cores;    /* 1..CLUSTER_MAX_CORES */
    cluster_app_desc desc;
} cluster_launch;

/* Executor states on the wire (EXECUTOR_STATE, APP_EXECUTOR, STATUS_REPLY). */
typedef enum cluster_exec_state {
    CLUSTER_EXEC_RUNNING = 1,
    CLUSTER_EXEC_EXITED = 2,     /* exit status 0: final */
    CLUSTER_EXEC_FAILED = 3,     /* died and will not be restarted, or never started: final */
    CLUSTER_EXEC_KILLED = 4,     /* killed for KILL_EXECUTOR or a stopping worker: final */
    CLUSTER_EXEC_LOST = 5,       /* its worker died (set by the master): final */
    CLUSTER_EXEC_RESTARTING = 6  /* died; its worker starts it again (RUNNING follows) */
} cluster_exec_state;

/* The static name of a state ("RUNNING"), or "UNKNOWN". */
const char *cluster_exec_state_name(int state);
/* True for the states after which an executor holds no resources. */
bool cluster_exec_state_final(int state);

/* EXECUTOR_STATE (worker -> master) and APP_EXECUTOR (master -> driver). */
typedef struct cluster_exec_report {
    char app_id[CLUSTER_ID_MAX];
    uint32_t executor;
    uint8_t state;       /* cluster_exec_state */
    int32_t exit_status; /* exit code, or -signal; 0 while RUNNING */
    uint32_t restarts;   /* times the worker restarted it so far */
    char message[CLUSTER_MESSAGE_MAX];
} cluster_exec_report;

/* An application as the master reports it. */
typedef struct cluster_app_status {
    char id[CLUSTER_ID_MAX];
    char name[CLUSTER_NAME_MAX];
    uint8_t state;             /* 1 RUNNING, 2 FINISHED */
    uint32_t cores;            /* granted */
    uint64_t executor_memory;  /* bytes per executor */
    char driver[CLUSTER_URL_MAX]; /* "host:port" */
} cluster_app_status;

#define CLUSTER_APP_RUNNING 1
#define CLUSTER_APP_FINISHED 2

/* An executor as the master reports it. */
typedef struct cluster_exec_status {
    char app_id[CLUSTER_ID_MAX];
    uint32_t executor;
    char worker_id[CLUSTER_ID_MAX];
    uint32_t cores;
    uint64_t memory;
    uint8_t state; /* cluster_exec_state */
} cluster_exec_status;

/* The master's state as a status client sees it. Caller-owned struct;
 * workers, apps and execs are owned by it (cluster_status_release). */
typedef struct cluster_status {
    char url[CLUSTER_URL_MAX]; /* the master's kiln:// URL */
    uint32_t nworkers;
    cluster_worker_status *workers;
    uint32_t napps;
    cluster_app_status *apps;   /* every application the master remembers */
    uint32_t nexecs;
    cluster_exec_status *execs; /* the executors of RUNNING applications */
} cluster_status;

void cluster_status_release(cluster_status *s);

/* ---- Message payloads (messages.c) -------------------------------------------- */

/* Each _write appends the payload to b (KILN_OK, KILN_EINVAL for a field out
 * of its limits, KILN_ENOMEM); each _read checks the frame's type and decodes
 * its payload completely, KILN_ECORRUPT naming the message, peer and field
 * otherwise. */
int cluster_msg_register_write(kiln_buf *b, const cluster_register *r);
int cluster_msg_register_read(const net_frame *f, const char *peer, cluster_register *out);
/* REGISTERED_WORKER: the id the master gave the worker. */
int cluster_msg_registered_write(kiln_buf *b, const char *id);
int cluster_msg_registered_read(const net_frame *f, const char *peer, char id[CLUSTER_ID_MAX]);
/* STATUS_REQUEST has an empty payload: this only checks it. */
int cluster_msg_status_request_check(const net_frame *f, const char *peer);
int cluster_msg_status_reply_write(kiln_buf *b, const cluster_status *s);
/* On success *out owns its workers array (cluster_status_release). */
int cluster_msg_status_reply_read(const net_frame *f, const char *peer, cluster_status *out);

/* Shared by the payload files: KILN_ECORRUPT unless f has type want; starts
 * reading f's payload naming message and peer ("what", size bytes); refuses
 * (KILN_EINVAL) a string of max bytes or more, which a reader would cut. */
int cluster_msg_expect(const net_frame *f, int want, const char *peer);
void cluster_msg_reader_start(net_reader *r, const net_frame *f, const char *peer, char *what,
                              size_t size);
int cluster_msg_check_len(const char *s, size_t max, const char *field);

/* ---- Application payloads (app_messages.c) ------------------------------------ */

/* As above: _write refuses values a reader would refuse (KILN_EINVAL), _read
 * checks the type, layout and meaning (KILN_ECORRUPT naming the field) and
 * fills *out only on success; descs read are owned by *out. */
int cluster_msg_register_app_write(kiln_buf *b, const cluster_app_register *r);
int cluster_msg_register_app_read(const net_frame *f, const char *peer, cluster_app_register *out);
int cluster_msg_registered_app_write(kiln_buf *b, const cluster_app_registered *r);
int cluster_msg_registered_app_read(const net_frame *f, const char *peer,
                                    cluster_app_registered *out);
int cluster_msg_launch_write(kiln_buf *b, const cluster_launch *l);
int cluster_msg_launch_read(const net_frame *f, const char *peer, cluster_launch *out);
/* EXECUTOR_STATE and APP_EXECUTOR share the payload; type picks the message. */
int cluster_msg_exec_report_write(kiln_buf *b, const cluster_exec_report *r);
int cluster_msg_exec_report_read(const net_frame *f, int type, const char *peer,
                                 cluster_exec_report *out);
/* KILL_EXECUTOR: the application whose executors the worker must kill. */
int cluster_msg_kill_write(kiln_buf *b, const char *app_id);
int cluster_msg_kill_read(const net_frame *f, const char *peer, char app_id[CLUSTER_ID_MAX]);
/* FETCH_FILE: the sha256 (hex) of the file wanted. */
int cluster_msg_fetch_file_write(kiln_buf *b, const char *sha256);
int cluster_msg_fetch_file_read(const net_frame *f, const char *peer,
                                char sha256[CLUSTER_SHA256_HEX]);
/* True for 64 lowercase hex digits; for an id of [A-Za-z0-9._-] (usable as a
 * directory name); for a plain base name. */
bool cluster_sha256_valid(const char *s);
bool cluster_id_valid(const char *s);
bool cluster_basename_valid(const char *s);

/* ---- JSON (json.c, status.c) ------------------------------------------------------ */

/* Appends s as a JSON string literal (quotes included): '"', '\\' and control
 * characters are escaped, invalid UTF-8 bytes become U+FFFD, so the output is
 * always valid JSON whatever s holds. KILN_OK or KILN_ENOMEM. */
int json_put_str(kiln_buf *b, const char *s);

/* Appends the status document (the body of GET /json and `kiln status`'s
 * output; layout in src/cluster/README.md). KILN_OK or KILN_ENOMEM. */
int cluster_status_json(const cluster_status *s, kiln_buf *out);

/* ---- HTTP status listener (http.c) ------------------------------------------------------ */

#define HTTP_MAX_REQUEST 8192 /* request line and headers */
#define HTTP_TOKEN_HEX 64

/* The bearer token of the HTTP status listener: lowercase hex of
 * HMAC-SHA256(secret, "kiln-status") and a NUL. KILN_EIO if OpenSSL fails. */
int cluster_http_token(const uint8_t *secret, size_t len, char out[HTTP_TOKEN_HEX + 1]);

/* What the master answers to a request: status code and, for 200, the body
 * is the status JSON. */
typedef struct http_request {
    char method[16];
    char path[256];
    bool authorized; /* "Authorization: Bearer <token>" matched */
} http_request;

/* Parses the request line and headers in p[0..n) (which must hold the
 * blank line that ends them) and checks the Authorization header against
 * token in constant time. Returns the HTTP status the request deserves:
 * 200 (GET /json, authorized), 400 (malformed), 401 (no or wrong token:
 * checked before the path, so nothing is revealed without it), 404, 405. */
int http_handle_request(const char *p, size_t n, const char *token, http_request *req);

/* ---- Processes (master.c, worker.c, status.c) ----------------------------------------- */

typedef struct cluster_master_opts {
    const char *host;        /* NULL or "": every address, advertise the host name */
    int port;                /* 0: ephemeral */
    int http_port;           /* 0: ephemeral */
    const char *secret_spec; /* "file:PATH" (net_secret_load) */
    int network_timeout_ms;  /* a worker without a heartbeat for this long is DEAD */
    FILE *announce;          /* the "master listening on ..." line goes here */
} cluster_master_opts;

/* Runs a master until SIGTERM or SIGINT (then returns KILN_OK) or a fatal
 * error (listening failed, secret refused). */
int cluster_master_run(const cluster_master_opts *o);

typedef struct cluster_worker_opts {
    net_url master;
    const char *host;        /* advertised host; NULL: the address used to reach the master */
    uint32_t cores;
    uint64_t memory;         /* bytes */
    const char *work_dir;    /* created (mode 0700) when absent */
    const char *secret_spec;
    int heartbeat_ms;
    int max_attempts;        /* consecutive failed connections before giving up */
    int max_restarts;        /* restarts of a dying executor while its app runs (3) */
} cluster_worker_opts;

/* Runs a worker until SIGTERM/SIGINT or a SHUTDOWN from the master (KILN_OK),
 * a wrong secret (KILN_EINVAL: never retried), or max_attempts failed
 * connections in a row (KILN_EIO). */
int cluster_worker_run(const cluster_worker_opts *o);

/* Asks the master at url for its status. On success *out is owned by the
 * caller. timeout_ms bounds each step (connect, handshake, reply). */
int cluster_status_fetch(const net_url *url, const char *secret_spec, int timeout_ms,
                         cluster_status *out);

/* ---- Small helpers shared by the files above (util.c) --------------------------------- */

/* "kiln://host:port" (IPv6 hosts in brackets) into out. */
void cluster_format_url(char *out, size_t size, const char *scheme, const char *host, int port);
/* Sends all of p[0..n) on fd before deadline (net_deadline). KILN_EIO otherwise. */
int cluster_send_all(int fd, const void *p, size_t n, int64_t deadline, const char *peer);
/* Milliseconds on CLOCK_MONOTONIC. */
int64_t cluster_now_ms(void);
/* Installs SIGTERM/SIGINT handlers that set the stop flag (no SA_RESTART, so
 * poll() and sleeps return early) and ignores SIGPIPE. */
void cluster_signals_install(void);
bool cluster_stop_requested(void);
/* An executor's environment: this process's, minus any KILN_EXECUTOR_*
 * variable, plus extra. Returns an owned array of borrowed strings (free
 * the array only), NULL when out of memory. */
char **cluster_executor_env(const char *const *extra, int nextra);

#pragma GCC visibility pop

#endif
