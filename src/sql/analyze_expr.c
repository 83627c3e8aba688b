/*
 * sql/analyze_expr.c - binding expressions (analyze.h): names to columns,
 * literals to typed constants, operators and functions to bound calls with
 * Spark's coercions, aggregate calls to the aggregate being built.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/analyze_int.h"
#include "sql/sql_error.h"
#include "sql/udf.h"

int anz_error(anz *z, int pos, int len, const char *cls, const char *state, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    sql_pos p = z->sql && pos >= 0 ? sql_pos_at(z->sql, (size_t)pos) : SQL_NO_POS;
    int rc = sql_error(KILN_ESQL, z->sql, p, len, cls, state, "%s", msg ? msg : cls);
    free(msg);
    return rc;
}

char *anz_strdup(anz *z, const char *s)
{
    size_t n = strlen(s);
    char *c = kiln_arena_alloc(z->a, n + 1);
    if (c) memcpy(c, s, n + 1);
    return c;
}

/* The SQL text of node e (its span in z->sql), for names and errors. */
static const char *text_of(anz *z, const ast_expr *e)
{
    if (!z->sql || e->pos < 0 || e->len <= 0) return "?";
    char *s = kiln_arena_alloc(z->a, (size_t)e->len + 1);
    if (!s) return "?";
    memcpy(s, z->sql + e->pos, (size_t)e->len);
    s[e->len] = 0;
    return s;
}

const char *anz_text_of(anz *z, const ast_expr *e)
{
    return text_of(z, e);
}

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing a query");
}

/* Re-raises kiln_last_error() of a bind as an error at e's position. */
static int bind_failed(anz *z, const ast_expr *e)
{
    const char *m = kiln_last_error();
    /* Messages of expr_call start with "[CLASS] ". */
    char cls[96] = "DATATYPE_MISMATCH";
    const char *body = m;
    if (m[0] == '[') {
        const char *end = strchr(m, ']');
        if (end && (size_t)(end - m - 1) < sizeof cls) {
            memcpy(cls, m + 1, (size_t)(end - m - 1));
            cls[end - m - 1] = 0;
            body = end[1] == ' ' ? end + 2 : end + 1;
        }
    }
    char *copy = strdup(body);
    const char *state = strncmp(cls, "WRONG_NUM_ARGS", 14) == 0 ? "42605" : "42K09";
    int rc = anz_error(z, e->pos, e->len, cls, state, "Cannot resolve \"%s\": %s", text_of(z, e),
                       copy ? copy : "");
    free(copy);
    return rc;
}

/* ---- Literals ------------------------------------------------------------- */

static bool parse_int128(const char *s, int len, __int128 *out, int *digits)
{
    __int128 v = 0;
    int n = 0;
    for (int i = 0; i < len; i++) {
        if (s[i] == '_') continue;
        if (!isdigit((unsigned char)s[i])) return false;
        if (n >= 38) return false;
        v = v * 10 + (s[i] - '0');
        if (v != 0 || n) n++;
    }
    *out = v;
    *digits = n ? n : 1;
    return true;
}

