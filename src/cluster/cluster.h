/*
 * cluster/cluster.h - local-cluster mode (kiln.master local-cluster[E,C,MB]):
 * E executor processes on this host running the program itself (SPMD), C
 * task slots and MB megabytes of budget each, reached over loopback with
 * the wire protocol of src/net after mutual authentication with a secret
 * generated for the application.
 *
 * Each slot is one connection running one task at a time: the driver sends
 * LAUNCH_TASK (the stage's lineage, docs/formats/lineage.md, and the task),
 * the executor answers TASK_RESULT, and sends HEARTBEAT on every connection
 * meanwhile. A map task keeps its output on its executor, which serves it
 * to the others from its block server (blocks.h); a result task sends its
 * partition's records back and the action's own function runs on them in
 * the driver, unless the action ships a function of its own (count, stats,
 * save_as_text_file), which then runs on the executor. An executor that closes its connections or
 * is silent past kiln.network.timeout is lost: its running tasks fail and are retried on the
 * others. A local-cluster executor process that dies is started again with the same id
 * (local_cluster.c, kiln.deploy.maxExecutorRetries).
 */
#ifndef KILN_CLUSTER_H
#define KILN_CLUSTER_H

#include "engine/engine.h"

/* The driver's side of a cluster application (driver.h). */
typedef struct kiln_cluster kiln_cluster;

/* Starts E executor processes of C cores and MB megabytes for ctx (its
 * shuffle store must exist) and returns the task backend running ctx's
 * tasks on them (local_cluster.c). */
int cluster_start(kiln_context *ctx, int executors, int cores, int mb, task_backend **out);
/* Registers the application with the standalone master at url, whose
 * workers start its executors; returns the backend once they have
 * connected (standalone.c). ui_url: the application's web UI, which the
 * master's page links to ("" or NULL: none). */
int cluster_start_standalone(kiln_context *ctx, const char *url, const char *ui_url,
                             task_backend **out);

/* The cluster behind ctx's backend, or NULL when ctx runs its tasks
 * locally (tests look inside it). */
kiln_cluster *cluster_of(kiln_context *ctx);
/* Task slots connected so far (the application's cores). */
int cluster_cores(const kiln_cluster *c);
/* The process ids of the executors local-cluster forked (for tests that
 * kill one); returns how many were written (at most max). */
int cluster_executor_pids(const kiln_cluster *c, int *pids, int max);
/* Executors registered with all their slots and not lost. */
int cluster_live_executors(const kiln_cluster *c);
/* local-cluster: how many executor processes it started again after one
 * died (kiln.deploy.maxExecutorRetries bounds those in a row). */
int cluster_executor_restarts(const kiln_cluster *c);

/* Executor mode: when the environment says this process was started as an
 * executor (KILN_EXECUTOR_CONNECT), serves tasks until the driver stops it
 * and exits the process; returns otherwise. kiln_init calls it first. */
void cluster_executor_main_if_asked(void);

/* Payload codecs shared by both sides (cluster_msg.c). */
typedef struct task_msg {
    uint32_t job, stage, partition, attempt;
    int32_t dep; /* shuffle id of a map task, -1 for a result task */
    const uint8_t *lineage;
    size_t lineage_len;
    const uint8_t *action; /* a result task's shipped action (fnref), or empty */
    size_t action_len;
    const uint8_t *wire; /* and its argument bytes */
    size_t wire_len;
    uint32_t first_broadcast; /* ids below this were considered on this connection before */
    uint32_t nbroadcasts;
    uint32_t last_broadcast;   /* the largest id the driver has given: one missing below it was
                                  destroyed */
    const uint8_t *broadcasts; /* (u64 id, value encoding) of each, ids ascending */
    size_t broadcasts_len;
    const uint8_t *locations; /* the shuffles it reads: where their map outputs are (blocks.h) */
    size_t locations_len;
} task_msg;
int task_msg_write(kiln_buf *b, const task_msg *m);
int task_msg_read(const uint8_t *p, size_t n, task_msg *m);

/* RELEASE: what the application let go of since the executor was last
 * told: RDDs (their decoded nodes and cached partitions), shuffles (their
 * map outputs) and broadcasts (their values), by the driver's ids. */
typedef struct release_id {
    uint64_t id;
} release_id;
typedef struct release_msg {
    release_id *rdds; /* owned by the struct once read (release_msg_free) */
    uint32_t nrdds;
    release_id *shuffles;
    uint32_t nshuffles;
    release_id *broadcasts;
    uint32_t nbroadcasts;
} release_msg;
int release_msg_write(kiln_buf *b, const release_msg *m);
/* Reads into *m (zeroed first); release_msg_free frees what it holds,
 * also after a failure. */
int release_msg_read(const uint8_t *p, size_t n, release_msg *m);
void release_msg_free(release_msg *m);

enum { TASK_OK = 0, TASK_FAILED = 1, TASK_FETCH_FAILED = 2 };
typedef struct result_msg {
    uint8_t status;
    int32_t rc;
    const char *error; /* borrowed */
    int32_t fetch_shuffle, fetch_map;
    uint8_t final;          /* records are the shipped action's result bytes */
    const uint8_t *records; /* result task: encoded values back to back, or the result */
    size_t records_len;
    const uint8_t *accs; /* accumulator updates: (u64 id, bytes value)* */
    size_t accs_len;
    uint32_t naccs;
    uint64_t fetch_bytes, fetch_us; /* remote shuffle bytes read, and the time waited for them */
    uint32_t fetch_retries;         /* remote shuffle fetches retried */
    const uint8_t *cached; /* partitions the task cached: CACHED_ENTRY bytes each, (u32 rdd,
                              u32 part, u64 bytes in memory, u64 bytes on disk) */
    size_t cached_len;
    task_metrics metrics; /* what the task did (engine.h), each field a u64 */
} result_msg;
#define CACHED_ENTRY 24
int result_msg_write(kiln_buf *b, const result_msg *m);
/* Sets the result serialization time (ms) of a TASK_RESULT payload b that
 * result_msg_write wrote: the metrics' last field, the payload's last u64. */
void result_msg_set_ser_time(kiln_buf *b, uint64_t ms);
/* error is copied into errbuf (size bytes). */
int result_msg_read(const uint8_t *p, size_t n, result_msg *m, char *errbuf, size_t size);

#endif
