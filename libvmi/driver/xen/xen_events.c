/*
 * xen_events.c - events of Xen HVM/PVH domains through vm_event: the
 * monitor ring (xc_monitor_enable), its event channel (libxenevtchn), and
 * the monitors of each kind (CR writes, software breakpoints, single-step,
 * page permissions with xc_set_mem_access).  Each request on the ring is
 * turned into the registered vmi_event_t (its OUT fields filled), delivered
 * through the core (vmi_event_deliver), and answered on the ring, which
 * lets the paused vCPU go.
 *
 * vm_event needs hardware-assisted paging: a PV guest is refused.  What a
 * host's Xen can monitor is asked (xc_monitor_get_capabilities), and what
 * cannot work on the host's CPU is refused before asking, saying why
 * (host_cpu below: single-step and page permissions need VT-x/EPT; INT3
 * under QEMU's emulated SVM never reaches Xen).
 *
 * Teardown (close, and the exit/fatal-signal path of xen.c): monitors off,
 * page permissions back to rwx, every request on the ring answered, the
 * ring disabled (which also wakes vCPUs that waited for room on it).
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include "xen.h"
#include <signal.h>
#include <xen/vm_event.h>

#define XEN_HONOURED (VMI_EVENT_RESPONSE_DENY | VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP | \
                      VMI_EVENT_RESPONSE_SET_REGISTERS | VMI_EVENT_RESPONSE_EMULATE)
#define X86_TRAP_INT3 3
#define X86_EVENTTYPE_SW_EXCEPTION 6
#define MAX_MEM_EVENTS 64

typedef struct mem_slot {
    vmi_event_t *ev;
    uint64_t gfn, npages;
} mem_slot_t;

typedef struct xen_events {
    void *ring_page;
    uint32_t remote_port;
    int local_port;
    xenevtchn_handle *xce;
    vm_event_back_ring_t back;
    uint32_t caps;
    vmi_event_t *cr[3];         /* CR0, CR3, CR4 (VM_EVENT_X86_CR*) */
    vmi_event_t *int3;
    vmi_event_t *ss;
    uint32_t ss_on;             /* vCPUs stepping */
    mem_slot_t mem[MAX_MEM_EVENTS];
    unsigned nmem;
    x86_registers_t regs;
    bool version_warned;
} xen_events_t;

/* The exit/signal path's view of open rings (xen.c calls
 * xen_events_emergency). */
typedef struct ev_slot {
    volatile sig_atomic_t used;
    xen_data_t *x;
} ev_slot_t;
static ev_slot_t ev_slots[16];

static void ev_slot_set(xen_data_t *x, bool on)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ev_slots); i++) {
        if (on && !ev_slots[i].used) {
            ev_slots[i].x = x;
            ev_slots[i].used = 1;
            return;
        }
        if (!on && ev_slots[i].used && ev_slots[i].x == x) {
            ev_slots[i].used = 0;
            return;
        }
    }
}

static const char *cr_index_name(unsigned i)
{
    return i == VM_EVENT_X86_CR0 ? "CR0" : i == VM_EVENT_X86_CR3 ? "CR3" : "CR4";
}

static bool refuse_pv(vmi_instance_t vmi, xen_data_t *x, GError **error)
{
    if (!x->pv)
        return true;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "Xen domain '%s' is a PV guest: events need vm_event, which needs hardware-"
                "assisted paging (an HVM or PVH guest on EPT/NPT); a PV guest runs on Xen's "
                "shadow of its own page tables, with no HAP", vmi->name);
    return false;
}

/*
 * What the host's HVM is, from dom0: the CPU vendor (cpuid leaf 0; a PV
 * dom0 sees the host's) and its brand string (leaves 0x80000002-4).  Xen
 * 4.17 monitors page permissions only on Intel VT-x with EPT
 * (p2m_mem_access_sanity_check() asks cpu_has_vmx) and single-steps only
 * with VT-x's monitor trap flag; on AMD SVM both are refused, which we say
 * before asking.  QEMU's TCG emulation of SVM raises an INT3 instruction as
 * a software interrupt (its raise_interrupt2() checks the SWINT intercept
 * for is_int, never the #BP exception intercept Xen sets for its
 * software-breakpoint monitor), so under QEMU a planted INT3 would reach
 * the guest's own #BP handler instead of Xen.
 */
