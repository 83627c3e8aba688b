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
/* kt_http_get expecting status, failing the test when the page holds raw
 * markup the XSS strings of the UI tests would inject (<script>, <img,
 * onerror=alert(1)>). */
kt_answer kt_http_page(int port, const char *path, int status);
/* How many times needle occurs in hay (not overlapping). */
int kt_occurrences(const char *hay, const char *needle);

#endif
