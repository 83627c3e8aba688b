/*
 * datasource/ds_int.h - private interface between the files of
 * src/datasource: parsed option sets of each format, the byte input of a
 * split (plain files read in big blocks, compressed ones decompressed
 * whole), value parsers and formatters shared by CSV and JSON, and the
 * per-format reader and writer entry points behind datasource.h.
 */
#ifndef KILN_DS_INT_H
#define KILN_DS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "datasource/datasource.h"

#pragma GCC visibility push(hidden)

/* ---- Options (options.c) ---------------------------------------------------- */

typedef enum ds_mode { DS_PERMISSIVE, DS_DROPMALFORMED, DS_FAILFAST } ds_mode;

/* Option getters: each returns KILN_OK (leaving *out at def when unset) or
 * KILN_EINVAL naming the option and the bad value. */
int ds_opt_bool(const ds_options *o, const char *key, bool def, bool *out);
int ds_opt_int(const ds_options *o, const char *key, int64_t def, int64_t lo, int64_t hi,
               int64_t *out);
int ds_opt_size(const ds_options *o, const char *key, int64_t def, int64_t *out);
int ds_opt_double(const ds_options *o, const char *key, double def, double *out);
/* A string option, "" allowed; def when unset. */
const char *ds_opt_str(const ds_options *o, const char *key, const char *def);
/* A single character option ("" gives '\0' when allow_empty): Spark allows
 * exactly one character, or a backslash escape (\t \n \r \\ \0 \u0001). */
int ds_opt_char(const ds_options *o, const char *key, char def, bool allow_empty, char *out);
int ds_opt_mode(const ds_options *o, ds_mode *out);
/* Unescapes Spark's separator notation ("\t", "\\u0001", multi-char). */
int ds_unescape_sep(const char *key, const char *v, char *out, size_t cap, size_t *len);
/* Fails unless the encoding/charset option is UTF-8 (any spelling). */
int ds_opt_check_utf8(const ds_options *o);

/* ---- Values (value.c) ------------------------------------------------------- */

/* Parsers of one field's text (no NUL needed). All return true on success. */
bool ds_parse_i64(const char *p, size_t n, int64_t *out);
/* A double in Java's Double.parseDouble syntax (fast path for plain
 * decimals, strtod otherwise; "NaN", "Infinity", surrounding blanks). */
bool ds_parse_f64(const char *p, size_t n, double *out);
bool ds_parse_f64_general(const char *p, size_t n, double *out);

/* digits[.digits] from p[*i] on (at most 19 digits, the caller checks):
 * their value, *i after them, *intd and *frac the digits before and after
 * the point. */
static inline uint64_t ds_plain_digits(const char *p, size_t n, size_t *i, size_t *intd,
                                       size_t *frac)
{
    uint64_t m = 0;
    size_t k = *i, start = k;
    for (; k < n && (unsigned)(p[k] - '0') <= 9; k++) m = m * 10 + (unsigned)(p[k] - '0');
    *intd = k - start;
    *frac = 0;
    if (k < n && p[k] == '.') {
        size_t fs = ++k;
        for (; k < n && (unsigned)(p[k] - '0') <= 9; k++) m = m * 10 + (unsigned)(p[k] - '0');
        *frac = k - fs;
    }
    *i = k;
    return m;
}

/* The common double (n > 0): [-]digits[.digits], at most 19 characters after the
 * sign, the digits below 2^53 and at most 22 after the point: the division
 * of two exact doubles is correctly rounded, as strtod. False for the
 * general parser (which gives the same value when this one succeeds). */
static inline bool ds_parse_f64_plain(const char *p, size_t n, double *out)
{
    size_t i = p[0] == '-', intd, frac;
    if (n - i > 19 || n == i) return false;
    uint64_t m = ds_plain_digits(p, n, &i, &intd, &frac);
    if (i != n || intd + frac == 0 || m >= (UINT64_C(1) << 53)) return false;
    double d = (double)m / pow10_f64[frac];
    *out = p[0] == '-' ? -d : d;
    return true;
}

bool ds_parse_bool(const char *p, size_t n, bool *out);
/* A decimal rounded half-up to scale; false when it does not fit precision. */
bool ds_parse_decimal(const char *p, size_t n, int precision, int scale, __int128 *out);
bool ds_parse_decimal_general(const char *p, size_t n, int precision, int scale, __int128 *out);
/* Digits of an integer literal (optional sign) with no '.', for inference:
 * the number of digits, or -1 when p is not one. */
