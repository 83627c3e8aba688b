/*
 * python/src/py_ml.c - _kiln.ml_*: kiln's ML library (include/kiln/ml.h)
 * for the kiln.ml and kiln.mllib packages (python/kiln/ml/_core.py).
 *
 * Records cross as kiln values: a labeled point is (float label, vector),
 * a dense vector a float64 numpy array, a sparse vector the tuple
 * (int size, bytes of int32 indices, float64 array of values). Models
 * cross as dicts of sizes and little-endian float64 bytes (numpy reads
 * them with frombuffer) and come back the same way to predict or save.
 * Loading, training, evaluating, scaling and splitting run jobs: they
 * release the GIL through pyk_run_blocking.
 */
#include <string.h>

#include "kiln/ml.h"
#include "py_kiln.h"

/* ---- Arguments -------------------------------------------------------------------- */

/* The kiln RDD of an _kiln.RDD whose context is live, or NULL. */
static kiln_rdd *rdd_arg(PyObject *o, kiln_context **ctx)
{
    if (!PyObject_TypeCheck(o, &PykRDD_Type)) {
        PyErr_Format(PyExc_TypeError, "expected an RDD handle, not %.200s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    PykRDD *r = (PykRDD *)o;
    if (!r->owner->ctx) {
        PyErr_SetString(PyExc_ValueError, "the SparkContext of this RDD has been stopped");
        return NULL;
    }
    if (ctx) *ctx = r->owner->ctx;
    return r->rdd;
}

/* A new RDD object owned by the context of like (an _kiln.RDD). */
static PyObject *wrap_like(PyObject *like, kiln_rdd *r)
{
    return pyk_rdd_wrap(((PykRDD *)like)->owner, r);
}

/* d[key] as a double / long / bool with a default when absent; -1 on a
 * conversion error (exception set). */
static int dict_double(PyObject *d, const char *key, double *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v || v == Py_None) return 0;
    double x = PyFloat_AsDouble(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    *out = x;
    return 0;
}

static int dict_int(PyObject *d, const char *key, int64_t *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v || v == Py_None) return 0;
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred()) return -1;
    *out = x;
    return 0;
}

static int dict_bool(PyObject *d, const char *key, bool *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v || v == Py_None) return 0;
    int x = PyObject_IsTrue(v);
    if (x < 0) return -1;
    *out = x;
    return 0;
}

/* d[key] as float64 bytes of exactly n doubles (borrowed pointer). */
static int dict_doubles(PyObject *d, const char *key, size_t n, double **out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v && n == 0) {
        *out = NULL;
        return 0;
    }
    if (!v || !PyBytes_Check(v) || (size_t)PyBytes_GET_SIZE(v) != n * 8) {
        PyErr_Format(PyExc_ValueError, "model field %s: expected %zu float64 values as bytes", key,
                     n);
        return -1;
    }
    *out = (double *)PyBytes_AS_STRING(v);
    return 0;
}

static PyObject *doubles(const double *v, size_t n)
{
    return PyBytes_FromStringAndSize((const char *)v, (Py_ssize_t)(n * 8));
}

/* GLM parameters from a dict: family, regParam, elasticNetParam,
 * fitIntercept, standardization, numClasses, normalEquation, solver
 * ("lbfgs" or "sgd"), maxIter, tol, memory, stepSize. */
static int glm_params(PyObject *d, kiln_ml_glm_params *p)
{
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "GLM parameters must be a dict");
        return -1;
    }
    int64_t family = 0, k = 0, max_iter = 0, memory = 0;
    if (dict_int(d, "family", &family)) return -1;
    if (family < 0 || family > KILN_ML_MULTINOMIAL) {
        PyErr_Format(PyExc_ValueError, "unknown GLM family %lld", (long long)family);
        return -1;
    }
    *p = kiln_ml_glm_defaults((kiln_ml_family)family);
    PyObject *solver = PyDict_GetItemString(d, "solver");
    if (solver && solver != Py_None) {
        const char *s = PyUnicode_AsUTF8(solver);
        if (!s) return -1;
        if (strcmp(s, "sgd") == 0) p->opt.solver = KILN_ML_SGD;
        else if (strcmp(s, "lbfgs") == 0 || strcmp(s, "auto") == 0) p->opt.solver = KILN_ML_LBFGS;
        else if (strcmp(s, "normal") == 0) p->normal_equation = true;
        else {
            PyErr_Format(PyExc_ValueError, "unknown solver %R (auto, lbfgs, normal or sgd)",
                         solver);
            return -1;
        }
    }
    if (dict_double(d, "regParam", &p->reg_param) ||
        dict_double(d, "elasticNetParam", &p->elastic_net) ||
        dict_bool(d, "fitIntercept", &p->fit_intercept) ||
        dict_bool(d, "standardization", &p->standardize) || dict_int(d, "numClasses", &k) ||
        dict_bool(d, "normalEquation", &p->normal_equation) || dict_int(d, "maxIter", &max_iter) ||
        dict_double(d, "tol", &p->opt.tol) || dict_int(d, "memory", &memory) ||
        dict_double(d, "stepSize", &p->opt.step))
        return -1;
    if (k) p->num_classes = (int)k;
    if (max_iter) p->opt.max_iter = (int)max_iter;
    if (memory) p->opt.memory = (int)memory;
    return 0;
}

