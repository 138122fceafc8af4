/*
 * helperd-worker.c - vmi-helperd: the worker thread of a domain, which owns
 * the domain's libvmi instance, and its job queue.
 *
 * The worker opens libvmi on the domain in two steps: VMI_INIT_PARTIAL (the
 * access path: libvirt, QMP, the RAM file), then VMI_INIT_COMPLETE with the
 * domain's libvmi.conf entry (the guest kernel).  The second step fails
 * until the guest kernel runs, so it is retried every 0.5 s (and at once
 * when a method is called); the domain is Introspectable only once it
 * succeeded.  Methods other than Enable and Disable fail with
 * NotIntrospectable until then, even those a partial instance could serve
 * (ReadPhysical, GetRegisters, Pause): the contract keeps "Introspectable" a
 * single, simple promise.
 *
 * Jobs: a method call (its handler from helperd-iface.c), a reset after a
 * libvirt reconnection, a bus name that left (its watches go), stop.  While
 * watches are armed the worker waits for their events between jobs.
 */
#include <string.h>
#include <libvirt/virterror.h>

#include "helperd-worker.h"

#define RETRY_FAST_US      (500 * 1000)        /* while the guest boots */
#define RETRY_FAST_FOR_US  (300 * G_USEC_PER_SEC)
#define RETRY_SLOW_US      (5 * G_USEC_PER_SEC)
#define RETRY_NO_ENTRY_US  (5 * G_USEC_PER_SEC)
#define RETRY_ON_CALL_US   (100 * 1000)        /* a call retries at most this often */
#define REOPEN_EVERY       8                   /* failed completions before a fresh open */
#define LISTEN_MS          100

typedef enum { JOB_CALL, JOB_RESET, JOB_DROP_OWNER, JOB_STOP } JobKind;

typedef struct {
    JobKind kind;
    GDBusMethodInvocation *inv;     /* JOB_CALL */
    HelperdWorkerFunc fn;           /* JOB_CALL */
    gboolean any_time;              /* JOB_CALL */
    char *owner;                    /* JOB_DROP_OWNER */
    virDomainPtr dom;               /* JOB_RESET */
    char *uri;                      /* JOB_RESET */
} Job;

typedef struct {
    guint id;
    char *owner;
    guint64 gla, gpa;
    char access[3];
    guint32 vcpu;
} Hit;

/* One caller's calls waiting on a worker. */
typedef struct {
    char *owner;
    GQueue jobs;                /* Job* */
} CallerQueue;

static guint64 next_serial = 1;

/* ------------------------------------------------------------ status */

HelperdWorkerStatus *helperd_worker_status_ref(HelperdWorkerStatus *st)
{
    g_atomic_int_inc(&st->refs);
    return st;
}

void helperd_worker_status_unref(HelperdWorkerStatus *st)
{
    if (!g_atomic_int_dec_and_test(&st->refs))
        return;
    g_mutex_clear(&st->lock);
    g_free(st->name);
    g_free(st->doing);
    g_free(st);
}

char *helperd_worker_status_doing(HelperdWorkerStatus *st)
{
    g_mutex_lock(&st->lock);
    char *doing = g_strdup(st->doing);
    g_mutex_unlock(&st->lock);
    return doing;
}

static void worker_doing(HelperdWorker *w, char *doing)
{
    g_mutex_lock(&w->status->lock);
    g_free(w->status->doing);
    w->status->doing = doing;
    g_mutex_unlock(&w->status->lock);
}

static void job_free(Job *j)
{
    if (j->dom)
        virDomainFree(j->dom);
    g_free(j->owner);
    g_free(j->uri);
    g_free(j);
}

/* ------------------------------------------------------------ the queue */

static void queue_init(HelperdWorker *w)
{
    g_mutex_init(&w->qlock);
    g_cond_init(&w->qcond);
    g_queue_init(&w->control);
    g_queue_init(&w->ring);
    w->callers = g_hash_table_new(g_str_hash, g_str_equal);
}

static void queue_clear(HelperdWorker *w)
{
    g_queue_clear_full(&w->control, (GDestroyNotify)job_free);
    CallerQueue *cq;
    while ((cq = g_queue_pop_head(&w->ring)) != NULL) {
        g_queue_clear_full(&cq->jobs, (GDestroyNotify)job_free);
        g_free(cq->owner);
        g_free(cq);
    }
    g_hash_table_unref(w->callers);
    g_mutex_clear(&w->qlock);
    g_cond_clear(&w->qcond);
}

