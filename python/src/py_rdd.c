/*
 * python/src/py_rdd.c - _kiln.RDD: a handle on a kiln RDD with the C
 * API's transformations and actions. kiln.RDD (python/kiln/rdd.py) puts
 * PySpark's names and Python pipelines on top.
 *
 * A function argument is either the name of one of kiln's C functions
 * ("add", "identity", "swap", "pair_one": they run without Python) or
 * an env made by _kiln.env from pickled Python functions. Actions, and
 * the transformations that run a job (sortByKey samples its keys),
 * release the GIL and can be interrupted with Ctrl-C
 * (pyk_run_blocking).
 */
#include <string.h>

#include "py_kiln.h"

/* ---- Handles ---------------------------------------------------------------- */

PyObject *pyk_rdd_wrap(PykContext *owner, kiln_rdd *r)
{
    if (!r) return pyk_raise_kiln(KILN_EINVAL);
    PykRDD *o = PyObject_New(PykRDD, &PykRDD_Type);
    if (!o) {
        kiln_rdd_free(r);
        return NULL;
    }
    o->rdd = r;
    Py_INCREF(owner);
    o->owner = owner;
    return (PyObject *)o;
}

static void rdd_dealloc(PyObject *self)
{
    PykRDD *o = (PykRDD *)self;
    /* After the context stopped its RDDs are gone with it. */
    if (o->rdd && o->owner->ctx) kiln_rdd_free(o->rdd);
    Py_XDECREF(o->owner);
    PyObject_Free(self);
}

/* The RDD of a live context, or NULL with an exception. */
static kiln_rdd *live(PyObject *self)
{
    PykRDD *o = (PykRDD *)self;
    if (!o->owner->ctx) {
        PyErr_SetString(PyExc_ValueError, "the SparkContext of this RDD has been stopped");
        return NULL;
    }
    return o->rdd;
}

