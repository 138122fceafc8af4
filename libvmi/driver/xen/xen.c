/*
 * xen.c - the xen access driver: domains of the Xen hypervisor this program
 * runs beside (in dom0).
 *
 * The Xen libraries are loaded when a domain is opened (xen_libs.c).  Guest
 * memory is mapped with xenforeignmemory in batches of XEN_CHUNK_PAGES and
 * kept mapped in a cache (xen_mapcache.c).  A PV guest's memory is reached
 * through machine frames: the pseudo-physical addresses callers use are
 * translated through the guest's p2m (xen_p2m.c), and its page tables,
 * which hold machine frames, are walked through the seam's machine_frames
 * ops.  CR3 is reported and taken as a pseudo-physical address, like every
 * other address of this library.
 *
 * Configuration keys: domid (else the name, looked up in xenstore),
 * writable (0 refuses writes).
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#include "xen.h"
#include <xen/hvm/save.h>

_Static_assert(offsetof(struct shared_info, arch) == XEN_SHINFO_ARCH_OFFSET,
               "the shared-info page's arch part is where xen_p2m.c reads it");
_Static_assert(offsetof(struct shared_info, arch.p2m_generation) == XEN_SHINFO_ARCH_OFFSET + 40,
               "the shared-info arch fields are in the order xen_p2m.c reads them");
_Static_assert(sizeof(xen_pfn_t) == sizeof(uint64_t), "frames are 64-bit");

/* ------------------------------------------------------------ crash safety */

/* Domains we keep paused, for the exit and fatal-signal paths: a program
 * that ends (or crashes) must not leave a domain paused.  Fixed size and
 * lock-free reads, so the signal handler can walk it. */
#define XEN_PAUSE_SLOTS 64
typedef struct pause_slot {
    volatile sig_atomic_t used;
    uint32_t domid;
    volatile sig_atomic_t count;
    xc_interface *xch;
    const xen_libs_t *L;
} pause_slot_t;
static pause_slot_t pause_slots[XEN_PAUSE_SLOTS];
static gsize pause_hooks_done;

static void unpause_all(void)
{
    xen_events_emergency();
    for (size_t i = 0; i < XEN_PAUSE_SLOTS; i++) {
        pause_slot_t *s = &pause_slots[i];
        if (!s->used)
            continue;
        while (s->count > 0) {
            s->count--;
            s->L->xc_domain_unpause(s->xch, s->domid);
        }
    }
}

static void fatal_signal(int sig)
{
    /* Best effort: the unpause is a hypercall (an ioctl), which is what a
     * signal handler may do; then the signal's default action. */
    unpause_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_pause_hooks(void)
{
    if (!g_once_init_enter(&pause_hooks_done))
        return;
    atexit(unpause_all);
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT,
                                SIGFPE, SIGILL };
    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        struct sigaction old;
        /* only where the program has no handler of its own */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
            !(old.sa_flags & SA_SIGINFO)) {
            struct sigaction sa = { 0 };
            sa.sa_handler = fatal_signal;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_RESETHAND;
            sigaction(sigs[i], &sa, NULL);
        }
    }
    g_once_init_leave(&pause_hooks_done, 1);
}

static pause_slot_t *pause_slot(xen_data_t *x, bool create)
{
    for (size_t i = 0; i < XEN_PAUSE_SLOTS; i++)
        if (pause_slots[i].used && pause_slots[i].domid == x->domid &&
            pause_slots[i].xch == x->xch)
            return &pause_slots[i];
    if (!create)
        return NULL;
    for (size_t i = 0; i < XEN_PAUSE_SLOTS; i++)
        if (!pause_slots[i].used) {
            pause_slots[i].domid = x->domid;
            pause_slots[i].xch = x->xch;
            pause_slots[i].L = x->L;
            pause_slots[i].count = 0;
            pause_slots[i].used = 1;
            return &pause_slots[i];
        }
    return NULL;
}

bool xen_pause_domain(xen_data_t *x, GError **error)
{
    install_pause_hooks();
    pause_slot_t *s = pause_slot(x, true);
    if (x->L->xc_domain_pause(x->xch, x->domid) < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, e == ESRCH ? VMI_ERROR_GONE : VMI_ERROR_FAILED,
                    "cannot pause Xen domain %u: %s", x->domid, g_strerror(e));
        return false;
    }
    x->pauses++;
    if (s)
        s->count++;
    return true;
}

bool xen_unpause_domain(xen_data_t *x, GError **error)
{
    pause_slot_t *s = pause_slot(x, false);
    if (x->L->xc_domain_unpause(x->xch, x->domid) < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, e == ESRCH ? VMI_ERROR_GONE : VMI_ERROR_FAILED,
                    "cannot unpause Xen domain %u: %s", x->domid, g_strerror(e));
        return false;
    }
    if (x->pauses)
        x->pauses--;
    if (s && s->count > 0)
        s->count--;
    return true;
}

/* ------------------------------------------------------------ names */

