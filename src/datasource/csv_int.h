/*
 * datasource/csv_int.h - private to the CSV files of src/datasource: the
 * parsed options (csv_options.c), the tokenizer over a byte window
 * (csv_scan.c) and the field converter shared by the reader and inference.
 */
#ifndef KILN_CSV_INT_H
#define KILN_CSV_INT_H

#include "datasource/ds_int.h"

#pragma GCC visibility push(hidden)

typedef struct csv_opts {
    char sep[16];
    size_t seplen;
    char quote, escape, esc_esc, comment; /* '\0' = none */
    char linesep;                         /* '\0' = "\n" or "\r\n" */
    bool header, infer, multiline, ign_lead, ign_trail, enforce, prefer_date;
    const char *null_value, *empty_value, *nan_value, *pos_inf, *neg_inf;
    size_t null_len, nan_len, pos_inf_len, neg_inf_len;
    bool fast; /* one-byte sep, no blank trimming: csv_tokenize's SIMD path applies */
    const char *date_fmt, *ts_fmt, *ts_ntz_fmt; /* NULL = ISO default */
    int64_t max_columns, max_chars;
    ds_mode mode;
    const char *corrupt;
    double sampling;
    int32_t tz_sec;
    /* writing */
    bool quote_all, escape_quotes, w_ign_lead, w_ign_trail;
    const char *w_empty_value;
    char w_linesep[8];
} csv_opts;

/* Parses and checks every CSV option (errors name the option). for_write
 * selects the writing defaults. */
int csv_opts_parse(csv_opts *c, const ds_options *o, bool for_write);

/* One field of a record: bytes [off, off + len) of the window, relative to
 * the record's start. CSV_F_QUOTED: was quoted (an empty one is
 * emptyValue); CSV_F_RAW: the span is the raw text (quotes and escapes
 * included) and csv_unescape gives the value. */
#define CSV_F_QUOTED 1u
#define CSV_F_RAW 2u
typedef struct csv_field {
    uint32_t off, len, flags;
} csv_field;

typedef struct csv_rec {
    csv_field *f;
    int n, cap;
    bool skip;        /* blank or comment line: no fields */
    uint32_t raw_len; /* the record's text without its line end */
} csv_rec;

/* Tokenizes the record starting at p (window up to end; eof: nothing
 * after end). Returns the bytes the record takes with its line end (> 0),
 * 0 when more input is needed to finish it, or KILN_ECORRUPT/KILN_ENOMEM
 * (too many columns / characters; message set). */
int64_t csv_tokenize(const csv_opts *c, const char *p, const char *end, bool eof, csv_rec *r);
/* The value of a CSV_F_RAW field: appended to out. */
int csv_unescape(const csv_opts *c, const char *p, size_t n, kiln_buf *out);
void csv_rec_release(csv_rec *r);
/* The length of a line end at p ("\n", "\r\n", lineSep), 0 if none. */
size_t csv_line_end(const csv_opts *c, const char *p, const char *end);

/* Walks the records of one split: skips the partial first line of a split
 * that starts inside a file, a UTF-8 BOM and the header at the start of
 * each file, stops after the last record that starts in the split. */
typedef struct csv_cursor {
    const csv_opts *c;
    ds_split split; /* a copy; a split inside a file starts 1 byte early */
    ds_input in;
    size_t pos;  /* next record in in.buf */
    int64_t end; /* records must start before this file offset */
    bool header_pending, file_start, skip_first;
    int64_t bom_end; /* 3 after a BOM: the record there counts as starting at 0 */
} csv_cursor;

int csv_cursor_open(csv_cursor *k, const csv_opts *c, const ds_split *s);
/* The next record: 1 (tokenized in r, starting at in.buf + *at), 0 at the
 * end of the split, 2 when the window would have to move and may_refill is
 * false (the caller still holds views into it), or a negative error. */
int csv_cursor_next(csv_cursor *k, csv_rec *r, bool may_refill, size_t *at);
void csv_cursor_close(csv_cursor *k);

#pragma GCC visibility pop
#endif
