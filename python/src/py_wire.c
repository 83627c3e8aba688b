/*
 * python/src/py_wire.c - Python objects straight to kiln's value encoding
 * (docs/formats/value.md) and back, without kiln_values in between: what
 * a worker process (py_worker.c) reads and writes. The mapping of types is
 * py_values.c's; a value that is not None/bool/int/float/str/bytes/tuple/
 * list or a float64 vector goes through pyk_to_value (pickled).
 */
#include <string.h>

#include "py_kiln.h"
#include "py_wire_ref.h"

/* Room for n more bytes in b (kiln_buf_reserve only when it must grow). */
static inline int room(kiln_buf *b, size_t n)
{
    return b->cap - b->len >= n ? 0 : kiln_buf_reserve(b, n);
}

/* Writes v as a varint at b's end; room for 10 bytes must be there. */
static inline void varint_at(kiln_buf *b, uint64_t v)
{
    uint8_t *p = b->data + b->len;
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    b->len = (size_t)(p - b->data);
}

static int put_bytes(kiln_buf *b, uint8_t tag, const void *p, size_t n)
{
    if (room(b, 1 + 10 + n)) return -1;
    b->data[b->len++] = tag;
    varint_at(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* Through a kiln_value (pickled objects, vectors, subclasses). */
static int slow(PyObject *o, kiln_buf *b, bool key)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return PyErr_NoMemory(), -1;
    kiln_value v;
    int rc = key ? pyk_to_key_item(o, a, &v) : pyk_to_value(o, a, &v);
    if (!rc && kiln_value_encode(b, &v)) {
        PyErr_SetString(PyExc_ValueError, "a value nests deeper than kiln can encode");
        rc = -1;
    }
    kiln_arena_free(a);
    return rc;
}

static int encode(PyObject *o, kiln_buf *b, int key, int depth)
{
    PyTypeObject *t = Py_TYPE(o);
    if (depth > KILN_VALUE_MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "value nests deeper than 64 levels");
        return -1;
    }
    if (t == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *s;
        if (PyUnicode_IS_COMPACT_ASCII(o)) {
            /* ASCII: the characters are the UTF-8 bytes. */
            n = PyUnicode_GET_LENGTH(o);
            s = (const char *)PyUnicode_DATA(o);
        } else {
            s = PyUnicode_AsUTF8AndSize(o, &n);
        }
        if (!s) {
            PyErr_Clear();
            return slow(o, b, false);
        }
        return put_bytes(b, KILN_STR, s, (size_t)n) ? (PyErr_NoMemory(), -1) : 0;
    }
    if (t == &PyLong_Type) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) return slow(o, b, key);
        if (room(b, 11)) return PyErr_NoMemory(), -1;
        b->data[b->len++] = KILN_INT;
        varint_at(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
        return 0;
    }
    if (t == &PyFloat_Type) {
        if (room(b, 9)) return PyErr_NoMemory(), -1;
        double d = PyFloat_AS_DOUBLE(o);
        b->data[b->len] = KILN_DOUBLE;
        memcpy(b->data + b->len + 1, &d, 8);
        b->len += 9;
        return 0;
    }
    if (o == Py_None || t == &PyBool_Type) {
        if (room(b, 1)) return PyErr_NoMemory(), -1;
        b->data[b->len++] = o == Py_None ? 0x00 : o == Py_True ? 0x11 : 0x01;
        return 0;
    }
    if (t == &PyTuple_Type || t == &PyList_Type) {
        bool tuple = t == &PyTuple_Type;
        Py_ssize_t n = tuple ? PyTuple_GET_SIZE(o) : PyList_GET_SIZE(o);
        if (room(b, 11)) return PyErr_NoMemory(), -1;
        b->data[b->len++] = tuple ? KILN_TUPLE : KILN_LIST;
        varint_at(b, (uint64_t)n);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *it = tuple ? PyTuple_GET_ITEM(o, i) : PyList_GET_ITEM(o, i);
            /* key 2: a pair's key, 1: inside a key. */
            int k = key == 1 || (key == 2 && tuple && n == 2 && i == 0 && depth == 0);
            if (encode(it, b, k, depth + 1)) return -1;
        }
        return 0;
    }
    if (t == &PyBytes_Type)
        return put_bytes(b, KILN_BYTES, PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o))
                   ? (PyErr_NoMemory(), -1)
                   : 0;
    return slow(o, b, key == 1);
}

int pyk_encode(PyObject *o, kiln_buf *b, bool keyed)
{
    return encode(o, b, keyed ? 2 : 0, 0);
}

int pyk_encode_key(PyObject *o, kiln_buf *b)
{
    return encode(o, b, 1, 1);
}

/* ---- Decoding ---------------------------------------------------------------- */

static PyObject *corrupt(void)
{
    PyErr_SetString(PyExc_ValueError, "damaged value on the worker's pipe");
    return NULL;
}

static PyObject *decode(const uint8_t **p, const uint8_t *end, int depth)
{
    if (*p >= end || depth > KILN_VALUE_MAX_DEPTH) return corrupt();
    uint8_t tag = *(*p)++;
    uint64_t n;
    switch (tag) {
    case 0x00:
        Py_RETURN_NONE;
    case 0x01:
        Py_RETURN_FALSE;
    case 0x11:
        Py_RETURN_TRUE;
    case KILN_INT:
        if (pyk_get_varint(p, end, &n)) return corrupt();
        return PyLong_FromLongLong((int64_t)(n >> 1) ^ -(int64_t)(n & 1));
    case KILN_DOUBLE: {
        if (end - *p < 8) return corrupt();
        double d;
        memcpy(&d, *p, 8);
        *p += 8;
        return PyFloat_FromDouble(d);
    }
    case KILN_STR:
    case KILN_BYTES: {
        if (pyk_get_varint(p, end, &n) || n > (uint64_t)(end - *p)) return corrupt();
        const uint8_t *s = *p;
        *p += n;
        if (tag == KILN_STR)
            return PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, "surrogateescape");
        kiln_value v = kiln_bytes_ref(s, (size_t)n);
        return pyk_from_value(&v); /* pickled objects */
    }
    case KILN_TUPLE:
    case KILN_LIST: {
        if (pyk_get_varint(p, end, &n) || n > (uint64_t)(end - *p)) return corrupt();
        PyObject *c = tag == KILN_TUPLE ? PyTuple_New((Py_ssize_t)n) : PyList_New((Py_ssize_t)n);
        for (uint64_t i = 0; c && i < n; i++) {
            PyObject *x = decode(p, end, depth + 1);
            if (!x) return Py_DECREF(c), NULL;
            if (tag == KILN_TUPLE) PyTuple_SET_ITEM(c, (Py_ssize_t)i, x);
            else PyList_SET_ITEM(c, (Py_ssize_t)i, x);
        }
        return c;
    }
    case KILN_VEC: {
        if (pyk_get_varint(p, end, &n) || n > (uint64_t)(end - *p) / 8) return corrupt();
        kiln_arena *a = kiln_arena_new();
        if (!a) return PyErr_NoMemory();
        kiln_value v = kiln_vec_new(a, (const double *)*p, (size_t)n);
        *p += n * 8;
        PyObject *r = pyk_from_value(&v);
        kiln_arena_free(a);
        return r;
    }
    }
    return corrupt();
}

PyObject *pyk_decode(const uint8_t **p, const uint8_t *end)
{
    return decode(p, end, 0);
}
