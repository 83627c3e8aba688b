/*
 * kiln/sql.h - DataFrames and Spark SQL.
 *
 * A session (Spark's SparkSession) runs SQL and makes DataFrames; both
 * build the same logical plans, analysed when they are made (an unknown
 * column fails at the call, with Spark's message and suggestions) and run
 * by kiln's columnar engine when an action needs rows.
 *
 * Conventions, as PySpark's:
 *   - transformations return a new kiln_df (the argument stays valid) or
 *     NULL on an error, with the message in kiln_last_error(); given a NULL
 *     argument they return NULL and keep the first error, so a chain of
 *     calls is checked once at its end;
 *   - a kiln_df is freed with kiln_df_free (optional: the session frees
 *     what is left); kiln_col values belong to the session and need no
 *     freeing;
 *   - column expressions are built from names and functions, or written in
 *     SQL (kiln_expr(s, "price * (1 - discount)")).
 *
 *   kiln_session *s;
 *   kiln_session_new(ctx, &s);
 *   kiln_df *logs = kiln_reader_csv(kiln_reader_option(kiln_session_read(s), "header", "true"),
 *                                   "access.csv");
 *   kiln_df *top = kiln_df_order_by(
 *       kiln_grouped_count(kiln_df_group_by(logs, (kiln_col *[]){kiln_fn_col(s, "status")}, 1)),
 *       (kiln_col *[]){kiln_col_desc(kiln_fn_col(s, "count"))}, 1);
 *   kiln_df_show(top, 20, 20);
 */
#ifndef KILN_SQL_H
#define KILN_SQL_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_session kiln_session; /* SparkSession */
typedef struct kiln_df kiln_df;           /* DataFrame */
typedef struct kiln_col kiln_col;         /* Column */
typedef struct kiln_grouped kiln_grouped; /* GroupedData */
typedef struct kiln_reader kiln_reader;   /* DataFrameReader */
typedef struct kiln_writer kiln_writer;   /* DataFrameWriter */
typedef struct kiln_window kiln_window;   /* WindowSpec */

/* ---- Sessions --------------------------------------------------------------- */

/* A session over ctx (borrowed: it must outlive the session). Settings
 * start from ctx's configuration: kiln.sql.ansi.enabled (true),
 * kiln.sql.session.timeZone (UTC), kiln.sql.shuffle.partitions (the cores). */
KILN_API int kiln_session_new(kiln_context *ctx, kiln_session **out);
/* Frees s with its views and the DataFrames and columns made from it. */
KILN_API void kiln_session_free(kiln_session *s);
/* spark.conf.set / get: kiln.sql.* (or spark.sql.*) session settings. */
KILN_API int kiln_session_conf_set(kiln_session *s, const char *key, const char *value);
KILN_API const char *kiln_session_conf_get(kiln_session *s, const char *key);

/* spark.udf.register for a native function (kiln/udf.h): name, callable
 * in the session's SQL and column expressions, is the descriptor `symbol`
 * (NULL: name) of the shared library at lib_path (made absolute; loaded
 * now to check it, and by each executor process on first use). Replaces a
 * function of that name; a built-in function's name is refused. Returns
 * KILN_OK or KILN_ESQL with the reason (dlerror()) in kiln_last_error(). */
KILN_API int kiln_session_register_udf(kiln_session *s, const char *name, const char *lib_path,
                                       const char *symbol);

/* spark.sql(text): the DataFrame of a query, or NULL (with the error, which
 * names the line and position in text). A command (CREATE VIEW, SET, ...)
 * runs now and gives its result rows (often none). */
KILN_API kiln_df *kiln_sql(kiln_session *s, const char *text);
/* spark.table(name): a temporary view's DataFrame. */
KILN_API kiln_df *kiln_session_table(kiln_session *s, const char *name);
/* spark.range(start, end, step, numPartitions): one bigint column `id`
 * (num_partitions 0: the default parallelism). */
