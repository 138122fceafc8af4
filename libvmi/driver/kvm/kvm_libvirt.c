/*
 * kvm_libvirt.c - a libvirt-managed QEMU guest by domain name, UUID or
 * ID; see kvm_libvirt.h.
 *
 * What libvirt gives, and how:
 *   domain    virConnectOpen(uri) (config `uri`, default qemu:///system),
 *             looked up by name, then UUID string, then numeric ID;
 *   QMP       virDomainQemuMonitorCommand: libvirt owns the monitor socket
 *             and QEMU takes one QMP client at a time, so commands go
 *             through libvirt (which numbers them itself);
 *   pid       libvirt's pid file /run/libvirt/qemu/NAME.pid (the system
 *             daemon's; world-readable), checked against the process's
 *             `-uuid`; else found in /proc by that `-uuid`.  libvirt's
 *             API does not say the pid;
 *   gdbstub   a `-gdb DEV` (or `-s`) in the domain XML's <qemu:commandline>.
 * libvirt is loaded (dlopen) the first time a domain is looked up: a
 * program that reads snapshots, or a QEMU named by its sockets, does not
 * pay for loading libvirt and the ~50 libraries it needs.
 * The RAM file needs nothing from here: QOM names it through QMP as for
 * any QEMU (libvirt calls the backend "pc.ram", or "ram-node0" with NUMA,
 * and puts the file under /var/lib/libvirt/qemu/ram/ID-NAME/).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "private.h"
#include "kvm_libvirt.h"

#define QEMU_XML_NS "http://libvirt.org/schemas/domain/qemu/1.0"
/* The system daemon's state directory, where it keeps NAME.pid. */
#define LIBVIRT_QEMU_RUN_DIR "/run/libvirt/qemu"
/* QEMU's whole command line with a few hundred devices is some tens of KiB;
 * a process whose cmdline is larger is no libvirt-started QEMU. */
#define MAX_CMDLINE (1024 * 1024)

struct kvm_libvirt {
    virConnectPtr conn;
    virDomainPtr dom;
    char *uri;
    char *name;
    char uuid[VIR_UUID_STRING_BUFLEN];
};

/* ------------------------------------------------------------ loading */

#define LIBVIRT_SONAME "libvirt.so.0"
#define LIBVIRT_QEMU_SONAME "libvirt-qemu.so.0"
#define LIBVIRT_FUNCS(X)                                                                \
    X(virConnSetErrorFunc) X(virConnectClose) X(virConnectGetType) X(virConnectOpen)    \
    X(virConnectOpenReadOnly) X(virDomainFree) X(virDomainGetName)                      \
    X(virDomainGetUUIDString) X(virDomainGetXMLDesc) X(virDomainIsActive)               \
    X(virDomainLookupByID) X(virDomainLookupByName) X(virDomainLookupByUUIDString)      \
    X(virDomainRef) X(virGetLastError) X(virSetErrorFunc)

static struct {
#define MEMBER(f) __typeof__(f) *p_##f;
    LIBVIRT_FUNCS(MEMBER)
    MEMBER(virDomainQemuMonitorCommand)
#undef MEMBER
} lv_api;
static char *lv_api_error;

/* from here on, the names call through the table */
#define CALL_THROUGH(f) (*lv_api.p_##f)
#define virConnSetErrorFunc CALL_THROUGH(virConnSetErrorFunc)
#define virConnectClose CALL_THROUGH(virConnectClose)
#define virConnectGetType CALL_THROUGH(virConnectGetType)
#define virConnectOpen CALL_THROUGH(virConnectOpen)
#define virConnectOpenReadOnly CALL_THROUGH(virConnectOpenReadOnly)
#define virDomainFree CALL_THROUGH(virDomainFree)
#define virDomainGetName CALL_THROUGH(virDomainGetName)
#define virDomainGetUUIDString CALL_THROUGH(virDomainGetUUIDString)
#define virDomainGetXMLDesc CALL_THROUGH(virDomainGetXMLDesc)
#define virDomainIsActive CALL_THROUGH(virDomainIsActive)
#define virDomainLookupByID CALL_THROUGH(virDomainLookupByID)
#define virDomainLookupByName CALL_THROUGH(virDomainLookupByName)
#define virDomainLookupByUUIDString CALL_THROUGH(virDomainLookupByUUIDString)
#define virDomainRef CALL_THROUGH(virDomainRef)
#define virGetLastError CALL_THROUGH(virGetLastError)
#define virSetErrorFunc CALL_THROUGH(virSetErrorFunc)
#define virDomainQemuMonitorCommand CALL_THROUGH(virDomainQemuMonitorCommand)