typedef struct host_cpu {
    bool intel, amd, qemu;
    char vendor[13];
    char brand[49];
} host_cpu_t;

static void host_cpu(host_cpu_t *h)
{
    unsigned a, b, c, d;
    memset(h, 0, sizeof(*h));
    __cpuid(0, a, b, c, d);
    memcpy(h->vendor, &b, 4);
    memcpy(h->vendor + 4, &d, 4);
    memcpy(h->vendor + 8, &c, 4);
    /* VT-x: Intel, and the VIA/Zhaoxin parts Xen also drives with vmx.c */
    h->intel = !strcmp(h->vendor, "GenuineIntel") || !strcmp(h->vendor, "CentaurHauls") ||
               !strcmp(h->vendor, "  Shanghai  ");
    h->amd = !strcmp(h->vendor, "AuthenticAMD") || !strcmp(h->vendor, "HygonGenuine");
    __cpuid(0x80000000, a, b, c, d);
    if (a >= 0x80000004)
        for (unsigned i = 0; i < 3; i++) {
            unsigned r[4];
            __cpuid(0x80000002 + i, r[0], r[1], r[2], r[3]);
            memcpy(h->brand + 16 * i, r, 16);
        }
    h->qemu = strstr(h->brand, "QEMU") != NULL;
}

static bool refuse_not_vmx(xen_data_t *x, bool singlestep, GError **error)
{
    host_cpu_t h;
    host_cpu(&h);
    if (h.intel)
        return true;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "cannot %s Xen domain %u: Xen supports %s only on Intel VT-x%s; this host's HVM "
                "is %s (cpuid vendor %s)",
                singlestep ? "single-step" : "set page permissions (memory events) on", x->domid,
                singlestep ? "single-step (the monitor trap flag)" : "mem_access page permissions",
                singlestep ? "" : " with EPT", h.amd ? "AMD SVM" : "not VT-x", h.vendor);
    return false;
}

/* The ring and its event channel, on the first event registered. */
static bool ring_up(vmi_instance_t vmi, xen_data_t *x, GError **error)
{
    if (x->ev)
        return true;
    const xen_libs_t *L = x->L;
    if (!L->xenevtchn_open) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "events of Xen domains need libxenevtchn.so.1, which could not be loaded");
        return false;
    }
    xen_events_t *e = g_new0(xen_events_t, 1);
    e->local_port = -1;
    if (L->xc_monitor_get_capabilities(x->xch, x->domid, &e->caps) < 0)
        e->caps = 0;
    e->ring_page = L->xc_monitor_enable(x->xch, x->domid, &e->remote_port);
    g_debug("xen: monitor ring of domain %u: page %p, port %u, capabilities 0x%x", x->domid,
            e->ring_page, e->remote_port, e->caps);
    if (!e->ring_page) {
        int err = errno;
        g_set_error(error, VMI_ERROR, err == EBUSY ? VMI_ERROR_INVALID : VMI_ERROR_UNSUPPORTED,
                    "cannot attach to the vm_event monitor ring of Xen domain %u: %s%s", x->domid,
                    g_strerror(err),
                    err == EBUSY ? " (another monitor is attached: one per domain)"
                    : err == EOPNOTSUPP || err == ENODEV ? " (no hardware-assisted paging?)" : "");
        g_free(e);
        return false;
    }
    e->xce = L->xenevtchn_open(NULL, 0);
    if (e->xce)
        e->local_port = L->xenevtchn_bind_interdomain(e->xce, x->domid, e->remote_port);
    if (!e->xce || e->local_port < 0) {
        int err = errno;
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO,
                    "cannot bind the event channel of Xen domain %u's monitor ring: %s",
                    x->domid, g_strerror(err));
        if (e->xce)
            L->xenevtchn_close(e->xce);
        L->xc_monitor_disable(x->xch, x->domid);
        munmap(e->ring_page, XEN_PAGE_SIZE);
        g_free(e);
        return false;
    }
    SHARED_RING_INIT((vm_event_sring_t *)e->ring_page);
    BACK_RING_INIT(&e->back, (vm_event_sring_t *)e->ring_page, XEN_PAGE_SIZE);
    x->ev = e;
    xen_install_exit_hooks();
    ev_slot_set(x, true);
    return true;
}

