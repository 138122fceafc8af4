/*
 * events.c - the event API.  The core keeps no event state of its own: a
 * driver that can deliver events fills the slots; the others refuse with a
 * clear error (a memory snapshot never runs, so nothing can fire).
 */
#include "private.h"

void events_free(vmi_instance_t vmi)
{
    (void)vmi;
}

status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event)
{
    GError *error = NULL;
    if (!vmi || !event)
        return VMI_FAILURE;
    if (!vmi->driver->register_event) {
        vmi_unsupported(vmi, "registering events");
        return VMI_FAILURE;
    }
    if (!vmi->driver->register_event(vmi, event, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *event)
{
    GError *error = NULL;
    if (!vmi || !event)
        return VMI_FAILURE;
    if (!vmi->driver->clear_event) {
        vmi_unsupported(vmi, "clearing events");
        return VMI_FAILURE;
    }
    if (!vmi->driver->clear_event(vmi, event, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, uint32_t reg)
{
    (void)reg;
    if (vmi)
        vmi_unsupported(vmi, "register events");
    return NULL;
}

vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t physical_address,
                               vmi_memevent_granularity_t granularity)
{
    (void)physical_address;
    (void)granularity;
    if (vmi)
        vmi_unsupported(vmi, "memory events");
    return NULL;
}

vmi_event_t *vmi_get_singlestep_event(vmi_instance_t vmi, uint32_t vcpu)
{
    (void)vcpu;
    if (vmi)
        vmi_unsupported(vmi, "single-step events");
    return NULL;
}

status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu)
{
    (void)event;
    (void)vcpu;
    if (vmi)
        vmi_unsupported(vmi, "single-stepping");
    return VMI_FAILURE;
}

status_t vmi_shutdown_single_step(vmi_instance_t vmi)
{
    if (vmi)
        vmi_unsupported(vmi, "single-stepping");
    return VMI_FAILURE;
}

status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout_ms)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->events_listen) {
        vmi_unsupported(vmi, "listening for events");
        return VMI_FAILURE;
    }
    if (!vmi->driver->events_listen(vmi, timeout_ms, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
