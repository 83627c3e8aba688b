/*
 * deploy/master_recovery.c - the master's state across restarts (Spark's
 * FILESYSTEM recovery mode, kiln.deploy.recoveryDirectory): the workers that
 * are not DEAD, every application the master remembers, the executors of
 * the running ones and the id counters, kept in one snapshot file,
 * <recovery-dir>/master-state (layout: docs/formats/master_state.md).
 *
 * One snapshot, not one file per record: the tables are small (at most
 * 4096 workers and 1024 applications, a few hundred KiB at worst) and
 * change rarely (registrations, executors ending), and a single file
 * replaced by rename(2) is always one consistent state, where a set of
 * files could hold a worker without the application its executors belong
 * to. The file is written whenever a loop round changed the tables: a
 * temporary file in the same directory, written, fsynced, renamed over the
 * old one, the directory fsynced. A master killed at any point leaves the
 * old file or the new one, never a mix; a leftover temporary file is
 * removed at the next start. A sha256 over the whole file catches a file
 * damaged on disk.
 *
 * At start-up the file is read (a damaged one stops the master with an
 * error naming it: starting empty would kill every running application's
 * executors as their workers come back), workers become UNKNOWN and
 * running applications UNKNOWN, with their executors; they become ALIVE /
 * RUNNING as they register again (master.c, master_apps.c). When all came
 * back, or after the network timeout, the recovery ends: workers still
 * UNKNOWN are DEAD (their executors LOST), applications still UNKNOWN
 * FINISHED (their executors killed).
 *
 * The file holds no secret and no application configuration: only ids,
 * names, hosts, sizes and states (the application's description comes
 * back with its driver's REGISTER_APP). It is created mode 0600 in a
 * directory created mode 0700.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "base/fault.h"
#include "deploy/master_int.h"
#include "io/io.h"
#include "net/fields.h"

#define STATE_MAGIC "KILNMST\n"
#define STATE_VERSION 1u
#define STATE_MAX_BYTES (64u << 20) /* far above what the tables can hold */
#define SAVE_RETRY_MS 1000          /* after a failed write */

/* ---- The file's field tables (net/fields.h) ----------------------------------------- */

NET_CODEC(st_offer, deploy_register, DEPLOY_OFFER_FIELDS)

#define ST_WORKER_FIELDS(X)                                                                        \
    X(STR, id, "worker_id", 0, _)                                                                  \
    X(STRUCT, offer, "offer", 0, st_offer)
NET_CODEC(st_worker, mstate_worker, ST_WORKER_FIELDS)

#define ST_APP_FIELDS(X)                                                                           \
    X(STR, id, "app_id", 0, _)                                                                     \
    X(STR, name, "app_name", 0, _)                                                                 \
    X(U8, state, "app_state", 0, _)                                                                \
    X(U32, total_cores, "total_cores", 0, _)                                                       \
    X(U32, executor_cores, "executor_cores", 0, _)                                                 \
    X(U32, cores, "app_cores", 0, _)                                                               \
    X(U64, executor_memory, "executor_memory", 0, _)                                               \
    X(STR, driver, "driver", 0, _)
NET_CODEC(st_app, mstate_app, ST_APP_FIELDS)

#define ST_EXEC_FIELDS(X)                                                                          \
    X(STR, app_id, "exec_app_id", 0, _)                                                            \
    X(U32, executor, "executor", 0, _)                                                             \
    X(STR, worker_id, "exec_worker_id", 0, _)                                                      \
    X(U32, cores, "exec_cores", 0, _)                                                              \
    X(U64, memory, "exec_memory", 0, _)                                                            \
    X(U8, state, "exec_state", 0, _)
NET_CODEC(st_exec, deploy_exec_status, ST_EXEC_FIELDS)

