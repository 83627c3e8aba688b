/*
 * python/src/py_sql.c - _kiln.Session and _kiln.Column: handles on a
 * kiln_session (include/kiln/sql.h) and its column expressions. kiln.sql
 * (python/kiln/sql) builds PySpark's SparkSession, Column and functions
 * on them. Calls that may run a job (spark.sql of a command, reading
 * with an inferred schema) release the GIL and can be interrupted with
 * Ctrl-C (pyk_run_blocking).
 */
#include <string.h>

#include "py_sql.h"

/* ---- Helpers -------------------------------------------------------------------- */

PyObject *pyk_raise_sql(void)
{
    if (PyErr_Occurred()) return NULL;
    const char *msg = kiln_last_error();
    /* The API's NULL results carry no code: an analysis error unless the
     * message says it is something else. */
    int rc = KILN_ESQL;
    if (strstr(msg, "out of memory")) rc = KILN_ENOMEM;
    else if (strstr(msg, "Traceback (most recent call last)")) rc = KILN_EUSER;
    return pyk_raise_kiln(rc);
}

kiln_session *pyk_sess_live(PykSession *sess)
{
    if (!sess->s || !sess->ctx->ctx) {
        PyErr_SetString(PyExc_ValueError, "the SparkSession has been stopped");
        return NULL;
    }
    kiln_set_error(KILN_OK, NULL); /* a NULL result's message is then its own */
    return sess->s;
}

int pyk_sql_blocking(PykSession *sess, int (*fn)(void *), void *arg)
{
    int rc = 0;
    if (pyk_run_blocking(sess->ctx->ctx, fn, arg, &rc)) return -1;
    return rc;
}

PyObject *pyk_col_wrap(PykSession *sess, kiln_col *c)
{
    if (!c) return pyk_raise_sql();
    PykCol *o = PyObject_New(PykCol, &PykCol_Type);
    if (!o) return NULL;
    o->c = c;
    o->sess = (PykSession *)Py_NewRef(sess);
    return (PyObject *)o;
}

kiln_col *pyk_col_of(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &PykCol_Type)) {
        PyErr_Format(PyExc_TypeError, "expected a Column, not %s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    PykCol *c = (PykCol *)o;
    return pyk_sess_live(c->sess) ? c->c : NULL;
}

int pyk_cols_of(PyObject *seq, kiln_col ***cols, int *n)
{
    PyObject *f = PySequence_Fast(seq, "expected a sequence of Columns");
    if (!f) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(f);
    *cols = PyMem_Malloc(sizeof **cols * (size_t)(len + 1));
    if (!*cols) {
        Py_DECREF(f);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++)
        if (!((*cols)[i] = pyk_col_of(PySequence_Fast_GET_ITEM(f, i)))) {
            PyMem_Free(*cols);
            *cols = NULL;
            Py_DECREF(f);
            return -1;
        }
    *n = (int)len;
    Py_DECREF(f);
    return 0;
}

int pyk_names_of(PyObject *seq, const char ***names, int *n)
{
    if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
        PyErr_SetString(PyExc_TypeError, "expected a list of column names");
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    *names = PyMem_Malloc(sizeof **names * (size_t)(len + 1));
    if (!*names) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++)
        if (!((*names)[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i)))) {
            PyMem_Free(*names);
            *names = NULL;
            return -1;
        }
    *n = (int)len;
    return 0;
}

/* ---- Session ---------------------------------------------------------------------- */

static PyObject *sess_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *ctx;
    if (!PyArg_ParseTuple(args, "O!", &PykContext_Type, &ctx)) return NULL;
    if (!((PykContext *)ctx)->ctx) return PyErr_Format(PyExc_ValueError, "stopped SparkContext");
    kiln_session *s;
    int rc = kiln_session_new(((PykContext *)ctx)->ctx, &s);
    if (rc) return pyk_raise_kiln(rc);
    PykSession *o = (PykSession *)type->tp_alloc(type, 0);
    if (!o) {
        kiln_session_free(s);
        return NULL;
    }
    o->s = s;
    o->ctx = (PykContext *)Py_NewRef(ctx);
    return (PyObject *)o;
}