int anz_literal(anz *z, const ast_literal *l, expr **out)
{
    const char *text = text_of(z, &l->e);
    switch (l->lit) {
    case LIT_NULL:
        *out = expr_lit(z->a, &col_type_null, NULL, "NULL");
        break;
    case LIT_BOOL: {
        uint8_t b = l->b;
        *out = expr_lit(z->a, &col_type_bool, &b, l->b ? "true" : "false");
        break;
    }
    case LIT_INT: {
        __int128 v;
        int digits;
        /* The parser folds a minus sign into the literal: -2147483648 is an int. */
        bool neg = l->text_len > 0 && l->text[0] == '-';
        if (!parse_int128(l->text + neg, l->text_len - neg, &v, &digits))
            return anz_error(z, l->e.pos, l->e.len, "INVALID_NUMERIC_LITERAL_RANGE", "22003",
                             "Numeric literal %s is outside the valid range", text);
        if (neg) v = -v;
        if (l->suffix == 'L') {
            if (v > INT64_MAX || v < INT64_MIN)
                return anz_error(z, l->e.pos, l->e.len, "INVALID_NUMERIC_LITERAL_RANGE", "22003",
                                 "Numeric literal %s is outside the valid range for bigint", text);
            int64_t x = (int64_t)v;
            *out = expr_lit(z->a, &col_type_i64, &x, text);
        } else if (l->suffix == 'S' || l->suffix == 'Y') {
            int64_t lim = l->suffix == 'S' ? INT16_MAX : INT8_MAX;
            if (v > lim || v < -lim - 1)
                return anz_error(z, l->e.pos, l->e.len, "INVALID_NUMERIC_LITERAL_RANGE", "22003",
                                 "Numeric literal %s is outside the valid range", text);
            if (l->suffix == 'S') {
                int16_t x = (int16_t)v;
                *out = expr_lit(z->a, &col_type_i16, &x, text);
            } else {
                int8_t x = (int8_t)v;
                *out = expr_lit(z->a, &col_type_i8, &x, text);
            }
        } else if (v <= INT32_MAX && v >= INT32_MIN) {
            int32_t x = (int32_t)v;
            *out = expr_lit(z->a, &col_type_i32, &x, text);
        } else if (v <= INT64_MAX && v >= INT64_MIN) {
            int64_t x = (int64_t)v;
            *out = expr_lit(z->a, &col_type_i64, &x, text);
        } else {
            const col_type *t = col_type_decimal(z->a, digits, 0);
            if (!t) return oom();
            *out = expr_lit(z->a, t, &v, text);
        }
        break;
    }
    case LIT_DECIMAL: {
        /* digits.digits: decimal(p, s) with p the digits, s those after the point. */
        char buf[80] = {0};
        int n = 0, scale = 0;
        bool frac = false;
        for (int i = 0; i < l->text_len && n < 78; i++) {
            char c = l->text[i];
            if (c == '.') {
                frac = true;
            } else if (isdigit((unsigned char)c)) {
                buf[n++] = c;
                scale += frac;
            }
        }
        __int128 v;
        int digits;
        if (!parse_int128(buf, n, &v, &digits) || scale > 38) goto as_double;
        if (l->text_len > 0 && l->text[0] == '-') v = -v;
        int prec = digits > scale ? digits : scale;
        if (prec < 1) prec = 1;
        const col_type *t = col_type_decimal(z->a, prec, scale);
        if (!t) return oom();
        if (prec <= 18) {
            int64_t x = (int64_t)v;
            *out = expr_lit(z->a, t, &x, text);
        } else {
            *out = expr_lit(z->a, t, &v, text);
        }
        break;
    }
    case LIT_DOUBLE:
    as_double : {
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", l->text_len, l->text);
        double d = strtod(buf, NULL);
        if (l->suffix == 'F') {
            float f = (float)d;
            *out = expr_lit(z->a, &col_type_f32, &f, text);
        } else {
            *out = expr_lit(z->a, &col_type_f64, &d, text);
        }
        break;
    }
    case LIT_STRING:
    case LIT_BINARY: {
        col_str s;
        if (!col_str_copy(z->a, l->text, (uint32_t)l->text_len, &s)) return oom();
        /* X'..' holds hex digits: the binary value. */
        if (l->lit == LIT_BINARY) {
            int n = l->text_len / 2;
            char *b = kiln_arena_alloc(z->a, (size_t)(n ? n : 1));
            if (!b) return oom();
            for (int i = 0; i < n; i++) {
                char h[3] = {l->text[2 * i], l->text[2 * i + 1], 0};
                b[i] = (char)strtol(h, NULL, 16);
            }
            if (!col_str_copy(z->a, b, (uint32_t)n, &s)) return oom();
        }
        *out = expr_lit(z->a, l->lit == LIT_STRING ? &col_type_string : &col_type_binary, &s, text);
        break;
    }
    case LIT_DATE:
    case LIT_TIMESTAMP:
    case LIT_TIMESTAMP_NTZ:
    case LIT_TIMESTAMP_LTZ: {
        col_str s;
        if (!col_str_copy(z->a, l->text, (uint32_t)l->text_len, &s)) return oom();
        expr *str = expr_lit(z->a, &col_type_string, &s, text);
        const col_type *to = l->lit == LIT_DATE            ? &col_type_date
                             : l->lit == LIT_TIMESTAMP_NTZ ? &col_type_timestamp_ntz
                                                           : &col_type_timestamp;
        expr *c = str ? expr_cast(z->a, str, to, true, text) : NULL;
        if (!c) return oom();
        fn_ctx fc = {.arena = z->a, .ansi = true, .tz = z->tz};
        if (expr_fold(z->a, &fc, &c) != KILN_OK || !col_valid(&c->lit, 0)) {
            free(fc.error);
            return anz_error(z, l->e.pos, l->e.len, "INVALID_TYPED_LITERAL", "42604",
                             "The value of the typed literal %s is invalid: '%.*s'",
                             l->lit == LIT_DATE ? "\"DATE\"" : "\"TIMESTAMP\"", l->text_len,
                             l->text);
        }
        c->text = text;
        *out = c;
        break;
    }
    }
    return *out ? KILN_OK : oom();
}

/* INTERVAL '90' DAY and friends: a year-month or day-time constant. */
static int bind_interval(anz *z, const ast_interval *iv, expr **out)
{
    int64_t months = 0, micros = 0;
    bool ym = false, dt = false;
    int first = COL_DT_SECOND, last = COL_DT_DAY; /* the day-time fields written */
    for (int i = 0; i < iv->n; i++) {
        const ast_interval_part *p = &iv->parts[i];
        if (!p->unit || p->to_unit)
            return anz_error(z, iv->e.pos, iv->e.len, "UNSUPPORTED_FEATURE", "0A000",
                             "this interval literal form is not supported yet");
        char *end;
        double v = strtod(p->value, &end);
        while (*end == ' ') end++;
        if (*end)
            return anz_error(z, iv->e.pos, iv->e.len, "INVALID_INTERVAL_FORMAT", "22006",
                             "Error parsing interval '%s'", p->value);
        const char *u = p->unit;
        size_t ul = strlen(u);
        int field = COL_DT_DAY;
        if (ul > 1 && u[ul - 1] == 's') ul--; /* plural */
#define UNIT(name) (ul == strlen(name) && strncasecmp(u, name, ul) == 0)
        if (UNIT("year")) {
            months += (int64_t)(v * 12);
            ym = true;
        } else if (UNIT("month")) {
            months += (int64_t)v;
            ym = true;
        } else if (UNIT("week")) {
            field = COL_DT_DAY;
            micros += (int64_t)(v * 7 * 86400e6);
            dt = true;
        } else if (UNIT("day")) {
            field = COL_DT_DAY;
            micros += (int64_t)(v * 86400e6);
            dt = true;
        } else if (UNIT("hour")) {
            field = COL_DT_HOUR;
            micros += (int64_t)(v * 3600e6);
            dt = true;
        } else if (UNIT("minute")) {
            field = COL_DT_MINUTE;
            micros += (int64_t)(v * 60e6);
            dt = true;
        } else if (UNIT("second")) {
            field = COL_DT_SECOND;
            micros += (int64_t)(v * 1e6);
            dt = true;
        } else if (UNIT("millisecond")) {
            field = COL_DT_SECOND;
            micros += (int64_t)(v * 1e3);
            dt = true;
        } else if (UNIT("microsecond")) {
            field = COL_DT_SECOND;
            micros += (int64_t)v;
            dt = true;
        } else {
            return anz_error(z, iv->e.pos, iv->e.len, "INVALID_INTERVAL_FORMAT", "22006",
                             "unknown interval unit '%s'", u);
        }
#undef UNIT
        if (dt) {
            first = field < first ? field : first;
            last = field > last ? field : last;
        }
    }
    if (ym && dt)
        return anz_error(z, iv->e.pos, iv->e.len, "UNSUPPORTED_FEATURE", "0A000",
                         "an interval of both months and days is not supported yet");
    const char *text = text_of(z, &iv->e);
    if (ym) {
        int32_t m = (int32_t)months;
        *out = expr_lit(z->a, &col_type_interval_ym, &m, text);
    } else {
        /* Spark's type spans the fields written: INTERVAL '3' DAY is an
         * interval day, INTERVAL 1 DAY 2 HOURS an interval day to hour. */
        *out = expr_lit(z->a, col_type_interval_dt_of(first, last), &micros, text);
    }
    return *out ? KILN_OK : oom();
}

