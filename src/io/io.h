/*
 * io/io.h - file input and output for the engine: listing and splitting text
 * inputs, reading lines from a split (plain, compressed, or an archive's
 * members one after another), reading whole files, and the Hadoop-style
 * output committer used by save_as_text_file.
 *
 * All functions are safe to call from several task threads at once on
 * different objects; an io_output_job is shared by the tasks of one job and
 * is thread-safe. Errors set kiln_last_error() with the file name.
 */
#ifndef KILN_IO_H
#define KILN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln.h"

/* A byte range of one file. whole: the file is compressed (or must be read
 * whole) and start/length are 0/-1. */
typedef struct io_split {
    char *path; /* owned */
    int64_t start;
    int64_t length;
    bool whole;
} io_split;

/* Lists the files named by path (a file; a directory's files not starting
 * with '.' or '_'; a glob; or a comma-separated list of these, each listed
 * in turn), sorted by name, and cuts plain files into
 * splits as Hadoop's FileInputFormat does for the local file system: goal =
 * total bytes / max(min_partitions, 1), split size = max(1, min(goal, 32 MiB)),
 * and a file keeps being cut while more than 1.1 split sizes remain.
 * Compressed files (.gz .bz2 .zst) and archives (.zip .tar .tar.gz ...) give
 * one whole split each. Empty files give
 * no split. Returns KILN_OK (possibly with *n == 0), or KILN_ENOENT naming
 * the path that names nothing ("Input path does not exist: P", "Input
 * Pattern P matches 0 files"). *out is owned (io_splits_free). */
int io_text_splits(const char *path, int min_partitions, io_split **out, size_t *n);
/* Lists files only (for whole_text_files): one whole split per file. */
int io_file_list(const char *path, io_split **out, size_t *n);
void io_splits_free(io_split *s, size_t n);

/* A listed file and its size (from the listing's stat: no file is opened). */
typedef struct io_file_info {
    char *path; /* owned */
    int64_t size;
} io_file_info;
/* Lists the files named by path as io_file_list does, sorted by path, with
 * their sizes. recursive: a directory (also one a glob matches) is listed
 * through all its subdirectories, hiding the names Spark's file index
 * hides (starting with '.', or with '_' unless they hold '=', or ending in
 * "._COPYING_"): a dataset's leaf files. *out is owned (io_file_infos_free).
 * Returns KILN_OK or the errors of io_text_splits. */
int io_list_files(const char *path, bool recursive, io_file_info **out, size_t *n);
void io_file_infos_free(io_file_info *f, size_t n);

/* Reads the lines of a split with Hadoop's rule: a split that does not start
 * at 0 skips its first (partial) line (reading from start - 1, so a line
 * starting exactly at start is kept); a split reads every line that starts
 * before its end. So every line is read by exactly one split. */
typedef struct io_line_reader io_line_reader;
int io_line_reader_open(const io_split *s, io_line_reader **out);
/* Returns 1 and a line (without "\n" or "\r\n"; borrowed, valid until the next
 * call), 0 at the end, or a negative error naming the file. */
int io_line_reader_next(io_line_reader *r, const char **line, size_t *len);
void io_line_reader_close(io_line_reader *r);
/* Byte offset in the (decompressed) file of the line next() returns next. */
int64_t io_line_reader_offset(const io_line_reader *r);

/* For an archive's split: moves to the archive's next member, whose lines
 * next() returns from then on (next() returns 0 at the end of each member).
 * Returns 1, 0 after the last member (always for other files), or a
 * negative error naming the archive and the member. */
int io_line_reader_next_file(io_line_reader *r);
/* The file next() reads: the split's path, or "ARCHIVE:MEMBER" for a member
 * of an archive (borrowed, valid until next_file or close). kiln_input_line_number
 * takes it. */
const char *io_line_reader_file(const io_line_reader *r);

/* Reads a whole file into out (appending), decompressing .gz/.bz2/.zst.
 * KILN_EINVAL for an archive (see io_whole_reader). */
int io_read_whole(const char *path, kiln_buf *out);

/* Reads the files of a whole split one by one: a plain or compressed file is
 * one file, an archive (.zip, .tar, ...) gives each regular member. */
typedef struct io_whole_reader io_whole_reader;
int io_whole_reader_open(const char *path, io_whole_reader **out);
/* Replaces out's content with the next file's bytes (decompressed). Returns
 * 1 and its name (the path, or "ARCHIVE:MEMBER"; borrowed, valid until the
 * next call), 0 after the last, or a negative error naming it. */
