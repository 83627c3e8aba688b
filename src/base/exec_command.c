/*
 * base/exec_command.c - the command executor processes of this program
 * run (kiln_set_executor_command, include/kiln.h). By default an executor
 * is this program itself, started with no arguments (SPMD); a program
 * whose executable is an interpreter (the Python package: /usr/bin/python3)
 * names the command that loads it again instead. Process-wide, set once
 * before a context starts executors.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

enum { MAX_ARGS = 16 };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_argv[MAX_ARGS + 1]; /* owned copies; NULL-terminated */

int kiln_set_executor_command(const char *const *argv)
{
    int n = 0;
    while (argv && argv[n]) n++;
    if (n > MAX_ARGS)
        return kiln_set_error(KILN_EINVAL, "executor command: at most %d words", MAX_ARGS);
    if (n > 0 && argv[0][0] != '/')
        return kiln_set_error(KILN_EINVAL, "executor command: '%s' is not an absolute path",
                              argv[0]);
    char *copy[MAX_ARGS + 1] = {0};
    for (int i = 0; i < n; i++)
        if (!(copy[i] = strdup(argv[i]))) {
            for (int j = 0; j < i; j++) free(copy[j]);
            return KILN_ENOMEM;
        }
    pthread_mutex_lock(&g_lock);
    for (int i = 0; g_argv[i]; i++) free(g_argv[i]);
    memcpy(g_argv, copy, sizeof copy);
    pthread_mutex_unlock(&g_lock);
    return KILN_OK;
}

char **exec_command_dup(void)
{
    pthread_mutex_lock(&g_lock);
    int n = 0;
    while (g_argv[n]) n++;
    char **out = n ? calloc((size_t)n + 1, sizeof *out) : NULL;
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(g_argv[i]))) {
            exec_command_free(out);
            out = NULL;
        }
    pthread_mutex_unlock(&g_lock);
    return out;
}

void exec_command_free(char **argv)
{
    for (int i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}