KILN_API kiln_df *kiln_session_range(kiln_session *s, int64_t start, int64_t end, int64_t step,
                                     int num_partitions);

/* ---- Reading files ------------------------------------------------------------ */

/* spark.read: a reader to configure and load (load frees it). */
KILN_API kiln_reader *kiln_session_read(kiln_session *s);
KILN_API kiln_reader *kiln_reader_format(kiln_reader *r,
                                         const char *format); /* csv json text parquet */
/* Spark's options of the format (header, inferSchema, sep, mode, ...). */
KILN_API kiln_reader *kiln_reader_option(kiln_reader *r, const char *key, const char *value);
/* The schema as DDL ("name STRING, age INT"): no inference. */
KILN_API kiln_reader *kiln_reader_schema(kiln_reader *r, const char *ddl);
/* Loads path (a file, a directory, a glob or a comma-separated list) and
 * frees r. */
KILN_API kiln_df *kiln_reader_load(kiln_reader *r, const char *path);
KILN_API kiln_df *kiln_reader_csv(kiln_reader *r, const char *path);
KILN_API kiln_df *kiln_reader_json(kiln_reader *r, const char *path);
KILN_API kiln_df *kiln_reader_text(kiln_reader *r, const char *path);

/* spark.createDataFrame(rdd, schema): a DataFrame of an RDD of tuples (one
 * item per column; a single value is a one-item row) with the schema as DDL
 * ("a INT, b STRING NOT NULL"). Values are converted when the rows are
 * read: ints for integral, date (days) and timestamp (microseconds)
 * columns (checked against the type's range), doubles (or ints) for float,
 * double and decimal columns, strings for string columns, strings or bytes
 * for binary, booleans, lists (or dense vectors) for arrays of those; null
 * anywhere a column is nullable. Anything else fails the job naming the
 * partition, the row and the column. rdd is borrowed (the DataFrame keeps
 * what it needs). */
KILN_API kiln_df *kiln_session_create_data_frame(kiln_session *s, kiln_rdd *rdd,
                                                 const char *schema);

/* ---- Columns -------------------------------------------------------------------- */

/* F.col(name) ("*" for every column, "t.a" qualified). */
KILN_API kiln_col *kiln_fn_col(kiln_session *s, const char *name);
/* F.expr(sql): a column written in SQL. */
KILN_API kiln_col *kiln_expr(kiln_session *s, const char *sql);
/* F.lit(v). */
KILN_API kiln_col *kiln_lit_int(kiln_session *s, int64_t v);
KILN_API kiln_col *kiln_lit_double(kiln_session *s, double v);
KILN_API kiln_col *kiln_lit_str(kiln_session *s, const char *v);
KILN_API kiln_col *kiln_lit_bool(kiln_session *s, bool v);
KILN_API kiln_col *kiln_lit_null(kiln_session *s);
/* c.alias(name), c.cast(type) (a SQL type name: "int", "decimal(10,2)"). */
KILN_API kiln_col *kiln_col_alias(kiln_col *c, const char *name);
KILN_API kiln_col *kiln_col_cast(kiln_col *c, const char *type);
/* a OP b for op one of + - * / % = != < <= > >= <=> and or ("=="
 * and "<>" too). */
KILN_API kiln_col *kiln_col_op(kiln_col *a, const char *op, kiln_col *b);
KILN_API kiln_col *kiln_col_not(kiln_col *c);
KILN_API kiln_col *kiln_col_is_null(kiln_col *c);
KILN_API kiln_col *kiln_col_is_not_null(kiln_col *c);
/* c.like(pattern), c.rlike(regex), c.isin(values...). */
KILN_API kiln_col *kiln_col_like(kiln_col *c, const char *pattern);
KILN_API kiln_col *kiln_col_rlike(kiln_col *c, const char *regex);
KILN_API kiln_col *kiln_col_isin(kiln_col *c, kiln_col *const *values, int n);
/* Sort orders for kiln_df_order_by: asc (nulls first), desc (nulls last)
 * and the explicit forms. */
