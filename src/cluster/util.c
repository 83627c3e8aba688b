/*
 * cluster/util.c - small helpers the master, worker and status client share:
 * URL formatting, sending a whole buffer before a deadline, the monotonic
 * clock, and the stop flag set by SIGTERM / SIGINT.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cluster/manager.h"

void cluster_format_url(char *out, size_t size, const char *scheme, const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, size, v6 ? "%s://[%s]:%d" : "%s://%s:%d", scheme, host, port);
}

int cluster_send_all(int fd, const void *p, size_t n, int64_t deadline, const char *peer)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = net_wait(fd, POLLOUT, deadline, "sending to", peer);
            if (rc != KILN_OK) return rc;
        } else if (w < 0 && errno != EINTR) {
            return kiln_set_error(KILN_EIO, "sending to %s: %s", peer, strerror(errno));
        }
    }
    return KILN_OK;
}

int64_t cluster_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

void cluster_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR and the loop sees the flag */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* sends use MSG_NOSIGNAL; this covers anything else */
}

bool cluster_stop_requested(void)
{
    return stop_flag != 0;
}

extern char **environ;

char **cluster_executor_env(const char *const *extra, int nextra)
{
    int n = 0;
    while (environ[n]) n++;
    char **env = calloc((size_t)(n + nextra + 1), sizeof *env);
    if (!env) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strncmp(environ[i], "KILN_EXECUTOR_", 14) != 0) env[k++] = environ[i];
    for (int i = 0; i < nextra; i++) env[k++] = (char *)extra[i];
    return env;
}
