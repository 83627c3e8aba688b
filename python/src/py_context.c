/*
 * python/src/py_context.c - _kiln.Context: a kiln context made from a dict
 * of settings, the sources of RDDs, broadcasts and accumulators. kiln.
 * SparkContext (python/kiln/context.py) is the user's face of it.
 */
#include "py_kiln.h"

static int context_init(PyObject *self, PyObject *args, PyObject *kw)
{
    PykContext *c = (PykContext *)self;
    PyObject *settings = NULL;
    if (!PyArg_ParseTuple(args, "|O!", &PyDict_Type, &settings)) return -1;
    kiln_conf *conf = kiln_conf_new();
    if (!conf) return PyErr_NoMemory(), -1;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (settings && PyDict_Next(settings, &pos, &k, &v)) {
        const char *ks = PyUnicode_AsUTF8(k), *vs = PyUnicode_AsUTF8(v);
        if (!ks || !vs || kiln_conf_set(conf, ks, vs)) {
            kiln_conf_free(conf);
            if (!PyErr_Occurred()) PyErr_NoMemory();
            return -1;
        }
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = kiln_context_new(conf, &c->ctx);
    Py_END_ALLOW_THREADS kiln_conf_free(conf);
    if (rc) {
        c->ctx = NULL;
        pyk_raise_kiln(rc);
        return -1;
    }
    return 0;
}

static void context_free_ctx(PykContext *c)
{
    kiln_context *ctx = c->ctx;
    c->ctx = NULL;
    if (!ctx) return;
    Py_BEGIN_ALLOW_THREADS kiln_context_free(ctx);
    Py_END_ALLOW_THREADS
}

static void context_dealloc(PyObject *self)
{
    context_free_ctx((PykContext *)self);
    Py_TYPE(self)->tp_free(self);
}

/* The context, or NULL with ValueError once stopped. */
static kiln_context *live(PyObject *self)
{
    kiln_context *ctx = ((PykContext *)self)->ctx;
    if (!ctx) PyErr_SetString(PyExc_ValueError, "the SparkContext has been stopped");
    return ctx;
}

static PyObject *context_stop(PyObject *self, PyObject *unused)
{
    context_free_ctx((PykContext *)self);
    Py_RETURN_NONE;
}

static PyObject *context_cores(PyObject *self, PyObject *unused)
{
    kiln_context *ctx = live(self);
    return ctx ? PyLong_FromLong(kiln_context_cores(ctx)) : NULL;
}

static PyObject *context_default_parallelism(PyObject *self, PyObject *unused)
{
    kiln_context *ctx = live(self);
    return ctx ? PyLong_FromLong(kiln_context_default_parallelism(ctx)) : NULL;
}

static PyObject *context_conf(PyObject *self, PyObject *args)
{
    const char *key;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "s", &key)) return NULL;
    const char *v = kiln_context_conf(ctx, key);
    if (!v) Py_RETURN_NONE;
    return PyUnicode_FromString(v);
}

static PyObject *context_parallelize(PyObject *self, PyObject *args)
{
    PyObject *seq;
    int slices = 0;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "O!|i", &PyList_Type, &seq, &slices)) return NULL;
    kiln_arena *a = kiln_arena_new();
    if (!a) return PyErr_NoMemory();
    kiln_value list;
    kiln_rdd *r = NULL;
    if (pyk_to_value(seq, a, &list) == 0) {
        Py_BEGIN_ALLOW_THREADS r = kiln_parallelize(ctx, list.u.items, list.len, slices);
        Py_END_ALLOW_THREADS
    }
    kiln_arena_free(a);
    if (PyErr_Occurred()) return NULL;
    return pyk_rdd_wrap((PykContext *)self, r);
}

static PyObject *context_range(PyObject *self, PyObject *args)
{
    long long start, end, step;
    int slices = 0;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "LLL|i", &start, &end, &step, &slices)) return NULL;
    return pyk_rdd_wrap((PykContext *)self, kiln_range(ctx, start, end, step, slices));
}

typedef kiln_rdd *(*path_source)(kiln_context *, const char *, int);

static PyObject *from_path(PyObject *self, PyObject *args, path_source src)
{
    const char *path;
    int min = 0;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "s|i", &path, &min)) return NULL;
    kiln_rdd *r;
    Py_BEGIN_ALLOW_THREADS r = src(ctx, path, min);
    Py_END_ALLOW_THREADS return pyk_rdd_wrap((PykContext *)self, r);
}

static PyObject *context_text_file(PyObject *self, PyObject *args)
{
    return from_path(self, args, kiln_text_file);
}

static PyObject *context_whole_text_files(PyObject *self, PyObject *args)
{
    return from_path(self, args, kiln_whole_text_files);
}

static PyObject *context_broadcast(PyObject *self, PyObject *value)
{
    kiln_context *ctx = live(self);
    if (!ctx) return NULL;
    kiln_arena *a = kiln_arena_new();
    if (!a) return PyErr_NoMemory();
    kiln_value v;
    int64_t id = 0;
    if (pyk_to_value(value, a, &v) == 0) id = kiln_broadcast_new(ctx, &v);
    kiln_arena_free(a);
    if (PyErr_Occurred()) return NULL;
    if (id < 0) return pyk_raise_kiln((int)id);
    return PyLong_FromLongLong(id);
}

