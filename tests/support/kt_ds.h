/*
 * tests/support/kt_ds.h - helpers of the data source tests: read a path
 * with a format and options into one text of rows ("a|b|NULL\n" per row),
 * with the splits planned or cut at given offsets.
 */
#ifndef KT_DS_H
#define KT_DS_H

#include <stddef.h>
#include <stdint.h>

#include "datasource/datasource.h"

/* Options from key, value, ..., NULL. Owned (ds_options_free). */
ds_options *kt_ds_opts(const char *key, ...);
/* Reads every split of path: cut at the offsets cuts[0..ncuts) (ascending,
 * inside the file; ncuts -1: ds_plan_splits with 2 splits). schema NULL:
 * ds_infer_schema. Returns KILN_OK and *rows (malloc'd text), or the error
 * (message in kiln_last_error). *schema_text gets the schema's DDL-ish
 * form "a:int,b:string" when not NULL (malloc'd). */
int kt_ds_read(const char *format, const char *path, const ds_options *o, const char *ddl,
               const int64_t *cuts, int ncuts, char **rows, char **schema_text);
/* The text of one batch's live rows appended to *t (malloc-grown). */
void kt_ds_batch_text(const col_batch *b, char **t, size_t *len);
/* Appends p[0..n) to the NUL-terminated text *t of *len bytes (NULL at
 * first), as kt_ds_batch_text does: grown in powers of two. */
void kt_ds_text_add(char **t, size_t *len, const char *p, size_t n);

#endif
