/*
 * linux_memfind.c - finding a 64-bit Linux kernel with nothing but memory:
 * no System.map, no registers needed, no configuration.
 *
 * 1. A page directory that maps the kernel.  Candidates, cheapest first:
 *    vCPU 0's CR3 when the driver has registers (ELF notes, live guests);
 *    then the real-mode trampoline's page directory, which the kernel keeps
 *    in the first MiB of RAM with the kernel half of init_top_pgt copied in
 *    (arch/x86/realmode: trampoline_pgd), so 256 probes of one entry find
 *    it; then, as a last resort, a bounded probe of every backed page.
 * 2. The kernel image in that directory: the kernel text map lives in the
 *    top 2 GiB (PML4 entry 511, PDPT entry 510) and, after boot, maps only
 *    the image (cleanup_highmap drops what lies before _text and after the
 *    end), so its first present entry is _text.  Physical load address and
 *    virtual slide follow from that one entry.
 * 3. The kallsyms tables inside the image (kallsyms.c, found by their own
 *    structure); _text, init_top_pgt, init_task and linux_banner from them,
 *    each checked against the page tables.
 * Everything read is guest-controlled: every step is bounded and checked.
 */
#include <string.h>
#include "linux.h"
#include "kallsyms.h"

#define PFN_MASK 0x000ffffffffff000ull
#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define TWO_MIB (2ull << 20)
#define DEFAULT_TEXT 0xffffffff81000000ull  /* __START_KERNEL with PHYSICAL_START 16 MiB */
#define TRAMPOLINE_LIMIT (1ull << 20)       /* the trampoline lives below 1 MiB */
#define MAX_PAGE_PROBES (4u << 20)          /* fallback: at most 16 GiB of pages probed */
#define MAX_FULL_WALKS 4096                 /* fallback: candidates walked in full */
#define MAX_IMAGES 8                        /* distinct kernel images tried */
#define BANNER_PREFIX "Linux version "

bool linux_kread(void *opaque, addr_t va, void *buf, size_t len)
{
    vmi_instance_t vmi = opaque;
    uint8_t *out = buf;
    if (!vmi->pt)
        return false;
    while (len) {
        pt_result_t r;
        if (vmi->pt->translate(&vmi->reader, vmi->kdtb, va, &r) != PT_OK)
            return false;
        uint64_t in_page = r.page_size - (va & (r.page_size - 1));
        size_t n = (size_t)MIN((uint64_t)len, in_page);
        if (!vmi_read_pa_stream(vmi, r.pa, out, n))
            return false;
        out += n;
        len -= n;
        va += n;
    }
    return true;
}

/* The guest-physical frame entry @e points to: the entry's frame, or, when
 * the guest's tables hold machine frames (Xen PV, driver.h machine_frames),
 * that frame mapped back; false when it is not the guest's. */
static bool entry_frame(vmi_instance_t vmi, uint64_t e, addr_t *pa)
{
    if (!vmi->reader.frames) {
        *pa = e & PFN_MASK;
        return true;
    }
    return vmi->reader.frames->to_phys(vmi, e & PFN_MASK, pa);
}

static bool read_entry(vmi_instance_t vmi, addr_t table, unsigned index, uint64_t *e)
{
    return vmi_read_pa_all(vmi, (table & PFN_MASK) + index * 8ull, e, sizeof(*e));
}

typedef struct {
    addr_t dtb;
    page_mode_t mode;
    addr_t vtext, ptext, extent;
    const char *how;
} image_t;

/* Step 2 for one directory and mode: the first mapping in the kernel text
 * map, and how far the image goes on from there. */
