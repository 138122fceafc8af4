/*
 * synth.c - the synthetic Linux guest; see synth.h.
 *
 * Layout (offsets from _text, inside the kernel image of 4 MiB):
 *   0x000000 _text (a page of random "code")
 *   0x100000 linux_banner
 *   0x180000 synth_ustr: a UNICODE_STRING whose buffer follows at +0x10
 *   0x200000 the kernel's top-level page table (init_top_pgt / swapper_pg_dir)
 *   0x201000 the kernel's lower page tables (bump allocated)
 *   0x210000 init_task
 *   0x220000 jiffies
 * Outside the image, physical frames are handed out in a random order for
 * task structures, mm structures, user page tables and user pages; the
 * kernel reaches them through its direct map.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "synth.h"

#define MiB (1ull << 20)
#define PAGE 4096ull
#define IMAGE_SIZE (4 * MiB)
#define ADDR_MASK 0x000ffffffffff000ull

#define PTE_P   0x001ull
#define PTE_RW  0x002ull
#define PTE_US  0x004ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PS  0x080ull
#define PTE_G   0x100ull
#define PTE_NX  (1ull << 63)
#define KERNPG_TABLE (PTE_P | PTE_RW | PTE_A | PTE_D)
#define USERPG_TABLE (KERNPG_TABLE | PTE_US)

#define OFF_USTR    0x180000
#define OFF_ROOT    0x200000
#define OFF_KTAB    0x201000
#define OFF_KTAB_END 0x210000
#define OFF_INIT    0x210000
#define OFF_JIFFIES 0x220000

typedef struct sym {
    uint64_t off;
    char type;
    const char *name;   /* NULL: the mode's name (see sym_name) */
    int alt;            /* index into the per-mode names */
} sym_t;

/* In address order, as a System.map is. */
static const sym_t syms[] = {
    { 0x000000, 'T', "_text", 0 },
    { 0x000000, 'T', NULL, 0 },             /* startup_64 / startup_32 */
    { 0x000060, 'T', NULL, 1 },             /* secondary_startup_64 / startup_32_smp */
    { 0x001000, 'T', "_stext", 0 },
    { 0x0e1230, 'T', "do_syscall_64", 0 },
    { 0x0e1400, 't', "syscall_exit_work", 0 },
    { 0x0f0000, 'T', "_etext", 0 },
    { 0x100000, 'R', "linux_banner", 0 },
    { 0x100100, 'R', "linux_proc_banner", 0 },
    { OFF_USTR, 'D', "synth_ustr", 0 },
    { OFF_ROOT, 'D', NULL, 2 },             /* init_top_pgt / swapper_pg_dir */
    { OFF_INIT, 'D', "init_task", 0 },
    { OFF_JIFFIES, 'D', "jiffies", 0 },
    { OFF_JIFFIES, 'D', "jiffies_64", 0 },
    { 0x230000, 'B', "__bss_start", 0 },
    { 0x3ff000, 'B', "_end", 0 },
};

static const char *sym_name(const synth_t *g, const sym_t *s)
{
    static const char *const names64[] = { "startup_64", "secondary_startup_64", "init_top_pgt" };
    static const char *const names32[] = { "startup_32", "startup_32_smp", "swapper_pg_dir" };
    if (s->name)
        return s->name;
    return g->mode == SYNTH_PAE ? names32[s->alt] : names64[s->alt];
}

uint64_t synth_sym_off(const synth_t *g, const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(syms); i++)
        if (strcmp(sym_name(g, &syms[i]), name) == 0)
            return syms[i].off;
    g_error("synth: no symbol %s", name);
    return 0;
}

uint64_t synth_sym_va(const synth_t *g, const char *name)
{
    return g->virt_text + synth_sym_off(g, name);
}

uint64_t synth_sym_pa(const synth_t *g, const char *name)
{
    return g->phys_text + synth_sym_off(g, name);
}

uint64_t synth_kva2pa(const synth_t *g, uint64_t va)
{
    if (va >= g->virt_text && va - g->virt_text < IMAGE_SIZE)
        return g->phys_text + (va - g->virt_text);
    if (va >= g->page_offset && va - g->page_offset < g->mem_size)
        return va - g->page_offset;
    return 0;
}

void *synth_ptr(synth_t *g, uint64_t pa, size_t len)
{
    g_assert(len > 0 && pa + len <= g->mem_size);
    for (uint64_t p = pa / PAGE; p <= (pa + len - 1) / PAGE; p++)
        g->dirty[p] = 1;
    return g->mem + pa;
}

