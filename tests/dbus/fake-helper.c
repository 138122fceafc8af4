/*
 * fake-helper: a stand-in for vmi-helperd on a private bus, for the policy
 * and hook tests (tests/dbus/test-policy.sh, tests/dbus/test-hook.sh).
 *
 * It loads the real interface XML from dbus/, so the tests also prove that
 * GDBus accepts it, then owns org.libvmi.helper1 on the bus at --address and
 * exports:
 *   /org/libvmi/helper1            Manager + ObjectManager
 *   /org/libvmi/helper1/domain/_<FAKE_UUID>   Domain (one fake domain)
 * Every call is logged on stdout as one tab-separated line, so a test can
 * check what arrived. NotifyLifecycle "started"/"stopped" also emits
 * DomainAdded/DomainRemoved, so a test can check who receives signals.
 * Domain methods answer org.libvmi.helper1.Error.NotIntrospectable: enough
 * to tell "the policy let the call through" from "the bus refused it".
 *
 * With --answer (for virt-vmi's tests, tests/cli/test-virt-vmi.sh) the fake
 * domain is introspectable and its methods answer with canned data (see
 * answer_call()), and a second domain, "sleepy-domain", is published that
 * is not introspectable (its methods answer NotIntrospectable).
 *
 * Exit status: 0 after SIGTERM/SIGINT or when the bus goes away, 2 on bad
 * usage or unreadable XML, 3 when the name cannot be owned.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUS_NAME     "org.libvmi.helper1"
#define MANAGER_PATH "/org/libvmi/helper1"
#define FAKE_UUID    "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define DOMAIN_PATH  MANAGER_PATH "/domain/_c7a5fdbd_cdaf_9455_926a_d65c16db1809"
#define DOMAIN_NAME  "fake-domain"
/* --answer only: a second, not introspectable domain */
#define SLEEPY_UUID  "11111111-2222-3333-4444-555555555555"
#define SLEEPY_PATH  MANAGER_PATH "/domain/_11111111_2222_3333_4444_555555555555"
#define SLEEPY_NAME  "sleepy-domain"

static gboolean answer_mode;

static const char object_manager_xml[] =
    "<node><interface name='org.freedesktop.DBus.ObjectManager'>"
    "<method name='GetManagedObjects'>"
    "<arg name='objects' type='a{oa{sa{sv}}}' direction='out'/>"
    "</method>"
    "<signal name='InterfacesAdded'><arg type='o'/><arg type='a{sa{sv}}'/></signal>"
    "<signal name='InterfacesRemoved'><arg type='o'/><arg type='as'/></signal>"
    "</interface></node>";

static GDBusNodeInfo *manager_info;
static GDBusNodeInfo *domain_info;
static GDBusNodeInfo *om_info;

static void
log_call(GDBusMethodInvocation *invocation, const char *what)
{
    GDBusMessage *msg = g_dbus_method_invocation_get_message(invocation);
    gboolean no_reply = (g_dbus_message_get_flags(msg) &
                         G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) != 0;

    printf("%s\tsender=%s\tno_reply=%d\n", what,
           g_dbus_method_invocation_get_sender(invocation), no_reply);
    fflush(stdout);
}

/* --answer: the fake domain's canned guest */
#define ANSWER_MEMSIZE   (512ull << 20)
#define ANSWER_KERNEL    0xffffffff80000000ull  /* va - ANSWER_KERNEL = pa */
#define ANSWER_BANNER    "Linux version 6.1.0-fake (fake@libvmi) #1 SMP"
#define ANSWER_LIMIT     (16u << 20)
#define ANSWER_WATCH_ID  7u
#define ANSWER_GONE_ADDR 0xdead000ull               /* reads here: DomainGone */

static GVariant *
answer_property(const char *name)
{
    if (g_str_equal(name, "Introspectable"))
        return g_variant_new_boolean(TRUE);
    if (g_str_equal(name, "IntrospectableReason"))
        return g_variant_new_string("");
    if (g_str_equal(name, "AccessPath"))
        return g_variant_new_string("shm");
    if (g_str_equal(name, "OSType"))
        return g_variant_new_string("linux");
    if (g_str_equal(name, "PageMode"))
        return g_variant_new_string("ia32e");
    if (g_str_equal(name, "MemorySize"))
        return g_variant_new_uint64(ANSWER_MEMSIZE);
    if (g_str_equal(name, "KernelVersion"))
        return g_variant_new_string(ANSWER_BANNER);
    return NULL;
}

