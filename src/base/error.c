/*
 * base/error.c - error codes and the per-thread last error message.
 *
 * The code tables come from KILN_ERRNO_MAP in include/kiln/error.h, so a new
 * code needs one line there and nothing here. The message buffer is
 * thread-local: a failing call on one thread never overwrites another's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"

#define LAST_ERROR_SIZE 1024

static _Thread_local char last_error[LAST_ERROR_SIZE];

/* Returns a static description of code, or "unknown error". */
const char *kiln_strerror(int code)
{
    switch (code) {
#define ERR_DESC(name, val, desc)                                                                  \
    case (val):                                                                                    \
        return (desc);
        KILN_ERRNO_MAP(ERR_DESC)
#undef ERR_DESC
    }
    return "unknown error";
}

/* Returns the static name of code ("KILN_ENOMEM"), or "KILN_EUNKNOWN". */
const char *kiln_err_name(int code)
{
    switch (code) {
#define ERR_NAME(name, val, desc)                                                                  \
    case (val):                                                                                    \
        return "KILN_" #name;
        KILN_ERRNO_MAP(ERR_NAME)
#undef ERR_NAME
    }
    return "KILN_EUNKNOWN";
}

/* Returns this thread's message, borrowed until the next failing call. */
const char *kiln_last_error(void)
{
    return last_error;
}

/* Formats the message into this thread's buffer, truncating at 1023 bytes,
 * and returns code unchanged so callers can write
 * `return kiln_set_error(KILN_EIO, "...")`. The arguments may include
 * kiln_last_error() itself (to add context to an inner message): the text is
 * formatted into a temporary first. A NULL fmt clears the message. */
int kiln_set_error(int code, const char *fmt, ...)
{
    char tmp[LAST_ERROR_SIZE];
    va_list ap;

    if (fmt == NULL) {
        last_error[0] = '\0';
        return code;
    }
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) tmp[0] = '\0';
    memcpy(last_error, tmp, sizeof tmp);
    return code;
}
