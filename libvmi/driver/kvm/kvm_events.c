/*
 * kvm_events.c - events on a live QEMU guest, delivered by the gdbstub.
 *
 *   VMI_EVENT_INTERRUPT (INT3), classic -> a breakpoint (Z0) at the
 *        event's gla.  Modern -> a breakpoint at the guest's #BP handler
 *        (from IDT entry 3): every INT3 the guest executes lands there; the
 *        exception frame on the stack gives the INT3's address.  With
 *        reinject 0 the delivery is undone (RIP, RSP, RFLAGS from the
 *        frame), so the vCPU runs the INT3's address again.
 *   VMI_EVENT_MEMORY -> a watchpoint (Z2 write, Z3 read, Z4 access) on
 *        each kernel mapping of the physical range (image and direct map).
 *   VMI_EVENT_REGISTER (CR0/CR3/CR4 writes) -> a breakpoint at every
 *        `mov %reg, %crN` of the kernel's text (_stext.._etext), found by
 *        scanning it once: the event comes before the write, with the
 *        value (the source register) and the previous one.
 *   VMI_EVENT_SINGLESTEP -> single steps of the vCPUs that step.
 *
 * vmi_events_listen() lets the guest run until something fires or the
 * timeout passes, fills the event's out-fields, runs the callback through
 * the core (vmi_event_deliver), acts on a modern callback's response, steps
 * over a breakpoint that fired, and leaves the guest running.  While a vCPU
 * single-steps, the guest stays stopped between listens and each stepping
 * vCPU advances one instruction per listen.
 */
#include <string.h>
#include "kvm.h"

/* responses this driver acts on (DENY only for register events) */
#define KVM_HONOURED (VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP | VMI_EVENT_RESPONSE_SET_REGISTERS)

/* bound on the breakpoints of one register event (a kernel has tens) */
#define KVM_MAX_CR_SITES 4096
/* the text scanned for register events is read in pieces of this size */
#define KVM_SCAN_CHUNK (1u << 20)

static bool need_gdb(vmi_instance_t vmi, GError **error)
{
    if (kvm_data(vmi)->gdb)
        return true;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "events need the guest's gdbstub: add 'gdb' (its socket) to the configuration");
    return false;
}

static bool has_slots(kvm_data_t *k, vmi_event_t *event)
{
    if (!k->events)
        return false;
    for (guint i = 0; i < k->events->len; i++)
        if (((kvm_event_slot_t *)k->events->pdata[i])->event == event)
            return true;
    return false;
}

/* the vCPU's registers by the target's names, long mode or not */
static const char *reg_name(kvm_data_t *k, const char *lm, const char *legacy)
{
    return gdb_client_has_reg(k->gdb, lm) ? lm : legacy;
}

static const char *const gpr_names[16][2] = {
    { "rax", "eax" }, { "rcx", "ecx" }, { "rdx", "edx" }, { "rbx", "ebx" },
    { "rsp", "esp" }, { "rbp", "ebp" }, { "rsi", "esi" }, { "rdi", "edi" },
    { "r8", NULL }, { "r9", NULL }, { "r10", NULL }, { "r11", NULL },
    { "r12", NULL }, { "r13", NULL }, { "r14", NULL }, { "r15", NULL },
};

static bool read_gpr(kvm_data_t *k, unsigned vcpu, unsigned idx, uint64_t *v, GError **error)
{
    const char *name = reg_name(k, gpr_names[idx][0], gpr_names[idx][1] ? gpr_names[idx][1] : "");
    return gdb_client_read_reg(k->gdb, vcpu, name, v, error);
}

static bool read_pc(kvm_data_t *k, unsigned vcpu, uint64_t *pc, GError **error)
{
    return gdb_client_read_reg(k->gdb, vcpu, reg_name(k, "rip", "eip"), pc, error);
}

/* The page directory a CR3 value names (PCID and flag bits dropped). */
static addr_t cr3_dtb(uint64_t cr3)
{
    return cr3 & ~0xfffull & ((1ull << 52) - 1);
}

/* the vCPU's own tables: a vCPU in user mode may run on tables of its own
 * (PTI), where the kernel's would not map what it sees */
static addr_t vcpu_dtb(vmi_instance_t vmi, kvm_data_t *k, unsigned vcpu)
{
    uint64_t cr3 = 0;
    if (gdb_client_has_reg(k->gdb, "cr3") && gdb_client_read_reg(k->gdb, vcpu, "cr3", &cr3, NULL) &&
        cr3_dtb(cr3))
        return cr3_dtb(cr3);
    return vmi->kdtb;
}

static void frame_of(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t *gfn, addr_t *offset)
{
    addr_t pa;
    bool ok = vmi_v2p(vmi, dtb, va, &pa, NULL) || vmi_v2p(vmi, vmi->kdtb, va, &pa, NULL);
    *gfn = ok ? pa >> VMI_PAGE_SHIFT : 0;
    if (offset)
        *offset = va & ~VMI_PAGE_MASK;
}

/* ----------------------------------------------------- register snapshot */

