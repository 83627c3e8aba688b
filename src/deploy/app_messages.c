/*
 * deploy/app_messages.c - payloads of the messages that run applications
 * on the standalone cluster: REGISTER_APP, REGISTERED_APP, LAUNCH_EXECUTOR,
 * EXECUTOR_STATE / APP_EXECUTOR, KILL_EXECUTOR and FETCH_FILE (field tables
 * in docs/formats/protocol.md, "Applications").
 *
 * Readers check meaning as well as layout: ids and file names become path
 * components on workers (`<work-dir>/<app-id>/<exec-id>/<name>`,
 * `<work-dir>/cache/<sha256>`), so an id is [A-Za-z0-9._-], a file name a
 * plain base name and a hash 64 lowercase hex digits; conf lines go down an
 * executor's pipe, so they are `key=value\n` lines without NUL bytes. Every
 * count is checked against the bytes present before anything is allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"

/* The smallest encoding of one file (empty name, hash, size): bounds the
 * claimed count by the bytes present. */
#define FILE_MIN_BYTES (4 + 4 + 64 + 8)

void deploy_app_desc_release(deploy_app_desc *d)
{
    free(d->files);
    if (d->conf) memset(d->conf, 0, d->conf_len);
    free(d->conf);
    d->files = NULL;
    d->conf = NULL;
    d->nfiles = 0;
    d->conf_len = 0;
}

const char *deploy_exec_state_name(int state)
{
    switch (state) {
    case DEPLOY_EXEC_RUNNING: return "RUNNING";
    case DEPLOY_EXEC_EXITED: return "EXITED";
    case DEPLOY_EXEC_FAILED: return "FAILED";
    case DEPLOY_EXEC_KILLED: return "KILLED";
    case DEPLOY_EXEC_LOST: return "LOST";
    case DEPLOY_EXEC_RESTARTING: return "RESTARTING";
    default: return "UNKNOWN";
    }
}

bool deploy_exec_state_final(int state)
{
    return state == DEPLOY_EXEC_EXITED || state == DEPLOY_EXEC_FAILED ||
           state == DEPLOY_EXEC_KILLED || state == DEPLOY_EXEC_LOST;
}

bool deploy_sha256_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))) return false;
    return n == 64;
}

bool deploy_id_valid(const char *s)
{
    if (!s[0] || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

bool deploy_basename_valid(const char *s)
{
    return s[0] && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}

/* ---- Checks shared by writers and readers ---------------------------------------- */

/* Conf lines: key=value\n each, key non-empty, no NUL (the text is a C string). */
static bool conf_valid(const char *p, size_t n)
{
    if (memchr(p, '\0', n)) return false;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) return false;
        size_t len = (size_t)(nl - (p + i));
        const char *eq = memchr(p + i, '=', len);
        if (!eq || eq == p + i) return false;
        i += len + 1;
    }
    return true;
}

/* The desc's meaning; a message naming field, as KILN_EINVAL (writer) or
 * KILN_ECORRUPT (reader: what names the message). */
static int desc_check(const deploy_app_desc *d, int code, const char *what)
{
    const char *bad = NULL;
    if (d->driver_host[0] == '\0') bad = "driver_host is empty";
    else if (d->driver_port == 0 || d->driver_port > 65535) bad = "driver_port is not in 1..65535";
    else if (d->executor_memory == 0) bad = "executor_memory is 0";
    else if (!deploy_sha256_valid(d->exe.sha256)) bad = "exe_sha256 is not 64 lowercase hex digits";
    else if (d->exe.size > UINT32_MAX) bad = "exe_size is 4 GiB or more";
    else if (d->nfiles > DEPLOY_MAX_FILES) bad = "file_count is over 256";
    else if (d->conf_len >= DEPLOY_CONF_MAX) bad = "conf is 32 KiB or more";
    else if (d->conf_len && !conf_valid(d->conf, d->conf_len)) bad = "conf is not key=value lines";
    for (uint32_t i = 0; !bad && i < d->nfiles; i++) {
        const deploy_file *f = &d->files[i];
        if (!deploy_basename_valid(f->name)) bad = "file name is not a plain base name";
        else if (!deploy_sha256_valid(f->sha256)) bad = "file sha256 is not 64 lowercase hex digits";
        else if (f->size > UINT32_MAX) bad = "file size is 4 GiB or more";
        for (uint32_t j = 0; !bad && j < i; j++)
            if (!strcmp(d->files[j].name, f->name)) bad = "file name appears twice";
    }
    if (!bad) return KILN_OK;
    return kiln_set_error(code, "%s%sfield %s", what ? what : "", what ? ": " : "", bad);
}

