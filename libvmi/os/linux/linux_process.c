/*
 * linux_process.c - processes from init_task's list of tasks.
 *
 * The list lives in guest memory and is hostile input: the walk is bounded
 * (VMI_MAX_TASKS), detects a loop that does not come back to init_task, and
 * stops with an error naming the address where the list broke.
 */
#include <stdlib.h>
#include <string.h>
#include "linux.h"

#define COMM_LEN 16     /* TASK_COMM_LEN */

static bool read_ptr(vmi_instance_t vmi, addr_t va, addr_t *out)
{
    uint64_t v = 0;
    if (!vmi_read_va_all(vmi, vmi->kdtb, va, &v, vmi->address_width))
        return false;
    *out = v;
    return true;
}

static bool no_offsets(vmi_instance_t vmi, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    if (ld->off_error) {
        g_set_error_literal(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, ld->off_error);
        return false;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                "%s: processes need the offsets linux_tasks, linux_mm, linux_pid, linux_name "
                "and linux_pgd", vmi->config_origin ? vmi->config_origin : vmi->name);
    return false;
}

/* Reads one task: pid, comm and dtb.  @task is the task_struct address. */
static bool read_task(vmi_instance_t vmi, linux_data_t *ld, addr_t task, vmi_process_t *p,
                      GError **error)
{
    int32_t pid;
    char comm[COMM_LEN];
    addr_t mm = 0;
    if (!vmi_read_va_all(vmi, vmi->kdtb, task + ld->off_pid, &pid, sizeof(pid)) ||
        !vmi_read_va_all(vmi, vmi->kdtb, task + ld->off_name, comm, sizeof(comm)) ||
        !read_ptr(vmi, task + ld->off_mm, &mm)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "cannot read the task structure at 0x%" G_GINT64_MODIFIER "x", (guint64)task);
        return false;
    }
    memset(p, 0, sizeof(*p));
    p->pid = pid;
    p->task = task;
    memcpy(p->name, comm, COMM_LEN);
    p->name[COMM_LEN - 1] = '\0';
    p->dtb = vmi->kdtb;     /* kernel threads run on the kernel's tables */
    addr_t pgd, pa;
    if (mm && read_ptr(vmi, mm + ld->off_pgd, &pgd) && vmi_v2p(vmi, vmi->kdtb, pgd, &pa, NULL))
        p->dtb = pa;
    return true;
}

/* Calls @fn for each task, init_task first, until it returns false. */
typedef bool (*task_fn)(const vmi_process_t *p, void *data);

static bool walk_tasks(vmi_instance_t vmi, task_fn fn, void *data, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    if (!ld->has_offsets)
        return no_offsets(vmi, error);
    vmi_process_t p;
    addr_t head = ld->init_task + ld->off_tasks;
    if (!read_task(vmi, ld, ld->init_task, &p, error))
        return false;
    if (!fn(&p, data))
        return true;

    /* addresses of list nodes seen so far (host pointers are 64-bit) */
    G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(addr_t));
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    addr_t next;
    if (!read_ptr(vmi, head, &next)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "cannot read init_task.tasks.next at 0x%" G_GINT64_MODIFIER "x", (guint64)head);
        return false;
    }
    addr_t prev_task = ld->init_task;
    for (size_t n = 0; next != head; n++) {
        if (n >= VMI_MAX_TASKS) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "the task list has more than %d entries: corrupt or looping", VMI_MAX_TASKS);
            return false;
        }
        if (!g_hash_table_add(seen, GSIZE_TO_POINTER(next))) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "the task list loops at 0x%" G_GINT64_MODIFIER "x without coming back "
                        "to init_task", (guint64)next);
            return false;
        }
        addr_t task = next - ld->off_tasks;
        if (!read_task(vmi, ld, task, &p, error)) {
            g_prefix_error(error, "the task list is broken: tasks.next of the task at 0x%"
                           G_GINT64_MODIFIER "x points to 0x%" G_GINT64_MODIFIER "x: ",
                           (guint64)prev_task, (guint64)next);
            return false;
        }
        prev_task = task;
        if (!fn(&p, data))
            break;
        if (!read_ptr(vmi, next, &next)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "the task list is broken: cannot read tasks.next at 0x%" G_GINT64_MODIFIER
                        "x (task 0x%" G_GINT64_MODIFIER "x)", (guint64)(task + ld->off_tasks),
                        (guint64)task);
            return false;
        }
    }
    return true;
}

