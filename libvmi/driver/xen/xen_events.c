/*
 * xen_events.c - events of Xen domains (vm_event).
 */
#include "xen.h"

void xen_events_close(vmi_instance_t vmi)
{
    (void)vmi;
}

bool xen_register_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    (void)event;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "events of Xen domain '%s' are not supported yet", vmi->name);
    return false;
}

bool xen_clear_event(vmi_instance_t vmi, vmi_event_t *event, GError **error)
{
    (void)vmi;
    (void)event;
    (void)error;
    return true;
}

bool xen_events_listen(vmi_instance_t vmi, uint32_t timeout_ms, GError **error)
{
    (void)timeout_ms;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "events of Xen domain '%s' are not supported yet", vmi->name);
    return false;
}

bool xen_singlestep_vcpu(vmi_instance_t vmi, vmi_event_t *event, unsigned vcpu, bool on,
                         GError **error)
{
    (void)event;
    (void)vcpu;
    (void)on;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "events of Xen domain '%s' are not supported yet", vmi->name);
    return false;
}
