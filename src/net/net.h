/*
 * net/net.h - the network foundation for cluster mode, for kiln's other
 * subsystems: a framed, versioned binary protocol over TCP (frames, an
 * incremental decoder, blocking send/receive with deadlines, a payload
 * reader and writer), shared-secret mutual authentication (HMAC-SHA256),
 * secrets, TCP socket helpers, and optional TLS keyed by the secret. The wire format is in
 * docs/formats/protocol.md; structures, lifetimes and invariants in
 * src/net/README.md.
 *
 * Errors follow the rest of kiln: 0 (KILN_OK) or a negative KILN_E* code,
 * the message in kiln_last_error(). Malformed or hostile bytes from a peer
 * are KILN_ECORRUPT, a closed connection or a timeout KILN_EIO ("timed
 * out" in the message), failed authentication KILN_EINVAL, a bad URL or
 * secret KILN_ECONF.
 */
#ifndef KILN_NET_H
#define KILN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wire.h"
#include "kiln.h"

/* ---- Frames (frame.c) ------------------------------------------------------ */

#define NET_MAGIC "KILN"          /* the first 4 bytes of every frame */
#define NET_VERSION 1             /* the only protocol version this build speaks */
#define NET_HEADER_SIZE 12        /* magic 4, version 1, type 1, flags 2, length 4 */
#define NET_MAX_FRAME (64u << 20) /* default payload limit once authenticated */
#define NET_AUTH_MAX_FRAME 256u   /* payload limit before authentication */

/* Message types: name, value. The value is the type byte on the wire, so
 * existing values never change; new types take new values. */
#define NET_MSG_MAP(X)                                                                             \
    X(HELLO, 1)                                                                                    \
    X(CHALLENGE, 2)                                                                                \
    X(AUTH_RESPONSE, 3)                                                                            \
    X(AUTH_OK, 4)                                                                                  \
    X(AUTH_FAIL, 5)                                                                                \
    X(REGISTER_WORKER, 16)                                                                         \
    X(REGISTER_APP, 17)                                                                            \
    X(LAUNCH_EXECUTOR, 18)                                                                         \
    X(EXECUTOR_STATE, 19)                                                                          \
    X(REGISTER_EXECUTOR, 20)                                                                       \
    X(LAUNCH_TASK, 21)                                                                             \
    X(TASK_RESULT, 22)                                                                             \
    X(HEARTBEAT, 23)                                                                               \
    X(KILL_EXECUTOR, 24)                                                                           \
    X(FETCH_BLOCK, 25)                                                                             \
    X(BLOCK_DATA, 26)                                                                              \
    X(STATUS_REQUEST, 27)                                                                          \
    X(STATUS_REPLY, 28)                                                                            \
    X(ERROR, 29)                                                                                   \
    X(SHUTDOWN, 30)                                                                                \
    X(REGISTERED_WORKER, 31)                                                                       \
    X(REGISTERED_APP, 32)                                                                          \
    X(FETCH_FILE, 33)                                                                              \
    X(FILE_DATA, 34)                                                                               \
    X(APP_EXECUTOR, 35)                                                                            \
    X(FETCH_CACHED, 36)                                                                            \
    X(REMOVE_RDD, 37)                                                                              \
    X(RELEASE, 38)                                                                                 \
    X(CANCEL_JOBS, 39)                                                                             \
    X(CANCEL_JOB, 40)

typedef enum net_msg_type {
#define NET_MSG_ENUM(name, val) NET_MSG_##name = (val),
    NET_MSG_MAP(NET_MSG_ENUM)
#undef NET_MSG_ENUM
} net_msg_type;

/* The static name of a type ("HEARTBEAT"), or "UNKNOWN". */
const char *net_msg_name(int type);
/* True when type is one of NET_MSG_MAP. */
bool net_msg_known(int type);

/* A frame's header, decoded. */
typedef struct net_frame_header {
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint32_t len; /* payload bytes after the header */
} net_frame_header;

/* A complete frame. The payload is owned by whoever holds the frame and is
 * released with net_frame_release; payload.len == header.len. */
typedef struct net_frame {
    uint8_t type;
    uint16_t flags;
    kiln_buf payload;
} net_frame;

