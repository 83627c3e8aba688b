/*
 * engine/coro.c - coroutines on the calling thread: a function run on a
 * stack of its own that can stop part way (coro_yield) and be resumed
 * later. map_partitions runs its user function in one, so what it emits
 * flows to the consumer chunk by chunk instead of being held until it
 * returns (partitionwise.c). A coroutine stays on the thread that resumes
 * it, so thread-local state (kiln_last_error) behaves as in a plain call.
 * Switches are told to ASan and TSan, which track stacks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "engine/engine_int.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CORO_TSAN 1
#endif

/* As much as a pool thread has (pool.c); only the pages touched are used. */
#define CORO_STACK (8u << 20)

struct eng_coro {
    ucontext_t self, caller;
    void (*fn)(void *arg);
    void *arg;
    void *map; /* the stack mapping, a guard page at its low end */
    size_t map_len;
    bool done;
#ifdef CORO_ASAN
    void *fake_self, *fake_caller;
    const void *caller_bottom;
    size_t caller_size;
#endif
#ifdef CORO_TSAN
    void *tsan_self, *tsan_caller;
#endif
};

/* Back to whoever resumed c; final: c will never run again. */
static void switch_out(eng_coro *c, bool final)
{
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(final ? NULL : &c->fake_self, c->caller_bottom, c->caller_size);
#endif
#ifdef CORO_TSAN
    __tsan_switch_to_fiber(c->tsan_caller, 0);
#endif
    (void) final;
    swapcontext(&c->self, &c->caller);
#ifdef CORO_ASAN
    /* Resumed: remember the new caller's stack for the next switch out. */
    __sanitizer_finish_switch_fiber(c->fake_self, &c->caller_bottom, &c->caller_size);
#endif
}

static void entry(unsigned hi, unsigned lo)
{
    eng_coro *c = (eng_coro *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &c->caller_bottom, &c->caller_size);
#endif
    c->fn(c->arg);
    c->done = true;
    switch_out(c, true);
    abort(); /* a finished coroutine is never resumed */
}

/* Sets c->self to start entry(c) on the stack at sp. Apart from coro_new,
 * as getcontext returns twice. */
static __attribute__((noinline)) int make_context(eng_coro *c, char *sp)
{
    if (getcontext(&c->self)) return -1;
    c->self.uc_stack.ss_sp = sp;
    c->self.uc_stack.ss_size = CORO_STACK;
    c->self.uc_link = NULL;
    uintptr_t p = (uintptr_t)c;
    makecontext(&c->self, (void (*)(void))entry, 2, (unsigned)(p >> 32), (unsigned)p);
    return 0;
}

eng_coro *coro_new(void (*fn)(void *arg), void *arg)
{
    eng_coro *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    c->map_len = CORO_STACK + page;
    c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (c->map == MAP_FAILED) {
        free(c);
        return NULL;
    }
    mprotect(c->map, page, PROT_NONE); /* an overflow faults instead of corrupting */
    c->fn = fn;
    c->arg = arg;
    if (make_context(c, (char *)c->map + page)) {
        munmap(c->map, c->map_len);
        free(c);
        return NULL;
    }
#ifdef CORO_TSAN
    c->tsan_self = __tsan_create_fiber(0);
#endif
    return c;
}

bool coro_resume(eng_coro *c)
{
    if (c->done) return false;
#ifdef CORO_TSAN
    c->tsan_caller = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(c->tsan_self, 0);
#endif
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(&c->fake_caller, c->self.uc_stack.ss_sp,
                                   c->self.uc_stack.ss_size);
#endif
    swapcontext(&c->caller, &c->self);
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(c->fake_caller, NULL, NULL);
#endif
    return !c->done;
}

void coro_yield(eng_coro *c)
{
    switch_out(c, false);
}

void coro_free(eng_coro *c)
{
    if (!c) return;
#ifdef CORO_TSAN
    __tsan_destroy_fiber(c->tsan_self);
#endif
    munmap(c->map, c->map_len);
    free(c);
}