/* A model dict as the C struct (arrays borrowed from the dict's bytes). */
static int glm_from_dict(PyObject *d, kiln_ml_glm *m)
{
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "a GLM model must be a dict");
        return -1;
    }
    int64_t family = 0, nf = 0, rows = 1, iters = 0, hist = 0;
    memset(m, 0, sizeof *m);
    if (dict_int(d, "family", &family) || dict_int(d, "num_features", &nf) ||
        dict_int(d, "num_rows", &rows) || dict_int(d, "iterations", &iters) ||
        dict_double(d, "objective", &m->objective))
        return -1;
    PyObject *h = PyDict_GetItemString(d, "loss_history");
    if (h && PyBytes_Check(h)) hist = PyBytes_GET_SIZE(h) / 8;
    if (family < 0 || family > KILN_ML_MULTINOMIAL || nf < 0 || rows < 1) {
        PyErr_SetString(PyExc_ValueError, "malformed GLM model");
        return -1;
    }
    m->family = (kiln_ml_family)family;
    m->num_features = nf;
    m->num_rows = (int)rows;
    m->iterations = (int)iters;
    m->history_len = (int)hist;
    return dict_doubles(d, "coef", (size_t)(nf * rows), &m->coef) ||
                   dict_doubles(d, "intercept", (size_t)rows, &m->intercept) ||
                   dict_doubles(d, "loss_history", (size_t)hist, &m->loss_history)
               ? -1
               : 0;
}

static PyObject *glm_to_dict(const kiln_ml_glm *m)
{
    size_t nc = (size_t)m->num_rows * (size_t)m->num_features;
    return Py_BuildValue("{s:i,s:L,s:i,s:N,s:N,s:i,s:N,s:d}", "family", (int)m->family,
                         "num_features", (long long)m->num_features, "num_rows", m->num_rows,
                         "coef", doubles(m->coef, nc), "intercept",
                         doubles(m->intercept, (size_t)m->num_rows), "iterations", m->iterations,
                         "loss_history", doubles(m->loss_history, (size_t)m->history_len),
                         "objective", m->objective);
}

static int kmeans_from_dict(PyObject *d, kiln_ml_kmeans *m)
{
    int64_t k = 0, dim = 0, iters = 0;
    memset(m, 0, sizeof *m);
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "a k-means model must be a dict");
        return -1;
    }
    if (dict_int(d, "k", &k) || dict_int(d, "dim", &dim) || dict_int(d, "iterations", &iters) ||
        dict_double(d, "cost", &m->cost))
        return -1;
    if (k < 1 || dim < 0) {
        PyErr_SetString(PyExc_ValueError, "malformed k-means model");
        return -1;
    }
    m->k = (int)k;
    m->dim = dim;
    m->iterations = (int)iters;
    return dict_doubles(d, "centers", (size_t)(k * dim), &m->centers);
}

static PyObject *kmeans_to_dict(const kiln_ml_kmeans *m)
{
    return Py_BuildValue("{s:i,s:L,s:N,s:d,s:i}", "k", m->k, "dim", (long long)m->dim, "centers",
                         doubles(m->centers, (size_t)m->k * (size_t)m->dim), "cost", m->cost,
                         "iterations", m->iterations);
}

static int nb_from_dict(PyObject *d, kiln_ml_nb *m)
{
    int64_t k = 0, nf = 0;
    memset(m, 0, sizeof *m);
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "a naive Bayes model must be a dict");
        return -1;
    }
    if (dict_int(d, "num_classes", &k) || dict_int(d, "num_features", &nf)) return -1;
    if (k < 1 || nf < 0) {
        PyErr_SetString(PyExc_ValueError, "malformed naive Bayes model");
        return -1;
    }
    m->num_classes = (int)k;
    m->num_features = nf;
    return dict_doubles(d, "log_prior", (size_t)k, &m->log_prior) ||
                   dict_doubles(d, "log_theta", (size_t)(k * nf), &m->log_theta)
               ? -1
               : 0;
}

static PyObject *nb_to_dict(const kiln_ml_nb *m)
{
    return Py_BuildValue("{s:i,s:L,s:N,s:N}", "num_classes", m->num_classes, "num_features",
                         (long long)m->num_features, "log_prior",
                         doubles(m->log_prior, (size_t)m->num_classes), "log_theta",
                         doubles(m->log_theta, (size_t)m->num_classes * (size_t)m->num_features));
}

/* A Python vector (float64 array or (size, bytes, array)) as a kiln
 * vector in a; -1 with TypeError when it is not one. */
static int vector_arg(PyObject *o, kiln_arena *a, kiln_value *v)
{
    if (pyk_to_value(o, a, v)) return -1;
    if (!kiln_ml_is_vector(v)) {
        PyErr_SetString(PyExc_TypeError,
                        "expected a vector: a float64 numpy array or (size, int32 index bytes, "
                        "float64 values)");
        return -1;
    }
    return 0;
}

/* The vector argument of a model's predict, in a new arena (*a, the
 * caller frees it), checked to have the model's dim features; 0, or -1
 * with an exception (and *a freed). */
static int model_vector(PyObject *x, int64_t dim, kiln_arena **a, kiln_value *v)
{
    if (!(*a = kiln_arena_new())) return PyErr_NoMemory(), -1;
    if (vector_arg(x, *a, v) == 0) {
        if (kiln_ml_vector_size(v) == dim) return 0;
        PyErr_Format(PyExc_ValueError, "the vector has %lld features, the model %lld",
                     (long long)kiln_ml_vector_size(v), (long long)dim);
    }
    kiln_arena_free(*a);
    *a = NULL;
    return -1;
}

