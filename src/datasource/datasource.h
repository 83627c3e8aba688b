/*
 * datasource/datasource.h - file data sources of the SQL layer: CSV, JSON
 * Lines and text read into columnar batches (column.h) and written as part
 * files through the io committer, with Spark's option names and semantics
 * (sql-data-sources-csv/json/text). The layer sits on column (batches),
 * io (listing, decompression, committing) and base.
 *
 * Use: build a ds_options, plan the splits of the input paths, get the
 * schema (inferred, or the `schema` option's DDL), then open one reader per
 * split; each ds_reader_next fills a batch of up to COL_VEC_SIZE rows.
 * Readers and writers are used by one thread at a time; different ones may
 * run on different threads.
 *
 * Errors set kiln_last_error(): bad options name the option, bad data names
 * the file, the line, the column and the value (FAILFAST), e.g.
 *   [MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are
 *   detected in record parsing: in.csv:3: column "age": cannot parse as int "x"
 */
#ifndef KILN_DATASOURCE_H
#define KILN_DATASOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"
#include "io/io.h"

#pragma GCC visibility push(hidden)

/* ---- Options --------------------------------------------------------------- */

/* Case-insensitive key -> value list (Spark's option map). */
typedef struct ds_options ds_options;

/* Returns an owned, empty option list, or NULL when out of memory. */
ds_options *ds_options_new(void);
/* Frees o (NULL is ignored). */
void ds_options_free(ds_options *o);
/* Sets key to value (both copied; a later set of the same key, in any case,
 * replaces it). Returns KILN_OK or KILN_ENOMEM. Values are checked when a
 * reader or writer is opened, where a bad one gives KILN_EINVAL naming it. */
int ds_options_set(ds_options *o, const char *key, const char *value);
/* The value of key (any case), or NULL when unset. Borrowed, valid until
 * the key is set again or o is freed. */
const char *ds_options_get(const ds_options *o, const char *key);

/* ---- Planning -------------------------------------------------------------- */

/* A byte range of one input file; len -1 = the whole file (compressed,
 * archives, multiLine, wholetext). */
typedef struct ds_split {
    const char *path;
    int64_t start, len;
} ds_split;

/* The splits of paths (a file, a directory, a glob or a comma list of
 * these, as io_text_splits lists them) for format "csv", "json" or "text".
 * Plain files are cut as Spark's FilePartition does: split size =
 * min(maxPartitionBytes (128m), max(openCostInBytes (4m), total bytes /
 * min_splits)), options "maxPartitionBytes" and "openCostInBytes"; files
 * that are compressed, or read with multiLine / wholetext, are whole. Empty
 * files give none. *out (and the paths) live in a. Returns KILN_OK,
 * KILN_ENOENT naming a missing path, or KILN_EINVAL for a bad option. */
int ds_plan_splits(const char *format, const char *paths, const ds_options *o, int min_splits,
                   kiln_arena *a, ds_split **out, int *n);

/* ---- Schema ---------------------------------------------------------------- */

/* The schema of paths read as format: the `schema` option (a DDL string,
 * "a INT, b STRING") when set; else for CSV the header's names (or _c0,
 * _c1, ...) typed by inference when inferSchema is true (over a
 * samplingRatio share of the records) and string otherwise; for JSON always
 * inferred (fields sorted by name); for text `value STRING`. Everything
 * lives in a. Returns KILN_OK or an error naming the file or option. */
int ds_infer_schema(const char *format, const char *paths, const ds_options *o, kiln_arena *a,
                    col_schema *out);

/* ---- Reading --------------------------------------------------------------- */

typedef struct ds_reader ds_reader;

/* Opens a reader of split s (borrowed; must outlive the reader) of format
 * "csv", "json" or "text" with the full schema (borrowed) and the columns
 * proj[0..nproj) of it to produce (copied; NULL = all, in order). A string
 * column named by columnNameOfCorruptRecord (default _corrupt_record) gets
 * the raw text of malformed records. Returns KILN_OK and an owned reader,
 * or KILN_EINVAL naming a bad option, KILN_ENOENT / KILN_EIO naming the file. */
