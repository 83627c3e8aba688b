/*
 * test_net_tls.c - TLS on cluster connections (src/net/tls.c): the PSK
 * handshake then the HMAC handshake then frames both ways over loopback
 * TCP, a 50 MB frame through net_recv_frame_reuse, net_send_raw and
 * net_send_file (TLS and plain) checked byte for byte, bytes on the wire
 * that are not the plaintext, one connection read and written by two
 * threads at once; a wrong secret fails on both sides with KILN_EINVAL
 * within the deadline; a plain peer against a TLS one (either way round)
 * fails at once, no hang; a silent peer times out; a closed peer is
 * reported; kiln.ssl.enabled is parsed. Run under build-asan, LeakSanitizer
 * checks that net_close frees every session. KT_TLS_BENCH_MB=1024 prints
 * the throughput of 1 GB of frames, TLS and plain.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define OTHER_SECRET "fedcba9876543210fedcba9876543210"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One side of a connection set-up, run on its own thread or the caller's:
 * TLS (when tls), then the HMAC handshake (when auth). A side that fails
 * closes its socket, as a real server would. */
typedef struct side {
    int fd;
    bool server, tls, auth;
    const char *secret;
    int timeout_ms;
    int rc;
    double secs;
    char msg[1024]; /* kiln_last_error() is per thread: copied here */
} side;

static void *run_side(void *arg)
{
    side *s = arg;
    const uint8_t *k = (const uint8_t *)s->secret;
    size_t n = strlen(s->secret);
    double t0 = now_s();
    s->rc = KILN_OK;
    if (s->tls)
        s->rc = s->server ? net_tls_server(s->fd, k, n, s->timeout_ms, "client")
                          : net_tls_client(s->fd, k, n, s->timeout_ms, "server");
    if (s->rc == KILN_OK && s->auth)
        s->rc = s->server ? net_auth_server(s->fd, k, n, s->timeout_ms, "client")
                          : net_auth_client(s->fd, k, n, s->timeout_ms, "server");
    s->secs = now_s() - t0;
    snprintf(s->msg, sizeof s->msg, "%s", kiln_last_error());
    if (s->rc != KILN_OK) {
        net_close(s->fd);
        s->fd = -1;
    }
    return NULL;
}

/* A connected loopback TCP pair: fds[0] connected, fds[1] accepted. */
static void tcp_pair(int fds[2])
{
    int lfd, port;
    KT_OK(net_listen("127.0.0.1", 0, 4, &lfd, &port));
    KT_OK(net_connect("127.0.0.1", port, 2000, &fds[0]));
    KT_OK(net_accept(lfd, 2000, &fds[1], NULL, 0));
    net_close(lfd);
}

static void unix_pair(int fds[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
}

/* Runs client (on this thread) and server (on another) over fds. */
static void set_up(int fds[2], side *client, side *server)
{
    client->fd = fds[0];
    client->server = false;
    server->fd = fds[1];
    server->server = true;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_side, server), 0);
    run_side(client);
    pthread_join(t, NULL);
}