void synth_write(synth_t *g, uint64_t pa, const void *data, size_t len)
{
    memcpy(synth_ptr(g, pa, len), data, len);
}

void synth_write_ptr(synth_t *g, uint64_t pa, uint64_t value)
{
    synth_write(g, pa, &value, g->width);   /* little-endian host */
}

static void fill_random(synth_t *g, uint64_t pa, size_t len)
{
    uint8_t *p = synth_ptr(g, pa, len);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)g_rand_int_range(g->rand, 0, 256);
}

/* ------------------------------------------------------------ frames */

static uint64_t alloc_frame(synth_t *g)
{
    g_assert(g->nfree > 0);
    uint64_t pa = (uint64_t)g->free_frames[--g->nfree] * PAGE;
    memset(synth_ptr(g, pa, PAGE), 0, PAGE);
    return pa;
}

static uint64_t alloc_ktab(synth_t *g)
{
    g_assert(g->ktab_next < g->ktab_end);
    uint64_t pa = g->ktab_next;
    g->ktab_next += PAGE;
    memset(synth_ptr(g, pa, PAGE), 0, PAGE);
    return pa;
}

static uint64_t *entry_at(synth_t *g, uint64_t pa)
{
    return synth_ptr(g, pa, 8);
}

/* Maps @va -> @pa in the 64-bit tables under @root (@levels 4 or 5) with a
 * leaf at @leaf_level (1: 4 KiB, 2: 2 MiB). */
static void map64(synth_t *g, uint64_t root, unsigned levels, uint64_t va, uint64_t pa,
                  unsigned leaf_level, bool user, bool ktables, uint64_t extra)
{
    uint64_t table = root;
    for (unsigned level = levels; level > leaf_level; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t *e = entry_at(g, table + ((va >> shift) & 0x1ff) * 8);
        if (!(*e & PTE_P)) {
            uint64_t t = ktables ? alloc_ktab(g) : alloc_frame(g);
            e = entry_at(g, table + ((va >> shift) & 0x1ff) * 8);
            *e = t | (user ? USERPG_TABLE : KERNPG_TABLE);
        }
        table = *e & ADDR_MASK;
    }
    unsigned shift = 12 + 9 * (leaf_level - 1);
    uint64_t *e = entry_at(g, table + ((va >> shift) & 0x1ff) * 8);
    *e = pa | (user ? USERPG_TABLE : KERNPG_TABLE | PTE_G) | (leaf_level == 2 ? PTE_PS : 0) | extra;
}

/* PAE: @pdpt (32 bytes), 2 MiB leaf when @big. */
static void map_pae(synth_t *g, uint64_t pdpt, uint64_t va, uint64_t pa, bool big, bool user,
                    bool ktables)
{
    uint64_t *e = entry_at(g, pdpt + ((va >> 30) & 3) * 8);
    if (!(*e & PTE_P)) {
        uint64_t t = ktables ? alloc_ktab(g) : alloc_frame(g);
        e = entry_at(g, pdpt + ((va >> 30) & 3) * 8);
        *e = t | PTE_P;    /* PDPTEs have no R/W, U/S, A, D */
    }
    uint64_t pd = *e & ADDR_MASK;
    e = entry_at(g, pd + ((va >> 21) & 0x1ff) * 8);
    if (big) {
        *e = pa | KERNPG_TABLE | PTE_PS | PTE_G;
        return;
    }
    if (!(*e & PTE_P)) {
        uint64_t t = ktables ? alloc_ktab(g) : alloc_frame(g);
        e = entry_at(g, pd + ((va >> 21) & 0x1ff) * 8);
        *e = t | (user ? USERPG_TABLE : KERNPG_TABLE);
    }
    uint64_t pt = *e & ADDR_MASK;
    e = entry_at(g, pt + ((va >> 12) & 0x1ff) * 8);
    *e = pa | (user ? USERPG_TABLE : KERNPG_TABLE);
}

/* ------------------------------------------------------------ the guest */

