/*
 * libvmi.h - virtual machine introspection: the public API.
 *
 * Two generations of the LibVMI C API live in this one header and in one
 * library, and a program written for either compiles unchanged against it:
 *
 *   the 2013 API (LibVMI 0.10/0.11): vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE,
 *       name), addr_t vmi_translate_ksym2v(vmi, sym), size_t vmi_read_va(vmi,
 *       va, pid, buf, count), unsigned long vmi_get_offset(vmi, name), ...
 *   the modern API (LibVMI 0.14 and its development head): vmi_init_complete(
 *       &vmi, domain, flags, init_data, config_type, config, &error),
 *       vmi_translate_ksym2v(vmi, sym, &va), vmi_read_va(vmi, va, pid, count,
 *       buf, &bytes_read), access contexts and vmi_read(vmi, &ctx, ...), ...
 *
 * How one name serves both:
 *  - Where the generations give a name different argument counts, the name
 *    is a macro that dispatches on the count: vmi_read_va(a, b, c, d, e)
 *    calls vmi_read_va__5 (the 2013 function), vmi_read_va(a, b, c, d, e, f)
 *    the modern vmi_read_va.  Taking the address (&vmi_read_va), or writing
 *    (vmi_read_va)(...), gets the modern function.  vmi_translate_sym2v, the
 *    one name whose two signatures have the same count, is told apart by the
 *    type of its second argument (C11 _Generic; C++ overloads).
 *  - In the library each such name is two versioned symbols: NAME@LIBVMI_0.1,
 *    the 2013 function every binary built before this header keeps calling,
 *    and NAME@@LIBVMI_0.14, the modern one; NAME__N are the 2013 entry points
 *    of programs compiled now.  Old binaries keep working on upgrade.
 *  - Constants have LibVMI 0.14's values (registers R8 = 10, VMI_KVM = 1,
 *    VMI_INIT_EVENTS = 1 << 2, VMI_CONFIG_STRING = 1, ...); the 2013 entry
 *    points of this header understand them, and page modes keep the values
 *    both generations share (VMI_PM_LEGACY 1, VMI_PM_PAE 2, VMI_PM_IA32E 3).
 *    Inside a call to vmi_init_custom() or vmi_init_complete_custom(), the
 *    VMI_CONFIG_* names mean the 2013 flag bits, so that
 *    "VMI_KVM | VMI_INIT_PARTIAL | VMI_CONFIG_STRING" still says both.
 *
 * Picking one generation for a whole program:
 *    -DLIBVMI_API_MODERN   plain names are the modern functions, no macros.
 *    -DLIBVMI_API_2013     plain names are the 2013 functions (macros to the
 *                          NAME__N entry points), with the 2013 types:
 *                          registers_t is a register number, vmi_config_t a
 *                          void *, VMI_CONFIG_* flag bits.
 *
 * What a 2013 program must change to build without LIBVMI_API_2013 (each a
 * one-line change, because the modern API gave the name another meaning):
 *  - registers_t as the type of a register number: it is the modern struct
 *    of all registers now; write reg_t.
 *  - VMI_CONFIG_* or'ed into flags outside the call to vmi_init_custom() /
 *    vmi_init_complete_custom() together with an access mode: write them in
 *    the call (the 0.14 values 0, 1, 2 would collide with VMI_KVM, VMI_FILE);
 *    the call fails with the reason, never guesses.
 *  - vmi_config_t as the type of a configuration pointer: write void *
 *    (casts "(vmi_config_t)ptr" in the call still work in C).
 *  - a table indexed by page mode that ends at our VMI_PM_LA57: LA57 is 9.
 *
 * Failure conventions: functions returning status_t return VMI_FAILURE,
 * the 2013 functions returning an address return 0, those returning a size
 * the number of bytes actually handled, those returning a pointer NULL.  What
 * a driver cannot do fails too, never a silent success.  The reason is
 * logged to the "libvmi" GLib log domain and can be fetched with
 * vmi_get_last_error() and vmi_get_last_error_code().
 */
#ifndef LIBVMI_H
#define LIBVMI_H

#if defined(LIBVMI_API_2013) && defined(LIBVMI_API_MODERN)
#error "define at most one of LIBVMI_API_2013 and LIBVMI_API_MODERN"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <sys/types.h>
#include <sys/mman.h>

#ifdef __cplusplus
extern "C" {
#define VMI__NOEXCEPT noexcept
#else
#define VMI__NOEXCEPT
#endif

/* Everything declared here is the exported API; the rest of the library is
 * built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

/* Where the two API generations give one name two signatures, a call is
 * dispatched on its number of arguments: vmi_read_va(a, b, c, d, e) becomes
 * vmi_read_va__5(a, b, c, d, e) (the 2013 function), six arguments the
 * modern one.  VMI__NARG counts up to 16 arguments. */
#define VMI__NARG(...) VMI__NARG_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define VMI__NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, N, ...) N
#define VMI__PASTE(name, n) name##__##n
#define VMI__SELECT(name, n) VMI__PASTE(name, n)
#define VMI__OVERLOAD(name, ...) VMI__SELECT(name, VMI__NARG(__VA_ARGS__))(__VA_ARGS__)

#if !defined(LIBVMI_API_2013) && !defined(LIBVMI_API_MODERN)
#define VMI__DISPATCH 1
#endif

/* ------------------------------------------------------ access modes, init */

/** vmi_init() flags of the modern API: how @domain names the guest. */
#define VMI_INIT_DOMAINNAME  (1u << 0) /**< @domain is a name (or a snapshot path) */
#define VMI_INIT_DOMAINID    (1u << 1) /**< @domain points to a uint64_t domain ID */
#define VMI_INIT_EVENTS      (1u << 2) /**< enable events (both generations) */
#define VMI_INIT_DOMAINUUID  (1u << 3) /**< @domain is a UUID string */
#define VMI_INIT_DOMAINWATCH (1u << 4) /**< watch for domains (Xen; refused here) */
#define VMI_INIT_V2SYM       (1u << 5) /**< reverse symbol lookups from a JSON profile */

/* 2013 vmi_init() flags (with an access mode below and VMI_INIT_EVENTS). */
#define VMI_INIT_PARTIAL      (1u << 16) /**< physical access only */
#define VMI_INIT_COMPLETE     (1u << 17) /**< paging and OS layer too */
#define VMI_INIT_SHM_SNAPSHOT (1u << 19) /**< read from a snapshot taken at init */
#define VMI_CONFIG_NONE       (1u << 24) /**< no configuration */

#ifndef LIBVMI_API_2013
/** Access modes: the driver that reaches the guest. */
typedef enum vmi_mode {
    VMI_XEN,        /**< Xen domain (not built into this libvmi yet) */
    VMI_KVM,        /**< QEMU/KVM guest */
    VMI_FILE,       /**< memory snapshot file */
    VMI_BAREFLANK,  /**< Bareflank (not supported) */
    VMI_AUTO = 1 << 8 /**< ours: let the library pick (vmi_init, 2013 flags) */
} vmi_mode_t;

/* Where the configuration comes from (vmi_init_complete, vmi_init_os).
 * The type is as wide as a pointer, so that a 2013 program's
 * "(vmi_config_t)config" cast still carries its pointer. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
typedef enum vmi_config {
    VMI_CONFIG_GLOBAL_FILE_ENTRY, /**< the entry for the guest's name in the global file */
    VMI_CONFIG_STRING,            /**< @config is a string: "key = value; ..." or "name { ... }" */
    VMI_CONFIG_GHASHTABLE,        /**< @config is a GHashTable (char * -> char * or uint64_t *) */
    VMI_CONFIG_JSON_PATH,         /**< @config is the path of a JSON profile (Volatility 3 ISF) */
    VMI_CONFIG_FILE_PATH,         /**< @config is the path of a config file; entry by name */
    VMI__CONFIG_POINTER_WIDE = UINTPTR_MAX
} vmi_config_t;
#pragma GCC diagnostic pop
#else
typedef uint32_t vmi_mode_t;
enum { VMI_XEN, VMI_KVM, VMI_FILE, VMI_BAREFLANK, VMI_AUTO = 1 << 8 };
typedef void *vmi_config_t;
#define VMI_CONFIG_GLOBAL_FILE_ENTRY (1u << 25) /**< entry of the global config file */
#define VMI_CONFIG_STRING            (1u << 26) /**< config given as a string */
#define VMI_CONFIG_GHASHTABLE        (1u << 27) /**< config given as a GHashTable */
#define VMI_CONFIG_JSON_PATH         (1u << 28) /**< ours: path of a JSON profile */
#define VMI_CONFIG_FILE_PATH         (1u << 29) /**< ours: path of a config file */
#endif