KILN_API kiln_col *kiln_col_asc(kiln_col *c);
KILN_API kiln_col *kiln_col_desc(kiln_col *c);
KILN_API kiln_col *kiln_col_asc_nulls_last(kiln_col *c);
KILN_API kiln_col *kiln_col_desc_nulls_first(kiln_col *c);
/* F.when(cond, value)...when(...).otherwise(value). */
KILN_API kiln_col *kiln_fn_when(kiln_col *cond, kiln_col *value);
KILN_API kiln_col *kiln_col_when(kiln_col *c, kiln_col *cond, kiln_col *value);
KILN_API kiln_col *kiln_col_otherwise(kiln_col *c, kiln_col *value);

/* Any SQL function by name over columns: kiln_fn("regexp_extract", args, 3). */
KILN_API kiln_col *kiln_fn(const char *name, kiln_col *const *args, int n);
/* Functions the labs use most, by PySpark's names. */
KILN_API kiln_col *kiln_fn_count(kiln_col *c);
KILN_API kiln_col *kiln_fn_count_distinct(kiln_col *c);
KILN_API kiln_col *kiln_fn_sum(kiln_col *c);
KILN_API kiln_col *kiln_fn_avg(kiln_col *c);
KILN_API kiln_col *kiln_fn_min(kiln_col *c);
KILN_API kiln_col *kiln_fn_max(kiln_col *c);
KILN_API kiln_col *kiln_fn_lower(kiln_col *c);
KILN_API kiln_col *kiln_fn_upper(kiln_col *c);
KILN_API kiln_col *kiln_fn_trim(kiln_col *c);
KILN_API kiln_col *kiln_fn_length(kiln_col *c);
KILN_API kiln_col *kiln_fn_regexp_extract(kiln_col *c, const char *pattern, int idx);
KILN_API kiln_col *kiln_fn_regexp_replace(kiln_col *c, const char *pattern, const char *repl);
KILN_API kiln_col *kiln_fn_split(kiln_col *c, const char *pattern);
KILN_API kiln_col *kiln_fn_explode(kiln_col *c);
KILN_API kiln_col *kiln_fn_explode_outer(kiln_col *c); /* a null or empty collection: a null row */
KILN_API kiln_col *kiln_fn_posexplode(kiln_col *c);    /* pos (int, from 0), then col */
KILN_API kiln_col *kiln_fn_posexplode_outer(kiln_col *c);
KILN_API kiln_col *kiln_fn_substring(kiln_col *c, int pos, int len);
KILN_API kiln_col *kiln_fn_coalesce(kiln_col *const *args, int n);
KILN_API kiln_col *kiln_fn_to_date(kiln_col *c, const char *format); /* format may be NULL */
KILN_API kiln_col *kiln_fn_date_format(kiln_col *c, const char *format);
KILN_API kiln_col *kiln_fn_year(kiln_col *c);
KILN_API kiln_col *kiln_fn_month(kiln_col *c);
KILN_API kiln_col *kiln_fn_dayofmonth(kiln_col *c);
KILN_API kiln_col *kiln_fn_hour(kiln_col *c);
KILN_API kiln_col *kiln_fn_round(kiln_col *c, int scale);

/* ---- Window functions ------------------------------------------------------------------- */

/* Window: an empty window specification of s (it belongs to the session).
 * partitionBy / orderBy (columns, with kiln_col_asc / _desc orders) and
 * rowsBetween / rangeBetween return a new specification (w stays valid).
 * Frame bounds are row offsets (ROWS) or order-key distances (RANGE), 0
 * the current row, negative preceding, and the constants below unbounded,
 * as PySpark's Window.unboundedPreceding, currentRow, unboundedFollowing. */