/* The domain ID of @name: a number, or the name of a domain in xenstore. */
static bool xen_lookup(const xen_libs_t *L, const char *name, uint32_t *domid, GError **error)
{
    struct xs_handle *xs = L->xs_open(XS_OPEN_READONLY);
    if (!xs)
        xs = L->xs_open(0);
    if (!xs) {
        int e = errno;
        g_set_error(error, VMI_ERROR, e == EACCES ? VMI_ERROR_PERMISSION : VMI_ERROR_IO,
                    "cannot open xenstore to look up '%s': %s (is xenstored running, and are "
                    "we root in dom0?)", name, g_strerror(e));
        return false;
    }
    char *end;
    errno = 0;
    unsigned long n = strtoul(name, &end, 10);
    bool found = false;
    if (*name && !*end && errno == 0 && n < 0x7ff0) {
        g_autofree char *path = g_strdup_printf("/local/domain/%lu/name", n);
        unsigned int len;
        g_autofree char *v = L->xs_read(xs, XBT_NULL, path, &len);
        if (v) {
            *domid = n;
            found = true;
        }
    }
    if (!found) {
        unsigned int num = 0;
        g_autofree char **ids = L->xs_directory(xs, XBT_NULL, "/local/domain", &num);
        for (unsigned i = 0; ids && i < num && !found; i++) {
            g_autofree char *path = g_strdup_printf("/local/domain/%s/name", ids[i]);
            unsigned int len;
            g_autofree char *v = L->xs_read(xs, XBT_NULL, path, &len);
            if (v && strcmp(v, name) == 0) {
                *domid = strtoul(ids[i], NULL, 10);
                found = true;
            }
        }
    }
    L->xs_close(xs);
    if (!found)
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no Xen domain is named '%s' (xenstore /local/domain/*/name)", name);
    return found;
}

static bool xen_probe(const char *name, GHashTable *config)
{
    uint64_t id;
    if (!xen_is_dom0())
        return false;
    const xen_libs_t *L = xen_libs_get(NULL);
    if (!L)
        return false;
    if (vmi_config_get_num(config, "domid", &id))
        return true;
    uint32_t domid;
    return name && xen_lookup(L, name, &domid, NULL);
}

/* ------------------------------------------------------------ memory */

static void *mapper_map(void *opaque, const uint64_t *frames, int *err, size_t n, bool write)
{
    xen_data_t *x = opaque;
    return x->L->xenforeignmemory_map(x->fmem, x->domid, write ? PROT_READ | PROT_WRITE : PROT_READ,
                                      n, (const xen_pfn_t *)frames, err);
}

static void mapper_unmap(void *opaque, void *addr, size_t n)
{
    xen_data_t *x = opaque;
    x->L->xenforeignmemory_unmap(x->fmem, addr, n);
}

static bool mapper_frame(void *opaque, uint64_t pfn, uint64_t *frame)
{
    xen_data_t *x = opaque;
    if (!x->pv) {
        *frame = pfn;
        return true;
    }
    return xen_p2m_to_mfn(x->p2m, pfn, frame);
}

static void mapper_evicted(void *opaque)
{
    xen_data_t *x = opaque;
    /* the core's last-region memo may point into the chunk */
    x->vmi->memo_len = 0;
}

/* One machine frame, mapped for a moment (the p2m, before there is one). */
static bool machine_read_once(void *opaque, addr_t ma, void *buf, size_t len)
{
    xen_data_t *x = opaque;
    xen_pfn_t mfn = ma >> XEN_PAGE_SHIFT;
    int err = 0;
    if ((ma & (XEN_PAGE_SIZE - 1)) + len > XEN_PAGE_SIZE)
        return false;
    void *p = x->L->xenforeignmemory_map(x->fmem, x->domid, PROT_READ, 1, &mfn, &err);
    if (!p)
        return false;
    bool ok = err == 0;
    if (ok)
        memcpy(buf, (uint8_t *)p + (ma & (XEN_PAGE_SIZE - 1)), len);
    x->L->xenforeignmemory_unmap(x->fmem, p, 1);
    return ok;
}

static bool read_domaininfo(xen_data_t *x, xc_domaininfo_t *info, GError **error)
{
    if (xen_shim_domaininfo(x->L, x->xch, x->domid, info) < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_GONE, "Xen domain %u does not exist (any more)",
                    x->domid);
        return false;
    }
    return true;
}

/* (Re)reads a PV guest's p2m from its shared-info page. */
static bool load_p2m(xen_data_t *x, GError **error)
{
    xen_pv_shinfo_t si;
    if (!xen_shinfo_parse(x->shinfo, XEN_PAGE_SIZE, &si, error))
        return false;
    pt_reader_t m = { .read = machine_read_once, .opaque = x, .frames = NULL };
    xen_p2m_t *p = xen_p2m_read(&m, &si, x->limit_pfn, error);
    if (!p)
        return false;
    xen_p2m_free(x->p2m);
    x->p2m = p;
    return true;
}

void xen_memory_check(vmi_instance_t vmi, bool now)
{
    xen_data_t *x = xen_data(vmi);
    gint64 t = g_get_monotonic_time();
    if (!now && t - x->checked_at < XEN_CHECK_US)
        return;
    x->checked_at = t;
    xc_domaininfo_t info;
    if (!read_domaininfo(x, &info, NULL)) {
        vmi_set_gone(vmi, "the Xen domain was destroyed");
        return;
    }
    bool changed = info.tot_pages != x->tot_pages;
    if (x->pv) {
        xen_pv_shinfo_t si;
        if (xen_shinfo_parse(x->shinfo, XEN_PAGE_SIZE, &si, NULL) &&
            (si.p2m_generation != x->p2m->generation || si.max_pfn != x->p2m->max_pfn))
            changed = true;
        if (changed) {
            GError *err = NULL;
            if (!load_p2m(x, &err)) {
                g_debug("xen: re-reading the p2m failed: %s", err->message);
                g_error_free(err);
            }
        }
    }
    if (changed) {
        x->tot_pages = info.tot_pages;
        vmi->memo_len = 0;
        if (x->pv)
            xen_mapcache_check(x->cache);   /* the frames that moved */
        else
            xen_mapcache_flush(x->cache);   /* Xen keeps the p2m: all */
        v2p_cache_init(vmi);
    }
}

static uint8_t *xen_map(vmi_instance_t vmi, addr_t pa, size_t want, size_t *avail, bool write)
{
    xen_data_t *x = xen_data(vmi);
    if (x->snap) {
        uint64_t pfn = pa >> XEN_PAGE_SHIFT;
        if (write) {
            vmi_errorc(vmi, VMI_ERR_INVALID, "a shm-snapshot exists: writes would go nowhere "
                       "(destroy it first)");
            return NULL;
        }
        if (pfn >= x->snap->pages || x->snap->absent[pfn])
            return NULL;
        uint64_t end = pfn;
        while (end < x->snap->pages && !x->snap->absent[end] &&
               ((end - pfn) << XEN_PAGE_SHIFT) < want + (pa & 0xfff))
            end++;
        *avail = MIN(want, ((end - pfn) << XEN_PAGE_SHIFT) - (pa & 0xfff));
        return x->snap->mem + pa;
    }
    if (write && !x->writable) {
        vmi_errorc(vmi, VMI_ERR_PERMISSION, "writes to '%s' are off ('writable = 0' in its "
                   "configuration)", vmi->name);
        return NULL;
    }
    xen_memory_check(vmi, false);
    return xen_mapcache_get(x->cache, pa, want, avail, write);
}

static size_t xen_rw(vmi_instance_t vmi, addr_t pa, void *buf, size_t count, bool write)
{
    size_t done = 0;
    while (done < count) {
        size_t avail = 0;
        uint8_t *p = xen_map(vmi, pa + done, count - done, &avail, write);
        if (!p || !avail)
            break;
        size_t n = MIN(avail, count - done);
        if (write)
            memcpy(p, (const uint8_t *)buf + done, n);
        else
            memcpy((uint8_t *)buf + done, p, n);
        done += n;
    }
    return done;
}

static size_t xen_read(vmi_instance_t vmi, addr_t pa, void *buf, size_t count)
{
    return xen_rw(vmi, pa, buf, count, false);
}

static size_t xen_write(vmi_instance_t vmi, addr_t pa, const void *buf, size_t count)
{
    return xen_rw(vmi, pa, (void *)buf, count, true);
}

static uint64_t xen_memsize(vmi_instance_t vmi)
{
    xen_data_t *x = xen_data(vmi);
    return x->limit_pfn << XEN_PAGE_SHIFT;
}

static uint64_t xen_ram_size(vmi_instance_t vmi)
{
    xen_data_t *x = xen_data(vmi);
    return x->tot_pages << XEN_PAGE_SHIFT;
}

static const char *xen_access_path(vmi_instance_t vmi)
{
    xen_data_t *x = xen_data(vmi);
    if (x->snap)
        return "xen-snapshot";
    return x->pv ? "xen-pv" : "xen-hvm";
}

/* ------------------------------------------------------------ PV frames */

static bool xen_machine_frames(vmi_instance_t vmi)
{
    return xen_data(vmi)->pv;
}

static bool xen_phys_to_machine(vmi_instance_t vmi, addr_t pa, addr_t *ma)
{
    uint64_t mfn;
    if (!xen_p2m_to_mfn(xen_data(vmi)->p2m, pa >> XEN_PAGE_SHIFT, &mfn))
        return false;
    *ma = (mfn << XEN_PAGE_SHIFT) | (pa & 0xfff);
    return true;
}

static bool xen_machine_to_phys(vmi_instance_t vmi, addr_t ma, addr_t *pa)
{
    xen_data_t *x = xen_data(vmi);
    uint64_t pfn, mfn;
    if (!xen_p2m_to_pfn(x->p2m, ma >> XEN_PAGE_SHIFT, &pfn))
        return false;
    /* the inverse may lag the guest (ballooning): confirm, and once re-read */
    if (!xen_p2m_to_mfn(x->p2m, pfn, &mfn) || mfn != ma >> XEN_PAGE_SHIFT)
        return false;
    *pa = (pfn << XEN_PAGE_SHIFT) | (ma & 0xfff);
    return true;
}

/* ------------------------------------------------------------ registers */

typedef struct hvm_reg {
    uint16_t off;
    uint8_t size;
} hvm_reg_t;

#define HR(reg, field) [reg] = { offsetof(struct hvm_hw_cpu, field) + 1, sizeof(((struct hvm_hw_cpu *)0)->field) }
/* offset + 1, so that 0 means "not in the HVM context" */
static const hvm_reg_t hvm_regs[] = {
    HR(RAX, rax), HR(RBX, rbx), HR(RCX, rcx), HR(RDX, rdx), HR(RBP, rbp), HR(RSI, rsi),
    HR(RDI, rdi), HR(RSP, rsp), HR(R8, r8), HR(R9, r9), HR(R10, r10), HR(R11, r11),
    HR(R12, r12), HR(R13, r13), HR(R14, r14), HR(R15, r15), HR(RIP, rip), HR(RFLAGS, rflags),
    HR(CR0, cr0), HR(CR2, cr2), HR(CR3, cr3), HR(CR4, cr4),
    HR(DR0, dr0), HR(DR1, dr1), HR(DR2, dr2), HR(DR3, dr3), HR(DR6, dr6), HR(DR7, dr7),
    HR(CS_SEL, cs_sel), HR(DS_SEL, ds_sel), HR(ES_SEL, es_sel), HR(FS_SEL, fs_sel),
    HR(GS_SEL, gs_sel), HR(SS_SEL, ss_sel), HR(TR_SEL, tr_sel), HR(LDTR_SEL, ldtr_sel),
    HR(CS_LIMIT, cs_limit), HR(DS_LIMIT, ds_limit), HR(ES_LIMIT, es_limit),
    HR(FS_LIMIT, fs_limit), HR(GS_LIMIT, gs_limit), HR(SS_LIMIT, ss_limit),
    HR(TR_LIMIT, tr_limit), HR(LDTR_LIMIT, ldtr_limit), HR(IDTR_LIMIT, idtr_limit),
    HR(GDTR_LIMIT, gdtr_limit),
    HR(CS_BASE, cs_base), HR(DS_BASE, ds_base), HR(ES_BASE, es_base), HR(FS_BASE, fs_base),
    HR(GS_BASE, gs_base), HR(SS_BASE, ss_base), HR(TR_BASE, tr_base), HR(LDTR_BASE, ldtr_base),
    HR(IDTR_BASE, idtr_base), HR(GDTR_BASE, gdtr_base),
    HR(CS_ARBYTES, cs_arbytes), HR(DS_ARBYTES, ds_arbytes), HR(ES_ARBYTES, es_arbytes),
    HR(FS_ARBYTES, fs_arbytes), HR(GS_ARBYTES, gs_arbytes), HR(SS_ARBYTES, ss_arbytes),
    HR(TR_ARBYTES, tr_arbytes), HR(LDTR_ARBYTES, ldtr_arbytes),
    HR(SYSENTER_CS, sysenter_cs), HR(SYSENTER_ESP, sysenter_esp), HR(SYSENTER_EIP, sysenter_eip),
    HR(SHADOW_GS, shadow_gs), HR(TSC, tsc), HR(MSR_FLAGS, msr_flags), HR(MSR_LSTAR, msr_lstar),
    HR(MSR_CSTAR, msr_cstar), HR(MSR_SYSCALL_MASK, msr_syscall_mask), HR(MSR_EFER, msr_efer),
    HR(MSR_TSC_AUX, msr_tsc_aux),
};

static bool hvm_field(reg_t reg, const hvm_reg_t **r)
{
    if (reg >= G_N_ELEMENTS(hvm_regs) || !hvm_regs[reg].off)
        return false;
    *r = &hvm_regs[reg];
    return true;
}

static bool hvm_cpu(xen_data_t *x, unsigned long vcpu, struct hvm_hw_cpu *cpu, GError **error)
{
    if (x->L->xc_domain_hvm_getcontext_partial(x->xch, x->domid, HVM_SAVE_CODE(CPU), vcpu, cpu,
                                               sizeof(*cpu)) < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                    "cannot read the HVM context of vCPU %lu of Xen domain %u: %s", vcpu,
                    x->domid, g_strerror(e));
        return false;
    }
    return true;
}

