/*
 * io/write.c - the file system calls kiln's data files go through: full
 * writes (retrying short and interrupted writes, errors naming the path),
 * reads, fsync and rename as thin wrappers with the system calls' own
 * contract. Each asks the fault simulation (base/fault.h) first, so tests
 * can fail the Nth read, write, fsync or rename of the shuffle, spill, block
 * store and output committer as a disk would, with EIO; when no fault is
 * armed that is one relaxed atomic load (a test may pick another errno
 * than EIO, as ENOSPC for a full disk: fault_set_errno).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fault.h"
#include "io/io.h"

int io_write_full(int fd, const void *p, size_t n, const char *path)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w;
        if (fault_hit(FAULT_WRITE)) {
            errno = fault_errno(FAULT_WRITE);
            w = -1;
        } else {
            w = write(fd, b, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
        }
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return kiln_set_error(KILN_EIO, "cannot write %s: %s", path, strerror(errno));
        }
        b += w;
        n -= (size_t)w;
    }
    return KILN_OK;
}

ssize_t io_pread(int fd, void *p, size_t n, int64_t off)
{
    if (fault_hit(FAULT_READ)) {
        errno = EIO;
        return -1;
    }
    ssize_t r;
    do r = pread(fd, p, n, (off_t)off);
    while (r < 0 && errno == EINTR);
    return r;
}

ssize_t io_read(int fd, void *p, size_t n)
{
    if (fault_hit(FAULT_READ)) {
        errno = EIO;
        return -1;
    }
    ssize_t r;
    do r = read(fd, p, n);
    while (r < 0 && errno == EINTR);
    return r;
}

int io_pread_full(int fd, void *p, size_t n, int64_t off, int err, const char *path)
{
    uint8_t *b = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = io_pread(fd, b + got, n - got, off + (int64_t)got);
        if (r <= 0)
            return kiln_set_error(err, "cannot read %s: %s", path,
                                  r < 0 ? strerror(errno) : "file too short");
        got += (size_t)r;
    }
    return KILN_OK;
}

int io_fsync(int fd)
{
    if (fault_hit(FAULT_FSYNC)) {
        errno = EIO;
        return -1;
    }
    int r;
    do r = fsync(fd);
    while (r < 0 && errno == EINTR);
    return r;
}

int io_rename(const char *from, const char *to)
{
    if (fault_hit(FAULT_RENAME)) {
        errno = EIO;
        return -1;
    }
    return rename(from, to);
}

int io_rename_noreplace(const char *from, const char *to)
{
    if (fault_hit(FAULT_RENAME)) {
        errno = EIO;
        return -1;
    }
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    return rename(from, to);
}