static bool text_mapping(vmi_instance_t vmi, addr_t dtb, page_mode_t mode, image_t *img)
{
    uint64_t memsize = vmi_get_max_physical_address(vmi);
    uint64_t e;
    addr_t t = dtb & PFN_MASK;
    if (t >= memsize || !read_entry(vmi, t, 511, &e) || !(e & PTE_P) || (e & PTE_PS))
        return false;
    if (mode == VMI_PM_LA57) {
        if (!entry_frame(vmi, e, &t))
            return false;
        if (t >= memsize || !read_entry(vmi, t, 511, &e) || !(e & PTE_P) || (e & PTE_PS))
            return false;
    }
    if (!entry_frame(vmi, e, &t))
        return false;
    if (t >= memsize || !read_entry(vmi, t, 510, &e) || !(e & PTE_P) || (e & PTE_PS))
        return false;
    addr_t pd;
    uint64_t pde[512];
    if (!entry_frame(vmi, e, &pd) || pd >= memsize || !vmi_read_pa_all(vmi, pd, pde, sizeof(pde)))
        return false;
    unsigned i = 0;
    while (i < 512 && !(pde[i] & PTE_P))
        i++;
    if (i == 512)
        return false;
    addr_t vtext = X86_64_START_KERNEL_MAP + (addr_t)i * TWO_MIB, ptext;
    if (pde[i] & PTE_PS) {
        if (!entry_frame(vmi, pde[i] & ~(TWO_MIB - 1), &ptext))
            return false;
    } else {
        uint64_t pte[512];
        addr_t pt;
        if (!entry_frame(vmi, pde[i], &pt) || pt >= memsize ||
            !vmi_read_pa_all(vmi, pt, pte, sizeof(pte)))
            return false;
        unsigned j = 0;
        while (j < 512 && !(pte[j] & PTE_P))
            j++;
        if (j == 512)
            return false;
        vtext += (addr_t)j << 12;
        if (!entry_frame(vmi, pte[j], &ptext))
            return false;
    }
    if (ptext >= memsize)
        return false;
    /* the image goes on while entries are present (at most the 1 GiB map) */
    unsigned k = i;
    while (k < 512 && (pde[k] & PTE_P))
        k++;
    img->dtb = dtb & PFN_MASK;
    img->mode = mode;
    img->vtext = vtext;
    img->ptext = ptext;
    img->extent = X86_64_START_KERNEL_MAP + (addr_t)k * TWO_MIB - vtext;
    return true;
}

typedef struct {
    image_t imgs[MAX_IMAGES];
    size_t n;
    page_mode_t modes[2];
    size_t nmodes;
} candidates_t;

static void add_directory(vmi_instance_t vmi, candidates_t *c, addr_t dtb, const char *how)
{
    for (size_t m = 0; m < c->nmodes && c->n < MAX_IMAGES; m++) {
        image_t img = { 0 };
        if (!text_mapping(vmi, dtb, c->modes[m], &img))
            continue;
        bool dup = false;
        for (size_t i = 0; i < c->n && !dup; i++)
            dup = c->imgs[i].vtext == img.vtext && c->imgs[i].ptext == img.ptext &&
                  c->imgs[i].mode == img.mode;
        if (dup)
            continue;
        img.how = how;
        c->imgs[c->n++] = img;
    }
}

/* Cheap filter for a top-level table: entry 511 present, a table, in memory. */
static bool maybe_top(vmi_instance_t vmi, addr_t page, uint64_t memsize)
{
    uint64_t e;
    addr_t next;
    return read_entry(vmi, page, 511, &e) && (e & PTE_P) && !(e & PTE_PS) &&
           entry_frame(vmi, e, &next) && next < memsize && next != page;
}

