/*
 * python/src/py_sql_df.c - _kiln.DataFrame: a handle on a kiln_df with the
 * C API's transformations, grouping, actions and writing, and the
 * columnar transfer of toPandas / createDataFrame(pandas)
 * (kiln_df_collect_columns, kiln_session_create_data_frame_columns):
 * fixed-width columns travel as buffers numpy reads in place (_kiln.Buffer),
 * strings as lists made here. Actions release the GIL and can be
 * interrupted with Ctrl-C.
 */
#include <string.h>

#include "py_sql.h"

PyObject *pyk_df_wrap(PykSession *sess, kiln_df *df)
{
    if (!df) return pyk_raise_sql();
    PykDF *o = PyObject_New(PykDF, &PykDF_Type);
    if (!o) {
        kiln_df_free(df);
        return NULL;
    }
    o->df = df;
    o->sess = (PykSession *)Py_NewRef(sess);
    return (PyObject *)o;
}

static void df_dealloc(PyObject *self)
{
    PykDF *o = (PykDF *)self;
    /* A stopped session freed its DataFrames. */
    if (o->df && o->sess->s && o->sess->ctx->ctx) kiln_df_free(o->df);
    Py_XDECREF(o->sess);
    PyObject_Free(self);
}

#define SESS(self) (((PykDF *)(self))->sess)
#define WRAP(self, d) pyk_df_wrap(SESS(self), (d))

static kiln_df *live(PyObject *self)
{
    return pyk_sess_live(SESS(self)) ? ((PykDF *)self)->df : NULL;
}

static kiln_df *other_df(PyObject *self, PyObject *o)
{
    if (!PyObject_TypeCheck(o, &PykDF_Type)) {
        PyErr_Format(PyExc_TypeError, "expected a DataFrame, not %s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    if (SESS(o) != SESS(self)) {
        PyErr_SetString(PyExc_ValueError, "the DataFrames belong to different sessions");
        return NULL;
    }
    return ((PykDF *)o)->df;
}

/* ---- Schema ------------------------------------------------------------------------- */

/* columns(): [(name, type), ...]. */
static PyObject *df_columns(PyObject *self, PyObject *u)
{
    kiln_df *df = live(self);
    if (!df) return NULL;
    int n = kiln_df_num_columns(df);
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        const char *t = kiln_df_column_type(df, i);
        PyObject *it = t ? Py_BuildValue("(ss)", kiln_df_column_name(df, i), t) : NULL;
        if (!it) {
            Py_DECREF(l);
            return t ? NULL : pyk_raise_kiln(KILN_ENOMEM);
        }
        PyList_SET_ITEM(l, i, it);
    }
    return l;
}

static PyObject *take_text(char *s)
{
    if (!s) return pyk_raise_sql();
    PyObject *r = PyUnicode_FromString(s);
    free(s);
    return r;
}

static PyObject *df_schema_string(PyObject *self, PyObject *u)
{
    kiln_df *df = live(self);
    return df ? take_text(kiln_df_schema_string(df)) : NULL;
}

static PyObject *df_explain(PyObject *self, PyObject *u)
{
    kiln_df *df = live(self);
    return df ? take_text(kiln_df_explain_string(df)) : NULL;
}

/* ---- Transformations ------------------------------------------------------------ */

typedef kiln_df *(*cols_op)(kiln_df *, kiln_col *const *, int);
typedef kiln_df *(*names_op)(kiln_df *, const char *const *, int);

static PyObject *with_cols(PyObject *self, PyObject *seq, cols_op op)
{
    kiln_df *df = live(self);
    kiln_col **cols;
    int n;
    if (!df || pyk_cols_of(seq, &cols, &n)) return NULL;
    PyObject *r = WRAP(self, op(df, cols, n));
    PyMem_Free(cols);
    return r;
}

static PyObject *with_names(PyObject *self, PyObject *seq, names_op op)
{
    kiln_df *df = live(self);
    const char **names;
    int n;
    if (!df || pyk_names_of(seq, &names, &n)) return NULL;
    PyObject *r = WRAP(self, op(df, names, n));
    PyMem_Free(names);
    return r;
}

#define COLS_OP(name, op)                                                                          \
    static PyObject *df_##name(PyObject *self, PyObject *seq)                                      \
    {                                                                                              \
        return with_cols(self, seq, op);                                                           \
    }