static void fill_regs(xen_events_t *e, const struct vm_event_regs_x86 *r)
{
    x86_registers_t *g = &e->regs;
    memset(g, 0, sizeof(*g));
    g->rax = r->rax; g->rcx = r->rcx; g->rdx = r->rdx; g->rbx = r->rbx;
    g->rsp = r->rsp; g->rbp = r->rbp; g->rsi = r->rsi; g->rdi = r->rdi;
    g->r8 = r->r8; g->r9 = r->r9; g->r10 = r->r10; g->r11 = r->r11;
    g->r12 = r->r12; g->r13 = r->r13; g->r14 = r->r14; g->r15 = r->r15;
    g->rflags = r->rflags; g->dr6 = r->dr6; g->dr7 = r->dr7; g->rip = r->rip;
    g->cr0 = r->cr0; g->cr2 = r->cr2; g->cr3 = r->cr3; g->cr4 = r->cr4;
    g->sysenter_cs = r->sysenter_cs; g->sysenter_esp = r->sysenter_esp;
    g->sysenter_eip = r->sysenter_eip; g->msr_efer = r->msr_efer; g->msr_star = r->msr_star;
    g->msr_lstar = r->msr_lstar; g->fs_base = r->fs_base; g->gs_base = r->gs_base;
    g->gdtr_base = r->gdtr_base; g->npt_base = r->npt_base;
}

static void regs_back(const xen_events_t *e, struct vm_event_regs_x86 *r)
{
    const x86_registers_t *g = &e->regs;
    r->rax = g->rax; r->rcx = g->rcx; r->rdx = g->rdx; r->rbx = g->rbx;
    r->rsp = g->rsp; r->rbp = g->rbp; r->rsi = g->rsi; r->rdi = g->rdi;
    r->r8 = g->r8; r->r9 = g->r9; r->r10 = g->r10; r->r11 = g->r11;
    r->r12 = g->r12; r->r13 = g->r13; r->r14 = g->r14; r->r15 = g->r15;
    r->rflags = g->rflags; r->rip = g->rip;
}

static int cr_index(reg_t reg)
{
    switch (reg) {
    case CR0: return VM_EVENT_X86_CR0;
    case CR3: return VM_EVENT_X86_CR3;
    case CR4: return VM_EVENT_X86_CR4;
    default: return -1;
    }
}

/* VMI_MEMACCESS_* to Xen's page access that lets everything else through */
static int xen_access_for(vmi_mem_access_t want)
{
    int deny = ((want & VMI_MEMACCESS_R) ? 1 : 0) | ((want & VMI_MEMACCESS_W) ? 2 : 0) |
               ((want & VMI_MEMACCESS_X) ? 4 : 0);
    return 7 & ~deny;   /* XENMEM_access_{n,r,w,rw,x,rx,wx,rwx} are 0..7 */
}