/* ---- Columns ---------------------------------------------------------------- */

static bool name_eq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* Spark's suggestion list: the (at most 5) columns in scope nearest to
 * name by edit distance, nearest first. */
static void suggestions(const plan *in, const char *name, char *out, size_t size)
{
    int order[5], n = 0;
    int ncols = in ? in->ncols : 0;
    bool *used = ncols ? calloc((size_t)ncols, sizeof *used) : NULL;
    while (n < 5 && n < ncols && used) {
        int best = -1, bd = 0;
        for (int i = 0; i < ncols; i++) {
            if (used[i]) continue;
            int d = sql_edit_distance(name, in->cols[i].name);
            if (best < 0 || d < bd) {
                best = i;
                bd = d;
            }
        }
        used[best] = true;
        order[n++] = best;
    }
    free(used);
    size_t at = 0;
    out[0] = 0;
    for (int k = 0; k < n && at + 4 < size; k++) {
        const plan_col *c = &in->cols[order[k]];
        int w;
        if (c->qualifier)
            w = snprintf(out + at, size - at, "%s`%s`.`%s`", k ? ", " : "", c->qualifier, c->name);
        else w = snprintf(out + at, size - at, "%s`%s`", k ? ", " : "", c->name);
        if (w < 0 || (size_t)w >= size - at) break;
        at += (size_t)w;
    }
}

/* Spark's AMBIGUOUS_REFERENCE, naming the columns col could be. */
static int ambiguous(anz *z, const ast_column *c, const plan *in, const char *col, const char *qual,
                     const char *where)
{
    char list[512] = "";
    size_t at = 0;
    for (int i = 0; i < in->ncols && at + 4 < sizeof list; i++) {
        const plan_col *pc = &in->cols[i];
        if (!name_eq(pc->name, col) || (qual && !name_eq(pc->qualifier, qual))) continue;
        int w = pc->qualifier
                    ? snprintf(list + at, sizeof list - at, "%s`%s`.`%s`", at ? ", " : "",
                               pc->qualifier, pc->name)
                    : snprintf(list + at, sizeof list - at, "%s`%s`", at ? ", " : "", pc->name);
        if (w < 0 || (size_t)w >= sizeof list - at) break;
        at += (size_t)w;
    }
    return anz_error(z, c->e.pos, c->e.len, "AMBIGUOUS_REFERENCE", "42704",
                     "Reference `%s` is ambiguous%s, could be: [%s].", col, where, list);
}

static int call(anz *z, const ast_expr *src, const char *fn, expr **args, int nargs, expr **out);

/* a.b.c as a column and fields of it (Spark's GetStructField): first as
 * qualifier a, column b and field c, then as column a with fields b.c.
 * KILN_ENOTFOUND when neither names a struct column of in. */
static int bind_struct_fields(anz *z, const ast_column *c, const plan *in, expr **out)
{
    const ast_name *nm = &c->name;
    for (int start = nm->n >= 3 ? 1 : 0; start >= 0; start--) {
        int found = -1, count = 0;
        for (int i = 0; i < in->ncols; i++) {
            if (!name_eq(in->cols[i].name, nm->parts[start])) continue;
            if (start && !name_eq(in->cols[i].qualifier, nm->parts[0])) continue;
            if (found < 0) found = i;
            count++;
        }
        if (count != 1 || in->cols[found].type->kind != COL_STRUCT) continue;
        const plan_col *pc = &in->cols[found];
        expr *e = expr_col(z->a, found, pc->type, pc->nullable, pc->name);
        for (int k = start + 1; e && k < nm->n; k++) {
            col_str s;
            if (!col_str_copy(z->a, nm->parts[k], (uint32_t)strlen(nm->parts[k]), &s)) return oom();
            expr *args[2] = {e, expr_lit(z->a, &col_type_string, &s, nm->parts[k])};
            if (!args[1]) return oom();
            /* Named as Spark names it: the last field's name. */
            int rc = call(z, &c->e, "<field>", args, 2, &e);
            if (rc) return rc;
            size_t len = strlen(nm->parts[k]) + 1;
            char *t = kiln_arena_alloc(z->a, len);
            if (!t) return oom();
            e->text = memcpy(t, nm->parts[k], len);
        }
        *out = e;
        return e ? KILN_OK : oom();
    }
    return KILN_ENOTFOUND;
}

