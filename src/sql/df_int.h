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
    const char *sql;   /* kiln_sql's text (in the session's arena), NULL: built otherwise */
    char **type_names; /* kiln_df_column_type's strings (malloc), made on demand */
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

/* Save modes of a write (Spark's SaveMode). */
typedef enum sql_save_mode {
    SQL_SAVE_ERROR, /* error, errorifexists (the default) */
    SQL_SAVE_APPEND,
    SQL_SAVE_OVERWRITE,
    SQL_SAVE_IGNORE,
} sql_save_mode;

struct kiln_writer {
    kiln_df *df; /* a DataFrame of the plan written (owned) */
    char *format;
    int mode; /* sql_save_mode */
    int nopts;
    char **keys, **values;
    int npart;        /* partitionBy columns */
    char **part_cols; /* owned */
};

/* The partitioning of a write (partitionBy, PARTITIONED BY): rows go to
 * k=v directories of the columns named cols[0..n) (by name, any case; not
 * written in the files). Overwrite replaces the whole output unless
 * dynamic (kiln.sql.sources.partitionOverwriteMode or the writer option
 * partitionOverwriteMode DYNAMIC: only the partitions written), or
 * nstatic > 0: the first nstatic columns have the static values of
 * INSERT OVERWRITE ... PARTITION (k='v'), and only the directories of
 * those values are replaced. */
typedef struct sql_write_part {
    int n;
    const char *const *cols;
    int nstatic;
    const char *const *static_values; /* nstatic values as text (NULL: SQL NULL) */
} sql_write_part;

/* Writes the rows of logical to path as format (csv, json, text) with the
 * writer options keys/values[0..nopts), in mode (df_write.c): one part file
 * per partition through the io committer into a directory beside path,
 * moved into place only when the job succeeded (so a failed job leaves the
 * previous output intact). what names the caller in messages. Returns
 * KILN_OK or the error (Spark's PATH_ALREADY_EXISTS, UNSUPPORTED_OVERWRITE,
 * a bad option, the job's failure). */
/* keys/values[0..*nopts) with the session's Parquet write settings
 * added as options where not given (parquet_conf.c); the arrays are
 * replaced by ones in a. */
int sql_parquet_write_options(kiln_session *s, kiln_arena *a, int *nopts, const char *const **keys,
                              const char *const **values);
/* The session settings that reach the Parquet reader as options (unless
 * given): parquet.filter.columnindex.enabled. Appends to *keys / *values
 * (copied into a with the nopts given). KILN_OK or KILN_ENOMEM. */
int sql_parquet_read_options(kiln_session *s, kiln_arena *a, int *nopts, const char *const **keys,
                             const char *const **values);
int sql_write(kiln_session *s, const plan *logical, const char *format, int mode, int nopts,
              const char *const *keys, const char *const *values, const char *path);
/* sql_write partitioned by wp (NULL or n 0: not partitioned). */
int sql_write_partitioned(kiln_session *s, const plan *logical, const char *format, int mode,
                          int nopts, const char *const *keys, const char *const *values,
                          const char *path, const sql_write_part *wp);

/* The plan of logical's rows kept at level (df_persist.c): a PLAN_RDD over
 * the persisted RDD of its batches, registered in the catalog as name (a
 * nameless "__cached_N" entry when NULL) so the session frees it; eager
 * computes the rows now (CACHE TABLE), else the first action does. */
int sql_cache_plan(kiln_session *s, const plan *logical, int level, const char *name, bool eager,
                   plan **out);

/* A PLAN_VALUES of q's columns (in s's arena) holding keep[0..nkeep) (kept
 * as they are: already in s's arena) and then res's rows (copied; res is
 * left to the caller). stmt_write.c. */
int sql_values_plan(kiln_session *s, const plan *q, const col_batch *keep, int nkeep,
                    sql_result *res, plan **out);
/* UNCACHE TABLE name (stmt_cache.c): the table reads its source again. */
int sql_uncache_table(kiln_session *s, const char *name);

/* Helpers of the DataFrame files (df_na.c): name quoted as one SQL
 * identifier (`a.b` stays one name), in s's arena; the index of df's column
 * called name (any case), or -1 with Spark's UNRESOLVED_COLUMN error; a
 * column of printf-formatted SQL; a type's SQL name (in s's arena). */
const char *df_quote(kiln_session *s, const char *name);
int df_find_col(const kiln_df *df, const char *name);
kiln_col *df_colf(kiln_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *df_type_sql(kiln_session *s, const col_type *t);

/* The batch bytes (borrowed) of a value of an RDD of batches: a bare
 * batch, or the last item of a tuple (df_write.c). KILN_ECORRUPT when none. */
int df_batch_bytes(const kiln_value *v, const uint8_t **p, size_t *n);

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
