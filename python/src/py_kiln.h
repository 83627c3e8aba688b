/*
 * python/src/py_kiln.h - the parts of the extension module _kiln
 * (python/README.md): value conversion, Python functions as kiln
 * functions, the Context and RDD types.
 *
 * The extension sees kiln through its public headers only
 * (include/kiln.h, include/kiln/sql.h, include/kiln/ml.h), as any program
 * would; it links libkiln.a, so the module is one self-contained file that
 * executor processes load too (function pointers into it travel by the
 * module's build id, as for any kiln program).
 */
#ifndef KILN_PY_KILN_H
#define KILN_PY_KILN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>
#include <stdint.h>

#include "kiln.h"

/* ---- Values (py_values.c) --------------------------------------------------
 * None, bool, int (64-bit), float, str, bytes, tuple, list, and 1-D
 * float64 numpy arrays map to kiln's values; any other object (a dict, a
 * set, a big int, an instance of a class) travels as its cloudpickle
 * bytes behind a marker, so it may be a value, never a key. */

/* The marker in front of a pickled object's bytes (a KILN_BYTES value). */
#define PYK_PICKLE_MAGIC "\x00kiln:py\x00"
#define PYK_PICKLE_MAGIC_LEN 9

/* o as a kiln value built in a; -1 with a Python exception set on error. */
int pyk_to_value(PyObject *o, kiln_arena *a, kiln_value *out);
/* As pyk_to_value, but o must be usable as a key (no pickled object
 * anywhere in it): TypeError naming its type otherwise. */
int pyk_to_key(PyObject *o, kiln_arena *a, kiln_value *out);
/* o as a key itself (a pair's first item): TypeError for a pickled object. */
int pyk_to_key_item(PyObject *o, kiln_arena *a, kiln_value *out);
/* A new reference, or NULL with an exception set. */
PyObject *pyk_from_value(const kiln_value *v);
/* The list of values of a LIST value (what actions return). */
PyObject *pyk_from_list(const kiln_value *v);

/* o appended to b in kiln's value encoding (py_wire.c); keyed: o is a
 * (key, value) pair whose key must hash alike everywhere. 0, or -1 with
 * an exception. */
int pyk_encode(PyObject *o, kiln_buf *b, bool keyed);
/* o, a pair's key, appended to b (TypeError for what cannot be a key). */
int pyk_encode_key(PyObject *o, kiln_buf *b);
/* The value encoded at *p (advanced past it), or NULL with an exception. */
PyObject *pyk_decode(const uint8_t **p, const uint8_t *end);

/* ---- Python functions (py_functions.c) -------------------------------------
 * A Python function travels as an env of bytes: a header (magic, the
 * driver's Python major.minor, flags, a nonce naming it) and the
 * cloudpickle bytes of a callable (or a tuple of them). */

enum {
    PYK_ENV_KEYED = 1,       /* outputs are (key, value) pairs feeding a shuffle */
    PYK_ENV_COMBINE_ADD = 2, /* ... that adds values (a worker may add ints first) */
};

/* The size of an env's header; the pickle's length is the u32 at
 * offset 8, the nonce the 16 bytes at offset 16. */
#define PYK_ENV_HEADER 32

/* The env for pickled (bytes) with flags; a new bytes object or NULL. */
PyObject *pyk_env_new(PyObject *pickled, int flags);

/* Trampolines: kiln functions that call the Python callable of their env
 * (item i of a tuple for the _1/_2 variants). */
int pyk_partitions_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env);
int pyk_reduce_fn0(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env);
int pyk_reduce_fn1(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env);
int pyk_reduce_fn2(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
                   const void *env);
/* a + b in C for ints and floats, else the env's Python function. */
int pyk_add_fn(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env);
/* flat_map of the env's Python function on one record (the fallback of
 * functions run in C). */
int pyk_call_flat(kiln_task *t, const void *env, const kiln_value *in, kiln_out *out);
/* str.split() in C (py_builtins.c); other inputs through env's function. */
int pyk_split_fn(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env);
/* max(a, b), min(a, b) and len(x) in C where Python's result is certain,
 * else through env's Python function (py_builtins.c). */
int pyk_max_fn(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env);
int pyk_min_fn(kiln_task *t, const kiln_value *a, const kiln_value *b, kiln_value *out,
               const void *env);
