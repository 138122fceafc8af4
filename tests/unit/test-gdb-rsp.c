/*
 * test-gdb-rsp.c - the GDB RSP codec without a peer: framing, checksums,
 * escapes, run-length decoding, acks, notifications, limits, stop replies,
 * hex helpers, and a fuzz loop that must never crash.
 *
 * Packets marked "QEMU 7.2" were captured from qemu-system-x86_64 7.2.22
 * (Debian 1:7.2+dfsg-7+deb12u18) on the rig guest, byte for byte.
 */
#include <string.h>
#include <glib.h>

#include "gdb_rsp.h"

#define SEED            0x5eed
#define LIMIT           4096

/* Feeds @raw; returns the events that were not RSP_EV_NONE, as a string of
 * event numbers ('0' + ev), so a test states the whole sequence at once. */
static char *feed(rsp_decoder_t *d, const void *raw, size_t len)
{
    GString *ev = g_string_new(NULL);
    const uint8_t *p = raw;

    for (size_t i = 0; i < len; i++) {
        rsp_event_t e = rsp_decoder_feed(d, p[i]);
        if (e != RSP_EV_NONE)
            g_string_append_c(ev, (char)('0' + e));
    }
    return g_string_free(ev, FALSE);
}

static char *events(rsp_event_t a, rsp_event_t b, rsp_event_t c)
{
    GString *s = g_string_new(NULL);
    rsp_event_t all[3] = { a, b, c };

    for (int i = 0; i < 3; i++)
        if (all[i] != RSP_EV_NONE)
            g_string_append_c(s, (char)('0' + all[i]));
    return g_string_free(s, FALSE);
}

#define assert_events(d, raw, a, b, c)                              \
    do {                                                            \
        g_autofree char *got_ = feed((d), (raw), strlen(raw));      \
        g_autofree char *want_ = events((a), (b), (c));             \
        g_assert_cmpstr(got_, ==, want_);                           \
    } while (0)

static void assert_payload(rsp_decoder_t *d, const char *want)
{
    g_assert_cmpuint(d->payload->len, ==, strlen(want));
    g_assert_cmpmem(d->payload->data, d->payload->len, want, strlen(want));
    /* The decoder keeps the payload NUL-terminated for string use. */
    g_assert_cmpint(d->payload->data[d->payload->len], ==, 0);
}

/* ---- framing --------------------------------------------------------- */

