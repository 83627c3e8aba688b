/*
 * datasource/csv_scan.c - the CSV tokenizer, the hot loop of CSV reading:
 * one record at a time over a byte window, fields as spans of the window
 * (no copy), following univocity's parser as Spark configures it: a field
 * that starts with the quote character is quoted; inside it the escape
 * character (\ by default) before a quote or an escape, and a doubled quote,
 * stand for the character; a closing quote followed by other text keeps
 * that text (STOP_AT_DELIMITER); empty lines are skipped, and lines that
 * start with the comment character. Without multiLine a line end ends the
 * record even inside quotes (Spark splits such a record in two); with it, a
 * quoted field runs over line ends.
 *
 * The common record (one-byte separator, no quote character in the line)
 * takes tokenize_plain: 16 bytes at a time (SSE2, x86-64's baseline; a byte
 * loop elsewhere and for the last bytes of the window), one bit mask each
 * for separators, line ends and quotes. A quote anywhere in the line sends
 * the record to the general loop, which gives the same fields for every
 * record the fast path takes (tests/unit/test_ds_csv.c compares them).
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "datasource/csv_int.h"

/* Frees r's field array. */
void csv_rec_release(csv_rec *r)
{
    free(r->f);
    memset(r, 0, sizeof *r);
}

static int push_slow(csv_rec *r, const csv_opts *c, uint32_t off, uint32_t len, uint32_t flags)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 64;
        csv_field *f = realloc(r->f, (size_t)cap * sizeof *f);
        if (!f) return kiln_set_error(KILN_ENOMEM, "out of memory tokenizing CSV");
        r->f = f;
        r->cap = cap;
    }
    if (r->n >= c->max_columns)
        return kiln_set_error(KILN_ECORRUPT,
                              "a CSV record has more than %lld columns (option maxColumns)",
                              (long long)c->max_columns);
    if (c->max_chars >= 0 && len > c->max_chars)
        return kiln_set_error(KILN_ECORRUPT,
                              "a CSV field has more than %lld characters (option "
                              "maxCharsPerColumn)",
                              (long long)c->max_chars);
    r->f[r->n].off = off;
    r->f[r->n].len = len;
    r->f[r->n].flags = flags;
    r->n++;
    return KILN_OK;
}

/* Appends a field: the common case inline, growth and limits out of line. */
static inline int push(csv_rec *r, const csv_opts *c, uint32_t off, uint32_t len, uint32_t flags)
{
    if (r->n < r->cap && r->n < c->max_columns && (c->max_chars < 0 || len <= c->max_chars)) {
        csv_field *f = &r->f[r->n++];
        f->off = off;
        f->len = len;
        f->flags = flags;
        return KILN_OK;
    }
    return push_slow(r, c, off, len, flags);
}

/* Length of the line end at q: lineSep, or "\n" / "\r\n". */
size_t csv_line_end(const csv_opts *c, const char *q, const char *end)
{
    if (q >= end) return 0;
    if (c->linesep) return *q == c->linesep;
    if (*q == '\n') return 1;
    if (*q == '\r' && q + 1 < end && q[1] == '\n') return 2;
    return 0;
}

static inline bool at_sep(const csv_opts *c, const char *q, const char *end)
{
    return *q == c->sep[0] && (c->seplen == 1 || ((size_t)(end - q) >= c->seplen &&
                                                  memcmp(q, c->sep, c->seplen) == 0));
}

static inline bool blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

#define PLAIN_NO INT64_MIN

/* Ends the plain record at the line end at: the last field and raw_len,
 * without a '\r' before a "\n" line end. */
static inline int64_t plain_end(const csv_opts *c, const char *p, const char *q, const char *at,
                                csv_rec *r, int *rc)
{
    const char *fe = at;
    if (!c->linesep && fe > q && fe[-1] == '\r') fe--;
    if ((*rc = push(r, c, (uint32_t)(q - p), (uint32_t)(fe - q), 0))) return *rc;
    const char *re = at;
    if (!c->linesep && re > p && re[-1] == '\r') re--;
    r->raw_len = (uint32_t)(re - p);
    return at + 1 - p;
}