bool xen_register_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    const xen_libs_t *L = x->L;
    if (!refuse_pv(vmi, x, error) || !ring_up(vmi, x, error))
        return false;
    xen_events_t *e = x->ev;
    bool modern = vmi_event_is_modern(event);
    if (modern && event->slat_id) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "SLAT views (altp2m, slat_id %u) are not supported by the xen driver",
                    event->slat_id);
        return false;
    }
    switch (event->type) {
    case VMI_EVENT_REGISTER: {
        int i = cr_index(event->reg_event.reg);
        if (i < 0 || !(event->reg_event.in_access & VMI_REGACCESS_W)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "the xen driver delivers writes to CR0, CR3 and CR4 (register %"
                        G_GUINT64_FORMAT ", access %u asked)", (guint64)event->reg_event.reg,
                        event->reg_event.in_access);
            return false;
        }
        if (e->cr[i]) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "a %s write event is registered "
                        "already", cr_index_name(i));
            return false;
        }
        if (L->xc_monitor_write_ctrlreg(x->xch, x->domid, i, true, !event->reg_event.async, 0,
                                        event->reg_event.onchange) < 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "Xen refused to monitor %s writes of domain %u: %s", cr_index_name(i),
                        x->domid, g_strerror(errno));
            return false;
        }
        e->cr[i] = event;
        return true;
    }
    case VMI_EVENT_INTERRUPT:
        if (event->interrupt_event.intr != INT3) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "the xen driver delivers INT3 interrupt events only (intr %u asked)",
                        event->interrupt_event.intr);
            return false;
        }
        if (e->int3) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "an INT3 event is registered already (one catches every INT3)");
            return false;
        }
        {
            host_cpu_t h;
            host_cpu(&h);
            const char *force = getenv("LIBVMI_XEN_INT3");
            if (h.amd && h.qemu && !(force && !strcmp(force, "1"))) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                            "INT3 events refused on Xen domain %u: Xen runs on QEMU's emulated "
                            "AMD SVM (cpu '%s'), which raises INT3 as a software interrupt, not "
                            "as the #BP exception intercept Xen's breakpoint monitor uses: a "
                            "planted INT3 would reach the guest's own #BP handler (and crash "
                            "it). LIBVMI_XEN_INT3=1 overrides.", x->domid, h.brand);
                return false;
            }
        }
        if (L->xc_monitor_software_breakpoint(x->xch, x->domid, true) < 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "Xen refused to monitor software breakpoints of domain %u: %s", x->domid,
                        g_strerror(errno));
            return false;
        }
        e->int3 = event;
        return true;
    case VMI_EVENT_SINGLESTEP: {
        if (!event->ss_event.vcpus) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "a single-step event needs at least one vCPU (SET_VCPU_SINGLESTEP)");
            return false;
        }
        if (e->ss) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "a single-step event is registered already");
            return false;
        }
        if (!(e->caps & (1u << XEN_DOMCTL_MONITOR_EVENT_SINGLESTEP)) &&
            !refuse_not_vmx(x, true, error))
            return false;
        if (!(e->caps & (1u << XEN_DOMCTL_MONITOR_EVENT_SINGLESTEP))) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "this Xen cannot single-step domain %u: its monitor capabilities (0x%x) "
                        "lack single-step, which needs Intel VT-x's monitor trap flag (AMD SVM "
                        "has none)", x->domid, e->caps);
            return false;
        }
        if (L->xc_monitor_singlestep(x->xch, x->domid, true) < 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "Xen refused to monitor single-steps of domain %u: %s", x->domid,
                        g_strerror(errno));
            return false;
        }
        e->ss = event;
        if (!modern || event->ss_event.enable)
            for (unsigned v = 0; v < x->vcpus && v < 32; v++)
                if (event->ss_event.vcpus & (1u << v))
                    xen_singlestep_vcpu(vmi, event, v, true, NULL);
        return true;
    }
    case VMI_EVENT_MEMORY: {
        const mem_event_t *m = &event->mem_event;
        uint64_t gfn, n = 1;
        if (modern) {
            if (m->generic || m->gfn == ~0ull) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                            "generic memory events are not supported by the xen driver");
                return false;
            }
            gfn = m->gfn;
        } else {
            gfn = m->physical_address >> XEN_PAGE_SHIFT;
            if (m->granularity == VMI_MEMEVENT_PAGE && m->npages)
                n = m->npages;
        }
        if (n > 4096 || gfn >= x->limit_pfn || e->nmem == MAX_MEM_EVENTS) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "a memory event on %" G_GUINT64_FORMAT " pages at gfn 0x%" G_GINT64_MODIFIER
                        "x: out of range (or %u memory events already)", (guint64)n,
                        (guint64)gfn, MAX_MEM_EVENTS);
            return false;
        }
        if (!refuse_not_vmx(x, false, error))
            return false;
        if (L->xc_set_mem_access(x->xch, x->domid, xen_access_for(m->in_access), gfn, n) < 0) {
            int err = errno;
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "Xen refused page permissions on gfn 0x%" G_GINT64_MODIFIER "x of domain "
                        "%u: %s%s", (guint64)gfn, x->domid, g_strerror(err),
                        err == EOPNOTSUPP ? " (Xen's mem_access needs Intel VT-x with EPT; "
                        "this guest runs on another kind of HAP, e.g. AMD NPT)" : "");
            return false;
        }
        e->mem[e->nmem++] = (mem_slot_t){ event, gfn, n };
        return true;
    }
    default:
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "%s events (type %u) are not supported by the xen driver",
                    vmi_event_type_name(event->type), event->type);
        return false;
    }
}