typedef struct { const char *lm, *legacy; size_t off; } regmap_t;
#define R(lm, legacy, field) { lm, legacy, offsetof(x86_registers_t, field) }
static const regmap_t regmap[] = {
    R("rax", "eax", rax), R("rcx", "ecx", rcx), R("rdx", "edx", rdx), R("rbx", "ebx", rbx),
    R("rsp", "esp", rsp), R("rbp", "ebp", rbp), R("rsi", "esi", rsi), R("rdi", "edi", rdi),
    R("r8", NULL, r8), R("r9", NULL, r9), R("r10", NULL, r10), R("r11", NULL, r11),
    R("r12", NULL, r12), R("r13", NULL, r13), R("r14", NULL, r14), R("r15", NULL, r15),
    R("rip", "eip", rip), R("eflags", "eflags", rflags),
    R("cr0", "cr0", cr0), R("cr2", "cr2", cr2), R("cr3", "cr3", cr3), R("cr4", "cr4", cr4),
    R("efer", "efer", msr_efer),
    R("fs_base", "fs_base", fs_base), R("gs_base", "gs_base", gs_base),
    R("k_gs_base", "k_gs_base", shadow_gs),
    R("cs", "cs", cs_sel), R("ss", "ss", ss_sel), R("ds", "ds", ds_sel), R("es", "es", es_sel),
    R("fs", "fs", fs_sel), R("gs", "gs", gs_sel),
};
#undef R
/* the members SET_REGISTERS writes back: the general registers, RIP, RFLAGS */
#define REGMAP_WRITABLE 18

static const char *regmap_name(kvm_data_t *k, const regmap_t *m)
{
    if (gdb_client_has_reg(k->gdb, m->lm))
        return m->lm;
    return m->legacy && gdb_client_has_reg(k->gdb, m->legacy) ? m->legacy : NULL;
}

static void snapshot_regs(kvm_data_t *k, unsigned vcpu, vmi_event_t *ev)
{
    memset(&k->regs, 0, sizeof(k->regs));
    for (size_t i = 0; i < G_N_ELEMENTS(regmap); i++) {
        const char *name = regmap_name(k, &regmap[i]);
        uint64_t v;
        if (name && gdb_client_read_reg(k->gdb, vcpu, name, &v, NULL))
            memcpy((char *)&k->regs + regmap[i].off, &v, sizeof(v));
    }
    ev->x86_regs = &k->regs;
}

/* SET_REGISTERS: what the callback changed in the snapshot goes back */
static bool write_back_regs(kvm_data_t *k, unsigned vcpu, const x86_registers_t *regs,
                            GError **error)
{
    x86_registers_t now;
    memset(&now, 0, sizeof(now));
    for (size_t i = 0; i < REGMAP_WRITABLE; i++) {
        const char *name = regmap_name(k, &regmap[i]);
        uint64_t want, cur;
        memcpy(&want, (const char *)regs + regmap[i].off, sizeof(want));
        if (!name)
            continue;
        if (!gdb_client_read_reg(k->gdb, vcpu, name, &cur, error))
            return false;
        if (cur != want && !gdb_client_write_reg(k->gdb, vcpu, name, want, error))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- slots */

static void slot_remove_all(kvm_data_t *k, vmi_event_t *event)
{
    if (!k->events)
        return;
    for (guint i = k->events->len; i-- > 0;) {
        kvm_event_slot_t *s = k->events->pdata[i];
        if (s->event != event)
            continue;
        if (k->gdb)
            gdb_client_remove(k->gdb, s->z_type, s->va, s->len, NULL);
        g_ptr_array_remove_index(k->events, i);
    }
}

static void slot_free(gpointer p)
{
    kvm_event_slot_t *s = p;
    g_free(s->copy);
    g_free(s);
}

/* Takes @slot->copy. */
static bool slot_add(kvm_data_t *k, const kvm_event_slot_t *slot, GError **error)
{
    if (!gdb_client_insert(k->gdb, slot->z_type, slot->va, slot->len, error)) {
        g_free(slot->copy);
        return false;
    }
    if (!k->events)
        k->events = g_ptr_array_new_with_free_func(slot_free);
    g_ptr_array_add(k->events, g_memdup2(slot, sizeof(*slot)));
    return true;
}

static int watch_type(vmi_mem_access_t access)
{
    switch (access) {
    case VMI_MEMACCESS_W: return 2;
    case VMI_MEMACCESS_R: return 3;
    case VMI_MEMACCESS_RW: return 4;
    default: return -1;
    }
}

/* Watchpoints on every kernel mapping of [pa, pa + len). */
static bool add_watches(vmi_instance_t vmi, kvm_data_t *k, vmi_event_t *event, addr_t pa,
                        unsigned len, vmi_mem_access_t access, GError **error)
{
    kvm_event_slot_t slot = { .event = event, .kind = KVM_SLOT_WATCH, .len = len, .pa = pa };
    slot.z_type = watch_type(access);
    if (slot.z_type < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "memory events on a gdbstub watch reads, writes or both (VMI_MEMACCESS_R, "
                    "_W or _RW), not access 0x%x (execute and permission changes need a "
                    "hypervisor's page permissions)", access);
        return false;
    }
    addr_t vas[4];
    size_t n = vmi_kernel_p2v_all(vmi, pa, vas, G_N_ELEMENTS(vas), error);
    if (!n) {
        g_prefix_error(error, "cannot watch physical 0x%" G_GINT64_MODIFIER "x: ", (guint64)pa);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        slot.va = vas[i];
        /* QEMU reports the watchpoint, not the address written: a copy of
         * the bytes tells where a write changed them */
        slot.copy = NULL;
        if (slot.z_type != 3 && len > 8) {
            slot.copy = g_malloc(len);
            if (!vmi_read_pa_all(vmi, pa, slot.copy, len))
                g_clear_pointer(&slot.copy, g_free);
        }
        if (!slot_add(k, &slot, error)) {
            g_prefix_error(error, "watching %u bytes at 0x%" G_GINT64_MODIFIER "x: ", len,
                           (guint64)vas[i]);
            slot_remove_all(k, event);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------ the #BP handler */

/* The address IDT entry 3 (#BP) sends the vCPU to: the IDT from the
 * vCPU's IDTR (QMP) or else the kernel's idt_table. */
static bool bp_handler(vmi_instance_t vmi, addr_t *handler, GError **error)
{
    reg_t idt = 0;
    addr_t sym = 0;
    uint8_t gate[16];
    if (vmi->address_width != 8) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "INT3 events of the modern API need a 64-bit guest on the kvm driver");
        return false;
    }
    if (!(vmi->driver->get_vcpureg && vmi->driver->get_vcpureg(vmi, &idt, IDTR_BASE, 0, NULL) &&
          idt) &&
        !vmi_kernel_symbol(vmi, "idt_table", &sym, NULL)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "INT3 events: the guest's IDT cannot be found (no IDTR through QMP, no "
                    "idt_table symbol)");
        return false;
    }
    addr_t base = idt ? idt : sym;
    if (!vmi_read_va_all(vmi, vmi->kdtb, base + 3 * 16, gate, sizeof(gate))) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO,
                    "INT3 events: IDT entry 3 at 0x%" G_GINT64_MODIFIER "x cannot be read",
                    (guint64)(base + 3 * 16));
        return false;
    }
    /* a present interrupt or trap gate (type 0xe/0xf) */
    if (!(gate[5] & 0x80) || (gate[5] & 0x0e) != 0x0e) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "INT3 events: IDT entry 3 is not a present gate (attributes 0x%02x)", gate[5]);
        return false;
    }
    *handler = (addr_t)gate[0] | (addr_t)gate[1] << 8 | (addr_t)gate[6] << 16 |
               (addr_t)gate[7] << 24 | (addr_t)gate[8] << 32 | (addr_t)gate[9] << 40 |
               (addr_t)gate[10] << 48 | (addr_t)gate[11] << 56;
    return true;
}

