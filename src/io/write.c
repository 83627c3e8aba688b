/*
 * io/write.c - the one place kiln writes file data: full writes with retry of
 * short and interrupted writes, errors that name the path, and a fault
 * injector for tests (fail the Nth write with a chosen errno), so every
 * writer's failure path can be exercised.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"

static atomic_long fault_countdown; /* writes left before the injected one; 0: off */
static atomic_int fault_errno;

void io_fault_fail_write(long nth, int err)
{
    atomic_store(&fault_errno, err);
    atomic_store(&fault_countdown, nth);
}

/* True when this write is the one to fail. */
static bool injected(void)
{
    long left = atomic_load(&fault_countdown);
    while (left > 0) {
        if (atomic_compare_exchange_weak(&fault_countdown, &left, left - 1)) return left == 1;
    }
    return false;
}

int io_write_full(int fd, const void *p, size_t n, const char *path)
{
    const uint8_t *b = p;
    if (injected()) {
        errno = atomic_load(&fault_errno);
        return kiln_set_error(KILN_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    while (n > 0) {
        ssize_t w = write(fd, b, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n);
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
