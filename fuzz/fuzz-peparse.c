/*
 * fuzz-peparse.c - the PE parser (peparse.c) on hostile guest memory: the
 * input is guest physical memory holding a PE image at 0 (a raw snapshot,
 * opened as the tools open one), then what a Windows OS layer and a user of
 * <libvmi/peparse.h> do with it: validate the headers in a buffer, assign
 * them, read every data directory, read the export table through an access
 * context, and look exports up by name and by RVA (vmi_translate_sym2v and
 * vmi_translate_v2sym of LibVMI 0.14).  The names asked for come from the
 * input's own string bytes so that the fuzzer can reach the matches.
 * Checks: a successful lookup by name gives an RVA whose reverse lookup is
 * a name (the same when the image lists it once); nothing is read past
 * what was asked; the header helpers agree with the validator.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz-common.h"
#include "libvmi.h"
#include "peparse.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    memfd = memfd_create("fuzz-peparse", MFD_CLOEXEC);
    if (memfd < 0)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    return 0;
}

/* A NUL-terminated run of printable bytes of the input at or after @at
 * (a candidate export name), copied into @out. */
static bool pick_name(const uint8_t *data, size_t size, size_t at, char *out, size_t cap)
{
    for (size_t i = at; i < size; i++) {
        size_t n = 0;
        while (i + n < size && n + 1 < cap && data[i + n] >= 0x21 && data[i + n] < 0x7f)
            n++;
        if (n >= 2 && i + n < size && data[i + n] == 0) {
            memcpy(out, data + i, n);
            out[n] = '\0';
            return true;
        }
        i += n;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the validator and the header helpers on the bytes themselves */
    bool valid = peparse_validate_pe_image(data, size) == VMI_SUCCESS;
    if (valid) {
        struct dos_header *dos = NULL;
        struct pe_header *pe = NULL;
        uint16_t type = 0;
        void *opt = NULL;
        struct optional_header_pe32 *o32 = NULL;
        struct optional_header_pe32plus *o64 = NULL;
        peparse_assign_headers(data, &dos, &pe, &type, &opt, &o32, &o64);
        FUZZ_CHECK(dos && pe && opt);
        FUZZ_CHECK((const uint8_t *)pe >= data && (const uint8_t *)pe < data + size);
        FUZZ_CHECK(type == IMAGE_PE32_MAGIC || type == IMAGE_PE32_PLUS_MAGIC);
        for (uint32_t e = 0; e <= IMAGE_DIRECTORY_ENTRY_RESERVED + 2; e++) {
            (void)peparse_get_idd_rva(e, &type, opt, NULL, NULL);
            (void)peparse_get_idd_size(e, &type, opt, NULL, NULL);
        }
    }

    /* the same bytes as guest memory, through the instance */
    if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    vmi_instance_t vmi = NULL;
    if (vmi_init__3(&vmi, VMI_FILE | VMI_INIT_PARTIAL | VMI_CONFIG_NONE, path) != VMI_SUCCESS)
        return 0;
    access_context_t ctx = { .version = ACCESS_CONTEXT_VERSION, .tm = VMI_TM_NONE, .addr = 0 };
    size_t len = size < 4096 ? size : 4096;
    uint8_t *image = g_malloc0(len ? len : 1);
    if (len && peparse_get_image(vmi, &ctx, len, image) == VMI_SUCCESS)
        FUZZ_CHECK(peparse_validate_pe_image(image, len) == VMI_SUCCESS);
    g_free(image);

    struct export_table et;
    addr_t et_rva = 0;
    size_t et_size = 0;
    if (peparse_get_export_table(vmi, &ctx, &et, &et_rva, &et_size) == VMI_SUCCESS) {
        FUZZ_CHECK(et_rva != 0 && et_size >= sizeof(et));
        char name[64];
        size_t at = fuzz_pick(data, size) % (size ? size : 1);
        for (int k = 0; k < 3 && pick_name(data, size, at, name, sizeof(name)); k++) {
            addr_t rva = 0;
            if ((vmi_translate_sym2v)(vmi, &ctx, name, &rva) == VMI_SUCCESS) {
                const char *back = (vmi_translate_v2sym)(vmi, &ctx, rva);
                FUZZ_CHECK(back != NULL);
            }
            at += strlen(name) + 1;
        }
        /* reverse lookups of RVAs the input names, and of nonsense */
        addr_t rvas[] = { et_rva, et.address_of_functions, fuzz_pick(data, size), ~(addr_t)0 };
        for (size_t i = 0; i < G_N_ELEMENTS(rvas); i++)
            (void)(vmi_translate_v2sym)(vmi, &ctx, rvas[i]);
    }
    /* an image at the far end of memory and past it */
    access_context_t far = ctx;
    far.addr = size > 64 ? size - 64 : 0;
    (void)peparse_get_export_table(vmi, &far, &et, NULL, NULL);
    far.addr = ~(addr_t)0 - 100;
    (void)peparse_get_export_table(vmi, &far, &et, NULL, NULL);
    vmi_destroy(vmi);
    return 0;
}