#define NAMES_OP(name, op)                                                                         \
    static PyObject *df_##name(PyObject *self, PyObject *seq)                                      \
    {                                                                                              \
        return with_names(self, seq, op);                                                          \
    }
COLS_OP(select, kiln_df_select)
COLS_OP(order_by, kiln_df_order_by)
NAMES_OP(select_expr, kiln_df_select_expr)
NAMES_OP(drop, kiln_df_drop)
NAMES_OP(to_df, kiln_df_to_df)
NAMES_OP(drop_duplicates, kiln_df_drop_duplicates)

static PyObject *df_filter(PyObject *self, PyObject *o)
{
    kiln_df *df = live(self);
    kiln_col *c;
    if (!df || !(c = pyk_col_of(o))) return NULL;
    return WRAP(self, kiln_df_filter(df, c));
}

typedef kiln_df *(*str_op)(kiln_df *, const char *);
static PyObject *with_str(PyObject *self, PyObject *args, str_op op)
{
    const char *s;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "s", &s)) return NULL;
    return WRAP(self, op(df, s));
}
static PyObject *df_where(PyObject *self, PyObject *args)
{
    return with_str(self, args, kiln_df_where);
}
static PyObject *df_alias(PyObject *self, PyObject *args)
{
    return with_str(self, args, kiln_df_alias);
}

static PyObject *df_with_column(PyObject *self, PyObject *args)
{
    const char *name;
    PyObject *o;
    kiln_df *df = live(self);
    kiln_col *c;
    if (!df || !PyArg_ParseTuple(args, "sO", &name, &o) || !(c = pyk_col_of(o))) return NULL;
    return WRAP(self, kiln_df_with_column(df, name, c));
}

static PyObject *df_with_columns(PyObject *self, PyObject *args)
{
    PyObject *ns, *cs;
    kiln_df *df = live(self);
    const char **names = NULL;
    kiln_col **cols = NULL;
    int n, m;
    if (!df || !PyArg_ParseTuple(args, "OO", &ns, &cs) || pyk_names_of(ns, &names, &n) ||
        pyk_cols_of(cs, &cols, &m)) {
        PyMem_Free(names);
        return NULL;
    }
    PyObject *r = n == m ? WRAP(self, kiln_df_with_columns(df, names, cols, n))
                         : PyErr_Format(PyExc_ValueError, "as many names as columns");
    PyMem_Free(names);
    PyMem_Free(cols);
    return r;
}

static PyObject *df_with_column_renamed(PyObject *self, PyObject *args)
{
    const char *a, *b;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "ss", &a, &b)) return NULL;
    return WRAP(self, kiln_df_with_column_renamed(df, a, b));
}

static PyObject *df_limit(PyObject *self, PyObject *args)
{
    long long n;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "L", &n)) return NULL;
    return WRAP(self, kiln_df_limit(df, n));
}

static PyObject *df_distinct(PyObject *self, PyObject *u)
{
    kiln_df *df = live(self);
    return df ? WRAP(self, kiln_df_distinct(df)) : NULL;
}

static PyObject *df_union(PyObject *self, PyObject *args)
{
    PyObject *o;
    int by_name = 0;
    kiln_df *df = live(self), *b;
    if (!df || !PyArg_ParseTuple(args, "O|p", &o, &by_name) || !(b = other_df(self, o)))
        return NULL;
    return WRAP(self, by_name ? kiln_df_union_by_name(df, b) : kiln_df_union(df, b));
}

/* join(other, on, how): on None (a cross join), a list of names or a
 * Column. */
static PyObject *df_join(PyObject *self, PyObject *args)
{
    PyObject *o, *on;
    const char *how;
    kiln_df *df = live(self), *b;
    if (!df || !PyArg_ParseTuple(args, "OOs", &o, &on, &how) || !(b = other_df(self, o)))
        return NULL;
    if (on == Py_None) return WRAP(self, kiln_df_join(df, b, NULL, 0, how));
    if (PyObject_TypeCheck(on, &PykCol_Type))
        return WRAP(self, kiln_df_join_on(df, b, pyk_col_of(on), how));
    const char **names;
    int n;
    if (pyk_names_of(on, &names, &n)) return NULL;
    PyObject *r = WRAP(self, kiln_df_join(df, b, names, n, how));
    PyMem_Free(names);
    return r;
}

