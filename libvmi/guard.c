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
    uintptr_t fault;            /* the address that faulted */
} guard_slot_t;

static __thread volatile guard_slot_t guard_slot __attribute__((tls_model("initial-exec")));

/* The handler before ours, in one of two slots: a re-install writes the
 * other slot and then switches, so that the handler never reads a
 * half-written one. */
static struct sigaction previous_slots[2];
static volatile sig_atomic_t previous_index;
static volatile sig_atomic_t installed;
static GMutex install_lock;

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
            g->fault = a;
            siglongjmp(*j, 1);
        }
    }
    /* not ours: what would have happened without us */
    const struct sigaction previous = previous_slots[previous_index];
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

void vmi_guard_install(void)
{
    g_mutex_lock(&install_lock);
    struct sigaction cur;
    /* Ours already (and not replaced by the program since): done. */
    if (installed && sigaction(SIGBUS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
        cur.sa_sigaction == bus_handler) {
        g_mutex_unlock(&install_lock);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = bus_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* The program's handler (installed before us, or after a previous
     * install of ours) is the one to chain to. */
    int next = !previous_index;
    if (sigaction(SIGBUS, NULL, &previous_slots[next]) == 0) {
        previous_index = next;
        if (sigaction(SIGBUS, &sa, NULL) == 0)
            installed = 1;
        else
            g_warning("libvmi: cannot install the SIGBUS handler: a file that shrinks under "
                      "its mapping will kill the process");
    }
    g_mutex_unlock(&install_lock);
}

bool vmi_guard_installed(void)
{
    return installed;
}

/* One copy: n, or on a fault the offset of the faulting page (in @src
 * or @dst, whichever faulted), which bytes before are worth trying again. */
static size_t copy_once(void *dst, const void *src, size_t n, bool *faulted)
{
    volatile guard_slot_t *g = &guard_slot;
    sigjmp_buf jump;
    if (sigsetjmp(jump, 0)) {
        g->jump = NULL;
        *faulted = true;
        uintptr_t a = g->fault, base = a - (uintptr_t)src < n ? (uintptr_t)src : (uintptr_t)dst;
        size_t off = (size_t)(a - base);
        /* the page boundary below the fault, as an offset of the copy */
        size_t page_off = (size_t)((a & ~(uintptr_t)4095) - base);
        return page_off <= off ? page_off : 0;
    }
    g->src = (uintptr_t)src;
    g->dst = (uintptr_t)dst;
    g->len = n;
    g->jump = &jump;
    __asm__ volatile("" ::: "memory");
    memcpy(dst, src, n);
    __asm__ volatile("" ::: "memory");
    g->jump = NULL;
    *faulted = false;
    return n;
}

size_t vmi_guarded_copy_part(void *dst, const void *src, size_t n)
{
    /* Bytes before the faulting page may still be there: copied again up
     * to it (memcpy may have copied in any order).  Each retry is shorter,
     * by at least a page. */
    for (;;) {
        bool faulted;
        size_t got = copy_once(dst, src, n, &faulted);
        if (!faulted)
            return n;
        if (got == 0 || got >= n)
            return 0;
        n = got;
    }
}

bool vmi_guarded_copy(void *dst, const void *src, size_t n)
{
    bool faulted;
    copy_once(dst, src, n, &faulted);
    return !faulted;
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
