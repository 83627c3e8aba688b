/*
 * cluster/blocks.h - moving shuffle blocks between executors (cluster
 * mode): where each map output lives (the driver's map output tracker and
 * the locations it sends with each task), every executor's block server,
 * and the fetcher its reduce tasks read remote map outputs through.
 * Wire formats: docs/formats/protocol.md ("Shuffle blocks").
 */
#ifndef KILN_CLUSTER_BLOCKS_H
#define KILN_CLUSTER_BLOCKS_H

#include <pthread.h>

#include "engine/engine.h"
#include "net/net.h"

/* ---- The driver's map output tracker (map_tracker.c) -------------------------- */

typedef struct map_tracker map_tracker;
map_tracker *map_tracker_new(void);
void map_tracker_free(map_tracker *t);
/* Executor `exec` (the driver's index for it) serves its blocks at host:port. */
int map_tracker_add_executor(map_tracker *t, uint32_t exec, const char *host, int port);
/* Map output `map` of shuffle id (nmaps outputs) is held by exec. */
int map_tracker_record(map_tracker *t, int id, int nmaps, int map, uint32_t exec);
/* Forgets every output exec held: calls lost(arg, id, map) for each, and
 * returns how many. */
int map_tracker_lose_executor(map_tracker *t, uint32_t exec,
                              void (*lost)(void *arg, int id, int map), void *arg);
/* Appends the locations a task computing partitions of rdd needs (the
 * shuffles it reads and the executors holding their outputs; the cached
 * partitions of the persisted RDDs it reads and where they are) to out. */
int map_tracker_encode_for(map_tracker *t, const kiln_rdd *rdd, kiln_buf *out);
/* Partition part of RDD rdd is cached on exec (executors report it). */
int map_tracker_add_cached(map_tracker *t, int rdd, int part, uint32_t exec);
/* How many partitions of rdd are cached somewhere. */
int map_tracker_cached_count(map_tracker *t, int rdd);
/* Forgets where rdd's partitions are cached (unpersist). */
void map_tracker_forget_rdd(map_tracker *t, int rdd);
/* Forgets shuffle id and where its map outputs are (its RDD was released). */
void map_tracker_forget_shuffle(map_tracker *t, int id);
/* Shuffles tracked (for tests of what a long-lived driver keeps). */
size_t map_tracker_shuffle_count(map_tracker *t);
/* An executor holding partition part of r, or of the RDD r narrowly reads
 * partition for partition (a chain of one-parent RDDs), for locality; -1 if
 * none. */
int map_tracker_cached_at(map_tracker *t, const kiln_rdd *r, int part);

/* ---- The executor's block server (block_server.c) ----------------------------- */

typedef struct block_server block_server;
/* Listens on host (port chosen by the system, written to *port) and serves
 * the shuffle segments and cached partitions ctx holds to peers that prove
 * they hold secret; REMOVE_RDD from the driver drops an RDD's partitions,
 * CANCEL_JOBS cancels jobs (ctx_cancel_jobs_below). */
int block_server_start(kiln_context *ctx, const char *host, const uint8_t *secret, size_t len,
                       bool tls, block_server **out, int *port);
/* Stops accepting, ends every connection (their threads are woken and
 * waited for, so none touches ctx afterwards) and frees bs. */
void block_server_stop(block_server *bs);

/* ---- The executor's fetcher (block_fetch.c) ------------------------------------ */

typedef struct block_fetcher block_fetcher;
/* The defaults of kiln.shuffle.io.maxRetries and kiln.shuffle.io.retryWait. */
enum { BLOCK_FETCH_MAX_RETRIES = 3, BLOCK_FETCH_RETRY_WAIT_MS = 200 };
/* tls: connections to peers run TLS first (kiln.ssl.enabled). Retries as
 * the defaults above until block_fetcher_set_retries. Returns owned, or
 * NULL when out of memory. */
block_fetcher *block_fetcher_new(const uint8_t *secret, size_t len, bool tls);
void block_fetcher_free(block_fetcher *f);
/* A shuffle fetch that fails with an I/O error is retried up to
 * max_retries times (0: never), waiting wait_ms before the first retry and
 * twice as long before each next one, but at once the first time an open
 * connection broke (kiln.shuffle.io.maxRetries and kiln.shuffle.io.retryWait).
 * Call before any fetch. */
void block_fetcher_set_retries(block_fetcher *f, int max_retries, int wait_ms);
/* Takes the locations sent with a task (map_tracker_encode_for). */
int block_fetcher_update(block_fetcher *f, const uint8_t *p, size_t n);
/* Fetches the cached partition part of rdd from the executor holding it,
 * as the values' encodings back to back into out. KILN_ENOENT when no other
 * executor is known to hold it; another error when the fetch failed (then
 * the caller computes the partition itself). */
int block_fetcher_fetch_cached(block_fetcher *f, int rdd, int part, kiln_buf *out);
/* The shuffle store's remote hook (shuffle_remote_fn; arg is the fetcher):
 * fetches segment `reduce` of map output `map` from the executor holding
 * it, whole and with every block's checksum checked (all or nothing: on
 * failure seg holds nothing), retrying I/O failures with backoff (once at
 * once for damaged data). KILN_EFETCH naming the map output and the peer
 * when it is unknown, known lost, does not hold it, or still fails after
 * the retries. */
int block_fetcher_fetch(void *arg, int id, int map, int reduce, kiln_buf *seg);
/* Forgets the locations of shuffle id (the driver released it). */
void block_fetcher_forget_shuffle(block_fetcher *f, int id);
/* Bytes fetched from peers, the microseconds spent waiting for them, the
 * fetches retried and the map outputs fetched (blocks), by the calling
 * thread since it last asked (then reset). */
void block_fetcher_take_stats(uint64_t *bytes, uint64_t *us, uint64_t *retries, uint64_t *blocks);

#endif
