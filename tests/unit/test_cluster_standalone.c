/*
 * test_cluster_standalone.c - an application on the standalone cluster,
 * end to end on loopback: a master and a worker (this test's program
 * exec'd in their roles, running deploy_master_run / deploy_worker_run,
 * so that they may start threads under TSan; ephemeral ports, a temp
 * work dir and a mode 600 secret file), and this process as the driver:
 * it listens, registers with app_client_register, serves the worker's
 * FETCH_FILE requests with app_files_serve and sees the executors (this
 * very program, started by the worker from its cache, entering executor
 * mode in kiln_init) authenticate and send REGISTER_EXECUTOR with their
 * ids. Then: an executor killed with SIGKILL is restarted by the worker
 * with the same id (RESTARTING then RUNNING reach the driver); the status
 * lists the application and its executors; the cache holds the executable
 * and the shipped file under their sha256 and the executor's directory
 * holds the file; after app_client_close the executors are gone, the
 * application's directory too, and the application is FINISHED. A driver
 * with the wrong secret is refused, and no application or process appears.
 * An application that wants more cores than the worker has gets executors
 * on a second worker when it registers (Spark's schedule()). The master
 * (with a recovery directory) killed and restarted: the application and
 * its executors go on; one whose driver left meanwhile is ended when the
 * recovery times out. An application with an executor command (the
 * Python package's way: this program with a flag) has the worker run that
 * command, its extra files linked in, and the last line of the dying
 * command's stderr reaches the driver in the FAILED report.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy_int.h"
#include "io/io.h"
#include "kt.h"

static char tmp[256], work[PATH_MAX], secret_spec[PATH_MAX + 8], data_path[PATH_MAX],
    recovery[PATH_MAX];
static int master_port; /* 0 until the first master chose one; restarts keep it */
static pid_t master_pid = -1, worker_pid = -1;
static net_url master_url;

/* ---- Helpers ------------------------------------------------------------------------ */

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The pids whose working directory is under dir (the executors there). */
static int procs_under(const char *dir, pid_t *pids, int max)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *de;
    size_t len = strlen(dir);
    while (d && (de = readdir(d))) {
        char link[300], cwd[PATH_MAX];
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        snprintf(link, sizeof link, "/proc/%s/cwd", de->d_name);
        ssize_t r = readlink(link, cwd, sizeof cwd - 1);
        if (r <= 0) continue;
        cwd[r] = '\0';
        if (strncmp(cwd, dir, len) == 0 && (cwd[len] == '/' || cwd[len] == '\0') && n < max)
            pids[n++] = (pid_t)atoi(de->d_name);
    }
    if (d) closedir(d);
    return n;
}

static int status(deploy_status *s)
{
    memset(s, 0, sizeof *s);
    return deploy_status_fetch(&master_url, secret_spec, 5000, s);
}

/* ---- The cluster ---------------------------------------------------------------------- */

/* The master and workers run as this program exec'd with a role flag
 * (main), never as a fork of this threaded process that goes on running:
 * they start threads (the master's web server), which TSan (and POSIX)
 * allow only in a process that exec'd after its fork. */
#define MASTER_FLAG "--kiln-test-master"
#define WORKER_FLAG "--kiln-test-worker"

/* Forks and execs this program with argv (argv[0] is replaced); the
 * child does nothing else between the two. Returns the child's pid. */
static pid_t spawn(char **argv)
{
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    argv[0] = self;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(self, argv);
        _exit(127);
    }
    return pid;
}

/* The master's role: MASTER_FLAG PORT SECRET_SPEC RECOVERY_DIR FD (the
 * announce line goes to FD). */
static int run_master(char **argv)
{
    FILE *announce = fdopen(atoi(argv[5]), "w");
    if (!announce) return 1;
    deploy_master_opts o = {.host = "127.0.0.1",
                            .port = atoi(argv[2]),
                            .secret_spec = argv[3],
                            .network_timeout_ms = 5000,
                            .announce = announce,
                            .recovery_dir = argv[4]};
    int rc = deploy_master_run(&o);
    fclose(announce);
    return rc == KILN_OK ? 0 : 1; /* LSan checks the master */
}