int ds_reader_open(const char *format, const ds_split *s, const col_schema *schema, const int *proj,
                   int nproj, const ds_options *o, ds_reader **out);
/* A pushed-down filter: one conjunct "column op literal(s)" over the full
 * schema. A reader may use it to skip what it can prove holds no matching
 * row (Parquet row groups and pages by their statistics, partitions by
 * their values) but never drops rows on its account: the SQL layer keeps
 * the filter above the scan. Literals are of the column's type (the SQL
 * layer casts them or does not push the conjunct). */
typedef enum ds_filter_op {
    DS_F_EQ,           /* col = v (null-intolerant: a null never matches) */
    DS_F_EQ_NULL_SAFE, /* col <=> v */
    DS_F_LT,
    DS_F_LE,
    DS_F_GT,
    DS_F_GE,
    DS_F_IN,          /* col IN (values: n rows) */
    DS_F_IS_NULL,     /* no values */
    DS_F_IS_NOT_NULL, /* no values */
} ds_filter_op;

typedef struct ds_filter {
    int col;        /* index in the full schema */
    uint8_t op;     /* ds_filter_op */
    col_vec values; /* the literal(s), values.n rows of the column's type; none for IS [NOT] NULL */
} ds_filter;

/* ds_reader_open with pushed-down filters f[0..nf) (borrowed; must outlive
 * the reader). Formats that cannot use them ignore them. */
int ds_reader_open_pushed(const char *format, const ds_split *s, const col_schema *schema,
                          const int *proj, int nproj, const ds_filter *f, int nf,
                          const ds_options *o, ds_reader **out);

/* Fills out with the next up to COL_VEC_SIZE rows (vectors in a; strings
 * may point into the reader's buffer). Returns 1 for a batch (n >= 1), 0 at
 * the end, or a negative error (FAILFAST: KILN_ECORRUPT naming file, line,
 * column, value). The batch is valid until the next call on r, a reset
 * of a, or ds_reader_close. */
int ds_reader_next(ds_reader *r, kiln_arena *a, col_batch *out);
/* Bytes r has read from storage so far (a task's input metrics): CSV the
 * file's bytes (a compressed file's content), Parquet the footer, indexes
 * and column chunks read, JSON and text their lines with one byte for each
 * line's end (as the RDD text source counts) or whole files' contents. */
int64_t ds_reader_bytes_read(const ds_reader *r);
/* Frees r (NULL is ignored). */
void ds_reader_close(ds_reader *r);

/* ---- Datasets: many files, Hive-style partitions (partition.c, dataset.c) ---- */

/* A file of a dataset: its size from the listing, and its partition
 * directory (an index into the dataset's values; -1 when not partitioned). */
typedef struct ds_file {
    const char *path;
    int64_t size;
    int dir;
} ds_file;

/* The files named by some paths, with their partitioning. */
typedef struct ds_dataset {
    int nfiles;
    ds_file *files;   /* sorted by path */
    const char *base; /* the partitioning's base path; NULL when not partitioned */
    col_schema parts; /* the partition columns, top directory first */
    int ndirs;        /* distinct partition directories */
    col_vec *values;  /* values[c]: ndirs rows, column c's value in each directory */
} ds_dataset;

/* Lists paths (as ds_plan_splits names them; directories recursively,
 * hiding names starting with '.' or with '_' unless they hold '=') and
 * discovers Hive-style partitions as Spark does: k=v directories between
 * a base path (option basePath, else each input directory or a file's
 * parent) and the files, the same names at every leaf (else "Conflicting
 * partition column names detected"), one base (else "Conflicting
 * directory structures detected"), files outside partition directories
 * and under _temporary left out. Types are inferred from the values as
 * Spark does (int, bigint, decimal(p,0), double, timestamp, date, string;
 * merged over directories; option partitionColumnTypeInference=false:
 * strings) unless user (may be NULL) names the column; values are
 * unescaped (%XX), __HIVE_DEFAULT_PARTITION__ is null. Options
 * recursiveFileLookup (no partition discovery) and timeZone. Sizes come
 * from the listing (no file is opened). Everything lives in a. Returns
 * KILN_OK, KILN_ENOENT naming a missing path, or KILN_EINVAL (conflicts). */