static void find_directories(vmi_instance_t vmi, candidates_t *c, bool *scanned_all)
{
    uint64_t memsize = vmi_get_max_physical_address(vmi);
    *scanned_all = false;
    /* 1. registers */
    reg_t cr3 = 0;
    if (vmi->driver->get_vcpureg && vmi->driver->get_vcpureg(vmi, &cr3, CR3, 0, NULL) && cr3) {
        /* with page-table isolation, user CR3 = kernel directory + 4 KiB */
        add_directory(vmi, c, cr3 & PFN_MASK & ~0x1fffull, "CR3");
        add_directory(vmi, c, cr3 & PFN_MASK, "CR3");
    }
    if (c->n)
        return;
    /* 2. the real-mode trampoline's directory, below 1 MiB */
    for (addr_t p = 0; p < TRAMPOLINE_LIMIT && p < memsize && c->n < MAX_IMAGES; p += 4096)
        if (maybe_top(vmi, p, memsize))
            add_directory(vmi, c, p, "trampoline");
    if (c->n)
        return;
    /* 3. every page that holds data (holes and far gaps skipped), bounded */
    unsigned probes = 0, walks = 0;
    addr_t s, e;
    for (addr_t from = TRAMPOLINE_LIMIT; c->n < MAX_IMAGES && vmi_next_data(vmi, from, &s, &e);
         from = e) {
        if (s > UINT64_MAX - 4095)
            break;
        for (addr_t p = (s + 4095) & ~4095ull; p < e && c->n < MAX_IMAGES; p += 4096) {
            if (++probes > MAX_PAGE_PROBES || walks > MAX_FULL_WALKS)
                return;
            if (!maybe_top(vmi, p, memsize))
                continue;
            walks++;
            add_directory(vmi, c, p, "page scan");
            if (p > UINT64_MAX - 4096)
                break;
        }
    }
    *scanned_all = true;
}

static const char *const wanted[] = { "_text", "linux_banner", "init_task", "init_top_pgt",
                                      "init_level4_pgt", "swapper_pg_dir" };
enum { W_TEXT, W_BANNER, W_INIT_TASK, W_TOP, W_L4, W_SWAPPER, W_N };

/* Step 3 for one image: kallsyms (from the profile cache or by search), then
 * the kernel's own page directory and the checks. */
static bool kernel_in_image(vmi_instance_t vmi, linux_data_t *ld, const image_t *img,
                            GError **error)
{
    vmi_set_page_mode(vmi, img->mode);
    vmi->kdtb = img->dtb;
    ld->virt_text = img->vtext;
    ld->phys_text = img->ptext;
    ld->image_size = img->extent;
    ld->is64 = true;

    if (!linux_profile_load(vmi, ld)) {
        GError *err = NULL;
        ld->ksyms = ksyms_find(linux_kread, vmi, img->vtext, img->vtext + img->extent, 8, NULL,
                               &err);
        if (!ld->ksyms) {
            g_propagate_prefixed_error(error, err,
                                       "the kernel image at 0x%" G_GINT64_MODIFIER "x (physical 0x%"
                                       G_GINT64_MODIFIER "x): ", (guint64)img->vtext,
                                       (guint64)img->ptext);
            return false;
        }
    }
    ld->syms_kind = LINUX_SYMS_KALLSYMS;
    addr_t a[W_N] = { 0 };
    bool found[W_N] = { 0 };
    ksyms_lookup_many(ld->ksyms, wanted, W_N, a, found);
    const char *missing = !found[W_TEXT] ? "_text" : !found[W_BANNER] ? "linux_banner"
                        : !found[W_INIT_TASK] ? "init_task" : NULL;
    if (!missing && !found[W_TOP] && !found[W_L4] && !found[W_SWAPPER])
        missing = "init_top_pgt";
    if (missing) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the kallsyms tables of the kernel at 0x%" G_GINT64_MODIFIER "x have no %s",
                    (guint64)img->vtext, missing);
        goto fail;
    }
    /* _text from kallsyms must lie in the mapping found, and map back */
    pt_result_t r;
    if (a[W_TEXT] < img->vtext || a[W_TEXT] - img->vtext >= img->extent ||
        vmi->pt->translate(&vmi->reader, img->dtb, a[W_TEXT], &r) != PT_OK) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "kallsyms puts _text at 0x%" G_GINT64_MODIFIER "x, outside the kernel image "
                    "mapped at 0x%" G_GINT64_MODIFIER "x", (guint64)a[W_TEXT], (guint64)img->vtext);
        goto fail;
    }
    ld->virt_text = a[W_TEXT];
    ld->phys_text = r.pa;
    addr_t top = found[W_TOP] ? a[W_TOP] : found[W_L4] ? a[W_L4] : a[W_SWAPPER];
    pt_result_t rt;
    if (vmi->pt->translate(&vmi->reader, img->dtb, top, &rt) != PT_OK) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the kernel page directory (0x%" G_GINT64_MODIFIER "x) is not mapped",
                    (guint64)top);
        goto fail;
    }
    /* the kernel's own directory must map the kernel the same way */
    pt_result_t r2;
    if (vmi->pt->translate(&vmi->reader, rt.pa, ld->virt_text, &r2) != PT_OK ||
        r2.pa != ld->phys_text) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the kernel page directory at physical 0x%" G_GINT64_MODIFIER "x does not "
                    "map _text", (guint64)rt.pa);
        goto fail;
    }
    vmi->kdtb = rt.pa;
    char banner[sizeof(BANNER_PREFIX) - 1];
    if (!linux_kread(vmi, a[W_BANNER], banner, sizeof(banner)) ||
        memcmp(banner, BANNER_PREFIX, sizeof(banner)) != 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "linux_banner at 0x%" G_GINT64_MODIFIER "x does not read 'Linux version'",
                    (guint64)a[W_BANNER]);
        goto fail;
    }
    ld->init_task = a[W_INIT_TASK];
    ld->map_text = ld->virt_text;
    ld->slide = ld->virt_text - DEFAULT_TEXT;
    g_snprintf(ld->how_found, sizeof(ld->how_found), "memory (%s, %s)", img->how,
               ld->syms_from_cache ? "kallsyms via profile cache" : "kallsyms search");
    g_debug("Linux kernel from memory: _text at 0x%" G_GINT64_MODIFIER "x (physical 0x%"
            G_GINT64_MODIFIER "x), %s paging, directory 0x%" G_GINT64_MODIFIER "x, found via %s",
            (guint64)ld->virt_text, (guint64)ld->phys_text, vmi->pt->name, (guint64)vmi->kdtb,
            img->how);
    return true;