/* --------------------------------------------------- mov to CRn in text */

static bool scan_cr_sites(vmi_instance_t vmi, kvm_data_t *k, GError **error)
{
    addr_t start, end;
    if (k->cr_sites)
        return true;
    if (!vmi_kernel_symbol(vmi, "_stext", &start, error) ||
        !vmi_kernel_symbol(vmi, "_etext", &end, error)) {
        g_prefix_error(error, "register events look for the kernel's writes in its text: ");
        return false;
    }
    if (end <= start || end - start > (256u << 20)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "register events: the kernel's text 0x%" G_GINT64_MODIFIER "x..0x%"
                    G_GINT64_MODIFIER "x is not a plausible range", (guint64)start, (guint64)end);
        return false;
    }
    GArray *sites = g_array_new(FALSE, FALSE, sizeof(kvm_cr_site_t));
    g_autofree uint8_t *buf = g_malloc(KVM_SCAN_CHUNK + 3);
    /* pieces overlap by 3 bytes so that no instruction is cut */
    for (addr_t va = start; va < end; va += KVM_SCAN_CHUNK) {
        size_t n = (size_t)MIN((addr_t)KVM_SCAN_CHUNK + 3, end - va);
        if (!vmi_read_va_all(vmi, vmi->kdtb, va, buf, n)) {
            g_array_free(sites, TRUE);
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO,
                        "register events: the kernel's text at 0x%" G_GINT64_MODIFIER "x cannot "
                        "be read", (guint64)va);
            return false;
        }
        size_t lim = MIN(n, (size_t)KVM_SCAN_CHUNK);
        for (size_t i = 0; i + 2 < n && i < lim; i++) {
            /* 0f 22 /r with mod 11: mov %reg, %cr(reg field); REX.R adds 8 (cr8), REX.B to the source */
            if (buf[i] != 0x0f || buf[i + 1] != 0x22 || (buf[i + 2] & 0xc0) != 0xc0)
                continue;
            uint8_t cr = (buf[i + 2] >> 3) & 7, src = buf[i + 2] & 7;
            kvm_cr_site_t s = { .va = va + i, .cr = cr, .src = src, .insn_len = 3 };
            g_array_append_val(sites, s);
            /* a byte 40-4f before it may be its REX prefix (in 64-bit code it is never
             * an instruction of its own): execution starts at one of the two */
            uint8_t prev = i ? buf[i - 1] : 0;
            if (vmi->address_width == 8 && i && (prev & 0xf0) == 0x40) {
                kvm_cr_site_t r = { .va = va + i - 1, .cr = cr + ((prev & 4) ? 8 : 0),
                                    .src = src + ((prev & 1) ? 8 : 0), .insn_len = 4 };
                g_array_append_val(sites, r);
            }
            if (sites->len > KVM_MAX_CR_SITES)
                break;
        }
    }
    if (sites->len > KVM_MAX_CR_SITES) {
        g_array_free(sites, TRUE);
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "register events: more than %d writes of control registers in the kernel's "
                    "text: not a kernel", KVM_MAX_CR_SITES);
        return false;
    }
    g_debug("kvm: %u mov-to-CR sites in the kernel text 0x%" G_GINT64_MODIFIER "x..0x%"
            G_GINT64_MODIFIER "x", sites->len, (guint64)start, (guint64)end);
    k->cr_sites = sites;
    return true;
}

