/*
 * virt-vmi.c - the virsh-style companion command of vmi-helperd:
 * global options, the command table dispatch, help, and how errors become
 * exit codes. The commands themselves are in virt-vmi-cmd.c.
 *
 *   virt-vmi [-c URI] [--json] [--system|--session|--address ADDR] COMMAND ...
 */
#include <locale.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "virt-vmi.h"

static const vv_option_t global_options[] = {
    { "connect", 'c', VV_OPT_VALUE, "URI", "libvirt URI for list, enable and disable (default: libvirt's default); xen:... opens Xen domains in the direct fallback" },
    { "json", 'j', VV_OPT_FLAG, NULL, "Print JSON for scripts" },
    { "system", 0, VV_OPT_FLAG, NULL, "Talk to vmi-helperd on the system bus (the default)" },
    { "session", 0, VV_OPT_FLAG, NULL, "Talk to vmi-helperd on the session bus" },
    { "address", 0, VV_OPT_VALUE, "ADDR", "Talk to vmi-helperd on the bus at the D-Bus address ADDR" },
    { "no-direct", 0, VV_OPT_FLAG, NULL, "Never fall back to libvmi when vmi-helperd is not on the bus" },
    { "help", 'h', VV_OPT_FLAG, NULL, "Show help and exit" },
    { "version", 'V', VV_OPT_FLAG, NULL, "Show the version and exit" },
    { NULL },
};

static const char exit_status_help[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  the operation failed (the helper, libvirt or the guest said no; the D-Bus\n"
    "     error name and message are printed)\n"
    "  2  usage error\n"
    "  3  domain not found, or not running\n"
    "  4  access denied (bus policy, AccessDenied, WritesDisabled, libvirt)\n"
    "  5  vmi-helperd not reachable\n";

/* ------------------------------------------------------------------ help */

static const vv_command_t *
find_command(const char *name)
{
    for (gsize i = 0; vv_commands[i] != NULL; i++) {
        if (g_str_equal(vv_commands[i]->name, name))
            return vv_commands[i];
    }
    return NULL;
}

static void
print_usage(FILE *out)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append(s, "Usage: virt-vmi [OPTIONS] COMMAND [ARGS...]\n\n"
                       "Looks into running virtual machines through vmi-helperd ("
                       VV_BUS_NAME ")\nand turns introspection on and off in libvirt domains.\n\n"
                       "Commands:\n");
    for (gsize i = 0; vv_commands[i] != NULL; i++)
        g_string_append_printf(s, "  %-8s %s\n", vv_commands[i]->name, vv_commands[i]->summary);
    g_string_append(s, "  help     Show help for a command\n\nOptions:\n");
    vv_options_help(s, global_options);
    g_string_append(s, "\nDOMAIN is a domain's name, UUID or vmi-helperd object path. Numbers may\n"
                       "be decimal or hexadecimal (0x...).\n\n");
    g_string_append(s, exit_status_help);
    g_string_append(s, "\nRun 'virt-vmi help COMMAND' or 'virt-vmi COMMAND --help' for a command.\n"
                       "See virt-vmi(1).\n");
    fputs(s->str, out);
}

static void
print_command_help(const vv_command_t *cmd)
{
    g_autoptr(GString) s = g_string_new(NULL);

    g_string_append_printf(s, "Usage: virt-vmi [OPTIONS] %s%s%s\n\n%s.\n", cmd->name,
                           cmd->synopsis[0] != '\0' ? " " : "", cmd->synopsis, cmd->summary);
    if (cmd->description != NULL)
        g_string_append_printf(s, "\n%s", cmd->description);
    if (cmd->options != NULL && cmd->options[0].name != NULL) {
        g_string_append(s, "\nOptions:\n");
        vv_options_help(s, cmd->options);
    }
    g_string_append(s, "\nGlobal options (before or after the command):\n");
    vv_options_help(s, global_options);
    g_string_append_c(s, '\n');
    g_string_append(s, exit_status_help);
    fputs(s->str, stdout);
}

/* --------------------------------------------------------- shared helpers */

char *
vv_error_message(const GError *error, const char *domain)
{
    g_autoptr(GError) copy = g_error_copy(error);
    g_autofree char *remote = g_dbus_error_get_remote_error(copy);
    g_autofree char *message = NULL;
    g_autofree char *prefix = domain != NULL ? g_strdup_printf("domain '%s': ", domain) : g_strdup("");

    g_dbus_error_strip_remote_error(copy);
    message = vv_one_line(copy->message);
    /* Our own errors name the domain already. */
    if (remote == NULL)
        return g_steal_pointer(&message);
    if (g_str_equal(remote, "org.freedesktop.DBus.Error.AccessDenied"))
        return g_strdup_printf("%saccess to vmi-helperd denied by the bus policy (only root and "
                               "members of the group 'libvmi' may use it): %s (%s)",
                               prefix, message, remote);
    return g_strdup_printf("%s%s (%s)", prefix, message, remote);
}

int
vv_report(const GError *error, const char *domain)
{
    g_autofree char *message = vv_error_message(error, domain);

    fprintf(stderr, "virt-vmi: %s\n", message);
    return vv_exit_for_error(error);
}

int
vv_usage_error(const vv_command_t *cmd, const char *fmt, ...)
{
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, fmt);
    message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "virt-vmi: %s%s%s\nTry 'virt-vmi %s%s--help'.\n",
            cmd != NULL ? cmd->name : "", cmd != NULL ? ": " : "", message,
            cmd != NULL ? cmd->name : "", cmd != NULL ? " " : "");
    return VV_EXIT_USAGE;
}

