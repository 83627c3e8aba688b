/*
 * sql/fn_cast.c - casts between SQL types with Spark 4's rules
 * (Cast.scala): fn_cast_vec converts a vector (ANSI errors, try_cast
 * NULLs, legacy wrapping), fn_can_cast says which casts exist,
 * fn_common_type is the implicit widening of two types, and fn_defs_cast
 * holds cast / try_cast as functions whose second argument is a constant
 * type name.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fn_int.h"

#define US_PER_DAY 86400000000LL

typedef struct cast_run {
    fn_ctx *c;
    const col_vec *in;
    col_vec *out;
    const col_type *to;
    bool err;  /* ANSI and not try: errors, else NULL */
    bool try_; /* try_cast: NULL where legacy casts would wrap */
} cast_run;

static const char *sql_name(fn_ctx *c, const col_type *t, char *buf, size_t cap)
{
    kiln_buf b;
    kiln_buf_init(&b);
    col_type_format(&b, t);
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    for (size_t k = 0; k < n; k++) buf[k] = (char)toupper(b.data[k]);
    buf[n] = 0;
    kiln_buf_release(&b);
    return buf;
}

/* Row i of the input as a SQL literal for messages ("128S", "1.5D"). */
static void literal_of(const col_vec *v, uint32_t i, char *buf, size_t cap)
{
    switch (v->type->kind) {
    case COL_I8:
        snprintf(buf, cap, "%lldY", (long long)fn_int_get(v, i));
        break;
    case COL_I16:
        snprintf(buf, cap, "%lldS", (long long)fn_int_get(v, i));
        break;
    case COL_I32:
        snprintf(buf, cap, "%lld", (long long)fn_int_get(v, i));
        break;
    case COL_I64:
        snprintf(buf, cap, "%lldL", (long long)fn_int_get(v, i));
        break;
    case COL_F32: {
        int n = fn_format_float(buf, COL_DATA(v, float)[col_row(v, i)]);
        snprintf(buf + n, cap - (size_t)n, "F");
        break;
    }
    case COL_F64: {
        int n = fn_format_double(buf, COL_DATA(v, double)[col_row(v, i)]);
        snprintf(buf + n, cap - (size_t)n, "D");
        break;
    }
    case COL_DECIMAL: {
        int n = dec_format(buf, fn_dec_get(v, i), v->type->scale);
        snprintf(buf + n, cap - (size_t)n, "BD");
        break;
    }
    case COL_STRING: {
        const col_str *s = &COL_DATA(v, col_str)[col_row(v, i)];
        snprintf(buf, cap, "'%.*s'", (int)(s->len < 200 ? s->len : 200), col_str_data(s));
        break;
    }
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ: {
        char t[48];
        fn_format_timestamp(t, fn_int_get(v, i));
        snprintf(buf, cap, "TIMESTAMP '%s'", t);
        break;
    }
    default:
        snprintf(buf, cap, "%lld", (long long)fn_int_get(v, i));
    }
}

static int err_overflow(cast_run *r, uint32_t i)
{
    char lit[256], from[64], to[64];
    literal_of(r->in, i, lit, sizeof lit);
    if (r->to->kind == COL_DECIMAL)
        return fn_error(r->c, "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION", "22003",
                        "%s cannot be represented as Decimal(%d, %d). If necessary set "
                        "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error, and return "
                        "NULL instead.",
                        lit, r->to->precision, r->to->scale);
    return fn_error(r->c, "CAST_OVERFLOW", "22003",
                    "The value %s of the type \"%s\" cannot be cast to \"%s\" due to an "
                    "overflow. Use `try_cast` to tolerate overflow and return NULL instead. If "
                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to bypass this error.",
                    lit, sql_name(r->c, r->in->type, from, sizeof from),
                    sql_name(r->c, r->to, to, sizeof to));
}

static int err_invalid(cast_run *r, uint32_t i)
{
    char lit[256], from[64], to[64];
    literal_of(r->in, i, lit, sizeof lit);
    return fn_error(r->c, "CAST_INVALID_INPUT", "22018",
                    "The value %s of the type \"%s\" cannot be cast to \"%s\" because it is "
                    "malformed. Correct the value as per the syntax, or change its target type. "
                    "Use `try_cast` to tolerate malformed input and return NULL instead. If "
                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to bypass this error.",
                    lit, sql_name(r->c, r->in->type, from, sizeof from),
                    sql_name(r->c, r->to, to, sizeof to));
}

/* A bad row: an error under ANSI, else NULL. */
#define BAD(ERRF)                                                                                  \
    do {                                                                                           \
        if (r->err) return ERRF(r, i);                                                             \
        col_set_null(r->out, i);                                                                   \
    } while (0)

