/*
 * qmp.h - a QMP client (QEMU Machine Protocol) spoken with json-glib, over
 * a unix socket or through a peer that relays commands (libvirt, see
 * kvm_libvirt.h); plus parsers for the HMP text libvmi needs (info mtree -f,
 * info registers, gpa2hva).  Every socket call has a timeout; a dead or
 * garbled peer gives a GError, never a hang.
 */
#ifndef VMI_QMP_H
#define VMI_QMP_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct qmp qmp_t;

/* Connects, reads the greeting, negotiates capabilities. */
qmp_t *qmp_connect(const char *socket_path, int timeout_ms, GError **error);
/* The same on @fd, a connected stream socket (taken over: closed by
 * qmp_free, or on failure); @name stands for the peer in messages.  For a
 * socket passed in by a caller, and for the tests and fuzz targets, which
 * play QEMU on a socketpair. */
qmp_t *qmp_new_from_fd(int fd, const char *name, int timeout_ms, GError **error);
/* A relay that runs one command for us: @request is the command as a JSON
 * object text without "id" (the relay numbers commands itself); returns
 * the whole reply text, {"return": ...} or {"error": ...}, newly
 * allocated, or NULL with @error set when the relay itself failed. */
typedef char *(*qmp_relay_func)(void *data, const char *request, GError **error);
/* A client whose commands go through @relay.  It has no events and no
 * peer pid; @destroy (may be NULL) frees @data with the client. */
qmp_t *qmp_new_relayed(qmp_relay_func relay, void *data, GDestroyNotify destroy);
void qmp_free(qmp_t *q);

/* Runs @command with @args (may be NULL; not consumed); returns the
 * "return" member (new reference) or NULL with @error set from the
 * "error" member (class and desc).  Asynchronous events that arrive
 * meanwhile are kept (qmp_take_events). */
JsonNode *qmp_execute(qmp_t *q, const char *command, JsonObject *args, GError **error);
/* human-monitor-command: the HMP output text (newly allocated). */
char *qmp_hmp(qmp_t *q, const char *command_line, GError **error);
/* Events received so far (a list of JsonObject*, caller frees with g_list_free_full(.., json_object_unref)). */
GList *qmp_take_events(qmp_t *q);

bool qmp_query_running(qmp_t *q, bool *running, GError **error);
bool qmp_stop(qmp_t *q, GError **error);
bool qmp_cont(qmp_t *q, GError **error);
/* QEMU's process id (from the socket's peer credentials); -1 when unknown,
 * as it always is through a relay. */
int qmp_peer_pid(qmp_t *q);

/* ---- HMP text parsers (pure) */

/* One RAM range of the flat view of address space "memory". */
typedef struct qmp_ram_range {
    uint64_t gpa;           /* first guest-physical address */
    uint64_t size;
    char name[64];          /* RAM block / memory region name, e.g. "pc.ram", "ram0" */
    uint64_t offset;        /* offset inside that block ("@..." in mtree) */
} qmp_ram_range_t;
/* Parses `info mtree -f` output: the RAM ranges (not rom, not io) of the
 * flat view that holds address space "memory", sorted by gpa.  Returns a
 * GArray of qmp_ram_range_t. */
GArray *qmp_parse_mtree(const char *text, GError **error);
/* Whether RAM range @r lies inside a file of @file_size bytes (its
 * offset + size <= @file_size, computed without overflow). */
bool qmp_range_fits(const qmp_ram_range_t *r, uint64_t file_size);

/* Deepest nesting of objects and arrays QMP messages may have: json-glib
 * recurses once per level with no limit of its own, so deeper input (a
 * hostile QEMU or peer on a directly opened socket) is refused before it
 * is parsed.  QEMU's replies nest a handful of levels. */
#define QMP_MAX_JSON_DEPTH 64
/* The nesting depth of JSON @text (brackets outside strings), counted up to
 * QMP_MAX_JSON_DEPTH + 1 at most. */
size_t qmp_json_depth(const char *text, size_t len);

/* Registers of one vCPU from `info registers` (one CPU's block). */
typedef struct qmp_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, efer;
    uint64_t dr[8];
    struct { uint32_t selector, limit, flags; uint64_t base; } seg[8]; /* es cs ss ds fs gs ldt tr */
    uint64_t gdt_base, idt_base;
    uint32_t gdt_limit, idt_limit;
    bool long_mode;         /* a 64-bit register dump (RAX=) */
} qmp_regs_t;
/* Parses `info registers` (or one "CPU#n" block of `info registers -a`). */
bool qmp_parse_registers(const char *text, qmp_regs_t *out, GError **error);
/* Splits `info registers -a` output into per-CPU blocks (GPtrArray of char*). */
GPtrArray *qmp_split_cpus(const char *text);
/* Parses "Host virtual address for 0x... (block) is 0x..." from gpa2hva. */
bool qmp_parse_gpa2hva(const char *text, uint64_t *hva, GError **error);

GQuark qmp_error_quark(void);
#define QMP_ERROR (qmp_error_quark())
/* GONE: QEMU closed the monitor (it exits) */
enum { QMP_ERROR_IO, QMP_ERROR_TIMEOUT, QMP_ERROR_PROTOCOL, QMP_ERROR_COMMAND, QMP_ERROR_GONE };

#endif
