/*
 * cluster/executor.c - executor mode (cluster.h): a process started by the
 * driver of a local cluster, running the same program. kiln_init calls
 * cluster_executor_main_if_asked before anything else; when the
 * environment names a driver, the process never returns to the program's
 * main: it opens one authenticated connection per core ("slot"), runs the
 * tasks sent on each, and exits when the driver says so, goes away or is
 * silent: the driver sends HEARTBEAT on every idle connection each second,
 * so a slot that waits kiln.network.timeout for a frame (a stopped or hung
 * driver) ends, as does one whose send to the driver stalls that long.
 *
 * The secret and the driver's configuration arrive on a pipe
 * (KILN_EXECUTOR_SECRET_FD). Lineages are decoded into one context for the
 * whole process (its block store caches partitions across tasks); a
 * heartbeat thread writes HEARTBEAT on every connection each second, so a
 * driver waiting for a long task knows the executor is alive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/fnref.h"
#include "cluster/blocks.h"
#include "cluster/cluster.h"
#include "net/net.h"

enum { MAX_TASK_FRAME = 1u << 30, HEARTBEAT_MS = 1000 };

typedef struct exec_slot {
    struct executor *ex;
    int index, fd;
    pthread_mutex_t write_lock; /* task results and heartbeats share the socket */
    bool registered;            /* REGISTER_EXECUTOR went out (under write_lock) */
    pthread_t thread;
} exec_slot;

typedef struct executor {
    int id, cores;
    char host[64];
    int port;
    uint8_t secret[NET_SECRET_MAX];
    size_t secret_len;
    kiln_context *ctx;
    bool tls;             /* kiln.ssl.enabled: every connection in TLS */
    uint64_t incarnation; /* random: tells this process from a restarted one */
    char block_host[NET_HOST_MAX];
    int block_port;
    block_server *blocks;        /* serves the map outputs held here */
    block_fetcher *fetcher;      /* reads the others' */
    pthread_mutex_t decode_lock; /* lineages decode into the shared context */
    exec_slot *slots;
    _Atomic int live;
    int timeout_ms; /* kiln.network.timeout of the driver's configuration */
} executor;

/* ---- Start-up ------------------------------------------------------------------ */

/* Reads the pipe: the secret line, then key=value lines into conf. */
static int read_pipe(int fd, executor *ex, kiln_conf *conf)
{
    kiln_buf b;
    kiln_buf_init(&b);
    char chunk[4096];
    ssize_t n;
    int rc = KILN_OK;
    while (rc == KILN_OK && (n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = kiln_set_error(KILN_EIO, "executor: reading the pipe: %s", strerror(errno));
        else rc = kiln_buf_append(&b, chunk, (size_t)n);
    }
    close(fd);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    char *text = rc ? NULL : (char *)b.data, *save = NULL;
    char *line = text ? strtok_r(text, "\n", &save) : NULL;
    if (!rc && (!line || strlen(line) < NET_SECRET_MIN))
        rc = kiln_set_error(KILN_ECONF, "executor: no secret on the pipe");
    if (!rc) {
        ex->secret_len = strlen(line);
        memcpy(ex->secret, line, ex->secret_len);
    }
    while (!rc && (line = strtok_r(NULL, "\n", &save))) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        rc = kiln_conf_set(conf, line, eq + 1);
    }
    if (text) memset(text, 0, b.len);
    kiln_buf_release(&b);
    return rc;
}

static int env_int(const char *name, int *out)
{
    const char *v = getenv(name);
    char *end;
    long x = v ? strtol(v, &end, 10) : -1;
    if (!v || *end || x < 0 || x > 1 << 20)
        return kiln_set_error(KILN_ECONF, "executor: bad or missing %s", name);
    *out = (int)x;
    return KILN_OK;
}

/* ---- Cached partitions ------------------------------------------------------------ */

static block_fetcher *g_fetcher; /* the process's one executor's */
/* Partitions the running task cached, for its TASK_RESULT: (u32 rdd, u32
 * part, u64 bytes in memory, u64 bytes on disk)*, little-endian. */
