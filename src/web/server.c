/*
 * web/server.c - the HTTP/1.1 server of src/web: one thread with one poll()
 * loop over the listening socket and at most max_conns connections, each
 * read and written without blocking. A request head is gathered (at most
 * WEB_MAX_REQUEST bytes, within request_timeout_ms), parsed (request.c),
 * checked (token, method, route) and answered by its route's handler into
 * a buffer, which the loop then writes out (30 s at most). GET and HEAD
 * only: nothing a page does changes state.
 *
 * Access: bound to a loopback address the pages are open; bound elsewhere
 * every request needs the token: "?token=T" on any URL sets a cookie
 * (HttpOnly, SameSite=Strict, Path=/, named after the port so that two
 * servers of one host keep theirs apart) and redirects to the URL without
 * it; then the cookie or "Authorization: Bearer T" is checked, in constant
 * time. WEB_BEARER routes (APIs) take the bearer header only, always.
 *
 * Robustness: connections past max_conns evict the oldest one that has
 * not sent a whole request (then the oldest of all), and one address holds
 * at most half of them, so stalled clients cannot keep others out; a
 * failing accept (out of descriptors) rests the listener 100 ms.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "net/net.h"
#include "web/web.h"

#define WRITE_TIMEOUT_MS 30000
#define IDLE_TIMEOUT_MS 5000 /* a kept-alive connection between requests */
#define TICK_MS 200
#define ACCEPT_PAUSE_MS 100

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; frame-ancestors 'none'";

typedef struct route {
    char *pattern;
    size_t len;
    int flags;
    web_handler fn;
    void *arg;
} route;

typedef struct wconn {
    int fd;
    char source[NET_HOST_MAX + 16];
    int64_t deadline;
    int64_t opened;
    bool writing, keep, answered_one;
    char in[WEB_MAX_REQUEST];
    size_t in_len;
    kiln_buf out;
    size_t out_off;
} wconn;