typedef enum status {
    VMI_SUCCESS,
    VMI_FAILURE
} status_t;

/** Which stage of a modern init failed (the reason: vmi_get_last_error(NULL)). */
typedef enum vmi_init_error {
    VMI_INIT_ERROR_NONE,
    VMI_INIT_ERROR_DRIVER_NOT_DETECTED, /**< no driver can reach the guest */
    VMI_INIT_ERROR_DRIVER,              /**< the driver failed to open it */
    VMI_INIT_ERROR_VM_NOT_FOUND,        /**< no such guest */
    VMI_INIT_ERROR_PAGING,              /**< the paging mode is unknown */
    VMI_INIT_ERROR_OS,                  /**< no OS layer understood the guest */
    VMI_INIT_ERROR_EVENTS,              /**< events cannot be set up */
    VMI_INIT_ERROR_NO_CONFIG,           /**< the configuration is missing or unreadable */
    VMI_INIT_ERROR_NO_CONFIG_ENTRY,     /**< it has no (valid) entry for the guest */
} vmi_init_error_t;

typedef enum firmware {
    VMI_FIRMWARE_UNKNOWN,
    VMI_FIRMWARE_LEGACY,
    VMI_FIRMWARE_UEFI
} firmware_t;

typedef enum os {
    VMI_OS_UNKNOWN,
    VMI_OS_LINUX,
    VMI_OS_WINDOWS,
    VMI_OS_FREEBSD,
    VMI_OS_OSX
} os_t;

typedef enum win_ver {
    VMI_OS_WINDOWS_NONE,
    VMI_OS_WINDOWS_UNKNOWN,
    VMI_OS_WINDOWS_2000,
    VMI_OS_WINDOWS_XP,
    VMI_OS_WINDOWS_2003,
    VMI_OS_WINDOWS_VISTA,
    VMI_OS_WINDOWS_2008,
    VMI_OS_WINDOWS_7,
    VMI_OS_WINDOWS_8,
    VMI_OS_WINDOWS_10,
} win_ver_t;

typedef struct {
    win_ver_t version;
    uint16_t buildnumber;
    uint16_t major;
    uint16_t minor;
} win_build_info_t;

/** Paging modes.  0..5 as in LibVMI 0.14.0 (and 0..3 as in the 2013 API);
 *  NONE and the EPT modes of the development head, and LA57, come after. */
typedef enum page_mode {
    VMI_PM_UNKNOWN,   /**< unknown (in an access context: the guest's own) */
    VMI_PM_LEGACY,    /**< 32-bit, 2 levels, 4 KiB and 4 MiB pages */
    VMI_PM_PAE,       /**< 32-bit, 3 levels, 4 KiB and 2 MiB pages */
    VMI_PM_IA32E,     /**< 64-bit, 4 levels, 4 KiB, 2 MiB and 1 GiB pages */
    VMI_PM_AARCH32,   /**< ARM 32-bit (not supported) */
    VMI_PM_AARCH64,   /**< ARM 64-bit (not supported) */
    VMI_PM_NONE,      /**< paging disabled: virtual = physical */
    VMI_PM_EPT_4L,    /**< Intel EPT, 4 levels (not supported) */
    VMI_PM_EPT_5L,    /**< Intel EPT, 5 levels (not supported) */
    VMI_PM_LA57       /**< ours: 64-bit, 5 levels */
} page_mode_t;

#define VMI_PM_INITFLAG_TRANSITION_PAGES (1u << 0) /**< vmi_init_paging: Windows transition pages */

typedef enum page_size {
    VMI_PS_UNKNOWN  = 0ULL,
    VMI_PS_1KB      = 0x400ULL,
    VMI_PS_4KB      = 0x1000ULL,
    VMI_PS_16KB     = 0x4000ULL,
    VMI_PS_64KB     = 0x10000ULL,
    VMI_PS_1MB      = 0x100000ULL,
    VMI_PS_2MB      = 0x200000ULL,
    VMI_PS_4MB      = 0x400000ULL,
    VMI_PS_16MB     = 0x1000000ULL,
    VMI_PS_32MB     = 0x2000000ULL,
    VMI_PS_512MB    = 0x20000000ULL,
    VMI_PS_1GB      = 0x40000000ULL,
} page_size_t;

#define VMI_INVALID_DOMID (~0ULL)

/** Extra data for vmi_init(). */
typedef enum {
    VMI_INIT_DATA_XEN_EVTCHN,   /**< Xen event channel (refused: no Xen driver) */
    VMI_INIT_DATA_MEMMAP,       /**< memory_map_t * (refused: the file driver reads the layout) */
    VMI_INIT_DATA_KVMI_SOCKET   /**< KVMi socket path (unused: QEMU is reached through QMP and its gdbstub) */
} vmi_init_data_type_t;

typedef struct {
    uint64_t type;
    void *data;
} vmi_init_data_entry_t;

typedef struct {
    uint64_t count;
    vmi_init_data_entry_t entry[];
} vmi_init_data_t;

typedef struct {
    uint64_t count;
    uint64_t range[][2];
} memory_map_t;

/* -------------------------------------------------------------- registers */

typedef uint64_t reg_t;

/* Register numbers (the values of LibVMI 0.14; a 2013 binary's enum
 * numbers are translated by the library). */
