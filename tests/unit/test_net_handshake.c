/*
 * test_net_handshake.c - the server's handshake as a non-blocking state
 * machine (src/net/handshake.c), driven step by step by the test, which
 * plays the client by hand over a socketpair: fed one byte at a time it
 * waits for more after each byte and completes with a proof the client can
 * check, consuming no byte past the handshake; a wrong proof fails with
 * AUTH_FAIL sent; another message first, a frame over NET_AUTH_MAX_FRAME,
 * a close half way fail at once with net_auth_server's messages; a reply
 * the socket cannot take is kept and sent once it can; the deadline fails
 * a silent peer, but bytes that arrived in time are read first; and a
 * failed machine stays failed; with TLS first, the whole of it runs from a
 * poll() loop and frames then go through TLS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"
#include "net/net_int.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define WRONG "fedcba9876543210fedcba9876543210"
#define PEER "client 10.9.8.7:5555"

static const uint8_t *K = (const uint8_t *)SECRET;

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/* A socketpair: sv[0] the test's client end, sv[1] the server's (non-blocking). */
static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    int fl = fcntl(sv[1], F_GETFL);
    assert_int_equal(fcntl(sv[1], F_SETFL, fl | O_NONBLOCK), 0);
}

static void put_frame(kiln_buf *b, int type, const void *p, size_t n)
{
    KT_OK(net_frame_encode(b, (uint8_t)type, p, n));
}

/* Steps the machine, expecting it to wait for events. */
static void expect_wait(net_handshake *h, short events)
{
    short ev = -1;
    int rc = net_handshake_step(h, &ev);
    KT_CHECK(rc == KILN_OK, "step failed: %s", kiln_last_error());
    assert_int_equal(ev, events);
}

/* Reads the server's next frame on the client end, of type want, n bytes. */
static void expect_frame(int fd, int want, uint8_t *out, size_t n)
{
    net_frame f;
    KT_OK(net_recv_frame(fd, NET_AUTH_MAX_FRAME, 1000, "server", &f));
    assert_string_equal(net_msg_name(f.type), net_msg_name(want));
    assert_int_equal(f.payload.len, n);
    if (out) memcpy(out, f.payload.data, n);
    net_frame_release(&f);
}

static void one_byte_at_a_time(void **state)
{
    int sv[2];
    pair(sv);
    net_handshake h;
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), false, 5000, PEER));
    expect_wait(&h, POLLIN);
    uint8_t nonce_c[NET_NONCE_SIZE], nonce_s[NET_NONCE_SIZE], mac[NET_MAC_SIZE];
    KT_OK(net_auth_nonce(nonce_c));
    kiln_buf b;
    kiln_buf_init(&b);
    put_frame(&b, NET_MSG_HELLO, nonce_c, sizeof nonce_c);
    for (size_t i = 0; i + 1 < b.len; i++) {
        assert_int_equal(write(sv[0], b.data + i, 1), 1);
        expect_wait(&h, POLLIN); /* not yet a whole HELLO */
        assert_int_equal(h.phase, NET_HS_HELLO);
    }
    assert_int_equal(write(sv[0], b.data + b.len - 1, 1), 1);
    expect_wait(&h, POLLIN); /* CHALLENGE sent; now waits for the response */
    assert_int_equal(h.phase, NET_HS_RESPONSE);
    expect_frame(sv[0], NET_MSG_CHALLENGE, nonce_s, sizeof nonce_s);
    KT_OK(net_auth_proof(K, strlen(SECRET), NET_AUTH_LABEL_CLIENT, nonce_c, nonce_s, mac));
    b.len = 0;
    put_frame(&b, NET_MSG_AUTH_RESPONSE, mac, sizeof mac);
    size_t response = b.len;
    /* The client's first frame after the handshake, sent at once: it must
     * be left in the socket for whoever reads after the handshake. */
    put_frame(&b, NET_MSG_STATUS_REQUEST, NULL, 0);
    for (size_t i = 0; i + 1 < response; i++) {
        assert_int_equal(write(sv[0], b.data + i, 1), 1);
        expect_wait(&h, POLLIN);
    }
    assert_int_equal(write(sv[0], b.data + response - 1, b.len - response + 1),
                     (ssize_t)(b.len - response + 1));
    expect_wait(&h, 0); /* done */
    assert_int_equal(h.phase, NET_HS_DONE);
    uint8_t ok[NET_MAC_SIZE], want[NET_MAC_SIZE];
    expect_frame(sv[0], NET_MSG_AUTH_OK, ok, sizeof ok);
    KT_OK(net_auth_proof(K, strlen(SECRET), NET_AUTH_LABEL_SERVER, nonce_s, nonce_c, want));
    assert_memory_equal(ok, want, sizeof ok);
    net_frame f;
    KT_OK(net_recv_frame(sv[1], NET_MAX_FRAME, 1000, "client", &f));
    assert_int_equal(f.type, NET_MSG_STATUS_REQUEST);
    net_frame_release(&f);
    net_handshake_release(&h);
    kiln_buf_release(&b);
    net_close(sv[0]);
    net_close(sv[1]);
}