static GVariant *
sleepy_property(const char *name)
{
    if (g_str_equal(name, "Name"))
        return g_variant_new_string(SLEEPY_NAME);
    if (g_str_equal(name, "UUID"))
        return g_variant_new_string(SLEEPY_UUID);
    if (g_str_equal(name, "State"))
        return g_variant_new_string("paused");
    if (g_str_equal(name, "IntrospectableReason"))
        return g_variant_new_string("Domain '" SLEEPY_NAME "' has no shared memory file, no gdbstub, "
                                    "and its QEMU process cannot be traced.");
    return NULL;
}

static GVariant *
domain_property(const char *path, const char *name)
{
    GVariant *value = NULL;

    if (answer_mode && g_str_equal(path, SLEEPY_PATH))
        value = sleepy_property(name);
    else if (answer_mode)
        value = answer_property(name);
    if (value != NULL)
        return value;
    if (g_str_equal(name, "Name"))
        return g_variant_new_string(DOMAIN_NAME);
    if (g_str_equal(name, "UUID"))
        return g_variant_new_string(FAKE_UUID);
    if (g_str_equal(name, "Hypervisor"))
        return g_variant_new_string("qemu");
    if (g_str_equal(name, "State"))
        return g_variant_new_string("running");
    if (g_str_equal(name, "Introspectable") || g_str_equal(name, "WritesEnabled"))
        return g_variant_new_boolean(FALSE);
    if (g_str_equal(name, "IntrospectableReason"))
        return g_variant_new_string("Domain '" DOMAIN_NAME "' is a fake.");
    if (g_str_equal(name, "OSType") || g_str_equal(name, "PageMode"))
        return g_variant_new_string("unknown");
    if (g_str_equal(name, "MemorySize"))
        return g_variant_new_uint64(0);
    if (g_str_equal(name, "AccessPath") || g_str_equal(name, "KernelVersion"))
        return g_variant_new_string("");
    return NULL;
}

static GVariant *
manager_get_property(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                     const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
                     const char *name, GError **error, gpointer data G_GNUC_UNUSED)
{
    if (g_str_equal(name, "Version"))
        return g_variant_new_string("fake");
    g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                "No property '%s'.", name);
    return NULL;
}

static GVariant *
domain_get_property(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                    const char *path, const char *iface G_GNUC_UNUSED,
                    const char *name, GError **error, gpointer data G_GNUC_UNUSED)
{
    GVariant *value = domain_property(path, name);

    if (value == NULL)
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                    "No property '%s'.", name);
    return value;
}

static void
manager_call(GDBusConnection *conn, const char *sender G_GNUC_UNUSED,
             const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
             const char *method, GVariant *params,
             GDBusMethodInvocation *invocation, gpointer data G_GNUC_UNUSED)
{
    if (g_str_equal(method, "ListDomains")) {
        const char *paths[] = { DOMAIN_PATH, answer_mode ? SLEEPY_PATH : NULL, NULL };

        log_call(invocation, "ListDomains");
        g_dbus_method_invocation_return_value(
            invocation, g_variant_new("(^ao)", paths));
        return;
    }
    if (g_str_equal(method, "NotifyLifecycle")) {
        const char *name, *uuid, *op, *subop;
        g_autofree char *what = NULL;
        const char *signal = NULL;

        g_variant_get(params, "(&s&s&s&s)", &name, &uuid, &op, &subop);
        what = g_strdup_printf("NotifyLifecycle\t%s\t%s\t%s\t%s", name, uuid, op, subop);
        log_call(invocation, what);
        if (g_str_equal(op, "started"))
            signal = "DomainAdded";
        else if (g_str_equal(op, "stopped"))
            signal = "DomainRemoved";
        if (signal != NULL)
            g_dbus_connection_emit_signal(conn, NULL, MANAGER_PATH,
                                          "org.libvmi.helper1.Manager", signal,
                                          g_variant_new("(os)", DOMAIN_PATH, name),
                                          NULL);
        g_dbus_method_invocation_return_value(invocation, NULL);
        return;
    }
    g_dbus_method_invocation_return_dbus_error(invocation,
                                               "org.libvmi.helper1.Error.Failed",
                                               "The fake helper does not implement this.");
}

