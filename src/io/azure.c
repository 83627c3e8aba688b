/*
 * io/azure.c - the Azure Blob backend of the object stores (store_int.h,
 * io_azure_ops) for abfs[s]://container@account.dfs.core.windows.net/path
 * and wasb[s]://container@account.blob.core.windows.net/path: both go to the
 * Blob service (HEAD, ranged GET, List Blobs with markers, Put Blob, Put
 * Block + Put Block List for big objects, Copy Blob, Delete Blob), every
 * request authorized with Shared Key (HMAC-SHA256 of the canonical string,
 * our own code over libcrypto).
 *
 * Settings (kiln.hadoop. + Hadoop's names): fs.azure.account.key.<host>
 * (host as in the URL: account.dfs.core.windows.net or
 * account.blob.core.windows.net; also fs.azure.account.key.<account>),
 * fs.azure.endpoint (the Blob endpoint, as Azurite's
 * http://127.0.0.1:10000/devstoreaccount1; default
 * https://<account>.blob.core.windows.net), fs.azure.io.retry.max.retries,
 * fs.azure.io.retry.backoff.interval, fs.azure.write.request.size,
 * fs.azure.list.max.results. Without a key requests go anonymous (public
 * containers).
 */
#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/store_int.h"

#define AZ_VERSION "2021-08-06"

typedef struct az_conf {
    char *base;  /* endpoint URL without a trailing '/' */
    char *path0; /* the endpoint's path ("" or "/devstoreaccount1") */
    uint8_t key[128];
    long keylen; /* 0: anonymous */
    io_http_policy policy;
} az_conf;

/* The host of u's URL ("account.dfs.core.windows.net"). */
static void url_host(const io_url *u, char *buf, size_t cap)
{
    const char *at = strchr(u->root, '@');
    snprintf(buf, cap, "%s", at ? at + 1 : "");
}

static int conf_load(const io_url *u, az_conf *c)
{
    memset(c, 0, sizeof *c);
    char host[512], name[700];
    url_host(u, host, sizeof host);
    snprintf(name, sizeof name, "fs.azure.account.key.%s", host);
    char *key = io_setting(name);
    if (!key) {
        snprintf(name, sizeof name, "fs.azure.account.key.%s.blob.core.windows.net", u->account);
        key = io_setting(name);
    }
    if (!key) {
        snprintf(name, sizeof name, "fs.azure.account.key.%s.dfs.core.windows.net", u->account);
        key = io_setting(name);
    }
    if (!key) {
        snprintf(name, sizeof name, "fs.azure.account.key.%s", u->account);
        key = io_setting(name);
    }
    if (key) {
        c->keylen = io_unbase64(key, c->key, sizeof c->key);
        explicit_bzero(key, strlen(key));
        free(key);
        if (c->keylen <= 0)
            return kiln_set_error(KILN_ECONF,
                                  "the account key of %s (kiln.hadoop.%s) is not base64", host,
                                  name);
    }
    char *ep = io_setting("fs.azure.endpoint");
    if (!ep && asprintf(&ep, "https://%s.blob.core.windows.net", u->account) < 0) ep = NULL;
    if (!ep) return kiln_set_error(KILN_ENOMEM, "out of memory");
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/') ep[--n] = '\0';
    c->base = ep;
    const char *sep = strstr(ep, "://");
    const char *path = sep ? strchr(sep + 3, '/') : NULL;
    c->path0 = strdup(path ? path : "");
    if (!c->path0) return kiln_set_error(KILN_ENOMEM, "out of memory");
    c->policy.attempts = 1 + (int)io_setting_int("fs.azure.io.retry.max.retries", 4);
    if (c->policy.attempts < 1) c->policy.attempts = 1;
    c->policy.base_ms = io_setting_ms("fs.azure.io.retry.backoff.interval", 500);
    c->policy.max_ms = io_setting_ms("fs.azure.io.retry.max.backoff.interval", 20000);
    if (c->policy.max_ms < c->policy.base_ms) c->policy.max_ms = c->policy.base_ms;
    c->policy.connect_ms = io_setting_ms("fs.azure.connection.establish.timeout", 5000);
    c->policy.stall_ms = io_setting_ms("fs.azure.connection.timeout", 200000);
    return KILN_OK;
}

static void conf_release(az_conf *c)
{
    free(c->base);
    free(c->path0);
    explicit_bzero(c->key, sizeof c->key);
}

