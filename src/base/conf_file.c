/*
 * base/conf_file.c - reading Spark-style properties files
 * (kiln-defaults.conf, see conf.c) and parsing the typed values found in them:
 * sizes ("512m"), integers and booleans. Every error message quotes the
 * offending text, and for files names the file and line, so the user can
 * find and fix it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Splits one line (modified in place) into key and value. Returns 1 for a
 * pair, 0 for a blank or comment line, -1 when malformed. */
static int split_line(char *line, char **key, char **value)
{
    char *p = line;
    while (is_space(*p)) p++;
    if (*p == '\0' || *p == '#') return 0;
    char *end = p + strlen(p);
    while (end > p && is_space(end[-1])) *--end = '\0';

    char *k = p;
    while (*p != '\0' && *p != '=' && !is_space(*p)) p++;
    if (p == k) return -1; /* "=value": no key */
    bool has_eq = *p == '=';
    if (*p != '\0') *p++ = '\0';
    while (is_space(*p)) p++;
    if (!has_eq && *p == '=') { /* "key = value" */
        has_eq = true;
        p++;
        while (is_space(*p)) p++;
    }
    if (*p == '\0' && !has_eq) return -1; /* a bare key: almost certainly a mistake */
    *key = k;
    *value = p;
    return 1;
}

/* Reads the properties file at path (borrowed) and calls fn(arg, key, value,
 * line) for each pair in file order; key and value are borrowed for the
 * call only, line counts from 1. Lines are "key value", "key=value" or
 * "key = value"; leading and trailing blanks are dropped, lines starting
 * with '#' and blank lines are skipped, and "key=" gives an empty value.
 * Returns KILN_OK; fn's first nonzero result (stopping there); KILN_ENOENT
 * when the file does not exist; KILN_EIO when it cannot be read; or
 * KILN_ECONF, with "path:line: ..." in the message, for a line with no key
 * or a key with no value. */
int conf_parse_file_lines(const char *path,
                          int (*fn)(void *arg, const char *k, const char *v, int line), void *arg)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        return kiln_set_error(e == ENOENT ? KILN_ENOENT : KILN_EIO, "conf: cannot open %s: %s",
                              path, strerror(e));
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    int rc = KILN_OK;
    while (getline(&line, &cap, f) >= 0) {
        char *k, *v;
        lineno++;
        int kind = split_line(line, &k, &v);
        if (kind < 0) {
            rc = kiln_set_error(KILN_ECONF,
                                "%s:%d: malformed line '%.60s' (expected 'key value' "
                                "or 'key=value')",
                                path, lineno, line);
            break;
        }
        if (kind > 0 && (rc = fn(arg, k, v, lineno)) != 0) break;
    }
    if (rc == KILN_OK && ferror(f))
        rc = kiln_set_error(KILN_EIO, "conf: error reading %s after line %d: %s", path, lineno,
                            strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

typedef struct pair_fn {
    int (*fn)(void *arg, const char *k, const char *v);
    void *arg;
} pair_fn;

static int without_line(void *arg, const char *k, const char *v, int line)
{
    (void)line;
    pair_fn *p = arg;
    return p->fn(p->arg, k, v);
}

/* conf_parse_file_lines for a callback that needs no line numbers. */
int conf_parse_file(const char *path, int (*fn)(void *arg, const char *k, const char *v), void *arg)
{
    pair_fn p = {fn, arg};
    return conf_parse_file_lines(path, without_line, &p);
}

/* Parses a size in bytes: digits and an optional unit b, k, m, g or t (any
 * case, binary multiples, optionally followed by 'b': "512m", "4GB", "100").
 * Returns KILN_OK, KILN_EINVAL (message quotes s) or KILN_ERANGE. */
int parse_size(const char *s, int64_t *out)
{
    if (s == NULL) return kiln_set_error(KILN_EINVAL, "size: missing value");
    const char *p = s;
    uint64_t x = 0;
    if (!isdigit((unsigned char)*p)) goto bad;
    for (; isdigit((unsigned char)*p); p++) {
        if (x > (UINT64_MAX - 9) / 10) goto range;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    int shift = 0;
    switch (tolower((unsigned char)*p)) {
    case '\0':
        break;
    case 'b':
        shift = 0;
        p++;
        break;
    case 'k':
        shift = 10;
        p++;
        break;
    case 'm':
        shift = 20;
        p++;
        break;
    case 'g':
        shift = 30;
        p++;
        break;
    case 't':
        shift = 40;
        p++;
        break;
    default:
        goto bad;
    }
    if (shift > 0 && tolower((unsigned char)*p) == 'b') p++;
    if (*p != '\0') goto bad;
    if (x > ((uint64_t)INT64_MAX >> shift)) goto range;
    *out = (int64_t)(x << shift);
    return KILN_OK;
bad:
    return kiln_set_error(KILN_EINVAL,
                          "invalid size '%.60s' (expected a number of bytes with an "
                          "optional unit, e.g. 100, 1024k, 512m, 4g)",
                          s);
range:
    return kiln_set_error(KILN_ERANGE, "size '%.60s' is too large", s);
}

/* Parses a whole decimal int64 with an optional sign, nothing else around
 * it. Returns KILN_OK, KILN_EINVAL (message quotes s) or KILN_ERANGE. */
int parse_int64(const char *s, int64_t *out)
{
    if (s == NULL) return kiln_set_error(KILN_EINVAL, "integer: missing value");
    const char *digits = s + (*s == '-' || *s == '+');
    if (!isdigit((unsigned char)*digits))
        return kiln_set_error(KILN_EINVAL, "invalid integer '%.60s'", s);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0') return kiln_set_error(KILN_EINVAL, "invalid integer '%.60s'", s);
    if (errno == ERANGE) return kiln_set_error(KILN_ERANGE, "integer '%.60s' is out of range", s);
    *out = (int64_t)v;
    return KILN_OK;
}

/* Parses true/false (also yes/no, on/off, 1/0), any case. Returns KILN_OK
 * or KILN_EINVAL (message quotes s). */
int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    if (s == NULL) return kiln_set_error(KILN_EINVAL, "boolean: missing value");
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return KILN_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return KILN_OK;
        }
    }
    return kiln_set_error(KILN_EINVAL, "invalid boolean '%.60s' (expected true or false)", s);
}

/* Parses a duration as Spark writes them: a number with a unit (us, ms, s,
 * m or min, h, d), or a bare number in units of bare_seconds. Returns
 * KILN_OK with *seconds, or KILN_EINVAL for anything else (negative, no
 * number, an unknown unit, more than 1e9 units). */
int parse_duration(const char *s, double bare_seconds, double *seconds)
{
    static const struct {
        const char *unit;
        double seconds;
    } units[] = {{"us", 1e-6}, {"ms", 1e-3}, {"s", 1},    {"m", 60},
                 {"min", 60},  {"h", 3600},  {"d", 86400}};
    char *end;
    errno = 0;
    double x = s ? strtod(s, &end) : -1;
    if (!s || end == s || errno != 0 || !(x >= 0 && x <= 1e9))
        return kiln_set_error(KILN_EINVAL, "duration: bad value '%s'", s ? s : "");
    while (isspace((unsigned char)*end)) end++;
    if (*end == '\0') {
        *seconds = x * bare_seconds;
        return KILN_OK;
    }
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
        if (strcmp(end, units[u].unit) == 0) {
            *seconds = x * units[u].seconds;
            return KILN_OK;
        }
    return kiln_set_error(KILN_EINVAL, "duration: unknown unit in '%s'", s);
}