/* group_agg(keys, op, aggs): op "agg" (aggs Columns), "count", or
 * "sum"/"avg"/"min"/"max" (aggs names). */
static PyObject *df_group_agg(PyObject *self, PyObject *args)
{
    PyObject *ks, *as;
    const char *op;
    kiln_df *df = live(self);
    kiln_col **keys;
    int nk;
    if (!df || !PyArg_ParseTuple(args, "OsO", &ks, &op, &as) || pyk_cols_of(ks, &keys, &nk))
        return NULL;
    kiln_grouped *g = kiln_df_group_by(df, keys, nk);
    PyMem_Free(keys);
    if (!g) return pyk_raise_sql();
    kiln_df *out = NULL;
    if (!strcmp(op, "agg")) {
        kiln_col **aggs;
        int na;
        if (pyk_cols_of(as, &aggs, &na)) {
            kiln_grouped_count(g); /* frees g */
            return NULL;
        }
        out = kiln_grouped_agg(g, aggs, na);
        PyMem_Free(aggs);
    } else if (!strcmp(op, "count")) {
        out = kiln_grouped_count(g);
    } else {
        const char **names;
        int nn;
        if (pyk_names_of(as, &names, &nn)) {
            kiln_grouped_count(g);
            return NULL;
        }
        out = !strcmp(op, "sum")   ? kiln_grouped_sum(g, names, nn)
              : !strcmp(op, "avg") ? kiln_grouped_avg(g, names, nn)
              : !strcmp(op, "min") ? kiln_grouped_min(g, names, nn)
                                   : kiln_grouped_max(g, names, nn);
        PyMem_Free(names);
    }
    return WRAP(self, out);
}

/* ---- Missing values ------------------------------------------------------------ */

/* na_fill(value, subset) or na_fill({col: value}). */
static PyObject *df_na_fill(PyObject *self, PyObject *args)
{
    PyObject *v, *subset = NULL;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "O|O", &v, &subset)) return NULL;
    kiln_arena *a = kiln_arena_new();
    if (!a) return PyErr_NoMemory();
    PyObject *r = NULL;
    if (PyDict_Check(v)) {
        Py_ssize_t n = PyDict_Size(v), pos = 0, i = 0;
        const char **cols = PyMem_Malloc(sizeof *cols * (size_t)(n + 1));
        kiln_value *vals = PyMem_Malloc(sizeof *vals * (size_t)(n + 1));
        PyObject *k, *x;
        bool ok = cols && vals;
        while (ok && PyDict_Next(v, &pos, &k, &x)) {
            ok = (cols[i] = PyUnicode_AsUTF8(k)) && pyk_to_value(x, a, &vals[i]) == 0;
            i++;
        }
        if (ok) r = WRAP(self, kiln_df_na_fill_map(df, cols, vals, (int)n));
        else if (!PyErr_Occurred()) PyErr_NoMemory();
        PyMem_Free(cols);
        PyMem_Free(vals);
    } else {
        kiln_value val;
        const char **names = NULL;
        int n = 0;
        if (pyk_to_value(v, a, &val) == 0 &&
            (!subset || subset == Py_None || pyk_names_of(subset, &names, &n) == 0))
            r = WRAP(self, kiln_df_na_fill(df, &val, names, n));
        PyMem_Free(names);
    }
    kiln_arena_free(a);
    return r;
}

/* na_drop(how, thresh, subset). */
static PyObject *df_na_drop(PyObject *self, PyObject *args)
{
    const char *how;
    int thresh;
    PyObject *subset;
    kiln_df *df = live(self);
    const char **names = NULL;
    int n = 0;
    if (!df || !PyArg_ParseTuple(args, "siO", &how, &thresh, &subset)) return NULL;
    if (subset != Py_None && pyk_names_of(subset, &names, &n)) return NULL;
    PyObject *r = WRAP(self, kiln_df_na_drop(df, how, thresh, names, n));
    PyMem_Free(names);
    return r;
}