static bool int_fits(int64_t v, int kind)
{
    switch (kind) {
    case COL_I8:
        return v >= INT8_MIN && v <= INT8_MAX;
    case COL_I16:
        return v >= INT16_MIN && v <= INT16_MAX;
    case COL_I32:
        return v >= INT32_MIN && v <= INT32_MAX;
    default:
        return true;
    }
}

static void put_int(col_vec *out, uint32_t i, int64_t v)
{
    switch (out->type->kind) {
    case COL_I8:
        COL_DATA(out, int8_t)[i] = (int8_t)v;
        break;
    case COL_I16:
        COL_DATA(out, int16_t)[i] = (int16_t)v;
        break;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        COL_DATA(out, int32_t)[i] = (int32_t)v;
        break;
    case COL_BOOL:
        COL_DATA(out, uint8_t)[i] = v != 0;
        break;
    default:
        COL_DATA(out, int64_t)[i] = v;
        break;
    }
}

/* Java's narrowing of a double to long / int (NaN 0, saturating). */
static int64_t java_d2l(double d)
{
    if (d != d) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}
static int64_t java_d2i(double d)
{
    if (d != d) return 0;
    if (d >= 2147483647.0) return INT32_MAX;
    if (d <= -2147483648.0) return INT32_MIN;
    return (int32_t)d;
}

/* Fast loops for widening between fixed-width numbers. */
#define WIDEN(TS, TD)                                                                              \
    {                                                                                              \
        const TS *S = r->in->data;                                                                 \
        TD *D = r->out->data;                                                                      \
        if (!sel && !r->in->constant)                                                              \
            for (uint32_t i = 0; i < n; i++) D[i] = (TD)S[i];                                      \
        else FN_ROWS(sel, n, count, i, { D[i] = (TD)S[col_row(r->in, i)]; });                      \
        return KILN_OK;                                                                            \
    }

static int widen_fast(cast_run *r, const uint32_t *sel, uint32_t n, uint32_t count, bool *done)
{
    int f = r->in->type->kind, t = r->to->kind;
    *done = true;
    if (f == COL_I8 && t == COL_I16) WIDEN(int8_t, int16_t)
    if (f == COL_I8 && t == COL_I32) WIDEN(int8_t, int32_t)
    if (f == COL_I8 && t == COL_I64) WIDEN(int8_t, int64_t)
    if (f == COL_I16 && t == COL_I32) WIDEN(int16_t, int32_t)
    if (f == COL_I16 && t == COL_I64) WIDEN(int16_t, int64_t)
    if (f == COL_I32 && t == COL_I64) WIDEN(int32_t, int64_t)
    if (f == COL_I32 && t == COL_F64) WIDEN(int32_t, double)
    if (f == COL_I64 && t == COL_F64) WIDEN(int64_t, double)
    if (f == COL_I32 && t == COL_F32) WIDEN(int32_t, float)
    if (f == COL_I64 && t == COL_F32) WIDEN(int64_t, float)
    if (f == COL_F32 && t == COL_F64) WIDEN(float, double)
    if (f == COL_I16 && t == COL_F64) WIDEN(int16_t, double)
    if (f == COL_I8 && t == COL_F64) WIDEN(int8_t, double)
    if (f == COL_F64 && t == COL_F32) WIDEN(double, float)
    *done = false;
    return KILN_OK;
}

static double dec_to_double(dec128 v, int scale)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    dec128 lim = (dec128)1 << 53;
    if (v < lim && v > -lim && scale <= 22)
        return (double)(int64_t)v / p10[scale]; /* both exact: one correctly rounded division */
    char buf[48];
    int n = dec_format(buf, v, scale);
    buf[n] = 0;
    return strtod(buf, NULL);
}

/* Java's BigDecimal.toString (Spark's legacy decimal text): plain unless
 * the adjusted exponent is below -6 ("0E-18", "1.2E-7"). */
static int dec_format_java(char *buf, dec128 v, int scale)
{
    char digits[48];
    int n = dec_format(digits, v < 0 ? -v : v, 0);
    int adjusted = n - 1 - scale;
    if (adjusted >= -6) return dec_format(buf, v, scale);
    int o = 0;
    if (v < 0) buf[o++] = '-';
    buf[o++] = digits[0];
    if (n > 1) {
        buf[o++] = '.';
        memcpy(buf + o, digits + 1, (size_t)(n - 1));
        o += n - 1;
    }
    return o + sprintf(buf + o, "E%d", adjusted);
}

/* ---- To string ------------------------------------------------------------- */

static void fmt_value(fn_ctx *c, bool legacy, kiln_buf *b, const col_vec *v, uint32_t i);