#define EAX              0
#define EBX              1
#define ECX              2
#define EDX              3
#define EBP              4
#define ESI              5
#define EDI              6
#define ESP              7
#define EIP              8
#define EFLAGS           9
#define RAX        EAX
#define RBX        EBX
#define RCX        ECX
#define RDX        EDX
#define RBP        EBP
#define RSI        ESI
#define RDI        EDI
#define RSP        ESP
#define RIP        EIP
#define RFLAGS     EFLAGS
#define R8               10
#define R9               11
#define R10              12
#define R11              13
#define R12              14
#define R13              15
#define R14              16
#define R15              17
#define CR0              18
#define CR2              19
#define CR3              20
#define CR4              21
#define XCR0             22
#define DR0              23
#define DR1              24
#define DR2              25
#define DR3              26
#define DR6              27
#define DR7              28
#define CS_SEL           29
#define DS_SEL           30
#define ES_SEL           31
#define FS_SEL           32
#define GS_SEL           33
#define SS_SEL           34
#define TR_SEL           35
#define LDTR_SEL         36
#define CS_LIMIT         37
#define DS_LIMIT         38
#define ES_LIMIT         39
#define FS_LIMIT         40
#define GS_LIMIT         41
#define SS_LIMIT         42
#define TR_LIMIT         43
#define LDTR_LIMIT       44
#define IDTR_LIMIT       45
#define GDTR_LIMIT       46
#define CS_BASE          47
#define DS_BASE          48
#define ES_BASE          49
#define FS_BASE          50
#define GS_BASE          51
#define SS_BASE          52
#define TR_BASE          53
#define LDTR_BASE        54
#define IDTR_BASE        55
#define GDTR_BASE        56
#define CS_ARBYTES       57
#define DS_ARBYTES       58
#define ES_ARBYTES       59
#define FS_ARBYTES       60
#define GS_ARBYTES       61
#define SS_ARBYTES       62
#define TR_ARBYTES       63
#define LDTR_ARBYTES     64
#define SYSENTER_CS      65
#define SYSENTER_ESP     66
#define SYSENTER_EIP     67
#define SHADOW_GS        68
#define TSC              69
#define MSR_FLAGS        70
#define MSR_LSTAR        71
#define MSR_CSTAR        72
#define MSR_SYSCALL_MASK 73
#define MSR_EFER         74
#define MSR_TSC_AUX      75
#define MSR_ALL          76
#define MSR_STAR                    119
#define MSR_SHADOW_GS_BASE          120
#define MSR_MTRRfix64K_00000        121
#define MSR_MTRRfix16K_80000        122
#define MSR_MTRRfix16K_A0000        123
#define MSR_MTRRfix4K_C0000         124
#define MSR_MTRRfix4K_C8000         125
#define MSR_MTRRfix4K_D0000         126
#define MSR_MTRRfix4K_D8000         127
#define MSR_MTRRfix4K_E0000         128
#define MSR_MTRRfix4K_E8000         129
#define MSR_MTRRfix4K_F0000         130
#define MSR_MTRRfix4K_F8000         131
#define MSR_MTRRdefType             132
#define MSR_IA32_MC0_CTL            133
#define MSR_IA32_MC0_STATUS         134
#define MSR_IA32_MC0_ADDR           135
#define MSR_IA32_MC0_MISC           136
#define MSR_IA32_MC1_CTL            137
#define MSR_IA32_MC0_CTL2           138
#define MSR_AMD_PATCHLEVEL          139
#define MSR_AMD64_TSC_RATIO         140
#define MSR_IA32_P5_MC_ADDR         141
#define MSR_IA32_P5_MC_TYPE         142
#define MSR_IA32_TSC                143
#define MSR_IA32_PLATFORM_ID        144
#define MSR_IA32_EBL_CR_POWERON     145
#define MSR_IA32_EBC_FREQUENCY_ID   146
#define MSR_IA32_FEATURE_CONTROL    147
#define MSR_IA32_SYSENTER_CS        148
#define MSR_IA32_SYSENTER_ESP       149
#define MSR_IA32_SYSENTER_EIP       150
#define MSR_IA32_MISC_ENABLE        151
#define MSR_HYPERVISOR              152
#define MSR_ANY                     153
#define MSR_UNDEFINED MSR_ANY

/* ARM register numbers (no ARM driver here; the names compile). */
#define SCTLR            77
#define CPSR             78
#define TTBCR            79
#define TTBR0            80
#define TTBR1            81
#define R0               82
#define R1               83
#define R2               84
#define R3               85
#define R4               86
#define R5               87
#define R6               88
#define R7               89
#define SPSR_SVC         90
#define SPSR_FIQ         91
#define SPSR_IRQ         92
#define SPSR_UND         93
#define SPSR_ABT         94
#define LR_IRQ           95
#define SP_IRQ           96
#define LR_SVC           97
#define SP_SVC           98
#define LR_ABT           99
#define SP_ABT           100
#define LR_UND           101
#define SP_UND           102
#define R8_FIQ           103
#define R9_FIQ           104
#define R10_FIQ          105
#define R11_FIQ          106
#define R12_FIQ          107
#define SP_FIQ           108
#define LR_FIQ           109
#define SP_EL0           110
#define SP_EL1           111
#define ELR_EL1          112
#define PC               118
#define SP_USR      R13
#define LR_USR      R14
#define PC32        PC
#define X0          R0
#define X1          R1
#define X2          R2
#define X3          R3
#define X4          R4
#define X5          R5
#define X6          R6
#define X7          R7
#define X8          R8
#define X9          R9
#define X10         R10
#define X11         R11
#define X12         R12
#define X13         R13
#define X14         R14
#define X15         R15
#define X16         LR_IRQ
#define X17         SP_IRQ
#define X18         LR_SVC
#define X19         SP_SVC
#define X20         LR_ABT
#define X21         SP_ABT
#define X22         LR_UND
#define X23         SP_UND
#define X24         R8_FIQ
#define X25         R9_FIQ
#define X26         R10_FIQ
#define X27         R11_FIQ
#define X28         R12_FIQ
#define X29         SP_FIQ
#define X30         LR_FIQ
#define PC64        PC
#define SPSR_EL1    SPSR_SVC
#define TCR_EL1     TTBCR

typedef struct x86_mtrr_regs {
    uint64_t msr_pat_cr;
    uint64_t msr_mtrr_cap;
} mtrr_regs_t;

typedef struct x86_segment_flags {
    uint16_t type:4;
    uint16_t s:   1;
    uint16_t dpl: 2;
    uint16_t p:   1;
    uint16_t avl: 1;
    uint16_t l:   1;
    uint16_t db:  1;
    uint16_t g:   1;
    uint16_t pad: 4;
    uint16_t pad2;
    uint32_t pad3;
} x86_segment_flags_t;

/** The x86 registers of one vCPU (vmi_get_vcpuregs), in LibVMI's layout. */
typedef struct x86_regs {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rflags;
    uint64_t dr6, dr7;
    uint64_t rip;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t msr_efer, msr_star, msr_lstar, msr_pat, msr_cstar;
    uint64_t fs_base, fs_limit, fs_sel;
    union { uint64_t fs_arbytes; x86_segment_flags_t fs_flags; };
    uint64_t gs_base, gs_limit, gs_sel;
    union { uint64_t gs_arbytes; x86_segment_flags_t gs_flags; };
    uint64_t cs_base, cs_limit, cs_sel;
    union { uint64_t cs_arbytes; x86_segment_flags_t cs_flags; };
    uint64_t ss_base, ss_limit, ss_sel;
    union { uint64_t ss_arbytes; x86_segment_flags_t ss_flags; };
    uint64_t ds_base, ds_limit, ds_sel;
    union { uint64_t ds_arbytes; x86_segment_flags_t ds_flags; };
    uint64_t es_base, es_limit, es_sel;
    union { uint64_t es_arbytes; x86_segment_flags_t es_flags; };
    uint64_t tr_base, tr_limit, tr_sel;
    union { uint64_t tr_arbytes; x86_segment_flags_t tr_flags; };
    uint64_t ldt_base, ldt_limit, ldt_sel;
    union { uint64_t ldt_arbytes; x86_segment_flags_t ldt_flags; };
    uint64_t shadow_gs;
    uint64_t idtr_base, idtr_limit;
    uint64_t gdtr_base, gdtr_limit;
    uint64_t npt_base;
    uint64_t vmtrace_pos;
} x86_registers_t;

typedef struct arm_registers {
    uint64_t ttbr0;
    uint64_t ttbr1;
    uint64_t ttbcr;
    uint64_t pc;
    uint32_t cpsr;
    uint32_t _pad;
} arm_registers_t;

/** All registers of one vCPU (the modern meaning of registers_t). */
struct registers {
    union {
        x86_registers_t x86;
        arm_registers_t arm;
    };
};
#ifndef LIBVMI_API_2013
typedef struct registers registers_t;
#else
/* 2013: registers_t is a register number */
typedef reg_t registers_t;
#endif

