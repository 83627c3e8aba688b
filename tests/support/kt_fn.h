/*
 * tests/support/kt_fn.h - calling SQL scalar functions (src/sql/fn.h) the
 * way the expression evaluator will: look the name up, bind with the
 * argument types (and constant values), cast arguments to the types bind
 * wants with fn_cast_vec, mark rows with a null argument null for
 * FN_NULL_IN_NULL_OUT functions, then run the kernel. Header-only (static
 * functions) for the test_sql_fn_* programs.
 */
#ifndef KT_FN_H
#define KT_FN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column/column.h"
#include "kt_rand.h"
#include "sql/fn.h"

/* A flat vector of n rows of type t (data zeroed, no validity). */
static inline col_vec kf_vec(kiln_arena *a, const col_type *t, uint32_t n)
{
    col_vec v;
    if (col_vec_init(&v, a, t, n) != KILN_OK) abort();
    size_t w = col_type_width(t);
    if (w) memset(v.data, 0, w * (n ? n : 1));
    v.n = n;
    return v;
}

static inline void kf_null(kiln_arena *a, col_vec *v, uint32_t i)
{
    col_vec_add_validity(v, a, v->n);
    col_set_null(v, i);
}

static inline void kf_set_str(kiln_arena *a, col_vec *v, uint32_t i, const char *s)
{
    col_str_copy(a, s, (uint32_t)strlen(s), &COL_DATA(v, col_str)[i]);
}

/* A constant vector of one value (val NULL: null) reporting n rows. */
static inline col_vec kf_const(kiln_arena *a, const col_type *t, const void *val, uint32_t n)
{
    col_vec v;
    if (col_vec_constant(&v, a, t, val, n) != KILN_OK) abort();
    return v;
}
static inline col_vec kf_const_str(kiln_arena *a, const char *s, uint32_t n)
{
    col_str cs;
    col_str_copy(a, s, (uint32_t)strlen(s), &cs);
    return kf_const(a, &col_type_string, &cs, n);
}

typedef struct kf_result {
    int rc;          /* bind or kernel result */
    const char *err; /* bind error message or run-time error (c.error) */
    const char *cls; /* bind error class */
    col_vec out;
    const col_type *type;
} kf_result;

static char kf_errbuf[2048];

/* Calls name on args (n rows each, rows sel[0..count) or all); ansi as
 * given; tz UTC unless kf_tz is set. */
static const char *kf_tz = "UTC";
static inline kf_result kf_call_sel(kiln_arena *a, const char *name, const col_vec *args, int nargs,
                                    bool ansi, const uint32_t *sel, uint32_t count)
{
    kf_result r;
    memset(&r, 0, sizeof r);
    const fn_def *d = fn_lookup(name);
    if (!d) {
        r.rc = KILN_EINVAL;
        r.err = "no such function";
        return r;
    }
    uint32_t n = nargs ? args[0].n : (sel ? count : 1);
    if (!nargs && count) n = count;
    fn_bind b;
    memset(&b, 0, sizeof b);
    b.arena = a;
    b.nargs = nargs;
    b.ansi = ansi;
    b.tz = kf_tz;
    b.err_arg = -1;
    for (int k = 0; k < nargs; k++) {
        b.args[k] = args[k].type;
        b.consts[k] = args[k].constant ? &args[k] : NULL;
    }
    r.rc = d->bind(&b);
    if (r.rc != KILN_OK) {
        r.err = b.err_msg;
        r.cls = b.err_cls;
        return r;
    }
    r.type = b.result;
    fn_ctx c;
    memset(&c, 0, sizeof c);
    c.arena = a;
    c.ansi = ansi;
    c.tz = kf_tz;
    col_vec *cast = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)(nargs ? nargs : 1));
    for (int k = 0; k < nargs; k++) {
        cast[k] = args[k];
        if (b.want[k] && !col_type_eq(b.want[k], args[k].type)) {
            uint32_t rows = args[k].constant ? 1 : n;
            col_vec_init(&cast[k], a, b.want[k], rows);
            cast[k].n = rows;
            col_vec_add_validity(&cast[k], a, rows);
            int rc = fn_cast_vec(&c, &args[k], &cast[k], b.want[k], false,
                                 args[k].constant ? NULL : sel, rows,
                                 args[k].constant ? 1 : (sel ? count : rows));
            if (rc != KILN_OK) {
                r.rc = rc;
                snprintf(kf_errbuf, sizeof kf_errbuf, "%s", c.error ? c.error : "cast failed");
                free(c.error);
                r.err = kf_errbuf;
                return r;
            }
            cast[k].constant = args[k].constant;
            cast[k].n = n;
        }
    }
    col_vec_init(&r.out, a, b.result, n);
    r.out.n = n;
    col_vec_add_validity(&r.out, a, n);
    if (d->flags & FN_NULL_IN_NULL_OUT) {
        for (uint32_t i = 0; i < n; i++)
            for (int k = 0; k < nargs; k++)
                if (!col_valid(&cast[k], i)) col_set_null(&r.out, i);
    }
    r.rc = b.kernel(&c, b.state, &r.out, cast, nargs, sel, n, sel ? count : n);
    if (r.rc != KILN_OK) {
        snprintf(kf_errbuf, sizeof kf_errbuf, "%s", c.error ? c.error : "kernel failed");
        r.err = kf_errbuf;
    }
    free(c.error);
    return r;
}

static inline kf_result kf_call(kiln_arena *a, const char *name, const col_vec *args, int nargs,
                                bool ansi)
{
    return kf_call_sel(a, name, args, nargs, ansi, NULL, 0);
}

/* fn_cast_vec of a whole vector into a new one. */
static inline kf_result kf_cast(kiln_arena *a, const col_vec *in, const col_type *to, bool ansi,
                                bool try_)
{
    kf_result r;
    memset(&r, 0, sizeof r);
    fn_ctx c;
    memset(&c, 0, sizeof c);
    c.arena = a;
    c.ansi = ansi;
    c.tz = kf_tz;
    col_vec_init(&r.out, a, to, in->n);
    r.out.n = in->n;
    col_vec_add_validity(&r.out, a, in->n);
    r.type = to;
    r.rc = fn_cast_vec(&c, in, &r.out, to, try_, NULL, in->n, in->n);
    if (r.rc != KILN_OK) {
        snprintf(kf_errbuf, sizeof kf_errbuf, "%s", c.error ? c.error : "cast failed");
        r.err = kf_errbuf;
    }
    free(c.error);
    return r;
}

/* Row i of a string vector as a NUL-terminated copy (static buffer). */
static inline const char *kf_str(const col_vec *v, uint32_t i)
{
    static char buf[4][512];
    static int which;
    char *b = buf[which++ & 3];
    const col_str *s = &COL_DATA(v, col_str)[col_row(v, i)];
    snprintf(b, 512, "%.*s", (int)s->len, col_str_data(s));
    return b;
}

/* A small deterministic generator (kt_rand.h). */
static inline uint64_t kf_rand(uint64_t *s)
{
    return kt_rand(s);
}

#endif
