/*
 * gdb_rsp.c - the GDB remote serial protocol codec (see gdb_rsp.h).
 *
 * The decoder is a byte-at-a-time state machine like QEMU's own
 * gdb_read_byte(), so a packet split across any number of reads decodes the
 * same way and a hostile peer can only make it drop packets, never read or
 * write out of bounds.
 */
#include <string.h>

#include "gdb_rsp.h"

#define RSP_ESCAPE_CHAR     '}'
#define RSP_ESCAPE_XOR      0x20
#define RSP_RLE_CHAR        '*'
/* A run-length count byte is the repeat count + 29, so that the smallest
 * useful run (3) is a printable ' '; GDB never sends counts above '~'. */
#define RSP_RLE_BIAS        29
#define RSP_RLE_MAX_CHAR    '~'
#define RSP_INTERRUPT       0x03

void rsp_decoder_init(rsp_decoder_t *d, size_t max_payload)
{
    memset(d, 0, sizeof(*d));
    d->payload = g_byte_array_new();
    d->max_payload = max_payload;
    d->state = RSP_IDLE;
}

void rsp_decoder_clear(rsp_decoder_t *d)
{
    if (d->payload)
        g_byte_array_unref(d->payload);
    d->payload = NULL;
    d->state = RSP_IDLE;
}

void rsp_decoder_reset(rsp_decoder_t *d)
{
    d->state = RSP_IDLE;
    d->overflow = false;
    d->malformed = false;
    if (d->payload)
        g_byte_array_set_size(d->payload, 0);
}

static void start_packet(rsp_decoder_t *d, bool notify)
{
    g_byte_array_set_size(d->payload, 0);
    d->notify = notify;
    d->sum = 0;
    d->overflow = false;
    d->malformed = false;
    d->state = RSP_DATA;
}

