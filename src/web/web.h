/*
 * web/web.h - kiln's HTTP/1.1 server and HTML framework, for the pages of
 * the standalone master and workers (src/deploy) and the application UI:
 * a listener on its own thread (Spark's port retries), request parsing
 * with strict limits, a router of paths to handlers that fill a response
 * buffer, access control (loopback open; elsewhere a token, then a
 * cookie), security headers on every answer, static assets compiled into
 * the binary, and helpers for HTML (escaping, a page skeleton, sortable
 * tables), Spark's formats of durations, sizes and times, and an SVG DAG.
 *
 * web depends on net and base only. Errors are 0 (KILN_OK) or a negative
 * KILN_E* with the message in kiln_last_error(). See src/web/README.md.
 */
#ifndef KILN_WEB_H
#define KILN_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

/* ---- Requests (request.c) --------------------------------------------------------- */

#define WEB_MAX_REQUEST 16384 /* request line and headers, the blank line included */
#define WEB_MAX_TARGET 4096   /* the request line's target (path and query) */
#define WEB_MAX_HEADERS 64
#define WEB_MAX_PARAMS 32
#define WEB_TOKEN_MAX 128 /* a token, a cookie's or the Authorization header's */

typedef struct web_param {
    const char *name, *value; /* percent-decoded, NUL-terminated, in the request's store */
} web_param;

/* A parsed request. Caller-owned; every string points into store. */
typedef struct web_request {
    char method[8];        /* as sent, e.g. "GET" (longer methods are refused: 501) */
    const char *path;      /* percent-decoded, starts with '/', never holds a NUL byte */
    const char *raw_query; /* the query as sent, without '?' ("" when none) */
    web_param params[WEB_MAX_PARAMS];
    size_t nparams;
    const char *host;   /* the Host header ("" when absent) */
    const char *bearer; /* "Authorization: Bearer T": T, or NULL */
    const char *cookie; /* the whole Cookie header, or NULL */
    bool keep_alive;    /* "Connection: keep-alive" asked (never assumed) */
    bool has_body;      /* Content-Length > 0 or Transfer-Encoding: never read */
    bool http10;
    char store[WEB_MAX_REQUEST + WEB_MAX_TARGET];
} web_request;

/* Length of the head at the start of p[0..n) (up to and with the blank line
 * that ends it, CRLF or LF), or 0 when it has not ended yet. */
size_t web_head_length(const char *p, size_t n);

/* Parses the head p[0..n) (as web_head_length measured it). Returns 0, or
 * the HTTP status the request deserves: 400 (malformed: request line,
 * header syntax, percent escapes, a NUL), 414 (target
 * longer than WEB_MAX_TARGET), 431 (too many headers or parameters, or a
 * head over WEB_MAX_REQUEST), 501 (a method longer than 7 bytes), 505
 * (not HTTP/1.x). Never reads past n; no allocation. */
int web_request_parse(const char *p, size_t n, web_request *req);

/* The first parameter called name, or NULL. Borrowed from req. */
const char *web_param_get(const web_request *req, const char *name);

/* The value of cookie name in req's Cookie header, copied into out (size
 * bytes); false when absent or too long. */
bool web_cookie_get(const web_request *req, const char *name, char *out, size_t size);

/* Decodes %XX escapes (and '+' as a space when plus) of s[0..n) into out
 * (at least n + 1 bytes). false for a malformed escape or a decoded NUL. */
bool web_percent_decode(const char *s, size_t n, bool plus, char *out);

/* Appends s percent-encoded for a query value (unreserved bytes kept). */
int web_percent_encode(kiln_buf *b, const char *s);

/* True when a equals b, in time that depends on their lengths only. */
bool web_token_equal(const char *a, const char *b);

/* ---- Responses and routes --------------------------------------------------------- */

typedef struct web_response {
    int status;                         /* 200 unless the handler says otherwise */
    const char *content_type;           /* static string; "text/html; charset=utf-8" by default */
    kiln_buf body;                      /* owned; HEAD requests get its length and no bytes */
    char location[WEB_MAX_TARGET + 64]; /* for 3xx: where to */
    bool cacheable; /* assets: "Cache-Control: max-age=3600"; pages: "no-store" */
} web_response;

/* A route's handler: reads req, fills res (status, content type, body).
 * Runs on the server's thread, one request at a time. */
typedef void (*web_handler)(void *arg, const web_request *req, web_response *res);

