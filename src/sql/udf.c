/*
 * sql/udf.c - native scalar functions (udf.h): the per-process cache of
 * loaded libraries, binding a call to a descriptor's types, the kernel
 * that hands whole vectors to a library in the layout of kiln/udf.h, and
 * the call's wire form.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fn_int.h"
#include "sql/udf.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "validity words are handed to UDFs as LSB-first byte bitmaps");

#define UDF_ERR_SIZE 1024

/* ---- Loading ------------------------------------------------------------- */

/* Loaded descriptors, for the process's life (libraries are never closed:
 * plans decoded later may call them again). */
typedef struct loaded {
    struct loaded *next;
    char *lib, *symbol;
    const kiln_udf *desc;
} loaded;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static loaded *load_cache;

int udf_load(const char *fn, const char *lib, const char *symbol, const kiln_udf **out)
{
    int rc = KILN_OK;
    *out = NULL;
    pthread_mutex_lock(&load_lock);
    for (loaded *l = load_cache; l; l = l->next)
        if (strcmp(l->lib, lib) == 0 && strcmp(l->symbol, symbol) == 0) *out = l->desc;
    if (*out) goto done;
    dlerror();
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        rc = kiln_set_error(KILN_ESQL,
                            "[CANNOT_LOAD_FUNCTION_CLASS] Cannot load the library '%s' of the "
                            "function `%s`: %s",
                            lib, fn, why ? why : "unknown error");
        goto done;
    }
    const kiln_udf *d = dlsym(h, symbol);
    if (!d) {
        const char *why = dlerror();
        rc = kiln_set_error(KILN_ESQL,
                            "[CANNOT_LOAD_FUNCTION_CLASS] The library '%s' has no symbol '%s' "
                            "for the function `%s`: %s",
                            lib, symbol, fn, why ? why : "no such symbol");
        goto done;
    }
    if (d->abi_version < 1 || d->abi_version > KILN_UDF_ABI_VERSION || !d->invoke ||
        (!d->bind && (d->nargs < 0 || d->nargs > KILN_UDF_MAX_ARGS))) {
        rc = kiln_set_error(KILN_ESQL,
                            "[CANNOT_LOAD_FUNCTION_CLASS] '%s:%s' (function `%s`) is not a kiln "
                            "UDF descriptor of ABI version %d (version %u, invoke %s)",
                            lib, symbol, fn, KILN_UDF_ABI_VERSION, d->abi_version,
                            d->invoke ? "set" : "missing");
        goto done;
    }
    loaded *l = malloc(sizeof *l);
    if (!l || !(l->lib = strdup(lib)) || !(l->symbol = strdup(symbol))) {
        if (l) free(l->lib);
        free(l);
        rc = kiln_set_error(KILN_ENOMEM, "out of memory");
        goto done;
    }
    l->desc = d;
    l->next = load_cache;
    load_cache = l;
    *out = d;
done:
    pthread_mutex_unlock(&load_lock);
    return rc;
}

/* ---- Types ---------------------------------------------------------------- */

static const col_type *type_of(int32_t t)
{
    switch (t) {
    case KILN_UDF_BOOL:
        return &col_type_bool;
    case KILN_UDF_INT8:
        return &col_type_i8;
    case KILN_UDF_INT16:
        return &col_type_i16;
    case KILN_UDF_INT32:
        return &col_type_i32;
    case KILN_UDF_INT64:
        return &col_type_i64;
    case KILN_UDF_FLOAT32:
        return &col_type_f32;
    case KILN_UDF_FLOAT64:
        return &col_type_f64;
    case KILN_UDF_STRING:
        return &col_type_string;
    case KILN_UDF_BINARY:
        return &col_type_binary;
    case KILN_UDF_DATE:
        return &col_type_date;
    case KILN_UDF_TIMESTAMP:
        return &col_type_timestamp;
    default:
        return NULL;
    }
}

/* The UDF type of t, or 0 when a UDF cannot take it. */
static int32_t udf_type(const col_type *t)
{
    for (int32_t k = KILN_UDF_BOOL; k <= KILN_UDF_TIMESTAMP; k++)
        if (type_of(k)->kind == t->kind) return k;
    return 0;
}

/* Implicit casts to a function's declared argument type: null to
 * anything, and the ANSI widenings (a number to a wider number, date to
 * timestamp): the common type of the two is the declared one. Unlike
 * Spark's, a string never passes for another type (a native function's
 * types are exact: a bind error beats a cast failing at run time). */
static bool implicit_cast(kiln_arena *a, const col_type *from, const col_type *to)
{
    if (from->kind == to->kind || from->kind == COL_NULL) return true;
    if (from->kind == COL_STRING || from->kind == COL_BINARY) return false;
    const col_type *w = fn_common_type(a, from, to, true);
    return w && col_type_eq(w, to);
}

