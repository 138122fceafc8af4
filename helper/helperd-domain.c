/*
 * helperd-domain.c - vmi-helperd: one D-Bus object per running domain, and
 * the worker thread that owns the domain's libvmi instance.
 *
 * The objects live in one D-Bus subtree under /org/libvmi/helper1/domain:
 * the subtree enumerates the published domains, and a call on the path of
 * a domain that was removed gets org.libvmi.helper1.Error.DomainGone
 * rather than "no such object".
 *
 * Main loop: the object (properties, registration, signals), argument
 * checks that need no guest (lengths, write permission, alignment).
 * Worker: every libvmi call.  The worker opens libvmi on the domain in two
 * steps: VMI_INIT_PARTIAL (the access path: libvirt, QMP, the RAM file),
 * then VMI_INIT_COMPLETE with the domain's libvmi.conf entry (the guest
 * kernel).  The second step fails until the guest kernel runs, so it is
 * retried every 0.5 s (and at once when a method is called); the domain is
 * Introspectable only once it succeeded.  Methods other than Enable and
 * Disable fail with NotIntrospectable until then, even those a partial
 * instance could serve (ReadPhysical, GetRegisters, Pause): the contract
 * keeps "Introspectable" a single, simple promise.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gunixfdlist.h>
#include <libvirt/virterror.h>

#include "helperd.h"

#define RETRY_FAST_US      (500 * 1000)        /* while the guest boots */
#define RETRY_FAST_FOR_US  (300 * G_USEC_PER_SEC)
#define RETRY_SLOW_US      (5 * G_USEC_PER_SEC)
#define RETRY_NO_ENTRY_US  (5 * G_USEC_PER_SEC)
#define RETRY_ON_CALL_US   (100 * 1000)        /* a call retries at most this often */
#define REOPEN_EVERY       8                   /* failed completions before a fresh open */
#define LISTEN_MS          100
#define MAX_STALE          4096

/* ============================================================ the worker */

typedef enum { JOB_CALL, JOB_RESET, JOB_DROP_OWNER, JOB_STOP } JobKind;

typedef struct {
    JobKind kind;
    GDBusMethodInvocation *inv;     /* JOB_CALL */
    char *owner;                    /* JOB_DROP_OWNER */
    virDomainPtr dom;               /* JOB_RESET */
    char *uri;                      /* JOB_RESET */
} Job;

typedef struct {
    guint id;
    char *owner;
    addr_t addr;
    char access[3];
    vmi_event_t event;
    HelperdWorker *w;
} Watch;

typedef struct {
    guint id;
    char *owner;
    guint64 gla, gpa;
    char access[3];
    guint32 vcpu;
} Hit;

struct HelperdWorker {
    guint64 serial;
    GAsyncQueue *queue;
    GThread *thread;
    gint stopping;
    char *name, *uuid, *path;
    GMutex lock;                /* dom, uri */
    virDomainPtr dom;
    char *uri;
    /* the worker thread's own */
    vmi_instance_t vmi;
    gboolean complete;
    gboolean gone;
    char *reason;
    char *last_logged;
    gboolean zero_config;       /* no libvmi.conf entry: ostype "Linux" alone */
    guint zero_fails;
    gint64 first_try, next_try, last_try, last_log;
    guint tries;
    GPtrArray *watches;         /* Watch* */
    guint next_watch_id;
    GArray *hits;               /* Hit */
    char *paused_by;            /* the bus name whose Pause paused the domain */
    /* The instance is used under `run`: by the worker for every job, and by
     * the main thread for a read-only call when `fast` says the instance is
     * complete on a path that never waits for the guest (shm, process), no
     * watch is armed and the queue is empty. That call then costs no thread
     * hop (see worker_try_inline). */
    GMutex run;
    gint fast;
};

static gint live_workers;
static guint64 next_serial = 1;

static void job_free(Job *j)
{
    if (j->dom)
        virDomainFree(j->dom);
    g_free(j->owner);
    g_free(j->uri);
    g_free(j);
}

static virDomainPtr worker_dom(HelperdWorker *w)
{
    g_mutex_lock(&w->lock);
    virDomainPtr dom = w->dom;
    if (dom)
        virDomainRef(dom);
    g_mutex_unlock(&w->lock);
    return dom;
}

static char *worker_uri(HelperdWorker *w)
{
    g_mutex_lock(&w->lock);
    char *uri = g_strdup(w->uri);
    g_mutex_unlock(&w->lock);
    return uri;
}

/* ------------------------------------------------------------ to the main loop */

typedef struct {
    guint64 serial;
    char *path;
    gboolean introspectable;
    char *reason, *access_path, *os_type, *page_mode, *kernel_version;
    guint64 memory_size;
} PropsMsg;

static void props_msg_free(PropsMsg *m)
{
    g_free(m->path);
    g_free(m->reason);
    g_free(m->access_path);
    g_free(m->os_type);
    g_free(m->page_mode);
    g_free(m->kernel_version);
    g_free(m);
}

static void emit_changed(HelperdDomain *d, GVariantBuilder *changed);

static gboolean props_apply(gpointer data)
{
    PropsMsg *m = data;
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, m->path);
    if (!d || !d->worker || d->worker->serial != m->serial)
        return G_SOURCE_REMOVE;
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    gboolean any = FALSE;
#define SET_STR(field, prop)                                                      \
    if (g_strcmp0(d->field, m->field) != 0) {                                     \
        g_free(d->field);                                                         \
        d->field = g_strdup(m->field);                                            \
        g_variant_builder_add(&b, "{sv}", prop, g_variant_new_string(d->field));  \
        any = TRUE;                                                               \
    }
    if (d->introspectable != m->introspectable) {
        d->introspectable = m->introspectable;
        g_variant_builder_add(&b, "{sv}", "Introspectable", g_variant_new_boolean(d->introspectable));
        any = TRUE;
    }
    SET_STR(reason, "IntrospectableReason");
    SET_STR(access_path, "AccessPath");
    SET_STR(os_type, "OSType");
    SET_STR(page_mode, "PageMode");
    SET_STR(kernel_version, "KernelVersion");
#undef SET_STR
    if (d->memory_size != m->memory_size) {
        d->memory_size = m->memory_size;
        g_variant_builder_add(&b, "{sv}", "MemorySize", g_variant_new_uint64(d->memory_size));
        any = TRUE;
    }
    if (any)
        emit_changed(d, &b);
    else
        g_variant_builder_clear(&b);
    return G_SOURCE_REMOVE;
}

static const char *os_name(os_t os)
{
    switch (os) {
    case VMI_OS_LINUX: return "linux";
    case VMI_OS_WINDOWS: return "windows";
    default: return "unknown";
    }
}

static const char *page_mode_name(page_mode_t pm)
{
    switch (pm) {
    case VMI_PM_LEGACY: return "legacy";
    case VMI_PM_PAE: return "pae";
    case VMI_PM_IA32E: return "ia32e";
    case VMI_PM_LA57: return "la57";
    default: return "unknown";
    }
}

/* The guest's banner, bounded and valid UTF-8. */
static char *kernel_version_of(vmi_instance_t vmi)
{
    g_autofree char *raw = vmi_get_kernel_version(vmi);
    if (!raw)
        return g_strdup("");
    size_t len = strnlen(raw, HELPERD_MAX_KERNEL_VERSION);
    while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\r' || raw[len - 1] == ' '))
        len--;
    g_autofree char *valid = g_utf8_make_valid(raw, (gssize)len);
    /* cutting a multi-byte character at 256 bytes left a U+FFFD: fine */
    return g_steal_pointer(&valid);
}

/* Sends the worker's view of the properties to the main loop. */
static void worker_publish_props(HelperdWorker *w)
{
    PropsMsg *m = g_new0(PropsMsg, 1);
    m->serial = w->serial;
    m->path = g_strdup(w->path);
    m->introspectable = w->complete && !w->gone;
    m->reason = g_strdup(m->introspectable ? "" : w->reason ? w->reason : "");
    m->access_path = g_strdup(w->vmi ? vmi_get_access_path(w->vmi) : "");
    if (w->vmi && strcmp(m->access_path, "none") == 0)
        m->access_path[0] = '\0';
    m->os_type = g_strdup(w->complete ? os_name(vmi_get_ostype(w->vmi)) : "unknown");
    m->page_mode = g_strdup(w->complete ? page_mode_name(vmi_get_page_mode(w->vmi)) : "unknown");
    m->kernel_version = w->complete ? kernel_version_of(w->vmi) : g_strdup("");
    m->memory_size = w->vmi ? vmi_get_memsize(w->vmi) : 0;
    if (m->introspectable)
        helperd_log("domain %s introspectable: access path %s, %s, %s, %" G_GUINT64_FORMAT
                    " MiB, %s", w->name, m->access_path, m->os_type, m->page_mode,
                    m->memory_size >> 20, *m->kernel_version ? m->kernel_version : "kernel version unknown");
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, props_apply, m,
                               (GDestroyNotify)props_msg_free);
}

static gboolean recheck_path(gpointer data)
{
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, (const char *)data);
    if (d)
        helperd_domain_recheck(d, 3);
    return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------ gone */

static gboolean last_virt_no_domain(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->code == VIR_ERR_NO_DOMAIN;
}

/* After a failure: whether it is because the domain went away.  When it
 * is, the main loop is told to look (it removes the object). */
static gboolean worker_check_gone(HelperdWorker *w, const char *err)
{
    if (w->gone)
        return TRUE;
    if (g_atomic_int_get(&w->stopping) || (err && strstr(err, "the guest is gone"))) {
        w->gone = TRUE;
    } else {
        virDomainPtr dom = worker_dom(w);
        if (dom) {
            int active = virDomainIsActive(dom);
            if (active == 0 || (active < 0 && last_virt_no_domain()))
                w->gone = TRUE;
            virDomainFree(dom);
        }
    }
    if (w->gone) {
        helperd_log("domain %s is gone%s%s", w->name, err ? ": " : "", err ? err : "");
        /* always from the main loop, later: this may run on the main
         * thread itself (an inline call), inside the object's handler */
        g_idle_add_full(G_PRIORITY_DEFAULT, recheck_path, g_strdup(w->path), g_free);
    }
    return w->gone;
}

/* Replies with @code, or DomainGone when the failure is the domain's
 * going away. */
