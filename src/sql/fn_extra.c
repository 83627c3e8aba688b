/*
 * sql/fn_extra.c - scalar functions of Spark 4 that fit no other family
 * (fn.h): typeof, format_number, format_string / printf (Java's
 * Formatter), base64 / unbase64, levenshtein, soundex, make_timestamp /
 * try_make_timestamp.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fn_int.h"
#include "sql/fn_text_int.h"

static int oom(void)
{
    return KILN_ENOMEM;
}

/* Bind error: argument k is not of the type named want. */
static int type_err(fn_bind *b, int k, const char *want)
{
    return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", k,
                       "Cannot resolve the function due to data type mismatch: the parameter "
                       "%d requires the \"%s\" type, however it has the type \"%s\".",
                       k + 1, want, fn_type_name(b->arena, b->args[k]));
}

/* Argument k is cast to string (from anything but nested types). */
static int want_str(fn_bind *b, int k)
{
    if (!tx_castable_to_string(b->args[k])) return type_err(b, k, "STRING");
    if (b->args[k]->kind != COL_STRING) b->want[k] = &col_type_string;
    return KILN_OK;
}

/* ---- typeof ------------------------------------------------------------------------- */

static int k_typeof(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    (void)args;
    const char *name = state;
    size_t len = strlen(name);
    TX_ROWS(i)
    {
        col_set_valid(out, i);
        int rc = fn_put_str(c, out, i, name, len);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* typeof(x): the argument's type as Spark's catalogString ("int",
 * "array<string>", "interval day"); typeof(NULL) is "void". */
static int bind_typeof(fn_bind *b)
{
    kiln_buf t;
    kiln_buf_init(&t);
    int rc = col_type_format(&t, b->args[0]);
    char *name = rc ? NULL : kiln_arena_alloc(b->arena, t.len + 1);
    if (name) {
        memcpy(name, t.data, t.len);
        name[t.len] = 0;
    }
    kiln_buf_release(&t);
    if (!name) return rc ? rc : oom();
    b->state = name;
    b->result = &col_type_string;
    b->kernel = k_typeof;
    return KILN_OK;
}

/* ---- format_number ------------------------------------------------------------------ */

/* Appends digits[0..n) with a comma every three from the right. */
static void put_grouped(kiln_buf *o, const char *digits, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (k && (n - k) % 3 == 0) kiln_buf_append(o, ",", 1);
        kiln_buf_append(o, digits + k, 1);
    }
}

/* Appends a plain decimal number text ("-1234.5678") with its integer
 * part grouped. */
static void put_plain_grouped(kiln_buf *o, const char *s)
{
    if (*s == '-') kiln_buf_append(o, s++, 1);
    const char *dot = strchr(s, '.');
    size_t ni = dot ? (size_t)(dot - s) : strlen(s);
    put_grouped(o, s, ni);
    if (dot) kiln_buf_append(o, dot, strlen(dot));
}

/* v / 10^scale rounded HALF_EVEN to d digits, as plain text in buf. */
static void dec_text_half_even(char *buf, dec128 v, int scale, int d)
{
    if (d < scale) {
        dec128 p = dec_pow10[scale - d], q = v / p, r = v % p;
        dec128 ar = r < 0 ? -r : r, half = p / 2;
        if (ar > half || (ar == half && (q % 2 != 0))) q += v < 0 ? -1 : 1;
        if (q == 0 && v < 0) { /* DecimalFormat keeps the sign of -0.001 -> -0.00 */
            int n = dec_format(buf + 1, 0, d);
            buf[0] = '-';
            buf[n + 1] = 0;
            return;
        }
        buf[dec_format(buf, q, d)] = 0;
        return;
    }
    /* More digits than the scale: zeros appended. */
    int n = dec_format(buf, v, scale);
    if (d > scale) {
        if (scale == 0) buf[n++] = '.';
        for (int k = scale; k < d; k++) buf[n++] = '0';
    }
    buf[n] = 0;
}

static int k_format_number(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const col_vec *x = &args[0];
    kiln_buf o;
    kiln_buf_init(&o);
    char buf[400];
    int rc = KILN_OK;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int64_t d = tx_i32(&args[1], i);
        if (d < 0) {
            col_set_null(out, i);
            continue;
        }
        if (d > 340) d = 340;
        o.len = 0;
        switch (x->type->kind) {
        case COL_F32:
        case COL_F64: {
            double v = x->type->kind == COL_F32 ? COL_DATA(x, float)[col_row(x, i)] : tx_f64(x, i);
            if (isnan(v)) {
                kiln_buf_append(&o, "NaN", 3);
            } else if (isinf(v)) {
                kiln_buf_append(&o, v < 0 ? "-\xe2\x88\x9e" : "\xe2\x88\x9e", v < 0 ? 4 : 3);
            } else {
                /* glibc rounds the exact binary value half-even, as JDK 8+'s
                 * DecimalFormat does. */
                char *s = malloc(400 + (fabs(v) >= 1 ? 310 : 0));
                if (!s) {
                    rc = oom();
                    goto done;
                }
                snprintf(s, 710, "%.*f", (int)d, v);
                put_plain_grouped(&o, s);
                free(s);
            }
            break;
        }
        case COL_DECIMAL:
            dec_text_half_even(buf, fn_dec_get(x, i), x->type->scale, (int)(d > 38 ? 38 : d));
            put_plain_grouped(&o, buf);
            for (int64_t k = 38; k < d; k++) kiln_buf_append(&o, "0", 1);
            break;
        default: /* integral */
            dec_text_half_even(buf, fn_int_get(x, i), 0, (int)(d > 38 ? 38 : d));
            put_plain_grouped(&o, buf);
            for (int64_t k = 38; k < d; k++) kiln_buf_append(&o, "0", 1);
            break;
        }
        if ((rc = fn_put_str(c, out, i, o.len ? (const char *)o.data : "", o.len))) goto done;
    }
done:
    kiln_buf_release(&o);
    return rc;
}