static bool add_cr_event(vmi_instance_t vmi, kvm_data_t *k, vmi_event_t *event, GError **error)
{
    const reg_event_t *r = &event->reg_event;
    int cr = r->reg == CR0 ? 0 : r->reg == CR3 ? 3 : r->reg == CR4 ? 4 : -1;
    if (cr < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register events on the kvm driver watch writes of CR0, CR3 or CR4 (register "
                    "%" G_GINT64_MODIFIER "u asked)", (guint64)r->reg);
        return false;
    }
    if (!(r->in_access & VMI_REGACCESS_W) || (r->in_access & ~VMI_REGACCESS_W)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register events on the kvm driver watch writes (VMI_REGACCESS_W), not access "
                    "0x%x", r->in_access);
        return false;
    }
    if (!scan_cr_sites(vmi, k, error))
        return false;
    unsigned added = 0;
    for (guint i = 0; i < k->cr_sites->len; i++) {
        const kvm_cr_site_t *s = &g_array_index(k->cr_sites, kvm_cr_site_t, i);
        if (s->cr != cr)
            continue;
        kvm_event_slot_t slot = { .event = event, .kind = KVM_SLOT_CR, .va = s->va, .z_type = 0,
                                  .len = 1, .cr = s->cr, .src = s->src, .insn_len = s->insn_len };
        if (!slot_add(k, &slot, error)) {
            slot_remove_all(k, event);
            return false;
        }
        added++;
    }
    if (!added) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "register events: the kernel's text has no write of CR%d", cr);
        return false;
    }
    return true;
}

/* --------------------------------------------------------- single-step */

static void ss_set_active(kvm_data_t *k, uint32_t mask)
{
    uint32_t was = k->ss_active;
    k->ss_active = mask;
    if (!was && mask && !k->ss_held && gdb_client_is_running(k->gdb)) {
        /* the guest stays stopped while vCPUs step */
        if (gdb_client_hold(k->gdb, NULL))
            k->ss_held = true;
    }
    if (was && !mask && k->ss_held) {
        k->ss_held = false;
        gdb_client_release(k->gdb, NULL);
    }
}

bool kvm_singlestep_vcpu(vmi_instance_t vmi, vmi_event_t *event, unsigned vcpu, bool on,
                         GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!need_gdb(vmi, error))
        return false;
    if (event != k->ss_event) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "not the registered single-step event");
        return false;
    }
    if (vcpu >= MAX_SINGLESTEP_VCPUS || vcpu >= MAX(gdb_client_num_vcpus(k->gdb), 1u)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "vCPU %u does not exist (the guest has %u)",
                    vcpu, gdb_client_num_vcpus(k->gdb));
        return false;
    }
    ss_set_active(k, on ? k->ss_active | (1u << vcpu) : k->ss_active & ~(1u << vcpu));
    return true;
}

/* The guest runs between listens unless it was paused (vmi_pause_vm, or
 * from outside): after a stop of ours it may be left stopped otherwise
 * (a breakpoint hit while the last ones were lifted). */
static bool run_on(kvm_data_t *k, GError **error)
{
    if (k->ss_active || gdb_client_is_running(k->gdb) || !gdb_client_wants_running(k->gdb))
        return true;
    return gdb_client_cont(k->gdb, error);
}

/* ------------------------------------------------------- registration */

