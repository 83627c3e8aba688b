/*
 * deploy/messages.c - payloads of the cluster manager's messages:
 * REGISTER_WORKER, REGISTERED_WORKER, STATUS_REQUEST and STATUS_REPLY (its
 * workers, applications and executors; field tables in
 * docs/formats/protocol.md), written and read with the net layer's sticky
 * writer and reader.
 *
 * Readers check meaning as well as layout (cores in range, a host present,
 * a known state), because a payload comes from a peer that may be broken or
 * hostile and the master stores what it reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"

/* A state byte on the wire. */
#define STATE_ALIVE 1
#define STATE_DEAD 2

/* Smallest encoding of one worker in STATUS_REPLY (id, host, cores,
 * memory, work_dir, state, age with empty strings): bounds the claimed count
 * by the bytes present before anything is allocated. */
#define WORKER_MIN_BYTES (4 + 4 + 4 + 8 + 4 + 1 + 8)
/* The same for one application (id, name, state, cores, memory, driver)
 * and one executor (app id, executor, worker id, cores, memory, state). */
#define APP_MIN_BYTES (4 + 4 + 1 + 4 + 8 + 4)
#define EXEC_MIN_BYTES (4 + 4 + 4 + 4 + 8 + 1)

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

/* Starts reading f's payload, naming message and peer in errors. */
void deploy_msg_reader_start(net_reader *r, const net_frame *f, const char *peer, char *what,
                         size_t size)
{
    snprintf(what, size, "%s from %s", net_msg_name(f->type), peer ? peer : "unnamed peer");
    net_reader_init(r, f->payload.data, f->payload.len, what);
}

/* Refuses a string a reader could not take back (it would be cut). */
int deploy_msg_check_len(const char *s, size_t max, const char *field)
{
    if (strlen(s) < max) return KILN_OK;
    return kiln_set_error(KILN_EINVAL, "%s is longer than %zu bytes", field, max - 1);
}

static int check_offer(const deploy_register *r)
{
    int rc = deploy_msg_check_len(r->host, NET_HOST_MAX, "host");
    if (rc == KILN_OK) rc = deploy_msg_check_len(r->work_dir, DEPLOY_DIR_MAX, "work directory");
    if (rc == KILN_OK && (r->cores == 0 || r->cores > DEPLOY_MAX_CORES))
        rc = kiln_set_error(KILN_EINVAL, "cores %u is not in 1..%u", r->cores, DEPLOY_MAX_CORES);
    if (rc == KILN_OK && r->memory == 0) rc = kiln_set_error(KILN_EINVAL, "memory is 0 bytes");
    if (rc == KILN_OK && r->host[0] == '\0') rc = kiln_set_error(KILN_EINVAL, "host is empty");
    return rc;
}

static void offer_put(net_writer *w, const deploy_register *r)
{
    net_put_str(w, r->host);
    net_put_u32(w, r->cores);
    net_put_u64(w, r->memory);
    net_put_str(w, r->work_dir);
}

/* Reads the offer fields; the meaning is checked once the layout is. */
static void offer_get(net_reader *r, deploy_register *out)
{
    net_get_str(r, out->host, sizeof out->host, "host");
    out->cores = net_get_u32(r, "cores");
    out->memory = net_get_u64(r, "memory");
    net_get_str(r, out->work_dir, sizeof out->work_dir, "work_dir");
}

/* A reader error when the offer's values are out of range. */
static int offer_meaning(const deploy_register *o, const char *what)
{
    if (o->host[0] == '\0')
        return kiln_set_error(KILN_ECORRUPT, "%s: field host is empty", what);
    if (o->cores == 0 || o->cores > DEPLOY_MAX_CORES)
        return kiln_set_error(KILN_ECORRUPT, "%s: field cores %u is not in 1..%u", what, o->cores,
                              DEPLOY_MAX_CORES);
    if (o->memory == 0) return kiln_set_error(KILN_ECORRUPT, "%s: field memory is 0", what);
    return KILN_OK;
}

int deploy_msg_register_write(kiln_buf *b, const deploy_register *r)
{
    int rc = check_offer(r);
    if (rc != KILN_OK) return rc;
    net_writer w;
    net_writer_init(&w, b);
    offer_put(&w, r);
    return net_writer_finish(&w);
}

int deploy_msg_register_read(const net_frame *f, const char *peer, deploy_register *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_REGISTER_WORKER, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_register got;
    offer_get(&r, &got);
    rc = net_reader_end(&r);
    if (rc == KILN_OK) rc = offer_meaning(&got, what);
    if (rc == KILN_OK) *out = got;
    return rc;
}

