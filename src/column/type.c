/*
 * column/type.c - SQL types: the primitive constants, parameterised types,
 * their Spark names and parsing of type names (column.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "column/column.h"
#include "kiln/error.h"

#define PRIM(nm, k) const col_type nm = {.kind = (k)}
PRIM(col_type_null, COL_NULL);
PRIM(col_type_bool, COL_BOOL);
PRIM(col_type_i8, COL_I8);
PRIM(col_type_i16, COL_I16);
PRIM(col_type_i32, COL_I32);
PRIM(col_type_i64, COL_I64);
PRIM(col_type_f32, COL_F32);
PRIM(col_type_f64, COL_F64);
PRIM(col_type_string, COL_STRING);
PRIM(col_type_binary, COL_BINARY);
PRIM(col_type_date, COL_DATE);
PRIM(col_type_timestamp, COL_TIMESTAMP);
PRIM(col_type_timestamp_ntz, COL_TIMESTAMP_NTZ);
PRIM(col_type_interval_ym, COL_INTERVAL_YM);
PRIM(col_type_interval_dt, COL_INTERVAL_DT);

/* Day-time intervals by (start, end) field: precision the start field,
 * scale 3 - the end field, so that the zeroed col_type_interval_dt is DAY
 * TO SECOND. */
#define IV(s, e)                                                                                   \
    {                                                                                              \
        .kind = COL_INTERVAL_DT, .precision = (s), .scale = 3 - (e)                                \
    }
static const col_type interval_dt_fields[4][4] = {
    {IV(0, 0), IV(0, 1), IV(0, 2), {.kind = COL_INTERVAL_DT}},
    {{0}, IV(1, 1), IV(1, 2), IV(1, 3)},
    {{0}, {0}, IV(2, 2), IV(2, 3)},
    {{0}, {0}, {0}, IV(3, 3)},
};
#undef IV
const col_type col_type_interval_day = {.kind = COL_INTERVAL_DT, .scale = 3};

const col_type *col_type_interval_dt_of(int start, int end)
{
    if (start < COL_DT_DAY || end > COL_DT_SECOND || start > end) return NULL;
    if (start == COL_DT_DAY && end == COL_DT_SECOND) return &col_type_interval_dt;
    if (start == COL_DT_DAY && end == COL_DT_DAY) return &col_type_interval_day;
    return &interval_dt_fields[start][end];
}

static const col_type *primitive(int kind)
{
    static const col_type *const all[] = {
        [COL_NULL] = &col_type_null,
        [COL_BOOL] = &col_type_bool,
        [COL_I8] = &col_type_i8,
        [COL_I16] = &col_type_i16,
        [COL_I32] = &col_type_i32,
        [COL_I64] = &col_type_i64,
        [COL_F32] = &col_type_f32,
        [COL_F64] = &col_type_f64,
        [COL_STRING] = &col_type_string,
        [COL_BINARY] = &col_type_binary,
        [COL_DATE] = &col_type_date,
        [COL_TIMESTAMP] = &col_type_timestamp,
        [COL_TIMESTAMP_NTZ] = &col_type_timestamp_ntz,
        [COL_INTERVAL_YM] = &col_type_interval_ym,
        [COL_INTERVAL_DT] = &col_type_interval_dt,
    };
    if (kind < 0 || kind >= (int)(sizeof all / sizeof all[0])) return NULL;
    return all[kind];
}

const col_type *col_type_decimal(kiln_arena *a, int precision, int scale)
{
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return NULL;
    col_type *t = kiln_arena_alloc(a, sizeof *t);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->kind = COL_DECIMAL;
    t->precision = (uint8_t)precision;
    t->scale = (uint8_t)scale;
    return t;
}

const col_type *col_type_array(kiln_arena *a, const col_type *elem, bool contains_null)
{
    col_type *t = kiln_arena_alloc(a, sizeof *t);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->kind = COL_ARRAY;
    t->elem = elem;
    t->contains_null = contains_null;
    return t;
}

const col_type *col_type_map(kiln_arena *a, const col_type *key, const col_type *value,
                             bool value_contains_null)
{
    col_type *t = kiln_arena_alloc(a, sizeof *t);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->kind = COL_MAP;
    t->elem = key;
    t->value = value;
    t->contains_null = value_contains_null;
    return t;
}

