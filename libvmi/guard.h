/*
 * guard.h - copies to and from file mappings that survive the file
 * shrinking under them.
 *
 * A mapped file that is truncated (QEMU's user can ftruncate a domain's RAM
 * file; anyone with write access can shrink a snapshot) makes an access to
 * the vanished part raise SIGBUS.  Every copy the library makes through
 * such a mapping goes through vmi_guarded_copy(): the fault ends that copy
 * with false, and the caller reports an error for its instance.
 *
 * vmi_guard_install() puts a SIGBUS handler in place (drivers call it
 * each time they map a file; it does nothing when ours is still there).  A
 * SIGBUS outside a guarded copy goes on to the handler that was there
 * before (or the default action), so a program's own handling is
 * unchanged.  A program that replaces the SIGBUS handler after an instance
 * was opened turns the guard off until the next open (a shrunk file then
 * kills as it did before); pointers handed out by vmi_get_dgpma() are
 * never guarded.
 */
#ifndef VMI_GUARD_H
#define VMI_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the SIGBUS handler unless it is in place (thread-safe). */
void vmi_guard_install(void);

/* memcpy(@dst, @src, @n); false when a mapping under either faulted
 * (SIGBUS): then some bytes of @dst may have been written. */
bool vmi_guarded_copy(void *dst, const void *src, size_t n);
/* The same, but on a fault the bytes before the faulting page are copied
 * again: returns how many bytes from the start were copied (n when all). */
size_t vmi_guarded_copy_part(void *dst, const void *src, size_t n);

/* Whether the handler is in place (for tests). */
bool vmi_guard_installed(void);



/* Runs @fn(@arg) with faults in [@base, @base + @len) guarded: returns
 * @fn's result, or false with *@faulted set when the mapping faulted
 * (whatever @fn had allocated and not yet recorded is lost). */
bool vmi_guarded_run(bool (*fn)(void *arg), void *arg, const void *base, size_t len,
                     bool *faulted);

#endif