typedef struct xsave_area {
    char fpu_sse[512];
    uint64_t xstate_bv;
    uint64_t xcomp_bv;
} xsave_area_t;

/* -------------------------------------------------------- addresses, pages */

typedef uint64_t addr_t;
typedef int32_t vmi_pid_t;

/** One translation in detail (vmi_pagetable_lookup_extended, vmi_get_va_pages). */
typedef struct page_info {
    addr_t vaddr;       /**< virtual address */
    addr_t paddr;       /**< physical address */
    addr_t naddr;       /**< nested address (0: no nested translation) */
    page_size_t size;   /**< page size (VMI_PS_*) */
    page_size_t nsize;  /**< nested page size */
    addr_t pt;          /**< page table used */
    page_mode_t pm;     /**< its paging mode */
    addr_t npt;         /**< nested page table used */
    page_mode_t npm;    /**< its paging mode */
    union {
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
        } x86_legacy;
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
            addr_t pdpe_location;
            addr_t pdpe_value;
        } x86_pae;
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
            addr_t pdpte_location;
            addr_t pdpte_value;
            addr_t pml4e_location;
            addr_t pml4e_value;
        } x86_ia32e;    /**< also 5-level paging: the lower four levels */
        struct {
            uint32_t fld_location;
            uint32_t fld_value;
            uint32_t sld_location;
            uint32_t sld_value;
        } arm_aarch32;
        struct {
            uint64_t zld_location;
            uint64_t zld_value;
            uint64_t fld_location;
            uint64_t fld_value;
            uint64_t sld_location;
            uint64_t sld_value;
            uint64_t tld_location;
            uint64_t tld_value;
        } arm_aarch64;
    };
} page_info_t;

typedef enum arch {
    VMI_ARCH_UNKNOWN,
    VMI_ARCH_X86,
    VMI_ARCH_X86_64,
    VMI_ARCH_ARM32,
    VMI_ARCH_ARM64
} vmi_arch_t;

/** How an access context's address is translated. */
typedef uint32_t translation_mechanism_t;
#define VMI_TM_NONE          0  /**< physical address */
#define VMI_TM_PROCESS_DTB   1  /**< virtual, through the page table .pt (.dtb) */
#define VMI_TM_PROCESS_PT    1
#define VMI_TM_PROCESS_PID   2  /**< virtual, in process .pid (0 = kernel) */
#define VMI_TM_KERNEL_SYMBOL 3  /**< kernel symbol .ksym */
#define VMI_TM_INVALID       0xffffffffu /**< LibVMI 0.14.0's name for "none given": refused */

#define ACCESS_CONTEXT_VERSION 0x1u
/** Declares access context @C with the version set: ACCESS_CONTEXT(ctx, .addr = pa). */
#define ACCESS_CONTEXT(C, ...)             \
    access_context_t C = {                 \
        .version = ACCESS_CONTEXT_VERSION, \
        __VA_ARGS__                        \
    }

/** What an access is addressed to.  The field names of LibVMI 0.14.0
 *  (translate_mechanism, addr, ksym, dtb, pid) and of its development head
 *  (version, pm, npm, npt, tm, pt) are all here; version 0 (0.14.0 code)
 *  and ACCESS_CONTEXT_VERSION are accepted. */
typedef struct {
    uint32_t version;
    uint32_t _pad;
    union {
        page_mode_t pm;         /**< paging mode (0: the guest's) */
        page_mode_t page_mode;
    };
    union {
        page_mode_t npm;        /**< nested paging mode (unsupported) */
        page_mode_t nested_page_mode;
    };
    union {
        addr_t npt;             /**< nested page table (unsupported) */
        addr_t nested_page_table;
    };
    union {
        translation_mechanism_t tm;
        translation_mechanism_t translate_mechanism;
    };
    uint32_t _pad2;
    union {
        struct {
            addr_t addr;        /**< the address (VMI_TM_NONE, _PROCESS_*) */
            union {
                addr_t pt;      /**< VMI_TM_PROCESS_DTB/PT */
                addr_t page_table;
                addr_t dtb;
                vmi_pid_t pid;  /**< VMI_TM_PROCESS_PID */
            };
        };
        const char *ksym;       /**< VMI_TM_KERNEL_SYMBOL */
    };
} access_context_t;

#define VMI_GET_BIT(reg, bit) (!!(reg & (1ULL<<bit)))
#define VMI_BIT_MASK(a, b) (((unsigned long long) -1 >> (63 - (b))) & ~((1ULL << (a)) - 1))

/** A string as found in a guest (Windows UNICODE_STRING, or converted). */
typedef struct _ustring {
    size_t length;          /**< bytes in contents, without terminator */
    uint8_t *contents;      /**< the bytes, NUL terminated (2 NULs for UTF-16) */
    const char *encoding;   /**< iconv name, e.g. "UTF-16", "UTF-8" */
} unicode_string_t;

/** vmi_get_domain_status(). */
typedef struct domain_status {
    unsigned int dying:1;
    unsigned int shutdown:1;
    unsigned int paused:1;
    unsigned int blocked:1;
    unsigned int running:1;
    unsigned int debugged:1;
} domain_status_t;

typedef struct vmi_instance *vmi_instance_t;

/* ===================================================== init and lifecycle */

/** Open the guest @domain (see VMI_INIT_DOMAINNAME/ID/UUID in @init_flags)
 *  with access mode @mode (VMI_AUTO: let the library pick): physical memory
 *  and registers only, no paging and no OS layer yet.  The driver's keys
 *  (qmp, gdb, ...) come from the global config file entry of that name when
 *  one exists.  On failure *@error (when not NULL) says which stage failed.
 *  (LibVMI 0.14) */
status_t vmi_init(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain, uint64_t init_flags,
                  vmi_init_data_t *init_data, vmi_init_error_t *error) VMI__NOEXCEPT;
/** The 2013 vmi_init: open @name (domain name, or path of a memory snapshot)
 *  with @flags (access mode, VMI_INIT_PARTIAL/COMPLETE, VMI_INIT_EVENTS, ...);
 *  the configuration is the global config file entry named after it. */
status_t vmi_init__3(vmi_instance_t *vmi, uint32_t flags, const char *name) VMI__NOEXCEPT;

/** Find the paging mode from vCPU 0's registers (@flags:
 *  VMI_PM_INITFLAG_TRANSITION_PAGES).  VMI_PM_UNKNOWN when the driver has no
 *  registers (a raw snapshot): then vmi_init_os() finds it.  (LibVMI 0.14) */
page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags) VMI__NOEXCEPT;

#ifndef LIBVMI_API_2013
/** Set up the OS layer from the configuration @config_mode/@config (for
 *  VMI_CONFIG_GLOBAL_FILE_ENTRY, @config is unused: the entry is named after
 *  the guest; with none, a 64-bit Linux kernel is looked for in memory).
 *  Returns the OS, VMI_OS_UNKNOWN on failure.  (LibVMI 0.14) */
os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                 vmi_init_error_t *error) VMI__NOEXCEPT;
/** All of vmi_init(), vmi_init_paging() and vmi_init_os() in one call: a
 *  new instance in *@vmi.  (LibVMI 0.14) */
status_t vmi_init_complete(vmi_instance_t *vmi, const void *domain, uint64_t init_flags,
                           vmi_init_data_t *init_data, vmi_config_t config_mode, void *config,
                           vmi_init_error_t *error) VMI__NOEXCEPT;
#endif
/** The 2013 vmi_init_complete: finish a VMI_INIT_PARTIAL instance; @config
 *  is a config string or NULL (the global config file entry). */
