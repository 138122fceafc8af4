/*
 * test-gdb-client.c - gdb_client against a fake gdbstub in a thread, on a
 * unix socket in a temporary directory.
 *
 * The peer plays exchanges recorded from QEMU 7.2.22's gdbstub (Debian
 * 1:7.2+dfsg-7+deb12u18, rig guest, -smp 1; thread lists from a -smp 2
 * run): the bytes it answers are QEMU's, '+' acks included.  What it
 * serves by rule rather than from a recording - qXfer chunks of the target
 * description (an excerpt of QEMU's own i386-64bit.xml) and 'm' data - it
 * frames the way QEMU does.  Then it misbehaves: garbage, a close in the
 * middle of a packet, silence, and a stop reply in place of an answer.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "gdb_client.h"

#define TIMEOUT_MS      400

/* ---- recorded QEMU 7.2 traffic -------------------------------------- */

/* Sent by QEMU as soon as it accepts a client while the guest runs. */
#define QEMU_STOP_ON_CONNECT    "$T02thread:01;#04"
#define QEMU_QSUPPORTED \
    "+$PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+#92"
#define QEMU_TARGET_XML \
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target>" \
    "<architecture>i386:x86-64</architecture><xi:include href=\"i386-64bit.xml\"/></target>"
#define QEMU_OK                 "+$OK#9a"
#define QEMU_EMPTY              "+$#00"
#define QEMU_E14                "+$E14#aa"
#define QEMU_VCONT              "+$vCont;c;C;s;S#62"
#define QEMU_QC                 "+$QC01#f5"
#define QEMU_RIP                "+$eb9245acffffffff#8f"
#define QEMU_CR3                "+$0020060100000000#09"
#define QEMU_STEPPED            "+$T05thread:01;#07"
/* An answer QEMU gives when a byte stops a running guest: no '+'. */
#define QEMU_STOPPED            "$T02thread:01;#04"

/* QEMU's i386-64bit.xml with its <flags> blocks but one left out; the
 * comments (including the commented-out <reg> lines) are QEMU's. */
static const char i386_64bit_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "\n"
    "  <flags id=\"x64_cr3\" size=\"8\">\n"
    "\t<field name=\"PDBR\" start=\"12\" end=\"63\"/>\n"
    "\t<!--field name=\"\" start=\"3\" end=\"11\"/>\n"
    "\t<field name=\"WT\" start=\"2\" end=\"2\"/>\n"
    "\t<field name=\"CD\" start=\"1\" end=\"1\"/>\n"
    "\t<field name=\"\" start=\"0\" end=\"0\"/-->\n"
    "\t<field name=\"PCID\" start=\"0\" end=\"11\"/>\n"
    "  </flags>\n"
    "  <!-- General registers -->\n"
    "  <reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n"
    "  <reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "  <reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "  <reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
    "  <reg name=\"eflags\" bitsize=\"32\" type=\"x64_eflags\"/>\n"
    "  <!-- Segment registers -->\n"
    "  <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "  <!--reg name=\"cs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"ss_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"ds_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"es_base\" bitsize=\"64\" type=\"int64\"/-->\n"
    "  <reg name=\"fs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"k_gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <!-- Control registers -->\n"
    "  <reg name=\"cr0\" bitsize=\"64\" type=\"x64_cr0\"/>\n"
    "  <reg name=\"cr2\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"cr3\" bitsize=\"64\" type=\"x64_cr3\"/>\n"
    "  <reg name=\"cr4\" bitsize=\"64\" type=\"x64_cr4\"/>\n"
    "  <reg name=\"cr8\" bitsize=\"64\" type=\"int64\"/>\n"
    "  <reg name=\"efer\" bitsize=\"64\" type=\"x64_efer\"/>\n"
    "  <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "  <reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  <reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
    "  <reg name=\"mxcsr\" bitsize=\"32\" type=\"x64_mxcsr\" group=\"vector\"/>\n"
    "</feature>\n"
    ;

/* ---- the fake peer --------------------------------------------------- */

enum {
    AFTER_NOTHING,
    AFTER_CLOSE,        /* close the connection after the reply */
    AFTER_STALL,        /* say nothing more until the client goes away */
};

typedef struct step {
    const char *expect;     /* packet payload, "\x03" for an interrupt */
    const char *reply;      /* raw bytes, sent as they are */
    int after;
    const char *on_nack;    /* sent if the client answers the reply with '-' */
} step_t;

