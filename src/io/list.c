/*
 * io/list.c - finding the input files of a text job and cutting them into
 * splits, as Hadoop's FileInputFormat does on the local file system.
 *
 * An input path is a regular file (taken whatever its name), a directory
 * (its regular files, not recursively, skipping names that start with '.' or
 * '_' such as _SUCCESS), or, when no such path exists and it contains * ? or
 * [, a glob(3) pattern: each match not starting with '.' or '_' is a file,
 * or a directory listed as above. Files are ordered by path (strcmp, so the
 * order does not depend on the locale) and listed once. A path that does not
 * exist but holds commas is a list of such paths, listed in turn.
 *
 * A path naming nothing is an error with Spark's words: "Input path does not
 * exist: P", or "Input Pattern P matches 0 files" for a glob.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"
#include "io/store_int.h"

#define LOCAL_BLOCK_SIZE ((int64_t)32 << 20) /* Hadoop's fs.local.block.size */
#define SPLIT_SLOP 1.1                       /* last split may be 10% larger */

typedef struct input_file {
    char *path; /* owned */
    int64_t size;
} input_file;

typedef struct file_list {
    input_file *v;
    size_t n, cap;
    bool recursive; /* io_list_files: directories through their subdirectories */
} file_list;

static void list_release(file_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i].path);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Appends (path, size); takes ownership of path, also on failure. */
static int list_add(file_list *l, char *path, int64_t size)
{
    if (path == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory listing input files");
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        input_file *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            free(path);
            return kiln_set_error(KILN_ENOMEM, "out of memory listing input files");
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].path = path;
    l->v[l->n].size = size;
    l->n++;
    return KILN_OK;
}

/* True for names Hadoop's input filter hides: "_SUCCESS", ".crc" files. */
static bool hidden_name(const char *name)
{
    return name[0] == '.' || name[0] == '_';
}

/* Names Spark's file index hides when listing a dataset recursively:
 * starting with '.', or with '_' unless they hold '=' (a partition
 * directory "_k=v"), or ending in "._COPYING_". */
static bool hidden_in_tree(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' || (name[0] == '_' && !strchr(name, '=')) ||
           (n >= 10 && strcmp(name + n - 10, "._COPYING_") == 0);
}

/* The last component of path (glob(3) gives no trailing slash). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Adds the visible regular files of directory dir (not recursively);
 * symbolic links are followed. */
static int list_dir(file_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) return io_errno_error(errno, "cannot list input directory", dir);
    int rc = KILN_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) rc = io_errno_error(errno, "cannot list input directory", dir);
            break;
        }
        if (l->recursive ? hidden_in_tree(e->d_name) : hidden_name(e->d_name)) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0) {
            if (errno == ENOENT) continue; /* removed meanwhile, or a dangling link */
            char *p = io_path_join(dir, e->d_name);
            rc = io_errno_error(errno, "cannot read input file", p != NULL ? p : e->d_name);
            free(p);
            break;
        }
        if (l->recursive && S_ISDIR(st.st_mode)) {
            char *sub = io_path_join(dir, e->d_name);
            rc = sub ? list_dir(l, sub) : kiln_set_error(KILN_ENOMEM, "out of memory listing");
            free(sub);
            if (rc != KILN_OK) break;
            continue;
        }
        if (!S_ISREG(st.st_mode)) continue; /* subdirectories and devices are not inputs */
        rc = list_add(l, io_path_join(dir, e->d_name), st.st_size);
        if (rc != KILN_OK) break;
    }
    closedir(d);
    return rc;
}

/* Spark's (Hadoop's) words for an input that names nothing. */
static int not_found(const char *path)
{
    return kiln_set_error(KILN_ENOENT, "Input path does not exist: %s", path);
}

static int no_match(const char *pattern)
{
    return kiln_set_error(KILN_ENOENT, "Input Pattern %s matches 0 files", pattern);
}

/* Expands the glob pattern path into l. */
static int list_glob(file_list *l, const char *path)
{
    glob_t g;
    int ret = glob(path, GLOB_NOSORT, NULL, &g);
    if (ret == GLOB_NOMATCH) return no_match(path);
    if (ret == GLOB_NOSPACE) return kiln_set_error(KILN_ENOMEM, "out of memory matching %s", path);
    if (ret != 0) return kiln_set_error(KILN_EIO, "cannot read directories matching %s", path);
    int rc = KILN_OK;
    size_t matched = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == KILN_OK; i++) {
        const char *m = g.gl_pathv[i];
        struct stat st;
        if (hidden_name(base_name(m)) || stat(m, &st) != 0) continue;
        if (S_ISREG(st.st_mode)) {
            matched++;
            rc = list_add(l, strdup(m), st.st_size);
        } else if (S_ISDIR(st.st_mode)) {
            matched++;
            rc = list_dir(l, m);
        }
    }
    globfree(&g);
    if (rc == KILN_OK && matched == 0) rc = no_match(path);
    return rc;
}

