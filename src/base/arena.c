/*
 * base/arena.c - kiln_arena, the bump allocator behind every record.
 *
 * Memory comes from the system in blocks: the first is 64 KiB and each later
 * one doubles, up to 4 MiB. A request too big to share a block sensibly gets
 * a block of its own, so the current block's free space is not thrown away.
 * Allocation is a pointer bump in the common case; everything is released at
 * once by kiln_arena_reset (which keeps the first block) or kiln_arena_free.
 * See src/base/README.md for the invariants.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/base.h"
#include "base/fault.h"

#define ARENA_ALIGN 16
#define ARENA_FIRST_BLOCK ((size_t)64 << 10)
#define ARENA_MAX_BLOCK ((size_t)4 << 20)

/* A block header; the usable bytes follow it, starting 16-byte aligned. */
typedef struct arena_block arena_block;
struct arena_block {
    arena_block *next; /* older blocks; the first block is not on this list */
    size_t total;      /* bytes obtained from malloc, header included */
};

struct kiln_arena {
    char *ptr;           /* next free byte of the current block, 16-aligned */
    char *end;           /* end of the current block's usable bytes */
    arena_block *first;  /* kept across resets */
    arena_block *blocks; /* every other block, newest first */
    arena_block *spare;  /* blocks kept by kiln_arena_rewind for reuse */
    size_t next_size;    /* usable size of the next shared block */
    size_t bytes;        /* sum of total over all blocks, spare ones included */
    size_t spare_bytes;  /* sum of total over the spare blocks */
};

static inline uintptr_t align_up(uintptr_t x)
{
    return (x + (ARENA_ALIGN - 1)) & ~(uintptr_t)(ARENA_ALIGN - 1);
}

static inline char *block_start(arena_block *b)
{
    return (char *)align_up((uintptr_t)(b + 1));
}

/* Returns a block with at least usable bytes after its aligned start. */
static arena_block *block_new(size_t usable)
{
    size_t extra = sizeof(arena_block) + ARENA_ALIGN;
    if (usable > SIZE_MAX - extra) return NULL;
    arena_block *b = fault_hit(FAULT_ALLOC) ? NULL : malloc(usable + extra);
    if (b == NULL) return NULL;
    b->next = NULL;
    b->total = usable + extra;
    mem_stats_add((int64_t)b->total);
    return b;
}

/* Returns an owned arena holding its first 64 KiB block, or NULL. */
kiln_arena *kiln_arena_new(void)
{
    kiln_arena *a = fault_hit(FAULT_ALLOC) ? NULL : malloc(sizeof *a);
    if (a == NULL) return NULL;
    a->first = block_new(ARENA_FIRST_BLOCK);
    if (a->first == NULL) {
        free(a);
        return NULL;
    }
    a->blocks = NULL;
    a->spare = NULL;
    a->spare_bytes = 0;
    a->spare = NULL;
    a->spare_bytes = 0;
    a->ptr = block_start(a->first);
    a->end = a->ptr + ARENA_FIRST_BLOCK;
    a->next_size = ARENA_FIRST_BLOCK * 2;
    a->bytes = a->first->total;
    return a;
}

static void free_blocks(arena_block *b)
{
    while (b != NULL) {
        arena_block *next = b->next;
        mem_stats_add(-(int64_t)b->total);
        free(b);
        b = next;
    }
}

/* Frees the arena, every block, and so every value built in it. */
void kiln_arena_free(kiln_arena *a)
{
    if (a == NULL) return;
    free_blocks(a->blocks);
    free_blocks(a->spare);
    mem_stats_add(-(int64_t)a->first->total);
    free(a->first);
    free(a);
}

/* Invalidates every allocation; returns all blocks to the system but the
 * first and the largest other one up to 4 MiB, kept as a spare: an arena
 * reset per batch then reuses its blocks instead of mapping fresh pages for
 * every batch. */
