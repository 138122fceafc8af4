/*
 * mem-event - write events on the page that holds a kernel symbol.
 *
 *   vmi-modern-mem-event DOMAIN SYMBOL [EVENTS]
 * Prints "write <address> gfn <gfn> offset <offset>" per write seen
 * (address "?" when the write left the bytes as they were).
 */
#include <inttypes.h>
#include <stdlib.h>
#include "event-common.h"

static int seen, want;

static event_response_t on_write(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)vmi;
    const mem_access_event_t *m = &event->mem_event;
    if (m->gla_valid)
        printf("write 0x%" PRIx64 " gfn 0x%" PRIx64 " offset 0x%" PRIx64 "\n", m->gla, m->gfn,
               m->offset);
    else
        printf("write ? gfn 0x%" PRIx64 "\n", m->gfn);
    if (++seen >= want)
        interrupted = 1;
    return VMI_EVENT_RESPONSE_NONE;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DOMAIN SYMBOL [EVENTS]\n", argv[0]);
        return 2;
    }
    want = argc > 3 ? atoi(argv[3]) : 10;
    catch_signals();
    vmi_instance_t vmi = open_domain(argv[1]);
    if (!vmi)
        return 1;
    addr_t va = 0, pa = 0;
    vmi_event_t event = { 0 };
    int rc = 1;
    if (vmi_translate_ksym2v(vmi, argv[2], &va) == VMI_FAILURE ||
        vmi_translate_kv2p(vmi, va, &pa) == VMI_FAILURE) {
        fprintf(stderr, "%s: %s\n", argv[2], vmi_get_last_error(vmi));
        goto out;
    }
    SETUP_MEM_EVENT(&event, pa >> 12, VMI_MEMACCESS_W, on_write, 0);
    if (vmi_register_event(vmi, &event) == VMI_FAILURE) {
        fprintf(stderr, "memory event: %s\n", vmi_get_last_error(vmi));
        goto out;
    }
    printf("watching gfn 0x%" PRIx64 " (%s 0x%" PRIx64 ")\n", pa >> 12, argv[2], va);
    while (!interrupted)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            fprintf(stderr, "listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
    vmi_clear_event(vmi, &event, NULL);
    rc = seen >= want ? 0 : 1;
out:
    vmi_destroy(vmi);
    return rc;
}