static void fmt_nested(fn_ctx *c, bool legacy, kiln_buf *b, const col_vec *v, uint32_t i)
{
    uint32_t row = col_row(v, i);
    if (v->type->kind == COL_STRUCT) {
        kiln_buf_append(b, "{", 1);
        for (int f = 0; f < v->nchildren; f++) {
            if (f) kiln_buf_append(b, ", ", 2);
            if (col_valid(&v->children[f], row)) fmt_value(c, legacy, b, &v->children[f], row);
            else kiln_buf_append(b, "null", 4);
        }
        kiln_buf_append(b, "}", 1);
        return;
    }
    bool map = v->type->kind == COL_MAP;
    kiln_buf_append(b, map ? "{" : "[", 1);
    for (uint32_t k = v->offsets[row]; k < v->offsets[row + 1]; k++) {
        if (k > v->offsets[row]) kiln_buf_append(b, ", ", 2);
        if (col_valid(&v->children[0], k)) fmt_value(c, legacy, b, &v->children[0], k);
        else kiln_buf_append(b, "null", 4);
        if (map) {
            kiln_buf_append(b, " -> ", 4);
            if (col_valid(&v->children[1], k)) fmt_value(c, legacy, b, &v->children[1], k);
            else kiln_buf_append(b, "null", 4);
        }
    }
    kiln_buf_append(b, map ? "}" : "]", 1);
}

/* Spark's text of one valid row. */
static void fmt_value(fn_ctx *c, bool legacy, kiln_buf *b, const col_vec *v, uint32_t i)
{
    char buf[96];
    int len = 0;
    uint32_t row = col_row(v, i);
    switch (v->type->kind) {
    case COL_BOOL:
        len = sprintf(buf, "%s", COL_DATA(v, uint8_t)[row] ? "true" : "false");
        break;
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64:
        len = sprintf(buf, "%lld", (long long)fn_int_get(v, i));
        break;
    case COL_F32:
        len = fn_format_float(buf, COL_DATA(v, float)[row]);
        break;
    case COL_F64:
        len = fn_format_double(buf, COL_DATA(v, double)[row]);
        break;
    case COL_DECIMAL:
        len = legacy ? dec_format_java(buf, fn_dec_get(v, i), v->type->scale)
                     : dec_format(buf, fn_dec_get(v, i), v->type->scale);
        break;
    case COL_DATE:
        len = fn_format_date(buf, fn_int_get(v, i));
        break;
    case COL_TIMESTAMP: {
        int64_t us = fn_int_get(v, i);
        bool ok;
        len = fn_format_timestamp(buf, us + (int64_t)fn_tz_offset(c->tz, us, &ok) * 1000000);
        break;
    }
    case COL_TIMESTAMP_NTZ:
        len = fn_format_timestamp(buf, fn_int_get(v, i));
        break;
    case COL_INTERVAL_YM: {
        int64_t m = fn_int_get(v, i);
        len = sprintf(buf, "INTERVAL '%s%lld-%lld' YEAR TO MONTH", m < 0 ? "-" : "",
                      (long long)(llabs(m) / 12), (long long)(llabs(m) % 12));
        break;
    }
    case COL_INTERVAL_DT:
        len = fn_format_interval_dt(buf, fn_int_get(v, i), v->type);
        break;
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = &COL_DATA(v, col_str)[row];
        kiln_buf_append(b, col_str_data(s), s->len);
        return;
    }
    case COL_ARRAY:
    case COL_MAP:
    case COL_STRUCT:
        fmt_nested(c, legacy, b, v, i);
        return;
    default:
        return;
    }
    kiln_buf_append(b, buf, (size_t)len);
}

static int to_string(cast_run *r, const uint32_t *sel, uint32_t n, uint32_t count)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = KILN_OK;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(r->out, i)) continue;
        if (r->in->type->kind == COL_STRING || r->in->type->kind == COL_BINARY) {
            COL_DATA(r->out, col_str)[i] = COL_DATA(r->in, col_str)[col_row(r->in, i)];
            continue;
        }
        b.len = 0;
        fmt_value(r->c, !r->err && !r->try_, &b, r->in, i);
        rc = fn_put_str(r->c, r->out, i, b.len ? (const char *)b.data : "", b.len);
        if (rc != KILN_OK) break;
    });
    kiln_buf_release(&b);
    return rc;
}

/* ---- From string ---------------------------------------------------------------- */

static void trim_ws(const char **s, uint32_t *n)
{
    while (*n && (unsigned char)(*s)[0] <= ' ') {
        (*s)++;
        (*n)--;
    }
    while (*n && (unsigned char)(*s)[*n - 1] <= ' ') (*n)--;
}

/* Spark's UTF8String.toLong: sign, digits, and (legacy only) a fraction
 * that is dropped. */
