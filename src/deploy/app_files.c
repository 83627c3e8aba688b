/*
 * deploy/app_files.c - the files a driver ships to the workers of its
 * application (deploy.h): its own executable (/proc/self/exe, which names the
 * running program's inode even if the file is replaced), the paths of
 * kiln.files and those the executors' command needs (the Python package's
 * files, kiln_set_executor_files), each hashed once with sha256. Workers fetch them by hash over
 * an authenticated connection (FETCH_FILE), and get the bytes straight from
 * the file with sendfile (FILE_DATA); a hash the driver did not announce
 * gets ERROR, so nothing else on the driver's disk can be read this way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "deploy/deploy_int.h"

#define SERVE_IDLE_MS 60000   /* for the next request, and for each chunk to go out */
#define SEND_CHUNK (1u << 20) /* bytes per sendfile call */

struct app_files {
    uint32_t n;           /* entries, the executable first */
    deploy_file *entries; /* entries[0] is the executable, named "exe" */
    char **paths;         /* where each is read from */
};

int app_sha256_fd(int fd, const char *what, char hex[DEPLOY_SHA256_HEX], uint64_t *size)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return kiln_set_error(KILN_EIO, "sha256 of %s: OpenSSL failed", what);
    }
    uint8_t buf[65536];
    uint64_t total = 0;
    int rc = KILN_OK;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = kiln_set_error(KILN_EIO, "reading %s: %s", what, strerror(errno));
            break;
        }
        if (r == 0) break;
        if (EVP_DigestUpdate(md, buf, (size_t)r) != 1) {
            rc = kiln_set_error(KILN_EIO, "sha256 of %s: OpenSSL failed", what);
            break;
        }
        total += (uint64_t)r;
    }
    uint8_t digest[32];
    unsigned int dlen = 0;
    if (rc == KILN_OK && (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32))
        rc = kiln_set_error(KILN_EIO, "sha256 of %s: OpenSSL failed", what);
    EVP_MD_CTX_free(md);
    if (rc != KILN_OK) return rc;
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    *size = total;
    return KILN_OK;
}

void app_files_free(app_files *f)
{
    if (!f) return;
    for (uint32_t i = 0; i < f->n; i++) free(f->paths[i]);
    free(f->paths);
    free(f->entries);
    free(f);
}

/* Hashes path into entry i under name. */
static int add_file(app_files *f, const char *path, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kiln_set_error(errno == ENOENT ? KILN_ENOENT : KILN_EIO, "kiln.files: %s: %s", path,
                              strerror(errno));
    struct stat st;
    int rc = KILN_OK;
    if (fstat(fd, &st) != 0)
        rc = kiln_set_error(KILN_EIO, "kiln.files: %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = kiln_set_error(KILN_ECONF, "kiln.files: %s is not a regular file", path);
    else if ((uint64_t)st.st_size > UINT32_MAX)
        rc = kiln_set_error(KILN_ECONF, "kiln.files: %s is 4 GiB or larger (one frame)", path);
    else if (strlen(name) >= DEPLOY_NAME_MAX || !deploy_basename_valid(name))
        rc = kiln_set_error(KILN_ECONF, "kiln.files: %s has no usable base name", path);
    for (uint32_t i = 1; rc == KILN_OK && i < f->n; i++)
        if (!strcmp(f->entries[i].name, name))
            rc = kiln_set_error(KILN_ECONF, "kiln.files: %s and %s have the same name", path,
                                f->paths[i]);
    deploy_file *e = &f->entries[f->n];
    memset(e, 0, sizeof *e);
    if (rc == KILN_OK) rc = app_sha256_fd(fd, path, e->sha256, &e->size);
    close(fd);
    if (rc == KILN_OK && !(f->paths[f->n] = strdup(path))) rc = KILN_ENOMEM;
    if (rc != KILN_OK) return rc;
    snprintf(e->name, sizeof e->name, "%s", name);
    f->n++;
    return KILN_OK;
}

int app_files_new(const char *files_csv, app_files **out)
{
    return app_files_new_extra(files_csv, NULL, out);
}

int app_files_new_extra(const char *files_csv, const char *const *extra, app_files **out)
{
    size_t cap = 2;
    for (const char *p = files_csv; p && *p; p++) cap += *p == ',';
    for (size_t i = 0; extra && extra[i]; i++) cap++;
    if (cap > DEPLOY_MAX_FILES + 1)
        return kiln_set_error(KILN_ECONF, "kiln.files: more than %u files", DEPLOY_MAX_FILES);
    app_files *f = calloc(1, sizeof *f);
    char *list = files_csv ? strdup(files_csv) : NULL;
    if (f) f->entries = calloc(cap, sizeof *f->entries);
    if (f) f->paths = calloc(cap, sizeof *f->paths);
    if (!f || !f->entries || !f->paths || (files_csv && !list)) {
        free(list);
        app_files_free(f);
        return kiln_set_error(KILN_ENOMEM, "out of memory for kiln.files");
    }
    int rc = add_file(f, "/proc/self/exe", "exe");
    char *save = NULL;
    for (char *p = list ? strtok_r(list, ",", &save) : NULL; rc == KILN_OK && p;
         p = strtok_r(NULL, ",", &save)) {
        const char *slash = strrchr(p, '/');
        rc = add_file(f, p, slash ? slash + 1 : p);
    }
    for (size_t i = 0; rc == KILN_OK && extra && extra[i]; i++) {
        const char *slash = strrchr(extra[i], '/');
        rc = add_file(f, extra[i], slash ? slash + 1 : extra[i]);
    }
    free(list);
    if (rc != KILN_OK) {
        app_files_free(f);
        return rc;
    }
    *out = f;
    return KILN_OK;
}

const deploy_file *app_files_exe(const app_files *f)
{
    return &f->entries[0];
}

const deploy_file *app_files_list(const app_files *f, uint32_t *n)
{
    *n = f->n - 1;
    return f->entries + 1;
}

/* ---- Serving ---------------------------------------------------------------------- */

static int send_error(int fd, int code, const char *msg, const char *peer)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = net_msg_error_write(&b, code, msg);
    if (rc == KILN_OK) rc = net_send_frame(fd, NET_MSG_ERROR, b.data, b.len, SERVE_IDLE_MS, peer);
    kiln_buf_release(&b);
    return rc;
}