/* ------------------------------------------------------------- --answer */

static void
answer_error(GDBusMethodInvocation *invocation, const char *name, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void
answer_error(GDBusMethodInvocation *invocation, const char *name, const char *fmt, ...)
{
    g_autofree char *error_name = g_strconcat("org.libvmi.helper1.Error.", name, NULL);
    g_autofree char *message = NULL;
    va_list ap;

    va_start(ap, fmt);
    message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_dbus_method_invocation_return_dbus_error(invocation, error_name, message);
}

/* The canned memory: every byte is the low byte of its address. */
static void
answer_bytes(GDBusMethodInvocation *invocation, guint64 addr, guint32 len)
{
    g_autofree guint8 *buf = g_malloc(MAX(len, 1));

    for (guint32 i = 0; i < len; i++)
        buf[i] = (guint8)(addr + i);
    g_dbus_method_invocation_return_value(
        invocation, g_variant_new("(@ay)", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1)));
}

static const struct {
    const char *name;
    guint64 va;
} answer_symbols[] = {
    { "linux_banner", 0xffffffff82000100ull },
    { "init_task", 0xffffffff82a14940ull },
};

static gboolean
answer_lookup(const char *name, guint64 *va)
{
    for (gsize i = 0; i < G_N_ELEMENTS(answer_symbols); i++) {
        if (g_str_equal(answer_symbols[i].name, name)) {
            *va = answer_symbols[i].va;
            return TRUE;
        }
    }
    return FALSE;
}

static const struct {
    gint32 pid;
    const char *name;
    guint64 dtb;
} answer_processes[] = {
    { 0, "swapper/0", 0x1a0c000 },
    { 1, "init", 0x2345000 },
    { 42, "sleeper-a", 0x3456000 },
    { 43, "we\"ird\\name", 0x4567000 },
};

static gboolean
answer_pid_known(gint32 pid)
{
    for (gsize i = 0; i < G_N_ELEMENTS(answer_processes); i++) {
        if (answer_processes[i].pid == pid)
            return TRUE;
    }
    return FALSE;
}

typedef struct {
    GDBusConnection *conn;
    char *destination;
    guint64 addr;
    guint left;
} answer_watch_t;

static void
answer_watch_free(gpointer data)
{
    answer_watch_t *w = data;

    g_object_unref(w->conn);
    g_free(w->destination);
    g_free(w);
}

/* Three MemoryEvent signals, unicast to the watcher, as the helper does;
 * the last one could not be translated (gpa all ones). */
