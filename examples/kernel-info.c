/*
 * vmi-kernel-info - what libvmi found out about a guest's kernel: banner,
 * slides, paging, where the symbols and offsets came from; optionally a
 * ready libvmi.conf entry and a real System.map for other tools.
 *
 * Built against the library's internals (the Linux OS layer's state and the
 * kallsyms decoder), as a tool of the project itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "os/linux/linux.h"
#include "os/linux/kallsyms.h"
#include "os/linux/btf.h"


static const char *mode_name(page_mode_t pm)
{
    static const char *const modes[] = {
        [VMI_PM_UNKNOWN] = "unknown", [VMI_PM_LEGACY] = "legacy", [VMI_PM_PAE] = "PAE",
        [VMI_PM_IA32E] = "IA-32e", [VMI_PM_LA57] = "LA57",
    };
    return pm <= VMI_PM_LA57 && modes[pm] ? modes[pm] : "?";
}

/* A System.map: link-time addresses (the slide taken off what lies in the
 * kernel's image range; per-CPU offsets stay as they are), address order. */
static bool write_sysmap(vmi_instance_t vmi, linux_data_t *ld, const char *path, size_t *count,
                         GError **error)
{
    if (ld->syms_kind != LINUX_SYMS_KALLSYMS) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "--write-sysmap needs the kallsyms symbol source (this guest's symbols come "
                    "from %s already)", linux_syms_name(ld));
        return false;
    }
    (void)vmi;
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d", path, (int)getpid());
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(tmp, "w");
    if (!f) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(errno));
        return false;
    }
    uint32_t n = ksyms_count(ld->ksyms);
    char name[512];
    for (uint32_t i = 0; i < n; i++) {
        addr_t a;
        char type;
        if (!ksyms_get(ld->ksyms, i, name, sizeof(name), &a, &type))
            continue;
        if (a >= X86_64_START_KERNEL_MAP)
            a -= ld->slide;
        fprintf(f, "%016" PRIx64 " %c %s\n", (uint64_t)a, type, name);
        (*count)++;
    }
    if (to_stdout)
        return fflush(f) == 0;
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

static void print_config(FILE *f, const char *entry, const char *sysmap, linux_data_t *ld)
{
    fprintf(f, "%s {\n    ostype = \"Linux\";\n", entry);
    if (sysmap)
        fprintf(f, "    sysmap = \"%s\";\n", sysmap);
    for (int i = 0; i < LINUX_OFF_N; i++)
        if (ld->off_src[i] != LINUX_SRC_NONE)
            fprintf(f, "    %s = 0x%" PRIx64 ";    /* %s.%s, from %s */\n", linux_off_keys[i],
                    (uint64_t)ld->off[i], linux_off_type[i], linux_off_member[i],
                    linux_src_name(ld->off_src[i]));
    fprintf(f, "}\n");
}

