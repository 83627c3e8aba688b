/*
 * net/secret.c - the shared secret of a cluster: generating one, and
 * resolving the configured value ("file:PATH" or the secret itself).
 *
 * A secret file must be private to its owner (mode 0600 or stricter), as ssh
 * insists for private keys: a secret others can read is no secret, and one
 * others can write lets them choose it. Refusing is better than warning,
 * because a warning in a worker's log is seen by nobody.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/base.h"
#include "net/net_int.h"

#define FILE_PREFIX "file:"

int net_secret_generate(char out[65])
{
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return kiln_set_error(KILN_EIO, "the system's random generator failed (RAND_bytes)");
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[64] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return KILN_OK;
}

void net_secret_free(uint8_t *secret, size_t len)
{
    if (secret == NULL) return;
    OPENSSL_cleanse(secret, len);
    free(secret);
}

/* Takes ownership of p (len bytes) as *out after checking its length. */
static int accept_secret(uint8_t *p, size_t len, const char *where, uint8_t **out, size_t *out_len)
{
    if (len < NET_SECRET_MIN || len > NET_SECRET_MAX) {
        net_secret_free(p, len);
        return kiln_set_error(KILN_ECONF,
                              "%s: the secret has %zu bytes; it needs %d to %d (make one "
                              "with: (umask 077; kiln secret > FILE))",
                              where, len, NET_SECRET_MIN, NET_SECRET_MAX);
    }
    *out = p;
    *out_len = len;
    return KILN_OK;
}

/* Checks that the open file fd at path is a regular file only its owner may
 * read or write. */
static int check_private(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return kiln_set_error(KILN_EIO, "secret file %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return kiln_set_error(KILN_ECONF, "secret file %s is not a regular file", path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return kiln_set_error(KILN_ECONF,
                              "secret file %s is accessible by group or others (mode %04o); "
                              "make it private: chmod 600 %s",
                              path, (unsigned)(st.st_mode & 07777), path);
    return KILN_OK;
}

/* Reads at most NET_SECRET_MAX + 2 bytes of fd (a newline may follow a
 * maximal secret; more is too long) into a new buffer. */
static int read_secret(int fd, const char *path, uint8_t **out, size_t *len)
{
    size_t cap = NET_SECRET_MAX + 2, n = 0;
    uint8_t *p = malloc(cap);
    if (p == NULL) return kiln_set_error(KILN_ENOMEM, "secret file %s: out of memory", path);
    for (;;) {
        ssize_t r = read(fd, p + n, cap - n);
        if (r > 0 && (n += (size_t)r) < cap) continue;
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            net_secret_free(p, cap);
            return kiln_set_error(KILN_EIO, "secret file %s: %s", path, strerror(e));
        }
        break; /* end of file, or the buffer is full */
    }
    *out = p;
    *len = n;
    return KILN_OK;
}

static int load_file(const char *path, uint8_t **out, size_t *out_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int code = errno == ENOENT ? KILN_ENOENT : KILN_ECONF;
        return kiln_set_error(code, "secret file %s: %s", path, strerror(errno));
    }
    uint8_t *p = NULL;
    size_t n = 0;
    int rc = check_private(fd, path);
    if (rc == KILN_OK) rc = read_secret(fd, path, &p, &n);
    close(fd);
    if (rc != KILN_OK) return rc;
    /* One trailing newline (as `echo` or an editor leaves) is not part of it. */
    if (n > 0 && p[n - 1] == '\n') n--;
    if (n > 0 && p[n - 1] == '\r') n--;
    char where[1100]; /* kiln_set_error keeps 1023 bytes anyway */
    snprintf(where, sizeof where, "secret file %s", path);
    return accept_secret(p, n, where, out, out_len);
}

int net_secret_load(const char *spec, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (spec == NULL || spec[0] == '\0')
        return kiln_set_error(KILN_ECONF, "no authentication secret configured: set "
                                          "kiln.authenticate.secret to the secret or to "
                                          "file:PATH");
    if (strncmp(spec, FILE_PREFIX, strlen(FILE_PREFIX)) == 0)
        return load_file(spec + strlen(FILE_PREFIX), out, len);
    size_t n = strlen(spec);
    uint8_t *p = malloc(n > 0 ? n : 1);
    if (p == NULL) return kiln_set_error(KILN_ENOMEM, "secret: out of memory");
    memcpy(p, spec, n);
    return accept_secret(p, n, "kiln.authenticate.secret", out, len);
}