static void append(rsp_decoder_t *d, uint8_t byte, size_t count)
{
    if (d->overflow)
        return;
    if (count > d->max_payload - MIN(d->max_payload, d->payload->len)) {
        d->overflow = true;
        return;
    }
    size_t old = d->payload->len;
    g_byte_array_set_size(d->payload, (guint)(old + count));
    memset(d->payload->data + old, byte, count);
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static rsp_event_t finish_packet(rsp_decoder_t *d)
{
    d->state = RSP_IDLE;
    if (d->overflow)
        return RSP_EV_OVERFLOW;
    if (d->malformed)
        return RSP_EV_MALFORMED;
    if (d->csum != d->sum)
        return RSP_EV_BAD_CSUM;
    /* Callers treat the payload as a string. */
    g_byte_array_append(d->payload, (const guint8 *)"", 1);
    g_byte_array_set_size(d->payload, d->payload->len - 1);
    return d->notify ? RSP_EV_NOTIFY : RSP_EV_PACKET;
}

rsp_event_t rsp_decoder_feed(rsp_decoder_t *d, uint8_t byte)
{
    int v;

    switch (d->state) {
    case RSP_IDLE:
        switch (byte) {
        case '$':
            start_packet(d, false);
            return RSP_EV_NONE;
        case '%':
            start_packet(d, true);
            return RSP_EV_NONE;
        case '+':
            return RSP_EV_ACK;
        case '-':
            return RSP_EV_NACK;
        case RSP_INTERRUPT:
            return RSP_EV_INTERRUPT;
        default:
            return RSP_EV_GARBAGE;
        }

    case RSP_DATA:
        if (byte == '$') {
            /* As GDB does: a new start means the old packet was cut off.
             * ('%' is plain data here: encoders do not escape it.) */
            start_packet(d, false);
            return RSP_EV_GARBAGE;
        }
        if (byte == '#') {
            d->state = RSP_CSUM1;
            return RSP_EV_NONE;
        }
        d->sum += byte;
        if (byte == RSP_ESCAPE_CHAR) {
            d->state = RSP_ESCAPE;
        } else if (byte == RSP_RLE_CHAR) {
            /* A run needs a byte before it to repeat. */
            if (d->payload->len == 0)
                d->malformed = true;
            d->state = RSP_RLE;
        } else {
            append(d, byte, 1);
        }
        return RSP_EV_NONE;

    case RSP_ESCAPE:
        d->sum += byte;
        append(d, byte ^ RSP_ESCAPE_XOR, 1);
        d->state = RSP_DATA;
        return RSP_EV_NONE;

    case RSP_RLE:
        d->sum += byte;
        d->state = RSP_DATA;
        if (byte < RSP_RLE_BIAS || byte > RSP_RLE_MAX_CHAR) {
            d->malformed = true;
        } else if (!d->malformed && !d->overflow) {
            /* The run repeats the byte before the '*'; the '*' has no
             * payload byte of its own. */
            append(d, d->payload->data[d->payload->len - 1], byte - RSP_RLE_BIAS);
        }
        return RSP_EV_NONE;

    case RSP_CSUM1:
        v = hex_value(byte);
        if (v < 0) {
            d->state = RSP_IDLE;
            return d->overflow ? RSP_EV_OVERFLOW : RSP_EV_BAD_CSUM;
        }
        d->csum = (uint8_t)(v << 4);
        d->state = RSP_CSUM2;
        return RSP_EV_NONE;

    case RSP_CSUM2:
        v = hex_value(byte);
        if (v < 0) {
            d->state = RSP_IDLE;
            return d->overflow ? RSP_EV_OVERFLOW : RSP_EV_BAD_CSUM;
        }
        d->csum |= (uint8_t)v;
        return finish_packet(d);
    }
    d->state = RSP_IDLE;
    return RSP_EV_GARBAGE;
}

void rsp_encode_packet(GByteArray *out, const void *payload, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = payload;
    uint8_t sum = 0;
    uint8_t c;

    g_byte_array_append(out, (const guint8 *)"$", 1);
    for (size_t i = 0; i < len; i++) {
        c = p[i];
        if (c == '$' || c == '#' || c == RSP_ESCAPE_CHAR || c == RSP_RLE_CHAR) {
            uint8_t esc[2] = { RSP_ESCAPE_CHAR, c ^ RSP_ESCAPE_XOR };
            g_byte_array_append(out, esc, 2);
            sum += esc[0] + esc[1];
        } else {
            g_byte_array_append(out, &c, 1);
            sum += c;
        }
    }
    uint8_t tail[3] = { '#', (uint8_t)digits[sum >> 4], (uint8_t)digits[sum & 0xf] };
    g_byte_array_append(out, tail, 3);
}

bool rsp_hex_decode(const char *hex, size_t hexlen, uint8_t *out)
{
    if (hexlen % 2)
        return false;
    for (size_t i = 0; i < hexlen; i += 2) {
        int hi = hex_value((uint8_t)hex[i]);
        int lo = hex_value((uint8_t)hex[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void rsp_hex_encode(GString *out, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++) {
        g_string_append_c(out, digits[p[i] >> 4]);
        g_string_append_c(out, digits[p[i] & 0xf]);
    }
}

bool rsp_is_error(const char *payload, size_t len, unsigned *code)
{
    int hi, lo;

    if (len != 3 || payload[0] != 'E')
        return false;
    hi = hex_value((uint8_t)payload[1]);
    lo = hex_value((uint8_t)payload[2]);
    if (hi < 0 || lo < 0)
        return false;
    if (code)
        *code = (unsigned)(hi << 4 | lo);
    return true;
}

/* Parses @len hex digits (1..16) at @s; false on anything else. */
static bool parse_hex_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 16)
        return false;
    for (size_t i = 0; i < len; i++) {
        int d = hex_value((uint8_t)s[i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* A thread id: "01", "-1", or with multiprocess "p01.01" / "p01.-1". */
static bool parse_thread_id(const char *s, size_t len, long *out)
{
    const char *dot;
    uint64_t v;

    if (len > 0 && s[0] == 'p') {
        dot = memchr(s, '.', len);
        if (!dot)
            return false;
        len -= (size_t)(dot + 1 - s);
        s = dot + 1;
    }
    if (len == 2 && s[0] == '-' && s[1] == '1') {
        *out = -1;
        return true;
    }
    /* Thread ids are positive and far below LONG_MAX in any real stub. */
    if (!parse_hex_u64(s, len, &v) || v > G_MAXINT32)
        return false;
    *out = (long)v;
    return true;
}

static bool key_is(const char *key, size_t keylen, const char *name)
{
    return keylen == strlen(name) && memcmp(key, name, keylen) == 0;
}

bool rsp_parse_stop(const char *payload, size_t len, rsp_stop_t *out)
{
    uint64_t sig;
    rsp_stop_t st = { .kind = RSP_STOP_NONE, .thread = -1 };
    const char *p, *end;

    if (len < 3 || !parse_hex_u64(payload + 1, 2, &sig))
        return false;
    st.signal = (unsigned)sig;

    switch (payload[0]) {
    case 'S':
        if (len != 3)
            return false;
        st.kind = RSP_STOP_SIGNAL;
        break;
    case 'W':
    case 'X':
        /* "W00" or, with multiprocess, "W00;process:1". */
        if (len != 3 && (len < 4 || payload[3] != ';'))
            return false;
        st.kind = payload[0] == 'W' ? RSP_STOP_EXITED : RSP_STOP_TERMINATED;
        break;
    case 'T':
        st.kind = RSP_STOP_SIGNAL;
        p = payload + 3;
        end = payload + len;
        while (p < end) {
            const char *semi = memchr(p, ';', (size_t)(end - p));
            const char *colon;
            size_t keylen, vallen;
            const char *val;

            /* Every pair ends with ';', QEMU's and GDB's alike. */
            if (!semi)
                return false;
            colon = memchr(p, ':', (size_t)(semi - p));
            if (!colon)
                return false;
            keylen = (size_t)(colon - p);
            val = colon + 1;
            vallen = (size_t)(semi - val);

            if (key_is(p, keylen, "thread")) {
                if (!parse_thread_id(val, vallen, &st.thread))
                    return false;
            } else if (key_is(p, keylen, "watch") || key_is(p, keylen, "rwatch")
                       || key_is(p, keylen, "awatch")) {
                if (!parse_hex_u64(val, vallen, &st.watch_addr))
                    return false;
                st.watch = p[0] == 'r' ? RSP_WATCH_READ
                         : p[0] == 'a' ? RSP_WATCH_ACCESS : RSP_WATCH_WRITE;
            } else if (key_is(p, keylen, "swbreak")) {
                st.swbreak = true;
            } else if (key_is(p, keylen, "hwbreak")) {
                st.hwbreak = true;
            }
            /* Register values ("06:...") and other keys are not needed. */
            p = semi + 1;
        }
        break;
    default:
        return false;
    }
    if (out)
        *out = st;
    return true;
}