static bool parse_long(const char *s, uint32_t n, bool allow_frac, int64_t *out)
{
    trim_ws(&s, &n);
    uint32_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int nd = 0;
    for (; i < n && isdigit((unsigned char)s[i]); i++, nd++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10) return false;
        v = v * 10 + d;
    }
    if (i < n && s[i] == '.' && allow_frac) {
        i++;
        for (; i < n && isdigit((unsigned char)s[i]); i++)
            ;
    }
    if (i != n || (nd == 0 && !allow_frac)) return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Java's Double.parseDouble plus Spark's extras ("inf", "-Infinity",
 * "NaN" without regard to case); trailing d/f accepted. */
static bool parse_double(const char *s, uint32_t n, double *out)
{
    trim_ws(&s, &n);
    if (n == 0 || n > 400) return false;
    char buf[408];
    memcpy(buf, s, n);
    buf[n] = 0;
    const char *p = buf;
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
        *out = sign * INFINITY;
        return true;
    }
    if (strcasecmp(p, "nan") == 0) {
        *out = NAN;
        return true;
    }
    /* no hex, no inf/nan spellings beyond the above */
    for (const char *q = p; *q; q++)
        if (!(isdigit((unsigned char)*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' ||
              *q == '-' || ((*q == 'd' || *q == 'D' || *q == 'f' || *q == 'F') && !q[1])))
            return false;
    if (n && strchr("dDfF", buf[n - 1])) buf[n - 1] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end == buf || *end) return false;
    *out = d;
    return true;
}

static int from_string(cast_run *r, const uint32_t *sel, uint32_t n, uint32_t count)
{
    int t = r->to->kind;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(r->out, i)) continue;
        const col_str *cs = &COL_DATA(r->in, col_str)[col_row(r->in, i)];
        const char *s = col_str_data(cs);
        uint32_t len = cs->len;
        switch (t) {
        case COL_I8:
        case COL_I16:
        case COL_I32:
        case COL_I64: {
            int64_t v;
            if (!parse_long(s, len, !r->err, &v) || !int_fits(v, t)) BAD(err_invalid);
            else put_int(r->out, i, v);
            break;
        }
        case COL_F32:
        case COL_F64: {
            double d;
            if (!parse_double(s, len, &d)) BAD(err_invalid);
            else if (t == COL_F32) COL_DATA(r->out, float)[i] = (float)d;
            else COL_DATA(r->out, double)[i] = d;
            break;
        }
        case COL_DECIMAL: {
            dec128 v;
            int rc = dec_parse(s, len, r->to->precision, r->to->scale, &v);
            if (rc == -1) BAD(err_invalid);
            else if (rc == -2) BAD(err_overflow);
            else fn_dec_put(r->out, i, v);
            break;
        }
        case COL_BOOL: {
            const char *p = s;
            uint32_t m = len;
            trim_ws(&p, &m);
            char low[8];
            int v = -1;
            if (m < sizeof low) {
                for (uint32_t k = 0; k < m; k++) low[k] = (char)tolower((unsigned char)p[k]);
                low[m] = 0;
                if (!strcmp(low, "t") || !strcmp(low, "true") || !strcmp(low, "y") ||
                    !strcmp(low, "yes") || !strcmp(low, "1"))
                    v = 1;
                else if (!strcmp(low, "f") || !strcmp(low, "false") || !strcmp(low, "n") ||
                         !strcmp(low, "no") || !strcmp(low, "0"))
                    v = 0;
            }
            if (v < 0) BAD(err_invalid);
            else COL_DATA(r->out, uint8_t)[i] = (uint8_t)v;
            break;
        }
        case COL_DATE: {
            int32_t d;
            if (!fn_parse_date(s, len, &d)) BAD(err_invalid);
            else COL_DATA(r->out, int32_t)[i] = d;
            break;
        }
        case COL_TIMESTAMP:
        case COL_TIMESTAMP_NTZ: {
            int64_t us;
            if (!fn_parse_timestamp(s, len, r->c->tz, t == COL_TIMESTAMP_NTZ, &us))
                BAD(err_invalid);
            else COL_DATA(r->out, int64_t)[i] = us;
            break;
        }
        case COL_BINARY:
            COL_DATA(r->out, col_str)[i] = *cs;
            break;
        default:
            BAD(err_invalid);
        }
    });
    return KILN_OK;
}

/* ---- Numbers, booleans, datetimes ------------------------------------------------ */

