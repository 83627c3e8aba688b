/*
 * io/file.c - random access to one input file (io.h, io_file): the local
 * implementation, by pread, and object-store URLs through store.c's block
 * reader (ranged GETs), chosen by the path's scheme.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "io/store_int.h"

struct io_file {
    int fd;
    int64_t size;
    char *path;
    io_obj_reader *obj; /* an object-store URL (fd is -1) */
    int64_t read;       /* bytes read so far */
};

int io_file_open(const char *path, io_file **out)
{
    *out = NULL;
    if (io_path_is_url(path)) {
        io_file *f = calloc(1, sizeof *f);
        int rc = f && (f->path = strdup(path)) ? io_obj_reader_open(path, 0, &f->obj)
                                               : kiln_set_error(KILN_ENOMEM, "out of memory");
        if (rc) {
            if (f) free(f->path);
            free(f);
            return rc;
        }
        f->fd = -1;
        f->size = io_obj_reader_size(f->obj);
        *out = f;
        return KILN_OK;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kiln_set_error(errno == ENOENT ? KILN_ENOENT : KILN_EIO, "cannot open %s: %s", path,
                              strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return kiln_set_error(KILN_EIO, "cannot read %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return kiln_set_error(KILN_EIO, "cannot read %s: not a regular file", path);
    }
    io_file *f = calloc(1, sizeof *f);
    char *p = strdup(path);
    if (!f || !p) {
        free(f);
        free(p);
        close(fd);
        return kiln_set_error(KILN_ENOMEM, "out of memory opening %s", path);
    }
    f->fd = fd;
    f->size = (int64_t)st.st_size;
    f->path = p;
    *out = f;
    return KILN_OK;
}

int64_t io_file_size(const io_file *f)
{
    return f->size;
}

const char *io_file_path(const io_file *f)
{
    return f->path;
}

int io_file_pread(io_file *f, void *p, size_t n, int64_t off)
{
    if (off < 0 || (int64_t)n > f->size - off)
        return kiln_set_error(KILN_ECORRUPT, "%s: file too short: wanted %zu bytes at %lld",
                              f->path, n, (long long)off);
    int rc = f->obj ? io_obj_reader_pread(f->obj, p, n, off)
                    : io_pread_full(f->fd, p, n, off, KILN_EIO, f->path);
    if (rc == KILN_OK) f->read += (int64_t)n;
    return rc;
}

int64_t io_file_bytes_read(const io_file *f)
{
    return f ? f->read : 0;
}

void io_file_close(io_file *f)
{
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    io_obj_reader_close(f->obj);
    free(f->path);
    free(f);
}