/* The real client against the machine driven by net_auth_server: the
 * blocking server is a loop over it. */
static void *client_main(void *arg)
{
    int *fd = arg;
    fd[1] = net_auth_client(fd[0], K, strlen(SECRET), 5000, "server");
    return NULL;
}

static void the_blocking_server_is_the_machine(void **state)
{
    int sv[2];
    pair(sv);
    int c[2] = {sv[0], -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client_main, c), 0);
    KT_OK(net_auth_server(sv[1], K, strlen(SECRET), 5000, "client"));
    pthread_join(t, NULL);
    assert_int_equal(c[1], KILN_OK);
    net_close(sv[0]);
    net_close(sv[1]);
}

/* Runs the machine over bytes a peer sent (then shut its writing side
 * when hangup). Returns the step's code; the machine is released. */
static int machine_on(const void *bytes, size_t n, bool hangup, int sv[2])
{
    pair(sv);
    if (n) assert_int_equal(write(sv[0], bytes, n), (ssize_t)n);
    if (hangup) shutdown(sv[0], SHUT_WR);
    net_handshake h;
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), false, 5000, PEER));
    short ev;
    int rc = net_handshake_step(&h, &ev);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", kiln_last_error());
    if (rc != KILN_OK) assert_int_equal(net_handshake_step(&h, &ev), rc); /* sticky */
    net_handshake_release(&h);
    kiln_set_error(rc, "%s", msg);
    return rc;
}

static void wrong_secret_fails_and_says_so(void **state)
{
    int sv[2];
    pair(sv);
    net_handshake h;
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), false, 5000, PEER));
    uint8_t nonce_c[NET_NONCE_SIZE] = {1}, nonce_s[NET_NONCE_SIZE], mac[NET_MAC_SIZE];
    kiln_buf b;
    kiln_buf_init(&b);
    put_frame(&b, NET_MSG_HELLO, nonce_c, sizeof nonce_c);
    assert_int_equal(write(sv[0], b.data, b.len), (ssize_t)b.len);
    expect_wait(&h, POLLIN);
    expect_frame(sv[0], NET_MSG_CHALLENGE, nonce_s, sizeof nonce_s);
    KT_OK(net_auth_proof((const uint8_t *)WRONG, strlen(WRONG), NET_AUTH_LABEL_CLIENT, nonce_c,
                         nonce_s, mac));
    b.len = 0;
    put_frame(&b, NET_MSG_AUTH_RESPONSE, mac, sizeof mac);
    assert_int_equal(write(sv[0], b.data, b.len), (ssize_t)b.len);
    short ev = -1;
    KT_RC(KILN_EINVAL, net_handshake_step(&h, &ev));
    assert_int_equal(ev, 0);
    KT_CHECK(strstr(kiln_last_error(), "authentication with " PEER " failed: wrong secret: " PEER
                                       " does not know this server's secret"),
             "%s", kiln_last_error());
    assert_int_equal(h.phase, NET_HS_FAILED);
    KT_RC(KILN_EINVAL, net_handshake_step(&h, &ev)); /* sticky */
    /* The client was told, so it reports a wrong secret, not a close. */
    net_frame f;
    KT_OK(net_recv_frame(sv[0], NET_AUTH_MAX_FRAME, 1000, "server", &f));
    assert_int_equal(f.type, NET_MSG_AUTH_FAIL);
    net_frame_release(&f);
    net_handshake_release(&h);
    kiln_buf_release(&b);
    net_close(sv[0]);
    net_close(sv[1]);
}