static gboolean
answer_watch_tick(gpointer data)
{
    answer_watch_t *w = data;
    guint64 gpa = w->left == 1 ? G_MAXUINT64 : w->addr - ANSWER_KERNEL;

    g_dbus_connection_emit_signal(w->conn, w->destination, DOMAIN_PATH,
                                  "org.libvmi.helper1.Domain", "MemoryEvent",
                                  g_variant_new("(uttsu)", ANSWER_WATCH_ID, w->addr, gpa, "w",
                                                (guint32)(w->left % 2)),
                                  NULL);
    return --w->left > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Snapshot: what the helper does on the caller's behalf, minus the care
 * about who the caller is (paths under /denied/ stand for that). */
static void
answer_snapshot(GDBusMethodInvocation *invocation, const char *path)
{
    static const char elf_magic[] = "\177ELF fake dump";
    int fd;

    if (!g_path_is_absolute(path)) {
        answer_error(invocation, "InvalidArgument", "The dump path '%s' is not absolute.", path);
        return;
    }
    if (g_str_has_prefix(path, "/denied/")) {
        answer_error(invocation, "AccessDenied", "You may not write '%s'.", path);
        return;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        answer_error(invocation, "InvalidArgument", "Cannot create '%s': %s.", path, g_strerror(errno));
        return;
    }
    if (write(fd, elf_magic, sizeof(elf_magic)) != (ssize_t)sizeof(elf_magic)) {
        close(fd);
        answer_error(invocation, "Failed", "Cannot write '%s'.", path);
        return;
    }
    close(fd);
    g_dbus_method_invocation_return_value(invocation, NULL);
}

static void
answer_call(GDBusConnection *conn, const char *method, GVariant *params,
            GDBusMethodInvocation *invocation)
{
    guint64 addr, va;
    guint32 len, u;
    gint32 pid;
    const char *s;

    if (g_str_equal(method, "ReadPhysical")) {
        g_variant_get(params, "(tu)", &addr, &len);
        if (len > ANSWER_LIMIT)
            answer_error(invocation, "TooLarge", "Domain '" DOMAIN_NAME "': %u bytes is more than the limit of %u bytes.", len, ANSWER_LIMIT);
        else if (addr == ANSWER_GONE_ADDR)
            answer_error(invocation, "DomainGone", "Domain '" DOMAIN_NAME "' stopped during the call.");
        else if (addr >= ANSWER_MEMSIZE || len > ANSWER_MEMSIZE - addr)
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "': address 0x%" G_GINT64_MODIFIER "x is past the end of guest RAM.", addr);
        else
            answer_bytes(invocation, addr, len);
    } else if (g_str_equal(method, "ReadVirtual")) {
        g_variant_get(params, "(tiu)", &addr, &pid, &len);
        if (!answer_pid_known(pid))
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "' has no process %d.", pid);
        else if (len > ANSWER_LIMIT)
            answer_error(invocation, "TooLarge", "Domain '" DOMAIN_NAME "': %u bytes is too many.", len);
        else if (pid == 0 && addr < ANSWER_KERNEL)
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "': 0x%" G_GINT64_MODIFIER "x is not mapped.", addr);
        else
            answer_bytes(invocation, addr, len);
    } else if (g_str_equal(method, "ReadSymbol")) {
        g_variant_get(params, "(&su)", &s, &len);
        if (!g_str_equal(s, "linux_banner")) {
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "' has no symbol '%s'.", s);
        } else {
            g_autofree guint8 *buf = g_malloc0(MAX(len, 1));

            memcpy(buf, ANSWER_BANNER, MIN(len, sizeof(ANSWER_BANNER)));
            g_dbus_method_invocation_return_value(
                invocation, g_variant_new("(@ay)", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1)));
        }
    } else if (g_str_equal(method, "LookupSymbol")) {
        g_variant_get(params, "(&s)", &s);
        if (answer_lookup(s, &va))
            g_dbus_method_invocation_return_value(invocation, g_variant_new("(t)", va));
        else
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "' has no symbol '%s'.", s);
    } else if (g_str_equal(method, "TranslateKernel") || g_str_equal(method, "TranslateUser")) {
        g_variant_get_child(params, 0, "t", &va);
        if (va >= ANSWER_KERNEL)
            g_dbus_method_invocation_return_value(invocation, g_variant_new("(t)", va - ANSWER_KERNEL));
        else
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "': 0x%" G_GINT64_MODIFIER "x is not mapped.", va);
    } else if (g_str_equal(method, "ListProcesses")) {
        GVariantBuilder b;

        g_variant_builder_init(&b, G_VARIANT_TYPE("a(ist)"));
        for (gsize i = 0; i < G_N_ELEMENTS(answer_processes); i++)
            g_variant_builder_add(&b, "(ist)", answer_processes[i].pid, answer_processes[i].name,
                                  answer_processes[i].dtb);
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(a(ist))", &b));
    } else if (g_str_equal(method, "GetRegisters")) {
        GVariantBuilder b;

        g_variant_get(params, "(u)", &u);
        if (u > 1) {
            answer_error(invocation, "InvalidArgument", "Domain '" DOMAIN_NAME "' has no vCPU %u (it has 2).", u);
            return;
        }
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
        /* deliberately not in x86 order: virt-vmi sorts */
        g_variant_builder_add(&b, "{st}", "cr3", (guint64)0x1a0c000);
        g_variant_builder_add(&b, "{st}", "rip", (guint64)0xffffffff81e0a2b0ull + u);
        g_variant_builder_add(&b, "{st}", "rax", (guint64)u);
        g_variant_builder_add(&b, "{st}", "rsp", (guint64)0xffffffff82c03e80ull);
        g_variant_builder_add(&b, "{st}", "rflags", (guint64)0x246);
        g_variant_builder_add(&b, "{st}", "cs", (guint64)0x10);
        g_variant_builder_add(&b, "{st}", "gs_base", (guint64)0xffff88801f400000ull);
        g_variant_builder_add(&b, "{st}", "efer", (guint64)0xd01);
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(a{st})", &b));
    } else if (g_str_equal(method, "Pause") || g_str_equal(method, "Resume") ||
               g_str_equal(method, "Enable") || g_str_equal(method, "Disable")) {
        g_dbus_method_invocation_return_value(invocation, NULL);
    } else if (g_str_equal(method, "Snapshot")) {
        g_variant_get(params, "(&s)", &s);
        answer_snapshot(invocation, s);
    } else if (g_str_equal(method, "Watch")) {
        answer_watch_t *w;

        g_variant_get(params, "(t&s)", &addr, &s);
        if (!g_str_equal(s, "r") && !g_str_equal(s, "w") && !g_str_equal(s, "rw") && !g_str_equal(s, "x")) {
            answer_error(invocation, "InvalidArgument", "'%s' is not an access.", s);
            return;
        }
        if (addr % 8 != 0) {
            answer_error(invocation, "InvalidArgument", "Address 0x%" G_GINT64_MODIFIER "x is not aligned to 8 bytes.", addr);
            return;
        }
        w = g_new0(answer_watch_t, 1);
        w->conn = g_object_ref(conn);
        w->destination = g_strdup(g_dbus_method_invocation_get_sender(invocation));
        w->addr = addr;
        w->left = 3;
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(u)", ANSWER_WATCH_ID));
        g_timeout_add_full(G_PRIORITY_DEFAULT, 50, answer_watch_tick, w, answer_watch_free);
    } else if (g_str_equal(method, "Unwatch")) {
        g_variant_get(params, "(u)", &u);
        if (u == ANSWER_WATCH_ID)
            g_dbus_method_invocation_return_value(invocation, NULL);
        else
            answer_error(invocation, "InvalidArgument", "No watch %u.", u);
    } else {
        answer_error(invocation, "Failed", "The fake helper does not implement %s.", method);
    }
}

