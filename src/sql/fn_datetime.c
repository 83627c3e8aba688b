/*
 * sql/fn_datetime.c - SQL's date and time functions (fn_defs_datetime):
 * parsing and formatting with Spark's patterns, fields (year .. second,
 * extract), date arithmetic, truncation, unix times, zone conversions,
 * current_* and tumbling windows. Timestamps are shown in the session time
 * zone (fn_bind.tz, resolved at bind); patterns that are constants are
 * compiled at bind, others once per distinct pattern in a kernel call.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "sql/datetime_format.h"
#include "sql/fn_text_int.h"

#define DEFAULT_FMT "yyyy-MM-dd HH:mm:ss"

typedef struct dt_state {
    const dt_zone *zone;    /* session zone */
    const dtf_pattern *pat; /* constant pattern, or NULL */
    int field;              /* F_* or trunc level */
    int fmt_arg;            /* index of the pattern argument, -1: none */
    bool try_;              /* try_*: null instead of errors */
    bool ansi;
    const char *fname;
    int64_t w_dur, w_start; /* window */
} dt_state;

static dt_state *new_state(fn_bind *b, const char *fname)
{
    dt_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return NULL;
    memset(st, 0, sizeof *st);
    const char *tz = b->tz ? b->tz : "UTC";
    st->zone = dt_zone_get(tz, strlen(tz));
    if (!st->zone) st->zone = dt_zone_utc();
    st->fmt_arg = -1;
    st->ansi = b->ansi;
    st->fname = fname;
    b->state = st;
    return st;
}

/* Argument k as a date / timestamp: dates, timestamps and ntz are taken as
 * they are; strings are cast to dflt. */
static int want_dt(fn_bind *b, int k, const col_type *dflt)
{
    const col_type *t = b->args[k];
    switch (t->kind) {
    case COL_DATE:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        return KILN_OK;
    case COL_STRING:
    case COL_NULL:
        b->want[k] = dflt;
        return KILN_OK;
    default:
        return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", k,
                           "The parameter requires the \"%s\" type.",
                           dflt == &col_type_date ? "DATE" : "TIMESTAMP");
    }
}

static int want_type(fn_bind *b, int k, const col_type *t)
{
    const col_type *a = b->args[k];
    if (a->kind == t->kind) return KILN_OK;
    if (a->kind == COL_ARRAY || a->kind == COL_MAP || a->kind == COL_STRUCT)
        return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", k,
                           "The parameter has the wrong type.");
    b->want[k] = t;
    return KILN_OK;
}

/* Local microseconds (wall clock) of row i of a date/timestamp vector. */
static inline int64_t local_us(const col_vec *v, uint32_t i, const dt_zone *z)
{
    switch (v->type->kind) {
    case COL_DATE:
        return (int64_t)COL_DATA(v, int32_t)[col_row(v, i)] * DT_US_PER_DAY;
    case COL_TIMESTAMP:
        return dt_zone_to_local(z, tx_i64(v, i));
    default:
        return tx_i64(v, i);
    }
}

/* UTC microseconds of row i (dates at local midnight; ntz as local). */
static inline int64_t utc_us(const col_vec *v, uint32_t i, const dt_zone *z)
{
    switch (v->type->kind) {
    case COL_DATE:
        return dt_zone_to_utc(z, (int64_t)COL_DATA(v, int32_t)[col_row(v, i)] * DT_US_PER_DAY);
    case COL_TIMESTAMP_NTZ:
        return dt_zone_to_utc(z, tx_i64(v, i));
    default:
        return tx_i64(v, i);
    }
}

/* ---- Fields --------------------------------------------------------------------------------- */

enum {
    F_YEAR,
    F_QUARTER,
    F_MONTH,
    F_DAY,
    F_DOW,
    F_WEEKDAY,
    F_DOY,
    F_WEEK,
    F_HOUR,
    F_MINUTE,
    F_SECOND,
    F_DOW_ISO,
    F_SECOND_FRAC,
    F_YEAROFWEEK,
};

static int k_field(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    const col_vec *v = &args[nargs - 1];
    int32_t *res = COL_DATA(out, int32_t);
    int64_t *res64 = COL_DATA(out, int64_t);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        dt_fields f;
        int64_t lus = local_us(v, i, st->zone);
        dt_fields_from_us(lus, &f);
        int64_t days = dt_floordiv(lus, DT_US_PER_DAY);
        int32_t r = 0;
        switch (st->field) {
        case F_YEAR:
            r = (int32_t)f.year;
            break;
        case F_QUARTER:
            r = (f.month - 1) / 3 + 1;
            break;
        case F_MONTH:
            r = f.month;
            break;
        case F_DAY:
            r = f.day;
            break;
        case F_DOW:
            r = f.dow % 7 + 1;
            break;
        case F_WEEKDAY:
            r = f.dow - 1;
            break;
        case F_DOW_ISO:
            r = f.dow;
            break;
        case F_DOY:
            r = f.doy;
            break;
        case F_WEEK:
            r = dt_iso_week(days);
            break;
        case F_YEAROFWEEK: {
            int64_t y;
            int m, d;
            dt_civil_from_days(days - (f.dow - 1) + 3, &y, &m, &d);
            r = (int32_t)y;
            break;
        }
        case F_HOUR:
            r = f.hour;
            break;
        case F_MINUTE:
            r = f.minute;
            break;
        case F_SECOND:
            r = f.second;
            break;
        case F_SECOND_FRAC:
            res64[i] = (int64_t)f.second * 1000000 + f.micros;
            continue;
        }
        res[i] = r;
    }
    return KILN_OK;
}