static int desc_lengths(const deploy_app_desc *d)
{
    int rc = deploy_msg_check_len(d->name, DEPLOY_NAME_MAX, "app name");
    if (!rc) rc = deploy_msg_check_len(d->driver_host, NET_HOST_MAX, "driver host");
    for (uint32_t i = 0; !rc && i < d->nfiles && i <= DEPLOY_MAX_FILES; i++)
        rc = deploy_msg_check_len(d->files[i].name, DEPLOY_NAME_MAX, "file name");
    return rc;
}

static void desc_put(net_writer *w, const deploy_app_desc *d)
{
    net_put_str(w, d->name);
    net_put_str(w, d->driver_host);
    net_put_u32(w, d->driver_port);
    net_put_u64(w, d->executor_memory);
    net_put_raw(w, d->exe.sha256, 64);
    net_put_u64(w, d->exe.size);
    net_put_u32(w, d->nfiles);
    for (uint32_t i = 0; i < d->nfiles; i++) {
        net_put_str(w, d->files[i].name);
        net_put_raw(w, d->files[i].sha256, 64);
        net_put_u64(w, d->files[i].size);
    }
    net_put_bytes(w, d->conf ? d->conf : "", d->conf_len);
}

/* A 64-byte hash field as a NUL-terminated string. */
static void hash_get(net_reader *r, char out[DEPLOY_SHA256_HEX], const char *field)
{
    const uint8_t *p = net_get_raw(r, 64, field);
    if (p) memcpy(out, p, 64);
    else memset(out, 0, 64);
    out[64] = '\0';
}

/* Reads a desc; on failure nothing is left allocated in *d. */
static int desc_get(net_reader *r, const char *what, deploy_app_desc *d)
{
    memset(d, 0, sizeof *d);
    net_get_str(r, d->name, sizeof d->name, "app_name");
    net_get_str(r, d->driver_host, sizeof d->driver_host, "driver_host");
    d->driver_port = net_get_u32(r, "driver_port");
    d->executor_memory = net_get_u64(r, "executor_memory");
    snprintf(d->exe.name, sizeof d->exe.name, "exe");
    hash_get(r, d->exe.sha256, "exe_sha256");
    d->exe.size = net_get_u64(r, "exe_size");
    uint32_t n = net_get_u32(r, "file_count");
    if (r->err) return r->err;
    if (n > DEPLOY_MAX_FILES || n > (r->len - r->off) / FILE_MIN_BYTES)
        return kiln_set_error(KILN_ECORRUPT, "%s: field file_count %u is over %u or does not fit",
                              what, n, DEPLOY_MAX_FILES);
    if (n && !(d->files = calloc(n, sizeof *d->files)))
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u files", n);
    d->nfiles = n;
    for (uint32_t i = 0; i < n; i++) {
        net_get_str(r, d->files[i].name, sizeof d->files[i].name, "file_name");
        hash_get(r, d->files[i].sha256, "file_sha256");
        d->files[i].size = net_get_u64(r, "file_size");
    }
    size_t clen = 0;
    const uint8_t *conf = net_get_bytes(r, DEPLOY_CONF_MAX - 1, &clen, "conf");
    int rc = r->err;
    if (!rc && !(d->conf = malloc(clen + 1))) rc = kiln_set_error(KILN_ENOMEM, "out of memory");
    if (!rc) {
        memcpy(d->conf, conf, clen);
        d->conf[clen] = '\0';
        d->conf_len = clen;
        rc = desc_check(d, KILN_ECORRUPT, what);
    }
    if (rc) deploy_app_desc_release(d);
    return rc;
}

/* Ids that name directories on workers. */
static int id_check(const char *id, int code, const char *what, const char *field)
{
    if (deploy_id_valid(id)) return KILN_OK;
    return kiln_set_error(code, "%s%sfield %s is empty or not [A-Za-z0-9._-]", what ? what : "",
                          what ? ": " : "", field);
}

/* ---- REGISTER_APP ----------------------------------------------------------------- */

static int cores_check(uint32_t cores, bool zero_ok, int code, const char *what, const char *field)
{
    if ((zero_ok || cores > 0) && cores <= DEPLOY_MAX_CORES) return KILN_OK;
    return kiln_set_error(code, "%s%sfield %s %u is not in %u..%u", what ? what : "",
                          what ? ": " : "", field, cores, zero_ok ? 0 : 1, DEPLOY_MAX_CORES);
}

