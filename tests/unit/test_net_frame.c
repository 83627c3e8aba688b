/*
 * test_net_frame.c - the wire protocol's frames (src/net/frame.c,
 * frame_io.c, payload.c, message.c): random streams of frames, some damaged
 * or cut short, fed to the incremental decoder in pieces of random sizes and
 * compared with a plain whole-buffer reference decoder; hostile lengths
 * refused before anything is allocated; bad magic, versions, types and flags
 * refused with messages naming the peer; the payload cursor's bounds; ERROR
 * and HEARTBEAT payloads; and blocking send/receive over a socketpair (large
 * frames, back-to-back frames, a peer that closes mid-frame, timeouts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"
#include "kt.h"
#include "net/net.h"

static const uint8_t known_types[] = {
#define TYPE(name, val) val,
    NET_MSG_MAP(TYPE)
#undef TYPE
};
#define N_TYPES (sizeof known_types / sizeof known_types[0])

/* ---- Reference decoder ---------------------------------------------------------- */

/* What decoding a whole stream gives: the frames, then how the stream ends. */
enum outcome { END_CLEAN, END_NEED_MORE, END_ERROR };

typedef struct ref_frame {
    uint8_t type;
    size_t off, len; /* payload position in the stream */
} ref_frame;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool type_known(uint8_t t)
{
    for (size_t i = 0; i < N_TYPES; i++)
        if (known_types[i] == t) return true;
    return false;
}

/* The protocol read straight off docs/formats/protocol.md, with the whole
 * stream in hand. A header whose first bytes already differ from the magic is
 * an error even when incomplete (the decoder drops such peers early). */
static enum outcome ref_decode(const uint8_t *s, size_t n, size_t max_len, ref_frame *out,
                               size_t *count)
{
    size_t off = 0;
    *count = 0;
    for (;;) {
        size_t left = n - off;
        if (left == 0) return END_CLEAN;
        if (memcmp(s + off, "KILN", left < 4 ? left : 4) != 0) return END_ERROR;
        if (left < 12) return END_NEED_MORE;
        const uint8_t *h = s + off;
        uint32_t len = le32(h + 8);
        if (h[4] != 1 || !type_known(h[5]) || h[6] != 0 || h[7] != 0 || len > max_len)
            return END_ERROR;
        if (left - 12 < len) return END_NEED_MORE;
        out[(*count)++] = (ref_frame){h[5], off + 12, len};
        off += 12 + len;
    }
}

/* ---- Random streams ---------------------------------------------------------- */

/* Appends k random frames to stream: mostly small, now and then empty or of
 * up to 200 KB (payloads that need the decoder's buffer to grow). */
static void random_stream(rng *g, kiln_buf *stream, int k)
{
    uint8_t *payload = malloc(200000);
    assert_non_null(payload);
    for (int i = 0; i < k; i++) {
        uint64_t pick = rng_next(g) % 100;
        size_t len = pick < 10 ? 0 : pick < 95 ? rng_next(g) % 300 : rng_next(g) % 200000;
        for (size_t j = 0; j < len; j++) payload[j] = (uint8_t)rng_next(g);
        uint8_t type = known_types[rng_next(g) % N_TYPES];
        KT_OK(net_frame_encode(stream, type, payload, len));
    }
    free(payload);
}

/* Damages the stream now and then: flips a byte, cuts it short, or both. */
static void maybe_damage(rng *g, kiln_buf *s)
{
    uint64_t pick = rng_next(g) % 4;
    if (s->len == 0 || pick == 0) return;
    if (pick & 1) s->data[rng_next(g) % s->len] ^= (uint8_t)(1 + rng_next(g) % 255);
    if (pick & 2) s->len = rng_next(g) % s->len;
}

/* Feeds s to a decoder in pieces of random sizes and checks that it yields
 * exactly the reference's frames and ends the same way. */