#define ST_FIELDS(X)                                                                               \
    X(U64, next_worker_id, "next_worker_id", 0, _)                                                 \
    X(U64, next_app_id, "next_app_id", 0, _)                                                       \
    X(LIST, workers, "worker_count", MAX_WORKERS, st_worker)                                       \
    X(LIST, apps, "app_count", 0, st_app)                                                          \
    X(LIST, execs, "executor_count", 0, st_exec)
NET_CODEC(st, master_state, ST_FIELDS)

void master_state_release(master_state *s)
{
    free(s->workers);
    free(s->apps);
    free(s->execs);
    memset(s, 0, sizeof *s);
}

/* What the values mean: ids usable as names, known states, executors of
 * listed applications and workers. code and what as in messages.c. */
static int state_meaning(const master_state *s, int code, const char *what)
{
    for (uint32_t i = 0; i < s->nworkers; i++) {
        const mstate_worker *w = &s->workers[i];
        if (!deploy_id_valid(w->id))
            return deploy_msg_bad(code, what, "worker_id is not [A-Za-z0-9._-]");
        if (!w->offer.host[0] || w->offer.cores == 0 || w->offer.cores > DEPLOY_MAX_CORES ||
            w->offer.memory == 0)
            return deploy_msg_bad(code, what, "offer of %s is empty or out of range", w->id);
    }
    for (uint32_t i = 0; i < s->napps; i++) {
        const mstate_app *a = &s->apps[i];
        if (!deploy_id_valid(a->id)) return deploy_msg_bad(code, what, "app_id is not an id");
        if (a->state != DEPLOY_APP_RUNNING && a->state != DEPLOY_APP_FINISHED)
            return deploy_msg_bad(code, what, "app_state %u of %s is not RUNNING or FINISHED",
                                  a->state, a->id);
    }
    for (uint32_t i = 0; i < s->nexecs; i++) {
        const deploy_exec_status *e = &s->execs[i];
        bool app = false, worker = false;
        for (uint32_t k = 0; k < s->napps && !app; k++)
            app = !strcmp(s->apps[k].id, e->app_id) && s->apps[k].state == DEPLOY_APP_RUNNING;
        for (uint32_t k = 0; k < s->nworkers && !worker; k++)
            worker = !strcmp(s->workers[k].id, e->worker_id);
        if (!app || !worker)
            return deploy_msg_bad(code, what,
                                  "executor %u of %s on %s: no such running application or "
                                  "worker",
                                  e->executor, e->app_id, e->worker_id);
        if (deploy_exec_state_final(e->state) ||
            !strcmp(deploy_exec_state_name(e->state), "UNKNOWN"))
            return deploy_msg_bad(code, what, "exec_state %u is not a live state", e->state);
        if (e->cores == 0 || e->cores > DEPLOY_MAX_CORES)
            return deploy_msg_bad(code, what, "exec_cores %u is out of range", e->cores);
    }
    return KILN_OK;
}

/* ---- Writing ----------------------------------------------------------------------------- */

/* Writes all of p to fd (path for messages), as a fault site. */
static int write_all(int fd, const void *p, size_t n, const char *path)
{
    if (fault_hit(FAULT_WRITE))
        return kiln_set_error(KILN_EIO, "cannot write %s: %s (simulated)", path, strerror(EIO));
    return io_write_full(fd, p, n, path);
}

static int sync_fd(int fd, const char *path)
{
    if (fault_hit(FAULT_FSYNC) || fsync(fd) != 0)
        return kiln_set_error(KILN_EIO, "cannot fsync %s: %s", path, strerror(errno ? errno : EIO));
    return KILN_OK;
}