static bool lv_sym(void *lib, const char *soname, const char *name, void *slot)
{
    void *sym = lib ? dlsym(lib, name) : NULL;
    if (!sym) {
        if (!lv_api_error)
            lv_api_error = g_strdup_printf("%s has no %s", soname, name);
        return false;
    }
    memcpy(slot, &sym, sizeof(sym));
    return true;
}

/* Loads libvirt once per process; never unloaded. */
static bool libvirt_load(GError **error)
{
    static gsize done;
    if (g_once_init_enter(&done)) {
        void *lib = dlopen(LIBVIRT_SONAME, RTLD_NOW | RTLD_LOCAL);
        void *qemu = lib ? dlopen(LIBVIRT_QEMU_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
        if (!lib || !qemu) {
            const char *why = dlerror();
            lv_api_error = g_strdup_printf("%s: %s", lib ? LIBVIRT_QEMU_SONAME : LIBVIRT_SONAME,
                                           why ? why : "cannot be loaded");
        } else {
#define LOAD(f) lv_sym(lib, LIBVIRT_SONAME, #f, &lv_api.p_##f);
            LIBVIRT_FUNCS(LOAD)
#undef LOAD
            lv_sym(qemu, LIBVIRT_QEMU_SONAME, "virDomainQemuMonitorCommand",
                   &lv_api.p_virDomainQemuMonitorCommand);
        }
        g_once_init_leave(&done, 1);
    }
    if (lv_api_error) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "libvirt domains cannot be reached: libvirt cannot be loaded (%s; Debian's "
                    "package libvirt0)", lv_api_error);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ errors */

static void ignore_error(void *data, virErrorPtr err)
{
}

/* libvirt prints every error on stderr unless a handler is set, and the
 * errors of virConnectOpen reach only the process-wide one.  A library
 * must not print: errors are taken with virGetLastError and reported
 * through GError instead.  (An application that sets its own handler
 * later keeps it; one set before is replaced.) */
static void quiet_libvirt(void)
{
    static gsize done;
    if (g_once_init_enter(&done)) {
        virSetErrorFunc(NULL, ignore_error);
        g_once_init_leave(&done, 1);
    }
}

static const char *last_message(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

static bool last_is_no_domain(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->code == VIR_ERR_NO_DOMAIN;
}

/* ------------------------------------------------------------ connection */

static const char *config_uri(GHashTable *config)
{
    const char *uri = config ? vmi_config_get_str(config, "uri") : NULL;
    return uri ? uri : KVM_LIBVIRT_DEFAULT_URI;
}

static virConnectPtr connect_uri(const char *uri, bool readonly, GError **error)
{
    if (!libvirt_load(error))
        return NULL;
    quiet_libvirt();
    virConnectPtr conn = readonly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
    if (!conn) {
        virErrorPtr e = virGetLastError();
        /* no daemon socket, or nobody behind it */
        bool down = e && e->code == VIR_ERR_SYSTEM_ERROR && (e->int1 == ENOENT ||
                                                             e->int1 == ECONNREFUSED);
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "%s%s: %s",
                    down ? "libvirtd is not running: cannot connect to " :
                           "cannot connect to libvirt at ", uri, last_message());
        return NULL;
    }
    virConnSetErrorFunc(conn, NULL, ignore_error);
    return conn;
}

/* The running domain @name names at @conn: by name, UUID, then ID.  NULL
 * with VMI_ERROR_NOT_FOUND when there is none. */
static virDomainPtr lookup_running(virConnectPtr conn, const char *uri, const char *name,
                                   GError **error)
{
    guint64 id;
    virDomainPtr dom = virDomainLookupByName(conn, name);
    if (!dom && last_is_no_domain() && g_uuid_string_is_valid(name))
        dom = virDomainLookupByUUIDString(conn, name);
    if (!dom && last_is_no_domain() &&
        g_ascii_string_to_unsigned(name, 10, 0, G_MAXINT, &id, NULL))
        dom = virDomainLookupByID(conn, (int)id);
    if (!dom) {
        if (last_is_no_domain())
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                        "no running libvirt domain named '%s' at %s", name, uri);
        else
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "looking up libvirt domain '%s' at %s "
                        "failed: %s", name, uri, last_message());
        return NULL;
    }
    int active = virDomainIsActive(dom);
    if (active != 1) {
        if (active < 0)
            g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "libvirt domain '%s' at %s: %s",
                        name, uri, last_message());
        else
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                        "libvirt domain '%s' at %s is defined but not running", name, uri);
        virDomainFree(dom);
        return NULL;
    }
    return dom;
}