/* format_number(x, d): x with d decimals (HALF_EVEN, DecimalFormat's
 * "#,##0.00") and commas between thousands; null when d < 0. A pattern
 * string as d is not supported. */
static int bind_format_number(fn_bind *b)
{
    const col_type *x = b->args[0], *d = b->args[1];
    if (!col_type_is_numeric(x) && x->kind != COL_NULL) return type_err(b, 0, "NUMERIC");
    /* A DecimalFormat pattern as d is not supported. */
    if (!col_type_is_integral(d) && d->kind != COL_NULL) return type_err(b, 1, "INT");
    if (x->kind == COL_NULL) b->want[0] = &col_type_f64;
    b->want[1] = &col_type_i32;
    b->result = &col_type_string;
    b->kernel = k_format_number;
    b->nullable = true;
    return KILN_OK;
}

/* ---- format_string / printf --------------------------------------------------------- */

/* The shortest decimal digits of v > 0 (Java's Double.toString digits) and
 * the exponent: v = 0.D1D2... * 10^exp. */
static int shortest_digits(double v, char *digits, int *exp)
{
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v) break;
    }
    int n = 0;
    const char *s = buf;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') digits[n++] = *s;
    *exp = atoi(s + 1) + 1;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = 0;
    return n;
}

/* Rounds digit string d (value 0.d * 10^*exp) HALF_UP to keep digits;
 * returns the new length (may carry into a new leading 1). */
static int round_half_up(char *d, int n, int keep, int *exp)
{
    if (keep < 0) {
        d[0] = '0';
        d[1] = 0;
        return 1;
    }
    if (keep >= n) return n;
    bool up = d[keep] >= '5';
    n = keep;
    d[n] = 0;
    if (!up) return n;
    int k = n - 1;
    while (k >= 0 && d[k] == '9') d[k--] = '0';
    if (k >= 0) {
        d[k]++;
    } else {
        memmove(d + 1, d, (size_t)n + 1);
        d[0] = '1';
        n++;
        (*exp)++;
    }
    return n;
}

/* Java's %.<prec>f of |v| (digits: HALF_UP on the shortest representation). */
static void java_fixed(kiln_buf *o, double v, int prec)
{
    char d[64];
    int exp, n = v == 0 ? (strcpy(d, "0"), exp = 1, 1) : shortest_digits(v, d, &exp);
    n = round_half_up(d, n, exp + prec, &exp);
    if (n == 1 && d[0] == '0') exp = 1;
    /* integer part */
    if (exp <= 0) kiln_buf_append(o, "0", 1);
    for (int k = 0; k < exp; k++) kiln_buf_append(o, k < n ? &d[k] : "0", 1);
    if (prec > 0) {
        kiln_buf_append(o, ".", 1);
        for (int k = 0; k < prec; k++) {
            int at = exp + k;
            kiln_buf_append(o, at >= 0 && at < n ? &d[at] : "0", 1);
        }
    }
}

