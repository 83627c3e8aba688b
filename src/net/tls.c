/*
 * net/tls.c - optional TLS on cluster connections (kiln.ssl.enabled), with
 * keys derived from the cluster's shared secret instead of certificates.
 *
 * TLS 1.3 with an external pre-shared key: both sides derive
 * PSK = HMAC-SHA256(secret, "kiln tls psk v1") and hand it to OpenSSL as a
 * resumable session (SSL_CTX_set_psk_use_session_callback on the client,
 * SSL_CTX_set_psk_find_session_callback on the server), cipher suite
 * TLS_AES_256_GCM_SHA384, key exchange psk_dhe_ke (an ECDHE share too, so
 * a secret that leaks later does not decrypt recorded traffic). The client's
 * PSK binder proves it holds the key before the server answers, and the
 * server's Finished proves the server does, so a wrong secret on either
 * side fails the handshake. No certificate is loaded, none is asked for;
 * TLS 1.2 is refused (its PSK suites have no forward secrecy).
 *
 * A socket that completed a handshake is registered in a process-wide
 * table, fd -> connection, which net_send_frame, net_recv_frame(_reuse),
 * net_send_raw, net_send_file and net_close consult, so every caller of
 * src/net (the HMAC handshake included) uses TLS without knowing it. The
 * table is two-level and read without a lock: a directory of pages of
 * slots, pages allocated on first use and never freed, slots written with
 * atomic stores under a mutex and read with atomic loads; before any TLS
 * connection exists a lookup is one relaxed load of a counter. Every TLS
 * fd must be closed with net_close, which unregisters it before the
 * number can be reused.
 *
 * OpenSSL's SSL objects are not safe to use from two threads at once, yet a
 * plain socket may be read on one thread while another writes. Each
 * connection therefore has a mutex held for each SSL_read / SSL_write /
 * SSL_shutdown call (never while waiting in poll), so that stays true.
 *
 * I/O goes through a BIO of our own on the fd: recv/send with
 * MSG_DONTWAIT (and MSG_NOSIGNAL), so OpenSSL never blocks whatever the
 * socket's mode, the fd's flags are left as the caller set them, a gone
 * peer never raises SIGPIPE, and WANT_READ / WANT_WRITE become a poll()
 * with the caller's deadline, as for plain sockets.
 *
 * The record layer, the handshake and all parsing of bytes from the peer
 * are OpenSSL's; this file adds the fd table and the deadline loops, so it
 * has no fuzz target of its own.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "base/base.h"
#include "net/net_int.h"

#define PSK_LABEL "kiln tls psk v1"
#define PSK_IDENTITY "kiln-psk-v1"
#define PSK_SIZE 32 /* HMAC-SHA256 */

/* TLS_AES_256_GCM_SHA384, the only suite offered or accepted. */
static const unsigned char SUITE_ID[2] = {0x13, 0x02};

struct net_tls_conn {
    SSL *ssl;
    pthread_mutex_t mu; /* held for each SSL_* call on ssl */
    bool broken;        /* a fatal error: no close_notify at close */
};

/* ---- The shared context and BIO method, made once ------------------------------ */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static SSL_CTX *tls_ctx;       /* never freed: lives as long as the process */
static BIO_METHOD *bio_method; /* likewise */

static int bio_write(BIO *b, const char *p, int n)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    for (;;) {
        ssize_t w = send(fd, p, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w >= 0) return (int)w;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
        return -1;
    }
}

