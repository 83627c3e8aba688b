/*
 * datasource/write.c - the part of every writer: the task attempt's part
 * file from the io committer, the compression option (none, gzip, zstd)
 * and the dispatch to the format's row encoder.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "datasource/ds_int.h"

#define ZCHUNK (256u << 10)

typedef struct zstate {
    z_stream gz;
    ZSTD_CStream *zs;
    uint8_t *out;
} zstate;

static int out_write(ds_writer *w, const void *p, size_t n)
{
    return io_task_output_write(w->out, p, n);
}

/* Appends p[0..n) to the part file, through the compressor if any. */
int ds_writer_emit(ds_writer *w, const void *p, size_t n)
{
    zstate *z = w->z;
    if (w->compression == 0) return out_write(w, p, n);
    if (w->compression == 1) {
        z->gz.next_in = (Bytef *)p;
        z->gz.avail_in = (uInt)n;
        while (z->gz.avail_in) {
            z->gz.next_out = z->out;
            z->gz.avail_out = ZCHUNK;
            if (deflate(&z->gz, Z_NO_FLUSH) == Z_STREAM_ERROR)
                return kiln_set_error(KILN_EIO, "gzip compression failed");
            int rc = out_write(w, z->out, ZCHUNK - z->gz.avail_out);
            if (rc) return rc;
        }
        return KILN_OK;
    }
    ZSTD_inBuffer in = {p, n, 0};
    while (in.pos < in.size) {
        ZSTD_outBuffer ob = {z->out, ZCHUNK, 0};
        size_t r = ZSTD_compressStream(z->zs, &ob, &in);
        if (ZSTD_isError(r))
            return kiln_set_error(KILN_EIO, "zstd compression failed: %s", ZSTD_getErrorName(r));
        int rc = out_write(w, z->out, ob.pos);
        if (rc) return rc;
    }
    return KILN_OK;
}

static int finish(ds_writer *w)
{
    zstate *z = w->z;
    if (w->compression == 1) {
        int zr;
        do {
            z->gz.next_out = z->out;
            z->gz.avail_out = ZCHUNK;
            zr = deflate(&z->gz, Z_FINISH);
            int rc = out_write(w, z->out, ZCHUNK - z->gz.avail_out);
            if (rc) return rc;
        } while (zr == Z_OK);
        if (zr != Z_STREAM_END) return kiln_set_error(KILN_EIO, "gzip compression failed");
    } else if (w->compression == 2) {
        size_t left;
        do {
            ZSTD_outBuffer ob = {z->out, ZCHUNK, 0};
            left = ZSTD_endStream(z->zs, &ob);
            if (ZSTD_isError(left))
                return kiln_set_error(KILN_EIO, "zstd compression failed: %s",
                                      ZSTD_getErrorName(left));
            int rc = out_write(w, z->out, ob.pos);
            if (rc) return rc;
        } while (left);
    }
    return KILN_OK;
}

static void wfree(ds_writer *w)
{
    zstate *z = w->z;
    if (z) {
        if (w->compression == 1) deflateEnd(&z->gz);
        if (z->zs) ZSTD_freeCStream(z->zs);
        free(z->out);
        free(z);
    }
    if (w->fmt && w->fmt->free) w->fmt->free(w);
    kiln_buf_release(&w->line);
    free(w);
}

static int open_writer(const char *format, io_output_job *job, int partition, int attempt,
                       const char *dir, int counter, bool fresh, const char *uuid,
                       const col_schema *schema, const ds_options *o, ds_writer **out);

/* Opens a writer (see datasource.h). */
int ds_writer_open(const char *format, io_output_job *job, int partition, int attempt,
                   const char *uuid, const col_schema *schema, const ds_options *o, ds_writer **out)
{
    return open_writer(format, job, partition, attempt, NULL, 0, true, uuid, schema, o, out);
}

/* Opens a writer of a file in a directory of the attempt (see datasource.h). */
int ds_writer_open_in(const char *format, io_output_job *job, int partition, int attempt,
                      const char *dir, int counter, bool fresh, const char *uuid,
                      const col_schema *schema, const ds_options *o, ds_writer **out)
{
    return open_writer(format, job, partition, attempt, dir, counter, fresh, uuid, schema, o, out);
}

