/*
 * datasource/csv_write.c - the CSV writer (Spark's UnivocityGenerator with
 * its writing defaults): a header line when asked, null as nullValue (""),
 * an empty string as emptyValue ("\"\""), leading and trailing blanks
 * trimmed (ignoreLeading/TrailingWhiteSpace default true when writing), a
 * value quoted when it holds the separator, the quote, a line end or blanks
 * at its ends (or always with quoteAll), a quote inside escaped as \" (or
 * "" when escape is the quote); numbers, dates and timestamps as Spark
 * prints them.
 */
#include <stdlib.h>
#include <string.h>

#include "datasource/csv_int.h"

typedef struct csv_wstate {
    csv_opts c;
    kiln_buf val;
    const char *ts_fmt, *ntz_fmt;
} csv_wstate;

static bool needs_quotes(const csv_opts *c, const char *p, size_t n)
{
    if (c->quote_all) return true;
    if (n == 0) return false;
    if ((unsigned char)p[0] <= ' ' || (unsigned char)p[n - 1] <= ' ') return true;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n' || ch == '\r' || (ch == c->quote && c->escape_quotes) ||
            (ch == c->sep[0] &&
             (c->seplen == 1 || (n - i >= c->seplen && !memcmp(p + i, c->sep, c->seplen)))))
            return true;
        if (c->comment && i == 0 && ch == c->comment) return true;
    }
    return false;
}

/* Appends one value's text p[0..n) in CSV form. */
static int put_value(kiln_buf *b, const csv_opts *c, const char *p, size_t n)
{
    if (c->w_ign_lead)
        while (n > 0 && (unsigned char)p[0] <= ' ') p++, n--;
    if (c->w_ign_trail)
        while (n > 0 && (unsigned char)p[n - 1] <= ' ') n--;
    if (n == 0) return kiln_buf_append(b, c->w_empty_value, strlen(c->w_empty_value));
    if (!c->quote || !needs_quotes(c, p, n)) return kiln_buf_append(b, p, n);
    char esc = c->escape ? c->escape : c->quote;
    if (kiln_buf_append(b, &c->quote, 1)) return KILN_ENOMEM;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        bool q = p[i] == c->quote;
        /* An escape before a quote, an escape, or the end would be read as one. */
        bool e = c->escape && c->escape != c->quote && p[i] == c->escape &&
                 (i + 1 == n || p[i + 1] == c->quote || p[i + 1] == c->escape);
        if (!q && !e) continue;
        if (kiln_buf_append(b, p + from, i - from) || kiln_buf_append(b, q ? &esc : &c->escape, 1))
            return KILN_ENOMEM;
        from = i;
    }
    if (kiln_buf_append(b, p + from, n - from) || kiln_buf_append(b, &c->quote, 1))
        return KILN_ENOMEM;
    return KILN_OK;
}

static int csv_write(ds_writer *w, const col_batch *b)
{
    csv_wstate *st = w->state;
    const csv_opts *c = &st->c;
    uint32_t live = col_batch_live(b);
    int rc = KILN_OK;
    for (uint32_t k = 0; k < live && rc == KILN_OK; k++) {
        uint32_t i = b->sel ? b->sel[k] : k;
        for (int j = 0; j < b->ncols && rc == KILN_OK; j++) {
            if (j && kiln_buf_append(&w->line, c->sep, c->seplen)) return KILN_ENOMEM;
            const col_vec *v = &b->cols[j];
            if (!col_valid(v, i)) {
                rc = kiln_buf_append(&w->line, c->null_value, c->null_len);
                continue;
            }
            int kind = v->type->kind;
            if (kind == COL_STRING || kind == COL_BINARY) {
                const col_str *s = &((const col_str *)v->data)[col_row(v, i)];
                rc = put_value(&w->line, c, col_str_data(s), s->len);
            } else if (kind == COL_TIMESTAMP || kind == COL_TIMESTAMP_NTZ) {
                rc = ds_fmt_scalar(&w->line, v, i, c->tz_sec,
                                   kind == COL_TIMESTAMP ? st->ts_fmt : st->ntz_fmt);
            } else {
                rc = ds_fmt_scalar(&w->line, v, i, c->tz_sec, NULL);
            }
        }
        if (rc == KILN_OK) rc = kiln_buf_append(&w->line, c->w_linesep, strlen(c->w_linesep));
        if (rc == KILN_OK) rc = ds_writer_flush_line(w, false);
    }
    if (rc == KILN_OK) rc = ds_writer_flush_line(w, true);
    return rc;
}

static void csv_wfree(ds_writer *w)
{
    csv_wstate *st = w->state;
    if (st) kiln_buf_release(&st->val);
    free(st);
}

static const ds_writer_fmt csv_wfmt = {csv_write, csv_wfree};

/* Sets w up as a CSV writer; the header (if asked) goes in w->line. */
int ds_csv_writer_init(ds_writer *w, const ds_options *o)
{
    csv_wstate *st = calloc(1, sizeof *st);
    if (!st) return KILN_ENOMEM;
    w->state = st;
    w->fmt = &csv_wfmt;
    kiln_buf_init(&st->val);
    int rc = csv_opts_parse(&st->c, o, true);
    if (rc) return rc;
    if (!ds_options_get(o, "timeZone")) st->c.tz_sec = w->tz_sec;
    st->ts_fmt = st->c.ts_fmt ? st->c.ts_fmt : "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";
    st->ntz_fmt = st->c.ts_ntz_fmt ? st->c.ts_ntz_fmt : "yyyy-MM-dd'T'HH:mm:ss[.SSS]";
    for (int j = 0; j < w->schema->n; j++) {
        int k = w->schema->fields[j].type->kind;
        if (k == COL_ARRAY || k == COL_MAP || k == COL_STRUCT)
            return kiln_set_error(KILN_EINVAL,
                                  "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource "
                                  "doesn't support the column `%s` of a nested type",
                                  w->schema->fields[j].name);
    }
    if (st->c.header) {
        for (int j = 0; j < w->schema->n; j++) {
            if (j && kiln_buf_append(&w->line, st->c.sep, st->c.seplen)) return KILN_ENOMEM;
            const char *nm = w->schema->fields[j].name;
            if (put_value(&w->line, &st->c, nm, strlen(nm))) return KILN_ENOMEM;
        }
        if (kiln_buf_append(&w->line, st->c.w_linesep, strlen(st->c.w_linesep))) return KILN_ENOMEM;
    }
    return KILN_OK;
}