int deploy_msg_register_app_write(kiln_buf *b, const deploy_app_register *r)
{
    int rc = desc_lengths(&r->desc);
    if (!rc) rc = desc_check(&r->desc, KILN_EINVAL, NULL);
    if (!rc) rc = cores_check(r->total_cores, true, KILN_EINVAL, NULL, "total_cores");
    if (!rc) rc = cores_check(r->executor_cores, true, KILN_EINVAL, NULL, "executor_cores");
    if (rc) return rc;
    net_writer w;
    net_writer_init(&w, b);
    desc_put(&w, &r->desc);
    net_put_u32(&w, r->total_cores);
    net_put_u32(&w, r->executor_cores);
    return net_writer_finish(&w);
}

int deploy_msg_register_app_read(const net_frame *f, const char *peer, deploy_app_register *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_REGISTER_APP, peer);
    if (rc) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_app_register got;
    memset(&got, 0, sizeof got);
    rc = desc_get(&r, what, &got.desc);
    if (rc) return rc;
    got.total_cores = net_get_u32(&r, "total_cores");
    got.executor_cores = net_get_u32(&r, "executor_cores");
    rc = net_reader_end(&r);
    if (!rc) rc = cores_check(got.total_cores, true, KILN_ECORRUPT, what, "total_cores");
    if (!rc) rc = cores_check(got.executor_cores, true, KILN_ECORRUPT, what, "executor_cores");
    if (rc) {
        deploy_app_desc_release(&got.desc);
        return rc;
    }
    *out = got;
    return KILN_OK;
}

/* ---- REGISTERED_APP --------------------------------------------------------------- */

int deploy_msg_registered_app_write(kiln_buf *b, const deploy_app_registered *r)
{
    int rc = deploy_msg_check_len(r->app_id, DEPLOY_ID_MAX, "app id");
    if (!rc) rc = id_check(r->app_id, KILN_EINVAL, NULL, "app_id");
    if (rc) return rc;
    net_writer w;
    net_writer_init(&w, b);
    net_put_str(&w, r->app_id);
    net_put_u32(&w, r->executors);
    net_put_u32(&w, r->cores);
    return net_writer_finish(&w);
}

int deploy_msg_registered_app_read(const net_frame *f, const char *peer,
                                    deploy_app_registered *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_REGISTERED_APP, peer);
    if (rc) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_app_registered got;
    net_get_str(&r, got.app_id, sizeof got.app_id, "app_id");
    got.executors = net_get_u32(&r, "executors");
    got.cores = net_get_u32(&r, "cores");
    rc = net_reader_end(&r);
    if (!rc) rc = id_check(got.app_id, KILN_ECORRUPT, what, "app_id");
    if (!rc && (got.executors == 0 || got.executors > got.cores))
        rc = kiln_set_error(KILN_ECORRUPT, "%s: field executors %u is 0 or more than cores %u",
                            what, got.executors, got.cores);
    if (!rc) *out = got;
    return rc;
}

/* ---- LAUNCH_EXECUTOR -------------------------------------------------------------- */

int deploy_msg_launch_write(kiln_buf *b, const deploy_launch *l)
{
    int rc = deploy_msg_check_len(l->app_id, DEPLOY_ID_MAX, "app id");
    if (!rc) rc = id_check(l->app_id, KILN_EINVAL, NULL, "app_id");
    if (!rc) rc = cores_check(l->cores, false, KILN_EINVAL, NULL, "cores");
    if (!rc) rc = desc_lengths(&l->desc);
    if (!rc) rc = desc_check(&l->desc, KILN_EINVAL, NULL);
    if (rc) return rc;
    net_writer w;
    net_writer_init(&w, b);
    net_put_str(&w, l->app_id);
    net_put_u32(&w, l->executor);
    net_put_u32(&w, l->cores);
    desc_put(&w, &l->desc);
    return net_writer_finish(&w);
}

int deploy_msg_launch_read(const net_frame *f, const char *peer, deploy_launch *out)
{
    int rc = deploy_msg_expect(f, NET_MSG_LAUNCH_EXECUTOR, peer);
    if (rc) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_launch got;
    memset(&got, 0, sizeof got);
    net_get_str(&r, got.app_id, sizeof got.app_id, "app_id");
    got.executor = net_get_u32(&r, "executor");
    got.cores = net_get_u32(&r, "cores");
    if (r.err) return r.err;
    rc = desc_get(&r, what, &got.desc);
    if (rc) return rc;
    rc = net_reader_end(&r);
    if (!rc) rc = id_check(got.app_id, KILN_ECORRUPT, what, "app_id");
    if (!rc) rc = cores_check(got.cores, false, KILN_ECORRUPT, what, "cores");
    if (rc) {
        deploy_app_desc_release(&got.desc);
        return rc;
    }
    *out = got;
    return KILN_OK;
}

/* ---- EXECUTOR_STATE / APP_EXECUTOR ------------------------------------------------ */