static void
domain_call(GDBusConnection *conn, const char *sender G_GNUC_UNUSED,
            const char *path, const char *iface G_GNUC_UNUSED,
            const char *method, GVariant *params,
            GDBusMethodInvocation *invocation, gpointer data G_GNUC_UNUSED)
{
    if (answer_mode) {
        g_autofree char *args = g_variant_print(params, FALSE);
        g_autofree char *what = g_strdup_printf("%s\t%s", method, args);

        log_call(invocation, what);
        if (g_str_equal(path, DOMAIN_PATH)) {
            answer_call(conn, method, params, invocation);
            return;
        }
        g_dbus_method_invocation_return_dbus_error(
            invocation, "org.libvmi.helper1.Error.NotIntrospectable",
            "Domain '" SLEEPY_NAME "' has no shared memory file, no gdbstub, "
            "and its QEMU process cannot be traced.");
        return;
    }
    log_call(invocation, method);
    g_dbus_method_invocation_return_dbus_error(
        invocation, "org.libvmi.helper1.Error.NotIntrospectable",
        "Domain '" DOMAIN_NAME "' cannot be introspected: it is a fake.");
}

static void
om_call(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
        const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
        const char *method G_GNUC_UNUSED, GVariant *params G_GNUC_UNUSED,
        GDBusMethodInvocation *invocation, gpointer data G_GNUC_UNUSED)
{
    GDBusInterfaceInfo *info = domain_info->interfaces[0];
    const char *paths[] = { DOMAIN_PATH, answer_mode ? SLEEPY_PATH : NULL, NULL };
    GVariantBuilder objects;

    log_call(invocation, "GetManagedObjects");
    g_variant_builder_init(&objects, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    for (gsize p = 0; paths[p] != NULL; p++) {
        GVariantBuilder props, ifaces;

        g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
        for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++) {
            GVariant *value = domain_property(paths[p], info->properties[i]->name);

            if (value != NULL)
                g_variant_builder_add(&props, "{sv}", info->properties[i]->name, value);
        }
        g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
        g_variant_builder_add(&ifaces, "{sa{sv}}", info->name, &props);
        g_variant_builder_add(&objects, "{oa{sa{sv}}}", paths[p], &ifaces);
    }
    g_dbus_method_invocation_return_value(invocation,
                                          g_variant_new("(a{oa{sa{sv}}})", &objects));
}

