/*
 * python/src/module.c - the extension module _kiln: its types (Context,
 * RDD), making envs of pickled functions, broadcast values and
 * accumulators inside tasks, executor start-up, and how kiln's errors
 * become Python exceptions.
 */
#include "py_kiln.h"

PyObject *pyk_error_type;
static PyObject *g_error_handler; /* kiln.errors._from_kiln(code, message) */

PyObject *pyk_raise_kiln(int rc)
{
    if (PyErr_Occurred()) return NULL;
    const char *msg = kiln_last_error();
    if (!msg[0]) msg = kiln_strerror(rc);
    if (g_error_handler) {
        PyObject *exc = PyObject_CallFunction(g_error_handler, "is", rc, msg);
        if (exc) {
            PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
            Py_DECREF(exc);
        }
        return NULL;
    }
    PyErr_SetString(pyk_error_type, msg);
    return NULL;
}

static PyObject *mod_env(PyObject *m, PyObject *args)
{
    PyObject *pickled;
    int flags = 0;
    if (!PyArg_ParseTuple(args, "O!|i", &PyBytes_Type, &pickled, &flags)) return NULL;
    return pyk_env_new(pickled, flags);
}

static PyObject *mod_set_error_handler(PyObject *m, PyObject *args)
{
    PyObject *fn, *type;
    if (!PyArg_ParseTuple(args, "OO", &fn, &type)) return NULL;
    Py_XSETREF(g_error_handler, Py_NewRef(fn));
    Py_XSETREF(pyk_error_type, Py_NewRef(type));
    Py_RETURN_NONE;
}

static kiln_task *task_or_raise(const char *what)
{
    kiln_task *t = pyk_current_task();
    if (!t)
        PyErr_Format(PyExc_RuntimeError, "%s can only be used inside a function running in a task",
                     what);
    return t;
}

static PyObject *mod_broadcast_value(PyObject *m, PyObject *args)
{
    long long id;
    int check_only = 0; /* only whether the broadcast is live: None or an error */
    if (!PyArg_ParseTuple(args, "L|p", &id, &check_only)) return NULL;
    if (pyk_in_worker()) return pyk_worker_broadcast(id, check_only);
    kiln_task *t = task_or_raise("Broadcast.value");
    if (!t) return NULL;
    const kiln_value *v = kiln_broadcast_value(t, id);
    if (!v) return PyErr_Format(pyk_error_type, "%s", kiln_last_error());
    if (check_only) Py_RETURN_NONE;
    return pyk_from_value(v);
}

static PyObject *mod_accumulator_add(PyObject *m, PyObject *args)
{
    long long id;
    PyObject *delta;
    if (!PyArg_ParseTuple(args, "LO", &id, &delta)) return NULL;
    if (pyk_in_worker()) {
        if (!PyLong_Check(delta) && !PyFloat_Check(delta))
            return PyErr_Format(PyExc_TypeError, "an accumulator adds ints or floats, not %s",
                                Py_TYPE(delta)->tp_name);
        if (pyk_worker_accumulate(id, delta)) return NULL;
        Py_RETURN_NONE;
    }
    kiln_task *t = task_or_raise("Accumulator.add");
    if (!t) return NULL;
    kiln_value d;
    if (PyFloat_Check(delta)) d = kiln_double(PyFloat_AsDouble(delta));
    else if (PyLong_Check(delta)) d = kiln_int(PyLong_AsLongLong(delta));
    else
        return PyErr_Format(PyExc_TypeError, "an accumulator adds ints or floats, not %s",
                            Py_TYPE(delta)->tp_name);
    if (PyErr_Occurred()) return NULL;
    int rc = kiln_accumulator_add(t, id, d);
    if (rc) return PyErr_Format(pyk_error_type, "%s", kiln_last_error());
    Py_RETURN_NONE;
}

static PyObject *mod_in_task(PyObject *m, PyObject *u)
{
    int info[3];
    return PyBool_FromLong(pyk_current_task() != NULL || pyk_worker_task_info(info));
}

/* The task's partition and attempt (TaskContext), or None outside one. */
static PyObject *mod_task_info(PyObject *m, PyObject *u)
{
    kiln_task *t = pyk_current_task();
    int info[3];
    if (!t && pyk_worker_task_info(info)) return Py_BuildValue("(iii)", info[0], info[1], info[2]);
    if (!t) Py_RETURN_NONE;
    return Py_BuildValue("(iii)", kiln_task_stage(t), kiln_task_partition(t), kiln_task_attempt(t));
}

/* In a process started as an executor, serves tasks and never returns;
 * otherwise returns None. The GIL is released: task threads take it. */
static PyObject *mod_executor_main(PyObject *m, PyObject *u)
{
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = kiln_init(NULL, NULL);
    Py_END_ALLOW_THREADS if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *mod_set_executor_command(PyObject *m, PyObject *args)
{
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (n > 16) return PyErr_Format(PyExc_ValueError, "at most 16 words");
    const char *argv[17] = {0};
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(argv[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i)))) return NULL;
    int rc = kiln_set_executor_command(argv);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

/* set_executor_files(paths): the files the executor command needs on a
 * standalone cluster's workers (kiln_set_executor_files). */