bool kvm_register_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    bool modern = vmi_event_is_modern(event);
    kvm_gdb_revive(k);
    if (!need_gdb(vmi, error))
        return false;
    if (has_slots(k, event) || k->ss_event == event) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "this event is already registered");
        return false;
    }
    if (modern && event->slat_id) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "SLAT views (slat_id %u) need a hypervisor with altp2m; the kvm driver has one "
                    "view", event->slat_id);
        return false;
    }
    switch (event->type) {
    case VMI_EVENT_INTERRUPT: {
        interrupt_event_t *ie = &event->interrupt_event;
        if (ie->intr != INT3) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "only INT3 interrupt events can be delivered through the gdbstub (intr %u "
                        "asked)", ie->intr);
            return false;
        }
        kvm_event_slot_t slot = { .event = event, .z_type = 0, .len = 1 };
        if (!modern) {
            if (!ie->gla) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                            "an INT3 event needs the address of the breakpoint in "
                            "interrupt_event.gla");
                return false;
            }
            slot.kind = KVM_SLOT_BP;
            slot.va = ie->gla;
        } else {
            for (guint i = 0; k->events && i < k->events->len; i++)
                if (((kvm_event_slot_t *)k->events->pdata[i])->kind == KVM_SLOT_INT3) {
                    g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                                "an INT3 event is registered already (one catches every INT3)");
                    return false;
                }
            slot.kind = KVM_SLOT_INT3;
            if (!bp_handler(vmi, &slot.va, error))
                return false;
        }
        return slot_add(k, &slot, error);
    }
    case VMI_EVENT_MEMORY: {
        const mem_event_t *m = &event->mem_event;
        if (!modern) {
            addr_t pa = m->physical_address;
            unsigned len = 1;
            if (m->granularity == VMI_MEMEVENT_PAGE) {
                uint64_t pages = m->npages ? m->npages : 1;
                if (pages > 256) {
                    g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                                "a memory event of %" G_GUINT64_FORMAT " pages: at most 256", pages);
                    return false;
                }
                pa &= VMI_PAGE_MASK;
                len = (unsigned)(VMI_PAGE_SIZE * pages);
            } else if (m->granularity != VMI_MEMEVENT_BYTE) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                            "a memory event needs a granularity (VMI_MEMEVENT_BYTE or _PAGE)");
                return false;
            }
            return add_watches(vmi, k, event, pa, len, m->in_access, error);
        }
        if (m->generic || m->gfn == ~0ull) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "generic memory events (every page) need a hypervisor's page permissions; "
                        "the kvm driver watches given pages (mem_event.gfn)");
            return false;
        }
        if (m->gfn > (~0ull >> VMI_PAGE_SHIFT)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "gfn 0x%" G_GINT64_MODIFIER "x is "
                        "out of range", (guint64)m->gfn);
            return false;
        }
        return add_watches(vmi, k, event, m->gfn << VMI_PAGE_SHIFT, (unsigned)VMI_PAGE_SIZE,
                           m->in_access, error);
    }
    case VMI_EVENT_SINGLESTEP:
        if (!event->ss_event.vcpus) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "a single-step event needs at least one vCPU (SET_VCPU_SINGLESTEP)");
            return false;
        }
        if (k->ss_event) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "a single-step event is registered already");
            return false;
        }
        k->ss_event = event;
        /* classic: step at once; modern: when enabled or toggled on */
        ss_set_active(k, !modern || event->ss_event.enable ? event->ss_event.vcpus : 0);
        return true;
    case VMI_EVENT_REGISTER:
        return add_cr_event(vmi, k, event, error);
    default:
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "%s events (type %u) cannot be delivered through QEMU's gdbstub",
                    vmi_event_type_name(event->type), event->type);
        return false;
    }
}

bool kvm_clear_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!need_gdb(vmi, error))
        return false;
    if (event == k->ss_event) {
        ss_set_active(k, 0);
        k->ss_event = NULL;
        return run_on(k, error);
    }
    if (!has_slots(k, event)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "this event is not registered");
        return false;
    }
    slot_remove_all(k, event);
    return run_on(k, error);
}

void kvm_events_free(vmi_instance_t vmi)
{
    kvm_data_t *k = kvm_data(vmi);
    if (k->events && k->gdb) {
        for (guint i = 0; i < k->events->len; i++) {
            kvm_event_slot_t *s = k->events->pdata[i];
            gdb_client_remove(k->gdb, s->z_type, s->va, s->len, NULL);
        }
    }
    g_clear_pointer(&k->events, g_ptr_array_unref);
    if (k->gdb)
        ss_set_active(k, 0);
    k->ss_active = 0;
    k->ss_event = NULL;
    if (k->cr_sites)
        g_array_free(k->cr_sites, TRUE);
    k->cr_sites = NULL;
}

/* ------------------------------------------------------------ delivery */

/* gdb thread ids are 1-based vCPU numbers in QEMU */
static unsigned vcpu_of(const rsp_stop_t *stop)
{
    return stop->thread > 0 ? (unsigned)(stop->thread - 1) : 0;
}

/* What one stop asks of the vCPU afterwards. */
typedef struct {
    bool moved;             /* RIP was set elsewhere: no step over a breakpoint */
    GError *error;          /* the first response that could not be honoured */
} after_t;

static void keep_error(after_t *after, GError *e)
{
    if (!e)
        return;
    if (after->error)
        g_error_free(e);
    else
        after->error = e;
}

/* Acts on a modern callback's response. */
static void respond(vmi_instance_t vmi, kvm_data_t *k, vmi_event_t *ev, unsigned vcpu,
                    event_response_t rsp, event_response_t extra, after_t *after)
{
    GError *e = NULL;
    if (!vmi_event_is_modern(ev) || !rsp)
        return;
    if (!vmi_event_check_response(ev, rsp, KVM_HONOURED | extra, "kvm", &e))
        keep_error(after, e);
    if ((rsp & VMI_EVENT_RESPONSE_SET_REGISTERS) && ev->x86_regs) {
        uint64_t rip0 = k->regs.rip;
        if (!write_back_regs(k, vcpu, ev->x86_regs, &e))
            keep_error(after, e);
        else if (ev->x86_regs->rip != rip0)
            after->moved = true;
    }
    if (rsp & VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP) {
        vmi_event_t *ss = k->ss_event;
        if (!ss || vcpu >= MAX_SINGLESTEP_VCPUS || !CHECK_VCPU_SINGLESTEP(ss->ss_event, vcpu)) {
            g_set_error(&e, VMI_ERROR, VMI_ERROR_INVALID,
                        "VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP on vCPU %u needs a registered "
                        "single-step event that names it (SETUP_SINGLESTEP_EVENT, enable 0)", vcpu);
            keep_error(after, e);
        } else {
            ss_set_active(k, k->ss_active ^ (1u << vcpu));
        }
    }
}