/* The magic, the version, the fields, then the sha256 of all that. */
static int encode(const master_state *s, kiln_buf *out)
{
    int rc = st_check(s);
    if (rc == KILN_OK) rc = state_meaning(s, KILN_EINVAL, NULL);
    if (rc != KILN_OK) return rc;
    wire_writer w;
    wire_writer_init(&w, out);
    wire_put_raw(&w, STATE_MAGIC, 8);
    wire_put_u32(&w, STATE_VERSION);
    st_put(&w, s);
    rc = wire_writer_finish(&w);
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (rc == KILN_OK && (EVP_Digest(out->data, out->len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
                          mdlen != sizeof md))
        rc = kiln_set_error(KILN_EIO, "sha256 of the master's state failed");
    if (rc == KILN_OK) rc = kiln_buf_append(out, md, sizeof md);
    return rc;
}

int master_state_save(const char *dir, const master_state *s)
{
    kiln_buf data;
    kiln_buf_init(&data);
    int rc = encode(s, &data);
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, MASTER_STATE_FILE);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%d", dir, MASTER_STATE_FILE, (int)getpid());
    int fd = -1;
    if (rc == KILN_OK &&
        (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        rc = kiln_set_error(KILN_EIO, "cannot create %s: %s", tmp, strerror(errno));
    if (rc == KILN_OK) rc = write_all(fd, data.data, data.len, tmp);
    if (rc == KILN_OK) rc = sync_fd(fd, tmp);
    if (fd >= 0 && close(fd) != 0 && rc == KILN_OK)
        rc = kiln_set_error(KILN_EIO, "cannot close %s: %s", tmp, strerror(errno));
    if (rc == KILN_OK && (fault_hit(FAULT_RENAME) || rename(tmp, path) != 0))
        rc = kiln_set_error(KILN_EIO, "cannot rename %s to %s: %s", tmp, path,
                            strerror(errno ? errno : EIO));
    if (rc != KILN_OK && fd >= 0) unlink(tmp);
    if (rc == KILN_OK) {
        /* The rename itself is durable once the directory is. */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) rc = kiln_set_error(KILN_EIO, "cannot open %s: %s", dir, strerror(errno));
        else {
            rc = sync_fd(dfd, dir);
            close(dfd);
        }
    }
    kiln_buf_release(&data);
    return rc;
}

/* ---- Reading ------------------------------------------------------------------------------ */

/* Reads the whole file (at most STATE_MAX_BYTES) into out. */
static int slurp(const char *path, kiln_buf *out, bool *found)
{
    *found = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) return KILN_OK;
    if (fd < 0) return kiln_set_error(KILN_EIO, "cannot open %s: %s", path, strerror(errno));
    *found = true;
    int rc = KILN_OK;
    for (;;) {
        if ((rc = kiln_buf_reserve(out, out->len + 65536)) != KILN_OK) break;
        ssize_t r = read(fd, out->data + out->len, 65536);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = kiln_set_error(KILN_EIO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (r == 0) break;
        out->len += (size_t)r;
        if (out->len > STATE_MAX_BYTES) {
            rc = kiln_set_error(KILN_ECORRUPT, "%s is larger than %u bytes: not a master's state",
                                path, STATE_MAX_BYTES);
            break;
        }
    }
    close(fd);
    return rc;
}

#define DAMAGED_HINT "; move it away to start the master with no recovered state"

int master_state_load(const char *dir, master_state *out, bool *found)
{
    memset(out, 0, sizeof *out);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, MASTER_STATE_FILE);
    kiln_buf data;
    kiln_buf_init(&data);
    int rc = slurp(path, &data, found);
    if (rc != KILN_OK || !*found) {
        kiln_buf_release(&data);
        return rc;
    }
    uint8_t md[32];
    unsigned int mdlen = 0;
    if (data.len < 8 + 4 + 32 || memcmp(data.data, STATE_MAGIC, 8))
        rc = kiln_set_error(KILN_ECORRUPT,
                            "%s is not a master's state file (%zu bytes, no magic)%s", path,
                            data.len, DAMAGED_HINT);
    else if (EVP_Digest(data.data, data.len - 32, md, &mdlen, EVP_sha256(), NULL) != 1 ||
             mdlen != 32 || memcmp(md, data.data + data.len - 32, 32))
        rc = kiln_set_error(KILN_ECORRUPT, "%s is damaged: its sha256 does not match%s", path,
                            DAMAGED_HINT);
    char what[4300];
    snprintf(what, sizeof what, "master state %s", path);
    if (rc == KILN_OK) {
        wire_reader r;
        wire_reader_init(&r, data.data, data.len - 32, what);
        wire_get_raw(&r, 8, "magic");
        uint32_t version = wire_get_u32(&r, "version");
        if (r.err == KILN_OK && version != STATE_VERSION)
            rc = kiln_set_error(KILN_ECORRUPT, "%s has format version %u; this kiln reads %u", path,
                                version, STATE_VERSION);
        if (rc == KILN_OK) {
            st_get(&r, out, NULL, 0);
            rc = wire_reader_end(&r);
        }
        if (rc == KILN_OK) rc = state_meaning(out, KILN_ECORRUPT, what);
    }
    kiln_buf_release(&data);
    if (rc != KILN_OK) master_state_release(out);
    return rc;
}

