/*
 * io/store_int.h - private interface of the object-store half of src/io:
 * URLs (s3a:// s3://, abfs[s]:// wasb[s]://, http[s]://) parsed into a
 * backend and a key, the backend table (stat, ranged get, list, put,
 * multipart upload, copy, delete), the settings the context handed over
 * (kiln.hadoop.fs.*), the libcurl client with retries (http.c) and the
 * signing helpers (HMAC-SHA256, SHA-256, base64). Files: store.c (URLs,
 * settings, dispatch, streams), http.c, s3.c, azure.c, objcommit.c.
 */
#ifndef KILN_IO_STORE_INT_H
#define KILN_IO_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "base/base.h"
#include "io/io.h"

#pragma GCC visibility push(hidden)

/* ---- URLs ------------------------------------------------------------------ */

typedef enum io_scheme {
    IO_SCHEME_LOCAL = 0,
    IO_SCHEME_S3,
    IO_SCHEME_AZURE,
    IO_SCHEME_HTTP
} io_scheme;

/* A parsed URL: scheme://bucket/key (S3), scheme://container@account.host/key
 * (Azure), or a plain http(s) URL. All strings owned (io_url_release). */
typedef struct io_url {
    io_scheme scheme;
    char *root;   /* "s3a://bucket/", "abfss://c@a.dfs.core.windows.net/": prefix of listed paths */
    char *bucket; /* S3 bucket or Azure container ("" for http) */
    char *account; /* Azure account name (NULL otherwise) */
    char *key;     /* object key, no leading '/' ("" for the bucket's root) */
    char *http;    /* http(s) only: the URL fetched */
    char *shown;   /* the URL as messages name it: no query string, no user info */
} io_url;

/* Parses path into u. Returns KILN_OK, or KILN_EINVAL naming the URL (its
 * shown form) when it is malformed. Borrows path. */
int io_url_parse(const char *path, io_url *u);
void io_url_release(io_url *u);
/* The scheme of path (IO_SCHEME_LOCAL when it names no object store). */
io_scheme io_url_scheme(const char *path);
/* Writes path without its query string or user info into buf (for
 * messages). Returns buf. */
const char *io_url_shown(const char *path, char *buf, size_t cap);

/* ---- Settings (store.c): kiln.hadoop.fs.* from the context's conf ---------- */

/* The value of kiln.hadoop.<key> (key like "fs.s3a.endpoint") as an owned
 * string, or NULL when not set. */
char *io_setting(const char *key);
/* The same as a number (sizes "8m", "64M" and durations "30s", "500ms"
 * accepted; times are returned in ms), or def when unset or malformed. */
int64_t io_setting_int(const char *key, int64_t def);
int64_t io_setting_ms(const char *key, int64_t def_ms);
bool io_setting_bool(const char *key, bool def);

/* ---- HTTP (http.c) ---------------------------------------------------------- */

/* Retry and timeout policy of a request. */
typedef struct io_http_policy {
    int attempts;       /* total attempts, >= 1 */
    int64_t base_ms;    /* first backoff; doubled each retry, with jitter */
    int64_t max_ms;     /* cap on one backoff */
    int64_t connect_ms; /* connect timeout */
    int64_t stall_ms;   /* a transfer slower than 1 byte/s for this long fails */
} io_http_policy;

typedef struct io_http_req io_http_req;
/* Adds the authorization headers of one attempt to *h (called before each
 * attempt: signatures carry the time). Returns KILN_OK or an error. */
typedef int (*io_http_sign_fn)(void *arg, const io_http_req *r, struct curl_slist **h);

struct io_http_req {
    const char *method;         /* "GET", "PUT", ... */
    const char *url;            /* full URL with query (borrowed) */
    const char *shown;          /* what messages name (borrowed) */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated (may be NULL) */
    const void *body;           /* request body (borrowed) */
    size_t body_len;
    /* Ranged GET into dst: bytes [range_off, range_off + range_len); a
     * transfer cut short resumes from the byte reached. range_len 0: no
     * range (the body goes to out). */
    int64_t range_off;
    size_t range_len;
    void *dst;
    io_http_sign_fn sign;
    void *sign_arg;
    const io_http_policy *policy;
    /* Results. */
    long status;   /* last HTTP status (0: no response) */
    kiln_buf *out; /* response body when range_len == 0 (may be NULL) */
    kiln_buf hdrs; /* response headers of the last attempt (owned by the caller) */
};

/* Performs r with retries: connection errors, timeouts, 429 and 5xx
 * (500 502 503 504) back off (Retry-After honoured) and try again up to
 * policy->attempts times. Returns KILN_OK with r->status (any status the
 * caller must judge, 2xx..4xx), or KILN_EIO naming r->shown and the last
 * status or connection error once the attempts are spent. */
