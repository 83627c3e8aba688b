/*
 * test_cluster_http.c - the text side of the master's status: the JSON
 * string escaper (quotes, backslashes, control characters, invalid and
 * overlong UTF-8 all give valid JSON), the status document, the bearer
 * token (checked against `openssl dgst -sha256 -hmac`) and the HTTP request
 * parser (401 before anything else without the token, malformed requests
 * refused, nothing read past the bytes given).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"
#include "kt.h"

#define SECRET "0123456789abcdef0123456789abcdef"
/* printf kiln-status | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef */
#define TOKEN "5a448d84482aeb9856968fcfb74c06dc5adaf557f85e18f08067002d0e7d6885"

/* s escaped, as a NUL-terminated string owned by the caller. */
static char *escaped(const char *s)
{
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(json_put_str(&b, s), KILN_OK);
    assert_int_equal(kiln_buf_append(&b, "", 1), KILN_OK);
    return (char *)b.data;
}

static void json_strings_are_escaped(void **state)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"", "\"\""},
        {"plain /path", "\"plain /path\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"C:\\dir", "\"C:\\\\dir\""},
        {"a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        /* Not UTF-8: a lone continuation byte, a truncated sequence, an
         * overlong '/', a surrogate, a code point past U+10FFFF, 0xff. */
        {"\x80", "\"\\ufffd\""},
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"x\xffy", "\"x\\ufffdy\""},
        {"</script>", "\"</script>\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = escaped(cases[i].in);
        KT_CHECK(strcmp(got, cases[i].out) == 0, "case %zu: got %s, expected %s", i, got,
                 cases[i].out);
        free(got);
    }
}

/* Every byte value, alone and after a lead byte: the output never holds a
 * raw control character, an unescaped quote or an invalid byte. */
static void json_output_is_always_clean(void **state)
{
    for (int a = 1; a < 256; a++) {
        for (int lead = 0; lead < 3; lead++) {
            char in[3] = {(char)a, 0, 0};
            if (lead) {
                in[0] = (char)(lead == 1 ? 0xc3 : 0xe2);
                in[1] = (char)a;
            }
            char *got = escaped(in);
            size_t n = strlen(got);
            assert_true(got[0] == '"' && got[n - 1] == '"' && n >= 2);
            for (size_t i = 1; i + 1 < n; i++) {
                unsigned char c = (unsigned char)got[i];
                assert_true(c >= 0x20 && c != 0x7f && c != 0xff && c != 0xc0 && c != 0xc1);
                if (c == '"') assert_int_equal(got[i - 1], '\\');
            }
            free(got);
        }
    }
}

static void status_document_lists_workers(void **state)
{
    deploy_worker_status w[2] = {0};
    strcpy(w[0].id, "worker-1");
    strcpy(w[0].offer.host, "h\"1");
    w[0].offer.cores = 2;
    w[0].offer.memory = 4ull << 30;
    strcpy(w[0].offer.work_dir, "/w");
    w[0].state = DEPLOY_WORKER_ALIVE;
    w[0].heartbeat_age_ms = 12;
    w[1] = w[0];
    strcpy(w[1].id, "worker-2");
    w[1].state = DEPLOY_WORKER_DEAD;
    deploy_status s = {.url = "kiln://m:7077", .nworkers = 2, .workers = w};
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_status_json(&s, &b));
    kiln_buf_append(&b, "", 1);
    const char *j = (const char *)b.data;
    assert_non_null(strstr(j, "\"url\": \"kiln://m:7077\""));
    assert_non_null(strstr(j, "\"aliveworkers\": 1"));
    assert_non_null(strstr(j, "\"cores\": 2,\n")); /* the total counts ALIVE workers only */
    assert_non_null(strstr(j,
                           "{\"id\": \"worker-1\", \"host\": \"h\\\"1\", \"cores\": 2, "
                           "\"memory\": 4096, \"memory_bytes\": 4294967296, \"workdir\": \"/w\", "
                           "\"state\": \"ALIVE\", \"lastheartbeat_age_ms\": 12}"));
    assert_non_null(strstr(j, "\"id\": \"worker-2\""));
    assert_non_null(strstr(j, "\"state\": \"DEAD\""));
    assert_non_null(strstr(j, "\"applications\": [],\n  \"executors\": []"));
    kiln_buf_release(&b);
    deploy_status empty = {.url = "kiln://m:1"};
    kiln_buf_init(&b);
    KT_OK(deploy_status_json(&empty, &b));
    kiln_buf_append(&b, "", 1);
    assert_non_null(strstr((const char *)b.data, "\"workers\": [],"));
    kiln_buf_release(&b);
}

