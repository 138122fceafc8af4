/*
 * fake-peer.h - a fake peer on a unix socket, shared by the unit tests and
 * the fuzz targets of the socket clients: qmp.c (the peer plays QEMU's
 * monitor) and gdb_client.c (QEMU's gdbstub).
 *
 * Two kinds:
 *
 * A scripted peer (unit tests) listens on a socket in a fresh directory,
 * accepts one client in a thread of its own and runs a script there: the
 * list of steps added with fake_peer_add() (say, await a line, close,
 * stall, flood, trickle), or the test's own function built on the
 * helpers below.  After the script it stays connected, reading and
 * dropping, until the client leaves, so that the client sees only what
 * the script did.  Nothing in the peer waits more than FAKE_PEER_WAIT_MS,
 * and fake_peer_finish() ends any wait; what went wrong in the peer is
 * recorded (fake_peer_fail) and handed to the test by fake_peer_finish().
 *
 * A preloaded peer (fuzz targets, where the input is everything the peer
 * sends) is a socketpair whose peer end has sent the whole input and shut
 * its sending side before the client starts: the client reads it and then
 * the end of the stream, always in the same way (no thread switch, no
 * timing in what it receives), and no read of the client can wait for a
 * timeout.  The pair is SOCK_SEQPACKET, so that the input can arrive in
 * pieces cut where the caller says (a recv() returns one piece): messages
 * split across reads are reached deterministically.  What the client
 * sends stays queued unread as long as the socket can hold it: the caller
 * says how many sends the client may make at most, and when that is more
 * than the socket holds (measured once, with its buffer made as large as
 * the system allows), one thread for the whole process reads and drops
 * what the client sends, so that no send can wait either.  The reader
 * costs a thread switch per send, so it is used only when needed.
 */
#ifndef VMI_TESTS_FAKE_PEER_H
#define VMI_TESTS_FAKE_PEER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FAKE_PEER_WAIT_MS 10000

typedef struct fake_peer fake_peer_t;

typedef enum {
    FAKE_PEER_SAY,      /* send the bytes as they are */
    FAKE_PEER_AWAIT,    /* read one line: it must match (fake_peer_set_match) */
    FAKE_PEER_CLOSE,    /* close the connection now */
    FAKE_PEER_STALL,    /* say nothing more until the client leaves */
    FAKE_PEER_FLOOD,    /* send @len bytes 'x' with no newline, until the client leaves */
    FAKE_PEER_TRICKLE,  /* send the bytes one every 20 ms, until the client leaves */
} fake_peer_op_t;

/* A peer listening on @socket_name in a new temporary directory. */
fake_peer_t *fake_peer_new(const char *socket_name);
/* The socket's path, for the client to connect to. */
const char *fake_peer_path(const fake_peer_t *p);

/* Appends a step (@data is copied; NULL for CLOSE, STALL, FLOOD). */
void fake_peer_add(fake_peer_t *p, fake_peer_op_t op, const void *data, size_t len);
void fake_peer_say(fake_peer_t *p, const char *text);
/* A line the client must send (without its "\n"). */
void fake_peer_await(fake_peer_t *p, const char *line);
/* How AWAIT compares the line received with the one expected (default:
 * the same text). */
typedef bool (*fake_peer_match_fn)(const char *got, const char *want);
void fake_peer_set_match(fake_peer_t *p, fake_peer_match_fn match);

/* What the peer's thread runs once the client is connected; NULL runs
 * the steps. */
typedef void (*fake_peer_script_fn)(fake_peer_t *p, void *data);
/* Starts the peer's thread: it accepts the client, then runs @script. */
void fake_peer_start(fake_peer_t *p, fake_peer_script_fn script, void *data);
/* Ends the peer: ends its waits, joins its thread, removes the socket
 * and frees @p.  Returns what went wrong in the peer (newly allocated),
 * or NULL. */
char *fake_peer_finish(fake_peer_t *p);

/* ---- for scripts (in the peer's thread) */

/* Waits until the connection is ready for @events (POLLIN, POLLOUT);
 * false after FAKE_PEER_WAIT_MS or once the test called finish. */
bool fake_peer_wait(fake_peer_t *p, short events);
/* Sends all @len bytes; false when the client has gone. */
bool fake_peer_send(fake_peer_t *p, const void *buf, size_t len);
/* Receives what the client sent, after waiting for it: > 0 bytes, or
 * <= 0 when the client has gone (or the wait failed). */
ssize_t fake_peer_recv(fake_peer_t *p, void *buf, size_t len);
/* The next line the client sent, without its "\n" (newly allocated), or
 * NULL when it left first. */
char *fake_peer_read_line(fake_peer_t *p);
/* Closes the connection now (the client sees the end of the stream);
 * the peer does not wait for the client to leave then. */
void fake_peer_close(fake_peer_t *p);
/* Records a problem (the first one is kept). */
void fake_peer_fail(fake_peer_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ---- the preloaded peer (one at a time per process) */

/* Most bytes fake_peer_preload() can queue (the socket's buffer). */
#define FAKE_PEER_PRELOAD_MAX (64 * 1024)
/* Pieces of the preloaded input are at most this long: the clients read
 * 16 KiB at a time, and a SOCK_SEQPACKET read cuts a longer piece. */
#define FAKE_PEER_PIECE_MAX 4096
/* A connected socket for the client (it closes it) on which @len bytes
 * of @data (at most FAKE_PEER_PRELOAD_MAX) are waiting, then the end of
 * the stream.  @cut picks where the input is cut into pieces (0: only
 * every FAKE_PEER_PIECE_MAX bytes; else also at up to three places it
 * picks).  @max_sends bounds the client's send() calls of up to 64 bytes
 * each.  Aborts when the socket cannot be made. */
int fake_peer_preload(const void *data, size_t len, uint32_t cut, size_t max_sends);
/* After the client closed its socket: waits until the reader (if any)
 * has seen it and closes the peer's end. */
void fake_peer_preload_end(void);

#endif
