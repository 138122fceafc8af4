/*
 * kvm_events.c - events on a live QEMU guest, delivered by the gdbstub:
 *   VMI_EVENT_INTERRUPT (INT3)  -> a breakpoint (Z0) at the event's gla;
 *   VMI_EVENT_MEMORY            -> a watchpoint (Z2 write, Z3 read, Z4 access)
 *                                  at the kernel address that maps the
 *                                  event's physical address;
 *   VMI_EVENT_SINGLESTEP        -> single steps of the chosen vCPUs.
 * Register events cannot be delivered by a gdbstub and are refused.
 *
 * vmi_events_listen() lets the guest run until something fires or the
 * timeout passes, fills the event's out-fields, runs the callback, steps
 * over a breakpoint that fired, and leaves the guest running.  While a
 * single-step event exists the guest stays stopped between listens and
 * advances one instruction per flagged vCPU per listen.
 */
#include <string.h>
#include "kvm.h"

static bool need_gdb(vmi_instance_t vmi, GError **error)
{
    if (kvm_data(vmi)->gdb)
        return true;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "events need the guest's gdbstub: add 'gdb' (its socket) to the configuration");
    return false;
}

static kvm_event_slot_t *slot_of(kvm_data_t *k, vmi_event_t *event)
{
    if (!k->events)
        return NULL;
    for (guint i = 0; i < k->events->len; i++) {
        kvm_event_slot_t *s = k->events->pdata[i];
        if (s->event == event)
            return s;
    }
    return NULL;
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

bool kvm_register_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!need_gdb(vmi, error))
        return false;
    if (!event->callback) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "the event has no callback");
        return false;
    }
    if (slot_of(k, event) || (event->type == VMI_EVENT_SINGLESTEP && k->ss_event == event)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "this event is already registered");
        return false;
    }
    kvm_event_slot_t slot = { .event = event };
    switch (event->type) {
    case VMI_EVENT_INTERRUPT:
        if (event->interrupt_event.intr != INT3) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "only INT3 interrupt events can be delivered (breakpoints)");
            return false;
        }
        if (!event->interrupt_event.gla) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "an INT3 event needs the address of the breakpoint in interrupt_event.gla");
            return false;
        }
        slot.va = event->interrupt_event.gla;
        slot.z_type = 0;
        slot.len = 1;
        break;
    case VMI_EVENT_MEMORY: {
        const mem_event_t *m = &event->mem_event;
        slot.z_type = watch_type(m->in_access);
        if (slot.z_type < 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "memory events on a gdbstub watch reads, writes or both (VMI_MEMACCESS_R, "
                        "_W or _RW), not access 0x%x", m->in_access);
            return false;
        }
        addr_t pa = m->physical_address;
        if (m->granularity == VMI_MEMEVENT_PAGE) {
            pa &= VMI_PAGE_MASK;
            slot.len = (unsigned)(VMI_PAGE_SIZE * (m->npages ? m->npages : 1));
        } else {
            slot.len = 1;
        }
        /* watchpoints compare virtual addresses: the kernel's mapping of pa */
        if (!vmi_kernel_p2v(vmi, pa, &slot.va, error)) {
            g_prefix_error(error, "cannot watch physical 0x%" G_GINT64_MODIFIER "x: ", (guint64)pa);
            return false;
        }
        break;
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
        /* the guest stays stopped while single-stepping */
        if (!gdb_client_hold(k->gdb, error))
            return false;
        k->ss_event = event;
        return true;
    case VMI_EVENT_REGISTER:
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "register events cannot be delivered through QEMU's gdbstub");
        return false;
    default:
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "unknown event type %d", event->type);
        return false;
    }
    if (!gdb_client_insert(k->gdb, slot.z_type, slot.va, slot.len, error))
        return false;
    if (!k->events)
        k->events = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(k->events, g_memdup2(&slot, sizeof(slot)));
    return true;
}

bool kvm_clear_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!need_gdb(vmi, error))
        return false;
    if (event == k->ss_event) {
        k->ss_event = NULL;
        return gdb_client_release(k->gdb, error);
    }
    kvm_event_slot_t *s = slot_of(k, event);
    if (!s) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "this event is not registered");
        return false;
    }
    bool ok = gdb_client_remove(k->gdb, s->z_type, s->va, s->len, error);
    g_ptr_array_remove(k->events, s);
    return ok;
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
    if (k->ss_event && k->gdb)
        gdb_client_release(k->gdb, NULL);
    k->ss_event = NULL;
}

/* gdb thread ids are 1-based vCPU numbers in QEMU */
static unsigned vcpu_of(const rsp_stop_t *stop)
{
    return stop->thread > 0 ? (unsigned)(stop->thread - 1) : 0;
}

static void fill_frame(vmi_instance_t vmi, addr_t va, addr_t *gfn)
{
    addr_t pa;
    *gfn = vmi_v2p(vmi, vmi->kdtb, va, &pa, NULL) ? pa >> VMI_PAGE_SHIFT : 0;
}

/* How often a step that ran nothing is repeated within one listen: QEMU
 * (TCG) can end a single-step having only handled an internal interrupt
 * request of the vCPU (an APIC poll, seen under load), the instruction not
 * run.  Bounded: `jmp .` also leaves RIP and RCX as they were. */
