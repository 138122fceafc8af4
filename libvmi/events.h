/*
 * events.h - virtual machine introspection: events (memory, register,
 * single-step, interrupt, and the rest of LibVMI's kinds).  Included by
 * <libvmi/libvmi.h>; it may also be included on its own after it, as
 * LibVMI's programs do.
 *
 * Two generations of the event API, one structure
 * ------------------------------------------------
 * The classic API (2013) and the modern one (LibVMI 0.14 and its
 * development head, VMI_EVENTS_VERSION) use the same names for different
 * structures.  Here one vmi_event_t holds the fields of both, so that a
 * program of either generation compiles unchanged:
 *
 *   - A program of the classic API leaves `version` 0 (it zeroes the
 *     structure or uses an initializer): the event keeps its classic
 *     meaning (a breakpoint at interrupt_event.gla, a watch on
 *     mem_event.physical_address with a granularity, a callback that
 *     returns nothing).  A structure left uninitialised on the stack has a
 *     random `version` and is refused with a clear error.
 *   - A program of the modern API sets `version = VMI_EVENTS_VERSION` (the
 *     SETUP_*_EVENT macros do): modern meaning (INT3 events catch every
 *     INT3 the guest executes, memory events are on mem_event.gfn, the
 *     callback returns an event_response_t).  Any version from 1 to
 *     VMI_EVENTS_VERSION is taken as modern.
 *
 * Members whose types differ between the generations take the wider one:
 * reg_event.reg is a reg_t (a registers_t value fits), the access masks are
 * uint8_t (the VMI_*ACCESS_* constants are the same numbers in both), the
 * event kinds are VMI_EVENT_* numbers in a uint16_t.  mem_event_t (classic)
 * and mem_access_event_t (modern) are the same structure.
 *
 * The callback.  Classic callbacks return void, modern ones return an
 * event_response_t.  In C the member `callback` is a `void *` so that both
 * kinds of function are assigned to it without a warning under -Wall
 * -Wextra (-Wpedantic warns about a function pointer converted to void *):
 * the library calls it as the generation of `version` says.  In C++, and
 * in C with -DLIBVMI_API_MODERN, it is an event_callback_t (modern); with
 * -DLIBVMI_API_2013 it is the classic void callback.  So the one case that
 * needs a change is a classic program built as C++ (or with -Wpedantic
 * -Werror): add -DLIBVMI_API_2013.  A program that calls event->callback
 * itself needs -DLIBVMI_API_MODERN or -DLIBVMI_API_2013 (one line).
 *
 * Binaries built against this library before the modern API existed pass
 * the classic layout of vmi_event_t; they reference vmi_register_event and
 * friends at the version node LIBVMI_0.1, which still takes that layout.
 * Programs compiled from now on get the combined layout (LIBVMI_0.14).
 *
 * What each driver can deliver, and which response flags it honours, is
 * documented with vmi_register_event() below and in the README.
 */
#ifndef LIBVMI_EVENTS_H
#define LIBVMI_EVENTS_H

#include <stdbool.h>
#include <libvmi/libvmi.h>

/** The newest version of the event structures this library understands. */
#define VMI_EVENTS_VERSION 0x00000009

