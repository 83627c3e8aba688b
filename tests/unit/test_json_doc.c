/*
 * test_json_doc.c - base/json.h: the reader (json_doc_parse) against
 * /usr/bin/python3's json module on random documents (nesting, escapes,
 * surrogate pairs, UTF-8, numbers of every form, whitespace) and on
 * mutations of them (a byte changed, dropped or cut), which both must
 * accept or refuse alike and read to the same tree; the writer's output
 * read back by the reader; the depth limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/json.h"
#include "kt.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void ws(kiln_buf *b)
{
    static const char *const w[] = {"", "", "", " ", "\t", "\r", "  "};
    const char *s = w[next() % 7];
    kiln_buf_append(b, s, strlen(s));
}

static void gen_string(kiln_buf *b)
{
    kiln_buf_append(b, "\"", 1);
    int n = (int)(next() % 8);
    for (int i = 0; i < n; i++) {
        char tmp[16];
        switch (next() % 9) {
        case 0:
            kiln_buf_append(b, "\\\"", 2);
            break;
        case 1:
            kiln_buf_append(b, "\\\\\\/\\b\\f\\n\\r\\t", 14);
            break;
        case 2: /* a BMP escape, not a surrogate */
            snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)(next() % 0xD7FF));
            kiln_buf_append(b, tmp, 6);
            break;
        case 3: /* a surrogate pair */
            snprintf(tmp, sizeof tmp, "\\u%04X\\u%04x", 0xD800 + (unsigned)(next() % 0x400),
                     0xDC00 + (unsigned)(next() % 0x400));
            kiln_buf_append(b, tmp, 12);
            break;
        case 4:
            kiln_buf_append(b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9); /* é € 😀 */
            break;
        default: {
            char c = (char)(' ' + next() % 95);
            if (c == '"' || c == '\\') c = 'x';
            kiln_buf_append(b, &c, 1);
        }
        }
    }
    kiln_buf_append(b, "\"", 1);
}

static void gen_number(kiln_buf *b)
{
    char tmp[64];
    switch (next() % 6) {
    case 0:
        snprintf(tmp, sizeof tmp, "%lld", (long long)(next() % 2000) - 1000);
        break;
    case 1:
        snprintf(tmp, sizeof tmp, "%lld", (long long)next() >> (next() % 60));
        break;
    case 2:
        snprintf(tmp, sizeof tmp, "%.*g", (int)(1 + next() % 17),
                 ((double)(int64_t)next()) / (double)(1 + next() % 100000));
        break;
    case 3:
        snprintf(tmp, sizeof tmp, "%de%d", (int)(next() % 100), (int)(next() % 40) - 20);
        break;
    case 4:
        snprintf(tmp, sizeof tmp, "-0.%03dE+%d", (int)(next() % 1000), (int)(next() % 5));
        break;
    default:
        snprintf(tmp, sizeof tmp, "0");
    }
    kiln_buf_append(b, tmp, strlen(tmp));
}

static void gen(kiln_buf *b, int depth)
{
    ws(b);
    int k = (int)(next() % (depth > 6 ? 6 : 9));
    switch (k) {
    case 0:
        kiln_buf_append(b, "null", 4);
        break;
    case 1:
        if (next() % 2) kiln_buf_append(b, "true", 4);
        else kiln_buf_append(b, "false", 5);
        break;
    case 2:
    case 3:
        gen_number(b);
        break;
    case 4:
    case 5:
        gen_string(b);
        break;
    case 6:
    case 7: {
        kiln_buf_append(b, "[", 1);
        int n = (int)(next() % 5);
        for (int i = 0; i < n; i++) {
            if (i) kiln_buf_append(b, ",", 1);
            gen(b, depth + 1);
        }
        ws(b);
        kiln_buf_append(b, "]", 1);
        break;
    }
    default: {
        kiln_buf_append(b, "{", 1);
        int n = (int)(next() % 5);
        for (int i = 0; i < n; i++) {
            if (i) kiln_buf_append(b, ",", 1);
            ws(b);
            char key[32];
            snprintf(key, sizeof key, "\"k%d%s\"", i, next() % 3 ? "" : "\\u00e9");
            kiln_buf_append(b, key, strlen(key));
            ws(b);
            kiln_buf_append(b, ":", 1);
            gen(b, depth + 1);
        }
        ws(b);
        kiln_buf_append(b, "}", 1);
    }
    }
    ws(b);
}

static void hex(kiln_buf *o, const void *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        char two[2] = {d[c[i] >> 4], d[c[i] & 15]};
        kiln_buf_append(o, two, 2);
    }
}