static enum outcome check_stream(rng *g, const kiln_buf *s, size_t max_len, size_t max_chunk,
                                 int iter, size_t *frames)
{
    ref_frame *want = malloc(sizeof *want * (s->len / 12 + 1));
    assert_non_null(want);
    size_t nwant;
    enum outcome end = ref_decode(s->data, s->len, max_len, want, &nwant);

    net_frame_decoder d;
    net_frame_decoder_init(&d, max_len, "test peer");
    size_t off = 0, got = 0;
    int rc = 0;
    while (off < s->len && rc >= 0) {
        size_t chunk = 1 + rng_next(g) % max_chunk;
        if (chunk > s->len - off) chunk = s->len - off;
        size_t pos = 0;
        do { /* one chunk may hold several frames */
            size_t used;
            net_frame f;
            rc = net_frame_decoder_feed(&d, s->data + off + pos, chunk - pos, &used, &f);
            assert_true(used <= chunk - pos);
            pos += used;
            if (rc == 1) {
                KT_CHECK(got < nwant, "iteration %d: decoder made an extra frame", iter);
                KT_CHECK(f.type == want[got].type && f.payload.len == want[got].len &&
                             (f.payload.len == 0 ||
                              memcmp(f.payload.data, s->data + want[got].off, f.payload.len) == 0),
                         "iteration %d: frame %zu differs from the reference", iter, got);
                KT_CHECK(f.payload.cap <= (f.payload.len < 65536 ? 65536 : f.payload.len),
                         "iteration %d: payload of %zu bytes held %zu", iter, f.payload.len,
                         f.payload.cap);
                net_frame_release(&f);
                got++;
            }
        } while (rc == 1 && pos < chunk);
        if (rc < 0) {
            KT_CHECK(rc == KILN_ECORRUPT, "iteration %d: %s", iter, kiln_err_name(rc));
            KT_CHECK(strstr(kiln_last_error(), "test peer") != NULL, "message: %s",
                     kiln_last_error());
        } else {
            KT_CHECK(pos == chunk, "iteration %d: decoder left bytes without an error", iter);
        }
        off += chunk;
    }
    enum outcome end_got = rc < 0                                         ? END_ERROR
                           : d.state == NET_DEC_HEADER && d.hdr_have == 0 ? END_CLEAN
                                                                          : END_NEED_MORE;
    KT_CHECK(got == nwant, "iteration %d: %zu frames, reference %zu", iter, got, nwant);
    KT_CHECK(end_got == end, "iteration %d: stream ends %d, reference %d", iter, end_got, end);
    /* A failed decoder stays failed. */
    if (rc < 0) {
        size_t used;
        net_frame f;
        assert_int_equal(net_frame_decoder_feed(&d, (const uint8_t *)"KILN", 4, &used, &f), rc);
        assert_int_equal(used, 0);
    }
    net_frame_decoder_release(&d);
    free(want);
    *frames += got;
    return end;
}

static void random_frames_in_random_pieces_match_the_reference(void **state)
{
    rng g;
    rng_seed(&g, 20240611);
    static const size_t limits[] = {NET_MAX_FRAME, 1000, NET_AUTH_MAX_FRAME};
    static const size_t chunks[] = {1, 16, 1500, 300000};
    int ends[3] = {0, 0, 0};
    size_t frames = 0;
    for (int iter = 0; iter < 400; iter++) {
        kiln_buf s;
        kiln_buf_init(&s);
        random_stream(&g, &s, 1 + (int)(rng_next(&g) % 12));
        if (iter % 2) maybe_damage(&g, &s);
        size_t max_chunk = chunks[rng_next(&g) % 4];
        if (max_chunk == 1 && s.len > 50000) max_chunk = 16; /* keep the test fast */
        ends[check_stream(&g, &s, limits[rng_next(&g) % 3], max_chunk, iter, &frames)]++;
        kiln_buf_release(&s);
    }
    /* The draw exercised every way a stream can end, and many frames. */
    KT_CHECK(ends[END_CLEAN] >= 50 && ends[END_NEED_MORE] >= 20 && ends[END_ERROR] >= 50,
             "ends: clean %d, need more %d, error %d", ends[0], ends[1], ends[2]);
    KT_CHECK(frames > 1000, "%zu frames", frames);
}

/* ---- Headers ---------------------------------------------------------------------- */

static void header(uint8_t h[12], const char *magic, uint8_t version, uint8_t type, uint16_t flags,
                   uint32_t len)
{
    memcpy(h, magic, 4);
    h[4] = version;
    h[5] = type;
    h[6] = (uint8_t)flags;
    h[7] = (uint8_t)(flags >> 8);
    for (int i = 0; i < 4; i++) h[8 + i] = (uint8_t)(len >> (8 * i));
}

