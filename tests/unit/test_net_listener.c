/*
 * test_net_listener.c - the accept loop (src/net/listener.c) and the one
 * accept it shares with the master (net_accept_nb): connections that pass
 * the handshake reach the handler, named with the server's prefix, each on
 * its own thread (two at once); a wrong secret never reaches it; with TLS
 * the handler reads frames through TLS; a stopped listener accepts nothing
 * more and net_listener_free waits for handlers still running;
 * net_accept_nb says "nothing waiting" without blocking; connections that
 * have not authenticated take no thread, are bounded, and never lock an
 * authenticated client out; at the descriptor limit the accept thread
 * neither spins nor locks clients out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"
#include "net/net_int.h"

static const uint8_t SECRET[] = "listener test secret, long enough";
static const uint8_t WRONG[] = "another secret of the same length";

/* What the handler saw, for the test's thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int calls, inside, max_inside;
static char last_peer[NET_HOST_MAX + 64];
static atomic_bool release_handlers; /* handlers wait for it before returning */

static void reset(bool hold)
{
    pthread_mutex_lock(&lock);
    calls = inside = max_inside = 0;
    last_peer[0] = '\0';
    pthread_mutex_unlock(&lock);
    release_handlers = !hold;
}

/* Echoes one frame, then waits (if told) so that handlers overlap. */
static void handler(void *arg, int fd, const char *peer)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    calls++;
    if (++inside > max_inside) max_inside = inside;
    snprintf(last_peer, sizeof last_peer, "%s", peer);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    net_frame f = {0};
    if (net_recv_frame(fd, 1024, 5000, peer, &f) == KILN_OK)
        net_send_frame(fd, f.type, f.payload.data, f.payload.len, 5000, peer);
    net_frame_release(&f);
    while (!release_handlers) nanosleep(&(struct timespec){0, 5 * 1000000L}, NULL);
    net_close(fd);
    pthread_mutex_lock(&lock);
    inside--;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static int calls_now(void)
{
    pthread_mutex_lock(&lock);
    int n = calls;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Waits up to 5 s for at least n handler calls. */
static void wait_calls(int n)
{
    for (int i = 0; i < 500 && calls_now() < n; i++)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    assert_true(calls_now() >= n);
}

static int start(bool tls, int *lfd, int *port, net_listener **l)
{
    KT_OK(net_listen("127.0.0.1", 0, 16, lfd, port));
    net_listener_opts o = {.secret = SECRET,
                           .secret_len = sizeof SECRET - 1,
                           .tls = tls,
                           .handshake_timeout_ms = 5000,
                           .component = "test",
                           .peer_prefix = "tester"};
    return net_listener_start(*lfd, &o, handler, NULL, l);
}

/* Dials, sends a HEARTBEAT and expects it back. */
static void dial_and_echo(int port, bool tls)
{
    int fd;
    KT_OK(net_dial("127.0.0.1", port, SECRET, sizeof SECRET - 1, tls, 5000, "listener", &fd));
    net_heartbeat hb = {.seq = 42, .sent_ms = 7};
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(net_msg_heartbeat_write(&b, &hb));
    KT_OK(net_send_frame(fd, NET_MSG_HEARTBEAT, b.data, b.len, 5000, "listener"));
    net_frame f = {0};
    KT_OK(net_recv_frame(fd, 1024, 5000, "listener", &f));
    net_heartbeat got;
    KT_OK(net_msg_heartbeat_read(&f, "listener", &got));
    assert_true(got.seq == 42 && got.sent_ms == 7);
    net_frame_release(&f);
    kiln_buf_release(&b);
    net_close(fd);
}

static void authenticated_connections_reach_the_handler(void **state)
{
    for (int tls = 0; tls < 2; tls++) {
        reset(false);
        int lfd, port;
        net_listener *l;
        KT_OK(start(tls, &lfd, &port, &l));
        dial_and_echo(port, tls);
        dial_and_echo(port, tls);
        wait_calls(2);
        pthread_mutex_lock(&lock);
        KT_CHECK(strncmp(last_peer, "tester 127.0.0.1:", 17) == 0, "peer '%s'", last_peer);
        pthread_mutex_unlock(&lock);
        net_listener_free(l);
        net_close(lfd);
        assert_int_equal(calls_now(), 2);
    }
}

static void a_wrong_secret_never_reaches_the_handler(void **state)
{
    reset(false);
    int lfd, port;
    net_listener *l;
    KT_OK(start(false, &lfd, &port, &l));
    int fd;
    KT_RC(KILN_EINVAL,
          net_dial("127.0.0.1", port, WRONG, sizeof WRONG - 1, false, 5000, "listener", &fd));
    assert_non_null(strstr(kiln_last_error(), "wrong secret"));
    /* A peer that says nothing but HTTP is dropped at its first bytes. */
    KT_OK(net_connect("127.0.0.1", port, 5000, &fd));
    assert_true(write(fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
    char c;
    assert_true(read(fd, &c, 1) <= 0);
    net_close(fd);
    dial_and_echo(port, false); /* the listener still serves */
    wait_calls(1);
    net_listener_free(l);
    net_close(lfd);
    assert_int_equal(calls_now(), 1);
}

static void handlers_run_at_once_and_free_waits_for_them(void **state)
{
    reset(true);
    int lfd, port;
    net_listener *l;
    KT_OK(start(false, &lfd, &port, &l));
    dial_and_echo(port, false);
    dial_and_echo(port, false);
    wait_calls(2);
    pthread_mutex_lock(&lock);
    assert_int_equal(max_inside, 2); /* both still inside: one thread each */
    pthread_mutex_unlock(&lock);
    /* Stopped: nothing more is accepted (the connection waits in the
     * backlog, unanswered), but the two handlers still run. */
    net_listener_stop(l);
    int fd;
    KT_RC(KILN_EIO,
          net_dial("127.0.0.1", port, SECRET, sizeof SECRET - 1, false, 300, "listener", &fd));
    assert_int_equal(calls_now(), 2);
    release_handlers = true;
    net_listener_free(l); /* returns once both handlers have */
    pthread_mutex_lock(&lock);
    assert_int_equal(inside, 0);
    pthread_mutex_unlock(&lock);
    net_close(lfd);
}

/* Counts the lines of path that contain needle. */
static int count_lines(const char *path, const char *needle, char *last, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle)) {
            n++;
            snprintf(last, cap, "%s", line);
        }
    fclose(f);
    return n;
}

/* Sends bytes that are no handshake and waits until the listener closes. */
static void refused_connection(int port)
{
    int fd;
    KT_OK(net_connect("127.0.0.1", port, 5000, &fd));
    assert_true(write(fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
    char c;
    assert_true(read(fd, &c, 1) <= 0);
    net_close(fd);
}

/* A storm of refused connections writes a WARN line a second, not one each,
 * and the next line says how many were left out. */
static void refused_connections_are_logged_with_a_limit(void **state)
{
    reset(false);
    int lfd, port;
    net_listener *l;
    KT_OK(start(false, &lfd, &port, &l));
    char *dir = kt_tmpdir_new();
    char *path = kt_path(dir, "stderr");
    int saved = dup(STDERR_FILENO);
    int log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(saved >= 0 && log >= 0);
    dup2(log, STDERR_FILENO);
    log_set_threshold(LOG_WARN);
    for (int i = 0; i < 50; i++) refused_connection(port);
    char last[1024] = "";
    int storm = count_lines(path, "refused tester", last, sizeof last);
    nanosleep(&(struct timespec){1, 200 * 1000000L}, NULL); /* past the throttle's second */
    refused_connection(port);
    for (int i = 0; i < 100 && count_lines(path, "refused tester", last, sizeof last) == storm; i++)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    int total = count_lines(path, "refused tester", last, sizeof last);
    log_set_threshold(LOG_OFF);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(log);
    net_listener_free(l);
    net_close(lfd);
    KT_CHECK(storm >= 1 && storm <= 3, "50 refused connections wrote %d lines", storm);
    KT_CHECK(total == storm + 1, "%d lines, then %d", storm, total);
    KT_CHECK(strstr(last, "similar lines suppressed") != NULL, "last line: %s", last);
    assert_int_equal(calls_now(), 0);
    kt_rm_rf(dir);
    free(path);
    free(dir);
}

/* Threads of this process now. */
static int thread_count(void)
{
    int n = kt_count_entries("/proc/self/task", "");
    assert_true(n > 0);
    return n;
}

/* Opens n connections to port that say nothing (or one byte when say):
 * their fds are stored in fds. */
static void silent_connections(int port, int n, bool say, int *fds)
{
    for (int i = 0; i < n; i++) {
        KT_OK(net_connect("127.0.0.1", port, 5000, &fds[i]));
        if (say) assert_int_equal(write(fds[i], "K", 1), 1);
    }
}

/* Connections before login cost no thread: 600 silent ones (and 100 that
 * send one byte) leave the thread count as it was, the listener holds a
 * bounded number of them, and an authenticated client still gets through,
 * at once. */
static void unauthenticated_connections_take_no_thread(void **state)
{
    reset(false);
    int lfd, port;
    net_listener *l;
    KT_OK(net_listen("127.0.0.1", 0, 1024, &lfd, &port));
    net_listener_opts o = {.secret = SECRET,
                           .secret_len = sizeof SECRET - 1,
                           .handshake_timeout_ms = 30000,
                           .component = "test",
                           .peer_prefix = "tester"};
    KT_OK(net_listener_start(lfd, &o, handler, NULL, &l));
    int before = thread_count();
    enum { SILENT = 600, SAY = 100 };
    int *fds = calloc(SILENT + SAY, sizeof *fds);
    assert_non_null(fds);
    silent_connections(port, SILENT, false, fds);
    silent_connections(port, SAY, true, fds + SILENT);
    nanosleep(&(struct timespec){0, 500 * 1000000L}, NULL); /* all accepted by now */
    int during = thread_count();
    KT_CHECK(during <= before + 2, "%d threads with %d silent connections, %d before", during,
             SILENT + SAY, before);
    /* Most of them were evicted (closed) to bound what the listener holds:
     * reading the oldest gives end-of-file. */
    char c;
    assert_int_equal(read(fds[0], &c, 1), 0);
    double t0 = now_seconds();
    dial_and_echo(port, false);
    KT_CHECK(now_seconds() - t0 < 2, "an authenticated client took %.2f s", now_seconds() - t0);
    wait_calls(1);
    for (int i = 0; i < SILENT + SAY; i++) net_close(fds[i]);
    free(fds);
    net_listener_free(l);
    net_close(lfd);
}

/* Eviction takes first the connections whose handshake got least far: a
 * client that sent its HELLO and then 300 connections from the same
 * address that sent one byte each (past the per-address bound): the
 * client, now the oldest, is not the one evicted, and completes. */
static void a_client_past_hello_outlives_stalled_peers(void **state)
{
    reset(false);
    int lfd, port;
    net_listener *l;
    KT_OK(net_listen("127.0.0.1", 0, 1024, &lfd, &port));
    net_listener_opts o = {.secret = SECRET,
                           .secret_len = sizeof SECRET - 1,
                           .handshake_timeout_ms = 30000,
                           .component = "test",
                           .peer_prefix = "tester"};
    KT_OK(net_listener_start(lfd, &o, handler, NULL, &l));
    int fd;
    KT_OK(net_connect("127.0.0.1", port, 5000, &fd));
    uint8_t nonce_c[NET_NONCE_SIZE] = {9}, nonce_s[NET_NONCE_SIZE], mac[NET_MAC_SIZE];
    KT_OK(net_send_frame(fd, NET_MSG_HELLO, nonce_c, sizeof nonce_c, 5000, "listener"));
    net_frame f;
    KT_OK(net_recv_frame(fd, NET_AUTH_MAX_FRAME, 5000, "listener", &f));
    assert_int_equal(f.type, NET_MSG_CHALLENGE);
    memcpy(nonce_s, f.payload.data, sizeof nonce_s);
    net_frame_release(&f);
    enum { STALLED = 300 };
    int fds[STALLED];
    silent_connections(port, STALLED, true, fds);
    nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL); /* all accepted by now */
    KT_OK(net_auth_proof(SECRET, sizeof SECRET - 1, NET_AUTH_LABEL_CLIENT, nonce_c, nonce_s, mac));
    KT_OK(net_send_frame(fd, NET_MSG_AUTH_RESPONSE, mac, sizeof mac, 5000, "listener"));
    KT_OK(net_recv_frame(fd, NET_AUTH_MAX_FRAME, 5000, "listener", &f));
    assert_int_equal(f.type, NET_MSG_AUTH_OK);
    net_frame_release(&f);
    wait_calls(1);
    net_close(fd);
    for (int i = 0; i < STALLED; i++) net_close(fds[i]);
    net_listener_free(l);
    net_close(lfd);
}

/* At the descriptor limit (accept fails with EMFILE while connections wait)
 * the accept thread neither spins nor locks clients out: it gives up the
 * oldest unauthenticated connection. Run in a child with a low limit. */
static void out_of_descriptors_neither_spins_nor_locks_out(void **state)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        reset(false);
        int lfd, port;
        if (net_listen("127.0.0.1", 0, 1024, &lfd, &port) != KILN_OK) _exit(10);
        net_listener_opts o = {.secret = SECRET,
                               .secret_len = sizeof SECRET - 1,
                               .handshake_timeout_ms = 30000,
                               .component = "test"};
        net_listener *l;
        if (net_listener_start(lfd, &o, handler, NULL, &l) != KILN_OK) _exit(11);
        /* The limit: what is open now plus 100. */
        int used = 0;
        for (int fd = 0; fd < 4096; fd++)
            if (fcntl(fd, F_GETFD) >= 0) used = fd + 1;
        struct rlimit rl = {.rlim_cur = (rlim_t)used + 100, .rlim_max = (rlim_t)used + 100};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(12);
        int spare = open("/dev/null", O_RDONLY | O_CLOEXEC); /* for the good client */
        /* Silent clients until the process is out of descriptors (each
         * takes two: ours and the one the listener accepts). */
        int fds[200], n = 0;
        while (n < 200 && net_connect("127.0.0.1", port, 1000, &fds[n]) == KILN_OK) n++;
        nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL);
        struct rusage r0, r1;
        getrusage(RUSAGE_SELF, &r0);
        nanosleep(&(struct timespec){1, 0}, NULL);
        getrusage(RUSAGE_SELF, &r1);
        double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
                              r0.ru_stime.tv_sec) +
                     (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
                      r0.ru_stime.tv_usec) /
                         1e6;
        if (cpu > 0.3) {
            fprintf(stderr, "%.2f s of CPU in 1 s at the descriptor limit\n", cpu);
            _exit(13);
        }
        close(spare);
        int fd;
        if (net_dial("127.0.0.1", port, SECRET, sizeof SECRET - 1, false, 5000, "listener", &fd) !=
            KILN_OK) {
            fprintf(stderr, "the client was locked out: %s\n", kiln_last_error());
            _exit(14);
        }
        _exit(n > 0 ? 0 : 15);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    KT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