static char *dup_str(kiln_arena *a, const char *s, size_t n)
{
    char *p = kiln_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

const col_type *col_type_struct(kiln_arena *a, const col_field *fields, int n)
{
    col_type *t = kiln_arena_alloc(a, sizeof *t);
    col_field *f = kiln_arena_alloc(a, sizeof *f * (size_t)(n ? n : 1));
    if (!t || !f) return NULL;
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        f[i] = fields[i];
        f[i].name = dup_str(a, fields[i].name, strlen(fields[i].name));
        if (!f[i].name) return NULL;
    }
    t->kind = COL_STRUCT;
    t->nfields = n;
    t->fields = f;
    return t;
}

const col_type *col_type_copy(kiln_arena *a, const col_type *t)
{
    if (!t) return NULL;
    switch (t->kind) {
    case COL_DECIMAL:
        return col_type_decimal(a, t->precision, t->scale);
    case COL_ARRAY: {
        const col_type *e = col_type_copy(a, t->elem);
        return e ? col_type_array(a, e, t->contains_null) : NULL;
    }
    case COL_MAP: {
        const col_type *k = col_type_copy(a, t->elem), *v = col_type_copy(a, t->value);
        return k && v ? col_type_map(a, k, v, t->contains_null) : NULL;
    }
    case COL_STRUCT: {
        col_field *f = kiln_arena_alloc(a, sizeof *f * (size_t)(t->nfields ? t->nfields : 1));
        if (!f) return NULL;
        for (int i = 0; i < t->nfields; i++) {
            f[i] = t->fields[i];
            f[i].type = col_type_copy(a, t->fields[i].type);
            if (!f[i].type) return NULL;
        }
        return col_type_struct(a, f, t->nfields);
    }
    case COL_INTERVAL_DT:
        return col_type_interval_dt_of(col_dt_start(t), col_dt_end(t));
    default:
        return primitive(t->kind);
    }
}

bool col_type_eq(const col_type *a, const col_type *b)
{
    if (a == b) return true;
    if (!a || !b || a->kind != b->kind) return false;
    switch (a->kind) {
    case COL_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case COL_ARRAY:
        return col_type_eq(a->elem, b->elem);
    case COL_MAP:
        return col_type_eq(a->elem, b->elem) && col_type_eq(a->value, b->value);
    case COL_STRUCT:
        if (a->nfields != b->nfields) return false;
        for (int i = 0; i < a->nfields; i++)
            if (strcasecmp(a->fields[i].name, b->fields[i].name) != 0 ||
                !col_type_eq(a->fields[i].type, b->fields[i].type))
                return false;
        return true;
    default:
        return true;
    }
}

size_t col_type_width(const col_type *t)
{
    switch (t->kind) {
    case COL_BOOL:
    case COL_I8:
        return 1;
    case COL_I16:
        return 2;
    case COL_I32:
    case COL_F32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        return 4;
    case COL_I64:
    case COL_F64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        return 8;
    case COL_DECIMAL:
        return t->precision > 18 ? 16 : 8;
    case COL_STRING:
    case COL_BINARY:
        return sizeof(col_str);
    default:
        return 0;
    }
}

bool col_type_is_integral(const col_type *t)
{
    return t->kind >= COL_I8 && t->kind <= COL_I64;
}

bool col_type_is_numeric(const col_type *t)
{
    return (t->kind >= COL_I8 && t->kind <= COL_F64) || t->kind == COL_DECIMAL;
}

static int put(kiln_buf *b, const char *s)
{
    return kiln_buf_append(b, s, strlen(s));
}

