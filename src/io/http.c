/*
 * io/http.c - the HTTP client of the object stores (store_int.h): one
 * libcurl easy handle per thread (kept, so connections are reused), retries
 * with exponential backoff and jitter on connection errors, timeouts, 429
 * and 5xx, ranged GETs that resume from the byte reached when a connection
 * drops, and the small helpers the signers need (SHA-256, HMAC-SHA256,
 * base64, percent-encoding) plus a minimal XML text extractor for the
 * stores' list and error bodies. Messages name the URL without its query
 * string; no header (so no signature or key) is ever logged.
 */
#define _GNU_SOURCE

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "io/store_int.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_handle_key;

static void free_handle(void *h)
{
    curl_easy_cleanup(h);
}

static void init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&g_handle_key, free_handle);
}

/* The calling thread's handle (reset to defaults, connections kept). */
static CURL *thread_handle(void)
{
    pthread_once(&g_once, init_once);
    CURL *h = pthread_getspecific(g_handle_key);
    if (h) {
        curl_easy_reset(h);
        return h;
    }
    h = curl_easy_init();
    if (h) pthread_setspecific(g_handle_key, h);
    return h;
}

typedef struct xfer {
    io_http_req *r;
    size_t got;   /* bytes of the range stored in dst this attempt */
    bool overrun; /* the server sent more than asked */
} xfer;

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb;
    io_http_req *r = x->r;
    if (r->range_len > 0 && r->status / 100 == 2) {
        size_t room = r->range_len - x->got;
        if (n > room) {
            x->overrun = true;
            n = room;
        }
        memcpy((char *)r->dst + x->got, p, n);
        x->got += n;
        return size * nmemb;
    }
    if (r->out && kiln_buf_append(r->out, p, n) != KILN_OK) return 0;
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        x->r->hdrs.len = 0; /* a new response (after 100 Continue, or a redirect) */
        const char *sp = memchr(p, ' ', n);
        if (sp) x->r->status = strtol(sp + 1, NULL, 10);
    }
    if (kiln_buf_append(&x->r->hdrs, p, n) != KILN_OK) return 0;
    return n;
}

bool io_http_header(const io_http_req *r, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    const char *s = (const char *)r->hdrs.data, *end = s + r->hdrs.len;
    while (s && s < end) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol) eol = end;
        if ((size_t)(eol - s) > nl && s[nl] == ':' && strncasecmp(s, name, nl) == 0) {
            const char *v = s + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            const char *e = eol;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ')) e--;
            size_t len = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return true;
        }
        s = eol + 1;
    }
    return false;
}

void io_http_req_release(io_http_req *r)
{
    kiln_buf_release(&r->hdrs);
}

static bool retryable_status(long s)
{
    return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* The wait before retry number `retry` (1-based): base * 2^(retry-1),
 * capped, with "equal jitter" (half fixed, half random); Retry-After (in
 * seconds) wins when larger, within the cap's 10 times. */
static int64_t backoff_ms(const io_http_req *r, int retry)
{
    const io_http_policy *p = r->policy;
    int64_t d = p->base_ms;
    for (int i = 1; i < retry && d < p->max_ms; i++) d *= 2;
    if (d > p->max_ms) d = p->max_ms;
    static _Thread_local rng jitter;
    static _Thread_local bool seeded;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_seed(&jitter, (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&jitter);
        seeded = true;
    }
    uint64_t rnd = rng_next(&jitter);
    d = d / 2 + (int64_t)(rnd % (uint64_t)(d / 2 + 1));
    char ra[32];
    if (r->status && io_http_header(r, "Retry-After", ra, sizeof ra)) {
        char *end;
        long s = strtol(ra, &end, 10);
        if (end != ra && s >= 0) {
            int64_t want = (int64_t)s * 1000;
            if (want > 10 * p->max_ms) want = 10 * p->max_ms;
            if (want > d) d = want;
        }
    }
    return d;
}

/* One attempt. Returns the curl code; r->status set when a response came. */
static CURLcode attempt(CURL *h, io_http_req *r, xfer *x, char *errbuf, int *sign_rc)
{
    struct curl_slist *hl = NULL;
    char line[256];
    r->status = 0;
    r->hdrs.len = 0;
    x->got = 0;
    x->overrun = false;
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)r->policy->connect_ms);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    long stall = (long)((r->policy->stall_ms + 999) / 1000);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall > 0 ? stall : 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, strcmp(r->method, "GET") == 0 ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    /* Extra trust for TLS endpoints (a private CA, a test server). */
    char *ca = io_setting("fs.ssl.ca.file");
    if (ca) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        hl = curl_slist_append(hl, "Content-Type:");
    }
    hl = curl_slist_append(hl, "Expect:");
    for (const char *const *p = r->headers; p && *p; p++) hl = curl_slist_append(hl, *p);
    if (r->range_len > 0) {
        snprintf(line, sizeof line, "Range: bytes=%lld-%lld", (long long)r->range_off,
                 (long long)(r->range_off + (int64_t)r->range_len - 1));
        hl = curl_slist_append(hl, line);
    }
    *sign_rc = r->sign ? r->sign(r->sign_arg, r, &hl) : KILN_OK;
    if (*sign_rc != KILN_OK) {
        curl_slist_free_all(hl);
        free(ca);
        return CURLE_OK;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    errbuf[0] = '\0';
    CURLcode c = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
    free(ca);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    return c;
}

