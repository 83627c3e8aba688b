/*
 * io/https.c - the read-only http(s):// backend of the object stores
 * (store_int.h, io_https_ops): HEAD for the size (Content-Length) and
 * ranged GETs; a URL is one file (no listing), writes are refused. Retry
 * settings: kiln.hadoop.fs.http.attempts.maximum, fs.http.retry.interval,
 * fs.http.connection.timeout.
 */
#include <stdlib.h>
#include <string.h>

#include "io/store_int.h"

static void policy(io_http_policy *p)
{
    p->attempts = (int)io_setting_int("fs.http.attempts.maximum", 5);
    if (p->attempts < 1) p->attempts = 1;
    p->base_ms = io_setting_ms("fs.http.retry.interval", 500);
    p->max_ms = p->base_ms > 20000 ? p->base_ms : 20000;
    p->connect_ms = io_setting_ms("fs.http.connection.establish.timeout", 5000);
    p->stall_ms = io_setting_ms("fs.http.connection.timeout", 200000);
}

/* One request on u's URL (io_call_fn): no signing, the key is the URL. */
static int https_call(const io_url *u, const io_call *a, io_http_req *r)
{
    memset(r, 0, sizeof *r);
    kiln_buf_init(&r->hdrs);
    io_http_policy p;
    policy(&p);
    return io_http_call(r, a, u->http, u->shown, NULL, NULL, &p);
}

static int https_stat(const io_url *u, int64_t *size)
{
    int rc = io_call_stat(https_call, u, size);
    if (rc == KILN_ENOENT) kiln_set_error(KILN_ENOENT, "Input path does not exist: %s", u->shown);
    return rc;
}

static int https_get(const io_url *u, int64_t off, size_t n, void *dst)
{
    return io_call_get(https_call, u, off, n, dst);
}

static int read_only(const io_url *u)
{
    return kiln_set_error(KILN_EINVAL, "cannot write %s: http(s) URLs are read-only", u->shown);
}

static int https_list(const io_url *u, const char *prefix, io_obj_list *out)
{
    (void)prefix;
    (void)out;
    return kiln_set_error(KILN_ENOENT, "Input path does not exist: %s", u->shown);
}

static int https_put(const io_url *u, const void *p, size_t n)
{
    (void)p;
    (void)n;
    return read_only(u);
}

static int https_begin(const io_url *u, char **id)
{
    (void)id;
    return read_only(u);
}

static int https_part(const io_url *u, const char *id, int part, const void *p, size_t n,
                      char **etag)
{
    (void)id, (void)part, (void)p, (void)n, (void)etag;
    return read_only(u);
}

static int https_end(const io_url *u, const char *id, char *const *etags, int nparts)
{
    (void)id, (void)etags, (void)nparts;
    return read_only(u);
}

static void https_abort(const io_url *u, const char *id)
{
    (void)u, (void)id;
}

static int https_copy(const io_url *from, const io_url *to)
{
    (void)from;
    return read_only(to);
}

const io_store_ops io_https_ops = {
    .name = "https",
    .stat = https_stat,
    .get = https_get,
    .list = https_list,
    .put = https_put,
    .upload_begin = https_begin,
    .upload_part = https_part,
    .upload_end = https_end,
    .upload_abort = https_abort,
    .copy = https_copy,
    .del = read_only,
};
