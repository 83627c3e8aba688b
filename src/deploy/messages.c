/*
 * deploy/messages.c - payloads of the cluster manager's messages:
 * REGISTER_WORKER, REGISTERED_WORKER, STATUS_REQUEST and STATUS_REPLY (its
 * workers, applications and executors; field tables in
 * docs/formats/protocol.md). Each payload's fields are listed once below
 * (net/fields.h), and its writer and reader are generated from that list.
 *
 * Readers check meaning as well as layout (cores in range, a host present,
 * a known state), because a payload comes from a peer that may be broken or
 * hostile and the master stores what it reads; writers refuse the same
 * values, so nothing written here is refused by a reader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"
#include "net/fields.h"

/* ---- Field tables ------------------------------------------------------------------- */

/* REGISTER_WORKER, and each worker of STATUS_REPLY. */
NET_CODEC(offer, deploy_register, DEPLOY_OFFER_FIELDS)

/* REGISTER_WORKER: the offer, then what a worker that lost its master
 * still runs. */
#define WORKER_EXEC_FIELDS(X)                                                                      \
    X(STR, app_id, "app_id", 0, _)                                                                 \
    X(U32, executor, "executor", 0, _)                                                             \
    X(U32, cores, "cores", 0, _)                                                                   \
    X(U64, memory, "memory", 0, _)                                                                 \
    X(U8, state, "state", 0, _)
NET_CODEC(worker_exec, deploy_worker_exec, WORKER_EXEC_FIELDS)

#define REGISTER_WORKER_FIELDS(X)                                                                  \
    X(STRUCT, offer, "offer", 0, offer)                                                            \
    X(STR, previous_id, "previous_id", 0, _)                                                       \
    X(LIST, execs, "executor_count", DEPLOY_MAX_WORKER_EXECS, worker_exec)                         \
    X(U32, web_port, "web_port", 0, _)
NET_CODEC(register_worker, deploy_worker_register, REGISTER_WORKER_FIELDS)

/* REGISTERED_WORKER. */
typedef struct registered_msg {
    char worker_id[DEPLOY_ID_MAX];
} registered_msg;
#define REGISTERED_FIELDS(X) X(STR, worker_id, "worker_id", 0, _)
NET_CODEC(registered, registered_msg, REGISTERED_FIELDS)

/* STATUS_REPLY: the master's URL and three lists, each count bounded by
 * the bytes present (at the smallest encoding of an element) before
 * anything is allocated. */
#define WORKER_FIELDS(X)                                                                           \
    X(STR, id, "worker_id", 0, _)                                                                  \
    X(STRUCT, offer, "offer", 0, offer)                                                            \
    X(U8, state, "state", 0, _)                                                                    \
    X(U64, heartbeat_age_ms, "heartbeat_age_ms", 0, _)
NET_CODEC(worker_st, deploy_worker_status, WORKER_FIELDS)

#define APP_FIELDS(X)                                                                              \
    X(STR, id, "app_id", 0, _)                                                                     \
    X(STR, name, "app_name", 0, _)                                                                 \
    X(U8, state, "app_state", 0, _)                                                                \
    X(U32, cores, "app_cores", 0, _)                                                               \
    X(U64, executor_memory, "executor_memory", 0, _)                                               \
    X(STR, driver, "driver", 0, _)                                                                 \
    X(STR, ui_url, "app_ui_url", 0, _)
NET_CODEC(app_st, deploy_app_status, APP_FIELDS)

#define EXEC_FIELDS(X)                                                                             \
    X(STR, app_id, "exec_app_id", 0, _)                                                            \
    X(U32, executor, "executor", 0, _)                                                             \
    X(STR, worker_id, "exec_worker_id", 0, _)                                                      \
    X(U32, cores, "exec_cores", 0, _)                                                              \
    X(U64, memory, "exec_memory", 0, _)                                                            \
    X(U8, state, "exec_state", 0, _)
NET_CODEC(exec_st, deploy_exec_status, EXEC_FIELDS)

#define STATUS_FIELDS(X)                                                                           \
    X(STR, url, "url", 0, _)                                                                       \
    X(LIST, workers, "worker_count", 0, worker_st)                                                 \
    X(LIST, apps, "app_count", 0, app_st)                                                          \
    X(LIST, execs, "executor_count", 0, exec_st)                                                   \
    X(U8, recovering, "recovering", 0, _)
NET_CODEC(status, deploy_status, STATUS_FIELDS)