#define KILN_WINDOW_UNBOUNDED_PRECEDING INT64_MIN
#define KILN_WINDOW_CURRENT_ROW 0
#define KILN_WINDOW_UNBOUNDED_FOLLOWING INT64_MAX
KILN_API kiln_window *kiln_window_new(kiln_session *s);
KILN_API kiln_window *kiln_window_partition_by(kiln_window *w, kiln_col *const *cols, int n);
KILN_API kiln_window *kiln_window_order_by(kiln_window *w, kiln_col *const *cols, int n);
KILN_API kiln_window *kiln_window_rows_between(kiln_window *w, int64_t start, int64_t end);
KILN_API kiln_window *kiln_window_range_between(kiln_window *w, int64_t start, int64_t end);
/* c.over(w): an aggregate or window function over w (in select and
 * withColumn). */
KILN_API kiln_col *kiln_col_over(kiln_col *c, kiln_window *w);
/* row_number(), rank(), dense_rank(), percent_rank(), cume_dist(),
 * ntile(n); lag / lead(c, offset, default) with def NULL for null. */
KILN_API kiln_col *kiln_fn_row_number(kiln_session *s);
KILN_API kiln_col *kiln_fn_rank(kiln_session *s);
KILN_API kiln_col *kiln_fn_dense_rank(kiln_session *s);
KILN_API kiln_col *kiln_fn_percent_rank(kiln_session *s);
KILN_API kiln_col *kiln_fn_cume_dist(kiln_session *s);
KILN_API kiln_col *kiln_fn_ntile(kiln_session *s, int n);
KILN_API kiln_col *kiln_fn_lag(kiln_col *c, int offset, kiln_col *def);
KILN_API kiln_col *kiln_fn_lead(kiln_col *c, int offset, kiln_col *def);
/* median(c), percentile(c, p), percentile_approx(c, p, accuracy). */
KILN_API kiln_col *kiln_fn_median(kiln_col *c);
KILN_API kiln_col *kiln_fn_percentile(kiln_col *c, double p);
KILN_API kiln_col *kiln_fn_percentile_approx(kiln_col *c, double p, int accuracy);

/* ---- DataFrames ---------------------------------------------------------------------- */

KILN_API void kiln_df_free(kiln_df *df);
/* The columns: how many, and each one's name and Spark type name
 * (borrowed, valid while df lives); NULL past the end. */
KILN_API int kiln_df_num_columns(const kiln_df *df);
KILN_API const char *kiln_df_column_name(const kiln_df *df, int i);
KILN_API const char *kiln_df_column_type(kiln_df *df, int i);

KILN_API kiln_df *kiln_df_select(kiln_df *df, kiln_col *const *cols, int n);
KILN_API kiln_df *kiln_df_select_expr(kiln_df *df, const char *const *exprs, int n);
KILN_API kiln_df *kiln_df_filter(kiln_df *df, kiln_col *cond);
KILN_API kiln_df *kiln_df_where(kiln_df *df, const char *sql_condition);
KILN_API kiln_df *kiln_df_with_column(kiln_df *df, const char *name, kiln_col *c);
KILN_API kiln_df *kiln_df_with_column_renamed(kiln_df *df, const char *from, const char *to);
KILN_API kiln_df *kiln_df_drop(kiln_df *df, const char *const *names, int n);
/* df.alias(name): the columns qualified by name (for joins). */
KILN_API kiln_df *kiln_df_alias(kiln_df *df, const char *name);
KILN_API kiln_df *kiln_df_limit(kiln_df *df, int64_t n);
KILN_API kiln_df *kiln_df_distinct(kiln_df *df);
KILN_API kiln_df *kiln_df_order_by(kiln_df *df, kiln_col *const *cols, int n);
/* union / unionAll (by position) and unionByName. */
KILN_API kiln_df *kiln_df_union(kiln_df *a, kiln_df *b);
KILN_API kiln_df *kiln_df_union_by_name(kiln_df *a, kiln_df *b);
/* df.join(other, on, how): on the columns named in on[0..n) (both sides
 * have them; the output has each once), or on a condition (kiln_df_join_on);
 * how: inner, left (left_outer), right, full (outer), left_semi (semi),
 * left_anti (anti), cross. */
