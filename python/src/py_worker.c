/*
 * python/src/py_worker.c - Python worker processes: how a kiln process
 * with several task threads runs Python pipelines on all its cores
 * despite the GIL (local[N]; an executor with several cores).
 *
 * Each task thread that runs a Python pipeline (pyk_partitions_fn) gets
 * a worker process of its own, started on first use and kept for the
 * thread's life: the same interpreter running `import kiln.worker`, which
 * serves pipelines in _kiln.worker_main. The thread pulls its input
 * records in C, sends them in batches of up to 1024 in kiln's value
 * encoding, and emits what comes back; it never takes the GIL. The worker
 * decodes a batch into Python objects, runs the pipeline (one function of
 * (partition index, iterator), as in-process) and sends its output in
 * batches. One pipe each way; messages are a type byte, a u32 length
 * and the payload:
 *
 *   thread -> worker                 worker -> thread
 *   START  env?, task info           NEED   (input wanted)
 *   INPUT  count, values             OUTPUT count, values (then waits)
 *   END    (no more input)           DONE   accumulator deltas
 *   MORE / STOP (after an OUTPUT)    ERROR  formatted traceback
 *   BVALUE broadcast value / error   BGET   broadcast id
 *
 * The worker asks for input only when its iterator needs it and waits
 * for MORE or STOP after each output batch, so neither side can block
 * the other and a consumer that wants no more (take) stops the pipeline
 * without killing the process. A worker that dies (a function calling
 * os._exit, a crash) fails the task with its exit status; the task is
 * retried as any failed task and the next one starts a new worker. A
 * task whose job is cancelled while its worker computes (a slow function
 * over a batch) stops the worker within 100 ms, as Spark kills a killed
 * task's Python worker: the thread waits for the worker's messages in
 * poll, checking kiln_task_cancelled between waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "py_kiln.h"
#include "py_wire_ref.h"
#include "py_worker_combine.h"

extern char **environ;

enum {
    M_START = 1,
    M_INPUT,
    M_END,
    M_MORE,
    M_STOP,
    M_BVALUE,
    M_NEED = 20,
    M_OUTPUT,
    M_DONE,
    M_ERROR,
    M_BGET,
};
enum {
    COMBINE_KEYS = 1 << 12,  /* keys a worker's combiner holds */
    COMBINE_TRIAL = 1 << 14, /* pairs after which it goes on only if 90 % merged */
    BATCH = 4096,
    BATCH_BYTES = 1 << 20,
    MAX_MSG = 1 << 30,
    SENT_NONCES = 64
};