/* A PV register's slot in the vCPU context; NULL when it has none. */
static uint64_t *pv_slot(struct vcpu_guest_context_x86_64 *c, reg_t reg)
{
    struct cpu_user_regs_x86_64 *u = &c->user_regs;
    switch (reg) {
    case RAX: return &u->rax;
    case RBX: return &u->rbx;
    case RCX: return &u->rcx;
    case RDX: return &u->rdx;
    case RBP: return &u->rbp;
    case RSI: return &u->rsi;
    case RDI: return &u->rdi;
    case RSP: return &u->rsp;
    case R8: return &u->r8;
    case R9: return &u->r9;
    case R10: return &u->r10;
    case R11: return &u->r11;
    case R12: return &u->r12;
    case R13: return &u->r13;
    case R14: return &u->r14;
    case R15: return &u->r15;
    case RIP: return &u->rip;
    case RFLAGS: return &u->rflags;
    case CR0: return &c->ctrlreg[0];
    case CR2: return &c->ctrlreg[2];
    case CR3: return &c->ctrlreg[3];
    case CR4: return &c->ctrlreg[4];
    case DR0: return &c->debugreg[0];
    case DR1: return &c->debugreg[1];
    case DR2: return &c->debugreg[2];
    case DR3: return &c->debugreg[3];
    case DR6: return &c->debugreg[6];
    case DR7: return &c->debugreg[7];
    case FS_BASE: return &c->fs_base;
    case GS_BASE: return &c->gs_base_kernel;
    case SHADOW_GS: return &c->gs_base_user;
    default: return NULL;
    }
}