typedef struct az_sign {
    const az_conf *c;
    const io_url *u;
    const char *method;
    const char *uri;    /* encoded path as sent */
    const io_qparam *q; /* sorted by name */
    int nq;
    size_t body_len;
} az_sign;

static int sign_shared_key(void *arg, const io_http_req *r, struct curl_slist **h)
{
    az_sign *s = arg;
    char date[64], line[1024];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(line, sizeof line, "x-ms-date: %s", date);
    *h = curl_slist_append(*h, line);
    *h = curl_slist_append(*h, "x-ms-version: " AZ_VERSION);
    if (s->c->keylen == 0) return KILN_OK;
    io_hdr hs[24];
    int n = 0;
    snprintf(hs[n].name, sizeof hs[0].name, "x-ms-date");
    hs[n++].value = date;
    snprintf(hs[n].name, sizeof hs[0].name, "x-ms-version");
    hs[n++].value = AZ_VERSION;
    n = io_sign_headers(r, "x-ms-", hs, n, 24);
    char range[80] = "", clen[32] = "";
    if (r->range_len > 0)
        snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)r->range_off,
                 (long long)(r->range_off + (int64_t)r->range_len - 1));
    if (s->body_len > 0) snprintf(clen, sizeof clen, "%zu", s->body_len);
    kiln_buf sts;
    kiln_buf_init(&sts);
    int rc = buf_appendf(&sts, "%s\n\n\n%s\n\n\n\n\n\n\n\n%s\n", s->method, clen, range);
    for (int i = 0; i < n && !rc; i++) rc = buf_appendf(&sts, "%s:%s\n", hs[i].name, hs[i].value);
    if (!rc) rc = buf_appendf(&sts, "/%s%s", s->u->account, s->uri);
    for (int i = 0; i < s->nq && !rc; i++)
        rc = buf_appendf(&sts, "\n%s:%s", s->q[i].name, s->q[i].value);
    if (!rc) {
        uint8_t mac[32];
        io_hmac_sha256(s->c->key, (size_t)s->c->keylen, sts.data, sts.len, mac);
        char b64[64];
        io_base64(mac, 32, b64);
        snprintf(line, sizeof line, "Authorization: SharedKey %s:%s", s->u->account, b64);
        *h = curl_slist_append(*h, line);
        explicit_bzero(line, sizeof line);
    }
    kiln_buf_release(&sts);
    return rc ? kiln_set_error(KILN_ENOMEM, "out of memory signing a request") : KILN_OK;
}

/* Appends /container[/blob] (encoded) to b. */
static int blob_path(kiln_buf *b, const io_url *u, const char *key)
{
    int rc = buf_appendf(b, "/");
    if (!rc) rc = io_uri_encode(b, u->bucket, false);
    if (!rc && key) rc = buf_appendf(b, "/");
    if (!rc && key) rc = io_uri_encode(b, key, true);
    return rc;
}

/* One Blob service request on u's container (a->key NULL) or a->key
 * (io_call_fn). */
static int az_call(const io_url *u, const io_call *a, io_http_req *r)
{
    memset(r, 0, sizeof *r);
    kiln_buf_init(&r->hdrs);
    az_conf c;
    int rc = conf_load(u, &c);
    if (rc) {
        conf_release(&c);
        return rc;
    }
    kiln_buf uri, url, shown;
    kiln_buf_init(&uri);
    kiln_buf_init(&url);
    kiln_buf_init(&shown);
    rc = buf_appendf(&uri, "%s", c.path0);
    if (!rc) rc = blob_path(&uri, u, a->key);
    if (!rc) rc = kiln_buf_append(&uri, "", 1);
    if (!rc) rc = buf_appendf(&url, "%s", c.base);
    if (!rc) rc = blob_path(&url, u, a->key);
    for (int i = 0; i < a->nq && !rc; i++) {
        rc = buf_appendf(&url, "%s%s=", i ? "&" : "?", a->q[i].name);
        if (!rc) rc = io_uri_encode(&url, a->q[i].value, false);
    }
    if (!rc) rc = kiln_buf_append(&url, "", 1);
    if (!rc) rc = buf_appendf(&shown, "%s/%s", u->root, a->key ? a->key : "");
    if (!rc) rc = kiln_buf_append(&shown, "", 1);
    if (rc) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    az_sign s = {&c, u, a->method, (char *)uri.data, a->q, a->nq, a->body_len};
    if (!rc) {
        rc = io_http_call(r, a, (char *)url.data, (char *)shown.data, sign_shared_key, &s,
                          &c.policy);
    }
    kiln_buf_release(&uri);
    kiln_buf_release(&url);
    kiln_buf_release(&shown);
    conf_release(&c);
    return rc;
}