/* A TLS + HMAC-authenticated pair, both sides OK. */
static void secure_pair(int fds[2], bool tcp)
{
    if (tcp) tcp_pair(fds);
    else unix_pair(fds);
    side c = {.tls = true, .auth = true, .secret = SECRET, .timeout_ms = 5000};
    side s = c;
    set_up(fds, &c, &s);
    if (c.rc || s.rc) fail_msg("client: %s / server: %s", c.msg, s.msg);
    assert_true(net_tls_active(fds[0]));
    assert_true(net_tls_active(fds[1]));
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

/* A frame sent from another thread (large frames exceed socket buffers). */
typedef struct sender {
    int fd;
    uint8_t type;
    const void *p;
    size_t len;
    int count;
    int rc;
} sender;

static void *run_sender(void *arg)
{
    sender *s = arg;
    s->rc = KILN_OK;
    for (int i = 0; i < s->count && s->rc == KILN_OK; i++)
        s->rc = net_send_frame(s->fd, s->type, s->p, s->len, 30000, "receiver");
    return NULL;
}

static void heartbeat_both_ways(int a, int b)
{
    net_heartbeat hb = {.seq = 7, .sent_ms = 99}, got;
    kiln_buf p;
    kiln_buf_init(&p);
    KT_OK(net_msg_heartbeat_write(&p, &hb));
    KT_OK(net_send_frame(a, NET_MSG_HEARTBEAT, p.data, p.len, 1000, "b"));
    KT_OK(net_send_frame(b, NET_MSG_HEARTBEAT, p.data, p.len, 1000, "a"));
    for (int i = 0; i < 2; i++) {
        net_frame f;
        KT_OK(net_recv_frame(i ? a : b, NET_MAX_FRAME, 1000, "peer", &f));
        KT_OK(net_msg_heartbeat_read(&f, "peer", &got));
        assert_int_equal(got.seq, 7);
        assert_int_equal(got.sent_ms, 99);
        net_frame_release(&f);
    }
    kiln_buf_release(&p);
}

static void frames_and_a_50mb_frame_over_tls(void **state)
{
    (void)state;
    int fds[2];
    secure_pair(fds, true);
    heartbeat_both_ways(fds[0], fds[1]);

    size_t big = 50u << 20;
    uint8_t *data = malloc(big);
    assert_non_null(data);
    fill(data, big, 1);
    sender s = {.fd = fds[0], .type = NET_MSG_BLOCK_DATA, .p = data, .len = big, .count = 1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_sender, &s), 0);
    net_frame f = {0};
    KT_OK(net_recv_frame_reuse(fds[1], NET_MAX_FRAME, 30000, "client", &f));
    pthread_join(t, NULL);
    KT_OK(s.rc);
    assert_int_equal(f.type, NET_MSG_BLOCK_DATA);
    assert_int_equal(f.payload.len, big);
    assert_memory_equal(f.payload.data, data, big);
    /* The buffer is reused for the next frame; the stream is in step. */
    KT_OK(net_send_frame(fds[0], NET_MSG_BLOCK_DATA, "tail", 4, 1000, "server"));
    KT_OK(net_recv_frame_reuse(fds[1], NET_MAX_FRAME, 1000, "client", &f));
    assert_int_equal(f.payload.len, 4);
    assert_memory_equal(f.payload.data, "tail", 4);
    net_frame_release(&f);
    heartbeat_both_ways(fds[1], fds[0]);
    free(data);
    /* An event loop's reads: nothing yet, then a frame fed to a decoder in
     * small pieces (a TLS record holds more than each read asks for). */
    uint8_t piece[7];
    size_t got;
    bool closed;
    KT_OK(net_recv_nb(fds[1], piece, sizeof piece, &got, &closed, "client"));
    assert_true(got == 0 && !closed);
    KT_OK(net_send_frame(fds[0], NET_MSG_BLOCK_DATA, "event loop", 10, 1000, "server"));
    net_frame_decoder d;
    net_frame_decoder_init(&d, NET_MAX_FRAME, "client");
    int done = 0;
    for (int spins = 0; !done && spins < 1000; spins++) {
        KT_OK(net_wait(fds[1], POLLIN, net_deadline(1000), "waiting for", "client"));
        do {
            KT_OK(net_recv_nb(fds[1], piece, sizeof piece, &got, &closed, "client"));
            for (size_t used, at = 0; at < got && !done; at += used)
                done = net_frame_decoder_feed(&d, piece + at, got - at, &used, &f);
        } while (got == sizeof piece && !done);
    }
    assert_int_equal(done, 1);
    assert_memory_equal(f.payload.data, "event loop", 10);
    net_frame_release(&f);
    net_frame_decoder_release(&d);

    net_close(fds[0]);
    assert_false(net_tls_active(fds[0]));
    /* The peer's close_notify reads as a closed connection. */
    KT_RC(KILN_EIO, net_recv_frame(fds[1], NET_MAX_FRAME, 2000, "client", &f));
    assert_non_null(strstr(kiln_last_error(), "connection closed by client"));
    KT_OK(net_recv_nb(fds[1], piece, sizeof piece, &got, &closed, "client"));
    assert_true(closed);
    net_close(fds[1]);
}

/* A frame whose header goes by net_send_raw and payload by net_send_file,
 * as the block server sends BLOCK_DATA. */
typedef struct file_job {
    int fd, file;
    uint64_t off, len;
    int rc;
} file_job;

static void *run_file_job(void *arg)
{
    file_job *j = arg;
    uint8_t hdr[NET_HEADER_SIZE];
    net_frame_header_write(hdr, NET_MSG_BLOCK_DATA, (uint32_t)j->len);
    j->rc = net_send_raw(j->fd, hdr, sizeof hdr, 10000, "receiver");
    if (j->rc == KILN_OK) j->rc = net_send_file(j->fd, j->file, j->off, j->len, 10000, "receiver");
    return NULL;
}

