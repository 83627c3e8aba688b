/*
 * test_web_server.c - src/web's HTTP side: the request parser (cases, cuts
 * read in exact-size blocks, and random query strings encoded and parsed
 * back, compared with what was encoded), answers (security headers on
 * every status, 405 for anything but GET and HEAD, HEAD without a body),
 * the token flow of a server bound beyond loopback (?token= sets the
 * cookie and redirects without it, never off-site; cookie or bearer then;
 * a wrong one 401), bearer-only routes (/json), and a live server over
 * sockets: keep-alive, pipelining, a head too large, stalled connections
 * evicted so a real client is served, port retries.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"
#include "web/web.h"

#define TOKEN "5a448d84482aeb9856968fcfb74c06dc5adaf557f85e18f08067002d0e7d6885"

static void hello(void *arg, const web_request *req, web_response *res)
{
    html_printf(&res->body, "<p>hello %s</p>", req->path);
    const char *x = web_param_get(req, "x");
    if (x) html_printf(&res->body, "<p>x=%s</p>", x);
}

static void json(void *arg, const web_request *req, web_response *res)
{
    res->content_type = "application/json";
    buf_appendf(&res->body, "{\"ok\": true}");
}

/* A server with the test routes; open (loopback) or needing the token. */
static web_server *server(bool open, int max_conns)
{
    web_server_opts o = {.name = "test",
                         .host = open ? "127.0.0.1" : "",
                         .port = 0,
                         .token = TOKEN,
                         .keep_alive = true,
                         .max_conns = max_conns};
    web_server *s;
    KT_OK(web_server_new(&o, &s));
    KT_OK(web_route(s, "/", WEB_EXACT, hello, NULL));
    KT_OK(web_route(s, "/p/", WEB_PREFIX, hello, NULL));
    KT_OK(web_route(s, "/json", WEB_EXACT | WEB_BEARER, json, NULL));
    return s;
}

/* The answer to req as a NUL-terminated string (owned by the caller). */
static char *answer(web_server *s, const char *req, bool *keep)
{
    kiln_buf out;
    kiln_buf_init(&out);
    bool k;
    KT_OK(web_server_answer(s, req, strlen(req), &out, keep ? keep : &k));
    kiln_buf_append(&out, "", 1);
    return (char *)out.data;
}

static int status_of(const char *a)
{
    assert_int_equal(strncmp(a, "HTTP/1.1 ", 9), 0);
    return atoi(a + 9);
}