static void token_is_hmac_of_label(void **state)
{
    char tok[HTTP_TOKEN_HEX + 1];
    KT_OK(deploy_http_token((const uint8_t *)SECRET, strlen(SECRET), tok));
    assert_string_equal(tok, TOKEN);
}

static int handle(const char *req)
{
    http_request r;
    return http_handle_request(req, strlen(req), TOKEN, &r);
}

static void http_requests_are_checked(void **state)
{
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
        {"GET /secret HTTP/1.1\r\n\r\n", 401}, /* no path is revealed without the token */
        {"GET /other HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 404},
        {"POST /json HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n", 405},
        {"GET /json\r\n\r\n", 400},
        {"GET /json HTTP/2\r\n\r\n", 400},
        {"GET  /json HTTP/1.1\r\n\r\n", 400},
        {"GET /json HTTP/1.1 extra\r\n\r\n", 400},
        {"GET /j\x01son HTTP/1.1\r\n\r\n", 400},
        {"\r\n\r\n", 400},
        {"GET /json HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n", 400}, /* no blank line */
        {"", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = handle(cases[i].req);
        KT_CHECK(got == cases[i].status, "case %zu: got %d, expected %d", i, got, cases[i].status);
    }
    /* A path too long for the parser's buffer is malformed, not cut. */
    char big[600] = "GET /";
    memset(big + 5, 'a', 400);
    strcpy(big + 405, " HTTP/1.1\r\n\r\n");
    assert_int_equal(handle(big), 400);
}

/* Every answer forbids MIME sniffing and caching; 401 carries the
 * challenge. */
static void http_response_head_is_safe(void **state)
{
    static const int statuses[] = {200, 400, 401, 404, 405, 431, 500};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        char head[HTTP_HEAD_MAX];
        int n = http_response_head(statuses[i], 12345, head, sizeof head);
        KT_CHECK(n > 0 && (size_t)n == strlen(head), "status %d: %d", statuses[i], n);
        assert_non_null(strstr(head, "\r\nX-Content-Type-Options: nosniff\r\n"));
        assert_non_null(strstr(head, "\r\nCache-Control: no-store\r\n"));
        assert_non_null(strstr(head, "\r\nContent-Length: 12345\r\n"));
        assert_int_equal(strstr(head, "WWW-Authenticate: Bearer") != NULL, statuses[i] == 401);
        assert_int_equal(memcmp(head + n - 4, "\r\n\r\n", 4), 0);
        char want[64];
        snprintf(want, sizeof want, "HTTP/1.1 %d %s\r\n", statuses[i], http_reason(statuses[i]));
        assert_int_equal(strncmp(head, want, strlen(want)), 0);
    }
    char small[16];
    assert_int_equal(http_response_head(200, 1, small, sizeof small), -1);
}

/* The parser reads only the bytes it is given: a request cut anywhere
 * (in a heap block of exactly that size, for ASan) is never a 200. */
static void http_parser_stays_in_bounds(void **state)
{
    const char *req = "GET /json HTTP/1.1\r\nAuthorization: Bearer " TOKEN "\r\n\r\n";
    size_t n = strlen(req);
    for (size_t cut = 0; cut < n; cut++) {
        char *p = malloc(cut ? cut : 1);
        memcpy(p, req, cut);
        http_request r;
        int got = http_handle_request(p, cut, TOKEN, &r);
        KT_CHECK(got == 400, "cut at %zu: %d", cut, got);
        free(p);
    }
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(json_output_is_always_clean),
        cmocka_unit_test(status_document_lists_workers),
        cmocka_unit_test(token_is_hmac_of_label),
        cmocka_unit_test(http_requests_are_checked),
        cmocka_unit_test(http_parser_stays_in_bounds),
        cmocka_unit_test(http_response_head_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
