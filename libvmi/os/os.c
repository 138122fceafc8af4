/*
 * os.c - the registry of OS layers, in the order they are probed when the
 * configuration names none.
 */
#include "os.h"

static const vmi_os_ops_t *const registry[] = {
    &linux_os_ops,
    NULL,
};

const vmi_os_ops_t *const *os_registry(void)
{
    return registry;
}
