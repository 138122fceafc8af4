/*
 * vmi-map-addr - translate an address of a guest and dump what is there.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "common.h"

int main(int argc, char **argv)
{
    common_opts_t opts = { 0 };
    gint len = 64, pid = 0;
    gboolean physical = FALSE;
    GOptionEntry entries[] = {
        { "pid", 'p', 0, G_OPTION_ARG_INT, &pid, "Address space of process N (default 0: kernel)", "N" },
        { "physical", 'P', 0, G_OPTION_ARG_NONE, &physical, "ADDR is a physical address", NULL },
        { "len", 'l', 0, G_OPTION_ARG_INT, &len, "Bytes to dump (default 64)", "N" },
        { NULL }
    };
    GOptionContext *ctx = g_option_context_new("NAME ADDR - translate an address and dump its contents");
    g_option_context_set_description(ctx,
        "NAME is a domain name or the path of a memory snapshot; ADDR is hex (0x...) or\n"
        "decimal. Virtual addresses are translated through the page tables of --pid.\n\n"
        "Exit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, true);
    common_parse(ctx, &argc, &argv, 2, 2);
    g_option_context_free(ctx);
    uint64_t addr;
    if (!parse_u64(argv[2], &addr)) {
        fprintf(stderr, "%s: '%s' is not an address\n", g_get_prgname(), argv[2]);
        return EXIT_USAGE;
    }
    if (len < 0 || len > (1 << 24)) {
        fprintf(stderr, "%s: --len must be between 0 and 16777216\n", g_get_prgname());
        return EXIT_USAGE;
    }
    opts.partial = physical;
    vmi_instance_t vmi = common_open(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    addr_t pa = physical ? addr : vmi_translate_uv2p(vmi, addr, pid);
    if (!physical && !pa) {
        fprintf(stderr, "%s: %s\n", g_get_prgname(), vmi_get_last_error(vmi));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    unsigned char *buf = g_malloc0(len ? len : 1);
    size_t got = physical ? vmi_read_pa(vmi, addr, buf, len) : vmi_read_va(vmi, addr, pid, buf, len);
    if (opts.json) {
        printf("{\"address\": \"0x%" PRIx64 "\", \"pid\": %d, \"pa\": \"0x%" PRIx64 "\", \"bytes\": \"",
               addr, physical ? -1 : pid, pa);
        for (size_t i = 0; i < got; i++)
            printf("%02x", buf[i]);
        printf("\"}\n");
    } else {
        if (physical)
            printf("pa 0x%" PRIx64 "\n", pa);
        else
            printf("va 0x%" PRIx64 " (pid %d) -> pa 0x%" PRIx64 "\n", addr, pid, pa);
        vmi_print_hex(buf, got);
    }
    int rc = EXIT_OK;
    if (got < (size_t)len) {
        fprintf(stderr, "%s: only %zu of %d bytes readable: %s\n", g_get_prgname(), got, len,
                vmi_get_last_error(vmi));
        rc = EXIT_FAILED;
    }
    g_free(buf);
    vmi_destroy(vmi);
    return rc;
}
