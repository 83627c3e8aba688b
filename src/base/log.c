/*
 * base/log.c - leveled log lines on stderr, in Spark's log4j layout:
 * "YY/MM/DD HH:MM:SS LEVEL component: message".
 *
 * The threshold comes from KILN_LOG_LEVEL, read once on first use. Each line
 * goes out in a single write(2) so that lines from different threads (and
 * processes sharing the terminal) never interleave mid-line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"

static const char *const level_names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};

/* -1 until the environment has been read. */
static _Atomic int threshold = -1;
static pthread_once_t threshold_once = PTHREAD_ONCE_INIT;

static void threshold_init(void)
{
    const char *env = getenv("KILN_LOG_LEVEL");
    int level = LOG_WARN;
    bool bad = false;

    if (env != NULL && env[0] != '\0') {
        bad = true;
        for (int i = LOG_TRACE; i <= LOG_OFF; i++) {
            if (strcasecmp(env, level_names[i]) == 0) {
                level = i;
                bad = false;
                break;
            }
        }
    }
    atomic_store(&threshold, level);
    if (bad)
        log_write(LOG_WARN, "log",
                  "unknown KILN_LOG_LEVEL '%.40s' (want TRACE, DEBUG, "
                  "INFO, WARN, ERROR or OFF); using WARN",
                  env);
}

/* Returns the current threshold; the first call reads KILN_LOG_LEVEL. */
log_level log_threshold(void)
{
    int v = atomic_load_explicit(&threshold, memory_order_relaxed);
    if (v < 0) {
        pthread_once(&threshold_once, threshold_init);
        v = atomic_load(&threshold);
    }
    return (log_level)v;
}

/* Overrides the threshold for the whole process (and KILN_LOG_LEVEL). */
void log_set_threshold(log_level l)
{
    if ((int)l < LOG_TRACE || l > LOG_OFF) return;
    pthread_once(&threshold_once, threshold_init);
    atomic_store(&threshold, (int)l);
}

int kiln_set_log_level(const char *level)
{
    /* Spark's names: ALL is TRACE, FATAL is ERROR. */
    if (level && strcasecmp(level, "ALL") == 0) level = "TRACE";
    if (level && strcasecmp(level, "FATAL") == 0) level = "ERROR";
    for (int i = LOG_TRACE; level && i <= LOG_OFF; i++)
        if (strcasecmp(level, level_names[i]) == 0) {
            log_set_threshold((log_level)i);
            return KILN_OK;
        }
    return kiln_set_error(KILN_EINVAL,
                          "unknown log level '%.40s': expected ALL, DEBUG, ERROR, FATAL, INFO, "
                          "OFF, TRACE or WARN",
                          level ? level : "(null)");
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Writes one line at level l regardless of the threshold (the LOG macro
 * filters). component and fmt are borrowed. A trailing newline in the
 * message is not doubled. Never changes errno. */
void log_write(log_level l, const char *component, const char *fmt, ...)
{
    char stack[2048];
    char *line = stack;
    size_t cap = sizeof stack;
    int saved_errno = errno;
    va_list ap;

    if ((int)l < LOG_TRACE || l >= LOG_OFF) return;

    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    /* The component is clipped so the head always fits in the stack buffer. */
    int head = snprintf(stack, cap, "%02d/%02d/%02d %02d:%02d:%02d %s %.64s: ", tm.tm_year % 100,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, level_names[l],
                        component ? component : "kiln");
    if (head < 0) head = 0;

    va_start(ap, fmt);
    int body = vsnprintf(line + head, cap - (size_t)head, fmt, ap);
    va_end(ap);
    if (body < 0) body = 0;
    size_t need = (size_t)head + (size_t)body + 2;
    if (need > cap) {
        char *big = malloc(need);
        if (big != NULL) {
            memcpy(big, stack, (size_t)head);
            va_start(ap, fmt);
            vsnprintf(big + head, need - (size_t)head, fmt, ap);
            va_end(ap);
            line = big;
            cap = need;
        } else {
            body = (int)(cap - (size_t)head - 2); /* keep what fits */
        }
    }
    size_t len = (size_t)head + (size_t)body;
    if (len > cap - 2) len = cap - 2;
    if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
    write_all(line, len);
    if (line != stack) free(line);
    errno = saved_errno;
}

bool log_throttle_take(log_throttle *t, unsigned long *suppressed)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
    long long last = atomic_load(&t->last_ms);
    if (last != 0 && now - last < LOG_THROTTLE_MS) {
        atomic_fetch_add(&t->suppressed, 1);
        return false;
    }
    /* One thread wins the slot; the others count as suppressed. */
    if (!atomic_compare_exchange_strong(&t->last_ms, &last, now)) {
        atomic_fetch_add(&t->suppressed, 1);
        return false;
    }
    *suppressed = atomic_exchange(&t->suppressed, 0);
    return true;
}