/* ---- Shared by the payload files ------------------------------------------------------- */

void deploy_status_release(deploy_status *s)
{
    free(s->workers);
    free(s->apps);
    free(s->execs);
    s->workers = NULL;
    s->apps = NULL;
    s->execs = NULL;
    s->nworkers = s->napps = s->nexecs = 0;
}

int deploy_msg_expect(const net_frame *f, int want, const char *peer)
{
    if (f->type == want) return KILN_OK;
    return kiln_set_error(KILN_ECORRUPT, "expected %s from %s, got %s", net_msg_name(want),
                          peer ? peer : "unnamed peer", net_msg_name(f->type));
}

void deploy_msg_reader_start(wire_reader *r, const net_frame *f, const char *peer, char *what,
                             size_t size)
{
    snprintf(what, size, "%s from %s", net_msg_name(f->type), peer ? peer : "unnamed peer");
    wire_reader_init(r, f->payload.data, f->payload.len, what);
}

int deploy_msg_bad(int code, const char *what, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return kiln_set_error(code, "%s%sfield %s", what ? what : "", what ? ": " : "", detail);
}

/* ---- Meaning ------------------------------------------------------------------------------ */

/* An offer's values: KILN_EINVAL (a writer's, what NULL) or KILN_ECORRUPT
 * (a reader's, what naming the message) naming the field. */
static int offer_meaning(const deploy_register *o, int code, const char *what)
{
    if (o->host[0] == '\0') return deploy_msg_bad(code, what, "host is empty");
    if (o->cores == 0 || o->cores > DEPLOY_MAX_CORES)
        return deploy_msg_bad(code, what, "cores %u is not in 1..%u", o->cores, DEPLOY_MAX_CORES);
    if (o->memory == 0) return deploy_msg_bad(code, what, "memory is 0");
    return KILN_OK;
}

static int status_meaning(const deploy_status *s, int code, const char *what)
{
    int rc = KILN_OK;
    if (s->recovering > 1)
        rc = deploy_msg_bad(code, what, "recovering %u is neither 0 nor 1", s->recovering);
    for (uint32_t i = 0; rc == KILN_OK && i < s->nworkers; i++) {
        const deploy_worker_status *w = &s->workers[i];
        if (w->state != DEPLOY_WORKER_ALIVE && w->state != DEPLOY_WORKER_DEAD &&
            w->state != DEPLOY_WORKER_UNKNOWN)
            rc = deploy_msg_bad(code, what, "state %u is not ALIVE (1), DEAD (2) or UNKNOWN (3)",
                                (unsigned)w->state);
        else rc = offer_meaning(&w->offer, code, what);
    }
    for (uint32_t i = 0; rc == KILN_OK && i < s->napps; i++)
        if (s->apps[i].state != DEPLOY_APP_RUNNING && s->apps[i].state != DEPLOY_APP_FINISHED &&
            s->apps[i].state != DEPLOY_APP_UNKNOWN)
            rc = deploy_msg_bad(code, what,
                                "app_state %u is not RUNNING (1), FINISHED (2) or UNKNOWN (3)",
                                s->apps[i].state);
    for (uint32_t i = 0; rc == KILN_OK && i < s->nexecs; i++)
        if (!strcmp(deploy_exec_state_name(s->execs[i].state), "UNKNOWN"))
            rc = deploy_msg_bad(code, what, "exec_state %u is not a known state",
                                s->execs[i].state);
    return rc;
}

/* ---- REGISTER_WORKER, REGISTERED_WORKER, STATUS_REQUEST ----------------------------------- */

void deploy_worker_register_release(deploy_worker_register *r)
{
    free(r->execs);
    r->execs = NULL;
    r->nexecs = 0;
}

/* The whole REGISTER_WORKER's values: the offer, an id (or ""), executors
 * in a live state with cores, each listed once. */
