/*
 * single-step - single-steps vCPU 0 for a number of instructions.
 *
 *   vmi-modern-single-step DOMAIN [STEPS]
 * Prints "step <rip> gfn <gfn>" per instruction.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "event-common.h"

static int steps, want;

static event_response_t on_step(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)vmi;
    printf("step 0x%" PRIx64 " gfn 0x%" PRIx64 "\n", event->ss_event.gla, event->ss_event.gfn);
    if (++steps < want)
        return VMI_EVENT_RESPONSE_NONE;
    interrupted = 1;
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;    /* enough: vCPU 0 runs again */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DOMAIN [STEPS]\n", argv[0]);
        return 2;
    }
    want = argc > 2 ? atoi(argv[2]) : 10;
    catch_signals();
    vmi_instance_t vmi = open_domain(argv[1]);
    if (!vmi)
        return 1;
    vmi_event_t event = { 0 };
    SETUP_SINGLESTEP_EVENT(&event, 1u << 0, on_step, 1);
    if (vmi_register_event(vmi, &event) == VMI_FAILURE) {
        fprintf(stderr, "single-step: %s\n", vmi_get_last_error(vmi));
        vmi_destroy(vmi);
        return 1;
    }
    while (!interrupted)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            fprintf(stderr, "listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
    vmi_clear_event(vmi, &event, NULL);
    vmi_destroy(vmi);
    return steps >= want ? 0 : 1;
}
