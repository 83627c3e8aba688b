/*
 * test_net_auth.c - the shared-secret handshake (src/net/auth.c) and secrets
 * (secret.c): the right secret authenticates both sides, over a socketpair
 * and over loopback TCP, and the stream stays in step afterwards; a wrong
 * secret fails on both sides with a message saying so; a fake server that
 * does not know the secret is caught by the client; a peer that sends
 * garbage, a huge length, a message out of turn or a malformed handshake
 * message is refused at once without allocating; a silent or stalled peer
 * times out; secrets are generated, read from private files only, and
 * checked for length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define OTHER_SECRET "fedcba9876543210fedcba9876543210"

/* One side of a handshake, run on its own thread. */
typedef struct side {
    int fd;
    bool server;
    const char *secret;
    int timeout_ms;
    int rc;
    char msg[1024]; /* kiln_last_error() is per thread: copied here */
} side;

static void *run_side(void *arg)
{
    side *s = arg;
    const uint8_t *k = (const uint8_t *)s->secret;
    size_t n = strlen(s->secret);
    s->rc = s->server ? net_auth_server(s->fd, k, n, s->timeout_ms, "client")
                      : net_auth_client(s->fd, k, n, s->timeout_ms, "server");
    snprintf(s->msg, sizeof s->msg, "%s", kiln_last_error());
    return NULL;
}

/* Runs client and server over a new socketpair, the server on a thread.
 * Leaves the pair open in sv for the caller to use and close. */
static void handshake(int sv[2], side *client, side *server)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    client->fd = sv[0];
    client->server = false;
    server->fd = sv[1];
    server->server = true;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_side, server), 0);
    run_side(client);
    pthread_join(t, NULL);
}

/* After a handshake both directions still carry frames in step. */
static void check_in_step(int a, int b)
{
    net_heartbeat hb = {.seq = 7, .sent_ms = 99}, got;
    kiln_buf p;
    kiln_buf_init(&p);
    KT_OK(net_msg_heartbeat_write(&p, &hb));
    KT_OK(net_send_frame(a, NET_MSG_HEARTBEAT, p.data, p.len, 1000, "b"));
    KT_OK(net_send_frame(b, NET_MSG_HEARTBEAT, p.data, p.len, 1000, "a"));
    net_frame f;
    KT_OK(net_recv_frame(b, NET_MAX_FRAME, 1000, "a", &f));
    KT_OK(net_msg_heartbeat_read(&f, "a", &got));
    assert_true(got.seq == 7);
    net_frame_release(&f);
    KT_OK(net_recv_frame(a, NET_MAX_FRAME, 1000, "b", &f));
    KT_OK(net_msg_heartbeat_read(&f, "b", &got));
    net_frame_release(&f);
    kiln_buf_release(&p);
}

static void right_secret_authenticates_both_sides(void **state)
{
    int sv[2];
    side c = {.secret = SECRET, .timeout_ms = 5000}, s = c;
    handshake(sv, &c, &s);
    KT_CHECK(c.rc == KILN_OK && s.rc == KILN_OK, "client %d '%s', server %d '%s'", c.rc, c.msg,
             s.rc, s.msg);
    check_in_step(sv[0], sv[1]);
    net_close(sv[0]);
    net_close(sv[1]);
}

typedef struct tcp_server {
    int lfd;
    side s;
} tcp_server;

static void *accept_and_authenticate(void *arg)
{
    tcp_server *t = arg;
    char peer[64];
    t->s.rc = net_accept(t->lfd, 5000, &t->s.fd, peer, sizeof peer);
    if (t->s.rc == KILN_OK) run_side(&t->s);
    return NULL;
}