static bool pv_context(xen_data_t *x, unsigned long vcpu, vcpu_guest_context_any_t *c,
                       GError **error)
{
    if (x->L->xc_vcpu_getcontext(x->xch, x->domid, vcpu, c) < 0) {
        int e = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                    "cannot read the context of vCPU %lu of Xen domain %u: %s", vcpu, x->domid,
                    g_strerror(e));
        return false;
    }
    return true;
}

static bool check_vcpu(xen_data_t *x, unsigned long vcpu, GError **error)
{
    if (vcpu >= x->vcpus) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "Xen domain %u has %u vCPUs: there is no vCPU %lu", x->domid, x->vcpus, vcpu);
        return false;
    }
    return true;
}

static bool xen_get_vcpureg(vmi_instance_t vmi, reg_t *value, reg_t reg, unsigned long vcpu,
                            GError **error)
{
    xen_data_t *x = xen_data(vmi);
    if (!check_vcpu(x, vcpu, error))
        return false;
    if (!x->pv) {
        const hvm_reg_t *r;
        struct hvm_hw_cpu cpu;
        if (!hvm_field(reg, &r)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "register %" G_GUINT64_FORMAT " is not in a Xen HVM vCPU context",
                        (guint64)reg);
            return false;
        }
        if (!hvm_cpu(x, vcpu, &cpu, error))
            return false;
        uint64_t v = 0;
        memcpy(&v, (uint8_t *)&cpu + r->off - 1, r->size);
        *value = v;
        return true;
    }
    vcpu_guest_context_any_t c;
    if (!pv_context(x, vcpu, &c, error))
        return false;
    uint64_t *slot = pv_slot(&c.x64, reg);
    switch (reg) {
    case CS_SEL: *value = c.x64.user_regs.cs; return true;
    case DS_SEL: *value = c.x64.user_regs.ds; return true;
    case ES_SEL: *value = c.x64.user_regs.es; return true;
    case FS_SEL: *value = c.x64.user_regs.fs; return true;
    case GS_SEL: *value = c.x64.user_regs.gs; return true;
    case SS_SEL: *value = c.x64.user_regs.ss; return true;
    case MSR_EFER: *value = (1u << 8) | (1u << 10) | (1u << 11); return true;  /* LME|LMA|NXE */
    default: break;
    }
    if (!slot) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register %" G_GUINT64_FORMAT " is not in a Xen PV vCPU context",
                    (guint64)reg);
        return false;
    }
    if (reg == CR3) {
        /* a machine frame: as the pseudo-physical address it is */
        uint64_t mfn = xen_cr3_to_pfn(c.x64.ctrlreg[3]);
        addr_t pa;
        if (!xen_machine_to_phys(vmi, mfn << XEN_PAGE_SHIFT, &pa)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "CR3 of vCPU %lu names machine frame 0x%" G_GINT64_MODIFIER "x, which the "
                        "guest's p2m does not map", vcpu, (guint64)mfn);
            return false;
        }
        *value = pa | (c.x64.ctrlreg[3] & 0xfff);
        return true;
    }
    *value = *slot;
    /* a PV guest always runs paged, in long mode (64-bit guests only) */
    if (reg == CR0)
        *value |= (1ULL << 31) | 1;
    if (reg == CR4)
        *value |= 1ULL << 5;
    return true;
}