enum {
    WEB_EXACT = 0,  /* the path is the pattern (or the pattern and a trailing '/') */
    WEB_PREFIX = 1, /* the path starts with the pattern */
    WEB_BEARER = 2, /* also: "Authorization: Bearer <token>" always (an API: /json) */
};

/* ---- The server (server.c) --------------------------------------------------------- */

typedef struct web_server_opts {
    const char *name; /* for logs and the page footer, e.g. "master" */
    /* NULL: 127.0.0.1 (the default: only this machine); "": every address;
     * else a host or address. Anything but a loopback address requires token. */
    const char *host;
    int port;               /* 0: ephemeral */
    int max_retries;        /* taken ports: try port+1 .. port+max_retries (kiln.port.maxRetries) */
    const char *token;      /* the access token (required off loopback, and by WEB_BEARER routes) */
    int max_conns;          /* open connections at most (0: 64); the oldest idle one is evicted */
    bool keep_alive;        /* honour "Connection: keep-alive" */
    int request_timeout_ms; /* a whole request head (0: 10000) */
} web_server_opts;

typedef struct web_server web_server;

/* Makes a server and binds its port (the first free of port .. port +
 * max_retries). Routes are added with web_route, then web_server_start.
 * KILN_ECONF when host is not loopback and there is no token, KILN_EIO
 * naming host and the ports tried. Borrows o's strings until freed. */
int web_server_new(const web_server_opts *o, web_server **out);
/* Routes pattern (see WEB_EXACT...) to fn. The most specific (longest)
 * matching pattern wins. KILN_ENOMEM, or KILN_ESTATE once started. */
int web_route(web_server *s, const char *pattern, int flags, web_handler fn, void *arg);
/* The bound port. */
int web_server_port(const web_server *s);
/* True when requests need the token (not bound to a loopback address). */
bool web_server_needs_token(const web_server *s);
/* The URL to print at start-up, into out: "http://host:port/" and, when a
 * token is needed, "?token=T" (the browser then gets a cookie). */
void web_server_url(const web_server *s, const char *host, char *out, size_t size);
/* Starts the server's thread. KILN_EIO when the thread cannot start. */
int web_server_start(web_server *s);
/* Stops the thread (if started), closes every connection and frees s. */
void web_server_free(web_server *s);

/* Answers one request head p[0..n) as the server would (auth, method,
 * route, headers), appending the whole response to out; *keep says whether
 * the connection may stay open. For the tests and the fuzz target. */
int web_server_answer(web_server *s, const char *p, size_t n, kiln_buf *out, bool *keep);

/* ---- HTML (html.c) ------------------------------------------------------------------ */

/* Appends s escaped for HTML text and attribute values (& < > " ' and `),
 * control characters dropped, invalid UTF-8 replaced by U+FFFD. NULL is "". */
int html_esc(kiln_buf *b, const char *s);
/* As html_esc for n bytes of s. */
int html_esc_n(kiln_buf *b, const char *s, size_t n);
/* printf into b, every %s argument escaped (the format itself is trusted:
 * literal markup). Only %s, %d, %u, %ld, %lu, %lld, %llu, %zu, %x and %%. */
int html_printf(kiln_buf *b, const char *fmt, ...);

typedef struct html_tab {
    const char *label, *href; /* trusted strings (escaped anyway) */
} html_tab;

/* The page's start: doctype, title (escaped), the stylesheet and script
 * (static assets), a header naming brand (escaped) and the tabs, the
 * active one (index, -1: none) marked aria-current. */
int html_page_begin(kiln_buf *b, const char *brand, const char *title, const html_tab *tabs,
                    int ntabs, int active);
/* Closes what html_page_begin opened. */
int html_page_end(kiln_buf *b);

/* A table: columns (header labels) and their kinds, rows added cell by cell. */
typedef enum html_kind { HTML_TEXT, HTML_NUM } html_kind;
typedef struct html_col {
    const char *label;
    html_kind kind;
} html_col;

/* <table class="sortable" id=...> with the header row; id may be NULL. */
int html_table_begin(kiln_buf *b, const char *id, const html_col *cols, int ncols);
int html_row_begin(kiln_buf *b);
/* A text cell: text escaped; a sort key (data-sort) when sort is not NULL. */
int html_cell(kiln_buf *b, const char *text, const char *sort);
/* A numeric cell shown as text with the number n as its sort key. */
int html_cell_num(kiln_buf *b, const char *text, double n);
/* A cell holding a link: href and text both escaped. */
int html_cell_link(kiln_buf *b, const char *href, const char *text);
int html_row_end(kiln_buf *b);
/* Closes the table; with no rows, says empty in a last row. */
int html_table_end(kiln_buf *b, const char *empty);

