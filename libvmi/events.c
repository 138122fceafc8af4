/*
 * events.c - the event API of both generations.  The core keeps the list
 * of registered events and runs the callbacks; a driver that can deliver
 * events fills the event slots of its table and calls vmi_event_deliver()
 * when one fires; the others refuse with a clear error (a memory snapshot
 * never runs, so nothing can fire).
 *
 * Events registered through the LIBVMI_0.1 symbols (binaries built before
 * the modern API) come in the classic layout (events_2013.h): the core
 * gives the driver a copy in today's layout (a shadow) and copies the
 * fields across around each callback.
 */
#ifndef LIBVMI_API_MODERN
#define LIBVMI_API_MODERN       /* typed callbacks; plain vmi_clear_event */
#endif
#include <string.h>
#include "private.h"
#include "events_2013.h"

#define EXPORT __attribute__((visibility("default")))

/* The modern functions of the names that also have a classic one
 * (LIBVMI_0.1, below) are the default version, LIBVMI_0.14. */
#define EVENTS_MODERN_AS(impl, name)                                                    \
    __asm__(".symver " #impl ", " #name "@@LIBVMI_0.14");                               \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&impl), __typeof__(&name)),  \
                   #impl " must have the prototype of " #name)

typedef struct event_entry {
    vmi_event_t *ev;            /* what the driver sees */
    vmi_event_2013_t *old;      /* registered through LIBVMI_0.1: the caller's */
    bool cleared;               /* cleared while callbacks run: freed after */
} event_entry_t;

typedef struct deferred_free {
    vmi_event_t *ev;
    vmi_event_free_t routine;
    status_t rc;
} deferred_free_t;

struct vmi_events {
    GPtrArray *entries;         /* event_entry_t* */
    unsigned delivering;        /* callbacks running (nesting) */
    GArray *deferred;           /* deferred_free_t */
    GPtrArray *dead;            /* entries cleared during delivery */
    /* vmi_step_event */
    vmi_event_t step_ss;        /* the single-step event it registers */
    vmi_event_t *step_target;
    event_callback_t step_cb;
    uint64_t steps_left;
    bool step_active;
};

EXPORT status_t events_register_modern(vmi_instance_t vmi, vmi_event_t *event);
EXPORT status_t events_clear_modern(vmi_instance_t vmi, vmi_event_t *event,
                                    vmi_event_free_t free_routine);
EXPORT vmi_event_t *events_get_reg_modern(vmi_instance_t vmi, reg_t reg);
EXPORT vmi_event_t *events_get_mem_modern(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access);
EXPORT vmi_event_t *events_get_ss_modern(vmi_instance_t vmi, uint32_t vcpu);
EXPORT status_t events_stop_ss_modern(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu);
EVENTS_MODERN_AS(events_register_modern, vmi_register_event);
EVENTS_MODERN_AS(events_clear_modern, vmi_clear_event);
EVENTS_MODERN_AS(events_get_reg_modern, vmi_get_reg_event);
EVENTS_MODERN_AS(events_get_mem_modern, vmi_get_mem_event);
EVENTS_MODERN_AS(events_get_ss_modern, vmi_get_singlestep_event);
EVENTS_MODERN_AS(events_stop_ss_modern, vmi_stop_single_step_vcpu);

static struct vmi_events *events_of(vmi_instance_t vmi)
{
    if (!vmi->events) {
        vmi->events = g_new0(struct vmi_events, 1);
        vmi->events->entries = g_ptr_array_new();
        vmi->events->deferred = g_array_new(FALSE, FALSE, sizeof(deferred_free_t));
        vmi->events->dead = g_ptr_array_new();
    }
    return vmi->events;
}

static void entry_free(event_entry_t *e)
{
    if (e->old)
        g_free(e->ev);
    g_free(e);
}

static event_entry_t *find_entry(vmi_instance_t vmi, const vmi_event_t *ev)
{
    if (!vmi->events)
        return NULL;
    GPtrArray *a = vmi->events->entries;
    for (guint i = 0; i < a->len; i++) {
        event_entry_t *e = a->pdata[i];
        if (e->ev == ev)
            return e;
    }
    return NULL;
}

static event_entry_t *find_old(vmi_instance_t vmi, const vmi_event_2013_t *old)
{
    if (!vmi->events)
        return NULL;
    GPtrArray *a = vmi->events->entries;
    for (guint i = 0; i < a->len; i++) {
        event_entry_t *e = a->pdata[i];
        if (e->old == old)
            return e;
    }
    return NULL;
}

/* Runs or queues @routine for @ev: never while a callback may still use it. */
static void free_later(vmi_instance_t vmi, vmi_event_t *ev, vmi_event_free_t routine, status_t rc)
{
    if (!routine)
        return;
    struct vmi_events *es = events_of(vmi);
    if (es->delivering) {
        deferred_free_t d = { ev, routine, rc };
        g_array_append_val(es->deferred, d);
    } else {
        routine(ev, rc);
    }
}

static void run_deferred(vmi_instance_t vmi)
{
    struct vmi_events *es = vmi->events;
    if (!es || es->delivering)
        return;
    while (es->deferred->len) {
        deferred_free_t d = g_array_index(es->deferred, deferred_free_t, 0);
        g_array_remove_index(es->deferred, 0);
        d.routine(d.ev, d.rc);
    }
    for (guint i = 0; i < es->dead->len; i++)
        entry_free(es->dead->pdata[i]);
    g_ptr_array_set_size(es->dead, 0);
}

void events_free(vmi_instance_t vmi)
{
    struct vmi_events *es = vmi->events;
    if (!es)
        return;
    for (guint i = 0; i < es->entries->len; i++) {
        event_entry_t *e = es->entries->pdata[i];
        if (vmi->driver && vmi->driver->clear_event)
            vmi->driver->clear_event(vmi, e->ev, NULL);
        entry_free(e);
    }
    g_ptr_array_free(es->entries, TRUE);
    es->delivering = 0;
    run_deferred(vmi);
    g_array_free(es->deferred, TRUE);
    g_ptr_array_free(es->dead, TRUE);
    g_free(es);
    vmi->events = NULL;
}

/* ------------------------------------------------------------ versions */

EXPORT uint32_t vmi_events_version(void)
{
    return VMI_EVENTS_VERSION;
}

static bool check_version(vmi_instance_t vmi, const vmi_event_t *ev)
{
    if (ev->version <= VMI_EVENTS_VERSION)
        return true;
    vmi_errorc(vmi, VMI_ERR_INVALID,
               "the event's version is 0x%x: this library knows 0 (classic API) to 0x%x "
               "(VMI_EVENTS_VERSION); zero the structure before filling it, or set version "
               "to VMI_EVENTS_VERSION", ev->version, VMI_EVENTS_VERSION);
    return false;
}

/* ------------------------------------------------------------ delivery */

/* classic layout <-> today's: what the program sets, what the library fills */
static void copy_in_2013(vmi_event_t *ev, const vmi_event_2013_t *o)
{
    ev->data = o->data;
    ev->callback = (event_callback_t)(void (*)(void))o->callback;
    switch (ev->type) {
    case VMI_EVENT_SINGLESTEP:
        ev->ss_event.vcpus = o->ss_event.vcpus;
        break;
    default:
        break;
    }
}

static void from_2013(vmi_event_t *ev, const vmi_event_2013_t *o)
{
    memset(ev, 0, sizeof(*ev));
    ev->version = 0;
    ev->type = (vmi_event_type_t)o->type;
    ev->vcpu_id = o->vcpu_id;
    switch (o->type) {
    case VMI_EVENT_REGISTER: {
        const vmi_reg_event_2013_t *r = &o->reg_event;
        ev->reg_event.reg = (reg_t)(unsigned)r->reg;
        ev->reg_event.equal = r->equal;
        ev->reg_event.mask = r->mask;
        ev->reg_event.async = r->async != 0;
        ev->reg_event.onchange = r->onchange != 0;
        ev->reg_event.in_access = (vmi_reg_access_t)r->in_access;
        ev->reg_event.context = r->context;
        break;
    }
    case VMI_EVENT_MEMORY: {
        const vmi_mem_event_2013_t *m = &o->mem_event;
        ev->mem_event.granularity = (vmi_memevent_granularity_t)m->granularity;
        ev->mem_event.physical_address = m->physical_address;
        ev->mem_event.npages = m->npages;
        ev->mem_event.in_access = (vmi_mem_access_t)m->in_access;
        break;
    }
    case VMI_EVENT_INTERRUPT:
        ev->interrupt_event.gla = o->interrupt_event.gla;
        ev->interrupt_event.intr = (interrupts_t)o->interrupt_event.intr;
        break;
    default:
        break;
    }
    copy_in_2013(ev, o);
}

static void out_2013(vmi_event_2013_t *o, const vmi_event_t *ev)
{
    o->vcpu_id = ev->vcpu_id;
    switch (ev->type) {
    case VMI_EVENT_REGISTER:
        o->reg_event.value = ev->reg_event.value;
        o->reg_event.out_access = ev->reg_event.out_access;
        break;
    case VMI_EVENT_MEMORY:
        o->mem_event.gla = ev->mem_event.gla;
        o->mem_event.gfn = ev->mem_event.gfn;
        o->mem_event.offset = ev->mem_event.offset;
        o->mem_event.out_access = ev->mem_event.out_access;
        break;
    case VMI_EVENT_SINGLESTEP:
        o->ss_event.gla = ev->ss_event.gla;
        o->ss_event.gfn = ev->ss_event.gfn;
        break;
    case VMI_EVENT_INTERRUPT:
        o->interrupt_event.gla = ev->interrupt_event.gla;
        o->interrupt_event.gfn = ev->interrupt_event.gfn;
        break;
    default:
        break;
    }
}

event_response_t vmi_event_deliver(vmi_instance_t vmi, vmi_event_t *ev)
{
    struct vmi_events *es = events_of(vmi);
    event_entry_t *e = find_entry(vmi, ev);
    event_response_t rsp = VMI_EVENT_RESPONSE_NONE;
    ev->page_mode = vmi->page_mode;
    es->delivering++;
    if (e && e->old) {
        vmi_event_2013_t *o = e->old;
        copy_in_2013(ev, o);
        out_2013(o, ev);
        if (o->callback)
            o->callback(vmi, o);
        if (!e->cleared)
            copy_in_2013(ev, o);
    } else if (ev->version == 0) {
        vmi_event_callback_2013_t cb = (vmi_event_callback_2013_t)(void (*)(void))ev->callback;
        if (cb)
            cb(vmi, ev);
    } else if (ev->callback) {
        rsp = ev->callback(vmi, ev);
    }
    es->delivering--;
    return rsp;
}

bool vmi_event_check_response(vmi_event_t *ev, event_response_t rsp, event_response_t honoured,
                              const char *driver, GError **error)
{
    static const char *const names[] = {
        [1] = "EMULATE", [2] = "EMULATE_NOWRITE", [3] = "SET_EMUL_READ_DATA", [4] = "DENY",
        [5] = "TOGGLE_SINGLESTEP", [6] = "SLAT_ID", [7] = "SET_REGISTERS", [8] = "SET_EMUL_INSN",
        [9] = "GET_NEXT_INTERRUPT", [10] = "NEXT_SLAT_ID", [11] = "RESET_VMTRACE",
        [12] = "RESET_FORK_STATE", [13] = "RESET_FORK_MEM",
    };
    event_response_t bad = rsp & ~honoured;
    if (!bad)
        return true;
    GString *s = g_string_new(NULL);
    for (unsigned bit = 0; bit < 32; bit++) {
        if (!(bad & (1u << bit)))
            continue;
        if (s->len)
            g_string_append(s, ", ");
        if (bit < G_N_ELEMENTS(names) && names[bit])
            g_string_append_printf(s, "VMI_EVENT_RESPONSE_%s", names[bit]);
        else
            g_string_append_printf(s, "unknown flag 0x%x", 1u << bit);
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "the callback of a %s event answered %s, which the %s driver cannot honour "
                "(the event was handled as with VMI_EVENT_RESPONSE_NONE)",
                vmi_event_type_name(ev->type), s->str, driver);
    g_string_free(s, TRUE);
    return false;
}

const char *vmi_event_type_name(vmi_event_type_t type)
{
    static const char *const names[] = {
        "invalid", "memory", "register", "single-step", "interrupt", "guest request", "CPUID",
        "debug exception", "privileged call", "descriptor access", "failed emulation",
        "domain watch", "VM exit", "I/O",
    };
    return type < G_N_ELEMENTS(names) ? names[type] : "unknown";
}

/* ------------------------------------------------------- registration */

static bool driver_register(vmi_instance_t vmi, vmi_event_t *ev)
{
    GError *error = NULL;
    if (!vmi->driver->register_event) {
        vmi_unsupported(vmi, "registering events");
        return false;
    }
    if (!vmi->driver->register_event(vmi, ev, &error)) {
        vmi_set_error(vmi, error);
        return false;
    }
    return true;
}

static bool driver_clear(vmi_instance_t vmi, vmi_event_t *ev)
{
    GError *error = NULL;
    if (!vmi->driver->clear_event) {
        vmi_unsupported(vmi, "clearing events");
        return false;
    }
    if (!vmi->driver->clear_event(vmi, ev, &error)) {
        vmi_set_error(vmi, error);
        return false;
    }
    return true;
}

static void entry_remove(vmi_instance_t vmi, event_entry_t *e)
{
    struct vmi_events *es = vmi->events;
    g_ptr_array_remove(es->entries, e);
    e->cleared = true;
    if (es->delivering)
        g_ptr_array_add(es->dead, e);
    else
        entry_free(e);
}

EXPORT status_t events_register_modern(vmi_instance_t vmi, vmi_event_t *event)
{
    if (!vmi || !event)
        return VMI_FAILURE;
    if (!check_version(vmi, event))
        return VMI_FAILURE;
    if (!event->callback) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "the %s event has no callback",
                   vmi_event_type_name(event->type));
        return VMI_FAILURE;
    }
    if (find_entry(vmi, event)) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "this %s event is already registered",
                   vmi_event_type_name(event->type));
        return VMI_FAILURE;
    }
    if (!driver_register(vmi, event))
        return VMI_FAILURE;
    event_entry_t *e = g_new0(event_entry_t, 1);
    e->ev = event;
    g_ptr_array_add(events_of(vmi)->entries, e);
    return VMI_SUCCESS;
}