/* na_replace([from], [to], subset). */
static PyObject *df_na_replace(PyObject *self, PyObject *args)
{
    PyObject *from, *to, *subset;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "O!O!O", &PyList_Type, &from, &PyList_Type, &to, &subset))
        return NULL;
    Py_ssize_t nv = PyList_GET_SIZE(from);
    if (PyList_GET_SIZE(to) != nv) return PyErr_Format(PyExc_ValueError, "lists of unequal length");
    kiln_arena *a = kiln_arena_new();
    kiln_value *f = a ? kiln_arena_alloc(a, sizeof *f * (size_t)(nv + 1)) : NULL;
    kiln_value *t = a ? kiln_arena_alloc(a, sizeof *t * (size_t)(nv + 1)) : NULL;
    const char **names = NULL;
    int n = 0;
    PyObject *r = NULL;
    if (!f || !t) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nv; i++)
        if (pyk_to_value(PyList_GET_ITEM(from, i), a, &f[i]) ||
            pyk_to_value(PyList_GET_ITEM(to, i), a, &t[i]))
            goto done;
    if (subset != Py_None && pyk_names_of(subset, &names, &n)) goto done;
    r = WRAP(self, kiln_df_na_replace(df, f, t, (int)nv, names, n));
done:
    PyMem_Free(names);
    kiln_arena_free(a);
    return r;
}

/* ---- Caching and views ------------------------------------------------------------- */

static PyObject *df_temp_view(PyObject *self, PyObject *args)
{
    const char *name;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "s", &name)) return NULL;
    int rc = kiln_df_create_or_replace_temp_view(df, name);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

/* persist(level): level a kiln_storage_level; 0 unpersists. */
static PyObject *df_persist(PyObject *self, PyObject *args)
{
    int level;
    kiln_df *df = live(self);
    if (!df || !PyArg_ParseTuple(args, "i", &level)) return NULL;
    kiln_df *r = level ? kiln_df_persist(df, (kiln_storage_level)level) : kiln_df_unpersist(df);
    if (!r) return pyk_raise_sql();
    Py_RETURN_NONE;
}

static PyObject *df_storage_level(PyObject *self, PyObject *u)
{
    kiln_df *df = live(self);
    return df ? PyLong_FromLong((long)kiln_df_storage_level(df)) : NULL;
}

/* ---- Actions ------------------------------------------------------------------------ */

enum {
    OP_COUNT,
    OP_COLLECT,
    OP_TAKE,
    OP_SHOW,
    OP_DESCRIBE,
    OP_SUMMARY,
    OP_WRITE,
    OP_COLUMNS,
    OP_RDD
};

typedef struct {
    int op;
    kiln_df *df;
    kiln_arena *a;
    kiln_value out;
    int64_t n;
    int truncate;
    const char *const *names;
    int nnames;
    char *text;
    kiln_df *made;
    kiln_writer *w;
    const char *path;
    kiln_columns *cols;
    kiln_rdd *rdd;
} df_call;

static int run_df(void *arg)
{
    df_call *c = arg;
    switch (c->op) {
    case OP_COUNT:
        return kiln_df_count(c->df, &c->n);
    case OP_COLLECT:
        return kiln_df_collect(c->df, c->a, &c->out);
    case OP_TAKE:
        return kiln_df_take(c->df, c->n, c->a, &c->out);
    case OP_SHOW:
        c->text = kiln_df_show_string(c->df, (int)c->n, c->truncate);
        return c->text ? KILN_OK : KILN_ESQL;
    case OP_DESCRIBE:
        c->made = kiln_df_describe(c->df, c->names, c->nnames);
        return c->made ? KILN_OK : KILN_ESQL;
    case OP_SUMMARY:
        c->made = kiln_df_summary(c->df, c->names, c->nnames);
        return c->made ? KILN_OK : KILN_ESQL;
    case OP_WRITE:
        return kiln_writer_save(c->w, c->path);
    case OP_COLUMNS:
        return kiln_df_collect_columns(c->df, &c->cols);
    case OP_RDD:
        c->rdd = kiln_df_to_rdd(c->df);
        return c->rdd ? KILN_OK : KILN_ESQL;
    }
    return kiln_set_error(KILN_EINVAL, "unknown call %d", c->op);
}

static PyObject *columns_result(kiln_columns *cols);