/* ---- Binding -------------------------------------------------------------- */

/* Four definitions, by flags (null-in-null-out, nondeterministic): an
 * EX_CALL node's fn says how the evaluator treats the call; its state
 * (udf_state) says which function it is. */
static const fn_def udf_defs[4] = {
    {"<udf>", 0, -1, 0, NULL},
    {"<udf>", 0, -1, FN_NULL_IN_NULL_OUT, NULL},
    {"<udf>", 0, -1, FN_NONDETERMINISTIC, NULL},
    {"<udf>", 0, -1, FN_NULL_IN_NULL_OUT | FN_NONDETERMINISTIC, NULL},
};

typedef struct udf_state {
    udf_ref ref;
    const char *text; /* the call's SQL (errors) */
    const kiln_udf *desc;
    int nargs;
    int32_t types[KILN_UDF_MAX_ARGS]; /* as bound */
    int32_t result;
} udf_state;

bool udf_is(const fn_def *fn)
{
    return fn >= udf_defs && fn < udf_defs + 4;
}

bool udf_same(const expr *a, const expr *b)
{
    const udf_state *x = a->state, *y = b->state;
    return strcmp(x->ref.name, y->ref.name) == 0 && strcmp(x->ref.lib, y->ref.lib) == 0 &&
           strcmp(x->ref.symbol, y->ref.symbol) == 0;
}

static const char *ordinal(int i)
{
    static const char *const w[] = {"first",   "second", "third", "fourth", "fifth", "sixth",
                                    "seventh", "eighth", "ninth", "tenth",  "11th",  "12th",
                                    "13th",    "14th",   "15th",  "16th"};
    return i < 16 ? w[i] : "next";
}

static char *dup_in(kiln_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = kiln_arena_alloc(a, n);
    return d ? memcpy(d, s, n) : NULL;
}

/* Asks the descriptor for its types: fills st->types and st->result. */
static int bind_types(kiln_arena *a, udf_state *st, expr **args, int nargs)
{
    const kiln_udf *d = st->desc;
    const char *fn = st->ref.name;
    if (nargs > KILN_UDF_MAX_ARGS)
        return kiln_set_error(KILN_ESQL, "[WRONG_NUM_ARGS] `%s` takes at most %d arguments", fn,
                              KILN_UDF_MAX_ARGS);
    if (!d->bind) {
        if (nargs != d->nargs)
            return kiln_set_error(KILN_ESQL,
                                  "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %d "
                                  "parameters but the actual number is %d.",
                                  fn, d->nargs, nargs);
        memcpy(st->types, d->arg_types, sizeof(int32_t) * (size_t)nargs);
        st->result = d->result_type;
    } else {
        int32_t have[KILN_UDF_MAX_ARGS];
        char err[UDF_ERR_SIZE] = "";
        for (int i = 0; i < nargs; i++) st->types[i] = have[i] = udf_type(args[i]->type);
        kiln_udf_bind b = {nargs, have, st->types, 0, err, sizeof err, d->user};
        if (d->bind(&b) != 0) {
            err[sizeof err - 1] = 0;
            return kiln_set_error(KILN_ESQL,
                                  "[DATATYPE_MISMATCH] the function `%s` rejects its "
                                  "arguments: %s",
                                  fn, err[0] ? err : "(no message)");
        }
        st->result = b.result_type;
    }
    if (!type_of(st->result))
        return kiln_set_error(KILN_ESQL,
                              "[DATATYPE_MISMATCH] the function `%s` declares an unknown result "
                              "type %d",
                              fn, (int)st->result);
    for (int i = 0; i < nargs; i++) {
        const col_type *want = type_of(st->types[i]), *have = args[i]->type;
        if (!want)
            return kiln_set_error(KILN_ESQL,
                                  "[DATATYPE_MISMATCH] the function `%s` declares an unknown type "
                                  "%d for its %s parameter",
                                  fn, (int)st->types[i], ordinal(i));
        if (!implicit_cast(a, have, want)) {
            const char *hn = fn_type_name(a, have), *wn = fn_type_name(a, want);
            char hu[64], wu[64];
            snprintf(hu, sizeof hu, "%s", hn ? hn : "?");
            snprintf(wu, sizeof wu, "%s", wn ? wn : "?");
            for (char *c = hu; *c; c++) *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            for (char *c = wu; *c; c++) *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            return kiln_set_error(KILN_ESQL,
                                  "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] The %s parameter "
                                  "requires the \"%s\" type, however \"%s\" has the type \"%s\".",
                                  ordinal(i), wu, args[i]->text, hu);
        }
    }
    st->nargs = nargs;
    return KILN_OK;
}