int io_http_do(io_http_req *r);
/* Copies the value of response header name (case-insensitive) into buf.
 * Returns true when present. */
bool io_http_header(const io_http_req *r, const char *name, char *buf, size_t cap);
/* Frees r's header buffer. */
void io_http_req_release(io_http_req *r);
/* Sets KILN_ENOENT / KILN_EIO for a failed status: "what URL: HTTP 403
 * (AccessDenied)" with the code from an XML error body. Returns the code. */
int io_http_fail(const io_http_req *r, const char *what);

/* One request of a backend on one object or container: what the signers
 * and the HTTP layer need. */
typedef struct io_qparam {
    const char *name; /* lowercase */
    const char *value;
} io_qparam;

typedef struct io_call {
    const char *method;
    const char *key;    /* object key; NULL: the bucket or container itself */
    const char *query;  /* S3: the canonical query (sorted, encoded); NULL: none */
    const io_qparam *q; /* Azure: query parameters sorted by name */
    int nq;
    const char *const *headers;
    const void *body;
    size_t body_len;
    int64_t range_off;
    size_t range_len;
    void *dst;
    kiln_buf *out;
} io_call;

/* A backend's request runner: performs a on u into r (the caller releases
 * r's headers with io_http_req_release). */
typedef int (*io_call_fn)(const io_url *u, const io_call *a, io_http_req *r);

/* Fills r from a and runs it (io_http_do) with the URL, the name messages
 * use, the signer and the policy; r's url and shown are cleared after. */
int io_http_call(io_http_req *r, const io_call *a, const char *url, const char *shown,
                 io_http_sign_fn sign, void *sign_arg, const io_http_policy *policy);
/* io_http_fail naming root/key. */
int io_http_fail_key(io_http_req *r, const char *root, const char *key, const char *what);
/* The operations every backend does the same way over its runner: the
 * size of u's object (HEAD; KILN_ENOENT when absent), a ranged GET, and a
 * body-less or whole-body request that must answer 2xx (404 is fine for
 * a DELETE). */
int io_call_stat(io_call_fn call, const io_url *u, int64_t *size);
int io_call_get(io_call_fn call, const io_url *u, int64_t off, size_t n, void *dst);
int io_call_simple(io_call_fn call, const io_url *u, const char *method, const char *const *headers,
                   const void *body, size_t n, const char *what);

/* ---- Signing helpers (http.c) ----------------------------------------------- */

/* A header a signature covers: its lowercase name and its value. */
typedef struct io_hdr {
    char name[64];
    const char *value; /* borrowed */
} io_hdr;
/* Adds r's extra headers whose names start with prefix (any case;
 * "x-amz-", "x-ms-") to hs[n..cap) and sorts hs[0..) by name. Returns the
 * new count. */
int io_sign_headers(const io_http_req *r, const char *prefix, io_hdr *hs, int n, int cap);
void io_sha256_hex(const void *p, size_t n, char hex[65]);
void io_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32]);
/* Base64 of p into out (NUL-terminated); returns the length. */
size_t io_base64(const void *p, size_t n, char *out);
/* Decodes base64 s into out (cap bytes); returns the length or -1. */
long io_unbase64(const char *s, uint8_t *out, size_t cap);
/* Appends s percent-encoded (RFC 3986 unreserved kept; '/' kept when
 * keep_slash) to b. */
int io_uri_encode(kiln_buf *b, const char *s, bool keep_slash);
/* The raw text between the first <tag> and </tag> at or after *pos, as
 * [*s, *s + *n) in xml; *pos moves past it. False when absent. */
bool io_xml_span(const char *xml, size_t len, const char *tag, size_t *pos, const char **s,
                 size_t *n);
/* The text of the first <tag>...</tag> at or after *pos in xml (entities
 * decoded) as an owned string; *pos moves past it. NULL when absent. */
char *io_xml_next(const char *xml, size_t len, const char *tag, size_t *pos);

/* ---- Backends ---------------------------------------------------------------- */

typedef struct io_obj {
    char *path; /* full URL (owned) */
    int64_t size;
} io_obj;

typedef struct io_obj_list {
    io_obj *v;
    size_t n, cap;
} io_obj_list;
int io_obj_list_add(io_obj_list *l, const io_url *u, const char *key, int64_t size);
void io_obj_list_release(io_obj_list *l);