EXPORT status_t events_clear_modern(vmi_instance_t vmi, vmi_event_t *event, vmi_event_free_t free_routine)
{
    if (!vmi || !event)
        return VMI_FAILURE;
    event_entry_t *e = find_entry(vmi, event);
    if (!e || e->old) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "this event is not registered");
        free_later(vmi, event, free_routine, VMI_FAILURE);
        return VMI_FAILURE;
    }
    status_t rc = driver_clear(vmi, event) ? VMI_SUCCESS : VMI_FAILURE;
    /* the library lets go of it either way: the driver forgot it too */
    entry_remove(vmi, e);
    free_later(vmi, event, free_routine, rc);
    return rc;
}

EXPORT status_t vmi_swap_events(vmi_instance_t vmi, vmi_event_t *swap_from, vmi_event_t *swap_to,
                                vmi_event_free_t free_routine)
{
    if (!vmi || !swap_from || !swap_to)
        return VMI_FAILURE;
    event_entry_t *e = find_entry(vmi, swap_from);
    if (!e || e->old) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the event to swap from is not registered");
        return VMI_FAILURE;
    }
    if (swap_from->type != swap_to->type) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "a %s event cannot be swapped for a %s event",
                   vmi_event_type_name(swap_from->type), vmi_event_type_name(swap_to->type));
        return VMI_FAILURE;
    }
    if (events_clear_modern(vmi, swap_from, NULL) == VMI_FAILURE)
        return VMI_FAILURE;
    if (events_register_modern(vmi, swap_to) == VMI_FAILURE) {
        /* put the old one back, so that no event is left without a handler */
        g_autofree char *why = g_strdup(vmi_get_last_error(vmi));
        events_register_modern(vmi, swap_from);
        vmi_errorc(vmi, vmi_get_last_error_code(vmi), "%s", why);
        return VMI_FAILURE;
    }
    free_later(vmi, swap_from, free_routine, VMI_SUCCESS);
    return VMI_SUCCESS;
}

