/*
 * sql/fn_registry.c - the registry of scalar functions (fn.h): one sorted
 * index over every family's table, built once, looked up by name without
 * regard to case; "did you mean" suggestions; run-time errors; helpers the
 * families share (fn_int.h).
 */
#define _GNU_SOURCE /* vasprintf */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/fn_int.h"
#include "sql/sql_error.h"

static const fn_def **fn_index;
static int fn_count;
static pthread_once_t fn_once = PTHREAD_ONCE_INIT;

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const fn_def *const *)a)->name, (*(const fn_def *const *)b)->name);
}

static void build_index(void)
{
    const fn_def *tables[] = {fn_defs_arith,      fn_defs_compare, fn_defs_cast,  fn_defs_math,
                              fn_defs_cond,       fn_defs_string,  fn_defs_regex, fn_defs_datetime,
                              fn_defs_collection, fn_defs_extra};
    int n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const fn_def *d = tables[t]; d->name; d++) n++;
    fn_index = malloc(sizeof *fn_index * (size_t)(n ? n : 1));
    if (!fn_index) return;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const fn_def *d = tables[t]; d->name; d++) fn_index[fn_count++] = d;
    qsort(fn_index, (size_t)fn_count, sizeof *fn_index, by_name);
}

const fn_def *fn_lookup(const char *name)
{
    pthread_once(&fn_once, build_index);
    char low[64];
    size_t len = strlen(name);
    if (len >= sizeof low) return NULL;
    for (size_t i = 0; i <= len; i++) low[i] = (char)tolower((unsigned char)name[i]);
    int lo = 0, hi = fn_count - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(fn_index[mid]->name, low);
        if (c == 0) return fn_index[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

int fn_suggest(const char *name, const char **out, int max)
{
    pthread_once(&fn_once, build_index);
    if (max <= 0) return 0;
    /* Names within a third of their length (at least 2 edits), nearest
     * first (ties alphabetically, as the index is sorted). */
    int best_d[16];
    int k = 0;
    if (max > 16) max = 16;
    int limit = (int)strlen(name) / 3;
    if (limit < 2) limit = 2;
    for (int i = 0; i < fn_count; i++) {
        const char *cand = fn_index[i]->name;
        if (!isalpha((unsigned char)cand[0])) continue; /* operators are never suggested */
        int d = sql_edit_distance(name, cand);
        if (d > limit) continue;
        int pos = k;
        while (pos > 0 && best_d[pos - 1] > d) pos--;
        if (pos >= max) continue;
        int last = k < max ? k : max - 1;
        for (int j = last; j > pos; j--) {
            best_d[j] = best_d[j - 1];
            out[j] = out[j - 1];
        }
        best_d[pos] = d;
        out[pos] = cand;
        if (k < max) k++;
    }
    return k;
}

int fn_error(fn_ctx *c, const char *cls, const char *sqlstate, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    char *full = NULL;
    int rc;
    if (c->expr)
        rc = asprintf(&full, "[%s] %s SQLSTATE: %s == SQL of: %s", cls, msg ? msg : "", sqlstate,
                      c->expr);
    else rc = asprintf(&full, "[%s] %s SQLSTATE: %s", cls, msg ? msg : "", sqlstate);
    free(msg);
    if (rc < 0) full = NULL;
    free(c->error);
    c->error = full;
    c->error_code = KILN_ESQL;
    return kiln_set_error(KILN_ESQL, "%s", full ? full : cls);
}

/* ---- Shared helpers (fn_int.h) ------------------------------------------ */

double fn_num_get_f64(const col_vec *v, uint32_t i)
{
    uint32_t r = col_row(v, i);
    switch (v->type->kind) {
    case COL_F32:
        return ((const float *)v->data)[r];
    case COL_F64:
        return ((const double *)v->data)[r];
    case COL_DECIMAL:
        return (double)fn_dec_get(v, i) / (double)dec_pow10[v->type->scale];
    default:
        return (double)fn_int_get(v, i);
    }
}

const col_type *fn_decimal_of(kiln_arena *a, const col_type *t)
{
    switch (t->kind) {
    case COL_DECIMAL:
        return t;
    case COL_I8:
        return col_type_decimal(a, 3, 0);
    case COL_I16:
        return col_type_decimal(a, 5, 0);
    case COL_I32:
        return col_type_decimal(a, 10, 0);
    case COL_I64:
        return col_type_decimal(a, 20, 0);
    default:
        return NULL;
    }
}

static bool is_atomic(const col_type *t)
{
    return t->kind != COL_ARRAY && t->kind != COL_MAP && t->kind != COL_STRUCT &&
           t->kind != COL_NULL;
}

const col_type *fn_string_promotion(const col_type *x, const col_type *y)
{
    if (x->kind != COL_STRING && y->kind == COL_STRING) {
        const col_type *t = x;
        x = y;
        y = t;
    }
    if (x->kind != COL_STRING) return NULL;
    if (col_type_is_integral(y)) return &col_type_i64;
    if (y->kind == COL_F32 || y->kind == COL_F64 || y->kind == COL_DECIMAL) return &col_type_f64;
    if (y->kind == COL_NULL || y->kind == COL_STRING) return &col_type_string;
    if (y->kind == COL_INTERVAL_YM || y->kind == COL_INTERVAL_DT) return NULL;
    if (is_atomic(y)) return y;
    return NULL;
}

const col_type *fn_binary_common(fn_bind *b, const col_type *x, const col_type *y)
{
    const col_type *t = fn_string_promotion(x, y);
    if (t) return t;
    return fn_common_type(b->arena, x, y, b->ansi);
}

char *fn_strdup(kiln_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
    char *p = kiln_arena_alloc(a, (size_t)n + 1);
    if (p) {
        memcpy(p, tmp, (size_t)n);
        p[n] = 0;
    }
    return p;
}

const char *fn_type_name(kiln_arena *a, const col_type *t)
{
    kiln_buf b;
    kiln_buf_init(&b);
    col_type_format(&b, t);
    char *p = kiln_arena_alloc(a, b.len + 1);
    if (p) {
        if (b.len) memcpy(p, b.data, b.len);
        p[b.len] = 0;
    }
    kiln_buf_release(&b);
    return p ? p : "?";
}

int fn_bind_fail(fn_bind *b, int arg, const char *cls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    b->err_cls = cls;
    b->err_msg = fn_strdup(b->arena, "%s", tmp);
    b->err_arg = arg;
    return KILN_ESQL;
}

int fn_put_str(fn_ctx *c, col_vec *out, uint32_t i, const char *p, size_t len)
{
    if (!col_str_copy(c->arena, p, (uint32_t)len, &COL_DATA(out, col_str)[i])) return KILN_ENOMEM;
    return KILN_OK;
}

int fn_err_overflow(fn_ctx *c, const col_type *t, const char *try_fn)
{
    const char *what = t->kind == COL_I64   ? "long"
                       : t->kind == COL_I32 ? "integer"
                       : t->kind == COL_I16 ? "short"
                                            : "byte";
    return fn_error(c, "ARITHMETIC_OVERFLOW", "22003",
                    "%s overflow. Use '%s' to tolerate overflow and return NULL instead. If "
                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to bypass this error.",
                    what, try_fn);
}

int fn_err_div_zero(fn_ctx *c)
{
    return fn_error(c, "DIVIDE_BY_ZERO", "22012",
                    "Division by zero. Use `try_divide` to tolerate divisor being 0 and return "
                    "NULL instead. If necessary set \"kiln.sql.ansi.enabled\" to \"false\" to "
                    "bypass this error.");
}
