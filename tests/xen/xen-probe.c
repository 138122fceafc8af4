/* xen-probe: the Xen rig's smoke payload, run inside dom0 (tests/xen/).
 * No libvmi: libxenctrl, libxenforeignmemory and libxenstore only, to show
 * that the rig gives a dom0 what the xen driver needs.  Each check prints
 *   XEN-TEST ok - WHAT | XEN-TEST not ok - WHAT: WHY | XEN-TEST skip - WHAT: WHY
 * The ground truth is the domU's own console log (tests/rig/init.sh:
 * VMI-KSYM, VMI-BANNER, VMI-PA) and the domain id `xl domid` printed.
 *
 *   xen-probe NAME pv|pvh XL_DOMID CONSOLE_LOG
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xen/hvm/save.h>

#include "xen-test.h"

#define PAGE 4096UL

static xc_interface *xch;
static xenforeignmemory_handle *fmem;
static uint32_t domid;

/* read LEN bytes of frame FRAME (an MFN for PV, a GFN for PVH) at OFF */
static int read_frame(uint64_t frame, size_t off, void *buf, size_t len)
{
    xen_pfn_t f = frame;
    int err = 0;
    void *p;

    if (off + len > PAGE)
        return -1;
    p = xenforeignmemory_map(fmem, domid, PROT_READ, 1, &f, &err);
    if (!p)
        return -1;
    if (err) {
        xenforeignmemory_unmap(fmem, p, 1);
        return -1;
    }
    memcpy(buf, (char *)p + off, len);
    xenforeignmemory_unmap(fmem, p, 1);
    return 0;
}

/* 4-level walk from the frame ROOT; the entries hold frames of the same
 * kind (machine frames for PV, guest frames for PVH).  Returns the frame
 * holding VA and its offset, or -1 */
static int walk(uint64_t root, uint64_t va, uint64_t *frame, uint64_t *off)
{
    uint64_t f = root, e;
    int level;

    for (level = 4; level >= 1; level--) {
        unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
        if (read_frame(f, idx * 8, &e, 8) < 0 || !(e & 1))
            return -1;
        if (level <= 3 && level >= 2 && (e & 0x80)) { /* 1 GiB / 2 MiB */
            uint64_t span = 1ULL << (12 + 9 * (level - 1));
            uint64_t base = (e & 0x000ffffffffff000ULL) & ~(span - 1);
            uint64_t a = base + (va & (span - 1));
            *frame = a >> 12;
            *off = a & (PAGE - 1);
            return 0;
        }
        f = (e & 0x000ffffffffff000ULL) >> 12;
    }
    *frame = f;
    *off = va & (PAGE - 1);
    return 0;
}

/* read through a walk, LEN within one page */
static int read_va(uint64_t root, uint64_t va, void *buf, size_t len)
{
    uint64_t f, o;
    if (walk(root, va, &f, &o) < 0 || o + len > PAGE)
        return -1;
    return read_frame(f, o, buf, len);
}


/* PV: pseudo-physical frame -> machine frame through the guest's p2m */
struct p2m {
    uint64_t max_pfn, fll, p2m_cr3, p2m_vaddr;
};

static int p2m_virt(const struct p2m *p, uint64_t pfn, uint64_t *mfn)
{
    if (!p->p2m_cr3 || pfn >= p->max_pfn)
        return -1;
    return read_va(xen_cr3_to_pfn_x86_64(p->p2m_cr3), p->p2m_vaddr + pfn * 8, mfn, 8);
}

static int p2m_tree(const struct p2m *p, uint64_t pfn, uint64_t *mfn)
{
    uint64_t fl, leaf;
    if (!p->fll || p->fll == ~0ULL || pfn >= p->max_pfn)
        return -1;
    /* 512 entries a page: fll -> frame list pages -> p2m pages */
    if (read_frame(p->fll, (pfn / (512 * 512)) * 8, &fl, 8) < 0 ||
        read_frame(fl, ((pfn / 512) % 512) * 8, &leaf, 8) < 0)
        return -1;
    return read_frame(leaf, (pfn % 512) * 8, mfn, 8);
}