static __thread kiln_buf *t_cached;

static void note_cached(kiln_context *ctx, int rdd, int part)
{
    if (!t_cached) return;
    int64_t mem = 0, disk = 0;
    (void)block_store_size(ctx, rdd, part, &mem, &disk);
    wire_writer w;
    wire_writer_init(&w, t_cached);
    wire_put_u32(&w, (uint32_t)rdd);
    wire_put_u32(&w, (uint32_t)part);
    wire_put_u64(&w, (uint64_t)mem);
    wire_put_u64(&w, (uint64_t)disk);
}

/* A partition of a persisted RDD another executor holds: fetched, cached
 * here too (and reported), and read. NULL on a miss: the caller computes it. */
static eng_iter *fetch_cached(kiln_context *ctx, kiln_rdd *r, int part, kiln_task *t)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = block_fetcher_fetch_cached(g_fetcher, kiln_rdd_id(r), part, &b);
    kiln_arena *a = rc ? NULL : kiln_arena_new();
    val_vec vv = {0};
    if (rc == KILN_OK) rc = a ? values_decode_all(a, b.data, b.len, &vv) : KILN_ENOMEM;
    kiln_buf_release(&b);
    if (rc) {
        if (rc != KILN_ENOENT)
            LOG(LOG_WARN, "executor", "partition %d of RDD %d computed here: %s", part,
                kiln_rdd_id(r), kiln_last_error());
        kiln_arena_free(a);
        val_vec_release(&vv);
        return NULL;
    }
    eng_iter *it = block_store_put(ctx, kiln_rdd_id(r), part, rdd_storage_level(r), a, &vv, t);
    if (it && block_store_has(ctx, kiln_rdd_id(r), part)) note_cached(ctx, kiln_rdd_id(r), part);
    return it;
}

/* The fetcher's retries from the application's configuration
 * (kiln.shuffle.io.maxRetries; kiln.shuffle.io.retryWait, a bare number
 * is seconds as Spark's). The driver's configuration check has refused
 * values of the wrong form; KILN_ECONF naming the key otherwise. */
static int fetch_retries(const kiln_conf *conf, block_fetcher *f)
{
    int64_t retries = BLOCK_FETCH_MAX_RETRIES;
    double wait = BLOCK_FETCH_RETRY_WAIT_MS / 1000.0;
    const char *r = kiln_conf_get(conf, "kiln.shuffle.io.maxRetries"),
               *w = kiln_conf_get(conf, "kiln.shuffle.io.retryWait");
    if (r && (parse_int64(r, &retries) || retries < 0 || retries > 1000))
        return kiln_set_error(KILN_ECONF,
                              "kiln.shuffle.io.maxRetries: expected 0 to 1000, got '%s'", r);
    if (w && (parse_duration(w, 1, &wait) || wait < 0 || wait > 3600))
        return kiln_set_error(KILN_ECONF,
                              "kiln.shuffle.io.retryWait: expected a duration like 200ms or 5s, "
                              "got '%s'",
                              w);
    block_fetcher_set_retries(f, (int)retries, (int)(wait * 1000 + 0.5));
    return KILN_OK;
}