/* A worker's role: WORKER_FLAG MASTER_URL WORK_DIR SECRET_SPEC. */
static int run_worker(char **argv)
{
    deploy_worker_opts o = {.web_port = -1, /* the test reads no worker page */
                            .host = "127.0.0.1",
                            .cores = 2,
                            .memory = 2ull << 30,
                            .work_dir = argv[3],
                            .secret_spec = argv[4],
                            .heartbeat_ms = 200,
                            .max_attempts = 5,
                            .max_restarts = 3};
    if (net_url_parse(argv[2], &o.master) != KILN_OK) return 1;
    return deploy_worker_run(&o) == KILN_OK ? 0 : 1; /* and the worker */
}

static pid_t spawn_worker(const char *dir)
{
    char url[DEPLOY_URL_MAX];
    net_url_format(url, sizeof url, "kiln", master_url.host, master_url.port);
    char *argv[] = {NULL, WORKER_FLAG, url, (char *)dir, secret_spec, NULL};
    return spawn(argv);
}

static void start_master(void)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    char port[16], fd[16];
    snprintf(port, sizeof port, "%d", master_port);
    snprintf(fd, sizeof fd, "%d", p[1]);
    char *argv[] = {NULL, MASTER_FLAG, port, secret_spec, recovery, fd, NULL};
    master_pid = spawn(argv);
    close(p[1]);
    FILE *in = fdopen(p[0], "r");
    char line[512] = "";
    assert_non_null(fgets(line, sizeof line, in));
    fclose(in);
    char *url = strstr(line, "kiln://"), *comma = url ? strchr(url, ',') : NULL;
    assert_non_null(comma);
    *comma = '\0';
    KT_OK(net_url_parse(url, &master_url));
    master_port = master_url.port;
}

static void start_worker(void)
{
    worker_pid = spawn_worker(work);
    for (int i = 0; i < 100; i++) {
        deploy_status s;
        if (status(&s) == KILN_OK && s.nworkers == 1 && s.workers[0].state == DEPLOY_WORKER_ALIVE) {
            deploy_status_release(&s);
            return;
        }
        deploy_status_release(&s);
        sleep_ms(100);
    }
    fail_msg("the worker did not register: %s", kiln_last_error());
}

/* Stops a forked master or worker; it must exit 0 (under ASan: no leak). */
static void stop(pid_t *pid)
{
    if (*pid <= 0) return;
    kill(*pid, SIGTERM);
    int st;
    waitpid(*pid, &st, 0);
    *pid = -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("a forked master or worker exited with %#x", st);
}