/* ---- Messages ------------------------------------------------------------ */

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *d = p;
    while (n > 0) {
        ssize_t w = write(fd, d, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        d += w, n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    uint8_t *d = p;
    while (n > 0) {
        ssize_t r = read(fd, d, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        d += r, n -= (size_t)r;
    }
    return 0;
}

static int send_msg(int fd, int type, const void *p, size_t n)
{
    uint8_t h[5] = {(uint8_t)type};
    uint32_t len = (uint32_t)n;
    memcpy(h + 1, &len, 4);
    if (write_all(fd, h, 5)) return -1;
    return n ? write_all(fd, p, n) : 0;
}

/* Reads one message into b (replacing its contents); its type, or -1. */
static int recv_msg(int fd, kiln_buf *b)
{
    uint8_t h[5];
    if (read_all(fd, h, 5)) return -1;
    uint32_t len;
    memcpy(&len, h + 1, 4);
    if (len > MAX_MSG) return -1;
    b->len = 0;
    if (kiln_buf_reserve(b, len)) return -1;
    if (len && read_all(fd, b->data, len)) return -1;
    b->len = len;
    return h[0];
}

static int put_u32(kiln_buf *b, uint32_t v)
{
    return kiln_buf_append(b, &v, 4);
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Decodes count values from p[0..n) into vals: strings point into p,
 * tuples and lists live in a. */
static int decode_batch(kiln_arena *a, const uint8_t *p, size_t n, kiln_value *vals,
                        uint32_t *count)
{
    if (n < 4) return KILN_ECORRUPT;
    uint32_t c = get_u32(p);
    if (c > BATCH) return KILN_ECORRUPT;
    const uint8_t *q = p + 4, *end = p + n;
    for (uint32_t i = 0; i < c; i++) {
        int rc = pyk_decode_ref(a, &q, end, &vals[i]);
        if (rc) return rc;
    }
    *count = c;
    return KILN_OK;
}

/* ---- The task thread's side ---------------------------------------------- */

static int g_workers;        /* use worker processes (set by the package) */
static char **g_worker_argv; /* the command of a worker (owned) */

typedef struct worker {
    bool busy; /* serving a pipeline of this thread's running task */
    pid_t pid;
    int to, from; /* pipes: we write to, read from */
    uint8_t sent[SENT_NONCES][16];
    int nsent, next_sent;
} worker;

static pthread_key_t g_worker_key;
static pthread_once_t g_worker_once = PTHREAD_ONCE_INIT;

static void worker_stop(worker *w)
{
    if (!w) return;
    close(w->to);
    close(w->from);
    /* It exits at end of input; make sure of it. */
    int status;
    if (waitpid(w->pid, &status, WNOHANG) == 0) {
        kill(w->pid, SIGKILL);
        waitpid(w->pid, &status, 0);
    }
    free(w);
}

/* A thread's workers: one per pipeline running at once in its task (a
 * pipeline whose input is another Python pipeline that could not be
 * fused pulls from it while it runs). */
enum { MAX_NESTED = 8 };
typedef struct thread_workers {
    worker *w[MAX_NESTED];
} thread_workers;

static void worker_key_destroy(void *p)
{
    thread_workers *tw = p;
    for (int i = 0; i < MAX_NESTED; i++) worker_stop(tw->w[i]);
    free(tw);
}

static void worker_key_init(void)
{
    pthread_key_create(&g_worker_key, worker_key_destroy);
}

bool pyk_workers_enabled(void)
{
    return g_workers;
}

int pyk_workers_set(bool on, char *const *argv)
{
    char **copy = NULL;
    int n = 0;
    while (argv && argv[n]) n++;
    if (n) {
        copy = calloc((size_t)n + 1, sizeof *copy);
        for (int i = 0; copy && i < n; i++)
            if (!(copy[i] = strdup(argv[i]))) return KILN_ENOMEM;
        if (!copy) return KILN_ENOMEM;
    }
    char **old = g_worker_argv;
    g_worker_argv = copy;
    for (int i = 0; old && old[i]; i++) free(old[i]);
    free(old);
    g_workers = on && copy;
    return KILN_OK;
}

static worker *worker_start(kiln_task *t)
{
    int a[2], b[2]; /* a: to the worker; b: from it */
    if (pipe2(a, O_CLOEXEC)) return kiln_task_fail(t, "pipe: %s", strerror(errno)), NULL;
    if (pipe2(b, O_CLOEXEC)) {
        close(a[0]), close(a[1]);
        return kiln_task_fail(t, "pipe: %s", strerror(errno)), NULL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, a[0], 3);
    posix_spawn_file_actions_adddup2(&fa, b[1], 4);
    pid_t pid;
    int rc = posix_spawn(&pid, g_worker_argv[0], &fa, NULL, g_worker_argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(a[0]);
    close(b[1]);
    worker *w = rc ? NULL : calloc(1, sizeof *w);
    if (!w) {
        close(a[1]), close(b[0]);
        if (!rc) kill(pid, SIGKILL), waitpid(pid, NULL, 0);
        kiln_task_fail(t, "cannot start a Python worker (%s): %s", g_worker_argv[0],
                       rc ? strerror(rc) : "out of memory");
        return NULL;
    }
    w->pid = pid, w->to = a[1], w->from = b[0];
    return w;
}

/* The task failed because the worker went: its exit status, and it is
 * dropped. */
static int worker_lost(kiln_task *t, worker *w)
{
    thread_workers *tw = pthread_getspecific(g_worker_key);
    for (int i = 0; tw && i < MAX_NESTED; i++)
        if (tw->w[i] == w) tw->w[i] = NULL;
    close(w->to);
    close(w->from);
    int status = 0;
    waitpid(w->pid, &status, 0);
    free(w);
    if (WIFSIGNALED(status))
        return kiln_task_fail(t, "Python worker exited unexpectedly (killed by signal %d)",
                              WTERMSIG(status));
    return kiln_task_fail(t, "Python worker exited unexpectedly (exit code %d)",
                          WEXITSTATUS(status));
}

static bool worker_knows(worker *w, const uint8_t *nonce)
{
    for (int i = 0; i < w->nsent; i++)
        if (memcmp(w->sent[i], nonce, 16) == 0) return true;
    memcpy(w->sent[w->next_sent], nonce, 16);
    w->next_sent = (w->next_sent + 1) % SENT_NONCES;
    if (w->nsent < SENT_NONCES) w->nsent++;
    return false;
}

/* START: u8 has env, u8 flags, then [u32 env length, env] or the env's
 * 16-byte nonce when this worker has it; then i32 index, stage,
 * partition, attempt. */
static int send_start(worker *w, kiln_task *t, int index, const uint8_t *env, kiln_buf *b)
{
    uint32_t plen;
    memcpy(&plen, env + 8, 4);
    size_t env_len = PYK_ENV_HEADER + plen;
    bool known = worker_knows(w, env + 16);
    b->len = 0;
    uint8_t head[2] = {!known, env[6]};
    int rc = kiln_buf_append(b, head, 2);
    if (!rc && known) rc = kiln_buf_append(b, env + 16, 16);
    if (!rc && !known) rc = put_u32(b, (uint32_t)env_len);
    if (!rc && !known) rc = kiln_buf_append(b, env, env_len);
    int32_t info[4] = {index, kiln_task_stage(t), kiln_task_partition(t), kiln_task_attempt(t)};
    if (!rc) rc = kiln_buf_append(b, info, sizeof info);
    if (rc) return rc;
    return send_msg(w->to, M_START, b->data, b->len) ? KILN_EIO : KILN_OK;
}

/* Answers NEED: the next batch of in, or END. */
static int send_input(worker *w, kiln_in *in, kiln_buf *b, bool *ended)
{
    b->len = 0;
    put_u32(b, 0);
    uint32_t n = 0;
    int rc = 0;
    while (!*ended && n < BATCH && b->len < BATCH_BYTES) {
        const kiln_value *v;
        rc = kiln_in_next(in, &v);
        if (rc < 0) return rc;
        if (rc == 0) {
            *ended = true;
            break;
        }
        if ((rc = kiln_value_encode(b, v))) return rc;
        n++;
    }
    memcpy(b->data, &n, 4);
    if (n == 0) return send_msg(w->to, M_END, NULL, 0) ? KILN_EIO : KILN_OK;
    return send_msg(w->to, M_INPUT, b->data, b->len) ? KILN_EIO : KILN_OK;
}

/* DONE's payload: u32 count, then (i64 id, value) for each delta. */
static int apply_accumulators(kiln_task *t, const kiln_buf *m, kiln_arena *a)
{
    if (m->len < 4) return 0;
    uint32_t n = get_u32(m->data);
    size_t off = 4;
    for (uint32_t i = 0; i < n; i++) {
        int64_t id;
        size_t used;
        kiln_value d;
        if (off + 8 > m->len) return KILN_ECORRUPT;
        memcpy(&id, m->data + off, 8);
        off += 8;
        int rc = kiln_value_decode(a, m->data + off, m->len - off, &d, &used);
        if (rc) return rc;
        off += used;
        if ((rc = kiln_accumulator_add(t, id, d))) return rc;
    }
    return 0;
}

/* Waits until worker w has something to say, checking every 100 ms
 * whether t's job was cancelled: KILN_OK, KILN_EJOB when it was (the
 * caller stops the worker, as Spark kills a killed task's Python worker),
 * KILN_EIO when the pipe failed. */
static int await_worker(kiln_task *t, const worker *w)
{
    struct pollfd p = {.fd = w->from, .events = POLLIN};
    for (;;) {
        int n = poll(&p, 1, 100);
        if (n > 0) return KILN_OK;
        if (n < 0 && errno != EINTR) return KILN_EIO;
        if (kiln_task_cancelled(t)) return KILN_EJOB;
    }
}

int pyk_worker_run(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    pthread_once(&g_worker_once, worker_key_init);
    thread_workers *tw = pthread_getspecific(g_worker_key);
    if (!tw) {
        if (!(tw = calloc(1, sizeof *tw))) return kiln_task_fail(t, "out of memory");
        pthread_setspecific(g_worker_key, tw);
    }
    int slot = 0;
    while (slot < MAX_NESTED && tw->w[slot] && tw->w[slot]->busy) slot++;
    if (slot == MAX_NESTED)
        return kiln_task_fail(t, "more than %d Python pipelines nested in one task", MAX_NESTED);
    if (!tw->w[slot] && !(tw->w[slot] = worker_start(t))) return KILN_EUSER;
    worker *w = tw->w[slot];
    w->busy = true;
    kiln_buf b, m;
    kiln_buf_init(&b);
    kiln_buf_init(&m);
    kiln_arena *a = kiln_arena_new();
    kiln_value *vals = malloc(sizeof(kiln_value) * BATCH);
    int rc = a && vals ? send_start(w, t, index, env, &b) : KILN_ENOMEM;
    if (rc == KILN_EIO) rc = worker_lost(t, w), w = NULL;
    bool ended = false, done = false;
    while (!rc && !done) {
        if (await_worker(t, w) == KILN_EJOB) {
            rc = kiln_task_fail(t, "task killed: its job was cancelled");
            break; /* the worker is stopped below */
        }
        int type = recv_msg(w->from, &m);
        switch (type) {
        case M_NEED:
            rc = send_input(w, in, &b, &ended);
            break;
        case M_OUTPUT: {
            uint32_t n = 0;
            rc = decode_batch(a, m.data, m.len, vals, &n);
            int erc = 0;
            for (uint32_t i = 0; !rc && i < n && !erc; i++) erc = kiln_emit(out, &vals[i]);
            kiln_arena_reset(a);
            if (erc && erc != KILN_ESTATE) rc = erc;
            if (!rc && send_msg(w->to, erc ? M_STOP : M_MORE, NULL, 0)) rc = KILN_EIO;
            break;
        }
        case M_DONE:
            rc = apply_accumulators(t, &m, a);
            done = true;
            break;
        case M_ERROR:
            rc = kiln_task_fail(t, "%.*s", (int)m.len, (const char *)m.data);
            done = true;
            break;
        case M_BGET: {
            int64_t id = 0;
            if (m.len >= 8) memcpy(&id, m.data, 8);
            const kiln_value *v = kiln_broadcast_value(t, id);
            b.len = 0;
            uint8_t ok = v != NULL;
            bool check_only = m.len >= 9 && m.data[8];
            kiln_buf_append(&b, &ok, 1);
            if (v && !check_only) rc = kiln_value_encode(&b, v);
            else kiln_buf_append(&b, kiln_last_error(), strlen(kiln_last_error()));
            if (!rc && send_msg(w->to, M_BVALUE, b.data, b.len)) rc = KILN_EIO;
            break;
        }
        default:
            rc = KILN_EIO;
        }
        if (rc == KILN_EIO && w) rc = worker_lost(t, w), w = NULL;
    }
    if (rc && w && !done) {
        /* Stopped half-way (an error of kiln's, a broken pipe): the
         * worker's state is unknown; start a fresh one next time. */
        tw->w[slot] = NULL;
        worker_stop(w);
    } else if (w) {
        w->busy = false;
    }
    free(vals);
    kiln_arena_free(a);
    kiln_buf_release(&b);
    kiln_buf_release(&m);
    return rc;
}

/* ---- The worker process's side ------------------------------------------- */

static int w_in = -1, w_out = -1;
static bool w_in_task;
static int w_info[3];
static PyObject *w_acc;        /* accumulator id -> delta of the running task */
static PyObject *w_broadcasts; /* id -> value, fetched once */

bool pyk_in_worker(void)
{
    return w_in >= 0;
}

bool pyk_worker_task_info(int info[3])
{
    if (!w_in_task) return false;
    memcpy(info, w_info, sizeof w_info);
    return true;
}

int pyk_worker_accumulate(int64_t id, PyObject *delta)
{
    if (!w_acc && !(w_acc = PyDict_New())) return -1;
    PyObject *key = PyLong_FromLongLong(id);
    if (!key) return -1;
    PyObject *old = PyDict_GetItemWithError(w_acc, key);
    PyObject *sum = old ? PyNumber_Add(old, delta) : (PyErr_Occurred() ? NULL : Py_NewRef(delta));
    int rc = sum ? PyDict_SetItem(w_acc, key, sum) : -1;
    Py_XDECREF(sum);
    Py_DECREF(key);
    return rc;
}

PyObject *pyk_worker_broadcast(int64_t id, bool check_only)
{
    if (check_only) {
        /* Only whether it is still live: asked every time. */
        uint8_t req[9] = {0};
        memcpy(req, &id, 8);
        req[8] = 1;
        kiln_buf m;
        kiln_buf_init(&m);
        PyObject *r = NULL;
        if (send_msg(w_out, M_BGET, req, 9) == 0 && recv_msg(w_in, &m) == M_BVALUE && m.len >= 1) {
            if (m.data[0] == 1) r = Py_NewRef(Py_None);
            else PyErr_Format(pyk_error_type, "%.*s", (int)m.len - 1, (const char *)m.data + 1);
        } else {
            PyErr_SetString(pyk_error_type, "Python worker: lost its task thread");
        }
        kiln_buf_release(&m);
        return r;
    }
    if (!w_broadcasts && !(w_broadcasts = PyDict_New())) return NULL;
    PyObject *key = PyLong_FromLongLong(id);
    if (!key) return NULL;
    PyObject *v = PyDict_GetItemWithError(w_broadcasts, key);
    if (v || PyErr_Occurred()) {
        Py_DECREF(key);
        return Py_XNewRef(v);
    }
    kiln_buf m;
    kiln_buf_init(&m);
    kiln_arena *a = kiln_arena_new();
    if (a && send_msg(w_out, M_BGET, &id, 8) == 0 && recv_msg(w_in, &m) == M_BVALUE && m.len >= 1) {
        kiln_value val;
        size_t used;
        if (m.data[0] != 1)
            PyErr_Format(pyk_error_type, "%.*s", (int)m.len - 1, (const char *)m.data + 1);
        else if (kiln_value_decode(a, m.data + 1, m.len - 1, &val, &used) == 0)
            v = pyk_from_value(&val);
        else PyErr_SetString(pyk_error_type, "broadcast value damaged on its way to the worker");
    } else if (!PyErr_Occurred()) {
        PyErr_SetString(pyk_error_type, "Python worker: lost its task thread");
    }
    if (v && PyDict_SetItem(w_broadcasts, key, v)) Py_CLEAR(v);
    Py_DECREF(key);
    kiln_buf_release(&m);
    kiln_arena_free(a);
    return v;
}

/* The iterator a pipeline reads its partition from, in a worker: the
 * values of the last INPUT, decoded one at a time. */
typedef struct {
    PyObject_HEAD kiln_buf m;
    const uint8_t *p, *end; /* the undecoded rest of m */
    uint32_t left;          /* values left in it */
    bool ended;
} PipeIter;

static PyObject *pipeiter_next(PyObject *self)
{
    PipeIter *it = (PipeIter *)self;
    while (it->left == 0) {
        if (it->ended) return NULL;
        if (send_msg(w_out, M_NEED, NULL, 0)) goto lost;
        int type = recv_msg(w_in, &it->m);
        if (type == M_END) {
            it->ended = true;
            return NULL;
        }
        if (type != M_INPUT || it->m.len < 4) goto lost;
        it->left = get_u32(it->m.data);
        it->p = it->m.data + 4, it->end = it->m.data + it->m.len;
    }
    it->left--;
    return pyk_decode(&it->p, it->end);
lost:
    PyErr_SetString(pyk_error_type, "Python worker: lost its task thread");
    return NULL;
}

static void pipeiter_dealloc(PyObject *self)
{
    PipeIter *it = (PipeIter *)self;
    kiln_buf_release(&it->m);
    PyObject_Free(self);
}

static PyTypeObject PipeIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.WorkerPartitionIterator",
    .tp_basicsize = sizeof(PipeIter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = pipeiter_next,
    .tp_dealloc = pipeiter_dealloc,
};

/* Sends an OUTPUT batch (b holds the count slot and the values) and
 * waits for MORE (0), STOP (1) or a broken pipe (-1). */
static int flush_output(kiln_buf *b, uint32_t n, kiln_buf *m)
{
    memcpy(b->data, &n, 4);
    if (send_msg(w_out, M_OUTPUT, b->data, b->len)) return -1;
    b->len = 4;
    int type = recv_msg(w_in, m);
    return type == M_MORE ? 0 : type == M_STOP ? 1 : -1;
}

static int send_done(void)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_arena *a = kiln_arena_new();
    uint32_t n = w_acc ? (uint32_t)PyDict_GET_SIZE(w_acc) : 0;
    int rc = a ? put_u32(&b, n) : -1;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (!rc && w_acc && PyDict_Next(w_acc, &pos, &k, &v)) {
        int64_t id = PyLong_AsLongLong(k);
        kiln_value d;
        rc = kiln_buf_append(&b, &id, 8);
        if (!rc) rc = pyk_to_value(v, a, &d) ? -1 : kiln_value_encode(&b, &d);
    }
    PyErr_Clear();
    if (w_acc) PyDict_Clear(w_acc);
    if (!rc) rc = send_msg(w_out, M_DONE, b.data, b.len);
    kiln_buf_release(&b);
    kiln_arena_free(a);
    return rc;
}

/* Runs one START; -1 when the pipes broke (the worker then exits). */
static int serve_task(const kiln_buf *start)
{
    const uint8_t *p = start->data;
    size_t n = start->len, off;
    if (n < 2) return -1;
    bool keyed = p[1] & PYK_ENV_KEYED;
    PyObject *fn;
    if (p[0]) {
        if (n < 6) return -1;
        uint32_t env_len = get_u32(p + 2);
        if (n < 6 + (size_t)env_len || env_len < PYK_ENV_HEADER) return -1;
        fn = pyk_load_function(p + 6);
        off = 6 + env_len;
    } else {
        if (n < 18) return -1;
        fn = pyk_cached_function(p + 2);
        off = 18;
    }
    if (n < off + 16) return -1;
    int32_t info[4];
    memcpy(info, p + off, sizeof info);
    w_info[0] = info[1], w_info[1] = info[2], w_info[2] = info[3];
    w_in_task = true;
    PipeIter *src = NULL;
    PyObject *res = NULL, *it = NULL;
    if (fn && (src = PyObject_New(PipeIter, &PipeIter_Type))) {
        kiln_buf_init(&src->m);
        src->p = src->end = NULL;
        src->left = 0;
        src->ended = false;
        PyObject *args[2] = {PyLong_FromLong(info[0]), (PyObject *)src};
        res = args[0] && !PyErr_Occurred() ? PyObject_Vectorcall(fn, args, 2, NULL) : NULL;
        Py_XDECREF(args[0]);
        it = res ? PyObject_GetIter(res) : NULL;
    }
    int rc = 0;
    kiln_buf b, m;
    kiln_buf_init(&b);
    kiln_buf_init(&m);
    put_u32(&b, 0);
    uint32_t count = 0;
    PyObject *item;
    /* reduceByKey(add): int values of equal keys added up here first. */
    pyk_combiner *comb = p[1] & PYK_ENV_COMBINE_ADD ? pyk_combiner_new(COMBINE_KEYS) : NULL;
    kiln_buf key;
    kiln_buf_init(&key);
    bool stopped = false; /* the consumer wants no more */
    bool combining = comb != NULL;
    /* Pairs offered to the combiner and those merged into a key it held:
     * when too few merge (many distinct keys), combining costs more than
     * it saves (kiln's own map-side combine is cheaper), and stops. */
    uint64_t offered = 0, merged = 0;
    while (it && (item = PyIter_Next(it))) {
        int bad = 0, added = 1;
        PyObject *v = comb && combining && PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 2
                          ? PyTuple_GET_ITEM(item, 1)
                          : NULL;
        if (v && PyLong_CheckExact(v)) {
            int overflow;
            long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
            key.len = 0;
            if (!overflow && !(bad = pyk_encode_key(PyTuple_GET_ITEM(item, 0), &key))) {
                int r = pyk_combiner_add(comb, key.data, key.len, x);
                added = r == 1 || r < 0 ? r : 0;
                merged += r == 0;
                if (++offered == COMBINE_TRIAL && merged < offered * 9 / 10) {
                    /* Not worth it: what it holds goes out below. */
                    combining = false;
                }
            }
            if (added < 0) bad = (PyErr_NoMemory(), -1);
        }
        if (!bad && added) bad = pyk_encode(item, &b, keyed);
        Py_DECREF(item);
        if (bad) break;
        if (added) count++;
        else if (pyk_combiner_size(comb) < COMBINE_KEYS && combining) continue;
        /* A full combiner's sums go out with the batch, BATCH records a
         * message. */
        bool drain = !added || (comb && !combining && pyk_combiner_size(comb));
        while (!stopped && rc == 0 && (drain || count >= BATCH || b.len >= BATCH_BYTES)) {
            if (drain && count < BATCH && pyk_combiner_flush(comb, &b, &count, BATCH)) {
                PyErr_NoMemory();
                break;
            }
            drain = drain && pyk_combiner_size(comb) > 0;
            if (count < BATCH && b.len < BATCH_BYTES && !drain) break;
            int f = flush_output(&b, count, &m);
            count = 0;
            if (f < 0) rc = -1;
            if (f > 0) stopped = true;
        }
        if (stopped || rc || PyErr_Occurred()) break;
    }
    while (comb && pyk_combiner_size(comb) && !stopped && !PyErr_Occurred() && rc == 0) {
        /* The last sums, BATCH records a message. */
        if (pyk_combiner_flush(comb, &b, &count, BATCH)) {
            PyErr_NoMemory();
            break;
        }
        if (count >= BATCH) {
            int f = flush_output(&b, count, &m);
            count = 0;
            if (f < 0) rc = -1;
            if (f > 0) stopped = true;
        }
    }
    pyk_combiner_free(comb);
    kiln_buf_release(&key);
    if (PyErr_Occurred()) {
        char *text = pyk_exception_text();
        const char *s = text ? text : "a Python function failed";
        if (send_msg(w_out, M_ERROR, s, strlen(s))) rc = -1;
        free(text);
        if (w_acc) PyDict_Clear(w_acc);
    } else if (rc == 0) {
        if (count && flush_output(&b, count, &m) < 0) rc = -1;
        if (rc == 0 && send_done()) rc = -1;
    }
    w_in_task = false;
    Py_XDECREF(it);
    Py_XDECREF(res);
    Py_XDECREF(src);
    kiln_buf_release(&b);
    kiln_buf_release(&m);
    return rc;
}

int pyk_worker_main(int in, int out)
{
    if (PyType_Ready(&PipeIter_Type) < 0) return -1;
    w_in = in, w_out = out;
    kiln_buf m;
    kiln_buf_init(&m);
    int type;
    while ((type = recv_msg(w_in, &m)) == M_START)
        if (serve_task(&m)) break;
    kiln_buf_release(&m);
    return 0;
}