int ds_integer_digits(const char *p, size_t n);
/* Dates and timestamps. strict: exactly yyyy-MM-dd / the ISO timestamp
 * (for inference); else Spark's lenient forms (yyyy, yyyy-M, yyyy-M-d,
 * trailing T... or ' '...). Timestamps: yyyy-MM-dd[ T]HH:mm[:ss[.f{1,9}]]
 * with an optional zone (Z, UTC, +hh, +hh:mm, +hhmm); tz_sec is the
 * session zone's offset for values without a zone. */
bool ds_parse_date(const char *p, size_t n, bool strict, int32_t *days);
bool ds_parse_date_general(const char *p, size_t n, bool strict, int32_t *days);
bool ds_parse_timestamp(const char *p, size_t n, bool ntz, int32_t tz_sec, int64_t *us);
bool ds_parse_timestamp_general(const char *p, size_t n, bool ntz, int32_t tz_sec, int64_t *us);
/* The days of the last yyyy-MM-dd seen by ds_parse_timestamp_cached (a
 * reader's loop keeps one, zeroed, per column): a run of values of the
 * same day converts its date once. */
typedef struct ds_date_cache {
    uint64_t ymd; /* the bytes "yyyy-MM-" */
    uint16_t dd;
    bool valid;
    int64_t days;
} ds_date_cache;
bool ds_parse_timestamp_cached(const char *p, size_t n, bool ntz, int32_t tz_sec,
                               ds_date_cache *cache, int64_t *us);
/* A date/timestamp pattern this layer can parse and format itself (the
 * default ISO ones and yyyy-MM-dd HH:mm:ss[.SSS...] with optional XXX):
 * true when pattern is NULL or one of those. */
bool ds_pattern_supported(const char *pattern);
/* A session zone "UTC", "Z", "+hh:mm", "GMT+h" as an offset in seconds. */
bool ds_parse_zone(const char *s, int32_t *sec);

/* Formatters (append to b): Java's Double.toString / Float.toString, a
 * decimal with its scale, ISO dates, timestamps as
 * yyyy-MM-dd'T'HH:mm:ss[.SSS]XXX (ntz: without zone; with pattern
 * "yyyy-MM-dd HH:mm:ss" style formats the given form). */
int ds_fmt_double(kiln_buf *b, double d);
int ds_fmt_float(kiln_buf *b, float f);
int ds_fmt_decimal(kiln_buf *b, __int128 v, int scale);
int ds_fmt_date(kiln_buf *b, int32_t days);
int ds_fmt_timestamp(kiln_buf *b, int64_t us, bool ntz, int32_t tz_sec, const char *pattern);
int ds_fmt_i128(kiln_buf *b, __int128 v);
/* Days since 1970-01-01 of a proleptic Gregorian date and back. */
int32_t ds_days_from_civil(int64_t y, int m, int d);
void ds_civil_from_days(int32_t days, int64_t *y, int *m, int *d);

/* ---- Input (input.c) --------------------------------------------------------- */

/* The bytes of one split in a window buf[0..len): plain files (local or
 * object-store URLs) are read in blocks from the split's start through
 * io_file, compressed files and archive
 * members are decompressed whole (io_whole_reader). */
typedef struct ds_input {
    const ds_split *split;
    char *buf;       /* owned window */
    size_t len, cap; /* bytes held / allocated */
    int64_t off;     /* file offset of buf[0] */
    bool eof;        /* no bytes after buf[len) */
    io_file *file;   /* plain file, or NULL */
    io_whole_reader *whole;
    kiln_buf wbuf;    /* whole file's content */
    const char *name; /* file being read (split path, or ARCHIVE:MEMBER) */
    bool more_files;  /* whole reader may have more members */
    int64_t read;     /* bytes read: of a plain file, and the whole files' contents */
} ds_input;

/* Opens s (borrowed). For a whole split it loads the first file. */
int ds_input_open(ds_input *in, const ds_split *s);
/* Drops buf[0..keep_from) and reads more (growing buf when keep_from is 0
 * and it is full). Sets eof at the end. Returns KILN_OK or an I/O error. */
int ds_input_refill(ds_input *in, size_t keep_from);
/* Moves to the next file of a whole split (archive member): 1, 0 at the
 * end, or an error. */