int io_whole_reader_next(io_whole_reader *r, kiln_buf *out, const char **name);
void io_whole_reader_close(io_whole_reader *r);

/* Output committer (Hadoop FileOutputCommitter, v1 semantics):
 * begin creates dir and dir/_temporary (KILN_EEXIST if dir exists); a task
 * attempt writes dir/_temporary/attempt-P-A/part-PPPPP; commit of the attempt
 * renames it to dir/_temporary/task-P/part-PPPPP (the first committed attempt
 * wins; later ones are discarded); job commit moves every task's part file
 * into dir, removes _temporary and writes dir/_SUCCESS last. Abort of the job
 * removes dir entirely. */
typedef struct io_output_job io_output_job;
typedef struct io_task_output io_task_output;
int io_output_job_begin(const char *dir, io_output_job **out);
int io_task_output_open(io_output_job *job, int partition, int attempt, io_task_output **out);
/* The same with the part file named part-PPPPP<suffix> (Spark's
 * "-<uuid>-c000.csv"); the job commit moves every file of a committed task. */
int io_task_output_open_named(io_output_job *job, int partition, int attempt, const char *suffix,
                              io_task_output **out);
int io_task_output_write(io_task_output *o, const void *p, size_t n); /* buffered */
/* Flushes, closes and commits; frees o in every case. */
int io_task_output_commit(io_task_output *o);
/* Closes and deletes the attempt's file; frees o. */
void io_task_output_abort(io_task_output *o);
/* Commits the job (num_partitions parts expected) and frees it. */
int io_output_job_commit(io_output_job *job, int num_partitions);
/* Removes everything the job created and frees it. */
void io_output_job_abort(io_output_job *job);
/* How io_output_job_begin_mode treats an existing output (object-store
 * URLs only; a local directory can only be created). OVERWRITE deletes the
 * old objects after the new ones are in (see src/io/README.md). */
enum { IO_OUTPUT_CREATE = 0, IO_OUTPUT_APPEND, IO_OUTPUT_OVERWRITE };
int io_output_job_begin_mode(const char *dir, int mode, io_output_job **out);
/* Another process's job over dir (already begun): its task outputs commit
 * as the owner's, whose commit finds them; detaching keeps every file. */
int io_output_job_attach(const char *dir, io_output_job **out);
void io_output_job_detach(io_output_job *job);

/* A task writing several files, in subdirectories of the output (a
 * partitioned write: "k=v/part-..."), see commit.c: each file opened in
 * the attempt with io_task_output_open_in (fresh for the first), written,
 * closed with io_task_output_close (kept in the attempt), then the whole
 * attempt committed at once; the job commit merges the tasks' directories. */
int io_task_output_open_in(io_output_job *job, int partition, int attempt, const char *rel,
                           bool fresh, io_task_output **out);
int io_task_output_close(io_task_output *o);
/* Writes out o's buffer and closes its file, freeing the buffer, to go on
 * appending after io_task_output_resume (a partitioned write's writer
 * beyond its open-file bound). Returns KILN_OK or KILN_EIO. */
int io_task_output_suspend(io_task_output *o);
int io_task_output_resume(io_task_output *o);
/* False for an object-store output: its writers close, not suspend. */
bool io_task_output_suspendable(const io_task_output *o);
/* An overwrite of a partitioned object-store output replaces only the
 * partitions under prefix (the static partition "k=v/...", or NULL) and,
 * depth > 0, those depth levels deep that the job writes; call before the
 * commit. KILN_OK or KILN_ENOMEM; a local output ignores it. */
int io_output_job_replace(io_output_job *job, int depth, const char *prefix);
int io_task_attempt_commit(io_output_job *job, int partition, int attempt);
void io_task_attempt_abort(io_output_job *job, int partition, int attempt);

/* Puts the committed output of a job at staging in place at target (a
 * directory that exists), see dataset_place.c. depth < 0: append, every
 * file of staging moved into target (directories merged, names never
 * replaced). depth 0: target replaced whole. depth d > 0: each directory
 * d levels below staging (a partition, "a=1/b=x") replaces target's
 * directory of that name, which is renamed aside first and removed at the
 * end; a failure puts back what was replaced (target as before). staging
 * is removed in every case; target gets _SUCCESS. Returns KILN_OK, or
 * KILN_EIO / KILN_ENOMEM naming the file. */