typedef struct peer {
    char *dir, *path;
    int listen_fd;
    const char *on_accept;
    const step_t *steps;
    bool serve_mem;         /* answer 'm' from a pattern, as QEMU frames it */
    GThread *thread;
    GString *log;           /* every packet the client sent, one a line */
    GString *problems;      /* mismatches, checked by the test */
    guint mem_packets;
} peer_t;

static uint8_t pattern(uint64_t addr)
{
    return (uint8_t)(addr * 7 + (addr >> 8));
}

static void send_raw(int fd, const void *data, size_t len)
{
    if (len && send(fd, data, len, MSG_NOSIGNAL) != (ssize_t)len)
        g_printerr("peer: send failed: %s\n", g_strerror(errno));
}

static void send_payload(int fd, const char *payload, size_t len)
{
    g_autoptr(GByteArray) out = g_byte_array_new();

    g_byte_array_append(out, (const guint8 *)"+", 1);
    rsp_encode_packet(out, payload, len);
    send_raw(fd, out->data, out->len);
}

/* qXfer:features:read:ANNEX:OFF,LEN the way QEMU 7.2 answers it. */
static bool serve_xfer(int fd, const char *pkt)
{
    const char *prefix = "qXfer:features:read:";
    const char *doc;
    unsigned long off, len;
    size_t total;

    if (!g_str_has_prefix(pkt, prefix))
        return false;
    pkt += strlen(prefix);
    if (g_str_has_prefix(pkt, "target.xml:"))
        doc = QEMU_TARGET_XML;
    else if (g_str_has_prefix(pkt, "i386-64bit.xml:"))
        doc = i386_64bit_xml;
    else {
        send_payload(fd, "E00", 3);
        return true;
    }
    if (sscanf(strchr(pkt, ':') + 1, "%lx,%lx", &off, &len) != 2) {
        send_payload(fd, "E22", 3);
        return true;
    }
    total = strlen(doc);
    off = MIN(off, total);
    len = MIN(len, total - off);
    g_autoptr(GString) reply = g_string_new(off + len < total ? "m" : "l");
    g_string_append_len(reply, doc + off, (gssize)len);
    send_payload(fd, reply->str, reply->len);
    return true;
}

static bool serve_mem(peer_t *p, int fd, const char *pkt)
{
    guint64 addr, len;

    if (!p->serve_mem || pkt[0] != 'm'
        || sscanf(pkt, "m%" G_GINT64_MODIFIER "x,%" G_GINT64_MODIFIER "x", &addr, &len) != 2)
        return false;
    if (len > 0x800) {
        send_payload(fd, "E22", 3);   /* QEMU 7.2: more than MAX_PACKET_LENGTH/2 */
        return true;
    }
    g_autoptr(GString) hex = g_string_new(NULL);
    for (guint64 i = 0; i < len; i++)
        g_string_append_printf(hex, "%02x", pattern(addr + i));
    send_payload(fd, hex->str, hex->len);
    p->mem_packets++;
    return true;
}

static gpointer peer_main(gpointer data)
{
    peer_t *p = data;
    rsp_decoder_t dec;
    uint8_t buf[4096];
    const step_t *st = p->steps;
    const char *on_nack = NULL;
    int fd = accept(p->listen_fd, NULL, NULL);
    bool stalled = false;

    if (fd < 0) {
        g_string_append_printf(p->problems, "accept: %s\n", g_strerror(errno));
        return NULL;
    }
    rsp_decoder_init(&dec, 1 << 20);
    if (p->on_accept)
        send_raw(fd, p->on_accept, strlen(p->on_accept));
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            rsp_event_t ev = rsp_decoder_feed(&dec, buf[i]);
            const char *pkt;

            if (ev == RSP_EV_ACK)
                continue;
            if (ev == RSP_EV_NACK) {
                g_string_append(p->log, "-\n");
                if (on_nack)
                    send_raw(fd, on_nack, strlen(on_nack));
                on_nack = NULL;
                continue;
            }
            if (ev != RSP_EV_PACKET && ev != RSP_EV_INTERRUPT) {
                if (ev != RSP_EV_NONE)
                    g_string_append_printf(p->problems, "bad byte from client (event %d)\n", ev);
                continue;
            }
            pkt = ev == RSP_EV_INTERRUPT ? "\x03" : (const char *)dec.payload->data;
            g_string_append_printf(p->log, "%s\n", ev == RSP_EV_INTERRUPT ? "^C" : pkt);
            if (stalled)
                continue;
            if (st->expect && strcmp(pkt, st->expect) == 0) {
                if (st->reply)
                    send_raw(fd, st->reply, strlen(st->reply));
                on_nack = st->on_nack;
                int after = st->after;
                st++;
                if (after == AFTER_CLOSE)
                    goto out;
                if (after == AFTER_STALL)
                    stalled = true;
                continue;
            }
            if (serve_xfer(fd, pkt) || serve_mem(p, fd, pkt))
                continue;
            g_string_append_printf(p->problems, "unexpected packet \"%s\" (expected \"%s\")\n",
                                   pkt[0] == 3 ? "^C" : pkt, st->expect ? st->expect : "none");
        }
    }
