/*
 * deploy/master_apps.c - the master's applications (Spark standalone's
 * client mode): a driver connects, authenticates and sends REGISTER_APP;
 * the master places executors on ALIVE workers with free cores and memory,
 * sends each worker LAUNCH_EXECUTOR and answers REGISTERED_APP (or ERROR
 * when nothing can be granted). Workers report their executors
 * (EXECUTOR_STATE), which the master forwards to the driver (APP_EXECUTOR).
 * The application lives as long as its driver's connection: when that
 * closes it is FINISHED and its workers get KILL_EXECUTOR. A worker that
 * dies takes its executors with it (LOST).
 *
 * Placement is Spark's spread-out scheduling: cores are handed out one
 * executor's worth at a time, going round the usable workers, so an
 * application's executors are spread over as many workers as possible.
 * With no executor size (executor_cores 0) each worker gets one executor
 * holding every core it grants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "deploy/master_int.h"

#define MAX_APPS 1024 /* remembered, FINISHED ones included */

static void app_free(app_rec *a)
{
    if (!a) return;
    deploy_app_desc_release(&a->desc);
    free(a->execs);
    free(a);
}

void master_app_free(master *m)
{
    for (size_t i = 0; i < m->napps; i++) app_free(m->apps[i]);
    free(m->apps);
    m->apps = NULL;
    m->napps = 0;
}

/* A slot for a new application: a fresh one, or the longest-finished one
 * once the table is full. -1 when every remembered application runs. */
static int app_slot(master *m)
{
    if (m->napps < MAX_APPS) {
        app_rec **grown = realloc(m->apps, (m->napps + 1) * sizeof *grown);
        if (!grown) return -1;
        m->apps = grown;
        m->apps[m->napps] = NULL;
        return (int)m->napps++;
    }
    int best = -1;
    for (size_t i = 0; i < m->napps; i++)
        if (m->apps[i]->state == DEPLOY_APP_FINISHED &&
            (best < 0 || m->apps[i]->finished_ms < m->apps[best]->finished_ms))
            best = (int)i;
    if (best >= 0) {
        app_free(m->apps[best]);
        m->apps[best] = NULL;
    }
    return best;
}

static int app_index(const master *m, const char *id)
{
    for (size_t i = 0; i < m->napps; i++)
        if (m->apps[i] && !strcmp(m->apps[i]->id, id)) return (int)i;
    return -1;
}

static app_rec *app_find(master *m, const char *id)
{
    int i = app_index(m, id);
    return i >= 0 ? m->apps[i] : NULL;
}

void master_app_note_id(master *m, const char *id)
{
    unsigned long long n;
    char tail;
    if (sscanf(id, "app-%llu%c", &n, &tail) == 1 && n > m->next_app_id) m->next_app_id = n;
}

/* Gives the executor's cores and memory back to its worker. */
static void release(master *m, app_rec *a, exec_rec *e)
{
    worker_rec *w = &m->workers[e->worker];
    w->cores_used -= e->cores < w->cores_used ? e->cores : w->cores_used;
    w->memory_used -= a->executor_memory < w->memory_used ? a->executor_memory : w->memory_used;
    a->cores -= e->cores < a->cores ? e->cores : a->cores;
}

/* Sends APP_EXECUTOR to a's driver (best effort: a failed driver is seen
 * by the loop). */
static void tell_driver(app_rec *a, const deploy_exec_report *r)
{
    if (!a->conn || a->conn->closed) return;
    kiln_buf b;
    kiln_buf_init(&b);
    if (deploy_msg_exec_report_write(&b, r) == KILN_OK)
        net_send_frame(a->conn->fd, NET_MSG_APP_EXECUTOR, b.data, b.len, SEND_TIMEOUT_MS,
                       a->conn->peer);
    kiln_buf_release(&b);
}

/* Moves e to a final state the master decided (KILLED, LOST, FAILED). */
static void finish_exec(master *m, app_rec *a, exec_rec *e, uint8_t state, const char *why)
{
    if (deploy_exec_state_final(e->state)) return;
    e->state = state;
    release(m, a, e);
    m->dirty = true;
    deploy_exec_report r = {.executor = e->id, .state = state};
    snprintf(r.app_id, sizeof r.app_id, "%s", a->id);
    snprintf(r.message, sizeof r.message, "%s", why);
    tell_driver(a, &r);
}