int col_type_format(kiln_buf *b, const col_type *t)
{
    static const char *const names[] = {
        [COL_NULL] = "void",
        [COL_BOOL] = "boolean",
        [COL_I8] = "tinyint",
        [COL_I16] = "smallint",
        [COL_I32] = "int",
        [COL_I64] = "bigint",
        [COL_F32] = "float",
        [COL_F64] = "double",
        [COL_STRING] = "string",
        [COL_BINARY] = "binary",
        [COL_DATE] = "date",
        [COL_TIMESTAMP] = "timestamp",
        [COL_TIMESTAMP_NTZ] = "timestamp_ntz",
        [COL_INTERVAL_YM] = "interval year to month",
        [COL_INTERVAL_DT] = "interval day to second",
    };
    char tmp[32];
    int rc;
    switch (t->kind) {
    case COL_DECIMAL:
        snprintf(tmp, sizeof tmp, "decimal(%d,%d)", t->precision, t->scale);
        return put(b, tmp);
    case COL_ARRAY:
        if ((rc = put(b, "array<")) || (rc = col_type_format(b, t->elem))) return rc;
        return put(b, ">");
    case COL_MAP:
        if ((rc = put(b, "map<")) || (rc = col_type_format(b, t->elem)) || (rc = put(b, ",")) ||
            (rc = col_type_format(b, t->value)))
            return rc;
        return put(b, ">");
    case COL_STRUCT:
        if ((rc = put(b, "struct<"))) return rc;
        for (int i = 0; i < t->nfields; i++) {
            if ((i && (rc = put(b, ","))) || (rc = put(b, t->fields[i].name)) ||
                (rc = put(b, ":")) || (rc = col_type_format(b, t->fields[i].type)))
                return rc;
        }
        return put(b, ">");
    case COL_INTERVAL_DT: {
        static const char *const f[] = {"day", "hour", "minute", "second"};
        int st = col_dt_start(t), en = col_dt_end(t);
        if (st > 3 || en > 3) return KILN_EINVAL;
        if (st == en) snprintf(tmp, sizeof tmp, "interval %s", f[st]);
        else snprintf(tmp, sizeof tmp, "interval %s to %s", f[st], f[en]);
        return put(b, tmp);
    }
    default:
        if (t->kind >= COL_KIND_COUNT || !names[t->kind]) return KILN_EINVAL;
        return put(b, names[t->kind]);
    }
}

/* ---- Parsing type names ---------------------------------------------------- */

typedef struct tparse {
    kiln_arena *a;
    const char *s;
    size_t n, i;
    int depth;
} tparse;

static void skip_ws(tparse *p)
{
    while (p->i < p->n && isspace((unsigned char)p->s[p->i])) p->i++;
}

static size_t word(tparse *p, const char **w)
{
    skip_ws(p);
    *w = p->s + p->i;
    size_t st = p->i;
    while (p->i < p->n && (isalnum((unsigned char)p->s[p->i]) || p->s[p->i] == '_')) p->i++;
    return p->i - st;
}

static bool eat(tparse *p, char c)
{
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return true;
    }
    return false;
}

static bool number(tparse *p, int *out)
{
    skip_ws(p);
    size_t st = p->i;
    long v = 0;
    while (p->i < p->n && isdigit((unsigned char)p->s[p->i]) && v < 1000)
        v = v * 10 + (p->s[p->i++] - '0');
    *out = (int)v;
    return p->i > st;
}

static bool is(const char *w, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(w, name, n) == 0;
}

static const col_type *parse_type(tparse *p);

/* A field name: an identifier or a backquoted name. */
static const char *field_name(tparse *p)
{
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '`') {
        size_t st = ++p->i;
        while (p->i < p->n && p->s[p->i] != '`') p->i++;
        if (p->i >= p->n) return NULL;
        return dup_str(p->a, p->s + st, p->i++ - st);
    }
    const char *w;
    size_t n = word(p, &w);
    return n ? dup_str(p->a, w, n) : NULL;
}

static const col_type *parse_struct(tparse *p)
{
    int n = 0, cap = 8;
    col_field *fields = kiln_arena_alloc(p->a, sizeof *fields * (size_t)cap);
    if (!fields) return NULL;
    if (eat(p, '>')) return col_type_struct(p->a, fields, 0);
    do {
        if (n == cap) {
            col_field *g = kiln_arena_alloc(p->a, sizeof *g * (size_t)cap * 2);
            if (!g) return NULL;
            memcpy(g, fields, sizeof *g * (size_t)n);
            fields = g;
            cap *= 2;
        }
        const char *name = field_name(p);
        if (!name) return NULL;
        eat(p, ':');
        const col_type *t = parse_type(p);
        if (!t) return NULL;
        /* Optional NOT NULL / COMMENT are not kept. */
        fields[n++] = (col_field){name, t, true};
    } while (eat(p, ','));
    if (!eat(p, '>')) return NULL;
    return col_type_struct(p->a, fields, n);
}

