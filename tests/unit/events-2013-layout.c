/*
 * events-2013-layout.c - compiled with the headers of the classic event ABI
 * (tests/data/abi-2013): the offsets a binary of that time uses, for
 * test-events.c to compare with the library's private copy (events_2013.h).
 */
#include <stddef.h>
#include <libvmi/libvmi.h>

#define F(m) offsetof(vmi_event_t, m)
const size_t abi2013_offsets[] = {
    sizeof(vmi_event_t), F(type), F(vcpu_id), F(data), F(callback),
    F(reg_event.reg), F(reg_event.equal), F(reg_event.mask), F(reg_event.in_access),
    F(reg_event.context), F(reg_event.value), F(reg_event.out_access),
    F(mem_event.granularity), F(mem_event.physical_address), F(mem_event.npages),
    F(mem_event.in_access), F(mem_event.gla), F(mem_event.gfn), F(mem_event.offset),
    F(mem_event.out_access), F(ss_event.gla), F(ss_event.gfn), F(ss_event.vcpus),
    F(interrupt_event.gla), F(interrupt_event.gfn), F(interrupt_event.intr),
};
const size_t abi2013_count = sizeof(abi2013_offsets) / sizeof(abi2013_offsets[0]);
