/*
 * stub-2013.c - stands for the library as it was before the modern event
 * API, at link time only: the names old-events.c calls, at the one version
 * node there was (tests/data/abi-2013/libvmi.map).  Never run.
 */
#include <libvmi/libvmi.h>

status_t vmi_init(vmi_instance_t *vmi, uint32_t flags, char *name) { (void)vmi; (void)flags; (void)name; return VMI_FAILURE; }
status_t vmi_destroy(vmi_instance_t vmi) { (void)vmi; return VMI_FAILURE; }
const char *vmi_get_last_error(vmi_instance_t vmi) { (void)vmi; return ""; }
addr_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *s) { (void)vmi; (void)s; return 0; }
addr_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t v) { (void)vmi; (void)v; return 0; }
addr_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t d, addr_t v) { (void)vmi; (void)d; (void)v; return 0; }
status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *e) { (void)vmi; (void)e; return VMI_FAILURE; }
status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *e) { (void)vmi; (void)e; return VMI_FAILURE; }
status_t vmi_events_listen(vmi_instance_t vmi, uint32_t t) { (void)vmi; (void)t; return VMI_FAILURE; }
vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, registers_t r) { (void)vmi; (void)r; return 0; }
vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t p, vmi_memevent_granularity_t g) { (void)vmi; (void)p; (void)g; return 0; }
