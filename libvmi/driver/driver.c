/*
 * driver.c - the registry of access drivers, probed in order for VMI_AUTO.
 */
#include "private.h"

static const vmi_driver_ops_t *const registry[] = {
    &file_driver_ops,
#ifdef ENABLE_XEN
    &xen_driver_ops,
#endif
#ifdef ENABLE_KVM
    &kvm_driver_ops,
#endif
    NULL
};

const vmi_driver_ops_t *const *driver_registry(void)
{
    return registry;
}

const vmi_driver_ops_t *driver_for_mode(int mode)
{
    for (const vmi_driver_ops_t *const *d = registry; *d; d++)
        if ((*d)->mode == mode)
            return *d;
    return NULL;
}
