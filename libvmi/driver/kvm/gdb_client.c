/*
 * gdb_client.c - the transport for gdb_rsp.c: a blocking client of QEMU's
 * gdbstub with a deadline on every read and write (see gdb_client.h).
 *
 * Facts about QEMU 7.2's stub this file is built on (seen on the wire):
 *  - accepting a connection stops a running guest and sends "T02thread:01;"
 *    before anything else; a guest that was already paused sends nothing,
 *    which is how we learn the run state the user expects to get back;
 *  - any byte that arrives while the guest runs stops it; the rest of that
 *    packet is thrown away and the answer is a stop reply "T02...";
 *  - "D" always resumes the guest and removes every breakpoint; closing the
 *    socket without "D" leaves the guest as it is (and Qqemu.PhyMemMode set,
 *    it is global);
 *  - 'p'/'P' answer "" until the client has read target.xml;
 *  - 'm' takes at most PacketSize/2 bytes; a packet longer than PacketSize
 *    is dropped silently (no reply at all);
 *  - it acks with '+', never waits for our acks in system mode, and does not
 *    offer QStartNoAckMode (we use it when a stub offers it).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gdb_client.h"

#define DEFAULT_TIMEOUT_MS      5000
/* What we assume until qSupported says otherwise (GDB's own default). */
#define DEFAULT_PACKET_SIZE     400
/* Bounds on what a peer may claim: below this a register would not fit,
 * above it a malicious PacketSize would make us allocate without limit. */
#define MIN_PACKET_SIZE         64
#define MAX_PACKET_SIZE         (1u << 20)
/* Escapes can double a qXfer reply; leave room beyond the packet size. */
#define DECODER_LIMIT(ps)       (4 * (size_t)(ps) + 1024)
#define MAX_XML_SIZE            (1u << 20)
#define MAX_XML_FILES           16
#define MAX_THREADS             4096
#define MAX_REG_BYTES           64
/* A peer that sends this many stray bytes while we wait for one reply is
 * not a gdbstub (or the stream is lost). */
#define MAX_GARBAGE             64
#define MAX_RETRANSMIT          3
/* How often a command is sent again when a stop reply (the guest was
 * resumed behind our back) took the place of its answer. */
#define MAX_RESEND              2
/* Bytes per recv(); a big memory reply takes a few calls. */
#define INBUF_SIZE              16384
/* How long to wait for the stop reply after a late 0x03 (step timeout). */
#define INTERRUPT_GRACE_MS      1000

typedef struct reg_info {
    unsigned regnum;
    unsigned bitsize;
} reg_info_t;

typedef struct zpoint {
    int type;
    uint64_t addr;
    unsigned kind;
} zpoint_t;

struct gdb_client {
    int fd;
    char *address;
    int timeout_ms;
    rsp_decoder_t dec;
    uint8_t *inbuf;             /* INBUF_SIZE bytes, not zeroed */
    size_t in_pos, in_len;
    bool eof;

    bool ack_mode;
    GByteArray *last_sent;      /* for a retransmission after '-' */
    unsigned nacks;
    unsigned nacks_sent;        /* our '-' for damaged packets, ever */
    size_t packet_size;
    bool has_xfer_features;
    bool has_vcont_step;

    /* Set by the first I/O or protocol failure: the stream may be out of
     * step, so nothing else is tried on it. */
    char *broken;

    GHashTable *regs;           /* name -> reg_info_t */
    GArray *threads;            /* long: gdb thread id of vCPU i */
    long cur_g;                 /* thread selected with Hg, 0 if unknown */

    bool running;               /* what we believe the guest does now */
    bool want_running;          /* what the user expects after free */
    unsigned hold_depth;
    bool resume_at_release;
    bool phys_mode;
    bool have_pending_stop;     /* a breakpoint stop drained by hold() */
    rsp_stop_t pending_stop;
    GArray *points;             /* zpoint_t we inserted */
};

G_DEFINE_QUARK(gdb-client-error-quark, gdb_client_error)

/* ---- failure --------------------------------------------------------- */

static void mark_broken(gdb_client_t *c, const GError *err)
{
    if (!c->broken)
        c->broken = g_strdup(err->message);
}

/* Sets @error and marks the connection unusable. */
G_GNUC_PRINTF(4, 5)
static bool fail(gdb_client_t *c, GError **error, int code, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    GError *err;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    err = g_error_new(GDB_CLIENT_ERROR, code, "gdbstub %s: %s", c->address, msg);
    mark_broken(c, err);
    g_propagate_error(error, err);
    return false;
}

bool gdb_client_usable(gdb_client_t *c)
{
    return c && !c->broken;
}

const char *gdb_client_address(gdb_client_t *c)
{
    return c->address;
}

static bool usable(gdb_client_t *c, GError **error)
{
    if (!c->broken)
        return true;
    g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                "gdbstub %s: the connection is unusable after an earlier error (%s)",
                c->address, c->broken);
    return false;
}

/* ---- raw I/O --------------------------------------------------------- */

static gint64 deadline_in(int ms)
{
    return g_get_monotonic_time() + (gint64)ms * 1000;
}

static int ms_left(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    if (left <= 0)
        return 0;
    return (int)MIN((left + 999) / 1000, G_MAXINT);
}

/* The socket is non-blocking: each send and recv is tried first, and
 * poll() waits only when it would block (one system call per packet in
 * the common case, not two). */
static bool write_all(gdb_client_t *c, const void *data, size_t len, GError **error)
{
    const uint8_t *p = data;
    gint64 deadline = deadline_in(c->timeout_ms);

    while (len > 0) {
        /* MSG_NOSIGNAL: a closed peer is an error here, not a SIGPIPE. */
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
            int r = poll(&pfd, 1, ms_left(deadline));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return fail(c, error, GDB_CLIENT_ERROR_IO, "poll: %s", g_strerror(errno));
            if (r == 0)
                return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT,
                            "the peer accepted no data for %d ms", c->timeout_ms);
            continue;
        }
        if (n < 0)
            return fail(c, error, GDB_CLIENT_ERROR_IO, "send: %s", g_strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Refills the input buffer, waiting until @deadline (< 0: do not wait).
 * Returns 1 with data, 0 on timeout, -1 on error (set). */
static int fill(gdb_client_t *c, gint64 deadline, GError **error)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->inbuf, INBUF_SIZE, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (deadline < 0)
                return 0;
            struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
            int r = poll(&pfd, 1, ms_left(deadline));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                fail(c, error, GDB_CLIENT_ERROR_IO, "poll: %s", g_strerror(errno));
                return -1;
            }
            if (r == 0)
                return 0;
            continue;
        }
        if (n < 0) {
            fail(c, error, GDB_CLIENT_ERROR_IO, "recv: %s", g_strerror(errno));
            return -1;
        }
        if (n == 0) {
            c->eof = true;
            fail(c, error, GDB_CLIENT_ERROR_IO, "the peer closed the connection%s",
                 c->dec.state != RSP_IDLE ? " in the middle of a packet" : "");
            return -1;
        }
        c->in_pos = 0;
        c->in_len = (size_t)n;
        return 1;
    }
}

