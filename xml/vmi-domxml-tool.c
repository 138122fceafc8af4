/*
 * vmi-domxml-tool.c - vmi-domxml, the domain-XML transformer on the command
 * line, for tests and scripts:
 *
 *   vmi-domxml enable [--mode shm|gdbstub|both] [--gdb-dir DIR] FILE
 *   vmi-domxml disable FILE
 *   vmi-domxml status FILE
 *
 * FILE "-" is standard input.  The result goes to standard output.
 * Exit status: 0 done, 1 refused (or unreadable), 2 usage.
 */
#include <stdio.h>
#include <glib.h>
#include "vmi-domxml.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

static char *read_input(const char *path, GError **error)
{
    char *text = NULL;

    if (g_str_equal(path, "-")) {
        GString *buf = g_string_new(NULL);
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
            g_string_append_len(buf, chunk, (gssize)n);
        if (ferror(stdin)) {
            g_string_free(buf, TRUE);
            g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_IO,
                                "Cannot read standard input");
            return NULL;
        }
        return g_string_free(buf, FALSE);
    }
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    return text;
}

static int usage(GOptionContext *context, const char *message)
{
    g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);
    if (message)
        fprintf(stderr, "vmi-domxml: %s\n", message);
    fputs(help, stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    g_autofree char *mode_text = NULL;
    g_autofree char *gdb_dir = NULL;
    GOptionEntry entries[] = {
        { "mode", 'm', 0, G_OPTION_ARG_STRING, &mode_text,
          "What to enable: shm, gdbstub or both (default both)", "MODE" },
        { "gdb-dir", 'd', 0, G_OPTION_ARG_FILENAME, &gdb_dir,
          "Directory of the gdbstub socket (default " VMI_DOMXML_DEFAULT_GDB_DIR ")", "DIR" },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    g_autoptr(GOptionContext) context =
        g_option_context_new("enable|disable|status FILE");
    g_autoptr(GError) error = NULL;
    g_autofree char *input = NULL;
    g_autofree char *output = NULL;
    vmi_domxml_mode_t mode = VMI_DOMXML_SHM | VMI_DOMXML_GDBSTUB;
    const char *command;

    g_option_context_set_summary(context,
        "Turns libvmi introspection on or off in a libvirt domain's XML,\n"
        "or tells what is on, and prints the result.");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error))
        return usage(context, error->message);
    if (argc != 3)
        return usage(context, "expected a command and one FILE");
    command = argv[1];
    if (!g_str_equal(command, "enable") && (mode_text || gdb_dir))
        return usage(context, "--mode and --gdb-dir go with 'enable' only");
    if (mode_text && !vmi_domxml_mode_from_string(mode_text, &mode))
        return usage(context, "--mode takes shm, gdbstub or both");

    if (g_str_equal(command, "enable") || g_str_equal(command, "disable") ||
        g_str_equal(command, "status")) {
        input = read_input(argv[2], &error);
        if (!input) {
            fprintf(stderr, "vmi-domxml: %s\n", error->message);
            return EXIT_REFUSED;
        }
    } else {
        return usage(context, "unknown command");
    }

    if (g_str_equal(command, "status")) {
        vmi_domxml_mode_t enabled = 0;
        g_autofree char *socket = NULL;
        if (!vmi_domxml_status(input, &enabled, &socket, &error)) {
            fprintf(stderr, "vmi-domxml: %s\n", error->message);
            return EXIT_REFUSED;
        }
        printf("mode=%s\n", enabled ? vmi_domxml_mode_to_string(enabled) : "none");
        if (socket)
            printf("gdb-socket=%s\n", socket);
        return EXIT_OK;
    }

    if (g_str_equal(command, "enable"))
        output = vmi_domxml_enable(input, mode, gdb_dir, &error);
    else
        output = vmi_domxml_disable(input, &error);
    if (!output) {
        fprintf(stderr, "vmi-domxml: %s\n", error->message);
        return EXIT_REFUSED;
    }
    fputs(output, stdout);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
}