/* Java's %.<prec>e of |v|. */
static void java_sci(kiln_buf *o, double v, int prec, bool upper)
{
    char d[64];
    int exp, n = v == 0 ? (strcpy(d, "0"), exp = 1, 1) : shortest_digits(v, d, &exp);
    n = round_half_up(d, n, prec + 1, &exp);
    kiln_buf_append(o, d, 1);
    if (prec > 0) {
        kiln_buf_append(o, ".", 1);
        for (int k = 1; k <= prec; k++) kiln_buf_append(o, k < n ? &d[k] : "0", 1);
    }
    int e = v == 0 ? 0 : exp - 1;
    char t[16];
    int tl = snprintf(t, sizeof t, "%c%c%02d", upper ? 'E' : 'e', e < 0 ? '-' : '+', abs(e));
    kiln_buf_append(o, t, (size_t)tl);
}

typedef struct fmt_spec {
    bool left, alt, plus, space, zero, group, paren;
    int width, prec;
    char conv;
} fmt_spec;

/* Pads body (its sign or prefix in the first nsign bytes) to the width. */
static void put_padded(kiln_buf *o, const fmt_spec *f, const char *body, size_t len, size_t nsign)
{
    size_t w = f->width > 0 ? (size_t)f->width : 0;
    size_t pad = len < w ? w - len : 0;
    if (!pad) {
        kiln_buf_append(o, body, len);
        return;
    }
    if (f->left) {
        kiln_buf_append(o, body, len);
        for (size_t k = 0; k < pad; k++) kiln_buf_append(o, " ", 1);
    } else if (f->zero) {
        kiln_buf_append(o, body, nsign);
        for (size_t k = 0; k < pad; k++) kiln_buf_append(o, "0", 1);
        kiln_buf_append(o, body + nsign, len - nsign);
    } else {
        for (size_t k = 0; k < pad; k++) kiln_buf_append(o, " ", 1);
        kiln_buf_append(o, body, len);
    }
}

/* A signed number's text: sign handling, grouping and parentheses of Java's
 * %d / %f, then padding. mag is the magnitude's plain text. */
static void put_number(kiln_buf *o, const fmt_spec *f, bool neg, const char *mag)
{
    kiln_buf t;
    kiln_buf_init(&t);
    if (neg) kiln_buf_append(&t, f->paren ? "(" : "-", 1);
    else if (f->plus) kiln_buf_append(&t, "+", 1);
    else if (f->space) kiln_buf_append(&t, " ", 1);
    size_t nsign = t.len;
    if (f->group) put_plain_grouped(&t, mag);
    else kiln_buf_append(&t, mag, strlen(mag));
    if (neg && f->paren) kiln_buf_append(&t, ")", 1);
    put_padded(o, f, (const char *)t.data, t.len, nsign);
    kiln_buf_release(&t);
}

/* Row i of v as Java's String.valueOf of Spark's value (%s). */
static void put_text(kiln_buf *o, const col_vec *v, uint32_t i)
{
    char buf[400];
    int n;
    switch (v->type->kind) {
    case COL_BOOL:
        kiln_buf_append(o, tx_bool(v, i) ? "true" : "false", tx_bool(v, i) ? 4 : 5);
        return;
    case COL_F32:
        n = fn_format_float(buf, COL_DATA(v, float)[col_row(v, i)]);
        break;
    case COL_F64:
        n = fn_format_double(buf, tx_f64(v, i));
        break;
    case COL_DECIMAL:
        n = dec_format(buf, fn_dec_get(v, i), v->type->scale);
        break;
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64:
        n = snprintf(buf, sizeof buf, "%lld", (long long)fn_int_get(v, i));
        break;
    default: { /* strings (other types were cast to string by bind) */
        const col_str *s = tx_str(v, i);
        kiln_buf_append(o, col_str_data(s), s->len);
        return;
    }
    }
    kiln_buf_append(o, buf, (size_t)n);
}

