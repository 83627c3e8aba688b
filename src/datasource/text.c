/*
 * datasource/text.c - the text source: one string column `value` holding
 * each line (io's line reader: "\n" and "\r\n" removed, split ownership,
 * decompression) or, with wholetext, each file whole; and the text writer
 * (exactly one string column, each row then lineSep, a null row as an
 * empty line).
 */
#include <stdlib.h>
#include <string.h>

#include "datasource/ds_int.h"

typedef struct text_reader {
    ds_reader base;
    io_split is;
    io_line_reader *lr;
    io_whole_reader *wr;
    kiln_buf whole;
    bool wholetext, done, want_col;
    int64_t read; /* bytes read: lines with their ends, whole files */
} text_reader;

static void text_close(ds_reader *base)
{
    text_reader *r = (text_reader *)base;
    if (r->lr) io_line_reader_close(r->lr);
    if (r->wr) io_whole_reader_close(r->wr);
    kiln_buf_release(&r->whole);
    free(r);
}

static int text_next(ds_reader *base, kiln_arena *a, col_batch *out)
{
    text_reader *r = (text_reader *)base;
    memset(out, 0, sizeof *out);
    if (r->done) return 0;
    const col_type *t = &col_type_string;
    int rc = col_batch_init(out, a, r->want_col ? 1 : 0, &t, COL_VEC_SIZE);
    if (rc) return rc;
    col_str tmp;
    col_str *d = r->want_col ? out->cols[0].data : &tmp;
    uint32_t n = 0;
    while (n < COL_VEC_SIZE) {
        const char *line;
        size_t len;
        const char *name;
        if (r->wholetext) {
            rc = io_whole_reader_next(r->wr, &r->whole, &name);
            line = (const char *)r->whole.data;
            len = r->whole.len;
        } else {
            rc = io_line_reader_next(r->lr, &line, &len);
            if (rc == 0 && (rc = io_line_reader_next_file(r->lr)) > 0) continue;
        }
        if (rc < 0) return rc;
        if (rc == 0) {
            r->done = true;
            break;
        }
        if (len > UINT32_MAX) return kiln_set_error(KILN_ERANGE, "a line longer than 4 GiB");
        r->read += (int64_t)len + (r->wholetext ? 0 : 1);
        /* Lines are valid only until the next line: copied. */
        if (!col_str_copy(a, line ? line : "", (uint32_t)len, r->want_col ? &d[n] : &tmp))
            return KILN_ENOMEM;
        n++;
        if (r->wholetext) break;
    }
    if (n == 0) return 0;
    out->n = n;
    if (r->want_col) out->cols[0].n = n;
    return 1;
}

static int64_t text_bytes_read(const ds_reader *base)
{
    return ((const text_reader *)base)->read;
}

static const ds_format_reader text_fmt = {text_next, text_close, text_bytes_read};

/* Opens a text reader (see ds_reader_open): the schema must be one string
 * column (projected or not). */
int ds_text_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                        const ds_options *o, ds_reader **out)
{
    if (schema->n != 1 || schema->fields[0].type->kind != COL_STRING)
        return kiln_set_error(KILN_EINVAL, "the text source has one string column (value)");
    const char *ls = ds_options_get(o, "lineSep");
    if (ls && strcmp(ls, "\n") && strcmp(ls, "\\n") && strcmp(ls, "\r\n") && strcmp(ls, "\\r\\n"))
        return kiln_set_error(KILN_EINVAL,
                              "option lineSep: '%s' is not supported for reading text yet", ls);
    text_reader *r = calloc(1, sizeof *r);
    if (!r) return KILN_ENOMEM;
    r->base.fmt = &text_fmt;
    kiln_buf_init(&r->whole);
    r->want_col = nproj == 1;
    (void)proj;
    int rc = ds_opt_bool(o, "wholetext", false, &r->wholetext);
    if (!rc) {
        bool whole = s->len < 0 || ds_is_compressed(s->path);
        r->is.path = (char *)s->path;
        r->is.start = whole ? 0 : s->start;
        r->is.length = whole ? -1 : s->len;
        r->is.whole = whole;
        rc = r->wholetext ? io_whole_reader_open(s->path, &r->wr)
                          : io_line_reader_open(&r->is, &r->lr);
    }
    if (rc) {
        text_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return KILN_OK;
}

typedef struct text_wstate {
    char linesep[8];
} text_wstate;

static int text_write(ds_writer *w, const col_batch *b)
{
    text_wstate *st = w->state;
    const col_vec *v = &b->cols[0];
    uint32_t live = col_batch_live(b);
    int rc = KILN_OK;
    for (uint32_t k = 0; k < live && !rc; k++) {
        uint32_t i = b->sel ? b->sel[k] : k;
        if (col_valid(v, i)) {
            const col_str *s = &((const col_str *)v->data)[col_row(v, i)];
            rc = kiln_buf_append(&w->line, col_str_data(s), s->len);
        }
        if (!rc) rc = kiln_buf_append(&w->line, st->linesep, strlen(st->linesep));
        if (!rc) rc = ds_writer_flush_line(w, false);
    }
    return rc ? rc : ds_writer_flush_line(w, true);
}

static void text_wfree(ds_writer *w)
{
    free(w->state);
}

static const ds_writer_fmt text_wfmt = {text_write, text_wfree};

/* Sets w up as a text writer (one string column). */
int ds_text_writer_init(ds_writer *w, const ds_options *o)
{
    if (w->schema->n != 1 || w->schema->fields[0].type->kind != COL_STRING)
        return kiln_set_error(KILN_EINVAL,
                              "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] Text data source supports "
                              "only a single column of string type, and you have %d column(s)",
                              w->schema->n);
    text_wstate *st = calloc(1, sizeof *st);
    if (!st) return KILN_ENOMEM;
    w->state = st;
    w->fmt = &text_wfmt;
    const char *ls = ds_options_get(o, "lineSep");
    size_t n;
    if (ls) {
        int rc = ds_unescape_sep("lineSep", ls, st->linesep, sizeof st->linesep, &n);
        if (rc) return rc;
        if (n == 0) return kiln_set_error(KILN_EINVAL, "option lineSep: cannot be empty");
    } else {
        strcpy(st->linesep, "\n");
    }
    return KILN_OK;
}
