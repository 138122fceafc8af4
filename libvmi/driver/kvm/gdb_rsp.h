/*
 * gdb_rsp.h - the GDB remote serial protocol as a pure codec: framing
 * ($data#cs), checksums, escapes (}), run-length encoding (*), acks, and
 * the decoding of the replies libvmi uses (hex memory, registers, stop
 * replies).  No I/O here: gdb_client.c is the transport.
 */
#ifndef VMI_GDB_RSP_H
#define VMI_GDB_RSP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Decoder states, one byte at a time (as in QEMU's own gdbstub). */
typedef enum {
    RSP_IDLE,       /* between packets: expects '$', '+', '-', '%' or 0x03 */
    RSP_DATA,       /* inside $...: collecting payload */
    RSP_ESCAPE,     /* after '}': next byte is xor 0x20 */
    RSP_RLE,        /* after '*': next byte is the repeat count + 29 */
    RSP_CSUM1,      /* after '#': first checksum digit */
    RSP_CSUM2,      /* second checksum digit */
} rsp_state_t;

/* What one byte completed. */
typedef enum {
    RSP_EV_NONE,        /* nothing yet */
    RSP_EV_PACKET,      /* a packet with a valid checksum: payload in the decoder */
    RSP_EV_BAD_CSUM,    /* a packet with a wrong checksum (answer '-') */
    RSP_EV_ACK,         /* '+' */
    RSP_EV_NACK,        /* '-' */
    RSP_EV_NOTIFY,      /* a %notification packet (ignored by libvmi) */
    RSP_EV_OVERFLOW,    /* payload longer than the limit: packet dropped */
    RSP_EV_GARBAGE,     /* a byte that cannot start anything: skipped */
    RSP_EV_INTERRUPT,   /* 0x03 between packets (what a stub receives) */
    RSP_EV_MALFORMED,   /* a run-length count out of range: packet dropped */
} rsp_event_t;

typedef struct rsp_decoder {
    rsp_state_t state;
    bool notify;            /* current packet started with '%' */
    GByteArray *payload;    /* decoded payload (escapes and RLE undone) */
    size_t max_payload;     /* limit of a decoded payload */
    uint8_t sum;            /* running checksum of the raw bytes */
    uint8_t csum;           /* received checksum */
    bool overflow;          /* payload passed max_payload: drop at '#' */
    bool malformed;         /* bad run-length count: drop at '#' */
} rsp_decoder_t;

void rsp_decoder_init(rsp_decoder_t *d, size_t max_payload);
/* Frees the payload buffer (init again before reuse). */
void rsp_decoder_clear(rsp_decoder_t *d);
/* Forgets a partial packet: back to RSP_IDLE. */
void rsp_decoder_reset(rsp_decoder_t *d);
/* Feeds one byte; returns what it completed. */
rsp_event_t rsp_decoder_feed(rsp_decoder_t *d, uint8_t byte);

/* Frames @payload (escaping $ # } *) as $payload#cs, appended to @out. */
void rsp_encode_packet(GByteArray *out, const void *payload, size_t len);

/* Hex helpers: false on a non-hex digit or odd length. */
bool rsp_hex_decode(const char *hex, size_t hexlen, uint8_t *out);
void rsp_hex_encode(GString *out, const void *data, size_t len);

/* An error reply "Exx" (returns true and sets *code, which may be NULL) */
bool rsp_is_error(const char *payload, size_t len, unsigned *code);

/* A decoded stop reply: S/T/W/X packets. */
typedef enum { RSP_STOP_NONE, RSP_STOP_SIGNAL, RSP_STOP_EXITED, RSP_STOP_TERMINATED } rsp_stop_kind_t;
typedef enum { RSP_WATCH_NONE, RSP_WATCH_WRITE, RSP_WATCH_READ, RSP_WATCH_ACCESS } rsp_watch_t;
typedef struct rsp_stop {
    rsp_stop_kind_t kind;
    unsigned signal;        /* or exit status */
    long thread;            /* "thread:" value (gdb thread id, 1-based vCPU in QEMU), -1 if absent */
    rsp_watch_t watch;      /* watch/rwatch/awatch */
    uint64_t watch_addr;
    bool swbreak, hwbreak;
} rsp_stop_t;
/* Parses an S/T/W/X packet ("T05thread:01;", "T05thread:p01.01;watch:ADDR;"
 * ...); false if @payload is not a well-formed stop reply. */
bool rsp_parse_stop(const char *payload, size_t len, rsp_stop_t *out);

#endif