static void hostile_frames_fail_at_once(void **state)
{
    int sv[2];
    kiln_buf b;
    kiln_buf_init(&b);
    /* Another message before the handshake. */
    put_frame(&b, NET_MSG_REGISTER_WORKER, "x", 1);
    KT_RC(KILN_ECORRUPT, machine_on(b.data, b.len, false, sv));
    KT_CHECK(strstr(kiln_last_error(),
                    "authentication with " PEER " failed: expected HELLO from " PEER
                    ", got REGISTER_WORKER"),
             "%s", kiln_last_error());
    net_close(sv[0]);
    net_close(sv[1]);
    /* A HELLO of the wrong size. */
    b.len = 0;
    put_frame(&b, NET_MSG_HELLO, "short", 5);
    KT_RC(KILN_ECORRUPT, machine_on(b.data, b.len, false, sv));
    assert_non_null(strstr(kiln_last_error(), "HELLO from " PEER " has 5 bytes, expected 32"));
    net_close(sv[0]);
    net_close(sv[1]);
    /* A frame one byte over the limit before login: refused from its
     * header, nothing allocated for it. */
    uint8_t h[12] = {'K', 'I', 'L', 'N', 1, NET_MSG_HELLO, 0, 0, 1, 1, 0, 0}; /* 257 bytes */
    int64_t before, after, peak;
    mem_stats_read(&before, &peak);
    KT_RC(KILN_ECORRUPT, machine_on(h, sizeof h, false, sv));
    mem_stats_read(&after, &peak);
    assert_int_equal(after, before);
    assert_non_null(strstr(kiln_last_error(), "HELLO payload of 257 bytes exceeds the limit of "
                                              "256 bytes"));
    net_close(sv[0]);
    net_close(sv[1]);
    /* Not kiln at all: the first byte is enough. */
    KT_RC(KILN_ECORRUPT, machine_on("G", 1, false, sv));
    assert_non_null(strstr(kiln_last_error(), "bad magic bytes 47"));
    net_close(sv[0]);
    net_close(sv[1]);
    /* A close inside the HELLO. */
    KT_RC(KILN_EIO, machine_on(h, 5, true, sv));
    assert_non_null(
        strstr(kiln_last_error(), "connection closed by " PEER " inside a frame header"));
    net_close(sv[0]);
    net_close(sv[1]);
    kiln_buf_release(&b);
}

static void a_full_socket_keeps_the_reply(void **state)
{
    int sv[2];
    pair(sv);
    /* Fill the server-to-client direction, so the CHALLENGE cannot go. */
    char junk[4096] = {0};
    size_t filled = 0;
    for (;;) {
        ssize_t w = send(sv[1], junk, sizeof junk, MSG_DONTWAIT);
        if (w <= 0) break;
        filled += (size_t)w;
    }
    assert_true(filled > 0);
    net_handshake h;
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), false, 5000, PEER));
    uint8_t nonce_c[NET_NONCE_SIZE] = {7}, nonce_s[NET_NONCE_SIZE];
    kiln_buf b;
    kiln_buf_init(&b);
    put_frame(&b, NET_MSG_HELLO, nonce_c, sizeof nonce_c);
    assert_int_equal(write(sv[0], b.data, b.len), (ssize_t)b.len);
    expect_wait(&h, POLLOUT);
    assert_int_equal(h.phase, NET_HS_CHALLENGE);
    /* The client drains the junk; the reply then goes out whole. */
    size_t drained = 0;
    while (drained < filled) {
        ssize_t r = recv(sv[0], junk,
                         filled - drained < sizeof junk ? filled - drained : sizeof junk, 0);
        assert_true(r > 0);
        drained += (size_t)r;
    }
    expect_wait(&h, POLLIN);
    assert_int_equal(h.phase, NET_HS_RESPONSE);
    expect_frame(sv[0], NET_MSG_CHALLENGE, nonce_s, sizeof nonce_s);
    net_handshake_release(&h);
    kiln_buf_release(&b);
    net_close(sv[0]);
    net_close(sv[1]);
}