static void accept_nb_does_not_wait(void **state)
{
    int lfd, port;
    KT_OK(net_listen("127.0.0.1", 0, 4, &lfd, &port));
    int fd = 123;
    char peer[64] = "untouched";
    KT_OK(net_accept_nb(lfd, &fd, peer, sizeof peer));
    assert_int_equal(fd, -1);
    int c;
    KT_OK(net_connect("127.0.0.1", port, 1000, &c));
    int got = -1;
    for (int i = 0; i < 100 && got < 0; i++) {
        KT_OK(net_accept_nb(lfd, &got, peer, sizeof peer));
        if (got < 0) nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    }
    assert_true(got >= 0);
    assert_non_null(strstr(peer, "127.0.0.1:"));
    net_close(got);
    net_close(c);
    /* Not a listening socket: an error, not "nothing waiting". */
    int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
    KT_RC(KILN_EIO, net_accept_nb(file, &got, NULL, 0));
    assert_non_null(strstr(kiln_last_error(), "accepting a connection"));
    close(file);
    net_close(lfd);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    log_set_threshold(LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(authenticated_connections_reach_the_handler),
        cmocka_unit_test(a_wrong_secret_never_reaches_the_handler),
        cmocka_unit_test(handlers_run_at_once_and_free_waits_for_them),
        cmocka_unit_test(accept_nb_does_not_wait),
        cmocka_unit_test(refused_connections_are_logged_with_a_limit),
        cmocka_unit_test(unauthenticated_connections_take_no_thread),
        cmocka_unit_test(a_client_past_hello_outlives_stalled_peers),
        cmocka_unit_test(out_of_descriptors_neither_spins_nor_locks_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