/* ---- The master's side ----------------------------------------------------------------------- */

/* Removes temporary files a master killed while writing left behind. */
static void remove_leftovers(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".%s.tmp-", MASTER_STATE_FILE);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix))) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) LOG(LOG_INFO, "master", "removed %s, left by a killed master", path);
    }
    closedir(d);
}

static int worker_index(const master *m, const char *id)
{
    for (size_t i = 0; i < m->nworkers; i++)
        if (!strcmp(m->workers[i].id, id)) return (int)i;
    return -1;
}

static void note_worker_id(master *m, const char *id)
{
    unsigned long long n;
    char tail;
    if (sscanf(id, "worker-%llu%c", &n, &tail) == 1 && n > m->next_id) m->next_id = n;
}

/* The tables from a state read at start-up. */
static int restore(master *m, const master_state *s)
{
    m->next_id = s->next_worker_id;
    m->next_app_id = s->next_app_id;
    if (s->nworkers && !(m->workers = calloc(s->nworkers, sizeof *m->workers)))
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u recovered workers", s->nworkers);
    int64_t now = deploy_now_ms();
    for (uint32_t i = 0; i < s->nworkers; i++) {
        worker_rec *w = &m->workers[m->nworkers++];
        memcpy(w->id, s->workers[i].id, sizeof w->id);
        w->offer = s->workers[i].offer;
        w->state = DEPLOY_WORKER_UNKNOWN;
        w->last_heartbeat_ms = now;
        note_worker_id(m, w->id);
    }
    if (s->napps && !(m->apps = calloc(s->napps, sizeof *m->apps)))
        return kiln_set_error(KILN_ENOMEM, "out of memory for %u recovered applications", s->napps);
    for (uint32_t i = 0; i < s->napps; i++) {
        const mstate_app *sa = &s->apps[i];
        app_rec *a = calloc(1, sizeof *a);
        if (!a) return kiln_set_error(KILN_ENOMEM, "out of memory for a recovered application");
        m->apps[m->napps++] = a;
        memcpy(a->id, sa->id, sizeof a->id);
        memcpy(a->name, sa->name, sizeof a->name);
        a->state = sa->state == DEPLOY_APP_RUNNING ? DEPLOY_APP_UNKNOWN : DEPLOY_APP_FINISHED;
        a->total_cores = sa->total_cores;
        a->executor_cores = sa->executor_cores;
        a->executor_memory = sa->executor_memory;
        memcpy(a->driver, sa->driver, sizeof a->driver);
        a->finished_ms = now;
        master_app_note_id(m, a->id);
        uint32_t n = 0;
        for (uint32_t k = 0; k < s->nexecs; k++) n += !strcmp(s->execs[k].app_id, a->id);
        if (n && !(a->execs = calloc(n, sizeof *a->execs)))
            return kiln_set_error(KILN_ENOMEM, "out of memory for recovered executors");
        for (uint32_t k = 0; k < s->nexecs; k++) {
            const deploy_exec_status *se = &s->execs[k];
            if (strcmp(se->app_id, a->id)) continue;
            exec_rec *e = &a->execs[a->nexecs++];
            e->id = se->executor;
            e->worker = worker_index(m, se->worker_id); /* state_meaning checked it exists */
            memcpy(e->worker_id, se->worker_id, sizeof e->worker_id);
            e->cores = se->cores;
            e->state = se->state;
            a->cores += e->cores;
            m->workers[e->worker].cores_used += e->cores;
            m->workers[e->worker].memory_used += a->executor_memory;
        }
    }
    return KILN_OK;
}