static int setup(executor *ex)
{
    const char *connect = getenv("KILN_EXECUTOR_CONNECT");
    const char *colon = connect ? strrchr(connect, ':') : NULL;
    if (!colon || (size_t)(colon - connect) >= sizeof ex->host)
        return kiln_set_error(KILN_ECONF, "executor: bad KILN_EXECUTOR_CONNECT");
    memcpy(ex->host, connect, (size_t)(colon - connect));
    ex->port = atoi(colon + 1);
    int fd;
    int rc = env_int("KILN_EXECUTOR_ID", &ex->id);
    if (!rc) rc = env_int("KILN_EXECUTOR_CORES", &ex->cores);
    if (!rc) rc = env_int("KILN_EXECUTOR_SECRET_FD", &fd);
    const char *mem = getenv("KILN_EXECUTOR_MEMORY"), *dir = getenv("KILN_EXECUTOR_SHUFFLE_DIR");
    if (!rc && (!mem || !dir || ex->cores < 1))
        rc = kiln_set_error(KILN_ECONF, "executor: missing memory or shuffle directory");
    kiln_conf *conf = rc ? NULL : kiln_conf_new();
    if (!rc && !conf) rc = KILN_ENOMEM;
    if (!rc) rc = read_pipe(fd, ex, conf);
    char master[64];
    snprintf(master, sizeof master, "local[%d]", ex->cores);
    if (!rc) rc = kiln_conf_set(conf, "kiln.master", master);
    if (!rc) rc = kiln_conf_set(conf, "kiln.executor.memory", mem);
    if (!rc) rc = kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    /* The executor's scratch goes inside the directory its driver or worker
     * gave it and removes, so an executor killed with SIGKILL leaves
     * nothing in /tmp (or the driver's kiln.local.dir). */
    if (!rc && mkdir(dir, 0700) != 0 && errno != EEXIST)
        rc = kiln_set_error(KILN_EIO, "executor: cannot create %s: %s", dir, strerror(errno));
    if (!rc) rc = kiln_conf_set(conf, "kiln.local.dir", dir);
    /* The executor's own context: its tasks run on its threads through the
     * engine's task runner. */
    if (!rc) rc = ctx_new(conf, &ex->ctx);
    else kiln_conf_free(conf);
    if (!rc) rc = ctx_start(ex->ctx, NULL, ex->cores, 1);
    if (rc) return rc;
    /* Map outputs stay here (the directory given) and are served to the
     * other executors; theirs are fetched. */
    block_codec codec;
    const kiln_conf *conf_eff = ctx_conf(ex->ctx);
    if ((rc = block_codec_parse(kiln_conf_get(conf_eff, "kiln.shuffle.compress.codec"), &codec)))
        return rc;
    shuffle_store *own = shuffle_store_new(dir, codec);
    if (!own) return KILN_EIO;
    ctx_set_shuffles(ex->ctx, own);
    if ((rc = net_tls_enabled(conf_eff, &ex->tls))) return rc;
    /* As the driver reads it (a bare number is seconds); it checked it. */
    double secs = 120;
    const char *t = kiln_conf_get(conf_eff, "kiln.network.timeout");
    if (t && (parse_duration(t, 1, &secs) || secs < 0.1)) secs = 120;
    ex->timeout_ms = secs * 1000 > INT32_MAX ? INT32_MAX : (int)(secs * 1000);
    if (!(ex->fetcher = block_fetcher_new(ex->secret, ex->secret_len, ex->tls))) return KILN_ENOMEM;
    if ((rc = fetch_retries(conf_eff, ex->fetcher))) return rc;
    shuffle_store_set_remote(own, block_fetcher_fetch, ex->fetcher);
    g_fetcher = ex->fetcher;
    ctx_set_block_hooks(ex->ctx, fetch_cached, note_cached);
    if (getrandom(&ex->incarnation, sizeof ex->incarnation, 0) != sizeof ex->incarnation)
        return kiln_set_error(KILN_EIO, "executor: getrandom: %s", strerror(errno));
    const char *host = getenv("KILN_EXECUTOR_HOST");
    snprintf(ex->block_host, sizeof ex->block_host, "%s", host ? host : "");
    pthread_mutex_init(&ex->decode_lock, NULL);
    return KILN_OK;
}

/* Starts the block server on KILN_EXECUTOR_HOST, or else on the address this
 * process reaches the driver from (fd: a connection to it). */
static int start_block_server(executor *ex, int fd)
{
    if (!ex->block_host[0]) {
        struct sockaddr_storage a;
        socklen_t len = sizeof a;
        if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
            return kiln_set_error(KILN_EIO, "executor: getsockname: %s", strerror(errno));
        const void *addr = a.ss_family == AF_INET6
                               ? (const void *)&((struct sockaddr_in6 *)&a)->sin6_addr
                               : (const void *)&((struct sockaddr_in *)&a)->sin_addr;
        if (!inet_ntop(a.ss_family, addr, ex->block_host, sizeof ex->block_host))
            return kiln_set_error(KILN_EIO, "executor: inet_ntop: %s", strerror(errno));
    }
    return block_server_start(ex->ctx, ex->block_host, ex->secret, ex->secret_len, ex->tls,
                              &ex->blocks, &ex->block_port);
}