typedef enum { RECV_OK, RECV_TIMEOUT, RECV_ERROR } recv_result_t;

/* The next packet (or notification) from the peer, acked in ack mode.
 * Acks and stray bytes are dealt with here.  @deadline < 0: only what is
 * already buffered or readable now.  With @acked, a '+' returns RECV_OK
 * with *acked set. */
static recv_result_t recv_packet_ack(gdb_client_t *c, gint64 deadline, bool *acked,
                                     bool *notify, GError **error)
{
    unsigned garbage = 0;

    for (;;) {
        while (c->in_pos < c->in_len) {
            uint8_t byte = c->inbuf[c->in_pos++];
            rsp_event_t ev = rsp_decoder_feed(&c->dec, byte);

            switch (ev) {
            case RSP_EV_NONE:
                break;
            case RSP_EV_ACK:
                if (acked) {
                    *acked = true;
                    return RECV_OK;
                }
                break;
            case RSP_EV_NACK:
                /* Our last packet arrived damaged: send it again. */
                if (!c->ack_mode || c->last_sent->len == 0)
                    break;
                if (++c->nacks > MAX_RETRANSMIT) {
                    fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                         "the peer rejected a packet %u times", MAX_RETRANSMIT + 1);
                    return RECV_ERROR;
                }
                if (!write_all(c, c->last_sent->data, c->last_sent->len, error))
                    return RECV_ERROR;
                break;
            case RSP_EV_PACKET:
            case RSP_EV_NOTIFY:
                if (c->ack_mode && ev == RSP_EV_PACKET && !write_all(c, "+", 1, error))
                    return RECV_ERROR;
                *notify = ev == RSP_EV_NOTIFY;
                /* QEMU points Hg at the vCPU that stopped. */
                if (ev == RSP_EV_PACKET && strchr("STWX", c->dec.payload->len ?
                                                  c->dec.payload->data[0] : 'x'))
                    c->cur_g = 0;
                return RECV_OK;
            case RSP_EV_BAD_CSUM:
                if (!c->ack_mode) {
                    fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "a packet with a bad checksum");
                    return RECV_ERROR;
                }
                if (++garbage > MAX_RETRANSMIT) {
                    fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                         "packets keep arriving with bad checksums");
                    return RECV_ERROR;
                }
                if (!write_all(c, "-", 1, error))
                    return RECV_ERROR;
                c->nacks_sent++;
                break;
            case RSP_EV_OVERFLOW:
                fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                     "a packet longer than %zu bytes", c->dec.max_payload);
                return RECV_ERROR;
            case RSP_EV_MALFORMED:
                fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "a packet with a bad run-length count");
                return RECV_ERROR;
            case RSP_EV_GARBAGE:
            case RSP_EV_INTERRUPT:
                if (++garbage > MAX_GARBAGE) {
                    fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                         "the peer sends bytes that are not gdb packets (0x%02x ...)", byte);
                    return RECV_ERROR;
                }
                break;
            }
        }
        int r = fill(c, deadline, error);
        if (r < 0)
            return RECV_ERROR;
        if (r == 0)
            return RECV_TIMEOUT;
    }
}

static recv_result_t recv_packet(gdb_client_t *c, gint64 deadline, bool *notify,
                                 GError **error)
{
    return recv_packet_ack(c, deadline, NULL, notify, error);
}

static const char *payload_str(gdb_client_t *c)
{
    return (const char *)c->dec.payload->data;
}

static size_t payload_len(gdb_client_t *c)
{
    return c->dec.payload->len;
}

static bool send_packet(gdb_client_t *c, const char *payload, GError **error)
{
    g_byte_array_set_size(c->last_sent, 0);
    c->nacks = 0;
    rsp_encode_packet(c->last_sent, payload, strlen(payload));
    return write_all(c, c->last_sent->data, c->last_sent->len, error);
}

/* ---- run state ------------------------------------------------------- */

/* Records a stop reply that came while we believed the guest ran, or that
 * took the place of a command's answer. */
static void note_stop(gdb_client_t *c, const rsp_stop_t *st, bool replaced_reply)
{
    if (replaced_reply) {
        /* Someone resumed the guest (QMP cont) and our packet stopped it:
         * it has to run again when we are done. */
        if (c->hold_depth > 0)
            c->resume_at_release = true;
        c->want_running = true;
    } else if (st->kind == RSP_STOP_SIGNAL && st->signal == 2 && c->running) {
        /* SIGINT that we did not ask for: paused from outside (QMP stop). */
        c->want_running = false;
    } else if (st->kind == RSP_STOP_SIGNAL && c->running) {
        /* A breakpoint or watchpoint hit: kept for gdb_client_wait_stop. */
        c->pending_stop = *st;
        c->have_pending_stop = true;
    }
    c->running = false;
}

static bool check_exit(gdb_client_t *c, const rsp_stop_t *st, GError **error)
{
    if (st->kind == RSP_STOP_EXITED || st->kind == RSP_STOP_TERMINATED)
        return fail(c, error, GDB_CLIENT_ERROR_GONE, "the guest is gone (%s%02x)",
                    st->kind == RSP_STOP_EXITED ? "W" : "X", st->signal);
    return true;
}

/* Consumes what the peer sent unasked (stop replies after an external
 * pause, notifications) without waiting. */
static bool drain(gdb_client_t *c, GError **error)
{
    for (;;) {
        bool notify;
        rsp_stop_t st;

        switch (recv_packet(c, -1, &notify, error)) {
        case RECV_ERROR:
            return false;
        case RECV_TIMEOUT:
            return true;
        case RECV_OK:
            break;
        }
        if (notify)
            continue;
        if (!rsp_parse_stop(payload_str(c), payload_len(c), &st))
            return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                        "an unexpected packet \"%.40s\" arrived unasked", payload_str(c));
        if (!check_exit(c, &st, error))
            return false;
        note_stop(c, &st, false);
    }
}

