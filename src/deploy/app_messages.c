/*
 * deploy/app_messages.c - payloads of the messages that run applications
 * on the standalone cluster: REGISTER_APP, REGISTERED_APP, LAUNCH_EXECUTOR,
 * EXECUTOR_STATE / APP_EXECUTOR, KILL_EXECUTOR and FETCH_FILE (field tables
 * in docs/formats/protocol.md, "Applications"). Each payload's fields are
 * listed once below (net/fields.h), and its writer and reader are
 * generated from that list.
 *
 * Readers check meaning as well as layout: ids and file names become path
 * components on workers (`<work-dir>/<app-id>/<exec-id>/<name>`,
 * `<work-dir>/cache/<sha256>`), so an id is [A-Za-z0-9._-], a file name a
 * plain base name and a hash 64 lowercase hex digits; conf lines go down an
 * executor's pipe, so they are `key=value\n` lines without NUL bytes. Every
 * count is checked against the bytes present before anything is allocated.
 * Writers refuse what readers would refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"
#include "net/fields.h"

/* ---- Field tables ------------------------------------------------------------------- */

/* A file the driver serves: its name, hash and size. */
#define FILE_FIELDS(X)                                                                             \
    X(STR, name, "file_name", 0, _)                                                                \
    X(HEX64, sha256, "file_sha256", 0, _)                                                          \
    X(U64, size, "file_size", 0, _)
NET_CODEC(file, deploy_file, FILE_FIELDS)

/* The application: the first fields of REGISTER_APP, the last of
 * LAUNCH_EXECUTOR. The executable's name ("exe") is not on the wire. */
#define DESC_FIELDS(X)                                                                             \
    X(STR, name, "app_name", 0, _)                                                                 \
    X(STR, driver_host, "driver_host", 0, _)                                                       \
    X(U32, driver_port, "driver_port", 0, _)                                                       \
    X(U64, executor_memory, "executor_memory", 0, _)                                               \
    X(HEX64, exe.sha256, "exe_sha256", 0, _)                                                       \
    X(U64, exe.size, "exe_size", 0, _)                                                             \
    X(LIST, files, "file_count", DEPLOY_MAX_FILES, file)                                           \
    X(OWNED, conf, "conf", DEPLOY_CONF_MAX - 1, _)                                                 \
    X(OWNED, command, "command", DEPLOY_COMMAND_MAX - 1, _)
NET_CODEC(desc, deploy_app_desc, DESC_FIELDS)

#define REGISTER_APP_FIELDS(X)                                                                     \
    X(STRUCT, desc, "application", 0, desc)                                                        \
    X(U32, total_cores, "total_cores", 0, _)                                                       \
    X(U32, executor_cores, "executor_cores", 0, _)                                                 \
    X(STR, app_id, "previous_app_id", 0, _)                                                        \
    X(STR, ui_url, "ui_url", 0, _)
NET_CODEC(register_app, deploy_app_register, REGISTER_APP_FIELDS)

#define REGISTERED_APP_FIELDS(X)                                                                   \
    X(STR, app_id, "app_id", 0, _)                                                                 \
    X(U32, executors, "executors", 0, _)                                                           \
    X(U32, cores, "cores", 0, _)
NET_CODEC(registered_app, deploy_app_registered, REGISTERED_APP_FIELDS)

#define LAUNCH_FIELDS(X)                                                                           \
    X(STR, app_id, "app_id", 0, _)                                                                 \
    X(U32, executor, "executor", 0, _)                                                             \
    X(U32, cores, "cores", 0, _)                                                                   \
    X(STRUCT, desc, "application", 0, desc)
NET_CODEC(launch, deploy_launch, LAUNCH_FIELDS)

/* EXECUTOR_STATE and APP_EXECUTOR. */
#define EXEC_REPORT_FIELDS(X)                                                                      \
    X(STR, app_id, "app_id", 0, _)                                                                 \
    X(U32, executor, "executor", 0, _)                                                             \
    X(U8, state, "state", 0, _)                                                                    \
    X(I32, exit_status, "exit_status", 0, _)                                                       \
    X(U32, restarts, "restarts", 0, _)                                                             \
    X(STR, message, "message", 0, _)
NET_CODEC(exec_report, deploy_exec_report, EXEC_REPORT_FIELDS)