/* Runs c on self's DataFrame; the result as a Python object. */
static PyObject *blocking(PyObject *self, df_call *c)
{
    if (!(c->df = live(self))) return NULL;
    if (!(c->a = kiln_arena_new())) return PyErr_NoMemory();
    int rc = pyk_sql_blocking(SESS(self), run_df, c);
    PyObject *res = NULL;
    if (rc < 0 && PyErr_Occurred()) {
        /* interrupted: drop what was made */
    } else if (rc) {
        pyk_raise_kiln(rc);
    } else {
        switch (c->op) {
        case OP_COUNT:
            res = PyLong_FromLongLong(c->n);
            break;
        case OP_SHOW:
            res = PyUnicode_FromString(c->text);
            break;
        case OP_DESCRIBE:
        case OP_SUMMARY:
            res = WRAP(self, c->made);
            c->made = NULL;
            break;
        case OP_WRITE:
            res = Py_NewRef(Py_None);
            break;
        case OP_COLUMNS:
            res = columns_result(c->cols);
            c->cols = NULL;
            break;
        case OP_RDD:
            res = pyk_rdd_wrap(SESS(self)->ctx, c->rdd);
            c->rdd = NULL;
            break;
        default:
            res = pyk_from_list(&c->out);
        }
    }
    free(c->text);
    kiln_df_free(c->made);
    kiln_columns_free(c->cols);
    if (c->rdd) kiln_rdd_free(c->rdd);
    kiln_arena_free(c->a);
    return res;
}

static PyObject *df_count(PyObject *self, PyObject *u)
{
    df_call c = {.op = OP_COUNT};
    return blocking(self, &c);
}

static PyObject *df_collect(PyObject *self, PyObject *u)
{
    df_call c = {.op = OP_COLLECT};
    return blocking(self, &c);
}

static PyObject *df_take(PyObject *self, PyObject *args)
{
    df_call c = {.op = OP_TAKE};
    long long n;
    if (!PyArg_ParseTuple(args, "L", &n)) return NULL;
    c.n = n;
    return blocking(self, &c);
}

static PyObject *df_show_string(PyObject *self, PyObject *args)
{
    df_call c = {.op = OP_SHOW};
    int n, truncate;
    if (!PyArg_ParseTuple(args, "ii", &n, &truncate)) return NULL;
    c.n = n;
    c.truncate = truncate;
    return blocking(self, &c);
}

static PyObject *describe_like(PyObject *self, PyObject *seq, int op)
{
    df_call c = {.op = op};
    const char **names;
    if (pyk_names_of(seq, &names, &c.nnames)) return NULL;
    c.names = names;
    PyObject *r = blocking(self, &c);
    PyMem_Free(names);
    return r;
}
static PyObject *df_describe(PyObject *self, PyObject *seq)
{
    return describe_like(self, seq, OP_DESCRIBE);
}
static PyObject *df_summary(PyObject *self, PyObject *seq)
{
    return describe_like(self, seq, OP_SUMMARY);
}

/* write(format or None, mode, {option: value}, path[, partition columns]). */
static PyObject *df_write(PyObject *self, PyObject *args)
{
    const char *format, *mode;
    PyObject *opts, *by = NULL;
    df_call c = {.op = OP_WRITE};
    kiln_df *df = live(self);
    if (!df ||
        !PyArg_ParseTuple(args, "zsO!s|O", &format, &mode, &PyDict_Type, &opts, &c.path, &by))
        return NULL;
    c.w = kiln_writer_mode(kiln_df_write(df), mode);
    if (format) c.w = kiln_writer_format(c.w, format);
    if (by && by != Py_None) {
        const char **names;
        int n;
        if (pyk_names_of(by, &names, &n)) {
            kiln_writer_save(c.w, NULL); /* frees it */
            return NULL;
        }
        c.w = kiln_writer_partition_by(c.w, names, n);
        PyMem_Free(names);
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(opts, &pos, &k, &v)) {
        const char *ks = PyUnicode_AsUTF8(k), *vs = PyUnicode_AsUTF8(v);
        if (!ks || !vs) {
            kiln_writer_save(c.w, NULL); /* frees it */
            return NULL;
        }
        c.w = kiln_writer_option(c.w, ks, vs);
    }
    if (!c.w) return pyk_raise_sql();
    return blocking(self, &c);
}

