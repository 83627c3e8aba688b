/*
 * cluster/local_cluster.c - the driver side of local-cluster mode
 * (cluster.h): starting the executor processes, handing tasks to their
 * slots, and noticing their loss.
 *
 * Executors are this program itself (/proc/self/exe), started with fork and
 * execve (never a shell) and an environment naming the driver's address;
 * the application's secret and configuration reach them through a pipe, so
 * they appear on no command line and in no environment. Every connection
 * must pass the HMAC handshake (src/net/auth.c) before its first message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/fnref.h"
#include "net/net.h"

extern char **environ;

enum { START_TIMEOUT_MS = 30000, AUTH_TIMEOUT_MS = 10000, MAX_TASK_FRAME = 1u << 30 };

typedef struct slot {
    int fd;
    int executor;
    size_t broadcasts_sent; /* broadcasts 1..this went on this connection */
    bool busy, dead;
    char peer[48];
} slot;

struct kiln_cluster {
    kiln_context *ctx;
    int nexec, cores, mb;
    pid_t *pids;
    slot *slots;
    int nslots;
    int timeout_ms; /* kiln.network.timeout */
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

int cluster_parse_master(const char *m, int *executors, int *cores, int *mb)
{
    if (strncmp(m, "local-cluster[", 14) != 0) return 0;
    int e, c, n, used = 0;
    if (sscanf(m + 14, "%d,%d,%d]%n", &e, &c, &n, &used) != 3 || used == 0 || m[14 + used] ||
        e < 1 || e > 64 || c < 1 || c > 256 || n < 16 || n > 1 << 20)
        return kiln_set_error(KILN_ECONF,
                              "kiln.master: bad master '%s' (expected local-cluster[E,C,MB]: E "
                              "executors of C cores and MB megabytes, MB at least 16)",
                              m);
    *executors = e, *cores = c, *mb = n;
    return 1;
}

/* A duration as Spark writes them: "120s", "1500ms", "2min", "1h", or a
 * bare number of seconds. */
static int parse_duration_ms(const char *s, int64_t *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) return KILN_EINVAL;
    double scale = !*end || !strcmp(end, "s") ? 1000 : !strcmp(end, "ms") ? 1
                 : !strcmp(end, "min") || !strcmp(end, "m") ? 60000 : !strcmp(end, "h") ? 3600000 : -1;
    if (scale < 0) return KILN_EINVAL;
    *ms = (int64_t)(v * scale);
    return KILN_OK;
}

/* ---- Starting executors --------------------------------------------------- */

/* The environment of an executor: ours plus its own variables. */
static char **executor_env(const char *const *extra, int nextra)
{
    int n = 0;
    while (environ[n]) n++;
    char **env = calloc((size_t)(n + nextra + 1), sizeof *env);
    if (!env) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strncmp(environ[i], "KILN_EXECUTOR_", 14) != 0) env[k++] = environ[i];
    for (int i = 0; i < nextra; i++) env[k++] = (char *)extra[i];
    return env;
}

/* What the pipe carries: the secret, a newline, then key=value lines. */
static int pipe_payload(kiln_context *ctx, const char *secret, kiln_buf *out)
{
    int rc = kiln_buf_append(out, secret, strlen(secret));
    if (!rc) rc = kiln_buf_append(out, "\n", 1);
    size_t n = conf_size(ctx->conf);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *k, *v;
        conf_at(ctx->conf, i, &k, &v);
        if (strchr(k, '\n') || strchr(v, '\n')) continue;
        rc = kiln_buf_append(out, k, strlen(k));
        if (!rc) rc = kiln_buf_append(out, "=", 1);
        if (!rc) rc = kiln_buf_append(out, v, strlen(v));
        if (!rc) rc = kiln_buf_append(out, "\n", 1);
    }
    return rc;
}

