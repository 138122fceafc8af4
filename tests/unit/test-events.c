/*
 * test-events - the library's copy of the classic vmi_event_t layout
 * (libvmi/events_2013.h, what vmi_register_event@LIBVMI_0.1 reads) against
 * the header binaries of that time were built with (events-2013-layout.c).
 */
#include <stddef.h>
#include <stdio.h>
#include "events_2013.h"

extern const size_t abi2013_offsets[];
extern const size_t abi2013_count;

#define F(m) offsetof(vmi_event_2013_t, m)
static const size_t ours[] = {
    sizeof(vmi_event_2013_t), F(type), F(vcpu_id), F(data), F(callback),
    F(reg_event.reg), F(reg_event.equal), F(reg_event.mask), F(reg_event.in_access),
    F(reg_event.context), F(reg_event.value), F(reg_event.out_access),
    F(mem_event.granularity), F(mem_event.physical_address), F(mem_event.npages),
    F(mem_event.in_access), F(mem_event.gla), F(mem_event.gfn), F(mem_event.offset),
    F(mem_event.out_access), F(ss_event.gla), F(ss_event.gfn), F(ss_event.vcpus),
    F(interrupt_event.gla), F(interrupt_event.gfn), F(interrupt_event.intr),
};

int main(void)
{
    size_t n = sizeof(ours) / sizeof(ours[0]);
    int bad = abi2013_count != n;
    for (size_t i = 0; i < n && i < abi2013_count; i++) {
        int ok = abi2013_offsets[i] == ours[i];
        printf("%s %zu - member %zu: classic header %zu, library %zu\n", ok ? "ok" : "not ok", i + 1,
               i, abi2013_offsets[i], ours[i]);
        bad += !ok;
    }
    printf("1..%zu\n", n);
    return bad ? 1 : 0;
}