static PyObject *df_to_rdd(PyObject *self, PyObject *u)
{
    df_call c = {.op = OP_RDD};
    return blocking(self, &c);
}

/* ---- Columnar transfer ------------------------------------------------------------- */

/* A read-only buffer into a kiln_columns, kept alive by its owner capsule
 * (numpy.frombuffer reads it in place). */
typedef struct {
    PyObject_HEAD void *p;
    Py_ssize_t len;
    PyObject *owner;
} PykBuffer;

static int buf_get(PyObject *self, Py_buffer *view, int flags)
{
    PykBuffer *b = (PykBuffer *)self;
    return PyBuffer_FillInfo(view, self, b->p, b->len, 1, flags);
}

static void buf_dealloc(PyObject *self)
{
    Py_XDECREF(((PykBuffer *)self)->owner);
    PyObject_Free(self);
}

static PyBufferProcs buf_procs = {buf_get, NULL};

static PyTypeObject PykBuffer_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.Buffer",
    .tp_basicsize = sizeof(PykBuffer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A read-only buffer of a collected column.",
    .tp_dealloc = buf_dealloc,
    .tp_as_buffer = &buf_procs,
};

static PyObject *buffer(PyObject *owner, void *p, Py_ssize_t len)
{
    if (!p) Py_RETURN_NONE;
    PykBuffer *b = PyObject_New(PykBuffer, &PykBuffer_Type);
    if (!b) return NULL;
    b->p = p;
    b->len = len;
    b->owner = Py_NewRef(owner);
    return (PyObject *)b;
}

static void columns_destructor(PyObject *cap)
{
    kiln_columns_free(PyCapsule_GetPointer(cap, "kiln_columns"));
}

/* The strings (bytes for binary) of c as a list, None for nulls. */
static PyObject *string_list(const kiln_column *c, int64_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (int64_t i = 0; l && i < n; i++) {
        PyObject *s;
        if (c->valid && !c->valid[i]) {
            s = Py_NewRef(Py_None);
        } else {
            const char *p = c->bytes + c->offsets[i];
            Py_ssize_t len = (Py_ssize_t)(c->offsets[i + 1] - c->offsets[i]);
            s = c->kind == KILN_COLUMN_STRING ? PyUnicode_DecodeUTF8(p, len, "surrogateescape")
                                              : PyBytes_FromStringAndSize(p, len);
        }
        if (!s) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, s);
    }
    return l;
}

static const Py_ssize_t kind_width[] = {0, 1, 1, 2, 4, 8, 4, 8, 4, 8, 0, 0, 0};

/* (nrows, [(name, type, kind, data, valid, values), ...]): data a Buffer of
 * a fixed-width kind, values a list (strings, binary, other types). Takes
 * cols. */
static PyObject *columns_result(kiln_columns *cols)
{
    PyObject *owner = PyCapsule_New(cols, "kiln_columns", columns_destructor);
    if (!owner) {
        kiln_columns_free(cols);
        return NULL;
    }
    int64_t n = cols->nrows;
    PyObject *l = PyList_New(cols->ncols);
    for (int i = 0; l && i < cols->ncols; i++) {
        const kiln_column *c = &cols->cols[i];
        PyObject *data = NULL, *valid = NULL, *values = NULL;
        int kind = c->kind;
        data = buffer(owner, c->data, kind_width[kind] * (Py_ssize_t)n);
        valid = buffer(owner, c->valid, (Py_ssize_t)n);
        if (kind == KILN_COLUMN_STRING || kind == KILN_COLUMN_BINARY) {
            values = string_list(c, n);
        } else if (kind == KILN_COLUMN_VALUES) {
            values = PyList_New((Py_ssize_t)n);
            for (int64_t r = 0; values && r < n; r++) {
                PyObject *v = pyk_from_value(&c->values[r]);
                if (!v) Py_CLEAR(values);
                else PyList_SET_ITEM(values, (Py_ssize_t)r, v);
            }
        } else {
            values = Py_NewRef(Py_None);
        }
        PyObject *t = data && valid && values
                          ? Py_BuildValue("(ssiOOO)", c->name, c->type, kind, data, valid, values)
                          : NULL;
        Py_XDECREF(data);
        Py_XDECREF(valid);
        Py_XDECREF(values);
        if (!t) Py_CLEAR(l);
        else PyList_SET_ITEM(l, i, t);
    }
    PyObject *r = l ? Py_BuildValue("(LO)", (long long)n, l) : NULL;
    Py_XDECREF(l);
    Py_DECREF(owner);
    return r;
}