static void build_kernel(synth_t *g)
{
    static const char banner64[] = "Linux version 6.1.0-synthetic (test@libvmi) #1 SMP";
    static const char banner32[] = "Linux version 6.1.0-synthetic-686-pae (test@libvmi) #1 SMP";
    g->banner = g->mode == SYNTH_PAE ? banner32 : banner64;
    uint64_t P = g->phys_text;

    fill_random(g, P, 2 * PAGE);                                   /* "code" */
    synth_write(g, P + synth_sym_off(g, "linux_banner"), g->banner, strlen(g->banner) + 1);
    static const char proc_banner[] = "%s version %s (test@libvmi) %s\n";
    synth_write(g, P + synth_sym_off(g, "linux_proc_banner"), proc_banner, sizeof(proc_banner));

    /* UNICODE_STRING { u16 Length; u16 MaximumLength; PVOID Buffer } -> "Grüße" */
    static const uint16_t gruesse[] = { 'G', 'r', 0xfc, 0xdf, 'e', 0 };
    uint16_t lens[2] = { 10, 12 };
    synth_write(g, P + OFF_USTR, lens, sizeof(lens));
    synth_write_ptr(g, P + OFF_USTR + g->width, g->virt_text + OFF_USTR + 0x10);
    synth_write(g, P + OFF_USTR + 0x10, gruesse, sizeof(gruesse));

    uint64_t jiffies = 0x00000001fffb6c20ull;
    synth_write(g, P + OFF_JIFFIES, &jiffies, 8);
    fill_random(g, P + OFF_JIFFIES + 8, 0x100);

    /* page tables */
    g->kroot_off = OFF_ROOT;
    g->kdtb = P + OFF_ROOT;
    g->ktab_next = P + OFF_KTAB;
    g->ktab_end = P + OFF_KTAB_END;
    memset(synth_ptr(g, g->kdtb, PAGE), 0, PAGE);
    if (g->mode == SYNTH_PAE) {
        /* lowmem: va = pa + PAGE_OFFSET, 2 MiB pages; the image is in it */
        for (uint64_t pa = 0; pa < g->mem_size; pa += 2 * MiB)
            map_pae(g, g->kdtb, g->page_offset + pa, pa, true, false, true);
    } else {
        unsigned levels = g->mode == SYNTH_LA57 ? 5 : 4;
        for (uint64_t i = 0; i < IMAGE_SIZE; i += 2 * MiB)
            map64(g, g->kdtb, levels, g->virt_text + i, P + i, 2, false, true, 0);
        for (uint64_t pa = 0; pa < g->mem_size; pa += 2 * MiB)
            map64(g, g->kdtb, levels, g->page_offset + pa, pa, 2, false, true, PTE_NX);
    }
    g->unmapped_kva = g->page_offset + g->mem_size + 16 * MiB;
}

/* A user address space for @t: text (2 pages) and a stack page. */
static void build_user(synth_t *g, synth_task_t *t, uint64_t *pdpt_slot)
{
    uint64_t mm_pa = alloc_frame(g);
    fill_random(g, mm_pa, PAGE);
    t->mm_va = g->page_offset + mm_pa;
    for (int i = 0; i < 3; i++) {
        t->upage_pa[i] = alloc_frame(g);
        fill_random(g, t->upage_pa[i], PAGE);
    }
    char s[64];
    g_snprintf(s, sizeof(s), "argv-marker-%d", t->pid);
    synth_write(g, t->upage_pa[0], s, strlen(s) + 1);
    g_snprintf(s, sizeof(s), "ENV=value-%d", t->pid);
    synth_write(g, t->upage_pa[2], s, strlen(s) + 1);

    uint64_t root;
    if (g->mode == SYNTH_PAE) {
        /* 32-byte PDPTs packed into one page, as Linux's pgd cache does */
        root = *pdpt_slot;
        *pdpt_slot += 32;
        uint64_t kernel3;
        memcpy(&kernel3, g->mem + g->kdtb + 3 * 8, 8);
        memcpy(synth_ptr(g, root + 3 * 8, 8), &kernel3, 8);
        map_pae(g, root, g->user_text_va, t->upage_pa[0], false, true, false);
        map_pae(g, root, g->user_text_va + PAGE, t->upage_pa[1], false, true, false);
        map_pae(g, root, g->user_stack_va, t->upage_pa[2], false, true, false);
    } else {
        unsigned levels = g->mode == SYNTH_LA57 ? 5 : 4;
        root = alloc_frame(g);
        /* the kernel half is shared */
        memcpy(synth_ptr(g, root + 256 * 8, 256 * 8), g->mem + g->kdtb + 256 * 8, 256 * 8);
        map64(g, root, levels, g->user_text_va, t->upage_pa[0], 1, true, false, 0);
        map64(g, root, levels, g->user_text_va + PAGE, t->upage_pa[1], 1, true, false, 0);
        map64(g, root, levels, g->user_stack_va, t->upage_pa[2], 1, true, false, PTE_NX);
    }
    t->pgd_va = g->page_offset + root;
    t->dtb = root;
    synth_write_ptr(g, mm_pa + g->off.pgd, t->pgd_va);
}

