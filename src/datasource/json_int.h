/*
 * datasource/json_int.h - private to the JSON files of src/datasource: the
 * options, a small DOM of one record (json_scan.c) in an arena, and the
 * inference helpers shared with the reader.
 */
#ifndef KILN_JSON_INT_H
#define KILN_JSON_INT_H

#include "datasource/ds_int.h"

#pragma GCC visibility push(hidden)

typedef struct json_opts {
    bool multiline, primitives_as_string, prefers_decimal, allow_comments, allow_unquoted_names,
        allow_single_quotes, allow_leading_zeros, allow_backslash_any, allow_non_numeric,
        allow_control_chars, drop_all_null, ignore_null_fields;
    ds_mode mode;
    const char *corrupt;
    char linesep; /* '\0' = \n, \r\n */
    int32_t tz_sec;
    const char *ts_fmt, *ntz_fmt;
    double sampling;
} json_opts;

int json_opts_parse(json_opts *j, const ds_options *o);

enum { J_NULL, J_BOOL, J_INT, J_FLOAT, J_STR, J_ARR, J_OBJ };

typedef struct json_val json_val;
struct json_val {
    uint8_t kind;
    bool b;
    uint32_t n;        /* string/number text length; items */
    const char *s;     /* string value or number text (in the arena or the input) */
    json_val *items;   /* array items; object values */
    const char **keys; /* object keys */
    uint32_t *klen;
};

#define JSON_MAX_DEPTH 512

/* Parses one JSON value from p[0..n) with the options' leniencies into
 * *out (in a). *used gets the bytes consumed (after trailing blanks).
 * Returns KILN_OK, KILN_ECORRUPT (message: what and the byte offset), or
 * KILN_ENOMEM. */
int json_parse(const json_opts *j, const char *p, size_t n, kiln_arena *a, json_val *out,
               size_t *used);
/* Appends v as compact JSON text. */
int json_serialize(kiln_buf *b, const json_val *v);
/* Appends s[0..n) as a JSON string literal (quotes included). */
int json_put_string(kiln_buf *b, const char *s, size_t n);

/* The type of one value for inference (NULL kind for null), in a. */
const col_type *json_infer_value(const json_opts *j, kiln_arena *a, const json_val *v);
/* Spark's JsonInferSchema.compatibleType. */
const col_type *json_merge(kiln_arena *a, const col_type *x, const col_type *y);

#pragma GCC visibility pop
#endif