int deploy_msg_registered_write(kiln_buf *b, const char *id)
{
    int rc = deploy_msg_check_len(id, DEPLOY_ID_MAX, "worker id");
    if (rc != KILN_OK) return rc;
    net_writer w;
    net_writer_init(&w, b);
    net_put_str(&w, id);
    return net_writer_finish(&w);
}

int deploy_msg_registered_read(const net_frame *f, const char *peer, char id[DEPLOY_ID_MAX])
{
    int rc = deploy_msg_expect(f, NET_MSG_REGISTERED_WORKER, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    char got[DEPLOY_ID_MAX];
    size_t n = net_get_str(&r, got, sizeof got, "worker_id");
    rc = net_reader_end(&r);
    if (rc == KILN_OK && n == 0)
        rc = kiln_set_error(KILN_ECORRUPT, "%s: field worker_id is empty", what);
    if (rc == KILN_OK) memcpy(id, got, n + 1);
    return rc;
}

int deploy_msg_status_request_check(const net_frame *f, const char *peer)
{
    int rc = deploy_msg_expect(f, NET_MSG_STATUS_REQUEST, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    return net_reader_end(&r);
}

int deploy_msg_status_reply_write(kiln_buf *b, const deploy_status *s)
{
    int rc = deploy_msg_check_len(s->url, DEPLOY_URL_MAX, "url");
    for (uint32_t i = 0; rc == KILN_OK && i < s->nworkers; i++) {
        rc = check_offer(&s->workers[i].offer);
        if (rc == KILN_OK) rc = deploy_msg_check_len(s->workers[i].id, DEPLOY_ID_MAX, "worker id");
    }
    for (uint32_t i = 0; rc == KILN_OK && i < s->napps; i++) {
        rc = deploy_msg_check_len(s->apps[i].id, DEPLOY_ID_MAX, "app id");
        if (rc == KILN_OK) rc = deploy_msg_check_len(s->apps[i].name, DEPLOY_NAME_MAX, "app name");
        if (rc == KILN_OK) rc = deploy_msg_check_len(s->apps[i].driver, DEPLOY_URL_MAX, "driver");
    }
    for (uint32_t i = 0; rc == KILN_OK && i < s->nexecs; i++) {
        rc = deploy_msg_check_len(s->execs[i].app_id, DEPLOY_ID_MAX, "app id");
        if (rc == KILN_OK)
            rc = deploy_msg_check_len(s->execs[i].worker_id, DEPLOY_ID_MAX, "worker id");
    }
    if (rc != KILN_OK) return rc;
    net_writer w;
    net_writer_init(&w, b);
    net_put_str(&w, s->url);
    net_put_u32(&w, s->nworkers);
    for (uint32_t i = 0; i < s->nworkers; i++) {
        const deploy_worker_status *ws = &s->workers[i];
        net_put_str(&w, ws->id);
        offer_put(&w, &ws->offer);
        net_put_u8(&w, ws->state == DEPLOY_WORKER_ALIVE ? STATE_ALIVE : STATE_DEAD);
        net_put_u64(&w, ws->heartbeat_age_ms);
    }
    net_put_u32(&w, s->napps);
    for (uint32_t i = 0; i < s->napps; i++) {
        const deploy_app_status *a = &s->apps[i];
        net_put_str(&w, a->id);
        net_put_str(&w, a->name);
        net_put_u8(&w, a->state);
        net_put_u32(&w, a->cores);
        net_put_u64(&w, a->executor_memory);
        net_put_str(&w, a->driver);
    }
    net_put_u32(&w, s->nexecs);
    for (uint32_t i = 0; i < s->nexecs; i++) {
        const deploy_exec_status *e = &s->execs[i];
        net_put_str(&w, e->app_id);
        net_put_u32(&w, e->executor);
        net_put_str(&w, e->worker_id);
        net_put_u32(&w, e->cores);
        net_put_u64(&w, e->memory);
        net_put_u8(&w, e->state);
    }
    return net_writer_finish(&w);
}

/* Reads one worker of a STATUS_REPLY. */
static int worker_get(net_reader *r, const char *what, deploy_worker_status *ws)
{
    net_get_str(r, ws->id, sizeof ws->id, "worker_id");
    offer_get(r, &ws->offer);
    uint8_t state = net_get_u8(r, "state");
    ws->heartbeat_age_ms = net_get_u64(r, "heartbeat_age_ms");
    if (r->err != KILN_OK) return r->err;
    if (state != STATE_ALIVE && state != STATE_DEAD)
        return kiln_set_error(KILN_ECORRUPT, "%s: field state %u is neither ALIVE (1) nor DEAD (2)",
                              what, state);
    ws->state = state == STATE_ALIVE ? DEPLOY_WORKER_ALIVE : DEPLOY_WORKER_DEAD;
    return offer_meaning(&ws->offer, what);
}

/* A claimed count that must fit in the bytes left, at min bytes each. */
static int count_fits(net_reader *r, const char *what, const char *field, uint32_t n, size_t min)
{
    if (r->err != KILN_OK) return r->err;
    if (n <= (r->len - r->off) / min) return KILN_OK;
    return kiln_set_error(KILN_ECORRUPT, "%s: field %s %u does not fit in %zu bytes", what, field,
                          n, r->len - r->off);
}

/* The applications of a STATUS_REPLY into s. */
static int apps_get(net_reader *r, const char *what, deploy_status *s)
{
    uint32_t n = net_get_u32(r, "app_count");
    int rc = count_fits(r, what, "app_count", n, APP_MIN_BYTES);
    if (rc != KILN_OK) return rc;
    if (n > 0 && (s->apps = calloc(n, sizeof *s->apps)) == NULL)
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u applications", n);
    s->napps = n;
    for (uint32_t i = 0; i < n && r->err == KILN_OK; i++) {
        deploy_app_status *a = &s->apps[i];
        net_get_str(r, a->id, sizeof a->id, "app_id");
        net_get_str(r, a->name, sizeof a->name, "app_name");
        a->state = net_get_u8(r, "app_state");
        a->cores = net_get_u32(r, "app_cores");
        a->executor_memory = net_get_u64(r, "executor_memory");
        net_get_str(r, a->driver, sizeof a->driver, "driver");
        if (r->err == KILN_OK && a->state != DEPLOY_APP_RUNNING && a->state != DEPLOY_APP_FINISHED)
            return kiln_set_error(KILN_ECORRUPT, "%s: field app_state %u is neither RUNNING (1) "
                                  "nor FINISHED (2)", what, a->state);
    }
    return r->err;
}

/* The executors of a STATUS_REPLY into s. */
static int execs_get(net_reader *r, const char *what, deploy_status *s)
{
    uint32_t n = net_get_u32(r, "executor_count");
    int rc = count_fits(r, what, "executor_count", n, EXEC_MIN_BYTES);
    if (rc != KILN_OK) return rc;
    if (n > 0 && (s->execs = calloc(n, sizeof *s->execs)) == NULL)
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u executors", n);
    s->nexecs = n;
    for (uint32_t i = 0; i < n && r->err == KILN_OK; i++) {
        deploy_exec_status *e = &s->execs[i];
        net_get_str(r, e->app_id, sizeof e->app_id, "exec_app_id");
        e->executor = net_get_u32(r, "executor");
        net_get_str(r, e->worker_id, sizeof e->worker_id, "exec_worker_id");
        e->cores = net_get_u32(r, "exec_cores");
        e->memory = net_get_u64(r, "exec_memory");
        e->state = net_get_u8(r, "exec_state");
        if (r->err == KILN_OK && !strcmp(deploy_exec_state_name(e->state), "UNKNOWN"))
            return kiln_set_error(KILN_ECORRUPT, "%s: field exec_state %u is not a known state",
                                  what, e->state);
    }
    return r->err;
}

int deploy_msg_status_reply_read(const net_frame *f, const char *peer, deploy_status *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_STATUS_REPLY, peer);
    if (rc != KILN_OK) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_status s = {0};
    net_get_str(&r, s.url, sizeof s.url, "url");
    uint32_t n = net_get_u32(&r, "worker_count");
    if (r.err != KILN_OK) return r.err;
    /* The count is the peer's claim: it must fit in the bytes that are
     * actually there before anything is allocated for it. */
    if (n > (r.len - r.off) / WORKER_MIN_BYTES)
        return kiln_set_error(KILN_ECORRUPT, "%s: field worker_count %u does not fit in %zu bytes",
                              what, n, r.len - r.off);
    if (n > 0 && (s.workers = calloc(n, sizeof *s.workers)) == NULL)
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u workers", n);
    s.nworkers = n;
    for (uint32_t i = 0; rc == KILN_OK && i < n; i++) rc = worker_get(&r, what, &s.workers[i]);
    if (rc == KILN_OK) rc = apps_get(&r, what, &s);
    if (rc == KILN_OK) rc = execs_get(&r, what, &s);
    if (rc == KILN_OK) rc = net_reader_end(&r);
    if (rc != KILN_OK) {
        deploy_status_release(&s);
        return rc;
    }
    *out = s;
    return KILN_OK;
}