int ds_dataset_list(const char *paths, const ds_options *o, const col_schema *user, kiln_arena *a,
                    ds_dataset *out);
/* The full schema of dataset d read as format: the data columns (user's
 * when not NULL, else the `schema` option's, else inferred from d's files)
 * less any named as a partition column, then d's partition columns (Spark's
 * order). In a. Returns KILN_OK or an inference error. */
int ds_dataset_schema(const char *format, const ds_dataset *d, const ds_options *o,
                      const col_schema *user, kiln_arena *a, col_schema *out);
/* ds_dataset_schema with *pos (in a): pos[i] is where Spark shows column
 * i of out (mergeDataAndPartitionSchema: a data column named as a
 * partition column keeps its place in the data, with the partition's type
 * and values; the other partition columns come last). An inferred data
 * column of that name stays in out's data columns (the files have it)
 * with pos -1: not shown. */
int ds_dataset_schema_pos(const char *format, const ds_dataset *d, const ds_options *o,
                          const col_schema *user, kiln_arena *a, col_schema *out, int **pos);
/* A file's partition values: each k=v directory of path below base (its
 * first path.length bytes) parsed as its column of parts, null when
 * absent, __HIVE_DEFAULT_PARTITION__ or not of the type; out[c] is a
 * one-row vector (in a); tz is the zone of timestamps without one. */
int ds_partition_values(const char *path, const char *base, const col_schema *parts, int32_t tz,
                        kiln_arena *a, col_vec *out);
/* Whether row i of v (the filter's column's type) may pass f: false only
 * when it cannot (pruning a partition). */
bool ds_filter_may_match(const ds_filter *f, const col_vec *v, uint32_t i);
/* Appends s[0..n) escaped as Spark escapes partition path names (control
 * characters and "#%'*\/:=?\\{[]^ as %XX); KILN_OK or KILN_ENOMEM. */
int ds_escape_path_name(kiln_buf *b, const char *s, size_t n);
/* Unescapes %XX of s[0..n) into out (room for n bytes); returns its length. */
size_t ds_unescape_path_name(const char *s, size_t n, char *out);

/* A dataset's scan: its splits grouped into tasks. */
typedef struct ds_scan_plan {
    ds_split *splits; /* nsplits, task t's being [task_start[t], task_start[t + 1]) */
    int nsplits;
    int *task_start; /* ntasks + 1 */
    int ntasks;
    int64_t split_bytes; /* Spark's maxSplitBytes used */
} ds_scan_plan;
/* Plans the scan of d's files (keep[i] false: file i is pruned; keep NULL:
 * all) as Spark's FilePartition: maxSplitBytes = min(maxPartitionBytes
 * (128m), max(openCostInBytes (4m), (bytes + files * openCost) /
 * minPartitionNum (option, else min_parts))); plain files are cut into
 * splits of that size (compressed, multiLine, wholetext: whole), splits
 * sorted by size descending and packed next-fit into tasks of at most
 * maxSplitBytes, each split costing openCostInBytes more. In a. */
int ds_dataset_plan(const char *format, const ds_dataset *d, const bool *keep, const ds_options *o,
                    int min_parts, kiln_arena *a, ds_scan_plan *out);
/* ds_reader_open_pushed over a file of a partitioned dataset: schema's
 * last npart columns are partition columns whose values come from s's
 * path below base (ds_partition_values), given as constant vectors; the
 * format reads the others. Filters on partition columns that the file's
 * values fail make it read nothing (it is not opened); the rest go to the
 * format. npart 0: ds_reader_open_pushed. */
int ds_reader_open_part(const char *format, const ds_split *s, const char *base, int npart,
                        const col_schema *schema, const int *proj, int nproj, const ds_filter *f,
                        int nf, const ds_options *o, ds_reader **out);

/* ---- Writing --------------------------------------------------------------- */

typedef struct ds_writer ds_writer;