#ifdef __cplusplus
extern "C" {
#define VMI__NOEXCEPT noexcept
#else
#define VMI__NOEXCEPT
#endif

#pragma GCC visibility push(default)

/* ----------------------------------------------------------------- kinds */

typedef uint16_t vmi_event_type_t;

#define VMI_EVENT_INVALID           0
#define VMI_EVENT_MEMORY            1   /**< access to guest memory */
#define VMI_EVENT_REGISTER          2   /**< write (read) of a register */
#define VMI_EVENT_SINGLESTEP        3   /**< each instruction of chosen vCPUs */
#define VMI_EVENT_INTERRUPT         4   /**< an interrupt (INT3) */
#define VMI_EVENT_GUEST_REQUEST     5
#define VMI_EVENT_CPUID             6
#define VMI_EVENT_DEBUG_EXCEPTION   7
#define VMI_EVENT_PRIVILEGED_CALL   8
#define VMI_EVENT_DESCRIPTOR_ACCESS 9
#define VMI_EVENT_FAILED_EMULATION  10
#define VMI_EVENT_DOMAIN_WATCH      11
#define VMI_EVENT_VMEXIT            12
#define VMI_EVENT_IO                13

/** vCPUs a single-step event can name (bits of ss_event.vcpus). */
#define MAX_SINGLESTEP_VCPUS 32

typedef uint8_t vmi_reg_access_t;

#define VMI_REGACCESS_INVALID   0
#define VMI_REGACCESS_N         (1 << 0)
#define VMI_REGACCESS_R         (1 << 1)
#define VMI_REGACCESS_W         (1 << 2)
#define VMI_REGACCESS_RW        (VMI_REGACCESS_R | VMI_REGACCESS_W)

typedef uint8_t vmi_mem_access_t;

#define VMI_MEMACCESS_INVALID     0
#define VMI_MEMACCESS_N           (1 << 0)
#define VMI_MEMACCESS_R           (1 << 1)
#define VMI_MEMACCESS_W           (1 << 2)
#define VMI_MEMACCESS_X           (1 << 3)
#define VMI_MEMACCESS_RW          (VMI_MEMACCESS_R | VMI_MEMACCESS_W)
#define VMI_MEMACCESS_RX          (VMI_MEMACCESS_R | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_WX          (VMI_MEMACCESS_W | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_RWX         (VMI_MEMACCESS_R | VMI_MEMACCESS_W | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_W2X         (1 << 4)
#define VMI_MEMACCESS_X_ON_WRITE  VMI_MEMACCESS_W2X     /* classic name */
#define VMI_MEMACCESS_RWX2N       (1 << 5)

/** Classic memory events: a byte or whole pages at a physical address. */
typedef enum {
    VMI_MEMEVENT_INVALID,
    VMI_MEMEVENT_BYTE,
    VMI_MEMEVENT_PAGE
} vmi_memevent_granularity_t;

typedef uint8_t interrupts_t;

#define INT_INVALID     0
#define INT3            1   /**< software breakpoint (0xCC) */
#define INT_NEXT        2   /**< the next interrupt, whatever it is */


/* Buffers a callback can hand back (refused by the drivers here). */
typedef struct emul_read {
    uint32_t size;
    uint8_t dont_free;
    uint8_t _pad[3];
    uint8_t data[256];
} emul_read_t;

typedef struct emul_insn {
    uint8_t dont_free;
    uint8_t _pad[7];
    uint8_t data[16];
} emul_insn_t;

/* ------------------------------------------------------- per-kind parts
 * IN: set by the program before registering; OUT: set by the library
 * before the callback; RESPONSE: set by the callback.  (c) marks members of
 * the classic API only, (m) of the modern API only. */

typedef struct reg_event {
    reg_t reg;                  /**< IN: register (a registers_t value) */
    reg_t equal;                /**< IN: deliver only when (value & mask) == (equal & mask) */
    reg_t mask;                 /**< IN (c): bits of equal that matter; 0: no filter */
    uint8_t async;              /**< IN: do not pause the vCPU (refused on kvm) */
    uint8_t onchange;           /**< IN: only when the new value differs from the old */
    vmi_reg_access_t in_access; /**< IN: access that triggers (VMI_REGACCESS_W) */
    vmi_reg_access_t out_access;/**< OUT: the access seen */
    uint32_t msr;               /**< IN/OUT (m): MSR index */
    reg_t value;                /**< OUT: the value written (or read) */
    reg_t previous;             /**< OUT (m): the value before the write */
    reg_t context;              /**< IN (c): MSR number for MSR_ALL */
} reg_event_t;

typedef struct mem_access_event {
    addr_t gfn;                 /**< IN (m): page to watch; OUT: page of the access */
    uint8_t generic;            /**< IN (m): catch-all for every page (gfn ~0) */
    vmi_mem_access_t in_access; /**< IN: accesses that trigger */
    vmi_mem_access_t out_access;/**< OUT: the access seen */
    uint8_t gptw;               /**< OUT (m): during a page-table walk */
    uint8_t gla_valid;          /**< OUT (m): gla holds the virtual address */
    uint8_t _pad[3];
    addr_t gla;                 /**< OUT: virtual address of the access */
    addr_t offset;              /**< OUT: its offset in the page */
    vmi_memevent_granularity_t granularity; /**< IN (c): byte or pages */
    addr_t physical_address;    /**< IN (c): watched physical address */
    uint64_t npages;            /**< IN (c): pages watched (page granularity) */
} mem_access_event_t;
typedef mem_access_event_t mem_event_t;     /* the classic name */

typedef struct watch_domain_event {
    char *uuid;
    uint32_t domain;
    bool created;
} watch_domain_event_t;

typedef struct interrupt_event {
    interrupts_t intr;          /**< IN: INT3 (or INT_NEXT) */
    int8_t reinject;            /**< RESPONSE (m): 1 the guest gets the INT3, 0 swallowed */
    uint8_t enabled;            /**< (c) unused */
    uint8_t _pad1;
    uint32_t insn_length;       /**< OUT/RESPONSE (m): length of the instruction */
    addr_t gla;                 /**< IN (c): breakpoint address; OUT: RIP of the INT3 */
    addr_t gfn;                 /**< OUT: its physical page */
    addr_t offset;              /**< OUT (m): its offset in the page */
    /* INT_NEXT (m) */
    uint32_t vector;
    uint32_t type;
    uint32_t error_code;
    uint32_t _pad2;
    uint64_t cr2;
} interrupt_event_t;

typedef struct privcall_event {
    addr_t gla, gfn, offset;
} privcall_event_t;

typedef struct single_step_event {
    uint32_t vcpus;             /**< IN: bit mask of vCPUs (SET_VCPU_SINGLESTEP) */
    uint8_t enable;             /**< IN (m): step at once (else after a toggle) */
    uint8_t _pad[3];
    addr_t gla;                 /**< OUT: RIP after the step */
    addr_t gfn;                 /**< OUT: its physical page */
    addr_t offset;              /**< OUT (m): its offset in the page */
} single_step_event_t;

typedef struct debug_event {
    addr_t gla, gfn, offset;
    uint32_t insn_length;
    uint8_t type;
    int8_t reinject;
    uint16_t _pad;
} debug_event_t;

typedef struct cpuid_event {
    uint32_t insn_length;
    uint32_t leaf;
    uint32_t subleaf;
    uint32_t _pad;
} cpuid_event_t;

typedef struct {
    uint32_t bytes;
    uint16_t port;
    uint8_t in;
    uint8_t str;
} io_event_t;

#define VMI_DESCRIPTOR_IDTR 1
#define VMI_DESCRIPTOR_GDTR 2
#define VMI_DESCRIPTOR_LDTR 3
#define VMI_DESCRIPTOR_TR   4

typedef struct desriptor_event {
    union {
        struct {
            uint32_t instr_info;
            uint32_t _pad1;
            uint64_t exit_qualification;
        };
        uint64_t exit_info;
    };
    uint8_t descriptor;
    uint8_t is_write;
    uint8_t _pad2[6];
} descriptor_event_t;

typedef struct vmexit_event {
    uint8_t sync;
    uint64_t reason;
    uint64_t qualification;
} vmexit_event_t;

/* ------------------------------------------------------------ responses */

struct vmi_event;
typedef struct vmi_event vmi_event_t;

typedef uint32_t event_response_flags_t;

/* What a modern callback asks for.  The kvm driver honours NONE,
 * TOGGLE_SINGLESTEP, SET_REGISTERS and (for register events) DENY; any
 * other flag makes vmi_events_listen() fail with the flag named in
 * vmi_get_last_error(), the event otherwise handled as with NONE. */
#define VMI_EVENT_RESPONSE_NONE                 0
#define VMI_EVENT_RESPONSE_EMULATE              (1u << 1)
#define VMI_EVENT_RESPONSE_EMULATE_NOWRITE      (1u << 2)
#define VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA   (1u << 3)
#define VMI_EVENT_RESPONSE_DENY                 (1u << 4)
#define VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP    (1u << 5)
#define VMI_EVENT_RESPONSE_SLAT_ID              (1u << 6)
#define VMI_EVENT_RESPONSE_VMM_PAGETABLE_ID     VMI_EVENT_RESPONSE_SLAT_ID
#define VMI_EVENT_RESPONSE_SET_REGISTERS        (1u << 7)
#define VMI_EVENT_RESPONSE_SET_EMUL_INSN        (1u << 8)
#define VMI_EVENT_RESPONSE_GET_NEXT_INTERRUPT   (1u << 9)
#define VMI_EVENT_RESPONSE_NEXT_SLAT_ID         (1u << 10)
#define VMI_EVENT_RESPONSE_RESET_VMTRACE        (1u << 11)
#define VMI_EVENT_RESPONSE_RESET_FORK_STATE     (1u << 12)
#define VMI_EVENT_RESPONSE_RESET_FORK_MEM       (1u << 13)
#define __VMI_EVENT_RESPONSE_MAX                13

/** The flags a modern callback returns, or'ed. */
typedef uint32_t event_response_t;

/** A callback of the modern API. */
typedef event_response_t (*vmi_event_callback_modern_t)(vmi_instance_t vmi, vmi_event_t *event);
/** A callback of the classic API. */
typedef void (*vmi_event_callback_2013_t)(vmi_instance_t vmi, vmi_event_t *event);

#if defined(LIBVMI_API_2013)
typedef vmi_event_callback_2013_t event_callback_t;
#define VMI__EVENT_CALLBACK_MEMBER event_callback_t callback
#else
typedef vmi_event_callback_modern_t event_callback_t;
#if defined(__cplusplus) || defined(LIBVMI_API_MODERN)
#define VMI__EVENT_CALLBACK_MEMBER event_callback_t callback
#else
/* either generation's function (see the top of this file) */
#define VMI__EVENT_CALLBACK_MEMBER void *callback
#endif
#endif

/** Called by vmi_clear_event() (and vmi_swap_events()) once the library no
 *  longer uses @event; @rc says whether clearing it worked. */
typedef void (*vmi_event_free_t)(vmi_event_t *event, status_t rc);

struct vmi_event {
    uint32_t version;           /**< IN: 0 classic, VMI_EVENTS_VERSION modern */
    vmi_event_type_t type;      /**< IN: VMI_EVENT_* */
    uint16_t slat_id;           /**< IN/OUT/RESPONSE (m): view (refused on kvm) */
    uint16_t next_slat_id;      /**< RESPONSE (m) */
    uint16_t _reserved[3];
    void *data;                 /**< IN: the program's, handed back untouched */
    VMI__EVENT_CALLBACK_MEMBER; /**< IN: called when the event fires */
    uint32_t vcpu_id;           /**< OUT: the vCPU it fired on */
    page_mode_t page_mode;      /**< OUT (m): the guest's paging mode */
    union {
        reg_event_t reg_event;
        mem_access_event_t mem_event;
        single_step_event_t ss_event;
        interrupt_event_t interrupt_event;
        privcall_event_t privcall_event;
        cpuid_event_t cpuid_event;
        debug_event_t debug_event;
        descriptor_event_t descriptor_event;
        watch_domain_event_t watch_event;
        vmexit_event_t vmexit_event;
        io_event_t io_event;
    };
    union {
        union {
            x86_registers_t *x86_regs;  /**< OUT (m): the vCPU's registers at the event */
            arm_registers_t *arm_regs;
        };
        emul_read_t *emul_read;         /**< RESPONSE (m), refused here */
        emul_insn_t *emul_insn;         /**< RESPONSE (m), refused here */
    };
};

/* ---------------------------------------------------------------- macros */

#define SET_VCPU_SINGLESTEP(ss_event, x) \
    do { (ss_event).vcpus |= (1u << (x)); } while (0)
#define UNSET_VCPU_SINGLESTEP(ss_event, x) \
    do { (ss_event).vcpus &= ~(1u << (x)); } while (0)
#define CHECK_VCPU_SINGLESTEP(ss_event, x) \
    (((ss_event).vcpus) & (1u << (x)))

/* The modern set-up macros: each sets version to VMI_EVENTS_VERSION. */
#define SETUP_SINGLESTEP_EVENT(_event, _vcpu_mask, _callback, _enable) \
    do { \
        (_event)->version = VMI_EVENTS_VERSION; \
        (_event)->type = VMI_EVENT_SINGLESTEP; \
        (_event)->ss_event.vcpus = (_vcpu_mask); \
        (_event)->ss_event.enable = (_enable); \
        (_event)->callback = (_callback); \
    } while (0)

#define SETUP_MEM_EVENT(_event, _gfn, _access, _callback, _generic) \
    do { \
        (_event)->version = VMI_EVENTS_VERSION; \
        (_event)->type = VMI_EVENT_MEMORY; \
        (_event)->mem_event.gfn = (_generic) ? ~0ULL : (_gfn); \
        (_event)->mem_event.in_access = (_access); \
        (_event)->mem_event.generic = (_generic); \
        (_event)->callback = (_callback); \
    } while (0)

#define SETUP_REG_EVENT(_event, _reg, _access, _equal, _callback) \
    do { \
        (_event)->version = VMI_EVENTS_VERSION; \
        (_event)->type = VMI_EVENT_REGISTER; \
        (_event)->reg_event.reg = (_reg); \
        (_event)->reg_event.in_access = (_access); \
        (_event)->reg_event.equal = (_equal); \
        (_event)->callback = (_callback); \
    } while (0)

#define SETUP_INTERRUPT_EVENT(_event, _callback) \
    do { \
        (_event)->version = VMI_EVENTS_VERSION; \
        (_event)->type = VMI_EVENT_INTERRUPT; \
        (_event)->interrupt_event.intr = INT3; \
        (_event)->interrupt_event.reinject = -1; \
        (_event)->callback = (_callback); \
    } while (0)

#define SETUP_PRIVCALL_EVENT(_event, _callback) \
    do { \
        (_event)->version = VMI_EVENTS_VERSION; \
        (_event)->type = VMI_EVENT_PRIVILEGED_CALL; \
        (_event)->callback = (_callback); \
    } while (0)

#define SETUP_IO_EVENT(_event, _callback) \
    do { \
        (_event)->version = VMI_EVENTS_VERSION; \
        (_event)->type = VMI_EVENT_IO; \
        (_event)->callback = (_callback); \
    } while (0)

/* ----------------------------------------------------------------- calls */

/** VMI_EVENTS_VERSION of the library (the newest structures it accepts). */
uint32_t vmi_events_version(void) VMI__NOEXCEPT;

/**
 * Start delivering @event.  The structure stays the caller's and must live
 * until it is cleared.  On the kvm driver (needs the gdbstub):
 *  - VMI_EVENT_INTERRUPT, classic: a breakpoint at interrupt_event.gla.
 *    Modern: every INT3 the guest executes in kernel mode or user mode
 *    (caught at the guest's #BP handler); the callback says with
 *    interrupt_event.reinject whether the guest gets it (1) or the vCPU goes
 *    back to the INT3's address (0, kernel mode only).
 *  - VMI_EVENT_MEMORY: R, W or RW accesses (X is refused) through the
 *    kernel's mappings of the page (mem_event.gfn, or physical_address of a
 *    classic event), reported after the access.
 *  - VMI_EVENT_REGISTER: writes of CR0, CR3 or CR4 by the kernel's own code
 *    (each `mov` to that register in its text), reported before the write.
 *  - VMI_EVENT_SINGLESTEP: one instruction of each vCPU that steps per
 *    vmi_events_listen(); the guest stays stopped while a vCPU steps.
 * Everything else fails with the reason in vmi_get_last_error().
 */
status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event) VMI__NOEXCEPT;

