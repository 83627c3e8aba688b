/*
 * tests/unit/test_sql_fn_datetime.c - the calendar and zones (datetime.h),
 * Spark's patterns (datetime_format.h) and the date functions
 * (fn_defs_datetime): civil dates against a day-by-day walk from
 * 0001-01-01 to 9999-12-31 and against sqlite3's strftime, DST transitions
 * in Europe/Berlin and America/New_York, Spark's documented examples, and
 * format-then-parse round trips on random instants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kt_sqlfn.h"
#include "sql/datetime.h"
#include "sql/datetime_format.h"

static const fn_def *const tables[] = {fn_defs_datetime, NULL};

static void test_civil_walk(void **state)
{
    (void)state;
    int64_t y = 1;
    int m = 1, d = 1;
    int64_t days = dt_days_from_civil(1, 1, 1);
    int dow = 1; /* 0001-01-01 was a Monday (proleptic Gregorian) */
    for (; y <= 9999; days++) {
        int64_t yy;
        int mm, dd;
        dt_civil_from_days(days, &yy, &mm, &dd);
        if (yy != y || mm != m || dd != d)
            fail_msg("days %lld: %lld-%d-%d, want %lld-%d-%d", (long long)days, (long long)yy, mm,
                     dd, (long long)y, m, d);
        assert_int_equal(dt_days_from_civil(y, m, d), days);
        dt_fields f;
        dt_fields_from_days(days, &f);
        assert_int_equal(f.dow, dow);
        dow = dow % 7 + 1;
        if (++d > dt_days_in_month(y, m)) {
            d = 1;
            if (++m > 12) m = 1, y++;
        }
    }
    assert_int_equal(dt_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(dt_days_from_civil(9999, 12, 31), 2932896);
    assert_true(dt_is_leap(2000) && !dt_is_leap(1900) && !dt_is_leap(2100) && dt_is_leap(2024));
    /* Pre-1970 microseconds. */
    dt_fields f;
    dt_fields_from_us(-1, &f);
    assert_int_equal(f.year, 1969);
    assert_int_equal(f.hour, 23);
    assert_int_equal(f.micros, 999999);
}

/* Day of year, ISO week and weekday against sqlite3's strftime. */
static void test_against_sqlite(void **state)
{
    (void)state;
    FILE *p = popen("sqlite3 :memory: \"WITH RECURSIVE d(x) AS (SELECT -25567 UNION ALL SELECT "
                    "x + 37 FROM d WHERE x < 60000) SELECT x, strftime('%Y %m %d %j %w', "
                    "x * 86400, 'unixepoch') FROM d;\"",
                    "r");
    if (!p) skip();
    long long x;
    int y, m, d, j, w, rows = 0;
    while (fscanf(p, "%lld|%d %d %d %d %d", &x, &y, &m, &d, &j, &w) == 6) {
        dt_fields f;
        dt_fields_from_days(x, &f);
        assert_int_equal(f.year, y);
        assert_int_equal(f.month, m);
        assert_int_equal(f.day, d);
        assert_int_equal(f.doy, j);
        assert_int_equal(f.dow % 7, w);
        rows++;
    }
    pclose(p);
    if (rows == 0) skip();
    assert_true(rows > 2000);
}

static int64_t ts(int y, int mo, int d, int h, int mi, int s)
{
    return dt_days_from_civil(y, mo, d) * DT_US_PER_DAY + h * DT_US_PER_HOUR + mi * DT_US_PER_MIN +
           s * DT_US_PER_SEC;
}