static kiln_rdd *other_rdd(PyObject *self, PyObject *other)
{
    if (!PyObject_TypeCheck(other, &PykRDD_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected an RDD");
        return NULL;
    }
    if (((PykRDD *)other)->owner != ((PykRDD *)self)->owner) {
        PyErr_SetString(PyExc_ValueError, "the two RDDs belong to different SparkContexts");
        return NULL;
    }
    return live(other);
}

#define WRAP(self, r) pyk_rdd_wrap(((PykRDD *)(self))->owner, (r))

/* ---- Functions -------------------------------------------------------------- */

/* A function argument: kiln's C function of that name, or a trampoline
 * (pyfn) with an env. */
typedef struct {
    void *fn;
    const void *env;
    size_t env_len;
} fnarg;

static int parse_fn(PyObject *spec, void *pyfn, fnarg *out)
{
    /* ("add", env): C where Python's result is certain, else env's. */
    PyObject *name0 = PyTuple_Check(spec) && PyTuple_GET_SIZE(spec) == 2 ? PyTuple_GET_ITEM(spec, 0)
                                                                         : NULL;
    static const struct {
        const char *name;
        void *fn;
    } with_env[] = {{"add", (void *)pyk_add_fn},
                    {"split", (void *)pyk_split_fn},
                    {"max", (void *)pyk_max_fn},
                    {"min", (void *)pyk_min_fn},
                    {"len", (void *)pyk_len_fn}};
    for (size_t i = 0; name0 && PyUnicode_Check(name0) && i < sizeof with_env / sizeof *with_env;
         i++)
        if (PyUnicode_CompareWithASCIIString(name0, with_env[i].name) == 0 &&
            PyBytes_Check(PyTuple_GET_ITEM(spec, 1))) {
            PyObject *env = PyTuple_GET_ITEM(spec, 1);
            *out = (fnarg){with_env[i].fn, PyBytes_AS_STRING(env), (size_t)PyBytes_GET_SIZE(env)};
            return 0;
        }
    if (PyBytes_Check(spec)) {
        out->fn = pyfn;
        out->env = PyBytes_AS_STRING(spec);
        out->env_len = (size_t)PyBytes_GET_SIZE(spec);
        return 0;
    }
    const char *name = PyUnicode_Check(spec) ? PyUnicode_AsUTF8(spec) : NULL;
    static const struct {
        const char *name;
        void *fn;
    } builtins[] = {
        {"add", (void *)kiln_fn_add},
        {"identity", (void *)kiln_fn_identity},
        {"swap", (void *)kiln_fn_swap},
        {"pair_one", (void *)kiln_fn_pair_one},
        {"split_whitespace", (void *)kiln_fn_split_whitespace},
    };
    for (size_t i = 0; name && i < sizeof builtins / sizeof *builtins; i++)
        if (strcmp(name, builtins[i].name) == 0) {
            *out = (fnarg){builtins[i].fn, NULL, 0};
            return 0;
        }
    PyErr_Format(PyExc_ValueError, "not a kiln function: %R", spec);
    return -1;
}

/* A Python flat_map function called per record (an env given to
 * flat_map_c). */
static int pyk_call_flat_fn(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    return pyk_call_flat(t, env, in, out);
}

/* ---- Blocking calls ------------------------------------------------------------ */

/* One call of the C API that may run a job, described for
 * pyk_run_blocking (which runs it on another thread). */
typedef struct {
    int op;
    kiln_rdd *r;
    kiln_arena *a;
    kiln_value out, zero;
    fnarg f, g;
    int64_t n;
    int nparts, depth;
    bool flag;
    const char *path;
    kiln_rdd *made; /* transformations that run a job */
    kiln_stats stats;
    double d;
} call;

enum {
    OP_COLLECT,
    OP_COUNT,
    OP_FIRST,
    OP_TAKE,
    OP_TAKE_ORDERED,
    OP_TOP,
    OP_REDUCE,
    OP_FOLD,
    OP_AGGREGATE,
    OP_TREE_AGGREGATE,
    OP_COUNT_BY_KEY,
    OP_COUNT_BY_VALUE,
    OP_LOOKUP,
    OP_IS_EMPTY,
    OP_STATS,
    OP_SUM,
    OP_MEAN,
    OP_MIN,
    OP_MAX,
    OP_SAVE_TEXT,
    OP_SORT_BY_KEY,
    OP_SORT_BY,
    OP_ZIP_WITH_INDEX,
    OP_CHECKPOINT,
};

static int run_call(void *arg)
{
    call *c = arg;
    kiln_rdd *r = c->r;
    switch (c->op) {
    case OP_COLLECT:
        return kiln_rdd_collect(r, c->a, &c->out);
    case OP_COUNT:
        return kiln_rdd_count(r, &c->n);
    case OP_FIRST:
        return kiln_rdd_first(r, c->a, &c->out);
    case OP_TAKE:
        return kiln_rdd_take(r, (size_t)c->n, c->a, &c->out);
    case OP_TAKE_ORDERED:
        return kiln_rdd_take_ordered(r, (size_t)c->n, c->a, &c->out);
    case OP_TOP:
        return kiln_rdd_top(r, (size_t)c->n, c->a, &c->out);
    case OP_REDUCE:
        return kiln_rdd_reduce(r, c->f.fn, c->f.env, c->f.env_len, c->a, &c->out);
    case OP_FOLD:
        return kiln_rdd_fold(r, &c->zero, c->f.fn, c->f.env, c->f.env_len, c->a, &c->out);
    case OP_AGGREGATE:
        return kiln_rdd_aggregate(r, &c->zero, c->f.fn, c->g.fn, c->f.env, c->f.env_len, c->a,
                                  &c->out);
    case OP_TREE_AGGREGATE:
        return kiln_rdd_tree_aggregate(r, &c->zero, c->f.fn, c->g.fn, c->f.env, c->f.env_len,
                                       c->depth, c->a, &c->out);
    case OP_COUNT_BY_KEY:
        return kiln_rdd_count_by_key(r, c->a, &c->out);
    case OP_COUNT_BY_VALUE:
        return kiln_rdd_count_by_value(r, c->a, &c->out);
    case OP_LOOKUP:
        return kiln_rdd_lookup(r, &c->zero, c->a, &c->out);
    case OP_IS_EMPTY:
        return kiln_rdd_is_empty(r, &c->flag);
    case OP_STATS:
        return kiln_rdd_stats(r, &c->stats);
    case OP_SUM:
        return kiln_rdd_sum(r, &c->d);
    case OP_MEAN:
        return kiln_rdd_mean(r, &c->d);
    case OP_MIN:
        return kiln_rdd_min(r, c->a, &c->out);
    case OP_MAX:
        return kiln_rdd_max(r, c->a, &c->out);
    case OP_SAVE_TEXT:
        return kiln_rdd_save_as_text_file(r, c->path);
    case OP_SORT_BY_KEY:
        c->made = kiln_rdd_sort_by_key(r, c->flag, c->nparts);
        return c->made ? KILN_OK : KILN_EINVAL;
    case OP_SORT_BY:
        c->made = kiln_rdd_sort_by(r, c->f.fn, c->f.env, c->f.env_len, c->flag, c->nparts);
        return c->made ? KILN_OK : KILN_EINVAL;
    case OP_ZIP_WITH_INDEX:
        c->made = kiln_rdd_zip_with_index(r);
        return c->made ? KILN_OK : KILN_EINVAL;
    case OP_CHECKPOINT:
        return kiln_rdd_checkpoint(r);
    }
    return kiln_set_error(KILN_EINVAL, "unknown call %d", c->op);
}

/* Runs c; on success returns what the op produced as a Python object. */
static PyObject *blocking(PyObject *self, call *c)
{
    c->r = live(self);
    if (!c->r) return NULL;
    c->a = kiln_arena_new();
    if (!c->a) return PyErr_NoMemory();
    int rc = 0;
    PyObject *res = NULL;
    if (pyk_run_blocking(((PykRDD *)self)->owner->ctx, run_call, c, &rc) == 0) {
        if (rc == KILN_EEMPTY &&
            (c->op == OP_FIRST || c->op == OP_REDUCE || c->op == OP_MIN || c->op == OP_MAX)) {
            PyErr_SetString(PyExc_ValueError,
                            c->op == OP_FIRST ? "RDD is empty" : "Can not reduce() empty RDD");
        } else if (rc) {
            pyk_raise_kiln(rc);
        } else {
            switch (c->op) {
            case OP_COUNT:
                res = PyLong_FromLongLong(c->n);
                break;
            case OP_IS_EMPTY:
                res = PyBool_FromLong(c->flag);
                break;
            case OP_SUM:
            case OP_MEAN:
                res = PyFloat_FromDouble(c->d);
                break;
            case OP_STATS:
                res = Py_BuildValue("{sLsdsdsdsdsdsd}", "count", (long long)c->stats.count, "sum",
                                    c->stats.sum, "mean", c->stats.mean, "min", c->stats.min, "max",
                                    c->stats.max, "variance", c->stats.variance, "sample_variance",
                                    c->stats.sample_variance);
                break;
            case OP_SAVE_TEXT:
            case OP_CHECKPOINT:
                res = Py_NewRef(Py_None);
                break;
            case OP_SORT_BY_KEY:
            case OP_SORT_BY:
            case OP_ZIP_WITH_INDEX:
                res = WRAP(self, c->made);
                c->made = NULL;
                break;
            default:
                res = pyk_from_value(&c->out);
            }
        }
    } else if (c->made) {
        kiln_rdd_free(c->made);
    }
    kiln_arena_free(c->a);
    return res;
}

/* ---- Transformations ---------------------------------------------------------- */

static PyObject *rdd_map_partitions(PyObject *self, PyObject *args)
{
    PyObject *env;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "O!", &PyBytes_Type, &env)) return NULL;
    return WRAP(self, kiln_rdd_map_partitions(r, pyk_partitions_fn, PyBytes_AS_STRING(env),
                                              (size_t)PyBytes_GET_SIZE(env)));
}