static PyObject *mod_set_executor_files(PyObject *m, PyObject *args)
{
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (n > 128) return PyErr_Format(PyExc_ValueError, "at most 128 files");
    const char *paths[129] = {0};
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(paths[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i)))) return NULL;
    int rc = kiln_set_executor_files(paths);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

/* set_workers(on, argv): Python pipelines of this process's task threads
 * run in worker processes started with argv (py_worker.c). */
static PyObject *mod_set_workers(PyObject *m, PyObject *args)
{
    int on;
    PyObject *list;
    if (!PyArg_ParseTuple(args, "pO!", &on, &PyList_Type, &list)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (n < 1 || n > 16) return PyErr_Format(PyExc_ValueError, "expected 1 to 16 words");
    char *argv[17] = {0};
    for (Py_ssize_t i = 0; i < n; i++)
        if (!(argv[i] = (char *)PyUnicode_AsUTF8(PyList_GET_ITEM(list, i)))) return NULL;
    if (pyk_workers_set(on, argv)) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* worker_main(in_fd, out_fd): a worker process serves pipelines until
 * its input ends. */
static PyObject *mod_worker_main(PyObject *m, PyObject *args)
{
    int in, out;
    if (!PyArg_ParseTuple(args, "ii", &in, &out)) return NULL;
    if (pyk_worker_main(in, out)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *mod_set_env_version(PyObject *m, PyObject *args)
{
    int major, minor;
    if (!PyArg_ParseTuple(args, "ii", &major, &minor)) return NULL;
    pyk_env_set_version(major, minor);
    Py_RETURN_NONE;
}

static PyObject *mod_set_log_level(PyObject *m, PyObject *args)
{
    const char *level;
    if (!PyArg_ParseTuple(args, "s", &level)) return NULL;
    int rc = kiln_set_log_level(level);
    if (rc) return PyErr_Format(PyExc_ValueError, "%s", kiln_last_error());
    Py_RETURN_NONE;
}

static PyObject *mod_version(PyObject *m, PyObject *u)
{
    return PyUnicode_FromString(kiln_version());
}

/* Round trip through kiln's values (tests of the conversion). */
static PyObject *mod_roundtrip(PyObject *m, PyObject *o)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return PyErr_NoMemory();
    kiln_value v;
    PyObject *r = pyk_to_value(o, a, &v) == 0 ? pyk_from_value(&v) : NULL;
    kiln_arena_free(a);
    return r;
}

/* o through pyk_encode, then back both ways: (kiln's decoder +
 * pyk_from_value, pyk_decode) (tests of py_wire.c). */
static PyObject *mod_wire_roundtrip(PyObject *m, PyObject *o)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_arena *a = kiln_arena_new();
    PyObject *r = NULL;
    if (a && pyk_encode(o, &b, false) == 0) {
        kiln_value v;
        size_t used;
        int rc = kiln_value_decode(a, b.data, b.len, &v, &used);
        const uint8_t *p = b.data;
        PyObject *x = rc == 0 && used == b.len ? pyk_from_value(&v) : NULL;
        PyObject *y = x ? pyk_decode(&p, b.data + b.len) : NULL;
        if (y && p != b.data + b.len) Py_CLEAR(y);
        if (x && y) r = PyTuple_Pack(2, x, y);
        else if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "wire round trip failed");
        Py_XDECREF(x);
        Py_XDECREF(y);
    }
    kiln_buf_release(&b);
    kiln_arena_free(a);
    return r;
}

static PyMethodDef module_methods[] = {
    {"wire_roundtrip", mod_wire_roundtrip, METH_O, NULL},
    {"env", mod_env, METH_VARARGS, "env(pickled, flags=0): the env of a pickled function."},
    {"set_error_handler", mod_set_error_handler, METH_VARARGS, NULL},
    {"broadcast_value", mod_broadcast_value, METH_VARARGS, NULL},
    {"accumulator_add", mod_accumulator_add, METH_VARARGS, NULL},
    {"in_task", mod_in_task, METH_NOARGS, NULL},
    {"task_info", mod_task_info, METH_NOARGS, NULL},
    {"executor_main", mod_executor_main, METH_NOARGS, NULL},
    {"set_executor_command", mod_set_executor_command, METH_VARARGS, NULL},
    {"set_executor_files", mod_set_executor_files, METH_VARARGS, NULL},
    {"set_workers", mod_set_workers, METH_VARARGS, NULL},
    {"worker_main", mod_worker_main, METH_VARARGS, NULL},
    {"set_env_version", mod_set_env_version, METH_VARARGS, NULL},
    {"set_log_level", mod_set_log_level, METH_VARARGS, NULL},
    {"version", mod_version, METH_NOARGS, NULL},
    {"roundtrip", mod_roundtrip, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_kiln", "kiln's engine, for the kiln package.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__kiln(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    pyk_error_type = Py_NewRef(PyExc_RuntimeError);
    if (pyk_functions_init(m) || pyk_context_add_type(m) || pyk_rdd_add_type(m) ||
        pyk_sql_add_types(m) || pyk_ml_init(m) || pyk_progress_init(m) ||
        PyModule_AddIntConstant(m, "ENV_KEYED", PYK_ENV_KEYED) ||
        PyModule_AddIntConstant(m, "ENV_COMBINE_ADD", PYK_ENV_COMBINE_ADD)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