/* ---- Blocking calls -------------------------------------------------------------- */

enum {
    ML_LOAD_LIBSVM,
    ML_LOAD_CSV,
    ML_GLM_TRAIN,
    ML_KMEANS_TRAIN,
    ML_KMEANS_COST,
    ML_NB_TRAIN,
    ML_SUMMARIZE,
    ML_SCALER_FIT,
    ML_REGRESSION,
    ML_BINARY,
    ML_MULTICLASS,
    ML_SPLIT,
    ML_KFOLD,
    ML_CROSS_VALIDATE,
    ML_HASH,
    ML_ONE_HOT_FIT,
    ML_ONE_HOT_TRANSFORM,
};

typedef struct {
    int op;
    kiln_context *ctx;
    kiln_rdd *r;
    const char *path;
    int64_t n;
    int nparts, k, f;
    uint64_t seed;
    double d;
    bool b1, b2;
    kiln_ml_csv_options csv;
    const kiln_ml_glm_params *params;
    kiln_ml_kmeans_params kparams;
    const kiln_ml_kmeans *kmodel;
    const double *weights;
    double *metrics;
    kiln_rdd **outs;
    kiln_rdd *made;
    kiln_ml_glm *glm;
    kiln_ml_kmeans *kmeans;
    kiln_ml_nb *nb;
    kiln_ml_scaler *scaler;
    kiln_ml_summary summary;
    kiln_ml_regression_metrics reg;
    kiln_ml_binary_metrics bin;
    kiln_ml_multiclass_metrics multi;
    kiln_ml_hashing_options hash;
    kiln_ml_one_hot_options onehot;
    kiln_ml_one_hot *enc;
} mlcall;

static int made_or_error(kiln_rdd *r, mlcall *c)
{
    c->made = r;
    return r ? KILN_OK : KILN_EINVAL;
}

static int run_ml(void *arg)
{
    mlcall *c = arg;
    switch (c->op) {
    case ML_LOAD_LIBSVM:
        return made_or_error(kiln_ml_load_libsvm(c->ctx, c->path, c->n, c->nparts), c);
    case ML_LOAD_CSV:
        return made_or_error(kiln_ml_load_csv(c->ctx, c->path, &c->csv, c->nparts), c);
    case ML_GLM_TRAIN:
        return (c->glm = kiln_ml_glm_train(c->r, c->params)) ? KILN_OK : KILN_EINVAL;
    case ML_KMEANS_TRAIN:
        return (c->kmeans = kiln_ml_kmeans_train(c->r, &c->kparams)) ? KILN_OK : KILN_EINVAL;
    case ML_KMEANS_COST:
        return kiln_ml_kmeans_cost(c->kmodel, c->r, &c->d);
    case ML_NB_TRAIN:
        return (c->nb = kiln_ml_nb_train(c->r, c->d)) ? KILN_OK : KILN_EINVAL;
    case ML_SUMMARIZE:
        return kiln_ml_summarize(c->r, &c->summary);
    case ML_SCALER_FIT:
        c->scaler = c->k ? kiln_ml_min_max_scaler_fit(c->r)
                         : kiln_ml_standard_scaler_fit(c->r, c->b1, c->b2);
        return c->scaler ? KILN_OK : KILN_EINVAL;
    case ML_REGRESSION:
        return kiln_ml_regression_evaluate(c->r, &c->reg);
    case ML_BINARY:
        return kiln_ml_binary_evaluate(c->r, c->d, &c->bin);
    case ML_MULTICLASS:
        return kiln_ml_multiclass_evaluate(c->r, c->k, &c->multi);
    case ML_SPLIT:
        return kiln_ml_random_split(c->r, c->weights, c->k, c->seed, c->outs);
    case ML_KFOLD:
        return kiln_ml_kfold(c->r, c->k, c->f, c->seed, &c->outs[0], &c->outs[1]);
    case ML_CROSS_VALIDATE:
        return kiln_ml_cross_validate(c->r, c->params, c->k, c->f, (kiln_ml_metric)c->nparts,
                                      c->seed, c->metrics, &c->k, c->b1 ? &c->glm : NULL);
    case ML_HASH:
        return made_or_error(kiln_ml_hash_features(c->ctx, c->path, &c->hash, c->nparts), c);
    case ML_ONE_HOT_FIT:
        return (c->enc = kiln_ml_one_hot_fit(c->ctx, c->path, &c->onehot)) ? KILN_OK : KILN_EINVAL;
    case ML_ONE_HOT_TRANSFORM:
        return made_or_error(kiln_ml_one_hot_transform(c->enc, c->path, c->nparts), c);
    }
    return KILN_EINVAL;
}

/* Runs c without the GIL; -1 with the exception set on failure. */
static int blocking(mlcall *c)
{
    int rc = 0;
    if (pyk_run_blocking(c->ctx, run_ml, c, &rc)) return -1;
    if (rc) {
        pyk_raise_kiln(rc);
        return -1;
    }
    return 0;
}

/* ---- Loading ---------------------------------------------------------------------- */

static kiln_context *context_arg(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &PykContext_Type)) {
        PyErr_SetString(PyExc_TypeError, "expected a Context handle");
        return NULL;
    }
    kiln_context *ctx = ((PykContext *)o)->ctx;
    if (!ctx) PyErr_SetString(PyExc_ValueError, "the SparkContext has been stopped");
    return ctx;
}

