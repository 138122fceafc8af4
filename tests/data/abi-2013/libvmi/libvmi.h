/*
 * libvmi.h - virtual machine introspection: the public API.
 *
 * The classic LibVMI API (0.10/0.11 generation): programs written for it
 * compile against <libvmi/libvmi.h> and link with -lvmi unchanged.
 * Additions of ours are grouped at the end and carry the vmi_ prefix too.
 *
 * Failure conventions: functions returning status_t return VMI_FAILURE,
 * functions returning an address return 0, functions returning a size
 * return the number of bytes actually handled, functions returning a
 * pointer return NULL.  The reason is logged to the "libvmi" GLib log
 * domain and can be fetched with vmi_get_last_error().
 */
#ifndef LIBVMI_H
#define LIBVMI_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* Everything declared here is the exported API; the rest of the library is
 * built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

#define VMI_AUTO                     (1u << 0)  /**< pick the access mode */
#define VMI_XEN                      (1u << 1)  /**< Xen domain */
#define VMI_KVM                      (1u << 2)  /**< QEMU/KVM guest */
#define VMI_FILE                     (1u << 3)  /**< memory snapshot file */
#define VMI_INIT_PARTIAL             (1u << 16) /**< physical access only */
#define VMI_INIT_COMPLETE            (1u << 17) /**< paging and OS layer too */
#define VMI_INIT_EVENTS              (1u << 18) /**< enable events */
#define VMI_INIT_SHM_SNAPSHOT        (1u << 19) /**< read from a snapshot taken at init */
#define VMI_CONFIG_NONE              (1u << 24) /**< no configuration */
#define VMI_CONFIG_GLOBAL_FILE_ENTRY (1u << 25) /**< entry of the global config file */
#define VMI_CONFIG_STRING            (1u << 26) /**< config given as a string */
#define VMI_CONFIG_GHASHTABLE        (1u << 27) /**< config given as a GHashTable */

#define VMI_INVALID_DOMID (~0ull)

typedef uint32_t vmi_mode_t;

typedef enum status {
    VMI_SUCCESS,
    VMI_FAILURE
} status_t;

typedef enum os {
    VMI_OS_UNKNOWN,
    VMI_OS_LINUX,
    VMI_OS_WINDOWS
} os_t;

typedef enum win_ver {
    VMI_OS_WINDOWS_NONE,
    VMI_OS_WINDOWS_UNKNOWN,
    VMI_OS_WINDOWS_2000,
    VMI_OS_WINDOWS_XP,
    VMI_OS_WINDOWS_2003,
    VMI_OS_WINDOWS_VISTA,
    VMI_OS_WINDOWS_2008,
    VMI_OS_WINDOWS_7
} win_ver_t;

typedef enum page_mode {
    VMI_PM_UNKNOWN,
    VMI_PM_LEGACY,  /**< 32-bit, 2 levels, 4 KiB and 4 MiB pages */
    VMI_PM_PAE,     /**< 32-bit, 3 levels, 4 KiB and 2 MiB pages */
    VMI_PM_IA32E,   /**< 64-bit, 4 levels, 4 KiB, 2 MiB and 1 GiB pages */
    VMI_PM_LA57     /**< 64-bit, 5 levels (ours) */
} page_mode_t;

typedef uint64_t reg_t;
typedef uint64_t addr_t;
typedef int32_t vmi_pid_t;

typedef enum registers {
    RAX, RBX, RCX, RDX, RBP, RSI, RDI, RSP,
    R8, R9, R10, R11, R12, R13, R14, R15,
    RIP, RFLAGS,
    CR0, CR2, CR3, CR4,
    DR0, DR1, DR2, DR3, DR6, DR7,
    CS_SEL, DS_SEL, ES_SEL, FS_SEL, GS_SEL, SS_SEL, TR_SEL, LDTR_SEL,
    CS_LIMIT, DS_LIMIT, ES_LIMIT, FS_LIMIT, GS_LIMIT, SS_LIMIT, TR_LIMIT,
    LDTR_LIMIT, IDTR_LIMIT, GDTR_LIMIT,
    CS_BASE, DS_BASE, ES_BASE, FS_BASE, GS_BASE, SS_BASE, TR_BASE,
    LDTR_BASE, IDTR_BASE, GDTR_BASE,
    CS_ARBYTES, DS_ARBYTES, ES_ARBYTES, FS_ARBYTES, GS_ARBYTES, SS_ARBYTES,
    TR_ARBYTES, LDTR_ARBYTES,
    SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP,
    SHADOW_GS,
    MSR_FLAGS, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_EFER, MSR_TSC_AUX,
    MSR_ALL,
    TSC
} registers_t;

