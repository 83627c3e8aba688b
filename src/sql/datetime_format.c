/*
 * sql/datetime_format.c - Spark datetime patterns: compile, format, parse
 * (see datetime_format.h).
 */
#define _GNU_SOURCE
#include "sql/datetime_format.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kiln/error.h"

enum {
    T_LIT,
    T_ERA,     /* G */
    T_YEAR,    /* y */
    T_MONTH,   /* M L */
    T_DAY,     /* d */
    T_DOY,     /* D */
    T_QUARTER, /* Q q */
    T_DOW,     /* E */
    T_AMPM,    /* a */
    T_H12,     /* h 1-12 */
    T_H24,     /* H 0-23 */
    T_K24,     /* k 1-24 */
    T_K12,     /* K 0-11 */
    T_MIN,     /* m */
    T_SEC,     /* s */
    T_FRAC,    /* S */
    T_ZID,     /* VV */
    T_ZNAME,   /* z */
    T_OFF_Z,   /* Z */
    T_OFF_X,   /* X */
    T_OFF_x,   /* x */
    T_OFF_O,   /* O */
    T_OPT,     /* [ : jump = index of the matching T_END */
    T_END,     /* ] */
};

typedef struct dtf_tok {
    uint8_t kind;
    uint8_t count;
    uint32_t jump;
    uint32_t lit_off, lit_len;
} dtf_tok;

struct dtf_pattern {
    uint32_t ntok;
    dtf_tok *toks;
    char *lits;
    size_t max_len;
    bool has_zone;
};

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const dow_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

static int set_err(char *err, size_t cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int set_err(char *err, size_t cap, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cap) vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return code;
}

/* Letter -> kind and the largest count allowed (0: unknown). */
static int letter_kind(char c, int *max)
{
    switch (c) {
    case 'G':
        *max = 5;
        return T_ERA;
    case 'y':
        *max = 6;
        return T_YEAR;
    case 'M':
    case 'L':
        *max = 5;
        return T_MONTH;
    case 'd':
        *max = 2;
        return T_DAY;
    case 'D':
        *max = 3;
        return T_DOY;
    case 'Q':
    case 'q':
        *max = 4;
        return T_QUARTER;
    case 'E':
        *max = 5;
        return T_DOW;
    case 'a':
        *max = 1;
        return T_AMPM;
    case 'h':
        *max = 2;
        return T_H12;
    case 'H':
        *max = 2;
        return T_H24;
    case 'k':
        *max = 2;
        return T_K24;
    case 'K':
        *max = 2;
        return T_K12;
    case 'm':
        *max = 2;
        return T_MIN;
    case 's':
        *max = 2;
        return T_SEC;
    case 'S':
        *max = 9;
        return T_FRAC;
    case 'V':
        *max = 2;
        return T_ZID;
    case 'z':
        *max = 4;
        return T_ZNAME;
    case 'Z':
        *max = 5;
        return T_OFF_Z;
    case 'X':
        *max = 5;
        return T_OFF_X;
    case 'x':
        *max = 5;
        return T_OFF_x;
    case 'O':
        *max = 4;
        return T_OFF_O;
    default:
        *max = 0;
        return -1;
    }
}