bool xen_singlestep_vcpu(vmi_instance_t vmi, vmi_event_t *event, unsigned vcpu, bool on,
                         GError **error)
{
    xen_data_t *x = xen_data(vmi);
    (void)event;
    if (!refuse_pv(vmi, x, error))
        return false;
    if (!x->ev || !x->ev->ss) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "no single-step event is registered");
        return false;
    }
    if (x->L->xc_domain_debug_control(x->xch, x->domid,
                                      on ? XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_ON
                                         : XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_OFF, vcpu) < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED, "cannot %s single-stepping vCPU %u of "
                    "Xen domain %u: %s", on ? "start" : "stop", vcpu, x->domid, g_strerror(errno));
        return false;
    }
    if (on)
        x->ev->ss_on |= 1u << vcpu;
    else
        x->ev->ss_on &= ~(1u << vcpu);
    return true;
}

bool xen_clear_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    xen_events_t *e = x->ev;
    const xen_libs_t *L = x->L;
    if (!e) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "this event is not registered");
        return false;
    }
    for (int i = 0; i < 3; i++)
        if (e->cr[i] == event) {
            L->xc_monitor_write_ctrlreg(x->xch, x->domid, i, false, false, 0, false);
            e->cr[i] = NULL;
            return true;
        }
    if (e->int3 == event) {
        L->xc_monitor_software_breakpoint(x->xch, x->domid, false);
        e->int3 = NULL;
        return true;
    }
    if (e->ss == event) {
        for (unsigned v = 0; v < 32; v++)
            if (e->ss_on & (1u << v))
                xen_singlestep_vcpu(vmi, event, v, false, NULL);
        L->xc_monitor_singlestep(x->xch, x->domid, false);
        e->ss = NULL;
        return true;
    }
    for (unsigned i = 0; i < e->nmem; i++)
        if (e->mem[i].ev == event) {
            L->xc_set_mem_access(x->xch, x->domid, 7 /* XENMEM_access_rwx */, e->mem[i].gfn,
                                 e->mem[i].npages);
            e->mem[i] = e->mem[--e->nmem];
            return true;
        }
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "this event is not registered");
    return false;
}

static vmi_event_t *mem_event_for(xen_events_t *e, uint64_t gfn)
{
    for (unsigned i = 0; i < e->nmem; i++)
        if (gfn >= e->mem[i].gfn && gfn - e->mem[i].gfn < e->mem[i].npages)
            return e->mem[i].ev;
    return NULL;
}

