/*
 * sql/datetime.h - the calendar and time zones under SQL's date and
 * timestamp functions: proleptic Gregorian civil dates <-> days since
 * 1970-01-01, microseconds <-> fields, and time zones (UTC, fixed offsets
 * such as "+02:00" or "UTC+2", and IANA names read from the system's TZif
 * files under /usr/share/zoneinfo, v2+ with the POSIX TZ rule of their
 * footer for instants after the last transition).
 *
 * A date is int32 days since 1970-01-01; a timestamp int64 microseconds
 * since 1970-01-01 00:00 UTC; a "local" value is the same count on a wall
 * clock (timestamp_ntz, or a timestamp shifted into a zone).
 *
 * Zones are loaded once per name and kept for the life of the process in a
 * small cache guarded by a mutex; a dt_zone is immutable and may be used by
 * any thread without locking. Never calls setenv("TZ") or localtime.
 */
#ifndef KILN_SQL_DATETIME_H
#define KILN_SQL_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define DT_US_PER_SEC INT64_C(1000000)
#define DT_US_PER_MIN (60 * DT_US_PER_SEC)
#define DT_US_PER_HOUR (3600 * DT_US_PER_SEC)
#define DT_US_PER_DAY (86400 * DT_US_PER_SEC)

/* Floor division and modulo (the remainder has the divisor's sign). */
static inline int64_t dt_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline int64_t dt_floormod(int64_t a, int64_t b)
{
    return a - dt_floordiv(a, b) * b;
}

bool dt_is_leap(int64_t year);
/* Days in month m (1..12) of year. */
int dt_days_in_month(int64_t year, int month);
/* Days since 1970-01-01 of the proleptic Gregorian date (month 1..12, day
 * 1..31; not validated). Exact for any year that fits. */
int64_t dt_days_from_civil(int64_t year, int month, int day);
/* The civil date of days since 1970-01-01. */
void dt_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* Whether year-month-day is a real date. */
bool dt_valid_date(int64_t year, int month, int day);

/* A wall-clock instant split into fields. */
typedef struct dt_fields {
    int64_t year;
    int month, day;           /* 1..12, 1..31 */
    int hour, minute, second; /* 0..23, 0..59, 0..59 */
    int micros;               /* 0..999999 */
    int dow;                  /* ISO day of week: 1 = Monday .. 7 = Sunday */
    int doy;                  /* 1..366 */
} dt_fields;

/* Fields of local microseconds (a timestamp_ntz, or a timestamp plus its
 * zone's offset). */
void dt_fields_from_us(int64_t local_us, dt_fields *f);
/* Fields of a date (time fields zero). */
void dt_fields_from_days(int64_t days, dt_fields *f);
/* Local microseconds of fields (year, month, day, hour, minute, second,
 * micros; dow and doy are ignored). Not validated. Returns false when the
 * result does not fit in int64. */
bool dt_us_from_fields(const dt_fields *f, int64_t *out);
/* ISO 8601 week of year (1..53) of days since the epoch. */
int dt_iso_week(int64_t days);

/* ---- Time zones ---------------------------------------------------------------- */

typedef struct dt_zone dt_zone;

/* The zone named name[0..len): "UTC", "Z", "GMT", offsets ("+02:00", "-5",
 * "+0530", "UTC+2", "GMT-03:30"), Java's short ids ("PST", "EST", ...) and
 * IANA names ("Europe/Berlin") read from /usr/share/zoneinfo (or the
 * directory in $TZDIR). Returns borrowed, valid for the life of the
 * process, or NULL when unknown. Thread-safe. */
const dt_zone *dt_zone_get(const char *name, size_t len);
/* The UTC zone (never NULL). */
const dt_zone *dt_zone_utc(void);
/* The zone's id as Java prints it ("Europe/Berlin", "+02:00", "UTC"). */
const char *dt_zone_id(const dt_zone *z);
/* The zone's offset from UTC in seconds at the instant utc_us; *abbr (when
 * not NULL) gets its abbreviation ("CEST"; for fixed zones the id). */
int32_t dt_zone_offset(const dt_zone *z, int64_t utc_us, const char **abbr);
/* UTC microseconds of local wall-clock microseconds in z, resolved as
 * java.time does: in a gap (spring forward) the time moves later by the
 * length of the gap, in an overlap the earlier offset wins. */
int64_t dt_zone_to_utc(const dt_zone *z, int64_t local_us);
static inline int64_t dt_zone_to_local(const dt_zone *z, int64_t utc_us)
{
    return utc_us + (int64_t)dt_zone_offset(z, utc_us, NULL) * DT_US_PER_SEC;
}
/* Parses a fixed offset ("+02:00", "-5", "+0530", "+01:02:03"; no prefix)
 * into seconds. Returns false when s[0..len) is not one (|offset| <= 18 h). */
bool dt_parse_offset(const char *s, size_t len, int32_t *secs);

/* ---- Strings to dates and timestamps (Spark's CAST rules) ------------------------------ */

/* Spark's cast of a string to date: trimmed, "[+-]yyyy[y..]",
 * "yyyy-[m]m", "yyyy-[m]m-[d]d", then optionally " ..." or "T...".
 * Returns false when s is not a date. */
bool dt_parse_date(const char *s, size_t len, int32_t *days);
/* Spark's cast of a string to timestamp: a date as above, optionally
 * followed by ' ' or 'T' and "[h]h:[m]m:[s]s[.fraction]" and a zone ("Z",
 * "+hh:mm", "UTC+1", " Europe/Berlin"), or a time alone ("T12:30" or
 * "12:30:00" on today's date, which is taken from now_days). Without a
 * zone the time is local to dflt (NULL: the result is wall-clock, for
 * timestamp_ntz, and a zone in the text is ignored). Returns false when s
 * is not a timestamp. */
bool dt_parse_timestamp(const char *s, size_t len, const dt_zone *dflt, int64_t now_days,
                        int64_t *us);

/* Appends "yyyy-MM-dd" of days to buf (room for 16 bytes); returns its length. */
int dt_format_date(char *buf, int64_t days);
/* Appends "yyyy-MM-dd HH:mm:ss[.ffffff]" (fraction trimmed of trailing
 * zeros, as Spark's cast to string) of local microseconds; buf has room for
 * 40 bytes. Returns the length. */
int dt_format_timestamp(char *buf, int64_t local_us);

#pragma GCC visibility pop
#endif