/* ---------------------------------------------------------- look-ups */

static bool mem_matches_classic(const vmi_event_t *ev, addr_t pa, int granularity)
{
    const mem_event_t *m = &ev->mem_event;
    if ((int)m->granularity != granularity)
        return false;
    if (granularity == VMI_MEMEVENT_BYTE)
        return m->physical_address == pa;
    addr_t first = m->physical_address >> VMI_PAGE_SHIFT, page = pa >> VMI_PAGE_SHIFT;
    uint64_t n = m->npages ? m->npages : 1;
    return page >= first && page - first < n;
}

/* @which: 0 events of today's layout, 1 those of the classic layout */
static event_entry_t *lookup(vmi_instance_t vmi, int which, vmi_event_type_t type,
                             bool (*match)(const vmi_event_t *, const void *), const void *arg)
{
    if (!vmi || !vmi->events)
        return NULL;
    GPtrArray *a = vmi->events->entries;
    for (guint i = 0; i < a->len; i++) {
        event_entry_t *e = a->pdata[i];
        if ((e->old != NULL) == (which == 1) && e->ev->type == type && match(e->ev, arg))
            return e;
    }
    return NULL;
}

static bool match_reg(const vmi_event_t *ev, const void *arg)
{
    return ev->reg_event.reg == *(const reg_t *)arg;
}