int dtf_compile(kiln_arena *a, const char *pat, size_t len, const dtf_pattern **out, char *err,
                size_t errcap)
{
    if (len > 4096) return set_err(err, errcap, KILN_EINVAL, "Pattern too long");
    dtf_pattern *p = kiln_arena_alloc(a, sizeof *p);
    dtf_tok *toks = kiln_arena_alloc(a, sizeof(dtf_tok) * (len + 1));
    char *lits = kiln_arena_alloc(a, len + 1);
    if (!p || !toks || !lits) return KILN_ENOMEM;
    memset(p, 0, sizeof *p);
    uint32_t nt = 0, nl = 0, stack[64];
    int depth = 0;
    size_t maxlen = 0;
    for (size_t i = 0; i < len;) {
        char c = pat[i];
        if (isalpha((unsigned char)c)) {
            size_t j = i;
            while (j < len && pat[j] == c) j++;
            size_t cnt = j - i;
            int max, k = letter_kind(c, &max);
            if (strchr("YwWuec", c))
                return set_err(err, errcap, KILN_EINVAL,
                               "All week-based patterns are unsupported since Spark 3.0, "
                               "detected: %c, Please use the SQL function EXTRACT instead",
                               c);
            if (k < 0) return set_err(err, errcap, KILN_EINVAL, "Unknown pattern letter: %c", c);
            if (cnt > (size_t)max || (k == T_ZID && cnt != 2) ||
                (k == T_OFF_O && cnt != 1 && cnt != 4))
                return set_err(err, errcap, KILN_EINVAL, "Too many pattern letters: %c", c);
            toks[nt++] = (dtf_tok){.kind = (uint8_t)k, .count = (uint8_t)cnt};
            maxlen += 40;
            if (k >= T_ZID && k <= T_OFF_O) p->has_zone = true;
            i = j;
        } else if (c == '\'') {
            size_t j = i + 1;
            uint32_t st = nl;
            if (j < len && pat[j] == '\'') { /* '' is one quote */
                lits[nl++] = '\'';
                j++;
            } else {
                for (;;) {
                    if (j >= len)
                        return set_err(err, errcap, KILN_EINVAL,
                                       "Pattern ends with an incomplete string literal: %.*s",
                                       (int)(len > 200 ? 200 : len), pat);
                    if (pat[j] == '\'') {
                        if (j + 1 < len && pat[j + 1] == '\'') {
                            lits[nl++] = '\'';
                            j += 2;
                            continue;
                        }
                        j++;
                        break;
                    }
                    lits[nl++] = pat[j++];
                }
            }
            toks[nt++] = (dtf_tok){.kind = T_LIT, .lit_off = st, .lit_len = nl - st};
            maxlen += nl - st;
            i = j;
        } else if (c == '[') {
            if (depth == 64)
                return set_err(err, errcap, KILN_EINVAL, "Optional sections nest too deeply");
            stack[depth++] = nt;
            toks[nt++] = (dtf_tok){.kind = T_OPT};
            i++;
        } else if (c == ']') {
            if (depth == 0)
                return set_err(err, errcap, KILN_EINVAL,
                               "Pattern invalid as it contains ] without previous [");
            toks[stack[--depth]].jump = nt;
            toks[nt++] = (dtf_tok){.kind = T_END};
            i++;
        } else if (c == '{' || c == '}' || c == '#') {
            return set_err(err, errcap, KILN_EINVAL, "Pattern includes reserved character: '%c'",
                           c);
        } else {
            lits[nl] = c;
            toks[nt++] = (dtf_tok){.kind = T_LIT, .lit_off = nl, .lit_len = 1};
            nl++;
            maxlen++;
            i++;
        }
    }
    while (depth > 0) { /* an unclosed [ runs to the end (java.time's optionalEnd) */
        toks[stack[--depth]].jump = nt;
        toks[nt++] = (dtf_tok){.kind = T_END};
    }
    p->ntok = nt;
    p->toks = toks;
    p->lits = lits;
    p->max_len = maxlen + 1;
    *out = p;
    return KILN_OK;
}

size_t dtf_max_len(const dtf_pattern *p)
{
    return p->max_len;
}

bool dtf_has_zone(const dtf_pattern *p)
{
    return p->has_zone;
}

/* ---- Formatting ------------------------------------------------------------------ */

static char *put_num(char *o, int64_t v, int width)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *o++ = '-';
    for (int k = n; k < width; k++) *o++ = '0';
    while (n) *o++ = tmp[--n];
    return o;
}