static int bind_column(anz *z, const binder *b, const ast_column *c, expr **out)
{
    const ast_name *nm = &c->name;
    const char *col = nm->parts[nm->n - 1];
    const char *qual = nm->n >= 2 ? nm->parts[nm->n - 2] : NULL;
    const plan *in = b->in;
    int found = -1, count = 0;
    for (int i = 0; in && i < in->ncols; i++) {
        if (!name_eq(in->cols[i].name, col)) continue;
        if (qual && !name_eq(in->cols[i].qualifier, qual)) continue;
        if (found < 0) found = i;
        count++;
    }
    if (count > 1) return ambiguous(z, c, in, col, qual, "");
    if (found < 0 && z->outer) {
        /* A column of the enclosing query (a correlated subquery). */
        const plan *o = z->outer;
        int ocount = 0, ofound = -1;
        for (int i = 0; i < o->ncols; i++) {
            if (!name_eq(o->cols[i].name, col) || (qual && !name_eq(o->cols[i].qualifier, qual)))
                continue;
            if (ofound < 0) ofound = i;
            ocount++;
        }
        if (ocount > 1) return ambiguous(z, c, o, col, qual, " (in the outer query)");
        if (ofound >= 0) {
            const plan_col *pc = &o->cols[ofound];
            *out = expr_col(z->a, ANZ_OUTER + ofound, pc->type, true, pc->name);
            return *out ? KILN_OK : oom();
        }
    }
    if (found < 0 && nm->n >= 2 && in) {
        int rc = bind_struct_fields(z, c, in, out);
        if (rc != KILN_ENOTFOUND) return rc;
    }
    if (found < 0) {
        char sug[512];
        suggestions(in, col, sug, sizeof sug);
        return anz_error(z, c->e.pos, c->e.len, "UNRESOLVED_COLUMN.WITH_SUGGESTION", "42703",
                         "A column, variable, or function parameter with name `%s` cannot be "
                         "resolved. Did you mean one of the following? [%s].",
                         text_of(z, &c->e), sug);
    }
    const plan_col *pc = &in->cols[found];
    *out = expr_col(z->a, found, pc->type, pc->nullable, pc->name);
    return *out ? KILN_OK : oom();
}

/* ---- Calls -------------------------------------------------------------------- */

static int call(anz *z, const ast_expr *src, const char *fn, expr **args, int nargs, expr **out)
{
    *out = expr_call(z->a, fn, args, nargs, z->ansi, z->tz, text_of(z, src));
    return *out ? KILN_OK : bind_failed(z, src);
}

int anz_condition(anz *z, expr *e, const ast_expr *src, const char *clause, expr **out)
{
    if (e->type->kind == COL_BOOL) {
        *out = e;
        return KILN_OK;
    }
    if (e->type->kind == COL_NULL) {
        *out = expr_cast(z->a, e, &col_type_bool, false, e->text);
        return *out ? KILN_OK : oom();
    }
    kiln_buf tb;
    kiln_buf_init(&tb);
    col_type_format(&tb, e->type);
    kiln_buf_append(&tb, "", 1);
    int rc = anz_error(z, src ? src->pos : -1, src ? src->len : 0,
                       "DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN", "42K09",
                       "Cannot resolve \"%s\" in %s: it has the type \"%s\", not \"BOOLEAN\".",
                       e->text, clause, tb.data ? (char *)tb.data : "?");
    kiln_buf_release(&tb);
    return rc;
}

static int bind_logic(anz *z, const binder *b, const ast_expr *src, expr_kind kind,
                      const ast_expr *l, const ast_expr *r, expr **out)
{
    expr *args[2];
    int rc;
    if ((rc = anz_bind(z, b, l, &args[0])) || (rc = anz_bind(z, b, r, &args[1])) ||
        (rc = anz_condition(z, args[0], l, kind == EX_AND ? "AND" : "OR", &args[0])) ||
        (rc = anz_condition(z, args[1], r, kind == EX_AND ? "AND" : "OR", &args[1])))
        return rc;
    *out = expr_node(z->a, kind, &col_type_bool, args, 2, text_of(z, src));
    return *out ? KILN_OK : oom();
}

static const char *op_fn(ast_op op)
{
    switch (op) {
    case OP_EQ:
        return "=";
    case OP_NSEQ:
        return "<=>";
    case OP_NE:
        return "<>";
    case OP_LT:
        return "<";
    case OP_LE:
        return "<=";
    case OP_GT:
        return ">";
    case OP_GE:
        return ">=";
    case OP_ADD:
        return "+";
    case OP_SUB:
        return "-";
    case OP_MUL:
        return "*";
    case OP_DIV:
        return "/";
    case OP_MOD:
        return "%";
    case OP_IDIV:
        return "div";
    case OP_CONCAT:
        return "concat";
    case OP_NEG:
        return "negative";
    case OP_POS:
        return "positive";
    case OP_NOT:
        return "not";
    case OP_BITOR:
        return "|";
    case OP_BITAND:
        return "&";
    case OP_BITXOR:
        return "^";
    case OP_BITNOT:
        return "~";
    case OP_SHL:
        return "shiftleft";
    case OP_SHR:
        return "shiftright";
    case OP_USHR:
        return "shiftrightunsigned";
    default:
        return "?";
    }
}

static int bind_list(anz *z, const binder *b, ast_expr *const *list, int n, expr **out)
{
    for (int i = 0; i < n; i++) {
        int rc = anz_bind(z, b, list[i], &out[i]);
        if (rc) return rc;
    }
    return KILN_OK;
}

static const char nested_clause[] = "an aggregate function's argument";

