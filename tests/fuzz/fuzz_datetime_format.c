/*
 * fuzz_datetime_format.c - libFuzzer target for Spark datetime patterns
 * (sql/datetime_format.h) and the string-to-date/timestamp casts
 * (sql/datetime.h): the input is split at its first NUL into a pattern and
 * a text; compiling the pattern, formatting an instant with it and parsing
 * the text (and the formatted text) must never read outside their buffers,
 * and a formatted text must fit dtf_max_len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql/datetime.h"
#include "sql/datetime_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    char *pat = malloc(plen ? plen : 1);
    if (plen) memcpy(pat, data, plen);
    size_t tlen = nul ? size - plen - 1 : 0;
    char *text = malloc(tlen ? tlen : 1);
    if (tlen) memcpy(text, nul + 1, tlen);

    int32_t d;
    int64_t us;
    (void)dt_parse_date(pat, plen, &d);
    (void)dt_parse_timestamp(pat, plen, dt_zone_utc(), 0, &us);

    kiln_arena *a = kiln_arena_new();
    const dtf_pattern *p;
    char err[256];
    if (dtf_compile(a, pat, plen, &p, err, sizeof err) == 0) {
        int64_t t = plen ? (int64_t)(data[0] * 1234567891LL) - 60000000000000000LL : 0;
        char *buf = malloc(dtf_max_len(p));
        size_t n = dtf_format(p, t, dt_zone_utc(), 3600, "CET", buf);
        if (n >= dtf_max_len(p)) abort();
        (void)dtf_parse(p, buf, n, dt_zone_utc(), &us, err, sizeof err);
        (void)dtf_parse(p, text, tlen, dt_zone_utc(), &us, err, sizeof err);
        (void)dtf_parse(p, text, tlen, NULL, &us, err, sizeof err);
        free(buf);
    }
    kiln_arena_free(a);
    free(pat);
    free(text);
    return 0;
}