static bool hvm_set(xen_data_t *x, reg_t reg, reg_t value, unsigned long vcpu, GError **error)
{
    const hvm_reg_t *r;
    if (!hvm_field(reg, &r)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register %" G_GUINT64_FORMAT " is not in a Xen HVM vCPU context", (guint64)reg);
        return false;
    }
    int size = x->L->xc_domain_hvm_getcontext(x->xch, x->domid, NULL, 0);
    if (size <= 0 || size > (64 << 20)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                    "cannot read the HVM context of Xen domain %u: %s", x->domid, g_strerror(errno));
        return false;
    }
    g_autofree uint8_t *buf = g_malloc(size);
    size = x->L->xc_domain_hvm_getcontext(x->xch, x->domid, buf, size);
    if (size <= 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                    "cannot read the HVM context of Xen domain %u: %s", x->domid, g_strerror(errno));
        return false;
    }
    size_t off = 0;
    while (off + sizeof(struct hvm_save_descriptor) <= (size_t)size) {
        struct hvm_save_descriptor d;
        memcpy(&d, buf + off, sizeof(d));
        off += sizeof(d);
        if (d.length > size - off)
            break;
        if (d.typecode == HVM_SAVE_CODE(CPU) && d.instance == vcpu &&
            d.length >= sizeof(struct hvm_hw_cpu)) {
            memcpy(buf + off + r->off - 1, &value, r->size);
            if (x->L->xc_domain_hvm_setcontext(x->xch, x->domid, buf, size) < 0) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                            "cannot set the HVM context of Xen domain %u: %s", x->domid,
                            g_strerror(errno));
                return false;
            }
            return true;
        }
        if (d.typecode == HVM_SAVE_CODE(END))
            break;
        off += d.length;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                "the HVM context of Xen domain %u has no CPU record for vCPU %lu", x->domid, vcpu);
    return false;
}