static void has_security_headers(const char *a)
{
    static const char *want[] = {
        "\r\nX-Frame-Options: DENY\r\n",
        "\r\nX-Content-Type-Options: nosniff\r\n",
        "\r\nContent-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; frame-ancestors 'none'\r\n",
        "\r\nReferrer-Policy: no-referrer\r\n",
        "\r\nCache-Control: ",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        KT_CHECK(strstr(a, want[i]) != NULL, "missing %s in:\n%s", want[i], a);
}

static void requests_are_checked(void **state)
{
    web_server *s = server(false, 0);
    struct {
        const char *req;
        int status;
    } cases[] = {
        {"GET /json HTTP/1.1\r\nHost: m\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 200},
        {"GET /json HTTP/1.0\nauthorization:   bearer " TOKEN "  \n\n", 200},
        {"GET /json/ HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 200},
        /* RFC 7235: the scheme is case-insensitive, then one or more blanks. */
        {"GET /json HTTP/1.1\r\nAuthorization: bearer    " TOKEN "\r\n\r\n", 200},
        {"GET /json HTTP/1.1\r\nAuthorization: BEARER \t " TOKEN "\r\n\r\n", 200},
        {"GET /json HTTP/1.1\r\nAuthorization:Bearer\t" TOKEN "\r\n\r\n", 200},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearer" TOKEN "\r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearerx " TOKEN "\r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearer   \r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nHost: m\r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearer " TOKEN "0\r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearer 5a448d84\r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nAuthorization: Basic " TOKEN "\r\n\r\n", 401},
        {"GET /json HTTP/1.1\r\nX-Authorization: Bearer " TOKEN "\r\n\r\n", 401},
        /* The cookie opens pages, not the API. */
        {"GET /json HTTP/1.1\r\nCookie: kiln_token_0=" TOKEN "\r\n\r\n", 401},
        {"GET /secret HTTP/1.1\r\n\r\n", 401}, /* no path is revealed without the token */
        {"GET /other HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 404},
        {"GET /p/any/thing HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 200},
        {"POST /json HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 405},
        {"DELETE / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 405},
        {"GET /json\r\n\r\n", 400},
        {"GET /json HTTP/2\r\n\r\n", 505},
        {"GET /json HTTP/2.0\r\n\r\n", 505},
        {"GET  /json HTTP/1.1\r\n\r\n", 400},
        {"GET /json HTTP/1.1 extra\r\n\r\n", 400},
        {"GET /j\x01son HTTP/1.1\r\n\r\n", 400},
        {"GET json HTTP/1.1\r\n\r\n", 400},
        {"GET http://x/json HTTP/1.1\r\n\r\n", 400},
        {"GET /a%zz HTTP/1.1\r\n\r\n", 400},
        {"GET /a%00b HTTP/1.1\r\n\r\n", 400},
        {"GET /a%4 HTTP/1.1\r\n\r\n", 400},
        {"GET /?a=%0 HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n folded: no\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nnocolon\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\nContent-Length: 5\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\nContent-Length: 5\r\n\r\n", 405},
        {"GET / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\nTransfer-Encoding: chunked\r\n\r\n",
         400},
        {"VERYLONGMETHOD / HTTP/1.1\r\n\r\n", 501},
        {"\r\n\r\n", 400},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n", 400}, /* no blank line */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *a = answer(s, cases[i].req, NULL);
        KT_CHECK(status_of(a) == cases[i].status, "case %zu (%s): got %d, expected %d", i,
                 cases[i].req, status_of(a), cases[i].status);
        has_security_headers(a);
        if (status_of(a) == 405) assert_non_null(strstr(a, "\r\nAllow: GET, HEAD\r\n"));
        if (status_of(a) == 401 && strstr(cases[i].req, "/json"))
            assert_non_null(strstr(a, "WWW-Authenticate: Bearer"));
        if (status_of(a) != 200) assert_null(strstr(a, "{\"ok\""));
        free(a);
    }
    /* Limits: a target over 4 KiB, 65 headers, 33 parameters. */
    kiln_buf big;
    kiln_buf_init(&big);
    buf_appendf(&big, "GET /");
    for (int i = 0; i < WEB_MAX_TARGET; i++) kiln_buf_append(&big, "a", 1);
    buf_appendf(&big, " HTTP/1.1\r\n\r\n");
    kiln_buf_append(&big, "", 1);
    char *a = answer(s, (char *)big.data, NULL);
    assert_int_equal(status_of(a), 414);
    free(a);
    big.len = 0;
    buf_appendf(&big, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= WEB_MAX_HEADERS; i++) buf_appendf(&big, "X-H%d: v\r\n", i);
    buf_appendf(&big, "\r\n");
    kiln_buf_append(&big, "", 1);
    a = answer(s, (char *)big.data, NULL);
    assert_int_equal(status_of(a), 431);
    free(a);
    big.len = 0;
    buf_appendf(&big, "GET /?");
    for (int i = 0; i <= WEB_MAX_PARAMS; i++) buf_appendf(&big, "p%d=v&", i);
    buf_appendf(&big, " HTTP/1.1\r\n\r\n");
    kiln_buf_append(&big, "", 1);
    a = answer(s, (char *)big.data, NULL);
    assert_int_equal(status_of(a), 431);
    free(a);
    kiln_buf_release(&big);
    web_server_free(s);
}

/* A request cut anywhere, in a block of exactly that size (for ASan), is
 * refused and never read past. */
static void parser_stays_in_bounds(void **state)
{
    const char *req = "GET /p/x%20y?a=1&b=%41+c HTTP/1.1\r\nHost: h\r\nCookie: k=v; "
                      "kiln_token_1=t\r\nAuthorization: Bearer " TOKEN "\r\n\r\n";
    size_t n = strlen(req);
    web_request *r = malloc(sizeof *r);
    for (size_t cut = 0; cut < n; cut++) {
        char *p = malloc(cut ? cut : 1);
        memcpy(p, req, cut);
        assert_int_equal(web_head_length(p, cut), 0);
        KT_CHECK(web_request_parse(p, cut, r) == 400, "cut at %zu", cut);
        free(p);
    }
    assert_int_equal(web_head_length(req, n), n);
    assert_int_equal(web_request_parse(req, n, r), 0);
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/p/x y");
    assert_string_equal(r->raw_query, "a=1&b=%41+c");
    assert_string_equal(web_param_get(r, "b"), "A c");
    assert_string_equal(r->host, "h");
    assert_string_equal(r->bearer, TOKEN);
    char v[64];
    assert_true(web_cookie_get(r, "kiln_token_1", v, sizeof v));
    assert_string_equal(v, "t");
    assert_false(web_cookie_get(r, "kiln_token", v, sizeof v));
    free(r);
}

/* Random names and values (any byte but NUL, empty ones, repeats) encoded
 * with web_percent_encode and parsed back: the same list, in order. */
static void random_queries_round_trip(void **state)
{
    srand(16);
    web_request *r = malloc(sizeof *r);
    for (int round = 0; round < 2000; round++) {
        int n = rand() % 6;
        char names[6][12], values[6][40];
        kiln_buf req;
        kiln_buf_init(&req);
        buf_appendf(&req, "GET /p/q?");
        for (int i = 0; i < n; i++) {
            int nl = 1 + rand() % 10, vl = rand() % 4 == 0 ? 0 : rand() % 39;
            for (int k = 0; k < nl; k++) names[i][k] = (char)(1 + rand() % 255);
            names[i][nl] = 0;
            /* Skewed: mostly a few letters, sometimes any byte. */
            for (int k = 0; k < vl; k++)
                values[i][k] = rand() % 3 ? "ab&=+%# "[rand() % 8] : (char)(1 + rand() % 255);
            values[i][vl] = 0;
            if (i) kiln_buf_append(&req, "&", 1);
            web_percent_encode(&req, names[i]);
            kiln_buf_append(&req, "=", 1);
            web_percent_encode(&req, values[i]);
        }
        buf_appendf(&req, " HTTP/1.1\r\n\r\n");
        assert_int_equal(web_request_parse((char *)req.data, req.len, r), 0);
        KT_CHECK(r->nparams == (size_t)n, "round %d: %zu parameters, expected %d", round,
                 r->nparams, n);
        for (int i = 0; i < n; i++) {
            assert_string_equal(r->params[i].name, names[i]);
            assert_string_equal(r->params[i].value, values[i]);
        }
        kiln_buf_release(&req);
    }
    free(r);
}

static const char *header(const char *a, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(a, key);
    if (p == NULL) return NULL;
    p += strlen(key);
    size_t n = strcspn(p, "\r");
    snprintf(out, size, "%.*s", (int)n, p);
    return out;
}

static void token_cookie_flow(void **state)
{
    web_server *s = server(false, 0);
    assert_true(web_server_needs_token(s));
    char cookie_name[32], want[256], got[512], req[1024];
    snprintf(cookie_name, sizeof cookie_name, "kiln_token_%d", web_server_port(s));
    /* Without anything: 401, and the page says what to do. */
    char *a = answer(s, "GET / HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(status_of(a), 401);
    assert_non_null(strstr(a, "?token="));
    assert_null(strstr(a, TOKEN));
    free(a);
    /* ?token=T: the cookie, and the same URL without the token. */
    a = answer(s, "GET /p/a%20b?x=1&token=" TOKEN "&y=%26 HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(status_of(a), 302);
    has_security_headers(a);
    assert_string_equal(header(a, "Location", got, sizeof got), "/p/a%20b?x=1&y=%26");
    snprintf(want, sizeof want, "%s=%s; HttpOnly; SameSite=Strict; Path=/", cookie_name, TOKEN);
    assert_string_equal(header(a, "Set-Cookie", got, sizeof got), want);
    free(a);
    /* Never off-site: "//evil.example" would be another host to a browser. */
    a = answer(s, "GET //evil.example/?token=" TOKEN " HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(status_of(a), 302);
    assert_string_equal(header(a, "Location", got, sizeof got), "/evil.example/");
    free(a);
    a = answer(s, "GET /?token=wrong HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(status_of(a), 401);
    assert_null(strstr(a, "Set-Cookie"));
    free(a);
    /* The cookie opens pages (among other cookies); a wrong one does not. */
    snprintf(req, sizeof req, "GET /?x=%%3Cb%%3E HTTP/1.1\r\nCookie: a=b; %s=%s; c=d\r\n\r\n",
             cookie_name, TOKEN);
    a = answer(s, req, NULL);
    assert_int_equal(status_of(a), 200);
    assert_non_null(strstr(a, "<p>x=&lt;b&gt;</p>")); /* parameters are escaped */
    free(a);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nCookie: %s=%.63s\r\n\r\n", cookie_name, TOKEN);
    a = answer(s, req, NULL);
    assert_int_equal(status_of(a), 401);
    free(a);
    /* Another port's cookie is not this server's. */
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nCookie: kiln_token_%d=%s\r\n\r\n",
             web_server_port(s) + 1, TOKEN);
    a = answer(s, req, NULL);
    assert_int_equal(status_of(a), 401);
    free(a);
    a = answer(s, "GET / HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", NULL);
    assert_int_equal(status_of(a), 200);
    free(a);
    web_server_free(s);

    /* Beyond loopback without a token: refused at start. */
    web_server_opts o = {.name = "t", .host = "", .port = 0};
    web_server *none;
    KT_RC(KILN_ECONF, web_server_new(&o, &none));
    assert_non_null(strstr(kiln_last_error(), "needs a token"));
}

static void open_server_methods_and_head(void **state)
{
    web_server *s = server(true, 0);
    assert_false(web_server_needs_token(s));
    bool keep;
    char *a = answer(s, "GET /?x=%22%27%3E HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", &keep);
    assert_int_equal(status_of(a), 200);
    assert_true(keep);
    assert_non_null(strstr(a, "\r\nCache-Control: no-store\r\n"));
    assert_non_null(strstr(a, "<p>x=&quot;&#39;&gt;</p>"));
    has_security_headers(a);
    char len[32];
    header(a, "Content-Length", len, sizeof len);
    free(a);
    a = answer(s, "HEAD /?x=%22%27%3E HTTP/1.1\r\n\r\n", &keep);
    assert_int_equal(status_of(a), 200);
    assert_false(keep); /* keep-alive only when asked */
    char len2[32];
    assert_string_equal(header(a, "Content-Length", len2, sizeof len2), len);
    assert_int_equal(strcmp(strstr(a, "\r\n\r\n"), "\r\n\r\n"), 0); /* no body */
    free(a);
    static const char *methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        char req[128];
        snprintf(req, sizeof req, "%s / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", methods[i]);
        a = answer(s, req, &keep);
        KT_CHECK(status_of(a) == 405, "%s: %d", methods[i], status_of(a));
        assert_false(keep);
        has_security_headers(a);
        free(a);
    }
    /* Assets: the files of src/web/assets, byte for byte. */
    static const char *assets[][2] = {{"kiln.css", "text/css"}, {"kiln.js", "text/javascript"}};
    for (int i = 0; i < 2; i++) {
        char path[512], req[128];
        snprintf(path, sizeof path, "%s/src/web/assets/%s", KILN_SOURCE_DIR, assets[i][0]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char file[65536];
        size_t n = fread(file, 1, sizeof file, f);
        fclose(f);
        snprintf(req, sizeof req, "/static/%s", assets[i][0]);
        const web_asset *as = web_asset_find(req);
        assert_non_null(as);
        assert_int_equal(as->len, n);
        assert_memory_equal(as->data, file, n);
        snprintf(req, sizeof req, "GET /static/%s HTTP/1.1\r\n\r\n", assets[i][0]);
        a = answer(s, req, NULL);
        assert_int_equal(status_of(a), 200);
        assert_non_null(strstr(a, assets[i][1]));
        has_security_headers(a);
        free(a);
    }
    a = answer(s, "GET /static/nope.js HTTP/1.1\r\n\r\n", NULL);
    assert_int_equal(status_of(a), 404);
    free(a);
    web_server_free(s);
}

/* ---- Over sockets ---------------------------------------------------------------- */

static int dial(int port)
{
    int fd;
    KT_OK(net_connect("127.0.0.1", port, 2000, &fd));
    return fd;
}

/* Reads one response from fd: the head a byte at a time (so nothing of a
 * next response is taken), then Content-Length bytes of body. */
static char *read_response(int fd)
{
    kiln_buf b;
    kiln_buf_init(&b);
    size_t want = SIZE_MAX;
    while (b.len < want) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1) break;
        char chunk[4096];
        size_t ask = want == SIZE_MAX              ? 1
                     : want - b.len < sizeof chunk ? want - b.len
                                                   : sizeof chunk;
        ssize_t r = recv(fd, chunk, ask, 0);
        if (r <= 0) break;
        kiln_buf_append(&b, chunk, (size_t)r);
        if (want == SIZE_MAX && b.len >= 4 && memcmp(b.data + b.len - 4, "\r\n\r\n", 4) == 0) {
            kiln_buf_append(&b, "", 1);
            b.len--;
            char *cl = strstr((char *)b.data, "Content-Length: ");
            want = b.len + (cl ? strtoull(cl + 16, NULL, 10) : 0);
        }
    }
    kiln_buf_append(&b, "", 1);
    return (char *)b.data;
}

static void live_server(void **state)
{
    web_server *s = server(true, 8);
    KT_OK(web_server_start(s));
    int port = web_server_port(s);
    /* Keep-alive, and two requests sent at once (pipelined). */
    int fd = dial(port);
    const char *two = "GET /p/one HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"
                      "GET /p/two HTTP/1.1\r\nConnection: keep-alive\r\n\r\n";
    assert_int_equal(send(fd, two, strlen(two), 0), (ssize_t)strlen(two));
    char *a = read_response(fd);
    assert_non_null(strstr(a, "hello /p/one"));
    free(a);
    a = read_response(fd);
    assert_non_null(strstr(a, "hello /p/two"));
    free(a);
    close(fd);
    /* A head that never ends within WEB_MAX_REQUEST: 431, then closed. */
    fd = dial(port);
    char junk[WEB_MAX_REQUEST + 16];
    memcpy(junk, "GET / HTTP/1.1\r\nX: ", 19);
    memset(junk + 19, 'a', sizeof junk - 19);
    send(fd, junk, sizeof junk, MSG_NOSIGNAL);
    a = read_response(fd);
    KT_CHECK(strncmp(a, "HTTP/1.1 431", 12) == 0, "got %.40s", a);
    free(a);
    close(fd);
    /* 20 stalled connections (more than max_conns 8): a real client is
     * still answered, as the oldest idle ones are evicted. */
    int stalled[20];
    for (int i = 0; i < 20; i++) {
        stalled[i] = dial(port);
        if (i % 2) send(stalled[i], "GET / HT", 8, 0);
    }
    usleep(300 * 1000);
    fd = dial(port);
    send(fd, "GET / HTTP/1.1\r\n\r\n", 18, 0);
    a = read_response(fd);
    KT_CHECK(strncmp(a, "HTTP/1.1 200", 12) == 0, "under 20 stalled connections: %.40s", a);
    free(a);
    close(fd);
    for (int i = 0; i < 20; i++) close(stalled[i]);

    /* Port retries: a taken port makes the next server take the next one. */
    web_server_opts o = {.name = "second", .port = port, .max_retries = 4};
    web_server *s2;
    KT_OK(web_server_new(&o, &s2));
    KT_CHECK(web_server_port(s2) > port && web_server_port(s2) <= port + 4, "port %d after %d",
             web_server_port(s2), port);
    web_server_free(s2);
    o.max_retries = 0;
    KT_RC(KILN_EIO, web_server_new(&o, &s2));
    assert_non_null(strstr(kiln_last_error(), "kiln.port.maxRetries"));
    web_server_free(s);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_are_checked),         cmocka_unit_test(parser_stays_in_bounds),
        cmocka_unit_test(random_queries_round_trip),    cmocka_unit_test(token_cookie_flow),
        cmocka_unit_test(open_server_methods_and_head), cmocka_unit_test(live_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