/* Number of a row as the target: integral/decimal/float/bool/timestamp. */
static int numeric_row(cast_run *r, uint32_t i)
{
    const col_vec *in = r->in;
    int f = in->type->kind, t = r->to->kind;
    bool fint = col_type_is_integral(in->type) || f == COL_BOOL;
    if (t == COL_BOOL) {
        bool v;
        if (f == COL_F32 || f == COL_F64) v = fn_num_get_f64(in, i) != 0;
        else if (f == COL_DECIMAL) v = fn_dec_get(in, i) != 0;
        else v = fn_int_get(in, i) != 0;
        COL_DATA(r->out, uint8_t)[i] = v;
        return KILN_OK;
    }
    if (t == COL_F32 || t == COL_F64) {
        double d;
        if (f == COL_DECIMAL) d = dec_to_double(fn_dec_get(in, i), in->type->scale);
        else if (f == COL_TIMESTAMP) d = (double)fn_int_get(in, i) / 1e6;
        else d = fn_num_get_f64(in, i);
        if (t == COL_F32) COL_DATA(r->out, float)[i] = (float)d;
        else COL_DATA(r->out, double)[i] = d;
        return KILN_OK;
    }
    if (t == COL_DECIMAL) {
        dec128 v;
        int p = r->to->precision, s = r->to->scale;
        bool ok;
        if (fint) {
            ok = dec_rescale(fn_int_get(in, i), 0, s, &v) && dec_fits(v, p);
        } else if (f == COL_DECIMAL) {
            ok = dec_rescale(fn_dec_get(in, i), in->type->scale, s, &v) && dec_fits(v, p);
        } else {
            double d = fn_num_get_f64(in, i);
            char buf[64];
            if (isnan(d) || isinf(d)) {
                ok = false;
            } else {
                int len = f == COL_F32 ? fn_format_float(buf, (float)d) : fn_format_double(buf, d);
                ok = dec_parse(buf, (size_t)len, p, s, &v) == 0;
            }
        }
        if (!ok) BAD(err_overflow);
        else fn_dec_put(r->out, i, v);
        return KILN_OK;
    }
    if (t == COL_TIMESTAMP || t == COL_TIMESTAMP_NTZ) {
        int64_t us;
        if (fint) {
            int64_t s = fn_int_get(in, i);
            if (__builtin_mul_overflow(s, 1000000, &us)) us = s < 0 ? INT64_MIN : INT64_MAX;
        } else {
            double d = f == COL_DECIMAL ? dec_to_double(fn_dec_get(in, i), in->type->scale)
                                        : fn_num_get_f64(in, i);
            if (isnan(d) || isinf(d)) {
                BAD(err_overflow);
                return KILN_OK;
            }
            us = java_d2l(d * 1e6);
        }
        COL_DATA(r->out, int64_t)[i] = us;
        return KILN_OK;
    }
    /* integral targets */
    int64_t v;
    bool ok = true;
    if (fint) {
        v = fn_int_get(in, i);
        ok = int_fits(v, t);
    } else if (f == COL_TIMESTAMP) {
        int64_t us = fn_int_get(in, i);
        v = us / 1000000 - (us % 1000000 < 0);
        ok = int_fits(v, t);
    } else if (f == COL_DECIMAL) {
        dec128 x = fn_dec_get(in, i) / dec_pow10[in->type->scale];
        v = (int64_t)(uint64_t)(unsigned __int128)x;
        ok = x >= INT64_MIN && x <= INT64_MAX && int_fits(v, t);
    } else {
        double d = fn_num_get_f64(in, i);
        if (t == COL_I64) {
            ok = d == d && d > -9223372036854777856.0 && d < 9223372036854775808.0;
            v = java_d2l(d);
        } else {
            v = java_d2i(d);
            ok = d == d && d > -2147483649.0 && d < 2147483648.0 && int_fits((int64_t)trunc(d), t);
        }
    }
    if (!ok && r->err) return err_overflow(r, i);
    if (!ok && r->try_) {
        col_set_null(r->out, i);
        return KILN_OK;
    }
    /* legacy: Java's wrapping */
    put_int(r->out, i, v);
    return KILN_OK;
}

static int64_t ts_local(fn_ctx *c, int64_t us)
{
    bool ok;
    return us + (int64_t)fn_tz_offset(c->tz, us, &ok) * 1000000;
}

static int64_t floor_days(int64_t us)
{
    return us / US_PER_DAY - (us % US_PER_DAY < 0);
}

static int datetime_row(cast_run *r, uint32_t i)
{
    int f = r->in->type->kind, t = r->to->kind;
    int64_t v = fn_int_get(r->in, i);
    if (f == COL_DATE && t == COL_TIMESTAMP) v = fn_tz_local_to_utc(r->c->tz, v * US_PER_DAY);
    else if (f == COL_DATE && t == COL_TIMESTAMP_NTZ) v = v * US_PER_DAY;
    else if (f == COL_TIMESTAMP && t == COL_DATE) v = floor_days(ts_local(r->c, v));
    else if (f == COL_TIMESTAMP_NTZ && t == COL_DATE) v = floor_days(v);
    else if (f == COL_TIMESTAMP && t == COL_TIMESTAMP_NTZ) v = ts_local(r->c, v);
    else if (f == COL_TIMESTAMP_NTZ && t == COL_TIMESTAMP) v = fn_tz_local_to_utc(r->c->tz, v);
    put_int(r->out, i, v);
    return KILN_OK;
}