static void worker_fail(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdError code,
                        const char *err, const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static void worker_fail(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdError code,
                        const char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (code != HELPERD_ERROR_DOMAIN_GONE && worker_check_gone(w, err)) {
        helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE,
                             "Domain '%s' is gone (stopped or undefined) while the call ran: %s",
                             w->name, msg);
        return;
    }
    helperd_return_error(inv, code, "%s", msg);
}

/* ------------------------------------------------------------ opening libvmi */

static void watches_clear(HelperdWorker *w);

static void worker_close(HelperdWorker *w)
{
    watches_clear(w);
    if (w->vmi)
        vmi_destroy(w->vmi);
    w->vmi = NULL;
    w->complete = FALSE;
}

static void worker_set_reason(HelperdWorker *w, char *reason)
{
    g_free(w->reason);
    w->reason = reason;
    /* a new reason is logged, but a guest that boots gives a slightly
     * different one every attempt: one line per 10 s at most */
    gint64 now = g_get_monotonic_time();
    if (g_strcmp0(w->last_logged, reason) != 0 &&
        (!w->last_logged || now - w->last_log >= 10 * G_USEC_PER_SEC)) {
        helperd_log("domain %s not introspectable: %s", w->name, reason);
        g_free(w->last_logged);
        w->last_logged = g_strdup(reason);
        w->last_log = now;
    }
}

/* The libvmi.conf entry of the domain (by name, else UUID) as a config
 * string, or NULL with the reason set. */
static char *worker_entry(HelperdWorker *w, const HelperdConfig *cfg)
{
    char *entry = vmi_config_read_entry(cfg->libvmi_conf, w->name);
    if (entry) {
        w->zero_config = FALSE;
        return entry;
    }
    g_autofree char *why = g_strdup(vmi_get_last_error(NULL));
    if (!g_str_has_prefix(why, "no entry for"))
        goto fail;
    entry = vmi_config_read_entry(cfg->libvmi_conf, w->uuid);
    if (entry) {
        w->zero_config = FALSE;
        return entry;
    }
    if (!g_str_has_prefix(vmi_get_last_error(NULL), "no entry for")) {
        g_free(why);
        why = g_strdup(vmi_get_last_error(NULL));
        goto fail;
    }
    /* zero-config: a Linux guest's kernel is found from its memory alone
     * (kallsyms, BTF) by a library that can; tried with backoff */
    if (!w->zero_config)
        helperd_log("domain %s has no entry in %s: trying zero-config (ostype = \"Linux\" alone)",
                    w->name, cfg->libvmi_conf);
    w->zero_config = TRUE;
    return g_strdup("ostype = \"Linux\";\n");
fail:
    worker_set_reason(w, g_strdup_printf("Domain '%s' cannot be introspected: %s.", w->name, why));
    return NULL;
}

static char *worker_config(HelperdWorker *w, const char *entry)
{
    g_autofree char *uri = worker_uri(w);
    g_autofree char *quri = helperd_config_quote(uri ? uri : HELPERD_DEFAULT_URI);
    return g_strdup_printf("%s\nname = \"%s\";\nuri = \"%s\";\n", entry ? entry : "", w->uuid, quri);
}

/* libvirt's test driver (test:///default, the hermetic tests) runs no
 * QEMU: a domain of it is opened as the snapshot file its libvmi.conf
 * entry names with "path", else not at all.  Never the case on a host. */
static gboolean worker_on_test_driver(HelperdWorker *w)
{
    virDomainPtr dom = worker_dom(w);
    const char *type = dom ? virConnectGetType(virDomainGetConnect(dom)) : NULL;
    gboolean test = type && g_ascii_strcasecmp(type, "TEST") == 0;
    if (dom)
        virDomainFree(dom);
    return test;
}

/* One attempt; TRUE when the instance is complete. */
static gboolean worker_try_init(HelperdWorker *w)
{
    gint64 now = g_get_monotonic_time();
    if (!w->first_try)
        w->first_try = now;
    w->last_try = now;
    w->tries++;
    gint64 retry = now - w->first_try < RETRY_FAST_FOR_US ? RETRY_FAST_US : RETRY_SLOW_US;
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    g_autofree char *entry = worker_entry(w, cfg);
    if (w->zero_config && now - w->first_try >= RETRY_FAST_FOR_US) {
        /* past the boot: backoff 5 s, 10 s, ... at most 5 min between tries */
        retry = MIN(RETRY_NO_ENTRY_US << MIN(w->zero_fails, 6u), 300 * G_USEC_PER_SEC);
        w->zero_fails++;
    }
    if (!entry) {
        if (w->vmi)
            worker_close(w);
        w->next_try = now + RETRY_NO_ENTRY_US;
        worker_publish_props(w);
        return FALSE;
    }
    gboolean test_driver = worker_on_test_driver(w);
    /* the test driver's snapshot is named by the entry's path, not by name */
    g_autofree char *config = test_driver ? g_strdup(entry) : worker_config(w, entry);
    if (!w->vmi) {
        g_autofree char *partial = worker_config(w, NULL);
        vmi_instance_t vmi = NULL;
        uint32_t mode = VMI_KVM;
        if (test_driver) {
            mode = VMI_FILE;
            g_free(partial);
            partial = g_strdup(config);     /* the snapshot's path is in the entry */
        }
        if (vmi_init_custom(&vmi, mode | VMI_INIT_PARTIAL | VMI_CONFIG_STRING, partial)
            != VMI_SUCCESS) {
            const char *err = vmi_get_last_error(NULL);
            if (worker_check_gone(w, err))
                return FALSE;
            if (w->zero_config)
                worker_set_reason(w, g_strdup_printf("Domain '%s' has no entry in %s; tried with "
                                                     "ostype = \"Linux\" alone (zero-config, next "
                                                     "try in %d s): cannot be reached: %s.", w->name,
                                                     cfg->libvmi_conf, (int)(retry / G_USEC_PER_SEC),
                                                     err));
            else
                worker_set_reason(w, g_strdup_printf("Domain '%s' cannot be reached: %s.", w->name, err));
            w->next_try = now + retry;
            worker_publish_props(w);
            return FALSE;
        }
        w->vmi = vmi;
        helperd_debug("domain %s: libvmi reaches it through %s", w->name, vmi_get_access_path(vmi));
    }
    if (vmi_init_complete_custom(&w->vmi, VMI_CONFIG_STRING, config) != VMI_SUCCESS) {
        g_autofree char *err = g_strdup(vmi_get_last_error(w->vmi));
        if (worker_check_gone(w, err)) {
            worker_close(w);
            return FALSE;
        }
        if (w->zero_config)
            worker_set_reason(w, g_strdup_printf("Domain '%s' has no entry in %s; tried with "
                                                 "ostype = \"Linux\" alone (zero-config, next try "
                                                 "in %d s): %s.", w->name, cfg->libvmi_conf,
                                                 (int)(retry / G_USEC_PER_SEC), err));
        else
            worker_set_reason(w, g_strdup_printf("Domain '%s': guest kernel not found yet: %s.",
                                                 w->name, err));
        /* a guest caught early in its boot may have shown the partial
         * instance a paging mode it left since: open afresh now and then */
        if (w->tries % REOPEN_EVERY == 0)
            worker_close(w);
        w->next_try = now + retry;
        worker_publish_props(w);
        return FALSE;
    }
    w->complete = TRUE;
    w->zero_fails = 0;
    g_clear_pointer(&w->reason, g_free);
    g_clear_pointer(&w->last_logged, g_free);
    worker_publish_props(w);
    return TRUE;
}

/* ------------------------------------------------------------ watches */

static void watch_free(Watch *wt)
{
    g_free(wt->owner);
    g_free(wt);
}

static void watches_clear(HelperdWorker *w)
{
    for (guint i = 0; i < w->watches->len; i++) {
        Watch *wt = w->watches->pdata[i];
        if (w->vmi && !w->gone)
            vmi_clear_event(w->vmi, &wt->event);
    }
    /* the events are ours: libvmi forgets them when the instance goes */
    g_ptr_array_set_size(w->watches, 0);
    for (guint i = 0; i < w->hits->len; i++)
        g_free(g_array_index(w->hits, Hit, i).owner);
    g_array_set_size(w->hits, 0);
}

static void watch_hit(vmi_instance_t vmi, vmi_event_t *ev)
{
    Watch *wt = ev->data;
    Hit h = { .id = wt->id, .vcpu = ev->vcpu_id };
    if (ev->type == VMI_EVENT_MEMORY) {
        h.gla = ev->mem_event.gla;
        h.gpa = ev->mem_event.gfn ? (ev->mem_event.gfn << 12) | ev->mem_event.offset : G_MAXUINT64;
        const char *a = ev->mem_event.out_access == VMI_MEMACCESS_W ? "w" :
                        ev->mem_event.out_access == VMI_MEMACCESS_R ? "r" : "rw";
        g_strlcpy(h.access, a, sizeof(h.access));
    } else {
        h.gla = ev->interrupt_event.gla;
        h.gpa = ev->interrupt_event.gfn ? (ev->interrupt_event.gfn << 12) | (h.gla & 0xfff)
                                        : G_MAXUINT64;
        g_strlcpy(h.access, "x", sizeof(h.access));
    }
    if (h.gpa == G_MAXUINT64) {
        addr_t pa = vmi_translate_kv2p(vmi, h.gla);
        if (pa)
            h.gpa = pa;
    }
    if (wt->w->hits->len < 1024) {
        h.owner = g_strdup(wt->owner);
        g_array_append_val(wt->w->hits, h);
    }
}

/* The vCPU runs again by now: tell the watchers. */
static void watches_emit(HelperdWorker *w)
{
    for (guint i = 0; i < w->hits->len; i++) {
        Hit *h = &g_array_index(w->hits, Hit, i);
        helperd_debug("domain %s: watch %u hit at 0x%" G_GINT64_MODIFIER "x (%s, vCPU %u)",
                      w->name, h->id, h->gla, h->access, h->vcpu);
        g_dbus_connection_emit_signal(helperd.bus, h->owner, w->path, HELPERD_DOMAIN_IFACE,
                                      "MemoryEvent",
                                      g_variant_new("(uttsu)", h->id, h->gla, h->gpa, h->access,
                                                    h->vcpu), NULL);
        g_free(h->owner);
    }
    g_array_set_size(w->hits, 0);
}

