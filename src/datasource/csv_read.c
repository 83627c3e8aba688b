/*
 * datasource/csv_read.c - the CSV reader of one split: records are
 * tokenized into spans of the input window for up to COL_VEC_SIZE rows,
 * then each projected column is converted in one typed loop (parsing
 * numbers, dates and timestamps; strings point into the window unless they
 * had escapes). Malformed records (a field that does not parse, or a token
 * count that differs from the schema) follow the mode: PERMISSIVE keeps the
 * row with the bad fields null and the raw record in the corrupt-record
 * column, DROPMALFORMED drops it (a selection vector), FAILFAST fails naming
 * file, line, column and value.
 *
 * Window lifetime: the window only moves at the start of ds_reader_next, so
 * a batch's string views stay valid until the next call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasource/csv_int.h"

/* ---- Record cursor ------------------------------------------------------------- */

static void file_start(csv_cursor *k)
{
    k->header_pending = k->c->header;
    k->file_start = true;
    k->bom_end = -1;
}

/* Opens the cursor over s (borrowed). */
int csv_cursor_open(csv_cursor *k, const csv_opts *c, const ds_split *s)
{
    memset(k, 0, sizeof *k);
    k->bom_end = -1;
    k->c = c;
    k->split = *s;
    bool whole = s->len < 0 || ds_is_compressed(s->path);
    k->end = whole ? INT64_MAX : s->start + s->len;
    if (!whole && s->start > 0) {
        k->split.start = s->start - 1;
        k->skip_first = true;
    }
    if (whole) k->split.start = 0;
    int rc = ds_input_open(&k->in, &k->split);
    if (rc) {
        ds_input_close(&k->in);
        return rc;
    }
    if (!k->skip_first) file_start(k);
    return KILN_OK;
}

void csv_cursor_close(csv_cursor *k)
{
    ds_input_close(&k->in);
}

/* The next record (see csv_int.h). */
int csv_cursor_next(csv_cursor *k, csv_rec *r, bool may_refill, size_t *at)
{
    const csv_opts *c = k->c;
    ds_input *in = &k->in;
    const char nl = c->linesep ? c->linesep : '\n';
    for (;;) {
        if (k->skip_first) {
            const char *e = memchr(in->buf + k->pos, nl, in->len - k->pos);
            if (e) {
                k->pos = (size_t)(e + 1 - in->buf);
                k->skip_first = false;
                continue;
            }
            if (in->eof) return 0;
            int rc = ds_input_refill(in, in->len);
            k->pos = 0;
            if (rc) return rc;
            continue;
        }
        int64_t at_off = in->off + (int64_t)k->pos;
        if ((at_off == k->bom_end ? 0 : at_off) >= k->end) return 0;
        if (k->file_start && in->off + (int64_t)k->pos == 0) {
            if (in->len - k->pos < 3 && !in->eof) {
                if (!may_refill) return 2;
                int rc = ds_input_refill(in, k->pos);
                k->pos = 0;
                if (rc) return rc;
                if (in->len < 3 && !in->eof) continue;
            }
            if (in->len >= 3 && memcmp(in->buf, "\xEF\xBB\xBF", 3) == 0) {
                k->pos = 3;
                k->bom_end = 3;
            }
            k->file_start = false;
            continue;
        }
        k->file_start = false;
        if (k->pos >= in->len) {
            if (!in->eof) {
                if (!may_refill) return 2;
                int rc = ds_input_refill(in, k->pos);
                k->pos = 0;
                if (rc) return rc;
                continue;
            }
            if (in->whole && in->more_files) {
                if (!may_refill) return 2;
                int rc = ds_input_next_file(in);
                if (rc <= 0) return rc;
                k->pos = 0;
                file_start(k);
                continue;
            }
            return 0;
        }
        int64_t used = csv_tokenize(c, in->buf + k->pos, in->buf + in->len, in->eof, r);
        if (used < 0) return (int)used;
        if (used == 0) {
            if (!may_refill) return 2;
            int rc = ds_input_refill(in, k->pos);
            k->pos = 0;
            if (rc) return rc;
            continue;
        }
        *at = k->pos;
        k->pos += (size_t)used;
        if (r->skip) continue;
        if (k->header_pending) {
            k->header_pending = false;
            continue;
        }
        return 1;
    }
}

/* ---- Reader ---------------------------------------------------------------------- */

#define CELL_MISSING 4u