static void test_zones(void **state)
{
    (void)state;
    const dt_zone *be = dt_zone_get("Europe/Berlin", 13);
    const dt_zone *ny = dt_zone_get("America/New_York", 16);
    assert_non_null(be);
    assert_non_null(ny);
    const char *ab;
    assert_int_equal(dt_zone_offset(be, ts(2024, 1, 15, 12, 0, 0), &ab), 3600);
    assert_string_equal(ab, "CET");
    assert_int_equal(dt_zone_offset(be, ts(2024, 7, 15, 12, 0, 0), &ab), 7200);
    assert_string_equal(ab, "CEST");
    /* 2024-03-31 01:00 UTC Berlin springs forward; 2024-10-27 01:00 UTC back. */
    assert_int_equal(dt_zone_offset(be, ts(2024, 3, 31, 0, 59, 59), NULL), 3600);
    assert_int_equal(dt_zone_offset(be, ts(2024, 3, 31, 1, 0, 0), NULL), 7200);
    assert_int_equal(dt_zone_offset(be, ts(2024, 10, 27, 0, 59, 59), NULL), 7200);
    assert_int_equal(dt_zone_offset(be, ts(2024, 10, 27, 1, 0, 0), NULL), 3600);
    /* Local 02:30 in the gap -> 03:30 CEST = 01:30 UTC; 02:30 in the overlap -> earlier (CEST). */
    assert_int_equal(dt_zone_to_utc(be, ts(2024, 3, 31, 2, 30, 0)), ts(2024, 3, 31, 1, 30, 0));
    assert_int_equal(dt_zone_to_utc(be, ts(2024, 10, 27, 2, 30, 0)), ts(2024, 10, 27, 0, 30, 0));
    /* New York: 2024-03-10 07:00 UTC, 2024-11-03 06:00 UTC; far future uses the TZ rule. */
    assert_int_equal(dt_zone_offset(ny, ts(2024, 3, 10, 6, 59, 59), NULL), -5 * 3600);
    assert_int_equal(dt_zone_offset(ny, ts(2024, 3, 10, 7, 0, 0), NULL), -4 * 3600);
    assert_int_equal(dt_zone_offset(ny, ts(2024, 11, 3, 5, 59, 59), NULL), -4 * 3600);
    assert_int_equal(dt_zone_offset(ny, ts(2024, 11, 3, 6, 0, 0), NULL), -5 * 3600);
    assert_int_equal(dt_zone_offset(ny, ts(2300, 7, 1, 0, 0, 0), NULL), -4 * 3600);
    assert_int_equal(dt_zone_offset(ny, ts(2300, 12, 1, 0, 0, 0), NULL), -5 * 3600);
    assert_int_equal(dt_zone_offset(ny, ts(1900, 1, 1, 0, 0, 0), NULL),
                     -5 * 3600 + 4 * 60 - 4 * 60);
    /* Fixed offsets and short ids. */
    assert_int_equal(dt_zone_offset(dt_zone_get("+02:00", 6), 0, NULL), 7200);
    assert_int_equal(dt_zone_offset(dt_zone_get("UTC+2", 5), 0, NULL), 7200);
    assert_int_equal(dt_zone_offset(dt_zone_get("GMT-03:30", 9), 0, NULL), -12600);
    assert_int_equal(dt_zone_offset(dt_zone_get("-0530", 5), 0, NULL), -19800);
    assert_int_equal(dt_zone_offset(dt_zone_get("EST", 3), 0, NULL), -18000);
    assert_non_null(dt_zone_get("PST", 3));
    assert_null(dt_zone_get("Nowhere/City", 12));
    assert_null(dt_zone_get("../../etc/passwd", 16));
    assert_null(dt_zone_get("+25:00", 6));
}

/* date_format / to_timestamp etc. through the function table, one row. */
static const char *call1(kiln_arena *a, const char *name, const col_vec *in, int nargs,
                         const char *fmt, const char *tz, bool ansi)
{
    col_vec args[2] = {*in};
    bool isc[2] = {false, true};
    if (fmt) args[nargs - 1] = kt_const_str(a, fmt, 1);
    kt_res r = kt_call(a, tables, name, args, nargs, isc, 1, tz, ansi);
    char *buf = kiln_arena_alloc(a, 512);
    if (r.rc) {
        snprintf(buf, 512, "%s", r.cls ? r.cls : r.err ? r.err : "<error>");
        return buf;
    }
    if (!col_valid(&r.out, 0)) return "<null>";
    switch (r.type->kind) {
    case COL_STRING:
        return kt_out_str(a, &r.out, 0);
    case COL_DATE:
        dt_format_date(buf, COL_DATA(&r.out, int32_t)[0]);
        return buf;
    case COL_I32:
        snprintf(buf, 512, "%d", COL_DATA(&r.out, int32_t)[0]);
        return buf;
    case COL_F64:
        snprintf(buf, 512, "%.8f", COL_DATA(&r.out, double)[0]);
        return buf;
    case COL_TIMESTAMP: /* shown in UTC */
    case COL_TIMESTAMP_NTZ:
    case COL_I64:
        if (r.type->kind == COL_I64) {
            snprintf(buf, 512, "%lld", (long long)COL_DATA(&r.out, int64_t)[0]);
            return buf;
        }
        dt_format_timestamp(buf, COL_DATA(&r.out, int64_t)[0]);
        return buf;
    default:
        return "?";
    }
}