static void write_task(synth_t *g, const synth_task_t *t)
{
    synth_write(g, t->task_pa + g->off.pid, &t->pid, 4);
    synth_write(g, t->task_pa + g->off.name, t->comm, SYNTH_COMM_LEN);
    synth_write_ptr(g, t->task_pa + g->off.mm, t->mm_va);
}

static void build_tasks(synth_t *g, size_t n)
{
    g_assert(n <= SYNTH_MAX_TASKS);
    g->ntasks = n + 1;
    uint64_t pdpt_page = g->mode == SYNTH_PAE ? alloc_frame(g) : 0;
    uint64_t pdpt_slot = pdpt_page;

    synth_task_t *init = &g->tasks[0];
    init->pid = 0;
    strcpy(init->comm, "swapper/0");
    strcpy(init->name, "swapper/0");
    init->task_pa = g->phys_text + OFF_INIT;
    init->task_va = g->virt_text + OFF_INIT;
    init->dtb = g->kdtb;
    fill_random(g, init->task_pa, PAGE);
    write_task(g, init);

    int32_t pid = 0;
    for (size_t i = 1; i <= n; i++) {
        synth_task_t *t = &g->tasks[i];
        pid = i <= 2 ? (int32_t)i : pid + g_rand_int_range(g->rand, 1, 300);
        t->pid = pid;
        t->task_pa = alloc_frame(g);
        t->task_va = g->page_offset + t->task_pa;
        fill_random(g, t->task_pa, PAGE);
        t->user = i == 1 || (i > 2 && g_rand_boolean(g->rand));

        char name[SYNTH_COMM_LEN + 1];
        if (i == 7) {
            /* exactly 16 characters, no NUL: a reader shows 15 */
            memcpy(t->comm, "synth-truncated!", SYNTH_COMM_LEN);
            strcpy(t->name, "synth-truncated");
        } else {
            g_snprintf(name, sizeof(name), "%s-%d", t->user ? "synth" : "kthr", pid);
            size_t len = strlen(name);
            size_t target = i % 3 == 0 ? 15 : (size_t)g_rand_int_range(g->rand, (gint32)len, 16);
            while (len < target)
                name[len++] = (char)g_rand_int_range(g->rand, 'a', 'z' + 1);
            name[len] = '\0';
            /* the bytes after the NUL stay random */
            memcpy(t->comm, g->mem + t->task_pa + g->off.name, SYNTH_COMM_LEN);
            memcpy(t->comm, name, len + 1);
            strcpy(t->name, name);
        }
        if (t->user)
            build_user(g, t, &pdpt_slot);
        else
            t->dtb = g->kdtb;
        write_task(g, t);
    }

    /* the circular list through tasks.next / tasks.prev */
    size_t m = g->ntasks;
    for (size_t i = 0; i < m; i++) {
        synth_task_t *t = &g->tasks[i];
        uint64_t next = g->tasks[(i + 1) % m].task_va + g->off.tasks;
        uint64_t prev = g->tasks[(i + m - 1) % m].task_va + g->off.tasks;
        synth_write_ptr(g, t->task_pa + g->off.tasks, next);
        synth_write_ptr(g, t->task_pa + g->off.tasks + g->width, prev);
    }
}