int main(int argc, char **argv)
{
    common_opts_t opts = { 0 };
    char *sysmap_out = NULL, *config_out = NULL, **extra = NULL;
    GOptionEntry entries[] = {
        { "write-sysmap", 's', 0, G_OPTION_ARG_FILENAME, &sysmap_out,
          "Write the kernel's symbols as a System.map to FILE ('-': stdout)", "FILE" },
        { "write-config", 'w', 0, G_OPTION_ARG_FILENAME, &config_out,
          "Write a ready libvmi.conf entry to FILE ('-': stdout)", "FILE" },
        { "offset", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &extra,
          "Also print the offset of TYPE.MEMBER (repeatable; e.g. task_struct.cred)", "TYPE.MEMBER" },
        { NULL }
    };
    GOptionContext *ctx = g_option_context_new("NAME - what libvmi found out about a guest's kernel");
    g_option_context_set_description(ctx,
        "NAME is a domain name or the path of a memory snapshot.  With no configuration entry,\n"
        "the kernel, its symbols (kallsyms) and its structure layouts (BTF) are read from the\n"
        "guest's memory.  Prints the banner, the KASLR slides, the paging mode, the symbol\n"
        "count and where each value came from.\n\n"
        "--write-config prints a libvmi.conf entry with the offsets found (and, with\n"
        "--write-sysmap, the System.map written), for tools that need them spelt out.\n\n"
        "Exit status: 0 success, 1 failure, 2 usage error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    common_add_options(ctx, &opts, true);
    common_parse(ctx, &argc, &argv, 1, 1);
    g_option_context_free(ctx);

    vmi_instance_t vmi = common_open_linux(argv[1], &opts);
    if (!vmi)
        return EXIT_FAILED;
    linux_data_t *ld = linux_data(vmi);
    int rc = EXIT_OK;
    GError *error = NULL;
    size_t written = 0;
    g_autofree char *sysmap_abs = NULL;
    if (sysmap_out) {
        if (!write_sysmap(vmi, ld, sysmap_out, &written, &error)) {
            fprintf(stderr, "%s: %s\n", g_get_prgname(), error->message);
            g_clear_error(&error);
            rc = EXIT_FAILED;
        } else if (strcmp(sysmap_out, "-") != 0) {
            sysmap_abs = g_canonicalize_filename(sysmap_out, NULL);
        }
    }
    if (config_out) {
        g_autofree char *base = g_path_get_basename(argv[1]);
        char *dot = strrchr(base, '.');
        if (dot && dot != base)
            *dot = '\0';
        FILE *f = strcmp(config_out, "-") == 0 ? stdout : fopen(config_out, "w");
        if (!f) {
            fprintf(stderr, "%s: cannot write %s: %s\n", g_get_prgname(), config_out,
                    g_strerror(errno));
            rc = EXIT_FAILED;
        } else {
            print_config(f, base, sysmap_abs, ld);
            if (f != stdout && fclose(f) != 0)
                rc = EXIT_FAILED;
        }
        if (!ld->has_offsets)
            fprintf(stderr, "%s: warning: not every offset is known: %s\n", g_get_prgname(),
                    ld->off_error ? ld->off_error : "?");
    }
    if ((sysmap_out && strcmp(sysmap_out, "-") == 0) || (config_out && strcmp(config_out, "-") == 0)) {
        vmi_destroy(vmi);
        return rc;
    }

    uint32_t nsyms = ld->ksyms ? ksyms_count(ld->ksyms) : 0;
    const ksyms_layout_t *lay = ld->ksyms ? ksyms_layout(ld->ksyms) : NULL;
    addr_t phys_slide = ld->phys_text - 0x1000000;
    FILE *o = stdout;
    if (opts.json) {
        fprintf(o, "{\n  \"name\": ");
        json_string(o, argv[1]);
        fprintf(o, ",\n  \"access\": ");
        json_string(o, vmi_get_access_path(vmi));
        fprintf(o, ",\n  \"banner\": ");
        json_string(o, ld->banner ? ld->banner : "");
        fprintf(o, ",\n  \"paging\": \"%s\",\n", mode_name(vmi_get_page_mode(vmi)));
        fprintf(o, "  \"text\": \"0x%" PRIx64 "\",\n  \"text_physical\": \"0x%" PRIx64 "\",\n",
                (uint64_t)ld->virt_text, (uint64_t)ld->phys_text);
        fprintf(o, "  \"kaslr_virtual\": \"0x%" PRIx64 "\",\n  \"kaslr_physical\": \"0x%" PRIx64
                "\",\n", (uint64_t)ld->slide, (uint64_t)phys_slide);
        fprintf(o, "  \"kernel_directory\": \"0x%" PRIx64 "\",\n  \"found_by\": ",
                (uint64_t)vmi->kdtb);
        json_string(o, ld->how_found);
        fprintf(o, ",\n  \"symbols\": {\"source\": ");
        json_string(o, linux_syms_name(ld));
        fprintf(o, ", \"count\": %u, \"profile_cache\": %s", nsyms,
                ld->syms_from_cache ? "true" : "false");
        if (lay) {
            addr_t pa = 0;
            vmi_v2p(vmi, vmi->kdtb, lay->token_table, &pa, NULL);
            fprintf(o, ", \"token_table\": \"0x%" PRIx64 "\", \"token_table_physical\": \"0x%"
                    PRIx64 "\", \"base_relative\": %s, \"absolute_percpu\": %s, \"seqs\": %s",
                    (uint64_t)lay->token_table, (uint64_t)pa, lay->base_relative ? "true" : "false",
                    lay->absolute_percpu ? "true" : "false", lay->seqs_of_names ? "true" : "false");
        }
        fprintf(o, "},\n  \"btf\": ");
        if (ld->btf) {
            addr_t va = 0, pa = 0;
            linux_sym(ld, "__start_BTF", &va);
            vmi_v2p(vmi, vmi->kdtb, va, &pa, NULL);
            fprintf(o, "{\"address\": \"0x%" PRIx64 "\", \"physical\": \"0x%" PRIx64 "\", "
                    "\"size\": %zu, \"types\": %u}", (uint64_t)va, (uint64_t)pa, ld->btf_len,
                    btf_type_count(ld->btf));
        } else {
            fprintf(o, "null");
        }
        fprintf(o, ",\n  \"offsets\": {");
        for (int i = 0; i < LINUX_OFF_N; i++) {
            fprintf(o, "%s\n    \"%s\": ", i ? "," : "", linux_off_keys[i]);
            if (ld->off_src[i] == LINUX_SRC_NONE)
                fprintf(o, "null");
            else
                fprintf(o, "{\"member\": \"%s.%s\", \"value\": %" PRIu64 ", \"source\": \"%s\"}",
                        linux_off_type[i], linux_off_member[i], (uint64_t)ld->off[i],
                        linux_src_name(ld->off_src[i]));
        }
        for (char **e = extra; e && *e; e++) {
            g_auto(GStrv) tm = g_strsplit(*e, ".", 2);
            addr_t v;
            fprintf(o, ",\n    ");
            json_string(o, *e);
            if (tm[0] && tm[1] && vmi_get_kernel_struct_offset(vmi, tm[0], tm[1], &v) == VMI_SUCCESS)
                fprintf(o, ": %" PRIu64, (uint64_t)v);
            else
                fprintf(o, ": null");
        }
        fprintf(o, "\n  }");
        if (sysmap_abs)
            fprintf(o, ",\n  \"sysmap_written\": {\"path\": \"%s\", \"symbols\": %zu}", sysmap_abs,
                    written);
        fprintf(o, "\n}\n");
    } else {
        fprintf(o, "guest:             %s (%s)\n", argv[1], vmi_get_access_path(vmi));
        g_autofree char *banner = ld->banner ? text_escape(ld->banner) : g_strdup("(unknown)");
        fprintf(o, "banner:            %s\n", banner);
        fprintf(o, "paging:            %s, kernel page directory 0x%" PRIx64 "\n",
                mode_name(vmi_get_page_mode(vmi)), (uint64_t)vmi->kdtb);
        fprintf(o, "_text:             0x%" PRIx64 " (physical 0x%" PRIx64 ")\n",
                (uint64_t)ld->virt_text, (uint64_t)ld->phys_text);
        fprintf(o, "KASLR slides:      virtual 0x%" PRIx64 ", physical 0x%" PRIx64 "\n",
                (uint64_t)ld->slide, (uint64_t)phys_slide);
        fprintf(o, "kernel found by:   %s\n", ld->how_found);
        fprintf(o, "symbols:           %s", linux_syms_name(ld));
        if (nsyms)
            fprintf(o, ", %u symbols%s", nsyms, ld->syms_from_cache ? " (profile cache)" : "");
        fprintf(o, "\n");
        if (ld->btf)
            fprintf(o, "BTF:               %zu bytes, %u types\n", ld->btf_len,
                    btf_type_count(ld->btf));
        else
            fprintf(o, "BTF:               %s\n", ld->btf_error ? ld->btf_error : "not read");
        for (int i = 0; i < LINUX_OFF_N; i++) {
            if (ld->off_src[i] == LINUX_SRC_NONE)
                fprintf(o, "%-18s (unknown)\n", linux_off_keys[i]);
            else
            {
                g_autofree char *m = g_strdup_printf("%s.%s", linux_off_type[i], linux_off_member[i]);
                fprintf(o, "%-18s 0x%-6" PRIx64 " %-18s from %s\n", linux_off_keys[i],
                        (uint64_t)ld->off[i], m, linux_src_name(ld->off_src[i]));
            }
        }
        for (char **e = extra; e && *e; e++) {
            g_auto(GStrv) tm = g_strsplit(*e, ".", 2);
            addr_t v;
            if (tm[0] && tm[1] && vmi_get_kernel_struct_offset(vmi, tm[0], tm[1], &v) == VMI_SUCCESS)
                fprintf(o, "%-18s 0x%" PRIx64 "\n", *e, (uint64_t)v);
            else {
                fprintf(o, "%-18s (%s)\n", *e, vmi_get_last_error(vmi));
                rc = EXIT_FAILED;
            }
        }
        if (sysmap_abs)
            fprintf(o, "System.map:        %zu symbols written to %s\n", written, sysmap_abs);
        if (config_out)
            fprintf(o, "libvmi.conf entry: written to %s\n", config_out);
    }
    vmi_destroy(vmi);
    g_strfreev(extra);
    return rc;
}
