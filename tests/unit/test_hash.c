/*
 * tests/unit/test_hash.c - kiln_value_hash: equal values hash equally, and the
 * hash is the same in every process, run and machine.
 *
 * The pinned values below were computed once from this implementation (xxHash
 * XXH3, kiln 0.1.0). They pin cross-process and cross-version stability:
 * hash partitioning sends a key to the reducer numbered hash % N in every
 * executor, so if one of them changes, data written by an older kiln (or by
 * another machine) would be partitioned differently. Do not "fix" a failing
 * pinned value; find what changed the hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "value_gen.h"

#define N_FIXED 17
#define N_RANDOM 300

/* The fixed values whose hashes are pinned, built in a. */
static void fixed_values(kiln_arena *a, kiln_value *v)
{
    static const kiln_value one_two_three[3] = {{.type = KILN_INT, .u.i = 1},
                                                {.type = KILN_INT, .u.i = 2},
                                                {.type = KILN_INT, .u.i = 3}};
    static const double xy[2] = {1.0, 2.0};
    kiln_value forty[40];
    for (int i = 0; i < 40; i++) forty[i] = kiln_int(i);
    int k = 0;
    v[k++] = kiln_null();
    v[k++] = kiln_bool(false);
    v[k++] = kiln_bool(true);
    v[k++] = kiln_int(0);
    v[k++] = kiln_int(42);
    v[k++] = kiln_int(-1);
    v[k++] = kiln_double(1.5);
    v[k++] = kiln_double(0.0);
    v[k++] = kiln_double(NAN);
    v[k++] = kiln_str_ref("", 0);
    v[k++] = kiln_cstr(a, "hello");
    v[k++] = kiln_bytes_ref("hello", 5);
    v[k++] = kiln_pair(a, kiln_cstr(a, "word"), kiln_int(1));
    v[k++] = kiln_list_ref(one_two_three, 3);
    v[k++] = kiln_vec_ref(xy, 2);
    v[k++] = kiln_tuple_new(a, forty, 40); /* more than one 32-item chunk */
    v[k++] = kiln_cstr(a, "The quick brown fox jumps over the lazy dog, twice: The quick brown "
                          "fox jumps over the lazy dog.");
    assert_int_equal(k, N_FIXED);
}

static const uint64_t pinned[N_FIXED] = {
    0x562927ed28227d40ULL, /* null */
    0xc4e7fdcdbffba03fULL, /* false */
    0xfb891fadf073d61aULL, /* true */
    0xf8b1fb7d5f3b12a6ULL, /* 0 */
    0x3dfe82a1f810c3c4ULL, /* 42 */
    0x35009c881973a0f2ULL, /* -1 */
    0x4b10ab7ce8190b4dULL, /* 1.5 */
    0x20bae827f9dd59f9ULL, /* 0.0 (and -0.0) */
    0xbbbad95715d63f63ULL, /* NaN (every NaN) */
    0xc540e50bd1b1c91cULL, /* "" */
    0xcc9ed58f1a7b2da5ULL, /* "hello" */
    0x889a824c07500c68ULL, /* bytes "hello" */
    0xe7aa7407b853ef52ULL, /* ("word",1) */
    0xc314b3b15cfe98bcULL, /* [1, 2, 3] */
    0x034bef14cc40f623ULL, /* vector [1.0,2.0] */
    0xd5de77c827b56a0aULL, /* (0,1,...,39) */
    0x69fd4b0da71fbb98ULL, /* a 96-byte string */
};

/* Writes the hashes of the fixed values and of N_RANDOM seeded random values
 * to out, one hex number per line. Used in this process and in a child. */
static void write_hashes(FILE *out)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value v[N_FIXED];
    fixed_values(a, v);
    for (int i = 0; i < N_FIXED; i++) fprintf(out, "%016" PRIx64 "\n", kiln_value_hash(&v[i]));
    rng r;
    rng_seed(&r, 99);
    for (int i = 0; i < N_RANDOM; i++) {
        kiln_value x = gen_value(&r, a, 3);
        fprintf(out, "%016" PRIx64 "\n", kiln_value_hash(&x));
    }
    kiln_arena_free(a);
}

static void test_pinned_values(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value v[N_FIXED];
    fixed_values(a, v);
    for (int i = 0; i < N_FIXED; i++) {
        uint64_t h = kiln_value_hash(&v[i]);
        if (h != pinned[i])
            fail_msg("fixed value %d hashes to 0x%016" PRIx64 ", pinned 0x%016" PRIx64, i, h,
                     pinned[i]);
    }
    kiln_arena_free(a);
}

/* A child process (a fresh exec, so other addresses and heap layout)
 * computes the same hashes as this one. */
static void test_same_in_child_process(void **state)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execl("/proc/self/exe", "test_hash", "--print-hashes", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char *child = NULL;
    size_t child_len = 0;
    FILE *in = fdopen(fd[0], "r");
    assert_non_null(in);
    FILE *mem = open_memstream(&child, &child_len);
    int c;
    while ((c = fgetc(in)) != EOF) fputc(c, mem);
    fclose(in);
    fclose(mem);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    char *mine = NULL;
    size_t mine_len = 0;
    mem = open_memstream(&mine, &mine_len);
    write_hashes(mem);
    fclose(mem);
    assert_int_equal(child_len, (size_t)(N_FIXED + N_RANDOM) * 17);
    assert_int_equal(mine_len, child_len);
    assert_memory_equal(mine, child, mine_len);
    free(mine);
    free(child);
}