void net_frame_release(net_frame *f);

/* Writes the header of a frame of type with len payload bytes to hdr. */
void net_frame_header_write(uint8_t hdr[NET_HEADER_SIZE], uint8_t type, uint32_t len);

/* Checks the header at hdr: magic, version, known type, zero flags and
 * len <= max_len. peer names the other side in messages ("worker
 * 10.0.0.7:7078"; may be NULL). Returns KILN_OK or KILN_ECORRUPT, having
 * allocated nothing. */
int net_frame_header_parse(const uint8_t hdr[NET_HEADER_SIZE], size_t max_len, const char *peer,
                           net_frame_header *out);

/* Appends one frame (header, then len bytes of payload) to out. Returns
 * KILN_OK, KILN_EINVAL when the type is unknown or len does not fit the
 * 32-bit length field (the receiver enforces its own, lower, limit), or
 * KILN_ENOMEM. Borrows payload. */
int net_frame_encode(kiln_buf *out, uint8_t type, const void *payload, size_t len);

/* The incremental decoder: feed it whatever bytes arrived, in any pieces,
 * and it returns complete frames. Caller-owned struct (_init/_release). */
typedef enum net_decoder_state {
    NET_DEC_HEADER,  /* gathering the 12 header bytes */
    NET_DEC_PAYLOAD, /* header accepted; gathering its payload */
    NET_DEC_FAILED   /* a header was refused or memory ran out: sticky */
} net_decoder_state;

typedef struct net_frame_decoder {
    net_decoder_state state;
    size_t max_len;   /* payload limit; a longer header is an error */
    const char *peer; /* borrowed, for messages; may be NULL */
    uint8_t hdr[NET_HEADER_SIZE];
    size_t hdr_have;      /* header bytes gathered (state HEADER) */
    net_frame_header cur; /* the frame being gathered (state PAYLOAD) */
    kiln_buf payload;     /* its payload so far; grows with what arrives */
    int err;              /* the error that failed the decoder (state FAILED) */
} net_frame_decoder;

/* Starts a decoder that accepts payloads of at most max_len bytes (any limit
 * the caller picks: NET_MAX_FRAME, NET_AUTH_MAX_FRAME...; the wire itself
 * allows 4 GiB - 1). peer is borrowed for the decoder's life. */
void net_frame_decoder_init(net_frame_decoder *d, size_t max_len, const char *peer);
/* Frees a partly gathered payload. The decoder can be re-initialised. */
void net_frame_decoder_release(net_frame_decoder *d);

/* Consumes bytes from p[0..n) until one frame completes or the input ends;
 * *used is how many it consumed (the rest belongs to later frames).
 * Returns 1 with *out filled (ownership of the payload passes to the caller),
 * 0 when it needs more bytes (then *used == n), or a negative code:
 * KILN_ECORRUPT for a bad header, KILN_ENOMEM. After an error the decoder
 * stays failed and returns the same code. Memory held is at most about
 * twice the payload bytes received plus 64 KiB, whatever a header claims. */
int net_frame_decoder_feed(net_frame_decoder *d, const uint8_t *p, size_t n, size_t *used,
                           net_frame *out);

/* How many bytes the decoder needs before it can make progress at a frame
 * boundary or finish the current frame (>= 1 unless failed). A blocking
 * reader reads at most this much so it never consumes the next frame. */
size_t net_frame_decoder_wanted(const net_frame_decoder *d);

/* ---- Blocking frame I/O on a socket (frame_io.c) ----------------------------- */

/* Sends one frame on fd (blocking or not), retrying on EINTR and short
 * writes; never raises SIGPIPE. timeout_ms < 0 waits forever. Returns
 * KILN_OK, KILN_EINVAL (bad type or length), or KILN_EIO naming peer (the
 * connection failed or the deadline passed). Borrows payload. */
int net_send_frame(int fd, uint8_t type, const void *payload, size_t len, int timeout_ms,
                   const char *peer);

/* Receives one frame of at most max_len payload bytes, within timeout_ms
 * for the whole frame (< 0: forever). Reads no byte past the frame.
 * Returns KILN_OK with *out owned by the caller, KILN_ECORRUPT (bad header,
 * rejected before allocating its payload), KILN_EIO (closed, failed, timed
 * out) or KILN_ENOMEM. */
