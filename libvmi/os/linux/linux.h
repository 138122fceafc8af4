/*
 * linux.h - the Linux OS layer's private state.
 *
 * Symbols come from a symbol source (a System.map file, the kallsyms tables
 * in guest memory, or a Volatility 3 ISF file) and structure offsets from an
 * offsets source (configuration keys, the kernel's BTF in guest memory, or
 * an ISF file).  Configuration keys always win; each value remembers where
 * it came from (linux_source()).
 */
#ifndef VMI_LINUX_H
#define VMI_LINUX_H

#include "private.h"
#include "sysmap.h"

typedef struct ksyms ksyms_t;
typedef struct btf btf_t;
typedef struct isf isf_t;

typedef enum {
    LINUX_SYMS_NONE,
    LINUX_SYMS_SYSMAP,      /* System.map file: addresses unrelocated */
    LINUX_SYMS_KALLSYMS,    /* kallsyms in guest memory: runtime addresses */
    LINUX_SYMS_ISF,         /* ISF file: addresses unrelocated */
} linux_syms_kind_t;

/* The offsets the process walk needs, in this order everywhere. */
enum { LINUX_OFF_TASKS, LINUX_OFF_MM, LINUX_OFF_PID, LINUX_OFF_NAME, LINUX_OFF_PGD, LINUX_OFF_N };

typedef enum {
    LINUX_SRC_NONE,
    LINUX_SRC_CONFIG,
    LINUX_SRC_BTF,
    LINUX_SRC_ISF,
} linux_src_t;

typedef struct linux_data {
    /* ---- symbols */
    linux_syms_kind_t syms_kind;
    sysmap_t *sysmap;
    ksyms_t *ksyms;
    isf_t *isf;
    char *syms_origin;      /* "System.map /path", "kallsyms (guest memory)", "ISF /path" */
    bool syms_from_cache;   /* kallsyms located through the profile cache */

    /* ---- offsets (task_struct.tasks/mm/pid/comm, mm_struct.pgd) */
    uint64_t off[LINUX_OFF_N];
    linux_src_t off_src[LINUX_OFF_N];
    bool has_offsets;
    char *off_error;        /* why they are missing, when they are */
    btf_t *btf;             /* the kernel's BTF, when read */
    uint8_t *btf_data;      /* its bytes (owned) */
    size_t btf_len;
    char *btf_error;        /* why there is no BTF, when there is none */

    /* ---- where the kernel is */
    addr_t map_text;        /* _text in the symbol source (unrelocated; = virt_text for kallsyms) */
    addr_t slide;           /* virtual KASLR slide: runtime - unrelocated (0x...81000000 based) */
    addr_t sym_slide;       /* added to a System.map/ISF address to give the runtime one */
    addr_t virt_text;       /* runtime virtual address of _text */
    addr_t phys_text;       /* physical address of _text */
    addr_t image_size;      /* bytes of the image mapped from _text (memory search) */
    addr_t init_task;       /* runtime virtual address of init_task */
    bool is64;
    char *banner;           /* linux_banner, read once */
    char how_found[64];     /* how the kernel was found: "System.map", "trampoline", "CR3" ... */
} linux_data_t;

/* compatibility names used by the process walk */
#define off_tasks off[LINUX_OFF_TASKS]
#define off_mm    off[LINUX_OFF_MM]
#define off_pid   off[LINUX_OFF_PID]
#define off_name  off[LINUX_OFF_NAME]
#define off_pgd   off[LINUX_OFF_PGD]

static inline linux_data_t *linux_data(vmi_instance_t vmi)
{
    return vmi->os_data;
}

#define X86_64_START_KERNEL_MAP 0xffffffff80000000ull
#define X86_64_KERNEL_IMAGE_SIZE (1ull << 30)     /* KASLR range of the image */

/* linux_kaslr.c: with a System.map (or ISF) symbol source: finds paging mode,
 * kernel page directory, and the physical and virtual location of the kernel. */
bool linux_find_kernel(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config, GError **error);

/* linux_memfind.c: with nothing but memory: finds the kernel image, its
 * kallsyms tables (the symbol source) and the kernel page directory. */
bool linux_find_kernel_in_memory(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config,
                                 GError **error);
/* Reads kernel virtual memory through the kernel page directory (for the
 * kallsyms decoder); large reads do not grow the resident set. */
bool linux_kread(void *vmi, addr_t va, void *buf, size_t len);

/* linux_symbols.c: the symbol source, runtime addresses in and out */
bool linux_sym(linux_data_t *ld, const char *name, addr_t *va);
size_t linux_sym_many(linux_data_t *ld, const char *const *names, size_t n, addr_t *va,
                      bool *found);
/* Nearest symbol at or below @va: name into @buf; false when none. */
bool linux_sym_nearest(linux_data_t *ld, addr_t va, char *buf, size_t size, addr_t *sym_va);
const char *linux_syms_name(const linux_data_t *ld);

/* linux_offsets.c: the offsets source */
/* Fills ld->off from config keys, then BTF (read from guest memory between
 * __start_BTF and __stop_BTF), then the ISF.  Errors name what is missing. */
/* Config key, structure and member of each LINUX_OFF_* offset. */
extern const char *const linux_off_keys[LINUX_OFF_N];
extern const char *const linux_off_type[LINUX_OFF_N];
extern const char *const linux_off_member[LINUX_OFF_N];
bool linux_find_offsets(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config, GError **error);
bool linux_struct_offset(vmi_instance_t vmi, linux_data_t *ld, const char *type,
                         const char *member, uint64_t *off, GError **error);
const char *linux_src_name(linux_src_t src);

/* linux_profile.c: the profile cache (where kallsyms is in a kernel build) */
bool linux_profile_load(vmi_instance_t vmi, linux_data_t *ld);
void linux_profile_store(vmi_instance_t vmi, linux_data_t *ld);

/* linux_process.c */
bool linux_check_offsets(vmi_instance_t vmi, linux_data_t *ld, GError **error);
bool linux_processes(vmi_instance_t vmi, vmi_process_t **list, size_t *count, GError **error);
bool linux_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error);
bool linux_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid, GError **error);

#endif
