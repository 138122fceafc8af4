/*
 * vmi-map-symbol - where a kernel symbol is, and what is there.
 */
#include <inttypes.h>
#include <stdlib.h>
#include "common.h"

int main(int argc, char **argv)
{
    common_opts_t opts = { 0 };
    gint len = 64;
    gboolean string = FALSE;
    GOptionEntry entries[] = {
        { "len", 'l', 0, G_OPTION_ARG_INT, &len, "Bytes to dump (default 64, 0 for none)", "N" },
        { "string", 's', 0, G_OPTION_ARG_NONE, &string, "Print the symbol's contents as a string", NULL },
        { NULL }
    };
    GOptionContext *ctx = g_option_context_new("NAME SYMBOL - show a kernel symbol's address and contents");
    g_option_context_set_description(ctx,
        "NAME is a domain name or the path of a memory snapshot.\n"
        "Prints the symbol's virtual address (KASLR slide applied), its physical address\n"
        "and a hex dump of its first bytes.\n\nExit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, true);
    common_parse(ctx, &argc, &argv, 2, 2);
    g_option_context_free(ctx);
    if (len < 0 || len > (1 << 24)) {
        fprintf(stderr, "%s: --len must be between 0 and 16777216\n", g_get_prgname());
        return EXIT_USAGE;
    }

    vmi_instance_t vmi = common_open(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    const char *sym = argv[2];
    addr_t va = vmi_translate_ksym2v(vmi, sym);
    if (!va) {
        fprintf(stderr, "%s: %s\n", g_get_prgname(), vmi_get_last_error(vmi));
        vmi_destroy(vmi);
        return EXIT_FAILED;
    }
    addr_t pa = vmi_translate_kv2p(vmi, va);
    char *str = string ? vmi_read_str_va(vmi, va, 0) : NULL;
    unsigned char *buf = g_malloc0(len ? len : 1);
    size_t got = len ? vmi_read_va(vmi, va, 0, buf, len) : 0;
    int rc = EXIT_OK;
    if (opts.json) {
        printf("{\"symbol\": ");
        json_string(stdout, sym);
        printf(", \"va\": \"0x%" PRIx64 "\", \"pa\": ", va);
        if (pa)
            printf("\"0x%" PRIx64 "\"", pa);
        else
            printf("null");
        if (string) {
            printf(", \"string\": ");
            if (str)
                json_string(stdout, str);
            else
                printf("null");
        }
        printf(", \"bytes\": \"");
        for (size_t i = 0; i < got; i++)
            printf("%02x", buf[i]);
        printf("\"}\n");
    } else {
        printf("%s: va 0x%" PRIx64, sym, va);
        if (pa)
            printf(" pa 0x%" PRIx64 "\n", pa);
        else
            printf(" (not mapped)\n");
        if (string && str) {
            g_autofree char *text = text_escape(str);
            printf("%s\n", text);
        }
        if (got)
            vmi_print_hex(buf, got);
    }
    if ((string && !str) || got < (size_t)len) {
        fprintf(stderr, "%s: %s\n", g_get_prgname(), vmi_get_last_error(vmi));
        rc = EXIT_FAILED;
    }
    free(str);
    g_free(buf);
    vmi_destroy(vmi);
    return rc;
}