/* Waits for a stop reply until @deadline.  RECV_TIMEOUT leaves no error. */
static recv_result_t wait_stop_reply(gdb_client_t *c, gint64 deadline, rsp_stop_t *out,
                                     GError **error)
{
    for (;;) {
        bool notify;
        recv_result_t r = recv_packet(c, deadline, &notify, error);

        if (r != RECV_OK)
            return r;
        if (notify)
            continue;
        if (!rsp_parse_stop(payload_str(c), payload_len(c), out)) {
            fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                 "expected a stop reply, got \"%.40s\"", payload_str(c));
            return RECV_ERROR;
        }
        if (!check_exit(c, out, error))
            return RECV_ERROR;
        return RECV_OK;
    }
}

/* Stops a running guest with 0x03 and waits for the stop reply. */
static bool interrupt(gdb_client_t *c, GError **error)
{
    rsp_stop_t st;

    if (!write_all(c, "\x03", 1, error))
        return false;
    switch (wait_stop_reply(c, deadline_in(c->timeout_ms), &st, error)) {
    case RECV_OK:
        break;
    case RECV_TIMEOUT:
        return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT,
                    "the guest did not stop within %d ms of an interrupt", c->timeout_ms);
    case RECV_ERROR:
        return false;
    }
    if (st.kind == RSP_STOP_SIGNAL && st.signal != 2) {
        /* It hit a breakpoint just before our interrupt. */
        c->pending_stop = st;
        c->have_pending_stop = true;
    }
    c->running = false;
    return true;
}

/* Lets the guest run.  In ack mode the '+' confirms QEMU took the 'c'; a
 * stop reply instead means the guest ran already (resumed from outside)
 * and our '$' stopped it, so 'c' is sent again. */
static bool resume_guest(gdb_client_t *c, GError **error)
{
    for (unsigned attempt = 0; attempt <= MAX_RESEND; attempt++) {
        gint64 deadline = deadline_in(c->timeout_ms);
        bool notify, again = false;

        if (!send_packet(c, "c", error))
            return false;
        if (!c->ack_mode) {
            c->running = true;
            return true;
        }
        while (!again) {
            rsp_stop_t st;
            bool acked = false;
            switch (recv_packet_ack(c, deadline, &acked, &notify, error)) {
            case RECV_ERROR:
                return false;
            case RECV_TIMEOUT:
                return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT,
                            "no acknowledgement of 'c' within %d ms", c->timeout_ms);
            case RECV_OK:
                break;
            }
            if (acked) {
                c->running = true;
                return true;
            }
            if (notify)
                continue;
            if (!rsp_parse_stop(payload_str(c), payload_len(c), &st))
                return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                            "unexpected answer \"%.40s\" to 'c'", payload_str(c));
            if (!check_exit(c, &st, error))
                return false;
            again = true;
        }
    }
    return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "the stub keeps dropping 'c'");
}

/* ---- commands -------------------------------------------------------- */

typedef enum {
    REPLY_NORMAL,   /* anything but a stop reply */
    REPLY_STOP,     /* the answer is a stop reply ('?', 's', vCont;s) */
} reply_kind_t;

/* After a stop reply took the place of an answer: was our command dropped
 * (the guest ran and our '$' stopped it) or will its answer follow (the
 * guest had stopped by itself just before)?  "qC" settles it: its answer
 * "QC..." is unlike any answer to the commands we send.  Returns 1 if the
 * command must be sent again, 0 if its answer is now in the decoder. */
static int resync(gdb_client_t *c, bool *got_answer, GError **error)
{
    gint64 deadline = deadline_in(c->timeout_ms);
    bool notify;

    *got_answer = false;
    if (!send_packet(c, "qC", error))
        return -1;
    for (;;) {
        rsp_stop_t st;
        switch (recv_packet(c, deadline, &notify, error)) {
        case RECV_ERROR:
            return -1;
        case RECV_TIMEOUT:
            fail(c, error, GDB_CLIENT_ERROR_TIMEOUT, "no answer to qC within %d ms",
                 c->timeout_ms);
            return -1;
        case RECV_OK:
            break;
        }
        if (notify)
            continue;
        if (payload_len(c) >= 2 && memcmp(payload_str(c), "QC", 2) == 0 && !*got_answer)
            return 1;
        if (payload_len(c) >= 2 && memcmp(payload_str(c), "QC", 2) == 0)
            return 0;
        /* A stop reply resent because our packet held a '-' (QEMU treats
         * it as a nack of its last packet). */
        if (rsp_parse_stop(payload_str(c), payload_len(c), &st))
            continue;
        if (*got_answer) {
            fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "two answers to one command");
            return -1;
        }
        /* The answer to our command: keep it aside until QC is read. */
        *got_answer = true;
        g_autoptr(GByteArray) keep = g_byte_array_sized_new(c->dec.payload->len + 1);
        g_byte_array_append(keep, c->dec.payload->data, c->dec.payload->len);
        for (;;) {
            switch (recv_packet(c, deadline, &notify, error)) {
            case RECV_ERROR:
                return -1;
            case RECV_TIMEOUT:
                fail(c, error, GDB_CLIENT_ERROR_TIMEOUT, "no answer to qC within %d ms",
                     c->timeout_ms);
                return -1;
            case RECV_OK:
                break;
            }
            if (notify || rsp_parse_stop(payload_str(c), payload_len(c), &st))
                continue;
            if (payload_len(c) < 2 || memcmp(payload_str(c), "QC", 2) != 0) {
                fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "out of step after a stop reply");
                return -1;
            }
            break;
        }
        g_byte_array_set_size(c->dec.payload, 0);
        g_byte_array_append(c->dec.payload, keep->data, keep->len);
        g_byte_array_append(c->dec.payload, (const guint8 *)"", 1);
        g_byte_array_set_size(c->dec.payload, keep->len);
        return 0;
    }
}

/* An answer came after we said '-' to a damaged packet.  If that packet
 * was not the stub's (bytes from elsewhere on the stream), the stub now
 * sends its answer a second time, which would be taken for the answer to
 * our next command, and every one after it (registers read into each
 * other).  "qC" fences the stream: everything before its "QC..." answer is
 * dropped, and the answer we have is put back.  Again if more '-' were said
 * meanwhile (a duplicate of "QC" itself). */
static bool fence_after_nack(gdb_client_t *c, GError **error)
{
    g_autoptr(GByteArray) keep = g_byte_array_sized_new(c->dec.payload->len + 1);
    g_byte_array_append(keep, c->dec.payload->data, c->dec.payload->len);
    for (unsigned round = 0; round <= MAX_RETRANSMIT; round++) {
        unsigned nacks = c->nacks_sent;
        gint64 deadline = deadline_in(c->timeout_ms);
        bool notify;
        if (!send_packet(c, "qC", error))
            return false;
        for (;;) {
            switch (recv_packet(c, deadline, &notify, error)) {
            case RECV_ERROR:
                return false;
            case RECV_TIMEOUT:
                return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT,
                            "no answer to qC within %d ms (after a damaged packet)",
                            c->timeout_ms);
            case RECV_OK:
                break;
            }
            if (!notify && payload_len(c) >= 2 && memcmp(payload_str(c), "QC", 2) == 0)
                break;
            /* a resent answer, or a stop reply: dropped */
        }
        if (c->nacks_sent == nacks) {
            g_byte_array_set_size(c->dec.payload, 0);
            g_byte_array_append(c->dec.payload, keep->data, keep->len);
            g_byte_array_append(c->dec.payload, (const guint8 *)"", 1);
            g_byte_array_set_size(c->dec.payload, keep->len);
            return true;
        }
    }
    return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                "packets keep arriving damaged: the stream cannot be put back in step");
}