/* One request: the event it means, delivered; the response filled. */
static void handle(vmi_instance_t vmi, xen_data_t *x, const vm_event_request_t *req,
                   vm_event_response_t *rsp, GError **first_error)
{
    xen_events_t *e = x->ev;
    GError *err = NULL;
    memset(rsp, 0, sizeof(*rsp));
    rsp->version = VM_EVENT_INTERFACE_VERSION;
    rsp->vcpu_id = req->vcpu_id;
    rsp->flags = req->flags & VM_EVENT_FLAG_VCPU_PAUSED;
    rsp->reason = req->reason;
    rsp->altp2m_idx = req->altp2m_idx;
    if (req->version != VM_EVENT_INTERFACE_VERSION) {
        if (!e->version_warned)
            g_set_error(first_error && !*first_error ? first_error : &err, VMI_ERROR,
                        VMI_ERROR_UNSUPPORTED, "the Xen hypervisor speaks vm_event version %u, "
                        "libvmi was built for %u: the event was answered unread", req->version,
                        VM_EVENT_INTERFACE_VERSION);
        g_clear_error(&err);
        e->version_warned = true;
        return;
    }
    fill_regs(e, &req->data.regs.x86);
    vmi_event_t *ev = NULL;
    uint64_t rip = req->data.regs.x86.rip;
    switch (req->reason) {
    case VM_EVENT_REASON_WRITE_CTRLREG:
        if (req->u.write_ctrlreg.index < 3 && (ev = e->cr[req->u.write_ctrlreg.index])) {
            ev->reg_event.value = req->u.write_ctrlreg.new_value;
            ev->reg_event.previous = req->u.write_ctrlreg.old_value;
            ev->reg_event.out_access = VMI_REGACCESS_W;
        }
        break;
    case VM_EVENT_REASON_SOFTWARE_BREAKPOINT:
        ev = e->int3;
        if (!ev) {
            /* the guest's own INT3 (monitor left on by a clear in flight) */
            x->L->xc_hvm_inject_trap(x->xch, x->domid, req->vcpu_id, X86_TRAP_INT3,
                                     X86_EVENTTYPE_SW_EXCEPTION, ~0u,
                                     req->u.software_breakpoint.insn_length, 0);
            return;
        }
        ev->interrupt_event.gla = rip;
        ev->interrupt_event.gfn = req->u.software_breakpoint.gfn;
        ev->interrupt_event.offset = rip & 0xfff;
        ev->interrupt_event.insn_length = req->u.software_breakpoint.insn_length;
        ev->interrupt_event.intr = INT3;
        ev->interrupt_event.reinject = -1;
        break;
    case VM_EVENT_REASON_SINGLESTEP:
        if ((ev = e->ss)) {
            ev->ss_event.gla = rip;
            ev->ss_event.gfn = req->u.singlestep.gfn;
            ev->ss_event.offset = rip & 0xfff;
        }
        break;
    case VM_EVENT_REASON_MEM_ACCESS: {
        const struct vm_event_mem_access *ma = &req->u.mem_access;
        if ((ev = mem_event_for(e, ma->gfn))) {
            mem_event_t *m = &ev->mem_event;
            m->gfn = ma->gfn;
            m->offset = ma->offset;
            m->gla = ma->gla;
            m->gla_valid = !!(ma->flags & MEM_ACCESS_GLA_VALID);
            m->gptw = !!(ma->flags & MEM_ACCESS_FAULT_IN_GPT);
            m->out_access = ((ma->flags & MEM_ACCESS_R) ? VMI_MEMACCESS_R : 0) |
                            ((ma->flags & MEM_ACCESS_W) ? VMI_MEMACCESS_W : 0) |
                            ((ma->flags & MEM_ACCESS_X) ? VMI_MEMACCESS_X : 0);
            if (!vmi_event_is_modern(ev))
                m->physical_address = (ma->gfn << XEN_PAGE_SHIFT) | ma->offset;
        }
        /* the access goes ahead, emulated past the permission we set */
        rsp->flags |= VM_EVENT_FLAG_EMULATE;
        break;
    }
    default:
        break;
    }
    if (!ev)
        return;
    ev->vcpu_id = req->vcpu_id;
    ev->page_mode = vmi->page_mode;
    ev->x86_regs = &e->regs;
    event_response_t r = vmi_event_deliver(vmi, ev);
    if (r && !vmi_event_check_response(ev, r, XEN_HONOURED, "xen", &err)) {
        if (first_error && !*first_error)
            *first_error = err;
        else
            g_error_free(err);
        err = NULL;
    }
    if (req->reason == VM_EVENT_REASON_SOFTWARE_BREAKPOINT && ev->type == VMI_EVENT_INTERRUPT) {
        int8_t re = ev->interrupt_event.reinject;
        if (re == -1 && first_error && !*first_error)
            g_set_error(first_error, VMI_ERROR, VMI_ERROR_INVALID,
                        "the INT3 callback must set interrupt_event.reinject to 0 or 1 (the guest "
                        "got the INT3)");
        if (re != 0)
            x->L->xc_hvm_inject_trap(x->xch, x->domid, req->vcpu_id, X86_TRAP_INT3,
                                     X86_EVENTTYPE_SW_EXCEPTION, ~0u,
                                     req->u.software_breakpoint.insn_length, 0);
    }
    if ((r & VMI_EVENT_RESPONSE_DENY) && req->reason == VM_EVENT_REASON_WRITE_CTRLREG)
        rsp->flags |= VM_EVENT_FLAG_DENY;
    if (r & VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP)
        rsp->flags |= VM_EVENT_FLAG_TOGGLE_SINGLESTEP;
    if (r & VMI_EVENT_RESPONSE_SET_REGISTERS) {
        rsp->flags |= VM_EVENT_FLAG_SET_REGISTERS;
        rsp->data.regs.x86 = req->data.regs.x86;
        regs_back(e, &rsp->data.regs.x86);
    }
}

