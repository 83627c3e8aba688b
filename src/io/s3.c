/*
 * io/s3.c - the S3 backend of the object stores (store_int.h, io_s3_ops):
 * HEAD for sizes, ranged GETs, ListObjectsV2 with continuation tokens, PUT,
 * multipart uploads, CopyObject and DeleteObject, every request signed with
 * AWS signature version 4 (our own code over libcrypto's HMAC-SHA256, so the
 * canonical query, headers and payload hash are exactly what we send).
 *
 * Settings (kiln.hadoop. + Hadoop's S3A names): fs.s3a.access.key,
 * secret.key, session.token, endpoint, endpoint.region (or region),
 * path.style.access, connection.ssl.enabled, attempts.maximum,
 * retry.interval, retry.limit.interval, connection.establish.timeout,
 * connection.timeout, paging.maximum; else AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION,
 * AWS_ENDPOINT_URL(_S3), AWS_PROFILE and ~/.aws/credentials. With no
 * credentials at all requests go unsigned (public buckets).
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/store_int.h"

typedef struct s3_conf {
    char *scheme;   /* "https" or "http" */
    char *hostport; /* endpoint host[:port] */
    bool path_style;
    char *region;
    char *akid, *secret, *token; /* NULL: unsigned */
    io_http_policy policy;
} s3_conf;

static void conf_release(s3_conf *c)
{
    free(c->scheme);
    free(c->hostport);
    free(c->region);
    free(c->akid);
    if (c->secret) explicit_bzero(c->secret, strlen(c->secret));
    free(c->secret);
    free(c->token);
}

static char *env_dup(const char *a, const char *b)
{
    const char *v = getenv(a);
    if ((!v || !*v) && b) v = getenv(b);
    return v && *v ? strdup(v) : NULL;
}

/* Reads aws_access_key_id / aws_secret_access_key / aws_session_token of
 * the profile from ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE). */
