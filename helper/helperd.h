/*
 * helperd.h - vmi-helperd, the host helper daemon: what its files share.
 *
 *   vmi-helperd.c     main: options, the bus, the Manager and ObjectManager
 *                     objects (and their method tables), libvirt
 *                     connections and lifecycle events
 *   helperd-auth.c    who may call: root or group libvmi, from the bus
 *   helperd-config.c  the configuration file (GKeyFile)
 *   helperd-domain.c  one D-Bus object per domain (publishing, properties)
 *   helperd-iface.c   the Domain interface: its method table, the checks of
 *                     a call, the method handlers
 *   helperd-worker.c  a domain's worker thread and job queue: it owns the
 *                     domain's libvmi instance (helperd-worker.h)
 *   helperd-virt.c    libvirt: run states, errors, the domain XML (Enable,
 *                     Disable), the gdbstub directory, the memory dump
 *   helperd-methods.c method tables checked against the interface XML
 *   helperd-xen.c     Xen: the domUs of xenstore, beside libvirt's domains
 *                     (helperd-xen.h; the list itself: helperd-xen-list.c)
 *   helperd-util.c    logging, D-Bus errors (and the one table that maps
 *                     libvmi's and libvirt's error kinds to them), files
 *                     created for a caller
 *   vmi-domain-ops.c  the Domain operations on a libvmi instance (reads,
 *                     translations, processes, registers, property names),
 *                     shared with virt-vmi's direct mode
 *
 * Threads: everything D-Bus and libvirt-event related runs on the main
 * loop (libvirt-glib puts libvirt's events there).  Each domain has one
 * worker thread that serialises every libvmi call on the domain's
 * instance and replies to method calls itself; it hands property changes
 * back to the main loop (g_main_context_invoke).
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>
#include <libvmi/libvmi.h>
#include "vmi-domxml.h"
#include "helperd-xen.h"

G_BEGIN_DECLS

#define HELPERD_BUS_NAME       "org.libvmi.helper1"
#define HELPERD_MANAGER_PATH   "/org/libvmi/helper1"
#define HELPERD_DOMAIN_PREFIX  "/org/libvmi/helper1/domain"
#define HELPERD_MANAGER_IFACE  "org.libvmi.helper1.Manager"
#define HELPERD_DOMAIN_IFACE   "org.libvmi.helper1.Domain"
#define HELPERD_OM_IFACE       "org.freedesktop.DBus.ObjectManager"
#define HELPERD_PROPS_IFACE    "org.freedesktop.DBus.Properties"

#define HELPERD_DEFAULT_URI         "qemu:///system"
#define HELPERD_DEFAULT_READ_LIMIT  (16u << 20)
#define HELPERD_MAX_READ_LIMIT      (64u << 20)     /* what read_limit may be raised to */
#define HELPERD_INLINE_MAX_READ     (64u << 10)     /* a bigger read is never inline */
#define HELPERD_MAX_WATCHES         4
/* A caller's share of a domain: calls queued and not yet run (beyond: Busy),
 * and watches (half the slots, so one caller cannot take them all). */
#define HELPERD_MAX_QUEUED_PER_CALLER  32
#define HELPERD_MAX_WATCHES_PER_CALLER (HELPERD_MAX_WATCHES / 2)
#define HELPERD_DEFAULT_SNAPSHOT_TIMEOUT 600     /* s: a Snapshot's whole run */
/* s: at exit, how long each domain's worker may take to detach (its call
 * running to end, its watches cleared, a pause undone) */
#define HELPERD_STOP_WAIT_S 30
/* How long a watch waits to be re-armed after a libvirt reconnection (the
 * reopened instance must be complete first): then its owner gets WatchLost */
#define HELPERD_REARM_WAIT_S 60

/* ------------------------------------------------------------ errors */

