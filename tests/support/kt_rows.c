/*
 * tests/support/kt_rows.c - query rows as comparable text (kt_rows.h).
 */
#define _GNU_SOURCE /* getline, mkstemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kt_rows.h"

void kt_lines_add(kt_lines *l, const char *line)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->s = realloc(l->s, sizeof *l->s * (size_t)l->cap);
        assert_non_null(l->s);
    }
    l->s[l->n] = strdup(line);
    assert_non_null(l->s[l->n]);
    l->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void kt_lines_sort(kt_lines *l)
{
    if (l->n) qsort(l->s, (size_t)l->n, sizeof *l->s, cmp_str);
}

void kt_lines_free(kt_lines *l)
{
    for (int i = 0; i < l->n; i++) free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

void kt_value_text(kiln_buf *b, const kiln_value *v)
{
    char tmp[64];
    switch (v->type) {
    case KILN_NULL:
        snprintf(tmp, sizeof tmp, "NULL");
        break;
    case KILN_BOOL:
        snprintf(tmp, sizeof tmp, "%d", v->u.b ? 1 : 0);
        break;
    case KILN_INT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
        break;
    case KILN_DOUBLE:
        snprintf(tmp, sizeof tmp, "%.17g", v->u.d);
        break;
    case KILN_STR:
        kiln_buf_append(b, v->u.s, v->len);
        return;
    default:
        snprintf(tmp, sizeof tmp, "?");
    }
    kiln_buf_append(b, tmp, strlen(tmp));
}

char *kt_sql_explain(kiln_session *s, const char *sql)
{
    kiln_df *df = kiln_sql(s, sql);
    if (!df) fail_msg("%s: %s", sql, kiln_last_error());
    char *e = kiln_df_explain_string(df);
    kiln_df_free(df);
    if (!e) fail_msg("EXPLAIN %s: %s", sql, kiln_last_error());
    return e;
}

kt_lines kt_df_lines(kiln_df *df, const char *what)
{
    kt_lines out = {0};
    if (!df) fail_msg("%s: %s", what, kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    kiln_value list;
    if (kiln_df_collect(df, a, &list) != KILN_OK) fail_msg("%s: %s", what, kiln_last_error());
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t i = 0; i < list.len; i++) {
        const kiln_value *row = &list.u.items[i];
        b.len = 0;
        for (uint32_t c = 0; c < row->len; c++) {
            if (c) kiln_buf_append(&b, "|", 1);
            kt_value_text(&b, &row->u.items[c]);
        }
        kiln_buf_append(&b, "", 1);
        kt_lines_add(&out, (const char *)b.data);
    }
    kiln_buf_release(&b);
    kiln_arena_free(a);
    kiln_df_free(df);
    kt_lines_sort(&out);
    return out;
}

kt_lines kt_sqlite_lines(const char *db, const char *sql)
{
    char qf[] = "/tmp/kt-sqlite-XXXXXX";
    int fd = mkstemp(qf);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "%s;\n", sql);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 -batch -nullvalue NULL -separator '|' %s < %s", db,
             qf);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    kt_lines out = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, p)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = 0;
        kt_lines_add(&out, line);
    }
    free(line);
    int rc = pclose(p);
    unlink(qf);
    if (rc != 0) fail_msg("sqlite3 failed on: %s", sql);
    kt_lines_sort(&out);
    return out;
}

int kt_table_open(kt_table *t, const char *dir, const char *name, const char *const *cols,
                  int ncols)
{
    char p[512];
    memset(t, 0, sizeof *t);
    if (ncols > 16) return -1;
    snprintf(p, sizeof p, "%s/%s.csv", dir, name);
    t->csv = fopen(p, "w");
    snprintf(p, sizeof p, "%s/%s.sql", dir, name);
    t->sql = fopen(p, "w");
    if (!t->csv || !t->sql) return -1;
    t->ncols = ncols;
    fprintf(t->sql, "CREATE TABLE %s(", name);
    for (int i = 0; i < ncols; i++) {
        const char *sp = strchr(cols[i], ' ');
        t->text[i] = sp && strcmp(sp + 1, "TEXT") == 0;
        fprintf(t->csv, "%s%.*s", i ? "," : "", sp ? (int)(sp - cols[i]) : (int)strlen(cols[i]),
                cols[i]);
        fprintf(t->sql, "%s%s", i ? ", " : "", cols[i]);
    }
    fprintf(t->csv, "\n");
    fprintf(t->sql, ");\nBEGIN;\n");
    snprintf(t->name, sizeof t->name, "%s", name);
    return 0;
}