static int bind_field_k(fn_bind *b, int field, int arg)
{
    bool time = field == F_HOUR || field == F_MINUTE || field == F_SECOND || field == F_SECOND_FRAC;
    int rc = want_dt(b, arg, time ? &col_type_timestamp : &col_type_date);
    if (rc) return rc;
    dt_state *st = new_state(b, "extract");
    if (!st) return KILN_ENOMEM;
    st->field = field;
    b->result = &col_type_i32;
    if (field == F_SECOND_FRAC && !(b->result = col_type_decimal(b->arena, 8, 6)))
        return KILN_ENOMEM;
    b->kernel = k_field;
    return KILN_OK;
}

#define FIELD_BIND(name, f)                                                                        \
    static int bind_##name(fn_bind *b)                                                             \
    {                                                                                              \
        return bind_field_k(b, f, 0);                                                              \
    }
FIELD_BIND(year, F_YEAR)
FIELD_BIND(quarter, F_QUARTER)
FIELD_BIND(month, F_MONTH)
FIELD_BIND(day, F_DAY)
FIELD_BIND(dayofweek, F_DOW)
FIELD_BIND(weekday, F_WEEKDAY)
FIELD_BIND(dayofyear, F_DOY)
FIELD_BIND(weekofyear, F_WEEK)
FIELD_BIND(hour, F_HOUR)
FIELD_BIND(minute, F_MINUTE)
FIELD_BIND(second, F_SECOND)

static const struct {
    const char *name;
    int field;
} extract_fields[] = {
    {"YEAR", F_YEAR},
    {"Y", F_YEAR},
    {"YEARS", F_YEAR},
    {"YR", F_YEAR},
    {"YRS", F_YEAR},
    {"YEAROFWEEK", F_YEAROFWEEK},
    {"QUARTER", F_QUARTER},
    {"QTR", F_QUARTER},
    {"MONTH", F_MONTH},
    {"MON", F_MONTH},
    {"MONS", F_MONTH},
    {"MONTHS", F_MONTH},
    {"WEEK", F_WEEK},
    {"W", F_WEEK},
    {"WEEKS", F_WEEK},
    {"DAY", F_DAY},
    {"D", F_DAY},
    {"DAYS", F_DAY},
    {"DAYOFWEEK", F_DOW},
    {"DOW", F_DOW},
    {"DAYOFWEEK_ISO", F_DOW_ISO},
    {"DOW_ISO", F_DOW_ISO},
    {"DOY", F_DOY},
    {"HOUR", F_HOUR},
    {"H", F_HOUR},
    {"HOURS", F_HOUR},
    {"HR", F_HOUR},
    {"HRS", F_HOUR},
    {"MINUTE", F_MINUTE},
    {"M", F_MINUTE},
    {"MIN", F_MINUTE},
    {"MINS", F_MINUTE},
    {"MINUTES", F_MINUTE},
    {"SECOND", F_SECOND_FRAC},
    {"S", F_SECOND_FRAC},
    {"SEC", F_SECOND_FRAC},
    {"SECONDS", F_SECOND_FRAC},
    {"SECS", F_SECOND_FRAC},
};

/* extract(field FROM x) / date_part('field', x): the field is a constant. */
static int bind_extract(fn_bind *b)
{
    bool null;
    const col_str *f = tx_const_str(b, 0, &null);
    if (!f)
        return tx_bind_err(b, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT", 0,
                           "The field of extract / date_part must be a constant string.");
    for (size_t k = 0; k < sizeof extract_fields / sizeof extract_fields[0]; k++)
        if (strlen(extract_fields[k].name) == f->len &&
            strncasecmp(extract_fields[k].name, col_str_data(f), f->len) == 0)
            return bind_field_k(b, extract_fields[k].field, 1);
    return tx_bind_err(b, "INVALID_EXTRACT_FIELD", 0, "Cannot extract %.*s from %s.", (int)f->len,
                       col_str_data(f), b->args[1]->kind == COL_DATE ? "DATE" : "TIMESTAMP");
}

/* ---- Parsing -------------------------------------------------------------------------------- */

enum { P_DATE, P_TS, P_NTZ, P_UNIX };

/* The pattern for row i (constant, or compiled for this call when it
 * changed); NULL pattern means Spark's cast rules. Returns KILN_OK or an
 * error. */
static int row_pattern(fn_ctx *c, const dt_state *st, const col_vec *args, int nargs, uint32_t i,
                       const col_str **last, const dtf_pattern **cur)
{
    if (st->fmt_arg < 0 || st->fmt_arg >= nargs) {
        *cur = st->pat;
        return KILN_OK;
    }
    if (st->pat) {
        *cur = st->pat;
        return KILN_OK;
    }
    const col_str *ps = tx_str(&args[st->fmt_arg], i);
    if (*last && col_str_eq(*last, ps)) return KILN_OK;
    char err[256];
    int rc = dtf_compile(c->arena, col_str_data(ps), ps->len, cur, err, sizeof err);
    if (rc == KILN_ENOMEM) return rc;
    if (rc)
        return fn_error(c, "INVALID_DATETIME_PATTERN", "22007",
                        "Unrecognized datetime pattern: '%.*s' (%s).",
                        (int)(ps->len > 200 ? 200 : ps->len), col_str_data(ps), err);
    *last = ps;
    return KILN_OK;
}