#define SS_MAX_EMPTY_STEPS 4

/* RIP and RCX of @vcpu: what an executed instruction changes (RIP; RCX for
 * one iteration of a REP string instruction). */
static bool read_pc_cx(kvm_data_t *k, unsigned vcpu, uint64_t *pc, uint64_t *cx, GError **error)
{
    bool lm = gdb_client_has_reg(k->gdb, "rip");
    return gdb_client_read_reg(k->gdb, vcpu, lm ? "rip" : "eip", pc, error) &&
           gdb_client_read_reg(k->gdb, vcpu, lm ? "rcx" : "ecx", cx, error);
}

/* One instruction of each flagged vCPU within the listen's timeout.  A vCPU
 * that waits for an interrupt (HLT) finishes its step only when one comes:
 * one that has not within the timeout gives no event this time, as a
 * listen with nothing to report; the guest stays stopped. */
static bool single_step(vmi_instance_t vmi, kvm_data_t *k, uint32_t timeout_ms, GError **error)
{
    vmi_event_t *ev = k->ss_event;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (unsigned vcpu = 0; vcpu < 32; vcpu++) {
        if (!CHECK_VCPU_SINGLESTEP(ev->ss_event, vcpu))
            continue;
        rsp_stop_t stop;
        uint64_t rip0, rcx0, rip = 0, rcx = 0;
        if (!read_pc_cx(k, vcpu, &rip0, &rcx0, error))
            return false;
        bool stepped = false;
        for (int empty = 0; empty <= SS_MAX_EMPTY_STEPS; empty++) {
            GError *step_error = NULL;
            int left_ms = (int)MAX((deadline - g_get_monotonic_time()) / 1000, 1);
            if (!gdb_client_step_within(k->gdb, vcpu, left_ms, &stop, &step_error)) {
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
            if (rip != rip0 || rcx != rcx0 || g_get_monotonic_time() >= deadline)
                break;
            g_debug("kvm: vCPU %u: a step at 0x%" G_GINT64_MODIFIER "x ran nothing; again", vcpu,
                    (guint64)rip);
        }
        if (!stepped)
            continue;
        ev->ss_event.gla = rip;
        fill_frame(vmi, rip, &ev->ss_event.gfn);
        ev->vcpu_id = vcpu;
        ev->callback(vmi, ev);
        if (k->ss_event != ev)      /* the callback cleared it */
            break;
    }
    return true;
}

/* Which registered event explains @stop; NULL if none. */
static kvm_event_slot_t *match_stop(kvm_data_t *k, const rsp_stop_t *stop, addr_t rip)
{
    if (!k->events)
        return NULL;
    for (guint i = 0; i < k->events->len; i++) {
        kvm_event_slot_t *s = k->events->pdata[i];
        if (stop->watch != RSP_WATCH_NONE) {
            if (s->z_type >= 2 && stop->watch_addr >= s->va && stop->watch_addr - s->va < s->len)
                return s;
        } else if (s->z_type == 0 && s->va == rip) {
            return s;
        }
    }
    return NULL;
}

bool kvm_events_listen(vmi_instance_t vmi, uint32_t timeout_ms, GError **error)
{
    kvm_data_t *k = kvm_data(vmi);
    if (!need_gdb(vmi, error))
        return false;
    if (k->ss_event)
        return single_step(vmi, k, timeout_ms, error);
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
    gdb_client_read_reg(k->gdb, vcpu, gdb_client_has_reg(k->gdb, "rip") ? "rip" : "eip", &rip, NULL);
    kvm_event_slot_t *s = match_stop(k, &stop, rip);
    if (s) {
        vmi_event_t *ev = s->event;
        int z_type = s->z_type;
        addr_t va = s->va;
        unsigned len = s->len;
        ev->vcpu_id = vcpu;
        if (ev->type == VMI_EVENT_MEMORY) {
            mem_event_t *m = &ev->mem_event;
            m->gla = stop.watch_addr;
            addr_t pa = 0;
            if (vmi_v2p(vmi, vmi->kdtb, stop.watch_addr, &pa, NULL)) {
                m->gfn = pa >> VMI_PAGE_SHIFT;
                m->offset = pa & ~VMI_PAGE_MASK;
            }
            m->out_access = stop.watch == RSP_WATCH_WRITE ? VMI_MEMACCESS_W
                          : stop.watch == RSP_WATCH_READ ? VMI_MEMACCESS_R : VMI_MEMACCESS_RW;
        } else {
            ev->interrupt_event.gla = rip;
            fill_frame(vmi, rip, &ev->interrupt_event.gfn);
        }
        ev->callback(vmi, ev);
        /* a breakpoint would fire again at once: step over it */
        if (z_type == 0) {
            bool still = slot_of(k, ev) != NULL;
            if (still)
                gdb_client_remove(k->gdb, 0, va, len, NULL);
            rsp_stop_t st;
            gdb_client_step(k->gdb, vcpu, &st, NULL);
            if (still)
                gdb_client_insert(k->gdb, 0, va, len, NULL);
        }
    } else {
        g_debug("kvm: the guest stopped (signal %u) for no registered event", stop.signal);
    }
    /* the guest runs on between listens */
    return gdb_client_cont(k->gdb, error);
}