static int setup(void **state)
{
    setenv("KILN_LOG_LEVEL", "WARN", 0);
    snprintf(tmp, sizeof tmp, "/tmp/kiln-standalone-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    snprintf(work, sizeof work, "%s/work", tmp);
    snprintf(recovery, sizeof recovery, "%s/recovery", tmp);
    char secret_path[PATH_MAX], hex[65];
    snprintf(secret_path, sizeof secret_path, "%s/secret", tmp);
    KT_OK(net_secret_generate(hex));
    write_file(secret_path, hex, 0600);
    snprintf(secret_spec, sizeof secret_spec, "file:%s", secret_path);
    snprintf(data_path, sizeof data_path, "%s/lookup.txt", tmp);
    write_file(data_path, "shipped with the application\n", 0644);
    start_master();
    start_worker();
    return 0;
}

static int teardown(void **state)
{
    stop(&worker_pid);
    stop(&master_pid);
    io_remove_tree(tmp);
    return 0;
}

/* ---- The driver's side ---------------------------------------------------------------- */

/* What APP_EXECUTOR said, in order. */
typedef struct events {
    pthread_mutex_t lock;
    int n;
    uint32_t exec[64];
    int state[64];
} events;

static void on_executor(void *arg, uint32_t executor, int state, const char *message)
{
    events *ev = arg;
    pthread_mutex_lock(&ev->lock);
    if (ev->n < 64) {
        ev->exec[ev->n] = executor;
        ev->state[ev->n++] = state;
    }
    pthread_mutex_unlock(&ev->lock);
}

static int count(events *ev, uint32_t executor, int state)
{
    pthread_mutex_lock(&ev->lock);
    int k = 0;
    for (int i = 0; i < ev->n; i++) k += ev->exec[i] == executor && ev->state[i] == state;
    pthread_mutex_unlock(&ev->lock);
    return k;
}

/* Accepts connections on lfd until an executor registers: serves file
 * fetches on the way. Returns the executor's id; *fd keeps its connection. */
static uint32_t next_executor(int lfd, const app_files *files, const uint8_t *secret, size_t slen,
                              int *fd)
{
    for (;;) {
        char peer[64];
        KT_OK(net_accept(lfd, 60000, fd, peer, sizeof peer));
        KT_OK(net_auth_server(*fd, secret, slen, 10000, peer));
        net_frame f = {0};
        KT_OK(net_recv_frame(*fd, 1 << 16, 30000, peer, &f));
        if (f.type == NET_MSG_FETCH_FILE) {
            KT_OK(app_files_serve(files, *fd, &f, peer));
            net_frame_release(&f);
            net_close(*fd);
            continue;
        }
        assert_int_equal(f.type, NET_MSG_REGISTER_EXECUTOR);
        wire_reader r;
        wire_reader_init(&r, f.payload.data, f.payload.len, "REGISTER_EXECUTOR");
        uint32_t id = wire_get_u32(&r, "executor");
        uint32_t slot = wire_get_u32(&r, "slot");
        uint32_t slots = wire_get_u32(&r, "slots");
        (void)wire_get_u64(&r, "incarnation");
        char host[NET_HOST_MAX];
        wire_get_str(&r, host, sizeof host, "block host");
        uint32_t port = wire_get_u32(&r, "block port");
        KT_OK(wire_reader_end(&r));
        assert_int_equal(slots, 1);
        assert_true(port > 0 && port < 65536);
        assert_int_equal(slot, 0); /* one core each: one slot */
        net_frame_release(&f);
        return id;
    }
}

static void load_secret(uint8_t **secret, size_t *slen)
{
    KT_OK(net_secret_load(secret_spec, secret, slen));
}

static void wrong_secret_is_refused(void **state)
{
    app_files *files;
    KT_OK(app_files_new(NULL, &files));
    app_request req = {.name = "intruder",
                       .driver_host = "127.0.0.1",
                       .driver_port = 9,
                       .executor_memory = 256u << 20,
                       .files = files};
    const char wrong[] = "0000000000000000000000000000000000000000000000000000000000000000";
    app_grant grant;
    app_client *c = NULL;
    KT_RC(KILN_EINVAL, app_client_register(&master_url, (const uint8_t *)wrong, strlen(wrong), &req,
                                           5000, NULL, NULL, &grant, &c));
    assert_null(c);
    sleep_ms(300);
    deploy_status s;
    KT_OK(status(&s));
    assert_int_equal(s.napps, 0);
    assert_int_equal(s.nexecs, 0);
    deploy_status_release(&s);
    pid_t pids[4];
    assert_int_equal(procs_under(work, pids, 4), 0);
    char cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/cache", work);
    assert_false(exists(cache));
    app_files_free(files);
}

static void executors_run_restart_and_go(void **state)
{
    uint8_t *secret;
    size_t slen;
    load_secret(&secret, &slen);
    int lfd, port;
    KT_OK(net_listen("127.0.0.1", 0, 16, &lfd, &port));
    app_files *files;
    KT_OK(app_files_new(data_path, &files));
    /* The conf lines executors get: never the secret, nothing that is not one line. */
    kiln_buf conf;
    kiln_buf_init(&conf);
    KT_OK(app_conf_line_add(&conf, "kiln.ui.showConsoleProgress", "false"));
    KT_OK(app_conf_line_add(&conf, "kiln.authenticate.secret", "never-sent-to-executors"));
    KT_OK(app_conf_line_add(&conf, "kiln.x", "two\nlines"));
    KT_OK(app_conf_line_add(&conf, "a=b", "c"));
    assert_int_equal(conf.len, strlen("kiln.ui.showConsoleProgress=false\n"));
    assert_memory_equal(conf.data, "kiln.ui.showConsoleProgress=false\n", conf.len);
    app_request req = {.name = "standalone test",
                       .driver_host = "127.0.0.1",
                       .driver_port = port,
                       .total_cores = 2,
                       .executor_cores = 1,
                       .executor_memory = 256u << 20,
                       .conf = (const char *)conf.data,
                       .conf_len = conf.len,
                       .files = files};
    events ev = {.lock = PTHREAD_MUTEX_INITIALIZER};
    app_grant grant;
    app_client *c;
    KT_OK(
        app_client_register(&master_url, secret, slen, &req, 10000, on_executor, &ev, &grant, &c));
    assert_string_equal(grant.app_id, "app-1");
    assert_int_equal(grant.executors, 2);
    assert_int_equal(grant.cores, 2);

    /* Both executors arrive (the worker fetched the files first). */
    int fds[3];
    bool got[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        uint32_t id = next_executor(lfd, files, secret, slen, &fds[i]);
        assert_true(id < 2 && !got[id]);
        got[id] = true;
    }
    /* Cached by hash; the file linked into the executor's directory. */
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/cache/%s", work, app_files_exe(files)->sha256);
    assert_true(exists(path));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    uint32_t nf;
    const deploy_file *shipped = app_files_list(files, &nf);
    assert_int_equal(nf, 1);
    assert_string_equal(shipped[0].name, "lookup.txt");
    snprintf(path, sizeof path, "%s/cache/%s", work, shipped[0].sha256);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/app-1/0/lookup.txt", work);
    assert_true(exists(path));

    /* The status lists the application and its executors. */
    deploy_status s;
    KT_OK(status(&s));
    assert_int_equal(s.napps, 1);
    assert_string_equal(s.apps[0].id, "app-1");
    assert_string_equal(s.apps[0].name, "standalone test");
    assert_int_equal(s.apps[0].state, DEPLOY_APP_RUNNING);
    assert_int_equal(s.apps[0].cores, 2);
    assert_int_equal(s.nexecs, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(s.execs[i].worker_id, "worker-1");
        assert_int_equal(s.execs[i].cores, 1);
        assert_int_equal(s.execs[i].state, DEPLOY_EXEC_RUNNING);
    }
    deploy_status_release(&s);

    /* SIGKILL executor 0: the worker starts it again with the same id. */
    char dir0[PATH_MAX + 16];
    snprintf(dir0, sizeof dir0, "%s/app-1/0", work);
    pid_t pids[4];
    assert_int_equal(procs_under(dir0, pids, 4), 1);
    assert_int_equal(kill(pids[0], SIGKILL), 0);
    uint32_t again = next_executor(lfd, files, secret, slen, &fds[2]);
    assert_int_equal(again, 0);
    for (int i = 0; i < 50 && count(&ev, 0, DEPLOY_EXEC_RUNNING) < 2; i++) sleep_ms(100);
    assert_int_equal(count(&ev, 0, DEPLOY_EXEC_RESTARTING), 1);
    assert_int_equal(count(&ev, 0, DEPLOY_EXEC_RUNNING), 2); /* launched, restarted */
    assert_int_equal(count(&ev, 1, DEPLOY_EXEC_RUNNING), 1);
    pid_t now[4];
    assert_int_equal(procs_under(dir0, now, 4), 1);
    assert_true(now[0] != pids[0]);

    /* The driver leaves: executors killed, directory removed, app FINISHED. */
    app_client_close(c);
    bool done = false;
    for (int i = 0; i < 100 && !done; i++) {
        sleep_ms(100);
        KT_OK(status(&s));
        snprintf(path, sizeof path, "%s/app-1", work);
        done = s.napps == 1 && s.apps[0].state == DEPLOY_APP_FINISHED && s.nexecs == 0 &&
               procs_under(work, pids, 4) == 0 && !exists(path);
        deploy_status_release(&s);
    }
    assert_true(done);
    /* The cache stays for the next application. */
    snprintf(path, sizeof path, "%s/cache/%s", work, app_files_exe(files)->sha256);
    assert_true(exists(path));
    for (int i = 0; i < 3; i++) net_close(fds[i]);
    net_close(lfd);
    app_files_free(files);
    kiln_buf_release(&conf);
    net_secret_free(secret, slen);
}

/* Spark's schedule(): an application that wants more cores than the
 * workers had gets executors on a worker that registers later. */
static void later_worker_adds_executors(void **state)
{
    uint8_t *secret;
    size_t slen;
    load_secret(&secret, &slen);
    int lfd, port;
    KT_OK(net_listen("127.0.0.1", 0, 16, &lfd, &port));
    app_files *files;
    KT_OK(app_files_new(NULL, &files));
    app_request req = {.name = "wants four",
                       .driver_host = "127.0.0.1",
                       .driver_port = port,
                       .total_cores = 4,
                       .executor_cores = 1,
                       .executor_memory = 256u << 20,
                       .files = files};
    events ev = {.lock = PTHREAD_MUTEX_INITIALIZER};
    app_grant grant;
    app_client *c;
    KT_OK(
        app_client_register(&master_url, secret, slen, &req, 10000, on_executor, &ev, &grant, &c));
    assert_int_equal(grant.executors, 2); /* all worker-1 has */
    assert_int_equal(grant.cores, 2);
    int fds[4];
    for (int i = 0; i < 2; i++) assert_true(next_executor(lfd, files, secret, slen, &fds[i]) < 2);
    /* A second worker joins: the two cores still wanted go there. */
    char work2[PATH_MAX + 8];
    snprintf(work2, sizeof work2, "%s2", work);
    pid_t second = spawn_worker(work2);
    bool got[4] = {false, false, false, false};
    for (int i = 2; i < 4; i++) {
        uint32_t id = next_executor(lfd, files, secret, slen, &fds[i]);
        assert_true(id >= 2 && id < 4 && !got[id]);
        got[id] = true;
    }
    deploy_status s;
    KT_OK(status(&s));
    uint32_t on_second = 0, running = 0;
    for (uint32_t i = 0; i < s.nexecs; i++) {
        if (strcmp(s.execs[i].app_id, grant.app_id)) continue;
        running += s.execs[i].state == DEPLOY_EXEC_RUNNING;
        on_second += !strcmp(s.execs[i].worker_id, "worker-2");
    }
    assert_int_equal(running, 4);
    assert_int_equal(on_second, 2);
    for (uint32_t i = 0; i < s.napps; i++)
        if (!strcmp(s.apps[i].id, grant.app_id)) assert_int_equal(s.apps[i].cores, 4);
    deploy_status_release(&s);
    app_client_close(c);
    pid_t pids[4];
    bool done = false;
    for (int i = 0; i < 100 && !done; i++) {
        sleep_ms(100);
        done = procs_under(work, pids, 4) == 0 && procs_under(work2, pids, 4) == 0;
    }
    assert_true(done);
    stop(&second);
    for (int i = 0; i < 4; i++) net_close(fds[i]);
    net_close(lfd);
    app_files_free(files);
    net_secret_free(secret, slen);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The master killed (SIGKILL) and restarted on its port with its recovery
 * directory: the executors keep running and never reconnect, the driver
 * registers its application again under the same id, the worker comes
 * back as worker-1 with them. Then the master is killed again and the
 * driver closes while it is away (without waiting for it): the restarted
 * master recovers the application, which never comes back, and kills its
 * executors when the recovery times out. */
static void master_restart_keeps_the_application(void **state)
{
    uint8_t *secret;
    size_t slen;
    load_secret(&secret, &slen);
    int lfd, port;
    KT_OK(net_listen("127.0.0.1", 0, 16, &lfd, &port));
    app_files *files;
    KT_OK(app_files_new(NULL, &files));
    app_request req = {.name = "outlives its master",
                       .driver_host = "127.0.0.1",
                       .driver_port = port,
                       .total_cores = 2,
                       .executor_cores = 1,
                       .executor_memory = 256u << 20,
                       .files = files};
    events ev = {.lock = PTHREAD_MUTEX_INITIALIZER};
    app_grant grant;
    app_client *c;
    KT_OK(
        app_client_register(&master_url, secret, slen, &req, 10000, on_executor, &ev, &grant, &c));
    int fds[2];
    for (int i = 0; i < 2; i++) assert_true(next_executor(lfd, files, secret, slen, &fds[i]) < 2);
    pid_t before[4], after[4];
    assert_int_equal(procs_under(work, before, 4), 2);

    kill(master_pid, SIGKILL);
    waitpid(master_pid, NULL, 0);
    sleep_ms(300);
    start_master();
    bool back = false;
    for (int i = 0; i < 300 && !back; i++) {
        sleep_ms(100);
        deploy_status s;
        if (status(&s) != KILN_OK) continue;
        uint32_t running = 0;
        for (uint32_t k = 0; k < s.nexecs; k++)
            running += !strcmp(s.execs[k].app_id, grant.app_id) &&
                       s.execs[k].state == DEPLOY_EXEC_RUNNING &&
                       !strcmp(s.execs[k].worker_id, "worker-1");
        for (uint32_t k = 0; k < s.napps; k++)
            back = back || (!strcmp(s.apps[k].id, grant.app_id) &&
                            s.apps[k].state == DEPLOY_APP_RUNNING && s.apps[k].cores == 2);
        back = back && running == 2 && s.nworkers >= 1 &&
               s.workers[0].state == DEPLOY_WORKER_ALIVE && !strcmp(s.workers[0].id, "worker-1") &&
               !s.recovering;
        deploy_status_release(&s);
    }
    assert_true(back);
    /* The same processes; no executor connected again, none was lost. */
    assert_int_equal(procs_under(work, after, 4), 2);
    assert_true((after[0] == before[0] && after[1] == before[1]) ||
                (after[0] == before[1] && after[1] == before[0]));
    struct pollfd pl = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pl, 1, 300), 0);
    assert_int_equal(count(&ev, 0, DEPLOY_EXEC_LOST) + count(&ev, 1, DEPLOY_EXEC_LOST), 0);

    /* Killed again: closing the driver's client does not wait for it. */
    kill(master_pid, SIGKILL);
    waitpid(master_pid, NULL, 0);
    sleep_ms(700); /* the client is between attempts */
    int64_t t0 = now_ms();
    app_client_close(c);
    KT_CHECK(now_ms() - t0 < 6000, "app_client_close took %lld ms without a master",
             (long long)(now_ms() - t0));
    start_master();
    /* Its driver never comes back: when the recovery times out (5 s) the
     * application is FINISHED and its executors are killed. */
    bool done = false;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", work, grant.app_id);
    for (int i = 0; i < 300 && !done; i++) {
        sleep_ms(100);
        deploy_status s;
        if (status(&s) != KILN_OK) continue;
        for (uint32_t k = 0; k < s.napps; k++)
            done = done ||
                   (!strcmp(s.apps[k].id, grant.app_id) && s.apps[k].state == DEPLOY_APP_FINISHED);
        done = done && !s.recovering && procs_under(work, after, 4) == 0 && !exists(path);
        deploy_status_release(&s);
    }
    assert_true(done);
    for (int i = 0; i < 2; i++) net_close(fds[i]);
    net_close(lfd);
    app_files_free(files);
    net_secret_free(secret, slen);
}

