/*
 * deploy/messages.h - the payloads of the cluster manager's messages
 * (docs/formats/protocol.md, "Cluster manager messages" and
 * "Applications"): the workers' (messages.c) and the applications'
 * (app_messages.c), for the files of src/deploy, the tests and the fuzz
 * target. Each payload's fields are listed once, in a table its writer
 * and its reader are both generated from (net/fields.h); what the values
 * mean is checked by hand on both sides.
 *
 * Each _write appends the payload to b (KILN_OK, KILN_EINVAL for a field out
 * of its limits, KILN_ENOMEM); each _read checks the frame's type and decodes
 * its payload completely, KILN_ECORRUPT naming the message, peer and field
 * otherwise, and fills *out only on success.
 */
#ifndef KILN_DEPLOY_MESSAGES_H
#define KILN_DEPLOY_MESSAGES_H

#include "deploy/deploy.h"

#pragma GCC visibility push(hidden)

/* ---- Limits of the payload fields ------------------------------------------------ */

/* Post-authentication frame limits: control messages are small; a status
 * reply lists every worker the master remembers. */
#define DEPLOY_CONTROL_MAX_FRAME (64u << 10)
#define DEPLOY_STATUS_MAX_FRAME (64u << 20)
#define DEPLOY_APP_MAX_FRAME (1u << 20) /* REGISTER_APP, LAUNCH_EXECUTOR: file lists, conf */
#define DEPLOY_SHA256_HEX 65            /* 64 lowercase hex digits and a NUL */
#define DEPLOY_MAX_FILES 256            /* files shipped with an application */
#define DEPLOY_CONF_MAX (32u << 10)     /* conf lines: they must fit an executor's pipe */
#define DEPLOY_COMMAND_MAX (16u << 10)  /* the executor's command: its words */
#define DEPLOY_COMMAND_WORDS 16         /* ... at most this many */
#define DEPLOY_MESSAGE_MAX 1024         /* an executor state's message, with its NUL */
#define DEPLOY_MAX_EXECUTORS 4096       /* per application */

/* ---- Workers and status (messages.c) ---------------------------------------------- */

/* An executor a worker runs, as it lists it when it registers (again, after
 * losing its master), so that the master re-attaches it to its application. */
typedef struct deploy_worker_exec {
    char app_id[DEPLOY_ID_MAX];
    uint32_t executor;
    uint32_t cores;  /* 1..DEPLOY_MAX_CORES */
    uint64_t memory; /* bytes */
    uint8_t state;   /* DEPLOY_EXEC_RUNNING or DEPLOY_EXEC_RESTARTING */
} deploy_worker_exec;

#define DEPLOY_MAX_WORKER_EXECS 65536u /* executors listed by one worker (each holds a core) */

/* A worker's offer as a field table (net/fields.h): REGISTER_WORKER carries
 * it, and the master's state file keeps it (master_recovery.c), each with
 * a codec of its own made from this one table. */
#define DEPLOY_OFFER_FIELDS(X)                                                                     \
    X(STR, host, "host", 0, _)                                                                     \
    X(U32, cores, "cores", 0, _)                                                                   \
    X(U64, memory, "memory", 0, _)                                                                 \
    X(STR, work_dir, "work_dir", 0, _)

/* REGISTER_WORKER: the offer, the id the worker had with its previous
 * master ("" the first time) and the executors it still runs. Caller-owned;
 * execs is owned by it when a reader filled it (deploy_worker_register_release). */
typedef struct deploy_worker_register {
    deploy_register offer;
    char previous_id[DEPLOY_ID_MAX];
    uint32_t nexecs;
    deploy_worker_exec *execs;
    uint32_t web_port; /* its web UI's port (0: none), for the master's links */
} deploy_worker_register;

/* Frees the executors a reader filled r with (not r itself). */
void deploy_worker_register_release(deploy_worker_register *r);

/* REGISTER_WORKER, whole. */
int deploy_msg_register_worker_write(kiln_buf *b, const deploy_worker_register *r);
int deploy_msg_register_worker_read(const net_frame *f, const char *peer,
                                    deploy_worker_register *out);
/* REGISTER_WORKER of a worker that runs nothing and had no id yet (the
 * offer alone: previous_id "" and no executors); the reader keeps only the
 * offer. */
int deploy_msg_register_write(kiln_buf *b, const deploy_register *r);
int deploy_msg_register_read(const net_frame *f, const char *peer, deploy_register *out);
/* REGISTERED_WORKER: the id the master gave the worker. */
int deploy_msg_registered_write(kiln_buf *b, const char *id);
int deploy_msg_registered_read(const net_frame *f, const char *peer, char id[DEPLOY_ID_MAX]);
/* STATUS_REQUEST has an empty payload: this only checks it. */
int deploy_msg_status_request_check(const net_frame *f, const char *peer);
int deploy_msg_status_reply_write(kiln_buf *b, const deploy_status *s);
/* On success *out owns its arrays (deploy_status_release). */
int deploy_msg_status_reply_read(const net_frame *f, const char *peer, deploy_status *out);

/* ---- Applications (app_messages.c) -------------------------------------------------- */

