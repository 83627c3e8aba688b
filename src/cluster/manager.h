/*
 * cluster/manager.h - the standalone cluster manager, for the kiln command
 * (src/cli) and the tests: the master (a poll() loop over workers, status
 * clients and an HTTP status listener), the worker (registers and sends
 * heartbeats), the status client, the payloads of the cluster's messages
 * (docs/formats/protocol.md), the JSON status document and the HTTP
 * request parser. Executors, applications and task shipping come later.
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

/* The master's state as a status client sees it. Caller-owned struct;
 * workers is owned by it (cluster_status_release). */
typedef struct cluster_status {
    char url[CLUSTER_URL_MAX]; /* the master's kiln:// URL */
    uint32_t nworkers;
    cluster_worker_status *workers;
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

#pragma GCC visibility pop

#endif