fail:
    ksyms_free(ld->ksyms);
    ld->ksyms = NULL;
    ld->syms_kind = LINUX_SYMS_NONE;
    ld->syms_from_cache = false;
    return false;
}

bool linux_find_kernel_in_memory(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config,
                                 GError **error)
{
    (void)config;
    candidates_t c = { 0 };
    page_mode_t known = vmi->page_mode;
    if (known == VMI_PM_IA32E || known == VMI_PM_LA57) {
        c.modes[c.nmodes++] = known;
    } else if (known == VMI_PM_UNKNOWN) {
        c.modes[c.nmodes++] = VMI_PM_IA32E;
        c.modes[c.nmodes++] = VMI_PM_LA57;
    } else {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "this guest runs in %s paging: a 32-bit kernel, which has no BTF; finding it "
                    "without configuration is not supported: give 'sysmap' (its System.map) and "
                    "the offsets linux_tasks, linux_mm, linux_pid, linux_name and linux_pgd",
                    pt_mode_ops(known) ? pt_mode_ops(known)->name : "32-bit");
        return false;
    }
    bool scanned_all;
    find_directories(vmi, &c, &scanned_all);
    if (!c.n) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no 64-bit Linux kernel found in this guest's memory (no page directory maps "
                    "a kernel image%s). A 32-bit kernel (no BTF) needs a configuration entry with "
                    "'sysmap' (its System.map) and the offsets linux_tasks, linux_mm, linux_pid, "
                    "linux_name and linux_pgd (pahole -C task_struct,mm_struct on its vmlinux)", scanned_all ? "" : " within the probe limit");
        return false;
    }
    GString *why = g_string_new(NULL);
    for (size_t i = 0; i < c.n; i++) {
        GError *err = NULL;
        if (kernel_in_image(vmi, ld, &c.imgs[i], &err)) {
            g_string_free(why, TRUE);
            return true;
        }
        g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
        g_error_free(err);
    }
    vmi->kdtb = 0;
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                "a kernel image is mapped, but its symbols could not be read from memory: %s "
                "(give 'sysmap' in the configuration to use a System.map instead)", why->str);
    g_string_free(why, TRUE);
    return false;
}