static int bio_read(BIO *b, char *p, int n)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    for (;;) {
        ssize_t r = recv(fd, p, (size_t)n, MSG_DONTWAIT);
        if (r > 0) return (int)r;
        if (r == 0) {
            BIO_set_flags(b, BIO_FLAGS_IN_EOF);
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(b);
        return -1;
    }
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num, (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* nothing is buffered here */
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* The client offers our PSK as a TLS 1.3 session (the one stored on the SSL
 * by make_ssl); OpenSSL takes the reference we add. */
static int use_session(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
                       SSL_SESSION **sess)
{
    SSL_SESSION *s = SSL_get_app_data(ssl);
    *sess = NULL;
    if (s == NULL) return 0;
    if (md != NULL && md != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(s)))
        return 1; /* after a HelloRetryRequest for another hash: offer none */
    if (!SSL_SESSION_up_ref(s)) return 0;
    *sess = s;
    *id = (const unsigned char *)PSK_IDENTITY;
    *idlen = sizeof PSK_IDENTITY - 1;
    return 1;
}

/* The server accepts only our identity; its key is checked by OpenSSL (the
 * binder), which fails the handshake when the secrets differ. */
static int find_session(SSL *ssl, const unsigned char *id, size_t idlen, SSL_SESSION **sess)
{
    SSL_SESSION *s = SSL_get_app_data(ssl);
    *sess = NULL;
    if (s == NULL) return 0;
    if (idlen != sizeof PSK_IDENTITY - 1 || memcmp(id, PSK_IDENTITY, idlen) != 0)
        return 1; /* unknown identity: no PSK, and with no certificate no handshake */
    if (!SSL_SESSION_up_ref(s)) return 0;
    *sess = s;
    return 1;
}

static void init_once_fn(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kiln socket");
    if (m == NULL || !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
        BIO_meth_free(m);
        return;
    }
    SSL_CTX *c = SSL_CTX_new(TLS_method());
    if (c == NULL || !SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(c, "TLS_AES_256_GCM_SHA384") || !SSL_CTX_set_num_tickets(c, 0)) {
        SSL_CTX_free(c);
        BIO_meth_free(m);
        return;
    }
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    /* A write returns after each record, so a retry after WANT_WRITE simply
     * goes on from what was written. */
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_psk_use_session_callback(c, use_session);
    SSL_CTX_set_psk_find_session_callback(c, find_session);
    bio_method = m;
    tls_ctx = c;
}

/* ---- The fd table ------------------------------------------------------------------ */

#define SLOT_BITS 10
#define SLOTS (1 << SLOT_BITS)
#define PAGES 1024 /* fds below 1,048,576 can carry TLS */
#define MAX_FD (PAGES * SLOTS)

typedef _Atomic(net_tls_conn *) slot;
static _Atomic(slot *) pages[PAGES];
static atomic_int conns; /* registered connections; 0 makes every lookup one load */
static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;

net_tls_conn *net_tls_lookup(int fd)
{
    if (atomic_load_explicit(&conns, memory_order_relaxed) == 0 || fd < 0 || fd >= MAX_FD)
        return NULL;
    slot *page = atomic_load_explicit(&pages[fd >> SLOT_BITS], memory_order_acquire);
    return page ? atomic_load_explicit(&page[fd & (SLOTS - 1)], memory_order_acquire) : NULL;
}

static void conn_free(net_tls_conn *c, bool notify)
{
    if (c == NULL) return;
    if (notify && !c->broken && SSL_is_init_finished(c->ssl)) {
        /* One attempt to send close_notify, so the peer reads a clean end
         * rather than a truncation; we do not wait for its answer. */
        ERR_clear_error();
        SSL_shutdown(c->ssl);
    }
    ERR_clear_error();
    SSL_free(c->ssl);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Registers c for fd. A connection still registered there belonged to a
 * socket closed without net_close; the number now names another socket,
 * so that one is freed without a word to its (gone) peer. */
static int table_put(int fd, net_tls_conn *c)
{
    if (fd < 0 || fd >= MAX_FD)
        return kiln_set_error(KILN_EINVAL, "fd %d is too large for TLS (at most %d)", fd,
                              MAX_FD - 1);
    pthread_mutex_lock(&table_mu);
    slot *page = atomic_load_explicit(&pages[fd >> SLOT_BITS], memory_order_relaxed);
    if (page == NULL) {
        page = calloc(SLOTS, sizeof *page);
        if (page == NULL) {
            pthread_mutex_unlock(&table_mu);
            return kiln_set_error(KILN_ENOMEM, "out of memory for the TLS fd table");
        }
        atomic_store_explicit(&pages[fd >> SLOT_BITS], page, memory_order_release);
    }
    net_tls_conn *old = atomic_exchange_explicit(&page[fd & (SLOTS - 1)], c, memory_order_acq_rel);
    if (old == NULL) atomic_fetch_add_explicit(&conns, 1, memory_order_relaxed);
    pthread_mutex_unlock(&table_mu);
    conn_free(old, false);
    return KILN_OK;
}

void net_tls_detach(int fd)
{
    if (atomic_load_explicit(&conns, memory_order_relaxed) == 0 || fd < 0 || fd >= MAX_FD) return;
    pthread_mutex_lock(&table_mu);
    slot *page = atomic_load_explicit(&pages[fd >> SLOT_BITS], memory_order_relaxed);
    net_tls_conn *c = page ? atomic_exchange_explicit(&page[fd & (SLOTS - 1)], NULL,
                                                      memory_order_acq_rel)
                           : NULL;
    if (c != NULL) atomic_fetch_sub_explicit(&conns, 1, memory_order_relaxed);
    pthread_mutex_unlock(&table_mu);
    conn_free(c, true);
}

int net_tls_count(void)
{
    return atomic_load_explicit(&conns, memory_order_relaxed);
}

bool net_tls_active(int fd)
{
    return net_tls_lookup(fd) != NULL;
}

/* ---- Errors ----------------------------------------------------------------------------- */

/* The first (root) OpenSSL error of this thread, as text; clears the queue. */
static unsigned long take_error(char *out, size_t size)
{
    unsigned long first = ERR_get_error(), e;
    while ((e = ERR_get_error()) != 0) {
    }
    const char *why = first ? ERR_reason_error_string(first) : NULL;
    if (why != NULL) snprintf(out, size, "%s", why);
    else if (first != 0) ERR_error_string_n(first, out, size);
    else snprintf(out, size, "unknown TLS error");
    return first;
}

/* Turns a failed SSL call's outcome into a kiln error (c->broken set).
 * Returns 0 when the peer closed the connection (cleanly or not). */
static int io_error(net_tls_conn *c, int r, int e, const char *doing, const char *peer)
{
    c->broken = true;
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    int err = errno;
    char why[256];
    unsigned long code = take_error(why, sizeof why);
    BIO *b = SSL_get_rbio(c->ssl);
    bool eof = b != NULL && BIO_test_flags(b, BIO_FLAGS_IN_EOF);
    if (eof &&
        (e == SSL_ERROR_SYSCALL || ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
        return 0;
    if (e == SSL_ERROR_SYSCALL && code == 0)
        return kiln_set_error(KILN_EIO, "%s %s: %s", doing, NET_PEER(peer),
                              r == 0 || err == 0 ? "connection closed" : strerror(err));
    return kiln_set_error(KILN_EIO, "%s %s: TLS: %s", doing, NET_PEER(peer), why);
}

/* ---- Reading and writing ---------------------------------------------------------------- */

ssize_t net_tls_read(net_tls_conn *c, void *p, size_t n, short *wait, const char *peer)
{
    *wait = 0;
    size_t got = 0;
    pthread_mutex_lock(&c->mu);
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(c->ssl, p, n, &got);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
    ssize_t out;
    if (r == 1) out = (ssize_t)got;
    else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *wait = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        out = 0;
    } else {
        out = io_error(c, r, e, "receiving from", peer);
    }
    pthread_mutex_unlock(&c->mu);
    return out;
}

ssize_t net_tls_write_nb(net_tls_conn *c, const void *p, size_t n, short *wait, const char *doing,
                         const char *peer)
{
    *wait = 0;
    size_t put = 0;
    pthread_mutex_lock(&c->mu);
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(c->ssl, p, n, &put);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
    ssize_t out;
    if (r == 1) out = (ssize_t)put;
    else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *wait = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        out = 0;
    } else {
        out = io_error(c, r, e, doing, peer);
        if (out == 0)
            out = kiln_set_error(KILN_EIO, "%s %s: connection closed", doing, NET_PEER(peer));
    }
    pthread_mutex_unlock(&c->mu);
    return out;
}

int net_tls_write_all(net_tls_conn *c, int fd, const void *p, size_t n, int64_t deadline,
                      const char *doing, const char *peer)
{
    size_t sent = 0;
    while (sent < n) {
        short wait;
        ssize_t w = net_tls_write_nb(c, (const uint8_t *)p + sent, n - sent, &wait, doing, peer);
        if (w < 0) return (int)w;
        sent += (size_t)w;
        if (wait != 0) {
            int rc = net_wait(fd, wait, deadline, doing, peer);
            if (rc != KILN_OK) return rc;
        }
    }
    return KILN_OK;
}

int net_tls_send_frame(net_tls_conn *c, int fd, const uint8_t hdr[NET_HEADER_SIZE],
                       const void *payload, size_t len, int64_t deadline, const char *doing,
                       const char *peer)
{
    /* The header and the start of the payload go in one record (a record
     * holds 16 KiB), so a small frame is one record, not two. */
    uint8_t first[16384];
    size_t head = len < sizeof first - NET_HEADER_SIZE ? len : sizeof first - NET_HEADER_SIZE;
    memcpy(first, hdr, NET_HEADER_SIZE);
    if (head > 0) memcpy(first + NET_HEADER_SIZE, payload, head);
    int rc = net_tls_write_all(c, fd, first, NET_HEADER_SIZE + head, deadline, doing, peer);
    if (rc == KILN_OK && len > head)
        rc = net_tls_write_all(c, fd, (const uint8_t *)payload + head, len - head, deadline, doing,
                               peer);
    return rc;
}

/* ---- The handshake ---------------------------------------------------------------------- */

/* PSK = HMAC-SHA256(secret, "kiln tls psk v1"). */
static int derive_psk(const uint8_t *secret, size_t len, uint8_t psk[PSK_SIZE])
{
    unsigned int n = 0;
    if (HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)PSK_LABEL, sizeof PSK_LABEL - 1,
             psk, &n) == NULL ||
        n != PSK_SIZE)
        return kiln_set_error(KILN_EIO, "HMAC-SHA256 failed in OpenSSL");
    return KILN_OK;
}

