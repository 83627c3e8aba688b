/*
 * fuzz_conf.c - libFuzzer target for the configuration parsers: the
 * properties-file parser (fed through a temporary file), parse_size /
 * parse_int64 / parse_bool on the same text, and the text as the value of
 * every known key (conf_check_value) and as a misspelt key
 * (conf_nearest_key). Errors are fine; crashes, leaks and out-of-bounds
 * reads are not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "base/conf.h"

static int count_pair(void *arg, const char *k, const char *v)
{
    if (!k || !v) abort();
    (*(int *)arg)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/kiln-fuzz-conf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    int pairs = 0;
    (void)conf_parse_file(path, count_pair, &pairs);
    unlink(path);

    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    int64_t x;
    bool b;
    (void)parse_size(text, &x);
    (void)parse_int64(text, &x);
    (void)parse_bool(text, &b);
    for (size_t i = 0; i < conf_key_count(); i++)
        (void)conf_check_value(conf_key_at(i), text, "fuzz");
    (void)conf_nearest_key(text, false);
    (void)conf_nearest_key(text, true);
    free(text);
    return 0;
}