static PyObject *rdd_map_c(PyObject *self, PyObject *args)
{
    PyObject *spec;
    fnarg f;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "O", &spec) || parse_fn(spec, pyk_map_fn0, &f)) return NULL;
    return WRAP(self, kiln_rdd_map(r, f.fn, f.env, f.env_len));
}

static PyObject *rdd_flat_map_c(PyObject *self, PyObject *args)
{
    PyObject *spec;
    fnarg f;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "O", &spec) || parse_fn(spec, pyk_call_flat_fn, &f))
        return NULL;
    return WRAP(self, kiln_rdd_flat_map(r, f.fn, f.env, f.env_len));
}

typedef kiln_rdd *(*unary_op)(kiln_rdd *);

static PyObject *unary(PyObject *self, unary_op op)
{
    kiln_rdd *r = live(self);
    return r ? WRAP(self, op(r)) : NULL;
}

static PyObject *rdd_keys(PyObject *self, PyObject *u)
{
    return unary(self, kiln_rdd_keys);
}
static PyObject *rdd_values(PyObject *self, PyObject *u)
{
    return unary(self, kiln_rdd_values);
}
static PyObject *rdd_glom(PyObject *self, PyObject *u)
{
    return unary(self, kiln_rdd_glom);
}

typedef kiln_rdd *(*nparts_op)(kiln_rdd *, int);