/* Sends part of a 3 MB temp file from one end to the other and checks the
 * bytes; a range past the file's end fails. */
static void send_file_frame(int from, int to)
{
    char *dir = kt_tmpdir_new();
    char path[4096];
    snprintf(path, sizeof path, "%s/segment", dir);
    size_t flen = (3u << 20) + 12345, off = 777, len = flen - off - 1000;
    uint8_t *data = malloc(flen);
    assert_non_null(data);
    fill(data, flen, 2);
    kt_write_file(path, data, flen);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    file_job j = {from, fileno(fp), off, len, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_file_job, &j), 0);
    net_frame f;
    KT_OK(net_recv_frame(to, NET_MAX_FRAME, 10000, "sender", &f));
    pthread_join(t, NULL);
    KT_OK(j.rc);
    assert_int_equal(f.type, NET_MSG_BLOCK_DATA);
    assert_int_equal(f.payload.len, len);
    assert_memory_equal(f.payload.data, data + off, len);
    net_frame_release(&f);
    /* The file's own position was not used or moved. */
    assert_int_equal(ftell(fp), 0);
    /* Past the end of the file: an error naming what is missing, before
     * any byte is sent, so the stream is still in step. */
    KT_RC(KILN_EIO, net_send_file(from, fileno(fp), flen - 10, 20, 1000, "receiver"));
    assert_non_null(strstr(kiln_last_error(), "ends before"));
    heartbeat_both_ways(from, to);
    /* A plain socket is blocking again after sendfile. */
    assert_int_equal(fcntl(from, F_GETFL) & O_NONBLOCK, 0);
    fclose(fp);
    free(data);
    kt_rm_rf(dir);
    free(dir);
}

static void send_file_over_tls_and_plain(void **state)
{
    (void)state;
    int fds[2];
    secure_pair(fds, true);
    send_file_frame(fds[1], fds[0]);
    net_close(fds[0]);
    net_close(fds[1]);
    /* Plain: sendfile on a blocking socket, whose mode is restored. */
    tcp_pair(fds);
    send_file_frame(fds[0], fds[1]);
    heartbeat_both_ways(fds[0], fds[1]);
    net_close(fds[0]);
    net_close(fds[1]);
}

/* What crosses the wire after the handshakes is not the plaintext. */
static void bytes_on_the_wire_are_encrypted(void **state)
{
    (void)state;
    int fds[2];
    secure_pair(fds, false);
    const char text[] = "KILN-PLAINTEXT-KILN-PLAINTEXT-KILN-PLAINTEXT";
    KT_OK(net_send_frame(fds[0], NET_MSG_HEARTBEAT, text, sizeof text, 1000, "b"));
    uint8_t raw[4096];
    ssize_t n = recv(fds[1], raw, sizeof raw, 0); /* around TLS, on purpose */
    assert_true(n > (ssize_t)sizeof text);
    assert_true(raw[0] == 23); /* a TLS application-data record */
    assert_null(memmem(raw, (size_t)n, "KILN", 4));
    assert_null(memmem(raw, (size_t)n, "PLAINTEXT", 9));
    net_close(fds[0]);
    net_close(fds[1]);
}

/* Both ends read and write one connection on two threads at once. */
typedef struct duplex {
    int fd, frames;
    int rc;
} duplex;

static void *run_duplex_reader(void *arg)
{
    duplex *d = arg;
    net_frame f = {0};
    d->rc = KILN_OK;
    for (int i = 0; i < d->frames && d->rc == KILN_OK; i++) {
        d->rc = net_recv_frame_reuse(d->fd, NET_MAX_FRAME, 30000, "peer", &f);
        if (d->rc == KILN_OK && (f.payload.len != 100000 || f.payload.data[0] != (uint8_t)i))
            d->rc = KILN_ECORRUPT;
    }
    net_frame_release(&f);
    return NULL;
}

static void *run_duplex_writer(void *arg)
{
    duplex *d = arg;
    uint8_t *p = calloc(1, 100000);
    d->rc = KILN_OK;
    for (int i = 0; i < d->frames && d->rc == KILN_OK; i++) {
        p[0] = (uint8_t)i;
        d->rc = net_send_frame(d->fd, NET_MSG_BLOCK_DATA, p, 100000, 30000, "peer");
    }
    free(p);
    return NULL;
}

