/*
 * python/src/py_values.c - Python objects to kiln values and back
 * (py_kiln.h). Strings are UTF-8 both ways; bytes that are not UTF-8
 * (a text file's odd line) come back with surrogate escapes, so writing
 * them out gives the same bytes. Other objects travel pickled.
 */
#include <string.h>

#include "py_kiln.h"

static PyObject *g_dumps, *g_loads, *g_ndarray, *g_np_float64;

/* cloudpickle.dumps and pickle.loads, imported on first use. */
static int pickle_funcs(void)
{
    if (g_dumps) return 0;
    PyObject *cp = PyImport_ImportModule("cloudpickle");
    if (!cp) return -1;
    g_dumps = PyObject_GetAttrString(cp, "dumps");
    Py_DECREF(cp);
    PyObject *p = g_dumps ? PyImport_ImportModule("pickle") : NULL;
    if (!p) return -1;
    g_loads = PyObject_GetAttrString(p, "loads");
    Py_DECREF(p);
    return g_loads ? 0 : -1;
}

/* numpy.ndarray when numpy has been imported by someone (never imported
 * here: a program without numpy never pays for it). */
static PyObject *ndarray_type(void)
{
    if (g_ndarray) return g_ndarray;
    PyObject *mods = PyImport_GetModuleDict();
    PyObject *np = PyDict_GetItemString(mods, "numpy");
    if (!np) return NULL;
    g_ndarray = PyObject_GetAttrString(np, "ndarray");
    g_np_float64 = PyObject_GetAttrString(np, "float64");
    if (!g_ndarray || !g_np_float64) PyErr_Clear();
    return g_ndarray;
}