static col_vec str1(kiln_arena *a, const char *s)
{
    const char *v[1] = {s};
    return kt_strs(a, v, 1);
}
static col_vec ts1(kiln_arena *a, int64_t us)
{
    col_vec v;
    col_vec_init(&v, a, &col_type_timestamp, 1);
    v.n = 1;
    COL_DATA(&v, int64_t)[0] = us;
    return v;
}
static col_vec date1(kiln_arena *a, int y, int m, int d)
{
    col_vec v;
    col_vec_init(&v, a, &col_type_date, 1);
    v.n = 1;
    COL_DATA(&v, int32_t)[0] = (int32_t)dt_days_from_civil(y, m, d);
    return v;
}

static void test_spark_examples(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_vec v;
    v = str1(a, "2016-12-31 00:12:00");
    assert_string_equal(call1(a, "to_timestamp", &v, 1, NULL, "UTC", true), "2016-12-31 00:12:00");
    v = str1(a, "2016-12-31");
    assert_string_equal(call1(a, "to_timestamp", &v, 2, "yyyy-MM-dd", "UTC", true),
                        "2016-12-31 00:00:00");
    v = str1(a, "2009-07-30 04:17:52");
    assert_string_equal(call1(a, "to_date", &v, 1, NULL, "UTC", true), "2009-07-30");
    v = str1(a, "2016-12-31");
    assert_string_equal(call1(a, "to_date", &v, 2, "yyyy-MM-dd", "UTC", true), "2016-12-31");
    v = str1(a, "x");
    assert_string_equal(call1(a, "to_date", &v, 2, "yyyy-MM-dd", "UTC", true),
                        "[CANNOT_PARSE_TIMESTAMP] Text 'x' could not be parsed at index 0. Use "
                        "`try_to_timestamp` to tolerate invalid input string and return NULL "
                        "instead. SQLSTATE: 22007");
    assert_string_equal(call1(a, "to_date", &v, 2, "yyyy-MM-dd", "UTC", false), "<null>");
    assert_string_equal(call1(a, "try_to_timestamp", &v, 2, "yyyy-MM-dd", "UTC", true), "<null>");
    assert_non_null(strstr(call1(a, "to_date", &v, 1, NULL, "UTC", true), "CAST_INVALID_INPUT"));
    v = str1(a, "2019-02-29");
    assert_non_null(strstr(call1(a, "to_date", &v, 2, "yyyy-MM-dd", "UTC", true),
                           "Invalid date 'February 29' as '2019' is not a leap year"));
    v = str1(a, "2016-04-08");
    assert_string_equal(call1(a, "unix_timestamp", &v, 2, "yyyy-MM-dd", "UTC", true), "1460073600");
    col_vec secs = kt_const_i64(a, 0, &col_type_i64, 1);
    assert_string_equal(call1(a, "from_unixtime", &secs, 2, "yyyy-MM-dd HH:mm:ss", "UTC", true),
                        "1970-01-01 00:00:00");
    assert_string_equal(call1(a, "from_unixtime", &secs, 1, NULL, "America/Los_Angeles", true),
                        "1969-12-31 16:00:00");
    v = ts1(a, ts(2016, 4, 8, 0, 0, 0));
    assert_string_equal(call1(a, "date_format", &v, 2, "y", "UTC", true), "2016");
    v = ts1(a, ts(2024, 7, 4, 15, 5, 9) + 123456);
    assert_string_equal(call1(a, "date_format", &v, 2,
                              "yyyy-MM-dd'T'HH:mm:ss.SSSSSS EEE MMM a h VV XXX", "Europe/Berlin",
                              true),
                        "2024-07-04T17:05:09.123456 Thu Jul PM 5 Europe/Berlin +02:00");
    assert_string_equal(call1(a, "date_format", &v, 2, "EEEE, MMMM d ''yy z Z D Q", "UTC", true),
                        "Thursday, July 4 '24 UTC +0000 186 3");
    assert_string_equal(call1(a, "hour", &v, 1, NULL, "America/New_York", true), "11");
    assert_string_equal(call1(a, "hour", &v, 1, NULL, "Asia/Kolkata", true), "20");
    assert_string_equal(call1(a, "minute", &v, 1, NULL, "Asia/Kolkata", true), "35");
    v = date1(a, 2009, 7, 30);
    assert_string_equal(call1(a, "dayofweek", &v, 1, NULL, "UTC", true), "5");
    assert_string_equal(call1(a, "weekday", &v, 1, NULL, "UTC", true), "3");
    assert_string_equal(call1(a, "dayofyear", &v, 1, NULL, "UTC", true), "211");
    assert_string_equal(call1(a, "quarter", &v, 1, NULL, "UTC", true), "3");
    v = date1(a, 2008, 2, 20);
    assert_string_equal(call1(a, "weekofyear", &v, 1, NULL, "UTC", true), "8");
    v = date1(a, 2009, 1, 12);
    assert_string_equal(call1(a, "last_day", &v, 1, NULL, "UTC", true), "2009-01-31");
    v = date1(a, 2015, 1, 14);
    assert_string_equal(call1(a, "next_day", &v, 2, "TU", "UTC", true), "2015-01-20");
    assert_string_equal(call1(a, "next_day", &v, 2, "xx", "UTC", false), "<null>");
    v = date1(a, 2019, 8, 12);
    assert_string_equal(call1(a, "trunc", &v, 2, "week", "UTC", true), "2019-08-12");
    assert_string_equal(call1(a, "trunc", &v, 2, "MM", "UTC", true), "2019-08-01");
    assert_string_equal(call1(a, "trunc", &v, 2, "quarter", "UTC", true), "2019-07-01");
    assert_string_equal(call1(a, "trunc", &v, 2, "YEAR", "UTC", true), "2019-01-01");
    assert_string_equal(call1(a, "trunc", &v, 2, "hour", "UTC", true), "<null>");
    v = date1(a, 2016, 8, 31);
    col_vec args2[2] = {v, kt_const_i32(a, 1, 1)};
    kt_res r = kt_call(a, tables, "add_months", args2, 2, NULL, 1, "UTC", true);
    char buf[40];
    dt_format_date(buf, COL_DATA(&r.out, int32_t)[0]);
    assert_string_equal(buf, "2016-09-30");
    /* months_between('1997-02-28 10:30:00', '1996-10-30') = 3.94959677 */
    col_vec mb[2] = {ts1(a, ts(1997, 2, 28, 10, 30, 0)), ts1(a, ts(1996, 10, 30, 0, 0, 0))};
    r = kt_call(a, tables, "months_between", mb, 2, NULL, 1, "UTC", true);
    assert_true(COL_DATA(&r.out, double)[0] == 3.94959677);
    /* datediff('2009-07-31', '2009-07-30') = 1 */
    col_vec dd[2] = {date1(a, 2009, 7, 31), date1(a, 2009, 7, 30)};
    r = kt_call(a, tables, "datediff", dd, 2, NULL, 1, "UTC", true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 1);
    /* date_trunc('HOUR', ts) truncates the local (Kolkata, +05:30) hour. */
    col_vec tr[2] = {kt_const_str(a, "HOUR", 1), ts1(a, ts(2015, 3, 5, 9, 32, 5) + 359000)};
    bool isc[2] = {true, false};
    r = kt_call(a, tables, "date_trunc", tr, 2, isc, 1, "Asia/Kolkata", true);
    dt_format_timestamp(buf, COL_DATA(&r.out, int64_t)[0]);
    assert_string_equal(buf, "2015-03-05 09:30:00"); /* 15:02 IST -> 15:00 IST */
    /* make_date(2013, 7, 15); make_date(2019, 7, NULL) handled by the evaluator; invalid. */
    col_vec md[3] = {kt_const_i32(a, 2013, 1), kt_const_i32(a, 7, 1), kt_const_i32(a, 15, 1)};
    r = kt_call(a, tables, "make_date", md, 3, NULL, 1, "UTC", true);
    dt_format_date(buf, COL_DATA(&r.out, int32_t)[0]);
    assert_string_equal(buf, "2013-07-15");
    md[1] = kt_const_i32(a, 13, 1);
    r = kt_call(a, tables, "make_date", md, 3, NULL, 1, "UTC", true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "DATETIME_FIELD_OUT_OF_BOUNDS"));
    /* window(ts, '5 minutes') */
    col_vec wv[2] = {ts1(a, ts(2024, 1, 1, 12, 7, 30)), kt_const_str(a, "5 minutes", 1)};
    bool wc[2] = {false, true};
    r = kt_call(a, tables, "window", wv, 2, wc, 1, "UTC", true);
    assert_int_equal(r.rc, 0);
    assert_int_equal(COL_DATA(&r.out.children[0], int64_t)[0], ts(2024, 1, 1, 12, 5, 0));
    assert_int_equal(COL_DATA(&r.out.children[1], int64_t)[0], ts(2024, 1, 1, 12, 10, 0));
    /* extract */
    col_vec ex[2] = {kt_const_str(a, "SECOND", 1), ts1(a, ts(2019, 8, 12, 1, 0, 5) + 500000)};
    r = kt_call(a, tables, "extract", ex, 2, isc, 1, "UTC", true);
    assert_int_equal(r.type->kind, COL_DECIMAL);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 5500000);
    ex[0] = kt_const_str(a, "doy", 1);
    r = kt_call(a, tables, "date_part", ex, 2, isc, 1, "UTC", true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 224);
    ex[0] = kt_const_str(a, "fortnight", 1);
    r = kt_call(a, tables, "extract", ex, 2, isc, 1, "UTC", true);
    assert_string_equal(r.cls, "INVALID_EXTRACT_FIELD");
    kiln_arena_free(a);
}