static PyObject *with_nparts(PyObject *self, PyObject *args, nparts_op op)
{
    int n = 0;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "|i", &n)) return NULL;
    return WRAP(self, op(r, n));
}

static PyObject *rdd_distinct(PyObject *self, PyObject *args)
{
    return with_nparts(self, args, kiln_rdd_distinct);
}
static PyObject *rdd_group_by_key(PyObject *self, PyObject *args)
{
    return with_nparts(self, args, kiln_rdd_group_by_key);
}
static PyObject *rdd_repartition(PyObject *self, PyObject *args)
{
    return with_nparts(self, args, kiln_rdd_repartition);
}

static PyObject *rdd_coalesce(PyObject *self, PyObject *args)
{
    int n, shuffle = 0;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "i|p", &n, &shuffle)) return NULL;
    return WRAP(self, kiln_rdd_coalesce(r, n, shuffle));
}

typedef kiln_rdd *(*binary_op)(kiln_rdd *, kiln_rdd *);
typedef kiln_rdd *(*binary_nparts_op)(kiln_rdd *, kiln_rdd *, int);

static PyObject *binary(PyObject *self, PyObject *args, binary_op op, binary_nparts_op op_n)
{
    PyObject *o;
    int n = 0;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "O|i", &o, &n)) return NULL;
    kiln_rdd *b = other_rdd(self, o);
    if (!b) return NULL;
    return WRAP(self, op ? op(r, b) : op_n(r, b, n));
}

#define BINARY(name, op, op_n)                                                                     \
    static PyObject *rdd_##name(PyObject *self, PyObject *args)                                    \
    {                                                                                              \
        return binary(self, args, op, op_n);                                                       \
    }
BINARY(union, kiln_rdd_union, NULL)
BINARY(cartesian, kiln_rdd_cartesian, NULL)
BINARY(zip, kiln_rdd_zip, NULL)
BINARY(zip_partitions, kiln_rdd_zip_partitions, NULL)
BINARY(intersection, NULL, kiln_rdd_intersection)
BINARY(subtract, NULL, kiln_rdd_subtract)
BINARY(join, NULL, kiln_rdd_join)
BINARY(left_outer_join, NULL, kiln_rdd_left_outer_join)
BINARY(right_outer_join, NULL, kiln_rdd_right_outer_join)
BINARY(full_outer_join, NULL, kiln_rdd_full_outer_join)
BINARY(cogroup, NULL, kiln_rdd_cogroup)