static PyObject *df_collect_columns(PyObject *self, PyObject *u)
{
    df_call c = {.op = OP_COLUMNS};
    return blocking(self, &c);
}

/* create_from_columns(session, nrows, [(name, type, kind, data, valid)]):
 * data a buffer of nrows fixed-width values, or for strings and binary a
 * sequence of str / bytes / None; valid a buffer of nrows bytes or None. */
static PyObject *mod_create_from_columns(PyObject *m, PyObject *args)
{
    PyObject *sess, *specs;
    long long nrows;
    if (!PyArg_ParseTuple(args, "O!LO!", &PykSession_Type, &sess, &nrows, &PyList_Type, &specs))
        return NULL;
    kiln_session *s = pyk_sess_live((PykSession *)sess);
    if (!s) return NULL;
    Py_ssize_t nc = PyList_GET_SIZE(specs);
    kiln_column *cols = PyMem_Calloc((size_t)nc + 1, sizeof *cols);
    Py_buffer *views = PyMem_Calloc((size_t)(2 * nc + 1), sizeof *views);
    kiln_arena *a = kiln_arena_new();
    PyObject *r = NULL;
    if (!cols || !views || !a) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nc; i++) {
        kiln_column *c = &cols[i];
        PyObject *data, *valid;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(specs, i), "ssiOO", &c->name, &c->type, &c->kind,
                              &data, &valid))
            goto done;
        if (c->kind == KILN_COLUMN_STRING || c->kind == KILN_COLUMN_BINARY) {
            PyObject *f = PySequence_Fast(data, "strings: expected a sequence");
            if (!f) goto done;
            if (PySequence_Fast_GET_SIZE(f) != nrows) {
                Py_DECREF(f);
                PyErr_Format(PyExc_ValueError, "column %s: wrong length", c->name);
                goto done;
            }
            PyObject **items = PySequence_Fast_ITEMS(f);
            c->offsets = kiln_arena_alloc(a, sizeof(int64_t) * (size_t)(nrows + 1));
            const char **ps = kiln_arena_alloc(a, sizeof *ps * (size_t)(nrows + 1));
            c->valid = kiln_arena_alloc(a, (size_t)nrows + 1);
            int64_t total = 0;
            bool ok = c->offsets && ps && c->valid;
            for (long long k = 0; ok && k < nrows; k++) {
                PyObject *o = items[k];
                Py_ssize_t len = 0;
                c->valid[k] = o != Py_None;
                ps[k] = NULL;
                if (o == Py_None) {
                } else if (PyUnicode_Check(o)) {
                    ok = (ps[k] = PyUnicode_AsUTF8AndSize(o, &len)) != NULL;
                } else if (PyBytes_Check(o)) {
                    ps[k] = PyBytes_AS_STRING(o);
                    len = PyBytes_GET_SIZE(o);
                } else {
                    PyErr_Format(PyExc_TypeError, "column %s: a %s among strings", c->name,
                                 Py_TYPE(o)->tp_name);
                    ok = false;
                }
                c->offsets[k] = total; /* where row k starts */
                total += len;
            }
            if (ok) {
                c->offsets[nrows] = total;
                ok = (c->bytes = kiln_arena_alloc(a, (size_t)total + 1)) != NULL;
            }
            for (long long k = 0; ok && k < nrows; k++)
                if (ps[k])
                    memcpy(c->bytes + c->offsets[k], ps[k],
                           (size_t)(c->offsets[k + 1] - c->offsets[k]));
            Py_DECREF(f); /* the items' UTF-8 stays cached in them: copied above */
            if (!ok) {
                if (!PyErr_Occurred()) PyErr_NoMemory();
                goto done;
            }
            continue;
        }
        if (c->kind <= 0 || c->kind >= KILN_COLUMN_STRING) {
            PyErr_Format(PyExc_ValueError, "column %s: kind %d not taken", c->name, c->kind);
            goto done;
        }
        if (PyObject_GetBuffer(data, &views[2 * i], PyBUF_C_CONTIGUOUS)) goto done;
        if (views[2 * i].len != kind_width[c->kind] * nrows) {
            PyErr_Format(PyExc_ValueError, "column %s: %zd bytes for %lld rows", c->name,
                         views[2 * i].len, nrows);
            goto done;
        }
        c->data = views[2 * i].buf;
        if (valid != Py_None) {
            if (PyObject_GetBuffer(valid, &views[2 * i + 1], PyBUF_C_CONTIGUOUS)) goto done;
            if (views[2 * i + 1].len != nrows) {
                PyErr_Format(PyExc_ValueError, "column %s: a validity of the wrong size", c->name);
                goto done;
            }
            c->valid = views[2 * i + 1].buf;
        }
    }
    kiln_df *df;
    Py_BEGIN_ALLOW_THREADS df = kiln_session_create_data_frame_columns(s, cols, (int)nc, nrows);
    Py_END_ALLOW_THREADS r = pyk_df_wrap((PykSession *)sess, df);
