/*
 * sql/scan_int.h - datasets in the SQL layer (scan_dataset.c): the schema
 * of a file source with its partition columns, filters pushed from a
 * PLAN_FILTER into the PLAN_SCAN below it (and their wire form and
 * EXPLAIN text), partition pruning and packing splits into tasks when
 * the executor plans a scan, and the ds_filters a task passes its readers.
 */
#ifndef KILN_SQL_SCAN_INT_H
#define KILN_SQL_SCAN_INT_H

#include "datasource/datasource.h"
#include "sql/exec.h"
#include "sql/optimize.h"
#include "sql/plan.h"

#pragma GCC visibility push(hidden)

/* The full schema of paths read as fmt with options o (user: the
 * DataFrame reader's schema or NULL): data columns, then the partition
 * columns discovered; *base and *npart for the PLAN_SCAN; *pos: where
 * Spark shows each column (ds_dataset_schema_pos). In a. */
int scan_dataset_schema(kiln_arena *a, const char *fmt, const char *paths, const ds_options *o,
                        const col_schema *user, col_schema *out, const char **base, int *npart,
                        int **pos);
/* The optimiser's last pass: each PLAN_FILTER right over a PLAN_SCAN gets
 * its pushable conjuncts (column op literal of the column's type)
 * attached to a copy of the scan (the filter keeps them). */
int opt_push_scan_filters(opt *o, plan *p, plan **out);
/* A plan_pushed op beside ds_filter_op: a conjunct over partition columns
 * only (vals[0]: it with column i meaning partition column i), evaluated
 * on each partition's values when the scan's tasks are planned; kept at
 * the driver (not sent with the plan, not given to readers). */
#define SCAN_PUSHED_PART_EXPR 0xFE
/* The conjunct c over scan s's output as such a filter, or false. */
bool scan_part_expr(kiln_arena *a, const plan *s, expr *c, plan_pushed *out);
/* Clears keep[r] (r < d->ndirs) for the partitions whose values fail the
 * SCAN_PUSHED_PART_EXPR filters of p (an evaluation error keeps all). */
int scan_prune_exprs(const plan *p, const ds_dataset *d, kiln_arena *a, bool *keep);

/* Casts around pushed literals (scan_cast.c): the column under e (e, or
 * e under a cast that maps values one to one and in order), or NULL; the
 * literal of the column's type that constant k, compared with side (col
 * or its widening cast), stands for exactly, or NULL. In a. */
const expr *scan_cast_col(const expr *e);
expr *scan_cast_lit(kiln_arena *a, const opt *o, const expr *side, const expr *col, expr *k);
/* The tasks of PLAN_SCAN p: its dataset listed, files of partitions that
 * fail a pushed filter dropped, splits packed (ds_dataset_plan); each of
 * *n values (in a) is one task's tuple of (path, start, length) splits. */
int scan_plan_tasks(const plan *p, int min_parts, kiln_arena *a, kiln_value **vals, int *n);
/* The same with the session's kiln.sql.files.* settings (set; NULL: none)
 * as the scan's options where it has none of its own. */
int scan_plan_tasks_set(const plan *p, const sql_settings *set, int min_parts, kiln_arena *a,
                        kiln_value **vals, int *n);
/* p's pushed filters as ds_filters (values in a). */
int scan_filters(const plan *p, kiln_arena *a, ds_filter **out, int *n);
/* Appends ", PartitionFilters: [...], PushedFilters: [...]" for a scan
 * with pushed filters (Spark's FileScan line). */
int plan_explain_scan(kiln_buf *b, const plan *p);
/* The dataset fields of a PLAN_SCAN's source on the wire and back. */
void scan_put_dataset(wire_writer *w, const plan_source *s);
int scan_get_dataset(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, plan_source *s);

#pragma GCC visibility pop
#endif