static int bind_agg(anz *z, const binder *b, const ast_func *f, const char *name, expr **out)
{
    if (!b->aggs && b->where)
        return anz_error(z, b->where->pos, b->where->len, "INVALID_WHERE_CONDITION", "42903",
                         "The WHERE condition \"%s\" contains invalid expressions: %s. Rewrite "
                         "the query to avoid window functions, aggregate functions, and "
                         "generator functions in the WHERE clause.",
                         anz_expr_name(z, b->where), anz_expr_name(z, &f->e));
    if (!b->aggs && b->clause == nested_clause)
        return anz_error(z, f->e.pos, f->e.len, "NESTED_AGGREGATE_FUNCTION", "42607",
                         "It is not allowed to use an aggregate function in the argument of "
                         "another aggregate function. Please use the inner aggregate function "
                         "in a sub-query.");
    if (!b->aggs)
        return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_EXPR_FOR_OPERATOR", "42K0E",
                         "Aggregate function %s is not allowed in %s.", text_of(z, &f->e),
                         b->clause ? b->clause : "this clause");
    if (f->nargs > AGG_MAX_ARGS)
        return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS", "42605",
                         "%s takes at most %d arguments", name, AGG_MAX_ARGS);
    /* Arguments are bound without aggregates inside (nested aggregates
     * are an error in Spark too). */
    binder inner = {b->in, NULL, nested_clause};
    expr *args[AGG_MAX_ARGS];
    int nargs = f->star ? 0 : f->nargs;
    int rc = bind_list(z, &inner, f->args, nargs, args);
    if (rc) return rc;
    /* count(1), count(lit): counts rows (a non-null literal is never null). */
    const col_type *types[AGG_MAX_ARGS];
    for (int i = 0; i < nargs; i++) types[i] = args[i]->type;
    agg_bound ab;
    rc = agg_bind(&ab, z->a, name, types, nargs, f->distinct, f->ignore_nulls);
    if (rc == KILN_ENOTFOUND)
        return anz_error(z, f->e.pos, f->e.len, "UNRESOLVED_ROUTINE", "42883",
                         "Cannot resolve routine `%s`.", name);
    if (rc)
        return anz_error(z, f->e.pos, f->e.len, ab.err_cls ? ab.err_cls : "DATATYPE_MISMATCH",
                         "42K09", "Cannot resolve \"%s\": %s", text_of(z, &f->e),
                         ab.err_msg ? ab.err_msg : "bad arguments");
    /* Arguments the aggregate takes as another type (corr's as double). */
    for (int i = 0; i < nargs; i++)
        if (!col_type_eq(args[i]->type, ab.args[i]) &&
            !(args[i] = expr_cast(z->a, args[i], ab.args[i], false, args[i]->text)))
            return oom();
    expr *filter = NULL;
    if (f->filter) {
        if ((rc = anz_bind(z, &inner, f->filter, &filter)) ||
            (rc = anz_condition(z, filter, f->filter, "FILTER", &filter)))
            return rc;
    }
    agg_collect *g = b->aggs;
    /* The same call twice is one aggregate. */
    for (int i = 0; i < g->naggs; i++) {
        plan_agg *p = &g->aggs[i];
        if (strcmp(p->fn, name) || p->nargs != nargs || p->distinct != f->distinct ||
            (p->filter == NULL) != (filter == NULL) || (filter && !expr_equal(p->filter, filter)))
            continue;
        bool same = true;
        for (int k = 0; k < nargs && same; k++) same = expr_equal(p->args[k], args[k]);
        if (same) {
            *out = expr_col(z->a, -1 - i, p->type, true, text_of(z, &f->e));
            return *out ? KILN_OK : oom();
        }
    }
    if (g->naggs == g->cap) {
        int cap = g->cap ? g->cap * 2 : 8;
        plan_agg *n = kiln_arena_alloc(z->a, sizeof *n * (size_t)cap);
        if (!n) return oom();
        if (g->naggs) memcpy(n, g->aggs, sizeof *n * (size_t)g->naggs);
        g->aggs = n;
        g->cap = cap;
    }
    plan_agg *p = &g->aggs[g->naggs];
    memset(p, 0, sizeof *p);
    p->fn = anz_strdup(z, name);
    p->nargs = nargs;
    p->args = kiln_arena_alloc(z->a, sizeof *p->args * (size_t)(nargs ? nargs : 1));
    if (!p->fn || !p->args) return oom();
    memcpy(p->args, args, sizeof *args * (size_t)nargs);
    p->distinct = f->distinct;
    p->filter = filter;
    p->type = ab.result;
    *out = expr_col(z->a, -1 - g->naggs, p->type, true, text_of(z, &f->e));
    g->naggs++;
    return *out ? KILN_OK : oom();
}

static int bind_func(anz *z, const binder *b, const ast_func *f, expr **out)
{
    char name[128];
    const char *last = f->name.parts[f->name.n - 1];
    snprintf(name, sizeof name, "%s", last);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (f->over || anz_is_window_fn(name)) return anz_bind_window(z, b, f, name, out);
    if (agg_lookup(name) && (f->star || !fn_lookup(name))) return bind_agg(z, b, f, name, out);
    if (anz_gen_lookup(name, NULL, NULL)) return anz_gen_misplaced(z, b, f);
    if (strcmp(name, "grouping") == 0 || strcmp(name, "grouping_id") == 0)
        return anz_bind_grouping(z, b, f, name, out);
    const udf_ref *udf = z->cat && z->cat->function ? z->cat->function(z->cat->arg, name) : NULL;
    if (!fn_lookup(name) && !udf) {
        const char *near[3];
        int k = fn_suggest(name, near, 3);
        return anz_error(z, f->e.pos, f->e.len, "UNRESOLVED_ROUTINE", "42883",
                         "Cannot resolve routine `%s` on search path [`system`.`builtin`, "
                         "`system`.`session`].%s%s%s",
                         name, k ? " Did you mean `" : "", k ? near[0] : "", k ? "`?" : "");
    }
    if (f->nargs > FN_MAX_ARGS)
        return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS", "42605",
                         "too many arguments for %s", name);
    expr *args[FN_MAX_ARGS];
    int rc = bind_list(z, b, f->args, f->nargs, args);
    if (rc) return rc;
    if (udf) {
        *out = udf_expr(z->a, udf, args, f->nargs, text_of(z, &f->e));
        return *out ? KILN_OK : bind_failed(z, &f->e);
    }
    return call(z, &f->e, name, args, f->nargs, out);
}