/* 32-bit aliases */
#define EAX RAX
#define EBX RBX
#define ECX RCX
#define EDX RDX
#define EBP RBP
#define ESI RSI
#define EDI RDI
#define ESP RSP
#define EIP RIP
#define EFLAGS RFLAGS

typedef struct vmi_instance *vmi_instance_t;
typedef void *vmi_config_t;

/** A string as found in a guest (Windows UNICODE_STRING, or converted). */
typedef struct _ustring {
    size_t length;          /**< bytes in contents, without terminator */
    uint8_t *contents;      /**< the bytes, NUL terminated (2 NULs for UTF-16) */
    const char *encoding;   /**< iconv name, e.g. "UTF-16", "UTF-8" */
} unicode_string_t;

/* ------------------------------------------------------------- lifecycle */

/** Open @name (domain name, or path of a memory snapshot) with @flags. */
status_t vmi_init(vmi_instance_t *vmi, uint32_t flags, char *name);
/** Open with a configuration given as VMI_CONFIG_STRING or VMI_CONFIG_GHASHTABLE. */
status_t vmi_init_custom(vmi_instance_t *vmi, uint32_t flags, vmi_config_t config);
/** Finish a VMI_INIT_PARTIAL instance; @config is a config string or NULL. */
status_t vmi_init_complete(vmi_instance_t *vmi, char *config);
/** Finish a VMI_INIT_PARTIAL instance with a custom configuration. */
status_t vmi_init_complete_custom(vmi_instance_t *vmi, uint32_t flags, vmi_config_t config);
/** Close the instance and free everything it holds. */
status_t vmi_destroy(vmi_instance_t vmi);

/* ------------------------------------------------ translation and symbols */

/** Kernel virtual address to physical address (0 on failure). */
addr_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr);
/** User virtual address of process @pid to physical address. */
addr_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid);
/** Kernel symbol to virtual address (KASLR slide applied). */
addr_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol);
/** Exported symbol of the PE image at @base_vaddr to virtual address. */
addr_t vmi_translate_sym2v(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid, char *symbol);
/** Name of the export at @rva of the PE image at @base_vaddr. */
const char *vmi_translate_v2sym(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid, addr_t rva);
/** Page directory base (physical) of process @pid; 0 = kernel. */
addr_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid);
/** Process owning page directory @dtb, or -1. */
vmi_pid_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb);
/** Translate @vaddr through the page tables at @dtb. */
addr_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t dtb, addr_t vaddr);

/* ------------------------------------------------------------------ reads */

/** Read @count bytes at physical address @paddr; returns bytes read. */
size_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count);
/** Read @count bytes at virtual address @vaddr of @pid (0 = kernel). */
size_t vmi_read_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf, size_t count);
/** Read @count bytes at kernel symbol @sym. */
size_t vmi_read_ksym(vmi_instance_t vmi, char *sym, void *buf, size_t count);

status_t vmi_read_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value);
status_t vmi_read_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value);
status_t vmi_read_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value);
status_t vmi_read_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value);
/** Read a guest pointer (4 or 8 bytes by the guest's address width). */
status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value);
/** NUL-terminated string at @paddr; caller frees. */
char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr);

status_t vmi_read_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value);
status_t vmi_read_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value);
status_t vmi_read_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value);
status_t vmi_read_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value);
status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value);
/** NUL-terminated string at @vaddr of @pid; caller frees. */
char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid);
/** Windows UNICODE_STRING structure at @vaddr; free with vmi_free_unicode_str(). */
unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid);
/** Convert @in to @outencoding (iconv name) into @out; out->contents is malloc'd. */
status_t vmi_convert_str_encoding(const unicode_string_t *in, unicode_string_t *out,
                                  const char *outencoding);
/** Free a string returned by vmi_read_unicode_str_va(). */
void vmi_free_unicode_str(unicode_string_t *p_us);

status_t vmi_read_8_ksym(vmi_instance_t vmi, char *sym, uint8_t *value);
status_t vmi_read_16_ksym(vmi_instance_t vmi, char *sym, uint16_t *value);
status_t vmi_read_32_ksym(vmi_instance_t vmi, char *sym, uint32_t *value);
status_t vmi_read_64_ksym(vmi_instance_t vmi, char *sym, uint64_t *value);
status_t vmi_read_addr_ksym(vmi_instance_t vmi, char *sym, addr_t *value);
/** NUL-terminated string at kernel symbol @sym; caller frees. */
char *vmi_read_str_ksym(vmi_instance_t vmi, char *sym);

