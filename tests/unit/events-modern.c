/* A program of the modern event API (LibVMI 0.14 and later): versioned
 * events set up by the macros, callbacks returning a response, the
 * three-argument vmi_clear_event.  Also built as C++. */
#include <libvmi/libvmi.h>
#include <libvmi/events.h>

static event_response_t cb(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)vmi;
    if (event->type == VMI_EVENT_INTERRUPT)
        event->interrupt_event.reinject = 1;
    return event->x86_regs && event->x86_regs->rip ? VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP
                                                   : VMI_EVENT_RESPONSE_NONE;
}

static void freed(vmi_event_t *event, status_t rc)
{
    (void)event;
    (void)rc;
}

int modern_events(vmi_instance_t vmi)
{
    vmi_event_t mem = { 0 }, reg = { 0 }, ss = { 0 }, bp = { 0 };
    SETUP_MEM_EVENT(&mem, 0x1234, VMI_MEMACCESS_W, cb, 0);
    SETUP_REG_EVENT(&reg, CR3, VMI_REGACCESS_W, 0, cb);
    SETUP_SINGLESTEP_EVENT(&ss, 1u << 0, cb, 0);
    SETUP_INTERRUPT_EVENT(&bp, cb);
    vmi_register_event(vmi, &mem);
    vmi_register_event(vmi, &reg);
    vmi_register_event(vmi, &ss);
    vmi_register_event(vmi, &bp);
    vmi_toggle_single_step_vcpu(vmi, &ss, 0, true);
    vmi_step_event(vmi, &bp, 0, 3, NULL);
    if (vmi_events_version() != VMI_EVENTS_VERSION || vmi_are_events_pending(vmi) < 0)
        return 1;
    vmi_events_listen(vmi, 0);
    vmi_swap_events(vmi, &mem, &mem, freed);
    return vmi_clear_event(vmi, &mem, freed) == VMI_SUCCESS &&
           vmi_clear_event(vmi, &reg, NULL) == VMI_SUCCESS &&
           vmi_get_mem_event(vmi, 0x1234, VMI_MEMACCESS_W) == NULL;
}
