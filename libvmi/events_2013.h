/*
 * events_2013.h - the layout of vmi_event_t that binaries built against
 * this library before the modern event API pass to the LIBVMI_0.1 symbols
 * (vmi_register_event@LIBVMI_0.1 and the others taking an event).  Never
 * changes: it is what those binaries were compiled with
 * (tests/data/abi-2013/libvmi/events.h, checked by tests/unit/test-events).
 * The enums of that header are int-sized; they are written as int here.
 */
#ifndef VMI_EVENTS_2013_H
#define VMI_EVENTS_2013_H

#include <stdint.h>
#include "libvmi.h"

typedef struct vmi_reg_event_2013 {
    int reg;                    /* registers_t */
    reg_t equal;
    reg_t mask;
    int async:1;
    int onchange:1;
    int in_access;              /* vmi_reg_access_t */
    reg_t context;
    reg_t value;
    int out_access;
} vmi_reg_event_2013_t;

typedef struct vmi_mem_event_2013 {
    int granularity;            /* vmi_memevent_granularity_t */
    addr_t physical_address;
    uint64_t npages;
    int in_access;              /* vmi_mem_access_t */
    addr_t gla;
    addr_t gfn;
    uint64_t offset;
    int out_access;
} vmi_mem_event_2013_t;

typedef struct vmi_interrupt_event_2013 {
    addr_t gla;
    addr_t gfn;
    int intr;                   /* interrupts_t */
    int reinject:1;
    int enabled:1;
} vmi_interrupt_event_2013_t;

typedef struct vmi_single_step_event_2013 {
    addr_t gla;
    addr_t gfn;
    uint32_t vcpus;
} vmi_single_step_event_2013_t;

typedef struct vmi_event_2013 vmi_event_2013_t;
typedef void (*vmi_event_callback_2013_abi_t)(vmi_instance_t vmi, vmi_event_2013_t *event);

struct vmi_event_2013 {
    int type;                   /* vmi_event_type_t (an enum then) */
    union {
        vmi_reg_event_2013_t reg_event;
        vmi_mem_event_2013_t mem_event;
        vmi_single_step_event_2013_t ss_event;
        vmi_interrupt_event_2013_t interrupt_event;
    };
    uint32_t vcpu_id;
    void *data;
    vmi_event_callback_2013_abi_t callback;
};

#endif