/* ----------------------------------------------------------------- writes */

size_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count);
size_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf, size_t count);
size_t vmi_write_ksym(vmi_instance_t vmi, char *sym, void *buf, size_t count);

status_t vmi_write_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value);
status_t vmi_write_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value);
status_t vmi_write_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value);
status_t vmi_write_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value);
status_t vmi_write_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value);
status_t vmi_write_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value);
status_t vmi_write_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value);
status_t vmi_write_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value);
status_t vmi_write_8_ksym(vmi_instance_t vmi, char *sym, uint8_t *value);
status_t vmi_write_16_ksym(vmi_instance_t vmi, char *sym, uint16_t *value);
status_t vmi_write_32_ksym(vmi_instance_t vmi, char *sym, uint32_t *value);
status_t vmi_write_64_ksym(vmi_instance_t vmi, char *sym, uint64_t *value);

/* ------------------------------------------------------------- hex dumps */

/** Print @length bytes of @data as a classic hexdump (offsets, hex, ASCII). */
void vmi_print_hex(unsigned char *data, unsigned long length);
void vmi_print_hex_ksym(vmi_instance_t vmi, char *sym, size_t length);
void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length);
void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length);

/* ---------------------------------------------------------------- getters */

/** Name of the domain or snapshot; caller frees. */
char *vmi_get_name(vmi_instance_t vmi);
/** Domain ID (VMI_INVALID_DOMID for a snapshot). */
unsigned long vmi_get_vmid(vmi_instance_t vmi);
/** The access mode in use (VMI_FILE, VMI_KVM, VMI_XEN). */
uint32_t vmi_get_access_mode(vmi_instance_t vmi);
page_mode_t vmi_get_page_mode(vmi_instance_t vmi);
/** 4 or 8 bytes; 0 when unknown. */
uint8_t vmi_get_address_width(vmi_instance_t vmi);
os_t vmi_get_ostype(vmi_instance_t vmi);
win_ver_t vmi_get_winver(vmi_instance_t vmi);
const char *vmi_get_winver_str(vmi_instance_t vmi);
win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa);
/** Value of a configured offset ("linux_tasks", ...); 0 when unknown. */
unsigned long vmi_get_offset(vmi_instance_t vmi, char *offset_name);
/** Guest RAM in bytes (what the snapshot or QEMU holds, holes left out). */
unsigned long vmi_get_memsize(vmi_instance_t vmi);

/* ---------------------------------------------------------------- control */

status_t vmi_get_vcpureg(vmi_instance_t vmi, reg_t *value, registers_t reg, unsigned long vcpu);
status_t vmi_set_vcpureg(vmi_instance_t vmi, reg_t value, registers_t reg, unsigned long vcpu);
status_t vmi_pause_vm(vmi_instance_t vmi);
status_t vmi_resume_vm(vmi_instance_t vmi);

/* ------------------------------------------------- snapshots, direct access */

status_t vmi_shm_snapshot_create(vmi_instance_t vmi);
status_t vmi_shm_snapshot_destroy(vmi_instance_t vmi);
/** Pointer into guest memory at @paddr; returns the contiguous bytes it covers (<= @count). */
size_t vmi_get_dgpma(vmi_instance_t vmi, addr_t paddr, void **buf_ptr, size_t count);
/** Pointer into guest memory at @vaddr of @pid; contiguous bytes covered (<= @count). */
size_t vmi_get_dgvma(vmi_instance_t vmi, addr_t vaddr, pid_t pid, void **buf_ptr, size_t count);

/* ----------------------------------------------------------------- caches */

void vmi_v2pcache_flush(vmi_instance_t vmi);
void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t dtb, addr_t pa);
void vmi_symcache_flush(vmi_instance_t vmi);
void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym, addr_t va);
void vmi_rvacache_flush(vmi_instance_t vmi);
void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva, char *sym);
void vmi_pidcache_flush(vmi_instance_t vmi);
void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb);

/* Events: the structures and calls, in their own header. */
#include <libvmi/events.h>

/* ============================================ additions (not classic API) */

/** Text of the last error on this instance (or of the last failed init
 *  on this thread when @vmi is NULL); never NULL, owned by the library. */
const char *vmi_get_last_error(vmi_instance_t vmi);

/** The kind of the last error, kept with its text, so that a program can
 *  act on a failure without matching English words.  Not classic API. */
