/*
 * kt_ml.c - reading the data files of the ml tests (see kt_ml.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"
#include "kt_ml.h"

#ifndef KILN_SOURCE_DIR
#define KILN_SOURCE_DIR "."
#endif

char *kt_ml_path(const char *name)
{
    return kt_path(KILN_SOURCE_DIR "/tests/ml", name);
}

double *kt_ml_csv(const char *name, int *rows, int *cols)
{
    char *path = kt_ml_path(name);
    size_t len;
    char *text = kt_read_file(path, &len);
    if (!text) fail_msg("cannot read %s", path);
    size_t cap = 1024, n = 0;
    double *v = malloc(cap * sizeof *v);
    *rows = 0;
    *cols = -1;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (!*line) continue;
        int c = 0;
        for (char *s = line, *end;; s = end + 1) {
            double x = strtod(s, &end);
            if (end == s) fail_msg("%s: bad number on row %d", path, *rows + 1);
            if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
            v[n++] = x;
            c++;
            if (*end != ',') break;
        }
        if (*cols >= 0 && c != *cols) fail_msg("%s: row %d has %d columns", path, *rows + 1, c);
        *cols = c;
        ++*rows;
    }
    free(text);
    free(path);
    return v;
}

double *kt_ml_block(const char *name, const char *block, int *rows, int *cols)
{
    char *path = kt_ml_path(name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot read %s", path);
    char line[4096], word[128];
    double *v = NULL;
    while (!v && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%127s %d %d", word, rows, cols) != 3 || strcmp(word, block) != 0)
            continue;
        size_t n = (size_t)*rows * (size_t)*cols;
        v = malloc((n ? n : 1) * sizeof *v);
        for (size_t i = 0; i < n; i++)
            if (fscanf(f, "%lf", &v[i]) != 1) fail_msg("%s: block %s is short", path, block);
    }
    fclose(f);
    if (!v) fail_msg("%s: no block %s", path, block);
    free(path);
    return v;
}