/* A new SSL on fd with the PSK session stored as its app data (the caller
 * frees that with SSL_SESSION_free once the handshake is over). */
static int make_ssl(int fd, const uint8_t *secret, size_t len, SSL **out, SSL_SESSION **sess_out)
{
    *out = NULL;
    *sess_out = NULL;
    pthread_once(&init_once, init_once_fn);
    if (tls_ctx == NULL) {
        char why[256];
        take_error(why, sizeof why);
        return kiln_set_error(KILN_EIO, "cannot set up TLS in OpenSSL: %s", why);
    }
    uint8_t psk[PSK_SIZE];
    int rc = derive_psk(secret, len, psk);
    if (rc != KILN_OK) return rc;
    SSL *ssl = SSL_new(tls_ctx);
    SSL_SESSION *sess = SSL_SESSION_new();
    BIO *bio = BIO_new(bio_method);
    const SSL_CIPHER *suite = ssl ? SSL_CIPHER_find(ssl, SUITE_ID) : NULL;
    if (ssl == NULL || sess == NULL || bio == NULL || suite == NULL ||
        !SSL_SESSION_set1_master_key(sess, psk, sizeof psk) ||
        !SSL_SESSION_set_cipher(sess, suite) ||
        !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
        OPENSSL_cleanse(psk, sizeof psk);
        BIO_free(bio);
        SSL_SESSION_free(sess);
        SSL_free(ssl);
        ERR_clear_error();
        return kiln_set_error(KILN_ENOMEM, "out of memory setting up TLS");
    }
    OPENSSL_cleanse(psk, sizeof psk);
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(ssl, bio, bio); /* ssl owns bio */
    SSL_set_app_data(ssl, sess);
    *out = ssl;
    *sess_out = sess;
    return KILN_OK;
}