static int k_parse(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    const col_str *last = NULL;
    const dtf_pattern *pat = NULL;
    int kind = st->field;
    const col_vec *v = &args[0];
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int64_t us = 0;
        if (v->type->kind != COL_STRING) { /* a date or timestamp already */
            us = kind == P_NTZ || kind == P_DATE ? local_us(v, i, st->zone)
                                                 : utc_us(v, i, st->zone);
        } else {
            int rc = row_pattern(c, st, args, nargs, i, &last, &pat);
            if (rc) return rc;
            const col_str *s = tx_str(v, i);
            const char *sp = col_str_data(s);
            bool ok;
            char err[400];
            const dt_zone *z = kind == P_NTZ ? NULL : st->zone;
            if (pat) {
                ok = dtf_parse(pat, sp, s->len, z, &us, err, sizeof err);
            } else if (kind == P_DATE) {
                int32_t d;
                /* a date whose midnight is past a timestamp's range is no timestamp */
                ok = dt_parse_date(sp, s->len, &d) && d >= INT64_MIN / DT_US_PER_DAY &&
                     d <= INT64_MAX / DT_US_PER_DAY;
                us = ok ? (int64_t)d * DT_US_PER_DAY : 0;
            } else {
                int64_t today = dt_floordiv(dt_zone_to_local(st->zone, c->now_us), DT_US_PER_DAY);
                ok = dt_parse_timestamp(sp, s->len, z, today, &us);
            }
            if (!ok) {
                if (st->try_ || !st->ansi) {
                    col_set_null(out, i);
                    continue;
                }
                if (pat)
                    return fn_error(c, "CANNOT_PARSE_TIMESTAMP", "22007",
                                    "%s. Use `try_to_timestamp` to tolerate invalid input string "
                                    "and return NULL instead.",
                                    err);
                return fn_error(c, "CAST_INVALID_INPUT", "22018",
                                "The value '%.*s' of the type \"STRING\" cannot be cast to \"%s\" "
                                "because it is malformed. Correct the value as per the syntax, or "
                                "change its target type. Use `try_cast` to tolerate malformed "
                                "input and return NULL instead.",
                                (int)(s->len > 200 ? 200 : s->len), sp,
                                kind == P_DATE  ? "DATE"
                                : kind == P_NTZ ? "TIMESTAMP_NTZ"
                                                : "TIMESTAMP");
            }
            if (kind == P_DATE && pat) us = dt_zone_to_local(st->zone, us);
        }
        switch (kind) {
        case P_DATE:
            COL_DATA(out, int32_t)[i] = (int32_t)dt_floordiv(us, DT_US_PER_DAY);
            break;
        case P_UNIX:
            COL_DATA(out, int64_t)[i] = dt_floordiv(us, DT_US_PER_SEC);
            break;
        default:
            COL_DATA(out, int64_t)[i] = us;
        }
    }
    return KILN_OK;
}

/* Compiles the constant pattern argument k (if constant) into st. */
static int bind_pattern(fn_bind *b, dt_state *st, int k)
{
    int rc = want_type(b, k, &col_type_string);
    if (rc) return rc;
    st->fmt_arg = k;
    bool null;
    const col_str *p = tx_const_str(b, k, &null);
    if (!p) return KILN_OK;
    char err[256];
    rc = dtf_compile(b->arena, col_str_data(p), p->len, &st->pat, err, sizeof err);
    if (rc == KILN_EINVAL)
        return tx_bind_err(b, "INVALID_DATETIME_PATTERN", k,
                           "Unrecognized datetime pattern: '%.*s' (%s).",
                           (int)(p->len > 200 ? 200 : p->len), col_str_data(p), err);
    return rc;
}

static int bind_parse(fn_bind *b, int kind, bool try_, const char *fname)
{
    const col_type *t = b->args[0];
    if (t->kind != COL_STRING && t->kind != COL_DATE && t->kind != COL_TIMESTAMP &&
        t->kind != COL_TIMESTAMP_NTZ && t->kind != COL_NULL)
        return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", 0,
                           "The first parameter of `%s` requires the \"STRING\" type.", fname);
    if (t->kind == COL_NULL) b->want[0] = &col_type_string;
    dt_state *st = new_state(b, fname);
    if (!st) return KILN_ENOMEM;
    st->field = kind;
    st->try_ = try_;
    int rc = KILN_OK;
    if (b->nargs > 1) {
        rc = bind_pattern(b, st, 1);
    } else if (kind == P_UNIX) {
        char err[128];
        rc = dtf_compile(b->arena, DEFAULT_FMT, strlen(DEFAULT_FMT), &st->pat, err, sizeof err);
    }
    if (rc) return rc;
    b->result = kind == P_DATE   ? &col_type_date
                : kind == P_NTZ  ? &col_type_timestamp_ntz
                : kind == P_UNIX ? &col_type_i64
                                 : &col_type_timestamp;
    b->kernel = k_parse;
    b->nullable = try_ || !b->ansi;
    return KILN_OK;
}
static int bind_to_date(fn_bind *b)
{
    return bind_parse(b, P_DATE, false, "to_date");
}
static int bind_try_to_date(fn_bind *b)
{
    return bind_parse(b, P_DATE, true, "try_to_date");
}
static int bind_to_timestamp(fn_bind *b)
{
    return bind_parse(b, P_TS, false, "to_timestamp");
}
static int bind_try_to_timestamp(fn_bind *b)
{
    return bind_parse(b, P_TS, true, "try_to_timestamp");
}
static int bind_to_timestamp_ntz(fn_bind *b)
{
    return bind_parse(b, P_NTZ, false, "to_timestamp_ntz");
}
static int bind_to_unix_timestamp(fn_bind *b)
{
    return bind_parse(b, P_UNIX, false, "to_unix_timestamp");
}