static int pickled(PyObject *o, kiln_arena *a, kiln_value *out)
{
    if (pickle_funcs()) return -1;
    PyObject *b = PyObject_CallOneArg(g_dumps, o);
    if (!b) return -1;
    Py_ssize_t n = PyBytes_GET_SIZE(b);
    uint8_t *p = kiln_arena_alloc(a, (size_t)n + PYK_PICKLE_MAGIC_LEN);
    if (!p) {
        Py_DECREF(b);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(p, PYK_PICKLE_MAGIC, PYK_PICKLE_MAGIC_LEN);
    memcpy(p + PYK_PICKLE_MAGIC_LEN, PyBytes_AS_STRING(b), (size_t)n);
    Py_DECREF(b);
    *out = kiln_bytes_ref(p, (size_t)n + PYK_PICKLE_MAGIC_LEN);
    return 0;
}

static int items(PyObject *seq, kiln_arena *a, kiln_value *out, bool tuple, bool key, int depth);

static int convert(PyObject *o, kiln_arena *a, kiln_value *out, bool key, int depth)
{
    if (depth > KILN_VALUE_MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "value nests deeper than 64 levels");
        return -1;
    }
    PyTypeObject *t = Py_TYPE(o);
    if (t == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) {
            /* Lone surrogates: a string read from bytes that are not UTF-8. */
            PyErr_Clear();
            PyObject *b = PyUnicode_AsEncodedString(o, "utf-8", "surrogateescape");
            if (!b) return -1;
            *out = kiln_str_new(a, PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b));
            Py_DECREF(b);
        } else {
            *out = kiln_str_new(a, s, (size_t)n);
        }
        if (n > 0 && !out->u.s) return PyErr_NoMemory(), -1;
        return 0;
    }
    if (t == &PyLong_Type) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (!overflow) {
            if (v == -1 && PyErr_Occurred()) return -1;
            *out = kiln_int(v);
            return 0;
        }
        if (key) goto not_a_key;
        return pickled(o, a, out);
    }
    if (t == &PyFloat_Type) {
        *out = kiln_double(PyFloat_AS_DOUBLE(o));
        return 0;
    }
    if (o == Py_None) {
        *out = kiln_null();
        return 0;
    }
    if (t == &PyBool_Type) {
        *out = kiln_bool(o == Py_True);
        return 0;
    }
    if (t == &PyTuple_Type) return items(o, a, out, true, key, depth);
    if (t == &PyList_Type) return items(o, a, out, false, key, depth);
    if (t == &PyBytes_Type) {
        Py_ssize_t n = PyBytes_GET_SIZE(o);
        *out = kiln_bytes_new(a, PyBytes_AS_STRING(o), (size_t)n);
        if (n > 0 && !out->u.bytes) return PyErr_NoMemory(), -1;
        return 0;
    }
    /* Subclasses: a Row (a tuple), an IntEnum, numpy scalars. */
    if (PyTuple_Check(o)) return items(o, a, out, true, key, depth);
    PyObject *nd = ndarray_type();
    if (nd && PyObject_TypeCheck(o, (PyTypeObject *)nd)) {
        Py_buffer view;
        if (PyObject_GetBuffer(o, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0) {
            bool f64 = view.ndim == 1 && view.itemsize == 8 && view.format &&
                       strcmp(view.format, "d") == 0;
            if (f64) *out = kiln_vec_new(a, view.buf, (size_t)view.shape[0]);
            PyBuffer_Release(&view);
            if (f64) return out->len && !out->u.vec ? (PyErr_NoMemory(), -1) : 0;
        } else {
            PyErr_Clear();
        }
    }
    if (g_np_float64 && PyObject_TypeCheck(o, (PyTypeObject *)g_np_float64)) {
        *out = kiln_double(PyFloat_AsDouble(o));
        return 0;
    }
    if (PyFloat_Check(o)) {
        *out = kiln_double(PyFloat_AsDouble(o));
        return 0;
    }
    if (PyLong_Check(o) && !PyBool_Check(o)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (!overflow && !(v == -1 && PyErr_Occurred())) {
            *out = kiln_int(v);
            return 0;
        }
        PyErr_Clear();
    }
    if (PyUnicode_Check(o)) {
        PyObject *s = PyObject_Str(o);
        if (!s) return -1;
        int rc = convert(s, a, out, key, depth);
        Py_DECREF(s);
        return rc;
    }
    if (key) goto not_a_key;
    return pickled(o, a, out);
not_a_key:
    PyErr_Format(PyExc_TypeError,
                 "a key of type %.200s cannot be hashed the same way in every process: keys "
                 "must be None, bool, int (64-bit), float, str, bytes, or tuples and lists of "
                 "them",
                 t->tp_name);
    return -1;
}

static int items(PyObject *seq, kiln_arena *a, kiln_value *out, bool tuple, bool key, int depth)
{
    Py_ssize_t n = tuple ? PyTuple_GET_SIZE(seq) : PyList_GET_SIZE(seq);
    kiln_value *vs = n ? kiln_arena_alloc(a, sizeof(kiln_value) * (size_t)n) : NULL;
    if (n && !vs) return PyErr_NoMemory(), -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* A list may change while we convert: re-check its size. */
        if (!tuple && i >= PyList_GET_SIZE(seq)) {
            n = i;
            break;
        }
        PyObject *it = tuple ? PyTuple_GET_ITEM(seq, i) : PyList_GET_ITEM(seq, i);
        bool k = key;
        if (convert(it, a, &vs[i], k, depth + 1)) return -1;
    }
    *out = tuple ? kiln_tuple_ref(vs, (size_t)n) : kiln_list_ref(vs, (size_t)n);
    return 0;
}

int pyk_to_value(PyObject *o, kiln_arena *a, kiln_value *out)
{
    return convert(o, a, out, false, 0);
}

int pyk_to_key_item(PyObject *o, kiln_arena *a, kiln_value *out)
{
    return convert(o, a, out, true, 1);
}

/* A pair's key must be hashable the same way everywhere: its value may be
 * anything. */