static int bad_conversion(fn_ctx *c, char conv, const col_type *t)
{
    const char *java = t->kind == COL_F64       ? "java.lang.Double"
                       : t->kind == COL_F32     ? "java.lang.Float"
                       : t->kind == COL_DECIMAL ? "org.apache.spark.sql.types.Decimal"
                       : t->kind == COL_STRING  ? "org.apache.spark.unsafe.types.UTF8String"
                       : t->kind == COL_BOOL    ? "java.lang.Boolean"
                                                : "java.lang.Long";
    return fn_error(c, "ILLEGAL_FORMAT_CONVERSION", "22023",
                    "java.util.IllegalFormatConversionException: %c != %s", conv, java);
}

/* Formats one argument by spec f into o. */
static int format_one(fn_ctx *c, kiln_buf *o, const fmt_spec *f, const col_vec *v, uint32_t i)
{
    char conv = f->conv, lc = (char)(conv | 0x20);
    bool upper = conv >= 'A' && conv <= 'Z';
    bool null = !v || !col_valid(v, i);
    kiln_buf t;
    kiln_buf_init(&t);
    int rc = KILN_OK;
    if (lc == 'b') {
        bool x = !null && (v->type->kind != COL_BOOL || tx_bool(v, i));
        kiln_buf_append(&t, x ? "true" : "false", x ? 4 : 5);
    } else if (null) {
        kiln_buf_append(&t, "null", 4);
    } else if (lc == 's') {
        put_text(&t, v, i);
    } else if (lc == 'd' || lc == 'x' || lc == 'o' || lc == 'c') {
        if (!col_type_is_integral(v->type)) {
            kiln_buf_release(&t);
            return bad_conversion(c, conv, v->type);
        }
        int64_t x = fn_int_get(v, i);
        char buf[80];
        if (lc == 'd') {
            snprintf(buf, sizeof buf, "%llu",
                     (unsigned long long)(x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x));
            put_number(o, f, x < 0, buf);
            kiln_buf_release(&t);
            return KILN_OK;
        }
        if (lc == 'c') {
            char u[8];
            int n = x >= 0 && x <= 0x10FFFF ? tx_encode(u, (uint32_t)x) : 0;
            kiln_buf_append(&t, u, (size_t)n);
        } else {
            /* Negative values in two's complement of the argument's width. */
            int bits = (int)col_type_width(v->type) * 8;
            uint64_t u = bits == 64 ? (uint64_t)x : (uint64_t)x & ((UINT64_C(1) << bits) - 1);
            int n = snprintf(buf, sizeof buf, "%s%llo", f->alt ? "0" : "", (unsigned long long)u);
            if (lc == 'x')
                n = snprintf(buf, sizeof buf, "%s%llx", f->alt ? "0x" : "", (unsigned long long)u);
            kiln_buf_append(&t, buf, (size_t)n);
        }
    } else if (lc == 'f' || lc == 'e' || lc == 'g') {
        double x;
        if (v->type->kind == COL_F64) x = tx_f64(v, i);
        else if (v->type->kind == COL_F32) x = COL_DATA(v, float)[col_row(v, i)];
        else if (v->type->kind == COL_DECIMAL) x = fn_num_get_f64(v, i);
        else {
            kiln_buf_release(&t);
            return bad_conversion(c, conv, v->type);
        }
        if (isnan(x) || isinf(x)) {
            const char *s = isnan(x) ? "NaN" : x < 0 ? "-Infinity" : "Infinity";
            if (!isnan(x) && x > 0 && f->plus) s = "+Infinity";
            fmt_spec g = *f;
            g.zero = false;
            put_padded(o, &g, s, strlen(s), 0);
            kiln_buf_release(&t);
            return KILN_OK;
        }
        int prec = f->prec >= 0 ? f->prec : 6;
        kiln_buf m;
        kiln_buf_init(&m);
        double a = fabs(x);
        if (lc == 'f') {
            java_fixed(&m, a, prec);
        } else if (lc == 'e') {
            java_sci(&m, a, prec, upper);
        } else {
            /* %g: fixed when 10^-4 <= rounded value < 10^prec, else scientific. */
            if (prec == 0) prec = 1;
            kiln_buf sci;
            kiln_buf_init(&sci);
            java_sci(&sci, a, prec - 1, upper);
            kiln_buf_append(&sci, "", 1);
            const char *e = strchr((const char *)sci.data, upper ? 'E' : 'e');
            int ex = e ? atoi(e + 1) : 0;
            if (a != 0 && (ex < -4 || ex >= prec)) kiln_buf_append(&m, sci.data, sci.len - 1);
            else java_fixed(&m, a, prec - 1 - (a == 0 ? 0 : ex));
            kiln_buf_release(&sci);
        }
        kiln_buf_append(&m, "", 1);
        fmt_spec g = *f;
        if (lc != 'f') g.group = g.group && lc == 'g';
        put_number(o, &g, signbit(x) && x != 0, (const char *)m.data);
        kiln_buf_release(&m);
        kiln_buf_release(&t);
        return KILN_OK;
    } else {
        rc = fn_error(c, "UNKNOWN_FORMAT_CONVERSION", "22023",
                      "java.util.UnknownFormatConversionException: Conversion = '%c'", conv);
    }
    if (!rc) {
        /* Precision truncates %s / %b; upper case for the capital forms. */
        size_t len = t.len;
        if (f->prec >= 0 && (lc == 's' || lc == 'b')) {
            const char *p = (const char *)t.data, *end = p + len;
            size_t cut = p ? tx_char_off(p, len, (size_t)f->prec) : 0;
            len = p && cut < (size_t)(end - p) ? cut : len;
        }
        if (upper)
            for (size_t k = 0; k < len; k++) {
                char *ch = (char *)t.data + k;
                if (*ch >= 'a' && *ch <= 'z') *ch = (char)(*ch - 32);
            }
        fmt_spec g = *f;
        g.zero = false;
        put_padded(o, &g, t.data ? (const char *)t.data : "", len, 0);
    }
    kiln_buf_release(&t);
    return rc;
}

