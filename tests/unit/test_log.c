/*
 * tests/unit/test_log.c - log lines: the threshold from KILN_LOG_LEVEL, the
 * "YY/MM/DD HH:MM:SS LEVEL component: message" layout, and whole lines from
 * concurrent threads. stderr is redirected to a temporary file to read the
 * output back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"

/* True when line (up to its '\n') is "YY/MM/DD HH:MM:SS <level> <rest>". */
static bool line_ok(const char *line, const char *level, const char *rest)
{
    const char *shape = "dd/dd/dd dd:dd:dd ";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)line[i]) : line[i] != shape[i]) return false;
    }
    line += strlen(shape);
    size_t n = strlen(level);
    if (strncmp(line, level, n) != 0 || line[n] != ' ') return false;
    line += n + 1;
    const char *end = strchr(line, '\n');
    return end != NULL && (size_t)(end - line) == strlen(rest) &&
           strncmp(line, rest, strlen(rest)) == 0;
}

/* main() sets KILN_LOG_LEVEL=debug before anything reads it. */
static void test_threshold_from_env(void **state)
{
    assert_int_equal(log_threshold(), LOG_DEBUG);
    log_set_threshold(LOG_ERROR);
    assert_int_equal(log_threshold(), LOG_ERROR);
    log_set_threshold(LOG_DEBUG);
}

static void test_line_layout(void **state)
{
    kt_stderr_capture_start();
    errno = EAGAIN;
    log_write(LOG_WARN, "shuffle", "spilled %d MB to %s", 64, "/tmp/x");
    assert_int_equal(errno, EAGAIN); /* logging never clobbers errno */
    log_write(LOG_INFO, "engine", "already ends in a newline\n");
    LOG(LOG_TRACE, "engine", "below the threshold: %d", 1);
    LOG(LOG_ERROR, "engine", "task %d failed", 3);
    char *text = kt_stderr_capture_stop();
    const char *l1 = text;
    const char *l2 = strchr(l1, '\n') + 1;
    const char *l3 = strchr(l2, '\n') + 1;
    if (!line_ok(l1, "WARN", "shuffle: spilled 64 MB to /tmp/x")) fail_msg("bad line: %s", l1);
    assert_true(line_ok(l2, "INFO", "engine: already ends in a newline"));
    assert_true(line_ok(l3, "ERROR", "engine: task 3 failed"));
    assert_string_equal(strchr(l3, '\n'), "\n"); /* nothing else, TRACE filtered */
    free(text);
}

static void test_long_message(void **state)
{
    char *big = malloc(10001);
    memset(big, 'y', 10000);
    big[10000] = '\0';
    kt_stderr_capture_start();
    log_write(LOG_ERROR, "io", "%s", big);
    char *text = kt_stderr_capture_stop();
    char want[10010];
    snprintf(want, sizeof want, "io: %s", big);
    assert_true(line_ok(text, "ERROR", want));
    free(text);
    free(big);
}

enum { THREADS = 4, LINES = 300 };

static void *writer(void *arg)
{
    char payload[600];
    int id = (int)(intptr_t)arg;
    memset(payload, 'a' + id, sizeof payload - 1);
    payload[sizeof payload - 1] = '\0';
    for (int i = 0; i < LINES; i++) log_write(LOG_INFO, "thread", "%d %s", id, payload);
    return NULL;
}

/* Lines from concurrent threads come out whole. */
static void test_threads_do_not_interleave(void **state)
{
    pthread_t t[THREADS];
    kt_stderr_capture_start();
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    char *text = kt_stderr_capture_stop();
    int lines = 0;
    for (char *line = text; *line; line = strchr(line, '\n') + 1) {
        int id = line[18 + 5 + 8] - '0'; /* after "INFO thread: " */
        assert_true(id >= 0 && id < THREADS);
        char want[700];
        char payload[600];
        memset(payload, 'a' + id, sizeof payload - 1);
        payload[sizeof payload - 1] = '\0';
        snprintf(want, sizeof want, "thread: %d %s", id, payload);
        assert_true(line_ok(line, "INFO", want));
        lines++;
    }
    assert_int_equal(lines, THREADS * LINES);
    free(text);
}

int main(void)
{
    setenv("KILN_LOG_LEVEL", "debug", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_from_env),
        cmocka_unit_test(test_line_layout),
        cmocka_unit_test(test_long_message),
        cmocka_unit_test(test_threads_do_not_interleave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