status_t vmi_init_complete__2(vmi_instance_t *vmi, const char *config) VMI__NOEXCEPT;

/** 2013: open with a configuration (flags: access mode, init flags and one
 *  of VMI_CONFIG_STRING, VMI_CONFIG_GHASHTABLE, VMI_CONFIG_GLOBAL_FILE_ENTRY
 *  (@config is the entry name), and ours VMI_CONFIG_JSON_PATH and
 *  VMI_CONFIG_FILE_PATH). */
status_t vmi_init_custom(vmi_instance_t *vmi, uint32_t flags, void *config) VMI__NOEXCEPT;
/** 2013: finish a VMI_INIT_PARTIAL instance with a configuration. */
status_t vmi_init_complete_custom(vmi_instance_t *vmi, uint32_t flags, void *config) VMI__NOEXCEPT;

/** Close the instance and free everything it holds. */
status_t vmi_destroy(vmi_instance_t vmi) VMI__NOEXCEPT;

/** The architecture this library was built for. */
vmi_arch_t vmi_get_library_arch(void) VMI__NOEXCEPT;

/* ============================================ translation and symbols */

/** Kernel virtual address to physical address.  (LibVMI 0.14) */
status_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr) VMI__NOEXCEPT;
/** 2013: kernel virtual to physical address; 0 on failure. */
addr_t vmi_translate_kv2p__2(vmi_instance_t vmi, addr_t vaddr) VMI__NOEXCEPT;
/** User virtual address of process @pid to physical.  (LibVMI 0.14) */
status_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,
                            addr_t *paddr) VMI__NOEXCEPT;
/** 2013: user virtual address of @pid to physical; 0 on failure. */
addr_t vmi_translate_uv2p__3(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) VMI__NOEXCEPT;
/** Kernel symbol to virtual address (KASLR slide applied).  (LibVMI 0.14) */
status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr) VMI__NOEXCEPT;
/** 2013: kernel symbol to virtual address; 0 on failure. */
addr_t vmi_translate_ksym2v__2(vmi_instance_t vmi, const char *symbol) VMI__NOEXCEPT;
/** Exported symbol of the PE image at @ctx to virtual address.  (LibVMI 0.14) */
status_t vmi_translate_sym2v(vmi_instance_t vmi, const access_context_t *ctx, const char *symbol,
                             addr_t *vaddr) VMI__NOEXCEPT;
/** 2013: exported symbol of the PE image at @base_vaddr of @pid; 0 on failure. */
addr_t vmi_translate_sym2v__4(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid,
                              const char *symbol) VMI__NOEXCEPT;
/** Name of the export at @rva of the PE image at @ctx (kernel: the symbol
 *  at the image base + @rva).  Owned by the instance.  (LibVMI 0.14) */
const char *vmi_translate_v2sym(vmi_instance_t vmi, const access_context_t *ctx,
                                addr_t rva) VMI__NOEXCEPT;
/** 2013: name of the export at @rva of the image at @base_vaddr of @pid. */
const char *vmi_translate_v2sym__4(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid,
                                   addr_t rva) VMI__NOEXCEPT;
/** Kernel symbol exactly at @va (ctx: the kernel, pid 0).  Owned by the
 *  instance; NULL when no symbol starts there.  (LibVMI 0.14) */
const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx,
                                 addr_t va) VMI__NOEXCEPT;
/** Page directory (physical) of process @pid; 0 = the kernel's.  (LibVMI 0.14) */
status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb) VMI__NOEXCEPT;
/** 2013: page directory of @pid; 0 on failure. */
addr_t vmi_pid_to_dtb__2(vmi_instance_t vmi, vmi_pid_t pid) VMI__NOEXCEPT;
/** Process owning page directory @dtb.  (LibVMI 0.14) */
status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid) VMI__NOEXCEPT;
/** 2013: process owning @dtb, -1 on failure. */
vmi_pid_t vmi_dtb_to_pid__2(vmi_instance_t vmi, addr_t dtb) VMI__NOEXCEPT;
/** Translate @vaddr through the page table @pt (the guest's paging mode).  (LibVMI 0.14) */
status_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                              addr_t *paddr) VMI__NOEXCEPT;
/** 2013: translate @vaddr through @dtb; 0 on failure. */
addr_t vmi_pagetable_lookup__3(vmi_instance_t vmi, addr_t dtb, addr_t vaddr) VMI__NOEXCEPT;
/** The translation of @vaddr through @pt with the entry of every level. */
status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info) VMI__NOEXCEPT;
/** Nested translation: with @npt 0 the same as vmi_pagetable_lookup
 *  through @pt in mode @pm (*@naddr = 0); a nested page table (EPT) is
 *  refused: no SLAT walker here. */
status_t vmi_nested_pagetable_lookup(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                                     page_mode_t pm, addr_t vaddr, addr_t *paddr,
                                     addr_t *naddr) VMI__NOEXCEPT;
status_t vmi_nested_pagetable_lookup_extended(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                              addr_t pt, page_mode_t pm, addr_t vaddr,
                                              page_info_t *info) VMI__NOEXCEPT;

/* ================================================================= reads */

/** Read @count bytes at @ctx into @buf; *@bytes_read (when not NULL) gets
 *  the bytes read.  VMI_SUCCESS only when all were read.  (LibVMI 0.14) */
status_t vmi_read(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                  size_t *bytes_read) VMI__NOEXCEPT;
status_t vmi_read_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_read_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_read_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_read_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) VMI__NOEXCEPT;
/** A guest pointer at @ctx (4 or 8 bytes by the paging mode). */
status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) VMI__NOEXCEPT;
/** NUL-terminated string at @ctx; caller frees. */
char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx) VMI__NOEXCEPT;
/** NUL-terminated UTF-16 string at @ctx; caller frees. */
uint16_t *vmi_read_wstr(vmi_instance_t vmi, const access_context_t *ctx) VMI__NOEXCEPT;
/** Windows UNICODE_STRING structure at @ctx; vmi_free_unicode_str(). */
unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx) VMI__NOEXCEPT;
/** The same with the pointer width of paging mode @mode (WoW64). */
unicode_string_t *vmi_read_unicode_str_pm(vmi_instance_t vmi, const access_context_t *ctx,
                                          page_mode_t mode) VMI__NOEXCEPT;

/** Read @count bytes at physical @paddr.  (LibVMI 0.14) */
status_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                     size_t *bytes_read) VMI__NOEXCEPT;
/** 2013: read @count bytes at physical @paddr; returns the bytes read. */
size_t vmi_read_pa__4(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count) VMI__NOEXCEPT;
/** Read @count bytes at virtual address @vaddr of @pid (0 = kernel) into
 *  @buf; *@bytes_read (when not NULL) gets the bytes read.  VMI_SUCCESS only
 *  when all @count bytes were read.  (LibVMI 0.14) */
status_t vmi_read_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                     size_t *bytes_read) VMI__NOEXCEPT;
/** The 2013 vmi_read_va: read @count bytes at virtual address @vaddr of
 *  @pid (0 = kernel); returns the bytes read. */
size_t vmi_read_va__5(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf,
                      size_t count) VMI__NOEXCEPT;
/** Read @count bytes at kernel symbol @sym.  (LibVMI 0.14) */
status_t vmi_read_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                       size_t *bytes_read) VMI__NOEXCEPT;
/** 2013: read @count bytes at kernel symbol @sym; returns the bytes read. */
size_t vmi_read_ksym__4(vmi_instance_t vmi, const char *sym, void *buf, size_t count) VMI__NOEXCEPT;