/* ---- Placement ------------------------------------------------------------------ */

/* What a worker grants an application: cores and executors. */
typedef struct grant {
    uint32_t cores, execs;
} grant;

/* A worker's free cores and memory (0 when re-attached executors hold
 * more than it offers). */
static uint32_t cores_free(const worker_rec *w)
{
    return w->offer.cores > w->cores_used ? w->offer.cores - w->cores_used : 0;
}

static uint64_t memory_free(const worker_rec *w)
{
    return w->offer.memory > w->memory_used ? w->offer.memory - w->memory_used : 0;
}

static bool usable(const worker_rec *w, uint64_t memory, uint32_t min_cores)
{
    return w->state == DEPLOY_WORKER_ALIVE && w->conn && !w->conn->closed &&
           cores_free(w) >= min_cores && memory_free(w) >= memory;
}

/* Spark's scheduleExecutorsOnWorkers with spreadOut: fills g (one entry per
 * worker) and returns the cores granted in all. Workers with skip[i] set
 * (skip may be NULL) get nothing. */
static uint32_t place(const master *m, const deploy_app_register *r, grant *g, const bool *skip)
{
    uint64_t mem = r->desc.executor_memory;
    uint32_t min_cores = r->executor_cores ? r->executor_cores : 1;
    bool one_per_worker = r->executor_cores == 0;
    uint64_t free_cores = 0;
    for (size_t i = 0; i < m->nworkers; i++)
        if (!(skip && skip[i]) && usable(&m->workers[i], mem, min_cores))
            free_cores += cores_free(&m->workers[i]);
    uint64_t left = r->total_cores ? r->total_cores : free_cores;
    if (left > free_cores) left = free_cores;
    uint32_t total = 0;
    bool progress = true;
    while (left >= min_cores && progress) {
        progress = false;
        for (size_t i = 0; i < m->nworkers && left >= min_cores; i++) {
            const worker_rec *w = &m->workers[i];
            if ((skip && skip[i]) || !usable(w, mem, min_cores)) continue;
            bool new_exec = !one_per_worker || g[i].execs == 0;
            uint32_t cores_left = cores_free(w) - g[i].cores; /* usable: g[i] fits */
            uint64_t mem_left = memory_free(w) - (uint64_t)g[i].execs * mem;
            if (cores_left < min_cores || (new_exec && mem_left < mem)) continue;
            if (new_exec && g[i].execs >= DEPLOY_MAX_EXECUTORS) continue;
            g[i].cores += min_cores;
            if (new_exec) g[i].execs++;
            left -= min_cores;
            total += min_cores;
            progress = true;
        }
    }
    return total;
}

/* Sends LAUNCH_EXECUTOR for e to its worker. */
static int launch(master *m, app_rec *a, const exec_rec *e, const deploy_app_desc *desc)
{
    worker_rec *w = &m->workers[e->worker];
    deploy_launch l = {.executor = e->id, .cores = e->cores, .desc = *desc};
    snprintf(l.app_id, sizeof l.app_id, "%s", a->id);
    l.desc.executor_memory = a->executor_memory;
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = deploy_msg_launch_write(&b, &l);
    if (rc == KILN_OK)
        rc = net_send_frame(w->conn->fd, NET_MSG_LAUNCH_EXECUTOR, b.data, b.len, SEND_TIMEOUT_MS,
                            w->conn->peer);
    kiln_buf_release(&b);
    return rc;
}

/* Turns the grants into executor records appended to a's (ids after the
 * largest so far), taking the resources. */
static int make_execs(master *m, app_rec *a, const grant *g, uint32_t executor_cores)
{
    uint32_t n = 0, next_id = 0;
    for (size_t i = 0; i < m->nworkers; i++) n += g[i].execs;
    for (uint32_t k = 0; k < a->nexecs; k++)
        if (a->execs[k].id >= next_id) next_id = a->execs[k].id + 1;
    exec_rec *grown = realloc(a->execs, (a->nexecs + n) * sizeof *grown);
    if (!grown && a->nexecs + n > 0)
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u executors", n);
    a->execs = grown;
    for (size_t i = 0; i < m->nworkers; i++) {
        worker_rec *w = &m->workers[i];
        for (uint32_t k = 0; k < g[i].execs; k++) {
            exec_rec *e = &a->execs[a->nexecs++];
            memset(e, 0, sizeof *e);
            e->id = next_id++;
            e->worker = (int)i;
            memcpy(e->worker_id, w->id, sizeof e->worker_id);
            e->cores = executor_cores ? executor_cores : g[i].cores;
            e->state = DEPLOY_EXEC_RUNNING; /* launched; the worker reports otherwise */
            w->cores_used += e->cores;
            w->memory_used += a->executor_memory;
            a->cores += e->cores;
        }
    }
    return KILN_OK;
}