static int register_worker_meaning(const deploy_worker_register *r, int code, const char *what)
{
    int rc = offer_meaning(&r->offer, code, what);
    if (rc == KILN_OK && r->previous_id[0] && !deploy_id_valid(r->previous_id))
        rc = deploy_msg_bad(code, what, "previous_id is not [A-Za-z0-9._-]");
    if (rc == KILN_OK && r->web_port > 65535)
        rc = deploy_msg_bad(code, what, "web_port %u is not a port", r->web_port);
    for (uint32_t i = 0; rc == KILN_OK && i < r->nexecs; i++) {
        const deploy_worker_exec *e = &r->execs[i];
        if (!deploy_id_valid(e->app_id))
            rc = deploy_msg_bad(code, what, "app_id is empty or not [A-Za-z0-9._-]");
        else if (e->state != DEPLOY_EXEC_RUNNING && e->state != DEPLOY_EXEC_RESTARTING)
            rc = deploy_msg_bad(code, what, "state %u is neither RUNNING (1) nor RESTARTING (6)",
                                e->state);
        else if (e->cores == 0 || e->cores > DEPLOY_MAX_CORES)
            rc = deploy_msg_bad(code, what, "cores %u is not in 1..%u", e->cores, DEPLOY_MAX_CORES);
        for (uint32_t j = 0; rc == KILN_OK && j < i; j++)
            if (r->execs[j].executor == e->executor && !strcmp(r->execs[j].app_id, e->app_id))
                rc = deploy_msg_bad(code, what, "executor %s/%u is listed twice", e->app_id,
                                    e->executor);
    }
    return rc;
}

int deploy_msg_register_worker_write(kiln_buf *b, const deploy_worker_register *r)
{
    int rc = register_worker_check(r);
    if (rc == KILN_OK) rc = register_worker_meaning(r, KILN_EINVAL, NULL);
    return rc == KILN_OK ? register_worker_write(b, r) : rc;
}

int deploy_msg_register_worker_read(const net_frame *f, const char *peer,
                                    deploy_worker_register *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_REGISTER_WORKER, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_worker_register got;
    memset(&got, 0, sizeof got);
    register_worker_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (rc == KILN_OK) rc = register_worker_meaning(&got, KILN_ECORRUPT, what);
    if (rc != KILN_OK) {
        deploy_worker_register_release(&got);
        return rc;
    }
    *out = got;
    return KILN_OK;
}

int deploy_msg_register_write(kiln_buf *b, const deploy_register *r)
{
    deploy_worker_register w;
    memset(&w, 0, sizeof w);
    w.offer = *r;
    return deploy_msg_register_worker_write(b, &w);
}

int deploy_msg_register_read(const net_frame *f, const char *peer, deploy_register *out)
{
    deploy_worker_register w;
    int rc = deploy_msg_register_worker_read(f, peer, &w);
    if (rc != KILN_OK) return rc;
    *out = w.offer;
    deploy_worker_register_release(&w);
    return KILN_OK;
}

int deploy_msg_registered_write(kiln_buf *b, const char *id)
{
    registered_msg m;
    if (strlen(id) >= sizeof m.worker_id)
        return deploy_msg_bad(KILN_EINVAL, NULL, "worker_id is longer than %zu bytes",
                              sizeof m.worker_id - 1);
    memcpy(m.worker_id, id, strlen(id) + 1);
    return registered_write(b, &m);
}

int deploy_msg_registered_read(const net_frame *f, const char *peer, char id[DEPLOY_ID_MAX])
{
    int rc = deploy_msg_expect(f, NET_MSG_REGISTERED_WORKER, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    registered_msg got;
    registered_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (rc == KILN_OK && got.worker_id[0] == '\0')
        rc = deploy_msg_bad(KILN_ECORRUPT, what, "worker_id is empty");
    if (rc == KILN_OK) memcpy(id, got.worker_id, sizeof got.worker_id);
    return rc;
}

int deploy_msg_status_request_check(const net_frame *f, const char *peer)
{
    int rc = deploy_msg_expect(f, NET_MSG_STATUS_REQUEST, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    return wire_reader_end(&r);
}

/* ---- STATUS_REPLY ---------------------------------------------------------------------------- */

int deploy_msg_status_reply_write(kiln_buf *b, const deploy_status *s)
{
    int rc = status_check(s);
    if (rc == KILN_OK) rc = status_meaning(s, KILN_EINVAL, NULL);
    return rc == KILN_OK ? status_write(b, s) : rc;
}

int deploy_msg_status_reply_read(const net_frame *f, const char *peer, deploy_status *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_STATUS_REPLY, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_status s;
    memset(&s, 0, sizeof s);
    status_get(&r, &s, NULL, 0);
    rc = wire_reader_end(&r);
    if (rc == KILN_OK) rc = status_meaning(&s, KILN_ECORRUPT, what);
    if (rc != KILN_OK) {
        deploy_status_release(&s);
        return rc;
    }
    *out = s;
    return KILN_OK;
}