static void test_recorded_packets(void)
{
    rsp_decoder_t d;
    static const struct { const char *raw, *payload; } rec[] = {
        /* QEMU 7.2: what a connect to a running guest sends first */
        { "$T02thread:01;#04", "T02thread:01;" },
        /* QEMU 7.2: qSupported answer */
        { "$PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+#92",
          "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+" },
        /* QEMU 7.2: p10 (rip) and p1d (cr3) of the rig guest */
        { "$eb9245acffffffff#8f", "eb9245acffffffff" },
        { "$OK#9a", "OK" },
        { "$E14#aa", "E14" },
        { "$#00", "" },
        { "$vCont;c;C;s;S#62", "vCont;c;C;s;S" },
        { "$m01#ce", "m01" },
        { "$l#6c", "l" },
        { "$ENABLE=1,NOIRQ=2,NOTIMER=4#f4", "ENABLE=1,NOIRQ=2,NOTIMER=4" },
    };

    rsp_decoder_init(&d, LIMIT);
    for (size_t i = 0; i < G_N_ELEMENTS(rec); i++) {
        assert_events(&d, rec[i].raw, RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
        assert_payload(&d, rec[i].payload);
        g_assert_cmpint(d.state, ==, RSP_IDLE);
    }
    /* QEMU 7.2 acks each command with '+' right before the answer. */
    assert_events(&d, "+$OK#9a", RSP_EV_ACK, RSP_EV_PACKET, RSP_EV_NONE);
    rsp_decoder_clear(&d);
}

static void test_encode(void)
{
    g_autoptr(GByteArray) out = g_byte_array_new();

    rsp_encode_packet(out, "m1000000,10", 11);
    /* QEMU 7.2 accepted exactly this packet. */
    g_assert_cmpmem(out->data, out->len, "$m1000000,10#4b", 15);

    g_byte_array_set_size(out, 0);
    rsp_encode_packet(out, "", 0);
    g_assert_cmpmem(out->data, out->len, "$#00", 4);

    /* Every special byte is escaped; the checksum covers the escapes. */
    g_byte_array_set_size(out, 0);
    rsp_encode_packet(out, "a$#}*b", 6);
    g_assert_cmpmem(out->data, out->len, "$a}\x04}\x03}]}\x0a" "b#25", 14);
}

static void test_round_trip_random(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);
    rsp_decoder_t d;

    rsp_decoder_init(&d, LIMIT);
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)g_rand_int_range(rand, 0, 600);
        g_autofree uint8_t *payload = g_malloc(len + 1);
        g_autoptr(GByteArray) wire = g_byte_array_new();
        rsp_event_t last = RSP_EV_NONE;

        for (size_t i = 0; i < len; i++) {
            /* Half the bytes from the specials, so every round has some. */
            static const uint8_t special[] = { '$', '#', '}', '*', '+', '-', '%', 0x03, 0 };
            payload[i] = g_rand_boolean(rand)
                       ? special[g_rand_int_range(rand, 0, G_N_ELEMENTS(special))]
                       : (uint8_t)g_rand_int_range(rand, 0, 256);
        }
        rsp_encode_packet(wire, payload, len);
        for (size_t i = 0; i < wire->len; i++) {
            rsp_event_t e = rsp_decoder_feed(&d, wire->data[i]);
            if (i + 1 < wire->len)
                g_assert_cmpint(e, ==, RSP_EV_NONE);
            last = e;
        }
        g_assert_cmpint(last, ==, RSP_EV_PACKET);
        g_assert_cmpmem(d.payload->data, d.payload->len, payload, len);
    }
    rsp_decoder_clear(&d);
}

