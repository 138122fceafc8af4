/*
 * events.h - virtual machine introspection: events (memory, register,
 * single-step, interrupt).  Included by <libvmi/libvmi.h>; it may also be
 * included on its own after it, as LibVMI's programs do.
 */
#ifndef LIBVMI_EVENTS_H
#define LIBVMI_EVENTS_H

#include <libvmi/libvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* ------------------------------------------------------------ structures */

typedef enum {
    VMI_EVENT_INVALID,
    VMI_EVENT_MEMORY,
    VMI_EVENT_REGISTER,
    VMI_EVENT_SINGLESTEP,
    VMI_EVENT_INTERRUPT
} vmi_event_type_t;

typedef enum {
    VMI_REGACCESS_INVALID = 0,
    VMI_REGACCESS_N = (1 << 0),
    VMI_REGACCESS_R = (1 << 1),
    VMI_REGACCESS_W = (1 << 2),
    VMI_REGACCESS_RW = (VMI_REGACCESS_R | VMI_REGACCESS_W)
} vmi_reg_access_t;

typedef enum {
    VMI_MEMACCESS_INVALID = 0,
    VMI_MEMACCESS_N = (1 << 0),
    VMI_MEMACCESS_R = (1 << 1),
    VMI_MEMACCESS_W = (1 << 2),
    VMI_MEMACCESS_X = (1 << 3),
    VMI_MEMACCESS_RW = (VMI_MEMACCESS_R | VMI_MEMACCESS_W),
    VMI_MEMACCESS_RX = (VMI_MEMACCESS_R | VMI_MEMACCESS_X),
    VMI_MEMACCESS_WX = (VMI_MEMACCESS_W | VMI_MEMACCESS_X),
    VMI_MEMACCESS_RWX = (VMI_MEMACCESS_R | VMI_MEMACCESS_W | VMI_MEMACCESS_X),
    VMI_MEMACCESS_X_ON_WRITE = (1 << 4)
} vmi_mem_access_t;

typedef enum {
    VMI_MEMEVENT_INVALID,
    VMI_MEMEVENT_BYTE,
    VMI_MEMEVENT_PAGE
} vmi_memevent_granularity_t;

typedef struct {
    registers_t reg;            /**< register to watch */
    reg_t equal;                /**< value to match (with mask) */
    reg_t mask;                 /**< bits of equal that matter */
    int async:1;                /**< do not pause the vCPU */
    int onchange:1;             /**< only when the value changes */
    vmi_reg_access_t in_access; /**< access that triggers */
    reg_t context;              /**< MSR number for MSR_ALL */
    reg_t value;                /**< out: the new value */
    vmi_reg_access_t out_access;/**< out: the access seen */
} reg_event_t;

typedef struct {
    vmi_memevent_granularity_t granularity;
    addr_t physical_address;    /**< watched guest-physical address */
    uint64_t npages;            /**< pages watched (page granularity) */
    vmi_mem_access_t in_access; /**< access that triggers */
    addr_t gla;                 /**< out: guest linear address */
    addr_t gfn;                 /**< out: guest frame number */
    uint64_t offset;            /**< out: offset in the frame */
    vmi_mem_access_t out_access;/**< out: the access seen */
} mem_event_t;

typedef enum {
    INT_INVALID,
    INT3
} interrupts_t;

typedef struct {
    addr_t gla;
    addr_t gfn;
    interrupts_t intr;
    int reinject:1;
    int enabled:1;
} interrupt_event_t;

typedef struct {
    addr_t gla;
    addr_t gfn;
    uint32_t vcpus;             /**< bit mask of vCPUs to single-step */
} single_step_event_t;

#define SET_VCPU_SINGLESTEP(ss_event, x) do { (ss_event).vcpus |= (1u << (x)); } while (0)
#define UNSET_VCPU_SINGLESTEP(ss_event, x) do { (ss_event).vcpus &= ~(1u << (x)); } while (0)
#define CHECK_VCPU_SINGLESTEP(ss_event, x) (((ss_event).vcpus) & (1u << (x)))

struct vmi_event;
typedef struct vmi_event vmi_event_t;
typedef void (*event_callback_t)(vmi_instance_t vmi, vmi_event_t *event);

struct vmi_event {
    vmi_event_type_t type;
    union {
        reg_event_t reg_event;
        mem_event_t mem_event;
        single_step_event_t ss_event;
        interrupt_event_t interrupt_event;
    };
    uint32_t vcpu_id;
    void *data;
    event_callback_t callback;
};

/* ----------------------------------------------------------------- calls */

status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event);
status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *event);
vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, registers_t reg);
vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t physical_address,
                               vmi_memevent_granularity_t granularity);
vmi_event_t *vmi_get_singlestep_event(vmi_instance_t vmi, uint32_t vcpu);
status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu);
status_t vmi_shutdown_single_step(vmi_instance_t vmi);
/** Wait up to @timeout_ms for events and run the callbacks of those that fired. */
status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout_ms);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_EVENTS_H */