/* A file the driver serves by hash: the executable or one of kiln.files. */
typedef struct deploy_file {
    char name[DEPLOY_NAME_MAX];     /* a plain base name: no '/', not "." or ".." */
    char sha256[DEPLOY_SHA256_HEX]; /* lowercase hex */
    uint64_t size;                  /* bytes, < 4 GiB (one FILE_DATA frame) */
} deploy_file;

/* What REGISTER_APP and LAUNCH_EXECUTOR share: the application as its
 * executors need it. Caller-owned; files and conf are owned by it
 * (deploy_app_desc_release) when a reader filled it. */
typedef struct deploy_app_desc {
    char name[DEPLOY_NAME_MAX];
    char driver_host[NET_HOST_MAX]; /* where executors and workers connect */
    uint32_t driver_port;           /* 1..65535 */
    uint64_t executor_memory;       /* bytes per executor, >= 1 */
    deploy_file exe;                /* the executable (name "exe") */
    uint32_t nfiles;
    deploy_file *files;
    char *conf;      /* "key=value\n" lines (NUL-terminated), may be NULL */
    size_t conf_len; /* bytes of conf, < DEPLOY_CONF_MAX */
    /* The executor's command (kiln_set_executor_command), each word ended by
     * a NUL byte, the first an absolute path on the worker's host (the
     * Python package's interpreter); NULL / 0 bytes: the executable. */
    char *command;
    size_t command_len; /* < DEPLOY_COMMAND_MAX */
} deploy_app_desc;

void deploy_app_desc_release(deploy_app_desc *d);

/* REGISTER_APP (driver -> master). */
typedef struct deploy_app_register {
    deploy_app_desc desc;
    uint32_t total_cores;        /* 0: every core available */
    uint32_t executor_cores;     /* 0: all free cores of a worker, one executor per worker */
    char app_id[DEPLOY_ID_MAX];  /* re-registering after losing the master: its id; "" at first */
    char ui_url[DEPLOY_URL_MAX]; /* the application's web UI (http(s)://...), "" without one */
} deploy_app_register;

/* REGISTERED_APP (master -> driver). */
typedef struct deploy_app_registered {
    char app_id[DEPLOY_ID_MAX]; /* "app-N" */
    uint32_t executors, cores;  /* executors may be 0 when an application re-registers */
} deploy_app_registered;

/* LAUNCH_EXECUTOR (master -> worker). */
typedef struct deploy_launch {
    char app_id[DEPLOY_ID_MAX];
    uint32_t executor; /* unique within the application */
    uint32_t cores;    /* 1..DEPLOY_MAX_CORES */
    deploy_app_desc desc;
} deploy_launch;

/* EXECUTOR_STATE (worker -> master) and APP_EXECUTOR (master -> driver). */
typedef struct deploy_exec_report {
    char app_id[DEPLOY_ID_MAX];
    uint32_t executor;
    uint8_t state;       /* deploy_exec_state */
    int32_t exit_status; /* exit code, or -signal; 0 while RUNNING */
    uint32_t restarts;   /* times the worker restarted it so far */
    char message[DEPLOY_MESSAGE_MAX];
} deploy_exec_report;

/* As above: _write refuses values a reader would refuse (KILN_EINVAL), _read
 * checks the type, layout and meaning (KILN_ECORRUPT naming the field) and
 * fills *out only on success; descs read are owned by *out. */
int deploy_msg_register_app_write(kiln_buf *b, const deploy_app_register *r);
/* Whether u is "" or an http:// or https:// URL of printable characters
 * with no space, quote, backquote, backslash or angle bracket (what
 * REGISTER_APP's ui_url may hold, and the master's page links to). */
bool deploy_ui_url_ok(const char *u);
int deploy_msg_register_app_read(const net_frame *f, const char *peer, deploy_app_register *out);
int deploy_msg_registered_app_write(kiln_buf *b, const deploy_app_registered *r);
int deploy_msg_registered_app_read(const net_frame *f, const char *peer,
                                   deploy_app_registered *out);
int deploy_msg_launch_write(kiln_buf *b, const deploy_launch *l);
int deploy_msg_launch_read(const net_frame *f, const char *peer, deploy_launch *out);
/* EXECUTOR_STATE and APP_EXECUTOR share the payload; type picks the message. */
int deploy_msg_exec_report_write(kiln_buf *b, const deploy_exec_report *r);
int deploy_msg_exec_report_read(const net_frame *f, int type, const char *peer,
                                deploy_exec_report *out);
/* KILL_EXECUTOR: the application whose executors the worker must kill. */
int deploy_msg_kill_write(kiln_buf *b, const char *app_id);
int deploy_msg_kill_read(const net_frame *f, const char *peer, char app_id[DEPLOY_ID_MAX]);
/* FETCH_FILE: the sha256 (hex) of the file wanted. */
int deploy_msg_fetch_file_write(kiln_buf *b, const char *sha256);
int deploy_msg_fetch_file_read(const net_frame *f, const char *peer,
                               char sha256[DEPLOY_SHA256_HEX]);

/* True for 64 lowercase hex digits; for an id of [A-Za-z0-9._-] (usable as a
 * directory name); for a plain base name. */
bool deploy_sha256_valid(const char *s);
bool deploy_id_valid(const char *s);
bool deploy_basename_valid(const char *s);

#pragma GCC visibility pop

#endif