static event_response_t deliver(vmi_instance_t vmi, kvm_data_t *k, vmi_event_t *ev, unsigned vcpu)
{
    ev->vcpu_id = vcpu;
    if (vmi_event_is_modern(ev))
        snapshot_regs(k, vcpu, ev);
    return vmi_event_deliver(vmi, ev);
}

/* A modern INT3 event: the vCPU is at the #BP handler, the exception frame
 * (RIP after the INT3, CS, RFLAGS, RSP, SS) at RSP. */
static void on_int3(vmi_instance_t vmi, kvm_data_t *k, vmi_event_t *ev, unsigned vcpu,
                    after_t *after)
{
    GError *e = NULL;
    uint64_t rsp = 0, frame[5];
    addr_t dtb = vcpu_dtb(vmi, k, vcpu);
    if (!read_gpr(k, vcpu, 4, &rsp, &e) || !vmi_read_va_all(vmi, dtb, rsp, frame, sizeof(frame))) {
        if (!e)
            g_set_error(&e, VMI_ERROR, VMI_ERROR_IO, "INT3 event: the exception frame at 0x%"
                        G_GINT64_MODIFIER "x cannot be read", (guint64)rsp);
        keep_error(after, e);
        return;
    }
    interrupt_event_t *ie = &ev->interrupt_event;
    uint8_t code[2] = { 0, 0 };
    addr_t after_insn = frame[0];
    ie->gla = after_insn - 1;
    ie->insn_length = 1;
    if (vmi_read_va_all(vmi, dtb, after_insn - 2, code, 2) && code[1] != 0xcc && code[0] == 0xcd &&
        code[1] == 3) {
        ie->gla = after_insn - 2;      /* int $3 */
        ie->insn_length = 2;
    }
    frame_of(vmi, dtb, ie->gla, &ie->gfn, &ie->offset);
    ie->intr = INT3;
    ie->reinject = -1;
    /* the registers as at the INT3, before the exception was delivered */
    ev->vcpu_id = vcpu;
    snapshot_regs(k, vcpu, ev);
    k->regs.rip = ie->gla;
    k->regs.rsp = frame[3];
    k->regs.rflags = frame[2];
    event_response_t rsp_flags = vmi_event_deliver(vmi, ev);
    if (ev->type != VMI_EVENT_INTERRUPT)
        return;     /* cleared and reused by the callback: nothing to undo */
    bool user = (frame[1] & 3) != 0;
    if (ie->reinject == -1) {
        g_set_error(&e, VMI_ERROR, VMI_ERROR_INVALID,
                    "the INT3 callback must set interrupt_event.reinject to 0 or 1 (the guest got "
                    "the INT3)");
        keep_error(after, e);
    } else if (ie->reinject == 0 && user) {
        g_set_error(&e, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "an INT3 in user mode cannot be swallowed through the gdbstub (its segments "
                    "cannot be restored): the guest got it");
        keep_error(after, e);
    } else if (ie->reinject == 0) {
        /* undo the delivery: back to the INT3, as before the exception */
        if (!gdb_client_write_reg(k->gdb, vcpu, "rip", ie->gla, &e) ||
            !gdb_client_write_reg(k->gdb, vcpu, "rsp", frame[3], &e) ||
            !gdb_client_write_reg(k->gdb, vcpu, "eflags", frame[2] & 0xffffffffu, &e))
            keep_error(after, e);
        else
            after->moved = true;
        k->regs.rip = ie->gla;
    }
    respond(vmi, k, ev, vcpu, rsp_flags, 0, after);
}

/* A register event: the vCPU is at a mov to CRn, not run yet. */
static void on_cr(vmi_instance_t vmi, kvm_data_t *k, const kvm_event_slot_t *s, unsigned vcpu,
                  after_t *after)
{
    vmi_event_t *ev = s->event;
    reg_event_t *r = &ev->reg_event;
    GError *e = NULL;
    uint64_t value = 0, previous = 0;
    char crname[8];
    g_snprintf(crname, sizeof(crname), "cr%u", s->cr);
    if (!read_gpr(k, vcpu, s->src, &value, &e) ||
        !gdb_client_read_reg(k->gdb, vcpu, crname, &previous, &e)) {
        keep_error(after, e);
        return;
    }
    if ((r->onchange && value == previous) || (r->mask && (value & r->mask) != (r->equal & r->mask)))
        return;
    r->value = value;
    r->previous = previous;
    r->out_access = VMI_REGACCESS_W;
    addr_t site = s->va;
    unsigned len = s->insn_len;
    event_response_t rsp = deliver(vmi, k, ev, vcpu);
    if (rsp & VMI_EVENT_RESPONSE_DENY && vmi_event_is_modern(ev)) {
        /* the write does not happen: past the instruction */
        if (!gdb_client_write_reg(k->gdb, vcpu, reg_name(k, "rip", "eip"), site + len, &e))
            keep_error(after, e);
        else
            after->moved = true;
    }
    respond(vmi, k, ev, vcpu, rsp, VMI_EVENT_RESPONSE_DENY, after);
}