/* ---- Tasks ------------------------------------------------------------------------ */

/* Keeps the broadcast values of m this process does not have yet, under
 * the driver's ids: (u64 id, value) pairs, ids ascending. */
static int add_broadcasts(kiln_context *ctx, const task_msg *m)
{
    kiln_arena *a = m->nbroadcasts ? kiln_arena_new() : NULL;
    int rc = m->nbroadcasts && !a ? KILN_ENOMEM : KILN_OK;
    size_t at = 0;
    for (uint32_t i = 0; i < m->nbroadcasts && rc == KILN_OK; i++) {
        uint64_t id;
        kiln_value v;
        size_t used;
        if (m->broadcasts_len - at < 8) {
            rc = kiln_set_error(KILN_ECORRUPT, "%u broadcast values announced, %u sent",
                                m->nbroadcasts, i);
            break;
        }
        memcpy(&id, m->broadcasts + at, 8);
        at += 8;
        rc = kiln_value_decode(a, m->broadcasts + at, m->broadcasts_len - at, &v, &used);
        at += used;
        if (rc == KILN_OK && (id < 1 || id > INT64_MAX))
            rc = kiln_set_error(KILN_ECORRUPT, "broadcast id %llu", (unsigned long long)id);
        if (rc == KILN_OK) rc = ctx_broadcast_put(ctx, (int64_t)id, &v);
    }
    if (rc == KILN_OK && at != m->broadcasts_len)
        rc = kiln_set_error(KILN_ECORRUPT, "%zu bytes after the broadcast values",
                            m->broadcasts_len - at);
    kiln_arena_free(a);
    return rc;
}

/* Encodes the accumulator updates of t as (u64 id, value) pairs. */
static int encode_accs(const kiln_task *t, kiln_buf *out)
{
    int rc = KILN_OK;
    for (size_t i = 0; i < t->naccs && rc == KILN_OK; i++) {
        uint64_t id = (uint64_t)t->accs[i].id;
        rc = kiln_buf_append(out, &id, 8);
        if (!rc) rc = kiln_value_encode(out, &t->accs[i].delta);
    }
    return rc;
}