/* Feeds h to a fresh decoder; returns its result, the message in last error. */
static int feed_header(const uint8_t *h, size_t n, size_t max_len, net_frame_decoder *d)
{
    net_frame_decoder_init(d, max_len, "worker 10.0.0.7:7078");
    size_t used;
    net_frame f;
    int rc = net_frame_decoder_feed(d, h, n, &used, &f);
    if (rc == 1) net_frame_release(&f);
    return rc;
}

static void hostile_length_is_refused_before_allocating(void **state)
{
    uint8_t h[12];
    net_frame_decoder d;
    int64_t before, after, peak;
    header(h, "KILN", 1, NET_MSG_HELLO, 0, 0xFFFFFFFFu);
    static const size_t limits[] = {1024, NET_AUTH_MAX_FRAME, NET_MAX_FRAME};
    for (int i = 0; i < 3; i++) {
        mem_stats_read(&before, &peak);
        assert_int_equal(feed_header(h, sizeof h, limits[i], &d), KILN_ECORRUPT);
        mem_stats_read(&after, &peak);
        assert_int_equal(after, before);
        assert_int_equal(d.state, NET_DEC_FAILED);
        assert_null(d.payload.data);
        assert_int_equal(d.payload.cap, 0);
        assert_non_null(strstr(kiln_last_error(), "4294967295 bytes exceeds the limit"));
        assert_non_null(strstr(kiln_last_error(), "worker 10.0.0.7:7078"));
        net_frame_decoder_release(&d);
    }
    /* One byte over the limit is refused; the limit itself is accepted. */
    header(h, "KILN", 1, NET_MSG_ERROR, 0, 1025);
    assert_int_equal(feed_header(h, sizeof h, 1024, &d), KILN_ECORRUPT);
    net_frame_decoder_release(&d);
    header(h, "KILN", 1, NET_MSG_ERROR, 0, 1024);
    assert_int_equal(feed_header(h, sizeof h, 1024, &d), 0);
    assert_int_equal(net_frame_decoder_wanted(&d), 1024);
    net_frame_decoder_release(&d);

    /* A large length within the limit: what is held follows what arrived. */
    header(h, "KILN", 1, NET_MSG_BLOCK_DATA, 0, 60u << 20);
    mem_stats_read(&before, &peak);
    assert_int_equal(feed_header(h, sizeof h, NET_MAX_FRAME, &d), 0);
    size_t used;
    net_frame f;
    uint8_t some[100] = {0};
    assert_int_equal(net_frame_decoder_feed(&d, some, sizeof some, &used, &f), 0);
    mem_stats_read(&after, &peak);
    assert_true(d.payload.cap <= 64 * 1024);
    assert_true(after - before <= 64 * 1024);
    net_frame_decoder_release(&d);
}

