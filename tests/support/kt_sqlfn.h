/*
 * tests/support/kt_sqlfn.h - calling SQL scalar functions in tests of the
 * string, regex and datetime families without the registry: find a
 * definition in a table, bind it on argument vectors (constants passed as
 * such), run its kernel over all rows and read results back.
 */
#ifndef KT_SQLFN_H
#define KT_SQLFN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/fn.h"

static inline const fn_def *kt_fn_find(const fn_def *const *tables, const char *name)
{
    for (int t = 0; tables[t]; t++)
        for (const fn_def *d = tables[t]; d->name; d++)
            if (strcasecmp(d->name, name) == 0) return d;
    return NULL;
}

/* A vector of n strings (NULL entries are nulls) in a. */
static inline col_vec kt_strs(kiln_arena *a, const char *const *s, uint32_t n)
{
    col_vec v;
    col_vec_init(&v, a, &col_type_string, n);
    v.n = n;
    for (uint32_t i = 0; i < n; i++) {
        if (!s[i]) {
            col_vec_add_validity(&v, a, n);
            col_set_null(&v, i);
            COL_DATA(&v, col_str)[i] = col_str_view("", 0);
        } else {
            col_str_copy(a, s[i], (uint32_t)strlen(s[i]), &COL_DATA(&v, col_str)[i]);
        }
    }
    return v;
}

static inline col_vec kt_const_str(kiln_arena *a, const char *s, uint32_t n)
{
    col_vec v;
    if (s) {
        col_str cs;
        col_str_copy(a, s, (uint32_t)strlen(s), &cs);
        col_vec_constant(&v, a, &col_type_string, &cs, n);
    } else {
        col_vec_constant(&v, a, &col_type_string, NULL, n);
    }
    return v;
}

static inline col_vec kt_const_i32(kiln_arena *a, int32_t x, uint32_t n)
{
    col_vec v;
    col_vec_constant(&v, a, &col_type_i32, &x, n);
    return v;
}

static inline col_vec kt_const_i64(kiln_arena *a, int64_t x, const col_type *t, uint32_t n)
{
    col_vec v;
    col_vec_constant(&v, a, t, &x, n);
    return v;
}

/* Result of kt_call. */
typedef struct kt_res {
    int rc;          /* bind or kernel code */
    const char *err; /* bind message or fn_ctx error */
    const char *cls;
    col_vec out;
    const col_type *type;
} kt_res;

/* Binds name on args (those flagged in is_const passed as constants) and
 * runs it on n rows. Arguments must already have the types bind wants
 * (the test passes them so); a want that differs fails the call. */
static inline kt_res kt_call(kiln_arena *a, const fn_def *const *tables, const char *name,
                             col_vec *args, int nargs, const bool *is_const, uint32_t n,
                             const char *tz, bool ansi)
{
    kt_res r;
    memset(&r, 0, sizeof r);
    const fn_def *d = kt_fn_find(tables, name);
    if (!d) {
        r.rc = -100;
        r.err = "no such function";
        return r;
    }
    fn_bind b;
    memset(&b, 0, sizeof b);
    b.arena = a;
    b.nargs = nargs;
    b.ansi = ansi;
    b.tz = tz;
    for (int k = 0; k < nargs; k++) {
        b.args[k] = args[k].type;
        b.consts[k] = is_const && is_const[k] ? &args[k] : NULL;
    }
    r.rc = d->bind(&b);
    if (r.rc) {
        r.err = b.err_msg;
        r.cls = b.err_cls;
        return r;
    }
    for (int k = 0; k < nargs; k++) {
        if (b.want[k] && b.want[k]->kind == COL_BINARY && args[k].type->kind == COL_STRING)
            args[k].type = &col_type_binary; /* same layout: a relabelling */
        if (b.want[k] && !col_type_eq(b.want[k], args[k].type)) {
            r.rc = -101;
            r.err = "argument needs a cast";
            return r;
        }
    }
    r.type = b.result;
    col_vec_init(&r.out, a, b.result, n);
    col_vec_add_validity(&r.out, a, n);
    r.out.n = n;
    if (d->flags & FN_NULL_IN_NULL_OUT)
        for (uint32_t i = 0; i < n; i++)
            for (int k = 0; k < nargs; k++)
                if (!col_valid(&args[k], i)) col_set_null(&r.out, i);
    fn_ctx c;
    memset(&c, 0, sizeof c);
    c.arena = a;
    c.ansi = ansi;
    c.tz = tz;
    c.now_us = INT64_C(1700000000123456);
    r.rc = b.kernel(&c, b.state, &r.out, args, nargs, NULL, n, n);
    if (c.error) {
        size_t l = strlen(c.error);
        char *e = kiln_arena_alloc(a, l + 1);
        memcpy(e, c.error, l + 1);
        free(c.error);
        r.err = e;
    }
    return r;
}

/* Row i of a string result as a NUL-terminated copy in a ("<null>" for null). */
static inline const char *kt_out_str(kiln_arena *a, const col_vec *v, uint32_t i)
{
    if (!col_valid(v, i)) return "<null>";
    const col_str *s = &COL_DATA(v, col_str)[col_row(v, i)];
    char *p = kiln_arena_alloc(a, s->len + 1);
    memcpy(p, col_str_data(s), s->len);
    p[s->len] = 0;
    return p;
}

#endif
