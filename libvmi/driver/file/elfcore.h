/*
 * elfcore.h - parser for ELF core files holding guest-physical memory, as
 * written by QEMU's dump-guest-memory and `virsh dump --memory-only`.
 *
 * Pure: works on a byte buffer (the mmap of the file), never reads past
 * @size, and rejects truncated or corrupt files with a GError.
 */
#ifndef VMI_ELFCORE_H
#define VMI_ELFCORE_H

#include <glib.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

/* Error domain of elfcore_parse(). */
#define ELFCORE_ERROR (elfcore_error_quark())
GQuark elfcore_error_quark(void);

typedef enum {
    ELFCORE_ERROR_TRUNCATED,    /* a structure runs past the end of the file */
    ELFCORE_ERROR_INVALID,      /* not an ELF core, or inconsistent headers/notes */
    ELFCORE_ERROR_UNSUPPORTED,  /* valid ELF, but a class/byte order/machine we do not read */
} elfcore_error_t;

/* Bounds on what a file may claim, so hostile counts cannot make us
 * allocate or loop without limit. */
#define ELFCORE_MAX_PHDRS   65536
#define ELFCORE_MAX_CPUS    1024

/* A physical range backed by file bytes (PT_LOAD p_paddr/p_offset/p_filesz).
 * Bytes between p_filesz and p_memsz are zero (not backed).  PT_LOADs with
 * p_filesz == 0 are dropped: QEMU writes those (with p_offset = -1) for
 * memory left out by a begin/length filter, which is absent, not zero. */
typedef struct elfcore_range {
    uint64_t pa;        /* first guest-physical address */
    uint64_t size;      /* bytes present in the file */
    uint64_t memsize;   /* p_memsz (>= size) */
    uint64_t offset;    /* file offset of pa */
} elfcore_range_t;

/* Registers of one vCPU as far as the notes carry them.  Where both notes
 * carry a register the QEMU note wins: it holds full 64-bit values and whole
 * segment descriptors, NT_PRSTATUS only selectors (and, for i386, 32 bits). */
typedef struct elfcore_cpu {
    bool has_prstatus;      /* NT_PRSTATUS seen */
    bool has_qemu;          /* "QEMU" note (QEMUCPUState) seen */
    /* general registers (from NT_PRSTATUS or the QEMU note) */
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    /* segment selectors/limits/flags/bases: cs ds es fs gs ss ldt tr gdt idt */
    struct { uint32_t selector, limit, flags; uint64_t base; } seg[10];
    uint64_t cr[5];             /* cr0..cr4 (QEMU note only) */
    uint64_t kernel_gs_base;    /* if the note is big enough */
    bool has_kernel_gs_base;
} elfcore_cpu_t;

/* index into elfcore_cpu_t.seg, in QEMUCPUState order */
enum { ELFCORE_SEG_CS, ELFCORE_SEG_DS, ELFCORE_SEG_ES, ELFCORE_SEG_FS, ELFCORE_SEG_GS,
       ELFCORE_SEG_SS, ELFCORE_SEG_LDT, ELFCORE_SEG_TR, ELFCORE_SEG_GDT, ELFCORE_SEG_IDT };

typedef struct elfcore {
    int elf_class;              /* 32 or 64 */
    uint16_t machine;           /* EM_X86_64 (62) or EM_386 (3) */
    elfcore_range_t *ranges;    /* sorted by pa, non-overlapping */
    size_t nranges;
    elfcore_cpu_t *cpus;        /* in note order = vCPU order */
    size_t ncpus;
} elfcore_t;

/* true if @data starts with an ELF magic (cheap format sniffing). */
bool elfcore_is_elf(const uint8_t *data, size_t size);

/* Parse; on success fills @out (free with elfcore_clear) and returns true.
 * On failure returns false with @error set (domain ELFCORE_ERROR) and leaves
 * @out zeroed, so elfcore_clear() is always safe.  @out keeps no pointer
 * into @data. */
bool elfcore_parse(const uint8_t *data, size_t size, elfcore_t *out, GError **error);

/* Free what elfcore_parse() allocated and zero @core. */
void elfcore_clear(elfcore_t *core);

/* Index of the range with pa <= @pa < pa + memsize, or -1.  Binary search.
 * The caller checks @pa against pa + size for the zero-filled tail. */
ssize_t elfcore_find(const elfcore_t *core, uint64_t pa);

#endif