/* Runs the task of m; fills the result's buffers. */
static void run(executor *ex, const task_msg *m, kiln_buf *records, kiln_buf *accs,
                kiln_buf *cached, result_msg *res, char **err)
{
    t_cached = cached;
    kiln_context *ctx = ex->ctx;
    kiln_rdd *top = NULL;
    /* Deserializing the task (Spark's executorDeserializeTime): decoding its
     * lineage, broadcasts and map output locations, the lock's wait included. */
    int64_t wall0 = mono_ns(), cpu0 = thread_cpu_ns();
    pthread_mutex_lock(&ex->decode_lock);
    int rc = lineage_decode(ctx, m->lineage, m->lineage_len, &top);
    shuffle_dep *dep = NULL;
    if (!rc && m->dep >= 0) {
        dep = lineage_dep(ctx, m->dep);
        if (!dep || !dep_parent(dep) || dep_maps(dep) <= (int)m->partition) {
            dep = NULL;
            rc = kiln_set_error(KILN_ECORRUPT, "task for shuffle %d, which was not sent", m->dep);
        }
    }
    if (!rc) ctx_register_shuffles(ctx);
    if (!rc) rc = add_broadcasts(ctx, m);
    if (!rc) ctx_broadcasts_seen(ctx, m->last_broadcast);
    if (!rc) rc = block_fetcher_update(ex->fetcher, m->locations, m->locations_len);
    kiln_rdd *pinned = rc ? NULL : top; /* the driver may release it while the task runs */
    rdd_retain(pinned);
    pthread_mutex_unlock(&ex->decode_lock);
    kiln_task t = {.ctx = ctx,
                   .job = (int)m->job,
                   .stage = (int)m->stage,
                   .partition = (int)m->partition,
                   .attempt = (int)m->attempt,
                   .fetch_shuffle = -1,
                   .fetch_map = -1};
    if (rc) {
        task_error(&t, rc, "%s", kiln_last_error());
    } else if (!dep && (int)m->partition >= kiln_rdd_num_partitions(top)) {
        rc = task_error(&t, KILN_ECORRUPT, "partition %u of an RDD of %d", m->partition,
                        kiln_rdd_num_partitions(top));
    } else {
        /* The action's own function runs on the partition here when the
         * driver sent one; otherwise the records go back. */
        part_result_fn fn = task_encode_records;
        wire_arg w = {m->wire, m->wire_len};
        if (!dep && m->action_len) {
            fnref ref;
            size_t used;
            void *p = NULL;
            rc = fnref_decode(m->action, m->action_len, &ref, &used);
            if (!rc) rc = fnref_to_pointer(&ref, &p);
            if (!rc && !shipped_action_valid((part_result_fn)p))
                rc = kiln_set_error(KILN_ECORRUPT, "the action sent is not one executors run");
            if (rc) task_error(&t, rc, "%s", kiln_last_error());
            fn = (part_result_fn)p;
            res->final = 1;
        }
        /* A rerun of a map output: forget the earlier attempt's. */
        if (!rc && dep) shuffle_invalidate(ctx_shuffles(ctx), dep_id(dep), t.partition);
        t.metrics.deser_time = (mono_ns() - wall0) / 1000000;
        t.metrics.deser_cpu_time = thread_cpu_ns() - cpu0;
        if (!rc) rc = task_run_here(&t, top, dep, fn, &w, records);
    }
    pthread_mutex_lock(&ex->decode_lock); /* a release edits what decoding reads */
    rdd_release(pinned);
    pthread_mutex_unlock(&ex->decode_lock);
    if (rc == KILN_OK) rc = encode_accs(&t, accs);
    res->status = rc == KILN_OK ? TASK_OK : t.fetch_map >= 0 ? TASK_FETCH_FAILED : TASK_FAILED;
    /* A map output held here that could not be read (damaged on disk) is
     * recomputed by the driver, maybe on another executor: this copy must
     * not be read again (for one held elsewhere this does nothing). */
    if (res->status == TASK_FETCH_FAILED)
        shuffle_invalidate(ctx_shuffles(ctx), t.fetch_shuffle, t.fetch_map);
    res->rc = rc;
    res->fetch_shuffle = t.fetch_shuffle;
    res->fetch_map = t.fetch_map;
    res->records = records->data;
    res->records_len = res->status == TASK_OK ? records->len : 0;
    res->accs = accs->data;
    res->accs_len = res->status == TASK_OK ? accs->len : 0;
    res->naccs = res->status == TASK_OK ? (uint32_t)t.naccs : 0;
    uint64_t retries, blocks;
    block_fetcher_take_stats(&res->fetch_bytes, &res->fetch_us, &retries, &blocks);
    res->fetch_retries = retries > UINT32_MAX ? UINT32_MAX : (uint32_t)retries;
    /* Shuffle bytes count encodings on both sides (engine.h); of those read,
     * the fetcher's bytes (as they came over the wire) came from others. */
    res->metrics = t.metrics;
    int64_t remote = (int64_t)res->fetch_bytes;
    if (remote > t.metrics.sr_local_bytes) remote = t.metrics.sr_local_bytes;
    res->metrics.sr_remote_bytes = remote;
    res->metrics.sr_local_bytes = t.metrics.sr_local_bytes - remote;
    res->metrics.sr_fetch_wait = (int64_t)(res->fetch_us / 1000);
    /* Of the map outputs read, those the fetcher brought came from others. */
    int64_t rblocks = (int64_t)blocks;
    if (rblocks > t.metrics.sr_local_blocks) rblocks = t.metrics.sr_local_blocks;
    res->metrics.sr_remote_blocks = rblocks;
    res->metrics.sr_local_blocks = t.metrics.sr_local_blocks - rblocks;
    t_cached = NULL;
    res->cached = cached->data;
    res->cached_len = res->status == TASK_OK ? cached->len : 0;
    *err = t.error; /* the caller frees */
    res->error = t.error ? t.error : "";
    free(t.accs);
}