/** Map @num_pages guest pages from @ctx's address into this process:
 *  access_ptrs[i] is the page (munmap() it when done), NULL for a page that
 *  is not mapped.  Pages of guest RAM held in a file (snapshots, a shared
 *  RAM file) are the guest's memory; other drivers give a read-only copy
 *  (PROT_WRITE is refused there). */
status_t vmi_mmap_guest(vmi_instance_t vmi, const access_context_t *ctx, size_t num_pages,
                        int prot, void **access_ptrs) VMI__NOEXCEPT;
/** The same for the guest frames @pfns[0..num_pages). */
status_t vmi_mmap_guest_pfns(vmi_instance_t vmi, unsigned long *pfns, size_t num_pages, int prot,
                             void **access_ptrs) VMI__NOEXCEPT;
/** The same for @num_pages physical pages from @paddr. */
status_t vmi_mmap_guest_pa(vmi_instance_t vmi, addr_t paddr, size_t num_pages, int prot,
                           void **access_ptrs) VMI__NOEXCEPT;

status_t vmi_read_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_read_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_read_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_read_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) VMI__NOEXCEPT;
status_t vmi_read_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) VMI__NOEXCEPT;
/** NUL-terminated string at kernel symbol @sym; caller frees. */
char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym) VMI__NOEXCEPT;

status_t vmi_read_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_read_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_read_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_read_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) VMI__NOEXCEPT;
/** A guest pointer (4 or 8 bytes by the guest's address width). */
status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) VMI__NOEXCEPT;
/** NUL-terminated string at @vaddr of @pid; caller frees. */
char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) VMI__NOEXCEPT;
/** NUL-terminated UTF-16 string at @vaddr of @pid; caller frees. */
uint16_t *vmi_read_wstr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) VMI__NOEXCEPT;
/** Windows UNICODE_STRING structure at @vaddr; free with vmi_free_unicode_str(). */
unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr,
                                          vmi_pid_t pid) VMI__NOEXCEPT;
/** Convert @in to @outencoding (iconv name) into @out; out->contents is malloc'd. */
status_t vmi_convert_str_encoding(const unicode_string_t *in, unicode_string_t *out,
                                  const char *outencoding) VMI__NOEXCEPT;
/** Free a string returned by the vmi_read_unicode_str* calls. */
void vmi_free_unicode_str(unicode_string_t *p_us) VMI__NOEXCEPT;

status_t vmi_read_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_read_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_read_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_read_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) VMI__NOEXCEPT;
status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) VMI__NOEXCEPT;
/** NUL-terminated string at @paddr; caller frees. */
char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr) VMI__NOEXCEPT;
/** NUL-terminated UTF-16 string at @paddr; caller frees. */
uint16_t *vmi_read_wstr_pa(vmi_instance_t vmi, addr_t paddr) VMI__NOEXCEPT;

/* ================================================================ writes */

/** Write @count bytes from @buf at @ctx; VMI_SUCCESS only when all were
 *  written.  (LibVMI 0.14) */
status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                   size_t *bytes_written) VMI__NOEXCEPT;
status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                        size_t *bytes_written) VMI__NOEXCEPT;
/** 2013: write at kernel symbol @sym; returns the bytes written. */
size_t vmi_write_ksym__4(vmi_instance_t vmi, const char *sym, void *buf, size_t count) VMI__NOEXCEPT;
status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                      size_t *bytes_written) VMI__NOEXCEPT;
/** 2013: write at @vaddr of @pid; returns the bytes written. */
size_t vmi_write_va__5(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf,
                       size_t count) VMI__NOEXCEPT;
status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                      size_t *bytes_written) VMI__NOEXCEPT;
/** 2013: write at physical @paddr; returns the bytes written. */
size_t vmi_write_pa__4(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count) VMI__NOEXCEPT;

status_t vmi_write_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_write_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_write_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_write_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) VMI__NOEXCEPT;
/** A guest pointer (4 or 8 bytes by the paging mode). */
status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) VMI__NOEXCEPT;
status_t vmi_write_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_write_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_write_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_write_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) VMI__NOEXCEPT;
status_t vmi_write_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) VMI__NOEXCEPT;
status_t vmi_write_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_write_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_write_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_write_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) VMI__NOEXCEPT;
status_t vmi_write_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) VMI__NOEXCEPT;
status_t vmi_write_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) VMI__NOEXCEPT;
status_t vmi_write_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) VMI__NOEXCEPT;
status_t vmi_write_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) VMI__NOEXCEPT;
status_t vmi_write_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) VMI__NOEXCEPT;
status_t vmi_write_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) VMI__NOEXCEPT;

/* ============================================================= hex dumps */

/** Print @length bytes of @data as a classic hexdump (offsets, hex, ASCII). */
void vmi_print_hex(const unsigned char *data, unsigned long length) VMI__NOEXCEPT;
void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length) VMI__NOEXCEPT;
void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length) VMI__NOEXCEPT;
void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length) VMI__NOEXCEPT;

/* =============================================================== getters */

/** Name of the domain or snapshot; caller frees. */
char *vmi_get_name(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Domain ID (VMI_INVALID_DOMID for a snapshot). */
uint64_t vmi_get_vmid(vmi_instance_t vmi) VMI__NOEXCEPT;
/** The access mode of @vmi, or (with @vmi NULL) the one that would open
 *  @domain.  (LibVMI 0.14) */
status_t vmi_get_access_mode(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode) VMI__NOEXCEPT;
/** 2013: the access mode in use (VMI_FILE, VMI_KVM, ...). */
uint32_t vmi_get_access_mode__1(vmi_instance_t vmi) VMI__NOEXCEPT;
/** The paging mode, from vCPU @vcpu's registers on a live guest.  (LibVMI 0.14) */
page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu) VMI__NOEXCEPT;
/** 2013: the paging mode in use. */
page_mode_t vmi_get_page_mode__1(vmi_instance_t vmi) VMI__NOEXCEPT;
/** 4 or 8 bytes; 0 when unknown. */
uint8_t vmi_get_address_width(vmi_instance_t vmi) VMI__NOEXCEPT;
os_t vmi_get_ostype(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Windows build; false (no Windows OS layer here). */
bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info) VMI__NOEXCEPT;
win_ver_t vmi_get_winver(vmi_instance_t vmi) VMI__NOEXCEPT;
uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi) VMI__NOEXCEPT;
const char *vmi_get_winver_str(vmi_instance_t vmi) VMI__NOEXCEPT;
win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa) VMI__NOEXCEPT;
/** Value of an offset ("linux_tasks", ...).  (LibVMI 0.14) */
status_t vmi_get_offset(vmi_instance_t vmi, const char *offset_name, addr_t *offset) VMI__NOEXCEPT;
/** 2013: value of an offset; 0 when unknown. */
unsigned long vmi_get_offset__2(vmi_instance_t vmi, const char *offset_name) VMI__NOEXCEPT;
/** Offset of @member in the kernel structure @struct_name (e.g.
 *  "task_struct", "comm"), from the configuration, an ISF file or the
 *  kernel's own BTF; @member may be a dotted path ("se.vruntime"). */
status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *struct_name,
                                      const char *member, addr_t *addr) VMI__NOEXCEPT;
/** XSAVE area of @vcpu (refused: no driver here reads it). */
status_t vmi_get_xsave_info(vmi_instance_t vmi, unsigned long vcpu,
                            xsave_area_t *xsave_info) VMI__NOEXCEPT;