typedef struct csv_reader {
    ds_reader base;
    csv_opts c;
    csv_cursor k;
    csv_rec rec;
    const col_schema *schema;
    int nout;
    const col_type **types; /* per output column */
    int *out_field;         /* per output column: schema field */
    int ndata;              /* fields in a record: the schema minus the corrupt column */
    int *tok2out;           /* per token: output column or -1 */
    int *out2tok;           /* per output column: token or -1 (corrupt column) */
    int corrupt_out;        /* output column of the corrupt record, or -1 */
    csv_field *cells;       /* [nout][COL_VEC_SIZE] */
    uint32_t *rec_at, *rec_len;
    uint8_t *bad;     /* per row: 1 token count, 2 a field */
    int16_t *bad_col; /* per row: first output column that failed, -1 */
    kiln_buf tmp;
    bool done;
} csv_reader;

static void csv_close(ds_reader *base)
{
    csv_reader *r = (csv_reader *)base;
    csv_cursor_close(&r->k);
    csv_rec_release(&r->rec);
    kiln_buf_release(&r->tmp);
    free(r->types);
    free(r->out_field);
    free(r->tok2out);
    free(r->out2tok);
    free(r->cells);
    free(r->rec_at);
    free(r->rec_len);
    free(r->bad);
    free(r->bad_col);
    free(r);
}

/* The text of a cell, or false for null. Raw cells are unescaped into
 * r->tmp (valid until the next raw cell). */
static inline bool cell_text(csv_reader *r, const csv_field *f, const char **p, size_t *n)
{
    if (f->flags & CELL_MISSING) return false;
    const char *s = r->k.in.buf + f->off;
    size_t len = f->len;
    if (f->flags & CSV_F_RAW) {
        r->tmp.len = 0;
        if (csv_unescape(&r->c, s, len, &r->tmp) != KILN_OK) return false;
        s = (const char *)r->tmp.data;
        len = r->tmp.len;
        if (s == NULL) s = "";
    }
    if (len == 0) {
        if (!(f->flags & CSV_F_QUOTED)) return false;
        s = r->c.empty_value;
        len = strlen(s);
    }
    if (len == r->c.null_len && memcmp(s, r->c.null_value, len) == 0) return false;
    *p = s;
    *n = len;
    return true;
}

/* col_str_view of p[0..len) into *d when 12 bytes at p can be read: built
 * in two words (the bytes past len zeroed), not through byte copies on the
 * stack, which stall the 16-byte store that follows. */
static inline void str_view(col_str *d, const char *p, uint32_t len)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && UINTPTR_MAX == UINT64_MAX
    uint64_t a, lo, hi;
    uint32_t c;
    memcpy(&a, p, 8);
    memcpy(&c, p + 8, 4);
    if (len <= COL_STR_INLINE) {
        if (len < 8) {
            a &= len ? ~UINT64_C(0) >> (64 - 8 * len) : 0;
            c = 0;
        } else {
            c &= len == 8 ? 0 : ~UINT32_C(0) >> (32 - 8 * (len - 8));
        }
        hi = (a >> 32) | ((uint64_t)c << 32);
    } else {
        hi = (uint64_t)(uintptr_t)p;
    }
    lo = len | (a << 32);
    memcpy(d, &lo, 8);
    memcpy((char *)d + 8, &hi, 8);
#else
    *d = col_str_view(p, len);
#endif
}

static int set_null(col_vec *v, kiln_arena *a, uint32_t i, uint32_t cap)
{
    if (!v->validity && col_vec_add_validity(v, a, cap)) return KILN_ENOMEM;
    col_set_null(v, i);
    return KILN_OK;
}

static bool parse_float_special(const csv_opts *c, const char *p, size_t n, double *d)
{
    if (c->nan_len == n && memcmp(p, c->nan_value, n) == 0) *d = NAN;
    else if (c->pos_inf_len == n && memcmp(p, c->pos_inf, n) == 0) *d = INFINITY;
    else if (c->neg_inf_len == n && memcmp(p, c->neg_inf, n) == 0) *d = -INFINITY;
    else return ds_parse_f64_plain(p, n, d) || ds_parse_f64(p, n, d);
    return true;
}

/* A decimal, with grouping commas allowed (tried only when the text
 * does not parse as it is: a ',' never does). */
static bool parse_decimal_commas(const char *p, size_t n, const col_type *t, __int128 *v)
{
    if (ds_parse_decimal(p, n, t->precision, t->scale, v)) return true;
    if (!memchr(p, ',', n)) return false;
    char tmp[128];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof tmp; i++)
        if (p[i] != ',') tmp[k++] = p[i];
    return ds_parse_decimal(tmp, k, t->precision, t->scale, v);
}