/* Answers every request on the ring (delivering them when @deliver). */
static unsigned drain(vmi_instance_t vmi, xen_data_t *x, bool deliver, GError **first_error)
{
    xen_events_t *e = x->ev;
    unsigned n = 0;
    while (RING_HAS_UNCONSUMED_REQUESTS(&e->back)) {
        vm_event_request_t req;
        vm_event_response_t rsp;
        RING_IDX rc = e->back.req_cons;
        memcpy(&req, RING_GET_REQUEST(&e->back, rc), sizeof(req));
        e->back.req_cons = ++rc;
        e->back.sring->req_event = rc + 1;
        if (deliver) {
            handle(vmi, x, &req, &rsp, first_error);
        } else {
            memset(&rsp, 0, sizeof(rsp));
            rsp.version = VM_EVENT_INTERFACE_VERSION;
            rsp.vcpu_id = req.vcpu_id;
            rsp.flags = req.flags & VM_EVENT_FLAG_VCPU_PAUSED;
            rsp.reason = req.reason;
            if (req.reason == VM_EVENT_REASON_MEM_ACCESS)
                rsp.flags |= VM_EVENT_FLAG_EMULATE;
        }
        RING_IDX rp = e->back.rsp_prod_pvt;
        memcpy(RING_GET_RESPONSE(&e->back, rp), &rsp, sizeof(rsp));
        e->back.rsp_prod_pvt = ++rp;
        RING_PUSH_RESPONSES(&e->back);
        n++;
        if (!x->ev)
            break;
    }
    if (n)
        x->L->xenevtchn_notify(e->xce, e->local_port);
    return n;
}

bool xen_events_listen(vmi_instance_t vmi, uint32_t timeout_ms, GError **error)
{
    xen_data_t *x = xen_data(vmi);
    if (!refuse_pv(vmi, x, error))
        return false;
    xen_events_t *e = x->ev;
    if (!e) {
        /* nothing registered: wait as asked */
        g_usleep((gulong)timeout_ms * 1000);
        return true;
    }
    GError *first = NULL;
    g_debug("xen: ring of domain %u: req_prod %u rsp_prod %u, consumed %u", x->domid,
            e->back.sring->req_prod, e->back.sring->rsp_prod, e->back.req_cons);
    if (drain(vmi, x, true, &first) == 0) {
        struct pollfd p = { .fd = x->L->xenevtchn_fd(e->xce), .events = POLLIN };
        int rc = poll(&p, 1, (int)MIN(timeout_ms, (uint32_t)G_MAXINT));
        if (rc < 0 && errno != EINTR) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "waiting for Xen events: %s",
                        g_strerror(errno));
            return false;
        }
        if (rc > 0) {
            int port = x->L->xenevtchn_pending(e->xce);
            if (port >= 0)
                x->L->xenevtchn_unmask(e->xce, port);
        }
        if (x->ev)
            drain(vmi, x, true, &first);
    }
    if (first) {
        g_propagate_error(error, first);
        return false;
    }
    return true;
}