static void driver_serves_only_its_files(void **state)
{
    app_files *files;
    KT_RC(KILN_ENOENT, app_files_new("/nonexistent/kiln-file", &files));
    assert_non_null(strstr(kiln_last_error(), "/nonexistent/kiln-file"));
    KT_OK(app_files_new(data_path, &files));
    /* A socket pair stands for the authenticated connection. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(deploy_msg_fetch_file_write(
        &b, "1111111111111111111111111111111111111111111111111111111111111111"));
    net_frame req = {.type = NET_MSG_FETCH_FILE, .payload = b};
    shutdown(sv[0], SHUT_RD); /* the peer "closes" after the answer */
    KT_OK(app_files_serve(files, sv[0], &req, "test peer"));
    net_frame f = {0};
    KT_OK(net_recv_frame(sv[1], 4096, 1000, "driver", &f));
    assert_int_equal(f.type, NET_MSG_ERROR);
    net_frame_release(&f);
    kiln_buf_release(&b);
    close(sv[0]);
    close(sv[1]);
    app_files_free(files);
}

/* What the command of command_runs_and_failure_is_told says and does. */
#define FAILING_FLAG "--kiln-test-executor-fails"

static int failing_executor(void)
{
    fprintf(stderr, "starting\n");
    fprintf(stderr, "the executor cannot start: extra.txt %s\n\n",
            exists("extra.txt") ? "is here" : "is missing");
    return 3;
}

