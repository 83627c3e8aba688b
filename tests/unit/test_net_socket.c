/*
 * test_net_socket.c - addresses and TCP sockets (src/net/url.c, socket.c):
 * kiln://host:port URLs, good and bad, each bad one with its own message;
 * listening on an ephemeral port, connecting and accepting on loopback with
 * close-on-exec and TCP_NODELAY set; a refused connection, a port already in
 * use and an accept that times out, each named in the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"

static void urls_parse_or_say_what_is_wrong(void **state)
{
    struct {
        const char *url, *host;
        int port;
    } good[] = {
        {"kiln://master:7077", "master", 7077},
        {"kiln://master.example.com:1", "master.example.com", 1},
        {"KILN://10.0.0.7:65535", "10.0.0.7", 65535},
        {"kiln://[::1]:7077", "::1", 7077},
        {"kiln://[fe80::1%eth0]:7078", "fe80::1%eth0", 7078},
        {"kiln://my_host-2:0080", "my_host-2", 80},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        net_url u;
        KT_OK(net_url_parse(good[i].url, &u));
        KT_CHECK(strcmp(u.host, good[i].host) == 0 && u.port == good[i].port, "%s: %s %d",
                 good[i].url, u.host, u.port);
    }
    struct {
        const char *url, *message;
    } bad[] = {
        {"spark://master:7077", "scheme 'spark' is not kiln"},
        {"master:7077", "no kiln:// at the start"},
        {"kiln://", "no host"},
        {"kiln://:7077", "no host"},
        {"kiln://master", "no port"},
        {"kiln://master:", "no port after ':'"},
        {"kiln://master:http", "port 'http' is not a number"},
        {"kiln://master:0", "port 0"},
        {"kiln://master:65536", "out of range"},
        {"kiln://master:99999999999999999999", "out of range"},
        {"kiln://master:7077/app", "unexpected '/app' after the port"},
        {"kiln://master:-1", "not a number"},
        {"kiln://ma ster:7077", "character ' ' is not allowed"},
        {"kiln://user@master:7077", "character '@' is not allowed"},
        {"kiln://::1:7077", "an IPv6 address goes in brackets"},
        {"kiln://fe80::1:7077", "an IPv6 address goes in brackets"},
        {"kiln://[::1:7077", "without a closing ']'"},
        {"kiln://[::1]", "no port"},
        {"kiln://master/x:7077", "unexpected '/x:7077' after the host"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        net_url u;
        KT_RC(KILN_ECONF, net_url_parse(bad[i].url, &u));
        KT_CHECK(strstr(kiln_last_error(), bad[i].message) &&
                     strstr(kiln_last_error(), bad[i].url) &&
                     strstr(kiln_last_error(), "expected kiln://host:port"),
                 "%s: '%s'", bad[i].url, kiln_last_error());
    }
    char longhost[400] = "kiln://";
    memset(longhost + 7, 'h', 300);
    strcpy(longhost + 307, ":1");
    net_url u;
    KT_RC(KILN_ECONF, net_url_parse(longhost, &u));
    assert_non_null(strstr(kiln_last_error(), "host longer than 255 bytes"));
    KT_RC(KILN_ECONF, net_url_parse(NULL, &u));
}

static bool cloexec(int fd)
{
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static bool nodelay(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;
    return getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0 && on;
}

static void listen_connect_accept_on_loopback(void **state)
{
    int lfd, port, c, s;
    KT_OK(net_listen("127.0.0.1", 0, 8, &lfd, &port));
    assert_true(port > 0 && port <= 65535);
    assert_true(cloexec(lfd));
    KT_OK(net_connect("127.0.0.1", port, 2000, &c));
    char peer[64];
    KT_OK(net_accept(lfd, 2000, &s, peer, sizeof peer));
    assert_true(strncmp(peer, "127.0.0.1:", 10) == 0);
    assert_true(cloexec(c) && cloexec(s));
    assert_true(nodelay(c) && nodelay(s));
    /* The connected sockets are blocking, and carry frames both ways. */
    assert_int_equal(fcntl(c, F_GETFL) & O_NONBLOCK, 0);
    assert_int_equal(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
    KT_OK(net_send_frame(c, NET_MSG_STATUS_REQUEST, NULL, 0, 1000, peer));
    net_frame f;
    KT_OK(net_recv_frame(s, NET_MAX_FRAME, 1000, peer, &f));
    assert_int_equal(f.type, NET_MSG_STATUS_REQUEST);
    net_frame_release(&f);
    KT_OK(net_send_frame(s, NET_MSG_STATUS_REPLY, "ok", 2, 1000, "client"));
    KT_OK(net_recv_frame(c, NET_MAX_FRAME, 1000, "server", &f));
    assert_int_equal(f.payload.len, 2);
    net_frame_release(&f);

    /* The port is taken while lfd listens. */
    int lfd2, port2;
    KT_RC(KILN_EIO, net_listen("127.0.0.1", port, 8, &lfd2, &port2));
    assert_non_null(strstr(kiln_last_error(), "cannot listen on 127.0.0.1:"));
    assert_non_null(strstr(kiln_last_error(), "another kiln process"));
    assert_int_equal(lfd2, -1);

    /* No one connects: accept times out. */
    double t0 = now_seconds();
    KT_RC(KILN_EIO, net_accept(lfd, 100, &s, NULL, 0));
    assert_true(now_seconds() - t0 < 3);
    assert_non_null(strstr(kiln_last_error(), "timed out waiting for a connection"));
    net_close(c);
    net_close(s);
    net_close(lfd);

    /* Nobody listens any more: refused, naming the address. */
    KT_RC(KILN_EIO, net_connect("127.0.0.1", port, 2000, &c));
    char want[64];
    snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: Connection refused", port);
    KT_CHECK(strstr(kiln_last_error(), want), "%s", kiln_last_error());
    assert_int_equal(c, -1);
    KT_RC(KILN_EINVAL, net_connect("", 1, 100, &c));
    KT_RC(KILN_EINVAL, net_listen(NULL, 70000, 1, &lfd, &port));

    /* Every address (host NULL) on an ephemeral port. */
    KT_OK(net_listen(NULL, 0, 0, &lfd, &port));
    KT_OK(net_connect("localhost", port, 2000, &c));
    KT_OK(net_accept(lfd, 2000, &s, peer, sizeof peer));
    net_close(c);
    net_close(s);
    net_close(lfd);
    net_close(-1);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls_parse_or_say_what_is_wrong),
        cmocka_unit_test(listen_connect_accept_on_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