/* Sends @cmd and waits for its answer, left in c->dec.payload (NUL
 * terminated).  The guest must be held by the caller. */
static bool transact(gdb_client_t *c, const char *cmd, reply_kind_t kind, GError **error)
{
    unsigned resends = 0;

    if (!usable(c, error))
        return false;
    for (;;) {
        gint64 deadline = deadline_in(c->timeout_ms);
        bool notify, replaced = false;
        rsp_stop_t st;

        unsigned nacks = c->nacks_sent;
        if (!send_packet(c, cmd, error))
            return false;
        for (;;) {
            recv_result_t r = recv_packet(c, deadline, &notify, error);
            if (r == RECV_ERROR)
                return false;
            if (r == RECV_TIMEOUT)
                return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT,
                            "no answer to \"%.40s\" within %d ms", cmd, c->timeout_ms);
            if (notify)
                continue;
            if (kind == REPLY_STOP)
                break;
            if (!rsp_parse_stop(payload_str(c), payload_len(c), &st))
                return c->nacks_sent == nacks || !c->ack_mode || fence_after_nack(c, error);
            if (!check_exit(c, &st, error))
                return false;
            replaced = true;
            break;
        }
        if (!replaced) {
            /* REPLY_STOP: the caller parses it. */
            return true;
        }
        bool got_answer;
        int again = resync(c, &got_answer, error);
        if (again < 0)
            return false;
        if (again == 0) {
            /* The guest ran (resumed from outside) and stopped by itself
             * before our packet came: a breakpoint hit or a pause. */
            c->running = true;
            if (st.kind == RSP_STOP_SIGNAL && st.signal != 2)
                c->want_running = true;
            note_stop(c, &st, false);
            return true;
        }
        note_stop(c, &st, true);
        if (++resends > MAX_RESEND)
            return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                        "the guest keeps being resumed behind our back; \"%.40s\" was "
                        "dropped %u times", cmd, resends);
    }
}

/* The answer is "OK"; "" is "not supported"; "Exx" is an error. */
static bool expect_ok(gdb_client_t *c, const char *cmd, const char *what, GError **error)
{
    unsigned code;

    if (!transact(c, cmd, REPLY_NORMAL, error))
        return false;
    if (payload_len(c) == 2 && memcmp(payload_str(c), "OK", 2) == 0)
        return true;
    if (payload_len(c) == 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE,
                    "gdbstub %s: %s is not supported by the stub (\"%s\")", c->address, what, cmd);
        return false;
    }
    if (rsp_is_error(payload_str(c), payload_len(c), &code)) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE,
                    "gdbstub %s: %s failed: error E%02x (\"%s\")", c->address, what, code, cmd);
        return false;
    }
    return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "unexpected answer \"%.40s\" to \"%s\"",
                payload_str(c), cmd);
}

/* ---- connect --------------------------------------------------------- */

static int connect_unix(const char *path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                    "gdbstub socket path '%s' is too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                    "cannot connect to gdbstub socket '%s': %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int connect_tcp(const char *hostport, int timeout_ms, GError **error)
{
    g_autofree char *host = NULL;
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
    int fd = -1, rc, err = 0;

    if (!colon || colon == hostport || !colon[1]) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                    "gdbstub address 'tcp:%s' is not tcp:HOST:PORT", hostport);
        return -1;
    }
    host = g_strndup(hostport, (size_t)(colon - hostport));
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                    "cannot resolve gdbstub host '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            socklen_t len = sizeof(err);
            if (poll(&pfd, 1, timeout_ms) == 1
                && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
                break;
            if (err == 0)
                err = ETIMEDOUT;
        } else {
            err = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                    "cannot connect to gdbstub 'tcp:%s': %s", hostport, g_strerror(err));
        return -1;
    }
    return fd;      /* non-blocking, as gdb_client_new_from_fd wants it */
}

static void parse_qsupported(gdb_client_t *c, const char *reply, bool *noack)
{
    g_auto(GStrv) feats = g_strsplit(reply, ";", -1);

    *noack = false;
    for (char **f = feats; *f; f++) {
        if (g_str_has_prefix(*f, "PacketSize=")) {
            guint64 v = g_ascii_strtoull(*f + strlen("PacketSize="), NULL, 16);
            c->packet_size = (size_t)CLAMP(v, MIN_PACKET_SIZE, MAX_PACKET_SIZE);
        } else if (strcmp(*f, "qXfer:features:read+") == 0) {
            c->has_xfer_features = true;
        } else if (strcmp(*f, "QStartNoAckMode+") == 0) {
            *noack = true;
        }
    }
}

/* Reads one qXfer:features:read object whole. */
static char *read_xfer(gdb_client_t *c, const char *annex, GError **error)
{
    g_autoptr(GString) doc = g_string_new(NULL);
    /* The answer is "m"/"l" + data; leave room for the framing. */
    size_t chunk = c->packet_size - 5;

    for (;;) {
        g_autofree char *cmd = g_strdup_printf("qXfer:features:read:%s:%zx,%zx", annex,
                                               doc->len, chunk);
        if (!transact(c, cmd, REPLY_NORMAL, error))
            return NULL;
        const char *p = payload_str(c);
        size_t n = payload_len(c);
        if (n == 0 || rsp_is_error(p, n, NULL)) {
            g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE,
                        "gdbstub %s: cannot read target description '%s' (\"%.10s\")",
                        c->address, annex, p);
            return NULL;
        }
        if (p[0] != 'm' && p[0] != 'l') {
            fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "bad qXfer answer \"%.20s\"", p);
            return NULL;
        }
        if (memchr(p + 1, '\0', n - 1)) {
            fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "a NUL byte in target description '%s'",
                 annex);
            return NULL;
        }
        g_string_append_len(doc, p + 1, (gssize)(n - 1));
        if (doc->len > MAX_XML_SIZE) {
            fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "target description '%s' is too large",
                 annex);
            return NULL;
        }
        if (p[0] == 'l')
            return g_string_free(g_steal_pointer(&doc), FALSE);
        if (n == 1) {
            fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "empty qXfer chunk for '%s'", annex);
            return NULL;
        }
    }
}