/* The last FAILED report's message. */
typedef struct failure {
    pthread_mutex_t lock;
    int failed;
    char message[DEPLOY_MESSAGE_MAX];
} failure;

static void on_failure(void *arg, uint32_t executor, int state, const char *message)
{
    failure *f = arg;
    if (state != DEPLOY_EXEC_FAILED) return;
    pthread_mutex_lock(&f->lock);
    f->failed++;
    snprintf(f->message, sizeof f->message, "%s", message);
    pthread_mutex_unlock(&f->lock);
}

static void command_runs_and_failure_is_told(void **state)
{
    uint8_t *secret;
    size_t slen;
    load_secret(&secret, &slen);
    int lfd, port;
    KT_OK(net_listen("127.0.0.1", 0, 16, &lfd, &port));
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    /* A file no earlier test shipped: the worker must fetch it. */
    char extra_path[PATH_MAX];
    snprintf(extra_path, sizeof extra_path, "%s/extra.txt", tmp);
    write_file(extra_path, "needed by the executor command\n", 0644);
    const char *extra[] = {extra_path, NULL};
    const char *command[] = {self, FAILING_FLAG, NULL};
    app_files *files;
    KT_OK(app_files_new_extra(NULL, extra, &files));
    uint32_t nf;
    assert_string_equal(app_files_list(files, &nf)[0].name, "extra.txt");
    assert_int_equal(nf, 1);
    app_request req = {.name = "command",
                       .driver_host = "127.0.0.1",
                       .driver_port = port,
                       .total_cores = 1,
                       .executor_cores = 1,
                       .executor_memory = 256u << 20,
                       .files = files,
                       .command = command};
    failure f = {.lock = PTHREAD_MUTEX_INITIALIZER};
    app_grant grant;
    app_client *c;
    KT_OK(app_client_register(&master_url, secret, slen, &req, 10000, on_failure, &f, &grant, &c));
    assert_int_equal(grant.executors, 1);
    /* The worker fetches the extra file (once: restarts find it cached). */
    int fd;
    char peer[64];
    KT_OK(net_accept(lfd, 30000, &fd, peer, sizeof peer));
    KT_OK(net_auth_server(fd, secret, slen, 10000, peer));
    net_frame fr = {0};
    KT_OK(net_recv_frame(fd, 1 << 16, 30000, peer, &fr));
    assert_int_equal(fr.type, NET_MSG_FETCH_FILE);
    KT_OK(app_files_serve(files, fd, &fr, peer));
    net_frame_release(&fr);
    net_close(fd);
    /* It dies at once, is restarted 3 times, then FAILED with its words. */
    int failed = 0;
    for (int i = 0; i < 100 && !failed; i++) {
        sleep_ms(100);
        pthread_mutex_lock(&f.lock);
        failed = f.failed;
        pthread_mutex_unlock(&f.lock);
    }
    assert_true(failed >= 1);
    pthread_mutex_lock(&f.lock);
    if (!strstr(f.message, "exited with status 3 (the executor cannot start: extra.txt is here)"))
        fail_msg("FAILED said '%s'", f.message);
    assert_null(strstr(f.message, "starting"));
    pthread_mutex_unlock(&f.lock);
    app_client_close(c);
    pid_t pids[4];
    for (int i = 0; i < 50 && procs_under(work, pids, 4) > 0; i++) sleep_ms(100);
    net_close(lfd);
    app_files_free(files);
    net_secret_free(secret, slen);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], FAILING_FLAG)) return failing_executor();
    if (argc == 6 && !strcmp(argv[1], MASTER_FLAG)) return run_master(argv);
    if (argc == 5 && !strcmp(argv[1], WORKER_FLAG)) return run_worker(argv);
    kt_init(&argc, &argv); /* executors started by the worker take over here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(driver_serves_only_its_files),
        cmocka_unit_test(wrong_secret_is_refused),
        cmocka_unit_test(executors_run_restart_and_go),
        cmocka_unit_test(later_worker_adds_executors),
        cmocka_unit_test(master_restart_keeps_the_application),
        cmocka_unit_test(command_runs_and_failure_is_told),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