int net_recv_frame(int fd, size_t max_len, int timeout_ms, const char *peer, net_frame *out);
/* The same into a frame whose payload buffer is reused (its content is
 * replaced; the caller still owns it, on failure too), so a stream of
 * large frames does not allocate each anew. */
int net_recv_frame_reuse(int fd, size_t max_len, int timeout_ms, const char *peer, net_frame *out);

/* ---- Messages with a payload defined today (message.c) --------------------- */

#define NET_ERROR_MAX_MESSAGE 1024

/* ERROR: a kiln error code and its message. */
int net_msg_error_write(kiln_buf *b, int code, const char *message);
/* Decodes an ERROR payload; message gets at most size - 1 bytes. */
int net_msg_error_read(const net_frame *f, const char *peer, int *code, char *message, size_t size);

/* HEARTBEAT: a sequence number and the sender's monotonic clock in ms. */
typedef struct net_heartbeat {
    uint64_t seq;
    uint64_t sent_ms;
} net_heartbeat;
int net_msg_heartbeat_write(kiln_buf *b, const net_heartbeat *h);
int net_msg_heartbeat_read(const net_frame *f, const char *peer, net_heartbeat *h);

/* ---- Authentication (auth.c) --------------------------------------------- */

#define NET_NONCE_SIZE 32
#define NET_MAC_SIZE 32 /* HMAC-SHA256 */
#define NET_SECRET_MIN 16
#define NET_SECRET_MAX 4096

/* The mutual challenge-response of docs/formats/protocol.md, run by the side
 * that connected (client) and the side that accepted (server) before any
 * other message. Both prove they hold the secret without sending it; frames
 * are limited to NET_AUTH_MAX_FRAME bytes until it succeeds. timeout_ms
 * bounds the whole handshake (< 0: forever). Returns KILN_OK, KILN_EINVAL
 * ("authentication failed: ..." naming peer: wrong secret on either side),
 * KILN_ECORRUPT (the peer does not speak the protocol) or KILN_EIO
 * (closed, timed out). Borrows secret. A failed server also tells the
 * client, which then reports the wrong secret rather than a closed socket. */
int net_auth_client(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer);
int net_auth_server(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer);

/* ---- The server's handshake without blocking (handshake.c) ----------------------- */

/* The server's side of a new connection's handshake (TLS when asked, then
 * the HMAC challenge-response above) as a state machine for a poll()
 * loop: the same messages, checks and errors as net_tls_server +
 * net_auth_server (which is a loop over it), but each step reads only what
 * the socket holds (never a byte past the handshake), keeps a reply the
 * socket would not take whole, and returns instead of waiting. Frames are
 * limited to NET_AUTH_MAX_FRAME. Caller-owned struct (_init / _release);
 * fields are the machine's own. */
typedef enum net_hs_phase {
    NET_HS_TLS,       /* TLS handshake (kiln.ssl.enabled) */
    NET_HS_HELLO,     /* reading HELLO */
    NET_HS_CHALLENGE, /* writing CHALLENGE */
    NET_HS_RESPONSE,  /* reading AUTH_RESPONSE */
    NET_HS_OK,        /* writing AUTH_OK */
    NET_HS_DONE,      /* authenticated */
    NET_HS_FAILED     /* sticky */
} net_hs_phase;

typedef struct net_handshake {
    int fd;
    const uint8_t *secret; /* borrowed */
    size_t secret_len;
    const char *peer; /* borrowed, for messages */
    int64_t deadline; /* for the whole handshake; -1: none */
    net_hs_phase phase;
    struct net_tls_pending *tls; /* NET_HS_TLS */
    net_frame_decoder dec;       /* the frame being read */
    uint8_t nonce_c[NET_NONCE_SIZE], nonce_s[NET_NONCE_SIZE];
    uint8_t out[NET_HEADER_SIZE + 64]; /* a reply the socket has not taken yet */
    size_t out_len, out_sent;
    uint8_t out_type;
    int err; /* NET_HS_FAILED */
} net_handshake;