/* Java's Formatter over one row: fmt with args[1..nargs). */
static int format_row(fn_ctx *c, kiln_buf *o, const char *p, size_t n, const col_vec *args,
                      int nargs, uint32_t i)
{
    int ordinary = 0, last = -1;
    for (size_t k = 0; k < n;) {
        if (p[k] != '%') {
            kiln_buf_append(o, p + k, 1);
            k++;
            continue;
        }
        size_t start = k++;
        fmt_spec f = {.width = -1, .prec = -1};
        int index = 0; /* explicit argument index, 0: none, -1: previous (<) */
        size_t save = k;
        int num = 0;
        while (k < n && p[k] >= '0' && p[k] <= '9') num = num * 10 + (p[k++] - '0');
        if (k < n && p[k] == '$' && k > save) {
            index = num;
            k++;
        } else {
            k = save;
        }
        for (; k < n; k++) {
            char ch = p[k];
            if (ch == '-') f.left = true;
            else if (ch == '#') f.alt = true;
            else if (ch == '+') f.plus = true;
            else if (ch == ' ') f.space = true;
            else if (ch == '0') f.zero = true;
            else if (ch == ',') f.group = true;
            else if (ch == '(') f.paren = true;
            else if (ch == '<') index = -1;
            else break;
        }
        if (k < n && p[k] >= '1' && p[k] <= '9') {
            f.width = 0;
            while (k < n && p[k] >= '0' && p[k] <= '9') f.width = f.width * 10 + (p[k++] - '0');
        }
        if (k < n && p[k] == '.') {
            k++;
            f.prec = 0;
            while (k < n && p[k] >= '0' && p[k] <= '9') f.prec = f.prec * 10 + (p[k++] - '0');
        }
        if (k >= n)
            return fn_error(c, "UNKNOWN_FORMAT_CONVERSION", "22023",
                            "java.util.UnknownFormatConversionException: Conversion = '%%'");
        f.conv = p[k++];
        if (f.conv == '%') {
            fmt_spec g = f;
            g.zero = false;
            put_padded(o, &g, "%", 1, 0);
            continue;
        }
        if (f.conv == 'n') {
            kiln_buf_append(o, "\n", 1);
            continue;
        }
        int at = index > 0 ? index : index < 0 ? last : ++ordinary;
        if (at < 1 || at >= nargs)
            return fn_error(c, "MISSING_FORMAT_ARGUMENT", "22023",
                            "java.util.MissingFormatArgumentException: Format specifier '%.*s'",
                            (int)(k - start), p + start);
        last = at;
        int rc = format_one(c, o, &f, &args[at], i);
        if (rc) return rc;
    }
    return KILN_OK;
}

