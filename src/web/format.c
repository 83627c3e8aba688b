/*
 * web/format.c - durations, sizes and times as Spark's UI prints them
 * (UIUtils.formatDuration, Utils.bytesToString, UIUtils.formatDate), so a
 * page of kiln reads like Spark's.
 */
#include <stdio.h>
#include <time.h>

#include "web/web.h"

void web_fmt_duration(char *out, size_t size, int64_t ms)
{
    if (ms < 0) ms = 0;
    double s = (double)ms / 1000.0, min = s / 60;
    if (ms < 100) snprintf(out, size, "%lld ms", (long long)ms);
    else if (s < 1) snprintf(out, size, "%.1f s", s);
    else if (s < 60) snprintf(out, size, "%.0f s", s);
    else if (min < 10) snprintf(out, size, "%.1f min", min);
    else if (min < 60) snprintf(out, size, "%.0f min", min);
    else snprintf(out, size, "%.1f h", min / 60);
}

void web_fmt_bytes(char *out, size_t size, uint64_t bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    /* The largest unit of which the value is at least 2 (Spark's rule:
     * 1.5 GiB prints as "1536.0 MiB"). */
    while (u < 6 && v >= 2.0 * 1024.0) v /= 1024.0, u++;
    snprintf(out, size, "%.1f %s", v, units[u]);
}

void web_fmt_time(char *out, size_t size, int64_t epoch_ms)
{
    if (epoch_ms <= 0) {
        if (size) out[0] = '\0';
        return;
    }
    time_t t = (time_t)(epoch_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, size, "%Y/%m/%d %H:%M:%S", &tm);
}

void web_fmt_mib(char *out, size_t size, uint64_t bytes)
{
    snprintf(out, size, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}
