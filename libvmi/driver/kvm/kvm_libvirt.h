/*
 * kvm_libvirt.h - finding a libvirt-managed QEMU guest by its libvirt
 * domain name, UUID or ID: the domain, QMP through libvirt's monitor,
 * QEMU's pid, and the gdbstub socket from the domain XML.
 *
 * Built only with --enable-libvirt (ENABLE_LIBVIRT).
 */
#ifndef VMI_KVM_LIBVIRT_H
#define VMI_KVM_LIBVIRT_H

#include <glib.h>
#include <stdbool.h>
#include <libvirt/libvirt.h>
#include "qmp.h"

/* The default connection URI (config key `uri` overrides it). */
#define KVM_LIBVIRT_DEFAULT_URI "qemu:///system"

typedef struct kvm_libvirt kvm_libvirt_t;

/* Whether a running domain named, or with the UUID or ID, @name exists at
 * the configured URI.  Opens and closes its own connection; silent. */
bool kvm_libvirt_probe(const char *name, GHashTable *config);

/* Connects and finds the running domain @name (by name, then UUID, then
 * numeric ID). */
kvm_libvirt_t *kvm_libvirt_open(const char *name, GHashTable *config, GError **error);
void kvm_libvirt_free(kvm_libvirt_t *lv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kvm_libvirt_t, kvm_libvirt_free)

/* The domain's name and UUID as libvirt knows them. */
const char *kvm_libvirt_name(kvm_libvirt_t *lv);
const char *kvm_libvirt_uuid(kvm_libvirt_t *lv);
const char *kvm_libvirt_uri(kvm_libvirt_t *lv);

/* A QMP client whose commands go through virDomainQemuMonitorCommand:
 * libvirt owns the monitor socket, and QEMU serves one client at a time. */
qmp_t *qmp_connect_libvirt(virDomainPtr dom, GError **error);
qmp_t *kvm_libvirt_qmp(kvm_libvirt_t *lv, GError **error);

/* Whether a process whose executable is @exe (the target of /proc/PID/exe)
 * and whose command line is @cmdline (@len bytes, NUL-separated arguments)
 * is libvirt's QEMU for the domain @name with UUID @uuid: the executable is
 * a QEMU system emulator (qemu-system-*, qemu-kvm), `-uuid` gives @uuid
 * and `-name` (guest=NAME,... or NAME,...) gives @name. */
bool kvm_libvirt_is_qemu_of(const char *exe, const char *cmdline, size_t len, const char *uuid,
                            const char *name);

/* QEMU's pid: from libvirt's pid file, else from /proc (the process whose
 * command line has `-uuid UUID`); 0 with @error set when neither has it. */
int kvm_libvirt_pid(kvm_libvirt_t *lv, GError **error);

/* The gdbstub address (a unix socket path or tcp:HOST:PORT) from a
 * `-gdb` (or `-s`) argument in the domain XML's <qemu:commandline>; NULL
 * without an error when there is none. */
char *kvm_libvirt_gdb_address(kvm_libvirt_t *lv, GError **error);
/* The same, from domain XML text (pure; unit-testable). */
char *kvm_libvirt_gdb_from_xml(const char *xml, GError **error);

#endif