static void worker_listen(HelperdWorker *w)
{
    if (vmi_events_listen(w->vmi, LISTEN_MS) != VMI_SUCCESS) {
        g_autofree char *err = g_strdup(vmi_get_last_error(w->vmi));
        if (worker_check_gone(w, err)) {
            watches_clear(w);       /* gone: libvmi's slots die with the instance */
            return;
        }
        helperd_log("domain %s: waiting for watch events failed: %s", w->name, err);
        g_usleep(LISTEN_MS * 1000);
    }
    watches_emit(w);
}

typedef struct {
    char *path;
    const char *state;
} StateMsg;

static gboolean state_apply(gpointer data)
{
    StateMsg *m = data;
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, m->path);
    if (d)
        helperd_domain_set_state(d, m->state);
    g_free(m->path);
    g_free(m);
    return G_SOURCE_REMOVE;
}

/* The caller that paused the domain is gone (or the daemon exits): the
 * guest runs again. */
static void worker_resume_pauser(HelperdWorker *w, const char *why)
{
    if (!w->paused_by)
        return;
    g_autofree char *who = g_steal_pointer(&w->paused_by);
    virDomainPtr dom = worker_dom(w);
    int state = VIR_DOMAIN_NOSTATE;
    if (dom && virDomainGetState(dom, &state, NULL, 0) == 0 && state == VIR_DOMAIN_PAUSED) {
        if (virDomainResume(dom) == 0) {
            helperd_log("domain %s resumed: %s paused it and %s", w->name, who, why);
            StateMsg *m = g_new0(StateMsg, 1);
            m->path = g_strdup(w->path);
            m->state = "running";
            g_main_context_invoke(NULL, state_apply, m);
        } else {
            helperd_log("domain %s: %s paused it and %s, but resuming failed: %s", w->name, who,
                        why, helperd_virt_error());
        }
    }
    if (dom)
        virDomainFree(dom);
}

static void watches_drop_owner(HelperdWorker *w, const char *owner)
{
    if (g_strcmp0(w->paused_by, owner) == 0)
        worker_resume_pauser(w, "left the bus");
    for (guint i = w->watches->len; i-- > 0;) {
        Watch *wt = w->watches->pdata[i];
        if (strcmp(wt->owner, owner) != 0)
            continue;
        if (w->vmi && !w->gone)
            vmi_clear_event(w->vmi, &wt->event);
        helperd_log("domain %s: watch %u removed: its owner %s left the bus", w->name, wt->id, owner);
        g_ptr_array_remove_index(w->watches, i);
    }
}

/* ------------------------------------------------------------ methods */

typedef void (*MethodFunc)(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params);

static GVariant *bytes_reply(guint8 *buf, gsize len)
{
    GVariant *ay = g_variant_new_from_data(G_VARIANT_TYPE_BYTESTRING, buf, len, TRUE, g_free, buf);
    return g_variant_new_tuple(&ay, 1);
}

static gboolean check_pid(HelperdWorker *w, GDBusMethodInvocation *inv, gint32 pid)
{
    if (pid < 0) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT,
                             "Domain '%s': pid %d is not a process id.", w->name, pid);
        return FALSE;
    }
    if (pid > 0 && vmi_pid_to_dtb(w->vmi, pid) == 0) {
        worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                    "Domain '%s' has no process with pid %d.", w->name, pid);
        return FALSE;
    }
    return TRUE;
}

static void m_read_physical(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    guint32 len;
    g_variant_get(params, "(tu)", &addr, &len);
    if (len && addr + len - 1 < addr) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': %u bytes at "
                             "0x%" G_GINT64_MODIFIER "x run past the end of the address space.",
                             w->name, len, addr);
        return;
    }
    guint8 *buf = g_malloc(len ? len : 1);
    size_t n = len ? vmi_read_pa(w->vmi, addr, buf, len) : 0;
    if (n < len) {
        g_free(buf);
        worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                    "Domain '%s': cannot read %u bytes at physical address 0x%" G_GINT64_MODIFIER
                    "x: 0x%" G_GINT64_MODIFIER "x is not in guest RAM (%s).", w->name, len, addr,
                    addr + n, vmi_get_last_error(w->vmi));
        return;
    }
    g_dbus_method_invocation_return_value(inv, bytes_reply(buf, len));
}

static void read_virtual(HelperdWorker *w, GDBusMethodInvocation *inv, guint64 addr, gint32 pid,
                         guint32 len, const char *what)
{
    if (len && addr + len - 1 < addr) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': %u bytes at "
                             "0x%" G_GINT64_MODIFIER "x run past the end of the address space.",
                             w->name, len, addr);
        return;
    }
    guint8 *buf = g_malloc(len ? len : 1);
    size_t n = len ? vmi_read_va(w->vmi, addr, pid, buf, len) : 0;
    if (n < len) {
        g_free(buf);
        worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                    "Domain '%s': cannot read %u bytes at %s0x%" G_GINT64_MODIFIER "x (pid %d): "
                    "the page at 0x%" G_GINT64_MODIFIER "x is not mapped (%s).", w->name, len,
                    what, addr, pid, (addr + n) & ~(guint64)0xfff, vmi_get_last_error(w->vmi));
        return;
    }
    g_dbus_method_invocation_return_value(inv, bytes_reply(buf, len));
}

static void m_read_virtual(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    gint32 pid;
    guint32 len;
    g_variant_get(params, "(tiu)", &addr, &pid, &len);
    if (check_pid(w, inv, pid))
        read_virtual(w, inv, addr, pid, len, "virtual address ");
}

static gboolean lookup_symbol(HelperdWorker *w, GDBusMethodInvocation *inv, const char *name,
                              addr_t *va)
{
    *va = vmi_translate_ksym2v(w->vmi, name);
    if (!*va) {
        worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                    "Domain '%s': the kernel symbol '%s' is unknown (%s).", w->name, name,
                    vmi_get_last_error(w->vmi));
        return FALSE;
    }
    return TRUE;
}

static void m_read_symbol(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *name;
    guint32 len;
    addr_t va;
    g_variant_get(params, "(&su)", &name, &len);
    if (lookup_symbol(w, inv, name, &va))
        read_virtual(w, inv, va, 0, len, "kernel symbol address ");
}

static void m_lookup_symbol(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *name;
    addr_t va;
    g_variant_get(params, "(&s)", &name);
    if (lookup_symbol(w, inv, name, &va))
        g_dbus_method_invocation_return_value(inv, g_variant_new("(t)", (guint64)va));
}

static void translate(HelperdWorker *w, GDBusMethodInvocation *inv, guint64 va, gint32 pid)
{
    if (!check_pid(w, inv, pid))
        return;
    addr_t pa = pid ? vmi_translate_uv2p(w->vmi, va, pid) : vmi_translate_kv2p(w->vmi, va);
    if (!pa) {
        worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                    "Domain '%s': the virtual address 0x%" G_GINT64_MODIFIER "x is not mapped "
                    "in %s%.0d (%s).", w->name, va, pid ? "process " : "the kernel", pid,
                    vmi_get_last_error(w->vmi));
        return;
    }
    g_dbus_method_invocation_return_value(inv, g_variant_new("(t)", (guint64)pa));
}

static void m_translate_kernel(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 va;
    g_variant_get(params, "(t)", &va);
    translate(w, inv, va, 0);
}

static void m_translate_user(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 va;
    gint32 pid;
    g_variant_get(params, "(ti)", &va, &pid);
    translate(w, inv, va, pid);
}

static void m_list_processes(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    vmi_process_t *list = NULL;
    size_t count = 0;
    if (vmi_get_processes(w->vmi, &list, &count) != VMI_SUCCESS) {
        worker_fail(w, inv, HELPERD_ERROR_FAILED, vmi_get_last_error(w->vmi),
                    "Domain '%s': listing the processes failed: %s.", w->name,
                    vmi_get_last_error(w->vmi));
        return;
    }
    if (count > HELPERD_MAX_PROCESSES) {
        free(list);
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': the task list has more "
                             "than %d entries; the guest's structures look corrupt.", w->name,
                             HELPERD_MAX_PROCESSES);
        return;
    }
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(ist)"));
    for (size_t i = 0; i < count; i++) {
        g_autofree char *name = g_utf8_make_valid(list[i].name,
                                                  (gssize)strnlen(list[i].name, 15));
        g_variant_builder_add(&b, "(ist)", (gint32)list[i].pid, name, (guint64)list[i].dtb);
    }
    free(list);
    g_dbus_method_invocation_return_value(inv, g_variant_new("(a(ist))", &b));
}

static const struct {
    const char *name64, *name32;
    reg_t reg;
} register_table[] = {
    { "rax", "eax", RAX }, { "rbx", "ebx", RBX }, { "rcx", "ecx", RCX }, { "rdx", "edx", RDX },
    { "rsi", "esi", RSI }, { "rdi", "edi", RDI }, { "rbp", "ebp", RBP }, { "rsp", "esp", RSP },
    { "r8", NULL, R8 }, { "r9", NULL, R9 }, { "r10", NULL, R10 }, { "r11", NULL, R11 },
    { "r12", NULL, R12 }, { "r13", NULL, R13 }, { "r14", NULL, R14 }, { "r15", NULL, R15 },
    { "rip", "eip", RIP }, { "rflags", "eflags", RFLAGS },
    { "cr0", "cr0", CR0 }, { "cr2", "cr2", CR2 }, { "cr3", "cr3", CR3 }, { "cr4", "cr4", CR4 },
    { "efer", "efer", MSR_EFER },
    { "cs", "cs", CS_SEL }, { "ds", "ds", DS_SEL }, { "es", "es", ES_SEL },
    { "fs", "fs", FS_SEL }, { "gs", "gs", GS_SEL }, { "ss", "ss", SS_SEL },
    { "tr", "tr", TR_SEL }, { "ldtr", "ldtr", LDTR_SEL },
    { "cs_base", "cs_base", CS_BASE }, { "ds_base", "ds_base", DS_BASE },
    { "es_base", "es_base", ES_BASE }, { "fs_base", "fs_base", FS_BASE },
    { "gs_base", "gs_base", GS_BASE }, { "ss_base", "ss_base", SS_BASE },
    { "tr_base", "tr_base", TR_BASE }, { "ldtr_base", "ldtr_base", LDTR_BASE },
    { "kernel_gs_base", NULL, SHADOW_GS },
    { "gdtr_base", "gdtr_base", GDTR_BASE }, { "gdtr_limit", "gdtr_limit", GDTR_LIMIT },
    { "idtr_base", "idtr_base", IDTR_BASE }, { "idtr_limit", "idtr_limit", IDTR_LIMIT },
    { "dr0", "dr0", DR0 }, { "dr1", "dr1", DR1 }, { "dr2", "dr2", DR2 }, { "dr3", "dr3", DR3 },
    { "dr6", "dr6", DR6 }, { "dr7", "dr7", DR7 },
};