KILN_API kiln_df *kiln_df_join(kiln_df *df, kiln_df *other, const char *const *on, int n,
                               const char *how);
KILN_API kiln_df *kiln_df_join_on(kiln_df *df, kiln_df *other, kiln_col *cond, const char *how);

KILN_API kiln_grouped *kiln_df_group_by(kiln_df *df, kiln_col *const *cols, int n);
KILN_API kiln_df *kiln_grouped_agg(kiln_grouped *g, kiln_col *const *aggs, int n);
/* groupBy(...).count(): the keys and `count`. */
KILN_API kiln_df *kiln_grouped_count(kiln_grouped *g);
/* sum / avg / min / max of the named columns (every numeric one when n is 0). */
KILN_API kiln_df *kiln_grouped_sum(kiln_grouped *g, const char *const *cols, int n);
KILN_API kiln_df *kiln_grouped_avg(kiln_grouped *g, const char *const *cols, int n);
KILN_API kiln_df *kiln_grouped_min(kiln_grouped *g, const char *const *cols, int n);
KILN_API kiln_df *kiln_grouped_max(kiln_grouped *g, const char *const *cols, int n);

/* df.createOrReplaceTempView(name). */
KILN_API int kiln_df_create_or_replace_temp_view(kiln_df *df, const char *name);
/* df.cache() / persist(): the rows are kept after the first action, in
 * memory and on disk past the storage budget (KILN_MEMORY_AND_DISK, as
 * Spark's Dataset.cache); returns df. unpersist drops them. */
KILN_API kiln_df *kiln_df_cache(kiln_df *df);
KILN_API kiln_df *kiln_df_unpersist(kiln_df *df);

/* df.persist(level): as cache at a storage level (include/kiln.h);
 * is_cached / storageLevel: whether df's rows are kept and at what level
 * (KILN_STORAGE_NONE when not, or after unpersist or CLEAR CACHE). */
KILN_API kiln_df *kiln_df_persist(kiln_df *df, kiln_storage_level level);
KILN_API bool kiln_df_is_cached(kiln_df *df);
KILN_API kiln_storage_level kiln_df_storage_level(kiln_df *df);

/* df.withColumns({name: col, ...}): several columns added or replaced at
 * once (each over df's columns). */
KILN_API kiln_df *kiln_df_with_columns(kiln_df *df, const char *const *names, kiln_col *const *cols,
                                       int n);
/* df.sort: orderBy. */
KILN_API kiln_df *kiln_df_sort(kiln_df *df, kiln_col *const *cols, int n);
/* df.toDF(names...): the columns renamed by position (n must be the number
 * of columns). */
KILN_API kiln_df *kiln_df_to_df(kiln_df *df, const char *const *names, int n);
/* df.dropDuplicates(subset): one row of each group of rows equal in the
 * named columns (any one of them, as Spark; every column when n is 0:
 * distinct). */
KILN_API kiln_df *kiln_df_drop_duplicates(kiln_df *df, const char *const *subset, int n);

/* df.na.fill(value, subset): nulls of the columns (every column when n is
 * 0) whose type takes value replaced by it: an int or a double fills
 * numeric columns (cast to the column's type; NaN is replaced too in float
 * and double columns), a string string columns, a boolean boolean ones. */
KILN_API kiln_df *kiln_df_na_fill(kiln_df *df, const kiln_value *value, const char *const *subset,
                                  int n);
/* df.na.fill({col: value, ...}). */
KILN_API kiln_df *kiln_df_na_fill_map(kiln_df *df, const char *const *cols,
                                      const kiln_value *values, int n);
/* df.na.drop(how, thresh, subset): rows dropped when the columns (every
 * one when n is 0) hold a null (or NaN): how "any" (any of them), "all"
 * (all of them); thresh >= 0 overrides how: rows with fewer than thresh
 * non-null values go. */
KILN_API kiln_df *kiln_df_na_drop(kiln_df *df, const char *how, int thresh,
                                  const char *const *subset, int n);
