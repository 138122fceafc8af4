/*
 * fuzz-raw-probe.c - the file driver's format detection through the public
 * API: the input is a snapshot file (raw image or ELF core, told apart by
 * content), opened with vmi_init(VMI_FILE | VMI_INIT_PARTIAL) the way
 * vmi-dump-memory and the tools open one; then what those do first:
 * memory size, paging mode, vCPU count and registers, physical reads
 * at the start, the end and across the end of memory.  Checks: a read
 * never returns more than asked; a raw image's size is the file's size.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz-common.h"
#include "libvmi.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    memfd = memfd_create("fuzz-raw-probe", MFD_CLOEXEC);
    if (memfd < 0)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    vmi_instance_t vmi = NULL;
    if (vmi_init__3(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path) != VMI_SUCCESS) {
        FUZZ_CHECK(vmi == NULL);
        return 0;
    }
    bool elf = size >= 4 && memcmp(data, "\177ELF", 4) == 0;
    unsigned long memsize = vmi_get_memsize(vmi);
    if (!elf)
        FUZZ_CHECK(memsize == size);
    (void)vmi_get_page_mode__1(vmi);
    (void)vmi_get_max_physical_address(vmi);
    unsigned n = vmi_get_num_vcpus(vmi);
    reg_t v;
    static const reg_t regs[] = { CR0, CR3, CR4, RIP, RSP, CS_SEL };
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++)
        (void)vmi_get_vcpureg(vmi, &v, regs[i], 0);
    if (n > 1)
        (void)vmi_get_vcpureg(vmi, &v, CR3, n - 1);
    (void)vmi_get_vcpureg(vmi, &v, CR3, n);
    uint8_t buf[512];
    addr_t at[] = { 0, memsize ? memsize - 1 : 0, memsize > 100 ? memsize - 100 : 0, memsize,
                    0xfffc0000, ~(addr_t)0 - 10 };
    for (size_t i = 0; i < G_N_ELEMENTS(at); i++)
        FUZZ_CHECK(vmi_read_pa__4(vmi, at[i], buf, sizeof(buf)) <= sizeof(buf));
    vmi_destroy(vmi);
    return 0;
}