static void m_get_registers(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint32 vcpu;
    g_variant_get(params, "(u)", &vcpu);
    unsigned n = vmi_get_num_vcpus(w->vmi);
    if (n && vcpu >= n) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT,
                             "Domain '%s' has %u vCPU%s: vCPU %u does not exist.", w->name, n,
                             n == 1 ? "" : "s", vcpu);
        return;
    }
    gboolean wide = vmi_get_address_width(w->vmi) != 4;
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
    unsigned got = 0;
    g_autofree char *first_error = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(register_table); i++) {
        const char *name = wide ? register_table[i].name64 : register_table[i].name32;
        reg_t v;
        if (!name)
            continue;
        if (vmi_get_vcpureg(w->vmi, &v, register_table[i].reg, vcpu) == VMI_SUCCESS) {
            g_variant_builder_add(&b, "{st}", name, (guint64)v);
            got++;
        } else if (!first_error) {
            first_error = g_strdup(vmi_get_last_error(w->vmi));
            if (strstr(first_error, "does not exist") || worker_check_gone(w, first_error))
                break;
        }
    }
    if (!got) {
        g_variant_builder_clear(&b);
        HelperdError code = first_error && strstr(first_error, "does not exist")
                            ? HELPERD_ERROR_INVALID_ARGUMENT : HELPERD_ERROR_FAILED;
        worker_fail(w, inv, code, first_error, "Domain '%s': reading the registers of vCPU %u "
                    "failed: %s.", w->name, vcpu, first_error ? first_error : "no register");
        return;
    }
    g_dbus_method_invocation_return_value(inv, g_variant_new("(a{st})", &b));
}

static void run_control(HelperdWorker *w, GDBusMethodInvocation *inv, gboolean pause)
{
    virDomainPtr dom = worker_dom(w);
    int state = VIR_DOMAIN_NOSTATE;
    int rc = dom ? virDomainGetState(dom, &state, NULL, 0) : -1;
    gboolean changed = FALSE;
    if (rc == 0) {
        gboolean paused = state == VIR_DOMAIN_PAUSED;
        if (paused == pause)
            rc = 0;
        else
            rc = pause ? virDomainSuspend(dom) : virDomainResume(dom);
        changed = rc == 0 && paused != pause;
    }
    if (rc == 0 && !pause)
        g_clear_pointer(&w->paused_by, g_free);
    /* a domain paused by someone else (libvirt, an admin) is not ours to
     * resume when this caller leaves */
    if (changed && pause) {
        g_free(w->paused_by);
        w->paused_by = g_strdup(g_dbus_method_invocation_get_sender(inv));
    }
    if (rc < 0) {
        g_autofree char *err = g_strdup(dom ? helperd_virt_error() : "no libvirt connection");
        worker_fail(w, inv, HELPERD_ERROR_FAILED, NULL, "Domain '%s': %s failed: %s.", w->name,
                    pause ? "pausing" : "resuming", err);
    } else {
        helperd_log("domain %s %s by %s", w->name, pause ? "paused" : "resumed",
                    g_dbus_method_invocation_get_sender(inv));
        /* State says so before the caller hears back (libvirt's event
         * may come later) */
        StateMsg *m = g_new0(StateMsg, 1);
        m->path = g_strdup(w->path);
        m->state = pause ? "paused" : "running";
        g_main_context_invoke(NULL, state_apply, m);
        g_dbus_method_invocation_return_value(inv, NULL);
    }
    if (dom)
        virDomainFree(dom);
}

static void m_pause(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    run_control(w, inv, TRUE);
}

static void m_resume(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    run_control(w, inv, FALSE);
}

static void m_open_memory(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *file = vmi_get_ram_file(w->vmi);
    if (!file) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT,
                             "Domain '%s' has no shared memory file (its access path is %s); "
                             "Enable(\"shm\") and restart the domain to get one.", w->name,
                             vmi_get_access_path(w->vmi));
        return;
    }
    /* The file lives in a directory QEMU's user can write: as root, follow
     * no symlink it may have put there and hand out nothing but a regular
     * file (never a device or a FIFO). */
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        worker_fail(w, inv, HELPERD_ERROR_FAILED, NULL, "Domain '%s': cannot open its RAM file "
                    "'%s': %s.", w->name, file, g_strerror(e));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': its RAM file '%s' is not "
                             "a regular file.", w->name, file);
        return;
    }
    /* O_NONBLOCK was for the open only (a FIFO would have blocked it) */
    if (fcntl(fd, F_SETFL, 0) < 0) {
        int e = errno;
        close(fd);
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': its RAM file '%s': %s.",
                             w->name, file, g_strerror(e));
        return;
    }
    g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&fd, 1);
    g_dbus_method_invocation_return_value_with_unix_fd_list(inv, g_variant_new("(h)", 0), fds);
}

/* The uid of the caller, from the bus. */
static gboolean caller_uid(GDBusMethodInvocation *inv, uid_t *uid, char **message)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(
        g_dbus_method_invocation_get_connection(inv), "org.freedesktop.DBus",
        "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser",
        g_variant_new("(s)", g_dbus_method_invocation_get_sender(inv)), G_VARIANT_TYPE("(u)"),
        G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &e);
    if (!r) {
        *message = g_strdup_printf("The caller's user cannot be found: %s.", e->message);
        return FALSE;
    }
    guint32 u;
    g_variant_get(r, "(u)", &u);
    *uid = u;
    return TRUE;
}

/* Copies all of @from into @to (both at offset 0). */
static gboolean copy_fd(int from, int to, char **message)
{
    for (;;) {
        ssize_t n = copy_file_range(from, NULL, to, NULL, 64 << 20, 0);
        if (n == 0)
            return TRUE;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
            *message = g_strdup_printf("writing the dump file failed: %s", g_strerror(errno));
            return FALSE;
        }
        break;
    }
    /* no copy_file_range between these files: read and write */
    g_autofree char *buf = g_malloc(1 << 20);
    for (;;) {
        ssize_t n = read(from, buf, 1 << 20);
        if (n == 0)
            return TRUE;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *message = g_strdup_printf("reading the dump failed: %s", g_strerror(errno));
            return FALSE;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t m = write(to, buf + off, (size_t)(n - off));
            if (m < 0 && errno == EINTR)
                continue;
            if (m <= 0) {
                *message = g_strdup_printf("writing the dump file failed: %s",
                                           m < 0 ? g_strerror(errno) : "short write");
                return FALSE;
            }
            off += m;
        }
    }
}

/* libvirt writes QEMU's dump-guest-memory ELF core (pausing the guest for
 * it) into a file of its own choosing only, so it goes to a private
 * temporary directory first and is then copied into the caller's file. */
static gboolean dump_memory(virDomainPtr dom, int fd, char **message)
{
    g_autofree char *dir = g_strdup("/var/tmp/vmi-helperd.XXXXXX");
    if (!g_mkdtemp_full(dir, 0700)) {
        *message = g_strdup_printf("cannot create a temporary directory in /var/tmp: %s",
                                   g_strerror(errno));
        return FALSE;
    }
    g_autofree char *tmp = g_build_filename(dir, "dump.elf", NULL);
    gboolean ok = virDomainCoreDumpWithFormat(dom, tmp, VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
                                              VIR_DUMP_MEMORY_ONLY) == 0;
    if (!ok)
        *message = g_strdup(helperd_virt_error());
    if (ok) {
        int from = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (from < 0) {
            *message = g_strdup_printf("libvirt's dump %s cannot be read: %s", tmp,
                                       g_strerror(errno));
            ok = FALSE;
        } else {
            ok = copy_fd(from, fd, message);
            close(from);
        }
    }
    unlink(tmp);
    rmdir(dir);
    return ok;
}

/* Removes the file we created at @path (open as @fd), and only that.  The
 * caller owns the directories on the way: unlink(path) as root could
 * follow a symlink swapped into the path meanwhile and remove a file of
 * the same name elsewhere.  So: the directory is opened once, the entry
 * is checked and removed relative to it, without following links. */
static void remove_created(const char *path, int fd)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    struct stat st, pst;
    if (fstat(fd, &st) < 0)
        return;
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    if (fstatat(dfd, base, &pst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(pst.st_mode) &&
        st.st_dev == pst.st_dev && st.st_ino == pst.st_ino)
        unlinkat(dfd, base, 0);
    close(dfd);
}

static void m_snapshot(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *path;
    g_variant_get(params, "(&s)", &path);
    uid_t uid;
    g_autofree char *msg = NULL;
    if (!caller_uid(inv, &uid, &msg)) {
        helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "%s", msg);
        return;
    }
    HelperdError code;
    int fd = helperd_create_file_as(uid, path, &code, &msg);
    if (fd < 0) {
        helperd_return_error(inv, code, "Domain '%s': %s", w->name, msg);
        return;
    }
    virDomainPtr dom = worker_dom(w);
    gint64 t0 = g_get_monotonic_time();
    gboolean ok = dom && dump_memory(dom, fd, &msg);
    struct stat st;
    if (!ok) {
        remove_created(path, fd);
        close(fd);
        worker_fail(w, inv, HELPERD_ERROR_FAILED, NULL, "Domain '%s': the memory dump failed: %s.",
                    w->name, msg ? msg : "no libvirt connection");
    } else {
        if (fstat(fd, &st) < 0)
            st.st_size = 0;
        close(fd);
        g_autofree char *esc = g_strescape(path, NULL);
        helperd_log("domain %s: memory dumped to \"%s\" (%" G_GINT64_FORMAT " MiB in %.1f s) for uid %u",
                    w->name, esc, (gint64)st.st_size >> 20,
                    (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, (unsigned)uid);
        g_dbus_method_invocation_return_value(inv, NULL);
    }
    if (dom)
        virDomainFree(dom);
}

static gboolean parse_enable_mode(const char *text, vmi_domxml_mode_t *mode)
{
    if (strcmp(text, "process") == 0) {
        *mode = 0;
        return TRUE;
    }
    return vmi_domxml_mode_from_string(text, mode);
}