bool kvm_libvirt_probe(const char *name, GHashTable *config)
{
    const char *uri = config_uri(config);
    g_autoptr(GError) error = NULL;
    virConnectPtr conn = connect_uri(uri, true, &error);
    if (!conn) {
        g_debug("kvm: libvirt probe of '%s': %s", name, error->message);
        return false;
    }
    virDomainPtr dom = lookup_running(conn, uri, name, &error);
    if (dom)
        virDomainFree(dom);
    else
        g_debug("kvm: libvirt probe of '%s': %s", name, error->message);
    virConnectClose(conn);
    return dom != NULL;
}

kvm_libvirt_t *kvm_libvirt_open(const char *name, GHashTable *config, GError **error)
{
    const char *uri = config_uri(config);
    g_autoptr(kvm_libvirt_t) lv = g_new0(kvm_libvirt_t, 1);
    lv->uri = g_strdup(uri);
    lv->conn = connect_uri(uri, false, error);
    if (!lv->conn)
        return NULL;
    /* QMP passthrough exists only in the QEMU driver */
    const char *type = virConnectGetType(lv->conn);
    if (!type || g_ascii_strcasecmp(type, "QEMU") != 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "libvirt at %s manages %s guests, not QEMU ones", uri, type ? type : "unknown");
        return NULL;
    }
    lv->dom = lookup_running(lv->conn, uri, name, error);
    if (!lv->dom)
        return NULL;
    lv->name = g_strdup(virDomainGetName(lv->dom));
    if (virDomainGetUUIDString(lv->dom, lv->uuid) < 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "libvirt domain '%s': no UUID: %s", name,
                    last_message());
        return NULL;
    }
    return g_steal_pointer(&lv);
}

void kvm_libvirt_free(kvm_libvirt_t *lv)
{
    if (!lv)
        return;
    if (lv->dom)
        virDomainFree(lv->dom);
    if (lv->conn)
        virConnectClose(lv->conn);
    g_free(lv->uri);
    g_free(lv->name);
    g_free(lv);
}

const char *kvm_libvirt_name(kvm_libvirt_t *lv)
{
    return lv->name;
}

const char *kvm_libvirt_uuid(kvm_libvirt_t *lv)
{
    return lv->uuid;
}

const char *kvm_libvirt_uri(kvm_libvirt_t *lv)
{
    return lv->uri;
}

/* ------------------------------------------------------------ QMP */

static char *relay_monitor(void *data, const char *request, GError **error)
{
    virDomainPtr dom = data;
    char *reply = NULL;
    if (virDomainQemuMonitorCommand(dom, request, &reply,
                                    VIR_DOMAIN_QEMU_MONITOR_COMMAND_DEFAULT) < 0) {
        /* the message and code first: any other libvirt call (even
         * virDomainGetName) resets the thread's error and frees them */
        virErrorPtr e = virGetLastError();
        int code = e ? e->code : VIR_ERR_OK;
        g_autofree char *msg = g_strdup(last_message());
        /* destroyed or stopped under the call: the guest is gone */
        bool gone = code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID;
        g_set_error(error, QMP_ERROR, gone ? QMP_ERROR_GONE : QMP_ERROR_IO,
                    "QMP through libvirt (domain '%s') failed: %s", virDomainGetName(dom), msg);
        return NULL;
    }
    /* libvirt's string is malloc'ed: the caller frees with g_free */
    char *copy = g_strdup(reply);
    free(reply);
    return copy;
}

static void unref_domain(void *data)
{
    virDomainFree(data);
}

qmp_t *qmp_connect_libvirt(virDomainPtr dom, GError **error)
{
    g_return_val_if_fail(dom != NULL, NULL);
    if (!libvirt_load(error))
        return NULL;
    if (virDomainRef(dom) < 0) {
        g_set_error(error, QMP_ERROR, QMP_ERROR_IO, "libvirt: %s", last_message());
        return NULL;
    }
    qmp_t *q = qmp_new_relayed(relay_monitor, dom, unref_domain);
    /* one command now, so that a domain libvirt cannot reach the monitor
     * of fails here rather than at the first use */
    bool running;
    if (!qmp_query_running(q, &running, error)) {
        qmp_free(q);
        return NULL;
    }
    return q;
}

qmp_t *kvm_libvirt_qmp(kvm_libvirt_t *lv, GError **error)
{
    return qmp_connect_libvirt(lv->dom, error);
}

/* ------------------------------------------------------------ pid */

/* The value of option @opt (the argument after it) in a NUL-separated
 * command line, or NULL.  The first occurrence counts (QEMU refuses a
 * second -uuid; a second -name would be a different spelling). */
