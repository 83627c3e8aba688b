/*
 * python/src/py_functions.c - Python functions run as kiln functions
 * (py_kiln.h).
 *
 * A function travels as an env: a 32-byte header (magic "KPY1", the
 * driver's Python major and minor version, flags, a pad byte, the u32
 * length of the pickle, 4 spare bytes, a 16-byte nonce naming the
 * function) and the cloudpickle bytes of the callable. Each process
 * unpickles a function once and keeps it by nonce. A worker whose
 * Python differs from the driver's fails the task by name, as PySpark's
 * worker does.
 *
 * Threads and the GIL: a task thread takes the GIL once per batch of
 * 1024 records (pyk_partitions_fn) or once per call (the per-record
 * trampolines of reductions), and never holds it while kiln waits for a
 * consumer. Each thread keeps one Python thread state for its life
 * (creating and destroying one per call is slow and breaks
 * threading.local). When the thread already holds the GIL (a pipeline
 * whose input is another Python pipeline, pulled from inside the first's
 * call) nothing is taken or released.
 */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "py_kiln.h"

enum { ENV_HEADER = PYK_ENV_HEADER, ENV_NONCE = 16, BATCH = 1024 };
static const char ENV_MAGIC[4] = {'K', 'P', 'Y', '1'};

static int g_major = PY_MAJOR_VERSION, g_minor = PY_MINOR_VERSION;
static PyObject *g_cache;      /* nonce (bytes) -> unpickled callable */
static PyObject *g_format_exc; /* traceback.format_exception */
static __thread kiln_task *t_task;
static unsigned long g_main_thread; /* the thread that imported the module */

void pyk_env_set_version(int major, int minor)
{
    g_major = major ? major : PY_MAJOR_VERSION;
    g_minor = major ? minor : PY_MINOR_VERSION;
}

kiln_task *pyk_current_task(void)
{
    return t_task;
}

PyObject *pyk_env_new(PyObject *pickled, int flags)
{
    if (!PyBytes_Check(pickled)) return PyErr_Format(PyExc_TypeError, "expected pickled bytes");
    Py_ssize_t n = PyBytes_GET_SIZE(pickled);
    PyObject *env = PyBytes_FromStringAndSize(NULL, ENV_HEADER + n);
    if (!env) return NULL;
    uint8_t *p = (uint8_t *)PyBytes_AS_STRING(env);
    memcpy(p, ENV_MAGIC, 4);
    if (n > (Py_ssize_t)UINT32_MAX) {
        Py_DECREF(env);
        return PyErr_Format(PyExc_ValueError, "a function of %zd bytes pickled is too big", n);
    }
    memset(p + 4, 0, ENV_NONCE - 4);
    p[4] = (uint8_t)g_major, p[5] = (uint8_t)g_minor, p[6] = (uint8_t)flags;
    uint32_t len = (uint32_t)n;
    memcpy(p + 8, &len, 4);
    if (getrandom(p + ENV_NONCE, 16, 0) != 16) {
        Py_DECREF(env);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    memcpy(p + ENV_HEADER, PyBytes_AS_STRING(pickled), (size_t)n);
    return env;
}

/* ---- The GIL ------------------------------------------------------------- */

static __thread PyThreadState *t_ts; /* this thread's, kept for its life */

/* Takes the GIL unless this thread holds it; true when it took it. */
static bool gil_take(void)
{
    if (t_ts) {
        if (PyGILState_Check()) return false;
        PyEval_RestoreThread(t_ts);
        return true;
    }
    PyThreadState *own = PyGILState_GetThisThreadState();
    if (own) {
        /* A thread Python made (the driver's, waiting in a kiln call). */
        if (PyGILState_Check()) return false;
        PyEval_RestoreThread(own);
        return true;
    }
    /* A kiln thread's first call: a thread state that stays. */
    PyGILState_Ensure();
    t_ts = PyGILState_GetThisThreadState();
    return true;
}

static void gil_drop(bool taken)
{
    if (taken) PyEval_SaveThread();
}

/* ---- Errors ------------------------------------------------------------- */

char *pyk_exception_text(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value) PyException_SetTraceback(value, tb);
    PyObject *lines = NULL, *text = NULL;
    if (!g_format_exc) {
        PyObject *m = PyImport_ImportModule("traceback");
        g_format_exc = m ? PyObject_GetAttrString(m, "format_exception") : NULL;
        Py_XDECREF(m);
    }
    if (g_format_exc && type)
        lines = PyObject_CallFunctionObjArgs(g_format_exc, type, value ? value : Py_None,
                                             tb ? tb : Py_None, NULL);
    if (lines) {
        PyObject *empty = PyUnicode_FromString("");
        text = empty ? PyUnicode_Join(empty, lines) : NULL;
        Py_XDECREF(empty);
    }
    const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
    char *out = strdup(s ? s : "a Python function failed (no traceback)");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(lines);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return out;
}