int io_http_do(io_http_req *r)
{
    CURL *h = thread_handle();
    if (!h) return kiln_set_error(KILN_ENOMEM, "cannot start an HTTP client for %s", r->shown);
    size_t out_len0 = r->out ? r->out->len : 0;
    int64_t off0 = r->range_off;
    size_t len0 = r->range_len;
    void *dst0 = r->dst;
    char errbuf[CURL_ERROR_SIZE];
    char last[CURL_ERROR_SIZE + 64] = "";
    int rc = KILN_EIO;
    if (r->range_len > 0)
        LOG(LOG_DEBUG, "io", "%s %s bytes %lld-%lld", r->method, r->shown, (long long)r->range_off,
            (long long)(r->range_off + (int64_t)r->range_len - 1));
    else LOG(LOG_DEBUG, "io", "%s %s", r->method, r->shown);
    for (int i = 1; i <= r->policy->attempts; i++) {
        xfer x = {r, 0, false};
        if (r->out) r->out->len = out_len0;
        int sign_rc;
        CURLcode c = attempt(h, r, &x, errbuf, &sign_rc);
        if (sign_rc != KILN_OK) {
            rc = sign_rc;
            break;
        }
        bool ranged = r->range_len > 0;
        if (c == CURLE_OK && !retryable_status(r->status)) {
            if (ranged && r->status == 206 && x.got < r->range_len) {
                snprintf(last, sizeof last, "short body: %zu of %zu bytes", x.got, r->range_len);
            } else if (ranged && r->status == 200 && r->range_off > 0) {
                snprintf(last, sizeof last, "the server ignored the byte range");
                break;
            } else {
                rc = KILN_OK;
                break;
            }
        } else if (c != CURLE_OK) {
            snprintf(last, sizeof last, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
        } else {
            snprintf(last, sizeof last, "HTTP %ld", r->status);
        }
        /* A ranged GET cut short goes on from the byte reached. */
        if (ranged && r->status == 206 && x.got > 0 && x.got < r->range_len) {
            r->range_off += (int64_t)x.got;
            r->range_len -= x.got;
            r->dst = (char *)r->dst + x.got;
        }
        if (i < r->policy->attempts) {
            int64_t ms = backoff_ms(r, i);
            LOG(LOG_INFO, "io", "%s %s: %s; retrying in %lld ms (attempt %d of %d)", r->method,
                r->shown, last, (long long)ms, i + 1, r->policy->attempts);
            sleep_ms(ms);
        }
    }
    r->range_off = off0;
    r->range_len = len0;
    r->dst = dst0;
    if (rc == KILN_EIO)
        kiln_set_error(KILN_EIO, "%s %s failed after %d attempts: %s", r->method, r->shown,
                       r->policy->attempts, last[0] ? last : "no response");
    return rc;
}

int io_http_fail(const io_http_req *r, const char *what)
{
    char code[128] = "";
    if (r->out && r->out->len) {
        size_t pos = 0;
        char *c = io_xml_next((const char *)r->out->data, r->out->len, "Code", &pos);
        if (c) snprintf(code, sizeof code, " (%.100s)", c);
        free(c);
    }
    if (!code[0]) {
        char v[100];
        if (io_http_header(r, "x-ms-error-code", v, sizeof v))
            snprintf(code, sizeof code, " (%s)", v);
    }
    int err = r->status == 404 ? KILN_ENOENT : KILN_EIO;
    const char *hint = r->status == 403 || r->status == 401
                           ? ": check the credentials (kiln.hadoop.fs.* settings or environment)"
                           : "";
    return kiln_set_error(err, "%s %s: HTTP %ld%s%s", what, r->shown, r->status, code, hint);
}

int io_http_call(io_http_req *r, const io_call *a, const char *url, const char *shown,
                 io_http_sign_fn sign, void *sign_arg, const io_http_policy *policy)
{
    r->method = a->method;
    r->url = url;
    r->shown = shown;
    r->headers = a->headers;
    r->body = a->body;
    r->body_len = a->body_len;
    r->range_off = a->range_off;
    r->range_len = a->range_len;
    r->dst = a->dst;
    r->out = a->out;
    r->sign = sign;
    r->sign_arg = sign_arg;
    r->policy = policy;
    int rc = io_http_do(r);
    r->url = r->shown = NULL; /* the caller's strings die next */
    return rc;
}

int io_http_fail_key(io_http_req *r, const char *root, const char *key, const char *what)
{
    char shown[4200];
    snprintf(shown, sizeof shown, "%s/%s", root, key ? key : "");
    r->shown = shown;
    int rc = io_http_fail(r, what);
    r->shown = NULL;
    return rc;
}

int io_call_stat(io_call_fn call, const io_url *u, int64_t *size)
{
    io_http_req r;
    io_call a = {.method = "HEAD", .key = u->key};
    int rc = call(u, &a, &r);
    if (!rc && r.status / 100 != 2) rc = io_http_fail_key(&r, u->root, u->key, "cannot read");
    char v[40];
    if (!rc) {
        if (io_http_header(&r, "Content-Length", v, sizeof v)) *size = strtoll(v, NULL, 10);
        else rc = kiln_set_error(KILN_EIO, "cannot read %s: the server gives no size", u->shown);
    }
    if (rc == KILN_ENOENT) kiln_set_error(KILN_ENOENT, "no such object: %s", u->shown);
    io_http_req_release(&r);
    return rc;
}

int io_call_get(io_call_fn call, const io_url *u, int64_t off, size_t n, void *dst)
{
    if (n == 0) return KILN_OK;
    io_http_req r;
    kiln_buf err;
    kiln_buf_init(&err);
    io_call a = {
        .method = "GET", .key = u->key, .range_off = off, .range_len = n, .dst = dst, .out = &err};
    int rc = call(u, &a, &r);
    if (!rc && r.status / 100 != 2) rc = io_http_fail_key(&r, u->root, u->key, "cannot read");
    io_http_req_release(&r);
    kiln_buf_release(&err);
    return rc;
}

int io_call_simple(io_call_fn call, const io_url *u, const char *method, const char *const *headers,
                   const void *body, size_t n, const char *what)
{
    io_http_req r;
    kiln_buf out;
    kiln_buf_init(&out);
    io_call a = {.method = method,
                 .key = u->key,
                 .headers = headers,
                 .body = body,
                 .body_len = n,
                 .out = &out};
    int rc = call(u, &a, &r);
    bool gone_ok = strcmp(method, "DELETE") == 0 && r.status == 404;
    if (!rc && r.status / 100 != 2 && !gone_ok) rc = io_http_fail_key(&r, u->root, u->key, what);
    io_http_req_release(&r);
    kiln_buf_release(&out);
    return rc;
}

/* ---- Signing helpers -------------------------------------------------------- */

static int cmp_hdr(const void *a, const void *b)
{
    return strcmp(((const io_hdr *)a)->name, ((const io_hdr *)b)->name);
}

int io_sign_headers(const io_http_req *r, const char *prefix, io_hdr *hs, int n, int cap)
{
    size_t pl = strlen(prefix);
    for (const char *const *p = r->headers; p && *p && n < cap; p++) {
        const char *colon = strchr(*p, ':');
        if (!colon || strncasecmp(*p, prefix, pl) != 0) continue;
        size_t nl = (size_t)(colon - *p) < 63 ? (size_t)(colon - *p) : 63;
        for (size_t i = 0; i < nl; i++) hs[n].name[i] = (char)tolower((unsigned char)(*p)[i]);
        hs[n].name[nl] = '\0';
        const char *v = colon + 1;
        while (*v == ' ') v++;
        hs[n++].value = v;
    }
    qsort(hs, (size_t)n, sizeof *hs, cmp_hdr);
    return n;
}

void io_sha256_hex(const void *p, size_t n, char hex[65])
{
    uint8_t d[32];
    SHA256(p, n, d);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void io_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len);
}

