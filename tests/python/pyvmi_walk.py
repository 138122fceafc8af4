"""The process list walked with the module alone, as PyVMI's
examples/process-list.py walks it (get_offset + read_*_va): what the Python
tests compare with the guest's own list."""


def walk_tasks(vmi):
    tasks = vmi.get_offset("linux_tasks")
    name = vmi.get_offset("linux_name")
    pid_off = vmi.get_offset("linux_pid")
    head = vmi.translate_ksym2v("init_task") + tasks
    cur = vmi.read_addr_va(head, 0)
    out = set()
    for _ in range(10000):
        if cur == head:
            return out
        task = cur - tasks
        out.add("%d %s" % (vmi.read_32_va(task + pid_off, 0), vmi.read_str_va(task + name, 0)))
        cur = vmi.read_addr_va(cur, 0)
    raise AssertionError("task list does not come back to init_task")
