/*
 * helperd-worker.h - vmi-helperd: the worker thread of a domain, as its
 * object (helperd-domain.c) and its method handlers (helperd-iface.c) see
 * it.  Private to the daemon.
 *
 * A worker owns the domain's libvmi instance and runs every call on it, one
 * at a time, from its job queue; the handlers run on the worker (or, for a
 * constant-time read, inline on the main thread under the same lock, see
 * helperd_worker_call) and reply to the call themselves.
 *
 * The rule of HELPERD_METHOD_INLINE: the main thread serves every caller
 * and every domain, so what runs inline must be bounded by a constant
 * whatever the guest holds.  Allowed: reads of the mapped RAM (or of
 * QEMU's process) up to HELPERD_INLINE_MAX_READ, a kernel page walk (a
 * fixed number of reads), cached kernel values.  Never inline: anything
 * that walks a guest list (a pid other than 0: the task list, a million
 * entries in a hostile guest; ListProcesses), reads a file (a symbol:
 * ReadSymbol, LookupSymbol may re-read the System.map), or waits on a peer
 * (the gdbstub, QMP, libvirt: GetRegisters, Pause, a watch; the access
 * paths gdbstub and QMP, which `fast` excludes).  A call that fails inline
 * does not ask libvirt whether the domain still runs (a round trip to
 * libvirtd on the main thread): the main loop looks later, and the call
 * gets the failure's own error.  Per method: the flags and flags_of of the
 * table in helperd-iface.c.
 */
#pragma once

#include "helperd.h"
#include "vmi-domain-ops.h"

/* One watch set by Watch: a libvmi event of the worker's instance. */
typedef struct {
    guint id;
    char *owner;                /* the unique bus name that set it */
    addr_t addr;
    char access[3];             /* "r", "w", "rw" or "x" */
    vmi_event_t event;
    HelperdWorker *w;
} HelperdWatch;

/* A Snapshot in its own thread (its file may sit on a file system that
 * stalls): the worker stays free for other calls, and gives the snapshot
 * up when its caller leaves or when it runs past snapshot_timeout. */
typedef struct {
    gint refs;
    gint cancel;                /* set: the copy stops, the file is removed */
    gint replied;               /* the call was answered (exactly once) */
    gint done;                  /* the thread ended */
    GDBusMethodInvocation *inv;
    char *owner, *path, *name;
    guint32 uid;
    virDomainPtr dom;
    gint64 deadline;            /* monotonic */
    guint timeout_s;
} HelperdSnapshot;

/* Answers the snapshot's call with @code and @message unless answered
 * already; TRUE when this call answered it. */
gboolean helperd_snapshot_reply_error(HelperdSnapshot *s, HelperdError code, const char *message);
void helperd_snapshot_unref(HelperdSnapshot *s);
/* The snapshot's thread (helperd-iface.c): creates the file as the caller,
 * dumps, copies; answers unless answered; sets done; drops its reference. */
gpointer helperd_snapshot_thread(gpointer s);

/* What a worker does, seen from the main loop after the worker itself may
 * be gone: the shutdown waits on `done` and names a worker that did not
 * finish, with what it was doing. */
typedef struct {
    gint refs;
    gint done;                  /* the worker thread ended */
    GMutex lock;                /* doing */
    char *name;
    char *doing;                /* e.g. "a ListProcesses call", NULL: idle */
} HelperdWorkerStatus;

HelperdWorkerStatus *helperd_worker_status_ref(HelperdWorkerStatus *st);
void helperd_worker_status_unref(HelperdWorkerStatus *st);
/* What the worker is doing (a copy, NULL when idle). */
char *helperd_worker_status_doing(HelperdWorkerStatus *st);

struct HelperdWorker {
    guint64 serial;
    /* The job queue (under qlock): control jobs (reset, a caller left,
     * stop) first, then calls, one per caller in turn (round robin over
     * `ring`, each caller's own in order), at most
     * HELPERD_MAX_QUEUED_PER_CALLER waiting per caller. */
    GMutex qlock;
    GCond qcond;
    GQueue control;             /* Job* */
    GQueue ring;                /* CallerQueue*, whose turn is next first */
    GHashTable *callers;        /* unique name -> CallerQueue* (non-empty ones) */
    guint queued;               /* calls waiting */
    HelperdSnapshot *snapshot;  /* the worker thread's: one at a time */
    GThread *thread;
    gint stopping;
    char *name, *uuid, *path;
    gboolean xen;               /* a Xen domain: VMI_XEN on domid, no libvirt */
    guint32 domid;
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
    GPtrArray *watches;         /* HelperdWatch* */
    /* Watches of an instance closed by a libvirt reconnection (JOB_RESET):
     * cleared from the guest, re-armed on the reopened instance as soon as
     * it is complete; each that cannot be (or not within
     * HELPERD_REARM_WAIT_S) is dropped and its owner gets WatchLost. */
    GPtrArray *rearm;           /* HelperdWatch* */
    gint64 rearm_deadline;      /* monotonic */
    guint next_watch_id;
    GArray *hits;               /* watch hits not told yet */
    char *paused_by;            /* the bus name whose Pause paused the domain */
    /* The instance is used under `run`: by the worker for every job, and by
     * the main thread for a read-only call when `fast` says the instance is
     * complete on a path that never waits for the guest (shm, process), no
     * watch is armed and the queue is empty. That call then costs no thread
     * hop (see worker_try_inline). */
    GMutex run;
    gint fast;
    HelperdWorkerStatus *status;
    gboolean in_inline;         /* under `run`: the call runs on the main thread */
    const char *stop_why;       /* set with stopping: the daemon exits (why), else NULL */
};

