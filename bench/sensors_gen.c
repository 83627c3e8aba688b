/*
 * sensors_gen.c - writes sensor readings as CSV, the input of the hourly-aggregate benchmark.
 *
 *     sensors_gen [-n N] -o FILE
 *     sensors_gen -n 1e7 -o /work/data-gen/sensors-10m.csv
 *
 * Writes a header line "ts,sensor,temperature,humidity" and N rows (default 10,000,000):
 *
 *     2024-01-01T00:00:00.020,sensor-0042,21.37,45.2
 *
 * ts starts at 2024-01-01T00:00:00.000 and steps 20 ms a row (50 readings a second over all
 * sensors; 10M rows cover 55.6 hours), ISO 8601 with milliseconds, which DuckDB's read_csv
 * detects as TIMESTAMP and pandas' parse_dates reads (../shared/bench/sensors-*.{sh,py}).
 * Each row comes from one of 1,000 sensors, sensor-0000 .. sensor-0999, drawn uniformly.
 * temperature (2 decimals, degrees C) is the sensor's own base (15 to 30) plus a daily
 * triangle wave of +-4 (coldest at 04:00) plus noise of +-0.5; humidity (1 decimal, %) is the
 * sensor's base (30 to 70) minus twice the temperature swing, plus noise of +-2, kept in 0..100.
 * Integer arithmetic only, from a fixed seed: the same N gives a byte-identical file. FILE - is
 * stdout. Needs only libc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

#define OUT_CAP (4u << 20)
#define SENSORS 1000
#define STEP_MS 20

static uint64_t rng_state = UINT64_C(0x73656e736f727331);

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi] from 32 random bits. */
static int32_t range32(uint32_t bits, int32_t lo, int32_t hi)
{
    return lo + (int32_t)(((uint64_t)bits * (uint64_t)(hi - lo + 1)) >> 32);
}

static char *put_uint(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* v / 10^places with `places` decimals ("-3.05"). */
static char *put_fixed(char *p, int32_t v, int places)
{
    if (v < 0) {
        *p++ = '-';
        v = -v;
    }
    int32_t scale = places == 2 ? 100 : 10;
    p = put_uint(p, (uint64_t)(v / scale));
    *p++ = '.';
    int32_t frac = v % scale;
    for (int d = places - 1; d >= 0; d--) {
        p[d] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return p + places;
}

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* The date of day d after 2024-01-01 as "YYYY-MM-DD" (civil calendar, any year). */
static void day_string(char s[11], int64_t d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 2024, m = 0;
    for (;;) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (d < 365 + leap) break;
        d -= 365 + leap;
        y++;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    while (d >= mdays[m] + (m == 1 && leap)) d -= mdays[m] + (m == 1 && leap), m++;
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y % 10000, (m + 1) % 100, (int)(d + 1) % 100);
    memcpy(s, buf, 10);
    s[10] = 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: sensors_gen [-n N] -o FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "sensors_gen [-n ROWS] -o FILE\n"
        "Writes a ts,sensor,temperature,humidity CSV (50 readings a second, 1,000 sensors).\n";
    int done = kiln_args_check(argc, argv, usage_text, "-n= -o=");
    if (done >= 0) return done;
    double n = 1e7;
    const char *path = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-n") == 0) n = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "-o") == 0) path = argv[i + 1];
        else usage();
    }
    if (argc % 2 == 0 || !path || !(n >= 0) || n > 1e12) usage();
    uint64_t rows = (uint64_t)(n + 0.5);

    /* Per-sensor bases, in hundredths of a degree and tenths of a percent. */
    static int32_t base_t[SENSORS], base_h[SENSORS];
    for (int s = 0; s < SENSORS; s++) {
        uint64_t r = next_u64();
        base_t[s] = range32((uint32_t)r, 1500, 3000);
        base_h[s] = range32((uint32_t)(r >> 32), 300, 700);
    }

    FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    char *buf = malloc(OUT_CAP);
    if (!out || !buf) {
        fprintf(stderr, "sensors_gen: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t len = 0;
    static const char header[] = "ts,sensor,temperature,humidity\n";
    memcpy(buf, header, sizeof header - 1);
    len = sizeof header - 1;

    char day[11];
    int64_t day_no = -1;
    for (uint64_t i = 0; i < rows; i++) {
        if (len + 128 > OUT_CAP) {
            if (fwrite(buf, 1, len, out) != len) goto write_error;
            len = 0;
        }
        uint64_t ms = i * STEP_MS;
        int64_t d = (int64_t)(ms / 86400000);
        uint32_t ms_of_day = (uint32_t)(ms % 86400000);
        if (d != day_no) day_string(day, day_no = d);
        char *p = buf + len;
        memcpy(p, day, 10);
        p[10] = 'T';
        p = put2(p + 11, (int)(ms_of_day / 3600000));
        *p++ = ':';
        p = put2(p, (int)(ms_of_day / 60000 % 60));
        *p++ = ':';
        p = put2(p, (int)(ms_of_day / 1000 % 60));
        *p++ = '.';
        uint32_t milli = ms_of_day % 1000;
        p[0] = (char)('0' + milli / 100);
        p[1] = (char)('0' + milli / 10 % 10);
        p[2] = (char)('0' + milli % 10);
        p += 3;
        int s = range32((uint32_t)(next_u64() >> 32), 0, SENSORS - 1);
        memcpy(p, ",sensor-", 8);
        p[8] = (char)('0' + s / 1000);
        p[9] = (char)('0' + s / 100 % 10);
        p[10] = (char)('0' + s / 10 % 10);
        p[11] = (char)('0' + s % 10);
        p[12] = ',';
        p += 13;
        /* Triangle wave over the day: -400 at 04:00, +400 at 16:00 (hundredths of a degree). */
        int32_t phase = (int32_t)((ms_of_day + 86400000 - 4 * 3600000) % 86400000 / 1000);
        int32_t swing = phase < 43200 ? -400 + phase * 800 / 43200
                                      : 400 - (phase - 43200) * 800 / 43200;
        uint64_t noise = next_u64();
        int32_t t = base_t[s] + swing + range32((uint32_t)noise, -50, 50);
        int32_t h = base_h[s] - swing / 5 + range32((uint32_t)(noise >> 32), -20, 20);
        h = h < 0 ? 0 : h > 1000 ? 1000 : h;
        p = put_fixed(p, t, 2);
        *p++ = ',';
        p = put_fixed(p, h, 1);
        *p++ = '\n';
        len = (size_t)(p - buf);
    }
    if (fwrite(buf, 1, len, out) != len) goto write_error;
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0) goto write_error;
    free(buf);
    return 0;
write_error:
    fprintf(stderr, "sensors_gen: cannot write %s: %s\n", path, strerror(errno));
    return 1;
}