static void queue_push_control(HelperdWorker *w, Job *job)
{
    g_mutex_lock(&w->qlock);
    g_queue_push_tail(&w->control, job);
    g_cond_signal(&w->qcond);
    g_mutex_unlock(&w->qlock);
}

/* FALSE when @owner has HELPERD_MAX_QUEUED_PER_CALLER calls waiting. */
static gboolean queue_push_call(HelperdWorker *w, const char *owner, Job *job)
{
    g_mutex_lock(&w->qlock);
    CallerQueue *cq = g_hash_table_lookup(w->callers, owner);
    if (cq && cq->jobs.length >= HELPERD_MAX_QUEUED_PER_CALLER) {
        g_mutex_unlock(&w->qlock);
        return FALSE;
    }
    if (!cq) {
        cq = g_new0(CallerQueue, 1);
        cq->owner = g_strdup(owner);
        g_queue_init(&cq->jobs);
        g_hash_table_insert(w->callers, cq->owner, cq);
        g_queue_push_tail(&w->ring, cq);
    }
    g_queue_push_tail(&cq->jobs, job);
    w->queued++;
    g_cond_signal(&w->qcond);
    g_mutex_unlock(&w->qlock);
    return TRUE;
}

/* Under qlock: control first, then the next caller's oldest call. */
static Job *queue_take(HelperdWorker *w)
{
    Job *job = g_queue_pop_head(&w->control);
    if (job)
        return job;
    CallerQueue *cq = g_queue_pop_head(&w->ring);
    if (!cq)
        return NULL;
    job = g_queue_pop_head(&cq->jobs);
    w->queued--;
    if (cq->jobs.length > 0) {
        g_queue_push_tail(&w->ring, cq);        /* its next call after the others' */
    } else {
        g_hash_table_remove(w->callers, cq->owner);
        g_free(cq->owner);
        g_free(cq);
    }
    return job;
}

/* The next job: waits up to @timeout_us (0: not at all, -1: forever). */
static Job *queue_pop(HelperdWorker *w, gint64 timeout_us)
{
    g_mutex_lock(&w->qlock);
    gint64 end = timeout_us > 0 ? g_get_monotonic_time() + timeout_us : 0;
    Job *job;
    while ((job = queue_take(w)) == NULL && timeout_us != 0) {
        if (timeout_us < 0)
            g_cond_wait(&w->qcond, &w->qlock);
        else if (!g_cond_wait_until(&w->qcond, &w->qlock, end))
            break;
    }
    if (!job && timeout_us > 0)
        job = queue_take(w);
    g_mutex_unlock(&w->qlock);
    return job;
}

static gboolean queue_busy(HelperdWorker *w)
{
    g_mutex_lock(&w->qlock);
    gboolean busy = w->queued > 0 || w->control.length > 0;
    g_mutex_unlock(&w->qlock);
    return busy;
}

virDomainPtr helperd_worker_dom(HelperdWorker *w)
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
        helperd_domain_emit_changed(d, &b);
    else
        g_variant_builder_clear(&b);
    return G_SOURCE_REMOVE;
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
    m->os_type = g_strdup(w->complete ? vmi_domops_os_name(vmi_get_ostype(w->vmi)) : "unknown");
    m->page_mode = g_strdup(w->complete ? vmi_domops_page_mode_name(vmi_get_page_mode(w->vmi))
                                        : "unknown");
    m->kernel_version = w->complete ? vmi_domops_kernel_version(w->vmi) : g_strdup("");
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

/* When the domain went away, the main loop is told to look (it removes
 * the object). */