static void authenticates_over_loopback_tcp(void **state)
{
    tcp_server t = {.s = {.server = true, .secret = SECRET, .timeout_ms = 5000, .fd = -1}};
    int port;
    KT_OK(net_listen("127.0.0.1", 0, 4, &t.lfd, &port));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, accept_and_authenticate, &t), 0);
    side c = {.secret = SECRET, .timeout_ms = 5000};
    KT_OK(net_connect("127.0.0.1", port, 5000, &c.fd));
    run_side(&c);
    pthread_join(th, NULL);
    KT_CHECK(c.rc == KILN_OK && t.s.rc == KILN_OK, "client '%s', server '%s'", c.msg, t.s.msg);
    check_in_step(c.fd, t.s.fd);
    net_close(c.fd);
    net_close(t.s.fd);
    net_close(t.lfd);
}

static void wrong_secret_fails_on_both_sides(void **state)
{
    int sv[2];
    side c = {.secret = OTHER_SECRET, .timeout_ms = 5000};
    side s = {.secret = SECRET, .timeout_ms = 5000};
    handshake(sv, &c, &s);
    assert_int_equal(c.rc, KILN_EINVAL);
    assert_int_equal(s.rc, KILN_EINVAL);
    KT_CHECK(strstr(c.msg, "authentication with server failed: wrong secret"), "client: %s", c.msg);
    KT_CHECK(strstr(s.msg, "authentication with client failed: wrong secret"), "server: %s", s.msg);
    net_close(sv[0]);
    net_close(sv[1]);
    /* A secret that differs only in its last byte, or is a prefix, fails too. */
    const char *near[] = {SECRET "x", "0123456789abcdef0123456789abcdeF"};
    for (int i = 0; i < 2; i++) {
        side c2 = {.secret = near[i], .timeout_ms = 5000}, s2 = s;
        handshake(sv, &c2, &s2);
        assert_int_equal(c2.rc, KILN_EINVAL);
        assert_int_equal(s2.rc, KILN_EINVAL);
        net_close(sv[0]);
        net_close(sv[1]);
    }
}

/* A server that does not know the secret: it plays the protocol and answers
 * AUTH_OK with a made-up proof. */
static void *fake_server(void *arg)
{
    int fd = *(int *)arg;
    net_frame f;
    uint8_t zeros[32] = {0};
    if (net_recv_frame(fd, 256, 5000, "c", &f) == KILN_OK) net_frame_release(&f);
    net_send_frame(fd, NET_MSG_CHALLENGE, zeros, 32, 5000, "c");
    if (net_recv_frame(fd, 256, 5000, "c", &f) == KILN_OK) net_frame_release(&f);
    net_send_frame(fd, NET_MSG_AUTH_OK, zeros, 32, 5000, "c");
    return NULL;
}

static void client_catches_a_server_without_the_secret(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fake_server, &sv[1]), 0);
    KT_RC(KILN_EINVAL, net_auth_client(sv[0], (const uint8_t *)SECRET, 32, 5000, "master m:7077"));
    pthread_join(t, NULL);
    assert_non_null(strstr(kiln_last_error(), "authentication with master m:7077 failed: wrong "
                                              "secret: master m:7077 could not prove"));
    net_close(sv[0]);
    net_close(sv[1]);
}

/* Runs the server on bytes a peer already sent; returns its result. */
static int server_on(const void *bytes, size_t n, int timeout_ms)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if (n > 0) assert_int_equal(write(sv[0], bytes, n), (ssize_t)n);
    int rc = net_auth_server(sv[1], (const uint8_t *)SECRET, 32, timeout_ms, "10.1.2.3:4567");
    net_close(sv[0]);
    net_close(sv[1]);
    return rc;
}

