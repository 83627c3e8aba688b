/*
 * python/src/py_sql.h - the SQL part of the extension module _kiln
 * (py_sql.c: Session and Column, py_sql_df.c: DataFrame and the columnar
 * transfer). kiln.sql (python/kiln/sql) puts PySpark's API on top.
 */
#ifndef KILN_PY_SQL_H
#define KILN_PY_SQL_H

#include "kiln/sql.h"
#include "py_kiln.h"

typedef struct {
    PyObject_HEAD kiln_session *s; /* NULL once stopped */
    PykContext *ctx;               /* a reference: the context outlives the session */
} PykSession;

typedef struct {
    PyObject_HEAD kiln_df *df;
    PykSession *sess; /* a reference */
} PykDF;

typedef struct {
    PyObject_HEAD kiln_col *c; /* the session's: no freeing */
    PykSession *sess;          /* a reference */
} PykCol;

extern PyTypeObject PykSession_Type, PykDF_Type, PykCol_Type;

/* The live session of sess, or NULL with ValueError when it was stopped. */
kiln_session *pyk_sess_live(PykSession *sess);
/* A new DataFrame object for df (owned), or NULL with the kiln error raised
 * when df is NULL. */
PyObject *pyk_df_wrap(PykSession *sess, kiln_df *df);
/* A new Column object for c, or NULL with the kiln error raised. */
PyObject *pyk_col_wrap(PykSession *sess, kiln_col *c);
/* The kiln_col of a Column object, or NULL with TypeError. */
kiln_col *pyk_col_of(PyObject *o);
/* The columns of a sequence of Column objects in *cols (PyMem_Malloc'ed,
 * the caller frees), their count in *n; -1 with an exception. */
int pyk_cols_of(PyObject *seq, kiln_col ***cols, int *n);
/* The strings of a sequence of str in *names (PyMem_Malloc'ed; the strings
 * are borrowed from the items, which seq keeps alive); -1 on error. */
int pyk_names_of(PyObject *seq, const char ***names, int *n);
/* Raises the error of a failed SQL call returning NULL (kiln_last_error,
 * as an AnalysisException unless it names another failure). */
PyObject *pyk_raise_sql(void);

/* Runs fn(arg) without the GIL (pyk_run_blocking on sess's context);
 * returns fn's code, or -1 when interrupted (the exception set). */
int pyk_sql_blocking(PykSession *sess, int (*fn)(void *), void *arg);

int pyk_sql_df_add_type(PyObject *m);

#endif