typedef enum vmi_error_code {
    VMI_ERR_NONE = 0,     /* no error recorded */
    VMI_ERR_FAILED,       /* anything else */
    VMI_ERR_UNSUPPORTED,  /* the driver or OS layer lacks the operation */
    VMI_ERR_INVALID,      /* a bad argument or configuration */
    VMI_ERR_NOT_FOUND,    /* no such symbol, pid, address, entry, vCPU, domain */
    VMI_ERR_IO,           /* a file/socket/system call failed */
    VMI_ERR_CORRUPT,      /* guest data or a file does not make sense */
    VMI_ERR_GONE,         /* the guest or its QEMU went away */
    VMI_ERR_PERMISSION,   /* not allowed (writes off, file permissions) */
    VMI_ERR_TIMEOUT,      /* no answer in time */
} vmi_error_code_t;
/* Code of the last error on @vmi (NULL: the calling thread's last failed vmi_init*). */
/** The code is that of the same error vmi_get_last_error() describes: it
 *  changes only when a new error is recorded (a successful call leaves the
 *  previous one in place, as for the text).  Not classic API. */
vmi_error_code_t vmi_get_last_error_code(vmi_instance_t vmi);

/** One process as returned by vmi_get_processes(). */
typedef struct vmi_process {
    vmi_pid_t pid;
    char name[32];      /**< comm, NUL terminated */
    addr_t task;        /**< kernel virtual address of the task structure */
    addr_t dtb;         /**< page directory (physical); the kernel's for kernel threads */
} vmi_process_t;

/** Fill a freshly allocated array (free with free()) with the guest's
 *  processes, idle task (pid 0) first; returns the count in @count. */
status_t vmi_get_processes(vmi_instance_t vmi, vmi_process_t **list, size_t *count);

/** KASLR slide of the kernel's virtual addresses (0 without KASLR). */
addr_t vmi_get_kaslr_offset(vmi_instance_t vmi);

/** Name of the access path in use: "file-raw", "file-elf", "shm", ... */
const char *vmi_get_access_path(vmi_instance_t vmi);

/** End of the highest backed guest-physical address (RAM or ROM) + 1: the
 *  extent to walk for a full dump.  Not classic API. */
addr_t vmi_get_max_physical_address(vmi_instance_t vmi);

/** Kernel banner ("Linux version ..."); caller frees; NULL when unknown. */
char *vmi_get_kernel_version(vmi_instance_t vmi);

/** Offset of @member in the kernel structure @symbol (e.g. "task_struct",
 *  "comm"), from the configuration, an ISF file or the kernel's own BTF.
 *  @member may be a dotted path ("se.vruntime"); members of anonymous
 *  structs and unions are found as in C.  As in later LibVMI. */
status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *symbol, const char *member,
                                      addr_t *addr);

/** Nearest kernel symbol at or below @va; *offset (if given) = @va minus
 *  the symbol's address.  The name is owned by the instance (valid until
 *  vmi_destroy or vmi_rvacache_flush); NULL when there is none.  Not
 *  classic API. */
const char *vmi_translate_v2ksym_nearest(vmi_instance_t vmi, addr_t va, addr_t *offset);

/** Where a value came from: @name "symbols" (e.g. "System.map /path",
 *  "kallsyms (guest memory)", "ISF /path"), "kernel" (how the kernel was
 *  found), or an offset name ("linux_tasks" ...: "config", "BTF", "ISF").
 *  Owned by the instance; NULL when unknown.  Not classic API. */
const char *vmi_get_value_source(vmi_instance_t vmi, const char *name);

/** Path of the file that holds the guest's RAM when memory is read
 *  through it (the kvm driver's shared RAM file, access path "shm"); NULL
 *  otherwise.  Owned by the instance.  Not classic API. */
const char *vmi_get_ram_file(vmi_instance_t vmi);

/** Number of vCPUs of the guest; 0 when the driver cannot tell. */
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi);

/** The entry @entry of the libvmi configuration file @path (NULL: the file
 *  vmi_init() would read: $LIBVMI_CONF, ~/etc/libvmi.conf, /etc/libvmi.conf)
 *  as a string of "key = value;" lines, ready for vmi_init_custom() with
 *  VMI_CONFIG_STRING (append keys to override; the last value of a key
 *  wins).  Free with free().  NULL when the file cannot be read, is not
 *  valid, or has no such entry: vmi_get_last_error(NULL) says which.
 *  Not classic API. */
char *vmi_config_read_entry(const char *path, const char *entry);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_H */