static int k_format_string(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    kiln_buf o;
    kiln_buf_init(&o);
    int rc = KILN_OK;
    TX_ROWS(i)
    {
        if (!col_valid(&args[0], i)) {
            col_set_null(out, i);
            continue;
        }
        const col_str *f = tx_str(&args[0], i);
        o.len = 0;
        if ((rc = format_row(c, &o, col_str_data(f), f->len, args, nargs, i))) break;
        if ((rc = fn_put_str(c, out, i, o.len ? (const char *)o.data : "", o.len))) break;
    }
    kiln_buf_release(&o);
    return rc;
}

/* format_string(fmt, args...) / printf: Java's String.format over Spark's
 * values; a null format gives null. Arguments of types other than numbers,
 * booleans and strings are formatted as their string casts. */
static int bind_format_string(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (rc) return rc;
    for (int k = 1; k < b->nargs; k++) {
        const col_type *t = b->args[k];
        if (col_type_is_numeric(t) || t->kind == COL_BOOL || t->kind == COL_STRING) continue;
        b->want[k] = &col_type_string;
    }
    b->result = &col_type_string;
    b->kernel = k_format_string;
    b->nullable = true;
    return KILN_OK;
}

/* ---- base64 / unbase64 -------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int k_base64(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out w = {c->arena, NULL, 0};
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const unsigned char *p = (const unsigned char *)col_str_data(s);
        size_t n = s->len, m = (n + 2) / 3 * 4;
        char *q = tx_reserve(&w, m + 1);
        if (!q) return oom();
        size_t j = 0;
        for (size_t k = 0; k < n; k += 3) {
            uint32_t v = (uint32_t)p[k] << 16;
            if (k + 1 < n) v |= (uint32_t)p[k + 1] << 8;
            if (k + 2 < n) v |= p[k + 2];
            q[j++] = b64[v >> 18 & 63];
            q[j++] = b64[v >> 12 & 63];
            q[j++] = k + 1 < n ? b64[v >> 6 & 63] : '=';
            q[j++] = k + 2 < n ? b64[v & 63] : '=';
        }
        COL_DATA(out, col_str)[i] = tx_commit(&w, q, m);
    }
    return KILN_OK;
}

static int k_unbase64(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    static signed char dec[256];
    static bool init;
    if (!init) {
        memset(dec, -1, sizeof dec);
        for (int k = 0; k < 64; k++) dec[(unsigned char)b64[k]] = (signed char)k;
        init = true;
    }
    tx_out w = {c->arena, NULL, 0};
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const unsigned char *p = (const unsigned char *)col_str_data(s);
        size_t n = s->len;
        char *q = tx_reserve(&w, n / 4 * 3 + 3);
        if (!q) return oom();
        size_t j = 0;
        uint32_t acc = 0;
        int bits = 0;
        /* The MIME decoder: characters outside the alphabet are skipped,
         * decoding stops at the first '='. */
        for (size_t k = 0; k < n && p[k] != '='; k++) {
            if (dec[p[k]] < 0) continue;
            acc = acc << 6 | (uint32_t)dec[p[k]];
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                q[j++] = (char)(acc >> bits & 0xff);
            }
        }
        COL_DATA(out, col_str)[i] = tx_commit(&w, q, j);
    }
    return KILN_OK;
}

static int bind_base64(fn_bind *b)
{
    const col_type *t = b->args[0];
    if (t->kind != COL_BINARY && t->kind != COL_STRING && t->kind != COL_NULL)
        return type_err(b, 0, "BINARY");
    if (t->kind == COL_NULL) b->want[0] = &col_type_binary;
    b->result = &col_type_string;
    b->kernel = k_base64;
    return KILN_OK;
}

static int bind_unbase64(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (rc) return rc;
    b->result = &col_type_binary;
    b->kernel = k_unbase64;
    return KILN_OK;
}

/* ---- levenshtein / soundex ---------------------------------------------------------- */

/* Code points of s[0..n) into cp (room for n); returns how many. */
static size_t code_points(const char *s, size_t n, uint32_t *cp)
{
    size_t m = 0;
    for (size_t k = 0; k < n;) {
        size_t len;
        cp[m++] = tx_decode(s + k, s + n, &len);
        k += len ? len : 1;
    }
    return m;
}