static PyObject *context_broadcast_destroy(PyObject *self, PyObject *args)
{
    long long id;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "L", &id)) return NULL;
    int rc = kiln_broadcast_destroy(ctx, id);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *context_accumulator(PyObject *self, PyObject *args)
{
    const char *name;
    int is_float;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "sp", &name, &is_float)) return NULL;
    int64_t id = kiln_accumulator_new(ctx, name, is_float ? KILN_DOUBLE : KILN_INT);
    if (id < 0) return pyk_raise_kiln((int)id);
    return PyLong_FromLongLong(id);
}

static PyObject *context_accumulator_value(PyObject *self, PyObject *args)
{
    long long id;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "L", &id)) return NULL;
    kiln_value v = kiln_accumulator_value(ctx, id);
    return pyk_from_value(&v);
}

static PyObject *context_set_checkpoint_dir(PyObject *self, PyObject *args)
{
    const char *dir;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "s", &dir)) return NULL;
    int rc = kiln_context_set_checkpoint_dir(ctx, dir);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *context_cancel_jobs(PyObject *self, PyObject *unused)
{
    kiln_context *ctx = live(self);
    if (!ctx) return NULL;
    kiln_context_cancel_jobs(ctx);
    Py_RETURN_NONE;
}

/* set_local_property(key, value or None): the calling thread's property. */
static PyObject *context_set_local_property(PyObject *self, PyObject *args)
{
    const char *key, *value;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "sz", &key, &value)) return NULL;
    int rc = kiln_context_set_local_property(ctx, key, value);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *context_get_local_property(PyObject *self, PyObject *args)
{
    const char *key;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "s", &key)) return NULL;
    const char *v = kiln_context_get_local_property(ctx, key);
    if (!v) Py_RETURN_NONE;
    return PyUnicode_FromString(v);
}

static PyObject *context_cancel_job_group(PyObject *self, PyObject *args)
{
    const char *group;
    kiln_context *ctx = live(self);
    if (!ctx || !PyArg_ParseTuple(args, "s", &group)) return NULL;
    int rc = kiln_context_cancel_job_group(ctx, group);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *context_metrics(PyObject *self, PyObject *unused)
{
    kiln_context *ctx = live(self);
    if (!ctx) return NULL;
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    return Py_BuildValue("{sLsLsLsLsLsLsL}", "memory_budget", (long long)m.memory_budget,
                         "memory_peak", (long long)m.memory_peak, "spill_count",
                         (long long)m.spill_count, "spill_bytes", (long long)m.spill_bytes,
                         "task_attempts", (long long)m.task_attempts, "failed_attempts",
                         (long long)m.failed_attempts, "tracked_peak", (long long)m.tracked_peak);
}

static PyMethodDef context_methods[] = {
    {"stop", context_stop, METH_NOARGS, "Frees the context and everything it holds."},
    {"cores", context_cores, METH_NOARGS, "Task slots."},
    {"default_parallelism", context_default_parallelism, METH_NOARGS, NULL},
    {"conf", context_conf, METH_VARARGS, "The effective value of a key, or None."},
    {"parallelize", context_parallelize, METH_VARARGS, "parallelize(list, slices=0)"},
    {"range", context_range, METH_VARARGS, "range(start, end, step, slices=0)"},
    {"text_file", context_text_file, METH_VARARGS, "text_file(path, min_partitions=0)"},
    {"whole_text_files", context_whole_text_files, METH_VARARGS, NULL},
    {"broadcast", context_broadcast, METH_O, "A broadcast of the value; returns its id."},
    {"broadcast_destroy", context_broadcast_destroy, METH_VARARGS, NULL},
    {"accumulator", context_accumulator, METH_VARARGS, "accumulator(name, is_float) -> id"},
    {"accumulator_value", context_accumulator_value, METH_VARARGS, NULL},
    {"set_checkpoint_dir", context_set_checkpoint_dir, METH_VARARGS, NULL},
    {"cancel_jobs", context_cancel_jobs, METH_NOARGS, "Cancels the running jobs."},
    {"metrics", context_metrics, METH_NOARGS, "What the jobs have done so far."},
    {"set_local_property", context_set_local_property, METH_VARARGS,
     "set_local_property(key, value or None): this thread's property for its jobs."},
    {"get_local_property", context_get_local_property, METH_VARARGS,
     "This thread's value of a local property, or None."},
    {"cancel_job_group", context_cancel_job_group, METH_VARARGS,
     "Cancels the running jobs of a job group."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PykContext_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.Context",
    .tp_basicsize = sizeof(PykContext),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A kiln context (use kiln.SparkContext).",
    .tp_new = PyType_GenericNew,
    .tp_init = context_init,
    .tp_dealloc = context_dealloc,
    .tp_methods = context_methods,
};

int pyk_context_add_type(PyObject *m)
{
    if (PyType_Ready(&PykContext_Type) < 0) return -1;
    Py_INCREF(&PykContext_Type);
    return PyModule_AddObject(m, "Context", (PyObject *)&PykContext_Type);
}