static PyObject *wrap_context(PyObject *ctxobj, kiln_rdd *r)
{
    return pyk_rdd_wrap((PykContext *)ctxobj, r);
}

static PyObject *ml_load_libsvm(PyObject *m, PyObject *args)
{
    PyObject *ctxobj;
    mlcall c = {.op = ML_LOAD_LIBSVM};
    long long nf = 0;
    if (!PyArg_ParseTuple(args, "Os|Li", &ctxobj, &c.path, &nf, &c.nparts)) return NULL;
    if (!(c.ctx = context_arg(ctxobj))) return NULL;
    c.n = nf;
    if (blocking(&c)) return NULL;
    return wrap_context(ctxobj, c.made);
}

static PyObject *ml_load_csv(PyObject *m, PyObject *args)
{
    PyObject *ctxobj;
    const char *delim = ",";
    int header = 0;
    mlcall c = {.op = ML_LOAD_CSV};
    if (!PyArg_ParseTuple(args, "Os|sipi", &ctxobj, &c.path, &delim, &c.csv.label_column, &header,
                          &c.nparts))
        return NULL;
    if (!(c.ctx = context_arg(ctxobj))) return NULL;
    if (strlen(delim) != 1) return PyErr_Format(PyExc_ValueError, "the delimiter is one byte");
    c.csv.delimiter = delim[0];
    c.csv.header = header;
    if (blocking(&c)) return NULL;
    return wrap_context(ctxobj, c.made);
}

/* A sequence of ints into out[0..max); its length, or -1 with an exception. */
static int int_list(PyObject *seq, int *out, int max)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of column numbers");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n > max) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_ValueError, "at most %d columns", max);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, i));
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            return -1;
        }
        out[i] = (int)v;
    }
    Py_DECREF(fast);
    return (int)n;
}

static PyObject *ml_hash_features(PyObject *m, PyObject *args)
{
    PyObject *ctxobj, *numeric, *ignore;
    const char *delim = ",";
    long long nf = 0;
    int header = 0, num[1024], ign[1024];
    mlcall c = {.op = ML_HASH};
    if (!PyArg_ParseTuple(args, "OsiOO|Lspi", &ctxobj, &c.path, &c.hash.label_column, &numeric,
                          &ignore, &nf, &delim, &header, &c.nparts))
        return NULL;
    if (!(c.ctx = context_arg(ctxobj))) return NULL;
    if (strlen(delim) != 1) return PyErr_Format(PyExc_ValueError, "the delimiter is one byte");
    if ((c.hash.num_numeric = int_list(numeric, num, 1024)) < 0 ||
        (c.hash.num_ignore = int_list(ignore, ign, 1024)) < 0)
        return NULL;
    c.hash.numeric = num;
    c.hash.ignore = ign;
    c.hash.delimiter = delim[0];
    c.hash.num_features = nf;
    c.hash.header = header;
    if (blocking(&c)) return NULL;
    return wrap_context(ctxobj, c.made);
}

static const char ONE_HOT_CAPSULE[] = "kiln.ml.one_hot";

static void one_hot_destroy(PyObject *cap)
{
    kiln_ml_one_hot_free(PyCapsule_GetPointer(cap, ONE_HOT_CAPSULE));
}

static PyObject *ml_one_hot_fit(PyObject *m, PyObject *args)
{
    PyObject *ctxobj, *cats;
    const char *delim = ",";
    int header = 0, cat[1024];
    mlcall c = {.op = ML_ONE_HOT_FIT};
    if (!PyArg_ParseTuple(args, "OsisO|sp", &ctxobj, &c.path, &c.onehot.label_column,
                          &c.onehot.positive_label, &cats, &delim, &header))
        return NULL;
    if (!(c.ctx = context_arg(ctxobj))) return NULL;
    if (strlen(delim) != 1) return PyErr_Format(PyExc_ValueError, "the delimiter is one byte");
    if ((c.onehot.num_categorical = int_list(cats, cat, 1024)) < 0) return NULL;
    c.onehot.categorical = cat;
    c.onehot.delimiter = delim[0];
    c.onehot.header = header;
    if (blocking(&c)) return NULL;
    PyObject *cap = PyCapsule_New(c.enc, ONE_HOT_CAPSULE, one_hot_destroy);
    if (!cap) kiln_ml_one_hot_free(c.enc);
    return cap;
}

/* ml_one_hot_transform(encoder, ctx, path, header=-1 (as fitted), min_partitions=0). */
static PyObject *ml_one_hot_transform(PyObject *m, PyObject *args)
{
    PyObject *cap, *ctxobj;
    int header = -1;
    mlcall c = {.op = ML_ONE_HOT_TRANSFORM};
    if (!PyArg_ParseTuple(args, "OOs|ii", &cap, &ctxobj, &c.path, &header, &c.nparts)) return NULL;
    if (!(c.ctx = context_arg(ctxobj)) || !(c.enc = PyCapsule_GetPointer(cap, ONE_HOT_CAPSULE)))
        return NULL;
    if (header >= 0) kiln_ml_one_hot_set_header(c.enc, header);
    if (blocking(&c)) return NULL;
    return wrap_context(ctxobj, c.made);
}

static PyObject *ml_one_hot_num_features(PyObject *m, PyObject *cap)
{
    kiln_ml_one_hot *enc = PyCapsule_GetPointer(cap, ONE_HOT_CAPSULE);
    if (!enc) return NULL;
    return PyLong_FromLongLong(kiln_ml_one_hot_num_features(enc));
}