/* Fails t with the Python exception set: its formatted traceback, whose
 * last line ("module.Type: message") tells the driver what to raise. */
static int fail_with_exception(kiln_task *t)
{
    char *text = pyk_exception_text();
    int rc = kiln_task_fail(t, "%s", text ? text : "a Python function failed");
    free(text);
    return rc;
}

/* ---- Functions by env --------------------------------------------------- */

PyObject *pyk_load_function(const uint8_t *env)
{
    if (memcmp(env, ENV_MAGIC, 4) != 0) {
        PyErr_SetString(PyExc_ValueError, "not a Python function's env");
        return NULL;
    }
    if (env[4] != PY_MAJOR_VERSION || env[5] != PY_MINOR_VERSION) {
        PyErr_Format(PyExc_RuntimeError,
                     "Python in worker has different version %d.%d than that in driver %d.%d, "
                     "PySpark cannot run with different minor versions. Please check "
                     "environment variables PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON (kiln: "
                     "kiln.pyspark.python) are correctly set.",
                     PY_MAJOR_VERSION, PY_MINOR_VERSION, env[4], env[5]);
        return NULL;
    }
    if (!g_cache && !(g_cache = PyDict_New())) return NULL;
    PyObject *key = PyBytes_FromStringAndSize((const char *)env + ENV_NONCE, 16);
    if (!key) return NULL;
    PyObject *fn = PyDict_GetItemWithError(g_cache, key);
    if (!fn && !PyErr_Occurred()) {
        uint32_t len;
        memcpy(&len, env + 8, 4);
        PyObject *pickle = PyImport_ImportModule("pickle");
        PyObject *loads = pickle ? PyObject_GetAttrString(pickle, "loads") : NULL;
        Py_XDECREF(pickle);
        PyObject *mv = loads ? PyMemoryView_FromMemory((char *)env + ENV_HEADER, len, PyBUF_READ)
                             : NULL;
        fn = mv ? PyObject_CallOneArg(loads, mv) : NULL;
        Py_XDECREF(mv);
        Py_XDECREF(loads);
        if (fn) {
            if (PyDict_GET_SIZE(g_cache) > 4096) PyDict_Clear(g_cache);
            int rc = PyDict_SetItem(g_cache, key, fn);
            Py_DECREF(fn); /* the cache holds it */
            if (rc) fn = NULL;
        }
    }
    Py_DECREF(key);
    return fn;
}

PyObject *pyk_cached_function(const uint8_t *nonce)
{
    PyObject *key = g_cache ? PyBytes_FromStringAndSize((const char *)nonce, 16) : NULL;
    PyObject *fn = key ? PyDict_GetItemWithError(g_cache, key) : NULL;
    Py_XDECREF(key);
    if (!fn && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "Python worker: unknown function (cache lost)");
    return fn;
}

/* The callable of env (borrowed: the cache keeps it), or NULL with the
 * task failed. Caller holds the GIL. */
static PyObject *env_function(kiln_task *t, const uint8_t *env)
{
    PyObject *fn = pyk_load_function(env);
    if (!fn) fail_with_exception(t);
    return fn;
}

/* ---- Partitions: one call per batch --------------------------------------- */