gboolean helperd_worker_check_gone(HelperdWorker *w, vmi_error_code_t kind, const char *err)
{
    if (w->gone)
        return TRUE;
    if (g_atomic_int_get(&w->stopping) || kind == VMI_ERR_GONE) {
        w->gone = TRUE;
    } else if (w->in_inline || w->xen) {
        /* no libvirt round trip on the main thread: the main loop looks
         * (a Xen domain: the main loop re-lists xenstore) */
        g_idle_add_full(G_PRIORITY_DEFAULT, recheck_path, g_strdup(w->path), g_free);
    } else {
        virDomainPtr dom = helperd_worker_dom(w);
        if (dom) {
            int active = virDomainIsActive(dom);
            if (active == 0 || (active < 0 && helperd_error_from_virt(HELPERD_ERROR_FAILED) ==
                                              HELPERD_ERROR_DOMAIN_GONE))
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

HelperdError helperd_worker_vmi_error(HelperdWorker *w, gboolean callers_value)
{
    return helperd_error_from_vmi(vmi_get_last_error_code(w->vmi), callers_value);
}

void helperd_worker_fail_op(HelperdWorker *w, GDBusMethodInvocation *inv, const GError *error)
{
    switch (error->domain == VMI_DOMOPS_ERROR ? error->code : -1) {
    case VMI_DOMOPS_ERROR_ARGUMENT:
        /* found without the guest: nothing to ask libvirt */
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "%s", error->message);
        return;
    case VMI_DOMOPS_ERROR_TOO_LARGE:
        helperd_return_error(inv, HELPERD_ERROR_TOO_LARGE, "%s", error->message);
        return;
    case VMI_DOMOPS_ERROR_VALUE:
        helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, TRUE), "%s", error->message);
        return;
    default:
        helperd_worker_fail(w, inv, helperd_worker_vmi_error(w, FALSE), "%s", error->message);
        return;
    }
}

void helperd_worker_fail(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdError code,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* DomainGone from the error's kind, or libvirt says it no longer runs */
    if (helperd_worker_check_gone(w, code == HELPERD_ERROR_DOMAIN_GONE ? VMI_ERR_GONE
                                                                       : VMI_ERR_NONE, msg)) {
        helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE,
                             "Domain '%s' is gone (stopped or undefined) while the call ran: %s",
                             w->name, msg);
        return;
    }
    helperd_return_error(inv, code, "%s", msg);
}

/* ------------------------------------------------------------ opening libvmi */

static void watches_clear(HelperdWorker *w, const char *why);

/* Closes the instance; its watches go first (their owners are told @why). */
static void rearm_drop(HelperdWorker *w, const char *why);
static void rearm_watches(HelperdWorker *w);

