/*
 * sql/df_int.h - the structs behind the public DataFrame API
 * (include/kiln/sql.h): columns, DataFrames, grouped data and readers.
 */
#ifndef KILN_SQL_DF_INT_H
#define KILN_SQL_DF_INT_H

#include "kiln/sql.h"
#include "sql/session_int.h"

#pragma GCC visibility push(hidden)

enum {
    COL_ORDER_NONE,
    COL_ORDER_ASC,
    COL_ORDER_DESC,
    COL_ORDER_ASC_NULLS_LAST,
    COL_ORDER_DESC_NULLS_FIRST,
};

/* A column: SQL text resolved when a DataFrame uses it. */
struct kiln_col {
    kiln_session *s;
    const char *text;  /* SQL */
    const char *alias; /* or NULL */
    const char *name;  /* for kiln_fn_col(name): the quoted name */
    int order;         /* COL_ORDER_* */
    bool open_case;    /* a CASE that more WHENs may join */
};

/* A DataFrame: its session and logical plan (in the session's arena). */
struct kiln_df {
    kiln_session *s;
    plan *p;
    char **type_names;           /* kiln_df_column_type's strings (malloc), made on demand */
    struct kiln_df *prev, *next; /* the session's live DataFrames */
};

/* Frees df without unlinking it (the session's end). */
void df_release(kiln_df *df);

struct kiln_grouped {
    kiln_df *df; /* a copy of the grouped DataFrame (owned) */
    int nkeys;
    kiln_col **keys;
};

struct kiln_reader {
    kiln_session *s;
    char *format;
    const char *schema;
    int nopts;
    char **keys, **values;
};

/* A column of s whose SQL text is printf's fmt and arguments (df_col.c);
 * NULL with an error when out of memory. */
kiln_col *df_colf(kiln_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A window specification (df_window.c): SQL text pieces. */
struct kiln_window {
    kiln_session *s;
    const char *partition; /* "PARTITION BY a, b" or "" */
    const char *order;     /* "ORDER BY a ASC NULLS FIRST" or "" */
    const char *frame;     /* "ROWS BETWEEN ..." or "" */
};

/* A collector of the window calls of a select / withColumn (NULL when out
 * of memory), and placing them: *top becomes the windows over it and the
 * n expressions es are rewritten over it (nothing when there were none). */
struct win_collect *df_window_collect(kiln_session *s);
int df_window_place(kiln_session *s, struct win_collect *w, plan **top, expr **es, int n);

/* A new DataFrame of s over p (NULL, with an out-of-memory error, when it
 * cannot be made). */
kiln_df *df_new(kiln_session *s, plan *p);

#pragma GCC visibility pop
#endif
