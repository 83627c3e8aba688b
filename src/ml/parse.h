/*
 * ml/parse.h - what the text loaders of src/ml (load_libsvm.c, load_csv.c)
 * share: a fast, correctly rounded decimal number parser and the report of a
 * bad input line. Private to src/ml.
 */
#ifndef KILN_ML_PARSE_H
#define KILN_ML_PARSE_H

#include "ml/ml.h"

/* Parses the longest prefix of p[0..end) that is a decimal number:
 *     [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits]
 * or one of "nan", "inf", "infinity" (any case, optionally signed), exactly
 * as much as strtod would consume of such text, and stores its value (the
 * same bits as strtod in the C locale and the default rounding mode; NaN or
 * an infinity for those words and for a finite-looking number too large
 * for a double) in *out. Hexadecimal floats and leading spaces are not
 * accepted. Borrows p; needs no NUL. Returns the end of the number, or p
 * when p does not start with one (*out is then 0). */
KILN_HIDDEN const char *ml_parse_double(const char *p, const char *end, double *out);

/* Fails the task with "FILE:LINE: message" (col 0) or "FILE:LINE:COL:
 * message" (col > 0), FILE being the task's input file and LINE the number
 * of the line that starts at byte offset of it (found by reading the file,
 * so only for errors). Returns KILN_EUSER for `return ml_line_fail(...)`. */
KILN_HIDDEN int ml_line_fail(kiln_task *t, int64_t offset, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