int pyk_len_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);
int pyk_map_fn0(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env);

/* The task the calling thread runs a Python function for (broadcast
 * values and accumulators are read through it), or NULL. */
kiln_task *pyk_current_task(void);

/* Sets the Python exception for a failed kiln call: the message of
 * kiln_last_error(), parsed by kiln/errors.py into the exception type a
 * Python function raised when that is what failed. Returns NULL. */
PyObject *pyk_raise_kiln(int rc);

/* Runs a blocking kiln call without the GIL, waking every 100 ms to let
 * Python handle signals: on KeyboardInterrupt the context's jobs are
 * cancelled, the call is waited for and -1 returned with the exception
 * set. fn(arg) returns a kiln code. */
int pyk_run_blocking(kiln_context *ctx, int (*fn)(void *), void *arg, int *rc);

/* ---- Progress (py_progress.c) ---------------------------------------------
 * Job and stage events of a context, queued on the scheduler's threads and
 * handed to its Python callback (_kiln.on_progress) on the calling thread
 * by pyk_progress_drain, with the GIL held; pyk_run_blocking drains each
 * time it wakes and once its call has returned. */
void pyk_progress_drain(kiln_context *ctx);
/* Adds on_progress and progress_drain to the module; 0 or -1. */
int pyk_progress_init(PyObject *m);

/* The callable of env, unpickled once per process (borrowed: a cache
 * keeps it), or NULL with an exception (another Python version's env
 * included, with PySpark's message). */
PyObject *pyk_load_function(const uint8_t *env);
/* The callable cached under a 16-byte nonce (borrowed), or NULL with an
 * exception. */
PyObject *pyk_cached_function(const uint8_t *nonce);
/* The current exception's formatted traceback (malloc), cleared. */
char *pyk_exception_text(void);

/* ---- Worker processes (py_worker.c) ------------------------------------- */

/* Whether Python pipelines go to worker processes, and the command that
 * starts one (argv copied; NULL or on false: in this process). */
bool pyk_workers_enabled(void);
int pyk_workers_set(bool on, char *const *argv);
/* pyk_partitions_fn's work done by this thread's worker process. */
int pyk_worker_run(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env);
/* In a worker process: serves pipelines on fds in and out until the
 * input ends; 0, or -1 with an exception. */
int pyk_worker_main(int in, int out);
/* In a worker process: a broadcast's value from the task's thread (None
 * when check_only: only whether it is still live), and
 * an accumulator's delta kept until the task ends. */
bool pyk_in_worker(void);
PyObject *pyk_worker_broadcast(int64_t id, bool check_only);
int pyk_worker_accumulate(int64_t id, PyObject *delta);
/* The worker's task (stage, partition, attempt), or false outside one. */
bool pyk_worker_task_info(int info[3]);

/* Readies the iterator type and notes the main thread; 0 or -1. */
int pyk_functions_init(PyObject *m);

/* Testing hook: the Python version written into envs (0, 0: the real one). */
void pyk_env_set_version(int major, int minor);

/* ---- Types (py_context.c, py_rdd.c) -------------------------------------- */

typedef struct {
    PyObject_HEAD kiln_context *ctx;
} PykContext;

typedef struct {
    PyObject_HEAD kiln_rdd *rdd;
    PykContext *owner; /* a reference: the context outlives its RDDs */
} PykRDD;

extern PyTypeObject PykContext_Type;
extern PyTypeObject PykRDD_Type;

/* A new RDD object for r (owned), or NULL with the kiln error raised
 * when r is NULL. */
PyObject *pyk_rdd_wrap(PykContext *owner, kiln_rdd *r);

/* The module's error for kiln failures that are not a Python function's
 * own exception (kiln.errors.KilnError, set at import). */
extern PyObject *pyk_error_type;

int pyk_rdd_add_type(PyObject *m);
int pyk_context_add_type(PyObject *m);
/* The SQL types (py_sql.c, py_sql_df.c): Session, Column, DataFrame. */
int pyk_sql_add_types(PyObject *m);

/* The ml_* functions over kiln/ml.h (py_ml.c); 0 or -1. */
int pyk_ml_init(PyObject *m);

#endif