static bool is_num(int k)
{
    return (k >= COL_I8 && k <= COL_DECIMAL) || k == COL_BOOL;
}

int fn_cast_vec(fn_ctx *c, const col_vec *in, col_vec *out, const col_type *to, bool try_,
                const uint32_t *sel, uint32_t n, uint32_t count)
{
    if (!out->validity && col_vec_add_validity(out, c->arena, n) != KILN_OK) return KILN_ENOMEM;
    col_vec flat;
    cast_run run = {c, in, out, to, c->ansi && !try_, try_};
    cast_run *r = &run;
    int f = in->type->kind, t = to->kind;
    if (!sel) count = n;
    /* Nulls stay null. */
    if (in->validity || f == COL_NULL)
        FN_ROWS(sel, n, count, i, {
            if (f == COL_NULL || !col_valid(in, i)) col_set_null(out, i);
        });
    if (f == COL_NULL) return KILN_OK;
    if (col_type_eq(in->type, to) && t != COL_ARRAY && t != COL_MAP && t != COL_STRUCT) {
        size_t w = col_type_width(to);
        FN_ROWS(sel, n, count, i, {
            memcpy((char *)out->data + i * w, (const char *)in->data + col_row(in, i) * w, w);
        });
        return KILN_OK;
    }
    if (t == COL_STRING) return to_string(r, sel, n, count);
    if (f == COL_STRING) return from_string(r, sel, n, count);
    if (f == COL_BINARY && t == COL_BINARY) {
        FN_ROWS(sel, n, count, i, {
            COL_DATA(out, col_str)[i] = COL_DATA(in, col_str)[col_row(in, i)];
        });
        return KILN_OK;
    }
    bool done;
    int rc = widen_fast(r, sel, n, count, &done);
    if (done) return rc;
    if ((is_num(f) && (is_num(t) || t == COL_TIMESTAMP)) || (f == COL_TIMESTAMP && is_num(t))) {
        FN_ROWS(sel, n, count, i, {
            if (!col_valid(out, i)) continue;
            rc = numeric_row(r, i);
            if (rc != KILN_OK) return rc;
        });
        return KILN_OK;
    }
    if ((f == COL_DATE || f == COL_TIMESTAMP || f == COL_TIMESTAMP_NTZ) &&
        (t == COL_DATE || t == COL_TIMESTAMP || t == COL_TIMESTAMP_NTZ)) {
        FN_ROWS(sel, n, count, i, {
            if (col_valid(out, i)) datetime_row(r, i);
        });
        return KILN_OK;
    }
    if (f == COL_ARRAY && t == COL_ARRAY) {
        /* Elements as a whole child vector; offsets copied row by row. */
        uint32_t rows = in->constant ? 1 : n;
        uint32_t total = in->offsets[rows];
        if (col_vec_reserve_child(out, c->arena, total) != KILN_OK) return KILN_ENOMEM;
        out->offsets[0] = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t rr = col_row(in, k);
            out->offsets[k + 1] = out->offsets[k] + (in->offsets[rr + 1] - in->offsets[rr]);
        }
        if (in->constant) {
            /* expand the single row's elements n times */
            if (col_vec_flatten(&flat, c->arena, in) != KILN_OK) return KILN_ENOMEM;
            in = &flat;
            total = in->offsets[n];
            if (col_vec_reserve_child(out, c->arena, total) != KILN_OK) return KILN_ENOMEM;
        }
        out->children[0].n = total;
        if (!out->children[0].validity &&
            col_vec_add_validity(&out->children[0], c->arena, total) != KILN_OK)
            return KILN_ENOMEM;
        return fn_cast_vec(c, &in->children[0], &out->children[0], to->elem, try_, NULL, total,
                           total);
    }
    if (f == COL_STRUCT && t == COL_STRUCT && in->nchildren == to->nfields) {
        for (int k = 0; k < to->nfields; k++) {
            col_vec *oc = &out->children[k];
            if (!oc->validity && col_vec_add_validity(oc, c->arena, n) != KILN_OK)
                return KILN_ENOMEM;
            rc = fn_cast_vec(c, &in->children[k], oc, to->fields[k].type, try_, sel, n, count);
            if (rc != KILN_OK) return rc;
        }
        return KILN_OK;
    }
    /* Casts Spark allows only outside ANSI and answers with NULL. */
    FN_ROWS(sel, n, count, i, { col_set_null(out, i); });
    return KILN_OK;
}

/* ---- Which casts exist ------------------------------------------------------------- */