static const col_type *parse_type(tparse *p)
{
    if (++p->depth > 64) return NULL;
    const char *w;
    size_t n = word(p, &w);
    const col_type *t = NULL;
    static const struct {
        const char *name;
        const col_type *t;
    } simple[] = {
        {"boolean", &col_type_bool},
        {"bool", &col_type_bool},
        {"tinyint", &col_type_i8},
        {"byte", &col_type_i8},
        {"smallint", &col_type_i16},
        {"short", &col_type_i16},
        {"int", &col_type_i32},
        {"integer", &col_type_i32},
        {"bigint", &col_type_i64},
        {"long", &col_type_i64},
        {"float", &col_type_f32},
        {"real", &col_type_f32},
        {"double", &col_type_f64},
        {"string", &col_type_string},
        {"text", &col_type_string},
        {"binary", &col_type_binary},
        {"date", &col_type_date},
        {"timestamp", &col_type_timestamp},
        {"timestamp_ltz", &col_type_timestamp},
        {"timestamp_ntz", &col_type_timestamp_ntz},
        {"void", &col_type_null},
    };
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++)
        if (is(w, n, simple[k].name)) t = simple[k].t;
    if (t) {
        /* "double precision" */
        if (t == &col_type_f64) {
            size_t save = p->i;
            const char *w2;
            size_t n2 = word(p, &w2);
            if (!is(w2, n2, "precision")) p->i = save;
        }
    } else if (is(w, n, "decimal") || is(w, n, "dec") || is(w, n, "numeric")) {
        int prec = 10, scale = 0;
        if (eat(p, '(')) {
            if (!number(p, &prec)) return NULL;
            if (eat(p, ',') && !number(p, &scale)) return NULL;
            if (!eat(p, ')')) return NULL;
        }
        t = col_type_decimal(p->a, prec, scale);
    } else if (is(w, n, "varchar") || is(w, n, "char") || is(w, n, "character")) {
        int len;
        if (eat(p, '(') && (!number(p, &len) || !eat(p, ')'))) return NULL;
        t = &col_type_string;
    } else if (is(w, n, "array")) {
        if (!eat(p, '<')) return NULL;
        const col_type *e = parse_type(p);
        if (!e || !eat(p, '>')) return NULL;
        t = col_type_array(p->a, e, true);
    } else if (is(w, n, "map")) {
        if (!eat(p, '<')) return NULL;
        const col_type *k = parse_type(p);
        if (!k || !eat(p, ',')) return NULL;
        const col_type *v = parse_type(p);
        if (!v || !eat(p, '>')) return NULL;
        t = col_type_map(p->a, k, v, true);
    } else if (is(w, n, "struct")) {
        if (!eat(p, '<')) return NULL;
        t = parse_struct(p);
    } else if (is(w, n, "interval")) {
        /* interval year [to month] | interval day [to second] and friends */
        const char *w2;
        size_t n2 = word(p, &w2);
        static const char *const dtf[] = {"day", "hour", "minute", "second"};
        int st = -1, en;
        for (int k = 0; k < 4; k++)
            if (is(w2, n2, dtf[k])) st = k;
        if (is(w2, n2, "year") || is(w2, n2, "month")) t = &col_type_interval_ym;
        else if (st < 0) return NULL;
        en = st;
        size_t save = p->i;
        const char *w3;
        size_t n3 = word(p, &w3);
        if (is(w3, n3, "to")) {
            n3 = word(p, &w3);
            for (int k = 0; k < 4; k++)
                if (is(w3, n3, dtf[k])) en = k;
        } else {
            p->i = save;
        }
        if (st >= 0 && !(t = col_type_interval_dt_of(st, en))) return NULL;
    }
    p->depth--;
    return t;
}

int col_type_parse(kiln_arena *a, const char *s, size_t len, const col_type **out, size_t *err_pos)
{
    tparse p = {a, s, len, 0, 0};
    const col_type *t = parse_type(&p);
    skip_ws(&p);
    if (!t || p.i != p.n) {
        if (err_pos) *err_pos = p.i;
        return KILN_EINVAL;
    }
    *out = t;
    return KILN_OK;
}