int io_output_place(const char *staging, const char *target, int depth);

/* Removes path and everything under it without following symbolic links
 * (nothing outside path is touched). A missing path is not an error.
 * Returns KILN_OK, or KILN_EIO naming the entry that could not be removed
 * (KILN_ENOMEM when out of memory). */
int io_remove_tree(const char *path);

/* Writes all of p[0..n) to fd, retrying short and interrupted writes.
 * Returns KILN_OK, or KILN_EIO with a message naming path and the system's
 * reason (errno is left set: ENOSPC for a full disk). */
int io_write_full(int fd, const void *p, size_t n, const char *path);
/* The system calls below, with their contract (-1 and errno on failure),
 * for the files kiln writes and reads back (shuffle, spill, block store,
 * output): each fails with EIO when the fault simulation says so
 * (base/fault.h: FAULT_READ, FAULT_FSYNC, FAULT_RENAME; io_write_full
 * asks FAULT_WRITE before each write), so the callers' error paths are the
 * ones a real disk error takes. io_pread and io_read retry EINTR. */
ssize_t io_pread(int fd, void *p, size_t n, int64_t off);
ssize_t io_read(int fd, void *p, size_t n);
int io_fsync(int fd);
int io_rename(const char *from, const char *to);
/* rename(2) that fails with EEXIST when to exists (renameat2 with
 * RENAME_NOREPLACE; plain rename where the file system lacks the flag). */
int io_rename_noreplace(const char *from, const char *to);
/* Reads exactly n bytes at off of fd into p (borrowed). Returns KILN_OK,
 * or err (the caller's code: KILN_EIO, or KILN_EFETCH for map outputs)
 * with "cannot read PATH: reason" ("file too short" at an early end). */
int io_pread_full(int fd, void *p, size_t n, int64_t off, int err, const char *path);

/* ---- Random access to one input file ---------------------------------------- */

/* A file opened for reading at any offset (Parquet footers and column
 * chunks): a local path, or (once the object-store backends are in) an
 * s3a://, abfs:// or https:// URL behind the same calls. Each reads
 * exactly what it is asked for or fails naming the path. Not thread-safe:
 * one per reader. */
typedef struct io_file io_file;
/* Opens path for reading. Returns KILN_OK and an owned file, or
 * KILN_ENOENT / KILN_EIO naming the path. */
int io_file_open(const char *path, io_file **out);
/* The file's size in bytes (known from the open). */
int64_t io_file_size(const io_file *f);
/* The path it was opened with (borrowed, valid until io_file_close). */
const char *io_file_path(const io_file *f);
/* Reads exactly n bytes at off into p. Returns KILN_OK, or KILN_EIO /
 * KILN_ECORRUPT ("PATH: file too short: wanted N bytes at OFF") naming the
 * path. */
int io_file_pread(io_file *f, void *p, size_t n, int64_t off);
/* Bytes io_file_pread has read from f so far (a task's input metrics; 0
 * for NULL). */
int64_t io_file_bytes_read(const io_file *f);
/* Closes f (NULL is ignored). */
void io_file_close(io_file *f);

/* ---- Object stores (store.c; see src/io/README.md) ------------------------------ */

/* True when path is an object-store URL: s3a:// s3:// s3n://, abfs[s]://,
 * wasb[s]://, http(s):// (read-only). Every function of this header takes
 * such URLs where it takes a path. */
bool io_path_is_url(const char *path);
/* Hands the io layer the context's kiln.hadoop.fs.* settings (credentials,
 * endpoints, retries, part sizes): process-wide, the last call wins. The
 * driver's and each executor's context call it when created. Borrows c. */
int io_store_configure(const kiln_conf *c);
/* The size of the object at URL path. KILN_ENOENT naming it when absent,
 * KILN_EINVAL for a local path. */
int io_path_size(const char *path, int64_t *size);
/* Deletes every object under URL path (and the object path itself). */
int io_obj_delete_tree(const char *path);
/* Sets *exists when an object is at URL path or under path + "/". */
int io_path_exists(const char *path, bool *exists);
/* Every object at or under URL path (recursively: "directories" are key
 * prefixes, so partition folders come with their files), sorted by path,
 * names starting with '.' or '_' included (the caller filters), as splits
 * with start 0 and length = the object's size. KILN_OK with *n == 0 when
 * nothing is there. *out is owned (io_splits_free). */
int io_url_list_tree(const char *path, io_split **out, size_t *n);

#endif