/* Sends FILE_DATA for entry i: the header, then the bytes with sendfile. */
static int send_file(const app_files *f, uint32_t i, int fd, const char *peer)
{
    const deploy_file *e = &f->entries[i];
    int ffd = open(f->paths[i], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (ffd < 0 || fstat(ffd, &st) != 0 || (uint64_t)st.st_size != e->size) {
        if (ffd >= 0) close(ffd);
        char msg[DEPLOY_NAME_MAX + 64];
        snprintf(msg, sizeof msg, "file %s changed or went away since it was hashed", e->name);
        return send_error(fd, KILN_EIO, msg, peer);
    }
    uint8_t hdr[NET_HEADER_SIZE];
    net_frame_header_write(hdr, NET_MSG_FILE_DATA, (uint32_t)e->size);
    /* Through TLS when the connection has it (net_send_file then reads and
     * encrypts; sendfile otherwise). */
    int rc = net_send_raw(fd, hdr, sizeof hdr, SERVE_IDLE_MS, peer);
    if (rc == KILN_OK) rc = net_send_file(fd, ffd, 0, e->size, SERVE_IDLE_MS, peer);
    close(ffd);
    return rc;
}

/* Answers one FETCH_FILE. */
static int serve_one(const app_files *f, int fd, const net_frame *req, const char *peer)
{
    char sha[DEPLOY_SHA256_HEX];
    int rc = deploy_msg_fetch_file_read(req, peer, sha);
    if (rc != KILN_OK) {
        char msg[NET_ERROR_MAX_MESSAGE];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        send_error(fd, rc, msg, peer);
        return rc;
    }
    for (uint32_t i = 0; i < f->n; i++)
        if (!strcmp(f->entries[i].sha256, sha)) return send_file(f, i, fd, peer);
    char msg[128];
    snprintf(msg, sizeof msg, "no file with sha256 %.16s... is served here", sha);
    LOG(LOG_WARN, "driver", "%s asked for a file not served: %s", peer, sha);
    return send_error(fd, KILN_ENOTFOUND, msg, peer);
}

int app_files_serve(const app_files *f, int fd, const net_frame *first, const char *peer)
{
    int rc = serve_one(f, fd, first, peer);
    while (rc == KILN_OK) {
        rc = net_wait(fd, POLLIN, net_deadline(SERVE_IDLE_MS), "waiting for a request from", peer);
        if (rc != KILN_OK) break;
        if (!net_tls_active(fd)) {
            char c;
            ssize_t r = recv(fd, &c, 1, MSG_PEEK);
            if (r == 0) return KILN_OK; /* the worker has what it wanted */
            if (r < 0 && errno == EINTR) continue;
            if (r < 0)
                return kiln_set_error(KILN_EIO, "reading from %s: %s", peer, strerror(errno));
        }
        net_frame req = {0};
        rc = net_recv_frame(fd, DEPLOY_CONTROL_MAX_FRAME, SERVE_IDLE_MS, peer, &req);
        /* Under TLS the end shows up as a close at a frame boundary. */
        if (rc == KILN_EIO && net_tls_active(fd) &&
            strstr(kiln_last_error(), "connection closed by") &&
            !strstr(kiln_last_error(), "inside"))
            return KILN_OK;
        if (rc == KILN_OK) rc = serve_one(f, fd, &req, peer);
        net_frame_release(&req);
    }
    return rc;
}
