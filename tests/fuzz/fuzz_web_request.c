/*
 * fuzz_web_request.c - libFuzzer target for src/web's HTTP request head
 * parser (web_request_parse, web_head_length, the cookie and parameter
 * look-ups) and for a whole answer of a server bound to every address
 * (token checks, the redirect that strips ?token=, routing, security
 * headers): whatever a peer sends is refused with a status or answered,
 * never a crash, an out-of-bounds read or a leak; every answer carries
 * the security headers and a Location never leaves the site.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void page(void *arg, const web_request *req, web_response *res)
{
    html_esc(&res->body, req->path);
    for (size_t i = 0; i < req->nparams; i++) {
        html_esc(&res->body, req->params[i].name);
        html_esc(&res->body, req->params[i].value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static web_server *s;
    if (s == NULL) {
        web_server_opts o = {.name = "fuzz", .host = "", .port = 0, .token = TOKEN};
        if (web_server_new(&o, &s) != KILN_OK) abort();
        web_route(s, "/", WEB_EXACT, page, NULL);
        web_route(s, "/p/", WEB_PREFIX, page, NULL);
        web_route(s, "/json", WEB_EXACT | WEB_BEARER, page, NULL);
    }
    /* In a block of exactly n bytes, so ASan sees any read past it. */
    char *p = malloc(n ? n : 1);
    if (n) memcpy(p, d, n);
    size_t h = web_head_length(p, n);
    if (h > n) abort();
    web_request *req = malloc(sizeof *req);
    if (web_request_parse(p, h ? h : n, req) == 0) {
        char v[WEB_TOKEN_MAX];
        web_cookie_get(req, "kiln_token_1", v, sizeof v);
        web_param_get(req, "token");
        if (req->path[0] != '/' || strlen(req->path) > WEB_MAX_TARGET) abort();
    }
    free(req);
    if (h) {
        kiln_buf out;
        kiln_buf_init(&out);
        bool keep;
        if (web_server_answer(s, p, h, &out, &keep) == KILN_OK) {
            if (out.len < 12 || memcmp(out.data, "HTTP/1.1 ", 9) != 0) abort();
            if (!memmem(out.data, out.len, "\r\nX-Frame-Options: DENY\r\n", 25)) abort();
            if (!memmem(out.data, out.len, "\r\nX-Content-Type-Options: nosniff\r\n", 35)) abort();
            const uint8_t *loc = memmem(out.data, out.len, "\r\nLocation: ", 12);
            if (loc && (loc[12] != '/' || loc[13] == '/' || loc[13] == '\\')) abort();
        }
        kiln_buf_release(&out);
    }
    free(p);
    return 0;
}