static void m_enable(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    const char *text;
    vmi_domxml_mode_t mode = 0;
    g_variant_get(params, "(&s)", &text);
    parse_enable_mode(text, &mode);      /* checked on the main loop */
    virDomainPtr dom = worker_dom(w);
    if (!dom) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': libvirt is not connected.",
                             w->name);
        return;
    }
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    gboolean changed = FALSE;
    HelperdError code = HELPERD_ERROR_FAILED;
    g_autofree char *msg = NULL;
    if (mode == 0) {
        /* the process path needs no change to the definition */
        helperd_log("domain %s: Enable(\"process\"): nothing to change", w->name);
        g_dbus_method_invocation_return_value(inv, NULL);
    } else if (helperd_enable_domain(dom, mode, cfg->gdbstub_dir, &changed, &code, &msg)) {
        helperd_log("domain %s: introspection enabled (%s)%s", w->name,
                    vmi_domxml_mode_to_string(mode), changed ? ", effective at next start" :
                    ", it was already");
        g_dbus_method_invocation_return_value(inv, NULL);
    } else {
        worker_fail(w, inv, code, NULL, "%s", msg);
    }
    virDomainFree(dom);
}

static void m_disable(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    virDomainPtr dom = worker_dom(w);
    if (!dom) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': libvirt is not connected.",
                             w->name);
        return;
    }
    gboolean changed = FALSE;
    HelperdError code = HELPERD_ERROR_FAILED;
    g_autofree char *msg = NULL;
    if (helperd_disable_domain(dom, &changed, &code, &msg)) {
        helperd_log("domain %s: introspection disabled%s", w->name,
                    changed ? ", effective at next start" : ", it was not enabled");
        g_dbus_method_invocation_return_value(inv, NULL);
    } else {
        worker_fail(w, inv, code, NULL, "%s", msg);
    }
    virDomainFree(dom);
}

static void write_memory(HelperdWorker *w, GDBusMethodInvocation *inv, guint64 addr, gint32 pid,
                         GVariant *data, gboolean physical)
{
    gsize len = 0;
    const guint8 *bytes = g_variant_get_fixed_array(data, &len, 1);
    if (!len) {
        g_dbus_method_invocation_return_value(inv, NULL);
        return;
    }
    if (addr + len - 1 < addr) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': %zu bytes at "
                             "0x%" G_GINT64_MODIFIER "x run past the end of the address space.",
                             w->name, (size_t)len, addr);
        return;
    }
    if (!physical && !check_pid(w, inv, pid))
        return;
    /* every page first: all or nothing */
    for (guint64 page = addr & ~(guint64)0xfff; page <= addr + len - 1; page += 0x1000) {
        guint64 at = page < addr ? addr : page;
        gboolean ok;
        if (physical) {
            uint8_t b;
            ok = vmi_read_8_pa(w->vmi, at, &b) == VMI_SUCCESS;
        } else {
            ok = (pid ? vmi_translate_uv2p(w->vmi, at, pid) : vmi_translate_kv2p(w->vmi, at)) != 0;
        }
        if (!ok) {
            worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                        "Domain '%s': nothing written: the %s address 0x%" G_GINT64_MODIFIER
                        "x is %s.", w->name, physical ? "physical" : "virtual", at,
                        physical ? "not in guest RAM" : "not mapped");
            return;
        }
        if (page + 0x1000 < page)
            break;
    }
    size_t n = physical ? vmi_write_pa(w->vmi, addr, (void *)bytes, len)
                        : vmi_write_va(w->vmi, addr, pid, (void *)bytes, len);
    if (n < len) {
        worker_fail(w, inv, HELPERD_ERROR_FAILED, vmi_get_last_error(w->vmi),
                    "Domain '%s': the write stopped after %zu of %zu bytes: %s.", w->name, n,
                    (size_t)len, vmi_get_last_error(w->vmi));
        return;
    }
    helperd_log("domain %s: %zu bytes written at %s address 0x%" G_GINT64_MODIFIER "x (pid %d) "
                "by %s", w->name, (size_t)len, physical ? "physical" : "virtual", addr, pid,
                g_dbus_method_invocation_get_sender(inv));
    g_dbus_method_invocation_return_value(inv, NULL);
}

static void m_write_physical(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    g_autoptr(GVariant) data = NULL;
    g_variant_get(params, "(t@ay)", &addr, &data);
    write_memory(w, inv, addr, 0, data, TRUE);
}

static void m_write_virtual(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    gint32 pid;
    g_autoptr(GVariant) data = NULL;
    g_variant_get(params, "(ti@ay)", &addr, &pid, &data);
    write_memory(w, inv, addr, pid, data, FALSE);
}

static void m_watch(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint64 addr;
    const char *access;
    g_variant_get(params, "(t&s)", &addr, &access);
    if (w->watches->len >= HELPERD_MAX_WATCHES) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Domain '%s': no free watchpoint (at "
                             "most %d watches per domain).", w->name, HELPERD_MAX_WATCHES);
        return;
    }
    Watch *wt = g_new0(Watch, 1);
    wt->w = w;
    wt->addr = addr;
    wt->owner = g_strdup(g_dbus_method_invocation_get_sender(inv));
    g_strlcpy(wt->access, access, sizeof(wt->access));
    vmi_event_t *ev = &wt->event;
    ev->data = wt;
    ev->callback = watch_hit;
    if (strcmp(access, "x") == 0) {
        ev->type = VMI_EVENT_INTERRUPT;
        ev->interrupt_event.intr = INT3;
        ev->interrupt_event.gla = addr;
    } else {
        addr_t pa = vmi_translate_kv2p(w->vmi, addr);
        if (!pa) {
            worker_fail(w, inv, HELPERD_ERROR_INVALID_ARGUMENT, vmi_get_last_error(w->vmi),
                        "Domain '%s': the kernel address 0x%" G_GINT64_MODIFIER "x is not mapped.",
                        w->name, addr);
            watch_free(wt);
            return;
        }
        ev->type = VMI_EVENT_MEMORY;
        ev->mem_event.physical_address = pa;
        ev->mem_event.granularity = VMI_MEMEVENT_BYTE;
        ev->mem_event.in_access = strcmp(access, "r") == 0 ? VMI_MEMACCESS_R :
                                  strcmp(access, "w") == 0 ? VMI_MEMACCESS_W : VMI_MEMACCESS_RW;
    }
    if (vmi_register_event(w->vmi, ev) != VMI_SUCCESS) {
        g_autofree char *err = g_strdup(vmi_get_last_error(w->vmi));
        if (strstr(err, "gdbstub"))
            helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s' has no access "
                                 "path with watchpoints (%s); Enable(\"gdbstub\") and restart it.",
                                 w->name, err);
        else
            worker_fail(w, inv, HELPERD_ERROR_FAILED, err, "Domain '%s': the watch at 0x%"
                        G_GINT64_MODIFIER "x cannot be set: %s.", w->name, addr, err);
        watch_free(wt);
        return;
    }
    wt->id = ++w->next_watch_id;
    if (!wt->id)
        wt->id = ++w->next_watch_id;
    g_ptr_array_add(w->watches, wt);
    helperd_log("domain %s: watch %u set at 0x%" G_GINT64_MODIFIER "x (%s) for %s", w->name, wt->id,
                addr, access, wt->owner);
    g_dbus_method_invocation_return_value(inv, g_variant_new("(u)", wt->id));
}

static void m_unwatch(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params)
{
    guint32 id;
    g_variant_get(params, "(u)", &id);
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    for (guint i = 0; i < w->watches->len; i++) {
        Watch *wt = w->watches->pdata[i];
        if (wt->id != id)
            continue;
        if (g_strcmp0(wt->owner, sender) != 0) {
            helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Domain '%s': watch %u "
                                 "belongs to another connection.", w->name, id);
            return;
        }
        gboolean ok = vmi_clear_event(w->vmi, &wt->event) == VMI_SUCCESS;
        g_autofree char *err = ok ? NULL : g_strdup(vmi_get_last_error(w->vmi));
        g_ptr_array_remove_index(w->watches, i);
        if (!ok) {
            worker_fail(w, inv, HELPERD_ERROR_FAILED, err, "Domain '%s': removing watch %u "
                        "failed: %s.", w->name, id, err);
            return;
        }
        helperd_log("domain %s: watch %u removed", w->name, id);
        g_dbus_method_invocation_return_value(inv, NULL);
        return;
    }
    helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s' has no watch %u.",
                         w->name, id);
}

static const struct {
    const char *name;
    MethodFunc func;
    gboolean any_time;      /* also while not introspectable */
} methods[] = {
    { "ReadPhysical", m_read_physical, FALSE },
    { "ReadVirtual", m_read_virtual, FALSE },
    { "ReadSymbol", m_read_symbol, FALSE },
    { "OpenMemory", m_open_memory, FALSE },
    { "TranslateKernel", m_translate_kernel, FALSE },
    { "TranslateUser", m_translate_user, FALSE },
    { "LookupSymbol", m_lookup_symbol, FALSE },
    { "ListProcesses", m_list_processes, FALSE },
    { "GetRegisters", m_get_registers, FALSE },
    { "Pause", m_pause, TRUE },         /* libvirt's: no libvmi needed */
    { "Resume", m_resume, TRUE },
    { "Snapshot", m_snapshot, FALSE },
    { "Enable", m_enable, TRUE },
    { "Disable", m_disable, TRUE },
    { "WritePhysical", m_write_physical, FALSE },
    { "WriteVirtual", m_write_virtual, FALSE },
    { "Watch", m_watch, FALSE },
    { "Unwatch", m_unwatch, FALSE },
};

/* No pid -> page directory, translation or reverse-lookup answer may
 * outlive one call: a running guest changes them at will (a pid that exited
 * and was reused, a page remapped), and a stale one would let a read or
 * write reach another process's page or a page table.  The library keeps
 * these caches for programs that want speed; the helper starts each call
 * from the guest's current state (a write's pages are checked and then
 * written in the same call, after this).  Kernel symbol addresses stay:
 * they are fixed for the kernel's life, and a miss would re-read the
 * System.map. */
static void worker_flush_caches(HelperdWorker *w)
{
    vmi_pidcache_flush(w->vmi);
    vmi_v2pcache_flush(w->vmi);
    vmi_rvacache_flush(w->vmi);
}