/* KILL_EXECUTOR and FETCH_FILE: one string each. */
typedef struct kill_msg {
    char app_id[DEPLOY_ID_MAX];
} kill_msg;
#define KILL_FIELDS(X) X(STR, app_id, "app_id", 0, _)
NET_CODEC(kill, kill_msg, KILL_FIELDS)

typedef struct fetch_msg {
    char sha256[DEPLOY_SHA256_HEX];
} fetch_msg;
#define FETCH_FIELDS(X) X(STR, sha256, "sha256", 0, _)
NET_CODEC(fetch, fetch_msg, FETCH_FIELDS)

void deploy_app_desc_release(deploy_app_desc *d)
{
    free(d->files);
    if (d->conf) memset(d->conf, 0, d->conf_len);
    free(d->conf);
    free(d->command);
    d->files = NULL;
    d->conf = NULL;
    d->command = NULL;
    d->command_len = 0;
    d->nfiles = 0;
    d->conf_len = 0;
}

const char *deploy_exec_state_name(int state)
{
    switch (state) {
    case DEPLOY_EXEC_RUNNING:
        return "RUNNING";
    case DEPLOY_EXEC_EXITED:
        return "EXITED";
    case DEPLOY_EXEC_FAILED:
        return "FAILED";
    case DEPLOY_EXEC_KILLED:
        return "KILLED";
    case DEPLOY_EXEC_LOST:
        return "LOST";
    case DEPLOY_EXEC_RESTARTING:
        return "RESTARTING";
    default:
        return "UNKNOWN";
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

/* The executor's command: "" (the executable), or 1 to DEPLOY_COMMAND_WORDS
 * words each ended by a NUL byte, the first an absolute path. */
static bool command_valid(const char *p, size_t n)
{
    if (n == 0) return true;
    if (p[0] != '/' || p[n - 1] != '\0') return false;
    size_t words = 0;
    for (size_t i = 0; i < n; i++) words += p[i] == '\0';
    return words <= DEPLOY_COMMAND_WORDS;
}

/* The desc's meaning; a message naming field, as KILN_EINVAL (writer, what
 * NULL) or KILN_ECORRUPT (reader: what names the message). */
static int desc_meaning(const deploy_app_desc *d, int code, const char *what)
{
    const char *bad = NULL;
    if (d->driver_host[0] == '\0') bad = "driver_host is empty";
    else if (d->driver_port == 0 || d->driver_port > 65535) bad = "driver_port is not in 1..65535";
    else if (d->executor_memory == 0) bad = "executor_memory is 0";
    else if (!deploy_sha256_valid(d->exe.sha256)) bad = "exe_sha256 is not 64 lowercase hex digits";
    else if (d->exe.size > UINT32_MAX) bad = "exe_size is 4 GiB or more";
    else if (d->conf_len && !conf_valid(d->conf, d->conf_len)) bad = "conf is not key=value lines";
    else if (!command_valid(d->command, d->command_len))
        bad = "command is not up to 16 NUL-ended words starting with an absolute path";
    for (uint32_t i = 0; !bad && i < d->nfiles; i++) {
        const deploy_file *f = &d->files[i];
        if (!deploy_basename_valid(f->name)) bad = "file name is not a plain base name";
        else if (!deploy_sha256_valid(f->sha256))
            bad = "file sha256 is not 64 lowercase hex digits";
        else if (f->size > UINT32_MAX) bad = "file size is 4 GiB or more";
        for (uint32_t j = 0; !bad && j < i; j++)
            if (!strcmp(d->files[j].name, f->name)) bad = "file name appears twice";
    }
    return bad ? deploy_msg_bad(code, what, "%s", bad) : KILN_OK;
}

/* Ids that name directories on workers. */
static int id_check(const char *id, int code, const char *what, const char *field)
{
    if (deploy_id_valid(id)) return KILN_OK;
    return deploy_msg_bad(code, what, "%s is empty or not [A-Za-z0-9._-]", field);
}

static int cores_check(uint32_t cores, bool zero_ok, int code, const char *what, const char *field)
{
    if ((zero_ok || cores > 0) && cores <= DEPLOY_MAX_CORES) return KILN_OK;
    return deploy_msg_bad(code, what, "%s %u is not in %u..%u", field, cores, zero_ok ? 0 : 1,
                          DEPLOY_MAX_CORES);
}

/* Starts reading f, of type want, into what; KILN_OK or the wrong type. */
static int read_start(const net_frame *f, int want, const char *peer, wire_reader *r, char *what,
                      size_t size)
{
    int rc = deploy_msg_expect(f, want, peer);
    if (rc == KILN_OK) deploy_msg_reader_start(r, f, peer, what, size);
    return rc;
}

/* ---- REGISTER_APP, LAUNCH_EXECUTOR ------------------------------------------------- */

bool deploy_ui_url_ok(const char *u)
{
    if (!u[0]) return true;
    size_t skip = !strncmp(u, "http://", 7) ? 7 : !strncmp(u, "https://", 8) ? 8 : 0;
    if (!skip || !u[skip]) return false;
    /* a URL's own characters: no space, quote, angle bracket or control */
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127 || strchr("\"'<>\\`", *p))
            return false;
    return true;
}

static int register_app_meaning(const deploy_app_register *r, int code, const char *what)
{
    int rc = desc_meaning(&r->desc, code, what);
    if (!rc) rc = cores_check(r->total_cores, true, code, what, "total_cores");
    if (!rc) rc = cores_check(r->executor_cores, true, code, what, "executor_cores");
    if (!rc && r->app_id[0]) rc = id_check(r->app_id, code, what, "previous_app_id");
    if (!rc && !deploy_ui_url_ok(r->ui_url))
        rc = kiln_set_error(code, "%s%sui_url: not an http(s) URL", what ? what : "",
                            what ? ": " : "");
    return rc;
}

int deploy_msg_register_app_write(kiln_buf *b, const deploy_app_register *r)
{
    int rc = register_app_check(r);
    if (!rc) rc = register_app_meaning(r, KILN_EINVAL, NULL);
    return rc ? rc : register_app_write(b, r);
}

int deploy_msg_register_app_read(const net_frame *f, const char *peer, deploy_app_register *out)
{
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    int rc = read_start(f, NET_MSG_REGISTER_APP, peer, &r, what, sizeof what);
    if (rc) return rc;
    deploy_app_register got;
    memset(&got, 0, sizeof got);
    register_app_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (!rc) rc = register_app_meaning(&got, KILN_ECORRUPT, what);
    if (rc) {
        deploy_app_desc_release(&got.desc);
        return rc;
    }
    snprintf(got.desc.exe.name, sizeof got.desc.exe.name, "exe"); /* not on the wire */
    *out = got;
    return KILN_OK;
}

static int launch_meaning(const deploy_launch *l, int code, const char *what)
{
    int rc = desc_meaning(&l->desc, code, what);
    if (!rc) rc = id_check(l->app_id, code, what, "app_id");
    if (!rc) rc = cores_check(l->cores, false, code, what, "cores");
    return rc;
}

int deploy_msg_launch_write(kiln_buf *b, const deploy_launch *l)
{
    int rc = launch_check(l);
    if (!rc) rc = launch_meaning(l, KILN_EINVAL, NULL);
    return rc ? rc : launch_write(b, l);
}

int deploy_msg_launch_read(const net_frame *f, const char *peer, deploy_launch *out)
{
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    int rc = read_start(f, NET_MSG_LAUNCH_EXECUTOR, peer, &r, what, sizeof what);
    if (rc) return rc;
    deploy_launch got;
    memset(&got, 0, sizeof got);
    launch_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (!rc) rc = launch_meaning(&got, KILN_ECORRUPT, what);
    if (rc) {
        deploy_app_desc_release(&got.desc);
        return rc;
    }
    snprintf(got.desc.exe.name, sizeof got.desc.exe.name, "exe"); /* not on the wire */
    *out = got;
    return KILN_OK;
}

/* ---- REGISTERED_APP ---------------------------------------------------------------- */

static int registered_app_meaning(const deploy_app_registered *r, int code, const char *what)
{
    int rc = id_check(r->app_id, code, what, "app_id");
    if (!rc && r->executors > r->cores)
        rc = deploy_msg_bad(code, what, "executors %u is more than cores %u", r->executors,
                            r->cores);
    return rc;
}

int deploy_msg_registered_app_write(kiln_buf *b, const deploy_app_registered *r)
{
    int rc = registered_app_check(r);
    if (!rc) rc = registered_app_meaning(r, KILN_EINVAL, NULL);
    return rc ? rc : registered_app_write(b, r);
}

int deploy_msg_registered_app_read(const net_frame *f, const char *peer, deploy_app_registered *out)
{
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    int rc = read_start(f, NET_MSG_REGISTERED_APP, peer, &r, what, sizeof what);
    if (rc) return rc;
    deploy_app_registered got;
    registered_app_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (!rc) rc = registered_app_meaning(&got, KILN_ECORRUPT, what);
    if (!rc) *out = got;
    return rc;
}

/* ---- EXECUTOR_STATE / APP_EXECUTOR ------------------------------------------------ */

static int exec_report_meaning(const deploy_exec_report *r, int code, const char *what)
{
    int rc = id_check(r->app_id, code, what, "app_id");
    if (!rc && !strcmp(deploy_exec_state_name(r->state), "UNKNOWN"))
        rc = deploy_msg_bad(code, what, "state %u is not a known state", r->state);
    return rc;
}

int deploy_msg_exec_report_write(kiln_buf *b, const deploy_exec_report *r)
{
    int rc = exec_report_check(r);
    if (!rc) rc = exec_report_meaning(r, KILN_EINVAL, NULL);
    return rc ? rc : exec_report_write(b, r);
}

int deploy_msg_exec_report_read(const net_frame *f, int type, const char *peer,
                                deploy_exec_report *out)
{
    if (type != NET_MSG_EXECUTOR_STATE && type != NET_MSG_APP_EXECUTOR)
        return kiln_set_error(KILN_EINVAL, "%s has no executor report", net_msg_name(type));
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    int rc = read_start(f, type, peer, &r, what, sizeof what);
    if (rc) return rc;
    deploy_exec_report got;
    exec_report_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (!rc) rc = exec_report_meaning(&got, KILN_ECORRUPT, what);
    if (!rc) *out = got;
    return rc;
}

/* ---- KILL_EXECUTOR, FETCH_FILE ----------------------------------------------------- */

/* A one-string payload's meaning: ok(s), else malformed. */
static int one_str_meaning(const char *s, bool (*ok)(const char *), int code, const char *what,
                           const char *field)
{
    if (ok(s)) return KILN_OK;
    return what ? deploy_msg_bad(code, what, "%s is malformed", field)
                : deploy_msg_bad(code, NULL, "%s '%s' is malformed", field, s);
}

int deploy_msg_kill_write(kiln_buf *b, const char *app_id)
{
    kill_msg m;
    int rc = net_fields_check_str(app_id, sizeof m.app_id, "app_id");
    if (!rc) rc = one_str_meaning(app_id, deploy_id_valid, KILN_EINVAL, NULL, "app_id");
    if (rc) return rc;
    memcpy(m.app_id, app_id, strlen(app_id) + 1);
    return kill_write(b, &m);
}

int deploy_msg_kill_read(const net_frame *f, const char *peer, char app_id[DEPLOY_ID_MAX])
{
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    int rc = read_start(f, NET_MSG_KILL_EXECUTOR, peer, &r, what, sizeof what);
    if (rc) return rc;
    kill_msg got;
    kill_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (!rc) rc = one_str_meaning(got.app_id, deploy_id_valid, KILN_ECORRUPT, what, "app_id");
    if (!rc) memcpy(app_id, got.app_id, sizeof got.app_id);
    return rc;
}

int deploy_msg_fetch_file_write(kiln_buf *b, const char *sha256)
{
    fetch_msg m;
    int rc = net_fields_check_str(sha256, sizeof m.sha256, "sha256");
    if (!rc) rc = one_str_meaning(sha256, deploy_sha256_valid, KILN_EINVAL, NULL, "sha256");
    if (rc) return rc;
    memcpy(m.sha256, sha256, strlen(sha256) + 1);
    return fetch_write(b, &m);
}

int deploy_msg_fetch_file_read(const net_frame *f, const char *peer, char sha256[DEPLOY_SHA256_HEX])
{
    char what[NET_HOST_MAX + 64];
    wire_reader r;
    int rc = read_start(f, NET_MSG_FETCH_FILE, peer, &r, what, sizeof what);
    if (rc) return rc;
    fetch_msg got;
    fetch_get(&r, &got, NULL, 0);
    rc = wire_reader_end(&r);
    if (!rc) rc = one_str_meaning(got.sha256, deploy_sha256_valid, KILN_ECORRUPT, what, "sha256");
    if (!rc) memcpy(sha256, got.sha256, sizeof got.sha256);
    return rc;
}