int deploy_msg_exec_report_write(kiln_buf *b, const deploy_exec_report *r)
{
    int rc = deploy_msg_check_len(r->app_id, DEPLOY_ID_MAX, "app id");
    if (!rc) rc = id_check(r->app_id, KILN_EINVAL, NULL, "app_id");
    if (!rc) rc = deploy_msg_check_len(r->message, DEPLOY_MESSAGE_MAX, "message");
    if (!rc && !strcmp(deploy_exec_state_name(r->state), "UNKNOWN"))
        rc = kiln_set_error(KILN_EINVAL, "executor state %u is unknown", r->state);
    if (rc) return rc;
    net_writer w;
    net_writer_init(&w, b);
    net_put_str(&w, r->app_id);
    net_put_u32(&w, r->executor);
    net_put_u8(&w, r->state);
    net_put_u32(&w, (uint32_t)r->exit_status);
    net_put_u32(&w, r->restarts);
    net_put_str(&w, r->message);
    return net_writer_finish(&w);
}

int deploy_msg_exec_report_read(const net_frame *f, int type, const char *peer,
                                 deploy_exec_report *out)
{
    if (type != NET_MSG_EXECUTOR_STATE && type != NET_MSG_APP_EXECUTOR)
        return kiln_set_error(KILN_EINVAL, "%s has no executor report", net_msg_name(type));
    int rc = deploy_msg_expect(f, type, peer);
    if (rc) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    deploy_exec_report got;
    net_get_str(&r, got.app_id, sizeof got.app_id, "app_id");
    got.executor = net_get_u32(&r, "executor");
    got.state = net_get_u8(&r, "state");
    got.exit_status = (int32_t)net_get_u32(&r, "exit_status");
    got.restarts = net_get_u32(&r, "restarts");
    net_get_str(&r, got.message, sizeof got.message, "message");
    rc = net_reader_end(&r);
    if (!rc) rc = id_check(got.app_id, KILN_ECORRUPT, what, "app_id");
    if (!rc && !strcmp(deploy_exec_state_name(got.state), "UNKNOWN"))
        rc = kiln_set_error(KILN_ECORRUPT, "%s: field state %u is not a known state", what,
                            got.state);
    if (!rc) *out = got;
    return rc;
}

/* ---- KILL_EXECUTOR, FETCH_FILE ----------------------------------------------------- */

/* Writes a payload of one string field, checked by ok. */
static int one_str_write(kiln_buf *b, const char *s, size_t max, bool (*ok)(const char *),
                         const char *field)
{
    int rc = deploy_msg_check_len(s, max, field);
    if (!rc && !ok(s)) rc = kiln_set_error(KILN_EINVAL, "field %s '%s' is malformed", field, s);
    if (rc) return rc;
    net_writer w;
    net_writer_init(&w, b);
    net_put_str(&w, s);
    return net_writer_finish(&w);
}

static int one_str_read(const net_frame *f, int type, const char *peer, char *out, size_t max,
                        bool (*ok)(const char *), const char *field)
{
    int rc = deploy_msg_expect(f, type, peer);
    if (rc) return rc;
    char what[NET_HOST_MAX + 64];
    net_reader r;
    deploy_msg_reader_start(&r, f, peer, what, sizeof what);
    char got[DEPLOY_ID_MAX + DEPLOY_SHA256_HEX];
    net_get_str(&r, got, max, field);
    rc = net_reader_end(&r);
    if (!rc && !ok(got)) rc = kiln_set_error(KILN_ECORRUPT, "%s: field %s is malformed", what, field);
    if (!rc) memcpy(out, got, strlen(got) + 1);
    return rc;
}

int deploy_msg_kill_write(kiln_buf *b, const char *app_id)
{
    return one_str_write(b, app_id, DEPLOY_ID_MAX, deploy_id_valid, "app_id");
}

int deploy_msg_kill_read(const net_frame *f, const char *peer, char app_id[DEPLOY_ID_MAX])
{
    return one_str_read(f, NET_MSG_KILL_EXECUTOR, peer, app_id, DEPLOY_ID_MAX, deploy_id_valid,
                        "app_id");
}

int deploy_msg_fetch_file_write(kiln_buf *b, const char *sha256)
{
    return one_str_write(b, sha256, DEPLOY_SHA256_HEX, deploy_sha256_valid, "sha256");
}

int deploy_msg_fetch_file_read(const net_frame *f, const char *peer,
                                char sha256[DEPLOY_SHA256_HEX])
{
    return one_str_read(f, NET_MSG_FETCH_FILE, peer, sha256, DEPLOY_SHA256_HEX,
                        deploy_sha256_valid, "sha256");
}