static int reply_registered(conn *c, const app_rec *a)
{
    deploy_app_registered r = {.executors = a->nexecs, .cores = a->cores};
    snprintf(r.app_id, sizeof r.app_id, "%s", a->id);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = deploy_msg_registered_app_write(&b, &r);
    if (rc == KILN_OK)
        rc = net_send_frame(c->fd, NET_MSG_REGISTERED_APP, b.data, b.len, SEND_TIMEOUT_MS, c->peer);
    kiln_buf_release(&b);
    return rc;
}

/* The driver of a, which the master knows (recovered, or RUNNING after its
 * connection broke), registered again on c: a is RUNNING with it. */
static int reattach(master *m, conn *c, int slot, deploy_app_register *r)
{
    app_rec *a = m->apps[slot];
    if (a->conn && !a->conn->closed)
        return kiln_set_error(KILN_ESTATE, "application %s already has its driver on %s", a->id,
                              a->conn->peer);
    a->conn = c;
    a->state = DEPLOY_APP_RUNNING;
    a->total_cores = r->total_cores;
    a->executor_cores = r->executor_cores;
    memcpy(a->ui_url, r->ui_url, sizeof a->ui_url); /* a new UI, maybe on another port */
    deploy_app_desc_release(&a->desc);
    a->desc = r->desc; /* taken */
    memset(&r->desc, 0, sizeof r->desc);
    a->has_desc = true;
    c->app = slot;
    c->deadline = -1;
    m->dirty = true;
    uint32_t live = 0;
    for (uint32_t i = 0; i < a->nexecs; i++) live += !deploy_exec_state_final(a->execs[i].state);
    deploy_app_registered reply = {.executors = live, .cores = a->cores};
    snprintf(reply.app_id, sizeof reply.app_id, "%s", a->id);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = deploy_msg_registered_app_write(&b, &reply);
    if (rc == KILN_OK)
        rc = net_send_frame(c->fd, NET_MSG_REGISTERED_APP, b.data, b.len, SEND_TIMEOUT_MS, c->peer);
    kiln_buf_release(&b);
    LOG(LOG_INFO, "master", "%s ('%s') is back: driver %s registered again, %u executors, %u cores",
        a->id, a->name, a->driver, live, a->cores);
    if (rc == KILN_OK) master_app_schedule(m); /* what it lost while its driver was away */
    return rc;
}