static void sess_dealloc(PyObject *self)
{
    PykSession *o = (PykSession *)self;
    if (o->s && o->ctx->ctx) kiln_session_free(o->s);
    Py_XDECREF(o->ctx);
    Py_TYPE(self)->tp_free(self);
}

/* stop(): frees the session and everything made from it. */
static PyObject *sess_stop(PyObject *self, PyObject *u)
{
    PykSession *o = (PykSession *)self;
    if (o->s && o->ctx->ctx) kiln_session_free(o->s);
    o->s = NULL;
    Py_RETURN_NONE;
}

static PyObject *sess_conf_set(PyObject *self, PyObject *args)
{
    const char *k, *v;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "ss", &k, &v)) return NULL;
    int rc = kiln_session_conf_set(s, k, v);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *sess_conf_get(PyObject *self, PyObject *args)
{
    const char *k;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "s", &k)) return NULL;
    const char *v = kiln_session_conf_get(s, k);
    if (!v) Py_RETURN_NONE;
    return PyUnicode_FromString(v);
}

typedef struct {
    kiln_session *s;
    kiln_reader *r;
    const char *text, *path;
    kiln_df *out;
} sess_call;

static int run_sql(void *arg)
{
    sess_call *c = arg;
    c->out = kiln_sql(c->s, c->text);
    return c->out ? KILN_OK : KILN_ESQL;
}

static int run_load(void *arg)
{
    sess_call *c = arg;
    c->out = kiln_reader_load(c->r, c->path);
    return c->out ? KILN_OK : KILN_ESQL;
}

static PyObject *finish_df(PykSession *sess, int rc, kiln_df *df)
{
    if (rc < 0 && PyErr_Occurred()) {
        kiln_df_free(df);
        return NULL;
    }
    return pyk_df_wrap(sess, df);
}

/* sql(text): a blocking call (a command runs at once). */
static PyObject *sess_sql(PyObject *self, PyObject *args)
{
    sess_call c = {0};
    if (!(c.s = pyk_sess_live((PykSession *)self)) || !PyArg_ParseTuple(args, "s", &c.text))
        return NULL;
    int rc = pyk_sql_blocking((PykSession *)self, run_sql, &c);
    return finish_df((PykSession *)self, rc, c.out);
}

static PyObject *sess_table(PyObject *self, PyObject *args)
{
    const char *name;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "s", &name)) return NULL;
    return pyk_df_wrap((PykSession *)self, kiln_session_table(s, name));
}

static PyObject *sess_range(PyObject *self, PyObject *args)
{
    long long start, end, step = 1;
    int n = 0;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "LL|Li", &start, &end, &step, &n)) return NULL;
    return pyk_df_wrap((PykSession *)self, kiln_session_range(s, start, end, step, n));
}

/* read(format, schema or None, {option: value}, path). */
static PyObject *sess_read(PyObject *self, PyObject *args)
{
    sess_call c = {0};
    const char *format, *schema;
    PyObject *opts;
    if (!(c.s = pyk_sess_live((PykSession *)self)) ||
        !PyArg_ParseTuple(args, "szO!s", &format, &schema, &PyDict_Type, &opts, &c.path))
        return NULL;
    c.r = kiln_reader_format(kiln_session_read(c.s), format);
    if (schema) c.r = kiln_reader_schema(c.r, schema);
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(opts, &pos, &k, &v)) {
        const char *ks = PyUnicode_AsUTF8(k), *vs = PyUnicode_AsUTF8(v);
        if (!ks || !vs) {
            kiln_reader_load(c.r, NULL); /* frees it */
            return NULL;
        }
        c.r = kiln_reader_option(c.r, ks, vs);
    }
    int rc = pyk_sql_blocking((PykSession *)self, run_load, &c);
    return finish_df((PykSession *)self, rc, c.out);
}

/* create_from_rdd(rdd, ddl). */
static PyObject *sess_create_from_rdd(PyObject *self, PyObject *args)
{
    PyObject *rdd;
    const char *ddl;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "O!s", &PykRDD_Type, &rdd, &ddl)) return NULL;
    return pyk_df_wrap((PykSession *)self,
                       kiln_session_create_data_frame(s, ((PykRDD *)rdd)->rdd, ddl));
}

