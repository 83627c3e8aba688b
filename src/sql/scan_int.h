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
#include "sql/optimize.h"
#include "sql/plan.h"

#pragma GCC visibility push(hidden)

/* The full schema of paths read as fmt with options o (user: the
 * DataFrame reader's schema or NULL): data columns, then the partition
 * columns discovered; *base and *npart for the PLAN_SCAN. In a. */
int scan_dataset_schema(kiln_arena *a, const char *fmt, const char *paths, const ds_options *o,
                        const col_schema *user, col_schema *out, const char **base, int *npart);
/* The optimiser's last pass: each PLAN_FILTER right over a PLAN_SCAN gets
 * its pushable conjuncts (column op literal of the column's type)
 * attached to a copy of the scan (the filter keeps them). */
int opt_push_scan_filters(opt *o, plan *p, plan **out);
/* The tasks of PLAN_SCAN p: its dataset listed, files of partitions that
 * fail a pushed filter dropped, splits packed (ds_dataset_plan); each of
 * *n values (in a) is one task's tuple of (path, start, length) splits. */
int scan_plan_tasks(const plan *p, int min_parts, kiln_arena *a, kiln_value **vals, int *n);
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
