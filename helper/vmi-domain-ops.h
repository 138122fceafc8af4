/*
 * vmi-domain-ops.h - the org.libvmi.helper1.Domain operations on a libvmi
 * instance, shared by vmi-helperd (helperd-iface.c) and virt-vmi's direct
 * mode (virt-vmi-direct.c), so that both give the same answers and the
 * same errors: reads, translations, symbol lookups, the process list, the
 * registers, and the names of the properties (OSType, PageMode,
 * KernelVersion).
 *
 * Each operation returns the reply of the D-Bus method (its out-arguments as
 * a tuple, floating) or NULL with a VMI_DOMOPS_ERROR whose code says whose
 * value is at fault; for VMI_DOMOPS_ERROR_VALUE and _GUEST the instance's
 * vmi_get_last_error_code() says what libvmi found, and the front end maps
 * that (vmi-helperd: helperd_error_from_vmi, its one table).  Messages are
 * whole sentences that name the domain @domain.  Nothing here keeps state;
 * an instance is used by one thread at a time, as libvmi requires.
 */
#pragma once

#include <glib.h>
#include <libvmi/libvmi.h>

G_BEGIN_DECLS

#define VMI_DOMOPS_MAX_SYMBOL          256     /* symbol names, bytes */
#define VMI_DOMOPS_MAX_PROCESSES       65536   /* a longer task list is corrupt */
#define VMI_DOMOPS_MAX_KERNEL_VERSION  256     /* KernelVersion, bytes */
#define VMI_DOMOPS_PROCESS_NAME        15      /* Linux's comm, without its NUL */

#define VMI_DOMOPS_ERROR (vmi_domops_error_quark())
GQuark vmi_domops_error_quark(void);
typedef enum {
    VMI_DOMOPS_ERROR_ARGUMENT,   /* a value of the caller is malformed, found without libvmi */
    VMI_DOMOPS_ERROR_TOO_LARGE,  /* a length past the per-call limit */
    VMI_DOMOPS_ERROR_VALUE,      /* libvmi failed on a value of the caller (address, pid,
                                  * symbol, vCPU) */
    VMI_DOMOPS_ERROR_GUEST,      /* libvmi failed on the guest's side (a listing) */
} vmi_domops_error_t;

/* ------------------------------------------------------------ checks (no guest) */

/* @len bytes (what: "a read", "a write") within @limit per call; @hint
 * (may be "") ends the message. */
gboolean vmi_domops_check_len(const char *domain, guint64 len, guint32 limit, const char *what,
                              const char *hint, GError **error);
/* @len bytes at @addr do not run past the end of the address space. */
gboolean vmi_domops_check_range(const char *domain, guint64 addr, guint64 len, GError **error);
/* A kernel symbol name: 1 to VMI_DOMOPS_MAX_SYMBOL bytes. */
gboolean vmi_domops_check_symbol(const char *domain, const char *name, GError **error);

/* ------------------------------------------------------------ on the instance */

/* @pid is the kernel (0) or a process of the guest (looked up afresh). */
gboolean vmi_domops_check_pid(vmi_instance_t vmi, const char *domain, gint32 pid, GError **error);

/* ReadPhysical, ReadVirtual, ReadSymbol: "(ay)", all @len bytes or an
 * error (there are no short reads).  @len is checked against the limit by
 * the caller. */
GVariant *vmi_domops_read_physical(vmi_instance_t vmi, const char *domain, guint64 addr,
                                   guint32 len, GError **error);
GVariant *vmi_domops_read_virtual(vmi_instance_t vmi, const char *domain, guint64 addr,
                                  gint32 pid, guint32 len, GError **error);
GVariant *vmi_domops_read_symbol(vmi_instance_t vmi, const char *domain, const char *name,
                                 guint32 len, GError **error);
/* LookupSymbol: "(t)". */
GVariant *vmi_domops_lookup_symbol(vmi_instance_t vmi, const char *domain, const char *name,
                                   GError **error);
/* TranslateKernel (@pid 0), TranslateUser: "(t)". */
GVariant *vmi_domops_translate(vmi_instance_t vmi, const char *domain, guint64 va, gint32 pid,
                               GError **error);
/* ListProcesses: "(a(ist))". */
GVariant *vmi_domops_list_processes(vmi_instance_t vmi, const char *domain, GError **error);
/* GetRegisters: "(a{st})", the registers of vmi_domops_registers the
 * access path can read (at least one). */
GVariant *vmi_domops_get_registers(vmi_instance_t vmi, const char *domain, guint32 vcpu,
                                   GError **error);

/* ------------------------------------------------------------ names */

/* The registers GetRegisters reports, named as in Domain.xml: @name64 for
 * a 64-bit guest, @name32 (NULL: none) for a 32-bit one. */
typedef struct {
    const char *name64, *name32;
    reg_t reg;
} vmi_domops_register_t;
extern const vmi_domops_register_t vmi_domops_registers[];
extern const size_t vmi_domops_n_registers;

/* OSType and PageMode as Domain.xml names them ("unknown" for the rest). */
const char *vmi_domops_os_name(os_t os);
const char *vmi_domops_page_mode_name(page_mode_t pm);
/* KernelVersion: the guest's banner without its line end, at most
 * VMI_DOMOPS_MAX_KERNEL_VERSION bytes, valid UTF-8; "" when unknown. */
char *vmi_domops_kernel_version(vmi_instance_t vmi);

G_END_DECLS