static int k_now_unix(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    (void)args;
    TX_ROWS(i)
    COL_DATA(out, int64_t)[i] = dt_floordiv(c->now_us, DT_US_PER_SEC);
    return KILN_OK;
}
static int bind_unix_timestamp(fn_bind *b)
{
    if (b->nargs == 0) {
        b->result = &col_type_i64;
        b->kernel = k_now_unix;
        return KILN_OK;
    }
    return bind_parse(b, P_UNIX, false, "unix_timestamp");
}

/* ---- Formatting --------------------------------------------------------------------------------
 */

/* date_format(ts, fmt) and from_unixtime(secs[, fmt]) (field = 1). */
static int k_format(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    const col_str *last = NULL;
    const dtf_pattern *pat = NULL;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    const col_vec *v = &args[0];
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int rc = row_pattern(c, st, args, nargs, i, &last, &pat);
        if (rc) return rc;
        int64_t u;
        if (st->field == 1) {
            int64_t secs = tx_i64(v, i);
            if (__builtin_mul_overflow(secs, DT_US_PER_SEC, &u)) {
                col_set_null(out, i);
                continue;
            }
        } else {
            u = utc_us(v, i, st->zone);
        }
        const char *abbr;
        int32_t off = dt_zone_offset(st->zone, u, &abbr);
        if (v->type->kind == COL_TIMESTAMP_NTZ) off = 0; /* shown as is */
        int64_t lu = v->type->kind == COL_TIMESTAMP_NTZ ? tx_i64(v, i) : u + off * DT_US_PER_SEC;
        char *d = tx_reserve(&o, dtf_max_len(pat));
        if (!d) return KILN_ENOMEM;
        size_t len = dtf_format(pat, lu, st->zone, off, abbr, d);
        res[i] = tx_commit(&o, d, len);
    }
    return KILN_OK;
}

static int bind_date_format(fn_bind *b)
{
    int rc = want_dt(b, 0, &col_type_timestamp);
    dt_state *st = rc ? NULL : new_state(b, "date_format");
    if (rc || !st) return rc ? rc : KILN_ENOMEM;
    if ((rc = bind_pattern(b, st, 1))) return rc;
    b->result = &col_type_string;
    b->kernel = k_format;
    return KILN_OK;
}

static int bind_from_unixtime(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_i64);
    dt_state *st = rc ? NULL : new_state(b, "from_unixtime");
    if (rc || !st) return rc ? rc : KILN_ENOMEM;
    st->field = 1;
    if (b->nargs > 1) {
        rc = bind_pattern(b, st, 1);
    } else {
        char err[128];
        rc = dtf_compile(b->arena, DEFAULT_FMT, strlen(DEFAULT_FMT), &st->pat, err, sizeof err);
    }
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_format;
    return KILN_OK;
}

/* ---- Date arithmetic
 * ------------------------------------------------------------------------------ */

static int k_datediff(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    TX_ROWS(i)
    COL_DATA(out, int32_t)[i] = tx_i32(&args[0], i) - tx_i32(&args[1], i);
    return KILN_OK;
}
static int bind_datediff(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_date);
    if (!rc) rc = want_type(b, 1, &col_type_date);
    if (rc) return rc;
    b->result = &col_type_i32;
    b->kernel = k_datediff;
    return KILN_OK;
}

static int k_date_add(TX_KERNEL_ARGS, int sign)
{
    TX_UNUSED_ARGS;
    TX_ROWS(i)
    COL_DATA(out, int32_t)
    [i] = (int32_t)((int64_t)tx_i32(&args[0], i) + sign * (int64_t)tx_i32(&args[1], i));
    return KILN_OK;
}
static int k_date_add_p(TX_KERNEL_ARGS)
{
    return k_date_add(c, state, out, args, nargs, sel, n, count, 1);
}
static int k_date_sub_p(TX_KERNEL_ARGS)
{
    return k_date_add(c, state, out, args, nargs, sel, n, count, -1);
}
static int bind_date_add_k(fn_bind *b, fn_kernel k)
{
    int rc = want_type(b, 0, &col_type_date);
    if (!rc && !col_type_is_integral(b->args[1]) && b->args[1]->kind != COL_NULL &&
        b->args[1]->kind != COL_STRING)
        return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", 1,
                           "The second parameter requires the (\"INT\" or \"SMALLINT\" or "
                           "\"TINYINT\") type.");
    if (!rc) rc = want_type(b, 1, &col_type_i32);
    if (rc) return rc;
    b->result = &col_type_date;
    b->kernel = k;
    return KILN_OK;
}
static int bind_date_add(fn_bind *b)
{
    return bind_date_add_k(b, k_date_add_p);
}
static int bind_date_sub(fn_bind *b)
{
    return bind_date_add_k(b, k_date_sub_p);
}

static int64_t add_months_days(int64_t days, int64_t months)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    int64_t t = y * 12 + (m - 1) + months;
    int64_t ny = dt_floordiv(t, 12);
    int nm = (int)(t - ny * 12) + 1;
    int dim = dt_days_in_month(ny, nm);
    return dt_days_from_civil(ny, nm, d < dim ? d : dim);
}

static int k_add_months(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    TX_ROWS(i)
    COL_DATA(out, int32_t)[i] = (int32_t)add_months_days(tx_i32(&args[0], i), tx_i32(&args[1], i));
    return KILN_OK;
}
static int bind_add_months(fn_bind *b)
{
    return bind_date_add_k(b, k_add_months);
}