/* ---- GLM -------------------------------------------------------------------------- */

static PyObject *ml_glm_train(PyObject *m, PyObject *args)
{
    PyObject *rdd, *pd;
    kiln_ml_glm_params p;
    mlcall c = {.op = ML_GLM_TRAIN, .params = &p};
    if (!PyArg_ParseTuple(args, "OO", &rdd, &pd)) return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx)) || glm_params(pd, &p)) return NULL;
    if (blocking(&c)) return NULL;
    PyObject *r = glm_to_dict(c.glm);
    kiln_ml_glm_free(c.glm);
    return r;
}

static PyObject *ml_glm_predict(PyObject *mod, PyObject *args)
{
    PyObject *md, *x;
    kiln_ml_glm m;
    kiln_arena *a;
    kiln_value v;
    if (!PyArg_ParseTuple(args, "OO", &md, &x) || glm_from_dict(md, &m) ||
        model_vector(x, m.num_features, &a, &v))
        return NULL;
    PyObject *r = NULL;
    if (m.family == KILN_ML_MULTINOMIAL) {
        double *probs = PyMem_Calloc((size_t)m.num_rows, sizeof(double));
        if (!probs) PyErr_NoMemory();
        else {
            kiln_ml_glm_predict_probs(&m, &v, probs);
            r = doubles(probs, (size_t)m.num_rows);
            PyMem_Free(probs);
        }
    } else {
        r = PyFloat_FromDouble(kiln_ml_glm_predict(&m, &v));
    }
    kiln_arena_free(a);
    return r;
}

static PyObject *ml_glm_predict_rdd(PyObject *mod, PyObject *args)
{
    PyObject *md, *rdd;
    kiln_ml_glm m;
    kiln_rdd *r;
    if (!PyArg_ParseTuple(args, "OO", &md, &rdd) || glm_from_dict(md, &m) ||
        !(r = rdd_arg(rdd, NULL)))
        return NULL;
    return wrap_like(rdd, kiln_ml_glm_predict_rdd(&m, r));
}

static PyObject *ml_glm_save(PyObject *mod, PyObject *args)
{
    PyObject *md;
    const char *dir;
    kiln_ml_glm m;
    if (!PyArg_ParseTuple(args, "Os", &md, &dir) || glm_from_dict(md, &m)) return NULL;
    int rc = kiln_ml_glm_save(&m, dir);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *ml_glm_load(PyObject *mod, PyObject *args)
{
    const char *dir;
    if (!PyArg_ParseTuple(args, "s", &dir)) return NULL;
    kiln_ml_glm *m = kiln_ml_glm_load(dir);
    if (!m) return pyk_raise_kiln(KILN_EINVAL);
    PyObject *r = glm_to_dict(m);
    kiln_ml_glm_free(m);
    return r;
}

/* ---- k-means and naive Bayes -------------------------------------------------------- */

static PyObject *ml_kmeans_train(PyObject *mod, PyObject *args)
{
    PyObject *rdd, *initial = Py_None;
    int k, max_iter = 0, init_steps = 0;
    double tol = 0;
    unsigned long long seed = 0;
    mlcall c = {.op = ML_KMEANS_TRAIN};
    if (!PyArg_ParseTuple(args, "Oi|idKiO", &rdd, &k, &max_iter, &tol, &seed, &init_steps,
                          &initial))
        return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx))) return NULL;
    c.kparams = (kiln_ml_kmeans_params){k, max_iter, tol, seed, init_steps, NULL};
    if (initial != Py_None) {
        if (!PyBytes_Check(initial))
            return PyErr_Format(PyExc_TypeError, "initial centres: float64 bytes");
        c.kparams.initial = (const double *)PyBytes_AS_STRING(initial);
    }
    if (blocking(&c)) return NULL;
    PyObject *r = kmeans_to_dict(c.kmeans);
    kiln_ml_kmeans_free(c.kmeans);
    return r;
}

static PyObject *ml_kmeans_predict(PyObject *mod, PyObject *args)
{
    PyObject *md, *x;
    kiln_ml_kmeans m;
    kiln_arena *a;
    kiln_value v;
    if (!PyArg_ParseTuple(args, "OO", &md, &x) || kmeans_from_dict(md, &m) ||
        model_vector(x, m.dim, &a, &v))
        return NULL;
    PyObject *r = PyLong_FromLong(kiln_ml_kmeans_predict(&m, &v));
    kiln_arena_free(a);
    return r;
}

static PyObject *ml_kmeans_cost(PyObject *mod, PyObject *args)
{
    PyObject *md, *rdd;
    kiln_ml_kmeans m;
    mlcall c = {.op = ML_KMEANS_COST, .kmodel = &m};
    if (!PyArg_ParseTuple(args, "OO", &md, &rdd) || kmeans_from_dict(md, &m) ||
        !(c.r = rdd_arg(rdd, &c.ctx)))
        return NULL;
    if (blocking(&c)) return NULL;
    return PyFloat_FromDouble(c.d);
}