/** The access context of the last translation that failed; NULL when none did. */
const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Guest RAM in bytes (what the snapshot or QEMU holds, holes left out). */
uint64_t vmi_get_memsize(vmi_instance_t vmi) VMI__NOEXCEPT;
/** End of the highest backed guest-physical address (RAM or ROM) + 1. */
addr_t vmi_get_max_physical_address(vmi_instance_t vmi) VMI__NOEXCEPT;
/** A free guest frame (refused: no driver here can add guest memory). */
addr_t vmi_get_next_available_gfn(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Number of vCPUs of the guest; 0 when the driver cannot tell. */
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Inject a page fault (refused: no driver here can). */
status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu, uint64_t virtual_address,
                                uint32_t error_code) VMI__NOEXCEPT;
/** TSC information (refused: no driver here has it). */
status_t vmi_get_tsc_info(vmi_instance_t vmi, uint32_t *tsc_mode, uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz, uint32_t *incarnation) VMI__NOEXCEPT;
/** MTRR registers (refused: no driver here has them). */
status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hwMtrr, unsigned long vcpu) VMI__NOEXCEPT;

/* =============================================================== control */

/** Register @reg (EAX ... MSR_*) of vCPU @vcpu. */
status_t vmi_get_vcpureg(vmi_instance_t vmi, uint64_t *value, reg_t reg,
                         unsigned long vcpu) VMI__NOEXCEPT;
/** All x86 registers of @vcpu (those the driver cannot read are 0; it
 *  fails when it cannot read the general ones). */
status_t vmi_get_vcpuregs(vmi_instance_t vmi, struct registers *regs,
                          unsigned long vcpu) VMI__NOEXCEPT;
status_t vmi_set_vcpureg(vmi_instance_t vmi, uint64_t value, reg_t reg,
                         unsigned long vcpu) VMI__NOEXCEPT;
/** Set the general, instruction-pointer, flags and control registers of
 *  @vcpu from @regs. */
status_t vmi_set_vcpuregs(vmi_instance_t vmi, struct registers *regs,
                          unsigned long vcpu) VMI__NOEXCEPT;
/** Add/remove a guest frame (refused: no driver here can). */
status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn) VMI__NOEXCEPT;
status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn) VMI__NOEXCEPT;
status_t vmi_pause_vm(vmi_instance_t vmi) VMI__NOEXCEPT;
status_t vmi_resume_vm(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Running or paused (a snapshot has no execution state: refused). */
status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *domain_status) VMI__NOEXCEPT;

/* ==================================== snapshots, direct access (2013 only) */

status_t vmi_shm_snapshot_create(vmi_instance_t vmi) VMI__NOEXCEPT;
status_t vmi_shm_snapshot_destroy(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Pointer into guest memory at @paddr; returns the contiguous bytes it covers (<= @count). */
size_t vmi_get_dgpma(vmi_instance_t vmi, addr_t paddr, void **buf_ptr, size_t count) VMI__NOEXCEPT;
/** Pointer into guest memory at @vaddr of @pid; contiguous bytes covered (<= @count). */
size_t vmi_get_dgvma(vmi_instance_t vmi, addr_t vaddr, pid_t pid, void **buf_ptr,
                     size_t count) VMI__NOEXCEPT;

/* ================================================================ caches */

/** Forget the translations through page table @pt (~0ull: all).  (LibVMI 0.14) */
void vmi_v2pcache_flush(vmi_instance_t vmi, addr_t pt) VMI__NOEXCEPT;
/** 2013: forget every cached translation. */
void vmi_v2pcache_flush__1(vmi_instance_t vmi) VMI__NOEXCEPT;
/** With @npt 0 as vmi_v2pcache_flush(); nested entries are never cached here. */
void vmi_v2pcache_nested_flush(vmi_instance_t vmi, addr_t pt, addr_t npt) VMI__NOEXCEPT;
void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa) VMI__NOEXCEPT;
/** With @npt 0 as vmi_v2pcache_add(); a nested entry is not cached. */
void vmi_v2pcache_nested_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t npt,
                             addr_t pa) VMI__NOEXCEPT;
void vmi_symcache_flush(vmi_instance_t vmi) VMI__NOEXCEPT;
void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym,
                      addr_t va) VMI__NOEXCEPT;
void vmi_rvacache_flush(vmi_instance_t vmi) VMI__NOEXCEPT;
void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva,
                      char *sym) VMI__NOEXCEPT;
void vmi_pidcache_flush(vmi_instance_t vmi) VMI__NOEXCEPT;
void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb) VMI__NOEXCEPT;
/** Forget the driver's mapped pages (re-read memory that may have moved). */
void vmi_pagecache_flush(vmi_instance_t vmi) VMI__NOEXCEPT;

/* ================================================== profiles and disks */

/** The System.map in use (config key sysmap); NULL when none. */
const char *vmi_get_linux_sysmap(vmi_instance_t vmi) VMI__NOEXCEPT;
/** NULL: no FreeBSD OS layer. */
const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi) VMI__NOEXCEPT;
/** The Rekall profile named by the configuration; NULL when none. */
const char *vmi_get_rekall_path(vmi_instance_t vmi) VMI__NOEXCEPT;
/** The JSON profile (Volatility 3 ISF) in use; NULL when none. */
const char *vmi_get_os_profile_path(vmi_instance_t vmi) VMI__NOEXCEPT;
/** Disks (refused: no driver here reaches the guest's disks). */
status_t vmi_read_disk(vmi_instance_t vmi, const char *device_id, uint64_t offset, uint64_t count,
                       void *buffer) VMI__NOEXCEPT;
char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num) VMI__NOEXCEPT;
status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id,
                              bool *bootable) VMI__NOEXCEPT;

/* ========================================= dispatch of the 2013 signatures */

