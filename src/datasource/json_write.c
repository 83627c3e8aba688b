/*
 * datasource/json_write.c - the JSON Lines writer (Spark's
 * JacksonGenerator): one object a line, fields in schema order, null
 * fields left out (ignoreNullFields, default true), strings escaped as
 * Jackson does, doubles as Java's Double.toString (NaN and infinities as
 * strings), decimals plain, dates and timestamps as quoted strings
 * (yyyy-MM-dd, yyyy-MM-dd'T'HH:mm:ss.SSSXXX in the session zone), arrays,
 * structs and maps nested.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasource/json_int.h"

typedef struct json_wstate {
    json_opts j;
    const char *ts_fmt, *ntz_fmt;
    char linesep[8];
    kiln_buf tmp;
} json_wstate;

static int put(ds_writer *w, const col_vec *v, uint32_t i);

static int put_fields(ds_writer *w, const col_field *f, int n, const col_vec *cols, uint32_t i)
{
    json_wstate *st = w->state;
    kiln_buf *b = &w->line;
    int rc = kiln_buf_append(b, "{", 1);
    bool first = true;
    for (int k = 0; k < n && !rc; k++) {
        bool valid = col_valid(&cols[k], i);
        if (!valid && st->j.ignore_null_fields) continue;
        if (!first) rc = kiln_buf_append(b, ",", 1);
        first = false;
        if (!rc) rc = json_put_string(b, f[k].name, strlen(f[k].name));
        if (!rc) rc = kiln_buf_append(b, ":", 1);
        if (!rc) rc = valid ? put(w, &cols[k], i) : kiln_buf_append(b, "null", 4);
    }
    return rc ? rc : kiln_buf_append(b, "}", 1);
}

/* Appends row i of v (valid) as JSON. */
static int put(ds_writer *w, const col_vec *v, uint32_t i)
{
    json_wstate *st = w->state;
    kiln_buf *b = &w->line;
    uint32_t r = col_row(v, i);
    int rc;
    switch (v->type->kind) {
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = &((const col_str *)v->data)[r];
        return json_put_string(b, col_str_data(s), s->len);
    }
    case COL_F32:
    case COL_F64: {
        double d = v->type->kind == COL_F32 ? ((const float *)v->data)[r]
                                            : ((const double *)v->data)[r];
        if (isnan(d) || isinf(d)) {
            rc = kiln_buf_append(b, "\"", 1);
            if (!rc) rc = ds_fmt_scalar(b, v, i, w->tz_sec, NULL);
            return rc ? rc : kiln_buf_append(b, "\"", 1);
        }
        return ds_fmt_scalar(b, v, i, w->tz_sec, NULL);
    }
    case COL_DATE:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        rc = kiln_buf_append(b, "\"", 1);
        if (!rc)
            rc = ds_fmt_scalar(b, v, i, w->tz_sec,
                               v->type->kind == COL_TIMESTAMP ? st->ts_fmt : st->ntz_fmt);
        return rc ? rc : kiln_buf_append(b, "\"", 1);
    case COL_ARRAY: {
        const col_vec *e = &v->children[0];
        rc = kiln_buf_append(b, "[", 1);
        for (uint32_t k = v->offsets[r]; k < v->offsets[r + 1] && !rc; k++) {
            if (k > v->offsets[r]) rc = kiln_buf_append(b, ",", 1);
            if (!rc) rc = col_valid(e, k) ? put(w, e, k) : kiln_buf_append(b, "null", 4);
        }
        return rc ? rc : kiln_buf_append(b, "]", 1);
    }
    case COL_MAP: {
        const col_vec *kv = &v->children[0], *vv = &v->children[1];
        rc = kiln_buf_append(b, "{", 1);
        for (uint32_t k = v->offsets[r]; k < v->offsets[r + 1] && !rc; k++) {
            if (k > v->offsets[r]) rc = kiln_buf_append(b, ",", 1);
            /* keys as strings */
            st->tmp.len = 0;
            if (!rc) rc = ds_fmt_scalar(&st->tmp, kv, k, w->tz_sec, NULL);
            if (!rc) rc = json_put_string(b, (const char *)st->tmp.data, st->tmp.len);
            if (!rc) rc = kiln_buf_append(b, ":", 1);
            if (!rc) rc = col_valid(vv, k) ? put(w, vv, k) : kiln_buf_append(b, "null", 4);
        }
        return rc ? rc : kiln_buf_append(b, "}", 1);
    }
    case COL_STRUCT:
        return put_fields(w, v->type->fields, v->type->nfields, v->children, r);
    default:
        return ds_fmt_scalar(b, v, i, w->tz_sec, NULL);
    }
}

static int json_write(ds_writer *w, const col_batch *b)
{
    json_wstate *st = w->state;
    uint32_t live = col_batch_live(b);
    int rc = KILN_OK;
    for (uint32_t k = 0; k < live && !rc; k++) {
        uint32_t i = b->sel ? b->sel[k] : k;
        rc = put_fields(w, w->schema->fields, b->ncols, b->cols, i);
        if (!rc) rc = kiln_buf_append(&w->line, st->linesep, strlen(st->linesep));
        if (!rc) rc = ds_writer_flush_line(w, false);
    }
    return rc ? rc : ds_writer_flush_line(w, true);
}

static void json_wfree(ds_writer *w)
{
    json_wstate *st = w->state;
    if (st) kiln_buf_release(&st->tmp);
    free(st);
}

static const ds_writer_fmt json_wfmt = {json_write, json_wfree};

/* Sets w up as a JSON Lines writer. */
int ds_json_writer_init(ds_writer *w, const ds_options *o)
{
    json_wstate *st = calloc(1, sizeof *st);
    if (!st) return KILN_ENOMEM;
    w->state = st;
    w->fmt = &json_wfmt;
    kiln_buf_init(&st->tmp);
    ds_options *copy = NULL;
    (void)copy;
    int rc = ds_opt_bool(o, "ignoreNullFields", true, &st->j.ignore_null_fields);
    if (rc) return rc;
    const char *keys[] = {"dateFormat", "timestampFormat", "timestampNTZFormat"};
    for (int i = 0; i < 3; i++) {
        const char *v = ds_options_get(o, keys[i]);
        if (v && !ds_pattern_supported(v))
            return kiln_set_error(KILN_EINVAL, "option %s: pattern '%s' is not supported yet",
                                  keys[i], v);
    }
    st->ts_fmt = ds_opt_str(o, "timestampFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    st->ntz_fmt = ds_opt_str(o, "timestampNTZFormat", "yyyy-MM-dd'T'HH:mm:ss[.SSS]");
    const char *ls = ds_options_get(o, "lineSep");
    size_t n;
    if (ls) {
        if ((rc = ds_unescape_sep("lineSep", ls, st->linesep, sizeof st->linesep, &n))) return rc;
        if (n == 0) return kiln_set_error(KILN_EINVAL, "option lineSep: cannot be empty");
    } else {
        strcpy(st->linesep, "\n");
    }
    return KILN_OK;
}
