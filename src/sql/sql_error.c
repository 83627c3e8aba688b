/*
 * sql/sql_error.c - Spark-shaped error messages with SQL positions
 * (sql_error.h).
 */
#define _GNU_SOURCE /* vasprintf */
#include "sql/sql_error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

sql_pos sql_pos_at(const char *sql, size_t offset)
{
    sql_pos p = {(int)offset, 1, 0};
    for (size_t i = 0; i < offset && sql[i]; i++) {
        if (sql[i] == '\n') {
            p.line++;
            p.col = 0;
        } else {
            p.col++;
        }
    }
    return p;
}

int sql_error(int code, const char *sql, sql_pos pos, int len, const char *cls,
              const char *sqlstate, const char *fmt, ...)
{
    kiln_buf b;
    kiln_buf_init(&b);
    char head[256];
    int hn = snprintf(head, sizeof head, "[%s] ", cls);
    kiln_buf_append(&b, head, (size_t)hn);
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int mn = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (mn > 0) kiln_buf_append(&b, msg, (size_t)mn);
    free(msg);
    if (sqlstate) {
        hn = snprintf(head, sizeof head, " SQLSTATE: %s", sqlstate);
        kiln_buf_append(&b, head, (size_t)hn);
    }
    if (sql && pos.offset >= 0) {
        hn = snprintf(head, sizeof head, "; line %d pos %d\n== SQL ==\n", pos.line, pos.col);
        kiln_buf_append(&b, head, (size_t)hn);
        /* The statement line by line, the caret line after the line of pos. */
        const char *s = sql;
        int line = 1;
        while (*s) {
            const char *e = strchr(s, '\n');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            kiln_buf_append(&b, s, n);
            kiln_buf_append(&b, "\n", 1);
            if (line == pos.line) {
                for (int i = 0; i < pos.col; i++) kiln_buf_append(&b, "-", 1);
                for (int i = 0; i < (len > 0 ? len : 1); i++) kiln_buf_append(&b, "^", 1);
                kiln_buf_append(&b, "\n", 1);
            }
            if (!e) break;
            s = e + 1;
            line++;
        }
        if (b.len && b.data[b.len - 1] == '\n') b.len--;
    }
    kiln_buf_append(&b, "", 1);
    int rc = kiln_set_error(code, "%s", b.data ? (char *)b.data : cls);
    kiln_buf_release(&b);
    return rc;
}

int sql_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 256 || m > 256) return (int)(n > m ? n : m);
    int row[257];
    for (size_t j = 0; j <= m; j++) row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = diag + cost;
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[m];
}