out:
    if (st->expect)
        g_string_append_printf(p->problems, "the client never sent \"%s\"\n", st->expect);
    close(fd);
    rsp_decoder_clear(&dec);
    return NULL;
}

static peer_t *peer_start(const char *on_accept, const step_t *steps)
{
    peer_t *p = g_new0(peer_t, 1);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autoptr(GError) err = NULL;

    p->dir = g_dir_make_tmp("test-gdb-client-XXXXXX", &err);
    g_assert_no_error(err);
    p->path = g_build_filename(p->dir, "gdb.sock", NULL);
    g_assert_cmpuint(strlen(p->path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, p->path);
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(p->listen_fd, >=, 0);
    g_assert_cmpint(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(p->listen_fd, 1), ==, 0);
    p->on_accept = on_accept;
    p->steps = steps;
    p->log = g_string_new(NULL);
    p->problems = g_string_new(NULL);
    return p;
}

static void peer_run(peer_t *p)
{
    p->thread = g_thread_new("fake-gdbstub", peer_main, p);
}

/* Waits for the peer to see the client go; returns its packet log. */
static char *peer_finish(peer_t *p)
{
    g_thread_join(p->thread);
    if (p->problems->len)
        g_error("fake gdbstub: %s\nclient sent:\n%s", p->problems->str, p->log->str);
    close(p->listen_fd);
    g_unlink(p->path);
    g_rmdir(p->dir);
    g_free(p->path);
    g_free(p->dir);
    g_string_free(p->problems, TRUE);
    char *log = g_string_free(p->log, FALSE);
    g_free(p);
    return log;
}

/* The connect exchange with QEMU 7.2 (qXfer is served by rule). */
#define CONNECT_STEPS                                                           \
    { "qSupported:swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386",         \
      QEMU_QSUPPORTED, 0, NULL },                                               \
    { "qfThreadInfo", "+$m01#ce", 0, NULL },                                    \
    { "qsThreadInfo", "+$l#6c", 0, NULL },                                      \
    { "vCont?", QEMU_VCONT, 0, NULL }

static gdb_client_t *connect_ok(peer_t *p, bool resume)
{
    g_autoptr(GError) err = NULL;
    gdb_client_t *c;

    peer_run(p);
    c = gdb_client_connect(p->path, TIMEOUT_MS, resume, &err);
    g_assert_no_error(err);
    g_assert_nonnull(c);
    return c;
}

/* ---- tests ----------------------------------------------------------- */

static void test_connect(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        /* The guest ran before we came: free must let it run again. */
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);

    g_assert_cmpuint(gdb_client_packet_size(c), ==, 4096);
    g_assert_cmpuint(gdb_client_num_vcpus(c), ==, 1);
    g_assert_false(gdb_client_is_running(c));
    g_assert_true(gdb_client_has_reg(c, "rip"));
    g_assert_true(gdb_client_has_reg(c, "cr3"));
    g_assert_true(gdb_client_has_reg(c, "mxcsr"));
    /* Commented out in QEMU's file; and <field> names are not registers. */
    g_assert_false(gdb_client_has_reg(c, "ss_base"));
    g_assert_false(gdb_client_has_reg(c, "PDBR"));
    gdb_client_free(c);
    g_autofree char *log = peer_finish(p);
    g_assert_true(strstr(log, "qXfer:features:read:target.xml:0,ffb\n"));
    g_assert_true(strstr(log, "qXfer:features:read:i386-64bit.xml:0,ffb\n"));
}