/* Value of attribute @name in the element text [tag, end), or NULL. */
static char *xml_attr(const char *tag, const char *end, const char *name)
{
    size_t nlen = strlen(name);

    for (const char *p = tag; p + nlen + 2 < end; p++) {
        if (memcmp(p, name, nlen) != 0 || p[nlen] != '=' || !g_ascii_isspace(p[-1]))
            continue;
        char q = p[nlen + 1];
        if (q != '"' && q != '\'')
            continue;
        const char *v = p + nlen + 2;
        const char *ve = memchr(v, q, (size_t)(end - v));
        if (!ve)
            return NULL;
        return g_strndup(v, (size_t)(ve - v));
    }
    return NULL;
}

/* Walks the elements of a target description in document order: <reg>
 * gets the next register number (or its regnum=), <xi:include> is read
 * and walked in place, as GDB numbers them. */
static bool parse_target_xml(gdb_client_t *c, const char *xml, unsigned *next_regnum,
                             unsigned *files, GError **error)
{
    const char *p = xml;

    while ((p = strchr(p, '<'))) {
        if (g_str_has_prefix(p, "<!--")) {
            const char *e = strstr(p + 4, "-->");
            if (!e)
                break;
            p = e + 3;
            continue;
        }
        const char *end = strchr(p, '>');
        if (!end)
            break;
        if (g_str_has_prefix(p, "<reg") && g_ascii_isspace(p[4])) {
            g_autofree char *name = xml_attr(p, end, "name");
            g_autofree char *bits = xml_attr(p, end, "bitsize");
            g_autofree char *num = xml_attr(p, end, "regnum");
            guint64 regnum = *next_regnum, bitsize;
            if (!name || !bits || !g_ascii_string_to_unsigned(bits, 10, 1, 65536, &bitsize, NULL)
                || (num && !g_ascii_string_to_unsigned(num, 10, 0, 65535, &regnum, NULL)))
                return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                            "a <reg> without a valid name or bitsize in the target description");
            reg_info_t *ri = g_new(reg_info_t, 1);
            ri->regnum = (unsigned)regnum;
            ri->bitsize = (unsigned)bitsize;
            g_hash_table_replace(c->regs, g_steal_pointer(&name), ri);
            *next_regnum = (unsigned)regnum + 1;
        } else if (g_str_has_prefix(p, "<xi:include") && g_ascii_isspace(p[11])) {
            g_autofree char *href = xml_attr(p, end, "href");
            if (!href || strpbrk(href, ":,;#$}*"))
                return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                            "a bad <xi:include> in the target description");
            if (++*files > MAX_XML_FILES)
                return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                            "the target description includes too many files");
            g_autofree char *sub = read_xfer(c, href, error);
            if (!sub || !parse_target_xml(c, sub, next_regnum, files, error))
                return false;
        }
        p = end + 1;
    }
    return true;
}

static bool read_threads(gdb_client_t *c, GError **error)
{
    const char *cmd = "qfThreadInfo";

    for (unsigned round = 0; round <= MAX_THREADS; round++) {
        if (!transact(c, cmd, REPLY_NORMAL, error))
            return false;
        const char *p = payload_str(c);
        if (p[0] == 'l')
            break;
        if (p[0] != 'm')
            return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "bad %s answer \"%.20s\"", cmd, p);
        g_auto(GStrv) ids = g_strsplit(p + 1, ",", -1);
        for (char **id = ids; *id; id++) {
            /* Reuse the stop-reply parser for "01" and "p01.01". */
            g_autofree char *fake = g_strdup_printf("T05thread:%s;", *id);
            rsp_stop_t st;
            if (!rsp_parse_stop(fake, strlen(fake), &st) || st.thread <= 0)
                return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "bad thread id \"%.20s\"", *id);
            if (c->threads->len >= MAX_THREADS)
                return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "too many threads");
            g_array_append_val(c->threads, st.thread);
        }
        cmd = "qsThreadInfo";
    }
    if (c->threads->len == 0)
        return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "the stub lists no threads (vCPUs)");
    return true;
}

static bool handshake(gdb_client_t *c, bool *ran, GError **error)
{
    gint64 deadline = deadline_in(c->timeout_ms);
    bool noack = false, notify;
    unsigned reg_next = 0, files = 0;

    *ran = false;
    if (!send_packet(c, "qSupported:swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386",
                     error))
        return false;
    for (;;) {
        rsp_stop_t st;
        switch (recv_packet(c, deadline, &notify, error)) {
        case RECV_ERROR:
            return false;
        case RECV_TIMEOUT:
            return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT, "no answer to qSupported within %d ms",
                        c->timeout_ms);
        case RECV_OK:
            break;
        }
        if (notify)
            continue;
        /* QEMU stops a running guest on connect and says so first. */
        if (rsp_parse_stop(payload_str(c), payload_len(c), &st)) {
            if (!check_exit(c, &st, error))
                return false;
            *ran = true;
            continue;
        }
        break;
    }
    parse_qsupported(c, payload_str(c), &noack);
    rsp_decoder_clear(&c->dec);
    rsp_decoder_init(&c->dec, DECODER_LIMIT(c->packet_size));

    if (noack) {
        if (!transact(c, "QStartNoAckMode", REPLY_NORMAL, error))
            return false;
        if (strcmp(payload_str(c), "OK") == 0)
            c->ack_mode = false;
    }

    if (c->has_xfer_features) {
        g_autofree char *xml = read_xfer(c, "target.xml", error);
        if (!xml || !parse_target_xml(c, xml, &reg_next, &files, error))
            return false;
    }
    if (!read_threads(c, error))
        return false;
    if (!transact(c, "vCont?", REPLY_NORMAL, error))
        return false;
    if (g_str_has_prefix(payload_str(c), "vCont")) {
        g_auto(GStrv) acts = g_strsplit(payload_str(c) + 5, ";", -1);
        for (char **a = acts; *a; a++)
            if (strcmp(*a, "s") == 0)
                c->has_vcont_step = true;
    }
    return true;
}

gdb_client_t *gdb_client_connect(const char *address, int timeout_ms, bool resume,
                                 GError **error)
{
    int fd;

    g_return_val_if_fail(address != NULL, NULL);
    if (timeout_ms <= 0)
        timeout_ms = DEFAULT_TIMEOUT_MS;
    if (g_str_has_prefix(address, "tcp:"))
        fd = connect_tcp(address + 4, timeout_ms, error);
    else
        fd = connect_unix(address, error);
    if (fd < 0)
        return NULL;
    return gdb_client_new_from_fd(fd, address, timeout_ms, resume, error);
}