typedef struct { addr_t where; int how; bool modern; } mem_key_t;

static bool match_mem(const vmi_event_t *ev, const void *arg)
{
    const mem_key_t *k = arg;
    if (k->modern)
        return ev->version != 0 && ev->mem_event.gfn == k->where &&
               (!k->how || ev->mem_event.in_access == k->how);
    return ev->version == 0 && mem_matches_classic(ev, k->where, k->how);
}

static bool match_ss(const vmi_event_t *ev, const void *arg)
{
    uint32_t vcpu = *(const uint32_t *)arg;
    return vcpu < MAX_SINGLESTEP_VCPUS && CHECK_VCPU_SINGLESTEP(ev->ss_event, vcpu);
}

static void report_none(vmi_instance_t vmi, const char *what)
{
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no %s event is registered there", what);
}

EXPORT vmi_event_t *events_get_reg_modern(vmi_instance_t vmi, reg_t reg)
{
    event_entry_t *e = lookup(vmi, 0, VMI_EVENT_REGISTER, match_reg, &reg);
    if (!e)
        report_none(vmi, "register");
    return e ? e->ev : NULL;
}

EXPORT vmi_event_t *events_get_mem_modern(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access)
{
    /* the same three arguments mean (gfn, access) to a modern program and
     * (physical address, granularity) to a classic one: each event is
     * matched as the generation it was registered with */
    mem_key_t modern = { gfn, access, true }, classic = { gfn, access, false };
    event_entry_t *e = lookup(vmi, 0, VMI_EVENT_MEMORY, match_mem, &modern);
    if (!e)
        e = lookup(vmi, 0, VMI_EVENT_MEMORY, match_mem, &classic);
    if (!e)
        report_none(vmi, "memory");
    return e ? e->ev : NULL;
}

