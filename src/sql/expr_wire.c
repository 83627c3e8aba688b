/*
 * sql/expr_wire.c - bound expressions and types as bytes (expr.h), so a
 * plan fragment can run in another process: functions travel by name and
 * are bound again there.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/expr.h"
#include "sql/udf.h"

#define TYPE_MAX_DEPTH 32
#define EXPR_MAX_DEPTH 2000
#define NAME_MAX_LEN 4096

static void type_put(wire_writer *w, const col_type *t, int depth)
{
    wire_put_u8(w, t->kind);
    wire_put_u8(w, t->precision);
    wire_put_u8(w, t->scale);
    wire_put_u8(w, t->contains_null);
    if (depth > TYPE_MAX_DEPTH) return;
    switch (t->kind) {
    case COL_ARRAY:
        type_put(w, t->elem, depth + 1);
        break;
    case COL_MAP:
        type_put(w, t->elem, depth + 1);
        type_put(w, t->value, depth + 1);
        break;
    case COL_STRUCT:
        wire_put_u32(w, (uint32_t)t->nfields);
        for (int i = 0; i < t->nfields; i++) {
            wire_put_str(w, t->fields[i].name);
            wire_put_u8(w, t->fields[i].nullable);
            type_put(w, t->fields[i].type, depth + 1);
        }
        break;
    default:
        break;
    }
}

void col_type_put(wire_writer *w, const col_type *t)
{
    type_put(w, t, 0);
}

static char *get_name(wire_reader *r, kiln_arena *a, const char *field)
{
    size_t n;
    const uint8_t *p = wire_get_bytes(r, NAME_MAX_LEN, &n, field);
    if (!p) return NULL;
    char *s = kiln_arena_alloc(a, n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static const col_type *type_get(wire_reader *r, kiln_arena *a, int depth)
{
    col_type t = {0};
    t.kind = wire_get_u8(r, "type kind");
    t.precision = wire_get_u8(r, "precision");
    t.scale = wire_get_u8(r, "scale");
    t.contains_null = wire_get_u8(r, "contains null") != 0;
    if (r->err || t.kind >= COL_KIND_COUNT || depth > TYPE_MAX_DEPTH) return NULL;
    switch (t.kind) {
    case COL_ARRAY: {
        const col_type *e = type_get(r, a, depth + 1);
        return e ? col_type_array(a, e, t.contains_null) : NULL;
    }
    case COL_MAP: {
        const col_type *k = type_get(r, a, depth + 1);
        const col_type *v = k ? type_get(r, a, depth + 1) : NULL;
        return v ? col_type_map(a, k, v, t.contains_null) : NULL;
    }
    case COL_STRUCT: {
        uint32_t n = wire_get_u32(r, "fields");
        if (r->err || n > 10000) return NULL;
        col_field *f = kiln_arena_alloc(a, sizeof *f * (n ? n : 1));
        if (!f) return NULL;
        for (uint32_t i = 0; i < n; i++) {
            f[i].name = get_name(r, a, "field name");
            f[i].nullable = wire_get_u8(r, "nullable") != 0;
            f[i].type = f[i].name ? type_get(r, a, depth + 1) : NULL;
            if (!f[i].type) return NULL;
        }
        return col_type_struct(a, f, (int)n);
    }
    default:
        return col_type_copy(a, &t);
    }
}

const col_type *col_type_get(wire_reader *r, kiln_arena *a)
{
    return type_get(r, a, 0);
}

static void put_expr(wire_writer *w, const expr *e)
{
    wire_put_u8(w, e->kind);
    wire_put_u8(w, (uint8_t)(e->nullable | e->try_ << 1 | e->has_else << 2));
    col_type_put(w, e->type);
    wire_put_str(w, e->text ? e->text : "");
    switch (e->kind) {
    case EX_COL:
        wire_put_u32(w, (uint32_t)e->col);
        break;
    case EX_LIT: {
        kiln_buf b;
        kiln_buf_init(&b);
        col_batch one = {.ncols = 1, .n = 1, .cols = (col_vec *)&e->lit};
        if (col_batch_encode(&b, &one) != KILN_OK && !w->err) w->err = KILN_ENOMEM;
        wire_put_bytes(w, b.data, b.len);
        kiln_buf_release(&b);
        break;
    }
    case EX_CALL:
        wire_put_str(w, e->fn->name);
        if (udf_is(e->fn)) udf_encode(w, e);
        break;
    default:
        break;
    }
    wire_put_u32(w, (uint32_t)e->nargs);
    for (int i = 0; i < e->nargs; i++) put_expr(w, e->args[i]);
}

void expr_encode(wire_writer *w, const expr *e)
{
    put_expr(w, e);
}

static int get_expr(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, int depth, expr **out)
{
    if (depth > EXPR_MAX_DEPTH) return KILN_ECORRUPT;
    uint8_t kind = wire_get_u8(r, "expression kind");
    uint8_t flags = wire_get_u8(r, "expression flags");
    const col_type *t = col_type_get(r, a);
    const char *text = get_name(r, a, "expression text");
    if (r->err || !t || !text || kind > EX_NOT_NULL) return KILN_ECORRUPT;
    int col = 0;
    col_batch lit = {0};
    const char *fname = NULL;
    char name[128];
    udf_ref udf = {NULL, NULL, NULL};
    if (kind == EX_COL) {
        col = (int)wire_get_u32(r, "column");
    } else if (kind == EX_LIT) {
        size_t n;
        const uint8_t *p = wire_get_bytes(r, 1u << 30, &n, "literal");
        if (!p || col_batch_decode(&lit, a, p, n) != KILN_OK || lit.ncols != 1 || lit.n != 1)
            return KILN_ECORRUPT;
    } else if (kind == EX_CALL) {
        wire_get_str(r, name, sizeof name, "function");
        fname = name;
        if (strcmp(name, "<udf>") == 0 && udf_decode_ref(r, a, &udf)) return KILN_ECORRUPT;
    }
    uint32_t nargs = wire_get_u32(r, "arguments");
    if (r->err || nargs > FN_MAX_ARGS * 64) return KILN_ECORRUPT;
    expr **args = kiln_arena_alloc(a, sizeof *args * (nargs ? nargs : 1));
    if (!args) return KILN_ENOMEM;
    for (uint32_t i = 0; i < nargs; i++) {
        int rc = get_expr(r, a, ansi, tz, depth + 1, &args[i]);
        if (rc) return rc;
    }
    expr *e;
    switch (kind) {
    case EX_COL:
        e = expr_col(a, col, t, flags & 1, text);
        break;
    case EX_LIT:
        e = expr_node(a, EX_LIT, t, NULL, 0, text);
        if (e) {
            /* The decoded row may point into the payload: copy it (nested
             * values' strings still point there; the payload outlives the
             * plan it is decoded into). */
            col_vec copy;
            uint32_t zero = 0;
            if (col_vec_gather(&copy, a, &lit.cols[0], &zero, 1) != KILN_OK) return KILN_ENOMEM;
            if (copy.type->kind == COL_STRING || copy.type->kind == COL_BINARY) {
                col_str *s = copy.data;
                if (col_valid(&copy, 0) && !col_str_copy(a, col_str_data(s), s->len, s))
                    return KILN_ENOMEM;
            }
            e->lit = copy;
            e->lit.constant = true;
            e->nullable = flags & 1;
        }
        break;
    case EX_CALL:
        if (udf.name && !(e = udf_expr(a, &udf, args, (int)nargs, text))) return KILN_ESQL;
        if (!udf.name) e = expr_call(a, fname, args, (int)nargs, ansi, tz, text);
        if (e && !col_type_eq(e->type, t))
            return KILN_ECORRUPT; /* bound differently here than where it was made */
        break;
    case EX_CAST:
        if (nargs != 1) return KILN_ECORRUPT;
        e = expr_node(a, EX_CAST, t, args, 1, text);
        if (e) e->try_ = (flags >> 1) & 1;
        break;
    default:
        if ((kind == EX_AND || kind == EX_OR) && nargs != 2) return KILN_ECORRUPT;
        if ((kind == EX_IS_NULL || kind == EX_NOT_NULL) && nargs != 1) return KILN_ECORRUPT;
        e = expr_node(a, kind, t, args, (int)nargs, text);
        break;
    }
    if (!e) return KILN_ECORRUPT;
    e->nullable = flags & 1;
    *out = e;
    return KILN_OK;
}

int expr_decode(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, expr **out)
{
    return get_expr(r, a, ansi, tz, 0, out);
}
