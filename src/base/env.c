/*
 * base/env.c - the environment of a process about to be started: this
 * process's own, minus the variables of one prefix, plus others. Both
 * launchers of executors (local-cluster's driver, the standalone worker)
 * build the executor's environment with it, so an executor never inherits
 * the KILN_EXECUTOR_* variables of the process that started it.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

extern char **environ;

char **env_without(const char *prefix, const char *const *extra, int nextra)
{
    size_t plen = strlen(prefix);
    int n = 0;
    while (environ[n]) n++;
    char **env = calloc((size_t)(n + nextra + 1), sizeof *env);
    if (!env) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strncmp(environ[i], prefix, plen) != 0) env[k++] = environ[i];
    for (int i = 0; i < nextra; i++) env[k++] = (char *)extra[i];
    return env;
}