/* The canonical form both sides print (see PY below). */
static void canon(kiln_buf *o, const json_node *v)
{
    char tmp[64];
    switch (v->type) {
    case JSON_NULL:
        kiln_buf_append(o, "n", 1);
        break;
    case JSON_BOOL:
        kiln_buf_append(o, v->b ? "t" : "f", 1);
        break;
    case JSON_NUMBER:
        snprintf(tmp, sizeof tmp, "d%.17g", v->is_int ? (double)v->i : v->num);
        kiln_buf_append(o, tmp, strlen(tmp));
        break;
    case JSON_STRING:
        kiln_buf_append(o, "s", 1);
        hex(o, v->str, v->len);
        break;
    case JSON_ARRAY:
        kiln_buf_append(o, "[", 1);
        for (size_t i = 0; i < v->n; i++) {
            if (i) kiln_buf_append(o, ",", 1);
            canon(o, v->items[i]);
        }
        kiln_buf_append(o, "]", 1);
        break;
    case JSON_OBJECT:
        kiln_buf_append(o, "{", 1);
        for (size_t i = 0; i < v->n; i++) {
            if (i) kiln_buf_append(o, ",", 1);
            kiln_buf_append(o, "s", 1);
            hex(o, v->keys[i], strlen(v->keys[i]));
            kiln_buf_append(o, ":", 1);
            canon(o, v->items[i]);
        }
        kiln_buf_append(o, "}", 1);
        break;
    }
}

/* Reads hex lines on stdin, prints each document's canonical form or ERR. */
static const char PY[] =
    "import json, sys\n"
    "def bad(x): raise ValueError(x)\n"
    "def s(t): return 's' + ''.join('\\ufffd' if 0xd800 <= ord(ch) <= 0xdfff else ch for ch in "
    "t).encode('utf-8').hex()\n"
    "def c(v):\n"
    "  if v is None: return 'n'\n"
    "  if v is True: return 't'\n"
    "  if v is False: return 'f'\n"
    "  if isinstance(v, (int, float)): return 'd%.17g' % float(v)\n"
    "  if isinstance(v, str): return s(v)\n"
    "  if isinstance(v, list): return '[' + ','.join(c(x) for x in v) + ']'\n"
    "  return '{' + ','.join(s(k) + ':' + c(x) for k, x in v[1]) + '}'\n"
    "for line in sys.stdin:\n"
    "  try:\n"
    "    t = bytes.fromhex(line.strip()).decode('utf-8')\n"
    "    v = json.loads(t, object_pairs_hook=lambda p: ('O', p), parse_constant=bad)\n"
    "    print(c(v))\n"
    "  except (ValueError, RecursionError, OverflowError):\n"
    "    print('ERR')\n";

static void against_python(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0) skip();
    char *dir = kt_tmpdir_new();
    char *in = kt_path(dir, "docs.hex"), *py = kt_path(dir, "canon.py"),
         *out = kt_path(dir, "canon.txt");
    kt_write_file(py, PY, strlen(PY));
    enum { N = 4000 };
    kiln_buf docs, hexes, mine;
    kiln_buf_init(&docs);
    kiln_buf_init(&hexes);
    kiln_buf_init(&mine);
    kiln_arena *a = kiln_arena_new();
    int invalid = 0;
    for (int i = 0; i < N; i++) {
        kiln_buf d;
        kiln_buf_init(&d);
        gen(&d, 0);
        if (i % 2 && d.len > 0) { /* mutate: change, drop or cut */
            size_t at = next() % d.len;
            switch (next() % 3) {
            case 0:
                d.data[at] = (uint8_t) "{}[]\",:\\u0e-+. x\x80\xff"[next() % 18];
                break;
            case 1:
                memmove(d.data + at, d.data + at + 1, d.len - at - 1);
                d.len--;
                break;
            default:
                d.len = at;
            }
        }
        hex(&hexes, d.data, d.len);
        kiln_buf_append(&hexes, "\n", 1);
        json_node *v;
        char err[200];
        kiln_arena_reset(a);
        if (json_doc_parse(a, (const char *)d.data, d.len, &v, err, sizeof err) == KILN_OK) {
            canon(&mine, v);
        } else {
            kiln_buf_append(&mine, "ERR", 3);
            invalid++;
        }
        kiln_buf_append(&mine, "\n", 1);
        kiln_buf_release(&d);
    }
    assert_true(invalid > N / 8 && invalid < N * 3 / 4);
    kt_write_file(in, hexes.data, hexes.len);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(in, "r", stdin) || !freopen(out, "w", stdout)) _exit(127);
        execl("/usr/bin/python3", "python3", py, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t len;
    char *theirs = kt_read_file(out, &len);
    /* line by line, naming the first difference */
    const char *p = (const char *)mine.data, *q = theirs;
    for (int i = 0; i < N; i++) {
        const char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
        assert_non_null(pe);
        assert_non_null(qe);
        if (pe - p != qe - q || memcmp(p, q, (size_t)(pe - p)) != 0) {
            fprintf(stderr, "document %d differs:\nkiln:   %.*s\npython: %.*s\n", i, (int)(pe - p),
                    p, (int)(qe - q), q);
            fail();
        }
        p = pe + 1;
        q = qe + 1;
    }
    free(theirs);
    kiln_arena_free(a);
    kiln_buf_release(&docs);
    kiln_buf_release(&hexes);
    kiln_buf_release(&mine);
    kt_rm_rf(dir);
    free(in);
    free(py);
    free(out);
    free(dir);
}

