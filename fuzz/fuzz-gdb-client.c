/*
 * fuzz-gdb-client.c - the gdbstub client (gdb_client.c over gdb_rsp.c)
 * against a hostile stub: the input is everything the stub sends.  The
 * client connects (qSupported, QStartNoAckMode, the target description
 * XML with its includes, the thread list, vCont?), then does what the kvm
 * driver does: physical mode, memory and register reads and a write,
 * a breakpoint, a step, a stop and a wait.  Nothing may crash or leak,
 * and nothing can wait for the 1 s timeout: the input is queued on a
 * socketpair before the client starts, then the end of the stream, and
 * what the client sends cannot fill the socket (tests/common/fake-peer.h,
 * the preloaded peer).
 */
#include "fuzz-common.h"
#include "fake-peer.h"
#include "gdb_client.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

/* Success or an error, consistently; never a timeout: the peer's bytes
 * are all there, then the end of the stream, and the client's sends fit. */
static void expect(bool ok, GError **err)
{
    FUZZ_CHECK(ok == (*err == NULL));
    if (*err) {
        FUZZ_CHECK((*err)->message != NULL);
        FUZZ_CHECK(!g_error_matches(*err, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT));
    }
    g_clear_error(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;

    if (size > FAKE_PEER_PRELOAD_MAX)
        return 0;
    /* The client sends a packet per call, an ack and maybe a follow-up per
     * packet received (4 bytes at least), a resend per '-' received, so
     * fewer sends than the input has bytes, plus the calls'. */
    int fd = fake_peer_preload(data, size, fuzz_pick(data, size), size + 64);
    gdb_client_t *c = gdb_client_new_from_fd(fd, "fuzz", 1000, size > 0 && (data[0] & 1), &err);
    expect(c != NULL, &err);
    if (c) {
        FUZZ_CHECK(gdb_client_num_vcpus(c) > 0);
        FUZZ_CHECK(gdb_client_packet_size(c) >= 64);
        uint8_t buf[64];
        uint64_t v;
        rsp_stop_t st;
        expect(gdb_client_hold(c, &err), &err);
        expect(gdb_client_set_phys_mode(c, true, &err), &err);
        expect(gdb_client_read_mem(c, 0x1000, buf, sizeof(buf), &err), &err);
        expect(gdb_client_write_mem(c, 0x1000, buf, 8, &err), &err);
        if (gdb_client_has_reg(c, "rip"))
            expect(gdb_client_read_reg(c, 0, "rip", &v, &err), &err);
        expect(gdb_client_read_reg(c, gdb_client_num_vcpus(c) - 1, "cr3", &v, &err), &err);
        expect(gdb_client_release(c, &err), &err);
        expect(gdb_client_insert(c, 0, 0xffffffff81000000ull, 1, &err), &err);
        expect(gdb_client_step(c, 0, &st, &err), &err);
        expect(gdb_client_stop(c, &err), &err);
        expect(gdb_client_cont(c, &err), &err);
        /* false without an error is a timeout (documented): not here */
        bool stopped = gdb_client_wait_stop(c, 10, &st, &err);
        FUZZ_CHECK(stopped || err != NULL);
        expect(stopped, &err);
        (void)gdb_client_usable(c);
        gdb_client_free(c);
    }
    fake_peer_preload_end();
    return 0;
}
