#!/bin/sh
# /init of the libvmi test-rig initramfs (busybox ash, pid 1).
# Prints ground truth on the console (ttyS0) and the whole /proc/kallsyms on
# ttyS1.  Everything printed after the sentinels start uses shell builtins
# only, so no transient process shows up in the lists.
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /run/vmi
mkfifo /run/vmi/tick
read -r u i </proc/uptime
printf 'VMI-INIT %s\n' "$u"

# Full symbol table for the host (to build a System.map), gzip'ed on ttyS1 when
# the host gave the guest a second serial port.  Subprocesses, but they finish
# long before the first process list is printed.
if read -r t </sys/class/tty/ttyS1/type 2>/dev/null && [ "$t" != 0 ]; then
    stty -F /dev/ttyS1 raw -echo
    gzip -1 -c /proc/kallsyms >/dev/ttyS1
fi
read -r u i </proc/uptime
printf 'VMI-KALLSYMS-DONE %s\n' "$u"
grep -E ' (_text|_stext|linux_banner|init_task|init_top_pgt|swapper_pg_dir|jiffies|jiffies_64)$' \
    /proc/kallsyms > /run/vmi/ksyms
# The kernel's log as it is now (the boot log; `quiet` keeps it off the
# console), printed later as VMI-KMSG lines: the record text, timestamp cut.
busybox dmesg >/run/vmi/kmsg 2>/dev/null

# Sentinels: busybox hard links named vmi-sentinel-X (comm = file name),
# started as `cat MARKER` (argv[0]="cat", argv[1]=MARKER) where MARKER is a
# FIFO nobody ever opens for writing: open() blocks forever, nothing spawned.
for s in a:alpha-marker-4711 b:beta-marker-4712 c:gamma-marker-4713; do
    n=${s%%:*}
    m=${s#*:}
    mkdir -p /run/vmi/$n
    mkfifo /run/vmi/$n/$m
    (
        cd /run/vmi/$n
        VMI_SECRET=env-marker-0815
        export VMI_SECRET
        exec -a cat /bin/vmi-sentinel-$n $m
    ) </dev/null >/dev/null 2>&1 &
    eval "SENT_$n=\$!"
done

# With vmi.busy=1 on the command line (rig.sh: LIBVMI_RIG_BUSY=1), a
# second shell wakes every second (builtins only, it never spawns): the
# vCPU switches between two address spaces, so the kernel writes CR3 (the
# register-event tests).  Its pid is printed; it shows in the process lists.
read -r cmdline </proc/cmdline
case " $cmdline " in
*" vmi.busy=1 "*)
    mkfifo /run/vmi/tick2
    sh -c 'while :; do read -t 1 x <>/run/vmi/tick2; done' </dev/null >/dev/null 2>&1 &
    BUSY=$!
    ;;
esac

# let the system settle
read -t 2 x <>/run/vmi/tick

ps_block() {
    printf 'VMI-PS-BEGIN\n'
    for d in /proc/[0-9]*; do
        read -r l <$d/stat 2>/dev/null || continue
        c=${l#*\(}
        c=${c%\)*}
        printf 'VMI-PS %s %s\n' "${d#/proc/}" "$c"
    done
    printf 'VMI-PS-END\n'
}

ps_block
while read -r a t n; do
    printf 'VMI-KSYM %s %s %s\n' "$a" "$t" "$n"
done </run/vmi/ksyms
read -r v </proc/version
printf 'VMI-BANNER %s\n' "$v"
while IFS= read -r l; do
    case $l in
    \[*\]*) l=${l#*] } ;;
    esac
    printf 'VMI-KMSG %s\n' "$l"
done </run/vmi/kmsg
# the loaded modules as /proc/modules lists them (none in the rig's guests)
printf 'VMI-MOD-BEGIN\n'
while IFS= read -r l; do
    printf 'VMI-MOD %s\n' "$l"
done </proc/modules
printf 'VMI-MOD-END\n'
for n in a b c; do
    eval "p=\$SENT_$n"
    read -r l </proc/$p/stat
    set -- ${l##*\) }
    # $1 = field 3 (state) ... ${46} = field 48 (arg_start), ${48} = field 50 (env_start)
    as=${46}
    es=${48}
    {
        IFS= read -r -d '' a0
        IFS= read -r -d '' a1
    } </proc/$p/cmdline
    printf 'VMI-ARGV %s %x %s\n' "$p" "$as" "$a0"
    printf 'VMI-ARGV1 %s %x %s\n' "$p" $((as + ${#a0} + 1)) "$a1"
    off=0
    while IFS= read -r -d '' e; do
        case $e in
        VMI_SECRET=*) printf 'VMI-ENV %s %x %s\n' "$p" $((es + off)) "$e" ;;
        esac
        off=$((off + ${#e} + 1))
    done </proc/$p/environ
done
[ -n "${BUSY:-}" ] && printf 'VMI-BUSY %s\n' "$BUSY"
read -r u i </proc/uptime
printf 'VMI-UPTIME %s\n' "$u"
printf 'VMI-READY\n'

while :; do
    read -t 2 x <>/run/vmi/tick
    read -r u i </proc/uptime
    printf 'VMI-TICK %s\n' "$u"
    # the sentinels' command lines as the kernel reads them from their
    # memory (NULs dropped): a host that writes there sees it here
    for n in a b c; do
        eval "p=\$SENT_$n"
        IFS= read -r c </proc/$p/cmdline
        printf 'VMI-CMDLINE %s %s\n' "$p" "$c"
    done
    ps_block
done
