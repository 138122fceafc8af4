/*
 * x86.h - x86 page-table entry bits, as in LibVMI's <libvmi/x86.h>.
 * Macros only (VMI_GET_BIT comes from <libvmi/libvmi.h>).  Note that it
 * defines PAGE_SIZE(entry), which clashes with a program's own PAGE_SIZE.
 */
#ifndef LIBVMI_X86_H
#define LIBVMI_X86_H

#include <libvmi/libvmi.h>

#define PTRS_PER_PDPI       4
#define PTRS_PER_PAE_PTE    512
#define PTRS_PER_PAE_PGD    512
#define PTRS_PER_NOPAE_PTE  1024
#define PTRS_PER_NOPAE_PGD  1024

#define PRESENT(entry)          VMI_GET_BIT(entry, 0)
#define READ_WRITE(entry)       VMI_GET_BIT(entry, 1)
#define USER_SUPERVISOR(entry)  VMI_GET_BIT(entry, 2)
#define WRITE_THROUGH(entry)    VMI_GET_BIT(entry, 3)
#define CACHE_DISABLED(entry)   VMI_GET_BIT(entry, 4)
#define ACCESSED(entry)         VMI_GET_BIT(entry, 5)
#define DIRTY(entry)            VMI_GET_BIT(entry, 6)
#define PAGE_SIZE(entry)        VMI_GET_BIT(entry, 7)
#define GLOBAL_PAGE(entry)      VMI_GET_BIT(entry, 8)
#define PROTOTYPE(entry)        VMI_GET_BIT(entry, 10)  /* Windows */
#define TRANSITION(entry)       VMI_GET_BIT(entry, 11)  /* Windows */
#define ENTRY_PRESENT(transition_pages, entry) \
    (PRESENT(entry) || (transition_pages && TRANSITION(entry) && !PROTOTYPE(entry)))
#define NX(entry)               VMI_GET_BIT(entry, 63)

#endif /* LIBVMI_X86_H */