static void bad_headers_are_refused_with_clear_messages(void **state)
{
    uint8_t h[12];
    net_frame_decoder d;
    struct {
        const char *magic;
        uint8_t version, type;
        uint16_t flags;
        const char *message;
    } cases[] = {
        {"KILM", 1, NET_MSG_HELLO, 0, "bad magic bytes 4b 49 4c 4d"},
        {"XILN", 1, NET_MSG_HELLO, 0, "not a kiln peer"},
        {"KILN", 2, NET_MSG_HELLO, 0, "protocol version 2 is not supported"},
        {"KILN", 0, NET_MSG_HELLO, 0, "protocol version 0 is not supported"},
        {"KILN", 1, 0, 0, "unknown message type 0"},
        {"KILN", 1, 6, 0, "unknown message type 6"},
        {"KILN", 1, 255, 0, "unknown message type 255"},
        {"KILN", 1, NET_MSG_HEARTBEAT, 0x100, "HEARTBEAT with unknown flags 0x0100"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        header(h, cases[i].magic, cases[i].version, cases[i].type, cases[i].flags, 4);
        KT_RC(KILN_ECORRUPT, feed_header(h, sizeof h, NET_MAX_FRAME, &d));
        KT_CHECK(strstr(kiln_last_error(), cases[i].message) &&
                     strstr(kiln_last_error(), "worker 10.0.0.7:7078"),
                 "case %zu: message '%s'", i, kiln_last_error());
        net_frame_decoder_release(&d);
    }
    /* Not kiln at all: refused on the first byte, not after 12. */
    assert_int_equal(feed_header((const uint8_t *)"G", 1, NET_MAX_FRAME, &d), KILN_ECORRUPT);
    assert_non_null(strstr(kiln_last_error(), "bad magic bytes 47"));
    net_frame_decoder_release(&d);
    /* A correct partial header is just incomplete. */
    assert_int_equal(feed_header((const uint8_t *)"KIL", 3, NET_MAX_FRAME, &d), 0);
    assert_int_equal(net_frame_decoder_wanted(&d), 9);
    net_frame_decoder_release(&d);
    /* Names and the encoder's own checks. */
    assert_string_equal(net_msg_name(NET_MSG_AUTH_RESPONSE), "AUTH_RESPONSE");
    assert_string_equal(net_msg_name(200), "UNKNOWN");
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(net_frame_encode(&b, 99, "x", 1), KILN_EINVAL);
    KT_OK(net_frame_encode(&b, NET_MSG_SHUTDOWN, NULL, 0));
    assert_int_equal(b.len, NET_HEADER_SIZE);
    assert_memory_equal(b.data, "KILN\x01\x1e\0\0\0\0\0\0", 12);
    kiln_buf_release(&b);
}

/* ---- Payload fields ---------------------------------------------------------------- */

static void write_sample(kiln_buf *b)
{
    wire_writer w;
    wire_writer_init(&w, b);
    wire_put_u8(&w, 0xab);
    wire_put_u32(&w, 0xdeadbeef);
    wire_put_u64(&w, 0x0102030405060708ull);
    wire_put_raw(&w, "nonce", 5);
    wire_put_bytes(&w, "\0\1\2", 3);
    wire_put_str(&w, "worker-1");
    wire_put_str(&w, "");
    KT_OK(wire_writer_finish(&w));
}

/* Reads write_sample's fields; returns wire_reader_end's result. */
static int read_sample(const uint8_t *p, size_t n, bool check_values)
{
    wire_reader r;
    wire_reader_init(&r, p, n, "REGISTER_WORKER from test");
    uint8_t a = wire_get_u8(&r, "a");
    uint32_t b = wire_get_u32(&r, "b");
    uint64_t c = wire_get_u64(&r, "c");
    const uint8_t *raw = wire_get_raw(&r, 5, "nonce");
    size_t blen;
    const uint8_t *bytes = wire_get_bytes(&r, 16, &blen, "bytes");
    char name[16], empty[4];
    size_t nlen = wire_get_str(&r, name, sizeof name, "name");
    wire_get_str(&r, empty, sizeof empty, "empty");
    int rc = wire_reader_end(&r);
    if (check_values) {
        assert_int_equal(rc, KILN_OK);
        assert_int_equal(a, 0xab);
        assert_int_equal(b, 0xdeadbeef);
        assert_true(c == 0x0102030405060708ull);
        assert_memory_equal(raw, "nonce", 5);
        assert_int_equal(blen, 3);
        assert_memory_equal(bytes, "\0\1\2", 3);
        assert_int_equal(nlen, 8);
        assert_string_equal(name, "worker-1");
        assert_string_equal(empty, "");
    } else if (rc != KILN_OK) {
        /* After the first failure every read gives zero / NULL. */
        assert_true(r.err == rc);
        assert_int_equal(wire_get_u64(&r, "later"), 0);
        assert_null(wire_get_raw(&r, 0, "later"));
    }
    return rc;
}

static void payload_cursor_stays_in_bounds(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    write_sample(&b);
    assert_int_equal(b.len, 1 + 4 + 8 + 5 + 7 + 12 + 4);
    read_sample(b.data, b.len, true);
    /* Every prefix is truncated somewhere, and says where. */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan catches a read past it */
        memcpy(copy, b.data, n);
        KT_RC(KILN_ECORRUPT, read_sample(copy, n, false));
        KT_CHECK(strstr(kiln_last_error(), "REGISTER_WORKER from test: field") &&
                     strstr(kiln_last_error(), "truncated"),
                 "prefix %zu: %s", n, kiln_last_error());
        free(copy);
    }
    /* A trailing byte. */
    KT_OK(kiln_buf_append(&b, "!", 1));
    KT_RC(KILN_ECORRUPT, read_sample(b.data, b.len, false));
    assert_non_null(strstr(kiln_last_error(), "1 unexpected bytes after the last field"));
    kiln_buf_release(&b);

    /* Lengths that lie: over the field's limit, or past the payload. */
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'a', 'b'};
    wire_reader r;
    size_t n;
    wire_reader_init(&r, huge, sizeof huge, "STATUS_REPLY");
    assert_null(wire_get_bytes(&r, SIZE_MAX, &n, "blob"));
    assert_int_equal(n, 0);
    assert_int_equal(wire_reader_end(&r), KILN_ECORRUPT);
    assert_non_null(strstr(kiln_last_error(), "needs 4294967295 bytes, 2 left"));
    wire_reader_init(&r, huge, sizeof huge, "STATUS_REPLY");
    assert_null(wire_get_bytes(&r, 100, &n, "blob"));
    assert_non_null(strstr(kiln_last_error(), "field 'blob' at byte 0: length 4294967295 exceeds"));
    /* Strings: too long for the caller's buffer, or holding a NUL. */
    static const uint8_t s5[] = {5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    char out[5];
    wire_reader_init(&r, s5, sizeof s5, "HELLO");
    assert_int_equal(wire_get_str(&r, out, sizeof out, "name"), 0);
    assert_string_equal(out, "");
    assert_int_equal(wire_reader_end(&r), KILN_ECORRUPT);
    static const uint8_t nul[] = {3, 0, 0, 0, 'a', 0, 'b'};
    wire_reader_init(&r, nul, sizeof nul, "HELLO");
    wire_get_str(&r, out, sizeof out, "name");
    assert_int_equal(wire_reader_end(&r), KILN_ECORRUPT);
    assert_non_null(strstr(kiln_last_error(), "holds a NUL byte"));
    /* An empty payload (NULL data) reads zero-length fields. */
    wire_reader_init(&r, NULL, 0, "SHUTDOWN");
    assert_non_null(wire_get_raw(&r, 0, "none"));
    assert_int_equal(wire_reader_end(&r), KILN_OK);
}