synth_t *synth_new(synth_mode_t mode, size_t ntasks)
{
    synth_t *g = g_new0(synth_t, 1);
    g->mode = mode;
    g->mem_size = 64 * MiB;
    g->mem = g_malloc0(g->mem_size);
    g->dirty = g_malloc0(g->mem_size / PAGE);
    g->rand = g_rand_new_with_seed(SYNTH_SEED);

    switch (mode) {
    case SYNTH_IA32E:
        g->width = 8;
        g->phys_text = 0x2a00000;
        g->map_text = 0xffffffff81000000ull;
        g->slide = 0x1e600000;
        g->page_offset = 0xffff888000000000ull;
        g->off = (synth_offsets_t){ .tasks = 0x8b8, .mm = 0x908, .pid = 0x9e0, .name = 0xc00,
                                    .pgd = 0x48 };
        g->user_stack_va = 0x7ffffffde000ull;
        break;
    case SYNTH_LA57:
        g->width = 8;
        g->phys_text = 0x1c00000;
        g->map_text = 0xffffffff81000000ull;
        g->slide = 0x2a400000;
        g->page_offset = 0xff11000000000000ull;
        g->off = (synth_offsets_t){ .tasks = 0x918, .mm = 0x968, .pid = 0xa40, .name = 0xbe0,
                                    .pgd = 0x50 };
        g->user_stack_va = 0x7ffffffde000ull;
        break;
    case SYNTH_PAE:
        g->width = 4;
        g->phys_text = 0x2a04000;       /* 8 KiB aligned only: the fine scan finds it */
        g->map_text = 0xc1000000ull;
        g->page_offset = 0xc0000000ull;
        g->slide = g->phys_text + g->page_offset - g->map_text;
        g->off = (synth_offsets_t){ .tasks = 0x3c0, .mm = 0x3f0, .pid = 0x4a0, .name = 0x5b8,
                                    .pgd = 0x24 };
        g->user_stack_va = 0xbffde000ull;
        break;
    }
    g->virt_text = g->map_text + g->slide;
    g->user_text_va = 0x400000;

    /* free frames: 2 MiB .. end, minus the kernel image, in random order
     * (the first 2 MiB stay empty, for the tests to plant things in) */
    g->free_frames = g_new(uint32_t, g->mem_size / PAGE);
    for (uint64_t pa = 2 * MiB; pa < g->mem_size; pa += PAGE)
        if (pa + PAGE <= (g->phys_text & ~(PAGE - 1)) || pa >= g->phys_text + IMAGE_SIZE)
            g->free_frames[g->nfree++] = (uint32_t)(pa / PAGE);
    for (size_t i = g->nfree - 1; i > 0; i--) {
        size_t j = (size_t)g_rand_int_range(g->rand, 0, (gint32)(i + 1));
        uint32_t tmp = g->free_frames[i];
        g->free_frames[i] = g->free_frames[j];
        g->free_frames[j] = tmp;
    }

    build_kernel(g);
    build_tasks(g, ntasks);
    return g;
}

void synth_free(synth_t *g)
{
    if (!g)
        return;
    g_rand_free(g->rand);
    g_free(g->free_frames);
    g_free(g->dirty);
    g_free(g->mem);
    g_free(g);
}

static void sysmap_line(GString *s, unsigned width, uint64_t addr, char type, const char *name)
{
    /* 16 hex digits on 64-bit kernels, 8 on 32-bit ones */
    if (width == 8)
        g_string_append_printf(s, "%016" PRIx64 " %c %s\n", addr, type, name);
    else
        g_string_append_printf(s, "%08" PRIx64 " %c %s\n", addr, type, name);
}

char *synth_sysmap(const synth_t *g, int64_t banner_delta)
{
    GString *s = g_string_new(NULL);
    /* per-CPU symbols come first and are not relocated */
    sysmap_line(s, g->width, 0, 'A', "__per_cpu_start");
    sysmap_line(s, g->width, 0, 'D', "fixed_percpu_data");
    sysmap_line(s, g->width, 0xb000, 'D', "cpu_tss_rw");
    /* absolute: KASLR does not move it (the library must not slide it) */
    sysmap_line(s, g->width, 0x1000, 'A', "cpu_debug_store");
    for (size_t i = 0; i < G_N_ELEMENTS(syms); i++) {
        const char *name = sym_name(g, &syms[i]);
        uint64_t addr = g->map_text + syms[i].off;
        if (strcmp(name, "linux_banner") == 0)
            addr += banner_delta;
        sysmap_line(s, g->width, addr, syms[i].type, name);
    }
    return g_string_free(s, FALSE);
}

bool synth_write_image(const synth_t *g, const char *path, GError **error)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        return false;
    }
    bool ok = ftruncate(fd, (off_t)g->mem_size) == 0;
    size_t npages = g->mem_size / PAGE;
    for (size_t p = 0; ok && p < npages; p++) {
        if (!g->dirty[p])
            continue;
        size_t q = p;
        while (q < npages && g->dirty[q])
            q++;
        size_t len = (q - p) * PAGE;
        ok = pwrite(fd, g->mem + p * PAGE, len, (off_t)(p * PAGE)) == (ssize_t)len;
        p = q;
    }
    int e = errno;
    if (close(fd) != 0)
        ok = false;
    if (!ok)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "writing %s: %s", path,
                    g_strerror(e));
    return ok;
}