/* CASE: the results coerced to their common type. */
static int bind_case(anz *z, const binder *b, const ast_case *c, expr **out)
{
    int n = 2 * c->n + (c->else_ != NULL);
    expr **args = kiln_arena_alloc(z->a, sizeof *args * (size_t)n);
    if (!args) return oom();
    expr *operand = NULL;
    int rc;
    if (c->operand && (rc = anz_bind(z, b, c->operand, &operand))) return rc;
    const col_type *t = NULL;
    for (int i = 0; i < c->n; i++) {
        expr *cond;
        if ((rc = anz_bind(z, b, c->whens[i].cond, &cond))) return rc;
        if (operand) {
            expr *eq[2] = {operand, cond};
            if ((rc = call(z, c->whens[i].cond, "=", eq, 2, &cond))) return rc;
        } else if ((rc = anz_condition(z, cond, c->whens[i].cond, "CASE WHEN", &cond))) {
            return rc;
        }
        args[2 * i] = cond;
        if ((rc = anz_bind(z, b, c->whens[i].result, &args[2 * i + 1]))) return rc;
    }
    if (c->else_ && (rc = anz_bind(z, b, c->else_, &args[n - 1]))) return rc;
    for (int i = 0; i < n; i++) {
        if (i < 2 * c->n && !(i & 1)) continue;
        const col_type *at = args[i]->type;
        if (!t || t->kind == COL_NULL) {
            t = at;
        } else if (at->kind != COL_NULL && !col_type_eq(t, at)) {
            const col_type *w = fn_common_type(z->a, t, at, z->ansi);
            if (!w)
                return anz_error(z, c->e.pos, c->e.len, "DATATYPE_MISMATCH.DATA_DIFF_TYPES",
                                 "42K09",
                                 "Cannot resolve \"%s\": the results of CASE have different "
                                 "types.",
                                 text_of(z, &c->e));
            t = w;
        }
    }
    for (int i = 0; i < n; i++) {
        if (i < 2 * c->n && !(i & 1)) continue;
        if (!col_type_eq(args[i]->type, t) &&
            !(args[i] = expr_cast(z->a, args[i], t, false, args[i]->text)))
            return oom();
    }
    *out = expr_node(z->a, EX_CASE, t, args, n, text_of(z, &c->e));
    return *out ? KILN_OK : oom();
}

/* (SELECT ...) as a value: run now when it reads nothing of the enclosing
 * query; else left-joined to the FROM plan by its correlated conditions
 * (grouped by them when it aggregates), as Spark's
 * RewriteCorrelatedScalarSubquery does. */
static int bind_scalar_subquery(anz *z, const binder *b, const ast_subquery *sq, expr **out)
{
    const ast_expr *e = &sq->e;
    anz_corr corr = {0};
    plan *sub;
    int rc = anz_subquery(z, sq->query, b->in, &sub, &corr);
    if (rc) return rc;
    int visible = sub->ncols - corr.nextra;
    if (visible != 1)
        return anz_error(
            z, e->pos, e->len,
            "INVALID_SUBQUERY_EXPRESSION.SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE_OUTPUT_COLUMN",
            "42823", "The scalar subquery must return only one column, but got %d.", visible);
    const col_type *t = sub->cols[0].type;
    if (!corr.n) {
        if (!z->cat || !z->cat->run_scalar)
            return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                             "scalar subqueries need a session");
        expr *lit = expr_lit(z->a, t, NULL, text_of(z, e));
        if (!lit) return oom();
        if ((rc = z->cat->run_scalar(z->cat->arg, z->a, sub, &lit->lit))) return rc;
        lit->lit.constant = true;
        lit->nullable = !col_valid(&lit->lit, 0);
        *out = lit;
        return KILN_OK;
    }
    if (!b->pend)
        return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE.CORRELATED_SCALAR_SUBQUERY",
                         "0A000",
                         "The feature is not supported: a correlated scalar subquery in %s "
                         "(it is supported in WHERE and in the SELECT list of a query "
                         "without aggregation or generators).",
                         b->clause ? b->clause : "this clause");
    /* Grouped by the correlated columns, the subquery gives one row per
     * outer key only through equalities (Spark refuses the others too). */
    for (int i = 0; i < corr.n; i++) {
        const expr *c = corr.conds[i];
        if (c->kind != EX_CALL || (strcmp(c->fn->name, "=") && strcmp(c->fn->name, "<=>")))
            return anz_error(z, e->pos, e->len,
                             "UNSUPPORTED_SUBQUERY_EXPRESSION_CATEGORY."
                             "CORRELATED_COLUMN_IS_NOT_ALLOWED_IN_PREDICATE",
                             "0A000",
                             "Unsupported subquery expression: Correlated column is not allowed "
                             "in predicate: %s.",
                             c->text ? c->text : "?");
    }
    expr *cond;
    if ((rc = anz_corr_cond(z, &corr, b->pend->base + b->pend->added, visible, &cond))) return rc;
    return anz_scalar_sq_join(z, b->pend, text_of(z, e), sub, cond, out);
}

