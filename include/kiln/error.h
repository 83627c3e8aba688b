/*
 * kiln/error.h - error codes shared by the whole API.
 *
 * Fallible functions return int: KILN_OK (0) or a negative KILN_E* code.
 * The human message (what failed, where, and a hint) is kept per thread in
 * kiln_last_error().
 */
#ifndef KILN_ERROR_H
#define KILN_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X-macro table: name, value, description. */
#define KILN_ERRNO_MAP(X)                                                                          \
    X(OK, 0, "success")                                                                            \
    X(ENOMEM, -1, "out of memory")                                                                 \
    X(EINVAL, -2, "invalid argument")                                                              \
    X(EIO, -3, "input/output error")                                                               \
    X(ENOENT, -4, "no such file or directory")                                                     \
    X(EEXIST, -5, "already exists")                                                                \
    X(ECORRUPT, -6, "corrupt or truncated data")                                                   \
    X(ETYPE, -7, "value has the wrong type")                                                       \
    X(EUSER, -8, "user function failed")                                                           \
    X(EJOB, -9, "job failed")                                                                      \
    X(ECONF, -10, "bad configuration")                                                             \
    X(ERANGE, -11, "value out of range")                                                           \
    X(EEMPTY, -12, "empty collection")                                                             \
    X(ENOTFOUND, -13, "not found")                                                                 \
    X(ESTATE, -14, "operation not allowed in this state")                                          \
    X(EFETCH, -15, "shuffle output missing or damaged")                                            \
    X(ESQL, -16, "invalid SQL or DataFrame operation")

enum {
#define KILN_ERR_ENUM(name, val, desc) KILN_##name = (val),
    KILN_ERRNO_MAP(KILN_ERR_ENUM)
#undef KILN_ERR_ENUM
};

/* Returns a static description of code ("out of memory"). */
KILN_API const char *kiln_strerror(int code);
/* Returns the static name of code ("KILN_ENOMEM"). */
KILN_API const char *kiln_err_name(int code);
/* Returns this thread's last error message (never NULL; "" when none).
 * Borrowed, valid until the next kiln call on this thread that fails. */
KILN_API const char *kiln_last_error(void);
/* Sets this thread's last error message (printf format); returns code. */
KILN_API int kiln_set_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
