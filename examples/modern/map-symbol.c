/*
 * map-symbol.c - a kernel symbol's virtual and physical address and its
 * first bytes, through the modern LibVMI API.
 *
 *   modern-map-symbol NAME SYMBOL [LEN]
 * prints "SYMBOL VA PA" and then LEN (default 64, at most 4096) bytes read
 * at the symbol, as hex on one line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <libvmi/libvmi.h>

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    addr_t va, pa;
    unsigned char buf[4096];
    size_t len = 64, got = 0;
    int rc = 1;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s NAME SYMBOL [LEN]\n", argv[0]);
        return 2;
    }
    if (argc == 4)
        len = strtoul(argv[3], NULL, 0);
    if (len == 0 || len > sizeof(buf)) {
        fprintf(stderr, "LEN must be 1 to %zu\n", sizeof(buf));
        return 2;
    }
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err) == VMI_FAILURE) {
        fprintf(stderr, "vmi_init_complete (error %d): %s\n", err, vmi_get_last_error(NULL));
        return 1;
    }
    if (vmi_translate_ksym2v(vmi, argv[2], &va) == VMI_FAILURE ||
        vmi_translate_kv2p(vmi, va, &pa) == VMI_FAILURE) {
        fprintf(stderr, "%s: %s\n", argv[2], vmi_get_last_error(vmi));
        goto out;
    }
    printf("%s 0x%" PRIx64 " 0x%" PRIx64 "\n", argv[2], va, pa);
    /* through an access context by symbol: the same bytes */
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_KERNEL_SYMBOL, .ksym = argv[2]);
    if (vmi_read(vmi, &ctx, len, buf, &got) == VMI_FAILURE) {
        fprintf(stderr, "read %zu bytes at %s: %s (got %zu)\n", len, argv[2],
                vmi_get_last_error(vmi), got);
        goto out;
    }
    for (size_t i = 0; i < got; i++)
        printf("%02x", buf[i]);
    printf("\n");
    rc = 0;
out:
    vmi_destroy(vmi);
    return rc;
}
