/*
 * slat.h - second-level address translation views (Xen altp2m), as in
 * LibVMI's <libvmi/slat.h>.  No driver of this libvmi has them (the file
 * and kvm drivers see one guest-physical space): every call fails with
 * VMI_ERR_UNSUPPORTED and says so in vmi_get_last_error().
 */
#ifndef LIBVMI_SLAT_H
#define LIBVMI_SLAT_H

#include <stdbool.h>
#include <libvmi/libvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/** Deprecated name of vmi_slat_state(). */
__attribute__((deprecated))
status_t vmi_slat_get_domain_state(vmi_instance_t vmi, bool *state) VMI__NOEXCEPT;
/** Whether SLAT views are on for the domain. */
status_t vmi_slat_state(vmi_instance_t vmi, bool *state) VMI__NOEXCEPT;
/** Deprecated name of vmi_slat_control(). */
__attribute__((deprecated))
status_t vmi_slat_set_domain_state(vmi_instance_t vmi, bool state) VMI__NOEXCEPT;
/** Turn SLAT views on or off. */
status_t vmi_slat_control(vmi_instance_t vmi, bool state) VMI__NOEXCEPT;
/** Create a view; its index in *@slat_id. */
status_t vmi_slat_create(vmi_instance_t vmi, uint16_t *slat_id) VMI__NOEXCEPT;
status_t vmi_slat_destroy(vmi_instance_t vmi, uint16_t slat_idx) VMI__NOEXCEPT;
/** Make view @slat_idx the active one. */
status_t vmi_slat_switch(vmi_instance_t vmi, uint16_t slat_idx) VMI__NOEXCEPT;
/** In view @slat_idx, let frame @old_gfn show frame @new_gfn. */
status_t vmi_slat_change_gfn(vmi_instance_t vmi, uint16_t slat_idx, addr_t old_gfn,
                             addr_t new_gfn) VMI__NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_SLAT_H */
