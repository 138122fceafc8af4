/*
 * slat.c - SLAT (altp2m) views: no driver here has them; each call says so.
 */
#include "private.h"
#include "slat.h"

static status_t no_slat(vmi_instance_t vmi)
{
    if (vmi)
        vmi_unsupported(vmi, "SLAT (altp2m) views");
    return VMI_FAILURE;
}

status_t vmi_slat_get_domain_state(vmi_instance_t vmi, bool *state)
{
    return vmi_slat_state(vmi, state);
}

status_t vmi_slat_state(vmi_instance_t vmi, bool *state)
{
    (void)state;
    return no_slat(vmi);
}

status_t vmi_slat_set_domain_state(vmi_instance_t vmi, bool state)
{
    return vmi_slat_control(vmi, state);
}

status_t vmi_slat_control(vmi_instance_t vmi, bool state)
{
    (void)state;
    return no_slat(vmi);
}

status_t vmi_slat_create(vmi_instance_t vmi, uint16_t *slat_id)
{
    (void)slat_id;
    return no_slat(vmi);
}

status_t vmi_slat_destroy(vmi_instance_t vmi, uint16_t slat_idx)
{
    (void)slat_idx;
    return no_slat(vmi);
}

status_t vmi_slat_switch(vmi_instance_t vmi, uint16_t slat_idx)
{
    (void)slat_idx;
    return no_slat(vmi);
}

status_t vmi_slat_change_gfn(vmi_instance_t vmi, uint16_t slat_idx, addr_t old_gfn, addr_t new_gfn)
{
    (void)slat_idx;
    (void)old_gfn;
    (void)new_gfn;
    return no_slat(vmi);
}