static void hostile_first_bytes_are_refused_at_once(void **state)
{
    int64_t before, after, peak;
    double t0 = now_seconds();
    /* Not kiln: an HTTP request. */
    KT_RC(KILN_ECORRUPT, server_on("GET / HTTP/1.1\r\n\r\n", 18, 5000));
    assert_non_null(strstr(kiln_last_error(), "authentication with 10.1.2.3:4567 failed: frame "
                                              "from 10.1.2.3:4567: bad magic bytes 47"));
    /* A HELLO claiming 4 GiB: refused from the header, nothing allocated. */
    uint8_t h[12] = {'K', 'I', 'L', 'N', 1, NET_MSG_HELLO, 0, 0, 0xff, 0xff, 0xff, 0xff};
    mem_stats_read(&before, &peak);
    KT_RC(KILN_ECORRUPT, server_on(h, sizeof h, 5000));
    mem_stats_read(&after, &peak);
    assert_int_equal(after, before);
    assert_non_null(strstr(kiln_last_error(), "HELLO payload of 4294967295 bytes exceeds the "
                                              "limit of 256 bytes"));
    /* Just over the handshake's limit (a frame that is fine later). */
    h[8] = 1, h[9] = 1, h[10] = 0, h[11] = 0; /* 257 bytes */
    KT_RC(KILN_ECORRUPT, server_on(h, sizeof h, 5000));
    /* Any other message before authenticating. */
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(net_frame_encode(&b, NET_MSG_LAUNCH_TASK, "task", 4));
    KT_RC(KILN_ECORRUPT, server_on(b.data, b.len, 5000));
    assert_non_null(
        strstr(kiln_last_error(), "expected HELLO from 10.1.2.3:4567, got LAUNCH_TASK"));
    /* A HELLO with a short nonce. */
    b.len = 0;
    KT_OK(net_frame_encode(&b, NET_MSG_HELLO, "short", 5));
    KT_RC(KILN_ECORRUPT, server_on(b.data, b.len, 5000));
    assert_non_null(strstr(kiln_last_error(), "HELLO from 10.1.2.3:4567 has 5 bytes, expected 32"));
    kiln_buf_release(&b);
    /* None of these waited for the timeout. */
    assert_true(now_seconds() - t0 < 2.5);

    /* The client refuses a server that answers garbage. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], "SSH-2.0-OpenSSH_9.2\r\n", 21), 21);
    KT_RC(KILN_ECORRUPT, net_auth_client(sv[0], (const uint8_t *)SECRET, 32, 5000, "m:1"));
    assert_non_null(strstr(kiln_last_error(), "bad magic"));
    net_close(sv[0]);
    net_close(sv[1]);
}

static void silent_or_stalled_peer_times_out(void **state)
{
    /* The server hears nothing. */
    double t0 = now_seconds();
    KT_RC(KILN_EIO, server_on(NULL, 0, 200));
    double took = now_seconds() - t0;
    assert_true(took >= 0.19 && took < 3);
    assert_non_null(strstr(kiln_last_error(), "authentication with 10.1.2.3:4567 failed: timed "
                                              "out waiting for a frame from 10.1.2.3:4567"));
    /* The client hears nothing after its HELLO. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    t0 = now_seconds();
    KT_RC(KILN_EIO, net_auth_client(sv[0], (const uint8_t *)SECRET, 32, 200, "master"));
    took = now_seconds() - t0;
    assert_true(took >= 0.19 && took < 3);
    assert_non_null(strstr(kiln_last_error(), "timed out"));
    net_close(sv[0]);
    net_close(sv[1]);
    /* A peer that sends a valid HELLO and then stalls: the deadline covers the
     * whole handshake, not each message. */
    uint8_t hello[12 + 32] = {'K', 'I', 'L', 'N', 1, NET_MSG_HELLO, 0, 0, 32, 0, 0, 0};
    t0 = now_seconds();
    KT_RC(KILN_EIO, server_on(hello, sizeof hello, 300));
    took = now_seconds() - t0;
    assert_true(took >= 0.29 && took < 3);
    /* A peer that hangs up half way is a closed connection, not a timeout. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], hello, sizeof hello), (ssize_t)sizeof hello);
    shutdown(sv[0], SHUT_WR);
    KT_RC(KILN_EIO, net_auth_server(sv[1], (const uint8_t *)SECRET, 32, 5000, "w"));
    assert_non_null(strstr(kiln_last_error(), "connection closed by w"));
    net_close(sv[0]);
    net_close(sv[1]);
}

static void secrets_are_generated_loaded_and_checked(void **state)
{
    char a[65], b[65];
    KT_OK(net_secret_generate(a));
    KT_OK(net_secret_generate(b));
    assert_int_equal(strlen(a), 64);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_string_not_equal(a, b);

    uint8_t *s;
    size_t n;
    KT_OK(net_secret_load(a, &s, &n));
    assert_int_equal(n, 64);
    assert_memory_equal(s, a, 64);
    net_secret_free(s, n);
    KT_RC(KILN_ECONF, net_secret_load("short", &s, &n));
    assert_non_null(strstr(kiln_last_error(), "the secret has 5 bytes; it needs 16 to 4096"));
    /* The error tells an operator how to make one, not an internal name. */
    assert_non_null(strstr(kiln_last_error(), "kiln secret > FILE"));
    assert_null(strstr(kiln_last_error(), "net_secret_generate"));
    assert_null(s);
    KT_RC(KILN_ECONF, net_secret_load("", &s, &n));
    KT_RC(KILN_EINVAL, net_auth_client(-1, (const uint8_t *)"short", 5, 100, "m"));

    char *dir = kt_tmpdir_new();
    char *path = kt_path(dir, "secret");
    char spec[4200];
    snprintf(spec, sizeof spec, "file:%s", path);
    char line[70];
    snprintf(line, sizeof line, "%s\n", a);
    kt_write_file(path, line, strlen(line));
    /* Readable by others: refused, with the fix in the message. */
    assert_int_equal(chmod(path, 0644), 0);
    KT_RC(KILN_ECONF, net_secret_load(spec, &s, &n));
    assert_non_null(strstr(kiln_last_error(), "accessible by group or others (mode 0644)"));
    assert_non_null(strstr(kiln_last_error(), "chmod 600"));
    assert_int_equal(chmod(path, 0600), 0);
    KT_OK(net_secret_load(spec, &s, &n));
    assert_int_equal(n, 64); /* the newline is not part of it */
    assert_memory_equal(s, a, 64);
    net_secret_free(s, n);
    /* Too long, empty, absent, a directory. */
    char *big = malloc(NET_SECRET_MAX + 10);
    memset(big, 'k', NET_SECRET_MAX + 10);
    kt_write_file(path, big, NET_SECRET_MAX + 10);
    assert_int_equal(chmod(path, 0400), 0);
    KT_RC(KILN_ECONF, net_secret_load(spec, &s, &n));
    free(big);
    assert_int_equal(chmod(path, 0600), 0);
    kt_write_file(path, "\n", 1);
    KT_RC(KILN_ECONF, net_secret_load(spec, &s, &n));
    assert_non_null(strstr(kiln_last_error(), "has 0 bytes"));
    unlink(path);
    KT_RC(KILN_ENOENT, net_secret_load(spec, &s, &n));
    assert_non_null(strstr(kiln_last_error(), path));
    assert_int_equal(chmod(dir, 0700), 0);
    snprintf(spec, sizeof spec, "file:%s", dir);
    KT_RC(KILN_ECONF, net_secret_load(spec, &s, &n));
    assert_non_null(strstr(kiln_last_error(), "not a regular file"));
    kt_rm_rf(dir);
    free(path);
    free(dir);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(right_secret_authenticates_both_sides),
        cmocka_unit_test(authenticates_over_loopback_tcp),
        cmocka_unit_test(wrong_secret_fails_on_both_sides),
        cmocka_unit_test(client_catches_a_server_without_the_secret),
        cmocka_unit_test(hostile_first_bytes_are_refused_at_once),
        cmocka_unit_test(silent_or_stalled_peer_times_out),
        cmocka_unit_test(secrets_are_generated_loaded_and_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