int master_app_register(master *m, conn *c, const net_frame *f)
{
    deploy_app_register r;
    int rc = deploy_msg_register_app_read(f, c->peer, &r);
    if (rc != KILN_OK) return rc;
    if (c->worker >= 0 || c->app >= 0) {
        deploy_app_desc_release(&r.desc);
        return kiln_set_error(KILN_ESTATE,
                              "REGISTER_APP from %s, which is a worker or already "
                              "a driver",
                              c->peer);
    }
    if (r.app_id[0]) {
        /* A driver that lost its master. A FINISHED application cannot come
         * back (its executors are gone): it is registered anew. */
        master_app_note_id(m, r.app_id);
        int known = app_index(m, r.app_id);
        if (known >= 0 && m->apps[known]->state != DEPLOY_APP_FINISHED) {
            rc = reattach(m, c, known, &r);
            deploy_app_desc_release(&r.desc);
            return rc;
        }
        LOG(LOG_WARN, "master",
            "%s asks for application %s, which this master %s: registering "
            "it anew",
            c->peer, r.app_id, known >= 0 ? "has finished" : "does not know");
    }
    grant *g = calloc(m->nworkers ? m->nworkers : 1, sizeof *g);
    uint32_t cores = g ? place(m, &r, g, NULL) : 0;
    int slot = -1;
    if (!g) rc = kiln_set_error(KILN_ENOMEM, "out of memory for placing executors");
    else if (cores == 0)
        rc = kiln_set_error(KILN_ESTATE,
                            "no ALIVE worker has %u free cores and %llu MiB of free "
                            "memory for application '%s'",
                            r.executor_cores ? r.executor_cores : 1,
                            (unsigned long long)(r.desc.executor_memory >> 20), r.desc.name);
    else if ((slot = app_slot(m)) < 0)
        rc = kiln_set_error(KILN_ESTATE, "the master runs %d applications", MAX_APPS);
    app_rec *a = NULL;
    if (rc == KILN_OK && !(a = calloc(1, sizeof *a)))
        rc = kiln_set_error(KILN_ENOMEM, "out of memory for an application");
    if (rc == KILN_OK) {
        snprintf(a->id, sizeof a->id, "app-%llu", (unsigned long long)++m->next_app_id);
        memcpy(a->name, r.desc.name, sizeof a->name);
        a->state = DEPLOY_APP_RUNNING;
        a->submitted_wall_ms = deploy_wall_ms();
        a->executor_memory = r.desc.executor_memory;
        a->total_cores = r.total_cores;
        a->executor_cores = r.executor_cores;
        char host_port[DEPLOY_URL_MAX];
        net_url_format(host_port, sizeof host_port, "x", r.desc.driver_host,
                       (int)r.desc.driver_port);
        snprintf(a->driver, sizeof a->driver, "%s", host_port + 4); /* without "x://" */
        memcpy(a->ui_url, r.ui_url, sizeof a->ui_url);
        a->conn = c;
        rc = make_execs(m, a, g, r.executor_cores);
    }
    if (rc == KILN_OK) {
        a->desc = r.desc; /* taken */
        memset(&r.desc, 0, sizeof r.desc);
        a->has_desc = true;
        m->apps[slot] = a;
        m->dirty = true;
        c->app = slot;
        c->deadline = -1; /* the application lives as long as this connection */
        for (uint32_t i = 0; i < a->nexecs; i++) {
            exec_rec *e = &a->execs[i];
            if (launch(m, a, e, &a->desc) != KILN_OK) {
                LOG(LOG_WARN, "master", "%s: cannot launch executor %u on %s: %s", a->id, e->id,
                    e->worker_id, kiln_last_error());
                finish_exec(m, a, e, DEPLOY_EXEC_LOST, "its worker could not be reached");
            }
        }
        rc = reply_registered(c, a);
        LOG(LOG_INFO, "master", "registered %s ('%s', driver %s): %u executors, %u cores", a->id,
            a->name, a->driver, a->nexecs, a->cores);
    } else {
        app_free(a);
        if (slot >= 0 && slot == (int)m->napps - 1 && !m->apps[slot]) m->napps--;
    }
    free(g);
    deploy_app_desc_release(&r.desc);
    return rc;
}

/* ---- Placing more: Spark's schedule() ------------------------------------------------ */

/* After this many executors of an application FAILED (died past their
 * restarts, or could not start), no more are placed for it (Spark's
 * spark.deploy.maxExecutorRetries). */
#define MAX_FAILED_EXECUTORS 10

/* What a can still be given: false when nothing is to be placed for it. */
static bool wants_more(const app_rec *a)
{
    return a && a->state == DEPLOY_APP_RUNNING && a->has_desc && a->conn && !a->conn->closed &&
           !a->ending && a->failed < MAX_FAILED_EXECUTORS && a->nexecs < DEPLOY_MAX_EXECUTORS &&
           (a->total_cores == 0 || a->cores < a->total_cores);
}

/* Places executors for a: the cores it still wants (all free ones when it
 * asked for no limit), on the workers as at registration; with one
 * executor per worker (executor_cores 0), only on workers that run none
 * of its executors. */