/* df.na.replace(to_replace, value, subset): each from[i] replaced by to[i]
 * (a null to[i] makes nulls) in the columns of a matching type (numbers in
 * numeric columns, strings in string ones, booleans in boolean ones). */
KILN_API kiln_df *kiln_df_na_replace(kiln_df *df, const kiln_value *from, const kiln_value *to,
                                     int nvalues, const char *const *subset, int n);

/* df.describe(cols): count, mean, stddev, min and max of the named
 * columns (every numeric and string column when n is 0) as strings: a
 * column `summary` and one per described column. Computed when called. */
KILN_API kiln_df *kiln_df_describe(kiln_df *df, const char *const *cols, int n);
/* df.summary(stats): the same layout for the statistics named (count,
 * mean, stddev, min, max, count_distinct; n 0: count, mean, stddev, min,
 * max). */
KILN_API kiln_df *kiln_df_summary(kiln_df *df, const char *const *stats, int n);

/* df.write: a writer to configure and save (save frees it). */
KILN_API kiln_writer *kiln_df_write(kiln_df *df);
KILN_API kiln_writer *kiln_writer_format(kiln_writer *w,
                                         const char *format); /* csv json text parquet */
/* "error" / "errorifexists" (the default), "append", "overwrite", "ignore". */
KILN_API kiln_writer *kiln_writer_mode(kiln_writer *w, const char *mode);
/* Spark's writing options of the format (header, sep, compression, ...). */
KILN_API kiln_writer *kiln_writer_option(kiln_writer *w, const char *key, const char *value);
/* df.write.partitionBy(cols): rows go to Hive-style directories
 * col1=v1/col2=v2/ under the path (values escaped as Spark does; null and
 * "" as __HIVE_DEFAULT_PARTITION__), the columns left out of the files
 * (copied; n 0 clears). Overwrite replaces the whole path unless option
 * partitionOverwriteMode (or the session's
 * kiln.sql.sources.partitionOverwriteMode) is "dynamic": then only the
 * partitions written are replaced. Option maxOpenWriters (default 16;
 * kiln.sql.sources.maxOpenWriters) bounds the files a task has open. */
KILN_API kiln_writer *kiln_writer_partition_by(kiln_writer *w, const char *const *cols, int n);
/* Writes the rows into the directory path (Spark's part-NNNNN-<uuid>-c000
 * files and _SUCCESS) and frees w. A failed job leaves what was at path
 * intact (overwrite included); overwriting a path the DataFrame reads is
 * refused (UNSUPPORTED_OVERWRITE.PATH); error mode on an existing path
 * fails with PATH_ALREADY_EXISTS (KILN_EEXIST); ignore then does nothing. */
KILN_API int kiln_writer_save(kiln_writer *w, const char *path);
KILN_API int kiln_writer_csv(kiln_writer *w, const char *path);
KILN_API int kiln_writer_json(kiln_writer *w, const char *path);
KILN_API int kiln_writer_text(kiln_writer *w, const char *path);
KILN_API int kiln_writer_parquet(kiln_writer *w, const char *path);

/* df.rdd: the rows as an RDD of tuples (one item per column, values as
 * kiln_df_collect gives them: include/kiln/value.h), for the RDD API and
 * the ML library. Owned by the caller (kiln_rdd_free). */
KILN_API kiln_rdd *kiln_df_to_rdd(kiln_df *df);

/* ---- Columnar transfer (toPandas, createDataFrame(pandas)) ----------------------------- */

/* How a column's values are laid out in a kiln_column. Fixed-width kinds
 * hold n values in data (a null row's slot is 0); strings and binary hold
 * offsets[n + 1] into bytes; VALUES holds one kiln_value per row (decimal,
 * intervals, arrays, maps and structs, as kiln_df_collect gives them). */