static void error_and_heartbeat_payloads_round_trip(void **state)
{
    net_frame f = {.type = NET_MSG_ERROR};
    kiln_buf_init(&f.payload);
    KT_OK(net_msg_error_write(&f.payload, KILN_EFETCH, "map output 3 missing"));
    int code;
    char msg[64];
    KT_OK(net_msg_error_read(&f, "executor 2", &code, msg, sizeof msg));
    assert_int_equal(code, KILN_EFETCH);
    assert_string_equal(msg, "map output 3 missing");
    /* A message longer than the limit is cut, and still reads. */
    char *big = malloc(5000);
    memset(big, 'x', 4999);
    big[4999] = '\0';
    f.payload.len = 0;
    KT_OK(net_msg_error_write(&f.payload, KILN_EIO, big));
    KT_OK(net_msg_error_read(&f, "executor 2", &code, msg, sizeof msg));
    assert_int_equal(strlen(msg), sizeof msg - 1);
    free(big);
    /* The wrong type is refused before its payload is read. */
    net_heartbeat hb;
    KT_RC(KILN_ECORRUPT, net_msg_heartbeat_read(&f, "executor 2", &hb));
    assert_non_null(strstr(kiln_last_error(), "expected HEARTBEAT from executor 2, got ERROR"));
    f.type = NET_MSG_HEARTBEAT;
    f.payload.len = 0;
    net_heartbeat in = {.seq = 41, .sent_ms = 1234567890123ull};
    KT_OK(net_msg_heartbeat_write(&f.payload, &in));
    assert_int_equal(f.payload.len, 16);
    KT_OK(net_msg_heartbeat_read(&f, "executor 2", &hb));
    assert_true(hb.seq == 41 && hb.sent_ms == 1234567890123ull);
    f.payload.len = 15;
    KT_RC(KILN_ECORRUPT, net_msg_heartbeat_read(&f, "executor 2", &hb));
    assert_non_null(strstr(kiln_last_error(), "HEARTBEAT from executor 2: field 'sent_ms'"));
    f.type = NET_MSG_TASK_RESULT;
    KT_RC(KILN_ECORRUPT, net_msg_error_read(&f, "executor 2", &code, msg, sizeof msg));
    assert_non_null(strstr(kiln_last_error(), "expected ERROR from executor 2, got TASK_RESULT"));
    net_frame_release(&f);
}

/* ---- Blocking I/O over a socketpair ------------------------------------------------ */

typedef struct sender {
    int fd;
    size_t len;
    uint8_t *payload;
    int rc;
} sender;