/* Converts output column j of rows [0, rows): one loop per type. A bad
 * field marks its row (bad |= 2) and is null. */
static int convert(csv_reader *r, kiln_arena *a, col_vec *v, int j, uint32_t rows)
{
    const csv_field *cells = r->cells + (size_t)j * COL_VEC_SIZE;
    const col_type *t = v->type;
    const char *p;
    size_t n;
    int rc = KILN_OK;
#define BAD(i)                                                                                     \
    do {                                                                                           \
        if (!r->bad[i] || r->bad_col[i] < 0) r->bad_col[i] = (int16_t)j;                           \
        r->bad[i] |= 2;                                                                            \
        if ((rc = set_null(v, a, i, rows))) return rc;                                             \
    } while (0)
#define NULLROW(i)                                                                                 \
    do {                                                                                           \
        if ((rc = set_null(v, a, i, rows))) return rc;                                             \
    } while (0)
    switch (t->kind) {
    case COL_STRING:
    case COL_BINARY: {
        col_str *d = v->data;
        for (uint32_t i = 0; i < rows; i++) {
            const csv_field *f = &cells[i];
            if (!cell_text(r, f, &p, &n)) {
                NULLROW(i);
                memset(&d[i], 0, sizeof d[i]);
                continue;
            }
            if (p >= r->k.in.buf && p + 12 <= r->k.in.buf + r->k.in.len)
                str_view(&d[i], p, (uint32_t)n);
            else if (p >= r->k.in.buf && p < r->k.in.buf + r->k.in.len)
                d[i] = col_str_view(p, (uint32_t)n);
            else if (!col_str_copy(a, p, (uint32_t)n, &d[i])) return KILN_ENOMEM;
        }
        break;
    }
    case COL_BOOL: {
        bool *d = v->data;
        for (uint32_t i = 0; i < rows; i++) {
            d[i] = false;
            if (!cell_text(r, &cells[i], &p, &n)) NULLROW(i);
            else if (!ds_parse_bool(p, n, &d[i])) BAD(i);
        }
        break;
    }
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64: {
        int64_t lo = t->kind == COL_I8    ? INT8_MIN
                     : t->kind == COL_I16 ? INT16_MIN
                     : t->kind == COL_I32 ? INT32_MIN
                                          : INT64_MIN;
        int64_t hi = t->kind == COL_I8    ? INT8_MAX
                     : t->kind == COL_I16 ? INT16_MAX
                     : t->kind == COL_I32 ? INT32_MAX
                                          : INT64_MAX;
        for (uint32_t i = 0; i < rows; i++) {
            int64_t x = 0;
            if (!cell_text(r, &cells[i], &p, &n)) NULLROW(i);
            else if (!ds_parse_i64(p, n, &x) || x < lo || x > hi) {
                x = 0;
                BAD(i);
            }
            switch (t->kind) {
            case COL_I8:
                ((int8_t *)v->data)[i] = (int8_t)x;
                break;
            case COL_I16:
                ((int16_t *)v->data)[i] = (int16_t)x;
                break;
            case COL_I32:
                ((int32_t *)v->data)[i] = (int32_t)x;
                break;
            default:
                ((int64_t *)v->data)[i] = x;
                break;
            }
        }
        break;
    }
    case COL_F32:
    case COL_F64:
        for (uint32_t i = 0; i < rows; i++) {
            double x = 0;
            if (!cell_text(r, &cells[i], &p, &n)) NULLROW(i);
            else if (!parse_float_special(&r->c, p, n, &x)) BAD(i);
            if (t->kind == COL_F32) ((float *)v->data)[i] = (float)x;
            else ((double *)v->data)[i] = x;
        }
        break;
    case COL_DECIMAL:
        for (uint32_t i = 0; i < rows; i++) {
            __int128 x = 0;
            if (!cell_text(r, &cells[i], &p, &n)) NULLROW(i);
            else if (!parse_decimal_commas(p, n, t, &x)) {
                x = 0;
                BAD(i);
            }
            if (col_decimal_is_wide(t)) ((__int128 *)v->data)[i] = x;
            else ((int64_t *)v->data)[i] = (int64_t)x;
        }
        break;
    case COL_DATE: {
        int32_t *d = v->data;
        for (uint32_t i = 0; i < rows; i++) {
            d[i] = 0;
            if (!cell_text(r, &cells[i], &p, &n)) NULLROW(i);
            else if (!ds_parse_date(p, n, false, &d[i])) BAD(i);
        }
        break;
    }
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ: {
        int64_t *d = v->data;
        bool ntz = t->kind == COL_TIMESTAMP_NTZ;
        ds_date_cache dc = {0};
        for (uint32_t i = 0; i < rows; i++) {
            d[i] = 0;
            if (!cell_text(r, &cells[i], &p, &n)) NULLROW(i);
            else if (!ds_parse_timestamp_cached(p, n, ntz, r->c.tz_sec, &dc, &d[i])) BAD(i);
        }
        break;
    }
    case COL_NULL:
        for (uint32_t i = 0; i < rows; i++) NULLROW(i);
        break;
    default:
        return kiln_set_error(KILN_EINVAL, "CSV cannot read a column of this type");
    }
#undef BAD
#undef NULLROW
    return KILN_OK;
}