static char *put_str(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

/* Offsets: hh, mm, ss of |off|. */
static char *put_offset(char *o, int32_t off, bool colon, bool secs_opt, bool mins_opt)
{
    int32_t a = off < 0 ? -off : off;
    *o++ = off < 0 ? '-' : '+';
    o = put_num(o, a / 3600, 2);
    if (mins_opt && a % 3600 == 0) return o;
    if (colon) *o++ = ':';
    o = put_num(o, a / 60 % 60, 2);
    if (a % 60 || !secs_opt) {
        if (a % 60) {
            if (colon) *o++ = ':';
            o = put_num(o, a % 60, 2);
        }
    }
    return o;
}

size_t dtf_format(const dtf_pattern *p, int64_t local_us, const dt_zone *z, int32_t off,
                  const char *abbr, char *buf)
{
    dt_fields f;
    dt_fields_from_us(local_us, &f);
    char *o = buf;
    for (uint32_t i = 0; i < p->ntok; i++) {
        const dtf_tok *t = &p->toks[i];
        int c = t->count;
        switch (t->kind) {
        case T_LIT:
            o = put_str(o, p->lits + t->lit_off, t->lit_len);
            break;
        case T_OPT:
        case T_END:
            break;
        case T_ERA:
            o = c == 4
                    ? put_str(o, f.year > 0 ? "Anno Domini" : "Before Christ", f.year > 0 ? 11 : 13)
                : c == 5 ? put_str(o, f.year > 0 ? "A" : "B", 1)
                         : put_str(o, f.year > 0 ? "AD" : "BC", 2);
            break;
        case T_YEAR:
            if (c == 2) {
                o = put_num(o, dt_floormod(f.year, 100), 2);
            } else {
                if (c >= 4 && f.year > 0 && f.year >= (c == 4 ? 10000 : c == 5 ? 100000 : 1000000))
                    *o++ = '+';
                o = put_num(o, f.year, c);
            }
            break;
        case T_MONTH:
            if (c <= 2) o = put_num(o, f.month, c);
            else
                o = put_str(o, month_names[f.month - 1],
                            c == 3   ? 3
                            : c == 5 ? 1
                                     : strlen(month_names[f.month - 1]));
            break;
        case T_DAY:
            o = put_num(o, f.day, c);
            break;
        case T_DOY:
            o = put_num(o, f.doy, c);
            break;
        case T_QUARTER: {
            int q = (f.month - 1) / 3 + 1;
            if (c <= 2) {
                o = put_num(o, q, c);
            } else if (c == 3) {
                *o++ = 'Q';
                o = put_num(o, q, 1);
            } else {
                static const char *const qn[] = {"1st quarter", "2nd quarter", "3rd quarter",
                                                 "4th quarter"};
                o = put_str(o, qn[q - 1], 11);
            }
            break;
        }
        case T_DOW: {
            const char *n = dow_names[f.dow - 1];
            o = put_str(o, n, c <= 3 ? 3 : c == 5 ? 1 : strlen(n));
            break;
        }
        case T_AMPM:
            o = put_str(o, f.hour < 12 ? "AM" : "PM", 2);
            break;
        case T_H12:
            o = put_num(o, f.hour % 12 == 0 ? 12 : f.hour % 12, c);
            break;
        case T_H24:
            o = put_num(o, f.hour, c);
            break;
        case T_K24:
            o = put_num(o, f.hour == 0 ? 24 : f.hour, c);
            break;
        case T_K12:
            o = put_num(o, f.hour % 12, c);
            break;
        case T_MIN:
            o = put_num(o, f.minute, c);
            break;
        case T_SEC:
            o = put_num(o, f.second, c);
            break;
        case T_FRAC: {
            char nine[10];
            put_num(nine, (int64_t)f.micros * 1000, 9);
            o = put_str(o, nine, (size_t)c);
            break;
        }
        case T_ZID: {
            const char *id = z ? dt_zone_id(z) : "UTC";
            o = put_str(o, id, strlen(id));
            break;
        }
        case T_ZNAME: {
            const char *n = c == 4 ? (z ? dt_zone_id(z) : "UTC")
                            : abbr ? abbr
                            : z    ? dt_zone_id(z)
                                   : "UTC";
            size_t nn = strnlen(n, 63);
            o = put_str(o, n, nn);
            break;
        }
        case T_OFF_Z:
            if (c <= 3) {
                o = put_offset(o, off, false, true, false);
            } else if (c == 4) {
                o = put_str(o, "GMT", 3);
                if (off) o = put_offset(o, off, true, true, false);
            } else if (off == 0) {
                *o++ = 'Z';
            } else {
                o = put_offset(o, off, true, true, false);
            }
            break;
        case T_OFF_X:
        case T_OFF_x:
            if (t->kind == T_OFF_X && off == 0) {
                *o++ = 'Z';
                break;
            }
            o = put_offset(o, off, c == 3 || c == 5, true, c == 1);
            break;
        case T_OFF_O:
            o = put_str(o, "GMT", 3);
            if (off) {
                int32_t a = off < 0 ? -off : off;
                if (c == 4) {
                    o = put_offset(o, off, true, true, false);
                } else {
                    *o++ = off < 0 ? '-' : '+';
                    o = put_num(o, a / 3600, 1);
                    if (a % 3600) {
                        *o++ = ':';
                        o = put_num(o, a / 60 % 60, 2);
                        if (a % 60) {
                            *o++ = ':';
                            o = put_num(o, a % 60, 2);
                        }
                    }
                }
            }
            break;
        }
    }
    *o = 0;
    return (size_t)(o - buf);
}

/* ---- Parsing ---------------------------------------------------------------------- */

typedef struct parsed {
    int64_t year;
    int month, day, doy, dow, quarter;
    int h24, h12, k24, k12, ampm, minute, second;
    int64_t nanos;
    int era;
    bool has_year, has_yy, has_month, has_day, has_doy, has_dow, has_quarter;
    bool has_h24, has_h12, has_k24, has_k12, has_ampm, has_min, has_sec, has_era;
    bool has_off, has_zone;
    int32_t off;
    const dt_zone *zone;
} parsed;

static bool is_num_tok(const dtf_tok *t)
{
    switch (t->kind) {
    case T_YEAR:
    case T_DAY:
    case T_DOY:
    case T_H12:
    case T_H24:
    case T_K24:
    case T_K12:
    case T_MIN:
    case T_SEC:
    case T_FRAC:
        return true;
    case T_MONTH:
    case T_QUARTER:
        return t->count <= 2;
    default:
        return false;
    }
}

/* Widths of a numeric token when parsing. */
static void num_widths(const dtf_tok *t, int *mn, int *mx)
{
    int c = t->count;
    switch (t->kind) {
    case T_YEAR:
        *mn = c == 2 ? 2 : c;
        *mx = c == 2 ? 2 : 10;
        break;
    case T_DOY:
        *mn = c;
        *mx = 3;
        break;
    case T_FRAC:
        *mn = 1;
        *mx = c;
        break;
    default:
        *mn = c;
        *mx = 2;
        break;
    }
}

static bool match_ci(const char *s, size_t len, size_t i, const char *w, size_t wn)
{
    return i + wn <= len && strncasecmp(s + i, w, wn) == 0;
}

/* Matches one of names (full or, with abbr, first 3 letters) at s[i];
 * returns index or -1, *n the length matched. */
static int match_name(const char *s, size_t len, size_t i, const char *const *names, int cnt,
                      int count, size_t *n)
{
    for (int k = 0; k < cnt; k++) {
        size_t wn = count == 4 ? strlen(names[k]) : count == 5 ? 1 : 3;
        if (match_ci(s, len, i, names[k], wn)) {
            *n = wn;
            return k;
        }
    }
    return -1;
}

/* An offset in the style of token t at s[*pi]. */
static bool parse_off_tok(const dtf_tok *t, const char *s, size_t len, size_t *pi, int32_t *off)
{
    size_t i = *pi;
    int c = t->count;
    if (t->kind == T_OFF_O || (t->kind == T_OFF_Z && c == 4)) {
        if (!match_ci(s, len, i, "GMT", 3)) return false;
        i += 3;
        if (i >= len || (s[i] != '+' && s[i] != '-')) {
            *off = 0;
            *pi = i;
            return true;
        }
    } else if ((t->kind == T_OFF_X || (t->kind == T_OFF_Z && c == 5)) && i < len &&
               (s[i] == 'Z' || s[i] == 'z')) {
        *off = 0;
        *pi = i + 1;
        return true;
    }
    if (i >= len || (s[i] != '+' && s[i] != '-')) return false;
    int sign = s[i] == '-' ? -1 : 1;
    i++;
    int v[3] = {0, 0, 0}, np = 0;
    bool colon = (t->kind == T_OFF_X || t->kind == T_OFF_x) ? (c == 3 || c == 5)
                 : t->kind == T_OFF_Z                       ? c >= 4
                                                            : true;
    bool onedigit_hour = t->kind == T_OFF_O;
    for (; np < 3; np++) {
        if (np > 0) {
            if (colon) {
                if (i >= len || s[i] != ':') break;
                i++;
            }
        }
        int nd = 0, x = 0;
        int maxd = (np == 0 && onedigit_hour) ? 2 : 2;
        while (i < len && isdigit((unsigned char)s[i]) && nd < maxd)
            x = x * 10 + (s[i++] - '0'), nd++;
        if (nd == 0 || (nd == 1 && !(np == 0 && onedigit_hour))) {
            if (np == 0) return false;
            i -= (size_t)nd + (colon ? 1 : 0);
            break;
        }
        v[np] = x;
    }
    if (v[0] > 18 || v[1] > 59 || v[2] > 59) return false;
    *off = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    *pi = i;
    return true;
}

/* The longest zone id at s[*pi]. */
static bool parse_zone_id(const char *s, size_t len, size_t *pi, const dt_zone **z)
{
    size_t i = *pi, j = i;
    while (j < len && j - i < 63 && (isalnum((unsigned char)s[j]) || strchr("/_+-:", s[j]) != NULL))
        j++;
    for (; j > i; j--) {
        const dt_zone *zz = dt_zone_get(s + i, j - i);
        if (zz) {
            *z = zz;
            *pi = j;
            return true;
        }
    }
    return false;
}

static int tok_parse(const dtf_pattern *p, const dtf_tok *t, uint32_t ti, const char *s, size_t len,
                     size_t *pi, parsed *r)
{
    size_t i = *pi;
    if (is_num_tok(t)) {
        int mn, mx;
        num_widths(t, &mn, &mx);
        /* Adjacent value parsing: leave room for fixed-width numbers right after. */
        int reserve = 0;
        for (uint32_t k = ti + 1; k < p->ntok && is_num_tok(&p->toks[k]); k++) {
            int a, b;
            num_widths(&p->toks[k], &a, &b);
            reserve += p->toks[k].kind == T_FRAC ? b : a; /* a trailing fraction: full width */
        }
        int sign = 1;
        if (t->kind == T_YEAR && t->count != 2 && i < len && (s[i] == '-' || s[i] == '+'))
            sign = s[i++] == '-' ? -1 : 1;
        size_t avail = 0;
        while (i + avail < len && isdigit((unsigned char)s[i + avail]) && avail < 64) avail++;
        int take = (int)avail - reserve;
        if (take > mx) take = mx;
        if (take < mn) return -1;
        int64_t v = 0;
        for (int k = 0; k < take; k++) v = v * 10 + (s[i + k] - '0');
        i += (size_t)take;
        switch (t->kind) {
        case T_YEAR:
            r->has_year = true;
            r->has_yy = t->count == 2;
            r->year = t->count == 2 ? 2000 + v : sign * v;
            break;
        case T_MONTH:
            r->has_month = true, r->month = (int)v;
            break;
        case T_DAY:
            r->has_day = true, r->day = (int)v;
            break;
        case T_DOY:
            r->has_doy = true, r->doy = (int)v;
            break;
        case T_QUARTER:
            r->has_quarter = true, r->quarter = (int)v;
            break;
        case T_H12:
            r->has_h12 = true, r->h12 = (int)v;
            break;
        case T_H24:
            r->has_h24 = true, r->h24 = (int)v;
            break;
        case T_K24:
            r->has_k24 = true, r->k24 = (int)v;
            break;
        case T_K12:
            r->has_k12 = true, r->k12 = (int)v;
            break;
        case T_MIN:
            r->has_min = true, r->minute = (int)v;
            break;
        case T_SEC:
            r->has_sec = true, r->second = (int)v;
            break;
        case T_FRAC:
            for (int k = take; k < 9; k++) v *= 10;
            r->nanos = v;
            break;
        }
        *pi = i;
        return 0;
    }
    size_t n = 0;
    int k;
    switch (t->kind) {
    case T_LIT:
        if (!match_ci(s, len, i, p->lits + t->lit_off, t->lit_len)) return -1;
        i += t->lit_len;
        break;
    case T_ERA: {
        static const char *const e4[] = {"Before Christ", "Anno Domini"};
        static const char *const e3[] = {"BC", "AD"};
        if (t->count == 4) k = match_name(s, len, i, e4, 2, 4, &n);
        else k = match_name(s, len, i, e3, 2, 4, &n);
        if (k < 0) return -1;
        r->has_era = true;
        r->era = k;
        i += n;
        break;
    }
    case T_MONTH:
        if ((k = match_name(s, len, i, month_names, 12, t->count, &n)) < 0) return -1;
        r->has_month = true;
        r->month = k + 1;
        i += n;
        break;
    case T_QUARTER:
        if (t->count == 3 && i + 1 < len && (s[i] == 'Q' || s[i] == 'q') && s[i + 1] >= '1' &&
            s[i + 1] <= '4') {
            r->has_quarter = true;
            r->quarter = s[i + 1] - '0';
            i += 2;
        } else if (t->count == 4 && i < len && s[i] >= '1' && s[i] <= '4' &&
                   match_ci(s, len, i + 3, " quarter", 8)) {
            r->has_quarter = true;
            r->quarter = s[i] - '0';
            i += 11;
        } else {
            return -1;
        }
        break;
    case T_DOW:
        if ((k = match_name(s, len, i, dow_names, 7, t->count <= 3 ? 3 : t->count, &n)) < 0)
            return -1;
        r->has_dow = true;
        r->dow = k + 1;
        i += n;
        break;
    case T_AMPM:
        if (match_ci(s, len, i, "AM", 2)) r->ampm = 0;
        else if (match_ci(s, len, i, "PM", 2)) r->ampm = 1;
        else return -1;
        r->has_ampm = true;
        i += 2;
        break;
    case T_ZID:
    case T_ZNAME:
        if (!parse_zone_id(s, len, &i, &r->zone)) return -1;
        r->has_zone = true;
        r->has_off = false;
        break;
    case T_OFF_Z:
    case T_OFF_X:
    case T_OFF_x:
    case T_OFF_O:
        if (!parse_off_tok(t, s, len, &i, &r->off)) return -1;
        r->has_off = true;
        r->has_zone = false;
        break;
    }
    *pi = i;
    return 0;
}

static bool field_err(char *err, size_t cap, const char *s, size_t len, const char *what,
                      const char *range, int64_t v)
{
    set_err(err, cap, 0,
            "Text '%.*s' could not be parsed: Invalid value for %s (valid values %s): %lld",
            (int)(len > 200 ? 200 : len), s, what, range, (long long)v);
    return false;
}

bool dtf_parse(const dtf_pattern *p, const char *s, size_t len, const dt_zone *dflt, int64_t *us,
               char *err, size_t errcap)
{
    parsed r;
    memset(&r, 0, sizeof r);
    size_t i = 0, fail_at = 0;
    /* Saved state for each open optional section. */
    struct {
        size_t i;
        parsed r;
        uint32_t end;
    } opt[64];
    int nopt = 0;
    for (uint32_t ti = 0; ti < p->ntok; ti++) {
        const dtf_tok *t = &p->toks[ti];
        if (t->kind == T_OPT) {
            if (nopt < 64) {
                opt[nopt].i = i;
                opt[nopt].r = r;
                opt[nopt].end = t->jump;
                nopt++;
            }
            continue;
        }
        if (t->kind == T_END) {
            if (nopt > 0) nopt--;
            continue;
        }
        size_t at = i;
        if (tok_parse(p, t, ti, s, len, &i, &r) < 0) {
            if (nopt > 0) { /* skip the innermost optional section */
                nopt--;
                i = opt[nopt].i;
                r = opt[nopt].r;
                ti = opt[nopt].end;
                continue;
            }
            fail_at = at;
            goto syntax;
        }
    }
    if (i != len) {
        fail_at = i;
        goto syntax;
    }

    /* Resolve (java.time's STRICT resolver, Spark's defaults for missing fields). */
    int64_t year = r.has_year ? r.year : 1970;
    if (r.has_era && r.era == 0 && r.has_year && !r.has_yy) year = 1 - year;
    int month = r.has_month ? r.month : 1, day = r.has_day ? r.day : 1;
    if (r.has_month && (month < 1 || month > 12))
        return field_err(err, errcap, s, len, "MonthOfYear", "1 - 12", month);
    if (r.has_day && (day < 1 || day > 31))
        return field_err(err, errcap, s, len, "DayOfMonth", "1 - 28/31", day);
    if (r.has_quarter && (r.quarter < 1 || r.quarter > 4))
        return field_err(err, errcap, s, len, "QuarterOfYear", "1 - 4", r.quarter);
    if (r.has_year && (year > 999999 || year < -999999))
        return field_err(err, errcap, s, len, "Year", "-999999999 - 999999999", year);
    int64_t days;
    if (r.has_doy) {
        if (r.doy < 1 || r.doy > 366)
            return field_err(err, errcap, s, len, "DayOfYear", "1 - 365/366", r.doy);
        if (r.doy == 366 && !dt_is_leap(year)) {
            set_err(err, errcap, 0,
                    "Text '%.*s' could not be parsed: Invalid date 'DayOfYear 366' as '%lld' "
                    "is not a leap year",
                    (int)(len > 200 ? 200 : len), s, (long long)year);
            return false;
        }
        days = dt_days_from_civil(year, 1, 1) + r.doy - 1;
        int64_t y2;
        int m2, d2;
        dt_civil_from_days(days, &y2, &m2, &d2);
        if ((r.has_month && m2 != month) || (r.has_day && d2 != day)) {
            set_err(err, errcap, 0,
                    "Text '%.*s' could not be parsed: Conflict found: day of "
                    "year %d differs from month %d day %d",
                    (int)(len > 200 ? 200 : len), s, r.doy, month, day);
            return false;
        }
    } else {
        if (!dt_valid_date(year, month, day)) {
            static const char *const up[] = {"JANUARY",   "FEBRUARY", "MARCH",    "APRIL",
                                             "MAY",       "JUNE",     "JULY",     "AUGUST",
                                             "SEPTEMBER", "OCTOBER",  "NOVEMBER", "DECEMBER"};
            if (month == 2 && day == 29)
                set_err(err, errcap, 0,
                        "Text '%.*s' could not be parsed: Invalid date 'February 29' as "
                        "'%lld' is not a leap year",
                        (int)(len > 200 ? 200 : len), s, (long long)year);
            else
                set_err(err, errcap, 0, "Text '%.*s' could not be parsed: Invalid date '%s %d'",
                        (int)(len > 200 ? 200 : len), s, up[month - 1], day);
            return false;
        }
        days = dt_days_from_civil(year, month, day);
    }
    if (r.has_quarter && (month - 1) / 3 + 1 != r.quarter && r.has_month) {
        set_err(err, errcap, 0,
                "Text '%.*s' could not be parsed: Conflict found: QuarterOfYear "
                "%d differs from QuarterOfYear %d",
                (int)(len > 200 ? 200 : len), s, r.quarter, (month - 1) / 3 + 1);
        return false;
    }
    if (r.has_dow) {
        int dow = (int)dt_floormod(days + 3, 7) + 1;
        if (dow != r.dow) {
            set_err(err, errcap, 0,
                    "Text '%.*s' could not be parsed: Conflict found: Field DayOfWeek %d "
                    "differs from DayOfWeek %d derived from the date",
                    (int)(len > 200 ? 200 : len), s, dow, r.dow);
            return false;
        }
    }
    int hour = 0;
    if (r.has_h24) {
        if (r.h24 > 23) return field_err(err, errcap, s, len, "HourOfDay", "0 - 23", r.h24);
        hour = r.h24;
    } else if (r.has_k24) {
        if (r.k24 < 1 || r.k24 > 24)
            return field_err(err, errcap, s, len, "ClockHourOfDay", "1 - 24", r.k24);
        hour = r.k24 == 24 ? 0 : r.k24;
    } else if (r.has_h12) {
        if (r.h12 < 1 || r.h12 > 12)
            return field_err(err, errcap, s, len, "ClockHourOfAmPm", "1 - 12", r.h12);
        hour = r.h12 % 12 + (r.has_ampm && r.ampm ? 12 : 0);
    } else if (r.has_k12) {
        if (r.k12 > 11) return field_err(err, errcap, s, len, "HourOfAmPm", "0 - 11", r.k12);
        hour = r.k12 + (r.has_ampm && r.ampm ? 12 : 0);
    }
    if (r.minute > 59) return field_err(err, errcap, s, len, "MinuteOfHour", "0 - 59", r.minute);
    if (r.second > 59) return field_err(err, errcap, s, len, "SecondOfMinute", "0 - 59", r.second);
    int64_t local = days * DT_US_PER_DAY + hour * DT_US_PER_HOUR + r.minute * DT_US_PER_MIN +
                    r.second * DT_US_PER_SEC + r.nanos / 1000;
    if (!dflt) *us = local;
    else if (r.has_off) *us = local - (int64_t)r.off * DT_US_PER_SEC;
    else if (r.has_zone) *us = dt_zone_to_utc(r.zone, local);
    else *us = dt_zone_to_utc(dflt, local);
    return true;

syntax:
    set_err(err, errcap, 0, "Text '%.*s' could not be parsed at index %zu",
            (int)(len > 200 ? 200 : len), s, fail_at);
    return false;
}