static void test_connect_resume(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "c", "+", 0, NULL },
        /* free: stop it (QEMU answers a 0x03 with T02), then D */
        { "\x03", QEMU_STOPPED, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, true);

    g_assert_true(gdb_client_is_running(c));
    gdb_client_free(c);
    g_free(peer_finish(p));
}

static void test_connect_paused(void)
{
    /* No T02 on accept: the guest was paused (QMP stop).  free must not
     * send D, which would resume it; it leaves phys mode as it found it. */
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "Qqemu.PhyMemMode:1", QEMU_OK, 0, NULL },
        { "Z1,ffffffff81000000,1", QEMU_OK, 0, NULL },
        { "Qqemu.PhyMemMode:0", QEMU_OK, 0, NULL },
        { "z1,ffffffff81000000,1", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(NULL, steps);
    gdb_client_t *c = connect_ok(p, true);

    g_assert_false(gdb_client_is_running(c));
    g_assert_true(gdb_client_set_phys_mode(c, true, &err));
    g_assert_true(gdb_client_insert(c, 1, 0xffffffff81000000ULL, 1, &err));
    g_assert_no_error(err);
    g_assert_false(gdb_client_is_running(c));
    gdb_client_free(c);
    g_autofree char *log = peer_finish(p);
    g_assert_null(strstr(log, "\nD\n"));
    g_assert_null(strstr(log, "\nc\n"));
}

static void test_read_mem_split(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "c", "+", 0, NULL },
        /* one hold for the whole read: one interrupt, one c */
        { "\x03", QEMU_STOPPED, 0, NULL },
        { "c", "+", 0, NULL },
        { "\x03", QEMU_STOPPED, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c;
    size_t len = 5000;
    g_autofree uint8_t *buf = g_malloc(len);
    uint64_t addr = 0x1000123;

    p->serve_mem = true;
    c = connect_ok(p, true);
    g_assert_true(gdb_client_read_mem(c, addr, buf, len, &err));
    g_assert_no_error(err);
    for (size_t i = 0; i < len; i++)
        g_assert_cmpuint(buf[i], ==, pattern(addr + i));
    g_assert_true(gdb_client_is_running(c));
    gdb_client_free(c);
    guint packets = p->mem_packets;
    g_autofree char *log = peer_finish(p);
    /* 2048 + 2048 + 904: the hex answer fills PacketSize, no more. */
    g_assert_cmpuint(packets, ==, 3);
    g_assert_true(strstr(log, "m1000123,800\nm1000923,800\nm1001123,388\n"));
}