/* The iterator a pipeline reads its partition from. Each record pulled
 * first checks whether the task's job was cancelled, so that a slow
 * function over a batch already read stops at its next record (a worker
 * process is stopped instead, py_worker.c). */
typedef struct {
    PyObject_HEAD kiln_in *in; /* NULL once the task's call has ended */
    kiln_task *t;
    int rc; /* a kiln error met pulling (negative), else 0 */
} InIter;

static PyObject *initer_next(PyObject *self)
{
    InIter *it = (InIter *)self;
    if (!it->in) return NULL;
    const kiln_value *v;
    int rc = kiln_task_cancelled(it->t) ? KILN_EJOB : kiln_in_next(it->in, &v);
    if (rc == 1) return pyk_from_value(v);
    if (rc < 0) {
        it->rc = rc;
        PyErr_Format(pyk_error_type, "reading the partition failed: %s", kiln_strerror(rc));
    }
    return NULL;
}

static PyTypeObject InIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.PartitionIterator",
    .tp_basicsize = sizeof(InIter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = initer_next,
};

/* Emits vals[0..n) with the GIL dropped (kiln_emit may hand the chunk to
 * the consumer). Returns 0, 1 when the consumer wants no more, or a
 * negative kiln error. */
static int emit_all(kiln_out *out, const kiln_value *vals, int n, bool taken)
{
    PyThreadState *saved = taken ? PyEval_SaveThread() : NULL;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) rc = kiln_emit(out, &vals[i]);
    if (saved) PyEval_RestoreThread(saved);
    if (rc == KILN_ESTATE) return 1;
    return rc;
}

int pyk_partitions_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    /* Several task threads: each hands its pipelines to a worker process
     * of its own (py_worker.c) rather than queue on the GIL. */
    if (pyk_workers_enabled()) return pyk_worker_run(t, index, in, out, env);
    const uint8_t *e = env;
    bool keyed = e[6] & PYK_ENV_KEYED;
    bool taken = gil_take();
    kiln_task *outer = t_task;
    t_task = t;
    int rc = 0;
    InIter *src = NULL;
    PyObject *fn = env_function(t, e), *res = NULL, *it = NULL;
    kiln_arena *a = kiln_arena_new();
    kiln_value *vals = PyMem_Malloc(sizeof(kiln_value) * BATCH);
    if (!fn) rc = KILN_EUSER;
    else if (!a || !vals) rc = kiln_task_fail(t, "out of memory");
    if (!rc && (src = PyObject_New(InIter, &InIter_Type))) {
        src->in = in, src->t = t, src->rc = 0;
        PyObject *args[2] = {PyLong_FromLong(index), (PyObject *)src};
        res = args[0] ? PyObject_Vectorcall(fn, args, 2, NULL) : NULL;
        Py_XDECREF(args[0]);
        it = res ? PyObject_GetIter(res) : NULL;
    }
    if (!rc && !it) rc = src && src->rc ? src->rc : fail_with_exception(t);
    while (!rc) {
        int n = 0;
        PyObject *item = NULL;
        while (n < BATCH && (item = PyIter_Next(it))) {
            int bad = keyed ? pyk_to_key(item, a, &vals[n]) : pyk_to_value(item, a, &vals[n]);
            Py_DECREF(item);
            if (bad) break;
            n++;
        }
        if (PyErr_Occurred()) {
            /* An error of kiln's met while pulling wins over what Python
             * made of it. */
            if (src->rc) {
                PyErr_Clear();
                rc = src->rc;
            } else {
                rc = fail_with_exception(t);
            }
            break;
        }
        int e2 = emit_all(out, vals, n, taken);
        kiln_arena_reset(a);
        if (e2) {
            rc = e2 < 0 ? e2 : 0;
            break;
        }
        if (n < BATCH) break; /* the end */
    }
    if (src) src->in = NULL;
    Py_XDECREF(it);
    Py_XDECREF(res);
    Py_XDECREF(src);
    PyMem_Free(vals);
    kiln_arena_free(a);
    t_task = outer;
    gil_drop(taken);
    return rc;
}