static void test_equal_values_hash_equal(void **state)
{
    uint64_t bits = 0xfff8000000000abcULL;
    double nan2;
    memcpy(&nan2, &bits, sizeof nan2);
    kiln_value z = kiln_double(0.0), nz = kiln_double(-0.0);
    kiln_value n1 = kiln_double(NAN), n2 = kiln_double(nan2), n3 = kiln_double(-NAN);
    assert_int_equal(kiln_value_hash(&z), kiln_value_hash(&nz));
    assert_int_equal(kiln_value_hash(&n1), kiln_value_hash(&n2));
    assert_int_equal(kiln_value_hash(&n1), kiln_value_hash(&n3));
    double va[3] = {-0.0, NAN, 1}, vb[3] = {0.0, nan2, 1};
    kiln_value xa = kiln_vec_ref(va, 3), xb = kiln_vec_ref(vb, 3);
    assert_int_equal(kiln_value_hash(&xa), kiln_value_hash(&xb));
    kiln_value ta[2] = {nz, xa}, tb[2] = {z, xb};
    kiln_value pa = kiln_tuple_ref(ta, 2), pb = kiln_tuple_ref(tb, 2);
    assert_int_equal(kiln_value_hash(&pa), kiln_value_hash(&pb));

    /* The same string at every alignment. */
    char buf[80];
    const char *text = "alignment does not matter";
    size_t n = strlen(text);
    kiln_value s0 = kiln_str_ref(text, n);
    for (size_t off = 0; off < 16; off++) {
        memcpy(buf + off, text, n);
        kiln_value s = kiln_str_ref(buf + off, n);
        assert_int_equal(kiln_value_hash(&s), kiln_value_hash(&s0));
    }

    /* Over a random pool: eq implies equal hashes; copies hash equally. */
    enum { N = 600 };
    static kiln_value pool[N];
    kiln_arena *a = kiln_arena_new();
    rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < N; i++) pool[i] = gen_value(&r, a, 3);
    int equal_pairs = 0;
    for (int i = 0; i < N; i++) {
        kiln_value copy;
        assert_int_equal(kiln_value_copy(a, &pool[i], &copy), KILN_OK);
        assert_int_equal(kiln_value_hash(&copy), kiln_value_hash(&pool[i]));
        for (int j = i + 1; j < N; j++) {
            if (kiln_value_eq(&pool[i], &pool[j])) {
                equal_pairs++;
                assert_int_equal(kiln_value_hash(&pool[i]), kiln_value_hash(&pool[j]));
            }
        }
    }
    assert_true(equal_pairs > 0);
    kiln_arena_free(a);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Different values (and the same bytes under different types) differ. */
static void test_distinct_values_differ(void **state)
{
    enum { N = 100000 };
    uint64_t *h = malloc(N * sizeof *h);
    assert_non_null(h);
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "key%d", i);
        kiln_value s = kiln_str_ref(key, (size_t)n);
        h[i] = kiln_value_hash(&s);
    }
    qsort(h, N, sizeof *h, cmp_u64);
    for (int i = 1; i < N; i++) assert_true(h[i] != h[i - 1]);
    free(h);

    kiln_value s = kiln_str_ref("a", 1), b = kiln_bytes_ref("a", 1);
    kiln_value i1 = kiln_int(1), d1 = kiln_double(1.0), t = kiln_bool(true);
    kiln_value items[2] = {i1, kiln_int(2)};
    kiln_value tu = kiln_tuple_ref(items, 2), li = kiln_list_ref(items, 2);
    kiln_value et = kiln_tuple_ref(NULL, 0), ev = kiln_vec_ref(NULL, 0);
    kiln_value es = kiln_str_ref("", 0), nul = kiln_null();
    assert_true(kiln_value_hash(&s) != kiln_value_hash(&b));
    assert_true(kiln_value_hash(&i1) != kiln_value_hash(&d1));
    assert_true(kiln_value_hash(&i1) != kiln_value_hash(&t));
    assert_true(kiln_value_hash(&tu) != kiln_value_hash(&li));
    assert_true(kiln_value_hash(&et) != kiln_value_hash(&ev));
    assert_true(kiln_value_hash(&es) != kiln_value_hash(&nul));
    /* Order matters inside a tuple. */
    kiln_value swapped[2] = {items[1], items[0]};
    kiln_value tu2 = kiln_tuple_ref(swapped, 2);
    assert_true(kiln_value_hash(&tu) != kiln_value_hash(&tu2));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-hashes") == 0) {
        write_hashes(stdout);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_values),
        cmocka_unit_test(test_same_in_child_process),
        cmocka_unit_test(test_equal_values_hash_equal),
        cmocka_unit_test(test_distinct_values_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