/** Replace registered @swap_from by @swap_to (same kind); @free_routine,
 *  if given, is called for @swap_from once it is no longer used. */
status_t vmi_swap_events(vmi_instance_t vmi, vmi_event_t *swap_from, vmi_event_t *swap_to,
                         vmi_event_free_t free_routine) VMI__NOEXCEPT;

/** Stop delivering @event; @free_routine (may be NULL) is called with the
 *  outcome once the library no longer uses it.  The classic two-argument
 *  form vmi_clear_event(vmi, event) is the same with no free routine. */
status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *event,
                         vmi_event_free_t free_routine) VMI__NOEXCEPT;

/** The registered register event on @reg (a registers_t value), or NULL. */
vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, reg_t reg) VMI__NOEXCEPT;

/** The registered memory event: of a modern program on page @gfn with
 *  access @access; of a classic program (version 0) at physical address
 *  @gfn with granularity @access (VMI_MEMEVENT_BYTE/_PAGE). */
vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access) VMI__NOEXCEPT;

/** Set access events on pages of a generic memory event (refused on kvm). */
status_t vmi_set_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access,
                           uint16_t vmm_pagetable_id) VMI__NOEXCEPT;
status_t vmi_set_mem_event_range(vmi_instance_t vmi, addr_t gfn_start, addr_t gfn_end,
                                 vmi_mem_access_t access, uint16_t vmm_pagetable_id) VMI__NOEXCEPT;