/* Random instants: format with a pattern then parse it back, in several zones. */
static void test_round_trip(void **state)
{
    (void)state;
    static const char *const pats[] = {"yyyy-MM-dd HH:mm:ss.SSSSSS",
                                       "yyyyMMddHHmmssSSSSSS",
                                       "dd/MM/yyyy hh:mm:ss.SSSSSS a",
                                       "EEE, d MMM yyyy HH:mm:ss.SSSSSS XXX",
                                       "yyyy-DDD'T'HH:mm:ss.SSSSSS VV",
                                       "yyyy-MM-dd[ HH:mm:ss.SSSSSS] O"};
    static const char *const zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
                                        "+05:45"};
    kiln_arena *a = kiln_arena_new();
    srand(11);
    for (int it = 0; it < 20000; it++) {
        const char *p = pats[it % 6];
        const dt_zone *z = dt_zone_get(zones[it % 5], strlen(zones[it % 5]));
        assert_non_null(z);
        int64_t u = ((int64_t)rand() << 31 | rand()) % (INT64_C(250000000000000000)) -
                    INT64_C(2208988800000000); /* 1900 .. ~9900 */
        const dtf_pattern *pat;
        char err[200];
        assert_int_equal(dtf_compile(a, p, strlen(p), &pat, err, sizeof err), 0);
        const char *abbr;
        int32_t off = dt_zone_offset(z, u, &abbr);
        char *buf = kiln_arena_alloc(a, dtf_max_len(pat));
        size_t n = dtf_format(pat, u + (int64_t)off * DT_US_PER_SEC, z, off, abbr, buf);
        int64_t back;
        if (!dtf_parse(pat, buf, n, z, &back, err, sizeof err))
            fail_msg("%s: '%s': %s", p, buf, err);
        /* Patterns without an offset are ambiguous in an overlap hour: allow it. */
        if (back != u && !(back - u == 3600 * DT_US_PER_SEC || u - back == 3600 * DT_US_PER_SEC))
            fail_msg("%s in %s: %lld -> '%s' -> %lld", p, zones[it % 5], (long long)u, buf,
                     (long long)back);
        if (it % 1000 == 0) kiln_arena_reset(a);
    }
    kiln_arena_free(a);
}