/* A method's work on the worker's instance; replies to @inv. */
typedef void (*HelperdWorkerFunc)(HelperdWorker *w, GDBusMethodInvocation *inv, GVariant *params);

/* ------------------------------------------------------------ main loop */

/* Starts the worker of @d, which opens libvmi on @dom of @uri (a Xen
 * domain, d->xen: NULL, NULL; libvmi's xen driver on d->domid). */
HelperdWorker *helperd_worker_new(HelperdDomain *d, virDomainPtr dom, const char *uri);
/* The worker ends on its own (joined when @join); nothing of it may be
 * touched afterwards.  @why (a static string) is NULL when the domain went
 * away, else why the daemon exits ("SIGTERM", "the bus connection
 * closed"): the calls still queued are answered Failed saying so (never
 * dropped), the call running ends, every watch is cleared from the guest
 * (vmi_clear_event: an execute watch's INT3 is replaced by the original
 * byte) and its owner told (WatchLost), a domain paused by a caller's Pause
 * is resumed, the instance destroyed. */
void helperd_worker_stop(HelperdWorker *w, gboolean join, const char *why);
/* The libvirt connection came back: libvmi is reopened on @dom.  The
 * watches are cleared from the guest (when the instance still reaches it)
 * and re-armed, with their ids, on the reopened instance once it is
 * complete; the owner of each that cannot be re-armed gets WatchLost(id,
 * reason), never silence. */
void helperd_worker_reset(HelperdWorker *w, virDomainPtr dom, const char *uri);
/* The bus name @owner left: its watches go, a pause of it is undone. */
void helperd_worker_drop_owner(HelperdWorker *w, const char *owner);
/* Runs @fn for the call @inv: queued, or at once on this thread when
 * @may_inline and the instance is idle on a path that never waits for the
 * guest.  Unless @any_time, the domain must be introspectable (a call
 * retries the libvmi init first). */
void helperd_worker_call(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdWorkerFunc fn,
                         gboolean any_time, gboolean may_inline);
/* Starts @s's thread (the worker's job; takes @s). */
void helperd_worker_start_snapshot(HelperdWorker *w, HelperdSnapshot *s);

/* ------------------------------------------------------------ for the handlers */

/* The libvirt domain (a new reference), or NULL while disconnected. */
virDomainPtr helperd_worker_dom(HelperdWorker *w);
/* After a failure of libvmi error kind @kind (@err, for the log): whether
 * it is because the domain went away, from the kind or from libvirt (then
 * the main loop is told to look). */
gboolean helperd_worker_check_gone(HelperdWorker *w, vmi_error_code_t kind, const char *err);
/* The D-Bus error of the instance's last libvmi error, in a step that
 * looked up a value of the caller (@callers_value) or not. */
HelperdError helperd_worker_vmi_error(HelperdWorker *w, gboolean callers_value);
/* Replies with the D-Bus error of @error (a VMI_DOMOPS_ERROR of a shared
 * Domain operation on the instance: the table of helperd-util.c), as
 * helperd_worker_fail. */
void helperd_worker_fail_op(HelperdWorker *w, GDBusMethodInvocation *inv, const GError *error);
/* Replies with @code, or DomainGone when the failure is the domain's going
 * away (@code is DomainGone, or libvirt says it no longer runs). */
void helperd_worker_fail(HelperdWorker *w, GDBusMethodInvocation *inv, HelperdError code,
                         const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Tells the main loop the domain's State is now @state (a static string). */
void helperd_worker_state(HelperdWorker *w, const char *state);
typedef enum {
    HELPERD_ARM_OK,
    HELPERD_ARM_UNMAPPED,       /* the address is not mapped in the kernel */
    HELPERD_ARM_UNSUPPORTED,    /* the access path has no events */
    HELPERD_ARM_FAILED,         /* the stub or the guest refused */
} HelperdArmResult;
/* Builds @wt's event from its addr and access and registers it on the
 * worker's instance; on failure, @err (a sentence) says why. */
HelperdArmResult helperd_watch_arm(HelperdWorker *w, HelperdWatch *wt, char **err);
/* libvmi's callback of a watch's event (ev->data is the HelperdWatch). */
void helperd_watch_hit(vmi_instance_t vmi, vmi_event_t *ev);
void helperd_watch_free(HelperdWatch *wt);