static int k_last_day(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    TX_ROWS(i)
    {
        int64_t y;
        int m, d;
        dt_civil_from_days(tx_i32(&args[0], i), &y, &m, &d);
        COL_DATA(out, int32_t)[i] = (int32_t)dt_days_from_civil(y, m, dt_days_in_month(y, m));
    }
    return KILN_OK;
}
static int bind_last_day(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_date);
    if (rc) return rc;
    b->result = &col_type_date;
    b->kernel = k_last_day;
    return KILN_OK;
}

/* Day of week names for next_day: 0 = Monday. */
static int parse_dow(const char *s, size_t n)
{
    static const char *const full[] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                       "FRIDAY", "SATURDAY", "SUNDAY"};
    for (int k = 0; k < 7; k++) {
        if ((n == 2 || n == 3 || n == strlen(full[k])) && strncasecmp(s, full[k], n) == 0) return k;
    }
    return -1;
}

static int k_next_day(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *ds = tx_str(&args[1], i);
        int dow = parse_dow(col_str_data(ds), ds->len);
        if (dow < 0) {
            if (st->ansi)
                return fn_error(c, "ILLEGAL_DAY_OF_WEEK", "22009",
                                "Illegal input for day of week: %.*s.", (int)ds->len,
                                col_str_data(ds));
            col_set_null(out, i);
            continue;
        }
        int64_t days = tx_i32(&args[0], i);
        int cur = (int)dt_floormod(days + 3, 7); /* 0 = Monday */
        int delta = (dow - cur + 7) % 7;
        COL_DATA(out, int32_t)[i] = (int32_t)(days + (delta ? delta : 7));
    }
    return KILN_OK;
}
static int bind_next_day(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_date);
    if (!rc) rc = want_type(b, 1, &col_type_string);
    if (rc || !new_state(b, "next_day")) return rc ? rc : KILN_ENOMEM;
    b->result = &col_type_date;
    b->kernel = k_next_day;
    b->nullable = !b->ansi;
    return KILN_OK;
}

static int k_months_between(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        bool round = nargs > 2 ? tx_bool(&args[2], i) : true;
        int64_t l1 = local_us(&args[0], i, st->zone), l2 = local_us(&args[1], i, st->zone);
        int64_t d1 = dt_floordiv(l1, DT_US_PER_DAY), d2 = dt_floordiv(l2, DT_US_PER_DAY);
        int64_t y1, y2;
        int m1, m2, dd1, dd2;
        dt_civil_from_days(d1, &y1, &m1, &dd1);
        dt_civil_from_days(d2, &y2, &m2, &dd2);
        double diff = (double)((y1 * 12 + m1) - (y2 * 12 + m2));
        bool last1 = dd1 == dt_days_in_month(y1, m1), last2 = dd2 == dt_days_in_month(y2, m2);
        if (!(dd1 == dd2 || (last1 && last2))) {
            double t = (double)((l1 - d1 * DT_US_PER_DAY) - (l2 - d2 * DT_US_PER_DAY)) /
                       (double)DT_US_PER_DAY;
            diff += (dd1 - dd2 + t) / 31.0;
            if (round) diff = (double)llround(diff * 1e8) / 1e8;
        }
        COL_DATA(out, double)[i] = diff;
    }
    return KILN_OK;
}
static int bind_months_between(fn_bind *b)
{
    int rc = want_dt(b, 0, &col_type_timestamp);
    if (!rc) rc = want_dt(b, 1, &col_type_timestamp);
    if (!rc && b->nargs > 2) rc = want_type(b, 2, &col_type_bool);
    if (rc || !new_state(b, "months_between")) return rc ? rc : KILN_ENOMEM;
    b->result = &col_type_f64;
    b->kernel = k_months_between;
    return KILN_OK;
}

/* ---- Truncation
 * ------------------------------------------------------------------------------------- */

enum {
    TR_NONE = -1,
    TR_YEAR,
    TR_QUARTER,
    TR_MONTH,
    TR_WEEK,
    TR_DAY,
    TR_HOUR,
    TR_MINUTE,
    TR_SECOND,
    TR_MILLI,
    TR_MICRO
};

static int trunc_level(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int lvl;
    } t[] = {{"YEAR", TR_YEAR},       {"YYYY", TR_YEAR},         {"YY", TR_YEAR},
             {"QUARTER", TR_QUARTER}, {"MONTH", TR_MONTH},       {"MM", TR_MONTH},
             {"MON", TR_MONTH},       {"WEEK", TR_WEEK},         {"DAY", TR_DAY},
             {"DD", TR_DAY},          {"HOUR", TR_HOUR},         {"MINUTE", TR_MINUTE},
             {"SECOND", TR_SECOND},   {"MILLISECOND", TR_MILLI}, {"MICROSECOND", TR_MICRO}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (strlen(t[k].name) == n && strncasecmp(t[k].name, s, n) == 0) return t[k].lvl;
    return TR_NONE;
}

static int64_t trunc_days(int64_t days, int lvl)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    switch (lvl) {
    case TR_YEAR:
        return dt_days_from_civil(y, 1, 1);
    case TR_QUARTER:
        return dt_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
    case TR_MONTH:
        return dt_days_from_civil(y, m, 1);
    case TR_WEEK:
        return days - dt_floormod(days + 3, 7);
    default:
        return days;
    }
}

