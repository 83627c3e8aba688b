/*
 * datasource/csv_infer.c - CSV schema inference as Spark's CSVInferSchema
 * does it: the column names from the header (or _c0, _c1, ...; empty and
 * duplicate names made safe), the column count from the first record, and
 * each field typed by the first of int, bigint, decimal (integers beyond
 * bigint), double, date (preferDate, yyyy-MM-dd), timestamp, boolean that
 * parses it, else string; types merged across records (int+bigint ->
 * bigint, integral+double -> double, date+timestamp -> timestamp, other
 * conflicts -> string); columns that are always null are strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasource/csv_int.h"

/* Inference types: the order is the chain. */
enum { T_NULL, T_INT, T_LONG, T_DEC, T_DOUBLE, T_DATE, T_TS, T_BOOL, T_STRING };

typedef struct itype {
    int t;
    int prec; /* T_DEC */
} itype;

static itype infer_field(const csv_opts *c, const char *p, size_t n)
{
    itype r = {T_STRING, 0};
    int64_t x;
    if (ds_parse_i64(p, n, &x)) {
        r.t = x >= INT32_MIN && x <= INT32_MAX ? T_INT : T_LONG;
        return r;
    }
    int d = ds_integer_digits(p, n);
    if (d > 0 && d <= 38) {
        r.t = T_DEC;
        r.prec = d;
        return r;
    }
    double f;
    if (ds_parse_f64(p, n, &f) || (strlen(c->nan_value) == n && !memcmp(p, c->nan_value, n)) ||
        (strlen(c->pos_inf) == n && !memcmp(p, c->pos_inf, n)) ||
        (strlen(c->neg_inf) == n && !memcmp(p, c->neg_inf, n))) {
        r.t = T_DOUBLE;
        return r;
    }
    int32_t days;
    if (c->prefer_date && ds_parse_date(p, n, true, &days)) {
        r.t = T_DATE;
        return r;
    }
    int64_t us;
    if (ds_parse_timestamp(p, n, false, c->tz_sec, &us)) {
        r.t = T_TS;
        return r;
    }
    bool b;
    if (ds_parse_bool(p, n, &b)) r.t = T_BOOL;
    return r;
}

static itype merge(itype a, itype b)
{
    if (a.t == b.t) {
        if (a.t == T_DEC) {
            a.prec = a.prec > b.prec ? a.prec : b.prec;
        }
        return a;
    }
    if (a.t == T_NULL) return b;
    if (b.t == T_NULL) return a;
    if (a.t > b.t) {
        itype t = a;
        a = b;
        b = t;
    }
    /* Now a.t < b.t. */
    if (a.t == T_INT && b.t == T_LONG) return b;
    if ((a.t == T_INT || a.t == T_LONG) && b.t == T_DEC) {
        int need = a.t == T_INT ? 10 : 20;
        b.prec = b.prec > need ? b.prec : need;
        if (b.prec > 38) b.t = T_DOUBLE;
        return b;
    }
    if (a.t <= T_DEC && b.t == T_DOUBLE) return b;
    if (a.t == T_DATE && b.t == T_TS) return b;
    itype s = {T_STRING, 0};
    return s;
}

static const col_type *to_type(kiln_arena *a, itype t)
{
    switch (t.t) {
    case T_INT:
        return &col_type_i32;
    case T_LONG:
        return &col_type_i64;
    case T_DEC:
        return col_type_decimal(a, t.prec, 0);
    case T_DOUBLE:
        return &col_type_f64;
    case T_DATE:
        return &col_type_date;
    case T_TS:
        return &col_type_timestamp;
    case T_BOOL:
        return &col_type_bool;
    default:
        return &col_type_string;
    }
}

/* The text of field i of r at window w (null: false), unescaped into tmp. */
static bool field_text(const csv_opts *c, const char *w, const csv_field *f, kiln_buf *tmp,
                       const char **p, size_t *n)
{
    const char *s = w + f->off;
    size_t len = f->len;
    if (f->flags & CSV_F_RAW) {
        tmp->len = 0;
        if (csv_unescape(c, s, len, tmp) || kiln_buf_append(tmp, "", 1)) return false;
        s = (const char *)tmp->data;
        len = tmp->len - 1;
    }
    if (len == 0 && !(f->flags & CSV_F_QUOTED)) return false;
    if (len == 0) {
        s = c->empty_value;
        len = strlen(s);
    }
    if (len == c->null_len && memcmp(s, c->null_value, len) == 0) return false;
    *p = s;
    *n = len;
    return true;
}