/* The record at p without quotes: its length with the line end, 0 if
 * more input is needed, PLAIN_NO (r->n undefined) for the general loop,
 * or an error of push. */
static int64_t tokenize_plain(const csv_opts *c, const char *p, const char *end, bool eof,
                              csv_rec *r)
{
    const char sep = c->sep[0], nl = c->linesep ? c->linesep : '\n';
    const char quote = c->quote ? c->quote : nl;
    const char *q = p, *s = p;
    int rc = 0;
#ifdef __SSE2__
    const __m128i vs = _mm_set1_epi8(sep), vn = _mm_set1_epi8(nl), vq = _mm_set1_epi8(quote);
    while (end - s >= 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned ms = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vs));
        unsigned stop = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(b, vn), _mm_cmpeq_epi8(b, vq)));
        /* Separators before the first stop byte are fields; the stop ends
         * the record (a line end) or the fast path (a quote). */
        unsigned before = stop ? ms & ((stop & -stop) - 1) : ms;
        while (before) {
            const char *at = s + __builtin_ctz(before);
            if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(at - q), 0))) return rc;
            q = at + 1;
            before &= before - 1;
        }
        if (stop) {
            const char *at = s + __builtin_ctz(stop);
            if (*at != nl) return PLAIN_NO;
            int64_t used = plain_end(c, p, q, at, r, &rc);
            return rc ? rc : used;
        }
        s += 16;
    }
#endif
    for (; s < end; s++) {
        char ch = *s;
        if (ch == sep) {
            if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(s - q), 0))) return rc;
            q = s + 1;
        } else if (ch == nl) {
            int64_t used = plain_end(c, p, q, s, r, &rc);
            return rc ? rc : used;
        } else if (ch == quote) {
            return PLAIN_NO;
        }
    }
    if (!eof) return 0;
    if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(end - q), 0))) return rc;
    r->raw_len = (uint32_t)(end - p);
    return end - p;
}