static void worker_call(HelperdWorker *w, GDBusMethodInvocation *inv)
{
    const char *method = g_dbus_method_invocation_get_method_name(inv);
    GVariant *params = g_dbus_method_invocation_get_parameters(inv);
    for (size_t i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (strcmp(methods[i].name, method) != 0)
            continue;
        if (w->gone || g_atomic_int_get(&w->stopping)) {
            helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE,
                                 "Domain '%s' was stopped or undefined.", w->name);
            return;
        }
        if (!methods[i].any_time && !w->complete) {
            if (g_get_monotonic_time() - w->last_try >= RETRY_ON_CALL_US)
                worker_try_init(w);
            if (w->gone) {
                helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE,
                                     "Domain '%s' was stopped or undefined.", w->name);
                return;
            }
            if (!w->complete) {
                helperd_return_error(inv, HELPERD_ERROR_NOT_INTROSPECTABLE, "%s",
                                     w->reason ? w->reason : "The domain cannot be introspected.");
                return;
            }
        }
        if (w->complete)
            worker_flush_caches(w);
        methods[i].func(w, inv, params);
        return;
    }
    helperd_return_error(inv, HELPERD_ERROR_FAILED, "Method %s is not implemented.", method);
}

/* ------------------------------------------------------------ the thread */

static void worker_free(HelperdWorker *w)
{
    g_async_queue_unref(w->queue);
    if (w->dom)
        virDomainFree(w->dom);
    g_mutex_clear(&w->lock);
    g_mutex_clear(&w->run);
    g_free(w->uri);
    g_free(w->name);
    g_free(w->uuid);
    g_free(w->path);
    g_free(w->reason);
    g_free(w->last_logged);
    g_free(w->paused_by);
    g_ptr_array_unref(w->watches);
    g_array_unref(w->hits);
    g_free(w);
}

/* Under `run`: whether the main thread may use the instance inline. */
static void worker_update_fast(HelperdWorker *w)
{
    gboolean fast = FALSE;
    if (w->vmi && w->complete && !w->gone && !g_atomic_int_get(&w->stopping) &&
        w->watches->len == 0) {
        const char *path = vmi_get_access_path(w->vmi);
        fast = path && (strcmp(path, "shm") == 0 || strcmp(path, "process") == 0);
    }
    g_atomic_int_set(&w->fast, fast);
}

/* On the main thread: runs a read-only call at once when the instance is
 * idle and its path cannot wait for the guest (memory reads of a mapped
 * file or of QEMU's process take microseconds); else the caller queues it.
 * Saves the two thread hops of a queued call, which cost more than a 4 KiB
 * read itself. */
static gboolean worker_try_inline(HelperdWorker *w, GDBusMethodInvocation *inv,
                                  const char *method)
{
    /* Constant-time work only: a pid is looked up afresh by walking the
     * guest's task list (a hostile guest's may be long), and a symbol miss
     * reads the System.map: both go to the worker. */
    static const char *const inline_methods[] = {
        "ReadPhysical", "ReadVirtual", "TranslateKernel", "TranslateUser",
    };
    gboolean ok = FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(inline_methods) && !ok; i++)
        ok = strcmp(method, inline_methods[i]) == 0;
    GVariant *params = g_dbus_method_invocation_get_parameters(inv);
    if (ok && strcmp(method, "ReadVirtual") == 0) {
        gint32 pid;
        g_variant_get(params, "(tiu)", NULL, &pid, NULL);
        ok = pid == 0;
    } else if (ok && strcmp(method, "TranslateUser") == 0) {
        gint32 pid;
        g_variant_get(params, "(ti)", NULL, &pid);
        ok = pid == 0;
    }
    if (!ok || !g_atomic_int_get(&w->fast) || g_async_queue_length(w->queue) > 0)
        return FALSE;
    if (!g_mutex_trylock(&w->run))
        return FALSE;
    ok = g_atomic_int_get(&w->fast) && !w->gone && !g_atomic_int_get(&w->stopping);
    if (ok)
        worker_call(w, inv);
    g_mutex_unlock(&w->run);
    return ok;
}

static gpointer worker_main(gpointer data)
{
    HelperdWorker *w = data;
    for (;;) {
        Job *job;
        gboolean listening = w->watches->len > 0 && w->vmi && !w->gone;
        if (listening) {
            job = g_async_queue_try_pop(w->queue);
        } else if (!w->complete && !w->gone) {
            gint64 wait = w->next_try - g_get_monotonic_time();
            job = wait > 0 ? g_async_queue_timeout_pop(w->queue, (guint64)wait)
                           : g_async_queue_try_pop(w->queue);
        } else {
            job = g_async_queue_pop(w->queue);
        }
        g_mutex_lock(&w->run);
        if (job) {
            JobKind kind = job->kind;
            switch (kind) {
            case JOB_CALL:
                worker_call(w, job->inv);
                break;
            case JOB_DROP_OWNER:
                watches_drop_owner(w, job->owner);
                break;
            case JOB_RESET:
                worker_close(w);
                g_mutex_lock(&w->lock);
                if (w->dom)
                    virDomainFree(w->dom);
                w->dom = g_steal_pointer(&job->dom);
                g_free(w->uri);
                w->uri = g_steal_pointer(&job->uri);
                g_mutex_unlock(&w->lock);
                w->gone = FALSE;
                w->tries = 0;
                w->first_try = 0;
                w->next_try = 0;
                break;
            case JOB_STOP:
                break;
            }
            job_free(job);
            worker_update_fast(w);
            g_mutex_unlock(&w->run);
            if (kind == JOB_STOP)
                break;
            continue;
        }
        if (!w->complete && !w->gone && g_get_monotonic_time() >= w->next_try)
            worker_try_init(w);
        else if (listening)
            worker_listen(w);
        worker_update_fast(w);
        g_mutex_unlock(&w->run);
    }
    g_mutex_lock(&w->run);
    g_atomic_int_set(&w->fast, 0);
    /* calls still queued: the object is gone */
    Job *job;
    while ((job = g_async_queue_try_pop(w->queue)) != NULL) {
        if (job->kind == JOB_CALL)
            helperd_return_error(job->inv, HELPERD_ERROR_DOMAIN_GONE,
                                 "Domain '%s' was stopped or undefined.", w->name);
        job_free(job);
    }
    worker_close(w);
    worker_resume_pauser(w, "the helper stops following the domain");
    g_mutex_unlock(&w->run);
    helperd_debug("domain %s: worker done", w->name);
    worker_free(w);
    g_atomic_int_dec_and_test(&live_workers);
    return NULL;
}

static HelperdWorker *worker_new(HelperdDomain *d, virDomainPtr dom, const char *uri)
{
    HelperdWorker *w = g_new0(HelperdWorker, 1);
    w->serial = next_serial++;
    w->queue = g_async_queue_new();
    w->name = g_strdup(d->name);
    w->uuid = g_strdup(d->uuid);
    w->path = g_strdup(d->path);
    g_mutex_init(&w->lock);
    g_mutex_init(&w->run);
    virDomainRef(dom);
    w->dom = dom;
    w->uri = g_strdup(uri);
    w->watches = g_ptr_array_new_with_free_func((GDestroyNotify)watch_free);
    w->hits = g_array_new(FALSE, TRUE, sizeof(Hit));
    w->reason = g_strdup_printf("Domain '%s': libvmi is being opened on it.", d->name);
    g_atomic_int_inc(&live_workers);
    g_autofree char *tname = g_strdup_printf("dom-%.10s", d->name);
    w->thread = g_thread_new(tname, worker_main, w);
    return w;
}

static void worker_push(HelperdWorker *w, Job *job)
{
    g_async_queue_push(w->queue, job);
}

/* The worker ends on its own; nothing of it may be touched afterwards. */
static void worker_stop(HelperdWorker *w, gboolean join)
{
    GThread *t = w->thread;
    g_atomic_int_set(&w->stopping, 1);
    Job *job = g_new0(Job, 1);
    job->kind = JOB_STOP;
    worker_push(w, job);
    if (join)
        g_thread_join(t);
    else
        g_thread_unref(t);
}

/* ============================================================ objects */

char *helperd_domain_path(const char *uuid)
{
    g_autofree char *u = g_strdup(uuid);
    for (char *c = u; *c; c++)
        if (!g_ascii_isalnum(*c))
            *c = '_';
    return g_strdup_printf(HELPERD_DOMAIN_PREFIX "/_%s", u);
}

const char *helperd_state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_SHUTOFF: return "shutoff";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
    default: return "unknown";
    }
}

const char *helperd_virt_error(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

GVariant *helperd_domain_properties(HelperdDomain *d)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "Name", g_variant_new_string(d->name));
    g_variant_builder_add(&b, "{sv}", "UUID", g_variant_new_string(d->uuid));
    g_variant_builder_add(&b, "{sv}", "Hypervisor", g_variant_new_string(d->hypervisor));
    g_variant_builder_add(&b, "{sv}", "State", g_variant_new_string(d->state));
    g_variant_builder_add(&b, "{sv}", "Introspectable", g_variant_new_boolean(d->introspectable));
    g_variant_builder_add(&b, "{sv}", "IntrospectableReason", g_variant_new_string(d->reason));
    g_variant_builder_add(&b, "{sv}", "AccessPath", g_variant_new_string(d->access_path));
    g_variant_builder_add(&b, "{sv}", "OSType", g_variant_new_string(d->os_type));
    g_variant_builder_add(&b, "{sv}", "PageMode", g_variant_new_string(d->page_mode));
    g_variant_builder_add(&b, "{sv}", "MemorySize", g_variant_new_uint64(d->memory_size));
    g_variant_builder_add(&b, "{sv}", "KernelVersion", g_variant_new_string(d->kernel_version));
    g_variant_builder_add(&b, "{sv}", "WritesEnabled", g_variant_new_boolean(d->writes));
    return g_variant_builder_end(&b);
}

static void emit_changed(HelperdDomain *d, GVariantBuilder *changed)
{
    g_dbus_connection_emit_signal(helperd.bus, NULL, d->path, HELPERD_PROPS_IFACE,
                                  "PropertiesChanged",
                                  g_variant_new("(sa{sv}as)", HELPERD_DOMAIN_IFACE, changed, NULL),
                                  NULL);
}

static void emit_one(HelperdDomain *d, const char *prop, GVariant *value)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", prop, value);
    emit_changed(d, &b);
}

