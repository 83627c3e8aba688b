/*
 * kt_http.h - a plain HTTP GET for the tests of kiln's web pages: one
 * request to 127.0.0.1, the answer read until the server closes.
 */
#ifndef KT_HTTP_H
#define KT_HTTP_H

#include <stddef.h>

typedef struct kt_answer {
    int status;
    char *body; /* NUL-terminated, malloc'd: the caller frees it */
    size_t len;
} kt_answer;

/* GET path from 127.0.0.1:port; fails the test when the connection or the
 * status line fails. */
kt_answer kt_http_get(int port, const char *path);

#endif