static int az_stat(const io_url *u, int64_t *size)
{
    return io_call_stat(az_call, u, size);
}

static int az_get(const io_url *u, int64_t off, size_t n, void *dst)
{
    return io_call_get(az_call, u, off, n, dst);
}

static int az_list(const io_url *u, const char *prefix, io_obj_list *out)
{
    char *marker = NULL, page[24];
    int64_t max = io_setting_int("fs.azure.list.max.results", 5000);
    if (max < 1 || max > 5000) max = 5000;
    snprintf(page, sizeof page, "%lld", (long long)max);
    int rc = KILN_OK;
    for (;;) {
        io_qparam q[5];
        int nq = 0;
        q[nq++] = (io_qparam){"comp", "list"};
        if (marker) q[nq++] = (io_qparam){"marker", marker};
        q[nq++] = (io_qparam){"maxresults", page};
        q[nq++] = (io_qparam){"prefix", prefix};
        q[nq++] = (io_qparam){"restype", "container"};
        kiln_buf body;
        kiln_buf_init(&body);
        io_http_req r;
        io_call a = {.method = "GET", .key = NULL, .q = q, .nq = nq, .out = &body};
        rc = az_call(u, &a, &r);
        if (!rc && r.status / 100 != 2) {
            rc = io_http_fail_key(&r, u->root, prefix, "cannot list");
            if (rc == KILN_ENOENT)
                kiln_set_error(rc, "cannot list %s/%s: no such container", u->root, prefix);
        }
        io_http_req_release(&r);
        free(marker);
        marker = NULL;
        if (!rc) {
            const char *x = (const char *)body.data, *s;
            size_t len = body.len, pos = 0, n;
            while (!rc && io_xml_span(x, len, "Blob", &pos, &s, &n)) {
                size_t p2 = 0;
                char *name = io_xml_next(s, n, "Name", &p2);
                p2 = 0;
                char *size = io_xml_next(s, n, "Content-Length", &p2);
                if (name && size) rc = io_obj_list_add(out, u, name, strtoll(size, NULL, 10));
                free(name);
                free(size);
            }
            pos = 0;
            marker = io_xml_next(x, len, "NextMarker", &pos);
            if (marker && !*marker) {
                free(marker);
                marker = NULL;
            }
        }
        kiln_buf_release(&body);
        if (rc || !marker) break;
    }
    free(marker);
    return rc;
}

static int az_put(const io_url *u, const void *p, size_t n)
{
    static const char *const hdrs[] = {"x-ms-blob-type: BlockBlob", NULL};
    return io_call_simple(az_call, u, "PUT", hdrs, p, n, "cannot write");
}

static int az_upload_begin(const io_url *u, char **id)
{
    /* Block ids: base64 of "<16 hex>-<6-digit part>", all the same length. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rng g;
    rng_seed(&g, (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)id);
    if (asprintf(id, "%016llx", (unsigned long long)rng_next(&g)) < 0) {
        *id = NULL;
        return kiln_set_error(KILN_ENOMEM, "out of memory writing %s", u->shown);
    }
    return KILN_OK;
}

static void block_id(const char *id, int part, char out[64])
{
    char raw[40];
    int n = snprintf(raw, sizeof raw, "%s-%06d", id, part);
    io_base64(raw, (size_t)n, out);
}

static int az_upload_part(const io_url *u, const char *id, int part, const void *p, size_t n,
                          char **etag)
{
    char bid[64];
    block_id(id, part, bid);
    io_qparam q[2] = {{"blockid", bid}, {"comp", "block"}};
    io_http_req r;
    kiln_buf body;
    kiln_buf_init(&body);
    io_call a = {
        .method = "PUT", .key = u->key, .q = q, .nq = 2, .body = p, .body_len = n, .out = &body};
    int rc = az_call(u, &a, &r);
    if (!rc && r.status / 100 != 2)
        rc = io_http_fail_key(&r, u->root, u->key, "cannot upload a block of");
    if (!rc && !(*etag = strdup(bid))) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    io_http_req_release(&r);
    kiln_buf_release(&body);
    return rc;
}

static int az_upload_end(const io_url *u, const char *id, char *const *etags, int nparts)
{
    (void)id;
    kiln_buf xml, body;
    kiln_buf_init(&xml);
    kiln_buf_init(&body);
    int rc = buf_appendf(&xml, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
    for (int i = 0; i < nparts && !rc; i++) rc = buf_appendf(&xml, "<Latest>%s</Latest>", etags[i]);
    if (!rc) rc = buf_appendf(&xml, "</BlockList>");
    io_qparam q[1] = {{"comp", "blocklist"}};
    io_http_req r;
    memset(&r, 0, sizeof r);
    io_call a = {.method = "PUT",
                 .key = u->key,
                 .q = q,
                 .nq = 1,
                 .body = xml.data,
                 .body_len = xml.len,
                 .out = &body};
    if (!rc) rc = az_call(u, &a, &r);
    if (!rc && r.status / 100 != 2)
        rc = io_http_fail_key(&r, u->root, u->key, "cannot complete the upload of");
    io_http_req_release(&r);
    kiln_buf_release(&xml);
    kiln_buf_release(&body);
    return rc;
}

static void az_upload_abort(const io_url *u, const char *id)
{
    /* Uncommitted blocks are dropped by the service (after a week). */
    (void)u;
    (void)id;
}