static void schedule_app(master *m, app_rec *a)
{
    grant *g = calloc(m->nworkers ? m->nworkers : 1, sizeof *g);
    bool *skip = calloc(m->nworkers ? m->nworkers : 1, sizeof *skip);
    if (!g || !skip) {
        free(g);
        free(skip);
        return; /* the next change tries again */
    }
    for (uint32_t k = 0; a->executor_cores == 0 && k < a->nexecs; k++)
        if (!deploy_exec_state_final(a->execs[k].state)) skip[a->execs[k].worker] = true;
    deploy_app_register r;
    memset(&r, 0, sizeof r);
    r.desc.executor_memory = a->executor_memory;
    r.executor_cores = a->executor_cores;
    r.total_cores = a->total_cores ? a->total_cores - a->cores : 0;
    uint32_t first = a->nexecs;
    if (place(m, &r, g, skip) > 0 && make_execs(m, a, g, a->executor_cores) == KILN_OK) {
        m->dirty = true;
        for (uint32_t i = first; i < a->nexecs; i++) {
            exec_rec *e = &a->execs[i];
            if (launch(m, a, e, &a->desc) != KILN_OK) {
                LOG(LOG_WARN, "master", "%s: cannot launch executor %u on %s: %s", a->id, e->id,
                    e->worker_id, kiln_last_error());
                finish_exec(m, a, e, DEPLOY_EXEC_LOST, "its worker could not be reached");
            }
        }
        LOG(LOG_INFO, "master", "%s: placed %u more executors; it holds %u cores", a->id,
            a->nexecs - first, a->cores);
    }
    free(g);
    free(skip);
}

void master_app_schedule(master *m)
{
    for (size_t i = 0; i < m->napps; i++)
        if (wants_more(m->apps[i])) schedule_app(m, m->apps[i]);
}

/* ---- Executor states -------------------------------------------------------------- */

int master_app_exec_state(master *m, conn *c, const net_frame *f)
{
    deploy_exec_report r;
    int rc = deploy_msg_exec_report_read(f, NET_MSG_EXECUTOR_STATE, c->peer, &r);
    if (rc != KILN_OK) return rc;
    if (c->worker < 0) return kiln_set_error(KILN_ESTATE, "EXECUTOR_STATE before REGISTER_WORKER");
    if (r.state == DEPLOY_EXEC_LOST)
        return kiln_set_error(KILN_ECORRUPT,
                              "EXECUTOR_STATE from %s: field state LOST is the "
                              "master's",
                              c->peer);
    app_rec *a = app_find(m, r.app_id);
    exec_rec *e = NULL;
    for (uint32_t i = 0; a && i < a->nexecs && !e; i++)
        if (a->execs[i].id == r.executor && a->execs[i].worker == c->worker) e = &a->execs[i];
    if (!e || deploy_exec_state_final(e->state)) {
        /* Late news of a finished application or a lost executor. */
        LOG(LOG_DEBUG, "master", "%s: ignoring %s of executor %u of %s", c->peer,
            deploy_exec_state_name(r.state), r.executor, r.app_id);
        return KILN_OK;
    }
    LOG(LOG_INFO, "master", "%s executor %u on %s: %s (exit status %d, restarts %u)%s%s", a->id,
        e->id, e->worker_id, deploy_exec_state_name(r.state), r.exit_status, r.restarts,
        r.message[0] ? ": " : "", r.message);
    e->state = r.state;
    if (r.state == DEPLOY_EXEC_EXITED) a->ending = true; /* its driver said SHUTDOWN */
    if (r.state == DEPLOY_EXEC_FAILED && ++a->failed == MAX_FAILED_EXECUTORS)
        LOG(LOG_WARN, "master", "%s: %d executors FAILED: no more will be placed for it", a->id,
            MAX_FAILED_EXECUTORS);
    if (deploy_exec_state_final(r.state)) {
        release(m, a, e);
        m->dirty = true;
    }
    tell_driver(a, &r);
    if (deploy_exec_state_final(r.state)) master_app_schedule(m);
    return KILN_OK;
}

/* ---- Drivers and workers going away ---------------------------------------------- */

/* Sends KILL_EXECUTOR for a to worker w (best effort). */
static void kill_on(master *m, const char *app_id, int w)
{
    worker_rec *wr = &m->workers[w];
    if (!wr->conn || wr->conn->closed) return;
    kiln_buf b;
    kiln_buf_init(&b);
    if (deploy_msg_kill_write(&b, app_id) == KILN_OK &&
        net_send_frame(wr->conn->fd, NET_MSG_KILL_EXECUTOR, b.data, b.len, SEND_TIMEOUT_MS,
                       wr->conn->peer) != KILN_OK)
        LOG(LOG_WARN, "master", "%s: cannot tell %s to kill its executors: %s", app_id, wr->id,
            kiln_last_error());
    kiln_buf_release(&b);
}

