/*
 * linux_kaslr.c - where is the kernel?  Finds, with no input but the
 * System.map, the physical load address of the kernel, its page directory,
 * the paging mode and the virtual KASLR slide.
 *
 * The kernel image is physically contiguous and loaded at an address aligned
 * to CONFIG_PHYSICAL_ALIGN (2 MiB on x86-64, at least 8 KiB on i386), so the
 * banner "Linux version ..." sits at (load address + linux_banner - _text).
 * Probing the aligned candidates finds the load address after touching a
 * few hundred pages; a candidate whose page directory does not map it
 * (a stray banner in a boot log or the page cache) is passed over.
 * The page directory symbol (init_top_pgt, or
 * swapper_pg_dir) then gives the kernel's CR3, and walking that page table
 * over the possible virtual load addresses gives the virtual slide.  No
 * register, CR3 or KASLR value from the user is needed; `linux_kaslr` in the
 * configuration pins the virtual slide when wanted.
 */
#include <string.h>
#include "linux.h"

#define BANNER_PREFIX "Linux version "
/* PAGE_OFFSET of a 32-bit kernel (0xc0000000 for the usual 3G/1G split,
 * 0x80000000 for 2G/2G): _text is PAGE_OFFSET + a load address < 256 MiB. */
#define I386_PAGE_OFFSET(map_text) ((map_text) & ~0x0fffffffull)

static bool banner_at_pa(vmi_instance_t vmi, addr_t pa)
{
    char buf[sizeof(BANNER_PREFIX) - 1];
    return vmi_read_pa_all(vmi, pa, buf, sizeof(buf)) &&
           memcmp(buf, BANNER_PREFIX, sizeof(buf)) == 0;
}

/* A banner can also sit where no kernel was loaded (an old boot log, a page
 * cache page): at most this many candidates are checked against the page
 * tables before giving up, so a hostile image cannot make the scan slow. */
#define MAX_BANNER_CANDIDATES 64
/* ... and at most this many load addresses probed at all: 2 MiB apart,
 * 8 TiB of RAM. */
#define MAX_LOAD_PROBES (1u << 22)

/* Translates @va through @dtb in @mode without touching the instance's
 * cache (candidates are tried before anything is known). */
static bool probe_v2p(vmi_instance_t vmi, const pt_mode_ops_t *pt, addr_t dtb, addr_t va,
                      addr_t *pa)
{
    pt_result_t r;
    if (pt->translate(&vmi->reader, dtb, va, &r) != PT_OK)
        return false;
    *pa = r.pa;
    return true;
}

/* With @pt and @dtb, looks for the virtual address of _text. */
static bool find_virt_text(vmi_instance_t vmi, linux_data_t *ld, const pt_mode_ops_t *pt,
                           addr_t dtb, bool pinned, addr_t pinned_slide, addr_t *virt_text)
{
    addr_t pa;
    if (pinned) {
        addr_t v = ld->map_text + pinned_slide;
        if (probe_v2p(vmi, pt, dtb, v, &pa) && pa == ld->phys_text) {
            *virt_text = v;
            return true;
        }
        return false;
    }
    if (!ld->is64) {
        /* i386: the kernel lives in the linear map, virtual = physical + PAGE_OFFSET */
        addr_t v = ld->phys_text + I386_PAGE_OFFSET(ld->map_text);
        if (probe_v2p(vmi, pt, dtb, v, &pa) && pa == ld->phys_text) {
            *virt_text = v;
            return true;
        }
        return false;
    }
    /* x86-64: the image is mapped somewhere in the 1 GiB above
     * __START_KERNEL_map, 2 MiB aligned. */
    for (addr_t v = X86_64_START_KERNEL_MAP; v < X86_64_START_KERNEL_MAP + X86_64_KERNEL_IMAGE_SIZE;
         v += 2ull << 20) {
        if (probe_v2p(vmi, pt, dtb, v, &pa) && pa == ld->phys_text) {
            *virt_text = v;
            return true;
        }
    }
    return false;
}

/* Steps 2 and 3 for the load address @phys: the page directory there must
 * map _text (at the pinned slide, when given) back to @phys, and the banner
 * through the same tables, in one of @modes.  Sets up the instance on
 * success. */