static bool xen_set_vcpureg(vmi_instance_t vmi, reg_t value, reg_t reg, unsigned long vcpu,
                            GError **error)
{
    xen_data_t *x = xen_data(vmi);
    if (!check_vcpu(x, vcpu, error))
        return false;
    if (!x->writable) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_PERMISSION,
                    "writes to '%s' are off ('writable = 0' in its configuration)", vmi->name);
        return false;
    }
    if (!x->pv)
        return hvm_set(x, reg, value, vcpu, error);
    vcpu_guest_context_any_t c;
    if (!pv_context(x, vcpu, &c, error))
        return false;
    uint64_t *slot = pv_slot(&c.x64, reg);
    if (!slot) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register %" G_GUINT64_FORMAT " cannot be set in a Xen PV vCPU context",
                    (guint64)reg);
        return false;
    }
    if (reg == CR3) {
        addr_t ma;
        if (!xen_phys_to_machine(vmi, value & ~0xfffULL, &ma)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "CR3 0x%" G_GINT64_MODIFIER "x is not a page of the guest", (guint64)value);
            return false;
        }
        value = xen_pfn_to_cr3(ma >> XEN_PAGE_SHIFT) | (value & 0xfff);
    }
    *slot = value;
    if (x->L->xc_vcpu_setcontext(x->xch, x->domid, vcpu, &c) < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                    "cannot set the context of vCPU %lu of Xen domain %u: %s", vcpu, x->domid,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static bool xen_get_lma(vmi_instance_t vmi, bool *lma)
{
    xen_data_t *x = xen_data(vmi);
    *lma = x->width == 8;
    return true;
}

static unsigned xen_num_vcpus(vmi_instance_t vmi)
{
    return xen_data(vmi)->vcpus;
}

/* ------------------------------------------------------------ run control */

static bool xen_pause(vmi_instance_t vmi, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    /* not nested: a second pause is a no-op, as the classic API has it */
    if (x->pauses)
        return true;
    return xen_pause_domain(x, error);
}

static bool xen_resume(vmi_instance_t vmi, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    if (!x->pauses)
        return true;
    return xen_unpause_domain(x, error);
}

static bool xen_is_running(vmi_instance_t vmi, bool *running, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    xc_domaininfo_t info;
    if (!read_domaininfo(x, &info, error))
        return false;
    *running = !(info.flags & (XEN_DOMINF_paused | XEN_DOMINF_shutdown | XEN_DOMINF_dying));
    return true;
}

/* ------------------------------------------------------------ snapshots */

#define SNAP_BATCH 1024

static bool xen_snapshot_create(vmi_instance_t vmi, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    if (x->snap)
        return true;
    uint64_t pages = x->limit_pfn;
    xen_snapshot_t *s = g_new0(xen_snapshot_t, 1);
    s->pages = pages;
    /* sparse: an HVM guest's frames span holes (its special pages sit
     * below 4 GiB); only the pages copied take memory */
    s->mem = mmap(NULL, pages << XEN_PAGE_SHIFT, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->mem == MAP_FAILED) {
        int e = errno;
        g_free(s);
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot allocate %" G_GUINT64_FORMAT
                    " MiB for a snapshot: %s", (guint64)(pages >> 8), g_strerror(e));
        return false;
    }
    s->absent = g_malloc0(pages);
    xen_pfn_t *frames = g_new(xen_pfn_t, SNAP_BATCH);
    int *err = g_new(int, SNAP_BATCH);
    /* The copy's pages are faulted in before the pause (in a PV dom0 each
     * fault is a page-table hypercall): the RAM part of the span, which
     * for an HVM guest starts at 0 (its special pages high up fault in
     * during the copy). */
    gint64 t0 = g_get_monotonic_time();
    uint64_t ram = x->pv ? pages : MIN(pages, x->tot_pages + 256);
    if (madvise(s->mem, ram << XEN_PAGE_SHIFT, MADV_POPULATE_WRITE) < 0)
        for (uint64_t i = 0; i < ram; i++)
            s->mem[i << XEN_PAGE_SHIFT] = 0;
    gint64 t1 = g_get_monotonic_time();
    bool paused = false;
    if (!x->pauses) {
        if (!xen_pause_domain(x, error))
            goto fail;
        paused = true;
    }
    if (x->pv)
        xen_memory_check(vmi, true);   /* the p2m as it is now, paused */
    for (uint64_t first = 0; first < pages; first += SNAP_BATCH) {
        size_t n = MIN(SNAP_BATCH, pages - first);
        for (size_t i = 0; i < n; i++) {
            uint64_t f;
            frames[i] = mapper_frame(x, first + i, &f) ? f : XEN_INVALID_MFN;
        }
        uint8_t *p = x->L->xenforeignmemory_map(x->fmem, x->domid, PROT_READ, n, frames, err);
        for (size_t i = 0; i < n; i++) {
            if (!p || err[i] || frames[i] == XEN_INVALID_MFN)
                s->absent[first + i] = 1;
            else
                memcpy(s->mem + ((first + i) << XEN_PAGE_SHIFT), p + (i << XEN_PAGE_SHIFT),
                       XEN_PAGE_SIZE);
        }
        if (p)
            x->L->xenforeignmemory_unmap(x->fmem, p, n);
    }
    if (paused)
        xen_unpause_domain(x, NULL);
    s->pause_s = (g_get_monotonic_time() - t1) / 1e6;
    s->prefault_s = (t1 - t0) / 1e6;
    uint64_t have = 0;
    for (uint64_t i = 0; i < pages; i++)
        have += !s->absent[i];
    g_debug("xen: snapshot of %" G_GUINT64_FORMAT " pages (%" G_GUINT64_FORMAT " present), "
            "memory faulted in %.3f s, domain paused %.3f s for the copy", (guint64)pages,
            (guint64)have, s->prefault_s, s->pause_s);
    g_free(frames);
    g_free(err);
    vmi->memo_len = 0;
    x->snap = s;
    return true;
fail:
    g_free(frames);
    g_free(err);
    munmap(s->mem, pages << XEN_PAGE_SHIFT);
    g_free(s->absent);
    g_free(s);
    return false;
}