EXPORT vmi_event_t *events_get_ss_modern(vmi_instance_t vmi, uint32_t vcpu)
{
    event_entry_t *e = lookup(vmi, 0, VMI_EVENT_SINGLESTEP, match_ss, &vcpu);
    if (!e)
        report_none(vmi, "single-step");
    return e ? e->ev : NULL;
}

/* -------------------------------------------------------- single-step */

static status_t toggle_ss(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu, bool on)
{
    GError *error = NULL;
    if (event->type != VMI_EVENT_SINGLESTEP || !find_entry(vmi, event)) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "not a registered single-step event");
        return VMI_FAILURE;
    }
    if (vcpu >= MAX_SINGLESTEP_VCPUS) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "vCPU %u: single-step events name vCPUs 0 to %d", vcpu,
                   MAX_SINGLESTEP_VCPUS - 1);
        return VMI_FAILURE;
    }
    if (!vmi->driver->singlestep_vcpu) {
        vmi_unsupported(vmi, "single-stepping");
        return VMI_FAILURE;
    }
    if (!vmi->driver->singlestep_vcpu(vmi, event, vcpu, on, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    if (on)
        SET_VCPU_SINGLESTEP(event->ss_event, vcpu);
    else
        UNSET_VCPU_SINGLESTEP(event->ss_event, vcpu);
    return VMI_SUCCESS;
}

EXPORT status_t vmi_toggle_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu,
                                            bool enabled)
{
    if (!vmi || !event)
        return VMI_FAILURE;
    return toggle_ss(vmi, event, vcpu, enabled);
}

EXPORT status_t events_stop_ss_modern(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu)
{
    if (!vmi || !event)
        return VMI_FAILURE;
    return toggle_ss(vmi, event, vcpu, false);
}