/* RELEASE from the driver: drops what the application let go of (decoded
 * RDDs, with their cached partitions and the map outputs of the shuffles
 * they read; shuffles; broadcasts). Ids this process never saw are
 * ignored. */
static void release(executor *ex, const net_frame *f)
{
    release_msg m;
    if (release_msg_read(f->payload.data, f->payload.len, &m) != KILN_OK) {
        LOG(LOG_WARN, "executor", "executor %d: bad RELEASE: %s", ex->id, kiln_last_error());
        release_msg_free(&m);
        return;
    }
    kiln_context *ctx = ex->ctx;
    pthread_mutex_lock(&ex->decode_lock);
    for (uint32_t i = 0; i < m.nrdds; i++)
        if (m.rdds[i].id <= INT32_MAX) lineage_release(ctx, (int)m.rdds[i].id);
    for (uint32_t i = 0; i < m.nshuffles; i++) {
        if (m.shuffles[i].id > INT32_MAX) continue;
        /* Normally gone with its RDD already; this also covers one whose
         * RDD never decoded here. */
        shuffle_unregister(ctx_shuffles(ctx), (int)m.shuffles[i].id);
        block_fetcher_forget_shuffle(ex->fetcher, (int)m.shuffles[i].id);
    }
    pthread_mutex_unlock(&ex->decode_lock);
    for (uint32_t i = 0; i < m.nbroadcasts; i++)
        if (m.broadcasts[i].id <= INT64_MAX)
            (void)kiln_broadcast_destroy(ctx, (int64_t)m.broadcasts[i].id); /* maybe never sent */
    release_msg_free(&m);
    /* What was freed may sit at the top of the heap: give it back, so that
     * a burst of releases does not stay in the executor's RSS. */
    malloc_trim(0);
}