static const GDBusInterfaceVTable manager_vtable = { manager_call, manager_get_property, NULL, { 0 } };
static const GDBusInterfaceVTable domain_vtable = { domain_call, domain_get_property, NULL, { 0 } };
static const GDBusInterfaceVTable om_vtable = { om_call, NULL, NULL, { 0 } };

static GDBusNodeInfo *
load_xml(const char *dir, const char *file, GError **error)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    return g_dbus_node_info_new_for_xml(text, error);
}

static gboolean
quit_cb(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void
closed_cb(GDBusConnection *conn G_GNUC_UNUSED, gboolean remote_peer_vanished G_GNUC_UNUSED,
          GError *error G_GNUC_UNUSED, gpointer loop)
{
    g_main_loop_quit(loop);
}

int
main(int argc, char **argv)
{
    g_autofree char *address = NULL;
    g_autofree char *xml_dir = NULL;
    GOptionEntry entries[] = {
        { "address", 0, 0, G_OPTION_ARG_STRING, &address, "D-Bus address of the bus", "ADDR" },
        { "xml-dir", 0, 0, G_OPTION_ARG_FILENAME, &xml_dir, "Directory of the interface XML", "DIR" },
        { "answer", 0, 0, G_OPTION_ARG_NONE, &answer_mode,
          "Answer Domain methods with canned data (virt-vmi's tests)", NULL },
        G_OPTION_ENTRY_NULL
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- fake vmi-helperd for tests");
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    guint32 result = 0;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || address == NULL || xml_dir == NULL) {
        fprintf(stderr, "usage: fake-helper --address ADDR --xml-dir DIR (%s)\n",
                error != NULL ? error->message : "missing option");
        return 2;
    }
    if ((manager_info = load_xml(xml_dir, "org.libvmi.helper1.Manager.xml", &error)) == NULL ||
        (domain_info = load_xml(xml_dir, "org.libvmi.helper1.Domain.xml", &error)) == NULL ||
        (om_info = g_dbus_node_info_new_for_xml(object_manager_xml, &error)) == NULL) {
        fprintf(stderr, "fake-helper: cannot load the interface XML: %s\n", error->message);
        return 2;
    }

    conn = g_dbus_connection_new_for_address_sync(
        address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    if (conn == NULL) {
        fprintf(stderr, "fake-helper: cannot connect to %s: %s\n", address, error->message);
        return 3;
    }
    g_dbus_connection_set_exit_on_close(conn, FALSE);

    /* Objects first, name second: no call can arrive before its object. */
    if (!g_dbus_connection_register_object(conn, MANAGER_PATH, manager_info->interfaces[0],
                                           &manager_vtable, NULL, NULL, &error) ||
        !g_dbus_connection_register_object(conn, MANAGER_PATH, om_info->interfaces[0],
                                           &om_vtable, NULL, NULL, &error) ||
        !g_dbus_connection_register_object(conn, DOMAIN_PATH, domain_info->interfaces[0],
                                           &domain_vtable, NULL, NULL, &error) ||
        (answer_mode &&
         !g_dbus_connection_register_object(conn, SLEEPY_PATH, domain_info->interfaces[0],
                                            &domain_vtable, NULL, NULL, &error))) {
        fprintf(stderr, "fake-helper: cannot export objects: %s\n", error->message);
        return 2;
    }

    reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "RequestName",
                                        g_variant_new("(su)", BUS_NAME, 4 /* DO_NOT_QUEUE */),
                                        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                        5000, NULL, &error);
    if (reply == NULL) {
        g_autofree char *remote = g_dbus_error_get_remote_error(error);

        printf("OWN-FAILED\t%s\n", remote != NULL ? remote : error->message);
        fflush(stdout);
        return 3;
    }
    g_variant_get(reply, "(u)", &result);
    if (result != 1 /* PRIMARY_OWNER */) {
        printf("OWN-FAILED\tRequestName returned %u\n", result);
        fflush(stdout);
        return 3;
    }
    printf("READY\n");
    fflush(stdout);

    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, quit_cb, loop);
    g_unix_signal_add(SIGINT, quit_cb, loop);
    g_signal_connect(conn, "closed", G_CALLBACK(closed_cb), loop);
    g_main_loop_run(loop);
    return 0;
}