/* Prepares the handshake of the connection fd (accepted, blocking or not:
 * the machine never waits), TLS first when tls, all of it within
 * timeout_ms from now (< 0: no limit). Reads and writes nothing yet.
 * secret and peer are borrowed until _release. Returns KILN_OK, or
 * KILN_EINVAL for a secret of a bad length, KILN_ENOMEM (then the machine
 * is failed; _release it all the same). */
int net_handshake_init(net_handshake *h, int fd, const uint8_t *secret, size_t len, bool tls,
                       int timeout_ms, const char *peer);

/* Goes as far as the socket allows now. Returns KILN_OK with *events 0
 * when the peer is authenticated (the fd is then ready for frames, through
 * TLS when asked); KILN_OK with *events POLLIN or POLLOUT when it must wait
 * for that (call again once poll() says so, or at the deadline); or the
 * error net_auth_server / net_tls_server would give, naming peer: KILN_EINVAL
 * (wrong secret: AUTH_FAIL was sent), KILN_ECORRUPT (not a kiln peer, a
 * frame over NET_AUTH_MAX_FRAME, a message out of turn), KILN_EIO (closed,
 * or the deadline passed while waiting: "timed out"). The deadline is only
 * judged when the machine has to wait, so bytes already received are read
 * first. After an error every call returns the same code (the caller
 * closes fd). */
int net_handshake_step(net_handshake *h, short *events);

/* ms until h's deadline, for poll() (-1: none, 0: passed). */
int net_handshake_timeout_ms(const net_handshake *h);

/* Frees what h holds (an unfinished TLS session, a partial frame). Does not
 * close fd. */
void net_handshake_release(net_handshake *h);

/* ---- Secrets (secret.c) ---------------------------------------------------- */

/* Writes 64 hex digits of 32 random bytes and a NUL to out. KILN_EIO if the
 * system's random source fails. */
int net_secret_generate(char out[65]);

/* Resolves a configured secret (kiln.authenticate.secret): "file:PATH"
 * reads the secret from PATH (one trailing newline removed), refusing a file
 * that group or others may read or write, or that is not a regular file;
 * any other value is the secret itself. The secret must have NET_SECRET_MIN
 * to NET_SECRET_MAX bytes. Returns KILN_OK with *out owned by the caller
 * (free with net_secret_free), KILN_ECONF or KILN_ENOENT naming the file. */
int net_secret_load(const char *spec, uint8_t **out, size_t *len);
/* Wipes and frees a secret from net_secret_load (NULL allowed). */
void net_secret_free(uint8_t *secret, size_t len);

/* ---- Sockets and URLs (socket.c, url.c) ------------------------------------------- */

#define NET_HOST_MAX 256

/* A parsed "kiln://host:port": host without brackets ("::1" for
 * kiln://[::1]:7077), port in 1..65535. */
typedef struct net_url {
    char host[NET_HOST_MAX];
    int port;
} net_url;

/* Parses url. KILN_ECONF naming the url and what is wrong otherwise. */
int net_url_parse(const char *url, net_url *out);
/* Writes "SCHEME://host:port" into out (size bytes), an IPv6 host in
 * brackets ("kiln://[::1]:7077"). */
void net_url_format(char *out, size_t size, const char *scheme, const char *host, int port);

/* Listens on host:port (host NULL or "" for every address; port 0 picks a
 * free one). Returns KILN_OK with *fd (close-on-exec) and *bound_port, or
 * KILN_EIO naming host and port. */
int net_listen(const char *host, int port, int backlog, int *fd, int *bound_port);

/* Connects to host:port within timeout_ms (< 0: the system's own limit),
 * trying each resolved address. Returns KILN_OK with a blocking,
 * close-on-exec, TCP_NODELAY socket in *fd, or KILN_EIO naming the
 * address ("connection refused", "timed out", ...). */
int net_connect(const char *host, int port, int timeout_ms, int *fd);

/* Waits up to timeout_ms (< 0: forever) for a connection on lfd. Returns
 * KILN_OK with a blocking, close-on-exec, TCP_NODELAY socket in *fd and
 * the peer's "host:port" in peer (size bytes, may be NULL), or KILN_EIO. */
int net_accept(int lfd, int timeout_ms, int *fd, char *peer, size_t size);