void master_app_finish(master *m, app_rec *a, const char *why)
{
    if (a->conn) a->conn->app = -1;
    a->state = DEPLOY_APP_FINISHED;
    a->finished_ms = deploy_now_ms();
    a->ended_wall_ms = deploy_wall_ms();
    a->conn = NULL;
    m->dirty = true;
    LOG(LOG_INFO, "master", "%s ('%s') is FINISHED: %s", a->id, a->name, why);
    /* One KILL_EXECUTOR per worker that runs some of its executors. */
    int *told = calloc(a->nexecs ? a->nexecs : 1, sizeof *told);
    uint32_t ntold = 0;
    for (uint32_t i = 0; i < a->nexecs; i++) {
        exec_rec *e = &a->execs[i];
        if (deploy_exec_state_final(e->state)) continue;
        finish_exec(m, a, e, DEPLOY_EXEC_KILLED, "application finished");
        bool seen = false;
        for (uint32_t k = 0; told && k < ntold && !seen; k++) seen = told[k] == e->worker;
        if (seen) continue;
        if (told) told[ntold++] = e->worker;
        kill_on(m, a->id, e->worker);
    }
    free(told);
}

void master_app_driver_gone(master *m, conn *c)
{
    app_rec *a = m->apps[c->app];
    char why[DEPLOY_URL_MAX + 64];
    snprintf(why, sizeof why, "its driver %s disconnected", a->driver);
    master_app_finish(m, a, why);
    master_app_schedule(m); /* its cores are free for the others */
}

/* The record of executor id of a, or NULL. */
static exec_rec *exec_find(app_rec *a, uint32_t id)
{
    for (uint32_t i = 0; i < a->nexecs; i++)
        if (a->execs[i].id == id) return &a->execs[i];
    return NULL;
}

/* Executor r of a runs on worker w: its record is made or revived there,
 * holding its resources again. */
static void adopt(master *m, app_rec *a, int w, const deploy_worker_exec *r)
{
    worker_rec *wr = &m->workers[w];
    exec_rec *e = exec_find(a, r->executor);
    if (e && !deploy_exec_state_final(e->state) && e->worker != w) {
        LOG(LOG_WARN, "master", "%s executor %u is reported by %s but runs on %s: ignored", a->id,
            r->executor, wr->id, e->worker_id);
        return;
    }
    if (!e) {
        exec_rec *grown = realloc(a->execs, (a->nexecs + 1) * sizeof *grown);
        if (!grown) {
            LOG(LOG_WARN, "master", "%s: out of memory for executor %u", a->id, r->executor);
            return;
        }
        a->execs = grown;
        e = &a->execs[a->nexecs++];
        memset(e, 0, sizeof *e);
        e->id = r->executor;
    }
    bool was_live = !deploy_exec_state_final(e->state) && e->worker == w;
    e->worker = w;
    memcpy(e->worker_id, wr->id, sizeof e->worker_id);
    if (!was_live) a->cores += r->cores;
    else a->cores = a->cores - e->cores + r->cores;
    e->cores = r->cores;
    e->state = r->state;
    wr->cores_used += r->cores;
    wr->memory_used += a->executor_memory;
    m->dirty = true;
}