static int k_levenshtein(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    uint32_t *buf = NULL, *row = NULL;
    size_t cap = 0;
    int rc = KILN_OK;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *x = tx_str(&args[0], i), *y = tx_str(&args[1], i);
        size_t need = (size_t)x->len + y->len + y->len + 3;
        if (need > cap) {
            free(buf);
            cap = need * 2;
            if (!(buf = malloc(cap * sizeof *buf))) {
                rc = oom();
                break;
            }
        }
        uint32_t *a = buf;
        size_t na = code_points(col_str_data(x), x->len, a);
        uint32_t *b = a + na;
        size_t nb = code_points(col_str_data(y), y->len, b);
        row = b + nb;
        for (size_t k = 0; k <= nb; k++) row[k] = (uint32_t)k;
        for (size_t p = 1; p <= na; p++) {
            uint32_t diag = row[0];
            row[0] = (uint32_t)p;
            for (size_t q = 1; q <= nb; q++) {
                uint32_t up = row[q];
                uint32_t best = diag + (a[p - 1] != b[q - 1]);
                if (up + 1 < best) best = up + 1;
                if (row[q - 1] + 1 < best) best = row[q - 1] + 1;
                row[q] = best;
                diag = up;
            }
        }
        int32_t d = (int32_t)row[nb];
        if (nargs > 2 && d > tx_i32(&args[2], i)) d = -1;
        COL_DATA(out, int32_t)[i] = d;
    }
    free(buf);
    return rc;
}

/* levenshtein(a, b [, threshold]): the edit distance in characters; -1
 * when it exceeds the threshold. */
static int bind_levenshtein(fn_bind *b)
{
    for (int k = 0; k < 2; k++) {
        int rc = want_str(b, k);
        if (rc) return rc;
    }
    if (b->nargs > 2) {
        if (!col_type_is_integral(b->args[2]) && b->args[2]->kind != COL_NULL)
            return type_err(b, 2, "INT");
        b->want[2] = &col_type_i32;
    }
    b->result = &col_type_i32;
    b->kernel = k_levenshtein;
    return KILN_OK;
}

static int k_soundex(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    /* American Soundex codes of A..Z; 7 (H, W) is skipped without
     * separating equal codes, a vowel (0) separates them. */
    static const char map[] = "01230127022455012623017202";
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const char *p = col_str_data(s);
        char ch = s->len ? p[0] : 0;
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        if (ch < 'A' || ch > 'Z') { /* empty or not starting with a letter: as it is */
            COL_DATA(out, col_str)[i] = *s;
            continue;
        }
        char sx[4] = {ch, '0', '0', '0'};
        int at = 1;
        char lastc = map[ch - 'A'];
        for (uint32_t k = 1; k < s->len && at < 4; k++) {
            char b = p[k];
            if (b >= 'a' && b <= 'z') b = (char)(b - 32);
            if (b < 'A' || b > 'Z') {
                lastc = '0';
                continue;
            }
            char code = map[b - 'A'];
            if (code == '7') continue;
            if (code != '0' && code != lastc) sx[at++] = code;
            lastc = code;
        }
        int rc = fn_put_str(c, out, i, sx, 4);
        if (rc) return rc;
    }
    return KILN_OK;
}

static int bind_soundex(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_soundex;
    return KILN_OK;
}

/* ---- make_timestamp ----------------------------------------------------------------- */

typedef struct mkts_state {
    bool fail; /* ANSI make_timestamp: bad fields are errors, else null */
    const char *tz;
} mkts_state;

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int field_error(fn_ctx *c, const char *what, const char *range, long long v)
{
    return fn_error(c, "DATETIME_FIELD_OUT_OF_BOUNDS", "22023",
                    "Invalid value for %s (valid values %s): %lld. If necessary set "
                    "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error.",
                    what, range, v);
}