EXPORT status_t vmi_shutdown_single_step(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    status_t rc = VMI_SUCCESS;
    if (!vmi->events)
        return rc;
    GPtrArray *a = vmi->events->entries;
    for (guint i = a->len; i-- > 0;) {
        event_entry_t *e = a->pdata[i];
        if (e->ev->type != VMI_EVENT_SINGLESTEP)
            continue;
        if (!driver_clear(vmi, e->ev))
            rc = VMI_FAILURE;
        entry_remove(vmi, e);
    }
    vmi->events->step_active = false;
    return rc;
}

/* vmi_step_event: a single-step event of its own counts the steps */
static event_response_t step_event_cb(vmi_instance_t vmi, vmi_event_t *ss)
{
    struct vmi_events *es = vmi->events;
    (void)ss;
    if (!es || !es->step_active || --es->steps_left > 0)
        return VMI_EVENT_RESPONSE_NONE;
    es->step_active = false;
    events_clear_modern(vmi, &es->step_ss, NULL);
    vmi_event_t *target = es->step_target;
    if (es->step_cb) {
        target->vcpu_id = ss->vcpu_id;
        es->step_cb(vmi, target);
    } else if (events_register_modern(vmi, target) == VMI_FAILURE) {
        g_warning("vmi_step_event: registering the event again after the steps: %s",
                  vmi_get_last_error(vmi));
    }
    return VMI_EVENT_RESPONSE_NONE;
}

EXPORT status_t vmi_step_event(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu_id,
                               uint64_t steps, event_callback_t cb)
{
    if (!vmi || !event)
        return VMI_FAILURE;
    struct vmi_events *es = events_of(vmi);
    if (es->step_active) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "a vmi_step_event() is already under way");
        return VMI_FAILURE;
    }
    if (!steps || vcpu_id >= MAX_SINGLESTEP_VCPUS) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "vmi_step_event: %s",
                   !steps ? "zero steps" : "vCPU out of range (0 to 31)");
        return VMI_FAILURE;
    }
    event_entry_t *e = find_entry(vmi, event);
    if (e && events_clear_modern(vmi, event, NULL) == VMI_FAILURE)
        return VMI_FAILURE;
    memset(&es->step_ss, 0, sizeof(es->step_ss));
    SETUP_SINGLESTEP_EVENT(&es->step_ss, 1u << vcpu_id, step_event_cb, 1);
    es->step_target = event;
    es->step_cb = cb;
    es->steps_left = steps;
    es->step_active = true;
    if (events_register_modern(vmi, &es->step_ss) == VMI_FAILURE) {
        es->step_active = false;
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* ------------------------------------------------------------ listening */

EXPORT status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout_ms)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->events_listen) {
        vmi_unsupported(vmi, "listening for events");
        return VMI_FAILURE;
    }
    bool ok = vmi->driver->events_listen(vmi, timeout_ms, &error);
    run_deferred(vmi);
    if (!ok) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

EXPORT int vmi_are_events_pending(vmi_instance_t vmi)
{
    if (!vmi)
        return -1;
    if (!vmi->driver->events_listen) {
        vmi_unsupported(vmi, "events");
        return -1;
    }
    /* the drivers here deliver what they see within the listen that saw it */
    return vmi->driver->events_pending ? vmi->driver->events_pending(vmi) : 0;
}

EXPORT status_t vmi_event_listener_required(vmi_instance_t vmi, bool required)
{
    (void)required;
    if (vmi)
        vmi_unsupported(vmi, "requiring an event listener (a Xen feature)");
    return VMI_FAILURE;
}

EXPORT status_t vmi_set_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access,
                                  uint16_t vmm_pagetable_id)
{
    (void)gfn;
    (void)access;
    (void)vmm_pagetable_id;
    if (vmi)
        vmi_unsupported(vmi, "setting page access for generic memory events (hypervisor page "
                             "permissions)");
    return VMI_FAILURE;
}

EXPORT status_t vmi_set_mem_event_range(vmi_instance_t vmi, addr_t gfn_start, addr_t gfn_end,
                                        vmi_mem_access_t access, uint16_t vmm_pagetable_id)
{
    (void)gfn_end;
    return vmi_set_mem_event(vmi, gfn_start, access, vmm_pagetable_id);
}

/* ------------------------------------------------- LIBVMI_0.1 (classic ABI)
 * The same calls on the classic layout, for binaries built before. */