/* FAILFAST's error for row i. */
static int fail_row(csv_reader *r, uint32_t i)
{
    int64_t line = ds_input_line_of(&r->k.in, r->k.in.off + (int64_t)r->rec_at[i]);
    const char *rec = r->k.in.buf + r->rec_at[i];
    if (r->bad_col[i] >= 0) {
        int j = r->bad_col[i];
        const csv_field *f = &r->cells[(size_t)j * COL_VEC_SIZE + i];
        const char *p = "";
        size_t n = 0;
        cell_text(r, f, &p, &n);
        char why[96];
        kiln_buf tb;
        kiln_buf_init(&tb);
        col_type_format(&tb, r->types[j]);
        snprintf(why, sizeof why, "cannot parse as %.*s", (int)tb.len, (const char *)tb.data);
        kiln_buf_release(&tb);
        return ds_malformed(r->k.in.name, line, r->schema->fields[r->out_field[j]].name, p, n, why);
    }
    char why[96];
    int ntok = 0;
    /* Re-tokenize to count. */
    csv_rec tmp = {0};
    if (csv_tokenize(&r->c, rec, r->k.in.buf + r->k.in.len, true, &tmp) > 0) ntok = tmp.n;
    csv_rec_release(&tmp);
    snprintf(why, sizeof why, "expected %d fields but found %d in record", r->ndata, ntok);
    return ds_malformed(r->k.in.name, line, NULL, rec, r->rec_len[i], why);
}

static int csv_next(ds_reader *base, kiln_arena *a, col_batch *out)
{
    csv_reader *r = (csv_reader *)base;
    memset(out, 0, sizeof *out);
again:
    if (r->done) return 0;
    uint32_t rows = 0;
    bool may_refill = true;
    while (rows < COL_VEC_SIZE) {
        size_t at;
        int rc = csv_cursor_next(&r->k, &r->rec, may_refill, &at);
        if (rc < 0) return rc;
        if (rc == 0) {
            r->done = true;
            break;
        }
        if (rc == 2) break;
        may_refill = false; /* views into the window from here on */
        const csv_rec *rec = &r->rec;
        for (int j = 0; j < r->nout; j++) {
            int t = r->out2tok[j];
            csv_field *cell = &r->cells[(size_t)j * COL_VEC_SIZE + rows];
            if (t < 0 || t >= rec->n) {
                cell->flags = CELL_MISSING;
                continue;
            }
            cell->off = (uint32_t)at + rec->f[t].off;
            cell->len = rec->f[t].len;
            cell->flags = rec->f[t].flags;
        }
        r->rec_at[rows] = (uint32_t)at;
        r->rec_len[rows] = rec->raw_len;
        r->bad[rows] = rec->n != r->ndata;
        r->bad_col[rows] = -1;
        rows++;
    }
    if (rows == 0) {
        if (r->done) return 0;
        goto again;
    }
    int rc = col_batch_init(out, a, r->nout, r->types, rows);
    if (rc) return rc;
    out->n = rows;
    for (int j = 0; j < r->nout; j++) {
        out->cols[j].n = rows;
        if (j == r->corrupt_out) continue;
        if ((rc = convert(r, a, &out->cols[j], j, rows))) return rc;
    }
    uint32_t nbad = 0;
    for (uint32_t i = 0; i < rows; i++) nbad += r->bad[i] != 0;
    if (nbad && r->c.mode == DS_FAILFAST)
        for (uint32_t i = 0; i < rows; i++)
            if (r->bad[i]) return fail_row(r, i);
    if (r->corrupt_out >= 0) {
        col_vec *v = &out->cols[r->corrupt_out];
        col_str *d = v->data;
        if ((rc = col_vec_add_validity(v, a, rows))) return rc;
        for (uint32_t i = 0; i < rows; i++) {
            if (r->bad[i] && r->c.mode == DS_PERMISSIVE) {
                d[i] = col_str_view(r->k.in.buf + r->rec_at[i], r->rec_len[i]);
            } else {
                memset(&d[i], 0, sizeof d[i]);
                col_set_null(v, i);
            }
        }
    }
    if (nbad && r->c.mode == DS_DROPMALFORMED) {
        if (nbad == rows) goto again;
        uint32_t *sel = kiln_arena_alloc(a, rows * sizeof *sel);
        if (!sel) return KILN_ENOMEM;
        uint32_t k = 0;
        for (uint32_t i = 0; i < rows; i++)
            if (!r->bad[i]) sel[k++] = i;
        out->sel = sel;
        out->nsel = k;
    }
    return 1;
}

