/*
 * synth.h - a synthetic Linux guest for the unit tests: a raw memory image
 * with x86 page tables (4-level, 5-level or 32-bit PAE), a kernel image at a
 * randomised physical and virtual address, a list of tasks, user address
 * spaces, and the System.map that describes it.
 *
 * Everything is built from a fixed seed, and the generator records what a
 * correct reader must find (addresses, pids, names, page directories)
 * without asking the library anything.
 */
#ifndef SYNTH_H
#define SYNTH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef enum { SYNTH_IA32E, SYNTH_LA57, SYNTH_PAE } synth_mode_t;

#define SYNTH_SEED       0x5eed
#define SYNTH_COMM_LEN   16
#define SYNTH_MAX_TASKS  64

typedef struct synth_task {
    int32_t pid;
    char comm[SYNTH_COMM_LEN];          /* as stored in the guest (maybe no NUL) */
    char name[SYNTH_COMM_LEN];          /* what a reader must report */
    uint64_t task_va, task_pa;          /* the task_struct */
    bool user;                          /* has an mm */
    uint64_t mm_va;                     /* 0 for kernel threads */
    uint64_t pgd_va;                    /* mm->pgd (kernel virtual) */
    uint64_t dtb;                       /* physical; the kernel's for kernel threads */
    uint64_t upage_pa[3];               /* user text, text + 4 KiB, stack page */
} synth_task_t;

typedef struct synth_offsets {
    uint64_t tasks, mm, pid, name, pgd;
} synth_offsets_t;

typedef struct synth {
    synth_mode_t mode;
    unsigned width;             /* guest pointer size: 4 or 8 */
    uint8_t *mem;               /* guest-physical memory */
    uint64_t mem_size;
    uint8_t *dirty;             /* one flag per 4 KiB page written */

    uint64_t phys_text;         /* physical address of _text */
    uint64_t map_text;          /* _text in System.map */
    uint64_t virt_text;         /* runtime virtual address of _text */
    uint64_t slide;             /* virt_text - map_text */
    uint64_t page_offset;       /* direct map base: va = page_offset + pa */
    uint64_t kdtb;              /* kernel page directory (physical) */
    uint64_t kroot_off;         /* image offset of the kernel's top-level table */
    synth_offsets_t off;
    const char *banner;

    size_t ntasks;              /* tasks[0] is init_task */
    synth_task_t tasks[SYNTH_MAX_TASKS + 1];

    uint64_t user_text_va;      /* 0x400000: "argv-marker-<pid>", 2 pages mapped */
    uint64_t user_stack_va;     /* "ENV=value-<pid>" */
    uint64_t unmapped_kva;      /* a kernel address with nothing mapped */
    /* physical memory below 2 MiB is left empty (zero) */

    /* physical page allocator */
    GRand *rand;
    uint32_t *free_frames;
    size_t nfree;
    uint64_t ktab_next, ktab_end;
} synth_t;

/* Builds the guest (deterministic: GRand seeded with SYNTH_SEED). */
synth_t *synth_new(synth_mode_t mode, size_t ntasks);
void synth_free(synth_t *g);

/* Image offset (from _text) of a symbol the generator placed; aborts for
 * an unknown name. */
uint64_t synth_sym_off(const synth_t *g, const char *name);
/* Runtime virtual address and physical address of that symbol. */
uint64_t synth_sym_va(const synth_t *g, const char *name);
uint64_t synth_sym_pa(const synth_t *g, const char *name);

/* Physical address of a kernel virtual address in the image or the direct
 * map (by construction, not by walking); 0 when neither. */
uint64_t synth_kva2pa(const synth_t *g, uint64_t va);

/* Writable pointer to guest-physical memory (marks the pages dirty). */
void *synth_ptr(synth_t *g, uint64_t pa, size_t len);
void synth_write(synth_t *g, uint64_t pa, const void *data, size_t len);
void synth_write_ptr(synth_t *g, uint64_t pa, uint64_t value);   /* g->width bytes */

/* The System.map text; @banner_delta moves linux_banner (another kernel's
 * map).  Caller frees. */
char *synth_sysmap(const synth_t *g, int64_t banner_delta);

/* Writes the raw image (sparse) to @path. */
bool synth_write_image(const synth_t *g, const char *path, GError **error);

#endif