gdb_client_t *gdb_client_new_from_fd(int fd, const char *name, int timeout_ms, bool resume,
                                     GError **error)
{
    gdb_client_t *c;
    bool ran = false;

    g_return_val_if_fail(fd >= 0 && name != NULL, NULL);
    if (timeout_ms <= 0)
        timeout_ms = DEFAULT_TIMEOUT_MS;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO,
                    "cannot use the gdbstub socket of '%s': %s", name, g_strerror(errno));
        close(fd);
        return NULL;
    }
    c = g_new0(gdb_client_t, 1);
    c->fd = fd;
    c->inbuf = g_malloc(INBUF_SIZE);
    c->address = g_strdup(name);
    c->timeout_ms = timeout_ms;
    c->ack_mode = true;
    c->packet_size = DEFAULT_PACKET_SIZE;
    rsp_decoder_init(&c->dec, DECODER_LIMIT(MAX(DEFAULT_PACKET_SIZE, 4096)));
    c->regs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->threads = g_array_new(FALSE, FALSE, sizeof(long));
    c->points = g_array_new(FALSE, FALSE, sizeof(zpoint_t));
    c->last_sent = g_byte_array_new();

    if (!handshake(c, &ran, error)) {
        /* Put a guest we stopped back to running, if the stub still
         * listens (see gdb_client_free). */
        c->want_running = ran;
        gdb_client_free(c);
        return NULL;
    }
    c->want_running = ran;
    if (ran && resume && !resume_guest(c, error)) {
        gdb_client_free(c);
        return NULL;
    }
    return c;
}

/* ---- detach ---------------------------------------------------------- */

/* "D" on a stub we may be out of step with: QEMU resumes the guest and
 * answers OK; a stop reply first means our '$' stopped a running guest and
 * the D was dropped. */
static void try_detach(gdb_client_t *c, int timeout_ms)
{
    g_autoptr(GError) err = NULL;

    g_clear_pointer(&c->broken, g_free);
    c->timeout_ms = timeout_ms;
    rsp_decoder_reset(&c->dec);
    c->in_pos = c->in_len = 0;
    for (unsigned attempt = 0; attempt <= MAX_RESEND; attempt++) {
        gint64 deadline = deadline_in(timeout_ms);
        bool notify;
        rsp_stop_t st;

        if (!send_packet(c, "D", &err))
            return;
        for (;;) {
            if (recv_packet(c, deadline, &notify, &err) != RECV_OK) {
                g_debug("gdbstub %s: detach: %s", c->address, err ? err->message : "timeout");
                return;
            }
            if (!notify)
                break;
        }
        if (!rsp_parse_stop(payload_str(c), payload_len(c), &st))
            return;
    }
}

void gdb_client_free(gdb_client_t *c)
{
    if (!c)
        return;
    if (c->fd >= 0 && !c->eof && !c->broken) {
        g_autoptr(GError) err = NULL;
        bool ok = drain(c, &err) && (!c->running || interrupt(c, &err));

        /* QEMU keeps the memory mode for the next client: put it back. */
        if (ok && c->phys_mode)
            ok = expect_ok(c, "Qqemu.PhyMemMode:0", "leaving physical-memory mode", &err);
        if (ok && !c->want_running) {
            /* No "D" (it would resume the guest), so take our breakpoints
             * out by hand: one left behind would stop the guest later with
             * no debugger attached. */
            for (guint i = 0; ok && i < c->points->len; i++) {
                zpoint_t *z = &g_array_index(c->points, zpoint_t, i);
                g_autofree char *cmd = g_strdup_printf("z%d,%" G_GINT64_MODIFIER "x,%x",
                                                       z->type, z->addr, z->kind);
                ok = expect_ok(c, cmd, "removing a breakpoint", &err);
            }
        }
        if (ok && c->want_running)
            ok = expect_ok(c, "D", "detaching", &err);
        if (!ok) {
            g_debug("gdbstub %s: while closing: %s", c->address, err->message);
            if (c->want_running && !c->eof)
                try_detach(c, MIN(c->timeout_ms, 1000));
        }
    } else if (c->fd >= 0 && !c->eof && c->want_running) {
        /* Whatever went wrong, a guest that ran before us must run after. */
        try_detach(c, MIN(c->timeout_ms, 1000));
    }
    if (c->fd >= 0)
        close(c->fd);
    rsp_decoder_clear(&c->dec);
    g_free(c->address);
    g_free(c->broken);
    if (c->regs)
        g_hash_table_unref(c->regs);
    if (c->threads)
        g_array_unref(c->threads);
    if (c->points)
        g_array_unref(c->points);
    if (c->last_sent)
        g_byte_array_unref(c->last_sent);
    g_free(c->inbuf);
    g_free(c);
}

/* ---- accessors ------------------------------------------------------- */

size_t gdb_client_packet_size(gdb_client_t *c)
{
    return c->packet_size;
}

unsigned gdb_client_num_vcpus(gdb_client_t *c)
{
    return c->threads->len;
}

bool gdb_client_is_running(gdb_client_t *c)
{
    return c->running;
}

bool gdb_client_has_reg(gdb_client_t *c, const char *name)
{
    return g_hash_table_contains(c->regs, name);
}

/* ---- run control ----------------------------------------------------- */

bool gdb_client_hold(gdb_client_t *c, GError **error)
{
    if (!usable(c, error))
        return false;
    if (c->hold_depth > 0) {
        c->hold_depth++;
        return true;
    }
    if (!drain(c, error))
        return false;
    c->resume_at_release = c->running;
    if (c->running && !interrupt(c, error))
        return false;
    c->hold_depth = 1;
    return true;
}

bool gdb_client_release(gdb_client_t *c, GError **error)
{
    if (c->hold_depth == 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: release without hold", c->address);
        return false;
    }
    if (--c->hold_depth > 0 || !c->resume_at_release)
        return true;
    c->resume_at_release = false;
    if (!usable(c, error))
        return false;
    return c->running || resume_guest(c, error);
}

/* Ends a held call: releases, keeping the first error. */
static bool unhold(gdb_client_t *c, bool ok, GError **error)
{
    if (!ok) {
        gdb_client_release(c, NULL);
        return false;
    }
    return gdb_client_release(c, error);
}

/* Stops or resumes the guest; inside a hold, only what release restores. */
static bool set_running(gdb_client_t *c, bool run, GError **error)
{
    if (!usable(c, error))
        return false;
    c->want_running = run;
    if (c->hold_depth > 0) {
        c->resume_at_release = run;
        return true;
    }
    if (!drain(c, error))
        return false;
    if (c->running == run)
        return true;
    return run ? resume_guest(c, error) : interrupt(c, error);
}