void kiln_arena_reset(kiln_arena *a)
{
    arena_block *keep = NULL;
    arena_block *all = a->blocks;
    for (arena_block *b = a->spare; b != NULL;) { /* one list of every block */
        arena_block *next = b->next;
        b->next = all;
        all = b;
        b = next;
    }
    for (arena_block *b = all; b != NULL; b = b->next)
        if (b->total <= ARENA_MAX_BLOCK + sizeof(arena_block) + ARENA_ALIGN &&
            (keep == NULL || b->total > keep->total))
            keep = b;
    for (arena_block **pp = &all; *pp != NULL;)
        if (*pp == keep) *pp = keep->next;
        else pp = &(*pp)->next;
    free_blocks(all);
    a->blocks = NULL;
    a->spare = keep;
    a->spare_bytes = keep != NULL ? keep->total : 0;
    if (keep != NULL) keep->next = NULL;
    a->ptr = block_start(a->first);
    a->end = a->ptr + ARENA_FIRST_BLOCK;
    a->next_size = ARENA_FIRST_BLOCK * 2;
    a->bytes = a->first->total + a->spare_bytes;
}

/* Usable bytes of a block (header and alignment excluded). */
static size_t block_usable(arena_block *b)
{
    return b->total - (size_t)(block_start(b) - (char *)b);
}

/* Takes the first spare block with at least n usable bytes, or NULL. */
static arena_block *take_spare(kiln_arena *a, size_t n)
{
    for (arena_block **pp = &a->spare; *pp != NULL; pp = &(*pp)->next) {
        arena_block *b = *pp;
        if (block_usable(b) >= n) {
            *pp = b->next;
            a->spare_bytes -= b->total;
            return b;
        }
    }
    return NULL;
}

/* The slow path: n (already rounded to 16) does not fit the current block.
 * A request over a quarter of the next block size gets a dedicated block and
 * leaves the bump region alone; otherwise a new shared block replaces it.
 * This bounds the space wasted at the end of a block to a quarter. */
static __attribute__((noinline)) void *arena_grow(kiln_arena *a, size_t n)
{
    arena_block *spare = a->spare != NULL ? take_spare(a, n) : NULL;
    if (spare != NULL) { /* reused whole as the current block */
        spare->next = a->blocks;
        a->blocks = spare;
        a->ptr = block_start(spare) + n;
        a->end = block_start(spare) + block_usable(spare);
        return block_start(spare);
    }
    if (n > a->next_size / 4) {
        arena_block *b = block_new(n);
        if (b == NULL) return NULL;
        b->next = a->blocks;
        a->blocks = b;
        a->bytes += b->total;
        return block_start(b);
    }
    arena_block *b = block_new(a->next_size);
    if (b == NULL) return NULL;
    b->next = a->blocks;
    a->blocks = b;
    a->bytes += b->total;
    a->ptr = block_start(b);
    a->end = a->ptr + a->next_size;
    if (a->next_size < ARENA_MAX_BLOCK) a->next_size *= 2;
    void *p = a->ptr;
    a->ptr += n;
    return p;
}

/* Returns n bytes, 16-byte aligned, owned by a until reset/free; NULL when
 * the system is out of memory. n == 0 gives a valid, non-NULL pointer. */
void *kiln_arena_alloc(kiln_arena *a, size_t n)
{
    if (__builtin_expect(n > SIZE_MAX - ARENA_ALIGN, 0)) return NULL;
    n = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (__builtin_expect(n <= (size_t)(a->end - a->ptr), 1)) {
        void *p = a->ptr;
        a->ptr += n;
        return p;
    }
    return arena_grow(a, n);
}

/* Bytes obtained from the system, block headers and alignment included. */
size_t kiln_arena_bytes(const kiln_arena *a)
{
    return a->bytes;
}

/* Like kiln_arena_reset, but keeps every block as a spare for the next
 * allocations: an arena that is filled, emptied and filled again (a hash
 * table that spills) takes nothing new from the system. */
void arena_rewind(kiln_arena *a)
{
    while (a->blocks != NULL) {
        arena_block *b = a->blocks;
        a->blocks = b->next;
        b->next = a->spare;
        a->spare = b;
        a->spare_bytes += b->total;
    }
    a->ptr = block_start(a->first);
    a->end = a->ptr + ARENA_FIRST_BLOCK;
    a->next_size = ARENA_FIRST_BLOCK * 2;
}

/* Bytes of the arena's blocks in use: held minus the unused spares. */
size_t arena_used_bytes(const kiln_arena *a)
{
    return a->bytes - a->spare_bytes;
}