static const char *cmdline_value(const char *text, size_t len, const char *opt)
{
    for (size_t i = 0; i < len;) {
        const char *arg = text + i;
        size_t alen = strnlen(arg, len - i);
        if (alen == len - i)
            return NULL;    /* unterminated: not a kernel-made cmdline */
        size_t next = i + alen + 1;
        if (strcmp(arg, opt) == 0) {
            if (next >= len || strnlen(text + next, len - next) == len - next)
                return NULL;
            return text + next;
        }
        i = next;
    }
    return NULL;
}

bool kvm_libvirt_is_qemu_of(const char *exe, const char *cmdline, size_t len, const char *uuid,
                            const char *name)
{
    if (!exe || !cmdline || !uuid || !name)
        return false;
    /* a deleted binary (upgraded under a running guest) reads "... (deleted)" */
    g_autofree char *base = g_path_get_basename(exe);
    char *del = g_strrstr(base, " (deleted)");
    if (del && del[strlen(" (deleted)")] == '\0')
        *del = '\0';
    if (!g_str_has_prefix(base, "qemu-system-") && strcmp(base, "qemu-kvm") != 0)
        return false;
    const char *u = cmdline_value(cmdline, len, "-uuid");
    if (!u || g_ascii_strcasecmp(u, uuid) != 0)
        return false;
    const char *n = cmdline_value(cmdline, len, "-name");
    if (!n)
        return false;
    /* "guest=NAME,debug-threads=on" (libvirt) or "NAME,..."; a comma in a
     * name is written ",," */
    if (g_str_has_prefix(n, "guest="))
        n += strlen("guest=");
    GString *got = g_string_new(NULL);
    for (const char *c = n; *c; c++) {
        if (*c == ',') {
            if (c[1] != ',')
                break;
            c++;
        }
        g_string_append_c(got, *c);
    }
    bool same = strcmp(got->str, name) == 0;
    g_string_free(got, TRUE);
    return same;
}

/* Whether process @pid is libvirt's QEMU of @lv (see kvm_libvirt_is_qemu_of):
 * without read access to its executable link, it cannot be told. */
static bool pid_is_qemu_of(int pid, const kvm_libvirt_t *lv)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", pid);
    g_autofree char *exe_link = g_strdup_printf("/proc/%d/exe", pid);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, NULL) || len > MAX_CMDLINE)
        return false;
    g_autofree char *exe = g_file_read_link(exe_link, NULL);
    return kvm_libvirt_is_qemu_of(exe, text, len, lv->uuid, lv->name);
}

int kvm_libvirt_pid(kvm_libvirt_t *lv, GError **error)
{
    g_autofree char *pidfile = g_strdup_printf(LIBVIRT_QEMU_RUN_DIR "/%s.pid", lv->name);
    g_autofree char *text = NULL;
    guint64 pid;
    /* checked against the UUID: the file of an earlier run may name
     * another process by now */
    if (g_file_get_contents(pidfile, &text, NULL, NULL) &&
        g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXINT, &pid, NULL) &&
        pid_is_qemu_of((int)pid, lv))
        return (int)pid;

    /* Other daemons (session, modular) keep the file elsewhere: a search
     * of /proc, where anyone can start a process with `-uuid X` on its
     * command line.  Only a QEMU executable with this domain's -uuid and
     * -name counts, and only when it is the only one. */
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *entry;
    int found = 0, matches = 0;
    while (proc && (entry = g_dir_read_name(proc)) != NULL) {
        if (g_ascii_string_to_unsigned(entry, 10, 1, G_MAXINT, &pid, NULL) &&
            pid_is_qemu_of((int)pid, lv)) {
            found = (int)pid;
            matches++;
        }
    }
    if (matches == 1)
        return found;
    if (matches > 1) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "QEMU's process for libvirt domain '%s' cannot be told: %d QEMU processes "
                    "have -uuid %s and its -name (no %s)", lv->name, matches, lv->uuid, pidfile);
        return 0;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                "QEMU's process for libvirt domain '%s' was not found (no %s, no QEMU process "
                "with -uuid %s and -name guest=%s whose executable can be read: a remote "
                "libvirt, or not root?)", lv->name, pidfile, lv->uuid, lv->name);
    return 0;
}

/* ------------------------------------------------------------ gdbstub */

/* A gdb_client address for QEMU's `-gdb DEV`: "unix:PATH[,opts]" gives
 * PATH, "tcp:[HOST]:PORT[,opts]" and "PORT" give tcp:HOST:PORT (an empty
 * host is every local address to QEMU: the loopback one to us).  Other
 * chardevs are not reachable from here. */