bool gdb_client_wants_running(gdb_client_t *c)
{
    return c->want_running;
}

bool gdb_client_stop(gdb_client_t *c, GError **error)
{
    return set_running(c, false, error);
}

bool gdb_client_cont(gdb_client_t *c, GError **error)
{
    return set_running(c, true, error);
}

/* ---- memory ---------------------------------------------------------- */

bool gdb_client_set_phys_mode(gdb_client_t *c, bool on, GError **error)
{
    bool ok;

    if (!gdb_client_hold(c, error))
        return false;
    ok = expect_ok(c, on ? "Qqemu.PhyMemMode:1" : "Qqemu.PhyMemMode:0",
                   "physical-memory mode (Qqemu.PhyMemMode)", error);
    if (ok)
        c->phys_mode = on;
    return unhold(c, ok, error);
}

static bool check_range(gdb_client_t *c, uint64_t addr, size_t len, GError **error)
{
    if (len > 0 && addr + (len - 1) < addr) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: %zu bytes at 0x%" G_GINT64_MODIFIER "x wrap around",
                    c->address, len, addr);
        return false;
    }
    return true;
}

static bool remote_error(gdb_client_t *c, const char *what, uint64_t addr, GError **error)
{
    unsigned code = 0;

    if (payload_len(c) == 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE,
                    "gdbstub %s: %s is not supported by the stub", c->address, what);
        return false;
    }
    if (rsp_is_error(payload_str(c), payload_len(c), &code)) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE,
                    "gdbstub %s: %s at 0x%" G_GINT64_MODIFIER "x failed: error E%02x",
                    c->address, what, addr, code);
        return false;
    }
    return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL, "bad answer \"%.40s\" to %s",
                payload_str(c), what);
}

static bool read_mem_held(gdb_client_t *c, uint64_t addr, uint8_t *buf, size_t len,
                          GError **error)
{
    /* QEMU refuses 'm' above PacketSize/2 bytes: the hex answer fills the
     * packet. */
    size_t max = c->packet_size / 2;

    while (len > 0) {
        size_t n = MIN(len, max);
        g_autofree char *cmd = g_strdup_printf("m%" G_GINT64_MODIFIER "x,%zx", addr, n);
        size_t got;

        if (!transact(c, cmd, REPLY_NORMAL, error))
            return false;
        got = payload_len(c) / 2;
        /* A stub may answer short (e.g. at the end of RAM); never long. */
        if (payload_len(c) == 0 || payload_len(c) % 2 || got > n
            || !rsp_hex_decode(payload_str(c), payload_len(c), buf))
            return remote_error(c, "reading memory", addr, error);
        addr += got;
        buf += got;
        len -= got;
    }
    return true;
}

bool gdb_client_read_mem(gdb_client_t *c, uint64_t addr, void *buf, size_t len, GError **error)
{
    if (!check_range(c, addr, len, error) || !gdb_client_hold(c, error))
        return false;
    return unhold(c, read_mem_held(c, addr, buf, len, error), error);
}

static bool write_mem_held(gdb_client_t *c, uint64_t addr, const uint8_t *buf, size_t len,
                           GError **error)
{
    /* "M" + 16 address digits + "," + length + ":" stays below 32; QEMU
     * drops (without an answer) a packet that overruns its buffer. */
    size_t max = (c->packet_size - 32) / 2;
    g_autoptr(GString) cmd = g_string_new(NULL);

    while (len > 0) {
        size_t n = MIN(len, max);
        g_string_printf(cmd, "M%" G_GINT64_MODIFIER "x,%zx:", addr, n);
        rsp_hex_encode(cmd, buf, n);
        if (!expect_ok(c, cmd->str, "writing memory", error))
            return false;
        addr += n;
        buf += n;
        len -= n;
    }
    return true;
}

bool gdb_client_write_mem(gdb_client_t *c, uint64_t addr, const void *buf, size_t len,
                          GError **error)
{
    if (!check_range(c, addr, len, error) || !gdb_client_hold(c, error))
        return false;
    return unhold(c, write_mem_held(c, addr, buf, len, error), error);
}

/* ---- registers ------------------------------------------------------- */

static long vcpu_thread(gdb_client_t *c, unsigned vcpu, GError **error)
{
    if (vcpu >= c->threads->len) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_NOT_FOUND,
                    "gdbstub %s: no vCPU %u (the guest has %u)", c->address, vcpu,
                    c->threads->len);
        return -1;
    }
    return g_array_index(c->threads, long, vcpu);
}

static bool select_g(gdb_client_t *c, long tid, GError **error)
{
    g_autofree char *cmd = NULL;

    if (c->cur_g == tid)
        return true;
    cmd = g_strdup_printf("Hg%lx", tid);
    if (!expect_ok(c, cmd, "selecting a vCPU", error))
        return false;
    c->cur_g = tid;
    return true;
}

static const reg_info_t *lookup_reg(gdb_client_t *c, const char *name, GError **error)
{
    const reg_info_t *ri = g_hash_table_lookup(c->regs, name);

    if (!ri) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: the target description has no register '%s'%s", c->address,
                    name, c->has_xfer_features ? "" : " (the stub offers none)");
        return NULL;
    }
    if (ri->bitsize > 64 || ri->bitsize % 8) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: register '%s' is %u bits wide, not a 64-bit value", c->address,
                    name, ri->bitsize);
        return NULL;
    }
    return ri;
}

static bool read_reg_held(gdb_client_t *c, long tid, const char *name, const reg_info_t *ri,
                          uint64_t *value, GError **error)
{
    g_autofree char *cmd = g_strdup_printf("p%x", ri->regnum);
    uint8_t bytes[MAX_REG_BYTES];
    size_t n = ri->bitsize / 8;

    if (!select_g(c, tid, error) || !transact(c, cmd, REPLY_NORMAL, error))
        return false;
    if (payload_len(c) != 2 * n || !rsp_hex_decode(payload_str(c), payload_len(c), bytes)) {
        unsigned code;
        if (payload_len(c) == 0 || rsp_is_error(payload_str(c), payload_len(c), &code)) {
            g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE,
                        "gdbstub %s: cannot read register '%s' (\"%s\")", c->address, name,
                        payload_str(c));
            return false;
        }
        return fail(c, error, GDB_CLIENT_ERROR_PROTOCOL,
                    "bad answer \"%.40s\" for %u-bit register '%s'", payload_str(c),
                    ri->bitsize, name);
    }
    /* The target's byte order: little-endian on x86. */
    *value = 0;
    for (size_t i = n; i-- > 0;)
        *value = *value << 8 | bytes[i];
    return true;
}

