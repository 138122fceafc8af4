#!/bin/sh
# Installs (or with --uninstall removes) libvmi's libvirt qemu hook.
#
#   install-hook.sh [--hooks-dir DIR] [--source FILE] [--uninstall]
#
# DIR defaults to /etc/libvirt/hooks; FILE to the qemu script beside this
# one. libvmi's hook is recognised by its marker line ("# libvmi-hook:").
#
# Install:
#   - DIR/qemu missing or ours        -> DIR/qemu
#   - DIR/qemu someone else's         -> DIR/qemu.d/libvmi (libvirt >= 6.5
#                                        runs every executable in qemu.d/
#                                        after DIR/qemu); the foreign hook
#                                        is never touched.
#   A copy of ours left at the other place is removed, so that libvirt does
#   not run it twice.
# Uninstall: removes DIR/qemu and DIR/qemu.d/libvmi if, and only if, they
#   are ours.
#
# libvirtd looks for hook scripts when it starts (and on SIGHUP): restart
# (or reload) libvirtd after installing or removing the hook.
#
# The hook talks to the system bus. libvirt runs it with a cleaned
# environment, so to point it at another bus (a private test bus, as
# tests/helper/env.sh does) write that bus's address on the first line of
# /run/libvmi/hook-bus (a regular file owned by root, writable by no one
# else); remove the file to go back to the system bus.
set -eu

hooks_dir=/etc/libvirt/hooks
source_file=$(dirname "$0")/qemu
action=install
marker='^# libvmi-hook:'

usage() {
    sed -n '2,8s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
    case $1 in
        --hooks-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; hooks_dir=$2; shift 2 ;;
        --hooks-dir=*) hooks_dir=${1#*=}; shift ;;
        --source) [ $# -ge 2 ] || { usage >&2; exit 2; }; source_file=$2; shift 2 ;;
        --source=*) source_file=${1#*=}; shift ;;
        --uninstall) action=uninstall; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install-hook.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

main_hook=$hooks_dir/qemu
dropin_dir=$hooks_dir/qemu.d
dropin_hook=$dropin_dir/libvmi

# is_ours FILE: FILE exists and carries libvmi's marker line.
is_ours() {
    [ -f "$1" ] && grep -q "$marker" "$1"
}

# put FILE: copies the hook to FILE atomically, mode 0755.
put() {
    # The temporary file lives in DIR, where libvirt runs only files named
    # after its drivers, and not in qemu.d/, where it runs every executable.
    tmp=$(mktemp "$hooks_dir/.libvmi-hook.XXXXXX")
    if ! cp "$source_file" "$tmp" || ! chmod 0755 "$tmp" || ! mv -f "$tmp" "$1"; then
        rm -f "$tmp"
        echo "install-hook.sh: cannot write '$1'." >&2
        exit 1
    fi
    echo "Installed libvmi's qemu hook as '$1'."
}

# drop FILE: removes FILE if it is ours; says why not otherwise.
drop() {
    if is_ours "$1"; then
        rm -f "$1"
        echo "Removed libvmi's qemu hook '$1'."
        # qemu.d/ goes too if ours was the last script in it.
        [ "$1" != "$dropin_hook" ] || rmdir "$dropin_dir" 2>/dev/null || true
    elif [ -e "$1" ] || [ -L "$1" ]; then
        echo "Left '$1' alone: it is not libvmi's hook."
    fi
}

restart_note() {
    echo "Restart libvirtd (e.g. 'systemctl restart libvirtd') so that it sees the change:"
    echo "it looks for hook scripts only when it starts or reloads."
}

if [ "$action" = uninstall ]; then
    drop "$main_hook"
    drop "$dropin_hook"
    restart_note
    exit 0
fi

if ! is_ours "$source_file"; then
    echo "install-hook.sh: '$source_file' is not libvmi's hook (no marker line)." >&2
    exit 1
fi
mkdir -p "$hooks_dir"

if [ ! -e "$main_hook" ] && [ ! -L "$main_hook" ] || is_ours "$main_hook"; then
    put "$main_hook"
    if is_ours "$dropin_hook"; then
        drop "$dropin_hook"
    fi
else
    if [ -e "$dropin_hook" ] && ! is_ours "$dropin_hook"; then
        echo "install-hook.sh: '$main_hook' and '$dropin_hook' are both another program's;" >&2
        echo "nothing installed." >&2
        exit 1
    fi
    mkdir -p "$dropin_dir"
    put "$dropin_hook"
    echo "'$main_hook' is another program's hook and was left alone; libvmi's runs from"
    echo "'$dropin_dir', which needs libvirt 6.5 or later."
fi
restart_note