int anz_bind(anz *z, const binder *b, const ast_expr *e, expr **out)
{
    int rc;
    switch (e->kind) {
    case AST_LITERAL:
        return anz_literal(z, (const ast_literal *)e, out);
    case AST_INTERVAL:
        return bind_interval(z, (const ast_interval *)e, out);
    case AST_COLUMN:
        return bind_column(z, b, (const ast_column *)e, out);
    case AST_UNARY: {
        const ast_unary *u = (const ast_unary *)e;
        expr *arg;
        if ((rc = anz_bind(z, b, u->arg, &arg))) return rc;
        if (u->op == OP_NOT && (rc = anz_condition(z, arg, u->arg, "NOT", &arg))) return rc;
        if (u->op == OP_POS) {
            *out = arg;
            return KILN_OK;
        }
        return call(z, e, op_fn(u->op), &arg, 1, out);
    }
    case AST_BINARY: {
        const ast_binary *x = (const ast_binary *)e;
        if (x->op == OP_AND || x->op == OP_OR)
            return bind_logic(z, b, e, x->op == OP_AND ? EX_AND : EX_OR, x->left, x->right, out);
        expr *args[2];
        if ((rc = anz_bind(z, b, x->left, &args[0])) || (rc = anz_bind(z, b, x->right, &args[1])))
            return rc;
        return call(z, e, op_fn(x->op), args, 2, out);
    }
    case AST_IS: {
        const ast_is *x = (const ast_is *)e;
        expr *arg;
        if ((rc = anz_bind(z, b, x->arg, &arg))) return rc;
        if (x->what == IS_NULL) {
            *out = expr_node(z->a, x->negated ? EX_NOT_NULL : EX_IS_NULL, &col_type_bool, &arg, 1,
                             text_of(z, e));
            return *out ? KILN_OK : oom();
        }
        if (x->what == IS_DISTINCT_FROM) {
            expr *args[2] = {arg, NULL};
            if ((rc = anz_bind(z, b, x->other, &args[1])) || (rc = call(z, e, "<=>", args, 2, out)))
                return rc;
            if (!x->negated) return call(z, e, "not", out, 1, out);
            return KILN_OK;
        }
        /* x IS [NOT] TRUE/FALSE/UNKNOWN: x <=> value. */
        if ((rc = anz_condition(z, arg, x->arg, "IS", &arg))) return rc;
        uint8_t v = x->what == IS_TRUE;
        expr *lit = x->what == IS_UNKNOWN ? expr_lit(z->a, &col_type_bool, NULL, "NULL")
                                          : expr_lit(z->a, &col_type_bool, &v, "v");
        expr *args[2] = {arg, lit};
        if (!lit || (rc = call(z, e, "<=>", args, 2, out))) return lit ? rc : oom();
        return x->negated ? call(z, e, "not", out, 1, out) : KILN_OK;
    }
    case AST_BETWEEN: {
        const ast_between *x = (const ast_between *)e;
        expr *v, *lo, *hi, *ge, *le;
        if ((rc = anz_bind(z, b, x->arg, &v)) || (rc = anz_bind(z, b, x->low, &lo)) ||
            (rc = anz_bind(z, b, x->high, &hi)))
            return rc;
        expr *a1[2] = {v, lo}, *a2[2] = {v, hi};
        if ((rc = call(z, e, ">=", a1, 2, &ge)) || (rc = call(z, e, "<=", a2, 2, &le))) return rc;
        expr *both[2] = {ge, le};
        *out = expr_node(z->a, EX_AND, &col_type_bool, both, 2, text_of(z, e));
        if (!*out) return oom();
        return x->negated ? call(z, e, "not", out, 1, out) : KILN_OK;
    }
    case AST_IN: {
        const ast_in *x = (const ast_in *)e;
        if (x->query) return anz_in_subquery(z, b, x, out);
        if (x->n + 1 > FN_MAX_ARGS) {
            /* A long list: an OR of equalities would be slow; refuse clearly. */
            return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                             "IN lists longer than %d values are not supported yet",
                             FN_MAX_ARGS - 1);
        }
        expr *args[FN_MAX_ARGS];
        if ((rc = anz_bind(z, b, x->arg, &args[0])) ||
            (rc = bind_list(z, b, x->list, x->n, args + 1)) ||
            (rc = call(z, e, "in", args, x->n + 1, out)))
            return rc;
        return x->negated ? call(z, e, "not", out, 1, out) : KILN_OK;
    }
    case AST_LIKE: {
        const ast_like *x = (const ast_like *)e;
        /* LIKE ANY (p, ...) is an OR of LIKEs, LIKE ALL an AND; NOT negates
         * each (Spark's NotLikeAny / NotLikeAll). */
        expr *args[3], *acc = NULL;
        int n = 2;
        if ((rc = anz_bind(z, b, x->arg, &args[0]))) return rc;
        if (x->escape) {
            col_str s = col_str_view(x->escape, (uint32_t)strlen(x->escape));
            if (!(args[n++] = expr_lit(z->a, &col_type_string, &s, x->escape))) return oom();
        }
        const char *fn = x->op == LIKE_LIKE ? "like" : x->op == LIKE_ILIKE ? "ilike" : "rlike";
        for (int i = 0; i < (x->quant == LIKE_ONE ? 1 : x->n); i++) {
            expr *one;
            if ((rc = anz_bind(z, b, x->patterns[i], &args[1])) ||
                (rc = call(z, e, fn, args, n, &one)) ||
                (x->negated && (rc = call(z, e, "not", &one, 1, &one))))
                return rc;
            expr *two[2] = {acc, one};
            acc = !acc ? one
                       : expr_node(z->a, x->quant == LIKE_ALL ? EX_AND : EX_OR, &col_type_bool, two,
                                   2, text_of(z, e));
            if (!acc) return oom();
        }
        if (!acc)
            return anz_error(z, e->pos, e->len, "PARSE_SYNTAX_ERROR", "42601",
                             "LIKE ANY/ALL needs at least one pattern");
        *out = acc;
        return KILN_OK;
    }
    case AST_FUNC:
        return bind_func(z, b, (const ast_func *)e, out);
    case AST_CASE:
        return bind_case(z, b, (const ast_case *)e, out);
    case AST_SUBSCRIPT: {
        const ast_subscript *x = (const ast_subscript *)e;
        expr *args[2];
        if ((rc = anz_bind(z, b, x->arg, &args[0])) || (rc = anz_bind(z, b, x->index, &args[1])))
            return rc;
        return call(z, e, "<subscript>", args, 2, out);
    }
    case AST_CAST: {
        const ast_cast *x = (const ast_cast *)e;
        expr *arg;
        if ((rc = anz_bind(z, b, x->arg, &arg))) return rc;
        const col_type *t;
        size_t at;
        if (col_type_parse(z->a, x->type.text, strlen(x->type.text), &t, &at) != KILN_OK) {
            /* Spark points at the unknown type name: the word ending at
             * (or around) the offset the type parser stopped at. */
            const char *tt = x->type.text;
            size_t n = strlen(tt), end = at < n ? at : n, start;
            while (end < n && (isalnum((unsigned char)tt[end]) || tt[end] == '_')) end++;
            start = end;
            while (start > 0 && (isalnum((unsigned char)tt[start - 1]) || tt[start - 1] == '_'))
                start--;
            if (start == end || x->type.len != (int)n) start = 0, end = n;
            return anz_error(z, x->type.pos + (int)start, (int)(end - start),
                             "UNSUPPORTED_DATATYPE", "0A000", "Unsupported data type \"%.*s\".",
                             (int)(end - start), tt + start);
        }
        if (!fn_can_cast(arg->type, t, z->ansi) && arg->type->kind != COL_NULL)
            return anz_error(z, e->pos, e->len, "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION",
                             "42K09", "Cannot resolve \"%s\": cannot cast to \"%s\".",
                             text_of(z, e), x->type.text);
        *out = expr_cast(z->a, arg, t, x->try_, text_of(z, e));
        return *out ? KILN_OK : oom();
    }
    case AST_STAR:
        return anz_error(z, e->pos, e->len, "INVALID_USAGE_OF_STAR_OR_REGEX", "42000",
                         "Invalid usage of '*' in this expression.");
    case AST_SUBQUERY:
        return bind_scalar_subquery(z, b, (const ast_subquery *)e, out);
    case AST_EXISTS:
        return anz_error(z, e->pos, e->len, "UNSUPPORTED_SUBQUERY_EXPRESSION_CATEGORY", "0A000",
                         "EXISTS is supported as a condition of WHERE joined by AND only.");
    default:
        return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                         "this expression is not supported yet: %s", text_of(z, e));
    }
}