/* trunc(date, fmt) (field 0) and date_trunc(fmt, ts) (field 1). */
static int k_trunc(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    bool ts = st->field == 1;
    /* A constant unit ('hour') is looked up once, not per row. */
    const col_vec *unit = &args[ts ? 0 : 1];
    int fixed = -2; /* -2: the unit differs by row */
    if (unit->constant && col_valid(unit, 0)) {
        const col_str *f = tx_str(unit, 0);
        fixed = trunc_level(col_str_data(f), f->len);
    }
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int lvl = fixed;
        if (lvl == -2) {
            const col_str *f = tx_str(unit, i);
            lvl = trunc_level(col_str_data(f), f->len);
        }
        if (lvl == TR_NONE || (!ts && lvl > TR_WEEK)) {
            col_set_null(out, i);
            continue;
        }
        if (!ts) {
            COL_DATA(out, int32_t)[i] = (int32_t)trunc_days(tx_i32(&args[0], i), lvl);
            continue;
        }
        const col_vec *v = &args[1];
        bool ntz = v->type->kind == COL_TIMESTAMP_NTZ;
        int64_t lu = local_us(v, i, st->zone), r;
        if (lvl <= TR_DAY) {
            r = trunc_days(dt_floordiv(lu, DT_US_PER_DAY), lvl) * DT_US_PER_DAY;
        } else {
            static const int64_t unit[] = {DT_US_PER_HOUR, DT_US_PER_MIN, DT_US_PER_SEC, 1000, 1};
            int64_t u = unit[lvl - TR_HOUR];
            r = lu - dt_floormod(lu, u);
        }
        COL_DATA(out, int64_t)[i] = ntz ? r : dt_zone_to_utc(st->zone, r);
    }
    return KILN_OK;
}
static int bind_trunc(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_date);
    if (!rc) rc = want_type(b, 1, &col_type_string);
    if (rc || !new_state(b, "trunc")) return rc ? rc : KILN_ENOMEM;
    b->result = &col_type_date;
    b->kernel = k_trunc;
    b->nullable = true;
    return KILN_OK;
}
static int bind_date_trunc(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_string);
    if (!rc) rc = want_dt(b, 1, &col_type_timestamp);
    if (!rc && b->args[1]->kind == COL_DATE) b->want[1] = &col_type_timestamp;
    dt_state *st = rc ? NULL : new_state(b, "date_trunc");
    if (rc || !st) return rc ? rc : KILN_ENOMEM;
    st->field = 1;
    b->result = b->args[1]->kind == COL_TIMESTAMP_NTZ ? &col_type_timestamp_ntz
                                                      : &col_type_timestamp;
    b->kernel = k_trunc;
    b->nullable = true;
    return KILN_OK;
}

/* ---- make_date, unix conversions
 * --------------------------------------------------------------------- */

static int k_make_date(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int32_t y = tx_i32(&args[0], i), m = tx_i32(&args[1], i), d = tx_i32(&args[2], i);
        if (y < -290000 || y > 290000 || !dt_valid_date(y, m, d)) {
            if (st->ansi) {
                if (m < 1 || m > 12)
                    return fn_error(c, "DATETIME_FIELD_OUT_OF_BOUNDS", "22023",
                                    "Invalid value for MonthOfYear (valid values 1 - 12): %d. If "
                                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to "
                                    "bypass this error.",
                                    m);
                if (d < 1 || d > 31)
                    return fn_error(c, "DATETIME_FIELD_OUT_OF_BOUNDS", "22023",
                                    "Invalid value for DayOfMonth (valid values 1 - 28/31): %d. If "
                                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to "
                                    "bypass this error.",
                                    d);
                return fn_error(c, "DATETIME_FIELD_OUT_OF_BOUNDS", "22023",
                                "Invalid date '%d-%02d-%02d'. If necessary set "
                                "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error.",
                                y, m, d);
            }
            col_set_null(out, i);
            continue;
        }
        COL_DATA(out, int32_t)[i] = (int32_t)dt_days_from_civil(y, m, d);
    }
    return KILN_OK;
}
static int bind_make_date(fn_bind *b)
{
    for (int k = 0; k < 3; k++) {
        int rc = want_type(b, k, &col_type_i32);
        if (rc) return rc;
    }
    if (!new_state(b, "make_date")) return KILN_ENOMEM;
    b->result = &col_type_date;
    b->kernel = k_make_date;
    b->nullable = !b->ansi;
    return KILN_OK;
}

/* timestamp_seconds/millis/micros (field = unit), unix_* (field = -unit). */
static int k_unit(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    int64_t unit = st->field > 0 ? st->field : -st->field;
    bool dbl = args[0].type->kind == COL_F64;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int64_t r;
        if (st->field < 0) {
            r = dt_floordiv(tx_i64(&args[0], i), unit);
        } else if (dbl) {
            double d = tx_f64(&args[0], i) * (double)unit;
            if (!(d >= -9.2e18 && d <= 9.2e18)) {
                if (st->ansi)
                    return fn_error(c, "ARITHMETIC_OVERFLOW", "22003", "Overflow in %s.",
                                    st->fname);
                col_set_null(out, i);
                continue;
            }
            r = (int64_t)d;
        } else if (__builtin_mul_overflow(tx_i64(&args[0], i), unit, &r)) {
            return fn_error(c, "ARITHMETIC_OVERFLOW", "22003",
                            "long overflow. Use 'try_add' to "
                            "tolerate overflow and return NULL instead.");
        }
        COL_DATA(out, int64_t)[i] = r;
    }
    return KILN_OK;
}
static int bind_unit(fn_bind *b, int64_t unit, const char *fname)
{
    bool to_ts = unit > 0;
    int rc;
    if (to_ts)
        rc = want_type(b, 0,
                       b->args[0]->kind == COL_F32 || b->args[0]->kind == COL_F64 ||
                               b->args[0]->kind == COL_DECIMAL
                           ? &col_type_f64
                           : &col_type_i64);
    else rc = want_type(b, 0, &col_type_timestamp);
    dt_state *st = rc ? NULL : new_state(b, fname);
    if (rc || !st) return rc ? rc : KILN_ENOMEM;
    st->field = (int)(to_ts ? DT_US_PER_SEC / unit : -(DT_US_PER_SEC / -unit));
    b->result = to_ts ? &col_type_timestamp : &col_type_i64;
    b->kernel = k_unit;
    return KILN_OK;
}
static int bind_timestamp_seconds(fn_bind *b)
{
    return bind_unit(b, 1, "timestamp_seconds");
}
static int bind_timestamp_millis(fn_bind *b)
{
    return bind_unit(b, 1000, "timestamp_millis");
}
static int bind_timestamp_micros(fn_bind *b)
{
    return bind_unit(b, 1000000, "timestamp_micros");
}
static int bind_unix_seconds(fn_bind *b)
{
    return bind_unit(b, -1, "unix_seconds");
}
static int bind_unix_millis(fn_bind *b)
{
    return bind_unit(b, -1000, "unix_millis");
}
static int bind_unix_micros(fn_bind *b)
{
    return bind_unit(b, -1000000, "unix_micros");
}

