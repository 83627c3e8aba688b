/*
 * ui/ui_pages.c - the application UI's dispatch (ui_pages_serve: a path
 * under a base to its page), the page frame with Spark's tabs, the cells
 * every tab uses, and the application's token (ui_app_token). The tabs
 * themselves are ui_pages_jobs.c, ui_pages_stages.c and ui_pages_other.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/base.h"
#include "net/net.h"
#include "ui/ui_pages_int.h"

#define TOKEN_LABEL "kiln-app-ui"

void ui_href(const ui_page *p, char *out, size_t size, const char *fmt, ...)
{
    int n = snprintf(out, size, "%s", p->base);
    if (n < 0 || (size_t)n >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, size - (size_t)n, fmt, ap);
    va_end(ap);
}

void ui_page_begin(ui_page *p, int tab, const char *title)
{
    static const char *const labels[] = {"Jobs",        "Stages",    "Storage",
                                         "Environment", "Executors", "SQL"};
    static const char *const paths[] = {"/jobs/",        "/stages/",    "/storage/",
                                        "/environment/", "/executors/", "/SQL/"};
    char hrefs[6][320];
    html_tab tabs[6];
    for (int i = 0; i < 6; i++) {
        ui_href(p, hrefs[i], sizeof hrefs[i], "%s", paths[i]);
        tabs[i] = (html_tab){labels[i], hrefs[i]};
    }
    char brand[300];
    snprintf(brand, sizeof brand, "kiln \xc2\xb7 %s", p->s->app_name ? p->s->app_name : "");
    html_page_begin(p->b, brand, title, tabs, 6, tab);
}

void ui_page_end(ui_page *p)
{
    html_page_end(p->b);
}

void ui_page_error(ui_page *p, int status, const char *fmt, const char *arg)
{
    p->b->len = 0;
    p->res->status = status;
    ui_page_begin(p, -1, status == 404 ? "Not Found" : "Bad Request");
    html_printf(p->b, "<p class=\"error\">");
    html_printf(p->b, fmt, arg ? arg : "");
    html_printf(p->b, "</p>\n");
    ui_page_end(p);
}

bool ui_page_int_param(ui_page *p, const char *name, bool required, int64_t dflt, int64_t *out)
{
    const char *v = web_param_get(p->req, name);
    *out = dflt;
    if (!v || !*v) {
        if (!required) return true;
        ui_page_error(p, 400, "Missing parameter %s.", name);
        return false;
    }
    if (parse_int64(v, out) != KILN_OK || *out < 0 || *out > INT32_MAX) {
        char why[160];
        snprintf(why, sizeof why, "%s: expected a number", name);
        ui_page_error(p, 400, "Malformed parameter %s.", why);
        return false;
    }
    return true;
}

int64_t ui_span(int64_t start, int64_t end, int64_t now)
{
    if (start <= 0) return 0;
    int64_t e = end > 0 ? end : now;
    return e > start ? e - start : 0;
}

void ui_cell_time(kiln_buf *b, int64_t epoch_ms)
{
    char t[64];
    web_fmt_time(t, sizeof t, epoch_ms);
    html_cell_num(b, t, (double)epoch_ms);
}

void ui_cell_duration(kiln_buf *b, int64_t ms)
{
    char t[64];
    web_fmt_duration(t, sizeof t, ms);
    html_cell_num(b, t, (double)ms);
}

void ui_cell_bytes(kiln_buf *b, int64_t bytes)
{
    char t[64];
    web_fmt_bytes(t, sizeof t, bytes > 0 ? (uint64_t)bytes : 0);
    html_cell_num(b, t, (double)bytes);
}

void ui_cell_int(kiln_buf *b, int64_t n)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)n);
    html_cell_num(b, t, (double)n);
}

void ui_cell_bytes_records(kiln_buf *b, int64_t bytes, int64_t records)
{
    char t[64], r[96];
    r[0] = '\0';
    if (bytes || records) {
        web_fmt_bytes(t, sizeof t, bytes > 0 ? (uint64_t)bytes : 0);
        snprintf(r, sizeof r, "%s / %lld", t, (long long)records);
    }
    html_cell_num(b, r, (double)bytes);
}

void ui_cell_status(kiln_buf *b, const char *status)
{
    html_printf(b, "<td class=\"state-%s\">%s</td>", status, status);
}

void ui_cell_tasks(kiln_buf *b, int done, int total, int failed, int running)
{
    html_printf(
        b, "<td class=\"tasks\" data-sort=\"%d\"><progress value=\"%d\" max=\"%d\"></progress> ",
        done, done, total > 0 ? total : 1);
    html_printf(b, "%d/%d", done, total);
    if (running) html_printf(b, " (%d running)", running);
    if (failed) html_printf(b, " (%d failed)", failed);
    html_printf(b, "</td>");
}

/* The sub-path without its trailing '/'s equals want. */
static bool is(const char *sub, const char *want)
{
    size_t n = strlen(want), m = strlen(sub);
    while (m > n && sub[m - 1] == '/') m--;
    return m == n && memcmp(sub, want, n) == 0;
}

void ui_pages_serve(ui_store *s, const char *base, const char *sub, const web_request *req,
                    web_response *res)
{
    ui_page p = {.s = s,
                 .base = base ? base : "",
                 .req = req,
                 .res = res,
                 .b = &res->body,
                 .now = ui_ms(wall_seconds_at(now_seconds()))};
    if (!sub || is(sub, "")) {
        res->status = 302;
        snprintf(res->location, sizeof res->location, "%s/jobs/", p.base);
        return;
    }
    static const struct {
        const char *path;
        void (*fn)(ui_page *);
    } pages[] = {
        {"/jobs", ui_page_jobs},
        {"/jobs/job", ui_page_job},
        {"/stages", ui_page_stages},
        {"/stages/stage", ui_page_stage},
        {"/storage", ui_page_storage},
        {"/storage/rdd", ui_page_rdd},
        {"/environment", ui_page_environment},
        {"/executors", ui_page_executors},
        {"/SQL", ui_page_sql},
        {"/SQL/execution", ui_page_sql_execution},
    };
    pthread_mutex_lock(&s->lock);
    size_t i = 0;
    while (i < sizeof pages / sizeof pages[0] && !is(sub, pages[i].path)) i++;
    if (i < sizeof pages / sizeof pages[0]) pages[i].fn(&p);
    else ui_page_error(&p, 404, "No page %s here.", sub);
    pthread_mutex_unlock(&s->lock);
}

int ui_app_token(const kiln_conf *conf, char out[UI_TOKEN_HEX + 1])
{
    const char *spec = conf ? kiln_conf_get(conf, "kiln.authenticate.secret") : NULL;
    char from_env[4200];
    const char *file = getenv("KILN_SECRET_FILE");
    if (!spec && file && *file) {
        snprintf(from_env, sizeof from_env, "file:%s", file);
        spec = from_env;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 32;
    if (spec) {
        uint8_t *secret = NULL;
        size_t len = 0;
        int rc = net_secret_load(spec, &secret, &len);
        if (rc) return rc;
        bool ok = HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)TOKEN_LABEL,
                       strlen(TOKEN_LABEL), mac, &maclen) != NULL &&
                  maclen == 32;
        net_secret_free(secret, len);
        if (!ok) return kiln_set_error(KILN_EIO, "computing the UI's token failed (OpenSSL HMAC)");
    } else if (RAND_bytes(mac, 32) != 1) {
        return kiln_set_error(KILN_EIO, "making the UI's token failed (OpenSSL RAND_bytes)");
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[UI_TOKEN_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    return KILN_OK;
}