/* v quoted with q, q doubled inside. */
static void quoted(FILE *f, const char *v, char q)
{
    fputc(q, f);
    for (; *v; v++) {
        if (*v == q) fputc(q, f);
        fputc(*v, f);
    }
    fputc(q, f);
}

void kt_table_row(kt_table *t, const char *const *v)
{
    fprintf(t->sql, "INSERT INTO %s VALUES (", t->name);
    for (int i = 0; i < t->ncols; i++) {
        if (i) fputc(',', t->csv), fputs(", ", t->sql);
        if (!v[i]) {
            fputs("\\N", t->csv);
            fputs("NULL", t->sql);
        } else if (t->text[i]) {
            quoted(t->csv, v[i], '"');
            quoted(t->sql, v[i], '\'');
        } else {
            fputs(v[i], t->csv);
            fputs(v[i], t->sql);
        }
    }
    fputs("\n", t->csv);
    fputs(");\n", t->sql);
}

int kt_table_close(kt_table *t)
{
    int rc = 0;
    if (t->sql) {
        fprintf(t->sql, "COMMIT;\n");
        rc |= fclose(t->sql);
    }
    if (t->csv) rc |= fclose(t->csv);
    memset(t, 0, sizeof *t);
    return rc ? -1 : 0;
}

int kt_sqlite_load(const char *db, const char *script, bool *have)
{
    *have = access("/usr/bin/sqlite3", X_OK) == 0;
    if (!*have) return 0;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 %s < %s", db, script);
    return system(cmd) == 0 ? 0 : -1;
}

int kt_csv_view(kiln_session *s, const char *name, const char *path, const char *schema,
                const char *const *kv)
{
    kiln_reader *r = kiln_session_read(s);
    r = kiln_reader_option(r, "header", "true");
    for (int i = 0; kv && kv[i]; i += 2) r = kiln_reader_option(r, kv[i], kv[i + 1]);
    r = kiln_reader_schema(r, schema);
    kiln_df *df = kiln_reader_csv(r, path);
    int rc = !df || kiln_df_create_or_replace_temp_view(df, name) ? -1 : 0;
    kiln_df_free(df);
    return rc;
}

int kt_sql_open(kiln_context **ctx, kiln_session **s)
{
    return kt_sql_open_with(ctx, s, NULL);
}

int kt_sql_open_with(kiln_context **ctx, kiln_session **s, const char *const *kv)
{
    kiln_conf *conf = kiln_conf_new();
    const char *m = getenv("KT_MASTER");
    kiln_conf_set(conf, "kiln.master", m ? m : "local[2]");
    for (int i = 0; kv && kv[i]; i += 2) kiln_conf_set(conf, kv[i], kv[i + 1]);
    int rc = kiln_context_new(conf, ctx);
    kiln_conf_free(conf);
    if (rc) return -1;
    return kiln_session_new(*ctx, s) == KILN_OK ? 0 : -1;
}

void kt_sql_close(kiln_context *ctx, kiln_session *s)
{
    kiln_session_free(s);
    kiln_context_free(ctx);
}

void kt_lines_same(kt_lines *got, kt_lines *want, const char *what)
{
    for (int i = 0; i < got->n && i < want->n; i++)
        if (strcmp(got->s[i], want->s[i]) != 0)
            fail_msg("%s: row %d is '%s', expected '%s' (%d rows, expected %d)", what, i, got->s[i],
                     want->s[i], got->n, want->n);
    if (got->n != want->n)
        fail_msg("%s: %d rows, expected %d (first extra: '%s')", what, got->n, want->n,
                 got->n > want->n ? got->s[want->n] : want->s[got->n]);
    kt_lines_free(got);
    kt_lines_free(want);
}

void kt_escape_path_name(const char *s, char *out)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || strchr("\"#%'*/:=?\\{[]^", c)) out += sprintf(out, "%%%02X", c);
        else *out++ = (char)c;
    }
    *out = 0;
}

const char *kt_textf(const char *fmt, ...)
{
    static _Thread_local char q[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return q;
}

kiln_df *kt_sqlf(kiln_session *s, const char *fmt, ...)
{
    char q[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    kiln_df *df = kiln_sql(s, q);
    if (!df) fail_msg("%s: %s", q, kiln_last_error());
    return df;
}