static void test_pattern_errors(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    const dtf_pattern *p;
    char err[200];
    assert_int_equal(dtf_compile(a, "yyyy-MM-dd bb", 13, &p, err, sizeof err), KILN_EINVAL);
    assert_string_equal(err, "Unknown pattern letter: b");
    assert_int_equal(dtf_compile(a, "YYYY", 4, &p, err, sizeof err), KILN_EINVAL);
    assert_int_equal(dtf_compile(a, "'abc", 4, &p, err, sizeof err), KILN_EINVAL);
    assert_int_equal(dtf_compile(a, "aa", 2, &p, err, sizeof err), KILN_EINVAL);
    assert_int_equal(dtf_compile(a, "yyyy-MM-dd", 10, &p, err, sizeof err), 0);
    int64_t u;
    assert_false(dtf_parse(p, "2020-13-01", 10, dt_zone_utc(), &u, err, sizeof err));
    assert_string_equal(err, "Text '2020-13-01' could not be parsed: Invalid value for "
                             "MonthOfYear (valid values 1 - 12): 13");
    assert_false(dtf_parse(p, "2020-1-01", 9, dt_zone_utc(), &u, err, sizeof err));
    assert_string_equal(err, "Text '2020-1-01' could not be parsed at index 5");
    assert_false(dtf_parse(p, "2020-01-01x", 11, dt_zone_utc(), &u, err, sizeof err));
    assert_string_equal(err, "Text '2020-01-01x' could not be parsed at index 10");
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_walk), cmocka_unit_test(test_against_sqlite),
        cmocka_unit_test(test_zones),      cmocka_unit_test(test_spark_examples),
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_pattern_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