static PyObject *rdd_reduce_by_key(PyObject *self, PyObject *args)
{
    PyObject *spec;
    int n = 0;
    fnarg f;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "O|i", &spec, &n) || parse_fn(spec, pyk_reduce_fn0, &f))
        return NULL;
    return WRAP(self, kiln_rdd_reduce_by_key(r, f.fn, f.env, f.env_len, n));
}

static PyObject *rdd_fold_by_key(PyObject *self, PyObject *args)
{
    PyObject *zero, *spec;
    int n = 0;
    fnarg f;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "OO|i", &zero, &spec, &n) ||
        parse_fn(spec, pyk_reduce_fn0, &f))
        return NULL;
    kiln_arena *a = kiln_arena_new();
    kiln_value z;
    kiln_rdd *out = NULL;
    if (a && pyk_to_value(zero, a, &z) == 0)
        out = kiln_rdd_fold_by_key(r, &z, f.fn, f.env, f.env_len, n);
    kiln_arena_free(a);
    if (PyErr_Occurred()) return NULL;
    return WRAP(self, out);
}

/* aggregateByKey(zero, env of (seq, comb), n) and combineByKey(env of
 * (create, merge_value, merge_combiners), n): Python functions only. */
static PyObject *rdd_aggregate_by_key(PyObject *self, PyObject *args)
{
    PyObject *zero, *env;
    int n = 0;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "OO!|i", &zero, &PyBytes_Type, &env, &n)) return NULL;
    kiln_arena *a = kiln_arena_new();
    kiln_value z;
    kiln_rdd *out = NULL;
    if (a && pyk_to_value(zero, a, &z) == 0)
        out = kiln_rdd_aggregate_by_key(r, &z, pyk_reduce_fn0, pyk_reduce_fn1,
                                        PyBytes_AS_STRING(env), (size_t)PyBytes_GET_SIZE(env), n);
    kiln_arena_free(a);
    if (PyErr_Occurred()) return NULL;
    return WRAP(self, out);
}

static PyObject *rdd_combine_by_key(PyObject *self, PyObject *args)
{
    PyObject *env;
    int n = 0;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "O!|i", &PyBytes_Type, &env, &n)) return NULL;
    return WRAP(self,
                kiln_rdd_combine_by_key(r, pyk_map_fn0, pyk_reduce_fn1, pyk_reduce_fn2,
                                        PyBytes_AS_STRING(env), (size_t)PyBytes_GET_SIZE(env), n));
}

/* The partition of a key that is already a partition number (what
 * kiln.RDD.partitionBy computes in Python before the shuffle). */
static int int_key_partition(const kiln_value *key, int n, const void *env)
{
    int64_t p = key->type == KILN_INT ? key->u.i % n : 0;
    return (int)(p < 0 ? p + n : p);
}

static PyObject *rdd_partition_by(PyObject *self, PyObject *args)
{
    int n, by_int = 0;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "i|p", &n, &by_int)) return NULL;
    return WRAP(self, kiln_rdd_partition_by(r, n, by_int ? int_key_partition : NULL, NULL, 0));
}

/* Whether v holds a pickled Python object (which cannot be a key). */
static bool holds_pickle(const kiln_value *v)
{
    if (v->type == KILN_BYTES)
        return v->len >= PYK_PICKLE_MAGIC_LEN &&
               memcmp(v->u.bytes, PYK_PICKLE_MAGIC, PYK_PICKLE_MAGIC_LEN) == 0;
    if (v->type == KILN_TUPLE || v->type == KILN_LIST)
        for (uint32_t i = 0; i < v->len; i++)
            if (holds_pickle(&v->u.items[i])) return true;
    return false;
}

/* Passes pairs on, failing the task with TypeError (naming the Python
 * type) at a key kiln cannot hash the same way everywhere. */