/* A gdbstub stops the guest for every access, and QEMU reports every stop:
 * State is emitted at most every 50 ms, with the value it has then. */
static gboolean state_emit(gpointer data)
{
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, (const char *)data);
    if (!d)
        return G_SOURCE_REMOVE;
    d->state_id = 0;
    if (g_strcmp0(d->state, d->state_emitted) != 0) {
        helperd_debug("domain %s state %s -> %s", d->name, d->state_emitted, d->state);
        g_free(d->state_emitted);
        d->state_emitted = g_strdup(d->state);
        emit_one(d, "State", g_variant_new_string(d->state));
    }
    return G_SOURCE_REMOVE;
}

void helperd_domain_set_state(HelperdDomain *d, const char *state)
{
    if (g_strcmp0(d->state, state) == 0)
        return;
    g_free(d->state);
    d->state = g_strdup(state);
    if (!d->state_id)
        d->state_id = g_timeout_add_full(G_PRIORITY_DEFAULT, 50, state_emit, g_strdup(d->path),
                                         g_free);
}

HelperdDomain *helperd_domain_find_uuid(const char *uuid)
{
    g_autofree char *path = helperd_domain_path(uuid);
    return g_hash_table_lookup(helperd.domains, path);
}

HelperdDomain *helperd_domain_find_name(HelperdConn *conn, const char *name)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        if ((!conn || d->conn == conn) && strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

static void domain_free(HelperdDomain *d)
{
    if (d->recheck_id)
        g_source_remove(d->recheck_id);
    if (d->state_id)
        g_source_remove(d->state_id);
    g_free(d->state_emitted);
    g_free(d->path);
    g_free(d->name);
    g_free(d->uuid);
    g_free(d->hypervisor);
    g_free(d->state);
    g_free(d->reason);
    g_free(d->access_path);
    g_free(d->os_type);
    g_free(d->page_mode);
    g_free(d->kernel_version);
    g_free(d);
}

HelperdDomain *helperd_domain_publish(HelperdConn *conn, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(dom, uuid) < 0)
        return NULL;
    const char *name = virDomainGetName(dom);
    if (!name)
        return NULL;
    int state = VIR_DOMAIN_NOSTATE;
    if (virDomainGetState(dom, &state, NULL, 0) < 0)
        state = VIR_DOMAIN_NOSTATE;
    g_autofree char *path = helperd_domain_path(uuid);
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, path);
    if (d) {
        helperd_domain_set_state(d, helperd_state_name(state));
        return d;
    }
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    d = g_new0(HelperdDomain, 1);
    d->path = g_steal_pointer(&path);
    d->name = g_strdup(name);
    d->uuid = g_strdup(uuid);
    d->hypervisor = g_strdup("qemu");
    d->conn = conn;
    d->state = g_strdup(helperd_state_name(state));
    d->state_emitted = g_strdup(d->state);
    d->reason = g_strdup_printf("Domain '%s': libvmi is being opened on it.", name);
    d->access_path = g_strdup("");
    d->os_type = g_strdup("unknown");
    d->page_mode = g_strdup("unknown");
    d->kernel_version = g_strdup("");
    d->writes = helperd_config_writes(cfg, uuid);
    d->control = helperd_config_control(cfg, uuid);
    g_hash_table_insert(helperd.domains, d->path, d);
    g_hash_table_remove(helperd.stale, d->path);
    d->worker = worker_new(d, dom, conn->uri);

    GVariantBuilder ifaces;
    g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
    g_variant_builder_add(&ifaces, "{s@a{sv}}", HELPERD_DOMAIN_IFACE, helperd_domain_properties(d));
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_OM_IFACE,
                                  "InterfacesAdded", g_variant_new("(oa{sa{sv}})", d->path, &ifaces),
                                  NULL);
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_MANAGER_IFACE,
                                  "DomainAdded", g_variant_new("(os)", d->path, d->name), NULL);
    helperd_log("domain %s (%s) published at %s, state %s%s", d->name, d->uuid, d->path, d->state,
                d->writes ? ", writes enabled" : "");
    return d;
}

void helperd_domain_remove(HelperdDomain *d, const char *why)
{
    g_hash_table_steal(helperd.domains, d->path);
    if (!g_hash_table_contains(helperd.stale, d->path)) {
        g_hash_table_insert(helperd.stale, g_strdup(d->path), g_strdup(d->name));
        g_queue_push_tail(&helperd.stale_order, g_strdup(d->path));
        while (g_queue_get_length(&helperd.stale_order) > MAX_STALE) {
            g_autofree char *old = g_queue_pop_head(&helperd.stale_order);
            if (!g_hash_table_contains(helperd.domains, old))
                g_hash_table_remove(helperd.stale, old);
        }
    }
    worker_stop(d->worker, FALSE);
    d->worker = NULL;
    const char *ifaces[] = { HELPERD_DOMAIN_IFACE, NULL };
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_OM_IFACE,
                                  "InterfacesRemoved", g_variant_new("(o^as)", d->path, ifaces),
                                  NULL);
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_MANAGER_IFACE,
                                  "DomainRemoved", g_variant_new("(os)", d->path, d->name), NULL);
    helperd_log("domain %s removed (%s)", d->name, why);
    domain_free(d);
}

static gboolean recheck_timeout(gpointer data)
{
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, (const char *)data);
    if (d) {
        d->recheck_id = 0;
        helperd_domain_recheck(d, d->recheck_left);
    }
    return G_SOURCE_REMOVE;
}

void helperd_domain_recheck(HelperdDomain *d, int tries)
{
    if (!d->conn->conn)
        return;     /* the reconnection will look */
    virDomainPtr dom = virDomainLookupByUUIDString(d->conn->conn, d->uuid);
    if (!dom) {
        if (last_virt_no_domain())
            helperd_domain_remove(d, "undefined");
        return;
    }
    int state = VIR_DOMAIN_NOSTATE;
    int active = virDomainIsActive(dom);
    if (active == 0) {
        virDomainFree(dom);
        helperd_domain_remove(d, "stopped");
        return;
    }
    if (active == 1 && virDomainGetState(dom, &state, NULL, 0) == 0)
        helperd_domain_set_state(d, helperd_state_name(state));
    virDomainFree(dom);
    if (tries > 0 && !d->recheck_id) {
        d->recheck_left = tries - 1;
        d->recheck_id = g_timeout_add_full(G_PRIORITY_DEFAULT, 300, recheck_timeout,
                                           g_strdup(d->path), g_free);
    }
}

void helperd_domain_reset(HelperdDomain *d, HelperdConn *conn, virDomainPtr dom)
{
    d->conn = conn;
    Job *job = g_new0(Job, 1);
    job->kind = JOB_RESET;
    virDomainRef(dom);
    job->dom = dom;
    job->uri = g_strdup(conn->uri);
    worker_push(d->worker, job);
}

void helperd_domains_drop_owner(const char *owner)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        Job *job = g_new0(Job, 1);
        job->kind = JOB_DROP_OWNER;
        job->owner = g_strdup(owner);
        worker_push(d->worker, job);
    }
}

void helperd_domains_config_changed(void)
{
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        d->control = helperd_config_control(cfg, d->uuid);
        gboolean writes = helperd_config_writes(cfg, d->uuid);
        if (writes != d->writes) {
            d->writes = writes;
            helperd_log("domain %s: writes %s", d->name, writes ? "enabled" : "disabled");
            emit_one(d, "WritesEnabled", g_variant_new_boolean(writes));
        }
    }
}

void helperd_domains_shutdown(void)
{
    GHashTableIter it;
    gpointer v;
    GPtrArray *all = g_ptr_array_new();
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        worker_stop(d->worker, FALSE);
        d->worker = NULL;
        g_ptr_array_add(all, d);
    }
    g_hash_table_steal_all(helperd.domains);
    for (guint i = 0; i < all->len; i++)
        domain_free(all->pdata[i]);
    g_ptr_array_free(all, TRUE);
    /* let the workers close libvmi (a paused guest is resumed, the
     * gdbstub detached): 5 s at most */
    for (int i = 0; i < 500 && g_atomic_int_get(&live_workers) > 0; i++)
        g_usleep(10 * 1000);
}

/* ------------------------------------------------------------ the subtree */

static gboolean check_len(GDBusMethodInvocation *inv, HelperdDomain *d, guint64 len,
                          const HelperdConfig *cfg, const char *what)
{
    if (len <= cfg->read_limit)
        return TRUE;
    helperd_return_error(inv, HELPERD_ERROR_TOO_LARGE, "Domain '%s': %s of %" G_GUINT64_FORMAT
                         " bytes exceeds the limit of %u bytes per call%s.", d->name, what, len,
                         cfg->read_limit, strcmp(what, "a read") == 0 ?
                         "; use OpenMemory for bulk reads" : "");
    return FALSE;
}

static gboolean check_symbol(GDBusMethodInvocation *inv, HelperdDomain *d, const char *name)
{
    size_t n = strlen(name);
    if (n && n <= HELPERD_MAX_SYMBOL)
        return TRUE;
    helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': a symbol name must "
                         "have 1 to %d bytes, not %zu.", d->name, HELPERD_MAX_SYMBOL, n);
    return FALSE;
}

/* Methods that change the guest or its definition without writing its
 * memory: gated like writes, per domain (control=true or writes=true). */
static gboolean changes_guest(const char *method, GVariant *params)
{
    static const char *const control[] = { "Pause", "Resume", "Snapshot", "Enable", "Disable" };
    for (size_t i = 0; i < G_N_ELEMENTS(control); i++)
        if (strcmp(method, control[i]) == 0)
            return TRUE;
    if (strcmp(method, "Watch") == 0) {
        const char *access;
        g_variant_get(params, "(t&s)", NULL, &access);
        return strcmp(access, "x") == 0;    /* INT3 in the guest's code */
    }
    return FALSE;
}