EXPORT status_t events_register_2013(vmi_instance_t vmi, vmi_event_2013_t *old);
EXPORT status_t events_clear_2013(vmi_instance_t vmi, vmi_event_2013_t *old);
EXPORT vmi_event_2013_t *events_get_reg_2013(vmi_instance_t vmi, int reg);
EXPORT vmi_event_2013_t *events_get_mem_2013(vmi_instance_t vmi, addr_t pa, int granularity);
EXPORT vmi_event_2013_t *events_get_ss_2013(vmi_instance_t vmi, uint32_t vcpu);
EXPORT status_t events_stop_ss_2013(vmi_instance_t vmi, vmi_event_2013_t *old, uint32_t vcpu);
__asm__(".symver events_register_2013, vmi_register_event@LIBVMI_0.1");
__asm__(".symver events_clear_2013, vmi_clear_event@LIBVMI_0.1");
__asm__(".symver events_get_reg_2013, vmi_get_reg_event@LIBVMI_0.1");
__asm__(".symver events_get_mem_2013, vmi_get_mem_event@LIBVMI_0.1");
__asm__(".symver events_get_ss_2013, vmi_get_singlestep_event@LIBVMI_0.1");
__asm__(".symver events_stop_ss_2013, vmi_stop_single_step_vcpu@LIBVMI_0.1");

EXPORT status_t events_register_2013(vmi_instance_t vmi, vmi_event_2013_t *old)
{
    if (!vmi || !old)
        return VMI_FAILURE;
    if (find_old(vmi, old)) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "this event is already registered");
        return VMI_FAILURE;
    }
    if (!old->callback) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "the event has no callback");
        return VMI_FAILURE;
    }
    vmi_event_t *shadow = g_new0(vmi_event_t, 1);
    from_2013(shadow, old);
    if (!driver_register(vmi, shadow)) {
        g_free(shadow);
        return VMI_FAILURE;
    }
    event_entry_t *e = g_new0(event_entry_t, 1);
    e->ev = shadow;
    e->old = old;
    g_ptr_array_add(events_of(vmi)->entries, e);
    return VMI_SUCCESS;
}

EXPORT status_t events_clear_2013(vmi_instance_t vmi, vmi_event_2013_t *old)
{
    if (!vmi || !old)
        return VMI_FAILURE;
    event_entry_t *e = find_old(vmi, old);
    if (!e) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "this event is not registered");
        return VMI_FAILURE;
    }
    status_t rc = driver_clear(vmi, e->ev) ? VMI_SUCCESS : VMI_FAILURE;
    entry_remove(vmi, e);
    return rc;
}

EXPORT vmi_event_2013_t *events_get_reg_2013(vmi_instance_t vmi, int reg)
{
    reg_t r = (reg_t)(unsigned)reg;
    event_entry_t *e = lookup(vmi, 1, VMI_EVENT_REGISTER, match_reg, &r);
    if (!e)
        report_none(vmi, "register");
    return e ? e->old : NULL;
}

EXPORT vmi_event_2013_t *events_get_mem_2013(vmi_instance_t vmi, addr_t pa, int granularity)
{
    mem_key_t k = { pa, granularity, false };
    event_entry_t *e = lookup(vmi, 1, VMI_EVENT_MEMORY, match_mem, &k);
    if (!e)
        report_none(vmi, "memory");
    return e ? e->old : NULL;
}

EXPORT vmi_event_2013_t *events_get_ss_2013(vmi_instance_t vmi, uint32_t vcpu)
{
    event_entry_t *e = lookup(vmi, 1, VMI_EVENT_SINGLESTEP, match_ss, &vcpu);
    if (!e)
        report_none(vmi, "single-step");
    return e ? e->old : NULL;
}

EXPORT status_t events_stop_ss_2013(vmi_instance_t vmi, vmi_event_2013_t *old, uint32_t vcpu)
{
    if (!vmi || !old)
        return VMI_FAILURE;
    event_entry_t *e = find_old(vmi, old);
    if (!e || e->ev->type != VMI_EVENT_SINGLESTEP) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "not a registered single-step event");
        return VMI_FAILURE;
    }
    e->ev->ss_event.vcpus = old->ss_event.vcpus;
    status_t rc = toggle_ss(vmi, e->ev, vcpu, false);
    old->ss_event.vcpus = e->ev->ss_event.vcpus;
    return rc;
}