/* One non-blocking accept on lfd (a listening socket from net_listen):
 * the accept every loop shares (net_accept, the listener below, the
 * master's poll() loop). Returns KILN_OK with a blocking, close-on-exec,
 * TCP_NODELAY socket in *fd and the peer's "host:port" in peer (size bytes,
 * may be NULL); KILN_OK with *fd == -1 when no connection is waiting (none
 * came, or the client gave up between poll and accept, or a signal); or
 * KILN_EIO ("accepting a connection: ...", out of descriptors say). */
int net_accept_nb(int lfd, int *fd, char *peer, size_t size);

/* Sets TCP_NODELAY (small control frames go out at once). */
int net_set_nodelay(int fd);

/* Closes fd, ignoring EINTR (Linux has closed it anyway); -1 is a no-op.
 * A TLS socket's session is ended first (close_notify, not waited for) and
 * freed. */
void net_close(int fd);

/* ---- The accept loop (listener.c) -------------------------------------------------- */

/* Serves one connection, on a thread of its own: fd has passed the
 * handshake the listener was told to run and is now the handler's (it
 * closes it or hands it on); peer names the other side ("fetcher
 * 10.0.0.7:41234"), borrowed for the call. */
typedef void (*net_conn_fn)(void *arg, int fd, const char *peer);

typedef struct net_listener_opts {
    const uint8_t *secret; /* the shared secret, borrowed until net_listener_free (or for
                              good when it is never freed); NULL: no handshake */
    size_t secret_len;
    bool tls;                 /* net_tls_server before net_auth_server (kiln.ssl.enabled) */
    int handshake_timeout_ms; /* for the whole handshake */
    const char *component;    /* names the server in log lines ("cluster", "blocks") */
    const char *peer_prefix;  /* peer names are "PREFIX host:port"; NULL: "host:port" */
} net_listener_opts;

/* A listening socket's accept loop: one thread accepts and runs the
 * handshakes of new connections itself, without blocking (net_handshake:
 * TLS when o->tls, then the HMAC challenge-response, each connection
 * within o->handshake_timeout_ms), and only a connection that passed gets
 * a detached thread, which runs fn(arg, fd, peer). A failed handshake is
 * logged at WARN (throttled) and the socket closed; fn never sees it.
 * Handshakes in progress are bounded (256, 128 from one address): past
 * that the oldest is closed for the newcomer; when accept fails (out of
 * descriptors) the oldest is closed too, or with none the listening socket
 * rests 100 ms. Heap object (_start / _free). */
typedef struct net_listener net_listener;

/* Starts accepting on lfd (from net_listen; borrowed: the caller closes it
 * after net_listener_stop). Copies *o (its strings must be static).
 * Returns KILN_OK with *out, KILN_EINVAL for a secret of a bad length or
 * KILN_ENOMEM. */
int net_listener_start(int lfd, const net_listener_opts *o, net_conn_fn fn, void *arg,
                       net_listener **out);
/* Stops accepting and joins the accept thread (within about 200 ms).
 * Handshakes in progress are closed; authenticated connections go on:
 * their handlers still run. */
void net_listener_stop(net_listener *l);
/* Stops (if not yet), waits until every connection's thread has returned,
 * and frees l. NULL allowed. A server whose handlers may run for ever (a
 * block server's idle connections) stops its listener and never frees it. */
void net_listener_free(net_listener *l);

/* ---- Raw bytes after a frame header (frame_io.c) ----------------------------------- */

/* Sends n bytes of p as they are (the rest of a frame whose header was
 * written by hand, say), through TLS when fd has it, retrying on EINTR and
 * short writes, within timeout_ms (< 0: forever); never raises SIGPIPE.
 * Returns KILN_OK or KILN_EIO naming peer. Borrows p. */
int net_send_raw(int fd, const void *p, size_t n, int timeout_ms, const char *peer);

/* Sends len bytes of file_fd from offset (file_fd's own position is not
 * used or moved): with sendfile(2) on a plain socket (made non-blocking for
 * the call, so the deadline holds, then restored), with pread and SSL_write
 * on a TLS one. Returns KILN_OK, or KILN_EIO naming peer (the connection
 * failed, the deadline passed, or the file ends before offset + len). */
