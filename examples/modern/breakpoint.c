/*
 * breakpoint - an INT3 written over the first byte of a kernel function,
 * recoiled on every hit: the original byte back, the INT3 swallowed
 * (reinject 0), one single step, the INT3 written again.
 *
 *   vmi-modern-breakpoint DOMAIN SYMBOL [HITS]
 * Prints "hit <address> vcpu <n> rip <x86_regs->rip>" per hit.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "event-common.h"

struct bp {
    addr_t va;
    uint8_t saved;
    int hits, want;
    int disarming;
};

static event_response_t on_int3(vmi_instance_t vmi, vmi_event_t *event)
{
    struct bp *bp = event->data;
    if (event->interrupt_event.gla != bp->va) {
        event->interrupt_event.reinject = 1;    /* not ours: the guest's own */
        return VMI_EVENT_RESPONSE_NONE;
    }
    bp->hits++;
    printf("hit 0x%" PRIx64 " vcpu %u rip 0x%" PRIx64 "\n", event->interrupt_event.gla,
           event->vcpu_id, event->x86_regs->rip);
    fflush(stdout);
    vmi_write_8_va(vmi, bp->va, 0, &bp->saved);
    event->interrupt_event.reinject = 0;
    if (bp->hits >= bp->want)
        interrupted = 1;
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

static event_response_t on_step(vmi_instance_t vmi, vmi_event_t *event)
{
    struct bp *bp = event->data;
    uint8_t int3 = 0xcc;
    if (!bp->disarming)
        vmi_write_8_va(vmi, bp->va, 0, &int3);
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DOMAIN SYMBOL [HITS]\n", argv[0]);
        return 2;
    }
    struct bp bp = { .want = argc > 3 ? atoi(argv[3]) : 1 };
    catch_signals();
    vmi_instance_t vmi = open_domain(argv[1]);
    if (!vmi)
        return 1;
    int rc = 1;
    vmi_event_t int3_event = { 0 }, step_event = { 0 };
    if (vmi_translate_ksym2v(vmi, argv[2], &bp.va) == VMI_FAILURE ||
        vmi_read_8_va(vmi, bp.va, 0, &bp.saved) == VMI_FAILURE) {
        fprintf(stderr, "%s: %s\n", argv[2], vmi_get_last_error(vmi));
        goto out;
    }
    SETUP_INTERRUPT_EVENT(&int3_event, on_int3);
    int3_event.data = &bp;
    uint32_t vcpus = 0;
    for (unsigned i = 0; i < vmi_get_num_vcpus(vmi) && i < MAX_SINGLESTEP_VCPUS; i++)
        vcpus |= 1u << i;
    SETUP_SINGLESTEP_EVENT(&step_event, vcpus, on_step, 0);
    step_event.data = &bp;
    uint8_t int3 = 0xcc;
    if (vmi_pause_vm(vmi) == VMI_FAILURE ||
        vmi_register_event(vmi, &int3_event) == VMI_FAILURE ||
        vmi_register_event(vmi, &step_event) == VMI_FAILURE ||
        vmi_write_8_va(vmi, bp.va, 0, &int3) == VMI_FAILURE) {
        fprintf(stderr, "arming the breakpoint: %s\n", vmi_get_last_error(vmi));
        vmi_resume_vm(vmi);
        goto out;
    }
    printf("breakpoint at %s 0x%" PRIx64 "\n", argv[2], bp.va);
    fflush(stdout);
    vmi_resume_vm(vmi);
    while (!interrupted)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            fprintf(stderr, "listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
    /* a recoil under way ends without writing the INT3 again */
    bp.disarming = 1;
    vmi_events_listen(vmi, 0);
    vmi_write_8_va(vmi, bp.va, 0, &bp.saved);
    rc = bp.hits >= bp.want ? 0 : 1;
out:
    vmi_clear_event(vmi, &int3_event, NULL);
    vmi_clear_event(vmi, &step_event, NULL);
    vmi_destroy(vmi);
    return rc;
}
