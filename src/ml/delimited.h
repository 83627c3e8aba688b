/*
 * ml/delimited.h - what the delimited-text transformers of src/ml
 * (hashing.c, one_hot.c) share: splitting a line into fields, trimming,
 * parsing numbers, and failing a task with a message that names the input
 * file and line of the record.
 *
 * Fields are plain: the delimiter always separates (no quoting), as in the
 * Criteo, Avazu and UCI files these transformers are made for.
 */
#ifndef KILN_ML_DELIMITED_H
#define KILN_ML_DELIMITED_H

#include "ml/ml.h"

/* A field: len bytes at s, borrowed from the line. */
typedef struct ml_field {
    const char *s;
    size_t len;
} ml_field;

/* Splits line[0..len) at delim into *fields (n of them; a line always has at
 * least one). Uses stack (cap entries) when the fields fit, else an array
 * from the task arena. Returns KILN_OK or KILN_ENOMEM (the task failed). */
KILN_HIDDEN int ml_split(kiln_task *t, const char *line, size_t len, char delim, ml_field *stack,
                         size_t cap, ml_field **fields, size_t *n);

/* printf arguments for a field in a message ("%.*s"), cut to 60 bytes. */
#define ML_SHOW(f) (int)((f).len < 60 ? (f).len : 60), (f).s

/* The field without surrounding spaces and tabs. */
KILN_HIDDEN ml_field ml_trim(ml_field f);

/* Parses the whole field (surrounding spaces allowed) as a finite double.
 * Returns false for empty text, trailing junk, NaN, infinities and
 * overflow. */
KILN_HIDDEN bool delim_parse_double(ml_field f, double *out);

/* Fails the task with "FILE:LINE: message", the file being the task's text
 * input and LINE found from the record's byte offset (the key of
 * kiln_text_file_with_offsets). Returns KILN_EUSER. */
KILN_HIDDEN int ml_fail_at(kiln_task *t, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Splits a (offset, line) record of kiln_text_file_with_offsets; fails the
 * task (and returns nonzero) when it is not one. */
KILN_HIDDEN int ml_offset_line(kiln_task *t, const kiln_value *in, int64_t *offset, ml_field *line);

/* The partition floor for reading text: min_partitions, or when it is 0
 * min(default parallelism, 2), as kiln_text_file. */
KILN_HIDDEN int ml_text_partitions(kiln_context *ctx, int min_partitions);

#endif
