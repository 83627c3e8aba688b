/*
 * deploy/http.c - the token of the master's and workers' web pages and of
 * GET /json (the HTTP server itself is src/web; master_web.c and
 * worker_web.c are the pages).
 *
 * The token is HMAC-SHA256(secret, "kiln-status") in hex, not the secret
 * itself: a status page is often fetched over plain HTTP, and a token seen on
 * the wire opens only the status page, never a cluster connection.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "deploy/deploy_int.h"

#define TOKEN_LABEL "kiln-status"

int deploy_http_token(const uint8_t *secret, size_t len, char out[HTTP_TOKEN_HEX + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)TOKEN_LABEL,
             strlen(TOKEN_LABEL), mac, &maclen) == NULL ||
        maclen != HTTP_TOKEN_HEX / 2)
        return kiln_set_error(KILN_EIO, "computing the HTTP status token failed (OpenSSL HMAC)");
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < maclen; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[HTTP_TOKEN_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    return KILN_OK;
}