bool fn_can_cast(const col_type *from, const col_type *to, bool ansi)
{
    int f = from->kind, t = to->kind;
    if (col_type_eq(from, to) || f == COL_NULL) return true;
    if (t == COL_STRING) return true;
    bool fnum = is_num(f) && f != COL_BOOL, tnum = is_num(t) && t != COL_BOOL;
    switch (f) {
    case COL_STRING:
        return t != COL_ARRAY && t != COL_MAP && t != COL_STRUCT;
    case COL_BOOL:
        return tnum || t == COL_BOOL || (t == COL_TIMESTAMP && !ansi);
    case COL_DATE:
        return t == COL_TIMESTAMP || t == COL_TIMESTAMP_NTZ || (!ansi && (tnum || t == COL_BOOL));
    case COL_TIMESTAMP:
        return t == COL_DATE || t == COL_TIMESTAMP_NTZ || tnum || (!ansi && t == COL_BOOL);
    case COL_TIMESTAMP_NTZ:
        return t == COL_DATE || t == COL_TIMESTAMP;
    case COL_BINARY:
        return t == COL_BINARY;
    case COL_INTERVAL_YM:
    case COL_INTERVAL_DT:
        return t == f || col_type_is_integral(to) || t == COL_DECIMAL;
    case COL_ARRAY:
        return t == COL_ARRAY && fn_can_cast(from->elem, to->elem, ansi);
    case COL_MAP:
        return t == COL_MAP && fn_can_cast(from->elem, to->elem, ansi) &&
               fn_can_cast(from->value, to->value, ansi);
    case COL_STRUCT:
        if (t != COL_STRUCT || from->nfields != to->nfields) return false;
        for (int k = 0; k < from->nfields; k++)
            if (!fn_can_cast(from->fields[k].type, to->fields[k].type, ansi)) return false;
        return true;
    default:
        if (fnum)
            return tnum || t == COL_BOOL || t == COL_TIMESTAMP ||
                   (col_type_is_integral(from) && (t == COL_INTERVAL_YM || t == COL_INTERVAL_DT)) ||
                   (!ansi && (t == COL_DATE || (t == COL_BINARY && col_type_is_integral(from))));
        return false;
    }
}

/* ---- Implicit widening ----------------------------------------------------------------- */

static int num_rank(int k)
{
    switch (k) {
    case COL_I8:
        return 1;
    case COL_I16:
        return 2;
    case COL_I32:
        return 3;
    case COL_I64:
        return 4;
    case COL_F32:
        return 5;
    case COL_F64:
        return 6;
    default:
        return 0;
    }
}

static const col_type *rank_type(int r)
{
    static const col_type *const ts[] = {NULL,          &col_type_i8,  &col_type_i16, &col_type_i32,
                                         &col_type_i64, &col_type_f32, &col_type_f64};
    return ts[r];
}

const col_type *fn_common_type(kiln_arena *a, const col_type *x, const col_type *y, bool ansi)
{
    if (col_type_eq(x, y)) return x;
    if (x->kind == COL_NULL) return y;
    if (y->kind == COL_NULL) return x;
    int xr = num_rank(x->kind), yr = num_rank(y->kind);
    if (xr && yr) return rank_type(xr > yr ? xr : yr);
    int xk = x->kind, yk = y->kind;
    if ((xk == COL_DATE || xk == COL_TIMESTAMP || xk == COL_TIMESTAMP_NTZ) &&
        (yk == COL_DATE || yk == COL_TIMESTAMP || yk == COL_TIMESTAMP_NTZ)) {
        if (xk == COL_TIMESTAMP || yk == COL_TIMESTAMP) return &col_type_timestamp;
        return &col_type_timestamp_ntz;
    }
    if (xk == COL_STRING || yk == COL_STRING) {
        const col_type *o = xk == COL_STRING ? y : x;
        if (ansi) /* AnsiTypeCoercion.findWiderTypeForString: the string takes the
                   * other side's type (bigint for integrals, double for
                   * fractionals and decimals) */
            return fn_string_promotion(x, y);
        if (o->kind == COL_ARRAY || o->kind == COL_MAP || o->kind == COL_STRUCT ||
            o->kind == COL_BINARY || o->kind == COL_BOOL)
            return NULL;
        return &col_type_string; /* legacy: stringPromotion to string */
    }
    if (x->kind == COL_DECIMAL || y->kind == COL_DECIMAL) {
        if (xr >= 5 || yr >= 5) return &col_type_f64;
        const col_type *dx = fn_decimal_of(a, x), *dy = fn_decimal_of(a, y);
        if (!dx || !dy) return NULL;
        int s = dx->scale > dy->scale ? dx->scale : dy->scale;
        int id = dx->precision - dx->scale > dy->precision - dy->scale ? dx->precision - dx->scale
                                                                       : dy->precision - dy->scale;
        int p = id + s;
        if (p > DEC_MAX_PRECISION) {
            /* Spark's widerDecimalType bounds precision at 38 keeping the
             * integer digits (scale shrinks). */
            s = DEC_MAX_PRECISION - id > 0 ? DEC_MAX_PRECISION - id : 0;
            p = DEC_MAX_PRECISION;
        }
        return col_type_decimal(a, p, s);
    }
    if (xk == COL_ARRAY && yk == COL_ARRAY) {
        const col_type *e = fn_common_type(a, x->elem, y->elem, ansi);
        return e ? col_type_array(a, e, x->contains_null || y->contains_null) : NULL;
    }
    if (xk == COL_MAP && yk == COL_MAP) {
        const col_type *k = fn_common_type(a, x->elem, y->elem, ansi);
        const col_type *v = fn_common_type(a, x->value, y->value, ansi);
        return k && v ? col_type_map(a, k, v, x->contains_null || y->contains_null) : NULL;
    }
    if (xk == COL_STRUCT && yk == COL_STRUCT && x->nfields == y->nfields) {
        col_field fs[64];
        if (x->nfields > 64) return NULL;
        for (int k = 0; k < x->nfields; k++) {
            fs[k] = x->fields[k];
            fs[k].type = fn_common_type(a, x->fields[k].type, y->fields[k].type, ansi);
            fs[k].nullable = x->fields[k].nullable || y->fields[k].nullable;
            if (!fs[k].type) return NULL;
        }
        return col_type_struct(a, fs, x->nfields);
    }
    return NULL;
}