struct web_server {
    web_server_opts o;
    int lfd, port;
    bool needs_token, started;
    char cookie[32];
    route *routes;
    size_t nroutes;
    pthread_t thread;
    int wake[2];
    atomic_int stop;
    wconn **conns;
    size_t nconns;
    int64_t paused_until;
    log_throttle log;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_loopback(const char *h)
{
    return h != NULL && (strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
                         strcmp(h, "[::1]") == 0 || strcmp(h, "localhost") == 0);
}

/* ---- Answers ----------------------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 302:
        return "Found";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Internal Server Error";
    }
}

/* The route for path: the longest matching pattern. */
static const route *route_find(const web_server *s, const char *path)
{
    const route *best = NULL;
    size_t plen = strlen(path);
    for (size_t i = 0; i < s->nroutes; i++) {
        const route *r = &s->routes[i];
        bool hit;
        if (r->flags & WEB_PREFIX) hit = strncmp(path, r->pattern, r->len) == 0;
        else
            hit = strcmp(path, r->pattern) == 0 || (plen == r->len + 1 && path[r->len] == '/' &&
                                                    strncmp(path, r->pattern, r->len) == 0);
        if (hit && (best == NULL || r->len > best->len)) best = r;
    }
    return best;
}

/* The request's URL without its token parameter, for the redirect: the
 * path with one leading '/' (never "//host", which a browser would take
 * for another site), re-encoded, and the other parameters. */
static int url_without_token(const web_request *req, kiln_buf *b)
{
    const char *p = req->path;
    while (p[0] == '/' && p[1] == '/') p++;
    int rc = KILN_OK;
    for (const char *q = p; rc == KILN_OK && *q; q++) {
        char one[2] = {*q, 0};
        rc = *q == '/' ? kiln_buf_append(b, "/", 1) : web_percent_encode(b, one);
    }
    bool first = true;
    for (size_t i = 0; rc == KILN_OK && i < req->nparams; i++) {
        if (strcmp(req->params[i].name, "token") == 0) continue;
        rc = kiln_buf_append(b, first ? "?" : "&", 1);
        first = false;
        if (rc == KILN_OK) rc = web_percent_encode(b, req->params[i].name);
        if (rc == KILN_OK) rc = kiln_buf_append(b, "=", 1);
        if (rc == KILN_OK) rc = web_percent_encode(b, req->params[i].value);
    }
    return rc;
}

typedef struct answer {
    int status;
    const char *ctype;
    kiln_buf body;
    const char *location;
    char set_cookie[WEB_TOKEN_MAX + 96];
    bool bearer_challenge, allow, cacheable;
} answer;

static void answer_text(answer *a, int status, const char *text)
{
    a->status = status;
    a->ctype = "text/plain; charset=utf-8";
    a->body.len = 0;
    buf_appendf(&a->body, "%d %s\n%s", status, reason(status), text ? text : "");
}

static int write_head(kiln_buf *out, const answer *a, bool head_only, bool keep)
{
    int rc = buf_appendf(out,
                         "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                         "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n"
                         "Content-Security-Policy: %s\r\nReferrer-Policy: no-referrer\r\n"
                         "Cache-Control: %s\r\n",
                         a->status, reason(a->status), a->ctype, a->body.len, CSP,
                         a->cacheable ? "max-age=3600" : "no-store");
    if (rc == KILN_OK && a->location) rc = buf_appendf(out, "Location: %s\r\n", a->location);
    if (rc == KILN_OK && a->set_cookie[0])
        rc = buf_appendf(out, "Set-Cookie: %s\r\n", a->set_cookie);
    if (rc == KILN_OK && a->bearer_challenge)
        rc = buf_appendf(out, "WWW-Authenticate: Bearer realm=\"kiln\"\r\n");
    if (rc == KILN_OK && a->allow) rc = buf_appendf(out, "Allow: GET, HEAD\r\n");
    if (rc == KILN_OK)
        rc = buf_appendf(out, "Connection: %s\r\n\r\n", keep ? "keep-alive" : "close");
    if (rc == KILN_OK && !head_only && a->body.len)
        rc = kiln_buf_append(out, a->body.data, a->body.len);
    return rc;
}

static const char NEED_TOKEN[] =
    "This server listens beyond this machine: open the URL it printed at start-up (with "
    "?token=...) once, and the browser keeps a cookie.\n";

/* Fills a for the parsed request req. */
static void decide(web_server *s, web_request *req, answer *a, bool *keep)
{
    const route *r = route_find(s, req->path);
    const char *qtoken = web_param_get(req, "token");
    char cookie[WEB_TOKEN_MAX];
    bool bearer_ok = req->bearer && s->o.token && web_token_equal(req->bearer, s->o.token);
    bool cookie_ok = s->o.token && web_cookie_get(req, s->cookie, cookie, sizeof cookie) &&
                     web_token_equal(cookie, s->o.token);
    if (r && (r->flags & WEB_BEARER)) {
        if (!bearer_ok) {
            answer_text(a, 401, "This address needs \"Authorization: Bearer <token>\".\n");
            a->bearer_challenge = true;
            return;
        }
    } else if (s->needs_token && qtoken) {
        if (!web_token_equal(qtoken, s->o.token)) {
            answer_text(a, 401, NEED_TOKEN);
            return;
        }
        kiln_buf loc;
        kiln_buf_init(&loc);
        if (url_without_token(req, &loc) != KILN_OK || kiln_buf_append(&loc, "", 1) != KILN_OK) {
            kiln_buf_release(&loc);
            answer_text(a, 500, NULL);
            return;
        }
        answer_text(a, 302, NULL);
        snprintf(a->set_cookie, sizeof a->set_cookie, "%s=%s; HttpOnly; SameSite=Strict; Path=/",
                 s->cookie, s->o.token);
        /* The head is written before loc is freed (the caller's answer). */
        a->location = strdup((char *)loc.data);
        kiln_buf_release(&loc);
        if (a->location == NULL) answer_text(a, 500, NULL);
        return;
    } else if (s->needs_token && !bearer_ok && !cookie_ok) {
        answer_text(a, 401, NEED_TOKEN);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        answer_text(a, 405, "Only GET and HEAD: these pages change nothing.\n");
        a->allow = true;
        *keep = false; /* a body may follow that we do not read */
        return;
    }
    if (req->has_body) {
        answer_text(a, 400, "GET and HEAD requests have no body.\n");
        *keep = false;
        return;
    }
    if (r == NULL) {
        answer_text(a, 404, NULL);
        return;
    }
    web_response res = {.status = 200, .content_type = "text/html; charset=utf-8"};
    kiln_buf_init(&res.body);
    r->fn(r->arg, req, &res);
    kiln_buf_release(&a->body);
    a->body = res.body;
    a->status = res.status;
    a->ctype = res.content_type ? res.content_type : "text/html; charset=utf-8";
    a->cacheable = res.cacheable;
    if (res.location[0]) a->location = strdup(res.location);
}

int web_server_answer(web_server *s, const char *p, size_t n, kiln_buf *out, bool *keep)
{
    web_request *req = malloc(sizeof *req);
    answer a = {.status = 200};
    kiln_buf_init(&a.body);
    *keep = false;
    if (req == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for a request");
    int bad = web_request_parse(p, n, req);
    if (bad) {
        answer_text(&a, bad, "The request could not be read.\n");
    } else {
        *keep = s->o.keep_alive && req->keep_alive && !req->http10;
        decide(s, req, &a, keep);
    }
    bool head_only = !bad && strcmp(req->method, "HEAD") == 0;
    int rc = write_head(out, &a, head_only, *keep);
    free((void *)a.location);
    kiln_buf_release(&a.body);
    free(req);
    return rc;
}

/* ---- Connections --------------------------------------------------------------------- */

static void conn_free(wconn *c)
{
    net_close(c->fd);
    kiln_buf_release(&c->out);
    free(c);
}

static void conn_drop(web_server *s, size_t i)
{
    conn_free(s->conns[i]);
    s->conns[i] = s->conns[--s->nconns];
}

/* Answers the head at the start of c->in, if whole; moves c to writing. */
static void conn_try_answer(web_server *s, wconn *c)
{
    size_t h = web_head_length(c->in, c->in_len);
    if (h == 0 && c->in_len < sizeof c->in) return;
    c->out.len = 0;
    c->out_off = 0;
    bool keep = false;
    if (h == 0) {
        answer a = {0};
        kiln_buf_init(&a.body);
        answer_text(&a, 431, NULL);
        write_head(&c->out, &a, false, false);
        kiln_buf_release(&a.body);
    } else if (web_server_answer(s, c->in, h, &c->out, &keep) != KILN_OK) {
        keep = false;
    }
    if (h > 0) {
        memmove(c->in, c->in + h, c->in_len - h);
        c->in_len -= h;
    }
    c->keep = keep;
    c->writing = true;
    c->answered_one = true;
    c->deadline = now_ms() + WRITE_TIMEOUT_MS;
}

/* Reads or writes what c's socket allows. false: close it. */
static bool conn_step(web_server *s, wconn *c)
{
    if (!c->writing) {
        ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
        if (r == 0) return false;
        if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c->in_len += (size_t)r;
        conn_try_answer(s, c);
        if (!c->writing) return true;
    }
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c->out_off += (size_t)w;
    }
    if (!c->keep) {
        shutdown(c->fd, SHUT_WR);
        return false;
    }
    c->writing = false;
    c->deadline = now_ms() + IDLE_TIMEOUT_MS;
    conn_try_answer(s, c); /* a pipelined request already read */
    return true;
}

/* Makes room for a connection from source (see the file comment). */
static void make_room(web_server *s, const char *source)
{
    size_t same = 0, victim = SIZE_MAX, victim_same = SIZE_MAX;
    for (size_t i = 0; i < s->nconns; i++) {
        wconn *c = s->conns[i];
        bool src = strcmp(c->source, source) == 0;
        same += src;
        /* Reading (nothing owed to it) before writing; then the oldest. */
#define BETTER(v)                                                                                  \
    (v == SIZE_MAX || (s->conns[v]->writing && !c->writing) ||                                     \
     (s->conns[v]->writing == c->writing && c->opened < s->conns[v]->opened))
        if (BETTER(victim)) victim = i;
        if (src && BETTER(victim_same)) victim_same = i;
#undef BETTER
    }
    size_t max = (size_t)s->o.max_conns;
    size_t v = same >= (max + 1) / 2 ? victim_same : s->nconns >= max ? victim : SIZE_MAX;
    if (v == SIZE_MAX) return;
    LOG_THROTTLED(&s->log, LOG_WARN, "web",
                  "%s: evicting the oldest connection of %s (%zu open, %zu from it; at most %zu, "
                  "half from one address)",
                  s->o.name, s->conns[v]->source, s->nconns, same, max);
    conn_drop(s, v);
}

static void accept_some(web_server *s)
{
    for (int k = 0; k < 16; k++) {
        int fd;
        char peer[NET_HOST_MAX + 16];
        if (net_accept_nb(s->lfd, &fd, peer, sizeof peer) != KILN_OK) {
            LOG_THROTTLED(&s->log, LOG_WARN, "web", "%s: %s; not accepting for %d ms", s->o.name,
                          kiln_last_error(), ACCEPT_PAUSE_MS);
            s->paused_until = now_ms() + ACCEPT_PAUSE_MS;
            return;
        }
        if (fd < 0) return;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        char *colon = strrchr(peer, ':');
        if (colon) *colon = '\0';
        make_room(s, peer);
        wconn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            net_close(fd);
            return;
        }
        c->fd = fd;
        snprintf(c->source, sizeof c->source, "%s", peer);
        kiln_buf_init(&c->out);
        c->opened = now_ms();
        c->deadline = c->opened + s->o.request_timeout_ms;
        s->conns[s->nconns++] = c;
    }
}