/* ---- Per-record calls ------------------------------------------------------ */

/* Item i of env's callable (a tuple of them when i > 0 or it is one). */
static PyObject *nth(PyObject *fn, int i)
{
    if (PyTuple_Check(fn)) return i < PyTuple_GET_SIZE(fn) ? PyTuple_GET_ITEM(fn, i) : NULL;
    return i == 0 ? fn : NULL;
}

/* out = fn_i(args...) for 1 or 2 kiln values. */
static int call_values(kiln_task *t, const void *env, int i, const kiln_value *a,
                       const kiln_value *b, kiln_value *out)
{
    bool taken = gil_take();
    kiln_task *outer = t_task;
    t_task = t;
    int rc = KILN_EUSER;
    PyObject *fn = env_function(t, env);
    PyObject *f = fn ? nth(fn, i) : NULL;
    if (fn && !f) kiln_task_fail(t, "Python function %d missing from its env", i);
    PyObject *args[2] = {NULL, NULL};
    if (f && (args[0] = pyk_from_value(a)) && (!b || (args[1] = pyk_from_value(b)))) {
        PyObject *r = PyObject_Vectorcall(f, args, b ? 2 : 1, NULL);
        if (r && pyk_to_value(r, kiln_task_arena(t), out) == 0) rc = 0;
        Py_XDECREF(r);
    }
    Py_XDECREF(args[0]);
    Py_XDECREF(args[1]);
    if (rc && f) rc = fail_with_exception(t);
    t_task = outer;
    gil_drop(taken);
    return rc;
}

int pyk_reduce_fn0(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env)
{
    return call_values(t, env, 0, a, b, out);
}

int pyk_reduce_fn1(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env)
{
    return call_values(t, env, 1, a, b, out);
}

int pyk_reduce_fn2(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env)
{
    return call_values(t, env, 2, a, b, out);
}

int pyk_map_fn0(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    return call_values(t, env, 0, in, NULL, out);
}

/* ---- Blocking calls -------------------------------------------------------- */

typedef struct {
    int (*fn)(void *);
    void *arg;
    kiln_context *ctx;
    kiln_local_props *props; /* the caller's local properties, adopted by the thread */
    int rc;
    bool done;
    char *error; /* kiln_last_error of the worker thread (malloc) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
} blocking_call;

static void *blocking_main(void *p)
{
    blocking_call *c = p;
    /* The job runs here for the caller's thread: with its local properties
     * (job description, group), which are per thread. */
    if (c->props) {
        (void)kiln_context_local_props_adopt(c->ctx, c->props);
        kiln_local_props_free(c->props);
        c->props = NULL;
    }
    int rc = c->fn(c->arg);
    char *err = rc ? strdup(kiln_last_error()) : NULL;
    pthread_mutex_lock(&c->lock);
    c->rc = rc;
    c->error = err;
    c->done = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Waits up to ms for c; true when it is done. Called without the GIL. */
static bool wait_done(blocking_call *c, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&c->lock);
    while (!c->done && pthread_cond_timedwait(&c->cond, &c->lock, &ts) == 0) {
    }
    bool done = c->done;
    pthread_mutex_unlock(&c->lock);
    return done;
}

