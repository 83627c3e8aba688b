/*
 * deploy/deploy_int.h - what the files of src/deploy share and no other
 * folder may use: the payload helpers of messages.c and app_messages.c,
 * the JSON string escaper, the HTTP request parser, the driver's file list
 * and the sha256 of a file, the monotonic clock and the stop flag of the
 * daemons. (The tests include it too.)
 */
#ifndef KILN_DEPLOY_INT_H
#define KILN_DEPLOY_INT_H

#include "base/json.h"
#include "deploy/messages.h"

#pragma GCC visibility push(hidden)

/* ---- Payload helpers (messages.c; the field tables are net/fields.h) ------------------ */

/* KILN_ECORRUPT unless f has type want. */
int deploy_msg_expect(const net_frame *f, int want, const char *peer);
/* Starts reading f's payload, naming message and peer in errors ("what",
 * size bytes, must outlive r). */
void deploy_msg_reader_start(wire_reader *r, const net_frame *f, const char *peer, char *what,
                             size_t size);
/* Sets and returns code with "WHAT: field DETAIL" (what NULL, as writers
 * pass it: "field DETAIL"), DETAIL from fmt. */
int deploy_msg_bad(int code, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- HTTP status listener (http.c) --------------------------------------------------- */

#define HTTP_MAX_REQUEST 8192 /* request line and headers */

/* What the master answers to a request: status code and, for 200, the body
 * is the status JSON. */
typedef struct http_request {
    char method[16];
    char path[256];
    bool authorized; /* "Authorization: Bearer <token>" matched */
} http_request;

/* Parses the request line and headers in p[0..n) (which must hold the
 * blank line that ends them) and checks the Authorization header against
 * token in constant time. Returns the HTTP status the request deserves:
 * 200 (GET /json, authorized), 400 (malformed), 401 (no or wrong token:
 * checked before the path, so nothing is revealed without it), 404, 405. */
int http_handle_request(const char *p, size_t n, const char *token, http_request *req);

/* The reason phrase of an HTTP status ("Not Found"). */
const char *http_reason(int status);

#define HTTP_HEAD_MAX 384 /* room for any head http_response_head writes */

/* Writes the head of the master's answer (status line, Content-Type,
 * Content-Length, no caching, X-Content-Type-Options: nosniff, a
 * WWW-Authenticate challenge for 401, Connection: close, blank line) into
 * out. Returns its length, or -1 when cap is too small. */
int http_response_head(int status, size_t body_len, char *out, size_t cap);

/* ---- The driver's files (app_files.c) -------------------------------------------------- */

/* The executable's entry (name "exe") and the others, for REGISTER_APP.
 * Borrowed, valid as long as f. */
const deploy_file *app_files_exe(const app_files *f);
const deploy_file *app_files_list(const app_files *f, uint32_t *n);

/* Lowercase hex sha256 of everything readable from fd (from its current
 * offset), and how many bytes that was. KILN_EIO naming what on a read error. */
int app_sha256_fd(int fd, const char *what, char hex[DEPLOY_SHA256_HEX], uint64_t *size);

/* ---- The daemons' clock and stop flag (util.c) --------------------------------------- */

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t deploy_now_ms(void);
/* Installs SIGTERM/SIGINT handlers that set the stop flag (no SA_RESTART, so
 * poll() and sleeps return early) and ignores SIGPIPE. */
void deploy_signals_install(void);
bool deploy_stop_requested(void);

#pragma GCC visibility pop

#endif
