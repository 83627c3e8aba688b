/*
 * cluster/driver.h - the driver's state in cluster mode, shared by the
 * files that start executors (local_cluster.c: forked on this host) and
 * the one that runs tasks on them (driver.c).
 */
#ifndef KILN_CLUSTER_DRIVER_H
#define KILN_CLUSTER_DRIVER_H

#include <stdatomic.h>
#include <sys/types.h>

#include "cluster/blocks.h"
#include "cluster/cluster.h"
#include "net/net.h"

/* One task slot: a connection to an executor running one task at a time. */
typedef struct slot {
    int fd;
    int exec;                /* index in kiln_cluster.execs */
    int64_t broadcasts_sent; /* live broadcasts with ids up to this went on this connection */
    bool busy, dead;
    char peer[48];
} slot;

/* One executor process, as it registered: a restarted one is a new entry.
 * Its index in the array is how map outputs name it (blocks.h). */
typedef struct exec_rec {
    uint32_t id;          /* the id it was started with */
    uint64_t incarnation; /* random, per process */
    int nslots, connected;
    bool lost;
    char block_host[NET_HOST_MAX]; /* its block server */
    int block_port;
    /* What the application let go of since it was last told (RELEASE):
     * ids by cleanup_kind (RDDs, shuffles, broadcasts), under the lock */
    uint64_t *pending[3];
    uint32_t npending[3];
    size_t cap_pending[3];
} exec_rec;

struct kiln_cluster {
    task_backend base; /* first: the engine runs tasks through it */
    kiln_context *ctx;
    uint8_t secret[NET_SECRET_MAX]; /* the application's */
    size_t secret_len;
    int lfd, port;          /* where executors connect */
    int64_t exec_memory;    /* each executor's memory budget when known (local-cluster's MB), 0 */
    net_listener *listener; /* its accept loop (src/net/listener.c) */
    bool stopping;          /* under lock */
    int timeout_ms;         /* kiln.network.timeout */
    bool tls;               /* kiln.ssl.enabled: every connection of the application in TLS */
    int rejoin_ms;          /* how long a task waits for an executor when none is live */
    int retired;            /* local-cluster: executors not to be started again (under lock) */
    exec_rec *execs;
    size_t nexecs, cap_execs;
    slot **slots;
    size_t nslots, cap_slots;
    map_tracker *tracker;
    pthread_t pinger; /* HEARTBEAT on idle slots, so executors hear the driver */
    bool pinger_started;
    bool release_pending; /* an executor has ids to hear about: the pinger sends RELEASE */
    /* kiln_context_cancel_jobs: jobs below cancel_below are cancelled; the
     * pinger has told the live executors up to cancel_sent (CANCEL_JOBS) */
    int cancel_below, cancel_sent;
    /* kiln_context_cancel_job_group: jobs cancelled alone, not yet told to
     * the executors (CANCEL_JOB) */
    int *cancel_jobs;
    size_t ncancel_jobs, cap_cancel_jobs;
    /* A connection whose first message is not REGISTER_EXECUTOR goes here
     * (a worker fetching the program); NULL: refused. */
    int (*serve_file)(void *arg, int fd, const net_frame *first, const char *peer);
    void *serve_arg;
    /* local-cluster: the processes forked (pids[i] runs executor i; -1 while
     * none does; under lock once the context has started), and what
     * replaces the dead ones (local_cluster.c) */
    pid_t *pids;
    int npids;
    struct local_restarts *restarts;
    /* Called by the heartbeat thread after each round, without the lock
     * (local-cluster: reap and replace dead executors); set under lock. */
    void (*tick)(kiln_cluster *c);
    /* standalone (standalone.c): the application's registration with the
     * master, and the files workers fetch */
    struct app_client *app;
    struct app_files *files;
    /* standalone: what the master says of executors that failed
     * (standalone.c); written by the application client's thread, so freed
     * by cluster_stop after that is closed (standalone_watch_free) */
    struct exec_watch *watch;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

/* Frees what standalone.c keeps of failed executors (NULL allowed). */
void standalone_watch_free(struct exec_watch *w);

/* Makes the driver's state and starts listening on host (port chosen by
 * the system) for executors that prove they hold secret. */
int driver_new(kiln_context *ctx, const char *host, const uint8_t *secret, size_t len,
               kiln_cluster **out);
/* Waits until want slots are connected, timeout_ms passes or gone(c)
 * says waiting is pointless. Returns the slots connected. */
int driver_wait_slots(kiln_cluster *c, int want, int timeout_ms, bool (*gone)(kiln_cluster *c));
/* The backend's operations (driver.c); cluster_stop (local_cluster.c) is
 * its stop. */
extern const task_backend_ops cluster_backend_ops;
int cluster_run_task(kiln_cluster *c, kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep,
                     part_result_fn fn, void *arg, const shipped_action *ship, kiln_buf *result);
int cluster_cached_partitions(kiln_cluster *c, int rdd);
void cluster_unpersist(kiln_cluster *c, int rdd);
/* The application let go of what kind and id name (task_backend_ops'
 * cleanup): forgets where its blocks are and queues it for every live
 * executor, told by the pinger on an idle slot (RELEASE). Never blocks. */
void cluster_cleanup(kiln_cluster *c, cleanup_kind kind, int64_t id);
/* Jobs below `below` are cancelled (task_backend_ops' cancel): the pinger
 * tells every live executor's block server (CANCEL_JOBS), so their running
 * tasks stop at their next check. Never blocks. */
void cluster_cancel(kiln_cluster *c, int below);
/* Job `job` alone is cancelled (task_backend_ops' cancel_job): the same,
 * with CANCEL_JOB. Never blocks. */
void cluster_cancel_job(kiln_cluster *c, int job);
void cluster_stop(kiln_cluster *c);
/* Loses every executor registered as id (its process is known to be gone,
 * why says how): its slots and map outputs, as a failed connection would;
 * posts EV_EXECUTOR_LOST once. Call it before a process with that id is
 * started again. */
void driver_lose_executor(kiln_cluster *c, uint32_t id, const char *why);
/* Shuts every slot down (SHUTDOWN), stops listening, frees. */
void driver_free(kiln_cluster *c);

#endif
