/*
 * sql/show.c - DataFrame.show: rows as Spark's text table (show.h).
 *
 * Cells are the values cast to string as Spark casts them (fn_cast_vec),
 * arrays as [a, b], structs as {a, b}, maps as {k -> v}, null as NULL.
 * With truncate > 0 a longer cell is cut to truncate - 3 characters and
 * "..." (or to truncate when truncate < 4) and cells are right-aligned;
 * with truncate 0 they are left-aligned and whole. Widths count characters
 * (code points), at least 3.
 */
#include "sql/show.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

static int put(kiln_buf *b, const char *s, size_t n)
{
    return kiln_buf_append(b, s, n);
}

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* Byte length of the first k characters of s[0..n). */
static size_t prefix_bytes(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    while (i < n && k) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80) i++;
        k--;
    }
    return i;
}

static int cell(fn_ctx *fc, const col_vec *v, uint32_t r, kiln_buf *b, bool top);

/* Row r of a primitive vector as Spark's string cast. */
static int primitive_cell(fn_ctx *fc, const col_vec *v, uint32_t r, kiln_buf *b)
{
    if (v->type->kind == COL_STRING)
        return put(b, col_str_data(&COL_DATA(v, col_str)[col_row(v, r)]),
                   COL_DATA(v, col_str)[col_row(v, r)].len);
    if (v->type->kind == COL_BINARY) {
        /* Spark shows binary as [01 AB]. */
        const col_str *s = &COL_DATA(v, col_str)[col_row(v, r)];
        const unsigned char *p = (const unsigned char *)col_str_data(s);
        static const char hex[] = "0123456789ABCDEF";
        int rc = put(b, "[", 1);
        for (uint32_t i = 0; !rc && i < s->len; i++) {
            char h[3] = {hex[p[i] >> 4], hex[p[i] & 15], ' '};
            rc = put(b, h, i + 1 < s->len ? 3 : 2);
        }
        return rc ? rc : put(b, "]", 1);
    }
    col_vec one = *v;
    one.constant = true; /* row r as row 0 */
    size_t w = col_type_width(v->type);
    one.data = (char *)v->data + w * col_row(v, r);
    one.validity = NULL;
    one.n = 1;
    col_vec s;
    int rc = col_vec_init(&s, fc->arena, &col_type_string, 1);
    if (!rc) rc = col_vec_add_validity(&s, fc->arena, 1);
    if (!rc) rc = fn_cast_vec(fc, &one, &s, &col_type_string, false, NULL, 1, 1);
    if (rc) return rc;
    const col_str *str = &COL_DATA(&s, col_str)[0];
    return put(b, col_str_data(str), str->len);
}

static int cell(fn_ctx *fc, const col_vec *v, uint32_t r, kiln_buf *b, bool top)
{
    uint32_t row = col_row(v, r);
    if (!col_valid(v, row) || v->type->kind == COL_NULL) return put(b, top ? "NULL" : "null", 4);
    int rc;
    switch (v->type->kind) {
    case COL_ARRAY: {
        if ((rc = put(b, "[", 1))) return rc;
        for (uint32_t k = v->offsets[row]; k < v->offsets[row + 1]; k++) {
            if ((k > v->offsets[row] && (rc = put(b, ", ", 2))) ||
                (rc = cell(fc, &v->children[0], k, b, false)))
                return rc;
        }
        return put(b, "]", 1);
    }
    case COL_MAP: {
        if ((rc = put(b, "{", 1))) return rc;
        for (uint32_t k = v->offsets[row]; k < v->offsets[row + 1]; k++) {
            if ((k > v->offsets[row] && (rc = put(b, ", ", 2))) ||
                (rc = cell(fc, &v->children[0], k, b, false)) || (rc = put(b, " -> ", 4)) ||
                (rc = cell(fc, &v->children[1], k, b, false)))
                return rc;
        }
        return put(b, "}", 1);
    }
    case COL_STRUCT: {
        if ((rc = put(b, "{", 1))) return rc;
        for (int k = 0; k < v->nchildren; k++)
            if ((k && (rc = put(b, ", ", 2))) || (rc = cell(fc, &v->children[k], row, b, false)))
                return rc;
        return put(b, "}", 1);
    }
    default:
        return primitive_cell(fc, v, row, b);
    }
}

typedef struct text {
    uint32_t off, len; /* bytes in the cell buffer */
    uint32_t width;    /* characters shown */
} text;

static int pad(kiln_buf *b, size_t n, char c)
{
    char sp[64];
    memset(sp, c, sizeof sp);
    while (n) {
        size_t k = n < sizeof sp ? n : sizeof sp;
        int rc = put(b, sp, k);
        if (rc) return rc;
        n -= k;
    }
    return KILN_OK;
}