static void domain_authorized(GDBusMethodInvocation *inv)
{
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    const char *path = g_dbus_method_invocation_get_object_path(inv);
    const char *iface = g_dbus_method_invocation_get_interface_name(inv);
    const char *method = g_dbus_method_invocation_get_method_name(inv);
    GVariant *params = g_dbus_method_invocation_get_parameters(inv);
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, path);
    if (!d || !d->worker) {
        const char *name = g_hash_table_lookup(helperd.stale, path);
        helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE, "Domain '%s' was stopped or "
                             "undefined: the object %s is stale.", name ? name : "?", path);
        return;
    }
    if (strcmp(iface, HELPERD_PROPS_IFACE) == 0) {
        helperd_return_properties(inv, HELPERD_DOMAIN_IFACE, helperd_domain_properties(d));
        return;
    }
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    if (changes_guest(method, params) && !d->control) {
        helperd_return_error(inv, HELPERD_ERROR_WRITES_DISABLED, "Domain '%s': %s changes the "
                             "guest and is refused: set control=true (or writes=true) in the "
                             "[domain %s] group of %s to allow it.", d->name, method, d->uuid,
                             cfg->file ? cfg->file : "the helper's configuration file");
        return;
    }
    if (strcmp(method, "Pause") == 0)
        g_hash_table_add(helperd.watchers, g_strdup(sender));
    if (strcmp(method, "ReadPhysical") == 0 || strcmp(method, "ReadVirtual") == 0 ||
        strcmp(method, "ReadSymbol") == 0) {
        guint32 len;
        const char *sym = NULL;
        if (strcmp(method, "ReadPhysical") == 0)
            g_variant_get(params, "(tu)", NULL, &len);
        else if (strcmp(method, "ReadVirtual") == 0)
            g_variant_get(params, "(tiu)", NULL, NULL, &len);
        else
            g_variant_get(params, "(&su)", &sym, &len);
        if (!check_len(inv, d, len, cfg, "a read"))
            return;
        if (sym && !check_symbol(inv, d, sym))
            return;
    } else if (strcmp(method, "LookupSymbol") == 0) {
        const char *sym;
        g_variant_get(params, "(&s)", &sym);
        if (!check_symbol(inv, d, sym))
            return;
    } else if (strcmp(method, "WritePhysical") == 0 || strcmp(method, "WriteVirtual") == 0) {
        if (!d->writes) {
            helperd_return_error(inv, HELPERD_ERROR_WRITES_DISABLED, "Writes to domain '%s' are "
                                 "disabled: set writes=true in the [domain %s] group of %s to "
                                 "enable them.", d->name, d->uuid,
                                 cfg->file ? cfg->file : "the helper's configuration file");
            return;
        }
        g_autoptr(GVariant) data = g_variant_get_child_value(params,
                                                             strcmp(method, "WritePhysical") == 0 ? 1 : 2);
        if (!check_len(inv, d, g_variant_n_children(data), cfg, "a write"))
            return;
    } else if (strcmp(method, "Watch") == 0) {
        guint64 addr;
        const char *access;
        g_variant_get(params, "(t&s)", &addr, &access);
        if (strcmp(access, "r") && strcmp(access, "w") && strcmp(access, "rw") && strcmp(access, "x")) {
            helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': access '%.16s' "
                                 "is unknown: use r, w, rw or x.", d->name, access);
            return;
        }
        if (addr & 7) {
            helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': the address "
                                 "0x%" G_GINT64_MODIFIER "x is not aligned to 8 bytes.", d->name, addr);
            return;
        }
        g_hash_table_add(helperd.watchers, g_strdup(sender));
    } else if (strcmp(method, "Snapshot") == 0) {
        const char *file;
        g_variant_get(params, "(&s)", &file);
        if (!g_path_is_absolute(file)) {
            helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': the path "
                                 "'%.256s' is not absolute.", d->name, file);
            return;
        }
    } else if (strcmp(method, "Enable") == 0) {
        const char *mode;
        vmi_domxml_mode_t m;
        g_variant_get(params, "(&s)", &mode);
        if (!parse_enable_mode(mode, &m)) {
            helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "Domain '%s': mode "
                                 "'%.32s' is unknown: use shm, gdbstub, both or process.",
                                 d->name, mode);
            return;
        }
    }
    if (worker_try_inline(d->worker, inv, method))
        return;
    Job *job = g_new0(Job, 1);
    job->kind = JOB_CALL;
    job->inv = inv;
    worker_push(d->worker, job);
}

static void domain_method_call(GDBusConnection *bus, const gchar *sender, const gchar *path,
                               const gchar *iface, const gchar *method, GVariant *params,
                               GDBusMethodInvocation *inv, gpointer user_data)
{
    helperd_auth_call(inv, domain_authorized);
}

static const GDBusInterfaceVTable domain_vtable = {
    .method_call = domain_method_call,
    /* no get_property: Properties calls come to method_call, behind the
     * authorization */
};

static gchar **subtree_enumerate(GDBusConnection *bus, const gchar *sender, const gchar *path,
                                 gpointer user_data)
{
    GPtrArray *nodes = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    /* (Introspection is GDBus's own, before any method call: the bus
     * policy alone decides who sees the node list, as busctl tree needs) */
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(nodes, g_strdup((const char *)k + strlen(HELPERD_DOMAIN_PREFIX "/")));
    g_ptr_array_sort(nodes, (GCompareFunc)g_strcmp0);
    g_ptr_array_add(nodes, NULL);
    return (gchar **)g_ptr_array_free(nodes, FALSE);
}

static GDBusInterfaceInfo **subtree_introspect(GDBusConnection *bus, const gchar *sender,
                                               const gchar *path, const gchar *node,
                                               gpointer user_data)
{
    if (!node)
        return NULL;
    g_autofree char *full = g_strdup_printf(HELPERD_DOMAIN_PREFIX "/%s", node);
    if (!g_hash_table_contains(helperd.domains, full) && !g_hash_table_contains(helperd.stale, full))
        return NULL;
    GDBusInterfaceInfo **ifaces = g_new0(GDBusInterfaceInfo *, 2);
    ifaces[0] = g_dbus_interface_info_ref(
        g_dbus_node_info_lookup_interface(helperd.domain_node, HELPERD_DOMAIN_IFACE));
    return ifaces;
}

static const GDBusInterfaceVTable *subtree_dispatch(GDBusConnection *bus, const gchar *sender,
                                                    const gchar *path, const gchar *iface,
                                                    const gchar *node, gpointer *out_user_data,
                                                    gpointer user_data)
{
    *out_user_data = NULL;
    return g_strcmp0(iface, HELPERD_DOMAIN_IFACE) == 0 ? &domain_vtable : NULL;
}

static const GDBusSubtreeVTable subtree_vtable = {
    .enumerate = subtree_enumerate,
    .introspect = subtree_introspect,
    .dispatch = subtree_dispatch,
};

gboolean helperd_domains_register(GError **error)
{
    return g_dbus_connection_register_subtree(helperd.bus, HELPERD_DOMAIN_PREFIX, &subtree_vtable,
                                              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                              NULL, NULL, error) != 0;
}

/* ============================================================ enabling */

gboolean helperd_ensure_gdb_dir(const char *dir, char **message)
{
    g_autoptr(GError) e = NULL;
    gboolean created = FALSE;
    if (!vmi_domxml_ensure_socket_dir(dir, &created, &e)) {
        *message = g_strdup(e->message);
        return FALSE;
    }
    if (created)
        helperd_log("gdbstub socket directory %s made for QEMU", dir);
    return TRUE;
}

static gboolean domxml_get(virDomainPtr dom, char **xml, HelperdError *code, char **message)
{
    const char *name = virDomainGetName(dom);
    int persistent = virDomainIsPersistent(dom);
    if (persistent == 0) {
        *code = HELPERD_ERROR_INVALID_ARGUMENT;
        *message = g_strdup_printf("Domain '%s' is transient: it has no persistent definition to "
                                   "change.", name);
        return FALSE;
    }
    char *text = persistent < 0 ? NULL :
        virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!text) {
        *code = last_virt_no_domain() ? HELPERD_ERROR_DOMAIN_GONE : HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("Domain '%s': reading its definition failed: %s.", name,
                                   helperd_virt_error());
        return FALSE;
    }
    *xml = g_strdup(text);
    free(text);
    return TRUE;
}

static gboolean domxml_define(virDomainPtr dom, const char *xml, HelperdError *code,
                              char **message)
{
    virDomainPtr nd = virDomainDefineXML(virDomainGetConnect(dom), xml);
    if (!nd) {
        *code = HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("Domain '%s': libvirt refused the new definition: %s.",
                                   virDomainGetName(dom), helperd_virt_error());
        return FALSE;
    }
    virDomainFree(nd);
    return TRUE;
}

/* Reads the persistent XML, enables (@mode) or disables introspection in it,
 * and defines it again if that changed anything. */
static gboolean domxml_apply(virDomainPtr dom, gboolean enable, vmi_domxml_mode_t mode,
                             const char *gdb_dir, gboolean *changed, HelperdError *code,
                             char **message)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) e = NULL;
    *changed = FALSE;
    if (!domxml_get(dom, &xml, code, message))
        return FALSE;
    if (enable) {
        vmi_domxml_mode_t now = 0;
        if (vmi_domxml_status(xml, &now, NULL, NULL) && now == mode)
            return TRUE;
        if ((mode & VMI_DOMXML_GDBSTUB) && !helperd_ensure_gdb_dir(gdb_dir, message)) {
            *code = HELPERD_ERROR_FAILED;
            return FALSE;
        }
    }
    g_autofree char *out = enable ? vmi_domxml_enable(xml, mode, gdb_dir, &e)
                                  : vmi_domxml_disable(xml, &e);
    if (!out) {
        *code = enable && g_error_matches(e, VMI_DOMXML_ERROR, VMI_DOMXML_ERROR_INVALID_ARGUMENT)
                ? HELPERD_ERROR_INVALID_ARGUMENT : HELPERD_ERROR_FAILED;
        *message = g_strdup_printf("Domain '%s': introspection cannot be %s: %s.",
                                   virDomainGetName(dom), enable ? "enabled" : "disabled",
                                   e->message);
        return FALSE;
    }
    if (strcmp(out, xml) == 0)
        return TRUE;
    if (!domxml_define(dom, out, code, message))
        return FALSE;
    *changed = TRUE;
    return TRUE;
}

gboolean helperd_enable_domain(virDomainPtr dom, vmi_domxml_mode_t mode, const char *gdb_dir,
                               gboolean *changed, HelperdError *code, char **message)
{
    return domxml_apply(dom, TRUE, mode, gdb_dir, changed, code, message);
}

gboolean helperd_disable_domain(virDomainPtr dom, gboolean *changed, HelperdError *code,
                                char **message)
{
    return domxml_apply(dom, FALSE, 0, NULL, changed, code, message);
}