static void the_deadline_covers_the_whole_handshake(void **state)
{
    int sv[2];
    pair(sv);
    net_handshake h;
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), false, 200, PEER));
    expect_wait(&h, POLLIN);
    assert_true(net_handshake_timeout_ms(&h) > 0 && net_handshake_timeout_ms(&h) <= 200);
    sleep_ms(250);
    assert_int_equal(net_handshake_timeout_ms(&h), 0);
    short ev = -1;
    KT_RC(KILN_EIO, net_handshake_step(&h, &ev));
    KT_CHECK(strstr(kiln_last_error(), "authentication with " PEER " failed: timed out waiting "
                                       "for a frame from " PEER),
             "%s", kiln_last_error());
    net_handshake_release(&h);
    net_close(sv[0]);
    net_close(sv[1]);

    /* A peer that answered in time is not failed because the server came
     * late (it was stopped, or busy): what arrived is read first. */
    pair(sv);
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), false, 200, PEER));
    uint8_t nonce_c[NET_NONCE_SIZE] = {3}, nonce_s[NET_NONCE_SIZE], mac[NET_MAC_SIZE];
    kiln_buf b;
    kiln_buf_init(&b);
    put_frame(&b, NET_MSG_HELLO, nonce_c, sizeof nonce_c);
    assert_int_equal(write(sv[0], b.data, b.len), (ssize_t)b.len);
    expect_wait(&h, POLLIN);
    expect_frame(sv[0], NET_MSG_CHALLENGE, nonce_s, sizeof nonce_s);
    KT_OK(net_auth_proof(K, strlen(SECRET), NET_AUTH_LABEL_CLIENT, nonce_c, nonce_s, mac));
    b.len = 0;
    put_frame(&b, NET_MSG_AUTH_RESPONSE, mac, sizeof mac);
    assert_int_equal(write(sv[0], b.data, b.len), (ssize_t)b.len);
    sleep_ms(250);
    expect_wait(&h, 0);
    expect_frame(sv[0], NET_MSG_AUTH_OK, NULL, NET_MAC_SIZE);
    net_handshake_release(&h);
    kiln_buf_release(&b);
    net_close(sv[0]);
    net_close(sv[1]);
}

/* The client's side with TLS, as net_dial does it on a connected fd. */
static int net_dial_fd_tls(int fd)
{
    int rc = net_tls_client(fd, K, strlen(SECRET), 5000, "server");
    if (rc == KILN_OK) rc = net_auth_client(fd, K, strlen(SECRET), 5000, "server");
    return rc;
}

static void *tls_client_main(void *arg)
{
    int *fd = arg;
    fd[1] = net_dial_fd_tls(fd[0]);
    return NULL;
}

static void tls_then_hmac_without_blocking(void **state)
{
    int sv[2];
    pair(sv);
    int c[2] = {sv[0], -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, tls_client_main, c), 0);
    net_handshake h;
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), true, 5000, PEER));
    short ev = POLLIN;
    int rc = KILN_OK;
    while (rc == KILN_OK && ev != 0) {
        struct pollfd p = {.fd = sv[1], .events = ev};
        poll(&p, 1, net_handshake_timeout_ms(&h));
        rc = net_handshake_step(&h, &ev);
    }
    pthread_join(t, NULL);
    KT_CHECK(rc == KILN_OK, "%s", kiln_last_error());
    assert_int_equal(c[1], KILN_OK);
    assert_true(net_tls_active(sv[1]));
    net_handshake_release(&h);
    /* Frames now go through TLS both ways. */
    KT_OK(net_send_frame(sv[0], NET_MSG_STATUS_REQUEST, NULL, 0, 1000, "server"));
    net_frame f;
    KT_OK(net_recv_frame(sv[1], NET_MAX_FRAME, 1000, "client", &f));
    assert_int_equal(f.type, NET_MSG_STATUS_REQUEST);
    net_frame_release(&f);
    net_close(sv[0]);
    net_close(sv[1]);

    /* A TLS peer that says nothing: the TLS phase times out. */
    pair(sv);
    KT_OK(net_handshake_init(&h, sv[1], K, strlen(SECRET), true, 100, PEER));
    expect_wait(&h, POLLIN);
    sleep_ms(150);
    KT_RC(KILN_EIO, net_handshake_step(&h, &ev));
    KT_CHECK(strstr(kiln_last_error(), "TLS handshake with " PEER " failed: timed out"), "%s",
             kiln_last_error());
    assert_false(net_tls_active(sv[1]));
    net_handshake_release(&h);
    net_close(sv[0]);
    net_close(sv[1]);
}

static void a_bad_secret_fails_at_init(void **state)
{
    int sv[2];
    pair(sv);
    net_handshake h;
    KT_RC(KILN_EINVAL,
          net_handshake_init(&h, sv[1], (const uint8_t *)"short", 5, false, 100, PEER));
    short ev;
    KT_RC(KILN_EINVAL, net_handshake_step(&h, &ev));
    net_handshake_release(&h);
    net_close(sv[0]);
    net_close(sv[1]);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    log_set_threshold(LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_byte_at_a_time),
        cmocka_unit_test(the_blocking_server_is_the_machine),
        cmocka_unit_test(wrong_secret_fails_and_says_so),
        cmocka_unit_test(hostile_frames_fail_at_once),
        cmocka_unit_test(a_full_socket_keeps_the_reply),
        cmocka_unit_test(the_deadline_covers_the_whole_handshake),
        cmocka_unit_test(tls_then_hmac_without_blocking),
        cmocka_unit_test(a_bad_secret_fails_at_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
