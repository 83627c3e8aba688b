/*
 * sql/datetime_format.h - Spark's datetime patterns
 * (sql-ref-datetime-pattern.html), compiled once into a token list and used
 * to format timestamps (date_format, from_unixtime) and to parse strings
 * (to_date, to_timestamp, unix_timestamp).
 *
 * Letters: G y M L d D Q q E a h H k K m s S(1..9) VV z Z X x O; text in
 * single quotes ('' is a quote); [ ] optional sections (formatting prints
 * them, parsing tries them and skips them when they do not match). Parsing
 * is case-insensitive, must consume the whole text, and resolves strictly
 * (2019-02-29 is an error) as Spark's formatter does. Week-based letters
 * (Y w W u e c) and A n N p B are refused as Spark refuses them.
 */
#ifndef KILN_SQL_DATETIME_FORMAT_H
#define KILN_SQL_DATETIME_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/value.h"
#include "sql/datetime.h"

#pragma GCC visibility push(hidden)

typedef struct dtf_pattern dtf_pattern;

/* Compiles pat[0..len) into *out, allocated in a (lives as long as a).
 * Returns KILN_OK, KILN_ENOMEM, or KILN_EINVAL with a message (e.g.
 * "Unknown pattern letter: b") in err[0..errcap). */
int dtf_compile(kiln_arena *a, const char *pat, size_t len, const dtf_pattern **out, char *err,
                size_t errcap);
/* The most bytes dtf_format can write for p. */
size_t dtf_max_len(const dtf_pattern *p);
/* Whether p has a zone or offset field (VV z Z X x O). */
bool dtf_has_zone(const dtf_pattern *p);
/* Formats local microseconds local_us, in zone z (for VV; NULL: none)
 * whose offset at that instant is off seconds and abbreviation abbr (NULL:
 * the zone id), into buf (room for dtf_max_len bytes). Returns the length. */
size_t dtf_format(const dtf_pattern *p, int64_t local_us, const dt_zone *z, int32_t off,
                  const char *abbr, char *buf);
/* Parses s[0..len). With dflt, *us is a UTC timestamp (a zone or offset
 * in the text wins over dflt); without, it is the wall-clock value and a
 * zone in the text is ignored. Returns false with Java's message in
 * err[0..errcap) ("Text '...' could not be parsed at index 5", "Text '...'
 * could not be parsed: Invalid value for MonthOfYear (valid values 1 - 12):
 * 13"). */
bool dtf_parse(const dtf_pattern *p, const char *s, size_t len, const dt_zone *dflt, int64_t *us,
               char *err, size_t errcap);

#pragma GCC visibility pop
#endif