static int send_locked(exec_slot *s, int type, const kiln_buf *b)
{
    pthread_mutex_lock(&s->write_lock);
    int rc = KILN_OK;
    /* A heartbeat must not be a slot's first frame (the driver refuses the
     * connection): on a loaded machine the heartbeat thread can get there
     * before the slot's thread has registered. */
    if (type != NET_MSG_HEARTBEAT || s->registered)
        rc = net_send_frame(s->fd, (uint8_t)type, b ? b->data : NULL, b ? b->len : 0,
                            s->ex->timeout_ms, "driver");
    if (type == NET_MSG_REGISTER_EXECUTOR) s->registered = rc == KILN_OK;
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static void *slot_main(void *arg)
{
    exec_slot *s = arg;
    executor *ex = s->ex;
    kiln_buf reg;
    kiln_buf_init(&reg);
    wire_writer w;
    wire_writer_init(&w, &reg);
    wire_put_u32(&w, (uint32_t)ex->id);
    wire_put_u32(&w, (uint32_t)s->index);
    wire_put_u32(&w, (uint32_t)ex->cores);
    wire_put_u64(&w, ex->incarnation);
    wire_put_str(&w, ex->block_host);
    wire_put_u32(&w, (uint32_t)ex->block_port);
    int rc = send_locked(s, NET_MSG_REGISTER_EXECUTOR, &reg);
    kiln_buf_release(&reg);
    while (rc == KILN_OK) {
        net_frame f = {0};
        /* The driver's heartbeats arrive each second while the slot is
         * idle: silence this long means a driver stopped or hung. */
        int64_t deadline = net_deadline(ex->timeout_ms);
        if ((rc = net_recv_frame(s->fd, MAX_TASK_FRAME, ex->timeout_ms, "driver", &f))) {
            if (net_remaining_ms(deadline) == 0)
                LOG(LOG_WARN, "executor", "executor %d: nothing from the driver for %d ms: exiting",
                    ex->id, ex->timeout_ms);
            break;
        }
        if (f.type == NET_MSG_HEARTBEAT || f.type == NET_MSG_RELEASE) {
            if (f.type == NET_MSG_RELEASE) release(ex, &f);
            net_frame_release(&f);
            continue;
        }
        if (f.type != NET_MSG_LAUNCH_TASK) {
            net_frame_release(&f);
            break; /* SHUTDOWN, or anything unexpected */
        }
        task_msg m;
        kiln_buf records, accs, out, cached;
        kiln_buf_init(&records);
        kiln_buf_init(&accs);
        kiln_buf_init(&out);
        kiln_buf_init(&cached);
        result_msg res = {0};
        char *err = NULL;
        if ((rc = task_msg_read(f.payload.data, f.payload.len, &m)) == KILN_OK) {
            run(ex, &m, &records, &accs, &cached, &res, &err);
            int64_t ser0 = mono_ns(); /* Spark's resultSerializationTime */
            rc = result_msg_write(&out, &res);
            if (!rc) result_msg_set_ser_time(&out, (uint64_t)((mono_ns() - ser0) / 1000000));
            if (!rc) rc = send_locked(s, NET_MSG_TASK_RESULT, &out);
        }
        free(err);
        kiln_buf_release(&records);
        kiln_buf_release(&accs);
        kiln_buf_release(&out);
        kiln_buf_release(&cached);
        net_frame_release(&f);
    }
    ex->live--;
    return NULL;
}

/* Connects and authenticates slot s. */
static int open_slot(executor *ex, exec_slot *s)
{
    return net_dial(ex->host, ex->port, ex->secret, ex->secret_len, ex->tls, 10000, "driver",
                    &s->fd);
}

static void heartbeats(executor *ex)
{
    uint64_t seq = 0;
    for (int tick = 1; ex->live > 0; tick++) {
        /* Short naps, so the process leaves soon after its slots close. */
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
        if (tick % (HEARTBEAT_MS / 50)) continue;
        kiln_buf b;
        kiln_buf_init(&b);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        net_heartbeat h = {.seq = ++seq,
                           .sent_ms = (uint64_t)now.tv_sec * 1000 +
                                      (uint64_t)now.tv_nsec / 1000000};
        if (net_msg_heartbeat_write(&b, &h) == KILN_OK)
            for (int i = 0; i < ex->cores; i++) send_locked(&ex->slots[i], NET_MSG_HEARTBEAT, &b);
        kiln_buf_release(&b);
    }
}

void cluster_executor_main_if_asked(void)
{
    static bool entered; /* the context made below calls kiln_init too */
    if (entered || !getenv("KILN_EXECUTOR_CONNECT")) return;
    entered = true;
    static executor ex; /* the process's one executor */
    int rc = setup(&ex);
    if (!rc && !(ex.slots = calloc((size_t)ex.cores, sizeof *ex.slots))) rc = KILN_ENOMEM;
    for (int i = 0; !rc && i < ex.cores; i++) {
        exec_slot *s = &ex.slots[i];
        *s = (exec_slot){.ex = &ex, .index = i, .fd = -1};
        pthread_mutex_init(&s->write_lock, NULL);
        rc = open_slot(&ex, s);
    }
    if (!rc) rc = start_block_server(&ex, ex.slots[0].fd);
    memset(ex.secret, 0, sizeof ex.secret);
    for (int i = 0; !rc && i < ex.cores; i++) {
        ex.live++;
        if (pthread_create(&ex.slots[i].thread, NULL, slot_main, &ex.slots[i])) {
            ex.live--;
            rc = KILN_ENOMEM;
        }
    }
    if (rc) {
        fprintf(stderr, "kiln executor %d: %s\n", ex.id, kiln_last_error());
        _exit(1);
    }
    heartbeats(&ex);
    for (int i = 0; i < ex.cores; i++) {
        pthread_join(ex.slots[i].thread, NULL);
        net_close(ex.slots[i].fd);
        pthread_mutex_destroy(&ex.slots[i].write_lock);
    }
    free(ex.slots);
    /* The map outputs held here go with the context. */
    block_server_stop(ex.blocks);
    kiln_context_free(ex.ctx);
    block_fetcher_free(ex.fetcher);
    exit(0);
}