static int64_t csv_bytes_read(const ds_reader *base)
{
    return ((const csv_reader *)base)->k.in.read;
}

static const ds_format_reader csv_fmt = {csv_next, csv_close, csv_bytes_read};

/* Opens a CSV reader of s (see ds_reader_open). */
int ds_csv_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                       const ds_options *o, ds_reader **out)
{
    csv_reader *r = calloc(1, sizeof *r);
    if (!r) return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", s->path);
    r->base.fmt = &csv_fmt;
    kiln_buf_init(&r->tmp);
    int rc = csv_opts_parse(&r->c, o, false);
    if (rc) {
        free(r);
        return rc;
    }
    r->schema = schema;
    r->nout = nproj;
    r->corrupt_out = -1;
    int corrupt_field = -1;
    for (int i = 0; i < schema->n; i++)
        if (strcmp(schema->fields[i].name, r->c.corrupt) == 0 &&
            schema->fields[i].type->kind == COL_STRING)
            corrupt_field = i;
    r->ndata = schema->n - (corrupt_field >= 0);
    size_t cells = (size_t)(nproj ? nproj : 1) * COL_VEC_SIZE;
    r->types = calloc((size_t)nproj + 1, sizeof *r->types);
    r->out_field = calloc((size_t)nproj + 1, sizeof *r->out_field);
    r->out2tok = calloc((size_t)nproj + 1, sizeof *r->out2tok);
    r->tok2out = calloc((size_t)schema->n + 1, sizeof *r->tok2out);
    r->cells = malloc(cells * sizeof *r->cells);
    r->rec_at = malloc(COL_VEC_SIZE * sizeof *r->rec_at);
    r->rec_len = malloc(COL_VEC_SIZE * sizeof *r->rec_len);
    r->bad = malloc(COL_VEC_SIZE);
    r->bad_col = malloc(COL_VEC_SIZE * sizeof *r->bad_col);
    if (!r->types || !r->out_field || !r->out2tok || !r->tok2out || !r->cells || !r->rec_at ||
        !r->rec_len || !r->bad || !r->bad_col) {
        csv_close(&r->base);
        return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", s->path);
    }
    for (int j = 0; j < nproj; j++) {
        int fld = proj ? proj[j] : j;
        r->out_field[j] = fld;
        r->types[j] = schema->fields[fld].type;
        int k = r->types[j]->kind;
        if (k == COL_ARRAY || k == COL_MAP || k == COL_STRUCT || k == COL_INTERVAL_YM ||
            k == COL_INTERVAL_DT) {
            kiln_buf tb;
            kiln_buf_init(&tb);
            col_type_format(&tb, r->types[j]);
            rc = kiln_set_error(KILN_EINVAL,
                                "[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource "
                                "doesn't support the column `%s` of the type \"%.*s\"",
                                schema->fields[fld].name, (int)tb.len, (const char *)tb.data);
            kiln_buf_release(&tb);
            csv_close(&r->base);
            return rc;
        }
        if (fld == corrupt_field) {
            r->corrupt_out = j;
            r->out2tok[j] = -1;
        } else {
            r->out2tok[j] = fld - (corrupt_field >= 0 && fld > corrupt_field);
        }
    }
    if ((rc = csv_cursor_open(&r->k, &r->c, s))) {
        csv_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return KILN_OK;
}