static PyObject *ml_kmeans_save(PyObject *mod, PyObject *args)
{
    PyObject *md;
    const char *dir;
    kiln_ml_kmeans m;
    if (!PyArg_ParseTuple(args, "Os", &md, &dir) || kmeans_from_dict(md, &m)) return NULL;
    int rc = kiln_ml_kmeans_save(&m, dir);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *ml_kmeans_load(PyObject *mod, PyObject *args)
{
    const char *dir;
    if (!PyArg_ParseTuple(args, "s", &dir)) return NULL;
    kiln_ml_kmeans *m = kiln_ml_kmeans_load(dir);
    if (!m) return pyk_raise_kiln(KILN_EINVAL);
    PyObject *r = kmeans_to_dict(m);
    kiln_ml_kmeans_free(m);
    return r;
}

static PyObject *ml_nb_train(PyObject *mod, PyObject *args)
{
    PyObject *rdd;
    mlcall c = {.op = ML_NB_TRAIN, .d = 1.0};
    if (!PyArg_ParseTuple(args, "O|d", &rdd, &c.d) || !(c.r = rdd_arg(rdd, &c.ctx))) return NULL;
    if (blocking(&c)) return NULL;
    PyObject *r = nb_to_dict(c.nb);
    kiln_ml_nb_free(c.nb);
    return r;
}

static PyObject *ml_nb_predict(PyObject *mod, PyObject *args)
{
    PyObject *md, *x;
    kiln_ml_nb m;
    kiln_arena *a;
    kiln_value v;
    if (!PyArg_ParseTuple(args, "OO", &md, &x) || nb_from_dict(md, &m) ||
        model_vector(x, m.num_features, &a, &v))
        return NULL;
    PyObject *r = PyLong_FromLong(kiln_ml_nb_predict(&m, &v));
    kiln_arena_free(a);
    return r;
}

static PyObject *ml_nb_save(PyObject *mod, PyObject *args)
{
    PyObject *md;
    const char *dir;
    kiln_ml_nb m;
    if (!PyArg_ParseTuple(args, "Os", &md, &dir) || nb_from_dict(md, &m)) return NULL;
    int rc = kiln_ml_nb_save(&m, dir);
    if (rc) return pyk_raise_kiln(rc);
    Py_RETURN_NONE;
}

static PyObject *ml_nb_load(PyObject *mod, PyObject *args)
{
    const char *dir;
    if (!PyArg_ParseTuple(args, "s", &dir)) return NULL;
    kiln_ml_nb *m = kiln_ml_nb_load(dir);
    if (!m) return pyk_raise_kiln(KILN_EINVAL);
    PyObject *r = nb_to_dict(m);
    kiln_ml_nb_free(m);
    return r;
}

/* ---- Features --------------------------------------------------------------------- */

static PyObject *ml_summarize(PyObject *mod, PyObject *rdd)
{
    mlcall c = {.op = ML_SUMMARIZE};
    if (!(c.r = rdd_arg(rdd, &c.ctx)) || blocking(&c)) return NULL;
    kiln_ml_summary *s = &c.summary;
    size_t n = (size_t)s->num_features;
    PyObject *r = Py_BuildValue("{s:L,s:L,s:N,s:N,s:N,s:N,s:d,s:d}", "count", (long long)s->count,
                                "num_features", (long long)s->num_features, "mean",
                                doubles(s->mean, n), "variance", doubles(s->variance, n), "min",
                                doubles(s->min, n), "max", doubles(s->max, n), "label_mean",
                                s->label_mean, "label_variance", s->label_variance);
    kiln_ml_summary_release(s);
    return r;
}

static const char SCALER_CAPSULE[] = "kiln.ml.scaler";

static void scaler_destroy(PyObject *cap)
{
    kiln_ml_scaler_free(PyCapsule_GetPointer(cap, SCALER_CAPSULE));
}

static PyObject *ml_scaler_fit(PyObject *mod, PyObject *args)
{
    PyObject *rdd;
    const char *kind;
    int with_mean = 0, with_std = 1;
    mlcall c = {.op = ML_SCALER_FIT};
    if (!PyArg_ParseTuple(args, "Os|pp", &rdd, &kind, &with_mean, &with_std)) return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx))) return NULL;
    if (strcmp(kind, "minmax") == 0) c.k = 1;
    else if (strcmp(kind, "standard") != 0)
        return PyErr_Format(PyExc_ValueError, "scaler kind: standard or minmax");
    c.b1 = with_mean;
    c.b2 = with_std;
    if (blocking(&c)) return NULL;
    PyObject *cap = PyCapsule_New(c.scaler, SCALER_CAPSULE, scaler_destroy);
    if (!cap) kiln_ml_scaler_free(c.scaler);
    return cap;
}

static PyObject *ml_scaler_transform(PyObject *mod, PyObject *args)
{
    PyObject *cap, *rdd;
    kiln_rdd *r;
    if (!PyArg_ParseTuple(args, "OO", &cap, &rdd) || !(r = rdd_arg(rdd, NULL))) return NULL;
    kiln_ml_scaler *s = PyCapsule_GetPointer(cap, SCALER_CAPSULE);
    if (!s) return NULL;
    return wrap_like(rdd, kiln_ml_scaler_transform(s, r));
}

/* ---- Evaluation ------------------------------------------------------------------- */

static PyObject *ml_regression_evaluate(PyObject *mod, PyObject *rdd)
{
    mlcall c = {.op = ML_REGRESSION};
    if (!(c.r = rdd_arg(rdd, &c.ctx)) || blocking(&c)) return NULL;
    kiln_ml_regression_metrics *x = &c.reg;
    return Py_BuildValue("{s:L,s:d,s:d,s:d,s:d,s:d}", "count", (long long)x->count, "mse", x->mse,
                         "rmse", x->rmse, "mae", x->mae, "r2", x->r2, "var", x->explained_variance);
}