/* Sends one BLOCK_DATA frame then a HEARTBEAT, back to back. */
static void *send_two(void *arg)
{
    sender *s = arg;
    s->rc = net_send_frame(s->fd, NET_MSG_BLOCK_DATA, s->payload, s->len, 10000, "receiver");
    if (s->rc == KILN_OK) s->rc = net_send_frame(s->fd, NET_MSG_HEARTBEAT, "hb", 2, 10000, "r");
    return NULL;
}

static void send_and_receive_over_a_socket(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    /* 3 MB: far more than the socket buffer, so both sides block and resume. */
    sender s = {.fd = sv[0], .len = 3u << 20};
    s.payload = malloc(s.len);
    for (size_t i = 0; i < s.len; i++) s.payload[i] = (uint8_t)(i * 7 + (i >> 13));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_two, &s), 0);
    net_frame f;
    KT_OK(net_recv_frame(sv[1], NET_MAX_FRAME, 10000, "sender", &f));
    assert_int_equal(f.type, NET_MSG_BLOCK_DATA);
    assert_int_equal(f.payload.len, s.len);
    assert_memory_equal(f.payload.data, s.payload, s.len);
    net_frame_release(&f);
    /* The second frame was not swallowed by the first receive. */
    KT_OK(net_recv_frame(sv[1], NET_MAX_FRAME, 10000, "sender", &f));
    assert_int_equal(f.type, NET_MSG_HEARTBEAT);
    assert_int_equal(f.payload.len, 2);
    net_frame_release(&f);
    pthread_join(t, NULL);
    KT_OK(s.rc);

    /* Nothing arrives: a timeout, after about the time asked. */
    double t0 = now_seconds();
    KT_RC(KILN_EIO, net_recv_frame(sv[1], NET_MAX_FRAME, 150, "silent worker", &f));
    double took = now_seconds() - t0;
    assert_true(took >= 0.14 && took < 5);
    assert_non_null(strstr(kiln_last_error(), "timed out waiting for a frame from silent worker"));

    /* Over the receiver's limit: refused from the header alone. (The stream
     * is then out of step, so the connection is closed.) */
    int sv2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    KT_OK(net_send_frame(sv2[0], NET_MSG_LAUNCH_TASK, s.payload, 2000, 1000, "r"));
    KT_RC(KILN_ECORRUPT, net_recv_frame(sv2[1], 1000, 1000, "driver", &f));
    assert_non_null(strstr(kiln_last_error(), "LAUNCH_TASK payload of 2000 bytes exceeds"));
    net_close(sv2[0]);
    net_close(sv2[1]);

    /* Closed inside a frame, and closed between frames. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    uint8_t h[12];
    header(h, "KILN", 1, NET_MSG_TASK_RESULT, 0, 100);
    assert_int_equal(write(sv2[0], h, 12), 12);
    assert_int_equal(write(sv2[0], "abc", 3), 3);
    net_close(sv2[0]);
    KT_RC(KILN_EIO, net_recv_frame(sv2[1], NET_MAX_FRAME, 1000, "executor 5", &f));
    assert_non_null(
        strstr(kiln_last_error(), "closed by executor 5 inside a TASK_RESULT frame (3 of 100"));
    net_close(sv2[1]);
    net_close(sv[0]);
    KT_RC(KILN_EIO, net_recv_frame(sv[1], NET_MAX_FRAME, 1000, "executor 6", &f));
    assert_string_equal(kiln_last_error(), "connection closed by executor 6");
    /* Writing to a closed peer is an error, not a SIGPIPE. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    net_close(sv2[1]);
    KT_RC(KILN_EIO, net_send_frame(sv2[0], NET_MSG_HEARTBEAT, NULL, 0, 1000, "gone"));
    assert_non_null(strstr(kiln_last_error(), "sending HEARTBEAT to gone"));
    net_close(sv2[0]);
    net_close(sv[1]);
    free(s.payload);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_frames_in_random_pieces_match_the_reference),
        cmocka_unit_test(hostile_length_is_refused_before_allocating),
        cmocka_unit_test(bad_headers_are_refused_with_clear_messages),
        cmocka_unit_test(payload_cursor_stays_in_bounds),
        cmocka_unit_test(error_and_heartbeat_payloads_round_trip),
        cmocka_unit_test(send_and_receive_over_a_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