static char *dup_n(kiln_arena *a, const char *p, size_t n)
{
    char *s = kiln_arena_alloc(a, n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Infers the schema of splits s[0..n) (see ds_infer_schema). */
int ds_csv_infer(const ds_split *s, int n, const ds_options *o, kiln_arena *a, col_schema *out)
{
    csv_opts c;
    int rc = csv_opts_parse(&c, o, false);
    if (rc) return rc;
    bool header = c.header;
    c.header = false;
    csv_rec rec = {0};
    kiln_buf tmp;
    kiln_buf_init(&tmp);
    int ncols = -1;
    char **names = NULL;
    itype *types = NULL;
    rng g;
    rng_seed(&g, 1);
    /* Without inferSchema only the first record matters (its field count
     * and, with a header, the names), as Spark reads just the first line. */
    for (int i = 0; i < n && rc == KILN_OK && (c.infer || ncols < 0); i++) {
        csv_cursor k;
        if ((rc = csv_cursor_open(&k, &c, &s[i]))) break;
        bool first_of_file = s[i].start == 0 || s[i].len < 0;
        size_t at;
        int got;
        while ((got = csv_cursor_next(&k, &rec, true, &at)) == 1) {
            const char *w = k.in.buf + at;
            if (ncols < 0) {
                ncols = rec.n;
                names = calloc((size_t)ncols + 1, sizeof *names);
                types = calloc((size_t)ncols + 1, sizeof *types);
                if (!names || !types) {
                    rc = kiln_set_error(KILN_ENOMEM, "out of memory inferring a CSV schema");
                    break;
                }
                for (int j = 0; j < ncols && header; j++) {
                    const char *p;
                    size_t len;
                    if (field_text(&c, w, &rec.f[j], &tmp, &p, &len)) names[j] = dup_n(a, p, len);
                }
                if (!c.infer) break;
                if (header) {
                    first_of_file = false;
                    continue;
                }
            }
            if (first_of_file && header) {
                first_of_file = false;
                continue;
            }
            first_of_file = false;
            if (c.sampling < 1 && rng_double(&g) >= c.sampling) continue;
            for (int j = 0; j < ncols && j < rec.n; j++) {
                const char *p;
                size_t len;
                if (!field_text(&c, w, &rec.f[j], &tmp, &p, &len)) continue;
                if (types[j].t == T_STRING) continue;
                types[j] = merge(types[j], infer_field(&c, p, len));
            }
        }
        if (got < 0 && rc == KILN_OK) rc = got;
        csv_cursor_close(&k);
    }
    if (rc == KILN_OK && ncols > 0) {
        col_field *f = kiln_arena_alloc(a, (size_t)ncols * sizeof *f);
        if (!f) rc = KILN_ENOMEM;
        for (int j = 0; f && j < ncols; j++) {
            char def[32];
            snprintf(def, sizeof def, "_c%d", j);
            const char *nm = names[j] ? names[j] : dup_n(a, def, strlen(def));
            bool dup = false;
            for (int k2 = 0; names[j] && k2 < ncols; k2++)
                if (k2 != j && names[k2] && strcasecmp(names[k2], names[j]) == 0) dup = true;
            if (dup) {
                char *d = kiln_arena_alloc(a, strlen(names[j]) + 16);
                if (d) sprintf(d, "%s%d", names[j], j);
                nm = d;
            }
            f[j].name = nm;
            f[j].type = c.infer ? to_type(a, types[j]) : &col_type_string;
            f[j].nullable = true;
            if (!nm || !f[j].type) rc = KILN_ENOMEM;
        }
        out->n = ncols;
        out->fields = f;
    }
    free(names);
    free(types);
    csv_rec_release(&rec);
    kiln_buf_release(&tmp);
    return rc;
}