static PyObject *sess_col(PyObject *self, PyObject *args)
{
    const char *name;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "s", &name)) return NULL;
    return pyk_col_wrap((PykSession *)self, kiln_fn_col(s, name));
}

static PyObject *sess_expr(PyObject *self, PyObject *args)
{
    const char *text;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "s", &text)) return NULL;
    return pyk_col_wrap((PykSession *)self, kiln_expr(s, text));
}

/* lit(v) for None, bool, int (64-bit), float and str. */
static PyObject *sess_lit(PyObject *self, PyObject *v)
{
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s) return NULL;
    kiln_col *c;
    if (v == Py_None) {
        c = kiln_lit_null(s);
    } else if (PyBool_Check(v)) {
        c = kiln_lit_bool(s, v == Py_True);
    } else if (PyLong_Check(v)) {
        long long i = PyLong_AsLongLong(v);
        if (i == -1 && PyErr_Occurred()) return NULL;
        c = kiln_lit_int(s, i);
    } else if (PyFloat_Check(v)) {
        c = kiln_lit_double(s, PyFloat_AS_DOUBLE(v));
    } else if (PyUnicode_Check(v)) {
        const char *t = PyUnicode_AsUTF8(v);
        if (!t) return NULL;
        c = kiln_lit_str(s, t);
    } else {
        return PyErr_Format(PyExc_TypeError, "no literal of a %s", Py_TYPE(v)->tp_name);
    }
    return pyk_col_wrap((PykSession *)self, c);
}

/* fn0(name): a function of no column (row_number, rank, ...). */
static PyObject *sess_fn0(PyObject *self, PyObject *args)
{
    const char *name;
    int n = 0;
    kiln_session *s = pyk_sess_live((PykSession *)self);
    if (!s || !PyArg_ParseTuple(args, "s|i", &name, &n)) return NULL;
    kiln_col *c;
    if (!strcmp(name, "row_number")) c = kiln_fn_row_number(s);
    else if (!strcmp(name, "rank")) c = kiln_fn_rank(s);
    else if (!strcmp(name, "dense_rank")) c = kiln_fn_dense_rank(s);
    else if (!strcmp(name, "percent_rank")) c = kiln_fn_percent_rank(s);
    else if (!strcmp(name, "cume_dist")) c = kiln_fn_cume_dist(s);
    else if (!strcmp(name, "ntile")) c = kiln_fn_ntile(s, n);
    else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s()", name);
        c = kiln_expr(s, buf);
    }
    return pyk_col_wrap((PykSession *)self, c);
}