int
vv_open_domain(vv_ctx_t *ctx, const vv_command_t *cmd, const char *spec, vv_domain_t **dom)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) direct_error = NULL;

    ctx->backend = vv_bus_backend_new(ctx->bus, ctx->address, &error);
    if (ctx->backend != NULL) {
        *dom = ctx->backend->ops->lookup(ctx->backend, spec, &error);
        if (*dom != NULL)
            return VV_EXIT_OK;
    }
    if (!g_error_matches(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_NO_HELPER) ||
        !cmd->direct_ok || ctx->no_direct)
        return vv_report(error, spec);

    /* The helper is not there: libvmi in this process can still read. */
    g_clear_pointer(&ctx->backend, vv_backend_free);
    fprintf(stderr, "virt-vmi: %s; opening domain '%s' with libvmi directly\n",
            error->message, spec);
    /* a xen:// URI (libvirt's libxl driver) names a Xen domain */
    ctx->backend = vv_direct_backend_new(ctx->uri != NULL && g_str_has_prefix(ctx->uri, "xen:"));
    *dom = ctx->backend->ops->lookup(ctx->backend, spec, &direct_error);
    if (*dom != NULL)
        return VV_EXIT_OK;
    fprintf(stderr, "virt-vmi: %s\n", direct_error->message);
    return VV_EXIT_NO_HELPER;
}

void
vv_print_json(JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    json_node_unref(node);
    printf("%s\n", text);
    fflush(stdout);
}

/* ------------------------------------------------------------------ main */

/* Index in @argv of the command: the first argument that is neither an
 * option nor the value of a global option; argc when there is none. */
static int
command_index(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (g_str_equal(arg, "--"))
            return i + 1;
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        for (const vv_option_t *o = global_options; o->name != NULL; o++) {
            if (o->kind == VV_OPT_VALUE &&
                ((arg[1] == '-' && g_str_equal(arg + 2, o->name)) ||
                 (arg[1] == o->short_name && arg[2] == '\0'))) {
                i++;
                break;
            }
        }
    }
    return i;
}

int
main(int argc, char **argv)
{
    const vv_option_t *const global_only[] = { global_options, NULL };
    vv_ctx_t ctx = { .bus = VV_BUS_SYSTEM };
    g_autoptr(GError) error = NULL;
    g_autoptr(vv_args_t) args = NULL;
    g_autoptr(GPtrArray) rest = g_ptr_array_new();
    const vv_command_t *cmd = NULL;
    int ci, code, buses;

    setlocale(LC_ALL, "");
    g_set_prgname("virt-vmi");
    ctx.stderr_tty = isatty(STDERR_FILENO);

    ci = command_index(argc, argv);
    if (ci < argc && !g_str_equal(argv[ci], "help")) {
        cmd = find_command(argv[ci]);
        if (cmd == NULL) {
            /* Options before the command are checked first: "--bogus ps" is
             * about the option, "bogus" about the command. */
            args = vv_parse_args(ci - 1, argv + 1, global_only, &error);
            if (args == NULL)
                return vv_usage_error(NULL, "%s", error->message);
            return vv_usage_error(NULL, "unknown command '%s'", argv[ci]);
        }
    }
    /* Global options may come before or after the command. */
    for (int i = 1; i < argc; i++) {
        if (i != ci)
            g_ptr_array_add(rest, argv[i]);
    }
    {
        const vv_option_t *const tables[] = {
            global_options, cmd != NULL ? cmd->options : NULL, NULL
        };
        args = vv_parse_args((int)rest->len, (char **)rest->pdata, tables, &error);
    }
    if (args == NULL)
        return vv_usage_error(cmd, "%s", error->message);

    if (vv_args_has(args, "version")) {
        printf("virt-vmi %s\n", PACKAGE_VERSION);
        return VV_EXIT_OK;
    }
    if (ci < argc && g_str_equal(argv[ci], "help")) {
        const vv_command_t *about;

        if (args->args->len == 0) {
            print_usage(stdout);
            return VV_EXIT_OK;
        }
        about = find_command(g_ptr_array_index(args->args, 0));
        if (about == NULL || args->args->len > 1)
            return vv_usage_error(NULL, "help: unknown command '%s'",
                                  (char *)g_ptr_array_index(args->args, 0));
        print_command_help(about);
        return VV_EXIT_OK;
    }
    if (vv_args_has(args, "help")) {
        if (cmd != NULL)
            print_command_help(cmd);
        else
            print_usage(stdout);
        return VV_EXIT_OK;
    }
    if (cmd == NULL)
        return vv_usage_error(NULL, "no command given");

    buses = vv_args_has(args, "system") + vv_args_has(args, "session") + vv_args_has(args, "address");
    if (buses > 1)
        return vv_usage_error(cmd, "--system, --session and --address exclude each other");
    if (vv_args_has(args, "session"))
        ctx.bus = VV_BUS_SESSION;
    if (vv_args_has(args, "address")) {
        ctx.bus = VV_BUS_ADDRESS;
        ctx.address = vv_args_get(args, "address");
    }
    ctx.uri = vv_args_get(args, "connect");
    ctx.json = vv_args_has(args, "json");
    ctx.no_direct = vv_args_has(args, "no-direct");

    if ((int)args->args->len < cmd->min_args)
        return vv_usage_error(cmd, "missing argument (usage: virt-vmi %s %s)", cmd->name, cmd->synopsis);
    if ((int)args->args->len > cmd->max_args)
        return vv_usage_error(cmd, "unexpected argument '%s'",
                              (char *)g_ptr_array_index(args->args, cmd->max_args));

    code = cmd->run(&ctx, cmd, args);
    g_clear_pointer(&ctx.backend, vv_backend_free);
    return code;
}