typedef enum kiln_column_kind {
    KILN_COLUMN_VALUES = 0,
    KILN_COLUMN_BOOL = 1,      /* uint8 0/1 */
    KILN_COLUMN_INT8 = 2,      /* tinyint */
    KILN_COLUMN_INT16 = 3,     /* smallint */
    KILN_COLUMN_INT32 = 4,     /* int */
    KILN_COLUMN_INT64 = 5,     /* bigint */
    KILN_COLUMN_FLOAT = 6,     /* float */
    KILN_COLUMN_DOUBLE = 7,    /* double */
    KILN_COLUMN_DATE = 8,      /* int32 days since 1970-01-01 */
    KILN_COLUMN_TIMESTAMP = 9, /* int64 microseconds since 1970-01-01 00:00 UTC */
    KILN_COLUMN_STRING = 10,   /* UTF-8 */
    KILN_COLUMN_BINARY = 11,
    KILN_COLUMN_NULL = 12, /* the void type: every row null, no buffers */
} kiln_column_kind;

/* One column of n rows. */
typedef struct kiln_column {
    const char *name;
    const char *type;   /* Spark's type name: "bigint", "string", "decimal(10,2)" */
    int kind;           /* kiln_column_kind */
    void *data;         /* fixed-width kinds */
    uint8_t *valid;     /* n bytes, 1 a value, 0 a null; NULL: no nulls */
    int64_t *offsets;   /* STRING, BINARY: n + 1, offsets[0] = 0 */
    char *bytes;        /* STRING, BINARY */
    kiln_value *values; /* VALUES */
} kiln_column;

/* A DataFrame's rows column by column (kiln_df_collect_columns). */
typedef struct kiln_columns {
    int ncols;
    int64_t nrows;
    kiln_column *cols;
} kiln_columns;

/* Runs df and gives its rows as whole columns in *out (owned: free it with
 * kiln_columns_free), each in the layout of its kind, for copying into
 * numpy arrays without a loop per row. Returns KILN_OK or the error. */
KILN_API int kiln_df_collect_columns(kiln_df *df, kiln_columns **out);
KILN_API void kiln_columns_free(kiln_columns *c);
/* spark.createDataFrame(columns): a DataFrame of nrows rows from ncols
 * columns laid out as kiln_df_collect_columns gives them (name, type and
 * kind set; type one of boolean, tinyint, smallint, int, bigint, float,
 * double, date, timestamp, string, binary, matching kind; VALUES is not
 * taken). Borrows cols: the rows are copied, split into the context's
 * default parallelism of partitions. NULL with the error on a bad column. */
KILN_API kiln_df *kiln_session_create_data_frame_columns(kiln_session *s, const kiln_column *cols,
                                                         int ncols, int64_t nrows);

/* ---- Actions ------------------------------------------------------------------------- */

KILN_API int kiln_df_count(kiln_df *df, int64_t *out);
/* The rows as a list of tuples (one item per column: see
 * include/kiln/value.h for how SQL types map to values), in a. */
KILN_API int kiln_df_collect(kiln_df *df, kiln_arena *a, kiln_value *out);
KILN_API int kiln_df_take(kiln_df *df, int64_t n, kiln_arena *a, kiln_value *out);
/* df.head(n): take; df.first(): the first row (a tuple), or a null value
 * when df is empty. */
KILN_API int kiln_df_head(kiln_df *df, int64_t n, kiln_arena *a, kiln_value *out);
KILN_API int kiln_df_first(kiln_df *df, kiln_arena *a, kiln_value *out);
/* df.show(n, truncate) on stdout; kiln_df_show_string returns the text
 * (malloc; the caller frees it), or NULL. */
KILN_API int kiln_df_show(kiln_df *df, int n, int truncate);
KILN_API char *kiln_df_show_string(kiln_df *df, int n, int truncate);
/* df.printSchema() on stdout, and as text (malloc). */
KILN_API int kiln_df_print_schema(kiln_df *df);
KILN_API char *kiln_df_schema_string(kiln_df *df);
/* df.explain(): the logical and optimised plans (malloc). */
KILN_API char *kiln_df_explain_string(kiln_df *df);

#ifdef __cplusplus
}
#endif
#endif