static int az_copy(const io_url *from, const io_url *to)
{
    az_conf c;
    int rc = conf_load(from, &c);
    kiln_buf src, body;
    kiln_buf_init(&src);
    kiln_buf_init(&body);
    if (!rc) rc = buf_appendf(&src, "x-ms-copy-source: %s", c.base);
    if (!rc) rc = blob_path(&src, from, from->key);
    if (!rc) rc = kiln_buf_append(&src, "", 1);
    conf_release(&c);
    const char *hdrs[] = {(char *)src.data, NULL};
    io_http_req r;
    memset(&r, 0, sizeof r);
    io_call a = {.method = "PUT", .key = to->key, .headers = hdrs, .out = &body};
    if (!rc) rc = az_call(to, &a, &r);
    if (!rc && r.status / 100 != 2) rc = io_http_fail_key(&r, to->root, to->key, "cannot copy to");
    char st[32] = "success";
    if (!rc) io_http_header(&r, "x-ms-copy-status", st, sizeof st);
    io_http_req_release(&r);
    /* A copy the service runs in the background: wait for its end. */
    for (int i = 0; !rc && strcmp(st, "pending") == 0 && i < 6000; i++) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
        io_call h = {.method = "HEAD", .key = to->key};
        rc = az_call(to, &h, &r);
        if (!rc && r.status / 100 != 2)
            rc = io_http_fail_key(&r, to->root, to->key, "cannot copy to");
        if (!rc && !io_http_header(&r, "x-ms-copy-status", st, sizeof st)) strcpy(st, "success");
        io_http_req_release(&r);
    }
    if (!rc && strcmp(st, "success") != 0)
        rc = kiln_set_error(KILN_EIO, "cannot copy %s to %s: copy status %s", from->shown,
                            to->shown, st);
    kiln_buf_release(&src);
    kiln_buf_release(&body);
    return rc;
}

static int az_del(const io_url *u)
{
    return io_call_simple(az_call, u, "DELETE", NULL, NULL, 0, "cannot delete");
}

int io_azure_create_container(const char *url)
{
    io_url u;
    int rc = io_url_parse(url, &u);
    if (rc) return rc;
    io_qparam q[1] = {{"restype", "container"}};
    io_http_req r;
    kiln_buf body;
    kiln_buf_init(&body);
    io_call a = {.method = "PUT", .key = NULL, .q = q, .nq = 1, .out = &body};
    rc = az_call(&u, &a, &r);
    if (!rc && r.status / 100 != 2 && r.status != 409) /* 409: it exists */
        rc = io_http_fail_key(&r, u.root, "", "cannot create the container of");
    io_http_req_release(&r);
    kiln_buf_release(&body);
    io_url_release(&u);
    return rc;
}

const io_store_ops io_azure_ops = {
    .name = "azure",
    .stat = az_stat,
    .get = az_get,
    .list = az_list,
    .put = az_put,
    .upload_begin = az_upload_begin,
    .upload_part = az_upload_part,
    .upload_end = az_upload_end,
    .upload_abort = az_upload_abort,
    .copy = az_copy,
    .del = az_del,
};