/* Tokenizes one record (see csv_int.h). */
int64_t csv_tokenize(const csv_opts *c, const char *p, const char *end, bool eof, csv_rec *r)
{
    const char nl = c->linesep ? c->linesep : '\n';
    const char s0 = c->sep[0];
    const char *q = p;
    int rc;
    r->n = 0;
    r->skip = false;
    if (q >= end) return 0;
    /* Blank and comment lines. */
    size_t le = csv_line_end(c, q, end);
    if (le) {
        r->skip = true;
        r->raw_len = 0;
        return (int64_t)le;
    }
    if (!c->linesep && *q == '\r' && q + 1 == end && !eof) return 0;
    if (c->comment && *q == c->comment) {
        const char *e = memchr(q, nl, (size_t)(end - q));
        if (!e && !eof) return 0;
        r->skip = true;
        r->raw_len = 0;
        return e ? e + 1 - p : end - p;
    }
    if (c->fast) {
        int64_t used = tokenize_plain(c, p, end, eof, r);
        if (used != PLAIN_NO) return used;
        r->n = 0;
    }
    for (;;) {
        const char *fs = q;
        if (c->ign_lead)
            while (q < end && blank(*q)) q++;
        if (c->quote && q < end && *q == c->quote) {
            const char *s = q + 1;
            uint32_t flags = CSV_F_QUOTED;
            bool closed = false;
            for (;;) {
                if (s >= end) {
                    if (!eof) return 0;
                    break;
                }
                char ch = *s;
                if (ch == c->quote) {
                    if (s + 1 >= end && !eof) return 0;
                    if (s + 1 < end && s[1] == c->quote) {
                        flags |= CSV_F_RAW;
                        s += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                if (ch == c->escape && c->escape) {
                    if (s + 1 >= end && !eof) return 0;
                    if (s + 1 < end && (s[1] == c->quote || s[1] == c->escape ||
                                        (c->esc_esc && s[1] == c->esc_esc))) {
                        flags |= CSV_F_RAW;
                        s += 2;
                        continue;
                    }
                }
                if (!c->multiline && ch == nl) break;
                s++;
            }
            if (!closed) {
                /* Unterminated: the value runs to the line end (or the end). */
                const char *fe = s;
                if (!c->linesep && s < end && fe > q + 1 && fe[-1] == '\r') fe--;
                if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(fe - q), flags | CSV_F_RAW)))
                    return rc;
                r->raw_len = (uint32_t)(fe - p);
                return s < end ? s + 1 - p : end - p;
            }
            const char *after = s + 1;
            const char *t = after;
            while (t < end && blank(*t)) t++;
            if (t >= end && !eof) return 0;
            if (t >= end || at_sep(c, t, end) || csv_line_end(c, t, end)) {
                if (flags & CSV_F_RAW) {
                    if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(after - q), flags)))
                        return rc;
                } else if ((rc = push(r, c, (uint32_t)(q + 1 - p), (uint32_t)(s - q - 1), flags))) {
                    return rc;
                }
                if (t >= end) {
                    r->raw_len = (uint32_t)(end - p);
                    return end - p;
                }
                size_t l = csv_line_end(c, t, end);
                if (l) {
                    r->raw_len = (uint32_t)(t - p);
                    return t + l - p;
                }
                q = t + c->seplen;
                continue;
            }
            /* Text after the closing quote: kept up to the delimiter. */
            s = after;
            while (s < end && !(*s == s0 && at_sep(c, s, end)) && *s != nl) s++;
            if (s >= end && !eof) return 0;
            const char *fe = s;
            if (!c->linesep && s < end && *s == '\n' && fe[-1] == '\r') fe--;
            if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(fe - q), flags | CSV_F_RAW)))
                return rc;
            if (s >= end || *s == nl) {
                r->raw_len = (uint32_t)(fe - p);
                return s < end ? s + 1 - p : end - p;
            }
            q = s + c->seplen;
            continue;
        }
        /* Unquoted: the hot loop. */
        const char *s = q;
        for (;;) {
            while (s < end && *s != s0 && *s != nl) s++;
            if (s < end && *s == s0 && !at_sep(c, s, end)) {
                s++;
                continue;
            }
            break;
        }
        if (s >= end && !eof) return 0;
        const char *fe = s;
        if (!c->linesep && s < end && *s == '\n' && fe > q && fe[-1] == '\r') fe--;
        if (c->ign_trail)
            while (fe > q && blank(fe[-1])) fe--;
        (void)fs;
        if ((rc = push(r, c, (uint32_t)(q - p), (uint32_t)(fe - q), 0))) return rc;
        if (s >= end || *s == nl) {
            const char *re = s;
            if (!c->linesep && s < end && re > p && re[-1] == '\r') re--;
            r->raw_len = (uint32_t)(re - p);
            return s < end ? s + 1 - p : end - p;
        }
        q = s + c->seplen;
    }
}

/* The value of a raw field: quoted part with escapes resolved, then the
 * rest as it is. */
int csv_unescape(const csv_opts *c, const char *p, size_t n, kiln_buf *out)
{
    size_t i = 0;
    while (i < n && c->ign_lead && blank(p[i])) i++;
    if (i >= n || !c->quote || p[i] != c->quote) return kiln_buf_append(out, p, n);
    i++;
    for (; i < n; i++) {
        char ch = p[i];
        if (ch == c->quote) {
            if (i + 1 < n && p[i + 1] == c->quote) {
                if (kiln_buf_append(out, &ch, 1)) return KILN_ENOMEM;
                i++;
                continue;
            }
            i++;
            break;
        }
        if (ch == c->escape && c->escape && i + 1 < n &&
            (p[i + 1] == c->quote || p[i + 1] == c->escape ||
             (c->esc_esc && p[i + 1] == c->esc_esc))) {
            i++;
            ch = p[i];
        }
        if (kiln_buf_append(out, &ch, 1)) return KILN_ENOMEM;
    }
    if (i < n) {
        /* STOP_AT_DELIMITER: the closing quote and what follows are data. */
        if (kiln_buf_append(out, &c->quote, 1) || kiln_buf_append(out, p + i, n - i))
            return KILN_ENOMEM;
    }
    return KILN_OK;
}