/* dir NULL: the task's one part file, committed with the writer; else
 * dir/part-PPPPP-<uuid>-cNNN.ext kept in the attempt (ds_writer_close). */
static int open_writer(const char *format, io_output_job *job, int partition, int attempt,
                       const char *dir, int counter, bool fresh, const char *uuid,
                       const col_schema *schema, const ds_options *o, ds_writer **out)
{
    *out = NULL;
    int (*init)(ds_writer *, const ds_options *) = NULL;
    if (strcasecmp(format, "csv") == 0) init = ds_csv_writer_init;
    else if (strcasecmp(format, "json") == 0) init = ds_json_writer_init;
    else if (strcasecmp(format, "text") == 0) init = ds_text_writer_init;
    else if (strcasecmp(format, "parquet") == 0) init = ds_parquet_writer_init;
    else
        return kiln_set_error(KILN_EINVAL,
                              "unknown data source format '%s' (csv, json, text, parquet)", format);
    int rc = ds_opt_check_utf8(o);
    if (rc) return rc;
    const char *comp = ds_options_get(o, "compression");
    if (!comp) comp = ds_options_get(o, "codec");
    if (init == ds_parquet_writer_init) comp = NULL; /* its pages are compressed */
    int compression = 0;
    if (comp == NULL || strcasecmp(comp, "none") == 0 || strcasecmp(comp, "uncompressed") == 0)
        compression = 0;
    else if (strcasecmp(comp, "gzip") == 0) compression = 1;
    else if (strcasecmp(comp, "zstd") == 0) compression = 2;
    else
        return kiln_set_error(KILN_EINVAL,
                              "option compression: '%s' is not supported (none, gzip, zstd)", comp);
    ds_writer *w = calloc(1, sizeof *w);
    if (!w) return KILN_ENOMEM;
    kiln_buf_init(&w->line);
    w->schema = schema;
    w->compression = compression;
    const char *tz = ds_options_get(o, "timeZone");
    if (tz && !ds_parse_zone(tz, &w->tz_sec)) {
        free(w);
        return kiln_set_error(KILN_EINVAL, "option timeZone: '%s' is not supported", tz);
    }
    if (compression) {
        zstate *z = calloc(1, sizeof *z);
        w->z = z;
        if (z) z->out = malloc(ZCHUNK);
        if (!z || !z->out) {
            wfree(w);
            return KILN_ENOMEM;
        }
        if (compression == 1 && deflateInit2(&z->gz, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                                             Z_DEFAULT_STRATEGY) != Z_OK) {
            w->compression = 0;
            wfree(w);
            return KILN_ENOMEM;
        }
        if (compression == 2 && !(z->zs = ZSTD_createCStream())) {
            wfree(w);
            return KILN_ENOMEM;
        }
    }
    if ((rc = init(w, o))) {
        wfree(w);
        return rc;
    }
    w->suspendable = compression == 0 &&
                     (init == ds_csv_writer_init || init == ds_json_writer_init ||
                      init == ds_text_writer_init);
    char suffix[160];
    snprintf(suffix, sizeof suffix, "%s%.64s-c%03d%s%s", uuid ? "-" : "", uuid ? uuid : "", counter,
             w->ext                        ? w->ext
             : init == ds_csv_writer_init  ? ".csv"
             : init == ds_json_writer_init ? ".json"
                                           : ".txt",
             compression == 1   ? ".gz"
             : compression == 2 ? ".zst"
                                : "");
    if (dir) {
        char *rel = NULL;
        if (asprintf(&rel, "%s/part-%05d%s", dir, partition, suffix) < 0) rel = NULL;
        rc = rel ? io_task_output_open_in(job, partition, attempt, rel, fresh, &w->out)
                 : KILN_ENOMEM;
        free(rel);
    } else {
        rc = io_task_output_open_named(job, partition, attempt, suffix, &w->out);
    }
    if (rc) {
        wfree(w);
        return rc;
    }
    w->suspendable = w->suspendable && io_task_output_suspendable(w->out);
    /* The format may have output to make at the start (a CSV header). */
    if (w->line.len) {
        rc = ds_writer_emit(w, w->line.data, w->line.len);
        w->line.len = 0;
        if (rc) {
            ds_writer_abort(w);
            return rc;
        }
    }
    *out = w;
    return KILN_OK;
}

