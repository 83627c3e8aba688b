/*
 * kt_http.c - a plain HTTP GET for the web pages' tests (kt_http.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kt_http.h"

kt_answer kt_http_get(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    kiln_buf b;
    kiln_buf_init(&b);
    char chunk[65536];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0) kiln_buf_append(&b, chunk, (size_t)got);
    close(fd);
    kiln_buf_append(&b, "", 1);
    kt_answer r = {0};
    assert_true(sscanf((char *)b.data, "HTTP/1.1 %d", &r.status) == 1);
    char *body = strstr((char *)b.data, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    r.len = strlen(body);
    r.body = strdup(body);
    kiln_buf_release(&b);
    return r;
}

int kt_occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

kt_answer kt_http_page(int port, const char *path, int status)
{
    kt_answer r = kt_http_get(port, path);
    if (r.status != status) fprintf(stderr, "GET %s: %d\n%s\n", path, r.status, r.body);
    assert_int_equal(r.status, status);
    if (strstr(r.body, "<script>") || strstr(r.body, "<img") ||
        strstr(r.body, "onerror=alert(1)>")) {
        fprintf(stderr, "GET %s: raw markup from user data:\n%s\n", path, r.body);
        fail();
    }
    return r;
}