static int key_check_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (kiln_is_pair(in) && holds_pickle(kiln_key(in))) {
        PyGILState_STATE g = PyGILState_Ensure();
        PyObject *k = pyk_from_value(kiln_key(in));
        const char *name = k ? Py_TYPE(k)->tp_name : "?";
        int rc = kiln_task_fail(t,
                                "TypeError: a key of type %s cannot be hashed the same way in "
                                "every process: keys must be None, bool, int (64-bit), float, "
                                "str, bytes, or tuples and lists of them",
                                name);
        Py_XDECREF(k);
        PyErr_Clear();
        PyGILState_Release(g);
        return rc;
    }
    *out = *in;
    return 0;
}

static PyObject *rdd_check_keys(PyObject *self, PyObject *u)
{
    kiln_rdd *r = live(self);
    return r ? WRAP(self, kiln_rdd_map(r, key_check_fn, NULL, 0)) : NULL;
}

static PyObject *rdd_sample(PyObject *self, PyObject *args)
{
    int with_replacement;
    double fraction;
    unsigned long long seed;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "pdK", &with_replacement, &fraction, &seed)) return NULL;
    return WRAP(self, kiln_rdd_sample(r, with_replacement, fraction, seed));
}

static PyObject *rdd_sort_by_key(PyObject *self, PyObject *args)
{
    call c = {.op = OP_SORT_BY_KEY};
    int asc = 1;
    if (!PyArg_ParseTuple(args, "|pi", &asc, &c.nparts)) return NULL;
    c.flag = asc;
    return blocking(self, &c);
}

static PyObject *rdd_sort_by(PyObject *self, PyObject *args)
{
    call c = {.op = OP_SORT_BY};
    PyObject *spec;
    int asc = 1;
    if (!PyArg_ParseTuple(args, "O|pi", &spec, &asc, &c.nparts) ||
        parse_fn(spec, pyk_map_fn0, &c.f))
        return NULL;
    c.flag = asc;
    return blocking(self, &c);
}

static PyObject *rdd_zip_with_index(PyObject *self, PyObject *u)
{
    call c = {.op = OP_ZIP_WITH_INDEX};
    return blocking(self, &c);
}

/* ---- Persistence ------------------------------------------------------------- */

static PyObject *rdd_persist(PyObject *self, PyObject *args)
{
    int level;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "i", &level)) return NULL;
    if (level < KILN_STORAGE_NONE || level > KILN_DISK_ONLY)
        return PyErr_Format(PyExc_ValueError, "unknown storage level %d", level);
    if (level == KILN_STORAGE_NONE) kiln_rdd_unpersist(r);
    else kiln_rdd_persist(r, (kiln_storage_level)level);
    Py_RETURN_NONE;
}

static PyObject *rdd_storage(PyObject *self, PyObject *u)
{
    int parts, on_disk;
    int64_t mem;
    kiln_rdd *r = live(self);
    if (!r) return NULL;
    kiln_rdd_storage(r, &parts, &mem, &on_disk);
    return Py_BuildValue("(iLi)", parts, (long long)mem, on_disk);
}

static PyObject *rdd_checkpoint(PyObject *self, PyObject *u)
{
    call c = {.op = OP_CHECKPOINT};
    return blocking(self, &c);
}

static PyObject *rdd_is_checkpointed(PyObject *self, PyObject *u)
{
    kiln_rdd *r = live(self);
    return r ? PyBool_FromLong(kiln_rdd_is_checkpointed(r)) : NULL;
}

static PyObject *rdd_num_partitions(PyObject *self, PyObject *u)
{
    kiln_rdd *r = live(self);
    return r ? PyLong_FromLong(kiln_rdd_num_partitions(r)) : NULL;
}

static PyObject *rdd_id(PyObject *self, PyObject *u)
{
    kiln_rdd *r = live(self);
    return r ? PyLong_FromLong(kiln_rdd_id(r)) : NULL;
}

