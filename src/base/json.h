/*
 * base/json.h - JSON for status documents, the UI's REST API and event
 * log: a writer into a kiln_buf (json.c) and a bounded reader of one
 * document (json_read.c) for event log lines.
 */
#ifndef KILN_JSON_H
#define KILN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

/* ---- Writing (json.c) ---------------------------------------------------------------- */

/* Appends s as a JSON string literal (quotes included): '"', '\\' and control
 * characters are escaped, invalid UTF-8 bytes become U+FFFD, so the output is
 * always valid JSON whatever s holds. KILN_OK or KILN_ENOMEM. */
int json_put_str(kiln_buf *b, const char *s);
/* The same for n bytes at s (which may hold NULs: they become \u0000). */
int json_put_strn(kiln_buf *b, const char *s, size_t n);

#define JSON_MAX_DEPTH 256

/* A writer that places the commas: open objects and arrays, give keys and
 * values, close them. Errors are sticky: json_writer_finish returns the
 * first (KILN_ENOMEM, or KILN_ERANGE past JSON_MAX_DEPTH levels). The
 * caller pairs begins and ends and gives a key before each member. */
typedef struct json_writer {
    kiln_buf *b; /* borrowed */
    int rc, depth;
    bool after_key;
    bool first[JSON_MAX_DEPTH];
} json_writer;
void json_writer_init(json_writer *w, kiln_buf *b);
void json_obj_begin(json_writer *w);
void json_obj_end(json_writer *w);
void json_arr_begin(json_writer *w);
void json_arr_end(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_str(json_writer *w, const char *s); /* NULL writes null */
void json_int(json_writer *w, int64_t v);
void json_double(json_writer *w, double v); /* shortest that reads back; NaN/inf: null */
void json_bool(json_writer *w, bool v);
void json_null(json_writer *w);
/* text as it is: the caller vouches that it is one JSON value. */
void json_raw(json_writer *w, const char *text);
int json_writer_finish(const json_writer *w);

/* ---- Reading (json_read.c) ---------------------------------------------------------- */

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

/* A parsed value; everything lives in the arena it was parsed into. */
typedef struct json_node json_node;
struct json_node {
    json_type type;
    bool b;          /* JSON_BOOL */
    bool is_int;     /* JSON_NUMBER written without fraction or exponent that fits int64 */
    int64_t i;       /* ... its value */
    double num;      /* JSON_NUMBER */
    const char *str; /* JSON_STRING: UTF-8, NUL-terminated (may hold NULs: see len) */
    size_t len;
    /* JSON_ARRAY: n items; JSON_OBJECT: n members, keys[i] naming items[i] */
    json_node **items;
    const char **keys;
    size_t n;
};

/* Limits of json_doc_parse: nesting depth and members of one container. */
#define JSON_READ_MAX_DEPTH 256
#define JSON_READ_MAX_ITEMS (1u << 24)

/* Parses the n bytes at p as one JSON document (RFC 8259: UTF-8, no
 * trailing garbage but whitespace) into arena a, without recursion.
 * KILN_OK with *out, or KILN_ECORRUPT with a message naming the byte
 * offset and what was expected ("byte 17: expected ':' after an object
 * key") in err (size bytes), also set as the thread's last error;
 * KILN_ENOMEM. */
int json_doc_parse(kiln_arena *a, const char *p, size_t n, json_node **out, char *err, size_t size);
/* The member key of object o (the last one when repeated), or NULL (also
 * when o is NULL or not an object). */
const json_node *json_get(const json_node *o, const char *key);
/* v's value when it is a number (integral numbers: their int64 value;
 * others truncated), else dflt. */
int64_t json_get_int(const json_node *o, const char *key, int64_t dflt);
double json_get_num(const json_node *o, const char *key, double dflt);
/* The string member's text, or NULL. */
const char *json_get_str(const json_node *o, const char *key);
/* The bool member's value, or dflt. */
bool json_get_bool(const json_node *o, const char *key, bool dflt);
/* Writes parsed value v (and what it holds) to w again (json.c; nesting
 * is at most JSON_READ_MAX_DEPTH, as json_doc_parse made it). */
void json_write_node(json_writer *w, const json_node *v);

#pragma GCC visibility pop

#endif