/* What the writer writes, the reader reads back: strings of any bytes
 * (invalid UTF-8 as U+FFFD), numbers, nesting. */
static void writer_round_trip(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    for (int round = 0; round < 500; round++) {
        kiln_buf b;
        kiln_buf_init(&b);
        json_writer w;
        json_writer_init(&w, &b);
        char raw[32];
        size_t n = next() % sizeof raw;
        for (size_t i = 0; i < n; i++) raw[i] = (char)(next() % 256 ?: 1);
        raw[n] = '\0';
        double d = (double)(int64_t)next() / (double)(1 + next() % 1000);
        int64_t iv = (int64_t)next();
        json_obj_begin(&w);
        json_key(&w, raw);
        json_str(&w, raw);
        json_key(&w, "d");
        json_double(&w, d);
        json_key(&w, "i");
        json_int(&w, iv);
        json_key(&w, "l");
        json_arr_begin(&w);
        json_null(&w);
        json_bool(&w, true);
        json_arr_begin(&w);
        json_arr_end(&w);
        json_obj_begin(&w);
        json_obj_end(&w);
        json_arr_end(&w);
        json_obj_end(&w);
        assert_int_equal(json_writer_finish(&w), KILN_OK);
        json_node *v;
        char err[200];
        int rc = json_doc_parse(a, (const char *)b.data, b.len, &v, err, sizeof err);
        if (rc) fprintf(stderr, "%s: %.*s\n", err, (int)b.len, (char *)b.data);
        assert_int_equal(rc, KILN_OK);
        assert_true(json_get_num(v, "d", 0) == d);
        assert_true(json_get_int(v, "i", 0) == iv);
        assert_int_equal(json_get(v, "l")->n, 4);
        /* valid UTF-8 strings come back as they went */
        bool valid = true;
        for (size_t i = 0; i < n; i++) valid &= (unsigned char)raw[i] < 0x80;
        if (valid) assert_string_equal(json_get_str(v, raw), raw);
        kiln_buf_release(&b);
    }
    kiln_arena_free(a);
}

/* Nesting past the limit is an error naming the byte, not a crash. */
static void depth_limit(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    size_t n = 1000000;
    char *deep = malloc(n);
    memset(deep, '[', n);
    json_node *v;
    char err[200];
    assert_int_equal(json_doc_parse(a, deep, n, &v, err, sizeof err), KILN_ECORRUPT);
    char want[64];
    snprintf(want, sizeof want, "byte %d: nested deeper than %d", JSON_READ_MAX_DEPTH,
             JSON_READ_MAX_DEPTH);
    assert_non_null(strstr(err, want));
    free(deep);
    assert_int_equal(json_doc_parse(a, "{\"a\" 1}", 7, &v, err, sizeof err), KILN_ECORRUPT);
    assert_string_equal(err, "byte 5: expected ':' after an object key");
    assert_int_equal(json_doc_parse(a, "[1,]", 4, &v, err, sizeof err), KILN_ECORRUPT);
    assert_int_equal(json_doc_parse(a, " 12 ", 4, &v, err, sizeof err), KILN_OK);
    assert_true(v->is_int && v->i == 12);
    kiln_arena_free(a);
}

/* json_write_node writes what it was given again: random documents
 * parsed, written, parsed again and written again come out the same, and
 * the first writing holds no whitespace the generator put in. */
static void node_rewrite(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    for (int round = 0; round < 2000; round++) {
        kiln_buf doc, once, twice;
        kiln_buf_init(&doc);
        kiln_buf_init(&once);
        kiln_buf_init(&twice);
        gen(&doc, 0);
        json_node *v, *v2;
        char err[200];
        assert_int_equal(json_doc_parse(a, (const char *)doc.data, doc.len, &v, err, sizeof err),
                         KILN_OK);
        json_writer w;
        json_writer_init(&w, &once);
        json_write_node(&w, v);
        assert_int_equal(json_writer_finish(&w), KILN_OK);
        assert_int_equal(json_doc_parse(a, (const char *)once.data, once.len, &v2, err, sizeof err),
                         KILN_OK);
        json_writer_init(&w, &twice);
        json_write_node(&w, v2);
        assert_int_equal(json_writer_finish(&w), KILN_OK);
        assert_int_equal(once.len, twice.len);
        assert_memory_equal(once.data, twice.data, once.len);
        assert_null(memchr(once.data, '\n', once.len));
        kiln_buf_release(&doc);
        kiln_buf_release(&once);
        kiln_buf_release(&twice);
        kiln_arena_reset(a);
    }
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_python),
        cmocka_unit_test(writer_round_trip),
        cmocka_unit_test(depth_limit),
        cmocka_unit_test(node_rewrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