/* set_name(name or None): the name the web UI shows (kiln_rdd_set_name). */
static PyObject *rdd_set_name(PyObject *self, PyObject *args)
{
    const char *name;
    kiln_rdd *r = live(self);
    if (!r || !PyArg_ParseTuple(args, "z", &name)) return NULL;
    if (!kiln_rdd_set_name(r, name)) return pyk_raise_kiln(KILN_ENOMEM);
    Py_RETURN_NONE;
}

static PyObject *rdd_name(PyObject *self, PyObject *u)
{
    kiln_rdd *r = live(self);
    if (!r) return NULL;
    const char *n = kiln_rdd_name(r);
    if (!n) Py_RETURN_NONE;
    return PyUnicode_FromString(n);
}

/* ---- Actions ------------------------------------------------------------------ */

static PyObject *simple_action(PyObject *self, int op)
{
    call c = {.op = op};
    return blocking(self, &c);
}

#define ACTION(name, op)                                                                           \
    static PyObject *rdd_##name(PyObject *self, PyObject *u)                                       \
    {                                                                                              \
        return simple_action(self, op);                                                            \
    }
ACTION(collect, OP_COLLECT)
ACTION(count, OP_COUNT)
ACTION(first, OP_FIRST)
ACTION(count_by_key, OP_COUNT_BY_KEY)
ACTION(count_by_value, OP_COUNT_BY_VALUE)
ACTION(is_empty, OP_IS_EMPTY)
ACTION(stats, OP_STATS)
ACTION(sum, OP_SUM)
ACTION(mean, OP_MEAN)
ACTION(min, OP_MIN)
ACTION(max, OP_MAX)

static PyObject *n_action(PyObject *self, PyObject *args, int op)
{
    call c = {.op = op};
    long long n;
    if (!PyArg_ParseTuple(args, "L", &n)) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "expected a count >= 0, got %lld", n);
    c.n = n;
    return blocking(self, &c);
}

static PyObject *rdd_take(PyObject *self, PyObject *args)
{
    return n_action(self, args, OP_TAKE);
}
static PyObject *rdd_take_ordered(PyObject *self, PyObject *args)
{
    return n_action(self, args, OP_TAKE_ORDERED);
}
static PyObject *rdd_top(PyObject *self, PyObject *args)
{
    return n_action(self, args, OP_TOP);
}

static PyObject *rdd_reduce(PyObject *self, PyObject *args)
{
    call c = {.op = OP_REDUCE};
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "O", &spec) || parse_fn(spec, pyk_reduce_fn0, &c.f)) return NULL;
    return blocking(self, &c);
}

/* fold(zero, fn), aggregate(zero, seq, comb) and treeAggregate(..., depth):
 * with Python functions, one env holds (seq, comb). */
static PyObject *zero_action(PyObject *self, PyObject *args, int op)
{
    call c = {.op = op, .depth = 2};
    PyObject *zero, *spec;
    if (!PyArg_ParseTuple(args, "OO|i", &zero, &spec, &c.depth) ||
        parse_fn(spec, pyk_reduce_fn0, &c.f))
        return NULL;
    c.g = c.f;
    if (c.f.env) c.g.fn = (void *)pyk_reduce_fn1;
    kiln_arena *za = kiln_arena_new();
    if (!za) return PyErr_NoMemory();
    PyObject *res = NULL;
    if (pyk_to_value(zero, za, &c.zero) == 0) res = blocking(self, &c);
    kiln_arena_free(za);
    return res;
}

static PyObject *rdd_fold(PyObject *self, PyObject *args)
{
    return zero_action(self, args, OP_FOLD);
}
static PyObject *rdd_aggregate(PyObject *self, PyObject *args)
{
    return zero_action(self, args, OP_AGGREGATE);
}
static PyObject *rdd_tree_aggregate(PyObject *self, PyObject *args)
{
    return zero_action(self, args, OP_TREE_AGGREGATE);
}