int sql_show_format(kiln_buf *out, fn_ctx *fc, const col_schema *schema, const col_batch *rows,
                    int nbatches, int64_t limit, int truncate, bool more)
{
    int nc = schema->n;
    kiln_buf cells;
    kiln_buf_init(&cells);
    size_t cap = 64, n = 0;
    text *t = malloc(sizeof *t * cap * (size_t)(nc ? nc : 1));
    size_t *width = calloc((size_t)(nc ? nc : 1), sizeof *width);
    int rc = t && width ? KILN_OK : KILN_ENOMEM;
    /* Row 0: the header; then every shown row. */
    for (int c = 0; !rc && c < nc; c++) {
        const char *name = schema->fields[c].name;
        t[c] = (text){(uint32_t)cells.len, (uint32_t)strlen(name), 0};
        rc = put(&cells, name, strlen(name));
    }
    n = 1;
    for (int bi = 0; !rc && bi < nbatches && (int64_t)n - 1 < limit; bi++) {
        const col_batch *b = &rows[bi];
        uint32_t live = col_batch_live(b);
        for (uint32_t k = 0; !rc && k < live && (int64_t)n - 1 < limit; k++) {
            uint32_t i = b->sel ? b->sel[k] : k;
            if (n == cap) {
                text *g = realloc(t, sizeof *t * cap * 2 * (size_t)(nc ? nc : 1));
                if (!g) {
                    rc = KILN_ENOMEM;
                    break;
                }
                t = g;
                cap *= 2;
            }
            for (int c = 0; !rc && c < nc; c++) {
                size_t at = cells.len;
                rc = cell(fc, &b->cols[c], i, &cells, true);
                t[n * (size_t)nc + (size_t)c] = (text){(uint32_t)at, (uint32_t)(cells.len - at), 0};
            }
            n++;
        }
    }
    /* Truncation and widths. */
    for (size_t r = 0; !rc && r < n; r++)
        for (int c = 0; c < nc; c++) {
            text *x = &t[r * (size_t)nc + (size_t)c];
            const char *s = (const char *)cells.data + x->off;
            size_t w = chars(s, x->len);
            if (truncate > 0 && w > (size_t)truncate) {
                /* Marked by width > len chars: cut at render time. */
                w = (size_t)truncate;
            }
            x->width = (uint32_t)w;
            if (w > width[c]) width[c] = w;
        }
    for (int c = 0; c < nc; c++)
        if (width[c] < 3) width[c] = 3;
    /* The separator line. */
    kiln_buf sep;
    kiln_buf_init(&sep);
    for (int c = 0; !rc && c < nc; c++) {
        rc = put(&sep, "+", 1);
        if (!rc) rc = pad(&sep, width[c], '-');
    }
    if (!rc) rc = put(&sep, "+\n", 2);
    for (size_t r = 0; !rc && r < n; r++) {
        if (r <= 1) rc = put(out, (const char *)sep.data, sep.len);
        for (int c = 0; !rc && c < nc; c++) {
            text *x = &t[r * (size_t)nc + (size_t)c];
            const char *s = (const char *)cells.data + x->off;
            size_t full = chars(s, x->len);
            size_t bytes = x->len;
            const char *dots = "";
            if (truncate > 0 && full > (size_t)truncate) {
                if (truncate < 4) {
                    bytes = prefix_bytes(s, x->len, (size_t)truncate);
                } else {
                    bytes = prefix_bytes(s, x->len, (size_t)truncate - 3);
                    dots = "...";
                }
            }
            rc = put(out, "|", 1);
            if (!rc && truncate > 0) rc = pad(out, width[c] - x->width, ' ');
            if (!rc) rc = put(out, s, bytes);
            if (!rc) rc = put(out, dots, strlen(dots));
            if (!rc && truncate <= 0) rc = pad(out, width[c] - x->width, ' ');
        }
        if (!rc) rc = put(out, "|\n", 2);
    }
    if (!rc) rc = put(out, (const char *)sep.data, sep.len);
    if (!rc && more) {
        char line[64];
        int k = snprintf(line, sizeof line, "only showing top %lld row%s\n", (long long)limit,
                         limit == 1 ? "" : "s");
        rc = put(out, line, (size_t)k);
    }
    kiln_buf_release(&sep);
    kiln_buf_release(&cells);
    free(t);
    free(width);
    return rc;
}

int sql_format_tsv(kiln_buf *out, fn_ctx *fc, const col_batch *rows, int nbatches)
{
    int rc = KILN_OK;
    for (int bi = 0; !rc && bi < nbatches; bi++) {
        const col_batch *b = &rows[bi];
        uint32_t live = col_batch_live(b);
        for (uint32_t k = 0; !rc && k < live; k++) {
            uint32_t i = b->sel ? b->sel[k] : k;
            for (int c = 0; !rc && c < b->ncols; c++) {
                if (c) rc = put(out, "\t", 1);
                if (!rc) rc = cell(fc, &b->cols[c], i, out, true);
            }
            if (!rc) rc = put(out, "\n", 1);
        }
    }
    return rc;
}