/* from_utc_timestamp (field 1) / to_utc_timestamp (field 0). */
static int k_utc(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    const col_str *last = NULL;
    const dt_zone *z = NULL;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *zs = tx_str(&args[1], i);
        if (!last || !col_str_eq(last, zs)) {
            z = dt_zone_get(col_str_data(zs), zs->len);
            if (!z)
                return fn_error(c, "INVALID_TIMEZONE", "22009",
                                "The timezone: %.*s is invalid. The timezone must be either a "
                                "region-based zone ID or a zone offset.",
                                (int)zs->len, col_str_data(zs));
            last = zs;
        }
        int64_t u = tx_i64(&args[0], i);
        COL_DATA(out, int64_t)[i] = st->field ? dt_zone_to_local(z, u) : dt_zone_to_utc(z, u);
    }
    return KILN_OK;
}
static int bind_utc_k(fn_bind *b, int field, const char *fname)
{
    int rc = want_type(b, 0, &col_type_timestamp);
    if (!rc) rc = want_type(b, 1, &col_type_string);
    dt_state *st = rc ? NULL : new_state(b, fname);
    if (rc || !st) return rc ? rc : KILN_ENOMEM;
    st->field = field;
    b->result = &col_type_timestamp;
    b->kernel = k_utc;
    return KILN_OK;
}
static int bind_from_utc(fn_bind *b)
{
    return bind_utc_k(b, 1, "from_utc_timestamp");
}
static int bind_to_utc(fn_bind *b)
{
    return bind_utc_k(b, 0, "to_utc_timestamp");
}

/* ---- current_*, window
 * ----------------------------------------------------------------------------- */

/* field: 0 current_timestamp, 1 current_date, 2 localtimestamp. */
static int k_current(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    (void)args;
    const dt_state *st = state;
    int64_t local = dt_zone_to_local(st->zone, c->now_us);
    TX_ROWS(i)
    {
        if (st->field == 1) COL_DATA(out, int32_t)[i] = (int32_t)dt_floordiv(local, DT_US_PER_DAY);
        else COL_DATA(out, int64_t)[i] = st->field == 2 ? local : c->now_us;
    }
    return KILN_OK;
}
static int bind_current_k(fn_bind *b, int field)
{
    dt_state *st = new_state(b, "current_timestamp");
    if (!st) return KILN_ENOMEM;
    st->field = field;
    b->result = field == 1   ? &col_type_date
                : field == 2 ? &col_type_timestamp_ntz
                             : &col_type_timestamp;
    b->kernel = k_current;
    return KILN_OK;
}
static int bind_current_timestamp(fn_bind *b)
{
    return bind_current_k(b, 0);
}
static int bind_current_date(fn_bind *b)
{
    return bind_current_k(b, 1);
}
static int bind_localtimestamp(fn_bind *b)
{
    return bind_current_k(b, 2);
}