int pyk_run_blocking(kiln_context *ctx, int (*fn)(void *), void *arg, int *rc)
{
    /* Off the main thread Python delivers no signals: call directly. */
    if (!ctx || PyThread_get_thread_ident() != g_main_thread) {
        Py_BEGIN_ALLOW_THREADS *rc = fn(arg);
        Py_END_ALLOW_THREADS pyk_progress_drain(ctx);
        return PyErr_Occurred() ? -1 : 0;
    }
    blocking_call c = {.fn = fn,
                       .arg = arg,
                       .ctx = ctx,
                       .props = kiln_context_local_props_copy(ctx)};
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.cond, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, blocking_main, &c) != 0) {
        kiln_local_props_free(c.props);
        Py_BEGIN_ALLOW_THREADS *rc = fn(arg);
        Py_END_ALLOW_THREADS return 0;
    }
    bool interrupted = false;
    for (;;) {
        bool done;
        Py_BEGIN_ALLOW_THREADS done = wait_done(&c, 100);
        Py_END_ALLOW_THREADS if (done) break;
        /* Signals first: a Ctrl-C that came while we waited must be taken
         * here, not by the first Python code to run (the progress callback,
         * whose display code may swallow it). */
        if (!interrupted && PyErr_CheckSignals() < 0) {
            interrupted = true;
            kiln_context_cancel_jobs(ctx);
        }
        /* The progress line, from this thread; a Ctrl-C landing in it is
         * left set. */
        pyk_progress_drain(ctx);
        if (!interrupted && PyErr_Occurred()) {
            /* Ctrl-C (KeyboardInterrupt is now set): stop the jobs, then
             * wait for the call to return. */
            interrupted = true;
            kiln_context_cancel_jobs(ctx);
        }
    }
    Py_BEGIN_ALLOW_THREADS pthread_join(th, NULL);
    Py_END_ALLOW_THREADS pyk_progress_drain(ctx);
    if (PyErr_Occurred()) interrupted = true; /* Ctrl-C in the last progress line */
    pthread_mutex_destroy(&c.lock);
    pthread_cond_destroy(&c.cond);
    *rc = c.rc;
    if (c.rc && c.error) kiln_set_error(c.rc, "%s", c.error);
    free(c.error);
    return interrupted ? -1 : 0;
}

int pyk_functions_init(PyObject *m)
{
    g_main_thread = PyThread_get_thread_ident();
    return PyType_Ready(&InIter_Type);
}

/* ---- Functions run in C --------------------------------------------------- */

/* a + b for operator.add and `lambda a, b: a + b`: ints (while the sum
 * fits in 64 bits) and floats in C, anything else (a big sum, strings,
 * lists) by the Python function of env, so the result is Python's. */
int pyk_add_fn(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env)
{
    if (a->type == KILN_INT && b->type == KILN_INT) {
        int64_t s;
        if (!__builtin_add_overflow(a->u.i, b->u.i, &s)) {
            *out = kiln_int(s);
            return 0;
        }
    } else if (a->type == KILN_DOUBLE && b->type == KILN_DOUBLE) {
        *out = kiln_double(a->u.d + b->u.d);
        return 0;
    } else if (a->type == KILN_DOUBLE && b->type == KILN_INT) {
        *out = kiln_double(a->u.d + (double)b->u.i);
        return 0;
    } else if (a->type == KILN_INT && b->type == KILN_DOUBLE) {
        *out = kiln_double((double)a->u.i + b->u.d);
        return 0;
    }
    return call_values(t, env, 0, a, b, out);
}

int pyk_call_flat(kiln_task *t, const void *env, const kiln_value *in, kiln_out *out)
{
    bool taken = gil_take();
    kiln_task *outer = t_task;
    t_task = t;
    int rc = 0;
    PyObject *fn = env_function(t, env), *arg = NULL, *res = NULL, *it = NULL, *item;
    if (!fn) rc = KILN_EUSER;
    if (!rc && (arg = pyk_from_value(in)) && (res = PyObject_CallOneArg(fn, arg)))
        it = PyObject_GetIter(res);
    kiln_arena *a = kiln_task_arena(t);
    while (it && !rc && (item = PyIter_Next(it))) {
        kiln_value v;
        int bad = pyk_to_value(item, a, &v);
        Py_DECREF(item);
        if (bad) break;
        /* kiln_emit may hand a chunk to the consumer: without the GIL. */
        PyThreadState *saved = taken ? PyEval_SaveThread() : NULL;
        rc = kiln_emit(out, &v);
        if (saved) PyEval_RestoreThread(saved);
    }
    if (!rc && fn && PyErr_Occurred()) rc = fail_with_exception(t);
    Py_XDECREF(it);
    Py_XDECREF(res);
    Py_XDECREF(arg);
    t_task = outer;
    gil_drop(taken);
    return rc;
}