/* ---- cast / try_cast as functions ------------------------------------------------------ */

typedef struct cast_state {
    const col_type *to;
    bool try_;
} cast_state;

static int cast_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    const cast_state *st = state;
    return fn_cast_vec(c, &args[0], out, st->to, st->try_, sel, n, count);
}

static int bind_cast_as(fn_bind *b, bool try_)
{
    const col_vec *k = b->consts[1];
    if (!k || b->args[1]->kind != COL_STRING || !col_valid(k, 0))
        return fn_bind_fail(b, 1, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
                            "the second argument of cast must be a constant type name");
    const col_str *s = &COL_DATA(k, col_str)[0];
    const col_type *to;
    size_t pos;
    if (col_type_parse(b->arena, col_str_data(s), s->len, &to, &pos) != KILN_OK)
        return fn_bind_fail(b, 1, "UNSUPPORTED_DATATYPE", "Unsupported data type \"%.*s\".",
                            (int)s->len, col_str_data(s));
    if (!fn_can_cast(b->args[0], to, b->ansi))
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION",
                            "Cannot resolve the cast due to data type mismatch: cannot cast "
                            "\"%s\" to \"%s\".",
                            fn_type_name(b->arena, b->args[0]), fn_type_name(b->arena, to));
    cast_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    st->to = to;
    st->try_ = try_;
    b->state = st;
    b->result = to;
    b->kernel = cast_kernel;
    b->nullable = try_ || !b->ansi || b->args[0]->kind == COL_STRING;
    return KILN_OK;
}

static int bind_cast(fn_bind *b)
{
    return bind_cast_as(b, false);
}
static int bind_try_cast(fn_bind *b)
{
    return bind_cast_as(b, true);
}

const fn_def fn_defs_cast[] = {
    {"cast", 2, 2, FN_NULL_IN_NULL_OUT | FN_NEEDS_CONSTS, bind_cast},
    {"try_cast", 2, 2, FN_NULL_IN_NULL_OUT | FN_NEEDS_CONSTS, bind_try_cast},
    {NULL, 0, 0, 0, NULL},
};

int fn_format_interval_dt(char *buf, int64_t us, const col_type *t)
{
    static const char *const names[] = {"DAY", "HOUR", "MINUTE", "SECOND"};
    static const uint64_t unit[] = {86400000000ULL, 3600000000ULL, 60000000ULL, 1000000ULL};
    int st = col_dt_start(t), en = col_dt_end(t);
    if (st < 0 || st > 3 || en < st || en > 3) st = 0, en = 3;
    uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    int len = sprintf(buf, "INTERVAL '%s", us < 0 ? "-" : "");
    for (int f = st; f <= en; f++) {
        uint64_t v = a / unit[f];
        a %= unit[f];
        if (f == st) len += sprintf(buf + len, "%llu", (unsigned long long)v);
        else
            len += sprintf(buf + len, f == COL_DT_HOUR ? " %02llu" : ":%02llu",
                           (unsigned long long)v);
        if (f == COL_DT_SECOND && a) {
            len += sprintf(buf + len, ".%06llu", (unsigned long long)a);
            while (buf[len - 1] == '0') len--;
        }
    }
    if (st == en) len += sprintf(buf + len, "' %s", names[st]);
    else len += sprintf(buf + len, "' %s TO %s", names[st], names[en]);
    return len;
}
