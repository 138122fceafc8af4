/*
 * libvmi-helper.h - what libvmi gives vmi-helperd and nobody else: not
 * installed, not part of the API (it may change with the helper).  The
 * symbols are exported from libvmi.so only because the helper links it.
 */
#ifndef LIBVMI_HELPER_H
#define LIBVMI_HELPER_H

#include <sys/types.h>
#include "libvmi.h"

#pragma GCC visibility push(default)

/* The file that holds the guest's RAM, as the driver validated it when it
 * opened it (kvm: no symlink, a regular file, the one QEMU has mapped):
 * returns a new read-only, close-on-exec descriptor of that very open file
 * (never a reopen by path), its device and inode in @dev and @ino (either
 * may be NULL).  The caller closes it.  -1 when the memory is not read
 * through such a file (vmi_get_last_error(), code VMI_ERR_NOT_FOUND), or
 * no read-only descriptor could be made (VMI_ERR_IO). */
int vmi_helper_ram_file_fd(vmi_instance_t vmi, dev_t *dev, ino_t *ino);

#pragma GCC visibility pop

#endif
