/*
 * old-events - a classic event program as binaries built against this
 * library before the modern event API were: compiled with the headers of
 * that time (tests/data/abi-2013) and linked against a library that has
 * only the LIBVMI_0.1 node (stub-2013.c), so that it references
 * vmi_register_event@LIBVMI_0.1 and the others; run against today's
 * library, which must still take the classic layout of vmi_event_t.
 *
 *   old-events NAME KSYS_WRITE JIFFIES     (addresses from the guest's truth)
 * Prints TAP lines; exits 1 if a check failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmi/libvmi.h>

static int failures, checks;
static void check(int ok, const char *what)
{
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++checks, what);
    fflush(stdout);
    failures += !ok;
}

static int hits;
static vmi_event_t *seen;
static addr_t gla, gfn;
static reg_t cr3;

static void on_event(vmi_instance_t vmi, vmi_event_t *ev)
{
    (void)vmi;
    hits++;
    seen = ev;
    if (ev->type == VMI_EVENT_INTERRUPT) {
        gla = ev->interrupt_event.gla;
        gfn = ev->interrupt_event.gfn;
    } else if (ev->type == VMI_EVENT_MEMORY) {
        gla = ev->mem_event.gla;
        gfn = ev->mem_event.gfn;
    } else if (ev->type == VMI_EVENT_REGISTER) {
        cr3 = ev->reg_event.value;
    }
}

static void listen(vmi_instance_t vmi, int want)
{
    for (int i = 0; i < 60 && hits < want; i++)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            printf("# listen: %s\n", vmi_get_last_error(vmi));
            break;
        }
}

int main(int argc, char **argv)
{
    char msg[256];
    if (argc != 4)
        return 2;
    addr_t ksys_write = strtoull(argv[2], NULL, 16), jiffies = strtoull(argv[3], NULL, 16);
    vmi_instance_t vmi;
    if (vmi_init(&vmi, VMI_AUTO | VMI_INIT_COMPLETE | VMI_INIT_EVENTS, argv[1]) == VMI_FAILURE) {
        printf("not ok 1 - vmi_init: %s\n", vmi_get_last_error(NULL));
        return 1;
    }
    /* the layout of that time: type first, an int-sized enum */
    vmi_event_t bp;
    memset(&bp, 0, sizeof(bp));
    bp.type = VMI_EVENT_INTERRUPT;
    bp.interrupt_event.gla = ksys_write;
    bp.interrupt_event.intr = INT3;
    bp.callback = on_event;
    check(vmi_register_event(vmi, &bp) == VMI_SUCCESS, "breakpoint registered (old layout)");
    listen(vmi, 1);
    snprintf(msg, sizeof(msg), "breakpoint fired at 0x%" PRIx64 " (ksys_write 0x%" PRIx64
             "), gfn 0x%" PRIx64 ", callback got our structure", gla, ksys_write, gfn);
    check(hits >= 1 && gla == ksys_write && gfn == vmi_translate_kv2p(vmi, ksys_write) >> 12 &&
          seen == &bp, msg);
    check(vmi_clear_event(vmi, &bp) == VMI_SUCCESS, "breakpoint cleared");

    vmi_event_t wp;
    memset(&wp, 0, sizeof(wp));
    wp.type = VMI_EVENT_MEMORY;
    wp.mem_event.physical_address = vmi_translate_kv2p(vmi, jiffies);
    wp.mem_event.granularity = VMI_MEMEVENT_BYTE;
    wp.mem_event.in_access = VMI_MEMACCESS_W;
    wp.callback = on_event;
    hits = 0;
    gla = 0;
    check(vmi_register_event(vmi, &wp) == VMI_SUCCESS, "write watch on jiffies registered");
    check(vmi_get_mem_event(vmi, wp.mem_event.physical_address, VMI_MEMEVENT_BYTE) == &wp,
          "vmi_get_mem_event returns our structure");
    listen(vmi, 1);
    snprintf(msg, sizeof(msg), "watch fired at 0x%" PRIx64 " (jiffies 0x%" PRIx64 ")", gla, jiffies);
    check(hits >= 1 && gla == jiffies && seen == &wp, msg);
    check(vmi_clear_event(vmi, &wp) == VMI_SUCCESS, "watch cleared");

    vmi_event_t reg;
    memset(&reg, 0, sizeof(reg));
    reg.type = VMI_EVENT_REGISTER;
    reg.reg_event.reg = CR3;
    reg.reg_event.in_access = VMI_REGACCESS_W;
    reg.callback = on_event;
    hits = 0;
    check(vmi_register_event(vmi, &reg) == VMI_SUCCESS, "CR3 write event registered");
    check(vmi_get_reg_event(vmi, CR3) == &reg, "vmi_get_reg_event returns our structure");
    listen(vmi, 2);
    addr_t text = vmi_translate_ksym2v(vmi, "_text");
    addr_t dtb = cr3 & ~0xfffull & ((1ull << 52) - 1);
    snprintf(msg, sizeof(msg), "%d CR3 writes; 0x%" PRIx64 " maps _text as the kernel does", hits,
             cr3);
    check(hits >= 2 && vmi_pagetable_lookup(vmi, dtb, text) == vmi_translate_kv2p(vmi, text), msg);
    check(vmi_clear_event(vmi, &reg) == VMI_SUCCESS, "CR3 write event cleared");
    check(vmi_clear_event(vmi, &reg) == VMI_FAILURE, "cleared twice: refused");
    vmi_destroy(vmi);
    printf("1..%d\n", checks);
    return failures ? 1 : 0;
}