/* "10 minutes", "1 hour", "interval 2 days 3 hours", "500 milliseconds". */
static bool parse_duration(const char *s, size_t n, int64_t *us)
{
    char buf[128];
    if (n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *p = buf, *save = NULL;
    int64_t total = 0;
    bool any = false;
    char *tok = strtok_r(p, " \t", &save);
    if (tok && strcasecmp(tok, "interval") == 0) tok = strtok_r(NULL, " \t", &save);
    while (tok) {
        char *end;
        long long v = strtoll(tok, &end, 10);
        if (end == tok || *end) return false;
        char *unit = strtok_r(NULL, " \t", &save);
        if (!unit) return false;
        size_t ul = strlen(unit);
        if (ul > 1 && (unit[ul - 1] == 's' || unit[ul - 1] == 'S')) unit[--ul] = 0;
        int64_t m;
        if (!strcasecmp(unit, "week")) m = 7 * DT_US_PER_DAY;
        else if (!strcasecmp(unit, "day")) m = DT_US_PER_DAY;
        else if (!strcasecmp(unit, "hour")) m = DT_US_PER_HOUR;
        else if (!strcasecmp(unit, "minute")) m = DT_US_PER_MIN;
        else if (!strcasecmp(unit, "second")) m = DT_US_PER_SEC;
        else if (!strcasecmp(unit, "millisecond")) m = 1000;
        else if (!strcasecmp(unit, "microsecond")) m = 1;
        else return false;
        int64_t part;
        if (__builtin_mul_overflow((int64_t)v, m, &part) ||
            __builtin_add_overflow(total, part, &total))
            return false;
        any = true;
        tok = strtok_r(NULL, " \t", &save);
    }
    *us = total;
    return any;
}

static int k_window(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const dt_state *st = state;
    int64_t *ws = COL_DATA(&out->children[0], int64_t), *we = COL_DATA(&out->children[1], int64_t);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int64_t t = tx_i64(&args[0], i);
        int64_t s = t - dt_floormod(t - st->w_start, st->w_dur);
        ws[i] = s;
        we[i] = s + st->w_dur;
    }
    out->children[0].n = out->children[1].n = n;
    return KILN_OK;
}
static int bind_window(fn_bind *b)
{
    int rc = want_type(b, 0, &col_type_timestamp);
    dt_state *st = rc ? NULL : new_state(b, "window");
    if (rc || !st) return rc ? rc : KILN_ENOMEM;
    int64_t vals[3] = {0, 0, 0};
    for (int k = 1; k < b->nargs; k++) {
        bool null;
        const col_str *s = tx_const_str(b, k, &null);
        if (!s || !parse_duration(col_str_data(s), s->len, &vals[k - 1]) ||
            (k < 3 && vals[k - 1] <= 0))
            return tx_bind_err(b, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT", k,
                               "The %s of window must be a constant interval string such as "
                               "'10 minutes'.",
                               k == 1   ? "duration"
                               : k == 2 ? "slide"
                                        : "start time");
    }
    st->w_dur = vals[0];
    st->w_start = vals[2];
    if (b->nargs > 2 && vals[1] != vals[0])
        return tx_bind_err(b, "UNSUPPORTED_FEATURE", 2,
                           "Sliding windows (slide shorter than the duration) are not supported "
                           "yet; use a tumbling window.");
    col_field f[2] = {{"start", &col_type_timestamp, true}, {"end", &col_type_timestamp, true}};
    b->result = col_type_struct(b->arena, f, 2);
    if (!b->result) return KILN_ENOMEM;
    b->kernel = k_window;
    return KILN_OK;
}

#define NN FN_NULL_IN_NULL_OUT

const fn_def fn_defs_datetime[] = {
    {"to_date", 1, 2, NN, bind_to_date},
    {"try_to_date", 1, 2, NN, bind_try_to_date},
    {"to_timestamp", 1, 2, NN, bind_to_timestamp},
    {"try_to_timestamp", 1, 2, NN, bind_try_to_timestamp},
    {"to_timestamp_ntz", 1, 2, NN, bind_to_timestamp_ntz},
    {"to_unix_timestamp", 1, 2, NN, bind_to_unix_timestamp},
    {"unix_timestamp", 0, 2, NN, bind_unix_timestamp},
    {"date_format", 2, 2, NN, bind_date_format},
    {"from_unixtime", 1, 2, NN, bind_from_unixtime},
    {"year", 1, 1, NN, bind_year},
    {"quarter", 1, 1, NN, bind_quarter},
    {"month", 1, 1, NN, bind_month},
    {"day", 1, 1, NN, bind_day},
    {"dayofmonth", 1, 1, NN, bind_day},
    {"dayofweek", 1, 1, NN, bind_dayofweek},
    {"weekday", 1, 1, NN, bind_weekday},
    {"dayofyear", 1, 1, NN, bind_dayofyear},
    {"weekofyear", 1, 1, NN, bind_weekofyear},
    {"hour", 1, 1, NN, bind_hour},
    {"minute", 1, 1, NN, bind_minute},
    {"second", 1, 1, NN, bind_second},
    {"extract", 2, 2, NN | FN_NEEDS_CONSTS, bind_extract},
    {"date_part", 2, 2, NN | FN_NEEDS_CONSTS, bind_extract},
    {"datediff", 2, 2, NN, bind_datediff},
    {"date_add", 2, 2, NN, bind_date_add},
    {"dateadd", 2, 2, NN, bind_date_add},
    {"date_sub", 2, 2, NN, bind_date_sub},
    {"add_months", 2, 2, NN, bind_add_months},
    {"months_between", 2, 3, NN, bind_months_between},
    {"last_day", 1, 1, NN, bind_last_day},
    {"next_day", 2, 2, NN, bind_next_day},
    {"trunc", 2, 2, NN, bind_trunc},
    {"date_trunc", 2, 2, NN, bind_date_trunc},
    {"make_date", 3, 3, NN, bind_make_date},
    {"timestamp_seconds", 1, 1, NN, bind_timestamp_seconds},
    {"timestamp_millis", 1, 1, NN, bind_timestamp_millis},
    {"timestamp_micros", 1, 1, NN, bind_timestamp_micros},
    {"unix_seconds", 1, 1, NN, bind_unix_seconds},
    {"unix_millis", 1, 1, NN, bind_unix_millis},
    {"unix_micros", 1, 1, NN, bind_unix_micros},
    {"from_utc_timestamp", 2, 2, NN, bind_from_utc},
    {"to_utc_timestamp", 2, 2, NN, bind_to_utc},
    /* Fixed for a query (fn_ctx.now_us), so constant folding may fold them. */
    {"current_timestamp", 0, 0, 0, bind_current_timestamp},
    {"now", 0, 0, 0, bind_current_timestamp},
    {"current_date", 0, 0, 0, bind_current_date},
    {"curdate", 0, 0, 0, bind_current_date},
    {"localtimestamp", 0, 0, 0, bind_localtimestamp},
    {"window", 2, 4, NN | FN_NEEDS_CONSTS, bind_window},
    {NULL, 0, 0, 0, NULL},
};