/* True when a component of the relative key rel is one a recursive
 * listing hides (hidden_in_tree). */
static bool hidden_components(const char *rel)
{
    char part[1024];
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n >= sizeof part) return false;
        memcpy(part, p, n);
        part[n] = '\0';
        if (n && hidden_in_tree(part)) return true;
        p += n + (p[n] == '/');
    }
    return false;
}

/* Adds the files an object-store URL names: the object itself, or the
 * visible objects directly under it (a "directory" is a key prefix; every
 * object under it when the list is recursive, as a dataset's partition
 * directories are read), or those matching a glob in its last component. */
static int list_url(file_list *l, const char *path)
{
    const char *slash = strrchr(path, '/');
    bool glob = slash && slash[1] && strpbrk(slash + 1, "*?[") != NULL &&
                io_url_scheme(path) != IO_SCHEME_HTTP; /* '?' starts a query there */
    char *dir = strndup(path, glob ? (size_t)(slash - path) : strlen(path));
    if (dir == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory listing %s", path);
    size_t dl = strlen(dir);
    while (dl > 0 && dir[dl - 1] == '/') dir[--dl] = '\0';
    bool is_file;
    io_obj_list o;
    int rc = io_obj_list_path(dir, &is_file, &o);
    size_t matched = 0;
    for (size_t i = 0; i < o.n && rc == KILN_OK; i++) {
        const char *rel = o.v[i].path;
        if (!is_file) {
            rel += strlen(o.v[i].path) >= dl ? dl : 0;
            while (*rel == '/') rel++;
            if (l->recursive ? hidden_components(rel) : strchr(rel, '/') || hidden_name(rel))
                continue;
            if (glob && !io_obj_glob_match(slash + 1, rel)) continue;
        } else if (glob) {
            continue;
        }
        matched++;
        rc = list_add(l, o.v[i].path, o.v[i].size);
        o.v[i].path = NULL;
    }
    io_obj_list_release(&o);
    free(dir);
    if (rc == KILN_OK && matched == 0) rc = glob ? no_match(path) : not_found(path);
    return rc;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(((const input_file *)a)->path, ((const input_file *)b)->path);
}

/* Fills l with the input files named by one path, sorted and without
 * repeats. */
static int list_path(const char *path, file_list *l)
{
    struct stat st;
    int rc;
    if (path[0] == '\0') return kiln_set_error(KILN_EINVAL, "empty input path");
    if (io_path_is_url(path)) {
        rc = list_url(l, path);
    } else if (stat(path, &st) == 0) {
        if (S_ISREG(st.st_mode)) rc = list_add(l, strdup(path), st.st_size);
        else if (S_ISDIR(st.st_mode)) rc = list_dir(l, path);
        else rc = kiln_set_error(KILN_EINVAL, "input path is not a file or directory: %s", path);
    } else if (errno == ENOENT || errno == ENOTDIR) {
        rc = strpbrk(path, "*?[") != NULL ? list_glob(l, path) : not_found(path);
    } else {
        rc = io_errno_error(errno, "cannot read input path", path);
    }
    if (rc != KILN_OK) {
        list_release(l);
        return rc;
    }
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, cmp_path);
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (w > 0 && strcmp(l->v[w - 1].path, l->v[i].path) == 0) free(l->v[i].path);
        else l->v[w++] = l->v[i];
    }
    l->n = w;
    return KILN_OK;
}

/* Fills l with the input files named by path: one path, or a comma-separated
 * list of them (as Spark's textFile("a.txt,b.txt")) when path itself does
 * not exist. A list gives each path's files in turn, in the list's order. */
static int list_inputs(const char *path, file_list *l)
{
    struct stat st;
    if (path == NULL || path[0] == '\0') return kiln_set_error(KILN_EINVAL, "empty input path");
    if (strchr(path, ',') == NULL || (!io_path_is_url(path) && stat(path, &st) == 0))
        return list_path(path, l);
    int rc = KILN_OK;
    for (const char *p = path; rc == KILN_OK; p++) {
        size_t n = strcspn(p, ",");
        char *one = strndup(p, n);
        file_list part = {.recursive = l->recursive};
        if (one == NULL) rc = kiln_set_error(KILN_ENOMEM, "out of memory listing input files");
        else if (n == 0)
            rc = kiln_set_error(KILN_EINVAL, "empty path in the input list '%s'", path);
        else rc = list_path(one, &part);
        for (size_t i = 0; i < part.n; i++) {
            if (rc == KILN_OK)
                rc = list_add(l, part.v[i].path, part.v[i].size); /* takes the path */
            else free(part.v[i].path);
        }
        free(part.v);
        free(one);
        p += n;
        if (*p == '\0') break;
    }
    if (rc != KILN_OK) list_release(l);
    return rc;
}