static int spawn(kiln_cluster *c, int i, int port, const char *secret)
{
    int p[2];
    if (pipe(p) != 0) return kiln_set_error(KILN_EIO, "pipe: %s", strerror(errno));
    char v_connect[64], v_id[48], v_cores[48], v_mem[48], v_fd[48], v_dir[4200];
    snprintf(v_connect, sizeof v_connect, "KILN_EXECUTOR_CONNECT=127.0.0.1:%d", port);
    snprintf(v_id, sizeof v_id, "KILN_EXECUTOR_ID=%d", i);
    snprintf(v_cores, sizeof v_cores, "KILN_EXECUTOR_CORES=%d", c->cores);
    snprintf(v_mem, sizeof v_mem, "KILN_EXECUTOR_MEMORY=%dm", c->mb);
    snprintf(v_fd, sizeof v_fd, "KILN_EXECUTOR_SECRET_FD=%d", p[0]);
    snprintf(v_dir, sizeof v_dir, "KILN_EXECUTOR_SHUFFLE_DIR=%s/shuffle", c->ctx->app_dir);
    const char *extra[] = {v_connect, v_id, v_cores, v_mem, v_fd, v_dir};
    char **env = executor_env(extra, 6);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    kiln_buf payload;
    kiln_buf_init(&payload);
    int rc = env && n > 0 ? pipe_payload(c->ctx, secret, &payload) : KILN_EIO;
    pid_t pid = rc ? -1 : fork();
    if (pid == 0) {
        close(p[1]);
        exe[n] = '\0';
        char *argv[] = {exe, NULL};
        execve(exe, argv, env);
        _exit(127);
    }
    close(p[0]);
    if (pid > 0) {
        /* Small enough for the pipe's buffer: the write does not wait. */
        const uint8_t *d = payload.data;
        size_t left = payload.len;
        while (left > 0) {
            ssize_t w = write(p[1], d, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            d += w, left -= (size_t)w;
        }
        c->pids[i] = pid;
    }
    close(p[1]);
    kiln_buf_release(&payload);
    free(env);
    if (rc || pid < 0)
        return kiln_set_error(KILN_EIO, "cannot start executor %d: %s", i,
                              pid < 0 ? strerror(errno) : "no executable path");
    return KILN_OK;
}

/* Accepts and authenticates every slot's connection. */
static int accept_slots(kiln_cluster *c, int lfd, const char *secret)
{
    int64_t deadline = net_deadline(START_TIMEOUT_MS);
    int got = 0;
    while (got < c->nslots) {
        int fd;
        char peer[48];
        int rc = net_accept(lfd, net_remaining_ms(deadline), &fd, peer, sizeof peer);
        if (rc)
            return kiln_set_error(KILN_EIO, "local-cluster: %d of %d executor slots connected "
                                            "within %d s (did an executor fail to start?)",
                                  got, c->nslots, START_TIMEOUT_MS / 1000);
        net_frame f = {0};
        rc = net_auth_server(fd, (const uint8_t *)secret, strlen(secret), AUTH_TIMEOUT_MS, peer);
        if (!rc) rc = net_recv_frame(fd, 64, AUTH_TIMEOUT_MS, peer, &f);
        net_reader r;
        net_reader_init(&r, f.payload.data, f.payload.len, "REGISTER_EXECUTOR");
        uint32_t id = net_get_u32(&r, "executor"), index = net_get_u32(&r, "slot");
        if (!rc && (f.type != NET_MSG_REGISTER_EXECUTOR || net_reader_end(&r) ||
                    id >= (uint32_t)c->nexec || index >= (uint32_t)c->cores))
            rc = KILN_ECORRUPT;
        net_frame_release(&f);
        if (rc) { /* not one of ours: nothing registered */
            LOG(LOG_WARN, "cluster", "refused a connection from %s: %s", peer, kiln_last_error());
            net_close(fd);
            continue;
        }
        slot *s = &c->slots[id * (uint32_t)c->cores + index];
        if (s->fd >= 0) {
            net_close(fd);
            continue;
        }
        *s = (slot){.fd = fd, .executor = (int)id};
        snprintf(s->peer, sizeof s->peer, "executor %u", id);
        got++;
    }
    return KILN_OK;
}

int cluster_start(kiln_context *ctx, int executors, int cores, int mb, kiln_cluster **out)
{
    kiln_cluster *c = calloc(1, sizeof *c);
    if (!c) return kiln_set_error(KILN_ENOMEM, "out of memory");
    c->ctx = ctx, c->nexec = executors, c->cores = cores, c->mb = mb;
    c->nslots = executors * cores;
    c->pids = calloc((size_t)executors, sizeof *c->pids);
    c->slots = calloc((size_t)c->nslots, sizeof *c->slots);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    const char *t = kiln_conf_get(ctx->conf, "kiln.network.timeout");
    int64_t ms = 120000;
    if (t && (parse_duration_ms(t, &ms) || ms < 100)) {
        cluster_stop(c);
        return kiln_set_error(KILN_ECONF, "kiln.network.timeout: expected a duration like 120s or "
                                          "1500ms, got '%s'", t);
    }
    c->timeout_ms = (int)(ms > INT32_MAX ? INT32_MAX : ms);
    if (!c->pids || !c->slots) {
        cluster_stop(c);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    for (int i = 0; i < c->nslots; i++) c->slots[i].fd = -1;
    char secret[65];
    int lfd = -1, port = 0;
    int rc = net_secret_generate(secret);
    if (!rc) rc = net_listen("127.0.0.1", 0, c->nslots + 8, &lfd, &port);
    for (int i = 0; i < executors && !rc; i++) rc = spawn(c, i, port, secret);
    if (!rc) rc = accept_slots(c, lfd, secret);
    memset(secret, 0, sizeof secret);
    net_close(lfd);
    if (rc) {
        cluster_stop(c);
        return rc;
    }
    LOG(LOG_INFO, "cluster", "local-cluster: %d executors of %d cores and %d MB", executors, cores,
        mb);
    *out = c;
    return KILN_OK;
}

void cluster_stop(kiln_cluster *c)
{
    if (!c) return;
    for (int i = 0; c->slots && i < c->nslots; i++) {
        if (c->slots[i].fd < 0) continue;
        if (!c->slots[i].dead) net_send_frame(c->slots[i].fd, NET_MSG_SHUTDOWN, NULL, 0, 1000, "executor");
        net_close(c->slots[i].fd);
    }
    /* Executors exit once their connections close; wait a little, then kill. */
    for (int i = 0; c->pids && i < c->nexec; i++) {
        if (c->pids[i] <= 0) continue;
        int status;
        bool gone = false;
        for (int k = 0; k < 200 && !gone; k++) {
            pid_t w = waitpid(c->pids[i], &status, WNOHANG);
            gone = w == c->pids[i] || (w < 0 && errno == ECHILD);
            if (!gone) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        if (!gone) {
            kill(c->pids[i], SIGKILL);
            waitpid(c->pids[i], &status, 0);
        }
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c->pids);
    free(c->slots);
    free(c);
}

int cluster_executor_pids(const kiln_cluster *c, int *pids, int max)
{
    int n = 0;
    for (int i = 0; i < c->nexec && n < max; i++) pids[n++] = (int)c->pids[i];
    return n;
}

/* ---- Running tasks ---------------------------------------------------------- */

/* Waits for a free live slot; NULL when every executor is lost. */
static slot *acquire(kiln_cluster *c)
{
    pthread_mutex_lock(&c->lock);
    for (;;) {
        bool any_live = false;
        for (int i = 0; i < c->nslots; i++) {
            slot *s = &c->slots[i];
            if (s->dead) continue;
            any_live = true;
            if (!s->busy) {
                s->busy = true;
                pthread_mutex_unlock(&c->lock);
                return s;
            }
        }
        if (!any_live) break;
        pthread_cond_wait(&c->cond, &c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Gives s back; lost: its executor is gone, and with it every slot of it. */
static void release(kiln_cluster *c, slot *s, bool lost)
{
    pthread_mutex_lock(&c->lock);
    s->busy = false;
    if (lost) {
        for (int i = 0; i < c->nslots; i++)
            if (c->slots[i].executor == s->executor) c->slots[i].dead = true;
        LOG(LOG_WARN, "cluster", "executor %d lost", s->executor);
    }
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* The RDD holding dependency d (the reduce side of the shuffle). */
static kiln_rdd *owner_of(kiln_context *ctx, const shuffle_dep *d)
{
    pthread_mutex_lock(&ctx->lock);
    kiln_rdd *o = NULL;
    for (size_t i = 0; i < ctx->nrdds && !o; i++)
        for (int k = 0; k < ctx->rdds[i]->ndeps; k++)
            if (ctx->rdds[i]->deps[k] == d) o = ctx->rdds[i];
    pthread_mutex_unlock(&ctx->lock);
    return o;
}

/* Sends the task on s and waits for its result frame (heartbeats keep the
 * wait alive; silence past the network timeout is a lost executor). */
static int exchange(kiln_cluster *c, slot *s, const kiln_buf *msg, net_frame *reply)
{
    int rc = net_send_frame(s->fd, NET_MSG_LAUNCH_TASK, msg->data, msg->len, c->timeout_ms, s->peer);
    while (rc == KILN_OK) {
        rc = net_recv_frame(s->fd, MAX_TASK_FRAME, c->timeout_ms, s->peer, reply);
        if (rc) break;
        if (reply->type == NET_MSG_TASK_RESULT) return KILN_OK;
        bool heartbeat = reply->type == NET_MSG_HEARTBEAT;
        net_frame_release(reply);
        if (!heartbeat)
            rc = kiln_set_error(KILN_ECORRUPT, "%s sent %s while running a task", s->peer,
                                net_msg_name(reply->type));
    }
    return rc;
}

/* Applies a decoded result to t: accumulators, shuffle state, records. */
static int apply_result(kiln_cluster *c, kiln_task *t, shuffle_dep *dep, const result_msg *m,
                        part_result_fn fn, void *arg, kiln_buf *result, int executor)
{
    if (m->status == TASK_FETCH_FAILED) {
        t->fetch_shuffle = m->fetch_shuffle;
        t->fetch_map = m->fetch_map;
        return task_error(t, KILN_EFETCH, "on executor %d: %s", executor, m->error);
    }
    if (m->status == TASK_FAILED)
        return task_error(t, m->rc < 0 ? m->rc : KILN_EUSER, "on executor %d: %s", executor,
                          m->error);
    kiln_arena *a = kiln_arena_new();
    if (!a) return task_error(t, KILN_ENOMEM, "out of memory");
    int rc = KILN_OK;
    size_t at = 0;
    for (uint32_t i = 0; i < m->naccs && rc == KILN_OK; i++) {
        uint64_t id;
        kiln_value v;
        size_t used;
        if (m->accs_len - at < 8) {
            rc = KILN_ECORRUPT;
            break;
        }
        memcpy(&id, m->accs + at, 8);
        at += 8;
        rc = kiln_value_decode(a, m->accs + at, m->accs_len - at, &v, &used);
        at += used;
        if (rc == KILN_OK) rc = kiln_accumulator_add(t, (int64_t)id, v);
    }
    if (rc == KILN_OK && dep) {
        shuffle_mark_done(c->ctx->shuffles, dep->id, t->partition);
    } else if (rc == KILN_OK && m->final) {
        rc = kiln_buf_append(result, m->records, m->records_len);
    } else if (rc == KILN_OK) {
        val_vec vv = {0};
        rc = values_decode_all(a, m->records, m->records_len, &vv);
        eng_iter *it = rc ? NULL : iter_over_array(vv.v, vv.n);
        if (rc == KILN_OK && !it) rc = KILN_ENOMEM;
        if (it) {
            rc = fn(t, it, result, arg);
            it->close(it);
        }
        val_vec_release(&vv);
    }
    kiln_arena_free(a);
    if (rc && !t->error) task_error(t, rc, "bad result from executor %d: %s", executor, kiln_strerror(rc));
    return rc;
}

int cluster_run_task(kiln_cluster *c, kiln_task *t, kiln_rdd *rdd, shuffle_dep *dep,
                     part_result_fn fn, void *arg, const shipped_action *ship, kiln_buf *result)
{
    kiln_rdd *root = dep ? owner_of(c->ctx, dep) : rdd;
    if (!root) return task_error(t, KILN_ESTATE, "shuffle %d has no owner RDD", dep->id);
    kiln_buf lineage, msg;
    kiln_buf_init(&lineage);
    kiln_buf_init(&msg);
    int rc = lineage_encode(root, &lineage);
    if (rc) {
        task_error(t, rc, "%s", kiln_last_error());
        kiln_buf_release(&lineage);
        return rc;
    }
    task_msg m = {.job = (uint32_t)t->job, .stage = (uint32_t)t->stage,
                  .partition = (uint32_t)t->partition, .attempt = (uint32_t)t->attempt,
                  .dep = dep ? dep->id : -1, .lineage = lineage.data, .lineage_len = lineage.len};
    uint8_t action[FNREF_WIRE_MAX];
    if (!dep && ship) {
        fnref ref;
        if ((rc = fnref_from_pointer((const void *)ship->remote, &ref))) {
            task_error(t, rc, "%s", kiln_last_error());
            kiln_buf_release(&lineage);
            return rc;
        }
        m.action = action;
        m.action_len = fnref_encode(&ref, action);
        m.wire = ship->wire;
        m.wire_len = ship->wire_len;
    }
    slot *s = acquire(c);
    if (!s) rc = task_error(t, KILN_EIO, "every executor of the local cluster is lost");
    /* The broadcast values this connection has not carried yet. */
    kiln_buf bc;
    kiln_buf_init(&bc);
    size_t nb = 0;
    if (s) {
        pthread_mutex_lock(&c->ctx->lock);
        nb = c->ctx->nbroadcasts;
        for (size_t i = s->broadcasts_sent; i < nb && !rc; i++)
            rc = kiln_value_encode(&bc, &c->ctx->broadcasts[i]);
        pthread_mutex_unlock(&c->ctx->lock);
        m.first_broadcast = (uint32_t)s->broadcasts_sent + 1;
        m.nbroadcasts = (uint32_t)(nb - s->broadcasts_sent);
        m.broadcasts = bc.data;
        m.broadcasts_len = bc.len;
        if (!rc) rc = task_msg_write(&msg, &m);
        if (rc) {
            task_error(t, rc, "%s", kiln_last_error());
            release(c, s, false);
            s = NULL;
        }
    }
    kiln_buf_release(&lineage);
    kiln_buf_release(&bc);
    if (s) {
        s->broadcasts_sent = nb; /* a failed send loses the executor anyway */
        net_frame reply = {0};
        rc = exchange(c, s, &msg, &reply);
        if (rc) {
            task_error(t, KILN_EIO, "executor %d lost: %s", s->executor, kiln_last_error());
            release(c, s, true);
        } else {
            result_msg r;
            char err[1024];
            rc = result_msg_read(reply.payload.data, reply.payload.len, &r, err, sizeof err);
            int executor = s->executor;
            release(c, s, false);
            rc = rc ? task_error(t, rc, "executor %d: %s", executor, kiln_last_error())
                    : apply_result(c, t, dep, &r, fn, arg, result, executor);
        }
        net_frame_release(&reply);
    }
    kiln_buf_release(&msg);
    return rc;
}