static void on_watch(vmi_instance_t vmi, kvm_data_t *k, const kvm_event_slot_t *s,
                     const rsp_stop_t *stop, unsigned vcpu, after_t *after)
{
    vmi_event_t *ev = s->event;
    mem_event_t *m = &ev->mem_event;
    addr_t at = stop->watch_addr;
    bool exact = s->len <= 8;
    if (s->copy) {
        g_autofree uint8_t *now = g_malloc(s->len);
        if (vmi_read_pa_all(vmi, s->pa, now, s->len)) {
            for (unsigned i = 0; i < s->len; i++)
                if (now[i] != s->copy[i]) {
                    at = s->va + i;
                    exact = true;
                    break;
                }
            memcpy(s->copy, now, s->len);
        }
    }
    addr_t pa = s->pa + (at - s->va);
    m->gla = at;
    m->gla_valid = exact;
    m->gptw = 0;
    m->gfn = pa >> VMI_PAGE_SHIFT;
    m->offset = pa & ~VMI_PAGE_MASK;
    m->out_access = stop->watch == RSP_WATCH_WRITE ? VMI_MEMACCESS_W
                  : stop->watch == RSP_WATCH_READ ? VMI_MEMACCESS_R : VMI_MEMACCESS_RW;
    event_response_t rsp = deliver(vmi, k, ev, vcpu);
    respond(vmi, k, ev, vcpu, rsp, 0, after);
}

static void on_bp(vmi_instance_t vmi, kvm_data_t *k, vmi_event_t *ev, unsigned vcpu, addr_t rip,
                  after_t *after)
{
    ev->interrupt_event.gla = rip;
    frame_of(vmi, vcpu_dtb(vmi, k, vcpu), rip, &ev->interrupt_event.gfn,
             &ev->interrupt_event.offset);
    event_response_t rsp = deliver(vmi, k, ev, vcpu);
    respond(vmi, k, ev, vcpu, rsp, 0, after);
}

/* Every registered event that explains a stop of @vcpu at @rip: each is
 * delivered once (a callback may clear events, so the list is re-checked). */
static void handle_stop(vmi_instance_t vmi, kvm_data_t *k, const rsp_stop_t *stop, unsigned vcpu,
                        addr_t rip, after_t *after)
{
    g_autoptr(GPtrArray) done = g_ptr_array_new();
    for (bool again = true; again;) {
        again = false;
        for (guint i = 0; k->events && i < k->events->len; i++) {
            kvm_event_slot_t *s = k->events->pdata[i];
            bool hit = stop->watch != RSP_WATCH_NONE
                           ? s->z_type >= 2 && stop->watch_addr >= s->va &&
                                 stop->watch_addr - s->va < s->len
                           : s->z_type == 0 && s->va == rip;
            if (!hit || g_ptr_array_find(done, s->event, NULL))
                continue;
            g_ptr_array_add(done, s->event);
            kvm_event_slot_t copy = *s;     /* the callback may free the slot */
            switch (copy.kind) {
            case KVM_SLOT_INT3: on_int3(vmi, k, copy.event, vcpu, after); break;
            case KVM_SLOT_CR: on_cr(vmi, k, &copy, vcpu, after); break;
            case KVM_SLOT_WATCH: on_watch(vmi, k, &copy, stop, vcpu, after); break;
            case KVM_SLOT_BP: on_bp(vmi, k, copy.event, vcpu, rip, after); break;
            }
            again = true;   /* the list may have changed */
            break;
        }
    }
    if (!done->len)
        g_debug("kvm: the guest stopped (signal %u) for no registered event", stop->signal);
}

/* Steps @vcpu one instruction, our breakpoints at its RIP lifted for the
 * step (they fired already, or would stop it in place). */
static bool step_over(kvm_data_t *k, unsigned vcpu, int timeout_ms, rsp_stop_t *stop,
                      GError **error)
{
    uint64_t rip = 0;
    if (!read_pc(k, vcpu, &rip, error))
        return false;
    g_autoptr(GArray) lifted = g_array_new(FALSE, FALSE, sizeof(addr_t));
    for (guint i = 0; k->events && i < k->events->len; i++) {
        kvm_event_slot_t *s = k->events->pdata[i];
        if (s->z_type == 0 && s->va == rip && gdb_client_remove(k->gdb, 0, s->va, 1, NULL))
            g_array_append_val(lifted, s->va);
    }
    bool ok = gdb_client_step_within(k->gdb, vcpu, timeout_ms, stop, error);
    for (guint i = 0; i < lifted->len; i++)
        gdb_client_insert(k->gdb, 0, g_array_index(lifted, addr_t, i), 1, NULL);
    return ok;
}

static bool rip_at_breakpoint(kvm_data_t *k, addr_t rip)
{
    for (guint i = 0; k->events && i < k->events->len; i++) {
        kvm_event_slot_t *s = k->events->pdata[i];
        if (s->z_type == 0 && s->va == rip)
            return true;
    }
    return false;
}

/* How often a step that ran nothing is repeated within one listen: QEMU
 * (TCG) can end a single-step having only handled an internal interrupt
 * request of the vCPU (an APIC poll, seen under load), the instruction not
 * run.  Bounded: `jmp .` also leaves RIP and RCX as they were. */
#define SS_MAX_EMPTY_STEPS 4
/* the least time a listen gives the steps (ms) */
#define SS_MIN_MS 200

/* RIP and RCX of @vcpu: what an executed instruction changes (RIP; RCX for
 * one iteration of a REP string instruction). */