/* ---- Schemas -------------------------------------------------------------- */

int col_schema_copy(kiln_arena *a, const col_schema *s, col_schema *out)
{
    col_field *f = kiln_arena_alloc(a, sizeof *f * (size_t)(s->n ? s->n : 1));
    if (!f) return KILN_ENOMEM;
    for (int i = 0; i < s->n; i++) {
        f[i] = s->fields[i];
        f[i].name = dup_str(a, s->fields[i].name, strlen(s->fields[i].name));
        f[i].type = col_type_copy(a, s->fields[i].type);
        if (!f[i].name || !f[i].type) return KILN_ENOMEM;
    }
    out->n = s->n;
    out->fields = f;
    return KILN_OK;
}

static int tree_field(kiln_buf *b, const char *name, const col_type *t, bool nullable, int depth,
                      bool element)
{
    int rc;
    for (int i = 0; i < depth; i++)
        if ((rc = put(b, " |   "))) return rc;
    if ((rc = put(b, " |-- ")) || (rc = put(b, name)) || (rc = put(b, ": "))) return rc;
    const char *kind = t->kind == COL_STRUCT  ? "struct"
                       : t->kind == COL_ARRAY ? "array"
                       : t->kind == COL_MAP   ? "map"
                                              : NULL;
    if (kind) rc = put(b, kind);
    else rc = col_type_format(b, t);
    if (rc) return rc;
    if (element) rc = put(b, nullable ? " (containsNull = true)\n" : " (containsNull = false)\n");
    else rc = put(b, nullable ? " (nullable = true)\n" : " (nullable = false)\n");
    if (rc) return rc;
    switch (t->kind) {
    case COL_STRUCT:
        for (int i = 0; i < t->nfields; i++)
            if ((rc = tree_field(b, t->fields[i].name, t->fields[i].type, t->fields[i].nullable,
                                 depth + 1, false)))
                return rc;
        break;
    case COL_ARRAY:
        return tree_field(b, "element", t->elem, t->contains_null, depth + 1, true);
    case COL_MAP:
        if ((rc = tree_field(b, "key", t->elem, false, depth + 1, false))) return rc;
        return tree_field(b, "value", t->value, t->contains_null, depth + 1, false);
    default:
        break;
    }
    return KILN_OK;
}

int col_schema_format_tree(kiln_buf *b, const col_schema *s)
{
    int rc = put(b, "root\n");
    for (int i = 0; !rc && i < s->n; i++)
        rc = tree_field(b, s->fields[i].name, s->fields[i].type, s->fields[i].nullable, 0, false);
    return rc;
}

int col_schema_parse_ddl(kiln_arena *a, const char *s, size_t len, col_schema *out, size_t *err_pos)
{
    tparse p = {a, s, len, 0, 0};
    int cap = 16, n = 0;
    col_field *f = kiln_arena_alloc(a, sizeof *f * (size_t)cap);
    if (!f) return KILN_ENOMEM;
    skip_ws(&p);
    while (p.i < p.n) {
        const char *name = field_name(&p);
        eat(&p, ':');
        const col_type *t = name ? parse_type(&p) : NULL;
        if (!t) {
            if (err_pos) *err_pos = p.i;
            return KILN_EINVAL;
        }
        bool nullable = true;
        size_t save = p.i;
        const char *w;
        size_t wn = word(&p, &w);
        if (is(w, wn, "not")) {
            wn = word(&p, &w);
            if (!is(w, wn, "null")) {
                if (err_pos) *err_pos = p.i;
                return KILN_EINVAL;
            }
            nullable = false;
        } else {
            p.i = save;
        }
        if (n == cap) {
            col_field *g = kiln_arena_alloc(a, sizeof *g * (size_t)cap * 2);
            if (!g) return KILN_ENOMEM;
            memcpy(g, f, sizeof *f * (size_t)n);
            f = g;
            cap *= 2;
        }
        f[n++] = (col_field){name, t, nullable};
        if (!eat(&p, ',')) break;
    }
    skip_ws(&p);
    if (p.i != p.n || n == 0) {
        if (err_pos) *err_pos = p.i;
        return KILN_EINVAL;
    }
    out->n = n;
    out->fields = f;
    return KILN_OK;
}