static PyObject *rdd_lookup(PyObject *self, PyObject *key)
{
    call c = {.op = OP_LOOKUP};
    kiln_arena *ka = kiln_arena_new();
    if (!ka) return PyErr_NoMemory();
    PyObject *res = NULL;
    if (pyk_to_value(key, ka, &c.zero) == 0) res = blocking(self, &c);
    kiln_arena_free(ka);
    return res;
}

static PyObject *rdd_save_as_text_file(PyObject *self, PyObject *args)
{
    call c = {.op = OP_SAVE_TEXT};
    if (!PyArg_ParseTuple(args, "s", &c.path)) return NULL;
    return blocking(self, &c);
}

#define M(name, flags)                                                                             \
    {                                                                                              \
#name, (PyCFunction)rdd_##name, flags, NULL                                                \
    }
static PyMethodDef rdd_methods[] = {
    M(map_partitions, METH_VARARGS),
    M(set_name, METH_VARARGS),
    M(name, METH_NOARGS),
    M(map_c, METH_VARARGS),
    M(flat_map_c, METH_VARARGS),
    M(keys, METH_NOARGS),
    M(values, METH_NOARGS),
    M(glom, METH_NOARGS),
    M(distinct, METH_VARARGS),
    M(group_by_key, METH_VARARGS),
    M(repartition, METH_VARARGS),
    M(coalesce, METH_VARARGS),
    M(union, METH_VARARGS),
    M(cartesian, METH_VARARGS),
    M(zip, METH_VARARGS),
    M(zip_partitions, METH_VARARGS),
    M(intersection, METH_VARARGS),
    M(subtract, METH_VARARGS),
    M(join, METH_VARARGS),
    M(left_outer_join, METH_VARARGS),
    M(right_outer_join, METH_VARARGS),
    M(full_outer_join, METH_VARARGS),
    M(cogroup, METH_VARARGS),
    M(reduce_by_key, METH_VARARGS),
    M(fold_by_key, METH_VARARGS),
    M(aggregate_by_key, METH_VARARGS),
    M(combine_by_key, METH_VARARGS),
    M(partition_by, METH_VARARGS),
    M(check_keys, METH_NOARGS),
    M(sample, METH_VARARGS),
    M(sort_by_key, METH_VARARGS),
    M(sort_by, METH_VARARGS),
    M(zip_with_index, METH_NOARGS),
    M(persist, METH_VARARGS),
    M(storage, METH_NOARGS),
    M(checkpoint, METH_NOARGS),
    M(is_checkpointed, METH_NOARGS),
    M(num_partitions, METH_NOARGS),
    M(id, METH_NOARGS),
    M(collect, METH_NOARGS),
    M(count, METH_NOARGS),
    M(first, METH_NOARGS),
    M(take, METH_VARARGS),
    M(take_ordered, METH_VARARGS),
    M(top, METH_VARARGS),
    M(reduce, METH_VARARGS),
    M(fold, METH_VARARGS),
    M(aggregate, METH_VARARGS),
    M(tree_aggregate, METH_VARARGS),
    M(count_by_key, METH_NOARGS),
    M(count_by_value, METH_NOARGS),
    M(lookup, METH_O),
    M(is_empty, METH_NOARGS),
    M(stats, METH_NOARGS),
    M(sum, METH_NOARGS),
    M(mean, METH_NOARGS),
    M(min, METH_NOARGS),
    M(max, METH_NOARGS),
    M(save_as_text_file, METH_VARARGS),
    {NULL, NULL, 0, NULL},
};
#undef M

PyTypeObject PykRDD_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_kiln.RDD",
    .tp_basicsize = sizeof(PykRDD),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A kiln RDD (use kiln.RDD).",
    .tp_dealloc = rdd_dealloc,
    .tp_methods = rdd_methods,
};

int pyk_rdd_add_type(PyObject *m)
{
    if (PyType_Ready(&PykRDD_Type) < 0) return -1;
    Py_INCREF(&PykRDD_Type);
    return PyModule_AddObject(m, "RDD", (PyObject *)&PykRDD_Type);
}
