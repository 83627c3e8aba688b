/*
 * net/auth.c - mutual shared-secret authentication, run on every new
 * connection before any other message is parsed (docs/formats/protocol.md,
 * "Authentication"):
 *
 *     client -> server  HELLO          nonce_c (32 random bytes)
 *     server -> client  CHALLENGE      nonce_s (32 random bytes)
 *     client -> server  AUTH_RESPONSE  HMAC-SHA256(K, "kiln-auth-v1 client" || nonce_c || nonce_s)
 *     server -> client  AUTH_OK        HMAC-SHA256(K, "kiln-auth-v1 server" || nonce_s || nonce_c)
 *                    or AUTH_FAIL      a reason
 *
 * where K is the shared secret.
 *
 * Each side proves it knows the secret over both nonces, so a recorded
 * exchange cannot be replayed (the other side's nonce is fresh), and the
 * distinct role labels stop a proof made by one side from being reflected
 * back as the other's. The client proves itself first, so a server never
 * computes anything with its secret for a peer that has not proved it holds
 * it. Proofs are compared in constant time (CRYPTO_memcmp). Until the
 * handshake succeeds frames are limited to NET_AUTH_MAX_FRAME bytes, so an
 * unauthenticated peer can make us allocate at most that much.
 *
 * The client's side runs here, blocking; the server's is the state machine
 * of handshake.c (net_auth_server below drives it with poll()), which
 * non-blocking servers drive from their own loops.
 *
 * This authenticates the peer; it does not encrypt or sign later frames
 * (as Spark's spark.authenticate without spark.network.crypto).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/base.h"
#include "net/net_int.h"

#define LABEL_CLIENT NET_AUTH_LABEL_CLIENT
#define LABEL_SERVER NET_AUTH_LABEL_SERVER
#define LABEL_LEN (sizeof LABEL_CLIENT - 1) /* both labels have this length */
#define REASON_MAX 200

_Static_assert(sizeof LABEL_CLIENT == sizeof LABEL_SERVER, "labels must have one length");

/* The side running the handshake: names and limits used in messages. */
typedef struct auth_side {
    int fd;
    const uint8_t *secret;
    size_t secret_len;
    int64_t deadline;
    const char *peer;
} auth_side;

int net_auth_proof(const uint8_t *secret, size_t len, const char *label,
                   const uint8_t own[NET_NONCE_SIZE], const uint8_t other[NET_NONCE_SIZE],
                   uint8_t mac[NET_MAC_SIZE])
{
    uint8_t msg[LABEL_LEN + 2 * NET_NONCE_SIZE];
    memcpy(msg, label, LABEL_LEN);
    memcpy(msg + LABEL_LEN, own, NET_NONCE_SIZE);
    memcpy(msg + LABEL_LEN + NET_NONCE_SIZE, other, NET_NONCE_SIZE);
    unsigned int n = 0;
    if (HMAC(EVP_sha256(), secret, (int)len, msg, sizeof msg, mac, &n) == NULL || n != NET_MAC_SIZE)
        return kiln_set_error(KILN_EIO, "HMAC-SHA256 failed in OpenSSL");
    return KILN_OK;
}

/* The proof of side s. */
static int proof(const auth_side *s, const char *label, const uint8_t own[NET_NONCE_SIZE],
                 const uint8_t other[NET_NONCE_SIZE], uint8_t mac[NET_MAC_SIZE])
{
    return net_auth_proof(s->secret, s->secret_len, label, own, other, mac);
}

int net_auth_nonce(uint8_t nonce[NET_NONCE_SIZE])
{
    if (RAND_bytes(nonce, NET_NONCE_SIZE) != 1)
        return kiln_set_error(KILN_EIO, "the system's random generator failed (RAND_bytes)");
    return KILN_OK;
}

static int send_msg(const auth_side *s, int type, const void *p, size_t n)
{
    return net_send_frame(s->fd, (uint8_t)type, p, n, net_remaining_ms(s->deadline), s->peer);
}

/* Receives the next frame, which must be of type want or alt (-1: none),
 * with a payload of at most NET_AUTH_MAX_FRAME bytes. */
static int recv_msg(const auth_side *s, int want, int alt, net_frame *f)
{
    int rc = net_recv_frame(s->fd, NET_AUTH_MAX_FRAME, net_remaining_ms(s->deadline), s->peer, f);
    if (rc != KILN_OK) return rc;
    if (f->type == want || f->type == alt) return KILN_OK;
    rc = kiln_set_error(KILN_ECORRUPT,
                        "expected %s from %s, got %s (a peer must authenticate "
                        "before anything else)",
                        net_msg_name(want), NET_PEER(s->peer), net_msg_name(f->type));
    net_frame_release(f);
    return rc;
}

/* Receives a frame of type want holding exactly n bytes, copied to out. */
static int recv_fixed(const auth_side *s, int want, uint8_t *out, size_t n)
{
    net_frame f;
    int rc = recv_msg(s, want, -1, &f);
    if (rc != KILN_OK) return rc;
    if (f.payload.len == n) memcpy(out, f.payload.data, n);
    else
        rc = kiln_set_error(KILN_ECORRUPT, "%s from %s has %zu bytes, expected %zu",
                            net_msg_name(want), NET_PEER(s->peer), f.payload.len, n);
    net_frame_release(&f);
    return rc;
}