static int udf_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                      const uint32_t *sel, uint32_t n, uint32_t count);

expr *udf_expr(kiln_arena *a, const udf_ref *ref, expr **args, int nargs, const char *text)
{
    udf_state *st = kiln_arena_alloc(a, sizeof *st);
    if (!st) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    memset(st, 0, sizeof *st);
    st->ref.name = dup_in(a, ref->name);
    st->ref.lib = dup_in(a, ref->lib);
    st->ref.symbol = dup_in(a, ref->symbol);
    if (!st->ref.name || !st->ref.lib || !st->ref.symbol) {
        kiln_set_error(KILN_ENOMEM, "out of memory");
        return NULL;
    }
    st->text = text;
    if (udf_load(ref->name, ref->lib, ref->symbol, &st->desc) || bind_types(a, st, args, nargs))
        return NULL;
    expr *cast[KILN_UDF_MAX_ARGS];
    for (int i = 0; i < nargs; i++) {
        const col_type *want = type_of(st->types[i]);
        cast[i] = args[i];
        if (!col_type_eq(args[i]->type, want) &&
            !(cast[i] = expr_cast(a, args[i], want, false, args[i]->text)))
            return NULL;
    }
    expr *e = expr_node(a, EX_CALL, type_of(st->result), cast, nargs, text);
    if (!e) return NULL;
    unsigned f = st->desc->flags;
    e->fn = &udf_defs[(f & KILN_UDF_NULL_IN_NULL_OUT ? 1 : 0) +
                      (f & KILN_UDF_NONDETERMINISTIC ? 2 : 0)];
    e->kernel = udf_kernel;
    e->state = st;
    e->nullable = true;
    return e;
}

/* ---- Wire form ------------------------------------------------------------ */

void udf_encode(wire_writer *w, const expr *e)
{
    const udf_state *st = e->state;
    wire_put_str(w, st->ref.name);
    wire_put_str(w, st->ref.lib);
    wire_put_str(w, st->ref.symbol);
}

static char *get_str(wire_reader *r, kiln_arena *a, const char *field)
{
    size_t n;
    const uint8_t *p = wire_get_bytes(r, 1 << 16, &n, field);
    char *s = p ? kiln_arena_alloc(a, n + 1) : NULL;
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

int udf_decode_ref(wire_reader *r, kiln_arena *a, udf_ref *out)
{
    out->name = get_str(r, a, "udf name");
    out->lib = get_str(r, a, "udf library");
    out->symbol = get_str(r, a, "udf symbol");
    return out->name && out->lib && out->symbol ? KILN_OK : KILN_ECORRUPT;
}

/* ---- Calling -------------------------------------------------------------- */

typedef struct call_mem {
    kiln_arena *a;
    int64_t cap; /* bytes of result->data */
} call_mem;

static char *reserve(kiln_udf_call *call, int64_t bytes)
{
    call_mem *m = call->internal;
    if (bytes <= m->cap) return call->result->data;
    if (bytes > INT32_MAX) return NULL;
    int64_t cap = m->cap * 2 > bytes ? m->cap * 2 : bytes;
    if (cap < 256) cap = 256;
    char *p = kiln_arena_alloc(m->a, (size_t)cap);
    if (!p) return NULL;
    if (m->cap) memcpy(p, call->result->data, (size_t)m->cap);
    call->result->data = p;
    m->cap = cap;
    return p;
}

/* Rows sel[0..count) (or 0..count) of v as a dense UDF vector. Fixed-width
 * vectors without a selection are passed as they are. */
static int view(fn_ctx *c, const col_vec *v, int32_t type, const uint32_t *sel, uint32_t count,
                kiln_udf_vector *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    out->length = count;
    bool is_str = type == KILN_UDF_STRING || type == KILN_UDF_BINARY;
    if (!sel && !v->constant && !is_str) {
        out->values = v->data;
        out->validity = (uint8_t *)v->validity;
        return KILN_OK;
    }
    bool nulls = false;
    for (uint32_t k = 0; k < count && !nulls; k++) nulls = !col_valid(v, sel ? sel[k] : k);
    if (nulls) {
        if (!(out->validity = kiln_arena_alloc(c->arena, (count + 7) / 8))) return KILN_ENOMEM;
        memset(out->validity, 0, (count + 7) / 8);
        for (uint32_t k = 0; k < count; k++)
            if (col_valid(v, sel ? sel[k] : k)) out->validity[k >> 3] |= (uint8_t)(1u << (k & 7));
    }
    if (!is_str) {
        size_t w = col_type_width(v->type);
        char *dst = kiln_arena_alloc(c->arena, w * count);
        if (!dst) return KILN_ENOMEM;
        const char *src = v->data;
        for (uint32_t k = 0; k < count; k++)
            memcpy(dst + w * k, src + w * col_row(v, sel ? sel[k] : k), w);
        out->values = dst;
        return KILN_OK;
    }
    const col_str *s = v->data;
    int64_t total = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = sel ? sel[k] : k;
        if (col_valid(v, i)) total += s[col_row(v, i)].len;
    }
    if (total > INT32_MAX)
        return fn_error(c, "FAILED_EXECUTE_UDF", "39000",
                        "a batch's strings exceed 2 GiB for a UDF argument");
    out->offsets = kiln_arena_alloc(c->arena, sizeof(int32_t) * (count + 1));
    out->data = kiln_arena_alloc(c->arena, (size_t)total + 1);
    if (!out->offsets || !out->data) return KILN_ENOMEM;
    int32_t off = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = sel ? sel[k] : k;
        out->offsets[k] = off;
        if (!col_valid(v, i)) continue;
        const col_str *x = &s[col_row(v, i)];
        memcpy(out->data + off, col_str_data(x), x->len);
        off += (int32_t)x->len;
    }
    out->offsets[count] = off;
    return KILN_OK;
}