static void *server_main(void *arg)
{
    web_server *s = arg;
    struct pollfd *pfd = calloc((size_t)s->o.max_conns + 2, sizeof *pfd);
    wconn **owner = calloc((size_t)s->o.max_conns + 2, sizeof *owner);
    if (pfd == NULL || owner == NULL) {
        LOG(LOG_ERROR, "web", "%s: out of memory; not serving", s->o.name);
        free(pfd);
        free(owner);
        return NULL;
    }
    while (!s->stop) {
        size_t n = 0;
        int64_t now = now_ms();
        bool paused = now < s->paused_until;
        pfd[n] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        owner[n++] = NULL;
        pfd[n] = (struct pollfd){.fd = paused ? -1 : s->lfd, .events = POLLIN};
        owner[n++] = NULL;
        for (size_t i = 0; i < s->nconns; i++) {
            pfd[n] = (struct pollfd){.fd = s->conns[i]->fd,
                                     .events = s->conns[i]->writing ? POLLOUT : POLLIN};
            owner[n++] = s->conns[i];
        }
        int r = poll(pfd, n, TICK_MS);
        if (r < 0 && errno != EINTR) {
            LOG(LOG_ERROR, "web", "%s: poll: %s", s->o.name, strerror(errno));
            break;
        }
        if (r > 0 && pfd[0].revents) {
            char drain[64];
            while (read(s->wake[0], drain, sizeof drain) > 0) {
            }
        }
        for (size_t i = 2; r > 0 && i < n; i++) {
            if (!pfd[i].revents) continue;
            wconn *c = owner[i];
            if (!conn_step(s, c)) {
                for (size_t j = 0; j < s->nconns; j++)
                    if (s->conns[j] == c) {
                        conn_drop(s, j);
                        break;
                    }
            }
        }
        if (r > 0 && pfd[1].revents) accept_some(s);
        now = now_ms();
        for (size_t i = 0; i < s->nconns;) {
            if (now >= s->conns[i]->deadline) conn_drop(s, i);
            else i++;
        }
    }
    free(pfd);
    free(owner);
    return NULL;
}