/* Opens the part file of one task attempt of a write job (job borrowed,
 * from io_output_job_begin) in format "csv", "json" or "text" with the
 * schema of the batches to come (borrowed; must outlive the writer). The
 * file is named like Spark's part-PPPPP-<uuid>-c000.csv[.gz]; uuid is the
 * job's (any string, borrowed; NULL = none). Options: compression (none,
 * gzip, zstd) and the format's writing options. Returns KILN_OK and an
 * owned writer, or KILN_EINVAL naming a bad option (text: the schema must
 * be exactly one string column). */
int ds_writer_open(const char *format, io_output_job *job, int partition, int attempt,
                   const char *uuid, const col_schema *schema, const ds_options *o,
                   ds_writer **out);
/* ds_writer_open for one of several files of a task attempt: the file
 * dir/part-PPPPP-<uuid>-cNNN.<ext> (dir relative, "a=1/b=x"; NNN =
 * counter) in the attempt (io_task_output_open_in; fresh: the attempt's
 * first file). End it with ds_writer_close (kept in the attempt, which
 * io_task_attempt_commit commits) or ds_writer_abort. */
int ds_writer_open_in(const char *format, io_output_job *job, int partition, int attempt,
                      const char *dir, int counter, bool fresh, const char *uuid,
                      const col_schema *schema, const ds_options *o, ds_writer **out);
/* Finishes and closes a file of ds_writer_open_in; frees w in every case.
 * Returns KILN_OK or an I/O error. */
int ds_writer_close(ds_writer *w);
/* A file of ds_writer_open_in set aside without ending it: its bytes
 * written out, its file closed and its buffers freed (a few hundred bytes
 * of state stay), so that ds_writer_resume goes on appending to the same
 * file. Only text formats without compression can (ds_writer_suspendable);
 * others return KILN_EINVAL. Returns KILN_OK or an I/O error. */
int ds_writer_suspend(ds_writer *w);
int ds_writer_resume(ds_writer *w);
bool ds_writer_suspendable(const ds_writer *w);

/* A task's writer of a partitioned write (write_part.c): each row goes to
 * the file of its partition directory "k1=v1/k2=v2" (values as text,
 * escaped with ds_escape_path_name, null or "" as
 * __HIVE_DEFAULT_PARTITION__), the partition columns left out of the
 * files. At most max_open files are open at once: opening one more closes
 * the least recently used, and a later row of that directory starts a new
 * file (counter + 1: -c001), unless the format can be suspended (text
 * formats without compression: ds_writer_suspend), when the same file is
 * appended to later. Memory: max_open writers' buffers (the io buffer,
 * 256 KiB, and the format's line buffer) plus, per directory, an entry
 * and a suspended writer's state (a few hundred bytes). */
typedef struct ds_part_writer ds_part_writer;
/* Opens the writer of attempt A of task P for batches of schema (borrowed;
 * must outlive it) whose columns part[0..npart) (copied) are the
 * partition columns, in directory order. Returns KILN_OK, KILN_EINVAL or
 * KILN_ENOMEM. Nothing is created until a row comes. */
int ds_part_writer_open(const char *format, io_output_job *job, int partition, int attempt,
                        const char *uuid, const col_schema *schema, const int *part, int npart,
                        int max_open, const ds_options *o, ds_part_writer **out);
/* Writes b's live rows (borrowed). Returns KILN_OK or an I/O error. */
int ds_part_writer_write(ds_part_writer *pw, const col_batch *b);
/* Closes every file and commits the attempt (with no file: an empty
 * commit); frees pw in every case. */
int ds_part_writer_commit(ds_part_writer *pw);
/* Deletes the attempt's files; frees pw (NULL is ignored). */
void ds_part_writer_abort(ds_part_writer *pw);
/* Files the writer has opened so far (tests: the open-writer bound). */
int ds_part_writer_files(const ds_part_writer *pw);

/* Appends b's live rows (borrowed). Returns KILN_OK or an I/O error. */
int ds_writer_write(ds_writer *w, const col_batch *b);
/* Finishes and commits the part file; frees w in every case. */
int ds_writer_commit(ds_writer *w);
/* Deletes the attempt's file; frees w. */
void ds_writer_abort(ds_writer *w);

#pragma GCC visibility pop
#endif