/* (watches waiting to be re-armed stay: a reopen is not their end) */
static void worker_close(HelperdWorker *w, const char *why)
{
    watches_clear(w, why);
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
    /* NOT_FOUND: the file is there and valid, without this entry */
    g_autofree char *why = g_strdup(vmi_get_last_error(NULL));
    if (vmi_get_last_error_code(NULL) != VMI_ERR_NOT_FOUND)
        goto fail;
    entry = vmi_config_read_entry(cfg->libvmi_conf, w->uuid);
    if (entry) {
        w->zero_config = FALSE;
        return entry;
    }
    if (vmi_get_last_error_code(NULL) != VMI_ERR_NOT_FOUND) {
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
    if (w->xen) {
        /* by domain ID: a name can be reused by the next domain */
        g_autofree char *qname = helperd_config_quote(w->name);
        return g_strdup_printf("%s\nname = \"%s\";\ndomid = %u;\n", entry ? entry : "", qname,
                               w->domid);
    }
    g_autofree char *uri = worker_uri(w);
    g_autofree char *quri = helperd_config_quote(uri ? uri : HELPERD_DEFAULT_URI);
    return g_strdup_printf("%s\nname = \"%s\";\nuri = \"%s\";\n", entry ? entry : "", w->uuid, quri);
}

/* libvirt's test driver (test:///default, the hermetic tests) runs no
 * QEMU: a domain of it is opened as the snapshot file its libvmi.conf
 * entry names with "path", else not at all.  Never the case on a host. */
static gboolean worker_on_test_driver(HelperdWorker *w)
{
    virDomainPtr dom = helperd_worker_dom(w);
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
            worker_close(w, "the domain's libvmi.conf entry is no longer readable");
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
        uint32_t mode = w->xen ? VMI_XEN : VMI_KVM;
        if (test_driver) {
            mode = VMI_FILE;
            g_free(partial);
            partial = g_strdup(config);     /* the snapshot's path is in the entry */
        }
        if (vmi_init_custom(&vmi, mode | VMI_INIT_PARTIAL | VMI_CONFIG_STRING, partial)
            != VMI_SUCCESS) {
            const char *err = vmi_get_last_error(NULL);
            if (helperd_worker_check_gone(w, vmi_get_last_error_code(NULL), err))
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
        if (helperd_worker_check_gone(w, vmi_get_last_error_code(w->vmi), err)) {
            worker_close(w, "the domain is gone");
            rearm_drop(w, "the domain is gone");
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
            worker_close(w, "libvmi was reopened on the domain");
        w->next_try = now + retry;
        worker_publish_props(w);
        return FALSE;
    }
    w->complete = TRUE;
    w->zero_fails = 0;
    g_clear_pointer(&w->reason, g_free);
    g_clear_pointer(&w->last_logged, g_free);
    rearm_watches(w);
    worker_publish_props(w);
    return TRUE;
}

/* ------------------------------------------------------------ watches */

void helperd_watch_free(HelperdWatch *wt)
{
    g_free(wt->owner);
    g_free(wt);
}

HelperdArmResult helperd_watch_arm(HelperdWorker *w, HelperdWatch *wt, char **err)
{
    vmi_event_t *ev = &wt->event;
    memset(ev, 0, sizeof(*ev));
    ev->data = wt;
    ev->callback = helperd_watch_hit;
    if (strcmp(wt->access, "x") == 0) {
        ev->type = VMI_EVENT_INTERRUPT;
        ev->interrupt_event.intr = INT3;
        ev->interrupt_event.gla = wt->addr;
    } else {
        addr_t pa = vmi_translate_kv2p(w->vmi, wt->addr);
        if (!pa) {
            *err = g_strdup_printf("Domain '%s': the kernel address 0x%" G_GINT64_MODIFIER "x is "
                                   "not mapped.", w->name, (guint64)wt->addr);
            return HELPERD_ARM_UNMAPPED;
        }
        ev->type = VMI_EVENT_MEMORY;
        ev->mem_event.physical_address = pa;
        ev->mem_event.granularity = VMI_MEMEVENT_BYTE;
        ev->mem_event.in_access = strcmp(wt->access, "r") == 0 ? VMI_MEMACCESS_R :
                                  strcmp(wt->access, "w") == 0 ? VMI_MEMACCESS_W : VMI_MEMACCESS_RW;
    }
    if (vmi_register_event(w->vmi, ev) == VMI_SUCCESS)
        return HELPERD_ARM_OK;
    const char *why = vmi_get_last_error(w->vmi);
    /* UNSUPPORTED: the access path has no events (no gdbstub); any other
     * failure is the stub's or the guest's */
    if (vmi_get_last_error_code(w->vmi) == VMI_ERR_UNSUPPORTED) {
        *err = g_strdup_printf("Domain '%s' has no access path with watchpoints (%s); "
                               "Enable(\"gdbstub\") and restart it.", w->name, why);
        return HELPERD_ARM_UNSUPPORTED;
    }
    *err = g_strdup_printf("Domain '%s': the watch at 0x%" G_GINT64_MODIFIER "x cannot be set: "
                           "%s.", w->name, (guint64)wt->addr, why);
    return HELPERD_ARM_FAILED;
}

/* The watches waiting since a libvirt reconnection all go, their owners
 * told @why. */
static void rearm_drop(HelperdWorker *w, const char *why)
{
    for (guint i = 0; i < w->rearm->len; i++) {
        HelperdWatch *wt = w->rearm->pdata[i];
        helperd_log("domain %s: watch %u of %s dropped (not re-armed): %s", w->name, wt->id,
                    wt->owner, why);
        if (helperd.bus)
            g_dbus_connection_emit_signal(helperd.bus, wt->owner, w->path, HELPERD_DOMAIN_IFACE,
                                          "WatchLost", g_variant_new("(us)", wt->id, why), NULL);
    }
    g_ptr_array_set_size(w->rearm, 0);
}

/* The instance is complete again after a reconnection: each waiting watch
 * is set again, with its id; one that cannot be is lost, and its owner
 * told why. */
static void rearm_watches(HelperdWorker *w)
{
    while (w->rearm->len > 0) {
        HelperdWatch *wt = g_ptr_array_steal_index(w->rearm, 0);
        g_autofree char *err = NULL;
        if (helperd_watch_arm(w, wt, &err) == HELPERD_ARM_OK) {
            helperd_log("domain %s: watch %u of %s re-armed at 0x%" G_GINT64_MODIFIER "x (%s) "
                        "after the libvirt reconnection", w->name, wt->id, wt->owner,
                        (guint64)wt->addr, wt->access);
            g_ptr_array_add(w->watches, wt);
            continue;
        }
        g_autofree char *why = g_strdup_printf("the libvirt connection was lost and made again, "
                                               "and re-arming the watch on the reopened instance "
                                               "failed: %s", err);
        helperd_log("domain %s: watch %u of %s dropped: %s", w->name, wt->id, wt->owner, why);
        if (helperd.bus)
            g_dbus_connection_emit_signal(helperd.bus, wt->owner, w->path, HELPERD_DOMAIN_IFACE,
                                          "WatchLost", g_variant_new("(us)", wt->id, why), NULL);
        helperd_watch_free(wt);
    }
}

/* A libvirt reconnection closes the instance: its watches are cleared from
 * the guest (while it reaches it) and kept to be re-armed. */
static void watches_keep_for_rearm(HelperdWorker *w)
{
    for (guint i = 0; i < w->watches->len; i++) {
        HelperdWatch *wt = w->watches->pdata[i];
        gboolean cleared = FALSE;
        if (w->vmi && !w->gone)
            cleared = vmi_clear_event(w->vmi, &wt->event) == VMI_SUCCESS;
        helperd_log("domain %s: watch %u of %s%s, to be re-armed once libvmi is reopened",
                    w->name, wt->id, wt->owner, cleared ? " cleared from the guest" : " kept");
    }
    while (w->watches->len > 0)
        g_ptr_array_add(w->rearm, g_ptr_array_steal_index(w->watches, 0));
    for (guint i = 0; i < w->hits->len; i++)
        g_free(g_array_index(w->hits, Hit, i).owner);
    g_array_set_size(w->hits, 0);
    if (w->rearm->len)
        w->rearm_deadline = g_get_monotonic_time() + (gint64)HELPERD_REARM_WAIT_S * G_USEC_PER_SEC;
}

/* Every watch goes: cleared from the guest while the instance reaches it
 * (an execute watch's INT3 gives way to the original byte), and its owner
 * gets WatchLost(id, @why) rather than silence. */
static void watches_clear(HelperdWorker *w, const char *why)
{
    for (guint i = 0; i < w->watches->len; i++) {
        HelperdWatch *wt = w->watches->pdata[i];
        gboolean cleared = FALSE;
        if (w->vmi && !w->gone)
            cleared = vmi_clear_event(w->vmi, &wt->event) == VMI_SUCCESS;
        if (!cleared && w->vmi && !w->gone)
            helperd_log("domain %s: watch %u at 0x%" G_GINT64_MODIFIER "x could not be cleared "
                        "from the guest: %s", w->name, wt->id, (guint64)wt->addr,
                        vmi_get_last_error(w->vmi));
        helperd_log("domain %s: watch %u of %s dropped%s: %s", w->name, wt->id, wt->owner,
                    cleared ? " (cleared from the guest)" : "", why);
        if (helperd.bus)
            g_dbus_connection_emit_signal(helperd.bus, wt->owner, w->path, HELPERD_DOMAIN_IFACE,
                                          "WatchLost", g_variant_new("(us)", wt->id, why), NULL);
    }
    /* the events are ours: libvmi forgets them when the instance goes */
    g_ptr_array_set_size(w->watches, 0);
    for (guint i = 0; i < w->hits->len; i++)
        g_free(g_array_index(w->hits, Hit, i).owner);
    g_array_set_size(w->hits, 0);
}

void helperd_watch_hit(vmi_instance_t vmi, vmi_event_t *ev)
{
    HelperdWatch *wt = ev->data;
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
        if (helperd_worker_check_gone(w, vmi_get_last_error_code(w->vmi), err)) {
            /* gone: libvmi's slots die with the instance */
            watches_clear(w, "the domain is gone");
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

void helperd_worker_state(HelperdWorker *w, const char *state)
{
    StateMsg *m = g_new0(StateMsg, 1);
    m->path = g_strdup(w->path);
    m->state = state;
    g_main_context_invoke(NULL, state_apply, m);
}

/* The caller that paused the domain is gone (or the daemon exits): the
 * guest runs again. */
static void worker_resume_pauser(HelperdWorker *w, const char *why)
{
    if (!w->paused_by)
        return;
    g_autofree char *who = g_steal_pointer(&w->paused_by);
    if (w->xen) {
        /* (the instance is there: it paused the domain) */
        if (w->vmi && vmi_resume_vm(w->vmi) == VMI_SUCCESS) {
            helperd_log("domain %s resumed: %s paused it and %s", w->name, who, why);
            helperd_worker_state(w, "running");
        } else {
            helperd_log("domain %s: %s paused it and %s, but resuming failed: %s", w->name, who,
                        why, w->vmi ? vmi_get_last_error(w->vmi) : "no instance");
        }
        return;
    }
    virDomainPtr dom = helperd_worker_dom(w);
    int state = VIR_DOMAIN_NOSTATE;
    if (dom && virDomainGetState(dom, &state, NULL, 0) == 0 && state == VIR_DOMAIN_PAUSED) {
        if (virDomainResume(dom) == 0) {
            helperd_log("domain %s resumed: %s paused it and %s", w->name, who, why);
            helperd_worker_state(w, "running");
        } else {
            helperd_log("domain %s: %s paused it and %s, but resuming failed: %s", w->name, who,
                        why, helperd_virt_error());
        }
    }
    if (dom)
        virDomainFree(dom);
}

/* ------------------------------------------------------------ snapshots */

gboolean helperd_snapshot_reply_error(HelperdSnapshot *s, HelperdError code, const char *message)
{
    if (!g_atomic_int_compare_and_exchange(&s->replied, 0, 1))
        return FALSE;
    helperd_return_error(s->inv, code, "%s", message);
    return TRUE;
}

void helperd_snapshot_unref(HelperdSnapshot *s)
{
    if (!g_atomic_int_dec_and_test(&s->refs))
        return;
    if (s->dom)
        virDomainFree(s->dom);
    g_free(s->owner);
    g_free(s->path);
    g_free(s->name);
    g_free(s);
}

void helperd_worker_start_snapshot(HelperdWorker *w, HelperdSnapshot *s)
{
    if (w->snapshot) {
        helperd_snapshot_reply_error(s, HELPERD_ERROR_BUSY, "A snapshot of this domain is "
                                     "being written already; try again once it is done.");
        helperd_snapshot_unref(s);
        return;
    }
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    s->timeout_s = cfg->snapshot_timeout;
    s->deadline = g_get_monotonic_time() + (gint64)s->timeout_s * G_USEC_PER_SEC;
    g_atomic_int_inc(&s->refs);             /* the thread's */
    w->snapshot = s;
    g_autofree char *tname = g_strdup_printf("snap-%.9s", w->name);
    g_thread_unref(g_thread_new(tname, helperd_snapshot_thread, s));
}

/* The snapshot is given up: its file goes once the thread can go on (a
 * write into a stalled file system may block until the file system
 * does), the call is answered now. */
static void snapshot_abandon(HelperdWorker *w, HelperdError code, const char *why)
{
    HelperdSnapshot *s = g_steal_pointer(&w->snapshot);
    if (!s)
        return;
    g_atomic_int_set(&s->cancel, 1);
    g_autofree char *msg = g_strdup_printf("Domain '%s': the snapshot was given up: %s.",
                                           w->name, why);
    if (!g_atomic_int_get(&s->done) && helperd_snapshot_reply_error(s, code, msg))
        helperd_log("domain %s: snapshot for %s cancelled: %s", w->name, s->owner, why);
    helperd_snapshot_unref(s);
}

/* The worker's look at its snapshot: ended, or past its deadline. */
static void snapshot_check(HelperdWorker *w)
{
    HelperdSnapshot *s = w->snapshot;
    if (!s)
        return;
    if (g_atomic_int_get(&s->done)) {
        w->snapshot = NULL;
        helperd_snapshot_unref(s);
    } else if (g_get_monotonic_time() >= s->deadline) {
        g_autofree char *why = g_strdup_printf("it ran past snapshot_timeout (%u s): the file "
                                               "system does not take the writes", s->timeout_s);
        snapshot_abandon(w, HELPERD_ERROR_FAILED, why);
    }
}

static void watches_drop_owner(HelperdWorker *w, const char *owner)
{
    if (w->snapshot && strcmp(w->snapshot->owner, owner) == 0)
        snapshot_abandon(w, HELPERD_ERROR_FAILED, "its caller left the bus");
    if (g_strcmp0(w->paused_by, owner) == 0)
        worker_resume_pauser(w, "left the bus");
    for (guint i = w->watches->len; i-- > 0;) {
        HelperdWatch *wt = w->watches->pdata[i];
        if (strcmp(wt->owner, owner) != 0)
            continue;
        if (w->vmi && !w->gone)
            vmi_clear_event(w->vmi, &wt->event);
        helperd_log("domain %s: watch %u removed: its owner %s left the bus", w->name, wt->id, owner);
        g_ptr_array_remove_index(w->watches, i);
    }
    for (guint i = w->rearm->len; i-- > 0;) {
        HelperdWatch *wt = w->rearm->pdata[i];
        if (strcmp(wt->owner, owner) != 0)
            continue;
        helperd_log("domain %s: watch %u (waiting to be re-armed) removed: its owner %s left "
                    "the bus", w->name, wt->id, owner);
        g_ptr_array_remove_index(w->rearm, i);
    }
}
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
    if (helperd_bench_keep_caches)
        return;
    vmi_pidcache_flush(w->vmi);
    vmi_v2pcache_flush(w->vmi);
    vmi_rvacache_flush(w->vmi);
}

/* A call that will not run because the worker stops. */
static void worker_refuse_stopping(HelperdWorker *w, GDBusMethodInvocation *inv)
{
    if (w->stop_why)
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "vmi-helperd is stopping (%s): the "
                             "call to domain '%s' was not run; call again once the helper is "
                             "back.", w->stop_why, w->name);
    else
        helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE,
                             "Domain '%s' was stopped or undefined.", w->name);
}

static void worker_run_call(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdWorkerFunc fn,
                            gboolean any_time)
{
    if (g_atomic_int_get(&w->stopping)) {
        worker_refuse_stopping(w, inv);
        return;
    }
    if (w->gone) {
        helperd_return_error(inv, HELPERD_ERROR_DOMAIN_GONE,
                             "Domain '%s' was stopped or undefined.", w->name);
        return;
    }
    if (!any_time && !w->complete) {
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
    worker_doing(w, g_strdup_printf("a %s call", g_dbus_method_invocation_get_method_name(inv)));
    fn(w, inv, g_dbus_method_invocation_get_parameters(inv));
    worker_doing(w, NULL);
}

/* ------------------------------------------------------------ the thread */

static void worker_free(HelperdWorker *w)
{
    queue_clear(w);
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
    g_ptr_array_unref(w->rearm);
    g_array_unref(w->hits);
    helperd_worker_status_unref(w->status);
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
                                  HelperdWorkerFunc fn)
{
    if (!g_atomic_int_get(&w->fast) || queue_busy(w))
        return FALSE;
    if (!g_mutex_trylock(&w->run))
        return FALSE;
    gboolean ok = g_atomic_int_get(&w->fast) && !w->gone && !g_atomic_int_get(&w->stopping);
    if (ok) {
        w->in_inline = TRUE;
        worker_run_call(w, inv, fn, FALSE);
        w->in_inline = FALSE;
    }
    g_mutex_unlock(&w->run);
    return ok;
}

static gpointer worker_main(gpointer data)
{
    HelperdWorker *w = data;
    for (;;) {
        Job *job;
        gboolean listening = w->watches->len > 0 && w->vmi && !w->gone;
        snapshot_check(w);
        /* a snapshot running: its deadline is looked at every second */
        gint64 cap = w->snapshot ? G_USEC_PER_SEC : -1;
        if (listening) {
            job = queue_pop(w, 0);
        } else if (!w->complete && !w->gone) {
            gint64 wait = w->next_try - g_get_monotonic_time();
            job = queue_pop(w, wait > 0 ? (cap > 0 ? MIN(wait, cap) : wait) : 0);
        } else {
            job = queue_pop(w, cap);
        }
        if (!job && cap > 0 && !listening && (w->complete || w->gone))
            continue;
        g_mutex_lock(&w->run);
        if (job) {
            JobKind kind = job->kind;
            switch (kind) {
            case JOB_CALL:
                worker_run_call(w, job->inv, job->fn, job->any_time);
                break;
            case JOB_DROP_OWNER:
                watches_drop_owner(w, job->owner);
                break;
            case JOB_RESET:
                watches_keep_for_rearm(w);
                worker_close(w, "the libvirt connection was lost and made again");
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
        if (w->rearm->len && !w->complete && g_get_monotonic_time() >= w->rearm_deadline) {
            g_autofree char *why = g_strdup_printf(
                "the libvirt connection was lost and made again, and libvmi could not be "
                "reopened on the domain within %d s to re-arm the watch: %s",
                HELPERD_REARM_WAIT_S, w->reason ? w->reason : "not introspectable");
            rearm_drop(w, why);
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
    g_autofree char *why = w->stop_why ? g_strdup_printf("vmi-helperd is stopping (%s)", w->stop_why)
                                       : g_strdup("the helper stops following the domain");
    /* calls still queued: each is answered, none dropped */
    snapshot_abandon(w, w->stop_why ? HELPERD_ERROR_FAILED : HELPERD_ERROR_DOMAIN_GONE, why);
    Job *job;
    guint refused = 0;
    while ((job = queue_pop(w, 0)) != NULL) {
        if (job->kind == JOB_CALL) {
            worker_refuse_stopping(w, job->inv);
            refused++;
        }
        job_free(job);
    }
    if (refused)
        helperd_log("domain %s: %u queued call%s answered Failed: %s", w->name, refused,
                    refused == 1 ? "" : "s", why);
    worker_doing(w, g_strdup("clearing its watches from the guest"));
    worker_close(w, why);
    rearm_drop(w, why);
    worker_doing(w, g_strdup("resuming the domain a caller paused"));
    worker_resume_pauser(w, why);
    worker_doing(w, NULL);
    g_mutex_unlock(&w->run);
    helperd_debug("domain %s: worker done", w->name);
    HelperdWorkerStatus *st = helperd_worker_status_ref(w->status);
    worker_free(w);
    g_atomic_int_set(&st->done, 1);
    helperd_worker_status_unref(st);
    return NULL;
}

HelperdWorker *helperd_worker_new(HelperdDomain *d, virDomainPtr dom, const char *uri)
{
    HelperdWorker *w = g_new0(HelperdWorker, 1);
    w->serial = next_serial++;
    queue_init(w);
    w->name = g_strdup(d->name);
    w->uuid = g_strdup(d->uuid);
    w->path = g_strdup(d->path);
    g_mutex_init(&w->lock);
    g_mutex_init(&w->run);
    w->xen = d->xen;
    w->domid = d->domid;
    if (dom)
        virDomainRef(dom);
    w->dom = dom;
    w->uri = g_strdup(uri);
    w->watches = g_ptr_array_new_with_free_func((GDestroyNotify)helperd_watch_free);
    w->rearm = g_ptr_array_new_with_free_func((GDestroyNotify)helperd_watch_free);
    w->hits = g_array_new(FALSE, TRUE, sizeof(Hit));
    w->reason = g_strdup_printf("Domain '%s': libvmi is being opened on it.", d->name);
    w->status = g_new0(HelperdWorkerStatus, 1);
    w->status->refs = 1;
    g_mutex_init(&w->status->lock);
    w->status->name = g_strdup(d->name);
    g_autofree char *tname = g_strdup_printf("dom-%.10s", d->name);
    w->thread = g_thread_new(tname, worker_main, w);
    return w;
}

static void worker_push(HelperdWorker *w, Job *job)
{
    queue_push_control(w, job);
}

void helperd_worker_stop(HelperdWorker *w, gboolean join, const char *why)
{
    GThread *t = w->thread;
    w->stop_why = why;          /* before stopping: read by the worker after it */
    g_atomic_int_set(&w->stopping, 1);
    Job *job = g_new0(Job, 1);
    job->kind = JOB_STOP;
    worker_push(w, job);
    if (join)
        g_thread_join(t);
    else
        g_thread_unref(t);
}

void helperd_worker_reset(HelperdWorker *w, virDomainPtr dom, const char *uri)
{
    Job *job = g_new0(Job, 1);
    job->kind = JOB_RESET;
    virDomainRef(dom);
    job->dom = dom;
    job->uri = g_strdup(uri);
    worker_push(w, job);
}

void helperd_worker_drop_owner(HelperdWorker *w, const char *owner)
{
    Job *job = g_new0(Job, 1);
    job->kind = JOB_DROP_OWNER;
    job->owner = g_strdup(owner);
    worker_push(w, job);
}

void helperd_worker_call(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdWorkerFunc fn,
                         gboolean any_time, gboolean may_inline)
{
    if (may_inline && !any_time && worker_try_inline(w, inv, fn))
        return;
    Job *job = g_new0(Job, 1);
    job->kind = JOB_CALL;
    job->inv = inv;
    job->fn = fn;
    job->any_time = any_time;
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    if (!queue_push_call(w, sender ? sender : "", job)) {
        g_free(job);
        helperd_return_error(inv, HELPERD_ERROR_BUSY, "Domain '%s': %d calls of this connection "
                             "wait already; wait for their replies before sending more.", w->name,
                             HELPERD_MAX_QUEUED_PER_CALLER);
    }
}