/* ---- Start and stop ------------------------------------------------------------------- */

static void asset_handler(void *arg, const web_request *req, web_response *res)
{
    const web_asset *a = web_asset_find(req->path);
    if (a == NULL) {
        res->status = 404;
        res->content_type = "text/plain; charset=utf-8";
        buf_appendf(&res->body, "404 Not Found\n");
        return;
    }
    res->content_type = a->content_type;
    res->cacheable = true;
    kiln_buf_append(&res->body, a->data, a->len);
}

int web_server_new(const web_server_opts *o, web_server **out)
{
    *out = NULL;
    web_server *s = calloc(1, sizeof *s);
    if (s == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for a web server");
    s->o = *o;
    if (s->o.name == NULL) s->o.name = "web";
    if (s->o.max_conns <= 0) s->o.max_conns = 64;
    if (s->o.request_timeout_ms <= 0) s->o.request_timeout_ms = 10000;
    if (s->o.max_retries < 0) s->o.max_retries = 0;
    s->lfd = s->wake[0] = s->wake[1] = -1;
    const char *host = o->host == NULL ? "127.0.0.1" : o->host;
    s->needs_token = !is_loopback(host);
    if (s->needs_token && (o->token == NULL || !o->token[0] || strlen(o->token) >= WEB_TOKEN_MAX)) {
        free(s);
        return kiln_set_error(KILN_ECONF,
                              "%s: the web UI listens on %s, beyond this machine, and needs a "
                              "token (none given)",
                              o->name ? o->name : "web", host[0] ? host : "every address");
    }
    int rc = KILN_EIO;
    int tries = o->port == 0 ? 1 : o->max_retries + 1;
    for (int i = 0; i < tries && rc != KILN_OK; i++) {
        int port = o->port == 0 ? 0 : o->port + i;
        if (port > 65535) port = 1024 + (port - 65536);
        rc = net_listen(host[0] ? host : NULL, port, 128, &s->lfd, &s->port);
    }
    if (rc != KILN_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", kiln_last_error());
        free(s);
        return kiln_set_error(KILN_EIO,
                              "%s: no free port for the web UI in %d..%d "
                              "(kiln.port.maxRetries %d): %s",
                              o->name ? o->name : "web", o->port, o->port + tries - 1,
                              o->max_retries, why);
    }
    snprintf(s->cookie, sizeof s->cookie, "kiln_token_%d", s->port);
    s->conns = calloc((size_t)s->o.max_conns, sizeof *s->conns);
    if (s->conns == NULL || pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
        web_route(s, "/static/", WEB_PREFIX, asset_handler, NULL) != KILN_OK) {
        web_server_free(s);
        return kiln_set_error(KILN_ENOMEM, "out of resources for a web server");
    }
    *out = s;
    return KILN_OK;
}

int web_route(web_server *s, const char *pattern, int flags, web_handler fn, void *arg)
{
    if (s->started) return kiln_set_error(KILN_ESTATE, "web_route after web_server_start");
    route *grown = realloc(s->routes, (s->nroutes + 1) * sizeof *grown);
    if (grown == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for a route");
    s->routes = grown;
    char *p = strdup(pattern);
    if (p == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory for a route");
    size_t len = strlen(p);
    /* "/x/" as an exact pattern also matches "/x": stored without its '/'. */
    if (!(flags & WEB_PREFIX) && len > 1 && p[len - 1] == '/') p[--len] = '\0';
    s->routes[s->nroutes++] = (route){p, len, flags, fn, arg};
    return KILN_OK;
}

int web_server_port(const web_server *s)
{
    return s->port;
}

bool web_server_needs_token(const web_server *s)
{
    return s->needs_token;
}

void web_server_url(const web_server *s, const char *host, char *out, size_t size)
{
    char base[NET_HOST_MAX + 32];
    net_url_format(base, sizeof base, "http", host, s->port);
    snprintf(out, size, "%s/%s%s", base, s->needs_token ? "?token=" : "",
             s->needs_token ? s->o.token : "");
}

int web_server_start(web_server *s)
{
    if (s->started) return KILN_OK;
    if (pthread_create(&s->thread, NULL, server_main, s) != 0)
        return kiln_set_error(KILN_EIO, "%s: cannot start the web server's thread", s->o.name);
    s->started = true;
    return KILN_OK;
}

void web_server_free(web_server *s)
{
    if (s == NULL) return;
    if (s->started) {
        s->stop = 1;
        if (write(s->wake[1], "x", 1) < 0) {
        } /* the loop also wakes every TICK_MS */
        pthread_join(s->thread, NULL);
    }
    for (size_t i = 0; i < s->nconns; i++) conn_free(s->conns[i]);
    free(s->conns);
    for (size_t i = 0; i < s->nroutes; i++) free(s->routes[i].pattern);
    free(s->routes);
    net_close(s->lfd);
    if (s->wake[0] >= 0) close(s->wake[0]);
    if (s->wake[1] >= 0) close(s->wake[1]);
    free(s);
}