/* ---- Formats as Spark's UI shows them (format.c) ----------------------------------- */

/* "85 ms", "0.4 s", "12 s", "3.5 min", "42 min", "1.2 h" (Spark's UIUtils.formatDuration). */
void web_fmt_duration(char *out, size_t size, int64_t ms);
/* "0.0 B", "512.0 B", "1536.0 B", "2.0 KiB", "3.0 GiB" (Spark's Utils.bytesToString). */
void web_fmt_bytes(char *out, size_t size, uint64_t bytes);
/* A wall-clock time (ms since the epoch) as "2024/05/01 13:02:03" in local
 * time (Spark's UIUtils.formatDate); "" for ms <= 0. */
void web_fmt_time(char *out, size_t size, int64_t epoch_ms);
/* Megabytes as Spark's master shows memory: "1024.0 MiB" (bytes/2^20). */
void web_fmt_mib(char *out, size_t size, uint64_t bytes);

/* ---- An SVG DAG (dag.c) -------------------------------------------------------------- */

typedef struct web_dag_node {
    const char *label; /* escaped when drawn */
    const char *href;  /* NULL: not a link */
    const char *cls;   /* a CSS class (trusted), NULL: none */
    /* Optional: lines drawn under the label (a plan operator's metrics),
     * and the tooltip (NULL: the label); escaped when drawn */
    const char *const *details;
    int ndetails;
    const char *title;
} web_dag_node;

typedef struct web_dag_edge {
    int from, to; /* node indices */
} web_dag_edge;

/* Appends an <svg> drawing nodes in ranks (a node's rank is one past its
 * highest parent's; cycles are broken) with edges as arrows. Nodes of a
 * rank sit in a column, left to right by rank. KILN_EINVAL for an edge to
 * a node that does not exist; KILN_ENOMEM. */
int web_dag_svg(kiln_buf *b, const web_dag_node *nodes, int nnodes, const web_dag_edge *edges,
                int nedges);
/* The same, with ranks as rows top to bottom when vertical (a query
 * plan's operators, data flowing down as Spark draws them). */
int web_dag_svg_opts(kiln_buf *b, const web_dag_node *nodes, int nnodes, const web_dag_edge *edges,
                     int nedges, bool vertical);

/* ---- An SVG event timeline (timeline.c) --------------------------------------------- */

/* Something that ran: a job, a stage. Strings are escaped when drawn. */
typedef struct web_tl_bar {
    int64_t start, end; /* epoch ms; end 0: still running (drawn to now) */
    const char *label;  /* on the bar, cut to fit */
    const char *title;  /* the tooltip (<title>), whole */
    const char *cls;    /* a CSS class for its colour ("job-SUCCEEDED"), NULL: none */
    const char *href;   /* NULL: not a link */
} web_tl_bar;

/* Something that happened at a point in time: an executor added or removed. */
typedef struct web_tl_mark {
    int64_t at; /* epoch ms */
    const char *label, *title, *cls;
} web_tl_mark;

/* The lane of each bar: taken in order of start (then index), a bar goes
 * into the first lane whose last bar ended by its start. lane has nbars entries; returns the number
 * of lanes, or KILN_ENOMEM. */
int web_timeline_lanes(const web_tl_bar *bars, int nbars, int64_t now, int *lane);
/* Appends an <svg class="timeline">: a time axis over every bar and mark,
 * the marks in a row ("Executors", none when nmarks is 0), the bars in
 * lanes below (titled bars_title: "Jobs"), each bar a <g class="tl-bar
 * CLS"> with its tooltip, a link when it has an href. now: where a running
 * bar ends. KILN_ENOMEM. */
int web_timeline_svg(kiln_buf *b, const char *bars_title, const web_tl_bar *bars, int nbars,
                     const web_tl_mark *marks, int nmarks, int64_t now);

/* ---- Assets (assets.c) ---------------------------------------------------------------- */

typedef struct web_asset {
    const char *path; /* "/static/kiln.css" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} web_asset;

/* The asset served at path, or NULL. */
const web_asset *web_asset_find(const char *path);

#pragma GCC visibility pop

#endif
