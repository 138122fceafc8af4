/*
 * gdb_client.h - a client of QEMU's gdbstub over a unix socket (or TCP):
 * physical-memory mode, memory and registers, run control, breakpoints and
 * watchpoints, single-step.  Every call has a timeout; a peer that sends
 * garbage, stalls or closes gives a GError, never a hang.
 *
 * Run state: QEMU stops the guest when a client connects, and stops it when
 * any byte arrives while it runs.  The client tracks whether the guest runs;
 * gdb_client_hold() stops it if needed (once for a whole batch of accesses)
 * and gdb_client_release() lets it run again if it ran before the hold.
 */
#ifndef VMI_GDB_CLIENT_H
#define VMI_GDB_CLIENT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include "gdb_rsp.h"

typedef struct gdb_client gdb_client_t;

/* Connects to "PATH" (unix socket) or "tcp:HOST:PORT".  Negotiates
 * qSupported (PacketSize), reads the target description
 * (qXfer:features:read) for register numbers, lists threads (= vCPUs).
 * @timeout_ms bounds every later wait for an answer too (<= 0: 5000).
 * @resume: let the guest run again after the connect-time stop.  Whether
 * the guest ran before the connect is learnt from QEMU's "T02" on accept. */
gdb_client_t *gdb_client_connect(const char *address, int timeout_ms, bool resume, GError **error);
/* The same on @fd, a connected stream socket (taken over: closed by
 * gdb_client_free, or on failure); @name stands for the stub in
 * messages.  For the tests and fuzz targets, which play the stub on a
 * socketpair. */
gdb_client_t *gdb_client_new_from_fd(int fd, const char *name, int timeout_ms, bool resume,
                                     GError **error);
/* Leaves the guest as the user expects it and closes: running (by "D",
 * which also drops our breakpoints) if it ran when we connected or was
 * resumed since (gdb_client_cont, or from outside), unless paused since by
 * gdb_client_stop or from outside (QMP stop); a paused guest is left paused
 * without "D" (QEMU's D always resumes), with our breakpoints removed.
 * Physical-memory mode is switched off again (QEMU keeps it globally). */
void gdb_client_free(gdb_client_t *c);

size_t gdb_client_packet_size(gdb_client_t *c);      /* from qSupported */
unsigned gdb_client_num_vcpus(gdb_client_t *c);
bool gdb_client_is_running(gdb_client_t *c);

/* Run control.  hold() nests; the outermost release() resumes the guest
 * if it ran before the outermost hold().  Inside a hold, stop() and cont()
 * only decide what that release() does. */
bool gdb_client_hold(gdb_client_t *c, GError **error);     /* nestable */
bool gdb_client_release(gdb_client_t *c, GError **error);
bool gdb_client_stop(gdb_client_t *c, GError **error);     /* stop and stay stopped */
bool gdb_client_cont(gdb_client_t *c, GError **error);     /* run (no wait) */
/* Whether the guest is meant to run (not paused by us or from outside). */
bool gdb_client_wants_running(gdb_client_t *c);

/* Memory: physical when phys mode is on (Qqemu.PhyMemMode:1).  Splits into
 * packets of the advertised size; holds the guest for the whole call. */
bool gdb_client_set_phys_mode(gdb_client_t *c, bool on, GError **error);
bool gdb_client_read_mem(gdb_client_t *c, uint64_t addr, void *buf, size_t len, GError **error);
bool gdb_client_write_mem(gdb_client_t *c, uint64_t addr, const void *buf, size_t len,
                          GError **error);

/* Registers by target-description name ("rax", "rip", "cr3", "eflags",
 * "cs", "fs_base", "efer" ...) of vCPU @vcpu (0-based). */
bool gdb_client_read_reg(gdb_client_t *c, unsigned vcpu, const char *name, uint64_t *value,
                         GError **error);
bool gdb_client_write_reg(gdb_client_t *c, unsigned vcpu, const char *name, uint64_t value,
                          GError **error);
bool gdb_client_has_reg(gdb_client_t *c, const char *name);

/* Breakpoints and watchpoints: Z/z type 0 sw, 1 hw, 2 write, 3 read,
 * 4 access; @kind is the length for watchpoints (1 for breakpoints). */
bool gdb_client_insert(gdb_client_t *c, int type, uint64_t addr, unsigned kind, GError **error);
bool gdb_client_remove(gdb_client_t *c, int type, uint64_t addr, unsigned kind, GError **error);

/* Single-step vCPU @vcpu and wait for its stop reply.  A vCPU that cannot
 * finish the step (halted, interrupts masked while stepping) gives a
 * GDB_CLIENT_ERROR_TIMEOUT after the connect timeout; the connection stays
 * usable. */
bool gdb_client_step(gdb_client_t *c, unsigned vcpu, rsp_stop_t *stop, GError **error);
/* The same with a timeout of its own (at least 1 ms). */
bool gdb_client_step_within(gdb_client_t *c, unsigned vcpu, int timeout_ms, rsp_stop_t *stop,
                            GError **error);
/* After gdb_client_cont: waits up to @timeout_ms for the guest to stop
 * (breakpoint, watchpoint ...).  Returns false with no error on timeout
 * (the guest still runs).  A stop seen earlier by another call (a
 * breakpoint hit just before it stopped the guest) is returned at once. */
bool gdb_client_wait_stop(gdb_client_t *c, int timeout_ms, rsp_stop_t *stop, GError **error);

/* false once an error on the stream made the client unusable */
bool gdb_client_usable(gdb_client_t *c);
/* the address the client was connected to ("unix:PATH" or "tcp:HOST:PORT") */
const char *gdb_client_address(gdb_client_t *c);

GQuark gdb_client_error_quark(void);
#define GDB_CLIENT_ERROR (gdb_client_error_quark())
/* IO, TIMEOUT and PROTOCOL errors on the stream leave the client unusable
 * (every later call fails at once, saying why); REMOTE (an "Exx" or an
 * unsupported command) and NOT_FOUND (a vCPU the guest does not have) do
 * not. */
enum { GDB_CLIENT_ERROR_IO, GDB_CLIENT_ERROR_TIMEOUT, GDB_CLIENT_ERROR_PROTOCOL,
       GDB_CLIENT_ERROR_REMOTE, GDB_CLIENT_ERROR_GONE /* the stub says the guest exited */,
       GDB_CLIENT_ERROR_NOT_FOUND };

#endif
