/*
 * python/src/py_progress.c - job progress for Python (kiln.notebook's
 * progress line): kiln_context_on_progress's events arrive on the
 * scheduler's threads, are queued per context without the GIL, and are
 * handed to the context's Python callback on the driver's thread by
 * pyk_progress_drain, which pyk_run_blocking calls each time it wakes
 * (every 100 ms) and when the call it waits for has returned.
 *
 *     _kiln.on_progress(context, callback)   # callback(dict) or None
 *     _kiln.progress_drain(context)          # what is queued, now
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "py_kiln.h"

/* Queued stage updates beyond this many are dropped (the drain catches up
 * at the next wake); starts and ends are always kept. */
#define QUEUE_SOFT_LIMIT 1024

typedef struct progress_item {
    kiln_progress p;
    char name[96];
    char message[512];
} progress_item;

typedef struct progress_queue {
    pthread_mutex_t lock;
    kiln_context *ctx;  /* a key only: never called through */
    PyObject *callback; /* with the GIL only; NULL: events are not queued */
    atomic_bool active; /* callback != NULL, read by the listener */
    atomic_bool dead;   /* the context was freed */
    progress_item *items;
    size_t n, cap;
    struct progress_queue *next;
} progress_queue;

/* Every context's queue; the list is touched with the GIL only. */
static progress_queue *g_queues;

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* The listener (kiln_context_on_progress): on a scheduler thread. */
static void enqueue(void *arg, const kiln_progress *p)
{
    progress_queue *q = arg;
    if (!atomic_load(&q->active)) return;
    pthread_mutex_lock(&q->lock);
    /* A stage's updates replace the one before when nothing came between. */
    if (p->kind == KILN_PROGRESS_STAGE && q->n > 0 &&
        q->items[q->n - 1].p.kind == KILN_PROGRESS_STAGE &&
        q->items[q->n - 1].p.stage == p->stage) {
        q->items[q->n - 1].p = *p;
        pthread_mutex_unlock(&q->lock);
        return;
    }
    if (p->kind == KILN_PROGRESS_STAGE && q->n >= QUEUE_SOFT_LIMIT) {
        pthread_mutex_unlock(&q->lock);
        return;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        progress_item *grown = realloc(q->items, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&q->lock);
            return; /* out of memory: a progress line is not worth failing for */
        }
        q->items = grown;
        q->cap = cap;
    }
    progress_item *it = &q->items[q->n++];
    it->p = *p;
    copy_str(it->name, sizeof it->name, p->name);
    copy_str(it->message, sizeof it->message, p->message);
    it->p.name = NULL;
    it->p.message = NULL;
    pthread_mutex_unlock(&q->lock);
}

/* The listener's release, when the context is freed (maybe without the
 * GIL): the queue is only marked; pyk_progress_drain frees it. */
static void mark_dead(void *arg)
{
    progress_queue *q = arg;
    atomic_store(&q->dead, true);
}

/* Frees the queues of freed contexts (with the GIL). */
static void sweep(void)
{
    for (progress_queue **pp = &g_queues; *pp;) {
        progress_queue *q = *pp;
        if (!atomic_load(&q->dead)) {
            pp = &q->next;
            continue;
        }
        *pp = q->next;
        Py_CLEAR(q->callback);
        pthread_mutex_destroy(&q->lock);
        free(q->items);
        free(q);
    }
}

static progress_queue *find(kiln_context *ctx)
{
    for (progress_queue *q = g_queues; q; q = q->next)
        if (q->ctx == ctx && !atomic_load(&q->dead)) return q;
    return NULL;
}

static const char *const KIND_NAMES[] = {
    [KILN_PROGRESS_JOB_START] = "job_start",  [KILN_PROGRESS_STAGE_START] = "stage_start",
    [KILN_PROGRESS_STAGE] = "stage_progress", [KILN_PROGRESS_STAGE_END] = "stage_end",
    [KILN_PROGRESS_JOB_END] = "job_end",
};

/* The dict the callback receives for it (a new reference or NULL). */
static PyObject *item_dict(const progress_item *it)
{
    const kiln_progress *p = &it->p;
    return Py_BuildValue("{s:s,s:i,s:i,s:s,s:i,s:i,s:i,s:i,s:d,s:d,s:z}", "kind",
                         KIND_NAMES[p->kind], "job", p->job, "stage", p->stage, "name", it->name,
                         "tasks", p->tasks, "done", p->done, "running", p->running, "rc", p->rc,
                         "time", p->time, "duration", p->duration, "message",
                         it->message[0] ? it->message : NULL);
}