typedef enum {
    HELPERD_ERROR_NOT_INTROSPECTABLE,
    HELPERD_ERROR_WRITES_DISABLED,
    HELPERD_ERROR_DOMAIN_GONE,
    HELPERD_ERROR_INVALID_ARGUMENT,
    HELPERD_ERROR_TOO_LARGE,
    HELPERD_ERROR_ACCESS_DENIED,
    HELPERD_ERROR_BUSY,
    HELPERD_ERROR_FAILED,
} HelperdError;

#define HELPERD_ERROR (helperd_error_quark())
GQuark helperd_error_quark(void);

/* The D-Bus error of a libvmi failure of kind @kind (vmi_get_last_error_code)
 * in a step that looked up a value the caller gave (@callers_value: an
 * address, pid, symbol, vCPU) or not. */
HelperdError helperd_error_from_vmi(vmi_error_code_t kind, gboolean callers_value);
/* The D-Bus error of libvirt's error @code (virErrorNumber), or of its last
 * error: what the code says (a domain that does not exist is DomainGone),
 * else @call, the call's own. */
HelperdError helperd_error_from_virt_code(int code, HelperdError call);
HelperdError helperd_error_from_virt(HelperdError call);

/* Replies to @inv with org.libvmi.helper1.Error.<code> and a message. */
void helperd_return_error(GDBusMethodInvocation *inv, HelperdError code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Answers a Properties Get/GetAll/Set call on @iface from @all (a{sv},
 * consumed). */
void helperd_return_properties(GDBusMethodInvocation *inv, const char *iface, GVariant *all);

/* ------------------------------------------------------------ method tables */

/* What a method needs, in its interface's method table. */
typedef enum {
    HELPERD_METHOD_ANY_TIME = 1 << 0,  /* also while the domain is not introspectable */
    HELPERD_METHOD_INLINE   = 1 << 1,  /* constant time, read only: may run on the main thread
                                        * (the rule: helperd-worker.h) */
    HELPERD_METHOD_WRITES   = 1 << 2,  /* writes guest memory: writes=true */
    HELPERD_METHOD_CONTROL  = 1 << 3,  /* changes the guest or its definition: control=true */
    HELPERD_METHOD_WATCHER  = 1 << 4,  /* the caller's leaving the bus is watched for */
    HELPERD_METHOD_NO_AUTH  = 1 << 5,  /* not behind helperd_auth_call: checks its caller itself */
} HelperdMethodFlags;

/* Whether the method table (@n @names with their in-argument @signatures,
 * e.g. "(tu)") and the interface @info name the same methods, each once,
 * with the same arguments.  FALSE with @error saying what differs. */
gboolean helperd_methods_match(GDBusInterfaceInfo *info, const char *const *names,
                               const char *const *signatures, size_t n, GError **error);
/* Whether @params (NULL: none) are of @signature; FALSE with @error (in
 * HELPERD_ERROR, InvalidArgument) otherwise. */
gboolean helperd_method_args_check(const char *method, const char *signature, GVariant *params,
                                   GError **error);

/* ------------------------------------------------------------ logging */

/* One line on stderr: "YYYY-MM-DD HH:MM:SS.mmm vmi-helperd[PID]: MESSAGE".
 * Thread-safe. */
void helperd_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Only with --verbose. */
void helperd_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
extern gboolean helperd_verbose;
/* Bench only (VMI_HELPERD_BENCH_KEEP_CACHES=1, tests/helper/bench.sh): the
 * library's translation and pid caches are kept between calls, which lets
 * stale translations reach other processes' pages on a running guest.
 * Never in production; logged at start. */
extern gboolean helperd_bench_keep_caches;
/* Routes GLib's (and libvmi's) log messages through helperd_log. */
void helperd_log_init(void);

/* ------------------------------------------------------------ config */

typedef struct {
    char *file;                 /* the file read, or NULL (defaults) */
    char **uris;                /* libvirt URIs to follow */
    guint32 read_limit;         /* bytes per read/write call */
    guint snapshot_timeout;     /* s: a Snapshot that runs longer is given up */
    char *libvmi_conf;          /* libvmi.conf with the per-domain entries */
    char **auto_enable;         /* glob patterns of domain names */
    vmi_domxml_mode_t auto_enable_mode;
    char *gdbstub_dir;          /* where gdbstub sockets go */
    GHashTable *writes;         /* domain UUID -> non-NULL: writes enabled */
    GHashTable *control;        /* domain UUID -> non-NULL: guest-changing methods allowed */
    HelperdXenMode xen;         /* follow Xen's domains (xenstore): auto, on, off */
} HelperdConfig;

/* Loads @file (NULL: the default file, which may be missing).  NULL with
 * @error set when a file is unreadable or invalid. */
HelperdConfig *helperd_config_load(const char *file, GError **error);
HelperdConfig *helperd_config_ref(HelperdConfig *cfg);
void helperd_config_unref(HelperdConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HelperdConfig, helperd_config_unref)
/* Per domain, by UUID: writes=true; control=true (or writes=true). */
gboolean helperd_config_writes(const HelperdConfig *cfg, const char *uuid);
gboolean helperd_config_control(const HelperdConfig *cfg, const char *uuid);
/* Whether @name matches one of the auto_enable patterns. */
gboolean helperd_config_auto_enable(const HelperdConfig *cfg, const char *name);

/* The configuration in force (a new reference; any thread). */
HelperdConfig *helperd_config_get(void);
void helperd_config_set(HelperdConfig *cfg);

/* ------------------------------------------------------------ the daemon */

typedef struct HelperdConn HelperdConn;
typedef struct HelperdDomain HelperdDomain;
typedef struct HelperdWorker HelperdWorker;

/* Main-loop state. */
typedef struct {
    GDBusConnection *bus;
    GMainLoop *loop;
    int exit_status;
    GDBusNodeInfo *manager_node, *domain_node, *om_node;
    GHashTable *domains;        /* object path -> HelperdDomain* */
    GHashTable *stale;          /* object path -> domain name, of removed objects */
    GQueue stale_order;         /* paths, oldest first (bounds @stale) */
    GPtrArray *conns;           /* HelperdConn* */
    GHashTable *watchers;       /* unique bus names that set watches */
    gboolean stopping;          /* exiting: calls are refused */
    const char *stop_why;       /* why ("SIGTERM", ...) */
} Helperd;

extern Helperd helperd;

/* One libvirt connection (main loop). */
struct HelperdConn {
    char *uri;
    virConnectPtr conn;         /* NULL while disconnected */
    int lifecycle_id;
    guint retry_id;
    gboolean failure_logged;
    gboolean ever_connected;
};

/* One published domain (main loop). */
struct HelperdDomain {
    char *path, *name, *uuid, *hypervisor;
    HelperdConn *conn;          /* NULL for a Xen domain */
    gboolean xen;               /* from the Xen source (helperd-xen.c) */
    guint32 domid;              /* Xen's domain ID (xen) */
    /* properties */
    char *state, *state_emitted;
    guint state_id;
    gboolean introspectable;
    char *reason;
    char *access_path, *os_type, *page_mode, *kernel_version;
    guint64 memory_size;
    gboolean writes;
    gboolean control;           /* Pause, Snapshot, Enable... allowed */
    HelperdWorker *worker;
    guint recheck_id;
    int recheck_left;
};

/* The object path of the domain with @uuid. */
char *helperd_domain_path(const char *uuid);
/* Publishes running domain @dom of @conn (or refreshes it when it is
 * published already); returns the object. */
HelperdDomain *helperd_domain_publish(HelperdConn *conn, virDomainPtr dom);
/* Publishes Xen domain @domid (helperd-xen.c); NULL when its path is
 * taken by a libvirt domain (libvirt's libxl driver names the same UUID). */
HelperdDomain *helperd_domain_publish_xen(guint32 domid, const char *name, const char *uuid);
/* Removes the object; @why goes to the log. */
void helperd_domain_remove(HelperdDomain *d, const char *why);
HelperdDomain *helperd_domain_find_uuid(const char *uuid);
HelperdDomain *helperd_domain_find_name(HelperdConn *conn, const char *name);
/* Sets State (PropertiesChanged when it changed). */
void helperd_domain_set_state(HelperdDomain *d, const char *state);
/* Re-reads whether the domain runs, now; removes it when it does not. */
void helperd_domain_recheck(HelperdDomain *d, int tries);
/* The connection came back: the worker reopens libvmi on @dom. */
void helperd_domain_reset(HelperdDomain *d, HelperdConn *conn, virDomainPtr dom);
/* A caller left the bus: its watches go. */
void helperd_domains_drop_owner(const char *owner);
/* Configuration reloaded: WritesEnabled may change. */
void helperd_domains_config_changed(void);
/* The D-Bus subtree that serves every domain object. */
gboolean helperd_domains_register(GError **error);
/* Emits PropertiesChanged with @changed (ended here). */
void helperd_domain_emit_changed(HelperdDomain *d, GVariantBuilder *changed);

/* The Domain interface (helperd-iface.c): how its calls are served, and
 * whether its method table matches the interface @info. */
extern const GDBusInterfaceVTable helperd_iface_domain_vtable;
gboolean helperd_iface_domain_check(GDBusInterfaceInfo *info, GError **error);
/* Whether a call of @method with @params (of its signature) may run inline
 * on the main thread (the rule: helperd-worker.h). */
gboolean helperd_iface_domain_inline(const char *method, GVariant *params);
/* Every domain's properties, for GetManagedObjects and InterfacesAdded. */
GVariant *helperd_domain_properties(HelperdDomain *d);
/* Stops every worker (at exit, @why: "SIGTERM", ...) and waits for each up
 * to HELPERD_STOP_WAIT_S, logging a domain that did not finish. */
void helperd_domains_shutdown(const char *why);

/* libvirt's run state as the State property names it. */
const char *helperd_state_name(int state);
/* libvirt's last error message. */
const char *helperd_virt_error(void);
/* Dumps @dom's memory as an ELF core (QEMU's dump-guest-memory, which
 * pauses the guest meanwhile) into @fd, stopping between chunks once
 * *@cancel (NULL: never).  FALSE with @message otherwise. */
gboolean helperd_virt_dump_memory(virDomainPtr dom, int fd, const gint *cancel, char **message);

/* Enables introspection in @dom's persistent XML (Enable, auto_enable);
 * @changed tells whether the XML was redefined. */
gboolean helperd_enable_domain(virDomainPtr dom, vmi_domxml_mode_t mode, const char *gdb_dir,
                               gboolean *changed, HelperdError *code, char **message);
gboolean helperd_disable_domain(virDomainPtr dom, gboolean *changed, HelperdError *code,
                                char **message);
/* Creates the directory for gdbstub sockets, writable by QEMU's user. */
gboolean helperd_ensure_gdb_dir(const char *dir, char **message);

/* ------------------------------------------------------------ authorization */

typedef void (*HelperdAuthFunc)(GDBusMethodInvocation *inv);
/* Runs @fn(@inv) once the caller is known to be root or a member of the
 * group libvmi (at once when known already); else replies AccessDenied.
 * Main loop. */
void helperd_auth_call(GDBusMethodInvocation *inv, HelperdAuthFunc fn);
/* The bus name @name left: its answer goes. */
void helperd_auth_forget(const char *name);
/* The uid of an allowed caller; FALSE when not (yet) known. */
gboolean helperd_auth_uid(const char *name, guint32 *uid);

/* ------------------------------------------------------------ utilities */

/* Creates @path as user @uid (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) in a
 * child process that takes the user's identity, and returns the open
 * descriptor (O_RDWR).  -1 with @code/@message set otherwise. */
int helperd_create_file_as(uid_t uid, const char *path, HelperdError *code, char **message);

/* Escapes @s for a quoted string of the libvmi config syntax. */
char *helperd_config_quote(const char *s);

G_END_DECLS