bool gdb_client_read_reg(gdb_client_t *c, unsigned vcpu, const char *name, uint64_t *value,
                         GError **error)
{
    const reg_info_t *ri = lookup_reg(c, name, error);
    long tid = ri ? vcpu_thread(c, vcpu, error) : -1;

    if (tid < 0 || !gdb_client_hold(c, error))
        return false;
    return unhold(c, read_reg_held(c, tid, name, ri, value, error), error);
}

static bool write_reg_held(gdb_client_t *c, long tid, const reg_info_t *ri, uint64_t value,
                           GError **error)
{
    g_autoptr(GString) cmd = g_string_new(NULL);
    uint8_t bytes[8];
    size_t n = ri->bitsize / 8;

    for (size_t i = 0; i < n; i++)
        bytes[i] = (uint8_t)(value >> (8 * i));
    g_string_printf(cmd, "P%x=", ri->regnum);
    rsp_hex_encode(cmd, bytes, n);
    return select_g(c, tid, error) && expect_ok(c, cmd->str, "writing a register", error);
}

bool gdb_client_write_reg(gdb_client_t *c, unsigned vcpu, const char *name, uint64_t value,
                          GError **error)
{
    const reg_info_t *ri = lookup_reg(c, name, error);
    long tid = ri ? vcpu_thread(c, vcpu, error) : -1;

    if (tid < 0)
        return false;
    if (ri->bitsize < 64 && value >> ri->bitsize) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: 0x%" G_GINT64_MODIFIER "x does not fit %u-bit register '%s'",
                    c->address, value, ri->bitsize, name);
        return false;
    }
    if (!gdb_client_hold(c, error))
        return false;
    return unhold(c, write_reg_held(c, tid, ri, value, error), error);
}

/* ---- breakpoints, watchpoints, stepping ------------------------------ */

static bool zpacket(gdb_client_t *c, bool insert, int type, uint64_t addr, unsigned kind,
                    GError **error)
{
    g_autofree char *cmd = NULL;
    bool ok;

    if (type < 0 || type > 4) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: breakpoint type %d is not 0..4", c->address, type);
        return false;
    }
    cmd = g_strdup_printf("%c%d,%" G_GINT64_MODIFIER "x,%x", insert ? 'Z' : 'z', type, addr,
                          kind);
    if (!gdb_client_hold(c, error))
        return false;
    ok = expect_ok(c, cmd, insert ? "inserting a breakpoint" : "removing a breakpoint", error);
    if (ok) {
        zpoint_t z = { type, addr, kind };
        guint i;
        for (i = 0; i < c->points->len; i++) {
            zpoint_t *p = &g_array_index(c->points, zpoint_t, i);
            if (p->type == type && p->addr == addr && p->kind == kind)
                break;
        }
        if (insert && i == c->points->len)
            g_array_append_val(c->points, z);
        else if (!insert && i < c->points->len)
            g_array_remove_index_fast(c->points, i);
    }
    return unhold(c, ok, error);
}

bool gdb_client_insert(gdb_client_t *c, int type, uint64_t addr, unsigned kind, GError **error)
{
    return zpacket(c, true, type, addr, kind, error);
}

bool gdb_client_remove(gdb_client_t *c, int type, uint64_t addr, unsigned kind, GError **error)
{
    return zpacket(c, false, type, addr, kind, error);
}

static bool step_held(gdb_client_t *c, long tid, unsigned vcpu, int timeout_ms, rsp_stop_t *stop,
                      GError **error)
{
    g_autofree char *cmd = NULL;
    rsp_stop_t st;

    if (c->has_vcont_step) {
        cmd = g_strdup_printf("vCont;s:%lx", tid);
    } else {
        g_autofree char *hc = g_strdup_printf("Hc%lx", tid);
        if (!expect_ok(c, hc, "selecting a vCPU to step", error))
            return false;
        cmd = g_strdup("s");
    }
    if (!send_packet(c, cmd, error))
        return false;
    switch (wait_stop_reply(c, deadline_in(timeout_ms), &st, error)) {
    case RECV_ERROR:
        return false;
    case RECV_OK:
        if (stop)
            *stop = st;
        return true;
    case RECV_TIMEOUT:
        break;
    }
    /* Seen with QEMU: a vCPU that waits for an interrupt (or a SIPI) never
     * finishes a step with interrupts masked.  Stop it and say so; the
     * connection stays usable. */
    if (!write_all(c, "\x03", 1, error))
        return false;
    switch (wait_stop_reply(c, deadline_in(INTERRUPT_GRACE_MS), &st, error)) {
    case RECV_ERROR:
        return false;
    case RECV_TIMEOUT:
        /* neither the step nor the interrupt answered: the stream is lost */
        return fail(c, error, GDB_CLIENT_ERROR_TIMEOUT,
                    "vCPU %u answered neither a single-step nor an interrupt", vcpu);
    case RECV_OK:
        break;
    }
    g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT,
                "gdbstub %s: vCPU %u did not finish a single-step within %d ms (halted?)",
                c->address, vcpu, timeout_ms);
    return false;
}

bool gdb_client_step_within(gdb_client_t *c, unsigned vcpu, int timeout_ms, rsp_stop_t *stop,
                            GError **error)
{
    long tid = vcpu_thread(c, vcpu, error);

    if (tid < 0 || !gdb_client_hold(c, error))
        return false;
    return unhold(c, step_held(c, tid, vcpu, MAX(timeout_ms, 1), stop, error), error);
}

bool gdb_client_step(gdb_client_t *c, unsigned vcpu, rsp_stop_t *stop, GError **error)
{
    return gdb_client_step_within(c, vcpu, c->timeout_ms, stop, error);
}

bool gdb_client_wait_stop(gdb_client_t *c, int timeout_ms, rsp_stop_t *stop, GError **error)
{
    rsp_stop_t st;

    if (!usable(c, error))
        return false;
    if (c->have_pending_stop) {
        c->have_pending_stop = false;
        if (stop)
            *stop = c->pending_stop;
        return true;
    }
    if (!c->running || c->hold_depth > 0) {
        g_set_error(error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL,
                    "gdbstub %s: waiting for a stop, but the guest is %s", c->address,
                    c->running ? "held" : "not running");
        return false;
    }
    switch (wait_stop_reply(c, deadline_in(MAX(timeout_ms, 0)), &st, error)) {
    case RECV_ERROR:
        return false;
    case RECV_TIMEOUT:
        return false;
    default:
        break;
    }
    c->running = false;
    /* A SIGINT we did not send is a pause from outside (QMP stop). */
    if (st.kind == RSP_STOP_SIGNAL && st.signal == 2)
        c->want_running = false;
    if (stop)
        *stop = st;
    return true;
}
