/*
 * fuzz-rsp.c - the gdb remote serial protocol decoder (gdb_rsp.c) on an
 * arbitrary byte stream, as a hostile gdbstub would send it; every packet
 * it yields goes through the reply decoders libvmi uses (stop replies,
 * error replies, hex).  Checks the codec's own round trip: a decoded
 * payload, framed again by rsp_encode_packet() and decoded by a fresh
 * decoder, comes back byte for byte; hex decoding inverts hex encoding.
 */
#include "fuzz-common.h"
#include "gdb_rsp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

static void replies(const uint8_t *p, size_t n)
{
    /* the decoders are given a NUL-terminated payload, as gdb_client.c does */
    char *s = fuzz_strdup(p, n);
    rsp_stop_t st;
    unsigned code;
    if (rsp_parse_stop(s, n, &st))
        FUZZ_CHECK(st.kind != RSP_STOP_NONE);
    (void)rsp_is_error(s, n, &code);
    if (n % 2 == 0) {
        uint8_t *bin = g_malloc(n / 2 + 1);
        if (rsp_hex_decode(s, n, bin)) {
            GString *hex = g_string_new(NULL);
            rsp_hex_encode(hex, bin, n / 2);
            FUZZ_CHECK(hex->len == n && g_ascii_strncasecmp(hex->str, s, n) == 0);
            g_string_free(hex, TRUE);
        }
        g_free(bin);
    }
    g_free(s);
}

static void roundtrip(const uint8_t *p, size_t n)
{
    GByteArray *wire = g_byte_array_new();
    rsp_encode_packet(wire, p, n);
    rsp_decoder_t d;
    rsp_decoder_init(&d, n + 16);
    rsp_event_t last = RSP_EV_NONE;
    for (guint i = 0; i < wire->len; i++) {
        rsp_event_t ev = rsp_decoder_feed(&d, wire->data[i]);
        if (i + 1 < wire->len)
            FUZZ_CHECK(ev == RSP_EV_NONE);
        last = ev;
    }
    FUZZ_CHECK(last == RSP_EV_PACKET);
    FUZZ_CHECK(d.payload->len == n && memcmp(d.payload->data, p, n) == 0);
    rsp_decoder_clear(&d);
    g_byte_array_unref(wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_decoder_t d;
    /* the first byte picks the payload limit, so the overflow paths run */
    size_t limit = size ? (size_t)data[0] * 16 + 1 : 4096;
    rsp_decoder_init(&d, limit);
    for (size_t i = 0; i < size; i++) {
        rsp_event_t ev = rsp_decoder_feed(&d, data[i]);
        FUZZ_CHECK(d.payload->len <= d.max_payload);
        if (ev == RSP_EV_PACKET || ev == RSP_EV_NOTIFY) {
            replies(d.payload->data, d.payload->len);
            roundtrip(d.payload->data, d.payload->len);
        }
        if (i % 997 == 996)
            rsp_decoder_reset(&d);
    }
    rsp_decoder_clear(&d);
    /* the input itself as a payload */
    replies(data, size);
    roundtrip(data, size);
    return 0;
}
