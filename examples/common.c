/*
 * common.c - shared code of the example programs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"

void common_add_options(GOptionContext *ctx, common_opts_t *opts, bool with_json)
{
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opts->config,
          "Read the guest's configuration from FILE instead of the global libvmi.conf", "FILE" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose,
          "Say on stderr how the guest was reached (access path, paging, KASLR slide)", NULL },
        { "json", 'j', 0, G_OPTION_ARG_NONE, &opts->json, "Print JSON for scripts", NULL },
        { NULL }
    };
    if (!with_json)
        memset(&entries[2], 0, sizeof(entries[2]));
    g_option_context_add_main_entries(ctx, entries, NULL);
}

void common_parse(GOptionContext *ctx, int *argc, char ***argv, int min_args, int max_args)
{
    GError *error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", g_get_prgname(), error->message,
                g_get_prgname());
        exit(EXIT_USAGE);
    }
    int n = *argc - 1;
    if (n < min_args || n > max_args) {
        fprintf(stderr, "%s: %s arguments\nTry '%s --help'.\n", g_get_prgname(),
                n < min_args ? "missing" : "too many", g_get_prgname());
        exit(EXIT_USAGE);
    }
}

static const char *src(vmi_instance_t vmi, const char *what)
{
    const char *s = vmi_get_value_source(vmi, what);
    return s ? s : "-";
}

vmi_instance_t common_open(const char *name, const common_opts_t *opts)
{
    vmi_instance_t vmi = NULL;
    if (opts->config)
        g_setenv("LIBVMI_CONF", opts->config, TRUE);
    uint32_t flags = VMI_AUTO | (opts->partial ? VMI_INIT_PARTIAL : VMI_INIT_COMPLETE);
    if (vmi_init(&vmi, flags, (char *)name) == VMI_FAILURE) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", g_get_prgname(), name,
                vmi_get_last_error(NULL));
        return NULL;
    }
    if (opts->verbose) {
        static const char *const modes[] = {
            [VMI_PM_UNKNOWN] = "unknown", [VMI_PM_LEGACY] = "legacy", [VMI_PM_PAE] = "PAE",
            [VMI_PM_IA32E] = "IA-32e", [VMI_PM_LA57] = "LA57",
        };
        page_mode_t pm = vmi_get_page_mode(vmi);
        fprintf(stderr, "%s: '%s' through %s, %lu MiB, %s paging, KASLR slide 0x%llx\n",
                g_get_prgname(), name, vmi_get_access_path(vmi), vmi_get_memsize(vmi) >> 20,
                pm <= VMI_PM_LA57 && modes[pm] ? modes[pm] : "?", (unsigned long long)vmi_get_kaslr_offset(vmi));
        const char *k = vmi_get_value_source(vmi, "kernel"), *s = vmi_get_value_source(vmi, "symbols");
        if (k || s)
            fprintf(stderr, "%s: kernel found by %s; symbols from %s; offsets tasks/mm/pid/name/pgd "
                    "from %s/%s/%s/%s/%s\n", g_get_prgname(), k ? k : "?", s ? s : "?",
                    src(vmi, "linux_tasks"), src(vmi, "linux_mm"), src(vmi, "linux_pid"),
                    src(vmi, "linux_name"), src(vmi, "linux_pgd"));
    }
    return vmi;
}

vmi_instance_t common_open_linux(const char *name, const common_opts_t *opts)
{
    vmi_instance_t vmi = common_open(name, opts);
    if (vmi && vmi_get_ostype(vmi) != VMI_OS_LINUX) {
        fprintf(stderr, "%s: '%s' is not a Linux guest\n", g_get_prgname(), name);
        vmi_destroy(vmi);
        return NULL;
    }
    return vmi;
}

void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c < 0x20 || *c >= 0x7f)
            fprintf(out, "\\u%04x", *c);
        else
            fputc(*c, out);
    }
    fputc('"', out);
}

char *text_escape(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\\')
            g_string_append(o, "\\\\");
        else if (*c >= 0x20 && *c < 0x7f)
            g_string_append_c(o, (char)*c);
        else
            g_string_append_printf(o, "\\x%02x", *c);
    }
    return g_string_free(o, FALSE);
}

bool parse_u64(const char *s, uint64_t *v)
{
    char *end = NULL;
    if (!s || !*s)
        return false;
    errno = 0;
    *v = g_ascii_strtoull(s, &end, 0);
    return errno == 0 && end && *end == '\0';
}