static bool kernel_at(vmi_instance_t vmi, linux_data_t *ld, addr_t phys, addr_t pgd_off,
                      addr_t banner_off, const page_mode_t *modes, size_t nmodes, bool pinned,
                      addr_t slide_pinned, const char *pgd_name, addr_t init_task)
{
    addr_t dtb = phys + pgd_off;
    ld->phys_text = phys;
    for (size_t i = 0; i < nmodes; i++) {
        const pt_mode_ops_t *pt = pt_mode_ops(modes[i]);
        addr_t virt_text;
        if (!pt || !find_virt_text(vmi, ld, pt, dtb, pinned, slide_pinned, &virt_text))
            continue;
        addr_t pa;
        /* the banner must be reachable through the same tables */
        if (!probe_v2p(vmi, pt, dtb, virt_text + banner_off, &pa) || !banner_at_pa(vmi, pa))
            continue;
        vmi_set_page_mode(vmi, modes[i]);
        vmi->kdtb = dtb;
        ld->slide = virt_text - ld->map_text;
        ld->sym_slide = ld->slide;
        ld->virt_text = virt_text;
        g_strlcpy(ld->how_found, ld->syms_kind == LINUX_SYMS_ISF ? "ISF symbols + banner probe"
                  : "System.map + banner probe", sizeof(ld->how_found));
        ld->init_task = init_task + ld->slide;
        g_debug("Linux kernel: _text at 0x%" G_GINT64_MODIFIER "x (physical 0x%" G_GINT64_MODIFIER
                "x), slide 0x%" G_GINT64_MODIFIER "x, %s paging, %s at 0x%" G_GINT64_MODIFIER "x",
                (guint64)virt_text, (guint64)ld->phys_text, (guint64)ld->slide, pt->name,
                pgd_name, (guint64)dtb);
        return true;
    }
    return false;
}

