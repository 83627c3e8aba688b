/*
 * ui/ui_pages.h - the application UI: Spark's Jobs, Stages, Storage,
 * Environment and Executors tabs as HTML pages rendered from a ui_store
 * (ui_status.h) with src/web's helpers, served by the driver's server
 * (app_ui.c, kiln.ui.port) and by the history server (history.c) over a
 * store replayed from an event log. Every string from the application
 * (names, descriptions, error messages, configuration values) goes
 * through web's escaping.
 */
#ifndef KILN_UI_PAGES_H
#define KILN_UI_PAGES_H

#include <stdio.h>

#include "ui/ui_status.h"
#include "web/web.h"

#pragma GCC visibility push(hidden)

/* Renders the page at sub, a path under base ("/jobs/", "/jobs/job/",
 * "/stages/", "/stages/stage/", "/storage/", "/storage/rdd/",
 * "/environment/", "/executors/"; a missing trailing '/' is fine; "" and
 * "/" redirect to base + "/jobs/"), of the application in s, into res.
 * base prefixes every link ("" for the live UI, "/history/APP" in the
 * history server; trusted, escaped anyway). Parameters (id, attempt) come
 * from req; unknown pages and ids answer 404 with a page saying so,
 * malformed ids 400. Holds s->lock while it reads. */
void ui_pages_serve(ui_store *s, const char *base, const char *sub, const web_request *req,
                    web_response *res);

/* The token of an application's UI: HMAC-SHA256(secret, "kiln-app-ui") in
 * hex when kiln.authenticate.secret (or $KILN_SECRET_FILE) gives a secret,
 * else 32 random bytes in hex. KILN_OK, or the secret's loading error. */
#define UI_TOKEN_HEX 64
int ui_app_token(const kiln_conf *conf, char out[UI_TOKEN_HEX + 1]);

/* ---- The driver's server (app_ui.c) --------------------------------------------------- */

/* The application UI of one context: a web_server on kiln.ui.host
 * (loopback by default) and kiln.ui.port (4040, or the next free of
 * kiln.port.maxRetries more) serving the pages and /api/v1 of store. */
typedef struct app_ui app_ui;

/* Starts the UI of store (borrowed; must outlive the UI) for conf and
 * prints "kiln web UI available at URL" once on stderr when it is a
 * terminal (else an INFO log line "ui: web UI available at URL"). *out NULL and
 * KILN_OK when kiln.ui.port is taken (and the retries too): the
 * application runs without a UI, as a warning says. Other errors:
 * KILN_ECONF naming the key. */
int app_ui_start(ui_store *store, const kiln_conf *conf, app_ui **out);
/* The URL printed (borrowed, valid until app_ui_stop). */
const char *app_ui_url(const app_ui *u);
/* The bound port. */
int app_ui_port(const app_ui *u);
/* Stops the server and frees u (NULL allowed). */
void app_ui_stop(app_ui *u);
/* For the session: a listener that does nothing (the UI reads the store),
 * and app_ui_stop as a release. */
void app_ui_listen(void *u, const engine_event *e);
void app_ui_release(void *u);

/* ---- The history server (history.c) ------------------------------------------------- */

typedef struct ui_history_opts {
    const char *log_dir; /* the event logs (a path or file:PATH) */
    const char *host;    /* NULL: loopback; off loopback the token is needed */
    int port;            /* kiln.history.ui.port, 18080 */
    int max_retries;
    int retained_apps;     /* replayed stores kept (kiln.history.retainedApplications, 50) */
    const kiln_conf *conf; /* the stores' limits (kiln.ui.retained*); may be NULL */
    const char *token;     /* required off loopback */
    FILE *announce;        /* where the URL is printed (NULL: nowhere) */
} ui_history_opts;

typedef struct ui_history ui_history;

/* Makes the history server and starts serving: "/" lists the
 * applications of log_dir (finished and in progress), "/history/APP/..."
 * serves each one's pages, "/api/v1/applications[/APP/...]" the REST API,
 * from stores replayed on demand and cached. KILN_EIO naming the port. */
int ui_history_start(const ui_history_opts *o, ui_history **out);
int ui_history_port(const ui_history *h);
void ui_history_stop(ui_history *h);
/* Runs the server until SIGINT/SIGTERM (kiln history-server). */
int ui_history_run(const ui_history_opts *o);

#pragma GCC visibility pop

#endif