static PyObject *ml_binary_evaluate(PyObject *mod, PyObject *args)
{
    PyObject *rdd;
    mlcall c = {.op = ML_BINARY, .d = 0.5};
    if (!PyArg_ParseTuple(args, "O|d", &rdd, &c.d)) return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx)) || blocking(&c)) return NULL;
    kiln_ml_binary_metrics *x = &c.bin;
    return Py_BuildValue("{s:L,s:L,s:L,s:L,s:L,s:d,s:d,s:d,s:d,s:d,s:d,s:d}", "count",
                         (long long)x->count, "tp", (long long)x->tp, "fp", (long long)x->fp, "tn",
                         (long long)x->tn, "fn", (long long)x->fn, "areaUnderROC", x->auc_roc,
                         "areaUnderPR", x->auc_pr, "accuracy", x->accuracy, "precision",
                         x->precision, "recall", x->recall, "f1", x->f1, "logLoss", x->log_loss);
}

static PyObject *ml_multiclass_evaluate(PyObject *mod, PyObject *args)
{
    PyObject *rdd;
    mlcall c = {.op = ML_MULTICLASS};
    if (!PyArg_ParseTuple(args, "Oi", &rdd, &c.k)) return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx)) || blocking(&c)) return NULL;
    kiln_ml_multiclass_metrics *x = &c.multi;
    size_t kk = (size_t)x->num_classes * (size_t)x->num_classes;
    PyObject *conf = PyList_New((Py_ssize_t)kk);
    for (size_t i = 0; conf && i < kk; i++)
        PyList_SET_ITEM(conf, (Py_ssize_t)i, PyLong_FromLongLong(x->confusion[i]));
    PyObject *r = conf ? Py_BuildValue("{s:i,s:L,s:N,s:d,s:d,s:d,s:d}", "num_classes",
                                       x->num_classes, "count", (long long)x->count, "confusion",
                                       conf, "accuracy", x->accuracy, "weightedPrecision",
                                       x->weighted_precision, "weightedRecall", x->weighted_recall,
                                       "weightedFMeasure", x->weighted_f1)
                       : NULL;
    kiln_ml_multiclass_metrics_release(x);
    return r;
}

/* ---- Tuning ------------------------------------------------------------------------- */

static PyObject *ml_random_split(PyObject *mod, PyObject *args)
{
    PyObject *rdd, *wl;
    unsigned long long seed = 0;
    mlcall c = {.op = ML_SPLIT};
    if (!PyArg_ParseTuple(args, "OO!|K", &rdd, &PyList_Type, &wl, &seed)) return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx))) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(wl);
    if (n < 1 || n > 1024) return PyErr_Format(PyExc_ValueError, "1 to 1024 weights");
    double w[1024];
    kiln_rdd *outs[1024] = {0};
    for (Py_ssize_t i = 0; i < n; i++) {
        w[i] = PyFloat_AsDouble(PyList_GET_ITEM(wl, i));
        if (w[i] == -1 && PyErr_Occurred()) return NULL;
    }
    c.weights = w;
    c.k = (int)n;
    c.seed = seed;
    c.outs = outs;
    if (blocking(&c)) return NULL;
    PyObject *l = PyList_New(n);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = l ? wrap_like(rdd, outs[i]) : NULL;
        if (!o) {
            for (Py_ssize_t j = i + 1; j < n; j++) kiln_rdd_free(outs[j]);
            Py_XDECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, i, o);
    }
    return l;
}

static PyObject *ml_kfold(PyObject *mod, PyObject *args)
{
    PyObject *rdd;
    unsigned long long seed = 0;
    kiln_rdd *outs[2] = {0};
    mlcall c = {.op = ML_KFOLD, .outs = outs};
    if (!PyArg_ParseTuple(args, "Oii|K", &rdd, &c.k, &c.f, &seed)) return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx))) return NULL;
    c.seed = seed;
    if (blocking(&c)) return NULL;
    PyObject *train = wrap_like(rdd, outs[0]);
    if (!train) {
        kiln_rdd_free(outs[1]);
        return NULL;
    }
    PyObject *test = wrap_like(rdd, outs[1]);
    if (!test) return Py_DECREF(train), NULL;
    return Py_BuildValue("(NN)", train, test);
}

static PyObject *ml_cross_validate(PyObject *mod, PyObject *args)
{
    PyObject *rdd, *grid;
    int folds, metric, retrain = 1;
    unsigned long long seed = 0;
    mlcall c = {.op = ML_CROSS_VALIDATE};
    if (!PyArg_ParseTuple(args, "OO!ii|Kp", &rdd, &PyList_Type, &grid, &folds, &metric, &seed,
                          &retrain))
        return NULL;
    if (!(c.r = rdd_arg(rdd, &c.ctx))) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(grid);
    if (n < 1) return PyErr_Format(PyExc_ValueError, "an empty parameter grid");
    kiln_ml_glm_params *ps = PyMem_Calloc((size_t)n, sizeof *ps);
    double *metrics = PyMem_Calloc((size_t)n, sizeof(double));
    PyObject *r = NULL;
    if (!ps || !metrics) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (glm_params(PyList_GET_ITEM(grid, i), &ps[i])) goto done;
    c.params = ps;
    c.k = (int)n;
    c.f = folds;
    c.nparts = metric;
    c.seed = seed;
    c.metrics = metrics;
    c.b1 = retrain;
    if (blocking(&c)) goto done;
    PyObject *model = Py_None;
    if (c.glm) {
        model = glm_to_dict(c.glm);
        kiln_ml_glm_free(c.glm);
        if (!model) goto done;
    } else {
        Py_INCREF(model);
    }
    r = Py_BuildValue("(NiN)", doubles(metrics, (size_t)n), c.k, model);
done:
    PyMem_Free(ps);
    PyMem_Free(metrics);
    return r;
}