#if defined(VMI__DISPATCH)
#define vmi_init(...) VMI__OVERLOAD(vmi_init, __VA_ARGS__)
#define vmi_init__6(...) (vmi_init)(__VA_ARGS__)
#define vmi_init_complete(...) VMI__OVERLOAD(vmi_init_complete, __VA_ARGS__)
#define vmi_init_complete__7(...) (vmi_init_complete)(__VA_ARGS__)
#define vmi_translate_kv2p(...) VMI__OVERLOAD(vmi_translate_kv2p, __VA_ARGS__)
#define vmi_translate_kv2p__3(...) (vmi_translate_kv2p)(__VA_ARGS__)
#define vmi_translate_uv2p(...) VMI__OVERLOAD(vmi_translate_uv2p, __VA_ARGS__)
#define vmi_translate_uv2p__4(...) (vmi_translate_uv2p)(__VA_ARGS__)
#define vmi_translate_ksym2v(...) VMI__OVERLOAD(vmi_translate_ksym2v, __VA_ARGS__)
#define vmi_translate_ksym2v__3(...) (vmi_translate_ksym2v)(__VA_ARGS__)
#define vmi_translate_v2sym(...) VMI__OVERLOAD(vmi_translate_v2sym, __VA_ARGS__)
#define vmi_translate_v2sym__3(...) (vmi_translate_v2sym)(__VA_ARGS__)
#define vmi_pid_to_dtb(...) VMI__OVERLOAD(vmi_pid_to_dtb, __VA_ARGS__)
#define vmi_pid_to_dtb__3(...) (vmi_pid_to_dtb)(__VA_ARGS__)
#define vmi_dtb_to_pid(...) VMI__OVERLOAD(vmi_dtb_to_pid, __VA_ARGS__)
#define vmi_dtb_to_pid__3(...) (vmi_dtb_to_pid)(__VA_ARGS__)
#define vmi_pagetable_lookup(...) VMI__OVERLOAD(vmi_pagetable_lookup, __VA_ARGS__)
#define vmi_pagetable_lookup__4(...) (vmi_pagetable_lookup)(__VA_ARGS__)
#define vmi_read_pa(...) VMI__OVERLOAD(vmi_read_pa, __VA_ARGS__)
#define vmi_read_pa__5(...) (vmi_read_pa)(__VA_ARGS__)
#define vmi_read_va(...) VMI__OVERLOAD(vmi_read_va, __VA_ARGS__)
#define vmi_read_va__6(...) (vmi_read_va)(__VA_ARGS__)
#define vmi_read_ksym(...) VMI__OVERLOAD(vmi_read_ksym, __VA_ARGS__)
#define vmi_read_ksym__5(...) (vmi_read_ksym)(__VA_ARGS__)
#define vmi_write_pa(...) VMI__OVERLOAD(vmi_write_pa, __VA_ARGS__)
#define vmi_write_pa__5(...) (vmi_write_pa)(__VA_ARGS__)
#define vmi_write_va(...) VMI__OVERLOAD(vmi_write_va, __VA_ARGS__)
#define vmi_write_va__6(...) (vmi_write_va)(__VA_ARGS__)
#define vmi_write_ksym(...) VMI__OVERLOAD(vmi_write_ksym, __VA_ARGS__)
#define vmi_write_ksym__5(...) (vmi_write_ksym)(__VA_ARGS__)
#define vmi_get_access_mode(...) VMI__OVERLOAD(vmi_get_access_mode, __VA_ARGS__)
#define vmi_get_access_mode__5(...) (vmi_get_access_mode)(__VA_ARGS__)
#define vmi_get_page_mode(...) VMI__OVERLOAD(vmi_get_page_mode, __VA_ARGS__)
#define vmi_get_page_mode__2(...) (vmi_get_page_mode)(__VA_ARGS__)
#define vmi_get_offset(...) VMI__OVERLOAD(vmi_get_offset, __VA_ARGS__)
#define vmi_get_offset__3(...) (vmi_get_offset)(__VA_ARGS__)
#define vmi_v2pcache_flush(...) VMI__OVERLOAD(vmi_v2pcache_flush, __VA_ARGS__)
#define vmi_v2pcache_flush__2(...) (vmi_v2pcache_flush)(__VA_ARGS__)
/* vmi_translate_sym2v has four arguments in both: the second one tells. */
#ifndef __cplusplus
#define vmi_translate_sym2v(vmi, where, ...)                                        \
    __extension__ _Generic((where),                                               \
                           const access_context_t *: (vmi_translate_sym2v),       \
                           access_context_t *: (vmi_translate_sym2v),             \
                           default: vmi_translate_sym2v__4)((vmi), (where), __VA_ARGS__)
#endif
/* The 2013 config flags: inside these two calls VMI_CONFIG_* are the 2013
 * bits, so that they can be or'ed with an access mode; a
 * "(vmi_config_t)pointer" argument is passed on as the pointer. */
#if defined(__GNUC__)
#ifdef __cplusplus
#define VMI__CONFIG_PTR(c) (c)
#else
#define VMI__CONFIG_PTR(c) _Generic((c), vmi_config_t: (void *)(uintptr_t)(c), default: (c))
#endif
#define VMI__CONFIG_2013_CALL(fn, vmi, flags, config)                                       \
    (__extension__({                                                                      \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"")      \
        enum { VMI_CONFIG_GLOBAL_FILE_ENTRY = 1 << 25, VMI_CONFIG_STRING = 1 << 26,        \
               VMI_CONFIG_GHASHTABLE = 1 << 27, VMI_CONFIG_JSON_PATH = 1 << 28,            \
               VMI_CONFIG_FILE_PATH = 1 << 29 };                                           \
        _Pragma("GCC diagnostic pop")                                                     \
        (fn)((vmi), (uint32_t)(flags), VMI__CONFIG_PTR(config));                          \
    }))
#define vmi_init_custom(vmi, flags, config) \
    VMI__CONFIG_2013_CALL(vmi_init_custom, vmi, flags, config)
#define vmi_init_complete_custom(vmi, flags, config) \
    VMI__CONFIG_2013_CALL(vmi_init_complete_custom, vmi, flags, config)
#endif
#elif defined(LIBVMI_API_2013)
#define vmi_init vmi_init__3
#define vmi_init_complete vmi_init_complete__2
#define vmi_translate_kv2p vmi_translate_kv2p__2
#define vmi_translate_uv2p vmi_translate_uv2p__3
#define vmi_translate_ksym2v vmi_translate_ksym2v__2
#define vmi_translate_sym2v vmi_translate_sym2v__4
#define vmi_translate_v2sym vmi_translate_v2sym__4
#define vmi_pid_to_dtb vmi_pid_to_dtb__2
#define vmi_dtb_to_pid vmi_dtb_to_pid__2
#define vmi_pagetable_lookup vmi_pagetable_lookup__3
#define vmi_read_pa vmi_read_pa__4
#define vmi_read_va vmi_read_va__5
#define vmi_read_ksym vmi_read_ksym__4
#define vmi_write_pa vmi_write_pa__4
#define vmi_write_va vmi_write_va__5
#define vmi_write_ksym vmi_write_ksym__4
#define vmi_get_access_mode vmi_get_access_mode__1
#define vmi_get_page_mode vmi_get_page_mode__1
#define vmi_get_offset vmi_get_offset__2
#define vmi_v2pcache_flush vmi_v2pcache_flush__1
#endif

/* Events: the structures and calls, in their own header. */
#include "events.h"   /* beside this header, installed or not */

/* ============================================ additions (not classic API) */

/** Text of the last error on this instance (or of the last failed init
 *  on this thread when @vmi is NULL); never NULL, owned by the library. */
const char *vmi_get_last_error(vmi_instance_t vmi) VMI__NOEXCEPT;

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
vmi_error_code_t vmi_get_last_error_code(vmi_instance_t vmi) VMI__NOEXCEPT;

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
addr_t vmi_get_kaslr_offset(vmi_instance_t vmi) VMI__NOEXCEPT;

/** Name of the access path in use: "file-raw", "file-elf", "shm", ... */
const char *vmi_get_access_path(vmi_instance_t vmi) VMI__NOEXCEPT;

/** End of the highest backed guest-physical address (RAM or ROM) + 1: the
 *  extent to walk for a full dump.  Not classic API. */
addr_t vmi_get_max_physical_address(vmi_instance_t vmi) VMI__NOEXCEPT;

/** The first run of guest-physical memory at or above @paddr that holds
 *  data: sets *start (>= @paddr) and *end (exclusive) and returns
 *  VMI_SUCCESS, or VMI_FAILURE when nothing at or above @paddr does.  The
 *  gaps between RAM ranges, the zero-filled tail of an ELF segment and the
 *  holes of a sparse snapshot file (which read as zeros) are skipped, so a
 *  dump or a search walks the memory, not the whole address span.  Not
 *  classic API. */
status_t vmi_get_backed_range(vmi_instance_t vmi, addr_t paddr, addr_t *start, addr_t *end);

/** Kernel banner ("Linux version ..."); caller frees; NULL when unknown. */
char *vmi_get_kernel_version(vmi_instance_t vmi) VMI__NOEXCEPT;

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
const char *vmi_get_ram_file(vmi_instance_t vmi) VMI__NOEXCEPT;

/** Number of vCPUs of the guest; 0 when the driver cannot tell. */
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi) VMI__NOEXCEPT;

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
#if defined(VMI__DISPATCH)
/* C++: the 2013 vmi_translate_sym2v as an overload of the modern one. */
static inline addr_t vmi_translate_sym2v(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid,
                                         const char *symbol) noexcept
{
    return vmi_translate_sym2v__4(vmi, base_vaddr, pid, symbol);
}
#endif
#endif

#endif /* LIBVMI_H */