int pyk_to_key(PyObject *o, kiln_arena *a, kiln_value *out)
{
    if (PyTuple_Check(o) && PyTuple_GET_SIZE(o) == 2) {
        kiln_value *vs = kiln_arena_alloc(a, sizeof(kiln_value) * 2);
        if (!vs) return PyErr_NoMemory(), -1;
        if (convert(PyTuple_GET_ITEM(o, 0), a, &vs[0], true, 1)) return -1;
        if (convert(PyTuple_GET_ITEM(o, 1), a, &vs[1], false, 1)) return -1;
        *out = kiln_tuple_ref(vs, 2);
        return 0;
    }
    return convert(o, a, out, false, 0);
}

static PyObject *unpickle(const uint8_t *p, size_t n)
{
    if (pickle_funcs()) return NULL;
    PyObject *b = PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
    if (!b) return NULL;
    PyObject *o = PyObject_CallOneArg(g_loads, b);
    Py_DECREF(b);
    return o;
}

static PyObject *vector(const kiln_value *v)
{
    PyObject *np = PyImport_ImportModule("numpy");
    if (!np) {
        /* No numpy: a list of floats. */
        PyErr_Clear();
        PyObject *l = PyList_New(v->len);
        for (uint32_t i = 0; l && i < v->len; i++) {
            PyObject *f = PyFloat_FromDouble(v->u.vec[i]);
            if (!f) return Py_DECREF(l), NULL;
            PyList_SET_ITEM(l, i, f);
        }
        return l;
    }
    PyObject *b = PyBytes_FromStringAndSize((const char *)v->u.vec, (Py_ssize_t)v->len * 8);
    PyObject *arr = b ? PyObject_CallMethod(np, "frombuffer", "Os", b, "float64") : NULL;
    PyObject *copy = arr ? PyObject_CallMethod(arr, "copy", NULL) : NULL;
    Py_XDECREF(arr);
    Py_XDECREF(b);
    Py_DECREF(np);
    ndarray_type();
    return copy;
}

PyObject *pyk_from_value(const kiln_value *v)
{
    switch (v->type) {
    case KILN_NULL:
        Py_RETURN_NONE;
    case KILN_BOOL:
        return PyBool_FromLong(v->u.b);
    case KILN_INT:
        return PyLong_FromLongLong(v->u.i);
    case KILN_DOUBLE:
        return PyFloat_FromDouble(v->u.d);
    case KILN_STR:
        return PyUnicode_DecodeUTF8(v->u.s, v->len, "surrogateescape");
    case KILN_BYTES:
        if (v->len >= PYK_PICKLE_MAGIC_LEN &&
            memcmp(v->u.bytes, PYK_PICKLE_MAGIC, PYK_PICKLE_MAGIC_LEN) == 0)
            return unpickle(v->u.bytes + PYK_PICKLE_MAGIC_LEN, v->len - PYK_PICKLE_MAGIC_LEN);
        return PyBytes_FromStringAndSize((const char *)v->u.bytes, v->len);
    case KILN_TUPLE: {
        PyObject *t = PyTuple_New(v->len);
        for (uint32_t i = 0; t && i < v->len; i++) {
            PyObject *x = pyk_from_value(&v->u.items[i]);
            if (!x) return Py_DECREF(t), NULL;
            PyTuple_SET_ITEM(t, i, x);
        }
        return t;
    }
    case KILN_LIST:
        return pyk_from_list(v);
    case KILN_VEC:
        return vector(v);
    }
    PyErr_Format(PyExc_ValueError, "unknown kiln value type %d", v->type);
    return NULL;
}

PyObject *pyk_from_list(const kiln_value *v)
{
    PyObject *l = PyList_New(v->len);
    for (uint32_t i = 0; l && i < v->len; i++) {
        PyObject *x = pyk_from_value(&v->u.items[i]);
        if (!x) return Py_DECREF(l), NULL;
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}