/** Single-step @vcpu_id @steps instructions, then register @event again
 *  (cleared meanwhile if registered); with @cb, call it instead. */
status_t vmi_step_event(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu_id,
                        uint64_t steps, event_callback_t cb) VMI__NOEXCEPT;

/** Wait up to @timeout ms for events and run the callbacks of those that
 *  fired; VMI_SUCCESS also when none did.  0: only what is pending. */
status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout) VMI__NOEXCEPT;

/** Whether the guest must stop when no listener is left (Xen); refused here. */
status_t vmi_event_listener_required(vmi_instance_t vmi, bool required) VMI__NOEXCEPT;

/** Events seen but not yet delivered (0 on kvm, which delivers at once);
 *  -1 on error (a driver without events). */
int vmi_are_events_pending(vmi_instance_t vmi) VMI__NOEXCEPT;

/** The registered single-step event that covers @vcpu, or NULL. */
vmi_event_t *vmi_get_singlestep_event(vmi_instance_t vmi, uint32_t vcpu) VMI__NOEXCEPT;

/** Stop single-stepping @vcpu and clear its bit in @event. */
status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event,
                                   uint32_t vcpu) VMI__NOEXCEPT;

/** Start (@enabled) or stop single-stepping @vcpu of single-step @event. */
status_t vmi_toggle_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu,
                                     bool enabled) VMI__NOEXCEPT;

/** Stop every single-step event. */
status_t vmi_shutdown_single_step(vmi_instance_t vmi) VMI__NOEXCEPT;

#pragma GCC visibility pop

/* The classic two-argument vmi_clear_event(vmi, event): dispatched on the
 * number of arguments (VMI__OVERLOAD, libvmi.h). */
#if defined(LIBVMI_API_2013)
#define vmi_clear_event(vmi, event) (vmi_clear_event)((vmi), (event), NULL)
#elif !defined(LIBVMI_API_MODERN)
#define vmi_clear_event__2(vmi, event) (vmi_clear_event)((vmi), (event), NULL)
#define vmi_clear_event__3(vmi, event, free_routine) \
    (vmi_clear_event)((vmi), (event), (free_routine))
#define vmi_clear_event(...) VMI__OVERLOAD(vmi_clear_event, __VA_ARGS__)
#endif

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_EVENTS_H */