int main(int argc, char **argv)
{
    xc_domaininfo_t info[16];
    struct xs_handle *xs;
    int n, i, found = -1, pv;
    long want_id;
    char path[64], *name;
    unsigned len;

    if (argc != 5 || (strcmp(argv[2], "pv") && strcmp(argv[2], "pvh"))) {
        fprintf(stderr, "usage: xen-probe NAME pv|pvh XL_DOMID CONSOLE_LOG\n");
        return 2;
    }
    dom_name = argv[1];
    pv = !strcmp(argv[2], "pv");
    want_id = strtol(argv[3], NULL, 10);
    if (read_truth(argv[4]) < 0 || !banner[0] || !ksym_banner) {
        result(0, "console truth", "no VMI-BANNER / VMI-KSYM linux_banner in %s", argv[4]);
        return 1;
    }

    xch = xc_interface_open(NULL, NULL, 0);
    result(xch != NULL, "xc_interface_open", xch ? NULL : "%s", strerror(errno));
    if (!xch)
        return 1;
    fmem = xenforeignmemory_open(NULL, 0);
    result(fmem != NULL, "xenforeignmemory_open", fmem ? NULL : "%s", strerror(errno));
    if (!fmem)
        return 1;

    /* the domain by name in xenstore, its id as xl says */
    xs = xs_open(XS_OPEN_READONLY);
    n = xc_domain_getinfolist(xch, 0, 16, info);
    result(n >= 3, "xc_domain_getinfolist", "%d domain(s)", n);
    for (i = 0; xs && i < n; i++) {
        snprintf(path, sizeof path, "/local/domain/%u/name", info[i].domain);
        name = xs_read(xs, XBT_NULL, path, &len);
        if (name && !strcmp(name, dom_name))
            found = i;
        free(name);
    }
    if (xs)
        xs_close(xs);
    result(found >= 0 && info[found].domain == want_id, "xenstore name lookup", "id %d, xl domid %ld",
           found >= 0 ? (int)info[found].domain : -1, want_id);
    if (found < 0)
        return 1;
    domid = info[found].domain;
    result(!!(info[found].flags & XEN_DOMINF_hvm_guest) == !pv, "domain type", "%s (flags 0x%x)",
           (info[found].flags & XEN_DOMINF_hvm_guest) ? "hvm container" : "pv", info[found].flags);

    /* the kernel's page tables from vCPU 0's CR3: linux_banner by the
     * address the guest's kallsyms gives equals the banner it printed */
    uint64_t root = 0;
    if (pv) {
        vcpu_guest_context_any_t ctx;
        if (xc_vcpu_getcontext(xch, domid, 0, &ctx) == 0)
            root = xen_cr3_to_pfn_x86_64(ctx.x64.ctrlreg[3]);
        result(root != 0, "xc_vcpu_getcontext CR3", "cr3 mfn 0x%" PRIx64, root);
    } else {
        struct hvm_hw_cpu cpu;
        if (xc_domain_hvm_getcontext_partial(xch, domid, HVM_SAVE_CODE(CPU), 0, &cpu, sizeof cpu) == 0)
            root = cpu.cr3 >> 12;
        result(root != 0, "hvm context CR3", "cr3 gfn 0x%" PRIx64, root);
    }
    {
        char buf[200] = {0};
        size_t want = strlen(banner) < 100 ? strlen(banner) : 100;
        uint64_t off = ksym_banner & (PAGE - 1);
        size_t first = want < PAGE - off ? want : PAGE - off;
        int rc = read_va(root, ksym_banner, buf, first);
        if (rc == 0 && first < want)
            rc = read_va(root, ksym_banner + first, buf + first, want - first);
        result(rc == 0 && !memcmp(buf, banner, want), "linux_banner through CR3 equals VMI-BANNER",
               "%s at 0x%" PRIx64 ": \"%.40s\"", rc ? "unreadable" : "read", ksym_banner, buf);
    }

    /* one guest page: the marker the guest printed the physical address of */
    if (!pa_addr) {
        skip("marker by physical address", "no VMI-PA line on the console");
    } else if (pv) {
        vcpu_guest_context_any_t ctx;
        shared_info_t si;
        struct p2m p = {0};
        uint64_t mfn_v = 0, mfn_t = 0, pfn = pa_addr >> 12;
        int rv, rt;
        char buf[64] = {0};
        (void)ctx;
        if (read_frame(info[found].shared_info_frame, 0, &si, sizeof si) < 0) {
            result(0, "shared-info page", "frame 0x%" PRIx64 " not mappable", (uint64_t)info[found].shared_info_frame);
        } else {
            p.max_pfn = si.arch.max_pfn;
            p.fll = si.arch.pfn_to_mfn_frame_list_list;
            p.p2m_cr3 = si.arch.p2m_cr3;
            p.p2m_vaddr = si.arch.p2m_vaddr;
            result(p.max_pfn > pfn && p.max_pfn <= info[found].max_pages + 4096, "shared-info p2m anchors",
                   "max_pfn 0x%" PRIx64 " frame_list_list 0x%" PRIx64 " p2m_cr3 0x%" PRIx64 " p2m_vaddr 0x%" PRIx64,
                   p.max_pfn, p.fll, p.p2m_cr3, p.p2m_vaddr);
            rv = p2m_virt(&p, pfn, &mfn_v);
            rt = p2m_tree(&p, pfn, &mfn_t);
            if (rv == 0 && rt == 0)
                result(mfn_v == mfn_t, "p2m: linear list and frame-list tree agree", "pfn 0x%" PRIx64
                       " -> mfn 0x%" PRIx64 " / 0x%" PRIx64, pfn, mfn_v, mfn_t);
            else
                skip("p2m: linear list and frame-list tree agree", rv ? "no linear p2m" : "no frame-list tree");
            if (rv && rt) {
                result(0, "p2m translation", "pfn 0x%" PRIx64 " not translated", pfn);
            } else {
                uint64_t mfn = rv == 0 ? mfn_v : mfn_t;
                int rc = read_frame(mfn, pa_addr & (PAGE - 1), buf, strlen(pa_string));
                result(rc == 0 && !strcmp(buf, pa_string), "marker at pseudo-physical VMI-PA via p2m",
                       "pa 0x%" PRIx64 " mfn 0x%" PRIx64 ": \"%s\"", pa_addr, mfn, buf);
                /* the pseudo-physical frame number used as if it were a
                 * machine frame does not give the marker (the translation
                 * is needed: PV frames are not guest frames) */
                memset(buf, 0, sizeof buf);
                rc = read_frame(pfn, pa_addr & (PAGE - 1), buf, strlen(pa_string));
                result(mfn != pfn && (rc != 0 || strcmp(buf, pa_string)), "pfn is not the mfn (PV)",
                       "pfn 0x%" PRIx64 " mfn 0x%" PRIx64, pfn, mfn);
            }
        }
    } else {
        char buf[64] = {0};
        int rc = read_frame(pa_addr >> 12, pa_addr & (PAGE - 1), buf, strlen(pa_string));
        result(rc == 0 && !strcmp(buf, pa_string), "marker at guest-physical VMI-PA", "pa 0x%" PRIx64 ": \"%s\"",
               pa_addr, buf);
    }

    /* pause: no VMI-TICK while paused (for 3 tick intervals as measured
     * now), the paused flag; after unpause the ticks come again */
    {
        int before, during, after = 0, k, hold;
        double iv = tick_interval(argv[4]);
        xc_domaininfo_t di;
        int paused = 0;
        hold = pause_hold(iv);
        if (iv < 0) {
            result(0, "VMI-TICK lines arrive", "none in 300 s");
        } else if (xc_domain_pause(xch, domid) == 0) {
            sleep(1);
            before = count_ticks(argv[4]);
            if (xc_domain_getinfolist(xch, domid, 1, &di) == 1)
                paused = !!(di.flags & XEN_DOMINF_paused);
            sleep(hold);
            during = count_ticks(argv[4]);
            xc_domain_unpause(xch, domid);
            for (k = 0; k < 2 * hold + 60; k++) {
                sleep(1);
                after = count_ticks(argv[4]);
                if (after > during)
                    break;
            }
            result(paused && before == during, "pause: flag set and no VMI-TICK for 3 tick intervals",
                   "%d s (a tick every %.1f s now), ticks %d -> %d", hold, iv, before, during);
            result(after > during, "unpause: VMI-TICK again", "ticks %d -> %d", during, after);
        } else {
            result(0, "xc_domain_pause", "%s", strerror(errno));
        }
    }
    xenforeignmemory_close(fmem);
    xc_interface_close(xch);
    return failed;
}