static void test_read_reg(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "Hg1", QEMU_OK, 0, NULL },
        { "p1d", QEMU_CR3, 0, NULL },
        /* same vCPU: no second Hg */
        { "p10", QEMU_RIP, 0, NULL },
        { "p11", QEMU_E14, 0, NULL },
        /* after an error reply, the stream is fenced (a second answer of
         * the stub's, if any, is dropped) */
        { "qC", "+$QC01#f5", 0, NULL },
        { "P10=0010000081ffffff", QEMU_OK, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint64_t v = 0;

    g_assert_true(gdb_client_read_reg(c, 0, "cr3", &v, &err));
    g_assert_cmphex(v, ==, 0x1062000);
    g_assert_true(gdb_client_read_reg(c, 0, "rip", &v, &err));
    g_assert_cmphex(v, ==, 0xffffffffac4592ebULL);
    g_assert_no_error(err);

    /* E14 is the stub's error, not a broken connection. */
    g_assert_false(gdb_client_read_reg(c, 0, "eflags", &v, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE);
    g_clear_error(&err);
    /* Checked before anything is sent: no such vCPU. */
    g_assert_false(gdb_client_read_reg(c, 1, "rip", &v, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_false(gdb_client_read_reg(c, 0, "xmm0", &v, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_false(gdb_client_write_reg(c, 0, "eflags", 1ULL << 32, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);

    g_assert_true(gdb_client_write_reg(c, 0, "rip", 0xffffff8100001000ULL, &err));
    g_assert_no_error(err);
    gdb_client_free(c);
    g_free(peer_finish(p));
}

static void test_mem_error(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "m0,8", QEMU_E14, 0, NULL },
        { "qC", "+$QC01#f5", 0, NULL },
        { "m8,8", "+$0102030405060708#24", 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint8_t buf[8];

    g_assert_false(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE);
    g_assert_true(strstr(err->message, "E14"));
    g_clear_error(&err);
    g_assert_true(gdb_client_read_mem(c, 8, buf, 8, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(buf, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    gdb_client_free(c);
    g_free(peer_finish(p));
}

static void test_garbage(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "m0,8", "+this is not a gdb packet, it is a line of text that goes on and on "
                  "and on and on, longer than any client should put up with\n", 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(NULL, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint8_t buf[8];

    g_assert_false(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_PROTOCOL);
    g_clear_error(&err);
    /* From now on every call fails at once, saying why. */
    g_assert_false(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO);
    g_assert_true(strstr(err->message, "unusable"));
    g_assert_true(strstr(err->message, "not gdb packets"));
    gdb_client_free(c);
    g_free(peer_finish(p));
}

static void test_close_mid_packet(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "m0,8", "+$01020304", AFTER_CLOSE, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(NULL, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint8_t buf[8];

    g_assert_false(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_IO);
    g_assert_true(strstr(err->message, "middle of a packet"));
    gdb_client_free(c);
    g_free(peer_finish(p));
}

static void test_stall(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "m0,8", "+$0102", AFTER_STALL, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint8_t buf[8];
    gint64 t0 = g_get_monotonic_time(), ms;

    g_assert_false(gdb_client_read_mem(c, 0, buf, 8, &err));
    ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT);
    g_assert_cmpint(ms, >=, TIMEOUT_MS - 10);   /* not before the timeout */
    /* The guest ran before: free still tries a detach, briefly (bounded by
     * the timeout; no timing assert, the log shows the detach was tried). */
    gdb_client_free(c);
    g_autofree char *log = peer_finish(p);
    g_assert_true(g_str_has_suffix(log, "m0,8\nD\n"));
}

static void test_stall_on_connect(void)
{
    static const step_t steps[] = {
        { "qSupported:swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386", NULL,
          AFTER_STALL, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(NULL, steps);

    peer_run(p);
    /* TIMEOUT: the stalled peer never answers (no timing assert) */
    g_assert_null(gdb_client_connect(p->path, TIMEOUT_MS, true, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT);
    g_free(peer_finish(p));
}

/* Someone resumed the guest (QMP cont) while we believed it stopped: our
 * '$' stopped it, QEMU dropped the packet and sent T02 instead. */
static void test_unexpected_stop_resend(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "m0,8", QEMU_STOPPED, 0, NULL },
        { "qC", QEMU_QC, 0, NULL },
        { "m0,8", "+$0102030405060708#24", 0, NULL },
        /* it ran before: it must run after */
        { "c", "+", 0, NULL },
        { "\x03", QEMU_STOPPED, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(NULL, steps);
    gdb_client_t *c = connect_ok(p, true);
    uint8_t buf[8];

    g_assert_false(gdb_client_is_running(c));
    g_assert_true(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(buf, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    g_assert_true(gdb_client_is_running(c));
    gdb_client_free(c);
    g_free(peer_finish(p));
}

/* The guest was resumed from outside and hit a breakpoint by itself just
 * before our packet: the stop reply comes first, then the answer.  qC
 * shows the packet was not dropped, so it is not sent twice; the stop is
 * an event for gdb_client_wait_stop, and the guest stays stopped. */
static void test_unexpected_stop_answered(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "m0,8", "$T05thread:01;#07+$0102030405060708#24", 0, NULL },
        { "qC", QEMU_QC, 0, NULL },
        { "m8,8", "+$1112131415161718#2c", 0, NULL },
        /* someone resumed it: it runs after we go */
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(NULL, steps);
    gdb_client_t *c = connect_ok(p, true);
    uint8_t buf[8];
    rsp_stop_t st;

    g_assert_true(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(buf, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    g_assert_false(gdb_client_is_running(c));
    g_assert_true(gdb_client_hold(c, &err));
    g_assert_true(gdb_client_read_mem(c, 8, buf, 8, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(buf, 8, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
    g_assert_true(gdb_client_release(c, &err));
    g_assert_false(gdb_client_is_running(c));
    /* The breakpoint stop is not lost. */
    g_assert_true(gdb_client_wait_stop(c, 0, &st, &err));
    g_assert_cmpuint(st.signal, ==, 5);
    gdb_client_free(c);
    g_free(peer_finish(p));
}

/* A QMP stop while we believe the guest runs: QEMU sends T02 unasked.
 * hold() must see it, not interrupt, and not resume at release. */
static void test_external_stop(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "c", "+" QEMU_STOPPED, 0, NULL },
        { "m0,8", "+$0102030405060708#24", 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, true);
    uint8_t buf[8];

    /* Let the T02 arrive before the next call. */
    g_usleep(50000);
    g_assert_true(gdb_client_read_mem(c, 0, buf, 8, &err));
    g_assert_no_error(err);
    g_assert_false(gdb_client_is_running(c));
    gdb_client_free(c);
    g_autofree char *log = peer_finish(p);
    g_assert_null(strstr(log, "^C"));
    g_assert_null(strstr(log, "D\n"));
}

static void test_bad_checksum_nack(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        /* A damaged answer: the client says '-' and gets it again, then
         * fences the stream with qC (a second copy would be dropped). */
        { "Z2,1000,4", "+$OK#00", 0, "$OK#9a" },
        { "qC", "+$QC01#f5", 0, NULL },
        { "z2,1000,4", "+$OK#00", 0, "$OK#01" },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);

    g_assert_true(gdb_client_insert(c, 2, 0x1000, 4, &err));
    g_assert_no_error(err);
    /* Damaged again, and then nothing: a timeout, not a hang. */
    g_assert_false(gdb_client_remove(c, 2, 0x1000, 4, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT);
    gdb_client_free(c);
    g_autofree char *log = peer_finish(p);
    g_assert_true(strstr(log, "Z2,1000,4\n-\nqC\nz2,1000,4\n-\n"));
}

/* An error reply the stub did not send, before its real answer: the real
 * one must not answer the next command. */
static void test_injected_error_reply(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "Hg1", QEMU_OK, 0, NULL },
        { "p1d", "+$E01#a6+$0020060100000000#09", 0, NULL },
        { "qC", "+$QC01#f5", 0, NULL },
        { "p10", QEMU_RIP, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint64_t v = 0;

    g_assert_false(gdb_client_read_reg(c, 0, "cr3", &v, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_REMOTE);
    g_clear_error(&err);
    g_assert_true(gdb_client_read_reg(c, 0, "rip", &v, &err));
    g_assert_no_error(err);
    g_assert_cmphex(v, ==, 0xffffffffac4592ebULL);
    gdb_client_free(c);
    g_free(peer_finish(p));
}

/* A damaged packet that was not the stub's (bytes injected on the stream)
 * before the real answer: the client's '-' makes the stub send its answer
 * again, and that copy must not answer the next command (registers read
 * into each other). */
static void test_damaged_extra_packet(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "Hg1", QEMU_OK, 0, NULL },
        { "p1d", "+$T05thread:01;#00$0020060100000000#09", 0, "$0020060100000000#09" },
        { "qC", "+$QC01#f5", 0, NULL },
        { "p10", QEMU_RIP, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    uint64_t v = 0;

    g_assert_true(gdb_client_read_reg(c, 0, "cr3", &v, &err));
    g_assert_no_error(err);
    g_assert_cmphex(v, ==, 0x1062000);
    g_assert_true(gdb_client_read_reg(c, 0, "rip", &v, &err));
    g_assert_no_error(err);
    g_assert_cmphex(v, ==, 0xffffffffac4592ebULL);
    gdb_client_free(c);
    g_autofree char *log = peer_finish(p);
    g_assert_true(strstr(log, "p1d\n-\nqC\np10\n"));
}

static void test_step(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "vCont;s:1", QEMU_STEPPED, 0, NULL },
        { "Z4,ffffffffa1003e98,8", QEMU_OK, 0, NULL },
        { "c", "+$T05thread:01;awatch:ffffffffa1003e98;#1f", 0, NULL },
        { "z4,ffffffffa1003e98,8", QEMU_OK, 0, NULL },
        { "c", "+", 0, NULL },
        { "\x03", QEMU_STOPPED, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    rsp_stop_t st;

    g_assert_true(gdb_client_step(c, 0, &st, &err));
    g_assert_no_error(err);
    g_assert_cmpint(st.thread, ==, 1);
    g_assert_cmpuint(st.signal, ==, 5);
    g_assert_false(gdb_client_is_running(c));

    g_assert_true(gdb_client_insert(c, 4, 0xffffffffa1003e98ULL, 8, &err));
    g_assert_true(gdb_client_cont(c, &err));
    g_assert_true(gdb_client_wait_stop(c, 1000, &st, &err));
    g_assert_no_error(err);
    g_assert_cmpint(st.watch, ==, RSP_WATCH_ACCESS);
    g_assert_cmphex(st.watch_addr, ==, 0xffffffffa1003e98ULL);
    g_assert_false(gdb_client_is_running(c));
    g_assert_true(gdb_client_remove(c, 4, 0xffffffffa1003e98ULL, 8, &err));
    g_assert_true(gdb_client_cont(c, &err));
    /* Nothing more comes: a timeout is no error. */
    g_assert_false(gdb_client_wait_stop(c, 100, &st, &err));
    g_assert_no_error(err);
    g_assert_true(gdb_client_is_running(c));
    gdb_client_free(c);
    g_free(peer_finish(p));
}

/* A halted vCPU does not finish a step: after the timeout the client
 * interrupts it, says so, and the connection stays usable. */
static void test_step_timeout(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "vCont;s:1", "+", 0, NULL },
        { "\x03", QEMU_STOPPED, 0, NULL },
        { "vCont;s:1", QEMU_STEPPED, 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    rsp_stop_t st;

    /* its own timeout, not the connection's: longer than TIMEOUT_MS, and
     * waited in full (a lower bound only, which load cannot break) */
    const unsigned step_ms = 3 * TIMEOUT_MS;
    gint64 t0 = g_get_monotonic_time();
    g_assert_false(gdb_client_step_within(c, 0, step_ms, &st, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT);
    g_autofree char *said = g_strdup_printf("did not finish a single-step within %u ms", step_ms);
    g_assert_nonnull(strstr(err->message, said));
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, (gint64)step_ms * 1000);
    g_clear_error(&err);
    g_assert_true(gdb_client_usable(c));
    /* the next step goes through */
    g_assert_true(gdb_client_step_within(c, 0, 1000, &st, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(st.signal, ==, 5);
    gdb_client_free(c);
    g_free(peer_finish(p));
}

/* Neither the step nor the interrupt is answered: the stream is lost. */
static void test_step_lost(void)
{
    static const step_t steps[] = {
        CONNECT_STEPS,
        { "vCont;s:1", "+", 0, NULL },
        { "\x03", "", 0, NULL },
        { "D", QEMU_OK, 0, NULL },
        { NULL, NULL, 0, NULL },
    };
    g_autoptr(GError) err = NULL;
    peer_t *p = peer_start(QEMU_STOP_ON_CONNECT, steps);
    gdb_client_t *c = connect_ok(p, false);
    rsp_stop_t st;

    g_assert_false(gdb_client_step_within(c, 0, 100, &st, &err));
    g_assert_error(err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT);
    g_assert_false(gdb_client_usable(c));
    gdb_client_free(c);
    g_free(peer_finish(p));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    alarm(300);     /* a hang guard for the whole run, not a timing assert */

    g_test_add_func("/gdb-client/connect/stopped-on-connect", test_connect);
    g_test_add_func("/gdb-client/connect/resume", test_connect_resume);
    g_test_add_func("/gdb-client/connect/paused-before", test_connect_paused);
    g_test_add_func("/gdb-client/connect/stall", test_stall_on_connect);
    g_test_add_func("/gdb-client/step/timeout", test_step_timeout);
    g_test_add_func("/gdb-client/step/lost", test_step_lost);
    g_test_add_func("/gdb-client/mem/split", test_read_mem_split);
    g_test_add_func("/gdb-client/mem/error", test_mem_error);
    g_test_add_func("/gdb-client/reg/read-write", test_read_reg);
    g_test_add_func("/gdb-client/peer/garbage", test_garbage);
    g_test_add_func("/gdb-client/peer/close-mid-packet", test_close_mid_packet);
    g_test_add_func("/gdb-client/peer/stall", test_stall);
    g_test_add_func("/gdb-client/peer/bad-checksum", test_bad_checksum_nack);
    g_test_add_func("/gdb-client/peer/damaged-extra-packet", test_damaged_extra_packet);
    g_test_add_func("/gdb-client/peer/injected-error-reply", test_injected_error_reply);
    g_test_add_func("/gdb-client/run/unexpected-stop-resend", test_unexpected_stop_resend);
    g_test_add_func("/gdb-client/run/unexpected-stop-answered", test_unexpected_stop_answered);
    g_test_add_func("/gdb-client/run/external-stop", test_external_stop);
    g_test_add_func("/gdb-client/run/step-watch", test_step);

    return g_test_run();
}