typedef struct io_store_ops {
    const char *name;
    /* Size of the object; KILN_ENOENT when absent. */
    int (*stat)(const io_url *u, int64_t *size);
    /* Exactly n bytes at off into dst. */
    int (*get)(const io_url *u, int64_t off, size_t n, void *dst);
    /* Every object whose key starts with prefix (recursive), any order. */
    int (*list)(const io_url *u, const char *prefix, io_obj_list *out);
    int (*put)(const io_url *u, const void *p, size_t n);
    /* Multipart upload: begin gives an owned id; part numbers from 1; end
     * assembles the parts in order. */
    int (*upload_begin)(const io_url *u, char **id);
    int (*upload_part)(const io_url *u, const char *id, int part, const void *p, size_t n,
                       char **etag);
    int (*upload_end)(const io_url *u, const char *id, char *const *etags, int nparts);
    void (*upload_abort)(const io_url *u, const char *id);
    int (*copy)(const io_url *from, const io_url *to);
    /* Deletes one object (absent is not an error). */
    int (*del)(const io_url *u);
} io_store_ops;

extern const io_store_ops io_s3_ops, io_azure_ops, io_https_ops;
/* Creates the container of the Azure URL (an existing one is fine). */
int io_azure_create_container(const char *url);
/* The backend of u's scheme (NULL for local paths). */
const io_store_ops *io_store_ops_of(const io_url *u);

/* ---- Streams (store.c) -------------------------------------------------------- */

/* A forward reader of one object in big blocks (kiln.hadoop.fs.s3a.readahead
 * .range, 8 MiB by default), the next block fetched in the background. */
typedef struct io_obj_reader io_obj_reader;
int io_obj_reader_open(const char *path, int64_t off, io_obj_reader **out);
int io_obj_reader_read(io_obj_reader *r, void *dst, size_t cap, size_t *got);
/* Says that reads past end will be few (a split's last line): blocks stop
 * there, the prefetch does not cross it, and beyond it 64 KiB are fetched
 * at a time. */
void io_obj_reader_limit(io_obj_reader *r, int64_t end);
/* Random access: exactly n bytes at off (blocks cached; a read that follows
 * the previous block prefetches the next; n >= the block size goes straight
 * to dst). */
int io_obj_reader_pread(io_obj_reader *r, void *dst, size_t n, int64_t off);
int64_t io_obj_reader_size(const io_obj_reader *r);
void io_obj_reader_close(io_obj_reader *r);

/* A writer of one object: a single PUT when it stays under the part size,
 * a multipart upload (S3) or block list (Azure) beyond. */
typedef struct io_obj_writer io_obj_writer;
int io_obj_writer_open(const char *path, io_obj_writer **out);
int io_obj_writer_write(io_obj_writer *w, const void *p, size_t n);
/* Completes the object; frees w. */
int io_obj_writer_close(io_obj_writer *w);
/* Abandons the object (aborting an upload); frees w. */
void io_obj_writer_abort(io_obj_writer *w);

/* Whole-object helpers over the backend table. */
int io_obj_put(const char *path, const void *p, size_t n);
int io_obj_get_all(const char *path, kiln_buf *out);
int io_obj_copy(const char *from, const char *to);
int io_obj_delete(const char *path);
/* Lists every object under path + "/" (recursive) sorted by path, or the
 * object path itself when it exists (then *is_file). */
int io_obj_list_path(const char *path, bool *is_file, io_obj_list *out);

/* Whether name matches the glob pattern pat (fnmatch, a leading '.' only
 * explicitly). */
bool io_obj_glob_match(const char *pat, const char *name);

/* ---- Object-store committer (objcommit.c) -------------------------------------- */

typedef struct io_objc_job io_objc_job;
typedef struct io_objc_task io_objc_task;
/* Begins (or, attach, joins another process's) output job over URL dir;
 * mode IO_OUTPUT_*: CREATE fails with KILN_EEXIST when objects exist. */
int io_objc_job_begin(const char *dir, int mode, bool attach, io_objc_job **out);
int io_objc_task_open(io_objc_job *job, int partition, int attempt, const char *suffix,
                      io_objc_task **out);
int io_objc_task_write(io_objc_task *t, const void *p, size_t n);
int io_objc_task_commit(io_objc_task *t);
void io_objc_task_abort(io_objc_task *t);
int io_objc_job_commit(io_objc_job *job, int nparts);
void io_objc_job_abort(io_objc_job *job);
void io_objc_job_detach(io_objc_job *job);
/* A task writing several files (commit.c's io_task_output_open_in): each
 * file at attempt-P-A/rel, closed into the attempt's record; the attempt
 * commits them all in one manifest or aborts them all. */
int io_objc_task_open_in(io_objc_job *job, int partition, int attempt, const char *rel, bool fresh,
                         io_objc_task **out);
int io_objc_task_close(io_objc_task *t);
int io_objc_attempt_commit(io_objc_job *job, int partition, int attempt);
void io_objc_attempt_abort(io_objc_job *job, int partition, int attempt);
/* Overwrite of a partitioned output: only the old objects under prefix
 * (a static partition "k=v", or NULL) and under the depth-component
 * prefixes of the files written (depth > 0) are deleted. */
int io_objc_job_replace(io_objc_job *job, int depth, const char *prefix);

#pragma GCC visibility pop

#endif