int ds_input_next_file(ds_input *in);
void ds_input_close(ds_input *in);
/* The 1-based line number of byte offset off of the current file (counts
 * '\n' from the file's start; used for error messages only). */
int64_t ds_input_line_of(ds_input *in, int64_t off);
/* Whether every file of format is read whole under o (multiLine,
 * wholetext; dataset.c). */
int ds_whole_files(const char *format, const ds_options *o, bool *whole);
/* True for names read whole (.gz .bz2 .zst .zip .tar ...). */
bool ds_is_compressed(const char *path);

/* ---- Per-format entry points ---------------------------------------------- */

typedef struct ds_format_reader {
    int (*next)(ds_reader *r, kiln_arena *a, col_batch *out);
    void (*close)(ds_reader *r);
    int64_t (*bytes_read)(const ds_reader *r); /* NULL: not counted */
} ds_format_reader;

/* The part of every reader: its format's functions first. */
struct ds_reader {
    const ds_format_reader *fmt;
};

int ds_csv_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                       const ds_options *o, ds_reader **out);
int ds_json_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                        const ds_options *o, ds_reader **out);
int ds_text_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                        const ds_options *o, ds_reader **out);
/* Parquet (parquet_read.c): a reader of split s using pushed filters
 * f[0..nf) to skip row groups, and the schema of paths (the first file's,
 * or every file's merged with option mergeSchema). */
int ds_parquet_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                           const ds_filter *f, int nf, const ds_options *o, ds_reader **out);
int ds_parquet_infer(const char *paths, const ds_options *o, kiln_arena *a, col_schema *out);
/* The same over files paths[0..nf) (nf >= 1; all of them with mergeSchema,
 * else the first), and over a dataset's files. Errors name both files of
 * a column whose types do not merge. */
int ds_parquet_infer_files(const char *const *paths, size_t nf, const ds_options *o, kiln_arena *a,
                           col_schema *out);
int ds_parquet_infer_dataset(const ds_dataset *d, const ds_options *o, kiln_arena *a,
                             col_schema *out);
int ds_csv_infer(const ds_split *s, int n, const ds_options *o, kiln_arena *a, col_schema *out);
int ds_json_infer(const ds_split *s, int n, const ds_options *o, kiln_arena *a, col_schema *out);

/* Writers: the common part (the task output, buffering, compression) and
 * each format's row encoder. */
typedef struct ds_writer_fmt {
    int (*write)(ds_writer *w, const col_batch *b);
    void (*free)(ds_writer *w);
    int (*finish)(ds_writer *w); /* NULL, or output to make at the end (a footer) */
} ds_writer_fmt;

struct ds_writer {
    const ds_writer_fmt *fmt;
    io_task_output *out;
    const col_schema *schema;
    int compression; /* 0 none, 1 gzip, 2 zstd */
    void *z;         /* compressor state */
    kiln_buf line;   /* text being built */
    int32_t tz_sec;
    void *state;      /* the format's (freed by fmt->free) */
    const char *ext;  /* NULL, or the part files' extension (".snappy.parquet") */
    bool suspendable; /* a text format, uncompressed: ds_writer_suspend works */
};

int ds_writer_emit(ds_writer *w, const void *p, size_t n);
/* Emits w->line when it holds more than 64 KiB (force: any bytes). */
int ds_writer_flush_line(ds_writer *w, bool force);
/* Appends row i of v (a scalar type) as text: the CSV/JSON form of numbers,
 * dates (ISO) and timestamps (pattern, NULL = Spark's default). */
int ds_fmt_scalar(kiln_buf *b, const col_vec *v, uint32_t i, int32_t tz_sec,
                  const char *ts_pattern);
int ds_csv_writer_init(ds_writer *w, const ds_options *o);
int ds_json_writer_init(ds_writer *w, const ds_options *o);
int ds_text_writer_init(ds_writer *w, const ds_options *o);
/* Parquet compresses its pages itself (parquet_write.c). */
int ds_parquet_writer_init(ds_writer *w, const ds_options *o);

/* Sets a FAILFAST / malformed error in Spark's words naming file, line,
 * column and value; returns KILN_ECORRUPT. */
int ds_malformed(const char *file, int64_t line, const char *column, const char *value, size_t vlen,
                 const char *why);

#pragma GCC visibility pop
#endif
