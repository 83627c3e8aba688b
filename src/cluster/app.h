/*
 * cluster/app.h - the driver's side of an application on the standalone
 * cluster (Spark standalone client mode): the files it ships (its own
 * executable and kiln.files, hashed, served by hash to workers that ask:
 * FETCH_FILE / FILE_DATA) and the connection to the master that registers
 * the application (REGISTER_APP / REGISTERED_APP) and carries news of its
 * executors (APP_EXECUTOR) until it is closed. Also the sha256 helper the
 * worker verifies fetched files with. See src/cluster/README.md and
 * docs/formats/protocol.md ("Applications").
 *
 * Errors follow the rest of kiln: 0 (KILN_OK) or a negative KILN_E* code
 * with the message in kiln_last_error().
 */
#ifndef KILN_CLUSTER_APP_H
#define KILN_CLUSTER_APP_H

#include <stdint.h>

#include "cluster/manager.h"
#include "kiln.h"
#include "net/net.h"

/* ---- Files (app_files.c) --------------------------------------------------------- */

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
void app_files_free(app_files *f);

/* The executable's entry (name "exe") and the others, for REGISTER_APP.
 * Borrowed, valid as long as f. */
const cluster_file *app_files_exe(const app_files *f);
const cluster_file *app_files_list(const app_files *f, uint32_t *n);

/* Serves FETCH_FILE requests on fd (already authenticated; first is the
 * request already received, borrowed) until the peer closes: each gets
 * FILE_DATA (the frame header, then the file's bytes with sendfile) when
 * its hash is one of f's, ERROR otherwise. A frame that is not FETCH_FILE
 * ends it with KILN_ECORRUPT; a peer silent for 60 s with KILN_EIO. Returns
 * KILN_OK when the peer closed. Does not close fd. peer names the other side
 * in messages. */
int app_files_serve(const app_files *f, int fd, const net_frame *first, const char *peer);

/* Lowercase hex sha256 of everything readable from fd (from its current
 * offset), and how many bytes that was. KILN_EIO naming what on a read error. */
int app_sha256_fd(int fd, const char *what, char hex[CLUSTER_SHA256_HEX], uint64_t *size);

/* ---- Registering with the master (app_client.c) ---------------------------------- */

typedef struct app_request {
    const char *name;        /* the application's name (kiln.app.name) */
    const char *driver_host; /* where executors and workers reach the driver */
    int driver_port;
    uint32_t total_cores;    /* kiln.cores.max; 0: every core available */
    uint32_t executor_cores; /* kiln.executor.cores; 0: all free cores of a worker */
    uint64_t executor_memory; /* bytes per executor */
    const kiln_conf *conf;   /* sent to executors, minus kiln.authenticate.secret; may be NULL */
    const app_files *files;
} app_request;

typedef struct app_grant {
    char app_id[64];
    uint32_t executors, cores;
} app_grant;

/* Called on the client's thread for each APP_EXECUTOR: the executor id, its
 * state (cluster_exec_state: RUNNING, EXITED, FAILED, KILLED, LOST,
 * RESTARTING) and the worker's or master's message (borrowed for the call). */
typedef void (*app_executor_fn)(void *arg, uint32_t executor, int state, const char *message);

typedef struct app_client app_client;

/* Connects to the master, authenticates with secret, sends REGISTER_APP and
 * waits for REGISTERED_APP, all within timeout_ms. Then a thread reads
 * APP_EXECUTOR messages (calling fn, which may be NULL) and keeps the
 * connection open: the application lives as long as it. Returns KILN_OK
 * with *grant filled and *out owned by the caller (app_client_close), the
 * master's refusal (its code and message, e.g. KILN_ESTATE when no worker
 * has room), KILN_EINVAL for a wrong secret, KILN_EIO, KILN_ECONF for a
 * request out of limits. Borrows everything. */
int app_client_register(const net_url *master, const uint8_t *secret, size_t len,
                        const app_request *req, int timeout_ms, app_executor_fn fn, void *arg,
                        app_grant *grant, app_client **out);

/* Closes the connection (the master then marks the application FINISHED
 * and kills its executors), joins the thread and frees c. NULL allowed. */
void app_client_close(app_client *c);

#endif