typedef struct {
    vmi_process_t *list;
    size_t count, cap;
    bool oom;
} collect_t;

static bool collect(const vmi_process_t *p, void *data)
{
    collect_t *c = data;
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        vmi_process_t *n = realloc(c->list, cap * sizeof(*n));
        if (!n) {
            c->oom = true;
            return false;
        }
        c->list = n;
        c->cap = cap;
    }
    c->list[c->count++] = *p;
    return true;
}

bool linux_processes(vmi_instance_t vmi, vmi_process_t **list, size_t *count, GError **error)
{
    collect_t c = { 0 };
    if (!walk_tasks(vmi, collect, &c, error) || c.oom) {
        if (c.oom)
            g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED, "out of memory listing processes");
        free(c.list);
        return false;
    }
    /* remember every pid's dtb: later pid lookups need no walk */
    for (size_t i = 0; i < c.count; i++)
        vmi_pidcache_add(vmi, c.list[i].pid, c.list[i].dtb);
    *list = c.list;
    *count = c.count;
    return true;
}

typedef struct {
    bool by_pid;
    vmi_pid_t pid;
    addr_t dtb;
    bool found;
} find_t;

static bool find(const vmi_process_t *p, void *data)
{
    find_t *f = data;
    if (f->by_pid ? p->pid == f->pid : (p->dtb == f->dtb && p->pid != 0)) {
        f->pid = p->pid;
        f->dtb = p->dtb;
        f->found = true;
        return false;
    }
    return true;
}

bool linux_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error)
{
    find_t f = { .by_pid = true, .pid = pid };
    if (!walk_tasks(vmi, find, &f, error))
        return false;
    if (!f.found) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "no process with pid %d", pid);
        return false;
    }
    *dtb = f.dtb;
    return true;
}

bool linux_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid, GError **error)
{
    find_t f = { .by_pid = false, .dtb = dtb };
    if (!walk_tasks(vmi, find, &f, error))
        return false;
    if (!f.found) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no process uses the page directory 0x%" G_GINT64_MODIFIER "x", (guint64)dtb);
        return false;
    }
    *pid = f.pid;
    return true;
}

bool linux_check_offsets(vmi_instance_t vmi, linux_data_t *ld, GError **error)
{
    char comm[COMM_LEN] = { 0 };
    int32_t pid = -1;
    addr_t next = 0, pa;
    const char *origin = vmi->config_origin ? vmi->config_origin : vmi->name;
    if (!vmi_read_va_all(vmi, vmi->kdtb, ld->init_task + ld->off_name, comm, sizeof(comm)) ||
        strncmp(comm, "swapper", 7) != 0) {
        comm[COMM_LEN - 1] = '\0';
        for (char *c = comm; *c; c++)
            if (!g_ascii_isprint(*c))
                *c = '?';
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s: the offsets do not fit this kernel: init_task's name at linux_name = 0x%"
                    G_GINT64_MODIFIER "x reads '%s', not 'swapper'", origin,
                    (guint64)ld->off_name, comm);
        return false;
    }
    if (!vmi_read_va_all(vmi, vmi->kdtb, ld->init_task + ld->off_pid, &pid, sizeof(pid)) ||
        pid != 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s: the offsets do not fit this kernel: init_task's pid at linux_pid = 0x%"
                    G_GINT64_MODIFIER "x is %d, not 0", origin, (guint64)ld->off_pid, pid);
        return false;
    }
    if (!read_ptr(vmi, ld->init_task + ld->off_tasks, &next) ||
        !vmi_v2p(vmi, vmi->kdtb, next, &pa, NULL)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s: the offsets do not fit this kernel: init_task.tasks at linux_tasks = 0x%"
                    G_GINT64_MODIFIER "x does not point into kernel memory (0x%" G_GINT64_MODIFIER
                    "x)", origin, (guint64)ld->off_tasks, (guint64)next);
        return false;
    }
    return true;
}