static void test_checksum(void)
{
    rsp_decoder_t d;

    rsp_decoder_init(&d, LIMIT);
    assert_events(&d, "$OK#9b", RSP_EV_BAD_CSUM, RSP_EV_NONE, RSP_EV_NONE);
    /* Upper-case digits are fine. */
    assert_events(&d, "$OK#9A", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    /* A non-hex digit ends the packet as a bad one, at once. */
    assert_events(&d, "$OK#9x", RSP_EV_BAD_CSUM, RSP_EV_NONE, RSP_EV_NONE);
    assert_events(&d, "$OK#x", RSP_EV_BAD_CSUM, RSP_EV_NONE, RSP_EV_NONE);
    /* A packet after a bad one decodes. */
    assert_events(&d, "$OK#00$OK#9a", RSP_EV_BAD_CSUM, RSP_EV_PACKET, RSP_EV_NONE);
    assert_payload(&d, "OK");
    rsp_decoder_clear(&d);
}

static void test_escape(void)
{
    rsp_decoder_t d;

    rsp_decoder_init(&d, LIMIT);
    /* "}\x03" is '#', "}]" is '}', escapes are allowed anywhere, even
     * for bytes that needed none ("}A" is 'a'). */
    assert_events(&d, "$}\x03x}]}A#90", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    assert_payload(&d, "#x}a");
    /* The escaped byte may be '#' itself: it is data, not the end. */
    assert_events(&d, "$}##a0", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    g_assert_cmpuint(d.payload->len, ==, 1);
    g_assert_cmpint(d.payload->data[0], ==, '#' ^ 0x20);
    rsp_decoder_clear(&d);
}

static void test_rle(void)
{
    rsp_decoder_t d;

    rsp_decoder_init(&d, LIMIT);
    /* "0* " = '0' and 3 more ("* " is 32 - 29 = 3). */
    assert_events(&d, "$0* #7a", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    assert_payload(&d, "0000");
    /* Runs repeat the decoded byte, so an escaped byte repeats
     * unescaped ('"' is 34 - 29 = 5 more). */
    assert_events(&d, "$}]*\"ab#e9", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    assert_payload(&d, "}}}}}}ab");
    /* A long run of zero bytes of a register reply ('~' is 97). */
    assert_events(&d, "$00*~#08", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    g_assert_cmpuint(d.payload->len, ==, 99);
    for (guint i = 0; i < d.payload->len; i++)
        g_assert_cmpint(d.payload->data[i], ==, '0');
    /* Nothing to repeat, or a count below 29: the packet is dropped. */
    assert_events(&d, "$* #4a", RSP_EV_MALFORMED, RSP_EV_NONE, RSP_EV_NONE);
    assert_events(&d, "$0*\x10#6a", RSP_EV_MALFORMED, RSP_EV_NONE, RSP_EV_NONE);
    assert_events(&d, "$OK#9a", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    rsp_decoder_clear(&d);
}

static void test_acks_notify_interrupt(void)
{
    rsp_decoder_t d;

    rsp_decoder_init(&d, LIMIT);
    assert_events(&d, "+-\x03", RSP_EV_ACK, RSP_EV_NACK, RSP_EV_INTERRUPT);
    assert_events(&d, "%Stop:T05#99", RSP_EV_NOTIFY, RSP_EV_NONE, RSP_EV_NONE);
    assert_payload(&d, "Stop:T05");
    g_assert_true(d.notify);
    assert_events(&d, "$OK#9a", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    g_assert_false(d.notify);
    rsp_decoder_clear(&d);
}

static void test_garbage(void)
{
    rsp_decoder_t d;

    rsp_decoder_init(&d, LIMIT);
    assert_events(&d, "xy", RSP_EV_GARBAGE, RSP_EV_GARBAGE, RSP_EV_NONE);
    assert_events(&d, "z$OK#9a", RSP_EV_GARBAGE, RSP_EV_PACKET, RSP_EV_NONE);
    /* A '$' inside a packet starts over, as GDB does. */
    assert_events(&d, "$E1$OK#9a", RSP_EV_GARBAGE, RSP_EV_PACKET, RSP_EV_NONE);
    assert_payload(&d, "OK");
    /* rsp_decoder_reset forgets a half packet. */
    assert_events(&d, "$OK", RSP_EV_NONE, RSP_EV_NONE, RSP_EV_NONE);
    rsp_decoder_reset(&d);
    g_assert_cmpint(d.state, ==, RSP_IDLE);
    assert_events(&d, "#9a", RSP_EV_GARBAGE, RSP_EV_GARBAGE, RSP_EV_GARBAGE);
    rsp_decoder_clear(&d);
}

static void test_overflow(void)
{
    rsp_decoder_t d;
    g_autoptr(GByteArray) wire = g_byte_array_new();
    g_autofree char *big = g_strnfill(17, 'a');

    rsp_decoder_init(&d, 16);
    rsp_encode_packet(wire, big, 16);
    g_assert_cmpint(rsp_decoder_feed(&d, 0), ==, RSP_EV_GARBAGE);
    for (guint i = 0; i < wire->len - 1; i++)
        g_assert_cmpint(rsp_decoder_feed(&d, wire->data[i]), ==, RSP_EV_NONE);
    g_assert_cmpint(rsp_decoder_feed(&d, wire->data[wire->len - 1]), ==, RSP_EV_PACKET);

    g_byte_array_set_size(wire, 0);
    rsp_encode_packet(wire, big, 17);
    {
        g_autofree char *ev = feed(&d, wire->data, wire->len);
        g_autofree char *want = events(RSP_EV_OVERFLOW, RSP_EV_NONE, RSP_EV_NONE);
        g_assert_cmpstr(ev, ==, want);
    }
    /* A run that would pass the limit overflows too, without growing. */
    assert_events(&d, "$a*~#ba", RSP_EV_OVERFLOW, RSP_EV_NONE, RSP_EV_NONE);
    g_assert_cmpuint(d.payload->len, <=, 16);
    /* And the next packet is fine. */
    assert_events(&d, "$OK#9a", RSP_EV_PACKET, RSP_EV_NONE, RSP_EV_NONE);
    rsp_decoder_clear(&d);
}

/* ---- replies --------------------------------------------------------- */

static void test_hex(void)
{
    uint8_t out[8];
    g_autoptr(GString) s = g_string_new(NULL);
    static const uint8_t all[] = { 0x00, 0x09, 0x0a, 0x7f, 0x80, 0xab, 0xf0, 0xff };

    g_assert_true(rsp_hex_decode("eb9245acFFFFffff", 16, out));
    g_assert_cmpmem(out, 8, "\xeb\x92\x45\xac\xff\xff\xff\xff", 8);
    g_assert_false(rsp_hex_decode("abc", 3, out));
    g_assert_false(rsp_hex_decode("0g", 2, out));
    g_assert_true(rsp_hex_decode("", 0, out));
    rsp_hex_encode(s, all, sizeof(all));
    g_assert_cmpstr(s->str, ==, "00090a7f80abf0ff");
    g_assert_true(rsp_hex_decode(s->str, s->len, out));
    g_assert_cmpmem(out, 8, all, 8);
}

static void test_error_reply(void)
{
    unsigned code = 0;

    g_assert_true(rsp_is_error("E14", 3, &code));
    g_assert_cmpuint(code, ==, 0x14);
    g_assert_true(rsp_is_error("E22", 3, NULL));
    g_assert_false(rsp_is_error("E1", 2, &code));
    g_assert_false(rsp_is_error("E145", 4, &code));
    g_assert_false(rsp_is_error("e14", 3, &code));
    g_assert_false(rsp_is_error("EXX", 3, &code));
    g_assert_false(rsp_is_error("OK", 2, &code));
}

static rsp_stop_t stop_of(const char *s)
{
    rsp_stop_t st;

    memset(&st, 0xa5, sizeof(st));
    if (!rsp_parse_stop(s, strlen(s), &st))
        g_error("'%s' did not parse as a stop reply", s);
    return st;
}

static void test_stop_replies(void)
{
    rsp_stop_t st;

    /* QEMU 7.2, multiprocess off: the form libvmi sees. */
    st = stop_of("T05thread:01;");
    g_assert_cmpint(st.kind, ==, RSP_STOP_SIGNAL);
    g_assert_cmpuint(st.signal, ==, 5);
    g_assert_cmpint(st.thread, ==, 1);
    g_assert_cmpint(st.watch, ==, RSP_WATCH_NONE);
    g_assert_false(st.swbreak || st.hwbreak);

    st = stop_of("T02thread:02;");
    g_assert_cmpuint(st.signal, ==, 2);
    g_assert_cmpint(st.thread, ==, 2);

    /* Multiprocess form. */
    st = stop_of("T05thread:p01.0a;");
    g_assert_cmpint(st.thread, ==, 10);

    /* QEMU 7.2 watchpoint hits (captured on the rig guest). */
    st = stop_of("T05thread:01;awatch:ffffffffa1003e98;");
    g_assert_cmpint(st.watch, ==, RSP_WATCH_ACCESS);
    g_assert_cmphex(st.watch_addr, ==, 0xffffffffa1003e98ULL);
    st = stop_of("T05thread:01;watch:ffffffff81000000;");
    g_assert_cmpint(st.watch, ==, RSP_WATCH_WRITE);
    g_assert_cmphex(st.watch_addr, ==, 0xffffffff81000000ULL);
    st = stop_of("T05thread:01;rwatch:1000;");
    g_assert_cmpint(st.watch, ==, RSP_WATCH_READ);

    /* Register values and unknown keys are skipped. */
    st = stop_of("T0506:0000000000000000;07:983e40adffffffff;hwbreak:;thread:03;core:0;");
    g_assert_true(st.hwbreak);
    g_assert_false(st.swbreak);
    g_assert_cmpint(st.thread, ==, 3);
    st = stop_of("T05swbreak:;");
    g_assert_true(st.swbreak);
    g_assert_cmpint(st.thread, ==, -1);
    st = stop_of("T05thread:-1;");
    g_assert_cmpint(st.thread, ==, -1);

    st = stop_of("S05");
    g_assert_cmpint(st.kind, ==, RSP_STOP_SIGNAL);
    g_assert_cmpint(st.thread, ==, -1);
    st = stop_of("W00");
    g_assert_cmpint(st.kind, ==, RSP_STOP_EXITED);
    g_assert_cmpuint(st.signal, ==, 0);
    st = stop_of("W01;process:1");
    g_assert_cmpint(st.kind, ==, RSP_STOP_EXITED);
    st = stop_of("X09");
    g_assert_cmpint(st.kind, ==, RSP_STOP_TERMINATED);
    g_assert_cmpuint(st.signal, ==, 9);

    /* Not stop replies: command answers that start with the same letters
     * must not be taken for one. */
    static const char *bad[] = {
        "", "T", "T0", "Tzz", "S5", "S055", "W", "X0", "OK", "E14", "l", "m01",
        "T05thread", "T05thread:01", "T05thread:zz;", "T05thread:p01;",
        "T05watch:;", "T05watch:12345678901234567;", "T05thread:100000000;",
        "W00x", "0123",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(rsp_parse_stop(bad[i], strlen(bad[i]), &st));
}

/* ---- fuzz ------------------------------------------------------------ */

/* Random streams built from packet fragments and noise: the decoder must
 * stay in bounds, keep its limit, and end every packet in RSP_IDLE. */
static void test_fuzz(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);
    static const char *frag[] = {
        "$", "#", "}", "*", "+", "-", "%", "\x03", "00", "#00", "#9a", "OK", "* ", "*~",
        "}]", "T05thread:01;", "watch:", ";", ":", "E14", "\xff", "\x00",
    };
    rsp_decoder_t d;
    guint64 packets = 0;

    rsp_decoder_init(&d, 64);
    for (int round = 0; round < 20000; round++) {
        int n = g_rand_int_range(rand, 1, 40);
        for (int i = 0; i < n; i++) {
            const char *f;
            size_t flen;
            uint8_t noise;
            if (g_rand_int_range(rand, 0, 4) == 0) {
                noise = (uint8_t)g_rand_int_range(rand, 0, 256);
                f = (const char *)&noise;
                flen = 1;
            } else {
                f = frag[g_rand_int_range(rand, 0, G_N_ELEMENTS(frag))];
                flen = MAX(strlen(f), 1);
            }
            for (size_t k = 0; k < flen; k++) {
                rsp_event_t e = rsp_decoder_feed(&d, (uint8_t)f[k]);
                g_assert_cmpuint(d.payload->len, <=, 64);
                if (e == RSP_EV_PACKET || e == RSP_EV_NOTIFY) {
                    packets++;
                    g_assert_cmpint(d.state, ==, RSP_IDLE);
                    /* Whatever decoded also parses (or not) safely. */
                    rsp_stop_t st;
                    (void)rsp_parse_stop((const char *)d.payload->data, d.payload->len, &st);
                    (void)rsp_is_error((const char *)d.payload->data, d.payload->len, NULL);
                }
            }
        }
        if (g_rand_int_range(rand, 0, 8) == 0)
            rsp_decoder_reset(&d);
    }
    /* The fragments make valid packets now and then; the fuzz reached the
     * completion paths, not only the error paths. */
    g_assert_cmpuint(packets, >, 100);
    rsp_decoder_clear(&d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/gdb-rsp/framing/recorded", test_recorded_packets);
    g_test_add_func("/gdb-rsp/framing/encode", test_encode);
    g_test_add_func("/gdb-rsp/framing/round-trip", test_round_trip_random);
    g_test_add_func("/gdb-rsp/framing/checksum", test_checksum);
    g_test_add_func("/gdb-rsp/framing/escape", test_escape);
    g_test_add_func("/gdb-rsp/framing/rle", test_rle);
    g_test_add_func("/gdb-rsp/framing/acks-notify-interrupt", test_acks_notify_interrupt);
    g_test_add_func("/gdb-rsp/framing/garbage", test_garbage);
    g_test_add_func("/gdb-rsp/framing/overflow", test_overflow);
    g_test_add_func("/gdb-rsp/reply/hex", test_hex);
    g_test_add_func("/gdb-rsp/reply/error", test_error_reply);
    g_test_add_func("/gdb-rsp/reply/stop", test_stop_replies);
    g_test_add_func("/gdb-rsp/fuzz", test_fuzz);

    return g_test_run();
}