size_t io_base64(const void *p, size_t n, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

long io_unbase64(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    if (n % 4 || n / 4 * 3 > cap) return -1;
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0) return -1;
    if (n && s[n - 1] == '=') len--;
    if (n > 1 && s[n - 2] == '=') len--;
    return len;
}

int io_uri_encode(kiln_buf *b, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = KILN_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
            (keep_slash && *p == '/')) {
            rc = kiln_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = kiln_buf_append(b, e, 3);
        }
    }
    return rc;
}

bool io_xml_span(const char *xml, size_t len, const char *tag, size_t *pos, const char **s,
                 size_t *n)
{
    char open[80], close[80];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    if (*pos >= len) return false;
    const char *a = memmem(xml + *pos, len - *pos, open, strlen(open));
    if (!a) return false;
    a += strlen(open);
    const char *b = memmem(a, (size_t)(xml + len - a), close, strlen(close));
    if (!b) return false;
    *s = a;
    *n = (size_t)(b - a);
    *pos = (size_t)(b - xml) + strlen(close);
    return true;
}

char *io_xml_next(const char *xml, size_t len, const char *tag, size_t *pos)
{
    const char *s;
    size_t n;
    if (!io_xml_span(xml, len, tag, pos, &s, &n)) return NULL;
    const char *e = s + n;
    char *out = malloc((size_t)(e - s) + 1);
    if (!out) return NULL;
    size_t w = 0;
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (const char *p = s; p < e;) {
        bool done = false;
        if (*p == '&') {
            for (size_t i = 0; i < sizeof ents / sizeof ents[0] && !done; i++) {
                size_t n = strlen(ents[i].ent);
                if ((size_t)(e - p) >= n && memcmp(p, ents[i].ent, n) == 0) {
                    out[w++] = ents[i].c;
                    p += n;
                    done = true;
                }
            }
        }
        if (!done) out[w++] = *p++;
    }
    out[w] = '\0';
    return out;
}