done:
    for (Py_ssize_t i = 0; views && i < 2 * nc; i++)
        if (views[i].obj) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    PyMem_Free(cols);
    kiln_arena_free(a);
    return r;
}

static PyMethodDef df_methods[] = {
    {"columns", df_columns, METH_NOARGS, NULL},
    {"schema_string", df_schema_string, METH_NOARGS, NULL},
    {"explain", df_explain, METH_NOARGS, NULL},
    {"select", df_select, METH_O, NULL},
    {"order_by", df_order_by, METH_O, NULL},
    {"select_expr", df_select_expr, METH_O, NULL},
    {"drop", df_drop, METH_O, NULL},
    {"to_df", df_to_df, METH_O, NULL},
    {"drop_duplicates", df_drop_duplicates, METH_O, NULL},
    {"filter", df_filter, METH_O, NULL},
    {"where", df_where, METH_VARARGS, NULL},
    {"alias", df_alias, METH_VARARGS, NULL},
    {"with_column", df_with_column, METH_VARARGS, NULL},
    {"with_columns", df_with_columns, METH_VARARGS, NULL},
    {"with_column_renamed", df_with_column_renamed, METH_VARARGS, NULL},
    {"limit", df_limit, METH_VARARGS, NULL},
    {"distinct", df_distinct, METH_NOARGS, NULL},
    {"union", df_union, METH_VARARGS, NULL},
    {"join", df_join, METH_VARARGS, NULL},
    {"group_agg", df_group_agg, METH_VARARGS, NULL},
    {"na_fill", df_na_fill, METH_VARARGS, NULL},
    {"na_drop", df_na_drop, METH_VARARGS, NULL},
    {"na_replace", df_na_replace, METH_VARARGS, NULL},
    {"temp_view", df_temp_view, METH_VARARGS, NULL},
    {"persist", df_persist, METH_VARARGS, NULL},
    {"storage_level", df_storage_level, METH_NOARGS, NULL},
    {"count", df_count, METH_NOARGS, NULL},
    {"collect", df_collect, METH_NOARGS, NULL},
    {"take", df_take, METH_VARARGS, NULL},
    {"show_string", df_show_string, METH_VARARGS, NULL},
    {"describe", df_describe, METH_O, NULL},
    {"summary", df_summary, METH_O, NULL},
    {"write", df_write, METH_VARARGS, NULL},
    {"to_rdd", df_to_rdd, METH_NOARGS, NULL},
    {"collect_columns", df_collect_columns, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PykDF_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.DataFrame",
    .tp_basicsize = sizeof(PykDF),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A kiln DataFrame (kiln.sql.DataFrame wraps it).",
    .tp_dealloc = df_dealloc,
    .tp_methods = df_methods,
};

static PyMethodDef df_functions[] = {
    {"create_from_columns", mod_create_from_columns, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

int pyk_sql_df_add_type(PyObject *m)
{
    if (PyType_Ready(&PykDF_Type) || PyType_Ready(&PykBuffer_Type)) return -1;
    if (PyModule_AddObjectRef(m, "DataFrame", (PyObject *)&PykDF_Type) ||
        PyModule_AddFunctions(m, df_functions))
        return -1;
    return 0;
}