int master_recovery_open(master *m, const char *dir)
{
    if (!dir || !dir[0]) return KILN_OK;
    if (!(m->recovery_dir = strdup(dir)))
        return kiln_set_error(KILN_ENOMEM, "out of memory for the recovery directory");
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return kiln_set_error(KILN_EIO, "cannot create recovery directory %s: %s", dir,
                              strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return kiln_set_error(KILN_EIO, "recovery directory %s is not a directory", dir);
    remove_leftovers(dir);
    master_state s;
    bool found;
    int rc = master_state_load(dir, &s, &found);
    if (rc != KILN_OK) return rc;
    if (!found) {
        LOG(LOG_INFO, "master", "recovery directory %s holds no state yet: starting empty", dir);
        return KILN_OK;
    }
    rc = restore(m, &s);
    uint32_t running = 0;
    for (uint32_t i = 0; i < s.napps; i++) running += s.apps[i].state == DEPLOY_APP_RUNNING;
    if (rc == KILN_OK && (s.nworkers || running)) {
        m->recovering = true;
        m->recovery_deadline = deploy_now_ms() + m->timeout_ms;
        LOG(LOG_INFO, "master",
            "recovering from %s/%s: %u workers, %u running applications (%u remembered), %u "
            "executors; waiting up to %d ms for them to come back",
            dir, MASTER_STATE_FILE, s.nworkers, running, s.napps, s.nexecs, m->timeout_ms);
    }
    master_state_release(&s);
    return rc;
}

void master_recovery_close(master *m)
{
    free(m->recovery_dir);
    m->recovery_dir = NULL;
}

int master_worker_find(const master *m, const char *previous_id)
{
    if (!previous_id[0]) return -1;
    int i = worker_index(m, previous_id);
    return i >= 0 && m->workers[i].state != DEPLOY_WORKER_ALIVE ? i : -1;
}

void master_worker_name(master *m, int slot, const char *previous_id)
{
    worker_rec *w = &m->workers[slot];
    if (previous_id[0]) note_worker_id(m, previous_id);
    int holder = previous_id[0] ? worker_index(m, previous_id) : -1;
    if (previous_id[0] && (holder < 0 || holder == slot))
        snprintf(w->id, sizeof w->id, "%s", previous_id);
    else snprintf(w->id, sizeof w->id, "worker-%llu", (unsigned long long)++m->next_id);
}

/* The tables as the state file keeps them. */
static int snapshot(const master *m, master_state *s)
{
    memset(s, 0, sizeof *s);
    s->next_worker_id = m->next_id;
    s->next_app_id = m->next_app_id;
    uint32_t nexecs = 0;
    for (size_t i = 0; i < m->napps; i++)
        if (m->apps[i] && m->apps[i]->state != DEPLOY_APP_FINISHED) nexecs += m->apps[i]->nexecs;
    s->workers = calloc(m->nworkers ? m->nworkers : 1, sizeof *s->workers);
    s->apps = calloc(m->napps ? m->napps : 1, sizeof *s->apps);
    s->execs = calloc(nexecs ? nexecs : 1, sizeof *s->execs);
    if (!s->workers || !s->apps || !s->execs) {
        master_state_release(s);
        return kiln_set_error(KILN_ENOMEM, "out of memory for the master's state");
    }
    for (size_t i = 0; i < m->nworkers; i++) {
        const worker_rec *w = &m->workers[i];
        if (w->state == DEPLOY_WORKER_DEAD) continue;
        mstate_worker *sw = &s->workers[s->nworkers++];
        memcpy(sw->id, w->id, sizeof sw->id);
        sw->offer = w->offer;
    }
    for (size_t i = 0; i < m->napps; i++) {
        const app_rec *a = m->apps[i];
        if (!a) continue;
        mstate_app *sa = &s->apps[s->napps++];
        memcpy(sa->id, a->id, sizeof sa->id);
        memcpy(sa->name, a->name, sizeof sa->name);
        sa->state = a->state == DEPLOY_APP_FINISHED ? DEPLOY_APP_FINISHED : DEPLOY_APP_RUNNING;
        sa->total_cores = a->total_cores;
        sa->executor_cores = a->executor_cores;
        sa->cores = a->cores;
        sa->executor_memory = a->executor_memory;
        memcpy(sa->driver, a->driver, sizeof sa->driver);
        for (uint32_t k = 0; sa->state == DEPLOY_APP_RUNNING && k < a->nexecs; k++) {
            const exec_rec *e = &a->execs[k];
            if (deploy_exec_state_final(e->state) ||
                m->workers[e->worker].state == DEPLOY_WORKER_DEAD)
                continue;
            deploy_exec_status *se = &s->execs[s->nexecs++];
            memcpy(se->app_id, a->id, sizeof se->app_id);
            se->executor = e->id;
            memcpy(se->worker_id, e->worker_id, sizeof se->worker_id);
            se->cores = e->cores;
            se->memory = a->executor_memory;
            se->state = e->state;
        }
    }
    return KILN_OK;
}

/* Ends the recovery: what did not come back is DEAD or FINISHED. */
static void complete_recovery(master *m, bool timed_out)
{
    uint32_t dead = 0, finished = 0;
    for (size_t i = 0; i < m->nworkers; i++) {
        worker_rec *w = &m->workers[i];
        if (w->state != DEPLOY_WORKER_UNKNOWN) continue;
        w->state = DEPLOY_WORKER_DEAD;
        LOG(LOG_WARN, "master", "worker %s (%s) is DEAD: it did not come back after the restart",
            w->id, w->offer.host);
        master_app_worker_gone(m, (int)i);
        dead++;
    }
    for (size_t i = 0; i < m->napps; i++) {
        app_rec *a = m->apps[i];
        if (!a || a->state != DEPLOY_APP_UNKNOWN) continue;
        master_app_finish(m, a, "its driver did not come back after the master restarted");
        finished++;
    }
    m->recovering = false;
    m->dirty = true;
    LOG(LOG_INFO, "master", "recovery complete%s: %u workers DEAD, %u applications FINISHED",
        timed_out ? " (timed out)" : "", dead, finished);
}

void master_recovery_tick(master *m)
{
    if (m->recovering) {
        bool pending = false;
        for (size_t i = 0; i < m->nworkers && !pending; i++)
            pending = m->workers[i].state == DEPLOY_WORKER_UNKNOWN;
        for (size_t i = 0; i < m->napps && !pending; i++)
            pending = m->apps[i] && m->apps[i]->state == DEPLOY_APP_UNKNOWN;
        bool late = deploy_now_ms() >= m->recovery_deadline;
        if (!pending || late) complete_recovery(m, pending);
    }
    if (!m->recovery_dir || !m->dirty || deploy_now_ms() < m->next_save_ms) return;
    master_state s;
    int rc = snapshot(m, &s);
    if (rc == KILN_OK) rc = master_state_save(m->recovery_dir, &s);
    master_state_release(&s);
    if (rc == KILN_OK) {
        m->dirty = false;
        return;
    }
    /* The old file stays whole; try again a bit later. */
    m->next_save_ms = deploy_now_ms() + SAVE_RETRY_MS;
    LOG_THROTTLED(&m->refused_log, LOG_WARN, "master", "cannot save the master's state: %s",
                  kiln_last_error());
}