/* Appends b's live rows. */
int ds_writer_write(ds_writer *w, const col_batch *b)
{
    return w->fmt->write(w, b);
}

/* Finishes, commits and frees w. */
int ds_writer_commit(ds_writer *w)
{
    int rc = w->fmt->finish ? w->fmt->finish(w) : KILN_OK;
    if (!rc) rc = finish(w);
    if (rc) {
        io_task_output_abort(w->out);
    } else {
        rc = io_task_output_commit(w->out);
    }
    w->out = NULL;
    wfree(w);
    return rc;
}

/* Finishes and closes a file of ds_writer_open_in, kept in the attempt;
 * frees w in every case. */
int ds_writer_close(ds_writer *w)
{
    int rc = w->fmt->finish ? w->fmt->finish(w) : KILN_OK;
    if (!rc) rc = finish(w);
    if (rc) {
        io_task_output_abort(w->out);
    } else {
        rc = io_task_output_close(w->out);
    }
    w->out = NULL;
    wfree(w);
    return rc;
}

/* Sets a writer aside (see datasource.h). */
int ds_writer_suspend(ds_writer *w)
{
    if (!w->suspendable) return KILN_EINVAL;
    int rc = ds_writer_flush_line(w, true);
    kiln_buf_release(&w->line);
    kiln_buf_init(&w->line);
    return rc ? rc : io_task_output_suspend(w->out);
}

/* Takes a suspended writer up again. */
int ds_writer_resume(ds_writer *w)
{
    return io_task_output_resume(w->out);
}

bool ds_writer_suspendable(const ds_writer *w)
{
    return w->suspendable;
}

/* Deletes the attempt's file and frees w. */
void ds_writer_abort(ds_writer *w)
{
    if (!w) return;
    if (w->out) io_task_output_abort(w->out);
    w->out = NULL;
    wfree(w);
}

/* Emits the line buffer when full enough. */
int ds_writer_flush_line(ds_writer *w, bool force)
{
    if (w->line.len == 0 || (!force && w->line.len < (64u << 10))) return KILN_OK;
    int rc = ds_writer_emit(w, w->line.data, w->line.len);
    w->line.len = 0;
    return rc;
}

/* Appends row i of v as text (see ds_int.h). */
int ds_fmt_scalar(kiln_buf *b, const col_vec *v, uint32_t i, int32_t tz_sec, const char *ts_pattern)
{
    uint32_t r = col_row(v, i);
    const col_type *t = v->type;
    char tmp[32];
    int n;
    switch (t->kind) {
    case COL_BOOL:
        return ((const bool *)v->data)[r] ? kiln_buf_append(b, "true", 4)
                                          : kiln_buf_append(b, "false", 5);
    case COL_I8:
        n = snprintf(tmp, sizeof tmp, "%d", ((const int8_t *)v->data)[r]);
        break;
    case COL_I16:
        n = snprintf(tmp, sizeof tmp, "%d", ((const int16_t *)v->data)[r]);
        break;
    case COL_I32:
    case COL_INTERVAL_YM:
        n = snprintf(tmp, sizeof tmp, "%d", ((const int32_t *)v->data)[r]);
        break;
    case COL_I64:
    case COL_INTERVAL_DT:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)((const int64_t *)v->data)[r]);
        break;
    case COL_F32:
        return ds_fmt_float(b, ((const float *)v->data)[r]);
    case COL_F64:
        return ds_fmt_double(b, ((const double *)v->data)[r]);
    case COL_DECIMAL:
        return ds_fmt_decimal(b,
                              col_decimal_is_wide(t) ? ((const __int128 *)v->data)[r]
                                                     : ((const int64_t *)v->data)[r],
                              t->scale);
    case COL_DATE:
        return ds_fmt_date(b, ((const int32_t *)v->data)[r]);
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        return ds_fmt_timestamp(b, ((const int64_t *)v->data)[r], t->kind == COL_TIMESTAMP_NTZ,
                                tz_sec, ts_pattern);
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = &((const col_str *)v->data)[r];
        return kiln_buf_append(b, col_str_data(s), s->len);
    }
    default:
        return kiln_set_error(KILN_EINVAL, "cannot write a value of this type as text");
    }
    return kiln_buf_append(b, tmp, (size_t)n);
}
