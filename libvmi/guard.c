/*
 * guard.c - SIGBUS-safe copies through file mappings (see guard.h).
 *
 * Each thread has one guard slot: while a guarded copy runs, it points at
 * the copy's jump buffer and its two address ranges.  The handler, on a
 * fault the kernel raised (not a kill()) at an address inside one of those
 * ranges, jumps back into vmi_guarded_copy(), which returns false.  The
 * slot is initial-exec TLS: reading it in the handler takes no lock and
 * allocates nothing.
 *
 * The handler is installed with SA_NODEFER, so that jumping out of it
 * leaves SIGBUS unblocked without the cost of saving the signal mask in
 * every copy (sigsetjmp(, 0) is a few register stores).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include "guard.h"

typedef struct {
    sigjmp_buf *jump;           /* non-NULL while a guarded copy runs */
    uintptr_t src, dst, len;
} guard_slot_t;

static __thread volatile guard_slot_t guard_slot __attribute__((tls_model("initial-exec")));

static struct sigaction previous;   /* the handler before ours */
static volatile sig_atomic_t installed;

static bool in_range(uintptr_t a, uintptr_t base, uintptr_t len)
{
    return a - base < len;
}

static void bus_handler(int sig, siginfo_t *info, void *uc)
{
    volatile guard_slot_t *g = &guard_slot;
    /* si_code > 0: raised by the kernel for a fault, not sent */
    if (g->jump && info && info->si_code > 0) {
        uintptr_t a = (uintptr_t)info->si_addr;
        if (in_range(a, g->src, g->len) || in_range(a, g->dst, g->len)) {
            sigjmp_buf *j = g->jump;
            g->jump = NULL;
            siglongjmp(*j, 1);
        }
    }
    /* not ours: what would have happened without us */
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, uc);
        return;
    }
    if (previous.sa_handler == SIG_IGN && (!info || info->si_code <= 0))
        return;     /* an ignored SIGBUS that was sent stays ignored */
    if (previous.sa_handler == SIG_DFL || previous.sa_handler == SIG_IGN) {
        /* The default action: for a fault, returning runs the faulting
         * instruction again, which now meets SIG_DFL (the kernel kills a
         * process that ignores a fault, as it would have); a sent signal
         * is sent again. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(SIGBUS, &dfl, NULL);
        if (!info || info->si_code <= 0)
            raise(SIGBUS);
        return;
    }
    previous.sa_handler(sig);
}

static gpointer install_once(gpointer unused)
{
    (void)unused;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = bus_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &previous) == 0)
        installed = 1;
    else
        g_warning("libvmi: cannot install the SIGBUS handler: a file that shrinks under its "
                  "mapping will kill the process");
    return NULL;
}

void vmi_guard_install(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, install_once, NULL);
}

bool vmi_guard_installed(void)
{
    return installed;
}

bool vmi_guarded_copy(void *dst, const void *src, size_t n)
{
    volatile guard_slot_t *g = &guard_slot;
    sigjmp_buf jump;
    if (sigsetjmp(jump, 0)) {
        g->jump = NULL;
        return false;
    }
    g->src = (uintptr_t)src;
    g->dst = (uintptr_t)dst;
    g->len = n;
    g->jump = &jump;
    __asm__ volatile("" ::: "memory");
    memcpy(dst, src, n);
    __asm__ volatile("" ::: "memory");
    g->jump = NULL;
    return true;
}

bool vmi_guarded_run(bool (*fn)(void *arg), void *arg, const void *base, size_t len,
                     bool *faulted)
{
    volatile guard_slot_t *g = &guard_slot;
    sigjmp_buf jump;
    *faulted = false;
    if (sigsetjmp(jump, 0)) {
        g->jump = NULL;
        *faulted = true;
        return false;
    }
    g->src = g->dst = (uintptr_t)base;
    g->len = len;
    g->jump = &jump;
    __asm__ volatile("" ::: "memory");
    bool ok = fn(arg);
    __asm__ volatile("" ::: "memory");
    g->jump = NULL;
    return ok;
}