static void snapshot_free(xen_data_t *x)
{
    if (!x->snap)
        return;
    munmap(x->snap->mem, x->snap->pages << XEN_PAGE_SHIFT);
    g_free(x->snap->absent);
    g_clear_pointer(&x->snap, g_free);
}

static bool xen_snapshot_destroy(vmi_instance_t vmi, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    if (!x->snap) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "there is no shm-snapshot to destroy");
        return false;
    }
    snapshot_free(x);
    vmi->memo_len = 0;
    return true;
}

/* ------------------------------------------------------------ open, close */

static void xen_close(vmi_instance_t vmi)
{
    xen_data_t *x = xen_data(vmi);
    if (!x)
        return;
    xen_events_close(vmi);
    while (x->pauses && xen_unpause_domain(x, NULL))
        ;
    pause_slot_t *s = pause_slot(x, false);
    if (s)
        s->used = 0;
    snapshot_free(x);
    xen_mapcache_free(x->cache);
    if (x->shinfo)
        x->L->xenforeignmemory_unmap(x->fmem, x->shinfo, 1);
    xen_p2m_free(x->p2m);
    if (x->fmem)
        x->L->xenforeignmemory_close(x->fmem);
    if (x->xch)
        x->L->xc_interface_close(x->xch);
    g_free(x);
    vmi->driver_data = NULL;
}