static PyMethodDef sess_methods[] = {
    {"stop", sess_stop, METH_NOARGS, NULL},
    {"conf_set", sess_conf_set, METH_VARARGS, NULL},
    {"conf_get", sess_conf_get, METH_VARARGS, NULL},
    {"sql", sess_sql, METH_VARARGS, NULL},
    {"table", sess_table, METH_VARARGS, NULL},
    {"range", sess_range, METH_VARARGS, NULL},
    {"read", sess_read, METH_VARARGS, NULL},
    {"create_from_rdd", sess_create_from_rdd, METH_VARARGS, NULL},
    {"col", sess_col, METH_VARARGS, NULL},
    {"expr", sess_expr, METH_VARARGS, NULL},
    {"lit", sess_lit, METH_O, NULL},
    {"fn0", sess_fn0, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PykSession_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.Session",
    .tp_basicsize = sizeof(PykSession),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A kiln SQL session (kiln.sql.SparkSession wraps it).",
    .tp_new = sess_new,
    .tp_dealloc = sess_dealloc,
    .tp_methods = sess_methods,
};

/* ---- Column ------------------------------------------------------------------------- */

static void col_dealloc(PyObject *self)
{
    Py_XDECREF(((PykCol *)self)->sess);
    PyObject_Free(self);
}

#define SELF_COL(self) ((PykCol *)(self))
#define WRAPC(self, c) pyk_col_wrap(SELF_COL(self)->sess, (c))

static kiln_col *live_col(PyObject *self)
{
    return pyk_sess_live(SELF_COL(self)->sess) ? SELF_COL(self)->c : NULL;
}

typedef kiln_col *(*col_str_fn)(kiln_col *, const char *);

static PyObject *col_with_str(PyObject *self, PyObject *args, col_str_fn fn)
{
    const char *s;
    kiln_col *c = live_col(self);
    if (!c || !PyArg_ParseTuple(args, "s", &s)) return NULL;
    return WRAPC(self, fn(c, s));
}

#define COL_STR(name, fn)                                                                          \
    static PyObject *col_##name(PyObject *self, PyObject *args)                                    \
    {                                                                                              \
        return col_with_str(self, args, fn);                                                       \
    }
COL_STR(alias, kiln_col_alias)
COL_STR(cast, kiln_col_cast)
COL_STR(like, kiln_col_like)
COL_STR(rlike, kiln_col_rlike)

typedef kiln_col *(*col_unary_fn)(kiln_col *);
#define COL_UNARY(name, fn)                                                                        \
    static PyObject *col_##name(PyObject *self, PyObject *u)                                       \
    {                                                                                              \
        kiln_col *c = live_col(self);                                                              \
        return c ? WRAPC(self, fn(c)) : NULL;                                                      \
    }
COL_UNARY(not_, kiln_col_not)
COL_UNARY(is_null, kiln_col_is_null)
COL_UNARY(is_not_null, kiln_col_is_not_null)
COL_UNARY(asc, kiln_col_asc)
COL_UNARY(desc, kiln_col_desc)
COL_UNARY(asc_nulls_last, kiln_col_asc_nulls_last)
COL_UNARY(desc_nulls_first, kiln_col_desc_nulls_first)

/* op(operator, other): other a Column. */
static PyObject *col_op(PyObject *self, PyObject *args)
{
    const char *op;
    PyObject *other;
    kiln_col *c = live_col(self), *b;
    if (!c || !PyArg_ParseTuple(args, "sO", &op, &other) || !(b = pyk_col_of(other))) return NULL;
    return WRAPC(self, kiln_col_op(c, op, b));
}

static PyObject *col_isin(PyObject *self, PyObject *seq)
{
    kiln_col *c = live_col(self), **vals;
    int n;
    if (!c || pyk_cols_of(seq, &vals, &n)) return NULL;
    PyObject *r = WRAPC(self, kiln_col_isin(c, vals, n));
    PyMem_Free(vals);
    return r;
}

/* when(cond, value) on a CASE column. */
static PyObject *col_when(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    kiln_col *c = live_col(self), *cond, *val;
    if (!c || !PyArg_ParseTuple(args, "OO", &a, &b) || !(cond = pyk_col_of(a)) ||
        !(val = pyk_col_of(b)))
        return NULL;
    return WRAPC(self, kiln_col_when(c, cond, val));
}

static PyObject *col_otherwise(PyObject *self, PyObject *o)
{
    kiln_col *c = live_col(self), *val;
    if (!c || !(val = pyk_col_of(o))) return NULL;
    return WRAPC(self, kiln_col_otherwise(c, val));
}

/* over(partition_cols, order_cols, frame): frame None or (is_range, start,
 * end). */
static PyObject *col_over(PyObject *self, PyObject *args)
{
    PyObject *part, *order, *frame;
    kiln_col *c = live_col(self), **pc = NULL, **oc = NULL;
    int np = 0, no = 0;
    if (!c || !PyArg_ParseTuple(args, "OOO", &part, &order, &frame)) return NULL;
    if (pyk_cols_of(part, &pc, &np) || pyk_cols_of(order, &oc, &no)) {
        PyMem_Free(pc);
        return NULL;
    }
    kiln_window *w = kiln_window_new(SELF_COL(self)->sess->s);
    if (np) w = kiln_window_partition_by(w, pc, np);
    if (no) w = kiln_window_order_by(w, oc, no);
    PyMem_Free(pc);
    PyMem_Free(oc);
    if (frame != Py_None) {
        int is_range;
        long long start, end;
        if (!PyArg_ParseTuple(frame, "pLL", &is_range, &start, &end)) return NULL;
        w = is_range ? kiln_window_range_between(w, start, end)
                     : kiln_window_rows_between(w, start, end);
    }
    if (!w) return pyk_raise_sql();
    return WRAPC(self, kiln_col_over(c, w));
}

/* lag / lead(offset, default Column or None). */
static PyObject *col_lag_lead(PyObject *self, PyObject *args, bool lead)
{
    int offset;
    PyObject *d;
    kiln_col *c = live_col(self), *def = NULL;
    if (!c || !PyArg_ParseTuple(args, "iO", &offset, &d)) return NULL;
    if (d != Py_None && !(def = pyk_col_of(d))) return NULL;
    return WRAPC(self, lead ? kiln_fn_lead(c, offset, def) : kiln_fn_lag(c, offset, def));
}
static PyObject *col_lag(PyObject *self, PyObject *args)
{
    return col_lag_lead(self, args, false);
}
static PyObject *col_lead(PyObject *self, PyObject *args)
{
    return col_lag_lead(self, args, true);
}

static PyMethodDef col_methods[] = {
    {"alias", col_alias, METH_VARARGS, NULL},
    {"cast", col_cast, METH_VARARGS, NULL},
    {"like", col_like, METH_VARARGS, NULL},
    {"rlike", col_rlike, METH_VARARGS, NULL},
    {"not_", col_not_, METH_NOARGS, NULL},
    {"is_null", col_is_null, METH_NOARGS, NULL},
    {"is_not_null", col_is_not_null, METH_NOARGS, NULL},
    {"asc", col_asc, METH_NOARGS, NULL},
    {"desc", col_desc, METH_NOARGS, NULL},
    {"asc_nulls_last", col_asc_nulls_last, METH_NOARGS, NULL},
    {"desc_nulls_first", col_desc_nulls_first, METH_NOARGS, NULL},
    {"op", col_op, METH_VARARGS, NULL},
    {"isin", col_isin, METH_O, NULL},
    {"when", col_when, METH_VARARGS, NULL},
    {"otherwise", col_otherwise, METH_O, NULL},
    {"over", col_over, METH_VARARGS, NULL},
    {"lag", col_lag, METH_VARARGS, NULL},
    {"lead", col_lead, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject PykCol_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.Column",
    .tp_basicsize = sizeof(PykCol),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A column expression of a kiln SQL session.",
    .tp_dealloc = col_dealloc,
    .tp_methods = col_methods,
};

/* ---- Module functions ------------------------------------------------------------ */

/* sql_fn(name, [Columns]): any SQL function by name; when(cond, value). */
static PyObject *mod_sql_fn(PyObject *m, PyObject *args)
{
    const char *name;
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "sO", &name, &seq)) return NULL;
    kiln_col **cols;
    int n;
    if (pyk_cols_of(seq, &cols, &n)) return NULL;
    if (n == 0) {
        PyMem_Free(cols);
        return PyErr_Format(PyExc_ValueError, "sql_fn: %s needs a column (use Session.fn0)", name);
    }
    PykSession *sess = SELF_COL(PySequence_Fast_GET_ITEM(seq, 0))->sess;
    kiln_col *c;
    if (!strcmp(name, "when") && n == 2) c = kiln_fn_when(cols[0], cols[1]);
    else if (!strcmp(name, "coalesce")) c = kiln_fn_coalesce(cols, n);
    else c = kiln_fn(name, cols, n);
    PyMem_Free(cols);
    return pyk_col_wrap(sess, c);
}

static PyMethodDef sql_functions[] = {
    {"sql_fn", mod_sql_fn, METH_VARARGS, "sql_fn(name, columns): a SQL function's column."},
    {NULL, NULL, 0, NULL},
};

int pyk_sql_add_types(PyObject *m)
{
    if (PyType_Ready(&PykSession_Type) || PyType_Ready(&PykCol_Type)) return -1;
    if (PyModule_AddObjectRef(m, "Session", (PyObject *)&PykSession_Type) ||
        PyModule_AddObjectRef(m, "Column", (PyObject *)&PykCol_Type) ||
        PyModule_AddFunctions(m, sql_functions))
        return -1;
    return pyk_sql_df_add_type(m);
}
