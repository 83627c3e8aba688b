/*
 * io/dataset_place.c - the last step of a write into a directory that
 * exists: the committed output of the job (a hidden staging directory
 * beside the target, see commit.c) is moved into the target by renames
 * only, so readers see each partition directory old or new, never half
 * of it, and a failure puts the target back as it was.
 *
 *   append       every file moved in (directories merged; a partition
 *                directory the target lacks arrives whole, by one rename)
 *   whole        target renamed aside, staging renamed to target, the old
 *                one removed last
 *   partitions   each directory `depth` levels below staging ("a=1/b=x")
 *                swapped with the target's of that name: the old one
 *                renamed aside (".b=x-kiln-old-N", hidden from listings),
 *                the new one renamed in; asides removed after the last swap
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"

static int place_error(const char *what, const char *path)
{
    int err = errno;
    return kiln_set_error(err == ENOMEM ? KILN_ENOMEM : KILN_EIO, "%s %s: %s", what, path,
                          strerror(err));
}

static int nomem(const char *path)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory placing the output at %s", path);
}

/* A hidden name beside path for its old version: dir/.<leaf>-kiln-old-<pid>-<n>. */
static char *aside_name(const char *path)
{
    static _Atomic unsigned counter;
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    char *out = NULL;
    if (asprintf(&out, "%.*s.%s-kiln-old-%d-%u", (int)dir, path, path + dir, (int)getpid(),
                 atomic_fetch_add(&counter, 1)) < 0)
        return NULL;
    return out;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates the missing directories of path itself (mkdir -p). */
static int make_dirs(char *path)
{
    for (char *s = path + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        int bad = mkdir(path, 0777) != 0 && errno != EEXIST;
        if (bad) {
            int rc = place_error("cannot create directory", path);
            *s = c;
            return rc;
        }
        *s = c;
        if (c == '\0') return KILN_OK;
    }
}

/* Append: moves the entries of from into to, never replacing a name. */
static int merge(const char *from, const char *to, bool top)
{
    DIR *d = opendir(from);
    if (!d) return place_error("cannot list", from);
    int rc = KILN_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (top && e->d_name[0] == '_')) continue;
        char *src = io_path_join(from, e->d_name), *dst = io_path_join(to, e->d_name);
        if (!src || !dst) rc = nomem(to);
        else if (is_dir(src) && is_dir(dst)) rc = merge(src, dst, false);
        else if (io_rename_noreplace(src, dst) != 0)
            rc = place_error("cannot move the output to", dst);
        free(src);
        free(dst);
    }
    closedir(d);
    return rc;
}

/* The relative paths of the directories depth levels below root/rel. */
typedef struct rel_list {
    char **p;
    int n, cap;
} rel_list;

static int collect(const char *root, const char *rel, int depth, rel_list *out)
{
    char *dir = rel[0] ? io_path_join(root, rel) : strdup(root);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!dir) return nomem(root);
    if (!d) {
        int rc = place_error("cannot list", dir);
        free(dir);
        return rc;
    }
    int rc = KILN_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (e->d_name[0] == '_' && !strchr(e->d_name, '='))) continue;
        char *sub = rel[0] ? io_path_join(rel, e->d_name) : strdup(e->d_name);
        char *full = sub ? io_path_join(root, sub) : NULL;
        if (!sub || !full) rc = nomem(root);
        else if (!is_dir(full)) {
            /* A file above the partition level: not part of a partition. */
        } else if (depth > 1) {
            rc = collect(root, sub, depth - 1, out);
        } else {
            if (out->n == out->cap) {
                int cap = out->cap ? out->cap * 2 : 16;
                char **p = realloc(out->p, sizeof *p * (size_t)cap);
                if (!p) rc = nomem(root);
                else {
                    out->p = p;
                    out->cap = cap;
                }
            }
            if (!rc) {
                out->p[out->n++] = sub;
                sub = NULL;
            }
        }
        free(sub);
        free(full);
    }
    closedir(d);
    free(dir);
    return rc;
}

/* One partition swapped in: the target's directory and its old version
 * (NULL when there was none). */
typedef struct swap {
    char *target, *aside;
} swap;

static int replace_dirs(const char *staging, const char *target, int depth)
{
    rel_list rels = {0};
    int rc = collect(staging, "", depth, &rels);
    swap *sw = calloc((size_t)rels.n + 1, sizeof *sw);
    if (!rc && !sw) rc = nomem(target);
    int done = 0;
    for (int i = 0; !rc && i < rels.n; i++) {
        char *src = io_path_join(staging, rels.p[i]), *dst = io_path_join(target, rels.p[i]);
        char *aside = dst && is_dir(dst) ? aside_name(dst) : NULL;
        if (!src || !dst || (is_dir(dst) && !aside)) {
            rc = nomem(target);
        } else {
            char *slash = strrchr(dst, '/');
            *slash = '\0';
            rc = make_dirs(dst);
            *slash = '/';
            if (!rc && aside && io_rename(dst, aside) != 0)
                rc = place_error("cannot replace the partition", dst);
            if (!rc && io_rename(src, dst) != 0) {
                rc = place_error("cannot move the output to", dst);
                if (aside) (void)io_rename(aside, dst);
            }
        }
        if (!rc) {
            sw[done++] = (swap){dst, aside};
        } else {
            free(dst);
            free(aside);
        }
        free(src);
    }
    if (rc) {
        /* Put the old partitions back, newest swap first. */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", kiln_last_error());
        for (int i = done - 1; i >= 0; i--) {
            (void)io_remove_tree(sw[i].target);
            if (sw[i].aside) (void)io_rename(sw[i].aside, sw[i].target);
        }
        kiln_set_error(rc, "%s", msg);
    } else {
        for (int i = 0; i < done; i++)
            if (sw[i].aside) (void)io_remove_tree(sw[i].aside);
    }
    for (int i = 0; i < done; i++) {
        free(sw[i].target);
        free(sw[i].aside);
    }
    for (int i = 0; i < rels.n; i++) free(rels.p[i]);
    free(rels.p);
    free(sw);
    return rc;
}

static int replace_whole(const char *staging, const char *target)
{
    char *old = aside_name(target);
    if (!old) return nomem(target);
    int rc = KILN_OK;
    if (io_rename(target, old) != 0) {
        rc = place_error("cannot replace", target);
    } else if (io_rename(staging, target) != 0) {
        rc = place_error("cannot move the output to", target);
        (void)io_rename(old, target);
    } else {
        rc = io_remove_tree(old);
    }
    free(old);
    return rc;
}

/* Moves the committed output at staging into target (see io.h). */
KILN_HIDDEN int io_output_place(const char *staging, const char *target, int depth)
{
    int rc;
    if (depth == 0) rc = replace_whole(staging, target);
    else if (depth < 0) rc = merge(staging, target, true);
    else rc = replace_dirs(staging, target, depth);
    if (!rc) {
        char *ok = io_path_join(target, "_SUCCESS");
        int fd = ok ? open(ok, O_WRONLY | O_CREAT | O_CLOEXEC, 0666) : -1;
        if (fd >= 0) close(fd);
        free(ok);
    }
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", kiln_last_error());
    int rm = io_remove_tree(staging);
    if (rc) kiln_set_error(rc, "%s", msg);
    return rc ? rc : rm;
}
