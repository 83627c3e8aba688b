/*
 * test_cluster_http.c - the text side of the master's status: the JSON
 * string escaper (quotes, backslashes, control characters, invalid and
 * overlong UTF-8 all give valid JSON), the status document, the bearer
 * token (checked against `openssl dgst -sha256 -hmac`). The HTTP side is
 * src/web's (tests/unit/test_web_server.c).
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

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(json_output_is_always_clean),
        cmocka_unit_test(status_document_lists_workers),
        cmocka_unit_test(token_is_hmac_of_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