static char *gdb_address_of(const char *dev)
{
    g_autofree char *spec = g_strdup(dev);
    char *comma = strchr(spec, ',');
    if (comma)
        *comma = '\0';
    guint64 port;
    if (g_str_has_prefix(spec, "unix:") && spec[5])
        return g_strdup(spec + 5);
    if (g_ascii_string_to_unsigned(spec, 10, 1, 65535, &port, NULL))
        return g_strdup_printf("tcp:127.0.0.1:%u", (unsigned)port);
    if (g_str_has_prefix(spec, "tcp:")) {
        const char *host = spec + 4, *colon = strrchr(host, ':');
        if (colon && g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL)) {
            g_autofree char *h = g_strndup(host, (size_t)(colon - host));
            return g_strdup_printf("tcp:%s:%u", *h ? h : "127.0.0.1", (unsigned)port);
        }
    }
    return NULL;
}

/* The values of <qemu:commandline><qemu:arg value='...'/> in a domain XML,
 * read with GMarkup: the element prefix is whatever the document binds to
 * libvirt's qemu namespace (libvirt itself writes "qemu"). */
typedef struct {
    char *prefix;       /* "qemu:" once bound */
    bool in_cmdline;
    GPtrArray *args;
} cmdline_scan_t;

static void scan_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
                       const char **attr_values, gpointer data, GError **error)
{
    (void)error;
    cmdline_scan_t *s = data;
    for (int i = 0; attr_names[i]; i++)
        if (g_str_has_prefix(attr_names[i], "xmlns:") && strcmp(attr_values[i], QEMU_XML_NS) == 0) {
            g_free(s->prefix);
            s->prefix = g_strdup_printf("%s:", attr_names[i] + 6);
        }
    guint depth = g_slist_length((GSList *)g_markup_parse_context_get_element_stack(ctx));
    if (!s->prefix || !g_str_has_prefix(name, s->prefix))
        return;
    const char *local = name + strlen(s->prefix);
    if (depth == 2 && strcmp(local, "commandline") == 0) {
        s->in_cmdline = true;
    } else if (depth == 3 && s->in_cmdline && strcmp(local, "arg") == 0) {
        for (int i = 0; attr_names[i]; i++)
            if (strcmp(attr_names[i], "value") == 0)
                g_ptr_array_add(s->args, g_strdup(attr_values[i]));
    }
}

static void scan_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
    (void)error;
    cmdline_scan_t *s = data;
    guint depth = g_slist_length((GSList *)g_markup_parse_context_get_element_stack(ctx));
    if (depth == 2 && s->in_cmdline && s->prefix && g_str_has_prefix(name, s->prefix))
        s->in_cmdline = false;
}

char *kvm_libvirt_gdb_from_xml(const char *xml, GError **error)
{
    static const GMarkupParser parser = { scan_start, scan_end, NULL, NULL, NULL };
    cmdline_scan_t scan = { NULL, false, g_ptr_array_new_with_free_func(g_free) };
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &scan, NULL);
    g_autoptr(GError) parse_error = NULL;
    bool ok = g_markup_parse_context_parse(ctx, xml, -1, &parse_error) &&
              g_markup_parse_context_end_parse(ctx, &parse_error);
    g_markup_parse_context_free(ctx);
    g_free(scan.prefix);
    g_autoptr(GPtrArray) args = scan.args;
    if (!ok) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "the domain XML is not well-formed: %s",
                    parse_error->message);
        return NULL;
    }
    char *address = NULL;
    for (guint i = 0; i < args->len && !address; i++) {
        const char *arg = args->pdata[i];
        if (strcmp(arg, "-s") == 0 || strcmp(arg, "--s") == 0) {
            /* QEMU's shorthand for -gdb tcp::1234 */
            address = g_strdup("tcp:127.0.0.1:1234");
        } else if ((strcmp(arg, "-gdb") == 0 || strcmp(arg, "--gdb") == 0) && i + 1 < args->len) {
            const char *dev = args->pdata[i + 1];
            address = gdb_address_of(dev);
            if (!address)
                g_debug("kvm: the domain's gdbstub '%s' is not a unix or tcp socket: not used",
                        dev);
            i++;
        }
    }
    return address;
}

char *kvm_libvirt_gdb_address(kvm_libvirt_t *lv, GError **error)
{
    char *xml = virDomainGetXMLDesc(lv->dom, 0);
    if (!xml) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "libvirt domain '%s': no XML: %s", lv->name,
                    last_message());
        return NULL;
    }
    char *address = kvm_libvirt_gdb_from_xml(xml, error);
    free(xml);
    return address;
}
