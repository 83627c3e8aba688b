/*
 * tests/support/kt_rows.c - query rows as comparable text (kt_rows.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
