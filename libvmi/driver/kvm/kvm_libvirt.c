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
 * The RAM file needs nothing from here: QOM names it through QMP as for
 * any QEMU (libvirt calls the backend "pc.ram", or "ram-node0" with NUMA,
 * and puts the file under /var/lib/libvirt/qemu/ram/ID-NAME/).
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

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
        g_set_error(error, QMP_ERROR, QMP_ERROR_IO, "QMP through libvirt (domain '%s') failed: %s",
                    virDomainGetName(dom), last_message());
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

/* Whether process @pid's command line holds `-uuid UUID`. */
static bool pid_has_uuid(int pid, const char *uuid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", pid);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, NULL) || len > MAX_CMDLINE)
        return false;
    size_t ulen = strlen(uuid);
    for (gsize i = 0; i < len; i += strlen(text + i) + 1) {
        const char *arg = text + i;
        if (strcmp(arg, "-uuid") != 0)
            continue;
        size_t next = i + strlen(arg) + 1;
        return next + ulen < len && g_ascii_strcasecmp(text + next, uuid) == 0;
    }
    return false;
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
        pid_has_uuid((int)pid, lv->uuid))
        return (int)pid;

    /* other daemons (session, modular) keep the file elsewhere */
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *entry;
    while (proc && (entry = g_dir_read_name(proc)) != NULL) {
        if (g_ascii_string_to_unsigned(entry, 10, 1, G_MAXINT, &pid, NULL) &&
            pid_has_uuid((int)pid, lv->uuid))
            return (int)pid;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                "QEMU's process for libvirt domain '%s' was not found (no %s, no process with "
                "-uuid %s: a remote libvirt?)", lv->name, pidfile, lv->uuid);
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

/* The text of node @n, in GLib's allocator (libxml2 has its own). */
static char *node_text(xmlNodePtr n)
{
    xmlChar *x = xmlNodeGetContent(n);
    char *copy = g_strdup(x ? (const char *)x : "");
    xmlFree(x);
    return copy;
}

char *kvm_libvirt_gdb_from_xml(const char *xml, GError **error)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "the domain XML is not well-formed");
        return NULL;
    }
    char *address = NULL;
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr res = NULL;
    if (ctx && xmlXPathRegisterNs(ctx, BAD_CAST "qemu", BAD_CAST QEMU_XML_NS) == 0)
        res = xmlXPathEvalExpression(BAD_CAST "/domain/qemu:commandline/qemu:arg/@value", ctx);
    int n = res && res->nodesetval ? res->nodesetval->nodeNr : 0;
    for (int i = 0; i < n && !address; i++) {
        g_autofree char *arg = node_text(res->nodesetval->nodeTab[i]);
        if (strcmp(arg, "-s") == 0 || strcmp(arg, "--s") == 0) {
            /* QEMU's shorthand for -gdb tcp::1234 */
            address = g_strdup("tcp:127.0.0.1:1234");
        } else if ((strcmp(arg, "-gdb") == 0 || strcmp(arg, "--gdb") == 0) && i + 1 < n) {
            g_autofree char *dev = node_text(res->nodesetval->nodeTab[i + 1]);
            address = gdb_address_of(dev);
            if (!address)
                g_debug("kvm: the domain's gdbstub '%s' is not a unix or tcp socket: not used",
                        dev);
            i++;
        }
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
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
