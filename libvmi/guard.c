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
 * The jump is GCC's (and clang's) __builtin_setjmp/__builtin_longjmp: the
 * setjmp is three stores inline, where sigsetjmp() is two calls into libc
 * and cost 15-20% of a 4 KiB copy; every register is treated as lost at the
 * resume point, so nothing depends on what the handler's frame held.  The
 * handler is installed with SA_NODEFER, so that jumping out of it leaves
 * SIGBUS unblocked without saving and restoring the signal mask.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include "guard.h"

/* The jump buffer of __builtin_setjmp: five words (frame pointer, the
 * resume address, stack pointer, and room for the target's own use). */
typedef void *guard_jump_t[5];

typedef struct {
    guard_jump_t *jump;         /* non-NULL while a guarded copy runs */
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

#if defined(__x86_64__) && defined(__linux__)
#define GUARD_PC_FIXUP 1
#include <ucontext.h>
/* The copy loop's bounds (in copy_fixup below). */
extern const char vmi_guard_copy_begin[] __attribute__((visibility("hidden")));
extern const char vmi_guard_copy_end[] __attribute__((visibility("hidden")));
#endif

static void bus_handler(int sig, siginfo_t *info, void *uc)
{
#ifdef GUARD_PC_FIXUP
    /* A fault inside the copy loop: resume at its end.  rep movsb and the
     * byte loop leave RCX = the bytes not copied, so the copy returns how
     * far it got, to the byte. */
    if (info && info->si_code > 0 && uc) {
        greg_t *r = ((ucontext_t *)uc)->uc_mcontext.gregs;
        uintptr_t pc = (uintptr_t)r[REG_RIP];
        if (pc >= (uintptr_t)vmi_guard_copy_begin && pc < (uintptr_t)vmi_guard_copy_end) {
            r[REG_RIP] = (greg_t)(uintptr_t)vmi_guard_copy_end;
            return;
        }
    }
#endif
    volatile guard_slot_t *g = &guard_slot;
    /* si_code > 0: raised by the kernel for a fault, not sent */
    if (g->jump && info && info->si_code > 0) {
        uintptr_t a = (uintptr_t)info->si_addr;
        if (in_range(a, g->src, g->len) || in_range(a, g->dst, g->len)) {
            guard_jump_t *j = g->jump;
            g->jump = NULL;
            g->fault = a;
            __builtin_longjmp(*j, 1);
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

#ifndef GUARD_PC_FIXUP
/* One copy: n, or on a fault the offset of the faulting page (in @src
 * or @dst, whichever faulted), which bytes before are worth trying again. */
static size_t copy_once(void *dst, const void *src, size_t n, bool *faulted)
{
    volatile guard_slot_t *g = &guard_slot;
    guard_jump_t jump;
    if (__builtin_setjmp(jump)) {
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
#endif

#ifdef GUARD_PC_FIXUP
/* The copy itself, with nothing to set up: the handler knows it by its
 * program counter.  rep movsb is the C library's own choice for copies of
 * this size on CPUs with ERMS/FSRM (every x86-64 of the last decade);
 * short copies take a byte loop, whose start-up is nil.  Never inlined or
 * cloned: the labels must exist once. */
__attribute__((noinline, noclone)) static size_t copy_fixup(void *dst, const void *src, size_t n)
{
    size_t left = n;
    __asm__ volatile(
        ".globl vmi_guard_copy_begin\n\t"
        ".hidden vmi_guard_copy_begin\n\t"
        ".globl vmi_guard_copy_end\n\t"
        ".hidden vmi_guard_copy_end\n\t"
        "vmi_guard_copy_begin:\n\t"
        "cmpq $32, %%rcx\n\t"
        "jb 2f\n\t"
        "rep movsb\n\t"
        "jmp vmi_guard_copy_end\n"
        "2:\n\t"
        "testq %%rcx, %%rcx\n\t"
        "jz vmi_guard_copy_end\n\t"
        "movb (%%rsi), %%al\n\t"
        "movb %%al, (%%rdi)\n\t"
        "incq %%rsi\n\t"
        "incq %%rdi\n\t"
        "decq %%rcx\n\t"
        "jmp 2b\n"
        "vmi_guard_copy_end:\n\t"
        : "+D"(dst), "+S"(src), "+c"(left)
        :
        : "rax", "cc", "memory");
    return n - left;
}

size_t vmi_guarded_copy_part(void *dst, const void *src, size_t n)
{
    return copy_fixup(dst, src, n);
}

bool vmi_guarded_copy(void *dst, const void *src, size_t n)
{
    return copy_fixup(dst, src, n) == n;
}
#else
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
#endif

bool vmi_guarded_run(bool (*fn)(void *arg), void *arg, const void *base, size_t len,
                     bool *faulted)
{
    volatile guard_slot_t *g = &guard_slot;
    guard_jump_t jump;
    *faulted = false;
    if (__builtin_setjmp(jump)) {
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
