/*
 * small.c - the source of small.btf, BTF as the kernel's build makes it
 * (pahole -J from DWARF), for test-btf.c.  Remade with:
 *   clang -g -O0 -c small.c -o small.o && pahole -J small.o &&
 *   objcopy --dump-section .BTF=small.btf small.o &&
 *   pahole -F btf -C task_struct,mm_struct,list_head small.o > small-pahole.txt
 * (here: Debian 12, clang 14, pahole 1.24).
 */
#include <stdint.h>
struct list_head { struct list_head *next, *prev; };
typedef uint32_t u32;
struct mm_struct { unsigned long start; void *pgd; int count; };
struct task_struct {
    volatile long state;
    unsigned int flags:3, ptrace:5;
    union { int a; struct { short b, c; }; };
    struct list_head tasks;
    struct mm_struct *mm;
    const u32 pid;
    int tgid;
    char comm[16];
    struct { unsigned long sp; } thread;
    enum { A, B = 1 << 20 } e;
    struct fwd *unknown;
    double d;
};
struct task_struct t;
struct mm_struct m;
int f(struct task_struct *p, int x) { return p->pid + x; }