typedef struct split_list {
    io_split *v;
    size_t n, cap;
} split_list;

/* Appends a split of path (borrowed; copied). */
static int split_add(split_list *s, const char *path, int64_t start, int64_t length, bool whole)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        io_split *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory splitting input files");
        s->v = v;
        s->cap = cap;
    }
    char *p = strdup(path);
    if (p == NULL) return kiln_set_error(KILN_ENOMEM, "out of memory splitting input files");
    s->v[s->n++] = (io_split){.path = p, .start = start, .length = length, .whole = whole};
    return KILN_OK;
}

/* Cuts one plain file of size bytes as FileInputFormat.getSplits does. */
static int split_file(split_list *s, const input_file *f, int64_t split_size)
{
    int64_t left = f->size;
    while ((double)left / (double)split_size > SPLIT_SLOP) {
        int rc = split_add(s, f->path, f->size - left, split_size, false);
        if (rc != KILN_OK) return rc;
        left -= split_size;
    }
    return left > 0 ? split_add(s, f->path, f->size - left, left, false) : KILN_OK;
}

/* Lists path and cuts its files into splits. *out is owned (io_splits_free);
 * on error *out is NULL and *n is 0. */
KILN_HIDDEN int io_text_splits(const char *path, int min_partitions, io_split **out, size_t *n)
{
    file_list files = {0};
    split_list splits = {0};
    *out = NULL;
    *n = 0;
    int rc = list_inputs(path, &files);
    if (rc != KILN_OK) return rc;
    int64_t total = 0;
    for (size_t i = 0; i < files.n; i++) total += files.v[i].size;
    int64_t goal = total / (min_partitions > 1 ? min_partitions : 1);
    int64_t split_size = goal < LOCAL_BLOCK_SIZE ? goal : LOCAL_BLOCK_SIZE;
    if (split_size < 1) split_size = 1;
    for (size_t i = 0; i < files.n && rc == KILN_OK; i++) {
        const input_file *f = &files.v[i];
        if (f->size == 0) continue;
        if (io_codec_of(f->path) != IO_CODEC_NONE) rc = split_add(&splits, f->path, 0, -1, true);
        else rc = split_file(&splits, f, split_size);
    }
    list_release(&files);
    if (rc != KILN_OK) {
        io_splits_free(splits.v, splits.n);
        return rc;
    }
    *out = splits.v;
    *n = splits.n;
    return KILN_OK;
}

/* Lists path as whole-file splits (empty files included). *out is owned. */
KILN_HIDDEN int io_file_list(const char *path, io_split **out, size_t *n)
{
    file_list files = {0};
    split_list splits = {0};
    *out = NULL;
    *n = 0;
    int rc = list_inputs(path, &files);
    for (size_t i = 0; i < files.n && rc == KILN_OK; i++)
        rc = split_add(&splits, files.v[i].path, 0, -1, true);
    list_release(&files);
    if (rc != KILN_OK) {
        io_splits_free(splits.v, splits.n);
        return rc;
    }
    *out = splits.v;
    *n = splits.n;
    return KILN_OK;
}

/* Frees n splits and their paths. NULL is ignored. */
KILN_HIDDEN void io_splits_free(io_split *s, size_t n)
{
    if (s == NULL) return;
    for (size_t i = 0; i < n; i++) free(s[i].path);
    free(s);
}

/* Lists the files named by path with their sizes (see io.h). */
KILN_HIDDEN int io_list_files(const char *path, bool recursive, io_file_info **out, size_t *n)
{
    file_list files = {.recursive = recursive};
    *out = NULL;
    *n = 0;
    int rc = list_inputs(path, &files);
    if (rc != KILN_OK) return rc;
    io_file_info *v = malloc((files.n ? files.n : 1) * sizeof *v);
    if (v == NULL) {
        list_release(&files);
        return kiln_set_error(KILN_ENOMEM, "out of memory listing input files");
    }
    for (size_t i = 0; i < files.n; i++) v[i] = (io_file_info){files.v[i].path, files.v[i].size};
    free(files.v);
    *out = v;
    *n = files.n;
    return KILN_OK;
}

/* Frees n listed files and their paths. NULL is ignored. */
KILN_HIDDEN void io_file_infos_free(io_file_info *f, size_t n)
{
    if (f == NULL) return;
    for (size_t i = 0; i < n; i++) free(f[i].path);
    free(f);
}