static bool xen_open(vmi_instance_t vmi, const char *name, GHashTable *config, GError **error)
{
    const xen_libs_t *L = xen_libs_get(error);
    if (!L)
        return false;
    xen_data_t *x = g_new0(xen_data_t, 1);
    x->L = L;
    x->vmi = vmi;
    vmi->driver_data = x;
    uint64_t v;
    x->writable = !vmi_config_get_num(config, "writable", &v) || v != 0;

    if (vmi->domid != VMI_INVALID_DOMID) {
        x->domid = vmi->domid;
    } else if (!xen_lookup(L, name, &x->domid, error)) {
        goto fail;
    }
    vmi->domid = x->domid;
    if (x->domid == 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "Xen domain 0 is the control domain this program runs in: introspect a domU");
        goto fail;
    }
    x->xch = L->xc_interface_open(NULL, NULL, 0);
    if (!x->xch) {
        int e = errno;
        g_set_error(error, VMI_ERROR, e == EACCES || e == EPERM ? VMI_ERROR_PERMISSION : VMI_ERROR_IO,
                    "cannot open the Xen control interface (/dev/xen/privcmd): %s (root in dom0 "
                    "is needed)", g_strerror(e));
        goto fail;
    }
    x->fmem = L->xenforeignmemory_open(NULL, 0);
    if (!x->fmem) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot open xenforeignmemory: %s",
                    g_strerror(errno));
        goto fail;
    }
    xc_domaininfo_t info;
    if (!read_domaininfo(x, &info, error))
        goto fail;
    x->pv = !(info.flags & XEN_DOMINF_hvm_guest);
    x->vcpus = info.max_vcpu_id + 1;
    x->tot_pages = info.tot_pages;
    x->checked_at = g_get_monotonic_time();
    xen_pfn_t gpfns = 0;
    if (L->xc_domain_maximum_gpfn(x->xch, x->domid, &gpfns) < 0 || gpfns == 0)
        gpfns = info.max_pages;
    /* the frames the guest can reach: its highest gpfn (HVM), or for PV the
     * p2m's size, bounded by what Xen lets it have plus the slack of the
     * kernel's 1:1 and ballooning ranges */
    x->limit_pfn = (uint64_t)gpfns + 1;
    if (x->pv) {
        unsigned int width = 0;
        if (L->xc_domain_get_guest_width(x->xch, x->domid, &width) < 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                        "cannot read the address width of Xen PV domain %u: %s", x->domid,
                        g_strerror(errno));
            goto fail;
        }
        x->width = width;
        if (width != 8) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "Xen domain %u is a 32-bit PV guest: only 64-bit PV guests are "
                        "supported (their p2m entries and page tables are read as 64-bit)",
                        x->domid);
            goto fail;
        }
        x->shinfo_mfn = info.shared_info_frame;
        xen_pfn_t f = info.shared_info_frame;
        int err = 0;
        x->shinfo = L->xenforeignmemory_map(x->fmem, x->domid, PROT_READ, 1, &f, &err);
        if (!x->shinfo || err) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED,
                        "cannot map the shared-info page of Xen domain %u (machine frame 0x%"
                        G_GINT64_MODIFIER "x): %s", x->domid, (guint64)f,
                        g_strerror(err ? -err : errno));
            if (x->shinfo)
                L->xenforeignmemory_unmap(x->fmem, x->shinfo, 1);
            x->shinfo = NULL;
            goto fail;
        }
        /* a PV kernel's p2m covers its 1:1 ranges and balloon space too:
         * bound it by 64 GiB beyond the allocation, never unbounded */
        x->limit_pfn = MAX((uint64_t)info.max_pages, (uint64_t)gpfns + 1) + (1ULL << 24);
        if (!load_p2m(x, error))
            goto fail;
        x->limit_pfn = x->p2m->max_pfn;
    } else {
        struct hvm_hw_cpu cpu;
        if (!hvm_cpu(x, 0, &cpu, error))
            goto fail;
        x->width = (cpu.msr_efer & (1u << 10)) ? 8 : 4;
    }
    xen_mapper_t m = {
        .map = mapper_map,
        .unmap = mapper_unmap,
        .frame = mapper_frame,
        .evicted = mapper_evicted,
        .opaque = x,
    };
    x->cache = xen_mapcache_new(&m, x->limit_pfn, 0);
    g_debug("xen: domain %u ('%s'): %s, %u-bit, %u vCPUs, %" G_GUINT64_FORMAT " pages, release %s",
            x->domid, name, x->pv ? "PV" : "HVM/PVH", x->width * 8, x->vcpus,
            (guint64)x->limit_pfn, L->release->version);
    return true;
fail:
    xen_close(vmi);
    return false;
}


const vmi_driver_ops_t xen_driver_ops = {
    .name = "xen",
    .mode = VMI_XEN,
    .probe = xen_probe,
    .open = xen_open,
    .close = xen_close,
    .map = xen_map,
    .read = xen_read,
    .write = xen_write,
    .memsize = xen_memsize,
    .ram_size = xen_ram_size,
    .access_path = xen_access_path,
    .num_vcpus = xen_num_vcpus,
    .get_vcpureg = xen_get_vcpureg,
    .set_vcpureg = xen_set_vcpureg,
    .get_lma = xen_get_lma,
    .pause = xen_pause,
    .is_running = xen_is_running,
    .resume = xen_resume,
    .shm_snapshot_create = xen_snapshot_create,
    .shm_snapshot_destroy = xen_snapshot_destroy,
    .register_event = xen_register_event,
    .clear_event = xen_clear_event,
    .events_listen = xen_events_listen,
    .singlestep_vcpu = xen_singlestep_vcpu,
    .machine_frames = xen_machine_frames,
    .phys_to_machine = xen_phys_to_machine,
    .machine_to_phys = xen_machine_to_phys,
};