int anz_expr(anz *z, const plan *input, const ast_expr *e, expr **out)
{
    binder b = {input, NULL, "this expression"};
    return anz_bind(z, &b, e, out);
}

/* ---- Over an aggregate --------------------------------------------------------- */

bool expr_equal(const expr *a, const expr *b)
{
    if (a->kind != b->kind || !col_type_eq(a->type, b->type) || a->nargs != b->nargs) return false;
    switch (a->kind) {
    case EX_COL:
        return a->col == b->col;
    case EX_LIT: {
        bool va = col_valid(&a->lit, 0), vb = col_valid(&b->lit, 0);
        if (va != vb) return false;
        if (!va) return true;
        size_t w = col_type_width(a->type);
        if (a->type->kind == COL_STRING || a->type->kind == COL_BINARY)
            return col_str_eq(a->lit.data, b->lit.data);
        return w && memcmp(a->lit.data, b->lit.data, w) == 0;
    }
    case EX_CALL:
        if (a->fn != b->fn || (a->fn->flags & FN_NONDETERMINISTIC)) return false;
        if (udf_is(a->fn) && !udf_same(a, b)) return false;
        break;
    case EX_CAST:
        if (a->try_ != b->try_) return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < a->nargs; i++)
        if (!expr_equal(a->args[i], b->args[i])) return false;
    return true;
}

static int over_agg(anz *z, const agg_collect *g, expr *e, expr **out, const ast_expr *where)
{
    for (int k = 0; k < g->nkeys; k++)
        if (expr_equal(e, g->keys[k])) {
            *out = expr_col(z->a, k, e->type, e->nullable || k < g->nnullkeys, e->text);
            return *out ? KILN_OK : oom();
        }
    if (e->kind == EX_COL) {
        if (e->col >= ANZ_WINDOW && e->col < ANZ_OUTER) { /* placed later */
            *out = e;
            return KILN_OK;
        }
        if (e->col < 0) {
            *out = expr_col(z->a, g->nkeys + (-1 - e->col), e->type, true, e->text);
            return *out ? KILN_OK : oom();
        }
        return anz_error(z, where ? where->pos : -1, where ? where->len : 0, "MISSING_AGGREGATION",
                         "42803",
                         "The non-aggregating expression \"%s\" is based on columns which are "
                         "not participating in the GROUP BY clause. Add the columns or the "
                         "expression to the GROUP BY, aggregate the expression, or use "
                         "\"any_value(%s)\" if you do not care which of the values within a "
                         "group is returned.",
                         e->text, e->text);
    }
    if (e->nargs == 0) {
        *out = e;
        return KILN_OK;
    }
    expr *c = kiln_arena_alloc(z->a, sizeof *c);
    expr **args = kiln_arena_alloc(z->a, sizeof *args * (size_t)e->nargs);
    if (!c || !args) return oom();
    *c = *e;
    c->args = args;
    for (int i = 0; i < e->nargs; i++) {
        int rc = over_agg(z, g, e->args[i], &args[i], where);
        if (rc) return rc;
    }
    *out = c;
    return KILN_OK;
}

int anz_over_agg(anz *z, const agg_collect *g, expr *e, expr **out, const ast_expr *where)
{
    return over_agg(z, g, e, out, where);
}

/* ---- Names ------------------------------------------------------------------------ */

const char *anz_expr_name(anz *z, const ast_expr *e)
{
    if (e->kind == AST_COLUMN) {
        const ast_column *c = (const ast_column *)e;
        return c->name.parts[c->name.n - 1];
    }
    if (e->kind == AST_FUNC && ((const ast_func *)e)->over)
        return anz_window_name(z, (const ast_func *)e);
    if (e->kind == AST_FUNC) {
        /* Spark prints calls with lower-case names: sum(x), count(1). */
        const ast_func *f = (const ast_func *)e;
        kiln_buf b;
        kiln_buf_init(&b);
        const char *n = f->name.parts[f->name.n - 1];
        for (const char *p = n; *p; p++) {
            char c = (char)tolower((unsigned char)*p);
            kiln_buf_append(&b, &c, 1);
        }
        kiln_buf_append(&b, "(", 1);
        if (f->distinct) kiln_buf_append(&b, "DISTINCT ", 9);
        if (f->star) kiln_buf_append(&b, "1", 1);
        for (int i = 0; i < f->nargs; i++) {
            if (i) kiln_buf_append(&b, ", ", 2);
            const char *a = anz_expr_name(z, f->args[i]);
            kiln_buf_append(&b, a, strlen(a));
        }
        kiln_buf_append(&b, ")", 2);
        char *s = anz_strdup(z, b.data ? (char *)b.data : "?");
        kiln_buf_release(&b);
        return s ? s : "?";
    }
    return text_of(z, e);
}