static int k_make_timestamp(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const mkts_state *st = state;
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int64_t y = tx_i32(&args[0], i), mo = tx_i32(&args[1], i), d = tx_i32(&args[2], i);
        int64_t h = tx_i32(&args[3], i), mi = tx_i32(&args[4], i);
        int64_t us = (int64_t)fn_dec_get(&args[5], i); /* decimal(16,6): microseconds */
        /* A bad field: an error (ANSI make_timestamp) or null. */
#define BAD(call)                                                                                  \
    {                                                                                              \
        if (st->fail) return call;                                                                 \
        col_set_null(out, i);                                                                      \
        continue;                                                                                  \
    }
        if (mo < 1 || mo > 12) BAD(field_error(c, "MonthOfYear", "1 - 12", mo))
        if (d < 1 || d > 31) BAD(field_error(c, "DayOfMonth", "1 - 28/31", d))
        if (d > dim[mo - 1] + (mo == 2 && leap(y)))
            BAD(fn_error(c, "DATETIME_FIELD_OUT_OF_BOUNDS", "22023",
                         "Invalid date '%lld-%02lld-%02lld'. If necessary set "
                         "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error.",
                         (long long)y, (long long)mo, (long long)d))
        if (h < 0 || h > 23) BAD(field_error(c, "HourOfDay", "0 - 23", h))
        if (mi < 0 || mi > 59) BAD(field_error(c, "MinuteOfHour", "0 - 59", mi))
        if (us < 0 || us >= 61000000) BAD(field_error(c, "SecondOfMinute", "0 - 59", us / 1000000))
        if (us > 60000000) /* 60 rolls into the next minute only without a fraction */
            BAD(fn_error(c, "INVALID_FRACTION_OF_SECOND", "22023",
                         "Valid range for seconds is [0, 60] (inclusive), but the provided "
                         "value is %lld.%06lld. To avoid this error, use `try_make_timestamp`, "
                         "which returns NULL on error.",
                         (long long)(us / 1000000), (long long)(us % 1000000)))
        if (y < -290000 || y > 290000) BAD(field_error(c, "Year", "-290000 - 290000", y))
#undef BAD
        const char *tz = st->tz;
        char zone[128];
        if (nargs > 6) {
            const col_str *z = tx_str(&args[6], i);
            snprintf(zone, sizeof zone, "%.*s", (int)(z->len < 127 ? z->len : 127),
                     col_str_data(z));
            if (!fn_tz_valid(zone)) {
                if (!st->fail) {
                    col_set_null(out, i);
                    continue;
                }
                return fn_error(c, "INVALID_TIMEZONE", "22009",
                                "The timezone: %s is invalid. The timezone must be either a "
                                "region-based zone ID or a zone offset.",
                                zone);
            }
            tz = zone;
        }
        int64_t local = fn_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000000LL +
                        h * 3600000000LL + mi * 60000000LL + us;
        COL_DATA(out, int64_t)[i] = fn_tz_local_to_utc(tz, local);
    }
    return KILN_OK;
}

static int bind_make_timestamp_as(fn_bind *b, bool try_)
{
    const col_type *sec = col_type_decimal(b->arena, 16, 6);
    if (!sec) return oom();
    for (int k = 0; k < b->nargs; k++) {
        const col_type *t = b->args[k];
        bool ok = k < 6 ? col_type_is_numeric(t) || t->kind == COL_NULL || t->kind == COL_STRING
                        : tx_castable_to_string(t);
        if (!ok) return type_err(b, k, k < 5 ? "INT" : k == 5 ? "DECIMAL(16,6)" : "STRING");
        b->want[k] = k < 5 ? &col_type_i32 : k == 5 ? sec : &col_type_string;
    }
    mkts_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return oom();
    st->fail = b->ansi && !try_;
    st->tz = b->tz ? b->tz : "UTC";
    b->state = st;
    b->result = &col_type_timestamp;
    b->kernel = k_make_timestamp;
    b->nullable = true;
    return KILN_OK;
}

/* make_timestamp(year, month, day, hour, min, sec [, timezone]): the
 * instant of that wall time in the zone (the session's by default); sec
 * is decimal(16,6), 60 (with no fraction) rolls into the next minute. */
static int bind_make_timestamp(fn_bind *b)
{
    return bind_make_timestamp_as(b, false);
}
static int bind_try_make_timestamp(fn_bind *b)
{
    return bind_make_timestamp_as(b, true);
}

#define NN FN_NULL_IN_NULL_OUT
const fn_def fn_defs_extra[] = {
    {"typeof", 1, 1, 0, bind_typeof},
    {"format_number", 2, 2, NN, bind_format_number},
    {"format_string", 1, -1, 0, bind_format_string},
    {"printf", 1, -1, 0, bind_format_string},
    {"base64", 1, 1, NN, bind_base64},
    {"unbase64", 1, 1, NN, bind_unbase64},
    {"levenshtein", 2, 3, NN, bind_levenshtein},
    {"soundex", 1, 1, NN, bind_soundex},
    {"make_timestamp", 6, 7, NN, bind_make_timestamp},
    {"try_make_timestamp", 6, 7, NN, bind_try_make_timestamp},
    {NULL, 0, 0, 0, NULL},
};
