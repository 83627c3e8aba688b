/*
 * tests/support/kt_ds.c - see kt_ds.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt_ds.h"

ds_options *kt_ds_opts(const char *key, ...)
{
    ds_options *o = ds_options_new();
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        ds_options_set(o, k, v);
    }
    va_end(ap);
    return o;
}

/* The allocation a text of len bytes (and its NUL) has: a power of two, so
 * appending is amortised (a realloc per append was quadratic under ASan). */
static size_t room(size_t len)
{
    size_t c = 64;
    while (c < len + 1) c *= 2;
    return c;
}

void kt_ds_text_add(char **t, size_t *len, const char *p, size_t n)
{
    if (!*t || room(*len + n) != room(*len)) *t = realloc(*t, room(*len + n));
    if (n) memcpy(*t + *len, p, n);
    *len += n;
    (*t)[*len] = '\0';
}

void kt_ds_batch_text(const col_batch *b, char **t, size_t *len)
{
    kiln_arena *a = kiln_arena_new();
    kiln_buf kb;
    kiln_buf_init(&kb);
    for (uint32_t k = 0; k < col_batch_live(b); k++) {
        uint32_t i = b->sel ? b->sel[k] : k;
        for (int j = 0; j < b->ncols; j++) {
            if (j) kt_ds_text_add(t, len, "|", 1);
            if (!col_valid(&b->cols[j], i)) {
                kt_ds_text_add(t, len, "NULL", 4);
                continue;
            }
            kiln_value v;
            kb.len = 0;
            if (col_vec_get_value(&b->cols[j], i, a, &v) == KILN_OK) kiln_value_format(&kb, &v);
            kt_ds_text_add(t, len, (const char *)kb.data, kb.len);
        }
        kt_ds_text_add(t, len, "\n", 1);
    }
    if (*t == NULL) kt_ds_text_add(t, len, "", 0);
    kiln_buf_release(&kb);
    kiln_arena_free(a);
}

int kt_ds_read(const char *format, const char *path, const ds_options *o, const char *ddl,
               const int64_t *cuts, int ncuts, char **rows, char **schema_text)
{
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    int rc;
    *rows = NULL;
    if (ddl) {
        size_t pos;
        rc = col_schema_parse_ddl(a, ddl, strlen(ddl), &s, &pos);
    } else {
        rc = ds_infer_schema(format, path, o, a, &s);
    }
    if (rc) {
        kiln_arena_free(a);
        return rc;
    }
    if (schema_text) {
        kiln_buf b;
        kiln_buf_init(&b);
        for (int i = 0; i < s.n; i++) {
            if (i) kiln_buf_append(&b, ",", 1);
            kiln_buf_append(&b, s.fields[i].name, strlen(s.fields[i].name));
            kiln_buf_append(&b, ":", 1);
            col_type_format(&b, s.fields[i].type);
        }
        kiln_buf_append(&b, "", 1);
        *schema_text = strdup((char *)b.data);
        kiln_buf_release(&b);
    }
    ds_split *sp;
    int n;
    ds_split local[64];
    if (ncuts < 0) {
        rc = ds_plan_splits(format, path, o, 2, a, &sp, &n);
        if (rc) {
            kiln_arena_free(a);
            return rc;
        }
    } else {
        FILE *f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        int64_t size = ftell(f);
        fclose(f);
        int64_t prev = 0;
        n = 0;
        for (int i = 0; i <= ncuts; i++) {
            int64_t end = i < ncuts ? cuts[i] : size;
            local[n].path = path;
            local[n].start = prev;
            local[n].len = end - prev;
            if (local[n].len > 0 || (size == 0 && n == 0)) n++;
            prev = end;
        }
        sp = local;
    }
    size_t len = 0;
    char *t = NULL;
    kt_ds_text_add(&t, &len, "", 0);
    kiln_arena *ba = kiln_arena_new();
    for (int i = 0; i < n && rc == KILN_OK; i++) {
        ds_reader *r;
        rc = ds_reader_open(format, &sp[i], &s, NULL, s.n, o, &r);
        if (rc) break;
        col_batch b;
        int got;
        while ((got = ds_reader_next(r, ba, &b)) == 1) {
            kt_ds_batch_text(&b, &t, &len);
            kiln_arena_reset(ba);
        }
        if (got < 0) rc = got;
        ds_reader_close(r);
    }
    kiln_arena_free(ba);
    kiln_arena_free(a);
    if (rc) {
        free(t);
        return rc;
    }
    *rows = t;
    return KILN_OK;
}
