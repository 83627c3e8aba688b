/*
 * sql/fn_error_weak.c - a stand-in fn_error (weak) so the string, regex and
 * datetime families link before fn_registry.c lands on its own branch;
 * the registry's strong definition replaces it, and this file goes away at
 * that merge.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kiln/error.h"
#include "sql/fn.h"

/* See fn.h: records "[cls] message SQLSTATE: s" in c->error (malloc) and
 * the thread's last error; returns KILN_ESQL. */
__attribute__((weak)) int fn_error(fn_ctx *c, const char *cls, const char *sqlstate,
                                   const char *fmt, ...)
{
    char *msg = NULL, *full = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    if (asprintf(&full, "[%s] %s SQLSTATE: %s", cls, msg ? msg : "", sqlstate ? sqlstate : "") < 0)
        full = NULL;
    free(msg);
    free(c->error);
    c->error = full;
    c->error_code = KILN_ESQL;
    return kiln_set_error(KILN_ESQL, "%s", full ? full : cls);
}
