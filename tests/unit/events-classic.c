/* A program of the classic event API (void callbacks, version left 0,
 * vmi_clear_event with two arguments): must compile unchanged. */
#include <string.h>
#include <libvmi/libvmi.h>

static void cb(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)vmi;
    (void)event;
}

int classic_events(vmi_instance_t vmi)
{
    vmi_event_t reg;
    memset(&reg, 0, sizeof(reg));
    reg.type = VMI_EVENT_REGISTER;
    reg.reg_event.reg = CR3;
    reg.reg_event.in_access = VMI_REGACCESS_W;
    reg.callback = cb;
    vmi_event_t mem = { .type = VMI_EVENT_MEMORY, .callback = cb };
    mem.mem_event.physical_address = 0x1000;
    mem.mem_event.granularity = VMI_MEMEVENT_PAGE;
    mem.mem_event.in_access = VMI_MEMACCESS_RW;
    vmi_event_t ss = { .type = VMI_EVENT_SINGLESTEP, .callback = cb };
    SET_VCPU_SINGLESTEP(ss.ss_event, 0);
    vmi_event_t bp = { .type = VMI_EVENT_INTERRUPT, .callback = cb };
    bp.interrupt_event.gla = 0xffffffff81000000ull;
    bp.interrupt_event.intr = INT3;
    vmi_register_event(vmi, &reg);
    vmi_register_event(vmi, &mem);
    vmi_register_event(vmi, &ss);
    vmi_register_event(vmi, &bp);
    if (vmi_get_reg_event(vmi, CR3) != &reg || vmi_get_mem_event(vmi, 0x1000, VMI_MEMEVENT_PAGE) != &mem ||
        vmi_get_singlestep_event(vmi, 0) != &ss)
        return 1;
    vmi_stop_single_step_vcpu(vmi, &ss, 0);
    vmi_shutdown_single_step(vmi);
    vmi_events_listen(vmi, 500);
    return vmi_clear_event(vmi, &reg) == VMI_SUCCESS && vmi_clear_event(vmi, &mem) == VMI_SUCCESS &&
           vmi_clear_event(vmi, &bp) == VMI_SUCCESS;
}
