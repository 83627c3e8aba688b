/*
 * base/exec_command.c - the command executor processes of this program
 * run (kiln_set_executor_command, include/kiln.h), and the files that
 * command needs on other hosts (kiln_set_executor_files). By default an
 * executor is this program itself, started with no arguments (SPMD); a
 * program whose executable is an interpreter (the Python package:
 * /usr/bin/python3) names the command that loads it again instead, and the
 * files a standalone worker must fetch for it (its extension module, its
 * package). Process-wide, set before a context starts executors.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

enum { MAX_ARGS = 16, MAX_FILES = 128 };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_argv[MAX_ARGS + 1];   /* owned copies; NULL-terminated */
static char *g_files[MAX_FILES + 1]; /* the same */

/* Replaces the NULL-terminated table dst (of max entries) with copies of
 * src; what is checked has been checked. */
static int replace(char **dst, const char *const *src, int n, int max)
{
    char *copy[MAX_FILES + 1] = {0};
    for (int i = 0; i < n; i++)
        if (!(copy[i] = strdup(src[i]))) {
            for (int j = 0; j < i; j++) free(copy[j]);
            return KILN_ENOMEM;
        }
    pthread_mutex_lock(&g_lock);
    for (int i = 0; dst[i]; i++) free(dst[i]);
    memcpy(dst, copy, sizeof(char *) * (size_t)(max + 1));
    pthread_mutex_unlock(&g_lock);
    return KILN_OK;
}

int kiln_set_executor_command(const char *const *argv)
{
    int n = 0;
    while (argv && argv[n]) n++;
    if (n > MAX_ARGS)
        return kiln_set_error(KILN_EINVAL, "executor command: at most %d words", MAX_ARGS);
    if (n > 0 && argv[0][0] != '/')
        return kiln_set_error(KILN_EINVAL, "executor command: '%s' is not an absolute path",
                              argv[0]);
    return replace(g_argv, argv, n, MAX_ARGS);
}

int kiln_set_executor_files(const char *const *paths)
{
    int n = 0;
    while (paths && paths[n]) n++;
    if (n > MAX_FILES) return kiln_set_error(KILN_EINVAL, "executor files: at most %d", MAX_FILES);
    for (int i = 0; i < n; i++)
        if (paths[i][0] != '/')
            return kiln_set_error(KILN_EINVAL, "executor files: '%s' is not an absolute path",
                                  paths[i]);
    return replace(g_files, paths, n, MAX_FILES);
}

/* An owned copy of the table src, or NULL when it is empty. */
static char **dup_table(char *const *src)
{
    pthread_mutex_lock(&g_lock);
    int n = 0;
    while (src[n]) n++;
    char **out = n ? calloc((size_t)n + 1, sizeof *out) : NULL;
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = strdup(src[i]))) {
            exec_command_free(out);
            out = NULL;
        }
    pthread_mutex_unlock(&g_lock);
    return out;
}

char **exec_command_dup(void)
{
    return dup_table(g_argv);
}

char **exec_files_dup(void)
{
    return dup_table(g_files);
}

void exec_command_free(char **argv)
{
    for (int i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}