/* Why a handshake failed, as a kiln error naming peer. */
static int handshake_error(SSL *ssl, int r, int e, const char *peer)
{
    int err = errno;
    char why[256];
    unsigned long code = take_error(why, sizeof why);
    BIO *b = SSL_get_rbio(ssl);
    bool eof = b != NULL && BIO_test_flags(b, BIO_FLAGS_IN_EOF);
    int reason = ERR_GET_LIB(code) == ERR_LIB_SSL ? ERR_GET_REASON(code) : 0;
    if (eof || (e == SSL_ERROR_SYSCALL && code == 0 &&
                (r == 0 || err == 0 || err == ECONNRESET || err == EPIPE)))
        return kiln_set_error(KILN_EIO,
                              "TLS handshake with %s failed: connection closed by the peer "
                              "(wrong secret, or kiln.ssl.enabled differs between the two sides?)",
                              NET_PEER(peer));
    if (e == SSL_ERROR_SYSCALL && code == 0)
        return kiln_set_error(KILN_EIO, "TLS handshake with %s failed: %s", NET_PEER(peer),
                              strerror(err));
    if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
        reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST ||
        reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_RECORD_LENGTH_MISMATCH)
        return kiln_set_error(KILN_ECORRUPT,
                              "TLS handshake with %s failed: %s: the peer does not speak TLS "
                              "(kiln.ssl.enabled must be the same on both sides)",
                              NET_PEER(peer), why);
    return kiln_set_error(KILN_EINVAL, "TLS handshake with %s failed: %s (wrong secret?)",
                          NET_PEER(peer), why);
}

