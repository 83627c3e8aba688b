/*
 * ui/app_ui.c - the driver's web UI (Spark's SparkUI on :4040): a src/web
 * server on kiln.ui.host (loopback unless configured) and kiln.ui.port,
 * trying the next kiln.port.maxRetries ports when taken, serving the
 * application's pages (ui_pages.c) and its REST API (/api/v1, ui_api.c)
 * from the context's status store. The session starts it with the
 * context and kiln_context_free stops it before the store goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "ui/ui_pages.h"

#define URL_MAX 512

struct app_ui {
    web_server *srv;
    ui_store *store;
    char *host; /* kiln.ui.host (NULL: loopback) */
    char token[UI_TOKEN_HEX + 1];
    char url[URL_MAX];
};

static void pages(void *arg, const web_request *req, web_response *res)
{
    app_ui *u = arg;
    ui_pages_serve(u->store, "", req->path, req, res);
}

static void api(void *arg, const web_request *req, web_response *res)
{
    app_ui *u = arg;
    const char *path = req->path + strlen("/api/v1");
    res->content_type = "application/json";
    res->status = ui_api_render(u->store, *path ? path : "/", req->raw_query, &res->body);
}

/* An int setting of conf, checked by conf_resolve already (dflt when unset). */
static int conf_int(const kiln_conf *conf, const char *key, int dflt, int *out)
{
    const char *v = conf ? kiln_conf_get(conf, key) : NULL;
    int64_t x = dflt;
    if (v && (parse_int64(v, &x) != KILN_OK || x < 0 || x > 65535))
        return kiln_set_error(KILN_ECONF, "%s: expected a number in 0..65535, got '%s'", key, v);
    *out = (int)x;
    return KILN_OK;
}

int app_ui_start(ui_store *store, const kiln_conf *conf, app_ui **out)
{
    *out = NULL;
    int port, retries;
    int rc = conf_int(conf, "kiln.ui.port", 4040, &port);
    if (!rc) rc = conf_int(conf, "kiln.port.maxRetries", 16, &retries);
    if (rc) return rc;
    app_ui *u = calloc(1, sizeof *u);
    if (!u) return KILN_ENOMEM;
    u->store = store;
    const char *host = kiln_conf_get(conf, "kiln.ui.host");
    if (host && !(u->host = strdup(host))) {
        free(u);
        return KILN_ENOMEM;
    }
    if ((rc = ui_app_token(conf, u->token))) {
        free(u->host);
        free(u);
        return rc;
    }
    web_server_opts o = {.name = "application UI",
                         .host = u->host,
                         .port = port,
                         .max_retries = retries,
                         .token = u->token,
                         .keep_alive = true};
    rc = web_server_new(&o, &u->srv);
    if (rc == KILN_EIO) {
        /* Every port tried is taken: the application runs on, without its UI. */
        LOG(LOG_WARN, "ui", "no web UI: %s", kiln_last_error());
        free(u->host);
        free(u);
        return KILN_OK;
    }
    if (!rc) rc = web_route(u->srv, "/", WEB_PREFIX, pages, u);
    if (!rc) rc = web_route(u->srv, "/api/v1", WEB_PREFIX, api, u);
    if (!rc) rc = web_server_start(u->srv);
    if (rc) {
        app_ui_stop(u);
        return rc;
    }
    char shown[256] = "localhost";
    if (u->host && u->host[0]) snprintf(shown, sizeof shown, "%s", u->host);
    else if (u->host && gethostname(shown, sizeof shown - 1) != 0)
        snprintf(shown, sizeof shown, "localhost");
    web_server_url(u->srv, shown, u->url, sizeof u->url);
    /* On a terminal the address is printed, as Spark's shells print it;
     * elsewhere (a program's stderr in a file or a pipe, a test) it is an
     * INFO line of the log, as spark-submit logs it. */
    if (isatty(STDERR_FILENO)) fprintf(stderr, "kiln web UI available at %s\n", u->url);
    else LOG(LOG_INFO, "ui", "web UI available at %s", u->url);
    *out = u;
    return KILN_OK;
}

const char *app_ui_url(const app_ui *u)
{
    return u->url;
}

int app_ui_port(const app_ui *u)
{
    return web_server_port(u->srv);
}

void app_ui_stop(app_ui *u)
{
    if (!u) return;
    web_server_free(u->srv);
    explicit_bzero(u->token, sizeof u->token);
    explicit_bzero(u->url, sizeof u->url);
    free(u->host);
    free(u);
}

void app_ui_listen(void *u, const engine_event *e)
{
    (void)u;
    (void)e;
}

void app_ui_release(void *u)
{
    app_ui_stop(u);
}
