/*
 * cli/submit_python.c - `kiln submit [options] job.py [args]`: Spark's
 * PythonRunner in client mode. The job runs here, as the driver, under a
 * Python interpreter (no shell), with PYTHONPATH naming the kiln package
 * and the --py-files; the options reach its SparkContext as they reach a C
 * program's context, through $KILN_MASTER and $KILN_SUBMIT_CONF (set by
 * cli/kiln.c before this is called). The package itself ships what its
 * executors need (python/kiln/context.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/submit_python.h"

bool submit_is_python(const char *program)
{
    size_t n = strlen(program);
    return n > 3 && !strcmp(program + n - 3, ".py");
}

/* The value of key (or its spark.* name) in conf's key=value lines (the
 * last one wins, as when they are applied), copied into out; NULL if absent. */
static const char *conf_value(const char *conf, const char *key, char *out, size_t size)
{
    char spark[128];
    snprintf(spark, sizeof spark, "spark.%s", key + strlen("kiln."));
    const char *found = NULL;
    for (const char *p = conf; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *keys[] = {key, spark};
        for (int k = 0; k < 2; k++) {
            size_t kl = strlen(keys[k]);
            if (len > kl && !strncmp(p, keys[k], kl) && p[kl] == '=') {
                snprintf(out, size, "%.*s", (int)(len - kl - 1), p + kl + 1);
                found = out;
            }
        }
        p = nl ? nl + 1 : p + len;
    }
    return found;
}

/* The directory holding the kiln package (kiln/__init__.py) for this kiln
 * program: ../python (a build tree) or ../lib/kiln/python (installed),
 * into out; false when neither has it (the interpreter must find it
 * itself, e.g. installed with pip into a venv). */
static bool package_dir(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = '\0';
    static const char *const rel[] = {"../python", "../lib/kiln/python"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char dir[PATH_MAX + 32], init[PATH_MAX + 64], real[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
        snprintf(init, sizeof init, "%s/kiln/__init__.py", dir);
        if (access(init, R_OK) == 0 && realpath(dir, real)) {
            snprintf(out, size, "%s", real);
            return true;
        }
    }
    return false;
}

int submit_python(char **argv, const char *conf)
{
    char value[PATH_MAX];
    const char *python = conf_value(conf, "kiln.pyspark.driver.python", value, sizeof value);
    if (!python) python = getenv("PYSPARK_DRIVER_PYTHON");
    if (!python || !*python) python = conf_value(conf, "kiln.pyspark.python", value, sizeof value);
    if (!python || !*python) python = getenv("PYSPARK_PYTHON");
    if (!python || !*python) python = "/usr/bin/python3";
    /* PYTHONPATH: the package, each py-file (a zip itself, a .py file's
     * directory), then what it was. */
    kiln_buf path;
    kiln_buf_init(&path);
    char dir[PATH_MAX];
    int rc = KILN_OK;
    if (package_dir(dir, sizeof dir)) rc = buf_appendf(&path, "%s", dir);
    char *files = NULL;
    const char *csv = conf_value(conf, "kiln.submit.pyFiles", value, sizeof value);
    if (csv && !(files = strdup(csv))) rc = KILN_ENOMEM;
    char *save = NULL;
    for (char *p = files ? strtok_r(files, ",", &save) : NULL; rc == KILN_OK && p;
         p = strtok_r(NULL, ",", &save)) {
        char *slash = strrchr(p, '/');
        if (submit_is_python(p) && slash) *slash = '\0';
        rc = buf_appendf(&path, "%s%s", path.len ? ":" : "", p);
    }
    free(files);
    const char *old = getenv("PYTHONPATH");
    if (rc == KILN_OK && old && *old) rc = buf_appendf(&path, "%s%s", path.len ? ":" : "", old);
    if (rc == KILN_OK) rc = kiln_buf_append(&path, "", 1);
    if (rc == KILN_OK && setenv("PYTHONPATH", (const char *)path.data, 1) != 0)
        rc = kiln_set_error(KILN_EIO, "setenv: %s", strerror(errno));
    kiln_buf_release(&path);
    if (rc != KILN_OK) {
        fprintf(stderr, "kiln submit: %s\n", kiln_last_error());
        return 1;
    }
    int n = 0;
    while (argv[n]) n++;
    char **args = calloc((size_t)n + 2, sizeof *args);
    if (!args) {
        fprintf(stderr, "kiln submit: out of memory\n");
        return 1;
    }
    args[0] = (char *)python;
    memcpy(args + 1, argv, sizeof *args * (size_t)n);
    execv(python, args);
    fprintf(stderr, "kiln submit: cannot run %s %s: %s\n", python, argv[0], strerror(errno));
    free(args);
    return 1;
}