int net_auth_failed(const char *peer, int rc)
{
    return kiln_set_error(rc, "authentication with %s failed: %s", NET_PEER(peer),
                          kiln_last_error());
}

/* Adds "authentication with PEER failed: " before the current message. */
static int failed(const auth_side *s, int rc)
{
    return net_auth_failed(s->peer, rc);
}

int net_auth_check_secret(const uint8_t *secret, size_t len)
{
    if (secret == NULL || len < NET_SECRET_MIN || len > NET_SECRET_MAX)
        return kiln_set_error(KILN_EINVAL,
                              "authentication secret of %zu bytes: it must have %d to %d bytes",
                              secret ? len : 0, NET_SECRET_MIN, NET_SECRET_MAX);
    return KILN_OK;
}

/* The client's last step: AUTH_OK with the server's proof, or AUTH_FAIL. */
static int client_finish(const auth_side *s, const uint8_t nonce_c[NET_NONCE_SIZE],
                         const uint8_t nonce_s[NET_NONCE_SIZE])
{
    net_frame f;
    int rc = recv_msg(s, NET_MSG_AUTH_OK, NET_MSG_AUTH_FAIL, &f);
    if (rc != KILN_OK) return rc;
    if (f.type == NET_MSG_AUTH_FAIL) {
        char reason[REASON_MAX + 1];
        wire_reader r;
        wire_reader_init(&r, f.payload.data, f.payload.len, "AUTH_FAIL");
        wire_get_str(&r, reason, sizeof reason, "reason");
        rc = wire_reader_end(&r);
        net_frame_release(&f);
        if (rc != KILN_OK) return rc;
        return kiln_set_error(KILN_EINVAL,
                              "wrong secret: %s rejected this side's proof (it says: %s); both "
                              "sides need the same secret",
                              NET_PEER(s->peer), reason);
    }
    uint8_t want[NET_MAC_SIZE];
    rc = proof(s, LABEL_SERVER, nonce_s, nonce_c, want);
    if (rc == KILN_OK && f.payload.len != NET_MAC_SIZE)
        rc = kiln_set_error(KILN_ECORRUPT, "AUTH_OK from %s has %zu bytes, expected %d",
                            NET_PEER(s->peer), f.payload.len, NET_MAC_SIZE);
    if (rc == KILN_OK && CRYPTO_memcmp(want, f.payload.data, NET_MAC_SIZE) != 0)
        rc = kiln_set_error(KILN_EINVAL,
                            "wrong secret: %s could not prove it knows our secret (the secrets "
                            "of the two sides differ, or it is not the kiln process expected)",
                            NET_PEER(s->peer));
    OPENSSL_cleanse(want, sizeof want);
    net_frame_release(&f);
    return rc;
}

int net_auth_client(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer)
{
    auth_side s = {fd, secret, len, net_deadline(timeout_ms), peer};
    int rc = net_auth_check_secret(secret, len);
    if (rc != KILN_OK) return failed(&s, rc);
    uint8_t nonce_c[NET_NONCE_SIZE], nonce_s[NET_NONCE_SIZE], mac[NET_MAC_SIZE];
    rc = net_auth_nonce(nonce_c);
    if (rc == KILN_OK) rc = send_msg(&s, NET_MSG_HELLO, nonce_c, sizeof nonce_c);
    if (rc == KILN_OK) rc = recv_fixed(&s, NET_MSG_CHALLENGE, nonce_s, sizeof nonce_s);
    if (rc == KILN_OK) rc = proof(&s, LABEL_CLIENT, nonce_c, nonce_s, mac);
    if (rc == KILN_OK) rc = send_msg(&s, NET_MSG_AUTH_RESPONSE, mac, sizeof mac);
    if (rc == KILN_OK) rc = client_finish(&s, nonce_c, nonce_s);
    OPENSSL_cleanse(mac, sizeof mac);
    return rc == KILN_OK ? KILN_OK : failed(&s, rc);
}

/* The server's side is handshake.c's state machine, driven here until it
 * is done, waiting in poll() for what it asks until the deadline. */
int net_auth_server(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer)
{
    net_handshake h;
    short events = 0;
    int rc = net_handshake_init(&h, fd, secret, len, false, timeout_ms, peer);
    if (rc == KILN_OK) rc = net_handshake_step(&h, &events);
    while (rc == KILN_OK && events != 0) {
        struct pollfd p = {.fd = fd, .events = events};
        if (poll(&p, 1, net_handshake_timeout_ms(&h)) < 0 && errno != EINTR) {
            rc = net_auth_failed(peer, kiln_set_error(KILN_EIO, "waiting for %s: poll: %s",
                                                      NET_PEER(peer), strerror(errno)));
            break;
        }
        /* Ready, or the deadline passed: the step says which. */
        rc = net_handshake_step(&h, &events);
    }
    net_handshake_release(&h);
    return rc;
}

int net_dial(const char *host, int port, const uint8_t *secret, size_t len, bool tls,
             int timeout_ms, const char *peer, int *fd)
{
    int rc = net_connect(host, port, timeout_ms, fd);
    if (rc == KILN_OK && tls) rc = net_tls_client(*fd, secret, len, timeout_ms, peer);
    if (rc == KILN_OK) rc = net_auth_client(*fd, secret, len, timeout_ms, peer);
    if (rc != KILN_OK) {
        net_close(*fd);
        *fd = -1;
    }
    return rc;
}
