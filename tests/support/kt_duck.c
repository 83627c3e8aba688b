/*
 * kt_duck.c - runs DuckDB queries for the Parquet tests (see kt_duck.h).
 */
#define _GNU_SOURCE
#include "kt_duck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef KILN_SOURCE_DIR
#define KILN_SOURCE_DIR "."
#endif

static int run(const char *query, char **out)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        char *argv[] = {"node", KILN_SOURCE_DIR "/tests/parquet/duck.mjs", (char *)query, NULL};
        execvp("node", argv);
        _exit(127);
    }
    close(fd[1]);
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    ssize_t n;
    while (buf && (n = read(fd[0], buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2) {
            char *g = realloc(buf, cap *= 2);
            if (!g) {
                free(buf);
                buf = NULL;
            }
            buf = g;
        }
    }
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    if (buf) buf[len] = 0;
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool kt_duck_available(void)
{
    static int known = -1;
    if (known >= 0) return known;
    char *out = NULL;
    int rc = run("SELECT 1", &out);
    known = rc == 0 && out && strcmp(out, "1\n") == 0;
    if (!known)
        printf("SKIP: node or @duckdb/node-api (../shared/bench/install-peers.sh) is absent\n");
    free(out);
    return known;
}

char *kt_duck_query(const char *query)
{
    char *out = NULL;
    if (run(query, &out) != 0) {
        fprintf(stderr, "DuckDB failed on: %.300s\n", query);
        free(out);
        return NULL;
    }
    return out;
}