/* Writes the UDF's result rows into out's rows sel[0..count). */
static int take_result(fn_ctx *c, const udf_state *st, const kiln_udf_vector *r, int64_t cap,
                       col_vec *out, const uint32_t *sel, uint32_t count)
{
    bool is_str = r->type == KILN_UDF_STRING || r->type == KILN_UDF_BINARY;
    size_t w = col_type_width(out->type);
    if (is_str && (r->offsets[0] != 0 || (count && !r->data && r->offsets[count] != 0))) goto bad;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t i = sel ? sel[k] : k;
        if (!col_valid(out, i)) continue; /* null in, null out */
        if (!kiln_udf_valid(r->validity, k)) {
            col_set_null(out, i);
        } else if (is_str) {
            int32_t b = r->offsets[k], e = r->offsets[k + 1];
            if (b < 0 || e < b || e > cap) goto bad;
            COL_DATA(out, col_str)[i] = col_str_view(r->data + b, (uint32_t)(e - b));
        } else if (r->type == KILN_UDF_BOOL) {
            COL_DATA(out, uint8_t)[i] = ((const uint8_t *)r->values)[k] != 0;
        } else {
            memcpy((char *)out->data + w * i, (const char *)r->values + w * k, w);
        }
    }
    return KILN_OK;
bad:
    c->expr = st->text;
    return fn_error(c, "FAILED_EXECUTE_UDF", "39000",
                    "User defined function (`%s`) wrote string offsets outside its bytes.",
                    st->ref.name);
}

static int udf_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                      const uint32_t *sel, uint32_t n, uint32_t count)
{
    (void)n;
    const udf_state *st = state;
    if (!count) return KILN_OK;
    kiln_udf_vector argv[KILN_UDF_MAX_ARGS], res;
    int rc;
    for (int i = 0; i < nargs; i++)
        if ((rc = view(c, &args[i], st->types[i], sel, count, &argv[i]))) return rc;
    memset(&res, 0, sizeof res);
    res.type = st->result;
    res.length = count;
    res.validity = kiln_arena_alloc(c->arena, (count + 7) / 8);
    bool is_str = st->result == KILN_UDF_STRING || st->result == KILN_UDF_BINARY;
    if (is_str) res.offsets = kiln_arena_alloc(c->arena, sizeof(int32_t) * (count + 1));
    else res.values = kiln_arena_alloc(c->arena, col_type_width(out->type) * count);
    if (!res.validity || (is_str ? !res.offsets : !res.values)) return KILN_ENOMEM;
    memset(res.validity, 0xff, (count + 7) / 8);
    if (is_str) memset(res.offsets, 0, sizeof(int32_t) * (count + 1));
    else memset(res.values, 0, col_type_width(out->type) * count);
    char err[UDF_ERR_SIZE] = "";
    call_mem mem = {c->arena, 0};
    kiln_udf_call call = {count, nargs, argv, &res, reserve, err, sizeof err, st->desc->user, &mem};
    if (st->desc->invoke(&call) != 0) {
        err[sizeof err - 1] = 0;
        c->expr = st->text;
        return fn_error(c, "FAILED_EXECUTE_UDF", "39000",
                        "User defined function (`%s`: '%s:%s') failed due to: %s", st->ref.name,
                        st->ref.lib, st->ref.symbol, err[0] ? err : "(no message)");
    }
    return take_result(c, st, &res, mem.cap, out, sel, count);
}