/* A TLS handshake under way on fd (tls.c's side of net_tls_pending). */
struct net_tls_pending {
    int fd;
    SSL *ssl;          /* NULL once handed to the fd table */
    SSL_SESSION *sess; /* the PSK, freed as soon as the handshake ends */
};

int net_tls_begin(int fd, const uint8_t *secret, size_t len, bool server, const char *peer,
                  net_tls_pending **out)
{
    *out = NULL;
    if (secret == NULL || len < NET_SECRET_MIN || len > NET_SECRET_MAX)
        return kiln_set_error(KILN_EINVAL,
                              "TLS handshake with %s: a secret of %zu bytes: it must have %d to "
                              "%d bytes",
                              NET_PEER(peer), secret ? len : 0, NET_SECRET_MIN, NET_SECRET_MAX);
    if (fd < 0 || fd >= MAX_FD)
        return kiln_set_error(KILN_EINVAL, "TLS handshake with %s: bad fd %d", NET_PEER(peer), fd);
    net_tls_pending *p = calloc(1, sizeof *p);
    if (p == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for a TLS handshake");
    p->fd = fd;
    int rc = make_ssl(fd, secret, len, &p->ssl, &p->sess);
    if (rc != KILN_OK) {
        free(p);
        return rc;
    }
    if (server) SSL_set_accept_state(p->ssl);
    else SSL_set_connect_state(p->ssl);
    *out = p;
    return KILN_OK;
}

/* Ends p's use of the PSK: the SSL keeps only the derived keys. */
static void drop_psk(net_tls_pending *p)
{
    if (p->sess == NULL) return;
    SSL_set_app_data(p->ssl, NULL);
    SSL_SESSION_free(p->sess);
    p->sess = NULL;
}

int net_tls_continue(net_tls_pending *p, short *events, const char *peer)
{
    *events = 0;
    if (p->ssl == NULL) return KILN_OK; /* done already */
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(p->ssl);
    if (r != 1) {
        int e = SSL_get_error(p->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            *events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            return KILN_OK;
        }
        int rc = handshake_error(p->ssl, r, e, peer);
        drop_psk(p);
        return rc;
    }
    drop_psk(p);
    net_tls_conn *c = calloc(1, sizeof *c);
    if (c == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for a TLS connection");
    c->ssl = p->ssl;
    pthread_mutex_init(&c->mu, NULL);
    p->ssl = NULL; /* c owns it now, and the table owns c */
    int rc = table_put(p->fd, c);
    if (rc != KILN_OK) conn_free(c, false);
    return rc;
}

void net_tls_pending_free(net_tls_pending *p)
{
    if (p == NULL) return;
    if (p->ssl != NULL) {
        drop_psk(p);
        SSL_free(p->ssl);
        ERR_clear_error();
    }
    free(p);
}

/* The blocking handshake: net_tls_continue until done, waiting in poll()
 * for what it needs until the deadline. */
static int handshake(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer,
                     bool server)
{
    int64_t deadline = net_deadline(timeout_ms);
    net_tls_pending *p;
    int rc = net_tls_begin(fd, secret, len, server, peer, &p);
    short events = 0;
    if (rc == KILN_OK) rc = net_tls_continue(p, &events, peer);
    while (rc == KILN_OK && events != 0) {
        rc = net_wait(fd, events, deadline, "waiting for the TLS handshake with", peer);
        if (rc != KILN_OK)
            rc = kiln_set_error(rc, "TLS handshake with %s failed: %s", NET_PEER(peer),
                                kiln_last_error());
        else rc = net_tls_continue(p, &events, peer);
    }
    net_tls_pending_free(p);
    return rc;
}

int net_tls_client(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer)
{
    return handshake(fd, secret, len, timeout_ms, peer, false);
}

int net_tls_server(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer)
{
    return handshake(fd, secret, len, timeout_ms, peer, true);
}

/* ---- Configuration ---------------------------------------------------------------------- */

int net_tls_setting(const char *value, bool *on)
{
    *on = false;
    if (value == NULL) return KILN_OK;
    if (parse_bool(value, on) != KILN_OK) {
        *on = false;
        return kiln_set_error(KILN_ECONF, "kiln.ssl.enabled: expected true or false, got '%.60s'",
                              value);
    }
    return KILN_OK;
}
