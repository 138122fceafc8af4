/*
 * cr3-event - the guest's writes of CR3 (address-space switches).
 *
 *   vmi-modern-cr3-event DOMAIN [EVENTS]
 * Prints "cr3 <value> previous <value> pid <pid>" per write (pid -1 when
 * the page directory is no process's).
 */
#include <inttypes.h>
#include <stdlib.h>
#include "event-common.h"

static int seen, want;

static event_response_t on_cr3(vmi_instance_t vmi, vmi_event_t *event)
{
    vmi_pid_t pid = -1;
    addr_t dtb = event->reg_event.value & ~0xfffull & ((1ull << 52) - 1);
    if (vmi_dtb_to_pid(vmi, dtb, &pid) == VMI_FAILURE)
        pid = -1;
    printf("cr3 0x%" PRIx64 " previous 0x%" PRIx64 " pid %d\n", event->reg_event.value,
           event->reg_event.previous, pid);
    if (++seen >= want)
        interrupted = 1;
    return VMI_EVENT_RESPONSE_NONE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DOMAIN [EVENTS]\n", argv[0]);
        return 2;
    }
    want = argc > 2 ? atoi(argv[2]) : 10;
    catch_signals();
    vmi_instance_t vmi = open_domain(argv[1]);
    if (!vmi)
        return 1;
    vmi_event_t event = { 0 };
    SETUP_REG_EVENT(&event, CR3, VMI_REGACCESS_W, 0, on_cr3);
    if (vmi_register_event(vmi, &event) == VMI_FAILURE) {
        fprintf(stderr, "register event: %s\n", vmi_get_last_error(vmi));
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
    return seen >= want ? 0 : 1;
}