/* ---- Registration --------------------------------------------------------------------- */

static PyMethodDef ml_methods[] = {
    {"ml_load_libsvm", ml_load_libsvm, METH_VARARGS,
     "ml_load_libsvm(ctx, path, num_features=0, min_partitions=0) -> RDD of points"},
    {"ml_load_csv", ml_load_csv, METH_VARARGS,
     "ml_load_csv(ctx, path, delimiter=',', label_column=0, header=False, min_partitions=0)"},
    {"ml_hash_features", ml_hash_features, METH_VARARGS,
     "ml_hash_features(ctx, path, label_column, numeric, ignore, num_features=0, delimiter=',', "
     "header=False, min_partitions=0)"},
    {"ml_one_hot_fit", ml_one_hot_fit, METH_VARARGS,
     "ml_one_hot_fit(ctx, path, label_column, positive_label, categorical, delimiter=',', "
     "header=False) -> capsule"},
    {"ml_one_hot_transform", ml_one_hot_transform, METH_VARARGS, NULL},
    {"ml_one_hot_num_features", ml_one_hot_num_features, METH_O, NULL},
    {"ml_glm_train", ml_glm_train, METH_VARARGS, "ml_glm_train(rdd, params) -> model dict"},
    {"ml_glm_predict", ml_glm_predict, METH_VARARGS,
     "ml_glm_predict(model, vector) -> float (multinomial: probability bytes)"},
    {"ml_glm_predict_rdd", ml_glm_predict_rdd, METH_VARARGS,
     "ml_glm_predict_rdd(model, rdd) -> RDD of (prediction, label)"},
    {"ml_glm_save", ml_glm_save, METH_VARARGS, NULL},
    {"ml_glm_load", ml_glm_load, METH_VARARGS, NULL},
    {"ml_kmeans_train", ml_kmeans_train, METH_VARARGS,
     "ml_kmeans_train(rdd, k, max_iter=0, tol=0, seed=0, init_steps=0, initial=None)"},
    {"ml_kmeans_predict", ml_kmeans_predict, METH_VARARGS, NULL},
    {"ml_kmeans_cost", ml_kmeans_cost, METH_VARARGS, NULL},
    {"ml_kmeans_save", ml_kmeans_save, METH_VARARGS, NULL},
    {"ml_kmeans_load", ml_kmeans_load, METH_VARARGS, NULL},
    {"ml_nb_train", ml_nb_train, METH_VARARGS, "ml_nb_train(rdd, smoothing=1.0)"},
    {"ml_nb_predict", ml_nb_predict, METH_VARARGS, NULL},
    {"ml_nb_save", ml_nb_save, METH_VARARGS, NULL},
    {"ml_nb_load", ml_nb_load, METH_VARARGS, NULL},
    {"ml_summarize", ml_summarize, METH_O, "ml_summarize(rdd) -> dict of column statistics"},
    {"ml_scaler_fit", ml_scaler_fit, METH_VARARGS,
     "ml_scaler_fit(rdd, 'standard'|'minmax', with_mean=False, with_std=True) -> capsule"},
    {"ml_scaler_transform", ml_scaler_transform, METH_VARARGS, NULL},
    {"ml_regression_evaluate", ml_regression_evaluate, METH_O, NULL},
    {"ml_binary_evaluate", ml_binary_evaluate, METH_VARARGS, NULL},
    {"ml_multiclass_evaluate", ml_multiclass_evaluate, METH_VARARGS, NULL},
    {"ml_random_split", ml_random_split, METH_VARARGS, NULL},
    {"ml_kfold", ml_kfold, METH_VARARGS, NULL},
    {"ml_cross_validate", ml_cross_validate, METH_VARARGS,
     "ml_cross_validate(rdd, grid, folds, metric, seed=0, retrain=True) -> (metrics, best, model)"},
    {NULL, NULL, 0, NULL},
};

/* Adds the ml_* functions to the module m; 0 or -1. */
int pyk_ml_init(PyObject *m)
{
    if (PyModule_AddFunctions(m, ml_methods)) return -1;
    return PyModule_AddIntConstant(m, "ML_LINEAR", KILN_ML_LINEAR) ||
                   PyModule_AddIntConstant(m, "ML_LOGISTIC", KILN_ML_LOGISTIC) ||
                   PyModule_AddIntConstant(m, "ML_MULTINOMIAL", KILN_ML_MULTINOMIAL) ||
                   PyModule_AddIntConstant(m, "ML_RMSE", KILN_ML_RMSE) ||
                   PyModule_AddIntConstant(m, "ML_AUC", KILN_ML_AUC) ||
                   PyModule_AddIntConstant(m, "ML_LOG_LOSS", KILN_ML_LOG_LOSS) ||
                   PyModule_AddIntConstant(m, "ML_ACCURACY", KILN_ML_ACCURACY)
               ? -1
               : 0;
}