int net_send_file(int fd, int file_fd, uint64_t offset, uint64_t len, int timeout_ms,
                  const char *peer);

/* Reads what is available now, without waiting, for event loops that feed
 * a net_frame_decoder after poll() (src/deploy/master.c): up to n (> 0)
 * bytes into p, through TLS when fd has it. Returns KILN_OK with *got bytes
 * (0: nothing yet, poll again) and *closed set when the peer has closed
 * the connection, or KILN_EIO naming peer. On a TLS fd, when *got == n more
 * may already be decrypted and waiting, which poll() cannot see: call again
 * before polling. */
int net_recv_nb(int fd, void *p, size_t n, size_t *got, bool *closed, const char *peer);

/* ---- TLS (tls.c) ------------------------------------------------------------------- */

/* TLS 1.3 on a connected socket, keyed by the shared secret (PSK =
 * HMAC-SHA256(secret, "kiln tls psk v1"), suite TLS_AES_256_GCM_SHA384 with
 * ECDHE; no certificates), run by the side that connected (client) and the
 * side that accepted (server) before net_auth_*: connect, net_tls_client,
 * net_auth_client, frames (accept, net_tls_server, net_auth_server, ...).
 * timeout_ms bounds the whole handshake (< 0: forever). On success fd is
 * registered as a TLS socket: net_send_frame, net_recv_frame(_reuse),
 * net_auth_*, net_send_raw and net_send_file then go through TLS, and
 * net_close (which must close it: never close() a TLS fd) ends the
 * session and frees it. Nothing else may write to or read from the fd
 * directly. The socket may be blocking or not; its flags are unchanged.
 * Returns KILN_OK; KILN_EINVAL "TLS handshake with PEER failed: ...
 * (wrong secret?)" when the keys differ (both sides fail) or the secret
 * has a bad length; KILN_ECORRUPT when the peer does not speak TLS;
 * KILN_EIO when the connection closed or the deadline passed ("timed
 * out"); KILN_ENOMEM. On failure fd is left plain, for the caller to
 * net_close. Borrows secret. */
int net_tls_client(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer);
int net_tls_server(int fd, const uint8_t *secret, size_t len, int timeout_ms, const char *peer);

/* Connects to host:port and runs the client's side of TLS (when tls) and
 * of the HMAC handshake, each within timeout_ms: the one way a cluster
 * peer opens a connection. Returns KILN_OK with *fd, or the first error
 * (then *fd is -1 and nothing is left open). */
int net_dial(const char *host, int port, const uint8_t *secret, size_t len, bool tls,
             int timeout_ms, const char *peer, int *fd);

/* True when fd completed net_tls_client/server and is not closed yet. */
bool net_tls_active(int fd);
/* How many TLS connections are open in the process (not yet net_close'd). */
int net_tls_count(void);

/* Parses the value of kiln.ssl.enabled (NULL: unset, false) into *on, for
 * callers holding a context (kiln_context_conf(ctx, "kiln.ssl.enabled")).
 * Returns KILN_OK, or KILN_ECONF naming the key for a value that is not a
 * boolean (true/false, yes/no, on/off, 1/0). */
int net_tls_setting(const char *value, bool *on);
/* The same read from conf (NULL: false). Inline, so that net itself does
 * not depend on the engine's kiln_conf (the fuzz targets link net alone). */
static inline int net_tls_enabled(const kiln_conf *conf, bool *on)
{
    return net_tls_setting(conf ? kiln_conf_get(conf, "kiln.ssl.enabled") : NULL, on);
}

/* ---- Deadlines (frame_io.c), shared by the blocking functions ------------------- */

/* An absolute CLOCK_MONOTONIC time in ms, or -1 for "never". */
int64_t net_deadline(int timeout_ms);
/* The ms left until deadline for poll(): -1 for never, 0 once passed. */
int net_remaining_ms(int64_t deadline);
/* Waits until fd is readable (events POLLIN) or writable (POLLOUT) or the
 * deadline passes. Returns KILN_OK or KILN_EIO ("timed out ... while
 * doing"), retrying on EINTR. */
int net_wait(int fd, short events, int64_t deadline, const char *doing, const char *peer);

#endif