bool linux_find_kernel(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config, GError **error)
{
    const char *map = linux_syms_name(ld);
    /* every symbol needed here, in one pass over the map */
    enum { S_TEXT, S_STEXT, S_BANNER, S_INIT_TASK, S_PGD_TOP, S_PGD_L4, S_PGD_SWAPPER, S_N };
    static const char *const names[S_N] = { "_text", "_stext", "linux_banner", "init_task",
                                            "init_top_pgt", "init_level4_pgt", "swapper_pg_dir" };
    addr_t a[S_N] = { 0 };
    bool found[S_N];
    ld->sym_slide = 0;      /* unrelocated addresses until the slide is known */
    linux_sym_many(ld, names, S_N, a, found);
    if (!found[S_TEXT] && !found[S_STEXT]) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s has no _text symbol: is it a kernel's symbol table?", map);
        return false;
    }
    ld->map_text = found[S_TEXT] ? a[S_TEXT] : a[S_STEXT];
    addr_t banner = a[S_BANNER], init_task = a[S_INIT_TASK];
    if (!found[S_BANNER] || banner < ld->map_text) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s has no usable linux_banner symbol (needed to find the kernel)", map);
        return false;
    }
    if (!found[S_INIT_TASK]) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "%s has no init_task symbol", map);
        return false;
    }
    ld->is64 = ld->map_text >= X86_64_START_KERNEL_MAP;
    const char *pgd_name = NULL;
    addr_t pgd_sym = 0;
    for (int i = S_PGD_TOP; i <= S_PGD_SWAPPER && !pgd_name; i++) {
        if (found[i]) {
            pgd_name = names[i];
            pgd_sym = a[i];
        }
    }
    if (!pgd_name || pgd_sym < ld->map_text) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s has no kernel page directory symbol (init_top_pgt or swapper_pg_dir)", map);
        return false;
    }

    addr_t banner_off = banner - ld->map_text;
    addr_t pgd_off = pgd_sym - ld->map_text;

    /* paging modes: from registers when the driver knew them, else tried */
    page_mode_t modes[2];
    size_t nmodes = 0;
    if (vmi->page_mode != VMI_PM_UNKNOWN) {
        modes[nmodes++] = vmi->page_mode;
    } else if (ld->is64) {
        modes[nmodes++] = VMI_PM_IA32E;
        modes[nmodes++] = VMI_PM_LA57;
    } else {
        modes[nmodes++] = VMI_PM_PAE;
        modes[nmodes++] = VMI_PM_LEGACY;
    }
    uint64_t slide_pinned = 0;
    bool pinned = vmi_config_get_num(config, "linux_kaslr", &slide_pinned);

    /* 1. physical load address: a candidate with the banner at the right
     * offset, whose page directory (2.) maps _text (3.) back to it */
    addr_t first = 0;
    unsigned candidates = 0;
    uint64_t phys_pinned;
    if (vmi_config_get_num(config, "linux_kaslr_phys", &phys_pinned)) {
        if (!banner_at_pa(vmi, phys_pinned + banner_off)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "linux_kaslr_phys = 0x%" G_GINT64_MODIFIER "x: no kernel banner there",
                        (guint64)phys_pinned);
            return false;
        }
        first = phys_pinned;
        candidates = 1;
        if (kernel_at(vmi, ld, phys_pinned, pgd_off, banner_off, modes, nmodes, pinned,
                      slide_pinned, pgd_name, init_task))
            return true;
    } else {
        /* 2 MiB alignment first (x86-64, and most i386 kernels), then, for a
         * 32-bit kernel only, 8 KiB below 4 GiB (it runs in its low memory;
         * x86-64's CONFIG_PHYSICAL_ALIGN is a multiple of 2 MiB).  Only the
         * memory that holds data is probed, never the whole address span:
         * an ELF segment at 2^63 or a file of holes costs nothing. */
        static const addr_t aligns[] = { 2ull << 20, 8ull << 10 };
        unsigned probes = 0;
        for (size_t ai = 0; ai < (ld->is64 ? 1u : 2u); ai++) {
            const addr_t align = aligns[ai];
            const addr_t limit = ld->is64 ? UINT64_MAX : 4ull << 30;
            addr_t from = banner_off, s, e;
            /* runs of data that may hold the banner of a candidate p, at p + banner_off */
            while (vmi_next_data(vmi, from, &s, &e)) {
                if (s - banner_off > UINT64_MAX - align)
                    break;
                addr_t p = (s - banner_off + align - 1) & ~(align - 1);
                for (; p < limit && p < e - banner_off; p += align) {
                    if (ai > 0 && p % aligns[0] == 0)
                        continue;       /* tried in the first pass */
                    if (++probes > MAX_LOAD_PROBES) {
                        if (!candidates) {
                            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                                        "the kernel of %s is not in this guest's memory: no "
                                        "'Linux version' banner at the first %u load addresses "
                                        "(wrong System.map for this guest?)", map, MAX_LOAD_PROBES);
                            return false;
                        }
                        goto not_mapped;
                    }
                    if (!banner_at_pa(vmi, p + banner_off))
                        continue;
                    if (candidates++ == 0)
                        first = p;
                    if (kernel_at(vmi, ld, p, pgd_off, banner_off, modes, nmodes, pinned,
                                  slide_pinned, pgd_name, init_task))
                        return true;
                    g_debug("a kernel banner at physical 0x%" G_GINT64_MODIFIER "x, but %s there "
                            "does not map the kernel: passed over", (guint64)(p + banner_off),
                            pgd_name);
                    if (candidates >= MAX_BANNER_CANDIDATES)
                        goto not_mapped;
                    if (p > UINT64_MAX - align)
                        break;
                }
                if (e >= limit)
                    break;
                from = e;
            }
        }
        if (!candidates) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                        "the kernel of %s is not in this guest's memory: no 'Linux version' "
                        "banner at any load address (wrong System.map for this guest?)", map);
            return false;
        }
    }

not_mapped:
    ld->phys_text = first;
    if (pinned)
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "linux_kaslr = 0x%" G_GINT64_MODIFIER "x does not match this guest: _text "
                    "does not map to the kernel found at physical 0x%" G_GINT64_MODIFIER "x%s",
                    (guint64)slide_pinned, (guint64)first,
                    candidates > 1 ? " (nor to any other load address with the banner)" : "");
    else
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "found the kernel at physical 0x%" G_GINT64_MODIFIER "x, but its page "
                    "directory (%s at 0x%" G_GINT64_MODIFIER "x) does not map it in any %s paging "
                    "mode%s", (guint64)first, pgd_name, (guint64)(first + pgd_off),
                    ld->is64 ? "64-bit" : "32-bit",
                    candidates > 1 ? " (nor does any other load address with the banner)" : "");
    return false;
}
