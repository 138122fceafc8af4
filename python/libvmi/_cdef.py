"""The C declarations of libvmi that the binding calls (shared by the ABI
mode loader, _ffi.py, and the API-mode build, build-api.py)."""

CDEF = r"""
typedef uint64_t addr_t;
typedef int32_t vmi_pid_t;
typedef uint64_t reg_t;
typedef struct vmi_instance *vmi_instance_t;
typedef int status_t;
typedef int vmi_init_error_t;
typedef int os_t;
typedef int win_ver_t;
typedef int page_mode_t;
typedef int vmi_arch_t;
typedef int vmi_mode_t;
typedef int vmi_error_code_t;
typedef uintptr_t vmi_config_t;
typedef uint32_t translation_mechanism_t;
typedef uint32_t page_size_t;

typedef struct {
    uint64_t type;
    void *data;
} vmi_init_data_entry_t;

typedef struct {
    uint64_t count;
    vmi_init_data_entry_t entry[];
} vmi_init_data_t;

typedef struct {
    uint32_t version;
    uint32_t _pad;
    page_mode_t pm;
    page_mode_t npm;
    addr_t npt;
    translation_mechanism_t translate_mechanism;
    uint32_t _pad2;
    union {
        struct {
            addr_t addr;
            union {
                addr_t dtb;
                addr_t pt;
                vmi_pid_t pid;
            };
        };
        const char *ksym;
    };
} access_context_t;

typedef struct x86_regs {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rflags;
    uint64_t dr6, dr7;
    uint64_t rip;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t msr_efer, msr_star, msr_lstar, msr_pat, msr_cstar;
    uint64_t fs_base, fs_limit, fs_sel, fs_arbytes;
    uint64_t gs_base, gs_limit, gs_sel, gs_arbytes;
    uint64_t cs_base, cs_limit, cs_sel, cs_arbytes;
    uint64_t ss_base, ss_limit, ss_sel, ss_arbytes;
    uint64_t ds_base, ds_limit, ds_sel, ds_arbytes;
    uint64_t es_base, es_limit, es_sel, es_arbytes;
    uint64_t tr_base, tr_limit, tr_sel, tr_arbytes;
    uint64_t ldt_base, ldt_limit, ldt_sel, ldt_arbytes;
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

typedef struct registers {
    union {
        x86_registers_t x86;
        arm_registers_t arm;
    };
} registers_t;

typedef struct page_info {
    addr_t vaddr;
    addr_t paddr;
    addr_t naddr;
    page_size_t size;
    page_size_t nsize;
    addr_t pt;
    page_mode_t pm;
    addr_t npt;
    page_mode_t npm;
    addr_t _levels[9];
} page_info_t;

typedef struct _ustring {
    size_t length;
    uint8_t *contents;
    const char *encoding;
} unicode_string_t;

typedef struct vmi_process {
    vmi_pid_t pid;
    char name[32];
    addr_t task;
    addr_t dtb;
} vmi_process_t;

/* ---- events.h */
typedef struct reg_event {
    reg_t reg;
    reg_t equal;
    reg_t mask;
    uint8_t async;
    uint8_t onchange;
    uint8_t in_access;
    uint8_t out_access;
    uint32_t msr;
    reg_t value;
    reg_t previous;
    reg_t context;
} reg_event_t;

typedef struct mem_access_event {
    addr_t gfn;
    uint8_t generic;
    uint8_t in_access;
    uint8_t out_access;
    uint8_t gptw;
    uint8_t gla_valid;
    uint8_t _pad[3];
    addr_t gla;
    addr_t offset;
    int granularity;
    addr_t physical_address;
    uint64_t npages;
} mem_access_event_t;

typedef struct interrupt_event {
    uint8_t intr;
    int8_t reinject;
    uint8_t enabled;
    uint8_t _pad1;
    uint32_t insn_length;
    addr_t gla;
    addr_t gfn;
    addr_t offset;
    uint32_t vector;
    uint32_t type;
    uint32_t error_code;
    uint32_t _pad2;
    uint64_t cr2;
} interrupt_event_t;

typedef struct single_step_event {
    uint32_t vcpus;
    uint8_t enable;
    uint8_t _pad[3];
    addr_t gla;
    addr_t gfn;
    addr_t offset;
} single_step_event_t;

typedef struct debug_event {
    addr_t gla, gfn, offset;
    uint32_t insn_length;
    uint8_t type;
    int8_t reinject;
    uint16_t _pad;
} debug_event_t;

typedef struct cpuid_event {
    uint32_t insn_length;
    uint32_t leaf;
    uint32_t subleaf;
    uint32_t _pad;
} cpuid_event_t;

typedef struct vmi_event vmi_event_t;
typedef uint32_t (*event_callback_t)(vmi_instance_t vmi, vmi_event_t *event);

struct vmi_event {
    uint32_t version;
    uint16_t type;
    uint16_t slat_id;
    uint16_t next_slat_id;
    uint16_t _reserved[3];
    void *data;
    event_callback_t callback;
    uint32_t vcpu_id;
    page_mode_t page_mode;
    union {
        reg_event_t reg_event;
        mem_access_event_t mem_event;
        single_step_event_t ss_event;
        interrupt_event_t interrupt_event;
        debug_event_t debug_event;
        cpuid_event_t cpuid_event;
        uint8_t _largest[56];
    };
    union {
        x86_registers_t *x86_regs;
        arm_registers_t *arm_regs;
        void *_emul;
    };
};

/* ---- calls */
status_t vmi_init(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain, uint64_t init_flags,
                  vmi_init_data_t *init_data, vmi_init_error_t *error);
status_t vmi_init_complete(vmi_instance_t *vmi, const void *domain, uint64_t init_flags,
                           vmi_init_data_t *init_data, vmi_config_t config_mode, void *config,
                           vmi_init_error_t *error);
page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags);
os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                 vmi_init_error_t *error);
status_t vmi_destroy(vmi_instance_t vmi);
vmi_arch_t vmi_get_library_arch(void);
status_t vmi_get_access_mode(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode);

const char *vmi_get_last_error(vmi_instance_t vmi);
vmi_error_code_t vmi_get_last_error_code(vmi_instance_t vmi);

status_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr);
status_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *paddr);
status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr);
status_t vmi_translate_sym2v(vmi_instance_t vmi, const access_context_t *ctx, const char *symbol,
                             addr_t *vaddr);
const char *vmi_translate_v2sym(vmi_instance_t vmi, const access_context_t *ctx, addr_t rva);
const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx, addr_t va);
const char *vmi_translate_v2ksym_nearest(vmi_instance_t vmi, addr_t va, addr_t *offset);
status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb);
status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid);
status_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t pt, addr_t vaddr, addr_t *paddr);
status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info);

status_t vmi_read(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                  size_t *bytes_read);
status_t vmi_read_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value);
status_t vmi_read_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value);
status_t vmi_read_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value);
status_t vmi_read_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value);
status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value);
char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx);
unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx);
status_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                     size_t *bytes_read);
status_t vmi_read_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                     size_t *bytes_read);
status_t vmi_read_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                       size_t *bytes_read);
status_t vmi_read_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value);
status_t vmi_read_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value);
status_t vmi_read_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value);
status_t vmi_read_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value);
status_t vmi_read_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value);
char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym);
status_t vmi_read_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value);
status_t vmi_read_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value);
status_t vmi_read_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value);
status_t vmi_read_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value);
status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value);
char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid);
unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid);
status_t vmi_read_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value);
status_t vmi_read_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value);
status_t vmi_read_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value);
status_t vmi_read_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value);
status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value);
char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr);
void vmi_free_unicode_str(unicode_string_t *p_us);

status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                   size_t *bytes_written);
status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                        size_t *bytes_written);
status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                      size_t *bytes_written);
status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                      size_t *bytes_written);
status_t vmi_write_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value);
status_t vmi_write_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value);
status_t vmi_write_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value);
status_t vmi_write_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value);
status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value);
status_t vmi_write_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value);
status_t vmi_write_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value);
status_t vmi_write_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value);
status_t vmi_write_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value);
status_t vmi_write_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value);
status_t vmi_write_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value);
status_t vmi_write_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value);
status_t vmi_write_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value);
status_t vmi_write_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value);
status_t vmi_write_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value);
status_t vmi_write_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value);
status_t vmi_write_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value);
status_t vmi_write_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value);
status_t vmi_write_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value);
status_t vmi_write_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value);

char *vmi_get_name(vmi_instance_t vmi);
uint64_t vmi_get_vmid(vmi_instance_t vmi);
page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu);
uint8_t vmi_get_address_width(vmi_instance_t vmi);
os_t vmi_get_ostype(vmi_instance_t vmi);
win_ver_t vmi_get_winver(vmi_instance_t vmi);
const char *vmi_get_winver_str(vmi_instance_t vmi);
win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa);
status_t vmi_get_offset(vmi_instance_t vmi, const char *offset_name, addr_t *offset);
status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *struct_name,
                                      const char *member, addr_t *addr);
uint64_t vmi_get_memsize(vmi_instance_t vmi);
addr_t vmi_get_max_physical_address(vmi_instance_t vmi);
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi);
status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu, uint64_t virtual_address,
                                uint32_t error_code);
const char *vmi_get_rekall_path(vmi_instance_t vmi);
const char *vmi_get_os_profile_path(vmi_instance_t vmi);
const char *vmi_get_linux_sysmap(vmi_instance_t vmi);

status_t vmi_get_vcpureg(vmi_instance_t vmi, uint64_t *value, reg_t reg, unsigned long vcpu);
status_t vmi_get_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu);
status_t vmi_set_vcpureg(vmi_instance_t vmi, uint64_t value, reg_t reg, unsigned long vcpu);
status_t vmi_set_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu);
status_t vmi_pause_vm(vmi_instance_t vmi);
status_t vmi_resume_vm(vmi_instance_t vmi);

status_t vmi_shm_snapshot_create(vmi_instance_t vmi);
status_t vmi_shm_snapshot_destroy(vmi_instance_t vmi);

void vmi_v2pcache_flush(vmi_instance_t vmi, addr_t pt);
void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa);
void vmi_symcache_flush(vmi_instance_t vmi);
void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym, addr_t va);
void vmi_rvacache_flush(vmi_instance_t vmi);
void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva, char *sym);
void vmi_pidcache_flush(vmi_instance_t vmi);
void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb);
void vmi_pagecache_flush(vmi_instance_t vmi);

uint32_t vmi_events_version(void);
status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event);
status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *event, void *free_routine);
status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout);
int vmi_are_events_pending(vmi_instance_t vmi);
status_t vmi_toggle_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu,
                                     bool enabled);
status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu);
status_t vmi_shutdown_single_step(vmi_instance_t vmi);

/* ours (not classic API) */
status_t vmi_get_processes(vmi_instance_t vmi, vmi_process_t **list, size_t *count);
addr_t vmi_get_kaslr_offset(vmi_instance_t vmi);
const char *vmi_get_access_path(vmi_instance_t vmi);
status_t vmi_get_backed_range(vmi_instance_t vmi, addr_t paddr, addr_t *start, addr_t *end);
char *vmi_get_kernel_version(vmi_instance_t vmi);
const char *vmi_get_value_source(vmi_instance_t vmi, const char *name);
const char *vmi_get_ram_file(vmi_instance_t vmi);
char *vmi_config_read_entry(const char *path, const char *entry);

void free(void *ptr);
"""


def api_cdef():
    """CDEF for cffi's API mode: the enum typedefs as integers of the
    compiler's size, and the structures whose padding CDEF spells out (for
    ABI mode) left to the compiler ("...;"), which checks every member."""
    c = CDEF
    for t in ("status_t", "vmi_init_error_t", "os_t", "win_ver_t", "page_mode_t", "vmi_arch_t",
              "vmi_mode_t", "vmi_error_code_t"):
        c = c.replace("typedef int %s;" % t, "typedef int... %s;" % t)
    c = c.replace("typedef uintptr_t vmi_config_t;", "typedef int... vmi_config_t;")
    c = c.replace("typedef uint32_t page_size_t;", "typedef int... page_size_t;")
    c = c.replace("    addr_t _levels[9];\n", "    ...;\n")
    c = c.replace("        uint8_t _largest[56];\n", "")
    c = c.replace("        void *_emul;\n", "")
    c = c.replace("        arm_registers_t *arm_regs;\n    };\n};",
                  "        arm_registers_t *arm_regs;\n    };\n    ...;\n};")
    return c + "\n#define LIBVMI_CFFI_API 1\n"