static void one_connection_two_threads(void **state)
{
    (void)state;
    int fds[2];
    secure_pair(fds, true);
    duplex d[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        d[i] = (duplex){.fd = fds[i / 2], .frames = 300};
        assert_int_equal(pthread_create(&t[i], NULL, i % 2 ? run_duplex_writer : run_duplex_reader,
                                        &d[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        KT_OK(d[i].rc);
    }
    net_close(fds[0]);
    net_close(fds[1]);
}

static void wrong_secret_fails_on_both_sides(void **state)
{
    (void)state;
    for (int tcp = 0; tcp < 2; tcp++) {
        int fds[2];
        if (tcp) tcp_pair(fds);
        else unix_pair(fds);
        side c = {.tls = true, .auth = true, .secret = SECRET, .timeout_ms = 5000};
        side s = c;
        s.secret = OTHER_SECRET;
        set_up(fds, &c, &s);
        KT_RC(KILN_EINVAL, c.rc);
        KT_RC(KILN_EINVAL, s.rc);
        kt_report("wrong secret: client: %s; server: %s", c.msg, s.msg);
        assert_non_null(strstr(c.msg, "TLS handshake with server failed"));
        assert_non_null(strstr(s.msg, "TLS handshake with client failed"));
        assert_non_null(strstr(c.msg, "(wrong secret?)"));
        assert_non_null(strstr(s.msg, "(wrong secret?)"));
        assert_true(c.secs < 2.0 && s.secs < 2.0); /* at once, not at the deadline */
        assert_false(net_tls_active(fds[0]) || net_tls_active(fds[1]));
    }
    /* A secret of a bad length is refused before any byte is sent. */
    int fds[2];
    unix_pair(fds);
    KT_RC(KILN_EINVAL, net_tls_client(fds[0], (const uint8_t *)"short", 5, 100, "server"));
    assert_non_null(strstr(kiln_last_error(), "16 to"));
    net_close(fds[0]);
    net_close(fds[1]);
}

/* kiln.ssl.enabled must match: a mismatch fails cleanly on both sides. */
static void plain_and_tls_peers_do_not_mix(void **state)
{
    (void)state;
    for (int tls_server = 0; tls_server < 2; tls_server++) {
        int fds[2];
        tcp_pair(fds);
        side c = {.tls = !tls_server, .auth = true, .secret = SECRET, .timeout_ms = 5000};
        side s = c;
        s.tls = tls_server;
        set_up(fds, &c, &s);
        kt_report("%s client, %s server: client: %s; server: %s", c.tls ? "TLS" : "plain",
                  s.tls ? "TLS" : "plain", c.msg, s.msg);
        assert_int_not_equal(c.rc, KILN_OK);
        assert_int_not_equal(s.rc, KILN_OK);
        assert_true(c.secs < 2.0 && s.secs < 2.0); /* no hang until the deadline */
        side *tls_side = tls_server ? &s : &c;
        assert_non_null(strstr(tls_side->msg, "TLS handshake with"));
        if (tls_server) {
            KT_RC(KILN_ECORRUPT, s.rc);
            assert_non_null(strstr(s.msg, "kiln.ssl.enabled"));
        } else {
            KT_RC(KILN_ECORRUPT, s.rc); /* the plain server sees no KILN magic */
            assert_non_null(strstr(c.msg, "kiln.ssl.enabled"));
        }
    }
}

static void silent_peer_times_out(void **state)
{
    (void)state;
    for (int server = 0; server < 2; server++) {
        int fds[2];
        unix_pair(fds);
        side s = {.fd = fds[0], .server = server, .tls = true, .secret = SECRET, .timeout_ms = 300};
        run_side(&s);
        KT_RC(KILN_EIO, s.rc);
        assert_non_null(strstr(s.msg, "timed out"));
        assert_non_null(strstr(s.msg, "TLS handshake"));
        assert_true(s.secs >= 0.25 && s.secs < 2.0);
        net_close(fds[1]);
    }
    /* After the handshake: a frame that does not come. */
    int fds[2];
    secure_pair(fds, false);
    net_frame f;
    double t0 = now_s();
    KT_RC(KILN_EIO, net_recv_frame(fds[0], NET_MAX_FRAME, 200, "server", &f));
    assert_non_null(strstr(kiln_last_error(), "timed out"));
    assert_true(now_s() - t0 < 2.0);
    /* A send that cannot complete: nobody reads 64 MB. */
    uint8_t *big = calloc(1, 64u << 20);
    t0 = now_s();
    KT_RC(KILN_EIO, net_send_frame(fds[0], NET_MSG_BLOCK_DATA, big, 64u << 20, 300, "server"));
    assert_non_null(strstr(kiln_last_error(), "timed out"));
    assert_true(now_s() - t0 < 2.0);
    free(big);
    net_close(fds[0]);
    net_close(fds[1]);
}

static void setting_is_parsed(void **state)
{
    (void)state;
    bool on = true;
    KT_OK(net_tls_enabled(NULL, &on));
    assert_false(on);
    kiln_conf *conf = kiln_conf_new();
    KT_OK(net_tls_enabled(conf, &on));
    assert_false(on);
    KT_OK(kiln_conf_set(conf, "kiln.ssl.enabled", "true"));
    KT_OK(net_tls_enabled(conf, &on));
    assert_true(on);
    KT_OK(kiln_conf_set(conf, "kiln.ssl.enabled", "off"));
    KT_OK(net_tls_enabled(conf, &on));
    assert_false(on);
    KT_OK(kiln_conf_set(conf, "kiln.ssl.enabled", "maybe"));
    KT_RC(KILN_ECONF, net_tls_enabled(conf, &on));
    assert_non_null(strstr(kiln_last_error(), "kiln.ssl.enabled"));
    kiln_conf_free(conf);
    KT_OK(net_tls_setting("1", &on));
    assert_true(on);
}

/* MB of 4 MiB frames from one end to the other; returns MB/s. */
static double throughput(int fds[2], size_t mb)
{
    size_t frame = 4u << 20;
    uint8_t *p = malloc(frame);
    fill(p, frame, 3);
    sender s = {
        .fd = fds[0], .type = NET_MSG_BLOCK_DATA, .p = p, .len = frame, .count = (int)(mb / 4)};
    double t0 = now_s();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_sender, &s), 0);
    net_frame f = {0};
    for (int i = 0; i < s.count; i++) {
        KT_OK(net_recv_frame_reuse(fds[1], NET_MAX_FRAME, 30000, "sender", &f));
        assert_int_equal(f.payload.len, frame);
    }
    pthread_join(t, NULL);
    double secs = now_s() - t0;
    KT_OK(s.rc);
    assert_memory_equal(f.payload.data, p, frame);
    net_frame_release(&f);
    free(p);
    return (double)(s.count * 4) / secs;
}

static void throughput_of_tls_frames(void **state)
{
    (void)state;
    const char *env = getenv("KT_TLS_BENCH_MB");
    size_t mb = env ? (size_t)atol(env) : 64;
    if (mb < 4) mb = 4;
    int fds[2];
    secure_pair(fds, true);
    double tls = throughput(fds, mb);
    net_close(fds[0]);
    net_close(fds[1]);
    tcp_pair(fds);
    double plain = throughput(fds, mb);
    net_close(fds[0]);
    net_close(fds[1]);
    printf("loopback, %zu MB in 4 MiB frames: TLS (AES-256-GCM) %.0f MB/s, plain %.0f MB/s\n", mb,
           tls, plain);
}

/* Each test closed every connection it opened. */
static int none_open(void **state)
{
    (void)state;
    assert_int_equal(net_tls_count(), 0);
    return 0;
}

/* After the tests every TLS connection was closed and freed (LeakSanitizer,
 * under build-asan, then checks that freeing left nothing behind). */
static int every_session_freed(void **state)
{
    (void)state;
    if (net_tls_count() != 0) {
        fprintf(stderr, "%d TLS connections were never closed\n", net_tls_count());
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(frames_and_a_50mb_frame_over_tls, none_open),
        cmocka_unit_test_teardown(send_file_over_tls_and_plain, none_open),
        cmocka_unit_test_teardown(bytes_on_the_wire_are_encrypted, none_open),
        cmocka_unit_test_teardown(one_connection_two_threads, none_open),
        cmocka_unit_test_teardown(wrong_secret_fails_on_both_sides, none_open),
        cmocka_unit_test_teardown(plain_and_tls_peers_do_not_mix, none_open),
        cmocka_unit_test_teardown(silent_peer_times_out, none_open),
        cmocka_unit_test(setting_is_parsed),
        cmocka_unit_test_teardown(throughput_of_tls_frames, none_open),
    };
    return cmocka_run_group_tests(tests, NULL, every_session_freed);
}
