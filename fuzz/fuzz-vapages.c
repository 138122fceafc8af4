/*
 * fuzz-vapages.c - the modern (LibVMI 0.14) paths over hostile page tables:
 * the input is guest physical memory (a raw snapshot, opened as the tools
 * open one) and names, in its first 17 bytes, a paging mode, a page
 * directory inside it and a virtual address.  Then what a user of the
 * modern API does with them: vmi_read, vmi_read_addr and a string read
 * through an access context that carries the page directory and the mode
 * (VMI_TM_PROCESS_DTB + ctx.pm), the detailed lookup, vmi_mmap_guest of a
 * few pages, and, for a quarter of the inputs (it may walk up to 2^22 pages
 * of tables that point back at themselves), vmi_get_nested_va_pages.
 * Checks: reads never report more than asked; every page the enumeration
 * lists is of the mode and table asked for, of a size the mode has, and its
 * translation by the detailed lookup gives the same frame; the enumeration
 * stays within its documented bound.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz-common.h"
#include "libvmi.h"
#define LIBVMI_EXTRA_GLIB   /* vmi_get_nested_va_pages (a GSList) */
#include "libvmi_extra.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    memfd = memfd_create("fuzz-vapages", MFD_CLOEXEC);
    if (memfd < 0)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    return 0;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static bool size_fits(page_mode_t pm, page_size_t s)
{
    switch (pm) {
    case VMI_PM_LEGACY: return s == VMI_PS_4KB || s == VMI_PS_4MB;
    case VMI_PM_PAE: return s == VMI_PS_4KB || s == VMI_PS_2MB;
    default: return s == VMI_PS_4KB || s == VMI_PS_2MB || s == VMI_PS_1GB;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 17)
        return 0;
    static const page_mode_t modes[] = { VMI_PM_LEGACY, VMI_PM_PAE, VMI_PM_IA32E, VMI_PM_LA57 };
    page_mode_t pm = modes[data[0] & 3];
    addr_t dtb = le64(data + 1) % size;
    dtb &= pm == VMI_PM_PAE ? ~(addr_t)0x1f : ~(addr_t)0xfff;
    addr_t va = le64(data + 9);
    if (pm == VMI_PM_LEGACY || pm == VMI_PM_PAE)
        va &= 0xffffffffu;

    if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    vmi_instance_t vmi = NULL;
    if (vmi_init__3(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path) != VMI_SUCCESS)
        return 0;

    access_context_t ctx = { .version = ACCESS_CONTEXT_VERSION, .tm = VMI_TM_PROCESS_DTB,
                             .dtb = dtb, .addr = va, .pm = pm };
    uint8_t buf[8192];
    size_t got = 0;
    size_t want = 1 + fuzz_pick(data, size) % sizeof(buf);
    (void)vmi_read(vmi, &ctx, want, buf, &got);
    FUZZ_CHECK(got <= want);
    addr_t word = 0;
    (void)vmi_read_addr(vmi, &ctx, &word);
    char *s = vmi_read_str(vmi, &ctx);
    free(s);

    page_info_t info;
    if (vmi_nested_pagetable_lookup_extended(vmi, 0, VMI_PM_NONE, dtb, pm, va, &info) ==
        VMI_SUCCESS)
        FUZZ_CHECK(size_fits(pm, info.size));

    void *ptrs[4] = { NULL };
    if (vmi_mmap_guest(vmi, &ctx, 4, PROT_READ, ptrs) == VMI_SUCCESS) {
        for (int i = 0; i < 4; i++)
            if (ptrs[i]) {
                volatile uint8_t b = *(const uint8_t *)ptrs[i];
                (void)b;
                munmap(ptrs[i], 4096);
            }
    }

    if ((fuzz_pick(data, size) & 3) == 0) {
        GSList *pages = vmi_get_nested_va_pages(vmi, 0, VMI_PM_NONE, dtb, pm);
        size_t n = 0, checked = 0;
        for (GSList *l = pages; l; l = l->next, n++) {
            const page_info_t *p = l->data;
            FUZZ_CHECK(p->pm == pm && p->pt == dtb);
            FUZZ_CHECK(size_fits(pm, p->size));
            FUZZ_CHECK((p->vaddr & (p->size - 1)) == 0);
            if (checked < 8) {
                page_info_t again;
                checked++;
                if (vmi_nested_pagetable_lookup_extended(vmi, 0, VMI_PM_NONE, dtb, pm, p->vaddr,
                                                         &again) == VMI_SUCCESS)
                    FUZZ_CHECK(again.paddr == p->paddr);
            }
        }
        FUZZ_CHECK(n <= (1u << 22));
        g_slist_free_full(pages, g_free);
    }
    vmi_destroy(vmi);
    return 0;
}