void master_app_worker_back(master *m, int w, const deploy_worker_exec *execs, uint32_t n)
{
    worker_rec *wr = &m->workers[w];
    wr->cores_used = 0; /* counted again from what it runs */
    wr->memory_used = 0;
    bool *seen = calloc(n ? n : 1, sizeof *seen);
    uint32_t adopted = 0;
    for (size_t i = 0; i < m->napps; i++) {
        app_rec *a = m->apps[i];
        if (!a || a->state == DEPLOY_APP_FINISHED) continue;
        for (uint32_t k = 0; k < a->nexecs; k++) {
            exec_rec *e = &a->execs[k];
            if (e->worker != w || deploy_exec_state_final(e->state)) continue;
            uint32_t j = 0;
            while (j < n && (execs[j].executor != e->id || strcmp(execs[j].app_id, a->id))) j++;
            if (j < n) continue; /* adopted below */
            e->state = DEPLOY_EXEC_LOST;
            a->cores -= e->cores < a->cores ? e->cores : a->cores;
            m->dirty = true;
            deploy_exec_report rep = {.executor = e->id, .state = DEPLOY_EXEC_LOST};
            snprintf(rep.app_id, sizeof rep.app_id, "%s", a->id);
            snprintf(rep.message, sizeof rep.message, "not running on %s when it came back",
                     wr->id);
            tell_driver(a, &rep);
        }
    }
    for (uint32_t j = 0; j < n; j++) {
        master_app_note_id(m, execs[j].app_id);
        app_rec *a = app_find(m, execs[j].app_id);
        if (a && a->state != DEPLOY_APP_FINISHED) {
            adopt(m, a, w, &execs[j]);
            adopted++;
            continue;
        }
        /* An application that finished, or that this master never knew
         * (restarted without its recovery directory): Spark kills those. */
        bool told = false;
        for (uint32_t k = 0; seen && k < j && !told; k++)
            told = seen[k] && !strcmp(execs[k].app_id, execs[j].app_id);
        if (seen) seen[j] = true;
        if (told) continue;
        LOG(LOG_WARN, "master", "%s runs executors of %s, which %s: killing them", wr->id,
            execs[j].app_id, a ? "has finished" : "this master does not know");
        kill_on(m, execs[j].app_id, w);
    }
    free(seen);
    if (n)
        LOG(LOG_INFO, "master", "%s came back with %u executors (%u re-attached)", wr->id, n,
            adopted);
    master_app_schedule(m); /* its free cores, for applications that want more */
}

void master_app_worker_gone(master *m, int w)
{
    for (size_t i = 0; i < m->napps; i++) {
        app_rec *a = m->apps[i];
        if (!a) continue;
        for (uint32_t k = 0; k < a->nexecs; k++)
            if (a->execs[k].worker == w && !deploy_exec_state_final(a->execs[k].state))
                finish_exec(m, a, &a->execs[k], DEPLOY_EXEC_LOST, "its worker is DEAD");
    }
    m->workers[w].cores_used = 0;
    m->workers[w].memory_used = 0;
    m->dirty = true;
    master_app_schedule(m); /* its lost executors, on the other workers */
}

/* ---- Status ------------------------------------------------------------------------- */

int master_app_status(const master *m, deploy_status *s)
{
    uint32_t napps = 0, nexecs = 0;
    for (size_t i = 0; i < m->napps; i++) {
        if (!m->apps[i]) continue;
        napps++;
        if (m->apps[i]->state != DEPLOY_APP_FINISHED) nexecs += m->apps[i]->nexecs;
    }
    if (napps && !(s->apps = calloc(napps, sizeof *s->apps)))
        return kiln_set_error(KILN_ENOMEM, "out of memory for the status");
    if (nexecs && !(s->execs = calloc(nexecs, sizeof *s->execs)))
        return kiln_set_error(KILN_ENOMEM, "out of memory for the status");
    for (size_t i = 0; i < m->napps; i++) {
        const app_rec *a = m->apps[i];
        if (!a) continue;
        deploy_app_status *as = &s->apps[s->napps++];
        memcpy(as->id, a->id, sizeof as->id);
        memcpy(as->name, a->name, sizeof as->name);
        as->state = a->state;
        as->cores = a->cores;
        as->executor_memory = a->executor_memory;
        memcpy(as->driver, a->driver, sizeof as->driver);
        memcpy(as->ui_url, a->ui_url, sizeof as->ui_url);
        as->submitted_ms = a->submitted_wall_ms;
        as->ended_ms = a->state == DEPLOY_APP_FINISHED ? a->ended_wall_ms : 0;
        for (uint32_t k = 0; a->state != DEPLOY_APP_FINISHED && k < a->nexecs; k++) {
            deploy_exec_status *es = &s->execs[s->nexecs++];
            memcpy(es->app_id, a->id, sizeof es->app_id);
            es->executor = a->execs[k].id;
            memcpy(es->worker_id, a->execs[k].worker_id, sizeof es->worker_id);
            es->cores = a->execs[k].cores;
            es->memory = a->executor_memory;
            es->state = a->execs[k].state;
        }
    }
    return KILN_OK;
}