/* Monitors off, permissions back, the ring answered and detached. */
static void teardown(vmi_instance_t vmi, xen_data_t *x)
{
    xen_events_t *e = x->ev;
    const xen_libs_t *L = x->L;
    for (int i = 0; i < 3; i++)
        if (e->cr[i])
            L->xc_monitor_write_ctrlreg(x->xch, x->domid, i, false, false, 0, false);
    if (e->int3)
        L->xc_monitor_software_breakpoint(x->xch, x->domid, false);
    for (unsigned v = 0; v < 32; v++)
        if (e->ss_on & (1u << v))
            L->xc_domain_debug_control(x->xch, x->domid, XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_OFF, v);
    if (e->ss)
        L->xc_monitor_singlestep(x->xch, x->domid, false);
    for (unsigned i = 0; i < e->nmem; i++)
        L->xc_set_mem_access(x->xch, x->domid, 7, e->mem[i].gfn, e->mem[i].npages);
    memset(e->cr, 0, sizeof(e->cr));
    e->int3 = e->ss = NULL;
    e->nmem = 0;
    if (vmi)
        drain(vmi, x, false, NULL);
    L->xc_monitor_disable(x->xch, x->domid);
    L->xenevtchn_unbind(e->xce, e->local_port);
    L->xenevtchn_close(e->xce);
    munmap(e->ring_page, XEN_PAGE_SIZE);
}

void xen_events_close(vmi_instance_t vmi)
{
    xen_data_t *x = xen_data(vmi);
    if (!x->ev)
        return;
    ev_slot_set(x, false);
    teardown(vmi, x);
    g_clear_pointer(&x->ev, g_free);
}

void xen_events_emergency(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(ev_slots); i++) {
        if (!ev_slots[i].used)
            continue;
        ev_slots[i].used = 0;
        xen_data_t *x = ev_slots[i].x;
        xen_events_t *e = x->ev;
        const xen_libs_t *L = x->L;
        /* no delivery here: monitors off and the ring disabled, which
         * wakes every vCPU that waits on it */
        for (int c = 0; c < 3; c++)
            L->xc_monitor_write_ctrlreg(x->xch, x->domid, c, false, false, 0, false);
        L->xc_monitor_software_breakpoint(x->xch, x->domid, false);
        for (unsigned v = 0; v < 32; v++)
            if (e->ss_on & (1u << v))
                L->xc_domain_debug_control(x->xch, x->domid, XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_OFF, v);
        for (unsigned m = 0; m < e->nmem; m++)
            L->xc_set_mem_access(x->xch, x->domid, 7, e->mem[m].gfn, e->mem[m].npages);
        while (RING_HAS_UNCONSUMED_REQUESTS(&e->back)) {
            vm_event_request_t *req = RING_GET_REQUEST(&e->back, e->back.req_cons);
            vm_event_response_t rsp = { 0 };
            rsp.version = VM_EVENT_INTERFACE_VERSION;
            rsp.vcpu_id = req->vcpu_id;
            rsp.flags = req->flags & VM_EVENT_FLAG_VCPU_PAUSED;
            rsp.reason = req->reason;
            e->back.req_cons++;
            memcpy(RING_GET_RESPONSE(&e->back, e->back.rsp_prod_pvt), &rsp, sizeof(rsp));
            e->back.rsp_prod_pvt++;
        }
        RING_PUSH_RESPONSES(&e->back);
        L->xenevtchn_notify(e->xce, e->local_port);
        L->xc_monitor_disable(x->xch, x->domid);
    }
}