static bool read_pc_cx(kvm_data_t *k, unsigned vcpu, uint64_t *pc, uint64_t *cx, GError **error)
{
    return read_pc(k, vcpu, pc, error) && read_gpr(k, vcpu, 1, cx, error);
}

/* One instruction of each stepping vCPU within the listen's timeout.  A
 * vCPU that waits for an interrupt (HLT) finishes its step only when one
 * comes: one that has not within the timeout gives no event this time, as
 * a listen with nothing to report; the guest stays stopped. */
static bool single_step(vmi_instance_t vmi, kvm_data_t *k, uint32_t timeout_ms, after_t *after,
                        GError **error)
{
    /* a step takes QEMU some time: even a listen for what is pending
     * (timeout 0) gives it this long */
    gint64 deadline = g_get_monotonic_time() + (gint64)MAX(timeout_ms, SS_MIN_MS) * 1000;
    for (unsigned vcpu = 0; vcpu < MAX_SINGLESTEP_VCPUS; vcpu++) {
        vmi_event_t *ev = k->ss_event;
        if (!ev || !(k->ss_active & (1u << vcpu)))
            continue;
        rsp_stop_t stop;
        uint64_t rip0, rcx0, rip = 0, rcx = 0;
        if (!read_pc_cx(k, vcpu, &rip0, &rcx0, error))
            return false;
        bool stepped = false;
        for (int empty = 0; empty <= SS_MAX_EMPTY_STEPS; empty++) {
            GError *step_error = NULL;
            int left_ms = (int)MAX((deadline - g_get_monotonic_time()) / 1000, 1);
            if (!step_over(k, vcpu, left_ms, &stop, &step_error)) {
                if (g_error_matches(step_error, GDB_CLIENT_ERROR, GDB_CLIENT_ERROR_TIMEOUT) &&
                    gdb_client_usable(k->gdb)) {
                    g_debug("kvm: vCPU %u did not step within %d ms: %s", vcpu, left_ms,
                            step_error->message);
                    g_error_free(step_error);
                    break;
                }
                g_propagate_error(error, step_error);
                return false;
            }
            if (!read_pc_cx(k, vcpu, &rip, &rcx, error))
                return false;
            stepped = true;
            if (rip != rip0 || rcx != rcx0 || stop.watch != RSP_WATCH_NONE ||
                g_get_monotonic_time() >= deadline)
                break;
            g_debug("kvm: vCPU %u: a step at 0x%" G_GINT64_MODIFIER "x ran nothing; again", vcpu,
                    (guint64)rip);
        }
        if (!stepped)
            continue;
        single_step_event_t *ss = &ev->ss_event;
        ss->gla = rip;
        frame_of(vmi, vcpu_dtb(vmi, k, vcpu), rip, &ss->gfn, &ss->offset);
        event_response_t rsp = deliver(vmi, k, ev, vcpu);
        if (k->ss_event == ev)
            respond(vmi, k, ev, vcpu, rsp, 0, after);
        /* the step made a watched access or reached a breakpoint of ours */
        if (stop.watch != RSP_WATCH_NONE || rip_at_breakpoint(k, rip))
            handle_stop(vmi, k, &stop, vcpu, rip, after);
    }
    return true;
}

static bool listen(vmi_instance_t vmi, kvm_data_t *k, uint32_t timeout_ms, after_t *after,
                   GError **error)
{
    if (k->ss_active) {
        if (!single_step(vmi, k, timeout_ms, after, error))
            return false;
        /* stepping ended: the guest runs on, as between listens (also when
         * it was stopped, not held, as the stepping began: at a breakpoint) */
        return k->ss_active || run_on(k, error);
    }
    if (!k->events || k->events->len == 0) {
        g_usleep((gulong)timeout_ms * 1000);
        return true;
    }
    if (!gdb_client_is_running(k->gdb) && !gdb_client_cont(k->gdb, error))
        return false;
    rsp_stop_t stop;
    GError *wait_error = NULL;
    if (!gdb_client_wait_stop(k->gdb, (int)timeout_ms, &stop, &wait_error)) {
        if (wait_error) {
            g_propagate_error(error, wait_error);
            return false;
        }
        return true;    /* nothing fired; the guest runs on */
    }
    unsigned vcpu = vcpu_of(&stop);
    uint64_t rip = 0;
    read_pc(k, vcpu, &rip, NULL);
    handle_stop(vmi, k, &stop, vcpu, rip, after);
    if (k->ss_active)
        return true;    /* the guest stays stopped: vCPUs step from the next listen */
    /* a breakpoint would fire again at once: step over it */
    if (!after->moved && stop.watch == RSP_WATCH_NONE && rip_at_breakpoint(k, rip)) {
        rsp_stop_t st;
        GError *e = NULL;
        if (!step_over(k, vcpu, 5000, &st, &e))
            keep_error(after, e);
    }
    /* the guest runs on between listens */
    return gdb_client_cont(k->gdb, error);
}

bool kvm_events_listen(vmi_instance_t vmi, uint32_t timeout_ms, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    after_t after = { false, NULL };
    if (!need_gdb(vmi, error))
        return false;
    if (!listen(vmi, k, timeout_ms, &after, error)) {
        g_clear_error(&after.error);
        return false;
    }
    if (after.error) {
        g_propagate_error(error, after.error);
        return false;
    }
    return true;
}