void pyk_progress_drain(kiln_context *ctx)
{
    if (!g_queues) return;
    sweep();
    progress_queue *q = ctx ? find(ctx) : NULL;
    if (!q || !q->callback) return;
    pthread_mutex_lock(&q->lock);
    progress_item *items = q->items;
    size_t n = q->n;
    q->items = NULL;
    q->n = q->cap = 0;
    pthread_mutex_unlock(&q->lock);
    /* The callback may replace itself: hold the one this batch goes to. */
    PyObject *cb = Py_NewRef(q->callback);
    PyObject *saved_type, *saved_value, *saved_tb;
    PyErr_Fetch(&saved_type, &saved_value, &saved_tb); /* e.g. a pending KeyboardInterrupt */
    for (size_t i = 0; i < n; i++) {
        PyObject *d = item_dict(&items[i]);
        PyObject *r = d ? PyObject_CallOneArg(cb, d) : NULL;
        /* A failing progress display must not fail the job: reported, not
         * raised; but Ctrl-C (a notebook's interrupt) landing in the
         * callback is the user's, kept for the caller (pyk_run_blocking
         * cancels the jobs then). */
        if (!r && PyErr_ExceptionMatches(PyExc_KeyboardInterrupt) && !saved_type)
            PyErr_Fetch(&saved_type, &saved_value, &saved_tb);
        else if (!r) PyErr_WriteUnraisable(cb);
        Py_XDECREF(r);
        Py_XDECREF(d);
    }
    PyErr_Restore(saved_type, saved_value, saved_tb);
    Py_DECREF(cb);
    free(items);
}

static kiln_context *context_of(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &PykContext_Type)) {
        PyErr_Format(PyExc_TypeError, "expected a _kiln.Context, got %s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    kiln_context *ctx = ((PykContext *)o)->ctx;
    if (!ctx) PyErr_SetString(PyExc_ValueError, "the SparkContext has been stopped");
    return ctx;
}

static PyObject *mod_on_progress(PyObject *self, PyObject *args)
{
    PyObject *context, *callback;
    if (!PyArg_ParseTuple(args, "OO", &context, &callback)) return NULL;
    kiln_context *ctx = context_of(context);
    if (!ctx) return NULL;
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "on_progress: callback must be callable or None");
        return NULL;
    }
    sweep();
    progress_queue *q = find(ctx);
    if (!q) {
        if (callback == Py_None) Py_RETURN_NONE;
        q = calloc(1, sizeof *q);
        if (!q) return PyErr_NoMemory();
        pthread_mutex_init(&q->lock, NULL);
        q->ctx = ctx;
        int rc = kiln_context_on_progress(ctx, enqueue, q, mark_dead);
        if (rc) {
            pthread_mutex_destroy(&q->lock);
            free(q);
            return pyk_raise_kiln(rc);
        }
        q->next = g_queues;
        g_queues = q;
    }
    Py_CLEAR(q->callback);
    if (callback != Py_None) q->callback = Py_NewRef(callback);
    atomic_store(&q->active, q->callback != NULL);
    if (!q->callback) {
        pthread_mutex_lock(&q->lock);
        q->n = 0;
        pthread_mutex_unlock(&q->lock);
    }
    Py_RETURN_NONE;
}

static PyObject *mod_progress_drain(PyObject *self, PyObject *context)
{
    kiln_context *ctx = context_of(context);
    if (!ctx) return NULL;
    pyk_progress_drain(ctx);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef progress_methods[] = {
    {"on_progress", mod_on_progress, METH_VARARGS,
     "on_progress(context, callback): callback(dict) gets the context's job and stage events "
     "on the driver's thread while it waits for a job (None: no more)."},
    {"progress_drain", mod_progress_drain, METH_O,
     "progress_drain(context): hands the queued progress events to the callback now."},
    {NULL, NULL, 0, NULL},
};

int pyk_progress_init(PyObject *m)
{
    return PyModule_AddFunctions(m, progress_methods);
}
