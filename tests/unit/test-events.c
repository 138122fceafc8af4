/*
 * test-events - the library's copy of the classic vmi_event_t layout
 * (libvmi/events_2013.h, what vmi_register_event@LIBVMI_0.1 reads) against
 * the header binaries of that time were built with (events-2013-layout.c).
 */
#include <glib.h>
#include <stddef.h>
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

static void test_layout(void)
{
    g_assert_cmpuint(abi2013_count, ==, G_N_ELEMENTS(ours));
    for (size_t i = 0; i < G_N_ELEMENTS(ours); i++) {
        g_test_message("member %zu: classic header %zu, library %zu", i, abi2013_offsets[i], ours[i]);
        g_assert_cmpuint(abi2013_offsets[i], ==, ours[i]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/events/layout-2013", test_layout);
    return g_test_run();
}