static void read_profile(s3_conf *c)
{
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE"), *home = getenv("HOME");
    char path[4096];
    if (file && *file) snprintf(path, sizeof path, "%s", file);
    else if (home) snprintf(path, sizeof path, "%s/.aws/credentials", home);
    else return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    const char *profile = getenv("AWS_PROFILE");
    if (!profile || !*profile) profile = "default";
    char line[1024];
    bool in = false;
    while (fgets(line, sizeof line, f)) {
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
        if (*s == '[') {
            in = n >= 2 && s[n - 1] == ']' && strlen(profile) == n - 2 &&
                 strncmp(s + 1, profile, n - 2) == 0;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq) continue;
        char *k = s, *v = eq + 1;
        char *ke = eq;
        while (ke > k && isspace((unsigned char)ke[-1])) ke--;
        *ke = '\0';
        while (isspace((unsigned char)*v)) v++;
        char **dst = strcmp(k, "aws_access_key_id") == 0       ? &c->akid
                     : strcmp(k, "aws_secret_access_key") == 0 ? &c->secret
                     : strcmp(k, "aws_session_token") == 0     ? &c->token
                                                               : NULL;
        if (dst && !*dst) *dst = strdup(v);
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
}

static bool is_ip_or_localhost(const char *hostport)
{
    if (strncmp(hostport, "localhost", 9) == 0 || hostport[0] == '[') return true;
    for (const char *p = hostport; *p && *p != ':'; p++)
        if (!isdigit((unsigned char)*p) && *p != '.') return false;
    return true;
}

static int conf_load(s3_conf *c)
{
    memset(c, 0, sizeof *c);
    c->akid = io_setting("fs.s3a.access.key");
    c->secret = io_setting("fs.s3a.secret.key");
    c->token = io_setting("fs.s3a.session.token");
    if (!c->akid || !c->secret) {
        free(c->akid);
        free(c->secret);
        free(c->token);
        c->akid = env_dup("AWS_ACCESS_KEY_ID", NULL);
        c->secret = env_dup("AWS_SECRET_ACCESS_KEY", NULL);
        c->token = env_dup("AWS_SESSION_TOKEN", NULL);
    }
    if (!c->akid || !c->secret) {
        free(c->akid);
        free(c->secret);
        free(c->token);
        c->akid = c->secret = c->token = NULL;
        read_profile(c);
    }
    if (!c->akid || !c->secret) {
        free(c->akid);
        free(c->secret);
        free(c->token);
        c->akid = c->secret = c->token = NULL;
    }
    c->region = io_setting("fs.s3a.endpoint.region");
    if (!c->region) c->region = io_setting("fs.s3a.region");
    if (!c->region) c->region = env_dup("AWS_REGION", "AWS_DEFAULT_REGION");
    if (!c->region) c->region = strdup("us-east-1");
    bool ssl = io_setting_bool("fs.s3a.connection.ssl.enabled", true);
    char *ep = io_setting("fs.s3a.endpoint");
    if (!ep) ep = env_dup("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    if (!ep && c->region && asprintf(&ep, "s3.%s.amazonaws.com", c->region) < 0) ep = NULL;
    if (!ep || !c->region) {
        free(ep);
        conf_release(c);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    const char *sep = strstr(ep, "://");
    c->scheme = sep ? strndup(ep, (size_t)(sep - ep)) : strdup(ssl ? "https" : "http");
    const char *host = sep ? sep + 3 : ep;
    c->hostport = strndup(host, strcspn(host, "/"));
    free(ep);
    if (!c->scheme || !c->hostport) {
        conf_release(c);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    c->path_style = io_setting_bool("fs.s3a.path.style.access", is_ip_or_localhost(c->hostport));
    c->policy.attempts = (int)io_setting_int("fs.s3a.attempts.maximum", 5);
    if (c->policy.attempts < 1) c->policy.attempts = 1;
    c->policy.base_ms = io_setting_ms("fs.s3a.retry.interval", 500);
    c->policy.max_ms = io_setting_ms("fs.s3a.retry.limit.interval", 20000);
    c->policy.connect_ms = io_setting_ms("fs.s3a.connection.establish.timeout", 5000);
    c->policy.stall_ms = io_setting_ms("fs.s3a.connection.timeout", 200000);
    if (c->policy.max_ms < c->policy.base_ms) c->policy.max_ms = c->policy.base_ms;
    return KILN_OK;
}

/* What one signature needs. */
typedef struct s3_sign {
    const s3_conf *c;
    const char *method;
    const char *host;
    const char *uri;   /* canonical URI (encoded) */
    const char *query; /* canonical query (sorted, encoded) */
    char payload[65];
} s3_sign;

static int sign_v4(void *arg, const io_http_req *r, struct curl_slist **h)
{
    s3_sign *s = arg;
    const s3_conf *c = s->c;
    char amzdate[20], date[9];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
    memcpy(date, amzdate, 8);
    date[8] = '\0';
    char line[8192];
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", s->payload);
    *h = curl_slist_append(*h, line);
    if (!c->akid) return KILN_OK;
    snprintf(line, sizeof line, "x-amz-date: %s", amzdate);
    *h = curl_slist_append(*h, line);
    if (c->token) {
        snprintf(line, sizeof line, "x-amz-security-token: %s", c->token);
        *h = curl_slist_append(*h, line);
    }
    /* Signed: host and every x-amz-* header, sorted by name. */
    io_hdr hs[24];
    int n = 0;
    snprintf(hs[n].name, sizeof hs[n].name, "host");
    hs[n++].value = s->host;
    hs[n].value = amzdate;
    snprintf(hs[n++].name, sizeof hs[0].name, "x-amz-date");
    hs[n].value = s->payload;
    snprintf(hs[n++].name, sizeof hs[0].name, "x-amz-content-sha256");
    if (c->token) {
        hs[n].value = c->token;
        snprintf(hs[n++].name, sizeof hs[0].name, "x-amz-security-token");
    }
    n = io_sign_headers(r, "x-amz-", hs, n, 24);
    kiln_buf creq, sts;
    kiln_buf_init(&creq);
    kiln_buf_init(&sts);
    int rc = buf_appendf(&creq, "%s\n%s\n%s\n", s->method, s->uri, s->query);
    for (int i = 0; i < n && !rc; i++) rc = buf_appendf(&creq, "%s:%s\n", hs[i].name, hs[i].value);
    if (!rc) rc = buf_appendf(&creq, "\n");
    for (int i = 0; i < n && !rc; i++) rc = buf_appendf(&creq, "%s%s", i ? ";" : "", hs[i].name);
    if (!rc) rc = buf_appendf(&creq, "\n%s", s->payload);
    char creq_hash[65];
    if (!rc) {
        io_sha256_hex(creq.data, creq.len, creq_hash);
        rc = buf_appendf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", amzdate, date,
                         c->region, creq_hash);
    }
    if (!rc) {
        uint8_t k[32];
        char kdate[512];
        int kl = snprintf(kdate, sizeof kdate, "AWS4%s", c->secret);
        io_hmac_sha256(kdate, (size_t)kl, date, strlen(date), k);
        explicit_bzero(kdate, sizeof kdate);
        io_hmac_sha256(k, 32, c->region, strlen(c->region), k);
        io_hmac_sha256(k, 32, "s3", 2, k);
        io_hmac_sha256(k, 32, "aws4_request", 12, k);
        uint8_t sig[32];
        io_hmac_sha256(k, 32, sts.data, sts.len, sig);
        explicit_bzero(k, sizeof k);
        int w = snprintf(line, sizeof line,
                         "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request, "
                         "SignedHeaders=",
                         c->akid, date, c->region);
        for (int i = 0; i < n && w < (int)sizeof line - 200; i++)
            w += snprintf(line + w, sizeof line - (size_t)w, "%s%s", i ? ";" : "", hs[i].name);
        w += snprintf(line + w, sizeof line - (size_t)w, ", Signature=");
        for (int i = 0; i < 32 && w < (int)sizeof line - 3; i++)
            w += snprintf(line + w, sizeof line - (size_t)w, "%02x", sig[i]);
        *h = curl_slist_append(*h, line);
        explicit_bzero(line, sizeof line);
    }
    kiln_buf_release(&creq);
    kiln_buf_release(&sts);
    return rc ? kiln_set_error(KILN_ENOMEM, "out of memory signing a request") : KILN_OK;
}

/* One S3 request on a->key of u's bucket (io_call_fn). */
static int s3_call(const io_url *u, const io_call *a, io_http_req *r)
{
    const char *query = a->query ? a->query : "";
    const char *key = a->key ? a->key : "";
    memset(r, 0, sizeof *r);
    kiln_buf_init(&r->hdrs);
    s3_conf c;
    int rc = conf_load(&c);
    if (rc) return rc;
    kiln_buf path, url, host, shown;
    kiln_buf_init(&path);
    kiln_buf_init(&url);
    kiln_buf_init(&host);
    kiln_buf_init(&shown);
    if (c.path_style) {
        rc = buf_appendf(&host, "%s", c.hostport);
        if (!rc) rc = buf_appendf(&path, "/");
        if (!rc) rc = io_uri_encode(&path, u->bucket, false);
        if (!rc) rc = buf_appendf(&path, "/");
    } else {
        rc = buf_appendf(&host, "%s.%s", u->bucket, c.hostport);
        if (!rc) rc = buf_appendf(&path, "/");
    }
    if (!rc) rc = io_uri_encode(&path, key, true);
    if (!rc) rc = kiln_buf_append(&path, "", 1);
    if (!rc) rc = kiln_buf_append(&host, "", 1);
    if (!rc)
        rc = buf_appendf(&url, "%s://%s%s%s%s", c.scheme, (char *)host.data, (char *)path.data,
                         query[0] ? "?" : "", query);
    if (!rc) rc = kiln_buf_append(&url, "", 1);
    if (!rc) rc = buf_appendf(&shown, "%s/%s", u->root, key);
    if (!rc) rc = kiln_buf_append(&shown, "", 1);
    if (rc) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    s3_sign s = {&c, a->method, (char *)host.data, (char *)path.data, query, ""};
    if (!rc) {
        if (a->body_len > 0 || strcmp(a->method, "PUT") == 0 || strcmp(a->method, "POST") == 0)
            io_sha256_hex(a->body ? a->body : "", a->body_len, s.payload);
        else io_sha256_hex("", 0, s.payload);
        rc = io_http_call(r, a, (char *)url.data, (char *)shown.data, sign_v4, &s, &c.policy);
    }
    kiln_buf_release(&path);
    kiln_buf_release(&url);
    kiln_buf_release(&host);
    kiln_buf_release(&shown);
    conf_release(&c);
    return rc;
}

/* Appends "&name=value" (encoded) to q; the caller adds them in name order. */
static int q_add(kiln_buf *q, const char *name, const char *value)
{
    int rc = buf_appendf(q, "%s%s=", q->len ? "&" : "", name);
    if (!rc && value) rc = io_uri_encode(q, value, false);
    return rc;
}

static int s3_list(const io_url *u, const char *prefix, io_obj_list *out)
{
    char *token = NULL;
    int64_t page = io_setting_int("fs.s3a.paging.maximum", 1000);
    if (page < 1 || page > 1000) page = 1000;
    char pagestr[24];
    snprintf(pagestr, sizeof pagestr, "%lld", (long long)page);
    bool v1 = io_setting_int("fs.s3a.list.version", 2) == 1;
    char *last = NULL;
    int rc = KILN_OK;
    for (;;) {
        kiln_buf q, body;
        kiln_buf_init(&q);
        kiln_buf_init(&body);
        /* Version 1 pages with a marker (the last key seen), version 2 with
         * continuation tokens (Hadoop's fs.s3a.list.version). */
        if (token) rc = q_add(&q, v1 ? "marker" : "continuation-token", token);
        if (!rc && !v1) rc = q_add(&q, "list-type", "2");
        if (!rc) rc = q_add(&q, "max-keys", pagestr);
        if (!rc) rc = q_add(&q, "prefix", prefix);
        if (!rc) rc = kiln_buf_append(&q, "", 1);
        io_http_req r;
        memset(&r, 0, sizeof r);
        io_call a = {.method = "GET", .key = "", .query = (char *)q.data, .out = &body};
        if (!rc) rc = s3_call(u, &a, &r);
        if (!rc && r.status / 100 != 2) {
            rc = io_http_fail_key(&r, u->root, prefix, "cannot list");
            if (rc == KILN_ENOENT)
                rc = kiln_set_error(KILN_ENOENT, "cannot list %s/%s: no such bucket", u->root,
                                    prefix);
        }
        io_http_req_release(&r);
        free(token);
        token = NULL;
        bool more = false;
        if (!rc) {
            const char *x = (const char *)body.data, *s;
            size_t len = body.len, pos = 0, n;
            while (!rc && io_xml_span(x, len, "Contents", &pos, &s, &n)) {
                size_t p2 = 0;
                char *key = io_xml_next(s, n, "Key", &p2);
                p2 = 0;
                char *size = io_xml_next(s, n, "Size", &p2);
                if (key && size) rc = io_obj_list_add(out, u, key, strtoll(size, NULL, 10));
                if (key) {
                    free(last);
                    last = key;
                    key = NULL;
                }
                free(key);
                free(size);
            }
            pos = 0;
            char *t = io_xml_next(x, len, "IsTruncated", &pos);
            more = t && strcmp(t, "true") == 0;
            free(t);
            pos = 0;
            if (more)
                token = io_xml_next(x, len, v1 ? "NextMarker" : "NextContinuationToken", &pos);
            if (more && v1 && !token && last) token = strdup(last);
            if (more && !token)
                rc = kiln_set_error(KILN_EIO,
                                    "cannot list %s/%s: truncated listing without a "
                                    "continuation token",
                                    u->root, prefix);
        }
        kiln_buf_release(&q);
        kiln_buf_release(&body);
        if (rc || !more) break;
    }
    free(token);
    free(last);
    return rc;
}

static int s3_put(const io_url *u, const void *p, size_t n)
{
    return io_call_simple(s3_call, u, "PUT", NULL, p, n, "cannot write");
}

static int s3_upload_begin(const io_url *u, char **id)
{
    io_http_req r;
    kiln_buf body;
    kiln_buf_init(&body);
    io_call a = {.method = "POST", .key = u->key, .query = "uploads=", .out = &body};
    int rc = s3_call(u, &a, &r);
    if (!rc && r.status / 100 != 2)
        rc = io_http_fail_key(&r, u->root, u->key, "cannot start an upload of");
    size_t pos = 0;
    if (!rc && !(*id = io_xml_next((const char *)body.data, body.len, "UploadId", &pos)))
        rc = kiln_set_error(KILN_EIO, "cannot start an upload of %s: no UploadId", u->shown);
    io_http_req_release(&r);
    kiln_buf_release(&body);
    return rc;
}

static int s3_upload_part(const io_url *u, const char *id, int part, const void *p, size_t n,
                          char **etag)
{
    kiln_buf q, body;
    kiln_buf_init(&q);
    kiln_buf_init(&body);
    char num[16];
    snprintf(num, sizeof num, "%d", part);
    int rc = q_add(&q, "partNumber", num);
    if (!rc) rc = q_add(&q, "uploadId", id);
    if (!rc) rc = kiln_buf_append(&q, "", 1);
    io_http_req r;
    memset(&r, 0, sizeof r);
    io_call a = {.method = "PUT",
                 .key = u->key,
                 .query = (char *)q.data,
                 .body = p,
                 .body_len = n,
                 .out = &body};
    if (!rc) rc = s3_call(u, &a, &r);
    if (!rc && r.status / 100 != 2)
        rc = io_http_fail_key(&r, u->root, u->key, "cannot upload a part of");
    char v[256];
    if (!rc) {
        if (io_http_header(&r, "ETag", v, sizeof v)) *etag = strdup(v);
        else rc = kiln_set_error(KILN_EIO, "cannot upload a part of %s: no ETag", u->shown);
        if (!rc && !*etag) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    io_http_req_release(&r);
    kiln_buf_release(&q);
    kiln_buf_release(&body);
    return rc;
}

static int s3_upload_end(const io_url *u, const char *id, char *const *etags, int nparts)
{
    kiln_buf q, xml, body;
    kiln_buf_init(&q);
    kiln_buf_init(&xml);
    kiln_buf_init(&body);
    int rc = q_add(&q, "uploadId", id);
    if (!rc) rc = kiln_buf_append(&q, "", 1);
    if (!rc) rc = buf_appendf(&xml, "<CompleteMultipartUpload>");
    for (int i = 0; i < nparts && !rc; i++)
        rc = buf_appendf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
                         etags[i]);
    if (!rc) rc = buf_appendf(&xml, "</CompleteMultipartUpload>");
    io_http_req r;
    memset(&r, 0, sizeof r);
    io_call a = {.method = "POST",
                 .key = u->key,
                 .query = (char *)q.data,
                 .body = xml.data,
                 .body_len = xml.len,
                 .out = &body};
    if (!rc) rc = s3_call(u, &a, &r);
    /* S3 may answer 200 with an <Error> body. */
    if (!rc && (r.status / 100 != 2 || memmem(body.data, body.len, "<Error>", 7)))
        rc = io_http_fail_key(&r, u->root, u->key, "cannot complete the upload of");
    io_http_req_release(&r);
    kiln_buf_release(&q);
    kiln_buf_release(&xml);
    kiln_buf_release(&body);
    return rc;
}

static void s3_upload_abort(const io_url *u, const char *id)
{
    kiln_buf q, body;
    kiln_buf_init(&q);
    kiln_buf_init(&body);
    int rc = q_add(&q, "uploadId", id);
    if (!rc) rc = kiln_buf_append(&q, "", 1);
    io_http_req r;
    memset(&r, 0, sizeof r);
    io_call a = {.method = "DELETE", .key = u->key, .query = (char *)q.data, .out = &body};
    if (!rc) (void)s3_call(u, &a, &r);
    io_http_req_release(&r);
    kiln_buf_release(&q);
    kiln_buf_release(&body);
}

/* The key of x-amz-copy-source: percent-encoded except '=', ':', '@', ',',
 * ';' and '$', which S3 decodes to themselves either way and which servers
 * decoding the header with JavaScript's decodeURI (s3rver) only read raw
 * (a partition directory "k=v"). */
static int copy_source_key(kiln_buf *b, const char *key)
{
    int rc = KILN_OK;
    char one[2] = {0};
    for (const char *p = key; *p && !rc; p++) {
        if (strchr("=:@,;$", *p)) {
            rc = kiln_buf_append(b, p, 1);
        } else {
            one[0] = *p;
            rc = io_uri_encode(b, one, true);
        }
    }
    return rc;
}

static int s3_copy(const io_url *from, const io_url *to)
{
    kiln_buf src, body;
    kiln_buf_init(&src);
    kiln_buf_init(&body);
    int rc = buf_appendf(&src, "x-amz-copy-source: /");
    if (!rc) rc = io_uri_encode(&src, from->bucket, false);
    if (!rc) rc = buf_appendf(&src, "/");
    if (!rc) rc = copy_source_key(&src, from->key);
    if (!rc) rc = kiln_buf_append(&src, "", 1);
    const char *hdrs[] = {(char *)src.data, NULL};
    io_http_req r;
    memset(&r, 0, sizeof r);
    io_call a = {.method = "PUT", .key = to->key, .query = "", .headers = hdrs, .out = &body};
    if (!rc) rc = s3_call(to, &a, &r);
    if (!rc && (r.status / 100 != 2 || memmem(body.data, body.len, "<Error>", 7))) {
        rc = io_http_fail_key(&r, to->root, to->key, "cannot copy to");
        if (rc == KILN_ENOENT) kiln_set_error(rc, "cannot copy %s: no such object", from->shown);
    }
    io_http_req_release(&r);
    kiln_buf_release(&src);
    kiln_buf_release(&body);
    return rc;
}

static int s3_stat(const io_url *u, int64_t *size)
{
    return io_call_stat(s3_call, u, size);
}

static int s3_get(const io_url *u, int64_t off, size_t n, void *dst)
{
    return io_call_get(s3_call, u, off, n, dst);
}

static int s3_del(const io_url *u)
{
    return io_call_simple(s3_call, u, "DELETE", NULL, NULL, 0, "cannot delete");
}

const io_store_ops io_s3_ops = {
    .name = "s3",
    .stat = s3_stat,
    .get = s3_get,
    .list = s3_list,
    .put = s3_put,
    .upload_begin = s3_upload_begin,
    .upload_part = s3_upload_part,
    .upload_end = s3_upload_end,
    .upload_abort = s3_upload_abort,
    .copy = s3_copy,
    .del = s3_del,
};
